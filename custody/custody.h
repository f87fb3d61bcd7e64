/*
 * custody.h - what may happen to an issued card, as one table.
 *
 * The custody of a card (jobs/custody.h keeps it) changes only through an
 * action of this table: who may do it (operator or supervisor), from which
 * states, to which state, and what it must say (a place, a document number,
 * a reason). custody_check() is the one judge, pure, so that cetakctl, the
 * dashboard and the tests get the same answer and the same one-line reason.
 */
#ifndef CETAK_CUSTODY_H
#define CETAK_CUSTODY_H

#include <stdbool.h>
#include <stddef.h>

#include "jobs/custody.h"

enum custody_action {
	CA_STORE,     /* put away in a place, or moved to another (operator) */
	CA_HANDOVER,  /* given to the holder or a proxy, chip checked (operator) */
	CA_TRANSFER,  /* sent to the kecamatan in a batch (supervisor) */
	CA_COLLECTED, /* a transferred card collected at the kecamatan (supervisor) */
	CA_WITHDRAW,  /* void: holder died, data wrong, a newer card (supervisor) */
	CA_DESTROY,   /* a withdrawn card destroyed (supervisor) */
	CA_CORRECT,   /* a supervisor sets the state by hand, with a note */
	CA_RETURNED,  /* an old card taken back at a replacement's hand-over */
	CA_COUNT
};

struct custody_rule {
	const char *name; /* the word of cetakctl card NAME and of the journal */
	unsigned from;	  /* CS_MASK of the states it applies to */
	int to;		  /* the state it leads to; -1: given (correct) */
	bool supervisor;  /* only a supervisor may */
	bool needs_place, needs_doc, needs_note;
};

const struct custody_rule *custody_rule(enum custody_action a);
int custody_action_from_name(const char *name); /* -1 when unknown */

/* What a request says beyond the card. */
struct custody_request {
	bool supervisor;
	const char *place, *doc, *note;
	int to; /* CA_CORRECT: the state to set */
};

/*
 * May action a be done to the card in row as requested? 0, or -EPERM (a
 * role or a state that does not allow it) / -EINVAL (something missing),
 * with one line for people in why that names the card and what to do.
 */
int custody_check(enum custody_action a, const struct custody_row *row,
		  const struct custody_request *req, char *why, size_t len);

/*
 * Is the card due for transfer to its kecamatan at now? Stored for at least
 * days since it was printed, and either `notices` notices sent or none
 * possible (no phone number, or notices off).
 */
bool custody_due_for_transfer(const struct custody_row *row, long long now, int days, int notices,
			      bool notices_on);

/* "stored in B12 since 2026-11-29", "handed over on ...": where the card is. */
void custody_where(const struct custody_row *row, char *out, size_t len);

#endif
