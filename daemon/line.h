/*
 * line.h - the run-time state of one print line, as operators see it.
 *
 * A line is configured in cetakd.conf (struct cfg_line). Its state is
 * derived from what cetakd can observe: disabled by config, not-ready with a
 * reason (reader missing, pcscd not available), or idle.
 */
#ifndef CETAK_LINE_H
#define CETAK_LINE_H

#include <jansson.h>
#include <stdbool.h>

#include "config.h"

struct sc_ctx;

enum line_state { LINE_DISABLED, LINE_NOT_READY, LINE_IDLE };

struct line {
	const struct cfg_line *cfg; /* borrowed from the current config */
	enum line_state state;
	char reason[128]; /* why not ready; "" otherwise */
	char reader[256]; /* the reader found for cfg->reader */
};

/* Start a line in LINE_NOT_READY ("not checked yet"); cfg is borrowed. */
void line_init(struct line *l, const struct cfg_line *cfg);
/*
 * Observe the line's devices and update its state. Logs a change once
 * ("line 'A': reader missing, not ready"). Returns true when the state or
 * reason changed.
 */
bool line_refresh(struct line *l, struct sc_ctx *sc);
const char *line_state_name(enum line_state s);
/* A new JSON object describing the line for cetakctl. */
json_t *line_to_json(const struct line *l);

#endif
