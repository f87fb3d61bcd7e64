/*
 * check.c - the district's alarms, raised once per period on the journal
 * (stderr, "cetak-hub: alarm: ..."), in hub.alarms, to an alarm command
 * (the alarm as JSON on its stdin, for mail, SMS or chat gateways, as the
 * station's alert command) and as gauges in a Prometheus textfile:
 *   silent    a station that has not pushed for more than silent_hours
 *   chain     a slice that did not verify (raised by the verifier)
 *   transit   a transfer unmatched after transit_days
 *   reserve   a station with its blanks on hand at or under its reserve
 *   cover     the district's days of cover under the lead time
 *   oversized a slice too large (raised by hub.push())
 */
#define _GNU_SOURCE
#include "hub.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define q hub_q

void
hub_check_defaults(struct check_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->silent_hours = 24;
	o->transit_days = 7;
	o->lead_days = 14;
	o->window_days = 30;
}

/* The alarm command: the alarm as JSON on its stdin; killed after 30 s. */
static void
run_command(const char *cmd, const char *json)
{
	int fd[2];
	pid_t pid;

	if (pipe2(fd, O_CLOEXEC) < 0)
		return;
	if ((pid = fork()) < 0) {
		close(fd[0]);
		close(fd[1]);
		return;
	}
	if (pid == 0) {
		dup2(fd[0], 0);
		execl(cmd, cmd, (char *)NULL);
		_exit(127);
	}
	close(fd[0]);
	signal(SIGPIPE, SIG_IGN);
	if (write(fd[1], json, strlen(json)) < 0 || write(fd[1], "\n", 1) < 0)
		fprintf(stderr, "cetak-hub: alarm command %s did not read the alarm\n", cmd);
	close(fd[1]);
	int st = 0;
	for (int waited = 0; waitpid(pid, &st, WNOHANG) == 0; waited++) {
		if (waited == 300) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			fprintf(stderr, "cetak-hub: alarm command %s killed after 30 s\n", cmd);
			return;
		}
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fprintf(stderr, "cetak-hub: alarm command %s failed (status %d)\n", cmd,
			WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/* Each alarm an INSERT ... RETURNING (station name, kind, message) raised. */
static int
raised(const struct check_opts *o, PGresult *r)
{
	int n = 0;

	for (int i = 0; r && i < PQntuples(r); i++, n++) {
		const char *st = PQgetisnull(r, i, 0) ? "district" : PQgetvalue(r, i, 0);
		fprintf(stderr, "cetak-hub: alarm: %s%s: %s\n",
			PQgetisnull(r, i, 0) ? "" : "station ", st, PQgetvalue(r, i, 2));
		if (o->command) {
			json_t *j = json_pack("{s:s, s:s, s:s, s:I}", "kind", PQgetvalue(r, i, 1),
					      "station", st, "message", PQgetvalue(r, i, 2), "at",
					      (json_int_t)time(NULL));
			char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
			if (s)
				run_command(o->command, s);
			free(s);
			json_decref(j);
		}
	}
	PQclear(r);
	return n;
}

static void
write_metrics(PGconn *c, const char *path)
{
	PGresult *r =
		q(c, PGRES_TUPLES_OK,
		  "SELECT name, head_seq, status = 'refused', COALESCE(extract(epoch FROM "
		  "now() - last_push), -1), (SELECT count(*) FROM hub.intake i WHERE "
		  "i.station_id = s.id), COALESCE((SELECT on_hand FROM hub.records r WHERE "
		  "r.station_id = s.id ORDER BY seq DESC LIMIT 1), 0), (SELECT COALESCE(sum(n), "
		  "0) FROM hub.waiting w WHERE w.station_id = s.id), (SELECT "
		  "COALESCE(sum((v->>'outside')::bigint), 0) FROM jsonb_each(s.balance->'lines') "
		  "e(k, v)) FROM hub.stations s ORDER BY name",
		  0, NULL);
	char tmp[4096];
	FILE *f;

	if (!r)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "we"))) {
		PQclear(r);
		return;
	}
	fputs("# HELP cetak_hub_records Records of the station's chain verified at the hub.\n"
	      "# TYPE cetak_hub_records gauge\n",
	      f);
	for (int i = 0; i < PQntuples(r); i++)
		fprintf(f, "cetak_hub_records{station=\"%s\"} %s\n", PQgetvalue(r, i, 0),
			PQgetvalue(r, i, 1));
	fputs("# HELP cetak_hub_refused 1 when the hub refused the station's chain.\n"
	      "# TYPE cetak_hub_refused gauge\n",
	      f);
	for (int i = 0; i < PQntuples(r); i++)
		fprintf(f, "cetak_hub_refused{station=\"%s\"} %d\n", PQgetvalue(r, i, 0),
			PQgetvalue(r, i, 2)[0] == 't');
	fputs("# HELP cetak_hub_last_push_age_seconds Seconds since the station last pushed (-1: "
	      "never).\n# TYPE cetak_hub_last_push_age_seconds gauge\n",
	      f);
	for (int i = 0; i < PQntuples(r); i++)
		fprintf(f, "cetak_hub_last_push_age_seconds{station=\"%s\"} %.0f\n",
			PQgetvalue(r, i, 0), atof(PQgetvalue(r, i, 3)));
	fputs("# HELP cetak_hub_pending_slices Slices received and not verified yet.\n"
	      "# TYPE cetak_hub_pending_slices gauge\n",
	      f);
	for (int i = 0; i < PQntuples(r); i++)
		fprintf(f, "cetak_hub_pending_slices{station=\"%s\"} %s\n", PQgetvalue(r, i, 0),
			PQgetvalue(r, i, 4));
	static const char *const more[][3] = {
		{ "cetak_hub_on_hand", "Blanks on hand at the station (store, hoppers, in flight).",
		  "5" },
		{ "cetak_hub_waiting_cards", "Issued cards waiting for collection at the station.",
		  "6" },
		{ "cetak_hub_outside_prints",
		  "Cards the station's printers counted that cetakd did not print, unexplained.",
		  "7" },
	};
	for (size_t m = 0; m < sizeof(more) / sizeof(more[0]); m++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", more[m][0], more[m][1], more[m][0]);
		for (int i = 0; i < PQntuples(r); i++)
			fprintf(f, "%s{station=\"%s\"} %s\n", more[m][0], PQgetvalue(r, i, 0),
				PQgetvalue(r, i, atoi(more[m][2])));
	}
	PQclear(r);
	if (fflush(f) == 0 && fsync(fileno(f)) == 0 && fclose(f) == 0)
		rename(tmp, path);
	else
		unlink(tmp);
}

/* Raise the alarms due now; each once per period (silent: per silent_hours,
 * the others per day). */
int
hub_check(PGconn *c, const struct check_opts *o)
{
	char h[32], dd[32], sql[2048];
	int n = 0;

	snprintf(h, sizeof(h), "%g", o->silent_hours);
	snprintf(dd, sizeof(dd), "%g", o->transit_days);
	const char *p1[1] = { h };
	PGresult *r =
		q(c, PGRES_TUPLES_OK,
		  "INSERT INTO hub.alarms (station_id, kind, message) SELECT s.id, 'silent', "
		  "format('no push for more than %s hours (last: %s)', $1::text, COALESCE(to_char("
		  "s.last_push, 'YYYY-MM-DD HH24:MI'), 'never')) FROM hub.stations s WHERE "
		  "s.status = 'ok' AND COALESCE(s.last_push, s.registered_at) < now() - "
		  "make_interval(secs => $1::float8 * 3600) AND NOT EXISTS (SELECT 1 FROM "
		  "hub.alarms a WHERE a.station_id = s.id AND a.kind = 'silent' AND a.at > now() "
		  "- make_interval(secs => $1::float8 * 3600)) RETURNING (SELECT name FROM "
		  "hub.stations WHERE id = station_id), kind, message",
		  1, p1);
	n += raised(o, r);
	snprintf(
		sql, sizeof(sql),
		"INSERT INTO hub.alarms (station_id, kind, message) SELECT t.station_id, "
		"'transit', format('transfer %%s of %%s blanks to %%s in transit for more than %%s "
		"days', t.doc, t.count, t.peer, $1::text) FROM hub.records t JOIN "
		"hub.stations s ON s.id = t.station_id WHERE t.kind = 'transfer' AND t.at < "
		"extract(epoch FROM now()) - $1::float8 * 86400 AND NOT EXISTS (SELECT 1 FROM "
		"hub.records r JOIN hub.stations rs ON rs.id = r.station_id WHERE r.kind = "
		"'receive' AND r.doc = t.doc AND rs.name = t.peer AND "
		"r.peer = s.name) AND NOT EXISTS (SELECT 1 FROM hub.alarms a WHERE "
		"a.station_id = t.station_id AND a.kind = 'transit' AND a.message LIKE "
		"'transfer ' || t.doc || ' %%' AND a.at > now() - interval '1 day') RETURNING "
		"(SELECT name FROM hub.stations WHERE id = station_id), kind, message");
	const char *p2[1] = { dd };
	n += raised(o, q(c, PGRES_TUPLES_OK, sql, 1, p2));

	/* a station at or under its reserve */
	char res[32];
	snprintf(res, sizeof(res), "%ld", o->reserve);
	const char *p3[1] = { res };
	n += raised(
		o, q(c, PGRES_TUPLES_OK,
		     "INSERT INTO hub.alarms (station_id, kind, message) SELECT s.id, 'reserve', "
		     "format('%s blanks on hand, at or under the reserve of %s', x.on_hand, "
		     "COALESCE(s.reserve, $1::bigint)) FROM hub.stations s CROSS JOIN LATERAL "
		     "(SELECT on_hand FROM hub.records r WHERE r.station_id = s.id ORDER BY seq "
		     "DESC LIMIT 1) x WHERE COALESCE(s.reserve, $1::bigint) > 0 AND x.on_hand <= "
		     "COALESCE(s.reserve, $1::bigint) AND NOT EXISTS (SELECT 1 FROM hub.alarms a "
		     "WHERE a.station_id = s.id AND a.kind = 'reserve' AND a.at > now() - interval "
		     "'1 day') RETURNING (SELECT name FROM hub.stations WHERE id = station_id), "
		     "kind, message",
		     1, p3));

	/* the district's cover under the lead time */
	json_t *cv = hub_cover_json(c, o);
	json_t *d = cv ? json_object_get(cv, "district") : NULL;
	double days = d ? json_number_value(json_object_get(d, "days_of_cover")) : -1;
	if (d && days >= 0 && days < o->lead_days) {
		char m[300];
		snprintf(m, sizeof(m),
			 "the district's %lld blanks on hand (and in transit) cover %.1f days at "
			 "%.1f a day, under the lead time of %d days: order %lld blanks",
			 (long long)json_integer_value(json_object_get(d, "on_hand")), days,
			 json_number_value(json_object_get(d, "per_day")), o->lead_days,
			 (long long)json_integer_value(json_object_get(d, "order")));
		const char *p4[1] = { m };
		n += raised(
			o, q(c, PGRES_TUPLES_OK,
			     "INSERT INTO hub.alarms (kind, message) SELECT 'cover', $1 WHERE NOT "
			     "EXISTS (SELECT 1 FROM hub.alarms WHERE kind = 'cover' AND at > now() "
			     "- interval '1 day') RETURNING NULL, kind, message",
			     1, p4));
	}
	json_decref(cv);
	if (o->metrics)
		write_metrics(c, o->metrics);
	return n;
}
