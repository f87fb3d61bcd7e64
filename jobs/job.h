/*
 * job.h - one print job: the cetak-job/1 file format, parsed and validated.
 *
 * job_parse() is the one validator: cetakd runs it on every spool file and
 * `cetakctl validate` runs exactly the same code. Input is untrusted (it
 * comes from the upstream enrolment system): every length is bounded, every
 * field type-checked, every date and the NIK checked against each other, the
 * photo decoded. The format is documented in docs/job-format.md.
 */
#ifndef CETAK_JOB_H
#define CETAK_JOB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* jpeglib.h needs FILE first */
#include <jpeglib.h>

struct job_jpeg_guard {
	struct jpeg_progress_mgr pm; /* first: libjpeg hands this pointer back */
	double t0;
	char why[128]; /* set when the guard stopped the decoder */
};
/* Attach g to ci, after jpeg_create_decompress(); g must outlive the decode. */
void job_jpeg_guard(struct job_jpeg_guard *g, struct jpeg_decompress_struct *ci);

#define JOB_FORMAT "cetak-job/1"

/*
 * Bounds on decoding an outside JPEG (a photo): a file of 128 KiB can hold
 * thousands of progressive scans that cost seconds each pass. The guard is a
 * libjpeg progress monitor that stops the decoder (through its error_exit)
 * past JOB_JPEG_MAX_SCANS scans or JOB_JPEG_MAX_MS of work; why says which.
 * The validator and the face renderer both use it. Pixels are bounded by the
 * validator's dimension check (4000 x 4000).
 */
#define JOB_JPEG_MAX_SCANS 32
#define JOB_JPEG_MAX_MS 500
#define JOB_ID_MAX 64
#define JOB_NIK_LEN 16

enum job_kind { JOB_NEW, JOB_REPLACEMENT, JOB_DATA_CHANGE, JOB_KIND_COUNT };

/* What the station's policy adds to the rules of the format. */
struct job_policy {
	const char *region; /* NIK prefix this station serves; "" or NULL = any */
	long long now;	    /* "today" for date checks (epoch seconds) */
};

/* The fields the job store and the scheduler need; the rest stay in json. */
struct job {
	char job_id[JOB_ID_MAX + 1];
	enum job_kind kind;
	int urgent;
	char nik[JOB_NIK_LEN + 1];
	char name[128];
	json_t *json; /* the whole validated document, owned */
};

/*
 * Parse and validate one job file of len bytes. Returns 0 and *ret_job
 * (free with job_free) or -EINVAL with one precise reason in why
 * ("holder.nik: date part 121187 does not match birth_date 1987-11-12 and
 * sex PEREMPUAN (expected 521187)").
 */
int job_parse(const char *buf, size_t len, const struct job_policy *pol, struct job **ret_job,
	      char *why, size_t whylen);
void job_free(struct job *job);

const char *job_kind_name(enum job_kind k);
int job_kind_from_name(const char *s); /* -1 when unknown */

/* The string at a dotted path of a validated job ("holder.address.rt"); "" if absent.
 * Borrowed from job, valid while it lives. */
const char *job_field(json_t *job, const char *path);

/* Decode the base64 string v into a new buffer (caller frees); NULL when it is not one. */
uint8_t *job_base64_field(json_t *v, size_t *ret_len);

/*
 * Strict RFC 4648 base64 (no whitespace, padding required). Returns the
 * decoded length or -1. out must hold (len / 4) * 3 bytes; at most max bytes
 * are produced, more is an error.
 */
long job_base64_decode(const char *in, size_t len, uint8_t *out, size_t max);

#endif
