#!/bin/bash
# Spool intake through the real daemon and cetakctl: submit, validate,
# reject with a reason, duplicates, inotify, operator verbs and their
# permissions, a UPT's data_change hold, print-once, and kill -9 in the middle
# of importing 1,000 jobs: every job present exactly once.
. "$(dirname "$0")/../lib.sh"

fx_config "$T/c.conf" 'station = { name = "Test UPT"; role = "upt"; region = "3602"; };
spool = { rescan_interval = 3600; batch = 64; };'
# fx_config wrote a station group already; keep only the last one
sed -i '1d' "$T/c.conf"
fx_cetakd "$T/c.conf" || { notok "cetakd starts"; finish; }
"$B/tests/jobgen" -n 6 -o "$T/jobs" -m new,replacement,data_change -k 8 >/dev/null
SPOOL=$T/spool

ctl submit "$T/jobs/JOB-000001.json" "$T/jobs/JOB-000002.json" >"$T/submit" 2>&1
check "cetakctl submit exits 0 for good jobs" test $? = 0
expect_grep "the first is accepted and queued" '^JOB-000001: accepted, queued$' "$T/submit"
expect_grep "the second is accepted and queued" '^JOB-000002: accepted, queued$' "$T/submit"
ctl submit "$T/jobs/JOB-000003.json" >"$T/submit3" 2>&1
expect_grep "a data_change at a UPT is held for the main office" \
	'^JOB-000003: accepted, held: data_change cards are printed at the main office' "$T/submit3"

# Bad input dropped straight into new/: moved aside with its reason, never deleted.
sed 's/"PRR"/"DUPLICATE_RECORD"/' "$T/jobs/JOB-000004.json" >"$T/dup-record.json"
cp "$T/dup-record.json" "$SPOOL/new/upstream-dup.json"
printf '{"format": "cetak-job/1", ' >"$SPOOL/new/truncated.json"
check "bad files leave new/" wait_for 5 sh -c "! ls '$SPOOL/new' | grep -q ."
expect_grep "a non-PRR record is refused with its reason" 'reason: record_state: "DUPLICATE_RECORD" is not PRR' \
	"$SPOOL/rejected/upstream-dup.json.reason"
expect_grep "malformed JSON is refused with line and column" 'reason: malformed JSON at line 1 column' \
	"$SPOOL/rejected/truncated.json.reason"
check "the refused file itself is kept in rejected/" cmp "$T/dup-record.json" "$SPOOL/rejected/upstream-dup.json"
expect_grep "the refusal is logged" 'spool: upstream-dup.json: record_state.*moved to rejected/' "$T/cetakd.log"

# validate runs the same validator, without the daemon.
"$B/cetakctl" validate "$T/jobs/JOB-000004.json" "$T/dup-record.json" >"$T/val" 2>&1
check "validate exits 1 when a file is refused" test $? = 1
expect_grep "validate says OK for a good file" 'JOB-000004.json: OK \(job JOB-000004, new, NIK 3602' "$T/val"
expect_grep "validate gives the reason for a bad one" 'dup-record.json: refused: record_state' "$T/val"
"$B/cetakctl" validate --region 3171 "$T/jobs/JOB-000004.json" >"$T/val2" 2>&1
expect_grep "validate applies a region" "outside this station's region 3171" "$T/val2"
ctl submit "$T/dup-record.json" >"$T/sub-bad" 2>&1
check "submit refuses a bad file before it reaches the spool (exit 1)" test $? = 1
check "and nothing was written to new/" sh -c "! ls '$SPOOL/new' | grep -q ."

# Duplicates: identical is dropped, different content is refused.
ctl submit "$T/jobs/JOB-000001.json" >"$T/again" 2>&1
expect_grep "an identical resubmission reports the existing job" '^JOB-000001: accepted, queued$' "$T/again"
expect_grep "and is logged as dropped" 'job JOB-000001: identical copy .* dropped' "$T/cetakd.log"
sed 's/"urgent": false/"urgent": true/' "$T/jobs/JOB-000002.json" >"$T/changed.json"
ctl submit "$T/changed.json" >"$T/conflict" 2>&1
check "a changed job with a known job_id is refused (exit 1)" test $? = 1
expect_grep "with the reason" 'JOB-000002: refused by cetakd: job_id JOB-000002 was already received with different content' \
	"$T/conflict"

# inotify: a plain hand-off is imported at once (rescan_interval is an hour).
cp "$T/jobs/JOB-000004.json" "$SPOOL/tmp/x.json" && mv "$SPOOL/tmp/x.json" "$SPOOL/new/x.json"
check "a file renamed into new/ is imported within 2 s" wait_for 2 ctl job show JOB-000004

# Queue views.
check "queue --count counts open jobs" test "$(ctl queue --count)" = 4
ctl queue >"$T/q"
expect_grep "queue lists new before replacement" 'JOB-000001 .*queued +new' "$T/q"
check "new jobs come before replacements" \
	sh -c "grep -n 'JOB-00000[12]' '$T/q' | head -1 | grep -q JOB-000001"
ctl queue --state held >"$T/qh"
expect_grep "queue --state held shows the hold reason" 'JOB-000003 +held .*main office' "$T/qh"
ctl queue --state bogus >"$T/qb" 2>&1
expect_grep "an unknown state is named" "unknown state in 'bogus'" "$T/qb"

# Operator verbs and their permissions (users = operators, staff = supervisors).
op hold JOB-000002 >"$T/h" 2>&1
expect_grep "hold needs a reason" 'hold needs a reason' "$T/h"
op hold JOB-000002 --reason "citizen must re-verify address" >"$T/h" 2>&1
expect_grep "an operator holds a job" '^JOB-000002: held - hold by nobody: citizen must re-verify address' "$T/h"
op release JOB-000002 >"$T/r" 2>&1
expect_grep "an operator releases it" '^JOB-000002: queued' "$T/r"
op release JOB-000003 >"$T/r3" 2>&1
expect_grep "an operator may not release a main-office hold" 'only a supervisor may release it' "$T/r3"
op priority JOB-000002 5 >"$T/p" 2>&1
expect_grep "an operator may not change priority" "'priority' is a supervisor command" "$T/p"
ctl priority JOB-000002 5 >/dev/null
ctl queue --limit 1 >"$T/q1"
expect_grep "a supervisor's priority moves the job to the front" 'JOB-000002 +queued +replacement +5 ' "$T/q1"
op cancel JOB-000004 --reason "citizen moved away" >/dev/null 2>&1
op retry JOB-000004 >"$T/rt" 2>&1
expect_grep "retry applies only to failed jobs" 'JOB-000004 is cancelled; retry applies only to failed' "$T/rt"
ctl job show JOB-000002 >"$T/show"
expect_grep "job show lists the history with actors" 'held +hold by nobody: citizen must re-verify address \[nobody \(operator\)\]' "$T/show"

# Print once: a NIK whose card was printed. The print line does not exist yet,
# so the test marks JOB-000001 done directly in the store.
sqlite3 -cmd ".timeout 10000" "$T/state/cetak.db" "UPDATE jobs SET state='done' WHERE job_id='JOB-000001'"
sed 's/"JOB-000001"/"JOB-000001-AGAIN"/' "$T/jobs/JOB-000001.json" >"$T/again.json"
ctl submit "$T/again.json" >"$T/once" 2>&1
expect_grep "a second new card for a printed NIK is held" 'JOB-000001-AGAIN: accepted, held: NIK [0-9]{16} already has a printed card \(job JOB-000001\)' "$T/once"
op release JOB-000001-AGAIN >"$T/once-op" 2>&1
expect_grep "an operator may not release a print-once hold" 'only a supervisor may release it' "$T/once-op"
ctl release JOB-000001-AGAIN >"$T/once-sup" 2>&1
expect_grep "a supervisor may" '^JOB-000001-AGAIN: queued' "$T/once-sup"

# Crash in the middle of importing 1,000 jobs, three times.
kill -TERM "$FX_CETAKD_PID"; wait "$FX_CETAKD_PID" 2>/dev/null
"$B/tests/jobgen" -n 1000 -o "$T/bulk" -p BULK -k 16 >/dev/null
before=$(sqlite3 "$T/state/cetak.db" "SELECT count(*) FROM jobs")
mv "$T/bulk"/*.json "$SPOOL/new/"
# Each kill lands mid-import: once fewer than 900, 600, 300 files remain in new/.
for below in 900 600 300; do
	"$B/cetakd" -c "$T/c.conf" >>"$T/cetakd.log" 2>&1 &
	pid=$!
	for _ in $(seq 3000); do
		[ "$(ls "$SPOOL/new" | wc -l)" -lt $below ] && break
		sleep 0.005
	done
	kill -9 $pid; wait $pid 2>/dev/null
	left=$(ls "$SPOOL/new" | wc -l)
	echo "# killed with $left files still in new/"
	check "kill -9 landed mid-import (below $below, above 0)" test "$left" -gt 0 -a "$left" -lt $below
done
fx_cetakd "$T/c.conf"
check "after the crashes every file leaves new/" wait_for 60 sh -c "! ls '$SPOOL/new' | grep -q ."
n=$(sqlite3 "$T/state/cetak.db" "SELECT count(*) FROM jobs WHERE job_id LIKE 'BULK-%'")
d=$(sqlite3 "$T/state/cetak.db" "SELECT count(DISTINCT job_id) FROM jobs WHERE job_id LIKE 'BULK-%'")
b=$(sqlite3 "$T/state/cetak.db" "SELECT count(*) FROM job_bodies")
all=$(sqlite3 "$T/state/cetak.db" "SELECT count(*) FROM jobs")
echo "# $n BULK jobs in the store, $d distinct; $b bodies for $all jobs"
check "all 1,000 jobs are in the store" test "$n" = 1000
check "each exactly once" test "$d" = 1000
check "every job has its body" test "$b" = "$all"
check "none was rejected" sh -c "! ls '$SPOOL/rejected' | grep -q BULK"
check "the earlier jobs are untouched" test "$((all - n))" = "$before"
finish
