/*
 * stock.c - what each ledger event does to the balance, and the invariant.
 */
#define _GNU_SOURCE
#include "stock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const causes[] = { "gagal_encode", "gagal_cetak", "rusak",
				      "perubahan_data", "no_chip", "interrupted" };

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

#define REFUSE(...)                                       \
	do {                                              \
		snprintf(why, len, __VA_ARGS__);          \
		return -EINVAL;                           \
	} while (0)

const struct ledger_line *
ledger_line_of(const struct ledger_balance *b, const char *name)
{
	for (int i = 0; name && i < b->n_lines; i++)
		if (strcmp(b->lines[i].name, name) == 0)
			return &b->lines[i];
	return NULL;
}

int
stock_apply(struct ledger_balance *b, json_t *r, char *why, size_t len)
{
	const char *kind = str(r, "kind"), *ln = str(r, "line");
	json_int_t count = json_integer_value(json_object_get(r, "count"));
	struct ledger_balance n = *b;
	struct ledger_line *l;

	/* one event moves at most STOCK_MAX_COUNT cards (a lot is 3,000-10,000):
	 * no sum over the books can overflow, whoever sends the number */
	if (count < 0 || count > (strcmp(kind, "counter") && strcmp(kind, "job") ? STOCK_MAX_COUNT
										 : STOCK_MAX_SERIAL))
		REFUSE("count %lld is out of range (0 to %ld)", (long long)count,
		       strcmp(kind, "counter") && strcmp(kind, "job") ? STOCK_MAX_COUNT
								 : STOCK_MAX_SERIAL);
	if (!strcmp(kind, "receive")) {
		if (count <= 0 || !str(r, "lot")[0])
			REFUSE("receive needs a lot and a positive count");
		n.received += count;
		n.store += count;
	} else if (!strcmp(kind, "load")) {
		if (count <= 0 || count > n.store)
			REFUSE("load of %lld: the store holds %ld", (long long)count, n.store);
		if (!(l = line_of(&n, ln, 1)))
			REFUSE("load needs a line name");
		n.store -= count;
		l->hopper += count;
	} else if (!strcmp(kind, "take")) {
		if (!(l = line_of(&n, ln, 0)) || l->hopper < 1)
			REFUSE("line '%s' has no blank in its hopper", ln);
		if (l->in_flight)
			REFUSE("line '%s' already has a card in flight", ln);
		l->hopper--;
		l->in_flight = 1;
	} else if (!strcmp(kind, "issue") || !strcmp(kind, "spoil")) {
		int cause = -1;
		if (!(l = line_of(&n, ln, 0)) || !l->in_flight)
			REFUSE("line '%s' has no card in flight to %s", ln, kind);
		if (!strcmp(kind, "issue") && !str(r, "chip")[0])
			REFUSE("an issued card needs its chip serial");
		if (!strcmp(kind, "spoil") && (cause = ledger_cause_from_name(str(r, "cause"))) < 0)
			REFUSE("unknown cause '%.32s' (gagal_encode, gagal_cetak, rusak, "
			       "perubahan_data, no_chip, interrupted)", str(r, "cause"));
		l->in_flight = 0;
		/* an issued card was printed; a spoiled one when it says count 1 */
		if (cause < 0 || count == 1) {
			l->prints++;
			if (l->ribbon[0])
				l->ribbon_prints++;
		}
		if (cause < 0) {
			n.issued++;
		} else {
			n.spoiled++;
			n.by_cause[cause]++;
		}
	} else if (!strcmp(kind, "transfer")) {
		if (count <= 0 || count > n.store || !str(r, "doc")[0])
			REFUSE("transfer needs a document number and at most the %ld in store", n.store);
		n.store -= count;
		n.transferred += count;
	} else if (!strcmp(kind, "destroy")) {
		if (count <= 0 || n.destroyed + count > n.spoiled || !str(r, "doc")[0])
			REFUSE("destroy needs a berita acara number and at most the %ld spoiled cards "
			       "not yet destroyed", n.spoiled - n.destroyed);
		n.destroyed += count;
	} else if (!strcmp(kind, "ribbon-receive")) {
		if (count <= 0)
			REFUSE("ribbon-receive needs a positive count");
		n.ribbons_received += count;
		n.ribbons_store += count;
	} else if (!strcmp(kind, "ribbon-load")) {
		const char *rib = str(r, "ribbon"), *prev = str(r, "replaces");
		if (!(l = line_of(&n, ln, 1)) || !rib[0] || strlen(rib) > 32 || count <= 0)
			REFUSE("ribbon-load needs a line, the ribbon's serial (1-32 characters) and "
			       "its rated prints");
		if (n.ribbons_store < 1)
			REFUSE("no ribbon in store: record the ribbons received first");
		/* the ribbon taken out is named with its count, checked against the books */
		if (strcmp(prev, l->ribbon) != 0 ||
		    (prev[0] && (json_integer_value(json_object_get(r, "replaces_prints")) !=
					 l->ribbon_prints ||
				 json_integer_value(json_object_get(r, "replaces_rated")) !=
					 l->ribbon_rated)))
			REFUSE("the ribbon replaced on line '%s' is '%s' with %ld of %ld prints",
			       ln, l->ribbon, l->ribbon_prints, l->ribbon_rated);
		n.ribbons_store--;
		snprintf(l->ribbon, sizeof(l->ribbon), "%s", rib);
		l->ribbon_rated = count;
		l->ribbon_prints = 0;
	} else if (!strcmp(kind, "counter")) {
		/* the printer's own total of cards printed */
		if (!(l = line_of(&n, ln, 1)) || count < 0)
			REFUSE("counter needs a line and the printer's count");
		if (l->counter >= 0 && count >= l->counter) {
			long extra = (count - l->counter) - (l->prints - l->counter_prints);
			if (extra > 0)
				l->outside += extra;
		}
		l->counter = count; /* a count that went back is a new printer or a reset */
		l->counter_prints = l->prints;
	} else if (!strcmp(kind, "counter-ack")) {
		if (!(l = line_of(&n, ln, 0)) || l->outside <= 0)
			REFUSE("line '%s' has no unexplained printer count", ln);
		if (!str(r, "note")[0])
			REFUSE("say what the %ld cards were (--note)", l->outside);
		l->outside = 0;
	} else if (!strcmp(kind, "job")) {
		/* a job's state change, chained for the audit; no stock effect */
		if (!str(r, "job")[0] || !str(r, "doc")[0] || count <= 0)
			REFUSE("a job record needs the job, its change (doc) and its event number");
	} else if (!strcmp(kind, "stocktake")) {
		/* count = the physical count of the store; a difference is a discrepancy */
		if (count < 0)
			REFUSE("a stocktake counts zero or more cards");
		if (count != n.store && !str(r, "note")[0])
			REFUSE("the count %lld differs from the books (%ld): a reason is needed",
			       (long long)count, n.store);
		n.discrepancy += count - n.store;
		n.store = count;
	} else {
		REFUSE("unknown event kind '%.32s'", kind);
	}
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
		if (b->lines[i].hopper < 0 || b->lines[i].in_flight < 0 || b->lines[i].in_flight > 1)
			REFUSE("line '%s' has %ld in its hopper and %ld in flight", b->lines[i].name,
			       b->lines[i].hopper, b->lines[i].in_flight);
		in_lines += b->lines[i].hopper + b->lines[i].in_flight;
	}
	long left = b->received + b->discrepancy;
	long right = b->store + in_lines + b->issued + b->spoiled + b->transferred;
	if (left != right || b->store < 0)
		REFUSE("invariant broken: received %ld + discrepancies %ld != store %ld + lines %ld + "
		       "issued %ld + spoiled %ld + transferred %ld",
		       b->received, b->discrepancy, b->store, in_lines, b->issued, b->spoiled,
		       b->transferred);
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
		json_object_set_new(lines, l->name,
				    json_pack("{s:I, s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I}", "hopper",
					      (json_int_t)l->hopper, "in_flight",
					      (json_int_t)l->in_flight, "prints",
					      (json_int_t)l->prints, "ribbon", l->ribbon,
					      "ribbon_rated", (json_int_t)l->ribbon_rated,
					      "ribbon_prints", (json_int_t)l->ribbon_prints,
					      "counter", (json_int_t)l->counter, "counter_prints",
					      (json_int_t)l->counter_prints, "outside",
					      (json_int_t)l->outside));
	}
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
		b->lines[b->n_lines].hopper = (long)json_integer_value(json_object_get(v, "hopper"));
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
