/*
 * hubpush.h - the station pushes its signed audit chain to the district hub
 * (docs/hub.md), when it can, never waiting for it.
 *
 * Every hub.push_interval seconds (and at `cetakctl hub push`) a round
 * asks the hub what it holds of this station's chain (hub.ack()), exports
 * the next slice (at most hub.batch records, ledger_export_range) and hands
 * it to hub.push(); while more remain it goes on at once. The network is on
 * a thread of its own (libpq, with connect and statement timeouts); only
 * the slice's export, bounded by the batch size, runs on the loop. A hub
 * that is unreachable, slow or refusing costs the print line nothing: the
 * round is logged once per change of reason and tried again later. The
 * hub takes a slice once however often it is sent, so a crash anywhere in
 * a round loses or doubles nothing.
 */
#ifndef CETAK_HUBPUSH_H
#define CETAK_HUBPUSH_H

#include <jansson.h>

struct cetakd;

/* Start the timer (nothing when hub.conninfo is ""). 0 or -1. */
int hubpush_start(struct cetakd *d);
/* A round now (no-op when one runs). */
void hubpush_kick(struct cetakd *d);
void hubpush_stop(struct cetakd *d);
/* The state for `cetakctl hub` (new reference). */
json_t *hubpush_status(struct cetakd *d);

#endif
