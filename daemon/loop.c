/*
 * loop.c - epoll event loop with timerfd timers and a signalfd.
 *
 * Sources freed during dispatch are only marked dead and reaped after the
 * current epoll batch, so a callback may free any source, its own included.
 */
#define _GNU_SOURCE
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum ev_kind { EV_FD, EV_TIMER, EV_SIGNAL };

struct ev_source {
	struct ev_loop *loop;
	enum ev_kind kind;
	int fd;
	bool owns_fd; /* timerfd and signalfd are ours to close */
	bool dead;
	void *data;
	union {
		ev_fd_cb fd;
		ev_timer_cb timer;
		ev_signal_cb signal;
	} cb;
	struct ev_source *next; /* all sources, for reaping and freeing */
};

struct ev_loop {
	int epfd;
	bool quit;
	struct ev_source *sources;
};

uint64_t
ev_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
ev_loop_new(struct ev_loop **ret_loop)
{
	struct ev_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int r = -errno;
		free(l);
		return r;
	}
	*ret_loop = l;
	return 0;
}

static void
ev_source_destroy(struct ev_source *s)
{
	if (s->owns_fd && s->fd >= 0)
		close(s->fd);
	free(s);
}

void
ev_loop_free(struct ev_loop *loop)
{
	if (!loop)
		return;
	for (struct ev_source *s = loop->sources, *n; s; s = n) {
		n = s->next;
		ev_source_destroy(s);
	}
	close(loop->epfd);
	free(loop);
}

static int
ev_register(struct ev_loop *loop, struct ev_source *s, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = s };

	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0)
		return -errno;
	s->loop = loop;
	s->next = loop->sources;
	loop->sources = s;
	return 0;
}

int
ev_add_fd(struct ev_loop *loop, int fd, uint32_t events, ev_fd_cb cb, void *data,
	  struct ev_source **ret_src)
{
	struct ev_source *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->kind = EV_FD;
	s->fd = fd;
	s->cb.fd = cb;
	s->data = data;
	r = ev_register(loop, s, events);
	if (r < 0) {
		free(s);
		return r;
	}
	if (ret_src)
		*ret_src = s;
	return 0;
}

int
ev_fd_set_events(struct ev_source *src, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	if (epoll_ctl(src->loop->epfd, EPOLL_CTL_MOD, src->fd, &ev) < 0)
		return -errno;
	return 0;
}

int
ev_add_timer(struct ev_loop *loop, uint64_t interval_ms, ev_timer_cb cb, void *data,
	     struct ev_source **ret_src)
{
	struct itimerspec its = { 0 };
	struct ev_source *s;
	int fd, r;

	if (interval_ms == 0)
		return -EINVAL;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	its.it_interval.tv_sec = (time_t)(interval_ms / 1000);
	its.it_interval.tv_nsec = (long)(interval_ms % 1000) * 1000000;
	its.it_value = its.it_interval;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		r = -errno;
		goto close_fd;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		r = -ENOMEM;
		goto close_fd;
	}
	s->kind = EV_TIMER;
	s->fd = fd;
	s->owns_fd = true;
	s->cb.timer = cb;
	s->data = data;
	r = ev_register(loop, s, EPOLLIN);
	if (r < 0) {
		free(s);
		goto close_fd;
	}
	if (ret_src)
		*ret_src = s;
	return 0;
close_fd:
	close(fd);
	return r;
}

int
ev_add_signals(struct ev_loop *loop, const int *signals, int n, ev_signal_cb cb, void *data)
{
	struct ev_source *s;
	sigset_t mask;
	int fd, r;

	sigemptyset(&mask);
	for (int i = 0; i < n; i++)
		sigaddset(&mask, signals[i]);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->kind = EV_SIGNAL;
	s->fd = fd;
	s->owns_fd = true;
	s->cb.signal = cb;
	s->data = data;
	r = ev_register(loop, s, EPOLLIN);
	if (r < 0) {
		ev_source_destroy(s);
		return r;
	}
	return 0;
}

void
ev_source_free(struct ev_source *src)
{
	if (!src || src->dead)
		return;
	epoll_ctl(src->loop->epfd, EPOLL_CTL_DEL, src->fd, NULL);
	src->dead = true;
}

void
ev_loop_exit(struct ev_loop *loop)
{
	loop->quit = true;
}

bool
ev_loop_exiting(const struct ev_loop *loop)
{
	return loop->quit;
}

static void
ev_dispatch(struct ev_source *s, uint32_t events)
{
	if (s->dead)
		return;
	switch (s->kind) {
	case EV_FD:
		s->cb.fd(s, s->fd, events, s->data);
		break;
	case EV_TIMER: {
		uint64_t expiries;
		if (read(s->fd, &expiries, sizeof(expiries)) == (ssize_t)sizeof(expiries))
			s->cb.timer(s, s->data);
		break;
	}
	case EV_SIGNAL: {
		struct signalfd_siginfo si;
		while (read(s->fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			s->cb.signal((int)si.ssi_signo, s->data);
		break;
	}
	}
}

static void
ev_reap(struct ev_loop *loop)
{
	struct ev_source **pp = &loop->sources;

	while (*pp) {
		struct ev_source *s = *pp;
		if (s->dead) {
			*pp = s->next;
			ev_source_destroy(s);
		} else {
			pp = &s->next;
		}
	}
}

int
ev_loop_iterate(struct ev_loop *loop, int timeout_ms)
{
	struct epoll_event evs[32];
	int n = epoll_wait(loop->epfd, evs, 32, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++)
		ev_dispatch(evs[i].data.ptr, evs[i].events);
	ev_reap(loop);
	return n;
}

int
ev_loop_run(struct ev_loop *loop)
{
	loop->quit = false;
	while (!loop->quit) {
		int r = ev_loop_iterate(loop, -1);
		if (r < 0)
			return r;
	}
	return 0;
}
