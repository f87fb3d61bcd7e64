/*
 * sod.h - the Document Security Object (EF.SOD) and the key that signs it.
 *
 * EF.SOD is tag 77 around a CMS SignedData (version 3) whose eContentType is
 * id-icao-ldsSecurityObject (2.23.136.1.1.1) and whose content is the DER
 * LDSSecurityObject with the SHA-256 of every data group written. Built with
 * OpenSSL's ASN.1 templates and CMS; signed with ECDSA P-256 by the Document
 * Signer key (common/signer.h).
 */
#ifndef CETAK_SOD_H
#define CETAK_SOD_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "common/signer.h"
#include "tlv.h"

struct sod_dg {
	int dg;
	const uint8_t *data; /* the data group's whole TLV */
	size_t len;
};

/* Append the tag-77 EF.SOD over dgs to out. 0 or -EIO with a reason. */
int sod_build(struct signer *s, const struct sod_dg *dgs, int n, struct tlv_buf *out, char *why,
	      size_t len);

/* A trust store holding the CSCA certificate(s) of a PEM file; NULL with a reason. */
X509_STORE *sod_load_csca(const char *path, char *why, size_t len);

/*
 * Does the signer's certificate chain to csca and is it valid now? Checked at
 * start and reload: a signer whose cards would not verify takes no blank.
 * 0, or -EBADMSG with the reason.
 */
int sod_check_signer(struct signer *s, X509_STORE *csca, char *why, size_t len);
/*
 * Check a tag-77 EF.SOD: the CMS signature against csca, its content type,
 * and that it lists exactly the data groups given with matching SHA-256.
 * 0, or -EBADMSG with the precise reason.
 */
int sod_verify(const uint8_t *sod, size_t sod_len, X509_STORE *csca, const struct sod_dg *dgs,
	       int n, char *why, size_t len);

#endif
