#!/bin/bash
# Personal data kept no longer than needed, through the real daemon: the
# photo, signature, fingerprints and phone number of a job stay while its
# card waits in custody, and are removed custody.retention_days after the
# card is collected, transferred or withdrawn (or the job cancelled), so
# that their bytes are found nowhere in the job store's files; a refused job
# file in the spool goes too. The custody record, the ledger and the audit
# chain stay whole and verify; cetakctl shows what is held and until when.
. "$(dirname "$0")/../lib.sh"

P=$(fx_port)
fx_pcscd "$P" || { notok "private pcscd starts"; finish; }
fx_card "$P" "$T/cards" -S -c 1000 -m 4096
wait_for 5 "$B/tests/pcsc_probe" -r "*00 00" -t 1 FFCA000000 || echo "# no card in the reader after 5 s"
export CETAK_TEST_CLOCK="$T/clock"
echo 0 >"$CETAK_TEST_CLOCK"
fx_line_config "$T/c.conf" 'custody = { retention_days = 30; };'
# three photos: one shared by JOB-000001 and JOB-000002 (to be removed), one
# of JOB-000003 (its card stays in custody), one of JOB-000004 (cancelled)
"$B/tests/jobgen" -n 2 -P -o "$T/jobs" -s 21 >/dev/null
"$B/tests/jobgen" -n 1 -P -f 3 -o "$T/jobs" -s 22 >/dev/null
"$B/tests/jobgen" -n 1 -P -f 4 -o "$T/later" -s 23 >/dev/null
"$B/tests/jobgen" -n 1 -P -f 5 -o "$T/bad" -s 24 >/dev/null
sed -i 's/0812-0000-0005/021-555-0105/' "$T/bad/JOB-000005.json"
fx_cetakd_usb "$T/c.conf" -n 1000 || { notok "cetakd starts"; finish; }
on_fail() {
	echo "--- privacy"; ctl privacy
	echo "--- cetakd.log (last 15)"; grep -v 'debug: control' "$T/cetakd.log" | tail -n 15
}
# piece JOBFILE: 48 characters from the middle of the job's photo (base64)
piece() { sed -n 's/.*"photo": *"\([^"]*\)".*/\1/p' "$1" | cut -c 4001-4048; }
# in_store TEXT: is TEXT anywhere in the job store's files (database, WAL)?
in_store() { cat "$T"/state/cetak.db* | grep -aqF "$1"; }
p12=$(piece "$T/jobs/JOB-000001.json")
p3=$(piece "$T/jobs/JOB-000003.json")
p4=$(piece "$T/later/JOB-000004.json")
check "the three photos differ" sh -c "[ -n '$p12' ] && [ '$p12' != '$p3' ] && [ '$p3' != '$p4' ]"

ctl stock receive LOT-P 10 --doc DN-P >/dev/null
ctl stock load A 10 >/dev/null
ctl submit "$T"/jobs/*.json >/dev/null 2>&1
check "three cards are printed" settle 3 60
ctl line pause A >/dev/null
ctl submit "$T/later/JOB-000004.json" >/dev/null 2>&1
wait_for 10 sh -c "'$B/cetakctl' -s '$T/run/control' queue --state queued --count | grep -qx 1"
ctl cancel JOB-000004 --reason "the applicant's record was corrected upstream" >/dev/null 2>&1
# an upstream system drops a job whose phone number is a landline
cp "$T/bad/JOB-000005.json" "$T/spool/tmp/" && mv "$T/spool/tmp/JOB-000005.json" "$T/spool/new/"
ctl line resume A >/dev/null
check "a refused job file is kept in rejected/ for the office to look at" \
	wait_for 10 test -e "$T/spool/rejected/JOB-000005.json"

for j in 1 2 3; do op card store JOB-00000$j --place D1 >/dev/null 2>&1; done
ctl card correct JOB-000001 --to collected --note "handed over at the counter" >/dev/null 2>&1
ctl card transfer JOB-000002 --doc BAST-P-01 >/dev/null 2>&1
check "the photos are in the job store while needed" sh -c "$(declare -f in_store); T='$T'; in_store '$p12' && in_store '$p3' && in_store '$p4'"
check "and the phone numbers" in_store '0812-0000-0001'

op privacy >"$T/h0" 2>&1
check "an operator sees what is held" test $? = 0
expect_grep "a card in custody keeps its data" 'cards in custody \(until hand-over\): +1$' "$T/h0"
expect_grep "collected, transferred and cancelled wait out the retention" 'kept 30 days: +3 \(next removal ' "$T/h0"
ctl privacy purge >"$T/p0" 2>&1
expect_grep "nothing is removed before the retention period ends" '^personal data of 0 jobs removed' "$T/p0"
op privacy purge >"$T/p1" 2>&1
check "an operator may not purge (exit 1)" test $? = 1

echo $((31 * 86400)) >"$CETAK_TEST_CLOCK"
ctl privacy purge >"$T/p2" 2>&1
expect_grep "31 days on, the data of three jobs and the refused file are removed" \
	'^personal data of 3 jobs removed, 1 refused job files removed' "$T/p2"
check "the removed photo's bytes are found nowhere in the job store's files" \
	sh -c "$(declare -f in_store); T='$T'; ! in_store '$p12'"
check "nor the cancelled job's" sh -c "$(declare -f in_store); T='$T'; ! in_store '$p4'"
check "nor the phone numbers" sh -c "$(declare -f in_store); T='$T'; ! in_store '0812-0000-0001' && ! in_store '0812-0000-0002'"
check "the card still in custody keeps its photo" in_store "$p3"
check "and its phone number" in_store '0812-0000-0003'
check "the refused job file is gone from the spool" test ! -e "$T/spool/rejected/JOB-000005.json"
ctl card show JOB-000001 >"$T/c1"
expect_grep "the card's record says what was removed and when" \
	'^personal data: photo, signature, fingerprints and phone number removed on ' "$T/c1"
expect_grep "while its custody record stays" 'handed over on' "$T/c1"
ctl privacy >"$T/h1" 2>&1
expect_grep "the summary counts the removed" '^removed so far: +3 jobs' "$T/h1"
ctl report custody >"$T/r"
expect_grep "the custody books still balance" 'withdrawn: OK' "$T/r"
ctl stock check >"$T/sc" 2>&1
check "the ledger replays" test $? = 0
ctl audit export -o "$T/audit.jsonl" >/dev/null 2>&1
check "the audit chain verifies" "$B/cetak-audit" verify "$T/audit.jsonl" --cert "$T/pki/ds.pem"
ctl privacy purge >"$T/p3" 2>&1
expect_grep "a second pass finds nothing more" '^personal data of 0 jobs removed' "$T/p3"
finish
