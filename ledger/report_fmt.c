/*
 * report_fmt.c - a stock report (ledger_report's JSON) as text for the
 * supervisor's screen, CSV for spreadsheets, or JSON. Shared by cetakctl and
 * the golden tests; it needs no database.
 */
#include "report.h"
#include "common/i18n.h"

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

/* n as the document's language writes it, in a field w wide */
static const char *
num(long long n, int sign, char *buf, size_t len)
{
	char d[30];

	i18n_int(n < 0 ? -n : n, d, sizeof(d));
	snprintf(buf, len, "%s%s", n < 0 ? "-" : sign && n > 0 ? "+" : "", d);
	return buf;
}

static void
write_text(json_t *r, FILE *f)
{
	json_t *t = json_object_get(r, "totals"), *op = json_object_get(r, "opening"),
	       *cl = json_object_get(r, "closing"), *v, *w;
	const char *k, *star = json_object_get(r, "line") ? " *" : "";
	char a[32], b[32], n1[32], n2[32], n3[32], n4[32], n5[32], n6[32];
	size_t i;

	const char *title = s_(r, "report");
	title = !strcmp(title, "daily")	    ? _("daily")
		: !strcmp(title, "monthly") ? _("monthly")
		: !strcmp(title, "range")   ? _("range")
					    : title;
	fprintf(f, _("Blank-card stock report (%s): %s to %s"), title,
		when(r, "from", a, sizeof(a)), when(r, "to", b, sizeof(b)));
	if (json_object_get(r, "line"))
		fprintf(f, _(", line %s (station-wide rows marked *)"), s_(r, "line"));
	fprintf(f, "\n\n");
	fprintf(f, _("%-30s %7s on hand, %s spoiled awaiting destruction%s\n"),
		_("opening balance"), num(N(op, "on_hand"), 0, n1, sizeof(n1)),
		num(N(op, "spoiled_pending"), 0, n2, sizeof(n2)), star);
	static const struct {
		const char *label, *key;
		int sign;
	} rows[] = {
		{ N_("received"), "received", 1 },
		{ N_("stocktake differences"), "discrepancy", 1 },
		{ N_("loaded into hoppers"), "loaded", 0 },
		{ N_("issued"), "issued", -1 },
		{ N_("spoiled"), "spoiled", -1 },
		{ N_("transferred out"), "transferred", -1 },
	};
	for (size_t j = 0; j < sizeof(rows) / sizeof(rows[0]); j++)
		fprintf(f, "%-30s %7s\n", _(rows[j].label),
			num(rows[j].sign < 0 ? -N(t, rows[j].key) : N(t, rows[j].key),
			    rows[j].sign != 0, n1, sizeof(n1)));
	fprintf(f, _("%-30s %7s on hand, %s spoiled awaiting destruction%s\n"),
		_("closing balance"), num(N(cl, "on_hand"), 0, n1, sizeof(n1)),
		num(N(cl, "spoiled_pending"), 0, n2, sizeof(n2)), star);
	fprintf(f, "%-30s %7s\n", _("destroyed"), num(N(t, "destroyed"), 0, n1, sizeof(n1)));
	if ((v = json_object_get(r, "balanced")))
		fprintf(f, "%s\n",
			json_is_true(v) ? _("the books balance over the period")
					: _("THE BOOKS DO NOT BALANCE: run cetakctl stock check"));

	fprintf(f, "\n%s\n", _("Spoiled by cause"));
	json_object_foreach(json_object_get(r, "by_cause"), k, v) fprintf(
		f, "  %-16s %6s\n", k, num((long long)json_integer_value(v), 0, n1, sizeof(n1)));

	fprintf(f, "\n%s\n  %-10s %10s %10s %10s\n", _("Per line"), _("line"), _("loaded"),
		_("issued"), _("spoiled"));
	json_object_foreach(json_object_get(r, "lines"), k, v) fprintf(
		f, "  %-10s %10s %10s %10s\n", k, num(N(v, "loaded"), 0, n1, sizeof(n1)),
		num(N(v, "issued"), 0, n2, sizeof(n2)), num(N(v, "spoiled"), 0, n3, sizeof(n3)));

	fprintf(f, "\n%s\n  %-28s %10s %10s %10s %10s %10s %10s\n", _("Per operator"),
		_("operator"), _("received"), _("loaded"), _("issued"), _("spoiled"), _("transfer"),
		_("destroy"));
	json_object_foreach(json_object_get(r, "operators"), k, v) fprintf(
		f, "  %-28s %10s %10s %10s %10s %10s %10s\n", k,
		num(N(v, "received"), 0, n1, sizeof(n1)), num(N(v, "loaded"), 0, n2, sizeof(n2)),
		num(N(v, "issued"), 0, n3, sizeof(n3)), num(N(v, "spoiled"), 0, n4, sizeof(n4)),
		num(N(v, "transferred"), 0, n5, sizeof(n5)),
		num(N(v, "destroyed"), 0, n6, sizeof(n6)));

	fprintf(f, "\n%s\n", _("Stocktake discrepancies"));
	if (!json_array_size(json_object_get(r, "discrepancies")))
		fprintf(f, "  %s\n", _("none"));
	json_array_foreach(json_object_get(r, "discrepancies"), i, w) fprintf(
		f, _("  %s  counted %s, difference %s, by %s: %s\n"), when(w, "at", a, sizeof(a)),
		num(N(w, "counted"), 0, n1, sizeof(n1)), num(N(w, "difference"), 1, n2, sizeof(n2)),
		s_(w, "operator"), s_(w, "reason"));

	fprintf(f, "\n%s\n  %-16s %-6s %-18s %-20s %-15s %s\n",
		_("Spoiled cards (destruction list)"), _("time"), _("line"), _("chip serial"),
		_("job"), _("cause"), _("operator"));
	if (!json_array_size(json_object_get(r, "spoiled_cards")))
		fprintf(f, "  %s\n", _("none"));
	json_array_foreach(json_object_get(r, "spoiled_cards"), i, w) fprintf(
		f, "  %-16s %-6s %-18s %-20s %-15s %s\n", when(w, "at", a, sizeof(a)),
		s_(w, "line"), s_(w, "chip"), s_(w, "job"), s_(w, "cause"), s_(w, "operator"));

	fprintf(f, "\n%s\n", _("Destructions"));
	if (!json_array_size(json_object_get(r, "destructions")))
		fprintf(f, "  %s\n", _("none"));
	json_array_foreach(json_object_get(r, "destructions"), i, w)
		fprintf(f, _("  %s  %s cards, berita acara %s, by %s, witnesses: %s\n"),
			when(w, "at", a, sizeof(a)), num(N(w, "count"), 0, n1, sizeof(n1)),
			s_(w, "doc"), s_(w, "operator"), s_(w, "note"));

	fprintf(f, "\n%s\n", _("Ribbons loaded (and the yield of each ribbon taken out)"));
	if (!json_array_size(json_object_get(r, "ribbons")))
		fprintf(f, "  %s\n", _("none"));
	json_array_foreach(json_object_get(r, "ribbons"), i, w)
	{
		fprintf(f, _("  %s  line %s: ribbon %s, rated %s prints"),
			when(w, "at", a, sizeof(a)), s_(w, "line"), s_(w, "ribbon"),
			num(N(w, "count"), 0, n1, sizeof(n1)));
		if (s_(w, "replaces")[0] && strcmp(s_(w, "replaces"), "-") != 0)
			fprintf(f, _("; replaced %s after %s of %s prints (yield %s%%)"),
				s_(w, "replaces"), num(N(w, "replaces_prints"), 0, n1, sizeof(n1)),
				num(N(w, "replaces_rated"), 0, n2, sizeof(n2)),
				i18n_dec(N(w, "replaces_rated")
						 ? 100.0 * (double)N(w, "replaces_prints") /
							   (double)N(w, "replaces_rated")
						 : 0.0,
					 0, n3, sizeof(n3)));
		fputc('\n', f);
	}

	json_t *cu = json_object_get(r, "custody");
	if (cu) {
		json_t *o = json_object_get(cu, "opening"), *c = json_object_get(cu, "closing"),
		       *m = json_object_get(cu, "moved");
		fprintf(f, "\n%s\n", _("Custody of issued cards (docs/custody.md)"));
		fprintf(f, "  %-36s %7s\n", _("held at the start (hopper, stored)"),
			num(N(o, "issued") + N(o, "stored"), 0, n1, sizeof(n1)));
		fprintf(f, "  %-36s %7s\n", _("issued"), num(N(m, "issued"), 1, n1, sizeof(n1)));
		fprintf(f, "  %-36s %7s\n", _("collected"),
			num(-N(m, "collected"), 1, n1, sizeof(n1)));
		fprintf(f, "  %-36s %7s\n", _("transferred to a kecamatan"),
			num(-N(m, "transferred"), 1, n1, sizeof(n1)));
		fprintf(f, "  %-36s %7s\n", _("withdrawn"),
			num(-N(m, "withdrawn"), 1, n1, sizeof(n1)));
		fprintf(f, "  %-36s %7s\n", _("held at the end"),
			num(N(c, "issued") + N(c, "stored"), 0, n1, sizeof(n1)));
		fprintf(f, _("  %-36s %7s (destroyed in the period %s)\n"),
			_("withdrawn, awaiting destruction"),
			num(N(c, "withdrawn"), 0, n1, sizeof(n1)),
			num(N(m, "destroyed"), 0, n2, sizeof(n2)));
		fprintf(f, _("  SMS notices sent %s, failed %s\n"),
			num(N(cu, "sms_sent"), 0, n1, sizeof(n1)),
			num(N(cu, "sms_failed"), 0, n2, sizeof(n2)));
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
	struct i18n_doc d;

	switch (fmt) {
	case REPORT_TEXT:
		/* in the language the station's configuration names for documents */
		i18n_doc_begin(&d, json_string_value(json_object_get(r, "language")) ?: "");
		write_text(r, f);
		i18n_doc_end(&d);
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
