/*
 * sc_mem.h - an in-memory card transport that a test scripts, so that the
 * card protocol (sc_card.c) and the engine above it run without pcscd.
 *
 * A "bank" of readers; each reader may hold a card, which is a function
 * answering APDUs (tests/fixtures/cardcore.c is the test card). Faults are
 * scripted per reader: after N more APDUs, the next one fails as the card
 * being pulled (SC_CARD_REMOVED), a mute chip (SC_CARD_MUTE), a lost reader
 * (SC_READER_LOST) or a link hiccup (SC_ERROR, transient); or each APDU
 * takes delay_ms (a hung card, with a long delay). Thread-safe: a worker
 * thread transmits while the test scripts.
 */
#ifndef CETAK_SC_MEM_H
#define CETAK_SC_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sc.h"

/* Answer cmd into resp (data and status word); its length, 0 for no answer (mute). */
typedef size_t (*sc_mem_card_fn)(void *card, const uint8_t *cmd, size_t n, uint8_t *resp);

struct sc_mem;

int sc_mem_new(struct sc_mem **ret);
void sc_mem_free(struct sc_mem *m); /* NULL is fine */
/* Add a reader (up to 8). 0 or -ENOSPC. */
int sc_mem_add_reader(struct sc_mem *m, const char *name);
/* Put a card in the reader (fn NULL: take it out). A card without a chip is mute. */
void sc_mem_insert(struct sc_mem *m, const char *reader, sc_mem_card_fn fn, void *card,
		   const uint8_t *atr, size_t atr_len, bool mute);
/* After `after` more APDUs, fail the next one with o (and every later one, for
 * SC_CARD_MUTE); delay_ms before each answer from then on. */
void sc_mem_fault(struct sc_mem *m, const char *reader, int after, enum sc_outcome o, int delay_ms);
/* Call fn before each APDU sent to a card in the bank (count: the reader's
 * APDUs so far, from 1), on the sender's thread; NULL stops it. */
void sc_mem_on_apdu(struct sc_mem *m, void (*fn)(void *arg, const char *reader, unsigned count),
		    void *arg);
/* APDUs the reader's cards were sent. */
unsigned sc_mem_apdus(struct sc_mem *m, const char *reader);
/* A context over the bank (which must outlive it). */
int sc_ctx_new_mem(struct sc_mem *m, struct sc_ctx **ret);

#endif
