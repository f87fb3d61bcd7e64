/*
 * custody.c - the table of custody actions and its judge (custody.h).
 */
#define _GNU_SOURCE
#include "custody.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define HELD_HERE (CS_MASK(CS_ISSUED) | CS_MASK(CS_STORED))

static const struct custody_rule rules[CA_COUNT] = {
	[CA_STORE] = { "store", HELD_HERE, CS_STORED, false, true, false, false },
	[CA_HANDOVER] = { "handover", HELD_HERE, CS_COLLECTED, false, false, false, false },
	[CA_TRANSFER] = { "transfer", HELD_HERE, CS_TRANSFERRED, true, false, true, false },
	[CA_COLLECTED] = { "collected", CS_MASK(CS_TRANSFERRED), CS_COLLECTED, true, false, true,
			   false },
	[CA_WITHDRAW] = { "withdraw", HELD_HERE, CS_WITHDRAWN, true, false, false, true },
	[CA_DESTROY] = { "destroy", CS_MASK(CS_WITHDRAWN), CS_DESTROYED, true, false, true, false },
	[CA_CORRECT] = { "correct", (1u << CS_COUNT) - 1, -1, true, false, false, true },
	[CA_RETURNED] = { "returned", CS_MASK(CS_COLLECTED), CS_WITHDRAWN, false, false, false,
			  true },
};

const struct custody_rule *
custody_rule(enum custody_action a)
{
	return (unsigned)a < CA_COUNT ? &rules[a] : NULL;
}

int
custody_action_from_name(const char *name)
{
	for (int i = 0; name && i < CA_COUNT; i++)
		if (strcmp(name, rules[i].name) == 0)
			return i;
	return -1;
}

static void
day(long long t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

void
custody_where(const struct custody_row *row, char *out, size_t len)
{
	char since[16];

	day(row->updated_at, since);
	switch (row->state) {
	case CS_ISSUED:
		day(row->since, since);
		snprintf(out, len, "printed on %s, not yet put away", since);
		break;
	case CS_STORED:
		snprintf(out, len, "stored in %s since %s", row->place, since);
		break;
	case CS_COLLECTED:
		snprintf(out, len, "handed over on %s%s%s", since, row->collector[0] ? " to " : "",
			 row->collector);
		break;
	case CS_TRANSFERRED:
		snprintf(out, len, "sent to the kecamatan on %s (batch %s)", since, row->doc);
		break;
	case CS_WITHDRAWN:
		snprintf(out, len, "withdrawn on %s, waiting to be destroyed", since);
		break;
	case CS_DESTROYED:
		snprintf(out, len, "destroyed on %s (%s)", since, row->doc);
		break;
	default:
		snprintf(out, len, "in an unknown state");
		break;
	}
}

#define REFUSE(code, ...)                                                                          \
	do {                                                                                       \
		snprintf(why, len, __VA_ARGS__);                                                   \
		return code;                                                                       \
	} while (0)

static bool
given(const char *s)
{
	return s && s[0];
}

int
custody_check(enum custody_action a, const struct custody_row *row,
	      const struct custody_request *req, char *why, size_t len)
{
	const struct custody_rule *r = custody_rule(a);
	char where[200];

	if (!r)
		REFUSE(-EINVAL, "unknown custody action");
	if (r->supervisor && !req->supervisor)
		REFUSE(-EPERM, "'card %s' is for a supervisor", r->name);
	if (!(r->from & CS_MASK(row->state))) {
		custody_where(row, where, sizeof(where));
		REFUSE(-EPERM, "the card of %s is %s: it cannot be %s", row->job_id, where,
		       a == CA_STORE	  ? "stored"
		       : a == CA_HANDOVER ? "handed over"
		       : a == CA_DESTROY  ? "destroyed (only a withdrawn card is)"
					  : "moved that way");
	}
	if (r->needs_place && !given(req->place))
		REFUSE(-EINVAL, "say where the card goes (--place, e.g. B12)");
	if (given(req->place) && strlen(req->place) > CUSTODY_PLACE_MAX)
		REFUSE(-EINVAL, "place '%.40s...' is longer than %d characters", req->place,
		       CUSTODY_PLACE_MAX);
	if (r->needs_doc && !given(req->doc))
		REFUSE(-EINVAL, "'card %s' needs the document's number (--doc)", r->name);
	if (given(req->doc) && strlen(req->doc) > CUSTODY_DOC_MAX)
		REFUSE(-EINVAL, "document number longer than %d characters", CUSTODY_DOC_MAX);
	if (r->needs_note && !given(req->note))
		REFUSE(-EINVAL, "'card %s' needs the reason (--note)", r->name);
	if (a == CA_CORRECT) {
		if (req->to < 0 || req->to >= CS_COUNT || req->to == CS_ISSUED)
			REFUSE(-EINVAL, "say the state to set (--to stored|collected|transferred|"
					"withdrawn|destroyed)");
		if (req->to == (int)row->state && !given(req->place))
			REFUSE(-EINVAL, "the card of %s is %s already", row->job_id,
			       custody_state_name(row->state));
		if (req->to == CS_STORED && !given(req->place) && !row->place[0])
			REFUSE(-EINVAL, "say where the card is (--place)");
	}
	return 0;
}

bool
custody_due_for_transfer(const struct custody_row *row, long long now, int days, int notices,
			 bool notices_on)
{
	if (row->state != CS_STORED || now - row->since < (long long)days * 86400)
		return false;
	return !notices_on || row->notices >= notices || row->next_notice_at < 0;
}
