#!/bin/bash
# The blank-card ledger through the real daemon and cetakctl: receive, load,
# stocktake, transfer with the roles each needs; refusals that would break
# the invariant; the scheduler's reserve rule fed by the ledger; a signed
# audit export checked offline by cetak-audit, and tampering caught.
. "$(dirname "$0")/../lib.sh"

"$ROOT/scripts/make-test-pki" "$T/pki" >/dev/null 2>&1
fx_config "$T/c.conf" "schedule = { stock_reserve = 10; };
ledger = { station_key = \"$T/pki/ds.key\"; station_cert = \"$T/pki/ds.pem\"; checkpoint_every = 5; };
lines = ( { name = \"A\"; printer = \"cups\"; cups_queue = \"card\"; reader = \"none*\"; } );"
fx_cetakd "$T/c.conf" || { notok "cetakd starts with a ledger"; finish; }

ctl stock >"$T/s0"
expect_grep "a new ledger holds nothing" '^blanks: +0 on hand \(store 0, hoppers 0\), reserve 10' "$T/s0"
op stock receive LOT-2026-11-A 20 --doc DN-0042 >"$T/r1" 2>&1
check "an operator receives a lot" test $? = 0
expect_grep "the balance shows it" '^blanks: +20 on hand \(store 20' "$T/r1"
op stock load A 8 >/dev/null 2>&1
check "an operator loads a hopper" grep -Eq '^line A +hopper 8' <(ctl stock)
op stock load A 50 >"$T/over" 2>&1
check "loading more than the store holds is refused (exit 1)" test $? = 1
expect_grep "with the numbers" 'load refused: load of 50: the store holds 12' "$T/over"
op stock load Z 1 >"$T/noline" 2>&1
expect_grep "an unknown line is refused" "no line 'Z' is configured" "$T/noline"
op stock count 11 >"$T/c1" 2>&1
expect_grep "a stocktake that differs needs a reason" 'differs from the books \(12\): a reason is needed' "$T/c1"
op stock count 11 --reason "one blank cracked in its sleeve" >/dev/null 2>&1
expect_grep "the difference is recorded, not overwritten" 'stocktake differences -1' <(ctl stock)
op stock transfer 2 --doc ST-7 >"$T/t-op" 2>&1
expect_grep "an operator may not transfer" "'stock-transfer' is a supervisor command" "$T/t-op"
ctl stock transfer 2 --doc ST-7 >/dev/null 2>&1
check "a supervisor may" grep -q '^transferred: 2' <(ctl stock)
ctl stock destroy 1 --doc BA-1 >"$T/d" 2>&1
expect_grep "nothing spoiled, nothing to destroy" 'at most the 0 spoiled cards' "$T/d"
ctl stock check >"$T/chk" 2>&1
expect_grep "the ledger checks out" 'the invariant holds' "$T/chk"

# the scheduler's reserve rule reads the ledger: 17 on hand > reserve 10
"$B/tests/jobgen" -n 2 -o "$T/jobs" -m replacement -k 4 >/dev/null
ctl submit "$T/jobs/JOB-000001.json" >"$T/q1" 2>&1
expect_grep "above the reserve a replacement is queued" 'JOB-000001: accepted, queued' "$T/q1"
ctl stock transfer 8 --doc ST-8 >/dev/null 2>&1
ctl submit "$T/jobs/JOB-000002.json" >/dev/null 2>&1
check "at 9 blanks (reserve 10) replacements are deferred" wait_for 5 sh -c \
	"'$B/cetakctl' -s '$T/run/control' job show JOB-000002 | grep -q 'deferred - blank stock below reserve (9 left, reserve 10)'"

# the signed audit export, checked offline; job state changes are chained too
led() { sqlite3 "$T/state/ledger.db" "$1"; }
chained() { wait_for 5 sh -c "[ \$(sqlite3 '$T/state/ledger.db' \"SELECT count(*) FROM events WHERE kind = 'job'\") = \$(sqlite3 '$T/state/cetak.db' 'SELECT count(*) FROM job_events') ]"; }
check "the jobs' state changes are chained into the audit log" chained
R=$(led "SELECT count(*) FROM events")
C=$(led "SELECT count(*) FROM checkpoints")
ctl audit export -o "$T/audit.jsonl" >"$T/ex" 2>&1
check "a supervisor exports the audit" test -s "$T/audit.jsonl"
op audit export -o "$T/op.jsonl" >"$T/ex-op" 2>&1
expect_grep "an operator may not" "'audit-export' is a supervisor command" "$T/ex-op"
"$B/cetak-audit" verify "$T/audit.jsonl" --cert "$T/pki/ds.pem" >"$T/v" 2>&1
check "cetak-audit verifies it (exit 0)" test $? = 0
expect_grep "and sums it up" "^OK: $R records, $C signed checkpoints; received 20, in store 1, issued 0" "$T/v"
sed -i '3s/"count":8/"count":7/' "$T/audit.jsonl"
"$B/cetak-audit" verify "$T/audit.jsonl" --cert "$T/pki/ds.pem" >"$T/v2" 2>&1
check "a changed count is caught (exit 1)" test $? = 1
expect_grep "at its line" '^BAD: .* line 3: record 2 does not match its hash' "$T/v2"

# today's report through the daemon: supervisors only; the text, CSV and JSON forms
ctl report daily >"$T/rep" 2>&1
check "a supervisor gets the daily report (exit 0)" test $? = 0
# (in Bahasa Indonesia: station.document_language is id by default)
expect_grep "it balances today's movements" '^diterima +\+20$' "$T/rep"
expect_grep "with the stocktake difference and its reason" \
	'selisih -1, oleh .*: one blank cracked in its sleeve' "$T/rep"
expect_grep "and says the books balance" '^pembukuan seimbang selama periode ini' "$T/rep"
ctl report monthly --format csv >"$T/rep.csv" 2>&1
expect_grep "the monthly CSV carries the transfers" '^period,,,,transferred,10,$' "$T/rep.csv"
ctl report range --from 2020-01-01 --to 2020-01-31 --format json >"$T/rep.json" 2>&1
expect_grep "an empty past range comes out as JSON with nothing received" '^    "received": 0,$' "$T/rep.json"
expect_grep "and balanced" '^  "balanced": true,$' "$T/rep.json"
ctl report monthly --format pdf -o "$T/month.pdf" >"$T/rep-pdf" 2>&1
check "the monthly PDF is written" grep -q 'month.pdf: monthly report written' "$T/rep-pdf"
check "it opens, with the office header and the signature lines" sh -c \
	"pdftotext '$T/month.pdf' - | grep -q 'Test station' && pdftotext '$T/month.pdf' - | grep -q 'Saksi 2'"
ctl report daily --format pdf -o "$T/no/such/dir/r.pdf" >"$T/rep-nodir" 2>&1
check "a PDF that cannot be written fails (exit 1)" test $? = 1
ctl report daily --format pdf >"$T/rep-nopdf" 2>&1
check "a PDF without -o is a usage error (exit 2)" test $? = 2
op report daily >"$T/rep-op" 2>&1
expect_grep "an operator may not" "'report' is a supervisor command" "$T/rep-op"
ctl report daily --date 2026-13-01 >"$T/rep-bad" 2>&1
check "a bad date is a usage error (exit 2)" test $? = 2

# restart: the books survive, and the shutdown signs a checkpoint over the
# last record
ctl stock count 1 >/dev/null 2>&1
chained
kill -TERM "$FX_CETAKD_PID"; wait "$FX_CETAKD_PID" 2>/dev/null
LAST=$(led "SELECT max(seq) FROM events")
check "the shutdown signed a checkpoint over the last record" \
	test "$(led "SELECT count(*) FROM checkpoints WHERE seq = $LAST")" = 1
fx_cetakd "$T/c.conf"
expect_grep "the balance survives a restart" '^blanks: +9 on hand' <(ctl stock)
chained
R=$(led "SELECT count(*) FROM events")
C=$(led "SELECT count(*) FROM checkpoints")
ctl audit export -o "$T/audit2.jsonl" >/dev/null 2>&1
"$B/cetak-audit" verify "$T/audit2.jsonl" --cert "$T/pki/ds.pem" >"$T/v3" 2>&1
expect_grep "after the restart the export verifies, with every checkpoint" \
	"^OK: $R records, $C signed checkpoints" "$T/v3"
finish
