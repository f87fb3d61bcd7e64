/*
 * report.h - supervisors' stock reports over a period, from the ledger.
 *
 * ledger_report() gathers one period [from, to) into a JSON object (the
 * control protocol carries it as is); report_write() prints that object as
 * text, CSV or JSON, so the daemon, cetakctl and the golden tests share one
 * formatter. docs/stock.md describes the fields.
 */
#ifndef CETAK_REPORT_H
#define CETAK_REPORT_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>

#include "ledger.h"

struct report_query {
	long long from, to; /* epoch seconds, to exclusive */
	const char *line;   /* NULL: every line */
	const char *title;  /* "daily", "monthly" or "range" */
};

/* The ledger's database, for the report queries in this module only. */
sqlite3 *ledger_sqlite(struct ledger *l);

int ledger_report(struct ledger *l, const struct report_query *q, json_t **ret);

enum report_format { REPORT_TEXT, REPORT_CSV, REPORT_JSON };
int report_format_from_name(const char *s); /* -1 when unknown */
int report_write(json_t *report, enum report_format fmt, FILE *f);

/*
 * The printable PDF (A4): the summary with a chart of daily use, the
 * destruction list, and the signature lines of a berita acara for the
 * officer, two witnesses and the head of office. office names the station in
 * the header. 0, or -EIO with the reason in why.
 */
int report_write_pdf(json_t *report, const char *office, const char *path, char *why, size_t len);

#endif
