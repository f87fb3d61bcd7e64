#!/bin/bash
# cetakd -n: the example config checks and prints in canonical form; the
# canonical form is a fixed point; every kind of mistake is refused with
# FILE:LINE, what is wrong and the fix.
. "$(dirname "$0")/../lib.sh"

"$B/cetakd" -n -c "$ROOT/etc/cetakd.conf" >"$T/canon" 2>"$T/canon.err"
check "the example config is accepted" test $? = 0
check "the canonical form matches the golden file" diff -u "$ROOT/tests/data/cetakd.conf.canonical" \
	<(sed 1d "$T/canon")
sed 1d "$T/canon" >"$T/canon.conf"
"$B/cetakd" -n -c "$T/canon.conf" | sed 1d >"$T/canon2"
check "the canonical form is a fixed point" cmp "$T/canon.conf" "$T/canon2"

printf 'lines = ();\n' >"$T/min.conf"
"$B/cetakd" -n -c "$T/min.conf" >"$T/min.out" 2>&1
check "an almost empty config takes every default" test $? = 0
expect_grep "defaults are printed" 'state_dir = "/var/lib/cetak";' "$T/min.out"
expect_grep "a config without lines gets a note" 'no print lines configured' "$T/min.out"

# bad NAME EXPECTED-ERE <<< config text: cetakd -n must exit 1 with that message.
bad() {
	local name=$1 want=$2
	cat >"$T/bad.conf"
	"$B/cetakd" -n -c "$T/bad.conf" >"$T/bad.out" 2>&1
	local rc=$?
	if [ $rc = 1 ] && grep -Eq -- "$want" "$T/bad.out"; then ok "$name"; else
		notok "$name"; echo "#   rc=$rc"; sed 's/^/#   /' "$T/bad.out"
	fi
}
bad "unknown setting: file, line and the known settings" \
	"bad.conf:2: unknown setting 'daemon.log_levle'; settings of 'daemon' are: log_level, " <<'C'
station = { name = "x"; };
daemon = { log_levle = "debug"; };
C
bad "unknown section" "bad.conf:1: unknown section 'deamon'; sections are: station, paths" <<'C'
deamon = { log_level = "debug"; };
C
bad "out of range" \
	"bad.conf:3: 'daemon.control_max_clients' must be an integer from 1 to 1024 \(got \"0\"\)" <<'C'
daemon = {
	log_level = "info";
	control_max_clients = 0;
};
C
bad "wrong type" "bad.conf:1: 'daemon.reader_poll_ms' must be an integer without quotes" <<'C'
daemon = { reader_poll_ms = "2000"; };
C
bad "bad enum" "bad.conf:1: 'station.role' must be one of: main, upt \(got \"kecamatan\"\)" <<'C'
station = { role = "kecamatan"; };
C
bad "bad log level" "'daemon.log_level' must be one of: error, warning, notice, info, debug" <<'C'
daemon = { log_level = "loud"; };
C
bad "relative path" "bad.conf:1: 'paths.state_dir' must be an absolute path" <<'C'
paths = { state_dir = "var/lib/cetak"; };
C
bad "bad region" "'station.region' must be \"\" \(any\) or 2, 4 or 6 digits" <<'C'
station = { region = "36a"; };
C
bad "a notice template may not name the NIK" \
	"'notice.template' must be a text naming only \{nama\}, \{kantor\} and \{jam\} \(never the NIK\)" <<'C'
notice = { template = "Yth. {nama} ({nik}), KTP-el Anda sudah jadi."; };
C
bad "sending hours are a span of the day" "'notice.send_hours' must be a span of the day HH:MM-HH:MM" <<'C'
notice = { send_hours = "17:00-08:00"; };
C
bad "holidays are weekday names and dates" "'notice.holidays' must be weekday names and dates" <<'C'
notice = { holidays = "Sun,25-12-2026"; };
C
bad "syntax error names the line" "bad.conf:2: syntax error" <<'C'
station = { name = "x"; };
daemon = { log_level = ; };
C
bad "a line without a reader" "bad.conf:1: 'lines\[0\]' has no 'reader' .*; add reader = \.\.\.;" <<'C'
lines = ( { name = "A"; printer = "cups"; cups_queue = "q"; } );
C
bad "a cups line without a queue" "'lines\[0\]' uses printer \"cups\" but has no cups_queue" <<'C'
lines = ( { name = "A"; printer = "cups"; reader = "*"; } );
C
bad "a usb line with a malformed id" "'lines\[0\].usb_device' must be vendor:product in hex" <<'C'
lines = ( { name = "A"; printer = "usb"; usb_device = "0f49-1001"; reader = "*"; } );
C
bad "two lines with one name" 'line name "A" is used twice' <<'C'
lines = (
	{ name = "A"; printer = "cups"; cups_queue = "q"; reader = "*"; },
	{ name = "A"; printer = "cups"; cups_queue = "r"; reader = "*"; }
);
C
bad "a bad line name" "'lines\[0\].name' must be 1-16 characters from A-Z a-z 0-9 _ -" <<'C'
lines = ( { name = "line one"; printer = "cups"; cups_queue = "q"; reader = "*"; } );
C
bad "every error is reported, not just the first" "(bad.conf:1: .*){1}" <<'C'
daemon = { log_level = "loud"; reader_poll_ms = 1; };
C
check "both errors of one line were listed" test "$(grep -c '^.*bad.conf:1:' "$T/bad.out")" = 2
"$B/cetakd" -n -c "$T/does-not-exist.conf" >"$T/missing" 2>&1
check "a missing config exits 1" test $? = 1
expect_grep "and names the file and the reason" 'does-not-exist.conf: cannot read config: No such file' \
	"$T/missing"
cp "$ROOT/etc/cetakd.conf" "$T/inc-main.conf"
printf 'station = { name = "Included"; };\n' >"$T/inc-part.conf"
sed -i '/^station = {/,/^};/d' "$T/inc-main.conf"
printf '@include "inc-part.conf"\n' >>"$T/inc-main.conf"
(cd / && "$B/cetakd" -n -c "$T/inc-main.conf") >"$T/inc.out" 2>&1
expect_grep "@include resolves next to the config file" 'name = "Included";' "$T/inc.out"
# a line's profile and its SAM go together
bad "a SAM profile without a SAM reader" \
	"bad.conf:2: line 'S' uses the SAM profile .*sam-ektp.conf but names no SAM; add sam_reader" <<C
lines = (
	{ name = "S"; printer = "usb"; usb_device = "0f49:1001"; reader = "r"; profile = "$ROOT/etc/profiles/sam-ektp.conf"; }
);
C
bad "a SAM reader on a profile without a SAM" \
	"line 'A' names a sam_reader but its profile .*icao-lds.conf has no SAM" <<C
card = { profile = "$ROOT/etc/profiles/icao-lds.conf"; };
lines = ( { name = "A"; printer = "usb"; usb_device = "0f49:1001"; reader = "r"; sam_reader = "s"; } );
C
bad "a line profile that cannot be loaded" "lines\[0\]: profile /nonexistent.conf cannot be loaded" <<C
lines = ( { name = "A"; printer = "usb"; usb_device = "0f49:1001"; reader = "r"; profile = "/nonexistent.conf"; } );
C
finish
