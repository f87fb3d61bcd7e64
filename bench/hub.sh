#!/bin/bash
# bench/hub.sh - the district hub at scale: STATIONS stations (default 500),
# each with DAYS days (30) of MIN-MAX cards a day (150-300), job and custody
# events included (tests/fixtures/stationgen, the real ledger and a key of
# its own per station). Their slices are loaded into the intake, then
# cetak-hub verifies and merges them all (the ingest rate); then the time to
# verify one new slice at that size, the latency of each district query and
# the size on disk per million records. A private PostgreSQL 15 in /var/tmp.
# usage: bench/hub.sh [STATIONS [DAYS [MIN MAX]]]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
NS=${1:-500} DAYS=${2:-30} LO=${3:-150} HI=${4:-300}
T=$(mktemp -d /var/tmp/cetak-hubbench.XXXXXX)
. "$ROOT/tests/fixtures/fixtures.sh"
trap 'fx_cleanup; rm -rf "$T"' EXIT
ms() { echo $(($(date +%s%N) / 1000000)); }
START=$(((($(date +%s) + 7 * 3600) / 86400 - DAYS - 1) * 86400 - 7 * 3600))

# the stations' books, two at a time
t0=$(ms)
gen_one() {
	local i=$1 d=$T/st/$1
	mkdir -p "$d/slices"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=Station $i" \
		-days 60 -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
	"$B/tests/stationgen" "$d" "$d/key.pem" "$d/cert.pem" "Station $i" "$START" "$DAYS" "$LO" "$HI" \
		--seed "$i" --slices "$d/slices" >/dev/null
	rm -f "$d/ledger.db"*
}
export -f gen_one
export T B START DAYS LO HI
seq 1 "$NS" | xargs -P 2 -I{} bash -c 'gen_one {}'
t1=$(ms)
echo "stations' books: $NS stations x $DAYS days made in $(((t1 - t0) / 1000)) s"

PGP=$(($(fx_port) + 1200))
fx_postgres pg "$PGP" || { echo "PostgreSQL did not start"; exit 1; }
PSQL="psql -X -q -v ON_ERROR_STOP=1 -h $T/pg -p $PGP -U hub_admin"
$PSQL -d postgres -c "CREATE DATABASE cetak_hub"
HUB="host=$T/pg port=$PGP dbname=cetak_hub user=hub_admin"
"$B/cetak-hub" -d "$HUB" init >/dev/null
for i in $(seq 1 "$NS"); do
	"$B/cetak-hub" -d "$HUB" station add "Station $i" --cert "$T/st/$i/cert.pem" >/dev/null
done
# every slice into the intake as hub.push() puts it there (one COPY; the
# stations' own pushes are measured by tests/integration/hub.sh)
t0=$(ms)
python3 - "$T/st" "$NS" <<'PY' | $PSQL -d cetak_hub -c "COPY hub.intake (station_id, first_seq, last_seq, body) FROM STDIN"
import os, sys
root, ns = sys.argv[1], int(sys.argv[2])
out = sys.stdout
for i in range(1, ns + 1):
    d = os.path.join(root, str(i), "slices")
    for f in sorted(os.listdir(d), key=lambda x: int(x.split("-")[0])):
        a, b = f.split("-")
        body = open(os.path.join(d, f)).read()
        body = body.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        out.write(f"{i}\t{a}\t{b}\t{body}\n")
PY
t1=$(ms)
slices=$($PSQL -t -A -d cetak_hub -c "SELECT count(*) FROM hub.intake")
echo "intake: $slices slices loaded in $(((t1 - t0) / 1000)) s"
"$B/cetak-hub" -d "$HUB" verify >/dev/null
t2=$(ms)
rows=$($PSQL -t -A -d cetak_hub -c "SELECT count(*) FROM hub.records")
echo "verify and merge: $rows records in $(((t2 - t1) / 1000)) s: $((rows * 1000 / (t2 - t1 + 1))) records/s"
$PSQL -d cetak_hub -c "VACUUM ANALYZE" >/dev/null

# one more slice of one station at that size: the time to verify a batch
d=$T/st/1
"$B/tests/stationgen" "$T/extra" "$d/key.pem" "$d/cert.pem" "Station 1" "$START" 1 1 1 >/dev/null 2>&1 || true
last=$($PSQL -t -A -d cetak_hub -c "SELECT head_seq FROM hub.stations WHERE name = 'Station 1'")
# the next slice is Station 1's last one again, as a station sends it after
# a lost acknowledgement: taken once (the dedup path), then a fresh station
# of a day's records verified into the full hub
"$B/cetak-hub" -d "$HUB" station add "Station new" --cert "$d/cert.pem" >/dev/null
mkdir -p "$T/new/slices"
"$B/tests/stationgen" "$T/new" "$d/key.pem" "$d/cert.pem" "Station new" "$START" 3 150 300 --seed 9999 \
	--slices "$T/new/slices" >/dev/null
f=$(ls "$T/new/slices" | sort -n | head -1)
printf "\\set body \`cat %s; echo x\`\nSELECT hub.push(%s, %s, left(:'body', -1));\n" \
	"$T/new/slices/$f" "${f%-*}" "${f#*-}" |
	psql -X -q -t -A -h "$T/pg" -p "$PGP" -U station_station_new -d cetak_hub >/dev/null
a=$(ms)
"$B/cetak-hub" -d "$HUB" verify >/dev/null
b=$(ms)
echo "a new slice of ${f#*-} records verified and merged into the full hub: $((b - a)) ms (program start and connection included; Station 1 holds $last)"

for qq in stations stock "usage --days 30" cover collection printers "transfers" alarms "report $(TZ=Asia/Jakarta date -d "@$((START + 86400 * DAYS / 2))" +%Y-%m)"; do
	a=$(ms); "$B/cetak-hub" -d "$HUB" $qq >/dev/null; b=$(ms)
	a2=$(ms); "$B/cetak-hub" -d "$HUB" $qq >/dev/null; b2=$(ms)
	echo "cetak-hub $qq: $((b - a)) ms, again $((b2 - a2)) ms (program start and connection included)"
done
size=$($PSQL -t -A -d cetak_hub -c "SELECT pg_total_relation_size('hub.records')")
all=$($PSQL -t -A -d cetak_hub -c "SELECT pg_database_size('cetak_hub')")
echo "on disk: hub.records $((size / 1048576)) MiB for $rows records: $((size / rows)) bytes a record ($((size * 1000000 / rows / 1048576)) MiB per million); the whole database $((all / 1048576)) MiB"
