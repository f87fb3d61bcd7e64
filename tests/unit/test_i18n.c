/*
 * test_i18n.c - Indonesian forms (common/i18n.c): numbers with their
 * separators, decimals, the year and other numbers in words (terbilang) as
 * berita acara write them, day and month names; and a document's language
 * switched on its own thread only, whatever the process's.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"

static void
test_numbers(void **state)
{
	struct i18n_doc d;
	char b[64];

	(void)state;
	assert_int_equal(i18n_doc_begin(&d, "id"), 0);
	assert_string_equal(i18n_int(1234, b, sizeof(b)), "1.234");
	assert_string_equal(i18n_int(-1234567, b, sizeof(b)), "-1.234.567");
	assert_string_equal(i18n_int(999, b, sizeof(b)), "999");
	assert_string_equal(i18n_int(0, b, sizeof(b)), "0");
	assert_string_equal(i18n_dec(3.5, 1, b, sizeof(b)), "3,5");
	assert_string_equal(i18n_dec(1234.96, 1, b, sizeof(b)), "1.235,0");
	assert_string_equal(i18n_dec(-0.25, 2, b, sizeof(b)), "-0,25");
	i18n_doc_end(&d);
	assert_int_equal(i18n_doc_begin(&d, "en"), 0);
	assert_string_equal(i18n_int(1234, b, sizeof(b)), "1,234");
	assert_string_equal(i18n_dec(3.5, 1, b, sizeof(b)), "3.5");
	i18n_doc_end(&d);
}

static void
test_words(void **state)
{
	static const struct {
		long long n;
		const char *w;
	} cases[] = {
		{ 0, "nol" },
		{ 1, "satu" },
		{ 10, "sepuluh" },
		{ 11, "sebelas" },
		{ 12, "dua belas" },
		{ 19, "sembilan belas" },
		{ 20, "dua puluh" },
		{ 29, "dua puluh sembilan" },
		{ 100, "seratus" },
		{ 111, "seratus sebelas" },
		{ 250, "dua ratus lima puluh" },
		{ 1000, "seribu" },
		{ 1001, "seribu satu" },
		{ 1999, "seribu sembilan ratus sembilan puluh sembilan" },
		{ 2026, "dua ribu dua puluh enam" },
		{ 100000, "seratus ribu" },
		{ 1000000, "satu juta" },
		{ 2500000, "dua juta lima ratus ribu" },
		{ 1000000000, "satu miliar" },
	};
	struct i18n_doc d;
	char b[256];

	(void)state;
	assert_int_equal(i18n_doc_begin(&d, "id"), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(i18n_words(cases[i].n, b, sizeof(b)), cases[i].w);
	i18n_doc_end(&d);
	assert_int_equal(i18n_doc_begin(&d, "en"), 0);
	assert_string_equal(i18n_words(2026, b, sizeof(b)), "2026");
	i18n_doc_end(&d);
}

static void
test_names(void **state)
{
	struct i18n_doc d;
	char b[64];

	(void)state;
	setenv("TZ", "Asia/Jakarta", 1);
	tzset();
	assert_int_equal(i18n_doc_begin(&d, "id"), 0);
	assert_string_equal(i18n_lang(), "id");
	assert_string_equal(i18n_weekday(1), "Senin");
	assert_string_equal(i18n_weekday(5), "Jumat");
	assert_string_equal(i18n_weekday(0), "Minggu");
	assert_string_equal(i18n_month(7), "Agustus");
	/* 2026-11-30 08:00 WIB, a Monday */
	assert_string_equal(i18n_date(1796000400, b, sizeof(b)), "30 November 2026");
	assert_string_equal(i18n_date_long(1796000400, b, sizeof(b)), "Senin, 30 November 2026");
	i18n_doc_end(&d);
	assert_int_equal(i18n_doc_begin(&d, "en"), 0);
	assert_string_equal(i18n_date_long(1796000400, b, sizeof(b)), "Monday, 30 November 2026");
	i18n_doc_end(&d);
	assert_int_equal(i18n_doc_begin(&d, "jv"), -1);
	i18n_doc_end(&d);
	assert_int_equal(i18n_lang_ok("id") && i18n_lang_ok("en") && !i18n_lang_ok("jv"), 1);
}

/* a document's language is its own thread's: the catalogue answers in
 * Indonesian inside, in the process's language outside */
static void
test_catalogue(void **state)
{
	struct i18n_doc d;

	(void)state;
	if (!getenv("CETAK_LOCALEDIR"))
		skip();
	setenv("LANGUAGE", "", 1);
	i18n_init();
	assert_string_equal(_("Witness 1"), "Witness 1");
	assert_int_equal(i18n_doc_begin(&d, "id"), 0);
	assert_string_equal(_("Witness 1"), "Saksi 1");
	assert_string_equal(_("page %d"), "halaman %d");
	i18n_doc_end(&d);
	assert_string_equal(_("Witness 1"), "Witness 1");
}

/* a template's sample text: each string conversion "arg", each number 7 (2.5) */
static void
sample(const char *t, char *out, size_t len)
{
	size_t n = 0;

	while (*t && n + 8 < len) {
		if (t[0] == '%' && t[1] == '%') {
			out[n++] = '%';
			t += 2;
			continue;
		}
		if (*t != '%') {
			out[n++] = *t++;
			continue;
		}
		t++;
		while (*t && !strchr("sdiuxXfgc", *t))
			t++;
		const char *v = *t == 's'		 ? "arg"
				: *t == 'f' || *t == 'g' ? "2.5"
				: *t == 'c'		 ? "c"
							 : "7";
		n += (size_t)snprintf(out + n, len - n, "%s", v);
		t++;
	}
	out[n] = '\0';
}

/* every template of the daemon's messages is found again from its own text */
static void
test_msg_templates(void **state)
{
	extern const char *const i18n_msg_templates[];
	char text[1024];
	int n = 0, wrong = 0;

	(void)state;
	for (size_t i = 0; i18n_msg_templates[i]; i++, n++) {
		struct i18n_msg_args a;
		sample(i18n_msg_templates[i], text, sizeof(text));
		const char *t = i18n_msg_template(text, &a);
		if (t != i18n_msg_templates[i]) {
			printf("# '%s' was taken for '%s'\n", t ? t : "(none)",
			       i18n_msg_templates[i]);
			wrong++;
		}
	}
	assert_true(n > 150);
	assert_int_equal(wrong, 0);
}

/* the daemon's English, in Indonesian: nested reasons, numbers, device texts */
static void
test_msg(void **state)
{
	struct i18n_doc d;
	char b[1024];

	(void)state;
	if (!getenv("CETAK_LOCALEDIR"))
		skip();
	i18n_init();
	assert_int_equal(i18n_doc_begin(&d, "id"), 0);
	assert_string_equal(i18n_msg("requeued: the line stopped", b, sizeof(b)),
			    "dikembalikan ke antrean: lini berhenti");
	/* a reason inside a reason, and a device's own text kept as it is */
	assert_string_equal(
		i18n_msg("requeued: the card could not be moved to the reject box (Seo: ERR NO "
			 "CARD): take it out by hand",
			 b, sizeof(b)),
		"dikembalikan ke antrean: kartu tidak dapat dipindahkan ke kotak tolak (Seo: ERR "
		"NO CARD): keluarkan dengan tangan");
	assert_string_equal(
		i18n_msg("printing failed (cards spoiled for this job: 3)", b, sizeof(b)),
		"pencetakan gagal (kartu rusak untuk pekerjaan ini: 3)");
	assert_string_equal(
		i18n_msg("line 'L9' is paused (by ani): it takes no job until it is "
			 "resumed",
			 b, sizeof(b)),
		"lini 'L9' paused (by ani): lini tidak mengambil pekerjaan sampai dilanjutkan");
	/* a reason with the printer's own words kept */
	assert_string_equal(
		i18n_msg("the printer stopped while printing; the card inside is "
			 "spoiled (jam: Se: ERR JAM)",
			 b, sizeof(b)),
		"printer berhenti saat mencetak; kartu di dalamnya rusak (jam: Se: ERR JAM)");
	/* a text no template made comes out as it went in */
	assert_string_equal(i18n_msg("Seo: ERR NO CARD", b, sizeof(b)), "Seo: ERR NO CARD");
	assert_string_equal(i18n_msg("", b, sizeof(b)), "");
	/* a text made to make the matcher backtrack is given up on quickly */
	char hard[1024] = "job ";
	for (int k = 0; k < 45; k++)
		strcat(hard, " is ; applies only to ");
	assert_string_equal(i18n_msg(hard, b, sizeof(b)), hard);
	/* a small buffer cuts, never overruns */
	char small[8];
	assert_int_equal(strlen(i18n_msg("requeued: the line stopped", small, sizeof(small))), 7);
	i18n_doc_end(&d);
	assert_string_equal(i18n_msg("requeued: the line stopped", b, sizeof(b)),
			    "requeued: the line stopped");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),	      cmocka_unit_test(test_words),
		cmocka_unit_test(test_names),	      cmocka_unit_test(test_catalogue),
		cmocka_unit_test(test_msg_templates), cmocka_unit_test(test_msg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
