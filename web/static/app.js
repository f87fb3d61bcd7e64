// cetak dashboard: the live view of the lines (a long poll of /live/lines).
// Everything else is plain HTML forms, which work without this script.
"use strict";
(function () {
	var live = document.getElementById("live");
	if (!live) return;
	var src = live.getAttribute("data-live");
	var v = live.getAttribute("data-v") || "";
	var conn = document.getElementById("conn");
	function lost(on) {
		if (conn) conn.textContent = on ? conn.getAttribute("data-lost") : "";
		document.body.classList.toggle("offline", on);
	}
	function poll() {
		fetch(src + "?v=" + encodeURIComponent(v), { credentials: "same-origin", cache: "no-store" })
			.then(function (r) {
				if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); return null; }
				if (!r.ok) throw new Error(r.status);
				return r.json();
			})
			.then(function (j) {
				if (!j) return;
				lost(false);
				if (j.v !== v) { v = j.v; live.innerHTML = j.html; live.setAttribute("data-v", v); }
				setTimeout(poll, 0);
			})
			.catch(function () { lost(true); setTimeout(poll, 2000); });
	}
	poll();
})();
