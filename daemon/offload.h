/*
 * offload.h - work that must not run on the event loop's thread.
 *
 * Decoding a photo, rendering a card face and signing the card data take
 * from milliseconds to (bounded) seconds; the loop answers the control
 * socket and pings the watchdog, so it never does them itself. An offload
 * is one thread with a FIFO of tasks: work(arg) runs on that thread, then
 * done(arg, true) runs on the loop's thread (through an eventfd), in
 * submission order. work touches no database and nothing the loop changes
 * meanwhile; what it reads is owned by the task or held by reference.
 */
#ifndef CETAK_OFFLOAD_H
#define CETAK_OFFLOAD_H

#include <stdbool.h>

struct ev_loop;
struct offload;

typedef void (*offload_work_fn)(void *arg);
/* ran is false for a task that offload_stop() dropped before it started. */
typedef void (*offload_done_fn)(void *arg, bool ran);

/* Start the thread (name shows in top -H). Returns 0 or -errno. */
int offload_start(struct ev_loop *loop, const char *name, struct offload **ret);
/* Queue a task. Returns 0, or -errno (then neither function is called). */
int offload_submit(struct offload *o, offload_work_fn work, offload_done_fn done, void *arg);
/* Tasks queued or running whose done has not run yet. */
int offload_pending(const struct offload *o);
/*
 * Let the task in hand finish, drop those not started, join the thread, and
 * call every outstanding done (ran true or false) on the calling thread.
 * NULL is fine.
 */
void offload_stop(struct offload *o);

#endif
