/*
 * sc_sam.c - the SAM of the SAM profile: opening it, the mutual
 * authentication of card and SAM, and EF.SOD signed in it.
 *
 * The SAM holds the district's master key and the Document Signer key;
 * cetak never sees either. It answers the card's challenge with the
 * EXTERNAL AUTHENTICATE cryptogram, checks the card's INTERNAL
 * AUTHENTICATE answer, and gives the session keys of that one card's
 * session (docs/card-profile.md says why cetak wrapping with them is as
 * safe as the SAM wrapping each command). Failures are named for the
 * operator: the SAM itself (SC_SAM_FAILED: the line stops), a blank that
 * refuses this SAM (SC_AUTH_REFUSED), one that cannot prove its key
 * (SC_COUNTERFEIT).
 */
#define _GNU_SOURCE
#include "sc_internal.h"
#include "sod.h"
#include "tlv.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One SAM command; the SAM's failure to answer is the SAM's problem. */
static enum sc_outcome
sam_cmd(struct sc_card *sam, const uint8_t *a, size_t n, size_t *rlen, uint16_t *sw,
	struct sc_result *res, const char *what)
{
	enum sc_outcome o = sc_xmit(sam, a, n, 0, rlen, sw);

	if (o != SC_OK)
		sc_res_fail(res, SC_SAM_FAILED, 0,
			    "the SAM stopped answering (%s: %s): check it sits in its reader", what,
			    sc_outcome_name(o));
	return o == SC_OK ? SC_OK : SC_SAM_FAILED;
}

enum sc_outcome
sam_open(struct sc_ctx *ctx, const struct sc_sam *cfg, const struct card_profile *prof,
	 struct sc_card *sam, struct sc_result *sam_res, struct sc_result *res)
{
	uint8_t a[96];
	size_t n, len;
	uint16_t sw;
	enum sc_outcome o;

	o = sc_card_open(ctx, cfg->reader, cfg->timeout_ms, sam, sam_res);
	if (o != SC_OK) {
		sc_res_fail(res, SC_SAM_FAILED, 0,
			    "no SAM answers in the SAM reader (%s): put the district's SAM in "
			    "it",
			    sam_res->message);
		return SC_SAM_FAILED;
	}
	len = sc_apdu(a, 0, 0x00, 0xA4, 0x04, 0x0C, prof->sam_aid, prof->sam_aid_len, 0);
	if ((o = sam_cmd(sam, a, len, &n, &sw, res, "SELECT")) != SC_OK)
		return o;
	if (sw != 0x9000) {
		sc_res_fail(res, SC_SAM_FAILED, sw,
			    "the card in the SAM reader is not a SAM of this profile (%s)",
			    sc_sw_name(sw));
		return SC_SAM_FAILED;
	}
	if (cfg->pin[0]) {
		len = sc_apdu(a, 0, 0x00, 0x20, 0x00, 0x81, (const uint8_t *)cfg->pin,
			      strlen(cfg->pin), 0);
		o = sam_cmd(sam, a, len, &n, &sw, res, "VERIFY");
		OPENSSL_cleanse(a, sizeof(a));
		if (o != SC_OK)
			return o;
		if ((sw & 0xFFF0) == 0x63C0 || sw == 0x6300) {
			sc_res_fail(res, SC_SAM_FAILED, sw,
				    "the SAM refused its PIN (%d tries left): check sam_pin",
				    sw & 0x0F);
			return SC_SAM_FAILED;
		}
		if (sw != 0x9000) {
			sc_res_fail(res, SC_SAM_FAILED, sw,
				    "the SAM's PIN is blocked (%s): the district must unblock "
				    "it",
				    sc_sw_name(sw));
			return SC_SAM_FAILED;
		}
	}
	static const uint8_t district[] = { 0x00, 0xCA, 0x01, 0x00, 0x00 };
	if ((o = sam_cmd(sam, district, sizeof(district), &n, &sw, res, "GET DATA")) != SC_OK)
		return o;
	if (sw != 0x9000 || n == 0 || n > 15) {
		sc_res_fail(res, SC_SAM_FAILED, sw, "the SAM does not say its district (%s)",
			    sc_sw_name(sw));
		return SC_SAM_FAILED;
	}
	char got[16];
	memcpy(got, sam->resp, n);
	got[n] = '\0';
	if (cfg->district[0] && strcmp(got, cfg->district) != 0) {
		sc_res_fail(res, SC_SAM_FAILED, 0,
			    "the SAM belongs to district %.15s, this line to %s: put this "
			    "district's SAM in the SAM reader",
			    got, cfg->district);
		return SC_SAM_FAILED;
	}
	return SC_OK;
}

/* The SAM's answer to a refused card authentication step. */
static enum sc_outcome
sam_refused(struct sc_result *res, uint16_t sw, const char *what)
{
	if (sw == 0x6983)
		sc_res_fail(res, SC_SAM_FAILED, sw,
			    "the SAM is blocked (%s: its retry counter is exhausted): the "
			    "district must replace or unblock it",
			    what);
	else
		sc_res_fail(res, SC_SAM_FAILED, sw, "the SAM refused %s (%s)", what,
			    sc_sw_name(sw));
	return SC_SAM_FAILED;
}

enum sc_outcome
sam_authenticate(struct sc_card *sam, struct sc_card *c)
{
	static const uint8_t challenge[] = { 0x00, 0x84, 0x00, 0x00, 0x08 };
	struct sc_result *res = c->res;
	uint8_t a[96], in[24], rnd_ic[8], eifd[48], eic[40], keys[48];
	size_t n, len;
	uint16_t sw;
	enum sc_outcome o;
	long sn;

	if ((o = sc_xmit(c, challenge, sizeof(challenge), 1, &n, &sw)) != SC_OK) {
		sc_res_fail(res, o, 0, "GET CHALLENGE: %s", sc_outcome_name(o));
		return o;
	}
	if (sw != 0x9000 || n != 8) {
		sc_res_fail(res, SC_WRONG_CARD, sw,
			    "card %s gives no challenge (%s): not a blank of the SAM profile",
			    res->serial, sc_sw_name(sw));
		return SC_WRONG_CARD;
	}
	memcpy(rnd_ic, c->resp, 8);
	if ((sn = profile_hex(res->serial, in, 16)) <= 0)
		return SC_WRONG_CARD;
	memcpy(in + sn, rnd_ic, 8);
	len = sc_apdu(a, 0, 0x80, 0xA0, 0x00, 0x00, in, (size_t)sn + 8, 48);
	if ((o = sam_cmd(sam, a, len, &n, &sw, res, "AUTHENTICATE")) != SC_OK)
		return o;
	if (sw != 0x9000 || n != 48)
		return sam_refused(res, sw, "to authenticate the card");
	memcpy(eifd, sam->resp, 48);
	/* the SAM to the card: EXTERNAL AUTHENTICATE */
	len = sc_apdu(a, 0, 0x00, 0x82, 0x00, 0x00, eifd, 40, 0);
	if ((o = sc_xmit(c, a, len, 0, &n, &sw)) != SC_OK) {
		sc_res_fail(res, o, 0, "EXTERNAL AUTHENTICATE: %s", sc_outcome_name(o));
		return o;
	}
	if (sw != 0x9000) {
		sc_res_fail(res, SC_AUTH_REFUSED, sw,
			    "card %s refuses this SAM (%s%s): a blank of another district or "
			    "not of this supply; put it aside for the supervisor",
			    res->serial, sc_sw_name(sw),
			    sw == 0x6983 ? ", its authentication is blocked" : "");
		return SC_AUTH_REFUSED;
	}
	/* the card to the SAM: INTERNAL AUTHENTICATE with RND.IFD */
	len = sc_apdu(a, 0, 0x00, 0x88, 0x00, 0x00, eifd + 40, 8, 40);
	if ((o = sc_xmit(c, a, len, 0, &n, &sw)) != SC_OK) {
		sc_res_fail(res, o, 0, "INTERNAL AUTHENTICATE: %s", sc_outcome_name(o));
		return o;
	}
	if (sw != 0x9000 || n != 40) {
		sc_res_fail(res, SC_COUNTERFEIT, sw,
			    "card %s does not prove its key (%s): a counterfeit blank; put it "
			    "aside for the supervisor",
			    res->serial, sc_sw_name(sw));
		return SC_COUNTERFEIT;
	}
	memcpy(eic, c->resp, 40);
	len = sc_apdu(a, 0, 0x80, 0xA2, 0x00, 0x00, eic, 40, 48);
	if ((o = sam_cmd(sam, a, len, &n, &sw, res, "AUTHENTICATE")) != SC_OK)
		return o;
	if (sw == 0x6300) {
		sc_res_fail(res, SC_COUNTERFEIT, sw,
			    "card %s answers with a key the SAM does not know: a counterfeit "
			    "blank; put it aside for the supervisor",
			    res->serial);
		return SC_COUNTERFEIT;
	}
	if (sw != 0x9000 || n != 48)
		return sam_refused(res, sw, "the card's answer");
	memcpy(keys, sam->resp, 48);
	OPENSSL_cleanse(sam->resp, 48);
	int r = sm_init(&c->sm_session, keys, keys + 16, keys + 32);
	OPENSSL_cleanse(keys, sizeof(keys));
	if (r < 0) {
		sc_res_fail(res, SC_ERROR, 0, "out of memory");
		return SC_ERROR;
	}
	c->sm = &c->sm_session;
	return SC_OK;
}

struct sam_signing {
	struct sc_card *sam;
	uint16_t sw;
};

/* signer_delegate_fn: PSO COMPUTE DIGITAL SIGNATURE of the hash in the SAM. */
static int
sam_sign(void *arg, const unsigned char *hash, size_t len, unsigned char *sig, size_t *siglen)
{
	struct sam_signing *s = arg;
	uint8_t a[64];
	size_t n, k = sc_apdu(a, 0, 0x00, 0x2A, 0x9E, 0x9A, hash, len, 256);

	if (len > 48 || sc_xmit(s->sam, a, k, 0, &n, &s->sw) != SC_OK || s->sw != 0x9000 ||
	    n > *siglen)
		return -1;
	memcpy(sig, s->sam->resp, n);
	*siglen = n;
	return 0;
}

enum sc_outcome
sam_build_sod(struct sc_card *sam, const struct lds_image *img, struct lds_file *ret,
	      struct sc_result *res)
{
	static const uint8_t cert[] = { 0x00, 0xCA, 0x01, 0x01, 0x00, 0x00, 0x00 };
	struct sam_signing sg = { sam, 0 };
	struct sod_dg dgs[PROFILE_MAX_FILES];
	struct signer *signer = NULL;
	struct tlv_buf b;
	char why[256];
	size_t n;
	uint16_t sw;
	int ndg = 0, k = -1;
	enum sc_outcome o;

	for (int i = 0; i < img->n; i++) {
		if (img->files[i].pf && strcmp(img->files[i].pf->builder, "ef.sod") == 0)
			k = i;
		else if (img->files[i].data && img->files[i].pf->dg > 0)
			dgs[ndg++] = (struct sod_dg){ img->files[i].pf->dg, img->files[i].data,
						      img->files[i].len };
	}
	if (k < 0) {
		sc_res_fail(res, SC_ERROR, 0, "the profile has no EF.SOD");
		return SC_ERROR;
	}
	if ((o = sam_cmd(sam, cert, sizeof(cert), &n, &sw, res, "GET DATA")) != SC_OK)
		return o;
	if (sw != 0x9000 || n == 0)
		return sam_refused(res, sw, "its Document Signer certificate");
	if (signer_new_delegate(sam->resp, n, sam_sign, &sg, &signer, why, sizeof(why)) < 0) {
		sc_res_fail(res, SC_SAM_FAILED, 0, "the SAM's Document Signer certificate: %s",
			    why);
		return SC_SAM_FAILED;
	}
	tlv_buf_init(&b);
	int r = sod_build(signer, dgs, ndg, &b, why, sizeof(why));
	signer_free(signer);
	if (r < 0) {
		tlv_buf_free(&b);
		if (sg.sw && sg.sw != 0x9000)
			return sam_refused(res, sg.sw, "to sign EF.SOD");
		sc_res_fail(res, SC_SAM_FAILED, 0, "signing EF.SOD in the SAM: %s", why);
		return SC_SAM_FAILED;
	}
	ret->pf = img->files[k].pf;
	ret->data = b.p;
	ret->len = b.len;
	return SC_OK;
}
