/*
 * loop.h - the one event loop of cetakd (epoll).
 *
 * File descriptors, periodic timers (timerfd) and signals (signalfd) are all
 * events; callbacks run on the loop's thread, one at a time. Nothing sleeps.
 * Plumbing returns 0 or -errno.
 */
#ifndef CETAK_LOOP_H
#define CETAK_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct ev_loop;
struct ev_source;

/* Called with the ready epoll events (EPOLLIN, EPOLLOUT, EPOLLHUP, ...). */
typedef void (*ev_fd_cb)(struct ev_source *src, int fd, uint32_t events, void *data);
/* Called once per expiry of a timer (missed expiries are coalesced). */
typedef void (*ev_timer_cb)(struct ev_source *src, void *data);
/* Called with the signal number. */
typedef void (*ev_signal_cb)(int signo, void *data);

/* Create a loop. Returns 0 and *ret_loop, or -errno. Free with ev_loop_free. */
int ev_loop_new(struct ev_loop **ret_loop);
/* Frees the loop and every source still registered; does not close watched fds. NULL is fine. */
void ev_loop_free(struct ev_loop *loop);

/* Watch fd (borrowed: the caller closes it after ev_source_free). */
int ev_add_fd(struct ev_loop *loop, int fd, uint32_t events, ev_fd_cb cb, void *data,
	      struct ev_source **ret_src);
int ev_fd_set_events(struct ev_source *src, uint32_t events);
/* Periodic timer every interval_ms (> 0); the first expiry after interval_ms. */
int ev_add_timer(struct ev_loop *loop, uint64_t interval_ms, ev_timer_cb cb, void *data,
		 struct ev_source **ret_src);
/* Block the given signals and deliver them as events. */
int ev_add_signals(struct ev_loop *loop, const int *signals, int n, ev_signal_cb cb, void *data);

/* Unregister and free a source; safe from inside its own callback. NULL is fine. */
void ev_source_free(struct ev_source *src);

/* Run until ev_loop_exit(); returns 0, or -errno on an epoll failure. */
int ev_loop_run(struct ev_loop *loop);
/* Wait at most timeout_ms (-1: forever) for events and dispatch one batch.
 * Returns the number of events dispatched, or -errno. */
int ev_loop_iterate(struct ev_loop *loop, int timeout_ms);
void ev_loop_exit(struct ev_loop *loop);
/* Has ev_loop_exit() been called (for a caller that iterates itself)? */
bool ev_loop_exiting(const struct ev_loop *loop);

/* Monotonic clock in milliseconds. */
uint64_t ev_now_ms(void);

#endif
