/*
 * test_jobs.c - job store, scheduling policy and spool intake against a real
 * SQLite file and a real spool directory under /tmp.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jobs/sched.h"
#include "jobs/spool.h"
#include "jobs/custody.h"
#include "jobs/privacy.h"
#include "custody/custody.h"
#include "jobs/store.h"

struct fx {
	char dir[64];
	char db[96];
	struct store *st;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/cetak-jobs.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/cetak.db", f->dir);
	assert_int_equal(store_open(f->db, &f->st), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static const long long T0 = 1795000000; /* a fixed "now" */

/* Add a job with the given id, kind, urgency and NIK, as intake would. */
static void
add(struct fx *f, const struct sched_policy *pol, const char *id, enum job_kind kind, int urgent,
    const char *nik, enum store_add_result expect)
{
	struct job job = { .kind = kind, .urgent = urgent };
	uint8_t sha[32] = { 0 };
	const char *hold;
	char reason[256];
	enum store_add_result res;

	snprintf(job.job_id, sizeof(job.job_id), "%s", id);
	snprintf(job.nik, sizeof(job.nik), "%s", nik);
	snprintf(job.name, sizeof(job.name), "SYNTHETIC %s", id);
	sha[0] = (uint8_t)strlen(nik) + (uint8_t)nik[15];
	enum job_state s = sched_intake(f->st, pol, &job, &hold, reason, sizeof(reason));
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_add(f->st, &job, "{}", 2, sha, s, hold, reason, T0, &res, NULL), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(res, expect);
}

static const char *
next(struct fx *f, const struct sched_policy *pol, const struct stock_source *stock, long long now)
{
	static struct job_row row;
	char why[256];

	if (sched_next(f->st, pol, stock, "A", now, &row, why, sizeof(why)) < 0)
		return NULL;
	return row.job_id;
}

static void
test_order(void **state)
{
	struct fx *f = *state;
	struct sched_policy pol = { 0 };

	add(f, &pol, "dc1", JOB_DATA_CHANGE, 0, "3602040101900001", STORE_ADDED);
	add(f, &pol, "rep1", JOB_REPLACEMENT, 0, "3602040101900002", STORE_ADDED);
	add(f, &pol, "new1", JOB_NEW, 0, "3602040101900003", STORE_ADDED);
	add(f, &pol, "rep2-urgent", JOB_REPLACEMENT, 1, "3602040101900004", STORE_ADDED);
	add(f, &pol, "new2", JOB_NEW, 0, "3602040101900005", STORE_ADDED);
	add(f, &pol, "dc2", JOB_DATA_CHANGE, 0, "3602040101900006", STORE_ADDED);
	/* a supervisor moves dc2 to the front */
	assert_int_equal(store_set_priority(f->st, "dc2", 5, "test", T0), 0);
	const char *want[] = { "dc2", "rep2-urgent", "new1", "new2", "rep1", "dc1" };
	for (size_t i = 0; i < 6; i++) {
		const char *got = next(f, &pol, NULL, T0);
		assert_non_null(got);
		assert_string_equal(got, want[i]);
	}
	assert_null(next(f, &pol, NULL, T0));
	struct job_row row;
	assert_int_equal(store_get(f->st, "new1", &row), 0);
	assert_int_equal(row.state, JS_ACTIVE);
	assert_int_equal(row.attempts, 1);
	assert_string_equal(row.line, "A");
}

static void
test_same_and_conflict(void **state)
{
	struct fx *f = *state;
	struct sched_policy pol = { 0 };

	add(f, &pol, "J1", JOB_NEW, 0, "3602040101900001", STORE_ADDED);
	add(f, &pol, "J1", JOB_NEW, 0, "3602040101900001", STORE_SAME);
	add(f, &pol, "J1", JOB_NEW, 0, "3602040101900002", STORE_CONFLICT);
	long long n = 0;
	assert_int_equal(store_count(f->st, JS_ANY, ~0u, &n), 0);
	assert_int_equal(n, 1);
}

static void
test_quota(void **state)
{
	struct fx *f = *state;
	struct sched_policy pol = { .daily_quota = 2 };
	struct job_row row;

	for (int i = 0; i < 4; i++) {
		char id[16], nik[32];
		snprintf(id, sizeof(id), "q%d", i);
		snprintf(nik, sizeof(nik), "36020401019000%02d", i + 1);
		add(f, &pol, id, JOB_NEW, 0, nik, STORE_ADDED);
	}
	assert_string_equal(next(f, &pol, NULL, T0), "q0");
	assert_string_equal(next(f, &pol, NULL, T0 + 60), "q1");
	assert_null(next(f, &pol, NULL, T0 + 120)); /* quota reached */
	assert_int_equal(store_get(f->st, "q2", &row), 0);
	assert_int_equal(row.state, JS_DEFERRED);
	assert_string_equal(row.hold_kind, DEFER_QUOTA);
	assert_non_null(strstr(row.reason, "daily quota of 2 cards reached; waits for "));
	assert_int_equal(row.not_before, sched_next_midnight(T0 + 120));
	long long waiting = 0;
	assert_int_equal(store_count_kind(f->st, JS_DEFERRED, DEFER_QUOTA, &waiting), 0);
	assert_int_equal(waiting, 2);
	/* a job arriving after the quota is reached waits too */
	add(f, &pol, "q9", JOB_NEW, 1, "3602040101900099", STORE_ADDED);
	assert_null(next(f, &pol, NULL, T0 + 180));
	/* the next day: in arrival order again, and nothing was dropped */
	long long tomorrow = sched_next_midnight(T0) + 1;
	assert_string_equal(next(f, &pol, NULL, tomorrow), "q9"); /* urgent */
	assert_string_equal(next(f, &pol, NULL, tomorrow), "q2");
	assert_null(next(f, &pol, NULL, tomorrow));
	assert_int_equal(store_get(f->st, "q3", &row), 0);
	assert_int_equal(row.state, JS_DEFERRED);
}

static long stock_now;

static int
stock_balance(void *ctx, long *ret)
{
	if (stock_now < 0)
		return -ENODATA;
	*ret = stock_now;
	return 0;
}

static void
test_stock_reserve(void **state)
{
	struct fx *f = *state;
	struct sched_policy pol = { .stock_reserve = 10 };
	struct stock_source stock = { stock_balance, NULL };
	struct job_row row;

	add(f, &pol, "rep", JOB_REPLACEMENT, 0, "3602040101900001", STORE_ADDED);
	add(f, &pol, "dc", JOB_DATA_CHANGE, 0, "3602040101900002", STORE_ADDED);
	add(f, &pol, "rep-urgent", JOB_REPLACEMENT, 1, "3602040101900003", STORE_ADDED);
	add(f, &pol, "new", JOB_NEW, 0, "3602040101900004", STORE_ADDED);
	stock_now = 10; /* at the reserve: low */
	assert_string_equal(next(f, &pol, &stock, T0), "rep-urgent");
	assert_string_equal(next(f, &pol, &stock, T0), "new");
	assert_null(next(f, &pol, &stock, T0));
	assert_int_equal(store_get(f->st, "rep", &row), 0);
	assert_int_equal(row.state, JS_DEFERRED);
	assert_string_equal(row.reason, "blank stock below reserve (10 left, reserve 10)");
	stock_now = 11; /* restocked above the reserve */
	assert_string_equal(next(f, &pol, &stock, T0), "rep");
	assert_string_equal(next(f, &pol, &stock, T0), "dc");
	/* unknown balance: the rule is not applied */
	add(f, &pol, "rep3", JOB_REPLACEMENT, 0, "3602040101900005", STORE_ADDED);
	stock_now = -1;
	assert_string_equal(next(f, &pol, &stock, T0), "rep3");
}

static void
test_station_role(void **state)
{
	struct fx *f = *state;
	struct sched_policy upt = { .station_upt = 1 }, main_office = { 0 };
	struct job_row row;

	add(f, &upt, "dc-upt", JOB_DATA_CHANGE, 0, "3602040101900001", STORE_ADDED);
	add(f, &main_office, "dc-main", JOB_DATA_CHANGE, 0, "3602040101900002", STORE_ADDED);
	add(f, &upt, "rep-upt", JOB_REPLACEMENT, 0, "3602040101900003", STORE_ADDED);
	assert_int_equal(store_get(f->st, "dc-upt", &row), 0);
	assert_int_equal(row.state, JS_HELD);
	assert_string_equal(row.hold_kind, HOLD_MAIN_OFFICE);
	assert_int_equal(store_get(f->st, "dc-main", &row), 0);
	assert_int_equal(row.state, JS_QUEUED);
	assert_int_equal(store_get(f->st, "rep-upt", &row), 0);
	assert_int_equal(row.state, JS_QUEUED);
}

static void
test_print_once(void **state)
{
	struct fx *f = *state;
	struct sched_policy pol = { 0 };
	struct job_row row;
	const char *nik = "3602044709530002";

	add(f, &pol, "first", JOB_NEW, 0, nik, STORE_ADDED);
	add(f, &pol, "twin", JOB_NEW, 0, nik, STORE_ADDED); /* queued: nothing printed yet */
	assert_string_equal(next(f, &pol, NULL, T0), "first");
	assert_int_equal(store_transition(f->st, "first", JS_MASK(JS_ACTIVE), JS_DONE, NULL,
					  "issued", 0, "line A", T0, NULL),
			 0);
	/* the twin is caught at dispatch, a later one at intake */
	assert_null(next(f, &pol, NULL, T0));
	assert_int_equal(store_get(f->st, "twin", &row), 0);
	assert_int_equal(row.state, JS_HELD);
	assert_string_equal(row.hold_kind, HOLD_PRINT_ONCE);
	assert_non_null(strstr(row.reason, "already has a printed card (job first)"));
	add(f, &pol, "late", JOB_NEW, 0, nik, STORE_ADDED);
	assert_int_equal(store_get(f->st, "late", &row), 0);
	assert_int_equal(row.state, JS_HELD);
	/* replacements for the same NIK are allowed */
	add(f, &pol, "lost-card", JOB_REPLACEMENT, 0, nik, STORE_ADDED);
	assert_string_equal(next(f, &pol, NULL, T0), "lost-card");
}

static int
count_events(long long at, const char *from, const char *to, const char *reason, const char *actor,
	     void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

static void
test_transitions(void **state)
{
	struct fx *f = *state;
	struct sched_policy pol = { 0 };
	struct job_row row;
	int events = 0;

	add(f, &pol, "t", JOB_NEW, 0, "3602040101900001", STORE_ADDED);
	assert_int_equal(store_transition(f->st, "t", JS_MASK(JS_FAILED), JS_QUEUED, NULL, "retry",
					  0, "op", T0, &row),
			 -EPERM);
	assert_int_equal(row.state, JS_QUEUED);
	assert_int_equal(
		store_transition(f->st, "nope", JS_ANY, JS_HELD, NULL, "x", 0, "op", T0, NULL),
		-ENOENT);
	assert_int_equal(store_transition(f->st, "t", JS_MASK(JS_QUEUED), JS_HELD, HOLD_OPERATOR,
					  "citizen absent", 0, "op", T0, &row),
			 0);
	assert_int_equal(row.state, JS_HELD);
	assert_string_equal(row.reason, "citizen absent");
	assert_int_equal(store_events(f->st, row.id, count_events, &events), 0);
	assert_int_equal(events, 2); /* received, held */
}

static int
count_custody(const struct custody_event *e, void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

static int
count_rows(const struct custody_row *row, void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

/* Print job id on line A: active, a cycle that issues chip, done. */
static void
issue(struct fx *f, const char *id, const char *chip)
{
	long long cycle;

	assert_int_equal(store_transition(f->st, id, JS_MASK(JS_QUEUED), JS_ACTIVE, NULL, "", 0,
					  "cetakd", T0, NULL),
			 0);
	assert_int_equal(store_cycle_open(f->st, id, "A", T0, &cycle), 0);
	assert_int_equal(store_cycle_step(f->st, cycle, "eject", NULL, chip, NULL, T0), 0);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_cycle_close(f->st, cycle, "issued", "issued", T0), 0);
	assert_int_equal(store_transition(f->st, id, JS_MASK(JS_ACTIVE), JS_DONE, NULL, "issued", 0,
					  "cetakd", T0 + 5, NULL),
			 0);
	assert_int_equal(store_commit(f->st), 0);
}

/*
 * A card is in custody from the transaction that makes its job done; each
 * change of custody is allowed only from the states the caller names and
 * leaves one event; the opening event is not one the audit chain takes.
 */
static void
test_custody(void **state)
{
	struct fx *f = *state;
	struct sched_policy pol = { 0 };
	struct custody_row c;
	long counts[CS_COUNT];
	int n = 0;
	long long last;

	add(f, &pol, "c1", JOB_NEW, 0, "3602040101900001", STORE_ADDED);
	add(f, &pol, "c2", JOB_NEW, 0, "3602040101900002", STORE_ADDED);
	assert_int_equal(store_custody_get(f->st, "c1", &c), -ENOENT);
	issue(f, "c1", "04A1B2C3");
	issue(f, "c2", "04A1B2C4");
	assert_int_equal(store_custody_by_chip(f->st, "04A1B2C3", &c), 0);
	assert_string_equal(c.job_id, "c1");
	assert_int_equal(c.state, CS_ISSUED);
	assert_int_equal(c.since, T0 + 5);
	assert_string_equal(c.nik, "3602040101900001");
	struct custody_move m = { .job_id = "c1",
				  .from_mask = CS_MASK(CS_ISSUED) | CS_MASK(CS_STORED),
				  .to = CS_STORED,
				  .place = "B12",
				  .actor = "op" };
	assert_int_equal(store_custody_move(f->st, &m, T0 + 60, &c), 0);
	assert_int_equal(c.state, CS_STORED);
	assert_string_equal(c.place, "B12");
	/* a hand-over keeps the collector with the record */
	struct custody_move h = { .job_id = "c1",
				  .from_mask = CS_MASK(CS_STORED),
				  .to = CS_COLLECTED,
				  .actor = "op",
				  .collector = "SYNTHETIC PROXY",
				  .collector_id = "3602040101900009",
				  .relation = "orang tua" };
	assert_int_equal(store_custody_move(f->st, &h, T0 + 120, &c), 0);
	assert_string_equal(c.collector, "SYNTHETIC PROXY");
	/* not from a state the caller allows: refused, nothing changes */
	assert_int_equal(store_custody_move(f->st, &h, T0 + 130, &c), -EPERM);
	assert_int_equal(c.state, CS_COLLECTED);
	h.job_id = "nope";
	assert_int_equal(store_custody_move(f->st, &h, T0 + 130, NULL), -ENOENT);
	assert_int_equal(store_custody_counts(f->st, counts), 0);
	assert_int_equal(counts[CS_ISSUED], 1);
	assert_int_equal(counts[CS_COLLECTED], 1);
	/* two events (the changes; an opening is the record itself) */
	assert_int_equal(store_custody_last_event(f->st, &last), 0);
	assert_int_equal(last, 2);
	assert_int_equal(store_custody_events_since(f->st, 0, 100, count_custody, &n), 2);
	n = 0;
	assert_int_equal(store_custody_history(f->st, "c1", count_custody, &n), 0);
	assert_int_equal(n, 3);
	n = 0;
	assert_int_equal(store_custody_list(f->st, CS_MASK(CS_ISSUED), NULL, 0, count_rows, &n), 0);
	assert_int_equal(n, 1);

	/* a store from before custody (version 3): its printed cards start in
	 * custody, in the output hopper, with their chips */
	sqlite3 *db;
	store_close(f->st);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TABLE custody_events; DROP TABLE custody; "
				      "DROP TABLE notices; DROP TABLE transfer_batches; "
				      "ALTER TABLE jobs DROP COLUMN purged_at; "
				      "ALTER TABLE jobs DROP COLUMN kecamatan; "
				      "ALTER TABLE jobs DROP COLUMN kel_desa; "
				      "PRAGMA user_version = 3",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->db, &f->st), 0);
	/* the store as it was is kept beside it before the migration */
	char bak[600];
	snprintf(bak, sizeof(bak), "%s.schema-v3.bak", f->db);
	assert_int_equal(sqlite3_open(bak, &db), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 3);
	sqlite3_finalize(q);
	sqlite3_close(db);
	assert_int_equal(store_custody_counts(f->st, counts), 0);
	assert_int_equal(counts[CS_ISSUED], 2);
	assert_int_equal(store_custody_get(f->st, "c2", &c), 0);
	assert_string_equal(c.chip, "04A1B2C4");
}

static void
add_body(struct fx *f, const char *id, const char *nik, const char *body)
{
	struct job job = { .kind = JOB_NEW };
	uint8_t sha[32] = { 0 };
	enum store_add_result res;

	snprintf(job.job_id, sizeof(job.job_id), "%s", id);
	snprintf(job.nik, sizeof(job.nik), "%s", nik);
	snprintf(job.name, sizeof(job.name), "SYNTHETIC %s", id);
	sha[0] = (uint8_t)nik[15];
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(
		store_add(f->st, &job, body, strlen(body), sha, JS_QUEUED, "", "", T0, &res, NULL),
		0);
	assert_int_equal(store_commit(f->st), 0);
}

static int
take_due(const struct notice_due *d, void *ctx)
{
	json_t *a = ctx;
	return json_array_append_new(a, json_pack("{s:s, s:s, s:i}", "job", d->job_id, "phone",
						  d->phone, "n", d->notices));
}

static int
take_notice(const struct notice_row *n, void *ctx)
{
	*(struct notice_row *)ctx = *n;
	return 1;
}

static int
take_batch_card(const struct batch_card *c, void *ctx)
{
	snprintf(ctx, 64, "%s|%s|%s", c->job_id, c->street, c->kel_desa);
	return 0;
}

/*
 * Notices: a stored card is due at once; its notice is the durable intent
 * before the file goes out; a card without a phone number is due for none;
 * a sent notice counts and sets the next; transfer batches move stored
 * cards only, once per number; the retention pass removes the photo and
 * the phone of a transferred card's job, and only after the period.
 */
static void
test_notices_and_privacy(void **state)
{
	struct fx *f = *state;
	struct custody_row c;
	struct notice_row nr;
	long long id, purged;
	long counts[3];
	const long long day = 86400;

	add_body(f, "n1", "3602040101900001",
		 "{\"holder\":{\"address\":{\"street\":\"JL. MAWAR 1\",\"rt\":\"001\","
		 "\"rw\":\"002\"}},\"contact\":{\"phone\":\"0812-0000-0001\"},"
		 "\"photo\":\"UEhPVE9QSE9UTw==\"}");
	add_body(f, "n2", "3602040101900002", "{\"photo\":\"UEhPVE9QSE9UTw==\"}");
	issue(f, "n1", "04AA01");
	issue(f, "n2", "04AA02");
	json_t *due = json_array();
	assert_int_equal(store_notice_due(f->st, T0 + 100, 10, take_due, due), 0);
	assert_int_equal(json_array_size(due), 0); /* in the output hopper: none */
	for (int i = 1; i <= 2; i++) {
		struct custody_move m = { .job_id = i == 1 ? "n1" : "n2",
					  .from_mask = CS_MASK(CS_ISSUED),
					  .to = CS_STORED,
					  .place = "B1",
					  .actor = "op" };
		assert_int_equal(store_custody_move(f->st, &m, T0 + 60, NULL), 0);
	}
	assert_int_equal(store_notice_due(f->st, T0 + 60, 10, take_due, due), 0);
	assert_int_equal(json_array_size(due), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(due, 0), "phone")),
			    "0812-0000-0001");
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_notice_add(f->st, "n1", 1, T0 + 60, &id), 0);
	assert_int_equal(store_notice_set_file(f->st, id, "OUTC_x_cetak-1.txt"), 0);
	assert_int_equal(store_notice_none(f->st, "n2"), 0);
	assert_int_equal(store_commit(f->st), 0);
	json_array_clear(due);
	assert_int_equal(store_notice_due(f->st, T0 + 99 * day, 10, take_due, due), 0);
	assert_int_equal(json_array_size(due), 0); /* one queued, one without a phone */
	assert_int_equal(store_custody_get(f->st, "n2", &c), 0);
	assert_int_equal(c.next_notice_at, -1);
	assert_true(custody_due_for_transfer(&c, T0 + 181 * day, 180, 3, true));
	assert_false(custody_due_for_transfer(&c, T0 + 179 * day, 180, 3, true));
	assert_int_equal(store_notice_open(f->st, 10, take_notice, &nr), 1);
	assert_string_equal(nr.file, "OUTC_x_cetak-1.txt");
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_notice_settle(f->st, id, "sent", "", T0 + 70, T0 + 70 + 60 * day),
			 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_notice_settle(f->st, id, "sent", "", T0 + 71, 0), -ENOENT);
	assert_int_equal(store_custody_get(f->st, "n1", &c), 0);
	assert_int_equal(c.notices, 1);
	assert_int_equal(c.last_notice_at, T0 + 70);
	assert_int_equal(c.next_notice_at, T0 + 70 + 60 * day);
	assert_false(custody_due_for_transfer(&c, T0 + 181 * day, 180, 3, true));
	assert_true(custody_due_for_transfer(&c, T0 + 181 * day, 180, 1, true));
	assert_true(custody_due_for_transfer(&c, T0 + 181 * day, 180, 3, false));
	assert_int_equal(store_notice_counts(f->st, 0, counts), 0);
	assert_int_equal(counts[0], 1);
	assert_int_equal(counts[2], 0);
	json_array_clear(due);
	assert_int_equal(store_notice_due(f->st, T0 + 70 + 60 * day, 10, take_due, due), 0);
	assert_int_equal(json_array_size(due), 1);
	json_decref(due);

	/* a transfer batch: stored cards only, one number once */
	const char *one[] = { "n1" }, *two[] = { "n2" };
	assert_int_equal(store_transfer_batch(f->st, "BAST-1", "CIBADAK", one, 1, "sup", T0 + 200),
			 0);
	assert_int_equal(store_transfer_batch(f->st, "BAST-1", "CIBADAK", two, 1, "sup", T0 + 201),
			 -EEXIST);
	assert_int_equal(store_transfer_batch(f->st, "BAST-2", "CIBADAK", one, 1, "sup", T0 + 202),
			 -EPERM);
	int n = -1;
	assert_int_equal(store_transfer_batches_on(f->st, T0 + 300, &n), 0);
	assert_int_equal(n, 1); /* BAST-2 was not recorded */
	char line[64] = "";
	assert_int_equal(store_batch_cards(f->st, "BAST-1", take_batch_card, line), 0);
	assert_string_equal(line, "n1|JL. MAWAR 1|");
	assert_int_equal(store_custody_get(f->st, "n2", &c), 0);
	assert_int_equal(c.state, CS_STORED);

	/* retention: not before the period; then the photo and phone are gone */
	assert_int_equal(store_purge_personal(f->st, T0 + 200 + 29 * day, 30, 100), 0);
	assert_int_equal(store_purge_personal(f->st, T0 + 200 + 31 * day, 30, 100), 1);
	assert_int_equal(store_purge_personal(f->st, T0 + 200 + 32 * day, 30, 100), 0);
	assert_int_equal(store_purged_at(f->st, "n1", &purged), 0);
	assert_int_equal(purged, T0 + 200 + 31 * day);
	struct job_row row;
	char *body;
	size_t len;
	assert_int_equal(store_get(f->st, "n1", &row), 0);
	assert_int_equal(store_body(f->st, row.id, &body, &len), 0);
	assert_null(strstr(body, "photo"));
	assert_null(strstr(body, "0812"));
	assert_non_null(strstr(body, "JL. MAWAR 1")); /* the address stays */
	free(body);
	assert_int_equal(store_get(f->st, "n2", &row), 0);
	assert_int_equal(store_body(f->st, row.id, &body, &len), 0);
	assert_non_null(strstr(body, "photo")); /* still in custody */
	free(body);
	struct privacy_held h;
	assert_int_equal(store_privacy_held(f->st, T0 + 200 + 32 * day, 30, &h), 0);
	assert_int_equal(h.in_custody, 1);
	assert_int_equal(h.purged, 1);
}

static void
test_schema_version(void **state)
{
	struct fx *f = *state;
	struct store *again;
	sqlite3 *db;

	/* reopening keeps the data and the version */
	store_close(f->st);
	assert_int_equal(store_open(f->db, &f->st), 0);
	/* a database from a newer cetakd is refused, not damaged */
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->db, &again), -EPROTO);
}

/* ---- spool ---- */

static void
put(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/new/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static char *
slurp(const char *path)
{
	static char buf[65536];
	FILE *fp = fopen(path, "r");
	size_t n;

	if (!fp)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void
test_spool(void **state)
{
	struct fx *f = *state;
	struct spool *sp;
	struct spool_limits lim = { 64 * 1024, 2, NULL, NULL };
	struct job_policy jp = { .now = (long long)time(NULL) };
	struct sched_policy pol = { 0 };
	struct spool_stats stats = { 0 };
	char dir[96], path[256], example[256];
	int r;

	snprintf(dir, sizeof(dir), "%s/spool", f->dir);
	mkdir(dir, 0755);
	assert_int_equal(spool_open(dir, &sp), 0);
	/* a valid job handed off the producer's way, twice, and once with other content */
	char *text = slurp("etc/examples/EXAMPLE-000002.json");
	assert_non_null(text);
	text = strdup(text);
	assert_int_equal(spool_submit(dir, text, strlen(text), "EXAMPLE-000002", NULL), 0);
	assert_int_equal(spool_submit(dir, text, strlen(text), "EXAMPLE-000002", NULL), 0);
	char *other = strdup(text);
	assert_non_null(strstr(other, "\"urgent\": false"));
	memcpy(strstr(other, "\"urgent\": false"), "\"urgent\": true ", 15);
	put(dir, "zz-conflict.json", other);
	put(dir, "bad.json", "{ \"format\": \"cetak-job/1\" }");
	snprintf(example, sizeof(example), "%s/etc/examples/EXAMPLE-000001.json",
		 getcwd(path, 128));
	snprintf(path, sizeof(path), "%s/new/link.json", dir);
	assert_int_equal(symlink(example, path), 0);
	/* batches of 2: keep importing until new/ is empty */
	while ((r = spool_import(sp, f->st, &lim, &jp, &pol, jp.now, &stats)) > 0)
		;
	assert_int_equal(r, 0);
	assert_int_equal(stats.imported, 1);
	assert_int_equal(stats.duplicates, 1);
	assert_int_equal(stats.rejected, 3);
	assert_int_equal(stats.failed, 0);
	snprintf(path, sizeof(path), "%s/rejected/bad.json.reason", dir);
	assert_non_null(strstr(slurp(path), "reason: job_id: missing"));
	snprintf(path, sizeof(path), "%s/rejected/link.json.reason", dir);
	assert_non_null(strstr(slurp(path), "a symbolic link, not a job file"));
	snprintf(path, sizeof(path), "%s/rejected/zz-conflict.json.reason", dir);
	assert_non_null(strstr(slurp(path), "already received with different content"));
	snprintf(path, sizeof(path), "%s/rejected/zz-conflict.json", dir);
	assert_int_equal(access(path, F_OK), 0); /* kept, not deleted */
	/* an oversized file is rejected unread */
	char *big = calloc(1, 70000);
	memset(big, ' ', 69999);
	put(dir, "big.json", big);
	free(big);
	assert_int_equal(spool_import(sp, f->st, &lim, &jp, &pol, jp.now, &stats), 0);
	snprintf(path, sizeof(path), "%s/rejected/big.json.reason", dir);
	assert_non_null(strstr(slurp(path), "larger than the limit of 65536"));
	/* a second "bad.json" does not overwrite the first rejected one */
	put(dir, "bad.json", "[]");
	assert_int_equal(spool_import(sp, f->st, &lim, &jp, &pol, jp.now, &stats), 0);
	snprintf(path, sizeof(path), "%s/rejected/bad.json.1.reason", dir);
	assert_non_null(strstr(slurp(path), "must be a JSON object"));
	/* an abandoned tmp/ file is swept into rejected/ with a reason */
	snprintf(path, sizeof(path), "%s/tmp/half.json", dir);
	FILE *fp = fopen(path, "w");
	fputs("{", fp);
	fclose(fp);
	assert_int_equal(spool_sweep_tmp(sp, 3600, time(NULL)), 0);
	assert_int_equal(spool_sweep_tmp(sp, 3600, time(NULL) + 3601), 1);
	snprintf(path, sizeof(path), "%s/rejected/half.json.reason", dir);
	assert_non_null(strstr(slurp(path), "never handed off to new/"));
	struct job_row row;
	assert_int_equal(store_get(f->st, "EXAMPLE-000002", &row), 0);
	assert_int_equal(row.state, JS_QUEUED);
	char *body;
	size_t len;
	assert_int_equal(store_body(f->st, row.id, &body, &len), 0);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(body, text, len);
	free(body);
	free(text);
	free(other);
	spool_close(sp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_and_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stock_reserve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_station_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transitions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_custody, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notices_and_privacy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
