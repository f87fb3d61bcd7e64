/*
 * web.c - the district dashboard: `cetak-hub serve` (docs/hub.md, docs/web.md).
 *
 * The same server and gate as the station's (web/server.c): PAM log-in with
 * the hub's Unix accounts, roles from two groups (viewers read the district,
 * supervisors also the monthly report), sessions, CSRF, the rate limit. The
 * pages are the district views of views.c, read as their JSON on one worker
 * thread with its own connection to the hub database; nothing here writes to
 * it. Pages: stations (last contact, stock, cover, cards waiting), transfers,
 * alarms, the monthly report (PDF/CSV).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/i18n.h"
#include "hub.h"
#include "web/html.h"
#include "web/web.h"

#define INBOX 256

struct hub_web {
	const struct hub_web_opts *o;
	PGconn *c;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct web_req *inbox[INBOX];
	int n;
	bool stop;
};

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static json_int_t
jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Run a view of views.c and keep its JSON (NULL when it failed). */
static json_t *
view(struct hub_web *w, int (*fn)(PGconn *))
{
	json_t *out = NULL;

	hub_capture_slot = &out;
	int rc = fn(w->c);
	hub_capture_slot = NULL;
	if (rc != 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static int
v_transfers(PGconn *c)
{
	return hub_transfers(c, 0);
}

static int
v_collection(PGconn *c)
{
	return hub_collection(c, 0);
}

static json_t *
cover(struct hub_web *w)
{
	struct check_opts o;

	hub_check_defaults(&o);
	return hub_cover_json(w->c, &o);
}

/* A connection that works, or NULL (reconnects after a failover). */
static PGconn *
conn(struct hub_web *w)
{
	if (w->c && PQstatus(w->c) == CONNECTION_OK)
		return w->c;
	if (w->c)
		PQreset(w->c);
	if (w->c && PQstatus(w->c) == CONNECTION_OK) {
		PQclear(PQexec(w->c, "SET jit = off"));
		return w->c;
	}
	PQfinish(w->c);
	w->c = hub_connect(w->o->conninfo);
	if (w->c)
		PQclear(PQexec(w->c, "SET default_transaction_read_only = on"));
	return w->c;
}

static void
page_begin(struct web_req *rq, struct wbuf *b, const char *title, const char *current)
{
	struct web_nav nav[] = { { "/stations", _("Stations") },
				 { "/transfers", _("Transfers") },
				 { "/alarms", _("Alarms") },
				 { "/reports", _("Reports") } };
	int n = rq->user.role >= WEB_ROLE_SUPERVISOR ? 4 : 3;

	wb_page_begin(b, rq->lang, title, _("District hub"), nav, n, current, rq->user.name,
		      rq->user.role >= WEB_ROLE_SUPERVISOR ? _("supervisor") : _("viewer"),
		      rq->csrf, rq->flash);
}

/* A refusal as a page of the dashboard, with its navigation. */
static void
error_page(struct web_req *rq, int status, const char *msg)
{
	struct wbuf b = { 0 };

	page_begin(rq, &b, _("Error"), NULL);
	wb_add(&b, "<section class=\"card\"><p id=\"error\">");
	wb_esc(&b, msg);
	wb_add(&b, "</p></section>");
	web_reply_page(rq, &b);
	rq->status = status;
}

static void
th(struct wbuf *b, const char *label)
{
	wb_add(b, "<th>");
	wb_esc(b, label);
	wb_add(b, "</th>");
}

static void
td_int(struct wbuf *b, long long v)
{
	char n[32];
	wb_printf(b, "<td>%s</td>", i18n_int(v, n, sizeof(n)));
}

static json_t *
find_station(json_t *arr, const char *name)
{
	json_t *v;
	size_t i;
	json_array_foreach(arr, i, v) if (!strcmp(jstr(v, "station"), name)) return v;
	return NULL;
}

static void
page_stations(struct hub_web *w, struct web_req *rq)
{
	struct wbuf b = { 0 };
	json_t *st = view(w, hub_stations), *cv = cover(w), *col = view(w, v_collection);
	json_t *v, *d = json_object_get(cv, "district");
	size_t i;
	char n1[32], n2[32];

	page_begin(rq, &b, _("Stations"), "/stations");
	wb_add(&b, "<section class=\"card\"><h2>");
	wb_esc(&b, _("The district"));
	wb_add(&b, "</h2><div class=\"kvs\">");
	struct {
		const char *id, *label;
		char value[64];
	} kv[] = { { "d-on-hand", _("On hand and in transit"), "" },
		   { "d-per-day", _("Used per day"), "" },
		   { "d-cover", _("Days of cover"), "" },
		   { "d-order", _("Order from the province"), "" } };
	i18n_int(jint(d, "on_hand"), kv[0].value, sizeof(kv[0].value));
	i18n_dec(json_number_value(json_object_get(d, "per_day")), 1, kv[1].value,
		 sizeof(kv[1].value));
	double dc = json_number_value(json_object_get(d, "days_of_cover"));
	if (dc > 0 && isfinite(dc))
		snprintf(kv[2].value, sizeof(kv[2].value), "%s %s", i18n_dec(dc, 1, n1, sizeof(n1)),
			 _("days"));
	else
		snprintf(kv[2].value, sizeof(kv[2].value), "—");
	i18n_int(jint(d, "order"), kv[3].value, sizeof(kv[3].value));
	for (size_t k = 0; k < sizeof(kv) / sizeof(kv[0]); k++) {
		wb_printf(&b, "<div class=\"kv\" id=\"%s\"><span>", kv[k].id);
		wb_esc(&b, kv[k].label);
		wb_add(&b, "</span><b>");
		wb_esc(&b, kv[k].value);
		wb_add(&b, "</b></div>");
	}
	wb_add(&b, "</div></section>");

	wb_add(&b, "<section class=\"card\"><h2>");
	wb_esc(&b, _("Stations"));
	wb_add(&b, "</h2><table id=\"stations\"><tr>");
	th(&b, _("Station"));
	th(&b, _("State"));
	th(&b, _("Last contact"));
	th(&b, _("On hand"));
	th(&b, _("In transit"));
	th(&b, _("Used per day"));
	th(&b, _("Days of cover"));
	th(&b, _("Cards waiting"));
	wb_add(&b, "</tr>");
	json_array_foreach(st, i, v)
	{
		const char *name = jstr(v, "station");
		json_t *c = find_station(json_object_get(cv, "stations"), name);
		json_t *k = find_station(col, name);
		const char *status = jstr(v, "status");
		wb_printf(&b, "<tr class=\"st-%s\"><td>", strcmp(status, "ok") ? "bad" : "ok");
		wb_esc(&b, name);
		wb_add(&b, "</td><td>");
		wb_esc(&b, !strcmp(status, "ok") ? _("verified") : _("refused"));
		if (*jstr(v, "reason")) {
			wb_add(&b, "<br><small class=\"error\">");
			char t[1024];
			wb_esc(&b, i18n_msg(jstr(v, "reason"), t, sizeof(t)));
			wb_add(&b, "</small>");
		}
		wb_add(&b, "</td><td>");
		wb_esc(&b, jstr(v, "last_push"));
		wb_add(&b, "</td>");
		td_int(&b, jint(c, "on_hand"));
		td_int(&b, jint(c, "in_transit"));
		wb_printf(&b, "<td>%s</td>",
			  i18n_dec(json_number_value(json_object_get(c, "per_day")), 1, n1,
				   sizeof(n1)));
		double days = json_number_value(json_object_get(c, "days_of_cover"));
		bool known = days > 0 && isfinite(days);
		wb_printf(&b, "<td class=\"%s\">%s%s%s</td>", known && days < 14 ? "low" : "",
			  known ? i18n_dec(days, 1, n2, sizeof(n2)) : "—", known ? " " : "",
			  known ? _("days") : "");
		td_int(&b, jint(k, "waiting"));
		wb_add(&b, "</tr>");
	}
	wb_add(&b, "</table></section>");

	json_t *prop = json_object_get(cv, "proposal");
	wb_add(&b, "<section class=\"card\"><h2>");
	wb_esc(&b, _("Where to send blanks"));
	wb_add(&b, "</h2>");
	if (!json_array_size(prop)) {
		wb_add(&b, "<p class=\"muted\">");
		wb_esc(&b, _("Nothing to move."));
		wb_add(&b, "</p>");
	} else {
		wb_add(&b, "<table id=\"proposal\"><tr>");
		th(&b, _("From"));
		th(&b, _("To"));
		th(&b, _("Blanks"));
		wb_add(&b, "</tr>");
		json_array_foreach(prop, i, v)
		{
			wb_add(&b, "<tr><td>");
			wb_esc(&b, jstr(v, "from"));
			wb_add(&b, "</td><td>");
			wb_esc(&b, jstr(v, "to"));
			wb_add(&b, "</td>");
			td_int(&b, jint(v, "count"));
			wb_add(&b, "</tr>");
		}
		wb_add(&b, "</table>");
	}
	wb_add(&b, "</section>");
	web_reply_page(rq, &b);
	json_decref(st);
	json_decref(cv);
	json_decref(col);
}

static void
page_transfers(struct hub_web *w, struct web_req *rq)
{
	struct wbuf b = { 0 };
	json_t *t = view(w, v_transfers), *v;
	size_t i;

	page_begin(rq, &b, _("Transfers"), "/transfers");
	wb_add(&b, "<section class=\"card\"><h2>");
	wb_esc(&b, _("Blanks sent between stations"));
	wb_add(&b, "</h2><table id=\"transfers\"><tr>");
	th(&b, _("From"));
	th(&b, _("To"));
	th(&b, _("Document"));
	th(&b, _("Blanks"));
	th(&b, _("Sent on"));
	th(&b, _("Received on"));
	th(&b, _("State"));
	wb_add(&b, "</tr>");
	json_array_foreach(t, i, v)
	{
		const char *state = jstr(v, "state");
		wb_printf(&b, "<tr class=\"tr-%s\"><td>", state);
		wb_esc(&b, jstr(v, "from"));
		wb_add(&b, "</td><td>");
		wb_esc(&b, jstr(v, "to"));
		wb_add(&b, "</td><td>");
		wb_esc(&b, jstr(v, "doc"));
		wb_add(&b, "</td>");
		td_int(&b, jint(v, "sent"));
		wb_add(&b, "<td>");
		wb_esc(&b, jstr(v, "sent_on"));
		wb_add(&b, "</td><td>");
		wb_esc(&b, jstr(v, "received_on"));
		wb_add(&b, "</td><td>");
		wb_esc(&b, !strcmp(state, "in_transit")	  ? _("in transit")
			   : !strcmp(state, "received")	  ? _("received")
			   : !strcmp(state, "mismatched") ? _("counts differ")
							  : _("received without a sending"));
		wb_add(&b, "</td></tr>");
	}
	wb_add(&b, "</table></section>");
	web_reply_page(rq, &b);
	json_decref(t);
}

static void
page_alarms(struct hub_web *w, struct web_req *rq)
{
	struct wbuf b = { 0 };
	json_t *a = view(w, hub_alarms), *v;
	size_t n = json_array_size(a);

	page_begin(rq, &b, _("Alarms"), "/alarms");
	wb_add(&b, "<section class=\"card alerts\"><h2>");
	wb_esc(&b, _("Alarms"));
	wb_add(&b, "</h2>");
	if (!n) {
		wb_add(&b, "<p class=\"muted\">");
		wb_esc(&b, _("None."));
		wb_add(&b, "</p>");
	} else {
		wb_add(&b, "<table id=\"alarms\"><tr>");
		th(&b, _("At"));
		th(&b, _("Station"));
		th(&b, _("Kind"));
		th(&b, _("Message"));
		wb_add(&b, "</tr>");
		/* the newest first, at most 200 */
		for (size_t k = 0; k < n && k < 200; k++) {
			v = json_array_get(a, n - 1 - k);
			wb_add(&b, "<tr><td>");
			wb_esc(&b, jstr(v, "at"));
			wb_add(&b, "</td><td>");
			wb_esc(&b, jstr(v, "station"));
			wb_add(&b, "</td><td>");
			wb_esc(&b, jstr(v, "kind"));
			wb_add(&b, "</td><td>");
			wb_esc(&b, jstr(v, "message"));
			wb_add(&b, "</td></tr>");
		}
		wb_add(&b, "</table>");
	}
	wb_add(&b, "</section>");
	web_reply_page(rq, &b);
	json_decref(a);
}

static void
page_reports(struct web_req *rq)
{
	struct wbuf b = { 0 };
	time_t now = time(NULL) - 15 * 86400; /* last month in the first half of this one */
	struct tm tm;
	char month[16];

	localtime_r(&now, &tm);
	strftime(month, sizeof(month), "%Y-%m", &tm);
	page_begin(rq, &b, _("Reports"), "/reports");
	wb_add(&b, "<section class=\"card\"><h2>");
	wb_esc(&b, _("The district's monthly report"));
	wb_add(&b, "</h2><form method=\"get\" action=\"/reports/download\" id=\"monthly\"><label>");
	wb_esc(&b, _("Month"));
	wb_printf(&b, "<input type=\"month\" name=\"month\" value=\"%s\" required></label>", month);
	wb_add(&b, "<button name=\"format\" value=\"pdf\" class=\"primary\">");
	wb_esc(&b, _("Download PDF"));
	wb_add(&b, "</button> <button name=\"format\" value=\"csv\">");
	wb_esc(&b, _("Download CSV"));
	wb_add(&b, "</button></form></section>");
	web_reply_page(rq, &b);
}

static void
report_download(struct hub_web *w, struct web_req *rq)
{
	const char *month = jstr(rq->query, "month"), *fmt = jstr(rq->query, "format");
	char path[] = "/tmp/cetak-hub-report-XXXXXX", why[300];
	int y, m;
	char end;

	if ((strcmp(fmt, "pdf") && strcmp(fmt, "csv")) ||
	    sscanf(month, "%4d-%2d%c", &y, &m, &end) != 2 || m < 1 || m > 12) {
		web_reply(rq, 400, "text/plain; charset=utf-8",
			  _("Choose the month and PDF or CSV."));
		return;
	}
	json_t *r = hub_report(w->c, month);
	int fd = r ? mkstemp(path) : -1;
	if (fd < 0) {
		json_decref(r);
		web_reply(rq, 500, "text/plain; charset=utf-8", "the report could not be made\n");
		return;
	}
	close(fd);
	if (hub_report_write(r, !strcmp(fmt, "pdf") ? HUB_PDF : HUB_CSV, NULL, path, why,
			     sizeof(why)) < 0) {
		unlink(path);
		json_decref(r);
		web_reply(rq, 500, "text/plain; charset=utf-8", why);
		return;
	}
	json_decref(r);
	FILE *f = fopen(path, "re");
	struct wbuf b = { 0 };
	if (f) {
		wb_add_file(&b, f);
		fclose(f);
	}
	unlink(path);
	free(rq->body);
	rq->body = wb_take(&b, &rq->body_len);
	rq->ctype = !strcmp(fmt, "pdf") ? "application/pdf" : "text/csv; charset=utf-8";
	snprintf(rq->filename, sizeof(rq->filename), "laporan-kabupaten-%s.%s", month, fmt);
	fprintf(stderr, "cetak-hub: web: report %s (%s) for '%s'\n", month, fmt, rq->user.name);
}

/* GET /api/NAME: the view's JSON. */
static void
api(struct hub_web *w, struct web_req *rq)
{
	const char *name = rq->path + 5;
	json_t *data = NULL;

	if (strcmp(rq->method, "GET")) {
		web_reply(rq, 405, "application/json",
			  "{\"ok\":false,\"error\":\"the district API only reads\"}");
		return;
	}
	if (!strcmp(name, "stations"))
		data = view(w, hub_stations);
	else if (!strcmp(name, "stock"))
		data = view(w, hub_stock);
	else if (!strcmp(name, "cover"))
		data = cover(w);
	else if (!strcmp(name, "transfers"))
		data = view(w, v_transfers);
	else if (!strcmp(name, "alarms"))
		data = view(w, hub_alarms);
	else if (!strcmp(name, "collection"))
		data = view(w, v_collection);
	else if (!strcmp(name, "printers"))
		data = view(w, hub_printers);
	else if (!strcmp(name, "report") && rq->user.role >= WEB_ROLE_SUPERVISOR)
		data = hub_report(w->c, jstr(rq->query, "month"));
	else {
		web_reply(rq, 404, "application/json",
			  "{\"ok\":false,\"error\":\"no such view (stations, stock, cover, "
			  "transfers, "
			  "alarms, collection, printers; report for supervisors)\"}");
		return;
	}
	json_t *out = data ? json_pack("{s:b, s:o}", "ok", 1, "data", data)
			   : json_pack("{s:b, s:s}", "ok", 0, "error", "the view failed");
	char *s = json_dumps(out, JSON_COMPACT);
	web_reply(rq, data ? 200 : 500, "application/json", s);
	free(s);
	json_decref(out);
}

static void
handle(struct hub_web *w, struct web_req *rq)
{
	const char *p = rq->path;
	struct i18n_doc doc;

	i18n_doc_begin(&doc, rq->lang);
	if (!conn(w)) {
		web_reply(rq, 503, "text/plain; charset=utf-8",
			  _("The hub database cannot be reached; try again shortly."));
	} else if (!strncmp(p, "/api/", 5)) {
		api(w, rq);
	} else if (!strcmp(rq->method, "POST")) {
		web_reply(rq, 404, "text/plain; charset=utf-8", _("No such page."));
	} else if (!strcmp(p, "/stations")) {
		page_stations(w, rq);
	} else if (!strcmp(p, "/transfers")) {
		page_transfers(w, rq);
	} else if (!strcmp(p, "/alarms")) {
		page_alarms(w, rq);
	} else if (!strcmp(p, "/reports") || !strcmp(p, "/reports/download")) {
		if (rq->user.role < WEB_ROLE_SUPERVISOR)
			error_page(rq, 403, _("Reports are for supervisors."));
		else if (!strcmp(p, "/reports"))
			page_reports(rq);
		else
			report_download(w, rq);
	} else {
		error_page(rq, 404, _("No such page."));
	}
	i18n_doc_end(&doc);
	web_req_done(rq);
}

static void *
worker(void *arg)
{
	struct hub_web *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->n && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->n)
			break;
		struct web_req *rq = w->inbox[0];
		memmove(w->inbox, w->inbox + 1, (size_t)(w->n - 1) * sizeof(w->inbox[0]));
		w->n--;
		pthread_mutex_unlock(&w->mu);
		handle(w, rq);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void
submit(void *ctx, struct web_req *rq)
{
	struct hub_web *w = ctx;
	bool full;

	pthread_mutex_lock(&w->mu);
	full = w->stop || w->n >= INBOX;
	if (!full) {
		w->inbox[w->n++] = rq;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	if (full) {
		web_reply(rq, 503, "text/plain; charset=utf-8", "the hub is busy; try again\n");
		web_req_done(rq);
	}
}

static gid_t
gid_of(const char *name)
{
	struct group *g = name && *name ? getgrnam(name) : NULL;
	return g ? g->gr_gid : (gid_t)-1;
}

struct hub_groups {
	gid_t supervisors, viewers;
};

/* A member of the supervisors' group is a supervisor, of the viewers' a viewer. */
static enum web_role
role_of(void *ctx, uid_t uid, gid_t gid, const gid_t *groups, int n)
{
	const struct hub_groups *g = ctx;
	bool sup = false, view = false;

	(void)uid;
	for (int i = -1; i < n; i++) {
		gid_t x = i < 0 ? gid : groups[i];
		sup |= g->supervisors != (gid_t)-1 && x == g->supervisors;
		view |= g->viewers != (gid_t)-1 && x == g->viewers;
	}
	return sup ? WEB_ROLE_SUPERVISOR : view ? WEB_ROLE_OPERATOR : WEB_ROLE_NONE;
}

int
hub_serve(const struct hub_web_opts *o)
{
	struct hub_web w = { .o = o };
	struct web_config wc = { 0 };
	struct web_server *srv = NULL;
	pthread_t th;
	char why[400];
	sigset_t set;
	int sig;

	hub_json = 1; /* the views answer as JSON (captured) */
	if (!(w.c = hub_connect(o->conninfo)))
		return EXIT_REFUSED;
	PQclear(PQexec(w.c, "SET default_transaction_read_only = on"));
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	snprintf(wc.listen, sizeof(wc.listen), "%s", o->listen);
	wc.port = o->port;
	snprintf(wc.tls_cert, sizeof(wc.tls_cert), "%s", o->tls_cert ? o->tls_cert : "");
	snprintf(wc.tls_key, sizeof(wc.tls_key), "%s", o->tls_key ? o->tls_key : "");
	snprintf(wc.static_dir, sizeof(wc.static_dir), "%s", o->static_dir);
	snprintf(wc.pam_service, sizeof(wc.pam_service), "cetak");
	const char *confdir = getenv("CETAK_PAM_CONFDIR");
	snprintf(wc.pam_confdir, sizeof(wc.pam_confdir), "%s", confdir ? confdir : "");
	snprintf(wc.language, sizeof(wc.language), "%s", o->language);
	snprintf(wc.title, sizeof(wc.title), "%s", "cetak-hub");
	wc.session_idle_s = 30 * 60;
	wc.session_max_s = 12 * 3600;
	wc.max_connections = 128;
	wc.max_per_ip = 32;
	wc.login_fails = 5;
	wc.login_lock_s = 60;
	snprintf(wc.supervisor_group, sizeof(wc.supervisor_group), "%s", o->supervisor_group);
	snprintf(wc.operator_group, sizeof(wc.operator_group), "%s", o->viewer_group);
	struct hub_groups hg = { gid_of(o->supervisor_group), gid_of(o->viewer_group) };
	wc.role_of = role_of;
	wc.role_ctx = &hg;
	snprintf(wc.role_names[0], sizeof(wc.role_names[0]), "viewer");
	snprintf(wc.role_names[1], sizeof(wc.role_names[1]), "supervisor");
	bool loopback = !strcmp(o->listen, "127.0.0.1") || !strcmp(o->listen, "::1");
	if (!loopback && !wc.tls_cert[0]) {
		fprintf(stderr,
			"cetak-hub: serve: --listen %s opens the dashboard to the network: "
			"give --tls-cert and --tls-key, or listen on 127.0.0.1\n",
			o->listen);
		PQfinish(w.c);
		return EXIT_USAGE;
	}
	/* SIGTERM and SIGINT end it: blocked here, so that every thread leaves them to sigwait */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&th, NULL, worker, &w) != 0) {
		PQfinish(w.c);
		return EXIT_REFUSED;
	}
	struct web_app app = { .ctx = &w, .submit = submit, .home = "/stations" };
	if (web_start(&wc, &app, &srv, why, sizeof(why)) < 0) {
		fprintf(stderr, "cetak-hub: serve: %s\n", why);
		pthread_mutex_lock(&w.mu);
		w.stop = true;
		pthread_cond_signal(&w.cv);
		pthread_mutex_unlock(&w.mu);
		pthread_join(th, NULL);
		PQfinish(w.c);
		return EXIT_REFUSED;
	}
	printf("cetak-hub: the district dashboard is served on %s://%s/\n",
	       wc.tls_cert[0] ? "https" : "http", web_address(srv));
	fflush(stdout);
	sigwait(&set, &sig);
	web_quiesce(srv);
	pthread_mutex_lock(&w.mu);
	w.stop = true;
	pthread_cond_signal(&w.cv);
	pthread_mutex_unlock(&w.mu);
	pthread_join(th, NULL); /* it answered what it held */
	web_free(srv);
	PQfinish(w.c);
	return 0;
}
