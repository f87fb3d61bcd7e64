/*
 * store.h - the durable job store (SQLite, WAL, synchronous=FULL).
 *
 * Owned by cetakd, in the state directory. Every state transition is one
 * transaction and leaves a row in job_events (who, when, from, to, why).
 * The schema is versioned (PRAGMA user_version) and migrated on open.
 * Plumbing returns 0 or -errno (-EIO for an SQLite failure, with the
 * message in store_errmsg()).
 */
#ifndef CETAK_STORE_H
#define CETAK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "job.h"

#define STORE_SCHEMA_VERSION 5

enum job_state {
	JS_QUEUED,
	JS_HELD,
	JS_DEFERRED,
	JS_ACTIVE,
	JS_DONE,
	JS_FAILED,
	JS_CANCELLED,
	JS_COUNT
};
#define JS_MASK(s) (1u << (s))
#define JS_ANY ((1u << JS_COUNT) - 1)

/* Why a job is held or deferred; decides who may release it. */
#define HOLD_OPERATOR "operator"       /* held by hand */
#define HOLD_PRINT_ONCE "print_once"   /* NIK already has a printed card: supervisor */
#define HOLD_MAIN_OFFICE "main_office" /* data_change at a UPT */
#define DEFER_QUOTA "quota"	       /* daily quota reached */
#define DEFER_STOCK "stock"	       /* blank stock below reserve */

struct job_row {
	long long id; /* arrival order */
	char job_id[JOB_ID_MAX + 1];
	int kind, urgent, priority;
	char nik[JOB_NIK_LEN + 1];
	char name[128];
	enum job_state state;
	char hold_kind[16];
	char reason[256];
	long long not_before, received_at, updated_at;
	int attempts;
	char line[17];
};

struct store;

/* Open (creating and migrating) the database at path. */
int store_open(const char *path, struct store **ret_store);
void store_close(struct store *st); /* NULL is fine */
const char *store_errmsg(struct store *st);
/* The database file, for messages. */
const char *store_path(struct store *st);

/* Explicit transactions, for group commit; BEGIN IMMEDIATE. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

enum store_add_result { STORE_ADDED, STORE_SAME, STORE_CONFLICT };

/*
 * Add a validated job (inside a transaction). sha256 identifies the exact
 * file content: the same job_id with the same sha256 is STORE_SAME, with
 * another STORE_CONFLICT (and *ret_row describes the stored one). body is
 * copied. hold_kind and reason may be NULL.
 */
int store_add(struct store *st, const struct job *job, const void *body, size_t len,
	      const uint8_t sha256[32], enum job_state state, const char *hold_kind,
	      const char *reason, long long now, enum store_add_result *ret,
	      struct job_row *ret_row);

int store_get(struct store *st, const char *job_id, struct job_row *ret_row); /* -ENOENT */
/* The job file as received; *ret_body is malloc'd, caller frees. */
int store_body(struct store *st, long long id, char **ret_body, size_t *ret_len);

/*
 * Move job_id to state `to` if its state is in from_mask; records the event.
 * Runs in its own transaction unless one is open. -ENOENT for an unknown
 * job, -EPERM when its state is not in from_mask (*ret_row then holds it).
 */
int store_transition(struct store *st, const char *job_id, unsigned from_mask, enum job_state to,
		     const char *hold_kind, const char *reason, long long not_before,
		     const char *actor, long long now, struct job_row *ret_row);

/* Which jobs a bulk move takes, beyond their state and hold kind. */
enum store_filter {
	STORE_ALL,	     /* every one */
	STORE_DUE,	     /* whose not_before has come (<= now) */
	STORE_DEFERRABLE,    /* what a stock shortage defers: not urgent, not a first card */
	STORE_NO_OPEN_CYCLE, /* with no card cycle open (only prepared) */
};

/* Move every job in state `from` (and hold kind from_hold, unless NULL) that
 * the filter takes to `to`, recording one event each. The count or -errno. */
int store_transition_where(struct store *st, enum job_state from, const char *from_hold,
			   enum store_filter filter, enum job_state to, const char *hold_kind,
			   const char *reason, long long not_before, const char *actor,
			   long long now);

/* queued -> active on line, attempts + 1, inside the caller's transaction. */
int store_activate(struct store *st, const struct job_row *row, const char *line, const char *actor,
		   long long now);

int store_set_priority(struct store *st, const char *job_id, int priority, const char *actor,
		       long long now);

/* Number of jobs in a state mask and kind mask (all kinds: ~0u). */
int store_count(struct store *st, unsigned state_mask, unsigned kind_mask, long long *ret);

/* Number of jobs in one state with one hold_kind (e.g. deferred by the quota). */
int store_count_kind(struct store *st, enum job_state state, const char *hold_kind, long long *ret);

/* The next queued job in scheduling order, without changing it; -ENOENT. */
int store_peek_queued(struct store *st, struct job_row *ret_row);

/* Does the NIK already have a printed card? 1 (ret_job_id set), 0, or -errno. */
int store_nik_printed(struct store *st, const char *nik, const char *except_job_id,
		      char ret_job_id[JOB_ID_MAX + 1]);

/* Cards dispatched on a local day "YYYY-MM-DD"; and counting one more. */
int store_day_count(struct store *st, const char *day, long long *ret);
int store_day_increment(struct store *st, const char *day);

/* Call cb for each job in the masks, in scheduling order, at most limit (0 = all). */
typedef int (*store_row_cb)(const struct job_row *row, void *ctx);
int store_list(struct store *st, unsigned state_mask, unsigned kind_mask, long limit,
	       store_row_cb cb, void *ctx);

/* Events of one job, oldest first. */
typedef int (*store_event_cb)(long long at, const char *from, const char *to, const char *reason,
			      const char *actor, void *ctx);
int store_events(struct store *st, long long id, store_event_cb cb, void *ctx);

/* ---- card cycles (jobs/cycles.c): the durable intents of the print line ----
 *
 * One row per blank card tried for a job on a line. `step` is the physical
 * step about to start or under way (committed before it starts):
 *   feed    a blank is about to be taken from the hopper
 *   encode  the card is taken (ledger: in flight) and is being personalised
 *   print   the chip is verified; the face is being printed
 *   eject   printed; the card is going to the output hopper
 *   reject  the card is going to the reject box, spoiled with `cause`
 * `outcome` is "" while the cycle is open, then one of: issued, spoiled,
 * none (no card was taken), unknown (printing started, the result was not
 * seen: an operator resolves it).
 */
struct cycle_row {
	long long id;
	char job_id[JOB_ID_MAX + 1];
	char line[17];
	char step[8];
	char cause[24];
	char chip[33];
	char outcome[12];
	char note[256];
	long long started_at, updated_at;
};

/* Open a cycle at step "feed"; *ret_id. */
int store_cycle_open(struct store *st, const char *job_id, const char *line, long long now,
		     long long *ret_id);
/* Move an open cycle to step; cause, chip and note may be NULL (kept). */
int store_cycle_step(struct store *st, long long id, const char *step, const char *cause,
		     const char *chip, const char *note, long long now);
/* Close it with an outcome and a note for people. */
int store_cycle_close(struct store *st, long long id, const char *outcome, const char *note,
		      long long now);
/* The open cycle of a line, or of a job; -ENOENT when none. */
int store_cycle_on_line(struct store *st, const char *line, struct cycle_row *ret);
int store_cycle_of_job(struct store *st, const char *job_id, unsigned open_only,
		       struct cycle_row *ret);
/* Closed cycles of a job that spoiled a card: all of them, or only those
 * with a cause counted against the job (gagal_encode, gagal_cetak). */
int store_cycle_failures(struct store *st, const char *job_id, bool counted_only, long *ret);
/* Every open cycle, oldest first; and the cycles of one job. */
typedef int (*store_cycle_cb)(const struct cycle_row *row, void *ctx);
int store_cycle_list(struct store *st, const char *job_id, store_cycle_cb cb, void *ctx);

/* Job events after seq `after`, oldest first, at most limit, for the audit
 * chain: cb(seq, job_id, at, from, to, reason, actor). Returns the count. */
typedef int (*store_audit_cb)(long long seq, const char *job_id, long long at, const char *from,
			      const char *to, const char *reason, const char *actor, void *ctx);
int store_events_since(struct store *st, long long after, int limit, store_audit_cb cb, void *ctx);

/*
 * What the job store knows of the ledger beside it, for the start-up
 * cross-check (daemon/state.c): the last job event (0 when none), whether it
 * holds any job at all, and the ledger head it last saw (seq, SHA-256 of that
 * record). store_ledger_seen() is -ENOENT when no head was ever recorded.
 */
int store_last_event(struct store *st, long long *ret_seq, long long *ret_jobs);
int store_ledger_seen(struct store *st, long long *ret_seq, uint8_t ret_hash[32]);
int store_set_ledger_seen(struct store *st, long long seq, const uint8_t hash[32]);

const char *job_state_name(enum job_state s);
int job_state_from_name(const char *s); /* -1 when unknown */

#endif
