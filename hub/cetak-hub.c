/*
 * cetak-hub.c - the district hub: every station's signed books in one
 * PostgreSQL database, verified as they arrive (docs/hub.md).
 *
 * usage: cetak-hub [-d CONNINFO] [--json] VERB ...
 *   init                          create the schema (hub/schema.sql), idempotent
 *   station add NAME --cert PEM   register a station and create its role
 *   stations                      every station: its chain, last contact, status
 *   verify                        verify what the stations pushed, once
 *   run [CHECK OPTIONS]           verify as slices arrive (LISTEN), until SIGTERM,
 *                                 and check the alarms every minute
 *   check [--silent-hours H] [--transit-days D] [--metrics FILE]
 *                                 raise the alarms of stations silent for more
 *                                 than H hours (24) and transfers in transit for
 *                                 more than D days (7); write the Prometheus file
 *   stock                         blanks per station and for the district
 *   alarms                        the alarms raised
 *   transfers [--older DAYS]      transfers matched end to end (only those in
 *                                 transit for more than DAYS)
 * CONNINFO is a libpq connection string (default: the PG* environment); it
 * may name a primary and its standby ("host=a,b target_session_attrs=
 * read-write"). Exit codes: 0 ok, 1 refused or failed, 2 usage.
 *
 * Verification: a station's slices are taken in order; each must continue
 * the chain the hub holds (hashes, signed end and checkpoints against the
 * station's registered certificate, the stock rules replayed) before its
 * records are merged, in one transaction with the new head. A slice that
 * does not verify refuses the station: nothing of it is merged, an alarm is
 * raised, and its later pushes are refused until an officer looks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ledger/audit.h"
#include "ledger/ledger.h"
#include "ledger/stock.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2

extern const char hub_schema_sql[]; /* hub/schema.sql, built in */

static int json_out;
static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static PGconn *
hub_connect(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo ? conninfo : "");

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "cetak-hub: cannot connect to the hub database: %s",
			PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Run sql with params; the result when it has the status wanted, else NULL
 * with the reason on stderr. */
static PGresult *
q(PGconn *c, ExecStatusType want, const char *sql, int n, const char *const *params)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != want) {
		fprintf(stderr, "cetak-hub: %s", PQerrorMessage(c));
		PQclear(r);
		return NULL;
	}
	return r;
}

static int
cmd_init(PGconn *c)
{
	PGresult *r = PQexec(c, hub_schema_sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "cetak-hub: init: %s", PQerrorMessage(c));
	else
		printf("hub schema ready\n");
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
			"cetak-hub: %s: not a PEM certificate; give the station's "
			"certificate (ledger.station_cert)\n",
			cert_path);
		goto out;
	}
	if (role_of(name, role, sizeof(role)) < 0) {
		fprintf(stderr,
			"cetak-hub: station name '%s': letters, digits, spaces, - and _ "
			"only (1 to 50)\n",
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
		fprintf(stderr, "cetak-hub: station %s: %s", name, PQerrorMessage(c));
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
	printf("station %s registered; it connects as role %s (a client certificate or password "
	       "of its own) and may only push its chain and read its acknowledgement\n",
	       name, role);
	rc = 0;
out:
	X509_free(x);
	free(pem);
	return rc;
}

/* ---- verification ---- */

/* COPY text format: backslash, tab, newline and carriage return escaped. */
static void
copy_field(FILE *f, const char *s, int last)
{
	if (!s) {
		fputs("\\N", f);
	} else {
		for (; *s; s++) {
			if (*s == '\\')
				fputs("\\\\", f);
			else if (*s == '\t')
				fputs("\\t", f);
			else if (*s == '\n')
				fputs("\\n", f);
			else if (*s == '\r')
				fputs("\\r", f);
			else
				fputc(*s, f);
		}
	}
	fputc(last ? '\n' : '\t', f);
}

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The COPY rows of the slice's records into *ret (malloc'd). */
static int
copy_rows(const char *station_id, const char *body, size_t len, char **ret, size_t *ret_len,
	  long long *ret_last_at)
{
	FILE *f = open_memstream(ret, ret_len);
	const char *p = body, *end = body + len;

	if (!f)
		return -ENOMEM;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_error_t je;
		json_t *o = json_loadb(p, n, 0, &je);
		json_t *seq = o ? json_object_get(o, "seq") : NULL;
		if (seq && json_is_integer(seq)) {
			char num[3][32], *line = strndup(p, n);
			snprintf(num[0], sizeof(num[0]), "%lld",
				 (long long)json_integer_value(seq));
			snprintf(num[1], sizeof(num[1]), "%lld",
				 (long long)json_integer_value(json_object_get(o, "at")));
			json_t *cnt = json_object_get(o, "count");
			snprintf(num[2], sizeof(num[2]), "%lld",
				 (long long)json_integer_value(cnt));
			*ret_last_at = json_integer_value(json_object_get(o, "at"));
			copy_field(f, station_id, 0);
			copy_field(f, num[0], 0);
			copy_field(f, num[1], 0);
			copy_field(f, str(o, "kind"), 0);
			copy_field(f, str(o, "line"), 0);
			copy_field(f, cnt ? num[2] : NULL, 0);
			copy_field(f, str(o, "lot"), 0);
			copy_field(f, str(o, "chip"), 0);
			copy_field(f, str(o, "job"), 0);
			copy_field(f, str(o, "cause"), 0);
			copy_field(f, str(o, "doc"), 0);
			copy_field(f, str(o, "actor"), 0);
			copy_field(f, line, 1);
			free(line);
		}
		json_decref(o);
		p += n + 1;
	}
	return fclose(f) == 0 ? 0 : -EIO;
}

static void
refuse(PGconn *c, const char *id, const char *name, const char *first, const char *why)
{
	const char *p[3] = { id, first, why };

	fprintf(stderr, "cetak-hub: station %s refused: %s\n", name, why);
	PQclear(PQexec(c, "BEGIN"));
	PQclear(q(
		c, PGRES_COMMAND_OK,
		"INSERT INTO hub.refused SELECT station_id, first_seq, last_seq, body, "
		"received_at, $3 FROM hub.intake WHERE station_id = $1 AND first_seq = $2::bigint",
		3, p));
	PQclear(q(c, PGRES_COMMAND_OK,
		  "UPDATE hub.stations SET status = 'refused', refused_why = $3 || ' (slice from "
		  "record ' || $2 || ')' WHERE id = $1",
		  3, p));
	PQclear(q(c, PGRES_COMMAND_OK,
		  "INSERT INTO hub.alarms (station_id, kind, message) VALUES ($1, 'chain', "
		  "'the slice from record ' || $2 || ' does not verify: ' || $3)",
		  3, p));
	PQclear(q(c, PGRES_COMMAND_OK, "DELETE FROM hub.intake WHERE station_id = $1", 1, p));
	PQclear(PQexec(c, "COMMIT"));
}

/* Merge one verified slice with the station's new state, in one transaction. */
static int
merge(PGconn *c, const char *id, long long expect_seq, const struct audit_resume *at,
      const char *first, const char *body, size_t len)
{
	char *rows = NULL, head[65], seq[32], last_at[32], *bal;
	size_t rlen = 0;
	long long la = 0;
	int ok = 0;

	if (copy_rows(id, body, len, &rows, &rlen, &la) < 0)
		return -1;
	audit_hex(at->head, 32, head);
	snprintf(seq, sizeof(seq), "%ld", at->seq);
	snprintf(last_at, sizeof(last_at), "%lld", la);
	json_t *bj = stock_balance_json(&at->balance);
	bal = json_dumps(bj, JSON_COMPACT);
	json_decref(bj);
	char expect[32];
	snprintf(expect, sizeof(expect), "%lld", expect_seq);
	const char *lock[2] = { id, expect };
	PQclear(PQexec(c, "BEGIN"));
	PGresult *r = q(c, PGRES_TUPLES_OK,
			"SELECT 1 FROM hub.stations WHERE id = $1 AND head_seq = $2::bigint AND "
			"status = 'ok' FOR UPDATE",
			2, lock);
	if (!r || PQntuples(r) != 1) /* another verifier moved it on meanwhile */
		goto rollback;
	PQclear(r);
	r = PQexec(c, "COPY hub.records (station_id, seq, at, kind, line, count, lot, chip, job, "
		      "cause, doc, actor, record) FROM STDIN");
	if (PQresultStatus(r) != PGRES_COPY_IN)
		goto rollback;
	PQclear(r);
	if (PQputCopyData(c, rows, (int)rlen) != 1 || PQputCopyEnd(c, NULL) != 1)
		goto rollback;
	r = PQgetResult(c);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "cetak-hub: %s", PQerrorMessage(c));
		goto rollback;
	}
	PQclear(r);
	r = NULL;
	const char *up[6] = { id, seq, head, bal, la ? last_at : NULL, first };
	if (!(r = q(c, PGRES_COMMAND_OK,
		    "UPDATE hub.stations SET head_seq = $2::bigint, head_hash = decode($3, 'hex'), "
		    "balance = $4::jsonb, last_record_at = COALESCE($5::bigint, last_record_at) "
		    "WHERE id = $1",
		    5, up)))
		goto rollback;
	PQclear(r);
	const char *del[2] = { id, first };
	if (!(r = q(c, PGRES_COMMAND_OK,
		    "DELETE FROM hub.intake WHERE station_id = $1 AND first_seq = $2::bigint", 2,
		    del)))
		goto rollback;
	PQclear(r);
	r = PQexec(c, "COMMIT");
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	free(rows);
	free(bal);
	return ok ? 0 : -1;
rollback:
	PQclear(r);
	PQclear(PQexec(c, "ROLLBACK"));
	free(rows);
	free(bal);
	return -1;
}

/* Verify what is pending; the number of slices merged, or -1. */
static long
verify_pending(PGconn *c)
{
	PGresult *r = q(c, PGRES_TUPLES_OK,
			"SELECT s.id, s.name, s.cert_pem, s.head_seq, encode(s.head_hash, 'hex'), "
			"s.balance::text, i.first_seq, i.last_seq, i.body FROM hub.intake i JOIN "
			"hub.stations s ON s.id = i.station_id WHERE s.status = 'ok' ORDER BY "
			"i.station_id, i.first_seq",
			0, NULL);
	long merged = 0;
	char refused_id[32] = "";

	if (!r)
		return -1;
	/* each station's state as the slices move it on */
	struct audit_resume at;
	char cur[32] = "";
	X509 *cert = NULL;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *id = PQgetvalue(r, i, 0), *name = PQgetvalue(r, i, 1);
		long long first = atoll(PQgetvalue(r, i, 6)), last = atoll(PQgetvalue(r, i, 7));
		const char *body = PQgetvalue(r, i, 8);
		size_t len = (size_t)PQgetlength(r, i, 8);
		if (!strcmp(id, refused_id))
			continue;
		if (strcmp(id, cur) != 0) {
			snprintf(cur, sizeof(cur), "%s", id);
			X509_free(cert);
			BIO *b = BIO_new_mem_buf(PQgetvalue(r, i, 2), -1);
			cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
			BIO_free(b);
			memset(&at, 0, sizeof(at));
			at.seq = atol(PQgetvalue(r, i, 3));
			const char *hh = PQgetvalue(r, i, 4);
			for (int k = 0; k < 32; k++)
				sscanf(hh + 2 * k, "%2hhx", &at.head[k]);
			json_t *bj = json_loads(PQgetvalue(r, i, 5), 0, NULL);
			if (bj && json_object_size(bj))
				stock_balance_from_json(bj, &at.balance);
			json_decref(bj);
		}
		if (last <= at.seq) { /* pushed twice: already held */
			const char *p[2] = { id, PQgetvalue(r, i, 6) };
			PQclear(q(c, PGRES_COMMAND_OK,
				  "DELETE FROM hub.intake WHERE station_id = $1 AND first_seq = "
				  "$2::bigint",
				  2, p));
			continue;
		}
		if (first != at.seq + 1)
			continue; /* a gap: the slice before it has not arrived */
		struct audit_result res;
		struct audit_resume next = at;
		if (!cert) {
			refuse(c, id, name, PQgetvalue(r, i, 6),
			       "the registered certificate cannot be read");
			snprintf(refused_id, sizeof(refused_id), "%s", id);
			continue;
		}
		if (audit_verify_from(body, len, cert, &next, &res) < 0) {
			char why[400];
			snprintf(why, sizeof(why), "line %ld: %.350s", res.bad_line, res.why);
			refuse(c, id, name, PQgetvalue(r, i, 6), why);
			snprintf(refused_id, sizeof(refused_id), "%s", id);
			continue;
		}
		if (merge(c, id, at.seq, &next, PQgetvalue(r, i, 6), body, len) < 0) {
			fprintf(stderr,
				"cetak-hub: station %s: records %lld-%lld not merged; tried "
				"again next time\n",
				name, first, last);
			snprintf(refused_id, sizeof(refused_id), "%s", id); /* not this round */
			continue;
		}
		at = next;
		merged++;
		printf("station %s: records %lld to %ld verified and merged\n", name, first,
		       at.seq);
	}
	X509_free(cert);
	PQclear(r);
	return merged;
}

struct check_opts {
	double silent_hours, transit_days;
	const char *metrics; /* Prometheus textfile; NULL = none */
};

/* Write the district's gauges for node_exporter's textfile collector. */
static void
write_metrics(PGconn *c, const char *path)
{
	PGresult *r = q(c, PGRES_TUPLES_OK,
			"SELECT name, head_seq, status = 'refused', COALESCE(extract(epoch FROM "
			"now() - last_push), -1), (SELECT count(*) FROM hub.intake i WHERE "
			"i.station_id = s.id) FROM hub.stations s ORDER BY name",
			0, NULL);
	char tmp[4096];
	FILE *f;

	if (!r)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "we"))) {
		PQclear(r);
		return;
	}
	fputs("# HELP cetak_hub_records Records of the station's chain verified at the hub.\n"
	      "# TYPE cetak_hub_records gauge\n",
	      f);
	for (int i = 0; i < PQntuples(r); i++)
		fprintf(f, "cetak_hub_records{station=\"%s\"} %s\n", PQgetvalue(r, i, 0),
			PQgetvalue(r, i, 1));
	fputs("# HELP cetak_hub_refused 1 when the hub refused the station's chain.\n"
	      "# TYPE cetak_hub_refused gauge\n",
	      f);
	for (int i = 0; i < PQntuples(r); i++)
		fprintf(f, "cetak_hub_refused{station=\"%s\"} %d\n", PQgetvalue(r, i, 0),
			PQgetvalue(r, i, 2)[0] == 't');
	fputs("# HELP cetak_hub_last_push_age_seconds Seconds since the station last pushed (-1: "
	      "never).\n# TYPE cetak_hub_last_push_age_seconds gauge\n",
	      f);
	for (int i = 0; i < PQntuples(r); i++)
		fprintf(f, "cetak_hub_last_push_age_seconds{station=\"%s\"} %.0f\n",
			PQgetvalue(r, i, 0), atof(PQgetvalue(r, i, 3)));
	fputs("# HELP cetak_hub_pending_slices Slices received and not verified yet.\n"
	      "# TYPE cetak_hub_pending_slices gauge\n",
	      f);
	for (int i = 0; i < PQntuples(r); i++)
		fprintf(f, "cetak_hub_pending_slices{station=\"%s\"} %s\n", PQgetvalue(r, i, 0),
			PQgetvalue(r, i, 4));
	PQclear(r);
	if (fflush(f) == 0 && fsync(fileno(f)) == 0 && fclose(f) == 0)
		rename(tmp, path);
	else
		unlink(tmp);
}

/*
 * The district's alarms: a station silent for more than silent_hours (no
 * push), a transfer in transit for more than transit_days. Each is raised
 * once per such period, on the journal (stderr) and in hub.alarms.
 */
static int
hub_check(PGconn *c, const struct check_opts *o)
{
	char h[32], dd[32], sql[2048];
	int raised = 0;

	snprintf(h, sizeof(h), "%g", o->silent_hours);
	snprintf(dd, sizeof(dd), "%g", o->transit_days);
	const char *p1[1] = { h };
	PGresult *r =
		q(c, PGRES_TUPLES_OK,
		  "INSERT INTO hub.alarms (station_id, kind, message) SELECT s.id, 'silent', "
		  "format('no push for more than %s hours (last: %s)', $1::text, COALESCE(to_char("
		  "s.last_push, 'YYYY-MM-DD HH24:MI'), 'never')) FROM hub.stations s WHERE "
		  "s.status = 'ok' AND COALESCE(s.last_push, s.registered_at) < now() - "
		  "make_interval(secs => $1::float8 * 3600) AND NOT EXISTS (SELECT 1 FROM "
		  "hub.alarms a WHERE a.station_id = s.id AND a.kind = 'silent' AND a.at > now() "
		  "- make_interval(secs => $1::float8 * 3600)) RETURNING (SELECT name FROM "
		  "hub.stations WHERE id = station_id), message",
		  1, p1);
	for (int i = 0; r && i < PQntuples(r); i++, raised++)
		fprintf(stderr, "cetak-hub: alarm: station %s: %s\n", PQgetvalue(r, i, 0),
			PQgetvalue(r, i, 1));
	PQclear(r);
	snprintf(
		sql, sizeof(sql),
		"INSERT INTO hub.alarms (station_id, kind, message) SELECT t.station_id, "
		"'transit', format('transfer %%s of %%s blanks to %%s in transit for more than %%s "
		"days', t.doc, t.count, t.record->>'peer', $1::text) FROM hub.records t JOIN "
		"hub.stations s ON s.id = t.station_id WHERE t.kind = 'transfer' AND t.at < "
		"extract(epoch FROM now()) - $1::float8 * 86400 AND NOT EXISTS (SELECT 1 FROM "
		"hub.records r JOIN hub.stations rs ON rs.id = r.station_id WHERE r.kind = "
		"'receive' AND r.doc = t.doc AND rs.name = t.record->>'peer' AND "
		"r.record->>'peer' = s.name) AND NOT EXISTS (SELECT 1 FROM hub.alarms a WHERE "
		"a.station_id = t.station_id AND a.kind = 'transit' AND a.message LIKE "
		"'transfer ' || t.doc || ' %%' AND a.at > now() - interval '1 day') RETURNING "
		"(SELECT name FROM hub.stations WHERE id = station_id), message");
	const char *p2[1] = { dd };
	r = q(c, PGRES_TUPLES_OK, sql, 1, p2);
	for (int i = 0; r && i < PQntuples(r); i++, raised++)
		fprintf(stderr, "cetak-hub: alarm: station %s: %s\n", PQgetvalue(r, i, 0),
			PQgetvalue(r, i, 1));
	PQclear(r);
	if (o->metrics)
		write_metrics(c, o->metrics);
	return raised;
}

static int
parse_check(int argc, char **argv, int i, struct check_opts *o)
{
	o->silent_hours = 24, o->transit_days = 7, o->metrics = NULL;
	for (; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--silent-hours"))
			o->silent_hours = atof(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--transit-days"))
			o->transit_days = atof(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--metrics"))
			o->metrics = argv[++i];
		else
			return -1;
	}
	return o->silent_hours > 0 && o->transit_days >= 0 ? 0 : -1;
}

static int
cmd_run(PGconn *c, const struct check_opts *o)
{
	time_t last_check = 0;
	struct sigaction sa = { .sa_handler = on_term };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	PQclear(PQexec(c, "LISTEN cetak_hub_intake"));
	printf("cetak-hub: verifying as slices arrive\n");
	fflush(stdout);
	while (!stop) {
		if (time(NULL) - last_check >= 60) { /* the alarms, once a minute */
			hub_check(c, o);
			last_check = time(NULL);
		}
		if (verify_pending(c) < 0 && PQstatus(c) != CONNECTION_OK) {
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

static void
print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2));

	if (s)
		puts(s);
	free(s);
}

static int
cmd_stations(PGconn *c)
{
	PGresult *r = q(c, PGRES_TUPLES_OK,
			"SELECT name, status, head_seq, COALESCE(to_char(last_push, 'YYYY-MM-DD "
			"HH24:MI:SS'), '-'), COALESCE(refused_why, ''), (SELECT count(*) FROM "
			"hub.intake i WHERE i.station_id = s.id) FROM hub.stations s ORDER BY name",
			0, NULL);

	if (!r)
		return EXIT_REFUSED;
	json_t *arr = json_array();
	if (!json_out)
		printf("%-20s %-8s %10s %8s  %-19s %s\n", "STATION", "STATUS", "RECORDS", "PENDING",
		       "LAST PUSH", "REASON");
	for (int i = 0; i < PQntuples(r); i++) {
		if (json_out)
			json_array_append_new(
				arr, json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}", "station",
					       PQgetvalue(r, i, 0), "status", PQgetvalue(r, i, 1),
					       "records", (json_int_t)atoll(PQgetvalue(r, i, 2)),
					       "pending", (json_int_t)atoll(PQgetvalue(r, i, 5)),
					       "last_push", PQgetvalue(r, i, 3), "reason",
					       PQgetvalue(r, i, 4)));
		else
			printf("%-20s %-8s %10s %8s  %-19s %s\n", PQgetvalue(r, i, 0),
			       PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 5),
			       PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
	}
	if (json_out)
		print_json(arr);
	json_decref(arr);
	PQclear(r);
	return 0;
}

/* Blanks a station sent that no receipt matches yet, per station. */
static const char in_transit_sql[] =
	"SELECT COALESCE(sum(t.count), 0) FROM hub.records t WHERE t.station_id = s.id AND "
	"t.kind = 'transfer' AND NOT EXISTS (SELECT 1 FROM hub.records r JOIN hub.stations rs ON "
	"rs.id = r.station_id WHERE r.kind = 'receive' AND r.doc = t.doc AND rs.name = "
	"t.record->>'peer' AND r.record->>'peer' = s.name)";

static int
cmd_stock(PGconn *c)
{
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "SELECT name, balance::text, head_seq, (%s) FROM hub.stations s ORDER BY name",
		 in_transit_sql);
	PGresult *r = q(c, PGRES_TUPLES_OK, sql, 0, NULL);
	struct ledger_balance tot;
	long transit_total = 0;

	if (!r)
		return EXIT_REFUSED;
	memset(&tot, 0, sizeof(tot));
	json_t *arr = json_array();
	if (!json_out)
		printf("%-20s %8s %8s %10s %8s %8s %8s\n", "STATION", "STORE", "HOPPERS",
		       "IN TRANSIT", "ISSUED", "SPOILED", "SENT");
	for (int i = 0; i < PQntuples(r); i++) {
		struct ledger_balance b;
		long hoppers = 0;
		memset(&b, 0, sizeof(b));
		json_t *bj = json_loads(PQgetvalue(r, i, 1), 0, NULL);
		if (bj && json_object_size(bj))
			stock_balance_from_json(bj, &b);
		json_decref(bj);
		for (int k = 0; k < b.n_lines; k++)
			hoppers += b.lines[k].hopper;
		long transit = atol(PQgetvalue(r, i, 3));
		transit_total += transit;
		tot.store += b.store, tot.issued += b.issued, tot.spoiled += b.spoiled;
		tot.transferred += b.transferred, tot.received += hoppers; /* hoppers */
		if (json_out)
			json_array_append_new(
				arr, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "station",
					       PQgetvalue(r, i, 0), "store", (json_int_t)b.store,
					       "hoppers", (json_int_t)hoppers, "in_transit",
					       (json_int_t)transit, "issued", (json_int_t)b.issued,
					       "spoiled", (json_int_t)b.spoiled, "transferred",
					       (json_int_t)b.transferred));
		else
			printf("%-20s %8ld %8ld %10ld %8ld %8ld %8ld\n", PQgetvalue(r, i, 0),
			       b.store, hoppers, transit, b.issued, b.spoiled, b.transferred);
	}
	if (json_out)
		print_json(arr);
	else {
		printf("%-20s %8ld %8ld %10ld %8ld %8ld %8ld\n", "district", tot.store,
		       tot.received, transit_total, tot.issued, tot.spoiled, tot.transferred);
	}
	json_decref(arr);
	PQclear(r);
	return 0;
}

/*
 * Transfers matched end to end: each transfer record (the sending station,
 * its document, the receiving station in "peer") with the receipt that
 * names the same document and the sender, and receipts from a station that
 * has no such transfer. older: only those in transit for more than this
 * many days (0: all).
 */
static const char transfers_sql[] =
	"SELECT s.name, t.record->>'peer', t.doc, t.count, to_char(to_timestamp(t.at), "
	"'YYYY-MM-DD'), r.count, COALESCE(to_char(to_timestamp(r.at), 'YYYY-MM-DD'), ''), "
	"CASE WHEN r.seq IS NULL THEN 'in_transit' WHEN r.count = t.count THEN 'received' "
	"ELSE 'mismatched' END, (extract(epoch FROM now()) - t.at) / 86400 "
	"FROM hub.records t JOIN hub.stations s ON s.id = t.station_id "
	"LEFT JOIN hub.stations rs ON rs.name = t.record->>'peer' "
	"LEFT JOIN hub.records r ON r.station_id = rs.id AND r.kind = 'receive' AND r.doc = "
	"t.doc AND r.record->>'peer' = s.name WHERE t.kind = 'transfer' "
	"UNION ALL "
	"SELECT r.record->>'peer', s.name, r.doc, NULL, '', r.count, "
	"to_char(to_timestamp(r.at), 'YYYY-MM-DD'), 'no_sender_record', 0 "
	"FROM hub.records r JOIN hub.stations s ON s.id = r.station_id WHERE r.kind = 'receive' "
	"AND r.record ? 'peer' AND NOT EXISTS (SELECT 1 FROM hub.records t JOIN hub.stations ts "
	"ON ts.id = t.station_id WHERE t.kind = 'transfer' AND t.doc = r.doc AND ts.name = "
	"r.record->>'peer') ORDER BY 3";

static int
cmd_transfers(PGconn *c, double older)
{
	PGresult *r = q(c, PGRES_TUPLES_OK, transfers_sql, 0, NULL);
	long n[4] = { 0 };

	if (!r)
		return EXIT_REFUSED;
	json_t *arr = json_array();
	if (!json_out)
		printf("%-16s %-16s %-14s %6s %-10s %8s %-10s %s\n", "FROM", "TO", "DOCUMENT",
		       "SENT", "ON", "RECEIVED", "ON", "STATE");
	for (int i = 0; i < PQntuples(r); i++) {
		const char *state = PQgetvalue(r, i, 7);
		double age = atof(PQgetvalue(r, i, 8));
		if (older > 0 && (strcmp(state, "in_transit") != 0 || age < older))
			continue;
		n[!strcmp(state, "received")	 ? 0
		  : !strcmp(state, "in_transit") ? 1
		  : !strcmp(state, "mismatched") ? 2
						 : 3]++;
		if (json_out) {
			json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "from",
					      PQgetvalue(r, i, 0), "to", PQgetvalue(r, i, 1), "doc",
					      PQgetvalue(r, i, 2), "sent_on", PQgetvalue(r, i, 4),
					      "received_on", PQgetvalue(r, i, 6), "state", state);
			json_object_set_new(o, "sent",
					    PQgetisnull(r, i, 3)
						    ? json_null()
						    : json_integer(atol(PQgetvalue(r, i, 3))));
			json_object_set_new(o, "received",
					    PQgetisnull(r, i, 5)
						    ? json_null()
						    : json_integer(atol(PQgetvalue(r, i, 5))));
			json_array_append_new(arr, o);
		} else {
			printf("%-16s %-16s %-14s %6s %-10s %8s %-10s %s\n", PQgetvalue(r, i, 0),
			       PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
			       PQgetisnull(r, i, 3) ? "-" : PQgetvalue(r, i, 3),
			       PQgetvalue(r, i, 4)[0] ? PQgetvalue(r, i, 4) : "-",
			       PQgetisnull(r, i, 5) ? "-" : PQgetvalue(r, i, 5),
			       PQgetvalue(r, i, 6)[0] ? PQgetvalue(r, i, 6) : "-", state);
		}
	}
	if (json_out)
		print_json(arr);
	else {
		printf("received %ld, in transit %ld, mismatched %ld, received without a sending "
		       "record %ld\n",
		       n[0], n[1], n[2], n[3]);
	}
	json_decref(arr);
	PQclear(r);
	return 0;
}

static int
cmd_alarms(PGconn *c)
{
	PGresult *r = q(c, PGRES_TUPLES_OK,
			"SELECT to_char(a.at, 'YYYY-MM-DD HH24:MI:SS'), COALESCE(s.name, '-'), "
			"a.kind, a.message FROM hub.alarms a LEFT JOIN hub.stations s ON s.id = "
			"a.station_id ORDER BY a.id",
			0, NULL);

	if (!r)
		return EXIT_REFUSED;
	for (int i = 0; i < PQntuples(r); i++)
		printf("%s  %-16s %-10s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		       PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
	PQclear(r);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: cetak-hub [-d CONNINFO] [--json] init | station add NAME --cert "
			"PEM | stations | verify | run [CHECK] | check [--silent-hours H] "
			"[--transit-days D] "
			"[--metrics FILE] | stock | alarms | transfers [--older DAYS]\n");
}

int
main(int argc, char **argv)
{
	const char *conninfo = getenv("CETAK_HUB_DB");
	int i = 1, rc;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-d") && i + 1 < argc)
			conninfo = argv[++i];
		else if (!strcmp(argv[i], "--json"))
			json_out = 1;
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
	struct check_opts co;
	PGconn *c = hub_connect(conninfo);
	if (!c)
		return EXIT_REFUSED;
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	if (!strcmp(verb, "init"))
		rc = cmd_init(c);
	else if (!strcmp(verb, "station") && i + 4 == argc && !strcmp(argv[i], "add") &&
		 !strcmp(argv[i + 2], "--cert"))
		rc = cmd_station_add(c, argv[i + 1], argv[i + 3]);
	else if (!strcmp(verb, "stations"))
		rc = cmd_stations(c);
	else if (!strcmp(verb, "verify"))
		rc = verify_pending(c) < 0 ? EXIT_REFUSED : 0;
	else if ((!strcmp(verb, "run") || !strcmp(verb, "check")) &&
		 parse_check(argc, argv, i, &co) == 0)
		rc = !strcmp(verb, "run") ? cmd_run(c, &co) : (hub_check(c, &co) < 0 ? 1 : 0);
	else if (!strcmp(verb, "stock"))
		rc = cmd_stock(c);
	else if (!strcmp(verb, "alarms"))
		rc = cmd_alarms(c);
	else if (!strcmp(verb, "transfers") &&
		 (i == argc || (i + 2 == argc && !strcmp(argv[i], "--older"))))
		rc = cmd_transfers(c, i == argc ? 0 : atof(argv[i + 1]));
	else {
		usage();
		rc = EXIT_USAGE;
	}
	PQfinish(c);
	return rc;
}
