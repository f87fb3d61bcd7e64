#!/bin/bash
# The dashboard's threads under load (docs/web.md): cetakd without lines,
# bench/webload.py for 8 s (8 clients on the pages and the API, 20 live
# views, 400 slow connections from another address, a log-in brute force
# from a third), then cetakd is alive, answers, and stops cleanly. Run by
# make check, and by make check-tsan for the races between the server's
# threads and cetakd's loop (a connection answered and freed while the loop
# still held its request was one).
. "$(dirname "$0")/../lib.sh"

export CETAK_PAM_CONFDIR=$ROOT/etc/pam.d
id cetakweb-op >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin -G users cetakweb-op
echo cetakweb-op:op-Sandi-1 | chpasswd
fx_config "$T/c.conf"
fx_cetakd "$T/c.conf" || { notok "cetakd starts"; finish; }
URL=$(fx_web_url)
/usr/bin/python3 "$ROOT/bench/webload.py" "$URL" "$T/stop" >"$T/load.out" 2>&1 &
LOAD=$!
sleep 8
touch "$T/stop"
wait $LOAD
sed 's/^/# /' "$T/load.out" | tail -3
check "the load answered pages" grep -Eq 'answered [1-9][0-9]* pages' "$T/load.out"
check "and the live views" grep -Eq ', [1-9][0-9]* live updates' "$T/load.out"
check "the brute force was locked out" grep -Eq ' [1-9][0-9]* log-ins refused by the lock' "$T/load.out"
check "cetakd is alive after the load" kill -0 "$FX_CETAKD_PID"
check "and answers cetakctl" ctl status
kill -TERM "$FX_CETAKD_PID"
wait "$FX_CETAKD_PID"
rc=$?
check "and stops cleanly (exit 0)" test $rc = 0
finish
