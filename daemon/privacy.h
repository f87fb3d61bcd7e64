/*
 * privacy.h - cetakd's retention pass (jobs/privacy.h): every hour, the
 * photo, signature, fingerprints and phone number of jobs whose purpose is
 * fulfilled since custody.retention_days are removed, and so are refused
 * job files in the spool's rejected/ folder older than that.
 */
#ifndef CETAK_DAEMON_PRIVACY_H
#define CETAK_DAEMON_PRIVACY_H

#include "cetakd.h"

struct privacy_pass {
	long jobs;	/* job records whose personal data was removed */
	long rejected;	/* refused job files removed from the spool */
	bool reclaimed; /* the job store's free space given back (VACUUM) */
};

/* One pass now; 0 with *res, or -errno with why. */
int privacy_run(struct cetakd *d, struct privacy_pass *res, char *why, size_t whylen);
/* The timer's pass: logs what it removed. */
void privacy_tick(struct cetakd *d);

#endif
