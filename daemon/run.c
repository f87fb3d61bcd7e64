/*
 * run.c - the print line engine (run.h, docs/print-line.md).
 *
 * Ordering, so that a crash anywhere leaves a state recovery can settle:
 *   intent (cycle step, job store, fsync'd)  ->  physical step (worker)
 *   -> outcome: ledger event first (fsync'd), then the cycle/job change.
 * Recovery reads the open cycle of each line and the ledger's card in
 * flight on it; between the two it can tell which half of an outcome was
 * written (see recover_line()).
 */
#define _GNU_SOURCE
#include "common/i18n.h"
#include "run.h"
#include "cetakd.h"
#include "common/log.h"
#include "rules.h"
#include "worker.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "jobs/job.h"
#include "jobs/store.h"
#include "ledger/ledger.h"
#include "offload.h"
#include "printer/face.h"
#include "smartcard/lds.h"
#include "smartcard/profile.h"
#include "smartcard/sod.h"

#define ACTOR "cetakd"
#define HOLD_ATTEMPTS "attempts"
#define HOLD_UNKNOWN "unknown"
#define HOLD_PREPARE "prepare"

/* A job ready for its card: everything built before a blank is touched. */
struct prepared {
	bool ok;
	struct job_row row;
	struct job *job;
	struct lds_image img;
	char *pdf;
	size_t pdf_len;
	struct face_panels panels;
	struct pb_face face;
};

/*
 * A line's state, as a person sees it and acts on it (docs/print-line.md,
 * "Line states"). Whether a card is in its cycle ("printing") and whether
 * the line is not ready (no reader, no keys) are facts beside it.
 */
enum line_mode {
	MODE_RUNNING,	 /* takes jobs */
	MODE_DRAINING,	 /* finishes the job in hand, then pauses */
	MODE_PAUSED,	 /* an operator paused it */
	MODE_STOPPED,	 /* the printer, reader or books need a person */
	MODE_UNRESOLVED, /* a card of unknown outcome waits for `cetakctl resolve` */
	MODE_COUNT
};

static const char *const mode_names[MODE_COUNT] = { "running", "draining", "paused", "stopped",
						    "unresolved" };

/* The transitions there are; anything else is refused. A stopped line may
 * be stopped again with a new reason. */
static const bool mode_edge[MODE_COUNT][MODE_COUNT] = {
	[MODE_RUNNING] = { [MODE_DRAINING] = 1,
			   [MODE_PAUSED] = 1,
			   [MODE_STOPPED] = 1,
			   [MODE_UNRESOLVED] = 1 },
	[MODE_DRAINING] = { [MODE_RUNNING] = 1,
			    [MODE_PAUSED] = 1,
			    [MODE_STOPPED] = 1,
			    [MODE_UNRESOLVED] = 1 },
	[MODE_PAUSED] = { [MODE_RUNNING] = 1, [MODE_STOPPED] = 1, [MODE_UNRESOLVED] = 1 },
	[MODE_STOPPED] = { [MODE_RUNNING] = 1, [MODE_STOPPED] = 1, [MODE_UNRESOLVED] = 1 },
	[MODE_UNRESOLVED] = { [MODE_RUNNING] = 1 },
};

struct line_run {
	char name[17];
	struct cetakd *d;
	struct worker *w;
	struct ev_source *src;
	const struct pb_ops *pb; /* the line's printer backend, by name */
	bool clears; /* it can divert a card to a reject box: clear its path after a crash */
	bool desk;
	const struct card_profile *prof; /* &run.prof or &run.lprof[i] */
	struct prepared cur, next;
	struct offload *prep;	       /* the line's preparation thread */
	char prep_job[JOB_ID_MAX + 1]; /* the job being prepared there; "" none */
	/* the open cycle */
	long long cycle;
	enum cycle_step step;
	bool op_out;	      /* an operation is with the worker */
	uint64_t op_deadline; /* when it counts as hung (ev_now_ms) */
	bool abandoned;	      /* it passed its deadline: its late result is discarded */
	bool printed;	      /* this cycle's card went to the print head */
	bool want_status;     /* read the printer's state and counter before the next card */
	char chip[33];
	int cause;	    /* for the reject step */
	enum rule_job fate; /* of the job once the reject is done */
	char fate_why[256];
	bool stop_after; /* the line stops once the reject is done */
	/* an outcome the printer confirmed that the ledger could not record yet
	 * (disk full): kept and retried every retry_interval, never downgraded */
	enum { OWED_NONE, OWED_ISSUE, OWED_SPOIL } owed;
	bool owed_moved;
	char owed_msg[200];
	bool recovering; /* the reject is start-up recovery clearing the printer */
	/* the line's state machine (line_to); waiting is a transient condition
	 * beside it (the same step again after retry_interval, or no blank) */
	enum line_mode mode;
	bool waiting;
	char reason[300];
	uint64_t wait_until;
	int bad_blanks;
	int ribbon_left;
	unsigned printer_reasons;
	long cards_today;
	char day[16];
	uint64_t last_status_ms;
	/* measurements for the benchmark (docs/performance.md): time the
	 * printer spent on physical steps, and the span from the first step
	 * started to the last one finished */
	double print_ms, cycle_start_ms, busy_ms;
	double host_ms, last_end_ms; /* from a step's end to the next step's start */
	uint64_t first_ms, last_ms;
	long ops;
};

struct run {
	struct card_profile prof;		  /* card.profile */
	struct card_profile lprof[CFG_MAX_LINES]; /* a line's own (its profile setting) */
	struct card_profile cprof;		  /* the custody desk's (custody.profile) */
	struct sc_sam custody_sam;
	X509_STORE *csca;
	struct signer *signer;
	struct line_run lines[CFG_MAX_LINES];
	int n;
	struct ev_source *tick;
	bool shutting_down;
	bool closing; /* run_free: preparations finishing now go back to the queue */
	bool alerts_due;
	char status[512]; /* the last STATUS sent */
	uint64_t shutdown_deadline;
	char not_ready[256]; /* why no line can personalise; "" when they can */
};

static int fail(char **ret_err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static struct run *
run_of(struct cetakd *d)
{
	return d->run;
}

static long long
now_s(void)
{
	return (long long)time(NULL);
}

static struct line_run *
find_run(struct run *r, const char *name)
{
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->lines[i].name, name) == 0)
			return &r->lines[i];
	return NULL;
}

static struct line *
find_line(struct cetakd *d, const char *name)
{
	for (int i = 0; i < d->n_lines; i++)
		if (strcmp(d->lines[i].cfg->name, name) == 0)
			return &d->lines[i];
	return NULL;
}

static void
prepared_free(struct prepared *p)
{
	if (!p->ok)
		return;
	job_free(p->job);
	lds_image_free(&p->img);
	free(p->pdf);
	free(p->panels.data);
	memset(p, 0, sizeof(*p));
}

static void lr_log(struct line_run *lr, int prio, const char *job, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
lr_log(struct line_run *lr, int prio, const char *job, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	struct log_field f[] = { { "LINE", lr->name }, { "JOB_ID", job ? job : "" } };

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_emit(prio, f, job ? 2 : 1, "line '%s': %s", lr->name, msg);
}

/* ---- durable writes ---- */

static int
ledger_event(struct cetakd *d, struct line_run *lr, const char *kind, const char *job,
	     const char *nik, const char *chip, const char *cause, const char *note, long count)
{
	struct ledger_event e = { .kind = kind,
				  .line = lr->name,
				  .job = job,
				  .nik = nik,
				  .chip = chip && chip[0] ? chip : NULL,
				  .cause = cause,
				  .actor = ACTOR,
				  .note = note,
				  .count = count };
	char why[300];
	long long seq;

	if (ledger_record(d->ledger, &e, now_s(), &seq, why, sizeof(why)) < 0) {
		lr_log(lr, LOG_ERR, job, "ledger refused %s: %s", kind, why);
		return -EINVAL;
	}
	return 0;
}

/* Move the job from a state in `from` to `to` (queued, held, done) with a reason. */
static int
job_move_from(struct cetakd *d, const char *job_id, unsigned from, enum job_state to,
	      const char *hold, const char *reason, const char *actor)
{
	struct job_row row;
	int r = store_transition(d->store, job_id, from, to, hold, reason, 0, actor, now_s(), &row);

	if (r < 0 && r != -EPERM)
		log_error("jobs: %s: cannot move to %s: %s", job_id, job_state_name(to),
			  store_errmsg(d->store));
	return r;
}

/* The engine moves its own jobs: from active, as cetakd. */
static int
job_move(struct cetakd *d, const char *job_id, enum job_state to, const char *hold,
	 const char *reason)
{
	return job_move_from(d, job_id, JS_MASK(JS_ACTIVE), to, hold, reason, ACTOR);
}

/* Close the cycle and move its job (when job_id), in one transaction. */
static int
cycle_close_move(struct cetakd *d, long long cycle, const char *outcome, const char *note,
		 const char *job_id, unsigned from, enum job_state to, const char *hold,
		 const char *reason, const char *actor)
{
	int r = store_begin(d->store);

	if (r == 0)
		r = store_cycle_close(d->store, cycle, outcome, note, now_s());
	if (r == 0 && job_id)
		r = job_move_from(d, job_id, from, to, hold, reason, actor);
	if (r == 0 || r == -EPERM)
		r = store_commit(d->store);
	else
		store_rollback(d->store);
	if (r < 0)
		log_error("jobs: cannot close card cycle %lld: %s", cycle, store_errmsg(d->store));
	return r;
}

static int
cycle_finish(struct cetakd *d, long long cycle, const char *outcome, const char *note,
	     const char *job_id, enum job_state to, const char *hold, const char *reason)
{
	return cycle_close_move(d, cycle, outcome, note, job_id, JS_MASK(JS_ACTIVE), to, hold,
				reason, ACTOR);
}

/* ---- line state ---- */

static void status_update(struct cetakd *d);

/*
 * The one way a line changes state: the transition must be in mode_edge; it
 * is logged once with its reason and shown in STATUS= at once. -EPERM (and
 * nothing changes) when the table does not have it.
 */
static int line_to(struct line_run *lr, enum line_mode to, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
line_to(struct line_run *lr, enum line_mode to, const char *fmt, ...)
{
	char reason[sizeof(lr->reason)] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(reason, sizeof(reason), fmt, ap);
		va_end(ap);
	}
	if (lr->mode == to && to != MODE_STOPPED)
		return 0;
	if (!mode_edge[lr->mode][to]) {
		lr_log(lr, LOG_ERR, NULL, "%s -> %s refused (%s)", mode_names[lr->mode],
		       mode_names[to], reason);
		return -EPERM;
	}
	enum line_mode from = lr->mode;
	lr->mode = to;
	memcpy(lr->reason, reason, sizeof(reason));
	if (to == MODE_STOPPED)
		lr->waiting = false;
	struct log_field f[] = { { "LINE", lr->name }, { "LINE_STATE", mode_names[to] } };
	if (to == MODE_STOPPED)
		log_emit(LOG_WARNING, f, 2,
			 "line '%s': stopped: %s; fix it, then: cetakctl line "
			 "resume %s",
			 lr->name, reason, lr->name);
	else
		log_emit(to == MODE_UNRESOLVED ? LOG_WARNING : LOG_NOTICE, f, 2,
			 "line '%s': %s -> %s%s%s", lr->name, mode_names[from], mode_names[to],
			 reason[0] ? ": " : "", reason);
	if (lr->d)
		status_update(lr->d);
	return 0;
}

#define line_stop(lr, ...) line_to((lr), MODE_STOPPED, __VA_ARGS__)

/* Give a prepared job back to the queue (it keeps its place: arrival order). */
static void
give_back(struct cetakd *d, struct prepared *p, const char *why)
{
	if (!p->ok)
		return;
	job_move(d, p->row.job_id, JS_QUEUED, NULL, why);
	prepared_free(p);
}

static void
give_back_all(struct cetakd *d, struct line_run *lr, const char *why)
{
	give_back(d, &lr->next, why);
	if (!lr->cycle)
		give_back(d, &lr->cur, why);
}

/* ---- preparing a job ---- */

static int
read_all(const char *path, char **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return -errno;
	do {
		if (n == cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);
			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	*ret = buf;
	*ret_len = n;
	return 0;
}

/*
 * A job's preparation: everything its card needs before a blank is taken
 * (the job parsed again, the chip data built and signed, the face rendered).
 * It takes from milliseconds to (bounded) seconds, so it runs on the line's
 * preparation thread (offload.h), never on the event loop: the loop reads
 * the job from the store, the thread builds, the loop takes the result. The
 * thread holds its own references to the signer and the face layout, which a
 * reload may replace meanwhile; it touches no database.
 */
struct prep_task {
	struct cetakd *d;
	struct line_run *lr;
	struct prepared *slot; /* &lr->cur or &lr->next */
	/* inputs, owned */
	struct job_row row;
	char *body;
	size_t len;
	const struct card_profile *prof;
	struct signer *signer;
	struct face_layout *layout;
	bool panels; /* the backend takes raw panels, not a PDF */
	long long now;
	char path[4096];
	/* the result */
	struct prepared p;
	enum { PREP_OK, PREP_INVALID, PREP_SIGNER, PREP_FACE, PREP_DROPPED } res;
	char why[600];
};

/* On the preparation thread. */
static void
prep_work(void *arg)
{
	struct prep_task *t = arg;
	struct prepared *p = &t->p;
	struct job_policy pol = { .region = NULL, .now = t->now };
	struct lds_params par = { "" };
	char why[512];
	int rc;

	p->row = t->row;
	rc = job_parse(t->body, t->len, &pol, &p->job, why, sizeof(why));
	if (rc < 0) {
		t->res = PREP_INVALID;
		snprintf(t->why, sizeof(t->why), R_("no longer valid: %s"), why);
		return;
	}
	p->ok = true;
	if (lds_build(t->prof, p->job, &par, t->signer, &p->img, why, sizeof(why)) < 0) {
		t->res = PREP_SIGNER;
		snprintf(t->why, sizeof(t->why), "%s", why);
		return;
	}
	if (t->panels) {
		rc = face_render_panels(t->layout, p->job, &p->panels, why, sizeof(why));
	} else {
		rc = face_render_pdf(t->layout, p->job, t->path, why, sizeof(why));
		if (rc == 0 && (rc = read_all(t->path, &p->pdf, &p->pdf_len)) < 0)
			snprintf(why, sizeof(why), "%.400s: %s", t->path, strerror(-rc));
	}
	if (rc < 0) {
		t->res = PREP_FACE;
		snprintf(t->why, sizeof(t->why), R_("the card face cannot be rendered: %s"), why);
		return;
	}
	t->res = PREP_OK;
}

static void
prep_task_free(struct prep_task *t)
{
	free(t->body);
	signer_free(t->signer);
	face_layout_free(t->layout);
	free(t);
}

/*
 * Back on the loop: the prepared job goes to its slot, or is held with the
 * reason; a signer that fails stops the line (every job would fail the same
 * way) and its job waits in the queue. A job whose line no longer wants it
 * (stopped, paused, drained, cetakd stopping) goes back to the queue.
 */
static void
prep_done(void *arg, bool ran)
{
	struct prep_task *t = arg;
	struct cetakd *d = t->d;
	struct run *r = run_of(d);
	struct line_run *lr = t->lr;
	struct prepared *slot = t->slot;
	const char *id = t->row.job_id;

	lr->prep_job[0] = '\0';
	if (!d->store) { /* start-up failed before the store was open */
		prepared_free(&t->p);
		prep_task_free(t);
		return;
	}
	if (!ran)
		t->res = PREP_DROPPED; /* never started: back to the queue */
	switch (t->res) {
	case PREP_OK:
		*slot = t->p;
		memset(&t->p, 0, sizeof(t->p));
		slot->face.job_id = slot->row.job_id;
		slot->face.pdf = slot->pdf;
		slot->face.pdf_len = slot->pdf_len;
		slot->face.panels = slot->panels.data;
		if (r->closing)
			give_back(d, slot, R_("requeued: cetakd stopped"));
		else if (d->stopping || !(lr->mode == MODE_RUNNING ||
					  (lr->mode == MODE_DRAINING && slot == &lr->cur)))
			give_back(d, slot, R_("requeued: the line is not printing"));
		break;
	case PREP_INVALID:
	case PREP_FACE:
		job_move(d, id, JS_HELD, HOLD_PREPARE, t->why);
		break;
	case PREP_SIGNER:
		lr_log(lr, LOG_ERR, id, "signing the card data failed: %s", t->why);
		job_move(d, id, JS_QUEUED, NULL, R_("the Document Signer failed; the job waits"));
		line_stop(lr, R_("the Document Signer failed: %s"), t->why);
		break;
	case PREP_DROPPED:
		job_move(d, id, JS_QUEUED, NULL, R_("requeued: cetakd stopped"));
		break;
	}
	prepared_free(&t->p);
	prep_task_free(t);
	if (!r->closing)
		run_pump(d);
}

/*
 * Take the next job for the line from the scheduler and start its
 * preparation into slot. 0 when one is under way, -ENOENT when there is
 * nothing to prepare.
 */
static int
pick(struct cetakd *d, struct line_run *lr, struct prepared *slot)
{
	struct run *r = run_of(d);
	struct job_policy jp;
	struct sched_policy sp;
	struct stock_source stock;
	struct job_row row;
	char why[256];

	if (lr->prep_job[0])
		return 0;
	if ((!r->signer && !lr->prof->sam) || !lr->prep)
		return -ENOENT;
	cetakd_policies(d, &jp, &sp, &stock);
	for (int tries = 0; tries < 8; tries++) {
		if (sched_next(d->store, &sp, &stock, lr->name, jp.now, &row, why, sizeof(why)) < 0)
			return -ENOENT;
		struct prep_task *t = calloc(1, sizeof(*t));
		if (!t) {
			job_move(d, row.job_id, JS_QUEUED, NULL, R_("requeued: out of memory"));
			return -ENOENT;
		}
		if (store_body(d->store, row.id, &t->body, &t->len) < 0) {
			free(t);
			job_move(d, row.job_id, JS_HELD, HOLD_PREPARE,
				 R_("the job file is missing from the store"));
			continue;
		}
		t->d = d;
		t->lr = lr;
		t->slot = slot;
		t->row = row;
		t->prof = lr->prof;
		/* a SAM profile's EF.SOD is signed in the SAM, at the encoder */
		t->signer = lr->prof->sam ? NULL : signer_ref(r->signer);
		t->layout = face_layout_ref(d->layout);
		t->panels = lr->pb->face == PB_FACE_PANELS;
		t->now = jp.now;
		snprintf(t->path, sizeof(t->path), "%s/faces/%s.pdf", d->cfg->state_dir,
			 row.job_id);
		snprintf(lr->prep_job, sizeof(lr->prep_job), "%s", row.job_id);
		if (offload_submit(lr->prep, prep_work, prep_done, t) < 0) {
			lr->prep_job[0] = '\0';
			job_move(d, row.job_id, JS_QUEUED, NULL, R_("requeued: out of memory"));
			prep_task_free(t);
			return -ENOENT;
		}
		return 0;
	}
	return -ENOENT;
}

/* ---- dispatching steps ---- */

/*
 * How long the worker may take for op before the engine decides the card's
 * outcome without it: a printer operation is bounded by printer_timeout per
 * call (a print makes several: twice that, plus a margin); personalising a
 * card by encode_deadline (SCardTransmit itself has no timeout: a reader or
 * card that stops answering would hold the line for ever).
 */
static uint64_t
op_deadline_ms(const struct cetakd *d, enum wk_op op)
{
	if (op == WK_ENCODE)
		return (uint64_t)d->cfg->encode_deadline_s * 1000;
	return 2 * (uint64_t)d->cfg->printer_timeout_s * 1000 + 10000;
}

static void
submit(struct cetakd *d, struct line_run *lr, enum wk_op op)
{
	struct prepared *p = &lr->cur;
	int r = worker_submit(lr->w, op, op == WK_ENCODE ? &p->img : NULL,
			      op == WK_PRINT ? &p->face : NULL);

	if (r < 0) {
		lr_log(lr, LOG_ERR, p->row.job_id, "worker refused %s: %s", wk_op_name(op),
		       strerror(-r));
		return;
	}
	lr->op_out = true;
	lr->op_deadline = ev_now_ms() + op_deadline_ms(d, op);
	if (op == WK_PRINT)
		lr->printed = true;
	if (op != WK_STATUS && !lr->first_ms)
		lr->first_ms = ev_now_ms();
	if (op != WK_STATUS && lr->last_end_ms > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		lr->host_ms += (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6 - lr->last_end_ms;
		lr->last_end_ms = 0;
	}
	if (op == WK_PRINT)
		lr->print_ms = 0;
}

static enum wk_op
op_of(enum cycle_step s)
{
	switch (s) {
	case STEP_FEED:
		return WK_FEED;
	case STEP_ENCODE:
		return WK_ENCODE;
	case STEP_PRINT:
		return WK_PRINT;
	case STEP_EJECT:
		return WK_EJECT;
	default:
		return WK_REJECT;
	}
}

/* Commit the intent of step, then hand it to the worker. */
static int
step_to(struct cetakd *d, struct line_run *lr, enum cycle_step s, const char *cause,
	const char *chip)
{
	char note[300];
	int r;

	note[0] = '\0';
	if (s == STEP_REJECT) {
		static const char *const fates[] = { "", "retry", "requeue", "hold" };
		snprintf(note, sizeof(note), "%s%s%s", fates[lr->fate], lr->fate_why[0] ? ": " : "",
			 lr->fate_why);
	}
	r = store_cycle_step(d->store, lr->cycle, cycle_step_name(s), cause, chip,
			     note[0] ? note : NULL, now_s());
	if (r < 0) {
		line_stop(lr, R_("the job store failed: %s"), store_errmsg(d->store));
		return r;
	}
	lr->step = s;
	submit(d, lr, op_of(s));
	return 0;
}

/* The card goes to the reject box, spoiled with cause; then the job's fate. */
static void
reject(struct cetakd *d, struct line_run *lr, int cause, enum rule_job fate, const char *why,
       bool stop_after)
{
	lr->cause = cause;
	lr->fate = fate;
	lr->stop_after = stop_after;
	if (why != lr->fate_why) {
		char copy[sizeof(lr->fate_why)];
		snprintf(copy, sizeof(copy), "%.255s", why ? why : "");
		memcpy(lr->fate_why, copy, sizeof(copy));
	}
	step_to(d, lr, STEP_REJECT, ledger_cause_name(cause), NULL);
}

/* A new blank for the current job: open a cycle at "feed". */
static void
start_cycle(struct cetakd *d, struct line_run *lr)
{
	struct ledger_balance b;
	const struct ledger_line *bl = NULL;

	if (ledger_balance(d->ledger, &b) == 0)
		bl = ledger_line_of(&b, lr->name);
	if (!bl || bl->hopper < 1) {
		lr->waiting = true;
		char msg[sizeof(lr->reason)];
		snprintf(msg, sizeof(msg),
			 R_("no blanks recorded in the hopper: load cards and record them with "
			    "`cetakctl stock load %s N`"),
			 lr->name);
		memcpy(lr->reason, msg, sizeof(msg));
		lr->wait_until = ev_now_ms() + (uint64_t)d->cfg->retry_s * 1000;
		return;
	}
	if (store_cycle_open(d->store, lr->cur.row.job_id, lr->name, now_s(), &lr->cycle) < 0) {
		line_stop(lr, R_("the job store failed: %s"), store_errmsg(d->store));
		return;
	}
	lr->step = STEP_FEED;
	lr->chip[0] = '\0';
	lr->printed = false;
	lr->cycle_start_ms = (double)ev_now_ms();
	submit(d, lr, WK_FEED);
}

/* ---- outcomes ---- */

static void
count_today(struct line_run *lr)
{
	char day[16];

	sched_day(now_s(), day);
	if (strcmp(day, lr->day) != 0) {
		snprintf(lr->day, sizeof(lr->day), "%s", day);
		lr->cards_today = 0;
	}
	lr->cards_today++;
}

/*
 * What becomes of the job whose card was spoiled: false when it stays with
 * the line for a new blank (retry), else the state to move it to.
 */
static bool
job_fate(struct cetakd *d, struct line_run *lr, enum rule_job fate, const char *why,
	 enum job_state *to, const char **hold, char *reason, size_t len)
{
	*hold = NULL;
	switch (fate) {
	case JOB_FATE_RETRY:
		if (!d->stopping && lr->mode != MODE_STOPPED && lr->mode != MODE_PAUSED)
			return false; /* the next pump starts a cycle on a new blank */
		*to = JS_QUEUED;
		snprintf(reason, len, R_("requeued: the line stopped"));
		return true;
	case JOB_FATE_REQUEUE:
		*to = JS_QUEUED;
		snprintf(reason, len, R_("requeued: %s"), why);
		return true;
	case JOB_FATE_HOLD: {
		long n = 0;
		/* every card spoiled for the job: those closed, and this one */
		store_cycle_failures(d->store, lr->cur.row.job_id, false, &n);
		n++;
		*to = JS_HELD;
		*hold = HOLD_ATTEMPTS;
		snprintf(reason, len, R_("%s (cards spoiled for this job: %ld)"), why, n);
		return true;
	}
	default:
		return false;
	}
}

/* Close the cycle of a spoiled card and settle its job, in one transaction, so
 * that a crash cannot leave the card closed and the job's fate undone. */
static void
finish_spoiled(struct cetakd *d, struct line_run *lr, long long cycle, const char *note)
{
	enum job_state to = JS_QUEUED;
	const char *hold = NULL;
	char reason[400] = "";
	bool moves = job_fate(d, lr, lr->fate, lr->fate_why, &to, &hold, reason, sizeof(reason));

	cycle_close_move(d, cycle, "spoiled", note, moves ? lr->cur.row.job_id : NULL,
			 JS_MASK(JS_ACTIVE), to, hold, reason, ACTOR);
	lr->cycle = 0;
	if (!moves)
		return;
	if (to == JS_HELD)
		lr_log(lr, LOG_WARNING, lr->cur.row.job_id, "job held: %s", reason);
	prepared_free(&lr->cur);
}

/* The note of a spoiled card: why, and whether it is still to be taken out by hand. */
static void
spoil_note(const struct line_run *lr, bool moved, char *buf, size_t len)
{
	snprintf(buf, len, "%.200s%s", lr->fate_why,
		 moved ? "" : R_("; not moved to the reject box: take it out by hand"));
}

static void owe(struct cetakd *d, struct line_run *lr, int what, const char *fact);
static int record_spoil(struct cetakd *d, struct line_run *lr, bool moved);
static void rejected_done(struct cetakd *d, struct line_run *lr, bool moved, const char *msg);

/* The reject box took the card (or the printer has none): record the spoil. */
static void
rejected(struct cetakd *d, struct line_run *lr, const struct wk_result *res, bool moved)
{
	const char *msg = res && res->st.message[0] ? res->st.message : "no answer";

	if (record_spoil(d, lr, moved) < 0) {
		char fact[200];
		lr->owed_moved = moved;
		snprintf(lr->owed_msg, sizeof(lr->owed_msg), "%.190s", msg);
		snprintf(fact, sizeof(fact), "card %s is spoiled (%s)",
			 lr->chip[0] ? lr->chip : "(serial not read)",
			 ledger_cause_name(lr->cause));
		owe(d, lr, OWED_SPOIL, fact);
		return;
	}
	rejected_done(d, lr, moved, msg);
}

static void
rejected_done(struct cetakd *d, struct line_run *lr, bool moved, const char *msg)
{
	char note[300];

	spoil_note(lr, moved, note, sizeof(note));
	lr_log(lr, LOG_WARNING, lr->cur.row.job_id, "card %s spoiled (%s): %s",
	       lr->chip[0] ? lr->chip : "(serial not read)", ledger_cause_name(lr->cause),
	       lr->fate_why);
	finish_spoiled(d, lr, lr->cycle, note);
	if (!moved && lr->step == STEP_REJECT)
		line_stop(lr,
			  R_("the card could not be moved to the reject box (%.200s): take it out "
			     "by hand"),
			  msg);
	else if (!moved)
		line_stop(lr, "%s", lr->fate_why);
	else if (lr->stop_after)
		line_stop(lr, "%s", lr->fate_why);
}

/*
 * The printer confirmed what became of the card but the ledger could not
 * record it (a full disk, an I/O error): the outcome is kept, the line stops
 * with that reason and the record is tried again every retry_interval
 * (retry_owed). The fact also goes into the card's cycle, best effort, so
 * that recovery after a crash still knows it.
 */
static void
owe(struct cetakd *d, struct line_run *lr, int what, const char *fact)
{
	lr->owed = what;
	store_cycle_step(d->store, lr->cycle, what == OWED_ISSUE ? "eject" : "reject", NULL,
			 lr->chip[0] ? lr->chip : NULL, fact, now_s());
	snprintf(lr->reason, sizeof(lr->reason),
		 R_("%s, but the ledger could not record it (see the "
		    "log; a full disk?): retried every %d s"),
		 fact, d->cfg->retry_s);
	lr->wait_until = ev_now_ms() + (uint64_t)d->cfg->retry_s * 1000;
	lr_log(lr, LOG_ERR, lr->cur.row.job_id, "%s", lr->reason);
}

static void issued_done(struct cetakd *d, struct line_run *lr);

static int
record_issue(struct cetakd *d, struct line_run *lr)
{
	struct prepared *p = &lr->cur;

	return ledger_event(d, lr, "issue", p->row.job_id, p->row.nik, lr->chip, NULL, NULL, 0);
}

static int
record_spoil(struct cetakd *d, struct line_run *lr, bool moved)
{
	char note[300];

	spoil_note(lr, moved, note, sizeof(note));
	/* count 1: the card went through the print head (ribbon and printer counter) */
	return ledger_event(d, lr, "spoil", lr->cur.row.job_id, lr->cur.row.nik, lr->chip,
			    ledger_cause_name(lr->cause), note, lr->printed ? 1 : 0);
}

/* Try the owed record again; the cycle goes on once it is in the ledger. */
static void
retry_owed(struct cetakd *d, struct line_run *lr)
{
	int what = lr->owed;

	if ((what == OWED_ISSUE ? record_issue(d, lr) : record_spoil(d, lr, lr->owed_moved)) < 0) {
		lr->wait_until = ev_now_ms() + (uint64_t)d->cfg->retry_s * 1000;
		return;
	}
	lr_log(lr, LOG_NOTICE, lr->cur.row.job_id, "the ledger recorded the %s at last",
	       what == OWED_ISSUE ? "issued card" : "spoiled card");
	lr->owed = OWED_NONE;
	lr->reason[0] = '\0';
	if (what == OWED_ISSUE)
		issued_done(d, lr);
	else
		rejected_done(d, lr, lr->owed_moved, lr->owed_msg);
}

static void
issued(struct cetakd *d, struct line_run *lr)
{
	char fact[160];

	if (record_issue(d, lr) < 0) {
		snprintf(fact, sizeof(fact), "the printer confirmed the eject of card %s (issued)",
			 lr->chip);
		owe(d, lr, OWED_ISSUE, fact);
		return;
	}
	issued_done(d, lr);
}

static void
issued_done(struct cetakd *d, struct line_run *lr)
{
	struct prepared *p = &lr->cur;
	char note[128];

	snprintf(note, sizeof(note), "issued, chip %s", lr->chip);
	cycle_finish(d, lr->cycle, "issued", note, p->row.job_id, JS_DONE, NULL, note);
	lr_log(lr, LOG_NOTICE, p->row.job_id, "card issued: chip %s, %.0f ms", lr->chip,
	       (double)ev_now_ms() - lr->cycle_start_ms);
	lr->cycle = 0;
	lr->bad_blanks = 0;
	count_today(lr);
	prepared_free(p);
	run_of(d)->alerts_due = true; /* looked at once the next card is under way */
}

/* Printing started and its result was not seen: a person must look. */
static void
unknown(struct cetakd *d, struct line_run *lr, const char *why)
{
	char reason[400];

	snprintf(reason, sizeof(reason),
		 R_("card outcome unknown (%s): check the output and reject "
		    "boxes, then `cetakctl resolve %s printed|spoiled`"),
		 why, lr->cur.row.job_id);
	job_move(d, lr->cur.row.job_id, JS_HELD, HOLD_UNKNOWN, reason);
	lr_log(lr, LOG_WARNING, lr->cur.row.job_id, "%s", reason);
	line_to(lr, MODE_UNRESOLVED, "%.299s", reason);
	give_back(d, &lr->next, R_("requeued: the line waits for a card to be resolved"));
}

static void
printer_reasons(struct line_run *lr, const struct wk_result *res)
{
	lr->printer_reasons = res->st.reasons;
	if (res->st.ribbon_left >= 0)
		lr->ribbon_left = res->st.ribbon_left;
}

static void
step_done(struct cetakd *d, struct line_run *lr, const struct wk_result *res)
{
	struct rule_in in = { .step = lr->step,
			      .pb = res->cls,
			      .sc = res->sc,
			      .sw = res->card.sw,
			      .desk = lr->desk,
			      .serial_read = res->card.serial[0] != '\0',
			      .max_attempts = d->cfg->max_attempts,
			      .bad_blanks = lr->bad_blanks,
			      .bad_blank_stop = d->cfg->bad_blank_stop };
	struct rule_out out;
	char rs[200];
	const char *job = lr->cur.row.job_id;

	printer_reasons(lr, res);
	if (lr->recovering) { /* start-up: clearing the printer path before the first card */
		lr->recovering = false;
		lr_log(lr, LOG_INFO, NULL, "start-up: printer path cleared (%s)",
		       res->cls == PB_OK ? "a card went to the reject box" : "no card inside");
		return;
	}
	store_cycle_failures(d->store, job, true, &in.failures);
	rules_decide(&in, &out);
	if (res->op == WK_PRINT)
		lr->print_ms = res->ms;
	if (out.act == RULE_WAIT) {
		lr->waiting = true;
		if (res->st.message[0])
			snprintf(lr->reason, sizeof(lr->reason), R_("%s: %s"), out.why,
				 res->st.message);
		else
			snprintf(lr->reason, sizeof(lr->reason), "%s", out.why);
		lr->wait_until = ev_now_ms() + (uint64_t)d->cfg->retry_s * 1000;
		return;
	}
	lr->waiting = false;
	if (lr->step != STEP_REJECT)
		lr->reason[0] = '\0';
	pb_reasons_text(res->st.reasons, rs, sizeof(rs));
	switch (lr->step) {
	case STEP_FEED:
		if (out.act == RULE_NEXT) {
			if (ledger_event(d, lr, ledger_kind_name(LK_TAKE), job, lr->cur.row.nik,
					 NULL, NULL, NULL, 0) < 0) {
				cycle_finish(d, lr->cycle, "none", "the ledger refused the take",
					     job, JS_QUEUED, NULL,
					     "requeued: the ledger refused the blank");
				lr->cycle = 0;
				prepared_free(&lr->cur);
				line_stop(
					lr,
					R_("the ledger has no blank in this line's hopper: record "
					   "what was loaded with `cetakctl stock load %s N`"),
					lr->name);
				return;
			}
			/* no intent of its own: the ledger's take (card in flight, cycle at
			 * feed) already tells recovery that printing had not started */
			lr->step = out.next;
			submit(d, lr, op_of(out.next));
		} else {
			cycle_finish(d, lr->cycle, "none", res->st.message, job, JS_QUEUED, NULL,
				     "requeued: the printer could not feed a card");
			lr->cycle = 0;
			prepared_free(&lr->cur);
			give_back(d, &lr->next, R_("requeued: the line stopped"));
			if (res->st.message[0])
				line_stop(lr, R_("%s: %s"), rs[0] ? rs : out.why, res->st.message);
			else
				line_stop(lr, "%s", rs[0] ? rs : out.why);
		}
		break;
	case STEP_ENCODE:
		snprintf(lr->chip, sizeof(lr->chip), "%s", res->card.serial);
		if (out.act == RULE_NEXT) {
			lr->bad_blanks = 0;
			step_to(d, lr, out.next, NULL, lr->chip);
			/* while this card prints, the next job gets ready on the
			 * line's preparation thread (after the print is submitted: the
			 * encode before it has the CPU to itself) */
			if (!lr->next.ok && !d->stopping && lr->mode == MODE_RUNNING)
				pick(d, lr, &lr->next);
			return;
		}
		lr->bad_blanks = out.bad_blank ? lr->bad_blanks + 1 : 0;
		{
			char why[300];
			if (res->card.message[0])
				snprintf(why, sizeof(why), R_("%s: %s: %.200s"), out.why,
					 sc_outcome_name(res->sc), res->card.message);
			else
				snprintf(why, sizeof(why), R_("%s: %s"), out.why,
					 sc_outcome_name(res->sc));
			if (lr->chip[0])
				store_cycle_step(d->store, lr->cycle, "encode", NULL, lr->chip,
						 NULL, now_s());
			reject(d, lr, out.cause, out.job, why, out.stop_line);
		}
		break;
	case STEP_PRINT:
		if (out.act == RULE_NEXT) {
			/* no intent of its own: the cycle at "print" with the card in
			 * flight is already "outcome unknown" to recovery, and once the
			 * ledger records the issue, recovery reads it from there */
			lr->step = out.next;
			submit(d, lr, op_of(out.next));
		} else if (out.act == RULE_REJECT) {
			char why[300];
			snprintf(why, sizeof(why), R_("%s: %s"), out.why, res->st.message);
			reject(d, lr, out.cause, out.job, why, out.stop_line);
		} else if (out.act == RULE_UNKNOWN) {
			unknown(d, lr, res->st.message[0] ? res->st.message : out.why);
		} else { /* stopped with the card inside: spoiled where it is */
			lr->cause = out.cause;
			lr->fate = out.job;
			lr->stop_after = true;
			if (res->st.message[0])
				snprintf(lr->fate_why, sizeof(lr->fate_why),
					 R_("%.80s (%.60s: %.100s)"), out.why, rs, res->st.message);
			else
				snprintf(lr->fate_why, sizeof(lr->fate_why), R_("%.80s (%.60s)"),
					 out.why, rs);
			give_back(d, &lr->next, R_("requeued: the line stopped"));
			rejected(d, lr, res, false);
		}
		break;
	case STEP_EJECT:
		if (out.act == RULE_NEXT)
			issued(d, lr);
		else
			unknown(d, lr, res->st.message[0] ? res->st.message : out.why);
		break;
	case STEP_REJECT:
		rejected(d, lr, res, out.act == RULE_NEXT);
		break;
	default:
		break;
	}
}

/* The printer's own count, read with no card in its cycle: recorded when it
 * moved, so the ledger can tell cards printed outside cetakd (docs/stock.md). */
static void
record_counter(struct cetakd *d, struct line_run *lr, long count)
{
	struct ledger_balance b;
	const struct ledger_line *bl;
	long before = 0;

	if (ledger_balance(d->ledger, &b) < 0)
		return;
	if ((bl = ledger_line_of(&b, lr->name))) {
		if (bl->counter == count)
			return;
		before = bl->outside;
	}
	if (ledger_event(d, lr, "counter", NULL, NULL, NULL, NULL, NULL, count) == 0 &&
	    ledger_balance(d->ledger, &b) == 0 && (bl = ledger_line_of(&b, lr->name)) &&
	    bl->outside > before)
		lr_log(lr, LOG_WARNING, NULL,
		       "the printer counts %ld cards that cetakd did not print",
		       bl->outside - before);
	run_of(d)->alerts_due = true;
}

static void
on_worker(struct ev_source *src, int fd, uint32_t events, void *data)
{
	struct cetakd *d = data;
	struct run *r = run_of(d);
	struct wk_result res;

	(void)src;
	(void)events;
	for (int i = 0; i < r->n; i++) {
		struct line_run *lr = &r->lines[i];
		if (!lr->w || worker_fd(lr->w) != fd)
			continue;
		if (worker_result(lr->w, &res) < 0)
			return;
		lr->op_out = false;
		if (lr->abandoned) { /* decided without it at its deadline */
			lr->abandoned = false;
			lr_log(lr, LOG_NOTICE, NULL,
			       "the %s step answered after all, after %.0f s (%s); "
			       "the answer is discarded",
			       wk_op_name(res.op), res.ms / 1000,
			       res.cls == PB_OK && res.sc == SC_OK ? "ok" : "failed");
			continue;
		}
		if (res.op != WK_STATUS) {
			lr->busy_ms += res.ms;
			lr->last_end_ms = res.end_ms;
			lr->last_ms = ev_now_ms();
			lr->ops++;
		}
		if (res.op == WK_STATUS) {
			printer_reasons(lr, &res);
			lr->last_status_ms = ev_now_ms();
			if (res.counter >= 0 && !lr->cycle)
				record_counter(d, lr, res.counter);
		} else if (lr->cycle || lr->recovering) {
			step_done(d, lr, &res);
		}
	}
	run_pump(d);
}

/* ---- recovery ---- */

static long
in_flight(struct cetakd *d, const char *line)
{
	struct ledger_balance b;
	const struct ledger_line *bl;

	if (ledger_balance(d->ledger, &b) < 0)
		return -1;
	bl = ledger_line_of(&b, line);
	return bl ? bl->in_flight : 0;
}

/* Load the job of an open cycle as the line's current job (for its ids). */
static void
adopt_job(struct cetakd *d, struct line_run *lr, const struct cycle_row *c)
{
	memset(&lr->cur, 0, sizeof(lr->cur));
	if (store_get(d->store, c->job_id, &lr->cur.row) < 0)
		snprintf(lr->cur.row.job_id, sizeof(lr->cur.row.job_id), "%s", c->job_id);
	lr->cur.ok = false; /* nothing prepared: only its ids */
	lr->cycle = c->id;
	lr->printed = !strcmp(c->step, "print") || !strcmp(c->step, "eject") ||
		      (!strcmp(c->step, "reject") && !strcmp(c->cause, "gagal_cetak"));
	snprintf(lr->chip, sizeof(lr->chip), "%s", c->chip);
}

/* A cycle at print or eject whose card is no longer in flight: the ledger
 * recorded its outcome before the interruption (the issue after the eject,
 * or the spoil of a card a printer stop caught inside). Finish the cycle
 * with it; false when the ledger's last card on the line is not this job's. */
/* What the ledger recorded last of a card on the line, when it is job's (and
 * the cause of a spoil). */
static enum rule_recorded
recorded_outcome(struct cetakd *d, struct line_run *lr, const char *job_id, char cause[32])
{
	char kind[16], job[64];

	if (ledger_last_card(d->ledger, lr->name, kind, sizeof(kind), job, sizeof(job), cause,
			     32) != 1 ||
	    strcmp(job, job_id) != 0)
		return RECORDED_NONE;
	return !strcmp(kind, "issue")	? RECORDED_ISSUE
	       : !strcmp(kind, "spoil") ? RECORDED_SPOIL
					: RECORDED_NONE;
}

/*
 * Settle the line's open cycle after a crash: the facts (the step it was
 * interrupted at, the ledger's card in flight and last card event, the
 * cycle's note) go to rules_decide(), which has the recovery rows of the
 * decision table (docs/print-line.md); this carries its decision out.
 */
static void
recover_line(struct cetakd *d, struct line_run *lr)
{
	struct cycle_row c;
	struct rule_out out;
	char cause[32] = "";
	long fl;

	if (store_cycle_on_line(d->store, lr->name, &c) < 0) {
		if (in_flight(d, lr->name) > 0)
			line_stop(lr,
				  R_("the ledger shows a card in flight on this line with no open "
				     "cycle: a supervisor must check it"));
		else if (lr->clears)
			lr->recovering = true; /* clear the printer path first */
		return;
	}
	fl = in_flight(d, lr->name);
	adopt_job(d, lr, &c);
	int step = cycle_step_from_name(c.step);
	lr->step = step < 0 ? STEP_PRINT : (enum cycle_step)step;
	lr_log(lr, LOG_WARNING, c.job_id,
	       "recovery: card cycle %lld was interrupted at '%s' "
	       "(%s card in flight)",
	       c.id, c.step, fl > 0 ? "a" : "no");
	struct rule_in in = {
		.step = lr->step,
		.recovery = true,
		.in_flight = fl > 0,
		.recorded = fl > 0 ? RECORDED_NONE : recorded_outcome(d, lr, c.job_id, cause),
		.eject_confirmed = strstr(c.note, "confirmed the eject") != NULL,
		.reject_hold = !strncmp(c.note, "hold", 4),
		.reject_cause = ledger_cause_from_name(c.cause),
	};
	rules_decide(&in, &out);
	/* at the reject, the note holds "FATE: why" as step_to() wrote it */
	const char *colon = strchr(c.note, ':');
	const char *fate_why = colon ? colon + 2 : "interrupted while rejecting";
	switch (out.act) {
	case RULE_CLOSE:
		cycle_finish(d, c.id, "none", out.why, c.job_id, JS_QUEUED, NULL,
			     "requeued after an interruption");
		lr->cycle = 0;
		memset(&lr->cur, 0, sizeof(lr->cur));
		break;
	case RULE_ISSUED:
		cycle_finish(d, c.id, "issued", out.why, c.job_id, JS_DONE, NULL,
			     "issued (recorded before an interruption)");
		lr->cycle = 0;
		memset(&lr->cur, 0, sizeof(lr->cur));
		break;
	case RULE_SPOILED: {
		lr->fate = out.job;
		if (lr->step == STEP_REJECT) {
			snprintf(lr->fate_why, sizeof(lr->fate_why), "%s", fate_why);
			lr->cause = out.cause;
		} else {
			snprintf(lr->fate_why, sizeof(lr->fate_why),
				 R_("the card was spoiled (%s) before "
				    "an interruption"),
				 cause);
		}
		finish_spoiled(d, lr, c.id,
			       lr->step == STEP_REJECT
				       ? "recorded before an interruption"
				       : "spoiled (recorded before an interruption)");
		memset(&lr->cur, 0, sizeof(lr->cur));
		break;
	}
	case RULE_ISSUE:
		lr->step = STEP_EJECT;
		lr_log(lr, LOG_NOTICE, c.job_id, "recovery: %s", c.note);
		issued(d, lr);
		break;
	case RULE_REJECT:
		if (lr->step == STEP_REJECT) { /* again, with the recorded cause and fate */
			lr->cause = out.cause;
			lr->fate = out.job;
			snprintf(lr->fate_why, sizeof(lr->fate_why), "%s", fate_why);
			step_to(d, lr, STEP_REJECT, NULL, NULL);
		} else {
			reject(d, lr, out.cause, out.job, out.why, false);
		}
		break;
	case RULE_UNKNOWN:
	default: {
		char known[400];
		if (c.note[0])
			snprintf(known, sizeof(known), R_("%s; known: %.300s"), out.why, c.note);
		else
			snprintf(known, sizeof(known), "%s", out.why);
		unknown(d, lr, known);
		if (lr->clears) { /* out to the reject box, if the printer still holds it */
			lr->recovering = true;
			submit(d, lr, WK_REJECT);
		}
		return;
	}
	}
	if (out.clear_path && lr->clears)
		lr->recovering = true; /* the printer path is cleared before the next card */
}

/* ---- the pump ---- */

/*
 * The worker's step passed its deadline (a hung reader, a printer that
 * holds a call): decide the card's outcome by the rules without it. The
 * worker is left to return when it can; its late result is discarded, and
 * the line stays stopped until then.
 */
static void
hung(struct cetakd *d, struct line_run *lr)
{
	char why[256];
	int secs = (int)(op_deadline_ms(d, op_of(lr->step)) / 1000);

	lr->abandoned = true;
	if (!lr->cycle) { /* a status request or the start-up clearing of the printer */
		lr->recovering = false;
		line_stop(lr, R_("the printer did not answer within %d s"), secs);
		return;
	}
	switch (lr->step) {
	case STEP_FEED:
		cycle_finish(d, lr->cycle, "none", "the printer did not answer the feed",
			     lr->cur.row.job_id, JS_QUEUED, NULL,
			     "requeued: the printer did not answer");
		lr->cycle = 0;
		prepared_free(&lr->cur);
		give_back(d, &lr->next, R_("requeued: the line stopped"));
		line_stop(lr,
			  R_("the printer did not answer the feed within %d s: check for a card at "
			     "the encoder"),
			  secs);
		break;
	case STEP_ENCODE: /* the chip may be half written: spoiled where it is */
		snprintf(why, sizeof(why),
			 R_("the reader did not finish the card within %d s (a hung "
			    "reader or card); the card at the encoder is spoiled: take "
			    "it out by hand"),
			 secs);
		lr->cause = CAUSE_GAGAL_ENCODE;
		lr->fate = JOB_FATE_REQUEUE;
		lr->stop_after = true;
		snprintf(lr->fate_why, sizeof(lr->fate_why), "%s", why);
		give_back(d, &lr->next, R_("requeued: the line stopped"));
		rejected(d, lr, NULL, false);
		break;
	case STEP_PRINT:
	case STEP_EJECT:
		snprintf(why, sizeof(why), R_("the printer did not answer within %d s while %s"),
			 secs, lr->step == STEP_PRINT ? R_("printing") : R_("ejecting"));
		unknown(d, lr, why);
		break;
	default:
		rejected(d, lr, NULL, false);
		break;
	}
}

static void
pump_line(struct cetakd *d, struct line_run *lr, struct line *l)
{
	uint64_t now = ev_now_ms();

	if (lr->w && lr->op_out && !lr->abandoned && now >= lr->op_deadline)
		hung(d, lr);
	if (!lr->w || lr->op_out)
		return;
	if (lr->recovering) {
		submit(d, lr, WK_REJECT);
		return;
	}
	if (lr->want_status && !lr->cycle) {
		lr->want_status = false;
		submit(d, lr, WK_STATUS);
		return;
	}
	if (lr->cycle) {
		if (lr->owed) { /* a known outcome waits for the ledger */
			if (now >= lr->wait_until)
				retry_owed(d, lr);
			return;
		}
		if (lr->mode == MODE_UNRESOLVED || lr->mode == MODE_STOPPED)
			return;
		if (lr->waiting && now < lr->wait_until)
			return;
		lr->waiting = false;
		/* past the shutdown deadline, a card not yet printing is rejected */
		if (d->stopping && now >= run_of(d)->shutdown_deadline &&
		    (lr->step == STEP_FEED || lr->step == STEP_ENCODE) &&
		    in_flight(d, lr->name) > 0) {
			reject(d, lr, CAUSE_INTERRUPTED, JOB_FATE_REQUEUE,
			       R_("cetakd was stopping and the card was not finished in time"),
			       false);
			return;
		}
		submit(d, lr, op_of(lr->step));
		return;
	}
	if (lr->mode == MODE_UNRESOLVED)
		return;
	if (d->stopping || lr->mode == MODE_STOPPED || lr->mode == MODE_PAUSED ||
	    l->state == LINE_DISABLED || l->state == LINE_NOT_READY || run_of(d)->not_ready[0]) {
		give_back_all(d, lr,
			      d->stopping ? "requeued: cetakd is stopping"
					  : "requeued: the line is not printing");
		return;
	}
	if (lr->waiting && now < lr->wait_until)
		return;
	lr->waiting = false;
	if (lr->mode == MODE_DRAINING && !lr->cur.ok) {
		give_back(d, &lr->next, R_("requeued: the line was drained"));
		line_to(lr, MODE_PAUSED, R_("drained"));
		return;
	}
	if (!lr->cur.ok) {
		if (lr->next.ok) {
			lr->cur = lr->next;
			lr->cur.face.job_id = lr->cur.row.job_id;
			memset(&lr->next, 0, sizeof(lr->next));
		} else if (lr->prep_job[0]) {
			return; /* prep_done pumps again */
		} else if (pick(d, lr, &lr->cur) < 0) {
			lr->last_end_ms = 0; /* idle time is not host time */
			/* idle: ask the printer how it is now and then */
			if (now - lr->last_status_ms > 30000) {
				lr->last_status_ms = now;
				submit(d, lr, WK_STATUS);
			}
			return;
		} else {
			return; /* under way */
		}
	}
	start_cycle(d, lr);
}

void
run_pump(struct cetakd *d)
{
	struct run *r = run_of(d);
	bool busy = false;

	if (!r)
		return;
	for (int i = 0; i < r->n; i++) {
		struct line *l = find_line(d, r->lines[i].name);
		if (l)
			pump_line(d, &r->lines[i], l);
		busy |= r->lines[i].op_out ||
			(r->lines[i].cycle && r->lines[i].mode != MODE_UNRESOLVED &&
			 r->lines[i].mode != MODE_STOPPED);
	}
	if (r->shutting_down &&
	    (!busy ||
	     ev_now_ms() > r->shutdown_deadline + (uint64_t)d->cfg->printer_timeout_s * 1000)) {
		r->shutting_down = false;
		if (busy)
			log_warn("cetakd: a line did not finish within stop_timeout + "
				 "printer_timeout; "
				 "its card is settled by recovery at the next start");
		ev_loop_exit(d->loop);
	}
	/* after every line has its next step under way: */
	if (r->alerts_due) {
		r->alerts_due = false;
		cetakd_alerts(d);
	}
	status_update(d);
}

/* STATUS= for systemd, when the summary changed. */
static void
status_update(struct cetakd *d)
{
	struct run *r = run_of(d);
	char status[512];

	if (!r)
		return;
	run_summary(d, status, sizeof(status));
	if (strcmp(status, r->status) != 0) {
		memcpy(r->status, status, sizeof(status));
		sd_notifyf(0, "STATUS=%s", status);
	}
}

static void
on_tick(struct ev_source *src, void *data)
{
	(void)src;
	run_pump(data);
}

void
run_shutdown(struct cetakd *d)
{
	struct run *r = run_of(d);

	if (!r) {
		ev_loop_exit(d->loop);
		return;
	}
	r->shutting_down = true;
	r->shutdown_deadline = ev_now_ms() + (uint64_t)d->cfg->stop_timeout_s * 1000;
	run_pump(d);
}

/* ---- start and stop ---- */

const struct card_profile *
run_profile(struct cetakd *d)
{
	struct run *r = run_of(d);

	return r && r->prof.n_files > 0 ? &r->prof : NULL;
}

struct x509_store_st *
run_csca_ref(struct cetakd *d)
{
	struct run *r = run_of(d);

	if (!r || !r->csca || X509_STORE_up_ref(r->csca) != 1)
		return NULL;
	return r->csca;
}

/*
 * The card profile, the Document Signer and the CSCA that cfg names, and
 * the signer's chain to the CSCA (a signer whose cards would not verify
 * must not take a blank). 0, or -1 with the reason in why and nothing kept.
 */
/* Does a line sign EF.SOD with the station's Document Signer (a profile
 * without a SAM)? A station of SAM lines only needs no key of its own. */
static bool
needs_signer(const struct cetak_config *cfg, const struct card_profile *def)
{
	for (int i = 0; i < cfg->n_lines; i++) {
		const struct cfg_line *l = &cfg->lines[i];
		struct card_profile p;
		FILE *null;
		int rc;
		if (!l->enabled)
			continue;
		if (!l->profile[0]) {
			if (!def->sam)
				return true;
			continue;
		}
		null = fopen("/dev/null", "we");
		rc = null ? profile_load(l->profile, null, &p) : -1;
		if (null)
			fclose(null);
		if (rc < 0 || !p.sam)
			return true;
	}
	return false;
}

static int
keys_open(const struct cetak_config *cfg, struct card_profile *prof, struct signer **ret_signer,
	  X509_STORE **ret_csca, char *why, size_t len)
{
	struct signer *signer = NULL;
	X509_STORE *csca = NULL;
	char *ebuf = NULL, msg[400];
	size_t elen = 0;
	FILE *errs = open_memstream(&ebuf, &elen);
	int r = -1;

	if (!errs)
		return -1;
	if (profile_load(cfg->card_profile, errs, prof) < 0) {
		fclose(errs);
		snprintf(why, len, R_("card profile %s refused: %s"), cfg->card_profile,
			 ebuf ? ebuf : "");
		free(ebuf);
		return -1;
	}
	fclose(errs);
	free(ebuf);
	bool need = needs_signer(cfg, prof);
	if (!cfg->signer_key[0] && need)
		snprintf(why, len, R_("no Document Signer configured (card.signer_key)"));
	else if (!cfg->csca[0])
		snprintf(why, len, R_("no CSCA certificate configured (card.csca)"));
	else if (cfg->signer_key[0] &&
		 signer_open(cfg->signer_key, cfg->signer_cert, cfg->signer_pkcs11_module,
			     cfg->signer_pin, &signer, msg, sizeof(msg)) < 0)
		snprintf(why, len, R_("Document Signer refused: %.300s"), msg);
	else if (!(csca = sod_load_csca(cfg->csca, msg, sizeof(msg))))
		snprintf(why, len, R_("CSCA %.100s refused: %.200s"), cfg->csca, msg);
	else if (signer && sod_check_signer(signer, csca, msg, sizeof(msg)) < 0)
		snprintf(why, len, "%.350s", msg);
	else
		r = 0;
	if (r < 0) {
		signer_free(signer);
		if (csca)
			X509_STORE_free(csca);
		return -1;
	}
	*ret_signer = signer;
	*ret_csca = csca;
	return 0;
}

static bool
str_differs(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

/* How the lines of next differ from those of cur, for people; "" when they do not. */
static void
lines_changed(const struct cetak_config *cur, const struct cetak_config *next, char *buf,
	      size_t len)
{
	buf[0] = '\0';
	if (cur->n_lines != next->n_lines) {
		snprintf(buf, len, R_("%d lines instead of %d"), next->n_lines, cur->n_lines);
		return;
	}
	for (int i = 0; i < cur->n_lines; i++) {
		const struct cfg_line *a = &cur->lines[i], *b = &next->lines[i];
		const char *what = str_differs(a->name, b->name)		 ? "name"
				   : a->enabled != b->enabled			 ? "enabled"
				   : str_differs(a->printer, b->printer)	 ? "printer"
				   : str_differs(a->cups_queue, b->cups_queue)	 ? "cups_queue"
				   : str_differs(a->cups_server, b->cups_server) ? "cups_server"
				   : str_differs(a->usb_device, b->usb_device)	 ? "usb_device"
				   : str_differs(a->usb_serial, b->usb_serial)	 ? "usb_serial"
				   : str_differs(a->reader, b->reader)		 ? "reader"
				   : a->encoder != b->encoder			 ? "encoder"
										 : NULL;
		if (what) {
			snprintf(buf, len, R_("line '%s': %s changed"), a->name, what);
			return;
		}
	}
}

int
run_reload_check(struct cetakd *d, const struct cetak_config *next, char **ret_err)
{
	struct run *r = run_of(d);
	const struct cetak_config *cur = d->cfg;
	char why[512];
	struct card_profile prof;
	struct signer *signer = NULL;
	X509_STORE *csca = NULL;

	lines_changed(cur, next, why, sizeof(why));
	if (why[0])
		return fail(ret_err, -EINVAL,
			    R_("%s: line changes need a restart (systemctl restart "
			       "cetakd, between cards); the running configuration stays"),
			    why);
	if (str_differs(cur->card_profile, next->card_profile))
		return fail(ret_err, -EINVAL,
			    R_("card.profile changed: a new card profile needs a "
			       "restart; the running configuration stays"));
	/* the keys are opened and checked as at start. Keys that worked are never
	 * replaced by ones that do not: such a reload is refused. A station whose
	 * lines were not ready anyway takes the reload, with the new reason. */
	if (keys_open(next, &prof, &signer, &csca, why, sizeof(why)) < 0) {
		if (r && !r->not_ready[0])
			return fail(ret_err, -EINVAL, R_("%s; the running configuration stays"),
				    why);
		if (r)
			snprintf(r->not_ready, sizeof(r->not_ready), "%.250s", why);
		return 0;
	}
	if (!r) {
		signer_free(signer);
		X509_STORE_free(csca);
		return 0;
	}
	/* the new keys from the next prepared job on; workers take the CSCA at their next step */
	signer_free(r->signer);
	r->signer = signer;
	if (r->csca)
		X509_STORE_free(r->csca);
	r->csca = csca;
	for (int i = 0; i < r->n; i++)
		if (r->lines[i].w)
			worker_set_csca(r->lines[i].w, csca);
	if (r->not_ready[0]) {
		log_notice("lines: the card keys are usable now (%s was the reason)", r->not_ready);
		r->not_ready[0] = '\0';
	}
	return 0;
}

/* The SAM a reader pattern and a PIN source name, for profile prof. */
static int
sam_setup(const struct cetak_config *cfg, const char *reader, const char *pin_source,
	  struct sc_sam *ret, char *why, size_t len)
{
	int rc;

	snprintf(ret->reader, sizeof(ret->reader), "%s", reader);
	snprintf(ret->district, sizeof(ret->district), "%s", cfg->station_district);
	ret->timeout_ms = 2000;
	if (pin_source[0] && (rc = signer_read_pin(pin_source, ret->pin, sizeof(ret->pin))) < 0) {
		snprintf(why, len, R_("cannot read the SAM PIN from %s: %s"), pin_source,
			 strerror(-rc));
		return rc;
	}
	return 0;
}

/* A line's own profile (when it names one) and its SAM. */
static int
line_profile(const struct cetak_config *cfg, const struct cfg_line *c, struct card_profile *prof,
	     struct sc_sam *sam, char *why, size_t len)
{
	FILE *null;
	int rc;

	if (c->profile[0]) {
		null = fopen("/dev/null", "we");
		rc = null ? profile_load(c->profile, null, prof) : -EIO;
		if (null)
			fclose(null);
		if (rc < 0) {
			snprintf(why, len, R_("card profile %.200s refused (cetakd -n says why)"),
				 c->profile);
			return rc;
		}
	}
	return c->sam_reader[0] ? sam_setup(cfg, c->sam_reader, c->sam_pin, sam, why, len) : 0;
}

/* The custody desk's profile and SAM: the cards it reads at a hand-over. */
static int
custody_open(const struct cetak_config *cfg, struct run *r)
{
	char why[300];
	FILE *null;
	int rc = 0;

	if (cfg->custody_profile[0]) {
		null = fopen("/dev/null", "we");
		rc = null ? profile_load(cfg->custody_profile, null, &r->cprof) : -EIO;
		if (null)
			fclose(null);
		if (rc < 0) {
			log_error("custody: card profile %s refused (cetakd -n says why)",
				  cfg->custody_profile);
			return rc;
		}
	}
	if (cfg->custody_sam_reader[0] &&
	    sam_setup(cfg, cfg->custody_sam_reader, cfg->custody_sam_pin, &r->custody_sam, why,
		      sizeof(why)) < 0) {
		log_error("custody: %s", why);
		return -1;
	}
	return 0;
}

const struct card_profile *
run_intake_profile(struct cetakd *d)
{
	struct run *r = run_of(d);
	const struct card_profile *best;

	if (!r || r->prof.n_files == 0)
		return NULL;
	best = &r->prof;
	for (int i = 0; i < r->n; i++) {
		const struct card_profile *p = r->lines[i].prof;
		if (r->lines[i].w && p && p->capacity &&
		    (!best->capacity || p->capacity < best->capacity))
			best = p;
	}
	return best;
}

const struct card_profile *
run_custody_profile(struct cetakd *d, const struct sc_sam **ret_sam)
{
	struct run *r = run_of(d);

	if (!r)
		return NULL;
	*ret_sam = r->custody_sam.reader[0] ? &r->custody_sam : NULL;
	if (r->cprof.n_files > 0)
		return &r->cprof;
	return r->prof.n_files > 0 ? &r->prof : NULL;
}

int
run_start(struct cetakd *d)
{
	struct run *r = calloc(1, sizeof(*r));
	const struct cetak_config *cfg = d->cfg;
	char why[512], path[4096];

	if (!r)
		return -1;
	d->run = r;
	snprintf(path, sizeof(path), "%s/faces", cfg->state_dir);
	mkdir(path, 0750);
	if (keys_open(cfg, &r->prof, &r->signer, &r->csca, why, sizeof(why)) < 0)
		snprintf(r->not_ready, sizeof(r->not_ready), "%.250s", why);
	if (r->not_ready[0])
		log_error("lines: no card can be personalised: %s", r->not_ready);

	if (custody_open(cfg, r) < 0)
		return -1;
	for (int i = 0; i < cfg->n_lines; i++) {
		const struct cfg_line *c = &cfg->lines[i];
		struct line_run *lr = &r->lines[r->n++];
		struct sc_sam sam = { .timeout_ms = 2000 };
		snprintf(lr->name, sizeof(lr->name), "%s", c->name);
		lr->d = d;
		lr->prof = &r->prof;
		if (c->enabled && line_profile(cfg, c, &r->lprof[i], &sam, why, sizeof(why)) < 0) {
			log_error("line '%s': %s", c->name, why);
			return -1;
		}
		if (c->profile[0])
			lr->prof = &r->lprof[i];
		lr->pb = pb_find(c->printer);
		lr->clears = lr->pb && (lr->pb->caps & PB_CAP_REJECT);
		lr->desk = c->encoder == 1;
		lr->ribbon_left = -1;
		lr->want_status = true; /* the printer's state and counter before the first card */
		sched_day(now_s(), lr->day);
		if (!c->enabled)
			continue;
		struct wk_setup ws = {
			.ops = lr->pb,
			.pb = { .queue = c->cups_queue,
				.server = c->cups_server,
				.device = c->usb_device,
				.serial = c->usb_serial,
				.timeout_ms = cfg->printer_timeout_s * 1000 },
			.desk = lr->desk,
			.card_timeout_ms = cfg->card_timeout_ms,
			.present_timeout_ms = 1000, /* polled: the line shows it is waiting */
			.csca = r->csca,
			.sc_new = d->sc_new,
			.sc_arg = d->sc_arg,
		};
		snprintf(ws.reader, sizeof(ws.reader), "%s", c->reader);
		ws.prof = lr->prof;
		ws.sam = sam;
		OPENSSL_cleanse(&sam, sizeof(sam));
		char tname[16];
		snprintf(tname, sizeof(tname), "prep-%.10s", c->name);
		int rc = worker_start(&ws, &lr->w);
		if (rc == 0)
			rc = offload_start(d->loop, tname, &lr->prep);
		if (rc < 0 ||
		    ev_add_fd(d->loop, worker_fd(lr->w), EPOLLIN, on_worker, d, &lr->src) < 0) {
			log_error("line '%s': cannot start its worker: %s", c->name, strerror(-rc));
			return -1;
		}
	}
	/* jobs left active without an open cycle were only prepared: back to the queue */
	int n = store_transition_where(d->store, JS_ACTIVE, NULL, STORE_NO_OPEN_CYCLE, JS_QUEUED,
				       NULL,
				       "requeued at start-up (was prepared, no card "
				       "taken)",
				       0, ACTOR, now_s());
	if (n > 0)
		log_notice("recovery: %d prepared jobs back in the queue", n);
	for (int i = 0; i < r->n; i++)
		if (r->lines[i].w)
			recover_line(d, &r->lines[i]);
	if (ev_add_timer(d->loop, 250, on_tick, d, &r->tick) < 0)
		return -1;
	return 0;
}

void
run_free(struct cetakd *d)
{
	struct run *r = run_of(d);

	if (!r)
		return;
	r->closing = true;
	for (int i = 0; i < r->n; i++) {
		struct line_run *lr = &r->lines[i];
		offload_stop(lr->prep); /* a job being prepared goes back to the queue */
		worker_stop(lr->w);
		ev_source_free(lr->src);
		if (d->store) {
			give_back(d, &lr->next, R_("requeued: cetakd stopped"));
			if (!lr->cycle)
				give_back(d, &lr->cur, R_("requeued: cetakd stopped"));
		}
		prepared_free(&lr->cur);
		prepared_free(&lr->next);
	}
	ev_source_free(r->tick);
	signer_free(r->signer);
	if (r->csca)
		X509_STORE_free(r->csca);
	OPENSSL_cleanse(&r->custody_sam, sizeof(r->custody_sam));
	free(r);
	d->run = NULL;
}

/* ---- operators ---- */

static const char *
run_state(const struct cetakd *d, const struct line_run *lr, const struct line *l)
{
	if (l->state == LINE_DISABLED)
		return "disabled";
	if (lr->mode == MODE_UNRESOLVED)
		return "unresolved";
	if (lr->mode == MODE_STOPPED || lr->owed)
		return "stopped";
	if (lr->cycle || lr->op_out) {
		if (lr->waiting)
			return "waiting";
		return lr->mode == MODE_DRAINING ? "draining" : "printing";
	}
	if (lr->mode == MODE_PAUSED)
		return "paused";
	if (l->state == LINE_NOT_READY || run_of((struct cetakd *)d)->not_ready[0])
		return "not-ready";
	if (lr->waiting)
		return "waiting";
	return "idle";
}

/* Why the line is in its state: its own reason, else the line's, else the station's. */
static const char *
run_reason(const struct run *r, const struct line_run *lr, const struct line *l)
{
	return lr->reason[0] ? lr->reason : l->reason[0] ? l->reason : r->not_ready;
}

void
run_line_json(struct cetakd *d, const struct line *l, json_t *obj)
{
	struct run *r = run_of(d);
	struct line_run *lr = r ? find_run(r, l->cfg->name) : NULL;
	char reasons[200];
	struct ledger_balance b;
	long hopper = -1;

	if (!lr)
		return;
	long ribbon = lr->ribbon_left;
	if (d->ledger && ledger_balance(d->ledger, &b) == 0) {
		const struct ledger_line *bl = ledger_line_of(&b, lr->name);
		hopper = bl ? bl->hopper : 0;
		/* the printer's own figure first; else the ledger's count */
		if (bl && ribbon < 0 && bl->ribbon[0])
			ribbon = bl->ribbon_rated - bl->ribbon_prints;
	}
	const char *state = run_state(d, lr, l);
	const char *reason = run_reason(r, lr, l);
	if (!strcmp(state, "idle") || !strcmp(state, "printing") || !strcmp(state, "paused"))
		reason = lr->reason[0] && (lr->waiting || lr->mode == MODE_STOPPED) ? lr->reason
										    : "";
	char day[16];
	sched_day(now_s(), day);
	json_object_set_new(obj, "state", json_string(state));
	json_object_set_new(obj, "reason", json_string(reason));
	json_object_set_new(obj, "job", json_string(lr->cur.row.job_id));
	json_object_set_new(obj, "step", json_string(lr->cycle ? cycle_step_name(lr->step) : ""));
	json_object_set_new(obj, "next_job", json_string(lr->next.ok ? lr->next.row.job_id : ""));
	json_object_set_new(obj, "preparing", json_string(lr->prep_job));
	json_object_set_new(obj, "cards_today",
			    json_integer(strcmp(day, lr->day) == 0 ? lr->cards_today : 0));
	json_object_set_new(obj, "hopper", json_integer(hopper));
	json_object_set_new(obj, "ribbon_left", json_integer(ribbon));
	json_object_set_new(
		obj, "printer_reasons",
		json_string(pb_reasons_text(lr->printer_reasons, reasons, sizeof(reasons))));
	json_object_set_new(obj, "paused", json_boolean(lr->mode == MODE_PAUSED));
	json_object_set_new(obj, "stats",
			    json_pack("{s:f, s:f, s:I, s:I}", "busy_ms", lr->busy_ms, "host_ms",
				      lr->host_ms, "span_ms",
				      (json_int_t)(lr->last_ms - lr->first_ms), "ops",
				      (json_int_t)lr->ops));
	json_object_set_new(obj, "draining", json_boolean(lr->mode == MODE_DRAINING));
}

/* A command refused: the message for cetakctl, and -code. */
static int
fail(char **ret_err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(ret_err, fmt, ap) < 0)
		*ret_err = NULL;
	va_end(ap);
	return code;
}

int
run_line_command(struct cetakd *d, const char *line, const char *cmd, const char *actor,
		 char **ret_err)
{
	struct run *r = run_of(d);
	struct line_run *lr = r ? find_run(r, line) : NULL;

	if (!lr)
		return fail(ret_err, -ENOENT, R_("no line '%s'"), line);
	if (!strcmp(cmd, "pause") || !strcmp(cmd, "drain")) {
		bool pause = !strcmp(cmd, "pause");
		if (lr->mode == MODE_STOPPED || lr->mode == MODE_UNRESOLVED)
			return fail(ret_err, -EBUSY,
				    R_("line '%s' is %s (%s): it takes no job until "
				       "it is resumed"),
				    line, mode_names[lr->mode], lr->reason);
		if (lr->mode == MODE_PAUSED || (!pause && lr->mode == MODE_DRAINING))
			return 0; /* already so */
		line_to(lr, pause ? MODE_PAUSED : MODE_DRAINING, R_("%s by %s"), cmd, actor);
	} else if (!strcmp(cmd, "resume")) {
		if (lr->mode == MODE_UNRESOLVED)
			return fail(ret_err, -EBUSY,
				    R_("line '%s' waits for a card of unknown outcome: %s"), line,
				    lr->reason);
		if (lr->owed)
			return fail(ret_err, -EBUSY, R_("line '%s': %s"), line, lr->reason);
		if (lr->abandoned)
			return fail(ret_err, -EBUSY,
				    R_("line '%s': the reader or printer still has not "
				       "answered its last call; try again once it does"),
				    line);
		lr->waiting = false;
		lr->bad_blanks = 0;
		line_to(lr, MODE_RUNNING, R_("resumed by %s"), actor);
		lr->reason[0] = '\0';
		if (lr->clears && !lr->cycle)
			lr->recovering = true; /* a card left inside goes to the reject box first */
	} else {
		return fail(ret_err, -EINVAL,
			    R_("unknown line command '%s' (pause, resume, drain)"), cmd);
	}
	run_pump(d);
	return 0;
}

int
run_resolve(struct cetakd *d, const char *job_id, const char *verdict, const char *cause,
	    const char *actor, json_t **ret_data, char **ret_err)
{
	struct run *r = run_of(d);
	struct cycle_row c;
	struct line_run *lr;
	struct job_row row;
	char note[300], why[300];
	bool printed = !strcmp(verdict, "printed");
	const char *cs = cause && cause[0] ? cause : "gagal_cetak";

	if (!r || store_cycle_of_job(d->store, job_id, 1, &c) < 0 || !(lr = find_run(r, c.line)) ||
	    lr->mode != MODE_UNRESOLVED || lr->cycle != c.id)
		return fail(ret_err, -ENOENT, R_("job %s has no card of unknown outcome"), job_id);
	if (lr->op_out)
		return fail(ret_err, -EBUSY,
			    R_("line '%s' is still clearing its printer; try again"), c.line);
	if (!printed && strcmp(verdict, "spoiled"))
		return fail(ret_err, -EINVAL,
			    R_("say whether the card was 'printed' or 'spoiled'"));
	if (!printed && ledger_cause_from_name(cs) < 0)
		return fail(ret_err, -EINVAL, R_("unknown cause '%s'"), cs);
	store_get(d->store, job_id, &row);
	if (printed)
		snprintf(note, sizeof(note), "resolved by %s: the printed card was found", actor);
	else
		snprintf(note, sizeof(note), "resolved by %s: the card was spoiled (%s)", actor,
			 cs);
	/* a spoiled card had started printing: count 1 (ribbon, printer counter) */
	struct ledger_event e = { .kind = printed ? "issue" : "spoil",
				  .line = c.line,
				  .job = job_id,
				  .nik = row.nik,
				  .chip = c.chip[0] ? c.chip : NULL,
				  .cause = printed ? NULL : cs,
				  .actor = actor,
				  .note = note,
				  .count = printed ? 0 : 1 };
	if (ledger_record(d->ledger, &e, now_s(), NULL, why, sizeof(why)) < 0)
		return fail(ret_err, -EINVAL, R_("the ledger refused: %s"), why);
	cycle_close_move(d, c.id, printed ? "issued" : "spoiled", note, job_id, JS_MASK(JS_HELD),
			 printed ? JS_DONE : JS_QUEUED, NULL,
			 printed ? note : "requeued: its card was spoiled", actor);
	if (printed)
		count_today(lr);
	struct log_field f[] = { { "JOB_ID", job_id }, { "LINE", c.line } };
	log_emit(LOG_NOTICE, f, 2, "line '%s': job %s %s", c.line, job_id, note);
	lr->cycle = 0;
	line_to(lr, MODE_RUNNING, R_("job %s resolved %s by %s"), job_id, verdict, actor);
	lr->reason[0] = '\0';
	prepared_free(&lr->cur);
	memset(&lr->cur, 0, sizeof(lr->cur));
	*ret_data = json_pack("{s:s, s:s, s:s}", "job", job_id, "line", c.line, "outcome", verdict);
	cetakd_alerts(d);
	run_pump(d);
	return 0;
}

int
run_cards_in_flight(struct cetakd *d)
{
	struct run *r = run_of(d);
	int n = 0;

	for (int i = 0; r && i < r->n; i++)
		n += r->lines[i].cycle != 0;
	return n;
}

void
run_summary(struct cetakd *d, char *buf, size_t len)
{
	struct run *r = run_of(d);
	size_t used = 0;
	long long queued = 0;

	store_count(d->store, JS_MASK(JS_QUEUED), ~0u, &queued);
	used = (size_t)snprintf(buf, len, R_("%lld queued"), queued);
	for (int i = 0; r && i < r->n && used < len; i++) {
		struct line *l = find_line(d, r->lines[i].name);
		if (!l)
			continue;
		const struct line_run *lr = &r->lines[i];
		const char *st = run_state(d, lr, l);
		const char *why = run_reason(r, lr, l);
		bool say_why = why[0] && strcmp(st, "printing") && strcmp(st, "idle") &&
			       strcmp(st, "paused") && strcmp(st, "disabled");
		used += (size_t)snprintf(buf + used, len - used, "; %s %s%s%s%s%.60s%s", lr->name,
					 st, lr->cycle ? " " : "",
					 lr->cycle ? lr->cur.row.job_id : "", say_why ? " (" : "",
					 say_why ? why : "", say_why ? ")" : "");
	}
}
