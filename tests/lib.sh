# tests/lib.sh - shared shell for cetak's integration tests.
#
# Source it from a test script. It gives:
#   check NAME CMD...      run CMD; print "ok - NAME" or "not ok - NAME"
#   expect_grep NAME PATTERN FILE  a check that FILE matches the ERE PATTERN
#   fx_pcscd / fx_card / fx_cupsd / fx_cetakd   private fixtures (below)
# Everything a test starts is stopped by an EXIT trap; its files live in
# $T (a fresh directory under /tmp), kept when CETAK_KEEP=1.
# tests/run counts the ok / not ok lines.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
T=$(mktemp -d /tmp/cetak-test.XXXXXX)
chmod 0755 "$T"
FX_PIDS=""
FAILS=0

fx_cleanup() {
	for p in $FX_PIDS; do kill "$p" 2>/dev/null; done
	for p in $FX_PIDS; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	if [ "${CETAK_KEEP:-0}" = 1 ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap fx_cleanup EXIT

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; FAILS=$((FAILS + 1)); }

# check NAME CMD...: passes when CMD exits 0.
check() {
	local name=$1; shift
	if "$@" >"$T/.check.out" 2>&1; then ok "$name"; else
		notok "$name"; sed 's/^/#   /' "$T/.check.out" | head -20
	fi
}

# expect_grep NAME ERE FILE
expect_grep() {
	if grep -Eq -- "$2" "$3"; then ok "$1"; else
		notok "$1"; echo "#   no match for /$2/ in $3:"; sed 's/^/#   /' "$3" | head -20
	fi
}

# wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds.
wait_for() {
	local n=$(($1 * 20)); shift
	while [ $n -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; n=$((n - 1)); done
	return 1
}

# A port pair for vpcd, chosen per test run to avoid clashes.
fx_port() { echo $((35000 + (RANDOM % 2000) * 2)); }

# fx_pcscd PORT: a private pcscd with one vpcd reader listening on PORT (and
# PORT+1 for its second slot). Exports PCSCLITE_CSOCK_NAME.
fx_pcscd() {
	local port=$1 d=$T/pcscd
	mkdir -p "$d/reader.conf.d"
	cat >"$d/reader.conf.d/vpcd" <<CONF
FRIENDLYNAME "cetak test VPCD"
DEVICENAME   /dev/null:$port
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    $port
CONF
	export PCSCLITE_CSOCK_NAME=$d/pcscd.comm
	"$B/tests/sockact" "$d/pcscd.comm" pcscd -f -c "$d/reader.conf.d" >"$d/log" 2>&1 &
	FX_PCSCD_PID=$!
	FX_PIDS="$FX_PIDS $!"
	wait_for 5 "$B/tests/pcsc_probe" -l -t 1
}

fx_pcscd_stop() {
	kill "$FX_PCSCD_PID" 2>/dev/null
	wait "$FX_PCSCD_PID" 2>/dev/null
}

# fx_card PORT DUMPDIR [cardemu options]: insert an emulated card into vpcd.
fx_card() {
	local port=$1 dump=$2; shift 2
	"$B/tests/cardemu" -p "$port" -d "$dump" "$@" >>"$T/cardemu.log" 2>&1 &
	FX_CARD_PID=$!
	FX_PIDS="$FX_PIDS $!"
}

# fx_cupsd PORT: a private cupsd with a raw queue "card" on the capture
# backend writing into $T/capture. Exports CUPS_SERVER.
fx_cupsd() {
	local port=$1 d=$T/cups
	mkdir -p "$d"/{spool,cache,state,tmp,log,bin/backend,bin/filter,ppd}
	mkdir -p "$T/capture" && chmod 0777 "$T/capture"
	chmod 0755 "$d" "$d/spool"
	for x in /usr/lib/cups/*; do
		case ${x##*/} in backend) ;; *) ln -s "$x" "$d/bin/" ;; esac
	done
	for x in /usr/lib/cups/backend/*; do ln -s "$x" "$d/bin/backend/" 2>/dev/null; done
	install -m 0755 "$ROOT/tests/fixtures/cardsink" "$d/bin/backend/cardsink"
	cat >"$d/cupsd.conf" <<CONF
Listen 127.0.0.1:$port
Listen $d/cups.sock
Browsing No
WebInterface No
DefaultAuthType None
LogLevel info
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
CONF
	cat >"$d/cups-files.conf" <<CONF
ServerRoot $d
RequestRoot $d/spool
StateDir $d/state
CacheDir $d/cache
TempDir $d/tmp
ServerBin $d/bin
DataDir /usr/share/cups
AccessLog $d/log/access_log
ErrorLog $d/log/error_log
PageLog $d/log/page_log
SystemGroup root
CONF
	export CUPS_SERVER=$d/cups.sock
	cupsd -f -c "$d/cupsd.conf" -s "$d/cups-files.conf" >"$d/stdout" 2>&1 &
	FX_CUPSD_PID=$!
	FX_PIDS="$FX_PIDS $!"
	wait_for 10 lpstat -r || return 1
	lpadmin -p card -E -v "cardsink:$T/capture" -m raw 2>/dev/null
}

# fx_config FILE [extra libconfig text]: a cetakd config under $T.
fx_config() {
	local f=$1; shift
	cat >"$f" <<CONF
station = { name = "Test station"; role = "main"; };
paths = {
	state_dir = "$T/state";
	spool_dir = "$T/spool";
	control_socket = "$T/run/control";
};
access = { operator_group = "users"; supervisor_group = "staff"; };
daemon = { reader_poll_ms = 200; log_level = "debug"; };
${1:-}
CONF
}

# fx_cetakd CONFIG: start cetakd, wait until its socket answers.
fx_cetakd() {
	"$B/cetakd" -c "$1" >>"$T/cetakd.log" 2>&1 &
	FX_CETAKD_PID=$!
	FX_PIDS="$FX_PIDS $!"
	wait_for 5 "$B/cetakctl" -s "$T/run/control" status
}

ctl() { "$B/cetakctl" -s "$T/run/control" "$@"; }

# Exit status of a test script: failures counted by check/expect_grep.
finish() { exit $((FAILS > 0)); }
