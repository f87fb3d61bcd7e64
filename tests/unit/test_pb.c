/*
 * test_pb.c - the printer backend table and the IPP reason mapping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "printer/pb.h"

static enum pb_class
map(const char *a, const char *b, int state, unsigned *reasons)
{
	const char *kw[2] = { a, b };
	return pb_ipp_reasons(kw, b ? 2 : (a ? 1 : 0), state, reasons);
}

static void
test_count_reply(void **state)
{
	long n = -1;

	assert_int_equal(pb_count_reply("1234", &n), 0);
	assert_int_equal(n, 1234);
	assert_int_equal(pb_count_reply("0", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(pb_count_reply("", &n), -1);
	assert_int_equal(pb_count_reply("OK", &n), -1);
	assert_int_equal(pb_count_reply("-5", &n), -1);
	assert_int_equal(pb_count_reply("12 ", &n), -1);
	assert_int_equal(pb_count_reply("99999999999999999999999", &n), -1);
}

static void
test_mapping(void **state)
{
	unsigned r;
	char buf[128];

	assert_int_equal(map("none", NULL, 3, &r), PB_OK);
	assert_int_equal(r, 0);
	assert_int_equal(map("media-empty-error", NULL, 3, &r), PB_STOP);
	assert_int_equal(r, PB_R_HOPPER_EMPTY);
	assert_int_equal(map("media-empty", NULL, 3, &r), PB_STOP); /* no suffix */
	assert_int_equal(map("marker-supply-low-warning", NULL, 4, &r), PB_OK);
	assert_int_equal(r, PB_R_RIBBON_LOW);
	assert_int_equal(map("marker-supply-low-warning", "media-jam-error", 3, &r), PB_STOP);
	assert_int_equal(r, PB_R_RIBBON_LOW | PB_R_JAM);
	assert_string_equal(pb_reasons_text(r, buf, sizeof(buf)), "jam, ribbon low");
	assert_int_equal(map("offline-report", NULL, 3, &r), PB_RETRY);
	assert_int_equal(map("cooling-down-report", NULL, 3, &r), PB_RETRY);
	assert_int_equal(r, PB_R_COOLING);
	assert_int_equal(map("cover-open-error", NULL, 3, &r), PB_STOP);
	assert_int_equal(r, PB_R_DOOR_OPEN);
	/* unknown and near-miss keywords are ignored, not guessed */
	assert_int_equal(map("media-emptyish-error", "x-vendor-thing", 3, &r), PB_OK);
	assert_int_equal(r, 0);
	/* a stopped printer is STOP whatever the reasons */
	assert_int_equal(map(NULL, NULL, 5, &r), PB_STOP);
	assert_int_equal(r, PB_R_STOPPED);
}

static void
test_esc_replies(void **state)
{
	unsigned r;

	assert_int_equal(pb_esc_reply("OK", &r), PB_OK);
	assert_int_equal(r, 0);
	assert_int_equal(pb_esc_reply("ERR JAM", &r), PB_STOP);
	assert_int_equal(r, PB_R_JAM);
	assert_int_equal(pb_esc_reply("ERR COOLING", &r), PB_RETRY);
	assert_int_equal(r, PB_R_COOLING);
	assert_int_equal(pb_esc_reply("ERR HOPPER EMPTY", &r), PB_STOP);
	assert_int_equal(r, PB_R_HOPPER_EMPTY);
	assert_int_equal(pb_esc_reply("ERR NO CARD", &r), PB_FAIL);
	assert_int_equal(pb_esc_reply("", &r), PB_FAIL);
	assert_int_equal(pb_esc_reply("OK ", &r), PB_FAIL); /* exact replies only */
	assert_int_equal(pb_esc_reply("ERR JAMMED", &r), PB_FAIL);
}

static void
test_table(void **state)
{
	assert_non_null(pb_find("cups"));
	assert_non_null(pb_find("usb"));
	assert_true(pb_find("usb")->caps & PB_CAP_ENCODER);
	assert_true(pb_find("usb")->caps & PB_CAP_REJECT);
	assert_null(pb_find("laser"));
	const struct pb_ops *c = pb_find("cups");
	assert_non_null(c->print);
	assert_null(c->to_encoder); /* a CUPS line encodes at a separate reader */
	assert_false(c->caps & PB_CAP_REJECT);
	void *h;
	struct pb_config cfg = { .queue = "", .server = "" };
	assert_int_equal(c->open(&cfg, &h), -22); /* a queue is required */
	assert_string_equal(pb_class_name(PB_STOP), "stop");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapping),
		cmocka_unit_test(test_count_reply),
		cmocka_unit_test(test_esc_replies),
		cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
