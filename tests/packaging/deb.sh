#!/bin/bash
# The Debian packages (docs/packaging.md), on this machine, as root: build
# them (make-deb), lintian, install the previous commit's packages, give them
# a ledger and queued jobs, upgrade to this tree's, check that nothing was
# lost and the audit chain verifies, then remove and purge. Run by
# `make check-deb` (CI runs it after `make check`); it changes the machine:
# packages, users, /etc/cetak, /var/lib/cetak.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	notok "check-deb runs as root (it installs packages)"
	finish
fi
if dpkg-query -W -f='${Status}' cetak 2>/dev/null | grep -q ' installed$' ||
	[ -e /var/lib/cetak/ledger.db ]; then
	notok "this machine already has cetak installed or a ledger in /var/lib/cetak: check-deb would touch a real station"
	finish
fi

JOBGEN=$B/tests/jobgen
# whatever happens, leave the machine as it was: no cetak package, no state
deb_cleanup() {
	fx_cleanup
	apt-get purge -y cetak cetak-hub cetak-common >/dev/null 2>&1
	rm -rf /var/lib/cetak /var/spool/cetak /var/log/cetak /etc/cetak
	fx_cleanup_test
}
trap deb_cleanup EXIT

count=$(git -C "$ROOT" rev-list --count HEAD)
prev=${CETAK_DEB_PREVIOUS:-HEAD~1}
pcount=$(git -C "$ROOT" rev-list --count "$prev")
ver=$(sed -n 's/^VERSION *= *//p' "$ROOT/Makefile")
new=$ver+git$count old=$ver+git$pcount
[ "$old" != "$new" ] || old=$ver+git$((count - 1))~prev
D=$T/deb

# build: this tree, and the previous commit packaged the same way
"$ROOT/scripts/make-deb" "$new" "$D" >"$T/make-deb-new" 2>&1
check "make deb builds cetak, cetak-hub and cetak-common" \
	test -s "$D/cetak_${new}_amd64.deb" -a -s "$D/cetak-hub_${new}_amd64.deb" -a -s "$D/cetak-common_${new}_all.deb"
"$ROOT/scripts/make-deb" "$old" "$D" "$prev" >"$T/make-deb-old" 2>&1
check "and the previous commit's packages ($prev, $old)" test -s "$D/cetak_${old}_amd64.deb"
[ -s "$D/cetak_${new}_amd64.deb" ] && [ -s "$D/cetak_${old}_amd64.deb" ] || { cat "$T"/make-deb-*; finish; }

lintian --tag-display-limit 0 "$D/cetak_${new}_amd64.deb" "$D/cetak-hub_${new}_amd64.deb" \
	"$D/cetak-common_${new}_all.deb" >"$T/lintian" 2>&1
grep -E '^[EW]: ' "$T/lintian" >"$T/lintian-ew"
check "lintian: no error, no warning ($(wc -l <"$T/lintian-ew") found)" test ! -s "$T/lintian-ew"
sed 's/^/# /' "$T/lintian-ew"

# a fresh install of the previous version
apt-get install -y --no-install-recommends "$D/cetak-common_${old}_all.deb" \
	"$D/cetak_${old}_amd64.deb" "$D/cetak-hub_${old}_amd64.deb" >"$T/apt-old" 2>&1
check "the previous version installs with apt" test $? = 0
expect_grep "its postinst says cetakd waits for a ready configuration" \
	'cetakd is enabled but not started|^cetakd' "$T/apt-old"
check "users: cetak" getent passwd cetak
for g in cetak-operator cetak-supervisor cetak-hub-viewer cetak-hub-supervisor; do
	check "group $g" getent group "$g"
done
check "the spool is cetak:cetak-operator 0750" \
	test "$(stat -c '%U:%G %a' /var/spool/cetak)" = "cetak:cetak-operator 750"
check "spool/new is setgid and group-writable (2770)" test "$(stat -c %a /var/spool/cetak/new)" = 2770
check "the unit is installed" test -s /lib/systemd/system/cetakd.service
check "and enabled" test -L /etc/systemd/system/multi-user.target.wants/cetakd.service
check "cetakd -n accepts the installed configuration" /usr/sbin/cetakd -n -c /etc/cetak/cetakd.conf

# the station runs on the previous version: a ledger and queued jobs
mkdir -p "$T/keys" "$T/run"
"$ROOT/scripts/make-test-pki" "$T/pki" >/dev/null 2>&1
cp "$T/pki/ds.key" "$T/pki/ds.pem" "$T/keys/"
chown -R cetak:cetak "$T/keys" "$T/run"
chmod 600 "$T/keys/ds.key"
chmod 755 "$T"
cat >"$T/pkg.conf" <<CONF
station = { name = "Paket"; role = "main"; };
paths = { state_dir = "/var/lib/cetak"; spool_dir = "/var/spool/cetak"; control_socket = "$T/run/control"; };
access = { operator_group = "cetak-operator"; supervisor_group = "cetak-supervisor"; };
web = { enabled = false; };
ledger = { station_key = "$T/keys/ds.key"; station_cert = "$T/keys/ds.pem"; };
CONF
chmod 644 "$T/pkg.conf"
install -d -o cetak -g cetak -m 0750 /var/lib/cetak
start_cetakd() {
	runuser -u cetak -- /usr/sbin/cetakd -c "$T/pkg.conf" >>"$T/cetakd.log" 2>&1 &
	FX_CETAKD_PID=$!
	FX_PIDS="$FX_PIDS $!"
	wait_for 10 ctl status
}
B=/usr/bin
start_cetakd || { notok "the packaged cetakd starts"; tail "$T/cetakd.log"; finish; }
ctl stock receive LOT-P1 500 --doc DN-P1 >/dev/null
"$JOBGEN" -n 5 -o "$T/jobs" -m new -k 1 >/dev/null
ctl submit "$T"/jobs/*.json >"$T/submit" 2>&1
wait_for 10 sh -c "[ \"\$('$B/cetakctl' -s '$T/run/control' queue --count)\" = 5 ]"
check "the previous version holds 5 queued jobs" test "$(ctl queue --count)" = 5
ctl audit export -o "$T/before.audit" >/dev/null 2>&1
kill "$FX_CETAKD_PID"; wait "$FX_CETAKD_PID" 2>/dev/null

# the upgrade
apt-get install -y --no-install-recommends "$D/cetak-common_${new}_all.deb" \
	"$D/cetak_${new}_amd64.deb" "$D/cetak-hub_${new}_amd64.deb" >"$T/apt-new" 2>&1
check "the upgrade installs with apt" test $? = 0
check "cetak is now $new" test "$(dpkg-query -W -f='${Version}' cetak)" = "$new"
check "the configuration stays root:cetak 0640" \
	test "$(stat -c '%U:%G %a' /etc/cetak/cetakd.conf)" = "root:cetak 640"
check "cetakd -n -r says what the installed configuration still lacks" \
	sh -c '/usr/sbin/cetakd -n -r -c /etc/cetak/cetakd.conf 2>&1 | grep -q "signer_key names /etc/cetak/ds.key, which does not exist"'
start_cetakd || { notok "the upgraded cetakd starts on the old state"; tail "$T/cetakd.log"; finish; }
check "after the upgrade: the 5 jobs are still queued" test "$(ctl queue --count)" = 5
ctl stock >"$T/stock"
expect_grep "and the ledger's 500 blanks are in store" '500' "$T/stock"
ctl audit export -o "$T/after.audit" >"$T/export" 2>&1
/usr/bin/cetak-audit verify "$T/after.audit" --cert "$T/keys/ds.pem" >"$T/verify" 2>&1
expect_grep "and the audit chain verifies with the packaged cetak-audit" '^OK: ' "$T/verify"
check "and holds every record it held before the upgrade" \
	sh -c "[ \$(wc -l <'$T/after.audit') -ge \$(wc -l <'$T/before.audit') ] && [ -s '$T/before.audit' ]"
score=$(unit_exposure /lib/systemd/system/cetakd.service)
echo "# the installed unit's exposure score: ${score:-?}"
check "the installed unit's exposure score stays at most 2.0" awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'

# a restart after an upgrade waits for the lines to be between cards
printf '#!/bin/sh\necho "$@" >>%s/systemctl.log\n' "$T" >"$T/fake-systemctl"
chmod +x "$T/fake-systemctl"
apt-get install -y --reinstall --no-install-recommends "$D/cetak_${new}_amd64.deb" >"$T/apt-re" 2>&1
ctl status >"$T/status"
expect_grep "cetakctl status says a restart is pending once the binary is replaced" '^RESTART PENDING' "$T/status"
CETAK_CONTROL=$T/run/control CETAK_SYSTEMCTL=$T/fake-systemctl /usr/lib/cetak/restart-between-cards >"$T/restart" 2>&1
expect_grep "with no card in flight the restart goes ahead" 'no card in flight' "$T/restart"
expect_grep "and restarts cetakd.service" '^restart cetakd.service$' "$T/systemctl.log"
kill "$FX_CETAKD_PID"; wait "$FX_CETAKD_PID" 2>/dev/null

# remove, then purge
apt-get remove -y cetak cetak-hub cetak-common >"$T/apt-rm" 2>&1
check "remove succeeds" test $? = 0
check "the programs are gone" test ! -e /usr/sbin/cetakd -a ! -e /usr/bin/cetak-hub
check "the configuration stays until purge" test -e /etc/cetak/cetakd.conf
apt-get purge -y cetak cetak-hub cetak-common >"$T/apt-purge" 2>&1
check "purge succeeds" test $? = 0
check "purge removes the configuration" test ! -e /etc/cetak/cetakd.conf
check "purge keeps the ledger and the job store" test -s /var/lib/cetak/ledger.db -a -s /var/lib/cetak/cetak.db
expect_grep "and says so, and how to remove them" 'CETAK_PURGE_STATE=yes' "$T/apt-purge"
rm -rf /var/lib/cetak /var/spool/cetak /var/log/cetak
finish
