/*
 * verify.c - the hub's verifier: each station's slices, in seq order, are
 * checked against the chain the hub holds and the station's registered
 * certificate (audit_verify_each: hashes, signed checkpoints and end, the
 * stock rules replayed) and merged into hub.records with the new head, the
 * daily figures and the cards' custody, in one transaction. A slice that
 * does not verify refuses the station: nothing of it is merged, an alarm is
 * raised, and its later pushes are refused until an officer looks.
 */
#define _GNU_SOURCE
#include "common/i18n.h"
#include "hub.h"

#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/audit.h"
#include "ledger/ledger.h"
#include "ledger/stock.h"

#define q hub_q

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

/* The COPY rows of a slice's records, gathered as they verify. */
struct rows {
	FILE *f;
	const char *station_id;
	long long last_at;
};

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int
copy_row(json_t *o, const char *line, size_t n, const struct ledger_balance *b, void *ctx)
{
	struct rows *w = ctx;
	char num[7][32], *text = strndup(line, n);
	json_t *cnt = json_object_get(o, "count");
	long on_hand = b->store;

	if (!text)
		return -ENOMEM;
	for (int k = 0; k < b->n_lines; k++)
		on_hand += b->lines[k].hopper + b->lines[k].in_flight;
	w->last_at = json_integer_value(json_object_get(o, "at"));
	snprintf(num[0], sizeof(num[0]), "%lld",
		 (long long)json_integer_value(json_object_get(o, "seq")));
	snprintf(num[1], sizeof(num[1]), "%lld", w->last_at);
	snprintf(num[2], sizeof(num[2]), "%lld", (long long)json_integer_value(cnt));
	snprintf(num[3], sizeof(num[3]), "%ld", on_hand);
	snprintf(num[4], sizeof(num[4]), "%ld", b->spoiled - b->destroyed);
	snprintf(num[5], sizeof(num[5]), "%ld", b->custody[CS_ISSUED] + b->custody[CS_STORED]);
	snprintf(num[6], sizeof(num[6]), "%ld", b->discrepancy);
	copy_field(w->f, w->station_id, 0);
	copy_field(w->f, num[0], 0);
	copy_field(w->f, num[1], 0);
	copy_field(w->f, str(o, "kind"), 0);
	copy_field(w->f, str(o, "line"), 0);
	copy_field(w->f, cnt ? num[2] : NULL, 0);
	copy_field(w->f, str(o, "lot"), 0);
	copy_field(w->f, str(o, "chip"), 0);
	copy_field(w->f, str(o, "job"), 0);
	copy_field(w->f, str(o, "cause"), 0);
	copy_field(w->f, str(o, "doc"), 0);
	copy_field(w->f, str(o, "actor"), 0);
	copy_field(w->f, str(o, "peer"), 0);
	for (int k = 3; k < 7; k++)
		copy_field(w->f, num[k], 0);
	copy_field(w->f, text, 1);
	free(text);
	return ferror(w->f) ? -EIO : 0;
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
      const char *first, const char *rows, size_t rlen, long long la)
{
	char head[65], seq[32], last_at[32], *bal;
	int ok = 0;

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
		      "cause, doc, actor, peer, on_hand, spoiled_pending, held, discrepancy, "
		      "record) FROM STDIN");
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
	if (!(r = q(c, PGRES_TUPLES_OK, "SELECT hub.rollup($1::int, $2::bigint)", 2, lock)))
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
	free(bal);
	return ok ? 0 : -1;
rollback:
	PQclear(r);
	PQclear(PQexec(c, "ROLLBACK"));
	free(bal);
	return -1;
}

/* Verify what is pending; the number of slices merged, or -1. */
long
hub_verify_pending(PGconn *c)
{
	PGresult *r = q(c, PGRES_TUPLES_OK,
			"SELECT s.id, s.name, s.cert_pem, s.head_seq, encode(s.head_hash, 'hex'), "
			"s.balance::text, i.first_seq, i.last_seq FROM hub.intake i JOIN "
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
		char *rows = NULL;
		size_t rlen = 0;
		struct rows w = { .station_id = id };
		if (!cert) {
			refuse(c, id, name, PQgetvalue(r, i, 6),
			       R_("the registered certificate cannot be read"));
			snprintf(refused_id, sizeof(refused_id), "%s", id);
			continue;
		}
		/* one slice's body at a time: a station back after weeks, or a
		 * district of them, may have many pending */
		const char *key[2] = { id, PQgetvalue(r, i, 6) };
		PGresult *br =
			q(c, PGRES_TUPLES_OK,
			  "SELECT body FROM hub.intake WHERE station_id = $1 AND first_seq = "
			  "$2::bigint",
			  2, key);
		if (!br || PQntuples(br) != 1 || !(w.f = open_memstream(&rows, &rlen))) {
			PQclear(br);
			break;
		}
		int vr = audit_verify_each(PQgetvalue(br, 0, 0), (size_t)PQgetlength(br, 0, 0),
					   cert, &next, &res, copy_row, &w);
		PQclear(br);
		if (fclose(w.f) != 0 && vr == 0) {
			free(rows);
			break;
		}
		if (vr < 0) {
			char why[400];
			free(rows);
			snprintf(why, sizeof(why), R_("line %ld: %.350s"), res.bad_line, res.why);
			refuse(c, id, name, PQgetvalue(r, i, 6), why);
			snprintf(refused_id, sizeof(refused_id), "%s", id);
			continue;
		}
		int mr = merge(c, id, at.seq, &next, PQgetvalue(r, i, 6), rows, rlen, w.last_at);
		free(rows);
		if (mr < 0) {
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
