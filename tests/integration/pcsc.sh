#!/bin/bash
# PC/SC fixture: private pcscd + vpcd + the C card emulator, through
# libpcsclite (our probe) and through opensc-tool (an independent client);
# and cetakd's reader discovery surviving a pcscd restart.
. "$(dirname "$0")/../lib.sh"

P=$(fx_port)
check "private pcscd starts with two vpcd slots" fx_pcscd "$P"
"$B/tests/pcsc_probe" -l >"$T/readers"
expect_grep "vpcd slot 0 is listed" '^cetak test VPCD 00 00$' "$T/readers"
expect_grep "vpcd slot 1 is listed" '^cetak test VPCD 00 01$' "$T/readers"

fx_card "$P" "$T/dump" -s 0411223344556677
R="cetak test VPCD 00 00"
SEL_AID=00A4040C07A0000002471001
CREATE=00E000000D620B820101830201018002002A # EF 0101, 42 bytes
DATA=$(printf '%02X' $(seq 1 42))
"$B/tests/pcsc_probe" -r "$R" $SEL_AID $CREATE "00D600002A$DATA" 00B000002A \
	00A4020C020101 00A4020C020199 FFCA000000 00B0002A01 >"$T/out" 2>&1
mapfile -t L <"$T/out"
check "SELECT by AID answers 9000" test "${L[0]:-}" = 9000
check "CREATE FILE answers 9000" test "${L[1]:-}" = 9000
check "UPDATE BINARY answers 9000" test "${L[2]:-}" = 9000
check "READ BINARY returns what was written" test "${L[3]:-}" = "${DATA}9000"
check "SELECT an existing FID answers 9000" test "${L[4]:-}" = 9000
check "SELECT a missing FID answers 6A82" test "${L[5]:-}" = 6A82
check "GET DATA returns the chip serial" test "${L[6]:-}" = 04112233445566779000
check "READ BINARY past the end answers 6B00" test "${L[7]:-}" = 6B00

# A second client that is not our code: OpenSC's opensc-tool.
opensc-tool -r 0 -s 00A4040C07A0000002471001 -s 00A4020C020101 -s 00B0000004 \
	>"$T/opensc" 2>&1
expect_grep "opensc-tool reads the same bytes" '01 02 03 04.*' "$T/opensc"

# Extended-length APDUs on a card that allows 4096 data bytes.
fx_card_gone "$FX_CARD_PID"
check "the card dump holds the written EF" cmp <(printf "$(echo "$DATA" | sed 's/../\\x&/g')") \
	"$T/dump/A0000002471001/0101"
check "the card dump holds the serial" grep -qx 0411223344556677 "$T/dump/serial"
fx_card "$P" "$T/dump2" -m 4096
BIG=$(head -c 3000 /dev/zero | tr '\0' '\125' | od -An -tx1 -v | tr -d ' \n' | tr a-f A-F)
"$B/tests/pcsc_probe" -r "$R" $SEL_AID 00E000000D620B820101830201028002100000 \
	"00D6000000$(printf '%04X' 3000)$BIG" "00B0000000$(printf '%04X' 3000)" >"$T/ext" 2>&1
mapfile -t E <"$T/ext"
check "an extended UPDATE BINARY of 3000 bytes answers 9000" test "${E[2]:-}" = 9000
check "an extended READ BINARY returns the 3000 bytes" test "${E[3]:-}" = "${BIG}9000"

# Latency: 200 READ BINARY round trips through libpcsclite -> pcscd -> vpcd -> emulator.
args=$(for i in $(seq 200); do printf '00B0000010 '; done)
"$B/tests/pcsc_probe" -r "$R" $SEL_AID 00A4020C020102 >/dev/null 2>&1
s=$(date +%s%N)
"$B/tests/pcsc_probe" -r "$R" $SEL_AID 00A4020C020102 $args >"$T/lat" 2>&1
e=$(date +%s%N)
echo "# 202 APDUs in $(((e - s) / 1000000)) ms (connect included)"
check "200 APDUs answer 9000 each" test "$(grep -c '9000$' "$T/lat")" -ge 200
check "200 APDU round trips take under 2 s (TCP_QUICKACK works)" test $(((e - s) / 1000000)) -lt 2000

# cetakd finds its line's reader, loses it when pcscd stops, finds it again.
FX_LINES='lines = ( { name = "A"; printer = "cups"; cups_queue = "card"; reader = "cetak test VPCD 00 00"; } );' \
	fx_line_config "$T/c.conf"
fx_cetakd "$T/c.conf"
line_state() { ctl --json status | grep -q "\"state\": \"$1\""; }
check "cetakd sees the reader: line A idle" wait_for 5 line_state idle
fx_pcscd_stop
check "pcscd gone: line A not-ready" wait_for 5 line_state not-ready
ctl status >"$T/st"
expect_grep "status names the reason" 'reason: pcscd not available' "$T/st"
fx_pcscd "$P"
check "pcscd back: line A idle again without a restart" wait_for 5 line_state idle
check "the loss was logged once, naming the line" \
	test "$(grep -c "line 'A': pcscd not available .*line not ready" "$T/cetakd.log")" = 1
finish
