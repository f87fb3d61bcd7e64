/*
 * test_card.c - the card protocol (smartcard/sc_card.c) in-process, over the
 * in-memory transport (smartcard/sc_mem.c) and the test card's logic
 * (tests/fixtures/cardcore.c), without pcscd: personalise and read back,
 * and each way a card or reader fails, as a named outcome.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smartcard/lds.h"
#include "smartcard/profile.h"
#include "smartcard/sc.h"
#include "smartcard/sc_mem.h"
#include "smartcard/sod.h"
#include "tests/fixtures/cardcore.h"
#include "tests/fixtures/samcore.h"
#include "testjob.h"

#define READER "mem reader 00"

static char pki[64];
static struct card_profile prof, sprof;
static struct lds_image img, simg; /* simg: the SAM profile's, EF.SOD left to the SAM */
static X509_STORE *csca;

static size_t
card_fn(void *card, const uint8_t *cmd, size_t n, uint8_t *resp)
{
	return card_apdu(card, cmd, n, resp);
}

static int
setup_all(void **state)
{
	char cmd[256], key[128], cert[128], why[256];
	struct signer *s = NULL;

	strcpy(pki, "/tmp/cetak-pki.XXXXXX");
	assert_non_null(mkdtemp(pki));
	snprintf(cmd, sizeof(cmd), "scripts/make-test-pki %s >/dev/null 2>&1", pki);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(profile_load("etc/profiles/icao-lds.conf", stderr, &prof), 0);
	struct job *job = test_job_file("etc/examples/EXAMPLE-000001.json");
	assert_non_null(job);
	snprintf(key, sizeof(key), "%s/ds.key", pki);
	snprintf(cert, sizeof(cert), "%s/ds.pem", pki);
	assert_int_equal(signer_load_pem(key, cert, &s, why, sizeof(why)), 0);
	struct lds_params par = { "DISDUKCAPIL KABUPATEN CONTOH" };
	assert_int_equal(lds_build(&prof, job, &par, s, &img, why, sizeof(why)), 0);
	assert_int_equal(profile_load("etc/profiles/sam-ektp.conf", stderr, &sprof), 0);
	assert_true(sprof.sam);
	assert_int_equal(lds_build(&sprof, job, &par, NULL, &simg, why, sizeof(why)), 0);
	snprintf(cert, sizeof(cert), "%s/csca.pem", pki);
	csca = sod_load_csca(cert, why, sizeof(why));
	assert_non_null(csca);
	signer_free(s);
	job_free(job);
	return 0;
}

static int
teardown_all(void **state)
{
	char cmd[128];

	lds_image_free(&img);
	lds_image_free(&simg);
	X509_STORE_free(csca);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", pki);
	return system(cmd);
}

struct bench {
	struct sc_mem *m;
	struct sc_ctx *ctx;
	struct card card;
};

static struct bench *
bench(size_t max_apdu)
{
	static const uint8_t serial[8] = { 0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x01 };
	struct bench *b = calloc(1, sizeof(*b));

	assert_int_equal(sc_mem_new(&b->m), 0);
	assert_int_equal(sc_mem_add_reader(b->m, READER), 0);
	assert_int_equal(sc_ctx_new_mem(b->m, &b->ctx), 0);
	uint8_t atr[16];
	card_blank(&b->card, serial, max_apdu);
	sc_mem_insert(b->m, READER, card_fn, &b->card, atr, card_atr(&b->card, atr), false);
	return b;
}

static void
bench_free(struct bench *b)
{
	sc_ctx_free(b->ctx);
	sc_mem_free(b->m);
	card_free(&b->card);
	free(b);
}

static enum sc_outcome
personalise(struct bench *b, struct sc_result *res)
{
	return sc_personalise(b->ctx, "mem reader*", 500, &prof, &img, csca, NULL, res);
}

static void
test_personalise_and_read(void **state)
{
	struct bench *b = bench(4096);
	struct sc_result res;
	struct sc_readout out;

	assert_int_equal(personalise(b, &res), SC_OK);
	assert_string_equal(res.serial, "0411223344556601");
	assert_true(b->card.dfs[1].active); /* ACTIVATE FILE ended the personalisation */
	assert_true(res.extended);	    /* the ATR announced it: large writes */
	assert_true(res.apdus > 0);
	/* read back through the same transport: EF.SOD verifies */
	assert_int_equal(sc_read_card(b->ctx, "mem reader*", 500, &prof, csca, NULL, &out), SC_OK);
	assert_true(out.verified);
	sc_readout_free(&out);
	/* a card already personalised is never written again */
	assert_int_equal(personalise(b, &res), SC_NOT_BLANK);
	bench_free(b);
}

/* What an ISO card was sent: CLA and INS of each command. */
static uint8_t sent[4096][2];
static unsigned n_sent;

static size_t
iso_fn(void *card, const uint8_t *cmd, size_t n, uint8_t *resp)
{
	if (n_sent < 4096)
		sent[n_sent][0] = cmd[0], sent[n_sent++][1] = cmd[1];
	return card_apdu(card, cmd, n, resp);
}

/*
 * A contact card that implements only ISO/IEC 7816-4 and 7816-9, without
 * extended length: an empty MF with EF.GDO. The serial comes from EF.GDO,
 * the application is created, the files written in short APDUs, and
 * ACTIVATE FILE ends it; no reader pseudo-command (CLA FF) and no
 * proprietary one (CLA 80) is sent; afterwards nothing can be written.
 */
static void
test_iso_card(void **state)
{
	static const uint8_t serial[8] = { 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0 };
	struct bench *b = calloc(1, sizeof(*b));
	struct sc_result res;
	struct sc_readout out;
	uint8_t atr[20], r[300];

	assert_int_equal(sc_mem_new(&b->m), 0);
	assert_int_equal(sc_mem_add_reader(b->m, READER), 0);
	assert_int_equal(sc_ctx_new_mem(b->m, &b->ctx), 0);
	card_blank(&b->card, serial, 255);
	card_make_iso(&b->card);
	size_t alen = card_atr(&b->card, atr);
	assert_false(sc_atr_contactless(atr, alen));
	assert_false(sc_atr_extended(atr, alen));
	sc_mem_insert(b->m, READER, iso_fn, &b->card, atr, alen, false);
	n_sent = 0;
	if (personalise(b, &res) != SC_OK)
		fail_msg("the ISO card: %s", res.message);
	assert_string_equal(res.serial, "123456789ABCDEF0"); /* EF.GDO, DO 5A */
	assert_false(res.extended);
	assert_true(res.chunk <= 255);
	assert_int_equal(b->card.n_dfs, 2); /* the LDS application, created */
	assert_true(b->card.dfs[1].active);
	for (unsigned i = 0; i < n_sent; i++)
		if (sent[i][0] != 0x00)
			fail_msg(
				"command %u has CLA %02X (INS %02X): not ISO 7816-4 inter-industry",
				i, sent[i][0], sent[i][1]);
	assert_int_equal(sc_read_card(b->ctx, "mem reader*", 500, &prof, csca, NULL, &out), SC_OK);
	assert_true(out.verified);
	assert_string_equal(out.result.serial, "123456789ABCDEF0");
	sc_readout_free(&out);
	assert_int_equal(personalise(b, &res), SC_NOT_BLANK);
	/* the activated application takes no write, whoever asks */
	static const uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0,
				       0x00, 0x00, 0x02, 0x47, 0x10, 0x01 };
	static const uint8_t selef[] = { 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x01 };
	static const uint8_t upd[] = { 0x00, 0xD6, 0x00, 0x00, 0x01, 0x00 };
	static const uint8_t mk[] = { 0x00, 0xE0, 0x00, 0x00, 0x0B, 0x62, 0x09, 0x82, 0x01,
				      0x01, 0x83, 0x02, 0x01, 0x99, 0x80, 0x01, 0x10 };
	size_t n = card_apdu(&b->card, sel, sizeof(sel), r);
	assert_int_equal(r[n - 2] << 8 | r[n - 1], 0x9000);
	n = card_apdu(&b->card, selef, sizeof(selef), r);
	assert_int_equal(r[n - 2] << 8 | r[n - 1], 0x9000);
	n = card_apdu(&b->card, upd, sizeof(upd), r);
	assert_int_equal(r[n - 2] << 8 | r[n - 1], 0x6982);
	n = card_apdu(&b->card, mk, sizeof(mk), r);
	assert_int_equal(r[n - 2] << 8 | r[n - 1], 0x6982);
	/* the reader pseudo-command and the old lock are not ISO: refused */
	static const uint8_t ffca[] = { 0xFF, 0xCA, 0x00, 0x00, 0x00 };
	static const uint8_t lock[] = { 0x80, 0x10, 0x00, 0x00 };
	n = card_apdu(&b->card, ffca, sizeof(ffca), r);
	assert_int_equal(r[n - 2] << 8 | r[n - 1], 0x6E00);
	n = card_apdu(&b->card, lock, sizeof(lock), r);
	assert_int_equal(r[n - 2] << 8 | r[n - 1], 0x6E00);
	bench_free(b);
}

/* A chip of 8 KiB refuses the files of a 20 KB photo: the write fails, named. */
static void
test_capacity(void **state)
{
	struct bench *b = bench(4096);
	struct sc_result res;

	b->card.capacity = 8192;
	assert_int_equal(personalise(b, &res), SC_WRITE_FAILED);
	assert_int_equal(res.sw, 0x6A84);
	bench_free(b);
}

static void
test_short_apdus(void **state)
{
	struct bench *b = bench(255);
	struct sc_result res;

	/* a card of short APDUs only (its ATR says so): short writes */
	assert_int_equal(personalise(b, &res), SC_OK);
	assert_true(res.chunk <= 255);
	bench_free(b);
}

static void
test_no_card(void **state)
{
	struct bench *b = bench(4096);
	struct sc_result res;

	sc_mem_insert(b->m, READER, NULL, NULL, NULL, 0, false);
	assert_int_equal(personalise(b, &res), SC_CARD_ABSENT);
	assert_non_null(strstr(res.message, "no card within 500 ms"));
	/* a card without a chip: mute */
	sc_mem_insert(b->m, READER, card_fn, &b->card, NULL, 0, true);
	assert_int_equal(personalise(b, &res), SC_CARD_MUTE);
	/* no reader matches */
	assert_int_equal(sc_personalise(b->ctx, "other*", 100, &prof, &img, csca, NULL, &res),
			 SC_NO_READER);
	bench_free(b);
}

static void
test_faults(void **state)
{
	struct sc_result res;
	struct bench *b;

	/* the card pulled mid-write, after its serial was read */
	b = bench(4096);
	sc_mem_fault(b->m, READER, 6, SC_CARD_REMOVED, 0);
	assert_int_equal(personalise(b, &res), SC_CARD_REMOVED);
	assert_string_equal(res.serial, "0411223344556601");
	assert_false(b->card.locked);
	bench_free(b);
	/* a chip that stops answering */
	b = bench(4096);
	sc_mem_fault(b->m, READER, 4, SC_CARD_MUTE, 0);
	assert_int_equal(personalise(b, &res), SC_CARD_MUTE);
	bench_free(b);
	/* the reader (or pcscd) gone */
	b = bench(4096);
	sc_mem_fault(b->m, READER, 3, SC_READER_LOST, 0);
	assert_int_equal(personalise(b, &res), SC_READER_LOST);
	bench_free(b);
	/* one hiccup of the link on a read is retried, and the card is done */
	b = bench(4096);
	sc_mem_fault(b->m, READER, 0, SC_ERROR, 0);
	assert_int_equal(personalise(b, &res), SC_OK);
	bench_free(b);
}

static void
test_refusals(void **state)
{
	struct sc_result res;
	struct bench *b = bench(4096);

	/* a card of another kind: no LDS application */
	b->card.n_dfs = 1;
	assert_int_equal(personalise(b, &res), SC_WRONG_CARD);
	bench_free(b);
	/* a write refused with a status word: named with the file, never retried */
	b = bench(4096);
	b->card.n_efs = MAX_FILES; /* the card is full: CREATE FILE answers 6A84 */
	unsigned before = sc_mem_apdus(b->m, READER);
	assert_int_equal(personalise(b, &res), SC_WRITE_FAILED);
	assert_int_equal(res.sw, 0x6A84);
	assert_non_null(strstr(res.message, "6A84"));
	assert_true(sc_mem_apdus(b->m, READER) - before < 10);
	bench_free(b); /* the entries past EF.GDO hold no data: freeing them is a no-op */
}

/* ---- the SAM profile ---- */

#define SAMREADER "mem sam 00"

/* Every byte that went over the card reader's line, both ways: a sniffer. */
static uint8_t wire[1 << 20];
static size_t wire_n;

static size_t
sniffed_fn(void *card, const uint8_t *cmd, size_t n, uint8_t *resp)
{
	size_t rn = card_apdu(card, cmd, n, resp);

	if (wire_n + n + rn < sizeof(wire)) {
		memcpy(wire + wire_n, cmd, n);
		memcpy(wire + wire_n + n, resp, rn);
		wire_n += n + rn;
	}
	return rn;
}

static size_t
sam_fn(void *sam, const uint8_t *cmd, size_t n, uint8_t *resp)
{
	return sam_apdu(sam, cmd, n, resp);
}

struct sambench {
	struct bench b;
	struct sam sam;
	struct sc_sam cfg;
};

/* A secured ISO blank of master key 11.., the SAM of that key and district 3273. */
static struct sambench *
sambench(void)
{
	static const uint8_t serial[8] = { 0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x02 };
	struct sambench *sb = calloc(1, sizeof(*sb));
	char key[128], cert[128];
	uint8_t atr[20];

	assert_int_equal(sc_mem_new(&sb->b.m), 0);
	assert_int_equal(sc_mem_add_reader(sb->b.m, READER), 0);
	assert_int_equal(sc_mem_add_reader(sb->b.m, SAMREADER), 0);
	assert_int_equal(sc_ctx_new_mem(sb->b.m, &sb->b.ctx), 0);
	card_blank(&sb->b.card, serial, 4096);
	card_make_iso(&sb->b.card);
	sb->b.card.secured = true;
	memset(sb->b.card.master, 0x11, SM_KEY);
	sc_mem_insert(sb->b.m, READER, sniffed_fn, &sb->b.card, atr, card_atr(&sb->b.card, atr),
		      false);
	memset(sb->sam.master, 0x11, SM_KEY);
	strcpy(sb->sam.district, "3273");
	strcpy(sb->sam.pin, "2468");
	sb->sam.pin_tries = 3;
	sb->sam.budget = 5;
	snprintf(key, sizeof(key), "%s/ds.key", pki);
	snprintf(cert, sizeof(cert), "%s/ds.pem", pki);
	assert_int_equal(sam_load(&sb->sam, key, cert), 0);
	sc_mem_insert(sb->b.m, SAMREADER, sam_fn, &sb->sam, atr, sam_atr(atr), false);
	snprintf(sb->cfg.reader, sizeof(sb->cfg.reader), "mem sam*");
	strcpy(sb->cfg.pin, "2468");
	strcpy(sb->cfg.district, "3273");
	sb->cfg.timeout_ms = 200;
	wire_n = 0;
	return sb;
}

static void
sambench_free(struct sambench *sb)
{
	sam_free(&sb->sam);
	sc_ctx_free(sb->b.ctx);
	sc_mem_free(sb->b.m);
	card_free(&sb->b.card);
	free(sb);
}

static enum sc_outcome
sam_personalise(struct sambench *sb, const struct sc_sam *cfg, struct sc_result *res)
{
	return sc_personalise(sb->b.ctx, "mem reader*", 500, &sprof, &simg, csca, cfg, res);
}

/* Is a 16-byte slice from the middle of the image's file name on the wire? */
static bool
on_wire(const struct lds_image *im, const char *name)
{
	for (int i = 0; i < im->n; i++)
		if (im->files[i].data && strcmp(im->files[i].pf->name, name) == 0)
			return memmem(wire, wire_n, im->files[i].data + im->files[i].len / 2, 16) !=
			       NULL;
	fail_msg("no %s in the image", name);
	return false;
}

static void
test_sam_personalise_and_read(void **state)
{
	struct sambench *sb = sambench();
	struct sc_result res;
	struct sc_readout out;

	if (sam_personalise(sb, &sb->cfg, &res) != SC_OK)
		fail_msg("the SAM profile: %s", res.message);
	assert_non_null(strstr(res.message, "through the SAM"));
	assert_true(sb->b.card.dfs[1].active);
	assert_int_equal(sb->sam.signatures, 1); /* EF.SOD signed in the SAM */
	assert_true(res.sam_apdus >= 6);
	/* the sniffer saw no name, no NIK, no photo, no signature in clear */
	assert_false(on_wire(&simg, "DG11"));
	assert_false(on_wire(&simg, "DG13"));
	assert_false(on_wire(&simg, "DG2"));
	assert_false(on_wire(&simg, "DG7"));
	/* read through the SAM: verified */
	assert_int_equal(sc_read_card(sb->b.ctx, "mem reader*", 500, &sprof, csca, &sb->cfg, &out),
			 SC_OK);
	assert_true(out.verified);
	char name[64];
	sc_readout_text(&out, "DG11", 0x5F0E, name, sizeof(name));
	assert_true(name[0] != '\0');
	sc_readout_free(&out);
	/* without the SAM: nothing but the serial */
	assert_int_equal(sc_read_card(sb->b.ctx, "mem reader*", 500, &sprof, csca, NULL, &out),
			 SC_AUTH_REFUSED);
	assert_non_null(strstr(out.result.message, "only through its SAM"));
	sc_readout_free(&out);
	/* a second personalisation of the issued card: refused, nothing written */
	assert_int_equal(sam_personalise(sb, &sb->cfg, &res), SC_NOT_BLANK);
	sambench_free(sb);
}

/* The control for the sniffer: the ICAO profile's plain APDUs show all. */
static void
test_sniffer_sees_plain_cards(void **state)
{
	struct bench *b = bench(4096);
	struct sc_result res;
	uint8_t atr[20];

	sc_mem_insert(b->m, READER, sniffed_fn, &b->card, atr, card_atr(&b->card, atr), false);
	wire_n = 0;
	assert_int_equal(personalise(b, &res), SC_OK);
	assert_true(on_wire(&img, "DG11"));
	assert_true(on_wire(&img, "DG13"));
	assert_true(on_wire(&img, "DG2"));
	bench_free(b);
}

/* A stolen blank written without the SAM: the card refuses, nothing is written. */
static void
test_sam_stolen_blank(void **state)
{
	struct sambench *sb = sambench();
	struct sc_result res;

	assert_int_equal(personalise(&sb->b, &res), SC_WRONG_CARD); /* the ICAO profile */
	assert_int_equal(res.sw, 0x6982);
	assert_int_equal(sb->b.card.n_dfs, 1); /* no application was created */
	assert_int_equal(sb->b.card.n_efs, 1); /* EF.GDO only */
	/* the SAM profile without its SAM configured: the card is not touched */
	unsigned before = sc_mem_apdus(sb->b.m, READER);
	assert_int_equal(sam_personalise(sb, NULL, &res), SC_SAM_FAILED);
	assert_non_null(strstr(res.message, "none is configured"));
	assert_int_equal(sc_mem_apdus(sb->b.m, READER), before);
	sambench_free(sb);
}

static void
test_sam_failures(void **state)
{
	struct sambench *sb;
	struct sc_result res;
	struct sc_sam cfg;

	/* a blank of another district: the card refuses the SAM, one try spent */
	sb = sambench();
	memset(sb->b.card.master, 0x22, SM_KEY);
	assert_int_equal(sam_personalise(sb, &sb->cfg, &res), SC_AUTH_REFUSED);
	assert_int_equal(res.sw, 0x63C0 | (CARD_AUTH_TRIES - 1));
	assert_non_null(strstr(res.message, "another district"));
	assert_int_equal(sb->b.card.n_dfs, 1);
	sambench_free(sb);
	/* a counterfeit blank: it takes anything and proves nothing */
	sb = sambench();
	sb->b.card.counterfeit = true;
	assert_int_equal(sam_personalise(sb, &sb->cfg, &res), SC_COUNTERFEIT);
	assert_non_null(strstr(res.message, "counterfeit"));
	assert_int_equal(sb->sam.budget, 4);
	assert_int_equal(sb->b.card.n_dfs, 1);
	sambench_free(sb);
	/* a SAM whose retry counter is exhausted: named, the card untouched */
	sb = sambench();
	sb->sam.budget = 0;
	assert_int_equal(sam_personalise(sb, &sb->cfg, &res), SC_SAM_FAILED);
	assert_non_null(strstr(res.message, "blocked"));
	assert_int_equal(sb->b.card.n_dfs, 1);
	sambench_free(sb);
	/* a wrong PIN, a SAM of another district, no SAM: before any card */
	sb = sambench();
	cfg = sb->cfg;
	strcpy(cfg.pin, "1111");
	assert_int_equal(sam_personalise(sb, &cfg, &res), SC_SAM_FAILED);
	assert_non_null(strstr(res.message, "refused its PIN (2 tries left)"));
	assert_int_equal(sc_sam_check(sb->b.ctx, &sprof, &cfg, &res), SC_SAM_FAILED);
	cfg = sb->cfg;
	strcpy(cfg.district, "3204");
	assert_int_equal(sam_personalise(sb, &cfg, &res), SC_SAM_FAILED);
	assert_non_null(strstr(res.message, "belongs to district 3273, this line to 3204"));
	sc_mem_insert(sb->b.m, SAMREADER, NULL, NULL, NULL, 0, false);
	assert_int_equal(sam_personalise(sb, &sb->cfg, &res), SC_SAM_FAILED);
	assert_non_null(strstr(res.message, "no SAM answers"));
	assert_int_equal(sc_mem_apdus(sb->b.m, READER), 0);
	assert_int_equal(sc_sam_check(sb->b.ctx, &sprof, &sb->cfg, &res), SC_SAM_FAILED);
	sambench_free(sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_personalise_and_read),
		cmocka_unit_test(test_short_apdus),
		cmocka_unit_test(test_iso_card),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_no_card),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_sam_personalise_and_read),
		cmocka_unit_test(test_sniffer_sees_plain_cards),
		cmocka_unit_test(test_sam_stolen_blank),
		cmocka_unit_test(test_sam_failures),
	};
	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
