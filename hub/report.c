/*
 * report.c - the district's monthly report, from the hub's data only: per
 * station and for the district, the opening and closing blanks on hand (the
 * balance replayed by the verifier, after the last record before each
 * boundary), the month's movements (hub.daily), the balance checked between
 * the two, spoiled cards by cause, custody of issued cards, the transfers
 * between stations with their other end, the stations whose books at the hub
 * stop before the month's end, and the berita acara signature lines.
 * Text, CSV, JSON or PDF (A4).
 */
#define _GNU_SOURCE
#include "hub.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/i18n.h"
#include "common/pdfdoc.h"

#define q hub_q
#define N(o, k) ((long long)json_integer_value(json_object_get(o, k)))
#define S(o, k) (json_string_value(json_object_get(o, k)) ?: "")

static const char *const flows[] = { "received",  "loaded",	  "issued",
				     "spoiled",	  "transferred",  "destroyed",
				     "collected", "to_kecamatan", "withdrawn" };
#define N_FLOWS (sizeof(flows) / sizeof(flows[0]))

/* The month's boundaries in the hub's time zone, and its stations. */
static const char stations_sql[] =
	"WITH b AS (SELECT make_date($1::int, $2::int, 1) AS d0, (make_date($1::int, $2::int, 1) "
	"+ interval '1 month')::date AS d1), e AS (SELECT d0, d1, extract(epoch FROM "
	"(d0::timestamp AT TIME ZONE hub.tz()))::bigint AS t0, extract(epoch FROM "
	"(d1::timestamp AT TIME ZONE hub.tz()))::bigint AS t1 FROM b) "
	"SELECT s.id, s.name, s.status, COALESCE(o.on_hand, 0), COALESCE(o.spoiled_pending, 0), "
	"COALESCE(o.held, 0), COALESCE(o.discrepancy, 0), COALESCE(cl.on_hand, 0), "
	"COALESCE(cl.spoiled_pending, 0), COALESCE(cl.held, 0), COALESCE(cl.discrepancy, 0), "
	"COALESCE(s.last_record_at, 0) >= e.t1 - 1, COALESCE(to_char(to_timestamp("
	"s.last_record_at) AT TIME ZONE (SELECT hub.tz()), 'YYYY-MM-DD HH24:MI'), ''), e.t0, e.t1, "
	"e.d0::text, e.d1::text FROM e CROSS JOIN hub.stations s "
	"LEFT JOIN LATERAL (SELECT * FROM hub.usage u WHERE u.station_id = s.id AND u.day < e.d0 "
	"AND u.on_hand IS NOT NULL ORDER BY u.day DESC LIMIT 1) o ON true "
	"LEFT JOIN LATERAL (SELECT * FROM hub.usage u WHERE u.station_id = s.id AND u.day < e.d1 "
	"AND u.on_hand IS NOT NULL ORDER BY u.day DESC LIMIT 1) cl ON true ORDER BY s.name";

/* the month's movements: receipts, loads, sends and destructions from
 * hub.daily; issues, spoils by cause and custody from hub.usage, summed per
 * station (columns in the order of usage_cols) */
static const char flows_sql[] =
	"SELECT d.station_id, d.kind, sum(d.cards) FROM hub.daily d WHERE d.day >= $1::date AND "
	"d.day < $2::date AND d.kind IN ('receive', 'load', 'transfer', 'destroy') GROUP BY 1, 2";
static const char *const usage_cols[] = { "issued",	  "spoiled",	 "collected",
					  "to_kecamatan", "withdrawn",	 "gagal_encode",
					  "gagal_cetak",  "rusak",	 "perubahan_data",
					  "no_chip",	  "interrupted", "auth_refused",
					  "counterfeit" };
#define N_USAGE (sizeof(usage_cols) / sizeof(usage_cols[0]))
#define FIRST_CAUSE 5
static const char usage_sql[] =
	"SELECT station_id, sum(issued), sum(spoiled), sum(collected), sum(to_kecamatan), "
	"sum(withdrawn), sum(gagal_encode), sum(gagal_cetak), sum(rusak), sum(perubahan_data), "
	"sum(no_chip), sum(interrupted), sum(auth_refused), sum(counterfeit) FROM hub.usage "
	"WHERE day >= $1::date AND day < $2::date GROUP BY 1";

/* transfers between stations sent or received in the month, with the other end */
static const char transfers_sql[] =
	"SELECT s.name, r.kind, r.doc, r.count, r.peer, to_char(to_timestamp(r.at) AT TIME ZONE "
	"(SELECT hub.tz()), 'YYYY-MM-DD'), CASE r.kind WHEN 'transfer' THEN (SELECT o.count FROM "
	"hub.records o JOIN hub.stations os ON os.id = o.station_id WHERE os.name = r.peer AND "
	"o.kind = 'receive' AND o.doc = r.doc AND o.peer = s.name LIMIT 1) ELSE (SELECT o.count "
	"FROM hub.records o JOIN hub.stations os ON os.id = o.station_id WHERE os.name = r.peer "
	"AND o.kind = 'transfer' AND o.doc = r.doc AND o.peer = s.name LIMIT 1) END FROM "
	"hub.records r JOIN hub.stations s ON s.id = r.station_id WHERE r.kind IN ('transfer', "
	"'receive') AND r.peer IS NOT NULL AND r.at >= $1::bigint AND r.at < $2::bigint ORDER BY "
	"r.at, s.name";

static void
add(json_t *o, const char *k, long long n)
{
	json_object_set_new(o, k, json_integer(N(o, k) + n));
}

json_t *
hub_report(PGconn *c, const char *month)
{
	int y, m;
	char ys[16], ms[16], office[200] = "";

	if (sscanf(month, "%4d-%2d", &y, &m) != 2 || strlen(month) != 7 || m < 1 || m > 12 ||
	    y < 2000) {
		fprintf(stderr, "cetak-hub: report: month '%s': give it as YYYY-MM (2026-11)\n",
			month);
		return NULL;
	}
	snprintf(ys, sizeof(ys), "%d", y);
	snprintf(ms, sizeof(ms), "%d", m);
	const char *p[2] = { ys, ms };
	PGresult *r = q(c, PGRES_TUPLES_OK, stations_sql, 2, p), *f = NULL, *t = NULL, *o = NULL;
	if (!r)
		return NULL;
	char lang[8] = "id";
	if ((o = q(c, PGRES_TUPLES_OK,
		   "SELECT COALESCE((SELECT value FROM hub.settings WHERE key = 'office'), ''), "
		   "COALESCE((SELECT value FROM hub.settings WHERE key = 'language'), 'id')",
		   0, NULL)) &&
	    PQntuples(o) == 1) {
		snprintf(office, sizeof(office), "%s", PQgetvalue(o, 0, 0));
		snprintf(lang, sizeof(lang), "%s", PQgetvalue(o, 0, 1));
	}
	PQclear(o);
	json_t *rep =
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:[], s:{}, s:[], s:b}", "report",
			  "district-monthly", "month", month, "office", office, "language", lang,
			  "generated", "", "stations", "totals", "transfers", "balanced", 1);
	if ((o = q(c, PGRES_TUPLES_OK,
		   "SELECT to_char(now() AT TIME ZONE (SELECT hub.tz()), 'YYYY-MM-DD HH24:MI ') || "
		   "hub.tz()",
		   0, NULL)) &&
	    PQntuples(o) == 1)
		json_object_set_new(rep, "generated", json_string(PQgetvalue(o, 0, 0)));
	PQclear(o);
	if (PQntuples(r) == 0) {
		PQclear(r);
		return rep;
	}
	json_object_set_new(rep, "from", json_string(PQgetvalue(r, 0, 15)));
	json_object_set_new(rep, "to", json_string(PQgetvalue(r, 0, 16)));
	const char *d[2] = { PQgetvalue(r, 0, 15), PQgetvalue(r, 0, 16) };
	const char *tt[2] = { PQgetvalue(r, 0, 13), PQgetvalue(r, 0, 14) };
	PGresult *u = NULL;
	if (!(f = q(c, PGRES_TUPLES_OK, flows_sql, 2, d)) ||
	    !(u = q(c, PGRES_TUPLES_OK, usage_sql, 2, d)) ||
	    !(t = q(c, PGRES_TUPLES_OK, transfers_sql, 2, tt))) {
		PQclear(r);
		PQclear(f);
		PQclear(u);
		json_decref(rep);
		return NULL;
	}
	json_t *tot = json_object_get(rep, "totals"), *arr = json_object_get(rep, "stations");
	json_object_set_new(tot, "by_cause", json_object());
	for (int i = 0; i < PQntuples(r); i++) {
		const char *id = PQgetvalue(r, i, 0);
		json_t *s = json_pack(
			"{s:s, s:s, s:b, s:s, s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I}, s:{}}",
			"station", PQgetvalue(r, i, 1), "status", PQgetvalue(r, i, 2), "complete",
			PQgetvalue(r, i, 11)[0] == 't', "books_until", PQgetvalue(r, i, 12),
			"opening", "on_hand", (json_int_t)hub_ll(r, i, 3), "spoiled_pending",
			(json_int_t)hub_ll(r, i, 4), "held", (json_int_t)hub_ll(r, i, 5), "closing",
			"on_hand", (json_int_t)hub_ll(r, i, 7), "spoiled_pending",
			(json_int_t)hub_ll(r, i, 8), "held", (json_int_t)hub_ll(r, i, 9),
			"by_cause");
		for (size_t k = 0; k < N_FLOWS; k++)
			json_object_set_new(s, flows[k], json_integer(0));
		json_object_set_new(s, "discrepancy",
				    json_integer(hub_ll(r, i, 10) - hub_ll(r, i, 6)));
		for (int j = 0; j < PQntuples(f); j++) {
			if (strcmp(PQgetvalue(f, j, 0), id) != 0)
				continue;
			static const char *const kinds[][2] = { { "receive", "received" },
								{ "load", "loaded" },
								{ "transfer", "transferred" },
								{ "destroy", "destroyed" } };
			for (size_t k = 0; k < 4; k++)
				if (!strcmp(PQgetvalue(f, j, 1), kinds[k][0]))
					add(s, kinds[k][1], hub_ll(f, j, 2));
		}
		for (int j = 0; j < PQntuples(u); j++) {
			if (strcmp(PQgetvalue(u, j, 0), id) != 0)
				continue;
			for (size_t k = 0; k < N_USAGE; k++) {
				long long n = hub_ll(u, j, 1 + (int)k);
				if (k < FIRST_CAUSE) {
					add(s, usage_cols[k], n);
				} else if (n) {
					add(json_object_get(s, "by_cause"), usage_cols[k], n);
					add(json_object_get(tot, "by_cause"), usage_cols[k], n);
				}
			}
		}
		/* the balance checked: the movements against the replayed balance */
		json_t *op = json_object_get(s, "opening"), *cl = json_object_get(s, "closing");
		int ok = N(op, "on_hand") + N(s, "received") + N(s, "discrepancy") -
					 N(s, "issued") - N(s, "spoiled") - N(s, "transferred") ==
				 N(cl, "on_hand") &&
			 N(op, "spoiled_pending") + N(s, "spoiled") - N(s, "destroyed") ==
				 N(cl, "spoiled_pending");
		json_object_set_new(s, "balanced", json_boolean(ok));
		if (!ok)
			json_object_set_new(rep, "balanced", json_false());
		for (size_t k = 0; k < N_FLOWS; k++)
			add(tot, flows[k], N(s, flows[k]));
		add(tot, "discrepancy", N(s, "discrepancy"));
		static const char *const ends[] = { "on_hand", "spoiled_pending", "held" };
		for (int k = 0; k < 3; k++) {
			add(tot,
			    k == 0   ? "opening_on_hand"
			    : k == 1 ? "opening_spoiled_pending"
				     : "opening_held",
			    N(op, ends[k]));
			add(tot,
			    k == 0   ? "closing_on_hand"
			    : k == 1 ? "closing_spoiled_pending"
				     : "closing_held",
			    N(cl, ends[k]));
		}
		json_array_append_new(arr, s);
	}
	for (int j = 0; j < PQntuples(t); j++) {
		json_t *x = json_pack(
			"{s:s, s:s, s:s, s:I, s:s, s:s}", "station", PQgetvalue(t, j, 0), "kind",
			!strcmp(PQgetvalue(t, j, 1), "transfer") ? "sent" : "received", "doc",
			PQgetvalue(t, j, 2), "count", (json_int_t)hub_ll(t, j, 3), "peer",
			PQgetvalue(t, j, 4), "on", PQgetvalue(t, j, 5));
		json_object_set_new(x, "other_end",
				    PQgetisnull(t, j, 6) ? json_null()
							 : json_integer(hub_ll(t, j, 6)));
		json_object_set_new(
			x, "matched",
			json_boolean(!PQgetisnull(t, j, 6) && hub_ll(t, j, 6) == hub_ll(t, j, 3)));
		json_array_append_new(json_object_get(rep, "transfers"), x);
	}
	PQclear(r);
	PQclear(f);
	PQclear(u);
	PQclear(t);
	return rep;
}

/* ---- writers ---- */

static const char *const labels[][2] = {
	{ "received", N_("received") },
	{ "discrepancy", N_("stocktake differences") },
	{ "issued", N_("issued") },
	{ "spoiled", N_("spoiled") },
	{ "transferred", N_("transferred out") },
	{ "destroyed", N_("spoiled cards destroyed") },
	{ "collected", N_("cards collected by their holders") },
	{ "to_kecamatan", N_("cards handed to a kecamatan") },
	{ "withdrawn", N_("cards withdrawn") },
};

static void
write_text(json_t *r, FILE *f)
{
	json_t *s, *t = json_object_get(r, "totals"), *v;
	size_t i;
	const char *k;

	fprintf(f, "%s\n%s\n", S(r, "office"), _("DISTRICT MONTHLY REPORT OF BLANK KTP-EL CARDS"));
	fprintf(f,
		_("month %s (%s to %s), from the district hub's verified books; generated %s\n\n"),
		S(r, "month"), S(r, "from"), S(r, "to"), S(r, "generated"));
	fprintf(f, "%-18s %8s %8s %6s %7s %7s %8s %8s %8s %8s\n", _("STATION"), _("OPENING"),
		_("RECEIVED"), _("DIFF"), _("ISSUED"), _("SPOILED"), _("SENT"), _("CLOSING"),
		_("WAITING"), _("BALANCE"));
	json_array_foreach(json_object_get(r, "stations"), i, s)
		fprintf(f, "%-18s %8lld %+8lld %+6lld %7lld %7lld %8lld %8lld %8lld %8s%s\n",
			S(s, "station"), N(json_object_get(s, "opening"), "on_hand"),
			N(s, "received"), N(s, "discrepancy"), N(s, "issued"), N(s, "spoiled"),
			N(s, "transferred"), N(json_object_get(s, "closing"), "on_hand"),
			N(json_object_get(s, "closing"), "held"),
			json_is_true(json_object_get(s, "balanced")) ? _("ok") : _("WRONG"),
			json_is_true(json_object_get(s, "complete")) ? "" : "  *");
	fprintf(f, "%-18s %8lld %+8lld %+6lld %7lld %7lld %8lld %8lld %8lld %8s\n", _("district"),
		N(t, "opening_on_hand"), N(t, "received"), N(t, "discrepancy"), N(t, "issued"),
		N(t, "spoiled"), N(t, "transferred"), N(t, "closing_on_hand"), N(t, "closing_held"),
		json_is_true(json_object_get(r, "balanced")) ? _("ok") : _("WRONG"));
	fprintf(f, "\n%s\n",
		json_is_true(json_object_get(r, "balanced"))
			? _("every station's books balance over the month: opening + received + "
			    "differences - issued - spoiled - sent = closing")
			: _("SOME BOOKS DO NOT BALANCE: the stations marked WRONG"));
	int partial = 0;
	json_array_foreach(json_object_get(r, "stations"), i,
			   s) if (!json_is_true(json_object_get(s, "complete"))) partial++;
	if (partial) {
		fprintf(f, "%s\n",
			_("* the books at the hub end before the month's end (the month is not "
			  "over, or the station has not pushed since):"));
		json_array_foreach(json_object_get(r, "stations"), i,
				   s) if (!json_is_true(json_object_get(s, "complete")))
			fprintf(f, _("  %-18s last record %s\n"), S(s, "station"),
				S(s, "books_until")[0] ? S(s, "books_until") : _("none"));
	}
	fprintf(f, "\n%s\n", _("District totals"));
	for (size_t j = 0; j < sizeof(labels) / sizeof(labels[0]); j++)
		fprintf(f, "  %-36s %8lld\n", _(labels[j][1]), N(t, labels[j][0]));
	fprintf(f, "  %-36s %8lld\n", _("spoiled awaiting destruction (end)"),
		N(t, "closing_spoiled_pending"));
	fprintf(f, "\n%s\n", _("Spoiled by cause"));
	if (!json_object_size(json_object_get(t, "by_cause")))
		fprintf(f, "  %s\n", _("none"));
	json_object_foreach(json_object_get(t, "by_cause"), k, v)
	{
		fprintf(f, "  %-18s %6lld  (", k, (long long)json_integer_value(v));
		int first = 1;
		json_array_foreach(json_object_get(r, "stations"), i, s)
		{
			long long n = N(json_object_get(s, "by_cause"), k);
			if (n) {
				fprintf(f, "%s%s %lld", first ? "" : ", ", S(s, "station"), n);
				first = 0;
			}
		}
		fprintf(f, ")\n");
	}
	fprintf(f, "\n%s\n", _("Transfers between stations"));
	if (!json_array_size(json_object_get(r, "transfers")))
		fprintf(f, "  %s\n", _("none"));
	json_array_foreach(json_object_get(r, "transfers"), i, s)
	{
		fprintf(f, "  %s  %-16s %-8s %5lld %-5s %-16s %s %s: ", S(s, "on"), S(s, "station"),
			!strcmp(S(s, "kind"), "sent") ? _("sent") : _("received"), N(s, "count"),
			!strcmp(S(s, "kind"), "sent") ? _("to") : _("from"), S(s, "peer"), _("doc"),
			S(s, "doc"));
		if (json_is_true(json_object_get(s, "matched")))
			fprintf(f, "%s\n", _("matched"));
		else if (json_is_null(json_object_get(s, "other_end")))
			fprintf(f, "%s\n", _("no record at the other end yet"));
		else
			fprintf(f, _("MISMATCHED (the other end records %lld)\n"),
				N(s, "other_end"));
	}
	fprintf(f, "\n%s\n", _("Berita acara"));
	const char *const who[] = { _("Printing officer"), _("Witness 1"), _("Witness 2"),
				    _("Acknowledged by, the Head of Office") };
	for (int w = 0; w < 4; w++)
		fprintf(f, "  %-38s ____________  NIP ____________\n", who[w]);
}

static void
csv_row(FILE *f, const char *section, const char *station, const char *item, long long v,
	const char *note)
{
	/* station names and documents are [A-Za-z0-9 _-/]: quoted when need be */
	const char *cells[3] = { section, station, item };
	for (int i = 0; i < 3; i++) {
		if (strpbrk(cells[i], ",\"\n")) {
			fputc('"', f);
			for (const char *p = cells[i]; *p; p++)
				fputs(*p == '"' ? "\"\"" : (char[]){ *p, 0 }, f);
			fputs("\",", f);
		} else {
			fprintf(f, "%s,", cells[i]);
		}
	}
	fprintf(f, "%lld,", v);
	if (strpbrk(note, ",\"\n")) {
		fputc('"', f);
		for (const char *p = note; *p; p++)
			fputs(*p == '"' ? "\"\"" : (char[]){ *p, 0 }, f);
		fputs("\"\n", f);
	} else {
		fprintf(f, "%s\n", note);
	}
}

static void
write_csv(json_t *r, FILE *f)
{
	json_t *s, *v;
	size_t i;
	const char *k;

	fprintf(f, "section,station,item,value,note\n");
	json_array_foreach(json_object_get(r, "stations"), i, s)
	{
		const char *st = S(s, "station");
		json_object_foreach(json_object_get(s, "opening"), k, v) csv_row(
			f, "opening", st, k, (long long)json_integer_value(v), S(r, "from"));
		csv_row(f, "period", st, "discrepancy", N(s, "discrepancy"), "");
		for (size_t j = 0; j < N_FLOWS; j++)
			csv_row(f, "period", st, flows[j], N(s, flows[j]), "");
		json_object_foreach(json_object_get(s, "closing"), k, v)
			csv_row(f, "closing", st, k, (long long)json_integer_value(v), S(r, "to"));
		json_object_foreach(json_object_get(s, "by_cause"), k, v)
			csv_row(f, "cause", st, k, (long long)json_integer_value(v), "");
		csv_row(f, "check", st, "balanced", json_is_true(json_object_get(s, "balanced")),
			json_is_true(json_object_get(s, "complete"))
				? ""
				: "books end before the month");
	}
	json_object_foreach(json_object_get(r, "totals"), k, v) if (json_is_integer(v))
		csv_row(f, "district", "", k, (long long)json_integer_value(v), "");
	json_object_foreach(json_object_get(json_object_get(r, "totals"), "by_cause"), k, v)
		csv_row(f, "district_cause", "", k, (long long)json_integer_value(v), "");
	json_array_foreach(json_object_get(r, "transfers"), i, s)
	{
		char note[200];
		snprintf(note, sizeof(note), "%s %s, doc %s, %s", S(s, "on"), S(s, "peer"),
			 S(s, "doc"),
			 json_is_true(json_object_get(s, "matched")) ? "matched" : "unmatched");
		csv_row(f, "transfer", S(s, "station"), S(s, "kind"), N(s, "count"), note);
	}
}

/* +n, -n or 0 as the document's language writes numbers */
static const char *
signed_int(long long n, char *buf, size_t len)
{
	char d[30];

	i18n_int(n < 0 ? -n : n, d, sizeof(d));
	snprintf(buf, len, "%s%s", n < 0 ? "-" : n > 0 ? "+" : "", d);
	return buf;
}

static int
write_pdf(json_t *r, const char *office, const char *path, char *why, size_t len)
{
	json_t *s, *t = json_object_get(r, "totals"), *v;
	struct pdf p;
	size_t i;
	const char *k;
	char footer[160], a[64], b[64];

	snprintf(footer, sizeof(footer), _("district monthly report %s"), S(r, "month"));
	if (pdf_open(&p, path, office && office[0] ? office : S(r, "office"), footer, why, len) < 0)
		return -EIO;
	p.y += pdf_text(&p, PDF_MARGIN, p.y, PDF_WIDTH, "DejaVu Sans Bold 13", 2, p.office) + 4;
	p.y += pdf_text(&p, PDF_MARGIN, p.y, PDF_WIDTH, "DejaVu Sans Bold 11", 2,
			_("DISTRICT MONTHLY REPORT OF BLANK KTP-EL CARDS")) +
	       4;
	snprintf(a, sizeof(a), _("%s to %s (month %s)"), S(r, "from"), S(r, "to"), S(r, "month"));
	p.y += pdf_text(&p, PDF_MARGIN, p.y, PDF_WIDTH, "DejaVu Sans 9", 2, a) + 10;

	pdf_heading(&p, _("Blanks per station"));
	static const double xs[] = { 0, 70, 108, 156, 196, 240, 276, 314, 354, 432 };
	const char *const hd[] = { _("station"), _("opening"), _("received"), _("diff."),
				   _("issued"),	 _("spoiled"), _("sent"),     _("closing"),
				   _("waiting"), _("balance") };
	pdf_cells(&p, "DejaVu Sans Bold 7", xs, hd, 10);
	json_array_foreach(json_object_get(r, "stations"), i, s)
	{
		char c[9][32];
		i18n_int(N(json_object_get(s, "opening"), "on_hand"), c[0], 32);
		i18n_int(N(s, "received"), c[1], 32);
		signed_int(N(s, "discrepancy"), c[2], 32);
		i18n_int(N(s, "issued"), c[3], 32);
		i18n_int(N(s, "spoiled"), c[4], 32);
		i18n_int(N(s, "transferred"), c[5], 32);
		i18n_int(N(json_object_get(s, "closing"), "on_hand"), c[6], 32);
		i18n_int(N(json_object_get(s, "closing"), "held"), c[7], 32);
		snprintf(c[8], 32, "%s%s",
			 json_is_true(json_object_get(s, "balanced")) ? _("ok") : _("WRONG"),
			 json_is_true(json_object_get(s, "complete")) ? "" : " *");
		const char *row[] = {
			S(s, "station"), c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]
		};
		pdf_cells(&p, "DejaVu Sans 7", xs, row, 10);
	}
	{
		char c[9][32];
		i18n_int(N(t, "opening_on_hand"), c[0], 32);
		i18n_int(N(t, "received"), c[1], 32);
		signed_int(N(t, "discrepancy"), c[2], 32);
		i18n_int(N(t, "issued"), c[3], 32);
		i18n_int(N(t, "spoiled"), c[4], 32);
		i18n_int(N(t, "transferred"), c[5], 32);
		i18n_int(N(t, "closing_on_hand"), c[6], 32);
		i18n_int(N(t, "closing_held"), c[7], 32);
		snprintf(c[8], 32, "%s",
			 json_is_true(json_object_get(r, "balanced")) ? _("ok") : _("WRONG"));
		const char *row[] = { _("district"), c[0], c[1], c[2], c[3],
				      c[4],	     c[5], c[6], c[7], c[8] };
		pdf_cells(&p, "DejaVu Sans Bold 7", xs, row, 10);
	}
	p.y += 4;
	pdf_para(
		&p, "DejaVu Sans 7", 0,
		_("opening + received + differences - issued - spoiled - sent = closing (blanks on "
		  "hand); waiting: issued cards not yet collected at the end. * the station's "
		  "books "
		  "at the hub end before the month's end."),
		6);

	pdf_heading(&p, _("District totals"));
	for (size_t j = 0; j < sizeof(labels) / sizeof(labels[0]); j++)
		pdf_rowi(&p, _(labels[j][1]), N(t, labels[j][0]), 0);
	pdf_rowi(&p, _("spoiled cards awaiting destruction at the end"),
		 N(t, "closing_spoiled_pending"), 0);

	pdf_heading(&p, _("Spoiled cards by cause"));
	if (!json_object_size(json_object_get(t, "by_cause")))
		pdf_row(&p, _("none"), "");
	json_object_foreach(json_object_get(t, "by_cause"), k, v)
	{
		/* the cause, and the stations it came from */
		char label[600];
		size_t n = (size_t)snprintf(label, sizeof(label), "%s (", k);
		int first = 1;
		json_array_foreach(json_object_get(r, "stations"), i, s)
		{
			long long c = N(json_object_get(s, "by_cause"), k);
			if (c && n < sizeof(label))
				n += (size_t)snprintf(label + n, sizeof(label) - n, "%s%s %lld",
						      first ? "" : ", ", S(s, "station"), c);
			first = first && !c;
		}
		if (n < sizeof(label) - 1)
			snprintf(label + n, sizeof(label) - n, ")");
		pdf_rowi(&p, label, (long long)json_integer_value(v), 0);
	}

	pdf_heading(&p, _("Transfers between stations"));
	static const double tx[] = { 0, 60, 160, 210, 250, 350 };
	const char *const th[] = { _("date"),  _("station"),	   "",
				   _("count"), _("other station"), _("document / other end") };
	pdf_cells(&p, "DejaVu Sans Bold 7", tx, th, 6);
	json_array_foreach(json_object_get(r, "transfers"), i, s)
	{
		char n[24];
		snprintf(n, sizeof(n), "%lld", N(s, "count"));
		if (json_is_true(json_object_get(s, "matched")))
			snprintf(b, sizeof(b), _("%s: matched"), S(s, "doc"));
		else if (json_is_null(json_object_get(s, "other_end")))
			snprintf(b, sizeof(b), _("%s: no other end yet"), S(s, "doc"));
		else
			snprintf(b, sizeof(b), _("%s: MISMATCHED (%lld)"), S(s, "doc"),
				 N(s, "other_end"));
		const char *row[] = { S(s, "on"),
				      S(s, "station"),
				      !strcmp(S(s, "kind"), "sent") ? _("sent") : _("received"),
				      n,
				      S(s, "peer"),
				      b };
		pdf_cells(&p, "DejaVu Sans 7", tx, row, 6);
	}
	if (!json_array_size(json_object_get(r, "transfers")))
		pdf_row(&p, _("none"), "");

	{
		char words[128], para[1000];
		time_t now = time(NULL);
		struct tm tn;
		localtime_r(&now, &tn);
		i18n_words(tn.tm_year + 1900, words, sizeof(words));
		snprintf(para, sizeof(para),
			 _("On this day, %s, the %d day of %s of the year %s, at %s, we the "
			   "undersigned have examined the district's use of blank KTP-el cards for "
			   "the month %s from the stations' signed books as verified by the "
			   "district hub, as set out above: %lld received, %lld issued, %lld "
			   "spoiled, %lld on hand at the end."),
			 i18n_weekday(tn.tm_wday), tn.tm_mday, i18n_month(tn.tm_mon), words,
			 p.office, S(r, "month"), N(t, "received"), N(t, "issued"), N(t, "spoiled"),
			 N(t, "closing_on_hand"));
		pdf_berita(&p, para, now);
	}
	return pdf_close(&p, path, why, len) < 0 ? -EIO : 0;
}

int
hub_report_write(json_t *r, enum hub_report_format fmt, const char *office, const char *path,
		 char *why, size_t len)
{
	struct i18n_doc d;

	if (fmt == HUB_PDF) {
		/* in the language the hub's settings name for documents */
		i18n_doc_begin(&d, S(r, "language"));
		int rc = write_pdf(r, office, path, why, len);
		i18n_doc_end(&d);
		return rc;
	}
	FILE *f = path ? fopen(path, "we") : stdout;
	if (!f) {
		snprintf(why, len, "%s: %m", path);
		return -EIO;
	}
	if (fmt == HUB_TEXT) {
		i18n_doc_begin(&d, S(r, "language"));
		write_text(r, f);
		i18n_doc_end(&d);
	} else if (fmt == HUB_CSV)
		write_csv(r, f);
	else {
		json_dumpf(r, f, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', f);
	}
	int bad = ferror(f) || fflush(f) != 0 || (path && fsync(fileno(f)) != 0);
	if (path && fclose(f) != 0)
		bad = 1;
	if (bad)
		snprintf(why, len, "%s: cannot write", path ? path : "stdout");
	return bad ? -EIO : 0;
}
