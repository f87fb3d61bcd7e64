/*
 * line.c - line state derived from configuration and observed devices.
 */
#define _GNU_SOURCE
#include "line.h"
#include "common/log.h"
#include "smartcard/sc.h"

#include <stdio.h>
#include <string.h>

void
line_init(struct line *l, const struct cfg_line *cfg)
{
	memset(l, 0, sizeof(*l));
	l->cfg = cfg;
	l->state = cfg->enabled ? LINE_NOT_READY : LINE_DISABLED;
	snprintf(l->reason, sizeof(l->reason), "%s", cfg->enabled ? "not checked yet" : "");
}

const char *
line_state_name(enum line_state s)
{
	switch (s) {
	case LINE_DISABLED:
		return "disabled";
	case LINE_NOT_READY:
		return "not-ready";
	default:
		return "idle";
	}
}

bool
line_refresh(struct line *l, struct sc_ctx *sc)
{
	enum line_state state = l->state;
	char reason[sizeof(l->reason)] = "";
	char found[sizeof(l->reader)];
	struct log_field f[] = { { "LINE", l->cfg->name }, { "READER", found } };

	if (!l->cfg->enabled) {
		state = LINE_DISABLED;
	} else if (sc_reader_find(sc, l->cfg->reader, found, sizeof(found)) == SC_OK) {
		state = LINE_IDLE;
		snprintf(l->reader, sizeof(l->reader), "%s", found);
	} else {
		state = LINE_NOT_READY;
		snprintf(reason, sizeof(reason), "%.*s", (int)sizeof(reason) - 1, found);
		l->reader[0] = '\0';
	}
	if (state == l->state && strcmp(reason, l->reason) == 0)
		return false;
	l->state = state;
	snprintf(l->reason, sizeof(l->reason), "%s", reason);
	if (state == LINE_IDLE)
		log_emit(LOG_NOTICE, f, 2, "line '%s': reader '%s' present, line ready",
			 l->cfg->name, l->reader);
	else if (state == LINE_NOT_READY)
		log_emit(LOG_WARNING, f, 1, "line '%s': %s (pattern '%s'), line not ready",
			 l->cfg->name, reason, l->cfg->reader);
	return true;
}

json_t *
line_to_json(const struct line *l)
{
	const struct cfg_line *c = l->cfg;
	const char *target = c->cups_queue[0] ? c->cups_queue : c->usb_device;

	return json_pack("{s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", c->name,
			 "enabled", c->enabled, "state", line_state_name(l->state), "reason",
			 l->reason, "printer", c->printer, "printer_target", target,
			 "reader_pattern", c->reader, "reader", l->reader, "encoder",
			 c->encoder ? "desk" : "inline");
}
