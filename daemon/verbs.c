/*
 * verbs.c - control-socket verbs of cetakd: one table, one handler each.
 *
 * Handlers follow the ctl_verb_fn contract (control.h). Later modules add
 * their verbs here, each with the role it needs.
 */
#define _GNU_SOURCE
#include "common/i18n.h"
#include "cetakd.h"
#include "ctlproto.h"
#include "common/log.h"
#include "run.h"
#include "verbs.h"
#include "hubpush.h"
#include "webui.h"

#include <dirent.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobs/store.h"
#include "ledger/ledger.h"
#include "ledger/report.h"
#include "ledger/stock.h"

static void
iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

/* The cetakd on disk is not the one running (a package upgrade replaced it
 * and the restart waits for the lines to be between cards). */
static bool
binary_replaced(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return false;
	exe[n] = '\0';
	return n > 10 && strcmp(exe + n - 10, " (deleted)") == 0;
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

	for (int i = 0; i < d->n_lines; i++) {
		json_t *l = line_to_json(&d->lines[i]);
		run_line_json(d, &d->lines[i], l);
		json_array_append_new(lines, l);
	}
	iso_time(d->started, started, sizeof(started));
	iso_time(d->loaded, loaded, sizeof(loaded));
	json_t *queue = json_object();
	for (int st = 0; st < JS_COUNT; st++) {
		long long n = 0;
		if (st != JS_DONE && st != JS_CANCELLED && st != JS_FAILED &&
		    store_count(d->store, JS_MASK(st), ~0u, &n) == 0)
			json_object_set_new(queue, job_state_name((enum job_state)st),
					    json_integer(n));
	}
	*ret_data = json_pack(
		"{s:s, s:i, s:s, s:I, s:s, s:s, s:i, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s}, s:o, "
		"s:o, s:s, s:s}",
		"version", CETAK_VERSION, "pid", (int)getpid(), "started", started, "uptime_s",
		(json_int_t)((ev_now_ms() - d->started_ms) / 1000), "config", d->cfg_path,
		"config_loaded", loaded, "reloads", (int)d->reloads, "station", "name",
		d->cfg->station_name, "office", d->cfg->station_office, "role",
		cfg_role_name(d->cfg->station_role), "region", d->cfg->station_region, "you",
		"user", peer->user, "role", ctl_role_name(peer->role), "lines", lines, "queue",
		queue, "spool_dir", d->cfg->spool_dir, "face_layout", d->cfg->face_layout);
	if (*ret_data) {
		json_object_set_new(*ret_data, "web", webui_status(d->web));
		json_object_set_new(*ret_data, "cards_in_flight",
				    json_integer(run_cards_in_flight(d)));
		json_object_set_new(*ret_data, "restart_pending", json_boolean(binary_replaced()));
	}
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

/* ---- jobs ---- */

/* The commands a job's history names ("hold by ani: ..."), so that a reader
 * sees them in its language (i18n_msg()). */
static const char *const history_words[] __attribute__((unused)) = {
	R_("hold"), R_("release"), R_("cancel"), R_("retry"), R_("pause"), R_("drain"),
};

const char *
doc_language(const struct cetakd *d)
{
	return d->cfg->station_document_language ? "en" : "id";
}

int
verb_refuse(char **ret_err, const char **ret_code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(ret_err, fmt, ap) < 0)
		*ret_err = NULL;
	va_end(ap);
	if (!*ret_code)
		*ret_code = CTL_E_BAD_ARGS;
	return -1;
}

const char *
verb_arg(json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

static json_t *
row_json(const struct job_row *r)
{
	return json_pack("{s:s, s:s, s:b, s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:i, s:s}",
			 "job_id", r->job_id, "kind", job_kind_name((enum job_kind)r->kind),
			 "urgent", r->urgent, "priority", r->priority, "nik", r->nik, "name",
			 r->name, "state", job_state_name(r->state), "hold_kind", r->hold_kind,
			 "reason", r->reason, "not_before", (json_int_t)r->not_before,
			 "received_at", (json_int_t)r->received_at, "updated_at",
			 (json_int_t)r->updated_at, "attempts", r->attempts, "line", r->line);
}

static int
list_cb(const struct job_row *row, void *ctx)
{
	return json_array_append_new(ctx, row_json(row));
}

/* Parse a comma list of names into a bit mask; -1 on an unknown name. */
static long
names_mask(const char *list, int (*from_name)(const char *), unsigned all)
{
	char *copy, *tok, *save;
	long mask = 0;

	if (!list || !list[0] || strcmp(list, "all") == 0)
		return all;
	copy = strdup(list);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int v = from_name(tok);
		if (v < 0) {
			mask = -1;
			break;
		}
		mask |= 1L << v;
	}
	free(copy);
	return mask;
}

static int
verb_queue(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	   const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	const char *states = verb_arg(args, "state"), *kinds = verb_arg(args, "kind");
	unsigned open =
		JS_MASK(JS_QUEUED) | JS_MASK(JS_HELD) | JS_MASK(JS_DEFERRED) | JS_MASK(JS_ACTIVE);
	long smask = states ? names_mask(states, job_state_from_name, JS_ANY) : (long)open;
	long kmask = names_mask(kinds, job_kind_from_name, 7u);
	json_int_t limit = json_integer_value(json_object_get(args, "limit"));
	long long n = 0, tomorrow = 0;
	json_t *counts = json_object(), *jobs = NULL;

	if (smask < 0)
		return verb_refuse(ret_err, ret_code,
				   R_("unknown state in '%s' (states: queued, held, "
				      "deferred, active, done, failed, cancelled, all)"),
				   states);
	if (kmask < 0)
		return verb_refuse(ret_err, ret_code,
				   R_("unknown kind in '%s' (kinds: new, replacement, "
				      "data_change, all)"),
				   kinds);
	for (int st = 0; st < JS_COUNT; st++) {
		if (!(smask & JS_MASK(st)) ||
		    store_count(d->store, JS_MASK(st), (unsigned)kmask, &n))
			continue;
		json_object_set_new(counts, job_state_name((enum job_state)st), json_integer(n));
	}
	/* jobs deferred by the daily quota wait for tomorrow */
	store_count_kind(d->store, JS_DEFERRED, DEFER_QUOTA, &tomorrow);
	if (!json_is_true(json_object_get(args, "count_only"))) {
		jobs = json_array();
		if (store_list(d->store, (unsigned)smask, (unsigned)kmask,
			       limit > 0 ? (long)limit : 50, list_cb, jobs) < 0) {
			json_decref(jobs);
			json_decref(counts);
			*ret_code = CTL_E_FAILED;
			return verb_refuse(ret_err, ret_code, R_("job store: %s"),
					   store_errmsg(d->store));
		}
	}
	*ret_data = json_pack("{s:o, s:I, s:i}", "counts", counts, "waiting_for_tomorrow",
			      (json_int_t)tomorrow, "daily_quota", d->cfg->daily_quota);
	if (jobs)
		json_object_set_new(*ret_data, "jobs", jobs);
	return 0;
}

static int
event_cb(long long at, const char *from, const char *to, const char *reason, const char *actor,
	 void *ctx)
{
	return json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s, s:s}", "at",
						    (json_int_t)at, "from", from, "to", to,
						    "reason", reason, "actor", actor));
}

/* Look up args.id; on failure fill the refusal. */
static int
find_job(struct cetakd *d, json_t *args, struct job_row *row, const char **ret_code, char **ret_err)
{
	const char *id = verb_arg(args, "id");

	if (!id)
		return verb_refuse(ret_err, ret_code, R_("a job id is needed"));
	int r = store_get(d->store, id, row);
	if (r == -ENOENT)
		return verb_refuse(ret_err, ret_code, R_("job '%.64s' does not exist"), id);
	if (r < 0) {
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, R_("job store: %s"), store_errmsg(d->store));
	}
	return 0;
}

static int
verb_job_show(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	      const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	struct job_row row;
	json_t *events;

	if (find_job(d, args, &row, ret_code, ret_err) < 0)
		return -1;
	events = json_array();
	store_events(d->store, row.id, event_cb, events);
	*ret_data = row_json(&row);
	json_object_set_new(*ret_data, "events", events);
	return 0;
}

/* Shared by hold, release, cancel, retry: one transition with its rules. */
static int
move_job(struct cetakd *d, const struct ctl_peer *peer, json_t *args, unsigned from,
	 enum job_state to, const char *hold_kind, bool need_reason, const char *verb,
	 json_t **ret_data, const char **ret_code, char **ret_err)
{
	const char *reason = verb_arg(args, "reason");
	struct job_row row, after;
	char actor[96], why[300];
	int r;

	if (find_job(d, args, &row, ret_code, ret_err) < 0)
		return -1;
	if (need_reason && (!reason || !reason[0]))
		return verb_refuse(ret_err, ret_code, R_("%s needs a reason (--reason TEXT)"),
				   verb);
	if (to == JS_QUEUED && row.state == JS_HELD &&
	    (strcmp(row.hold_kind, HOLD_PRINT_ONCE) == 0 ||
	     strcmp(row.hold_kind, HOLD_MAIN_OFFICE) == 0) &&
	    peer->role < CTL_ROLE_SUPERVISOR) {
		*ret_code = CTL_E_PERMISSION;
		return verb_refuse(ret_err, ret_code,
				   R_("job %s is held because: %s; only a supervisor "
				      "may release it"),
				   row.job_id, row.reason);
	}
	snprintf(actor, sizeof(actor), "%s (%s)", peer->user, ctl_role_name(peer->role));
	if (reason)
		snprintf(why, sizeof(why), R_("%s by %s: %s"), verb, peer->user, reason);
	else
		snprintf(why, sizeof(why), R_("%s by %s"), verb, peer->user);
	r = store_transition(d->store, row.job_id, from, to, hold_kind, why, 0, actor,
			     (long long)time(NULL), &after);
	if (r == -EPERM)
		return verb_refuse(ret_err, ret_code,
				   R_("job %s is %s; %s applies only to %s jobs"), row.job_id,
				   job_state_name(row.state), verb,
				   to == JS_QUEUED && from == JS_MASK(JS_FAILED) ? R_("failed")
				   : to == JS_QUEUED				 ? R_("held")
						     : R_("queued, held or deferred"));
	if (r < 0) {
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, R_("job store: %s"), store_errmsg(d->store));
	}
	struct log_field f[] = { { "JOB_ID", row.job_id } };
	log_emit(LOG_NOTICE, f, 1, "job %s: %s by %s, now %s", row.job_id, verb, peer->user,
		 job_state_name(to));
	*ret_data = row_json(&after);
	return 0;
}

static int
verb_hold(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	  const char **ret_code, char **ret_err)
{
	return move_job(ctx, peer, args, JS_MASK(JS_QUEUED) | JS_MASK(JS_DEFERRED), JS_HELD,
			HOLD_OPERATOR, true, "hold", ret_data, ret_code, ret_err);
}

static int
verb_release(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	     const char **ret_code, char **ret_err)
{
	return move_job(ctx, peer, args, JS_MASK(JS_HELD), JS_QUEUED, NULL, false, "release",
			ret_data, ret_code, ret_err);
}

static int
verb_cancel(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	    const char **ret_code, char **ret_err)
{
	return move_job(ctx, peer, args,
			JS_MASK(JS_QUEUED) | JS_MASK(JS_HELD) | JS_MASK(JS_DEFERRED) |
				JS_MASK(JS_FAILED),
			JS_CANCELLED, NULL, true, "cancel", ret_data, ret_code, ret_err);
}

static int
verb_retry(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	   const char **ret_code, char **ret_err)
{
	return move_job(ctx, peer, args, JS_MASK(JS_FAILED), JS_QUEUED, NULL, false, "retry",
			ret_data, ret_code, ret_err);
}

static int
verb_priority(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	      const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	json_t *p = json_object_get(args, "priority");
	struct job_row row;
	char actor[96];

	if (find_job(d, args, &row, ret_code, ret_err) < 0)
		return -1;
	if (!json_is_integer(p) || json_integer_value(p) < -9 || json_integer_value(p) > 9)
		return verb_refuse(ret_err, ret_code,
				   R_("priority must be an integer from -9 to 9"));
	snprintf(actor, sizeof(actor), "%s (%s)", peer->user, ctl_role_name(peer->role));
	if (store_set_priority(d->store, row.job_id, (int)json_integer_value(p), actor,
			       (long long)time(NULL)) < 0) {
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, R_("job store: %s"), store_errmsg(d->store));
	}
	store_get(d->store, row.job_id, &row);
	*ret_data = row_json(&row);
	return 0;
}

/* ---- stock ---- */

static json_int_t
arg_int(json_t *args, const char *key)
{
	return json_integer_value(json_object_get(args, key));
}

/* Record one stock event for peer; its balance as the answer. */
static int
stock_event(struct cetakd *d, const struct ctl_peer *peer, struct ledger_event *e,
	    json_t **ret_data, const char **ret_code, char **ret_err)
{
	char why[300], actor[96];
	long long seq;
	struct ledger_balance b;

	if (e->count < 0 || e->count > STOCK_MAX_COUNT)
		return verb_refuse(ret_err, ret_code,
				   R_("%s: count %ld is out of range (0 to %ld)"), e->kind,
				   e->count, STOCK_MAX_COUNT);
	snprintf(actor, sizeof(actor), "%s (%s)", peer->user, ctl_role_name(peer->role));
	e->actor = actor;
	if (ledger_record(d->ledger, e, (long long)time(NULL), &seq, why, sizeof(why)) < 0)
		return verb_refuse(ret_err, ret_code, R_("%s refused: %s"), e->kind, why);
	struct log_field f[] = { { "STOCK_EVENT", e->kind } };
	log_emit(LOG_NOTICE, f, 1, "stock: %s of %ld%s%s by %s recorded (audit record %lld)",
		 e->kind, e->count, e->line ? " on line " : "", e->line ? e->line : "", peer->user,
		 seq);
	ledger_balance(d->ledger, &b);
	*ret_data =
		json_pack("{s:I, s:o}", "seq", (json_int_t)seq, "balance", stock_balance_json(&b));
	cetakd_alerts(d);
	return 0;
}

static json_t *
outlook_json(struct cetakd *d, int days_ahead)
{
	struct alerts_config ac;
	struct stock_outlook o;
	long long now = (long long)time(NULL);

	cetakd_alerts_config(d, &ac);
	stock_outlook(&ac, d->ledger, now, &o);
	json_t *j = json_pack("{s:I, s:f, s:f, s:I, s:i, s:i}", "on_hand", (json_int_t)o.on_hand,
			      "per_day", o.per_day, "days_of_cover", o.days_of_cover, "runout_at",
			      (json_int_t)o.runout_at, "lead_time_days", ac.lead_days,
			      "window_days", ac.window_days);
	if (days_ahead > 0) {
		json_object_set_new(j, "days_ahead", json_integer(days_ahead));
		json_object_set_new(j, "request",
				    json_integer(stock_forecast(&ac, &o, days_ahead)));
	}
	return j;
}

static int
verb_stock(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	   const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	struct ledger_balance b;

	ledger_balance(d->ledger, &b);
	*ret_data = json_pack("{s:o, s:i, s:o}", "balance", stock_balance_json(&b), "reserve",
			      d->cfg->stock_reserve, "outlook", outlook_json(d, 0));
	return 0;
}

/* Cards used per day over the last N days (default 30), for the stock chart. */
static int
verb_stock_days(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	json_int_t days = arg_int(args, "days");
	json_t *rep = NULL;
	time_t now = time(NULL);
	struct tm tm;

	(void)peer;
	if (days == 0)
		days = 30;
	if (days < 1 || days > 400)
		return verb_refuse(ret_err, ret_code, R_("days must be 1 to 400"));
	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday += 1;
	tm.tm_isdst = -1;
	long long to = (long long)mktime(&tm);
	tm.tm_mday -= (int)days;
	tm.tm_isdst = -1;
	struct report_query q = { .from = (long long)mktime(&tm), .to = to, .title = "range" };
	if (ledger_report(d->ledger, &q, &rep) < 0) {
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, R_("the ledger could not be read"));
	}
	*ret_data = json_pack("{s:O, s:o}", "days", json_object_get(rep, "days"), "outlook",
			      outlook_json(d, 0));
	json_decref(rep);
	return 0;
}

static int
by_newest(const void *a, const void *b)
{
	return (int)(json_integer_value(json_object_get(*(json_t *const *)b, "at")) -
		     json_integer_value(json_object_get(*(json_t *const *)a, "at")));
}

/* The job files the spool refused (rejected/), newest first, with their reasons. */
static int
verb_spool_rejected(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		    const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	char dir[4200], path[4500];
	json_t *files[200];
	size_t n = 0, total = 0;
	struct dirent *e;
	DIR *dp;

	(void)peer, (void)args;
	snprintf(dir, sizeof(dir), "%s/rejected", d->cfg->spool_dir);
	if (!(dp = opendir(dir))) {
		*ret_data = json_pack("{s:[], s:i}", "files", "total", 0);
		return 0;
	}
	while ((e = readdir(dp))) {
		struct stat st;
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || (len > 7 && !strcmp(e->d_name + len - 7, ".reason")))
			continue;
		total++;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) < 0)
			continue;
		/* the "reason: " line of the note spool.c wrote beside it */
		char line[400], reason[400] = "";
		snprintf(path, sizeof(path), "%s/%s.reason", dir, e->d_name);
		FILE *f = fopen(path, "re");
		if (f) {
			while (fgets(line, sizeof(line), f))
				if (!strncmp(line, "reason: ", 8)) {
					line[strcspn(line, "\n")] = '\0';
					snprintf(reason, sizeof(reason), "%s", line + 8);
					break;
				}
			fclose(f);
		}
		json_t *j = json_pack("{s:s, s:I, s:s}", "file", e->d_name, "at",
				      (json_int_t)st.st_mtime, "reason", reason);
		if (n < sizeof(files) / sizeof(files[0])) {
			files[n++] = j;
		} else { /* keep the newest */
			qsort(files, n, sizeof(files[0]), by_newest);
			if (st.st_mtime > json_integer_value(json_object_get(files[n - 1], "at"))) {
				json_decref(files[n - 1]);
				files[n - 1] = j;
			} else {
				json_decref(j);
			}
		}
	}
	closedir(dp);
	qsort(files, n, sizeof(files[0]), by_newest);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, files[i]);
	*ret_data = json_pack("{s:o, s:I}", "files", arr, "total", (json_int_t)total);
	(void)ret_code, (void)ret_err;
	return 0;
}

static int
verb_stock_forecast(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		    const char **ret_code, char **ret_err)
{
	json_int_t days = arg_int(args, "days");

	if (days < 1 || days > 365)
		return verb_refuse(ret_err, ret_code, R_("forecast for 1-365 days (--days N)"));
	*ret_data = json_pack("{s:o}", "outlook", outlook_json(ctx, (int)days));
	return 0;
}

static int
verb_alerts(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	    const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;

	*ret_data = json_pack("{s:o}", "alerts", alerts_json(d->alerts));
	return 0;
}

static bool
line_configured(const struct cetakd *d, const char *line)
{
	for (int i = 0; line && i < d->cfg->n_lines; i++)
		if (strcmp(d->cfg->lines[i].name, line) == 0)
			return true;
	return false;
}

static int
verb_stock_receive(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		   const char **ret_code, char **ret_err)
{
	struct ledger_event e = { .kind = "receive",
				  .lot = verb_arg(args, "lot"),
				  .count = (long)arg_int(args, "count"),
				  .doc = verb_arg(args, "doc"),
				  .note = verb_arg(args, "note"),
				  .peer = verb_arg(args, "from") };
	if (e.peer && e.peer[0] && (!e.doc || !e.doc[0]))
		return verb_refuse(
			ret_err, ret_code,
			R_("blanks from station %.64s need its transfer document (--doc), "
			   "so that the district hub can match both ends"),
			e.peer);
	return stock_event(ctx, peer, &e, ret_data, ret_code, ret_err);
}

static int
verb_stock_load(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	const char *line = verb_arg(args, "line");

	if (!line_configured(d, line))
		return verb_refuse(ret_err, ret_code, R_("no line '%.16s' is configured"),
				   line ? line : "");
	struct ledger_event e = { .kind = "load",
				  .line = line,
				  .count = (long)arg_int(args, "count") };
	return stock_event(ctx, peer, &e, ret_data, ret_code, ret_err);
}

static int
verb_stock_ribbon_receive(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
			  const char **ret_code, char **ret_err)
{
	struct ledger_event e = { .kind = "ribbon-receive",
				  .count = (long)arg_int(args, "count"),
				  .doc = verb_arg(args, "doc"),
				  .note = verb_arg(args, "note") };
	return stock_event(ctx, peer, &e, ret_data, ret_code, ret_err);
}

/* A ribbon into a line; the one taken out is recorded with its count (its yield). */
static int
verb_stock_ribbon_load(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		       const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	const char *line = verb_arg(args, "line");
	struct ledger_balance b;

	if (!line_configured(d, line))
		return verb_refuse(ret_err, ret_code, R_("no line '%.16s' is configured"),
				   line ? line : "");
	struct ledger_event e = { .kind = "ribbon-load",
				  .line = line,
				  .ribbon = verb_arg(args, "ribbon"),
				  .count = (long)arg_int(args, "count"),
				  .note = verb_arg(args, "note") };
	const struct ledger_line *bl;
	if (ledger_balance(d->ledger, &b) == 0 && (bl = ledger_line_of(&b, line)) &&
	    bl->ribbon[0]) {
		e.prev = bl->ribbon;
		e.prev_rated = bl->ribbon_rated;
		e.prev_prints = bl->ribbon_prints;
	}
	return stock_event(ctx, peer, &e, ret_data, ret_code, ret_err);
}

static int
verb_stock_counter_ack(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		       const char **ret_code, char **ret_err)
{
	struct ledger_event e = { .kind = "counter-ack",
				  .line = verb_arg(args, "line"),
				  .note = verb_arg(args, "note") };
	return stock_event(ctx, peer, &e, ret_data, ret_code, ret_err);
}

static int
verb_stock_count(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		 const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	struct ledger_event e = { .kind = "stocktake",
				  .count = (long)arg_int(args, "count"),
				  .note = verb_arg(args, "reason") };
	struct ledger_balance b;

	ledger_balance(d->ledger, &b);
	long diff = e.count > b.store ? e.count - b.store : b.store - e.count;
	if (diff > d->cfg->stocktake_operator_max && peer->role < CTL_ROLE_SUPERVISOR)
		return verb_refuse(ret_err, ret_code,
				   R_("the count %ld differs from the books (%ld) by %ld, "
				      "more than an operator may record (%d): a "
				      "supervisor must record this stocktake"),
				   e.count, b.store, diff, d->cfg->stocktake_operator_max);
	return stock_event(ctx, peer, &e, ret_data, ret_code, ret_err);
}

static int
verb_stock_transfer(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		    const char **ret_code, char **ret_err)
{
	struct ledger_event e = { .kind = "transfer",
				  .count = (long)arg_int(args, "count"),
				  .doc = verb_arg(args, "doc"),
				  .note = verb_arg(args, "note"),
				  .peer = verb_arg(args, "to") };
	return stock_event(ctx, peer, &e, ret_data, ret_code, ret_err);
}

static int
verb_stock_destroy(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		   const char **ret_code, char **ret_err)
{
	struct ledger_event e = { .kind = "destroy",
				  .count = (long)arg_int(args, "count"),
				  .doc = verb_arg(args, "doc"),
				  .note = verb_arg(args, "witnesses") };
	return stock_event(ctx, peer, &e, ret_data, ret_code, ret_err);
}

static int
verb_report(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	    const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	const char *title = verb_arg(args, "report"), *line = verb_arg(args, "line");
	struct report_query q = { .from = arg_int(args, "from"),
				  .to = arg_int(args, "to"),
				  .line = line && line[0] ? line : NULL,
				  .title = title && title[0] ? title : "range" };
	int r;

	if (q.to <= q.from || q.to - q.from > 400LL * 86400)
		return verb_refuse(ret_err, ret_code,
				   R_("a report covers from < to, at most 400 days"));
	if ((r = ledger_report(d->ledger, &q, ret_data)) < 0) {
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code,
				   R_("the report could not be read from the ledger"));
	}
	json_object_set_new(*ret_data, "station", json_string(d->cfg->station_name));
	json_object_set_new(*ret_data, "office",
			    json_string(d->cfg->station_office[0] ? d->cfg->station_office
								  : d->cfg->station_name));
	json_object_set_new(*ret_data, "language", json_string(doc_language(d)));
	return 0;
}

static int
verb_stock_check(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		 const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	char why[300];

	if (ledger_check(d->ledger, why, sizeof(why)) < 0) {
		*ret_code = CTL_E_FAILED;
		log_error("stock: the ledger check failed: %s", why);
		return verb_refuse(ret_err, ret_code, R_("the ledger does not check out: %s"), why);
	}
	*ret_data = json_pack("{s:s}", "result",
			      "every record matches its hash; the replayed "
			      "balance equals the books; the invariant holds");
	return 0;
}

static int
verb_audit_export(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		  const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!d->station)
		return verb_refuse(ret_err, ret_code,
				   R_("no station key is configured (ledger.station_key): "
				      "an unsigned audit cannot be exported"));
	/* every change the job store holds is in the export, not only those
	 * the chain's tick has taken so far */
	if (!d->importing)
		cetakd_audit_jobs(d);
	json_int_t from = 1, max = 0;
	if (json_unpack(args ? args : json_null(), "{s?I, s?I}", "from", &from, "max", &max) < 0 ||
	    from < 1 || max < 0)
		return verb_refuse(ret_err, ret_code,
				   R_("from must be a record number from 1 on and max 0 or more"));
	if (!(f = open_memstream(&buf, &len)))
		return -1;
	int r = ledger_export_range(d->ledger, d->cfg->station_name, (long long)time(NULL),
				    (long long)from, (long)max, f);
	fclose(f);
	if (r < 0) {
		free(buf);
		*ret_code = CTL_E_FAILED;
		return verb_refuse(ret_err, ret_code, R_("the export failed"));
	}
	log_notice("audit: exported for %s (%zu bytes)", peer->user, len);
	*ret_data = json_pack("{s:s%}", "_payload", buf, len);
	free(buf);
	return 0;
}

static int
verb_lines(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	   const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	json_t *lines = json_array();
	char summary[512];

	for (int i = 0; i < d->n_lines; i++) {
		json_t *l = line_to_json(&d->lines[i]);
		run_line_json(d, &d->lines[i], l);
		json_array_append_new(lines, l);
	}
	run_summary(d, summary, sizeof(summary));
	*ret_data = json_pack("{s:o, s:s}", "lines", lines, "summary", summary);
	return 0;
}

static int
verb_line(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	  const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	const char *name = verb_arg(args, "line"), *cmd = verb_arg(args, "command");
	char actor[96];

	if (!name || !cmd)
		return verb_refuse(ret_err, ret_code,
				   R_("line needs \"line\" and \"command\" "
				      "(pause, resume, drain)"));
	snprintf(actor, sizeof(actor), "%s (%s)", peer->user, ctl_role_name(peer->role));
	if (run_line_command(d, name, cmd, actor, ret_err) < 0) {
		*ret_code = CTL_E_FAILED;
		return -1;
	}
	*ret_data = json_pack("{s:s, s:s}", "line", name, "command", cmd);
	return 0;
}

static int
verb_resolve(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	     const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;
	const char *job = verb_arg(args, "job"), *verdict = verb_arg(args, "outcome");
	char actor[96];

	if (!job || !verdict)
		return verb_refuse(ret_err, ret_code,
				   R_("resolve needs \"job\" and \"outcome\" "
				      "(printed or spoiled)"));
	snprintf(actor, sizeof(actor), "%s (%s)", peer->user, ctl_role_name(peer->role));
	if (run_resolve(d, job, verdict, verb_arg(args, "cause"), actor, ret_data, ret_err) < 0) {
		*ret_code = CTL_E_FAILED;
		return -1;
	}
	return 0;
}

static int
verb_hub(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	 const char **ret_code, char **ret_err)
{
	(void)peer, (void)args, (void)ret_code, (void)ret_err;
	*ret_data = hubpush_status(ctx);
	return 0;
}

static int
verb_hub_push(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	      const char **ret_code, char **ret_err)
{
	struct cetakd *d = ctx;

	(void)args;
	if (!d->hub)
		return verb_refuse(ret_err, ret_code,
				   R_("no district hub is configured (hub.conninfo), or no station "
				      "key signs the chain (ledger.station_key)"));
	hubpush_kick(d);
	log_info("hub: a push asked for by %s", peer->user);
	*ret_data = hubpush_status(d);
	return 0;
}

const struct ctl_verb cetakd_verbs[] = {
	{ "lines", CTL_ROLE_OPERATOR, verb_lines, "print lines: state, job, step, counts" },
	{ "line", CTL_ROLE_OPERATOR, verb_line, "pause, resume or drain a line" },
	{ "resolve", CTL_ROLE_SUPERVISOR, verb_resolve, "settle a card of unknown outcome" },
	{ "status", CTL_ROLE_OPERATOR, verb_status, "daemon, station and line status" },
	{ "reload", CTL_ROLE_SUPERVISOR, verb_reload, "reload the configuration" },
	{ "queue", CTL_ROLE_OPERATOR, verb_queue, "jobs by state and kind" },
	{ "job-show", CTL_ROLE_OPERATOR, verb_job_show, "one job and its history" },
	{ "hold", CTL_ROLE_OPERATOR, verb_hold, "hold a queued or deferred job" },
	{ "release", CTL_ROLE_OPERATOR, verb_release, "release a held job" },
	{ "cancel", CTL_ROLE_OPERATOR, verb_cancel, "cancel a job that is not printing" },
	{ "retry", CTL_ROLE_OPERATOR, verb_retry, "queue a failed job again" },
	{ "priority", CTL_ROLE_SUPERVISOR, verb_priority, "change a job's priority" },
	{ "stock", CTL_ROLE_OPERATOR, verb_stock, "the blank-card balance" },
	{ "stock-forecast", CTL_ROLE_OPERATOR, verb_stock_forecast, "blanks to request" },
	{ "alerts", CTL_ROLE_OPERATOR, verb_alerts, "active alerts" },
	{ "stock-days", CTL_ROLE_OPERATOR, verb_stock_days, "cards used per day, for the chart" },
	{ "spool-rejected", CTL_ROLE_OPERATOR, verb_spool_rejected,
	  "job files the spool refused, with reasons" },
	{ "stock-receive", CTL_ROLE_OPERATOR, verb_stock_receive, "a lot of blanks arrived" },
	{ "stock-load", CTL_ROLE_OPERATOR, verb_stock_load, "blanks into a line's hopper" },
	{ "stock-count", CTL_ROLE_OPERATOR, verb_stock_count, "a stocktake of the store" },
	{ "stock-ribbon-receive", CTL_ROLE_OPERATOR, verb_stock_ribbon_receive, "ribbons arrived" },
	{ "stock-ribbon-load", CTL_ROLE_OPERATOR, verb_stock_ribbon_load, "a ribbon into a line" },
	{ "stock-counter-ack", CTL_ROLE_SUPERVISOR, verb_stock_counter_ack,
	  "explain cards the printer counted outside cetakd" },
	{ "stock-transfer", CTL_ROLE_SUPERVISOR, verb_stock_transfer, "blanks sent elsewhere" },
	{ "stock-destroy", CTL_ROLE_SUPERVISOR, verb_stock_destroy, "spoiled cards destroyed" },
	{ "report", CTL_ROLE_SUPERVISOR, verb_report, "stock report over a period" },
	{ "stock-check", CTL_ROLE_SUPERVISOR, verb_stock_check, "replay and check the ledger" },
	{ "audit-export", CTL_ROLE_SUPERVISOR, verb_audit_export, "the signed audit export" },
	{ "card-show", CTL_ROLE_OPERATOR, verb_card_show,
	  "an issued card: where it is, its history" },
	{ "card-list", CTL_ROLE_OPERATOR, verb_card_list,
	  "issued cards by custody state and place" },
	{ "card-do", CTL_ROLE_OPERATOR, verb_card_do,
	  "store, transfer, withdraw, destroy or correct the custody of a card" },
	{ "card-desk", CTL_ROLE_OPERATOR, verb_card_desk,
	  "the card on the desk reader: whose it is, store it, hand it over" },
	{ "custody", CTL_ROLE_OPERATOR, verb_custody,
	  "cards in custody and the custody invariant" },
	{ "card-transfer", CTL_ROLE_SUPERVISOR, verb_card_transfer,
	  "the cards of a kecamatan due for transfer, in one batch with its berita acara" },
	{ "card-batch", CTL_ROLE_OPERATOR, verb_card_batch,
	  "transfer batches, or the cards of one (its berita acara again)" },
	{ "privacy", CTL_ROLE_OPERATOR, verb_privacy,
	  "what personal data the job store holds, and until when" },
	{ "privacy-purge", CTL_ROLE_SUPERVISOR, verb_privacy_purge,
	  "remove personal data past its retention now (it also runs every hour)" },
	{ "card-stocktake", CTL_ROLE_OPERATOR, verb_card_stocktake,
	  "start or end the stocktake of a place (cards read with card-desk stocktake)" },
	{ "notice-run", CTL_ROLE_OPERATOR, verb_notice_run,
	  "an SMS notice round now: results read back, due notices to gammu-smsd" },
	{ "hub", CTL_ROLE_OPERATOR, verb_hub,
	  "the district hub: what it holds of this station's chain, what waits" },
	{ "hub-push", CTL_ROLE_OPERATOR, verb_hub_push, "push the chain to the district hub now" },
	{ NULL, CTL_ROLE_NONE, NULL, NULL },
};
