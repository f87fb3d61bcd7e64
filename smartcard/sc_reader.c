/*
 * sc_reader.c - readers by name pattern, and waiting for a card, over any
 * transport (sc_internal.h).
 */
#define _GNU_SOURCE
#include "sc_internal.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
sc_ctx_free(struct sc_ctx *ctx)
{
	if (!ctx)
		return;
	ctx->t->free(ctx);
	free(ctx);
}

enum sc_outcome
sc_reader_find(struct sc_ctx *ctx, const char *pattern, char *ret_name, size_t len)
{
	char *buf = NULL;
	size_t n = 0;
	enum sc_outcome o = ctx->t->list(ctx, &buf, &n);

	if (o == SC_OK) {
		/* A multi-string: names separated by NUL, ended by an empty name. */
		for (const char *p = buf; p < buf + n && *p; p += strlen(p) + 1) {
			if (fnmatch(pattern, p, 0) == 0) {
				snprintf(ret_name, len, "%s", p);
				free(buf);
				return SC_OK;
			}
		}
		o = SC_NO_READER;
	}
	free(buf);
	snprintf(ret_name, len, "%s", sc_outcome_name(o));
	return o;
}

/* Wait until the reader matching pattern holds a card (present) or none. */
static enum sc_outcome
wait_card(struct sc_ctx *ctx, const char *pattern, int timeout_ms, int present)
{
	char reader[256];
	enum sc_outcome o = sc_reader_find(ctx, pattern, reader, sizeof(reader));
	unsigned state = 0;

	if (o != SC_OK)
		return o;
	for (int elapsed = 0; elapsed <= timeout_ms; elapsed += 100) {
		o = ctx->t->wait(ctx, reader, &state, 100);
		if (o == SC_OK && (present ? (state & SC_STATE_PRESENT) && !(state & SC_STATE_INUSE)
					   : (state & SC_STATE_EMPTY)))
			return SC_OK;
		if (o != SC_OK && o != SC_CARD_ABSENT)
			return o;
	}
	return SC_CARD_ABSENT;
}

enum sc_outcome
sc_wait_removal(struct sc_ctx *ctx, const char *pattern, int timeout_ms)
{
	return wait_card(ctx, pattern, timeout_ms, 0);
}

enum sc_outcome
sc_wait_present(struct sc_ctx *ctx, const char *pattern, int timeout_ms)
{
	return wait_card(ctx, pattern, timeout_ms, 1);
}

const char *
sc_outcome_name(enum sc_outcome o)
{
	switch (o) {
	case SC_OK:
		return "ok";
	case SC_NO_SERVICE:
		return "pcscd not available";
	case SC_NO_READER:
		return "reader missing";
	case SC_CARD_ABSENT:
		return "no card";
	case SC_CARD_MUTE:
		return "card mute";
	case SC_CARD_REMOVED:
		return "card removed or reset";
	case SC_WRONG_CARD:
		return "wrong card";
	case SC_NOT_BLANK:
		return "card not blank";
	case SC_WRITE_FAILED:
		return "write failed";
	case SC_VERIFY_FAILED:
		return "verify failed";
	case SC_LOCK_FAILED:
		return "lock failed";
	case SC_READER_LOST:
		return "reader lost";
	case SC_AUTH_REFUSED:
		return "card refuses the SAM";
	case SC_COUNTERFEIT:
		return "counterfeit card";
	case SC_SAM_FAILED:
		return "SAM failed";
	default:
		return "PC/SC error";
	}
}
