/*
 * lds.c - ICAO LDS data groups from a validated job (the typed record of jobs/job.h).
 */
#define _GNU_SOURCE
#include "lds.h"
#include "jobs/job.h"
#include "fit.h"
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

/* The data groups of prof for job, all but those whose builder is skip. */
static int
build_dgs(const struct card_profile *prof, const struct job *job, const struct lds_params *par,
	  const char *skip, struct lds_image *ret, char *why, size_t len)
{
	for (int i = 0; i < prof->n_files; i++) {
		const struct profile_file *pf = &prof->files[i];
		const struct builder *bd = builder(pf->builder);
		struct tlv_buf b;
		int k, r;
		ret->files[i].pf = pf;
		if (!bd || !bd->data || (skip && strcmp(pf->builder, skip) == 0))
			continue; /* ef.com and ef.sod later */
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
			return -EINVAL;
		}
		if ((r = take(&ret->files[i], &b)) < 0)
			return r;
	}
	return 0;
}

/*
 * A chip of prof->capacity bytes: the signature as a 1-bit PNG, then the
 * photo at the largest JPEG quality that fits what the other files and
 * EF.SOD's reserve leave; DG2 built from it. fitted is job with the two
 * images replaced (borrowed pointers into sig and photo, which the caller
 * frees).
 */
static int
fit_to_chip(const struct card_profile *prof, const struct job *job, const struct lds_params *par,
	    struct job *fitted, struct fit_image *sig, struct fit_image *photo,
	    struct lds_image *ret, char *why, size_t len)
{
	size_t used = prof->sod_reserve + 16 + 2 * (size_t)prof->n_files; /* EF.COM */
	int dg2 = -1, r;

	*fitted = *job;
	if (fit_signature(job->signature.data, job->signature.len, prof->signature_max_width,
			  sig) == 0 &&
	    sig->len < job->signature.len)
		fitted->signature = (struct job_blob){ sig->data, sig->len };
	if ((r = build_dgs(prof, fitted, par, "dg2.face", ret, why, len)) < 0)
		return r;
	for (int i = 0; i < prof->n_files; i++) {
		used += ret->files[i].len;
		if (strcmp(prof->files[i].builder, "dg2.face") == 0)
			dg2 = i;
	}
	if (dg2 < 0)
		return 0;
	/* DG2 around the photo: its templates and ISO/IEC 19794-5 header */
	size_t wrap = 46 + 32,
	       left = prof->capacity > used + wrap ? prof->capacity - used - wrap : 0;
	if (job->photo.len > left) {
		r = fit_photo(job->photo.data, job->photo.len, prof->photo_max_height,
			      prof->photo_min_quality, left, photo);
		if (r == -E2BIG) {
			snprintf(why, len,
				 "photo: it does not fit the chip's %zu bytes even at JPEG quality "
				 "%d (%zu bytes; %zu are left beside the other data, the signature "
				 "%zu of them): send a photo with a plainer background",
				 prof->capacity, prof->photo_min_quality, photo->len, left,
				 fitted->signature.len);
			return -EINVAL;
		}
		if (r < 0) {
			snprintf(why, len, "photo: it cannot be re-encoded for the chip");
			return -EINVAL;
		}
		fitted->photo = (struct job_blob){ photo->data, photo->len };
		fitted->photo_w = photo->w, fitted->photo_h = photo->h;
		ret->photo_quality = photo->quality;
	}
	struct tlv_buf b;
	tlv_buf_init(&b);
	build_dg2(&b, fitted, par);
	return take(&ret->files[dg2], &b);
}

int
lds_build(const struct card_profile *prof, const struct job *job, const struct lds_params *par,
	  struct signer *signer, struct lds_image *ret, char *why, size_t len)
{
	struct sod_dg dgs[PROFILE_MAX_FILES];
	struct fit_image sig = { 0 }, photo = { 0 };
	struct job fitted;
	int ndg = 0, r = 0;

	memset(ret, 0, sizeof(*ret));
	ret->n = prof->n_files;
	/* data groups first; EF.COM and EF.SOD depend on them */
	if (prof->capacity)
		r = fit_to_chip(prof, job, par, &fitted, &sig, &photo, ret, why, len);
	else
		r = build_dgs(prof, job, par, NULL, ret, why, len);
	fit_image_free(&sig);
	fit_image_free(&photo);
	for (int i = 0; i < prof->n_files && r == 0; i++)
		if (ret->files[i].data && prof->files[i].dg > 0)
			dgs[ndg++] = (struct sod_dg){ prof->files[i].dg, ret->files[i].data,
						      ret->files[i].len };
	for (int i = 0; i < prof->n_files && r == 0; i++) {
		const struct profile_file *pf = &prof->files[i];
		struct tlv_buf b;
		tlv_buf_init(&b);
		if (strcmp(pf->builder, "ef.com") == 0) {
			build_com(&b, prof, ret);
		} else if (strcmp(pf->builder, "ef.sod") == 0) {
			if (!signer) { /* a size check (lds_check_sizes), or signed in a SAM */
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
