/*
 * notices.h - cetakd's SMS notice rounds (notices.c; notice/notice.h hands
 * the messages to gammu-smsd).
 */
#ifndef CETAK_NOTICES_H
#define CETAK_NOTICES_H

#include <stddef.h>

#include "cetakd.h"

struct notice_result {
	long handed;	/* new notices given to gammu-smsd */
	long sent;	/* results read back: sent */
	long failed;	/* not sent (to go again) */
	long withdrawn; /* taken back from the outbox: the card left storage */
	long waiting;	/* still in gammu's outbox */
	long no_phone;	/* stored cards due whose job has no mobile number */
	bool quiet;	/* outside notice.send_hours or on a holiday: none handed over */
};

/*
 * One round now. 0 with *res, or -errno with the one-line reason in why:
 * notices off, gammu-smsd not running, its folders missing or unwritable,
 * its outbox full (nothing changed), or the job store failing.
 */
int notices_round(struct cetakd *d, struct notice_result *res, char *why, size_t whylen);
/* The timer's round: logs what it did, and a gateway problem once. */
void notices_tick(struct cetakd *d);
/* A card left storage: take its notice back if gammu has not sent it yet. */
void notices_take_back(struct cetakd *d, const char *job_id);

#endif
