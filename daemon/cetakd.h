/*
 * cetakd.h - the process state of cetakd, passed explicitly, never global.
 */
#ifndef CETAK_CETAKD_H
#define CETAK_CETAKD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "control.h"
#include "line.h"
#include "loop.h"

struct sc_ctx;

struct cetakd {
	struct cetak_config *cfg; /* current, owned */
	char *cfg_path;
	char *socket_path; /* the one bound at start-up; a reload cannot move it */
	struct ev_loop *loop;
	struct ctl_server *ctl;
	struct sc_ctx *sc;
	struct ev_source *poll_timer, *watchdog_timer;
	struct line lines[CFG_MAX_LINES];
	int n_lines;
	time_t started, loaded;
	uint64_t started_ms;
	unsigned reloads;
	bool stopping;
};

/* Load the config at d->cfg_path again; on failure the old one stays. */
int cetakd_reload(struct cetakd *d, char **ret_err);
/* The verb table of the control socket (daemon/verbs.c). */
extern const struct ctl_verb cetakd_verbs[];

#endif
