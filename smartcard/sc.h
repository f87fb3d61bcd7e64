/*
 * sc.h - smartcard module: the only code that talks to PC/SC (libpcsclite).
 *
 * SCARD_* codes are translated to enum sc_outcome here and nowhere else.
 * A context that pcscd dropped (pcscd restarted, service stopped) is released
 * and established again on the next call, so a reader that comes back or a
 * pcscd that restarts is picked up without restarting cetakd.
 */
#ifndef CETAK_SC_H
#define CETAK_SC_H

#include <stddef.h>

enum sc_outcome {
	SC_OK,
	SC_NO_SERVICE, /* pcscd not running or unreachable */
	SC_NO_READER,  /* no reader matches */
	SC_ERROR,      /* any other PC/SC failure; see the message */
};

struct sc_ctx;

/* Returns 0 and *ret_ctx (no PC/SC call is made yet) or -ENOMEM. */
int sc_ctx_new(struct sc_ctx **ret_ctx);
/* Releases the PC/SC context. NULL is fine. */
void sc_ctx_free(struct sc_ctx *ctx);

/*
 * Find the first reader whose name matches the fnmatch(3) pattern. On SC_OK
 * the name is copied into ret_name (len bytes, truncated, NUL-terminated).
 * On other outcomes a short reason is copied into ret_name instead.
 */
enum sc_outcome sc_reader_find(struct sc_ctx *ctx, const char *pattern, char *ret_name,
			       size_t len);

const char *sc_outcome_name(enum sc_outcome o);

#endif
