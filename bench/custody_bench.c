/*
 * custody_bench.c - the custody report over many cards, and a notice round
 * over many due cards.
 *
 * usage: custody_bench DIR [CARDS] [DUE]
 * In DIR (a fresh folder on the disk to measure): a job store with CARDS
 * (default 100,000) issued cards, 70% stored in 50 boxes, 10% still in the
 * output hopper, the rest collected, transferred or withdrawn, printed over
 * the last 400 days, holders in 20 kecamatan, each job with a 300-byte body
 * and a mobile number. Measures the custody report (what the `custody`
 * verb reads and computes: counts, every card held with its age, kecamatan
 * and whether it is due for transfer, SMS counts, collections per day,
 * batches), five times. Then, in a second store with DUE (default 10,000)
 * stored cards due for a notice, one notice round as cetakd runs it
 * (daemon/notices.c: the intent of every notice committed, the texts staged,
 * one syncfs, renamed into the outbox), then, after moving every file to
 * the sent folder as gammu-smsd would, the round that reads them back.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/fixtures/clock.h"

#include "custody/custody.h"
#include "daemon/cetakd.h"
#include "daemon/notices.h"
#include "jobs/custody.h"
#include "jobs/store.h"
#include "jobs/store_internal.h"

static long long bench_now;

/* notices.c asks cetakd for the time; the bench is its own cetakd */
long long
cetakd_now(const struct cetakd *d)
{
	(void)d;
	return bench_now;
}

static void
must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "custody_bench: %s failed\n", what);
		exit(1);
	}
}

/* CARDS issued cards, stored share as given; returns the store. */
static struct store *
fill(const char *path, long cards, int all_due)
{
	static const char *const states[10] = { "stored",    "stored",	   "stored", "stored",
						"stored",    "stored",	   "stored", "issued",
						"collected", "transferred" };
	struct store *st;
	sqlite3 *db;
	char body[512];

	unlink(path);
	must(store_open(path, &st) == 0, "store_open");
	db = store_sqlite(st);
	must(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK, "BEGIN");
	sqlite3_stmt *j, *b, *c;
	must(sqlite3_prepare_v2(
		     db,
		     "INSERT INTO jobs (id, job_id, sha256, kind, urgent, nik, name, state, "
		     "received_at, updated_at, kecamatan, kel_desa) VALUES (?1, ?2, "
		     "randomblob(32), 0, 0, ?3, ?4, 'done', ?5, ?5, ?6, 'SUKAMAJU')",
		     -1, &j, NULL) == SQLITE_OK,
	     "prepare jobs");
	must(sqlite3_prepare_v2(db, "INSERT INTO job_bodies (id, body) VALUES (?1, ?2)", -1, &b,
				NULL) == SQLITE_OK,
	     "prepare bodies");
	must(sqlite3_prepare_v2(
		     db,
		     "INSERT INTO custody (job_id, chip, state, place, since, updated_at, "
		     "notices, next_notice_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7)",
		     -1, &c, NULL) == SQLITE_OK,
	     "prepare custody");
	for (long i = 0; i < cards; i++) {
		char id[32], nik[20], name[40], kec[24], chip[20], place[8];
		long long since = bench_now - (i % 400) * 86400LL - i % 86400;
		const char *state = all_due ? "stored" : states[i % 10];
		snprintf(id, sizeof(id), "J%07ld", i);
		snprintf(nik, sizeof(nik), "36020415110%05ld", i % 100000);
		snprintf(name, sizeof(name), "SYNTHETIC HOLDER %ld", i);
		snprintf(kec, sizeof(kec), "KECAMATAN %02ld", i % 20);
		snprintf(chip, sizeof(chip), "04%014lX", i);
		snprintf(place, sizeof(place), "B%02ld", i % 50);
		snprintf(
			body, sizeof(body),
			"{\"holder\":{\"name\":\"%s\",\"address\":{\"street\":\"JL. MAWAR NO. "
			"%ld\",\"rt\":\"001\",\"rw\":\"002\"}},\"contact\":{\"phone\":\"0812-%04ld-"
			"%04ld\"},\"padding\":\"%0200d\"}",
			name, i % 300, i / 10000, i % 10000, 0);
		sqlite3_bind_int64(j, 1, i + 1);
		sqlite3_bind_text(j, 2, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(j, 3, nik, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(j, 4, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(j, 5, since);
		sqlite3_bind_text(j, 6, kec, -1, SQLITE_TRANSIENT);
		must(sqlite3_step(j) == SQLITE_DONE, "insert job");
		sqlite3_reset(j);
		sqlite3_bind_int64(b, 1, i + 1);
		sqlite3_bind_blob(b, 2, body, (int)strlen(body), SQLITE_TRANSIENT);
		must(sqlite3_step(b) == SQLITE_DONE, "insert body");
		sqlite3_reset(b);
		sqlite3_bind_text(c, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(c, 2, chip, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(c, 3, state, -1, SQLITE_STATIC);
		sqlite3_bind_text(c, 4, strcmp(state, "stored") ? "" : place, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(c, 5, since);
		sqlite3_bind_int(c, 6, all_due ? 0 : (int)(i % 4));
		sqlite3_bind_int64(c, 7, all_due ? bench_now - 60 : 0);
		must(sqlite3_step(c) == SQLITE_DONE, "insert custody");
		sqlite3_reset(c);
	}
	sqlite3_finalize(j);
	sqlite3_finalize(b);
	sqlite3_finalize(c);
	must(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK, "COMMIT");
	return st;
}

struct report {
	long buckets[4], due;
	json_t *by_kec, *due_by_kec;
};

static void
bump(json_t *o, const char *k)
{
	json_object_set_new(o, k, json_integer(json_integer_value(json_object_get(o, k)) + 1));
}

static int
held(const struct custody_row *c, void *ctx)
{
	struct report *r = ctx;
	long long days = (bench_now - c->since) / 86400;

	r->buckets[days <= 30 ? 0 : days <= 90 ? 1 : days <= 180 ? 2 : 3]++;
	bump(r->by_kec, c->kecamatan);
	if (custody_due_for_transfer(c, bench_now, 180, 3, true)) {
		r->due++;
		bump(r->due_by_kec, c->kecamatan);
	}
	return 0;
}

static int
per_day(const char *day, long count, void *ctx)
{
	return json_object_set_new(ctx, day, json_integer(count));
}

static int
batch(const struct transfer_batch *b, void *ctx)
{
	(void)b;
	(*(int *)ctx)++;
	return 0;
}

/* What verb_custody reads and computes. */
static double
custody_report(struct store *st, long *ret_held, long *ret_due)
{
	long counts[CS_COUNT], sms[3];
	struct report r = { .by_kec = json_object(), .due_by_kec = json_object() };
	json_t *days = json_object();
	int batches = 0;
	double t = ms_now();

	must(store_custody_counts(st, counts) == 0, "counts");
	must(store_custody_held(st, held, &r) == 0, "held");
	must(store_notice_counts(st, 0, sms) == 0, "notice counts");
	must(store_custody_per_day(st, CS_COLLECTED, bench_now - 31 * 86400LL, per_day, days) >= 0,
	     "per day");
	must(store_transfer_batches(st, NULL, 100, batch, &batches) >= 0, "batches");
	t = ms_now() - t;
	*ret_held = r.buckets[0] + r.buckets[1] + r.buckets[2] + r.buckets[3];
	*ret_due = r.due;
	json_decref(r.by_kec);
	json_decref(r.due_by_kec);
	json_decref(days);
	return t;
}

static long
move_all(const char *from, const char *to)
{
	DIR *d = opendir(from);
	struct dirent *de;
	char a[8192], b[8192];
	long n = 0;

	while (d && (de = readdir(d)))
		if (strncmp(de->d_name, "OUT", 3) == 0) {
			snprintf(a, sizeof(a), "%s/%s", from, de->d_name);
			snprintf(b, sizeof(b), "%s/%s", to, de->d_name);
			n += rename(a, b) == 0;
		}
	if (d)
		closedir(d);
	return n;
}

int
main(int argc, char **argv)
{
	long cards = argc > 2 ? atol(argv[2]) : 100000, due = argc > 3 ? atol(argv[3]) : 10000;
	char path[4096], out[4096], sent[4096], err[4096];
	long held_n = 0, due_n = 0;
	double t, v[5];

	if (argc < 2) {
		fprintf(stderr, "usage: custody_bench DIR [CARDS] [DUE]\n");
		return 2;
	}
	bench_now = (long long)time(NULL);
	snprintf(path, sizeof(path), "%s/custody.db", argv[1]);
	t = ms_now();
	struct store *st = fill(path, cards, 0);
	printf("filled %ld cards in %.0f ms\n", cards, ms_now() - t);
	for (int i = 0; i < 5; i++)
		v[i] = custody_report(st, &held_n, &due_n);
	double lo = v[0], hi = v[0], sum = 0;
	for (int i = 0; i < 5; i++) {
		lo = v[i] < lo ? v[i] : lo, hi = v[i] > hi ? v[i] : hi;
		sum += v[i];
	}
	printf("custody report over %ld cards (%ld held, %ld due for transfer): mean %.0f ms, "
	       "min %.0f ms, max %.0f ms (5 runs)\n",
	       cards, held_n, due_n, sum / 5, lo, hi);
	store_close(st);

	/* a notice round over DUE cards, through cetakd's own round */
	snprintf(path, sizeof(path), "%s/notices.db", argv[1]);
	snprintf(out, sizeof(out), "%s/outbox", argv[1]);
	snprintf(sent, sizeof(sent), "%s/sent", argv[1]);
	snprintf(err, sizeof(err), "%s/error", argv[1]);
	mkdir(out, 0755), mkdir(sent, 0755), mkdir(err, 0755);
	struct cetak_config cfg = {
		.path = "bench",
		.station_office = "DISDUKCAPIL KABUPATEN BENCH",
		.notice_enabled = 1,
		.notice_outbox = out,
		.notice_sent = sent,
		.notice_error = err,
		.notice_smsd_pidfile = "",
		.notice_template =
			"Yth. {nama}, KTP-el Anda sudah jadi. Silakan ambil di {kantor}, "
			"{jam}, dengan membawa bukti pengambilan.",
		.notice_office = "",
		.notice_opening_hours = "Senin-Jumat pukul 08.00-15.00",
		.notice_send_hours = "00:00-24:00",
		.notice_holidays = "",
		.notice_interval_days = 60,
		.notice_max = 3,
		.notice_round_s = 60,
		.notice_outbox_max = 1000000,
	};
	struct cetakd d = { .cfg = &cfg };
	struct notice_result res;
	char why[300];
	d.store = fill(path, due, 1);
	t = ms_now();
	must(notices_round(&d, &res, why, sizeof(why)) == 0, why);
	t = ms_now() - t;
	printf("notice round, %ld cards due: %ld handed to the outbox in %.0f ms (%.3f ms each)\n",
	       due, res.handed, t, t / (double)(res.handed ? res.handed : 1));
	long moved = move_all(out, sent);
	t = ms_now();
	must(notices_round(&d, &res, why, sizeof(why)) == 0, why);
	t = ms_now() - t;
	printf("next round, %ld sent by gammu: %ld read back in %.0f ms (%.3f ms each)\n", moved,
	       res.sent, t, t / (double)(res.sent ? res.sent : 1));
	store_close(d.store);
	return 0;
}
