#!/bin/bash
# etc/: the systemd unit verifies without any warning, its exposure score is
# low, and the sysusers/tmpfiles entries parse.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$T/unit"
# ExecStart must name an existing file for verify: point it at our build.
sed "s|/usr/sbin/cetakd|$B/cetakd|" "$ROOT/etc/cetakd.service" >"$T/unit/cetakd.service"
systemd-analyze verify "$T/unit/cetakd.service" >"$T/verify" 2>&1
check "systemd-analyze verify exits 0" test $? = 0
check "systemd-analyze verify prints nothing (no warnings)" test ! -s "$T/verify"
systemd-analyze security --offline=true "$T/unit/cetakd.service" >"$T/sec" 2>&1
score=$(sed -n 's/.*Overall exposure level for cetakd.service: \([0-9.]*\).*/\1/p' "$T/sec")
echo "# exposure score: ${score:-?}"
check "exposure score is at most 2.0 (low)" awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'
expect_grep "the unit is Type=notify" '^Type=notify$' "$ROOT/etc/cetakd.service"
expect_grep "the unit sets a watchdog" '^WatchdogSec=' "$ROOT/etc/cetakd.service"
# sysusers and tmpfiles applied to a private root: users, groups, spool dirs.
mkdir -p "$T/root/etc"
systemd-sysusers --root="$T/root" "$ROOT/etc/sysusers.d/cetak.conf" >"$T/sysusers" 2>&1
check "sysusers.d entry applies" test $? = 0
expect_grep "it creates the daemon user" '^cetak:x:[0-9]+:[0-9]+:.*:/var/lib/cetak:' "$T/root/etc/passwd"
expect_grep "it creates the operator group" '^cetak-operator:' "$T/root/etc/group"
expect_grep "it creates the supervisor group" '^cetak-supervisor:' "$T/root/etc/group"
systemd-tmpfiles --root="$T/root" --create "$ROOT/etc/tmpfiles.d/cetak.conf" >"$T/tmpfiles" 2>&1
check "tmpfiles.d entry applies" test $? = 0
check "spool new/ is setgid and group-writable" test "$(stat -c %a "$T/root/var/spool/cetak/new")" = 2770
check "spool rejected/ is read-only for operators" \
	test "$(stat -c %a "$T/root/var/spool/cetak/rejected")" = 2750
finish
