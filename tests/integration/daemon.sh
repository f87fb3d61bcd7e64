#!/bin/bash
# cetakd as a process: sd_notify READY/STATUS/WATCHDOG, cetakctl status and
# reload, SIGHUP with a good and a bad config, authorisation by peer
# credentials, malformed and oversized requests, a second instance, SIGTERM.
. "$(dirname "$0")/../lib.sh"

LINES='lines = ( { name = "A"; printer = "usb"; usb_device = "0f49:1001"; reader = "no such reader*"; } );'
fx_config "$T/c.conf" "$LINES"
"$B/tests/notify_recv" "$T/notify" >"$T/notify.log" 2>&1 &
FX_PIDS="$FX_PIDS $!"
wait_for 2 test -S "$T/notify"
NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=400000 "$B/cetakd" -c "$T/c.conf" >"$T/cetakd.log" 2>&1 &
D=$!
FX_PIDS="$FX_PIDS $D"
check "READY=1 reaches the notify socket" wait_for 5 grep -qx READY=1 "$T/notify.log"
expect_grep "STATUS= summarises the queue and the lines" '^STATUS=0 queued; A not-ready \(.+\)$' "$T/notify.log"
check "WATCHDOG=1 is sent when WATCHDOG_USEC is set" wait_for 3 grep -qx WATCHDOG=1 "$T/notify.log"
check "the state directory is created" test -d "$T/state"
check "the control socket exists" test -S "$T/run/control"

ctl status >"$T/status" 2>&1
expect_grep "status shows the version" '^cetakd 0\.1\.0 \(pid [0-9]+\), up ' "$T/status"
expect_grep "status shows the config path" "^config: +$T/c.conf " "$T/status"
expect_grep "status shows line A not ready" '^A +not-ready +usb:0f49:1001' "$T/status"
expect_grep "status shows root as supervisor" '^you: +root \(supervisor\)' "$T/status"
ctl --json status >"$T/status.json"
expect_grep "--json gives the machine form" '"state": "not-ready"' "$T/status.json"

# Reload by the control socket and by SIGHUP.
sed -i 's/name = "Test station"/name = "Renamed station"/' "$T/c.conf"
ctl reload >"$T/reload" 2>&1
expect_grep "cetakctl reload succeeds" 'reloaded \(1 reloads' "$T/reload"
check "the new station name is in force" sh -c "'$B/cetakctl' -s '$T/run/control' status | grep -q 'Renamed station'"
sed -i 's/reader_poll_ms = 200/reader_poll_ms = 5/' "$T/c.conf"
ctl reload >"$T/badreload" 2>&1
check "a bad config is refused by reload (exit 1)" test $? = 1
expect_grep "the refusal names file, line and fix" \
	"c.conf:8: 'daemon.reader_poll_ms' must be an integer from 100 to 60000 \(got \"5\"\)" \
	"$T/badreload"
kill -HUP $D
sleep 0.3
check "cetakd survives a SIGHUP with a bad config" kill -0 $D
check "the old config stays after a bad reload" sh -c "'$B/cetakctl' -s '$T/run/control' status | grep -q 'Renamed station'"
expect_grep "the refusal is logged" 'refused, keeping the running configuration' "$T/cetakd.log"
sed -i 's/reader_poll_ms = 5/reader_poll_ms = 200/' "$T/c.conf"
kill -HUP $D
check "SIGHUP with a good config reloads" wait_for 3 sh -c "'$B/cetakctl' -s '$T/run/control' status | grep -q '2 reloads'"
expect_grep "systemd is told RELOADING=1" '^RELOADING=1$' "$T/notify.log"

# Authorisation by peer credentials: users=operators, staff=supervisors.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_operator() { setpriv --reuid=65534 --regid=65534 --groups=100 "$@"; }
as_supervisor() { setpriv --reuid=65534 --regid=65534 --groups=50 "$@"; }
as_nobody "$B/cetakctl" -s "$T/run/control" status >"$T/nobody" 2>&1
check "an unauthorised peer is refused (exit 1)" test $? = 1
expect_grep "the refusal says who and which groups" \
	"may not use cetakd: ask a supervisor to add you to group 'users' \(or 'staff'\)" "$T/nobody"
as_operator "$B/cetakctl" -s "$T/run/control" status >"$T/op" 2>&1
check "an operator may run status" test $? = 0
expect_grep "the operator is recognised" '^you: +nobody \(operator\)' "$T/op"
as_operator "$B/cetakctl" -s "$T/run/control" reload >"$T/opreload" 2>&1
check "an operator may not reload" test $? = 1
expect_grep "the refusal names the supervisor group" \
	"'reload' is a supervisor command.*group 'staff'" "$T/opreload"
as_supervisor "$B/cetakctl" -s "$T/run/control" reload >/dev/null 2>&1
check "a supervisor may reload" test $? = 0

# Hostile requests: each gets a clear error, the daemon keeps serving.
printf '{"v":1,"cmd":"status"\n' | "$B/tests/ctlsend" "$T/run/control" >"$T/r1"
expect_grep "malformed JSON gets 'malformed'" '"error":"malformed"' "$T/r1"
printf '{"v":2,"cmd":"status"}\n{"v":1,"cmd":"launch"}\n{"v":1,"cmd":"status","x":1}\n' |
	"$B/tests/ctlsend" "$T/run/control" >"$T/r2"
check "three bad requests on one connection get three answers" test "$(wc -l <"$T/r2")" = 3
expect_grep "a wrong version is named" "field 'v' must be 1" "$T/r2"
expect_grep "an unknown command is named" "unknown command 'launch'" "$T/r2"
expect_grep "an unknown field is named" "unknown field 'x'" "$T/r2"
head -c 70000 /dev/zero | tr '\0' 'a' | "$B/tests/ctlsend" "$T/run/control" >"$T/r3"
expect_grep "an oversized request gets 'too-long'" '"error":"too-long"' "$T/r3"
check "cetakd still answers after hostile input" ctl status
check "cetakd is still running" kill -0 $D

# A second cetakd on the same socket refuses to start and leaves the first alone.
"$B/cetakd" -c "$T/c.conf" >"$T/second.log" 2>&1
check "a second cetakd exits 1" test $? = 1
expect_grep "it says another cetakd is running" 'another cetakd is running' "$T/second.log"
check "the first still answers" ctl status

# SIGTERM: exit 0, socket removed, STOPPING=1 sent.
kill -TERM $D
wait $D
check "SIGTERM exits 0" test $? = 0
check "the socket is removed" test ! -e "$T/run/control"
expect_grep "systemd is told STOPPING=1" '^STOPPING=1$' "$T/notify.log"
ctl status >"$T/down" 2>&1
check "cetakctl reports an unreachable daemon with exit 3" test $? = 3
expect_grep "and says so" 'cannot reach cetakd at .* \(is cetakd running\?\)' "$T/down"
finish
