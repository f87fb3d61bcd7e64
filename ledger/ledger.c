/*
 * ledger.c - the stock ledger in SQLite, and its hash chain.
 *
 * A record is the canonical JSON of an event (compact, keys sorted, ASCII);
 * its hash is SHA-256(previous hash || record). Each event is one
 * transaction: the record, its hash, and the new running balance (checked
 * against the invariant before anything is written).
 */
#define _GNU_SOURCE
#include "ledger.h"
#include "audit.h"
#include "report.h"
#include "common/signer.h"
#include "stock.h"

#include <errno.h>
#include <stdbool.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sqlite3.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

struct ledger {
	sqlite3 *db;
	struct signer *station;
	int every;
	long long seq;	  /* last record */
	uint8_t head[32]; /* its hash */
	struct ledger_balance bal;
	/* a batch: several records in one transaction (ledger_batch_begin) */
	int batch;
	long long b_seq;
	uint8_t b_head[32];
	struct ledger_balance b_bal;
	struct audit_md md; /* the chain's digest context (loop thread only) */
};

static int
exec(struct ledger *l, const char *sql)
{
	return sqlite3_exec(l->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int
ledger_open(const char *path, struct signer *station, int checkpoint_every, struct ledger **ret)
{
	struct ledger *l = calloc(1, sizeof(*l));
	sqlite3_stmt *s;
	int r = -EIO;

	if (!l)
		return -ENOMEM;
	l->station = station;
	l->every = checkpoint_every > 0 ? checkpoint_every : 1000;
	if (sqlite3_open(path, &l->db) != SQLITE_OK ||
	    exec(l,
		 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		 "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, record TEXT NOT NULL,"
		 " hash BLOB NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL,"
		 " on_hand INTEGER NOT NULL DEFAULT 0, pending INTEGER NOT NULL DEFAULT 0);"
		 "CREATE INDEX IF NOT EXISTS events_use ON events (kind, at);"
		 "CREATE INDEX IF NOT EXISTS events_at ON events (at, seq);"
		 /* a chip is issued once: ledger_record() looks it up here */
		 "CREATE INDEX IF NOT EXISTS events_chip ON events (json_extract(record, '$.chip'))"
		 " WHERE kind = 'issue';"
		 "CREATE TABLE IF NOT EXISTS checkpoints (seq INTEGER PRIMARY KEY, at INTEGER NOT"
		 " NULL, head BLOB NOT NULL, sig BLOB NOT NULL);"
		 "CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 1),"
		 " balance TEXT NOT NULL);") < 0)
		goto fail;
	/* the ledger's schema version: a ledger written by a newer cetakd is
	 * refused rather than damaged (after a downgrade); a future change
	 * migrates forward from here, with a copy kept first as the job store
	 * does (store.c) */
	if (sqlite3_prepare_v2(l->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		goto fail;
	int version = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	if (version > LEDGER_SCHEMA_VERSION) {
		r = -EPROTO;
		goto fail;
	}
	if (version < LEDGER_SCHEMA_VERSION && exec(l, "PRAGMA user_version = 1") < 0)
		goto fail;
	if (sqlite3_prepare_v2(l->db, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", -1,
			       &s, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 1) == 32) {
		l->seq = sqlite3_column_int64(s, 0);
		memcpy(l->head, sqlite3_column_blob(s, 1), 32);
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(l->db, "SELECT balance FROM state WHERE id = 1", -1, &s, NULL) !=
	    SQLITE_OK)
		goto fail;
	if (sqlite3_step(s) == SQLITE_ROW) {
		json_t *j = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
		stock_balance_from_json(j, &l->bal);
		json_decref(j);
	}
	sqlite3_finalize(s);
	*ret = l;
	return 0;
fail:
	ledger_close(l);
	return r;
}

void
ledger_close(struct ledger *l)
{
	if (!l)
		return;
	if (l->db && l->station && l->seq > 0) {
		/* a checkpoint over the last record, unless there is one already */
		sqlite3_stmt *s;
		long long last = 0;
		if (sqlite3_prepare_v2(l->db, "SELECT max(seq) FROM checkpoints", -1, &s, NULL) ==
		    SQLITE_OK) {
			if (sqlite3_step(s) == SQLITE_ROW)
				last = sqlite3_column_int64(s, 0);
			sqlite3_finalize(s);
		}
		if (last < l->seq)
			ledger_checkpoint(l, (long long)time(NULL));
	}
	sqlite3_close(l->db);
	audit_md_free(&l->md);
	free(l);
}

static json_t *
record_of(const struct ledger_event *e, long long seq, long long at)
{
	json_t *r = json_pack("{s:I, s:I, s:s}", "seq", (json_int_t)seq, "at", (json_int_t)at,
			      "kind", e->kind ? e->kind : "");
	const char *keys[] = { "line",	"lot",	"chip",	  "job",      "nik",   "cause", "doc",
			       "actor", "note", "ribbon", "replaces", "place", "peer" };
	const char *vals[] = { e->line,	 e->lot,  e->chip,   e->job,  e->nik,	e->cause, e->doc,
			       e->actor, e->note, e->ribbon, e->prev, e->place, e->peer };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (vals[i] && vals[i][0])
			json_object_set_new(r, keys[i], json_string(vals[i]));
	if (e->count)
		json_object_set_new(r, "count", json_integer(e->count));
	if (e->prev && e->prev[0]) {
		json_object_set_new(r, "replaces_rated", json_integer(e->prev_rated));
		json_object_set_new(r, "replaces_prints", json_integer(e->prev_prints));
	}
	if (e->to_state && e->to_state[0]) {
		if (e->from_state && e->from_state[0])
			json_object_set_new(r, "from", json_string(e->from_state));
		json_object_set_new(r, "to", json_string(e->to_state));
		json_object_set_new(r, "event", json_integer(e->event));
	}
	return r;
}

/*
 * Some facts are recorded once: a chip is issued once (the events_chip index
 * finds it), a lot is received once (so a receipt sent again after a lost
 * answer is refused, not counted twice). true with the reason in why.
 */
static bool
recorded_before(struct ledger *l, const struct ledger_event *e, char *why, size_t len)
{
	const char *key = !strcmp(e->kind, "issue")	? "chip"
			  : !strcmp(e->kind, "receive") ? "lot"
							: NULL;
	const char *value = key && key[0] == 'c' ? e->chip : e->lot;
	char sql[200];
	sqlite3_stmt *s;
	bool found = false;

	if (!key || !value || !value[0])
		return false;
	snprintf(sql, sizeof(sql),
		 "SELECT seq, at FROM events WHERE kind = '%s' AND "
		 "json_extract(record, '$.%s') = ? LIMIT 1",
		 e->kind, key);
	if (sqlite3_prepare_v2(l->db, sql, -1, &s, NULL) != SQLITE_OK) {
		snprintf(why, len, "ledger read failed: %s", sqlite3_errmsg(l->db));
		return true;
	}
	sqlite3_bind_text(s, 1, value, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		found = true;
		snprintf(why, len, "%s %.40s was already %s (audit record %lld): %s", key, value,
			 key[0] == 'c' ? "issued" : "received",
			 (long long)sqlite3_column_int64(s, 0),
			 key[0] == 'c' ? "a chip is issued once"
				       : "a lot is received once; see `cetakctl stock`");
	}
	sqlite3_finalize(s);
	return found;
}

int
ledger_record(struct ledger *l, const struct ledger_event *e, long long at, long long *ret_seq,
	      char *why, size_t len)
{
	json_t *r = record_of(e, l->seq + 1, at);
	struct ledger_balance b = l->bal;
	char *text = NULL, *bal = NULL;
	uint8_t hash[32];
	sqlite3_stmt *s = NULL;
	int rc = -EINVAL;

	if (!r || stock_apply(&b, r, why, len) < 0)
		goto out;
	if (recorded_before(l, e, why, len))
		goto out;
	text = json_dumps(r, JSON_CANON);
	if (!l->batch) {
		json_t *bj = stock_balance_json(&b);
		bal = json_dumps(bj, JSON_CANON);
		json_decref(bj);
	}
	audit_chain(&l->md, l->head, text, hash);
	rc = -EIO;
	if (!l->batch && exec(l, "BEGIN IMMEDIATE") < 0)
		goto out;
	if (sqlite3_prepare_v2(l->db,
			       "INSERT INTO events (seq, record, hash, kind, at, on_hand,"
			       " pending) VALUES (?,?,?,?,?,?,?)",
			       -1, &s, NULL) != SQLITE_OK)
		goto rollback;
	sqlite3_bind_int64(s, 1, l->seq + 1);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, e->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, at);
	/* the balance after the event, for reports: opening and closing in one lookup */
	sqlite3_bind_int64(s, 6, b.received + b.discrepancy - b.issued - b.spoiled - b.transferred);
	sqlite3_bind_int64(s, 7, b.spoiled - b.destroyed);
	if (sqlite3_step(s) != SQLITE_DONE)
		goto rollback;
	sqlite3_finalize(s);
	s = NULL;
	/* the running balance; in a batch it is written once, at the end */
	if (!l->batch) {
		if (sqlite3_prepare_v2(l->db,
				       "INSERT OR REPLACE INTO state (id, balance) "
				       "VALUES (1, ?)",
				       -1, &s, NULL) != SQLITE_OK)
			goto rollback;
		sqlite3_bind_text(s, 1, bal, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE || exec(l, "COMMIT") < 0)
			goto rollback;
	}
	l->seq++;
	memcpy(l->head, hash, 32);
	l->bal = b;
	if (ret_seq)
		*ret_seq = l->seq;
	rc = 0;
	if (l->station && l->seq % l->every == 0)
		ledger_checkpoint(l, at);
	goto out;
rollback:
	snprintf(why, len, "ledger write failed: %s", sqlite3_errmsg(l->db));
	if (!l->batch) /* in a batch the caller ends it with a rollback */
		exec(l, "ROLLBACK");
out:
	sqlite3_finalize(s);
	json_decref(r);
	free(text);
	free(bal);
	return rc;
}

int
ledger_batch_begin(struct ledger *l)
{
	if (l->batch || exec(l, "BEGIN IMMEDIATE") < 0)
		return -EIO;
	l->batch = 1;
	l->b_seq = l->seq;
	memcpy(l->b_head, l->head, 32);
	l->b_bal = l->bal;
	return 0;
}

int
ledger_batch_end(struct ledger *l, int commit)
{
	int r = 0;

	if (!l->batch)
		return -EINVAL;
	l->batch = 0;
	if (commit && l->seq != l->b_seq) {
		json_t *bj = stock_balance_json(&l->bal);
		char *bal = bj ? json_dumps(bj, JSON_CANON) : NULL;
		sqlite3_stmt *s = NULL;
		json_decref(bj);
		if (!bal ||
		    sqlite3_prepare_v2(l->db,
				       "INSERT OR REPLACE INTO state (id, balance) "
				       "VALUES (1, ?)",
				       -1, &s, NULL) != SQLITE_OK ||
		    sqlite3_bind_text(s, 1, bal, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_step(s) != SQLITE_DONE)
			commit = 0;
		sqlite3_finalize(s);
		free(bal);
	}
	if (commit && exec(l, "COMMIT") == 0)
		return 0;
	if (commit)
		r = -EIO;
	exec(l, "ROLLBACK");
	l->seq = l->b_seq;
	memcpy(l->head, l->b_head, 32);
	l->bal = l->b_bal;
	return r;
}

static void
column_text(sqlite3_stmt *s, int col, char *buf, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(buf, len, "%s", t ? (const char *)t : "");
}

int
ledger_last_card(struct ledger *l, const char *line, char *kind, size_t klen, char *job,
		 size_t jlen, char *cause, size_t clen)
{
	sqlite3_stmt *s;
	int r;

	kind[0] = job[0] = cause[0] = '\0';
	/* newest first by the primary key: stops at the line's last card */
	if (sqlite3_prepare_v2(l->db,
			       "SELECT kind, json_extract(record, '$.job'), "
			       "json_extract(record, '$.cause') FROM events WHERE kind IN "
			       "('take', 'issue', 'spoil') AND json_extract(record, '$.line') = ? "
			       "ORDER BY seq DESC LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, line, -1, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		column_text(s, 0, kind, klen);
		column_text(s, 1, job, jlen);
		column_text(s, 2, cause, clen);
	}
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

long long
ledger_last_ref(struct ledger *l, enum ledger_kind kind)
{
	sqlite3_stmt *s;
	long long ref = 0;

	/* format 2 records the job store's event number as event, format 1 as count */
	if (sqlite3_prepare_v2(l->db,
			       "SELECT coalesce(json_extract(record, '$.event'), "
			       "json_extract(record, '$.count')) FROM events WHERE "
			       "kind = ? ORDER BY seq DESC LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, ledger_kind_name(kind), -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		ref = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return ref;
}

void
ledger_set_station(struct ledger *l, struct signer *station)
{
	l->station = station;
}

void
ledger_head(struct ledger *l, long long *ret_seq, uint8_t ret_hash[32])
{
	*ret_seq = l->seq;
	memcpy(ret_hash, l->head, 32);
}

int
ledger_hash_at(struct ledger *l, long long seq, uint8_t ret_hash[32])
{
	sqlite3_stmt *s;
	int r = -ENOENT;

	if (sqlite3_prepare_v2(l->db, "SELECT hash FROM events WHERE seq = ?", -1, &s, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, seq);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32) {
		memcpy(ret_hash, sqlite3_column_blob(s, 0), 32);
		r = 0;
	}
	sqlite3_finalize(s);
	return r;
}

int
ledger_issued_jobs(struct ledger *l, int (*cb)(const char *job, void *ctx), void *ctx)
{
	sqlite3_stmt *s;
	int r = 0, rc;

	if (sqlite3_prepare_v2(l->db,
			       "SELECT DISTINCT json_extract(record, '$.job') FROM events "
			       "WHERE kind = 'issue'",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		if (sqlite3_column_text(s, 0))
			r = cb((const char *)sqlite3_column_text(s, 0), ctx);
	sqlite3_finalize(s);
	return r;
}

int
ledger_balance(struct ledger *l, struct ledger_balance *ret)
{
	*ret = l->bal;
	return 0;
}

int
ledger_check(struct ledger *l, char *why, size_t len)
{
	struct ledger_balance b = { 0 };
	uint8_t head[32] = { 0 }, h[32];
	sqlite3_stmt *s;
	int r = 0;

	if (sqlite3_prepare_v2(l->db, "SELECT seq, record, hash FROM events ORDER BY seq", -1, &s,
			       NULL) != SQLITE_OK)
		return -EIO;
	for (long long want = 1; r == 0 && sqlite3_step(s) == SQLITE_ROW; want++) {
		const char *text = (const char *)sqlite3_column_text(s, 1);
		json_t *rec = json_loads(text, 0, NULL);
		audit_chain(&l->md, head, text, h);
		if (sqlite3_column_int64(s, 0) != want || sqlite3_column_bytes(s, 2) != 32 ||
		    memcmp(h, sqlite3_column_blob(s, 2), 32) != 0) {
			snprintf(why, len, "record %lld does not match its hash", want);
			r = -EBADMSG;
		} else if (!rec || stock_apply(&b, rec, why, len) < 0) {
			r = -EBADMSG;
		}
		memcpy(head, h, 32);
		json_decref(rec);
	}
	sqlite3_finalize(s);
	if (r == 0 && memcmp(&b, &l->bal, sizeof(b)) != 0) {
		snprintf(why, len, "the running balance differs from the replayed events");
		r = -EBADMSG;
	}
	if (r == 0)
		r = stock_invariant(&b, why, len);
	return r;
}

int
ledger_checkpoint(struct ledger *l, long long at)
{
	char msg[128], h[65];
	unsigned char *sig;
	size_t n;
	sqlite3_stmt *s;
	int r = -EIO;

	if (!l->station || l->seq == 0)
		return -EINVAL;
	audit_hex(l->head, 32, h);
	snprintf(msg, sizeof(msg), "cetak-audit-checkpoint/1|%lld|%s|%lld", l->seq, h, at);
	if (signer_sign(l->station, msg, strlen(msg), &sig, &n) < 0)
		return -EIO;
	if (sqlite3_prepare_v2(l->db,
			       "INSERT OR REPLACE INTO checkpoints (seq, at, head, sig) "
			       "VALUES (?,?,?,?)",
			       -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, l->seq);
		sqlite3_bind_int64(s, 2, at);
		sqlite3_bind_blob(s, 3, l->head, 32, SQLITE_STATIC);
		sqlite3_bind_blob(s, 4, sig, (int)n, SQLITE_STATIC);
		r = sqlite3_step(s) == SQLITE_DONE ? 0 : -EIO;
		sqlite3_finalize(s);
	}
	free(sig);
	return r;
}

static char *
b64(const unsigned char *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* Write o as one canonical line; its SHA-256 (hex) into sha when given. */
static void
put_line(FILE *f, json_t *o, char sha[65])
{
	char *s = json_dumps(o, JSON_CANON);

	fprintf(f, "%s\n", s);
	if (sha) {
		uint8_t md[32];
		EVP_Digest(s, strlen(s), md, NULL, EVP_sha256(), NULL);
		audit_hex(md, 32, sha);
	}
	free(s);
	json_decref(o);
}

int
ledger_export_range(struct ledger *l, const char *station_name, long long at, long long from,
		    long max, FILE *f)
{
	sqlite3_stmt *ev, *cp;
	char h[65], msg[256];
	X509 *cert = signer_cert(l->station);
	BIO *mem = BIO_new(BIO_s_mem());
	BUF_MEM *bm;

	if (!l->station || !mem)
		return -EINVAL;
	PEM_write_bio_X509(mem, cert);
	BIO_get_mem_ptr(mem, &bm);
	json_t *hdr =
		json_pack("{s:s, s:s, s:I, s:s%}", "format", AUDIT_FORMAT, "station", station_name,
			  "exported", (json_int_t)at, "certificate", bm->data, bm->length);
	if (hdr && from > 1) /* a slice: the records from this seq on */
		json_object_set_new(hdr, "from", json_integer(from));
	char hdr_sha[65];
	put_line(f, hdr, hdr_sha);
	BIO_free(mem);
	long long last = max > 0 && from + max - 1 < l->seq ? from + max - 1 : l->seq;
	if (sqlite3_prepare_v2(l->db,
			       "SELECT seq, record, hash FROM events WHERE seq BETWEEN ? AND ? "
			       "ORDER BY seq",
			       -1, &ev, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
		    l->db,
		    "SELECT seq, at, head, sig FROM checkpoints WHERE seq BETWEEN ? AND ? "
		    "ORDER BY seq",
		    -1, &cp, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(ev, 1, from);
	sqlite3_bind_int64(ev, 2, last);
	sqlite3_bind_int64(cp, 1, from);
	sqlite3_bind_int64(cp, 2, last);
	int have_cp = sqlite3_step(cp) == SQLITE_ROW;
	long n_cp = 0;
	uint8_t prev[32] = { 0 }, end_head[32];
	if (from > 1 && ledger_hash_at(l, from - 1, prev) < 0) {
		sqlite3_finalize(ev);
		sqlite3_finalize(cp);
		return -EIO;
	}
	memcpy(end_head, prev, 32);
	while (sqlite3_step(ev) == SQLITE_ROW) {
		long long seq = sqlite3_column_int64(ev, 0);
		/* splice "hash" and "prev" into the canonical record, where sorted keys put
		 * them: "hash" before "job" (or "kind", always there), "prev" before
		 * "replaces", "ribbon" or "seq" */
		const char *rec = (const char *)sqlite3_column_text(ev, 1);
		const char *hpos = strstr(rec, ",\"job\":");
		if (!hpos)
			hpos = strstr(rec, ",\"kind\":");
		/* the first key that sorts after "prev" (quotes inside values are escaped,
		 * so these patterns only match keys) */
		const char *ppos = NULL;
		static const char *const after_prev[] = { ",\"replaces\":", ",\"ribbon\":",
							  ",\"seq\":" };
		for (size_t k = 0; k < sizeof(after_prev) / sizeof(after_prev[0]); k++) {
			const char *q = strstr(rec, after_prev[k]);
			if (q && (!ppos || q < ppos))
				ppos = q;
		}
		char ph[65];
		audit_hex(prev, 32, ph);
		audit_hex(sqlite3_column_blob(ev, 2), 32, h);
		if (!hpos || !ppos || ppos < hpos)
			return -EIO;
		fprintf(f, "%.*s,\"hash\":\"%s\"%.*s,\"prev\":\"%s\"%s\n", (int)(hpos - rec), rec,
			h, (int)(ppos - hpos), hpos, ph, ppos);
		memcpy(prev, sqlite3_column_blob(ev, 2), 32);
		memcpy(end_head, prev, 32);
		while (have_cp && sqlite3_column_int64(cp, 0) == seq) {
			char *sig = b64(sqlite3_column_blob(cp, 3),
					(size_t)sqlite3_column_bytes(cp, 3));
			audit_hex(sqlite3_column_blob(cp, 2), 32, h);
			put_line(f,
				 json_pack("{s:I, s:I, s:s, s:s}", "checkpoint", (json_int_t)seq,
					   "at", (json_int_t)sqlite3_column_int64(cp, 1), "head", h,
					   "sig", sig),
				 NULL);
			free(sig);
			n_cp++;
			have_cp = sqlite3_step(cp) == SQLITE_ROW;
		}
	}
	sqlite3_finalize(ev);
	sqlite3_finalize(cp);
	/* the end record is signed too, over the count, the head and the header line:
	 * a cut-off export or a changed header cannot pass */
	unsigned char *sig;
	size_t n;
	audit_hex(end_head, 32, h);
	snprintf(msg, sizeof(msg), "cetak-audit-export/1|%lld|%s|%lld|%ld|%s", last, h, at, n_cp,
		 hdr_sha);
	if (signer_sign(l->station, msg, strlen(msg), &sig, &n) < 0)
		return -EIO;
	char *s64 = b64(sig, n);
	put_line(f,
		 json_pack("{s:I, s:s, s:I, s:I, s:s}", "end", (json_int_t)last, "head", h, "at",
			   (json_int_t)at, "checkpoints", (json_int_t)n_cp, "sig", s64),
		 NULL);
	free(s64);
	free(sig);
	return fflush(f) == 0 ? 0 : -EIO;
}

int
ledger_export(struct ledger *l, const char *station_name, long long at, FILE *f)
{
	return ledger_export_range(l, station_name, at, 1, 0, f);
}

sqlite3 *
ledger_sqlite(struct ledger *l)
{
	return l->db;
}

long
ledger_used_since(struct ledger *l, long long since)
{
	sqlite3_stmt *s;
	long n = -1;

	if (sqlite3_prepare_v2(l->db,
			       "SELECT count(*) FROM events WHERE kind IN ('issue', 'spoil') "
			       "AND at >= ?",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, since);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

int
ledger_set_durable(struct ledger *l, int durable)
{
	return exec(l, durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF");
}
