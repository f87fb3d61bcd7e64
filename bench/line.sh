#!/bin/bash
# bench/line.sh - the print line's throughput against the USB printer
# simulator with realistic step times scaled down 100x (feed 1 s -> 10 ms,
# print 15 s -> 150 ms, eject 1 s -> 10 ms; the emulated chip answers each
# APDU 1 ms late, so that encoding takes tens of ms as 4 s would scaled).
# Runs N jobs (default 500) on one line, then on two lines, and prints per
# line: the printer's busy fraction (physical steps / span from the first
# step to the last), the host time added per card, and the throughput.
# usage: bench/line.sh [N]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
N=${1:-500}
T=$(mktemp -d /var/tmp/cetak-bench.XXXXXX)
chmod 755 "$T"
. "$ROOT/tests/fixtures/fixtures.sh"
trap 'fx_cleanup; [ "${CETAK_KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT
ctl() { "$B/cetakctl" -s "$T/run/control" "$@"; }
"$B/tests/jobgen" -n "$N" -o "$T/jobs" -k 20 >/dev/null

# run LINES: N jobs on 1 or 2 lines; prints one result line per line and the total
run() {
	local lines=$1 P pids conf=$T/c$1.conf
	rm -rf "$T/state" "$T/spool" "$T/run" "$T/printed"
	P=$(fx_port)
	fx_pcscd "$P" >/dev/null || exit 1
	fx_card "$P" "$T/cards1" -S -c 100000 -m 4096 -F slow:1
	pids=$FX_CARD_PID
	FX_LINES='lines = ( { name = "A"; printer = "usb"; usb_device = "0f49:1001"; reader = "cetak test VPCD 00 00"; }'
	if [ "$lines" = 2 ]; then
		fx_card $((P + 1)) "$T/cards2" -S -c 100000 -m 4096 -F slow:1
		pids="$pids,$FX_CARD_PID"
		FX_LINES="$FX_LINES, { name = \"B\"; printer = \"usb\"; usb_device = \"0f49:1002\"; reader = \"cetak test VPCD 00 01\"; }"
	fi
	FX_LINES="$FX_LINES );"
	sleep 1
	FX_CARD_PID=$pids
	FX_LINES=$FX_LINES fx_line_config "$conf"
	sed -i 's/log_level = "debug"/log_level = "notice"/' "$conf"
	fx_cetakd_usb "$conf" -D "$lines" -n $((N + 10)) -r $((N + 10)) -T 100 || exit 1
	ctl stock receive LOT-BENCH $((N * 2)) --doc DN-B >/dev/null
	ctl stock load A "$N" >/dev/null
	[ "$lines" = 2 ] && ctl stock load B "$N" >/dev/null
	local t0; t0=$(date +%s%N)
	ctl submit "$T"/jobs/*.json >/dev/null 2>&1
	while [ "$(ctl queue --state done --count)" != "$N" ]; do sleep 0.5; done
	local wall=$((($(date +%s%N) - t0) / 1000000))
	ctl --json lines >"$T/lines$lines.json"
	jq -r --arg n "$N" --arg l "$lines" '.lines[] | select(.enabled) |
		"\($l) line(s): line \(.name): \(.cards_today) cards, printer busy \((.stats.busy_ms / .stats.span_ms * 100 * 100 | round) / 100)% of \(.stats.span_ms) ms, host time between steps \((.stats.host_ms / .cards_today * 100 | round) / 100) ms per card (\((.stats.host_ms / .stats.span_ms * 100 * 1000 | round) / 1000)% of the cycle), cycle \((.stats.span_ms / .cards_today * 10 | round) / 10) ms"' \
		"$T/lines$lines.json"
	local span; span=$(jq '[.lines[] | select(.enabled) | .stats.span_ms] | max' "$T/lines$lines.json")
	echo "$lines line(s): $N cards in $span ms of printing ($wall ms from submission): $(echo "scale=2; $N * 1000 / $span" | bc) cards/s"
	echo "$span" >"$T/span$lines"
	fx_cleanup
	FX_PIDS=
}
run 1
run 2
echo "2 lines / 1 line throughput: $(echo "scale=3; $(cat "$T/span1") / $(cat "$T/span2")" | bc)x"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
