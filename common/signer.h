/*
 * signer.h - a signing key and its certificate, used by every module that
 * signs: the Document Signer (EF.SOD, smartcard/) and the station key (the
 * audit chain's checkpoints, ledger/). The key comes from a PEM file
 * (refused when group- or world-readable) or a PKCS#11 token (libp11's
 * engine). A signer is shared by reference; one signature at a time.
 */
#ifndef CETAK_SIGNER_H
#define CETAK_SIGNER_H

#include <openssl/x509.h>
#include <stddef.h>

struct signer;

/* PEM key and certificate files. 0 or -errno/-EPERM with the reason in why. */
int signer_load_pem(const char *key_path, const char *cert_path, struct signer **ret, char *why,
		    size_t len);
/* A key in a PKCS#11 token (URI "pkcs11:token=...;object=..."), PIN from pin. */
int signer_load_pkcs11(const char *module, const char *uri, const char *pin, const char *cert_path,
		       struct signer **ret, char *why, size_t len);
/*
 * A signer whose key is held elsewhere (a SAM): fn gets the SHA-256 hash
 * to sign and returns 0 with a DER ECDSA signature in sig (*siglen bytes;
 * room for *siglen on entry), or -1. cert_der is the key's certificate
 * (an EC key). fn and arg are borrowed for the signer's life; fn runs on
 * the thread that signs. 0 or -errno with the reason in why.
 */
typedef int (*signer_delegate_fn)(void *arg, const unsigned char *hash, size_t len,
				  unsigned char *sig, size_t *siglen);
int signer_new_delegate(const unsigned char *cert_der, size_t len, signer_delegate_fn fn, void *arg,
			struct signer **ret, char *why, size_t wlen);
/* Drop a reference (the last one frees). NULL is fine. */
void signer_free(struct signer *s);
/* One more reference, for a thread that signs while the owner may replace it. */
struct signer *signer_ref(struct signer *s);

/*
 * Sign data with the key (SHA-256; ECDSA gives a DER signature). *ret_sig is
 * malloc'd. Used for the audit chain's checkpoints with the station key.
 */
int signer_sign(struct signer *s, const void *data, size_t len, unsigned char **ret_sig,
		size_t *ret_len);
/* The signer's certificate (borrowed, lives as long as s). */
X509 *signer_cert(struct signer *s);

/*
 * The signer a configuration names: key is a PEM path or a PKCS#11 URI
 * ("pkcs11:..."), the latter with module and pin_source (a PIN file or a
 * systemd credential name). 0 or -errno with the reason in why.
 */
int signer_open(const char *key, const char *cert_path, const char *module, const char *pin_source,
		struct signer **ret, char *why, size_t len);

/* Read a PIN from a file or a systemd credential name (first line, trimmed). */
int signer_read_pin(const char *file_or_credential, char *pin, size_t len);

/* "what: the reason OpenSSL queued" into why; the queue is cleared. Returns -EIO. */
int ssl_why(char *why, size_t len, const char *what);

/*
 * A CMS SignedData (SHA-256, the certificate included) over content with the
 * eContentType content_oid (dotted). *ret_der is OPENSSL_malloc'd. 0, or
 * -EIO with the reason in why.
 */
int signer_cms(struct signer *s, const void *content, size_t len, const char *content_oid,
	       unsigned char **ret_der, int *ret_len, char *why, size_t wlen);

#endif
