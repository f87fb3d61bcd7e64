/*
 * state.h - the state directory's guards: a lock held for the process
 * lifetime, and the start-up cross-check of the job store and the ledger
 * (docs/design.md, "Two books that check each other").
 */
#ifndef CETAK_STATE_H
#define CETAK_STATE_H

#include <stdbool.h>
#include <stddef.h>

struct store;
struct ledger;

/*
 * Take an fcntl write lock on DIR/lock; the fd stays open (and the lock
 * held) for the process lifetime. -EBUSY with the other holder's pid in why
 * when another cetakd has it.
 */
int state_lock(const char *dir, int *ret_fd, char *why, size_t len);

/*
 * Before opening: both files missing (or empty) is a new station (*ret_new);
 * one missing or empty while the other is not is refused (-ENODATA, why).
 * Nothing is created or changed.
 */
int state_presence(const char *store_path, const char *ledger_path, bool *ret_new, char *why,
		   size_t len);

/*
 * After opening both: replay the ledger (ledger_check), then check that the
 * store holds every job event the ledger chained and every job it issued a
 * card for, and that the ledger still holds the head the store last saw.
 * 0 (and the current head recorded), or -errno with the reason in why.
 */
int state_crosscheck(struct store *st, struct ledger *lg, char *why, size_t len);

/* Record the ledger's current head in the store (after a chained batch, at exit). */
int state_seen(struct store *st, struct ledger *lg);

#endif
