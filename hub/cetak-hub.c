/*
 * cetak-hub.c - the district hub: every station's signed books in one
 * PostgreSQL database, verified as they arrive, with the district's views,
 * alarms and monthly report (docs/hub.md).
 *
 * usage: cetak-hub [-d CONNINFO] [--json] VERB ...
 *   init                          create the schema (hub/schema.sql), idempotent
 *   station add NAME --cert PEM   register a station and create its role
 *   station set NAME --reserve N  a station's own reserve (blanks)
 *   set office|timezone|language VALUE
 *                                 the name on the reports; the district's time
 *                                 zone; the reports' language (id, en)
 *   stations                      every station: its chain, last contact, status
 *   verify                        verify what the stations pushed, once
 *   run [CHECK OPTIONS]           verify as slices arrive (LISTEN), until SIGTERM,
 *                                 and check the alarms every minute
 *   check [CHECK OPTIONS]         raise the alarms due now
 *   stock                         blanks per station and for the district
 *   usage [--days N]              issued and spoiled per station, day and cause
 *   cover [CHECK OPTIONS]         days of cover, and where to send blanks
 *   collection [--older DAYS]     cards waiting for collection by age (or the list)
 *   printers                      prints, ribbons, cards printed outside cetakd
 *   transfers [--older DAYS]      transfers matched end to end
 *   alarms                        the alarms raised
 *   report YYYY-MM [--format text|csv|json|pdf] [-o FILE]
 *                                 the district's monthly report
 *   report --from-json FILE [...] a report saved as JSON, in another format
 *   serve [--listen ADDR] [--port N] [--tls-cert PEM --tls-key PEM] [--static DIR]
 *         [--supervisors GROUP] [--viewers GROUP] [--language id|en]
 *                                 the district dashboard (docs/web.md), until SIGTERM
 * CHECK OPTIONS: --silent-hours H (24) --transit-days D (7) --reserve N (0)
 *   --lead-days D (14) --window-days D (30) --metrics FILE --command PATH
 * CONNINFO is a libpq connection string (default: $CETAK_HUB_DB, then the PG*
 * environment); it may name a primary and its standby ("host=a,b
 * target_session_attrs=read-write"). Exit codes: 0 ok, 1 refused or failed,
 * 2 usage.
 */
#define _GNU_SOURCE
#include "hub.h"
#include "common/i18n.h"

#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define q hub_q

extern const char hub_schema_sql[]; /* hub/schema.sql, built in */

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int
cmd_init(PGconn *c)
{
	PGresult *r = PQexec(c, hub_schema_sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, _("cetak-hub: init: %s"), PQerrorMessage(c));
	else
		printf(_("hub schema ready\n"));
	PQclear(r);
	return ok ? 0 : EXIT_REFUSED;
}

/* A station's role: "station_" and its name, lower case, [a-z0-9_] only. */
static int
role_of(const char *name, char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, "station_");

	for (const char *p = name; *p && n + 1 < len; p++) {
		char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		      ch == '-' || ch == ' '))
			return -1;
		out[n++] = ch == '-' || ch == ' ' ? '_' : ch;
	}
	out[n] = '\0';
	return n > 8 && n < 60 ? 0 : -1;
}

static char *
read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &len);
	char chunk[65536];
	size_t n;
	while (m && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	if (m)
		fclose(m);
	if (ret_len)
		*ret_len = len;
	return buf;
}

static int
cmd_station_add(PGconn *c, const char *name, const char *cert_path)
{
	char role[64], *pem = read_file(cert_path, NULL), *sql;
	BIO *b = pem ? BIO_new_mem_buf(pem, -1) : NULL;
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	int rc = EXIT_REFUSED;

	BIO_free(b);
	if (!x) {
		fprintf(stderr,
			_("cetak-hub: %s: not a PEM certificate; give the station's "
			  "certificate (ledger.station_cert)\n"),
			cert_path);
		goto out;
	}
	if (role_of(name, role, sizeof(role)) < 0) {
		fprintf(stderr,
			_("cetak-hub: station name '%s': letters, digits, spaces, - and _ "
			  "only (1 to 50)\n"),
			name);
		goto out;
	}
	/* the role first (its name is checked above: no quoting games) */
	if (asprintf(&sql, "CREATE ROLE \"%s\" LOGIN IN ROLE cetak_station", role) < 0)
		goto out;
	PGresult *r = PQexec(c, "BEGIN");
	PQclear(r);
	r = PQexec(c, sql);
	free(sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, _("cetak-hub: station %s: %s"), name, PQerrorMessage(c));
		PQclear(r);
		PQclear(PQexec(c, "ROLLBACK"));
		goto out;
	}
	PQclear(r);
	const char *p[3] = { name, role, pem };
	if (!(r = q(c, PGRES_COMMAND_OK,
		    "INSERT INTO hub.stations (name, role_name, cert_pem) VALUES ($1, $2, $3)", 3,
		    p))) {
		PQclear(PQexec(c, "ROLLBACK"));
		goto out;
	}
	PQclear(r);
	PQclear(PQexec(c, "COMMIT"));
	printf(_("station %s registered; it connects as role %s (a client certificate or password "
		 "of its own) and may only push its chain and read its acknowledgement\n"),
	       name, role);
	rc = 0;
out:
	X509_free(x);
	free(pem);
	return rc;
}

static int
cmd_run(PGconn *c, const struct check_opts *o)
{
	time_t last_check = 0;
	struct sigaction sa = { .sa_handler = on_term };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	PQclear(PQexec(c, "LISTEN cetak_hub_intake"));
	printf(_("cetak-hub: verifying as slices arrive\n"));
	fflush(stdout);
	while (!stop) {
		if (time(NULL) - last_check >= 60) { /* the alarms, once a minute */
			hub_check(c, o);
			last_check = time(NULL);
		}
		if (hub_verify_pending(c) < 0 && PQstatus(c) != CONNECTION_OK) {
			/* the primary went away: a standby promoted is found again */
			PQreset(c);
			PQclear(PQexec(c, "LISTEN cetak_hub_intake"));
		}
		fflush(stdout);
		struct pollfd pfd = { .fd = PQsocket(c), .events = POLLIN };
		if (poll(&pfd, 1, 5000) > 0) {
			PQconsumeInput(c);
			PGnotify *n;
			while ((n = PQnotifies(c)))
				PQfreemem(n);
		}
	}
	return 0;
}

static int
cmd_station_set(PGconn *c, const char *name, const char *reserve)
{
	char *end;
	long n = strtol(reserve, &end, 10);

	if (*end || n < 0 || n > 1000000) {
		fprintf(stderr, _("cetak-hub: --reserve %s: a number of blanks, 0 to 1000000\n"),
			reserve);
		return EXIT_USAGE;
	}
	const char *p[2] = { name, reserve };
	PGresult *r = q(c, PGRES_COMMAND_OK,
			"UPDATE hub.stations SET reserve = $2::bigint WHERE name = $1", 2, p);
	if (!r)
		return EXIT_REFUSED;
	int found = atoi(PQcmdTuples(r)) == 1;
	PQclear(r);
	if (!found) {
		fprintf(stderr, _("cetak-hub: no station %s: see cetak-hub stations\n"), name);
		return EXIT_REFUSED;
	}
	printf(_("station %s: reserve %ld blanks\n"), name, n);
	return 0;
}

static int
cmd_set(PGconn *c, const char *key, const char *value)
{
	if (strcmp(key, "office") != 0 && strcmp(key, "timezone") != 0 &&
	    strcmp(key, "language") != 0) {
		fprintf(stderr, _("cetak-hub: set %s: only office, timezone and language\n"), key);
		return EXIT_USAGE;
	}
	if (!strcmp(key, "language") && !i18n_lang_ok(value)) {
		fprintf(stderr, _("cetak-hub: set language %s: id (Bahasa Indonesia) or en\n"),
			value);
		return EXIT_USAGE;
	}
	const char *p[2] = { key, value };
	if (!strcmp(key, "timezone")) { /* a zone PostgreSQL knows */
		PGresult *r =
			q(c, PGRES_TUPLES_OK,
			  "SELECT 1 FROM pg_timezone_names WHERE name = $2 AND $1 = $1", 2, p);
		int ok = r && PQntuples(r) == 1;
		PQclear(r);
		if (!ok) {
			fprintf(stderr,
				_("cetak-hub: time zone '%s' unknown: Asia/Jakarta (WIB), "
				  "Asia/Makassar (WITA) or Asia/Jayapura (WIT)\n"),
				value);
			return EXIT_REFUSED;
		}
	}
	PGresult *r = q(c, PGRES_COMMAND_OK,
			"INSERT INTO hub.settings VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET "
			"value = EXCLUDED.value",
			2, p);
	PQclear(r);
	if (r)
		printf("%s: %s\n", key, value);
	return r ? 0 : EXIT_REFUSED;
}

static int
parse_check(int argc, char **argv, int i, struct check_opts *o)
{
	hub_check_defaults(o);
	for (; i < argc; i++) {
		if (i + 1 >= argc)
			return -1;
		if (!strcmp(argv[i], "--silent-hours"))
			o->silent_hours = atof(argv[++i]);
		else if (!strcmp(argv[i], "--transit-days"))
			o->transit_days = atof(argv[++i]);
		else if (!strcmp(argv[i], "--reserve"))
			o->reserve = atol(argv[++i]);
		else if (!strcmp(argv[i], "--lead-days"))
			o->lead_days = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--window-days"))
			o->window_days = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--metrics"))
			o->metrics = argv[++i];
		else if (!strcmp(argv[i], "--command"))
			o->command = argv[++i];
		else
			return -1;
	}
	if (o->command && o->command[0] != '/') {
		fprintf(stderr, _("cetak-hub: --command %s: give its absolute path\n"), o->command);
		return -1;
	}
	return o->silent_hours > 0 && o->transit_days >= 0 && o->reserve >= 0 && o->lead_days > 0 &&
			       o->window_days > 0
		       ? 0
		       : -1;
}

/* report MONTH from the database, or --from-json FILE: a report saved as
 * JSON written again in another format (no database needed) */
static int
cmd_report(PGconn *c, int argc, char **argv, int i)
{
	const char *month = argv[i++], *out = NULL, *fmt = "text", *saved = NULL;
	char why[300] = "";

	if (!strcmp(month, "--from-json") && i < argc)
		saved = argv[i++];

	for (; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--format"))
			fmt = argv[i + 1];
		else if (!strcmp(argv[i], "-o"))
			out = argv[i + 1];
		else
			return EXIT_USAGE;
	}
	if (i != argc)
		return EXIT_USAGE;
	enum hub_report_format f = !strcmp(fmt, "text")	  ? HUB_TEXT
				   : !strcmp(fmt, "csv")  ? HUB_CSV
				   : !strcmp(fmt, "json") ? HUB_JSON
				   : !strcmp(fmt, "pdf")  ? HUB_PDF
							  : (enum hub_report_format) - 1;
	if ((int)f < 0) {
		fprintf(stderr, _("cetak-hub: report: format %s: text, csv, json or pdf\n"), fmt);
		return EXIT_USAGE;
	}
	if (f == HUB_PDF && !out) {
		fprintf(stderr, _("cetak-hub: report: a PDF needs -o FILE\n"));
		return EXIT_USAGE;
	}
	json_error_t je;
	json_t *r = saved ? json_load_file(saved, 0, &je) : hub_report(c, month);
	if (!r && saved)
		fprintf(stderr,
			_("cetak-hub: report: %s: %s (line %d): give a report saved with --format "
			  "json\n"),
			saved, je.text, je.line);
	if (!r || (saved && !json_is_array(json_object_get(r, "stations")))) {
		if (r)
			fprintf(stderr,
				_("cetak-hub: report: %s: not a district report (no stations)\n"),
				saved);
		json_decref(r);
		return EXIT_REFUSED;
	}
	month = json_string_value(json_object_get(r, "month")) ?: "";
	int rc = hub_report_write(r, f, NULL, out, why, sizeof(why));
	if (rc < 0)
		fprintf(stderr, _("cetak-hub: report: %s\n"), why);
	else if (out)
		printf(_("district report %s written to %s (%s)\n"), month, out, fmt);
	json_decref(r);
	return rc < 0 ? EXIT_REFUSED : 0;
}

static int
cmd_serve(const char *conninfo, int argc, char **argv, int i)
{
	struct hub_web_opts o = { .conninfo = conninfo,
				  .listen = "127.0.0.1",
				  .port = 8490,
				  .static_dir = WEBDIR,
				  .supervisor_group = "cetak-hub-supervisor",
				  .viewer_group = "cetak-hub-viewer",
				  .language = "id" };

	for (; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (!strcmp(k, "--listen"))
			o.listen = v;
		else if (!strcmp(k, "--port"))
			o.port = atoi(v);
		else if (!strcmp(k, "--tls-cert"))
			o.tls_cert = v;
		else if (!strcmp(k, "--tls-key"))
			o.tls_key = v;
		else if (!strcmp(k, "--static"))
			o.static_dir = v;
		else if (!strcmp(k, "--supervisors"))
			o.supervisor_group = v;
		else if (!strcmp(k, "--viewers"))
			o.viewer_group = v;
		else if (!strcmp(k, "--language") && i18n_lang_ok(v))
			o.language = v;
		else
			break;
	}
	if (i != argc || o.port < 0 || o.port > 65535 || !o.tls_cert != !o.tls_key) {
		fprintf(stderr,
			_("cetak-hub: serve [--listen ADDR] [--port N] [--tls-cert PEM "
			  "--tls-key PEM] [--static DIR] [--supervisors GROUP] [--viewers GROUP] "
			  "[--language id|en]\n"));
		return EXIT_USAGE;
	}
	return hub_serve(&o);
}

static void
usage(void)
{
	fprintf(stderr,
		_("usage: cetak-hub [-d CONNINFO] [--json] init | station add NAME --cert PEM | "
		  "station set NAME --reserve N | set office|timezone|language VALUE | stations | "
		  "verify | "
		  "run [CHECK] | check [CHECK] | stock | usage [--days N] | cover [CHECK] | "
		  "collection [--older DAYS] | printers | transfers [--older DAYS] | alarms | "
		  "report YYYY-MM|--from-json FILE [--format text|csv|json|pdf] [-o FILE] | serve "
		  "[OPTIONS]\n"
		  "CHECK: --silent-hours H --transit-days D --reserve N --lead-days D "
		  "--window-days "
		  "D --metrics FILE --command PATH\n"));
}

int
main(int argc, char **argv)
{
	const char *conninfo = getenv("CETAK_HUB_DB");
	int i = 1, rc;

	i18n_init();
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-d") && i + 1 < argc)
			conninfo = argv[++i];
		else if (!strcmp(argv[i], "--json"))
			hub_json = 1;
		else {
			usage();
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage();
		return EXIT_USAGE;
	}
	const char *verb = argv[i++];
	int rest = argc - i;
	struct check_opts co;
	if (!strcmp(verb, "report") && rest >= 2 && !strcmp(argv[i], "--from-json")) {
		rc = cmd_report(NULL, argc, argv, i);
		if (rc == EXIT_USAGE)
			usage();
		return rc;
	}
	if (!strcmp(verb, "serve")) {
		rc = cmd_serve(conninfo, argc, argv, i);
		if (rc == EXIT_USAGE)
			usage();
		return rc;
	}
	PGconn *c = hub_connect(conninfo);
	if (!c)
		return EXIT_REFUSED;
	if (!strcmp(verb, "init"))
		rc = cmd_init(c);
	else if (!strcmp(verb, "station") && rest == 4 && !strcmp(argv[i], "add") &&
		 !strcmp(argv[i + 2], "--cert"))
		rc = cmd_station_add(c, argv[i + 1], argv[i + 3]);
	else if (!strcmp(verb, "station") && rest == 4 && !strcmp(argv[i], "set") &&
		 !strcmp(argv[i + 2], "--reserve"))
		rc = cmd_station_set(c, argv[i + 1], argv[i + 3]);
	else if (!strcmp(verb, "set") && rest == 2)
		rc = cmd_set(c, argv[i], argv[i + 1]);
	else if (!strcmp(verb, "stations") && !rest)
		rc = hub_stations(c);
	else if (!strcmp(verb, "verify") && !rest)
		rc = hub_verify_pending(c) < 0 ? EXIT_REFUSED : 0;
	else if ((!strcmp(verb, "run") || !strcmp(verb, "check") || !strcmp(verb, "cover")) &&
		 parse_check(argc, argv, i, &co) == 0)
		rc = !strcmp(verb, "run")     ? cmd_run(c, &co)
		     : !strcmp(verb, "cover") ? hub_cover(c, &co)
					      : (hub_check(c, &co) < 0 ? EXIT_REFUSED : 0);
	else if (!strcmp(verb, "stock") && !rest)
		rc = hub_stock(c);
	else if (!strcmp(verb, "usage") &&
		 (!rest || (rest == 2 && !strcmp(argv[i], "--days") && atoi(argv[i + 1]) > 0)))
		rc = hub_usage(c, rest ? atoi(argv[i + 1]) : 30);
	else if (!strcmp(verb, "collection") &&
		 (!rest || (rest == 2 && !strcmp(argv[i], "--older") && atof(argv[i + 1]) > 0)))
		rc = hub_collection(c, rest ? atof(argv[i + 1]) : 0);
	else if (!strcmp(verb, "printers") && !rest)
		rc = hub_printers(c);
	else if (!strcmp(verb, "alarms") && !rest)
		rc = hub_alarms(c);
	else if (!strcmp(verb, "transfers") &&
		 (!rest || (rest == 2 && !strcmp(argv[i], "--older"))))
		rc = hub_transfers(c, !rest ? 0 : atof(argv[i + 1]));
	else if (!strcmp(verb, "report") && rest >= 1)
		rc = cmd_report(c, argc, argv, i);
	else
		rc = EXIT_USAGE;
	if (rc == EXIT_USAGE)
		usage();
	PQfinish(c);
	return rc;
}
