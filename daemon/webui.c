/*
 * webui.c - the station dashboard: cetakd's pages and JSON API (webui.h),
 * over the dashboard's server (web/).
 *
 * Requests that passed the gate (web/server.c) arrive on the server's threads
 * and wait in an inbox; an eventfd wakes cetakd's loop, which answers them
 * with the same verbs and role checks as the control socket, so every
 * action is the verb's, recorded with the user's name. The live view of the
 * lines is a long poll: /live/lines?v=V is answered as soon as what it shows
 * differs from V, or after 25 s; a 250 ms timer looks while any waits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/i18n.h"
#include "common/log.h"
#include "cetakd.h"
#include "ctlproto.h"
#include "ledger/report.h"
#include "web/html.h"
#include "web/web.h"
#include "webui.h"

#define INBOX 512
#define MAX_PARKED 256
#define LIVE_WAIT_MS 25000

struct parked {
	struct web_req *rq;
	uint64_t since;
	char v[17];
};

struct webui {
	struct cetakd *d;
	struct web_server *srv;
	int efd;
	struct ev_source *efd_src, *timer;
	pthread_mutex_t mu;
	struct web_req *inbox[INBOX];
	int n_inbox;
	bool closing;
	struct parked parked[MAX_PARKED];
	int n_parked;
	char live_v[17];
};

/* Names the verbs answer with, shown translated: job states and kinds,
 * custody states (for xgettext; _() looks them up at run time). */
static const char *const names_for_translation[] __attribute__((unused)) = {
	N_("queued"),	   N_("held"),	      N_("deferred"),  N_("active"),
	N_("done"),	   N_("failed"),      N_("cancelled"), N_("new"),
	N_("replacement"), N_("data_change"), N_("issued"),    N_("stored"),
	N_("collected"),   N_("transferred"), N_("withdrawn"), N_("destroyed"),
};

/* ---- calling the verbs ---- */

/* The control protocol's peer of a dashboard user: the same roles. */
static struct ctl_peer
peer_of(const struct web_req *rq)
{
	struct ctl_peer p = { .pid = 0, .uid = rq->user.uid, .gid = rq->user.gid };

	snprintf(p.user, sizeof(p.user), "%s", rq->user.name);
	p.role = rq->user.role == WEB_ROLE_SUPERVISOR ? CTL_ROLE_SUPERVISOR
		 : rq->user.role == WEB_ROLE_OPERATOR ? CTL_ROLE_OPERATOR
						      : CTL_ROLE_NONE;
	return p;
}

static enum web_role
role_of(void *ctx, uid_t uid, gid_t gid, const gid_t *groups, int n)
{
	struct ctl_limits l;
	cetakd_ctl_limits(ctx, &l);
	enum ctl_role r = ctl_role_of(uid, gid, groups, n, &l);
	return r == CTL_ROLE_SUPERVISOR ? WEB_ROLE_SUPERVISOR
	       : r == CTL_ROLE_OPERATOR ? WEB_ROLE_OPERATOR
					: WEB_ROLE_NONE;
}

static const struct ctl_verb *
find_verb(const char *name)
{
	for (const struct ctl_verb *v = cetakd_verbs; v->name; v++)
		if (!strcmp(v->name, name))
			return v;
	return NULL;
}

/* Verbs the API serves: readers by GET, actions by POST. A card on the desk
 * reader and the bulk audit export are cetakctl's only. */
static const char *const get_verbs[] = {
	"status", "lines",   "queue",	  "job-show", "stock", "stock-forecast", "stock-days",
	"alerts", "custody", "card-list", "privacy",  "hub",   "spool-rejected", NULL
};
static const char *const post_verbs[] = { "line",
					  "resolve",
					  "hold",
					  "release",
					  "cancel",
					  "retry",
					  "priority",
					  "stock-receive",
					  "stock-load",
					  "stock-count",
					  "stock-ribbon-receive",
					  "stock-ribbon-load",
					  "stock-counter-ack",
					  "stock-transfer",
					  "stock-destroy",
					  "report",
					  "stock-check",
					  "card-transfer",
					  "card-batch",
					  "notice-run",
					  "hub-push",
					  "reload",
					  "privacy-purge",
					  NULL };

static bool
listed(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (!strcmp(*list, name))
			return true;
	return false;
}

/*
 * Run verb for the request's user (args stolen). The data, or NULL with the
 * refusal in err and the HTTP status in *status.
 */
static json_t *
call(struct webui *w, struct web_req *rq, const char *verb, json_t *args, char *err, size_t errlen,
     int *status)
{
	const struct ctl_verb *v = find_verb(verb);
	json_t *data = NULL;
	const char *code = NULL;
	char *why = NULL;

	struct ctl_peer peer = peer_of(rq);

	*status = 200;
	if (!v) {
		json_decref(args);
		snprintf(err, errlen, "unknown command '%s'", verb);
		*status = 404;
		return NULL;
	}
	if (peer.role < v->min_role) {
		json_decref(args);
		snprintf(err, errlen, "'%s' is a supervisor command: user '%s' is an operator",
			 verb, rq->user.name);
		*status = 403;
		log_notice("web: '%s' by '%s' refused: needs %s", verb, rq->user.name,
			   ctl_role_name(v->min_role));
		return NULL;
	}
	if (!args)
		args = json_object();
	int r = v->fn(w->d, &peer, args, &data, &code, &why);
	json_decref(args);
	if (r != 0) {
		snprintf(err, errlen, "%s", why ? why : "command failed");
		free(why);
		json_decref(data);
		*status = code && !strcmp(code, CTL_E_PERMISSION) ? 403 : 409;
		return NULL;
	}
	if (!data)
		data = json_object();
	return data;
}

/* A verb whose failure leaves nothing to show: NULL is an empty object. */
static json_t *
call_quiet(struct webui *w, struct web_req *rq, const char *verb, json_t *args)
{
	char err[300];
	int st;
	json_t *j = call(w, rq, verb, args, err, sizeof(err), &st);
	return j ? j : json_object();
}

/* ---- formatting ---- */

static const char *
n_fmt(json_int_t n, char *buf, size_t len)
{
	return i18n_int((long long)n, buf, len);
}

static json_int_t
jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static const char *
state_label(const char *s)
{
	static const struct {
		const char *state, *label;
	} t[] = { { "idle", N_("ready") },	 { "printing", N_("printing") },
		  { "paused", N_("paused") },	 { "draining", N_("finishing its jobs") },
		  { "stopped", N_("stopped") },	 { "unresolved", N_("needs a decision") },
		  { "waiting", N_("waiting") },	 { "not-ready", N_("not ready") },
		  { "disabled", N_("disabled") } };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].state))
			return _(t[i].label);
	return s;
}

static const char *
step_label(const char *s)
{
	if (!strcmp(s, "feed"))
		return _("feeding the blank");
	if (!strcmp(s, "encode"))
		return _("writing the chip");
	if (!strcmp(s, "print"))
		return _("printing the face");
	if (!strcmp(s, "eject"))
		return _("ejecting the card");
	if (!strcmp(s, "reject"))
		return _("rejecting the card");
	return s;
}

/* What the operator does about a line in this state, by its reason. */
static const char *
what_to_do(const char *state, const char *reason, bool supervisor)
{
	if (!strcmp(state, "unresolved"))
		return supervisor ? _("The last card's outcome is not known. Look at the card: "
				      "choose Printed if it came out whole, Spoiled if not.")
				  : _("The last card's outcome is not known. Keep the card and "
				      "call a supervisor to decide.");
	if (!strcmp(state, "stopped") || !strcmp(state, "not-ready") || !strcmp(state, "waiting")) {
		if (strcasestr(reason, "jam"))
			return _("Open the printer, take out the jammed card and put it with the "
				 "spoiled cards, close the printer, then press Resume.");
		if (strcasestr(reason, "ribbon"))
			return _(
				"Replace the ribbon and record it under Stock, then press Resume.");
		if (strcasestr(reason, "door") || strcasestr(reason, "cover"))
			return _("Close the printer's cover, then press Resume.");
		if (strcasestr(reason, "hopper") || strcasestr(reason, "media-empty") ||
		    strcasestr(reason, "blank"))
			return _("Put blanks in the hopper and record them under Stock (load), "
				 "then press Resume.");
		if (strcasestr(reason, "reader") || strcasestr(reason, "card"))
			return _("Check that the card reader is connected and the card sits "
				 "right, then press Resume.");
		if (strcasestr(reason, "printer") || strcasestr(reason, "offline") ||
		    strcasestr(reason, "usb"))
			return _("Check that the printer is on and its cable is connected, then "
				 "press Resume.");
		if (!strcmp(state, "waiting"))
			return _("The line goes on by itself when the cause is gone.");
		return _("Check the printer and the card reader, then press Resume.");
	}
	return "";
}

static const char *
role_label(enum web_role r)
{
	return r == WEB_ROLE_SUPERVISOR ? _("supervisor") : _("operator");
}

static void
page_begin(struct webui *w, struct web_req *rq, struct wbuf *b, const char *title,
	   const char *current)
{
	struct web_nav nav[] = { { "/lines", _("Lines") },
				 { "/queue", _("Queue") },
				 { "/stock", _("Stock") },
				 { "/collection", _("Collection") },
				 { "/reports", _("Reports") } };
	int n = rq->user.role >= WEB_ROLE_SUPERVISOR ? 5 : 4;
	const struct cetak_config *c = w->d->cfg;

	wb_page_begin(b, rq->lang, title,
		      c->station_office[0] ? c->station_office : c->station_name, nav, n, current,
		      rq->user.name, role_label(rq->user.role), rq->csrf, rq->flash);
}

/* A message of cetakd (a reason, a refusal, an alert) in the page's language. */
static void
wb_msg(struct wbuf *b, const char *english)
{
	char t[1024];

	wb_esc(b, i18n_msg(english, t, sizeof(t)));
}

/* A refusal as a page of the dashboard, with its navigation. */
static void
error_page(struct webui *w, struct web_req *rq, int status, const char *msg)
{
	struct wbuf b = { 0 };

	page_begin(w, rq, &b, _("Error"), NULL);
	wb_add(&b, "<section class=\"card\"><p id=\"error\">");
	wb_msg(&b, msg);
	wb_add(&b, "</p></section>");
	web_reply_page(rq, &b);
	rq->status = status;
}

/* ---- the lines ---- */

static void
alerts_html(struct wbuf *b, json_t *alerts)
{
	json_t *a;
	size_t i;

	if (!json_array_size(alerts))
		return;
	wb_add(b, "<section class=\"card alerts\" id=\"alerts\"><h2>");
	wb_esc(b, _("Alerts"));
	wb_add(b, "</h2><ul>");
	json_array_foreach(alerts, i, a)
	{
		wb_add(b, "<li><b>");
		wb_esc(b, jstr(a, "alert"));
		wb_add(b, "</b> ");
		wb_msg(b, jstr(a, "message"));
		wb_add(b, "</li>");
	}
	wb_add(b, "</ul></section>");
}

/* The live part of the lines page: one card per line, then the alerts. */
static void
lines_fragment(struct web_req *rq, struct wbuf *b, json_t *lines, json_t *alerts)
{
	json_t *l, *q = json_object_get(lines, "queue");
	size_t i;
	char n1[32], n2[32], n3[32];
	bool sup = rq->user.role >= WEB_ROLE_SUPERVISOR;

	wb_add(b, "<p class=\"summary\" id=\"summary\">");
	wb_printf(b, _("Queue: %s waiting, %s held, %s for later."),
		  n_fmt(jint(q, "queued"), n1, sizeof(n1)), n_fmt(jint(q, "held"), n2, sizeof(n2)),
		  n_fmt(jint(q, "deferred"), n3, sizeof(n3)));
	wb_add(b, "</p><div class=\"lines\">");
	json_array_foreach(json_object_get(lines, "lines"), i, l)
	{
		const char *name = jstr(l, "name"), *state = jstr(l, "state");
		const char *reason = jstr(l, "reason"), *job = jstr(l, "job");
		wb_printf(b, "<section class=\"card line s-%s\" id=\"line-", state);
		wb_esc(b, name);
		wb_add(b, "\"><h2>");
		wb_esc(b, _("Line"));
		wb_add(b, " ");
		wb_esc(b, name);
		wb_printf(b, " <span class=\"badge s-%s\" data-state=\"%s\">", state, state);
		wb_esc(b, state_label(state));
		wb_add(b, "</span></h2><dl>");
		wb_add(b, "<dt>");
		wb_esc(b, _("Now"));
		wb_add(b, "</dt><dd class=\"job\">");
		if (*job) {
			wb_esc(b, job);
			if (*jstr(l, "step")) {
				wb_add(b, " · ");
				wb_esc(b, step_label(jstr(l, "step")));
			}
		} else {
			wb_add(b, "—");
		}
		wb_add(b, "</dd><dt>");
		wb_esc(b, _("Next"));
		wb_add(b, "</dt><dd>");
		wb_esc(b, *jstr(l, "next_job") ? jstr(l, "next_job") : "—");
		wb_add(b, "</dd><dt>");
		wb_esc(b, _("Hopper"));
		wb_add(b, "</dt><dd>");
		if (jint(l, "hopper") >= 0)
			wb_printf(b, "%s %s", n_fmt(jint(l, "hopper"), n1, sizeof(n1)),
				  _("blanks"));
		else
			wb_add(b, "—");
		wb_add(b, "</dd><dt>");
		wb_esc(b, _("Ribbon"));
		wb_add(b, "</dt><dd>");
		if (jint(l, "ribbon_left") >= 0)
			wb_printf(b, "%s %s", n_fmt(jint(l, "ribbon_left"), n1, sizeof(n1)),
				  _("prints left"));
		else
			wb_add(b, "—");
		wb_add(b, "</dd><dt>");
		wb_esc(b, _("Cards today"));
		wb_printf(b, "</dt><dd>%s</dd></dl>",
			  n_fmt(jint(l, "cards_today"), n1, sizeof(n1)));
		const char *todo = what_to_do(state, reason, sup);
		if (*reason || *todo) {
			wb_add(b, "<div class=\"reason\">");
			if (*reason) {
				wb_add(b, "<p class=\"why\">");
				wb_esc(b, _("Reason:"));
				wb_add(b, " ");
				wb_msg(b, reason);
				wb_add(b, "</p>");
			}
			if (*todo) {
				wb_add(b, "<p class=\"todo\"><b>");
				wb_esc(b, _("What to do:"));
				wb_add(b, "</b> ");
				wb_esc(b, todo);
				wb_add(b, "</p>");
			}
			wb_add(b, "</div>");
		}
		wb_add(b, "<div class=\"actions\">");
		bool paused = json_is_true(json_object_get(l, "paused"));
		bool stopped = !strcmp(state, "stopped");
		if (paused || stopped || !strcmp(state, "draining"))
			wb_button(b, "/act/line", rq->csrf, _("Resume"), "primary resume", "line",
				  name, "command", "resume", NULL);
		if (!paused && !stopped && strcmp(state, "unresolved") &&
		    strcmp(state, "disabled")) {
			wb_button(b, "/act/line", rq->csrf, _("Pause"), "pause", "line", name,
				  "command", "pause", NULL);
			if (strcmp(state, "draining"))
				wb_button(b, "/act/line", rq->csrf, _("Finish and stop"), "drain",
					  "line", name, "command", "drain", NULL);
		}
		if (!strcmp(state, "unresolved") && sup && *job) {
			wb_button(b, "/act/resolve", rq->csrf, _("Printed"),
				  "primary resolve-printed", "job", job, "outcome", "printed",
				  NULL);
			wb_button(b, "/act/resolve", rq->csrf, _("Spoiled"),
				  "danger resolve-spoiled", "job", job, "outcome", "spoiled", NULL);
		}
		wb_add(b, "</div></section>");
	}
	wb_add(b, "</div>");
	alerts_html(b, json_object_get(alerts, "alerts"));
}

static uint64_t
fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* What the live view shows, and its fingerprint. */
static void
live_data(struct webui *w, struct web_req *rq, json_t **lines, json_t **alerts, char v[17])
{
	*lines = call_quiet(w, rq, "lines", NULL);
	*alerts = call_quiet(w, rq, "alerts", NULL);
	json_t *q = call_quiet(w, rq, "queue", json_pack("{s:b}", "count_only", 1));
	json_object_set(*lines, "queue", json_object_get(q, "counts"));
	json_decref(q);
	json_t *both = json_pack("[O, O]", *lines, *alerts);
	/* the engine's running figures change with every card; they are not shown */
	json_t *l;
	size_t i;
	json_array_foreach(json_object_get(json_array_get(both, 0), "lines"), i, l)
		json_object_del(l, "stats");
	char *s = json_dumps(both, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(v, 17, "%016llx", (unsigned long long)fnv(s));
	free(s);
	json_decref(both);
}

static void
page_lines(struct webui *w, struct web_req *rq)
{
	struct wbuf b = { 0 };
	json_t *lines, *alerts;
	char v[17];

	live_data(w, rq, &lines, &alerts, v);
	page_begin(w, rq, &b, _("Lines"), "/lines");
	wb_printf(&b, "<div id=\"live\" data-live=\"/live/lines\" data-v=\"%s\">", v);
	lines_fragment(rq, &b, lines, alerts);
	wb_add(&b, "</div><p class=\"muted\" id=\"conn\" data-lost=\"");
	wb_esc(&b, _("Connection to the station lost; retrying..."));
	wb_add(&b, "\"></p>");
	web_reply_page(rq, &b);
	json_decref(lines);
	json_decref(alerts);
}

static void
answer_live(struct webui *w, struct web_req *rq)
{
	struct wbuf b = { 0 };
	json_t *lines, *alerts;
	char v[17];

	live_data(w, rq, &lines, &alerts, v);
	lines_fragment(rq, &b, lines, alerts);
	char *html = wb_take(&b, NULL);
	json_t *j = json_pack("{s:s, s:s}", "v", v, "html", html ? html : "");
	char *s = json_dumps(j, JSON_COMPACT);
	web_reply(rq, 200, "application/json", s);
	free(s);
	free(html);
	json_decref(j);
	json_decref(lines);
	json_decref(alerts);
}

/* ---- the queue ---- */

static void
page_queue(struct webui *w, struct web_req *rq)
{
	static const char *const kinds[] = { "new", "replacement", "data_change" };
	static const char *const states[] = { "queued", "held", "deferred", "active", "failed" };
	struct wbuf b = { 0 };
	char n1[32];
	json_t *counts[3], *j;
	size_t i;

	page_begin(w, rq, &b, _("Queue"), "/queue");
	wb_add(&b, "<section class=\"card\"><h2>");
	wb_esc(&b, _("Jobs by kind"));
	wb_add(&b, "</h2><table id=\"counts\"><tr><th></th>");
	for (int s = 0; s < 5; s++) {
		wb_add(&b, "<th>");
		wb_esc(&b, _(states[s]));
		wb_add(&b, "</th>");
	}
	wb_add(&b, "</tr>");
	for (int k = 0; k < 3; k++) {
		counts[k] = call_quiet(w, rq, "queue",
				       json_pack("{s:s, s:s, s:b}", "kind", kinds[k], "state",
						 "queued,held,deferred,active,failed", "count_only",
						 1));
		wb_add(&b, "<tr><th>");
		wb_esc(&b, _(kinds[k]));
		wb_add(&b, "</th>");
		for (int s = 0; s < 5; s++)
			wb_printf(&b, "<td>%s</td>",
				  n_fmt(jint(json_object_get(counts[k], "counts"), states[s]), n1,
					sizeof(n1)));
		wb_add(&b, "</tr>");
		json_decref(counts[k]);
	}
	wb_add(&b, "</table>");
	j = call_quiet(w, rq, "queue", json_pack("{s:b}", "count_only", 1));
	if (jint(j, "waiting_for_tomorrow") > 0) {
		wb_add(&b, "<p>");
		wb_printf(&b, _("%s jobs wait for tomorrow (daily quota %s)."),
			  n_fmt(jint(j, "waiting_for_tomorrow"), n1, sizeof(n1)),
			  i18n_int(jint(j, "daily_quota"), (char[32]){ 0 }, 32));
		wb_add(&b, "</p>");
	}
	json_decref(j);
	wb_add(&b, "</section>");

	/* held and failed jobs, with what an operator can do */
	j = call_quiet(w, rq, "queue",
		       json_pack("{s:s, s:i}", "state", "held,failed", "limit", 100));
	wb_add(&b, "<section class=\"card\"><h2>");
	wb_esc(&b, _("Held and failed jobs"));
	wb_add(&b, "</h2>");
	if (!json_array_size(json_object_get(j, "jobs"))) {
		wb_add(&b, "<p class=\"muted\" id=\"no-held\">");
		wb_esc(&b, _("None."));
		wb_add(&b, "</p>");
	} else {
		wb_add(&b, "<table id=\"held\"><tr><th>");
		wb_esc(&b, _("Job"));
		wb_add(&b, "</th><th>");
		wb_esc(&b, _("Name"));
		wb_add(&b, "</th><th>");
		wb_esc(&b, _("State"));
		wb_add(&b, "</th><th>");
		wb_esc(&b, _("Reason"));
		wb_add(&b, "</th><th></th></tr>");
		json_t *r;
		json_array_foreach(json_object_get(j, "jobs"), i, r)
		{
			const char *st = jstr(r, "state");
			wb_add(&b, "<tr><td>");
			wb_esc(&b, jstr(r, "job_id"));
			wb_add(&b, "</td><td>");
			wb_esc(&b, jstr(r, "name"));
			wb_add(&b, "</td><td>");
			wb_esc(&b, _(st));
			wb_add(&b, "</td><td>");
			wb_msg(&b, jstr(r, "reason"));
			wb_add(&b, "</td><td>");
			if (!strcmp(st, "held"))
				wb_button(&b, "/act/job", rq->csrf, _("Release"), "primary", "job",
					  jstr(r, "job_id"), "command", "release", NULL);
			else
				wb_button(&b, "/act/job", rq->csrf, _("Retry"), "primary", "job",
					  jstr(r, "job_id"), "command", "retry", NULL);
			wb_add(&b, "</td></tr>");
		}
		wb_add(&b, "</table>");
	}
	wb_add(&b, "</section>");
	json_decref(j);

	/* files the spool refused */
	j = call_quiet(w, rq, "spool-rejected", NULL);
	wb_add(&b, "<section class=\"card\"><h2>");
	wb_esc(&b, _("Refused job files"));
	wb_add(&b, "</h2>");
	if (!json_array_size(json_object_get(j, "files"))) {
		wb_add(&b, "<p class=\"muted\">");
		wb_esc(&b, _("None."));
		wb_add(&b, "</p>");
	} else {
		wb_add(&b, "<table id=\"refused\"><tr><th>");
		wb_esc(&b, _("File"));
		wb_add(&b, "</th><th>");
		wb_esc(&b, _("Refused on"));
		wb_add(&b, "</th><th>");
		wb_esc(&b, _("Reason"));
		wb_add(&b, "</th></tr>");
		json_t *f;
		char day[64];
		json_array_foreach(json_object_get(j, "files"), i, f)
		{
			wb_add(&b, "<tr><td>");
			wb_esc(&b, jstr(f, "file"));
			wb_add(&b, "</td><td>");
			wb_esc(&b, i18n_date((time_t)jint(f, "at"), day, sizeof(day)));
			wb_add(&b, "</td><td>");
			wb_msg(&b, jstr(f, "reason"));
			wb_add(&b, "</td></tr>");
		}
		wb_add(&b, "</table>");
	}
	wb_add(&b, "</section>");
	json_decref(j);
	web_reply_page(rq, &b);
}

/* ---- stock ---- */

/* A round step for 4 grid lines that cover max (1, 2, 5, 10, 20, 25, 50, ...). */
static double
nice_step(double max)
{
	double raw = max / 4, mag = 1;

	if (raw <= 1)
		return 1;
	while (mag * 10 <= raw)
		mag *= 10;
	static const double f[] = { 1, 2, 2.5, 5, 10 };
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i] * mag >= raw)
			return f[i] * mag;
	return 10 * mag;
}

/* Daily use over the last days as bars, and the stock's projection to its
 * run-out, as one SVG. */
static void
stock_chart(struct wbuf *b, json_t *days, json_t *outlook)
{
	const int W = 720, H = 220, L = 44, R = 12, T = 16, B = 34;
	size_t n = json_array_size(days), i;
	double max = 1;
	json_t *d;

	json_array_foreach(days, i, d)
	{
		double v = (double)(jint(d, "issued") + jint(d, "spoiled"));
		if (v > max)
			max = v;
	}
	max = 4 * nice_step(max);
	wb_printf(b,
		  "<svg class=\"chart\" id=\"use-chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
		  "aria-label=\"",
		  W, H);
	wb_esc(b, _("Cards used per day"));
	wb_add(b, "\">");
	for (int g = 0; g <= 4; g++) {
		double y = T + (H - T - B) * (1 - g / 4.0);
		wb_printf(b, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>",
			  L, W - R, y, y);
		wb_printf(
			b,
			"<text class=\"axis\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>",
			L - 6, y + 4, max * g / 4.0);
	}
	double bw = n ? (double)(W - L - R) / (double)n : 1;
	char label[64];
	json_array_foreach(days, i, d)
	{
		double iss = (double)jint(d, "issued"), sp = (double)jint(d, "spoiled");
		double x = L + bw * (double)i + 1, h1 = (H - T - B) * iss / max,
		       h2 = (H - T - B) * sp / max;
		wb_printf(b,
			  "<rect class=\"issued\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			  "height=\"%.1f\"><title>%.0f</title></rect>",
			  x, H - B - h1, bw - 2, h1, iss);
		if (sp > 0)
			wb_printf(b,
				  "<rect class=\"spoiled\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				  "height=\"%.1f\"><title>%.0f</title></rect>",
				  x, H - B - h1 - h2, bw - 2, h2, sp);
		if ((i % 7 == 0 && i + 4 <= n) || i + 1 == n) {
			time_t at = (time_t)jint(d, "at");
			struct tm tm;
			localtime_r(&at, &tm);
			snprintf(label, sizeof(label), "%d/%d", tm.tm_mday, tm.tm_mon + 1);
			wb_printf(b,
				  "<text class=\"axis\" x=\"%.1f\" y=\"%d\" "
				  "text-anchor=\"middle\">%s</text>",
				  x + bw / 2, H - B + 16, label);
		}
	}
	wb_printf(b, "<text class=\"legend issued\" x=\"%d\" y=\"%d\">■ ", L, H - 2);
	wb_esc(b, _("issued"));
	wb_printf(b, "</text><text class=\"legend spoiled\" x=\"%d\" y=\"%d\">■ ", L + 120, H - 2);
	wb_esc(b, _("spoiled"));
	wb_add(b, "</text></svg>");

	/* the projection: on hand falling by the daily use to the run-out */
	wb_add(b, "<h3>");
	wb_esc(b, _("Projected stock to the run-out"));
	wb_add(b, "</h3>");
	double on_hand = (double)jint(outlook, "on_hand");
	double per_day = json_real_value(json_object_get(outlook, "per_day"));
	double lead = (double)jint(outlook, "lead_time_days");
	double span = per_day > 0 ? fmin(fmax(on_hand / per_day * 1.15, lead + 5), 120) : 30;
	double top = 4 * nice_step(on_hand > 0 ? on_hand : 1);
	wb_printf(b,
		  "<svg class=\"chart\" id=\"runout-chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
		  "aria-label=\"",
		  W, H);
	wb_esc(b, _("Projected stock"));
	wb_add(b, "\">");
	for (int g = 0; g <= 4; g++) {
		double y = T + (H - T - B) * (1 - g / 4.0);
		wb_printf(b, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>",
			  L, W - R, y, y);
		wb_printf(
			b,
			"<text class=\"axis\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>",
			L - 6, y + 4, top * g / 4.0);
	}
	double x0 = L, y0 = T + (H - T - B) * (1 - on_hand / top), x1, y1;
	if (per_day > 0) {
		double days_left = on_hand / per_day;
		x1 = L + (W - L - R) * fmin(days_left / span, 1);
		y1 = days_left <= span ? H - B
				       : T + (H - T - B) * (1 - (on_hand - span * per_day) / top);
	} else {
		x1 = W - R;
		y1 = y0;
	}
	wb_printf(b, "<polyline class=\"projection\" points=\"%.1f,%.1f %.1f,%.1f\"/>", x0, y0, x1,
		  y1);
	double xl = L + (W - L - R) * fmin(lead / span, 1);
	wb_printf(b, "<line class=\"lead\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>", xl, xl,
		  T, H - B);
	wb_printf(b, "<text class=\"axis\" x=\"%.1f\" y=\"%d\">", xl + 4, T + 12);
	wb_esc(b, _("delivery lead time"));
	wb_add(b, "</text>");
	for (int dd = 0; dd <= (int)span; dd += span > 60 ? 14 : 7) {
		double x = L + (W - L - R) * dd / span;
		wb_printf(b,
			  "<text class=\"axis\" x=\"%.1f\" y=\"%d\" "
			  "text-anchor=\"middle\">+%d</text>",
			  x, H - B + 16, dd);
	}
	wb_printf(b, "<text class=\"legend\" x=\"%d\" y=\"%d\">", L, H - 2);
	wb_esc(b, _("days from today"));
	wb_add(b, "</text></svg>");
}

static void
kv(struct wbuf *b, const char *id, const char *label, const char *value)
{
	wb_printf(b, "<div class=\"kv\" id=\"%s\"><span>", id);
	wb_esc(b, label);
	wb_add(b, "</span><b>");
	wb_esc(b, value);
	wb_add(b, "</b></div>");
}

static void
page_stock(struct webui *w, struct web_req *rq)
{
	struct wbuf b = { 0 };
	char n1[64], n2[64];
	json_t *st = call_quiet(w, rq, "stock", NULL);
	json_t *days = call_quiet(w, rq, "stock-days", json_pack("{s:i}", "days", 30));
	json_t *alerts = call_quiet(w, rq, "alerts", NULL);
	json_t *bal = json_object_get(st, "balance"), *out = json_object_get(st, "outlook");
	const char *k;
	json_t *l;

	page_begin(w, rq, &b, _("Stock"), "/stock");
	wb_add(&b, "<section class=\"card\"><h2>");
	wb_esc(&b, _("Blank cards"));
	wb_add(&b, "</h2><div class=\"kvs\">");
	long long hoppers = 0;
	json_object_foreach(json_object_get(bal, "lines"), k, l) hoppers += jint(l, "hopper");
	kv(&b, "on-hand", _("On hand"), n_fmt(jint(out, "on_hand"), n1, sizeof(n1)));
	kv(&b, "store", _("In the store"), n_fmt(jint(bal, "store"), n1, sizeof(n1)));
	kv(&b, "hoppers", _("In the hoppers"), n_fmt(hoppers, n1, sizeof(n1)));
	kv(&b, "per-day", _("Used per day"),
	   i18n_dec(json_real_value(json_object_get(out, "per_day")), 1, n1, sizeof(n1)));
	double cover = json_real_value(json_object_get(out, "days_of_cover"));
	if (cover > 0 && isfinite(cover)) {
		snprintf(n2, sizeof(n2), "%s %s", i18n_dec(cover, 1, n1, sizeof(n1)), _("days"));
		kv(&b, "cover", _("Days of cover"), n2);
	} else {
		kv(&b, "cover", _("Days of cover"), "—");
	}
	if (jint(out, "runout_at") > 0)
		kv(&b, "runout", _("Runs out about"),
		   i18n_date((time_t)jint(out, "runout_at"), n1, sizeof(n1)));
	kv(&b, "reserve", _("Reserve"), n_fmt(jint(st, "reserve"), n1, sizeof(n1)));
	kv(&b, "issued", _("Issued"), n_fmt(jint(bal, "issued"), n1, sizeof(n1)));
	kv(&b, "spoiled", _("Spoiled"), n_fmt(jint(bal, "spoiled"), n1, sizeof(n1)));
	wb_add(&b, "</div></section>");

	wb_add(&b, "<section class=\"card\"><h2>");
	wb_esc(&b, _("Use in the last 30 days"));
	wb_add(&b, "</h2>");
	stock_chart(&b, json_object_get(days, "days"), out);
	if (json_real_value(json_object_get(out, "per_day")) > 0 && jint(out, "runout_at") > 0) {
		char d1[64];
		wb_add(&b, "<p class=\"muted\" id=\"runout-text\">");
		wb_printf(&b,
			  _("At %s cards a day the blanks on hand run out about %s; a delivery "
			    "takes about %d days."),
			  i18n_dec(json_real_value(json_object_get(out, "per_day")), 1, n1,
				   sizeof(n1)),
			  i18n_date((time_t)jint(out, "runout_at"), d1, sizeof(d1)),
			  (int)jint(out, "lead_time_days"));
		wb_add(&b, "</p>");
	}
	wb_add(&b, "</section>");

	wb_add(&b, "<section class=\"card\"><h2>");
	wb_esc(&b, _("Hoppers and ribbons"));
	wb_add(&b, "</h2><table id=\"hoppers\"><tr><th>");
	wb_esc(&b, _("Line"));
	wb_add(&b, "</th><th>");
	wb_esc(&b, _("Hopper"));
	wb_add(&b, "</th><th>");
	wb_esc(&b, _("Ribbon"));
	wb_add(&b, "</th><th>");
	wb_esc(&b, _("Prints left"));
	wb_add(&b, "</th></tr>");
	json_object_foreach(json_object_get(bal, "lines"), k, l)
	{
		wb_add(&b, "<tr><td>");
		wb_esc(&b, k);
		wb_printf(&b, "</td><td>%s</td><td>", n_fmt(jint(l, "hopper"), n1, sizeof(n1)));
		wb_esc(&b, *jstr(l, "ribbon") ? jstr(l, "ribbon") : "—");
		wb_add(&b, "</td><td>");
		if (*jstr(l, "ribbon"))
			wb_add(&b, n_fmt(jint(l, "ribbon_rated") - jint(l, "ribbon_prints"), n1,
					 sizeof(n1)));
		else
			wb_add(&b, "—");
		wb_add(&b, "</td></tr>");
	}
	wb_add(&b, "</table></section>");
	alerts_html(&b, json_object_get(alerts, "alerts"));
	web_reply_page(rq, &b);
	json_decref(st);
	json_decref(days);
	json_decref(alerts);
}

/* ---- collection ---- */

static void
page_collection(struct webui *w, struct web_req *rq)
{
	struct wbuf b = { 0 };
	char n1[32];
	json_t *c = call_quiet(w, rq, "custody", NULL);
	json_t *ages = json_object_get(c, "age_days");
	const char *k;
	json_t *v;

	page_begin(w, rq, &b, _("Collection"), "/collection");
	wb_add(&b, "<section class=\"card\"><h2>");
	wb_esc(&b, _("Cards waiting for their owners"));
	wb_add(&b, "</h2><div class=\"kvs\">");
	kv(&b, "age-0-30", _("0-30 days"), n_fmt(jint(ages, "0-30"), n1, sizeof(n1)));
	kv(&b, "age-31-90", _("31-90 days"), n_fmt(jint(ages, "31-90"), n1, sizeof(n1)));
	kv(&b, "age-91-180", _("91-180 days"), n_fmt(jint(ages, "91-180"), n1, sizeof(n1)));
	kv(&b, "age-over-180", _("over 180 days"), n_fmt(jint(ages, "over_180"), n1, sizeof(n1)));
	json_t *due = json_object_get(c, "due_for_transfer");
	kv(&b, "due", _("Due for transfer"), n_fmt(jint(due, "cards"), n1, sizeof(n1)));
	wb_add(&b, "</div></section>");

	wb_add(&b, "<section class=\"card\"><h2>");
	wb_esc(&b, _("Cards by state"));
	wb_add(&b, "</h2><table id=\"custody\">");
	json_object_foreach(json_object_get(c, "states"), k, v)
	{
		wb_add(&b, "<tr><th>");
		wb_esc(&b, _(k));
		wb_printf(&b, "</th><td>%s</td></tr>",
			  n_fmt(json_integer_value(v), n1, sizeof(n1)));
	}
	wb_add(&b, "</table>");
	if (!json_is_true(json_object_get(c, "balanced")) && *jstr(c, "problem")) {
		wb_add(&b, "<p class=\"error\">");
		wb_esc(&b, jstr(c, "problem"));
		wb_add(&b, "</p>");
	}
	wb_add(&b, "</section>");

	wb_add(&b, "<section class=\"card\"><h2>");
	wb_esc(&b, _("Waiting, by kecamatan"));
	wb_add(&b, "</h2><table id=\"kecamatan\"><tr><th>");
	wb_esc(&b, _("Kecamatan"));
	wb_add(&b, "</th><th>");
	wb_esc(&b, _("Waiting"));
	wb_add(&b, "</th><th>");
	wb_esc(&b, _("Due for transfer"));
	wb_add(&b, "</th></tr>");
	json_object_foreach(json_object_get(c, "held_by_kecamatan"), k, v)
	{
		wb_add(&b, "<tr><td>");
		wb_esc(&b, k);
		wb_printf(&b, "</td><td>%s</td>", n_fmt(json_integer_value(v), n1, sizeof(n1)));
		wb_printf(&b, "<td>%s</td></tr>",
			  n_fmt(jint(json_object_get(due, "by_kecamatan"), k), n1, sizeof(n1)));
	}
	wb_add(&b, "</table></section>");
	json_t *sms = json_object_get(c, "sms");
	if (json_is_true(json_object_get(sms, "enabled"))) {
		wb_add(&b, "<section class=\"card\"><h2>SMS</h2><div class=\"kvs\">");
		kv(&b, "sms-sent", _("Sent"), n_fmt(jint(sms, "sent"), n1, sizeof(n1)));
		kv(&b, "sms-queued", _("Queued"), n_fmt(jint(sms, "queued"), n1, sizeof(n1)));
		kv(&b, "sms-failed", _("Failed"), n_fmt(jint(sms, "failed"), n1, sizeof(n1)));
		wb_add(&b, "</div>");
		if (*jstr(sms, "problem")) {
			wb_add(&b, "<p class=\"error\">");
			wb_esc(&b, jstr(sms, "problem"));
			wb_add(&b, "</p>");
		}
		wb_add(&b, "</section>");
	}
	web_reply_page(rq, &b);
	json_decref(c);
}

/* ---- reports ---- */

static long long
local_midnight(int y, int m, int d)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_isdst = -1 };
	return (long long)mktime(&tm);
}

/* The month so far, as the supervisor reads it before signing: the balance,
 * the movements, spoiled cards by cause, and who did what. */
static void
month_summary(struct webui *w, struct web_req *rq, struct wbuf *b)
{
	time_t now = time(NULL);
	struct tm tm;
	char err[300], n1[32];
	int status;
	const char *k;
	json_t *v;

	localtime_r(&now, &tm);
	long long from = local_midnight(tm.tm_year + 1900, tm.tm_mon + 1, 1);
	long long to = local_midnight(tm.tm_year + 1900, tm.tm_mon + 2, 1);
	json_t *rep = call(w, rq, "report",
			   json_pack("{s:s, s:I, s:I}", "report", "monthly", "from",
				     (json_int_t)from, "to", (json_int_t)to),
			   err, sizeof(err), &status);
	if (!rep)
		return;
	json_t *t = json_object_get(rep, "totals");
	wb_add(b, "<section class=\"card\" id=\"month\"><h2>");
	wb_esc(b, _("This month so far"));
	wb_add(b, "</h2><div class=\"kvs\">");
	kv(b, "m-opening", _("Opening balance"),
	   n_fmt(jint(json_object_get(rep, "opening"), "on_hand"), n1, sizeof(n1)));
	kv(b, "m-received", _("Received"), n_fmt(jint(t, "received"), n1, sizeof(n1)));
	kv(b, "m-issued", _("Issued"), n_fmt(jint(t, "issued"), n1, sizeof(n1)));
	kv(b, "m-spoiled", _("Spoiled"), n_fmt(jint(t, "spoiled"), n1, sizeof(n1)));
	kv(b, "m-transferred", _("Sent elsewhere"), n_fmt(jint(t, "transferred"), n1, sizeof(n1)));
	kv(b, "m-destroyed", _("Destroyed"), n_fmt(jint(t, "destroyed"), n1, sizeof(n1)));
	kv(b, "m-closing", _("Closing balance"),
	   n_fmt(jint(json_object_get(rep, "closing"), "on_hand"), n1, sizeof(n1)));
	wb_add(b, "</div>");
	bool balanced = json_is_true(json_object_get(rep, "balanced"));
	wb_printf(b, "<p class=\"%s\" id=\"m-balanced\">", balanced ? "ok" : "error");
	wb_esc(b,
	       balanced ? _("The books balance: opening + received - issued - spoiled - sent "
			    "elsewhere = closing.")
			: _("The books do not balance: run the stock check (cetakctl stock check) "
			    "before signing."));
	wb_add(b, "</p><div class=\"cols\"><table id=\"m-causes\"><tr><th>");
	wb_esc(b, _("Spoiled by cause"));
	wb_add(b, "</th><th></th></tr>");
	json_object_foreach(json_object_get(rep, "by_cause"), k, v)
	{
		if (!json_integer_value(v))
			continue;
		wb_add(b, "<tr><td>");
		wb_esc(b, k);
		wb_printf(b, "</td><td>%s</td></tr>", n_fmt(json_integer_value(v), n1, sizeof(n1)));
	}
	wb_add(b, "</table><table id=\"m-users\"><tr><th>");
	wb_esc(b, _("User"));
	wb_add(b, "</th><th>");
	wb_esc(b, _("Issued"));
	wb_add(b, "</th><th>");
	wb_esc(b, _("Spoiled"));
	wb_add(b, "</th></tr>");
	json_object_foreach(json_object_get(rep, "operators"), k, v)
	{
		if (!jint(v, "issued") && !jint(v, "spoiled"))
			continue;
		wb_add(b, "<tr><td>");
		wb_esc(b, k);
		wb_printf(b, "</td><td>%s</td>", n_fmt(jint(v, "issued"), n1, sizeof(n1)));
		wb_printf(b, "<td>%s</td></tr>", n_fmt(jint(v, "spoiled"), n1, sizeof(n1)));
	}
	wb_add(b, "</table></div></section>");
	json_decref(rep);
}

static void
page_reports(struct webui *w, struct web_req *rq)
{
	struct wbuf b = { 0 };
	time_t now = time(NULL);
	struct tm tm;
	char today[16], month[16];

	localtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	strftime(month, sizeof(month), "%Y-%m", &tm);
	page_begin(w, rq, &b, _("Reports"), "/reports");
	month_summary(w, rq, &b);
	for (int monthly = 0; monthly < 2; monthly++) {
		wb_add(&b, "<section class=\"card\"><h2>");
		wb_esc(&b, monthly ? _("Monthly stock report") : _("Daily stock report"));
		wb_printf(&b,
			  "</h2><form method=\"get\" action=\"/reports/download\" id=\"%s\">"
			  "<input type=\"hidden\" name=\"kind\" value=\"%s\"><label>",
			  monthly ? "monthly" : "daily", monthly ? "monthly" : "daily");
		wb_esc(&b, monthly ? _("Month") : _("Day"));
		wb_printf(&b, "<input type=\"%s\" name=\"period\" value=\"%s\" required></label>",
			  monthly ? "month" : "date", monthly ? month : today);
		wb_add(&b, "<button name=\"format\" value=\"pdf\" class=\"primary\">");
		wb_esc(&b, _("Download PDF"));
		wb_add(&b, "</button> <button name=\"format\" value=\"csv\">");
		wb_esc(&b, _("Download CSV"));
		wb_add(&b, "</button></form></section>");
	}
	wb_add(&b, "<p class=\"muted\">");
	wb_esc(&b, _("The PDF is the berita acara to print and sign; its language is the "
		     "station's document language."));
	wb_add(&b, "</p>");
	web_reply_page(rq, &b);
}

/* The PDF, rendered on the server's thread (webui.h: finish). */
static void
report_pdf_finish(struct web_req *rq)
{
	char path[] = "/tmp/cetak-report-XXXXXX", why[300];
	int fd = mkstemp(path);
	FILE *f;
	struct wbuf b = { 0 };

	if (fd < 0) {
		web_reply(rq, 500, "text/plain; charset=utf-8", "cannot make a temporary file\n");
		return;
	}
	close(fd);
	if (report_write_pdf(rq->payload, rq->office, path, why, sizeof(why)) < 0 ||
	    !(f = fopen(path, "re"))) {
		unlink(path);
		log_warn("web: report PDF: %s", why);
		web_reply(rq, 500, "text/plain; charset=utf-8", why);
		rq->filename[0] = '\0';
		return;
	}
	wb_add_file(&b, f);
	fclose(f);
	unlink(path);
	free(rq->body);
	rq->body = wb_take(&b, &rq->body_len);
	rq->ctype = "application/pdf";
}

static void
report_download(struct webui *w, struct web_req *rq)
{
	const char *kind = jstr(rq->query, "kind"), *period = jstr(rq->query, "period");
	const char *format = jstr(rq->query, "format");
	int y = 0, m = 0, dd = 1;
	char end;
	bool monthly = !strcmp(kind, "monthly");
	long long from, to;

	if ((!monthly && strcmp(kind, "daily")) ||
	    (strcmp(format, "pdf") && strcmp(format, "csv")) ||
	    (monthly ? sscanf(period, "%4d-%2d%c", &y, &m, &end) != 2
		     : sscanf(period, "%4d-%2d-%2d%c", &y, &m, &dd, &end) != 3) ||
	    m < 1 || m > 12 || dd < 1 || dd > 31 || y < 2000 || y > 2200) {
		web_reply(rq, 400, "text/plain; charset=utf-8",
			  _("Choose the kind of report, its period and PDF or CSV."));
		return;
	}
	from = local_midnight(y, m, dd);
	to = monthly ? local_midnight(y, m + 1, 1) : local_midnight(y, m, dd + 1);
	char err[300];
	int status;
	json_t *rep = call(w, rq, "report",
			   json_pack("{s:s, s:I, s:I}", "report", kind, "from", (json_int_t)from,
				     "to", (json_int_t)to),
			   err, sizeof(err), &status);
	if (!rep) {
		web_reply(rq, status, "text/plain; charset=utf-8", err);
		return;
	}
	log_info("web: %s report %s (%s) for '%s'", kind, period, format, rq->user.name);
	snprintf(rq->filename, sizeof(rq->filename), "laporan-stok-%s-%s.%s",
		 monthly ? "bulanan" : "harian", period, format);
	if (!strcmp(format, "csv")) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		if (!f || report_write(rep, REPORT_CSV, f) < 0) {
			if (f)
				fclose(f);
			free(buf);
			web_reply(rq, 500, "text/plain; charset=utf-8",
				  "the CSV could not be written");
		} else {
			fclose(f);
			free(rq->body);
			rq->body = buf;
			rq->body_len = len;
			rq->ctype = "text/csv; charset=utf-8";
		}
		json_decref(rep);
		return;
	}
	rq->payload = rep;
	snprintf(rq->office, sizeof(rq->office), "%s", jstr(rep, "office"));
	rq->finish = report_pdf_finish;
}

/* ---- actions (forms) ---- */

static void
act(struct webui *w, struct web_req *rq, const char *verb, json_t *args, const char *back,
    const char *done_msg)
{
	char err[300];
	int status;
	json_t *r = call(w, rq, verb, args, err, sizeof(err), &status);

	if (r) {
		log_info("web: %s by '%s' (%s)", verb, rq->user.name,
			 ctl_role_name(peer_of(rq).role));
		snprintf(rq->set_flash, sizeof(rq->set_flash), "%s", done_msg);
	} else {
		char t[512];
		snprintf(rq->set_flash, sizeof(rq->set_flash), "%s: %.200s", _("Refused"),
			 i18n_msg(err, t, sizeof(t)));
	}
	json_decref(r);
	snprintf(rq->location, sizeof(rq->location), "%s", back);
}

static void
form_action(struct webui *w, struct web_req *rq)
{
	const char *p = rq->path;
	char msg[200];

	if (!strcmp(p, "/act/line")) {
		const char *line = jstr(rq->form, "line"), *cmd = jstr(rq->form, "command");
		if (!strcmp(cmd, "resume"))
			snprintf(msg, sizeof(msg), _("Line %s resumed."), line);
		else if (!strcmp(cmd, "pause"))
			snprintf(msg, sizeof(msg), _("Line %s paused."), line);
		else
			snprintf(msg, sizeof(msg), _("Line %s stops after its jobs in hand."),
				 line);
		act(w, rq, "line", json_pack("{s:s, s:s}", "line", line, "command", cmd), "/lines",
		    msg);
	} else if (!strcmp(p, "/act/resolve")) {
		const char *job = jstr(rq->form, "job"), *out = jstr(rq->form, "outcome");
		snprintf(msg, sizeof(msg), _("Job %s settled as %s."), job,
			 !strcmp(out, "printed") ? _("printed") : _("spoiled"));
		act(w, rq, "resolve", json_pack("{s:s, s:s}", "job", job, "outcome", out), "/lines",
		    msg);
	} else if (!strcmp(p, "/act/job")) {
		const char *job = jstr(rq->form, "job"), *cmd = jstr(rq->form, "command");
		if (strcmp(cmd, "release") && strcmp(cmd, "retry") && strcmp(cmd, "hold") &&
		    strcmp(cmd, "cancel")) {
			web_reply(rq, 400, "text/plain; charset=utf-8", "unknown job command");
			return;
		}
		snprintf(msg, sizeof(msg), _("Job %s: done."), job);
		act(w, rq, cmd, json_pack("{s:s}", "id", job), "/queue", msg);
	} else {
		web_reply(rq, 404, "text/plain; charset=utf-8", _("No such page."));
	}
}

/* ---- the JSON API ---- */

static void
api(struct webui *w, struct web_req *rq)
{
	const char *verb = rq->path + 5;
	bool post = !strcmp(rq->method, "POST");
	json_t *args;
	char err[300];
	int status;

	if (!listed(post ? post_verbs : get_verbs, verb)) {
		json_t *e =
			json_pack("{s:s}", "error",
				  listed(post ? get_verbs : post_verbs, verb)
					  ? (post ? "this command is read with GET"
						  : "this command is an action: POST it with the "
						    "X-CSRF-Token header")
					  : "no such command in the API (docs/web.md)");
		char *s = json_dumps(e, JSON_COMPACT);
		web_reply(rq, listed(post ? get_verbs : post_verbs, verb) ? 405 : 404,
			  "application/json", s);
		free(s);
		json_decref(e);
		return;
	}
	if (post) {
		args = json_deep_copy(rq->form);
		json_object_del(args, "csrf");
	} else {
		/* query values that are whole numbers are numbers */
		const char *k;
		json_t *v;
		args = json_object();
		json_object_foreach(rq->query, k, v)
		{
			const char *s = json_string_value(v);
			char *end;
			long long n = strtoll(s, &end, 10);
			json_object_set_new(args, k,
					    *s && !*end		 ? json_integer(n)
					    : !strcmp(s, "true") ? json_true()
								 : json_string(s));
		}
	}
	json_t *data = call(w, rq, verb, args, err, sizeof(err), &status);
	json_t *out = data ? json_pack("{s:b, s:o}", "ok", 1, "data", data)
			   : json_pack("{s:b, s:s}", "ok", 0, "error", err);
	if (data && post)
		log_info("web: %s by '%s' (%s) through the API", verb, rq->user.name,
			 ctl_role_name(peer_of(rq).role));
	char *s = json_dumps(out, JSON_COMPACT);
	web_reply(rq, status, "application/json", s);
	free(s);
	json_decref(out);
}

/* ---- dispatch on the loop ---- */

static void
handle(struct webui *w, struct web_req *rq)
{
	const char *p = rq->path;
	struct i18n_doc doc;
	bool post = !strcmp(rq->method, "POST");

	i18n_doc_begin(&doc, rq->lang);
	if (!strcmp(p, "/live/lines")) {
		const char *v = jstr(rq->query, "v");
		if (!w->n_parked) { /* the fingerprint is kept fresh only while some wait */
			json_t *lines, *alerts;
			live_data(w, rq, &lines, &alerts, w->live_v);
			json_decref(lines);
			json_decref(alerts);
		}
		if (strcmp(v, w->live_v) || w->n_parked >= MAX_PARKED) {
			answer_live(w, rq);
		} else {
			struct parked *pk = &w->parked[w->n_parked++];
			pk->rq = rq;
			pk->since = ev_now_ms();
			snprintf(pk->v, sizeof(pk->v), "%s", v);
			i18n_doc_end(&doc);
			return; /* answered by on_live */
		}
	} else if (!strncmp(p, "/api/", 5)) {
		api(w, rq);
	} else if (post && !strncmp(p, "/act/", 5)) {
		form_action(w, rq);
	} else if (post) {
		web_reply(rq, 404, "text/plain; charset=utf-8", _("No such page."));
	} else if (!strcmp(p, "/lines")) {
		page_lines(w, rq);
	} else if (!strcmp(p, "/queue")) {
		page_queue(w, rq);
	} else if (!strcmp(p, "/stock")) {
		page_stock(w, rq);
	} else if (!strcmp(p, "/collection")) {
		page_collection(w, rq);
	} else if (!strcmp(p, "/reports") || !strcmp(p, "/reports/download")) {
		if (rq->user.role < WEB_ROLE_SUPERVISOR)
			error_page(w, rq, 403, _("Reports are for supervisors."));
		else if (!strcmp(p, "/reports"))
			page_reports(w, rq);
		else
			report_download(w, rq);
	} else {
		error_page(w, rq, 404, _("No such page."));
	}
	i18n_doc_end(&doc);
	web_req_done(rq);
}

static void
on_inbox(struct ev_source *src, int fd, uint32_t events, void *data)
{
	struct webui *w = data;
	struct web_req *batch[INBOX];
	uint64_t v;
	int n;

	(void)src, (void)events;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("web: inbox: %s", strerror(errno));
	pthread_mutex_lock(&w->mu);
	n = w->n_inbox;
	memcpy(batch, w->inbox, (size_t)n * sizeof(batch[0]));
	w->n_inbox = 0;
	pthread_mutex_unlock(&w->mu);
	for (int i = 0; i < n; i++)
		handle(w, batch[i]);
}

/* Answer the live views waiting when what they show changed, or at their time. */
static void
on_live(struct ev_source *src, void *data)
{
	struct webui *w = data;
	uint64_t now = ev_now_ms();

	(void)src;
	if (!w->n_parked)
		return;
	json_t *lines, *alerts;
	struct web_req probe = { .user = { .role = WEB_ROLE_SUPERVISOR } };
	snprintf(probe.user.name, sizeof(probe.user.name), "web");
	live_data(w, &probe, &lines, &alerts, w->live_v);
	json_decref(lines);
	json_decref(alerts);
	int kept = 0;
	for (int i = 0; i < w->n_parked; i++) {
		struct parked *pk = &w->parked[i];
		if (strcmp(pk->v, w->live_v) || now - pk->since >= LIVE_WAIT_MS) {
			struct i18n_doc doc;
			i18n_doc_begin(&doc, pk->rq->lang);
			answer_live(w, pk->rq);
			i18n_doc_end(&doc);
			web_req_done(pk->rq);
		} else {
			w->parked[kept++] = *pk;
		}
	}
	w->n_parked = kept;
}

static void
submit(void *ctx, struct web_req *rq)
{
	struct webui *w = ctx;
	uint64_t one = 1;
	bool full;

	pthread_mutex_lock(&w->mu);
	full = w->closing || w->n_inbox >= INBOX;
	if (!full)
		w->inbox[w->n_inbox++] = rq;
	pthread_mutex_unlock(&w->mu);
	if (full) {
		web_reply(rq, 503, "text/plain; charset=utf-8", "the station is busy; try again\n");
		web_req_done(rq);
		return;
	}
	if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug("web: wake: %s", strerror(errno));
}

int
webui_start(struct cetakd *d, struct webui **ret)
{
	const struct cetak_config *c = d->cfg;
	struct web_config wc = { 0 };
	struct webui *w;
	char why[400];

	*ret = NULL;
	if (!c->web_enabled)
		return 0;
	if (!(w = calloc(1, sizeof(*w))))
		return -1;
	w->d = d;
	w->efd = -1;
	pthread_mutex_init(&w->mu, NULL);
	snprintf(wc.listen, sizeof(wc.listen), "%s", c->web_listen);
	wc.port = c->web_port;
	snprintf(wc.tls_cert, sizeof(wc.tls_cert), "%s", c->web_tls_cert);
	snprintf(wc.tls_key, sizeof(wc.tls_key), "%s", c->web_tls_key);
	snprintf(wc.static_dir, sizeof(wc.static_dir), "%s", c->web_static_dir);
	snprintf(wc.pam_service, sizeof(wc.pam_service), "%s", c->web_pam_service);
	const char *confdir = getenv("CETAK_PAM_CONFDIR");
	snprintf(wc.pam_confdir, sizeof(wc.pam_confdir), "%s", confdir ? confdir : "");
	snprintf(wc.language, sizeof(wc.language), "%s", c->web_language ? "en" : "id");
	snprintf(wc.title, sizeof(wc.title), "%s",
		 c->station_office[0] ? c->station_office : c->station_name);
	wc.session_idle_s = c->web_session_idle_min * 60;
	wc.session_max_s = 12 * 3600;
	wc.max_connections = c->web_max_connections;
	wc.max_per_ip = c->web_max_per_ip;
	wc.login_fails = 5;
	wc.login_lock_s = 60;
	wc.role_of = role_of;
	wc.role_ctx = d;
	snprintf(wc.role_names[0], sizeof(wc.role_names[0]), "operator");
	snprintf(wc.role_names[1], sizeof(wc.role_names[1]), "supervisor");
	snprintf(wc.supervisor_group, sizeof(wc.supervisor_group), "%s", c->supervisor_group);
	snprintf(wc.operator_group, sizeof(wc.operator_group), "%s", c->operator_group);
	struct web_app app = { .ctx = w, .submit = submit, .home = "/lines" };
	if ((w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    ev_add_fd(d->loop, w->efd, EPOLLIN, on_inbox, w, &w->efd_src) < 0 ||
	    ev_add_timer(d->loop, 250, on_live, w, &w->timer) < 0) {
		log_error("web: cannot set up: %s; the dashboard is not served", strerror(errno));
		webui_stop(w);
		return 0;
	}
	if (web_start(&wc, &app, &w->srv, why, sizeof(why)) < 0) {
		/* the dashboard is an aid: the line prints on without it */
		log_error("web: %s; the dashboard is not served", why);
		webui_stop(w);
		return 0;
	}
	log_notice("web: the dashboard is served on %s://%s/", wc.tls_cert[0] ? "https" : "http",
		   web_address(w->srv));
	*ret = w;
	return 0;
}

json_t *
webui_status(struct webui *w)
{
	return w && w->srv ? web_stats(w->srv) : json_null();
}

void
webui_stop(struct webui *w)
{
	if (!w)
		return;
	/* no new request reaches the inbox; those in it and the live views waiting are answered */
	pthread_mutex_lock(&w->mu);
	w->closing = true;
	pthread_mutex_unlock(&w->mu);
	web_quiesce(w->srv);
	for (int i = 0; i < w->n_parked; i++) {
		web_reply(w->parked[i].rq, 503, "application/json", "{\"error\":\"stopping\"}");
		web_req_done(w->parked[i].rq);
	}
	w->n_parked = 0;
	pthread_mutex_lock(&w->mu);
	for (int i = 0; i < w->n_inbox; i++) {
		web_reply(w->inbox[i], 503, "text/plain; charset=utf-8", "cetakd is stopping\n");
		web_req_done(w->inbox[i]);
	}
	w->n_inbox = 0;
	pthread_mutex_unlock(&w->mu);
	web_free(w->srv);
	ev_source_free(w->efd_src);
	ev_source_free(w->timer);
	if (w->efd >= 0)
		close(w->efd);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
