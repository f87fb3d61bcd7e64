/*
 * store_internal.h - the job store's SQLite handle, for the store's own
 * modules (cycles.c, custody.c). Not for the rest of cetakd.
 */
#ifndef CETAK_STORE_INTERNAL_H
#define CETAK_STORE_INTERNAL_H

#include <sqlite3.h>

struct store;
sqlite3 *store_sqlite(struct store *st);
/* Is a transaction of store_begin() open? */
int store_in_tx(const struct store *st);

#endif
