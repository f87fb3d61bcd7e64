/*
 * sm.c - secure messaging and the card-SAM authentication (sm.h).
 *
 * AES runs in ECB through three OpenSSL contexts set up once per session
 * (encrypt and decrypt with KSenc, encrypt with KSmac); CBC and CMAC are
 * built on them here, so that a card's forty-odd wrapped APDUs cost no
 * cipher set-up each.
 */
#include "sm.h"

#include <errno.h>
#include <openssl/evp.h>
#include <string.h>

static EVP_CIPHER_CTX *
ecb(const uint8_t key[SM_KEY], int enc)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	if (c && EVP_CipherInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL, enc) == 1 &&
	    EVP_CIPHER_CTX_set_padding(c, 0) == 1)
		return c;
	EVP_CIPHER_CTX_free(c);
	return NULL;
}

static void
block(EVP_CIPHER_CTX *c, const uint8_t in[16], uint8_t out[16])
{
	int n = 16;

	EVP_CipherUpdate(c, out, &n, in, 16);
}

/* CMAC subkey doubling in GF(2^128). */
static void
dbl(const uint8_t in[16], uint8_t out[16])
{
	uint8_t carry = in[0] >> 7;

	for (int i = 0; i < 15; i++)
		out[i] = (uint8_t)(in[i] << 1 | in[i + 1] >> 7);
	out[15] = (uint8_t)(in[15] << 1) ^ (carry ? 0x87 : 0);
}

int
sm_init(struct sm_ctx *s, const uint8_t kenc[SM_KEY], const uint8_t kmac[SM_KEY],
	const uint8_t ssc[16])
{
	static const uint8_t zero[16];
	uint8_t l[16];

	memset(s, 0, sizeof(*s));
	s->enc_e = ecb(kenc, 1);
	s->enc_d = ecb(kenc, 0);
	s->mac_e = ecb(kmac, 1);
	if (!s->enc_e || !s->enc_d || !s->mac_e) {
		sm_clear(s);
		return -ENOMEM;
	}
	block(s->mac_e, zero, l);
	dbl(l, s->k1);
	dbl(s->k1, s->k2);
	memcpy(s->ssc, ssc, 16);
	s->ready = 1;
	return 0;
}

void
sm_clear(struct sm_ctx *s)
{
	EVP_CIPHER_CTX_free(s->enc_e);
	EVP_CIPHER_CTX_free(s->enc_d);
	EVP_CIPHER_CTX_free(s->mac_e);
	memset(s, 0, sizeof(*s));
}

static void
cmac(const struct sm_ctx *s, const uint8_t *p, size_t n, uint8_t out[16])
{
	uint8_t x[16] = { 0 }, last[16];
	size_t full = n ? (n - 1) / 16 : 0, rest = n - full * 16;

	for (size_t i = 0; i < full; i++) {
		for (int k = 0; k < 16; k++)
			x[k] ^= p[i * 16 + (size_t)k];
		block(s->mac_e, x, x);
	}
	memset(last, 0, sizeof(last));
	memcpy(last, p + full * 16, rest);
	if (rest == 16) {
		for (int k = 0; k < 16; k++)
			last[k] ^= s->k1[k];
	} else {
		last[rest] = 0x80;
		for (int k = 0; k < 16; k++)
			last[k] ^= s->k2[k];
	}
	for (int k = 0; k < 16; k++)
		x[k] ^= last[k];
	block(s->mac_e, x, out);
}

int
sm_cmac(const uint8_t key[SM_KEY], const uint8_t *data, size_t n, uint8_t out[16])
{
	struct sm_ctx s;
	static const uint8_t zero[16];

	if (sm_init(&s, key, key, zero) < 0)
		return -ENOMEM;
	cmac(&s, data, n, out);
	sm_clear(&s);
	return 0;
}

void
sm_kdf(const uint8_t *seed, size_t len, uint32_t counter, uint8_t out[SM_KEY])
{
	uint8_t buf[64], md[20];
	uint8_t c[4] = { (uint8_t)(counter >> 24), (uint8_t)(counter >> 16),
			 (uint8_t)(counter >> 8), (uint8_t)counter };

	if (len > sizeof(buf) - 4)
		len = sizeof(buf) - 4;
	memcpy(buf, seed, len);
	memcpy(buf + len, c, 4);
	EVP_Digest(buf, len + 4, md, NULL, EVP_sha1(), NULL);
	memcpy(out, md, SM_KEY);
}

void
sm_card_keys(const uint8_t master[SM_KEY], const uint8_t *serial, size_t n, uint8_t kenc[SM_KEY],
	     uint8_t kmac[SM_KEY])
{
	uint8_t k[16] = { 0 };

	sm_cmac(master, serial, n, k);
	sm_kdf(k, sizeof(k), 1, kenc);
	sm_kdf(k, sizeof(k), 2, kmac);
	memset(k, 0, sizeof(k));
}

void
sm_session_keys(const uint8_t kifd[16], const uint8_t kic[16], const uint8_t rnd_ic[8],
		const uint8_t rnd_ifd[8], uint8_t kenc[SM_KEY], uint8_t kmac[SM_KEY],
		uint8_t ssc[16])
{
	uint8_t seed[16];

	for (int i = 0; i < 16; i++)
		seed[i] = kifd[i] ^ kic[i];
	sm_kdf(seed, sizeof(seed), 1, kenc);
	sm_kdf(seed, sizeof(seed), 2, kmac);
	memset(ssc, 0, 16);
	memcpy(ssc + 8, rnd_ic + 4, 4);
	memcpy(ssc + 12, rnd_ifd + 4, 4);
	memset(seed, 0, sizeof(seed));
}

int
sm_session(const uint8_t kifd[16], const uint8_t kic[16], const uint8_t rnd_ic[8],
	   const uint8_t rnd_ifd[8], struct sm_ctx *ret)
{
	uint8_t kenc[16], kmac[16], ssc[16];
	int r;

	sm_session_keys(kifd, kic, rnd_ic, rnd_ifd, kenc, kmac, ssc);
	r = sm_init(ret, kenc, kmac, ssc);
	memset(kenc, 0, sizeof(kenc));
	memset(kmac, 0, sizeof(kmac));
	return r;
}

/* CBC over n (a multiple of 16) bytes, in place. */
static void
cbc(const struct sm_ctx *s, int enc, const uint8_t iv[16], uint8_t *p, size_t n)
{
	uint8_t prev[16], c[16];

	memcpy(prev, iv, 16);
	for (size_t i = 0; i < n; i += 16) {
		if (enc) {
			for (int k = 0; k < 16; k++)
				p[i + (size_t)k] ^= prev[k];
			block(s->enc_e, p + i, p + i);
			memcpy(prev, p + i, 16);
		} else {
			memcpy(c, p + i, 16);
			block(s->enc_d, p + i, p + i);
			for (int k = 0; k < 16; k++)
				p[i + (size_t)k] ^= prev[k];
			memcpy(prev, c, 16);
		}
	}
}

int
sm_auth_seal(const uint8_t kenc[SM_KEY], const uint8_t kmac[SM_KEY], const uint8_t in[32],
	     uint8_t out[40])
{
	static const uint8_t zero[16];
	uint8_t m[16];
	struct sm_ctx s;

	if (sm_init(&s, kenc, kmac, zero) < 0)
		return -ENOMEM;
	memcpy(out, in, 32);
	cbc(&s, 1, zero, out, 32);
	cmac(&s, out, 32, m);
	memcpy(out + 32, m, SM_MAC);
	sm_clear(&s);
	return 0;
}

int
sm_auth_open(const uint8_t kenc[SM_KEY], const uint8_t kmac[SM_KEY], const uint8_t in[40],
	     uint8_t out[32])
{
	static const uint8_t zero[16];
	uint8_t m[16];
	struct sm_ctx s;
	int bad;

	if (sm_init(&s, kenc, kmac, zero) < 0)
		return -ENOMEM;
	cmac(&s, in, 32, m);
	bad = memcmp(m, in + 32, SM_MAC) !=
	      0; /* both sides' own bytes: no timing oracle worth hiding */
	if (!bad) {
		memcpy(out, in, 32);
		cbc(&s, 0, zero, out, 32);
	}
	sm_clear(&s);
	return bad ? -EBADMSG : 0;
}

static void
ssc_inc(struct sm_ctx *s)
{
	for (int i = 15; i >= 0 && ++s->ssc[i] == 0; i--)
		;
}

/* ISO/IEC 9797-1 method 2: 80 then zeros to a whole block. The new length. */
static size_t
pad(uint8_t *p, size_t n)
{
	p[n++] = 0x80;
	while (n % 16)
		p[n++] = 0;
	return n;
}

/* A BER length at p; the bytes it took. */
static size_t
put_len(uint8_t *p, size_t len)
{
	if (len < 0x80) {
		p[0] = (uint8_t)len;
		return 1;
	}
	if (len < 0x100) {
		p[0] = 0x81, p[1] = (uint8_t)len;
		return 2;
	}
	p[0] = 0x82, p[1] = (uint8_t)(len >> 8), p[2] = (uint8_t)len;
	return 3;
}

/* One data object at *p of at most end: its tag must be tag. 0 or -EBADMSG. */
static int
get_do(const uint8_t **p, const uint8_t *end, uint8_t tag, const uint8_t **val, size_t *len)
{
	const uint8_t *q = *p;
	size_t l;

	if (end - q < 2 || q[0] != tag)
		return -EBADMSG;
	q++;
	if (q[0] < 0x80) {
		l = q[0];
		q++;
	} else if (q[0] == 0x81 && end - q >= 2) {
		l = q[1];
		q += 2;
	} else if (q[0] == 0x82 && end - q >= 3) {
		l = (size_t)(q[1] << 8 | q[2]);
		q += 3;
	} else {
		return -EBADMSG;
	}
	if ((size_t)(end - q) < l)
		return -EBADMSG;
	*val = q;
	*len = l;
	*p = q + l;
	return 0;
}

/*
 * The MAC of the counter, then the padded header block hdr (when not
 * NULL), then p (n bytes), the whole padded: the first 8 bytes into out.
 * The padded message is a whole number of blocks, so CMAC's last block
 * takes K1; nothing is copied.
 */
static void
mac_over(struct sm_ctx *s, const uint8_t *hdr, const uint8_t *p, size_t n, uint8_t out[SM_MAC])
{
	size_t off = hdr ? 32 : 16, total = ((off + n) / 16 + 1) * 16;
	uint8_t x[16] = { 0 };

	for (size_t b = 0; b < total; b += 16) {
		for (size_t k = 0; k < 16; k++) {
			size_t i = b + k, j = i - off;
			uint8_t v = i < 16    ? s->ssc[i]
				    : i < off ? hdr[i - 16]
				    : j < n   ? p[j]
				    : j == n  ? 0x80
					      : 0;
			x[k] ^= v;
		}
		if (b + 16 == total)
			for (int k = 0; k < 16; k++)
				x[k] ^= s->k1[k];
		block(s->mac_e, x, x);
	}
	memcpy(out, x, SM_MAC);
}

/* Encrypt data into a DO 87 at out (IV = E(KSenc, SSC)); its length. */
static size_t
put_do87(struct sm_ctx *s, const uint8_t *data, size_t n, uint8_t *out)
{
	uint8_t iv[16];
	size_t k = 0, plen;
	uint8_t *body;

	plen = (n / 16 + 1) * 16;
	out[k++] = 0x87;
	k += put_len(out + k, plen + 1);
	out[k++] = 0x01;
	body = out + k;
	memcpy(body, data, n);
	pad(body, n);
	block(s->enc_e, s->ssc, iv);
	cbc(s, 1, iv, body, plen);
	return k + plen;
}

/* Open a DO 87's value into out; the plain length or -EBADMSG. */
static long
open_do87(struct sm_ctx *s, const uint8_t *v, size_t l, uint8_t *out)
{
	uint8_t iv[16];
	size_t n;

	if (l < 17 || v[0] != 0x01 || (l - 1) % 16)
		return -EBADMSG;
	memcpy(out, v + 1, l - 1);
	block(s->enc_e, s->ssc, iv);
	cbc(s, 0, iv, out, l - 1);
	n = l - 1;
	while (n > 0 && out[n - 1] == 0)
		n--;
	if (n == 0 || out[n - 1] != 0x80)
		return -EBADMSG;
	return (long)(n - 1);
}

struct plain {
	uint8_t h[4];
	const uint8_t *data;
	size_t lc, le; /* le: 0 absent, else 1..65536 */
	int ext;
};

static int
parse_plain(const uint8_t *b, size_t n, struct plain *a)
{
	memset(a, 0, sizeof(*a));
	if (n < 4)
		return -EINVAL;
	memcpy(a->h, b, 4);
	if (n == 4)
		return 0;
	if (n == 5) {
		a->le = b[4] ? b[4] : 256;
		return 0;
	}
	if (b[4]) {
		a->lc = b[4];
		a->data = b + 5;
		if (n == 6 + a->lc)
			a->le = b[n - 1] ? b[n - 1] : 256;
		else if (n != 5 + a->lc)
			return -EINVAL;
		return 0;
	}
	a->ext = 1;
	if (n == 7) {
		a->le = (size_t)(b[5] << 8 | b[6]);
		a->le = a->le ? a->le : 65536;
		return 0;
	}
	a->lc = (size_t)(b[5] << 8 | b[6]);
	a->data = b + 7;
	if (!a->lc)
		return -EINVAL;
	if (n == 9 + a->lc) {
		a->le = (size_t)(b[n - 2] << 8 | b[n - 1]);
		a->le = a->le ? a->le : 65536;
	} else if (n != 7 + a->lc) {
		return -EINVAL;
	}
	return 0;
}

/* Le as DO 97's value: one byte (short) or two. Its length. */
static size_t
put_do97(size_t le, int ext, uint8_t *out)
{
	out[0] = 0x97;
	if (!ext && le <= 256) {
		out[1] = 1, out[2] = (uint8_t)(le == 256 ? 0 : le);
		return 3;
	}
	out[1] = 2, out[2] = (uint8_t)(le >> 8), out[3] = (uint8_t)le;
	return 4;
}

long
sm_wrap(struct sm_ctx *s, const uint8_t *apdu, size_t n, int ext, uint8_t *out)
{
	struct plain a;
	uint8_t hdr[16] = { 0 }, mac[SM_MAC];
	uint8_t *body = out + 7; /* room for an extended Lc; moved for a short one */
	size_t len = 0, k = 4;

	if (parse_plain(apdu, n, &a) < 0 || a.lc > 65535 - 64)
		return -EINVAL;
	ssc_inc(s);
	hdr[0] = a.h[0] | 0x0C, hdr[1] = a.h[1], hdr[2] = a.h[2], hdr[3] = a.h[3];
	pad(hdr, 4);
	if (a.lc)
		len += put_do87(s, a.data, a.lc, body + len);
	if (a.le)
		len += put_do97(a.le, a.ext, body + len);
	mac_over(s, hdr, body, len, mac);
	body[len++] = 0x8E;
	body[len++] = SM_MAC;
	memcpy(body + len, mac, SM_MAC);
	len += SM_MAC;
	ext = ext || a.ext || len > 255;
	memcpy(out, hdr, 4);
	if (ext) {
		out[k++] = 0, out[k++] = (uint8_t)(len >> 8), out[k++] = (uint8_t)len;
	} else {
		out[k++] = (uint8_t)len;
		memmove(out + k, body, len);
	}
	k += len;
	out[k++] = 0;
	if (ext)
		out[k++] = 0;
	return (long)k;
}

long
sm_unwrap(struct sm_ctx *s, const uint8_t *resp, size_t n, uint8_t *out)
{
	const uint8_t *p = resp, *end, *v87 = NULL, *v99, *v8e;
	size_t l87 = 0, l99, l8e, macd;
	uint8_t mac[SM_MAC];
	long len = 0;

	if (n < 2)
		return -EBADMSG;
	if (n == 2) {
		/* an error the card gives unprotected (6987, 6988, ...): it has
		 * ended the session; never an unprotected success */
		if (resp[0] == 0x90 && resp[1] == 0x00)
			return -EBADMSG;
		memcpy(out, resp, 2);
		return 2;
	}
	end = resp + n - 2;
	ssc_inc(s);
	if (p < end && p[0] == 0x87 && get_do(&p, end, 0x87, &v87, &l87) < 0)
		return -EBADMSG;
	if (get_do(&p, end, 0x99, &v99, &l99) < 0 || l99 != 2)
		return -EBADMSG;
	macd = (size_t)(p - resp);
	if (get_do(&p, end, 0x8E, &v8e, &l8e) < 0 || l8e != SM_MAC || p != end)
		return -EBADMSG;
	mac_over(s, NULL, resp, macd, mac);
	if (memcmp(mac, v8e, SM_MAC) != 0)
		return -EBADMSG;
	if (v87 && (len = open_do87(s, v87, l87, out)) < 0)
		return -EBADMSG;
	out[len] = v99[0];
	out[len + 1] = v99[1];
	return len + 2;
}

long
sm_card_unwrap(struct sm_ctx *s, const uint8_t *apdu, size_t n, uint8_t *out)
{
	uint8_t hdr[16] = { 0 }, *plain = out + 7; /* moved for a short command */
	const uint8_t *body, *p, *end, *v87 = NULL, *v97 = NULL, *v8e;
	size_t lc, l87 = 0, l97 = 0, l8e, k = 0;
	long dl = 0;
	uint8_t mac[SM_MAC];
	int ext;

	if (n < 6 || (apdu[0] & 0x0C) != 0x0C)
		return -EBADMSG;
	if (apdu[4] != 0) {
		lc = apdu[4], body = apdu + 5, ext = 0;
		if (n != 6 + lc)
			return -EBADMSG;
	} else {
		if (n < 9)
			return -EBADMSG;
		lc = (size_t)(apdu[5] << 8 | apdu[6]), body = apdu + 7, ext = 1;
		if (n != 9 + lc)
			return -EBADMSG;
	}
	ssc_inc(s);
	p = body, end = body + lc;
	if (p < end && p[0] == 0x87 && get_do(&p, end, 0x87, &v87, &l87) < 0)
		return -EBADMSG;
	if (p < end && p[0] == 0x97 && get_do(&p, end, 0x97, &v97, &l97) < 0)
		return -EBADMSG;
	size_t macd = (size_t)(p - body);
	if (get_do(&p, end, 0x8E, &v8e, &l8e) < 0 || l8e != SM_MAC || p != end ||
	    (v97 && l97 != 1 && l97 != 2))
		return -EBADMSG;
	memcpy(hdr, apdu, 4);
	pad(hdr, 4);
	mac_over(s, hdr, body, macd, mac);
	if (memcmp(mac, v8e, SM_MAC) != 0)
		return -EBADMSG;
	if (v87 && (dl = open_do87(s, v87, l87, plain)) < 0)
		return -EBADMSG;
	size_t le = v97 ? (l97 == 1 ? (v97[0] ? v97[0] : 256) : (size_t)(v97[0] << 8 | v97[1])) : 0;
	if (v97 && l97 == 2 && le == 0)
		le = 65536;
	ext = dl > 255 || le > 256 || (v97 && l97 == 2);
	out[k++] = apdu[0] & (uint8_t)~0x0C, out[k++] = apdu[1], out[k++] = apdu[2];
	out[k++] = apdu[3];
	if (ext) {
		if (dl) {
			out[k++] = 0, out[k++] = (uint8_t)(dl >> 8), out[k++] = (uint8_t)dl;
			k += (size_t)dl; /* already in place */
		} else if (le) {
			out[k++] = 0;
		}
		if (le)
			out[k++] = (uint8_t)(le >> 8), out[k++] = (uint8_t)le;
	} else {
		if (dl) {
			out[k++] = (uint8_t)dl;
			memmove(out + k, plain, (size_t)dl);
			k += (size_t)dl;
		}
		if (le)
			out[k++] = (uint8_t)(le == 256 ? 0 : le);
	}
	return (long)k;
}

long
sm_card_wrap(struct sm_ctx *s, const uint8_t *resp, size_t n, uint8_t *out)
{
	size_t k = 0;
	uint8_t mac[SM_MAC];

	if (n < 2)
		return -EINVAL;
	ssc_inc(s);
	if (n > 2)
		k += put_do87(s, resp, n - 2, out);
	out[k++] = 0x99, out[k++] = 2, out[k++] = resp[n - 2], out[k++] = resp[n - 1];
	mac_over(s, NULL, out, k, mac);
	out[k++] = 0x8E, out[k++] = SM_MAC;
	memcpy(out + k, mac, SM_MAC);
	k += SM_MAC;
	out[k++] = 0x90, out[k++] = 0x00;
	return (long)k;
}
