/*
 * test_control.c - the control server in-process: role decisions, framing
 * (split and pipelined requests), verb dispatch and errors, oversized
 * requests, the client limit and the idle timeout.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/control.h"
#include "daemon/ctlproto.h"

static const struct ctl_limits limits = {
	.max_request = 1024,
	.max_clients = 3,
	.idle_timeout_s = 1,
	.request_timeout_s = 1,
	.per_user = 4,
	.supervisor_gid = 50,
	.operator_gid = 100,
	.supervisor_group = "staff",
	.operator_group = "users",
};

static void
test_roles(void **state)
{
	gid_t none[] = { 20, 30 }, op[] = { 20, 100 }, sup[] = { 100, 50 };
	struct ctl_limits nogroups = limits;
	(void)state;

	assert_int_equal(ctl_role_of(0, 0, NULL, 0, &limits), CTL_ROLE_SUPERVISOR);
	assert_int_equal(ctl_role_of(1000, 1000, none, 2, &limits), CTL_ROLE_NONE);
	assert_int_equal(ctl_role_of(1000, 1000, op, 2, &limits), CTL_ROLE_OPERATOR);
	assert_int_equal(ctl_role_of(1000, 1000, sup, 2, &limits), CTL_ROLE_SUPERVISOR);
	/* the primary group counts too */
	assert_int_equal(ctl_role_of(1000, 100, NULL, 0, &limits), CTL_ROLE_OPERATOR);
	assert_int_equal(ctl_role_of(1000, 50, NULL, 0, &limits), CTL_ROLE_SUPERVISOR);
	/* a group that does not exist grants nothing, even to gid (gid_t)-1 */
	nogroups.supervisor_gid = nogroups.operator_gid = (gid_t)-1;
	gid_t minus[] = { (gid_t)-1 };
	assert_int_equal(ctl_role_of(1000, 100, minus, 1, &nogroups), CTL_ROLE_NONE);
	assert_string_equal(ctl_role_name(CTL_ROLE_OPERATOR), "operator");
}

static int calls;

static int
verb_echo(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	  const char **ret_code, char **ret_err)
{
	calls++;
	*ret_data = json_pack("{s:O, s:s}", "args", args, "role", ctl_role_name(peer->role));
	return 0;
}

static int
verb_fail(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	  const char **ret_code, char **ret_err)
{
	*ret_code = CTL_E_BAD_ARGS;
	*ret_err = strdup("job 'X' does not exist");
	return -1;
}

/* answered later, as a card read on the desk reader is */
static struct ctl_server *deferring_srv;
static struct ctl_pending *owed;

static int
verb_later(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
	   const char **ret_code, char **ret_err)
{
	owed = ctl_defer(deferring_srv);
	assert_non_null(owed);
	return CTL_DEFERRED;
}

static const struct ctl_verb verbs[] = {
	{ "echo", CTL_ROLE_OPERATOR, verb_echo, "" },
	{ "fail", CTL_ROLE_OPERATOR, verb_fail, "" },
	{ "later", CTL_ROLE_OPERATOR, verb_later, "" },
	{ NULL, CTL_ROLE_NONE, NULL, NULL },
};

struct fixture {
	struct ev_loop *loop;
	struct ctl_server *srv;
	char path[64];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->path, sizeof(f->path), "/tmp/cetak-ctl-test.%d", (int)getpid());
	assert_int_equal(ev_loop_new(&f->loop), 0);
	assert_int_equal(ctl_server_new(f->loop, f->path, verbs, NULL, &limits, &f->srv), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ctl_server_free(f->srv);
	assert_int_equal(access(f->path, F_OK), -1); /* socket removed */
	ev_loop_free(f->loop);
	free(f);
	return 0;
}

static int
client(const struct fixture *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Run the loop until nlines full lines arrived on fd (or ms); returns them. */
static char *
collect_ms(const struct fixture *f, int fd, int nlines, uint64_t ms)
{
	static char buf[65536];
	size_t len = 0;
	uint64_t t0 = ev_now_ms();

	memset(buf, 0, sizeof(buf));
	while (ev_now_ms() - t0 < ms) {
		ev_loop_iterate(f->loop, 20);
		ssize_t r = recv(fd, buf + len, sizeof(buf) - len - 1, 0);
		if (r > 0)
			len += (size_t)r;
		int n = 0;
		for (size_t i = 0; i < len; i++)
			n += buf[i] == '\n';
		if (n >= nlines || r == 0)
			break;
	}
	return buf;
}

static char *
collect(const struct fixture *f, int fd, int nlines)
{
	return collect_ms(f, fd, nlines, 800);
}

static void
test_dispatch(void **state)
{
	struct fixture *f = *state;
	int fd = client(f);
	const char *req = "{\"v\":1,\"cmd\":\"echo\",\"args\":{\"a\":1}}\n";
	char *out;

	calls = 0;
	/* a request split across two writes */
	assert_int_equal(send(fd, req, 10, 0), 10);
	out = collect_ms(f, fd, 1, 200);
	assert_string_equal(out, "");
	assert_int_equal(send(fd, req + 10, strlen(req) - 10, 0), (ssize_t)strlen(req) - 10);
	out = collect(f, fd, 1);
	assert_string_equal(
		out, "{\"ok\":true,\"data\":{\"args\":{\"a\":1},\"role\":\"supervisor\"}}\n");
	/* three pipelined requests, three answers in order */
	const char *three = "{\"v\":1,\"cmd\":\"fail\"}\n{\"v\":1,\"cmd\":\"nope\"}\n"
			    "{\"v\":1,\"cmd\":\"echo\"}\n";
	assert_int_equal(send(fd, three, strlen(three), 0), (ssize_t)strlen(three));
	out = collect(f, fd, 3);
	assert_non_null(strstr(out,
			       "{\"ok\":false,\"error\":\"bad-arguments\",\"message\":\"job 'X' "
			       "does not exist\"}\n{\"ok\":false,\"error\":\"unknown-command\""));
	assert_non_null(strstr(out, "\n{\"ok\":true,"));
	assert_int_equal(calls, 2);
	close(fd);
}

/* A deferred answer comes when the verb completes it, before the answers to
 * the requests sent after it; one owed to a client that left goes nowhere. */
static void
test_deferred(void **state)
{
	struct fixture *f = *state;
	int fd = client(f);
	const char *two = "{\"v\":1,\"cmd\":\"later\"}\n{\"v\":1,\"cmd\":\"echo\"}\n";
	char *out;

	deferring_srv = f->srv;
	owed = NULL;
	assert_null(ctl_defer(f->srv)); /* not while handling a request */
	assert_int_equal(send(fd, two, strlen(two), 0), (ssize_t)strlen(two));
	out = collect_ms(f, fd, 1, 300);
	assert_string_equal(out, ""); /* the echo waits behind the deferred answer */
	assert_non_null(owed);
	ctl_complete(owed, json_pack("{s:s}", "chip", "04A1"), NULL, NULL);
	out = collect(f, fd, 2);
	assert_string_equal(out, "{\"ok\":true,\"data\":{\"chip\":\"04A1\"}}\n"
				 "{\"ok\":true,\"data\":{\"args\":{},\"role\":\"supervisor\"}}\n");
	/* a refusal, deferred */
	assert_int_equal(send(fd, two, strcspn(two, "\n") + 1, 0), (ssize_t)strcspn(two, "\n") + 1);
	collect_ms(f, fd, 1, 100);
	ctl_complete(owed, NULL, CTL_E_BAD_ARGS, "no card on the desk reader");
	out = collect(f, fd, 1);
	assert_non_null(strstr(out, "\"message\":\"no card on the desk reader\""));
	/* the client leaves before the answer: completed to nobody */
	assert_int_equal(send(fd, two, strcspn(two, "\n") + 1, 0), (ssize_t)strcspn(two, "\n") + 1);
	collect_ms(f, fd, 1, 100);
	close(fd);
	collect_ms(f, client(f), 1, 100);
	ctl_complete(owed, json_pack("{}"), NULL, NULL);
}

static void
test_too_long(void **state)
{
	struct fixture *f = *state;
	int fd = client(f);
	char big[2000];

	memset(big, 'x', sizeof(big));
	assert_int_equal(send(fd, big, sizeof(big), 0), (ssize_t)sizeof(big));
	char *out = collect(f, fd, 1);
	assert_non_null(strstr(out, "\"error\":\"too-long\""));
	/* the connection is closed after the answer */
	collect(f, fd, 2);
	assert_int_equal(ctl_server_clients(f->srv), 0);
	close(fd);
}

static void
test_client_limit_and_idle(void **state)
{
	struct fixture *f = *state;
	int fds[4];

	for (int i = 0; i < 3; i++) {
		fds[i] = client(f);
		ev_loop_iterate(f->loop, 50);
	}
	assert_int_equal(ctl_server_clients(f->srv), 3);
	fds[3] = client(f);
	char *out = collect(f, fds[3], 1);
	assert_non_null(strstr(out, "\"error\":\"busy\""));
	assert_int_equal(ctl_server_clients(f->srv), 3);
	/* idle connections are closed after idle_timeout_s (1 s) */
	uint64_t t0 = ev_now_ms();
	while (ctl_server_clients(f->srv) > 0 && ev_now_ms() - t0 < 3500)
		ev_loop_iterate(f->loop, 100);
	assert_int_equal(ctl_server_clients(f->srv), 0);
	assert_true(ev_now_ms() - t0 >= 900);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
}

/* A request trickled in a byte at a time is cut off at request_timeout_s,
 * although the connection is never idle. */
static void
test_request_timeout(void **state)
{
	struct fixture *f = *state;
	int fd = client(f);
	uint64_t t0 = ev_now_ms();

	ev_loop_iterate(f->loop, 50);
	assert_int_equal(ctl_server_clients(f->srv), 1);
	while (ctl_server_clients(f->srv) > 0 && ev_now_ms() - t0 < 4000) {
		if (send(fd, "{", 1, MSG_NOSIGNAL) != 1)
			break;
		for (int i = 0; i < 3; i++)
			ev_loop_iterate(f->loop, 100);
	}
	assert_int_equal(ctl_server_clients(f->srv), 0);
	assert_true(ev_now_ms() - t0 < 3000);
	close(fd);
}

static void
test_live_socket_kept(void **state)
{
	struct fixture *f = *state;
	struct ctl_server *second;

	/* a second server on a live socket must refuse, not steal it */
	assert_int_equal(ctl_server_new(f->loop, f->path, verbs, NULL, &limits, &second),
			 -98 /* EADDRINUSE */);
	int fd = client(f);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test_setup_teardown(test_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_limit_and_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_socket_kept, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
