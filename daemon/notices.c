/*
 * notices.c - cetakd's notice rounds: SMS to holders whose card is stored.
 *
 * Every notice.round_interval seconds (and on `cetakctl notice run`) a round
 * reads back what gammu-smsd did with the notices it was given, then hands
 * it the notices now due: first their rows are committed (the durable
 * intent), then their files are staged, flushed once and renamed into the
 * outbox (notice/notice.h). A crash between the two leaves rows whose file
 * never reached the outbox; the next round finds them in none of gammu's
 * folders, records them failed and sends them again. A card collected while
 * its notice still waits in the outbox has the notice taken back.
 */
#define _GNU_SOURCE
#include "notices.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/custody.h"
#include "jobs/job.h"
#include "notice/notice.h"

/* Notices settled or handed over per round at most; the rest in the next. */
#define ROUND_MAX 20000

static int
open_dirs(const struct cetakd *d, struct notice_dirs *nd, char *why, size_t whylen)
{
	const struct cetak_config *c = d->cfg;

	return notice_dirs_open(nd, c->notice_outbox, c->notice_sent, c->notice_error, why, whylen);
}

/* ---- reading back ---- */

struct pending {
	long long id;
	int n;
	char file[128];
	enum custody_state card;
};

struct pending_list {
	struct pending *v;
	size_t n, cap;
};

/* p (n used of *cap elements of size bytes), with room for one more: p
 * itself, or a larger copy; NULL (p untouched) when memory is short. */
static void *
grow(void *p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return p;
	size_t c = *cap ? *cap * 2 : 64;
	void *np = realloc(p, c * size);
	if (np)
		*cap = c;
	return np;
}

static int
collect_open(const struct notice_row *row, void *ctx)
{
	struct pending_list *pl = ctx;

	struct pending *v = grow(pl->v, pl->n, &pl->cap, sizeof(*pl->v));
	if (!v)
		return -ENOMEM;
	pl->v = v;
	struct pending *p = &pl->v[pl->n++];
	p->id = row->id;
	p->n = row->n;
	p->card = row->card;
	snprintf(p->file, sizeof(p->file), "%s", row->file);
	return 0;
}

static int
settle_all(struct cetakd *d, const struct notice_dirs *nd, long long now, struct notice_result *res)
{
	const struct cetak_config *c = d->cfg;
	struct pending_list pl = { 0 };
	int r;

	if ((r = store_notice_open(d->store, ROUND_MAX, collect_open, &pl)) < 0)
		goto out;
	if (pl.n == 0)
		goto out;
	if ((r = store_begin(d->store)) < 0)
		goto out;
	for (size_t i = 0; i < pl.n && r >= 0; i++) {
		struct pending *p = &pl.v[i];
		enum notice_fate f = p->file[0] ? notice_fate(nd, p->file) : NF_GONE;
		long long interval = (long long)c->notice_interval_days * 86400;
		switch (f) {
		case NF_SENT:
			r = store_notice_settle(d->store, p->id, "sent", "", now,
						p->n < c->notice_max ? now + interval : 0);
			res->sent++;
			break;
		case NF_FAILED:
			r = store_notice_settle(d->store, p->id, "failed",
						"gammu-smsd could not send it (its error folder)",
						now, now);
			res->failed++;
			break;
		case NF_GONE:
			r = store_notice_settle(d->store, p->id, "failed",
						"never reached gammu-smsd's outbox (cetakd stopped "
						"while handing it over)",
						now, now);
			res->failed++;
			break;
		case NF_QUEUED:
			if (p->card != CS_STORED && notice_withdraw(nd, p->file) == 0) {
				r = store_notice_settle(d->store, p->id, "withdrawn",
							"the card left storage before it was sent",
							now, 0);
				res->withdrawn++;
			} else {
				res->waiting++;
			}
			break;
		}
	}
	if (r < 0) {
		store_rollback(d->store);
		goto out;
	}
	if ((r = store_commit(d->store)) < 0)
		goto out;
	/* the results are on disk: gammu's copies (the holder's name) can go */
	for (size_t i = 0; i < pl.n; i++)
		if (pl.v[i].file[0])
			notice_forget(nd, pl.v[i].file);
out:
	free(pl.v);
	return r;
}

/* ---- handing over ---- */

struct outgoing {
	char job_id[JOB_ID_MAX + 1];
	char name[128];
	char phone[JOB_PHONE_MAX + 1];
	int n;
	char file[NOTICE_NAME_MAX];
	char *text;
};

struct due_list {
	struct outgoing *v;
	size_t n, cap;
	size_t no_phone;
	char (*none)[JOB_ID_MAX + 1]; /* cards without a usable number */
	size_t n_none, cap_none;
};

static int
collect_due(const struct notice_due *due, void *ctx)
{
	struct due_list *dl = ctx;
	char phone[JOB_PHONE_MAX + 1];

	if (!due->phone[0] || job_phone_normalize(due->phone, phone) < 0) {
		void *none = grow(dl->none, dl->n_none, &dl->cap_none, sizeof(*dl->none));
		if (!none)
			return -ENOMEM;
		dl->none = none;
		snprintf(dl->none[dl->n_none++], JOB_ID_MAX + 1, "%s", due->job_id);
		return 0;
	}
	struct outgoing *v = grow(dl->v, dl->n, &dl->cap, sizeof(*dl->v));
	if (!v)
		return -ENOMEM;
	dl->v = v;
	struct outgoing *o = &dl->v[dl->n++];
	memset(o, 0, sizeof(*o));
	snprintf(o->job_id, sizeof(o->job_id), "%s", due->job_id);
	snprintf(o->name, sizeof(o->name), "%s", due->name);
	memcpy(o->phone, phone, sizeof(phone));
	o->n = due->notices + 1;
	return 0;
}

static void
due_free(struct due_list *dl)
{
	for (size_t i = 0; i < dl->n; i++)
		free(dl->v[i].text);
	free(dl->v);
	free(dl->none);
}

static int
hand_over(struct cetakd *d, const struct notice_dirs *nd, long long now, int room,
	  struct notice_result *res, char *why, size_t whylen)
{
	const struct cetak_config *c = d->cfg;
	struct notice_vars vars = { .kantor = c->notice_office[0] ? c->notice_office
								  : c->station_office,
				    .jam = c->notice_opening_hours };
	struct due_list dl = { 0 };
	char text[NOTICE_TEXT_MAX * 4 + 1];
	const char **names = NULL;
	size_t staged = 0;
	int r;

	if ((r = store_notice_due(d->store, now, room, collect_due, &dl)) < 0) {
		snprintf(why, whylen, "job store: %s", store_errmsg(d->store));
		goto out;
	}
	for (size_t i = 0; i < dl.n; i++) {
		vars.nama = dl.v[i].name;
		if ((r = notice_render(c->notice_template, &vars, text, sizeof(text), why,
				       whylen)) < 0)
			goto out; /* the office's template: every card would fail alike */
		if (!(dl.v[i].text = strdup(text))) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (dl.n == 0 && dl.n_none == 0)
		goto out;
	/* the durable intent of every notice of the round, in one transaction */
	if ((r = store_begin(d->store)) < 0)
		goto out;
	for (size_t i = 0; i < dl.n_none && r >= 0; i++)
		r = store_notice_none(d->store, dl.none[i]);
	for (size_t i = 0; i < dl.n && r >= 0; i++) {
		struct outgoing *o = &dl.v[i];
		long long id;
		if ((r = store_notice_add(d->store, o->job_id, o->n, now, &id)) < 0)
			break;
		if ((r = notice_file_name(o->file, sizeof(o->file), now, o->phone, id)) < 0)
			break;
		r = store_notice_set_file(d->store, id, o->file);
	}
	if (r < 0) {
		snprintf(why, whylen, "job store: %s", store_errmsg(d->store));
		store_rollback(d->store);
		goto out;
	}
	if ((r = store_commit(d->store)) < 0) {
		snprintf(why, whylen, "job store: %s", store_errmsg(d->store));
		goto out;
	}
	res->no_phone += dl.n_none;
	if (!(names = calloc(dl.n ? dl.n : 1, sizeof(*names)))) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < dl.n; i++) {
		if ((r = notice_stage(nd, dl.v[i].file, dl.v[i].text)) < 0) {
			/* the rest stay queued without a file: failed and sent again next round */
			log_error("notices: cannot write %s into %s: %s", dl.v[i].file,
				  c->notice_outbox, strerror(-r));
			break;
		}
		names[staged++] = dl.v[i].file;
	}
	if ((r = notice_commit(nd, names, staged)) < 0) {
		snprintf(why, whylen, "gammu-smsd's outbox %s: %s", c->notice_outbox, strerror(-r));
		goto out;
	}
	res->handed += (long)staged;
	r = 0;
out:
	free(names);
	due_free(&dl);
	return r;
}

int
notices_round(struct cetakd *d, struct notice_result *res, char *why, size_t whylen)
{
	const struct cetak_config *c = d->cfg;
	struct notice_dirs nd;
	struct notice_hours hours;
	long long now = cetakd_now(d);
	int r;

	memset(res, 0, sizeof(*res));
	if (!c->notice_enabled) {
		snprintf(why, whylen, "SMS notices are off (notice.enabled = false in %s)",
			 c->path);
		return -ENOTCONN;
	}
	if ((r = open_dirs(d, &nd, why, whylen)) < 0)
		return r;
	if (notice_gateway_check(&nd, c->notice_smsd_pidfile, c->notice_outbox_max, why, whylen)) {
		notice_dirs_close(&nd);
		return -EAGAIN;
	}
	notice_sweep(&nd);
	if ((r = settle_all(d, &nd, now, res)) < 0) {
		snprintf(why, whylen, "job store: %s", store_errmsg(d->store));
		goto out;
	}
	notice_hours_parse(c->notice_send_hours, &hours);
	notice_holidays_parse(c->notice_holidays, &hours);
	if (!notice_may_send(&hours, now)) {
		res->quiet = true;
		goto out;
	}
	int room = c->notice_outbox_max - (int)res->waiting;
	if (room > ROUND_MAX)
		room = ROUND_MAX;
	if (room > 0)
		r = hand_over(d, &nd, now, room, res, why, whylen);
out:
	notice_dirs_close(&nd);
	return r;
}

void
notices_tick(struct cetakd *d)
{
	struct notice_result res;
	char why[256] = "";
	int r;

	if (!d->cfg->notice_enabled)
		return;
	r = notices_round(d, &res, why, sizeof(why));
	if (r < 0) {
		/* once per problem, not once a minute */
		if (strcmp(why, d->notice_problem) != 0)
			log_warn("notices: %s", why);
		snprintf(d->notice_problem, sizeof(d->notice_problem), "%s", why);
		return;
	}
	if (d->notice_problem[0])
		log_notice("notices: gammu-smsd takes notices again");
	d->notice_problem[0] = '\0';
	if (res.handed || res.sent || res.failed || res.withdrawn)
		log_notice(
			"notices: %ld handed to gammu-smsd, %ld sent, %ld failed, %ld taken back",
			res.handed, res.sent, res.failed, res.withdrawn);
	if (res.failed)
		log_warn("notices: %ld not sent by gammu-smsd; they go again in the next round",
			 res.failed);
}

void
notices_take_back(struct cetakd *d, const char *job_id)
{
	struct notice_dirs nd;
	struct pending_list pl = { 0 };
	char why[200];

	if (!d->cfg->notice_enabled || open_dirs(d, &nd, why, sizeof(why)) < 0)
		return;
	if (store_notice_of(d->store, job_id, collect_open, &pl) == 0)
		for (size_t i = 0; i < pl.n; i++) {
			if (!pl.v[i].file[0] || notice_fate(&nd, pl.v[i].file) != NF_QUEUED)
				continue;
			if (notice_withdraw(&nd, pl.v[i].file) == 0 && store_begin(d->store) == 0) {
				if (store_notice_settle(d->store, pl.v[i].id, "withdrawn",
							"the card left storage before it was sent",
							cetakd_now(d), 0) == 0)
					store_commit(d->store);
				else
					store_rollback(d->store);
			}
		}
	free(pl.v);
	notice_dirs_close(&nd);
}
