/*
 * test_face.c - the card face: the YMCKO panels (the keep-out area bare in
 * every panel, the overlay everywhere else, text only in K, the background
 * in Y M C), the shrink rule, and fields that do not fit.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "printer/face.h"
#include "testjob.h"

static struct face_layout *layout;
static struct job *job;

static int
setup(void **state)
{
	assert_int_equal(face_layout_load("etc/layouts/ektp-front.conf", stderr, &layout), 0);
	job = test_job_file("etc/examples/EXAMPLE-000001.json");
	assert_non_null(job);
	return 0;
}

static int
teardown(void **state)
{
	face_layout_free(layout);
	job_free(job);
	return 0;
}

#define PLANE ((size_t)FACE_PX_W * FACE_PX_H)
#define AT(p, x, y) ((p)[(size_t)(y)*FACE_PX_W + (x)])

static void
test_panels(void **state)
{
	struct face_panels p;
	char why[256];

	assert_int_equal(face_render_panels(layout, job, &p, why, sizeof(why)), 0);
	const uint8_t *Y = p.data, *M = p.data + PLANE, *C = p.data + 2 * PLANE,
		      *K = p.data + 3 * PLANE, *O = p.data + 4 * PLANE;
	/* keep-out (2.0, 49.6) + (14.0 x 4.0) mm: centre at ~ (106, 622) px: bare in all five */
	int kx = (int)(9.0 * FACE_PX_W / 85.6), ky = (int)(51.6 * FACE_PX_H / 53.98);
	assert_int_equal(AT(Y, kx, ky), 0);
	assert_int_equal(AT(M, kx, ky), 0);
	assert_int_equal(AT(C, kx, ky), 0);
	assert_int_equal(AT(K, kx, ky), 0);
	assert_int_equal(AT(O, kx, ky), 0);
	/* elsewhere the overlay covers the card */
	assert_int_equal(AT(O, 900, 620), 255);
	assert_int_equal(AT(O, 5, 5), 255);
	/* background #D7E9F5: Y = 255-0xF5, M = 255-0xE9, C = 255-0xD7 */
	assert_int_equal(AT(Y, 900, 620), 255 - 0xF5);
	assert_int_equal(AT(M, 900, 620), 255 - 0xE9);
	assert_int_equal(AT(C, 900, 620), 255 - 0xD7);
	/* no K there; text only in K: some black pixels in the NIK row */
	assert_int_equal(AT(K, 900, 620), 0);
	long inked = 0;
	for (int y = 100; y < 150; y++)
		for (int x = 250; x < 650; x++)
			inked += AT(K, x, y) > 128;
	assert_true(inked > 500);
	/* K and the colour panels are separate: no text in the colour layer */
	long colour_text = 0;
	for (int y = 100; y < 150; y++)
		for (int x = 250; x < 650; x++)
			colour_text += AT(C, x, y) != 255 - 0xD7;
	assert_int_equal(colour_text, 0);
	free(p.data);
}

/* face_check of the example with holder.KEY set to value */
static int
check_with(const char *key, const char *value, char *why, size_t len)
{
	json_t *j = json_deep_copy(job->json);
	struct job *edited;
	int r;

	json_object_set_new(json_object_get(j, "holder"), key, json_string(value));
	edited = test_job(j);
	assert_non_null(edited);
	r = face_check(layout, edited, why, len);
	job_free(edited);
	json_decref(j);
	return r;
}

static void
test_fit_rules(void **state)
{
	char why[256];

	/* a long name wraps to 2 lines and shrinks: accepted */
	assert_int_equal(check_with("name", "KARTIKA PUTRI WULANDARI SETIAWAN KUSUMA NINGRUM", why,
				    sizeof(why)),
			 0);
	/* too long for 2 lines at the smallest size: refused with the field */
	assert_int_equal(check_with("name",
				    "WWWWWWWWWWWWWWWWWWWW WWWWWWWWWWWWWWWWWWWW WWWWWWWWWWWW", why,
				    sizeof(why)),
			 -22);
	assert_non_null(strstr(why, "Nama: "));
	assert_non_null(strstr(why, "2 fit its 41.0 mm box"));
	/* a single unbreakable word wider than the box is never cut */
	assert_int_equal(check_with("occupation", "WWWWWWWWWWWWWWWWWWWWWWWWWW", why, sizeof(why)),
			 -22);
	assert_non_null(strstr(why, "Pekerjaan: "));
}

/* A layout that names a field a job does not have fails at load, with the line. */
static void
test_layout_fields(void **state)
{
	char path[] = "/tmp/cetak-layout-XXXXXX", *out = NULL;
	size_t outlen = 0;
	struct face_layout *l = NULL;
	FILE *errs = open_memstream(&out, &outlen);
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	dprintf(fd, "layout = {\n name = \"t\";\n rows = (\n"
		    "  { label = \"Nama\"; value = \"@holder.name\"; y = 12.0; },\n"
		    "  { label = \"Lahir\"; value = \"@holder.birth_place+, "
		    "+%%date(@holder.birth_dat)\"; y = 15.0; }\n"
		    " );\n};\n");
	close(fd);
	assert_int_equal(face_layout_load(path, errs, &l), -EINVAL);
	fclose(errs);
	assert_non_null(strstr(out, ":5: value: \"@holder.birth_dat\" is not a field of a job"));
	free(out);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_panels),
		cmocka_unit_test(test_layout_fields),
		cmocka_unit_test(test_fit_rules),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
