/*
 * lds.h - build the files of a card profile from a validated job.
 *
 * Builders (named in the profile): ef.com, dg1.mrz, dg2.face,
 * dg3.fingerprints, dg7.signature, dg11.personal, dg12.document,
 * dg13.national, ef.sod. Layouts: docs/card-profile.md.
 */
#ifndef CETAK_LDS_H
#define CETAK_LDS_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

struct signer;
struct job;

struct lds_file {
	const struct profile_file *pf; /* borrowed from the profile */
	uint8_t *data;		       /* the file's whole content, owned */
	size_t len;
};

struct lds_image {
	struct lds_file files[PROFILE_MAX_FILES];
	int n;
	int photo_quality; /* the JPEG quality the photo was fitted at; 0 = as received */
};

struct lds_params {
	const char *issuing_authority; /* DG12; "" = "DISDUKCAPIL " + issue.place */
};

int lds_builder_known(const char *name);

/*
 * Build every file of prof for the validated job (borrowed), in
 * profile order, signing EF.SOD with signer (NULL: EF.SOD is left out).
 * With a capacity in the profile, the photo and the signature are fitted
 * to the chip first (fit.h); a photo that cannot fit is -EINVAL with the
 * reason. 0, or -errno with a reason. Free with lds_image_free.
 */
int lds_build(const struct card_profile *prof, const struct job *job, const struct lds_params *par,
	      struct signer *signer, struct lds_image *ret, char *why, size_t len);
void lds_image_free(struct lds_image *img);

/* The largest file the card can be written (15-bit offsets of UPDATE BINARY). */
#define LDS_MAX_FILE 0x7FFF
/*
 * Would every file of prof for this job fit on the card? Built without
 * signing (thread-safe: the validation threads call it at intake, so that a
 * job the card would refuse never takes a blank). 0 or -EINVAL with why.
 */
int lds_check_sizes(const struct card_profile *prof, const struct job *job, char *why, size_t len);

/* ICAO 9303 check digit (weights 7 3 1) over n characters of s: '0'..'9'. */
char mrz_check_digit(const char *s, size_t n);

struct mrz_fields {
	const char *doc_code; /* "I<" */
	const char *state;    /* "IDN" */
	const char *doc_number;
	const char *optional1;
	const char *birth;  /* YYMMDD */
	char sex;	    /* 'M', 'F', '<' */
	const char *expiry; /* YYMMDD or "<<<<<<" */
	const char *nationality;
	const char *optional2;
	const char *primary; /* name, already in MRZ characters */
	const char *secondary;
};

/* Compose a TD1 MRZ (3 lines of 30) with its check digits. */
void mrz_td1(const struct mrz_fields *f, char out[3][31]);

#endif
