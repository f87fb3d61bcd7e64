#!/bin/bash
# The man pages: each renders without a warning, cetakctl(1) names every
# command `cetakctl --help` lists, cetakd.conf(5) every setting `cetakd -n`
# prints, cetakd(8) every option of `cetakd -h`.
. "$(dirname "$0")/../lib.sh"

M=$B/man
for p in cetakd.8 cetakctl.1 cetak-audit.1 cetakd.conf.5 cetak-hub.8; do
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$M/$p" >"$T/$p.txt" 2>"$T/$p.warn"
	check "$p renders without a warning" sh -c "test -s '$T/$p.txt' && test ! -s '$T/$p.warn'"
done

LANG=C "$B/cetakctl" --help 2>&1 | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' | sort -u >"$T/verbs"
check "cetakctl --help lists its commands" test "$(wc -l <"$T/verbs")" -ge 15
missing=$(while read -r v; do grep -q "^       $v\b" "$T/cetakctl.1.txt" || echo "$v"; done <"$T/verbs")
check "cetakctl(1) documents every command (missing: ${missing:-none})" test -z "$missing"

# group.key for every setting of the canonical form; lines[].key for a line's
fx_config "$T/c.conf" 'lines = ( { name = "A"; printer = "usb"; usb_device = "0f49:1001"; reader = "x"; } );'
"$B/cetakd" -n -c "$T/c.conf" 2>"$T/n.err" | awk '
	/^[a-z_]+ = \{$/ { g = $1; next }
	/^lines = \($/ { g = "lines[]"; next }
	/^\t+[a-z_]+ = / { sub(/^\t+/, ""); print g "." $1 }' | sort -u >"$T/settings"
check "cetakd -n prints the settings ($(wc -l <"$T/settings"))" test "$(wc -l <"$T/settings")" -ge 80
missing=$(while read -r s; do grep -qF "$s" "$T/cetakd.conf.5.txt" || echo "$s"; done <"$T/settings")
check "cetakd.conf(5) documents every setting (missing: ${missing:-none})" test -z "$missing"

for o in -c -n '-n -r' -V; do
	check "cetakd(8) documents $o" grep -q -- "^       $o\b" "$T/cetakd.8.txt"
done
finish
