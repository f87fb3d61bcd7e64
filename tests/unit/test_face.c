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
#include <string.h>

#include "printer/face.h"

static struct face_layout *layout;
static json_t *job;

static int
setup(void **state)
{
	json_error_t e;

	assert_int_equal(face_layout_load("etc/layouts/ektp-front.conf", stderr, &layout), 0);
	job = json_load_file("etc/examples/EXAMPLE-000001.json", 0, &e);
	assert_non_null(job);
	return 0;
}

static int
teardown(void **state)
{
	face_layout_free(layout);
	json_decref(job);
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

static void
test_fit_rules(void **state)
{
	json_t *j = json_deep_copy(job);
	json_t *h = json_object_get(j, "holder");
	char why[256];

	/* a long name wraps to 2 lines and shrinks: accepted */
	json_object_set_new(h, "name",
			    json_string("KARTIKA PUTRI WULANDARI SETIAWAN KUSUMA NINGRUM"));
	assert_int_equal(face_check(layout, j, why, sizeof(why)), 0);
	/* too long for 2 lines at the smallest size: refused with the field */
	json_object_set_new(h, "name",
			    json_string("WWWWWWWWWWWWWWWWWWWW WWWWWWWWWWWWWWWWWWWW WWWWWWWWWWWW"));
	assert_int_equal(face_check(layout, j, why, sizeof(why)), -22);
	assert_non_null(strstr(why, "Nama: "));
	assert_non_null(strstr(why, "2 fit its 41.0 mm box"));
	/* a single unbreakable word wider than the box is never cut */
	json_object_set_new(h, "name", json_string("SITI"));
	json_object_set_new(h, "occupation", json_string("WWWWWWWWWWWWWWWWWWWWWWWWWW"));
	assert_int_equal(face_check(layout, j, why, sizeof(why)), -22);
	assert_non_null(strstr(why, "Pekerjaan: "));
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_panels),
		cmocka_unit_test(test_fit_rules),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
