/*
 * cetakctl.c - the operators' and supervisors' tool for cetakd.
 *
 * One table of verbs. A verb that talks to the daemon sends one request on
 * the control socket and prints the answer for people (or as JSON with
 * --json). Exit codes: 0 done, 1 the daemon refused or failed the request,
 * 2 usage error, 3 the daemon could not be reached.
 */
#define _GNU_SOURCE
#include "cetakctl.h"
#include "common/i18n.h"
#include "ctlproto.h"
#include "jobs/job.h"
#include "jobs/spool.h"
#include "ledger/report.h"
#include "printer/face.h"
#include "smartcard/sc.h"
#include "smartcard/sod.h"
#include "smartcard/tlv.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CTL_DEFAULT_SOCKET "/run/cetak/control"
#define CTL_MAX_RESPONSE (16 * 1024 * 1024)

/* Quiet connect, for optional look-ups (submit works without the daemon). */
static int cli_quiet;

/* A message of cetakd (a reason, a refusal, an alert) in the user's language
 * (i18n_msg()); eight at a time may be in use, for one printf. */
const char *
ctl_msg(const char *english)
{
	static char bufs[8][1024];
	static unsigned next;

	return i18n_msg(english, bufs[next++ % 8], sizeof(bufs[0]));
}

static int
cli_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, _("cetakctl: socket path too long: %s\n"), path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (!cli_quiet)
			fprintf(stderr,
				_("cetakctl: cannot reach cetakd at %s: %s (is cetakd running?)\n"),
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
	/* a refusal at connect arrives whatever became of the request: read it */
	int send_err = send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req) ? 0 : errno;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			if (cap > CTL_MAX_RESPONSE) {
				fprintf(stderr, _("cetakctl: response too long\n"));
				goto out;
			}
			char *p = realloc(buf, cap);
			if (!p)
				goto out;
			buf = p;
		}
		ssize_t r = recv(fd, buf + len, cap - len, 0);
		if (r <= 0) {
			if (send_err)
				fprintf(stderr, _("cetakctl: sending to cetakd failed: %s\n"),
					strerror(send_err));
			else
				fprintf(stderr,
					_("cetakctl: cetakd closed the connection without an "
					  "answer\n"));
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
		fprintf(stderr, _("cetakctl: unreadable answer from cetakd: %s\n"), err);
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

const char *
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

	printf(_("cetakd %s (pid %lld), up "), jstr(d, "version"),
	       (long long)json_integer_value(json_object_get(d, "pid")));
	print_duration((long long)json_integer_value(json_object_get(d, "uptime_s")));
	printf(_(" since %s\n"), jstr(d, "started"));
	printf(_("config:  %s (loaded %s, %lld reloads)\n"), jstr(d, "config"),
	       jstr(d, "config_loaded"),
	       (long long)json_integer_value(json_object_get(d, "reloads")));
	printf(_("station: %s (%s%s%s)%s%s\n"), jstr(st, "name"), jstr(st, "role"),
	       jstr(st, "region")[0] ? _(", region ") : "", jstr(st, "region"),
	       jstr(st, "office")[0] ? " - " : "", jstr(st, "office"));
	printf(_("you:     %s (%s)\n"), jstr(you, "user"), jstr(you, "role"));
	if (json_is_true(json_object_get(d, "restart_pending")))
		printf(_("RESTART PENDING: a newer cetakd is installed; restart it between cards "
			 "(cards in flight now: %lld): systemctl restart cetakd\n"),
		       (long long)json_integer_value(json_object_get(d, "cards_in_flight")));
	json_t *q = json_object_get(d, "queue"), *v;
	const char *k;
	printf("%s", _("jobs:   "));
	json_object_foreach(q, k, v) printf(" %s %lld", k, (long long)json_integer_value(v));
	putchar('\n');
	printf("\n%-8s %-10s %-22s %s\n", _("LINE"), _("STATE"), _("PRINTER"), _("READER"));
	json_array_foreach(lines, i, l)
	{
		char printer[64], state[160];
		snprintf(printer, sizeof(printer), "%s:%s", jstr(l, "printer"),
			 jstr(l, "printer_target"));
		snprintf(state, sizeof(state), "%s", jstr(l, "state"));
		printf("%-8s %-10s %-22s %s\n", jstr(l, "name"), state, printer,
		       jstr(l, "reader")[0] ? jstr(l, "reader") : jstr(l, "reader_pattern"));
		if (jstr(l, "reason")[0])
			printf(_("%-8s   reason: %s\n"), "", ctl_msg(jstr(l, "reason")));
	}
	if (json_array_size(lines) == 0)
		printf("%s", _("(no lines configured)\n"));
}

static void
print_reload(json_t *d)
{
	printf(_("configuration %s reloaded (%lld reloads since start)\n"), jstr(d, "config"),
	       (long long)json_integer_value(json_object_get(d, "reloads")));
}

/* A verb that is one daemon request printed by printer. */
int
daemon_verb(const struct cli *cli, const char *cmd, json_t *args, void (*printer)(json_t *))
{
	struct ctl_response resp;
	int rc = cli_call(cli, cmd, args, &resp);

	if (rc)
		return rc;
	if (!resp.ok) {
		/* under --json a program reads it: cetakd's own English */
		fprintf(stderr, "cetakctl: %s: %s\n", cmd,
			cli->json ? resp.message : ctl_msg(resp.message));
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

/* ---- lines ---- */

static void
print_lines(json_t *d)
{
	json_t *lines = json_object_get(d, "lines"), *l;
	size_t i;

	printf("%-8s %-11s %-24s %-7s %5s %6s %6s  %s\n", _("LINE"), _("STATE"), _("JOB"),
	       _("STEP"), _("TODAY"), _("HOPPER"), _("RIBBON"), _("NEXT"));
	json_array_foreach(lines, i, l)
	{
		json_int_t hop = json_integer_value(json_object_get(l, "hopper"));
		json_int_t rib = json_integer_value(json_object_get(l, "ribbon_left"));
		char hs[24] = "?", rs[24] = "?";
		if (hop >= 0)
			snprintf(hs, sizeof(hs), "%lld", (long long)hop);
		if (rib >= 0)
			snprintf(rs, sizeof(rs), "%lld", (long long)rib);
		printf("%-8s %-11s %-24s %-7s %5lld %6s %6s  %s\n", jstr(l, "name"),
		       jstr(l, "state"), jstr(l, "job")[0] ? jstr(l, "job") : "-",
		       jstr(l, "step")[0] ? jstr(l, "step") : "-",
		       (long long)json_integer_value(json_object_get(l, "cards_today")), hs, rs,
		       jstr(l, "next_job")[0] ? jstr(l, "next_job") : "-");
		if (jstr(l, "reason")[0])
			printf(_("%-8s   reason: %s\n"), "", ctl_msg(jstr(l, "reason")));
		if (jstr(l, "printer_reasons")[0])
			printf(_("%-8s   printer: %s\n"), "", jstr(l, "printer_reasons"));
	}
	if (json_array_size(lines) == 0)
		printf("%s", _("(no lines configured)\n"));
	printf("\n%s\n", jstr(d, "summary"));
}

static int
cmd_lines(const struct cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return EXIT_USAGE;
	return daemon_verb(cli, "lines", NULL, print_lines);
}

static void
print_line_done(json_t *d)
{
	printf(_("line %s: %s\n"), jstr(d, "line"), jstr(d, "command"));
}

static int
cmd_line(const struct cli *cli, int argc, char **argv)
{
	json_t *args;
	int rc;

	if (argc != 2 ||
	    (strcmp(argv[0], "pause") && strcmp(argv[0], "resume") && strcmp(argv[0], "drain")))
		return EXIT_USAGE;
	args = json_pack("{s:s, s:s}", "command", argv[0], "line", argv[1]);
	rc = daemon_verb(cli, "line", args, print_line_done);
	json_decref(args);
	return rc;
}

static void
print_resolved(json_t *d)
{
	printf(_("job %s on line %s: card %s; the line goes on\n"), jstr(d, "job"), jstr(d, "line"),
	       jstr(d, "outcome"));
}

static int
cmd_resolve(const struct cli *cli, int argc, char **argv)
{
	json_t *args;
	int rc;

	if (!((argc == 2) || (argc == 4 && strcmp(argv[2], "--cause") == 0)) ||
	    (strcmp(argv[1], "printed") && strcmp(argv[1], "spoiled")))
		return EXIT_USAGE;
	args = json_pack("{s:s, s:s}", "job", argv[0], "outcome", argv[1]);
	if (argc == 4)
		json_object_set_new(args, "cause", json_string(argv[3]));
	rc = daemon_verb(cli, "resolve", args, print_resolved);
	json_decref(args);
	return rc;
}

/* ---- jobs ---- */

#define MAX_JOB_FILE (64 * 1024 * 1024)

static int
read_file(const char *path, char **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf;

	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_JOB_FILE) {
		fclose(f);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*ret = buf;
	*ret_len = (size_t)st.st_size;
	return 0;
}

#define DEFAULT_LAYOUT "/etc/cetak/layouts/ektp-front.conf"

/* The face layout the checks use; NULL when none could be loaded. */
static struct face_layout *cli_layout;

static void
load_cli_layout(const char *path, int required)
{
	if (!required && access(path, R_OK) != 0) {
		fprintf(stderr,
			_("cetakctl: note: no layout at %s; text fit on the card not "
			  "checked (use --layout FILE)\n"),
			path);
		return;
	}
	if (face_layout_load(path, stderr, &cli_layout) < 0)
		cli_layout = NULL;
}

/* Validate one file exactly as cetakd does; prints the verdict. 0 when valid. */
static int
validate_one(const char *path, const char *region, struct job **ret_job)
{
	struct job_policy pol = { .region = region, .now = (long long)time(NULL) };
	char why[512], *buf;
	size_t len;
	struct job *job;
	int r = read_file(path, &buf, &len);

	if (r < 0) {
		printf(_("%s: refused: cannot read: %s\n"), path,
		       r == -EFBIG ? "not a regular file of at most 64 MiB" : strerror(-r));
		return -1;
	}
	r = job_parse(buf, len, &pol, &job, why, sizeof(why));
	free(buf);
	if (r == 0 && cli_layout && face_check(cli_layout, job, why, sizeof(why)) < 0) {
		job_free(job);
		r = -1;
	}
	if (r < 0) {
		printf(_("%s: refused: %s\n"), path, ctl_msg(why));
		return -1;
	}
	if (ret_job)
		*ret_job = job;
	else
		job_free(job);
	return 0;
}

static int
cmd_validate(const struct cli *cli, int argc, char **argv)
{
	const char *region = "", *layout = NULL;
	int bad = 0, i = 0;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--region") == 0)
			region = argv[i + 1];
		else if (strcmp(argv[i], "--layout") == 0)
			layout = argv[i + 1];
		else
			return EXIT_USAGE;
	}
	if (i >= argc)
		return EXIT_USAGE;
	load_cli_layout(layout ? layout : DEFAULT_LAYOUT, layout != NULL);
	if (layout && !cli_layout)
		return EXIT_REFUSED;
	for (; i < argc; i++) {
		struct job *job;
		if (validate_one(argv[i], region, &job) < 0) {
			bad++;
			continue;
		}
		printf(_("%s: OK (job %s, %s%s, NIK %s)\n"), argv[i], job->job_id,
		       job_kind_name(job->kind), job->urgent ? ", urgent" : "", job->nik);
		job_free(job);
	}
	return bad ? EXIT_REFUSED : 0;
}

/* One request whose answer the caller inspects; NULL data on failure (message printed). */
static json_t *
call_data(const struct cli *cli, const char *cmd, json_t *args, int *rc)
{
	struct ctl_response resp;
	json_t *data = NULL;

	*rc = cli_call(cli, cmd, args, &resp);
	json_decref(args);
	if (*rc)
		return NULL;
	if (!resp.ok) {
		fprintf(stderr, "cetakctl: %s: %s\n", cmd, ctl_msg(resp.message));
		*rc = EXIT_REFUSED;
	} else {
		data = json_incref(resp.data);
	}
	ctl_response_done(&resp);
	return data;
}

/*
 * After handing a file to the spool: wait until cetakd has taken it out of
 * new/ (imported, dropped as an identical copy, or rejected), then report
 * what became of it: the .reason file in rejected/, or the job's state.
 */
static int
await_import(const struct cli *cli, const char *spool, const char *name, const char *job_id)
{
	char new_path[4096], reason_path[4096], line[1024];
	int rc, i;

	snprintf(new_path, sizeof(new_path), "%s/new/%s", spool, name);
	snprintf(reason_path, sizeof(reason_path), "%s/rejected/%s.reason", spool, name);
	for (i = 0; i < 100 && access(new_path, F_OK) == 0; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (i == 100) {
		cli_quiet = 1;
		json_t *st = call_data(cli, "status", NULL, &rc);
		cli_quiet = 0;
		json_decref(st);
		printf(_("%s: written to the spool; %s\n"), job_id,
		       rc == EXIT_UNREACHABLE ? "cetakd is not running, it will import the job "
						"when it starts"
					      : "cetakd has not imported it yet");
		return 0;
	}
	FILE *f = fopen(reason_path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "reason: ", 8) == 0) {
				line[strcspn(line, "\n")] = '\0';
				printf(_("%s: refused by cetakd: %s\n"), job_id, ctl_msg(line + 8));
			}
		fclose(f);
		return EXIT_REFUSED;
	}
	json_t *d = call_data(cli, "job-show", json_pack("{s:s}", "id", job_id), &rc);
	if (!d) {
		printf(_("%s: left the spool but is not in the job store\n"), job_id);
		return EXIT_REFUSED;
	}
	const char *state = jstr(d, "state"), *reason = jstr(d, "reason");
	printf(_("%s: accepted, %s%s%s\n"), job_id, state, reason[0] ? ": " : "", ctl_msg(reason));
	json_decref(d);
	return 0;
}

static int
cmd_submit(const struct cli *cli, int argc, char **argv)
{
	const char *spool = NULL, *region = "";
	int i = 0, bad = 0, rc;
	json_t *st = NULL;

	if (argc >= 2 && strcmp(argv[0], "--spool") == 0) {
		spool = argv[1];
		i = 2;
	}
	if (i >= argc)
		return EXIT_USAGE;
	cli_quiet = 1;
	st = call_data(cli, "status", NULL, &rc);
	cli_quiet = 0;
	if (st) {
		if (!spool)
			spool = jstr(st, "spool_dir");
		region = jstr(json_object_get(st, "station"), "region");
		/* the daemon's own layout, so that submit refuses what cetakd would */
		if (jstr(st, "face_layout")[0])
			load_cli_layout(jstr(st, "face_layout"), 0);
	} else if (!spool) {
		fprintf(stderr,
			_("cetakctl: cetakd is not reachable at %s; give the spool "
			  "directory with --spool DIR\n"),
			cli->socket);
		return EXIT_UNREACHABLE;
	}
	for (; i < argc; i++) {
		struct job *job;
		char *buf, *name = NULL;
		size_t len;
		if (validate_one(argv[i], region, &job) < 0) {
			bad++;
			continue;
		}
		int r = read_file(argv[i], &buf, &len);
		if (r == 0)
			r = spool_submit(spool, buf, len, job->job_id, &name);
		if (r == 0 && !st) {
			printf(_("%s: written to the spool; cetakd is not running, it will import "
				 "the "
				 "job when it starts\n"),
			       job->job_id);
			free(buf);
		} else if (r == 0) {
			if (await_import(cli, spool, name, job->job_id) != 0)
				bad++;
			free(buf);
		} else {
			printf(_("%s: not submitted: cannot write to %s: %s\n"), argv[i], spool,
			       strerror(-r));
			bad++;
		}
		free(name);
		job_free(job);
	}
	json_decref(st);
	return bad ? EXIT_REFUSED : 0;
}

static void
print_time(long long t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm);
	fputs(buf, stdout);
}

static void
print_queue(json_t *d)
{
	json_t *counts = json_object_get(d, "counts"), *jobs = json_object_get(d, "jobs"), *v, *j;
	const char *k;
	size_t i;

	json_object_foreach(counts, k, v) printf("%s %lld  ", k, (long long)json_integer_value(v));
	putchar('\n');
	if (json_integer_value(json_object_get(d, "daily_quota")) > 0)
		printf(_("daily quota %lld; waiting for tomorrow: %lld\n"),
		       (long long)json_integer_value(json_object_get(d, "daily_quota")),
		       (long long)json_integer_value(json_object_get(d, "waiting_for_tomorrow")));
	if (!jobs)
		return;
	printf("\n%-22s %-9s %-12s %-3s %-16s %-24s %s\n", _("JOB"), _("STATE"), _("KIND"),
	       _("PRI"), "NIK", _("NAME"), _("REASON"));
	json_array_foreach(jobs, i, j)
	{
		char kind[24];
		snprintf(kind, sizeof(kind), "%s%s", jstr(j, "kind"),
			 json_is_true(json_object_get(j, "urgent")) ? "!" : "");
		printf("%-22s %-9s %-12s %-3lld %-16s %-24.24s %s\n", jstr(j, "job_id"),
		       jstr(j, "state"), kind,
		       (long long)json_integer_value(json_object_get(j, "priority")),
		       jstr(j, "nik"), jstr(j, "name"), ctl_msg(jstr(j, "reason")));
	}
}

static void
print_count(json_t *d)
{
	json_t *counts = json_object_get(d, "counts"), *v;
	const char *k;
	long long total = 0;

	json_object_foreach(counts, k, v) total += json_integer_value(v);
	printf("%lld\n", total);
}

static int
cmd_queue(const struct cli *cli, int argc, char **argv)
{
	json_t *args = json_object();
	int count = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--count") == 0) {
			count = 1;
			json_object_set_new(args, "count_only", json_true());
		} else if (i + 1 < argc && strcmp(argv[i], "--state") == 0) {
			json_object_set_new(args, "state", json_string(argv[++i]));
		} else if (i + 1 < argc && strcmp(argv[i], "--kind") == 0) {
			json_object_set_new(args, "kind", json_string(argv[++i]));
		} else if (i + 1 < argc && strcmp(argv[i], "--limit") == 0) {
			json_object_set_new(args, "limit", json_integer(atol(argv[++i])));
		} else {
			json_decref(args);
			return EXIT_USAGE;
		}
	}
	int rc = daemon_verb(cli, "queue", args, count ? print_count : print_queue);
	json_decref(args);
	return rc;
}

static void
print_job(json_t *j)
{
	json_t *events = json_object_get(j, "events"), *e;
	size_t i;

	printf(_("job:      %s\nstate:    %s%s%s\n"), jstr(j, "job_id"), jstr(j, "state"),
	       jstr(j, "reason")[0] ? " - " : "", ctl_msg(jstr(j, "reason")));
	printf(_("kind:     %s%s, priority %lld\nholder:   %s, NIK %s\n"), jstr(j, "kind"),
	       json_is_true(json_object_get(j, "urgent")) ? " (urgent)" : "",
	       (long long)json_integer_value(json_object_get(j, "priority")), jstr(j, "name"),
	       jstr(j, "nik"));
	printf(_("received: "));
	print_time(json_integer_value(json_object_get(j, "received_at")));
	printf(_("\nattempts: %lld%s%s\n\nhistory:\n"),
	       (long long)json_integer_value(json_object_get(j, "attempts")),
	       jstr(j, "line")[0] ? ", line " : "", jstr(j, "line"));
	json_array_foreach(events, i, e)
	{
		printf("  ");
		print_time(json_integer_value(json_object_get(e, "at")));
		printf("  %-9s -> %-9s %s [%s]\n", jstr(e, "from")[0] ? jstr(e, "from") : "-",
		       jstr(e, "to"), ctl_msg(jstr(e, "reason")), jstr(e, "actor"));
	}
}

static int
cmd_job(const struct cli *cli, int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[0], "show") != 0)
		return EXIT_USAGE;
	json_t *args = json_pack("{s:s}", "id", argv[1]);
	int rc = daemon_verb(cli, "job-show", args, print_job);
	json_decref(args);
	return rc;
}

static void
print_moved(json_t *j)
{
	printf("%s: %s%s%s\n", jstr(j, "job_id"), jstr(j, "state"),
	       jstr(j, "reason")[0] ? " - " : "", ctl_msg(jstr(j, "reason")));
}

/* hold/release/cancel/retry: ID [--reason TEXT] */
static int
job_move(const struct cli *cli, const char *verb, int argc, char **argv)
{
	json_t *args;
	int rc;

	if (argc != 1 && !(argc == 3 && strcmp(argv[1], "--reason") == 0))
		return EXIT_USAGE;
	args = json_pack("{s:s}", "id", argv[0]);
	if (argc == 3)
		json_object_set_new(args, "reason", json_string(argv[2]));
	rc = daemon_verb(cli, verb, args, print_moved);
	json_decref(args);
	return rc;
}

static int
cmd_hold(const struct cli *cli, int argc, char **argv)
{
	return job_move(cli, "hold", argc, argv);
}

static int
cmd_release(const struct cli *cli, int argc, char **argv)
{
	return job_move(cli, "release", argc, argv);
}

static int
cmd_cancel(const struct cli *cli, int argc, char **argv)
{
	return job_move(cli, "cancel", argc, argv);
}

static int
cmd_retry(const struct cli *cli, int argc, char **argv)
{
	return job_move(cli, "retry", argc, argv);
}

static int
cmd_priority(const struct cli *cli, int argc, char **argv)
{
	char *end;
	long p;

	if (argc != 2)
		return EXIT_USAGE;
	p = strtol(argv[1], &end, 10);
	if (*end || end == argv[1])
		return EXIT_USAGE;
	json_t *args = json_pack("{s:s, s:I}", "id", argv[0], "priority", (json_int_t)p);
	int rc = daemon_verb(cli, "priority", args, print_moved);
	json_decref(args);
	return rc;
}

/* ---- card ---- */

#define DEFAULT_PROFILE "/etc/cetak/profiles/icao-lds.conf"
#define DEFAULT_CSCA "/etc/cetak/csca.pem"

static int
cmd_privacy(const struct cli *cli, int argc, char **argv)
{
	return cli_privacy(cli, argc, argv);
}

static void
print_hub(json_t *d)
{
	json_int_t ack = json_integer_value(json_object_get(d, "acknowledged"));
	json_int_t last = json_integer_value(json_object_get(d, "last_contact"));
	const char *err = json_string_value(json_object_get(d, "error"));
	char when[32] = "never";

	if (!json_is_true(json_object_get(d, "configured"))) {
		printf(_("no district hub is configured (hub.conninfo)\n"));
		return;
	}
	if (last) {
		time_t t = (time_t)last;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&t));
	}
	printf(_("records in this station's chain: %lld\n"),
	       (long long)json_integer_value(json_object_get(d, "records")));
	if (ack >= 0)
		printf(_("held by the hub:                 %lld (%lld waiting)\n"), (long long)ack,
		       (long long)json_integer_value(json_object_get(d, "waiting")));
	else
		printf(_("held by the hub:                 not known yet\n"));
	printf(_("last contact:                    %s\n"), when);
	printf(_("pushed since cetakd started:     %lld\n"),
	       (long long)json_integer_value(json_object_get(d, "pushed")));
	if (err && *err)
		printf(_("last round failed:               %s\n"), err);
}

/* hub [push]: the district hub, as this station sees it */
static int
cmd_hub(const struct cli *cli, int argc, char **argv)
{
	if (argc == 0)
		return daemon_verb(cli, "hub", NULL, print_hub);
	if (argc == 1 && strcmp(argv[0], "push") == 0)
		return daemon_verb(cli, "hub-push", NULL, print_hub);
	return EXIT_USAGE;
}

static int
cmd_notice(const struct cli *cli, int argc, char **argv)
{
	return cli_notice(cli, argc, argv);
}

static int
cmd_card(const struct cli *cli, int argc, char **argv)
{
	const char *reader = "*", *profile = DEFAULT_PROFILE, *csca = DEFAULT_CSCA, *pin = NULL;
	struct sc_sam sam = { .timeout_ms = 2000 };
	struct card_profile prof;
	struct sc_readout ro;
	struct sc_ctx *ctx;
	char why[300];
	int timeout = 10000;

	if (argc < 1)
		return EXIT_USAGE;
	if (strcmp(argv[0], "read") != 0) /* the custody of issued cards: cetakd */
		return cli_card_custody(cli, argc, argv);
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--reader") == 0)
			reader = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--profile") == 0)
			profile = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--csca") == 0)
			csca = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--timeout") == 0)
			timeout = atoi(argv[++i]) * 1000;
		else if (i + 1 < argc && strcmp(argv[i], "--sam-reader") == 0)
			snprintf(sam.reader, sizeof(sam.reader), "%s", argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--sam-pin") == 0)
			pin = argv[++i];
		else
			return EXIT_USAGE;
	}
	if (profile_load(profile, stderr, &prof) < 0)
		return EXIT_REFUSED;
	if (pin) {
		int r = signer_read_pin(pin, sam.pin, sizeof(sam.pin));
		if (r < 0) {
			fprintf(stderr, _("cetakctl: cannot read the SAM PIN from %s: %s\n"), pin,
				strerror(-r));
			return EXIT_REFUSED;
		}
	}
	X509_STORE *store = sod_load_csca(csca, why, sizeof(why));
	if (!store) {
		fprintf(stderr, "cetakctl: %s: %s\n", csca, why);
		return EXIT_REFUSED;
	}
	sc_ctx_new(&ctx);
	enum sc_outcome o =
		sc_read_card(ctx, reader, timeout, &prof, store, sam.reader[0] ? &sam : NULL, &ro);
	OPENSSL_cleanse(sam.pin, sizeof(sam.pin));
	X509_STORE_free(store);
	sc_ctx_free(ctx);
	if (o != SC_OK) {
		fprintf(stderr, _("cetakctl: card read: %s\n"), ro.result.message);
		sc_readout_free(&ro);
		return EXIT_REFUSED;
	}
	char mrz[128], name[128], place[64], addr[300], job[64], dob[16], auth[128], issued[16],
		nik[32], rel[64], blood[8];
	sc_readout_text(&ro, "DG1", 0x5F1F, mrz, sizeof(mrz));
	sc_readout_text(&ro, "DG11", 0x5F0E, name, sizeof(name));
	sc_readout_text(&ro, "DG11", 0x5F11, place, sizeof(place));
	sc_readout_text(&ro, "DG11", 0x5F42, addr, sizeof(addr));
	sc_readout_text(&ro, "DG11", 0x5F13, job, sizeof(job));
	sc_readout_text(&ro, "DG11", 0x5F2B, dob, sizeof(dob));
	sc_readout_text(&ro, "DG12", 0x5F19, auth, sizeof(auth));
	sc_readout_text(&ro, "DG12", 0x5F26, issued, sizeof(issued));
	sc_readout_text(&ro, "DG13", 0xC0, nik, sizeof(nik));
	sc_readout_text(&ro, "DG13", 0xC1, rel, sizeof(rel));
	sc_readout_text(&ro, "DG13", 0xC3, blood, sizeof(blood));
	/* LDS dates are YYYYMMDD: show them as YYYY-MM-DD */
	char *dates[] = { dob, issued };
	for (int i = 0; i < 2; i++)
		if (strlen(dates[i]) == 8 && strspn(dates[i], "0123456789") == 8) {
			char t[16];
			snprintf(t, sizeof(t), "%.4s-%.2s-%.2s", dates[i], dates[i] + 4,
				 dates[i] + 6);
			strcpy(dates[i], t);
		}
	if (cli->json) {
		json_t *files = json_object();
		for (int i = 0; i < ro.n; i++)
			json_object_set_new(files, ro.files[i].pf->name,
					    ro.files[i].data
						    ? json_integer((json_int_t)ro.files[i].len)
						    : json_null());
		json_t *o2 = json_pack(
			"{s:s, s:s, s:b, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s},"
			" s:{s:s, s:s}, s:s, s:o}",
			"reader", ro.result.reader, "serial", ro.result.serial, "verified",
			ro.verified, "verdict", ro.verdict, "holder", "nik", nik, "name", name,
			"birth_place", place, "birth_date", dob, "address", addr, "occupation", job,
			"religion", rel, "blood_type", blood, "document", "issuing_authority", auth,
			"date_of_issue", issued, "mrz", mrz, "files", files);
		json_dumpf(o2, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(o2);
	} else {
		printf(_("reader:   %s\nchip:     %s\n"), ro.result.reader, ro.result.serial);
		printf(_("NIK:      %s\nname:     %s\nborn:     %s, %s\naddress:  %s\n"), nik, name,
		       place, dob, addr);
		printf(_("job:      %s\nreligion: %s, blood type %s\nissued:   %s by %s\n"), job,
		       rel, blood, issued, auth);
		if (strlen(mrz) == 90)
			printf(_("MRZ:      %.30s\n          %.30s\n          %.30s\n"), mrz,
			       mrz + 30, mrz + 60);
		printf(_("files:   "));
		for (int i = 0; i < ro.n; i++)
			if (ro.files[i].data)
				printf(" %s(%zu)", ro.files[i].pf->name, ro.files[i].len);
		printf(_("\nverdict:  %s\n"), ro.verdict);
	}
	int rc = ro.verified ? 0 : EXIT_REFUSED;
	sc_readout_free(&ro);
	return rc;
}

/* ---- face ---- */

static int
cmd_face(const struct cli *cli, int argc, char **argv)
{
	const char *layout = DEFAULT_LAYOUT, *out = NULL, *file = NULL;
	struct face_layout *l;
	struct job *job;
	char why[512];
	int r;

	if (argc < 2 || strcmp(argv[0], "render") != 0)
		return EXIT_USAGE;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "-o") == 0)
			out = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--layout") == 0)
			layout = argv[++i];
		else if (!file)
			file = argv[i];
		else
			return EXIT_USAGE;
	}
	if (!file || !out)
		return EXIT_USAGE;
	if (validate_one(file, "", &job) < 0)
		return EXIT_REFUSED;
	if (face_layout_load(layout, stderr, &l) < 0) {
		job_free(job);
		return EXIT_REFUSED;
	}
	size_t n = strlen(out);
	if (n > 4 && strcmp(out + n - 4, ".pdf") == 0)
		r = face_render_pdf(l, job, out, why, sizeof(why));
	else if (n > 4 && strcmp(out + n - 4, ".png") == 0)
		r = face_render_png(l, job, out, why, sizeof(why));
	else {
		fprintf(stderr, _("cetakctl: the output must end in .png or .pdf\n"));
		r = -EINVAL;
		why[0] = '\0';
	}
	if (r < 0 && why[0])
		fprintf(stderr, "cetakctl: %s: %s\n", file, why);
	else if (r == 0)
		printf(_("%s: rendered to %s\n"), file, out);
	face_layout_free(l);
	job_free(job);
	return r < 0 ? EXIT_REFUSED : 0;
}

/* ---- stock and audit ---- */

static void
print_balance(json_t *d)
{
	json_t *b = json_object_get(d, "balance") ? json_object_get(d, "balance") : d;
	json_t *lines = json_object_get(b, "lines"), *bc = json_object_get(b, "by_cause"), *v;
	const char *k;
	long long hoppers = 0;

#define N(o, key) ((long long)json_integer_value(json_object_get(o, key)))
	json_object_foreach(lines, k, v) hoppers += N(v, "hopper");
	printf(_("blanks:     %lld on hand (store %lld, hoppers %lld)"), N(b, "store") + hoppers,
	       N(b, "store"), hoppers);
	if (json_object_get(d, "reserve"))
		printf(_(", reserve %lld"), N(d, "reserve"));
	printf(_("\nreceived:   %lld (stocktake differences %+lld)\nissued:     %lld\n"),
	       N(b, "received"), N(b, "discrepancy"), N(b, "issued"));
	printf(_("spoiled:    %lld (destroyed %lld)"), N(b, "spoiled"), N(b, "destroyed"));
	const char *sep = ":";
	json_object_foreach(bc, k, v) if (json_integer_value(v))
	{
		printf("%s %s %lld", sep, k, (long long)json_integer_value(v));
		sep = ",";
	}
	printf(_("\ntransferred: %lld\n"), N(b, "transferred"));
	json_object_foreach(lines, k, v)
	{
		printf(_("line %-6s hopper %lld%s"), k, N(v, "hopper"),
		       N(v, "in_flight") ? _(", 1 card in flight") : "");
		const char *rib = json_string_value(json_object_get(v, "ribbon"));
		if (rib && rib[0])
			printf(_(", ribbon %s %lld of %lld prints used"), rib,
			       N(v, "ribbon_prints"), N(v, "ribbon_rated"));
		if (N(v, "outside") > 0)
			printf(_(", printer counted %lld cards cetakd did not print"),
			       N(v, "outside"));
		putchar('\n');
	}
	if (N(b, "ribbons_received"))
		printf(_("ribbons:    %lld in store (%lld received)\n"), N(b, "ribbons_store"),
		       N(b, "ribbons_received"));
	if (json_object_get(d, "seq"))
		printf(_("recorded as audit record %lld\n"), N(d, "seq"));
	json_t *o = json_object_get(d, "outlook");
	if (o) {
		double cover = json_real_value(json_object_get(o, "days_of_cover"));
		if (cover < 0) {
			printf(_("use:        none in the last %lld days; days of cover unknown\n"),
			       N(o, "window_days"));
		} else {
			char when[32];
			time_t t = (time_t)N(o, "runout_at");
			struct tm tm;
			localtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d", &tm);
			printf(_("use:        %.1f a day (last %lld days): %.1f days of cover, "
				 "runs out "
				 "about %s (lead time %lld days)\n"),
			       json_real_value(json_object_get(o, "per_day")), N(o, "window_days"),
			       cover, when, N(o, "lead_time_days"));
		}
	}
#undef N
}

static void
print_forecast(json_t *d)
{
	json_t *o = json_object_get(d, "outlook");

	printf(_("on hand %lld, using %.1f a day: for the next %lld days plus the %lld-day lead "
		 "time, request %lld blank cards\n"),
	       (long long)json_integer_value(json_object_get(o, "on_hand")),
	       json_real_value(json_object_get(o, "per_day")),
	       (long long)json_integer_value(json_object_get(o, "days_ahead")),
	       (long long)json_integer_value(json_object_get(o, "lead_time_days")),
	       (long long)json_integer_value(json_object_get(o, "request")));
}

static void
print_alerts(json_t *d)
{
	json_t *arr = json_object_get(d, "alerts"), *a;
	size_t i;

	if (!json_array_size(arr))
		printf("%s", _("no alerts\n"));
	json_array_foreach(arr, i, a)
	{
		char when[32];
		time_t t = (time_t)json_integer_value(json_object_get(a, "since"));
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		printf(_("%-16s since %s  %s\n"), jstr(a, "alert"), when,
		       ctl_msg(jstr(a, "message")));
	}
}

static int
cmd_alerts(const struct cli *cli, int argc, char **argv)
{
	if (argc != 0)
		return EXIT_USAGE;
	return daemon_verb(cli, "alerts", NULL, print_alerts);
}

static void
print_result(json_t *d)
{
	printf("%s\n", jstr(d, "result"));
}

/* stock [receive|load|count|transfer|destroy|check] ... */
static int
cmd_stock(const struct cli *cli, int argc, char **argv)
{
	json_t *args = json_object();
	const char *verb = "stock";
	void (*printer)(json_t *) = print_balance;
	int i = 1, rc;

	if (argc == 0) {
		rc = daemon_verb(cli, "stock", NULL, print_balance);
		json_decref(args);
		return rc;
	}
	const char *sub = argv[0];
	if (!strcmp(sub, "receive") && argc >= 3) {
		verb = "stock-receive";
		json_object_set_new(args, "lot", json_string(argv[1]));
		json_object_set_new(args, "count", json_integer(atol(argv[2])));
		i = 3;
	} else if (!strcmp(sub, "load") && argc >= 3) {
		verb = "stock-load";
		json_object_set_new(args, "line", json_string(argv[1]));
		json_object_set_new(args, "count", json_integer(atol(argv[2])));
		i = 3;
	} else if ((!strcmp(sub, "count") || !strcmp(sub, "transfer") || !strcmp(sub, "destroy")) &&
		   argc >= 2) {
		verb = !strcmp(sub, "count")	  ? "stock-count"
		       : !strcmp(sub, "transfer") ? "stock-transfer"
						  : "stock-destroy";
		json_object_set_new(args, "count", json_integer(atol(argv[1])));
		i = 2;
	} else if (!strcmp(sub, "ribbon-receive") && argc >= 2) {
		verb = "stock-ribbon-receive";
		json_object_set_new(args, "count", json_integer(atol(argv[1])));
		i = 2;
	} else if (!strcmp(sub, "ribbon-load") && argc >= 4) {
		verb = "stock-ribbon-load";
		json_object_set_new(args, "line", json_string(argv[1]));
		json_object_set_new(args, "ribbon", json_string(argv[2]));
		json_object_set_new(args, "count", json_integer(atol(argv[3])));
		i = 4;
	} else if (!strcmp(sub, "counter-ack") && argc >= 2) {
		verb = "stock-counter-ack";
		json_object_set_new(args, "line", json_string(argv[1]));
		i = 2;
	} else if (!strcmp(sub, "check") && argc == 1) {
		verb = "stock-check";
		printer = print_result;
	} else if (!strcmp(sub, "forecast") && argc == 3 && !strcmp(argv[1], "--days")) {
		json_object_set_new(args, "days", json_integer(atol(argv[2])));
		rc = daemon_verb(cli, "stock-forecast", args, print_forecast);
		json_decref(args);
		return rc;
	} else {
		json_decref(args);
		return EXIT_USAGE;
	}
	for (; i + 1 < argc; i += 2) {
		const char *k = argv[i];
		if (!strcmp(k, "--doc") || !strcmp(k, "--note") || !strcmp(k, "--reason") ||
		    !strcmp(k, "--witnesses") ||
		    (!strcmp(k, "--from") && !strcmp(sub, "receive")) ||
		    (!strcmp(k, "--to") && !strcmp(sub, "transfer")))
			json_object_set_new(args, k + 2, json_string(argv[i + 1]));
		else
			break;
	}
	if (i != argc) {
		json_decref(args);
		return EXIT_USAGE;
	}
	rc = daemon_verb(cli, verb, args, printer);
	json_decref(args);
	return rc;
}

/* the local midnight starting day YYYY-MM-DD (or month YYYY-MM with day 1); -1 if malformed */
static long long
local_day(const char *s, int month_only, int add_days, int add_months)
{
	struct tm tm = { 0 };
	char end;
	int n = month_only ? sscanf(s, "%4d-%2d%c", &tm.tm_year, &tm.tm_mon, &end)
			   : sscanf(s, "%4d-%2d-%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &end);

	if (n != (month_only ? 2 : 3))
		return -1;
	if (month_only)
		tm.tm_mday = 1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon += add_months - 1;
	tm.tm_mday += add_days;
	tm.tm_isdst = -1;
	return (long long)mktime(&tm);
}

static enum report_format report_fmt;
static const char *report_pdf; /* -o FILE with --format pdf */
static int report_failed;      /* the answer came but could not be written */

static void
print_report(json_t *d)
{
	char why[300];

	if (!report_pdf) {
		report_failed = report_write(d, report_fmt, stdout) < 0;
	} else if (report_write_pdf(d, json_string_value(json_object_get(d, "office")), report_pdf,
				    why, sizeof(why)) < 0) {
		fprintf(stderr, "cetakctl: %s\n", why);
		report_failed = 1;
	} else {
		printf(_("%s: %s report written\n"), report_pdf,
		       json_string_value(json_object_get(d, "report")));
	}
}

/* report daily [--date D] | monthly [--month M] | range --from D --to D; [--line L] [--format F] */
static int
cmd_report(const struct cli *cli, int argc, char **argv)
{
	const char *date = NULL, *month = NULL, *from = NULL, *to = NULL, *line = NULL, *out = NULL;
	int pdf = 0;
	char today[16];
	time_t now = time(NULL);
	struct tm tm;
	long long t0, t1;
	int fmt = REPORT_TEXT, rc;

	if (argc < 1)
		return EXIT_USAGE;
	if (strcmp(argv[0], "custody") == 0)
		return cli_report_custody(cli, argc - 1, argv + 1);
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return EXIT_USAGE;
		const char *k = argv[i], *v = argv[i + 1];
		if (!strcmp(k, "--date"))
			date = v;
		else if (!strcmp(k, "--month"))
			month = v;
		else if (!strcmp(k, "--from"))
			from = v;
		else if (!strcmp(k, "--to"))
			to = v;
		else if (!strcmp(k, "--line"))
			line = v;
		else if (!strcmp(k, "-o"))
			out = v;
		else if (!strcmp(k, "--format") && !strcmp(v, "pdf"))
			pdf = 1;
		else if (!strcmp(k, "--format") && (fmt = report_format_from_name(v)) >= 0)
			;
		else
			return EXIT_USAGE;
	}
	localtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	if (!strcmp(argv[0], "daily") && !month && !from && !to) {
		t0 = local_day(date ? date : today, 0, 0, 0);
		t1 = local_day(date ? date : today, 0, 1, 0);
	} else if (!strcmp(argv[0], "monthly") && !date && !from && !to) {
		t0 = local_day(month ? month : today, !!month, month ? 0 : 1 - tm.tm_mday, 0);
		t1 = local_day(month ? month : today, !!month, month ? 0 : 1 - tm.tm_mday, 1);
	} else if (!strcmp(argv[0], "range") && from && to && !date && !month) {
		t0 = local_day(from, 0, 0, 0);
		t1 = local_day(to, 0, 1, 0); /* --to is the last day included */
	} else {
		return EXIT_USAGE;
	}
	if (t0 < 0 || t1 < 0) {
		fprintf(stderr, _("cetakctl: dates are YYYY-MM-DD, months YYYY-MM\n"));
		return EXIT_USAGE;
	}
	if (pdf != !!out) {
		fprintf(stderr,
			_("cetakctl: --format pdf writes to -o FILE (and -o is for PDF only)\n"));
		return EXIT_USAGE;
	}
	report_fmt = (enum report_format)fmt;
	report_pdf = out;
	json_t *args = json_pack("{s:s, s:I, s:I}", "report", argv[0], "from", (json_int_t)t0, "to",
				 (json_int_t)t1);
	if (line)
		json_object_set_new(args, "line", json_string(line));
	rc = daemon_verb(cli, "report", args, print_report);
	json_decref(args);
	return rc == 0 && report_failed ? EXIT_REFUSED : rc;
}

/* audit export -o FILE [--from SEQ] [--max N]: the response line says how
 * many bytes follow it */
static int
cmd_audit(const struct cli *cli, int argc, char **argv)
{
	char *req, *buf = NULL, err[256];
	size_t len = 0, cap = 0;
	int fd, rc = EXIT_UNREACHABLE;
	struct ctl_response resp = { 0 };
	long long from = 1, max = 0;

	if (argc < 3 || strcmp(argv[0], "export") || strcmp(argv[1], "-o"))
		return EXIT_USAGE;
	for (int i = 3; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--from") == 0)
			from = atoll(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--max") == 0)
			max = atoll(argv[++i]);
		else
			return EXIT_USAGE;
	}
	if ((fd = cli_connect(cli->socket)) < 0)
		return EXIT_UNREACHABLE;
	json_t *args = json_pack("{s:I, s:I}", "from", (json_int_t)from, "max", (json_int_t)max);
	req = ctl_request_encode("audit-export", args);
	json_decref(args);
	if (!req || send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		goto out;
	for (;;) {
		if (cap - len < 65536) {
			char *p = realloc(buf, cap = cap ? cap * 2 : 1 << 20);
			if (!p)
				goto out;
			buf = p;
		}
		ssize_t r = recv(fd, buf + len, cap - len, 0);
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	char *nl = buf ? memchr(buf, '\n', len) : NULL;
	if (!nl || ctl_response_parse(buf, (size_t)(nl - buf), &resp, err, sizeof(err)) < 0) {
		fprintf(stderr, _("cetakctl: unreadable answer from cetakd\n"));
		goto out;
	}
	if (!resp.ok) {
		fprintf(stderr, _("cetakctl: audit export: %s\n"), resp.message);
		rc = EXIT_REFUSED;
		goto out;
	}
	size_t want = (size_t)json_integer_value(json_object_get(resp.data, "bytes"));
	size_t have = len - (size_t)(nl + 1 - buf);
	if (have != want) {
		fprintf(stderr, _("cetakctl: the export was cut off (%zu of %zu bytes)\n"), have,
			want);
		goto out;
	}
	FILE *f = fopen(argv[2], "w");
	if (!f || fwrite(nl + 1, 1, have, f) != have || fclose(f) != 0) {
		fprintf(stderr, _("cetakctl: cannot write %s\n"), argv[2]);
		rc = EXIT_REFUSED;
		goto out;
	}
	printf(_("audit exported to %s (%zu bytes); check it with: cetak-audit verify %s --cert "
		 "STATION.pem\n"),
	       argv[2], have, argv[2]);
	rc = 0;
out:
	ctl_response_done(&resp);
	close(fd);
	free(req);
	free(buf);
	return rc;
}

struct cli_verb {
	const char *name;
	const char *args;
	int (*fn)(const struct cli *cli, int argc, char **argv);
	const char *help;
};

static const struct cli_verb cli_verbs[] = {
	{ "status", "", cmd_status, N_("daemon version, uptime, config and the lines' state") },
	{ "reload", "", cmd_reload, N_("reload cetakd.conf (supervisor); a bad file is refused") },
	{ "lines", "", cmd_lines,
	  N_("print lines: state, job and step, cards today, hopper, ribbon") },
	{ "line", "pause|resume|drain NAME", cmd_line,
	  N_("pause a line, resume it (after a stop: once the printer is fixed), or drain it") },
	{ "resolve", "JOB printed|spoiled [--cause C]", cmd_resolve,
	  N_("settle a card of unknown outcome after checking the hoppers (supervisor)") },
	{ "submit", "[--spool DIR] FILE...", cmd_submit,
	  N_("validate job files and hand them to cetakd's spool") },
	{ "validate", "[--region R] [--layout L] FILE...", cmd_validate,
	  N_("check job files without submitting them (no daemon needed)") },
	{ "queue", "[--state S,..] [--kind K,..] [--limit N] [--count]", cmd_queue,
	  N_("jobs waiting and in progress") },
	{ "job", "show ID", cmd_job, N_("one job and its history") },
	{ "hold", "ID --reason TEXT", cmd_hold, N_("hold a queued job") },
	{ "release", "ID", cmd_release, N_("release a held job (print-once holds: supervisor)") },
	{ "cancel", "ID --reason TEXT", cmd_cancel, N_("cancel a job that is not printing") },
	{ "retry", "ID", cmd_retry, N_("queue a failed job again") },
	{ "priority", "ID N", cmd_priority, N_("set a job's priority, -9..9 (supervisor)") },
	{ "stock",
	  "[receive LOT N|load LINE N|count N|transfer N|destroy N|check|forecast --days N|"
	  "ribbon-receive N|ribbon-load LINE SERIAL RATED|counter-ack LINE --note T] [--doc D] "
	  "[--note T] [--reason T] [--witnesses W]",
	  cmd_stock,
	  N_("blank-card stock: show, receive, load, stocktake, transfer, destroy, check") },
	{ "report",
	  "daily [--date D]|monthly [--month YYYY-MM]|range --from D --to D [--line L] "
	  "[--format text|csv|json|pdf -o FILE]|custody [--format text|csv|json|pdf -o FILE]",
	  cmd_report,
	  N_("stock report: balances, issued, spoiled by cause, per line and operator") },
	{ "alerts", "", cmd_alerts, N_("active stock alerts") },
	{ "audit", "export -o FILE [--from SEQ] [--max N]", cmd_audit,
	  N_("the signed audit log, for cetak-audit (supervisor)") },
	{ "face", "render JOBFILE -o OUT.png|OUT.pdf [--layout L]", cmd_face,
	  N_("render the card face without printing") },
	{ "card",
	  "read [--reader R] [--profile P] [--csca F]|check|handover --nik N [--collector NAME "
	  "--collector-id ID --relation R]|show JOB|--chip S|list [--state S,..] [--place P] "
	  "[--older-than DAYS]|store JOB|--chip S|--desk --place P|stocktake start|read|end "
	  "--place P|"
	  "transfer JOB --doc D|transfer --kecamatan K [--doc D] [-o BA.pdf]|batch [DOC -o BA.pdf]|"
	  "collected JOB "
	  "--doc D|withdraw JOB --note T|destroy JOB --doc D|correct JOB --to STATE --note T",
	  cmd_card,
	  N_("read a card; the custody of issued cards: where each is, store, transfer, "
	     "withdraw") },
	{ "hub", "[push]", cmd_hub,
	  N_("the district hub: what it holds of this station's chain; push now") },
	{ "privacy", "[purge]", cmd_privacy,
	  N_("personal data held and until when; purge: remove what is past retention "
	     "(supervisor)") },
	{ "notice", "run", cmd_notice,
	  N_("an SMS notice round now: results from gammu-smsd, due notices to it") },
	{ NULL, NULL, NULL, NULL },
};

static void
usage(FILE *out)
{
	fprintf(out,
		_("usage: cetakctl [-s SOCKET] [--json] COMMAND [ARGS]\n"
		  "  -s, --socket PATH  control socket (default $CETAK_CONTROL or %s)\n"
		  "  -j, --json         print the daemon's answer as JSON\n\ncommands:\n"),
		CTL_DEFAULT_SOCKET);
	for (const struct cli_verb *v = cli_verbs; v->name; v++)
		fprintf(out, "  %-9s %-48s %s\n", v->name, v->args, _(v->help));
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

	i18n_init();
	if (argc == 2 && strcmp(argv[1], "--describe-commands") == 0) {
		/* the COMMANDS section of cetakctl(1) (make man), in English */
		for (const struct cli_verb *v = cli_verbs; v->name; v++) {
			printf(".TP\n.B %s", v->name);
			if (v->args[0]) {
				fputs(" \\fI", stdout);
				for (const char *c = v->args; *c; c++) {
					if (*c == '-')
						putchar('\\');
					putchar(*c);
				}
				fputs("\\fR", stdout);
			}
			printf("\n%s\n", v->help);
		}
		return 0;
	}
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
			fprintf(stderr, _("usage: cetakctl %s %s\n"), v->name, v->args);
		return rc;
	}
	fprintf(stderr, _("cetakctl: unknown command '%s'; 'cetakctl --help' lists them\n"),
		argv[optind]);
	return EXIT_USAGE;
}
