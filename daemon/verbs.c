/*
 * verbs.c - control-socket verbs of cetakd: one table, one handler each.
 *
 * Handlers follow the ctl_verb_fn contract (control.h). Later modules add
 * their verbs here, each with the role it needs.
 */
#define _GNU_SOURCE
#include "cetakd.h"
#include "ctlproto.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void
iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

static int
verb_status(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	    const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	char started[40], loaded[40];
	json_t *lines = json_array();
	(void)args;
	(void)ret_code;
	(void)ret_err;

	for (int i = 0; i < d->n_lines; i++)
		json_array_append_new(lines, line_to_json(&d->lines[i]));
	iso_time(d->started, started, sizeof(started));
	iso_time(d->loaded, loaded, sizeof(loaded));
	*ret_data = json_pack(
		"{s:s, s:i, s:s, s:I, s:s, s:s, s:i, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s}, s:o}",
		"version", CETAK_VERSION, "pid", (int)getpid(), "started", started, "uptime_s",
		(json_int_t)((ev_now_ms() - d->started_ms) / 1000), "config", d->cfg_path,
		"config_loaded", loaded, "reloads", (int)d->reloads, "station", "name",
		d->cfg->station_name, "office", d->cfg->station_office, "role",
		cfg_role_name(d->cfg->station_role), "region", d->cfg->station_region, "you",
		"user", peer->user, "role", ctl_role_name(peer->role), "lines", lines);
	return *ret_data ? 0 : -1;
}

static int
verb_reload(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	    const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	(void)peer;
	(void)args;
	(void)ret_code;

	if (cetakd_reload(d, ret_err) < 0)
		return -1;
	*ret_data = json_pack("{s:s, s:i}", "config", d->cfg_path, "reloads", (int)d->reloads);
	return 0;
}

const struct ctl_verb cetakd_verbs[] = {
	{ "status", CTL_ROLE_OPERATOR, verb_status, "daemon, station and line status" },
	{ "reload", CTL_ROLE_SUPERVISOR, verb_reload, "reload the configuration" },
	{ NULL, CTL_ROLE_NONE, NULL, NULL },
};
