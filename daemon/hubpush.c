/*
 * hubpush.c - pushing the audit chain to the district hub (hubpush.h).
 */
#define _GNU_SOURCE
#include "hubpush.h"
#include "cetakd.h"
#include "common/log.h"
#include "ledger/ledger.h"
#include "loop.h"
#include "offload.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct hubpush {
	struct cetakd *d;
	struct offload *net; /* the thread that talks to the hub */
	struct ev_source *timer;
	bool busy;	   /* a round is out */
	long long ack;	   /* what the hub holds of this chain, as last heard; -1 unknown */
	long long last_ok; /* when the hub last answered (epoch s) */
	long long pushed;  /* records pushed since cetakd started */
	char error[300];   /* why the last round failed; "" when it worked */
};

/* One exchange with the hub, run on the network thread. */
struct round {
	struct hubpush *h;
	char conninfo[1200];
	int timeout_s;
	PGconn *c; /* kept across the exchanges of one round */
	bool push; /* false: ask hub.ack() */
	long long first, last;
	char *body;
	size_t len;
	long long ack; /* the answer */
	char why[300]; /* "" when it worked */
};

static void
first_line(char *dst, size_t n, const char *what, const char *msg)
{
	snprintf(dst, n, "%s: %s", what, msg && *msg ? msg : "no answer");
	dst[strcspn(dst, "\n")] = '\0';
}

static void
round_work(void *arg)
{
	struct round *r = arg;
	char stmt[64];
	PGresult *res;

	r->why[0] = '\0';
	if (!r->c) {
		r->c = PQconnectdb(r->conninfo);
		if (PQstatus(r->c) != CONNECTION_OK) {
			first_line(r->why, sizeof(r->why), "hub unreachable", PQerrorMessage(r->c));
			goto fail;
		}
		snprintf(stmt, sizeof(stmt), "SET statement_timeout = %d", r->timeout_s * 1000);
		PQclear(PQexec(r->c, stmt));
	}
	if (!r->push) {
		res = PQexec(r->c, "SELECT hub.ack()");
	} else {
		char a[32], b[32];
		snprintf(a, sizeof(a), "%lld", r->first);
		snprintf(b, sizeof(b), "%lld", r->last);
		const char *p[3] = { a, b, r->body };
		res = PQexecParams(r->c, "SELECT hub.push($1::bigint, $2::bigint, $3)", 3, NULL, p,
				   NULL, NULL, 0);
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		first_line(r->why, sizeof(r->why), "hub refused", PQerrorMessage(r->c));
		PQclear(res);
		goto fail;
	}
	r->ack = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (r->ack < 0)
		snprintf(r->why, sizeof(r->why),
			 "hub refused the slice of records %lld to %lld as oversized (lower "
			 "hub.batch)",
			 r->first, r->last);
	return;
fail:
	PQfinish(r->c);
	r->c = NULL;
}

static void round_done(void *arg, bool ran);

static void
round_free(struct round *r)
{
	PQfinish(r->c);
	free(r->body);
	free(r);
}

static void
round_end(struct hubpush *h, struct round *r, const char *why)
{
	if (why && *why) {
		if (strcmp(h->error, why) != 0)
			log_warn("hub: %s; the chain is kept and pushed again in %d s", why,
				 h->d->cfg->hub_push_interval_s);
		snprintf(h->error, sizeof(h->error), "%s", why);
	} else if (h->error[0]) {
		log_notice("hub: reachable again (%s was the reason)", h->error);
		h->error[0] = '\0';
	}
	h->busy = false;
	round_free(r);
}

/* Back on the loop: export the next slice from what the hub holds, or stop. */
static void
round_done(void *arg, bool ran)
{
	struct round *r = arg;
	struct hubpush *h = r->h;
	struct cetakd *d = h->d;
	long long seq;
	uint8_t head[32];

	if (!ran || d->stopping) {
		round_end(h, r, NULL);
		return;
	}
	if (r->why[0]) {
		round_end(h, r, r->why);
		return;
	}
	h->ack = r->ack;
	h->last_ok = (long long)time(NULL);
	if (r->push) {
		h->pushed += r->last - r->first + 1;
		log_info("hub: records %lld to %lld pushed; the hub holds %lld", r->first, r->last,
			 r->ack);
	}
	free(r->body);
	r->body = NULL;
	ledger_head(d->ledger, &seq, head);
	if (r->ack >= seq) {
		if (r->ack > seq) { /* not this chain: the hub's alarm says more */
			char why[200];
			snprintf(why, sizeof(why),
				 "the hub holds %lld records of this station, its chain has %lld",
				 r->ack, seq);
			round_end(h, r, why);
			return;
		}
		round_end(h, r, NULL);
		return;
	}
	/* the next slice: the export is bounded by hub.batch, so the loop stays quick */
	FILE *f = open_memstream(&r->body, &r->len);
	r->first = r->ack + 1;
	r->last = seq - r->first + 1 > d->cfg->hub_batch ? r->first + d->cfg->hub_batch - 1 : seq;
	if (!f || ledger_export_range(d->ledger, d->cfg->station_name, (long long)time(NULL),
				      r->first, d->cfg->hub_batch, f) < 0) {
		if (f)
			fclose(f);
		round_end(h, r, "the slice cannot be exported from the ledger");
		return;
	}
	fclose(f);
	r->push = true;
	if (offload_submit(h->net, round_work, round_done, r) < 0)
		round_end(h, r, "out of memory");
}

static void
round_start(struct hubpush *h)
{
	struct cetakd *d = h->d;
	struct round *r;

	if (h->busy || !d->station)
		return;
	if (!(r = calloc(1, sizeof(*r))))
		return;
	r->h = h;
	r->timeout_s = d->cfg->hub_timeout_s;
	snprintf(r->conninfo, sizeof(r->conninfo), "%s connect_timeout=%d", d->cfg->hub_conninfo,
		 d->cfg->hub_timeout_s);
	h->busy = true;
	if (offload_submit(h->net, round_work, round_done, r) < 0) {
		h->busy = false;
		free(r);
	}
}

static void
on_timer(struct ev_source *src, void *data)
{
	struct cetakd *d = data;

	(void)src;
	round_start(d->hub);
}

int
hubpush_start(struct cetakd *d)
{
	struct hubpush *h;

	if (!d->cfg->hub_conninfo[0])
		return 0;
	if (!d->station) {
		log_warn("hub: no station key (ledger.station_key): the chain cannot be signed "
			 "for the hub; nothing is pushed");
		return 0;
	}
	if (!(h = calloc(1, sizeof(*h))))
		return -1;
	h->d = d;
	h->ack = -1;
	if (offload_start(d->loop, "hub", &h->net) < 0 ||
	    ev_add_timer(d->loop, (uint64_t)d->cfg->hub_push_interval_s * 1000, on_timer, d,
			 &h->timer) < 0) {
		offload_stop(h->net);
		free(h);
		log_error("hub: cannot start the push thread");
		return -1;
	}
	d->hub = h;
	round_start(h); /* at once: a station back online catches up first thing */
	return 0;
}

void
hubpush_kick(struct cetakd *d)
{
	if (d->hub)
		round_start(d->hub);
}

void
hubpush_stop(struct cetakd *d)
{
	struct hubpush *h = d->hub;

	if (!h)
		return;
	ev_source_free(h->timer);
	offload_stop(h->net); /* a round in hand ends; its done frees it */
	free(h);
	d->hub = NULL;
}

json_t *
hubpush_status(struct cetakd *d)
{
	struct hubpush *h = d->hub;
	long long seq = 0;
	uint8_t head[32];

	if (d->ledger)
		ledger_head(d->ledger, &seq, head);
	if (!h)
		return json_pack("{s:b, s:I}", "configured", d->cfg->hub_conninfo[0] != '\0',
				 "records", (json_int_t)seq);
	return json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:s, s:b}", "configured", 1, "records",
			 (json_int_t)seq, "acknowledged", (json_int_t)h->ack, "waiting",
			 (json_int_t)(h->ack >= 0 && seq > h->ack ? seq - h->ack : 0),
			 "last_contact", (json_int_t)h->last_ok, "pushed", (json_int_t)h->pushed,
			 "error", h->error, "busy", h->busy);
}
