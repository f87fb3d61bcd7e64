/*
 * sc_internal.h - shared between the files of the smartcard module only.
 */
#ifndef CETAK_SC_INTERNAL_H
#define CETAK_SC_INTERNAL_H

#include <stdbool.h>
#include <winscard.h>

#include "sc.h"

struct sc_ctx {
	SCARDCONTEXT hctx;
	bool established;
	/* largest UPDATE BINARY data the last card took after announcing extended
	 * length (0 = not learned yet): later cards start there, not at the
	 * profile's maximum, saving the probing APDUs */
	size_t learned_wchunk;
};

/* Establish the context if needed (again after pcscd restarted). */
enum sc_outcome sc_ensure(struct sc_ctx *ctx);
void sc_ctx_release(struct sc_ctx *ctx);
/* SCARD_* to an outcome; a lost service releases the context. */
enum sc_outcome sc_translate(struct sc_ctx *ctx, LONG rv);

#endif
