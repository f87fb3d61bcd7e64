/*
 * audit.h - verify an audit export (docs/audit-format.md) without a daemon.
 */
#ifndef CETAK_AUDIT_H
#define CETAK_AUDIT_H

/* The export format written (docs/audit-format.md); cetak-audit/1 to /3
 * exports still verify. */
#define AUDIT_FORMAT "cetak-audit/4"

#include <jansson.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

/*
 * The format's primitives, shared by the writer (ledger.c) and the verifier
 * so that both sides agree byte for byte: the canonical JSON of a record, the
 * chain hash = SHA-256(prev || canonical text), and lower-case hex.
 */
#define JSON_CANON (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)
/* A digest context kept by its owner (one per thread that hashes); zero it
 * before the first use, free it with audit_md_free(). */
struct audit_md {
	EVP_MD_CTX *ctx;
	EVP_MD *md;
};
void audit_chain(struct audit_md *m, const uint8_t prev[32], const char *text, uint8_t out[32]);
void audit_md_free(struct audit_md *m);
void audit_hex(const uint8_t *p, size_t n, char *out); /* out holds 2n + 1 */

struct audit_result {
	long records, checkpoints;
	long bad_line; /* 1-based line of the first problem; 0 when none */
	char why[300];
	struct ledger_balance balance; /* replayed */
};

/*
 * Verify the export in buf against the station certificate cert: every line
 * in canonical form, the hash chain from the first record to the last, every
 * checkpoint's signature, the signed end record (nothing cut off), and the
 * stock invariant replayed event by event. 0 when all holds; -EBADMSG with
 * the first problem in res.
 */
int audit_verify(const char *buf, size_t len, X509 *cert, struct audit_result *res);

/* Where a station's chain stands, as the district hub holds it. */
struct audit_resume {
	long seq;		       /* the last record verified; 0 = none */
	uint8_t head[32];	       /* the chain hash after it */
	struct ledger_balance balance; /* the stock replayed up to it */
};
/*
 * Verify an export slice (ledger_export_range) that continues the chain at
 * *at: its header's "from" must be at->seq + 1 (a whole export needs
 * at->seq 0), its first record must follow at->head, and the stock rules
 * are replayed on from at->balance. On 0, *at is where the slice ends;
 * on -EBADMSG it is unchanged and res names the first problem.
 */
int audit_verify_from(const char *buf, size_t len, X509 *cert, struct audit_resume *at,
		      struct audit_result *res);
/*
 * The same, calling each() for every record that verified, in order, with
 * its parse, its line (n bytes, no newline) and the balance after it; a
 * negative return stops the verification (-EBADMSG). The records seen are
 * only final when the whole slice verifies: the district hub gathers them
 * and keeps them only then.
 */
typedef int (*audit_record_cb)(json_t *record, const char *line, size_t n,
			       const struct ledger_balance *after, void *ctx);
int audit_verify_each(const char *buf, size_t len, X509 *cert, struct audit_resume *at,
		      struct audit_result *res, audit_record_cb each, void *ctx);

#endif
