/*
 * rules.c - the rules of the card cycle (rules.h, docs/print-line.md).
 */
#include "common/i18n.h"
#include "rules.h"
#include "ledger/ledger.h"

#include <string.h>

static const char *const step_names[] = { "feed", "encode", "print", "eject", "reject" };

const char *
cycle_step_name(enum cycle_step s)
{
	return (unsigned)s < STEP_COUNT ? step_names[s] : "?";
}

int
cycle_step_from_name(const char *s)
{
	for (int i = 0; i < STEP_COUNT; i++)
		if (s && strcmp(s, step_names[i]) == 0)
			return i;
	return -1;
}

bool
rules_auth_sw(uint16_t sw)
{
	/* security status not satisfied, authentication method blocked,
	 * reference data not usable, incorrect secure-messaging objects */
	return sw == 0x6982 || sw == 0x6983 || sw == 0x6984 || sw == 0x6988 ||
	       (sw & 0xFFF0) == 0x63C0;
}

static void
set(struct rule_out *o, enum rule_act act, int cause, enum rule_job job, const char *why)
{
	o->act = act;
	o->cause = cause;
	o->job = job;
	o->why = why;
}

/* A chip failure the job is to blame for (or may be): counted, retried up to the limit. */
static void
counted(const struct rule_in *in, struct rule_out *o, int cause, const char *why)
{
	o->counts = true;
	set(o, RULE_REJECT, cause,
	    in->failures + 1 >= in->max_attempts ? JOB_FATE_HOLD : JOB_FATE_RETRY, why);
}

/* The blank is unusable: not counted against the job; too many in a row stop the line. */
static void
bad_blank(const struct rule_in *in, struct rule_out *o, int cause, const char *why)
{
	o->bad_blank = true;
	set(o, RULE_REJECT, cause, JOB_FATE_RETRY, why);
	if (in->bad_blanks + 1 >= in->bad_blank_stop) {
		o->job = JOB_FATE_REQUEUE;
		o->stop_line = true;
	}
}

static void decide_printer(const struct rule_in *in, struct rule_out *o);

static void
encode(const struct rule_in *in, struct rule_out *o)
{
	switch (in->sc) {
	case SC_OK:
		set(o, RULE_NEXT, -1, JOB_FATE_NONE, R_("personalised and verified"));
		break;
	case SC_CARD_ABSENT:
		if (in->desk) { /* the operator took the card away before it was done */
			counted(in, o, CAUSE_GAGAL_ENCODE, R_("the card left the desk reader"));
			break;
		}
		/* a fed card that never answers has no working chip */
		bad_blank(in, o, CAUSE_NO_CHIP, R_("no chip answers"));
		break;
	case SC_CARD_MUTE:
		bad_blank(in, o, CAUSE_NO_CHIP, R_("no chip answers"));
		break;
	case SC_WRONG_CARD:
	case SC_NOT_BLANK:
		bad_blank(in, o, CAUSE_GAGAL_ENCODE,
			  R_("the card in the hopper is not a usable blank"));
		break;
	case SC_AUTH_REFUSED: /* never tried again: each try spends its counter */
		bad_blank(in, o, CAUSE_AUTH_REFUSED,
			  R_("the blank refuses this station's SAM: another district's, or not "
			     "from this supply"));
		break;
	case SC_COUNTERFEIT:
		bad_blank(in, o, CAUSE_COUNTERFEIT,
			  R_("the blank cannot prove its key: counterfeit"));
		break;
	case SC_SAM_FAILED: /* every card would fail the same way */
		set(o, RULE_REJECT, CAUSE_GAGAL_ENCODE, JOB_FATE_REQUEUE,
		    R_("the SAM failed during encoding"));
		o->stop_line = true;
		break;
	case SC_CARD_REMOVED:
		if (!in->desk && !in->serial_read) {
			/* inside the printer nobody removes a card: contact with a chip
			 * that never answered was lost */
			bad_blank(in, o, CAUSE_NO_CHIP, R_("no chip answers"));
			break;
		}
		/* fall through */
	case SC_WRITE_FAILED:
	case SC_VERIFY_FAILED:
	case SC_LOCK_FAILED:
		if (rules_auth_sw(in->sw)) {
			o->counts = true;
			set(o, RULE_REJECT, CAUSE_GAGAL_ENCODE, JOB_FATE_HOLD,
			    R_("the card refused authentication: never retried automatically"));
			break;
		}
		counted(in, o, CAUSE_GAGAL_ENCODE,
			in->sc == SC_VERIFY_FAILED ? R_("verification after writing failed")
						   : R_("writing the chip failed"));
		break;
	default: /* pcscd, the reader: the line cannot encode any card */
		set(o, RULE_REJECT, CAUSE_GAGAL_ENCODE, JOB_FATE_REQUEUE,
		    R_("the reader failed during encoding"));
		o->stop_line = true;
		break;
	}
}

/*
 * Start-up: the cycle was interrupted at in->step. What the ledger shows
 * (a card in flight, or the job's card already issued or spoiled) decides.
 */
static void
recovery(const struct rule_in *in, struct rule_out *o)
{
	switch (in->step) {
	case STEP_FEED:
	case STEP_ENCODE:
		if (!in->in_flight) {
			set(o, RULE_CLOSE, -1, JOB_FATE_REQUEUE,
			    R_("interrupted before a card was taken"));
			o->clear_path = true;
		} else {
			set(o, RULE_REJECT, CAUSE_INTERRUPTED, JOB_FATE_REQUEUE,
			    R_("cetakd stopped before printing started"));
		}
		break;
	case STEP_PRINT:
	case STEP_EJECT:
		if (!in->in_flight && in->recorded == RECORDED_ISSUE) {
			set(o, RULE_ISSUED, -1, JOB_FATE_NONE,
			    R_("issued before the interruption"));
		} else if (!in->in_flight && in->recorded == RECORDED_SPOIL) {
			set(o, RULE_SPOILED, -1, JOB_FATE_REQUEUE,
			    R_("the card was spoiled before an interruption"));
			o->clear_path = true;
		} else if (in->in_flight && in->step == STEP_EJECT && in->eject_confirmed) {
			set(o, RULE_ISSUE, -1, JOB_FATE_NONE,
			    R_("the printer had confirmed the eject"));
			o->event = EVENT_ISSUE;
		} else {
			set(o, RULE_UNKNOWN, -1, JOB_FATE_HOLD,
			    R_("cetakd stopped after printing started"));
			o->stop_line = true;
			o->clear_path =
				true; /* out to the reject box, if the printer still holds it */
		}
		break;
	default: /* reject: again with the recorded cause, or it was recorded */
		set(o, in->in_flight ? RULE_REJECT : RULE_SPOILED,
		    in->reject_cause >= 0 ? in->reject_cause : CAUSE_INTERRUPTED,
		    in->reject_hold ? JOB_FATE_HOLD : JOB_FATE_REQUEUE,
		    in->in_flight ? R_("interrupted while rejecting")
				  : R_("recorded before an interruption"));
		/* a retry recorded before the crash becomes a requeue: the job waits
		 * in front of the queue like every interrupted one */
		break;
	}
}

/* The ledger event and the next step that follow from the decision. */
static void
consequences(const struct rule_in *in, struct rule_out *o)
{
	if (o->act == RULE_NEXT) {
		static const enum cycle_step next[] = { [STEP_FEED] = STEP_ENCODE,
							[STEP_ENCODE] = STEP_PRINT,
							[STEP_PRINT] = STEP_EJECT,
							[STEP_EJECT] = STEP_COUNT,
							[STEP_REJECT] = STEP_COUNT };
		o->next = (unsigned)in->step < STEP_COUNT ? next[in->step] : STEP_COUNT;
		o->event = in->step == STEP_FEED     ? EVENT_TAKE
			   : in->step == STEP_EJECT  ? EVENT_ISSUE
			   : in->step == STEP_REJECT ? EVENT_SPOIL
						     : EVENT_NONE;
		return;
	}
	o->next = STEP_COUNT;
	/* a card stopped in place, or one that cannot reach the reject box, is
	 * spoiled where it is; a reject records its spoil once it is done */
	if (o->act == RULE_STOP && (o->cause >= 0 || o->cause == -2))
		o->event = EVENT_SPOIL;
}

void
rules_decide(const struct rule_in *in, struct rule_out *o)
{
	memset(o, 0, sizeof(*o));
	o->cause = -1;
	if (in->recovery) {
		recovery(in, o);
		consequences(in, o);
		return;
	}
	if (in->step == STEP_ENCODE) {
		encode(in, o);
		consequences(in, o);
		return;
	}
	decide_printer(in, o);
	consequences(in, o);
}

static void
decide_printer(const struct rule_in *in, struct rule_out *o)
{
	if (in->pb == PB_OK) {
		set(o, RULE_NEXT, -1, JOB_FATE_NONE, R_("done"));
		return;
	}
	if (in->pb == PB_RETRY || in->pb == PB_HOLD) {
		set(o, RULE_WAIT, -1, JOB_FATE_NONE, R_("waiting for the printer"));
		return;
	}
	switch (in->step) {
	case STEP_FEED: /* no card was taken: the line stops, the job waits in front */
		set(o, RULE_STOP, -1, JOB_FATE_REQUEUE, R_("the printer cannot feed a card"));
		o->stop_line = true;
		break;
	case STEP_PRINT:
		if (in->pb == PB_UNKNOWN) { /* perhaps printed, perhaps not: a person looks */
			set(o, RULE_UNKNOWN, -1, JOB_FATE_HOLD,
			    R_("printing started and its result is unknown: check the printer and "
			       "the "
			       "hoppers"));
			o->stop_line = true;
		} else if (in->pb ==
			   PB_STOP) { /* jam, cover, ribbon out: the card is caught inside */
			set(o, RULE_STOP, CAUSE_GAGAL_CETAK, JOB_FATE_REQUEUE,
			    R_("the printer stopped while printing; the card inside is spoiled"));
			o->stop_line = true;
		} else {
			counted(in, o, CAUSE_GAGAL_CETAK, R_("printing failed"));
		}
		break;
	case STEP_EJECT: /* printed, but not out: a person looks */
		set(o, RULE_UNKNOWN, -1, JOB_FATE_HOLD,
		    R_("the printed card did not come out: check the printer and the hoppers"));
		o->stop_line = true;
		break;
	case STEP_REJECT: /* spoiled all the same; a person takes it out */
		set(o, RULE_STOP, -2, JOB_FATE_NONE,
		    R_("the card could not be moved to the reject box: take it out by hand"));
		o->stop_line = true;
		break;
	default:
		set(o, RULE_STOP, -1, JOB_FATE_REQUEUE, R_("unexpected step"));
		o->stop_line = true;
	}
}
