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
	"j.kecamatan, j.kel_desa, c.next_notice_at"
#define ROW_FROM " FROM custody c JOIN jobs j ON j.job_id = c.job_id"

void
store_text(sqlite3_stmt *s, int col, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(out, len, "%s", t ? (const char *)t : "");
}

static void
read_row(sqlite3_stmt *s, struct custody_row *c)
{
	char state[16];

	memset(c, 0, sizeof(*c));
	store_text(s, 0, c->job_id, sizeof(c->job_id));
	store_text(s, 1, c->chip, sizeof(c->chip));
	store_text(s, 2, c->nik, sizeof(c->nik));
	store_text(s, 3, c->name, sizeof(c->name));
	c->kind = sqlite3_column_int(s, 4);
	store_text(s, 5, state, sizeof(state));
	c->state = (enum custody_state)custody_state_from_name(state);
	store_text(s, 6, c->place, sizeof(c->place));
	store_text(s, 7, c->doc, sizeof(c->doc));
	c->since = sqlite3_column_int64(s, 8);
	c->updated_at = sqlite3_column_int64(s, 9);
	c->notices = sqlite3_column_int(s, 10);
	c->last_notice_at = sqlite3_column_int64(s, 11);
	store_text(s, 12, c->collector, sizeof(c->collector));
	store_text(s, 13, c->collector_id, sizeof(c->collector_id));
	store_text(s, 14, c->relation, sizeof(c->relation));
	store_text(s, 15, c->kecamatan, sizeof(c->kecamatan));
	store_text(s, 16, c->kel_desa, sizeof(c->kel_desa));
	c->next_notice_at = sqlite3_column_int64(s, 17);
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

int
store_exec(struct store *st, char *sql)
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
	return store_exec(st,
			  sqlite3_mprintf("INSERT INTO custody_events (job_id, at, from_state, "
					  "to_state, place, doc, actor, note) VALUES (%Q, %lld, "
					  "%Q, %Q, %Q, %Q, %Q, %Q)",
					  job_id, now, from, to, place ? place : "", doc ? doc : "",
					  actor ? actor : "", note ? note : ""));
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
	return store_exec(
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
	/* a card put away is due for its first notice; one that leaves the shelf for none */
	int keep = m->to == CS_STORED && row.state == CS_STORED;
	long long next = m->to == CS_STORED ? now : 0;
	char *sql =
		sqlite3_mprintf("UPDATE custody SET state = %Q, place = %Q, doc = %Q, "
				"updated_at = %lld, next_notice_at = CASE WHEN %d THEN "
				"next_notice_at ELSE %lld END WHERE job_id = %Q",
				custody_state_name(m->to), place, doc, now, keep, next, m->job_id);
	if ((r = store_exec(st, sql)) < 0)
		goto out;
	if (m->collector &&
	    (r = store_exec(st,
			    sqlite3_mprintf("UPDATE custody SET collector = %Q, collector_id = "
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

int
store_query(struct store *st, char *sql, int (*each)(sqlite3_stmt *s, void *ctx), void *ctx)
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

	return store_query(st, sql, each_row, &rc);
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
store_custody_held(struct store *st, store_custody_cb cb, void *ctx)
{
	/* in the table's order: a report over every card needs no sort */
	return rows(st,
		    sqlite3_mprintf("SELECT " ROW_COLS ROW_FROM
				    " WHERE c.state IN ('issued', 'stored')"),
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
	int r = store_query(st, sql, each_event, &ec);

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

int
store_transfer_batch(struct store *st, const char *doc, const char *kecamatan,
		     const char *const *cards, size_t n, const char *actor, long long now)
{
	char note[160];
	int r;

	if ((r = store_begin(st)) < 0)
		return r;
	r = store_exec(st, sqlite3_mprintf("INSERT INTO transfer_batches (doc, kecamatan, at, "
					   "actor, cards) VALUES (%Q, %Q, %lld, %Q, %lld)",
					   doc, kecamatan, now, actor, (long long)n));
	if (r < 0) {
		bool dup =
			sqlite3_extended_errcode(store_sqlite(st)) == SQLITE_CONSTRAINT_PRIMARYKEY;
		store_rollback(st);
		return dup ? -EEXIST : r;
	}
	snprintf(note, sizeof(note), "transfer batch %s to kecamatan %s", doc, kecamatan);
	for (size_t i = 0; i < n && r == 0; i++) {
		struct custody_move m = { .job_id = cards[i],
					  .from_mask = CS_MASK(CS_STORED),
					  .to = CS_TRANSFERRED,
					  .place = "",
					  .doc = doc,
					  .actor = actor,
					  .note = note };
		r = store_custody_move(st, &m, now, NULL);
	}
	if (r == 0)
		return store_commit(st);
	store_rollback(st);
	return r;
}

int
store_transfer_batches_on(struct store *st, long long now, int *ret_n)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(store_sqlite(st),
			       "SELECT count(*) FROM transfer_batches WHERE date(at, 'unixepoch', "
			       "'localtime') = date(?1, 'unixepoch', 'localtime')",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, now);
	*ret_n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	return 0;
}

struct batch_cb {
	store_batch_cb cb;
	void *ctx;
};

static int
each_batch(sqlite3_stmt *s, void *ctx)
{
	struct batch_cb *bc = ctx;
	struct transfer_batch b = { .doc = (const char *)sqlite3_column_text(s, 0),
				    .kecamatan = (const char *)sqlite3_column_text(s, 1),
				    .at = sqlite3_column_int64(s, 2),
				    .actor = (const char *)sqlite3_column_text(s, 3),
				    .cards = sqlite3_column_int(s, 4) };

	return bc->cb(&b, bc->ctx);
}

int
store_transfer_batches(struct store *st, const char *doc, int limit, store_batch_cb cb, void *ctx)
{
	struct batch_cb bc = { cb, ctx };

	return store_query(st,
			   sqlite3_mprintf("SELECT doc, kecamatan, at, actor, cards FROM "
					   "transfer_batches WHERE %Q IS NULL OR doc = %Q ORDER BY "
					   "at DESC, doc LIMIT %d",
					   doc, doc, limit),
			   each_batch, &bc);
}

struct batch_card_cb {
	store_batch_card_cb cb;
	void *ctx;
};

static int
each_batch_card(sqlite3_stmt *s, void *ctx)
{
	struct batch_card_cb *bc = ctx;
#define T(i) ((const char *)sqlite3_column_text(s, i))
	struct batch_card c = { T(0), T(1), T(2), T(3), T(4), T(5), T(6), T(7) };
#undef T
	return bc->cb(&c, bc->ctx);
}

int
store_batch_cards(struct store *st, const char *doc, store_batch_card_cb cb, void *ctx)
{
	struct batch_card_cb bc = { cb, ctx };
#define ADDR(k) "coalesce(json_extract(CAST(b.body AS TEXT), '$.holder.address." k "'), '')"
	return store_query(
		st,
		sqlite3_mprintf(
			"SELECT c.job_id, c.chip, j.name, " ADDR("street") ", " ADDR(
				"rt") ", " ADDR("rw") ", j.kel_desa, j.kecamatan "
						      "FROM custody c JOIN jobs j ON j.job_id = "
						      "c.job_id LEFT "
						      "JOIN job_bodies b ON b.id = j.id WHERE "
						      "c.doc = %Q "
						      "ORDER BY j.kel_desa, j.name, c.job_id",
			doc),
		each_batch_card, &bc);
#undef ADDR
}

struct day_cb {
	store_day_cb cb;
	void *ctx;
};

static int
each_day(sqlite3_stmt *s, void *ctx)
{
	struct day_cb *dc = ctx;

	return dc->cb((const char *)sqlite3_column_text(s, 0), (long)sqlite3_column_int64(s, 1),
		      dc->ctx);
}

int
store_custody_per_day(struct store *st, enum custody_state to, long long since, store_day_cb cb,
		      void *ctx)
{
	struct day_cb dc = { cb, ctx };

	return store_query(st,
			   sqlite3_mprintf("SELECT date(at, 'unixepoch', 'localtime'), count(*) "
					   "FROM custody_events WHERE to_state = %Q AND from_state "
					   "!= to_state AND at >= %lld GROUP BY 1 ORDER BY 1",
					   custody_state_name(to), since),
			   each_day, &dc);
}
