/*
 * sc_internal.h - shared between the files of the smartcard module only.
 *
 * The card protocol (sc_card.c) talks to readers through a transport: PC/SC
 * (sc_pcsc.c, the only file that includes winscard.h) or an in-memory one a
 * test scripts (sc_mem.c). A transport knows readers and moves APDUs; it
 * does not know what the APDUs mean.
 */
#ifndef CETAK_SC_INTERNAL_H
#define CETAK_SC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "sc.h"

/* A reader's state, as a transport's wait reports it. */
#define SC_STATE_EMPTY 1   /* no card */
#define SC_STATE_PRESENT 2 /* a card is in */
#define SC_STATE_MUTE 4	   /* a card that gives no ATR */
#define SC_STATE_INUSE 8   /* a card another process holds */

struct sc_transport {
	const char *name;
	/* The reader names as a multi-string ("a\0b\0\0"), malloc'd. SC_OK or a failure. */
	enum sc_outcome (*list)(struct sc_ctx *ctx, char **ret_names, size_t *ret_len);
	/*
	 * Wait up to timeout_ms until reader's state differs from *state (0:
	 * unknown, so the current state is reported at once). SC_OK with the new
	 * state, SC_CARD_ABSENT when nothing changed in time, or a failure
	 * (SC_NO_SERVICE, SC_NO_READER, SC_ERROR).
	 */
	enum sc_outcome (*wait)(struct sc_ctx *ctx, const char *reader, unsigned *state,
				int timeout_ms);
	/* Connect to the card exclusively, in a transaction; its ATR (up to 33 bytes). */
	enum sc_outcome (*connect)(struct sc_ctx *ctx, const char *reader, void **ret_conn,
				   uint8_t *atr, size_t *atr_len, char *why, size_t len);
	/*
	 * One APDU. SC_OK with the response (status word last) in resp; or
	 * SC_CARD_REMOVED, SC_CARD_MUTE, SC_READER_LOST; or SC_ERROR, with
	 * *transient set when the link hiccuped (an idempotent command may be
	 * sent again) and why naming it.
	 */
	enum sc_outcome (*transmit)(struct sc_ctx *ctx, void *conn, const uint8_t *cmd, size_t n,
				    uint8_t *resp, size_t *rlen, bool *transient, char *why,
				    size_t len);
	void (*disconnect)(struct sc_ctx *ctx, void *conn);
	void (*free)(struct sc_ctx *ctx);
};

struct sc_ctx {
	const struct sc_transport *t;
	void *priv; /* the transport's own state */
	/* largest command data the last card took after announcing extended
	 * length (0 = not learned yet): later cards start there, not at the
	 * profile's maximum, saving the probing APDUs */
	size_t learned_wlimit;
};

extern const struct sc_transport sc_pcsc_transport;

/* ---- one open card (sc_card.c), used by the SAM code (sc_sam.c) too ---- */

#include "sm.h"

#define SC_MAX_RESP (65536 + 2)

struct sc_card {
	bool contactless; /* a PC/SC contactless ATR: the reader answers GET DATA */
	struct sc_ctx *ctx;
	void *conn; /* the transport's connection */
	int extended;
	size_t wlimit; /* command data the card takes in one APDU */
	size_t wchunk; /* UPDATE BINARY data per APDU: wlimit, less secure messaging's */
	size_t rchunk; /* READ BINARY Le */
	struct sc_result *res;
	struct sm_ctx *sm;   /* &sm_session once a SAM authenticated the card, else NULL */
	struct sc_card *sam; /* the SAM that did, to do it again */
	const struct card_profile *prof; /* borrowed for the card's work */
	struct sm_ctx sm_session;
	uint8_t resp[SC_MAX_RESP];
	uint8_t wbuf[SC_MAX_RESP + 64]; /* a wrapped command, an unwrapped response */
};

/* Wait for a card in the reader matching pattern and connect (c is zeroed
 * by the caller). SC_OK, or the failure with res's message set. */
enum sc_outcome sc_card_open(struct sc_ctx *ctx, const char *pattern, int timeout_ms,
			     struct sc_card *c, struct sc_result *res);
/* End the session and disconnect; safe on a card never opened. */
void sc_card_close(struct sc_card *c);
/* One command (sc_card.c explains retries and secure messaging); the
 * response data in c->resp[0..*rlen), the status word in *sw. */
enum sc_outcome sc_xmit(struct sc_card *c, const uint8_t *apdu, size_t n, int idempotent,
			size_t *rlen, uint16_t *sw);
/* A short (or, with ext, when needed, extended) APDU into out; its length. */
size_t sc_apdu(uint8_t *out, int ext, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
	       const uint8_t *data, size_t lc, size_t le);
void sc_res_fail(struct sc_result *r, enum sc_outcome o, uint16_t sw, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- the SAM (sc_sam.c) ---- */

/* Open the line's SAM, select its application, present its PIN and check
 * its district. SC_OK, or SC_SAM_FAILED with the reason in res. */
enum sc_outcome sam_open(struct sc_ctx *ctx, const struct sc_sam *cfg,
			 const struct card_profile *prof, struct sc_card *sam,
			 struct sc_result *sam_res, struct sc_result *res);
/* Mutual authentication of card and SAM; on SC_OK card->sm is the session.
 * Failures: SC_WRONG_CARD (no challenge), SC_AUTH_REFUSED (the card refuses
 * the SAM), SC_COUNTERFEIT (the card does not prove itself), SC_SAM_FAILED,
 * or the transport's. */
enum sc_outcome sam_authenticate(struct sc_card *sam, struct sc_card *card);
/* EF.SOD over the image's data groups, signed in the SAM, into *ret (its
 * data malloc'd). SC_OK or SC_SAM_FAILED with the reason in card_res. */
enum sc_outcome sam_build_sod(struct sc_card *sam, const struct lds_image *img,
			      struct lds_file *ret, struct sc_result *card_res);

#endif
