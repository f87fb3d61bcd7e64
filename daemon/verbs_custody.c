/*
 * verbs_custody.c - control-socket verbs for the custody of issued cards.
 *
 * card-show, card-list and custody read; card-do changes a card's custody by
 * one action of custody/custody.c's table, judged by custody_check() and
 * written by store_custody_move() (one transaction, one event, chained into
 * the audit log within a tick). Every refusal is one line naming the card.
 */
#define _GNU_SOURCE
#include "common/i18n.h"
#include "cetakd.h"
#include "common/log.h"
#include "ctlproto.h"
#include "desk.h"
#include "notices.h"
#include "privacy.h"
#include "verbs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "custody/custody.h"
#include "jobs/custody.h"
#include "jobs/privacy.h"
#include "ledger/ledger.h"

static int batch_list_cb(const struct transfer_batch *b, void *ctx);

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
		return verb_refuse(ret_err, ret_code,
				   R_("name the card: a job id or --chip SERIAL"));
	if (r == -ENOENT) {
		struct job_row jr;
		if (job && job[0] && store_get(d->store, job, &jr) == 0)
			return verb_refuse(
				ret_err, ret_code,
				R_("job %s has no card in custody: it is %s, not printed"),
				jr.job_id, job_state_name(jr.state));
		return verb_refuse(ret_err, ret_code, R_("no card printed here has %s %.64s"),
				   job && job[0] ? R_("job id") : R_("chip serial"),
				   job && job[0] ? job : chip);
	}
	if (r < 0) {
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, R_("job store: %s"), store_errmsg(d->store));
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
			 "job", c->job_id, "chip", c->chip, "nik", c->nik, "name", c->name, "kind",
			 job_kind_name((enum job_kind)c->kind), "state",
			 custody_state_name(c->state), "place", c->place, "doc", c->doc, "since",
			 (json_int_t)c->since, "updated_at", (json_int_t)c->updated_at, "notices",
			 c->notices, "last_notice_at", (json_int_t)c->last_notice_at, "where",
			 where, "collector", c->collector, "kecamatan", c->kecamatan, "kel_desa",
			 c->kel_desa);
}

static int
history_cb(const struct custody_event *e, void *ctx)
{
	return json_array_append_new(ctx,
				     json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "seq",
					       (json_int_t)e->seq, "at", (json_int_t)e->at, "from",
					       e->from, "to", e->to, "place", e->place, "doc",
					       e->doc, "actor", e->actor, "note", e->note));
}

static int
notice_cb(const struct notice_row *n, void *ctx)
{
	return json_array_append_new(ctx, json_pack("{s:i, s:s, s:I, s:I, s:s}", "n", n->n, "state",
						    n->state, "queued_at", (json_int_t)n->queued_at,
						    "done_at", (json_int_t)n->done_at, "reason",
						    n->reason));
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
	json_t *notices = json_array();
	store_notice_of(d->store, c.job_id, notice_cb, notices);
	json_object_set_new(*ret_data, "sms", notices);
	long long purged = 0;
	store_purged_at(d->store, c.job_id, &purged);
	json_object_set_new(*ret_data, "personal_data_removed_at", json_integer(purged));
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
				   R_("unknown custody state '%.32s' (issued, stored, collected, "
				      "transferred, withdrawn, destroyed)"),
				   bad);
	}
	if (days > 0)
		lc.older_than = cetakd_now(d) - (long long)days * 86400;
	if (store_custody_list(d->store, mask, verb_arg(args, "place"), limit > 0 ? limit : 0,
			       list_cb, &lc) < 0) {
		json_decref(lc.cards);
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, R_("job store: %s"), store_errmsg(d->store));
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
				   R_("unknown card action '%.32s' (store, transfer, collected, "
				      "withdraw, destroy, correct)"),
				   name ? name : "");
	if (a == CA_HANDOVER)
		return verb_refuse(ret_err, ret_code,
				   R_("a hand-over checks the chip: use 'cetakctl card handover' "
				      "with the card on the desk reader"));
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
	r = store_custody_move(d->store, &m, cetakd_now(d), &after);
	if (r == -EPERM) /* changed meanwhile */
		return verb_refuse(ret_err, ret_code,
				   R_("the card of %s changed meanwhile; look again"), c.job_id);
	if (r < 0) {
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, R_("job store: %s"), store_errmsg(d->store));
	}
	if (c.state == CS_STORED && after.state != CS_STORED)
		notices_take_back(d, c.job_id);
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
	const struct cetakd *d;
	long long now;
	long buckets[4]; /* 0-30, 31-90, 91-180, over 180 days */
	json_t *by_kecamatan;
	long due; /* due for transfer to the kecamatan */
	json_t *due_by_kecamatan;
};

static void
count_in(json_t *obj, const char *k)
{
	json_object_set_new(obj, k, json_integer(json_integer_value(json_object_get(obj, k)) + 1));
}

static int
per_day_cb(const char *day, long count, void *ctx)
{
	return json_object_set_new(ctx, day, json_integer(count));
}

static int
age_cb(const struct custody_row *c, void *ctx)
{
	struct age_ctx *ac = ctx;
	long long days = (ac->now - c->since) / 86400;
	const char *k = c->kecamatan[0] ? c->kecamatan : "-";

	const struct cetak_config *cfg = ac->d->cfg;

	ac->buckets[days <= 30 ? 0 : days <= 90 ? 1 : days <= 180 ? 2 : 3]++;
	count_in(ac->by_kecamatan, k);
	if (custody_due_for_transfer(c, ac->now, cfg->transfer_after_days,
				     cfg->transfer_after_notices, cfg->notice_enabled)) {
		ac->due++;
		count_in(ac->due_by_kecamatan, k);
	}
	return 0;
}

int
verb_custody(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	     const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	struct ledger_balance b;
	long counts[CS_COUNT], total = 0;
	struct age_ctx ac = { .d = d,
			      .now = cetakd_now(d),
			      .by_kecamatan = json_object(),
			      .due_by_kecamatan = json_object() };
	json_t *states = json_object(), *ledger = json_object();
	char why[300] = "";
	(void)peer;
	(void)args;

	if (store_custody_counts(d->store, counts) < 0 || ledger_balance(d->ledger, &b) < 0 ||
	    store_custody_held(d->store, age_cb, &ac) < 0) {
		json_decref(states);
		json_decref(ledger);
		json_decref(ac.by_kecamatan);
		json_decref(ac.due_by_kecamatan);
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code,
				   R_("cannot read the job store or the ledger"));
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
	long nc[3];
	store_notice_counts(d->store, 0, nc);
	json_t *sms = json_pack("{s:b, s:I, s:I, s:I, s:s}", "enabled", d->cfg->notice_enabled,
				"sent", (json_int_t)nc[0], "failed", (json_int_t)nc[1], "queued",
				(json_int_t)nc[2], "problem", d->notice_problem);
	*ret_data = json_pack("{s:I, s:o, s:o, s:{s:I, s:I, s:I, s:I}, s:o, s:b, s:s}", "issued",
			      (json_int_t)b.issued, "states", states, "ledger", ledger, "age_days",
			      "0-30", (json_int_t)ac.buckets[0], "31-90", (json_int_t)ac.buckets[1],
			      "91-180", (json_int_t)ac.buckets[2], "over_180",
			      (json_int_t)ac.buckets[3], "held_by_kecamatan", ac.by_kecamatan,
			      "balanced", !why[0], "problem", why);
	json_object_set_new(*ret_data, "sms", sms);
	json_object_set_new(*ret_data, "office",
			    json_string(d->cfg->station_office[0] ? d->cfg->station_office
								  : d->cfg->station_name));
	json_object_set_new(*ret_data, "now", json_integer(ac.now));
	json_object_set_new(*ret_data, "language", json_string(doc_language(d)));
	json_object_set_new(*ret_data, "due_for_transfer",
			    json_pack("{s:I, s:o}", "cards", (json_int_t)ac.due, "by_kecamatan",
				      ac.due_by_kecamatan));
	json_t *collected = json_object(), *batches = json_array();
	store_custody_per_day(d->store, CS_COLLECTED, ac.now - 31LL * 86400, per_day_cb, collected);
	json_object_set_new(*ret_data, "collected_per_day", collected);
	store_transfer_batches(d->store, NULL, 100, batch_list_cb, batches);
	json_object_set_new(*ret_data, "transfer_batches", batches);
	return 0;
}

int
verb_notice_run(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	struct notice_result res;
	char why[300];
	(void)args;

	if (notices_round(d, &res, why, sizeof(why)) < 0) {
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, "%s", why);
	}
	log_notice("notices: round run by %s: %ld handed to gammu-smsd, %ld sent, %ld failed",
		   peer->user, res.handed, res.sent, res.failed);
	*ret_data = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "handed",
			      (json_int_t)res.handed, "sent", (json_int_t)res.sent, "failed",
			      (json_int_t)res.failed, "withdrawn", (json_int_t)res.withdrawn,
			      "waiting", (json_int_t)res.waiting, "no_phone",
			      (json_int_t)res.no_phone, "quiet", res.quiet);
	return 0;
}

/* ---- the desk reader: look-up, store and hand-over by the card itself ---- */

enum desk_what { DESK_CHECK, DESK_STORE, DESK_HANDOVER, DESK_STOCKTAKE };

struct desk_req {
	struct ctl_pending *owed;
	enum desk_what what;
	char user[64], actor[96];
	bool supervisor;
	char nik[JOB_NIK_LEN + 1];			     /* typed from the collector's proof */
	char collector[128], collector_id[33], relation[32]; /* a proxy; "" = the holder */
	char place[CUSTODY_PLACE_MAX + 1];
};

static void owe_refusal(struct desk_req *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
owe_refusal(struct desk_req *q, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	ctl_complete(q->owed, NULL, CTL_E_BAD_ARGS, why);
}

/* An earlier card of the holder, handed over before: listed, taken back below. */
static int
earlier_card(const struct custody_row *old, void *ctx)
{
	return json_array_append_new(ctx, json_string(old->job_id));
}

/* Take back every card of list (not job itself); 0 or -errno. */
static int
take_back(struct store *st, json_t *list, const char *job, const char *actor, long long now)
{
	char note[200];
	size_t i;
	json_t *v;

	snprintf(note, sizeof(note), "taken back at the hand-over of %s", job);
	json_array_foreach(list, i, v)
	{
		struct custody_move m = { .job_id = json_string_value(v),
					  .from_mask = custody_rule(CA_RETURNED)->from,
					  .to = CS_WITHDRAWN,
					  .actor = actor,
					  .note = note };
		int r = store_custody_move(st, &m, now, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The hand-over itself, in one transaction with the old cards taken back. */
static void
hand_over(struct cetakd *d, struct desk_req *q, const struct custody_row *c)
{
	struct custody_request req = { .supervisor = q->supervisor };
	char why[300], note[300];
	bool proxy = q->collector[0] != '\0';
	bool replaces = c->kind == JOB_REPLACEMENT || c->kind == JOB_DATA_CHANGE;
	struct custody_row after;

	if (strcmp(q->nik, c->nik) != 0) {
		owe_refusal(q,
			    "the card on the reader belongs to NIK %s (%s), not to NIK %s: check "
			    "the collector's proof; nothing was recorded",
			    c->nik, c->name, q->nik);
		return;
	}
	if (custody_check(CA_HANDOVER, c, &req, why, sizeof(why)) < 0) {
		owe_refusal(q, "%s", why);
		return;
	}
	if (proxy)
		snprintf(note, sizeof(note), "handed over to %s (%s of the holder), ID %s",
			 q->collector, q->relation, q->collector_id);
	else
		snprintf(note, sizeof(note), "handed over to the holder");
	struct custody_move m = { .job_id = c->job_id,
				  .from_mask = CS_MASK(c->state),
				  .to = CS_COLLECTED,
				  .actor = q->actor,
				  .note = note,
				  .collector = proxy ? q->collector : c->name,
				  .collector_id = proxy ? q->collector_id : c->nik,
				  .relation = proxy ? q->relation : "holder" };
	/* the holder's cards collected before (listed while this one is not yet
	 * collected), then this one handed over, then those taken back */
	json_t *earlier = json_array();
	int r = store_begin(d->store);
	if (r == 0 && replaces)
		r = store_custody_by_nik(d->store, c->nik, CS_MASK(CS_COLLECTED), earlier_card,
					 earlier);
	if (r == 0)
		r = store_custody_move(d->store, &m, cetakd_now(d), &after);
	if (r == 0)
		r = take_back(d->store, earlier, c->job_id, q->actor, cetakd_now(d));
	if (r == 0)
		r = store_commit(d->store);
	else
		store_rollback(d->store);
	if (r < 0) {
		json_decref(earlier);
		owe_refusal(q, "the hand-over was not recorded: %s",
			    r == -EPERM ? "the card changed meanwhile; read it again"
					: store_errmsg(d->store));
		return;
	}
	if (c->state == CS_STORED)
		notices_take_back(d, c->job_id);
	struct log_field f[] = { { "JOB_ID", c->job_id },
				 { "CHIP", c->chip },
				 { "CUSTODY", "collected" } };
	log_emit(LOG_NOTICE, f, 3,
		 "card of %s: handed over by %s, chip checked on the desk reader%s", c->job_id,
		 q->user, proxy ? ", to a proxy" : "");
	json_t *out = card_json(&after);
	json_object_set_new(out, "old_cards_withdrawn", earlier);
	json_object_set_new(out, "take_old_card", json_boolean(replaces));
	ctl_complete(q->owed, out, NULL, NULL);
}

static void
desk_store(struct cetakd *d, struct desk_req *q, const struct custody_row *c)
{
	struct custody_request req = { .supervisor = q->supervisor, .place = q->place };
	struct custody_row after;
	char why[300];

	if (custody_check(CA_STORE, c, &req, why, sizeof(why)) < 0) {
		owe_refusal(q, "%s", why);
		return;
	}
	struct custody_move m = { .job_id = c->job_id,
				  .from_mask = CS_MASK(c->state),
				  .to = CS_STORED,
				  .place = q->place,
				  .actor = q->actor,
				  .note = "read on the desk reader" };
	if (store_custody_move(d->store, &m, cetakd_now(d), &after) < 0) {
		owe_refusal(q, "not recorded: %s", store_errmsg(d->store));
		return;
	}
	log_emit(LOG_NOTICE, NULL, 0, "card of %s: stored in %s by %s (read on the desk reader)",
		 c->job_id, q->place, q->user);
	ctl_complete(q->owed, card_json(&after), NULL, NULL);
}

/*
 * Stocktake of a place: the cards read on the desk reader one by one, each
 * judged against its custody record; at the end, the cards recorded in the
 * place that were not read. The session lives in cetakd's memory
 * (d->stocktakes: place -> {user, started_at, read: {chip: verdict}}): a
 * stocktake changes no record, so a restart only means starting it again.
 */
static json_t *
stocktake_of(struct cetakd *d, const char *place)
{
	if (!d->stocktakes)
		d->stocktakes = json_object();
	return json_object_get(d->stocktakes, place);
}

static void
stocktake_card(struct cetakd *d, struct desk_req *q, const struct desk_card *card)
{
	json_t *st = stocktake_of(d, q->place), *read, *v;
	struct custody_row c;
	char where[200];
	const char *verdict;

	if (!st) {
		owe_refusal(q,
			    "no stocktake of %s is under way: start it (cetakctl card stocktake "
			    "start --place %s)",
			    q->place, q->place);
		return;
	}
	read = json_object_get(st, "read");
	if (store_custody_by_chip(d->store, card->serial, &c) < 0) {
		verdict = "unknown";
		snprintf(where, sizeof(where), "not printed at this station (NIK %s on the chip)",
			 card->nik);
		memset(&c, 0, sizeof(c));
	} else if (strcmp(card->nik, c.nik) != 0) {
		verdict = "unknown";
		snprintf(where, sizeof(where),
			 "the chip holds NIK %s, but this station printed it for NIK %s", card->nik,
			 c.nik);
	} else {
		custody_where(&c, where, sizeof(where));
		verdict = c.state == CS_STORED && strcmp(c.place, q->place) == 0 ? "here"
			  : c.state == CS_STORED || c.state == CS_ISSUED	 ? "elsewhere"
										 : "not_in_custody";
	}
	bool again = json_object_get(read, card->serial) != NULL;
	v = json_pack("{s:s, s:s, s:s, s:s, s:s}", "chip", card->serial, "job", c.job_id, "name",
		      c.name, "verdict", verdict, "where", where);
	json_object_set(read, card->serial, v);
	json_object_set_new(v, "read_before", json_boolean(again));
	json_object_set_new(v, "cards_read", json_integer((json_int_t)json_object_size(read)));
	ctl_complete(q->owed, v, NULL, NULL);
}

int
verb_card_stocktake(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		    const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	const char *what = verb_arg(args, "action"), *place = verb_arg(args, "place");
	json_t *st;

	if (!place || !place[0] || strlen(place) > CUSTODY_PLACE_MAX)
		return verb_refuse(ret_err, ret_code, R_("name the place (--place, e.g. B12)"));
	st = stocktake_of(d, place);
	if (what && strcmp(what, "start") == 0) {
		json_object_set_new(d->stocktakes, place,
				    json_pack("{s:s, s:I, s:o}", "user", peer->user, "started_at",
					      (json_int_t)cetakd_now(d), "read", json_object()));
		log_notice("custody: stocktake of %s started by %s", place, peer->user);
		*ret_data = json_pack("{s:s, s:b}", "place", place, "started", 1);
		return 0;
	}
	if (!what || strcmp(what, "end") != 0)
		return verb_refuse(ret_err, ret_code, R_("stocktake start, read or end"));
	if (!st)
		return verb_refuse(ret_err, ret_code,
				   R_("no stocktake of %s is under way: start it (cetakctl card "
				      "stocktake start --place %s)"),
				   place, place);
	/* every card the records put in place and nobody read there is missing */
	json_t *read = json_object_get(st, "read"), *out = json_object(), *v;
	static const char *const keys[] = { "here", "elsewhere", "not_in_custody", "unknown" };
	const char *chip;
	for (int i = 0; i < 4; i++)
		json_object_set_new(out, keys[i], json_array());
	json_object_foreach(read, chip, v) json_array_append(
		json_object_get(out, json_string_value(json_object_get(v, "verdict"))), v);
	json_t *missing = json_array();
	struct list_ctx lc = { .cards = json_array() };
	store_custody_list(d->store, CS_MASK(CS_STORED), place, 0, list_cb, &lc);
	size_t i;
	json_array_foreach(
		lc.cards, i,
		v) if (!json_object_get(read, json_string_value(json_object_get(v, "chip"))))
		json_array_append(missing, v);
	json_decref(lc.cards);
	json_object_set_new(out, "missing", missing);
	json_object_set_new(out, "place", json_string(place));
	json_object_set_new(out, "cards_read", json_integer((json_int_t)json_object_size(read)));
	log_notice("custody: stocktake of %s ended by %s: %zu read, %zu here, %zu missing, %zu "
		   "elsewhere, %zu not in custody, %zu unknown",
		   place, peer->user, json_object_size(read),
		   json_array_size(json_object_get(out, "here")), json_array_size(missing),
		   json_array_size(json_object_get(out, "elsewhere")),
		   json_array_size(json_object_get(out, "not_in_custody")),
		   json_array_size(json_object_get(out, "unknown")));
	json_object_del(d->stocktakes, place);
	*ret_data = out;
	return 0;
}

static void
desk_answer(struct cetakd *d, const struct desk_card *card, void *arg)
{
	struct desk_req *q = arg;
	struct custody_row c;

	if (d->stopping)
		owe_refusal(q, "cetakd is stopping; nothing was recorded");
	else if (!card->ok)
		owe_refusal(q, "%s", card->why);
	else if (q->what == DESK_STOCKTAKE)
		stocktake_card(d, q, card);
	else if (store_custody_by_chip(d->store, card->serial, &c) < 0)
		owe_refusal(q,
			    "the card on the desk reader (chip %s, NIK %s) was not printed at this "
			    "station",
			    card->serial, card->nik);
	else if (strcmp(card->nik, c.nik) != 0)
		owe_refusal(q,
			    "the chip %s holds NIK %s but this station printed it for NIK %s: set "
			    "the card aside for a supervisor",
			    card->serial, card->nik, c.nik);
	else if (q->what == DESK_HANDOVER)
		hand_over(d, q, &c);
	else if (q->what == DESK_STORE)
		desk_store(d, q, &c);
	else
		ctl_complete(q->owed, card_json(&c), NULL, NULL);
	free(q);
}

static bool
digits(const char *s, size_t n)
{
	return s && strlen(s) == n && strspn(s, "0123456789") == n;
}

int
verb_card_desk(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	       const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	const char *what = verb_arg(args, "action"), *nik = verb_arg(args, "nik");
	const char *collector = verb_arg(args, "collector"), *cid = verb_arg(args, "collector_id");
	const char *relation = verb_arg(args, "relation"), *place = verb_arg(args, "place");
	struct desk_req *q;
	(void)ret_data;

	if (!d->cfg->custody_reader[0])
		return verb_refuse(
			ret_err, ret_code,
			R_("no desk reader is configured (custody.reader in cetakd.conf)"));
	enum desk_what w = what && !strcmp(what, "handover")	? DESK_HANDOVER
			   : what && !strcmp(what, "store")	? DESK_STORE
			   : what && !strcmp(what, "stocktake") ? DESK_STOCKTAKE
								: DESK_CHECK;
	if (w == DESK_HANDOVER && !digits(nik, JOB_NIK_LEN))
		return verb_refuse(ret_err, ret_code,
				   R_("type the holder's NIK from the collector's proof (--nik, 16 "
				      "digits)"));
	if (w == DESK_HANDOVER && collector && collector[0] &&
	    (!cid || strlen(cid) < 6 || strlen(cid) > 32 || !relation || !relation[0] ||
	     strlen(collector) > 120 || strlen(relation) > 30))
		return verb_refuse(
			ret_err, ret_code,
			R_("a proxy needs a name, an identity number (--collector-id) and "
			   "the relation to the holder (--relation)"));
	if ((w == DESK_STORE || w == DESK_STOCKTAKE) &&
	    (!place || !place[0] || strlen(place) > CUSTODY_PLACE_MAX))
		return verb_refuse(ret_err, ret_code,
				   R_("say where the card goes (--place, at most %d characters)"),
				   CUSTODY_PLACE_MAX);
	if (!(q = calloc(1, sizeof(*q))))
		return verb_refuse(ret_err, ret_code, R_("out of memory"));
	q->what = w;
	q->supervisor = peer->role >= CTL_ROLE_SUPERVISOR;
	snprintf(q->user, sizeof(q->user), "%s", peer->user);
	snprintf(q->actor, sizeof(q->actor), "%s (%s)", peer->user, ctl_role_name(peer->role));
	snprintf(q->nik, sizeof(q->nik), "%s", nik ? nik : "");
	snprintf(q->collector, sizeof(q->collector), "%s", collector ? collector : "");
	snprintf(q->collector_id, sizeof(q->collector_id), "%s", cid ? cid : "");
	snprintf(q->relation, sizeof(q->relation), "%s", relation ? relation : "");
	snprintf(q->place, sizeof(q->place), "%s", place ? place : "");
	if (!(q->owed = ctl_defer(d->ctl))) {
		free(q);
		return verb_refuse(ret_err, ret_code, R_("out of memory"));
	}
	int r = desk_read(d, desk_answer, q);
	if (r < 0) {
		ctl_undefer(q->owed);
		free(q);
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, R_("the desk reader cannot be used: %s"),
				   r == -ENOKEY
					   ? R_("no card profile or CSCA is loaded (card section)")
					   : strerror(-r));
	}
	return CTL_DEFERRED;
}

/* ---- transfer batches to the kecamatan ---- */

struct due_ctx {
	const struct cetakd *d;
	long long now;
	const char *kecamatan; /* NULL: any */
	char **jobs;
	size_t n, cap;
	long stored; /* stored cards of the kecamatan, due or not */
};

static int
due_cb(const struct custody_row *c, void *ctx)
{
	struct due_ctx *dc = ctx;
	const struct cetak_config *cfg = dc->d->cfg;

	if (dc->kecamatan && strcasecmp(c->kecamatan, dc->kecamatan) != 0)
		return 0;
	dc->stored++;
	if (!custody_due_for_transfer(c, dc->now, cfg->transfer_after_days,
				      cfg->transfer_after_notices, cfg->notice_enabled))
		return 0;
	if (dc->n == dc->cap) {
		size_t cap = dc->cap ? dc->cap * 2 : 64;
		char **v = realloc(dc->jobs, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		dc->jobs = v, dc->cap = cap;
	}
	return (dc->jobs[dc->n++] = strdup(c->job_id)) ? 0 : -ENOMEM;
}

static void
due_free(struct due_ctx *dc)
{
	for (size_t i = 0; i < dc->n; i++)
		free(dc->jobs[i]);
	free(dc->jobs);
}

static int
batch_card_cb(const struct batch_card *c, void *ctx)
{
	char addr[256];

	snprintf(addr, sizeof(addr), "%s RT %s/RW %s, %s", c->street, c->rt, c->rw, c->kel_desa);
	return json_array_append_new(ctx, json_pack("{s:s, s:s, s:s, s:s, s:s}", "job", c->job_id,
						    "chip", c->chip, "name", c->name, "address",
						    addr, "kel_desa", c->kel_desa));
}

/* The berita acara's data: the batch, the office, each card and its holder. */
static json_t *
batch_json(struct cetakd *d, const char *doc, const char *kecamatan, long long at,
	   const char *actor)
{
	json_t *cards = json_array();

	store_batch_cards(d->store, doc, batch_card_cb, cards);
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:o}", "doc", doc, "kecamatan",
			 kecamatan, "at", (json_int_t)at, "actor", actor, "office",
			 d->cfg->station_office, "station", d->cfg->station_name, "language",
			 doc_language(d), "cards", cards);
}

int
verb_card_transfer(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		   const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	const char *kec = verb_arg(args, "kecamatan"), *doc = verb_arg(args, "doc");
	struct due_ctx dc = { .d = d, .now = cetakd_now(d), .kecamatan = kec };
	char docbuf[CUSTODY_DOC_MAX + 1], actor[160];
	int r;

	if (!kec || !kec[0])
		return verb_refuse(ret_err, ret_code,
				   R_("name the kecamatan (--kecamatan, e.g. "
				      "CIBADAK)"));
	if (doc && (!doc[0] || strlen(doc) > CUSTODY_DOC_MAX))
		return verb_refuse(ret_err, ret_code,
				   R_("the berita acara number must be 1 to %d characters"),
				   CUSTODY_DOC_MAX);
	if ((r = store_custody_list(d->store, CS_MASK(CS_STORED), NULL, 0, due_cb, &dc)) < 0) {
		due_free(&dc);
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, R_("job store: %s"), store_errmsg(d->store));
	}
	if (dc.n == 0) {
		due_free(&dc);
		return verb_refuse(
			ret_err, ret_code,
			R_("no card of kecamatan %s is due for transfer (%ld stored; due "
			   "after %d days and %d notices, custody.transfer_after_days and "
			   "transfer_after_notices)"),
			kec, dc.stored, d->cfg->transfer_after_days,
			d->cfg->transfer_after_notices);
	}
	if (!doc) {
		/* BAST-20261130-01: the day's batches numbered from 1 */
		int n = 0;
		time_t t = (time_t)dc.now;
		struct tm tm;
		char day[16];
		store_transfer_batches_on(d->store, dc.now, &n);
		localtime_r(&t, &tm);
		strftime(day, sizeof(day), "%Y%m%d", &tm);
		snprintf(docbuf, sizeof(docbuf), "BAST-%s-%02d", day, n + 1);
		doc = docbuf;
	}
	snprintf(actor, sizeof(actor), "%s (%s)", peer->user, ctl_role_name(peer->role));
	r = store_transfer_batch(d->store, doc, kec, (const char *const *)dc.jobs, dc.n, actor,
				 dc.now);
	size_t n = dc.n;
	if (r == 0)
		for (size_t i = 0; i < dc.n; i++)
			notices_take_back(d, dc.jobs[i]);
	due_free(&dc);
	if (r == -EEXIST)
		return verb_refuse(ret_err, ret_code,
				   R_("berita acara %s exists already: give another "
				      "number (--doc)"),
				   doc);
	if (r < 0) {
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, R_("the transfer was not recorded: %s"),
				   r == -EPERM ? R_("a card changed meanwhile; try again")
					       : store_errmsg(d->store));
	}
	log_notice("custody: %zu cards of kecamatan %s transferred by %s, berita acara %s", n, kec,
		   peer->user, doc);
	*ret_data = batch_json(d, doc, kec, dc.now, actor);
	return 0;
}

struct find_batch {
	struct transfer_batch found;
	char kec[64], actor[160];
};

static int
find_batch_cb(const struct transfer_batch *b, void *ctx)
{
	struct find_batch *fb = ctx;

	fb->found = *b;
	snprintf(fb->kec, sizeof(fb->kec), "%s", b->kecamatan);
	snprintf(fb->actor, sizeof(fb->actor), "%s", b->actor);
	return 1;
}

static int
batch_list_cb(const struct transfer_batch *b, void *ctx)
{
	return json_array_append_new(ctx,
				     json_pack("{s:s, s:s, s:I, s:s, s:i}", "doc", b->doc,
					       "kecamatan", b->kecamatan, "at", (json_int_t)b->at,
					       "actor", b->actor, "cards", b->cards));
}

int
verb_card_batch(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	const char *doc = verb_arg(args, "doc");
	struct find_batch fb;
	(void)peer;

	if (!doc || !doc[0]) {
		json_t *all = json_array();
		store_transfer_batches(d->store, NULL, 1000, batch_list_cb, all);
		*ret_data = json_pack("{s:o}", "batches", all);
		return 0;
	}
	if (store_transfer_batches(d->store, doc, 1, find_batch_cb, &fb) != 1)
		return verb_refuse(ret_err, ret_code,
				   R_("no transfer batch has berita acara %.64s"), doc);
	*ret_data = batch_json(d, doc, fb.kec, fb.found.at, fb.actor);
	return 0;
}

/* ---- personal data ---- */

int
verb_privacy(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	     const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	struct privacy_held h;
	(void)peer;
	(void)args;

	if (store_privacy_held(d->store, cetakd_now(d), d->cfg->retention_days, &h) < 0) {
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, R_("job store: %s"), store_errmsg(d->store));
	}
	*ret_data = json_pack(
		"{s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "retention_days",
		d->cfg->retention_days, "removed_fields", PRIVACY_REMOVED, "waiting_to_print",
		(json_int_t)h.waiting, "in_custody", (json_int_t)h.in_custody, "in_retention",
		(json_int_t)h.retention, "next_removal", (json_int_t)h.next_purge, "removed",
		(json_int_t)h.purged, "with_phone", (json_int_t)h.with_phone, "oldest_held",
		(json_int_t)h.oldest, "bytes_held", (json_int_t)h.bytes);
	return 0;
}

int
verb_privacy_purge(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		   const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	struct privacy_pass res;
	char why[300];
	(void)args;

	if (privacy_run(d, &res, why, sizeof(why)) < 0) {
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, "%s", why);
	}
	log_notice("privacy: pass run by %s: personal data of %ld jobs and %ld refused job files "
		   "removed",
		   peer->user, res.jobs, res.rejected);
	*ret_data = json_pack("{s:I, s:I, s:b}", "jobs", (json_int_t)res.jobs, "rejected_files",
			      (json_int_t)res.rejected, "reclaimed", res.reclaimed);
	return 0;
}
