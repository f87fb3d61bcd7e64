/*
 * sc_card.c - talking to one card: transmit, personalise, read back.
 *
 * Failure behaviour: every step ends in an sc_outcome with a message naming
 * the file and the status word. Transport errors (the card or the link
 * hiccuped) are retried at most twice on idempotent commands; a status word
 * refusing a command is never retried. Nothing here touches a card that is
 * not blank.
 */
#define _GNU_SOURCE
#include "sc_internal.h"
#include "sod.h"
#include "tlv.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <time.h>

#define SC_RETRIES 2

const char *
sc_sw_name(uint16_t sw)
{
	switch (sw) {
	case 0x9000:
		return "9000 ok";
	case 0x6282:
		return "6282 end of file reached";
	case 0x6581:
		return "6581 memory failure";
	case 0x6700:
		return "6700 wrong length";
	case 0x6982:
		return "6982 security status not satisfied";
	case 0x6985:
		return "6985 conditions of use not satisfied";
	case 0x6986:
		return "6986 command not allowed";
	case 0x6A80:
		return "6A80 incorrect data";
	case 0x6A81:
		return "6A81 function not supported";
	case 0x6A82:
		return "6A82 file not found";
	case 0x6A84:
		return "6A84 not enough memory";
	case 0x6A86:
		return "6A86 incorrect P1-P2";
	case 0x6A89:
		return "6A89 file already exists";
	case 0x6B00:
		return "6B00 wrong offset";
	case 0x6D00:
		return "6D00 instruction not supported";
	case 0x6E00:
		return "6E00 class not supported";
	default:
		return (sw & 0xFF00) == 0x6300 ? "63xx warning" : "unknown status word";
	}
}

/*
 * Historical bytes in compact-TLV: tag 7 length 3 ("card capabilities"),
 * third byte bit 7 (0x40) = extended Lc and Le fields (ISO 7816-4 8.1.1.2.7).
 */
const uint8_t *
sc_find_do(const uint8_t *p, size_t n, uint8_t tag, size_t *ret_len)
{
	const uint8_t *end = p + n;

	*ret_len = 0;
	while (end - p >= 2 && end - p - 2 >= p[1]) {
		if (p[0] == tag) {
			*ret_len = p[1];
			return p + 2;
		}
		p += 2 + p[1];
	}
	return NULL;
}

int
sc_atr_contactless(const uint8_t *atr, size_t len)
{
	/* PC/SC part 3: TS 3B, T0 8n, TD1 80, TD2 01, n historical bytes, TCK */
	return len >= 5 && atr[0] == 0x3B && (atr[1] & 0xF0) == 0x80 && atr[2] == 0x80 &&
	       atr[3] == 0x01;
}

int
sc_atr_extended(const uint8_t *atr, size_t len)
{
	size_t i = 1, k;
	uint8_t y, t0;
	int nhist, tck = 0;

	if (len < 2)
		return 0;
	t0 = atr[1];
	nhist = t0 & 0x0F;
	y = t0 >> 4;
	i = 2;
	for (;;) {
		for (k = 0; k < 3; k++)
			if (y & (1 << k))
				i++;
		if (!(y & 0x08))
			break;
		if (i >= len)
			return 0;
		uint8_t td = atr[i++];
		if ((td & 0x0F) != 0)
			tck = 1;
		y = td >> 4;
	}
	(void)tck;
	if (i + (size_t)nhist > len || nhist < 1 || atr[i] != 0x80)
		return 0;
	/* category 80: compact-TLV objects follow */
	for (size_t p = i + 1; p < i + (size_t)nhist;) {
		uint8_t tag = atr[p] >> 4, l = atr[p] & 0x0F;
		if (p + 1 + l > i + (size_t)nhist)
			return 0;
		if (tag == 7 && l == 3)
			return (atr[p + 3] & 0x40) != 0;
		p += 1 + l;
	}
	return 0;
}

void
sc_res_fail(struct sc_result *r, enum sc_outcome o, uint16_t sw, const char *fmt, ...)
{
	va_list ap;

	r->outcome = o;
	r->sw = sw;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

/*
 * A transport failure during card work that the transport could not name:
 * was the card pulled, or did it stop answering? A reader notices a removal
 * on its next poll, so watch it briefly.
 */
static enum sc_outcome
card_gone_or_mute(struct sc_card *c)
{
	unsigned state = 0;

	for (int i = 0; i < 3; i++) {
		enum sc_outcome o = c->ctx->t->wait(c->ctx, c->res->reader, &state, 400);
		if (o == SC_NO_SERVICE || o == SC_NO_READER)
			return SC_READER_LOST;
		if (o == SC_OK && (state & SC_STATE_EMPTY))
			return SC_CARD_REMOVED;
		if (o != SC_OK && o != SC_CARD_ABSENT)
			break;
	}
	return SC_CARD_MUTE;
}

/*
 * Send one APDU as it is; follow 61xx with GET RESPONSE and 6Cxx with the
 * right Le. On success returns SC_OK with the data in c->resp[0..*rlen),
 * the status word after it and in *sw.
 */
static enum sc_outcome
xmit_raw(struct sc_card *c, const uint8_t *apdu, size_t n, int idempotent, size_t *rlen,
	 uint16_t *sw)
{
	uint8_t cmd[8 + 65536 + 3];
	size_t got = 0;
	enum sc_outcome o = SC_OK;
	char why[160];

	memcpy(cmd, apdu, n);
	for (int guard = 0; guard < 64; guard++) {
		size_t len = sizeof(c->resp) - got;
		for (int attempt = 0; attempt <= SC_RETRIES; attempt++) {
			bool transient = false;
			len = sizeof(c->resp) - got;
			c->res->apdus++;
			o = c->ctx->t->transmit(c->ctx, c->conn, cmd, n, c->resp + got, &len,
						&transient, why, sizeof(why));
			if (o == SC_OK || !transient || !idempotent)
				break;
		}
		if (o == SC_ERROR)
			return card_gone_or_mute(c);
		if (o != SC_OK)
			return o;
		uint8_t sw1 = c->resp[got + len - 2], sw2 = c->resp[got + len - 1];
		got += len - 2;
		if (sw1 == 0x61) { /* more data: GET RESPONSE */
			uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, sw2 };
			memcpy(cmd, gr, 5);
			n = 5;
			continue;
		}
		if (sw1 == 0x6C && n >= 5) { /* wrong Le: resend with the one the card wants */
			cmd[n - 1] = sw2;
			continue;
		}
		*rlen = got;
		*sw = (uint16_t)(sw1 << 8 | sw2);
		return SC_OK;
	}
	return SC_CARD_MUTE;
}

/*
 * One command: in secure messaging once a SAM has authenticated the card
 * (wrapped, then the response unwrapped and its MAC checked), else as it
 * is. A wrapped command is never sent twice: the card's counter would not
 * match; a response that fails its check ends the session and reads as
 * 6988 (incorrect secure-messaging data objects).
 */
enum sc_outcome
sc_xmit(struct sc_card *c, const uint8_t *apdu, size_t n, int idempotent, size_t *rlen,
	uint16_t *sw)
{
	size_t len;
	long wn, pn;
	enum sc_outcome o;

	if (!c->sm)
		return xmit_raw(c, apdu, n, idempotent, rlen, sw);
	if ((wn = sm_wrap(c->sm, apdu, n, c->extended, c->wbuf)) < 0) {
		sc_res_fail(c->res, SC_ERROR, 0, "a command that cannot be wrapped");
		return SC_ERROR;
	}
	if ((o = xmit_raw(c, c->wbuf, (size_t)wn, 0, &len, sw)) != SC_OK)
		return o;
	pn = len ? sm_unwrap(c->sm, c->resp, len + 2, c->wbuf) : -1;
	if (pn < 2) {
		/* the card ended the session (an unprotected error), or the answer
		 * is forged or damaged */
		if (len || *sw == 0x9000) /* forged, damaged, or an unwrapped success */
			*sw = 0x6988;
		sm_clear(c->sm);
		c->sm = NULL;
		*rlen = 0;
		return SC_OK;
	}
	memcpy(c->resp, c->wbuf, (size_t)pn);
	*rlen = (size_t)pn - 2;
	*sw = (uint16_t)(c->resp[*rlen] << 8 | c->resp[*rlen + 1]);
	return SC_OK;
}

/* Build a short or extended APDU with data and/or Le. */
size_t
sc_apdu(uint8_t *out, int ext, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
	const uint8_t *data, size_t lc, size_t le)
{
	size_t n = 0;

	out[n++] = cla, out[n++] = ins, out[n++] = p1, out[n++] = p2;
	if (ext && (lc > 255 || le > 256)) {
		out[n++] = 0;
		if (lc) {
			out[n++] = (uint8_t)(lc >> 8), out[n++] = (uint8_t)lc;
			memcpy(out + n, data, lc);
			n += lc;
		}
		if (le)
			out[n++] = (uint8_t)(le >> 8), out[n++] = (uint8_t)le;
		return n;
	}
	if (lc) {
		out[n++] = (uint8_t)lc;
		memcpy(out + n, data, lc);
		n += lc;
	}
	if (le)
		out[n++] = (uint8_t)(le == 256 ? 0 : le);
	return n;
}

enum sc_outcome
sc_card_open(struct sc_ctx *ctx, const char *pattern, int timeout_ms, struct sc_card *c,
	     struct sc_result *res)
{
	char reader[256], why[200];
	enum sc_outcome o = sc_reader_find(ctx, pattern, reader, sizeof(reader));
	unsigned state = 0;

	c->ctx = ctx;
	c->res = res;
	if (o != SC_OK) {
		sc_res_fail(res, o, 0, "reader '%s': %s", pattern, reader);
		return o;
	}
	snprintf(res->reader, sizeof(res->reader), "%s", reader);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long left = timeout_ms -
			    ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left < 0)
			left = 0;
		o = ctx->t->wait(ctx, reader, &state, (int)left);
		if (o == SC_OK && (state & SC_STATE_PRESENT))
			break;
		if (o == SC_CARD_ABSENT || (o == SC_OK && left == 0)) {
			sc_res_fail(res, SC_CARD_ABSENT, 0, "reader '%s': no card within %d ms",
				    reader, timeout_ms);
			return SC_CARD_ABSENT;
		}
		if (o != SC_OK) {
			sc_res_fail(res, o, 0, "reader '%s': %s", reader, sc_outcome_name(o));
			return res->outcome;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->wait_ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (state & SC_STATE_MUTE) {
		sc_res_fail(res, SC_CARD_MUTE, 0, "reader '%s': the card gives no ATR (no chip?)",
			    reader);
		return SC_CARD_MUTE;
	}
	uint8_t atr[33];
	size_t alen = 0;
	why[0] = '\0';
	o = ctx->t->connect(ctx, reader, &c->conn, atr, &alen, why, sizeof(why));
	if (o != SC_OK) {
		if (o == SC_ERROR)
			o = card_gone_or_mute(c);
		sc_res_fail(res, o, 0, "reader '%s': %s", reader, why);
		return o;
	}
	c->extended = sc_atr_extended(atr, alen);
	c->contactless = sc_atr_contactless(atr, alen);
	return SC_OK;
}

void
sc_card_close(struct sc_card *c)
{
	if (c->sm)
		sm_clear(c->sm);
	c->sm = NULL;
	if (c->conn)
		c->ctx->t->disconnect(c->ctx, c->conn);
	c->conn = NULL;
}

static enum sc_outcome select_fid(struct sc_card *c, uint16_t fid, uint16_t *sw);
static enum sc_outcome select_mf(struct sc_card *c, uint16_t *sw);

/*
 * The chip's serial. A contactless card's UID comes from the reader (PC/SC
 * GET DATA, which the reader answers itself); a contact card's from the
 * file the profile names (EF.GDO's DO 5A, ISO 7816-4) or its command.
 */
static enum sc_outcome
read_serial(struct sc_card *c, const struct card_profile *prof)
{
	static const uint8_t reader_uid[] = { 0xFF, 0xCA, 0x00, 0x00, 0x00 };
	const uint8_t *val = c->resp;
	size_t n = 0, vlen;
	uint16_t sw = 0;
	enum sc_outcome o;

	if (c->contactless || (!prof->serial_fid && !prof->serial_len)) {
		o = sc_xmit(c, reader_uid, sizeof(reader_uid), 1, &n, &sw);
	} else if (prof->serial_fid) {
		uint8_t rb[5] = { 0x00, 0xB0, 0x00, 0x00, 0x00 };
		if ((o = select_mf(c, &sw)) == SC_OK && sw == 0x9000 &&
		    (o = select_fid(c, prof->serial_fid, &sw)) == SC_OK && sw == 0x9000 &&
		    (o = sc_xmit(c, rb, sizeof(rb), 1, &n, &sw)) == SC_OK && sw == 0x6282)
			sw = 0x9000; /* the whole file, shorter than the 256 bytes asked */
	} else {
		o = sc_xmit(c, prof->serial_apdu, prof->serial_len, 1, &n, &sw);
	}
	if (o != SC_OK) {
		sc_res_fail(c->res, o, 0, "reading the chip serial: %s", sc_outcome_name(o));
		return o;
	}
	vlen = n;
	if (sw == 0x9000 && !c->contactless && prof->serial_fid)
		val = sc_find_do(c->resp, n, prof->serial_tag, &vlen);
	if (sw != 0x9000 || vlen == 0 || vlen > 16) {
		sc_res_fail(c->res, SC_WRONG_CARD, sw, "the card gives no serial (%s)",
			    sw == 0x9000 ? "no serial in its file" : sc_sw_name(sw));
		return SC_WRONG_CARD;
	}
	for (size_t i = 0; i < vlen; i++)
		snprintf(c->res->serial + 2 * i, 3, "%02X", val[i]);
	return SC_OK;
}

static enum sc_outcome
select_fid(struct sc_card *c, uint16_t fid, uint16_t *sw)
{
	uint8_t a[8], f[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };
	size_t n, len = sc_apdu(a, 0, 0x00, 0xA4, 0x02, 0x0C, f, 2, 0);

	return sc_xmit(c, a, len, 1, &n, sw);
}

static enum sc_outcome
select_mf(struct sc_card *c, uint16_t *sw)
{
	static const uint8_t a[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00 };
	size_t n;

	return sc_xmit(c, a, sizeof(a), 1, &n, sw);
}

/* An empty card: the application DF created under the MF (it is then current). */
static enum sc_outcome
create_app(struct sc_card *c, const struct card_profile *prof, uint16_t *sw)
{
	uint8_t fcp[2 + 3 + 2 + 16], a[8 + sizeof(fcp)];
	size_t n = 0, len;
	enum sc_outcome o;

	if ((o = select_mf(c, sw)) != SC_OK || *sw != 0x9000)
		return o;
	fcp[n++] = 0x62;
	fcp[n++] = (uint8_t)(3 + 2 + prof->aid_len);
	fcp[n++] = 0x82, fcp[n++] = 0x01, fcp[n++] = 0x38; /* a DF */
	fcp[n++] = 0x84, fcp[n++] = (uint8_t)prof->aid_len;
	memcpy(fcp + n, prof->aid, prof->aid_len);
	n += prof->aid_len;
	len = sc_apdu(a, 0, 0x00, 0xE0, 0x00, 0x00, fcp, n, 0);
	return sc_xmit(c, a, len, 0, &n, sw);
}

static enum sc_outcome
select_app(struct sc_card *c, const struct card_profile *prof, bool may_create)
{
	uint8_t a[32];
	size_t n, len = sc_apdu(a, 0, 0x00, 0xA4, 0x04, 0x0C, prof->aid, prof->aid_len, 0);
	uint16_t sw;
	enum sc_outcome o = sc_xmit(c, a, len, 1, &n, &sw);

	if (o == SC_OK && sw == 0x6A82 && may_create && prof->create_app) {
		if ((o = create_app(c, prof, &sw)) == SC_OK && sw != 0x9000) {
			/* a card of another kind, or one that is not empty */
			sc_res_fail(c->res, SC_WRONG_CARD, sw,
				    "the card has no %s application and refuses to create one (%s)",
				    prof->name, sc_sw_name(sw));
			return SC_WRONG_CARD;
		}
	}
	if (o != SC_OK) {
		sc_res_fail(c->res, o, 0, "selecting the application: %s", sc_outcome_name(o));
		return o;
	}
	if (sw != 0x9000) {
		sc_res_fail(c->res, SC_WRONG_CARD, sw, "the card has no %s application (%s)",
			    prof->name, sc_sw_name(sw));
		return SC_WRONG_CARD;
	}
	return SC_OK;
}

/* A SAM profile's session ended by the card: authenticate again, and select
 * the application and the file being written as they were. */
static enum sc_outcome
resume_session(struct sc_card *c, const struct profile_file *pf)
{
	enum sc_outcome o;
	uint16_t sw;

	if ((o = sam_authenticate(c->sam, c)) != SC_OK ||
	    (o = select_app(c, c->prof, false)) != SC_OK)
		return o;
	if ((o = select_fid(c, pf->fid, &sw)) == SC_OK && sw != 0x9000) {
		sc_res_fail(c->res, SC_WRITE_FAILED, sw, "selecting %s again: %s", pf->name,
			    sc_sw_name(sw));
		o = SC_WRITE_FAILED;
	}
	return o;
}

/* CREATE FILE then UPDATE BINARY in the largest chunks the card takes. */
static enum sc_outcome
write_file(struct sc_card *c, const struct lds_file *f)
{
	uint8_t a[8 + 65536]; /* per call: each line's worker writes its own card */
	uint8_t fcp[16] = { 0x62,
			    0x0B,
			    0x82,
			    0x01,
			    0x01,
			    0x83,
			    0x02,
			    (uint8_t)(f->pf->fid >> 8),
			    (uint8_t)f->pf->fid,
			    0x80,
			    0x02,
			    (uint8_t)(f->len >> 8),
			    (uint8_t)f->len };
	size_t n, len;
	uint16_t sw;
	enum sc_outcome o;

	if (f->len > LDS_MAX_FILE) {
		sc_res_fail(c->res, SC_WRITE_FAILED, 0,
			    "%s is %zu bytes; at most 32767 can be written "
			    "with 15-bit offsets",
			    f->pf->name, f->len);
		return SC_WRITE_FAILED;
	}
	/* not idempotent: a retried CREATE would meet its own file */
	len = sc_apdu(a, 0, 0x00, 0xE0, 0x00, 0x00, fcp, 13, 0);
	if ((o = sc_xmit(c, a, len, 0, &n, &sw)) != SC_OK || sw != 0x9000)
		goto fail_create;
	for (size_t off = 0; off < f->len;) {
		size_t chunk = f->len - off < c->wchunk ? f->len - off : c->wchunk;
		len = sc_apdu(a, c->extended, 0x00, 0xD6, (uint8_t)(off >> 8), (uint8_t)off,
			      f->data + off, chunk, 0);
		bool wrapped = c->sm != NULL;
		if ((o = sc_xmit(c, a, len, 1, &n, &sw)) != SC_OK) {
			sc_res_fail(c->res, o, 0, "writing %s at offset %zu: %s", f->pf->name, off,
				    sc_outcome_name(o));
			return o;
		}
		if (sw == 0x6700 && c->wlimit > 255) {
			/* the card takes less than announced: halve its command size
			 * and try again; a wrapped command it refused ended the
			 * session, so a new one */
			c->wlimit = c->wlimit / 2 > 255 ? c->wlimit / 2 : 255;
			c->ctx->learned_wlimit = c->wlimit;
			c->wchunk = wrapped ? SM_PLAIN_CMD(c->wlimit) : c->wlimit;
			if (wrapped && (o = resume_session(c, f->pf)) != SC_OK)
				return o;
			continue;
		}
		if (sw != 0x9000) {
			sc_res_fail(c->res, SC_WRITE_FAILED, sw, "writing %s at offset %zu: %s",
				    f->pf->name, off, sc_sw_name(sw));
			return SC_WRITE_FAILED;
		}
		if (chunk > c->res->chunk)
			c->res->chunk = (unsigned)chunk;
		c->res->bytes_sent += chunk;
		off += chunk;
	}
	return SC_OK;
fail_create:
	if (o != SC_OK) {
		sc_res_fail(c->res, o, 0, "creating %s: %s", f->pf->name, sc_outcome_name(o));
		return o;
	}
	sc_res_fail(c->res, SC_WRITE_FAILED, sw, "creating %s (%zu bytes): %s", f->pf->name, f->len,
		    sc_sw_name(sw));
	return SC_WRITE_FAILED;
}

/*
 * SELECT fid and READ BINARY all of it. expect is the size written (0 when
 * unknown: then the size comes from the file's first TLV header).
 */
static enum sc_outcome
read_file(struct sc_card *c, const struct profile_file *pf, size_t expect, uint8_t **ret,
	  size_t *ret_len, uint16_t *ret_sw)
{
	uint8_t a[16];
	uint8_t *buf = NULL;
	size_t n, len, total = expect, have = 0;
	uint16_t sw;
	enum sc_outcome o = select_fid(c, pf->fid, &sw);

	*ret_sw = sw;
	if (o != SC_OK || sw != 0x9000)
		return o;
	do {
		size_t want = total ? total - have : 5; /* first: enough for the TLV header */
		if (want > c->rchunk)
			want = c->rchunk;
		len = sc_apdu(a, c->extended, 0x00, 0xB0, (uint8_t)(have >> 8), (uint8_t)have, NULL,
			      0, want);
		if ((o = sc_xmit(c, a, len, 1, &n, &sw)) != SC_OK) {
			free(buf);
			return o;
		}
		*ret_sw = sw;
		if ((sw != 0x9000 && sw != 0x6282) || n == 0 || n > want) {
			free(buf);
			return SC_OK; /* the caller reports the status word */
		}
		uint8_t *p = realloc(buf, have + n);
		if (!p) {
			free(buf);
			return SC_ERROR;
		}
		buf = p;
		memcpy(buf + have, c->resp, n);
		have += n;
		if (!total) {
			int e = tlv_expected_size(buf, have, &total);
			if (e == -EINVAL || (e == 0 && total > 0x7FFF + 4)) {
				*ret_sw = 0x6A80; /* not an LDS file: reported as incorrect data */
				free(buf);
				return SC_OK;
			}
			if (e == -EAGAIN)
				total = 0;
		}
	} while (have < total && sw == 0x9000);
	if (have < total) {
		*ret_sw = 0x6282;
		free(buf);
		return SC_OK;
	}
	*ret = buf;
	*ret_len = total;
	*ret_sw = 0x9000;
	return SC_OK;
}

/* Data per UPDATE and READ BINARY: what the card's APDUs hold, less the
 * secure-messaging objects once a session wraps them. */
static void
setup_chunks(struct sc_card *c, const struct card_profile *prof)
{
	size_t cmd = c->extended ? prof->max_ext_data : 255;
	size_t resp = c->extended ? prof->max_ext_data : 256;

	if (c->extended && c->ctx->learned_wlimit && c->ctx->learned_wlimit < cmd)
		cmd = c->ctx->learned_wlimit;
	c->wlimit = cmd;
	c->wchunk = c->sm ? SM_PLAIN_CMD(cmd) : cmd;
	c->rchunk = c->sm ? SM_PLAIN_RESP(resp) : resp;
	c->res->extended = c->extended;
}

/* The file of img the profile builds with builder; -1 when none. */
static int
image_file(const struct lds_image *img, const char *builder)
{
	for (int i = 0; i < img->n; i++)
		if (img->files[i].pf && strcmp(img->files[i].pf->builder, builder) == 0)
			return i;
	return -1;
}

/* Read back every written file, compare, and verify EF.SOD in-process. */
static enum sc_outcome
verify_back(struct sc_card *c, const struct lds_image *img, X509_STORE *csca)
{
	struct sod_dg dgs[PROFILE_MAX_FILES];
	uint8_t *back[PROFILE_MAX_FILES] = { 0 };
	const uint8_t *sod = NULL;
	size_t sod_len = 0;
	int ndg = 0;
	enum sc_outcome o = SC_OK;
	char why[256];

	for (int i = 0; i < img->n && o == SC_OK; i++) {
		const struct lds_file *f = &img->files[i];
		size_t len = 0;
		uint16_t sw;
		if (!f->data)
			continue;
		o = read_file(c, f->pf, f->len, &back[i], &len, &sw);
		if (o != SC_OK) {
			sc_res_fail(c->res, o, 0, "reading back %s: %s", f->pf->name,
				    sc_outcome_name(o));
			break;
		}
		if (!back[i] || len != f->len || memcmp(back[i], f->data, len) != 0) {
			sc_res_fail(c->res, SC_VERIFY_FAILED, sw, "%s read back %s", f->pf->name,
				    back[i] ? "differs from what was written" : sc_sw_name(sw));
			o = SC_VERIFY_FAILED;
			break;
		}
		if (f->pf->dg > 0)
			dgs[ndg++] = (struct sod_dg){ f->pf->dg, back[i], len };
		else if (strcmp(f->pf->builder, "ef.sod") == 0)
			sod = back[i], sod_len = len;
	}
	if (o == SC_OK &&
	    (!sod || sod_verify(sod, sod_len, csca, dgs, ndg, why, sizeof(why)) != 0)) {
		sc_res_fail(c->res, SC_VERIFY_FAILED, 0, "%s", sod ? why : "no EF.SOD was written");
		o = SC_VERIFY_FAILED;
	}
	for (int i = 0; i < img->n; i++)
		free(back[i]);
	return o;
}

/* The SAM profile's SAM, opened before the card is touched. */
static enum sc_outcome
open_sam(struct sc_ctx *ctx, const struct card_profile *prof, const struct sc_sam *cfg,
	 struct sc_card **ret, struct sc_result *sam_res, struct sc_result *res)
{
	enum sc_outcome o;

	*ret = NULL;
	if (!prof->sam)
		return SC_OK;
	if (!cfg || !cfg->reader[0]) {
		sc_res_fail(res, SC_SAM_FAILED, 0,
			    "the %s profile works through a SAM and none is configured "
			    "(sam_reader)",
			    prof->name);
		return SC_SAM_FAILED;
	}
	if (!(*ret = calloc(1, sizeof(**ret)))) {
		sc_res_fail(res, SC_ERROR, 0, "out of memory");
		return SC_ERROR;
	}
	o = sam_open(ctx, cfg, prof, *ret, sam_res, res);
	if (o != SC_OK) {
		sc_card_close(*ret);
		free(*ret);
		*ret = NULL;
	}
	return o;
}

static void
close_sam(struct sc_card *sam, const struct sc_result *sam_res, struct sc_result *res)
{
	res->sam_apdus = sam_res->apdus;
	if (!sam)
		return;
	sc_card_close(sam);
	free(sam);
}

enum sc_outcome
sc_sam_check(struct sc_ctx *ctx, const struct card_profile *prof, const struct sc_sam *cfg,
	     struct sc_result *res)
{
	struct sc_result sam_res = { 0 };
	struct sc_card *sam = NULL;
	enum sc_outcome o;

	memset(res, 0, sizeof(*res));
	o = open_sam(ctx, prof, cfg, &sam, &sam_res, res);
	close_sam(sam, &sam_res, res);
	return o;
}

/* A SAM profile's card: the serial in clear (the SAM derives the card's key
 * from it), then mutual authentication; every later command is wrapped. */
static enum sc_outcome
start_card(struct sc_card *c, struct sc_card *sam, const struct card_profile *prof)
{
	enum sc_outcome o;

	c->sam = sam;
	c->prof = prof;
	setup_chunks(c, prof);
	if ((o = read_serial(c, prof)) != SC_OK)
		return o;
	if (sam && (o = sam_authenticate(sam, c)) != SC_OK)
		return o;
	setup_chunks(c, prof);
	return SC_OK;
}

enum sc_outcome
sc_personalise(struct sc_ctx *ctx, const char *pattern, int timeout_ms,
	       const struct card_profile *prof, const struct lds_image *img, X509_STORE *csca,
	       const struct sc_sam *samcfg, struct sc_result *res)
{
	struct sc_card *c = calloc(1, sizeof(*c)), *sam = NULL;
	struct sc_result sam_res = { 0 };
	struct lds_image signed_img;
	struct lds_file sod = { 0 };
	enum sc_outcome o;
	uint16_t sw;
	size_t n;

	memset(res, 0, sizeof(*res));
	if (!c) {
		sc_res_fail(res, SC_ERROR, 0, "out of memory");
		return SC_ERROR;
	}
	if ((o = open_sam(ctx, prof, samcfg, &sam, &sam_res, res)) != SC_OK) {
		free(c);
		return o;
	}
	if ((o = sc_card_open(ctx, pattern, timeout_ms, c, res)) != SC_OK)
		goto out;
	if ((o = start_card(c, sam, prof)) != SC_OK || (o = select_app(c, prof, true)) != SC_OK)
		goto out;
	/* blank: the first file of the profile (EF.COM) must not exist yet */
	if ((o = select_fid(c, prof->files[0].fid, &sw)) != SC_OK)
		goto out;
	if (sw == 0x9000) {
		sc_res_fail(res, SC_NOT_BLANK, sw,
			    "card %s already holds %s: not blank, not touched", res->serial,
			    prof->files[0].name);
		o = SC_NOT_BLANK;
		goto out;
	}
	for (int i = 0; i < img->n; i++)
		if (img->files[i].data && (o = write_file(c, &img->files[i])) != SC_OK)
			goto out;
	if (sam) {
		/* EF.SOD over what was written, signed in the SAM */
		int k = image_file(img, "ef.sod");
		if (k < 0 || (o = sam_build_sod(sam, img, &sod, res)) != SC_OK ||
		    (o = write_file(c, &sod)) != SC_OK) {
			if (k < 0)
				sc_res_fail(res, SC_ERROR, 0, "the profile has no EF.SOD");
			o = k < 0 ? SC_ERROR : o;
			goto out;
		}
		signed_img = *img;
		signed_img.files[k] = sod;
		img = &signed_img;
	}
	if ((o = verify_back(c, img, csca)) != SC_OK)
		goto out;
	/* the end of personalisation: the application operational (ACTIVATE FILE,
	 * ISO 7816-9: nothing in it can be created or written again), or the
	 * card's own lock */
	static const uint8_t activate[] = { 0x00, 0x44, 0x00, 0x00 };
	if (prof->finish == FINISH_ACTIVATE)
		o = select_app(c, prof, false) == SC_OK
			    ? sc_xmit(c, activate, sizeof(activate), 0, &n, &sw)
			    : res->outcome;
	else
		o = sc_xmit(c, prof->lock_apdu, prof->lock_len, 0, &n, &sw);
	if (o != SC_OK || sw != 0x9000) {
		sc_res_fail(res, o == SC_OK ? SC_LOCK_FAILED : o, sw, "%s the card: %s",
			    prof->finish == FINISH_ACTIVATE ? "activating" : "locking",
			    o == SC_OK ? sc_sw_name(sw) : sc_outcome_name(o));
		o = res->outcome;
		goto out;
	}
	res->outcome = SC_OK;
	snprintf(res->message, sizeof(res->message),
		 "card %s personalised, verified and %s%s "
		 "(%u APDUs, %zu bytes)",
		 res->serial, prof->finish == FINISH_ACTIVATE ? "activated" : "locked",
		 sam ? " through the SAM" : "", res->apdus, res->bytes_sent);
out:
	free(sod.data);
	sc_card_close(c);
	free(c);
	close_sam(sam, &sam_res, res);
	return o;
}

enum sc_outcome
sc_read_card(struct sc_ctx *ctx, const char *pattern, int timeout_ms,
	     const struct card_profile *prof, X509_STORE *csca, const struct sc_sam *samcfg,
	     struct sc_readout *ret)
{
	struct sc_card *c = calloc(1, sizeof(*c)), *sam = NULL;
	struct sc_result sam_res = { 0 };
	struct sod_dg dgs[PROFILE_MAX_FILES];
	const uint8_t *sod = NULL;
	size_t sod_len = 0;
	int ndg = 0;
	enum sc_outcome o;

	memset(ret, 0, sizeof(*ret));
	if (!c)
		return SC_ERROR;
	if (prof->sam && samcfg &&
	    (o = open_sam(ctx, prof, samcfg, &sam, &sam_res, &ret->result)) != SC_OK) {
		free(c);
		return o;
	}
	if ((o = sc_card_open(ctx, pattern, timeout_ms, c, &ret->result)) != SC_OK)
		goto out;
	if ((o = start_card(c, sam, prof)) != SC_OK || (o = select_app(c, prof, false)) != SC_OK)
		goto out;
	ret->n = prof->n_files;
	for (int i = 0; i < prof->n_files; i++) {
		uint16_t sw;
		ret->files[i].pf = &prof->files[i];
		o = read_file(c, &prof->files[i], 0, &ret->files[i].data, &ret->files[i].len, &sw);
		if (o != SC_OK) {
			sc_res_fail(&ret->result, o, 0, "reading %s: %s", prof->files[i].name,
				    sc_outcome_name(o));
			goto out;
		}
		if (sw == 0x6982 && prof->sam) {
			sc_res_fail(&ret->result, SC_AUTH_REFUSED, sw,
				    "reading %s: %s: this card is read only through its SAM%s",
				    prof->files[i].name, sc_sw_name(sw),
				    sam ? "" : " (no SAM was given to read it through)");
			o = SC_AUTH_REFUSED;
			goto out;
		}
		if (!ret->files[i].data)
			continue;
		if (prof->files[i].dg > 0)
			dgs[ndg++] = (struct sod_dg){ prof->files[i].dg, ret->files[i].data,
						      ret->files[i].len };
		else if (strcmp(prof->files[i].builder, "ef.sod") == 0)
			sod = ret->files[i].data, sod_len = ret->files[i].len;
	}
	if (!sod)
		snprintf(ret->verdict, sizeof(ret->verdict),
			 "NOT VERIFIED: the card has no EF.SOD "
			 "(blank or not personalised)");
	else if (sod_verify(sod, sod_len, csca, dgs, ndg, ret->verdict, sizeof(ret->verdict)) == 0)
		ret->verified = 1;
	if (ret->verified)
		snprintf(ret->verdict, sizeof(ret->verdict),
			 "VERIFIED: EF.SOD signature and all %d "
			 "data group hashes",
			 ndg);
	ret->result.outcome = SC_OK;
out:
	sc_card_close(c);
	free(c);
	close_sam(sam, &sam_res, &ret->result);
	return o;
}

void
sc_readout_text(const struct sc_readout *r, const char *file, uint32_t tag, char *out, size_t n)
{
	struct tlv outer, t;

	out[0] = '\0';
	for (int i = 0; i < r->n; i++) {
		if (!r->files[i].data || strcmp(r->files[i].pf->name, file) != 0)
			continue;
		if (tlv_parse(r->files[i].data, r->files[i].len, &outer) < 0 ||
		    tlv_find(outer.value, outer.len, tag, &t) < 0)
			return;
		snprintf(out, n, "%.*s", (int)t.len, (const char *)t.value);
		/* keep it printable: the card is not trusted */
		for (char *p = out; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7F)
				*p = '?';
		return;
	}
}

void
sc_readout_free(struct sc_readout *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->files[i].data);
	memset(r, 0, sizeof(*r));
}
