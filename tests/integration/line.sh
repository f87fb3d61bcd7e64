#!/bin/bash
# The print line end to end through the real daemon: private pcscd + vpcd +
# card emulators, the USB printer simulator (umockdev) and a private cupsd.
# Two lines at once; chip faults, bad blanks, printer faults, pause, drain,
# resume, SIGTERM; each ends in its documented state with the ledger's
# invariant holding. The crash test is tests/integration/line_crash.sh.
. "$(dirname "$0")/../lib.sh"

P=$(fx_port)
fx_pcscd "$P" || { notok "private pcscd starts"; finish; }
fx_cupsd $((P + 700)) || { notok "private cupsd starts"; finish; }
"$B/tests/jobgen" -n 40 -o "$T/jobs" -s 7 >/dev/null

# n_state STATE: how many jobs are in STATE
n_state() { ctl queue --state "$1" --count 2>/dev/null; }
line_state() { ctl lines | awk -v l="$1" '$1 == l { print $2 }'; }
# on_fail: the station's state, once per case, for a failure seen only in CI
on_fail() {
	[ "${DIAG_DONE:-}" = "${FX_CETAKD_PID:-}" ] && return
	DIAG_DONE=${FX_CETAKD_PID:-}
	echo "--- lines"; ctl lines
	echo "--- stock"; ctl stock
	echo "--- queue"; ctl queue
	echo "--- cetakd.log (last 20, without control connections)"
	grep -v 'debug: control: connection' "$T/cetakd.log" | tail -n 20
	echo "--- cardemu.log (last 5)"; tail -n 5 "$T/cardemu.log"
}
# stock_is FIELD N: a line of `cetakctl stock`
stock_has() { ctl stock | grep -Eq "$1"; }
stop_all() {
	kill "$FX_CETAKD_PID" 2>/dev/null
	wait "$FX_CETAKD_PID" 2>/dev/null
	pkill -f "cardemu -p $P " 2>/dev/null # none may stay on the reader's port
	fx_card_gone "$FX_CARD_PID"
	rm -rf "$T/state" "$T/spool" "$T/run" "$T/printed" "$T/capture"/* "$T/cards"*
}
# fresh NAME [usbsim options]: a new station (config, state) for one case
fresh() {
	local name=$1; shift
	fx_card "$P" "$T/cards-$name" -S -c 10000 -m 4096 ${CARD_FAULTS:-}
	# the emulator's card is in the reader before the line starts (a chipless one never is)
	case ${CARD_FAULTS:-} in *nochip) sleep 1 ;; *) wait_for 5 "$B/tests/pcsc_probe" -r "*00 00" -t 1 FFCA000000 ||
		echo "# $name: the card emulator is not seen in the reader after 5 s" ;; esac
	fx_line_config "$T/$name.conf" "${EXTRA:-}"
	fx_cetakd_usb "$T/$name.conf" "$@" || { notok "$name: cetakd starts"; return 1; }
	ctl stock receive LOT-T 100 --doc DN-T >/dev/null
	ctl stock load A "${LOAD:-30}" >/dev/null
}
submit() { for j in "$@"; do ctl submit "$T/jobs/JOB-$(printf %06d "$j").json" >/dev/null; done; }

# --- the happy path on two lines at once: USB inline + CUPS with a desk reader ---
fx_card $((P + 1)) "$T/cards-B" -c 10000 -m 4096
CARD_B=$FX_CARD_PID
FX_LINES="lines = (
	{ name = \"A\"; printer = \"usb\"; usb_device = \"0f49:1001\"; reader = \"cetak test VPCD 00 00\"; },
	{ name = \"B\"; printer = \"cups\"; cups_queue = \"card\"; reader = \"cetak test VPCD 00 01\"; encoder = \"desk\"; } );" \
	fresh two -n 40 -r 100 -T 20 || finish
ctl stock load B 20 >/dev/null
submit $(seq 1 12)
check "12 jobs on two lines are all done" settle 12 60
ctl lines >"$T/lines"
check "line A issued cards" awk '$1 == "A" && $5 > 0 { f = 1 } END { exit !f }' "$T/lines"
check "line B issued cards too (jobs flow to whichever line is free)" \
	awk '$1 == "B" && $5 > 0 { f = 1 } END { exit !f }' "$T/lines"
check "the two lines together issued 12" awk '$1 ~ /^[AB]$/ { s += $5 } END { exit s != 12 }' "$T/lines"
check "the ledger: 12 issued, none spoiled, none in flight" stock_has '^issued: +12$'
check "the invariant holds (stock check)" ctl stock check
check "the USB simulator printed line A's faces" sh -c "ls '$T/printed'/print-*.pgm | grep -q ."
check "CUPS captured line B's faces (PDF)" sh -c "grep -l '%PDF' '$T/capture'/* | grep -q ."
ctl job show JOB-000001 >"$T/j1"
expect_grep "a done job tells which card it got" 'done .*issued, chip [0-9A-F]{16}' "$T/j1"
# one card read back independently: EF.SOD verifies with openssl against the CSCA
sod=$(ls "$T"/cards-two/card-*/A0000002471001/011D 2>/dev/null | head -1)
if [ -n "$sod" ]; then
	tail -c +5 "$sod" >"$T/sod.der"
	openssl cms -verify -inform DER -in "$T/sod.der" -CAfile "$T/pki/csca.pem" -binary \
		-out /dev/null >"$T/cms" 2>&1
	expect_grep "an issued card's EF.SOD verifies with openssl cms" 'Verification successful' "$T/cms"
else
	notok "the emulator saved an issued card"
fi
# every job state change is chained into the audit log (within a tick)
check "every job state change is in the audit chain" wait_for 5 sh -c "[ \$(sqlite3 '$T/state/ledger.db' \"SELECT count(*) FROM events WHERE kind = 'job'\") = \$(sqlite3 '$T/state/cetak.db' 'SELECT count(*) FROM job_events') ]"
ctl audit export -o "$T/two.jsonl" >/dev/null 2>&1
check "the export carries them, each with its own fields" sh -c "grep -q '\"event\":[0-9]*,\"from\":\"active\",.*\"job\":\"JOB-000001\",.*\"to\":\"done\"' '$T/two.jsonl' && head -1 '$T/two.jsonl' | grep -q '\"format\":\"cetak-audit/4\"'"
check "no job has two issued cards (audit export)" \
	sh -c "grep '\"kind\":\"issue\"' '$T/two.jsonl' | grep -o '\"job\":\"[^\"]*\"' | sort | uniq -d | grep -q . && exit 1 || exit 0"
check "the audit export verifies offline" "$B/cetak-audit" verify "$T/two.jsonl" --cert "$T/pki/ds.pem"
ctl status >"$T/status"
expect_grep "cetakctl status shows the lines' engine state" '^A +idle' "$T/status"
fx_card_gone "$CARD_B" '*00 01'
stop_all
unset FX_LINES

# --- a chip write fault: that card is spoiled gagal_encode, the job done on a new blank ---
CARD_FAULTS="-F sw:30:6581" fresh chipfault -n 40 -r 100 || finish
submit 1 2 3
check "three jobs done despite a chip fault" settle 3 30
check "one card spoiled gagal_encode" stock_has '^spoiled: +1 .*gagal_encode 1'
check "three issued" stock_has '^issued: +3$'
check "the invariant holds" ctl stock check
stop_all

# --- an authentication refusal is never retried: the job is held ---
CARD_FAULTS="-F sw:30:6982" fresh auth -n 40 -r 100 || finish
submit 1
check "the job is held" wait_for 20 sh -c "'$B/cetakctl' -s '$T/run/control' job show JOB-000001 | grep -q '^state: *held'"
ctl job show JOB-000001 >"$T/auth"
expect_grep "with the reason: authentication, not retried" 'never retried automatically' "$T/auth"
expect_grep "and the right count of cards spoiled for it" '\(cards spoiled for this job: 1\)' "$T/auth"
check "exactly one card was spoiled for it" stock_has '^spoiled: +1 .*gagal_encode 1'
stop_all

# --- blanks without a working chip: spoiled no_chip; three in a row stop the line ---
CARD_FAULTS="-F nochip" FX_CARD_TIMEOUT=800 fresh nochip -n 40 -r 100 || finish
submit 1
check "the line stops after 3 chipless blanks" wait_for 30 sh -c "'$B/cetakctl' -s '$T/run/control' lines | grep -q '^A  *stopped'"
check "three cards spoiled no_chip" stock_has '^spoiled: +3 .*no_chip 3'
check "the job waits in the queue, not lost" test "$(n_state queued)" = 1
ctl lines >"$T/nochip"
expect_grep "the line says why" 'reason: no chip answers' "$T/nochip"
check "the invariant holds" ctl stock check
stop_all

# --- one chipless blank among good ones: spoiled no_chip, the job goes on ---
CARD_FAULTS="-F nochip-card:2" FX_CARD_TIMEOUT=1500 fresh onechip -n 40 -r 100 || finish
submit 1 2 3
check "three jobs done around a chipless blank" settle 3 40
check "that blank is spoiled no_chip" stock_has '^spoiled: +1 .*no_chip 1'
stop_all

# --- a jam while printing: the card is spoiled gagal_cetak, the line stops, resume goes on ---
fresh jam -n 40 -r 100 -F jam:2 || finish
submit 1 2 3
check "the line stops on the jam" wait_for 30 sh -c "'$B/cetakctl' -s '$T/run/control' lines | grep -q '^A  *stopped'"
ctl lines >"$T/jam"
expect_grep "the reason names the jam" 'reason: .*jam' "$T/jam"
check "the card caught inside is spoiled gagal_cetak" stock_has 'gagal_cetak 1'
check "the jammed job went back to the queue" test "$(n_state queued)" -ge 1
check "the invariant holds while stopped" ctl stock check
ctl line resume A >/dev/null
check "after resume all three are done" settle 3 30
check "the invariant holds" ctl stock check
stop_all

# --- a crash after the ledger recorded a card's outcome, before its cycle closed ---
# The state such a crash leaves is made by hand: the last cycle reopened at
# "print" and its job back to active, the ledger's outcome kept. Recovery must
# take the outcome from the ledger and ask nobody.
reopen() { # reopen CYCLE-OUTCOME: reopen the newest cycle closed with it
	kill "$FX_CETAKD_PID"; wait "$FX_CETAKD_PID"
	cid=$(sqlite3 "$T/state/cetak.db" "SELECT max(id) FROM cycles WHERE outcome = '$1'")
	sqlite3 -cmd ".timeout 10000" "$T/state/cetak.db" "UPDATE jobs SET state = 'active', reason = '' WHERE job_id =
		(SELECT job_id FROM cycles WHERE id = $cid); UPDATE cycles SET outcome = '', note = '',
		step = 'print' WHERE id = $cid"
	fx_cetakd_usb "$T/window.conf" -n 40 -r 100 || notok "window: cetakd restarts"
}
fresh window -n 40 -r 100 -F jam:2 || finish
submit 1 2 3
check "window: the line stops on the jam" wait_for 30 sh -c "'$B/cetakctl' -s '$T/run/control' lines | grep -q '^A  *stopped'"
reopen spoiled
check "window: the spoil in the ledger closes the cycle" sh -c "[ \"\$(sqlite3 '$T/state/cetak.db' \"SELECT note FROM cycles WHERE id = $cid\")\" = 'spoiled (recorded before an interruption)' ]"
check "window: no job is held as unknown" test "$(ctl queue --state held --count)" = 0
check "window: all three done" settle 3 30
check "window: one card spoiled, not two" stock_has '^spoiled: +1 .*gagal_cetak 1'
reopen issued
check "window: the issue in the ledger closes the cycle" sh -c "[ \"\$(sqlite3 '$T/state/cetak.db' \"SELECT outcome FROM cycles WHERE id = $cid\")\" = issued ]"
check "window: still three done, none held" sh -c "[ \$('$B/cetakctl' -s '$T/run/control' queue --state done --count) = 3 ] && [ \$('$B/cetakctl' -s '$T/run/control' queue --state held --count) = 0 ]"
check "window: three issued" stock_has '^issued: +3$'
check "window: the invariant holds" ctl stock check
stop_all

# --- the printer's hopper runs dry: no card is taken, the line stops with the reason ---
LOAD=10 fresh empty -n 2 -r 100 || finish
submit 1 2 3
check "the line stops: hopper empty" wait_for 30 sh -c "'$B/cetakctl' -s '$T/run/control' lines | grep -q '^A  *stopped'"
ctl lines >"$T/empty"
expect_grep "the reason says so" 'input hopper empty' "$T/empty"
check "two issued, none spoiled" stock_has '^issued: +2$'
check "the third job waits" test "$(n_state queued)" = 1
check "the invariant holds" ctl stock check
stop_all

# --- ribbon out mid-run ---
fresh ribbon -n 40 -r 1 || finish
submit 1 2
check "the line stops: ribbon out" wait_for 30 sh -c "'$B/cetakctl' -s '$T/run/control' lines | grep -q 'ribbon out'"
check "one issued; the second job waits" sh -c "[ \$('$B/cetakctl' -s '$T/run/control' queue --state done --count) = 1 ]"
stop_all

# --- the ledger's hopper is empty: the line waits, then goes on when cards are recorded ---
LOAD=1 fresh books -n 40 -r 100 || finish
submit 1 2
check "one card printed" settle 1 20
check "the line waits for blanks to be recorded" wait_for 10 sh -c "'$B/cetakctl' -s '$T/run/control' lines | grep -q 'no blanks recorded in the hopper'"
ctl stock load A 5 >/dev/null
check "and goes on once they are" settle 2 20
stop_all

# --- ribbons, and the printer's own counter reconciled with the ledger ---
fresh counter -n 40 -r 100 || finish
ctl stock ribbon-receive 2 --doc SJ-R1 >/dev/null
ctl stock ribbon-load A RB-T1 100 >/dev/null
submit 1 2
check "two cards printed" settle 2 30
check "the ribbon counts 2 prints" stock_has 'ribbon RB-T1 2 of 100 prints used'
check "cetakctl lines shows the ribbon's prints left" sh -c "'$B/cetakctl' -s '$T/run/control' lines | awk '\$1 == \"A\" && \$7 == 100 { f = 1 } END { exit !f }'"
kill -TERM "$FX_CETAKD_PID"
wait "$FX_CETAKD_PID"
# while cetakd was down the printer printed 3 cards: its counter says 5
fx_cetakd_usb "$T/counter.conf" -n 40 -r 100 -P 5 || notok "cetakd restarts"
check "the 3 cards printed outside cetakd are noticed" wait_for 10 sh -c "'$B/cetakctl' -s '$T/run/control' stock | grep -q 'printer counted 3 cards cetakd did not print'"
check "an alert is raised" wait_for 5 sh -c "'$B/cetakctl' -s '$T/run/control' alerts | grep -q 'printer-counter:A'"
setpriv --reuid=65534 --regid=65534 --groups=100 "$B/cetakctl" -s "$T/run/control" stock counter-ack A --note x >"$T/ack-op" 2>&1
expect_grep "only a supervisor explains them" "'stock-counter-ack' is a supervisor command" "$T/ack-op"
ctl stock counter-ack A --note "test prints by the service technician" >/dev/null
check "explained, the alert clears" wait_for 5 sh -c "! '$B/cetakctl' -s '$T/run/control' alerts | grep -q 'printer-counter:A'"
ctl stock ribbon-load A RB-T2 100 >/dev/null
ctl report daily >"$T/rep-ribbon"
expect_grep "the report gives the replaced ribbon's yield" 'mengganti RB-T1 setelah 2 dari 100 cetakan \(hasil 2%\)' "$T/rep-ribbon"
ctl audit export -o "$T/ribbon.jsonl" >/dev/null 2>&1
check "ribbon and counter records verify offline" "$B/cetak-audit" verify "$T/ribbon.jsonl" --cert "$T/pki/ds.pem"
sed -i 's/"replaces_prints":2/"replaces_prints":9/' "$T/ribbon.jsonl"
check "a changed ribbon yield is caught" sh -c "! '$B/cetak-audit' verify '$T/ribbon.jsonl' --cert '$T/pki/ds.pem'"
check "the invariant holds" ctl stock check
stop_all

# --- pause, drain, resume ---
fresh pause -n 40 -r 100 -T 20 || finish
ctl line pause A >/dev/null
submit 1 2 3
sleep 2
check "a paused line prints nothing" test "$(n_state done)" = 0
check "it shows paused" test "$(line_state A)" = paused
ctl line resume A >/dev/null
check "resumed, it prints" settle 3 30
submit 4 5 6 7 8 9
wait_for 10 sh -c "[ \$('$B/cetakctl' -s '$T/run/control' queue --state done --count) -ge 4 ]"
ctl line drain A >/dev/null
check "a drained line ends paused" wait_for 30 sh -c "'$B/cetakctl' -s '$T/run/control' lines | grep -q '^A  *paused'"
check "with jobs left in the queue, none active" sh -c "[ \$('$B/cetakctl' -s '$T/run/control' queue --state active --count) = 0 ]"
check "and the invariant holds" ctl stock check
op resolve JOB-000001 printed >"$T/res-op" 2>&1
expect_grep "resolve is a supervisor command" "'resolve' is a supervisor command" "$T/res-op"
ctl resolve JOB-000001 printed >"$T/res-none" 2>&1
expect_grep "resolving a job without an unknown card is refused" 'has no card of unknown outcome' "$T/res-none"
stop_all

# --- SIGTERM finishes the card in hand, then exits 0 ---
fresh term -n 40 -r 100 -T 10 || finish
submit $(seq 1 8)
wait_for 20 sh -c "'$B/cetakctl' -s '$T/run/control' lines | grep -Eq '^A +printing .* (encode|print|eject) '"
pid=$(pgrep -P "$FX_CETAKD_PID" -x cetakd)
kill -TERM "$pid"
wait "$FX_CETAKD_PID"
check "cetakd exits 0 after SIGTERM" test $? = 0
check "no card cycle is left open" sh -c "[ \$(sqlite3 '$T/state/cetak.db' \"SELECT count(*) FROM cycles WHERE outcome = ''\") = 0 ]"
check "no job is left active" sh -c "[ \$(sqlite3 '$T/state/cetak.db' \"SELECT count(*) FROM jobs WHERE state = 'active'\") = 0 ]"
check "the card in hand was finished: every take has an outcome" \
	sh -c "[ \$(sqlite3 '$T/state/ledger.db' \"SELECT count(*) FROM events WHERE kind = 'take'\") = \$(sqlite3 '$T/state/ledger.db' \"SELECT count(*) FROM events WHERE kind IN ('issue', 'spoil')\") ]"
stop_all
# --- a hung reader (the card emulator stopped mid-encode): the card is decided at the deadline ---
CARD_FAULTS="-F slow:150" FX_CARD_EXTRA="encode_deadline = 3;" fresh hung -n 40 -r 100 || finish
submit 1
wait_for 20 sh -c "'$B/cetakctl' -s '$T/run/control' lines | grep -Eq '^A +printing .* encode '"
kill -STOP "$FX_CARD_PID"
check "the line leaves 'encode' at the deadline: stopped" wait_for 10 sh -c "'$B/cetakctl' -s '$T/run/control' lines | grep -q '^A  *stopped'"
ctl lines >"$T/hung"
expect_grep "saying the reader hung and the card is spoiled" 'did not finish the card within 3 s' "$T/hung"
check "the card is spoiled gagal_encode, none in flight" stock_has '^spoiled: +1 .*gagal_encode 1'
check "the job is back in the queue" test "$(n_state queued)" = 1
ctl line resume A >"$T/hung-resume" 2>&1
expect_grep "resume waits while the reader's call has not returned" 'still has not answered' "$T/hung-resume"
kill -CONT "$FX_CARD_PID"
check "the late answer is discarded, not acted on" wait_for 15 grep -q 'answered after all' "$T/cetakd.log"
# the operator replaces the reader's card (the emulator) and resumes once
fx_card_gone "$FX_CARD_PID"
fx_card "$P" "$T/cards-hung2" -c 10000 -m 4096
wait_for 5 "$B/tests/pcsc_probe" -r "*00 00" -t 1 FFCA000000
ctl line resume A >/dev/null
check "resumed, the job is done on a new blank" settle 1 30
check "one issued, one spoiled, the invariant holds" sh -c "'$B/cetakctl' -s '$T/run/control' stock | grep -Eq '^issued: +1\$' && '$B/cetakctl' -s '$T/run/control' stock | grep -Eq '^spoiled: +1 ' && '$B/cetakctl' -s '$T/run/control' stock check"
stop_all

# --- preparing a card (chip data signed, face rendered) and reading the spool never hold the loop ---
# CETAKD_TEST_OFFLOAD_DELAY makes each task of those threads take 4 s longer
# (daemon/offload.c); the control socket must answer meanwhile, in well
# under a second, as it must while a real photo is decoded.
answers_fast() { # answers_fast LABEL: `cetakctl status` answers within 1 s
	local t0 t1 ms
	t0=$(date +%s%N); ctl status >/dev/null; t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	check "$1 (answered in $ms ms)" test "$ms" -lt 1000
}
# drop N: hand job N to the spool as a producer does (cetakctl submit would
# wait for the import, and so for the loop)
drop() {
	cp "$T/jobs/JOB-$(printf %06d "$1").json" "$T/spool/tmp/drop-$1"
	mv "$T/spool/tmp/drop-$1" "$T/spool/new/drop-$1"
}
CETAKD_TEST_OFFLOAD_DELAY=prep:4000 fresh slowprep -n 40 -r 100 || finish
drop 1
sleep 0.7 # imported and picked: its preparation has 3 s to go
answers_fast "the control socket answers while a job is prepared"
check "the line shows the job being prepared" sh -c "'$B/cetakctl' -s '$T/run/control' --json lines | grep -q '\"preparing\": *\"JOB-000001\"'"
# a reload meanwhile replaces the face layout and the signer the preparation
# holds: it keeps its own references (ASan would see a use after free)
check "a reload while the job is prepared is taken" sh -c "'$B/cetakctl' -s '$T/run/control' reload >/dev/null"
check "then its card is made" settle 1 30
stop_all
CETAKD_TEST_OFFLOAD_DELAY=intake:4000 fresh slowintake -n 40 -r 100 || finish
sleep 0.5
drop 2
sleep 0.3 # the loop has seen the file arrive and handed new/ to the intake thread
answers_fast "the control socket answers while the spool is read"
check "the job is in the store only after the intake thread read it" sh -c "[ \$(sqlite3 '$T/state/cetak.db' 'SELECT count(*) FROM jobs') = 0 ]"
check "then it is taken and made" settle 1 30
stop_all

# --- a Document Signer that does not chain to the CSCA: no blank is taken ---
"$ROOT/scripts/make-test-pki" "$T/pki-other" >/dev/null 2>&1
EXTRA="" fresh badcsca -n 40 -r 100 || finish
stop_all
fx_card "$P" "$T/cards-badcsca" -S -c 10000 -m 4096
wait_for 5 "$B/tests/pcsc_probe" -r "*00 00" -t 1 FFCA000000
fx_line_config "$T/badcsca.conf"
sed -i "s|csca = \"$T/pki/csca.pem\"|csca = \"$T/pki-other/csca.pem\"|" "$T/badcsca.conf"
fx_cetakd_usb "$T/badcsca.conf" -n 40 -r 100 || notok "badcsca: cetakd starts"
ctl stock receive LOT-T 100 --doc DN-T >/dev/null
ctl stock load A 30 >/dev/null
submit 1 2
sleep 3
ctl lines >"$T/badcsca"
expect_grep "the line is not ready, with the reason" 'does not verify against the CSCA' "$T/badcsca"
check "no blank was taken: nothing spoiled, the jobs wait" sh -c "'$B/cetakctl' -s '$T/run/control' stock | grep -Eq '^spoiled: +0 ' && [ \$('$B/cetakctl' -s '$T/run/control' queue --state queued --count) = 2 ]"
stop_all

# --- the state disk fills while a card prints: the confirmed eject is kept, never reprinted ---
mkdir -p "$T/state"
if mount -t tmpfs -o size=24m tmpfs "$T/state" 2>/dev/null; then
	fresh diskfull -n 40 -r 100 -T 5 || finish
	submit 1
	wait_for 30 sh -c "'$B/cetakctl' -s '$T/run/control' lines | grep -Eq '^A +printing .* print '"
	dd if=/dev/zero of="$T/state/fill" bs=1M >/dev/null 2>&1
	check "the line stops with what the printer confirmed" wait_for 30 sh -c "'$B/cetakctl' -s '$T/run/control' lines | grep -q 'confirmed the eject'"
	check "the state of the line is stopped, not unresolved" test "$(line_state A)" = stopped
	ctl line resume A >"$T/full-resume" 2>&1
	expect_grep "resume says the ledger must record it first" 'confirmed the eject' "$T/full-resume"
	check "one face printed for it, not two" test "$(ls "$T/printed"/print-*.pgm | wc -l)" = 1
	# a job arriving meanwhile stays in new/; the log names the real cause
	cp "$T/jobs/JOB-000002.json" "$T/spool/new/"
	check "intake on a full disk logs the cause and the file" wait_for 10 grep -Eq "job store .*/state/cetak.db failed \((database or disk is full|disk I/O error)" "$T/cetakd.log"
	check "not a rollback message" sh -c "! grep -q 'cannot rollback' '$T/cetakd.log'"
	rm -f "$T/state/fill"
	check "once space is back the issue is recorded, the new job imported, both done" settle 2 40
	check "two cards printed, each issued once, nothing spoiled" sh -c "[ \$(ls '$T/printed'/print-*.pgm | wc -l) = 2 ] && '$B/cetakctl' -s '$T/run/control' stock | grep -Eq '^issued: +2\$' && '$B/cetakctl' -s '$T/run/control' stock | grep -Eq '^spoiled: +0 '"
	stop_all
	umount "$T/state"
else
	ok "the state disk fills while a card prints # SKIP no tmpfs mount here"
fi
finish
