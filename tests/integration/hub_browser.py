#!/usr/bin/python3
"""hub_browser.py - the district dashboard (cetak-hub serve) in headless Chromium.

Run by tests/integration/district.sh over its three generated stations.
Prints "ok - " / "not ok - " lines; screenshots go to SHOTS_DIR.

usage: hub_browser.py BASE_URL MONTH WORKDIR SHOTS_DIR
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
from cdp import Browser  # noqa: E402

BASE, MONTH, WORK, SHOTS = sys.argv[1:5]
os.makedirs(SHOTS, exist_ok=True)
fails = 0


def check(name, cond, detail=""):
    global fails
    print(("ok - " if cond else "not ok - ") + name)
    if not cond:
        fails += 1
        for line in str(detail).splitlines()[:20]:
            print("#   " + line)
    sys.stdout.flush()


def login(b, user, password):
    b.go(BASE + "/login")
    b.fill("#user", user)
    b.fill("#password", password)
    b.click("#submit")


b = Browser(os.path.join(WORK, "chromium-hub"), log=open(os.path.join(WORK, "chromium-hub.log"), "w"))
try:
    login(b, "cetakweb-op", "op-Sandi-1")
    check("a viewer lands on the stations", b.eval("location.pathname") == "/stations",
          b.eval("location.href"))
    table = b.text("#stations") or ""
    check("every station is in the table with its last contact",
          all(s in table for s in ("Kantor", "UPT Satu", "UPT Dua")), table)
    check("the table is in Bahasa Indonesia", "Kontak terakhir" in table, table)
    check("the district's cover is shown", "Cukup untuk" in (b.text("#d-cover") or ""),
          b.text("main"))
    check("a viewer has no reports page", "Laporan" not in (b.text("nav") or ""), b.text("nav"))
    b.screenshot(os.path.join(SHOTS, "hub-01-stations.png"))
    b.go(BASE + "/transfers")
    tr = b.text("#transfers") or ""
    check("the transfers page lists TR-001 and TR-002", "TR-001" in tr and "TR-002" in tr, tr)
    b.screenshot(os.path.join(SHOTS, "hub-02-transfers.png"))
    b.go(BASE + "/alarms")
    check("the alarms page lists the alarms", b.exists("#alarms"), b.text("main"))
    b.screenshot(os.path.join(SHOTS, "hub-03-alarms.png"))
    b.go(BASE + "/reports")
    check("a viewer's visit to the reports is refused", not b.exists("#monthly"), b.text())
    status = b.eval("""fetch('/logout', {method: 'POST', credentials: 'same-origin'})
        .then(function (r) { return r.status; })""", True)
    check("a log-out without the CSRF token is refused", status == 403, status)
    check("the refusal is a page of the dashboard", b.exists("#logout") and
          "supervisor" in (b.text("#error") or ""), b.text())
    b.click("#logout")

    login(b, "cetakweb-sup", "sup-Sandi-1")
    check("a supervisor has the reports page", "Laporan" in (b.text("nav") or ""), b.text("nav"))
    b.go(BASE + "/reports")
    b.fill("#monthly input[name=month]", MONTH)
    b.screenshot(os.path.join(SHOTS, "hub-04-reports.png"))
    dl = os.path.join(WORK, "hub-downloads")
    b.allow_downloads(dl)
    b.eval("document.querySelector('#monthly button[value=pdf]').click()")
    pdf = None
    deadline = time.time() + 30
    while time.time() < deadline and not pdf:
        names = [n for n in os.listdir(dl) if n.endswith(".pdf")]
        pdf = os.path.join(dl, names[0]) if names else None
        time.sleep(0.2)
    check("the district's monthly report downloads as a PDF",
          pdf and open(pdf, "rb").read(4) == b"%PDF", os.listdir(dl))
    if pdf:
        txt = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True,
                             text=True).stdout
        check("in Bahasa Indonesia, with every station",
              "Pada hari ini" in txt and "UPT Satu" in txt, txt[:600])
    print("# hub browser scenario complete")
finally:
    b.close()
sys.exit(1 if fails else 0)
