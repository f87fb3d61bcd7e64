/*
 * server.c - the dashboard's HTTP server and its gate (web.h).
 *
 * libmicrohttpd serves on a pool of two threads (epoll). A request goes
 * through the gate here: static files, log-in and log-out, the language
 * cookie, then the session and, for a POST, its CSRF token. A request that
 * passed is suspended and handed to the application; web_req_done() resumes
 * it and the answer goes out from here. Log-ins run PAM on a thread of their
 * own so that a slow PAM module (or its delay after a wrong password) holds
 * up nobody else.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <microhttpd.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/i18n.h"
#include "common/log.h"
#include "html.h"
#include "web.h"

#define MAX_BODY (16 * 1024)
#define MAX_SESSIONS 128
#define MAX_FAILS 256
#define MAX_LOGIN_QUEUE 32
#define MAX_BUCKETS 256
#define RATE_PER_S 20.0 /* requests to the application per client address */
#define RATE_BURST 40.0
#define SID_COOKIE "cetak_sid"
#define LANG_COOKIE "cetak_lang"

struct session {
	bool used;
	char id[65];   /* 32 random bytes, hex */
	char csrf[33]; /* 16 random bytes, hex */
	struct web_user user;
	time_t created, seen;
	char flash[256];
};

struct fail {
	char key[96]; /* "u:NAME" or "a:ADDRESS" */
	int fails;
	time_t until, last;
};

/* The requests a client address may hand the application: a token bucket,
 * so that no one can keep cetakd's loop busy with pages. */
struct bucket {
	char ip[64];
	double tokens;
	uint64_t at_ms;
};

enum rs_state { RS_NEW, RS_APP, RS_LOGIN, RS_APP_DONE, RS_LOGIN_DONE, RS_SENT };

struct rstate {
	struct web_req rq;
	struct web_server *srv;
	struct MHD_Connection *conn;
	enum rs_state st;
	char *body;
	size_t body_len;
	bool too_big;
	char ip[64];
	char sid[65];
	char path[256];
	char lang[8];
	char csrf[33];
	char flash[256];
	/* a log-in */
	char user[64], pass[256], next[256];
	int login_rc; /* 0 ok, -1 wrong, -2 no role, -3 locked */
	char login_why[256];
	struct rstate *qnext;
};

struct web_server {
	struct web_config cfg;
	struct web_app app;
	struct MHD_Daemon *mhd;
	char *tls_cert, *tls_key;
	char address[96];
	int static_fd;
	pthread_mutex_t mu;
	struct session sessions[MAX_SESSIONS];
	struct fail fails[MAX_FAILS];
	struct bucket buckets[MAX_BUCKETS];
	bool quiesced;
	/* the log-in thread */
	pthread_t pam_thread;
	bool pam_running, pam_stop;
	pthread_cond_t pam_cv;
	struct rstate *pam_head, *pam_tail;
	int pam_queued;
	/* counters */
	unsigned long answered, refused, logins, login_fails, csrf_refused, throttled;
};

/* ---- small helpers ---- */

static void
random_hex(char *out, size_t bytes)
{
	unsigned char r[32];

	if (bytes > sizeof(r) || getrandom(r, bytes, 0) != (ssize_t)bytes) {
		/* no randomness: a session that cannot be guessed cannot be made */
		out[0] = '\0';
		return;
	}
	for (size_t i = 0; i < bytes; i++)
		sprintf(out + 2 * i, "%02x", r[i]);
}

static bool
token_eq(const char *a, const char *b)
{
	size_t n = strlen(a);
	return n > 0 && n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

static const char *
lang_of(struct rstate *rs)
{
	const char *c = MHD_lookup_connection_value(rs->conn, MHD_HEADER_KIND, "Cookie");
	char v[8];

	if (web_cookie(c, LANG_COOKIE, v, sizeof(v)) == 0 && i18n_lang_ok(v))
		snprintf(rs->lang, sizeof(rs->lang), "%s", v);
	else
		snprintf(rs->lang, sizeof(rs->lang), "%s", rs->srv->cfg.language);
	return rs->lang;
}

static void
security_headers(struct MHD_Response *r, bool secure)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "same-origin");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; style-src 'self'; "
				"script-src 'self'; frame-ancestors 'none'; form-action 'self'");
	if (secure)
		MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
}

/* Queue a response with body (taken) and release it. */
static enum MHD_Result
send_body(struct rstate *rs, int status, const char *ctype, char *body, size_t len,
	  const char *location, const char *cookie, const char *cookie2, const char *filename)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!body) {
		body = strdup("out of memory\n");
		len = body ? strlen(body) : 0;
		status = 500;
		ctype = "text/plain; charset=utf-8";
	}
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", ctype ? ctype : "text/html; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	security_headers(r, rs->srv->tls_cert != NULL);
	if (location)
		MHD_add_response_header(r, "Location", location);
	if (cookie)
		MHD_add_response_header(r, "Set-Cookie", cookie);
	if (cookie2)
		MHD_add_response_header(r, "Set-Cookie", cookie2);
	if (filename) {
		char cd[160];
		snprintf(cd, sizeof(cd), "attachment; filename=\"%s\"", filename);
		MHD_add_response_header(r, "Content-Disposition", cd);
	}
	ret = MHD_queue_response(rs->conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static bool
is_api(const char *path)
{
	return !strncmp(path, "/api/", 5) || !strncmp(path, "/live/", 6);
}

/* An error page (HTML) or, for the API, {"error": ...}. */
static enum MHD_Result
send_error(struct rstate *rs, int status, const char *msg)
{
	struct wbuf b = { 0 };
	struct i18n_doc d;

	if (status >= 400)
		__atomic_fetch_add(&rs->srv->refused, 1, __ATOMIC_RELAXED);
	if (is_api(rs->path)) {
		json_t *j = json_pack("{s:s, s:i}", "error", msg, "status", status);
		char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		return send_body(rs, status, "application/json", s, s ? strlen(s) : 0, NULL, NULL,
				 NULL, NULL);
	}
	i18n_doc_begin(&d, lang_of(rs));
	wb_page_begin(&b, rs->lang, _("Error"), rs->srv->cfg.title, NULL, 0, NULL, NULL, NULL, NULL,
		      NULL);
	wb_add(&b, "<section class=\"card narrow\"><h1>");
	wb_esc(&b, _("Error"));
	wb_printf(&b, " %d</h1><p id=\"error\">", status);
	wb_esc(&b, msg);
	wb_add(&b, "</p><p><a href=\"/\">");
	wb_esc(&b, _("Back to the dashboard"));
	wb_add(&b, "</a></p></section>");
	wb_page_end(&b);
	i18n_doc_end(&d);
	size_t n;
	char *s = wb_take(&b, &n);
	return send_body(rs, status, NULL, s, n, NULL, NULL, NULL, NULL);
}

static enum MHD_Result
redirect(struct rstate *rs, const char *to, const char *cookie, const char *cookie2)
{
	char *s = strdup("");
	return send_body(rs, 303, "text/plain; charset=utf-8", s, 0, to, cookie, cookie2, NULL);
}

static const char *
role_name(const struct web_server *srv, enum web_role r)
{
	return r == WEB_ROLE_SUPERVISOR ? srv->cfg.role_names[1]
	       : r == WEB_ROLE_OPERATOR ? srv->cfg.role_names[0]
					: "none";
}

/* ---- sessions (under srv->mu) ---- */

static struct session *
session_find(struct web_server *srv, const char *id, time_t now)
{
	if (!id || strlen(id) != 64)
		return NULL;
	for (int i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &srv->sessions[i];
		if (!s->used || !token_eq(s->id, id))
			continue;
		if (now - s->seen > srv->cfg.session_idle_s ||
		    now - s->created > srv->cfg.session_max_s) {
			s->used = false; /* expired */
			return NULL;
		}
		s->seen = now;
		return s;
	}
	return NULL;
}

static struct session *
session_new(struct web_server *srv, const struct web_user *user, time_t now)
{
	struct session *s = NULL;

	for (int i = 0; i < MAX_SESSIONS; i++) {
		struct session *c = &srv->sessions[i];
		if (c->used && (now - c->seen > srv->cfg.session_idle_s ||
				now - c->created > srv->cfg.session_max_s))
			c->used = false;
		if (!c->used && !s)
			s = c;
		else if (c->used && s && s->used && c->seen < s->seen)
			s = c;
	}
	if (!s) { /* all in use: the one idle longest goes */
		s = &srv->sessions[0];
		for (int i = 1; i < MAX_SESSIONS; i++)
			if (srv->sessions[i].seen < s->seen)
				s = &srv->sessions[i];
	}
	memset(s, 0, sizeof(*s));
	random_hex(s->id, 32);
	random_hex(s->csrf, 16);
	if (!s->id[0] || !s->csrf[0])
		return NULL;
	s->used = true;
	s->user = *user;
	s->created = s->seen = now;
	return s;
}

/* ---- the log-in rate limit (under srv->mu) ---- */

static struct fail *
fail_slot(struct web_server *srv, const char *key, bool create, time_t now)
{
	struct fail *oldest = &srv->fails[0];

	for (int i = 0; i < MAX_FAILS; i++) {
		struct fail *f = &srv->fails[i];
		if (f->key[0] && !strcmp(f->key, key))
			return f;
		if (f->last < oldest->last)
			oldest = f;
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->key, sizeof(oldest->key), "%s", key);
	oldest->last = now;
	return oldest;
}

/* Seconds until key may try again; 0 = now. */
static long
fail_wait(struct web_server *srv, const char *key, time_t now)
{
	struct fail *f = fail_slot(srv, key, false, now);
	return f && f->until > now ? (long)(f->until - now) : 0;
}

static void
fail_note(struct web_server *srv, const char *key, time_t now)
{
	struct fail *f = fail_slot(srv, key, true, now);

	/* failures long ago are forgiven */
	if (now - f->last > 3600)
		f->fails = 0;
	f->fails++;
	f->last = now;
	if (f->fails >= srv->cfg.login_fails) {
		long lock = srv->cfg.login_lock_s;
		for (int i = srv->cfg.login_fails; i < f->fails && lock < 3600; i++)
			lock *= 2;
		f->until = now + (lock > 3600 ? 3600 : lock);
	}
}

static void
fail_clear(struct web_server *srv, const char *key)
{
	struct fail *f = fail_slot(srv, key, false, 0);
	if (f)
		memset(f, 0, sizeof(*f));
}

/* Take a token for ip; false when it has none (answer 429). */
static bool
bucket_take(struct web_server *srv, const char *ip)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	struct bucket *b = NULL, *oldest = &srv->buckets[0];
	bool ok;

	pthread_mutex_lock(&srv->mu);
	for (int i = 0; i < MAX_BUCKETS && !b; i++) {
		if (!strcmp(srv->buckets[i].ip, ip))
			b = &srv->buckets[i];
		else if (srv->buckets[i].at_ms < oldest->at_ms)
			oldest = &srv->buckets[i];
	}
	if (!b) {
		b = oldest;
		snprintf(b->ip, sizeof(b->ip), "%s", ip);
		b->tokens = RATE_BURST;
		b->at_ms = now;
	}
	b->tokens += (double)(now - b->at_ms) * RATE_PER_S / 1000.0;
	if (b->tokens > RATE_BURST)
		b->tokens = RATE_BURST;
	b->at_ms = now;
	ok = b->tokens >= 1.0;
	if (ok)
		b->tokens -= 1.0;
	else
		srv->throttled++;
	pthread_mutex_unlock(&srv->mu);
	return ok;
}

/* ---- PAM, on the log-in thread ---- */

static int
pam_conv_fn(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct rstate *rs = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			r[i].resp = strdup(rs->pass);
			break;
		case PAM_PROMPT_ECHO_ON:
			r[i].resp = strdup(rs->user);
			break;
		default:
			break; /* information for a terminal: none here */
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* PAM's delay after a failure (2 s in pam_unix) would hold up every log-in
 * queued behind it on the one PAM thread: the lock per name and per address
 * (fail_note) stands in for it. */
static void
no_fail_delay(int status, unsigned delay, void *data)
{
	(void)status, (void)delay, (void)data;
}

/* Authenticate rs->user with rs->pass; fill rs->login_rc and the user. */
static void
pam_check(struct web_server *srv, struct rstate *rs)
{
	struct pam_conv conv = { pam_conv_fn, rs };
	pam_handle_t *h = NULL;
	int r;

	if (srv->cfg.pam_confdir[0])
		r = pam_start_confdir(srv->cfg.pam_service, rs->user, &conv, srv->cfg.pam_confdir,
				      &h);
	else
		r = pam_start(srv->cfg.pam_service, rs->user, &conv, &h);
	if (r == PAM_SUCCESS) {
		(void)pam_set_item(h, PAM_RHOST, rs->ip);
		(void)pam_set_item(h, PAM_FAIL_DELAY, (const void *)no_fail_delay);
		r = pam_authenticate(h, PAM_DISALLOW_NULL_AUTHTOK);
		if (r == PAM_SUCCESS)
			r = pam_acct_mgmt(h, PAM_DISALLOW_NULL_AUTHTOK);
	}
	explicit_bzero(rs->pass, sizeof(rs->pass));
	if (h)
		pam_end(h, r);
	if (r != PAM_SUCCESS) {
		rs->login_rc = -1;
		log_notice("web: log-in of '%s' from %s failed: %s", rs->user, rs->ip,
			   pam_strerror(NULL, r));
		return;
	}
	/* the role: the same groups as the control socket */
	struct passwd pw, *pwp = NULL;
	char buf[4096];
	gid_t groups[256];
	int ng = 256;
	if (getpwnam_r(rs->user, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp ||
	    getgrouplist(rs->user, pw.pw_gid, groups, &ng) < 0) {
		rs->login_rc = -2;
		snprintf(rs->login_why, sizeof(rs->login_why), "%s", rs->user);
		return;
	}
	memset(&rs->rq.user, 0, sizeof(rs->rq.user));
	rs->rq.user.uid = pw.pw_uid;
	rs->rq.user.gid = pw.pw_gid;
	snprintf(rs->rq.user.name, sizeof(rs->rq.user.name), "%s", rs->user);
	rs->rq.user.role = srv->cfg.role_of(srv->cfg.role_ctx, pw.pw_uid, pw.pw_gid, groups, ng);
	rs->login_rc = rs->rq.user.role == WEB_ROLE_NONE ? -2 : 0;
}

static void *
pam_main(void *arg)
{
	struct web_server *srv = arg;

	pthread_mutex_lock(&srv->mu);
	for (;;) {
		while (!srv->pam_head && !srv->pam_stop)
			pthread_cond_wait(&srv->pam_cv, &srv->mu);
		if (!srv->pam_head)
			break;
		struct rstate *rs = srv->pam_head;
		srv->pam_head = rs->qnext;
		if (!srv->pam_head)
			srv->pam_tail = NULL;
		srv->pam_queued--;
		bool stopping = srv->pam_stop;
		pthread_mutex_unlock(&srv->mu);
		if (!stopping)
			pam_check(srv, rs);
		else
			rs->login_rc = -4;
		pthread_mutex_lock(&srv->mu);
		rs->st = RS_LOGIN_DONE;
		MHD_resume_connection(rs->conn);
	}
	pthread_mutex_unlock(&srv->mu);
	return NULL;
}

/* ---- the log-in page ---- */

static enum MHD_Result
login_page(struct rstate *rs, int status, const char *msg, const char *user)
{
	struct wbuf b = { 0 };
	struct i18n_doc d;
	const char *next = MHD_lookup_connection_value(rs->conn, MHD_GET_ARGUMENT_KIND, "next");

	if (!next)
		next = rs->next;
	i18n_doc_begin(&d, lang_of(rs));
	wb_page_begin(&b, rs->lang, _("Log in"), rs->srv->cfg.title, NULL, 0, "/login", NULL, NULL,
		      NULL, NULL);
	wb_add(&b, "<section class=\"card narrow\"><h1>");
	wb_esc(&b, _("Log in"));
	wb_add(&b, "</h1><p class=\"muted\">");
	wb_esc(&b, _("Use your account on this station's computer."));
	wb_add(&b, "</p>");
	if (msg) {
		wb_add(&b, "<p class=\"error\" id=\"error\">");
		wb_esc(&b, msg);
		wb_add(&b, "</p>");
	}
	wb_add(&b, "<form method=\"post\" action=\"/login\" id=\"login\"><label>");
	wb_esc(&b, _("User name"));
	wb_add(&b, "<input name=\"user\" id=\"user\" autocomplete=\"username\" required "
		   "autofocus value=\"");
	wb_esc(&b, user);
	wb_add(&b, "\"></label><label>");
	wb_esc(&b, _("Password"));
	wb_add(&b, "<input name=\"password\" id=\"password\" type=\"password\" "
		   "autocomplete=\"current-password\" required></label>"
		   "<input type=\"hidden\" name=\"next\" value=\"");
	wb_esc(&b, next && next[0] == '/' && next[1] != '/' ? next : "");
	wb_add(&b, "\"><button class=\"primary\" id=\"submit\">");
	wb_esc(&b, _("Log in"));
	wb_add(&b, "</button></form></section>");
	wb_page_end(&b);
	i18n_doc_end(&d);
	size_t n;
	char *s = wb_take(&b, &n);
	return send_body(rs, status, NULL, s, n, NULL, NULL, NULL, NULL);
}

/* ---- static files ---- */

static enum MHD_Result
send_static(struct rstate *rs, const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = { { ".css", "text/css; charset=utf-8" },
		      { ".js", "text/javascript; charset=utf-8" },
		      { ".svg", "image/svg+xml" },
		      { ".png", "image/png" },
		      { ".txt", "text/plain; charset=utf-8" } };
	const char *type = NULL;
	struct stat st;
	struct wbuf b = { 0 };
	char chunk[8192];
	ssize_t n;
	int fd;

	if (!web_static_name_ok(name))
		return send_error(rs, 404, _("No such page."));
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t el = strlen(types[i].ext), nl = strlen(name);
		if (nl > el && !strcmp(name + nl - el, types[i].ext))
			type = types[i].type;
	}
	if (!type || rs->srv->static_fd < 0)
		return send_error(rs, 404, _("No such page."));
	fd = openat(rs->srv->static_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 1 << 20) {
		if (fd >= 0)
			close(fd);
		return send_error(rs, 404, _("No such page."));
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		wb_addn(&b, chunk, (size_t)n);
	close(fd);
	size_t len;
	char *s = wb_take(&b, &len);
	struct MHD_Response *r =
		s ? MHD_create_response_from_buffer(len, s, MHD_RESPMEM_MUST_FREE) : NULL;
	if (!r) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "max-age=300");
	security_headers(r, rs->srv->tls_cert != NULL);
	enum MHD_Result ret = MHD_queue_response(rs->conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- the gate ---- */

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	json_t *js = value ? json_string(value) : json_string("");
	if (key && js)
		json_object_set_new(cls, key, js);
	else
		json_decref(js);
	return MHD_YES;
}

/* Same-origin: an Origin header, when sent, names this server. */
static bool
origin_ok(struct rstate *rs)
{
	const char *origin = MHD_lookup_connection_value(rs->conn, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(rs->conn, MHD_HEADER_KIND, "Host");
	char want[300];

	if (!origin)
		return true; /* old clients and tools: the token is the defence */
	if (!host)
		return false;
	snprintf(want, sizeof(want), "%s://%s", rs->srv->tls_cert ? "https" : "http", host);
	return strcmp(origin, want) == 0;
}

static enum MHD_Result
do_login(struct rstate *rs)
{
	struct web_server *srv = rs->srv;
	json_t *form = NULL;
	time_t now = time(NULL);
	char ukey[96], akey[96];

	if (!origin_ok(rs) || web_parse_form(rs->body ? rs->body : "", rs->body_len, &form) < 0)
		return login_page(rs, 400, _("The log-in form was not sent whole; try again."),
				  NULL);
	const char *user = json_string_value(json_object_get(form, "user"));
	const char *pass = json_string_value(json_object_get(form, "password"));
	const char *next = json_string_value(json_object_get(form, "next"));
	if (!user || !*user || strlen(user) >= sizeof(rs->user) || !pass ||
	    strlen(pass) >= sizeof(rs->pass)) {
		json_decref(form);
		return login_page(rs, 400, _("Enter your user name and password."), NULL);
	}
	snprintf(rs->user, sizeof(rs->user), "%s", user);
	snprintf(rs->pass, sizeof(rs->pass), "%s", pass);
	snprintf(rs->next, sizeof(rs->next), "%s",
		 next && next[0] == '/' && next[1] != '/' ? next : "");
	json_decref(form);
	snprintf(ukey, sizeof(ukey), "u:%s", rs->user);
	snprintf(akey, sizeof(akey), "a:%s", rs->ip);
	pthread_mutex_lock(&srv->mu);
	long wait = fail_wait(srv, ukey, now), w2 = fail_wait(srv, akey, now);
	if (w2 > wait)
		wait = w2;
	bool busy = srv->pam_queued >= MAX_LOGIN_QUEUE || srv->quiesced, queued = false;
	if (!wait && !busy) {
		queued = true;
		rs->st = RS_LOGIN;
		MHD_suspend_connection(rs->conn);
		rs->qnext = NULL;
		if (srv->pam_tail)
			srv->pam_tail->qnext = rs;
		else
			srv->pam_head = rs;
		srv->pam_tail = rs;
		srv->pam_queued++;
		pthread_cond_signal(&srv->pam_cv);
	}
	pthread_mutex_unlock(&srv->mu);
	if (queued) /* rs is the log-in thread's now: nothing of it is touched here */
		return MHD_YES;
	explicit_bzero(rs->pass, sizeof(rs->pass));
	if (wait) {
		char msg[200];
		struct i18n_doc d;
		__atomic_fetch_add(&srv->refused, 1, __ATOMIC_RELAXED);
		log_notice("web: log-in of '%s' from %s refused: locked for %ld s more", rs->user,
			   rs->ip, wait);
		i18n_doc_begin(&d, lang_of(rs));
		snprintf(msg, sizeof(msg), _("Too many failed log-ins. Try again in %ld seconds."),
			 wait);
		i18n_doc_end(&d);
		return login_page(rs, 429, msg, rs->user);
	}
	if (busy)
		return login_page(rs, 503, _("The station is busy with other log-ins; try again."),
				  rs->user);
	return MHD_YES;
}

static enum MHD_Result
login_done(struct rstate *rs)
{
	struct web_server *srv = rs->srv;
	time_t now = time(NULL);
	char ukey[96], akey[96], cookie[200];
	struct i18n_doc d;
	char msg[300];

	snprintf(ukey, sizeof(ukey), "u:%s", rs->user);
	snprintf(akey, sizeof(akey), "a:%s", rs->ip);
	pthread_mutex_lock(&srv->mu);
	if (rs->login_rc == 0) {
		struct session *s = session_new(srv, &rs->rq.user, now);
		fail_clear(srv, ukey);
		if (s)
			snprintf(cookie, sizeof(cookie),
				 SID_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s", s->id,
				 srv->tls_cert ? "; Secure" : "");
		srv->logins++;
		pthread_mutex_unlock(&srv->mu);
		if (!s)
			return send_error(rs, 500, "no randomness for a session");
		log_info("web: '%s' (%s) logged in from %s", rs->user,
			 role_name(srv, rs->rq.user.role), rs->ip);
		return redirect(rs, rs->next[0] ? rs->next : srv->app.home, cookie, NULL);
	}
	if (rs->login_rc == -1) {
		fail_note(srv, ukey, now);
		fail_note(srv, akey, now);
	}
	srv->login_fails++;
	pthread_mutex_unlock(&srv->mu);
	i18n_doc_begin(&d, lang_of(rs));
	if (rs->login_rc == -2) {
		log_notice("web: '%s' logged in from %s but is in neither group '%s' nor '%s'",
			   rs->user, rs->ip, srv->cfg.operator_group, srv->cfg.supervisor_group);
		snprintf(msg, sizeof(msg),
			 _("The account '%s' may not use cetak: ask the administrator to add it to "
			   "group '%s' or '%s'."),
			 rs->user, srv->cfg.operator_group, srv->cfg.supervisor_group);
	} else if (rs->login_rc == -4) {
		snprintf(msg, sizeof(msg), "%s", _("cetakd is stopping; try again shortly."));
	} else {
		snprintf(msg, sizeof(msg), "%s", _("Wrong user name or password."));
	}
	i18n_doc_end(&d);
	return login_page(rs, rs->login_rc == -1 ? 401 : 403, msg, rs->user);
}

/* The session of this request, copied out (with its flash, taken when take_flash). */
static bool
session_of(struct rstate *rs, bool take_flash)
{
	const char *c = MHD_lookup_connection_value(rs->conn, MHD_HEADER_KIND, "Cookie");
	char sid[80];
	bool ok = false;

	if (web_cookie(c, SID_COOKIE, sid, sizeof(sid)) < 0)
		return false;
	pthread_mutex_lock(&rs->srv->mu);
	struct session *s = session_find(rs->srv, sid, time(NULL));
	if (s) {
		rs->rq.user = s->user;
		snprintf(rs->sid, sizeof(rs->sid), "%s", s->id);
		snprintf(rs->csrf, sizeof(rs->csrf), "%s", s->csrf);
		if (take_flash) {
			snprintf(rs->flash, sizeof(rs->flash), "%s", s->flash);
			s->flash[0] = '\0';
		}
		ok = true;
	}
	pthread_mutex_unlock(&rs->srv->mu);
	return ok;
}

static bool
csrf_ok(struct rstate *rs)
{
	const char *h = MHD_lookup_connection_value(rs->conn, MHD_HEADER_KIND, "X-CSRF-Token");
	const char *f =
		rs->rq.form ? json_string_value(json_object_get(rs->rq.form, "csrf")) : NULL;
	const char *t = h ? h : f;

	return t && origin_ok(rs) && token_eq(rs->csrf, t);
}

static enum MHD_Result
gate(struct rstate *rs, const char *method)
{
	struct web_server *srv = rs->srv;
	bool post = !strcmp(method, "POST");
	const char *path = rs->path;

	if (!post && strcmp(method, "GET") && strcmp(method, "HEAD"))
		return send_error(rs, 405, _("This method is not served here."));
	if (rs->too_big)
		return send_error(rs, 413, _("The request is too large."));
	if (!strncmp(path, "/static/", 8))
		return send_static(rs, path + 8);
	if (!strcmp(path, "/login"))
		return post ? do_login(rs) : login_page(rs, 200, NULL, NULL);
	if (!strcmp(path, "/lang")) {
		const char *to = MHD_lookup_connection_value(rs->conn, MHD_GET_ARGUMENT_KIND, "to");
		const char *back =
			MHD_lookup_connection_value(rs->conn, MHD_GET_ARGUMENT_KIND, "back");
		char cookie[96];
		if (!to || !i18n_lang_ok(to))
			return send_error(rs, 400, _("Unknown language."));
		snprintf(cookie, sizeof(cookie),
			 LANG_COOKIE "=%s; Path=/; SameSite=Strict; "
				     "Max-Age=31536000",
			 to);
		return redirect(rs,
				back && back[0] == '/' && back[1] != '/' && !strpbrk(back, "\r\n")
					? back
					: "/",
				cookie, NULL);
	}
	if (__atomic_load_n(&srv->quiesced, __ATOMIC_ACQUIRE))
		return send_error(rs, 503, _("cetakd is stopping; try again shortly."));
	bool page = !post && !is_api(path);
	if (!session_of(rs, page)) {
		if (is_api(path) || post)
			return send_error(rs, 401, _("Log in first."));
		char to[300];
		snprintf(to, sizeof(to), "/login%s%s", strcmp(path, "/") ? "?next=" : "",
			 strcmp(path, "/") && !strpbrk(path, "\r\n&?#") ? path : "");
		return redirect(rs, to, NULL, NULL);
	}
	if (post) {
		const char *ct =
			MHD_lookup_connection_value(rs->conn, MHD_HEADER_KIND, "Content-Type");
		int r;
		if (ct && !strncmp(ct, "application/json", 16)) {
			json_error_t je;
			rs->rq.form =
				json_loadb(rs->body ? rs->body : "{}", rs->body ? rs->body_len : 2,
					   JSON_REJECT_DUPLICATES, &je);
			rs->rq.json_body = true;
			r = json_is_object(rs->rq.form) ? 0 : -1;
		} else {
			r = web_parse_form(rs->body ? rs->body : "", rs->body_len, &rs->rq.form);
		}
		if (r < 0)
			return send_error(rs, 400, _("The form was not sent whole; try again."));
		if (!csrf_ok(rs)) {
			__atomic_fetch_add(&srv->csrf_refused, 1, __ATOMIC_RELAXED);
			log_notice("web: %s %s by '%s' from %s refused: no valid CSRF token",
				   method, path, rs->rq.user.name, rs->ip);
			return send_error(
				rs, 403,
				_("This action did not come from a page of this dashboard; "
				  "open the page again and repeat it."));
		}
		if (!strcmp(path, "/logout")) {
			pthread_mutex_lock(&srv->mu);
			struct session *s = session_find(srv, rs->sid, time(NULL));
			if (s)
				s->used = false;
			pthread_mutex_unlock(&srv->mu);
			log_info("web: '%s' logged out", rs->rq.user.name);
			return redirect(rs, "/login",
					SID_COOKIE "=; Path=/; Max-Age=0; HttpOnly; "
						   "SameSite=Strict",
					NULL);
		}
	}
	if (!strcmp(path, "/"))
		return redirect(rs, srv->app.home, NULL, NULL);
	/* the live view waits for a change and costs nothing meanwhile; the rest
	 * is rationed per client address */
	if (strncmp(path, "/live/", 6) && !bucket_take(srv, rs->ip))
		return send_error(rs, 429,
				  _("Too many requests from this computer; wait a moment."));
	/* to the application */
	rs->rq.method = post ? "POST" : "GET";
	rs->rq.path = rs->path;
	rs->rq.query = json_object();
	MHD_get_connection_values(rs->conn, MHD_GET_ARGUMENT_KIND, collect_arg, rs->rq.query);
	rs->rq.csrf = rs->csrf;
	rs->rq.lang = lang_of(rs);
	rs->rq.flash = rs->flash;
	rs->rq.srv_private = rs;
	rs->st = RS_APP;
	MHD_suspend_connection(rs->conn);
	srv->app.submit(srv->app.ctx, &rs->rq);
	return MHD_YES;
}

static void
finish_app(struct rstate *rs, enum MHD_Result *ret)
{
	struct web_req *rq = &rs->rq;
	struct web_server *srv = rs->srv;

	if (rq->set_flash[0] && rs->sid[0]) {
		pthread_mutex_lock(&srv->mu);
		struct session *s = session_find(srv, rs->sid, time(NULL));
		if (s)
			snprintf(s->flash, sizeof(s->flash), "%s", rq->set_flash);
		pthread_mutex_unlock(&srv->mu);
	}
	if (rq->finish)
		rq->finish(rq);
	__atomic_fetch_add(&srv->answered, 1, __ATOMIC_RELAXED);
	if (rq->location[0]) {
		free(rq->body);
		rq->body = NULL;
		*ret = redirect(rs, rq->location, NULL, NULL);
		return;
	}
	char *body = rq->body;
	size_t len = body ? (rq->body_len ? rq->body_len : strlen(body)) : 0;
	rq->body = NULL;
	*ret = send_body(rs, rq->status ? rq->status : 200, rq->ctype, body, len, NULL, NULL, NULL,
			 rq->filename[0] ? rq->filename : NULL);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct web_server *srv = cls;
	struct rstate *rs = *con_cls;

	(void)version;
	if (!rs) {
		if (!(rs = calloc(1, sizeof(*rs))))
			return MHD_NO;
		rs->srv = srv;
		rs->conn = conn;
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (!ci ||
		    getnameinfo(ci->client_addr,
				ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								       : sizeof(struct sockaddr_in),
				rs->ip, sizeof(rs->ip), NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(rs->ip, sizeof(rs->ip), "?");
		snprintf(rs->path, sizeof(rs->path), "%s", url);
		if (strlen(url) >= sizeof(rs->path))
			rs->too_big = true;
		*con_cls = rs;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (rs->body_len + *upload_data_size > MAX_BODY) {
			rs->too_big = true;
		} else if (!rs->too_big) {
			char *nb = realloc(rs->body, rs->body_len + *upload_data_size + 1);
			if (!nb)
				return MHD_NO;
			memcpy(nb + rs->body_len, upload_data, *upload_data_size);
			rs->body = nb;
			rs->body_len += *upload_data_size;
			rs->body[rs->body_len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	switch (rs->st) {
	case RS_NEW:
		return gate(rs, method);
	case RS_LOGIN:
		return MHD_YES; /* a spurious call while PAM works */
	case RS_APP:
		return MHD_YES;
	case RS_LOGIN_DONE:
		rs->st = RS_SENT;
		return login_done(rs);
	case RS_APP_DONE: {
		enum MHD_Result ret;
		rs->st = RS_SENT;
		finish_app(rs, &ret);
		return ret;
	}
	default:
		return MHD_NO;
	}
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct rstate *rs = *con_cls;

	(void)cls, (void)conn, (void)toe;
	if (!rs)
		return;
	json_decref(rs->rq.query);
	json_decref(rs->rq.form);
	json_decref(rs->rq.payload);
	free(rs->rq.body);
	explicit_bzero(rs->pass, sizeof(rs->pass));
	free(rs->body);
	free(rs);
	*con_cls = NULL;
}

void
web_req_done(struct web_req *rq)
{
	struct rstate *rs = rq->srv_private;
	struct web_server *srv = rs->srv;

	/* once resumed, the connection may be answered and rs freed at once by
	 * a server thread: nothing of rs is read after */
	pthread_mutex_lock(&srv->mu);
	rs->st = RS_APP_DONE;
	MHD_resume_connection(rs->conn);
	pthread_mutex_unlock(&srv->mu);
}

void
web_reply(struct web_req *rq, int status, const char *ctype, const char *body)
{
	rq->status = status;
	rq->ctype = ctype;
	free(rq->body);
	rq->body = strdup(body ? body : "");
	rq->body_len = 0;
}

void
web_reply_page(struct web_req *rq, struct wbuf *b)
{
	wb_page_end(b);
	free(rq->body);
	rq->body = wb_take(b, &rq->body_len);
	if (!rq->body)
		web_reply(rq, 500, "text/plain; charset=utf-8", "out of memory\n");
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("web: %s", msg);
}

static char *
slurp(const char *path, char *why, size_t len)
{
	FILE *f = fopen(path, "re");
	struct wbuf b = { 0 };

	if (!f) {
		snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	wb_add_file(&b, f);
	fclose(f);
	return wb_take(&b, NULL);
}

int
web_start(const struct web_config *cfg, const struct web_app *app, struct web_server **ret,
	  char *why, size_t len)
{
	struct web_server *srv = calloc(1, sizeof(*srv));
	struct sockaddr_storage ss = { 0 };
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	*ret = NULL;
	if (!srv) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	srv->cfg = *cfg;
	srv->app = *app;
	srv->static_fd = -1;
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->pam_cv, NULL);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, cfg->listen, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)cfg->port);
	} else if (inet_pton(AF_INET6, cfg->listen, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)cfg->port);
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(why, len, "web.listen '%s' is not an IP address", cfg->listen);
		goto fail;
	}
	if (cfg->tls_cert[0]) {
		if (!(srv->tls_cert = slurp(cfg->tls_cert, why, len)) ||
		    !(srv->tls_key = slurp(cfg->tls_key, why, len)))
			goto fail;
		flags |= MHD_USE_TLS;
	}
	if (cfg->static_dir[0] &&
	    (srv->static_fd = open(cfg->static_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		log_warn("web: static files in %s: %s; pages will lack their style",
			 cfg->static_dir, strerror(errno));
	if (pthread_create(&srv->pam_thread, NULL, pam_main, srv) != 0) {
		snprintf(why, len, "cannot start the log-in thread");
		goto fail;
	}
	srv->pam_running = true;
	struct MHD_OptionItem tls[] = {
		{ srv->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, srv->tls_cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key },
		{ MHD_OPTION_END, 0, NULL },
	};
	srv->mhd = MHD_start_daemon(
		flags, (uint16_t)cfg->port, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, srv, MHD_OPTION_SOCK_ADDR, &ss, MHD_OPTION_THREAD_POOL_SIZE, 2u,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, 15u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)(64 * 1024), MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	if (!srv->mhd) {
		snprintf(why, len,
			 "cannot serve the dashboard on %s port %d (in use, or the TLS "
			 "certificate and key do not match)",
			 cfg->listen, cfg->port);
		goto fail;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(srv->address, sizeof(srv->address), "%s%s%s:%u",
		 strchr(cfg->listen, ':') ? "[" : "", cfg->listen,
		 strchr(cfg->listen, ':') ? "]" : "",
		 di ? (unsigned)di->port : (unsigned)cfg->port);
	*ret = srv;
	return 0;
fail:
	web_free(srv);
	return -1;
}

const char *
web_address(const struct web_server *srv)
{
	return srv ? srv->address : "";
}

void
web_quiesce(struct web_server *srv)
{
	if (!srv)
		return;
	pthread_mutex_lock(&srv->mu);
	__atomic_store_n(&srv->quiesced, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&srv->mu);
}

json_t *
web_stats(struct web_server *srv)
{
	int sessions = 0;
	time_t now = time(NULL);

	pthread_mutex_lock(&srv->mu);
	for (int i = 0; i < MAX_SESSIONS; i++)
		sessions += srv->sessions[i].used &&
			    now - srv->sessions[i].seen <= srv->cfg.session_idle_s;
	json_t *j = json_pack(
		"{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I}", "address", srv->address, "sessions",
		sessions, "answered", (json_int_t)__atomic_load_n(&srv->answered, __ATOMIC_RELAXED),
		"refused", (json_int_t)__atomic_load_n(&srv->refused, __ATOMIC_RELAXED), "logins",
		(json_int_t)srv->logins, "login_failures", (json_int_t)srv->login_fails,
		"csrf_refused", (json_int_t)__atomic_load_n(&srv->csrf_refused, __ATOMIC_RELAXED),
		"throttled", (json_int_t)srv->throttled);
	pthread_mutex_unlock(&srv->mu);
	return j;
}

void
web_free(struct web_server *srv)
{
	if (!srv)
		return;
	if (srv->pam_running) {
		pthread_mutex_lock(&srv->mu);
		srv->pam_stop = true;
		pthread_cond_broadcast(&srv->pam_cv);
		pthread_mutex_unlock(&srv->mu);
		pthread_join(srv->pam_thread, NULL);
	}
	if (srv->mhd)
		MHD_stop_daemon(srv->mhd);
	if (srv->static_fd >= 0)
		close(srv->static_fd);
	if (srv->tls_key)
		explicit_bzero(srv->tls_key, strlen(srv->tls_key));
	free(srv->tls_key);
	free(srv->tls_cert);
	explicit_bzero(srv->sessions, sizeof(srv->sessions));
	pthread_cond_destroy(&srv->pam_cv);
	pthread_mutex_destroy(&srv->mu);
	free(srv);
}
