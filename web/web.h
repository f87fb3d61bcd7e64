/*
 * web.h - the dashboard's HTTP server (libmicrohttpd), shared by cetakd's
 * station dashboard and cetak-hub's district one.
 *
 * The server owns the transport and the gate: connection limits, request
 * size, TLS, log-in through PAM (on a thread of its own), sessions in an
 * HttpOnly SameSite cookie, the CSRF token of every action, the rate limit
 * of log-in attempts, static files and the language cookie. A request that
 * passed the gate goes to the application (struct web_app) with the user's
 * name and role: the application answers it on its own thread (cetakd's
 * loop) and calls web_req_done(). The server's threads never touch the
 * application's state. docs/web.md describes the pages and the JSON API.
 */
#ifndef CETAK_WEB_H
#define CETAK_WEB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

struct web_server;

/* A user's role: the application tells it from the account's groups. */
enum web_role { WEB_ROLE_NONE, WEB_ROLE_OPERATOR, WEB_ROLE_SUPERVISOR };

struct web_user {
	uid_t uid;
	gid_t gid;
	char name[64];
	enum web_role role;
};

/* A request that passed the gate, as the application sees it. */
struct web_req {
	/* in: filled by the server */
	const char *method;   /* "GET" or "POST" */
	const char *path;     /* "/lines", without the query */
	json_t *query;	      /* the query's name=value pairs (strings) */
	json_t *form;	      /* a POST's form or JSON body (object); NULL for GET */
	struct web_user user; /* the logged-in user and role */
	const char *csrf;     /* the session's token, for the forms a page renders */
	const char *lang;     /* "id" or "en": the user's choice */
	const char *flash;    /* a message left by the last action ("" = none) */
	bool json_body;	      /* the body was JSON (the API), not a form */
	/* out: filled by the application before web_req_done() */
	int status;	     /* 200 when left 0 */
	const char *ctype;   /* "text/html; charset=utf-8" when left NULL */
	char *body;	     /* malloc'd, taken by the server */
	size_t body_len;     /* strlen(body) when left 0 */
	char location[256];  /* a redirect (303) when set */
	char set_flash[256]; /* a message for the next page of this session */
	char filename[96];   /* Content-Disposition: attachment; filename=... */
	/* Work too slow for the application's thread (a PDF): finish(rq) runs on
	 * the server's thread before the answer goes out, with payload (released
	 * by the server) and office. */
	void (*finish)(struct web_req *rq);
	json_t *payload;
	char office[128];
	void *srv_private; /* the server's */
};

struct web_app {
	void *ctx;
	/* Called on a server thread: take rq to the application's thread, which
	 * answers it and calls web_req_done(rq) exactly once (from any thread). */
	void (*submit)(void *ctx, struct web_req *rq);
	/* The page after log-in ("/lines"). */
	const char *home;
};

struct web_config {
	char listen[64]; /* an address; "127.0.0.1" by default */
	int port;
	char tls_cert[4096], tls_key[4096]; /* PEM file paths; "" = plain HTTP */
	char static_dir[4096];		    /* style.css, app.js */
	char pam_service[64];		    /* "cetak" */
	char pam_confdir[4096];		    /* "" = /etc/pam.d (tests point elsewhere) */
	char language[8];		    /* default page language */
	int session_idle_s, session_max_s;
	int max_connections, max_per_ip;
	int login_fails, login_lock_s; /* lock after this many failures, for this long (doubling) */
	/* The role of an account that logged in (on the log-in thread). */
	enum web_role (*role_of)(void *ctx, uid_t uid, gid_t gid, const gid_t *groups, int n);
	void *role_ctx;
	char supervisor_group[64], operator_group[64]; /* their names, for the refusal */
	char role_names[2][32];			       /* "operator", "supervisor" (journal) */
	char title[128]; /* shown in the header: the station's office */
};

/* Start serving. 0, or -1 with the reason in why. */
int web_start(const struct web_config *cfg, const struct web_app *app, struct web_server **ret,
	      char *why, size_t len);
/* Refuse new requests (503) from now on; requests handed to the application
 * are still answered by it. Then web_free() after they were. */
void web_quiesce(struct web_server *srv);
void web_free(struct web_server *srv);
/* The application answered rq (any thread). */
void web_req_done(struct web_req *rq);
/* A reply in one call: status, content type (NULL = HTML) and a body (copied). */
void web_reply(struct web_req *rq, int status, const char *ctype, const char *body);
/* A page built in b (html.h, begun with wb_page_begin) as the reply: the
 * frame is closed and the text taken; 500 when it ran out of memory. */
struct wbuf;
void web_reply_page(struct web_req *rq, struct wbuf *b);
/* The address actually bound ("127.0.0.1:8480"), for the journal and tests. */
const char *web_address(const struct web_server *srv);
/* Requests answered, refused at the gate, log-ins failed (for status). */
json_t *web_stats(struct web_server *srv);

/* Parsers of outside data, exposed for their fuzz target and unit tests. */
/* application/x-www-form-urlencoded (also a query string) into an object of
 * strings; -1 on a malformed pair, a repeated name or bad UTF-8. */
int web_parse_form(const char *s, size_t len, json_t **ret);
/* The value of cookie NAME in a Cookie header into out; -1 when absent. */
int web_cookie(const char *header, const char *name, char *out, size_t outlen);
/* Is name a static file name the server may open (no slash, no dot first)? */
bool web_static_name_ok(const char *name);

#endif
