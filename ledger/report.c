/*
 * report.c - stock reports for supervisors: one period of the ledger as
 * opening balance, movements, closing balance, spoiled cards by cause, per
 * line and per operator, stocktake discrepancies, the destruction list and
 * the destruction batches.
 *
 * Opening and closing balances come from the balance stored with each event
 * (one index lookup each), the movements from one grouped scan of the period,
 * so a monthly report costs the month's events, not the ledger's history.
 */
#include "report.h"
#include "jobs/custody_state.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static const char *
col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? (const char *)t : "";
}

/* on hand and spoiled-not-destroyed just before t */
static int
balance_before(sqlite3 *db, long long t, json_t **ret)
{
	sqlite3_stmt *s;
	long long on_hand = 0, pending = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT on_hand, pending FROM events WHERE at < ? "
			       "ORDER BY at DESC, seq DESC LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, t);
	if (sqlite3_step(s) == SQLITE_ROW) {
		on_hand = sqlite3_column_int64(s, 0);
		pending = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	*ret = json_pack("{s:I, s:I}", "on_hand", (json_int_t)on_hand, "spoiled_pending",
			 (json_int_t)pending);
	return 0;
}

static void
add(json_t *o, const char *key, json_int_t n)
{
	json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + n));
}

static json_t *
member(json_t *o, const char *key)
{
	json_t *m = json_object_get(o, key);

	if (!m) {
		m = json_object();
		json_object_set_new(o, key, m);
	}
	return m;
}

static json_t *
empty_causes(void)
{
	json_t *c = json_object();

	for (int i = 0; i < CAUSE_COUNT; i++)
		json_object_set_new(c, ledger_cause_name(i), json_integer(0));
	return c;
}

/* The movements of the period, grouped by kind, line, cause and operator. */
static int
movements(sqlite3 *db, const struct report_query *q, json_t *rep)
{
	static const char *const kinds[] = { "receive",	  "received",	 "load",    "loaded",
					     "issue",	  "issued",	 "spoil",   "spoiled",
					     "transfer",  "transferred", "destroy", "destroyed",
					     "stocktake", "stocktakes",	 NULL };
	json_t *tot = json_object_get(rep, "totals"), *lines = json_object_get(rep, "lines"),
	       *ops = json_object_get(rep, "operators"), *bc = json_object_get(rep, "by_cause");
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db,
			       "SELECT kind, json_extract(record, '$.line'),"
			       " json_extract(record, '$.cause'), json_extract(record, '$.actor'),"
			       " count(*), total(json_extract(record, '$.count'))"
			       " FROM events WHERE at >= ? AND at < ? GROUP BY 1, 2, 3, 4"
			       " ORDER BY 1, 2, 3, 4",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, q->from);
	sqlite3_bind_int64(s, 2, q->to);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *kind = col(s, 0), *line = col(s, 1), *cause = col(s, 2),
			   *actor = col(s, 3);
		int per_card = !strcmp(kind, "issue") || !strcmp(kind, "spoil");
		json_int_t n = per_card ? sqlite3_column_int64(s, 4)
					: (json_int_t)sqlite3_column_double(s, 5);
		const char *name = NULL;

		if (!strcmp(kind, "take"))
			continue; /* a take is followed by its issue or spoil */
		if (q->line && line[0] && strcmp(q->line, line))
			continue;
		for (int i = 0; kinds[i]; i += 2)
			if (!strcmp(kinds[i], kind))
				name = kinds[i + 1];
		if (!name)
			continue;
		if (!strcmp(kind, "stocktake"))
			n = sqlite3_column_int64(s, 4); /* differences are listed separately */
		add(tot, name, n);
		if (!strcmp(kind, "spoil"))
			add(bc, cause, n);
		if (line[0] && (per_card || !strcmp(kind, "load"))) {
			json_t *l = member(lines, line);
			add(l, name, n);
			if (!strcmp(kind, "spoil"))
				add(member(l, "by_cause"), cause, n);
		}
		add(member(ops, actor[0] ? actor : "-"), name, n);
	}
	sqlite3_finalize(s);
	return 0;
}

/* Stocktakes that differed from the books: the difference and the reason. */
static int
discrepancies(sqlite3 *db, const struct report_query *q, json_t *rep)
{
	json_t *arr = json_object_get(rep, "discrepancies");
	sqlite3_stmt *s;
	json_int_t sum = 0;

	if (sqlite3_prepare_v2(
		    db,
		    "SELECT e.at, e.on_hand - coalesce((SELECT p.on_hand FROM events"
		    " p WHERE p.seq < e.seq ORDER BY p.seq DESC LIMIT 1), 0),"
		    " json_extract(e.record, '$.note'), json_extract(e.record, '$.actor'),"
		    " json_extract(e.record, '$.count'), e.seq"
		    " FROM events e WHERE e.kind = 'stocktake' AND e.at >= ? AND e.at < ?"
		    " ORDER BY e.seq",
		    -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, q->from);
	sqlite3_bind_int64(s, 2, q->to);
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_int_t diff = sqlite3_column_int64(s, 1);
		if (!diff)
			continue;
		sum += diff;
		json_array_append_new(
			arr, json_pack("{s:I, s:I, s:I, s:I, s:s, s:s}", "seq",
				       (json_int_t)sqlite3_column_int64(s, 5), "at",
				       (json_int_t)sqlite3_column_int64(s, 0), "counted",
				       (json_int_t)sqlite3_column_int64(s, 4), "difference", diff,
				       "reason", col(s, 2), "operator", col(s, 3)));
	}
	sqlite3_finalize(s);
	json_object_set_new(json_object_get(rep, "totals"), "discrepancy", json_integer(sum));
	return 0;
}

/* Records of one kind in the period, with the named fields. */
static int
listing(sqlite3 *db, const struct report_query *q, const char *kind, const char *const *fields,
	json_t *arr)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db,
			       "SELECT seq, at, record FROM events WHERE kind = ? AND at >= ?"
			       " AND at < ? ORDER BY seq",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, q->from);
	sqlite3_bind_int64(s, 3, q->to);
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *r = json_loads(col(s, 2), 0, NULL), *o;
		const char *line = json_string_value(json_object_get(r, "line"));
		if (!r || (q->line && line && strcmp(q->line, line))) {
			json_decref(r);
			continue;
		}
		o = json_pack("{s:I, s:I}", "seq", (json_int_t)sqlite3_column_int64(s, 0), "at",
			      (json_int_t)sqlite3_column_int64(s, 1));
		for (int i = 0; fields[i]; i++) {
			json_t *v = json_object_get(r, fields[i]);
			json_object_set_new(o, !strcmp(fields[i], "actor") ? "operator" : fields[i],
					    v ? json_incref(v) : json_string(""));
		}
		json_array_append_new(arr, o);
		json_decref(r);
	}
	sqlite3_finalize(s);
	return 0;
}

/* Cards used (issued, spoiled) per day of the period, for the chart. */
static int
per_day(sqlite3 *db, const struct report_query *q, json_t *rep)
{
	json_t *days = json_array();
	long long n = (q->to - q->from + 86399) / 86400;
	sqlite3_stmt *s;

	if (n > 400)
		n = 400;
	for (long long i = 0; i < n; i++)
		json_array_append_new(days, json_pack("{s:I, s:i, s:i}", "at",
						      (json_int_t)(q->from + i * 86400), "issued",
						      0, "spoiled", 0));
	json_object_set_new(rep, "days", days);
	if (sqlite3_prepare_v2(db,
			       "SELECT (at - ?1) / 86400, kind, json_extract(record, '$.line'),"
			       " count(*) FROM events WHERE kind IN ('issue', 'spoil')"
			       " AND at >= ?1 AND at < ?2 GROUP BY 1, 2, 3",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, q->from);
	sqlite3_bind_int64(s, 2, q->to);
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *d = json_array_get(days, (size_t)sqlite3_column_int64(s, 0));
		const char *line = col(s, 2);
		if (!d || (q->line && strcmp(q->line, line)))
			continue;
		add(d, !strcmp(col(s, 1), "issue") ? "issued" : "spoiled",
		    sqlite3_column_int64(s, 3));
	}
	sqlite3_finalize(s);
	return 0;
}

/* Cards in each custody state just before t: issued, then every change. */
static int
custody_before(sqlite3 *db, long long t, long n[CS_COUNT])
{
	sqlite3_stmt *s;

	memset(n, 0, sizeof(long) * CS_COUNT);
	if (sqlite3_prepare_v2(db,
			       "SELECT kind, json_extract(record, '$.from'), json_extract(record, "
			       "'$.to'), count(*) FROM events WHERE kind IN ('issue', 'custody') "
			       "AND at < ? GROUP BY 1, 2, 3",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, t);
	while (sqlite3_step(s) == SQLITE_ROW) {
		long c = (long)sqlite3_column_int64(s, 3);
		int from = custody_state_from_name(col(s, 1)),
		    to = custody_state_from_name(col(s, 2));
		if (!strcmp(col(s, 0), "issue")) {
			n[CS_ISSUED] += c;
		} else if (from >= 0 && to >= 0) {
			n[from] -= c;
			n[to] += c;
		}
	}
	sqlite3_finalize(s);
	return 0;
}

static json_t *
state_counts(const long n[CS_COUNT])
{
	json_t *o = json_object();

	for (int i = 0; i < CS_COUNT; i++)
		json_object_set_new(o, custody_state_name(i), json_integer(n[i]));
	return o;
}

/*
 * The custody of issued cards over the period, from the audit chain: the
 * cards in each state at the start and the end, the cards that reached
 * each state in the period, and the SMS notices recorded (custody events
 * from stored to stored, document sms-sent-N or sms-failed-N).
 */
static int
custody_section(sqlite3 *db, const struct report_query *q, json_t *rep)
{
	long open[CS_COUNT], close[CS_COUNT];
	json_t *moved = json_object(), *sec;
	json_int_t sent = 0, failed = 0, issued = 0;
	sqlite3_stmt *s;
	int r;

	if ((r = custody_before(db, q->from, open)) < 0)
		goto fail;
	/* the end: the start and the period's changes, not a second pass over history */
	memcpy(close, open, sizeof(close));
	for (int i = 0; i < CS_COUNT; i++)
		json_object_set_new(moved, custody_state_name(i), json_integer(0));
	r = -EIO;
	if (sqlite3_prepare_v2(
		    db,
		    "SELECT kind, json_extract(record, '$.from'), json_extract(record, "
		    "'$.to'), substr(json_extract(record, '$.doc'), 1, 9), count(*) FROM "
		    "events WHERE kind IN ('issue', 'custody') AND at >= ? AND at < ? "
		    "GROUP BY 1, 2, 3, 4",
		    -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, q->from);
	sqlite3_bind_int64(s, 2, q->to);
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_int_t c = sqlite3_column_int64(s, 4);
		int from = custody_state_from_name(col(s, 1)),
		    to = custody_state_from_name(col(s, 2));
		if (!strcmp(col(s, 0), "issue")) {
			issued += c;
			close[CS_ISSUED] += (long)c;
		} else if (strcmp(col(s, 1), col(s, 2)) != 0) {
			add(moved, col(s, 2), c);
			if (from >= 0 && to >= 0)
				close[from] -= (long)c, close[to] += (long)c;
		} else if (!strcmp(col(s, 3), "sms-sent-"))
			sent += c;
		else if (!strncmp(col(s, 3), "sms-fail", 8))
			failed += c;
	}
	sqlite3_finalize(s);
	json_object_set_new(moved, "issued", json_integer(issued));
	sec = json_pack("{s:o, s:o, s:o, s:I, s:I}", "opening", state_counts(open), "closing",
			state_counts(close), "moved", moved, "sms_sent", sent, "sms_failed",
			failed);
	json_object_set_new(rep, "custody", sec);
	return 0;
fail:
	json_decref(moved);
	return r;
}

int
ledger_report(struct ledger *l, const struct report_query *q, json_t **ret)
{
	static const char *const spoil_fields[] = { "chip", "job", "cause", "line", "actor", NULL };
	static const char *const destroy_fields[] = { "doc", "count", "note", "actor", NULL };
	static const char *const ribbon_fields[] = { "line",	       "ribbon",
						     "count",	       "replaces",
						     "replaces_rated", "replaces_prints",
						     "actor",	       NULL };
	sqlite3 *db = ledger_sqlite(l);
	json_t *rep, *open = NULL, *close = NULL;
	int r;

	if (q->to <= q->from)
		return -EINVAL;
	rep = json_pack("{s:s, s:I, s:I, s:{}, s:o, s:{}, s:{}, s:[], s:[], s:[], s:[]}", "report",
			q->title ? q->title : "range", "from", (json_int_t)q->from, "to",
			(json_int_t)q->to, "totals", "by_cause", empty_causes(), "lines",
			"operators", "discrepancies", "spoiled_cards", "destructions", "ribbons");
	if (!rep)
		return -ENOMEM;
	if (q->line)
		json_object_set_new(rep, "line", json_string(q->line));
	const char *zero[] = { "received",    "loaded",	   "issued",	 "spoiled",
			       "transferred", "destroyed", "stocktakes", NULL };
	for (int i = 0; zero[i]; i++)
		json_object_set_new(json_object_get(rep, "totals"), zero[i], json_integer(0));
	if ((r = balance_before(db, q->from, &open)) < 0 ||
	    (r = balance_before(db, q->to, &close)) < 0 || (r = movements(db, q, rep)) < 0 ||
	    (r = discrepancies(db, q, rep)) < 0 || (r = per_day(db, q, rep)) < 0 ||
	    (r = listing(db, q, "spoil", spoil_fields, json_object_get(rep, "spoiled_cards"))) <
		    0 ||
	    (r = listing(db, q, "destroy", destroy_fields, json_object_get(rep, "destructions"))) <
		    0 ||
	    (r = listing(db, q, "ribbon-load", ribbon_fields, json_object_get(rep, "ribbons"))) <
		    0 ||
	    (!q->line && (r = custody_section(db, q, rep)) < 0)) {
		json_decref(open);
		json_decref(close);
		json_decref(rep);
		return r;
	}
	json_object_set_new(rep, "opening", open);
	json_object_set_new(rep, "closing", close);
	if (!q->line) {
		/* the books balance over the period: a self-check printed with the report */
		json_t *t = json_object_get(rep, "totals");
#define V(o, k) json_integer_value(json_object_get(o, k))
		json_int_t expect = V(open, "on_hand") + V(t, "received") + V(t, "discrepancy") -
				    V(t, "issued") - V(t, "spoiled") - V(t, "transferred");
		json_int_t pend = V(open, "spoiled_pending") + V(t, "spoiled") - V(t, "destroyed");
		json_object_set_new(rep, "balanced",
				    json_boolean(expect == V(close, "on_hand") &&
						 pend == V(close, "spoiled_pending")));
#undef V
	}
	*ret = rep;
	return 0;
}
