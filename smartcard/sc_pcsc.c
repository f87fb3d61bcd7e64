/*
 * sc_pcsc.c - PC/SC context management and reader discovery.
 *
 * Failure behaviour: every SCARD_* error is mapped to an sc_outcome; a lost
 * service releases the context so that the next call establishes a new one.
 */
#define _GNU_SOURCE
#include "sc.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <winscard.h>

#include "sc_internal.h"

int
sc_ctx_new(struct sc_ctx **ret_ctx)
{
	struct sc_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -ENOMEM;
	*ret_ctx = ctx;
	return 0;
}

void
sc_ctx_release(struct sc_ctx *ctx)
{
	if (ctx->established)
		SCardReleaseContext(ctx->hctx);
	ctx->established = false;
}

void
sc_ctx_free(struct sc_ctx *ctx)
{
	if (!ctx)
		return;
	sc_ctx_release(ctx);
	free(ctx);
}

/* Translate a PC/SC status; a lost service also drops our context. */
enum sc_outcome
sc_translate(struct sc_ctx *ctx, LONG rv)
{
	switch (rv) {
	case SCARD_S_SUCCESS:
		return SC_OK;
	case SCARD_E_NO_READERS_AVAILABLE:
	case SCARD_E_UNKNOWN_READER:
	case SCARD_E_READER_UNAVAILABLE:
		return SC_NO_READER;
	case SCARD_E_NO_SERVICE:
	case SCARD_E_SERVICE_STOPPED:
	case SCARD_E_INVALID_HANDLE:
	case SCARD_F_COMM_ERROR:
		sc_ctx_release(ctx);
		return SC_NO_SERVICE;
	default:
		return SC_ERROR;
	}
}

enum sc_outcome
sc_ensure(struct sc_ctx *ctx)
{
	LONG rv;

	if (ctx->established && SCardIsValidContext(ctx->hctx) == SCARD_S_SUCCESS)
		return SC_OK;
	sc_ctx_release(ctx);
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx->hctx);
	if (rv != SCARD_S_SUCCESS)
		return sc_translate(ctx, rv);
	ctx->established = true;
	return SC_OK;
}

enum sc_outcome
sc_reader_find(struct sc_ctx *ctx, const char *pattern, char *ret_name, size_t len)
{
	DWORD n = 0;
	char *buf = NULL;
	enum sc_outcome o;
	LONG rv;

	o = sc_ensure(ctx);
	if (o != SC_OK)
		goto fail;
	rv = SCardListReaders(ctx->hctx, NULL, NULL, &n);
	if (rv == SCARD_S_SUCCESS) {
		buf = malloc(n ? n : 1);
		if (!buf) {
			o = SC_ERROR;
			goto fail;
		}
		rv = SCardListReaders(ctx->hctx, NULL, buf, &n);
	}
	o = sc_translate(ctx, rv);
	if (o != SC_OK)
		goto fail;
	/* A multi-string: names separated by NUL, ended by an empty name. */
	for (const char *p = buf; p < buf + n && *p; p += strlen(p) + 1) {
		if (fnmatch(pattern, p, 0) == 0) {
			snprintf(ret_name, len, "%s", p);
			free(buf);
			return SC_OK;
		}
	}
	o = SC_NO_READER;
fail:
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
	SCARD_READERSTATE rs = { .szReader = reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	LONG rv;

	if (o != SC_OK)
		return o;
	for (int elapsed = 0; elapsed <= timeout_ms; elapsed += 100) {
		rv = SCardGetStatusChange(ctx->hctx, 100, &rs, 1);
		if (rv == SCARD_S_SUCCESS &&
		    (present ? (rs.dwEventState & SCARD_STATE_PRESENT) &&
				       !(rs.dwEventState & SCARD_STATE_INUSE)
			     : (rs.dwEventState & SCARD_STATE_EMPTY)))
			return SC_OK;
		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
			return sc_translate(ctx, rv) == SC_OK ? SC_ERROR : sc_translate(ctx, rv);
		rs.dwCurrentState = rs.dwEventState;
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
	default:
		return "PC/SC error";
	}
}
