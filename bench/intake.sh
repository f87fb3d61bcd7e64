#!/bin/bash
# bench/intake.sh - spool intake throughput and memory.
#
# Generates N job files (default 10,000) with ~20 KB photos, places them in
# new/ while cetakd is stopped, starts cetakd and measures the time until
# every file has left new/ (each job committed durably to the job store
# before its file is unlinked; group commit of spool.batch files), using
# cetakd's own "jobs imported ... in N ms" log line, and the daemon's peak
# RSS (VmHWM). usage: bench/intake.sh [N] [BATCH]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/${BUILD:-build}
N=${1:-10000}
BATCH=${2:-256}
W=$(mktemp -d /var/tmp/cetak-bench.XXXXXX)
trap '[ -z "$PID" ] || kill "$PID" 2>/dev/null; rm -rf "$W"' EXIT
PID=

cat >"$W/c.conf" <<CONF
paths = { state_dir = "$W/state"; spool_dir = "$W/spool"; control_socket = "$W/control"; };
spool = { batch = $BATCH; rescan_interval = 3600; };
daemon = { log_level = "notice"; };
face = { layout = "$ROOT/etc/layouts/ektp-front.conf"; };
CONF
mkdir -p "$W/spool/new" "$W/spool/tmp"
"$B/tests/jobgen" -n "$N" -o "$W/gen" -p BENCH -k 20
size=$(du -sk "$W/gen" | cut -f1)
mv "$W/gen"/*.json "$W/spool/new/"
sync
echo "jobs: $N files, $((size / 1024)) MiB in new/, batch $BATCH"
"$B/cetakd" -c "$W/c.conf" 2>"$W/log" &
PID=$!
for _ in $(seq 6000); do
	grep -q 'jobs imported' "$W/log" 2>/dev/null && break
	sleep 0.05
done
hwm=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
line=$(grep 'jobs imported' "$W/log" | head -1)
ms=$(echo "$line" | sed -n 's/.* in \([0-9]*\) ms$/\1/p')
imported=$(echo "$line" | sed -n 's/.*spool: \([0-9]*\) jobs imported.*/\1/p')
left=$(ls "$W/spool/new" | wc -l)
db=$(du -sk "$W/state" | cut -f1)
echo "imported: $imported jobs in $ms ms = $((imported * 1000 / (ms > 0 ? ms : 1))) jobs/s; left in new/: $left"
echo "cetakd peak RSS (VmHWM): $((hwm / 1024)) MiB; job store on disk: $((db / 1024)) MiB"
kill -TERM $PID; wait $PID || true
PID=
