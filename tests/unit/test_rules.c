/*
 * test_rules.c - the rules of the card cycle (daemon/rules.c), case by case
 * as docs/print-line.md lists them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "daemon/rules.h"
#include "ledger/ledger.h"

static struct rule_out
enc(enum sc_outcome sc, uint16_t sw, long failures, int bad, bool desk, bool serial)
{
	struct rule_in in = { .step = STEP_ENCODE,
			      .sc = sc,
			      .sw = sw,
			      .desk = desk,
			      .serial_read = serial,
			      .failures = failures,
			      .max_attempts = 3,
			      .bad_blanks = bad,
			      .bad_blank_stop = 3 };
	struct rule_out o;

	rules_decide(&in, &o);
	return o;
}

static struct rule_out
prn(enum cycle_step step, enum pb_class cls, long failures)
{
	struct rule_in in = { .step = step,
			      .pb = cls,
			      .failures = failures,
			      .max_attempts = 3,
			      .bad_blank_stop = 3 };
	struct rule_out o;

	rules_decide(&in, &o);
	return o;
}

static void
test_encode(void **state)
{
	struct rule_out o = enc(SC_OK, 0, 0, 0, false, true);
	assert_int_equal(o.act, RULE_NEXT);

	/* a write failure: rejected gagal_encode, counted, retried, then held */
	o = enc(SC_WRITE_FAILED, 0x6581, 0, 0, false, true);
	assert_int_equal(o.act, RULE_REJECT);
	assert_int_equal(o.cause, CAUSE_GAGAL_ENCODE);
	assert_true(o.counts);
	assert_int_equal(o.job, JOB_FATE_RETRY);
	o = enc(SC_VERIFY_FAILED, 0, 2, 0, false, true);
	assert_int_equal(o.job, JOB_FATE_HOLD);
	assert_false(o.stop_line);

	/* authentication refusals are never retried */
	o = enc(SC_WRITE_FAILED, 0x6982, 0, 0, false, true);
	assert_int_equal(o.act, RULE_REJECT);
	assert_int_equal(o.job, JOB_FATE_HOLD);
	assert_non_null(strstr(o.why, "never retried"));
	assert_true(rules_auth_sw(0x63C2));
	assert_false(rules_auth_sw(0x6A82));

	/* no chip: spoiled no_chip, not counted against the job, retried */
	o = enc(SC_CARD_MUTE, 0, 2, 0, false, false);
	assert_int_equal(o.cause, CAUSE_NO_CHIP);
	assert_false(o.counts);
	assert_true(o.bad_blank);
	assert_int_equal(o.job, JOB_FATE_RETRY);
	/* the third unusable blank in a row stops the line; the job waits in front */
	o = enc(SC_CARD_ABSENT, 0, 0, 2, false, false);
	assert_int_equal(o.cause, CAUSE_NO_CHIP);
	assert_true(o.stop_line);
	assert_int_equal(o.job, JOB_FATE_REQUEUE);
	/* a used card in the hopper is not the job's fault either */
	o = enc(SC_NOT_BLANK, 0, 0, 0, false, true);
	assert_int_equal(o.cause, CAUSE_GAGAL_ENCODE);
	assert_true(o.bad_blank);
	assert_false(o.counts);

	/* removed: inside a printer before the serial = no chip; at a desk = counted */
	o = enc(SC_CARD_REMOVED, 0, 0, 0, false, false);
	assert_int_equal(o.cause, CAUSE_NO_CHIP);
	o = enc(SC_CARD_REMOVED, 0, 0, 0, false, true);
	assert_int_equal(o.cause, CAUSE_GAGAL_ENCODE);
	assert_true(o.counts);
	o = enc(SC_CARD_REMOVED, 0, 0, 0, true, false);
	assert_true(o.counts);
	o = enc(SC_CARD_ABSENT, 0, 0, 0, true, false);
	assert_int_equal(o.cause, CAUSE_GAGAL_ENCODE);

	/* the SAM profile: a blank of another district, a counterfeit one: spoiled
	 * with their own causes, the job goes on with a new blank */
	o = enc(SC_AUTH_REFUSED, 0x63C9, 0, 0, false, true);
	assert_int_equal(o.act, RULE_REJECT);
	assert_int_equal(o.cause, CAUSE_AUTH_REFUSED);
	assert_true(o.bad_blank);
	assert_false(o.counts);
	assert_int_equal(o.job, JOB_FATE_RETRY);
	o = enc(SC_COUNTERFEIT, 0x6300, 0, 2, false, true);
	assert_int_equal(o.cause, CAUSE_COUNTERFEIT);
	assert_true(o.stop_line); /* the third unusable blank in a row */
	/* the SAM failing with a card in hand: every card would, the line stops */
	o = enc(SC_SAM_FAILED, 0, 0, 0, false, true);
	assert_true(o.stop_line);
	assert_int_equal(o.job, JOB_FATE_REQUEUE);
	assert_false(o.counts);

	/* the reader or pcscd failing stops the line */
	o = enc(SC_READER_LOST, 0, 0, 0, false, true);
	assert_int_equal(o.act, RULE_REJECT);
	assert_true(o.stop_line);
	assert_int_equal(o.job, JOB_FATE_REQUEUE);
}

static void
test_printer(void **state)
{
	struct rule_out o;

	for (int s = STEP_FEED; s <= STEP_REJECT; s++) {
		if (s == STEP_ENCODE)
			continue;
		assert_int_equal(prn(s, PB_OK, 0).act, RULE_NEXT);
		assert_int_equal(prn(s, PB_RETRY, 0).act, RULE_WAIT);
		assert_int_equal(prn(s, PB_HOLD, 0).act, RULE_WAIT);
	}
	/* feeding: no card was taken, the line stops, the job waits in front */
	o = prn(STEP_FEED, PB_STOP, 0);
	assert_int_equal(o.act, RULE_STOP);
	assert_int_equal(o.cause, -1);
	assert_int_equal(o.job, JOB_FATE_REQUEUE);
	/* printing: a fault stops the line with the card spoiled inside */
	o = prn(STEP_PRINT, PB_STOP, 0);
	assert_int_equal(o.act, RULE_STOP);
	assert_int_equal(o.cause, CAUSE_GAGAL_CETAK);
	assert_false(o.counts);
	/* a failed print: rejected, counted, retried, held at the limit */
	o = prn(STEP_PRINT, PB_FAIL, 1);
	assert_int_equal(o.act, RULE_REJECT);
	assert_int_equal(o.cause, CAUSE_GAGAL_CETAK);
	assert_int_equal(o.job, JOB_FATE_RETRY);
	assert_int_equal(prn(STEP_PRINT, PB_FAIL, 2).job, JOB_FATE_HOLD);
	/* printing whose result the printer could not tell (timeout after submission,
	 * connection lost, cancel not confirmed): held for a person, never reprinted */
	o = prn(STEP_PRINT, PB_UNKNOWN, 0);
	assert_int_equal(o.act, RULE_UNKNOWN);
	assert_int_equal(o.job, JOB_FATE_HOLD);
	assert_int_equal(o.cause, -1);
	assert_true(o.stop_line);
	assert_int_equal(prn(STEP_EJECT, PB_UNKNOWN, 0).act, RULE_UNKNOWN);
	assert_int_equal(prn(STEP_FEED, PB_UNKNOWN, 0).act, RULE_STOP); /* nothing taken */
	/* printed but not out: unknown */
	o = prn(STEP_EJECT, PB_STOP, 0);
	assert_int_equal(o.act, RULE_UNKNOWN);
	assert_int_equal(o.job, JOB_FATE_HOLD);
	/* a reject that fails still spoils the card; the line stops */
	o = prn(STEP_REJECT, PB_FAIL, 0);
	assert_int_equal(o.act, RULE_STOP);
	assert_true(o.stop_line);
}

/*
 * Start-up recovery: every row of the table in docs/print-line.md
 * ("Recovery after a crash or power cut"), each interrupted step with and
 * without a card in flight and each thing the ledger may have recorded.
 */
static void
test_recovery(void **state)
{
	static const struct {
		enum cycle_step step;
		bool in_flight;
		enum rule_recorded recorded;
		bool eject_confirmed, reject_hold;
		int reject_cause;
		/* the decision */
		enum rule_act act;
		int cause;
		enum rule_job job;
		enum rule_event event;
		bool clear_path, stop_line;
	} rows[] = {
		/* feed or encode: printing had not started */
		{ STEP_FEED, false, RECORDED_NONE, false, false, -1, RULE_CLOSE, -1,
		  JOB_FATE_REQUEUE, EVENT_NONE, true, false },
		{ STEP_ENCODE, false, RECORDED_NONE, false, false, -1, RULE_CLOSE, -1,
		  JOB_FATE_REQUEUE, EVENT_NONE, true, false },
		{ STEP_FEED, true, RECORDED_NONE, false, false, -1, RULE_REJECT, CAUSE_INTERRUPTED,
		  JOB_FATE_REQUEUE, EVENT_NONE, false, false },
		{ STEP_ENCODE, true, RECORDED_NONE, false, false, -1, RULE_REJECT,
		  CAUSE_INTERRUPTED, JOB_FATE_REQUEUE, EVENT_NONE, false, false },
		/* print or eject, the card no longer in flight: the ledger has its outcome */
		{ STEP_PRINT, false, RECORDED_ISSUE, false, false, -1, RULE_ISSUED, -1,
		  JOB_FATE_NONE, EVENT_NONE, false, false },
		{ STEP_EJECT, false, RECORDED_ISSUE, false, false, -1, RULE_ISSUED, -1,
		  JOB_FATE_NONE, EVENT_NONE, false, false },
		{ STEP_PRINT, false, RECORDED_SPOIL, false, false, -1, RULE_SPOILED, -1,
		  JOB_FATE_REQUEUE, EVENT_NONE, true, false },
		/* ... or nothing of this job: nobody knows, a person looks */
		{ STEP_PRINT, false, RECORDED_NONE, false, false, -1, RULE_UNKNOWN, -1,
		  JOB_FATE_HOLD, EVENT_NONE, true, true },
		/* print or eject with the card in flight: unknown, unless the printer
		 * had confirmed the eject (then it is issued now) */
		{ STEP_PRINT, true, RECORDED_NONE, false, false, -1, RULE_UNKNOWN, -1,
		  JOB_FATE_HOLD, EVENT_NONE, true, true },
		{ STEP_EJECT, true, RECORDED_NONE, false, false, -1, RULE_UNKNOWN, -1,
		  JOB_FATE_HOLD, EVENT_NONE, true, true },
		{ STEP_EJECT, true, RECORDED_NONE, true, false, -1, RULE_ISSUE, -1, JOB_FATE_NONE,
		  EVENT_ISSUE, false, false },
		{ STEP_PRINT, true, RECORDED_NONE, true, false, -1, /* a print is not an eject */
		  RULE_UNKNOWN, -1, JOB_FATE_HOLD, EVENT_NONE, true, true },
		/* reject: done again with the recorded cause and fate, or it was recorded */
		{ STEP_REJECT, true, RECORDED_NONE, false, false, CAUSE_NO_CHIP, RULE_REJECT,
		  CAUSE_NO_CHIP, JOB_FATE_REQUEUE, EVENT_NONE, false, false },
		{ STEP_REJECT, true, RECORDED_NONE, false, true, CAUSE_GAGAL_ENCODE, RULE_REJECT,
		  CAUSE_GAGAL_ENCODE, JOB_FATE_HOLD, EVENT_NONE, false, false },
		{ STEP_REJECT, true, RECORDED_NONE, false, false, -1, RULE_REJECT,
		  CAUSE_INTERRUPTED, JOB_FATE_REQUEUE, EVENT_NONE, false, false },
		{ STEP_REJECT, false, RECORDED_SPOIL, false, false, CAUSE_GAGAL_CETAK, RULE_SPOILED,
		  CAUSE_GAGAL_CETAK, JOB_FATE_REQUEUE, EVENT_NONE, false, false },
		{ STEP_REJECT, false, RECORDED_SPOIL, false, true, CAUSE_GAGAL_ENCODE, RULE_SPOILED,
		  CAUSE_GAGAL_ENCODE, JOB_FATE_HOLD, EVENT_NONE, false, false },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rule_in in = { .step = rows[i].step,
				      .recovery = true,
				      .in_flight = rows[i].in_flight,
				      .recorded = rows[i].recorded,
				      .eject_confirmed = rows[i].eject_confirmed,
				      .reject_hold = rows[i].reject_hold,
				      .reject_cause = rows[i].reject_cause,
				      .max_attempts = 3,
				      .bad_blank_stop = 3 };
		struct rule_out o;
		rules_decide(&in, &o);
		print_message("row %zu: %s, %s in flight\n", i, cycle_step_name(rows[i].step),
			      rows[i].in_flight ? "a card" : "none");
		assert_int_equal(o.act, rows[i].act);
		assert_int_equal(o.cause, rows[i].cause);
		assert_int_equal(o.job, rows[i].job);
		assert_int_equal(o.event, rows[i].event);
		assert_int_equal(o.clear_path, rows[i].clear_path);
		assert_int_equal(o.stop_line, rows[i].stop_line);
		assert_non_null(o.why);
	}
}

/* What the ledger records after each step, and the step that follows. */
static void
test_consequences(void **state)
{
	static const struct {
		enum cycle_step step;
		enum cycle_step next;
		enum rule_event event;
	} ok[] = {
		{ STEP_FEED, STEP_ENCODE, EVENT_TAKE },	  { STEP_ENCODE, STEP_PRINT, EVENT_NONE },
		{ STEP_PRINT, STEP_EJECT, EVENT_NONE },	  { STEP_EJECT, STEP_COUNT, EVENT_ISSUE },
		{ STEP_REJECT, STEP_COUNT, EVENT_SPOIL },
	};
	struct rule_out o;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		o = ok[i].step == STEP_ENCODE ? enc(SC_OK, 0, 0, 0, false, true)
					      : prn(ok[i].step, PB_OK, 0);
		assert_int_equal(o.next, ok[i].next);
		assert_int_equal(o.event, ok[i].event);
	}
	/* a card caught in a stopped printer, or one the reject box cannot take,
	 * is spoiled where it is; a rejected one once the reject is done */
	assert_int_equal(prn(STEP_PRINT, PB_STOP, 0).event, EVENT_SPOIL);
	assert_int_equal(prn(STEP_REJECT, PB_FAIL, 0).event, EVENT_SPOIL);
	assert_int_equal(prn(STEP_PRINT, PB_FAIL, 0).event, EVENT_NONE);
	assert_int_equal(prn(STEP_FEED, PB_STOP, 0).event, EVENT_NONE); /* nothing taken */
	assert_int_equal(prn(STEP_EJECT, PB_UNKNOWN, 0).event, EVENT_NONE);
	assert_int_equal(prn(STEP_PRINT, PB_RETRY, 0).next, STEP_COUNT);
}

static void
test_names(void **state)
{
	for (int s = 0; s < STEP_COUNT; s++)
		assert_int_equal(cycle_step_from_name(cycle_step_name(s)), s);
	assert_int_equal(cycle_step_from_name("nope"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),	 cmocka_unit_test(test_printer),
		cmocka_unit_test(test_recovery), cmocka_unit_test(test_consequences),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
