#!/bin/bash
# bench/web.sh - does the dashboard slow the print line? The line of
# bench/line.sh (the USB printer simulator with step times scaled down 100x,
# the emulated chip 1 ms late per APDU) prints N jobs (default 200) twice:
# once with nobody on the dashboard, once under load: 8 clients fetching
# pages and the JSON API as fast as they are answered, 20 live views (the
# long poll of the lines page), 400 connections from another address held
# open by slow clients that never finish their headers, and a log-in brute
# force from a third. Prints the
# line's host time per card, the cycle per card and what the dashboard
# answered. Results: docs/performance.md.
# usage: bench/web.sh [N]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
N=${1:-200}
T=$(mktemp -d /var/tmp/cetak-bench.XXXXXX)
chmod 755 "$T"
. "$ROOT/tests/fixtures/fixtures.sh"
trap 'fx_cleanup; [ "${CETAK_KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT
ctl() { "$B/cetakctl" -s "$T/run/control" "$@"; }
export CETAK_PAM_CONFDIR=$ROOT/etc/pam.d
id cetakweb-op >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin -G users cetakweb-op
echo cetakweb-op:op-Sandi-1 | chpasswd
"$B/tests/jobgen" -n "$N" -o "$T/jobs" -k 20 >/dev/null

run() { # LABEL LOAD(0/1)
	local label=$1 load=$2 P conf=$T/c.conf
	rm -rf "$T/state" "$T/spool" "$T/run" "$T/printed"
	P=$(fx_port)
	fx_pcscd "$P" >/dev/null || exit 1
	fx_card "$P" "$T/cards1" -S -c 100000 -m 4096 -F slow:1
	sleep 1
	fx_line_config "$conf"
	sed -i 's/log_level = "debug"/log_level = "notice"/' "$conf"
	fx_cetakd_usb "$conf" -D 1 -n $((N + 10)) -r $((N + 10)) -T 100 || exit 1
	ctl stock receive LOT-BENCH $((N * 2)) --doc DN-B >/dev/null
	ctl stock load A "$N" >/dev/null
	local url; url=http://$(ctl --json status | jq -r .web.address)
	if [ "$load" = 1 ]; then
		/usr/bin/python3 "$ROOT/bench/webload.py" "$url" "$T/stop" >"$T/load.out" 2>&1 &
		LOAD=$!
		sleep 3
	fi
	local cpu0; cpu0=$(awk '{print $14 + $15}' /proc/"$(pgrep -n -x cetakd)"/stat)
	ctl submit "$T"/jobs/*.json >/dev/null 2>&1
	while [ "$(ctl queue --state done --count)" != "$N" ]; do
		kill -0 "$FX_CETAKD_PID" 2>/dev/null || { echo "bench: cetakd ended:"; tail -5 "$T/cetakd.log"; exit 1; }
		sleep 0.5
	done
	local cpu1; cpu1=$(awk '{print $14 + $15}' /proc/"$(pgrep -n -x cetakd)"/stat)
	ctl --json lines >"$T/lines.json"
	if [ "$load" = 1 ]; then
		touch "$T/stop"
		wait "$LOAD"
		rm -f "$T/stop"
	fi
	jq -r --arg l "$label" '.lines[] | select(.enabled) |
		"\($l): \(.cards_today) cards, host time \((.stats.host_ms / .cards_today * 1000 | round) / 1000) ms per card, cycle \((.stats.span_ms / .cards_today * 10 | round) / 10) ms per card, printer busy \((.stats.busy_ms / .stats.span_ms * 1000 | round) / 10)%"' \
		"$T/lines.json"
	echo "$label: cetakd used $(((cpu1 - cpu0) * 1000 / $(getconf CLK_TCK))) ms of CPU (user + system) while printing"
	[ "$load" = 1 ] && sed "s/^/$label: /" "$T/load.out"
	fx_cleanup
	FX_PIDS=
}
run "without the dashboard in use" 0
run "with the dashboard under load" 1
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
