#!/bin/bash
# The hand-over of an issued card, chip checked on the desk reader: cards
# printed on line A (vpcd slot 0) are presented again at the desk reader
# (vpcd slot 1, the card emulator loading the card it saved); cetakd reads
# the chip, verifies its data and tells whose card it is; a hand-over with
# the wrong NIK, of a card already collected, of a card printed elsewhere or
# with no card on the reader is refused with the reason and changes
# nothing; a proxy needs an identity and a relation; a replacement's
# hand-over takes the holder's earlier card back; cetakd killed while it
# reads a card records nothing and keeps every card in one custody state;
# a stocktake of a box reads its cards one by one and lists those missing,
# those of another place, those not in custody and those not printed here.
. "$(dirname "$0")/../lib.sh"

P=$(fx_port)
fx_pcscd "$P" || { notok "private pcscd starts"; finish; }
fx_card "$P" "$T/cards" -S -c 1000 -m 4096
wait_for 5 "$B/tests/pcsc_probe" -r "*00 00" -t 1 FFCA000000 || echo "# no card in the reader after 5 s"
fx_line_config "$T/c.conf" 'custody = { reader = "*VPCD 00 01"; read_timeout = 3; };'
"$B/tests/jobgen" -n 3 -o "$T/jobs" -s 9 >/dev/null
# JOB-R: a replacement card for the holder of JOB-000002 (lost card)
sed -e 's/"job_id": *"JOB-000002"/"job_id":"JOB-R"/' -e 's/"kind": *"new"/"kind":"replacement"/' \
	"$T/jobs/JOB-000002.json" >"$T/JOB-R.json"
fx_cetakd_usb "$T/c.conf" -n 1000 || { notok "cetakd starts"; finish; }
nik_of() { sed -n 's/.*"nik": *"\([0-9]*\)".*/\1/p' "$T/jobs/$1.json" | head -1; }
# card_of JOB: the saved card whose chip cetakd issued for JOB
card_of() {
	local chip
	chip=$(ctl --json card show "$1" | sed -n 's/.*"chip": "\([0-9A-F]*\)".*/\1/p')
	grep -l "^$chip\$" "$T"/cards/card-*/serial | head -1 | xargs dirname
}
# desk CARDDIR [cardemu options]: present a saved card at the desk reader
DESK_PID=
desk() {
	[ -n "$DESK_PID" ] && fx_card_gone "$DESK_PID" "*00 01"
	"$B/tests/cardemu" -p $((P + 1)) -d "$T/desk-dump" "$@" >>"$T/cardemu.log" 2>&1 &
	DESK_PID=$!
	FX_PIDS="$FX_PIDS $!"
	wait_for 5 "$B/tests/pcsc_probe" -r "*00 01" -t 1 FFCA000000 || echo "# no card at the desk reader"
}
on_fail() {
	echo "--- cards"; ctl card list --state issued,stored,collected,withdrawn
	echo "--- cetakd.log (last 12)"; grep -v 'debug: control' "$T/cetakd.log" | tail -n 12
}

ctl stock receive LOT-H 10 --doc DN-H >/dev/null
ctl stock load A 10 >/dev/null
ctl submit "$T"/jobs/*.json >/dev/null 2>&1
check "three cards are printed" settle 3 60
ctl submit "$T/JOB-R.json" >/dev/null 2>&1
check "the replacement card is printed" settle 4 60
# one more card: the emulator saves each card when the printer feeds the next
"$B/tests/jobgen" -n 1 -f 4 -o "$T/more" -s 10 >/dev/null
ctl submit "$T"/more/*.json >/dev/null 2>&1
settle 5 60
check "the emulator saved the printed cards" test -n "$(card_of JOB-R)"
ctl card store JOB-000001 --place B12 >/dev/null

# whose card is this?
desk -l "$(card_of JOB-000001)"
op card check >"$T/c1" 2>&1
check "an operator reads a card on the desk reader" test $? = 0
expect_grep "and is told whose it is and where it belongs" \
	"^card of JOB-000001 \\(chip $(cat "$(card_of JOB-000001)/serial")\\): stored in B12" "$T/c1"

# the hand-over
op card handover --nik 3602041111110001 >"$T/h0" 2>&1
check "a wrong NIK is refused (exit 1)" test $? = 1
expect_grep "naming whose card it is" "belongs to NIK $(nik_of JOB-000001) \(.*\), not to NIK 3602041111110001" "$T/h0"
check "and nothing changed" grep -q 'stored in B12' <(ctl card show JOB-000001)
op card handover --nik "$(nik_of JOB-000001)" >"$T/h1" 2>&1
check "the right NIK: handed over" test $? = 0
expect_grep "to the holder" '^card of JOB-000001 .*: handed over on .* to ' "$T/h1"
op card handover --nik "$(nik_of JOB-000001)" >"$T/h2" 2>&1
expect_grep "a card handed over already is refused" 'JOB-000001 is handed over on .*: it cannot be handed over' "$T/h2"

# a proxy
desk -l "$(card_of JOB-000002)"
op card handover --nik "$(nik_of JOB-000002)" --collector "SYNTHETIC KAKAK" >"$T/p0" 2>&1
expect_grep "a proxy without identity and relation is refused" 'a proxy needs a name, an identity number' "$T/p0"
op card handover --nik "$(nik_of JOB-000002)" --collector "SYNTHETIC KAKAK" \
	--collector-id 3602040101700009 --relation saudara >"$T/p1" 2>&1
expect_grep "a proxy collects with identity and relation" 'handed over on .* to SYNTHETIC KAKAK' "$T/p1"
ctl card show JOB-000002 >"$T/p2"
expect_grep "the history says who took it" 'handed over to SYNTHETIC KAKAK \(saudara of the holder\), ID 3602040101700009' "$T/p2"

# the replacement: the earlier card (JOB-000002, collected) is taken back
desk -l "$(card_of JOB-R)"
op card handover --nik "$(nik_of JOB-000002)" >"$T/r1" 2>&1
expect_grep "a replacement is handed over" '^card of JOB-R .*: handed over' "$T/r1"
expect_grep "the earlier card is taken back" 'earlier card of JOB-000002 taken back: withdrawn' "$T/r1"
expect_grep "and the old KTP asked for" 'take the old KTP' "$T/r1"
check "the earlier card is withdrawn" grep -q 'withdrawn on' <(ctl card show JOB-000002)

# a card this station did not print; no card at all
mkdir -p "$T/foreign" && cp -r "$(card_of JOB-000003)/." "$T/foreign/" && echo 04FFFFFFFFFFFF01 >"$T/foreign/serial"
desk -l "$T/foreign"
op card handover --nik "$(nik_of JOB-000003)" >"$T/f1" 2>&1
expect_grep "a card printed elsewhere is refused" 'chip 04FFFFFFFFFFFF01.* was not printed at this station' "$T/f1"
fx_card_gone "$DESK_PID" "*00 01"; DESK_PID=
start=$(date +%s)
op card handover --nik "$(nik_of JOB-000003)" >"$T/n1" 2>&1
expect_grep "no card on the reader is refused" 'no card read on the desk reader' "$T/n1"
check "after custody.read_timeout, not forever" test $(($(date +%s) - start)) -le 6
op card check --nik x >/dev/null 2>&1 # the connection is free for the next request
check "cetakd answers other requests meanwhile" ctl status

# killed while the card is being read: nothing recorded, custody balanced
desk -l "$(card_of JOB-000003)" -F slow:400
op card handover --nik "$(nik_of JOB-000003)" >"$T/k1" 2>&1 &
asker=$!
sleep 1
kill -9 "$(pgrep -P "$FX_CETAKD_PID" -x cetakd)"
wait "$FX_CETAKD_PID" 2>/dev/null
wait "$asker"
check "the operator is told the hand-over did not happen" grep -q 'closed the connection without an answer' "$T/k1"
fx_cetakd_usb "$T/c.conf" -n 1000 || notok "cetakd restarts"
check "the card read at the kill is still in the output hopper" grep -q 'not yet put away' <(ctl card show JOB-000003)
expect_grep "custody balances after the crash" 'withdrawn: OK' <(ctl report custody)
check "the ledger checks out" ctl stock check

# stocktake of box B12: each card read on the desk reader, then the list
"$B/tests/jobgen" -n 1 -f 5 -o "$T/more5" -s 11 >/dev/null
ctl submit "$T"/more5/*.json >/dev/null 2>&1
settle 6 60
op card store JOB-000003 --place B12 >/dev/null 2>&1
op card store JOB-000005 --place B12 >/dev/null 2>&1
op card store JOB-000004 --place C03 >/dev/null 2>&1
desk -l "$(card_of JOB-000003)"
op card stocktake read --place B12 >"$T/st0" 2>&1
expect_grep "a card read before the stocktake starts is refused" 'no stocktake of B12 is under way' "$T/st0"
op card stocktake start --place B12 >/dev/null 2>&1
op card stocktake read --place B12 >"$T/st1" 2>&1
expect_grep "a card of the place belongs here" '^card 1: chip .*, JOB-000003: belongs here' "$T/st1"
desk -l "$(card_of JOB-000004)"
op card stocktake read --place B12 >"$T/st2" 2>&1
expect_grep "a card of another place is named with its place" '^card 2: .*JOB-000004: BELONGS ELSEWHERE: stored in C03' "$T/st2"
desk -l "$(card_of JOB-000001)"
op card stocktake read --place B12 >"$T/st3" 2>&1
expect_grep "a card handed over is not in custody" '^card 3: .*JOB-000001: NOT IN CUSTODY: handed over on' "$T/st3"
desk -l "$T/foreign"
op card stocktake read --place B12 >"$T/st4" 2>&1
expect_grep "a card this station did not print is named" '^card 4: chip 04FFFFFFFFFFFF01: NOT PRINTED HERE' "$T/st4"
op card stocktake end --place B12 >"$T/st5" 2>&1
expect_grep "the stocktake ends with the counts" '^stocktake of B12: 4 cards read, 1 where they belong' "$T/st5"
expect_grep "the card recorded in B12 and not read is missing" '^MISSING: recorded in this place, not read: 1$' "$T/st5"
expect_grep "and named" '^  [0-9A-F]* +JOB-000005 +stored in B12' "$T/st5"
expect_grep "the foreign card is listed" '^NOT PRINTED HERE .*: 1$' "$T/st5"
check "a stocktake changes no custody record" grep -q 'stored in C03' <(ctl card show JOB-000004)
finish
