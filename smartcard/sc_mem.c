/*
 * sc_mem.c - the in-memory card transport (sc_mem.h).
 */
#define _GNU_SOURCE
#include "sc_mem.h"
#include "sc_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MEM_READERS 8

struct mem_reader {
	char name[64];
	sc_mem_card_fn fn;
	void *card;
	uint8_t atr[33];
	size_t atr_len;
	bool mute;
	bool connected;
	unsigned gen; /* bumped when a card goes in or out: a connection to the old one is gone */
	int fault_after; /* -1 none */
	enum sc_outcome fault;
	int delay_ms;
	unsigned apdus;
};

struct sc_mem {
	pthread_mutex_t mu;
	void (*on_apdu)(void *arg, const char *reader, unsigned count);
	void *on_apdu_arg;
	struct mem_reader r[MEM_READERS];
	int n;
};

struct mem_conn {
	int reader;
	unsigned gen;
};

int
sc_mem_new(struct sc_mem **ret)
{
	struct sc_mem *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->mu, NULL);
	*ret = m;
	return 0;
}

void
sc_mem_free(struct sc_mem *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static struct mem_reader *
find(struct sc_mem *m, const char *name)
{
	for (int i = 0; i < m->n; i++)
		if (!strcmp(m->r[i].name, name))
			return &m->r[i];
	return NULL;
}

int
sc_mem_add_reader(struct sc_mem *m, const char *name)
{
	int r = -ENOSPC;

	pthread_mutex_lock(&m->mu);
	if (m->n < MEM_READERS) {
		struct mem_reader *rd = &m->r[m->n++];
		memset(rd, 0, sizeof(*rd));
		snprintf(rd->name, sizeof(rd->name), "%s", name);
		rd->fault_after = -1;
		r = 0;
	}
	pthread_mutex_unlock(&m->mu);
	return r;
}

void
sc_mem_insert(struct sc_mem *m, const char *reader, sc_mem_card_fn fn, void *card,
	      const uint8_t *atr, size_t atr_len, bool mute)
{
	pthread_mutex_lock(&m->mu);
	struct mem_reader *rd = find(m, reader);
	if (rd) {
		rd->fn = fn;
		rd->card = card;
		rd->mute = mute;
		rd->atr_len = atr && atr_len <= sizeof(rd->atr) ? atr_len : 0;
		if (rd->atr_len)
			memcpy(rd->atr, atr, rd->atr_len);
		rd->gen++;
	}
	pthread_mutex_unlock(&m->mu);
}

void
sc_mem_fault(struct sc_mem *m, const char *reader, int after, enum sc_outcome o, int delay_ms)
{
	pthread_mutex_lock(&m->mu);
	struct mem_reader *rd = find(m, reader);
	if (rd) {
		rd->fault_after = after;
		rd->fault = o;
		rd->delay_ms = delay_ms;
	}
	pthread_mutex_unlock(&m->mu);
}

void
sc_mem_on_apdu(struct sc_mem *m, void (*fn)(void *arg, const char *reader, unsigned count),
	       void *arg)
{
	pthread_mutex_lock(&m->mu);
	m->on_apdu = fn;
	m->on_apdu_arg = arg;
	pthread_mutex_unlock(&m->mu);
}

unsigned
sc_mem_apdus(struct sc_mem *m, const char *reader)
{
	pthread_mutex_lock(&m->mu);
	struct mem_reader *rd = find(m, reader);
	unsigned n = rd ? rd->apdus : 0;
	pthread_mutex_unlock(&m->mu);
	return n;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- the transport ---- */

static enum sc_outcome
mem_list(struct sc_ctx *ctx, char **ret, size_t *ret_len)
{
	struct sc_mem *m = ctx->priv;
	size_t n = 1;

	pthread_mutex_lock(&m->mu);
	for (int i = 0; i < m->n; i++)
		n += strlen(m->r[i].name) + 1;
	char *buf = calloc(1, n), *p = buf;
	for (int i = 0; buf && i < m->n; i++)
		p = stpcpy(p, m->r[i].name) + 1;
	pthread_mutex_unlock(&m->mu);
	if (!buf)
		return SC_ERROR;
	*ret = buf;
	*ret_len = n;
	return SC_OK;
}

static unsigned
state_of(const struct mem_reader *rd)
{
	if (!rd->fn)
		return SC_STATE_EMPTY;
	return SC_STATE_PRESENT | (rd->mute ? SC_STATE_MUTE : 0) |
	       (rd->connected ? SC_STATE_INUSE : 0);
}

static enum sc_outcome
mem_wait(struct sc_ctx *ctx, const char *reader, unsigned *state, int timeout_ms)
{
	struct sc_mem *m = ctx->priv;

	for (int waited = 0;; waited += 5) {
		pthread_mutex_lock(&m->mu);
		struct mem_reader *rd = find(m, reader);
		unsigned now = rd ? state_of(rd) : 0;
		pthread_mutex_unlock(&m->mu);
		if (!rd)
			return SC_NO_READER;
		if (now != *state) {
			*state = now;
			return SC_OK;
		}
		if (waited >= timeout_ms)
			return SC_CARD_ABSENT;
		sleep_ms(5);
	}
}

static enum sc_outcome
mem_connect(struct sc_ctx *ctx, const char *reader, void **ret_conn, uint8_t *atr, size_t *atr_len,
	    char *why, size_t len)
{
	struct sc_mem *m = ctx->priv;
	enum sc_outcome o = SC_OK;
	struct mem_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return SC_ERROR;
	pthread_mutex_lock(&m->mu);
	struct mem_reader *rd = find(m, reader);
	if (!rd) {
		o = SC_READER_LOST;
		snprintf(why, len, "no such reader");
	} else if (!rd->fn) {
		o = SC_CARD_REMOVED;
		snprintf(why, len, "no card");
	} else if (rd->mute) {
		o = SC_CARD_MUTE;
		snprintf(why, len, "the card gives no ATR");
	} else {
		c->reader = (int)(rd - m->r);
		c->gen = rd->gen;
		rd->connected = true;
		memcpy(atr, rd->atr, rd->atr_len);
		*atr_len = rd->atr_len;
	}
	pthread_mutex_unlock(&m->mu);
	if (o != SC_OK) {
		free(c);
		return o;
	}
	*ret_conn = c;
	return SC_OK;
}

static enum sc_outcome
mem_transmit(struct sc_ctx *ctx, void *conn, const uint8_t *cmd, size_t n, uint8_t *resp,
	     size_t *rlen, bool *transient, char *why, size_t len)
{
	struct sc_mem *m = ctx->priv;
	struct mem_conn *c = conn;
	enum sc_outcome o = SC_OK;
	int delay = 0;
	static uint8_t out[65536 + 2];
	static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

	*transient = false;
	pthread_mutex_lock(&m->mu);
	struct mem_reader *rd = &m->r[c->reader];
	rd->apdus++;
	delay = rd->delay_ms;
	if (!rd->fn || rd->gen != c->gen) {
		o = SC_CARD_REMOVED;
	} else if (rd->fault_after == 0) {
		o = rd->fault;
		if (o != SC_CARD_MUTE)
			rd->fault_after = -1;
	} else if (rd->fault_after > 0) {
		rd->fault_after--;
	}
	sc_mem_card_fn fn = rd->fn;
	void *card = rd->card;
	void (*hook)(void *, const char *, unsigned) = m->on_apdu;
	void *hook_arg = m->on_apdu_arg;
	unsigned count = rd->apdus;
	char name[sizeof(rd->name)];
	memcpy(name, rd->name, sizeof(name));
	pthread_mutex_unlock(&m->mu);
	if (hook)
		hook(hook_arg, name, count);
	if (delay > 0)
		sleep_ms(delay);
	if (o != SC_OK) {
		*transient = o == SC_ERROR;
		snprintf(why, len, "%s (scripted)", sc_outcome_name(o));
		return o;
	}
	pthread_mutex_lock(&out_mu);
	size_t got = fn(card, cmd, n, out);
	if (got >= 2 && got <= *rlen)
		memcpy(resp, out, got);
	pthread_mutex_unlock(&out_mu);
	if (got < 2) {
		snprintf(why, len, "the card gave no answer");
		return SC_ERROR;
	}
	if (got > *rlen) {
		snprintf(why, len, "the answer is longer than the buffer");
		return SC_ERROR;
	}
	*rlen = got;
	return SC_OK;
}

static void
mem_disconnect(struct sc_ctx *ctx, void *conn)
{
	struct sc_mem *m = ctx->priv;
	struct mem_conn *c = conn;

	pthread_mutex_lock(&m->mu);
	m->r[c->reader].connected = false;
	pthread_mutex_unlock(&m->mu);
	free(c);
}

static void
mem_free(struct sc_ctx *ctx)
{
	(void)ctx; /* the bank belongs to the test */
}

static const struct sc_transport sc_mem_transport = {
	.name = "mem",
	.list = mem_list,
	.wait = mem_wait,
	.connect = mem_connect,
	.transmit = mem_transmit,
	.disconnect = mem_disconnect,
	.free = mem_free,
};

int
sc_ctx_new_mem(struct sc_mem *m, struct sc_ctx **ret)
{
	struct sc_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -ENOMEM;
	ctx->t = &sc_mem_transport;
	ctx->priv = m;
	*ret = ctx;
	return 0;
}
