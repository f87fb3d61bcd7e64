/*
 * pb.c - the backend table, reason names, and the IPP reason mapping.
 */
#define _GNU_SOURCE
#include "pb.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The backends a line may name; pb_register adds to them (before any line starts). */
static const struct pb_ops *backends[8] = { &pb_cups_ops, &pb_usb_ops };

const struct pb_ops *
pb_find(const char *name)
{
	for (int i = 0; name && i < 8 && backends[i]; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

int
pb_register(const struct pb_ops *ops)
{
	for (int i = 0; i < 8; i++) {
		if (backends[i] == ops)
			return 0;
		if (!backends[i]) {
			backends[i] = ops;
			return 0;
		}
	}
	return -ENOSPC;
}

const char *
pb_names(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < 8 && backends[i] && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", backends[i]->name);
	return buf;
}

void
pb_status_clear(struct pb_status *st)
{
	memset(st, 0, sizeof(*st));
	st->ribbon_percent = st->ribbon_left = -1;
}

const char *
pb_class_name(enum pb_class c)
{
	static const char *const names[] = { "ok", "retry", "hold", "stop", "fail", "unknown" };
	return (unsigned)c <= PB_UNKNOWN ? names[c] : "?";
}

static const char *const reason_names[] = {
	"offline",	   "door open",	 "jam",	       "input hopper empty",
	"reject box full", "ribbon low", "ribbon out", "cooling down",
	"stopped"
};

const char *
pb_reasons_text(unsigned reasons, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(reason_names) / sizeof(reason_names[0]); i++)
		if (reasons & (1u << i) && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
						 reason_names[i]);
	return buf;
}

/* IPP keyword (RFC 8011 / PWG 5100.x) to our reason, and whether it stops printing. */
static const struct {
	const char *keyword;
	unsigned reason;
	enum pb_class cls;
} ipp_map[] = {
	{ "offline", PB_R_OFFLINE, PB_RETRY },
	{ "connecting-to-device", PB_R_OFFLINE, PB_RETRY },
	{ "timed-out", PB_R_OFFLINE, PB_RETRY },
	{ "door-open", PB_R_DOOR_OPEN, PB_STOP },
	{ "cover-open", PB_R_DOOR_OPEN, PB_STOP },
	{ "interlock-open", PB_R_DOOR_OPEN, PB_STOP },
	{ "media-jam", PB_R_JAM, PB_STOP },
	{ "input-tray-missing", PB_R_HOPPER_EMPTY, PB_STOP },
	{ "media-empty", PB_R_HOPPER_EMPTY, PB_STOP },
	{ "media-needed", PB_R_HOPPER_EMPTY, PB_STOP },
	{ "output-area-full", PB_R_REJECT_FULL, PB_STOP },
	{ "marker-supply-low", PB_R_RIBBON_LOW, PB_OK },
	{ "toner-low", PB_R_RIBBON_LOW, PB_OK },
	{ "marker-supply-empty", PB_R_RIBBON_OUT, PB_STOP },
	{ "toner-empty", PB_R_RIBBON_OUT, PB_STOP },
	{ "cooling-down", PB_R_COOLING, PB_RETRY },
	{ "paused", PB_R_STOPPED, PB_STOP },
	{ "shutdown", PB_R_OFFLINE, PB_RETRY },
};

enum pb_class
pb_ipp_reasons(const char *const *keywords, int n, int printer_state, unsigned *ret_reasons)
{
	enum pb_class cls = PB_OK;
	unsigned reasons = 0;

	for (int i = 0; i < n; i++) {
		char kw[128];
		const char *k = keywords[i];
		size_t len;
		if (!k)
			continue;
		snprintf(kw, sizeof(kw), "%s", k);
		len = strlen(kw);
		/* strip the severity suffix */
		static const char *const sfx[] = { "-error", "-warning", "-report" };
		for (size_t s = 0; s < 3; s++) {
			size_t sl = strlen(sfx[s]);
			if (len > sl && strcmp(kw + len - sl, sfx[s]) == 0) {
				kw[len - sl] = '\0';
				break;
			}
		}
		for (size_t m = 0; m < sizeof(ipp_map) / sizeof(ipp_map[0]); m++)
			if (strcmp(kw, ipp_map[m].keyword) == 0) {
				reasons |= ipp_map[m].reason;
				if (ipp_map[m].cls > cls)
					cls = ipp_map[m].cls;
			}
	}
	if (printer_state == 5) { /* stopped */
		reasons |= PB_R_STOPPED;
		cls = PB_STOP;
	}
	*ret_reasons = reasons;
	return cls;
}

static const struct {
	const char *reply;
	unsigned reason;
	enum pb_class cls;
} esc_map[] = {
	{ "ERR HOPPER EMPTY", PB_R_HOPPER_EMPTY, PB_STOP },
	{ "ERR JAM", PB_R_JAM, PB_STOP },
	{ "ERR RIBBON OUT", PB_R_RIBBON_OUT, PB_STOP },
	{ "ERR COVER OPEN", PB_R_DOOR_OPEN, PB_STOP },
	{ "ERR REJECT FULL", PB_R_REJECT_FULL, PB_STOP },
	{ "ERR COOLING", PB_R_COOLING, PB_RETRY },
};

enum pb_class
pb_esc_reply(const char *reply, unsigned *ret_reasons)
{
	*ret_reasons = 0;
	if (strcmp(reply, "OK") == 0)
		return PB_OK;
	for (size_t i = 0; i < sizeof(esc_map) / sizeof(esc_map[0]); i++)
		if (strcmp(reply, esc_map[i].reply) == 0) {
			*ret_reasons = esc_map[i].reason;
			return esc_map[i].cls;
		}
	return PB_FAIL; /* "ERR NO CARD", "ERR DATA", anything unexpected: this card failed */
}

int
pb_count_reply(const char *reply, long *ret_count)
{
	long n = 0;

	if (!reply || !*reply)
		return -1;
	for (const char *p = reply; *p; p++) {
		if (*p < '0' || *p > '9' || n > (1L << 40))
			return -1;
		n = n * 10 + (*p - '0');
	}
	*ret_count = n;
	return 0;
}
