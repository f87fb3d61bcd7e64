/*
 * spawn.c - helper processes started without waiting, reaped by the loop
 * (spawn.h).
 */
#define _GNU_SOURCE
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

extern char **environ;

struct helper {
	pid_t pid;
	char what[48];
	time_t deadline;
	bool killed;
};

struct spawner {
	struct helper h[SPAWN_MAX];
};

int
spawner_new(struct spawner **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

void
spawner_free(struct spawner *s)
{
	if (!s)
		return;
	for (int i = 0; i < SPAWN_MAX; i++)
		if (s->h[i].pid > 0) {
			kill(s->h[i].pid, SIGKILL);
			waitpid(s->h[i].pid, NULL, 0);
		}
	free(s);
}

int
spawner_run(struct spawner *s, const char *what, const char *path, const char *input, int limit_s)
{
	struct helper *slot = NULL;
	posix_spawn_file_actions_t fa;
	sigset_t none;
	posix_spawnattr_t at;
	char *argv[] = { (char *)path, NULL };
	int p[2], r;
	pid_t pid;

	spawner_reap(s);
	for (int i = 0; i < SPAWN_MAX && !slot; i++)
		if (s->h[i].pid == 0)
			slot = &s->h[i];
	if (!slot) {
		log_warn("%s: %d helpers still running; %s not started", what, SPAWN_MAX, path);
		return -EAGAIN;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		r = -errno;
		log_warn("%s: cannot start %s: %s", what, path, strerror(errno));
		return r;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], 0);
	/* the loop blocks its signals (signalfd): the helper gets a clean mask */
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	r = -posix_spawn(&pid, path, &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	close(p[0]);
	if (r == 0) {
		/* a small input fits the pipe buffer: this write does not block */
		size_t len = strlen(input);
		if (len && write(p[1], input, len) != (ssize_t)len)
			log_warn("%s: %s did not take its input", what, path);
		slot->pid = pid;
		snprintf(slot->what, sizeof(slot->what), "%s", what);
		slot->deadline = time(NULL) + limit_s;
		slot->killed = false;
	} else {
		log_warn("%s: cannot run %s: %s", what, path, strerror(-r));
	}
	close(p[1]);
	return r;
}

void
spawner_reap(struct spawner *s)
{
	time_t now = time(NULL);

	for (int i = 0; i < SPAWN_MAX; i++) {
		struct helper *h = &s->h[i];
		int st;
		if (h->pid <= 0)
			continue;
		pid_t r = waitpid(h->pid, &st, WNOHANG);
		if (r == h->pid || (r < 0 && errno == ECHILD)) {
			if (r == h->pid && WIFEXITED(st) && WEXITSTATUS(st) != 0)
				log_warn("%s: helper %d exited with status %d", h->what,
					 (int)h->pid, WEXITSTATUS(st));
			else if (r == h->pid && WIFSIGNALED(st))
				log_warn("%s: helper %d ended by signal %s%s", h->what, (int)h->pid,
					 strsignal(WTERMSIG(st)),
					 h->killed ? " (it ran past its time limit)" : "");
			h->pid = 0;
		} else if (r == 0 && !h->killed && now > h->deadline) {
			kill(h->pid, SIGKILL);
			h->killed = true;
		}
	}
}

int
spawner_running(const struct spawner *s)
{
	int n = 0;

	for (int i = 0; i < SPAWN_MAX; i++)
		n += s->h[i].pid > 0;
	return n;
}
