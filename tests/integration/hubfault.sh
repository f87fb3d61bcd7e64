#!/bin/bash
# Network and hub faults between a station (the real cetakd, pushing in
# batches of 20 records) and the district hub (a private PostgreSQL 15 on a
# tmpfs of its own, so that its disk can be filled), through a TCP proxy
# that injects them (tests/fixtures/faultproxy.py): the connection cut in
# the middle of a batch, a link so slow that the push times out, a dead
# link, PostgreSQL restarted while the station pushes, the hub's disk full,
# and the pushing side killed at random moments; then the station's role
# allowed over TLS only, with its client certificate. Afterwards the hub holds
# the station's chain exactly once: every record, no gap, no double, and
# the same head hash as the station's own ledger.
. "$(dirname "$0")/../lib.sh"

PGP=$(($(fx_port) + 1300))
PROXY=$((PGP + 1))
mkdir -p "$T/pgf"
mount -t tmpfs -o size=160m,mode=0700 tmpfs "$T/pgf" || { notok "a tmpfs for the hub's disk"; finish; }
hf_cleanup() { fx_cleanup; umount -l "$T/pgf" 2>/dev/null; fx_cleanup_test; }
trap hf_cleanup EXIT
fx_postgres pgf "$PGP" || { notok "a private PostgreSQL starts"; finish; }
PSQL="/usr/bin/psql -X -q -v ON_ERROR_STOP=1"
HUB="host=$T/pgf port=$PGP dbname=cetak_hub user=hub_admin"
$PSQL "host=$T/pgf port=$PGP user=hub_admin dbname=postgres" -c "CREATE DATABASE cetak_hub" >/dev/null
hub() { "$B/cetak-hub" -d "$HUB" "$@"; }
sql() { $PSQL -t -A "$HUB" -c "$1" 2>/dev/null; }
hub init >/dev/null
echo pass >"$T/mode"
python3 "$ROOT/tests/fixtures/faultproxy.py" "$PROXY" "$PGP" "$T/mode" >"$T/proxy.log" 2>&1 &
FX_PIDS="$FX_PIDS $!"
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PROXY" || { notok "the fault proxy listens"; finish; }

fx_line_config "$T/st.conf" "hub = { conninfo = \"host=127.0.0.1 port=$PROXY dbname=cetak_hub user=station_upt_sepuluh sslmode=disable\"; push_interval = 5; batch = 20; timeout = 3; };"
hub station add "UPT Sepuluh" --cert "$T/pki/ds.pem" >/dev/null
fx_cetakd "$T/st.conf" || { notok "cetakd starts"; finish; }
"$B/cetak-hub" -d "$HUB" run >"$T/hubrun.log" 2>&1 &
HUBRUN=$!
FX_PIDS="$FX_PIDS $HUBRUN"
n=0
work() { # COUNT: the station records COUNT receipts (each a record)
	for _ in $(seq "$1"); do
		n=$((n + 1))
		ctl stock receive "LOT-F$n" 5 --doc "DN-F$n" >/dev/null
	done
}
chain() { ctl --json hub | jq .records; }
held() { sql "SELECT head_seq FROM hub.stations WHERE name = 'UPT Sepuluh'"; }
synced() { [ "$(held)" = "$(chain)" ] && [ "$(ctl --json hub | jq .waiting)" = 0 ]; }
exactly_once() { # the hub's rows are 1..N once each, and its head is the station's
	local head
	head=$(ctl audit export -o "$T/chain.jsonl" >/dev/null && grep '"seq"' "$T/chain.jsonl" | tail -1 | jq -r .hash)
	[ "$(sql "SELECT count(*) = max(seq) AND min(seq) = 1 AND count(DISTINCT seq) = count(*) FROM hub.records")" = t ] &&
		[ "$(sql "SELECT encode(head_hash, 'hex') FROM hub.stations WHERE name = 'UPT Sepuluh'")" = "$head" ] &&
		[ "$(sql "SELECT count(*) FROM hub.records")" = "$(chain)" ]
}
work 30
ctl hub push >/dev/null
check "the station pushes through the proxy" wait_for 30 synced

# 1. the connection cut in the middle of a batch, again and again
echo "cut 3000" >"$T/mode"
work 60
for _ in 1 2 3; do ctl hub push >/dev/null; sleep 1; done
check "cut mid-batch: the proxy cut connections" grep -q "cut after 3000 bytes" "$T/proxy.log"
check "the station says why its round failed" sh -c "ctl() { '$B/cetakctl' -s '$T/run/control' \"\$@\"; }; ctl hub | grep -q 'last round failed'"
check "and nothing is held for a cut batch beyond what verified" test "$(held)" -lt "$(chain)"
echo pass >"$T/mode"
ctl hub push >/dev/null
check "the link back: the station catches up" wait_for 40 synced
check "exactly once after the cuts" exactly_once

# 2. a link so slow that every push times out; the station's own work does not wait
echo "delay 4000" >"$T/mode"
ctl hub push >/dev/null
t0=$(date +%s%N)
work 10
t1=$(date +%s%N)
check "a slow link: 10 receipts took $(((t1 - t0) / 1000000)) ms at the station (the push runs on its own thread)" test $(((t1 - t0) / 1000000)) -lt 3000
check "the push timed out and says so" wait_for 20 sh -c "'$B/cetakctl' -s '$T/run/control' hub | grep -q 'last round failed'"
echo "drop" >"$T/mode"
work 5
ctl hub push >/dev/null
sleep 4
check "a dead link: nothing more reaches the hub" test "$(held)" -lt "$(chain)"
echo pass >"$T/mode"
ctl hub push >/dev/null
check "back: caught up" wait_for 40 synced
check "exactly once after the slow and dead link" exactly_once

# 3. PostgreSQL restarted while the station pushes
work 80
ctl hub push >/dev/null
sleep 0.3
kill -INT "$FX_PG_PID_pgf"; wait "$FX_PG_PID_pgf" 2>/dev/null
work 10
fx_pg_start "$T/pgf" "$PGP"
FX_PG_PID_pgf=$FX_PG_PID
ctl hub push >/dev/null
check "PostgreSQL restarted during a push: the station catches up" wait_for 60 synced
check "exactly once after the restart" exactly_once

# 4. the hub's disk full
dd if=/dev/zero of="$T/pgf/fill" bs=1M 2>/dev/null
check "the hub's disk is full" test "$(df --output=avail "$T/pgf" | tail -1)" -lt 1024
work 100
ctl hub push >/dev/null
sleep 6
ctl hub >"$T/hubfull"
sed 's/^/# /' "$T/hubfull"
expect_grep "a full disk: the station keeps its chain and says the round failed, with PostgreSQL's reason" 'last round failed: .*(No space left on device|terminat|closed)' "$T/hubfull"
rm -f "$T/pgf/fill"
# PostgreSQL may have stopped on a WAL write that failed: start it again
if ! "$FX_PG_BIN/pg_isready" -h "$T/pgf" -p "$PGP" -q; then
	wait "$FX_PG_PID_pgf" 2>/dev/null
	fx_pg_start "$T/pgf" "$PGP"
	FX_PG_PID_pgf=$FX_PG_PID
fi
kill "$HUBRUN" 2>/dev/null; wait "$HUBRUN" 2>/dev/null
"$B/cetak-hub" -d "$HUB" run >>"$T/hubrun.log" 2>&1 &
HUBRUN=$!
FX_PIDS="$FX_PIDS $HUBRUN"
ctl hub push >/dev/null
check "space again: the station catches up" wait_for 60 synced
check "exactly once after the full disk" exactly_once
check "and no station was refused on the way" test "$(sql "SELECT status FROM hub.stations WHERE name = 'UPT Sepuluh'")" = ok

# 5. the pushing side killed at random moments
for k in 1 2 3 4 5; do
	work 15
	ctl hub push >/dev/null
	sleep "0.$((RANDOM % 10))"
	kill -9 "$FX_CETAKD_PID"; wait "$FX_CETAKD_PID" 2>/dev/null
	fx_cetakd "$T/st.conf" >/dev/null || { notok "cetakd starts again ($k)"; finish; }
done
ctl hub push >/dev/null
check "cetakd killed 5 times while pushing: it catches up" wait_for 60 synced
check "exactly once after the kills" exactly_once

# 6. TLS with a client certificate per station: the station's role may
# connect only over TLS, with a certificate whose name is the role's
mkdir -p "$T/tls" && cd "$T/tls" || finish
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=TEST district CA" \
	-days 2 -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
	-keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=station_upt_sepuluh" \
	-keyout client.key -out client.csr 2>/dev/null
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out client.pem 2>/dev/null
cd "$ROOT" || finish
install -o 65534 -g 65534 -m 0600 "$T/tls/server.key" "$T/pgf/data/server.key"
install -o 65534 -g 65534 -m 0644 "$T/tls/server.pem" "$T/pgf/data/server.pem"
install -o 65534 -g 65534 -m 0644 "$T/tls/ca.pem" "$T/pgf/data/ca.pem"
chmod 0600 "$T/tls/client.key"
cat >>"$T/pgf/data/postgresql.conf" <<PGCONF
ssl = on
ssl_cert_file = 'server.pem'
ssl_key_file = 'server.key'
ssl_ca_file = 'ca.pem'
log_connections = on
PGCONF
# the station's role: over TLS with its certificate, never without
{ printf 'hostssl cetak_hub station_upt_sepuluh 127.0.0.1/32 cert\n'
  printf 'hostnossl cetak_hub station_upt_sepuluh 127.0.0.1/32 reject\n'
  printf 'host cetak_hub station_upt_sepuluh 127.0.0.1/32 reject\n'
  cat "$T/pgf/data/pg_hba.conf"; } >"$T/pgf/hba" && cp "$T/pgf/hba" "$T/pgf/data/pg_hba.conf"
chown 65534:65534 "$T/pgf/data/pg_hba.conf"
kill -INT "$FX_PG_PID_pgf"; wait "$FX_PG_PID_pgf" 2>/dev/null
fx_pg_start "$T/pgf" "$PGP"
FX_PG_PID_pgf=$FX_PG_PID
TLSCONN="host=127.0.0.1 port=$PGP dbname=cetak_hub user=station_upt_sepuluh"
/usr/bin/psql -X "$TLSCONN sslmode=disable" -c "SELECT hub.ack()" >"$T/tls-plain" 2>&1
expect_grep "the station's role without TLS is refused" 'rejects connection|no encryption' "$T/tls-plain"
/usr/bin/psql -X "$TLSCONN sslmode=verify-full sslrootcert=$T/tls/ca.pem" -c "SELECT hub.ack()" >"$T/tls-nocert" 2>&1
expect_grep "with TLS but no client certificate, refused" 'certificate' "$T/tls-nocert"
kill "$FX_CETAKD_PID"; wait "$FX_CETAKD_PID" 2>/dev/null
sed -i "s|conninfo = \"[^\"]*\"|conninfo = \"$TLSCONN sslmode=verify-full sslrootcert=$T/tls/ca.pem sslcert=$T/tls/client.pem sslkey=$T/tls/client.key\"|" "$T/st.conf"
fx_cetakd "$T/st.conf" >/dev/null || { notok "cetakd starts with TLS to the hub"; finish; }
work 10
ctl hub push >/dev/null
check "over TLS with its client certificate, the station pushes and catches up" wait_for 40 synced
check "exactly once over TLS" exactly_once
expect_grep "the hub's log shows the station's connection with TLS" 'connection authorized: user=station_upt_sepuluh database=cetak_hub SSL enabled' "$T/pgf/log"
finish
