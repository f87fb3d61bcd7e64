#!/bin/bash
# bench/queue.sh - scheduling and `cetakctl queue --count` with 100,000 queued
# jobs, and cetakd's memory holding them. usage: bench/queue.sh [N]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/${BUILD:-build}
N=${1:-100000}
W=$(mktemp -d /var/tmp/cetak-bench.XXXXXX)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$W"' EXIT
mkdir -p "$W/state"
"$B/bench/queue_bench" "$W/state/cetak.db" "$N"
cat >"$W/c.conf" <<CONF
paths = { state_dir = "$W/state"; spool_dir = "$W/spool"; control_socket = "$W/control"; };
daemon = { log_level = "warning"; };
face = { layout = "$ROOT/etc/layouts/ektp-front.conf"; };
CONF
"$B/cetakd" -c "$W/c.conf" &
PID=$!
for _ in $(seq 100); do "$B/cetakctl" -s "$W/control" status >/dev/null 2>&1 && break; sleep 0.05; done
echo "cetakctl queue --count: $("$B/cetakctl" -s "$W/control" queue --count) jobs"
s=$(date +%s%N)
for _ in $(seq 100); do "$B/cetakctl" -s "$W/control" queue --count >/dev/null; done
e=$(date +%s%N)
echo "cetakctl queue --count, end to end (process start included): $(((e - s) / 100000)) us mean over 100"
s=$(date +%s%N)
for _ in $(seq 20); do "$B/cetakctl" -s "$W/control" queue >/dev/null; done
e=$(date +%s%N)
echo "cetakctl queue (first 50 rows + counts): $(((e - s) / 20000)) us mean over 20"
echo "cetakd RSS with $N queued jobs: $(awk '/VmRSS/ {print $2}' /proc/$PID/status) KiB (peak $(awk '/VmHWM/ {print $2}' /proc/$PID/status) KiB)"
