/*
 * report_fmt.c - a stock report (ledger_report's JSON) as text for the
 * supervisor's screen, CSV for spreadsheets, or JSON. Shared by cetakctl and
 * the golden tests; it needs no database.
 */
#include "report.h"

#include <errno.h>
#include <string.h>
#include <time.h>

int
report_format_from_name(const char *s)
{
	return !strcmp(s, "text")   ? REPORT_TEXT
	       : !strcmp(s, "csv")  ? REPORT_CSV
	       : !strcmp(s, "json") ? REPORT_JSON
				    : -1;
}

static const char *
when(json_t *o, const char *key, char *buf, size_t len)
{
	time_t t = (time_t)json_integer_value(json_object_get(o, key));
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
	return buf;
}

static const char *
s_(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v && v[0] ? v : "-";
}

#define N(o, k) ((long long)json_integer_value(json_object_get(o, k)))

static void
write_text(json_t *r, FILE *f)
{
	json_t *t = json_object_get(r, "totals"), *op = json_object_get(r, "opening"),
	       *cl = json_object_get(r, "closing"), *v, *w;
	const char *k;
	char a[32], b[32];
	size_t i;

	fprintf(f, "Blank-card stock report (%s): %s to %s", s_(r, "report"),
		when(r, "from", a, sizeof(a)), when(r, "to", b, sizeof(b)));
	if (json_object_get(r, "line"))
		fprintf(f, ", line %s (station-wide rows marked *)", s_(r, "line"));
	fprintf(f, "\n\n%-24s %7lld on hand, %lld spoiled awaiting destruction%s\n",
		"opening balance", N(op, "on_hand"), N(op, "spoiled_pending"),
		json_object_get(r, "line") ? " *" : "");
	fprintf(f, "%-24s %+7lld\n", "received", N(t, "received"));
	fprintf(f, "%-24s %+7lld\n", "stocktake differences", N(t, "discrepancy"));
	fprintf(f, "%-24s %7lld\n", "loaded into hoppers", N(t, "loaded"));
	fprintf(f, "%-24s %+7lld\n", "issued", -N(t, "issued"));
	fprintf(f, "%-24s %+7lld\n", "spoiled", -N(t, "spoiled"));
	fprintf(f, "%-24s %+7lld\n", "transferred out", -N(t, "transferred"));
	fprintf(f, "%-24s %7lld on hand, %lld spoiled awaiting destruction%s\n", "closing balance",
		N(cl, "on_hand"), N(cl, "spoiled_pending"), json_object_get(r, "line") ? " *" : "");
	fprintf(f, "%-24s %7lld\n", "destroyed", N(t, "destroyed"));
	if ((v = json_object_get(r, "balanced")))
		fprintf(f, "%s\n",
			json_is_true(v) ? "the books balance over the period"
					: "THE BOOKS DO NOT BALANCE: run cetakctl stock check");

	fprintf(f, "\nSpoiled by cause\n");
	json_object_foreach(json_object_get(r, "by_cause"), k, v)
		fprintf(f, "  %-16s %6lld\n", k, (long long)json_integer_value(v));

	fprintf(f, "\nPer line\n  %-10s %8s %8s %8s\n", "line", "loaded", "issued", "spoiled");
	json_object_foreach(json_object_get(r, "lines"), k, v)
		fprintf(f, "  %-10s %8lld %8lld %8lld\n", k, N(v, "loaded"), N(v, "issued"),
			N(v, "spoiled"));

	fprintf(f, "\nPer operator\n  %-28s %8s %8s %8s %8s %8s %8s\n", "operator", "received",
		"loaded", "issued", "spoiled", "transfer", "destroy");
	json_object_foreach(json_object_get(r, "operators"), k, v)
		fprintf(f, "  %-28s %8lld %8lld %8lld %8lld %8lld %8lld\n", k, N(v, "received"),
			N(v, "loaded"), N(v, "issued"), N(v, "spoiled"), N(v, "transferred"),
			N(v, "destroyed"));

	fprintf(f, "\nStocktake discrepancies\n");
	if (!json_array_size(json_object_get(r, "discrepancies")))
		fprintf(f, "  none\n");
	json_array_foreach(json_object_get(r, "discrepancies"), i, w) fprintf(
		f, "  %s  counted %lld, difference %+lld, by %s: %s\n", when(w, "at", a, sizeof(a)),
		N(w, "counted"), N(w, "difference"), s_(w, "operator"), s_(w, "reason"));

	fprintf(f, "\nSpoiled cards (destruction list)\n  %-16s %-6s %-18s %-20s %-15s %s\n",
		"time", "line", "chip serial", "job", "cause", "operator");
	if (!json_array_size(json_object_get(r, "spoiled_cards")))
		fprintf(f, "  none\n");
	json_array_foreach(json_object_get(r, "spoiled_cards"), i, w) fprintf(
		f, "  %-16s %-6s %-18s %-20s %-15s %s\n", when(w, "at", a, sizeof(a)),
		s_(w, "line"), s_(w, "chip"), s_(w, "job"), s_(w, "cause"), s_(w, "operator"));

	fprintf(f, "\nDestructions\n");
	if (!json_array_size(json_object_get(r, "destructions")))
		fprintf(f, "  none\n");
	json_array_foreach(json_object_get(r, "destructions"), i, w)
		fprintf(f, "  %s  %lld cards, berita acara %s, by %s, witnesses: %s\n",
			when(w, "at", a, sizeof(a)), N(w, "count"), s_(w, "doc"), s_(w, "operator"),
			s_(w, "note"));

	fprintf(f, "\nRibbons loaded (and the yield of each ribbon taken out)\n");
	if (!json_array_size(json_object_get(r, "ribbons")))
		fprintf(f, "  none\n");
	json_array_foreach(json_object_get(r, "ribbons"), i, w)
	{
		fprintf(f, "  %s  line %s: ribbon %s, rated %lld prints",
			when(w, "at", a, sizeof(a)), s_(w, "line"), s_(w, "ribbon"), N(w, "count"));
		if (s_(w, "replaces")[0])
			fprintf(f, "; replaced %s after %lld of %lld prints (yield %.0f%%)",
				s_(w, "replaces"), N(w, "replaces_prints"), N(w, "replaces_rated"),
				N(w, "replaces_rated") ? 100.0 * (double)N(w, "replaces_prints") /
								 (double)N(w, "replaces_rated")
						       : 0.0);
		fputc('\n', f);
	}

	json_t *cu = json_object_get(r, "custody");
	if (cu) {
		json_t *o = json_object_get(cu, "opening"), *c = json_object_get(cu, "closing"),
		       *m = json_object_get(cu, "moved");
		fprintf(f, "\nCustody of issued cards (docs/custody.md)\n");
		fprintf(f, "  held at the start (hopper, stored)   %lld\n",
			N(o, "issued") + N(o, "stored"));
		fprintf(f, "  issued                              +%lld\n", N(m, "issued"));
		fprintf(f, "  collected                           -%lld\n", N(m, "collected"));
		fprintf(f, "  transferred to a kecamatan          -%lld\n", N(m, "transferred"));
		fprintf(f, "  withdrawn                           -%lld\n", N(m, "withdrawn"));
		fprintf(f, "  held at the end                      %lld\n",
			N(c, "issued") + N(c, "stored"));
		fprintf(f,
			"  withdrawn, awaiting destruction      %lld (destroyed in the period "
			"%lld)\n",
			N(c, "withdrawn"), N(m, "destroyed"));
		fprintf(f, "  SMS notices sent %lld, failed %lld\n", N(cu, "sms_sent"),
			N(cu, "sms_failed"));
	}
}

/* RFC 4180 field */
static void
csv_field(FILE *f, const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

/* section,time,line,operator,item,value,note */
static void
csv_row(FILE *f, const char *section, const char *time, const char *line, const char *op,
	const char *item, long long value, const char *note)
{
	char v[24];

	snprintf(v, sizeof(v), "%lld", value);
	csv_field(f, section, 0);
	csv_field(f, time, 0);
	csv_field(f, line, 0);
	csv_field(f, op, 0);
	csv_field(f, item, 0);
	csv_field(f, v, 0);
	csv_field(f, note, 1);
}

static void
write_csv(json_t *r, FILE *f)
{
	json_t *t = json_object_get(r, "totals"), *v, *w;
	const char *k, *ln = json_object_get(r, "line") ? s_(r, "line") : "";
	char a[32];
	size_t i;

	fprintf(f, "section,time,line,operator,item,value,note\n");
	csv_row(f, "opening", when(r, "from", a, sizeof(a)), ln, "", "on_hand",
		N(json_object_get(r, "opening"), "on_hand"), "");
	csv_row(f, "opening", a, ln, "", "spoiled_pending",
		N(json_object_get(r, "opening"), "spoiled_pending"), "");
	json_object_foreach(t, k, v)
		csv_row(f, "period", "", ln, "", k, (long long)json_integer_value(v), "");
	csv_row(f, "closing", when(r, "to", a, sizeof(a)), ln, "", "on_hand",
		N(json_object_get(r, "closing"), "on_hand"), "");
	csv_row(f, "closing", a, ln, "", "spoiled_pending",
		N(json_object_get(r, "closing"), "spoiled_pending"), "");
	json_object_foreach(json_object_get(r, "by_cause"), k, v)
		csv_row(f, "cause", "", ln, "", k, (long long)json_integer_value(v), "");
	json_object_foreach(json_object_get(r, "lines"), k, v)
	{
		const char *m;
		json_t *n;
		json_object_foreach(v, m, n) if (json_is_integer(n))
			csv_row(f, "line", "", k, "", m, (long long)json_integer_value(n), "");
	}
	json_object_foreach(json_object_get(r, "operators"), k, v)
	{
		const char *m;
		json_t *n;
		json_object_foreach(v, m, n)
			csv_row(f, "operator", "", ln, k, m, (long long)json_integer_value(n), "");
	}
	json_array_foreach(json_object_get(r, "discrepancies"), i, w)
		csv_row(f, "discrepancy", when(w, "at", a, sizeof(a)), ln, s_(w, "operator"),
			"difference", N(w, "difference"), s_(w, "reason"));
	json_array_foreach(json_object_get(r, "spoiled_cards"), i, w)
	{
		char note[160];
		snprintf(note, sizeof(note), "chip %s, job %s", s_(w, "chip"), s_(w, "job"));
		csv_row(f, "spoiled_card", when(w, "at", a, sizeof(a)), s_(w, "line"),
			s_(w, "operator"), s_(w, "cause"), 1, note);
	}
	json_array_foreach(json_object_get(r, "destructions"), i, w)
	{
		char note[300];
		snprintf(note, sizeof(note), "berita acara %s; witnesses: %s", s_(w, "doc"),
			 s_(w, "note"));
		csv_row(f, "destruction", when(w, "at", a, sizeof(a)), "", s_(w, "operator"),
			"destroyed", N(w, "count"), note);
	}
	json_array_foreach(json_object_get(r, "ribbons"), i, w)
	{
		char note[200] = "";
		if (s_(w, "replaces")[0])
			snprintf(note, sizeof(note), "replaced %s after %lld of %lld prints",
				 s_(w, "replaces"), N(w, "replaces_prints"),
				 N(w, "replaces_rated"));
		csv_row(f, "ribbon", when(w, "at", a, sizeof(a)), s_(w, "line"), s_(w, "operator"),
			s_(w, "ribbon"), N(w, "count"), note);
	}
	json_t *cu = json_object_get(r, "custody");
	static const char *const parts[] = { "opening", "custody_opening", "moved", "custody_moved",
					     "closing", "custody_closing", NULL };
	for (int p = 0; cu && parts[p]; p += 2)
		json_object_foreach(json_object_get(cu, parts[p]), k, v) csv_row(
			f, parts[p + 1], "", ln, "", k, (long long)json_integer_value(v), "");
	if (cu) {
		csv_row(f, "custody_sms", "", ln, "", "sent", N(cu, "sms_sent"), "");
		csv_row(f, "custody_sms", "", ln, "", "failed", N(cu, "sms_failed"), "");
	}
}

#undef N

int
report_write(json_t *r, enum report_format fmt, FILE *f)
{
	switch (fmt) {
	case REPORT_TEXT:
		write_text(r, f);
		break;
	case REPORT_CSV:
		write_csv(r, f);
		break;
	case REPORT_JSON:
		if (json_dumpf(r, f, JSON_INDENT(2) | JSON_SORT_KEYS) < 0)
			return -EIO;
		fputc('\n', f);
		break;
	}
	return ferror(f) ? -EIO : 0;
}
