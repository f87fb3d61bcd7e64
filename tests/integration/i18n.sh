#!/bin/bash
# cetak in Bahasa Indonesia (docs/i18n.md): the catalogues complete and up to
# date with the sources; the station's stock report and the district's
# monthly report, text and PDF, in Indonesian by default with no English
# label left, in English when the configuration says so, whatever the
# locale of whoever runs the command; Indonesian dates and numbers; machine
# output (CSV, JSON) unchanged.
. "$(dirname "$0")/../lib.sh"

# the catalogues
msgfmt -c --statistics -o /dev/null "$ROOT/po/id.po" 2>"$T/stat-id"
expect_grep "the Indonesian catalogue: every message translated" '^[0-9]+ translated messages\.$' "$T/stat-id"
xgettext --from-code=UTF-8 -k_ -kN_ --omit-header -o "$T/fresh.pot" -D "$ROOT" $(cat "$ROOT/po/POTFILES")
check "every text marked in the sources is in the Indonesian catalogue" msgcmp "$ROOT/po/id.po" "$T/fresh.pot"
check "and in the English one" msgcmp "$ROOT/po/en.po" "$T/fresh.pot"
check "the catalogues are built" test -s "$CETAK_LOCALEDIR/id/LC_MESSAGES/cetak.mo"

# English words that must not be left in an Indonesian document: every word
# of the catalogue's English texts that is not also Indonesian or a name
python3 - "$ROOT/po/id.po" >"$T/english-words" <<'PY'
import re, sys
po = open(sys.argv[1]).read()
def words(kind):
    out = set()
    for m in re.finditer(r'\n' + kind + r' ((?:".*"\n)+)', po):
        text = "".join(re.findall(r'"(.*)"', m.group(1)))
        text = re.sub(r"%[-+0-9.]*[a-z]+", " ", text)
        out |= {w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)}
    return out
# a word of the English texts that the Indonesian ones never use; the
# causes of spoiled cards are identifiers (ledger/stock.c), printed as such
causes = {"counterfeit", "interrupted"}
print("\n".join(sorted(words("msgid") - words("msgstr") - {"docs", "custody"} - causes)))
PY
english_left() { # FILE: the English words found in it (the fixture's station name aside; an identifier such as auth_refused is one word)
	sed 's/Test station//g' "$1" | tr 'A-Z' 'a-z' | tr -c 'a-z_\n' ' ' | tr ' ' '\n' | grep -x -F -f "$T/english-words" | sort -u
}

# the station's report: the real cetakd, Indonesian by default
fx_config "$T/st.conf"
fx_cetakd "$T/st.conf" || { notok "cetakd starts"; finish; }
ctl stock receive LOT-I1 1234 --doc DN-I1 >/dev/null
LANG=C LANGUAGE= ctl report daily >"$T/rep-id.txt"
expect_grep "the station's report is in Indonesian by default, whatever the locale" '^Laporan persediaan blangko KTP-el \(harian\)' "$T/rep-id.txt"
expect_grep "with Indonesian numbers (1.234)" '^diterima +\+1\.234$' "$T/rep-id.txt"
english_left "$T/rep-id.txt" >"$T/left-st"
check "no English label left in it ($(tr '\n' ' ' <"$T/left-st"))" test ! -s "$T/left-st"
LANG=C LANGUAGE= ctl report daily --format pdf -o "$T/rep-id.pdf" >/dev/null
pdftotext "$T/rep-id.pdf" - | tr -s ' \n' '  ' >"$T/rep-id-pdf.txt"
expect_grep "its PDF is Indonesian, with the berita acara's opening words" 'Pada hari ini (Senin|Selasa|Rabu|Kamis|Jumat|Sabtu|Minggu), tanggal' "$T/rep-id-pdf.txt"
expect_grep "the year in words" 'tahun dua ribu' "$T/rep-id-pdf.txt"
expect_grep "and its closing words" 'Demikian berita acara ini dibuat dengan sebenarnya' "$T/rep-id-pdf.txt"
english_left "$T/rep-id-pdf.txt" >"$T/left-pdf"
check "no English label left in the PDF ($(tr '\n' ' ' <"$T/left-pdf"))" test ! -s "$T/left-pdf"
# the custody report's PDF: Indonesian too
LANG=C LANGUAGE= ctl report custody --format pdf -o "$T/cus-id.pdf" >/dev/null
pdftotext "$T/cus-id.pdf" - | tr -s ' \n' '  ' >"$T/cus-id.txt"
expect_grep "the custody report is Indonesian" 'LAPORAN PENYIMPANAN KTP-EL YANG SUDAH DICETAK' "$T/cus-id.txt"
english_left "$T/cus-id.txt" >"$T/left-cus"
check "no English label left in it ($(tr '\n' ' ' <"$T/left-cus"))" test ! -s "$T/left-cus"
# cetakd's own messages (reasons, refusals) in the user's language: cetakd
# sends English, cetakctl writes it in Indonesian under an Indonesian locale
LANG=id_ID.UTF-8 ctl release NO-SUCH-JOB >"$T/refused-id" 2>&1
expect_grep "a refusal of cetakd reads in Indonesian" "pekerjaan 'NO-SUCH-JOB' tidak ada" "$T/refused-id"
LANG=C ctl release NO-SUCH-JOB >"$T/refused-en" 2>&1
expect_grep "and in English under an English locale" "job 'NO-SUCH-JOB' does not exist" "$T/refused-en"
printf '{"format":"cetak-job/1"}' >"$T/bad.job"
LANG=id_ID.UTF-8 ctl validate "$T/bad.job" >"$T/check-id" 2>&1
expect_grep "a refused job file's reason too" 'ditolak: .*(tidak ada|harus)' "$T/check-id"
LANG=id_ID.UTF-8 ctl --json release NO-SUCH-JOB >"$T/refused.json" 2>&1
expect_grep "under --json, the refusal stays English for machines" "does not exist" "$T/refused.json"
# cetak-audit, on a supervisor's laptop: its verdict in Indonesian, "BAD:" kept for scripts
"$ROOT/scripts/make-test-pki" "$T/pki" >/dev/null 2>&1
printf '{"format":"cetak-audit/4"}' >"$T/cut.audit"
LANG=id_ID.UTF-8 "$B/cetak-audit" verify "$T/cut.audit" --cert "$T/pki/ds.pem" >"$T/audit-id" 2>&1
expect_grep "cetak-audit's verdict reads in Indonesian" '^BAD: .* baris [0-9]+: .*(terpotong|akhir baris|bukan)' "$T/audit-id"
ctl report daily --format csv >"$T/rep.csv"
expect_grep "the CSV stays English for machines" '^section,time,line,operator,item,value,note$' "$T/rep.csv"
expect_grep "with C numbers" '^period,,,,received,1234,$' "$T/rep.csv"
kill "$FX_CETAKD_PID"; wait "$FX_CETAKD_PID" 2>/dev/null
FX_STATION='document_language = "en";' fx_config "$T/st-en.conf"
"$B/cetakd" -n -c "$T/st-en.conf" >"$T/n-en" 2>&1
fx_cetakd "$T/st-en.conf" || { notok "cetakd starts with English documents"; cat "$T/n-en"; finish; }
LANG=id_ID.UTF-8 ctl report daily >"$T/rep-en.txt"
expect_grep "with document_language = en the report is English, even under an Indonesian locale" '^Blank-card stock report \(daily\)' "$T/rep-en.txt"
expect_grep "with English numbers" '^received +\+1,234$' "$T/rep-en.txt"
ctl report custody --format pdf -o "$T/cus-en.pdf" >/dev/null
pdftotext "$T/cus-en.pdf" - | tr -s ' \n' '  ' >"$T/cus-en.txt"
expect_grep "and so is the custody report" 'REPORT ON THE CUSTODY OF PRINTED KTP-EL' "$T/cus-en.txt"
FX_STATION='document_language = "jv";' fx_config "$T/bad.conf"
"$B/cetakd" -n -c "$T/bad.conf" >"$T/n-bad" 2>&1
expect_grep "a language cetak has no catalogue for is refused with the choices" 'document_language.*(id|en)' "$T/n-bad"

# the district's report from a saved report: Indonesian, then English
jq '.language = "id"' "$ROOT/tests/data/district-report.json" >"$T/d-id.json"
jq '.language = "en"' "$ROOT/tests/data/district-report.json" >"$T/d-en.json"
LANG=C "$B/cetak-hub" report --from-json "$T/d-id.json" >"$T/d-id.txt"
expect_grep "the district's report is Indonesian" '^LAPORAN BULANAN PENGGUNAAN BLANGKO KTP-EL KABUPATEN/KOTA$' "$T/d-id.txt"
english_left "$T/d-id.txt" >"$T/left-d"
check "no English label left in it ($(tr '\n' ' ' <"$T/left-d"))" test ! -s "$T/left-d"
"$B/cetak-hub" report --from-json "$T/d-id.json" --format pdf -o "$T/d-id.pdf" >/dev/null
pdftotext -layout "$T/d-id.pdf" "$T/d-id-pdf.txt"
english_left "$T/d-id-pdf.txt" >"$T/left-dpdf"
check "nor in its PDF ($(tr '\n' ' ' <"$T/left-dpdf"))" test ! -s "$T/left-dpdf"
tr -s ' \n' '  ' <"$T/d-id-pdf.txt" >"$T/d-id-pdf.flat"
expect_grep "whose berita acara reads as the offices write it" 'kami yang bertanda tangan di bawah ini' "$T/d-id-pdf.flat"
pdftoppm -r 60 -png "$T/d-id.pdf" "$T/d-id" 2>/dev/null
LANG=id_ID.UTF-8 "$B/cetak-hub" report --from-json "$T/d-en.json" >"$T/d-en.txt"
expect_grep "set to English, the district's report is English" '^DISTRICT MONTHLY REPORT OF BLANK KTP-EL CARDS$' "$T/d-en.txt"
# the check can fail: an English word in an Indonesian document is found
printf 'saldo awal\nopening balance\n' >"$T/mixed"
check "the English-word check finds an English label" sh -c "[ -n \"\$(tr 'A-Z' 'a-z' <'$T/mixed' | tr -c 'a-z\n' ' ' | tr ' ' '\n' | grep -x -F -f '$T/english-words')\" ]"
finish
