/*
 * sc_pcsc.c - the PC/SC transport (libpcsclite): the only file that talks
 * to pcscd.
 *
 * Failure behaviour: every SCARD_* error is mapped to an sc_outcome here and
 * nowhere else; a lost service releases the context so that the next call
 * establishes a new one (pcscd restarted, a reader came back).
 */
#define _GNU_SOURCE
#include "sc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <winscard.h>

struct pcsc {
	SCARDCONTEXT hctx;
	bool established;
};

struct pcsc_conn {
	SCARDHANDLE h;
	DWORD proto;
};

static struct pcsc *
pcsc(struct sc_ctx *ctx)
{
	return ctx->priv;
}

static void
release(struct sc_ctx *ctx)
{
	if (pcsc(ctx)->established)
		SCardReleaseContext(pcsc(ctx)->hctx);
	pcsc(ctx)->established = false;
}

/* Translate a PC/SC status; a lost service also drops our context. */
static enum sc_outcome
translate(struct sc_ctx *ctx, LONG rv)
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
		release(ctx);
		return SC_NO_SERVICE;
	default:
		return SC_ERROR;
	}
}

/* Establish the context if needed (again after pcscd restarted). */
static enum sc_outcome
ensure(struct sc_ctx *ctx)
{
	struct pcsc *p = pcsc(ctx);
	LONG rv;

	if (p->established && SCardIsValidContext(p->hctx) == SCARD_S_SUCCESS)
		return SC_OK;
	release(ctx);
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->hctx);
	if (rv != SCARD_S_SUCCESS)
		return translate(ctx, rv);
	p->established = true;
	return SC_OK;
}

static enum sc_outcome
pcsc_list(struct sc_ctx *ctx, char **ret, size_t *ret_len)
{
	DWORD n = 0;
	char *buf = NULL;
	enum sc_outcome o;
	LONG rv;

	*ret = NULL;
	if ((o = ensure(ctx)) != SC_OK)
		return o;
	rv = SCardListReaders(pcsc(ctx)->hctx, NULL, NULL, &n);
	if (rv == SCARD_S_SUCCESS) {
		buf = malloc(n ? n : 1);
		if (!buf)
			return SC_ERROR;
		rv = SCardListReaders(pcsc(ctx)->hctx, NULL, buf, &n);
	}
	if ((o = translate(ctx, rv)) != SC_OK) {
		free(buf);
		return o;
	}
	*ret = buf;
	*ret_len = n;
	return SC_OK;
}

static unsigned
state_of(DWORD ev)
{
	unsigned s = 0;

	if (ev & SCARD_STATE_EMPTY)
		s |= SC_STATE_EMPTY;
	if (ev & SCARD_STATE_PRESENT)
		s |= SC_STATE_PRESENT;
	if (ev & SCARD_STATE_MUTE)
		s |= SC_STATE_MUTE;
	if (ev & SCARD_STATE_INUSE)
		s |= SC_STATE_INUSE;
	return s;
}

static enum sc_outcome
pcsc_wait(struct sc_ctx *ctx, const char *reader, unsigned *state, int timeout_ms)
{
	SCARD_READERSTATE rs = { .szReader = reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	enum sc_outcome o;
	LONG rv;

	if ((o = ensure(ctx)) != SC_OK)
		return o;
	/* the state we know, in PC/SC's terms: a change from it ends the wait */
	if (*state) {
		rv = SCardGetStatusChange(pcsc(ctx)->hctx, 0, &rs, 1);
		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
			return (o = translate(ctx, rv)) == SC_OK ? SC_ERROR : o;
		if (state_of(rs.dwEventState) != *state) {
			*state = state_of(rs.dwEventState);
			return SC_OK;
		}
		rs.dwCurrentState = rs.dwEventState;
	}
	rv = SCardGetStatusChange(pcsc(ctx)->hctx, (DWORD)timeout_ms, &rs, 1);
	if (rv == SCARD_E_TIMEOUT)
		return SC_CARD_ABSENT;
	if (rv != SCARD_S_SUCCESS)
		return (o = translate(ctx, rv)) == SC_OK ? SC_ERROR : o;
	*state = state_of(rs.dwEventState);
	return SC_OK;
}

/* A failed call during card work, as the card's outcome. */
static enum sc_outcome
card_error(struct sc_ctx *ctx, LONG rv)
{
	switch (rv) {
	case SCARD_W_REMOVED_CARD:
	case SCARD_W_RESET_CARD:
	case SCARD_E_NO_SMARTCARD:
		return SC_CARD_REMOVED;
	case SCARD_W_UNRESPONSIVE_CARD:
	case SCARD_W_UNPOWERED_CARD:
	case SCARD_E_PROTO_MISMATCH:
		return SC_CARD_MUTE;
	case SCARD_E_NO_SERVICE:
	case SCARD_E_SERVICE_STOPPED:
	case SCARD_E_READER_UNAVAILABLE:
	case SCARD_E_UNKNOWN_READER:
		release(ctx);
		return SC_READER_LOST;
	default:
		return SC_ERROR;
	}
}

static enum sc_outcome
pcsc_connect(struct sc_ctx *ctx, const char *reader, void **ret_conn, uint8_t *atr, size_t *atr_len,
	     char *why, size_t len)
{
	struct pcsc_conn *c = calloc(1, sizeof(*c));
	enum sc_outcome o;
	LONG rv;

	if (!c)
		return SC_ERROR;
	if ((o = ensure(ctx)) != SC_OK) {
		free(c);
		return o;
	}
	rv = SCardConnect(pcsc(ctx)->hctx, reader, SCARD_SHARE_EXCLUSIVE,
			  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &c->h, &c->proto);
	if (rv != SCARD_S_SUCCESS) {
		snprintf(why, len, "cannot connect: %s", pcsc_stringify_error(rv));
		free(c);
		return card_error(ctx, rv);
	}
	rv = SCardBeginTransaction(c->h);
	if (rv != SCARD_S_SUCCESS) {
		SCardDisconnect(c->h, SCARD_LEAVE_CARD);
		snprintf(why, len, "no transaction: %s", pcsc_stringify_error(rv));
		free(c);
		return card_error(ctx, rv);
	}
	uint8_t a[MAX_ATR_SIZE];
	DWORD alen = sizeof(a), state, proto;
	char name[256];
	DWORD nlen = sizeof(name);
	*atr_len = 0;
	if (SCardStatus(c->h, name, &nlen, &state, &proto, a, &alen) == SCARD_S_SUCCESS &&
	    alen <= 33) {
		memcpy(atr, a, alen);
		*atr_len = alen;
	}
	*ret_conn = c;
	return SC_OK;
}

static enum sc_outcome
pcsc_transmit(struct sc_ctx *ctx, void *conn, const uint8_t *cmd, size_t n, uint8_t *resp,
	      size_t *rlen, bool *transient, char *why, size_t len)
{
	struct pcsc_conn *c = conn;
	DWORD got = (DWORD)*rlen;
	LONG rv = SCardTransmit(c->h, c->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1,
				cmd, (DWORD)n, NULL, resp, &got);

	*transient = false;
	if (rv == SCARD_S_SUCCESS && got >= 2) {
		*rlen = got;
		return SC_OK;
	}
	if (rv == SCARD_S_SUCCESS) { /* no status word: the link broke under the reader */
		snprintf(why, len, "no status word");
		return SC_ERROR;
	}
	snprintf(why, len, "%s", pcsc_stringify_error(rv));
	*transient = rv == SCARD_F_COMM_ERROR || rv == SCARD_E_NOT_TRANSACTED ||
		     rv == SCARD_E_COMM_DATA_LOST || rv == SCARD_E_TIMEOUT;
	return card_error(ctx, rv);
}

static void
pcsc_disconnect(struct sc_ctx *ctx, void *conn)
{
	struct pcsc_conn *c = conn;

	(void)ctx;
	SCardEndTransaction(c->h, SCARD_LEAVE_CARD);
	SCardDisconnect(c->h, SCARD_LEAVE_CARD);
	free(c);
}

static void
pcsc_free(struct sc_ctx *ctx)
{
	release(ctx);
	free(ctx->priv);
}

const struct sc_transport sc_pcsc_transport = {
	.name = "pcsc",
	.list = pcsc_list,
	.wait = pcsc_wait,
	.connect = pcsc_connect,
	.transmit = pcsc_transmit,
	.disconnect = pcsc_disconnect,
	.free = pcsc_free,
};

int
sc_ctx_new(struct sc_ctx **ret_ctx)
{
	struct sc_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx || !(ctx->priv = calloc(1, sizeof(struct pcsc)))) {
		free(ctx);
		return -ENOMEM;
	}
	ctx->t = &sc_pcsc_transport;
	*ret_ctx = ctx;
	return 0;
}
