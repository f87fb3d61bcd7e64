/*
 * offload.c - one thread and a FIFO of tasks whose results return to the
 * event loop (offload.h).
 */
#define _GNU_SOURCE
#include "offload.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "loop.h"

struct task {
	struct task *next;
	offload_work_fn work;
	offload_done_fn done;
	void *arg;
};

struct offload {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int efd;
	struct ev_source *src;
	bool quit;
	unsigned delay_ms;	       /* fault injection for tests (offload_start) */
	int pending;		       /* submitted, done not called yet (loop thread only) */
	struct task *todo, **todo_end; /* not started */
	struct task *fin, **fin_end;   /* finished, done not called */
};

static void
append(struct task ***end, struct task *t)
{
	t->next = NULL;
	**end = t;
	*end = &t->next;
}

static void *
thread_main(void *data)
{
	struct offload *o = data;
	uint64_t one = 1;

	/* background work: the loop and the line's worker, whose latency is
	 * the printer's idle time, come first when the CPUs are busy */
	setpriority(PRIO_PROCESS, (id_t)gettid(), 5);
	pthread_mutex_lock(&o->mu);
	for (;;) {
		while (!o->todo && !o->quit)
			pthread_cond_wait(&o->cv, &o->mu);
		if (o->quit)
			break;
		struct task *t = o->todo;
		o->todo = t->next;
		if (!o->todo)
			o->todo_end = &o->todo;
		pthread_mutex_unlock(&o->mu);
		if (o->delay_ms)
			usleep(o->delay_ms * 1000);
		t->work(t->arg);
		pthread_mutex_lock(&o->mu);
		append(&o->fin_end, t);
		if (write(o->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow here; the loop reads it soon */
		}
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

/* Take the finished list (under the lock) and run each done, in order. */
static void
deliver(struct offload *o)
{
	pthread_mutex_lock(&o->mu);
	struct task *t = o->fin;
	o->fin = NULL;
	o->fin_end = &o->fin;
	pthread_mutex_unlock(&o->mu);
	while (t) {
		struct task *next = t->next;
		o->pending--;
		t->done(t->arg, true);
		free(t);
		t = next;
	}
}

static void
on_ready(struct ev_source *src, int fd, uint32_t events, void *data)
{
	uint64_t n;

	(void)src;
	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	deliver(data);
}

int
offload_start(struct ev_loop *loop, const char *name, struct offload **ret)
{
	struct offload *o = calloc(1, sizeof(*o));
	int r;

	if (!o)
		return -ENOMEM;
	o->todo_end = &o->todo;
	o->fin_end = &o->fin;
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
	o->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (o->efd < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = ev_add_fd(loop, o->efd, EPOLLIN, on_ready, o, &o->src)) < 0)
		goto fail;
	if ((r = -pthread_create(&o->th, NULL, thread_main, o)) < 0)
		goto fail;
	pthread_setname_np(o->th, name);
	/* Tests make the work slow to show that the loop does not wait for it:
	 * CETAKD_TEST_OFFLOAD_DELAY="PREFIX:MS" delays each task of the threads
	 * whose name starts with PREFIX ("prep", "intake"). */
	const char *inj = getenv("CETAKD_TEST_OFFLOAD_DELAY");
	const char *colon = inj ? strchr(inj, ':') : NULL;
	if (colon && strncmp(name, inj, (size_t)(colon - inj)) == 0)
		o->delay_ms = (unsigned)strtoul(colon + 1, NULL, 10);
	*ret = o;
	return 0;
fail:
	ev_source_free(o->src);
	if (o->efd >= 0)
		close(o->efd);
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->cv);
	free(o);
	return r;
}

int
offload_submit(struct offload *o, offload_work_fn work, offload_done_fn done, void *arg)
{
	struct task *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->work = work;
	t->done = done;
	t->arg = arg;
	pthread_mutex_lock(&o->mu);
	append(&o->todo_end, t);
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
	o->pending++;
	return 0;
}

int
offload_pending(const struct offload *o)
{
	return o ? o->pending : 0;
}

void
offload_stop(struct offload *o)
{
	if (!o)
		return;
	pthread_mutex_lock(&o->mu);
	o->quit = true;
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
	pthread_join(o->th, NULL);
	deliver(o);
	for (struct task *t = o->todo, *next; t; t = next) {
		next = t->next;
		t->done(t->arg, false);
		free(t);
	}
	ev_source_free(o->src);
	close(o->efd);
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->cv);
	free(o);
}
