/*
 * alerts.h - shortage reporting: stock conditions raised once when they
 * start, repeated on an interval while they last, cleared when they end,
 * through four channels: the journal (a fixed MESSAGE_ID per kind),
 * `cetakctl alerts`, an alert command (the alert as JSON on its stdin, for
 * mail, SMS or chat gateways) and Prometheus metrics in the node_exporter
 * textfile format, written atomically.
 */
#ifndef CETAK_ALERTS_H
#define CETAK_ALERTS_H

#include <jansson.h>

#include "ledger.h"

struct alerts_config {
	long reserve;	 /* blanks on hand at or below: stock-low */
	int lead_days;	 /* reorder lead time: cover below it is stock-cover */
	int window_days; /* average daily use over this many days */
	long hopper_low; /* per line: hopper-low */
	long ribbon_low; /* per line: ribbon-low (prints left on the ribbon) */
	int repeat_s;	 /* repeat an active alert this often */
	/* the alert as JSON for the alert command, or NULL; the daemon runs
	 * the command (its process is the daemon's, not the ledger's) */
	void (*deliver)(void *ctx, const char *json);
	void *deliver_ctx;
	const char *metrics; /* "" = none */
	const char *station;
};

struct stock_outlook {
	long on_hand;
	double per_day;	      /* average use; 0 when nothing was used */
	double days_of_cover; /* -1 when unknown (no use in the window) */
	long long runout_at;  /* projected epoch second, 0 when unknown */
};

struct alerts;

int alerts_new(struct alerts **ret);
void alerts_free(struct alerts *a); /* NULL is fine */

/* Look at the ledger now: raise, repeat or clear alerts; rewrite the metrics. */
void alerts_evaluate(struct alerts *a, const struct alerts_config *cfg, struct ledger *l,
		     long long now);
/* The active alerts, for cetakctl (a new reference). */
json_t *alerts_json(const struct alerts *a);

void stock_outlook(const struct alerts_config *cfg, struct ledger *l, long long now,
		   struct stock_outlook *ret);
/* Blanks to request so that stock covers days_ahead days plus the lead time. */
long stock_forecast(const struct alerts_config *cfg, const struct stock_outlook *o, int days_ahead);

#endif
