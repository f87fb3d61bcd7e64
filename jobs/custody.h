/*
 * custody.h - the custody of issued cards in the job store: where each card
 * cetak printed is until its holder has it.
 *
 * A job that reaches `done` (its card issued) gets a custody record in the
 * same transaction, in state `issued` (in the output hopper): one row, so
 * that the print line's issue commit stays small. Every later change is one
 * transaction that updates the record and appends a custody
 * event (who, when, from, to, place or document); the events are chained
 * into the ledger's audit log (kind "custody", docs/audit-format.md) the way
 * job events are. The states and who may move a card between them are one
 * table in custody/custody.c; this file only stores them.
 *
 * Personal data of a hand-over (the collector's name, identity number and
 * relation to the holder) stays here, never in the audit chain.
 */
#ifndef CETAK_CUSTODY_STORE_H
#define CETAK_CUSTODY_STORE_H

#include <stdbool.h>

#include "custody_state.h"
#include "store.h"

#define CUSTODY_PLACE_MAX 32
#define CUSTODY_DOC_MAX 64

struct custody_row {
	char job_id[JOB_ID_MAX + 1];
	char chip[33];
	char nik[JOB_NIK_LEN + 1];
	char name[128];
	int kind; /* enum job_kind */
	enum custody_state state;
	char place[CUSTODY_PLACE_MAX + 1];
	char doc[CUSTODY_DOC_MAX + 1]; /* transfer batch or destruction document */
	long long since;	       /* issued at */
	long long updated_at;
	int notices;
	long long last_notice_at;
	char collector[128], collector_id[JOB_NIK_LEN + 1], relation[32];
	char kecamatan[64], kel_desa[64]; /* of the holder's address */
	long long next_notice_at;	  /* 0 none due, -1 none possible (no phone number) */
};

/* A change of custody: from one of the states in from_mask to `to`. */
struct custody_move {
	const char *job_id;
	unsigned from_mask;
	enum custody_state to;
	const char *place; /* NULL: unchanged; "" clears it */
	const char *doc;   /* NULL: unchanged */
	const char *actor;
	const char *note; /* why, for people; kept in the store only */
	/* a hand-over: who took the card (NULL when not a hand-over) */
	const char *collector, *collector_id, *relation;
};

/*
 * Apply m in its own transaction (or the caller's). -ENOENT when the job has
 * no custody record, -EPERM when its state is not in from_mask (*ret_row
 * then holds it). On success *ret_row (may be NULL) is the new record.
 */
int store_custody_move(struct store *st, const struct custody_move *m, long long now,
		       struct custody_row *ret_row);

/* The record of a job, or of the card with a chip serial; -ENOENT. */
int store_custody_get(struct store *st, const char *job_id, struct custody_row *ret);
int store_custody_by_chip(struct store *st, const char *chip, struct custody_row *ret);

/* Records in the states of mask (and in place, unless NULL or ""), oldest
 * first, at most limit (0 = all). cb's non-zero return stops and is returned. */
typedef int (*store_custody_cb)(const struct custody_row *row, void *ctx);
int store_custody_list(struct store *st, unsigned mask, const char *place, long limit,
		       store_custody_cb cb, void *ctx);

/* Every record of a card still held (issued or stored), in no order: for reports. */
int store_custody_held(struct store *st, store_custody_cb cb, void *ctx);

/* The records of a holder's cards (by NIK) in the states of mask. */
int store_custody_by_nik(struct store *st, const char *nik, unsigned mask, store_custody_cb cb,
			 void *ctx);

/* Records per state (ret[CS_COUNT]). */
int store_custody_counts(struct store *st, long ret[CS_COUNT]);

/* Custody events after seq `after`, oldest first, at most limit, for the
 * audit chain. Returns the count or -errno. */
struct custody_event {
	long long seq;
	const char *job_id, *chip, *from, *to, *place, *doc, *actor, *note;
	long long at;
};
typedef int (*store_custody_event_cb)(const struct custody_event *e, void *ctx);
int store_custody_events_since(struct store *st, long long after, int limit,
			       store_custody_event_cb cb, void *ctx);
/* A job's custody, oldest first: its opening (seq 0, at `since`), then its events. */
int store_custody_history(struct store *st, const char *job_id, store_custody_event_cb cb,
			  void *ctx);
/* The last custody event's number (0 when none). */
int store_custody_last_event(struct store *st, long long *ret_seq);

/*
 * SMS notices of stored cards (notice/notice.h hands them to gammu-smsd).
 * A card is due for its next notice at custody.next_notice_at (0 = none):
 * set when it is stored, after each notice sent (while fewer than the
 * configured number went out) and after a failed one (the next round).
 */
struct notice_due {
	char job_id[JOB_ID_MAX + 1];
	char name[128];
	char phone[64]; /* contact.phone as the job gave it; "" = none */
	int notices;	/* sent so far */
};
typedef int (*store_notice_due_cb)(const struct notice_due *d, void *ctx);
/* Stored cards due at now, most overdue first, at most limit. */
int store_notice_due(struct store *st, long long now, int limit, store_notice_due_cb cb, void *ctx);
/* In the caller's transaction: the durable intent of notice n of a card,
 * before its file goes to gammu; the card is due again only once it is settled. */
int store_notice_add(struct store *st, const char *job_id, int n, long long now, long long *ret_id);
int store_notice_set_file(struct store *st, long long id, const char *file);
/* In the caller's transaction: a stored card without a phone number gets no notices. */
int store_notice_none(struct store *st, const char *job_id);

struct notice_row {
	long long id;
	char job_id[JOB_ID_MAX + 1];
	int n;
	char state[12]; /* queued, sent, failed, withdrawn */
	char file[128];
	long long queued_at, done_at;
	char reason[160];
	enum custody_state card; /* the card's custody now */
};
typedef int (*store_notice_cb)(const struct notice_row *n, void *ctx);
/* Notices handed to gammu and not settled, oldest first. */
int store_notice_open(struct store *st, int limit, store_notice_cb cb, void *ctx);
/* A card's notices, oldest first. */
int store_notice_of(struct store *st, const char *job_id, store_notice_cb cb, void *ctx);

/*
 * In the caller's transaction: notice id's result ("sent", "failed",
 * "withdrawn") and, for a card still stored, a custody event (stored to
 * stored, "notice 2 sent") and when its next notice is due (next_at, 0 =
 * none; a sent notice counts).
 */
int store_notice_settle(struct store *st, long long id, const char *state, const char *reason,
			long long now, long long next_at);

/* Notices per result since `since` (0 = ever): ret[0] sent, [1] failed, [2] queued. */
int store_notice_counts(struct store *st, long long since, long ret[3]);

/*
 * A transfer batch to a kecamatan: in one transaction, every card of
 * `cards` (job ids, all stored) moved to transferred with doc, and the
 * batch recorded. -EEXIST when doc names a batch already, -EPERM when a
 * card is no longer stored (nothing is moved then).
 */
int store_transfer_batch(struct store *st, const char *doc, const char *kecamatan,
			 const char *const *cards, size_t n, const char *actor, long long now);
/* The number of transfer batches made on the local day of now (for numbering). */
int store_transfer_batches_on(struct store *st, long long now, int *ret_n);
/* Each batch (or only the one numbered doc, unless NULL), newest first:
 * doc, kecamatan, at, actor, cards. */
struct transfer_batch {
	const char *doc, *kecamatan, *actor;
	long long at;
	int cards;
};
typedef int (*store_batch_cb)(const struct transfer_batch *b, void *ctx);
int store_transfer_batches(struct store *st, const char *doc, int limit, store_batch_cb cb,
			   void *ctx);
/* The cards of a batch (or of any custody document), with the holder's
 * address from the job (street, RT/RW, kelurahan/desa). */
struct batch_card {
	const char *job_id, *chip, *name, *street, *rt, *rw, *kel_desa, *kecamatan;
};
typedef int (*store_batch_card_cb)(const struct batch_card *c, void *ctx);
int store_batch_cards(struct store *st, const char *doc, store_batch_card_cb cb, void *ctx);

/* Cards that reached state `to` per local day since `since`: cb(day "2026-11-30", count). */
typedef int (*store_day_cb)(const char *day, long count, void *ctx);
int store_custody_per_day(struct store *st, enum custody_state to, long long since, store_day_cb cb,
			  void *ctx);

/* Internal to the store: open the record of a job that has just become
 * done, inside the transaction that made it so. */
int store_custody_open(struct store *st, long long job_rowid, long long now);

#endif
