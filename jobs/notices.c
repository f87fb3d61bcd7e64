/*
 * notices.c - SMS notices of stored cards in the job store (custody.h).
 *
 * A notice is a row before it is a file: store_notice_add() is the durable
 * intent, written and committed before the message goes to gammu-smsd, and
 * store_notice_settle() records what gammu did with it. A card has at most
 * one notice queued: it is due again (custody.next_notice_at) only once
 * that one is settled.
 */
#define _GNU_SOURCE
#include "custody.h"
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct due_cb {
	store_notice_due_cb cb;
	void *ctx;
};

static int
each_due(sqlite3_stmt *s, void *ctx)
{
	struct due_cb *dc = ctx;
	struct notice_due d;

	store_text(s, 0, d.job_id, sizeof(d.job_id));
	store_text(s, 1, d.name, sizeof(d.name));
	store_text(s, 2, d.phone, sizeof(d.phone));
	d.notices = sqlite3_column_int(s, 3);
	return dc->cb(&d, dc->ctx);
}

int
store_notice_due(struct store *st, long long now, int limit, store_notice_due_cb cb, void *ctx)
{
	struct due_cb dc = { cb, ctx };

	return store_query(
		st,
		sqlite3_mprintf(
			"SELECT c.job_id, j.name, coalesce(json_extract(CAST(b.body AS "
			"TEXT), '$.contact.phone'), ''), c.notices FROM custody c JOIN jobs "
			"j ON j.job_id = c.job_id LEFT JOIN job_bodies b ON b.id = j.id "
			"WHERE c.next_notice_at > 0 AND c.next_notice_at <= %lld AND "
			"c.state = 'stored' ORDER BY c.next_notice_at, c.job_id LIMIT %d",
			now, limit),
		each_due, &dc);
}

int
store_notice_add(struct store *st, const char *job_id, int n, long long now, long long *ret_id)
{
	int r;

	if ((r = store_exec(st, sqlite3_mprintf("INSERT INTO notices (job_id, n, state, "
						"queued_at) VALUES (%Q, %d, 'queued', %lld)",
						job_id, n, now))) < 0)
		return r;
	*ret_id = sqlite3_last_insert_rowid(store_sqlite(st));
	return store_exec(st, sqlite3_mprintf("UPDATE custody SET next_notice_at = 0 WHERE "
					      "job_id = %Q",
					      job_id));
}

int
store_notice_set_file(struct store *st, long long id, const char *file)
{
	return store_exec(
		st, sqlite3_mprintf("UPDATE notices SET file = %Q WHERE id = %lld", file, id));
}

int
store_notice_none(struct store *st, const char *job_id)
{
	return store_exec(st, sqlite3_mprintf("UPDATE custody SET next_notice_at = -1 WHERE "
					      "job_id = %Q",
					      job_id));
}

struct notice_cb {
	store_notice_cb cb;
	void *ctx;
};

static int
each_notice(sqlite3_stmt *s, void *ctx)
{
	struct notice_cb *nc = ctx;
	struct notice_row n;
	char card[16];

	n.id = sqlite3_column_int64(s, 0);
	store_text(s, 1, n.job_id, sizeof(n.job_id));
	n.n = sqlite3_column_int(s, 2);
	store_text(s, 3, n.state, sizeof(n.state));
	store_text(s, 4, n.file, sizeof(n.file));
	n.queued_at = sqlite3_column_int64(s, 5);
	n.done_at = sqlite3_column_int64(s, 6);
	store_text(s, 7, n.reason, sizeof(n.reason));
	store_text(s, 8, card, sizeof(card));
	n.card = (enum custody_state)custody_state_from_name(card);
	return nc->cb(&n, nc->ctx);
}

#define NOTICE_SELECT                                                                              \
	"SELECT n.id, n.job_id, n.n, n.state, n.file, n.queued_at, n.done_at, n.reason, "          \
	"coalesce(c.state, '') FROM notices n LEFT JOIN custody c ON c.job_id = n.job_id"

int
store_notice_open(struct store *st, int limit, store_notice_cb cb, void *ctx)
{
	struct notice_cb nc = { cb, ctx };

	return store_query(st,
			   sqlite3_mprintf(NOTICE_SELECT " WHERE n.state = 'queued' ORDER BY "
							 "n.id LIMIT %d",
					   limit),
			   each_notice, &nc);
}

int
store_notice_of(struct store *st, const char *job_id, store_notice_cb cb, void *ctx)
{
	struct notice_cb nc = { cb, ctx };

	return store_query(
		st, sqlite3_mprintf(NOTICE_SELECT " WHERE n.job_id = %Q ORDER BY n.id", job_id),
		each_notice, &nc);
}

int
store_notice_settle(struct store *st, long long id, const char *state, const char *reason,
		    long long now, long long next_at)
{
	sqlite3_stmt *s;
	char job_id[JOB_ID_MAX + 1] = "", card[16] = "", note[200];
	int n = 0, r;

	if (sqlite3_prepare_v2(store_sqlite(st),
			       "SELECT n.job_id, n.n, coalesce(c.state, '') FROM notices n LEFT "
			       "JOIN custody c ON c.job_id = n.job_id WHERE n.id = ?1 AND n.state "
			       "= 'queued'",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		store_text(s, 0, job_id, sizeof(job_id));
		n = sqlite3_column_int(s, 1);
		store_text(s, 2, card, sizeof(card));
	}
	sqlite3_finalize(s);
	if (!job_id[0])
		return -ENOENT;
	if ((r = store_exec(st, sqlite3_mprintf("UPDATE notices SET state = %Q, done_at = %lld, "
						"reason = %Q WHERE id = %lld",
						state, now, reason ? reason : "", id))) < 0)
		return r;
	if (strcmp(card, "stored") != 0)
		return 0; /* collected or moved meanwhile: nothing more is due */
	bool sent = strcmp(state, "sent") == 0;
	if ((r = store_exec(st, sqlite3_mprintf("UPDATE custody SET notices = notices + %d, "
						"last_notice_at = CASE WHEN %d THEN %lld ELSE "
						"last_notice_at END, next_notice_at = %lld WHERE "
						"job_id = %Q",
						sent, sent, now, next_at, job_id))) < 0)
		return r;
	if (reason && reason[0])
		snprintf(note, sizeof(note), "notice %d %s: %s", n, state, reason);
	else
		snprintf(note, sizeof(note), "notice %d %s", n, state);
	return store_exec(st,
			  sqlite3_mprintf("INSERT INTO custody_events (job_id, at, "
					  "from_state, to_state, place, doc, actor, note) "
					  "SELECT job_id, %lld, 'stored', 'stored', place, "
					  "'sms-%q-%lld', 'cetakd', %Q FROM custody WHERE job_id "
					  "= %Q",
					  now, state, id, note, job_id));
}

int
store_notice_counts(struct store *st, long long since, long ret[3])
{
	sqlite3_stmt *s;

	ret[0] = ret[1] = ret[2] = 0;
	if (sqlite3_prepare_v2(store_sqlite(st),
			       "SELECT sum(state = 'sent' AND done_at >= ?1), sum(state = 'failed' "
			       "AND done_at >= ?1), sum(state = 'queued') FROM notices",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, since);
	if (sqlite3_step(s) == SQLITE_ROW)
		for (int i = 0; i < 3; i++)
			ret[i] = (long)sqlite3_column_int64(s, i);
	sqlite3_finalize(s);
	return 0;
}
