/*
 * fit.c - the photo and the signature fitted to the chip (fit.h).
 */
#define _GNU_SOURCE
#include "fit.h"
#include "jobs/job.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The largest image either way (a decoder's memory): job.c refuses larger. */
#define FIT_MAX_PIXELS (8192u * 8192u)

/* Decode to RGB, scaled to at most max_h high. NULL when undecodable. */
static uint8_t *
decode(const uint8_t *jpeg, size_t len, unsigned max_h, unsigned *ret_w, unsigned *ret_h)
{
	struct jpeg_decompress_struct ci;
	struct job_jpeg_err err;
	struct job_jpeg_guard guard;
	uint8_t *volatile rgb = NULL;

	ci.err = job_jpeg_errors(&err);
	if (setjmp(err.jb)) {
		jpeg_destroy_decompress(&ci);
		free(rgb);
		return NULL;
	}
	jpeg_create_decompress(&ci);
	job_jpeg_guard(&guard, &ci);
	jpeg_mem_src(&ci, jpeg, (unsigned long)len);
	jpeg_read_header(&ci, TRUE);
	ci.out_color_space = JCS_RGB;
	/* the smallest eighth-step scale that still reaches max_h */
	ci.scale_num = 8, ci.scale_denom = 8;
	if (max_h && ci.image_height > max_h) {
		unsigned num = (unsigned)(8UL * max_h / ci.image_height);
		ci.scale_num = num ? num : 1;
	}
	jpeg_start_decompress(&ci);
	size_t stride = (size_t)ci.output_width * 3;
	rgb = malloc(stride * ci.output_height);
	if (!rgb) {
		jpeg_destroy_decompress(&ci);
		return NULL;
	}
	while (ci.output_scanline < ci.output_height) {
		JSAMPROW row = rgb + stride * ci.output_scanline;
		jpeg_read_scanlines(&ci, &row, 1);
	}
	*ret_w = ci.output_width, *ret_h = ci.output_height;
	jpeg_finish_decompress(&ci);
	jpeg_destroy_decompress(&ci);
	return rgb;
}

/*
 * Encode at quality q into buf (cap bytes, the caller's: nothing is
 * allocated while searching), with Huffman tables of the image's own (up to
 * a quarter smaller on a chip-sized photo). Its length; SIZE_MAX when it
 * would not fit in buf; 0 when libjpeg failed.
 */
static size_t
encode(const uint8_t *rgb, unsigned w, unsigned h, int q, uint8_t *buf, size_t cap)
{
	struct jpeg_compress_struct cc;
	struct job_jpeg_err err;
	unsigned char *volatile out = buf;
	unsigned char *b = buf;
	unsigned long n = cap;

	cc.err = job_jpeg_errors(&err);
	if (setjmp(err.jb)) {
		jpeg_destroy_compress(&cc);
		return 0;
	}
	jpeg_create_compress(&cc);
	jpeg_mem_dest(&cc, &b, &n);
	cc.image_width = w, cc.image_height = h;
	cc.input_components = 3;
	cc.in_color_space = JCS_RGB;
	jpeg_set_defaults(&cc);
	jpeg_set_quality(&cc, q, TRUE);
	cc.optimize_coding = TRUE;
	jpeg_start_compress(&cc, TRUE);
	while (cc.next_scanline < h) {
		JSAMPROW row = (JSAMPROW)(rgb + (size_t)w * 3 * cc.next_scanline);
		jpeg_write_scanlines(&cc, &row, 1);
	}
	jpeg_finish_compress(&cc);
	jpeg_destroy_compress(&cc);
	if (b != out) { /* libjpeg outgrew buf into a buffer of its own */
		free(b);
		return SIZE_MAX;
	}
	return n;
}

/*
 * The next quality to try between lo (fits, or below the floor) and hi (too
 * large, or above the ceiling): the floor itself once the first try was too
 * large (a photo that cannot fit is known in two encodes); interpolated
 * from the sizes at the two ends once both are known (the logarithm of the
 * size grows about linearly with quality); halfway from the sixth try on,
 * so that the search cannot crawl along one side.
 */
static int
next_quality(int lo, int hi, int min_q, size_t slo, size_t shi, size_t max_len, int step)
{
	int q = (lo + hi) / 2;

	if (!slo && lo < min_q)
		q = min_q;
	else if (slo && shi > slo && shi != SIZE_MAX && step < 5)
		q = lo + (int)(log((double)max_len / (double)slo) * (hi - lo) /
				       log((double)shi / (double)slo) +
			       0.5);
	return q <= lo ? lo + 1 : q >= hi ? hi - 1 : q;
}

int
fit_photo(const uint8_t *jpeg, size_t len, unsigned max_h, int min_q, size_t max_len,
	  struct fit_image *ret)
{
	unsigned w, h;
	uint8_t *rgb = decode(jpeg, len, max_h, &w, &h), *buf, *best;
	size_t cap = max_len + 4096, n, best_len = 0, slo = 0, shi = 0;
	int lo = min_q - 1, hi = 91, q = 75 < min_q ? min_q : 75;

	memset(ret, 0, sizeof(*ret));
	if (!rgb)
		return -EINVAL;
	buf = malloc(cap), best = malloc(cap);
	if (!buf || !best) {
		free(rgb), free(buf), free(best);
		return -ENOMEM;
	}
	/* the largest quality from min_q to 90 that fits: size grows with quality */
	for (int step = 0; hi - lo > 1; step++) {
		if (!(n = encode(rgb, w, h, q, buf, cap)))
			break;
		if (n <= max_len) {
			uint8_t *t = best;
			best = buf, buf = t, best_len = n;
			lo = q, slo = n;
		} else {
			hi = q, shi = n;
			if (q == min_q)
				ret->len = n == SIZE_MAX ? cap : n; /* how large at the floor */
		}
		q = next_quality(lo, hi, min_q, slo, shi, max_len, step);
	}
	free(rgb);
	free(buf);
	if (hi - lo > 1 || !best_len) {
		free(best);
		return hi - lo > 1 ? -ENOMEM : -E2BIG;
	}
	ret->data = realloc(best, best_len) ?: best;
	ret->len = best_len, ret->w = w, ret->h = h, ret->quality = lo;
	return 0;
}

void
fit_image_free(struct fit_image *f)
{
	free(f->data);
	memset(f, 0, sizeof(*f));
}

/* ---- the signature: a 1-bit PNG ---- */

struct membuf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void
mem_write(png_structp png, png_bytep data, png_size_t n)
{
	struct membuf *m = png_get_io_ptr(png);

	if (m->err)
		return;
	if (m->len + n > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 4096;
		while (cap < m->len + n)
			cap *= 2;
		uint8_t *p = realloc(m->p, cap);
		if (!p) {
			m->err = -ENOMEM;
			return;
		}
		m->p = p, m->cap = cap;
	}
	memcpy(m->p + m->len, data, n);
	m->len += n;
}

static void
mem_flush(png_structp png)
{
	(void)png;
}

/* Gray (8-bit, w x h) to packed 1-bit rows, black below half luminance. */
static int
write_bilevel(const uint8_t *gray, unsigned w, unsigned h, struct membuf *m)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	uint8_t *row = calloc(1, (w + 7) / 8);

	if (!png || !info || !row) {
		png_destroy_write_struct(&png, info ? &info : NULL);
		free(row);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(row);
		return -ENOMEM;
	}
	png_set_write_fn(png, m, mem_write, mem_flush);
	png_set_IHDR(png, info, w, h, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_compression_level(png, 9);
	png_write_info(png, info);
	for (unsigned y = 0; y < h; y++) {
		memset(row, 0, (w + 7) / 8);
		for (unsigned x = 0; x < w; x++)
			if (gray[(size_t)y * w + x] >= 128)
				row[x / 8] |= (uint8_t)(0x80 >> (x % 8)); /* 1 = white */
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(row);
	return m->err;
}

/* Area-average src (sw x sh) down to dw x dh. */
static void
shrink(const uint8_t *src, unsigned sw, unsigned sh, uint8_t *dst, unsigned dw, unsigned dh)
{
	for (unsigned y = 0; y < dh; y++) {
		unsigned y0 = (unsigned)((unsigned long)y * sh / dh),
			 y1 = (unsigned)((unsigned long)(y + 1) * sh / dh);
		for (unsigned x = 0; x < dw; x++) {
			unsigned x0 = (unsigned)((unsigned long)x * sw / dw),
				 x1 = (unsigned)((unsigned long)(x + 1) * sw / dw);
			unsigned long sum = 0, n = 0;
			for (unsigned yy = y0; yy < (y1 > y0 ? y1 : y0 + 1); yy++)
				for (unsigned xx = x0; xx < (x1 > x0 ? x1 : x0 + 1); xx++)
					sum += src[(size_t)yy * sw + xx], n++;
			dst[(size_t)y * dw + x] = (uint8_t)(sum / n);
		}
	}
}

int
fit_signature(const uint8_t *data, size_t len, unsigned max_w, struct fit_image *ret)
{
	png_image im;
	png_color white = { 255, 255, 255 };
	uint8_t *gray = NULL, *small = NULL;
	struct membuf m = { 0 };
	unsigned w, h;
	int r = -EINVAL;

	memset(ret, 0, sizeof(*ret));
	memset(&im, 0, sizeof(im));
	im.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&im, data, len))
		return -EINVAL;
	if ((unsigned long)im.width * im.height > FIT_MAX_PIXELS || !im.width || !im.height) {
		png_image_free(&im);
		return -EINVAL;
	}
	im.format = PNG_FORMAT_GRAY;
	if (!(gray = malloc(PNG_IMAGE_SIZE(im)))) {
		png_image_free(&im);
		return -ENOMEM;
	}
	if (!png_image_finish_read(&im, &white, gray, 0, NULL))
		goto out;
	w = im.width, h = im.height;
	if (max_w && w > max_w) {
		unsigned dh = (unsigned)(((unsigned long)h * max_w + w / 2) / w);
		dh = dh ? dh : 1;
		if (!(small = malloc((size_t)max_w * dh))) {
			r = -ENOMEM;
			goto out;
		}
		shrink(gray, w, h, small, max_w, dh);
		free(gray);
		gray = small, small = NULL;
		w = max_w, h = dh;
	}
	if ((r = write_bilevel(gray, w, h, &m)) < 0) {
		free(m.p);
		goto out;
	}
	ret->data = m.p, ret->len = m.len, ret->w = w, ret->h = h;
out:
	png_image_free(&im);
	free(gray);
	return r;
}
