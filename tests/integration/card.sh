#!/bin/bash
# Chip personalisation through the real PC/SC stack (libpcsclite -> private
# pcscd -> vpcd -> C card emulator): a job becomes a personalised, verified,
# activated card (also on a contact card that implements only ISO/IEC 7816-4
# and 7816-9, and not on a chip too small for it); an independent check with opensc-tool and the openssl command
# line; cetakctl card read; every injected fault ends in its named outcome
# and leaves nothing that passes for a good card; PKCS#11 signing (SoftHSM2).
. "$(dirname "$0")/../lib.sh"

P=$(fx_port)
R="cetak test VPCD 00 00"
PROFILE=$ROOT/etc/profiles/icao-lds.conf
JOB=$ROOT/etc/examples/EXAMPLE-000001.json
fx_pcscd "$P" || { notok "private pcscd starts"; finish; }
scripts/make-test-pki "$T/pki" >/dev/null 2>&1
check "the test PKI is made with private keys mode 600" test "$(stat -c %a "$T/pki/ds.key")" = 600
perso() {
	timeout 60 "$B/tests/perso" -r "$R" -p "$PROFILE" -c "$T/pki/ds.pem" -a "$T/pki/csca.pem" \
		-k "$T/pki/ds.key" -t 3000 "$@" "$JOB"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2"; }
card() { fx_card "$P" "$T/$1" "${@:2}"; sleep 0.5; }
unplug() { fx_card_gone "$FX_CARD_PID"; }

# --- the happy path, extended-length APDUs ---
card dump-ext -s 0455AA0102030405 -m 4096
perso >"$T/ok.out" 2>&1
check "a blank card is personalised, verified and activated" grep -q '^outcome=ok ' "$T/ok.out"
check "the chip serial is read and reported" test "$(field serial "$T/ok.out")" = 0455AA0102030405
check "extended-length APDUs are used when the ATR announces them" test "$(field ext "$T/ok.out")" = 1
check "the chunk adapts to what the card accepts (4095 of 4096)" test "$(field chunk "$T/ok.out")" = 4095
echo "# $(sed 's/ message=.*//' "$T/ok.out")"

# --- independent check: opensc-tool reads, openssl verifies ---
read_ef() { # FID -> hex of the whole file, read 255 bytes at a time by opensc-tool
	local off=0 hex="" out sw
	while :; do
		out=$(opensc-tool -r 0 -s 00A4040C07A0000002471001 -s "00A4020C02$1" \
			-s "00B0$(printf %04X $off)FF" 2>/dev/null)
		sw=$(echo "$out" | grep 'Received' | tail -1 | sed -n 's/.*SW1=0x\(..\), SW2=0x\(..\).*/\1\2/p')
		chunk=$(echo "$out" | sed -n '/^Sending: 00 B0/,$p' | grep -E '^([0-9A-F]{2} )+' | cut -c1-48 | tr -d ' \n')
		hex=$hex$chunk
		[ "$sw" = 9000 ] && [ ${#chunk} = 510 ] || break
		off=$((off + 255))
	done
	echo "$hex"
}
for f in 011D 0101 0102 0107 010B 010C 010D; do
	read_ef $f | xxd -r -p >"$T/ef-$f.bin"
done
check "opensc-tool reads EF.SOD back" test -s "$T/ef-011D.bin"
# strip the tag-77 wrapper: 77 82 LL LL
tail -c +5 "$T/ef-011D.bin" >"$T/sod.der"
openssl cms -verify -inform DER -in "$T/sod.der" -CAfile "$T/pki/csca.pem" -binary \
	-out "$T/lds.der" >"$T/cms.out" 2>&1
check "openssl cms -verify accepts EF.SOD with the CSCA" grep -q 'Verification successful' "$T/cms.out"
openssl cms -cmsout -print -inform DER -in "$T/sod.der" >"$T/cms.txt" 2>&1
expect_grep "EF.SOD is SignedData version 3" '^    version: 3' "$T/cms.txt"
expect_grep "its content type is id-icao-ldsSecurityObject" 'eContentType: .*\(?2\.23\.136\.1\.1\.1\)?$' "$T/cms.txt"
expect_grep "it carries a signing time" 'signingTime' "$T/cms.txt"
openssl asn1parse -inform DER -in "$T/lds.der" >"$T/lds.txt"
mapfile -t nums < <(grep -A1 ' SEQUENCE ' "$T/lds.txt" | sed -n 's/.*INTEGER *:\([0-9A-F]*\)/\1/p' | tail -n +2)
mapfile -t hashes < <(sed -n 's/.*OCTET STRING *\[HEX DUMP\]:\([0-9A-F]*\)/\1/p' "$T/lds.txt")
echo "# LDSSecurityObject lists DGs: ${nums[*]}"
check "EF.SOD lists six data groups" test "${#hashes[@]}" = 6
fid_of() { case $((16#$1)) in 1) echo 0101 ;; 2) echo 0102 ;; 7) echo 0107 ;; 11) echo 010B ;; 12) echo 010C ;; 13) echo 010D ;; esac; }
good=0
for i in "${!hashes[@]}"; do
	f=$(fid_of "${nums[$i]}")
	d=$(openssl dgst -sha256 -r "$T/ef-$f.bin" | cut -c1-64 | tr a-f A-F)
	[ "$d" = "${hashes[$i]}" ] && good=$((good + 1))
done
check "every data group read by opensc-tool matches its hash (openssl dgst)" test "$good" = 6
check "DG1 holds the MRZ with the NIK" \
	grep -q "I<IDN$(sed -n 's/.*"nik": "\([0-9]\{9\}\).*/\1/p' "$JOB")<" "$T/ef-0101.bin"

# --- cetakctl card read ---
"$B/cetakctl" card read --reader "$R" --profile "$PROFILE" --csca "$T/pki/csca.pem" >"$T/read" 2>&1
check "cetakctl card read exits 0 for a good card" test $? = 0
expect_grep "it shows the verdict" '^verdict: +VERIFIED: EF.SOD signature and all 6 data group hashes' "$T/read"
expect_grep "it shows the holder's name" "^name: +$(sed -n 's/.*"name": "\(.*\)",/\1/p' "$JOB" | head -1)$" "$T/read"
expect_grep "it shows the chip serial" '^chip: +0455AA0102030405$' "$T/read"
"$B/cetakctl" --json card read --reader "$R" --profile "$PROFILE" --csca "$T/pki/csca.pem" >"$T/read.json" 2>&1
expect_grep "--json says verified" '"verified": true' "$T/read.json"
"$B/cetakctl" card read --reader "$R" --profile "$PROFILE" --csca "$T/pki/ds.pem" >"$T/read-other" 2>&1
check "against another CSCA the card does not verify (exit 1)" test $? = 1
expect_grep "and the verdict says why" 'does not verify against the CSCA' "$T/read-other"

# --- a personalised card is never written again ---
perso >"$T/again.out" 2>&1
check "a second run refuses the card as not blank" grep -q '^outcome=card not blank ' "$T/again.out"
check "having written nothing" test "$(field bytes "$T/again.out")" = 0
unplug
check "the card dump holds EF.SOD" test -s "$T/dump-ext/A0000002471001/011D"

# --- short APDUs only ---
card dump-short -m 255
perso >"$T/short.out" 2>&1
check "a card without extended length is personalised with short APDUs" grep -q '^outcome=ok .* chunk=255 ext=0 ' "$T/short.out"
echo "# $(sed 's/ message=.*//' "$T/short.out")"
unplug

# --- a contact card that implements only ISO/IEC 7816-4 and 7816-9 ---
# (no FF CA, no proprietary lock, an empty MF, no extended length)
card dump-iso -I -s 0455AA0102039999 -m 255
opensc-tool -r 0 -s FFCA000000 >"$T/iso-ffca" 2>&1
expect_grep "the ISO card answers the reader pseudo-command 6E00, as a contact card does" 'SW1=0x6E, SW2=0x00' "$T/iso-ffca"
perso >"$T/iso.out" 2>&1
check "the ISO card is personalised, verified and activated" grep -q '^outcome=ok .* chunk=255 ext=0 ' "$T/iso.out"
check "its serial comes from EF.GDO (DO 5A)" test "$(field serial "$T/iso.out")" = 0455AA0102039999
echo "# $(sed 's/ message=.*//' "$T/iso.out")"
"$B/cetakctl" card read --reader "$R" --profile "$PROFILE" --csca "$T/pki/csca.pem" >"$T/iso-read" 2>&1
expect_grep "cetakctl card read verifies it" '^verdict: +VERIFIED' "$T/iso-read"
opensc-tool -r 0 -s 00A4040C07A0000002471001 -s 00A4020C020101 -s 00D6000001FF >"$T/iso-upd" 2>&1
expect_grep "its activated application refuses a write from anyone (6982)" 'SW1=0x69, SW2=0x82' "$T/iso-upd"
perso >"$T/iso-again.out" 2>&1
check "and a second personalisation finds it not blank" grep -q '^outcome=card not blank ' "$T/iso-again.out"
unplug

# --- a chip of 8 KiB: the files of a 20 KB photo do not fit ---
card dump-8k -m 4096 -C 8192
perso >"$T/8k.out" 2>&1
check "the emulator refuses a write beyond its capacity: write failed, 6A84" \
	grep -q '^outcome=write failed .*6A84' "$T/8k.out"
unplug

# --- a T=0-style card: data comes by GET RESPONSE (61xx) ---
card dump-t0 -m 255 -F getresp
perso >"$T/t0.out" 2>&1
check "a card that answers 61xx is followed with GET RESPONSE and verifies" grep -q '^outcome=ok ' "$T/t0.out"
unplug

# --- a job straight from cetakd's job store ---
mkdir -p "$T/store-spool/new" && cp "$JOB" "$T/store-spool/new/"
fx_config "$T/s.conf" ""
sed -i "s|spool_dir = .*|spool_dir = \"$T/store-spool\";|; s|state_dir = .*|state_dir = \"$T/store-state\";|; s|control_socket = .*|control_socket = \"$T/store.sock\";|" "$T/s.conf"
"$B/cetakd" -c "$T/s.conf" >"$T/store-cetakd.log" 2>&1 &
SP=$!
wait_for 10 sh -c "! ls '$T/store-spool/new' | grep -q ."
kill $SP; wait $SP 2>/dev/null
card dump-store -m 4096
timeout 60 "$B/tests/perso" -r "$R" -p "$PROFILE" -c "$T/pki/ds.pem" -a "$T/pki/csca.pem" \
	-k "$T/pki/ds.key" -S "$T/store-state/cetak.db:EXAMPLE-000001" >"$T/store.out" 2>&1
check "a job taken from the job store personalises a card" grep -q '^outcome=ok ' "$T/store.out"
unplug

# --- faults: each a named outcome, nothing that passes for a good card ---
fault() { # NAME EXPECTED-OUTCOME cardemu-fault
	card "dump-$1" -m 4096 -F "$3"
	perso >"$T/f-$1.out" 2>&1
	if grep -q "^outcome=$2 " "$T/f-$1.out"; then ok "fault $1: outcome '$2'"; else
		notok "fault $1: outcome '$2'"; sed 's/^/#   /' "$T/f-$1.out"; fi
	"$B/cetakctl" card read --reader "$R" --profile "$PROFILE" --csca "$T/pki/csca.pem" \
		--timeout 2 >"$T/f-$1.read" 2>&1
	local rc=$?
	check "fault $1: the card does not pass as good afterwards" test $rc != 0
	unplug
}
fault write-refused "write failed" sw:6:6581
expect_grep "the refusal names the file and the status word" 'creating DG1 \(95 bytes\): 6581 memory failure' "$T/f-write-refused.out"
fault update-refused "write failed" sw:9:6A84
fault torn "card removed or reset" tear:8
fault used-card "card not blank" personalised
fault other-card "wrong card" wrongatr
fault no-chip "no card" nochip
fault mute "card removed or reset" mute:8
"$B/tests/perso" -r "no such reader" -p "$PROFILE" -c "$T/pki/ds.pem" -a "$T/pki/csca.pem" \
	-k "$T/pki/ds.key" -t 500 "$JOB" >"$T/noreader.out" 2>&1
check "no matching reader: outcome 'reader missing'" grep -q '^outcome=reader missing ' "$T/noreader.out"
perso >"$T/nocard.out" 2>&1
check "no card within the timeout: outcome 'no card'" grep -q '^outcome=no card .*no card within 3000 ms' "$T/nocard.out"

# --- PKCS#11: the Document Signer key inside a SoftHSM2 token ---
mkdir -p "$T/hsm/tokens"
printf 'directories.tokendir = %s/hsm/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/hsm/softhsm2.conf"
export SOFTHSM2_CONF=$T/hsm/softhsm2.conf
MOD=/usr/lib/softhsm/libsofthsm2.so
softhsm2-util --init-token --free --label cetak-test --pin 123456 --so-pin 12345678 >/dev/null
pkcs11-tool --module $MOD --login --pin 123456 --keypairgen --key-type EC:prime256v1 \
	--label dskey --id 01 >/dev/null 2>&1
check "a non-extractable EC key is generated inside the token" \
	sh -c "pkcs11-tool --module $MOD --login --pin 123456 --list-objects 2>/dev/null | grep -q 'label: *dskey'"
URI="pkcs11:token=cetak-test;object=dskey;type=private"
OPENSSL_CONF=/dev/null openssl req -new -engine pkcs11 -keyform engine -key "$URI" \
	-passin pass:123456 -subj "/C=ID/O=cetak TEST ONLY/CN=cetak TEST HSM Document Signer" \
	-out "$T/hsm/ds.csr" >/dev/null 2>&1 <<<"123456"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' >"$T/hsm/ext"
openssl x509 -req -in "$T/hsm/ds.csr" -CA "$T/pki/csca.pem" -CAkey "$T/pki/csca.key" \
	-CAcreateserial -days 30 -sha256 -extfile "$T/hsm/ext" -out "$T/hsm/ds.pem" >/dev/null 2>&1
check "its certificate is issued by the test CSCA" test -s "$T/hsm/ds.pem"
echo 123456 >"$T/hsm/pin" && chmod 600 "$T/hsm/pin"
card dump-hsm -m 4096
timeout 60 "$B/tests/perso" -r "$R" -p "$PROFILE" -c "$T/hsm/ds.pem" -a "$T/pki/csca.pem" \
	-P "$MOD|$URI|$T/hsm/pin" "$JOB" >"$T/hsm.out" 2>&1
check "a card is personalised with the key in the token" grep -q '^outcome=ok ' "$T/hsm.out"
"$B/cetakctl" card read --reader "$R" --profile "$PROFILE" --csca "$T/pki/csca.pem" >"$T/hsm.read" 2>&1
expect_grep "and verifies against the CSCA" '^verdict: +VERIFIED' "$T/hsm.read"
unplug
echo 654321 >"$T/hsm/badpin"
card dump-badpin -m 4096
timeout 60 "$B/tests/perso" -r "$R" -p "$PROFILE" -c "$T/hsm/ds.pem" -a "$T/pki/csca.pem" \
	-P "$MOD|$URI|$T/hsm/badpin" "$JOB" >"$T/badpin.out" 2>&1
expect_grep "a wrong PIN is reported, once, and no card is touched" 'cannot load the signing key from the token' "$T/badpin.out"
check "the card was not written" test ! -e "$T/dump-badpin/A0000002471001/011E"
unplug

# the same token holds the station key that signs cetakd's audit checkpoints
fx_config "$T/hsm.conf" "ledger = { station_key = \"$URI\"; station_cert = \"$T/hsm/ds.pem\";
	pkcs11_module = \"$MOD\"; station_pin = \"$T/hsm/pin\"; checkpoint_every = 2; };"
if fx_cetakd "$T/hsm.conf"; then
	ctl stock receive LOT-HSM-1 5 >/dev/null 2>&1
	ctl stock receive LOT-HSM-2 3 >/dev/null 2>&1
	ctl audit export -o "$T/hsm-audit.jsonl" >/dev/null 2>&1
	"$B/cetak-audit" verify "$T/hsm-audit.jsonl" --cert "$T/hsm/ds.pem" >"$T/hsm-audit.out" 2>&1
	expect_grep "cetakd signs audit checkpoints with a PKCS#11 station key" \
		'^OK: 2 records, 1 signed checkpoints' "$T/hsm-audit.out"
	kill -TERM "$FX_CETAKD_PID"; wait "$FX_CETAKD_PID" 2>/dev/null
else
	notok "cetakd starts with a PKCS#11 station key"
fi
fx_config "$T/hsm-bad.conf" "ledger = { station_key = \"$URI\"; station_cert = \"$T/hsm/ds.pem\";
	pkcs11_module = \"$MOD\"; station_pin = \"$T/hsm/badpin\"; };"
timeout 20 "$B/cetakd" -c "$T/hsm-bad.conf" >"$T/hsm-bad.log" 2>&1
check "with a wrong PIN cetakd refuses to start (exit 1)" test $? = 1
expect_grep "and says why" 'station key refused: .*cannot load the signing key from the token' "$T/hsm-bad.log"
finish
