#!/usr/bin/python3
"""webload.py - load on a cetakd dashboard until STOPFILE exists (bench/web.sh).

8 clients fetch pages and the JSON API as fast as they are answered, 20 hold
the lines page's live view (long poll), 400 connections from another
address are held open by slow clients (the limit per address refuses all
but 32), and one client tries wrong passwords. Prints what was answered.
usage: webload.py URL STOPFILE
"""
import http.cookiejar
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request

URL, STOP = sys.argv[1:3]
u = urllib.parse.urlparse(URL)
counts = {"pages": 0, "live": 0, "errors": 0, "refused_logins": 0, "slow_open": 0}
lock = threading.Lock()


def add(k, n=1):
    with lock:
        counts[k] += n


# One log-in, its session shared by every client: each log-in costs a
# password hash (about 150 ms with yescrypt), and the load is on the pages.
_jar = http.cookiejar.CookieJar()
urllib.request.build_opener(urllib.request.HTTPCookieProcessor(_jar)).open(
    URL + "/login", data=b"user=cetakweb-op&password=op-Sandi-1", timeout=60).read()
COOKIE = "; ".join("%s=%s" % (c.name, c.value) for c in _jar)


def session():
    op = urllib.request.build_opener()
    op.addheaders = [("Cookie", COOKIE)]
    return op


def pages():
    op = session()
    paths = ["/lines", "/queue", "/stock", "/collection", "/api/lines", "/api/stock", "/api/queue"]
    i = 0
    while not os.path.exists(STOP):
        try:
            op.open(URL + paths[i % len(paths)], timeout=30).read()
            add("pages")
        except Exception:
            add("errors")
            time.sleep(0.05)
        i += 1


def live():
    op = session()
    v = ""
    while not os.path.exists(STOP):
        try:
            j = json.loads(op.open(URL + "/live/lines?v=" + v, timeout=40).read())
            v = j["v"]
            add("live")
        except Exception:
            add("errors")
            time.sleep(0.5)


def brute():
    # from another loopback address: the lock is per name and per address
    import http.client
    while not os.path.exists(STOP):
        try:
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=30,
                                           source_address=("127.0.0.3", 0))
            c.request("POST", "/login", body="user=cetakweb-none&password=x",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
            if c.getresponse().status == 429:
                add("refused_logins")
            c.close()
        except Exception:
            add("errors")
        time.sleep(0.2)


def slow():
    socks = []
    for _ in range(400):
        try:
            s = socket.create_connection((u.hostname, u.port), timeout=5,
                                         source_address=("127.0.0.2", 0))
            s.send(b"GET /lines HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
            add("slow_open")
        except OSError:
            pass
    while not os.path.exists(STOP):
        time.sleep(0.5)
    for s in socks:
        s.close()


threads = [threading.Thread(target=pages) for _ in range(8)]
threads += [threading.Thread(target=live) for _ in range(20)]
threads += [threading.Thread(target=brute), threading.Thread(target=slow)]
t0 = time.time()
for t in threads:
    t.start()
for t in threads:
    t.join()
dt = time.time() - t0
print("dashboard answered %d pages and API calls (%.0f/s), %d live updates, %d errors or refused "
      "connections, %d log-ins refused by the lock, in %.0f s" %
      (counts["pages"], counts["pages"] / dt, counts["live"], counts["errors"],
       counts["refused_logins"], dt))
