/*
 * ledger.h - the blank-card stock ledger and its audit chain.
 *
 * Every blank is accounted for by events, one SQLite transaction each:
 * received into the store, loaded into a line's hopper, taken (in flight at
 * the encoder/printer, at most one per line), issued (a good card, with its
 * chip serial) or spoiled (with a cause), transferred out, destroyed, and
 * stocktakes whose differences are discrepancy events with a reason, never
 * silent overwrites. The invariant, checked on every event:
 *   received + discrepancies = store + hoppers + in flight + issued + spoiled
 *                              + transferred out
 * Ribbons (ribbon-receive, ribbon-load) and the printer's own card counter
 * (counter, counter-ack) are recorded the same way; see docs/stock.md.
 * Each event is a record in a hash chain (SHA-256 over the previous hash and
 * the record's canonical form); checkpoints over the chain head are signed
 * with the station key. docs/audit-format.md describes the export.
 */
#ifndef CETAK_LEDGER_H
#define CETAK_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The schema of the ledger database (PRAGMA user_version). */
#define LEDGER_SCHEMA_VERSION 1

#include "jobs/custody_state.h"

struct ledger;
struct signer;

enum ledger_cause {
	CAUSE_GAGAL_ENCODE,
	CAUSE_GAGAL_CETAK,
	CAUSE_RUSAK,
	CAUSE_PERUBAHAN_DATA,
	CAUSE_NO_CHIP,
	CAUSE_INTERRUPTED,
	CAUSE_AUTH_REFUSED, /* the blank refused the SAM: another district's, or not ours */
	CAUSE_COUNTERFEIT,  /* the blank could not prove its key */
	CAUSE_COUNT
};

/* The kinds of event; their names and rules are one table (stock.c). */
enum ledger_kind {
	LK_RECEIVE,	   /* blanks arrive: lot, count */
	LK_LOAD,	   /* store -> a line's hopper */
	LK_TAKE,	   /* a blank leaves the hopper for the card path */
	LK_ISSUE,	   /* the card in flight is issued: chip */
	LK_SPOIL,	   /* the card in flight is spoiled: cause */
	LK_TRANSFER,	   /* store -> another office: doc */
	LK_DESTROY,	   /* spoiled cards destroyed: doc (berita acara) */
	LK_STOCKTAKE,	   /* the store counted */
	LK_RIBBON_RECEIVE, /* ribbons arrive */
	LK_RIBBON_LOAD,	   /* a ribbon into a line's printer */
	LK_COUNTER,	   /* the printer's own card counter */
	LK_COUNTER_ACK,	   /* cards printed outside cetak, explained */
	LK_JOB,		   /* a job's state change, chained for the audit */
	LK_CUSTODY,	   /* an issued card changed custody (format 3) */
	LK_COUNT
};

const char *ledger_kind_name(enum ledger_kind k);
int ledger_kind_from_name(const char *s); /* -1 when unknown */

/* One event; unused fields NULL or 0. All strings are borrowed. */
struct ledger_event {
	const char *kind; /* receive load take issue spoil transfer destroy stocktake */
	const char *line, *lot, *chip, *job, *nik, *cause, *doc, *actor, *note;
	long count;
	/* ribbon-load: the new ribbon's serial (count = its rated prints), and the
	 * ribbon it replaces with its rating and the prints counted on it */
	const char *ribbon, *prev;
	long prev_rated, prev_prints;
	/* job: a job's state change (format 2): from and to states, and the job
	 * store's event number */
	const char *from_state, *to_state;
	long long event;
	/* custody: where the card was put (a box, a drawer, a slot) */
	const char *place;
	/* receive: the station that sent the blanks; transfer: the one they go
	 * to (its name at the district hub) */
	const char *peer;
};

#define LEDGER_MAX_LINES 8

struct ledger_line {
	char name[17];
	long hopper, in_flight;
	long prints;	 /* cards that went through the print head */
	char ribbon[33]; /* the ribbon loaded; "" = none recorded */
	long ribbon_rated, ribbon_prints;
	long counter, counter_prints; /* the printer's own count at the last
				       * reading, and `prints` then; -1 = none */
	long outside;		      /* cards the printer counted that cetakd did
				       * not print, not yet explained */
};

struct ledger_balance {
	long received, discrepancy, store, issued, spoiled, transferred, destroyed;
	/* issued cards by custody state (jobs/custody_state.h); they add up to
	 * issued: every issue starts one in CS_ISSUED */
	long custody[CS_COUNT];
	long by_cause[CAUSE_COUNT];
	int n_lines;
	long ribbons_received, ribbons_store;
	struct ledger_line lines[LEDGER_MAX_LINES];
};

/* Open (creating) the ledger at path; checkpoints signed by station (may be NULL). */
int ledger_open(const char *path, struct signer *station, int checkpoint_every,
		struct ledger **ret);
void ledger_close(struct ledger *l);
/* Sign the next checkpoints with station (borrowed; NULL = unsigned). */
void ledger_set_station(struct ledger *l,
			struct signer *station); /* signs a last checkpoint; NULL is fine */

/*
 * Record one event. Refused (-EINVAL, reason in why) when it would break the
 * invariant or is malformed: loading more than the store holds, issuing with
 * no card in flight, a second card in flight on a line, an unknown cause...
 * On success *ret_seq is the record's sequence number.
 */
int ledger_record(struct ledger *l, const struct ledger_event *e, long long at, long long *ret_seq,
		  char *why, size_t len);

int ledger_balance(struct ledger *l, struct ledger_balance *ret);
/* The line called name in a balance, or NULL when it has no events yet. */
const struct ledger_line *ledger_line_of(const struct ledger_balance *b, const char *name);

/*
 * Several records in one transaction (one fsync): begin, ledger_record()
 * each, end with commit = 1; on any failure end with commit = 0, which
 * rolls the whole batch back. Used to chain the job store's state changes
 * (kind "job") without an fsync each.
 */
int ledger_batch_begin(struct ledger *l);
int ledger_batch_end(struct ledger *l, int commit);
/* The last card event (take, issue or spoil) recorded on line: its kind, job
 * and cause ("" when none). 1 when there is one, 0 when none, -1 on error.
 * Start-up recovery asks it which outcome a card got before an interruption. */
int ledger_last_card(struct ledger *l, const char *line, char *kind, size_t klen, char *job,
		     size_t jlen, char *cause, size_t clen);
/* The job store's event number in the last record of kind (LK_JOB: a job
 * event, LK_CUSTODY: a custody event); 0 if none, -1 on error. */
long long ledger_last_ref(struct ledger *l, enum ledger_kind kind);
/* The last record's sequence number (0 when empty) and hash. */
void ledger_head(struct ledger *l, long long *ret_seq, uint8_t ret_hash[32]);
/* The hash of record seq: 0, or -ENOENT when the ledger has no such record. */
int ledger_hash_at(struct ledger *l, long long seq, uint8_t ret_hash[32]);
/* cb(job) for every job the ledger issued a card for; stops at cb's first
 * non-zero return and returns it. 0, or -EIO. */
int ledger_issued_jobs(struct ledger *l, int (*cb)(const char *job, void *ctx), void *ctx);
/* Recompute the balance from every event and compare with the running one. */
int ledger_check(struct ledger *l, char *why, size_t len);
/* Sign a checkpoint over the current head now. */
int ledger_checkpoint(struct ledger *l, long long at);

/*
 * Durability of each event (synchronous=FULL, the default) or not, for bulk
 * loads such as a migration or a benchmark fill; 0 or -EIO.
 */
int ledger_set_durable(struct ledger *l, int durable);

/* Blanks used (issued or spoiled) since the epoch second since; -1 on error. */
long ledger_used_since(struct ledger *l, long long since);

/* Write the self-contained export (docs/audit-format.md) to f. */
int ledger_export(struct ledger *l, const char *station_name, long long at, FILE *f);
/*
 * The same for a slice: the records from seq from on, at most max of them (0
 * = all), with the checkpoints among them; its header names "from" (when
 * above 1) and its signed end covers the slice's last record. What a
 * station pushes to the district hub (docs/hub.md).
 */
int ledger_export_range(struct ledger *l, const char *station_name, long long at, long long from,
			long max, FILE *f);

const char *ledger_cause_name(enum ledger_cause c);
int ledger_cause_from_name(const char *s);

#endif
