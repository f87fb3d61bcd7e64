/*
 * ledger_bench.c - the ledger at scale.
 * usage: ledger_bench DIR STATION_KEY STATION_CERT [EVENTS [SLICEDIR]]
 * 1. per-event cost with durability (each event one fsync'd transaction);
 * 2. fill to EVENTS (default 1,000,000) in bulk mode, checkpoints every 1,000;
 * 3. export, then verify the export (as cetak-audit does);
 * 4. with SLICEDIR: the chain as a station pushes it to the hub, slices of
 *    5,000 records in SLICEDIR/FIRST-LAST (bench/hub.sh).
 */
#define _GNU_SOURCE
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger/audit.h"
#include "ledger/ledger.h"
#include "smartcard/sod.h"
#include "ledger/report.h"
#include "tests/fixtures/clock.h"

static long long at = 1795000000;

/* A station's life: restock when the hopper is empty, take a blank, then
 * issue it (or, one time in 25, spoil it). */
static int
event(struct ledger *l, long i, char *why)
{
	static long hopper = 0;
	static int in_flight = 0;
	struct ledger_event e = { .actor = "bench", .line = "A" };
	char chip[32], lot[32];

	at += 20;
	if (!in_flight && hopper == 0) {
		snprintf(lot, sizeof(lot), "LOT-%ld", i); /* a lot is received once */
		e = (struct ledger_event){
			.kind = "receive", .lot = lot, .count = 2000, .actor = "b"
		};
		if (ledger_record(l, &e, at, NULL, why, 256) < 0)
			return -1;
		e = (struct ledger_event){
			.kind = "load", .line = "A", .count = 2000, .actor = "b"
		};
		hopper = 2000;
		return ledger_record(l, &e, at, NULL, why, 256);
	}
	if (!in_flight) {
		e.kind = "take";
		hopper--;
		in_flight = 1;
	} else if (i % 25 == 0) {
		e.kind = "spoil";
		e.cause = "gagal_cetak";
		in_flight = 0;
	} else {
		snprintf(chip, sizeof(chip), "04%012lX", i);
		e.kind = "issue";
		e.chip = chip;
		e.job = "JOB";
		in_flight = 0;
	}
	return ledger_record(l, &e, at, NULL, why, 256);
}

int
main(int argc, char **argv)
{
	char path[4096], why[256];
	struct signer *s;
	struct ledger *l;
	long n = argc > 4 ? atol(argv[4]) : 1000000, i = 0;

	if (argc < 4 || signer_load_pem(argv[2], argv[3], &s, why, sizeof(why)) < 0) {
		fprintf(stderr, "usage: ledger_bench DIR KEY CERT [EVENTS] (%s)\n",
			argc < 4 ? "" : why);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/ledger.db", argv[1]);
	if (ledger_open(path, s, 1000, &l) < 0)
		return 1;
	double t = ms_now();
	for (; i < 2000; i++)
		if (event(l, i, why) < 0) {
			fprintf(stderr, "event %ld: %s\n", i, why);
			return 1;
		}
	printf("durable events:   %.3f ms each (2,000 events, each its own fsync'd transaction)\n",
	       (ms_now() - t) / 2000);
	ledger_set_durable(l, 0);
	t = ms_now();
	for (; i < n; i++)
		if (event(l, i, why) < 0) {
			fprintf(stderr, "event %ld: %s\n", i, why);
			return 1;
		}
	ledger_set_durable(l, 1);
	printf("bulk fill:        %ld events in %.1f s\n", n, (ms_now() - t) / 1000);
	/* the monthly report: the last 30 days of the history (an event every 20 s) */
	struct report_query q = { .from = at - 30LL * 86400, .to = at + 1, .title = "monthly" };
	json_t *rep;
	t = ms_now();
	if (ledger_report(l, &q, &rep) < 0)
		return 1;
	printf("monthly report:   %.0f ms (%lld issued, %zu spoiled cards listed)\n", ms_now() - t,
	       (long long)json_integer_value(
		       json_object_get(json_object_get(rep, "totals"), "issued")),
	       json_array_size(json_object_get(rep, "spoiled_cards")));
	json_decref(rep);
	char xp[4200];
	snprintf(xp, sizeof(xp), "%s/audit.jsonl", argv[1]);
	FILE *f = fopen(xp, "w");
	t = ms_now();
	if (!f || ledger_export(l, "bench", at, f) < 0)
		return 1;
	fclose(f);
	double ex = ms_now() - t;
	f = fopen(xp, "rb");
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	rewind(f);
	char *buf = malloc((size_t)len);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
		return 1;
	fclose(f);
	struct audit_result r;
	t = ms_now();
	int rc = audit_verify(buf, (size_t)len, signer_cert(s), &r);
	double ve = ms_now() - t;
	printf("export:           %.1f s (%.0f MiB)\nverify:           %.1f s (%s: %ld records, "
	       "%ld "
	       "checkpoints)\nexport + verify:  %.1f s\n",
	       ex / 1000, len / 1048576.0, ve / 1000, rc == 0 ? "OK" : r.why, r.records,
	       r.checkpoints, (ex + ve) / 1000);
	free(buf);
	if (argc > 5) {
		long long last, from;
		uint8_t head[32];
		ledger_head(l, &last, head);
		t = ms_now();
		for (from = 1; from <= last; from += 5000) {
			long long to = from + 4999 < last ? from + 4999 : last;
			snprintf(xp, sizeof(xp), "%s/%lld-%lld", argv[5], from, to);
			if (!(f = fopen(xp, "w")) ||
			    ledger_export_range(l, "bench", at, from, 5000, f) < 0)
				return 1;
			fclose(f);
		}
		printf("slices:           %lld records in slices of 5,000: %.1f s\n", last,
		       (ms_now() - t) / 1000);
	}
	ledger_close(l);
	signer_free(s);
	return rc == 0 ? 0 : 1;
}
