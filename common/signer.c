/*
 * signer.c - a signing key and its certificate, from a PEM file or a PKCS#11
 * token (signer.h).
 */
#define _GNU_SOURCE
#include "signer.h"

#include <errno.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
/* libp11's PKCS#11 engine: the ENGINE API is deprecated in OpenSSL 3 but is
 * how Debian 12 reaches PKCS#11 (no pkcs11-provider); this file is built with
 * -Wno-deprecated-declarations. */
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct signer {
	atomic_int extra;   /* references beyond the first (signer_ref) */
	pthread_mutex_t mu; /* one signature at a time: a PKCS#11 session is not shared */
	EVP_PKEY *key;
	X509 *cert;
	ENGINE *engine; /* PKCS#11, when used */
	void *delegate; /* signer_new_delegate: freed with the signer */
};

static struct signer *
signer_new(void)
{
	struct signer *s = calloc(1, sizeof(*s));

	if (s)
		pthread_mutex_init(&s->mu, NULL);
	return s;
}

int
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
		snprintf(why, len,
			 "signing key %s is readable by group or others (mode %03o); "
			 "chmod 600 it",
			 key_path, (unsigned)(st.st_mode & 0777));
		return -EPERM;
	}
	s = signer_new();
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
	struct signer *s = signer_new();
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
	if (!s || atomic_fetch_sub(&s->extra, 1) > 0)
		return;
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	free(s->delegate);
	if (s->engine) {
		ENGINE_finish(s->engine);
		ENGINE_free(s->engine);
	}
	pthread_mutex_destroy(&s->mu);
	free(s);
}

struct signer *
signer_ref(struct signer *s)
{
	atomic_fetch_add(&s->extra, 1);
	return s;
}

int
signer_sign(struct signer *s, const void *data, size_t len, unsigned char **ret_sig,
	    size_t *ret_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t n = 0;
	int r = -EIO;

	pthread_mutex_lock(&s->mu);
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
	pthread_mutex_unlock(&s->mu);
	OPENSSL_free(sig);
	EVP_MD_CTX_free(md);
	return r;
}

/* ---- a key held elsewhere (a SAM): OpenSSL asks it through the EC key's method ---- */

struct delegate {
	signer_delegate_fn fn;
	void *arg;
};

static int delegate_idx = -1;
static EC_KEY_METHOD *delegate_meth;
static pthread_once_t delegate_once = PTHREAD_ONCE_INIT;

static int
delegate_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
	      unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *ec)
{
	struct delegate *d = EC_KEY_get_ex_data(ec, delegate_idx);
	size_t n = (size_t)ECDSA_size(ec);

	(void)type, (void)kinv, (void)r;
	if (!d || dlen < 0 || d->fn(d->arg, dgst, (size_t)dlen, sig, &n) < 0)
		return 0;
	*siglen = (unsigned int)n;
	return 1;
}

static ECDSA_SIG *
delegate_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv, const BIGNUM *r,
		  EC_KEY *ec)
{
	unsigned char der[160];
	unsigned int n = sizeof(der);
	const unsigned char *p = der;

	if ((size_t)ECDSA_size(ec) > sizeof(der) ||
	    !delegate_sign(0, dgst, dlen, der, &n, kinv, r, ec))
		return NULL;
	return d2i_ECDSA_SIG(NULL, &p, n);
}

static void
delegate_init(void)
{
	delegate_idx = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	delegate_meth = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
	if (delegate_meth)
		EC_KEY_METHOD_set_sign(delegate_meth, delegate_sign, NULL, delegate_sign_sig);
}

int
signer_new_delegate(const unsigned char *cert_der, size_t len, signer_delegate_fn fn, void *arg,
		    struct signer **ret, char *why, size_t wlen)
{
	const unsigned char *p = cert_der;
	struct signer *s = NULL;
	struct delegate *d = NULL;
	EVP_PKEY *pub;
	EC_KEY *ec = NULL;

	pthread_once(&delegate_once, delegate_init);
	if (!delegate_meth || delegate_idx < 0)
		return ssl_why(why, wlen, "no EC key method for a key held elsewhere");
	if (!(s = signer_new()) || !(d = calloc(1, sizeof(*d)))) {
		free(s);
		snprintf(why, wlen, "out of memory");
		return -ENOMEM;
	}
	d->fn = fn;
	d->arg = arg;
	s->cert = d2i_X509(NULL, &p, (long)len);
	pub = s->cert ? X509_get0_pubkey(s->cert) : NULL;
	if (!pub || EVP_PKEY_get_base_id(pub) != EVP_PKEY_EC ||
	    !(ec = EC_KEY_dup(EVP_PKEY_get0_EC_KEY(pub)))) {
		free(d);
		signer_free(s);
		return ssl_why(why, wlen, "the certificate is not one of an EC key");
	}
	if (!EC_KEY_set_method(ec, delegate_meth) || !EC_KEY_set_ex_data(ec, delegate_idx, d) ||
	    !(s->key = EVP_PKEY_new()) || !EVP_PKEY_assign_EC_KEY(s->key, ec)) {
		EC_KEY_free(ec);
		free(d);
		signer_free(s);
		return ssl_why(why, wlen, "cannot set up the key held elsewhere");
	}
	s->delegate = d;
	*ret = s;
	return 0;
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

int
signer_cms(struct signer *s, const void *content, size_t len, const char *content_oid,
	   unsigned char **ret_der, int *ret_len, char *why, size_t wlen)
{
	BIO *bio = BIO_new_mem_buf(content, (int)len);
	CMS_ContentInfo *cms =
		CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP);
	ASN1_OBJECT *oid = OBJ_txt2obj(content_oid, 1);
	int r = -EIO;

	pthread_mutex_lock(&s->mu);
	bool signed_ok = bio && cms && oid && CMS_set1_eContentType(cms, oid) &&
			 CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(),
					 CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL) &&
			 CMS_final(cms, bio, NULL, CMS_BINARY);
	pthread_mutex_unlock(&s->mu);
	if (!signed_ok) {
		ssl_why(why, wlen, "signing the CMS SignedData failed");
		goto out;
	}
	*ret_der = NULL;
	*ret_len = i2d_CMS_ContentInfo(cms, ret_der);
	if (*ret_len <= 0) {
		ssl_why(why, wlen, "cannot encode the CMS SignedData");
		goto out;
	}
	r = 0;
out:
	BIO_free(bio);
	CMS_ContentInfo_free(cms);
	ASN1_OBJECT_free(oid);
	return r;
}
