/*
 * test_web.c - the dashboard's parsers of what a browser sends (web/parse.c):
 * form bodies and query strings, the Cookie header, static file names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "web/web.h"

static const char *
field(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void
test_form(void **state)
{
	json_t *f;
	(void)state;

	const char *s = "user=budi&password=a%20b+c%26d&next=%2Flines&empty=&flag";
	assert_int_equal(web_parse_form(s, strlen(s), &f), 0);
	assert_string_equal(field(f, "user"), "budi");
	assert_string_equal(field(f, "password"), "a b c&d");
	assert_string_equal(field(f, "next"), "/lines");
	assert_string_equal(field(f, "empty"), "");
	assert_string_equal(field(f, "flag"), "");
	json_decref(f);
	/* UTF-8 percent-encoded: "Lanjutkan · ok" */
	s = "msg=Lanjutkan%20%C2%B7%20ok";
	assert_int_equal(web_parse_form(s, strlen(s), &f), 0);
	assert_string_equal(field(f, "msg"), "Lanjutkan \xc2\xb7 ok");
	json_decref(f);
	assert_int_equal(web_parse_form("", 0, &f), 0);
	assert_int_equal(json_object_size(f), 0);
	json_decref(f);
	/* only len bytes are read */
	assert_int_equal(web_parse_form("a=1&b=2", 3, &f), 0);
	assert_int_equal(json_object_size(f), 1);
	json_decref(f);
}

static void
test_form_bad(void **state)
{
	json_t *f = (json_t *)1;
	(void)state;
	static const char *const bad[] = {
		"a=%",	    /* a cut escape */
		"a=%4",	    /* a cut escape */
		"a=%zz",    /* not hex */
		"a=1&a=2",  /* repeated */
		"=x",	    /* no name */
		"a=%00b",   /* an encoded NUL */
		"a=%ff%fe", /* not UTF-8 */
		"%ff=1",    /* a name that is not UTF-8 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(web_parse_form(bad[i], strlen(bad[i]), &f), -1);
		assert_null(f);
	}
}

static void
test_cookie(void **state)
{
	char v[80];
	(void)state;

	assert_int_equal(web_cookie("cetak_lang=en; cetak_sid=abc123", "cetak_sid", v, sizeof(v)),
			 0);
	assert_string_equal(v, "abc123");
	assert_int_equal(web_cookie("cetak_sid=first;cetak_lang=id", "cetak_lang", v, sizeof(v)),
			 0);
	assert_string_equal(v, "id");
	/* a cookie whose name only begins the same is another cookie */
	assert_int_equal(web_cookie("cetak_sidx=1; xcetak_sid=2", "cetak_sid", v, sizeof(v)), -1);
	assert_int_equal(web_cookie(NULL, "cetak_sid", v, sizeof(v)), -1);
	assert_int_equal(web_cookie("", "cetak_sid", v, sizeof(v)), -1);
	/* too long for the buffer: refused, not cut */
	assert_int_equal(web_cookie("cetak_sid=0123456789", "cetak_sid", v, 8), -1);
}

static void
test_static_names(void **state)
{
	(void)state;
	assert_true(web_static_name_ok("style.css"));
	assert_true(web_static_name_ok("app.js"));
	assert_true(web_static_name_ok("logo_2-b.svg"));
	static const char *const bad[] = { "",		"..",	   "../etc/passwd",
					   ".hidden",	"a/b.css", "a..b.css",
					   "Style.css", "a b.css", "a%2f.css",
					   "a\\b.css",	NULL };
	for (size_t i = 0; bad[i]; i++)
		assert_false(web_static_name_ok(bad[i]));
	assert_false(web_static_name_ok(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_form_bad),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_static_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
