/*
 * sod.c - LDSSecurityObject (ASN.1 templates) inside CMS SignedData.
 */
#define _GNU_SOURCE
#include "sod.h"
#include "common/signer.h"

#include <errno.h>
#include <openssl/asn1t.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ICAO_LDS_SO_OID "2.23.136.1.1.1"

/* DataGroupHash ::= SEQUENCE { dataGroupNumber INTEGER, dataGroupHashValue OCTET STRING } */
typedef struct {
	ASN1_INTEGER *number;
	ASN1_OCTET_STRING *hash;
} DG_HASH;

DECLARE_ASN1_FUNCTIONS(DG_HASH)
ASN1_SEQUENCE(DG_HASH) = {
	ASN1_SIMPLE(DG_HASH, number, ASN1_INTEGER),
	ASN1_SIMPLE(DG_HASH, hash, ASN1_OCTET_STRING),
} ASN1_SEQUENCE_END(DG_HASH)

IMPLEMENT_ASN1_FUNCTIONS(DG_HASH)
DEFINE_STACK_OF(DG_HASH)

/* LDSSecurityObject ::= SEQUENCE { version INTEGER, hashAlgorithm AlgorithmIdentifier,
 *   dataGroupHashValues SEQUENCE OF DataGroupHash } (version 0: no LDS version info) */
typedef struct {
	ASN1_INTEGER *version;
	X509_ALGOR *algorithm;
	STACK_OF(DG_HASH) * hashes;
} LDS_SO;

DECLARE_ASN1_FUNCTIONS(LDS_SO)
ASN1_SEQUENCE(LDS_SO) = {
	ASN1_SIMPLE(LDS_SO, version, ASN1_INTEGER),
	ASN1_SIMPLE(LDS_SO, algorithm, X509_ALGOR),
	ASN1_SEQUENCE_OF(LDS_SO, hashes, DG_HASH),
} ASN1_SEQUENCE_END(LDS_SO)

IMPLEMENT_ASN1_FUNCTIONS(LDS_SO)

static int
sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
	return EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

/* DER LDSSecurityObject for dgs; malloc'd into *ret. */
static int
lds_so_der(const struct sod_dg *dgs, int n, uint8_t **ret, int *ret_len)
{
	LDS_SO *so = LDS_SO_new();
	int r = -EIO;

	if (!so || !ASN1_INTEGER_set(so->version, 0) ||
	    !X509_ALGOR_set0(so->algorithm, OBJ_nid2obj(NID_sha256), V_ASN1_UNDEF, NULL))
		goto out;
	for (int i = 0; i < n; i++) {
		DG_HASH *h = DG_HASH_new();
		uint8_t md[32];
		if (!h || sha256(dgs[i].data, dgs[i].len, md) < 0 ||
		    !ASN1_INTEGER_set(h->number, dgs[i].dg) ||
		    !ASN1_OCTET_STRING_set(h->hash, md, 32) || !sk_DG_HASH_push(so->hashes, h)) {
			DG_HASH_free(h);
			goto out;
		}
	}
	*ret = NULL;
	*ret_len = i2d_LDS_SO(so, ret);
	r = *ret_len > 0 ? 0 : -EIO;
out:
	LDS_SO_free(so);
	return r;
}

int
sod_build(struct signer *s, const struct sod_dg *dgs, int n, struct tlv_buf *out, char *why,
	  size_t len)
{
	uint8_t *content = NULL, *der = NULL;
	int clen, dlen, r = -EIO;

	if (lds_so_der(dgs, n, &content, &clen) < 0) {
		ssl_why(why, len, "cannot encode the LDSSecurityObject");
		goto out;
	}
	if ((r = signer_cms(s, content, (size_t)clen, ICAO_LDS_SO_OID, &der, &dlen, why, len)) < 0)
		goto out;
	tlv_put(out, 0x77, der, (size_t)dlen);
	r = out->err ? -ENOMEM : 0;
out:
	OPENSSL_free(content);
	OPENSSL_free(der);
	return r;
}

X509_STORE *
sod_load_csca(const char *path, char *why, size_t len)
{
	X509_STORE *store = X509_STORE_new();

	if (!store || X509_STORE_load_file(store, path) != 1) {
		ssl_why(why, len, "cannot load the CSCA certificate");
		X509_STORE_free(store);
		return NULL;
	}
	return store;
}

int
sod_check_signer(struct signer *s, X509_STORE *csca, char *why, size_t len)
{
	X509 *cert = signer_cert(s);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int r = -EBADMSG;

	if (!cert) {
		snprintf(why, len, "the Document Signer has no certificate");
		goto out;
	}
	if (!ctx || X509_STORE_CTX_init(ctx, csca, cert, NULL) != 1) {
		ssl_why(why, len, "cannot check the Document Signer's certificate");
		goto out;
	}
	/* the same check a reader makes of every card: chain to the CSCA, dates */
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);
		char subject[200];
		X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
		snprintf(why, len,
			 "the Document Signer certificate (%.150s) does not verify against "
			 "the CSCA: %s; every card it signs would fail verification",
			 subject, X509_verify_cert_error_string(e));
		goto out;
	}
	r = 0;
out:
	X509_STORE_CTX_free(ctx);
	return r;
}

int
sod_verify(const uint8_t *sod, size_t sod_len, X509_STORE *csca, const struct sod_dg *dgs, int n,
	   char *why, size_t len)
{
	struct tlv t;
	const uint8_t *p;
	CMS_ContentInfo *cms = NULL;
	BIO *content = BIO_new(BIO_s_mem());
	LDS_SO *so = NULL;
	char oid[64];
	int r = -EBADMSG;

	if (tlv_parse(sod, sod_len, &t) < 0 || t.tag != 0x77) {
		snprintf(why, len, "EF.SOD is not a tag-77 object");
		goto out;
	}
	p = t.value;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)t.len);
	if (!cms || p != t.value + t.len) {
		ssl_why(why, len, "EF.SOD does not hold one CMS object");
		r = -EBADMSG;
		goto out;
	}
	OBJ_obj2txt(oid, sizeof(oid), CMS_get0_eContentType(cms), 1);
	if (strcmp(oid, ICAO_LDS_SO_OID) != 0) {
		snprintf(why, len, "EF.SOD content type is %s, not %s", oid, ICAO_LDS_SO_OID);
		goto out;
	}
	if (CMS_verify(cms, NULL, csca, NULL, content, CMS_BINARY) != 1) {
		ssl_why(why, len, "EF.SOD signature does not verify against the CSCA");
		r = -EBADMSG;
		goto out;
	}
	BUF_MEM *bm;
	BIO_get_mem_ptr(content, &bm);
	p = (const uint8_t *)bm->data;
	so = d2i_LDS_SO(NULL, &p, (long)bm->length);
	if (!so || OBJ_obj2nid(so->algorithm->algorithm) != NID_sha256) {
		snprintf(why, len, "EF.SOD content is not an LDSSecurityObject with SHA-256");
		goto out;
	}
	if (sk_DG_HASH_num(so->hashes) != n) {
		snprintf(why, len, "EF.SOD lists %d data groups, %d were read",
			 sk_DG_HASH_num(so->hashes), n);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		uint8_t md[32];
		const DG_HASH *h = NULL;
		for (int k = 0; k < sk_DG_HASH_num(so->hashes); k++)
			if (ASN1_INTEGER_get(sk_DG_HASH_value(so->hashes, k)->number) == dgs[i].dg)
				h = sk_DG_HASH_value(so->hashes, k);
		if (!h) {
			snprintf(why, len, "DG%d is not listed in EF.SOD", dgs[i].dg);
			goto out;
		}
		sha256(dgs[i].data, dgs[i].len, md);
		if (ASN1_STRING_length(h->hash) != 32 ||
		    memcmp(ASN1_STRING_get0_data(h->hash), md, 32) != 0) {
			snprintf(why, len, "DG%d does not match its hash in EF.SOD", dgs[i].dg);
			goto out;
		}
	}
	r = 0;
out:
	LDS_SO_free(so);
	CMS_ContentInfo_free(cms);
	BIO_free(content);
	return r;
}
