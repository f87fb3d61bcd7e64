/*
 * verbs_custody.c - control-socket verbs for the custody of issued cards.
 *
 * card-show, card-list and custody read; card-do changes a card's custody by
 * one action of custody/custody.c's table, judged by custody_check() and
 * written by store_custody_move() (one transaction, one event, chained into
 * the audit log within a tick). Every refusal is one line naming the card.
 */
#define _GNU_SOURCE
#include "cetakd.h"
#include "common/log.h"
#include "ctlproto.h"
#include "verbs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "custody/custody.h"
#include "jobs/custody.h"
#include "ledger/ledger.h"

/* The card args name: by "job" or by "chip". */
static int
find_card(struct cetakd *d, json_t *args, struct custody_row *row, const char **ret_code,
	  char **ret_err)
{
	const char *job = verb_arg(args, "job"), *chip = verb_arg(args, "chip");
	int r;

	if (job && job[0])
		r = store_custody_get(d->store, job, row);
	else if (chip && chip[0])
		r = store_custody_by_chip(d->store, chip, row);
	else
		return verb_refuse(ret_err, ret_code, "name the card: a job id or --chip SERIAL");
	if (r == -ENOENT) {
		struct job_row jr;
		if (job && job[0] && store_get(d->store, job, &jr) == 0)
			return verb_refuse(ret_err, ret_code,
					   "job %s has no card in custody: it is %s, not printed",
					   jr.job_id, job_state_name(jr.state));
		return verb_refuse(ret_err, ret_code, "no card printed here has %s %.64s",
				   job && job[0] ? "job id" : "chip serial", job && job[0] ? job : chip);
	}
	if (r < 0) {
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, "job store: %s", store_errmsg(d->store));
	}
	return 0;
}

static json_t *
card_json(const struct custody_row *c)
{
	char where[200];

	custody_where(c, where, sizeof(where));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:i, s:I, s:s, s:s, "
			 "s:s, s:s}",
			 "job", c->job_id, "chip", c->chip, "nik", c->nik, "name", c->name,
			 "kind", job_kind_name((enum job_kind)c->kind), "state",
			 custody_state_name(c->state), "place", c->place, "doc", c->doc, "since",
			 (json_int_t)c->since, "updated_at", (json_int_t)c->updated_at, "notices",
			 c->notices, "last_notice_at", (json_int_t)c->last_notice_at, "where",
			 where, "collector", c->collector, "kecamatan", c->kecamatan, "kel_desa",
			 c->kel_desa);
}

static int
history_cb(const struct custody_event *e, void *ctx)
{
	return json_array_append_new(ctx, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s}",
						    "seq", (json_int_t)e->seq, "at",
						    (json_int_t)e->at, "from", e->from, "to",
						    e->to, "place", e->place, "doc", e->doc,
						    "actor", e->actor, "note", e->note));
}

int
verb_card_show(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	       const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	struct custody_row c;
	json_t *events = json_array();
	(void)peer;

	if (find_card(d, args, &c, ret_code, ret_err) < 0) {
		json_decref(events);
		return -1;
	}
	store_custody_history(d->store, c.job_id, history_cb, events);
	*ret_data = card_json(&c);
	json_object_set_new(*ret_data, "events", events);
	return 0;
}

struct list_ctx {
	json_t *cards;
	long long older_than; /* only cards in their state since before this; 0 = any */
};

static int
list_cb(const struct custody_row *c, void *ctx)
{
	struct list_ctx *lc = ctx;

	if (lc->older_than && c->updated_at >= lc->older_than)
		return 0;
	return json_array_append_new(lc->cards, card_json(c));
}

/* "stored,issued" into a CS_MASK; 0 with a refusal for an unknown name. */
static unsigned
state_mask(const char *list, char *bad, size_t len)
{
	unsigned mask = 0;
	char *copy = strdup(list ? list : ""), *save = NULL;

	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		int s = custody_state_from_name(w);
		if (s < 0) {
			snprintf(bad, len, "%s", w);
			free(copy);
			return 0;
		}
		mask |= CS_MASK(s);
	}
	free(copy);
	return mask;
}

int
verb_card_list(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	       const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	const char *states = verb_arg(args, "state");
	json_int_t limit = json_integer_value(json_object_get(args, "limit"));
	json_int_t days = json_integer_value(json_object_get(args, "older_than_days"));
	struct list_ctx lc = { json_array(), 0 };
	unsigned mask = CS_MASK(CS_ISSUED) | CS_MASK(CS_STORED);
	char bad[64];
	(void)peer;

	if (states && states[0] && !(mask = state_mask(states, bad, sizeof(bad)))) {
		json_decref(lc.cards);
		return verb_refuse(ret_err, ret_code,
				   "unknown custody state '%.32s' (issued, stored, collected, "
				   "transferred, withdrawn, destroyed)",
				   bad);
	}
	if (days > 0)
		lc.older_than = (long long)time(NULL) - (long long)days * 86400;
	if (store_custody_list(d->store, mask, verb_arg(args, "place"), limit > 0 ? limit : 0,
			       list_cb, &lc) < 0) {
		json_decref(lc.cards);
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, "job store: %s", store_errmsg(d->store));
	}
	*ret_data = json_pack("{s:o}", "cards", lc.cards);
	return 0;
}

int
verb_card_do(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	     const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	const char *name = verb_arg(args, "action"), *to = verb_arg(args, "to");
	int a = custody_action_from_name(name);
	struct custody_row c, after;
	char actor[96], why[300], where[200];

	if (a < 0)
		return verb_refuse(ret_err, ret_code,
				   "unknown card action '%.32s' (store, transfer, collected, "
				   "withdraw, destroy, correct)",
				   name ? name : "");
	if (a == CA_HANDOVER)
		return verb_refuse(ret_err, ret_code,
				   "a hand-over checks the chip: use 'cetakctl card handover' "
				   "with the card on the desk reader");
	if (find_card(d, args, &c, ret_code, ret_err) < 0)
		return -1;
	const struct custody_rule *rule = custody_rule(a);
	struct custody_request req = { .supervisor = peer->role >= CTL_ROLE_SUPERVISOR,
				       .place = verb_arg(args, "place"),
				       .doc = verb_arg(args, "doc"),
				       .note = verb_arg(args, "note"),
				       .to = to ? custody_state_from_name(to) : -1 };
	int r = custody_check(a, &c, &req, why, sizeof(why));
	if (r < 0) {
		if (r == -EPERM && rule->supervisor && !req.supervisor)
			*ret_code = CTL_E_PERMISSION;
		return verb_refuse(ret_err, ret_code, "%s", why);
	}
	snprintf(actor, sizeof(actor), "%s (%s)", peer->user, ctl_role_name(peer->role));
	struct custody_move m = { .job_id = c.job_id,
				  .from_mask = CS_MASK(c.state),
				  .to = (enum custody_state)(rule->to >= 0 ? rule->to : req.to),
				  .place = req.place,
				  .doc = req.doc,
				  .actor = actor,
				  .note = req.note };
	r = store_custody_move(d->store, &m, (long long)time(NULL), &after);
	if (r == -EPERM) /* changed meanwhile */
		return verb_refuse(ret_err, ret_code, "the card of %s changed meanwhile; look again",
				   c.job_id);
	if (r < 0) {
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, "job store: %s", store_errmsg(d->store));
	}
	custody_where(&after, where, sizeof(where));
	struct log_field f[] = { { "JOB_ID", c.job_id },
				 { "CHIP", c.chip },
				 { "CUSTODY", custody_state_name(after.state) } };
	log_emit(LOG_NOTICE, f, 3, "card of %s: %s by %s, now %s", c.job_id, rule->name, peer->user,
		 where);
	*ret_data = card_json(&after);
	return 0;
}

/* Cards held by age (days in custody), for the summary. */
struct age_ctx {
	long long now;
	long buckets[4]; /* 0-30, 31-90, 91-180, over 180 days */
	json_t *by_kecamatan;
};

static int
age_cb(const struct custody_row *c, void *ctx)
{
	struct age_ctx *ac = ctx;
	long long days = (ac->now - c->since) / 86400;
	const char *k = c->kecamatan[0] ? c->kecamatan : "-";

	ac->buckets[days <= 30 ? 0 : days <= 90 ? 1 : days <= 180 ? 2 : 3]++;
	json_object_set_new(ac->by_kecamatan, k,
			    json_integer(json_integer_value(json_object_get(ac->by_kecamatan, k)) +
					 1));
	return 0;
}

int
verb_custody(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	     const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	struct ledger_balance b;
	long counts[CS_COUNT], total = 0;
	struct age_ctx ac = { .now = (long long)time(NULL), .by_kecamatan = json_object() };
	json_t *states = json_object(), *ledger = json_object();
	char why[300] = "";
	(void)peer;
	(void)args;

	if (store_custody_counts(d->store, counts) < 0 || ledger_balance(d->ledger, &b) < 0 ||
	    store_custody_list(d->store, CS_MASK(CS_ISSUED) | CS_MASK(CS_STORED), NULL, 0, age_cb,
			       &ac) < 0) {
		json_decref(states);
		json_decref(ledger);
		json_decref(ac.by_kecamatan);
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, "cannot read the job store or the ledger");
	}
	for (int i = 0; i < CS_COUNT; i++) {
		json_object_set_new(states, custody_state_name(i), json_integer(counts[i]));
		json_object_set_new(ledger, custody_state_name(i), json_integer(b.custody[i]));
		total += counts[i];
	}
	/* every card the ledger issued is in exactly one custody state */
	if (total != b.issued)
		snprintf(why, sizeof(why),
			 "the job store holds %ld cards in custody records, the ledger issued %ld",
			 total, b.issued);
	*ret_data = json_pack("{s:I, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:o, s:b, s:s}", "issued",
			      (json_int_t)b.issued, "states", states, "ledger", ledger, "age_days",
			      "0-30", (json_int_t)ac.buckets[0], "31-90",
			      (json_int_t)ac.buckets[1], "91-180", (json_int_t)ac.buckets[2],
			      "over_180", (json_int_t)ac.buckets[3], "held_by_kecamatan",
			      ac.by_kecamatan, "balanced", !why[0], "problem", why);
	return 0;
}
