/*
 * alerts.c - stock conditions, their alert lifecycle and channels.
 */
#define _GNU_SOURCE
#include "common/i18n.h"
#include "alerts.h"
#include "common/log.h"
#include "stock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ALERTS 16

/* Fixed journal MESSAGE_IDs, one per kind (journalctl MESSAGE_ID=...). */
static const struct {
	const char *kind;
	const char *message_id;
} kinds[] = {
	{ "stock-low", "5b0e2f6a8c3d4e1f9a7b6c5d4e3f2a10" },
	{ "stock-cover", "5b0e2f6a8c3d4e1f9a7b6c5d4e3f2a11" },
	{ "hopper-low", "5b0e2f6a8c3d4e1f9a7b6c5d4e3f2a12" },
	{ "ribbon-low", "5b0e2f6a8c3d4e1f9a7b6c5d4e3f2a13" },
	{ "printer-counter", "5b0e2f6a8c3d4e1f9a7b6c5d4e3f2a14" },
};

struct alert {
	char key[48]; /* kind, or kind:line */
	char message[256];
	long long since, last_sent;
	int seen; /* in this evaluation */
};

struct alerts {
	struct alert a[MAX_ALERTS];
	int n;
};

int
alerts_new(struct alerts **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

void
alerts_free(struct alerts *a)
{
	free(a);
}

static const char *
message_id(const char *key)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncmp(key, kinds[i].kind, strlen(kinds[i].kind)))
			return kinds[i].message_id;
	return "";
}

/* The alert as JSON for the alert command (the daemon runs it). */
static void
deliver(const struct alerts_config *cfg, const struct alert *al, const char *state, long long now)
{
	if (!cfg->deliver)
		return;
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "alert", al->key, "state", state,
			      "message", al->message, "station", cfg->station ? cfg->station : "",
			      "since", (json_int_t)al->since, "at", (json_int_t)now);
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (text)
		cfg->deliver(cfg->deliver_ctx, text);
	free(text);
}

static void
notify(const struct alerts_config *cfg, struct alert *al, const char *state, long long now)
{
	char mid[64];
	struct log_field f[] = { { "MESSAGE_ID", mid },
				 { "ALERT", al->key },
				 { "ALERT_STATE", state } };

	snprintf(mid, sizeof(mid), "%s", message_id(al->key));
	log_emit(strcmp(state, "cleared") ? LOG_WARNING : LOG_NOTICE, f, 3, "alert %s %s: %s",
		 al->key, state, al->message);
	deliver(cfg, al, state, now);
	al->last_sent = now;
}

static void condition(struct alerts *a, const struct alerts_config *cfg, const char *key,
		      long long now, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The condition key holds now: raise it, or repeat it when due. */
static void
condition(struct alerts *a, const struct alerts_config *cfg, const char *key, long long now,
	  const char *fmt, ...)
{
	struct alert *al = NULL;
	va_list ap;

	for (int i = 0; i < a->n; i++)
		if (!strcmp(a->a[i].key, key))
			al = &a->a[i];
	int fresh = !al;
	if (fresh) {
		if (a->n == MAX_ALERTS)
			return;
		al = &a->a[a->n++];
		memset(al, 0, sizeof(*al));
		snprintf(al->key, sizeof(al->key), "%s", key);
		al->since = now;
	}
	va_start(ap, fmt);
	vsnprintf(al->message, sizeof(al->message), fmt, ap);
	va_end(ap);
	al->seen = 1;
	if (fresh)
		notify(cfg, al, "raised", now);
	else if (now - al->last_sent >= cfg->repeat_s)
		notify(cfg, al, "repeat", now);
}

void
stock_outlook(const struct alerts_config *cfg, struct ledger *l, long long now,
	      struct stock_outlook *o)
{
	struct ledger_balance b;
	long used = ledger_used_since(l, now - (long long)cfg->window_days * 86400);

	ledger_balance(l, &b);
	memset(o, 0, sizeof(*o));
	o->on_hand = b.store;
	for (int i = 0; i < b.n_lines; i++)
		o->on_hand += b.lines[i].hopper;
	o->per_day = used > 0 ? (double)used / cfg->window_days : 0;
	o->days_of_cover = o->per_day > 0 ? o->on_hand / o->per_day : -1;
	o->runout_at = o->per_day > 0 ? now + (long long)(o->days_of_cover * 86400) : 0;
}

long
stock_forecast(const struct alerts_config *cfg, const struct stock_outlook *o, int days_ahead)
{
	double need = o->per_day * (days_ahead + cfg->lead_days) - (double)o->on_hand;
	return need > 0 ? (long)(need + 0.999) : 0;
}

static void
write_metrics(const struct alerts *a, const struct alerts_config *cfg, struct ledger *l,
	      const struct stock_outlook *o)
{
	struct ledger_balance b;
	char tmp[4096];
	FILE *f;

	if (!cfg->metrics || !cfg->metrics[0])
		return;
	ledger_balance(l, &b);
	snprintf(tmp, sizeof(tmp), "%s.tmp", cfg->metrics);
	if (!(f = fopen(tmp, "w"))) {
		log_warn("alerts: cannot write %s", tmp);
		return;
	}
	fprintf(f,
		"# HELP cetak_blanks_on_hand Blank cards in the store and the hoppers.\n"
		"# TYPE cetak_blanks_on_hand gauge\ncetak_blanks_on_hand %ld\n"
		"# HELP cetak_blanks_store Blank cards in the store.\n"
		"# TYPE cetak_blanks_store gauge\ncetak_blanks_store %ld\n"
		"# HELP cetak_hopper_blanks Blank cards in a line's input hopper.\n"
		"# TYPE cetak_hopper_blanks gauge\n",
		o->on_hand, b.store);
	for (int i = 0; i < b.n_lines; i++)
		fprintf(f, "cetak_hopper_blanks{line=\"%s\"} %ld\n", b.lines[i].name,
			b.lines[i].hopper);
	fprintf(f, "# HELP cetak_ribbon_prints_left Prints left on a line's ribbon (rating - "
		   "counted).\n"
		   "# TYPE cetak_ribbon_prints_left gauge\n");
	for (int i = 0; i < b.n_lines; i++)
		if (b.lines[i].ribbon[0])
			fprintf(f, "cetak_ribbon_prints_left{line=\"%s\",ribbon=\"%s\"} %ld\n",
				b.lines[i].name, b.lines[i].ribbon,
				b.lines[i].ribbon_rated - b.lines[i].ribbon_prints);
	fprintf(f, "# HELP cetak_cards_printed_total Cards through a line's print head.\n"
		   "# TYPE cetak_cards_printed_total counter\n");
	for (int i = 0; i < b.n_lines; i++)
		fprintf(f, "cetak_cards_printed_total{line=\"%s\"} %ld\n", b.lines[i].name,
			b.lines[i].prints);
	fprintf(f, "# HELP cetak_printer_outside_cards Cards a printer counted that cetakd did not "
		   "print, not yet explained.\n# TYPE cetak_printer_outside_cards gauge\n");
	for (int i = 0; i < b.n_lines; i++)
		fprintf(f, "cetak_printer_outside_cards{line=\"%s\"} %ld\n", b.lines[i].name,
			b.lines[i].outside);
	fprintf(f,
		"# HELP cetak_cards_issued_total Good cards issued.\n"
		"# TYPE cetak_cards_issued_total counter\ncetak_cards_issued_total %ld\n"
		"# HELP cetak_cards_spoiled_total Spoiled cards, by cause.\n"
		"# TYPE cetak_cards_spoiled_total counter\n",
		b.issued);
	for (int i = 0; i < CAUSE_COUNT; i++)
		fprintf(f, "cetak_cards_spoiled_total{cause=\"%s\"} %ld\n",
			ledger_cause_name((enum ledger_cause)i), b.by_cause[i]);
	if (o->days_of_cover >= 0)
		fprintf(f,
			"# HELP cetak_days_of_cover Days the blanks on hand last at the recent "
			"use.\n# TYPE cetak_days_of_cover gauge\ncetak_days_of_cover %.1f\n",
			o->days_of_cover);
	fprintf(f, "# HELP cetak_alerts_active Alerts now active.\n# TYPE cetak_alerts_active "
		   "gauge\n");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		int n = 0;
		for (int i = 0; i < a->n; i++)
			n += !strncmp(a->a[i].key, kinds[k].kind, strlen(kinds[k].kind));
		fprintf(f, "cetak_alerts_active{alert=\"%s\"} %d\n", kinds[k].kind, n);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 || rename(tmp, cfg->metrics))
		log_warn("alerts: writing %s failed", cfg->metrics);
}

void
alerts_evaluate(struct alerts *a, const struct alerts_config *cfg, struct ledger *l, long long now)
{
	struct stock_outlook o;
	struct ledger_balance b;
	char key[48];

	for (int i = 0; i < a->n; i++)
		a->a[i].seen = 0;
	stock_outlook(cfg, l, now, &o);
	ledger_balance(l, &b);
	if (b.received > 0 && o.on_hand <= cfg->reserve)
		condition(a, cfg, "stock-low", now,
			  R_("%ld blank cards on hand, reserve %ld: only new "
			     "and urgent jobs are printed"),
			  o.on_hand, cfg->reserve);
	if (o.days_of_cover >= 0 && o.days_of_cover < cfg->lead_days)
		condition(a, cfg, "stock-cover", now,
			  R_("%.1f days of blanks at %.1f a day; the lead "
			     "time is %d days: request more now"),
			  o.days_of_cover, o.per_day, cfg->lead_days);
	for (int i = 0; i < b.n_lines; i++) {
		const struct ledger_line *ln = &b.lines[i];
		long left = ln->ribbon_rated - ln->ribbon_prints;
		if (ln->ribbon[0] && left <= cfg->ribbon_low) {
			snprintf(key, sizeof(key), "ribbon-low:%s", ln->name);
			condition(a, cfg, key, now,
				  R_("line %s: ribbon %s has %ld of %ld prints left "
				     "(low at %ld)"),
				  ln->name, ln->ribbon, left, ln->ribbon_rated, cfg->ribbon_low);
		}
		if (ln->outside > 0) {
			snprintf(key, sizeof(key), "printer-counter:%s", ln->name);
			condition(a, cfg, key, now,
				  R_("line %s: the printer counted %ld cards that cetakd "
				     "did not print; a supervisor explains them with "
				     "`cetakctl stock counter-ack %s --note ...`"),
				  ln->name, ln->outside, ln->name);
		}
		if (ln->hopper > cfg->hopper_low)
			continue;
		snprintf(key, sizeof(key), "hopper-low:%s", ln->name);
		condition(a, cfg, key, now, R_("line %s has %ld blanks in its hopper (low at %ld)"),
			  ln->name, ln->hopper, cfg->hopper_low);
	}
	/* the ones that ended */
	for (int i = 0; i < a->n;) {
		if (a->a[i].seen) {
			i++;
			continue;
		}
		notify(cfg, &a->a[i], "cleared", now);
		a->a[i] = a->a[--a->n];
	}
	write_metrics(a, cfg, l, &o);
}

json_t *
alerts_json(const struct alerts *a)
{
	json_t *arr = json_array();

	for (int i = 0; i < a->n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I}", "alert", a->a[i].key,
						     "message", a->a[i].message, "since",
						     (json_int_t)a->a[i].since, "last_sent",
						     (json_int_t)a->a[i].last_sent));
	return arr;
}
