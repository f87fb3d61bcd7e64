/*
 * fit.h - the holder's photo and signature fitted to a chip's capacity.
 *
 * A job brings its photo as received (a JPEG of up to 128 KiB) and its
 * signature as a PNG; a chip of 8 KB cannot hold them with the other data
 * groups. With a capacity in the profile, lds_build() makes the signature a
 * 1-bit PNG (black ink on white: what a signature is) and re-encodes the
 * photo at the largest JPEG quality that fits the space left, never below
 * the profile's floor: a face that would be unrecognisable is refused, with
 * the reason, at intake, never written.
 */
#ifndef CETAK_FIT_H
#define CETAK_FIT_H

#include <stddef.h>
#include <stdint.h>

struct fit_image {
	uint8_t *data; /* malloc'd */
	size_t len;
	unsigned w, h;
	int quality; /* JPEG quality used; 0 for the signature */
};

/*
 * Re-encode jpeg at the largest quality from min_q to 90 that makes it at
 * most max_len bytes, first scaled down (libjpeg's DCT scaling in eighths)
 * to at most max_h pixels high when max_h is not 0. 0 with *ret (free with
 * fit_image_free); -E2BIG when even min_q is larger (ret->len says how
 * large, nothing allocated); -EINVAL when the JPEG cannot be decoded.
 */
int fit_photo(const uint8_t *jpeg, size_t len, unsigned max_h, int min_q, size_t max_len,
	      struct fit_image *ret);

/*
 * The signature as a 1-bit grayscale PNG, composited on white and
 * thresholded at half luminance, scaled down to at most max_w pixels wide
 * (0: kept). 0 with *ret, or -EINVAL when the PNG cannot be decoded.
 */
int fit_signature(const uint8_t *png, size_t len, unsigned max_w, struct fit_image *ret);

void fit_image_free(struct fit_image *f);

#endif
