#!/bin/bash
# CUPS fixture: a private cupsd with the cardsink capture backend. A document
# sent through libcups arrives byte for byte; the backend can make the queue
# report printer-state-reasons and stop the queue.
. "$(dirname "$0")/../lib.sh"

check "private cupsd starts and the capture queue is added" fx_cupsd "$(fx_port)"
check "the queue 'card' is enabled" sh -c 'lpstat -p card | grep -q enabled'

head -c 20000 /dev/urandom >"$T/doc.bin"
"$B/tests/cups_submit" card "$T/doc.bin" application/vnd.cups-raw >"$T/submit" 2>&1
expect_grep "the libcups job completes" '^job [0-9]+ completed$' "$T/submit"
id=$(awk '{print $2}' "$T/submit")
check "the document arrives byte for byte" cmp "$T/doc.bin" "$T/capture/job-$id.data"
expect_grep "the CR80 media option reaches the backend" 'media=Custom.85.6x54mm' \
	"$T/capture/job-$id.options"

# The backend reports conditions the way a card printer's backend would.
printf 'STATE: +media-empty-error\nSTATE: +marker-supply-low-warning\n' >"$T/capture/states"
"$B/tests/cups_submit" card "$T/doc.bin" application/vnd.cups-raw >/dev/null 2>&1
lpstat -l -p card >"$T/lpstat" 2>&1
expect_grep "printer-state-reasons carry media-empty" 'Alerts:.*media-empty' "$T/lpstat"
expect_grep "printer-state-reasons carry marker-supply-low" 'Alerts:.*marker-supply-low' \
	"$T/lpstat"

# Exit code 4 (CUPS_BACKEND_STOP): the queue stops, the job goes back to pending.
rm -f "$T/capture/states"
echo 4 >"$T/capture/exit"
"$B/tests/cups_submit" card "$T/doc.bin" application/vnd.cups-raw 3 >"$T/stop" 2>&1
check "a stopped queue does not complete the job" sh -c "! grep -q completed '$T/stop'"
check "the queue is reported disabled" wait_for 5 sh -c 'lpstat -p card | grep -q disabled'
finish
