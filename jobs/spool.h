/*
 * spool.h - job intake from the spool directory (maildir discipline).
 *
 *   tmp/       producers write here (O_EXCL, fsync)
 *   new/       a rename into new/ is the hand-off
 *   rejected/  refused input, each NAME with NAME.reason beside it
 *
 * A job leaves new/ only after it is durably in the job store (or durably in
 * rejected/ with its reason). A crash at any point leaves the file in new/,
 * and importing it again is idempotent: the same job_id is never queued
 * twice. Files are opened without following links and must be regular and
 * within the size bound.
 */
#ifndef CETAK_SPOOL_H
#define CETAK_SPOOL_H

#include <stddef.h>

#include "job.h"
#include "sched.h"
#include "store.h"

struct spool;

struct spool_limits {
	size_t max_job_bytes; /* larger files are rejected unread */
	int batch;	      /* files per store transaction (group commit) */
	/*
	 * A further check of each valid job (the card face: does all its text
	 * fit?), or NULL. Runs on the validation threads: it must be thread-safe.
	 * Returns 0, or -EINVAL with the reason in why.
	 */
	int (*check)(void *ctx, const struct job *job, char *why, size_t len);
	void *check_ctx;
};

struct spool_stats {
	long imported;	 /* new jobs committed */
	long duplicates; /* identical files dropped */
	long rejected;	 /* moved to rejected/ */
	long failed;	 /* left in new/ after an I/O or store error, retried later */
};

/* Open dir, creating tmp/ new/ rejected/ when missing; watch new/ with inotify. */
int spool_open(const char *dir, struct spool **ret_spool);
void spool_close(struct spool *sp); /* NULL is fine */
/* The inotify descriptor: readable when something arrived in new/. */
int spool_watch_fd(const struct spool *sp);
/* Consume pending inotify events; returns 1 when a scan is due. */
int spool_drain_events(struct spool *sp);

/*
 * Import in two halves, so that reading and validating (photos decoded:
 * up to seconds) runs off the thread that owns the store:
 * spool_read_batch lists new/ when a run starts and reads and validates the
 * next batch (one caller at a time per spool; *ret NULL when new/ is empty);
 * spool_commit_batch adds it to the store in one transaction and then moves
 * the files out of new/ (frees the batch; returns as spool_import).
 */
struct spool_batch;
int spool_read_batch(struct spool *sp, const struct spool_limits *lim,
		     const struct job_policy *jpol, struct spool_batch **ret);
int spool_commit_batch(struct spool *sp, struct store *st, const struct sched_policy *spol,
		       long long now, struct spool_batch *b, struct spool_stats *stats);
void spool_batch_free(struct spool_batch *b); /* NULL is fine */

/*
 * Import at most one batch from new/ (both halves). Returns 1 when files remain (call
 * again), 0 when new/ is empty, -errno when the store failed (files stay).
 */
int spool_import(struct spool *sp, struct store *st, const struct spool_limits *lim,
		 const struct job_policy *jpol, const struct sched_policy *spol, long long now,
		 struct spool_stats *stats);

/* Move tmp/ files older than max_age_s to rejected/ with a reason. Returns the count. */
int spool_sweep_tmp(struct spool *sp, long long max_age_s, long long now);

/*
 * Hand a job file to the spool as a producer does: write dir/tmp/NAME with
 * O_EXCL, fsync, rename into dir/new/, fsync new/. Returns 0 or -errno.
 * NAME is generated (time.pid.counter.job); *ret_name (malloc'd) if wanted.
 */
int spool_submit(const char *dir, const void *data, size_t len, const char *tag, char **ret_name);

/*
 * The durable hand-off both sides use: create tmpdirfd/tmpname with O_EXCL,
 * write all of data, fsync, close, rename it to dstdirfd/dstname, fsync
 * dstdirfd. On failure the temporary file is removed and -errno returned;
 * a short write or a failed fsync is a failure, never retried.
 */
int spool_put(int tmpdirfd, const char *tmpname, int dstdirfd, const char *dstname,
	      const void *data, size_t len, int mode);

#endif
