#!/bin/bash
# The module graph (docs/design.md, "Modules"): each module includes only
# the modules below it, so no lower module depends on an upper one.
#   common    logging and the signer, used by all
#   jobs      the job format, the job store, the spool, the scheduler
#   smartcard printer ledger   the card, the printer, the books
#   notice    SMS notices handed to gammu-smsd (common only)
#   custody   what may happen to an issued card (over the job store)
#   web       the dashboard's HTTP server and its gate (common only)
#   daemon    cetakd and cetakctl, which use all of them
. "$(dirname "$0")/../lib.sh"

declare -A allowed=(
	[common]=""
	[jobs]="common"
	[smartcard]="common jobs"
	[printer]="common jobs"
	[ledger]="common jobs"
	[notice]="common"
	[custody]="common jobs"
	[web]="common"
	[daemon]="common jobs smartcard printer ledger notice custody web"
)
# violations TREE MODULE: the files of TREE/MODULE that include a module not allowed
violations() {
	local f inc
	for f in "$1/$2"/*.[ch]; do
		[ -e "$f" ] || continue
		for inc in $(sed -n 's/^#include "\([a-z_]*\)\/.*/\1/p' "$f" | sort -u); do
			case " $2 ${allowed[$2]} " in *" $inc "*) ;; *) echo "${f#$1/} includes $inc/" ;; esac
		done
	done
}
for m in common jobs smartcard printer ledger notice custody web daemon; do
	violations "$ROOT" "$m" >"$T/bad-$m"
	check "$m includes only [${allowed[$m]}]" test ! -s "$T/bad-$m"
	sed 's/^/# /' "$T/bad-$m"
done
# the check itself: a lower module that includes an upper one is caught
mkdir -p "$T/tree/ledger"
printf '#include "common/log.h"\n#include "daemon/run.h"\n' >"$T/tree/ledger/x.c"
violations "$T/tree" ledger >"$T/bad-probe"
expect_grep "a ledger file that includes daemon/ is caught" '^ledger/x.c includes daemon/$' "$T/bad-probe"
finish
