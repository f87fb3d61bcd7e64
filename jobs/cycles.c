/*
 * cycles.c - the print line's durable intents (store.h, "card cycles"), and the
 * job events read back for the audit chain.
 *
 * Each write is one statement; the caller wraps it with job transitions in
 * one transaction (store_begin/store_commit) when both must change together.
 * The job store runs with synchronous=FULL, so a committed step is on disk
 * before the physical step it announces starts.
 */
#define _GNU_SOURCE
#include "store.h"
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CYCLE_COLS "id, job_id, line, step, cause, chip, outcome, note, started_at, updated_at"

static void
text(sqlite3_stmt *s, int col, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(out, len, "%s", t ? (const char *)t : "");
}

static void
read_cycle(sqlite3_stmt *s, struct cycle_row *c)
{
	c->id = sqlite3_column_int64(s, 0);
	text(s, 1, c->job_id, sizeof(c->job_id));
	text(s, 2, c->line, sizeof(c->line));
	text(s, 3, c->step, sizeof(c->step));
	text(s, 4, c->cause, sizeof(c->cause));
	text(s, 5, c->chip, sizeof(c->chip));
	text(s, 6, c->outcome, sizeof(c->outcome));
	text(s, 7, c->note, sizeof(c->note));
	c->started_at = sqlite3_column_int64(s, 8);
	c->updated_at = sqlite3_column_int64(s, 9);
}

/* Run sql (already formatted by sqlite3_mprintf, freed here); one change expected. */
static int
write1(struct store *st, char *sql)
{
	sqlite3 *db = store_sqlite(st);
	int r;

	if (!sql)
		return -ENOMEM;
	r = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
	sqlite3_free(sql);
	if (r == 0 && sqlite3_changes(db) != 1)
		r = -ENOENT;
	return r;
}

int
store_cycle_open(struct store *st, const char *job_id, const char *line, long long now,
		 long long *ret_id)
{
	int r = write1(st, sqlite3_mprintf("INSERT INTO cycles (job_id, line, step, started_at, "
					   "updated_at) VALUES (%Q, %Q, 'feed', %lld, %lld)",
					   job_id, line, now, now));

	if (r == 0 && ret_id)
		*ret_id = sqlite3_last_insert_rowid(store_sqlite(st));
	return r;
}

int
store_cycle_step(struct store *st, long long id, const char *step, const char *cause,
		 const char *chip, const char *note, long long now)
{
	return write1(st,
		      sqlite3_mprintf("UPDATE cycles SET step = %Q, cause = coalesce(%Q, "
				      "cause), chip = coalesce(%Q, chip), note = coalesce(%Q, "
				      "note), updated_at = %lld WHERE id = %lld AND outcome = ''",
				      step, cause, chip, note, now, id));
}

int
store_cycle_close(struct store *st, long long id, const char *outcome, const char *note,
		  long long now)
{
	return write1(st, sqlite3_mprintf("UPDATE cycles SET outcome = %Q, note = %Q, "
					  "updated_at = %lld WHERE id = %lld AND outcome = ''",
					  outcome, note ? note : "", now, id));
}

/* The first row of sql into ret; -ENOENT when none. */
static int
select1(struct store *st, char *sql, struct cycle_row *ret)
{
	sqlite3_stmt *s;
	int rc, r = -ENOENT;

	if (!sql)
		return -ENOMEM;
	rc = sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		read_cycle(s, ret);
		r = 0;
	} else if (rc != SQLITE_DONE) {
		r = -EIO;
	}
	sqlite3_finalize(s);
	return r;
}

int
store_cycle_on_line(struct store *st, const char *line, struct cycle_row *ret)
{
	return select1(st,
		       sqlite3_mprintf("SELECT " CYCLE_COLS " FROM cycles WHERE outcome = "
				       "'' AND line = %Q ORDER BY id LIMIT 1",
				       line),
		       ret);
}

int
store_cycle_of_job(struct store *st, const char *job_id, unsigned open_only, struct cycle_row *ret)
{
	return select1(st,
		       sqlite3_mprintf("SELECT " CYCLE_COLS " FROM cycles WHERE job_id = %Q"
				       "%s ORDER BY id DESC LIMIT 1",
				       job_id, open_only ? " AND outcome = ''" : ""),
		       ret);
}

int
store_cycle_failures(struct store *st, const char *job_id, bool counted_only, long *ret)
{
	char *sql = sqlite3_mprintf("SELECT count(*) FROM cycles WHERE job_id = %Q AND outcome = "
				    "'spoiled'%s",
				    job_id,
				    counted_only ? " AND cause IN "
						   "('gagal_encode', 'gagal_cetak')"
						 : "");
	sqlite3_stmt *s;
	int r = -EIO;

	if (!sql)
		return -ENOMEM;
	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW) {
			*ret = (long)sqlite3_column_int64(s, 0);
			r = 0;
		}
		sqlite3_finalize(s);
	}
	sqlite3_free(sql);
	return r;
}

int
store_cycle_list(struct store *st, const char *job_id, store_cycle_cb cb, void *ctx)
{
	char *sql = job_id ? sqlite3_mprintf("SELECT " CYCLE_COLS " FROM cycles WHERE job_id = "
					     "%Q ORDER BY id",
					     job_id)
			   : sqlite3_mprintf("SELECT " CYCLE_COLS " FROM cycles WHERE outcome = "
					     "'' ORDER BY id");
	sqlite3_stmt *s;
	struct cycle_row row;
	int rc, r = 0;

	if (!sql)
		return -ENOMEM;
	rc = sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return -EIO;
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_cycle(s, &row);
		r = cb(&row, ctx);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = -EIO;
	sqlite3_finalize(s);
	return r;
}

int
store_events_since(struct store *st, long long after, int limit, store_audit_cb cb, void *ctx)
{
	sqlite3_stmt *s;
	int n = 0, rc, r = 0;

	if (sqlite3_prepare_v2(
		    store_sqlite(st),
		    "SELECT e.seq, j.job_id, e.at, e.from_state, e.to_state, e.reason, "
		    "e.actor FROM job_events e JOIN jobs j ON j.id = e.job WHERE e.seq > ? "
		    "ORDER BY e.seq LIMIT ?",
		    -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int(s, 2, limit);
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		r = cb(sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
		       sqlite3_column_int64(s, 2), (const char *)sqlite3_column_text(s, 3),
		       (const char *)sqlite3_column_text(s, 4),
		       (const char *)sqlite3_column_text(s, 5),
		       (const char *)sqlite3_column_text(s, 6), ctx);
		n++;
	}
	sqlite3_finalize(s);
	return r < 0 ? r : n;
}

int
store_last_event(struct store *st, long long *ret_seq, long long *ret_jobs)
{
	sqlite3_stmt *s;
	int r = -EIO;

	if (sqlite3_prepare_v2(store_sqlite(st),
			       "SELECT (SELECT coalesce(max(seq), 0) FROM "
			       "job_events), (SELECT count(*) FROM jobs)",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*ret_seq = sqlite3_column_int64(s, 0);
		*ret_jobs = sqlite3_column_int64(s, 1);
		r = 0;
	}
	sqlite3_finalize(s);
	return r;
}

int
store_ledger_seen(struct store *st, long long *ret_seq, uint8_t ret_hash[32])
{
	sqlite3_stmt *s;
	int r = -ENOENT, rc;

	if (sqlite3_prepare_v2(store_sqlite(st), "SELECT seq, hash FROM ledger_seen WHERE id = 1",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 1) == 32) {
		*ret_seq = sqlite3_column_int64(s, 0);
		memcpy(ret_hash, sqlite3_column_blob(s, 1), 32);
		r = 0;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = -EIO;
	}
	sqlite3_finalize(s);
	return r;
}

int
store_set_ledger_seen(struct store *st, long long seq, const uint8_t hash[32])
{
	sqlite3_stmt *s;
	int r = -EIO;

	if (sqlite3_prepare_v2(store_sqlite(st),
			       "INSERT OR REPLACE INTO ledger_seen (id, seq, hash) "
			       "VALUES (1, ?, ?)",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_blob(s, 2, hash, 32, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_DONE)
		r = 0;
	sqlite3_finalize(s);
	return r;
}
