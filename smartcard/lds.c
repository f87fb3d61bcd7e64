/*
 * lds.c - ICAO LDS data groups from a validated job (the typed record of jobs/job.h).
 */
#define _GNU_SOURCE
#include "lds.h"
#include "jobs/job.h"
#include "sod.h"
#include "tlv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t dg_tags[] = {
	[1] = 0x61, [2] = 0x75, [3] = 0x63, [7] = 0x67, [11] = 0x6B, [12] = 0x6C, [13] = 0x6D
};

/* ---- MRZ ---- */

char
mrz_check_digit(const char *s, size_t n)
{
	static const int w[] = { 7, 3, 1 };
	int sum = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'Z' ? c - 'A' + 10 : 0;
		sum += v * w[i % 3];
	}
	return (char)('0' + sum % 10);
}

/* Copy s into out as MRZ characters, padded with '<' to n. */
static void
mrz_field(char *out, const char *s, size_t n)
{
	size_t i = 0;

	for (; s && *s && i < n; s++)
		out[i++] = *s;
	for (; i < n; i++)
		out[i] = '<';
}

void
mrz_td1(const struct mrz_fields *f, char out[3][31])
{
	char *l1 = out[0], *l2 = out[1], *l3 = out[2];
	size_t dn = strlen(f->doc_number);

	mrz_field(l1, f->doc_code, 2);
	mrz_field(l1 + 2, f->state, 3);
	if (dn <= 9) {
		mrz_field(l1 + 5, f->doc_number, 9);
		l1[14] = mrz_check_digit(l1 + 5, 9);
		mrz_field(l1 + 15, f->optional1, 15);
	} else {
		/* ICAO 9303-5 4.2.4: a long number continues in the optional data,
		 * '<' takes the check digit's place, the check digit follows the rest. */
		char rest[16];
		mrz_field(l1 + 5, f->doc_number, 9);
		l1[14] = '<';
		snprintf(rest, sizeof(rest), "%.*s%c", (int)(dn - 9 > 13 ? 13 : dn - 9),
			 f->doc_number + 9, mrz_check_digit(f->doc_number, dn));
		mrz_field(l1 + 15, rest, 15);
	}
	mrz_field(l2, f->birth, 6);
	l2[6] = mrz_check_digit(l2, 6);
	l2[7] = f->sex;
	mrz_field(l2 + 8, f->expiry, 6);
	l2[14] = mrz_check_digit(l2 + 8, 6);
	mrz_field(l2 + 15, f->nationality, 3);
	mrz_field(l2 + 18, f->optional2, 11);
	char comp[64];
	memcpy(comp, l1 + 5, 25);
	memcpy(comp + 25, l2, 7);
	memcpy(comp + 32, l2 + 8, 7);
	memcpy(comp + 39, l2 + 18, 11);
	l2[29] = mrz_check_digit(comp, 50);
	char name[64];
	snprintf(name, sizeof(name), "%s%s%s", f->primary,
		 f->secondary && f->secondary[0] ? "<<" : "", f->secondary ? f->secondary : "");
	mrz_field(l3, name, 30);
	l1[30] = l2[30] = l3[30] = '\0';
}

/* Letters A-Z kept (lower case raised), anything else one '<'. */
static void
mrz_name(const char *s, char *out, size_t n)
{
	size_t i = 0;

	for (; *s && i + 1 < n; s++) {
		char c = *s;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (c >= 'A' && c <= 'Z')
			out[i++] = c;
		else if (i && out[i - 1] != '<')
			out[i++] = '<';
	}
	while (i && out[i - 1] == '<')
		i--;
	out[i] = '\0';
}

/* "1987-11-12" -> "871112" / "19871112" */
static void
yymmdd(const char *date, char out[7])
{
	snprintf(out, 7, "%.2s%.2s%.2s", date + 2, date + 5, date + 8);
}

static void
yyyymmdd(const char *date, char out[9])
{
	snprintf(out, 9, "%.4s%.2s%.2s", date, date + 5, date + 8);
}

static int
build_dg1(struct tlv_buf *b, const struct job *job, const struct lds_params *par)
{
	(void)par;
	char mrz[3][31], birth[7], expiry[7] = "<<<<<<", name[64];

	yymmdd(job->field[JF_BIRTH_DATE], birth);
	if (!job->lifelong)
		yymmdd(job->field[JF_VALID_UNTIL], expiry);
	mrz_name(job->field[JF_NAME], name, sizeof(name));
	struct mrz_fields f = {
		.doc_code = "I<",
		.state = "IDN",
		.doc_number = job->field[JF_NIK],
		.optional1 = "",
		.birth = birth,
		.sex = job->woman ? 'F' : 'M',
		.expiry = expiry,
		.nationality = job->wni ? "IDN" : "XXX",
		.optional2 = "",
		.primary = name,
		.secondary = "",
	};
	mrz_td1(&f, mrz);
	size_t m = tlv_open(b, 0x61);
	char all[91];
	snprintf(all, sizeof(all), "%s%s%s", mrz[0], mrz[1], mrz[2]);
	tlv_put(b, 0x5F1F, all, 90);
	tlv_close(b, m);
	return 0;
}

static void
put_u16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	put_u16(p, v >> 16);
	put_u16(p + 2, v & 0xFFFF);
}

/* The biometric header template shared by DG2 and DG3. */
static void
put_bht(struct tlv_buf *b, unsigned format_type)
{
	uint8_t v[2];
	size_t a1 = tlv_open(b, 0xA1);

	tlv_put(b, 0x80, "\x01\x01", 2); /* ICAO header version 1.1 */
	tlv_put(b, 0x87, "\x01\x01", 2); /* format owner ISO/IEC JTC1 SC37 */
	put_u16(v, format_type);
	tlv_put(b, 0x88, v, 2);
	tlv_close(b, a1);
}

static int
build_dg2(struct tlv_buf *b, const struct job *job, const struct lds_params *par)
{
	(void)par;
	size_t n = job->photo.len;

	/* ISO/IEC 19794-5:2005 record: header 14, facial information 20, image 12 */
	uint8_t hdr[46] = { 'F', 'A', 'C', 0, '0', '1', '0', 0 };
	put_u32(hdr + 8, (uint32_t)(46 + n));
	put_u16(hdr + 12, 1);
	put_u32(hdr + 14, (uint32_t)(32 + n));
	hdr[20] = job->woman ? 2 : 1;
	hdr[34] = 1; /* full frontal */
	hdr[35] = 0; /* JPEG */
	put_u16(hdr + 36, job->photo_w);
	put_u16(hdr + 38, job->photo_h);
	hdr[40] = 1; /* 24-bit RGB */
	hdr[41] = 2; /* digital still camera */
	size_t t75 = tlv_open(b, 0x75), t61 = tlv_open(b, 0x7F61);
	tlv_put(b, 0x02, "\x01", 1);
	size_t t60 = tlv_open(b, 0x7F60);
	put_bht(b, 0x0008);
	size_t t2e = tlv_open(b, 0x5F2E);
	tlv_append(b, hdr, sizeof(hdr));
	tlv_append(b, job->photo.data, n);
	tlv_close(b, t2e);
	tlv_close(b, t60);
	tlv_close(b, t61);
	tlv_close(b, t75);
	return 0;
}

/* DG3: one biometric template per fingerprint record; 1 = skip (no data). */
static int
build_dg3(struct tlv_buf *b, const struct job *job, const struct lds_params *par)
{
	(void)par;
	uint8_t cnt = (uint8_t)job->n_fingers;

	if (!job->n_fingers)
		return 1;
	size_t t63 = tlv_open(b, 0x63), t61 = tlv_open(b, 0x7F61);
	tlv_put(b, 0x02, &cnt, 1);
	for (int i = 0; i < job->n_fingers; i++) {
		size_t t60 = tlv_open(b, 0x7F60);
		put_bht(b, 0x0001);
		tlv_put(b, 0x5F2E, job->finger[i].data, job->finger[i].len);
		tlv_close(b, t60);
	}
	tlv_close(b, t61);
	tlv_close(b, t63);
	return 0;
}

static int
build_dg7(struct tlv_buf *b, const struct job *job, const struct lds_params *par)
{
	(void)par;
	size_t t = tlv_open(b, 0x67);
	tlv_put(b, 0x02, "\x01", 1);
	tlv_put(b, 0x5F43, job->signature.data, job->signature.len);
	tlv_close(b, t);
	return 0;
}

static int
build_dg11(struct tlv_buf *b, const struct job *job, const struct lds_params *par)
{
	(void)par;
	static const uint8_t list[] = {
		0x5F, 0x0E, 0x5F, 0x11, 0x5F, 0x42, 0x5F, 0x13, 0x5F, 0x2B
	};
	char addr[512], dob[9];

	snprintf(addr, sizeof(addr), "%s<RT %s/RW %s<%s<%s<%s<%s", job->field[JF_STREET],
		 job->field[JF_RT], job->field[JF_RW], job->field[JF_KEL_DESA],
		 job->field[JF_KECAMATAN], job->field[JF_KABUPATEN_KOTA], job->field[JF_PROVINSI]);
	yyyymmdd(job->field[JF_BIRTH_DATE], dob);
	size_t t = tlv_open(b, 0x6B);
	tlv_put(b, 0x5C, list, sizeof(list));
	tlv_put_str(b, 0x5F0E, job->field[JF_NAME]);
	tlv_put_str(b, 0x5F11, job->field[JF_BIRTH_PLACE]);
	tlv_put_str(b, 0x5F42, addr);
	tlv_put_str(b, 0x5F13, job->field[JF_OCCUPATION]);
	tlv_put_str(b, 0x5F2B, dob);
	tlv_close(b, t);
	return 0;
}

static int
build_dg12(struct tlv_buf *b, const struct job *job, const struct lds_params *par)
{
	static const uint8_t list[] = { 0x5F, 0x19, 0x5F, 0x26 };
	char auth[128], date[9];

	if (par && par->issuing_authority && par->issuing_authority[0])
		snprintf(auth, sizeof(auth), "%s", par->issuing_authority);
	else
		snprintf(auth, sizeof(auth), "DISDUKCAPIL %s", job->field[JF_ISSUE_PLACE]);
	yyyymmdd(job->field[JF_ISSUE_DATE], date);
	size_t t = tlv_open(b, 0x6C);
	tlv_put(b, 0x5C, list, sizeof(list));
	tlv_put_str(b, 0x5F19, auth);
	tlv_put_str(b, 0x5F26, date);
	tlv_close(b, t);
	return 0;
}

/* National fields with no ICAO home: private tags C0.. (docs/card-profile.md). */
static int
build_dg13(struct tlv_buf *b, const struct job *job, const struct lds_params *par)
{
	(void)par;
	static const struct {
		uint32_t tag;
		enum job_fid field;
	} f[] = {
		{ 0xC0, JF_NIK },	  { 0xC1, JF_RELIGION },    { 0xC2, JF_MARITAL_STATUS },
		{ 0xC3, JF_BLOOD_TYPE },  { 0xC4, JF_RT },	    { 0xC5, JF_RW },
		{ 0xC6, JF_KEL_DESA },	  { 0xC7, JF_KECAMATAN },   { 0xC8, JF_SEX },
		{ 0xC9, JF_CITIZENSHIP }, { 0xCA, JF_VALID_UNTIL },
	};
	size_t t = tlv_open(b, 0x6D);

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		tlv_put_str(b, f[i].tag, job->field[f[i].field]);
	tlv_close(b, t);
	return 0;
}

/*
 * The builders a profile names, in one table. A data-group builder returns
 * 0, or 1 when the job has nothing for that group (an optional file is then
 * left off). EF.COM and EF.SOD are built after the data groups they list and
 * sign (data == NULL here).
 */
static const struct builder {
	const char *name;
	int (*data)(struct tlv_buf *b, const struct job *job, const struct lds_params *par);
} builders[] = {
	{ "ef.com", NULL },
	{ "dg1.mrz", build_dg1 },
	{ "dg2.face", build_dg2 },
	{ "dg3.fingerprints", build_dg3 },
	{ "dg7.signature", build_dg7 },
	{ "dg11.personal", build_dg11 },
	{ "dg12.document", build_dg12 },
	{ "dg13.national", build_dg13 },
	{ "ef.sod", NULL },
};

static const struct builder *
builder(const char *name)
{
	for (size_t i = 0; i < sizeof(builders) / sizeof(builders[0]); i++)
		if (strcmp(builders[i].name, name) == 0)
			return &builders[i];
	return NULL;
}

int
lds_builder_known(const char *name)
{
	return builder(name) != NULL;
}

static void
build_com(struct tlv_buf *b, const struct card_profile *prof, const struct lds_image *img)
{
	uint8_t tags[PROFILE_MAX_FILES];
	size_t n = 0;

	/* every data group of the image, built already (EF.COM is written first
	 * but built after the data groups it lists) */
	for (int i = 0; i < img->n; i++)
		if (img->files[i].data && img->files[i].pf->dg > 0)
			tags[n++] = (uint8_t)dg_tags[img->files[i].pf->dg];
	(void)prof;
	size_t t = tlv_open(b, 0x60);
	tlv_put_str(b, 0x5F01, "0107");
	tlv_put_str(b, 0x5F36, "040000");
	tlv_put(b, 0x5C, tags, n);
	tlv_close(b, t);
}

static int
take(struct lds_file *f, struct tlv_buf *b)
{
	if (b->err) {
		tlv_buf_free(b);
		return -ENOMEM;
	}
	f->data = b->p;
	f->len = b->len;
	return 0;
}

int
lds_build(const struct card_profile *prof, const struct job *job, const struct lds_params *par,
	  struct signer *signer, struct lds_image *ret, char *why, size_t len)
{
	struct sod_dg dgs[PROFILE_MAX_FILES];
	int ndg = 0, r = 0;

	memset(ret, 0, sizeof(*ret));
	ret->n = prof->n_files;
	/* data groups first; EF.COM and EF.SOD depend on them */
	for (int i = 0; i < prof->n_files && r == 0; i++) {
		const struct profile_file *pf = &prof->files[i];
		const struct builder *bd = builder(pf->builder);
		struct tlv_buf b;
		int k;
		ret->files[i].pf = pf;
		if (!bd || !bd->data)
			continue; /* ef.com and ef.sod below */
		tlv_buf_init(&b);
		k = bd->data(&b, job, par);
		if (k == 1 && pf->optional) {
			tlv_buf_free(&b);
			continue;
		}
		if (k != 0) {
			tlv_buf_free(&b);
			snprintf(why, len,
				 "%s: the job has no data for it (mark the file optional in the "
				 "profile)",
				 pf->name);
			r = -EINVAL;
			break;
		}
		if ((r = take(&ret->files[i], &b)) < 0)
			break;
		dgs[ndg++] = (struct sod_dg){ pf->dg, ret->files[i].data, ret->files[i].len };
	}
	for (int i = 0; i < prof->n_files && r == 0; i++) {
		const struct profile_file *pf = &prof->files[i];
		struct tlv_buf b;
		tlv_buf_init(&b);
		if (strcmp(pf->builder, "ef.com") == 0) {
			build_com(&b, prof, ret);
		} else if (strcmp(pf->builder, "ef.sod") == 0) {
			if (!signer) { /* a size check (lds_check_sizes): nothing to sign */
				tlv_buf_free(&b);
				continue;
			}
			if ((r = sod_build(signer, dgs, ndg, &b, why, len)) < 0) {
				tlv_buf_free(&b);
				break;
			}
		} else {
			continue;
		}
		r = take(&ret->files[i], &b);
	}
	if (r < 0)
		lds_image_free(ret);
	return r;
}

int
lds_check_sizes(const struct card_profile *prof, const struct job *job, char *why, size_t len)
{
	struct lds_params par = { "" };
	struct lds_image img;
	int r = lds_build(prof, job, &par, NULL, &img, why, len);

	for (int i = 0; r == 0 && i < img.n; i++) {
		if (img.files[i].len > LDS_MAX_FILE) {
			snprintf(why, len,
				 "%s would be %zu bytes; a card file holds at most %d (%s: "
				 "a smaller photo, at most about %d KB)",
				 img.files[i].pf->name, img.files[i].len, LDS_MAX_FILE,
				 img.files[i].pf->name, (LDS_MAX_FILE - 200) / 1024);
			r = -EINVAL;
		}
	}
	if (r == 0)
		lds_image_free(&img);
	return r;
}

void
lds_image_free(struct lds_image *img)
{
	for (int i = 0; i < img->n; i++)
		free(img->files[i].data);
	memset(img, 0, sizeof(*img));
}
