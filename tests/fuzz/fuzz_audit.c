/*
 * fuzz_audit.c - libFuzzer target for the audit export verifier (files that
 * reach a supervisor's laptop): never crash, never leak, and never accept
 * anything, since no input can carry a signature of this run's fresh key.
 * The same input is also verified as a slice the district hub receives
 * (audit_verify_each from a chain held at record 41, with a callback per
 * record, as cetak-hub gathers its rows).
 */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>

#include "ledger/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static X509 *
fresh_cert(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *c = X509_new();

	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
	X509_gmtime_adj(X509_getm_notBefore(c), 0);
	X509_gmtime_adj(X509_getm_notAfter(c), 3600);
	X509_set_pubkey(c, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
				   (const unsigned char *)"fuzz station", -1, -1, 0);
	X509_set_issuer_name(c, X509_get_subject_name(c));
	X509_sign(c, k, EVP_sha256());
	EVP_PKEY_free(k);
	return c;
}

static int
each(json_t *record, const char *line, size_t n, const struct ledger_balance *after, void *ctx)
{
	(void)record, (void)line, (void)after;
	*(size_t *)ctx += n;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static X509 *cert;
	struct audit_result r;

	if (!cert)
		cert = fresh_cert();
	if (audit_verify((const char *)data, size, cert, &r) == 0 && r.records > 0)
		abort();
	struct audit_resume at = { .seq = 41 };
	size_t seen = 0;
	at.head[0] = 0x5a;
	at.balance.store = 100;
	at.balance.received = 100;
	if (audit_verify_each((const char *)data, size, cert, &at, &r, each, &seen) == 0)
		abort();
	return 0;
}
