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
score=$(unit_exposure "$T/unit/cetakd.service")
echo "# exposure score: ${score:-?}"
check "exposure score is at most 2.0 (low)" awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'
expect_grep "the unit is Type=notify" '^Type=notify$' "$ROOT/etc/cetakd.service"
# the hub's verifier and the district dashboard's unit: the same checks
for u in cetak-hub.service cetak-hub-web.service; do
	sed "s|/usr/bin/cetak-hub|$B/cetak-hub|; s|^EnvironmentFile=.*|Environment=CETAK_HUB_DB=dbname=cetak_hub|" \
		"$ROOT/etc/$u" >"$T/unit/$u"
	systemd-analyze verify "$T/unit/$u" >"$T/verify-$u" 2>&1
	rc=$?
	check "$u verifies without a warning" sh -c "[ $rc = 0 ] && test ! -s '$T/verify-$u'"
	uscore=$(unit_exposure "$T/unit/$u")
	echo "# $u exposure score: ${uscore:-?}"
	check "its exposure score is at most 2.0 (low)" awk -v s="${uscore:-99}" 'BEGIN { exit !(s <= 2.0) }'
done
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
# make install into a DESTDIR puts everything where the README says
make -s -C "$ROOT" install DESTDIR="$T/inst" BUILD="$BUILD" >"$T/install.log" 2>&1
check "make install DESTDIR=... succeeds" test $? = 0
for f in usr/sbin/cetakd usr/bin/cetakctl usr/bin/cetak-audit lib/systemd/system/cetakd.service \
	usr/lib/sysusers.d/cetak.conf usr/lib/tmpfiles.d/cetak.conf etc/cetak/cetakd.conf \
	etc/cetak/profiles/icao-lds.conf etc/cetak/layouts/ektp-front.conf; do
	check "installs /$f" test -s "$T/inst/$f"
done
check "the installed config is not world-readable" test "$(stat -c %a "$T/inst/etc/cetak/cetakd.conf")" = 640
"$T/inst/usr/sbin/cetakd" -n -c "$T/inst/etc/cetak/cetakd.conf" >/dev/null 2>&1
check "the installed cetakd accepts the installed config" test $? = 0
echo '# an existing config is never overwritten' >"$T/inst/etc/cetak/cetakd.conf"
make -s -C "$ROOT" install DESTDIR="$T/inst" BUILD="$BUILD" >/dev/null 2>&1
check "a second install keeps the operator's config" \
	grep -q 'never overwritten' "$T/inst/etc/cetak/cetakd.conf"
finish
