/*
 * worker.h - one thread per print line for the physical steps.
 *
 * PC/SC and printer calls block (SCardTransmit cannot even be cancelled),
 * so they run here and never on the event loop. The engine (run.c) hands
 * the worker one operation at a time, after committing its intent; the
 * worker does it and signals its eventfd; the engine reads the result and
 * commits the outcome. The worker touches no database and no ledger.
 */
#ifndef CETAK_WORKER_H
#define CETAK_WORKER_H

#include <openssl/x509.h>
#include <stdbool.h>

#include "printer/pb.h"
#include "smartcard/sc.h"

enum wk_op {
	WK_FEED,   /* inline: move a blank to the encoder; desk: wait for one to be presented */
	WK_ENCODE, /* personalise and verify the card at the encoder */
	WK_PRINT,  /* print the face, card kept inside */
	WK_EJECT,  /* to the output hopper */
	WK_REJECT, /* to the reject box (a no-op where the printer has none) */
	WK_STATUS, /* ask the printer how it is */
};

struct wk_setup {
	const struct pb_ops *ops;
	struct pb_config pb; /* strings copied */
	char reader[256];    /* fnmatch pattern */
	bool desk;
	int card_timeout_ms, present_timeout_ms;
	const struct card_profile *prof; /* borrowed, outlives the worker */
	struct sc_sam sam;		 /* the SAM profile's SAM; reader "" = none */
	X509_STORE *csca;		 /* the worker takes its own reference */
	/* the card transport; NULL: PC/SC */
	int (*sc_new)(void *arg, struct sc_ctx **ret);
	void *sc_arg;
};

struct wk_result {
	enum wk_op op;
	enum pb_class cls; /* printer ops */
	struct pb_status st;
	enum sc_outcome sc;    /* WK_ENCODE, desk WK_FEED */
	struct sc_result card; /* WK_ENCODE */
	long counter;	       /* WK_STATUS: the printer's card count, -1 unknown */
	double ms;	       /* how long it took */
	double end_ms;	       /* CLOCK_MONOTONIC when it finished, ms */
};

struct worker;

/* Start the thread; efd becomes readable when a result is ready. */
int worker_start(const struct wk_setup *setup, struct worker **ret);
/* Ask the thread to finish after the operation in hand and join it. */
void worker_stop(struct worker *w);
int worker_fd(const struct worker *w);
bool worker_busy(const struct worker *w);
/* Start op; img (WK_ENCODE) and face (WK_PRINT) must stay valid until the
 * result is taken. -EBUSY when an operation is under way. */
int worker_submit(struct worker *w, enum wk_op op, const struct lds_image *img,
		  const struct pb_face *face);
/* The CSCA for the next encode (a reload); the worker keeps its own reference. */
void worker_set_csca(struct worker *w, X509_STORE *csca);
/* The finished operation's result: 0, or -EAGAIN when none is ready. */
int worker_result(struct worker *w, struct wk_result *ret);

const char *wk_op_name(enum wk_op op);

#endif
