#!/bin/bash
# Shortage alerts through the real daemon, on all four channels: the log
# (the journal under systemd, with a fixed MESSAGE_ID per kind), cetakctl
# alerts, the alert command (JSON on stdin) and the Prometheus textfile.
# Raised once, repeated while it lasts, cleared when it ends.
. "$(dirname "$0")/../lib.sh"

cat >"$T/alert-cmd" <<SH
#!/bin/sh
cat >> "$T/alerts.jsonl"
echo >> "$T/alerts.jsonl"
SH
chmod +x "$T/alert-cmd"
fx_config "$T/c.conf" "schedule = { stock_reserve = 10; };
alerts = { hopper_low = 3; repeat_interval = 2; lead_time_days = 30;
           command = \"$T/alert-cmd\"; metrics_file = \"$T/cetak.prom\"; };
lines = ( { name = \"A\"; printer = \"cups\"; cups_queue = \"card\"; reader = \"none*\"; } );"
fx_cetakd "$T/c.conf" || { notok "cetakd starts"; finish; }

ctl stock receive LOT-1 30 >/dev/null && ctl stock load A 10 >/dev/null
check "30 blanks on hand: no alerts" sh -c "'$B/cetakctl' -s '$T/run/control' alerts | grep -qx 'no alerts'"
check "the metrics file is written" grep -qx 'cetak_blanks_on_hand 30' "$T/cetak.prom"
expect_grep "with the hopper per line" '^cetak_hopper_blanks\{line="A"\} 10$' "$T/cetak.prom"
expect_grep "and no active alert" '^cetak_alerts_active\{alert="stock-low"\} 0$' "$T/cetak.prom"

ctl stock transfer 15 --doc ST-1 >/dev/null   # 15 left (store 5, hopper 10)
ctl stock transfer 5 --doc ST-2 >/dev/null    # 10 left: at the reserve
ctl alerts >"$T/a1"
expect_grep "at the reserve: stock-low in cetakctl alerts" '^stock-low +since .* 10 blank cards on hand, reserve 10' "$T/a1"
check "the alert command got it as JSON" wait_for 3 grep -q '"alert":"stock-low","at":[0-9]*,"message":"10 blank cards on hand, reserve 10[^"]*","since":[0-9]*,"state":"raised","station":"Test station"' "$T/alerts.jsonl"
expect_grep "the log names it" 'alert stock-low raised: 10 blank cards on hand' "$T/cetakd.log"
expect_grep "the metrics count it" '^cetak_alerts_active\{alert="stock-low"\} 1$' "$T/cetak.prom"
check "it is raised once" test "$(grep -c '"state":"raised"' "$T/alerts.jsonl")" = 1

# repeated while it lasts (repeat_interval 2 s); a reload re-arms the rescan
# timer, which looks at the stock, to once a second
echo 'spool = { rescan_interval = 1; };' >>"$T/c.conf"
ctl reload >/dev/null
check "a lasting alert is repeated" wait_for 6 grep -q '"state":"repeat"' "$T/alerts.jsonl"

# hopper low, then cleared when the operator restocks
ctl stock load A 1 >/dev/null 2>&1  # store 0 -> refused, nothing changes
ctl stock receive LOT-2 100 >/dev/null
check "restocked: stock-low is cleared" wait_for 3 grep -q '"alert":"stock-low".*"state":"cleared"' "$T/alerts.jsonl"
expect_grep "the log says so" 'alert stock-low cleared' "$T/cetakd.log"
expect_grep "and the metrics" '^cetak_alerts_active\{alert="stock-low"\} 0$' "$T/cetak.prom"

# the alert command is the daemon's child, reaped by its loop on SIGCHLD:
# one that fails is named in the log, none is left a zombie
cat >"$T/alert-cmd" <<SH
#!/bin/sh
cat >> "$T/alerts.jsonl"
echo >> "$T/alerts.jsonl"
exit 3
SH
ctl stock transfer 100 --doc ST-3 >/dev/null  # 10 left: low again, raised
check "a failing alert command is named in the log with its status" wait_for 5 grep -q 'alerts: helper [0-9]* exited with status 3' "$T/cetakd.log"
check "no alert command is left a zombie" sh -c "! ps -o stat= --ppid $FX_CETAKD_PID | grep -q Z"

# forecast: no use yet, so nothing to request and cover unknown
ctl stock forecast --days 30 >"$T/f" 2>&1
expect_grep "a forecast without use requests nothing" 'request 0 blank cards' "$T/f"
ctl stock >"$T/s"
expect_grep "stock shows that cover is unknown without use" 'days of cover unknown' "$T/s"
finish
