#!/bin/bash
# The district hub (cetak-hub) on a private PostgreSQL 15: a station's signed
# chain pushed in slices through the least-privilege function, verified and
# merged exactly once; a slice pushed twice taken once; a station role that
# can do nothing else; a forged record (hashes recomputed without the key), a
# station pushing another's chain and an oversized slice refused with an
# alarm and nothing merged.
. "$(dirname "$0")/../lib.sh"

PGP=$(($(fx_port) + 1000))
fx_postgres pg "$PGP" || { notok "a private PostgreSQL starts"; cat "$T/pg/"*.log "$T/pg/log" 2>/dev/null | tail -5; finish; }
ok "a private PostgreSQL 15 starts (initdb as nobody, socket in the test's folder)"
PSQL=/usr/bin/psql
# the hub's own connection and the stations' name both servers once the standby
# runs: the primary is the writable one
CONN="host=$T/pg port=$PGP"
psql_admin() { # [-d DB] ARGS: psql as the hub's owner
	local db=cetak_hub
	if [ "$1" = -d ]; then db=$2; shift 2; fi
	$PSQL -X -q -v ON_ERROR_STOP=1 "$CONN user=hub_admin dbname=$db" "$@"
}
psql_admin -d postgres -c "CREATE DATABASE cetak_hub" >/dev/null
PGP2=$((PGP + 1))
fx_postgres pg2 "$PGP2" "$PGP" || { notok "a streaming standby starts"; tail -5 "$T/pg2/"*.log; finish; }
check "a streaming standby follows it" wait_for 10 sh -c \
	"$PSQL -X -t -A -h '$T/pg2' -p $PGP2 -U hub_admin -d postgres -c 'SELECT pg_is_in_recovery()' | grep -qx t"
BOTH="host=$T/pg,$T/pg2 port=$PGP,$PGP2 target_session_attrs=read-write"
CONN=$BOTH
HUB="$BOTH dbname=cetak_hub user=hub_admin"
hub() { "$B/cetak-hub" -d "$HUB" "$@"; }
check "cetak-hub init creates the schema" hub init
check "and again (it is idempotent)" hub init

# one station: the real cetakd, its ledger receiving and loading blanks
fx_line_config "$T/kantor.conf"
fx_cetakd "$T/kantor.conf" || { notok "cetakd starts"; finish; }
ctl stock receive LOT-H1 100 --doc DN-H1 >/dev/null
ctl stock load A 10 >/dev/null
check "the station is registered with its certificate" hub station add Kantor --cert "$T/pki/ds.pem"
# push SLICE as ROLE: the ack, or the error
push() { # ROLE FILE FIRST LAST
	echo "SELECT hub.push($3, $4, :'body')" |
		$PSQL -X -q -t -A "$CONN user=$1 dbname=cetak_hub" -v body="$(cat "$2")"$'\n' 2>&1
}
last_seq() { tail -n 1 "$1" | jq .end; }
ctl audit export -o "$T/s1" >/dev/null
n1=$(last_seq "$T/s1")
check "the station's chain so far: $n1 records" test "$n1" -ge 2
check "the station pushes its chain: acknowledged up to $n1" test "$(push station_kantor "$T/s1" 1 "$n1")" = "$n1"
hub verify >"$T/v1" 2>&1
expect_grep "cetak-hub verifies and merges it" "station Kantor: records 1 to $n1 verified and merged" "$T/v1"
rows() { psql_admin -d cetak_hub -t -A -c "SELECT count(*) FROM hub.records WHERE station_id = (SELECT id FROM hub.stations WHERE name = '$1')"; }
check "the hub holds $n1 records of it" test "$(rows Kantor)" = "$n1"
hub stock >"$T/stock1"
expect_grep "the district stock shows its store and hoppers" '^Kantor +90 +10 +0 +0 +0 +0' "$T/stock1"
# the same slice again: taken once
check "the same slice pushed twice changes nothing" test "$(push station_kantor "$T/s1" 1 "$n1")" = "$n1"
hub verify >/dev/null 2>&1
check "the records are there exactly once" test "$(rows Kantor)" = "$n1"
# the next slice continues the chain
ctl stock receive LOT-H2 50 --doc DN-H2 >/dev/null
ctl stock load A 5 >/dev/null
ctl audit export -o "$T/s2" --from $((n1 + 1)) >/dev/null
n2=$(last_seq "$T/s2")
check "the next slice is acknowledged" test "$(push station_kantor "$T/s2" $((n1 + 1)) "$n2")" = "$n2"
hub verify >/dev/null 2>&1
check "and merged: $n2 records" test "$(rows Kantor)" = "$n2"
hub --json stock >"$T/stock2.json"
check "the stock follows: 135 in the store, 15 in the hoppers" \
	jq -e '.[] | select(.station == "Kantor") | .store == 135 and .hoppers == 15' "$T/stock2.json"

# least privilege: the station's role can push and read its ack, nothing else
$PSQL -X -q "$CONN user=station_kantor dbname=cetak_hub" -c "SELECT count(*) FROM hub.records" >"$T/priv1" 2>&1
expect_grep "the station's role cannot read the hub's records" 'permission denied' "$T/priv1"
$PSQL -X -q "$CONN user=station_kantor dbname=cetak_hub" -c "DELETE FROM hub.intake" >"$T/priv2" 2>&1
expect_grep "nor change its intake" 'permission denied' "$T/priv2"
$PSQL -X -q "$CONN user=station_kantor dbname=cetak_hub" -c "SELECT hub.push(1, 1, 'x') FROM hub.stations" >"$T/priv3" 2>&1
expect_grep "nor read the station list" 'permission denied' "$T/priv3"

# a station pushing another station's chain under its own role
"$ROOT/scripts/make-test-pki" "$T/pki-upt" >/dev/null 2>&1
hub station add "UPT Satu" --cert "$T/pki-upt/ds.pem" >/dev/null
check "a second station is registered" test "$(push station_upt_satu "$T/s1" 1 "$n1")" = "$n1"
hub verify >/dev/null 2>&1
hub stations >"$T/st1"
expect_grep "a chain signed with another station's key is refused" '^UPT Satu +refused .*another station certificate' "$T/st1"
check "nothing of it was merged" test "$(rows 'UPT Satu')" = 0
push station_upt_satu "$T/s1" 1 "$n1" >"$T/again"
expect_grep "its next push is refused with the reason" 'refused by the hub' "$T/again"

# a forged record: a count changed, every hash after it recomputed without the key
ctl stock receive LOT-H3 30 --doc DN-H3 >/dev/null
ctl audit export -o "$T/s3" --from $((n2 + 1)) >/dev/null
n3=$(last_seq "$T/s3")
python3 - "$T/s3" "$T/s3.forged" <<'PY'
import hashlib, json, sys
lines = open(sys.argv[1]).read().split("\n")
out, prev = [], None
for l in lines:
    if not l:
        continue
    o = json.loads(l)
    if "seq" in o:
        if prev is None:
            prev = bytes.fromhex(o["prev"])
        if o.get("count") == 30:
            o["count"] = 3000  # the forgery
        o.pop("hash"); o.pop("prev")
        text = json.dumps(o, separators=(",", ":"), sort_keys=True)
        h = hashlib.sha256(prev + text.encode()).digest()
        o["prev"], o["hash"] = prev.hex(), h.hex()
        prev = h
        l = json.dumps(o, separators=(",", ":"), sort_keys=True)
    elif "end" in o:
        o["head"] = prev.hex()
        l = json.dumps(o, separators=(",", ":"), sort_keys=True)
    out.append(l)
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
check "the forged slice differs from the real one" sh -c "! cmp -s '$T/s3' '$T/s3.forged'"
push station_kantor "$T/s3.forged" $((n2 + 1)) "$n3" >/dev/null
hub verify >/dev/null 2>&1
hub stations >"$T/st2"
expect_grep "a forged record is refused: the station is stopped with the reason" "^Kantor +refused .*signature" "$T/st2"
check "nothing of the forged slice was merged" test "$(rows Kantor)" = "$n2"
hub alarms >"$T/alarms"
expect_grep "an alarm is raised" "Kantor +chain +the slice from record $((n2 + 1)) does not verify" "$T/alarms"
psql_admin -d cetak_hub -t -A -c "SELECT count(*) FROM hub.refused" >"$T/refused"
check "the refused slices are kept for the investigation" test "$(cat "$T/refused")" = 2

# a station of its own: cetakd pushes its chain by itself, offline or not
kill "$FX_CETAKD_PID"; wait "$FX_CETAKD_PID" 2>/dev/null
rm -rf "$T/state" "$T/spool" "$T/run" "$T/pki"
fx_line_config "$T/tiga.conf" "hub = { conninfo = \"$BOTH dbname=cetak_hub user=station_upt_tiga\"; push_interval = 5; timeout = 3; };"
hub station add "UPT Tiga" --cert "$T/pki/ds.pem" >/dev/null
fx_cetakd "$T/tiga.conf" || { notok "cetakd starts with a hub"; finish; }
"$B/cetak-hub" -d "$HUB" run >"$T/hubrun.log" 2>&1 &
HUBRUN=$!
FX_PIDS="$FX_PIDS $HUBRUN"
ctl stock receive LOT-T1 200 --doc DN-T1 >/dev/null
ctl stock load A 20 >/dev/null
ctl hub push >/dev/null
chain() { ctl --json hub | jq .records; }
synced() { [ "$(rows 'UPT Tiga')" = "$(chain)" ] && [ "$(ctl --json hub | jq .waiting)" = 0 ]; }
check "cetakd pushes its chain and cetak-hub run merges it as it arrives" wait_for 20 synced
ctl hub >"$T/hub1"
expect_grep "cetakctl hub says what the hub holds" '^held by the hub: +[0-9]+ \(0 waiting\)' "$T/hub1"
# the hub goes away: the station goes on, and says so
kill -INT "$FX_PG_PID_pg"; wait "$FX_PG_PID_pg" 2>/dev/null
t0=$(date +%s%N)
ctl stock receive LOT-T2 40 --doc DN-T2 >/dev/null
ctl stock load A 5 >/dev/null
ctl hub push >/dev/null
t1=$(date +%s%N)
check "with the hub down, the station's own work takes no longer ($(((t1 - t0) / 1000000)) ms)" test $(((t1 - t0) / 1000000)) -lt 2000
check "cetakctl hub says the hub is unreachable" wait_for 15 sh -c "'$B/cetakctl' -s '$T/run/control' hub | grep -q 'last round failed: .*unreachable'"
check "and what waits" test "$(ctl --json hub | jq .waiting)" -ge 2
# back: it catches up, exactly once
fx_pg_start "$T/pg" "$PGP"
FX_PG_PID_pg=$FX_PG_PID
kill "$HUBRUN" 2>/dev/null; wait "$HUBRUN" 2>/dev/null
"$B/cetak-hub" -d "$HUB" run >>"$T/hubrun.log" 2>&1 &
FX_PIDS="$FX_PIDS $!"
ctl hub push >/dev/null
check "the hub back, the station catches up" wait_for 30 synced
check "every record once: the hub's rows are the chain's records, in order" test \
	"$(psql_admin -d cetak_hub -t -A -c "SELECT count(*) = max(seq) AND min(seq) = 1 FROM hub.records r JOIN hub.stations s ON s.id = r.station_id WHERE s.name = 'UPT Tiga'")" = t
hub --json stock >"$T/stock3.json"
check "the district stock: 240 received, 25 in the hopper" \
	jq -e '.[] | select(.station == "UPT Tiga") | .store == 215 and .hoppers == 25' "$T/stock3.json"

# failover: the primary dies, the standby is promoted, the station pushes on
rows2() { $PSQL -X -t -A -h "$T/pg2" -p "$PGP2" -U hub_admin -d cetak_hub -c "SELECT count(*) FROM hub.records r JOIN hub.stations s ON s.id = r.station_id WHERE s.name = 'UPT Tiga'"; }
caught_up() { [ "$(rows2)" = "$(rows 'UPT Tiga')" ]; }
check "the standby has caught up" wait_for 15 caught_up
kill -9 "$FX_PG_PID_pg"; wait "$FX_PG_PID_pg" 2>/dev/null
$PSQL -X -q -h "$T/pg2" -p "$PGP2" -U hub_admin -d postgres -c "SELECT pg_promote()" >/dev/null
check "the standby is promoted" wait_for 15 sh -c \
	"$PSQL -X -t -A -h '$T/pg2' -p $PGP2 -U hub_admin -d postgres -c 'SELECT pg_is_in_recovery()' | grep -qx f"
ctl stock receive LOT-T3 60 --doc DN-T3 >/dev/null
ctl stock load A 7 >/dev/null
ctl hub push >/dev/null
synced2() { [ "$(rows2)" = "$(chain)" ] && [ "$(ctl --json hub | jq .waiting)" = 0 ]; }
check "the station pushes to the promoted standby, cetak-hub run verifies there" wait_for 40 synced2
check "nothing lost, nothing doubled after the failover" test \
	"$($PSQL -X -t -A -h "$T/pg2" -p "$PGP2" -U hub_admin -d cetak_hub -c "SELECT count(*) = max(seq) AND min(seq) = 1 FROM hub.records r JOIN hub.stations s ON s.id = r.station_id WHERE s.name = 'UPT Tiga'")" = t

# transfers with two ends: UPT Tiga sends, UPT Empat receives
ctl stock transfer 30 --doc ST-1 --to "UPT Empat" >/dev/null
ctl stock transfer 10 --doc ST-2 --to "UPT Empat" >/dev/null
ctl stock transfer 5 --doc ST-3 --to "UPT Empat" >/dev/null
ctl hub push >/dev/null
check "the transfers reach the hub" wait_for 30 synced2
kill "$FX_CETAKD_PID"; wait "$FX_CETAKD_PID" 2>/dev/null
mv "$T/state" "$T/state-tiga"; mv "$T/pki" "$T/pki-tiga"; rm -rf "$T/spool" "$T/run"
fx_line_config "$T/empat.conf" "hub = { conninfo = \"$BOTH dbname=cetak_hub user=station_upt_empat\"; push_interval = 5; timeout = 3; };"
hub station add "UPT Empat" --cert "$T/pki/ds.pem" >/dev/null
fx_cetakd "$T/empat.conf" || { notok "the receiving station starts"; finish; }
ctl stock receive LOT-E1 30 --from "UPT Tiga" >"$T/nodoc" 2>&1
expect_grep "blanks from another station need its transfer document" 'need its transfer document' "$T/nodoc"
ctl stock receive ST-1 30 --from "UPT Tiga" --doc ST-1 >/dev/null
ctl stock receive ST-2 12 --from "UPT Tiga" --doc ST-2 >/dev/null
ctl stock receive ST-9 4 --from "UPT Tiga" --doc ST-9 >/dev/null
ctl hub push >/dev/null
empat_synced() { [ "$(rows2e)" = "$(chain)" ] && [ "$(ctl --json hub | jq .waiting)" = 0 ]; }
rows2e() { $PSQL -X -t -A -h "$T/pg2" -p "$PGP2" -U hub_admin -d cetak_hub -c "SELECT count(*) FROM hub.records r JOIN hub.stations s ON s.id = r.station_id WHERE s.name = 'UPT Empat'"; }
check "the receipts reach the hub" wait_for 30 empat_synced
hub transfers >"$T/transfers"
expect_grep "a transfer received in full is matched end to end" '^UPT Tiga +UPT Empat +ST-1 +30 .* 30 .* received$' "$T/transfers"
expect_grep "a receipt of another count is mismatched" '^UPT Tiga +UPT Empat +ST-2 +10 .* 12 .* mismatched$' "$T/transfers"
expect_grep "a transfer not received yet is in transit" '^UPT Tiga +UPT Empat +ST-3 +5 .* - +- +in_transit$' "$T/transfers"
expect_grep "a receipt without its sending record is named" '^UPT Tiga +UPT Empat +ST-9 +- .* 4 .* no_sender_record$' "$T/transfers"
expect_grep "with the counts" '^received 1, in transit 1, mismatched 1, received without a sending record 1$' "$T/transfers"
hub --json stock >"$T/stock4.json"
check "the sender's blanks in transit are those no receipt names yet (ST-3: 5)" \
	jq -e '.[] | select(.station == "UPT Tiga") | .in_transit == 5' "$T/stock4.json"
hub transfers --older 1 >"$T/transfers-old"
expect_grep "none is in transit for more than a day yet" '^received 0, in transit 0' "$T/transfers-old"

# the district's alarms: a silent station, a transfer in transit too long
psql_admin -c "UPDATE hub.stations SET last_push = now() - interval '30 hours' WHERE name = 'UPT Tiga'"
hub check --silent-hours 24 --transit-days 0 --metrics "$T/hub.prom" 2>"$T/check1"
expect_grep "a station silent for more than 24 hours raises an alarm on the journal" \
	'alarm: station UPT Tiga: no push for more than 24 hours' "$T/check1"
expect_grep "a transfer in transit too long raises one" \
	'alarm: station UPT Tiga: transfer ST-3 of 5 blanks to UPT Empat in transit for more than 0 days' "$T/check1"
check "the mismatched and received ones raise none" sh -c "! grep -q 'ST-1\|ST-2' '$T/check1'"
hub check --silent-hours 24 --transit-days 0 2>"$T/check2"
check "an alarm is raised once, not at every check" test ! -s "$T/check2"
hub alarms >"$T/alarms1"
expect_grep "both are in the alarms" 'UPT Tiga +silent +no push for more than 24 hours' "$T/alarms1"
expect_grep "the Prometheus file has each station's gauges" '^cetak_hub_last_push_age_seconds\{station="UPT Tiga"\} 10[0-9]{4}$' "$T/hub.prom"
expect_grep "and the refused one" '^cetak_hub_refused\{station="Kantor"\} 1$' "$T/hub.prom"

# an oversized slice: refused, an alarm, nothing taken
"$ROOT/scripts/make-test-pki" "$T/pki-big" >/dev/null 2>&1
hub station add "UPT Dua" --cert "$T/pki-big/ds.pem" >/dev/null
check "an oversized slice is refused (-1)" test "$(push station_upt_dua "$T/s1" 1 30000 | tail -1)" = -1
hub alarms >"$T/alarms2"
expect_grep "with an alarm" "UPT Dua +oversized +a slice of records 1 to 30000" "$T/alarms2"
finish
