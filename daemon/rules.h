/*
 * rules.h - what the print line does after each physical step: the rules of
 * the card cycle, in one place (docs/print-line.md has them as a table).
 *
 * Pure: the outcome of a step, the job's counted failures so far and the
 * line's run of unusable blanks in, a decision out. The engine (run.c)
 * carries the decision out with the ledger and the job store.
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
};

/* What becomes of the job once its card is rejected or the line stops. */
enum rule_job {
	JOB_FATE_NONE,    /* the job goes on (RULE_NEXT / RULE_WAIT) */
	JOB_FATE_RETRY,   /* on a new blank, at once */
	JOB_FATE_REQUEUE, /* back to the front of the queue (the line stops or drains) */
	JOB_FATE_HOLD,    /* held with the reason: a person decides */
};

struct rule_in {
	enum cycle_step step;
	enum pb_class pb;      /* printer steps */
	enum sc_outcome sc;    /* the encode step */
	uint16_t sw;           /* the card's refusing status word, if any */
	bool desk;             /* the line's encoder is a desk reader */
	bool serial_read;      /* the chip answered with its serial before the failure */
	long failures;         /* counted failures of the job before this one */
	int max_attempts;
	int bad_blanks;        /* unusable blanks in a row on the line before this one */
	int bad_blank_stop;
};

struct rule_out {
	enum rule_act act;
	int cause;             /* enum ledger_cause for REJECT/STOP with a card; -1 none */
	enum rule_job job;
	bool stop_line;        /* after this, the line stops for an operator */
	bool counts;           /* this failure counts against the job's attempts */
	bool bad_blank;        /* the blank itself was unusable */
	const char *why;       /* a short reason for people (static) */
};

void rules_decide(const struct rule_in *in, struct rule_out *out);

/* Does this status word mean authentication or key trouble (never retried)? */
bool rules_auth_sw(uint16_t sw);

const char *cycle_step_name(enum cycle_step s);
int cycle_step_from_name(const char *s); /* -1 when unknown */

#endif
