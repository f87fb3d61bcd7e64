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
#include <setjmp.h>
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

/* libjpeg's errors, caught: an error longjmps to jb with its text in msg;
 * warnings are counted (mgr.num_warnings), never printed. */
struct job_jpeg_err {
	struct jpeg_error_mgr mgr;
	jmp_buf jb;
	char msg[JMSG_LENGTH_MAX];
};
struct jpeg_error_mgr *job_jpeg_errors(struct job_jpeg_err *err);

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

/*
 * The text fields of a job, by name. The one table in job.c maps each to its
 * path in the file ("holder.address.rt"); the face layout names them by that
 * path and is checked against the table when it is loaded.
 */
enum job_fid {
	JF_JOB_ID,
	JF_KIND,
	JF_NIK,
	JF_NAME,
	JF_BIRTH_PLACE,
	JF_BIRTH_DATE,
	JF_SEX,
	JF_BLOOD_TYPE,
	JF_STREET,
	JF_RT,
	JF_RW,
	JF_KEL_DESA,
	JF_KECAMATAN,
	JF_KABUPATEN_KOTA,
	JF_PROVINSI,
	JF_RELIGION,
	JF_MARITAL_STATUS,
	JF_OCCUPATION,
	JF_CITIZENSHIP,
	JF_VALID_UNTIL,
	JF_ISSUE_PLACE,
	JF_ISSUE_DATE,
	JF_COUNT
};

/* Bytes decoded from one of the job's base64 fields, owned by the job. */
struct job_blob {
	uint8_t *data;
	size_t len;
};

#define JOB_FINGERS_MAX 10
#define JOB_PHONE_MAX 15

/*
 * One validated job, parsed once: what the job store and the scheduler need,
 * every text field, and the images already decoded from base64. The chip
 * data builder and the face renderer both read this record.
 */
struct job {
	char job_id[JOB_ID_MAX + 1];
	enum job_kind kind;
	int urgent;
	char nik[JOB_NIK_LEN + 1];
	char name[128];
	const char *field[JF_COUNT];		 /* every text field; borrowed from json */
	int woman;				 /* holder.sex is PEREMPUAN */
	int wni;				 /* holder.citizenship is WNI */
	int lifelong;				 /* holder.valid_until is SEUMUR HIDUP */
	struct job_blob photo;			 /* JPEG */
	unsigned photo_w, photo_h;		 /* its pixels */
	struct job_blob signature;		 /* PNG */
	struct job_blob finger[JOB_FINGERS_MAX]; /* ISO/IEC 19794-2 records */
	int n_fingers;
	char phone[JOB_PHONE_MAX + 1]; /* contact.phone as +628...; "" = none */
	json_t *json;		       /* the whole validated document, owned */
};

/*
 * An Indonesian mobile number as a job gives it ("0812-3456-7890",
 * "628123456789", "+62 812 3456 7890") in the form SMS gateways take
 * ("+6281234567890"). -EINVAL when it is not a mobile number.
 */
int job_phone_normalize(const char *in, char out[JOB_PHONE_MAX + 1]);

/* The field at a dotted path ("holder.address.rt"); -1 when there is none. */
int job_field_id(const char *path);
const char *job_field_path(enum job_fid f);

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

/*
 * Strict RFC 4648 base64 (no whitespace, padding required). Returns the
 * decoded length or -1. out must hold (len / 4) * 3 bytes; at most max bytes
 * are produced, more is an error.
 */
long job_base64_decode(const char *in, size_t len, uint8_t *out, size_t max);

#endif
