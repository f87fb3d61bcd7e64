/*
 * store_internal.h - the job store's SQLite handle, for the store's own
 * modules (cycles.c, custody.c). Not for the rest of cetakd.
 */
#ifndef CETAK_STORE_INTERNAL_H
#define CETAK_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>

struct store;
sqlite3 *store_sqlite(struct store *st);
/* Is a transaction of store_begin() open? */
int store_in_tx(const struct store *st);

/* Run sql (sqlite3_mprintf'd, freed here; NULL is -ENOMEM): 0 or -EIO. */
int store_exec(struct store *st, char *sql);
/*
 * Run sql (sqlite3_mprintf'd, freed here) and give each row to each(stmt,
 * ctx) until one returns non-zero; that value, or 0, or -errno.
 */
int store_query(struct store *st, char *sql, int (*each)(sqlite3_stmt *s, void *ctx), void *ctx);
/* Column col as text into out ("" for NULL). */
void store_text(sqlite3_stmt *s, int col, char *out, size_t len);

#endif
