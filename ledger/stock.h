/*
 * stock.h - the stock rules, pure: apply one event to a balance. Shared by
 * the ledger (every event, before it is committed) and the standalone
 * verifier (replaying an export), so both enforce the same invariant.
 */
#ifndef CETAK_STOCK_H
#define CETAK_STOCK_H

/* The largest count one event may carry (cards, ribbons, a stocktake), and
 * the largest serial-like number (a printer's counter, a job event number). */
#define STOCK_MAX_COUNT 1000000L
#define STOCK_MAX_SERIAL 1000000000000L

#include <jansson.h>

#include "ledger.h"

/* Apply the event (a canonical record object) to b. 0, or -EINVAL with why. */
int stock_apply(struct ledger_balance *b, json_t *record, char *why, size_t len);
/* The invariant; 0 when it holds, -EINVAL with the two sides in why. */
int stock_invariant(const struct ledger_balance *b, char *why, size_t len);
json_t *stock_balance_json(const struct ledger_balance *b);
int stock_balance_from_json(json_t *j, struct ledger_balance *b);

#endif
