/*
 * test_ledger.c - the stock rules and invariant, and the audit chain: a clean
 * export verifies; every single modified byte, deleted, inserted or moved
 * record and every truncation of an export is caught (generated, many of
 * each).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger/alerts.h"
#include "ledger/audit.h"
#include "ledger/ledger.h"
#include "ledger/stock.h"
#include "ledger/report.h"
#include "smartcard/sod.h"

static char dir[64];
static struct signer *station;
static X509 *cert;
static char *export_buf;
static size_t export_len;

static int
rec(struct ledger *l, const char *kind, const char *line, long count, const char *extra_key,
    const char *extra)
{
	struct ledger_event e = { .kind = kind, .line = line, .count = count, .actor = "test" };
	char why[256];

	if (extra_key && !strcmp(extra_key, "lot"))
		e.lot = extra;
	if (extra_key && !strcmp(extra_key, "chip"))
		e.chip = extra;
	if (extra_key && !strcmp(extra_key, "cause"))
		e.cause = extra;
	if (extra_key && !strcmp(extra_key, "doc"))
		e.doc = extra;
	if (extra_key && !strcmp(extra_key, "note"))
		e.note = extra;
	return ledger_record(l, &e, 1795000000, NULL, why, sizeof(why));
}

static int
setup(void **state)
{
	char cmd[160], key[128], crt[128], why[256];

	strcpy(dir, "/tmp/cetak-ledger.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "scripts/make-test-pki %s/pki >/dev/null 2>&1", dir);
	assert_int_equal(system(cmd), 0);
	snprintf(key, sizeof(key), "%s/pki/ds.key", dir);
	snprintf(crt, sizeof(crt), "%s/pki/ds.pem", dir);
	assert_int_equal(signer_load_pem(key, crt, &station, why, sizeof(why)), 0);
	cert = signer_cert(station);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	signer_free(station);
	free(export_buf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* Reopened, the ledger's running balance is the one it had when closed. */
static void
assert_reopens_same(const char *path, const struct ledger_balance *b)
{
	struct ledger *l;
	struct ledger_balance again;

	assert_int_equal(ledger_open(path, station, 10, &l), 0);
	ledger_balance(l, &again);
	assert_memory_equal(b, &again, sizeof(again));
	ledger_close(l);
}

static void
test_stock_rules(void **state)
{
	struct ledger *l;
	struct ledger_balance b;
	char path[128], why[256];

	snprintf(path, sizeof(path), "%s/rules.db", dir);
	assert_int_equal(ledger_open(path, station, 10, &l), 0);
	assert_int_equal(rec(l, "receive", NULL, 100, "lot", "LOT-2026-11"), 0);
	assert_int_equal(rec(l, "load", "A", 150, NULL, NULL), -EINVAL); /* more than the store */
	assert_int_equal(rec(l, "load", "A", 40, NULL, NULL), 0);
	assert_int_equal(rec(l, "issue", "A", 0, "chip", "04AA"), -EINVAL); /* nothing in flight */
	assert_int_equal(rec(l, "take", "A", 0, NULL, NULL), 0);
	assert_int_equal(rec(l, "take", "A", 0, NULL, NULL), -EINVAL);	/* one in flight per line */
	assert_int_equal(rec(l, "issue", "A", 0, NULL, NULL), -EINVAL); /* no chip serial */
	assert_int_equal(rec(l, "issue", "A", 0, "chip", "04AA"), 0);
	assert_int_equal(rec(l, "take", "A", 0, NULL, NULL), 0);
	assert_int_equal(rec(l, "spoil", "A", 0, "cause", "lost"), -EINVAL);
	assert_int_equal(rec(l, "spoil", "A", 0, "cause", "gagal_encode"), 0);
	assert_int_equal(rec(l, "destroy", NULL, 2, "doc", "BA-1"), -EINVAL); /* only 1 spoiled */
	assert_int_equal(rec(l, "destroy", NULL, 1, "doc", "BA-1"), 0);
	assert_int_equal(rec(l, "transfer", NULL, 10, NULL, NULL), -EINVAL); /* no document */
	assert_int_equal(rec(l, "transfer", NULL, 10, "doc", "ST-7"), 0);
	assert_int_equal(rec(l, "stocktake", NULL, 49, NULL, NULL),
			 -EINVAL); /* differs, no reason */
	assert_int_equal(rec(l, "stocktake", NULL, 49, "note", "one blank cracked in the box"), 0);
	/* a chip is issued once; a lot is received once; no count can overflow the books */
	assert_int_equal(rec(l, "take", "A", 0, NULL, NULL), 0);
	assert_int_equal(rec(l, "issue", "A", 0, "chip", "04AA"), -EINVAL);
	assert_int_equal(rec(l, "spoil", "A", 0, "cause", "gagal_cetak"), 0);
	assert_int_equal(rec(l, "receive", NULL, 100, "lot", "LOT-2026-11"), -EINVAL);
	assert_int_equal(rec(l, "receive", NULL, 9223372036854775807L, "lot", "LOT-BIG"), -EINVAL);
	assert_int_equal(rec(l, "receive", NULL, STOCK_MAX_COUNT + 1, "lot", "LOT-BIG"), -EINVAL);
	assert_int_equal(rec(l, "stocktake", NULL, 9223372036854775807L, "note", "x"), -EINVAL);
	assert_int_equal(rec(l, "ribbon-receive", NULL, -5, NULL, NULL), -EINVAL);
	assert_int_equal(ledger_balance(l, &b), 0);
	assert_int_equal(b.received, 100);
	assert_int_equal(b.store, 49);
	assert_int_equal(b.discrepancy, -1);
	assert_int_equal(b.issued, 1);
	assert_int_equal(b.spoiled, 2);
	assert_int_equal(b.by_cause[CAUSE_GAGAL_ENCODE], 1);
	assert_int_equal(b.destroyed, 1);
	assert_int_equal(b.transferred, 10);
	assert_int_equal(b.lines[0].hopper, 37);
	/* 100 - 1 = 49 + 37 + 0 + 1 + 2 + 10 */
	assert_int_equal(ledger_check(l, why, sizeof(why)), 0);
	ledger_close(l);
	assert_reopens_same(path, &b);
}

static int
ribbon_load(struct ledger *l, const char *line, const char *serial, long rated, const char *prev,
	    long prev_rated, long prev_prints)
{
	struct ledger_event e = { .kind = "ribbon-load",
				  .line = line,
				  .ribbon = serial,
				  .count = rated,
				  .prev = prev,
				  .prev_rated = prev_rated,
				  .prev_prints = prev_prints,
				  .actor = "test" };
	char why[256];

	return ledger_record(l, &e, 1795000000, NULL, why, sizeof(why));
}

/* Ribbons: prints counted per ribbon, yields recorded at replacement; the
 * printer's counter reconciled with the cards cetakd printed. */
static void
test_ribbons_and_counter(void **state)
{
	struct ledger *l;
	struct ledger_balance b;
	char path[128], why[256];

	snprintf(path, sizeof(path), "%s/ribbon.db", dir);
	assert_int_equal(ledger_open(path, station, 10, &l), 0);
	assert_int_equal(rec(l, "receive", NULL, 20, "lot", "LOT-R"), 0);
	assert_int_equal(rec(l, "load", "A", 20, NULL, NULL), 0);
	assert_int_equal(ribbon_load(l, "A", "RB-1", 250, NULL, 0, 0), -EINVAL); /* none in store */
	assert_int_equal(rec(l, "ribbon-receive", NULL, 2, NULL, NULL), 0);
	assert_int_equal(ribbon_load(l, "A", "RB-1", 250, NULL, 0, 0), 0);
	assert_int_equal(rec(l, "counter", "A", 1000, NULL, NULL), 0); /* the first reading */
	for (int i = 0; i < 3; i++) { /* 2 issued and 1 spoiled after printing started */
		assert_int_equal(rec(l, "take", "A", 0, NULL, NULL), 0);
		if (i < 2)
			assert_int_equal(rec(l, "issue", "A", 0, "chip", i ? "04BB02" : "04BB01"),
					 0);
		else
			assert_int_equal(rec(l, "spoil", "A", 1, "cause", "gagal_cetak"), 0);
	}
	/* a card spoiled at the encoder never reached the ribbon */
	assert_int_equal(rec(l, "take", "A", 0, NULL, NULL), 0);
	assert_int_equal(rec(l, "spoil", "A", 0, "cause", "no_chip"), 0);
	assert_int_equal(ledger_balance(l, &b), 0);
	assert_int_equal(b.lines[0].prints, 3);
	assert_int_equal(b.lines[0].ribbon_prints, 3);
	/* the printer agrees: 3 more cards */
	assert_int_equal(rec(l, "counter", "A", 1003, NULL, NULL), 0);
	ledger_balance(l, &b);
	assert_int_equal(b.lines[0].outside, 0);
	/* 5 more on the printer's count with no card from cetakd: outside */
	assert_int_equal(rec(l, "counter", "A", 1008, NULL, NULL), 0);
	ledger_balance(l, &b);
	assert_int_equal(b.lines[0].outside, 5);
	assert_int_equal(rec(l, "counter-ack", "A", 0, NULL, NULL), -EINVAL); /* says nothing */
	assert_int_equal(rec(l, "counter-ack", "A", 0, "note", "technician's test prints"), 0);
	ledger_balance(l, &b);
	assert_int_equal(b.lines[0].outside, 0);
	/* a counter that goes back (printer swapped) is a new baseline, not a discrepancy */
	assert_int_equal(rec(l, "counter", "A", 2, NULL, NULL), 0);
	ledger_balance(l, &b);
	assert_int_equal(b.lines[0].outside, 0);
	/* replacing the ribbon must name the old one with its true count */
	assert_int_equal(ribbon_load(l, "A", "RB-2", 250, "RB-1", 250, 2), -EINVAL);
	assert_int_equal(ribbon_load(l, "A", "RB-2", 250, "RB-X", 250, 3), -EINVAL);
	assert_int_equal(ribbon_load(l, "A", "RB-2", 250, "RB-1", 250, 3), 0);
	ledger_balance(l, &b);
	assert_string_equal(b.lines[0].ribbon, "RB-2");
	assert_int_equal(b.lines[0].ribbon_prints, 0);
	assert_int_equal(b.ribbons_store, 0);
	assert_int_equal(ledger_check(l, why, sizeof(why)), 0);
	/* the monthly report lists the yield of the ribbon taken out */
	struct report_query q = { .from = 1794900000, .to = 1795100000, .title = "range" };
	json_t *rep;
	assert_int_equal(ledger_report(l, &q, &rep), 0);
	json_t *rb = json_object_get(rep, "ribbons");
	assert_int_equal(json_array_size(rb), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rb, 1), "replaces")),
			    "RB-1");
	assert_int_equal(
		json_integer_value(json_object_get(json_array_get(rb, 1), "replaces_prints")), 3);
	json_decref(rep);
	ledger_close(l);
	assert_reopens_same(path, &b);
}

/* Verify a stored export with the certificate in its own header. */
static void
verify_fixture(const char *file, struct audit_result *r)
{
	FILE *g = fopen(file, "rb");
	assert_non_null(g);
	char *text = calloc(1, 65536);
	size_t n = fread(text, 1, 65535, g);
	fclose(g);
	json_error_t je;
	json_t *hdr = json_loadb(text, strcspn(text, "\n"), 0, &je);
	assert_non_null(hdr);
	BIO *b = BIO_new_mem_buf(json_string_value(json_object_get(hdr, "certificate")), -1);
	X509 *c = PEM_read_bio_X509(b, NULL, NULL, NULL);
	assert_non_null(c);
	assert_int_equal(audit_verify(text, n, c, r), 0);
	X509_free(c);
	BIO_free(b);
	json_decref(hdr);
	free(text);
}

/* A large export goes through the verifier's parallel parsing: the same
 * verdicts, and the first bad line named exactly. */

/*
 * Job records (format cetak-audit/2): their own fields from, to and event.
 * A chain that still holds format-1 job records (doc "from>to", count the
 * event number) from before an upgrade verifies, and so does an export
 * written in format 1 (tests/data/audit-v1.jsonl, made by the format-1
 * writer, with its station's certificate in the header).
 */
static void
test_job_records(void **state)
{
	struct ledger *l;
	struct audit_result r;
	char path[128], why[256], *buf = NULL;
	size_t len = 0;
	long long seq;
	FILE *f;

	snprintf(path, sizeof(path), "%s/jobs.db", dir);
	assert_int_equal(ledger_open(path, station, 50, &l), 0);
	/* an old record, as format 1 wrote it */
	struct ledger_event v1 = {
		.kind = "job", .job = "JOB-000001", .doc = "->queued", .count = 1, .actor = "spool"
	};
	assert_int_equal(ledger_record(l, &v1, 1795000000, &seq, why, sizeof(why)), 0);
	struct ledger_event v2 = { .kind = "job",
				   .job = "JOB-000001",
				   .from_state = "queued",
				   .to_state = "active",
				   .event = 2,
				   .actor = "cetakd" };
	assert_int_equal(ledger_record(l, &v2, 1795000001, &seq, why, sizeof(why)), 0);
	assert_int_equal(ledger_last_ref(l, LK_JOB), 2);
	/* refused: no event number; an event number and a count both */
	struct ledger_event bad = v2;
	bad.event = 0;
	assert_int_equal(ledger_record(l, &bad, 1795000002, &seq, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "event number"));
	bad.event = 3;
	bad.count = 3;
	assert_int_equal(ledger_record(l, &bad, 1795000002, &seq, why, sizeof(why)), -EINVAL);
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(ledger_export(l, "UPT Test", 1795003600, f), 0);
	fclose(f);
	ledger_close(l);
	assert_non_null(strstr(buf, "\"format\":\"cetak-audit/4\""));
	assert_non_null(strstr(buf, "\"event\":2,\"from\":\"queued\",\"hash\""));
	assert_non_null(strstr(buf, "\"job\":\"JOB-000001\",\"kind\":\"job\",\"prev\""));
	assert_int_equal(audit_verify(buf, len, cert, &r), 0);
	assert_int_equal(r.records, 2);
	free(buf);

	/* an export in format 1 */
	verify_fixture("tests/data/audit-v1.jsonl", &r);
	assert_true(r.records >= 3);
}

static int
custody(struct ledger *l, const char *job, const char *from, const char *to, long long event,
	char *why, size_t len)
{
	struct ledger_event e = { .kind = "custody",
				  .job = job,
				  .chip = "C-1",
				  .from_state = from,
				  .to_state = to,
				  .event = event,
				  .place = !strcmp(to, "stored") ? "B12" : NULL,
				  .actor = "test" };

	return ledger_record(l, &e, 1795000100, NULL, why, len);
}

/*
 * Custody records (format cetak-audit/4): every issued card is in exactly one
 * custody state; a change moves it from the state it was in, never back to
 * "issued"; a card no longer held cannot move from there. An export written
 * in format 2 (tests/data/audit-v2.jsonl, by the format-2 writer) verifies.
 */
static void
test_custody_records(void **state)
{
	struct ledger *l;
	struct ledger_balance b;
	struct audit_result r;
	char path[128], why[256], *buf = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/custody.db", dir);
	assert_int_equal(ledger_open(path, station, 50, &l), 0);
	assert_int_equal(rec(l, "receive", NULL, 10, "lot", "LOT-C"), 0);
	assert_int_equal(rec(l, "load", "A", 10, NULL, NULL), 0);
	for (int i = 0; i < 2; i++) {
		char chip[16];
		snprintf(chip, sizeof(chip), "C-%d", i + 1);
		assert_int_equal(rec(l, "take", "A", 0, NULL, NULL), 0);
		assert_int_equal(rec(l, "issue", "A", 0, "chip", chip), 0);
	}
	ledger_balance(l, &b);
	assert_int_equal(b.custody[CS_ISSUED], 2);
	assert_int_equal(custody(l, "JOB-1", "issued", "stored", 3, why, sizeof(why)), 0);
	assert_int_equal(custody(l, "JOB-1", "stored", "collected", 4, why, sizeof(why)), 0);
	assert_int_equal(custody(l, "JOB-2", "issued", "withdrawn", 5, why, sizeof(why)), 0);
	/* no card is stored any more: refused */
	assert_int_equal(custody(l, "JOB-2", "stored", "collected", 6, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "no issued card is stored"));
	/* back to issued, or an unknown state: refused */
	assert_int_equal(custody(l, "JOB-2", "withdrawn", "issued", 6, why, sizeof(why)), -EINVAL);
	assert_int_equal(custody(l, "JOB-2", "withdrawn", "lost", 6, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not a change of custody"));
	assert_int_equal(custody(l, "JOB-2", "withdrawn", "destroyed", 0, why, sizeof(why)),
			 -EINVAL); /* no event number */
	assert_int_equal(custody(l, "JOB-2", "withdrawn", "destroyed", 6, why, sizeof(why)), 0);
	ledger_balance(l, &b);
	assert_int_equal(b.custody[CS_ISSUED], 0);
	assert_int_equal(b.custody[CS_COLLECTED], 1);
	assert_int_equal(b.custody[CS_DESTROYED], 1);
	assert_int_equal(ledger_check(l, why, sizeof(why)), 0);
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(ledger_export(l, "UPT Test", 1795003600, f), 0);
	fclose(f);
	ledger_close(l);
	assert_reopens_same(path, &b);
	assert_non_null(strstr(buf, "\"kind\":\"custody\",\"place\":\"B12\""));
	assert_int_equal(audit_verify(buf, len, cert, &r), 0);
	assert_int_equal(r.balance.custody[CS_COLLECTED], 1);
	assert_int_equal(r.balance.custody[CS_DESTROYED], 1);
	free(buf);

	verify_fixture("tests/data/audit-v2.jsonl", &r);
	assert_int_equal(r.balance.received, 100);
	assert_int_equal(r.records, 6);
}

static void
test_large_export(void **state)
{
	struct ledger *l;
	struct audit_result r;
	char path[128], *buf = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/large.db", dir);
	assert_int_equal(ledger_open(path, station, 500, &l), 0);
	assert_int_equal(ledger_set_durable(l, 0), 0);
	assert_int_equal(rec(l, "receive", NULL, 20000, "lot", "LOT-L"), 0);
	assert_int_equal(rec(l, "load", "A", 20000, NULL, NULL), 0);
	for (int i = 0; i < 10000; i++) {
		char chip[32];
		snprintf(chip, sizeof(chip), "04CC%06d", i);
		assert_int_equal(rec(l, "take", "A", 0, NULL, NULL), 0);
		assert_int_equal(rec(l, "issue", "A", 0, "chip", chip), 0);
	}
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(ledger_export(l, "UPT Test", 1795003600, f), 0);
	fclose(f);
	ledger_close(l);
	assert_int_equal(audit_verify(buf, len, cert, &r), 0);
	assert_int_equal(r.records, 20002);
	assert_int_equal(r.balance.issued, 10000);
	/* one byte changed in the 15,000th record: found there, not elsewhere */
	char *p = buf;
	for (int line = 1; line < 15000 + 1 + 15000 / 500; line++)
		p = strchr(p, '\n') + 1;
	char *at = strstr(p, "\"chip\":\"04CC");
	assert_non_null(at);
	long bad_line = 1;
	for (char *q = buf; q < at; q++)
		bad_line += *q == '\n';
	at[9] = 'D';
	assert_int_equal(audit_verify(buf, len, cert, &r), -EBADMSG);
	assert_int_equal(r.bad_line, bad_line);
	assert_non_null(strstr(r.why, "does not match its hash"));
	free(buf);
}

/* A station's chain pushed in slices: each continues where the last ended,
 * the stock replayed across them, and every way a slice can lie refused. */
static void
test_export_slices(void **state)
{
	struct ledger *l;
	struct audit_result r;
	struct audit_resume at, kept;
	char path[128], *buf[4] = { 0 };
	size_t len[4] = { 0 };
	FILE *f;

	snprintf(path, sizeof(path), "%s/slices.db", dir);
	assert_int_equal(ledger_open(path, station, 7, &l), 0);
	assert_int_equal(rec(l, "receive", NULL, 100, "lot", "LOT-S"), 0);
	assert_int_equal(rec(l, "load", "A", 50, NULL, NULL), 0);
	for (int i = 0; i < 20; i++) {
		char chip[32];
		snprintf(chip, sizeof(chip), "04DD%06d", i);
		assert_int_equal(rec(l, "take", "A", 0, NULL, NULL), 0);
		assert_int_equal(rec(l, "issue", "A", 0, "chip", chip), 0);
	}
	/* 42 records: slices of 15, 15 and the rest */
	for (int k = 0; k < 3; k++) {
		assert_non_null(f = open_memstream(&buf[k], &len[k]));
		assert_int_equal(ledger_export_range(l, "UPT Test", 1795003600, 1 + 15 * k, 15, f),
				 0);
		fclose(f);
	}
	assert_non_null(f = open_memstream(&buf[3], &len[3]));
	assert_int_equal(ledger_export_range(l, "UPT Test", 1795003600, 43, 15, f), 0);
	fclose(f);
	ledger_close(l);
	assert_non_null(strstr(buf[1], "\"from\":16"));
	memset(&at, 0, sizeof(at));
	/* the second slice before the first: refused, nothing taken */
	assert_int_equal(audit_verify_from(buf[1], len[1], cert, &at, &r), -EBADMSG);
	assert_non_null(strstr(r.why, "starts at record 16; the chain held ends at record 0"));
	assert_int_equal(at.seq, 0);
	for (int k = 0; k < 3; k++)
		if (audit_verify_from(buf[k], len[k], cert, &at, &r) != 0)
			fail_msg("slice %d: line %ld: %s", k, r.bad_line, r.why);
	assert_int_equal(at.seq, 42);
	assert_int_equal(at.balance.issued, 20);
	assert_int_equal(at.balance.received, 100);
	/* the same slice again: it does not continue the chain */
	kept = at;
	assert_int_equal(audit_verify_from(buf[2], len[2], cert, &kept, &r), -EBADMSG);
	/* an empty slice past the end still has a signed end */
	assert_int_equal(audit_verify_from(buf[3], len[3], cert, &kept, &r), 0);
	assert_int_equal(kept.seq, 42);
	/* a record forged in the middle slice (its hashes recomputed without the
	 * key) breaks either its chain or the signed end */
	memset(&at, 0, sizeof(at));
	assert_int_equal(audit_verify_from(buf[0], len[0], cert, &at, &r), 0);
	char *chip = strstr(buf[1], "\"chip\":\"04DD");
	assert_non_null(chip);
	chip[10] = chip[10] == '9' ? '8' : '9';
	assert_int_equal(audit_verify_from(buf[1], len[1], cert, &at, &r), -EBADMSG);
	assert_int_equal(at.seq, 15);
	for (int k = 0; k < 4; k++)
		free(buf[k]);
}

/* A day at a station: 300 events with checkpoints every 25. */
static void
make_export(void)
{
	struct ledger *l;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/day.db", dir);
	assert_int_equal(ledger_open(path, station, 25, &l), 0);
	assert_int_equal(rec(l, "receive", NULL, 500, "lot", "LOT-A"), 0);
	assert_int_equal(rec(l, "load", "A", 200, NULL, NULL), 0);
	assert_int_equal(rec(l, "load", "B", 200, NULL, NULL), 0);
	assert_int_equal(rec(l, "ribbon-receive", NULL, 2, NULL, NULL), 0);
	assert_int_equal(ribbon_load(l, "A", "RB-1", 300, NULL, 0, 0), 0);
	for (int i = 0; i < 99; i++) {
		char chip[32];
		const char *line = i % 2 ? "A" : "B";
		if (i == 50) /* the ribbon replaced, with its count: 25 prints on line A so far */
			assert_int_equal(ribbon_load(l, "A", "RB-2", 300, "RB-1", 300, 25), 0);
		if (i == 60)
			assert_int_equal(rec(l, "counter", "A", 4000, NULL, NULL), 0);
		snprintf(chip, sizeof(chip), "04%012X", i);
		assert_int_equal(rec(l, "take", line, 0, NULL, NULL), 0);
		if (i % 10 == 3)
			assert_int_equal(rec(l, "spoil", line, 1, "cause", "gagal_cetak"), 0);
		else
			assert_int_equal(rec(l, "issue", line, 0, "chip", chip), 0);
	}
	f = open_memstream(&export_buf, &export_len);
	assert_int_equal(ledger_export(l, "UPT Test", 1795003600, f), 0);
	fclose(f);
	ledger_close(l);
}

static int
verify(const char *buf, size_t len, struct audit_result *r)
{
	return audit_verify(buf, len, cert, r);
}

static void
test_clean_export(void **state)
{
	struct audit_result r;

	make_export();
	assert_int_equal(verify(export_buf, export_len, &r), 0);
	assert_int_equal(r.records, 205);
	assert_true(r.checkpoints >= 8);
	assert_int_equal(r.balance.issued, 89);
	assert_int_equal(r.balance.spoiled, 10);
	/* another station's certificate does not vouch for it */
	FILE *f;
	char path[128];
	snprintf(path, sizeof(path), "%s/pki/csca.pem", dir);
	f = fopen(path, "r");
	X509 *other = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_int_equal(audit_verify(export_buf, export_len, other, &r), -EBADMSG);
	X509_free(other);

	/* the standalone tool, and a checkpoint checked with the openssl command line */
	char path2[160], cmd[1024];
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	snprintf(path2, sizeof(path2), "%s/day.audit", dir);
	f = fopen(path2, "w");
	fwrite(export_buf, 1, export_len, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "%s/cetak-audit verify %s --cert %s/pki/ds.pem | grep -q '^OK: 205 records'",
		 build, path2, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
		 "sed -i '30s/\\(\"at\":\\)1/\\12/' %s; %s/cetak-audit verify %s --cert "
		 "%s/pki/ds.pem "
		 "| grep -q '^BAD: .* line 30: '",
		 path2, build, path2, dir);
	assert_int_equal(system(cmd), 0);
	/* docs/audit-format.md: the first checkpoint, by hand */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && grep -m1 '\"checkpoint\"' day.audit > cp.json && "
		 "seq=$(sed 's/.*\"checkpoint\":\\([0-9]*\\).*/\\1/' cp.json) && "
		 "at=$(sed 's/.*\"at\":\\([0-9]*\\).*/\\1/' cp.json) && "
		 "head=$(sed 's/.*\"head\":\"\\([0-9a-f]*\\)\".*/\\1/' cp.json) && "
		 "sed 's/.*\"sig\":\"\\([^\"]*\\)\".*/\\1/' cp.json | base64 -d > cp.sig && "
		 "printf 'cetak-audit-checkpoint/1|%%s|%%s|%%s' $seq $head $at > cp.msg && "
		 "openssl x509 -in pki/ds.pem -pubkey -noout > station.pub && "
		 "openssl dgst -sha256 -verify station.pub -signature cp.sig cp.msg | grep -q "
		 "'Verified OK'",
		 dir);
	assert_int_equal(system(cmd), 0);
}

static size_t
nlines(const char *b, size_t n, size_t *starts)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (i == 0 || b[i - 1] == '\n')
			starts[k++] = i;
	return k;
}

static void
test_tamper_matrix(void **state)
{
	struct audit_result r;
	size_t *starts = malloc(sizeof(size_t) * 1000), n = nlines(export_buf, export_len, starts);
	char *t = malloc(export_len * 2 + 2);
	unsigned seed = 12345;
	int caught = 0, tries = 0;

	/* every single modified byte, at 600 generated positions */
	for (int i = 0; i < 600; i++, tries++) {
		size_t pos = (size_t)rand_r(&seed) % export_len;
		unsigned char flip = (unsigned char)(1 + rand_r(&seed) % 255);
		memcpy(t, export_buf, export_len);
		t[pos] ^= (char)flip;
		caught += verify(t, export_len, &r) != 0;
	}
	assert_int_equal(caught, tries);
	/* every deleted line */
	for (size_t k = 0; k < n; k++, tries++) {
		size_t a = starts[k], b = k + 1 < n ? starts[k + 1] : export_len;
		memcpy(t, export_buf, a);
		memcpy(t + a, export_buf + b, export_len - b);
		caught += verify(t, export_len - (b - a), &r) != 0;
	}
	assert_int_equal(caught, tries);
	/* every line inserted again after itself (a duplicated record) */
	for (size_t k = 1; k < n; k++, tries++) {
		size_t a = starts[k], b = k + 1 < n ? starts[k + 1] : export_len;
		memcpy(t, export_buf, b);
		memcpy(t + b, export_buf + a, b - a);
		memcpy(t + b + (b - a), export_buf + b, export_len - b);
		caught += verify(t, export_len + (b - a), &r) != 0;
	}
	assert_int_equal(caught, tries);
	/* every pair of neighbouring lines swapped */
	for (size_t k = 1; k + 1 < n; k++, tries++) {
		size_t a = starts[k], m = starts[k + 1], b = k + 2 < n ? starts[k + 2] : export_len;
		if (b - m == m - a && !memcmp(export_buf + a, export_buf + m, m - a)) {
			caught++; /* identical lines: nothing changes */
			continue;
		}
		memcpy(t, export_buf, a);
		memcpy(t + a, export_buf + m, b - m);
		memcpy(t + a + (b - m), export_buf + a, m - a);
		memcpy(t + b, export_buf + b, export_len - b);
		caught += verify(t, export_len, &r) != 0;
	}
	assert_int_equal(caught, tries);
	/* truncated at 200 generated points, and at every line end */
	for (int i = 0; i < 200; i++, tries++)
		caught += verify(export_buf, (size_t)rand_r(&seed) % export_len, &r) != 0;
	for (size_t k = 1; k < n; k++, tries++)
		caught += verify(export_buf, starts[k], &r) != 0;
	assert_int_equal(caught, tries);
	/* the first problem is reported precisely */
	memcpy(t, export_buf, export_len);
	size_t a = starts[50];
	char *d = memchr(t + a, '"', 40);
	char *digit = strpbrk(t + a + 10, "0123456789");
	assert_non_null(d);
	*digit = *digit == '9' ? '8' : (char)(*digit + 1);
	assert_int_not_equal(verify(t, export_len, &r), 0);
	assert_int_equal(r.bad_line, 51);
	printf("# %d tamperings tried, %d caught; e.g. line 51: %s\n", tries, caught, r.why);
	free(t);
	free(starts);
}

/* 14 days of 10 cards a day: days of cover, run-out, the forecast, the alert. */
static void
test_outlook_and_alerts(void **state)
{
	struct ledger *l;
	struct alerts *al;
	char path[128], prom[160], why[256];
	const long long day = 86400, t0 = 1795000000;
	struct alerts_config cfg = { .reserve = 10,
				     .lead_days = 30,
				     .window_days = 14,
				     .hopper_low = 0,
				     .repeat_s = 3600,
				     .metrics = prom,
				     .station = "test" };
	struct stock_outlook o;

	snprintf(path, sizeof(path), "%s/use.db", dir);
	snprintf(prom, sizeof(prom), "%s/use.prom", dir);
	assert_int_equal(ledger_open(path, station, 1000, &l), 0);
	struct ledger_event e = { .kind = "receive", .lot = "L", .count = 500, .actor = "t" };
	assert_int_equal(ledger_record(l, &e, t0, NULL, why, sizeof(why)), 0);
	e = (struct ledger_event){ .kind = "load", .line = "A", .count = 500, .actor = "t" };
	assert_int_equal(ledger_record(l, &e, t0, NULL, why, sizeof(why)), 0);
	for (int d = 0; d < 14; d++)
		for (int i = 0; i < 10; i++) {
			char chip[32];
			snprintf(chip, sizeof(chip), "04AB%02d%02d", d, i);
			struct ledger_event t = { .kind = "take", .line = "A", .actor = "t" };
			struct ledger_event u = {
				.kind = "issue", .line = "A", .chip = chip, .actor = "t"
			};
			assert_int_equal(
				ledger_record(l, &t, t0 + d * day + i, NULL, why, sizeof(why)), 0);
			assert_int_equal(
				ledger_record(l, &u, t0 + d * day + i, NULL, why, sizeof(why)), 0);
		}
	long long now = t0 + 14 * day;
	stock_outlook(&cfg, l, now, &o);
	assert_int_equal(o.on_hand, 360);
	assert_true(o.per_day > 9.99 && o.per_day < 10.01);
	assert_true(o.days_of_cover > 35.9 && o.days_of_cover < 36.1);
	assert_true(o.runout_at > now + 35 * day && o.runout_at < now + 37 * day);
	/* for 30 days plus 30 of lead time at 10 a day: 600 - 360 on hand */
	assert_int_equal(stock_forecast(&cfg, &o, 30), 240);
	/* 36 days of cover >= 30 lead days: no alert; with a 40-day lead time: stock-cover */
	assert_int_equal(alerts_new(&al), 0);
	alerts_evaluate(al, &cfg, l, now);
	json_t *none = alerts_json(al);
	assert_int_equal(json_array_size(none), 0);
	json_decref(none);
	cfg.lead_days = 40;
	alerts_evaluate(al, &cfg, l, now);
	json_t *a = alerts_json(al);
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "alert")),
			    "stock-cover");
	json_decref(a);
	FILE *f = fopen(prom, "r");
	char buf[4096] = "";
	assert_true(fread(buf, 1, sizeof(buf) - 1, f) > 0);
	fclose(f);
	assert_non_null(strstr(buf, "cetak_cards_issued_total 140\n"));
	assert_non_null(strstr(buf, "cetak_days_of_cover 36.0\n"));
	assert_non_null(strstr(buf, "cetak_alerts_active{alert=\"stock-cover\"} 1\n"));
	alerts_free(al);
	ledger_close(l);
}

/* One event at a fixed time by a named operator. */
static void
ev(struct ledger *l, long long at, const char *actor, const char *kind, const char *line,
   long count, const char *chip, const char *job, const char *cause, const char *doc,
   const char *note)
{
	char why[256], lot[32];
	snprintf(lot, sizeof(lot), "LOT-2026-11-%lld", at); /* a lot is received once */
	struct ledger_event e = { .kind = kind,
				  .line = line,
				  .count = count,
				  .actor = actor,
				  .chip = chip,
				  .job = job,
				  .cause = cause,
				  .doc = doc,
				  .note = note,
				  .lot = !strcmp(kind, "receive") ? lot : NULL };

	if (ledger_record(l, &e, at, NULL, why, sizeof(why)) < 0)
		fail_msg("%s refused: %s", kind, why);
}

/* Compare out with the golden file, or rewrite it under CETAK_UPDATE_GOLDEN=1. */
static void
golden(const char *path, const char *out, size_t len)
{
	FILE *f;
	char want[16384];
	size_t n;

	if (getenv("CETAK_UPDATE_GOLDEN")) {
		assert_non_null(f = fopen(path, "w"));
		fwrite(out, 1, len, f);
		fclose(f);
		return;
	}
	assert_non_null(f = fopen(path, "r"));
	n = fread(want, 1, sizeof(want), f);
	fclose(f);
	if (n != len || memcmp(want, out, len))
		fail_msg("%s differs from the output:\n%.*s", path, (int)len, out);
}

static void
test_report(void **state)
{
	const long long d0 = 1795996800; /* the reported day, 00:00 UTC */
	const char *ani = "ani (operator)", *budi = "budi (supervisor)";
	struct report_query q = { .from = d0, .to = d0 + 86400, .title = "daily" };
	struct ledger *l;
	char path[128], *buf;
	size_t len;
	json_t *r;
	FILE *f;

	setenv("TZ", "UTC", 1);
	tzset();
	snprintf(path, sizeof(path), "%s/report.db", dir);
	assert_int_equal(ledger_open(path, NULL, 0, &l), 0);
	/* the day before */
	ev(l, d0 - 7200, ani, "receive", NULL, 500, NULL, NULL, NULL, "SJ-0091", NULL);
	ev(l, d0 - 7000, ani, "load", "A", 100, NULL, NULL, NULL, NULL, NULL);
	ev(l, d0 - 6000, "cetakd", "take", "A", 0, NULL, NULL, NULL, NULL, NULL);
	ev(l, d0 - 5900, "cetakd", "spoil", "A", 0, "04A1000000000001", "JOB-0001", "rusak", NULL,
	   NULL);
	ev(l, d0 - 5000, ani, "ribbon-receive", NULL, 4, NULL, NULL, NULL, "SJ-R-0012", NULL);
	struct ledger_event rl = {
		.kind = "ribbon-load", .line = "A", .ribbon = "RB-A1", .count = 250, .actor = ani
	};
	char rwhy[256];
	assert_int_equal(ledger_record(l, &rl, d0 - 4900, NULL, rwhy, sizeof(rwhy)), 0);
	/* the day */
	ev(l, d0 + 25200, ani, "receive", NULL, 200, NULL, NULL, NULL, "SJ-0092", NULL);
	ev(l, d0 + 25300, ani, "load", "B", 50, NULL, NULL, NULL, NULL, NULL);
	for (int i = 0; i < 3; i++) {
		char chip[32], job[32];
		snprintf(chip, sizeof(chip), "04A10000000001%02d", i);
		snprintf(job, sizeof(job), "JOB-01%02d", i);
		ev(l, d0 + 26000 + 60 * i, "cetakd", "take", "A", 0, NULL, NULL, NULL, NULL, NULL);
		ev(l, d0 + 26030 + 60 * i, "cetakd", "issue", "A", 0, chip, job, NULL, NULL, NULL);
	}
	/* the day's custody: two cards stored, one notified, one collected, one withdrawn */
	static const struct {
		const char *job, *from, *to, *place, *doc;
	} cm[] = {
		{ "JOB-0100", "issued", "stored", "B12", "" },
		{ "JOB-0101", "issued", "stored", "B12", "" },
		{ "JOB-0101", "stored", "stored", "B12", "sms-sent-1" },
		{ "JOB-0100", "stored", "stored", "B12", "sms-failed-2" },
		{ "JOB-0100", "stored", "collected", "", "" },
		{ "JOB-0102", "issued", "withdrawn", "", "" },
	};
	for (size_t i = 0; i < sizeof(cm) / sizeof(cm[0]); i++) {
		struct ledger_event ce = { .kind = "custody",
					   .job = cm[i].job,
					   .from_state = cm[i].from,
					   .to_state = cm[i].to,
					   .place = cm[i].place,
					   .doc = cm[i].doc,
					   .actor = ani,
					   .event = (long long)i + 1 };
		assert_int_equal(
			ledger_record(l, &ce, d0 + 26300 + (long long)i, NULL, rwhy, sizeof(rwhy)),
			0);
	}
	/* the ribbon ran out early: 3 prints of 250 (a bad ribbon), replaced */
	struct ledger_event rl2 = { .kind = "ribbon-load",
				    .line = "A",
				    .ribbon = "RB-A2",
				    .count = 250,
				    .prev = "RB-A1",
				    .prev_rated = 250,
				    .prev_prints = 3,
				    .actor = ani };
	assert_int_equal(ledger_record(l, &rl2, d0 + 26500, NULL, rwhy, sizeof(rwhy)), 0);
	ev(l, d0 + 27000, "cetakd", "take", "A", 0, NULL, NULL, NULL, NULL, NULL);
	ev(l, d0 + 27040, "cetakd", "spoil", "A", 0, "04A1000000000200", "JOB-0200", "gagal_encode",
	   NULL, NULL);
	ev(l, d0 + 28000, "cetakd", "take", "B", 0, NULL, NULL, NULL, NULL, NULL);
	ev(l, d0 + 28010, "cetakd", "spoil", "B", 0, NULL, "JOB-0201", "no_chip", NULL, NULL);
	ev(l, d0 + 30000, budi, "stocktake", NULL, 547, NULL, NULL, NULL, NULL,
	   "3 blanks bent in storage, set aside");
	ev(l, d0 + 31000, budi, "transfer", NULL, 20, NULL, NULL, NULL, "SPB-0007", NULL);
	ev(l, d0 + 60000, budi, "destroy", NULL, 2, NULL, NULL, NULL, "BA-0011",
	   "Saksi Satu, Saksi Dua");
	/* the day after */
	ev(l, d0 + 90000, "cetakd", "take", "B", 0, NULL, NULL, NULL, NULL, NULL);
	ev(l, d0 + 90030, "cetakd", "issue", "B", 0, "04A1000000000300", "JOB-0300", NULL, NULL,
	   NULL);

	assert_int_equal(ledger_report(l, &q, &r), 0);
	json_t *t = json_object_get(r, "totals");
	assert_int_equal(json_integer_value(json_object_get(t, "received")), 200);
	assert_int_equal(json_integer_value(json_object_get(t, "issued")), 3);
	assert_int_equal(json_integer_value(json_object_get(t, "spoiled")), 2);
	assert_int_equal(json_integer_value(json_object_get(t, "discrepancy")), -3);
	assert_int_equal(json_integer_value(json_object_get(t, "destroyed")), 2);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(r, "opening"), "on_hand")), 499);
	/* 499 + 200 - 3 - 3 - 2 - 20 */
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(r, "closing"), "on_hand")), 671);
	assert_true(json_is_true(json_object_get(r, "balanced")));
	assert_int_equal(json_array_size(json_object_get(r, "spoiled_cards")), 2);
	json_t *cu = json_object_get(r, "custody");
#define CU(part, k) json_integer_value(json_object_get(json_object_get(cu, part), k))
	assert_int_equal(CU("moved", "issued"), 3);
	assert_int_equal(CU("moved", "stored"), 2);
	assert_int_equal(CU("moved", "collected"), 1);
	assert_int_equal(CU("moved", "withdrawn"), 1);
	assert_int_equal(CU("closing", "stored"), 1);
	assert_int_equal(CU("closing", "issued"), 0);
	assert_int_equal(CU("opening", "issued"), 0);
#undef CU
	assert_int_equal(json_integer_value(json_object_get(cu, "sms_sent")), 1);
	assert_int_equal(json_integer_value(json_object_get(cu, "sms_failed")), 1);

	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(report_write(r, REPORT_TEXT, f), 0);
	fclose(f);
	golden("tests/golden/report-daily.txt", buf, len);
	free(buf);
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(report_write(r, REPORT_CSV, f), 0);
	fclose(f);
	golden("tests/golden/report-daily.csv", buf, len);
	free(buf);

	/* the printable form: pages, the destruction list and the signature lines */
	char pdf[160], cmd[1024];
	snprintf(pdf, sizeof(pdf), "%s/report.pdf", dir);
	assert_int_equal(report_write_pdf(r, "DINAS KEPENDUDUKAN TEST", pdf, path, sizeof(path)),
			 0);
	snprintf(cmd, sizeof(cmd),
		 "pdfinfo %s | grep -q '^Pages: *2$' && pdftotext -layout %s %s.txt && "
		 "for w in 'DINAS KEPENDUDUKAN TEST' JOB-0200 JOB-0201 'Witness 1' 'Witness 2' "
		 "'berita acara BA-0011' 'closing balance .blanks on hand. +671' 'no_chip +1' 'SMS "
		 "notices sent +1'; do "
		 "grep -Eq \"$w\" %s.txt || { echo \"PDF lacks: $w\"; exit 1; }; done",
		 pdf, pdf, pdf, pdf);
	assert_int_equal(system(cmd), 0);
	if (getenv("CETAK_REPORT_PDF")) /* a copy to look at when reviewing the golden diff */
		assert_int_equal(report_write_pdf(r, "DINAS KEPENDUDUKAN TEST",
						  getenv("CETAK_REPORT_PDF"), path, sizeof(path)),
				 0);
	json_decref(r);

	/* one line: its cards only */
	q.line = "B";
	assert_int_equal(ledger_report(l, &q, &r), 0);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(r, "totals"), "spoiled")), 1);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(r, "totals"), "issued")), 0);
	json_decref(r);
	q.to = q.from;
	assert_int_equal(ledger_report(l, &q, &r), -EINVAL);
	ledger_close(l);
	unsetenv("TZ");
	tzset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stock_rules),
		cmocka_unit_test(test_ribbons_and_counter),
		cmocka_unit_test(test_job_records),
		cmocka_unit_test(test_custody_records),
		cmocka_unit_test(test_large_export),
		cmocka_unit_test(test_export_slices),
		cmocka_unit_test(test_clean_export),
		cmocka_unit_test(test_tamper_matrix),
		cmocka_unit_test(test_outlook_and_alerts),
		cmocka_unit_test(test_report),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
