/*
 * test_config.c - the configuration table: defaults, bounds on both sides,
 * types, required settings, canonical printing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon/config.h"

static char path[] = "/tmp/cetak-test-config.XXXXXX";
static char errs[8192];

/* Load text as a config; returns cfg_load's result, errors in errs. */
static int
load(const char *text, struct cetak_config **cfg)
{
	int fd = mkstemp(path);
	FILE *e = fmemopen(errs, sizeof(errs), "w");
	int r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	memset(errs, 0, sizeof(errs));
	r = cfg_load(path, e, cfg);
	fclose(e);
	unlink(path);
	strcpy(path + strlen(path) - 6, "XXXXXX");
	return r;
}

static void
test_defaults(void **state)
{
	struct cetak_config *c;
	(void)state;

	assert_int_equal(load("", &c), 0);
	assert_string_equal(c->state_dir, "/var/lib/cetak");
	assert_string_equal(c->spool_dir, "/var/spool/cetak");
	assert_string_equal(c->control_socket, "/run/cetak/control");
	assert_string_equal(c->operator_group, "cetak-operator");
	assert_string_equal(c->supervisor_group, "cetak-supervisor");
	assert_int_equal(c->station_role, CFG_ROLE_MAIN);
	assert_int_equal(c->log_level, LOG_INFO);
	assert_int_equal(c->reader_poll_ms, 2000);
	assert_int_equal(c->control_max_request, 65536);
	assert_int_equal(c->n_lines, 0);
	cfg_free(c);
}

/* Both sides of an integer bound. */
static void
test_int_bounds(void **state)
{
	struct cetak_config *c;
	(void)state;

	assert_int_equal(load("daemon = { reader_poll_ms = 100; };", &c), 0);
	assert_int_equal(c->reader_poll_ms, 100);
	cfg_free(c);
	assert_int_equal(load("daemon = { reader_poll_ms = 99; };", &c), -22);
	assert_non_null(
		strstr(errs, ":1: 'daemon.reader_poll_ms' must be an integer from 100 to 60000"));
	assert_int_equal(load("daemon = { reader_poll_ms = 60000; };", &c), 0);
	cfg_free(c);
	assert_int_equal(load("daemon = { reader_poll_ms = 60001; };", &c), -22);
	assert_int_equal(load("daemon = { reader_poll_ms = 9999999999L; };", &c), -22);
	assert_int_equal(load("daemon = { reader_poll_ms = 2.5; };", &c), -22);
	assert_non_null(strstr(errs, "must be an integer without quotes"));
}

static void
test_string_rules(void **state)
{
	struct cetak_config *c;
	char big[300];
	(void)state;

	assert_int_equal(load("station = { region = \"3602\"; role = \"upt\"; };", &c), 0);
	assert_string_equal(c->station_region, "3602");
	assert_int_equal(c->station_role, CFG_ROLE_UPT);
	cfg_free(c);
	assert_int_equal(load("station = { region = \"360\"; };", &c), -22);
	assert_int_equal(load("station = { region = 3602; };", &c), -22);
	assert_non_null(strstr(errs, "must be a quoted string"));
	memset(big, 'x', sizeof(big));
	memcpy(big, "station = { name = \"", 20);
	strcpy(big + 20 + 129, "\"; };");
	assert_int_equal(load(big, &c), -22);
	assert_non_null(strstr(errs, "is longer than 128 characters"));
	big[20 + 128] = '"';
	strcpy(big + 20 + 128, "\"; };");
	assert_int_equal(load(big, &c), 0);
	assert_int_equal(strlen(c->station_name), 128);
	cfg_free(c);
	assert_int_equal(load("paths = { control_socket = \"run/x\"; };", &c), -22);
	assert_int_equal(load("access = { operator_group = \"\"; };", &c), -22);
}

static void
test_lines(void **state)
{
	struct cetak_config *c;
	(void)state;

	assert_int_equal(
		load("lines = ( { name = \"A\"; printer = \"usb\"; usb_device = "
		     "\"0F49:1001\"; reader = \"x*\"; encoder = \"desk\"; enabled = false; },"
		     "{ name = \"B-2\"; printer = \"cups\"; cups_queue = \"q\"; reader = "
		     "\"y\"; } );",
		     &c),
		0);
	assert_int_equal(c->n_lines, 2);
	assert_string_equal(c->lines[0].name, "A");
	assert_string_equal(c->lines[0].printer, "usb");
	assert_int_equal(c->lines[0].encoder, 1);
	assert_int_equal(c->lines[0].enabled, 0);
	assert_int_equal(c->lines[1].enabled, 1);
	assert_string_equal(c->lines[1].cups_queue, "q");
	cfg_free(c);
	/* missing required settings, each named */
	assert_int_equal(load("lines = ( { } );", &c), -22);
	assert_non_null(strstr(errs, "'lines[0]' has no 'name'"));
	assert_non_null(strstr(errs, "'lines[0]' has no 'printer'"));
	assert_non_null(strstr(errs, "'lines[0]' has no 'reader'"));
	assert_int_equal(
		load("lines = ( { name = \"A\"; printer = \"zebra\"; reader = \"*\"; } );", &c),
		-22);
	assert_non_null(strstr(errs, "must be one of: cups, usb"));
	assert_int_equal(load("lines = { name = \"A\"; };", &c), -22);
	assert_non_null(strstr(errs, "'lines' must be a list"));
}

static void
test_too_many_lines(void **state)
{
	struct cetak_config *c;
	char text[4096] = "lines = (";
	(void)state;

	for (int i = 0; i <= CFG_MAX_LINES; i++) {
		char l[128];
		snprintf(l, sizeof(l),
			 "%s{ name = \"L%d\"; printer = \"cups\"; cups_queue = \"q\"; "
			 "reader = \"*\"; }",
			 i ? "," : "", i);
		strcat(text, l);
	}
	strcat(text, ");");
	assert_int_equal(load(text, &c), -22);
	assert_non_null(strstr(errs, "9 lines configured; at most 8"));
}

static void
test_print_roundtrip(void **state)
{
	struct cetak_config *c, *c2;
	char out[8192], out2[8192];
	(void)state;

	assert_int_equal(load("station = { name = \"Q\\\"uote\"; };\nlines = ( { name = \"A\"; "
			      "printer = \"cups\"; cups_queue = \"q\"; reader = \"r\"; } );",
			      &c),
			 0);
	FILE *f = fmemopen(out, sizeof(out), "w");
	cfg_print(c, f);
	fclose(f);
	assert_non_null(strstr(out, "name = \"Q\\\"uote\";"));
	assert_int_equal(load(strchr(out, '\n') + 1, &c2), 0);
	f = fmemopen(out2, sizeof(out2), "w");
	cfg_print(c2, f);
	fclose(f);
	assert_string_equal(strchr(out, '\n'), strchr(out2, '\n'));
	cfg_free(c);
	cfg_free(c2);
	cfg_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),       cmocka_unit_test(test_int_bounds),
		cmocka_unit_test(test_string_rules),   cmocka_unit_test(test_lines),
		cmocka_unit_test(test_too_many_lines), cmocka_unit_test(test_print_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
