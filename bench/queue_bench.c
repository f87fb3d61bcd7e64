/*
 * queue_bench.c - scheduling cost with a large queue.
 *
 * usage: queue_bench DBPATH [N]
 * Fills a fresh job store with N queued jobs (default 100,000: 70% new, 20%
 * replacement, 10% data_change, 5% urgent; 1 KiB bodies, since picking never
 * reads a body), then measures: peeking at the next job, a full durable
 * dispatch (sched_next: policy refresh, pick, mark active, fsync'd commit),
 * and counting the queue. Prints one line per measurement.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/fixtures/clock.h"

#include "jobs/sched.h"
#include "jobs/store.h"

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void
report(const char *what, double *v, int n)
{
	double sum = 0;

	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	for (int i = 0; i < n; i++)
		sum += v[i];
	printf("%-34s n=%-5d mean %.3f ms  median %.3f ms  p99 %.3f ms  max %.3f ms\n", what, n,
	       sum / n, v[n / 2], v[n * 99 / 100], v[n - 1]);
}

int
main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 100000;
	struct store *st;
	struct sched_policy pol = { .daily_quota = 0, .stock_reserve = 0 };
	static char body[1024];
	uint8_t sha[32] = { 0 };
	double t, *v = calloc(1000, sizeof(double));

	if (argc < 2 || store_open(argv[1], &st) < 0) {
		fprintf(stderr, "usage: queue_bench DBPATH [N]\n");
		return 2;
	}
	memset(body, ' ', sizeof(body));
	t = ms_now();
	for (long i = 0; i < n; i++) {
		struct job job = { .kind = i % 10 < 7	? JOB_NEW
					   : i % 10 < 9 ? JOB_REPLACEMENT
							: JOB_DATA_CHANGE,
				   .urgent = i % 20 == 0 };
		enum store_add_result res;
		snprintf(job.job_id, sizeof(job.job_id), "Q-%07ld", i);
		char nik[32];
		snprintf(nik, sizeof(nik), "3602%02ld0101%02ld%04ld", i % 28 + 1, i % 100,
			 i % 9999 + 1);
		memcpy(job.nik, nik, JOB_NIK_LEN);
		snprintf(job.name, sizeof(job.name), "SYNTHETIC PERSON %ld", i);
		memcpy(sha, &i, sizeof(i));
		if (i % 10000 == 0 && store_begin(st) < 0)
			return 1;
		if (store_add(st, &job, body, sizeof(body), sha, JS_QUEUED, NULL, NULL, 1795000000,
			      &res, NULL) < 0)
			return 1;
		if ((i % 10000 == 9999 || i == n - 1) && store_commit(st) < 0)
			return 1;
	}
	printf("filled %ld queued jobs in %.0f ms\n", n, ms_now() - t);

	struct job_row row;
	for (int i = 0; i < 1000; i++) {
		t = ms_now();
		if (store_peek_queued(st, &row) < 0)
			return 1;
		v[i] = ms_now() - t;
	}
	report("peek next job", v, 1000);

	long long count = 0;
	for (int i = 0; i < 200; i++) {
		t = ms_now();
		store_count(st, JS_MASK(JS_QUEUED), ~0u, &count);
		v[i] = ms_now() - t;
	}
	report("count queued jobs", v, 200);

	char why[256];
	for (int i = 0; i < 200; i++) {
		t = ms_now();
		if (sched_next(st, &pol, NULL, "A", 1795000000 + i, &row, why, sizeof(why)) < 0) {
			fprintf(stderr, "sched_next: %s\n", why);
			return 1;
		}
		v[i] = ms_now() - t;
	}
	report("dispatch next job (durable)", v, 200);
	printf("queued now: %lld\n", count - 200);
	store_close(st);
	free(v);
	return 0;
}
