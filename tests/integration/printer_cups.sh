#!/bin/bash
# The cups printer backend against a private cupsd with the capture backend:
# the face PDF arrives byte for byte with CR80 media and the job is followed
# to completion; each printer-state-reason maps to its operator reason and
# class; a stopped queue is STOP and its job is cancelled (never left to print
# on resume); CUPS down is RETRY, not a crash.
. "$(dirname "$0")/../lib.sh"

fx_cupsd "$(fx_port)" || { notok "private cupsd starts"; finish; }
"$B/cetakctl" face render "$ROOT/etc/examples/EXAMPLE-000001.json" \
	--layout "$ROOT/etc/layouts/ektp-front.conf" -o "$T/face.pdf" >/dev/null
pb() { "$B/tests/pbtool" -b cups -q card -s "$CUPS_SERVER" -t 10000 -L "$ROOT/etc/layouts/ektp-front.conf" "$@"; }
# make the capture backend report (or withdraw) a state, with a job sent
# straight through libcups: the backend under test refuses to queue behind
# a printer that needs a person, so it cannot be the one to clear it
say_state() {
	printf '%s\n' "$@" >"$T/capture/states"
	"$B/tests/cups_submit" card "$T/face.pdf" application/pdf 10 >/dev/null 2>&1
	rm -f "$T/capture/states"
}

pb status >"$T/s0" 2>&1
check "an idle queue is ok with no reasons" grep -q 'class=ok reasons= ' "$T/s0"
pb -j JOB-A print "$T/face.pdf" >"$T/p1" 2>&1
check "a face prints: class ok" grep -q 'class=ok ' "$T/p1"
check "the PDF reaches the printer byte for byte" cmp "$T/face.pdf" "$T/capture/job-1.data"
expect_grep "with CR80 media" 'media=Custom.85.6x54mm' "$T/capture/job-1.options"
expect_grep "and the job id as its title" ' JOB-A ' "$T/cups/log/page_log"

# reason by reason: what the printer says, what the operator sees, the class
reason() { # KEYWORD EXPECTED-REASON EXPECTED-CLASS
	say_state "STATE: +$1"
	pb status >"$T/r-$1" 2>&1
	if grep -q "class=$3 reasons=$2 " "$T/r-$1"; then ok "$1 -> $2, $3"; else
		notok "$1 -> $2, $3"; sed 's/^/#   /' "$T/r-$1"; fi
	say_state "STATE: -$1"
}
reason media-empty-error "input hopper empty" stop
reason media-jam-error "jam" stop
reason door-open-error "door open" stop
reason marker-supply-empty-error "ribbon out" stop
reason marker-supply-low-warning "ribbon low" ok
reason offline-error "offline" retry
reason connecting-to-device-report "offline" retry
reason output-area-full-warning "reject box full" stop
reason cooling-down-report "cooling down" retry
say_state 'ATTR: marker-names=Ribbon marker-types=ink-ribbon marker-levels=7'
pb status >"$T/ribbon" 2>&1
check "the ribbon level is read from marker-levels" grep -q ' ribbon=7 ' "$T/ribbon"

# a printer that needs a person refuses the next card before it is queued
say_state 'STATE: +media-empty-error'
n=$(ls "$T/capture"/job-*.data | wc -l)
pb print "$T/face.pdf" >"$T/blocked" 2>&1
check "with the hopper empty the next print is STOP" grep -q 'class=stop reasons=input hopper empty' "$T/blocked"
check "and no job was sent" test "$(ls "$T/capture"/job-*.data | wc -l)" = "$n"
say_state 'STATE: -media-empty-error'

# the backend exits 4: CUPS stops the queue and holds the job; we cancel it
echo 4 >"$T/capture/exit"
pb -j JOB-STOP print "$T/face.pdf" >"$T/stop" 2>&1
rm -f "$T/capture/exit"
check "a stopped queue is STOP" grep -q 'class=stop reasons=.*stopped' "$T/stop"
check "and its job is cancelled, not left to print on resume" \
	sh -c "test -z \"\$(lpstat -o card 2>/dev/null)\""
cupsenable card
pb status >"$T/resumed" 2>&1
check "once the operator resumes the queue it is ok again" grep -q 'class=ok ' "$T/resumed"

# a job not done in time: known only once CUPS confirms the cancel
echo 30 >"$T/capture/sleep"
pb -t 2000 -j JOB-SLOW print "$T/face.pdf" >"$T/slow" 2>&1
check "a print that times out with cupsd alive is FAIL: the cancel was confirmed" \
	grep -q 'class=fail .*cancelled (confirmed by CUPS)' "$T/slow"
check "and the job is gone from the queue" sh -c "test -z \"\$(lpstat -o card 2>/dev/null)\""
# cupsd dies while the card prints: nobody can tell whether it printed
n0=$(ls "$T/capture"/job-*.data | wc -l)
pb -t 2000 -j JOB-LOST print "$T/face.pdf" >"$T/lost" 2>&1 &
PB=$!
wait_for 10 sh -c "[ \$(ls '$T/capture'/job-*.data | wc -l) -gt $n0 ]" && sleep 0.3
kill -9 "$FX_CUPSD_PID"; wait "$FX_CUPSD_PID" 2>/dev/null
wait "$PB"
check "cupsd lost mid-job: the outcome is UNKNOWN, never FAIL (a FAIL would reprint)" \
	grep -q 'class=unknown .*did not confirm' "$T/lost"
rm -f "$T/capture/sleep"

# CUPS down: retry, never a crash
pb status >"$T/down" 2>&1
check "CUPS down: status is RETRY" grep -q 'class=retry reasons=offline .*not reachable' "$T/down"
pb print "$T/face.pdf" >"$T/down2" 2>&1
check "CUPS down: print is RETRY (nothing reached a printer)" grep -q 'class=retry ' "$T/down2"
finish
