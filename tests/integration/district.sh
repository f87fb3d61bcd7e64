#!/bin/bash
# The district's views, alarms and monthly report at the hub (cetak-hub on a
# private PostgreSQL 15), over three stations' signed books made by the real
# ledger for 44 simulated days (tests/fixtures/stationgen): the office, which
# sends blanks to a UPT; a UPT short of blanks; a UPT offline for a week whose
# printer printed cards outside cetakd. Every figure is checked against the
# stations' own chains (their ledgers), not against the hub itself.
. "$(dirname "$0")/../lib.sh"

PGP=$(($(fx_port) + 1100))
fx_postgres pg "$PGP" || { notok "a private PostgreSQL starts"; finish; }
PSQL="/usr/bin/psql -X -q -v ON_ERROR_STOP=1"
CONN="host=$T/pg port=$PGP"
$PSQL "$CONN user=hub_admin dbname=postgres" -c "CREATE DATABASE cetak_hub" >/dev/null
HUB="$CONN dbname=cetak_hub user=hub_admin"
hub() { "$B/cetak-hub" -d "$HUB" "$@"; }
sql() { $PSQL -t -A "$HUB" -c "$1"; }
hub init >/dev/null
check "the office's name for the reports" hub set office "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Contoh"
hub set timezone Asia/Nowhere >"$T/tz" 2>&1
expect_grep "an unknown time zone is refused with the ones to use" "time zone 'Asia/Nowhere' unknown: Asia/Jakarta" "$T/tz"

# 44 days up to yesterday, in WIB (UTC+7)
now=$(date +%s)
START=$(((now + 7 * 3600) / 86400 * 86400 - 7 * 3600 - 44 * 86400))
# the report's month: the first day's, complete at the hub
MONTH=$(TZ=Asia/Jakarta date -d "@$((START + 3600))" +%Y-%m)
NOW_MONTH=$(TZ=Asia/Jakarta date +%Y-%m)
gen() { # NAME SEED ARGS...: the station's chain, registered, in slices
	local name=$1 dir=$T/st-$2
	mkdir -p "$dir/slices"
	"$ROOT/scripts/make-test-pki" "$dir/pki" >/dev/null 2>&1
	"$B/tests/stationgen" "$dir" "$dir/pki/ds.key" "$dir/pki/ds.pem" "$name" "$START" 44 20 40 \
		--seed "$2" --slices "$dir/slices" "${@:3}" >/dev/null || return 1
	hub station add "$name" --cert "$dir/pki/ds.pem" >/dev/null
}
check "the office's books: 44 days" gen Kantor 1 --stock 5000 --send "UPT Satu:500:TR-001"
check "UPT Satu's: short of blanks, receiving from the office" gen "UPT Satu" 2 --stock 1300 --recv "Kantor:500:TR-001"
check "UPT Dua's: sending 50 to UPT Satu, 3 cards printed outside cetakd" gen "UPT Dua" 3 --send "UPT Satu:50:TR-002" --outside 3
push() { # ROLE FILE: push one slice as the station's role
	local f=${2##*/}
	# psql's backticks drop the last newline: an x after it, cut in SQL
	printf "\\set body \`cat %s; echo x\`\nSELECT hub.push(%s, %s, left(:'body', -1));\n" \
		"$2" "${f%-*}" "${f#*-}" |
		/usr/bin/psql -X -q -t -A "$CONN user=$1 dbname=cetak_hub" >/dev/null
}
push_all() { # ROLE DIR [COUNT]: its slices in order (the first COUNT)
	local n=0
	for f in $(ls "$2/slices" | sort -n); do
		n=$((n + 1))
		[ -n "${3:-}" ] && [ "$n" -gt "$3" ] && break
		push "$1" "$2/slices/$f"
	done
}
push_all station_kantor "$T/st-1"
push_all station_upt_satu "$T/st-2"
# UPT Dua goes offline after its first slice
push_all station_upt_dua "$T/st-3" 1
hub verify >/dev/null
# what each station's own ledger holds: "issued spoiled"
replay() { # DIR
	sqlite3 "$1/ledger.db" "SELECT (SELECT count(*) FROM events WHERE kind = 'issue'), (SELECT count(*) FROM events WHERE kind = 'spoil')"
}
hub --json usage --days 60 >"$T/usage.json"
for i in 1 2; do
	name=$([ $i = 1 ] && echo Kantor || echo "UPT Satu")
	want=$(replay "$T/st-$i" | tr '|' ' ')
	got=$(jq -r --arg s "$name" '[.[] | select(.station == $s)] | "\(map(.issued) | add) \(map(.spoiled) | add)"' "$T/usage.json")
	check "usage: $name's issued and spoiled per day add up to its chain's ($want)" test "$got" = "$want"
done
check "usage: each day is one row per station with the spoiled by cause adding up" \
	jq -e 'all(.[]; (.by_cause | add // 0) == .spoiled)' "$T/usage.json"
hub usage --days 3 >"$T/usage.txt"
expect_grep "the table names the station, the day and the causes" '^Kantor +[0-9]{4}-[0-9]{2}-[0-9]{2} +[0-9]+ +[0-9]+' "$T/usage.txt"

# UPT Dua: offline for a week; its books at the hub end early
sql "UPDATE hub.stations SET last_push = now() - interval '8 days' WHERE name = 'UPT Dua'" >/dev/null
hub check --silent-hours 48 --command "$T/alarm-cmd" 2>"$T/check1"
cat >"$T/alarm-cmd" <<EOF
#!/bin/sh
cat >>"$T/alarms.jsonl"
EOF
chmod +x "$T/alarm-cmd"
expect_grep "an alarm command that is not there is named (and the check goes on)" "alarm command $T/alarm-cmd failed|alarm: station UPT Dua: no push for more than 48 hours" "$T/check1"
sql "DELETE FROM hub.alarms" >/dev/null
hub check --silent-hours 48 --command "$T/alarm-cmd" 2>"$T/check2"
expect_grep "the UPT offline for a week raises the silent alarm" 'alarm: station UPT Dua: no push for more than 48 hours' "$T/check2"
check "the alarm command got it as JSON" jq -e -s 'any(.[]; .kind == "silent" and .station == "UPT Dua")' "$T/alarms.jsonl"
hub report "$NOW_MONTH" >"$T/report-partial.txt"
expect_grep "the monthly report marks the station whose books end early" '^UPT Dua .*  \*$' "$T/report-partial.txt"
# back online: it catches up
push_all station_upt_dua "$T/st-3"
hub verify >/dev/null
last3=$(ls "$T/st-3/slices" | sort -n | tail -1)
check "UPT Dua caught up: the hub holds its whole chain (${last3#*-} records)" \
	test "$(sql "SELECT head_seq FROM hub.stations WHERE name = 'UPT Dua'")" = "${last3#*-}"
want=$(replay "$T/st-3" | tr '|' ' ')
hub --json usage --days 60 >"$T/usage2.json"
check "and its figures are whole ($want)" test \
	"$(jq -r '[.[] | select(.station == "UPT Dua")] | "\(map(.issued) | add) \(map(.spoiled) | add)"' "$T/usage2.json")" = "$want"

# transfers: the office's to UPT Satu received; UPT Dua's in transit
hub transfers >"$T/transfers"
expect_grep "the office's transfer is matched at UPT Satu" '^Kantor +UPT Satu +TR-001 +500 .* 500 .* received$' "$T/transfers"
expect_grep "UPT Dua's is in transit" '^UPT Dua +UPT Satu +TR-002 +50 .* in_transit$' "$T/transfers"

# cover and the proposal: UPT Satu runs short, the office has spare
hub --json cover --lead-days 30 >"$T/cover.json"
check "UPT Satu's cover is under the lead time" jq -e '.stations[] | select(.station == "UPT Satu") | .days_of_cover < 30 and .needs > 0 and .in_transit == 50' "$T/cover.json"
check "the office has spare blanks" jq -e '.stations[] | select(.station == "Kantor") | .spare > 0' "$T/cover.json"
check "the proposal sends the office's spare to UPT Satu" jq -e '.proposal | any(.from == "Kantor" and .to == "UPT Satu" and .count > 0)' "$T/cover.json"
check "the district's on hand is every station's and what is in transit" \
	jq -e '.district.on_hand == ([.stations[] | .on_hand + .in_transit] | add)' "$T/cover.json"
hub cover --lead-days 30 >"$T/cover.txt"
expect_grep "the proposal as a person reads it" '^  Kantor +-> UPT Satu +[0-9]+ blanks$' "$T/cover.txt"
# reserve and district cover alarms
hub station set "UPT Satu" --reserve 100000 >/dev/null
hub station set "UPT Sembilan" --reserve 5 >"$T/set" 2>&1
expect_grep "a reserve for a station not registered is refused" 'no station UPT Sembilan' "$T/set"
hub check --lead-days 1000 --command "$T/alarm-cmd" 2>"$T/check3"
expect_grep "a station under its reserve raises an alarm" 'alarm: station UPT Satu: [0-9]+ blanks on hand, at or under the reserve of 100000' "$T/check3"
expect_grep "the district's cover under the lead time raises one, with what to order" 'alarm: district: the district.s [0-9]+ blanks .* under the lead time of 1000 days: order [0-9]+ blanks' "$T/check3"
check "both went to the alarm command" jq -e -s 'any(.[]; .kind == "reserve") and any(.[]; .kind == "cover" and .station == "district")' "$T/alarms.jsonl"
hub check --lead-days 1000 --metrics "$T/hub.prom" 2>"$T/check4"
check "each once a day, not at every check" test ! -s "$T/check4"
hub --json alarms >"$T/alarms.json"
check "cetak-hub alarms lists them, the district's with no station" \
	jq -e 'any(.[]; .kind == "reserve" and .station == "UPT Satu") and any(.[]; .kind == "cover" and .station == "district")' "$T/alarms.json"
expect_grep "the Prometheus file has the blanks on hand per station" '^cetak_hub_on_hand\{station="Kantor"\} [0-9]+$' "$T/hub.prom"
expect_grep "and the cards printed outside cetakd" '^cetak_hub_outside_prints\{station="UPT Dua"\} 3$' "$T/hub.prom"

# cards waiting for collection
hub --json collection >"$T/coll.json"
bal_waiting=$(sql "SELECT sum((balance->'custody'->>'issued')::int + (balance->'custody'->>'stored')::int) FROM hub.stations")
check "the cards waiting are the chains' cards in custody ($bal_waiting)" \
	test "$(jq '[.[].waiting] | add' "$T/coll.json")" = "$bal_waiting"
check "the Prometheus file's cards waiting are the same" test \
	"$(grep '^cetak_hub_waiting_cards' "$T/hub.prom" | awk '{s += $NF} END {print s}')" = "$bal_waiting"
check "by age, they add up" jq -e 'all(.[]; .under_7_days + .days_7_to_29 + .days_30_to_89 + .days_90_or_more == .waiting)' "$T/coll.json"
hub collection --older 30 >"$T/coll-old.txt"
expect_grep "the list of those waiting longer than 30 days names job, chip and box" '^Kantor +J1-[0-9]+ +04[0-9A-F]+ +[0-9-]+ +stored +3[0-9]  BOX-[0-9]+$' "$T/coll-old.txt"

# printers
hub printers >"$T/printers"
expect_grep "the cards printed outside cetakd are shown" '^UPT Dua +A +[0-9]+ +RB-3-[0-9]+ +[0-9]+/250 +[0-9]+ +3  printed outside' "$T/printers"
expect_grep "and counted for the district" '^cards printed outside cetakd, not yet explained: 3$' "$T/printers"

# the monthly report
hub report "$MONTH" >"$T/report.txt"
# (in Bahasa Indonesia, the hub's default language for documents)
expect_grep "the report balances every station over the month" "^pembukuan setiap stasiun seimbang selama bulan ini" "$T/report.txt"
expect_grep "with the transfers matched" "dokumen TR-001: cocok" "$T/report.txt"
expect_grep "and the signature lines of the berita acara" "Mengetahui, Kepala Dinas" "$T/report.txt"
hub report "$MONTH" --format json -o "$T/report.json" >/dev/null
m0=$(TZ=Asia/Jakarta date -d "$MONTH-01" +%s)
m1=$(TZ=Asia/Jakarta date -d "$MONTH-01 +1 month" +%s)
want=$(for i in 1 2 3; do sqlite3 "$T/st-$i/ledger.db" "SELECT count(*) FROM events WHERE kind = 'issue' AND at >= $m0 AND at < $m1"; done | paste -sd+ | bc)
check "the month's issued cards are the chains' ($want)" jq -e --argjson w "$want" '.totals.issued == $w and .balanced' "$T/report.json"
hub report "$MONTH" --format csv -o "$T/report.csv" >/dev/null
expect_grep "the CSV has stable English headers" '^section,station,item,value,note$' "$T/report.csv"
expect_grep "and a row per figure" '^period,Kantor,issued,[0-9]+,$' "$T/report.csv"
check "the PDF is made" hub report "$MONTH" --format pdf -o "$T/report.pdf"
check "it is a PDF of one or more A4 pages" sh -c "pdfinfo '$T/report.pdf' | grep -q 'Page size: *595'"
pdftoppm -r 60 -png -f 1 -l 1 "$T/report.pdf" "$T/report" 2>/dev/null
# the check can fail: a figure off by one at the hub is caught
sql "UPDATE hub.usage SET issued = issued + 1 WHERE ctid = (SELECT u.ctid FROM hub.usage u JOIN hub.stations s ON s.id = u.station_id WHERE s.name = 'UPT Satu' AND to_char(u.day, 'YYYY-MM') = '$MONTH' LIMIT 1)" >/dev/null
hub report "$MONTH" >"$T/report-bad.txt"
expect_grep "a movement that does not match the replayed balance is shown wrong (SALAH)" '^UPT Satu .* SALAH' "$T/report-bad.txt"
expect_grep "and said in words" 'ADA PEMBUKUAN YANG TIDAK SEIMBANG' "$T/report-bad.txt"
# the writers against their golden files (make update-golden), from a saved report
"$B/cetak-hub" report --from-json "$ROOT/tests/data/district-report.json" >"$T/golden.txt"
check "the text report is its golden file" cmp "$T/golden.txt" "$ROOT/tests/golden/district-report.txt"
"$B/cetak-hub" report --from-json "$ROOT/tests/data/district-report.json" --format csv -o "$T/golden.csv" >/dev/null
check "the CSV report is its golden file" cmp "$T/golden.csv" "$ROOT/tests/golden/district-report.csv"
echo '{"month": "2026-10"}' >"$T/notreport.json"
"$B/cetak-hub" report --from-json "$T/notreport.json" >"$T/notreport" 2>&1
expect_grep "a JSON that is not a district report is refused" 'not a district report' "$T/notreport"
# records out of order: a station's slice with two records swapped is
# refused with the reason, nothing of it merged, an alarm raised
check "a fourth station's books" gen "UPT Empat" 4 --stock 500
first=$(ls "$T/st-4/slices" | sort -n | head -1)
awk 'NR == 5 { held = $0; next } NR == 6 { print; print held; next } { print }' \
	"$T/st-4/slices/$first" >"$T/swapped"
check "the swapped slice differs from the real one" sh -c "! cmp -s '$T/swapped' '$T/st-4/slices/$first'"
cp "$T/swapped" "$T/$first"
push station_upt_empat "$T/$first"
hub verify >/dev/null 2>&1
hub stations >"$T/st-swap"
expect_grep "records out of order are refused, with the reason" '^UPT Empat +refused .*record 4 expected, found seq 5' "$T/st-swap"
check "nothing of them was merged" test "$(sql "SELECT count(*) FROM hub.records r JOIN hub.stations s ON s.id = r.station_id WHERE s.name = 'UPT Empat'")" = 0
hub --json alarms >"$T/alarms-swap.json"
check "and the chain alarm is raised" jq -e 'any(.[]; .kind == "chain" and .station == "UPT Empat")' "$T/alarms-swap.json"
hub report 2026-13 >"$T/badmonth" 2>&1
expect_grep "a month that is not one is refused with the form to use" "month '2026-13': give it as YYYY-MM" "$T/badmonth"
# --- the district dashboard (cetak-hub serve) in headless Chromium ---
for u in cetakweb-op:users cetakweb-sup:staff; do
	id "${u%%:*}" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin -G "${u#*:}" "${u%%:*}"
done
printf '%s\n' cetakweb-op:op-Sandi-1 cetakweb-sup:sup-Sandi-1 | chpasswd
CETAK_PAM_CONFDIR=$ROOT/etc/pam.d "$B/cetak-hub" -d "$HUB" serve --port 0 --static "$ROOT/web/static" \
	--supervisors staff --viewers users >"$T/serve.out" 2>"$T/serve.err" &
SERVE=$!
FX_PIDS="$FX_PIDS $SERVE"
wait_for 10 grep -q 'served on' "$T/serve.out"
HURL=$(sed -n 's|.*served on \(http://[^/]*\)/.*|\1|p' "$T/serve.out")
check "cetak-hub serve serves the district dashboard on 127.0.0.1" \
	sh -c "echo '$HURL' | grep -Eq '^http://127\.0\.0\.1:[0-9]+$'"
/usr/bin/python3 "$ROOT/tests/integration/hub_browser.py" "$HURL" "$MONTH" "$T" "$B/test-logs/web-shots" \
	2>&1 | tee "$T/hub-browser.out"
expect_grep "the district browser scenario ran to its end" '^# hub browser scenario complete' "$T/hub-browser.out"
curl -s -c "$T/hjar" -o /dev/null -d 'user=cetakweb-op&password=op-Sandi-1' "$HURL/login"
check "the district API answers the cover as JSON" \
	sh -c "curl -s -b '$T/hjar' '$HURL/api/cover' | jq -e '.ok and (.data.stations | length) >= 3'"
check "a viewer may not read the report through the API" \
	sh -c "curl -s -b '$T/hjar' '$HURL/api/report?month=$MONTH' | jq -e '.ok == false'"
"$B/cetak-hub" -d "$HUB" serve --listen 0.0.0.0 --port 0 >"$T/serve-lan" 2>&1
check "serving the LAN without TLS is refused" test $? = 2
expect_grep "with the fix" 'give --tls-cert and --tls-key' "$T/serve-lan"
kill -TERM $SERVE
check "SIGTERM ends the dashboard" wait_for 10 sh -c "! kill -0 $SERVE 2>/dev/null"
finish
