#!/bin/bash
# bench/card.sh - chip personalisation cost through pcscd + vpcd + the card
# emulator, and the same files written by the obvious script
# (opensc-tool + openssl). usage: bench/card.sh [CARDS] [SCRIPTED_CARDS]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
N=${1:-200}
NS=${2:-10}
T=$(mktemp -d /var/tmp/cetak-bench.XXXXXX)
chmod 755 "$T"
. "$ROOT/tests/fixtures/fixtures.sh"
trap 'fx_cleanup; rm -rf "$T"' EXIT
R="cetak test VPCD 00 00"
P=$(fx_port)
fx_pcscd "$P" || exit 1
"$ROOT/scripts/make-test-pki" "$T/pki" >/dev/null 2>&1
"$B/tests/jobgen" -n 1 -o "$T/job" -k 20 >/dev/null
JOB=$T/job/JOB-000001.json

MASTER=11111111111111111111111111111111
printf '2468\n' >"$T/sam.pin"
# run MODE PROFILE MAXAPDU [sam]: N cards through perso; prints the summary,
# the bytes on the card's line per card and what they take at real speeds
run() {
	local mode=$1 prof=$2 max=$3 sam=${4:-} card=() samargs=() sampid=
	if [ -n "$sam" ]; then
		card=(-X -I -C 8192 -K "$MASTER")
		"$B/tests/cardemu" -p $((P + 1)) -A -K "$MASTER" -k "$T/pki/ds.key" -e "$T/pki/ds.pem" \
			-D 3273 -P 2468 -B 1000000 >/dev/null 2>&1 &
		sampid=$!
		samargs=(-s "cetak test VPCD 00 01" -i 2468 -d 3273)
	fi
	fx_card "$P" "$T/dump-$mode" -m "$max" -c "$N" -L "$T/$mode.wire" "${card[@]}"
	sleep 0.5
	"$B/tests/perso" -r "$R" -p "$prof" -c "$T/pki/ds.pem" -a "$T/pki/csca.pem" \
		-k "$T/pki/ds.key" -n "$N" "${samargs[@]}" "$JOB" >"$T/$mode.out"
	kill "$FX_CARD_PID" $sampid 2>/dev/null; wait "$FX_CARD_PID" $sampid 2>/dev/null
	# the minimum APDU count this card allows for these files: per file CREATE +
	# ceil(len/max) UPDATE, SELECT + ceil(len/max) READ (what a wrapped APDU
	# leaves for data, with secure messaging); plus the fixed commands: serial,
	# SELECT AID, blank check, SELECT AID + ACTIVATE (5); on the SAM profile's
	# contact card also EF.GDO (+2), CREATE of the application (+2) and the
	# authentication (+3)
	local w=$((max > 255 ? max : 255)) r=$((max > 255 ? max : 256)) min=5 f sz
	if [ -n "$sam" ]; then
		w=$((((w - 15) / 16) * 16 - 1)) r=$((((r - 19) / 16) * 16 - 1)) min=12
	fi
	for f in "$T/dump-$mode/card-001/A0000002471001"/*; do
		sz=$(stat -c %s "$f")
		min=$((min + 2 + (sz + w - 1) / w + (sz + r - 1) / r))
	done
	local wire=$(($(tr -cd '0-9A-F' <"$T/$mode.wire" | wc -c) / 2 / N))
	awk -v mode="$mode" -v max="$max" -v min="$min" -v wire="$wire" '
	function v(k,   i, a) { for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) return a[2] } }
	$1 == "outcome=ok" { n++; ap += v("apdus"); sap += v("sam_apdus"); by += v("bytes");
		b += v("build_cpu_ms"); c += v("card_cpu_ms"); wall += v("card_ms"); q += v("photo_q")
		if (v("apdus") > apmax) apmax = v("apdus") }
	$1 != "outcome=ok" { bad++ }
	END { printf "%-10s max data %5d: %d cards ok, %d failed; APDUs/card %.1f (max %d, minimum %d: +%.1f%%), SAM APDUs %.1f; " \
		"data bytes/card %.0f (photo quality %.0f); host CPU/card %.2f ms (data groups %.2f, card %.2f); time with the card %.1f ms; " \
		"on the line %d bytes/card: %.1f s at 9.6 kbit/s, %.2f s at 115, %.2f s at 424\n",
		mode, max, n, bad, ap / n, apmax, min, (ap / n - min) * 100 / min, sap / n, by / n, q / n,
		(b + c) / n, b / n, c / n, wall / n,
		wire, wire * 1.35 / 1024, wire * 1.35 / 1024 * 9.6 / 115, wire * 1.35 / 1024 * 9.6 / 424 }' "$T/$mode.out"
}
echo "photo: $(sed -n 's/.*"photo": "\([^"]*\)".*/\1/p' "$JOB" | base64 -d | wc -c) bytes JPEG"
ICAO=$ROOT/etc/profiles/icao-lds.conf
SAMP=$ROOT/etc/profiles/sam-ektp.conf
run extended "$ICAO" 32767
run ext4096 "$ICAO" 4096
run short "$ICAO" 255
run sam-ext "$SAMP" 32767 sam
run sam-4096 "$SAMP" 4096 sam
run sam-short "$SAMP" 255 sam
[ "$NS" = 0 ] && exit 0

# The scripted alternative: same files (those cetakd wrote on the first card),
# EF.SOD signed with openssl cms, written and read back with opensc-tool.
src=$T/dump-extended/card-001/A0000002471001
fx_card "$P" "$T/dump-script" -m 255 -c "$NS"
sleep 0.5
hexof() { od -An -tx1 -v "$1" | tr -d ' \n' | tr a-f A-F; }
total=0
s=$(date +%s%N)
for i in $(seq "$NS"); do
	w=$T/script-$i && mkdir -p "$w"
	# LDSSecurityObject by asn1parse -genconf, then CMS
	{
		echo "asn1=SEQUENCE:lds"; echo "[lds]"; echo "version=INTEGER:0"; echo "alg=SEQUENCE:alg"
		echo "hashes=SEQUENCE:hashes"; echo "[alg]"; echo "oid=OID:sha256"; echo "[hashes]"
		for dg in 0101:1 0102:2 0107:7 010B:11 010C:12 010D:13; do echo "h${dg#*:}=SEQUENCE:h${dg#*:}"; done
		for dg in 0101:1 0102:2 0107:7 010B:11 010C:12 010D:13; do
			echo "[h${dg#*:}]"; echo "n=INTEGER:${dg#*:}"
			echo "v=FORMAT:HEX,OCTETSTRING:$(openssl dgst -sha256 -r "$src/${dg%:*}" | cut -c1-64)"
		done
	} >"$w/lds.cnf"
	openssl asn1parse -genconf "$w/lds.cnf" -out "$w/lds.der" >/dev/null
	openssl cms -sign -binary -nodetach -econtent_type 2.23.136.1.1.1 -md sha256 -outform DER \
		-signer "$T/pki/ds.pem" -inkey "$T/pki/ds.key" -in "$w/lds.der" -out "$w/sod.cms"
	cp "$src/011D" "$w/sod" # a 77-wrapped EF.SOD of the same size
	for f in 011E 0101 0102 0107 010B 010C 010D 011D; do
		file=$src/$f; [ $f = 011D ] && file=$w/sod
		sz=$(stat -c %s "$file"); hex=$(hexof "$file")
		args=(-s 00A4040C07A0000002471001 -s "00E000000D620B8201018302${f}8002$(printf %04X "$sz")")
		for ((off = 0; off < sz; off += 255)); do
			n=$((sz - off < 255 ? sz - off : 255))
			args+=(-s "00D6$(printf %04X $off)$(printf %02X $n)${hex:$((off * 2)):$((n * 2))}")
		done
		opensc-tool -r 0 "${args[@]}" >/dev/null 2>&1
		rargs=(-s 00A4040C07A0000002471001 -s "00A4020C02$f")
		for ((off = 0; off < sz; off += 255)); do
			n=$((sz - off < 255 ? sz - off : 255))
			rargs+=(-s "00B0$(printf %04X $off)$(printf %02X $n)")
		done
		opensc-tool -r 0 "${rargs[@]}" >"$w/read-$f" 2>&1
	done
	openssl cms -verify -inform DER -in "$w/sod.cms" -CAfile "$T/pki/csca.pem" -binary \
		-out "$w/check.der" >/dev/null 2>&1
	opensc-tool -r 0 -s 80100000 >/dev/null 2>&1 # lock
	e=$(date +%s%N)
	total=$((total + (e - s) / 1000))
	# the next card (not timed): wait until a blank one is in the reader
	sleep 0.3
	while "$B/tests/pcsc_probe" -r "$R" -t 2 00A4040C07A0000002471001 00A4020C02011E 2>/dev/null |
		tail -1 | grep -q 9000; do sleep 0.1; done
	s=$(date +%s%N)
done
echo "scripted  (opensc-tool + openssl, short APDUs): $NS cards, $((total / 1000 / NS)) ms per card, card swaps excluded"
