/*
 * audit.c - the audit export verifier, shared by cetak-audit and the tests.
 */
#define _GNU_SOURCE
#include "common/i18n.h"
#include "audit.h"
#include "stock.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
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

static int bad(struct audit_result *r, long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

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
audit_chain(struct audit_md *m, const uint8_t prev[32], const char *text, uint8_t out[32])
{
	/* the context and the fetched digest are kept by the caller: making them
	 * per record cost a fifth of the verifier's time */
	if (!m->ctx)
		m->ctx = EVP_MD_CTX_new();
	if (!m->md)
		m->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	EVP_DigestInit_ex(m->ctx, m->md, NULL);
	EVP_DigestUpdate(m->ctx, prev, 32);
	EVP_DigestUpdate(m->ctx, text, strlen(text));
	EVP_DigestFinal_ex(m->ctx, out, NULL);
}

void
audit_md_free(struct audit_md *m)
{
	EVP_MD_CTX_free(m->ctx);
	EVP_MD_free(m->md);
	m->ctx = NULL;
	m->md = NULL;
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

static const char *const header_keys[] = { "format",	  "station", "exported",
					   "certificate", "from",    NULL };
static const char *const record_keys[] = { "seq",
					   "at",
					   "kind",
					   "prev",
					   "hash",
					   "line",
					   "count",
					   "lot",
					   "chip",
					   "job",
					   "nik",
					   "cause",
					   "doc",
					   "actor",
					   "note",
					   "ribbon",
					   "replaces",
					   "replaces_rated",
					   "replaces_prints",
					   "from",
					   "to",
					   "event",
					   "place",
					   "peer",
					   NULL };
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

/* The state of one verification, line by line. */
struct vstate {
	X509 *cert;
	struct audit_result *r;
	uint8_t head[32];
	long line, seq;
	char hdr_sha[65];
	int ended;
	struct audit_md md;
	audit_record_cb each; /* NULL: none */
	void *each_ctx;
};

/* Check one line (o is its parse, or NULL when it does not parse). 0 or -EBADMSG. */
static int
verify_line(struct vstate *v, const char *p, size_t n, json_t *o)
{
	struct audit_result *r = v->r;
	char hh[65], *canon = NULL;
	long line = v->line;
	int rc = 0;

	if (v->ended)
		return bad(r, line, R_("data after the end record"));
	/* Record lines are held to their bytes by their hash (below): the text
	 * hashed is the line itself minus its "hash" and "prev" members, so any
	 * other change breaks the chain. The other lines are checked for the
	 * canonical form here. */
	int is_record = o && line > 1 && json_object_get(o, "seq");
	canon = o && !is_record ? json_dumps(o, JSON_CANON) : NULL;
	if (!o || (!is_record && (!canon || strlen(canon) != n || memcmp(canon, p, n) != 0))) {
		rc = bad(r, line, R_("not a record in canonical form (changed or damaged)"));
	} else if (line == 1			      ? !keys_ok(o, header_keys, 4)
		   : json_object_get(o, "seq")	      ? !keys_ok(o, record_keys, 5)
		   : json_object_get(o, "checkpoint") ? !keys_ok(o, checkpoint_keys, 4)
		   : json_object_get(o, "end")	      ? !keys_ok(o, end_keys, 5)
						      : 1) {
		rc = bad(r, line, R_("unknown or missing fields for its kind of line"));
	} else if (line == 1) {
		uint8_t md[32];
		EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL);
		audit_hex(md, 32, v->hdr_sha);
		if (strcmp(s(o, "format"), AUDIT_FORMAT) != 0 &&
		    strcmp(s(o, "format"), "cetak-audit/3") != 0 &&
		    strcmp(s(o, "format"), "cetak-audit/2") != 0 &&
		    strcmp(s(o, "format"), "cetak-audit/1") != 0)
			rc = bad(r, line,
				 R_("not a cetak-audit export (format %s or cetak-audit/3, /2 or "
				    "/1)"),
				 AUDIT_FORMAT);
		else if (!same_cert(o, v->cert))
			rc = bad(r, line,
				 R_("signed by another station certificate than the one given"));
		else if (json_object_get(o, "from") &&
			 json_integer_value(json_object_get(o, "from")) != v->seq + 1)
			rc = bad(
				r, line,
				R_("the slice starts at record %lld; the chain held ends at record "
				   "%ld"),
				(long long)json_integer_value(json_object_get(o, "from")), v->seq);
		else if (!json_object_get(o, "from") && v->seq != 0)
			rc = bad(r, line,
				 R_("a whole export from record 1, where the chain held ends at "
				    "record %ld"),
				 v->seq);
	} else if (json_object_get(o, "seq")) {
		/* The record as hashed is the line without its "hash" and "prev" members,
		 * each with the comma before it. */
		uint8_t h[32];
		char want[65], small[2048], *text = n < sizeof(small) ? small : malloc(n + 1),
					    *hp = NULL, *pp = NULL;
		if (!text)
			return bad(r, line, R_("out of memory"));
		memcpy(text, p, n);
		text[n] = '\0';
		/* Splice only when both values are 64 characters: their encoded form is
		 * then at least that long, so the cut stays inside the line. */
		int sized = strlen(s(o, "hash")) == 64 && strlen(s(o, "prev")) == 64;
		audit_hex(v->head, 32, hh);
		if (sized && (hp = strstr(text, ",\"hash\":\""))) {
			hp++;
			memmove(hp, hp + 8 + 64 + 2, strlen(hp + 8 + 64 + 2) + 1);
		}
		if (sized && (pp = strstr(text, ",\"prev\":\""))) {
			pp++;
			memmove(pp, pp + 8 + 64 + 2, strlen(pp + 8 + 64 + 2) + 1);
		}
		if (json_integer_value(json_object_get(o, "seq")) != v->seq + 1)
			rc = bad(r, line,
				 R_("record %ld expected, found seq %lld (a record was "
				    "removed, inserted or moved)"),
				 v->seq + 1,
				 (long long)json_integer_value(json_object_get(o, "seq")));
		else if (strcmp(s(o, "prev"), hh) != 0 || !hp || !pp)
			rc = bad(r, line, R_("record %ld does not follow the previous one"),
				 v->seq + 1);
		else {
			audit_chain(&v->md, v->head, text, h);
			audit_hex(h, 32, want);
			if (strcmp(s(o, "hash"), want) != 0)
				rc = bad(r, line, R_("record %ld does not match its hash"),
					 v->seq + 1);
			else if (stock_apply(&r->balance, o, r->why, sizeof(r->why)) < 0)
				rc = bad(r, line, R_("record %ld breaks the stock rules: %.200s"),
					 v->seq + 1, r->why);
			else {
				memcpy(v->head, h, 32);
				v->seq++;
				r->records++;
				if (v->each && v->each(o, p, n, &r->balance, v->each_ctx) < 0)
					rc = bad(r, line, R_("record %ld could not be kept"),
						 v->seq);
			}
		}
		if (text != small)
			free(text);
	} else if (json_object_get(o, "checkpoint")) {
		char msg[160];
		audit_hex(v->head, 32, hh);
		snprintf(msg, sizeof(msg), "cetak-audit-checkpoint/1|%ld|%s|%lld", v->seq, hh,
			 (long long)json_integer_value(json_object_get(o, "at")));
		if (json_integer_value(json_object_get(o, "checkpoint")) != v->seq ||
		    strcmp(s(o, "head"), hh) != 0)
			rc = bad(r, line, R_("checkpoint does not cover record %ld"), v->seq);
		else if (!sig_ok(v->cert, msg, s(o, "sig")))
			rc = bad(r, line, R_("checkpoint at record %ld: bad signature"), v->seq);
		else
			r->checkpoints++;
	} else if (json_object_get(o, "end")) {
		char msg[256];
		audit_hex(v->head, 32, hh);
		snprintf(msg, sizeof(msg), "cetak-audit-export/1|%ld|%s|%lld|%lld|%s", v->seq, hh,
			 (long long)json_integer_value(json_object_get(o, "at")),
			 (long long)json_integer_value(json_object_get(o, "checkpoints")),
			 v->hdr_sha);
		if (json_integer_value(json_object_get(o, "end")) != v->seq ||
		    strcmp(s(o, "head"), hh) != 0)
			rc = bad(r, line, R_("the end record does not match the last record %ld"),
				 v->seq);
		else if (json_integer_value(json_object_get(o, "checkpoints")) != r->checkpoints)
			rc = bad(r, line,
				 R_("the export should hold %lld checkpoints, %ld are there (one "
				    "was removed or added)"),
				 (long long)json_integer_value(json_object_get(o, "checkpoints")),
				 r->checkpoints);
		else if (!sig_ok(v->cert, msg, s(o, "sig")))
			rc = bad(r, line, R_("the end record's signature is bad"));
		else
			v->ended = 1;
	} else {
		rc = bad(r, line, R_("unknown kind of line"));
	}
	free(canon);
	return rc;
}

/*
 * Parsing is most of the work, and each line parses on its own: for large
 * exports, helper threads parse batches of lines ahead while the checks
 * (chain, signatures, stock replay) run in order on the calling thread.
 */
#define PARSE_BATCH 2048
#define PARSE_SLOTS 8
#define PARSE_THREADS 2

struct pipeline {
	const char *buf;
	const size_t *off; /* line i spans off[i] .. off[i+1] - 1 (the newline) */
	long lines;
	long batches;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	struct {
		long batch; /* which batch the slot holds; -1 free */
		int ready;
		json_t *o[PARSE_BATCH];
	} slot[PARSE_SLOTS];
	struct {
		struct pipeline *pl;
		int id;
	} arg[PARSE_THREADS];
};

static void *
parser_main(void *a)
{
	struct pipeline *pl = ((typeof(pl->arg[0]) *)a)->pl;
	int id = ((typeof(pl->arg[0]) *)a)->id;

	for (long b = id; b < pl->batches; b += PARSE_THREADS) {
		int k = (int)(b % PARSE_SLOTS);
		pthread_mutex_lock(&pl->mu);
		while (!pl->stop && pl->slot[k].batch != -1)
			pthread_cond_wait(&pl->cv, &pl->mu);
		if (pl->stop) {
			pthread_mutex_unlock(&pl->mu);
			break;
		}
		pl->slot[k].batch = b;
		pthread_mutex_unlock(&pl->mu);
		/* the objects of the batch this slot held, freed where they were made
		 * (freeing in another thread costs more than the parse) */
		for (int i = 0; i < PARSE_BATCH; i++) {
			json_decref(pl->slot[k].o[i]);
			pl->slot[k].o[i] = NULL;
		}
		long first = b * PARSE_BATCH, last = first + PARSE_BATCH;
		if (last > pl->lines)
			last = pl->lines;
		for (long i = first; i < last; i++) {
			json_error_t je;
			pl->slot[k].o[i - first] =
				json_loadb(pl->buf + pl->off[i], pl->off[i + 1] - 1 - pl->off[i],
					   JSON_REJECT_DUPLICATES, &je);
		}
		pthread_mutex_lock(&pl->mu);
		pl->slot[k].ready = 1;
		pthread_cond_broadcast(&pl->cv);
		pthread_mutex_unlock(&pl->mu);
	}
	return NULL;
}

int
audit_verify(const char *buf, size_t len, X509 *cert, struct audit_result *r)
{
	struct audit_resume at;

	memset(&at, 0, sizeof(at));
	return audit_verify_from(buf, len, cert, &at, r);
}

int
audit_verify_from(const char *buf, size_t len, X509 *cert, struct audit_resume *at,
		  struct audit_result *r)
{
	return audit_verify_each(buf, len, cert, at, r, NULL, NULL);
}

int
audit_verify_each(const char *buf, size_t len, X509 *cert, struct audit_resume *at,
		  struct audit_result *r, audit_record_cb each, void *ctx)
{
	struct vstate v = { .cert = cert, .r = r, .seq = at->seq, .each = each, .each_ctx = ctx };
	size_t *off = NULL, n_off = 0, cap = 0;
	const char *p = buf, *end = buf + len;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	memcpy(v.head, at->head, 32);
	r->balance = at->balance;
	/* the complete lines; a last line without its newline was cut off */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (n_off + 2 > cap) {
			size_t *no = realloc(off, (cap = cap ? cap * 2 : 1024) * sizeof(*off));
			if (!no) {
				free(off);
				return bad(r, 1, R_("out of memory"));
			}
			off = no;
		}
		off[n_off++] = (size_t)(p - buf);
		if (!nl) {
			free(off);
			return bad(r, (long)n_off, R_("the last line is cut off (no newline)"));
		}
		p = nl + 1;
	}
	if (n_off == 0) {
		free(off);
		return bad(r, 1, R_("empty export"));
	}
	off[n_off] = len;
	long lines = (long)n_off;

	if (lines < 4 * PARSE_BATCH) { /* small: one thread */
		for (long i = 0; i < lines && rc == 0; i++) {
			json_error_t je;
			size_t n = off[i + 1] - 1 - off[i];
			json_t *o = json_loadb(buf + off[i], n, JSON_REJECT_DUPLICATES, &je);
			v.line = i + 1;
			rc = verify_line(&v, buf + off[i], n, o);
			json_decref(o);
		}
	} else {
		struct pipeline *pl = calloc(1, sizeof(*pl));
		pthread_t th[PARSE_THREADS];
		int started = 0;
		if (!pl) {
			free(off);
			return bad(r, 1, R_("out of memory"));
		}
		pl->buf = buf;
		pl->off = off;
		pl->lines = lines;
		pl->batches = (lines + PARSE_BATCH - 1) / PARSE_BATCH;
		pthread_mutex_init(&pl->mu, NULL);
		pthread_cond_init(&pl->cv, NULL);
		for (int k = 0; k < PARSE_SLOTS; k++)
			pl->slot[k].batch = -1;
		for (int t = 0; t < PARSE_THREADS; t++) {
			pl->arg[t].pl = pl;
			pl->arg[t].id = t;
			if (pthread_create(&th[t], NULL, parser_main, &pl->arg[t]) == 0)
				started++;
			else
				break;
		}
		if (started < PARSE_THREADS)
			rc = bad(r, 1, R_("cannot start the parser threads"));
		for (long b = 0; b < pl->batches && rc == 0; b++) {
			int k = (int)(b % PARSE_SLOTS);
			pthread_mutex_lock(&pl->mu);
			while (!(pl->slot[k].batch == b && pl->slot[k].ready))
				pthread_cond_wait(&pl->cv, &pl->mu);
			pthread_mutex_unlock(&pl->mu);
			long first = b * PARSE_BATCH, last = first + PARSE_BATCH;
			if (last > lines)
				last = lines;
			for (long i = first; i < last; i++) {
				if (rc == 0) {
					v.line = i + 1;
					rc = verify_line(&v, buf + off[i], off[i + 1] - 1 - off[i],
							 pl->slot[k].o[i - first]);
				}
			}
			pthread_mutex_lock(&pl->mu);
			pl->slot[k].batch = -1;
			pl->slot[k].ready = 0;
			pthread_cond_broadcast(&pl->cv);
			pthread_mutex_unlock(&pl->mu);
		}
		pthread_mutex_lock(&pl->mu);
		pl->stop = 1;
		pthread_cond_broadcast(&pl->cv);
		pthread_mutex_unlock(&pl->mu);
		for (int t = 0; t < started; t++)
			pthread_join(th[t], NULL);
		/* whatever the slots still hold (json_decref(NULL) is a no-op) */
		for (int k = 0; k < PARSE_SLOTS; k++)
			for (int i = 0; i < PARSE_BATCH; i++)
				json_decref(pl->slot[k].o[i]);
		pthread_mutex_destroy(&pl->mu);
		pthread_cond_destroy(&pl->cv);
		free(pl);
	}
	free(off);
	audit_md_free(&v.md);
	if (rc == 0 && !v.ended)
		rc = bad(r, lines, R_("no end record: the export was cut off"));
	if (rc == 0 && stock_invariant(&r->balance, r->why, sizeof(r->why)) < 0)
		rc = bad(r, lines, "%.250s", r->why);
	if (rc == 0) {
		at->seq = v.seq;
		memcpy(at->head, v.head, 32);
		at->balance = r->balance;
	}
	return rc;
}
