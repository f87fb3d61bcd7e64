#!/bin/bash
# SMS notices through the real gammu-smsd (files backend, Gammu's dummy
# phone: no modem): cards printed on line A and stored get their first
# notice at once, then one every interval_days (a test clock moves cetakd
# through six months), three at most; the text names the holder, the office
# and its hours and never the NIK; a notice gammu could not send (its error
# folder) or that never reached its outbox goes again in the next round; a
# card collected while its notice waits in the outbox has it taken back; no
# notice outside the sending hours; gammu not running or its outbox full is
# a one-line refusal that changes nothing; a malformed phone number is
# refused at intake. After three notices over six months the cards are due
# for transfer to their kecamatan: a supervisor makes the batch, whose
# berita acara serah terima (PDF, checked with pdftotext) lists each holder,
# address and chip; a later collection at the kecamatan names the batch.
. "$(dirname "$0")/../lib.sh"

P=$(fx_port)
fx_pcscd "$P" || { notok "private pcscd starts"; finish; }
fx_card "$P" "$T/cards" -S -c 1000 -m 4096
wait_for 5 "$B/tests/pcsc_probe" -r "*00 00" -t 1 FFCA000000 || echo "# no card in the reader after 5 s"
fx_gammu || { notok "gammu-smsd starts with the dummy phone"; finish; }
export CETAK_TEST_CLOCK="$T/clock"
echo 0 >"$CETAK_TEST_CLOCK"
fx_line_config "$T/c.conf" "$(fx_notice_config)"
"$B/tests/jobgen" -n 4 -P -o "$T/jobs" -s 5 >/dev/null
# JOB-000004's holder left no phone number
sed -i '/"contact"/d' "$T/jobs/JOB-000004.json"
# a phone number that is not a mobile is refused with the reason
"$B/tests/jobgen" -n 1 -P -f 9 -o "$T/bad" -s 6 >/dev/null
sed -i 's/0812-0000-0009/021-555-0199/' "$T/bad/JOB-000009.json"
fx_cetakd_usb "$T/c.conf" -n 1000 || { notok "cetakd starts"; finish; }
on_fail() {
	echo "--- custody"; ctl report custody
	echo "--- sms folders"; ls -l "$T/sms/outbox" "$T/sms/sent" "$T/sms/error"
	echo "--- smsd.log (last 10)"; tail -n 10 "$T/sms/smsd.log"
	echo "--- cetakd.log (last 15)"; grep -v 'debug: control' "$T/cetakd.log" | tail -n 15
}
# ahead DAYS: move cetakd's custody clock DAYS days forward from now
ahead() { echo $(($1 * 86400)) >"$CETAK_TEST_CLOCK"; }
# sent N: wait until gammu-smsd has sent N messages in all
sent() { wait_for 15 sh -c "[ \$(grep -c 'Transmitted OUTC.*(total: ' '$T/sms/smsd.log') -ge $1 ]"; }
nik_of() { sed -n 's/.*"nik": *"\([0-9]*\)".*/\1/p' "$T/jobs/$1.json" | head -1; }
name_of() { sed -n 's/.*"name": *"\([^"]*\)".*/\1/p' "$T/jobs/$1.json" | head -1; }

ctl stock receive LOT-N 10 --doc DN-N >/dev/null
ctl stock load A 10 >/dev/null
ctl submit "$T"/jobs/*.json >/dev/null 2>&1
ctl submit "$T/bad/JOB-000009.json" >"$T/bad.out" 2>&1
expect_grep "a landline is refused at submission, with the reason" \
	'contact.phone: "021-555-0199" is not an Indonesian mobile number' "$T/bad.out"
check "four cards are printed" settle 4 60

op notice run >"$T/n0" 2>&1
expect_grep "cards in the output hopper get no notice" 'handed to gammu-smsd: 0;' "$T/n0"
for j in 1 2 3 4; do op card store JOB-00000$j --place B7 >/dev/null 2>&1; done

# round 1: gammu is held (SIGSTOP), so the notices wait in its outbox
kill -STOP "$FX_GAMMU_PID"
op notice run >"$T/n1" 2>&1
check "an operator runs a notice round" test $? = 0
expect_grep "three stored cards with a phone get their first notice" 'handed to gammu-smsd: 3;' "$T/n1"
expect_grep "the card without a phone number is counted" 'without a mobile number: 1$' "$T/n1"
check "three messages wait in gammu's outbox" test "$(ls "$T/sms/outbox" | grep -c '^OUTC.*_+628120000000[123]_cetak-[0-9]*\.txt$')" = 3
check "nothing half-written is visible to gammu" test "$(ls -A "$T/sms/outbox" | grep -vc '^OUT')" = 0
f2=$(ls "$T/sms/outbox" | grep '+6281200000002')
f3=$(ls "$T/sms/outbox" | grep '+6281200000003')
# fault injection: the modem fails JOB-000002's message (gammu moves it to
# error/), and JOB-000003's never reached the outbox (a crash mid-hand-over)
mv "$T/sms/outbox/$f2" "$T/sms/error/$f2"
rm "$T/sms/outbox/$f3"
kill -CONT "$FX_GAMMU_PID"
sent 1
check "gammu-smsd sends the first notice" grep -q 'Transmitted OUTC.*_+6281200000001_cetak-.*to +6281200000001' "$T/sms/smsd.log"
expect_grep "the text names the holder and the office" \
	"with text \"Yth. $(name_of JOB-000001), KTP-el Anda sudah jadi. Silakan ambil di Disdukcapil Kabupaten Lebak, Senin-Jumat pukul 08.00-15.00, dengan membawa bukti pengambilan.\"" \
	"$T/sms/smsd.log"
check "and never the NIK" sh -c "! grep -q '$(nik_of JOB-000001)' '$T/sms/smsd.log'"

op notice run >"$T/n2" 2>&1
expect_grep "the round reads back 1 sent and 2 failed" 'read back: 1 sent, 2 failed' "$T/n2"
expect_grep "and sends the failed ones again at once" 'handed to gammu-smsd: 2;' "$T/n2"
ctl card show JOB-000002 >"$T/c2"
expect_grep "the card shows the failure from gammu's error folder" \
	'SMS 1: failed .*: gammu-smsd could not send it' "$T/c2"
expect_grep "the history carries the notice" 'notice 1 failed' "$T/c2"
ctl card show JOB-000003 >"$T/c3"
expect_grep "a notice that never reached the outbox is failed, named" \
	"SMS 1: failed .*never reached gammu-smsd's outbox" "$T/c3"
check "gammu's copy of a recorded notice is removed (the holder's name)" \
	test "$(ls "$T/sms/sent" "$T/sms/error" | grep -c cetak-)" -le 2
sent 3
op notice run >"$T/n3" 2>&1
expect_grep "the resent notices are recorded sent" 'read back: 2 sent, 0 failed' "$T/n3"
expect_grep "and nothing more is due today" 'handed to gammu-smsd: 0;' "$T/n3"
check "gammu's sent folder holds no cetak message once recorded" \
	test "$(ls "$T/sms/sent" | grep -c cetak-)" = 0
ctl card show JOB-000001 >"$T/c1"
expect_grep "the card shows its notice sent" '^SMS 1: sent ' "$T/c1"

# sending hours: a holiday today means no notice, even when one is due
ahead 61
today=$(date -d "@$(($(date +%s) + 61 * 86400))" +%F)
sed -i "s/holidays = \"[^\"]*\"/holidays = \"$today\"/" "$T/c.conf"
ctl reload >/dev/null
op notice run >"$T/q1" 2>&1
expect_grep "on a holiday the round sends nothing" 'outside the hours for notices' "$T/q1"
expect_grep "nothing handed over" 'handed to gammu-smsd: 0;' "$T/q1"
sed -i "s/holidays = \"[^\"]*\"/holidays = \"\"/" "$T/c.conf"
ctl reload >/dev/null

# gammu not running: refused, nothing recorded
kill "$FX_GAMMU_PID"; wait_for 5 sh -c "! kill -0 $FX_GAMMU_PID"
op notice run >"$T/g1" 2>&1
check "a round with gammu-smsd stopped fails (exit 1)" test $? = 1
expect_grep "and names what to do" 'gammu-smsd is not running .*: start it' "$T/g1"
check "no notice was queued meanwhile" test "$(ls "$T/sms/outbox" | grep -c OUT)" = 0
fx_gammu
kill -STOP "$FX_GAMMU_PID"

# round 2 (day 61): the second notices; JOB-000001 is collected before gammu sends
op notice run >"$T/n4" 2>&1
expect_grep "two months on, the second notices go out" 'handed to gammu-smsd: 3;' "$T/n4"
ctl card correct JOB-000001 --to collected --note "collected; the desk reader was being replaced" >/dev/null 2>&1
check "the notice of a collected card is taken back from the outbox" \
	test "$(ls "$T/sms/outbox" | grep -c '+6281200000001')" = 0
ctl card show JOB-000001 >"$T/c1b"
expect_grep "and recorded as taken back" 'SMS 2: withdrawn .*the card left storage before it was sent' "$T/c1b"
# the outbox is full: no more are handed over
sed -i "s/round_interval = [0-9]*;/round_interval = 3600; outbox_max = 2;/" "$T/c.conf"
ctl reload >/dev/null
op notice run >"$T/full" 2>&1
expect_grep "a full outbox is a one-line refusal" "outbox already holds 2 messages not sent \(notice.outbox_max 2\)" "$T/full"
sed -i "s/outbox_max = 2;//" "$T/c.conf"
ctl reload >/dev/null
kill -CONT "$FX_GAMMU_PID"
sent 5
op notice run >"$T/n5" 2>&1
expect_grep "the two second notices are sent" 'read back: 2 sent' "$T/n5"

# round 3 (day 122) and then nothing: three notices at most
ahead 122
op notice run >/dev/null 2>&1
sent 7
op notice run >"$T/n6" 2>&1
expect_grep "the third notices are sent" 'read back: 2 sent' "$T/n6"
ahead 200
op notice run >"$T/n7" 2>&1
expect_grep "no fourth notice" 'handed to gammu-smsd: 0;' "$T/n7"
ctl card show JOB-000002 >"$T/c2b"
check "a card has three notices sent" test "$(grep -c '^SMS [0-9]: sent' "$T/c2b")" = 3

ctl report custody >"$T/r"
expect_grep "the custody report counts the notices" '^SMS notices: +7 sent, 2 failed, 0 waiting' "$T/r"
expect_grep "and the cards due for transfer (3 notices or no phone, over 180 days)" \
	'^due for transfer: +3' "$T/r"
expect_grep "and balances" 'withdrawn: OK' "$T/r"
# the transfer to the kecamatan: a supervisor makes the batch and its berita acara
op card transfer --kecamatan CIBADAK -o "$T/op.pdf" >"$T/t0" 2>&1
check "an operator may not make a transfer batch (exit 1)" test $? = 1
ctl card transfer --kecamatan KALANGANYAR >"$T/t1" 2>&1
expect_grep "a kecamatan with no card due is refused, with the rule" \
	'no card of kecamatan KALANGANYAR is due for transfer \(0 stored; due after 180 days and 3 notices' "$T/t1"
ctl card transfer --kecamatan CIBADAK -o "$T/bast.pdf" >"$T/t2" 2>&1
check "a supervisor transfers the cards due in CIBADAK" test $? = 0
doc=$(sed -n 's/^transfer batch \(BAST-[0-9]*-01\) to kecamatan CIBADAK, .*: 3 cards$/\1/p' "$T/t2")
check "three cards in a batch numbered by the day" test -n "$doc"
expect_grep "the berita acara is written" "berita acara serah terima written to $T/bast.pdf" "$T/t2"
pdftotext -layout "$T/bast.pdf" "$T/bast.txt" 2>/dev/null
expect_grep "the PDF is the berita acara serah terima" 'BERITA ACARA SERAH TERIMA KTP-EL' "$T/bast.txt"
expect_grep "with its number" "Nomor: $doc" "$T/bast.txt"
expect_grep "the office hands the cards to the kecamatan" 'Yang menerima,' "$T/bast.txt"
expect_grep "of CIBADAK" 'Kecamatan CIBADAK' "$T/bast.txt"
for j in JOB-000002 JOB-000003 JOB-000004; do
	chip=$(ctl --json card show $j | sed -n 's/.*"chip": "\([0-9A-F]*\)".*/\1/p')
	check "the berita acara lists $j's holder, address and chip" \
		sh -c "grep -q '$(name_of $j)' '$T/bast.txt' && grep -q '$chip' '$T/bast.txt' && grep -q 'JL. MAWAR' '$T/bast.txt'"
done
check "the collected card is not in it" sh -c "! grep -q '$(name_of JOB-000001)' '$T/bast.txt'"
check "the holders' NIKs are not in it" sh -c "! grep -q '$(nik_of JOB-000002)' '$T/bast.txt'"
ctl card transfer --kecamatan CIBADAK >"$T/t3" 2>&1
expect_grep "a second batch finds nothing due" 'no card of kecamatan CIBADAK is due for transfer' "$T/t3"
mkdir -m 1777 "$T/pub"
op card batch "$doc" -o "$T/pub/again.pdf" >/dev/null 2>&1
check "an operator prints the berita acara again from the batch" \
	sh -c "pdftotext '$T/pub/again.pdf' - | grep -q '$(name_of JOB-000003)'"
ctl card collected JOB-000003 --doc "$doc" >/dev/null 2>&1
check "a hand-over at the kecamatan is recorded with the batch number" \
	grep -q '^card of JOB-000003 (chip [0-9A-F]*): handed over on' <(ctl card show JOB-000003)
ctl report custody >"$T/r2"
expect_grep "the report lists the batch" "^transfer batch: $doc to kecamatan CIBADAK on .*, 3 cards" "$T/r2"
expect_grep "nothing is due any more" '^due for transfer: +0' "$T/r2"
expect_grep "and the books balance" 'withdrawn: OK' "$T/r2"
ctl report custody --format pdf -o "$T/custody.pdf" >/dev/null 2>&1
pdftotext -layout "$T/custody.pdf" "$T/custody.txt" 2>/dev/null
expect_grep "the custody report prints as PDF" 'LAPORAN PENYIMPANAN KTP-EL YANG SUDAH DICETAK' "$T/custody.txt"
expect_grep "with its batches" "$doc, kecamatan CIBADAK" "$T/custody.txt"
expect_grep "and the balance" 'terbit = disimpan \+ diambil \+ diserahkan \+ .*OK' "$T/custody.txt"
cp "$T/custody.pdf" /tmp/custody-report.pdf

ctl audit export -o "$T/audit.jsonl" >/dev/null 2>&1
check "the audit chain carries each notice's result (7 sent, 2 failed)" \
	sh -c "[ \$(grep -c '\"doc\": *\"sms-sent-[0-9]*\"' '$T/audit.jsonl') = 7 ] && [ \$(grep -c '\"doc\": *\"sms-failed-[0-9]*\"' '$T/audit.jsonl') = 2 ]"
check "and verifies" "$B/cetak-audit" verify "$T/audit.jsonl" --cert "$T/pki/ds.pem"
finish
