/*
 * test_loop.c - the event loop: fd readiness, timers, signals, and freeing a
 * source from inside its own callback.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "daemon/loop.h"

struct counter {
	int n;
	struct ev_source *self;
	int free_after;
};

static void
on_fd(struct ev_source *src, int fd, uint32_t events, void *data)
{
	struct counter *c = data;
	char b;

	assert_true(events & EPOLLIN);
	assert_int_equal(read(fd, &b, 1), 1);
	if (++c->n == c->free_after)
		ev_source_free(src);
}

static void
on_timer(struct ev_source *src, void *data)
{
	struct counter *c = data;

	if (++c->n == c->free_after)
		ev_source_free(src);
}

static void
on_sig(int signo, void *data)
{
	struct counter *c = data;

	assert_int_equal(signo, SIGUSR1);
	c->n++;
}

static void
test_fd_events(void **state)
{
	struct ev_loop *l;
	struct counter c = { .free_after = 2 };
	int p[2];
	(void)state;

	assert_int_equal(ev_loop_new(&l), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(ev_add_fd(l, p[0], EPOLLIN, on_fd, &c, NULL), 0);
	assert_int_equal(ev_loop_iterate(l, 0), 0); /* nothing ready */
	assert_int_equal(write(p[1], "ab", 2), 2);
	assert_int_equal(ev_loop_iterate(l, 100), 1);
	assert_int_equal(ev_loop_iterate(l, 100), 1);
	assert_int_equal(c.n, 2);
	/* freed in its callback: further data is not dispatched */
	assert_int_equal(write(p[1], "c", 1), 1);
	assert_int_equal(ev_loop_iterate(l, 50), 0);
	assert_int_equal(c.n, 2);
	ev_loop_free(l);
	close(p[0]);
	close(p[1]);
}

static void
test_timer(void **state)
{
	struct ev_loop *l;
	struct counter c = { .free_after = 3 };
	(void)state;

	assert_int_equal(ev_loop_new(&l), 0);
	assert_int_equal(ev_add_timer(l, 0, on_timer, &c, NULL), -22);
	uint64_t t0 = ev_now_ms();
	assert_int_equal(ev_add_timer(l, 20, on_timer, &c, NULL), 0);
	while (c.n < 3 && ev_now_ms() - t0 < 2000)
		ev_loop_iterate(l, 100);
	assert_int_equal(c.n, 3);
	assert_true(ev_now_ms() - t0 >= 60);
	ev_loop_iterate(l, 60);
	assert_int_equal(c.n, 3); /* freed after the third expiry */
	ev_loop_free(l);
}

static void
test_signal(void **state)
{
	static const int sigs[] = { SIGUSR1 };
	struct ev_loop *l;
	struct counter c = { 0 };
	(void)state;

	assert_int_equal(ev_loop_new(&l), 0);
	assert_int_equal(ev_add_signals(l, sigs, 1, on_sig, &c), 0);
	kill(getpid(), SIGUSR1);
	assert_int_equal(ev_loop_iterate(l, 1000), 1);
	assert_int_equal(c.n, 1);
	ev_loop_free(l);
}

static void
on_exit_timer(struct ev_source *src, void *data)
{
	(void)src;
	ev_loop_exit(data);
}

static void
test_run_exit(void **state)
{
	struct ev_loop *l;
	(void)state;

	assert_int_equal(ev_loop_new(&l), 0);
	assert_int_equal(ev_add_timer(l, 10, on_exit_timer, l, NULL), 0);
	assert_int_equal(ev_loop_run(l), 0);
	ev_loop_free(l);
	ev_loop_free(NULL);
	ev_source_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_events),
		cmocka_unit_test(test_timer),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_run_exit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
