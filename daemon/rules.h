/*
 * rules.h - what the print line does after each physical step, and after a
 * crash: the rules of the card cycle, in one place (docs/print-line.md has
 * them as tables, tests/unit/test_rules.c walks every row).
 *
 * Pure: the outcome of a step (or, at start-up, the step a card cycle was
 * interrupted at and what the ledger recorded), the job's counted failures
 * so far and the line's run of unusable blanks in; a decision out: what
 * becomes of the card (and which ledger event records it), of the job and
 * of the line. The engine (run.c) carries the decision out with the ledger
 * and the job store.
 */
#ifndef CETAK_RULES_H
#define CETAK_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "printer/pb.h"
#include "smartcard/sc.h"

enum cycle_step { STEP_FEED, STEP_ENCODE, STEP_PRINT, STEP_EJECT, STEP_REJECT, STEP_COUNT };

enum rule_act {
	RULE_NEXT,    /* the step is done: go on to the next one */
	RULE_WAIT,    /* transient: the same step again after retry_interval */
	RULE_REJECT,  /* the card goes to the reject box, spoiled with `cause` */
	RULE_STOP,    /* the line stops; a card in flight is spoiled with `cause` in place */
	RULE_UNKNOWN, /* printing started and its result is unknown: an operator resolves */
	/* start-up recovery only: */
	RULE_CLOSE,   /* no card was taken: close the cycle; the job per `job` */
	RULE_ISSUED,  /* the ledger already has the issue: close the cycle, the job done */
	RULE_SPOILED, /* the ledger already has the spoil: close the cycle; the job per `job` */
	RULE_ISSUE,   /* the printer had confirmed the eject: record the issue now */
};

/* What the ledger records of the card once the decision is carried out. */
enum rule_event {
	EVENT_NONE,
	EVENT_TAKE,  /* a blank left the hopper (after feed) */
	EVENT_ISSUE, /* the card is issued (after eject) */
	EVENT_SPOIL, /* the card is spoiled with `cause` (after the reject, or in place) */
};

/* What the ledger had recorded of the interrupted cycle's job (recovery). */
enum rule_recorded { RECORDED_NONE, RECORDED_ISSUE, RECORDED_SPOIL };

/* What becomes of the job once its card is rejected or the line stops. */
enum rule_job {
	JOB_FATE_NONE,	  /* the job goes on (RULE_NEXT / RULE_WAIT) */
	JOB_FATE_RETRY,	  /* on a new blank, at once */
	JOB_FATE_REQUEUE, /* back to the front of the queue (the line stops or drains) */
	JOB_FATE_HOLD,	  /* held with the reason: a person decides */
};

struct rule_in {
	enum cycle_step step;
	enum pb_class pb;   /* printer steps */
	enum sc_outcome sc; /* the encode step */
	uint16_t sw;	    /* the card's refusing status word, if any */
	bool desk;	    /* the line's encoder is a desk reader */
	bool serial_read;   /* the chip answered with its serial before the failure */
	long failures;	    /* counted failures of the job before this one */
	int max_attempts;
	int bad_blanks; /* unusable blanks in a row on the line before this one */
	int bad_blank_stop;
	/* start-up recovery: the cycle was interrupted at `step` */
	bool recovery;
	bool in_flight;		     /* the ledger shows a card in flight on the line */
	enum rule_recorded recorded; /* its last card event, when it is this job's */
	bool eject_confirmed;	     /* the cycle's note: the printer confirmed the eject */
	bool reject_hold;	     /* at reject: the job's recorded fate was hold */
	int reject_cause;	     /* at reject: the recorded cause, -1 unknown */
};

struct rule_out {
	enum rule_act act;
	int cause; /* enum ledger_cause for REJECT/STOP with a card; -1 none */
	enum rule_job job;
	bool stop_line;	 /* after this, the line stops for an operator */
	bool counts;	 /* this failure counts against the job's attempts */
	bool bad_blank;	 /* the blank itself was unusable */
	bool clear_path; /* recovery: a USB printer clears its card path before the next card */
	enum rule_event event; /* what the ledger records when this is carried out */
	enum cycle_step next;  /* RULE_NEXT: the step that follows (STEP_COUNT: the card is done) */
	const char *why;       /* a short reason for people (static) */
};

void rules_decide(const struct rule_in *in, struct rule_out *out);

/* Does this status word mean authentication or key trouble (never retried)? */
bool rules_auth_sw(uint16_t sw);

const char *cycle_step_name(enum cycle_step s);
int cycle_step_from_name(const char *s); /* -1 when unknown */

#endif
