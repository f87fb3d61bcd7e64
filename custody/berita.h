/*
 * berita.h - the berita acara serah terima of a transfer batch: the
 * document an office hands the kecamatan with its uncollected cards (A4
 * PDF, in the station's document language, Indonesian by default, as the
 * offices write it).
 */
#ifndef CETAK_BERITA_H
#define CETAK_BERITA_H

#include <jansson.h>
#include <stddef.h>

/*
 * Write the berita acara of batch (the JSON of the card-transfer and
 * card-batch verbs: doc, kecamatan, at, office, cards[name, address, chip,
 * job]) to path. 0, or -EIO with why.
 */
int berita_transfer_pdf(json_t *batch, const char *path, char *why, size_t len);

/*
 * The custody report as A4 PDF (the JSON of the custody verb: states, ages,
 * kecamatan, cards due for transfer, collections per day, batches, SMS,
 * the balance) for office at time at. 0, or -EIO with why.
 */
int berita_custody_pdf(json_t *report, const char *office, long long at, const char *path,
		       char *why, size_t len);

/* "Senin, 30 November 2026" for t, local time, in the language of the thread. */
void berita_date(long long t, char *out, size_t len);

#endif
