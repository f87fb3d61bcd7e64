#!/bin/bash
# The station dashboard (docs/web.md) through the real cetakd: a USB line on
# the printer simulator (umockdev) with private pcscd + vpcd and the card
# emulator, log-in through PAM (etc/pam.d/cetak over pam_unix) with Unix
# accounts made for the test, and headless Chromium driving the pages
# (tests/integration/web_browser.py). Then the gate against bad input:
# traversal, oversized requests, slow clients, 500 connections, brute force,
# TLS. Screenshots go to $BUILD/test-logs/web-shots/.
. "$(dirname "$0")/../lib.sh"

export CETAK_PAM_CONFDIR=$ROOT/etc/pam.d
SHOTS=$B/test-logs/web-shots
rm -rf "$SHOTS"

# The test's accounts: an operator (group users), a supervisor (group
# staff) and one in neither. Their passwords are set on every run.
for u in cetakweb-op:users cetakweb-sup:staff cetakweb-none:; do
	name=${u%%:*} grp=${u#*:}
	id "$name" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin ${grp:+-G "$grp"} "$name"
done
printf '%s\n' cetakweb-op:op-Sandi-1 cetakweb-sup:sup-Sandi-1 cetakweb-none:none-Sandi-1 | chpasswd

P=$(fx_port)
fx_pcscd "$P" || { notok "private pcscd starts"; finish; }
"$B/tests/jobgen" -n 40 -o "$T/jobs" -s 11 >/dev/null
fx_card "$P" "$T/cards" -S -c 10000 -m 4096
wait_for 5 "$B/tests/pcsc_probe" -r "*00 00" -t 1 FFCA000000 || echo "# the card emulator is not seen after 5 s"
FX_STATION='office = "UPT Disdukcapil Kecamatan Contoh";' fx_line_config "$T/web.conf"
fx_cetakd_usb "$T/web.conf" -n 40 -r 100 -F jam:2 || { notok "cetakd starts"; finish; }
ctl stock receive LOT-W 100 --doc DN-W >/dev/null
ctl stock load A 30 >/dev/null
# a held job and a refused file for the queue page
ctl line pause A >/dev/null
ctl submit "$T/jobs/JOB-000030.json" >/dev/null
wait_for 10 "$B/cetakctl" -s "$T/run/control" hold JOB-000030 --reason "menunggu dokumen asli" ||
	echo "# JOB-000030 could not be held" 
printf '{"format": "cetak-job/1", "job_id": ' >"$T/spool/tmp/RUSAK.json"
mv "$T/spool/tmp/RUSAK.json" "$T/spool/new/RUSAK.json"
ctl line resume A >/dev/null
wait_for 10 test -e "$T/spool/rejected/RUSAK.json.reason"
URL=$(fx_web_url)
check "cetakd serves the dashboard on 127.0.0.1 (web.port = 0: a free port)" \
	sh -c "echo '$URL' | grep -Eq '^http://127\.0\.0\.1:[0-9]+$'"
on_fail() {
	echo "--- lines"; ctl lines
	echo "--- cetakd.log (web, last 20)"; grep 'web:' "$T/cetakd.log" | tail -n 20
}

# --- in the browser ---
# Debian's python3 (its python3-websocket), whatever python3 is first on PATH
/usr/bin/python3 "$ROOT/tests/integration/web_browser.py" "$URL" "$B/cetakctl" "$T/run/control" \
	"$T/jobs" "$T" "$SHOTS" 2>&1 | tee "$T/browser.out"
expect_grep "the browser scenario ran to its end" '^# browser scenario complete' "$T/browser.out"
ls "$SHOTS"/*.png >/dev/null 2>&1 && echo "# screenshots: $SHOTS"
expect_grep "the resume is in the journal with the user's name" \
	'resumed by cetakweb-op \(operator\)' "$T/cetakd.log"
expect_grep "log-ins are in the journal" "web: 'cetakweb-sup' \(supervisor\) logged in" "$T/cetakd.log"

# --- the gate, with curl ---
J=$T/jar
curl -s -c "$J" -o /dev/null -d 'user=cetakweb-op&password=op-Sandi-1' "$URL/login"
csrf() { curl -s -b "$J" "$URL/lines" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//; s/"//'; }
TOKEN=$(csrf)
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "the JSON API answers the lines for a session" \
	sh -c "curl -s -b '$J' '$URL/api/lines' | jq -e '.ok and (.data.lines[0].name == \"A\")'"
check "the JSON API without a session is 401" test "$(code "$URL/api/lines")" = 401
check "an API action with the token is done" \
	sh -c "curl -s -b '$J' -H 'X-CSRF-Token: $TOKEN' -H 'Content-Type: application/json' \
		-d '{\"line\":\"A\",\"command\":\"pause\"}' '$URL/api/line' | jq -e .ok"
check "and shows in cetakctl" sh -c "'$B/cetakctl' -s '$T/run/control' lines | grep -q '^A  *paused'"
check "an operator's supervisor action through the API is 403" \
	test "$(code -b "$J" -H "X-CSRF-Token: $TOKEN" -H 'Content-Type: application/json' \
		-d '{"job":"x","outcome":"printed"}' "$URL/api/resolve")" = 403
curl -s -b "$J" -H "X-CSRF-Token: $TOKEN" -H 'Content-Type: application/json' \
	-d '{"line":"A","command":"resume"}' "$URL/api/line" >/dev/null
check "a wrong CSRF token is 403" \
	test "$(code -b "$J" -H 'X-CSRF-Token: 00000000000000000000000000000000' -d 'line=A&command=pause' "$URL/act/line")" = 403
check "a POST with another site's Origin is 403" \
	test "$(code -b "$J" -H 'Origin: http://evil.example' -d "csrf=$TOKEN&line=A&command=pause" "$URL/act/line")" = 403
check "the static files are served" test "$(code "$URL/static/style.css")" = 200
for p in '/static/../web.conf' '/static/..%2fweb.conf' '/static/%2e%2e/%2e%2e/etc/passwd' '/static/.hidden' \
	'/static/app.js/..' '/static//etc/passwd'; do
	c=$(code --path-as-is "$URL$p")
	check "a traversal ($p) is refused ($c)" sh -c "[ '$c' = 404 ] || [ '$c' = 400 ]"
done
ln -sf /etc/passwd "$T/passwd.css" 2>/dev/null
check "no page names a file outside the static directory" \
	sh -c "! curl -s --path-as-is '$URL/static/../../../../etc/passwd' | grep -q root:"
head -c 40000 /dev/zero | tr '\0' a >"$T/big"
check "an oversized body is refused (413)" \
	test "$(code -b "$J" -H "X-CSRF-Token: $TOKEN" --data-binary @"$T/big" "$URL/act/line")" = 413
c=$(code -H "X-Big: $(head -c 70000 /dev/zero | tr '\0' a)" "$URL/login")
check "oversized headers are refused ($c)" sh -c "[ '$c' = 431 ] || [ '$c' = 413 ] || [ '$c' = 000 ]"

# one computer may hand cetakd 20 requests a second (40 at once): the rest is 429
seq 1 150 | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' -b "$J" "$URL/api/alerts" >"$T/burst"
check "a burst of 150 API requests is rationed: some refused with 429 ($(grep -c 429 "$T/burst"))" \
	sh -c "grep -q 429 '$T/burst' && grep -q 200 '$T/burst'"
sleep 2
check "and answered again a moment later" test "$(code -b "$J" "$URL/api/alerts")" = 200

# brute force: five wrong passwords lock the name (and the address) for a minute
for i in 1 2 3 4 5; do code -d 'user=cetakweb-sup&password=wrong' "$URL/login" >/dev/null; done
check "the sixth try is refused unchecked (429), even with the right password" \
	test "$(code -d 'user=cetakweb-sup&password=sup-Sandi-1' "$URL/login")" = 429
expect_grep "the lock is in the journal" "log-in of 'cetakweb-sup' from 127.0.0.1 refused: locked" "$T/cetakd.log"

# slow clients and 500 connections at once, while the line prints
for j in $(seq 6 15); do ctl submit "$T/jobs/JOB-$(printf %06d "$j").json" >/dev/null; done
/usr/bin/python3 - "$URL" >"$T/flood.out" 2>&1 <<'PYEOF' &
import socket, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
socks, refused = [], 0
for i in range(500):
    try:
        s = socket.create_connection((u.hostname, u.port), timeout=2)
        if i % 2:
            s.send(b"GET /lines HTTP/1.1\r\nHost: x\r\n")  # never finished: a slow client
        socks.append(s)
    except OSError:
        refused += 1
time.sleep(8)
print("opened", len(socks), "refused", refused)
PYEOF
FLOOD=$!
sleep 2
check "during the flood a logged-in page still answers or is refused, never hangs" \
	sh -c "timeout 10 curl -s -o /dev/null -b '$J' '$URL/api/status'; [ \$? != 124 ]"
check "and cetakctl answers" timeout 5 "$B/cetakctl" -s "$T/run/control" status
wait $FLOOD
cat "$T/flood.out" | sed 's/^/# flood: /'
check "the line printed every job through the flood" settle 16 90
check "after the flood the dashboard answers again" \
	sh -c "curl -s -b '$J' '$URL/api/status' | jq -e .ok"
check "the audit chain verifies after all that" "$B/cetakctl" -s "$T/run/control" stock check

# --- the configuration: the LAN only over TLS ---
fx_config "$T/lan.conf" "web = { listen = \"0.0.0.0\"; };"
sed -i '/^web = { port = 0/d' "$T/lan.conf"
"$B/cetakd" -n -c "$T/lan.conf" >"$T/lan.out" 2>&1
check "listening on the LAN without TLS is refused" test $? != 0
expect_grep "with the reason and the fix" "opens the dashboard to the network: set web.tls_cert and web.tls_key" "$T/lan.out"

kill "$FX_CETAKD_PID"; wait "$FX_CETAKD_PID" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T/web.key" -out "$T/web.pem" 2>/dev/null
FX_WEB="listen = \"127.0.0.1\"; tls_cert = \"$T/web.pem\"; tls_key = \"$T/web.key\";" fx_config "$T/tls.conf"
fx_cetakd "$T/tls.conf" || notok "cetakd starts with TLS"
TURL=$(FX_WEB_TLS=1 fx_web_url)
check "over TLS the log-in page is served" \
	sh -c "curl -s --cacert '$T/web.pem' '$TURL/login' | grep -q 'Kata sandi'"
curl -s --cacert "$T/web.pem" -c "$T/tjar" -o /dev/null -d 'user=cetakweb-op&password=op-Sandi-1' "$TURL/login"
check "and the session cookie is Secure" grep -q 'TRUE.*cetak_sid' "$T/tjar"
check "plain HTTP to the TLS port gets no page" \
	sh -c "! curl -s -m 3 '${TURL/https/http}/login' | grep -q 'Kata sandi'"
finish
