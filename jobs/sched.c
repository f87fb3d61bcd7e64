/*
 * sched.c - scheduling policy: intake holds, quota and stock deferrals,
 * dispatch order.
 */
#define _GNU_SOURCE
#include "common/i18n.h"
#include "sched.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void
sched_day(long long now, char day[16])
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(day, 16, "%Y-%m-%d", &tm);
}

long long
sched_next_midnight(long long now)
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_mday += 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (long long)mktime(&tm);
}

enum job_state
sched_intake(struct store *st, const struct sched_policy *pol, const struct job *job,
	     const char **ret_hold_kind, char *reason, size_t len)
{
	char printed[JOB_ID_MAX + 1];

	*ret_hold_kind = NULL;
	reason[0] = '\0';
	if (pol->station_upt && job->kind == JOB_DATA_CHANGE) {
		*ret_hold_kind = HOLD_MAIN_OFFICE;
		snprintf(reason, len,
			 R_("data_change cards are printed at the main office, not a UPT"));
		return JS_HELD;
	}
	if (job->kind == JOB_NEW && store_nik_printed(st, job->nik, job->job_id, printed) == 1) {
		*ret_hold_kind = HOLD_PRINT_ONCE;
		snprintf(reason, len,
			 R_("NIK %s already has a printed card (job %s); a supervisor "
			    "must release it"),
			 job->nik, printed);
		return JS_HELD;
	}
	return JS_QUEUED;
}

static int
stock_low(const struct sched_policy *pol, const struct stock_source *stock, long *ret_balance)
{
	long bal;

	if (!stock || !stock->balance || stock->balance(stock->ctx, &bal) < 0)
		return 0;
	*ret_balance = bal;
	return bal <= pol->stock_reserve;
}

int
sched_refresh(struct store *st, const struct sched_policy *pol, const struct stock_source *stock,
	      long long now)
{
	char day[16], reason[160];
	long long done_today = 0;
	long balance = 0;
	int moved = 0, r;

	/* Deferrals whose day has come. */
	if ((r = store_transition_where(st, JS_DEFERRED, DEFER_QUOTA, STORE_DUE, JS_QUEUED, NULL,
					"a new day: quota available", 0, "scheduler", now)) < 0)
		return r;
	moved += r;
	/* Stock: defer what is not new or urgent while low; release when it recovers. */
	if (stock_low(pol, stock, &balance)) {
		snprintf(reason, sizeof(reason),
			 R_("blank stock below reserve (%ld left, reserve %ld)"), balance,
			 pol->stock_reserve);
		r = store_transition_where(st, JS_QUEUED, NULL, STORE_DEFERRABLE, JS_DEFERRED,
					   DEFER_STOCK, reason, 0, "scheduler", now);
	} else {
		r = store_transition_where(st, JS_DEFERRED, DEFER_STOCK, STORE_ALL, JS_QUEUED, NULL,
					   "blank stock above reserve again", 0, "scheduler", now);
	}
	if (r < 0)
		return r;
	moved += r;
	/* Quota: once reached, everything queued waits for the next local day. */
	if (pol->daily_quota > 0) {
		sched_day(now, day);
		if ((r = store_day_count(st, day, &done_today)) < 0)
			return r;
		if (done_today >= pol->daily_quota) {
			long long midnight = sched_next_midnight(now);
			char next[16];
			sched_day(midnight, next);
			snprintf(reason, sizeof(reason),
				 R_("daily quota of %d cards reached; waits for %s"),
				 pol->daily_quota, next);
			r = store_transition_where(st, JS_QUEUED, NULL, STORE_ALL, JS_DEFERRED,
						   DEFER_QUOTA, reason, midnight, "scheduler", now);
			if (r < 0)
				return r;
			moved += r;
		}
	}
	return moved;
}

int
sched_next(struct store *st, const struct sched_policy *pol, const struct stock_source *stock,
	   const char *line, long long now, struct job_row *ret_row, char *why, size_t len)
{
	char day[16], printed[JOB_ID_MAX + 1], reason[256];
	struct job_row row;
	int r;

	if ((r = store_begin(st)) < 0)
		return r;
	if ((r = sched_refresh(st, pol, stock, now)) < 0)
		goto fail;
	for (;;) {
		r = store_peek_queued(st, &row);
		if (r == -ENOENT) {
			long long waiting = 0;
			store_count(st, JS_MASK(JS_DEFERRED), ~0u, &waiting);
			snprintf(why, len,
				 waiting ? R_("no job can be dispatched now: %lld deferred")
					 : R_("queue empty"),
				 waiting);
			/* The deferrals and holds decided on the way are kept. */
			return (r = store_commit(st)) < 0 ? r : -ENOENT;
		}
		if (r < 0)
			goto fail;
		if (row.kind != JOB_NEW || store_nik_printed(st, row.nik, row.job_id, printed) != 1)
			break;
		snprintf(reason, sizeof(reason),
			 R_("NIK %s already has a printed card (job %s); a "
			    "supervisor must release it"),
			 row.nik, printed);
		if ((r = store_transition(st, row.job_id, JS_MASK(JS_QUEUED), JS_HELD,
					  HOLD_PRINT_ONCE, reason, 0, "scheduler", now, NULL)) < 0)
			goto fail;
	}
	sched_day(now, day);
	if ((r = store_activate(st, &row, line, "scheduler", now)) < 0 ||
	    (r = store_day_increment(st, day)) < 0 || (r = store_commit(st)) < 0)
		goto fail;
	return store_get(st, row.job_id, ret_row);
fail:
	store_rollback(st);
	return r;
}
