/*
 * spool.c - maildir-style intake: scan new/, validate, commit, then unlink.
 *
 * One batch: list new/ (oldest first), for each file open it O_NOFOLLOW,
 * check it is regular and small enough, read, hash (SHA-256), validate
 * (job_parse), decide its initial state (sched_intake) and add it to the
 * store, all inside one transaction; COMMIT (fsync'd by SQLite); then unlink
 * the committed files and fsync new/. Refused files go to rejected/ with a
 * .reason file, durably, before they leave new/.
 */
#define _GNU_SOURCE
#include "common/i18n.h"
#include "spool.h"
#include "common/log.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <ctype.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct entry {
	char *name;
	struct timespec mtime;
};

struct spool {
	int dirfd, tmpfd, newfd, rejfd;
	int ino;
	char *dir;
	/* new/ listed oldest first once per run, consumed a batch at a time */
	struct entry *pending;
	size_t npending, next;
	/* validation workers, alive as long as the spool: per-thread state such
	 * as pango's font map is built once, not once per batch */
	pthread_t workers[3];
	int nworkers;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct pool *batch;  /* the batch being validated, NULL when idle */
	unsigned generation; /* bumped for each batch */
	int busy;	     /* workers still on the current batch */
	int quit;
	int pool_started;
};

static void free_entries(struct entry *v, size_t n);
static void pool_start(struct spool *sp);
static void pool_stop(struct spool *sp);

static int
open_subdir(int dirfd, const char *name)
{
	if (mkdirat(dirfd, name, 0770) < 0 && errno != EEXIST)
		return -errno;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int
spool_open(const char *dir, struct spool **ret_spool)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	int r;

	if (!sp)
		return -ENOMEM;
	sp->tmpfd = sp->newfd = sp->rejfd = sp->ino = -1;
	sp->dir = strdup(dir);
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0) {
		r = -errno;
		goto fail;
	}
	if ((sp->tmpfd = open_subdir(sp->dirfd, "tmp")) < 0) {
		r = sp->tmpfd;
		goto fail;
	}
	if ((sp->newfd = open_subdir(sp->dirfd, "new")) < 0) {
		r = sp->newfd;
		goto fail;
	}
	if ((sp->rejfd = open_subdir(sp->dirfd, "rejected")) < 0) {
		r = sp->rejfd;
		goto fail;
	}
	/* jansson seeds its hash function lazily; do it before any worker thread. */
	json_object_seed(0);
	sp->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (sp->ino < 0) {
		r = -errno;
		goto fail;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/new", dir);
	if (inotify_add_watch(sp->ino, path, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		r = -errno;
		goto fail;
	}
	pool_start(sp);
	sp->pool_started = 1;
	*ret_spool = sp;
	return 0;
fail:
	spool_close(sp);
	return r;
}

void
spool_close(struct spool *sp)
{
	if (!sp)
		return;
	if (sp->pool_started)
		pool_stop(sp);
	int fds[] = { sp->dirfd, sp->tmpfd, sp->newfd, sp->rejfd, sp->ino };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free_entries(sp->pending, sp->npending);
	free(sp->dir);
	free(sp);
}

int
spool_watch_fd(const struct spool *sp)
{
	return sp->ino;
}

int
spool_drain_events(struct spool *sp)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int due = 0;

	while (read(sp->ino, buf, sizeof(buf)) > 0)
		due = 1;
	return due;
}

/*
 * Move fromfd/name to rejected/ with its reason: the .reason file first
 * (durable), then the rename, then fsync of both directories. An existing
 * rejected file of that name is never overwritten: a suffix is added.
 */
/* Is name safe to reuse in rejected/ and in its .reason file's name? */
static bool
plain_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 200)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-+@=", *p))
			return false;
	return true;
}

/* text with every byte outside printable ASCII (and the backslash) as \xNN:
 * what a sender wrote can never become a line of its own. */
static void
escape(const char *text, char *out, size_t len)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p && o + 5 < len; p++) {
		if (*p >= 0x20 && *p < 0x7F && *p != '\\')
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, len - o, "\\x%02X", *p);
	}
	out[o] = '\0';
}

/*
 * Move fromfd/name to rejected/ with its reason: the .reason file first
 * (durable), then the rename, then fsync of both directories. An existing
 * rejected file of that name is never overwritten: a suffix is added. A
 * name that is too long for its companion, or has bytes other than letters,
 * digits and ._-+@=, is stored under a name of cetakd's own; the original
 * is in the .reason file, escaped, like the reason itself.
 */
static int
reject(struct spool *sp, int fromfd, const char *name, const char *why, long long now)
{
	char target[300], base[240], rname[320], text[2048], when[40], ename[1100], ewhy[700];
	time_t t = (time_t)now;
	struct tm tm;
	int r;

	escape(name, ename, sizeof(ename));
	escape(why, ewhy, sizeof(ewhy));
	if (plain_name(name))
		snprintf(base, sizeof(base), "%s", name);
	else
		snprintf(base, sizeof(base), "renamed-%lld", now);
	snprintf(target, sizeof(target), "%s", base);
	for (int i = 1; faccessat(sp->rejfd, target, F_OK, AT_SYMLINK_NOFOLLOW) == 0; i++)
		snprintf(target, sizeof(target), "%s.%d", base, i);
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", &tm);
	snprintf(rname, sizeof(rname), "%s.reason", target);
	int n = snprintf(text, sizeof(text), "file: %s\nrejected: %s\nreason: %s\n", ename, when,
			 ewhy);
	char tmp[340];
	snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", rname, (int)getpid());
	if ((r = spool_put(sp->rejfd, tmp, sp->rejfd, rname, text, (size_t)n, 0640)) < 0)
		return r;
	if (renameat(fromfd, name, sp->rejfd, target) < 0)
		return -errno;
	if (fsync(sp->rejfd) < 0 || fsync(fromfd) < 0)
		return -errno;
	struct log_field f[] = { { "SPOOL_FILE", ename } };
	log_emit(LOG_WARNING, f, 1, "spool: %s: %s; moved to rejected/%s", ename, ewhy, target);
	return 0;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* List the visible entries of dirfd, oldest first. */
static int
list_dir(int dirfd, struct entry **ret, size_t *ret_n)
{
	int fd = dup(dirfd);
	DIR *d;
	struct dirent *de;
	struct entry *v = NULL;
	size_t n = 0, cap = 0;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			struct entry *p = realloc(v, cap * sizeof(*v));
			if (!p)
				break;
			v = p;
		}
		v[n].name = strdup(de->d_name);
		v[n].mtime = st.st_mtim;
		if (v[n].name)
			n++;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), entry_cmp);
	*ret = v;
	*ret_n = n;
	return 0;
}

static void
free_entries(struct entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* Read new/name if it is a regular file within max bytes; reason in why otherwise. */
static int
read_job_file(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len, char *why,
	      size_t whylen)
{
	struct stat st;
	char *buf;
	size_t off = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;
		if (e == ELOOP) {
			snprintf(why, whylen, R_("a symbolic link, not a job file"));
			return -EINVAL;
		}
		snprintf(why, whylen, R_("cannot open: %s"), strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(why, whylen, R_("not a regular file"));
		return -EINVAL;
	}
	if ((size_t)st.st_size > max) {
		close(fd);
		snprintf(why, whylen,
			 R_("%lld bytes, larger than the limit of %zu (spool.max_job_bytes)"),
			 (long long)st.st_size, max);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (off < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	if (off != (size_t)st.st_size) {
		free(buf);
		snprintf(why, whylen, R_("short read (the file changed while being read)"));
		return -EAGAIN;
	}
	*ret = buf;
	*ret_len = off;
	return 0;
}

enum outcome { O_NONE, O_ADDED, O_SAME, O_REJECT, O_RETRY };

struct item {
	const char *name;
	enum outcome outcome;
	char why[512];
	char *buf; /* the file, while it is being validated */
	size_t len;
	uint8_t sha[32];
	struct job *job; /* validated */
};

/* Read the file, or decide it is refused or must wait. */
static void
item_read(struct spool *sp, const struct spool_limits *lim, struct item *it)
{
	int r = read_job_file(sp->newfd, it->name, lim->max_job_bytes, &it->buf, &it->len, it->why,
			      sizeof(it->why));
	if (r == -EINVAL)
		it->outcome = O_REJECT;
	else if (r == -ENOENT)
		it->outcome = O_NONE; /* taken away meanwhile (imported by an earlier run) */
	else if (r < 0)
		it->outcome = O_RETRY;
}

/* Phase 2 (any thread): read, validate and hash. Touches nothing but the item. */
static void
item_validate(struct spool *sp, const struct spool_limits *lim, const struct job_policy *jpol,
	      struct item *it)
{
	item_read(sp, lim, it);
	if (!it->buf)
		return;
	if (job_parse(it->buf, it->len, jpol, &it->job, it->why, sizeof(it->why)) < 0) {
		it->outcome = O_REJECT;
		return;
	}
	if (lim->check && lim->check(lim->check_ctx, it->job, it->why, sizeof(it->why)) < 0) {
		job_free(it->job);
		it->job = NULL;
		it->outcome = O_REJECT;
		return;
	}
	EVP_Digest(it->buf, it->len, it->sha, NULL, EVP_sha256(), NULL);
}

struct pool {
	struct item *items;
	size_t n;
	size_t next; /* atomically claimed */
	struct spool *sp;
	const struct spool_limits *lim;
	const struct job_policy *jpol;
};

static void
pool_run(struct pool *p)
{
	size_t i;

	while ((i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED)) < p->n)
		item_validate(p->sp, p->lim, p->jpol, &p->items[i]);
}

static void *
pool_worker(void *arg)
{
	struct spool *sp = arg;
	unsigned seen = 0;

	pthread_mutex_lock(&sp->mu);
	for (;;) {
		while (!sp->quit && sp->generation == seen)
			pthread_cond_wait(&sp->work, &sp->mu);
		if (sp->quit)
			break;
		seen = sp->generation;
		struct pool *p = sp->batch;
		pthread_mutex_unlock(&sp->mu);
		pool_run(p);
		pthread_mutex_lock(&sp->mu);
		if (--sp->busy == 0)
			pthread_cond_signal(&sp->done);
	}
	pthread_mutex_unlock(&sp->mu);
	return NULL;
}

static void
pool_start(struct spool *sp)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int want = cpus > 4 ? 3 : cpus > 1 ? (int)cpus - 1 : 0;

	pthread_mutex_init(&sp->mu, NULL);
	pthread_cond_init(&sp->work, NULL);
	pthread_cond_init(&sp->done, NULL);
	for (int i = 0; i < want; i++)
		if (pthread_create(&sp->workers[sp->nworkers], NULL, pool_worker, sp) == 0)
			sp->nworkers++;
}

static void
pool_stop(struct spool *sp)
{
	pthread_mutex_lock(&sp->mu);
	sp->quit = 1;
	pthread_cond_broadcast(&sp->work);
	pthread_mutex_unlock(&sp->mu);
	for (int i = 0; i < sp->nworkers; i++)
		pthread_join(sp->workers[i], NULL);
	pthread_mutex_destroy(&sp->mu);
	pthread_cond_destroy(&sp->work);
	pthread_cond_destroy(&sp->done);
}

/* Validate the batch on the workers and the calling thread; returns when all are done. */
static void
validate_all(struct spool *sp, const struct spool_limits *lim, struct item *items, size_t n,
	     const struct job_policy *jpol)
{
	struct pool p = { items, n, 0, sp, lim, jpol };

	if (n >= 8 && sp->nworkers > 0) {
		pthread_mutex_lock(&sp->mu);
		sp->batch = &p;
		sp->busy = sp->nworkers;
		sp->generation++;
		pthread_cond_broadcast(&sp->work);
		pthread_mutex_unlock(&sp->mu);
	}
	pool_run(&p);
	if (n >= 8 && sp->nworkers > 0) {
		pthread_mutex_lock(&sp->mu);
		while (sp->busy > 0)
			pthread_cond_wait(&sp->done, &sp->mu);
		sp->batch = NULL;
		pthread_mutex_unlock(&sp->mu);
	}
}

/* Phase 3 (loop thread): decide the initial state and add it to the open transaction. */
static int
item_stage(struct store *st, const struct sched_policy *spol, long long now, struct item *it)
{
	char reason[256];
	struct job_row old;
	const char *hold = NULL;
	enum store_add_result res;
	struct job *job = it->job;
	int r;

	if (!job)
		return 0;
	enum job_state state = sched_intake(st, spol, job, &hold, reason, sizeof(reason));
	r = store_add(st, job, it->buf, it->len, it->sha, state, hold, reason, now, &res, &old);
	if (r < 0)
		return r;
	if (res == STORE_CONFLICT) {
		snprintf(it->why, sizeof(it->why),
			 "job_id %s was already received with different "
			 "content (stored job is %s); refused",
			 job->job_id, job_state_name(old.state));
		it->outcome = O_REJECT;
		return 0;
	}
	it->outcome = res == STORE_ADDED ? O_ADDED : O_SAME;
	snprintf(it->why, sizeof(it->why), "%s", job->job_id);
	if (res == STORE_ADDED && state == JS_HELD) {
		struct log_field f[] = { { "JOB_ID", job->job_id } };
		log_emit(LOG_NOTICE, f, 1, "job %s: %s; held", job->job_id, reason);
	}
	return 0;
}

static void
item_done(struct item *it)
{
	job_free(it->job);
	free(it->buf);
	it->job = NULL;
	it->buf = NULL;
}

struct spool_batch {
	struct item *items;
	size_t n;
	bool more; /* files remain after this batch */
};

void
spool_batch_free(struct spool_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		item_done(&b->items[i]);
	free(b->items);
	free(b);
}

int
spool_read_batch(struct spool *sp, const struct spool_limits *lim, const struct job_policy *jpol,
		 struct spool_batch **ret)
{
	struct spool_batch *b;
	size_t take;
	int r;

	*ret = NULL;
	if (sp->next >= sp->npending) {
		/* A new run: list new/ once, oldest first (a file that arrives meanwhile
		 * raises inotify and is picked up by the next run). */
		free_entries(sp->pending, sp->npending);
		sp->pending = NULL;
		sp->npending = sp->next = 0;
		if ((r = list_dir(sp->newfd, &sp->pending, &sp->npending)) < 0)
			return r;
	}
	take = sp->npending - sp->next;
	if (take > (size_t)lim->batch)
		take = (size_t)lim->batch;
	if (take == 0)
		return 0;
	b = calloc(1, sizeof(*b));
	if (!b || !(b->items = calloc(take, sizeof(*b->items)))) {
		free(b);
		return -ENOMEM;
	}
	b->n = take;
	/* the names stay valid until the next run lists new/ again, which is
	 * after this batch is committed */
	for (size_t i = 0; i < take; i++)
		b->items[i].name = sp->pending[sp->next + i].name;
	/* This batch is consumed whatever happens: a failed file waits for the next run. */
	sp->next += take;
	b->more = sp->next < sp->npending;
	validate_all(sp, lim, b->items, take, jpol);
	*ret = b;
	return 0;
}

int
spool_commit_batch(struct spool *sp, struct store *st, const struct sched_policy *spol,
		   long long now, struct spool_batch *b, struct spool_stats *stats)
{
	struct item *items = b->items;
	size_t take = b->n;
	int r;

	if ((r = store_begin(st)) < 0) {
		log_error("spool: job store %s failed (%s); files stay in new/", store_path(st),
			  store_errmsg(st));
		stats->failed += (long)take;
		goto out;
	}
	for (size_t i = 0; i < take && r == 0; i++)
		r = item_stage(st, spol, now, &items[i]);
	if (r == 0)
		r = store_commit(st);
	if (r < 0) {
		/* Nothing leaves new/: the whole batch is retried on the next scan. The
		 * cause is read before the rollback, which would replace it. */
		char cause[300];
		snprintf(cause, sizeof(cause), "%s", store_errmsg(st));
		store_rollback(st);
		log_error("spool: job store %s failed (%s); %zu files stay in new/ and are retried",
			  store_path(st), cause, take);
		stats->failed += (long)take;
		goto out;
	}
	/* Committed: now the files may leave new/. */
	int unlinked = 0;
	for (size_t i = 0; i < take; i++) {
		struct item *it = &items[i];
		switch (it->outcome) {
		case O_ADDED:
		case O_SAME:
			if (unlinkat(sp->newfd, it->name, 0) == 0)
				unlinked++;
			if (it->outcome == O_ADDED) {
				stats->imported++;
			} else {
				struct log_field f[] = { { "JOB_ID", it->why } };
				stats->duplicates++;
				log_emit(LOG_NOTICE, f, 1,
					 "job %s: identical copy %s received again; "
					 "dropped",
					 it->why, it->name);
			}
			break;
		case O_REJECT:
			if (reject(sp, sp->newfd, it->name, it->why, now) == 0)
				stats->rejected++;
			else
				stats->failed++;
			break;
		case O_NONE:
			break;
		default:
			stats->failed++;
			log_warn("spool: %s: %s; left in new/ and retried at the next scan",
				 it->name, it->why);
			break;
		}
	}
	if (unlinked && fsync(sp->newfd) < 0)
		log_warn("spool: fsync of new/ failed: %s", strerror(errno));
	r = b->more;
out:
	spool_batch_free(b);
	return r;
}

int
spool_import(struct spool *sp, struct store *st, const struct spool_limits *lim,
	     const struct job_policy *jpol, const struct sched_policy *spol, long long now,
	     struct spool_stats *stats)
{
	struct spool_batch *b;
	int r = spool_read_batch(sp, lim, jpol, &b);

	if (r < 0 || !b)
		return r;
	return spool_commit_batch(sp, st, spol, now, b, stats);
}

int
spool_sweep_tmp(struct spool *sp, long long max_age_s, long long now)
{
	struct entry *ents;
	size_t n;
	int moved = 0;
	char why[160];

	if (list_dir(sp->tmpfd, &ents, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		long long age = now - (long long)ents[i].mtime.tv_sec;
		if (age <= max_age_s)
			continue;
		snprintf(why, sizeof(why),
			 R_("left in tmp/ for %lld s and never handed off to new/ "
			    "(spool.tmp_max_age is %lld s)"),
			 age, max_age_s);
		if (reject(sp, sp->tmpfd, ents[i].name, why, now) == 0)
			moved++;
	}
	free_entries(ents, n);
	return moved;
}
