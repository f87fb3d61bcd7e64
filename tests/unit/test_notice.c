/*
 * test_notice.c - the SMS notice module (notice/notice.h): templates,
 * sending hours and holidays, file names, and the hand-over to gammu-smsd's
 * folders (staged, flushed, renamed; read back by name).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "notice/notice.h"

static void
test_render(void **state)
{
	struct notice_vars v = { "SITI AMINAH", "Disdukcapil Lebak", "Senin-Jumat 08.00-15.00" };
	char out[NOTICE_TEXT_MAX * 4 + 1], why[200];
	(void)state;

	assert_true(notice_render("Yth. {nama}, ambil di {kantor}, {jam}.", &v, out, sizeof(out),
				  why, sizeof(why)) > 0);
	assert_string_equal(out, "Yth. SITI AMINAH, ambil di Disdukcapil Lebak, Senin-Jumat "
				 "08.00-15.00.");
	assert_int_equal(notice_render("NIK {nik}", &v, out, sizeof(out), why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "unknown placeholder {nik}"));
	assert_int_equal(notice_render("{nama", &v, out, sizeof(out), why, sizeof(why)), -EINVAL);
	assert_int_equal(notice_render("{}", &v, out, sizeof(out), why, sizeof(why)), -EINVAL);
	char big[600];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(notice_render(big, &v, out, sizeof(out), why, sizeof(why)), -E2BIG);
	assert_non_null(strstr(why, "at most 459"));
}

static long long
at(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900,
			 .tm_mon = mo - 1,
			 .tm_mday = d,
			 .tm_hour = h,
			 .tm_min = mi,
			 .tm_isdst = -1 };
	return (long long)mktime(&tm);
}

static void
test_hours(void **state)
{
	struct notice_hours h;
	(void)state;

	assert_null(notice_hours_parse("08:00-17:00", &h));
	assert_non_null(notice_hours_parse("17:00-08:00", &h));
	assert_non_null(notice_hours_parse("8-17", &h));
	assert_non_null(notice_hours_parse("08:00-25:00", &h));
	assert_null(notice_hours_parse("00:00-24:00", &h));
	assert_null(notice_hours_parse("08:00-17:00", &h));
	assert_null(notice_holidays_parse("Sun, 2026-12-25,2027-01-01", &h));
	assert_int_equal(h.n_holidays, 2);
	assert_non_null(notice_holidays_parse("Sunday", &h));
	assert_non_null(notice_holidays_parse("2026-13-01", &h));
	assert_non_null(notice_holidays_parse("Sun,,Mon", &h));
	assert_null(notice_holidays_parse("", &h));
	assert_null(notice_holidays_parse("Sun,2026-12-25", &h));
	assert_null(notice_hours_parse("08:00-17:00", &h));
	assert_true(notice_may_send(&h, at(2026, 11, 30, 9, 0)));   /* a Monday */
	assert_false(notice_may_send(&h, at(2026, 11, 30, 7, 59))); /* too early */
	assert_false(notice_may_send(&h, at(2026, 11, 30, 17, 0))); /* too late */
	assert_false(notice_may_send(&h, at(2026, 11, 29, 10, 0))); /* Sunday */
	assert_false(notice_may_send(&h, at(2026, 12, 25, 10, 0))); /* a holiday */
	assert_true(notice_may_send(&h, at(2026, 12, 24, 16, 59)));
}

static char dir[] = "/tmp/cetak-notice-XXXXXX";

static void
test_folders(void **state)
{
	struct notice_dirs d;
	char path[512], name[NOTICE_NAME_MAX], why[300];
	const char *names[1];
	(void)state;

	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir,
			 (const char *[]){ "out", "sent", "err" }[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(notice_dirs_open(&d, path, path, path, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "gammu-smsd folder"));
	char o[256], s[256], e[256];
	snprintf(o, sizeof(o), "%s/out", dir);
	snprintf(s, sizeof(s), "%s/sent", dir);
	snprintf(e, sizeof(e), "%s/err", dir);
	assert_int_equal(notice_dirs_open(&d, o, s, e, why, sizeof(why)), 0);

	assert_int_equal(
		notice_file_name(name, sizeof(name), at(2026, 11, 30, 8, 5), "+6281234567890", 17),
		0);
	assert_string_equal(name, "OUTC20261130_080500_00_+6281234567890_cetak-17.txt");
	assert_int_equal(notice_fate(&d, name), NF_GONE);
	assert_int_equal(notice_stage(&d, name, "Yth. SITI, é"), 0);
	assert_int_equal(notice_fate(&d, name), NF_GONE); /* staged: not yet for gammu */
	names[0] = name;
	assert_int_equal(notice_commit(&d, names, 1), 0);
	assert_int_equal(notice_fate(&d, name), NF_QUEUED);
	/* UTF-16 with its byte-order mark, as gammu reads it */
	snprintf(path, sizeof(path), "%s/%s", o, name);
	FILE *f = fopen(path, "rb");
	unsigned char buf[64];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(n, 2 + 2 * 12);
	assert_int_equal(buf[0], 0xFE);
	assert_int_equal(buf[1], 0xFF);
	assert_int_equal(buf[3], 'Y');
	assert_int_equal(buf[24], 0x00);
	assert_int_equal(buf[25], 0xE9); /* é */
	assert_null(notice_gateway_check(&d, "", 2, why, sizeof(why)));
	assert_non_null(notice_gateway_check(&d, "", 1, why, sizeof(why)));
	assert_non_null(strstr(why, "outbox already holds 1 messages"));
	snprintf(path, sizeof(path), "%s/pid", dir);
	f = fopen(path, "w");
	fprintf(f, "%d\n", getpid());
	fclose(f);
	assert_non_null(notice_gateway_check(&d, path, 10, why, sizeof(why)));
	assert_non_null(strstr(why, "gammu-smsd is not running"));
	/* gammu sends it: moved under the same name */
	char from[512], to[512];
	snprintf(from, sizeof(from), "%s/%s", o, name);
	snprintf(to, sizeof(to), "%s/%s", s, name);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(notice_fate(&d, name), NF_SENT);
	notice_forget(&d, name);
	assert_int_equal(notice_fate(&d, name), NF_GONE);
	/* taken back before gammu sends it */
	assert_int_equal(notice_stage(&d, name, "x"), 0);
	assert_int_equal(notice_commit(&d, names, 1), 0);
	assert_int_equal(notice_withdraw(&d, name), 0);
	assert_int_equal(notice_withdraw(&d, name), -ENOENT);
	/* a crash between stage and commit: the sweep removes the staged file */
	assert_int_equal(notice_stage(&d, name, "x"), 0);
	assert_int_equal(notice_sweep(&d), 1);
	assert_int_equal(notice_fate(&d, name), NF_GONE);
	/* what SMS cannot carry is refused */
	assert_int_equal(notice_stage(&d, name, "\xF0\x9F\x98\x80"), -EINVAL);
	notice_dirs_close(&d);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_hours),
		cmocka_unit_test(test_folders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
