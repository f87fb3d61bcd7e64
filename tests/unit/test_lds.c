/*
 * test_lds.c - TLV, MRZ check digits (ICAO 9303 part 5 TD1 specimen), the
 * card profile, the data groups and EF.SOD signing and verification, with a
 * test PKI made by scripts/make-test-pki.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "smartcard/lds.h"
#include "smartcard/profile.h"
#include "smartcard/sc.h"
#include "smartcard/sod.h"
#include "smartcard/tlv.h"
#include "testjob.h"

static char pki[64];
static struct job *job;
static struct card_profile prof;

static int
setup_all(void **state)
{
	char cmd[256];

	strcpy(pki, "/tmp/cetak-pki.XXXXXX");
	assert_non_null(mkdtemp(pki));
	snprintf(cmd, sizeof(cmd), "scripts/make-test-pki %s", pki);
	assert_int_equal(system(cmd), 0);
	job = test_job_file("etc/examples/EXAMPLE-000001.json");
	assert_non_null(job);
	assert_int_equal(profile_load("etc/profiles/icao-lds.conf", stderr, &prof), 0);
	return 0;
}

static int
teardown_all(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", pki);
	job_free(job);
	return system(cmd);
}

static void
test_tlv(void **state)
{
	struct tlv_buf b;
	struct tlv t, inner;
	uint8_t big[300];

	memset(big, 0xAB, sizeof(big));
	tlv_buf_init(&b);
	size_t m = tlv_open(&b, 0x7F61);
	tlv_put(&b, 0x02, "\x01", 1);
	tlv_put(&b, 0x5F2E, big, sizeof(big)); /* needs a 3-byte length: 82 01 2C */
	tlv_close(&b, m);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.p[0], 0x7F);
	assert_int_equal(b.p[1], 0x61);
	assert_int_equal(b.p[2], 0x82); /* the outer length grew to 3 bytes on close */
	assert_int_equal(tlv_parse(b.p, b.len, &t), 0);
	assert_int_equal(t.tag, 0x7F61);
	assert_int_equal(t.total, b.len);
	assert_int_equal(tlv_find(t.value, t.len, 0x5F2E, &inner), 0);
	assert_int_equal(inner.len, 300);
	assert_memory_equal(inner.value, big, 300);
	assert_int_equal(tlv_find(t.value, t.len, 0x5F1F, &inner), -ENOENT);
	/* truncated and malformed input */
	assert_int_equal(tlv_parse(b.p, b.len - 1, &t), -EINVAL);
	assert_int_equal(tlv_parse((const uint8_t *)"\x61\x80", 2, &t), -EINVAL);
	assert_int_equal(tlv_parse((const uint8_t *)"\x61\x85\x01\x01\x01\x01\x01", 7, &t),
			 -EINVAL);
	assert_int_equal(tlv_parse((const uint8_t *)"\x5F", 1, &t), -EINVAL);
	assert_int_equal(tlv_parse((const uint8_t *)"\x5F\x9F\x9F\x01\x00", 5, &t), -EINVAL);
	tlv_buf_free(&b);
}

/* ICAO Doc 9303 part 5, the TD1 specimen (Anna Maria Eriksson, Utopia). */
static void
test_mrz_icao_specimen(void **state)
{
	char mrz[3][31];
	struct mrz_fields f = { "I<",	  "UTO", "D23145890", "",	  "740812",    'F',
				"120415", "UTO", "",	      "ERIKSSON", "ANNA<MARIA" };

	mrz_td1(&f, mrz);
	assert_string_equal(mrz[0], "I<UTOD231458907<<<<<<<<<<<<<<<");
	assert_string_equal(mrz[1], "7408122F1204159UTO<<<<<<<<<<<6");
	assert_string_equal(mrz[2], "ERIKSSON<<ANNA<MARIA<<<<<<<<<<");
	assert_int_equal(mrz_check_digit("D23145890", 9), '7');
	assert_int_equal(mrz_check_digit("<<<<<<", 6), '0');
}

/* A 16-digit NIK does not fit the 9-character field: ICAO's long-number rule. */
static void
test_mrz_long_number(void **state)
{
	char mrz[3][31];
	struct mrz_fields f = { "I<",  "IDN", "3602041211870001", "", "871112", 'M', "<<<<<<",
				"IDN", "",    "BUDI<SANTOSO",	  "" };

	mrz_td1(&f, mrz);
	char cd = mrz_check_digit("3602041211870001", 16);
	char want[31];
	snprintf(want, sizeof(want), "I<IDN360204121<1870001%c<<<<<<<", cd);
	assert_string_equal(mrz[0], want);
	assert_memory_equal(mrz[1], "8711120M<<<<<<0IDN", 18); /* 8*7+7*3+1+1*7+1*3+2 = 90 */
	assert_string_equal(mrz[2], "BUDI<SANTOSO<<<<<<<<<<<<<<<<<<");
}

static void
test_profile(void **state)
{
	struct card_profile p;
	char path[128];
	FILE *f;

	assert_string_equal(prof.name, "icao-lds");
	assert_int_equal(prof.aid_len, 7);
	assert_int_equal(prof.n_files, 9);
	assert_int_equal(prof.files[8].fid, 0x011D);
	snprintf(path, sizeof(path), "%s/bad.conf", pki);
	f = fopen(path, "w");
	fputs("profile = { aid = \"A0\"; serial_apdu = \"FFCA000000\"; lock_apdu = \"8010\";\n"
	      " files = ( { name = \"X\"; fid = \"0101\"; builder = \"dg99\"; } ); };\n",
	      f);
	fclose(f);
	char errs[512] = "";
	FILE *e = fmemopen(errs, sizeof(errs), "w");
	assert_int_equal(profile_load(path, e, &p), -EINVAL);
	fclose(e);
	assert_non_null(strstr(errs, "bad.conf:2: unknown builder"));
}

static struct signer *
signer(void)
{
	char key[128], cert[128], why[256];
	struct signer *s = NULL;

	snprintf(key, sizeof(key), "%s/ds.key", pki);
	snprintf(cert, sizeof(cert), "%s/ds.pem", pki);
	if (signer_load_pem(key, cert, &s, why, sizeof(why)) < 0)
		fail_msg("signer: %s", why);
	return s;
}

static void
test_key_permissions(void **state)
{
	char key[128], cert[128], why[256];
	struct signer *s = NULL;

	snprintf(key, sizeof(key), "%s/ds.key", pki);
	snprintf(cert, sizeof(cert), "%s/ds.pem", pki);
	chmod(key, 0640);
	assert_int_equal(signer_load_pem(key, cert, &s, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "readable by group or others (mode 640); chmod 600 it"));
	chmod(key, 0600);
	/* a certificate of another key is refused */
	snprintf(cert, sizeof(cert), "%s/csca.pem", pki);
	assert_int_equal(signer_load_pem(key, cert, &s, why, sizeof(why)), -EINVAL);
}

static const struct lds_file *
file_named(const struct lds_image *img, const char *name)
{
	for (int i = 0; i < img->n; i++)
		if (img->files[i].data && strcmp(img->files[i].pf->name, name) == 0)
			return &img->files[i];
	return NULL;
}

static int
collect_dgs(const struct lds_image *img, struct sod_dg *dgs)
{
	int n = 0;

	for (int i = 0; i < img->n; i++)
		if (img->files[i].data && img->files[i].pf->dg > 0)
			dgs[n++] = (struct sod_dg){ img->files[i].pf->dg, img->files[i].data,
						    img->files[i].len };
	return n;
}

static void
test_build_and_verify(void **state)
{
	struct signer *s = signer();
	struct lds_image img;
	struct lds_params par = { "DISDUKCAPIL KABUPATEN CONTOH" };
	struct sod_dg dgs[16];
	char why[256], csca[128];
	struct tlv t, v;

	assert_int_equal(lds_build(&prof, job, &par, s, &img, why, sizeof(why)), 0);
	/* DG3 is optional and the example has no fingerprints */
	assert_null(file_named(&img, "DG3"));
	const struct lds_file *dg1 = file_named(&img, "DG1"), *com = file_named(&img, "EF.COM");
	assert_non_null(dg1);
	assert_int_equal(tlv_parse(dg1->data, dg1->len, &t), 0);
	assert_int_equal(t.tag, 0x61);
	assert_int_equal(tlv_find(t.value, t.len, 0x5F1F, &v), 0);
	assert_int_equal(v.len, 90);
	const char *nik = job->nik;
	assert_memory_equal(v.value, "I<IDN", 5);
	assert_memory_equal(v.value + 5, nik, 9);
	assert_memory_equal(v.value + 15, nik + 9, 7);
	/* EF.COM lists exactly the data groups written */
	assert_int_equal(tlv_parse(com->data, com->len, &t), 0);
	assert_int_equal(tlv_find(t.value, t.len, 0x5C, &v), 0);
	assert_int_equal(v.len, 6);
	assert_memory_equal(v.value, "\x61\x75\x67\x6B\x6C\x6D", 6);
	/* DG12 carries the issuing authority */
	const struct lds_file *dg12 = file_named(&img, "DG12");
	assert_non_null(memmem(dg12->data, dg12->len, "DISDUKCAPIL KABUPATEN CONTOH", 28));
	/* EF.SOD verifies in-process against the CSCA */
	snprintf(csca, sizeof(csca), "%s/csca.pem", pki);
	X509_STORE *store = sod_load_csca(csca, why, sizeof(why));
	assert_non_null(store);
	const struct lds_file *sod = file_named(&img, "EF.SOD");
	int n = collect_dgs(&img, dgs);
	assert_int_equal(n, 6);
	if (sod_verify(sod->data, sod->len, store, dgs, n, why, sizeof(why)) != 0)
		fail_msg("sod_verify: %s", why);
	/* one changed byte in DG2 is caught */
	uint8_t saved = img.files[2].data[100];
	img.files[2].data[100] ^= 1;
	assert_int_equal(sod_verify(sod->data, sod->len, store, dgs, n, why, sizeof(why)),
			 -EBADMSG);
	assert_string_equal(why, "DG2 does not match its hash in EF.SOD");
	img.files[2].data[100] = saved;
	/* a data group missing from what was read is caught */
	assert_int_equal(sod_verify(sod->data, sod->len, store, dgs, n - 1, why, sizeof(why)),
			 -EBADMSG);
	assert_non_null(strstr(why, "EF.SOD lists 6 data groups, 5 were read"));
	/* a changed signature byte is caught */
	img.files[8].data[img.files[8].len - 5] ^= 0x40;
	assert_int_equal(sod_verify(sod->data, sod->len, store, dgs, n, why, sizeof(why)),
			 -EBADMSG);
	X509_STORE_free(store);
	/* another CSCA does not vouch for this signer */
	snprintf(csca, sizeof(csca), "%s/ds.pem", pki);
	store = sod_load_csca(csca, why, sizeof(why));
	img.files[8].data[img.files[8].len - 5] ^= 0x40;
	assert_int_equal(sod_verify(sod->data, sod->len, store, dgs, n, why, sizeof(why)),
			 -EBADMSG);
	assert_non_null(strstr(why, "does not verify against the CSCA"));
	X509_STORE_free(store);
	lds_image_free(&img);
	signer_free(s);
}

/* The image's file that holds tag inside, its value; NULL when absent. */
static const uint8_t *
find_value(const struct lds_image *img, const char *file, uint32_t tag, size_t *len)
{
	const struct lds_file *f = file_named(img, file);
	struct tlv t;

	for (size_t i = 0; f && i + 2 < f->len; i++)
		if (tlv_parse(f->data + i, f->len - i, &t) == 0 && t.tag == tag) {
			*len = t.len;
			return t.value;
		}
	return NULL;
}

/* An 8 KB chip (the SAM profile): the signature becomes a 1-bit PNG, the
 * photo is re-encoded to fit, everything with EF.SOD fits; a chip too small
 * for the photo at the floor is refused with the reason. */
static void
test_fit_to_chip(void **state)
{
	struct card_profile sp;
	struct lds_image img;
	struct lds_params par = { "" };
	struct signer *s = signer();
	char why[300];
	size_t total = 0, n;

	assert_int_equal(profile_load("etc/profiles/sam-ektp.conf", stderr, &sp), 0);
	assert_int_equal(sp.capacity, 8192);
	assert_int_equal(lds_build(&sp, job, &par, s, &img, why, sizeof(why)), 0);
	for (int i = 0; i < img.n; i++)
		total += img.files[i].len;
	print_message("8 KB chip: %zu bytes in all, EF.SOD %zu, DG2 %zu (quality %d), DG7 %zu\n",
		      total, file_named(&img, "EF.SOD")->len, file_named(&img, "DG2")->len,
		      img.photo_quality, file_named(&img, "DG7")->len);
	assert_true(total <= sp.capacity);
	assert_true(file_named(&img, "EF.SOD")->len <= sp.sod_reserve);
	assert_true(img.photo_quality >= sp.photo_min_quality && img.photo_quality <= 90);
	const uint8_t *png = find_value(&img, "DG7", 0x5F43, &n);
	assert_non_null(png);
	assert_true(n < job->signature.len);
	assert_memory_equal(png, "\x89PNG", 4);
	assert_int_equal(png[24], 1); /* IHDR bit depth: 1-bit */
	assert_int_equal(png[25], 0); /* grayscale */
	const uint8_t *face = find_value(&img, "DG2", 0x5F2E, &n);
	assert_non_null(face);
	assert_memory_equal(face + 46, "\xFF\xD8", 2); /* a JPEG after the 19794-5 header */
	assert_true((face[38] << 8 | face[39]) <= (int)sp.photo_max_height); /* its height */
	lds_image_free(&img);
	/* the same job on the open profile: the photo as received */
	assert_int_equal(lds_build(&prof, job, &par, s, &img, why, sizeof(why)), 0);
	face = find_value(&img, "DG2", 0x5F2E, &n);
	assert_int_equal(n, 46 + job->photo.len);
	assert_memory_equal(face + 46, job->photo.data, job->photo.len);
	assert_int_equal(img.photo_quality, 0);
	lds_image_free(&img);
	/* a chip too small for the photo even at the floor: refused, with the reason */
	sp.capacity = 3000;
	assert_int_equal(lds_check_sizes(&sp, job, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "photo: it does not fit the chip's 3000 bytes even at JPEG "
				    "quality 40"));
	signer_free(s);
}

static void
test_sw_and_atr(void **state)
{
	static const uint8_t ext[] = { 0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0x00, 0x00, 0x40, 0x37 };
	static const uint8_t shrt[] = {
		0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0x00, 0x00, 0x00, 0x77
	};
	static const uint8_t nohist[] = { 0x3B, 0x80, 0x80, 0x01, 0x01 };

	assert_string_equal(sc_sw_name(0x6A82), "6A82 file not found");
	assert_string_equal(sc_sw_name(0x6986), "6986 command not allowed");
	assert_string_equal(sc_sw_name(0x63C2), "63xx warning");
	assert_string_equal(sc_sw_name(0x1234), "unknown status word");
	assert_int_equal(sc_atr_extended(ext, sizeof(ext)), 1);
	assert_int_equal(sc_atr_extended(shrt, sizeof(shrt)), 0);
	assert_int_equal(sc_atr_extended(nohist, sizeof(nohist)), 0);
	assert_int_equal(sc_atr_extended(ext, 6), 0); /* truncated */
	assert_int_equal(sc_atr_extended(ext, 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlv),
		cmocka_unit_test(test_mrz_icao_specimen),
		cmocka_unit_test(test_mrz_long_number),
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_key_permissions),
		cmocka_unit_test(test_build_and_verify),
		cmocka_unit_test(test_fit_to_chip),
		cmocka_unit_test(test_sw_and_atr),
	};
	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
