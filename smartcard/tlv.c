/*
 * tlv.c - BER-TLV encoding and bounded decoding.
 */
#include "tlv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
tlv_buf_init(struct tlv_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
tlv_buf_free(struct tlv_buf *b)
{
	free(b->p);
	tlv_buf_init(b);
}

static int
tlv_reserve(struct tlv_buf *b, size_t n)
{
	if (b->err)
		return -1;
	if (b->len + n <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p) {
		b->err = -ENOMEM;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void
tlv_append(struct tlv_buf *b, const void *data, size_t n)
{
	if (tlv_reserve(b, n) < 0)
		return;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
}

static size_t
tag_bytes(uint32_t tag)
{
	return tag > 0xFFFF ? 3 : tag > 0xFF ? 2 : 1;
}

static size_t
len_bytes(size_t n)
{
	return n < 0x80 ? 1 : n <= 0xFF ? 2 : n <= 0xFFFF ? 3 : 4;
}

size_t
tlv_header_size(uint32_t tag, size_t n)
{
	return tag_bytes(tag) + len_bytes(n);
}

static void
put_header(uint8_t *o, uint32_t tag, size_t n)
{
	size_t t = tag_bytes(tag), l = len_bytes(n);

	for (size_t i = 0; i < t; i++)
		*o++ = (uint8_t)(tag >> (8 * (t - 1 - i)));
	if (l == 1) {
		*o = (uint8_t)n;
		return;
	}
	*o++ = (uint8_t)(0x80 | (l - 1));
	for (size_t i = 0; i < l - 1; i++)
		*o++ = (uint8_t)(n >> (8 * (l - 2 - i)));
}

void
tlv_put(struct tlv_buf *b, uint32_t tag, const void *value, size_t n)
{
	size_t h = tlv_header_size(tag, n);

	if (tlv_reserve(b, h + n) < 0)
		return;
	put_header(b->p + b->len, tag, n);
	b->len += h;
	tlv_append(b, value, n);
}

void
tlv_put_str(struct tlv_buf *b, uint32_t tag, const char *s)
{
	tlv_put(b, tag, s, strlen(s));
}

/* The mark is where the tag starts; the value is appended after a 1-byte
 * placeholder length and moved when the real length needs more bytes. */
size_t
tlv_open(struct tlv_buf *b, uint32_t tag)
{
	size_t mark = b->len;
	uint8_t hdr[4];

	put_header(hdr, tag, 0);
	tlv_append(b, hdr, tag_bytes(tag) + 1);
	return mark;
}

void
tlv_close(struct tlv_buf *b, size_t mark)
{
	if (b->err)
		return;
	uint32_t tag = 0;
	size_t t = 1;

	/* re-read the tag written at mark */
	tag = b->p[mark];
	if ((tag & 0x1F) == 0x1F) {
		t = 2;
		tag = tag << 8 | b->p[mark + 1];
		if (b->p[mark + 1] & 0x80) {
			t = 3;
			tag = tag << 8 | b->p[mark + 2];
		}
	}
	size_t start = mark + t + 1, n = b->len - start, l = len_bytes(n);
	if (l > 1) {
		if (tlv_reserve(b, l - 1) < 0)
			return;
		memmove(b->p + start + l - 1, b->p + start, n);
		b->len += l - 1;
	}
	put_header(b->p + mark, tag, n);
}

int
tlv_parse(const uint8_t *p, size_t n, struct tlv *ret)
{
	size_t i = 0, len = 0;
	uint32_t tag;

	if (n < 2)
		return -EINVAL;
	tag = p[i++];
	if ((tag & 0x1F) == 0x1F) {
		do {
			if (i >= n || i >= 3)
				return -EINVAL;
			tag = tag << 8 | p[i];
		} while (p[i++] & 0x80);
	}
	if (i >= n)
		return -EINVAL;
	uint8_t l0 = p[i++];
	if (l0 < 0x80) {
		len = l0;
	} else {
		size_t k = l0 & 0x7F;
		if (k == 0 || k > 3 || i + k > n)
			return -EINVAL; /* indefinite or absurd lengths are not LDS */
		for (size_t j = 0; j < k; j++)
			len = len << 8 | p[i++];
	}
	if (len > n - i)
		return -EINVAL;
	ret->tag = tag;
	ret->value = p + i;
	ret->len = len;
	ret->total = i + len;
	return 0;
}

int
tlv_expected_size(const uint8_t *p, size_t n, size_t *ret)
{
	size_t i = 0, len = 0;

	if (n < 1)
		return -EAGAIN;
	if ((p[i++] & 0x1F) == 0x1F) {
		do {
			if (i >= n)
				return -EAGAIN;
			if (i >= 3)
				return -EINVAL;
		} while (p[i++] & 0x80);
	}
	if (i >= n)
		return -EAGAIN;
	uint8_t l0 = p[i++];
	if (l0 < 0x80) {
		*ret = i + l0;
		return 0;
	}
	size_t k = l0 & 0x7F;
	if (k == 0 || k > 3)
		return -EINVAL;
	if (i + k > n)
		return -EAGAIN;
	for (size_t j = 0; j < k; j++)
		len = len << 8 | p[i++];
	*ret = i + len;
	return 0;
}

int
tlv_find(const uint8_t *p, size_t n, uint32_t tag, struct tlv *ret)
{
	struct tlv t;

	while (n > 0) {
		if (tlv_parse(p, n, &t) < 0)
			return -EINVAL;
		if (t.tag == tag) {
			*ret = t;
			return 0;
		}
		p += t.total;
		n -= t.total;
	}
	return -ENOENT;
}
