#!/bin/bash
# The SAM profile through the real PC/SC stack: the card emulator as a
# secured blank in the vpcd reader's first slot, the SAM emulator in its
# second. A blank is personalised through the SAM and verified; a sniffer on
# the card's line sees no personal data in clear (and, as the control, all
# of it on the ICAO profile's plain card); cetakctl card read needs the SAM;
# a second personalisation, a stolen blank written without the SAM, a
# blank of another district, a counterfeit one, and every way the SAM fails
# end in their named outcomes, and touch no card where they must not.
. "$(dirname "$0")/../lib.sh"

P=$(fx_port)
R="cetak test VPCD 00 00"
S="cetak test VPCD 00 01"
SAMP=$ROOT/etc/profiles/sam-ektp.conf
ICAO=$ROOT/etc/profiles/icao-lds.conf
JOB=$ROOT/etc/examples/EXAMPLE-000001.json
MASTER=11111111111111111111111111111111
fx_pcscd "$P" || { notok "private pcscd starts"; finish; }
scripts/make-test-pki "$T/pki" >/dev/null 2>&1
printf '2468\n' >"$T/sam.pin"
chmod 600 "$T/sam.pin"
perso() { # PROFILE [perso options]
	timeout 60 "$B/tests/perso" -r "$R" -p "$1" -c "$T/pki/ds.pem" -a "$T/pki/csca.pem" \
		-k "$T/pki/ds.key" -t 3000 "${@:2}" "${JOBF:-$JOB}"
}
sam_perso() { perso "$SAMP" -s "$S" -i 2468 -d 3273 "$@"; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2"; }
card() { # NAME [cardemu options]: a blank in the card slot, its line sniffed into $T/NAME.wire
	fx_card "$P" "$T/$1" -L "$T/$1.wire" "${@:2}"
	CARD=$FX_CARD_PID
	sleep 0.5
}
sam() { # [cardemu options]: the SAM in the second slot
	"$B/tests/cardemu" -p $((P + 1)) -A -K "$MASTER" -k "$T/pki/ds.key" -e "$T/pki/ds.pem" \
		-D 3273 -P 2468 "$@" >>"$T/samemu.log" 2>&1 &
	SAM=$!
	FX_PIDS="$FX_PIDS $SAM"
	sleep 0.5
}
unplug() { fx_card_gone "$CARD"; }
unplug_sam() { fx_card_gone "$SAM" "*00 01"; }
hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | tr a-f A-F; }
# what a sniffer must not see: the NIK, the name, 32 bytes from the middle of the photo
NIK=$(sed -n 's/.*"nik": "\([0-9]*\)".*/\1/p' "$JOB")
NAME=$(sed -n 's/.*"name": "\([^"]*\)".*/\1/p' "$JOB" | head -1)
sed -n 's/.*"photo": "\([^"]*\)".*/\1/p' "$JOB" | base64 -d >"$T/photo.jpg"
PHOTO=$(tail -c +$(($(stat -c %s "$T/photo.jpg") / 2)) "$T/photo.jpg" | head -c 32 | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
seen() { # WIRE: which of the three a sniffer saw
	local w=$1 s=""
	grep -q "$(hexof "$NIK")" "$w" && s="$s nik"
	grep -q "$(hexof "$NAME")" "$w" && s="$s name"
	grep -q "$PHOTO" "$w" && s="$s photo"
	echo "${s:- nothing}"
}

# --- the control: the ICAO profile's plain card shows everything on its line ---
card plain -m 4096
perso "$ICAO" >"$T/plain.out" 2>&1
check "the ICAO profile personalises its plain card" grep -q '^outcome=ok ' "$T/plain.out"
check "a sniffer on the plain card's line sees the NIK, the name and the photo" \
	test "$(seen "$T/plain.wire")" = " nik name photo"
unplug

# --- the SAM profile: through the SAM, nothing in clear ---
sam
card secured -X -I -m 4096 -C 8192 -K "$MASTER" -s 0455AA0102030499
sam_perso >"$T/sam.out" 2>&1
check "a secured blank is personalised, verified and activated through the SAM" \
	grep -q '^outcome=ok .*through the SAM' "$T/sam.out"
echo "# $(sed 's/ message=.*//' "$T/sam.out")"
check "the SAM was asked (authentication, signature)" test "$(field sam_apdus "$T/sam.out")" -ge 6
check "a sniffer on the card's line sees nothing of the holder" test "$(seen "$T/secured.wire")" = " nothing"
check "the line carried secure messaging (CLA 0C, DO 87 and 8E)" grep -q '^0CD6....[0-9A-F]*87.*8E08' "$T/secured.wire"

# --- cetakctl card read: with the SAM it verifies, without it reads nothing ---
"$B/cetakctl" card read --reader "$R" --profile "$SAMP" --csca "$T/pki/csca.pem" \
	--sam-reader "$S" --sam-pin "$T/sam.pin" >"$T/read" 2>&1
check "cetakctl card read through the SAM exits 0" test $? = 0
expect_grep "and verifies the card" '^verdict: +VERIFIED' "$T/read"
expect_grep "and shows the holder" "$NAME" "$T/read"
"$B/cetakctl" card read --reader "$R" --profile "$SAMP" --csca "$T/pki/csca.pem" >"$T/read-nosam" 2>&1
check "without the SAM cetakctl card read fails" test $? != 0
expect_grep "saying the card is read only through its SAM" 'read only through its SAM' "$T/read-nosam"
check "and shows nothing of the holder" sh -c "! grep -q '$NAME' '$T/read-nosam'"

# --- an 8 KB chip and a 20 KB photo: fitted, never refused by the chip ---
unplug
"$B/tests/jobgen" -n 6 -o "$T/jobs" -s 11 >/dev/null
card big -X -I -m 4096 -C 8192 -K "$MASTER"
JOBF=$T/jobs/JOB-000001.json sam_perso >"$T/big.out" 2>&1
check "a job with a $(($(sed -n 's/.*"photo": "\([^"]*\)".*/\1/p' "$T/jobs/JOB-000001.json" | base64 -d | wc -c) / 1024)) KB photo fits the 8 KB chip" \
	grep -q '^outcome=ok ' "$T/big.out"
echo "# $(sed 's/ message=.*//' "$T/big.out")"
check "its photo was re-encoded to fit" test "$(field photo_q "$T/big.out")" -ge 40
unplug
check "the chip holds at most 8192 bytes of files" \
	test "$(cat "$T"/big/*/* 2>/dev/null | wc -c)" -le 8192
echo "# the 8 KB chip holds $(cat "$T"/big/*/* | wc -c) bytes of files"
card secured2 -X -I -m 4096 -C 8192 -K "$MASTER"
sam_perso >/dev/null 2>&1

# --- a second personalisation of the issued card ---
sam_perso >"$T/again.out" 2>&1
expect_grep "a second personalisation is refused: not blank" '^outcome=card not blank ' "$T/again.out"
unplug

# --- a stolen blank, written without the SAM ---
card stolen -X -I -m 4096 -K "$MASTER"
perso "$ICAO" >"$T/stolen.out" 2>&1
expect_grep "a stolen blank written without the SAM is refused by the card (6982)" \
	'^outcome=wrong card .*sw=6982' "$T/stolen.out"
unplug
check "and nothing was written to it" sh -c "! ls '$T/stolen' 2>/dev/null | grep -q A0000002471001"

# --- blanks that are not this district's ---
card other -X -I -m 4096 -K 22222222222222222222222222222222
sam_perso >"$T/other.out" 2>&1
expect_grep "a blank of another district refuses the SAM" '^outcome=card refuses the SAM .*sw=63C9' "$T/other.out"
unplug
card fake -X -I -m 4096 -F counterfeit
sam_perso >"$T/fake.out" 2>&1
expect_grep "a counterfeit blank is named" '^outcome=counterfeit card .*counterfeit blank' "$T/fake.out"
unplug

# --- the SAM itself: wrong PIN, another district's, blocked, absent ---
card spare -X -I -m 4096 -K "$MASTER"
perso "$SAMP" -s "$S" -i 1357 -d 3273 >"$T/pin.out" 2>&1
expect_grep "a wrong SAM PIN is named, with the tries left" 'outcome=SAM failed .*refused its PIN \(2 tries left\)' "$T/pin.out"
perso "$SAMP" -s "$S" -i 2468 -d 3204 >"$T/dist.out" 2>&1
expect_grep "a SAM of another district is named" 'belongs to district 3273, this line to 3204' "$T/dist.out"
unplug_sam
sam -B 0
sam_perso >"$T/blocked.out" 2>&1
expect_grep "a SAM whose retry counter is exhausted is named" 'outcome=SAM failed .*blocked' "$T/blocked.out"
unplug_sam
: >"$T/spare.wire"
sam_perso >"$T/nosam.out" 2>&1
expect_grep "no SAM in its reader is named" 'outcome=SAM failed .*no SAM answers' "$T/nosam.out"
check "and the card was not touched" test ! -s "$T/spare.wire"
sam
sam_perso >"$T/spare.out" 2>&1
check "with the SAM back, that blank is personalised" grep -q '^outcome=ok ' "$T/spare.out"
unplug

# --- a SAM line in cetakd: the USB printer simulator feeds secured blanks ---
ctl_lines() { ctl lines 2>&1; }
stock_has() { ctl stock | grep -Eq "$1"; }
fx_card "$P" "$T/cards-line" -S -c 10000 -m 4096 -C 8192 -X -I -K "$MASTER" -L "$T/line.wire"
wait_for 5 "$B/tests/pcsc_probe" -r "*00 00" -t 1 00A4000C023F00 ||
	echo "# the card emulator is not seen in the reader after 5 s"
FX_STATION='district = "3273";' \
FX_LINES="lines = ( { name = \"S\"; printer = \"usb\"; usb_device = \"0f49:1001\";
	reader = \"$R\"; profile = \"$SAMP\"; sam_reader = \"$S\"; sam_pin = \"$T/sam.pin\"; } );" \
	fx_line_config "$T/samline.conf" "custody = { reader = \"$R\"; read_timeout = 10; profile = \"$SAMP\";
	sam_reader = \"$S\"; sam_pin = \"$T/sam.pin\"; };"
"$B/cetakd" -n -c "$T/samline.conf" >"$T/samline.n" 2>&1
check "cetakd -n accepts a SAM line" test $? = 0
fx_cetakd_usb "$T/samline.conf" -n 10 || { notok "cetakd starts with a SAM line"; finish; }
ctl stock receive LOT-S 20 --doc DN-S >/dev/null
ctl stock load S 10 >/dev/null
for j in 1 2; do ctl submit "$T/jobs/JOB-$(printf %06d $j).json" >/dev/null; done
check "two jobs are printed on the SAM line" settle 2 60
check "two cards issued" stock_has '^issued: +2'
check "no personal data crossed the card's line in clear" test "$(seen "$T/line.wire")" = " nothing"
# the SAM taken out: the line stops before it takes a blank
unplug_sam
ctl submit "$T/jobs/JOB-000003.json" >/dev/null
check "without its SAM the line stops" wait_for 30 sh -c "'$B/cetakctl' -s '$T/run/control' lines | grep -q '^S  *stopped'"
ctl lines >"$T/samline.lines"
expect_grep "saying to put the SAM back" 'reason: .*no SAM answers.*put the district.s SAM in' "$T/samline.lines"
check "no blank was spent" stock_has '^spoiled: +0'
sam
ctl line resume S >/dev/null
check "with the SAM back and the line resumed, the job is printed" settle 3 60
check "the ledger's invariant holds" ctl stock check
# the hand-over: the desk reads the stored card through its SAM
ctl card store JOB-000001 --place B1 >/dev/null
ctl line pause S >/dev/null
chip=$(ctl --json card show JOB-000001 | sed -n 's/.*"chip": "\([0-9A-F]*\)".*/\1/p')
issued=$(grep -lx "$chip" "$T"/cards-line/card-*/serial 2>/dev/null | head -1 | xargs -r dirname)
fx_card_gone "$FX_CARD_PID"
"$B/tests/cardemu" -p "$P" -l "$issued" -X -K "$MASTER" >>"$T/desk.log" 2>&1 &
FX_PIDS="$FX_PIDS $!"
wait_for 5 "$B/tests/pcsc_probe" -r "$R" -t 1 FFCA000000
ctl card handover --nik "$(sed -n 's/.*"nik": "\([0-9]*\)".*/\1/p' "$T/jobs/JOB-000001.json")" >"$T/handover" 2>&1
check "the hand-over reads the SAM card through the desk's SAM and hands it over" test $? = 0
expect_grep "to its holder" '^card of JOB-000001 .*: handed over on ' "$T/handover"
finish
