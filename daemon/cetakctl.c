/*
 * cetakctl.c - the operators' and supervisors' tool for cetakd.
 *
 * One table of verbs. A verb that talks to the daemon sends one request on
 * the control socket and prints the answer for people (or as JSON with
 * --json). Exit codes: 0 done, 1 the daemon refused or failed the request,
 * 2 usage error, 3 the daemon could not be reached.
 */
#define _GNU_SOURCE
#include "ctlproto.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_DEFAULT_SOCKET "/run/cetak/control"
#define CTL_MAX_RESPONSE (16 * 1024 * 1024)

enum { EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

struct cli {
	const char *socket;
	int json;
};

static int
cli_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "cetakctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "cetakctl: cannot reach cetakd at %s: %s (is cetakd running?)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send one request and read one response line. Returns an exit code. */
static int
cli_call(const struct cli *cli, const char *cmd, json_t *args, struct ctl_response *resp)
{
	char *req = ctl_request_encode(cmd, args), *buf = NULL, err[256];
	size_t len = 0, cap = 0;
	int fd, rc = EXIT_UNREACHABLE;

	if (!req)
		return EXIT_UNREACHABLE;
	fd = cli_connect(cli->socket);
	if (fd < 0)
		goto out;
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		fprintf(stderr, "cetakctl: sending to cetakd failed: %s\n", strerror(errno));
		goto out;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			if (cap > CTL_MAX_RESPONSE) {
				fprintf(stderr, "cetakctl: response too long\n");
				goto out;
			}
			char *p = realloc(buf, cap);
			if (!p)
				goto out;
			buf = p;
		}
		ssize_t r = recv(fd, buf + len, cap - len, 0);
		if (r <= 0) {
			fprintf(stderr, "cetakctl: cetakd closed the connection without an answer\n");
			goto out;
		}
		char *nl = memchr(buf + len, '\n', (size_t)r);
		len += (size_t)r;
		if (nl) {
			len = (size_t)(nl - buf);
			break;
		}
	}
	if (ctl_response_parse(buf, len, resp, err, sizeof(err)) < 0) {
		fprintf(stderr, "cetakctl: unreadable answer from cetakd: %s\n", err);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(req);
	free(buf);
	return rc;
}

static const char *
jstr(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

static void
print_duration(long long s)
{
	if (s >= 86400)
		printf("%lldd ", s / 86400);
	printf("%02lld:%02lld:%02lld", s % 86400 / 3600, s % 3600 / 60, s % 60);
}

static void
print_status(json_t *d)
{
	json_t *st = json_object_get(d, "station"), *you = json_object_get(d, "you");
	json_t *lines = json_object_get(d, "lines"), *l;
	size_t i;

	printf("cetakd %s (pid %lld), up ", jstr(d, "version"),
	       (long long)json_integer_value(json_object_get(d, "pid")));
	print_duration((long long)json_integer_value(json_object_get(d, "uptime_s")));
	printf(" since %s\n", jstr(d, "started"));
	printf("config:  %s (loaded %s, %lld reloads)\n", jstr(d, "config"),
	       jstr(d, "config_loaded"),
	       (long long)json_integer_value(json_object_get(d, "reloads")));
	printf("station: %s (%s%s%s)%s%s\n", jstr(st, "name"), jstr(st, "role"),
	       jstr(st, "region")[0] ? ", region " : "", jstr(st, "region"),
	       jstr(st, "office")[0] ? " - " : "", jstr(st, "office"));
	printf("you:     %s (%s)\n", jstr(you, "user"), jstr(you, "role"));
	printf("\n%-8s %-10s %-22s %s\n", "LINE", "STATE", "PRINTER", "READER");
	json_array_foreach(lines, i, l)
	{
		char printer[64], state[160];
		snprintf(printer, sizeof(printer), "%s:%s", jstr(l, "printer"),
			 jstr(l, "printer_target"));
		snprintf(state, sizeof(state), "%s", jstr(l, "state"));
		printf("%-8s %-10s %-22s %s\n", jstr(l, "name"), state, printer,
		       jstr(l, "reader")[0] ? jstr(l, "reader") : jstr(l, "reader_pattern"));
		if (jstr(l, "reason")[0])
			printf("%-8s   reason: %s\n", "", jstr(l, "reason"));
	}
	if (json_array_size(lines) == 0)
		printf("(no lines configured)\n");
}

static void
print_reload(json_t *d)
{
	printf("configuration %s reloaded (%lld reloads since start)\n", jstr(d, "config"),
	       (long long)json_integer_value(json_object_get(d, "reloads")));
}

/* A verb that is one daemon request printed by printer. */
static int
daemon_verb(const struct cli *cli, const char *cmd, json_t *args, void (*printer)(json_t *))
{
	struct ctl_response resp;
	int rc = cli_call(cli, cmd, args, &resp);

	if (rc)
		return rc;
	if (!resp.ok) {
		fprintf(stderr, "cetakctl: %s: %s\n", cmd, resp.message);
		rc = EXIT_REFUSED;
	} else if (cli->json) {
		json_dumpf(resp.data, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else {
		printer(resp.data);
	}
	ctl_response_done(&resp);
	return rc;
}

static int
cmd_status(const struct cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return EXIT_USAGE;
	return daemon_verb(cli, "status", NULL, print_status);
}

static int
cmd_reload(const struct cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return EXIT_USAGE;
	return daemon_verb(cli, "reload", NULL, print_reload);
}

struct cli_verb {
	const char *name;
	const char *args;
	int (*fn)(const struct cli *cli, int argc, char **argv);
	const char *help;
};

static const struct cli_verb cli_verbs[] = {
	{ "status", "", cmd_status, "daemon version, uptime, config and the lines' state" },
	{ "reload", "", cmd_reload, "reload cetakd.conf (supervisor); a bad file is refused" },
	{ NULL, NULL, NULL, NULL },
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: cetakctl [-s SOCKET] [--json] COMMAND [ARGS]\n"
		     "  -s, --socket PATH  control socket (default $CETAK_CONTROL or "
		     CTL_DEFAULT_SOCKET ")\n"
		     "  -j, --json         print the daemon's answer as JSON\n\ncommands:\n");
	for (const struct cli_verb *v = cli_verbs; v->name; v++)
		fprintf(out, "  %-8s %-12s %s\n", v->name, v->args, v->help);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { .socket = getenv("CETAK_CONTROL") };
	int opt;

	if (!cli.socket || !cli.socket[0])
		cli.socket = CTL_DEFAULT_SOCKET;
	while ((opt = getopt_long(argc, argv, "+s:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			cli.socket = optarg;
			break;
		case 'j':
			cli.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (const struct cli_verb *v = cli_verbs; v->name; v++) {
		if (strcmp(v->name, argv[optind]) != 0)
			continue;
		int rc = v->fn(&cli, argc - optind - 1, argv + optind + 1);
		if (rc == EXIT_USAGE)
			fprintf(stderr, "usage: cetakctl %s %s\n", v->name, v->args);
		return rc;
	}
	fprintf(stderr, "cetakctl: unknown command '%s'; 'cetakctl --help' lists them\n",
		argv[optind]);
	return EXIT_USAGE;
}
