/*
 * report_pdf.c - the printable stock report (A4, cairo + pango): the office
 * header and period, the summary, spoiled cards by cause and per line, a
 * chart of daily use, the destruction list, and the signature lines of a
 * berita acara (officer, two witnesses, head of office).
 */
#include "report.h"
#include "common/i18n.h"
#include "common/pdfdoc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define N(o, k) ((long long)json_integer_value(json_object_get(o, k)))
#define PAGE_W PDF_PAGE_W
#define MARGIN PDF_MARGIN

static void
chart(struct pdf *p, json_t *days)
{
	size_t n = json_array_size(days), i;
	long long max = 1;
	json_t *d;
	const double h = 120, w = PAGE_W - 2 * MARGIN - 40, x0 = MARGIN + 30;
	char s[32];

	if (!n)
		return;
	json_array_foreach(days, i, d) if (N(d, "issued") + N(d, "spoiled") > max) max =
		N(d, "issued") + N(d, "spoiled");
	pdf_room(p, h + 40);
	double base = p->y + h, bw = w / (double)n;
	cairo_set_line_width(p->cr, 0.5);
	cairo_move_to(p->cr, x0, p->y);
	cairo_line_to(p->cr, x0, base);
	cairo_line_to(p->cr, x0 + w, base);
	cairo_stroke(p->cr);
	snprintf(s, sizeof(s), "%lld", max);
	pdf_text(p, MARGIN - 10, p->y - 4, 36, "DejaVu Sans 7", 1, s);
	pdf_text(p, MARGIN - 10, base - 8, 36, "DejaVu Sans 7", 1, "0");
	json_array_foreach(days, i, d)
	{
		double hi = h * (double)N(d, "issued") / (double)max;
		double hs = h * (double)N(d, "spoiled") / (double)max;
		double x = x0 + (double)i * bw + bw * 0.15;
		cairo_set_source_rgb(p->cr, 0.2, 0.3, 0.6);
		cairo_rectangle(p->cr, x, base - hi, bw * 0.7, hi);
		cairo_fill(p->cr);
		cairo_set_source_rgb(p->cr, 0.8, 0.2, 0.1);
		cairo_rectangle(p->cr, x, base - hi - hs, bw * 0.7, hs);
		cairo_fill(p->cr);
		cairo_set_source_rgb(p->cr, 0, 0, 0);
		if (n <= 31 || i % 7 == 0) {
			char day[8];
			time_t t = (time_t)N(d, "at");
			struct tm tm;
			localtime_r(&t, &tm);
			strftime(day, sizeof(day), "%d", &tm);
			pdf_text(p, x - 4, base + 2, bw + 8, "DejaVu Sans 6", 2, day);
		}
	}
	p->y = base + 14;
	pdf_text(p, x0, p->y, w, "DejaVu Sans 7", 0,
		 _("cards per day: issued (blue) and spoiled (red)"));
	p->y += 14;
}

static int write_pdf(json_t *r, const char *office, const char *path, char *why, size_t len);

int
report_write_pdf(json_t *r, const char *office, const char *path, char *why, size_t len)
{
	struct i18n_doc d;

	/* in the language the station's configuration names for documents */
	i18n_doc_begin(&d, json_string_value(json_object_get(r, "language")) ?: "");
	int rc = write_pdf(r, office, path, why, len);
	i18n_doc_end(&d);
	return rc;
}

static int
write_pdf(json_t *r, const char *office, const char *path, char *why, size_t len)
{
	json_t *t = json_object_get(r, "totals"), *v, *w;
	const char *k;
	char period[128], a[32], b[32], s[256];
	struct pdf p;
	size_t i;

	time_t t0 = (time_t)N(r, "from"), t1 = (time_t)N(r, "to") - 1;
	struct tm tm;
	strftime(a, sizeof(a), "%Y-%m-%d", localtime_r(&t0, &tm));
	strftime(b, sizeof(b), "%Y-%m-%d", localtime_r(&t1, &tm));
	const char *title = json_string_value(json_object_get(r, "report")) ?: "range";
	title = !strcmp(title, "daily")	    ? _("daily")
		: !strcmp(title, "monthly") ? _("monthly")
		: !strcmp(title, "range")   ? _("range")
					    : title;
	snprintf(period, sizeof(period), _("%s report, %s to %s"), title, a, b);
	if (json_object_get(r, "line")) {
		size_t n = strlen(period);
		snprintf(period + n, sizeof(period) - n, _(", line %s"),
			 json_string_value(json_object_get(r, "line")));
	}
	if (pdf_open(&p, path, office, period, why, len) < 0)
		return -EIO;

	p.y += pdf_text(&p, MARGIN, p.y, PAGE_W - 2 * MARGIN, "DejaVu Sans Bold 13", 2, p.office) +
	       4;
	p.y += pdf_text(&p, MARGIN, p.y, PAGE_W - 2 * MARGIN, "DejaVu Sans Bold 11", 2,
			_("BLANK-CARD STOCK REPORT")) +
	       4;
	p.y += pdf_text(&p, MARGIN, p.y, PAGE_W - 2 * MARGIN, "DejaVu Sans 9", 2, period) + 10;

	pdf_heading(&p, _("Summary"));
	json_t *op = json_object_get(r, "opening"), *cl = json_object_get(r, "closing");
	pdf_rowi(&p, _("opening balance (blanks on hand)"), N(op, "on_hand"), 0);
	pdf_rowi(&p, _("received"), N(t, "received"), 1);
	pdf_rowi(&p, _("stocktake differences"), N(t, "discrepancy"), 1);
	pdf_rowi(&p, _("issued"), -N(t, "issued"), 1);
	pdf_rowi(&p, _("spoiled"), -N(t, "spoiled"), 1);
	pdf_rowi(&p, _("transferred out"), -N(t, "transferred"), 1);
	pdf_rowi(&p, _("closing balance (blanks on hand)"), N(cl, "on_hand"), 0);
	pdf_rowi(&p, _("spoiled cards destroyed"), N(t, "destroyed"), 0);
	pdf_rowi(&p, _("spoiled cards awaiting destruction at the end"), N(cl, "spoiled_pending"),
		 0);
	if ((v = json_object_get(r, "balanced")))
		pdf_row(&p,
			json_is_true(v) ? _("the books balance over the period")
					: _("THE BOOKS DO NOT BALANCE"),
			"");

	pdf_heading(&p, _("Spoiled cards by cause"));
	json_object_foreach(json_object_get(r, "by_cause"), k, v)
		pdf_rowi(&p, k, (long long)json_integer_value(v), 0);

	pdf_heading(&p, _("Per line (issued / spoiled)"));
	json_object_foreach(json_object_get(r, "lines"), k, v)
	{
		snprintf(s, sizeof(s), "%lld / %lld", N(v, "issued"), N(v, "spoiled"));
		snprintf(a, sizeof(a), _("line %s"), k);
		pdf_row(&p, a, s);
	}

	if (json_array_size(json_object_get(r, "ribbons"))) {
		pdf_heading(&p, _("Ribbons: loaded, and the yield of each taken out"));
		json_array_foreach(json_object_get(r, "ribbons"), i, w)
		{
			snprintf(a, sizeof(a), _("line %s: %s (rated %lld)"),
				 json_string_value(json_object_get(w, "line")),
				 json_string_value(json_object_get(w, "ribbon")), N(w, "count"));
			const char *prev = json_string_value(json_object_get(w, "replaces"));
			if (prev && prev[0])
				snprintf(s, sizeof(s),
					 _("replaced %s: %lld of %lld prints, %.0f%%"), prev,
					 N(w, "replaces_prints"), N(w, "replaces_rated"),
					 N(w, "replaces_rated")
						 ? 100.0 * (double)N(w, "replaces_prints") /
							   (double)N(w, "replaces_rated")
						 : 0.0);
			else
				snprintf(s, sizeof(s), _("first ribbon recorded"));
			pdf_row(&p, a, s);
		}
	}

	pdf_heading(&p, _("Daily use"));
	chart(&p, json_object_get(r, "days"));

	pdf_heading(&p, _("Destruction list: spoiled cards of the period"));
	static const double xs[] = { 0, 84, 116, 212, 312, 388 };
	const char *const hd[] = { _("time"), _("line"),  _("chip serial"),
				   _("job"),  _("cause"), _("operator") };
	pdf_cells(&p, "DejaVu Sans Bold 7", xs, hd, 6);
	json_array_foreach(json_object_get(r, "spoiled_cards"), i, w)
	{
		char when[32];
		time_t tt = (time_t)N(w, "at");
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime_r(&tt, &tm));
		const char *c[] = { when,
				    json_string_value(json_object_get(w, "line")),
				    json_string_value(json_object_get(w, "chip")),
				    json_string_value(json_object_get(w, "job")),
				    json_string_value(json_object_get(w, "cause")),
				    json_string_value(json_object_get(w, "operator")) };
		for (int j = 0; j < 6; j++)
			if (!c[j] || !c[j][0])
				c[j] = "-";
		pdf_cells(&p, "DejaVu Sans 7", xs, c, 6);
	}
	snprintf(s, sizeof(s), _("%zu spoiled cards listed; %lld destroyed in the period"),
		 json_array_size(json_object_get(r, "spoiled_cards")), N(t, "destroyed"));
	p.y += 4;
	pdf_row(&p, s, "");
	json_array_foreach(json_object_get(r, "destructions"), i, w)
	{
		char when[32];
		time_t tt = (time_t)N(w, "at");
		strftime(when, sizeof(when), "%Y-%m-%d", localtime_r(&tt, &tm));
		snprintf(s, sizeof(s), _("%s: %lld cards, berita acara %s, witnesses: %s"), when,
			 N(w, "count"), json_string_value(json_object_get(w, "doc")),
			 json_string_value(json_object_get(w, "note")));
		pdf_room(&p, 14);
		p.y += pdf_text(&p, MARGIN + 10, p.y, PAGE_W - 2 * MARGIN - 10, "DejaVu Sans 8", 0,
				s);
	}

	json_t *cu = json_object_get(r, "custody");
	if (cu) {
		json_t *o = json_object_get(cu, "opening"), *c = json_object_get(cu, "closing"),
		       *m = json_object_get(cu, "moved");
		pdf_heading(&p, _("Custody of issued cards (KTP-el yang sudah dicetak)"));
		pdf_rowi(&p, _("held at the start (output hopper and stored)"),
			 N(o, "issued") + N(o, "stored"), 0);
		pdf_rowi(&p, _("issued"), N(m, "issued"), 1);
		pdf_rowi(&p, _("collected"), -N(m, "collected"), 1);
		pdf_rowi(&p, _("transferred to a kecamatan"), -N(m, "transferred"), 1);
		pdf_rowi(&p, _("withdrawn"), -N(m, "withdrawn"), 1);
		pdf_rowi(&p, _("held at the end"), N(c, "issued") + N(c, "stored"), 0);
		pdf_rowi(&p, _("withdrawn, awaiting destruction"), N(c, "withdrawn"), 0);
		pdf_rowi(&p, _("SMS notices sent"), N(cu, "sms_sent"), 0);
		pdf_rowi(&p, _("SMS notices failed (sent again)"), N(cu, "sms_failed"), 0);
	}

	{
		char words[128], para[900];
		time_t now = (time_t)N(r, "to") - 1;
		struct tm tn;
		localtime_r(&now, &tn);
		i18n_words(tn.tm_year + 1900, words, sizeof(words));
		snprintf(para, sizeof(para),
			 _("On this day, %s, the %d day of %s of the year %s, at %s, we the "
			   "undersigned have examined the use of blank KTP-el cards for the "
			   "period %s to %s as set out above: %lld received, %lld issued, "
			   "%lld spoiled, %lld transferred out, %lld on hand at the end."),
			 i18n_weekday(tn.tm_wday), tn.tm_mday, i18n_month(tn.tm_mon), words,
			 p.office, a, b, N(t, "received"), N(t, "issued"), N(t, "spoiled"),
			 N(t, "transferred"), N(json_object_get(r, "closing"), "on_hand"));
		pdf_berita(&p, para, now);
	}
	if (pdf_close(&p, path, why, len) < 0)
		return -EIO;
	return 0;
}
