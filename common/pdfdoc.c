/*
 * pdfdoc.c - A4 documents for people (pdfdoc.h).
 */
#include "pdfdoc.h"
#include "i18n.h"

#include <cairo-pdf.h>
#include <errno.h>
#include <pango/pangocairo.h>
#include <stdio.h>

int
pdf_open(struct pdf *p, const char *path, const char *office, const char *footer, char *why,
	 size_t len)
{
	p->sf = cairo_pdf_surface_create(path, PDF_PAGE_W, PDF_PAGE_H);
	if (cairo_surface_status(p->sf) != CAIRO_STATUS_SUCCESS) {
		snprintf(why, len, "cannot write %s: %s", path,
			 cairo_status_to_string(cairo_surface_status(p->sf)));
		cairo_surface_destroy(p->sf);
		return -EIO;
	}
	p->cr = cairo_create(p->sf);
	p->page = 1;
	p->y = PDF_MARGIN;
	p->office = office && office[0] ? office : "cetak station";
	p->footer = footer ? footer : "";
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	return 0;
}

static void
footer(struct pdf *p)
{
	char s[64];

	snprintf(s, sizeof(s), _("page %d"), p->page);
	pdf_text(p, PDF_MARGIN, PDF_PAGE_H - 35, PDF_WIDTH, "DejaVu Sans 7", 1, s);
	pdf_text(p, PDF_MARGIN, PDF_PAGE_H - 35, PDF_WIDTH - 60, "DejaVu Sans 7", 0, p->footer);
}

int
pdf_close(struct pdf *p, const char *path, char *why, size_t len)
{
	footer(p);
	cairo_show_page(p->cr);
	cairo_destroy(p->cr);
	cairo_surface_finish(p->sf);
	int st = cairo_surface_status(p->sf);
	cairo_surface_destroy(p->sf);
	if (st != CAIRO_STATUS_SUCCESS) {
		snprintf(why, len, "cannot write %s: %s", path, cairo_status_to_string(st));
		return -EIO;
	}
	return 0;
}

double
pdf_text(struct pdf *p, double x, double y, double w, const char *font, int align, const char *s)
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

void
pdf_para(struct pdf *p, const char *font, int align, const char *s, double after)
{
	pdf_room(p, 30);
	p->y += pdf_text(p, PDF_MARGIN, p->y, PDF_WIDTH, font, align, s) + after;
}

void
pdf_room(struct pdf *p, double need)
{
	if (p->y + need <= PDF_BOTTOM)
		return;
	footer(p);
	cairo_show_page(p->cr);
	p->page++;
	p->y = PDF_MARGIN;
	pdf_text(p, PDF_MARGIN, p->y, PDF_WIDTH, "DejaVu Sans 8", 0, p->office);
	p->y += 20;
}

void
pdf_rule(struct pdf *p)
{
	cairo_move_to(p->cr, PDF_MARGIN, p->y);
	cairo_line_to(p->cr, PDF_PAGE_W - PDF_MARGIN, p->y);
	cairo_set_line_width(p->cr, 0.5);
	cairo_stroke(p->cr);
	p->y += 6;
}

void
pdf_heading(struct pdf *p, const char *s)
{
	pdf_room(p, 60);
	p->y += 8;
	p->y += pdf_text(p, PDF_MARGIN, p->y, PDF_WIDTH, "DejaVu Sans Bold 10", 0, s) + 2;
	pdf_rule(p);
}

void
pdf_row(struct pdf *p, const char *label, const char *value)
{
	pdf_room(p, 14);
	double h = pdf_text(p, PDF_MARGIN + 10, p->y, 300, "DejaVu Sans 9", 0, label);
	pdf_text(p, PDF_MARGIN + 310, p->y, 120, "DejaVu Sans Mono 9", 1, value);
	p->y += h > 13 ? h + 2 : 13; /* a label that wrapped takes its lines */
}

void
pdf_rowi(struct pdf *p, const char *label, long long v, int sign)
{
	char s[32];

	char d[30];

	/* as the document's language writes numbers (1.234 or 1,234) */
	i18n_int(v < 0 ? -v : v, d, sizeof(d));
	snprintf(s, sizeof(s), "%s%s", v < 0 ? "-" : sign ? "+" : "", d);
	pdf_row(p, label, s);
}

void
pdf_cells(struct pdf *p, const char *font, const double *xs, const char *const *v, int n)
{
	double h = 0;

	pdf_room(p, 13);
	for (int i = 0; i < n; i++) {
		double w = (i + 1 < n ? xs[i + 1] : PDF_WIDTH) - xs[i] - 4;
		double hi = pdf_text(p, PDF_MARGIN + xs[i], p->y, w, font, 0, v[i]);
		if (hi > h)
			h = hi;
	}
	p->y += h + 2;
}

void
pdf_signatures(struct pdf *p, const char *const *who, int n)
{
	double w = PDF_WIDTH / n;

	pdf_room(p, 110);
	p->y += 10;
	cairo_set_line_width(p->cr, 0.5);
	for (int i = 0; i < n; i++) {
		double x = PDF_MARGIN + i * w;
		pdf_text(p, x, p->y, w - 8, "DejaVu Sans 8", 2, who[i]);
		cairo_move_to(p->cr, x + 8, p->y + 80);
		cairo_line_to(p->cr, x + w - 16, p->y + 80);
		cairo_stroke(p->cr);
		pdf_text(p, x, p->y + 83, w - 8, "DejaVu Sans 7", 2, _("name / NIP"));
	}
	p->y += 100;
}

void
pdf_berita(struct pdf *p, const char *opening, time_t at)
{
	char day[64], s[400];
	const char *const who[] = { _("Printing officer"), _("Witness 1"), _("Witness 2"),
				    _("Acknowledged by,\nthe Head of Office") };

	pdf_room(p, 220);
	pdf_heading(p, _("Berita acara"));
	pdf_para(p, "DejaVu Sans 8", 0, opening, 4);
	pdf_para(p, "DejaVu Sans 8", 0,
		 _("This berita acara was made truthfully, to be used as it may be needed."), 4);
	snprintf(s, sizeof(s), "%s, %s", p->office, i18n_date(at, day, sizeof(day)));
	pdf_para(p, "DejaVu Sans 8", 1, s, 2);
	pdf_signatures(p, who, 4);
}
