#!/bin/bash
# The card face: example jobs render to PNG matching the reviewed golden
# images; a changed field does not pass the comparison; the PDF has vector
# text, the CR80 page and the photo embedded as JPEG; text that cannot fit
# is refused by cetakctl validate and by cetakd's intake, with the field named.
. "$(dirname "$0")/../lib.sh"

L=$ROOT/etc/layouts/ektp-front.conf
for j in "$ROOT"/etc/examples/*.json; do
	n=$(basename "$j" .json)
	"$B/cetakctl" face render "$j" --layout "$L" -o "$T/$n.png" >/dev/null 2>&1
	"$B/tests/pngdiff" "$ROOT/tests/golden/$n.png" "$T/$n.png" >"$T/$n.diff" 2>&1
	check "$n renders like its golden image ($(cat "$T/$n.diff" | cut -c1-40))" test $? = 0
done
# the comparison can fail: one changed letter in the name
sed 's/"name": "\([A-Z]*\)/"name": "X\1/' "$ROOT/etc/examples/EXAMPLE-000001.json" >"$T/changed.json"
"$B/cetakctl" face render "$T/changed.json" --layout "$L" -o "$T/changed.png" >/dev/null 2>&1
"$B/tests/pngdiff" "$ROOT/tests/golden/EXAMPLE-000001.png" "$T/changed.png" >"$T/changed.diff" 2>&1
check "a changed name does not pass as the golden image" test $? = 1

J=$ROOT/etc/examples/EXAMPLE-000001.json
"$B/cetakctl" face render "$J" --layout "$L" -o "$T/f.pdf" >/dev/null
pdftotext -layout "$T/f.pdf" "$T/f.txt"
nik=$(sed -n 's/.*"nik": "\([0-9]*\)".*/\1/p' "$J")
name=$(sed -n 's/.*"name": "\(.*\)",/\1/p' "$J" | head -1)
expect_grep "the PDF has the header as text" 'PROVINSI BANTEN' "$T/f.txt"
expect_grep "the PDF has the NIK as text" "$nik" "$T/f.txt"
expect_grep "the PDF has the name as text" "$name" "$T/f.txt"
expect_grep "the PDF has the last row" 'Berlaku Hingga +: ?SEUMUR HIDUP' "$T/f.txt"
pdfinfo "$T/f.pdf" >"$T/f.info"
expect_grep "the PDF page is CR80 (242.65 x 153.01 pt)" 'Page size: +242\.6[0-9]* x 153\.0[0-9]* pts' "$T/f.info"
pdfimages -list "$T/f.pdf" >"$T/f.img" 2>&1
expect_grep "the photo is embedded as the original JPEG" ' jpeg ' "$T/f.img"

# text that cannot fit: refused, never truncated
sed 's/"name": "[^"]*"/"name": "WWWWWWWWWWWWWWWWWWWW WWWWWWWWWWWWWWWWWWWW WWWWWWWWWWWWWWWWW"/; s/"EXAMPLE-000001"/"TOO-WIDE"/' "$J" >"$T/wide.json"
"$B/cetakctl" validate --layout "$L" "$T/wide.json" >"$T/wide.out" 2>&1
check "validate refuses a name too wide for the card (exit 1)" test $? = 1
expect_grep "naming the field and the box" 'Nama: ".*" takes 3 lines at 4.8 pt; 2 fit its 41.0 mm box' "$T/wide.out"
"$B/cetakctl" face render "$T/wide.json" --layout "$L" -o "$T/wide.png" >/dev/null 2>&1
check "face render refuses it too" test $? = 1
fx_config "$T/c.conf" 'spool = { rescan_interval = 3600; };'
fx_cetakd "$T/c.conf"
cp "$T/wide.json" "$T/spool/new/wide.json"
check "cetakd's intake moves it to rejected/" wait_for 5 test -e "$T/spool/rejected/wide.json.reason"
expect_grep "with the reason" 'reason: Nama: ".*" takes 3 lines' "$T/spool/rejected/wide.json.reason"

# a layout whose row crosses the keep-out area is refused
sed 's/keepout = { x = 2.0; y = 49.6;/keepout = { x = 2.0; y = 20.0;/' "$L" >"$T/bad-layout.conf"
"$B/cetakctl" face render "$J" --layout "$T/bad-layout.conf" -o "$T/x.png" >"$T/bad.out" 2>&1
expect_grep "a row crossing the keep-out area is a layout error with its line" \
	"bad-layout.conf:[0-9]+: row '.*' crosses the keep-out area" "$T/bad.out"
# a misspelt job field is refused when the layout is loaded (by cetakd at
# start too), never printed as an empty value
sed 's/@holder.occupation/@holder.ocupation/' "$L" >"$T/misspelt.conf"
"$B/cetakctl" face render "$J" --layout "$T/misspelt.conf" -o "$T/x.png" >"$T/misspelt.out" 2>&1
expect_grep "a layout naming a field a job does not have is an error with its line" \
	'misspelt.conf:[0-9]+: value: "@holder.ocupation" is not a field of a job' "$T/misspelt.out"
fx_config "$T/m.conf"
sed -i -e "s|layout = \".*\";|layout = \"$T/misspelt.conf\";|" -e "s|$T/state|$T/m-state|" \
	-e "s|$T/run/control|$T/m-control|" "$T/m.conf"
timeout 10 "$B/cetakd" -c "$T/m.conf" >"$T/m.out" 2>&1
check "cetakd does not start with that layout" test $? = 1
expect_grep "and says which field, where" 'misspelt.conf:[0-9]+: value: "@holder.ocupation" is not a field' "$T/m.out"
finish
