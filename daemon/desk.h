/*
 * desk.h - the custody desk's reader: an issued card read off the loop.
 *
 * A hand-over (and a store or a look-up by the card itself) starts with the
 * card on the desk reader (custody.reader). The read runs on the desk's own
 * thread (offload.h): wait for the card up to custody.read_timeout, read
 * every file of the card profile, verify EF.SOD against the CSCA, take the
 * chip serial and the NIK the chip holds (DG13). The result comes back on
 * the loop's thread.
 */
#ifndef CETAK_DESK_H
#define CETAK_DESK_H

#include <stdbool.h>

struct cetakd;

struct desk_card {
	bool ok;	 /* a card was read and its data verified */
	char serial[33]; /* chip serial */
	char nik[17];	 /* the NIK on the chip (DG13) */
	char why[300];	 /* when not ok: one line for people */
};

typedef void (*desk_done_fn)(struct cetakd *d, const struct desk_card *card, void *arg);

/*
 * Read the card on the desk reader; done(d, card, arg) runs on the loop's
 * thread (card->ok false when none was read: no reader configured, no card,
 * an unreadable or unverifiable one, or cetakd stopping). 0, or -errno when
 * nothing was started (done is then not called).
 */
int desk_read(struct cetakd *d, desk_done_fn done, void *arg);
/* Stop the desk's thread; a read in hand finishes, done is called. */
void desk_stop(struct cetakd *d);

#endif
