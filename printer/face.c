/*
 * face.c - layout loading, text fitting and drawing of the card face.
 *
 * Drawing happens in millimetres (cairo_scale), so the same code makes the
 * PDF (points), the preview raster and the panels. Three passes share one
 * drawing function: everything (PDF, PNG), colour only (Y M C panels), text
 * and rules only (K panel). Everything is clipped away from the keep-out area.
 */
#define _GNU_SOURCE
#include "face.h"
#include "jobs/job.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <errno.h>
#include <libconfig.h>
#include <pango/pangocairo.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
/* jpeglib.h needs FILE and size_t first */
#include <jpeglib.h>
#include <setjmp.h>

#define PT_MM 0.3527778 /* one point in millimetres */
#define MAX_ROWS 20
#define MAX_HEADER 4

struct rect {
	double x, y, w, h;
};

/*
 * A value template ("@holder.birth_place+, +%date(@holder.birth_date)"),
 * compiled when the layout is loaded: literal text, a job field, or a job
 * field that is a date (printed DD-MM-YYYY).
 */
#define MAX_SEGS 8
enum seg_kind { SEG_TEXT, SEG_FIELD, SEG_DATE };

struct seg {
	enum seg_kind kind;
	enum job_fid field;
	char text[48];
};

struct tpl {
	struct seg seg[MAX_SEGS];
	int n;
};

struct text {
	struct tpl text;
	double x, y, w, size, min_size;
	int max_lines, center, bold;
};

struct row {
	char label[40], extra_label[40];
	struct tpl value, extra_value;
	double y, size, min_size, indent, extra_x;
	int max_lines, bold;
};

struct face_layout {
	atomic_int extra; /* references beyond the first (face_layout_ref) */
	char name[32], font[64];
	double width, height, bg[3];
	struct rect keepout, photo, signature;
	struct text header[MAX_HEADER], issue, issue_date;
	int n_header;
	double label_x, label_w, colon_x, value_x, value_w;
	struct row rows[MAX_ROWS];
	int n_rows;
};

enum pass { PASS_ALL, PASS_COLOUR, PASS_TEXT };

/* ---- loading ---- */

static double
num(const config_setting_t *g, const char *key, double def)
{
	double d;
	int i;

	if (config_setting_lookup_float(g, key, &d))
		return d;
	if (config_setting_lookup_int(g, key, &i))
		return i;
	return def;
}

static void
str(const config_setting_t *g, const char *key, char *out, size_t n)
{
	const char *s;

	if (config_setting_lookup_string(g, key, &s))
		snprintf(out, n, "%s", s);
}

static void
read_rect(const config_setting_t *g, const char *key, struct rect *r)
{
	const config_setting_t *s = config_setting_get_member(g, key);

	if (!s)
		return;
	r->x = num(s, "x", 0), r->y = num(s, "y", 0), r->w = num(s, "w", 0), r->h = num(s, "h", 0);
}

/*
 * Compile the template at key of g into t (empty when absent). An unknown
 * job field is an error that names the line and the field.
 */
static int
read_tpl(const char *path, const config_setting_t *g, const char *key, struct tpl *t, FILE *errs)
{
	const char *src;
	char *copy, *save = NULL;
	int rc = 0;

	t->n = 0;
	if (!config_setting_lookup_string(g, key, &src))
		return 0;
	if (!(copy = strdup(src)))
		return -ENOMEM;
	for (char *tok = strtok_r(copy, "+", &save); tok && rc == 0;
	     tok = strtok_r(NULL, "+", &save)) {
		struct seg *sg = &t->seg[t->n];
		const char *field = NULL;
		char name[64];
		if (t->n == MAX_SEGS) {
			fprintf(errs, "%s:%u: %s: more than %d parts joined by '+'\n", path,
				config_setting_source_line(g), key, MAX_SEGS);
			rc = -EINVAL;
			break;
		}
		if (tok[0] == '@') {
			sg->kind = SEG_FIELD;
			field = tok + 1;
		} else if (strncmp(tok, "%date(@", 7) == 0 && tok[strlen(tok) - 1] == ')') {
			sg->kind = SEG_DATE;
			snprintf(name, sizeof(name), "%.*s", (int)strlen(tok) - 8, tok + 7);
			field = name;
		} else {
			sg->kind = SEG_TEXT;
			snprintf(sg->text, sizeof(sg->text), "%s", tok);
		}
		if (field) {
			int f = job_field_id(field);
			if (f < 0) {
				fprintf(errs,
					"%s:%u: %s: \"@%s\" is not a field of a job (the fields "
					"are "
					"in docs/job-format.md, e.g. @holder.name)\n",
					path, config_setting_source_line(g), key, field);
				rc = -EINVAL;
			}
			sg->field = (enum job_fid)f;
		}
		t->n++;
	}
	free(copy);
	return rc;
}

static int
read_text(const char *path, const config_setting_t *s, struct text *t, FILE *errs)
{
	const char *a;
	int b = 0;

	if (read_tpl(path, s, "text", &t->text, errs) < 0)
		return -EINVAL;
	t->x = num(s, "x", 0), t->y = num(s, "y", 0), t->w = num(s, "w", 10);
	t->size = num(s, "size", 6), t->min_size = num(s, "min_size", t->size);
	t->max_lines = (int)num(s, "max_lines", 1);
	t->center = config_setting_lookup_string(s, "align", &a) && strcmp(a, "center") == 0;
	config_setting_lookup_bool(s, "bold", &b);
	t->bold = b;
	return 0;
}

static int
overlaps(const struct rect *a, double x, double y, double w, double h)
{
	return x < a->x + a->w && a->x < x + w && y < a->y + a->h && a->y < y + h;
}

int
face_layout_load(const char *path, FILE *errs, struct face_layout **ret)
{
	config_t lc;
	config_setting_t *g, *list;
	struct face_layout *l = calloc(1, sizeof(*l));
	const char *bg = "#FFFFFF";
	unsigned r, gr, b;
	int rc = -EINVAL;

	if (!l)
		return -ENOMEM;
	config_init(&lc);
	if (!config_read_file(&lc, path)) {
		fprintf(errs, "%s:%d: %s\n", path, config_error_line(&lc), config_error_text(&lc));
		goto out;
	}
	g = config_lookup(&lc, "layout");
	if (!g) {
		fprintf(errs, "%s: no 'layout = { ... };' group\n", path);
		goto out;
	}
	str(g, "name", l->name, sizeof(l->name));
	snprintf(l->font, sizeof(l->font), "DejaVu Sans");
	str(g, "font", l->font, sizeof(l->font));
	l->width = num(g, "width", 85.6), l->height = num(g, "height", 53.98);
	config_setting_lookup_string(g, "background", &bg);
	if (sscanf(bg, "#%2x%2x%2x", &r, &gr, &b) != 3) {
		fprintf(errs, "%s:%u: background must be \"#RRGGBB\"\n", path,
			config_setting_source_line(g));
		goto out;
	}
	l->bg[0] = r / 255.0, l->bg[1] = gr / 255.0, l->bg[2] = b / 255.0;
	read_rect(g, "keepout", &l->keepout);
	read_rect(g, "photo", &l->photo);
	read_rect(g, "signature", &l->signature);
	l->label_x = num(g, "label_x", 2), l->label_w = num(g, "label_w", 18);
	l->colon_x = num(g, "colon_x", 20), l->value_x = num(g, "value_x", 21);
	l->value_w = num(g, "value_w", 40);
	if ((list = config_setting_get_member(g, "header")))
		for (int i = 0; i < config_setting_length(list) && i < MAX_HEADER;
		     i++, l->n_header++)
			if (read_text(path, config_setting_get_elem(list, (unsigned)i),
				      &l->header[i], errs) < 0)
				goto out;
	if ((list = config_setting_get_member(g, "issue")) &&
	    read_text(path, list, &l->issue, errs) < 0)
		goto out;
	if ((list = config_setting_get_member(g, "issue_date")) &&
	    read_text(path, list, &l->issue_date, errs) < 0)
		goto out;
	list = config_setting_get_member(g, "rows");
	for (int i = 0; list && i < config_setting_length(list) && i < MAX_ROWS; i++) {
		config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		struct row *w = &l->rows[l->n_rows++];
		int b2 = 0;
		str(s, "label", w->label, sizeof(w->label));
		str(s, "extra_label", w->extra_label, sizeof(w->extra_label));
		if (read_tpl(path, s, "value", &w->value, errs) < 0 ||
		    read_tpl(path, s, "extra_value", &w->extra_value, errs) < 0)
			goto out;
		w->y = num(s, "y", 0), w->size = num(s, "size", 6);
		w->min_size = num(s, "min_size", w->size), w->indent = num(s, "indent", 0);
		w->extra_x = num(s, "extra_x", 0), w->max_lines = (int)num(s, "max_lines", 1);
		config_setting_lookup_bool(s, "bold", &b2);
		w->bold = b2;
		double h = w->max_lines * w->size * PT_MM * 1.25;
		if (overlaps(&l->keepout, l->label_x, w->y, l->value_x + l->value_w - l->label_x,
			     h)) {
			fprintf(errs, "%s:%u: row '%s' crosses the keep-out area; move it\n", path,
				config_setting_source_line(s), w->label);
			goto out;
		}
	}
	if (l->n_rows == 0) {
		fprintf(errs, "%s: the layout has no rows\n", path);
		goto out;
	}
	rc = 0;
out:
	config_destroy(&lc);
	if (rc < 0) {
		free(l);
		return rc;
	}
	*ret = l;
	return 0;
}

void
face_layout_free(struct face_layout *l)
{
	if (l && atomic_fetch_sub(&l->extra, 1) <= 0)
		free(l);
}

struct face_layout *
face_layout_ref(struct face_layout *l)
{
	atomic_fetch_add(&l->extra, 1);
	return l;
}

/* ---- values ---- */

/* The template's text for this job. */
static void
expand(const struct tpl *t, const struct job *job, char *out, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < t->n; i++) {
		const struct seg *sg = &t->seg[i];
		const char *v = sg->kind == SEG_TEXT ? sg->text : job->field[sg->field];
		if (sg->kind == SEG_DATE && strlen(v) == 10)
			used += (size_t)snprintf(out + used, used < n ? n - used : 0,
						 "%.2s-%.2s-%.4s", v + 8, v + 5, v);
		else
			used += (size_t)snprintf(out + used, used < n ? n - used : 0, "%s", v);
	}
}

/* ---- text ---- */

/* One PangoLayout per pass, reconfigured for every text. */
struct pen {
	cairo_t *cr;
	PangoLayout *pl;
	PangoFontDescription *fd;
	int check_only; /* fit the job's values, draw nothing, skip fixed labels */
};

static void
pen_init(struct pen *p, cairo_t *cr, const char *font, int check_only)
{
	cairo_font_options_t *fo = cairo_font_options_create();

	p->cr = cr;
	p->check_only = check_only;
	p->pl = pango_cairo_create_layout(cr);
	p->fd = pango_font_description_from_string(font);
	/* no hinting: the same metrics at every resolution and on every machine */
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
	pango_cairo_context_set_font_options(pango_layout_get_context(p->pl), fo);
	/* user space is millimetres: rounding glyph positions to whole units would
	 * round them to whole millimetres */
	pango_context_set_round_glyph_positions(pango_layout_get_context(p->pl), FALSE);
	pango_layout_context_changed(p->pl);
	cairo_font_options_destroy(fo);
	pango_layout_set_wrap(p->pl, PANGO_WRAP_WORD);
}

static void
pen_done(struct pen *p)
{
	g_object_unref(p->pl);
	pango_font_description_free(p->fd);
}

static void
pen_set(struct pen *p, const char *text, double w_mm, double size_pt, int bold, int center)
{
	pango_font_description_set_absolute_size(p->fd, size_pt * PT_MM * PANGO_SCALE);
	pango_font_description_set_weight(p->fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(p->pl, p->fd);
	pango_layout_set_width(p->pl, (int)(w_mm * PANGO_SCALE));
	pango_layout_set_alignment(p->pl, center ? PANGO_ALIGN_CENTER : PANGO_ALIGN_LEFT);
	pango_layout_set_text(p->pl, text, -1);
}

/* Does the text set in the pen fit w_mm in max_lines without breaking a word? */
static int
fits(PangoLayout *pl, int max_lines, double w_mm)
{
	PangoRectangle logical;

	pango_layout_get_extents(pl, NULL, &logical);
	return pango_layout_get_line_count(pl) <= max_lines &&
	       logical.width <= (int)(w_mm * PANGO_SCALE) + PANGO_SCALE / 10;
}

/*
 * A sure fit without shaping: ASCII text whose every character, taken at
 * 1.1 em (wider than any ASCII glyph of DejaVu Sans, bold included), still
 * fits the box on one line. Most field values pass here, which keeps the
 * intake check cheap; anything else is measured by pango.
 */
static int
surely_fits(const char *text, double w_mm, double size_pt)
{
	size_t n = 0;

	for (const unsigned char *c = (const unsigned char *)text; *c; c++, n++)
		if (*c >= 0x80)
			return 0;
	return (double)n * size_pt * PT_MM * 1.1 <= w_mm;
}

/* The largest size from size down to min_size (0.5 pt steps) at which text fits; -1 if none. */
static double
fit_size(struct pen *p, const char *text, double w, double size, double min_size, int max_lines,
	 int bold, int *ret_lines)
{
	if (surely_fits(text, w, size)) {
		*ret_lines = 1;
		return size;
	}
	for (double s = size; s >= min_size - 1e-9; s -= 0.5) {
		pen_set(p, text, w, s, bold, 0);
		*ret_lines = pango_layout_get_line_count(p->pl);
		if (fits(p->pl, max_lines, w))
			return s;
	}
	return -1;
}

/* Fit and draw one text; fixed is true for the layout's own labels. */
static int
draw_text(struct pen *p, const char *text, double x, double y, double w, double size,
	  double min_size, int max_lines, int bold, int center, int fixed, const char *what,
	  char *why, size_t len)
{
	int lines = 0;

	if (p->check_only && fixed)
		return 0;
	double s = fit_size(p, text, w, size, min_size, max_lines, bold, &lines);
	if (s < 0) {
		snprintf(why, len,
			 "%s: \"%.40s%s\" takes %d lines at %.1f pt; %d fit its %.1f mm box", what,
			 text, strlen(text) > 40 ? "..." : "", lines, min_size, max_lines, w);
		return -EINVAL;
	}
	if (p->check_only)
		return 0;
	pen_set(p, text, w, s, bold, center);
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, p->pl);
	return 0;
}

/* ---- images ---- */

struct jerr {
	struct jpeg_error_mgr mgr;
	jmp_buf jb;
};

static void
jfail(j_common_ptr c)
{
	longjmp(((struct jerr *)c->err)->jb, 1);
}

/* Decode a JPEG into a new RGB24 surface; the JPEG bytes are attached for PDF. */
static cairo_surface_t *
jpeg_surface(const uint8_t *jpg, size_t n)
{
	struct jpeg_decompress_struct ci;
	struct jerr err;
	struct job_jpeg_guard guard;
	cairo_surface_t *volatile s = NULL;

	ci.err = jpeg_std_error(&err.mgr);
	err.mgr.error_exit = jfail;
	if (setjmp(err.jb)) {
		jpeg_destroy_decompress(&ci);
		if (s)
			cairo_surface_destroy(s);
		return NULL;
	}
	jpeg_create_decompress(&ci);
	job_jpeg_guard(&guard, &ci); /* the validator's bounds hold here too */
	jpeg_mem_src(&ci, jpg, (unsigned long)n);
	jpeg_read_header(&ci, TRUE);
	ci.out_color_space = JCS_RGB;
	jpeg_start_decompress(&ci);
	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)ci.output_width,
				       (int)ci.output_height);
	uint8_t *px = cairo_image_surface_get_data(s);
	int stride = cairo_image_surface_get_stride(s);
	uint8_t *row = malloc(ci.output_width * 3);
	while (ci.output_scanline < ci.output_height) {
		uint32_t *dst = (uint32_t *)(px + (size_t)stride * ci.output_scanline);
		JSAMPROW rp = row;
		jpeg_read_scanlines(&ci, &rp, 1);
		for (unsigned x = 0; x < ci.output_width; x++)
			dst[x] = 0xFF000000u | (uint32_t)row[3 * x] << 16 |
				 (uint32_t)row[3 * x + 1] << 8 | row[3 * x + 2];
	}
	free(row);
	jpeg_finish_decompress(&ci);
	jpeg_destroy_decompress(&ci);
	cairo_surface_mark_dirty(s);
	/* the PDF embeds the original JPEG instead of re-encoding pixels; the
	 * bytes are the job's, which outlives the render (the PDF surface is
	 * finished before face_render_pdf returns) */
	cairo_surface_set_mime_data(s, CAIRO_MIME_TYPE_JPEG, jpg, n, NULL, NULL);
	return s;
}

struct png_src {
	const uint8_t *p;
	size_t n, off;
};

static cairo_status_t
png_read(void *closure, unsigned char *data, unsigned int len)
{
	struct png_src *src = closure;

	if (src->off + len > src->n)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, src->p + src->off, len);
	src->off += len;
	return CAIRO_STATUS_SUCCESS;
}

/* Paint surface s into box r: cover (crop) or contain (letterbox). */
static void
paint_in(cairo_t *cr, cairo_surface_t *s, const struct rect *r, int cover)
{
	double iw = cairo_image_surface_get_width(s), ih = cairo_image_surface_get_height(s);
	double sx = r->w / iw, sy = r->h / ih,
	       k = cover ? (sx > sy ? sx : sy) : (sx < sy ? sx : sy);

	cairo_save(cr);
	cairo_rectangle(cr, r->x, r->y, r->w, r->h);
	cairo_clip(cr);
	cairo_translate(cr, r->x + (r->w - iw * k) / 2, r->y + (r->h - ih * k) / 2);
	cairo_scale(cr, k, k);
	cairo_set_source_surface(cr, s, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
	cairo_paint(cr);
	cairo_restore(cr);
}

/* ---- drawing ---- */

enum { PASS_CHECK = PASS_TEXT + 1 };

static int
draw(cairo_t *cr, const struct face_layout *l, const struct job *job, int pass, char *why,
     size_t len)
{
	char buf[256], buf2[160];
	struct pen pen;
	int r = 0;

	if (pass == PASS_CHECK) {
		pen_init(&pen, cr, l->font, 1);
		goto text;
	}

	/* the bare card (what the keep-out area shows) */
	if (pass == PASS_ALL) {
		cairo_set_source_rgb(cr, 1, 1, 1);
		cairo_paint(cr);
	}
	/* nothing is ever drawn over the keep-out area */
	cairo_rectangle(cr, 0, 0, l->width, l->height);
	cairo_rectangle(cr, l->keepout.x, l->keepout.y, l->keepout.w, l->keepout.h);
	cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
	cairo_clip(cr);
	cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
	if (pass != PASS_TEXT) {
		cairo_set_source_rgb(cr, l->bg[0], l->bg[1], l->bg[2]);
		cairo_paint(cr);
		cairo_surface_t *ph = jpeg_surface(job->photo.data, job->photo.len);
		if (!ph) {
			snprintf(why, len, "photo: cannot be decoded");
			return -EINVAL;
		}
		paint_in(cr, ph, &l->photo, 1);
		cairo_surface_destroy(ph);
		struct png_src src = { job->signature.data, job->signature.len, 0 };
		cairo_surface_t *sg = cairo_image_surface_create_from_png_stream(png_read, &src);
		if (!sg || cairo_surface_status(sg) != CAIRO_STATUS_SUCCESS) {
			if (sg)
				cairo_surface_destroy(sg);
			snprintf(why, len, "signature: cannot be decoded");
			return -EINVAL;
		}
		paint_in(cr, sg, &l->signature, 0);
		cairo_surface_destroy(sg);
	}
	if (pass == PASS_COLOUR)
		return 0;
	pen_init(&pen, cr, l->font, 0);
text:
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (int i = 0; i < l->n_header && r == 0; i++) {
		const struct text *t = &l->header[i];
		expand(&t->text, job, buf, sizeof(buf));
		r = draw_text(&pen, buf, t->x, t->y, t->w, t->size, t->min_size, t->max_lines,
			      t->bold, t->center, 0, "header", why, len);
	}
	for (int i = 0; i < l->n_rows && r == 0; i++) {
		const struct row *w = &l->rows[i];
		double vw = w->extra_x > 0 ? w->extra_x - l->value_x - 1.0 : l->value_w;
		expand(&w->value, job, buf, sizeof(buf));
		if ((r = draw_text(&pen, w->label, l->label_x + w->indent, w->y, l->label_w,
				   w->size, w->min_size, 1, 0, 0, 1, w->label, why, len)) < 0 ||
		    (r = draw_text(&pen, ":", l->colon_x, w->y, 1.5, w->size, w->size, 1, 0, 0, 1,
				   w->label, why, len)) < 0 ||
		    (r = draw_text(&pen, buf, l->value_x, w->y, vw, w->size, w->min_size,
				   w->max_lines, w->bold, 0, 0, w->label, why, len)) < 0)
			break;
		if (w->extra_label[0]) {
			expand(&w->extra_value, job, buf2, sizeof(buf2));
			snprintf(buf, sizeof(buf), "%s : %s", w->extra_label, buf2);
			r = draw_text(&pen, buf, w->extra_x, w->y,
				      l->value_x + l->value_w - w->extra_x, w->size, w->min_size, 1,
				      0, 0, 0, w->extra_label, why, len);
		}
	}
	const struct text *it[] = { &l->issue, &l->issue_date };
	for (int i = 0; i < 2 && r == 0; i++) {
		if (!it[i]->text.n)
			continue;
		expand(&it[i]->text, job, buf, sizeof(buf));
		r = draw_text(&pen, buf, it[i]->x, it[i]->y, it[i]->w, it[i]->size, it[i]->min_size,
			      it[i]->max_lines, it[i]->bold, it[i]->center, 0,
			      i ? "issue date" : "issue place", why, len);
	}
	pen_done(&pen);
	if (r == 0 && pass != PASS_CHECK) {
		/* a thin rule around the photo, printed in black */
		cairo_set_line_width(cr, 0.2);
		cairo_rectangle(cr, l->photo.x, l->photo.y, l->photo.w, l->photo.h);
		cairo_stroke(cr);
	}
	return r;
}

int
face_check(const struct face_layout *l, const struct job *job, char *why, size_t len)
{
	/* draw the text pass onto a tiny surface: same fitting, no pixels to speak of */
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
	cairo_t *cr = cairo_create(s);
	int r = draw(cr, l, job, PASS_CHECK, why, len);

	cairo_destroy(cr);
	cairo_surface_destroy(s);
	return r;
}

static cairo_t *
raster_context(cairo_surface_t *s, const struct face_layout *l)
{
	cairo_t *cr = cairo_create(s);

	cairo_scale(cr, FACE_PX_W / l->width, FACE_PX_H / l->height);
	return cr;
}

int
face_render_png(const struct face_layout *l, const struct job *job, const char *path, char *why,
		size_t len)
{
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, FACE_PX_W, FACE_PX_H);
	cairo_t *cr = raster_context(s, l);
	int r = draw(cr, l, job, PASS_ALL, why, len);

	cairo_destroy(cr);
	if (r == 0 && cairo_surface_write_to_png(s, path) != CAIRO_STATUS_SUCCESS) {
		snprintf(why, len, "cannot write %s", path);
		r = -EIO;
	}
	cairo_surface_destroy(s);
	return r;
}

int
face_render_pdf(const struct face_layout *l, const struct job *job, const char *path, char *why,
		size_t len)
{
	cairo_surface_t *s =
		cairo_pdf_surface_create(path, l->width / 25.4 * 72, l->height / 25.4 * 72);
	cairo_t *cr = cairo_create(s);
	int r;

	cairo_scale(cr, 72 / 25.4, 72 / 25.4);
	r = draw(cr, l, job, PASS_ALL, why, len);
	cairo_destroy(cr);
	cairo_surface_finish(s);
	if (r == 0 && cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		snprintf(why, len, "cannot write %s", path);
		r = -EIO;
	}
	cairo_surface_destroy(s);
	return r;
}

int
face_render_panels(const struct face_layout *l, const struct job *job, struct face_panels *ret,
		   char *why, size_t len)
{
	const size_t plane = (size_t)FACE_PX_W * FACE_PX_H;
	cairo_surface_t *col = cairo_image_surface_create(CAIRO_FORMAT_RGB24, FACE_PX_W, FACE_PX_H);
	cairo_surface_t *txt = cairo_image_surface_create(CAIRO_FORMAT_A8, FACE_PX_W, FACE_PX_H);
	cairo_t *cc = raster_context(col, l), *ct = raster_context(txt, l);
	int r = draw(cc, l, job, PASS_COLOUR, why, len);

	if (r == 0)
		r = draw(ct, l, job, PASS_TEXT, why, len);
	cairo_destroy(cc);
	cairo_destroy(ct);
	cairo_surface_flush(col);
	cairo_surface_flush(txt);
	ret->data = r == 0 ? malloc(plane * 5) : NULL;
	if (r == 0 && !ret->data)
		r = -ENOMEM;
	if (r == 0) {
		const uint8_t *cp = cairo_image_surface_get_data(col);
		const uint8_t *tp = cairo_image_surface_get_data(txt);
		int cs = cairo_image_surface_get_stride(col),
		    ts = cairo_image_surface_get_stride(txt);
		int kx0 = (int)(l->keepout.x * FACE_PX_W / l->width),
		    kx1 = (int)((l->keepout.x + l->keepout.w) * FACE_PX_W / l->width + 0.999),
		    ky0 = (int)(l->keepout.y * FACE_PX_H / l->height),
		    ky1 = (int)((l->keepout.y + l->keepout.h) * FACE_PX_H / l->height + 0.999);
		for (int y = 0; y < FACE_PX_H; y++) {
			const uint32_t *c = (const uint32_t *)(cp + (size_t)cs * y);
			for (int x = 0; x < FACE_PX_W; x++) {
				size_t i = (size_t)y * FACE_PX_W + x;
				int keep = x >= kx0 && x < kx1 && y >= ky0 && y < ky1;
				ret->data[i] = keep ? 0 : (uint8_t)(255 - (c[x] & 0xFF)); /* Y */
				ret->data[plane + i] =
					keep ? 0 : (uint8_t)(255 - (c[x] >> 8 & 0xFF)); /* M */
				ret->data[2 * plane + i] =
					keep ? 0 : (uint8_t)(255 - (c[x] >> 16 & 0xFF));
				ret->data[3 * plane + i] =
					keep ? 0 : tp[(size_t)ts * y + x]; /* K */
				ret->data[4 * plane + i] = keep ? 0 : 255; /* O */
			}
		}
	}
	cairo_surface_destroy(col);
	cairo_surface_destroy(txt);
	return r;
}
