/*
 * views.c - the district views (cetak-hub verbs, tables or --json): the
 * stations, stock per station, transfers matched end to end, issued and
 * spoiled per day and cause, days of cover with a proposal of where to send
 * blanks, cards waiting for collection by age, printers and ribbons, and the
 * alarms. They read the rollups the verifier keeps (hub.daily, hub.cards,
 * the balance per station and per record), not the whole chain.
 */
#include "common/i18n.h"
#include "hub.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/ledger.h"
#include "ledger/stock.h"

#define q hub_q

int
hub_stations(PGconn *c)
{
	PGresult *r = q(c, PGRES_TUPLES_OK,
			"SELECT name, status, head_seq, COALESCE(to_char(last_push, 'YYYY-MM-DD "
			"HH24:MI:SS'), '-'), COALESCE(refused_why, ''), (SELECT count(*) FROM "
			"hub.intake i WHERE i.station_id = s.id) FROM hub.stations s ORDER BY name",
			0, NULL);

	if (!r)
		return EXIT_REFUSED;
	json_t *arr = json_array();
	if (!hub_json)
		printf("%-20s %-8s %10s %8s  %-19s %s\n", _("STATION"), _("STATUS"), _("RECORDS"),
		       _("PENDING"), _("LAST PUSH"), _("REASON"));
	for (int i = 0; i < PQntuples(r); i++) {
		if (hub_json)
			json_array_append_new(
				arr, json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}", "station",
					       PQgetvalue(r, i, 0), "status", PQgetvalue(r, i, 1),
					       "records", (json_int_t)atoll(PQgetvalue(r, i, 2)),
					       "pending", (json_int_t)atoll(PQgetvalue(r, i, 5)),
					       "last_push", PQgetvalue(r, i, 3), "reason",
					       PQgetvalue(r, i, 4)));
		else
			printf("%-20s %-8s %10s %8s  %-19s %s\n", PQgetvalue(r, i, 0),
			       PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 5),
			       PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
	}
	if (hub_json)
		hub_print_json(arr);
	json_decref(arr);
	PQclear(r);
	return 0;
}

/* Blanks a station sent that no receipt matches yet, per station. */
static const char in_transit_sql[] =
	"SELECT COALESCE(sum(t.count), 0) FROM hub.records t WHERE t.station_id = s.id AND "
	"t.kind = 'transfer' AND NOT EXISTS (SELECT 1 FROM hub.records r JOIN hub.stations rs ON "
	"rs.id = r.station_id WHERE r.kind = 'receive' AND r.doc = t.doc AND rs.name = "
	"t.peer AND r.peer = s.name)";

int
hub_stock(PGconn *c)
{
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "SELECT name, balance::text, head_seq, (%s) FROM hub.stations s ORDER BY name",
		 in_transit_sql);
	PGresult *r = q(c, PGRES_TUPLES_OK, sql, 0, NULL);
	struct ledger_balance tot;
	long transit_total = 0;

	if (!r)
		return EXIT_REFUSED;
	memset(&tot, 0, sizeof(tot));
	json_t *arr = json_array();
	if (!hub_json)
		printf("%-20s %8s %8s %10s %8s %8s %8s\n", _("STATION"), _("STORE"), _("HOPPERS"),
		       _("IN TRANSIT"), _("ISSUED"), _("SPOILED"), _("SENT"));
	for (int i = 0; i < PQntuples(r); i++) {
		struct ledger_balance b;
		long hoppers = 0;
		memset(&b, 0, sizeof(b));
		json_t *bj = json_loads(PQgetvalue(r, i, 1), 0, NULL);
		if (bj && json_object_size(bj))
			stock_balance_from_json(bj, &b);
		json_decref(bj);
		for (int k = 0; k < b.n_lines; k++)
			hoppers += b.lines[k].hopper;
		long transit = atol(PQgetvalue(r, i, 3));
		transit_total += transit;
		tot.store += b.store, tot.issued += b.issued, tot.spoiled += b.spoiled;
		tot.transferred += b.transferred, tot.received += hoppers; /* hoppers */
		if (hub_json)
			json_array_append_new(
				arr, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "station",
					       PQgetvalue(r, i, 0), "store", (json_int_t)b.store,
					       "hoppers", (json_int_t)hoppers, "in_transit",
					       (json_int_t)transit, "issued", (json_int_t)b.issued,
					       "spoiled", (json_int_t)b.spoiled, "transferred",
					       (json_int_t)b.transferred));
		else
			printf("%-20s %8ld %8ld %10ld %8ld %8ld %8ld\n", PQgetvalue(r, i, 0),
			       b.store, hoppers, transit, b.issued, b.spoiled, b.transferred);
	}
	if (hub_json)
		hub_print_json(arr);
	else {
		printf("%-20s %8ld %8ld %10ld %8ld %8ld %8ld\n", _("district"), tot.store,
		       tot.received, transit_total, tot.issued, tot.spoiled, tot.transferred);
	}
	json_decref(arr);
	PQclear(r);
	return 0;
}

/*
 * Transfers matched end to end: each transfer record (the sending station,
 * its document, the receiving station in "peer") with the receipt that
 * names the same document and the sender, and receipts from a station that
 * has no such transfer. older: only those in transit for more than this
 * many days (0: all).
 */
static const char transfers_sql[] =
	"SELECT s.name, t.peer, t.doc, t.count, to_char(to_timestamp(t.at), "
	"'YYYY-MM-DD'), r.count, COALESCE(to_char(to_timestamp(r.at), 'YYYY-MM-DD'), ''), "
	"CASE WHEN r.seq IS NULL THEN 'in_transit' WHEN r.count = t.count THEN 'received' "
	"ELSE 'mismatched' END, (extract(epoch FROM now()) - t.at) / 86400 "
	"FROM hub.records t JOIN hub.stations s ON s.id = t.station_id "
	"LEFT JOIN hub.stations rs ON rs.name = t.peer "
	"LEFT JOIN hub.records r ON r.station_id = rs.id AND r.kind = 'receive' AND r.doc = "
	"t.doc AND r.peer = s.name WHERE t.kind = 'transfer' "
	"UNION ALL "
	"SELECT r.peer, s.name, r.doc, NULL, '', r.count, "
	"to_char(to_timestamp(r.at), 'YYYY-MM-DD'), 'no_sender_record', 0 "
	"FROM hub.records r JOIN hub.stations s ON s.id = r.station_id WHERE r.kind = 'receive' "
	"AND r.peer IS NOT NULL AND NOT EXISTS (SELECT 1 FROM hub.records t JOIN hub.stations ts "
	"ON ts.id = t.station_id WHERE t.kind = 'transfer' AND t.doc = r.doc AND ts.name = "
	"r.peer) ORDER BY 3";

int
hub_transfers(PGconn *c, double older)
{
	PGresult *r = q(c, PGRES_TUPLES_OK, transfers_sql, 0, NULL);
	long n[4] = { 0 };

	if (!r)
		return EXIT_REFUSED;
	json_t *arr = json_array();
	if (!hub_json)
		printf("%-16s %-16s %-14s %6s %-10s %8s %-10s %s\n", _("FROM"), _("TO"),
		       _("DOCUMENT"), _("SENT"), _("ON"), _("RECEIVED"), _("ON"), _("STATE"));
	for (int i = 0; i < PQntuples(r); i++) {
		const char *state = PQgetvalue(r, i, 7);
		double age = atof(PQgetvalue(r, i, 8));
		if (older > 0 && (strcmp(state, "in_transit") != 0 || age < older))
			continue;
		n[!strcmp(state, "received")	 ? 0
		  : !strcmp(state, "in_transit") ? 1
		  : !strcmp(state, "mismatched") ? 2
						 : 3]++;
		if (hub_json) {
			json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "from",
					      PQgetvalue(r, i, 0), "to", PQgetvalue(r, i, 1), "doc",
					      PQgetvalue(r, i, 2), "sent_on", PQgetvalue(r, i, 4),
					      "received_on", PQgetvalue(r, i, 6), "state", state);
			json_object_set_new(o, "sent",
					    PQgetisnull(r, i, 3)
						    ? json_null()
						    : json_integer(atol(PQgetvalue(r, i, 3))));
			json_object_set_new(o, "received",
					    PQgetisnull(r, i, 5)
						    ? json_null()
						    : json_integer(atol(PQgetvalue(r, i, 5))));
			json_array_append_new(arr, o);
		} else {
			printf("%-16s %-16s %-14s %6s %-10s %8s %-10s %s\n", PQgetvalue(r, i, 0),
			       PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
			       PQgetisnull(r, i, 3) ? "-" : PQgetvalue(r, i, 3),
			       PQgetvalue(r, i, 4)[0] ? PQgetvalue(r, i, 4) : "-",
			       PQgetisnull(r, i, 5) ? "-" : PQgetvalue(r, i, 5),
			       PQgetvalue(r, i, 6)[0] ? PQgetvalue(r, i, 6) : "-", state);
		}
	}
	if (hub_json)
		hub_print_json(arr);
	else {
		printf(_("received %ld, in transit %ld, mismatched %ld, received without a sending "
			 "record %ld\n"),
		       n[0], n[1], n[2], n[3]);
	}
	json_decref(arr);
	PQclear(r);
	return 0;
}

int
hub_alarms(PGconn *c)
{
	PGresult *r =
		q(c, PGRES_TUPLES_OK,
		  "SELECT to_char(a.at AT TIME ZONE (SELECT hub.tz()), 'YYYY-MM-DD HH24:MI:SS'), "
		  "COALESCE(s.name, 'district'), a.kind, a.message FROM hub.alarms a LEFT JOIN "
		  "hub.stations s ON s.id = a.station_id ORDER BY a.id",
		  0, NULL);

	if (!r)
		return EXIT_REFUSED;
	json_t *arr = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		if (hub_json)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "at",
							     PQgetvalue(r, i, 0), "station",
							     PQgetvalue(r, i, 1), "kind",
							     PQgetvalue(r, i, 2), "message",
							     PQgetvalue(r, i, 3)));
		else
			printf("%s  %-16s %-10s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
			       PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
	}
	if (hub_json)
		hub_print_json(arr);
	json_decref(arr);
	PQclear(r);
	return 0;
}

/* The ledger's causes, as hub.usage has them in columns. */
static const char *const causes[] = { "gagal_encode",	"gagal_cetak", "rusak",
				      "perubahan_data", "no_chip",     "interrupted",
				      "auth_refused",	"counterfeit" };
#define N_CAUSES (sizeof(causes) / sizeof(causes[0]))

/* Issued and spoiled per station per day and cause, the last `days` days. */
int
hub_usage(PGconn *c, int days)
{
	char dd[16];
	snprintf(dd, sizeof(dd), "%d", days);
	const char *p[1] = { dd };
	PGresult *r =
		q(c, PGRES_TUPLES_OK,
		  "SELECT s.name, u.day::text, u.issued, u.spoiled, u.gagal_encode, "
		  "u.gagal_cetak, u.rusak, u.perubahan_data, u.no_chip, u.interrupted, "
		  "u.auth_refused, u.counterfeit FROM hub.usage u JOIN hub.stations s ON s.id = "
		  "u.station_id WHERE u.day > (SELECT (now() AT TIME ZONE hub.tz())::date) - "
		  "$1::int ORDER BY s.name COLLATE \"C\", u.day",
		  1, p);
	if (!r)
		return EXIT_REFUSED;
	json_t *arr = json_array();
	long long tot_i = 0, tot_s = 0;
	if (!hub_json)
		printf("%-20s %-10s %7s %7s  %s\n", _("STATION"), _("DAY"), _("ISSUED"),
		       _("SPOILED"), _("SPOILED BY CAUSE"));
	for (int i = 0; i < PQntuples(r); i++) {
		long long issued = hub_ll(r, i, 2), spoiled = hub_ll(r, i, 3);
		char line[256] = "";
		size_t len = 0;
		json_t *bc = json_object();
		tot_i += issued, tot_s += spoiled;
		for (size_t k = 0; k < N_CAUSES; k++) {
			long long n = hub_ll(r, i, 4 + (int)k);
			if (!n)
				continue;
			json_object_set_new(bc, causes[k], json_integer(n));
			if (len < sizeof(line))
				len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s %lld",
							len ? ", " : "", causes[k], n);
		}
		if (hub_json) {
			json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I, s:o}", "station",
							     PQgetvalue(r, i, 0), "day",
							     PQgetvalue(r, i, 1), "issued",
							     (json_int_t)issued, "spoiled",
							     (json_int_t)spoiled, "by_cause", bc));
		} else {
			printf("%-20s %-10s %7lld %7lld  %s\n", PQgetvalue(r, i, 0),
			       PQgetvalue(r, i, 1), issued, spoiled, line);
			json_decref(bc);
		}
	}
	PQclear(r);
	if (hub_json)
		hub_print_json(arr);
	else
		printf(_("%-20s %-10s %7lld %7lld  over the last %d days\n"), _("district"), "",
		       tot_i, tot_s, days);
	json_decref(arr);
	return 0;
}

/* Blanks sent to each station that no receipt matches yet, by receiver. */
#define TRANSIT_TO_SQL                                                                             \
	"SELECT t.peer AS name, sum(t.count) AS n FROM hub.records t JOIN "                        \
	"hub.stations s ON s.id = t.station_id WHERE t.kind = 'transfer' AND NOT EXISTS (SELECT "  \
	"1 FROM hub.records r JOIN hub.stations rs ON rs.id = r.station_id WHERE r.kind = "        \
	"'receive' AND r.doc = t.doc AND rs.name = t.peer AND r.peer = "                           \
	"s.name) GROUP BY 1"

json_t *
hub_cover_json(PGconn *c, const struct check_opts *o)
{
	char win[16], res[32];
	snprintf(win, sizeof(win), "%d", o->window_days);
	snprintf(res, sizeof(res), "%ld", o->reserve);
	const char *p[2] = { win, res };
	PGresult *r = q(
		c, PGRES_TUPLES_OK,
		"WITH used AS (SELECT station_id, sum(issued + spoiled) AS n FROM hub.usage WHERE "
		"day > (SELECT (now() AT TIME ZONE hub.tz())::date) - $1::int GROUP BY 1), "
		"transit AS (" TRANSIT_TO_SQL
		") SELECT s.name, COALESCE((SELECT on_hand FROM hub.records r WHERE r.station_id = "
		"s.id ORDER BY seq DESC LIMIT 1), 0), COALESCE(t.n, 0), COALESCE(u.n, 0), "
		"COALESCE(s.reserve, $2::bigint) FROM hub.stations s LEFT JOIN used u ON "
		"u.station_id = s.id LEFT JOIN transit t ON t.name = s.name ORDER BY s.name",
		2, p);
	if (!r)
		return NULL;
	int n = PQntuples(r);
	json_t *st = json_array(), *prop = json_array();
	long *give = calloc((size_t)n + 1, sizeof(long)),
	     *need = calloc((size_t)n + 1, sizeof(long));
	long on_hand_all = 0, used_all = 0, need_all = 0, give_all = 0;
	for (int i = 0; i < n; i++) {
		long on_hand = (long)hub_ll(r, i, 1), transit = (long)hub_ll(r, i, 2);
		long used = (long)hub_ll(r, i, 3), reserve = (long)hub_ll(r, i, 4);
		double per_day = (double)used / o->window_days;
		double days = per_day > 0 ? (double)(on_hand + transit) / per_day : -1;
		/* a station keeps its reserve and the lead time's use; more is spare */
		long keep = (long)ceil(per_day * o->lead_days);
		if (keep < reserve)
			keep = reserve;
		/* a station with no use in the window (new, or closed): its need
		 * cannot be told, so it neither asks nor gives, beyond its reserve */
		if (on_hand + transit < keep)
			need[i] = keep - on_hand - transit;
		else if (on_hand > keep && used > 0)
			give[i] = on_hand - (keep > transit ? keep - transit : 0);
		if (give[i] > on_hand)
			give[i] = on_hand;
		on_hand_all += on_hand + transit, used_all += used;
		need_all += need[i], give_all += give[i];
		json_array_append_new(
			st,
			json_pack("{s:s, s:I, s:I, s:f, s:f, s:I, s:I, s:I}", "station",
				  PQgetvalue(r, i, 0), "on_hand", (json_int_t)on_hand, "in_transit",
				  (json_int_t)transit, "per_day", round(per_day * 10) / 10,
				  "days_of_cover", days < 0 ? -1.0 : round(days * 10) / 10,
				  "reserve", (json_int_t)reserve, "needs", (json_int_t)need[i],
				  "spare", (json_int_t)give[i]));
	}
	/* the proposal: the largest need first, from the largest spare */
	for (;;) {
		int to = -1, from = -1;
		for (int i = 0; i < n; i++) {
			if (need[i] > 0 && (to < 0 || need[i] > need[to]))
				to = i;
			if (give[i] > 0 && (from < 0 || give[i] > give[from]))
				from = i;
		}
		if (to < 0 || from < 0)
			break;
		long k = need[to] < give[from] ? need[to] : give[from];
		json_array_append_new(
			prop, json_pack("{s:s, s:s, s:I}", "from", PQgetvalue(r, from, 0), "to",
					PQgetvalue(r, to, 0), "count", (json_int_t)k));
		need[to] -= k, give[from] -= k;
	}
	long short_all = 0;
	for (int i = 0; i < n; i++)
		short_all += need[i];
	double per_day_all = (double)used_all / o->window_days;
	double days_all = per_day_all > 0 ? (double)on_hand_all / per_day_all : -1;
	/* what to order from the province: the next window's use and the lead
	 * time's, less what the district holds */
	long order = (long)ceil(per_day_all * (o->window_days + o->lead_days)) - on_hand_all;
	json_t *ret = json_pack(
		"{s:o, s:{s:I, s:f, s:f, s:I, s:I, s:i, s:i}, s:o}", "stations", st, "district",
		"on_hand", (json_int_t)on_hand_all, "per_day", round(per_day_all * 10) / 10,
		"days_of_cover", days_all < 0 ? -1.0 : round(days_all * 10) / 10, "order",
		(json_int_t)(order > 0 ? order : 0), "short", (json_int_t)short_all, "lead_days",
		o->lead_days, "window_days", o->window_days, "proposal", prop);
	free(give);
	free(need);
	PQclear(r);
	return ret;
}

int
hub_cover(PGconn *c, const struct check_opts *o)
{
	json_t *cv = hub_cover_json(c, o), *v, *d;
	size_t i;

	if (!cv)
		return EXIT_REFUSED;
	if (hub_json) {
		hub_print_json(cv);
		json_decref(cv);
		return 0;
	}
#define I(o, k) ((long long)json_integer_value(json_object_get(o, k)))
#define F(o, k) json_number_value(json_object_get(o, k))
	printf("%-20s %8s %10s %8s %8s %8s %6s %6s\n", _("STATION"), _("ON HAND"), _("IN TRANSIT"),
	       _("PER DAY"), _("COVER"), _("RESERVE"), _("NEEDS"), _("SPARE"));
	json_array_foreach(json_object_get(cv, "stations"), i, v)
	{
		char cov[16] = "-";
		if (F(v, "days_of_cover") >= 0)
			snprintf(cov, sizeof(cov), "%.1f d", F(v, "days_of_cover"));
		printf("%-20s %8lld %10lld %8.1f %8s %8lld %6lld %6lld\n",
		       json_string_value(json_object_get(v, "station")), I(v, "on_hand"),
		       I(v, "in_transit"), F(v, "per_day"), cov, I(v, "reserve"), I(v, "needs"),
		       I(v, "spare"));
	}
	d = json_object_get(cv, "district");
	printf(_("district: %lld blanks on hand and in transit, %.1f used a day over %lld days: "),
	       I(d, "on_hand"), F(d, "per_day"), I(d, "window_days"));
	if (F(d, "days_of_cover") >= 0)
		printf(_("%.1f days of cover (lead time %lld days)\n"), F(d, "days_of_cover"),
		       I(d, "lead_days"));
	else
		printf(_("no use recorded\n"));
	if (I(d, "order") > 0)
		printf(_("order from the province: %lld blanks (the next %lld days' use and the "
			 "lead "
			 "time's)\n"),
		       I(d, "order"), I(d, "window_days"));
	printf(_("\nproposal: where to send blanks (each station to hold its reserve and %lld "
		 "days' "
		 "use)\n"),
	       I(d, "lead_days"));
	if (!json_array_size(json_object_get(cv, "proposal")))
		printf(_("  nothing to move\n"));
	json_array_foreach(json_object_get(cv, "proposal"), i, v) printf(
		_("  %-20s -> %-20s %6lld blanks\n"), json_string_value(json_object_get(v, "from")),
		json_string_value(json_object_get(v, "to")), I(v, "count"));
	if (I(d, "short") > 0)
		printf(_("  %lld blanks still short: no station has them to spare\n"),
		       I(d, "short"));
	json_decref(cv);
	return 0;
}

/* Cards waiting for collection (issued or stored) per station, by age; with
 * older_days > 0 the list of those waiting longer. */
int
hub_collection(PGconn *c, double older_days)
{
	PGresult *r;
	char od[32];
	snprintf(od, sizeof(od), "%g", older_days);
	const char *p[1] = { od };

	if (older_days > 0) {
		r = q(c, PGRES_TUPLES_OK,
		      "SELECT s.name, c.job, COALESCE(c.chip, ''), "
		      "to_char(to_timestamp(c.issued_at) "
		      "AT TIME ZONE (SELECT hub.tz()), 'YYYY-MM-DD'), c.state, COALESCE(c.place, "
		      "''), "
		      "floor((extract(epoch FROM now()) - c.issued_at) / 86400) FROM hub.cards c "
		      "JOIN "
		      "hub.stations s ON s.id = c.station_id WHERE c.state IN ('issued', 'stored') "
		      "AND "
		      "c.issued_at < extract(epoch FROM now()) - $1::float8 * 86400 ORDER BY "
		      "s.name, "
		      "c.issued_at",
		      1, p);
		if (!r)
			return EXIT_REFUSED;
		json_t *arr = json_array();
		if (!hub_json)
			printf("%-20s %-24s %-18s %-10s %-8s %5s  %s\n", _("STATION"), _("JOB"),
			       _("CHIP"), _("ISSUED"), _("STATE"), _("DAYS"), _("PLACE"));
		for (int i = 0; i < PQntuples(r); i++) {
			if (hub_json)
				json_array_append_new(
					arr,
					json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "station",
						  PQgetvalue(r, i, 0), "job", PQgetvalue(r, i, 1),
						  "chip", PQgetvalue(r, i, 2), "issued_on",
						  PQgetvalue(r, i, 3), "state", PQgetvalue(r, i, 4),
						  "place", PQgetvalue(r, i, 5), "days",
						  (json_int_t)hub_ll(r, i, 6)));
			else
				printf("%-20s %-24s %-18s %-10s %-8s %5s  %s\n",
				       PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
				       PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
				       PQgetvalue(r, i, 4), PQgetvalue(r, i, 6),
				       PQgetvalue(r, i, 5));
		}
		if (hub_json)
			hub_print_json(arr);
		else
			printf(_("%d cards waiting for more than %g days\n"), PQntuples(r),
			       older_days);
		json_decref(arr);
		PQclear(r);
		return 0;
	}
	/* the counts from hub.waiting (per station and day of issue); in the
	 * hopper or stored from the stations' balances */
	r = q(c, PGRES_TUPLES_OK,
	      "WITH w AS (SELECT station_id, n, (SELECT (now() AT TIME ZONE hub.tz())::date) - day "
	      "AS age "
	      "FROM hub.waiting WHERE n <> 0) SELECT s.name, COALESCE(sum(w.n), 0), "
	      "COALESCE((s.balance->'custody'->>'issued')::bigint, 0), "
	      "COALESCE((s.balance->'custody'->>'stored')::bigint, 0), COALESCE(sum(w.n) FILTER "
	      "(WHERE w.age < 7), 0), COALESCE(sum(w.n) FILTER (WHERE w.age >= 7 AND w.age < 30), "
	      "0), COALESCE(sum(w.n) FILTER (WHERE w.age >= 30 AND w.age < 90), 0), "
	      "COALESCE(sum(w.n) FILTER (WHERE w.age >= 90), 0), COALESCE(max(w.age), 0) FROM "
	      "hub.stations s LEFT JOIN w ON w.station_id = s.id GROUP BY s.id ORDER BY s.name",
	      0, NULL);
	if (!r)
		return EXIT_REFUSED;
	static const char *const keys[] = { "waiting",	       "in_hopper",    "stored",
					    "under_7_days",    "days_7_to_29", "days_30_to_89",
					    "days_90_or_more", "oldest_days" };
	json_t *arr = json_array();
	long long tot[8] = { 0 };
	if (!hub_json)
		printf("%-20s %8s %9s %7s %6s %6s %6s %6s %7s\n", _("STATION"), _("WAITING"),
		       _("IN HOPPER"), _("STORED"), "<7 d", "7-29", "30-89", ">=90", _("OLDEST"));
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *o = json_pack("{s:s}", "station", PQgetvalue(r, i, 0));
		for (int k = 0; k < 8; k++) {
			json_object_set_new(o, keys[k], json_integer(hub_ll(r, i, k + 1)));
			tot[k] = k == 7 ? (tot[k] > hub_ll(r, i, 8) ? tot[k] : hub_ll(r, i, 8))
					: tot[k] + hub_ll(r, i, k + 1);
		}
		json_array_append_new(arr, o);
		if (!hub_json)
			printf("%-20s %8s %9s %7s %6s %6s %6s %6s %5s d\n", PQgetvalue(r, i, 0),
			       PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
			       PQgetvalue(r, i, 4), PQgetvalue(r, i, 5), PQgetvalue(r, i, 6),
			       PQgetvalue(r, i, 7), PQgetvalue(r, i, 8));
	}
	if (hub_json)
		hub_print_json(arr);
	else
		printf("%-20s %8lld %9lld %7lld %6lld %6lld %6lld %6lld %5lld d\n", _("district"),
		       tot[0], tot[1], tot[2], tot[3], tot[4], tot[5], tot[6], tot[7]);
	json_decref(arr);
	PQclear(r);
	return 0;
}

/* Per station and line: prints, the ribbon and what is left on it, the
 * printer's own counter and the cards it printed outside cetakd. */
int
hub_printers(PGconn *c)
{
	PGresult *r = q(c, PGRES_TUPLES_OK,
			"SELECT name, balance::text FROM hub.stations ORDER BY name", 0, NULL);
	long long outside_all = 0;

	if (!r)
		return EXIT_REFUSED;
	json_t *arr = json_array();
	if (!hub_json)
		printf("%-20s %-8s %8s %-14s %13s %9s %8s\n", _("STATION"), _("LINE"), _("PRINTS"),
		       _("RIBBON"), _("RIBBON USED"), _("COUNTER"), _("OUTSIDE"));
	for (int i = 0; i < PQntuples(r); i++) {
		struct ledger_balance b;
		json_t *bj = json_loads(PQgetvalue(r, i, 1), 0, NULL);
		memset(&b, 0, sizeof(b));
		if (bj && json_object_size(bj))
			stock_balance_from_json(bj, &b);
		json_decref(bj);
		for (int k = 0; k < b.n_lines; k++) {
			const struct ledger_line *l = &b.lines[k];
			outside_all += l->outside;
			if (hub_json) {
				json_array_append_new(
					arr,
					json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:I}",
						  "station", PQgetvalue(r, i, 0), "line", l->name,
						  "prints", (json_int_t)l->prints, "ribbon",
						  l->ribbon, "ribbon_rated",
						  (json_int_t)l->ribbon_rated, "ribbon_prints",
						  (json_int_t)l->ribbon_prints, "counter",
						  (json_int_t)l->counter, "outside",
						  (json_int_t)l->outside, "ribbons_in_store",
						  (json_int_t)b.ribbons_store));
				continue;
			}
			char used[32] = "-", ctr[24] = "-";
			if (l->ribbon_rated > 0)
				snprintf(used, sizeof(used), "%ld/%ld", l->ribbon_prints,
					 l->ribbon_rated);
			if (l->counter >= 0)
				snprintf(ctr, sizeof(ctr), "%ld", l->counter);
			printf("%-20s %-8s %8ld %-14s %13s %9s %8ld%s\n", PQgetvalue(r, i, 0),
			       l->name, l->prints, l->ribbon[0] ? l->ribbon : "-", used, ctr,
			       l->outside,
			       l->outside ? "  printed outside cetakd, unexplained" : "");
		}
	}
	if (hub_json)
		hub_print_json(arr);
	else
		printf(_("cards printed outside cetakd, not yet explained: %lld\n"), outside_all);
	json_decref(arr);
	PQclear(r);
	return 0;
}
