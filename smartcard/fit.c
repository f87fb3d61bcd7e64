/*
 * fit.c - the photo and the signature fitted to the chip (fit.h).
 */
#define _GNU_SOURCE
#include "fit.h"
#include "jobs/job.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
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

/* Encode at quality q; 0 with *out (malloc'd), or -ENOMEM. */
static int
encode(const uint8_t *rgb, unsigned w, unsigned h, int q, uint8_t **out, size_t *out_len)
{
	struct jpeg_compress_struct cc;
	struct job_jpeg_err err;
	unsigned char *volatile buf = NULL;
	unsigned long n = 0;

	cc.err = job_jpeg_errors(&err);
	if (setjmp(err.jb)) {
		jpeg_destroy_compress(&cc);
		free(buf);
		return -ENOMEM;
	}
	jpeg_create_compress(&cc);
	unsigned char *b = NULL;
	jpeg_mem_dest(&cc, &b, &n);
	cc.image_width = w, cc.image_height = h;
	cc.input_components = 3;
	cc.in_color_space = JCS_RGB;
	jpeg_set_defaults(&cc);
	jpeg_set_quality(&cc, q, TRUE);
	cc.optimize_coding = TRUE; /* smaller Huffman tables: bytes count on a chip */
	jpeg_start_compress(&cc, TRUE);
	while (cc.next_scanline < h) {
		JSAMPROW row = (JSAMPROW)(rgb + (size_t)w * 3 * cc.next_scanline);
		jpeg_write_scanlines(&cc, &row, 1);
	}
	jpeg_finish_compress(&cc);
	jpeg_destroy_compress(&cc);
	*out = b, *out_len = n;
	return 0;
}

int
fit_photo(const uint8_t *jpeg, size_t len, unsigned max_h, int min_q, size_t max_len,
	  struct fit_image *ret)
{
	unsigned w, h;
	uint8_t *rgb = decode(jpeg, len, max_h, &w, &h), *best = NULL, *out;
	size_t best_len = 0, out_len;
	int best_q = 0, lo = min_q, hi = 90, r = 0;

	memset(ret, 0, sizeof(*ret));
	if (!rgb)
		return -EINVAL;
	/* the largest quality that fits: size grows with quality */
	while (lo <= hi) {
		int q = (lo + hi) / 2;
		if ((r = encode(rgb, w, h, q, &out, &out_len)) < 0)
			break;
		if (out_len <= max_len) {
			free(best);
			best = out, best_len = out_len, best_q = q;
			lo = q + 1;
		} else {
			if (q == min_q)
				ret->len = out_len; /* how large it stays at the floor */
			free(out);
			hi = q - 1;
		}
	}
	free(rgb);
	if (r < 0) {
		free(best);
		return r;
	}
	if (!best)
		return -E2BIG;
	ret->data = best, ret->len = best_len, ret->w = w, ret->h = h, ret->quality = best_q;
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
