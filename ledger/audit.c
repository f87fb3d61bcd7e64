/*
 * audit.c - the audit export verifier, shared by cetak-audit and the tests.
 */
#define _GNU_SOURCE
#include "audit.h"
#include "stock.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
audit_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
bad(struct audit_result *r, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
bad(struct audit_result *r, long line, const char *fmt, ...)
{
	va_list ap;

	r->bad_line = line;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static int
sig_ok(X509 *cert, const char *msg, const char *sig_b64)
{
	size_t n = strlen(sig_b64);
	unsigned char *sig = malloc(n + 1);
	EVP_PKEY *key = X509_get0_pubkey(cert);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int len, ok = 0;

	if (sig && md && key && n % 4 == 0 &&
	    (len = EVP_DecodeBlock(sig, (const unsigned char *)sig_b64, (int)n)) > 0) {
		/* EVP_DecodeBlock counts padding bytes as zeros: drop them */
		len -= (n >= 1 && sig_b64[n - 1] == '=') + (n >= 2 && sig_b64[n - 2] == '=');
		ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
		     EVP_DigestVerify(md, sig, (size_t)len, (const unsigned char *)msg,
				      strlen(msg)) == 1;
	}
	EVP_MD_CTX_free(md);
	free(sig);
	return ok;
}

void
audit_chain(const uint8_t prev[32], const char *text, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, prev, 32);
	EVP_DigestUpdate(md, text, strlen(text));
	EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
}

static const char *
s(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

/* Exactly these keys (a NULL-terminated list), and all the required ones. */
static int
keys_ok(json_t *o, const char *const *allowed, int required)
{
	const char *k;
	json_t *v;
	int n = 0;

	json_object_foreach(o, k, v)
	{
		int i;
		for (i = 0; allowed[i]; i++)
			if (!strcmp(k, allowed[i]))
				break;
		if (!allowed[i])
			return 0;
	}
	for (int i = 0; i < required; i++)
		n += json_object_get(o, allowed[i]) != NULL;
	return n == required;
}

static const char *const header_keys[] = { "format", "station", "exported", "certificate", NULL };
static const char *const record_keys[] = { "seq", "at", "kind", "prev", "hash", "line", "count",
					   "lot", "chip", "job", "nik", "cause", "doc", "actor",
					   "note", "ribbon", "replaces", "replaces_rated",
					   "replaces_prints", NULL };
static const char *const checkpoint_keys[] = { "checkpoint", "at", "head", "sig", NULL };
static const char *const end_keys[] = { "end", "head", "at", "checkpoints", "sig", NULL };

/* The certificate in the header must be the one the supervisor trusts. */
static int
same_cert(json_t *hdr, X509 *cert)
{
	const char *pem = s(hdr, "certificate");
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *c = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	int same = c && X509_cmp(c, cert) == 0;

	X509_free(c);
	BIO_free(b);
	return same;
}

int
audit_verify(const char *buf, size_t len, X509 *cert, struct audit_result *r)
{
	uint8_t head[32] = { 0 };
	char hh[65];
	long line = 0, seq = 0;
	char hdr_sha[65] = "";
	int ended = 0, rc = 0;
	const char *p = buf, *end = buf + len;

	memset(r, 0, sizeof(*r));
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_error_t je;
		json_t *o = NULL;
		char *canon = NULL;

		line++;
		if (!nl) {
			rc = bad(r, line, "the last line is cut off (no newline)");
			break;
		}
		if (ended) {
			rc = bad(r, line, "data after the end record");
			break;
		}
		o = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
		/* Record lines are held to their bytes by their hash (below): the text
		 * hashed is the line itself minus its "hash" and "prev" members, so any
		 * other change breaks the chain. The other lines are checked for the
		 * canonical form here. */
		int is_record = o && line > 1 && json_object_get(o, "seq");
		canon = o && !is_record ? json_dumps(o, JSON_CANON) : NULL;
		if (!o || (!is_record && (!canon || strlen(canon) != n || memcmp(canon, p, n) != 0))) {
			rc = bad(r, line, "not a record in canonical form (changed or damaged)");
		} else if (line == 1 ? !keys_ok(o, header_keys, 4)
			   : json_object_get(o, "seq")	     ? !keys_ok(o, record_keys, 5)
			   : json_object_get(o, "checkpoint") ? !keys_ok(o, checkpoint_keys, 4)
			   : json_object_get(o, "end")	     ? !keys_ok(o, end_keys, 5)
							     : 1) {
			rc = bad(r, line, "unknown or missing fields for its kind of line");
		} else if (line == 1) {
			uint8_t md[32];
			EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL);
			audit_hex(md, 32, hdr_sha);
			if (strcmp(s(o, "format"), "cetak-audit/1") != 0)
				rc = bad(r, line, "not a cetak-audit/1 export");
			else if (!same_cert(o, cert))
				rc = bad(r, line, "signed by another station certificate than the one "
						  "given");
		} else if (json_object_get(o, "seq")) {
			/* The line is canonical (checked above), so the record as hashed is the
			 * line without its "hash" and "prev" members, each followed by a comma
			 * (keys are sorted: "kind" always follows "hash", "seq" follows "prev"). */
			uint8_t h[32];
			char want[65], *text = strndup(p, n), *hp = NULL, *pp = NULL;
			/* Splice only when both values are 64 characters: their encoded form is
			 * then at least that long, so the cut stays inside the line. */
			int sized = strlen(s(o, "hash")) == 64 && strlen(s(o, "prev")) == 64;
			audit_hex(head, 32, hh);
			if (sized && (hp = strstr(text, ",\"hash\":\""))) {
				hp++;
				memmove(hp, hp + 8 + 64 + 2, strlen(hp + 8 + 64 + 2) + 1);
			}
			if (sized && (pp = strstr(text, ",\"prev\":\""))) {
				pp++;
				memmove(pp, pp + 8 + 64 + 2, strlen(pp + 8 + 64 + 2) + 1);
			}
			if (json_integer_value(json_object_get(o, "seq")) != seq + 1)
				rc = bad(r, line, "record %ld expected, found seq %lld (a record was "
						  "removed, inserted or moved)",
					 seq + 1, (long long)json_integer_value(json_object_get(o, "seq")));
			else if (strcmp(s(o, "prev"), hh) != 0 || !hp || !pp)
				rc = bad(r, line, "record %ld does not follow the previous one", seq + 1);
			else {
				audit_chain(head, text, h);
				audit_hex(h, 32, want);
				if (strcmp(s(o, "hash"), want) != 0)
					rc = bad(r, line, "record %ld does not match its hash", seq + 1);
				else if (stock_apply(&r->balance, o, r->why, sizeof(r->why)) < 0)
					rc = bad(r, line, "record %ld breaks the stock rules: %.200s",
						 seq + 1, r->why);
				else {
					memcpy(head, h, 32);
					seq++;
					r->records++;
				}
			}
			free(text);
		} else if (json_object_get(o, "checkpoint")) {
			char msg[160];
			audit_hex(head, 32, hh);
			snprintf(msg, sizeof(msg), "cetak-audit-checkpoint/1|%ld|%s|%lld", seq, hh,
				 (long long)json_integer_value(json_object_get(o, "at")));
			if (json_integer_value(json_object_get(o, "checkpoint")) != seq ||
			    strcmp(s(o, "head"), hh) != 0)
				rc = bad(r, line, "checkpoint does not cover record %ld", seq);
			else if (!sig_ok(cert, msg, s(o, "sig")))
				rc = bad(r, line, "checkpoint at record %ld: bad signature", seq);
			else
				r->checkpoints++;
		} else if (json_object_get(o, "end")) {
			char msg[256];
			audit_hex(head, 32, hh);
			snprintf(msg, sizeof(msg), "cetak-audit-export/1|%ld|%s|%lld|%lld|%s", seq, hh,
				 (long long)json_integer_value(json_object_get(o, "at")),
				 (long long)json_integer_value(json_object_get(o, "checkpoints")),
				 hdr_sha);
			if (json_integer_value(json_object_get(o, "end")) != seq ||
			    strcmp(s(o, "head"), hh) != 0)
				rc = bad(r, line, "the end record does not match the last record %ld",
					 seq);
			else if (json_integer_value(json_object_get(o, "checkpoints")) !=
				 r->checkpoints)
				rc = bad(r, line, "the export should hold %lld checkpoints, %ld are "
						  "there (one was removed or added)",
					 (long long)json_integer_value(json_object_get(o, "checkpoints")),
					 r->checkpoints);
			else if (!sig_ok(cert, msg, s(o, "sig")))
				rc = bad(r, line, "the end record's signature is bad");
			else
				ended = 1;
		} else {
			rc = bad(r, line, "unknown kind of line");
		}
		free(canon);
		json_decref(o);
		p += n + 1;
	}
	if (rc == 0 && line == 0)
		rc = bad(r, 1, "empty export");
	if (rc == 0 && !ended)
		rc = bad(r, line, "no end record: the export was cut off");
	if (rc == 0 && stock_invariant(&r->balance, r->why, sizeof(r->why)) < 0)
		rc = bad(r, line, "%.250s", r->why);
	return rc;
}
