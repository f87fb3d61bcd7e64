#!/bin/bash
# The custody of issued cards through the real daemon and cetakctl: cards
# printed on line A (pcscd + vpcd + card emulator, the USB printer
# simulator) are in the output hopper; an operator stores them by job and by
# chip serial; supervisors transfer, withdraw, destroy and correct with the
# reason each needs; every refusal is one line and changes nothing; the
# custody report balances (issued = in custody + collected + transferred +
# withdrawn), the audit chain carries each change and verifies offline, and
# a cetakd killed and restarted (also while it makes a transfer batch)
# keeps every card in exactly one state.
. "$(dirname "$0")/../lib.sh"

P=$(fx_port)
fx_pcscd "$P" || { notok "private pcscd starts"; finish; }
fx_card "$P" "$T/cards" -S -c 1000 -m 4096
wait_for 5 "$B/tests/pcsc_probe" -r "*00 00" -t 1 FFCA000000 || echo "# no card in the reader after 5 s"
fx_line_config "$T/c.conf"
"$B/tests/jobgen" -n 4 -o "$T/jobs" -s 3 >/dev/null
fx_cetakd_usb "$T/c.conf" -n 1000 || { notok "cetakd starts"; finish; }
on_fail() {
	echo "--- custody"; ctl report custody
	echo "--- cards"; ctl card list --state issued,stored,collected,transferred,withdrawn,destroyed
	echo "--- cetakd.log (last 15)"; grep -v 'debug: control' "$T/cetakd.log" | tail -n 15
}

ctl stock receive LOT-C 10 --doc DN-C >/dev/null
ctl stock load A 10 >/dev/null
ctl submit "$T"/jobs/*.json >/dev/null 2>&1
check "four cards are printed" settle 4 60

ctl report custody >"$T/r0"
expect_grep "the custody report counts the cards issued" '^issued cards: +4$' "$T/r0"
expect_grep "all in the output hopper" '^in custody: +4 \(output hopper 4, stored 0\)' "$T/r0"
expect_grep "and balances" 'issued = in custody \+ collected \+ transferred \+ withdrawn: OK' "$T/r0"
check "four cards listed in the output hopper" test "$(ctl --json card list | grep -c '"state": "issued"')" = 4

# an operator puts cards away, by job and by the chip serial
op card store JOB-000001 --place B12 >"$T/s1" 2>&1
check "an operator stores a card by its job" test $? = 0
expect_grep "and is told where it is" '^card of JOB-000001: stored in B12 since ' "$T/s1"
chip=$(ctl --json card show JOB-000002 | sed -n 's/.*"chip": "\([0-9A-F]*\)".*/\1/p')
check "an issued card has its chip serial" test -n "$chip"
op card store --chip "$chip" --place B12 >"$T/s2" 2>&1
expect_grep "a card is found by its chip serial" '^card of JOB-000002: stored in B12' "$T/s2"
op card store JOB-000003 >"$T/s3" 2>&1
check "storing needs a place (exit 1)" test $? = 1
expect_grep "and says so" 'say where the card goes \(--place, e.g. B12\)' "$T/s3"
op card store JOB-000099 --place B12 >"$T/s4" 2>&1
expect_grep "an unknown job is named" 'no card printed here has job id JOB-000099' "$T/s4"
op card store --chip DEADBEEF --place B12 >"$T/s5" 2>&1
expect_grep "so is an unknown chip" 'no card printed here has chip serial DEADBEEF' "$T/s5"
check "two cards are listed in B12" test "$(ctl --json card list --state stored --place B12 | grep -c '"job"')" = 2

# supervisors' actions
op card withdraw JOB-000003 --note "holder died" >"$T/w1" 2>&1
expect_grep "an operator may not withdraw a card" "'card withdraw' is for a supervisor" "$T/w1"
ctl card withdraw JOB-000003 >"$T/w2" 2>&1
expect_grep "a withdrawal needs the reason" "'card withdraw' needs the reason \(--note\)" "$T/w2"
ctl card withdraw JOB-000003 --note "the holder died (surat kematian 12/2026)" >/dev/null 2>&1
ctl card destroy JOB-000003 --doc BA-PMS-01 >/dev/null 2>&1
check "a withdrawn card is destroyed with its berita acara number" \
	grep -q "destroyed on .* (BA-PMS-01)" <(ctl card show JOB-000003)
ctl card store JOB-000003 --place B12 >"$T/w3" 2>&1
expect_grep "a destroyed card cannot be stored" 'the card of JOB-000003 is destroyed on .*: it cannot be stored' "$T/w3"
ctl card transfer JOB-000004 --doc BAST-KEC-01 >/dev/null 2>&1
ctl card collected JOB-000004 --doc BAST-KEC-01 >/dev/null 2>&1
check "a transferred card collected at the kecamatan" grep -q '^card of JOB-000004 (chip [0-9A-F]*): handed over on' <(ctl card show JOB-000004)
ctl card correct JOB-000001 --to stored --place C03 --note "found in C03 at the stocktake" >/dev/null 2>&1
check "a supervisor corrects a card's place with a note" grep -q 'stored in C03' <(ctl card show JOB-000001)
ctl card show JOB-000001 >"$T/h1"
expect_grep "the history shows each change with who and why" 'found in C03 at the stocktake' "$T/h1"

ctl report custody >"$T/r1"
expect_grep "the report follows" '^in custody: +2 \(output hopper 0, stored 2\)' "$T/r1"
expect_grep "collected" '^collected: +1$' "$T/r1"
expect_grep "withdrawn and destroyed" '^withdrawn: +1 \(destroyed 1\)' "$T/r1"
expect_grep "still balanced" 'withdrawn: OK' "$T/r1"
ctl report custody --format csv >"$T/r1.csv"
expect_grep "CSV with a stable header" '^section,key,count$' "$T/r1.csv"
expect_grep "and machine keys" '^state,stored,2$' "$T/r1.csv"

# the audit chain carries every change; the offline verifier replays them
check "custody changes are chained" wait_for 5 sh -c \
	"[ \$(sqlite3 '$T/state/ledger.db' \"SELECT count(*) FROM events WHERE kind = 'custody'\") = 7 ]"
ctl audit export -o "$T/a.jsonl" >/dev/null
"$B/cetak-audit" verify "$T/a.jsonl" --cert "$T/pki/ds.pem" >"$T/v" 2>&1
check "the export verifies offline" test $? = 0
check "no collector's name or note is in the chain" sh -c "! grep -q 'holder died\|found in C03' '$T/a.jsonl'"

# killed and restarted: every card is in exactly one state, the books agree
kill -9 "$(pgrep -P "$FX_CETAKD_PID" -x cetakd)"
wait "$FX_CETAKD_PID" 2>/dev/null
fx_cetakd_usb "$T/c.conf" -n 1000 || notok "cetakd restarts"
ctl report custody >"$T/r2"
expect_grep "after a crash the custody still balances" 'withdrawn: OK' "$T/r2"
check "the ledger checks out" ctl stock check

# a transfer batch killed as it is made: its cards all move with the batch,
# or none does (six months on, through the test clock)
echo $((181 * 86400)) >"$T/clock"
kill -9 "$(pgrep -P "$FX_CETAKD_PID" -x cetakd)"
wait "$FX_CETAKD_PID" 2>/dev/null
CETAK_TEST_CLOCK="$T/clock" fx_cetakd_usb "$T/c.conf" -n 1000 || notok "cetakd restarts"
ctl report custody >"$T/r3"
expect_grep "both stored cards are due for transfer after 181 days" '^due for transfer: 2 \(kecamatan CIBADAK 2\)' "$T/r3"
ctl card transfer --kecamatan CIBADAK >"$T/tk" 2>&1 &
asker=$!
[ $((RANDOM % 2)) = 0 ] || sleep "0.0$((RANDOM % 10))" # now, or a few ms in
kill -9 "$(pgrep -P "$FX_CETAKD_PID" -x cetakd)"
wait "$FX_CETAKD_PID" 2>/dev/null
wait "$asker"
CETAK_TEST_CLOCK="$T/clock" fx_cetakd_usb "$T/c.conf" -n 1000 || notok "cetakd restarts"
s1=$(ctl --json card show JOB-000001 | sed -n 's/.*"state": "\([a-z]*\)".*/\1/p' | head -1)
s2=$(ctl --json card show JOB-000002 | sed -n 's/.*"state": "\([a-z]*\)".*/\1/p' | head -1)
echo "# after the kill: JOB-000001 $s1, JOB-000002 $s2"
check "the batch moved both cards or neither" test "$s1" = "$s2"
batches=$(ctl --json card batch | grep -c '"doc"')
check "a batch is recorded exactly when its cards moved" \
	test "$batches" = "$([ "$s1" = transferred ] && echo 1 || echo 0)"
expect_grep "custody still balances" 'withdrawn: OK' <(ctl report custody)
check "and the ledger checks out" ctl stock check
finish
