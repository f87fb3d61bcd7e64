#!/usr/bin/python3
"""web_browser.py - the station dashboard in a real browser (headless Chromium).

Run by tests/integration/web.sh against a real cetakd with a USB line on the
printer simulator, set to jam on its second card. Prints TAP-like "ok - " /
"not ok - " lines that tests/run counts. Screenshots of every page go to the
directory given, for a person to look at.

usage: web_browser.py BASE_URL CETAKCTL SOCKET JOBS_DIR WORKDIR SHOTS_DIR
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from cdp import Browser  # noqa: E402

BASE, CTL, SOCK, JOBS, WORK, SHOTS = sys.argv[1:7]
os.makedirs(SHOTS, exist_ok=True)
fails = 0


def check(name, cond, detail=""):
    global fails
    if cond:
        print("ok - " + name)
    else:
        fails += 1
        print("not ok - " + name)
        if detail:
            for line in str(detail).splitlines()[:20]:
                print("#   " + line)
    sys.stdout.flush()


def ctl(*args):
    return subprocess.run([CTL, "-s", SOCK] + list(args), capture_output=True, text=True)


def line_state(name="A"):
    r = ctl("--json", "lines")
    try:
        for line in json.loads(r.stdout)["lines"]:
            if line["name"] == name:
                return line["state"], line.get("paused")
    except (ValueError, KeyError):
        pass
    return None, None


def done_jobs():
    r = ctl("queue", "--state", "done", "--count")
    return int(r.stdout.strip() or 0)


def shot(b, name):
    b.screenshot(os.path.join(SHOTS, name + ".png"))


def login(b, user, password):
    b.go(BASE + "/login")
    b.fill("#user", user)
    b.fill("#password", password)
    b.click("#submit")


log = open(os.path.join(WORK, "chromium.log"), "w")
b = Browser(os.path.join(WORK, "chromium"), log=log)
try:
    # --- the log-in page, in Bahasa Indonesia by default ---
    b.go(BASE + "/lines")
    check("an anonymous visit is sent to the log-in page",
          b.eval("location.pathname") == "/login", b.eval("location.href"))
    check("the log-in page is in Bahasa Indonesia", "Kata sandi" in (b.text() or ""), b.text())
    shot(b, "01-login")
    login(b, "cetakweb-op", "salah-sandi")
    check("a wrong password is refused with a reason",
          "salah" in (b.text("#error") or ""), b.text())
    login(b, "cetakweb-none", "none-Sandi-1")
    check("an account in neither group is refused, naming the groups",
          "users" in (b.text("#error") or "") and "staff" in (b.text("#error") or ""), b.text())

    # --- an operator's day ---
    login(b, "cetakweb-op", "op-Sandi-1")
    check("the operator lands on the lines", b.eval("location.pathname") == "/lines",
          b.eval("location.href"))
    cookie = [c for c in b.cookies() if c["name"] == "cetak_sid"]
    check("the session cookie is HttpOnly and SameSite=Strict",
          cookie and cookie[0]["httpOnly"] and cookie[0].get("sameSite") == "Strict", cookie)
    nav = b.text("nav") or ""
    check("the navigation is in Bahasa Indonesia", "Lini" in nav and "Antrean" in nav, nav)
    check("an operator has no reports page in the navigation", "Laporan" not in nav, nav)
    check("line A is shown ready", b.exists("#line-A .badge[data-state=idle]"), b.text("#live"))
    shot(b, "02-lines-operator")

    # the jam: the printer simulator jams on the second card
    b.eval("""window.__stoppedAt = 0;
        new MutationObserver(function () {
            if (!window.__stoppedAt && document.querySelector('#line-A .badge[data-state=stopped]'))
                window.__stoppedAt = Date.now();
        }).observe(document.getElementById('live'), {childList: true, subtree: true});""")
    for j in range(1, 6):
        ctl("submit", os.path.join(JOBS, "JOB-%06d.json" % j))
    seen = 0
    deadline = time.time() + 60
    while time.time() < deadline:
        st, _ = line_state()
        if st == "stopped":
            seen = time.time() * 1000
            break
        time.sleep(0.05)
    check("the line stops on the jam (cetakctl)", seen > 0, line_state())
    shown = b.wait("window.__stoppedAt", timeout=5) or 0
    delay = shown - seen if shown and seen else None
    print("# the page showed the stop %s ms after cetakctl saw it" %
          ("%.0f" % delay if delay is not None else "never"))
    check("the page shows the stop within 2 s, without reloading",
          delay is not None and delay < 2000, delay)
    card = b.text("#line-A") or ""
    check("the stopped line says what to do in Bahasa Indonesia",
          "Yang harus dilakukan" in card and "macet" in card, card)
    check("and why, cetakd's reason written in Bahasa Indonesia",
          "Sebab: printer berhenti saat mencetak" in card, card)
    check("the stopped line offers Resume", b.exists("#line-A button.resume"), card)
    shot(b, "03-lines-jam")

    # a forged action in the page's own session but without the CSRF token
    status = b.eval("""fetch('/act/line', {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/x-www-form-urlencoded'},
        body: 'line=A&command=pause'}).then(function (r) { return r.status; })""", True)
    check("an action without the CSRF token is refused (403)", status == 403, status)
    status = b.eval("""fetch('/api/line', {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({line: 'A', command: 'pause'})}).then(function (r) { return r.status; })""", True)
    check("an API action without the CSRF token is refused (403)", status == 403, status)

    # resume from the button
    b.click("#line-A button.resume")
    check("resuming says so", "Lini A dilanjutkan" in (b.text("#flash") or ""), b.text())
    ok = False
    deadline = time.time() + 90
    while time.time() < deadline:
        if done_jobs() >= 5:
            ok = True
            break
        time.sleep(0.3)
    check("after Resume the line prints every job", ok, ctl("queue").stdout)
    b.wait("document.querySelector('#line-A .badge[data-state=idle]')", timeout=10)
    check("the page shows the line ready again",
          b.exists("#line-A .badge[data-state=idle]"), b.text("#live"))

    # a forged request from another site: the cookie does not go along
    forged = os.path.join(WORK, "forged.html")
    with open(forged, "w") as f:
        f.write("<form id=f method=post action='%s/act/line'>"
                "<input name=line value=A><input name=command value=pause></form>"
                "<script>document.getElementById('f').submit()</script>" % BASE)
    b.go("file://" + forged)
    b.wait("location.protocol === 'http:'", timeout=10)
    b.wait_loaded()
    time.sleep(0.3)
    st, paused = line_state()
    check("a form posted from another site does not pause the line", not paused, (st, paused))
    check("and it is answered with a refusal", "Galat 40" in (b.text() or ""), b.text())

    # an operator may not read the reports
    b.go(BASE + "/reports")
    check("an operator's visit to /reports is refused",
          "supervisor" in (b.text() or "") and not b.exists("#monthly"), b.text())

    # the other pages
    b.go(BASE + "/queue")
    check("the queue page shows the counts by kind", b.exists("#counts"), b.text())
    held = b.text("#held") or ""
    check("the queue page lists the held job with its reason",
          "JOB-000030" in held and "menunggu dokumen asli" in held, b.text())
    refused = b.text("#refused") or ""
    check("the queue page lists the refused file with its reason, in Bahasa Indonesia",
          "RUSAK.json" in refused and "JSON rusak" in refused, refused)
    shot(b, "04-queue")
    b.click("#held button")
    check("releasing the held job says so", "JOB-000030" in (b.text("#flash") or ""), b.text())
    check("and the job is queued again", "JOB-000030" not in (b.text("#held") or ""))
    b.go(BASE + "/stock")
    check("the stock page draws the chart of daily use", b.exists("svg#use-chart rect.issued"),
          b.text())
    check("and the projection to the run-out", b.exists("svg#runout-chart .projection"))
    on_hand = b.text("#on-hand") or ""
    check("the stock page shows what is on hand", "Tersedia" in on_hand, on_hand)
    shot(b, "05-stock")
    b.go(BASE + "/collection")
    check("the collection page shows cards waiting by age", b.exists("#age-0-30"), b.text())
    shot(b, "06-collection")

    # the language switch
    b.go(BASE + "/lines")
    b.click("#lang")
    nav = b.text("nav") or ""
    check("English is one click away", "Lines" in nav and "Queue" in nav, nav)
    check("and stays on the same page", b.eval("location.pathname") == "/lines")
    shot(b, "07-lines-english")
    b.click("#lang")
    check("and back to Bahasa Indonesia", "Lini" in (b.text("nav") or ""), b.text("nav"))

    # log out
    b.click("#logout")
    check("log-out ends the session", b.eval("location.pathname") == "/login")
    b.go(BASE + "/lines")
    check("after log-out the pages ask for a log-in again", b.eval("location.pathname") == "/login")

    # --- a supervisor reads the month ---
    login(b, "cetakweb-sup", "sup-Sandi-1")
    nav = b.text("nav") or ""
    check("a supervisor has the reports page", "Laporan" in nav, nav)
    b.go(BASE + "/reports")
    month = b.text("#month") or ""
    check("the reports page shows the month so far, balanced",
          "Saldo awal" in month and "seimbang" in (b.text("#m-balanced") or ""), month)
    check("and spoiled cards by cause (the jam)", "gagal_cetak" in (b.text("#m-causes") or ""),
          b.text("#m-causes"))
    shot(b, "08-reports")
    dl = os.path.join(WORK, "downloads")
    b.allow_downloads(dl)
    b.eval("document.querySelector('#monthly button[value=pdf]').click()")
    pdf = None
    deadline = time.time() + 30
    while time.time() < deadline and not pdf:
        names = [n for n in os.listdir(dl) if n.endswith(".pdf")]
        if names:
            pdf = os.path.join(dl, names[0])
        time.sleep(0.2)
    check("the monthly report downloads as a PDF", pdf and open(pdf, "rb").read(4) == b"%PDF",
          os.listdir(dl))
    if pdf:
        txt = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True,
                             text=True).stdout
        check("the PDF is the berita acara in Bahasa Indonesia",
              "BERITA ACARA" in txt.upper() and "Pada hari ini" in txt, txt[:800])
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", pdf,
                        os.path.join(SHOTS, "09-report-pdf")])
    b.eval("document.querySelector('#daily button[value=csv]').click()")
    csv = None
    deadline = time.time() + 20
    while time.time() < deadline and not csv:
        names = [n for n in os.listdir(dl) if n.endswith(".csv")]
        if names:
            csv = os.path.join(dl, names[0])
        time.sleep(0.2)
    check("the daily report downloads as CSV with English headers",
          csv and open(csv).readline().startswith(("section", "report", "kind", "station", "field")),
          open(csv).read(300) if csv else os.listdir(dl))
    b.go(BASE + "/lines")
    shot(b, "10-lines-supervisor")
    print("# browser scenario complete")
finally:
    b.close()
    log.close()
sys.exit(1 if fails else 0)
