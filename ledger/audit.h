/*
 * audit.h - verify an audit export (docs/audit-format.md) without a daemon.
 */
#ifndef CETAK_AUDIT_H
#define CETAK_AUDIT_H

#include <openssl/x509.h>
#include <stddef.h>

#include "ledger.h"

struct audit_result {
	long records, checkpoints;
	long bad_line;   /* 1-based line of the first problem; 0 when none */
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

#endif
