/*
 * test_job.c - the cetak-job/1 validator: every rule, accepted and refused.
 *
 * Each case takes the example job etc/examples/EXAMPLE-000001.json (a
 * synthetic woman born on the date in her NIK), changes one field, and
 * checks the verdict and the reason.
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
#include <time.h>

#include "jobs/job.h"

static json_t *example;

static int
load_example(void **state)
{
	json_error_t e;

	example = json_load_file("etc/examples/EXAMPLE-000001.json", 0, &e);
	if (!example)
		fail_msg("cannot load the example job: %s", e.text);
	return 0;
}

static int
free_example(void **state)
{
	json_decref(example);
	return 0;
}

/* Set (or with value NULL, delete) a dotted path like "holder.address.rt". */
static void
set_path(json_t *root, const char *path, json_t *value)
{
	char *copy = strdup(path), *dot, *key = copy;
	json_t *obj = root;

	while ((dot = strchr(key, '.'))) {
		*dot = '\0';
		obj = json_object_get(obj, key);
		key = dot + 1;
	}
	if (value)
		json_object_set_new(obj, key, value);
	else
		json_object_del(obj, key);
	free(copy);
}

static int
parse_json(json_t *doc, const char *region, char *why, struct job **ret)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	struct job_policy pol = { .region = region, .now = (long long)time(NULL) };
	int r = job_parse(text, strlen(text), &pol, ret, why, 512);
	free(text);
	return r;
}

/* One mutation; expect NULL = accepted, else a substring of the reason. */
static void
check(const char *path, json_t *value, const char *expect)
{
	json_t *doc = json_deep_copy(example);
	struct job *job = NULL;
	char why[512] = "";

	if (path)
		set_path(doc, path, value);
	int r = parse_json(doc, NULL, why, &job);
	if (!expect && r != 0)
		fail_msg("%s: expected OK, got '%s'", path ? path : "(example)", why);
	if (expect && r == 0)
		fail_msg("%s: expected refusal containing '%s', got OK", path, expect);
	if (expect && !strstr(why, expect))
		fail_msg("%s: reason '%s' lacks '%s'", path, why, expect);
	job_free(job);
	json_decref(doc);
}

static void
test_example_ok(void **state)
{
	struct job *job;
	char why[512];

	assert_int_equal(parse_json(example, NULL, why, &job), 0);
	assert_string_equal(job->job_id, "EXAMPLE-000001");
	assert_int_equal(job->kind, JOB_NEW);
	assert_int_equal(job->urgent, 0);
	assert_int_equal(strlen(job->nik), 16);
	job_free(job);
}

static void
test_structure(void **state)
{
	check("format", json_string("cetak-job/2"), "format: \"cetak-job/2\" is not supported");
	check("format", NULL, "format: missing");
	check("job_id", json_string("A B"), "job_id: only A-Z a-z 0-9 . _ -");
	check("job_id", json_string("A.b_C-9"), NULL);
	check("job_id", json_string(""), "job_id: must not be empty");
	check("job_id",
	      json_string("0123456789012345678901234567890123456789012345678901234567890123"),
	      NULL);
	check("job_id",
	      json_string("01234567890123456789012345678901234567890123456789012345678901234"),
	      "job_id: 65 characters, at most 64");
	check("job_id", json_integer(5), "job_id: must be a string");
	check("record_state", json_string("DUPLICATE_RECORD"), "is not PRR");
	check("kind", json_string("reprint"), "kind: \"reprint\" is not one of");
	check("kind", json_string("replacement"), NULL);
	check("urgent", json_true(), NULL);
	check("urgent", json_string("yes"), "urgent: must be true or false");
	check("extra", json_string("x"), "extra: unknown field");
	check("holder.middle_name", json_string("x"), "holder.middle_name: unknown field");
	check("holder.address.zip", json_string("42357"), "holder.address.zip: unknown field");
	check("holder", json_string("x"), "holder: must be an object");
	check("holder.address", NULL, "holder.address: missing");
	check("fingerprints", json_string("x"), "fingerprints: must be an array");
}

static void
test_text_rules(void **state)
{
	char name60[61], name61[62];

	memset(name60, 'A', 60);
	name60[60] = '\0';
	memset(name61, 'A', 61);
	name61[61] = '\0';
	check("holder.name", json_string(name60), NULL);
	check("holder.name", json_string(name61), "holder.name: 61 characters, at most 60 fit");
	/* characters, not bytes: 60 two-byte letters fit */
	char utf[121] = "";
	for (int i = 0; i < 60; i++)
		strcat(utf, "\xc3\x89");
	check("holder.name", json_string(utf), NULL);
	check("holder.name", json_string("SITI\tAMINAH"), "control character U+0009");
	check("holder.name",
	      json_string("SITI\xc2\x85"
			  "AMINAH"),
	      "control character U+0085");
	check("holder.name", json_string(" SITI"),
	      "must not be empty or start or end with a space");
	check("holder.name", json_string(""), "holder.name: must not be empty");
	check("holder.address.rt", json_string("01"), "holder.address.rt: must be 3 digits");
	check("holder.address.rt", json_string("0a1"), "must be 3 digits");
	check("holder.address.rw", json_string("013"), NULL);
	check("holder.sex", json_string("L"), "holder.sex: \"L\" is not one of");
	check("holder.blood_type", json_string("AB-"), NULL);
	check("holder.blood_type", json_string("C"), "holder.blood_type");
	check("holder.religion", json_string("KHONGHUCU"), NULL);
	check("holder.marital_status", json_string("JANDA"), "holder.marital_status");
	check("holder.citizenship", json_string("WNI"), NULL);
	check("holder.valid_until", json_string("2031-02-30"), "not a real date");
	check("holder.valid_until", json_string("2031-02-28"), NULL);
}

/* A woman's NIK day is her birth day + 40; a man's is the birth day. */
static void
test_nik_rules(void **state)
{
	json_t *holder = json_object_get(example, "holder");
	char nik[17];
	const char *orig = json_string_value(json_object_get(holder, "nik"));

	int woman = strcmp(json_string_value(json_object_get(holder, "sex")), "PEREMPUAN") == 0;
	check("holder.nik", json_string("123"), "holder.nik: must be 16 digits");
	check("holder.nik", json_string("36020449095A0002"), "must be 16 digits");
	snprintf(nik, sizeof(nik), "%.12s0000", orig);
	check("holder.nik", json_string(nik), "serial 0000 is never issued");
	snprintf(nik, sizeof(nik), "00%s", orig + 2);
	check("holder.nik", json_string(nik), "is not a real province/regency");
	/* the same person recorded with the other sex: the day no longer matches */
	check("holder.sex", json_string(woman ? "LAKI-LAKI" : "PEREMPUAN"),
	      "does not match birth_date");
	/* the day with the +40 wrongly dropped or added */
	snprintf(nik, sizeof(nik), "%s", orig);
	int day = (nik[6] - '0') * 10 + (nik[7] - '0') + (woman ? -40 : 40);
	nik[6] = (char)('0' + day / 10);
	nik[7] = (char)('0' + day % 10);
	check("holder.nik", json_string(nik), "(expected ");
	/* region policy: both sides */
	struct job *job = NULL;
	char why[512];
	char region[7];
	snprintf(region, sizeof(region), "%.4s", orig);
	assert_int_equal(parse_json(example, region, why, &job), 0);
	job_free(job);
	assert_int_equal(parse_json(example, "3171", why, &job), -22);
	assert_non_null(strstr(why, "outside this station's region 3171"));
}

static void
test_dates(void **state)
{
	char future[16], tomorrow[16];
	time_t t = time(NULL) + 400 * 86400;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(future, sizeof(future), "%Y-%m-%d", &tm);
	t = time(NULL) + 2 * 86400;
	localtime_r(&t, &tm);
	strftime(tomorrow, sizeof(tomorrow), "%Y-%m-%d", &tm);
	check("holder.birth_date", json_string("1987-02-29"), "not a real date");
	check("holder.birth_date", json_string("1987-13-01"), "not a real date");
	check("holder.birth_date", json_string("87-11-12"), "not a real date");
	check("issue.date", json_string("1900-01-01"), "issue.date: before holder.birth_date");
	check("issue.date", json_string(tomorrow), "issue.date: in the future");
	check("issue.date", json_string("2024-02-29"), NULL);
	check("holder.valid_until", json_string("1999-01-01"), "not after issue.date");
	check("holder.valid_until", json_string("SEUMUR HIDUP"), NULL);
	(void)future;
}

static void
test_images(void **state)
{
	const char *photo = json_string_value(json_object_get(example, "photo"));
	size_t n = strlen(photo);
	char *cut = strndup(photo, n / 2 / 4 * 4);

	check("photo", json_string("not base64!"), "photo: not valid base64");
	check("photo", json_string("QUJD"), "photo: not a decodable JPEG");
	check("photo", json_string(cut), "photo: ");
	check("photo", json_string("QQ=="), "photo: not a decodable JPEG");
	check("photo", json_string("QR=="), "not valid base64"); /* non-canonical padding */
	check("signature", json_string("iVBORw0KGgo="), "signature: not a PNG image");
	check("signature", json_string(photo), "signature: not a PNG image");
	free(cut);
	/* fingerprints: ISO/IEC 19794-2 records only, at most 10 */
	json_t *fps = json_array();
	json_array_append_new(fps, json_string("Rk1SACAyMAA=")); /* "FMR\0 20\0" */
	check("fingerprints", fps, NULL);
	fps = json_array();
	json_array_append_new(fps, json_string("QUJDREVGR0g="));
	check("fingerprints", fps, "fingerprints[0]: not an ISO/IEC 19794-2 template");
	fps = json_array();
	for (int i = 0; i < 11; i++)
		json_array_append_new(fps, json_string("Rk1SACAyMAA="));
	check("fingerprints", fps, "fingerprints: 11 templates, at most 10");
}

static void
test_raw_input(void **state)
{
	struct job_policy pol = { .now = (long long)time(NULL) };
	struct job *job;
	char why[512];

	assert_int_equal(job_parse("{", 1, &pol, &job, why, sizeof(why)), -22);
	assert_non_null(strstr(why, "malformed JSON at line 1"));
	assert_int_equal(job_parse("[]", 2, &pol, &job, why, sizeof(why)), -22);
	assert_int_equal(job_parse("{\"a\":1,\"a\":2}", 13, &pol, &job, why, sizeof(why)), -22);
	assert_int_equal(job_parse("{\"a\":\"\xff\"}", 9, &pol, &job, why, sizeof(why)), -22);
	assert_non_null(strstr(why, "malformed JSON"));
	assert_int_equal(job_parse("{}\0", 3, &pol, &job, why, sizeof(why)), -22);
	assert_non_null(strstr(why, "NUL byte"));
}

static void
test_base64(void **state)
{
	uint8_t out[16];

	assert_int_equal(job_base64_decode("TWFu", 4, out, sizeof(out)), 3);
	assert_memory_equal(out, "Man", 3);
	assert_int_equal(job_base64_decode("TWE=", 4, out, sizeof(out)), 2);
	assert_int_equal(job_base64_decode("TQ==", 4, out, sizeof(out)), 1);
	assert_int_equal(job_base64_decode("TQ=", 3, out, sizeof(out)), -1);
	assert_int_equal(job_base64_decode("T===", 4, out, sizeof(out)), -1);
	assert_int_equal(job_base64_decode("TQ==TQ==", 8, out, sizeof(out)), -1);
	assert_int_equal(job_base64_decode("TW\nu", 4, out, sizeof(out)), -1);
	assert_int_equal(job_base64_decode("TWFuTWFu", 8, out, 5), -1); /* over max */
}

/* contact.phone: an Indonesian mobile, normalised; never any other number */
static void
test_phone(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "081234567890", "+6281234567890" },	   { "0812-3456-7890", "+6281234567890" },
		{ "+62 812 3456 7890", "+6281234567890" }, { "6285712345678", "+6285712345678" },
		{ "0895123456", "+62895123456" }, /* 10 digits */
	};
	static const char *const bad[] = {
		"0211234567",	  /* a fixed line in Jakarta */
		"08123",	  /* too short */
		"08123456789012", /* 14 digits */
		"+6581234567",	  /* not Indonesia */
		"0812345678a",	  "", "+", "0801234567", "+0812345678",
	};
	char out[JOB_PHONE_MAX + 1];
	struct job *job;
	char why[512];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(job_phone_normalize(ok[i].in, out), 0);
		assert_string_equal(out, ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (job_phone_normalize(bad[i], out) == 0)
			fail_msg("'%s' taken as a mobile number (%s)", bad[i], out);

	check("contact", json_pack("{s:s}", "phone", "0812-3456-7890"), NULL);
	check("contact", json_object(), NULL);
	check("contact", json_pack("{s:s}", "phone", "0211234567"),
	      "contact.phone: \"0211234567\" is not an Indonesian mobile number");
	check("contact", json_pack("{s:s}", "email", "x@example.org"),
	      "contact.email: unknown field");
	check("contact", json_string("0812"), "contact: must be an object");

	json_t *doc = json_deep_copy(example);
	json_object_set_new(doc, "contact", json_pack("{s:s}", "phone", "0812 3456 7890"));
	assert_int_equal(parse_json(doc, NULL, why, &job), 0);
	assert_string_equal(job->phone, "+6281234567890");
	job_free(job);
	json_decref(doc);
	assert_int_equal(parse_json(example, NULL, why, &job), 0);
	assert_string_equal(job->phone, "");
	job_free(job);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_ok), cmocka_unit_test(test_structure),
		cmocka_unit_test(test_text_rules), cmocka_unit_test(test_nik_rules),
		cmocka_unit_test(test_dates),	   cmocka_unit_test(test_images),
		cmocka_unit_test(test_raw_input),  cmocka_unit_test(test_base64),
		cmocka_unit_test(test_phone),
	};
	return cmocka_run_group_tests(tests, load_example, free_example);
}
