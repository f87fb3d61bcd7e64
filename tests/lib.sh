# tests/lib.sh - shared shell for cetak's integration tests.
#
# Source it from a test script. It gives:
#   check NAME CMD...      run CMD; print "ok - NAME" or "not ok - NAME"
#   expect_grep NAME PATTERN FILE  a check that FILE matches the ERE PATTERN
#   fx_pcscd / fx_card / fx_cupsd / fx_cetakd   private fixtures (below)
# Everything a test starts is stopped by an EXIT trap; its files live in
# $T (a fresh directory under /tmp), kept when CETAK_KEEP=1.
# tests/run counts the ok / not ok lines.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
T=$(mktemp -d /tmp/cetak-test.XXXXXX)
chmod 0755 "$T"
FAILS=0

fx_cleanup_test() {
	fx_cleanup
	if [ "${CETAK_KEEP:-0}" = 1 ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
. "$ROOT/tests/fixtures/fixtures.sh"
trap fx_cleanup_test EXIT

ok() { echo "ok - $1"; }
notok() {
	echo "not ok - $1"
	FAILS=$((FAILS + 1))
	# a test may define on_fail to show the state it failed in (CI keeps
	# only what is printed)
	if declare -F on_fail >/dev/null; then
		on_fail >"$T/.diag" 2>&1
		sed 's/^/#   /' "$T/.diag" | head -60
	fi
}

# check NAME CMD...: passes when CMD exits 0.
check() {
	local name=$1; shift
	if "$@" >"$T/.check.out" 2>&1; then ok "$name"; else
		notok "$name"; sed 's/^/#   /' "$T/.check.out" | head -20
	fi
}

# expect_grep NAME ERE FILE
expect_grep() {
	if grep -Eq -- "$2" "$3"; then ok "$1"; else
		notok "$1"; echo "#   no match for /$2/ in $3:"; sed 's/^/#   /' "$3" | head -20
	fi
}

# Exit status of a test script: failures counted by check/expect_grep.
finish() { exit $((FAILS > 0)); }
