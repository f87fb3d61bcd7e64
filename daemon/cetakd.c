/*
 * cetakd.c - the cetak print-station daemon: start-up, signals, reload.
 *
 * Runs in the foreground (systemd Type=notify). Start-up: load and validate
 * the config (refuse to start on any error), create the directories it owns,
 * bind the control socket, observe the lines, then READY=1. SIGTERM/SIGINT
 * finish the work in hand and exit 0; SIGHUP reloads the config, keeping the
 * old one when the new one is bad.
 */
#define _GNU_SOURCE
#include "cetakd.h"
#include "hubpush.h"
#include "webui.h"
#include "desk.h"
#include "common/log.h"
#include "offload.h"
#include "run.h"
#include "spawn.h"
#include "state.h"
#include "jobs/custody.h"
#include "notices.h"
#include "privacy.h"
#include "ledger/ledger.h"
#include "printer/face.h"
#include "smartcard/sod.h"
#include "smartcard/sc.h"
#include "smartcard/lds.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/epoll.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

static void on_notice(struct ev_source *src, void *data);
static void on_privacy(struct ev_source *src, void *data);

static gid_t
group_gid(const char *name)
{
	struct group *gr = getgrnam(name);

	if (!gr) {
		log_warn("access: group '%s' does not exist, nobody gets its rights", name);
		return (gid_t)-1;
	}
	return gr->gr_gid;
}

static void
limits_from_config(const struct cetak_config *cfg, struct ctl_limits *l)
{
	l->max_request = (size_t)cfg->control_max_request;
	l->max_clients = cfg->control_max_clients;
	l->idle_timeout_s = cfg->control_idle_timeout_s;
	l->request_timeout_s = cfg->control_request_timeout_s;
	l->per_user = cfg->control_per_user;
	l->supervisor_group = cfg->supervisor_group;
	l->operator_group = cfg->operator_group;
	l->supervisor_gid = group_gid(cfg->supervisor_group);
	l->operator_gid = group_gid(cfg->operator_group);
}

void
cetakd_ctl_limits(const struct cetakd *d, struct ctl_limits *l)
{
	limits_from_config(d->cfg, l);
}

/* Observe every line; on any change tell systemd a one-line summary. */
static void
lines_refresh(struct cetakd *d, bool force_status)
{
	bool changed = force_status;
	char status[512];
	size_t used;

	for (int i = 0; i < d->n_lines; i++)
		changed |= line_refresh(&d->lines[i], d->sc);
	if (!changed)
		return;
	if (d->run) { /* the engine gives the summary, with jobs and steps */
		run_pump(d);
		return;
	}
	used = (size_t)snprintf(status, sizeof(status), "%d line%s", d->n_lines,
				d->n_lines == 1 ? "" : "s");
	for (int i = 0; i < d->n_lines && used < sizeof(status); i++) {
		const struct line *l = &d->lines[i];
		used += (size_t)snprintf(status + used, sizeof(status) - used, "%s %s %s%s%s%s",
					 i ? "," : ":", l->cfg->name, line_state_name(l->state),
					 l->reason[0] ? " (" : "", l->reason,
					 l->reason[0] ? ")" : "");
	}
	sd_notifyf(0, "STATUS=%s", status);
}

/* Rebuild the line table for cfg, keeping the observed state of lines that stay. */
static void
lines_adopt(struct cetakd *d, const struct cetak_config *cfg)
{
	struct line old[CFG_MAX_LINES];
	int n_old = d->n_lines;

	memcpy(old, d->lines, sizeof(old));
	for (int i = 0; i < cfg->n_lines; i++) {
		line_init(&d->lines[i], &cfg->lines[i]);
		for (int j = 0; j < n_old; j++)
			if (strcmp(old[j].cfg->name, cfg->lines[i].name) == 0) {
				d->lines[i].state = old[j].state;
				memcpy(d->lines[i].reason, old[j].reason, sizeof(old[j].reason));
				memcpy(d->lines[i].reader, old[j].reader, sizeof(old[j].reader));
			}
	}
	d->n_lines = cfg->n_lines;
}

/*
 * What intake refuses beyond the job format: text that does not fit the
 * face, and data that would not fit the card (a file over the card's limit
 * would spoil every blank tried for it). Runs on the validation threads:
 * the layout (a reference of the batch's own) and the profile are only read.
 */
struct intake_task {
	struct cetakd *d;
	struct face_layout *layout;
	const struct card_profile *prof;
	struct spool_limits lim;
	struct job_policy jp;
	struct spool_batch *batch;
	int rc;
};

static int
job_fits(void *ctx, const struct job *job, char *why, size_t len)
{
	const struct intake_task *t = ctx;
	char card[300];

	if (face_check(t->layout, job, why, len) < 0)
		return -EINVAL;
	if (t->prof && lds_check_sizes(t->prof, job, card, sizeof(card)) < 0) {
		snprintf(why, len, "the card cannot hold it: %s", card);
		return -EINVAL;
	}
	return 0;
}

/* Load the face layout named by cfg; errors on the log. NULL on failure. */
static struct face_layout *
load_layout(const struct cetak_config *cfg)
{
	struct face_layout *l = NULL;
	char *errs = NULL;
	size_t n = 0;
	FILE *mem = open_memstream(&errs, &n);

	if (mem) {
		if (face_layout_load(cfg->face_layout, mem, &l) < 0)
			l = NULL;
		fclose(mem);
	}
	if (!l)
		log_error("face: layout %s refused: %s", cfg->face_layout,
			  errs && errs[0] ? errs : strerror(errno));
	free(errs);
	return l;
}

/*
 * A reload that names another station key: opened and checked like at start;
 * the ledger signs its next checkpoint with it. -EINVAL with the reason.
 */
static int
station_key_changed(struct cetakd *d, const struct cetak_config *cfg, char **ret_err)
{
	const struct cetak_config *c = d->cfg;
	struct signer *s = NULL;
	char why[300];

	if (!strcmp(c->station_key, cfg->station_key) &&
	    !strcmp(c->station_cert, cfg->station_cert) &&
	    !strcmp(c->pkcs11_module, cfg->pkcs11_module) &&
	    !strcmp(c->station_pin, cfg->station_pin))
		return 0;
	if (cfg->station_key[0] &&
	    signer_open(cfg->station_key, cfg->station_cert, cfg->pkcs11_module, cfg->station_pin,
			&s, why, sizeof(why)) < 0) {
		if (ret_err && asprintf(ret_err,
					"ledger.station_key refused: %s; the running "
					"configuration stays",
					why) < 0)
			*ret_err = NULL;
		return -EINVAL;
	}
	ledger_set_station(d->ledger, s);
	signer_free(d->station);
	d->station = s;
	return 0;
}

static void on_poll(struct ev_source *src, void *data);
static void on_rescan(struct ev_source *src, void *data);

int
cetakd_reload(struct cetakd *d, char **ret_err)
{
	struct cetak_config *cfg = NULL;
	struct ctl_limits limits;
	char *errs = NULL;
	size_t errs_len = 0;
	FILE *mem = open_memstream(&errs, &errs_len);

	if (!mem)
		return -ENOMEM;
	int r = cfg_load(d->cfg_path, mem, &cfg);
	fclose(mem);
	if (r < 0) {
		/* Drop the trailing newline; the message is one block for the log and cetakctl. */
		if (errs_len && errs[errs_len - 1] == '\n')
			errs[errs_len - 1] = '\0';
		log_error("config: %s refused, keeping the running configuration:\n%s", d->cfg_path,
			  errs);
		if (ret_err)
			*ret_err = errs;
		else
			free(errs);
		return r;
	}
	free(errs);
	char *why = NULL;
	if (station_key_changed(d, cfg, &why) < 0 || run_reload_check(d, cfg, &why) < 0) {
		log_error("config: %s refused: %s", d->cfg_path, why ? why : "");
		if (ret_err)
			*ret_err = why;
		else
			free(why);
		cfg_free(cfg);
		return -EINVAL;
	}
	struct face_layout *layout = load_layout(cfg);
	if (!layout) {
		if (ret_err && asprintf(ret_err,
					"face layout %s refused (see the log); keeping the "
					"running configuration",
					cfg->face_layout) < 0)
			*ret_err = NULL;
		cfg_free(cfg);
		return -EINVAL;
	}
	face_layout_free(d->layout);
	d->layout = layout;
	if (strcmp(cfg->control_socket, d->socket_path) != 0)
		log_warn("config: control_socket changed to '%s'; cetakd keeps '%s' until "
			 "restarted",
			 cfg->control_socket, d->socket_path);
	log_set_level(cfg->log_level);
	lines_adopt(d, cfg);
	/* timers whose interval changed are re-armed now, not at the next restart */
	if (cfg->reader_poll_ms != d->cfg->reader_poll_ms) {
		ev_source_free(d->poll_timer);
		d->poll_timer = NULL;
		if (ev_add_timer(d->loop, (uint64_t)cfg->reader_poll_ms, on_poll, d,
				 &d->poll_timer) < 0)
			log_error("config: cannot re-arm the reader poll timer");
	}
	if (cfg->spool_rescan_s != d->cfg->spool_rescan_s && d->rescan_timer) {
		ev_source_free(d->rescan_timer);
		d->rescan_timer = NULL;
		if (ev_add_timer(d->loop, (uint64_t)cfg->spool_rescan_s * 1000, on_rescan, d,
				 &d->rescan_timer) < 0)
			log_error("config: cannot re-arm the rescan timer");
	}
	if (cfg->notice_round_s != d->cfg->notice_round_s && d->notice_timer) {
		ev_source_free(d->notice_timer);
		d->notice_timer = NULL;
		if (ev_add_timer(d->loop, (uint64_t)cfg->notice_round_s * 1000, on_notice, d,
				 &d->notice_timer) < 0)
			log_error("config: cannot re-arm the notice timer");
	}
	cfg_free(d->cfg);
	d->cfg = cfg;
	limits_from_config(cfg, &limits);
	ctl_server_set_limits(d->ctl, &limits);
	d->reloads++;
	d->loaded = time(NULL);
	log_notice("config: %s reloaded (%d lines)", d->cfg_path, cfg->n_lines);
	lines_refresh(d, true);
	return 0;
}

static void
on_signal(int signo, void *data)
{
	struct cetakd *d = data;

	switch (signo) {
	case SIGHUP:
		sd_notify(0, "RELOADING=1");
		cetakd_reload(d, NULL);
		sd_notify(0, "READY=1");
		break;
	case SIGCHLD:
		spawner_reap(d->helpers);
		break;
	case SIGTERM:
	case SIGINT:
		log_notice("cetakd: signal %s, finishing the work in hand and stopping",
			   strsignal(signo));
		sd_notify(0, "STOPPING=1");
		d->stopping = true;
		run_shutdown(d);
		break;
	}
}

/* The blanks the station can print on: the store and the hoppers, from the
 * ledger. Unknown (the rule is off) until a first lot has been received. */
static int
ledger_stock_balance(void *ctx, long *ret_blanks)
{
	const struct cetakd *d = ctx;
	struct ledger_balance b;

	if (!d->ledger || ledger_balance(d->ledger, &b) < 0 || b.received == 0)
		return -ENODATA;
	*ret_blanks = b.store;
	for (int i = 0; i < b.n_lines; i++)
		*ret_blanks += b.lines[i].hopper;
	return 0;
}

void
cetakd_policies(const struct cetakd *d, struct job_policy *jp, struct sched_policy *sp,
		struct stock_source *stock)
{
	jp->region = d->cfg->station_region;
	jp->now = (long long)time(NULL);
	sp->daily_quota = d->cfg->daily_quota;
	sp->stock_reserve = d->cfg->stock_reserve;
	sp->station_upt = d->cfg->station_role == CFG_ROLE_UPT;
	stock->balance = ledger_stock_balance;
	stock->ctx = (void *)d;
}

/* The alert command, run by the daemon and reaped by its loop (spawn.h). */
static void
alert_command(void *ctx, const char *json)
{
	struct cetakd *d = ctx;

	spawner_run(d->helpers, "alerts", d->cfg->alert_command, json, 60);
}

void
cetakd_alerts_config(const struct cetakd *d, struct alerts_config *ac)
{
	ac->reserve = d->cfg->stock_reserve;
	ac->lead_days = d->cfg->lead_days;
	ac->window_days = d->cfg->window_days;
	ac->hopper_low = d->cfg->hopper_low;
	ac->ribbon_low = d->cfg->ribbon_low;
	ac->repeat_s = d->cfg->alert_repeat_s;
	ac->deliver = d->cfg->alert_command[0] ? alert_command : NULL;
	ac->deliver_ctx = (void *)d;
	ac->metrics = d->cfg->metrics_file;
	ac->station = d->cfg->station_name;
}

void
cetakd_alerts(struct cetakd *d)
{
	struct alerts_config ac;

	if (!d->ledger || !d->alerts)
		return;
	cetakd_alerts_config(d, &ac);
	alerts_evaluate(d->alerts, &ac, d->ledger, (long long)time(NULL));
}

static int
audit_one(long long seq, const char *job_id, long long at, const char *from, const char *to,
	  const char *reason, const char *actor, void *ctx)
{
	struct cetakd *d = ctx;
	char note[400], why[300];
	struct ledger_event e = { .kind = "job",
				  .job = job_id,
				  .note = note,
				  .actor = actor && actor[0] ? actor : "cetakd",
				  .from_state = from,
				  .to_state = to && to[0] ? to : "?",
				  .event = seq };

	snprintf(note, sizeof(note), "at %lld: %.300s", at, reason ? reason : "");
	if (ledger_record(d->ledger, &e, (long long)time(NULL), NULL, why, sizeof(why)) < 0) {
		log_error("audit: job event %lld of %s not chained: %s", seq, job_id, why);
		return -EIO;
	}
	d->audit_job_seq = seq;
	return 0;
}

static int
audit_custody_one(const struct custody_event *ce, void *ctx)
{
	struct cetakd *d = ctx;
	char why[300];
	/* the note (a collector's name, a reason) stays in the job store */
	struct ledger_event e = { .kind = "custody",
				  .job = ce->job_id,
				  .chip = ce->chip,
				  .actor = ce->actor && ce->actor[0] ? ce->actor : "cetakd",
				  .from_state = ce->from,
				  .to_state = ce->to,
				  .place = ce->place,
				  .doc = ce->doc,
				  .event = ce->seq };

	if (ledger_record(d->ledger, &e, (long long)time(NULL), NULL, why, sizeof(why)) < 0) {
		log_error("audit: custody event %lld of %s not chained: %s", ce->seq, ce->job_id,
			  why);
		return -EIO;
	}
	d->audit_custody_seq = ce->seq;
	return 0;
}

/*
 * The job store's state changes, chained into the audit log in batches (one
 * transaction, one fsync each). The job store is the durable record of each
 * change; the chain follows it within a tick, and at start-up catches up on
 * whatever a crash left behind (docs/audit-format.md).
 */
void
cetakd_audit_jobs(struct cetakd *d)
{
	for (int rounds = 0; d->ledger && d->store && rounds < 10; rounds++) {
		long long before = d->audit_job_seq, cbefore = d->audit_custody_seq;
		if (ledger_batch_begin(d->ledger) < 0)
			return;
		/* job events first: a job's "done" precedes its card's custody */
		int n = store_events_since(d->store, d->audit_job_seq, 2000, audit_one, d), c = 0;
		if (n >= 0)
			c = store_custody_events_since(d->store, d->audit_custody_seq, 2000,
						       audit_custody_one, d);
		if (ledger_batch_end(d->ledger, n >= 0 && c >= 0) < 0 || n < 0 || c < 0) {
			/* rolled back: again next time */
			d->audit_job_seq = before;
			d->audit_custody_seq = cbefore;
			return;
		}
		if (n > 0 || c > 0)
			state_seen(d->store, d->ledger);
		if (n < 2000 && c < 2000)
			return;
	}
}

static void
on_notice(struct ev_source *src, void *data)
{
	(void)src;
	notices_tick(data);
}

static void
on_privacy(struct ev_source *src, void *data)
{
	(void)src;
	privacy_tick(data);
}

long long
cetakd_now(const struct cetakd *d)
{
	long long now = (long long)time(NULL), ahead = 0;
	FILE *f;

	if (d->clock_file && (f = fopen(d->clock_file, "re"))) {
		if (fscanf(f, "%lld", &ahead) != 1 || ahead < 0)
			ahead = 0;
		fclose(f);
	}
	return now + ahead;
}

static void
on_audit(struct ev_source *src, void *data)
{
	struct cetakd *d = data;

	(void)src;
	if (!d->importing) /* a bulk intake first; the chain catches up after it */
		cetakd_audit_jobs(d);
}

void
cetakd_kick(struct cetakd *d)
{
	uint64_t one = 1;

	if (write(d->kick_fd, &one, sizeof(one)) < 0)
		log_debug("spool: kick pending already");
}

/*
 * Intake, one batch at a time: the intake thread reads and validates the
 * batch (photos decoded: never on the loop), the loop commits it to the
 * store and moves the files, then asks for the next batch.
 */
static void
intake_work(void *arg)
{
	struct intake_task *t = arg;

	t->rc = spool_read_batch(t->d->spool, &t->lim, &t->jp, &t->batch);
}

static void intake_next(struct cetakd *d);

static void
intake_done(void *arg, bool ran)
{
	struct intake_task *t = arg;
	struct cetakd *d = t->d;
	struct sched_policy sp;
	struct job_policy jp;
	struct stock_source stock;
	int r = t->rc;

	cetakd_policies(d, &jp, &sp, &stock);
	if (ran && t->batch && !d->stopping) {
		r = spool_commit_batch(d->spool, d->store, &sp, jp.now, t->batch, &d->run_stats);
		t->batch = NULL;
	} else if (r >= 0) {
		r = 0;
	}
	spool_batch_free(t->batch);
	face_layout_free(t->layout);
	free(t);
	if (d->stopping)
		return;
	if (r > 0 || d->intake_again) {
		d->intake_again = false;
		intake_next(d);
		return;
	}
	d->importing = false;
	const struct spool_stats *s = &d->run_stats;
	if (s->imported || s->duplicates || s->rejected || s->failed) {
		log_notice("spool: %ld jobs imported, %ld identical duplicates dropped, %ld "
			   "rejected, %ld left for retry, in %llu ms",
			   s->imported, s->duplicates, s->rejected, s->failed,
			   (unsigned long long)(ev_now_ms() - d->run_started_ms));
		sched_refresh(d->store, &sp, &stock, jp.now);
		run_pump(d);
	}
}

/* Hand the next batch to the intake thread. */
static void
intake_next(struct cetakd *d)
{
	struct intake_task *t = calloc(1, sizeof(*t));
	struct sched_policy sp;
	struct stock_source stock;

	if (!t) {
		d->importing = false;
		log_error("spool: out of memory; new/ is scanned again at the next rescan");
		return;
	}
	if (!d->importing) {
		d->importing = true;
		memset(&d->run_stats, 0, sizeof(d->run_stats));
		d->run_started_ms = ev_now_ms();
	}
	t->d = d;
	t->layout = face_layout_ref(d->layout);
	t->prof = run_intake_profile(d);
	t->lim = (struct spool_limits){ (size_t)d->cfg->spool_max_job_bytes, d->cfg->spool_batch,
					job_fits, t };
	cetakd_policies(d, &t->jp, &sp, &stock);
	if (offload_submit(d->intake, intake_work, intake_done, t) < 0) {
		face_layout_free(t->layout);
		free(t);
		d->importing = false;
		log_error("spool: out of memory; new/ is scanned again at the next rescan");
	}
}

static void
on_kick(struct ev_source *src, int fd, uint32_t events, void *data)
{
	struct cetakd *d = data;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0)
		return;
	if (d->stopping)
		return;
	if (offload_pending(d->intake)) { /* once this batch is in, new/ is read again */
		d->intake_again = true;
		return;
	}
	intake_next(d);
}

static void
on_spool_event(struct ev_source *src, int fd, uint32_t events, void *data)
{
	struct cetakd *d = data;

	if (spool_drain_events(d->spool))
		cetakd_kick(d);
}

static void
on_rescan(struct ev_source *src, void *data)
{
	struct cetakd *d = data;
	struct job_policy jp;
	struct sched_policy sp;
	struct stock_source stock;
	int n;

	cetakd_policies(d, &jp, &sp, &stock);
	n = spool_sweep_tmp(d->spool, d->cfg->spool_tmp_max_age_s, jp.now);
	if (n > 0)
		log_warn("spool: %d abandoned tmp/ files moved to rejected/", n);
	if (sched_refresh(d->store, &sp, &stock, jp.now) < 0)
		log_error("scheduler: job store failed: %s", store_errmsg(d->store));
	cetakd_alerts(d);
	spawner_reap(d->helpers); /* a helper past its time limit is killed */
	cetakd_kick(d);
}

static void
on_poll(struct ev_source *src, void *data)
{
	(void)src;
	lines_refresh(data, false);
}

static void
on_watchdog(struct ev_source *src, void *data)
{
	(void)src;
	(void)data;
	sd_notify(0, "WATCHDOG=1");
}

/* mkdir -p for the directories cetakd owns (systemd normally made them already). */
static int
ensure_dir(const char *path, mode_t mode)
{
	char *copy;
	int r = 0;

	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -errno;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	r = ensure_dir(dirname(copy), 0755);
	free(copy);
	if (r < 0)
		return r;
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int
ensure_dirs(const struct cetak_config *cfg)
{
	char *sock = strdup(cfg->control_socket);
	const struct {
		const char *path;
		mode_t mode;
	} dirs[] = { { cfg->state_dir, 0750 },
		     { cfg->spool_dir, 0755 },
		     { sock ? dirname(sock) : NULL, 0755 } };
	int r = 0;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && r == 0; i++) {
		if (!dirs[i].path) {
			r = -ENOMEM;
			break;
		}
		r = ensure_dir(dirs[i].path, dirs[i].mode);
		if (r < 0)
			log_error("cetakd: cannot create directory '%s': %s", dirs[i].path,
				  strerror(-r));
	}
	free(sock);
	return r;
}

/* The job store and the spool; both are required to run. */
static int
cetakd_open_jobs(struct cetakd *d)
{
	char path[4096], lpath[4096], why[600];
	bool fresh = false;
	int r;

	if (!(d->layout = load_layout(d->cfg)))
		return -1;
	snprintf(path, sizeof(path), "%s/cetak.db", d->cfg->state_dir);
	snprintf(lpath, sizeof(lpath), "%s/ledger.db", d->cfg->state_dir);
	if (state_presence(path, lpath, &fresh, why, sizeof(why)) < 0) {
		log_error("state: %s; not starting", why);
		return -1;
	}
	if (fresh)
		log_notice("state: a new station: creating the job store %s and the ledger %s",
			   path, lpath);
	if ((r = store_open(path, &d->store)) < 0) {
		log_error("jobs: cannot open the job store %s: %s%s", path,
			  r == -EPROTO ? "written by a newer cetakd" : strerror(-r),
			  r == -EIO && d->store ? store_errmsg(d->store) : "");
		return -1;
	}
	if (d->cfg->station_key[0]) {
		if ((r = signer_open(d->cfg->station_key, d->cfg->station_cert,
				     d->cfg->pkcs11_module, d->cfg->station_pin, &d->station, why,
				     sizeof(why))) < 0) {
			log_error("ledger: station key refused: %s", why);
			return -1;
		}
	} else {
		log_warn("ledger: no station key (ledger.station_key): audit checkpoints are not "
			 "signed and the audit cannot be exported");
	}
	if ((r = ledger_open(lpath, d->station, d->cfg->checkpoint_every, &d->ledger)) < 0) {
		log_error("ledger: cannot open %s: %s", lpath,
			  r == -EPROTO ? "written by a newer cetakd (install it again)"
				       : strerror(-r));
		return -1;
	}
	if (state_crosscheck(d->store, d->ledger, why, sizeof(why)) < 0) {
		log_error("state: %s; not starting (both files are left as they are)", why);
		return -1;
	}
	d->audit_job_seq = ledger_last_ref(d->ledger, LK_JOB);
	d->audit_custody_seq = ledger_last_ref(d->ledger, LK_CUSTODY);
	if (d->audit_job_seq < 0 || d->audit_custody_seq < 0 ||
	    ev_add_timer(d->loop, 500, on_audit, d, &d->audit_timer) < 0) {
		log_error("ledger: cannot read the audit chain's last job event");
		return -1;
	}
	if (alerts_new(&d->alerts) < 0)
		return -1;
	if ((r = spool_open(d->cfg->spool_dir, &d->spool)) < 0) {
		log_error("spool: cannot open %s: %s", d->cfg->spool_dir, strerror(-r));
		return -1;
	}
	d->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if ((r = offload_start(d->loop, "intake", &d->intake)) < 0) {
		log_error("spool: cannot start the intake thread: %s", strerror(-r));
		return -1;
	}
	if (d->kick_fd < 0 ||
	    ev_add_fd(d->loop, d->kick_fd, EPOLLIN, on_kick, d, &d->kick_src) < 0 ||
	    ev_add_fd(d->loop, spool_watch_fd(d->spool), EPOLLIN, on_spool_event, d,
		      &d->spool_src) < 0 ||
	    ev_add_timer(d->loop, (uint64_t)d->cfg->spool_rescan_s * 1000, on_rescan, d,
			 &d->rescan_timer) < 0) {
		log_error("spool: cannot watch %s: %s", d->cfg->spool_dir, strerror(errno));
		return -1;
	}
	if (getenv("CETAK_TEST_CLOCK") && !(d->clock_file = strdup(getenv("CETAK_TEST_CLOCK"))))
		return -1;
	if (ev_add_timer(d->loop, (uint64_t)d->cfg->notice_round_s * 1000, on_notice, d,
			 &d->notice_timer) < 0) {
		log_error("notices: cannot start the round timer");
		return -1;
	}
	if (ev_add_timer(d->loop, 3600 * 1000, on_privacy, d, &d->privacy_timer) < 0) {
		log_error("privacy: cannot start the retention timer");
		return -1;
	}
	if (hubpush_start(d) < 0)
		return -1;
	return 0;
}

static int
cetakd_start(struct cetakd *d)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	struct ctl_limits limits;
	uint64_t wd_usec;
	int r;

	char why[600];

	log_set_level(d->cfg->log_level);
	if (ensure_dirs(d->cfg) < 0)
		return -1;
	if (state_lock(d->cfg->state_dir, &d->lock_fd, why, sizeof(why)) < 0) {
		log_error("state: %s; not starting", why);
		return -1;
	}
	if ((r = ev_loop_new(&d->loop)) < 0 ||
	    (r = d->sc_new ? d->sc_new(d->sc_arg, &d->sc) : sc_ctx_new(&d->sc)) < 0 ||
	    (r = spawner_new(&d->helpers)) < 0 ||
	    (r = ev_add_signals(d->loop, sigs, 4, on_signal, d)) < 0) {
		log_error("cetakd: cannot set up the event loop: %s", strerror(-r));
		return -1;
	}
	limits_from_config(d->cfg, &limits);
	d->socket_path = strdup(d->cfg->control_socket);
	r = ctl_server_new(d->loop, d->socket_path, cetakd_verbs, d, &limits, &d->ctl);
	if (r < 0) {
		log_error("control: cannot listen on '%s': %s%s", d->socket_path, strerror(-r),
			  r == -EADDRINUSE ? " (another cetakd is running)" : "");
		return -1;
	}
	lines_adopt(d, d->cfg);
	r = ev_add_timer(d->loop, (uint64_t)d->cfg->reader_poll_ms, on_poll, d, &d->poll_timer);
	if (r < 0)
		return -1;
	if (cetakd_open_jobs(d) < 0)
		return -1;
	if (run_start(d) < 0) /* start-up recovery of the lines happens here, before READY */
		return -1;
	if (webui_start(d, &d->web) < 0)
		return -1;
	if (sd_watchdog_enabled(0, &wd_usec) > 0 &&
	    ev_add_timer(d->loop, wd_usec / 2000 ? wd_usec / 2000 : 1, on_watchdog, d,
			 &d->watchdog_timer) < 0)
		return -1;
	return 0;
}

static void
cetakd_stop(struct cetakd *d)
{
	webui_stop(d->web); /* what waits is answered; no page reads what follows */
	d->web = NULL;
	ctl_server_free(d->ctl);
	d->stopping = true;
	offload_stop(d->intake); /* a batch being read stays in new/ for the next start */
	hubpush_stop(d);	 /* a push in hand ends; the hub takes it once, whenever */
	desk_stop(d);		 /* a card being read: its request is refused, nothing changes */
	run_free(d);		 /* workers joined; prepared jobs back in the queue */
	cetakd_audit_jobs(d);	 /* the last changes into the chain before its checkpoint */
	if (d->store && d->ledger)
		state_seen(d->store, d->ledger);
	spool_close(d->spool);
	store_close(d->store);
	face_layout_free(d->layout);
	ledger_close(d->ledger); /* signs a checkpoint over the last record */
	alerts_free(d->alerts);
	spawner_free(d->helpers);
	signer_free(d->station);
	if (d->kick_fd > 0)
		close(d->kick_fd);
	if (d->lock_fd > 0)
		close(d->lock_fd); /* the state directory is free for the next cetakd */
	sc_ctx_free(d->sc);
	ev_loop_free(d->loop);
	cfg_free(d->cfg);
	free(d->clock_file);
	json_decref(d->stocktakes);
	free(d->socket_path);
	free(d->cfg_path);
}

int
cetakd_open(struct cetakd *d, const char *path)
{
	if (cfg_load(path, stderr, &d->cfg) < 0) {
		fprintf(stderr, "cetakd: configuration %s refused, not starting\n", path);
		return -1;
	}
	/* Absolute, so that a reload finds the same file whatever the cwd. */
	d->cfg_path = realpath(path, NULL);
	if (!d->cfg_path)
		d->cfg_path = strdup(path);
	d->started = d->loaded = time(NULL);
	d->started_ms = ev_now_ms();
	if (cetakd_start(d) < 0)
		return -1;
	lines_refresh(d, true);
	log_notice("cetakd %s: station '%s' (%s), %d lines, control socket %s, ready",
		   CETAK_VERSION, d->cfg->station_name, cfg_role_name(d->cfg->station_role),
		   d->n_lines, d->socket_path);
	return 0;
}

void
cetakd_begin(struct cetakd *d)
{
	/* Whatever arrived while cetakd was down is imported first. */
	cetakd_kick(d);
	cetakd_alerts(d);
	privacy_tick(d); /* personal data past its retention, removed at start-up too */
}

void
cetakd_close(struct cetakd *d)
{
	cetakd_stop(d);
}
