/*
 * custody.c - custody records and events in the job store (custody.h).
 *
 * Each change is one transaction: the record updated only if its state is
 * one the caller allows, and one event appended. The job store runs with
 * synchronous=FULL, so a committed change is on disk when this returns.
 */
#define _GNU_SOURCE
#include "custody.h"
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ROW_COLS                                                                                   \
	"c.job_id, c.chip, j.nik, j.name, j.kind, c.state, c.place, c.doc, c.since, "              \
	"c.updated_at, c.notices, c.last_notice_at, c.collector, c.collector_id, c.relation, "     \
	"j.kecamatan, j.kel_desa"
#define ROW_FROM " FROM custody c JOIN jobs j ON j.job_id = c.job_id"

static void
text(sqlite3_stmt *s, int col, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(out, len, "%s", t ? (const char *)t : "");
}

static void
read_row(sqlite3_stmt *s, struct custody_row *c)
{
	char state[16];

	memset(c, 0, sizeof(*c));
	text(s, 0, c->job_id, sizeof(c->job_id));
	text(s, 1, c->chip, sizeof(c->chip));
	text(s, 2, c->nik, sizeof(c->nik));
	text(s, 3, c->name, sizeof(c->name));
	c->kind = sqlite3_column_int(s, 4);
	text(s, 5, state, sizeof(state));
	c->state = (enum custody_state)custody_state_from_name(state);
	text(s, 6, c->place, sizeof(c->place));
	text(s, 7, c->doc, sizeof(c->doc));
	c->since = sqlite3_column_int64(s, 8);
	c->updated_at = sqlite3_column_int64(s, 9);
	c->notices = sqlite3_column_int(s, 10);
	c->last_notice_at = sqlite3_column_int64(s, 11);
	text(s, 12, c->collector, sizeof(c->collector));
	text(s, 13, c->collector_id, sizeof(c->collector_id));
	text(s, 14, c->relation, sizeof(c->relation));
	text(s, 15, c->kecamatan, sizeof(c->kecamatan));
	text(s, 16, c->kel_desa, sizeof(c->kel_desa));
}

static int rows(struct store *st, char *sql, store_custody_cb cb, void *ctx);

static int
first_row(const struct custody_row *row, void *ctx)
{
	*(struct custody_row *)ctx = *row;
	return 1; /* one is enough */
}

/* One row of sql (sqlite3_mprintf'd, freed here) into *ret; -ENOENT when none. */
static int
one_row(struct store *st, char *sql, struct custody_row *ret)
{
	int r = rows(st, sql, first_row, ret);

	return r == 1 ? 0 : r == 0 ? -ENOENT : r;
}

static int
exec_sql(struct store *st, char *sql)
{
	int r;

	if (!sql)
		return -ENOMEM;
	r = sqlite3_exec(store_sqlite(st), sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
	sqlite3_free(sql);
	return r;
}

int
store_custody_get(struct store *st, const char *job_id, struct custody_row *ret)
{
	return one_row(st,
		       sqlite3_mprintf("SELECT " ROW_COLS ROW_FROM " WHERE c.job_id = %Q", job_id),
		       ret);
}

int
store_custody_by_chip(struct store *st, const char *chip, struct custody_row *ret)
{
	if (!chip || !chip[0])
		return -ENOENT;
	return one_row(st,
		       sqlite3_mprintf("SELECT " ROW_COLS ROW_FROM " WHERE c.chip = %Q "
				       "ORDER BY c.since DESC LIMIT 1",
				       chip),
		       ret);
}

static int
add_event(struct store *st, const char *job_id, const char *from, const char *to, const char *place,
	  const char *doc, const char *actor, const char *note, long long now)
{
	return exec_sql(st, sqlite3_mprintf("INSERT INTO custody_events (job_id, at, from_state, "
					    "to_state, place, doc, actor, note) VALUES (%Q, %lld, "
					    "%Q, %Q, %Q, %Q, %Q, %Q)",
					    job_id, now, from, to, place ? place : "",
					    doc ? doc : "", actor ? actor : "", note ? note : ""));
}

/*
 * One row in one table (WITHOUT ROWID, keyed by the job) and the chip index:
 * this runs in the transaction that issues a card, on the print line's
 * path, so it writes nothing more. The opening has no event of its own: the
 * record's `since` is it (store_custody_history shows it first).
 */
int
store_custody_open(struct store *st, long long job_rowid, long long now)
{
	/* the chip of the cycle that issued the card (closed in this transaction) */
	return exec_sql(
		st,
		sqlite3_mprintf("INSERT OR IGNORE INTO custody (job_id, chip, state, since, "
				"updated_at) SELECT j.job_id, coalesce((SELECT chip FROM cycles "
				"WHERE job_id = j.job_id AND outcome = 'issued' ORDER BY id DESC "
				"LIMIT 1), ''), 'issued', %lld, %lld FROM jobs j WHERE j.id = %lld",
				now, now, job_rowid));
}

int
store_custody_move(struct store *st, const struct custody_move *m, long long now,
		   struct custody_row *ret_row)
{
	struct custody_row row;
	int own = !store_in_tx(st), r;

	if (own && (r = store_begin(st)) < 0)
		return r;
	if ((r = store_custody_get(st, m->job_id, &row)) < 0)
		goto out;
	if (!(m->from_mask & CS_MASK(row.state))) {
		r = -EPERM;
		goto out;
	}
	const char *place = m->place ? m->place : row.place, *doc = m->doc ? m->doc : row.doc;
	char *sql = sqlite3_mprintf("UPDATE custody SET state = %Q, place = %Q, doc = %Q, "
				    "updated_at = %lld WHERE job_id = %Q",
				    custody_state_name(m->to), place, doc, now, m->job_id);
	if ((r = exec_sql(st, sql)) < 0)
		goto out;
	if (m->collector &&
	    (r = exec_sql(st, sqlite3_mprintf("UPDATE custody SET collector = %Q, collector_id = "
					      "%Q, relation = %Q WHERE job_id = %Q",
					      m->collector, m->collector_id ? m->collector_id : "",
					      m->relation ? m->relation : "", m->job_id))) < 0)
		goto out;
	if ((r = add_event(st, m->job_id, custody_state_name(row.state), custody_state_name(m->to),
			   place, doc, m->actor, m->note, now)) < 0)
		goto out;
	if (own && (r = store_commit(st)) < 0)
		goto out;
	if (ret_row)
		store_custody_get(st, m->job_id, ret_row);
	return 0;
out:
	if (ret_row && r == -EPERM)
		*ret_row = row;
	if (own)
		store_rollback(st);
	return r;
}

/* "'issued', 'stored'" for the states of mask; 0 when none. */
static size_t
state_list(unsigned mask, char *in, size_t len)
{
	size_t used = 0;

	in[0] = '\0';
	for (int i = 0; i < CS_COUNT; i++)
		if (mask & CS_MASK(i))
			used += (size_t)snprintf(in + used, len - used, "%s'%s'", used ? ", " : "",
						 custody_state_name(i));
	return used;
}

/*
 * Run sql (sqlite3_mprintf'd, freed here) and give each row to each(stmt,
 * ctx) until one returns non-zero; that value, or 0, or -errno.
 */
static int
query(struct store *st, char *sql, int (*each)(sqlite3_stmt *s, void *ctx), void *ctx)
{
	sqlite3_stmt *s;
	int r;

	if (!sql)
		return -ENOMEM;
	r = sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL);
	sqlite3_free(sql);
	if (r != SQLITE_OK)
		return -EIO;
	r = 0;
	while (r == 0 && sqlite3_step(s) == SQLITE_ROW)
		r = each(s, ctx);
	sqlite3_finalize(s);
	return r;
}

struct row_cb {
	store_custody_cb cb;
	void *ctx;
};

static int
each_row(sqlite3_stmt *s, void *ctx)
{
	struct row_cb *rc = ctx;
	struct custody_row row;

	read_row(s, &row);
	return rc->cb(&row, rc->ctx);
}

static int
rows(struct store *st, char *sql, store_custody_cb cb, void *ctx)
{
	struct row_cb rc = { cb, ctx };

	return query(st, sql, each_row, &rc);
}

int
store_custody_list(struct store *st, unsigned mask, const char *place, long limit,
		   store_custody_cb cb, void *ctx)
{
	char in[128];

	if (!state_list(mask, in, sizeof(in)))
		return 0;
	if (place && place[0])
		return rows(st,
			    sqlite3_mprintf("SELECT " ROW_COLS ROW_FROM " WHERE c.state IN (%s) "
					    "AND c.place = %Q ORDER BY c.since, c.job_id LIMIT %ld",
					    in, place, limit > 0 ? limit : -1L),
			    cb, ctx);
	return rows(st,
		    sqlite3_mprintf("SELECT " ROW_COLS ROW_FROM " WHERE c.state IN (%s) "
				    "ORDER BY c.since, c.job_id LIMIT %ld",
				    in, limit > 0 ? limit : -1L),
		    cb, ctx);
}

int
store_custody_by_nik(struct store *st, const char *nik, unsigned mask, store_custody_cb cb,
		     void *ctx)
{
	char in[128];

	if (!state_list(mask, in, sizeof(in)))
		return 0;
	return rows(st,
		    sqlite3_mprintf("SELECT " ROW_COLS ROW_FROM " WHERE j.nik = %Q AND c.state IN "
				    "(%s) ORDER BY c.since",
				    nik, in),
		    cb, ctx);
}

int
store_custody_counts(struct store *st, long ret[CS_COUNT])
{
	sqlite3_stmt *s;

	memset(ret, 0, sizeof(long) * CS_COUNT);
	if (sqlite3_prepare_v2(store_sqlite(st), "SELECT state, count(*) FROM custody GROUP BY 1",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	while (sqlite3_step(s) == SQLITE_ROW) {
		int k = custody_state_from_name((const char *)sqlite3_column_text(s, 0));
		if (k >= 0)
			ret[k] = (long)sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return 0;
}

struct event_cb {
	store_custody_event_cb cb;
	void *ctx;
	int n; /* events the callback took */
};

static int
each_event(sqlite3_stmt *s, void *ctx)
{
	struct event_cb *ec = ctx;
#define T(i) ((const char *)sqlite3_column_text(s, i))
	struct custody_event e = { .seq = sqlite3_column_int64(s, 0),
				   .job_id = T(1),
				   .chip = T(2),
				   .at = sqlite3_column_int64(s, 3),
				   .from = T(4),
				   .to = T(5),
				   .place = T(6),
				   .doc = T(7),
				   .actor = T(8),
				   .note = T(9) };
#undef T
	int r = ec->cb(&e, ec->ctx);

	if (r == 0)
		ec->n++;
	return r;
}

/* The count of events cb took, or -errno. */
static int
events(struct store *st, char *sql, store_custody_event_cb cb, void *ctx)
{
	struct event_cb ec = { cb, ctx, 0 };
	int r = query(st, sql, each_event, &ec);

	return r < 0 ? r : ec.n;
}

#define EVENT_SELECT                                                                               \
	"SELECT e.seq, e.job_id, coalesce(c.chip, ''), e.at, e.from_state, e.to_state, e.place, "  \
	"e.doc, e.actor, e.note FROM custody_events e LEFT JOIN custody c ON c.job_id = e.job_id"

int
store_custody_events_since(struct store *st, long long after, int limit, store_custody_event_cb cb,
			   void *ctx)
{
	return events(st,
		      sqlite3_mprintf(EVENT_SELECT " WHERE e.seq > %lld ORDER BY e.seq LIMIT %d",
				      after, limit),
		      cb, ctx);
}

int
store_custody_history(struct store *st, const char *job_id, store_custody_event_cb cb, void *ctx)
{
	struct custody_row c;
	int r = store_custody_get(st, job_id, &c);

	if (r < 0)
		return r;
	/* the opening, from the record itself */
	struct custody_event open = { .seq = 0,
				      .job_id = c.job_id,
				      .chip = c.chip,
				      .from = "",
				      .to = "issued",
				      .place = "",
				      .doc = "",
				      .actor = "cetakd",
				      .note = "printed",
				      .at = c.since };
	if ((r = cb(&open, ctx)) != 0)
		return r;
	r = events(st, sqlite3_mprintf(EVENT_SELECT " WHERE e.job_id = %Q ORDER BY e.seq", job_id),
		   cb, ctx);
	return r < 0 ? r : 0;
}

int
store_custody_last_event(struct store *st, long long *ret_seq)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(store_sqlite(st), "SELECT coalesce(max(seq), 0) FROM custody_events",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	*ret_seq = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return 0;
}
