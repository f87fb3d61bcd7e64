#!/bin/bash
# What an adversarial run found at the station level (issue 11), each case
# failing on the code before its fix: two daemons on one state directory;
# a lost, emptied, older or damaged job store or ledger; a config path that
# is a FIFO or a directory; reloads that name a missing key, a signer that
# does not chain to the CSCA, or changed lines; control-socket exhaustion by
# local users; stock counts that overflow, lots received twice, write-offs by
# operators; spool names that cannot carry a companion file or forge lines.
. "$(dirname "$0")/../lib.sh"

P=$(fx_port)
fx_pcscd "$P" || { notok "private pcscd starts"; finish; }
"$B/tests/jobgen" -n 3 -o "$T/jobs" -s 11 >/dev/null
"$B/tests/jobgen" -n 1 -o "$T/jobs" -p BIG -k 40 >/dev/null
"$B/tests/jobgen" -n 1 -o "$T/jobs" -p BOMB -B >/dev/null
on_fail() { echo "--- cetakd.log (last 15)"; tail -n 15 "$T/cetakd.log"; }
stop() { kill "$FX_CETAKD_PID" 2>/dev/null; wait "$FX_CETAKD_PID" 2>/dev/null; }
# start_refused NAME PATTERN: cetakd must exit non-zero and say PATTERN
start_refused() {
	: >"$T/start.log"
	timeout 20 "$B/cetakd" -c "$T/a.conf" >"$T/start.log" 2>&1
	local rc=$?
	if [ $rc != 0 ] && [ $rc != 124 ] && grep -Eq -- "$2" "$T/start.log"; then ok "$1"; else
		notok "$1"; echo "#   exit $rc; no /$2/ in:"; sed 's/^/#   /' "$T/start.log" | head -8
	fi
}

fx_line_config "$T/a.conf" "spool = { rescan_interval = 1; };"
sed -i 's/^daemon = { reader_poll_ms = 200; log_level = "debug"; };/daemon = { reader_poll_ms = 200; log_level = "debug"; control_request_timeout = 2; control_per_user = 3; control_max_clients = 16; };/' "$T/a.conf"
fx_cetakd "$T/a.conf" || { notok "cetakd starts"; finish; }
ok "cetakd starts on an empty state directory (a new station)"
check "the new station is said so in the log" grep -q "a new station: creating" "$T/cetakd.log"

# --- 4: one cetakd per state directory, whatever its control socket ---
sed "s|control_socket = \"$T/run/control\"|control_socket = \"$T/run/second\"|" "$T/a.conf" >"$T/b.conf"
timeout 10 "$B/cetakd" -c "$T/b.conf" >"$T/second.log" 2>&1
rc=$?
check "a second cetakd on the same state_dir exits" test $rc = 1
expect_grep "naming the other one's pid" "another cetakd is running on the state directory .* \(pid $FX_CETAKD_PID\)" "$T/second.log"
check "the first one still answers" ctl status

# --- 15-17: the books cannot be bent ---
ctl stock receive LOT-A 100 --doc DN-1 >/dev/null
ctl stock receive LOT-BIG 9223372036854775807 --doc DN-2 >"$T/big" 2>&1
check "a count of 2^63-1 is refused" test $? != 0
expect_grep "with the range" "out of range" "$T/big"
ctl stock receive LOT-A 100 --doc DN-1 >"$T/again" 2>&1
check "the same lot received again is refused" test $? != 0
expect_grep "with the reason" "already received" "$T/again"
check "the balance is 100, not 200" sh -c "'$B/cetakctl' -s '$T/run/control' stock | grep -Eq '^received: +100 '"
id cetakop >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin -G users cetakop
runuser -u cetakop -- "$B/cetakctl" -s "$T/run/control" stock count 0 --reason "all gone" >"$T/wo" 2>&1
check "an operator cannot write off 100 blanks with a stocktake" test $? != 0
expect_grep "a supervisor must record it" "a supervisor must record" "$T/wo"
runuser -u cetakop -- "$B/cetakctl" -s "$T/run/control" stock count 98 --reason "two cracked" >"$T/wo2" 2>&1
check "a small difference is the operator's to record" test $? = 0
check "stock check still holds" ctl stock check

# --- 9: control-socket exhaustion ---
runuser -u cetakop -- "$B/tests/ctlsend" -H 20 6 "$T/run/control" >"$T/op.hold" 2>&1 &
HOLD=$!
runuser -u nobody -- "$B/tests/ctlsend" -H 40 5 "$T/run/control" >"$T/nobody.hold" 2>&1 &
HOLD2=$!
sleep 1
check "a supervisor still gets in while others try to hold every slot" ctl status
wait $HOLD2
expect_grep "a user in neither group holds no connection" '^open=0' "$T/nobody.hold"
expect_grep "and is told why" "may not use cetakd" "$T/nobody.hold"
wait $HOLD
expect_grep "a request trickled for 6 s is cut off (request timeout 2 s)" '^open=0' "$T/op.hold"
"$B/tests/ctlsend" -H 10 1 "$T/run/control" >"$T/many" 2>&1
expect_grep "a supervisor holds at most twice control_per_user" '^open=6' "$T/many"
runuser -u cetakop -- "$B/tests/ctlsend" -H 10 1 "$T/run/control" >"$T/many.op" 2>&1
expect_grep "an operator at most control_per_user" '^open=3' "$T/many.op"

# --- 11: a config path that is a FIFO or a directory ---
mv "$T/a.conf" "$T/a.conf.real"
mkfifo "$T/a.conf"
kill -HUP "$FX_CETAKD_PID"
check "a reload from a FIFO does not block the loop" wait_for 3 ctl status
check "and is refused with the reason" wait_for 3 grep -q "not a regular file (a FIFO)" "$T/cetakd.log"
rm "$T/a.conf"; mkdir "$T/a.conf"
kill -HUP "$FX_CETAKD_PID"
sleep 0.5
check "a reload from a directory leaves cetakd running" kill -0 "$FX_CETAKD_PID"
check "refused with the reason" wait_for 3 grep -q "not a regular file (a directory)" "$T/cetakd.log"
rmdir "$T/a.conf"; mv "$T/a.conf.real" "$T/a.conf"

# --- 12, 13, 7: reloads that would lie ---
cp "$T/a.conf" "$T/good.conf"
sed -i "s|signer_key = \"$T/pki/ds.key\"|signer_key = \"$T/pki/missing.key\"|" "$T/a.conf"
ctl reload >"$T/rl1" 2>&1
check "a reload naming a missing signer key is refused" test $? != 0
expect_grep "with the reason" "Document Signer refused" "$T/rl1"
cp "$T/good.conf" "$T/a.conf"
sed -i 's|^lines = ( {|lines = ( { name = "B"; printer = "usb"; usb_device = "0f49:1002"; reader = "cetak test VPCD 00 01"; }, {|' "$T/a.conf"
ctl reload >"$T/rl2" 2>&1
check "a reload adding a line is refused" test $? != 0
expect_grep "with the reason: a restart" "line changes need a restart" "$T/rl2"
cp "$T/good.conf" "$T/a.conf"
"$ROOT/scripts/make-test-pki" "$T/pki2" >/dev/null 2>&1
sed -i "s|csca = \"$T/pki/csca.pem\"|csca = \"$T/pki2/csca.pem\"|" "$T/a.conf"
ctl reload >"$T/rl3" 2>&1
check "a reload with a CSCA the signer does not chain to is refused" test $? != 0
expect_grep "with the reason" "does not verify against the CSCA" "$T/rl3"
cp "$T/good.conf" "$T/a.conf"
check "a good reload still works" ctl reload

# --- 6, 10: what the card or the decoder would refuse is refused at intake ---
ctl submit "$T/jobs/BIG-000001.json" >"$T/big.sub" 2>&1
expect_grep "a photo too large for a card file is refused at intake" "the card cannot hold it: DG2 would be [0-9]+ bytes" "$T/big.sub"
ctl submit "$T/jobs/BOMB-000001.json" >"$T/bomb.sub" 2>&1
expect_grep "a progressive JPEG of 190 scans is refused at intake" "more than 32 scans" "$T/bomb.sub"

# --- 19: spool names that cannot carry a companion, or would forge one ---
long=$(printf 'x%.0s' $(seq 250))
printf '{' >"$T/spool/new/$long"
printf '{' >"$T/spool/new/evil
reason: accepted"
mkdir "$T/spool/new/adir"
check "every bad entry leaves new/" wait_for 10 sh -c "[ -z \"\$(ls -A '$T/spool/new')\" ]"
check "all three in rejected/ (two under names of cetakd's own), each with a .reason" \
	sh -c "cd '$T/spool/rejected' && ls adir adir.reason renamed-* | grep -c . | grep -qx 6"
check "no .reason file has a forged line" sh -c "! grep -l '^reason: accepted' '$T'/spool/rejected/*.reason"
check "the original name is kept, escaped" grep -rq 'file: evil\\x0Areason: accepted' "$T/spool/rejected"
check "the directory is named in the log once" test "$(grep -c 'spool: adir: not a regular file' "$T/cetakd.log")" = 1
stop

# --- 3: the two books check each other at start-up ---
cp "$T/state/ledger.db" "$T/ledger.old"
fx_cetakd "$T/a.conf" || notok "cetakd restarts on its own state"
ctl stock receive LOT-B 10 --doc DN-3 >/dev/null
stop
mv "$T/state/ledger.db" "$T/ledger.keep"
start_refused "a missing ledger beside a job store with history: refused" "ledger.db is missing or empty"
: >"$T/state/ledger.db"
start_refused "an emptied ledger: refused" "ledger.db is missing or empty"
check "the emptied file is left as it was" test ! -s "$T/state/ledger.db"
cp "$T/ledger.old" "$T/state/ledger.db"; rm -f "$T/state/ledger.db-wal" "$T/state/ledger.db-shm"
start_refused "an older copy of the ledger: refused" "the ledger lost history|ledger was replaced"
mv "$T/ledger.keep" "$T/state/ledger.db"
mv "$T/state/cetak.db" "$T/store.keep"
start_refused "a missing job store beside a ledger with history: refused" "cetak.db is missing or empty"
mv "$T/store.keep" "$T/state/cetak.db"
cp "$T/state/ledger.db" "$T/ledger.good"
sqlite3 "$T/state/ledger.db" "UPDATE events SET record = replace(record, '\"count\":100', '\"count\":900') WHERE seq = 1"
start_refused "a ledger whose check fails stops cetakd" "ledger check failed"
cp "$T/ledger.good" "$T/state/ledger.db"
fx_cetakd "$T/a.conf"
check "with both books restored it starts again" ctl stock check
stop
finish
