/*
 * report_pdf.c - the printable stock report (A4, cairo + pango): the office
 * header and period, the summary, spoiled cards by cause and per line, a
 * chart of daily use, the destruction list, and the signature lines of a
 * berita acara (officer, two witnesses, head of office).
 */
#include "report.h"

#include <cairo-pdf.h>
#include <errno.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PAGE_W 595.0 /* A4 in points */
#define PAGE_H 842.0
#define MARGIN 50.0
#define BOTTOM (PAGE_H - MARGIN)

struct pdf {
	cairo_t *cr;
	double y;
	int page;
	const char *office, *period;
};

#define N(o, k) ((long long)json_integer_value(json_object_get(o, k)))

/* Text at (x, y) in a box w wide; returns its height. align: 0 left, 1 right, 2 centre. */
static double
text(struct pdf *p, double x, double y, double w, const char *font, int align, const char *s)
{
	PangoLayout *l = pango_cairo_create_layout(p->cr);
	PangoFontDescription *fd = pango_font_description_from_string(font);
	int pw, ph;

	pango_layout_set_font_description(l, fd);
	pango_layout_set_width(l, (int)(w * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(l, align == 1   ? PANGO_ALIGN_RIGHT
				      : align == 2 ? PANGO_ALIGN_CENTER
						   : PANGO_ALIGN_LEFT);
	pango_layout_set_text(l, s, -1);
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, l);
	pango_layout_get_size(l, &pw, &ph);
	pango_font_description_free(fd);
	g_object_unref(l);
	return (double)ph / PANGO_SCALE;
}

static void
footer(struct pdf *p)
{
	char s[64];

	snprintf(s, sizeof(s), "page %d", p->page);
	text(p, MARGIN, PAGE_H - 35, PAGE_W - 2 * MARGIN, "DejaVu Sans 7", 1, s);
	text(p, MARGIN, PAGE_H - 35, PAGE_W - 2 * MARGIN, "DejaVu Sans 7", 0, p->period);
}

/* A new page when fewer than need points are left. */
static void
room(struct pdf *p, double need)
{
	if (p->y + need <= BOTTOM)
		return;
	footer(p);
	cairo_show_page(p->cr);
	p->page++;
	p->y = MARGIN;
	text(p, MARGIN, p->y, PAGE_W - 2 * MARGIN, "DejaVu Sans 8", 0, p->office);
	p->y += 20;
}

static void
rule(struct pdf *p)
{
	cairo_move_to(p->cr, MARGIN, p->y);
	cairo_line_to(p->cr, PAGE_W - MARGIN, p->y);
	cairo_set_line_width(p->cr, 0.5);
	cairo_stroke(p->cr);
	p->y += 6;
}

static void
heading(struct pdf *p, const char *s)
{
	room(p, 60);
	p->y += 8;
	p->y += text(p, MARGIN, p->y, PAGE_W - 2 * MARGIN, "DejaVu Sans Bold 10", 0, s) + 2;
	rule(p);
}

/* label ... value */
static void
row(struct pdf *p, const char *label, const char *value)
{
	room(p, 14);
	text(p, MARGIN + 10, p->y, 300, "DejaVu Sans 9", 0, label);
	text(p, MARGIN + 310, p->y, 120, "DejaVu Sans Mono 9", 1, value);
	p->y += 13;
}

static void
rowi(struct pdf *p, const char *label, long long v, int sign)
{
	char s[32];

	snprintf(s, sizeof(s), sign ? "%+lld" : "%lld", v);
	row(p, label, s);
}

/* columns of a table row, at the given x offsets */
static void
cells(struct pdf *p, const char *font, const double *xs, const char *const *v, int n)
{
	double h = 0;

	room(p, 13);
	for (int i = 0; i < n; i++) {
		double w = (i + 1 < n ? xs[i + 1] : PAGE_W - 2 * MARGIN) - xs[i] - 4;
		double hi = text(p, MARGIN + xs[i], p->y, w, font, 0, v[i]);
		if (hi > h)
			h = hi;
	}
	p->y += h + 2;
}

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
	room(p, h + 40);
	double base = p->y + h, bw = w / (double)n;
	cairo_set_line_width(p->cr, 0.5);
	cairo_move_to(p->cr, x0, p->y);
	cairo_line_to(p->cr, x0, base);
	cairo_line_to(p->cr, x0 + w, base);
	cairo_stroke(p->cr);
	snprintf(s, sizeof(s), "%lld", max);
	text(p, MARGIN - 10, p->y - 4, 36, "DejaVu Sans 7", 1, s);
	text(p, MARGIN - 10, base - 8, 36, "DejaVu Sans 7", 1, "0");
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
			text(p, x - 4, base + 2, bw + 8, "DejaVu Sans 6", 2, day);
		}
	}
	p->y = base + 14;
	text(p, x0, p->y, w, "DejaVu Sans 7", 0, "cards per day: issued (blue) and spoiled (red)");
	p->y += 14;
}

static void
signatures(struct pdf *p)
{
	static const char *const who[] = { "Petugas pencetakan\n(printing officer)",
					   "Saksi 1\n(witness)", "Saksi 2\n(witness)",
					   "Mengetahui, Kepala Dinas\n(head of office)" };
	double w = (PAGE_W - 2 * MARGIN) / 4;

	room(p, 110);
	p->y += 10;
	for (int i = 0; i < 4; i++) {
		double x = MARGIN + i * w;
		text(p, x, p->y, w - 8, "DejaVu Sans 8", 2, who[i]);
		cairo_move_to(p->cr, x + 8, p->y + 80);
		cairo_line_to(p->cr, x + w - 16, p->y + 80);
		cairo_stroke(p->cr);
		text(p, x, p->y + 83, w - 8, "DejaVu Sans 7", 2, "nama / NIP");
	}
	p->y += 100;
}

int
report_write_pdf(json_t *r, const char *office, const char *path, char *why, size_t len)
{
	cairo_surface_t *sf = cairo_pdf_surface_create(path, PAGE_W, PAGE_H);
	json_t *t = json_object_get(r, "totals"), *v, *w;
	const char *k;
	char period[128], a[32], b[32], s[256];
	struct pdf p = { .page = 1, .office = office && office[0] ? office : "cetak station" };
	size_t i;

	if (cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS) {
		snprintf(why, len, "cannot write %s: %s", path,
			 cairo_status_to_string(cairo_surface_status(sf)));
		cairo_surface_destroy(sf);
		return -EIO;
	}
	p.cr = cairo_create(sf);
	time_t t0 = (time_t)N(r, "from"), t1 = (time_t)N(r, "to") - 1;
	struct tm tm;
	strftime(a, sizeof(a), "%Y-%m-%d", localtime_r(&t0, &tm));
	strftime(b, sizeof(b), "%Y-%m-%d", localtime_r(&t1, &tm));
	snprintf(period, sizeof(period), "%s report, %s to %s%s%s",
		 json_string_value(json_object_get(r, "report")), a, b,
		 json_object_get(r, "line") ? ", line " : "",
		 json_object_get(r, "line") ? json_string_value(json_object_get(r, "line")) : "");
	p.period = period;
	cairo_set_source_rgb(p.cr, 0, 0, 0);

	p.y = MARGIN;
	p.y += text(&p, MARGIN, p.y, PAGE_W - 2 * MARGIN, "DejaVu Sans Bold 13", 2, p.office) + 4;
	p.y += text(&p, MARGIN, p.y, PAGE_W - 2 * MARGIN, "DejaVu Sans Bold 11", 2,
		    "LAPORAN PENGGUNAAN BLANGKO KTP-EL\nBlank-card stock report") +
	       4;
	p.y += text(&p, MARGIN, p.y, PAGE_W - 2 * MARGIN, "DejaVu Sans 9", 2, period) + 10;

	heading(&p, "Summary");
	json_t *op = json_object_get(r, "opening"), *cl = json_object_get(r, "closing");
	rowi(&p, "opening balance (blanks on hand)", N(op, "on_hand"), 0);
	rowi(&p, "received", N(t, "received"), 1);
	rowi(&p, "stocktake differences", N(t, "discrepancy"), 1);
	rowi(&p, "issued", -N(t, "issued"), 1);
	rowi(&p, "spoiled", -N(t, "spoiled"), 1);
	rowi(&p, "transferred out", -N(t, "transferred"), 1);
	rowi(&p, "closing balance (blanks on hand)", N(cl, "on_hand"), 0);
	rowi(&p, "spoiled cards destroyed", N(t, "destroyed"), 0);
	rowi(&p, "spoiled cards awaiting destruction at the end", N(cl, "spoiled_pending"), 0);
	if ((v = json_object_get(r, "balanced")))
		row(&p,
		    json_is_true(v) ? "the books balance over the period"
				    : "THE BOOKS DO NOT BALANCE",
		    "");

	heading(&p, "Spoiled cards by cause");
	json_object_foreach(json_object_get(r, "by_cause"), k, v)
		rowi(&p, k, (long long)json_integer_value(v), 0);

	heading(&p, "Per line (issued / spoiled)");
	json_object_foreach(json_object_get(r, "lines"), k, v)
	{
		snprintf(s, sizeof(s), "%lld / %lld", N(v, "issued"), N(v, "spoiled"));
		snprintf(a, sizeof(a), "line %s", k);
		row(&p, a, s);
	}

	if (json_array_size(json_object_get(r, "ribbons"))) {
		heading(&p, "Ribbons: loaded, and the yield of each taken out");
		json_array_foreach(json_object_get(r, "ribbons"), i, w)
		{
			snprintf(a, sizeof(a), "line %s: %s (rated %lld)",
				 json_string_value(json_object_get(w, "line")),
				 json_string_value(json_object_get(w, "ribbon")), N(w, "count"));
			const char *prev = json_string_value(json_object_get(w, "replaces"));
			if (prev && prev[0])
				snprintf(s, sizeof(s), "replaced %s: %lld of %lld prints, %.0f%%",
					 prev, N(w, "replaces_prints"), N(w, "replaces_rated"),
					 N(w, "replaces_rated")
						 ? 100.0 * (double)N(w, "replaces_prints") /
							   (double)N(w, "replaces_rated")
						 : 0.0);
			else
				snprintf(s, sizeof(s), "first ribbon recorded");
			row(&p, a, s);
		}
	}

	heading(&p, "Daily use");
	chart(&p, json_object_get(r, "days"));

	heading(&p, "Destruction list: spoiled cards of the period");
	static const double xs[] = { 0, 90, 116, 216, 316, 390 };
	static const char *const hd[] = {
		"time", "line", "chip serial", "job", "cause", "operator"
	};
	cells(&p, "DejaVu Sans Bold 7", xs, hd, 6);
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
		cells(&p, "DejaVu Sans 7", xs, c, 6);
	}
	snprintf(s, sizeof(s), "%zu spoiled cards listed; %lld destroyed in the period",
		 json_array_size(json_object_get(r, "spoiled_cards")), N(t, "destroyed"));
	p.y += 4;
	row(&p, s, "");
	json_array_foreach(json_object_get(r, "destructions"), i, w)
	{
		char when[32];
		time_t tt = (time_t)N(w, "at");
		strftime(when, sizeof(when), "%Y-%m-%d", localtime_r(&tt, &tm));
		snprintf(s, sizeof(s), "%s: %lld cards, berita acara %s, witnesses: %s", when,
			 N(w, "count"), json_string_value(json_object_get(w, "doc")),
			 json_string_value(json_object_get(w, "note")));
		room(&p, 14);
		p.y += text(&p, MARGIN + 10, p.y, PAGE_W - 2 * MARGIN - 10, "DejaVu Sans 8", 0, s);
	}

	heading(&p, "Berita acara: signatures");
	signatures(&p);
	footer(&p);
	cairo_show_page(p.cr);
	cairo_destroy(p.cr);
	cairo_surface_finish(sf);
	int st = cairo_surface_status(sf);
	cairo_surface_destroy(sf);
	if (st != CAIRO_STATUS_SUCCESS) {
		snprintf(why, len, "cannot write %s: %s", path, cairo_status_to_string(st));
		return -EIO;
	}
	return 0;
}
