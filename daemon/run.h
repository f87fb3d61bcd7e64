/*
 * run.h - the print line engine: queued jobs become issued cards.
 *
 * For each line, on the event loop: pick a job, prepare it (data groups
 * built and signed, face rendered), then for each blank: commit the intent
 * of a physical step (jobs/cycles.c), hand the step to the line's worker
 * thread, commit its outcome (ledger events, job transitions) and decide
 * the next step by the rules (rules.h). While card N prints, job N+1 is
 * prepared. Start-up recovery settles every intent left open by a crash.
 * docs/print-line.md describes the cycle, the rules and the line states.
 */
#ifndef CETAK_RUN_H
#define CETAK_RUN_H

#include <jansson.h>

struct cetakd;
struct line;

/* Load the card profile, CSCA and Document Signer, start one worker per
 * enabled line, and recover open cycles. 0, or -1 (logged) when cetakd
 * cannot run its lines at all. */
int run_start(struct cetakd *d);
/* Advance every line as far as it can go now (called on every event that
 * may let a line move: a step done, a job arrived, a tick, a command). */
void run_pump(struct cetakd *d);
/* SIGTERM: take no new card, finish the ones in hand (stop_timeout), then
 * leave the event loop. */
void run_shutdown(struct cetakd *d);
/*
 * A reload's new configuration, checked against the running engine before
 * anything changes: line changes and a new card profile are refused (they
 * need a restart), the card keys are opened and checked as at start. On
 * success the new Document Signer and CSCA are in use from the next card.
 * 0, or -errno with the reason in *ret_err (the running config stays).
 */
struct cetak_config;
int run_reload_check(struct cetakd *d, const struct cetak_config *next, char **ret_err);
void run_free(struct cetakd *d);
/* The card profile in use (read-only, for the intake's size check); NULL when none loaded. */
struct card_profile;
const struct card_profile *run_profile(struct cetakd *d);
/* The profile a job must fit at intake: of the lines' profiles, the one of
 * the smallest chip (any line may take the job); NULL before the keys load. */
const struct card_profile *run_intake_profile(struct cetakd *d);
struct sc_sam;
/* The profile of the cards read at a hand-over (custody.profile, else
 * card.profile), and the desk's SAM in *ret_sam (NULL: none); NULL before
 * the keys are loaded. */
const struct card_profile *run_custody_profile(struct cetakd *d, const struct sc_sam **ret_sam);
/* The CSCA cards are verified against, with a reference the caller frees
 * (X509_STORE_free); NULL when none is loaded. */
struct x509_store_st *run_csca_ref(struct cetakd *d);

/* For cetakctl: the run-time part of a line (state, job, step, counts). */
void run_line_json(struct cetakd *d, const struct line *l, json_t *obj);
/* pause | resume | drain a line; 0 or -errno with a message in *ret_err. */
int run_line_command(struct cetakd *d, const char *line, const char *cmd, const char *actor,
		     char **ret_err);
/* Settle a card of unknown outcome: printed (the good card was found) or
 * spoiled (with a cause). 0 or -errno with a message. */
int run_resolve(struct cetakd *d, const char *job_id, const char *verdict, const char *cause,
		const char *actor, json_t **ret_data, char **ret_err);
/* The one-line summary for sd_notify STATUS and `cetakctl status`. */
void run_summary(struct cetakd *d, char *buf, size_t len);
/* Lines with a card between the hopper and the output (a cycle open): an
 * upgrade restarts cetakd only when there are none (docs/packaging.md). */
int run_cards_in_flight(struct cetakd *d);

#endif
