/*
 * test_ctlproto.c - control request/response parsing, both sides of every rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ctlproto.h"

static int
parse(const char *s, struct ctl_request *r, char *err)
{
	return ctl_request_parse(s, strlen(s), r, err, 256);
}

static void
test_request_ok(void **state)
{
	struct ctl_request r;
	char err[256];
	(void)state;

	assert_int_equal(parse("{\"v\":1,\"cmd\":\"status\"}", &r, err), 0);
	assert_string_equal(r.cmd, "status");
	assert_true(json_is_object(r.args));
	assert_int_equal(json_object_size(r.args), 0);
	ctl_request_done(&r);

	assert_int_equal(parse("{\"cmd\":\"job-show\",\"v\":1,\"args\":{\"id\":\"J1\"}}", &r, err),
			 0);
	assert_string_equal(r.cmd, "job-show");
	assert_string_equal(json_string_value(json_object_get(r.args, "id")), "J1");
	ctl_request_done(&r);
}

static void
expect_bad(const char *s, const char *why)
{
	struct ctl_request r;
	char err[256];

	assert_int_equal(parse(s, &r, err), -22);
	if (!strstr(err, why))
		fail_msg("'%s': reason '%s' lacks '%s'", s, err, why);
}

static void
test_request_bad(void **state)
{
	(void)state;
	expect_bad("", "not valid JSON");
	expect_bad("{", "not valid JSON");
	expect_bad("[1]", "must be a JSON object");
	expect_bad("\"status\"", "not valid JSON");
	expect_bad("{\"cmd\":\"status\"}", "field 'v' must be 1");
	expect_bad("{\"v\":2,\"cmd\":\"status\"}", "field 'v' must be 1");
	expect_bad("{\"v\":\"1\",\"cmd\":\"status\"}", "field 'v' must be 1");
	expect_bad("{\"v\":1}", "field 'cmd'");
	expect_bad("{\"v\":1,\"cmd\":\"\"}", "field 'cmd'");
	expect_bad("{\"v\":1,\"cmd\":\"Status\"}", "field 'cmd'");
	expect_bad("{\"v\":1,\"cmd\":\"st atus\"}", "field 'cmd'");
	expect_bad("{\"v\":1,\"cmd\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", "field 'cmd'");
	expect_bad("{\"v\":1,\"cmd\":7}", "field 'cmd'");
	expect_bad("{\"v\":1,\"cmd\":\"status\",\"args\":[]}", "'args' must be an object");
	expect_bad("{\"v\":1,\"cmd\":\"status\",\"extra\":1}", "unknown field 'extra'");
	expect_bad("{\"v\":1,\"v\":1,\"cmd\":\"status\"}", "not valid JSON");
	/* an embedded NUL */
	struct ctl_request r;
	char err[256];
	assert_int_equal(ctl_request_parse("{\"v\":1,\0}", 9, &r, err, sizeof(err)), -22);
	assert_non_null(strstr(err, "NUL"));
}

static void
test_cmd_max_length(void **state)
{
	struct ctl_request r;
	char err[256];
	(void)state;

	/* exactly CTL_CMD_MAX (32) characters is accepted */
	assert_int_equal(parse("{\"v\":1,\"cmd\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", &r, err),
			 0);
	assert_int_equal(strlen(r.cmd), 32);
	ctl_request_done(&r);
}

static void
test_roundtrip(void **state)
{
	struct ctl_request r;
	struct ctl_response resp;
	char err[256];
	json_t *args = json_pack("{s:s}", "id", "J9");
	(void)state;

	char *line = ctl_request_encode("hold", args);
	assert_non_null(line);
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_int_equal(ctl_request_parse(line, strlen(line) - 1, &r, err, sizeof(err)), 0);
	assert_string_equal(r.cmd, "hold");
	assert_true(json_equal(r.args, args));
	ctl_request_done(&r);
	free(line);

	line = ctl_response_ok(args);
	assert_int_equal(ctl_response_parse(line, strlen(line) - 1, &resp, err, sizeof(err)), 0);
	assert_true(resp.ok);
	assert_true(json_equal(resp.data, args));
	ctl_response_done(&resp);
	free(line);

	line = ctl_response_err(CTL_E_PERMISSION, "no %s", "way");
	assert_int_equal(ctl_response_parse(line, strlen(line) - 1, &resp, err, sizeof(err)), 0);
	assert_false(resp.ok);
	assert_string_equal(resp.code, "permission-denied");
	assert_string_equal(resp.message, "no way");
	ctl_response_done(&resp);
	free(line);
	json_decref(args);
}

static void
test_response_bad(void **state)
{
	struct ctl_response resp;
	char err[256];
	const char *bad[] = { "{}",
			      "{\"ok\":1}",
			      "{\"ok\":true,\"data\":[]}",
			      "{\"ok\":false}",
			      "{\"ok\":false,\"error\":\"x\"}",
			      "nonsense" };
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
			ctl_response_parse(bad[i], strlen(bad[i]), &resp, err, sizeof(err)), -22);
	assert_int_equal(ctl_response_parse("{\"ok\":true}", 11, &resp, err, sizeof(err)), 0);
	assert_true(json_is_object(resp.data));
	ctl_response_done(&resp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_ok),     cmocka_unit_test(test_request_bad),
		cmocka_unit_test(test_cmd_max_length), cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_response_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
