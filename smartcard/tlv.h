/*
 * tlv.h - BER-TLV as used by ISO 7816-4 and the ICAO LDS.
 *
 * Tags are up to 3 bytes, kept as an integer in their encoded form
 * (0x61, 0x5F1F, 0x7F61). Lengths use the short or long form (up to 3
 * length bytes). The parser takes untrusted bytes (read back from a card):
 * every length is checked against the bytes that remain.
 */
#ifndef CETAK_TLV_H
#define CETAK_TLV_H

#include <stddef.h>
#include <stdint.h>

/* A growable output buffer; err is set on allocation failure and sticks. */
struct tlv_buf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

void tlv_buf_init(struct tlv_buf *b);
void tlv_buf_free(struct tlv_buf *b);
void tlv_append(struct tlv_buf *b, const void *data, size_t n);
/* Append tag, length and value. */
void tlv_put(struct tlv_buf *b, uint32_t tag, const void *value, size_t n);
void tlv_put_str(struct tlv_buf *b, uint32_t tag, const char *s);
/* Start a constructed TLV; tlv_close() fills in its length. Returns a mark. */
size_t tlv_open(struct tlv_buf *b, uint32_t tag);
void tlv_close(struct tlv_buf *b, size_t mark);

struct tlv {
	uint32_t tag;
	const uint8_t *value;
	size_t len;
	size_t total; /* tag + length + value bytes */
};

/* Parse the TLV at p (n bytes available). 0 or -EINVAL. */
int tlv_parse(const uint8_t *p, size_t n, struct tlv *ret);
/* Find the first TLV with tag among the siblings in p[0..n). 0, -ENOENT or -EINVAL. */
int tlv_find(const uint8_t *p, size_t n, uint32_t tag, struct tlv *ret);
/*
 * From the first bytes of a TLV (n available), the size of the whole TLV.
 * 0 with *ret, -EAGAIN when more bytes are needed to tell, -EINVAL when the
 * header is not one the LDS uses. Lets a reader size a file from its start.
 */
int tlv_expected_size(const uint8_t *p, size_t n, size_t *ret);
/* Bytes taken by the tag and length of a TLV with this tag and value length. */
size_t tlv_header_size(uint32_t tag, size_t n);

#endif
