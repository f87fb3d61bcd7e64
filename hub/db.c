/*
 * db.c - the hub's database helpers: connect, run a query, print JSON.
 */
#include "hub.h"

#include <stdlib.h>

int hub_json;

PGconn *
hub_connect(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo ? conninfo : "");

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "cetak-hub: cannot connect to the hub database: %s",
			PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	/* the district's queries are short: compiling them (JIT) costs more
	 * than it saves */
	PQclear(PQexec(c, "SET client_min_messages = warning; SET jit = off"));
	return c;
}

PGresult *
hub_q(PGconn *c, ExecStatusType want, const char *sql, int n, const char *const *params)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != want) {
		fprintf(stderr, "cetak-hub: %s", PQerrorMessage(c));
		PQclear(r);
		return NULL;
	}
	return r;
}

__thread json_t **hub_capture_slot;

void
hub_print_json(json_t *v)
{
	if (hub_capture_slot) { /* the dashboard keeps it (web.c) */
		json_decref(*hub_capture_slot);
		*hub_capture_slot = json_incref(v);
		return;
	}
	char *s = json_dumps(v, JSON_INDENT(2));

	if (s)
		puts(s);
	free(s);
}

long long
hub_ll(const PGresult *r, int i, int k)
{
	return PQgetisnull(r, i, k) ? 0 : atoll(PQgetvalue(r, i, k));
}
