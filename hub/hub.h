/*
 * hub.h - the district hub's modules (docs/hub.md): the database helpers
 * (db.c), verification and merging of the stations' slices (verify.c), the
 * alarms (check.c), the district views (views.c) and the monthly district
 * report (report.c). cetak-hub.c is the command line over them.
 */
#ifndef CETAK_HUB_H
#define CETAK_HUB_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>

#define EXIT_REFUSED 1
#define EXIT_USAGE 2

/* --json: machine output (stable English keys) instead of tables */
extern int hub_json;

PGconn *hub_connect(const char *conninfo);
/* Run sql with params; the result when it has the status wanted, else NULL
 * with the reason on stderr. */
PGresult *hub_q(PGconn *c, ExecStatusType want, const char *sql, int n, const char *const *params);
void hub_print_json(json_t *v);
/* While set (on this thread), hub_print_json() keeps what it would print in
 * *hub_capture_slot (a new reference) instead: the dashboard reads the
 * views' JSON that way. */
extern __thread json_t **hub_capture_slot;
/* The value of row i, column k as a number (0 when NULL). */
long long hub_ll(const PGresult *r, int i, int k);

/* Verify what the stations pushed and merge it; the slices merged, or -1. */
long hub_verify_pending(PGconn *c);

struct check_opts {
	double silent_hours, transit_days;
	long reserve;	     /* default reserve of a station without its own; 0 = none */
	int lead_days;	     /* blanks take this long to arrive from the province */
	int window_days;     /* average daily use over this many days */
	const char *metrics; /* Prometheus textfile; NULL = none */
	const char *command; /* run with each alarm as JSON on stdin; NULL = none */
};
void hub_check_defaults(struct check_opts *o);
/* Raise the alarms due now; the number raised, or -1. */
int hub_check(PGconn *c, const struct check_opts *o);

/* The district views: 0, or EXIT_REFUSED. */
int hub_stations(PGconn *c);
int hub_stock(PGconn *c);
int hub_transfers(PGconn *c, double older_days);
int hub_alarms(PGconn *c);
int hub_usage(PGconn *c, int days);
int hub_cover(PGconn *c, const struct check_opts *o);
int hub_collection(PGconn *c, double older_days);
int hub_printers(PGconn *c);

/*
 * Days of cover per station and for the district, with a proposal of where
 * to send blanks: a JSON object {"stations": [...], "district": {...},
 * "proposal": [...]} (docs/hub.md), or NULL.
 */
json_t *hub_cover_json(PGconn *c, const struct check_opts *o);

/* The monthly district report of month (YYYY-MM), from the hub's data only. */
json_t *hub_report(PGconn *c, const char *month);
enum hub_report_format { HUB_TEXT, HUB_CSV, HUB_JSON, HUB_PDF };
int hub_report_write(json_t *r, enum hub_report_format fmt, const char *office, const char *path,
		     char *why, size_t len);

/* The district dashboard (web.c): serve until SIGTERM. 0, or EXIT_REFUSED. */
struct hub_web_opts {
	const char *conninfo, *listen, *tls_cert, *tls_key, *static_dir;
	const char *supervisor_group, *viewer_group, *language;
	int port;
};
int hub_serve(const struct hub_web_opts *o);

#endif
