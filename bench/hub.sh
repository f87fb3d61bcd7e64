#!/bin/bash
# bench/hub.sh - the district hub's ingest: one station's chain of EVENTS
# records (default 200,000) in slices of 5,000, pushed through hub.push() and
# verified and merged by cetak-hub into a private PostgreSQL 15; then the
# district queries at that size and the size on disk.
# usage: bench/hub.sh [EVENTS]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
N=${1:-200000}
T=$(mktemp -d /var/tmp/cetak-hubbench.XXXXXX)
. "$ROOT/tests/fixtures/fixtures.sh"
trap 'fx_cleanup; rm -rf "$T"' EXIT
"$ROOT/scripts/make-test-pki" "$T/pki" >/dev/null 2>&1
mkdir -p "$T/slices"
"$B/bench/ledger_bench" "$T" "$T/pki/ds.key" "$T/pki/ds.pem" "$N" "$T/slices" | grep -E "bulk|slices"
PGP=$(($(fx_port) + 1200))
fx_postgres pg "$PGP" || { echo "PostgreSQL did not start"; exit 1; }
PSQL="psql -X -q -v ON_ERROR_STOP=1"
$PSQL -h "$T/pg" -p "$PGP" -U hub_admin -d postgres -c "CREATE DATABASE cetak_hub"
HUB="host=$T/pg port=$PGP dbname=cetak_hub user=hub_admin"
"$B/cetak-hub" -d "$HUB" init >/dev/null
"$B/cetak-hub" -d "$HUB" station add Bench --cert "$T/pki/ds.pem" >/dev/null
ms() { echo $(( $(date +%s%N) / 1000000 )); }
t0=$(ms)
for f in $(ls "$T/slices" | sort -n); do
	first=${f%-*} last=${f#*-}
	# psql's backticks drop the last newline: an x after it, cut in SQL
	printf "\\set body \`cat %s; echo x\`\nSELECT hub.push(%s, %s, left(:'body', -1));\n" \
		"$T/slices/$f" "$first" "$last" |
		$PSQL -t -A -h "$T/pg" -p "$PGP" -U station_bench -d cetak_hub >/dev/null
done
t1=$(ms)
"$B/cetak-hub" -d "$HUB" verify >/dev/null
t2=$(ms)
rows=$($PSQL -t -A -h "$T/pg" -p "$PGP" -U hub_admin -d cetak_hub -c "SELECT count(*) FROM hub.records")
echo "push:   $rows records in $(ls "$T/slices" | wc -l) slices through hub.push(): $((t1 - t0)) ms ($((rows * 1000 / (t1 - t0 + 1))) records/s)"
echo "verify and merge: $((t2 - t1)) ms ($((rows * 1000 / (t2 - t1 + 1))) records/s)"
for qq in stock transfers stations; do
	a=$(ms); "$B/cetak-hub" -d "$HUB" $qq >/dev/null; b=$(ms)
	echo "cetak-hub $qq: $((b - a)) ms (the program's start and connection included)"
done
size=$($PSQL -t -A -h "$T/pg" -p "$PGP" -U hub_admin -d cetak_hub -c "SELECT pg_total_relation_size('hub.records')")
echo "on disk: hub.records $((size / 1048576)) MiB for $rows records: $((size / rows)) bytes a record ($((size * 1000000 / rows / 1048576)) MiB per million)"
