/*
 * job.c - the cetak-job/1 parser and validator.
 *
 * Order of checks: size and JSON syntax (jansson, which also rejects invalid
 * UTF-8), then the exact set of fields and their types (a table per object),
 * then each value (lengths bounded by what fits the card face, printable
 * characters, enumerations, dates), then the cross-checks (NIK against date
 * of birth and sex, the station's region, date order), then the images
 * (base64, JPEG decoded with libjpeg, PNG header, fingerprint headers).
 * The first failure is reported with the field's path.
 */
#define _GNU_SOURCE
#include "common/i18n.h"
#include "job.h"
#include "common/utf8.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h> /* jpeglib.h needs FILE and size_t first */
#include <jpeglib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PHOTO_MAX (128 * 1024)
#define SIGNATURE_MAX (64 * 1024)
#define FINGER_MAX (8 * 1024)

struct vctx {
	char *why;
	size_t whylen;
};

__attribute__((format(printf, 2, 3))) static int
bad(struct vctx *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->why, v->whylen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *const kind_names[] = { "new", "replacement", "data_change" };

const char *
job_kind_name(enum job_kind k)
{
	return (unsigned)k < JOB_KIND_COUNT ? kind_names[k] : "?";
}

int
job_kind_from_name(const char *s)
{
	for (int i = 0; i < JOB_KIND_COUNT; i++)
		if (strcmp(s, kind_names[i]) == 0)
			return i;
	return -1;
}

/* ---- field tables ---- */

enum ftype {
	F_TEXT,
	F_ENUM,
	F_DIGITS3,
	F_DATE,
	F_VALID_UNTIL,
	F_BOOL,
	F_OBJECT,
	F_B64,
	F_ARRAY,
	F_PHONE
};

struct field {
	const char *name;
	enum ftype type;
	bool required;
	size_t max; /* F_TEXT: characters (code points) */
	const char *const *choices;
};

static const char *const sexes[] = { "LAKI-LAKI", "PEREMPUAN", NULL };
static const char *const bloods[] = { "A",  "B",   "AB",  "O",	"A+", "A-", "B+",
				      "B-", "AB+", "AB-", "O+", "O-", "-",  NULL };
static const char *const religions[] = { "ISLAM",
					 "KRISTEN",
					 "KATHOLIK",
					 "HINDU",
					 "BUDHA",
					 "KHONGHUCU",
					 "KEPERCAYAAN TERHADAP TUHAN YME",
					 NULL };
static const char *const maritals[] = { "BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI", NULL };
static const char *const citizenships[] = { "WNI", "WNA", NULL };
static const char *const kinds[] = { "new", "replacement", "data_change", NULL };

static const struct field top_fields[] = {
	{ "format", F_TEXT, true, 16, NULL },	    { "job_id", F_TEXT, true, JOB_ID_MAX, NULL },
	{ "record_state", F_TEXT, true, 32, NULL }, { "kind", F_ENUM, true, 0, kinds },
	{ "urgent", F_BOOL, false, 0, NULL },	    { "holder", F_OBJECT, true, 0, NULL },
	{ "issue", F_OBJECT, true, 0, NULL },	    { "photo", F_B64, true, 0, NULL },
	{ "signature", F_B64, true, 0, NULL },	    { "fingerprints", F_ARRAY, false, 0, NULL },
	{ "contact", F_OBJECT, false, 0, NULL },    { NULL, 0, false, 0, NULL },
};

/* Lengths are what the e-KTP face layout holds (docs/job-format.md). */
static const struct field holder_fields[] = {
	{ "nik", F_TEXT, true, JOB_NIK_LEN, NULL },
	{ "name", F_TEXT, true, 60, NULL },
	{ "birth_place", F_TEXT, true, 30, NULL },
	{ "birth_date", F_DATE, true, 0, NULL },
	{ "sex", F_ENUM, true, 0, sexes },
	{ "blood_type", F_ENUM, true, 0, bloods },
	{ "address", F_OBJECT, true, 0, NULL },
	{ "religion", F_ENUM, true, 0, religions },
	{ "marital_status", F_ENUM, true, 0, maritals },
	{ "occupation", F_TEXT, true, 40, NULL },
	{ "citizenship", F_ENUM, true, 0, citizenships },
	{ "valid_until", F_VALID_UNTIL, true, 0, NULL },
	{ NULL, 0, false, 0, NULL },
};

static const struct field address_fields[] = {
	{ "street", F_TEXT, true, 80, NULL },	 { "rt", F_DIGITS3, true, 0, NULL },
	{ "rw", F_DIGITS3, true, 0, NULL },	 { "kel_desa", F_TEXT, true, 40, NULL },
	{ "kecamatan", F_TEXT, true, 40, NULL }, { "kabupaten_kota", F_TEXT, true, 40, NULL },
	{ "provinsi", F_TEXT, true, 40, NULL },	 { NULL, 0, false, 0, NULL },
};

/* How the office reaches the holder; never printed nor written to the chip. */
static const struct field contact_fields[] = {
	{ "phone", F_PHONE, false, 0, NULL },
	{ NULL, 0, false, 0, NULL },
};

static const struct field issue_fields[] = {
	{ "place", F_TEXT, true, 30, NULL },
	{ "date", F_DATE, true, 0, NULL },
	{ NULL, 0, false, 0, NULL },
};

/* ---- value checks ---- */

int
job_phone_normalize(const char *in, char out[JOB_PHONE_MAX + 1])
{
	char digits[24];
	size_t n = 0;
	const char *p = in;

	if (*p == '+')
		p++;
	for (; *p; p++) {
		if (*p == ' ' || *p == '-')
			continue;
		if (!isdigit((unsigned char)*p) || n + 1 >= sizeof(digits))
			return -EINVAL;
		digits[n++] = *p;
	}
	digits[n] = '\0';
	/* the national number of a mobile: 8, the operator, the subscriber */
	const char *nsn = NULL;
	if (n > 2 && digits[0] == '6' && digits[1] == '2')
		nsn = digits + 2;
	else if (in[0] != '+' && n > 1 && digits[0] == '0')
		nsn = digits + 1;
	size_t len = nsn ? strlen(nsn) : 0;
	if (!nsn || nsn[0] != '8' || nsn[1] < '1' || nsn[1] > '9' || len < 9 || len > 12)
		return -EINVAL;
	memcpy(out, "+62", 3);
	memcpy(out + 3, nsn, len + 1); /* 3 + 12 + 1 fit JOB_PHONE_MAX + 1 */
	return 0;
}

/*
 * Count code points of a UTF-8 string (jansson has already rejected invalid
 * UTF-8) and refuse control characters (C0, DEL, C1) and line/paragraph
 * separators. Returns the count or -1 with the offending code point.
 */
static long
text_length(const char *s, unsigned *ret_bad)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;

	while (*p) {
		long cp = utf8_next(&p);
		if (cp < 0) {
			*ret_bad = 0xFFFD; /* not UTF-8: jansson lets none through */
			return -1;
		}
		if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0x2028 ||
		    cp == 0x2029) {
			*ret_bad = (unsigned)cp;
			return -1;
		}
		n++;
	}
	return n;
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Parse YYYY-MM-DD into a real calendar date. */
static bool
parse_date(const char *s, int *y, int *m, int *d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	*y = atoi(s), *m = atoi(s + 5), *d = atoi(s + 8);
	if (*y < 1900 || *y > 2200 || *m < 1 || *m > 12 || *d < 1)
		return false;
	return *d <= mdays[*m - 1] + (*m == 2 && leap(*y));
}

static long long
date_key(int y, int m, int d)
{
	return (long long)y * 10000 + m * 100 + d;
}

static long long
today_key(long long now)
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	return date_key(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static int
check_value(struct vctx *v, const char *path, const struct field *f, json_t *val)
{
	const char *s = json_string_value(val);
	unsigned badcp = 0;
	int y, m, d;

	switch (f->type) {
	case F_BOOL:
		return json_is_boolean(val) ? 0 : bad(v, R_("%s: must be true or false"), path);
	case F_OBJECT:
		return json_is_object(val) ? 0 : bad(v, R_("%s: must be an object"), path);
	case F_ARRAY:
		return json_is_array(val) ? 0 : bad(v, R_("%s: must be an array"), path);
	default:
		break;
	}
	if (!s)
		return bad(v, R_("%s: must be a string"), path);
	switch (f->type) {
	case F_TEXT: {
		long n = text_length(s, &badcp);
		if (n < 0)
			return bad(v, R_("%s: control character U+%04X is not allowed"), path,
				   badcp);
		if (n == 0 || s[0] == ' ' || s[strlen(s) - 1] == ' ')
			return bad(v, R_("%s: must not be empty or start or end with a space"),
				   path);
		if ((size_t)n > f->max)
			return bad(v, R_("%s: %ld characters, at most %zu fit the card"), path, n,
				   f->max);
		return 0;
	}
	case F_ENUM:
		for (int i = 0; f->choices[i]; i++)
			if (strcmp(s, f->choices[i]) == 0)
				return 0;
		return bad(v,
			   R_("%s: \"%.40s\" is not one of the allowed values (see "
			      "docs/job-format.md)"),
			   path, s);
	case F_DIGITS3:
		if (strlen(s) == 3 && isdigit((unsigned char)s[0]) &&
		    isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]))
			return 0;
		return bad(v, R_("%s: must be 3 digits, e.g. \"007\""), path);
	case F_PHONE: {
		char norm[JOB_PHONE_MAX + 1];
		if (job_phone_normalize(s, norm) == 0)
			return 0;
		return bad(v,
			   R_("%s: \"%.24s\" is not an Indonesian mobile number (08..., 628... or "
			      "+628..., 10 to 13 digits)"),
			   path, s);
	}
	case F_VALID_UNTIL:
		if (strcmp(s, "SEUMUR HIDUP") == 0)
			return 0;
		__attribute__((fallthrough)); /* otherwise a date */
	case F_DATE:
		if (!parse_date(s, &y, &m, &d))
			return bad(v, R_("%s: \"%.40s\" is not a real date YYYY-MM-DD%s"), path, s,
				   f->type == F_VALID_UNTIL ? R_(" or \"SEUMUR HIDUP\"") : "");
		return 0;
	default:
		return 0;
	}
}

/* Check obj against the field table: exact set of keys, each value valid. */
static int
check_object(struct vctx *v, const char *prefix, json_t *obj, const struct field *fields)
{
	const char *key;
	json_t *val;
	char path[96];
	int r;

	json_object_foreach(obj, key, val)
	{
		const struct field *f;
		for (f = fields; f->name; f++)
			if (strcmp(f->name, key) == 0)
				break;
		if (!f->name)
			return bad(v, R_("%s%.40s: unknown field"), prefix, key);
	}
	for (const struct field *f = fields; f->name; f++) {
		snprintf(path, sizeof(path), "%s%s", prefix, f->name);
		val = json_object_get(obj, f->name);
		if (!val) {
			if (f->required)
				return bad(v, R_("%s: missing"), path);
			continue;
		}
		if ((r = check_value(v, path, f, val)) < 0)
			return r;
	}
	return 0;
}

/* ---- base64 and images ---- */

/* Decoding table: 0-63 for the alphabet, 64 for '=', 255 for anything else. */
static const uint8_t b64_table[256] = {
	['A'] = 0,  ['B'] = 1,	['C'] = 2,  ['D'] = 3,	['E'] = 4,  ['F'] = 5,	['G'] = 6,
	['H'] = 7,  ['I'] = 8,	['J'] = 9,  ['K'] = 10, ['L'] = 11, ['M'] = 12, ['N'] = 13,
	['O'] = 14, ['P'] = 15, ['Q'] = 16, ['R'] = 17, ['S'] = 18, ['T'] = 19, ['U'] = 20,
	['V'] = 21, ['W'] = 22, ['X'] = 23, ['Y'] = 24, ['Z'] = 25, ['a'] = 26, ['b'] = 27,
	['c'] = 28, ['d'] = 29, ['e'] = 30, ['f'] = 31, ['g'] = 32, ['h'] = 33, ['i'] = 34,
	['j'] = 35, ['k'] = 36, ['l'] = 37, ['m'] = 38, ['n'] = 39, ['o'] = 40, ['p'] = 41,
	['q'] = 42, ['r'] = 43, ['s'] = 44, ['t'] = 45, ['u'] = 46, ['v'] = 47, ['w'] = 48,
	['x'] = 49, ['y'] = 50, ['z'] = 51, ['0'] = 52, ['1'] = 53, ['2'] = 54, ['3'] = 55,
	['4'] = 56, ['5'] = 57, ['6'] = 58, ['7'] = 59, ['8'] = 60, ['9'] = 61, ['+'] = 62,
	['/'] = 63, ['='] = 64,
};

/* 'A' maps to 0 like an unset entry: tell them apart by the character itself. */
static inline int
b64_value(unsigned char c)
{
	uint8_t v = b64_table[c];

	if (v == 0 && c != 'A')
		return -1;
	return v;
}

long
job_base64_decode(const char *in, size_t len, uint8_t *out, size_t max)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t n = 0, full;

	if (len % 4 || len == 0)
		return len == 0 ? 0 : -1;
	full = len - 4; /* every quantum but the last has no padding */
	if (full / 4 * 3 > max)
		return -1;
	for (size_t i = 0; i < full; i += 4) {
		int a = b64_value(p[i]), b = b64_value(p[i + 1]), c = b64_value(p[i + 2]),
		    d = b64_value(p[i + 3]);
		if ((a | b | c | d) < 0 || a == 64 || b == 64 || c == 64 || d == 64)
			return -1;
		uint32_t w = (uint32_t)(a << 18 | b << 12 | c << 6 | d);
		out[n++] = (uint8_t)(w >> 16);
		out[n++] = (uint8_t)(w >> 8);
		out[n++] = (uint8_t)w;
	}
	/* the last quantum: "xx==", "xxx=" or "xxxx" */
	int v[4];
	for (int k = 0; k < 4; k++)
		if ((v[k] = b64_value(p[full + k])) < 0)
			return -1;
	int pad = (v[3] == 64) + (v[2] == 64);
	if (v[0] == 64 || v[1] == 64 || (v[2] == 64 && v[3] != 64))
		return -1;
	uint32_t w = (uint32_t)(v[0] << 18 | v[1] << 12 | (v[2] & 63) << 6 | (v[3] & 63));
	if ((pad == 1 && (w & 0xFF)) || (pad == 2 && (w & 0xFFFF)))
		return -1; /* non-canonical: the bits dropped by padding must be zero */
	if (n + 3 - (size_t)pad > max)
		return -1;
	out[n++] = (uint8_t)(w >> 16);
	if (pad < 2)
		out[n++] = (uint8_t)(w >> 8);
	if (pad < 1)
		out[n++] = (uint8_t)w;
	return (long)n;
}

/* Decode base64 field into a new buffer; -EINVAL with a reason. */
static int
b64_field(struct vctx *v, const char *path, json_t *val, size_t max, uint8_t **ret, size_t *ret_len)
{
	const char *s = json_string_value(val);
	size_t len = json_string_length(val);
	uint8_t *buf;
	long n;

	if (!s)
		return bad(v, R_("%s: must be a base64 string"), path);
	if (len / 4 * 3 > max + 3)
		return bad(v, R_("%s: larger than %zu bytes"), path, max);
	buf = malloc(len / 4 * 3 + 3);
	if (!buf)
		return bad(v, R_("%s: out of memory"), path);
	n = job_base64_decode(s, len, buf, max);
	if (n <= 0) {
		free(buf);
		return bad(v, R_("%s: not valid base64 (RFC 4648, no line breaks)"), path);
	}
	*ret = buf;
	*ret_len = (size_t)n;
	return 0;
}

static void
jpeg_fail(j_common_ptr cinfo)
{
	struct job_jpeg_err *e = (struct job_jpeg_err *)cinfo->err;

	(*cinfo->err->format_message)(cinfo, e->msg);
	longjmp(e->jb, 1);
}

static void
jpeg_quiet(j_common_ptr cinfo)
{
	(void)cinfo;
}

struct jpeg_error_mgr *
job_jpeg_errors(struct job_jpeg_err *err)
{
	struct jpeg_error_mgr *m = jpeg_std_error(&err->mgr);

	m->error_exit = jpeg_fail;
	m->output_message = jpeg_quiet;
	return m;
}

/* The clock the guard below measures with, in ms. */
static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
guard_check(j_common_ptr cinfo)
{
	struct job_jpeg_guard *g = (struct job_jpeg_guard *)cinfo->progress;
	j_decompress_ptr ci = (j_decompress_ptr)cinfo;

	if (ci->input_scan_number > JOB_JPEG_MAX_SCANS) {
		cinfo->err->msg_code = 0;
		snprintf(g->why, sizeof(g->why),
			 R_("more than %d scans (a progressive JPEG made to "
			    "exhaust the decoder)"),
			 JOB_JPEG_MAX_SCANS);
		cinfo->err->error_exit(cinfo);
	}
	if (mono_ms() - g->t0 > JOB_JPEG_MAX_MS) {
		snprintf(g->why, sizeof(g->why), R_("decoding takes more than %d ms"),
			 JOB_JPEG_MAX_MS);
		cinfo->err->error_exit(cinfo);
	}
}

void
job_jpeg_guard(struct job_jpeg_guard *g, struct jpeg_decompress_struct *ci)
{
	memset(g, 0, sizeof(*g));
	g->pm.progress_monitor = guard_check;
	g->t0 = mono_ms();
	ci->progress = &g->pm;
}

/*
 * Decode the whole JPEG (at 1/8 scale: every entropy-coded segment is read,
 * little IDCT work) so that a truncated or corrupt photo is caught here and
 * not at print time. Portrait photos only, of sane dimensions.
 */
static int
check_jpeg(struct vctx *v, const uint8_t *data, size_t len, unsigned *ret_w, unsigned *ret_h)
{
	struct jpeg_decompress_struct ci;
	struct job_jpeg_err err;
	struct job_jpeg_guard guard;
	JSAMPARRAY row;
	unsigned w, h;
	volatile int warnings = 0;

	ci.err = job_jpeg_errors(&err);
	if (setjmp(err.jb)) {
		jpeg_destroy_decompress(&ci);
		return bad(v, R_("photo: not a decodable JPEG (%s)"),
			   guard.why[0] ? guard.why : err.msg);
	}
	jpeg_create_decompress(&ci);
	job_jpeg_guard(&guard, &ci);
	jpeg_mem_src(&ci, data, (unsigned long)len);
	jpeg_read_header(&ci, TRUE);
	w = ci.image_width, h = ci.image_height;
	if (w < 100 || h < 100 || w > 4000 || h > 4000 || h * 10 < w * 9 || h > w * 2) {
		jpeg_destroy_decompress(&ci);
		return bad(v,
			   R_("photo: %ux%u px; a portrait photo of 100-4000 px with height 0.9-2 "
			      "times the width is expected"),
			   w, h);
	}
	/* Every entropy-coded segment is still decoded; the output is cheap. */
	ci.scale_num = 1;
	ci.scale_denom = 8;
	ci.dct_method = JDCT_IFAST;
	ci.out_color_space = JCS_GRAYSCALE;
	ci.do_fancy_upsampling = FALSE;
	jpeg_start_decompress(&ci);
	row = (*ci.mem->alloc_sarray)((j_common_ptr)&ci, JPOOL_IMAGE,
				      ci.output_width * (unsigned)ci.output_components, 1);
	while (ci.output_scanline < ci.output_height)
		jpeg_read_scanlines(&ci, row, 1);
	warnings = (int)err.mgr.num_warnings;
	jpeg_finish_decompress(&ci);
	jpeg_destroy_decompress(&ci);
	if (warnings)
		return bad(v, R_("photo: JPEG data is corrupt or truncated"));
	*ret_w = w, *ret_h = h;
	return 0;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* PNG signature and IHDR: the signature image must be a sane PNG. */
static int
check_png(struct vctx *v, const uint8_t *p, size_t len)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };

	if (len < 33 || memcmp(p, sig, 8) != 0 || be32(p + 8) != 13 || memcmp(p + 12, "IHDR", 4))
		return bad(v, R_("signature: not a PNG image"));
	uint32_t w = be32(p + 16), h = be32(p + 20);
	if (w < 20 || h < 10 || w > 2000 || h > 1000)
		return bad(v, R_("signature: %ux%u px; 20-2000 x 10-1000 px expected"), w, h);
	return 0;
}

/* Decode and check the images into job (which owns them, also on failure). */
static int
check_images(struct vctx *v, json_t *root, struct job *job)
{
	json_t *fps = json_object_get(root, "fingerprints"), *fp;
	size_t i;
	char path[48];
	int r;

	if ((r = b64_field(v, "photo", json_object_get(root, "photo"), PHOTO_MAX, &job->photo.data,
			   &job->photo.len)) < 0 ||
	    (r = check_jpeg(v, job->photo.data, job->photo.len, &job->photo_w, &job->photo_h)) < 0)
		return r;
	if ((r = b64_field(v, "signature", json_object_get(root, "signature"), SIGNATURE_MAX,
			   &job->signature.data, &job->signature.len)) < 0 ||
	    (r = check_png(v, job->signature.data, job->signature.len)) < 0 || !fps)
		return r;
	if (json_array_size(fps) > JOB_FINGERS_MAX)
		return bad(v, R_("fingerprints: %zu templates, at most %d"), json_array_size(fps),
			   JOB_FINGERS_MAX);
	json_array_foreach(fps, i, fp)
	{
		struct job_blob *b = &job->finger[job->n_fingers++];
		snprintf(path, sizeof(path), "fingerprints[%zu]", i);
		if ((r = b64_field(v, path, fp, FINGER_MAX, &b->data, &b->len)) < 0)
			return r;
		/* ISO/IEC 19794-2 record: "FMR\0" then a version */
		if (b->len < 8 || memcmp(b->data, "FMR\0", 4) != 0)
			return bad(v, R_("%s: not an ISO/IEC 19794-2 template (no FMR header)"),
				   path);
	}
	return 0;
}

/* ---- cross-checks ---- */

static int
check_id(struct vctx *v, const char *id)
{
	size_t n = strlen(id);

	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '.' && id[i] != '_' && id[i] != '-')
			return bad(v, R_("job_id: only A-Z a-z 0-9 . _ - are allowed"));
	return 0;
}

static int
check_nik(struct vctx *v, json_t *holder, const struct job_policy *pol)
{
	const char *nik = json_string_value(json_object_get(holder, "nik"));
	const char *dob = json_string_value(json_object_get(holder, "birth_date"));
	bool woman = strcmp(json_string_value(json_object_get(holder, "sex")), "PEREMPUAN") == 0;
	int y, m, d;
	char want[16];

	if (strlen(nik) != JOB_NIK_LEN)
		return bad(v, R_("holder.nik: must be 16 digits"));
	for (int i = 0; i < JOB_NIK_LEN; i++)
		if (!isdigit((unsigned char)nik[i]))
			return bad(v, R_("holder.nik: must be 16 digits"));
	if (memcmp(nik, "00", 2) == 0 || memcmp(nik + 2, "00", 2) == 0)
		return bad(v, R_("holder.nik: region code %.6s is not a real province/regency"),
			   nik);
	if (memcmp(nik + 12, "0000", 4) == 0)
		return bad(v, R_("holder.nik: serial 0000 is never issued"));
	parse_date(dob, &y, &m, &d);
	snprintf(want, sizeof(want), "%02d%02d%02d", (d + (woman ? 40 : 0)) % 100, m % 100,
		 y % 100);
	if (memcmp(nik + 6, want, 6) != 0)
		return bad(v,
			   R_("holder.nik: date part %.6s does not match birth_date %s and sex %s "
			      "(expected %s)"),
			   nik + 6, dob, woman ? "PEREMPUAN" : "LAKI-LAKI", want);
	if (pol->region && pol->region[0] && strncmp(nik, pol->region, strlen(pol->region)) != 0)
		return bad(v, R_("holder.nik: region %.6s is outside this station's region %s"),
			   nik, pol->region);
	return 0;
}

static int
check_dates(struct vctx *v, json_t *root, const struct job_policy *pol)
{
	json_t *holder = json_object_get(root, "holder"), *issue = json_object_get(root, "issue");
	const char *until = json_string_value(json_object_get(holder, "valid_until"));
	int y, m, d;
	long long birth, issued, today = today_key(pol->now);

	parse_date(json_string_value(json_object_get(holder, "birth_date")), &y, &m, &d);
	birth = date_key(y, m, d);
	parse_date(json_string_value(json_object_get(issue, "date")), &y, &m, &d);
	issued = date_key(y, m, d);
	if (birth > today)
		return bad(v, R_("holder.birth_date: in the future"));
	if (issued < birth)
		return bad(v, R_("issue.date: before holder.birth_date"));
	if (issued > today)
		return bad(v, R_("issue.date: in the future"));
	if (strcmp(until, "SEUMUR HIDUP") != 0) {
		parse_date(until, &y, &m, &d);
		if (date_key(y, m, d) <= issued)
			return bad(v, R_("holder.valid_until: not after issue.date"));
	}
	return 0;
}

/* The path of every text field, in enum job_fid order. */
static const char *const field_paths[JF_COUNT] = {
	[JF_JOB_ID] = "job_id",
	[JF_KIND] = "kind",
	[JF_NIK] = "holder.nik",
	[JF_NAME] = "holder.name",
	[JF_BIRTH_PLACE] = "holder.birth_place",
	[JF_BIRTH_DATE] = "holder.birth_date",
	[JF_SEX] = "holder.sex",
	[JF_BLOOD_TYPE] = "holder.blood_type",
	[JF_STREET] = "holder.address.street",
	[JF_RT] = "holder.address.rt",
	[JF_RW] = "holder.address.rw",
	[JF_KEL_DESA] = "holder.address.kel_desa",
	[JF_KECAMATAN] = "holder.address.kecamatan",
	[JF_KABUPATEN_KOTA] = "holder.address.kabupaten_kota",
	[JF_PROVINSI] = "holder.address.provinsi",
	[JF_RELIGION] = "holder.religion",
	[JF_MARITAL_STATUS] = "holder.marital_status",
	[JF_OCCUPATION] = "holder.occupation",
	[JF_CITIZENSHIP] = "holder.citizenship",
	[JF_VALID_UNTIL] = "holder.valid_until",
	[JF_ISSUE_PLACE] = "issue.place",
	[JF_ISSUE_DATE] = "issue.date",
};

int
job_field_id(const char *path)
{
	for (int f = 0; f < JF_COUNT; f++)
		if (strcmp(path, field_paths[f]) == 0)
			return f;
	return -1;
}

const char *
job_field_path(enum job_fid f)
{
	return (unsigned)f < JF_COUNT ? field_paths[f] : "?";
}

/* The string at a dotted path of a validated document (every path of the
 * table is a required string, so never absent there). */
static const char *
lookup(json_t *root, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		root = json_object_get(root, key);
		path = dot + 1;
	}
	const char *s = json_string_value(json_object_get(root, path));
	return s ? s : "";
}

int
job_parse(const char *buf, size_t len, const struct job_policy *pol, struct job **ret_job,
	  char *why, size_t whylen)
{
	struct vctx v = { why, whylen };
	json_error_t je;
	json_t *root, *holder;
	struct job *job;
	int r;

	if (memchr(buf, '\0', len))
		return bad(&v, R_("not a JSON text: NUL byte at offset %zu"),
			   (size_t)((const char *)memchr(buf, '\0', len) - buf));
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return bad(&v, R_("malformed JSON at line %d column %d: %s"), je.line, je.column,
			   je.text);
	if (!json_is_object(root)) {
		r = bad(&v, R_("the job must be a JSON object"));
		goto fail;
	}
	if ((r = check_object(&v, "", root, top_fields)) < 0)
		goto fail;
	if (strcmp(json_string_value(json_object_get(root, "format")), JOB_FORMAT) != 0) {
		r = bad(&v, R_("format: \"%.20s\" is not supported (expected \"%s\")"),
			json_string_value(json_object_get(root, "format")), JOB_FORMAT);
		goto fail;
	}
	if ((r = check_id(&v, json_string_value(json_object_get(root, "job_id")))) < 0)
		goto fail;
	if (strcmp(json_string_value(json_object_get(root, "record_state")), "PRR") != 0) {
		r = bad(&v,
			R_("record_state: \"%.32s\" is not PRR (print-ready record); only PRR "
			   "records may be printed"),
			json_string_value(json_object_get(root, "record_state")));
		goto fail;
	}
	holder = json_object_get(root, "holder");
	if ((r = check_object(&v, "holder.", holder, holder_fields)) < 0 ||
	    (r = check_object(&v, "holder.address.", json_object_get(holder, "address"),
			      address_fields)) < 0 ||
	    (r = check_object(&v, "issue.", json_object_get(root, "issue"), issue_fields)) < 0 ||
	    (json_object_get(root, "contact") &&
	     (r = check_object(&v, "contact.", json_object_get(root, "contact"), contact_fields)) <
		     0) ||
	    (r = check_nik(&v, holder, pol)) < 0 || (r = check_dates(&v, root, pol)) < 0)
		goto fail;

	job = calloc(1, sizeof(*job));
	if (!job) {
		r = bad(&v, R_("out of memory"));
		goto fail;
	}
	job->json = root;
	if ((r = check_images(&v, root, job)) < 0) {
		job_free(job);
		return r;
	}
	for (int f = 0; f < JF_COUNT; f++)
		job->field[f] = lookup(root, field_paths[f]);
	snprintf(job->job_id, sizeof(job->job_id), "%s", job->field[JF_JOB_ID]);
	job->kind = job_kind_from_name(job->field[JF_KIND]);
	job->urgent = json_is_true(json_object_get(root, "urgent"));
	snprintf(job->nik, sizeof(job->nik), "%s", job->field[JF_NIK]);
	snprintf(job->name, sizeof(job->name), "%s", job->field[JF_NAME]);
	job->woman = strcmp(job->field[JF_SEX], "PEREMPUAN") == 0;
	job->wni = strcmp(job->field[JF_CITIZENSHIP], "WNI") == 0;
	job->lifelong = strcmp(job->field[JF_VALID_UNTIL], "SEUMUR HIDUP") == 0;
	if (lookup(root, "contact.phone"))
		job_phone_normalize(lookup(root, "contact.phone"), job->phone);
	*ret_job = job;
	return 0;
fail:
	json_decref(root);
	return r;
}

void
job_free(struct job *job)
{
	if (!job)
		return;
	free(job->photo.data);
	free(job->signature.data);
	for (int i = 0; i < job->n_fingers; i++)
		free(job->finger[i].data);
	json_decref(job->json);
	free(job);
}
