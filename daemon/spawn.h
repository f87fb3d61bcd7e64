/*
 * spawn.h - helper processes of cetakd (the alert command).
 *
 * A helper gets its input on stdin and is never waited for: the event loop
 * reaps it when SIGCHLD arrives (through the signal fd), logs how it ended,
 * and kills one that runs longer than its limit. Only the processes started
 * here are reaped: nothing else's child is taken.
 */
#ifndef CETAK_SPAWN_H
#define CETAK_SPAWN_H

#include <stddef.h>

#define SPAWN_MAX 16 /* helpers running at once; more are refused and logged */

struct spawner;

int spawner_new(struct spawner **ret);
/* Kill what still runs and free. NULL is fine. */
void spawner_free(struct spawner *s);
/*
 * Run path (no shell) with input on its stdin; what names it in the log.
 * Returns 0, or -errno with the reason logged. A helper still running
 * after limit_s seconds is killed (spawner_reap notices).
 */
int spawner_run(struct spawner *s, const char *what, const char *path, const char *input,
		int limit_s);
/* Reap the helpers that ended (on SIGCHLD and on a timer); kill the overdue. */
void spawner_reap(struct spawner *s);
/* Helpers running now. */
int spawner_running(const struct spawner *s);

#endif
