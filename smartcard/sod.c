/*
 * sod.c - LDSSecurityObject (ASN.1 templates) inside CMS SignedData.
 */
#define _GNU_SOURCE
#include "sod.h"

#include <errno.h>
#include <openssl/asn1t.h>
#include <openssl/cms.h>
/* libp11's PKCS#11 engine: the ENGINE API is deprecated in OpenSSL 3 but is
 * how Debian 12 reaches PKCS#11 (no pkcs11-provider); this file is built with
 * -Wno-deprecated-declarations. */
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	STACK_OF(DG_HASH) *hashes;
} LDS_SO;

DECLARE_ASN1_FUNCTIONS(LDS_SO)
ASN1_SEQUENCE(LDS_SO) = {
	ASN1_SIMPLE(LDS_SO, version, ASN1_INTEGER),
	ASN1_SIMPLE(LDS_SO, algorithm, X509_ALGOR),
	ASN1_SEQUENCE_OF(LDS_SO, hashes, DG_HASH),
} ASN1_SEQUENCE_END(LDS_SO)

IMPLEMENT_ASN1_FUNCTIONS(LDS_SO)

struct signer {
	EVP_PKEY *key;
	X509 *cert;
	ENGINE *engine; /* PKCS#11, when used */
};

static int
ssl_why(char *why, size_t len, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(why, len, "%s%s%s", what, buf[0] ? ": " : "", buf);
	ERR_clear_error();
	return -EIO;
}

static X509 *
load_cert(const char *path, char *why, size_t len)
{
	FILE *f = fopen(path, "re");
	X509 *c;

	if (!f) {
		snprintf(why, len, "cannot read certificate %s: %s", path, strerror(errno));
		return NULL;
	}
	c = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!c)
		ssl_why(why, len, "not a PEM certificate");
	return c;
}

int
signer_load_pem(const char *key_path, const char *cert_path, struct signer **ret, char *why,
		size_t len)
{
	struct signer *s;
	struct stat st;
	FILE *f;

	f = fopen(key_path, "re");
	if (!f) {
		snprintf(why, len, "cannot read signing key %s: %s", key_path, strerror(errno));
		return -errno;
	}
	if (fstat(fileno(f), &st) < 0 || (st.st_mode & 077)) {
		fclose(f);
		snprintf(why, len, "signing key %s is readable by group or others (mode %03o); "
				   "chmod 600 it", key_path, (unsigned)(st.st_mode & 0777));
		return -EPERM;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		fclose(f);
		return -ENOMEM;
	}
	s->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!s->key) {
		signer_free(s);
		return ssl_why(why, len, "not a PEM private key");
	}
	s->cert = load_cert(cert_path, why, len);
	if (!s->cert) {
		signer_free(s);
		return -EIO;
	}
	if (X509_check_private_key(s->cert, s->key) != 1) {
		signer_free(s);
		snprintf(why, len, "certificate %s does not belong to key %s", cert_path, key_path);
		return -EINVAL;
	}
	*ret = s;
	return 0;
}

int
signer_load_pkcs11(const char *module, const char *uri, const char *pin, const char *cert_path,
		   struct signer **ret, char *why, size_t len)
{
	struct signer *s = calloc(1, sizeof(*s));
	int r = -EIO;

	if (!s)
		return -ENOMEM;
	ENGINE_load_builtin_engines();
	s->engine = ENGINE_by_id("pkcs11");
	if (!s->engine) {
		ssl_why(why, len, "the PKCS#11 engine (libengine-pkcs11-openssl) is not available");
		free(s);
		return -ENOENT;
	}
	/* MODULE_PATH before init; the PIN always, so the engine never prompts. A
	 * wrong PIN uses up a login attempt: the caller must not retry. */
	if (!ENGINE_ctrl_cmd_string(s->engine, "MODULE_PATH", module, 0) ||
	    !ENGINE_init(s->engine)) {
		ssl_why(why, len, "cannot initialise the PKCS#11 module");
		ENGINE_free(s->engine);
		free(s);
		return -EIO;
	}
	if (!ENGINE_ctrl_cmd_string(s->engine, "PIN", pin, 0)) {
		ssl_why(why, len, "cannot give the PIN to the PKCS#11 engine");
		goto fail;
	}
	s->key = ENGINE_load_private_key(s->engine, uri, (UI_METHOD *)UI_null(), NULL);
	if (!s->key) {
		ssl_why(why, len, "cannot load the signing key from the token (wrong PIN or URI?)");
		r = -EACCES;
		goto fail;
	}
	s->cert = load_cert(cert_path, why, len);
	if (!s->cert)
		goto fail;
	if (X509_check_private_key(s->cert, s->key) != 1) {
		snprintf(why, len, "certificate %s does not belong to the token's key", cert_path);
		r = -EINVAL;
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	signer_free(s);
	return r;
}

void
signer_free(struct signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	if (s->engine) {
		ENGINE_finish(s->engine);
		ENGINE_free(s->engine);
	}
	free(s);
}

int
signer_sign(struct signer *s, const void *data, size_t len, unsigned char **ret_sig,
	    size_t *ret_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t n = 0;
	int r = -EIO;

	if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, s->key) == 1 &&
	    EVP_DigestSign(md, NULL, &n, data, len) == 1 && (sig = OPENSSL_malloc(n)) &&
	    EVP_DigestSign(md, sig, &n, data, len) == 1) {
		*ret_sig = malloc(n);
		if (*ret_sig) {
			memcpy(*ret_sig, sig, n);
			*ret_len = n;
			r = 0;
		}
	}
	OPENSSL_free(sig);
	EVP_MD_CTX_free(md);
	return r;
}

X509 *
signer_cert(struct signer *s)
{
	return s->cert;
}

int
signer_read_pin(const char *file_or_credential, char *pin, size_t len)
{
	char path[4096];
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	FILE *f;

	/* A bare name is a systemd credential (LoadCredential=NAME:...). */
	if (!strchr(file_or_credential, '/') && dir)
		snprintf(path, sizeof(path), "%s/%s", dir, file_or_credential);
	else
		snprintf(path, sizeof(path), "%s", file_or_credential);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(pin, (int)len, f)) {
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	pin[strcspn(pin, "\r\n")] = '\0';
	return pin[0] ? 0 : -EINVAL;
}

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
		    !ASN1_INTEGER_set(h->number, dgs[i].dg) || !ASN1_OCTET_STRING_set(h->hash, md, 32) ||
		    !sk_DG_HASH_push(so->hashes, h)) {
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
	BIO *bio = NULL;
	CMS_ContentInfo *cms = NULL;
	ASN1_OBJECT *oid = OBJ_txt2obj(ICAO_LDS_SO_OID, 1);

	if (lds_so_der(dgs, n, &content, &clen) < 0) {
		ssl_why(why, len, "cannot encode the LDSSecurityObject");
		goto out;
	}
	bio = BIO_new_mem_buf(content, clen);
	cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP);
	if (!bio || !cms || !oid || !CMS_set1_eContentType(cms, oid) ||
	    !CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(),
			     CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL) ||
	    !CMS_final(cms, bio, NULL, CMS_BINARY)) {
		ssl_why(why, len, "signing EF.SOD failed");
		goto out;
	}
	dlen = i2d_CMS_ContentInfo(cms, &der);
	if (dlen <= 0) {
		ssl_why(why, len, "cannot encode EF.SOD");
		goto out;
	}
	tlv_put(out, 0x77, der, (size_t)dlen);
	r = out->err ? -ENOMEM : 0;
out:
	OPENSSL_free(content);
	OPENSSL_free(der);
	BIO_free(bio);
	CMS_ContentInfo_free(cms);
	ASN1_OBJECT_free(oid);
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
		snprintf(why, len, "the Document Signer certificate (%.150s) does not verify against "
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
		snprintf(why, len, "EF.SOD lists %d data groups, %d were read", sk_DG_HASH_num(so->hashes),
			 n);
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

int
signer_open(const char *key, const char *cert_path, const char *module, const char *pin_source,
	    struct signer **ret, char *why, size_t len)
{
	char pin[128];
	int r;

	if (strncmp(key, "pkcs11:", 7))
		return signer_load_pem(key, cert_path, ret, why, len);
	if (!module || !module[0] || !pin_source || !pin_source[0]) {
		snprintf(why, len, "a PKCS#11 key needs the module and a PIN file or credential");
		return -EINVAL;
	}
	if ((r = signer_read_pin(pin_source, pin, sizeof(pin))) < 0) {
		snprintf(why, len, "cannot read the PIN from %s: %s", pin_source, strerror(-r));
		return r;
	}
	r = signer_load_pkcs11(module, key, pin, cert_path, ret, why, len);
	OPENSSL_cleanse(pin, sizeof(pin));
	return r;
}
