/*
 * custody_state.h - the custody states of an issued card and their names,
 * as the job store keeps them and the audit chain records them ("custody"
 * records, docs/audit-format.md). Pure; shared with the offline verifier.
 */
#ifndef CETAK_CUSTODY_STATE_H
#define CETAK_CUSTODY_STATE_H

enum custody_state {
	CS_ISSUED,	/* in the output hopper, not yet put away */
	CS_STORED,	/* in a named place (box, drawer, slot) */
	CS_COLLECTED,	/* handed over to the holder or a proxy */
	CS_TRANSFERRED, /* sent to a kecamatan office in a batch */
	CS_WITHDRAWN,	/* void (holder died, wrong data, a newer card): to destroy */
	CS_DESTROYED,	/* destroyed, with the berita acara's number */
	CS_COUNT
};
#define CS_MASK(s) (1u << (s))
/* The states in which the office still holds the card. */
#define CS_HELD (CS_MASK(CS_ISSUED) | CS_MASK(CS_STORED) | CS_MASK(CS_WITHDRAWN))

const char *custody_state_name(enum custody_state s);
int custody_state_from_name(const char *s); /* -1 when unknown */

#endif
