/*
 * stock.c - what each ledger event does to the balance, and the invariant.
 */
#define _GNU_SOURCE
#include "stock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const causes[] = { "gagal_encode",	"gagal_cetak", "rusak",
				      "perubahan_data", "no_chip",     "interrupted",
				      "auth_refused",	"counterfeit" };

const char *
ledger_cause_name(enum ledger_cause c)
{
	return (unsigned)c < CAUSE_COUNT ? causes[c] : "?";
}

int
ledger_cause_from_name(const char *s)
{
	for (int i = 0; i < CAUSE_COUNT; i++)
		if (s && strcmp(s, causes[i]) == 0)
			return i;
	return -1;
}

static const char *
str(json_t *r, const char *k)
{
	const char *s = json_string_value(json_object_get(r, k));
	return s ? s : "";
}

/* The line's slot, created when create is set; NULL when absent or full. */
static struct ledger_line *
line_of(struct ledger_balance *b, const char *name, int create)
{
	struct ledger_line *l = (struct ledger_line *)ledger_line_of(b, name);

	if (l)
		return l;
	if (!create || b->n_lines == LEDGER_MAX_LINES || !name[0] || strlen(name) > 16)
		return NULL;
	snprintf(b->lines[b->n_lines].name, sizeof(b->lines[0].name), "%s", name);
	b->lines[b->n_lines].counter = -1;
	return &b->lines[b->n_lines++];
}

#define REFUSE(...)                                                                                \
	do {                                                                                       \
		snprintf(why, len, __VA_ARGS__);                                                   \
		return -EINVAL;                                                                    \
	} while (0)

const struct ledger_line *
ledger_line_of(const struct ledger_balance *b, const char *name)
{
	for (int i = 0; name && i < b->n_lines; i++)
		if (strcmp(b->lines[i].name, name) == 0)
			return &b->lines[i];
	return NULL;
}

/*
 * One rule per event kind: what it needs and what it does to the balance n.
 * Each returns 0, or -EINVAL with the refusal in why (REFUSE).
 */
struct ev {
	json_t *r;
	const char *line;
	json_int_t count;
};

static int
k_receive(struct ledger_balance *n, const struct ev *e, char *why, size_t len)
{
	if (e->count <= 0 || !str(e->r, "lot")[0])
		REFUSE("receive needs a lot and a positive count");
	n->received += e->count;
	n->store += e->count;
	return 0;
}

static int
k_load(struct ledger_balance *n, const struct ev *e, char *why, size_t len)
{
	struct ledger_line *l;

	if (e->count <= 0 || e->count > n->store)
		REFUSE("load of %lld: the store holds %ld", (long long)e->count, n->store);
	if (!(l = line_of(n, e->line, 1)))
		REFUSE("load needs a line name");
	n->store -= e->count;
	l->hopper += e->count;
	return 0;
}

static int
k_take(struct ledger_balance *n, const struct ev *e, char *why, size_t len)
{
	struct ledger_line *l;

	if (!(l = line_of(n, e->line, 0)) || l->hopper < 1)
		REFUSE("line '%s' has no blank in its hopper", e->line);
	if (l->in_flight)
		REFUSE("line '%s' already has a card in flight", e->line);
	l->hopper--;
	l->in_flight = 1;
	return 0;
}

/* issue (cause < 0) and spoil (cause >= 0): the card in flight leaves the line */
static int
card_out(struct ledger_balance *n, const struct ev *e, int cause, char *why, size_t len)
{
	struct ledger_line *l;

	if (!(l = line_of(n, e->line, 0)) || !l->in_flight)
		REFUSE("line '%s' has no card in flight to %s", e->line,
		       cause < 0 ? "issue" : "spoil");
	l->in_flight = 0;
	/* an issued card was printed; a spoiled one when it says count 1 */
	if (cause < 0 || e->count == 1) {
		l->prints++;
		if (l->ribbon[0])
			l->ribbon_prints++;
	}
	if (cause < 0) {
		n->issued++;
		n->custody[CS_ISSUED]++; /* the card is in the office's custody */
	} else {
		n->spoiled++;
		n->by_cause[cause]++;
	}
	return 0;
}

static int
k_issue(struct ledger_balance *n, const struct ev *e, char *why, size_t len)
{
	if (!str(e->r, "chip")[0])
		REFUSE("an issued card needs its chip serial");
	return card_out(n, e, -1, why, len);
}

static int
k_spoil(struct ledger_balance *n, const struct ev *e, char *why, size_t len)
{
	int cause = ledger_cause_from_name(str(e->r, "cause"));

	if (cause < 0)
		REFUSE("unknown cause '%.32s' (gagal_encode, gagal_cetak, rusak, "
		       "perubahan_data, no_chip, interrupted, auth_refused, counterfeit)",
		       str(e->r, "cause"));
	return card_out(n, e, cause, why, len);
}

static int
k_transfer(struct ledger_balance *n, const struct ev *e, char *why, size_t len)
{
	if (e->count <= 0 || e->count > n->store || !str(e->r, "doc")[0])
		REFUSE("transfer needs a document number and at most the %ld in store", n->store);
	n->store -= e->count;
	n->transferred += e->count;
	return 0;
}

static int
k_destroy(struct ledger_balance *n, const struct ev *e, char *why, size_t len)
{
	if (e->count <= 0 || n->destroyed + e->count > n->spoiled || !str(e->r, "doc")[0])
		REFUSE("destroy needs a berita acara number and at most the %ld spoiled cards "
		       "not yet destroyed",
		       n->spoiled - n->destroyed);
	n->destroyed += e->count;
	return 0;
}

static int
k_ribbon_receive(struct ledger_balance *n, const struct ev *e, char *why, size_t len)
{
	if (e->count <= 0)
		REFUSE("ribbon-receive needs a positive count");
	n->ribbons_received += e->count;
	n->ribbons_store += e->count;
	return 0;
}

static int
k_ribbon_load(struct ledger_balance *n, const struct ev *e, char *why, size_t len)
{
	const char *rib = str(e->r, "ribbon"), *prev = str(e->r, "replaces");
	struct ledger_line *l;

	if (!(l = line_of(n, e->line, 1)) || !rib[0] || strlen(rib) > 32 || e->count <= 0)
		REFUSE("ribbon-load needs a line, the ribbon's serial (1-32 characters) and "
		       "its rated prints");
	if (n->ribbons_store < 1)
		REFUSE("no ribbon in store: record the ribbons received first");
	/* the ribbon taken out is named with its count, checked against the books */
	if (strcmp(prev, l->ribbon) != 0 ||
	    (prev[0] &&
	     (json_integer_value(json_object_get(e->r, "replaces_prints")) != l->ribbon_prints ||
	      json_integer_value(json_object_get(e->r, "replaces_rated")) != l->ribbon_rated)))
		REFUSE("the ribbon replaced on line '%s' is '%s' with %ld of %ld prints", e->line,
		       l->ribbon, l->ribbon_prints, l->ribbon_rated);
	n->ribbons_store--;
	snprintf(l->ribbon, sizeof(l->ribbon), "%s", rib);
	l->ribbon_rated = e->count;
	l->ribbon_prints = 0;
	return 0;
}

static int
k_counter(struct ledger_balance *n, const struct ev *e, char *why, size_t len)
{
	struct ledger_line *l;

	/* the printer's own total of cards printed */
	if (!(l = line_of(n, e->line, 1)))
		REFUSE("counter needs a line and the printer's count");
	if (l->counter >= 0 && e->count >= l->counter) {
		long extra = (e->count - l->counter) - (l->prints - l->counter_prints);
		if (extra > 0)
			l->outside += extra;
	}
	l->counter = e->count; /* a count that went back is a new printer or a reset */
	l->counter_prints = l->prints;
	return 0;
}

static int
k_counter_ack(struct ledger_balance *n, const struct ev *e, char *why, size_t len)
{
	struct ledger_line *l;

	if (!(l = line_of(n, e->line, 0)) || l->outside <= 0)
		REFUSE("line '%s' has no unexplained printer count", e->line);
	if (!str(e->r, "note")[0])
		REFUSE("say what the %ld cards were (--note)", l->outside);
	l->outside = 0;
	return 0;
}

static int
k_job(struct ledger_balance *n, const struct ev *e, char *why, size_t len)
{
	(void)n;
	/* a job's state change, chained for the audit; no stock effect. Format 2
	 * has its own fields (to, from, event); format 1 put the change in doc
	 * ("from>to") and the event number in count, and still verifies. */
	json_int_t ev = json_integer_value(json_object_get(e->r, "event"));
	if (!str(e->r, "job")[0])
		REFUSE("a job record needs the job");
	if (str(e->r, "to")[0]) {
		if (ev <= 0 || ev > STOCK_MAX_SERIAL || e->count)
			REFUSE("a job record needs its event number (1 to %ld) and no count",
			       STOCK_MAX_SERIAL);
		return 0;
	}
	if (!str(e->r, "doc")[0] || e->count <= 0)
		REFUSE("a job record needs the state it went to and its event number");
	return 0;
}

/*
 * An issued card changed custody (format 3): from the state it was in to
 * another, never back to "issued". The count of cards in each state moves;
 * they always add up to the cards issued.
 */
static int
k_custody(struct ledger_balance *n, const struct ev *e, char *why, size_t len)
{
	int from = custody_state_from_name(str(e->r, "from")),
	    to = custody_state_from_name(str(e->r, "to"));
	json_int_t ev = json_integer_value(json_object_get(e->r, "event"));

	if (!str(e->r, "job")[0] || ev <= 0 || ev > STOCK_MAX_SERIAL || e->count)
		REFUSE("a custody record needs the job and its event number, and no count");
	if (from < 0 || to < 0 || to == CS_ISSUED)
		REFUSE("custody from '%.16s' to '%.16s': not a change of custody",
		       str(e->r, "from"), str(e->r, "to"));
	if (n->custody[from] < 1)
		REFUSE("custody of %s: no issued card is %s", str(e->r, "job"),
		       custody_state_name(from));
	n->custody[from]--;
	n->custody[to]++;
	return 0;
}

static int
k_stocktake(struct ledger_balance *n, const struct ev *e, char *why, size_t len)
{
	/* count = the physical count of the store; a difference is a discrepancy */
	if (e->count != n->store && !str(e->r, "note")[0])
		REFUSE("the count %lld differs from the books (%ld): a reason is needed",
		       (long long)e->count, n->store);
	n->discrepancy += e->count - n->store;
	n->store = e->count;
	return 0;
}

/* The event kinds: name, the largest count one event may carry, the rule. */
static const struct {
	const char *name;
	long max_count;
	int (*apply)(struct ledger_balance *n, const struct ev *e, char *why, size_t len);
} kinds[LK_COUNT] = {
	[LK_RECEIVE] = { "receive", STOCK_MAX_COUNT, k_receive },
	[LK_LOAD] = { "load", STOCK_MAX_COUNT, k_load },
	[LK_TAKE] = { "take", STOCK_MAX_COUNT, k_take },
	[LK_ISSUE] = { "issue", STOCK_MAX_COUNT, k_issue },
	[LK_SPOIL] = { "spoil", STOCK_MAX_COUNT, k_spoil },
	[LK_TRANSFER] = { "transfer", STOCK_MAX_COUNT, k_transfer },
	[LK_DESTROY] = { "destroy", STOCK_MAX_COUNT, k_destroy },
	[LK_STOCKTAKE] = { "stocktake", STOCK_MAX_COUNT, k_stocktake },
	[LK_RIBBON_RECEIVE] = { "ribbon-receive", STOCK_MAX_COUNT, k_ribbon_receive },
	[LK_RIBBON_LOAD] = { "ribbon-load", STOCK_MAX_COUNT, k_ribbon_load },
	/* a printer's counter and a job event number are serials, not card counts */
	[LK_COUNTER] = { "counter", STOCK_MAX_SERIAL, k_counter },
	[LK_COUNTER_ACK] = { "counter-ack", STOCK_MAX_COUNT, k_counter_ack },
	[LK_JOB] = { "job", STOCK_MAX_SERIAL, k_job },
	[LK_CUSTODY] = { "custody", STOCK_MAX_SERIAL, k_custody },
};

const char *
ledger_kind_name(enum ledger_kind k)
{
	return (unsigned)k < LK_COUNT ? kinds[k].name : "?";
}

int
ledger_kind_from_name(const char *s)
{
	for (int i = 0; s && i < LK_COUNT; i++)
		if (strcmp(s, kinds[i].name) == 0)
			return i;
	return -1;
}

int
stock_apply(struct ledger_balance *b, json_t *r, char *why, size_t len)
{
	const char *name = str(r, "kind");
	struct ev e = { r, str(r, "line"), json_integer_value(json_object_get(r, "count")) };
	struct ledger_balance n = *b;
	int k = ledger_kind_from_name(name);

	if (k < 0)
		REFUSE("unknown event kind '%.32s'", name);
	/* one event moves at most STOCK_MAX_COUNT cards (a lot is 3,000-10,000):
	 * no sum over the books can overflow, whoever sends the number */
	if (e.count < 0 || e.count > kinds[k].max_count)
		REFUSE("count %lld is out of range (0 to %ld)", (long long)e.count,
		       kinds[k].max_count);
	if (kinds[k].apply(&n, &e, why, len) < 0)
		return -EINVAL;
	if (stock_invariant(&n, why, len) < 0)
		return -EINVAL;
	*b = n;
	return 0;
}

int
stock_invariant(const struct ledger_balance *b, char *why, size_t len)
{
	long in_lines = 0;

	for (int i = 0; i < b->n_lines; i++) {
		if (b->lines[i].hopper < 0 || b->lines[i].in_flight < 0 ||
		    b->lines[i].in_flight > 1)
			REFUSE("line '%s' has %ld in its hopper and %ld in flight",
			       b->lines[i].name, b->lines[i].hopper, b->lines[i].in_flight);
		in_lines += b->lines[i].hopper + b->lines[i].in_flight;
	}
	long left = b->received + b->discrepancy;
	long right = b->store + in_lines + b->issued + b->spoiled + b->transferred;
	if (left != right || b->store < 0)
		REFUSE("invariant broken: received %ld + discrepancies %ld != store %ld + lines "
		       "%ld + "
		       "issued %ld + spoiled %ld + transferred %ld",
		       b->received, b->discrepancy, b->store, in_lines, b->issued, b->spoiled,
		       b->transferred);
	/* the custody invariant: every issued card is in exactly one custody state */
	long custody = 0;
	for (int i = 0; i < CS_COUNT; i++) {
		if (b->custody[i] < 0)
			REFUSE("custody: %ld cards %s", b->custody[i], custody_state_name(i));
		custody += b->custody[i];
	}
	if (custody != b->issued)
		REFUSE("custody invariant broken: issued %ld != in custody %ld + collected %ld + "
		       "transferred %ld + withdrawn %ld + destroyed %ld",
		       b->issued, b->custody[CS_ISSUED] + b->custody[CS_STORED],
		       b->custody[CS_COLLECTED], b->custody[CS_TRANSFERRED],
		       b->custody[CS_WITHDRAWN], b->custody[CS_DESTROYED]);
	return 0;
}

json_t *
stock_balance_json(const struct ledger_balance *b)
{
	json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "received",
			      (json_int_t)b->received, "discrepancy", (json_int_t)b->discrepancy,
			      "store", (json_int_t)b->store, "issued", (json_int_t)b->issued,
			      "spoiled", (json_int_t)b->spoiled, "transferred",
			      (json_int_t)b->transferred, "destroyed", (json_int_t)b->destroyed);
	json_t *bc = json_object(), *lines = json_object();

	for (int i = 0; i < CAUSE_COUNT; i++)
		json_object_set_new(bc, causes[i], json_integer(b->by_cause[i]));
	for (int i = 0; i < b->n_lines; i++) {
		const struct ledger_line *l = &b->lines[i];
		json_object_set_new(
			lines, l->name,
			json_pack("{s:I, s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I}", "hopper",
				  (json_int_t)l->hopper, "in_flight", (json_int_t)l->in_flight,
				  "prints", (json_int_t)l->prints, "ribbon", l->ribbon,
				  "ribbon_rated", (json_int_t)l->ribbon_rated, "ribbon_prints",
				  (json_int_t)l->ribbon_prints, "counter", (json_int_t)l->counter,
				  "counter_prints", (json_int_t)l->counter_prints, "outside",
				  (json_int_t)l->outside));
	}
	json_t *cu = json_object();
	for (int i = 0; i < CS_COUNT; i++)
		json_object_set_new(cu, custody_state_name(i), json_integer(b->custody[i]));
	json_object_set_new(j, "custody", cu);
	json_object_set_new(j, "ribbons_received", json_integer(b->ribbons_received));
	json_object_set_new(j, "ribbons_store", json_integer(b->ribbons_store));
	json_object_set_new(j, "by_cause", bc);
	json_object_set_new(j, "lines", lines);
	return j;
}

int
stock_balance_from_json(json_t *j, struct ledger_balance *b)
{
	const char *k;
	json_t *v;

	memset(b, 0, sizeof(*b));
	b->received = (long)json_integer_value(json_object_get(j, "received"));
	b->discrepancy = (long)json_integer_value(json_object_get(j, "discrepancy"));
	b->store = (long)json_integer_value(json_object_get(j, "store"));
	b->issued = (long)json_integer_value(json_object_get(j, "issued"));
	b->spoiled = (long)json_integer_value(json_object_get(j, "spoiled"));
	b->transferred = (long)json_integer_value(json_object_get(j, "transferred"));
	b->destroyed = (long)json_integer_value(json_object_get(j, "destroyed"));
	/* a balance saved before custody was kept: every issued card is "issued" */
	json_t *cu = json_object_get(j, "custody");
	for (int i = 0; i < CS_COUNT; i++)
		b->custody[i] =
			(long)json_integer_value(json_object_get(cu, custody_state_name(i)));
	if (!cu)
		b->custody[CS_ISSUED] = b->issued;
	b->ribbons_received = (long)json_integer_value(json_object_get(j, "ribbons_received"));
	b->ribbons_store = (long)json_integer_value(json_object_get(j, "ribbons_store"));
	for (int i = 0; i < CAUSE_COUNT; i++)
		b->by_cause[i] = (long)json_integer_value(
			json_object_get(json_object_get(j, "by_cause"), causes[i]));
	json_object_foreach(json_object_get(j, "lines"), k, v)
	{
		if (b->n_lines == LEDGER_MAX_LINES)
			return -EINVAL;
		snprintf(b->lines[b->n_lines].name, sizeof(b->lines[0].name), "%s", k);
		b->lines[b->n_lines].hopper =
			(long)json_integer_value(json_object_get(v, "hopper"));
		b->lines[b->n_lines].in_flight =
			(long)json_integer_value(json_object_get(v, "in_flight"));
		struct ledger_line *l = &b->lines[b->n_lines];
		l->prints = (long)json_integer_value(json_object_get(v, "prints"));
		snprintf(l->ribbon, sizeof(l->ribbon), "%s",
			 json_string_value(json_object_get(v, "ribbon"))
				 ? json_string_value(json_object_get(v, "ribbon"))
				 : "");
		l->ribbon_rated = (long)json_integer_value(json_object_get(v, "ribbon_rated"));
		l->ribbon_prints = (long)json_integer_value(json_object_get(v, "ribbon_prints"));
		l->counter = json_object_get(v, "counter")
				     ? (long)json_integer_value(json_object_get(v, "counter"))
				     : -1;
		l->counter_prints = (long)json_integer_value(json_object_get(v, "counter_prints"));
		l->outside = (long)json_integer_value(json_object_get(v, "outside"));
		b->n_lines++;
	}
	return 0;
}
