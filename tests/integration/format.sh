#!/bin/bash
# The tree is in the house format (.clang-format): `make format` changes
# nothing. A file out of format is named with its first difference.
. "$(dirname "$0")/../lib.sh"

cd "$ROOT" || exit 1
if ! command -v clang-format >/dev/null; then
	notok "clang-format is installed (scripts/install-deps installs it)"
	finish
fi
bad=0
for f in $(git ls-files '*.c' '*.h' 2>/dev/null || find common daemon jobs ledger printer smartcard tests bench -name '*.[ch]'); do
	if ! clang-format --dry-run --Werror "$f" >"$T/fmt.out" 2>&1; then
		bad=$((bad + 1))
		echo "# $f: $(grep -m1 'warning:' "$T/fmt.out")"
	fi
done
check "every C file is in the house format (make format changes nothing)" test "$bad" = 0
# the check itself: a file out of format is caught
cp .clang-format "$T/"
printf 'int  main( void ){return 0;}\n' >"$T/probe.c"
check "a file out of format is caught" sh -c "! clang-format --dry-run --Werror '$T/probe.c' 2>/dev/null"
finish
