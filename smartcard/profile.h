/*
 * profile.h - a card profile: what is written to the chip, as data.
 *
 * The default profile (etc/profiles/icao-lds.conf) writes the ICAO 9303
 * LDS; another profile (a SAM-based one, say) is another file naming its
 * AID, commands and files. The personalisation engine only follows it.
 */
#ifndef CETAK_PROFILE_H
#define CETAK_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROFILE_MAX_FILES 16

struct profile_file {
	char name[16];	  /* "DG1", "EF.SOD" */
	uint16_t fid;	  /* file identifier */
	int dg;		  /* data group number for EF.SOD and EF.COM; 0 for EF.COM/EF.SOD */
	char builder[24]; /* content builder, see lds.h */
	int optional;	  /* skipped when the job has no such data (fingerprints) */
};

struct card_profile {
	char name[32];
	uint8_t aid[16];
	size_t aid_len;
	/* the chip's serial: a contactless card's from the reader (PC/SC GET
	 * DATA, FF CA 00 00 00); a contact card's from serial_file (under the
	 * MF, the value of DO serial_tag) or else serial_apdu */
	uint8_t serial_apdu[16];
	size_t serial_len;
	uint16_t serial_fid; /* 0 = none */
	uint8_t serial_tag;
	int create_app; /* the blank has only an MF: CREATE FILE the application DF */
	enum profile_finish {
		FINISH_ACTIVATE, /* ACTIVATE FILE (ISO 7816-9) on the application */
		FINISH_LOCK,	 /* lock_apdu, a card's own command */
	} finish;
	uint8_t lock_apdu[16]; /* FINISH_LOCK: after it, the card refuses writes */
	size_t lock_len;
	size_t max_ext_data; /* largest command data with extended length */
	/* the chip's capacity for files (0 = not limited): the photo and the
	 * signature are fitted to it (smartcard/fit.h) */
	size_t capacity;
	size_t sod_reserve;	      /* bytes kept for EF.SOD */
	unsigned photo_max_height;    /* pixels; 0 = as received */
	int photo_min_quality;	      /* the floor: below it the job is refused */
	unsigned signature_max_width; /* pixels; 0 = as received */
	/* the SAM profile: the card answers only after a SAM authenticated it,
	 * then in secure messaging (AES-128, smartcard/sm.h); EF.SOD is signed
	 * in the SAM at the encoder, not when the job is prepared */
	int sam;
	uint8_t sam_aid[16];
	size_t sam_aid_len;
	struct profile_file files[PROFILE_MAX_FILES];
	int n_files;
};

/* Load path; errors as "FILE:LINE: what" lines on errs. 0 or -EINVAL/-errno. */
int profile_load(const char *path, FILE *errs, struct card_profile *ret);
/* Parse "A0 00 00 02" / "A0000002" hex into out; length or -1. */
long profile_hex(const char *s, uint8_t *out, size_t max);

#endif
