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
	/* largest UPDATE BINARY data the last card took after announcing extended
	 * length (0 = not learned yet): later cards start there, not at the
	 * profile's maximum, saving the probing APDUs */
	size_t learned_wchunk;
};

extern const struct sc_transport sc_pcsc_transport;

#endif
