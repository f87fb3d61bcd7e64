/*
 * sched.h - scheduling policy over the job store.
 *
 * Order: priority (supervisor-set, default 0) first, then urgent, then kind
 * (new before replacement before data_change), then arrival (FIFO).
 * Rules: print once per NIK (a second `new` card for a NIK that has one is
 * held for a supervisor); a UPT holds data_change jobs for the main office;
 * a daily quota defers the rest of the day's jobs to the next local day
 * (never drops them); when the blank stock is at or below the reserve only
 * new and urgent jobs are dispatched, the others are deferred until stock
 * recovers. Every change is a store transition with its reason.
 */
#ifndef CETAK_SCHED_H
#define CETAK_SCHED_H

#include "store.h"

struct sched_policy {
	int daily_quota;    /* cards per local day; 0 = no quota */
	long stock_reserve; /* blanks kept for new and urgent jobs */
	int station_upt;    /* 1: a UPT station */
};

/*
 * Where the blank-card balance comes from. The ledger implements it; until
 * then cetakd offers one backed by the configuration. balance() returns 0
 * and the number of blanks, or -ENODATA when the balance is unknown (the
 * stock rule is then not applied).
 */
struct stock_source {
	int (*balance)(void *ctx, long *ret_blanks);
	void *ctx;
};

/* Initial state of a validated job; hold_kind/reason set when held. */
enum job_state sched_intake(struct store *st, const struct sched_policy *pol, const struct job *job,
			    const char **ret_hold_kind, char *reason, size_t len);

/* Apply the quota, stock and time rules. Returns the number of jobs moved or -errno. */
int sched_refresh(struct store *st, const struct sched_policy *pol,
		  const struct stock_source *stock, long long now);

/*
 * Take the next job for `line` and mark it active, in one transaction.
 * Returns 0 with *ret_row, or -ENOENT with the reason in why ("queue empty",
 * "daily quota of 150 reached: 12 jobs wait for 2026-11-23").
 */
int sched_next(struct store *st, const struct sched_policy *pol, const struct stock_source *stock,
	       const char *line, long long now, struct job_row *ret_row, char *why, size_t len);

/* The local day of `now` as YYYY-MM-DD, and the next local midnight. */
void sched_day(long long now, char day[16]);
long long sched_next_midnight(long long now);

#endif
