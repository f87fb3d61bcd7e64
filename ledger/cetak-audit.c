/*
 * cetak-audit.c - verify an audit export offline, on a supervisor's laptop.
 *
 * usage: cetak-audit verify FILE --cert STATION.pem
 * Exit 0 and a summary when the export is intact; exit 1 and the first bad
 * line with its reason otherwise; 2 for usage errors. "OK:" and "BAD:" stay
 * as they are for scripts; the rest follows the locale (LANG=id_ID.UTF-8).
 */
#define _GNU_SOURCE
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "common/i18n.h"

int
main(int argc, char **argv)
{
	const char *file = NULL, *cert_path = NULL;

	i18n_init();
	if (argc < 3 || strcmp(argv[1], "verify") != 0)
		goto usage;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--cert") && i + 1 < argc)
			cert_path = argv[++i];
		else if (!file)
			file = argv[i];
		else
			goto usage;
	}
	if (!file || !cert_path)
		goto usage;
	FILE *cf = fopen(cert_path, "r");
	X509 *cert = cf ? PEM_read_X509(cf, NULL, NULL, NULL) : NULL;
	if (cf)
		fclose(cf);
	if (!cert) {
		fprintf(stderr, _("cetak-audit: %s is not a PEM certificate\n"), cert_path);
		return 2;
	}
	FILE *f = fopen(file, "rb");
	if (!f) {
		perror(file);
		return 2;
	}
	size_t cap = 1 << 20, len = 0, n;
	char *buf = malloc(cap);
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	struct audit_result r;
	int rc = audit_verify(buf, len, cert, &r);
	if (rc == 0) {
		const struct ledger_balance *b = &r.balance;
		fputs("OK: ", stdout);
		printf(_("%ld records, %ld signed checkpoints; received %ld, in store %ld, "
			 "issued %ld, spoiled %ld (destroyed %ld), transferred %ld, "
			 "discrepancies %ld\n"),
		       r.records, r.checkpoints, b->received, b->store, b->issued, b->spoiled,
		       b->destroyed, b->transferred, b->discrepancy);
	} else {
		char why[1024];
		fputs("BAD: ", stdout);
		printf(_("%s line %ld: %s\n"), file, r.bad_line, i18n_msg(r.why, why, sizeof(why)));
	}
	free(buf);
	X509_free(cert);
	return rc == 0 ? 0 : 1;
usage:
	fprintf(stderr, _("usage: cetak-audit verify FILE --cert STATION.pem\n"));
	return 2;
}
