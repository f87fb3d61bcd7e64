/*
 * pdfdoc.h - A4 documents for people (cairo + pango): the stock report and
 * the berita acara of custody use the same page, header, tables and
 * signature block.
 */
#ifndef CETAK_PDFDOC_H
#define CETAK_PDFDOC_H

#include <cairo.h>
#include <stddef.h>
#include <time.h>

#define PDF_PAGE_W 595.0 /* A4 in points */
#define PDF_PAGE_H 842.0
#define PDF_MARGIN 50.0
#define PDF_BOTTOM (PDF_PAGE_H - PDF_MARGIN)
#define PDF_WIDTH (PDF_PAGE_W - 2 * PDF_MARGIN)

struct pdf {
	cairo_surface_t *sf;
	cairo_t *cr;
	double y; /* where the next line goes */
	int page;
	const char *office; /* repeated at the top of each further page */
	const char *footer; /* at the foot of each page, with its number */
};

/* Start a document at path. 0, or -EIO with why. */
int pdf_open(struct pdf *p, const char *path, const char *office, const char *footer, char *why,
	     size_t len);
/* Finish and write it. 0, or -EIO with why. */
int pdf_close(struct pdf *p, const char *path, char *why, size_t len);

/* Text at (x, y) in a box w wide; returns its height. align: 0 left, 1 right, 2 centre. */
double pdf_text(struct pdf *p, double x, double y, double w, const char *font, int align,
		const char *s);
/* A paragraph across the page, and the space after it. */
void pdf_para(struct pdf *p, const char *font, int align, const char *s, double after);
/* A new page when fewer than need points are left. */
void pdf_room(struct pdf *p, double need);
void pdf_rule(struct pdf *p);
void pdf_heading(struct pdf *p, const char *s);
/* label ... value */
void pdf_row(struct pdf *p, const char *label, const char *value);
void pdf_rowi(struct pdf *p, const char *label, long long v, int sign);
/* The columns of a table row at x offsets xs (from the margin). */
void pdf_cells(struct pdf *p, const char *font, const double *xs, const char *const *v, int n);
/* n signature boxes side by side, each with its caption and "nama / NIP". */
void pdf_signatures(struct pdf *p, const char *const *who, int n);
/* A report's berita acara, whole on one page: its heading, the opening
 * paragraph given, the closing sentence, the office and date of at, and the
 * signatures of the printing officer, two witnesses and the head of office. */
void pdf_berita(struct pdf *p, const char *opening, time_t at);

#endif
