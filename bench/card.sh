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

# run MODE MAXAPDU: N cards through perso; prints the summary
run() {
	fx_card "$P" "$T/dump-$1" -m "$2" -c "$N"
	sleep 0.5
	"$B/tests/perso" -r "$R" -p "$ROOT/etc/profiles/icao-lds.conf" -c "$T/pki/ds.pem" \
		-a "$T/pki/csca.pem" -k "$T/pki/ds.key" -n "$N" "$JOB" >"$T/$1.out"
	kill "$FX_CARD_PID" 2>/dev/null; wait "$FX_CARD_PID" 2>/dev/null
	# the minimum APDU count this card allows for these files: per file CREATE +
	# ceil(len/max) UPDATE, SELECT + ceil(len/max) READ; plus serial, SELECT AID,
	# blank check and LOCK
	local max=$(($2 > 255 ? $2 : 255)) rmax=$(($2 > 255 ? $2 : 256)) min=4 f sz
	for f in "$T/dump-$1/card-001/A0000002471001"/*; do
		sz=$(stat -c %s "$f")
		min=$((min + 2 + (sz + max - 1) / max + (sz + rmax - 1) / rmax))
	done
	awk -v mode="$1" -v max="$2" -v min="$min" '
	function v(k,   i, a) { for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) return a[2] } }
	$1 == "outcome=ok" { n++; ap += v("apdus"); by += v("bytes"); cpu += v("build_cpu_ms") + v("card_cpu_ms");
		wall += v("card_ms"); if (v("apdus") > apmax) apmax = v("apdus") }
	$1 != "outcome=ok" { bad++ }
	END { printf "%-10s max data %5d: %d cards ok, %d failed; APDUs/card %.1f (max %d, minimum %d: +%.1f%%); " \
		"data bytes/card %.0f, per APDU %.0f; host CPU/card %.2f ms; time with the card %.1f ms\n",
		mode, max, n, bad, ap / n, apmax, min, (ap / n - min) * 100 / min, by / n, by / ap, cpu / n, wall / n }' "$T/$1.out"
}
echo "photo: $(sed -n 's/.*"photo": "\([^"]*\)".*/\1/p' "$JOB" | base64 -d | wc -c) bytes JPEG"
run extended 32767
run ext4096 4096
run short 255

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
