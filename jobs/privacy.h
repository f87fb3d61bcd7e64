/*
 * privacy.h - how long the job store keeps personal data (docs/privacy.md).
 *
 * A job arrives with the holder's photo, signature, fingerprints and
 * (optionally) mobile number. They are needed to print the card and, for
 * the number, to tell the holder it is ready. Once the card is collected,
 * transferred to the kecamatan, withdrawn or destroyed (or the job was
 * cancelled), and `days` more have passed, store_purge_personal() removes
 * them from the job's record; what the books need (the job's identity, its
 * holder's name, NIK and address for the custody record and the berita
 * acara, the events, the ledger and the audit chain) stays. The store runs
 * with secure_delete, so the removed bytes are overwritten, and the
 * write-ahead log is truncated after a purge so that no copy stays there.
 */
#ifndef CETAK_PRIVACY_H
#define CETAK_PRIVACY_H

#include "store.h"

/* The fields removed; everything else of the job stays. */
#define PRIVACY_REMOVED "photo, signature, fingerprints, contact"

/*
 * Remove the personal data of at most limit jobs whose purpose was
 * fulfilled before now - days * 86400. Returns how many, or -errno.
 */
int store_purge_personal(struct store *st, long long now, int days, int limit);

/* Reclaim the space of purged data (VACUUM) when more than a quarter of the
 * file is free pages; 1 when it did, 0 when not needed, or -errno. */
int store_reclaim(struct store *st);

struct privacy_held {
	long waiting;	      /* jobs not yet printed (queued, held, active, failed) */
	long in_custody;      /* cards issued or stored: the photo kept until hand-over */
	long retention;	      /* purpose fulfilled, kept until the retention period ends */
	long long next_purge; /* when the oldest of those is removed; 0 = none */
	long purged;	      /* jobs whose personal data is gone */
	long with_phone;      /* records holding a mobile number */
	long long oldest;     /* the oldest record holding personal data (received at) */
	long long bytes;      /* of the job records holding personal data */
};
int store_privacy_held(struct store *st, long long now, int days, struct privacy_held *ret);

/* When a job's personal data was removed (0: still held). */
int store_purged_at(struct store *st, const char *job_id, long long *ret);

#endif
