/*
 * cetakd.h - the process state of cetakd, passed explicitly, never global.
 */
#ifndef CETAK_CETAKD_H
#define CETAK_CETAKD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "jobs/sched.h"
#include "ledger/alerts.h"
#include "jobs/spool.h"
#include "control.h"
#include "line.h"
#include "loop.h"

struct sc_ctx;
struct store;
struct spool;
struct offload;
struct spawner;

struct cetakd {
	struct cetak_config *cfg; /* current, owned */
	char *cfg_path;
	char *socket_path; /* the one bound at start-up; a reload cannot move it */
	struct ev_loop *loop;
	struct ctl_server *ctl;
	struct sc_ctx *sc;
	struct ev_source *poll_timer, *watchdog_timer;
	struct face_layout *layout; /* current, owned */
	struct ledger *ledger;
	struct alerts *alerts;
	struct spawner *helpers; /* the alert command's processes (spawn.h) */
	struct signer *station;	 /* signs the audit checkpoints; NULL = unsigned */
	struct store *store;
	struct spool *spool;
	struct ev_source *spool_src, *kick_src, *rescan_timer, *audit_timer;
	long long audit_job_seq;      /* the last job event chained into the audit log */
	long long audit_custody_seq;  /* the last custody event chained */
	int kick_fd;		      /* eventfd: "import the next spool batch" */
	int lock_fd;		      /* holds the state directory's lock (state.h) */
	bool importing;		      /* a batch run is under way */
	struct offload *intake;	      /* reads and validates spool batches off the loop */
	struct offload *desk;	      /* reads cards on the custody desk (desk.h); lazily */
	struct hubpush *hub;	      /* pushes the audit chain to the district hub (hubpush.h) */
	struct webui *web;	      /* the dashboard (web/webui.h); NULL when off */
	bool intake_again;	      /* a kick came meanwhile: read new/ again after it */
	struct spool_stats run_stats; /* of the current import run */
	uint64_t run_started_ms;
	struct run *run; /* the print line engine (run.c) */
	struct line lines[CFG_MAX_LINES];
	int n_lines;
	time_t started, loaded;
	uint64_t started_ms;
	unsigned reloads;
	bool stopping;
	struct ev_source *notice_timer;	 /* SMS notice rounds (notices.h) */
	struct ev_source *privacy_timer; /* the hourly retention pass (privacy.h) */
	char notice_problem[256];	 /* why notices cannot go out now; "" = they can */
	char *clock_file;		 /* tests only: CETAK_TEST_CLOCK (cetakd_now) */
	json_t *stocktakes;		 /* stocktakes of places under way (verbs_custody.c) */
	/* the card transport for the lines and the reader poll; NULL: PC/SC
	 * (the engine's in-process tests give an in-memory one) */
	int (*sc_new)(void *arg, struct sc_ctx **ret);
	void *sc_arg;
};

/*
 * Open the station the configuration at path describes: the books checked
 * and opened, the lines started and recovered, the control socket bound.
 * 0, or -1 with the reason logged (cetakd_close() still needed).
 */
int cetakd_open(struct cetakd *d, const char *path);
/* Once ready: import what arrived meanwhile, look at the stock. */
void cetakd_begin(struct cetakd *d);
/* Finish: workers joined, prepared jobs back in the queue, books closed. */
void cetakd_close(struct cetakd *d);

/* Policies derived from the current config. */
void cetakd_policies(const struct cetakd *d, struct job_policy *jp, struct sched_policy *sp,
		     struct stock_source *stock);
/* Look at the stock now: raise, repeat or clear alerts, rewrite the metrics. */
void cetakd_alerts(struct cetakd *d);
/* The alert thresholds from the current config. */
void cetakd_alerts_config(const struct cetakd *d, struct alerts_config *ac);

/* Chain the job store's new state changes into the audit log (batched). */
void cetakd_audit_jobs(struct cetakd *d);

/*
 * The time custody runs on (storage, notices, transfers, retention): the
 * clock, moved forward by the number of seconds in the file the environment
 * variable CETAK_TEST_CLOCK names, so that tests can pass six months.
 */
long long cetakd_now(const struct cetakd *d);

/* Ask the loop to import the spool (coalesced). */
void cetakd_kick(struct cetakd *d);

/* Load the config at d->cfg_path again; on failure the old one stays. */
int cetakd_reload(struct cetakd *d, char **ret_err);
/* The verb table of the control socket (daemon/verbs.c). */
extern const struct ctl_verb cetakd_verbs[];
/* The control socket's limits and groups under the current configuration. */
void cetakd_ctl_limits(const struct cetakd *d, struct ctl_limits *l);

#endif
