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

/* Internal to the store: open the record of a job that has just become
 * done, inside the transaction that made it so. */
int store_custody_open(struct store *st, long long job_rowid, long long now);

#endif
