/*
 * privacy.c - personal data kept no longer than needed (privacy.h).
 */
#define _GNU_SOURCE
#include "privacy.h"
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The jobs whose purpose is fulfilled since before cutoff, still holding data. */
#define FULFILLED(cutoff)                                                                          \
	"SELECT j.id FROM jobs j LEFT JOIN custody c ON c.job_id = j.job_id WHERE "                \
	"j.purged_at = 0 AND ((j.state = 'done' AND c.state IN ('collected', 'transferred', "      \
	"'withdrawn', 'destroyed') AND c.updated_at <= " cutoff ") OR (j.state = 'cancelled' "     \
	"AND j.updated_at <= " cutoff "))"

int
store_purge_personal(struct store *st, long long now, int days, int limit)
{
	long long cutoff = now - (long long)days * 86400;
	int r, n;

	if ((r = store_begin(st)) < 0)
		return r;
	if ((r = store_exec(st,
			    sqlite3_mprintf("CREATE TEMP TABLE IF NOT EXISTS purge_ids (id "
					    "INTEGER PRIMARY KEY); DELETE FROM purge_ids; "
					    "INSERT INTO purge_ids " FULFILLED("%lld") " LIMIT %d",
					    cutoff, cutoff, limit))) < 0)
		goto fail;
	n = sqlite3_changes(store_sqlite(st));
	if (n == 0) {
		store_rollback(st);
		return 0;
	}
	if ((r = store_exec(
		     st,
		     sqlite3_mprintf(
			     "UPDATE job_bodies SET body = CAST(json_remove(CAST(body "
			     "AS TEXT), '$.photo', '$.signature', '$.fingerprints', "
			     "'$.contact') AS BLOB) WHERE id IN (SELECT id FROM purge_ids) "
			     "AND json_valid(CAST(body AS TEXT)); UPDATE notices SET file = '' "
			     "WHERE "
			     "state != 'queued' AND job_id IN (SELECT job_id FROM jobs WHERE id IN "
			     "(SELECT id FROM purge_ids)); UPDATE jobs SET purged_at "
			     "= %lld WHERE id IN (SELECT id FROM purge_ids); DELETE FROM "
			     "purge_ids",
			     now))) < 0)
		goto fail;
	if ((r = store_commit(st)) < 0)
		return r;
	/* the old pages' copies in the write-ahead log go too */
	sqlite3_wal_checkpoint_v2(store_sqlite(st), NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	return n;
fail:
	store_rollback(st);
	return r;
}

static long long
one_int(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;

	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

int
store_reclaim(struct store *st)
{
	long long free_pages = one_int(st, "PRAGMA freelist_count"),
		  pages = one_int(st, "PRAGMA page_count");

	if (free_pages < 0 || pages < 0)
		return -EIO;
	if (free_pages * 4 <= pages)
		return 0;
	if (sqlite3_exec(store_sqlite(st), "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_wal_checkpoint_v2(store_sqlite(st), NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	return 1;
}

int
store_privacy_held(struct store *st, long long now, int days, struct privacy_held *h)
{
	sqlite3_stmt *s;
	char *sql;

	memset(h, 0, sizeof(*h));
	sql = sqlite3_mprintf(
		"SELECT sum(j.purged_at = 0 AND j.state NOT IN ('done', 'cancelled')), "
		"sum(j.purged_at = 0 AND j.state = 'done' AND c.state IN ('issued', 'stored')), "
		"sum(j.purged_at = 0 AND ((j.state = 'done' AND c.state NOT IN ('issued', "
		"'stored')) OR j.state = 'cancelled')), "
		"min(CASE WHEN j.purged_at = 0 AND j.state = 'done' AND c.state NOT IN ('issued', "
		"'stored') THEN c.updated_at WHEN j.purged_at = 0 AND j.state = 'cancelled' THEN "
		"j.updated_at END), "
		"sum(j.purged_at > 0), "
		"sum(j.purged_at = 0 AND json_extract(CAST(b.body AS TEXT), '$.contact.phone') IS "
		"NOT NULL), "
		"min(CASE WHEN j.purged_at = 0 THEN j.received_at END), "
		"sum(CASE WHEN j.purged_at = 0 THEN length(b.body) ELSE 0 END) "
		"FROM jobs j LEFT JOIN custody c ON c.job_id = j.job_id LEFT JOIN job_bodies b ON "
		"b.id = j.id");
	if (!sql)
		return -ENOMEM;
	int r = sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL);
	sqlite3_free(sql);
	if (r != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW) {
		h->waiting = (long)sqlite3_column_int64(s, 0);
		h->in_custody = (long)sqlite3_column_int64(s, 1);
		h->retention = (long)sqlite3_column_int64(s, 2);
		long long oldest_fulfilled = sqlite3_column_int64(s, 3);
		h->next_purge = oldest_fulfilled ? oldest_fulfilled + (long long)days * 86400 : 0;
		if (h->next_purge && h->next_purge < now)
			h->next_purge = now; /* due at the next purge */
		h->purged = (long)sqlite3_column_int64(s, 4);
		h->with_phone = (long)sqlite3_column_int64(s, 5);
		h->oldest = sqlite3_column_int64(s, 6);
		h->bytes = sqlite3_column_int64(s, 7);
	}
	sqlite3_finalize(s);
	return 0;
}

int
store_purged_at(struct store *st, const char *job_id, long long *ret)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(store_sqlite(st), "SELECT purged_at FROM jobs WHERE job_id = ?1", -1,
			       &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(s, 1, job_id, -1, SQLITE_STATIC);
	int r = sqlite3_step(s) == SQLITE_ROW ? 0 : -ENOENT;
	*ret = r == 0 ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return r;
}
