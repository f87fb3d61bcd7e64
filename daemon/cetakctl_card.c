/*
 * cetakctl_card.c - cetakctl's commands for the custody of issued cards:
 * card show|list|store|transfer|collected|withdraw|destroy|correct, and
 * report custody. Each is one request to cetakd (verbs_custody.c), printed
 * for people or as JSON (--json); CSV for the custody report.
 */
#define _GNU_SOURCE
#include "cetakctl.h"
#include "common/i18n.h"
#include "custody/berita.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
day(json_int_t t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

static long long
jint(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void
print_card(json_t *c)
{
	json_t *events = json_object_get(c, "events"), *e;
	size_t i;

	printf(_("card of %s (chip %s): %s\n"), jstr(c, "job"),
	       jstr(c, "chip")[0] ? jstr(c, "chip") : "-", jstr(c, "where"));
	printf(_("holder:  %s, NIK %s (%s job)\n"), jstr(c, "name"), jstr(c, "nik"),
	       jstr(c, "kind"));
	if (jint(c, "personal_data_removed_at")) {
		char when[16];
		day(jint(c, "personal_data_removed_at"), when);
		printf(_("personal data: photo, signature, fingerprints and phone number removed "
			 "on "
			 "%s\n"),
		       when);
	}
	json_t *sms = json_object_get(c, "sms"), *n;
	size_t k;
	json_array_foreach(sms, k, n)
	{
		char when[16];
		day(jint(n, "done_at") ? jint(n, "done_at") : jint(n, "queued_at"), when);
		printf(_("SMS %lld: %s %s%s%s\n"), jint(n, "n"), jstr(n, "state"), when,
		       jstr(n, "reason")[0] ? ": " : "", ctl_msg(jstr(n, "reason")));
	}
	json_array_foreach(events, i, e)
	{
		char when[32];
		time_t t = (time_t)jint(e, "at");
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		printf("  %s  %-11s -> %-11s %-20s %s%s%s%s\n", when,
		       jstr(e, "from")[0] ? jstr(e, "from") : "-", jstr(e, "to"), jstr(e, "actor"),
		       jstr(e, "place")[0] ? "place " : "", jstr(e, "place"),
		       jstr(e, "doc")[0] ? " doc " : "", jstr(e, "doc"));
		if (jstr(e, "note")[0])
			printf("%19s%s\n", "", jstr(e, "note"));
	}
}

static void
print_list(json_t *d)
{
	json_t *cards = json_object_get(d, "cards"), *c;
	size_t i;

	printf("%-20s %-16s %-12s %-8s %-10s %s\n", _("JOB"), _("CHIP"), _("STATE"), _("PLACE"),
	       _("SINCE"), _("HOLDER"));
	json_array_foreach(cards, i, c)
	{
		char since[16];
		day(jint(c, "since"), since);
		printf("%-20s %-16s %-12s %-8s %-10s %s\n", jstr(c, "job"), jstr(c, "chip"),
		       jstr(c, "state"), jstr(c, "place")[0] ? jstr(c, "place") : "-", since,
		       jstr(c, "name"));
	}
	printf(ngettext("%zu card\n", "%zu cards\n", json_array_size(cards)),
	       json_array_size(cards));
}

static void
print_done(json_t *c)
{
	printf(_("card of %s: %s\n"), jstr(c, "job"), jstr(c, "where"));
}

static void
print_handover(json_t *c)
{
	json_t *old = json_object_get(c, "old_cards_withdrawn"), *v;
	size_t i;

	printf(_("card of %s (chip %s): %s\n"), jstr(c, "job"), jstr(c, "chip"), jstr(c, "where"));
	json_array_foreach(old, i, v) printf(_("earlier card of %s taken back: withdrawn, to be "
					       "destroyed\n"),
					     json_string_value(v));
	if (json_is_true(json_object_get(c, "take_old_card")))
		printf(_("this card replaces an older one: take the old KTP and keep it for the "
			 "berita acara of destruction\n"));
}

/* JOB or --chip SERIAL at argv[0..]: into args; the count of words taken. */
static int
card_of(int argc, char **argv, json_t *args)
{
	if (argc >= 2 && strcmp(argv[0], "--chip") == 0) {
		json_object_set_new(args, "chip", json_string(argv[1]));
		return 2;
	}
	if (argc >= 1 && argv[0][0] != '-') {
		json_object_set_new(args, "job", json_string(argv[0]));
		return 1;
	}
	return 0;
}

/* --place P --doc D --note T --to S --state S --limit N --older-than DAYS */
static int
options(int argc, char **argv, json_t *args)
{
	static const struct {
		const char *opt, *key;
		int number;
	} opts[] = {
		{ "--place", "place", 0 },
		{ "--doc", "doc", 0 },
		{ "--note", "note", 0 },
		{ "--to", "to", 0 },
		{ "--state", "state", 0 },
		{ "--limit", "limit", 1 },
		{ "--older-than", "older_than_days", 1 },
		{ "--nik", "nik", 0 },
		{ "--collector", "collector", 0 },
		{ "--collector-id", "collector_id", 0 },
		{ "--relation", "relation", 0 },
		{ "--kecamatan", "kecamatan", 0 },
	};

	for (int i = 0; i < argc; i += 2) {
		size_t k;
		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (strcmp(argv[i], opts[k].opt) == 0)
				break;
		if (k == sizeof(opts) / sizeof(opts[0]) || i + 1 >= argc)
			return -1;
		json_object_set_new(args, opts[k].key,
				    opts[k].number ? json_integer(atoll(argv[i + 1]))
						   : json_string(argv[i + 1]));
	}
	return 0;
}

/* The berita acara to write (-o), and whether writing it failed. */
static const char *batch_pdf;
static int batch_failed;

static void
print_batch(json_t *b)
{
	json_t *all = json_object_get(b, "batches"), *c;
	char why[300], when[64];
	size_t i;

	if (all) {
		printf("%-22s %-20s %-10s %5s  %s\n", _("BERITA ACARA"), _("KECAMATAN"), _("DATE"),
		       _("CARDS"), _("BY"));
		json_array_foreach(all, i, c)
		{
			day(jint(c, "at"), when);
			printf("%-22s %-20s %-10s %5lld  %s\n", jstr(c, "doc"),
			       jstr(c, "kecamatan"), when, jint(c, "cards"), jstr(c, "actor"));
		}
		return;
	}
	json_t *cards = json_object_get(b, "cards");
	berita_date(jint(b, "at"), when, sizeof(when));
	printf(ngettext("transfer batch %s to kecamatan %s, %s: %zu card\n",
			"transfer batch %s to kecamatan %s, %s: %zu cards\n",
			json_array_size(cards)),
	       jstr(b, "doc"), jstr(b, "kecamatan"), when, json_array_size(cards));
	json_array_foreach(cards, i, c)
		printf("  %3zu  %-16s %-20s %s, %s\n", i + 1, jstr(c, "chip"), jstr(c, "job"),
		       jstr(c, "name"), jstr(c, "address"));
	if (!batch_pdf) {
		printf(_("the berita acara: cetakctl card batch %s -o FILE.pdf\n"), jstr(b, "doc"));
		return;
	}
	if (berita_transfer_pdf(b, batch_pdf, why, sizeof(why)) < 0) {
		fprintf(stderr, _("cetakctl: berita acara: %s\n"), why);
		batch_failed = 1;
		return;
	}
	printf(_("berita acara serah terima written to %s\n"), batch_pdf);
}

static const char *
verdict_text(const char *v)
{
	return !strcmp(v, "here")	 ? _("belongs here")
	       : !strcmp(v, "elsewhere") ? _("BELONGS ELSEWHERE")
	       : !strcmp(v, "unknown")	 ? _("NOT PRINTED HERE")
					 : _("NOT IN CUSTODY");
}

static void
print_stocktake_card(json_t *c)
{
	printf(_("card %lld: chip %s%s%s: %s: %s%s\n"), jint(c, "cards_read"), jstr(c, "chip"),
	       jstr(c, "job")[0] ? ", " : "", jstr(c, "job"), verdict_text(jstr(c, "verdict")),
	       jstr(c, "where"),
	       json_is_true(json_object_get(c, "read_before")) ? " (read before)" : "");
}

static void
print_stocktake(json_t *d)
{
	static const struct {
		const char *key, *title;
	} parts[] = {
		{ "missing", N_("MISSING: recorded in this place, not read") },
		{ "elsewhere", N_("BELONG ELSEWHERE: read here, recorded in another place") },
		{ "not_in_custody", N_("NOT IN CUSTODY: collected, transferred or withdrawn") },
		{ "unknown", N_("NOT PRINTED HERE (or a chip that does not match its record)") },
	};
	json_t *c;
	size_t i;

	if (!json_object_get(d, "cards_read")) {
		printf(_("stocktake of %s started: read each card with 'cetakctl card stocktake "
			 "read "
			 "--place %s', then 'cetakctl card stocktake end --place %s'\n"),
		       jstr(d, "place"), jstr(d, "place"), jstr(d, "place"));
		return;
	}
	printf(_("stocktake of %s: %lld cards read, %zu where they belong\n"), jstr(d, "place"),
	       jint(d, "cards_read"), json_array_size(json_object_get(d, "here")));
	for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
		json_t *list = json_object_get(d, parts[k].key);
		printf("%s: %zu\n", _(parts[k].title), json_array_size(list));
		json_array_foreach(list, i, c)
			printf("  %-16s %-20s %s\n", jstr(c, "chip"),
			       jstr(c, "job")[0] ? jstr(c, "job") : "-", jstr(c, "where"));
	}
}

int
cli_card_custody(const struct cli *cli, int argc, char **argv)
{
	const char *what = argv[0];
	json_t *args = json_object();
	int rc = EXIT_USAGE, n;

	argc--, argv++;
	if (strcmp(what, "check") == 0 || strcmp(what, "handover") == 0 ||
	    (strcmp(what, "store") == 0 && argc > 0 && strcmp(argv[0], "--desk") == 0)) {
		/* the card on the desk reader, read by cetakd */
		if (strcmp(what, "store") == 0)
			argc--, argv++;
		if (options(argc, argv, args) == 0) {
			json_object_set_new(args, "action", json_string(what));
			if (!cli->json && strcmp(what, "check") != 0)
				fprintf(stderr, _("put the card on the desk reader...\n"));
			rc = daemon_verb(cli, "card-desk", args,
					 strcmp(what, "handover") == 0 ? print_handover
					 : strcmp(what, "check") == 0  ? print_card
								       : print_done);
		}
	} else if ((strcmp(what, "transfer") == 0 && argc > 0 &&
		    strcmp(argv[0], "--kecamatan") == 0) ||
		   strcmp(what, "batch") == 0) {
		/* a transfer batch and its berita acara (-o FILE.pdf) */
		for (int i = 0; i + 1 < argc; i++)
			if (strcmp(argv[i], "-o") == 0) {
				batch_pdf = argv[i + 1];
				memmove(argv + i, argv + i + 2,
					(size_t)(argc - i - 2) * sizeof(*argv));
				argc -= 2;
				break;
			}
		if (strcmp(what, "batch") == 0 && argc > 0 && argv[0][0] != '-') {
			json_object_set_new(args, "doc", json_string(argv[0]));
			argc--, argv++;
		}
		if (options(argc, argv, args) == 0)
			rc = daemon_verb(
				cli, strcmp(what, "batch") == 0 ? "card-batch" : "card-transfer",
				args, print_batch);
		if (rc == 0 && batch_failed)
			rc = EXIT_REFUSED;
	} else if (strcmp(what, "stocktake") == 0 && argc > 0) {
		const char *step = argv[0];
		argc--, argv++;
		if (options(argc, argv, args) == 0 && strcmp(step, "read") == 0) {
			json_object_set_new(args, "action", json_string("stocktake"));
			rc = daemon_verb(cli, "card-desk", args, print_stocktake_card);
		} else if (options(argc, argv, args) == 0 &&
			   (strcmp(step, "start") == 0 || strcmp(step, "end") == 0)) {
			json_object_set_new(args, "action", json_string(step));
			rc = daemon_verb(cli, "card-stocktake", args, print_stocktake);
		}
	} else if (strcmp(what, "list") == 0) {
		if (options(argc, argv, args) == 0)
			rc = daemon_verb(cli, "card-list", args, print_list);
	} else if (strcmp(what, "show") == 0) {
		if ((n = card_of(argc, argv, args)) > 0 && n == argc)
			rc = daemon_verb(cli, "card-show", args, print_card);
	} else if ((n = card_of(argc, argv, args)) > 0 && options(argc - n, argv + n, args) == 0) {
		json_object_set_new(args, "action", json_string(what));
		rc = daemon_verb(cli, "card-do", args, print_done);
	}
	json_decref(args);
	return rc;
}

/* ---- report custody ---- */

static const char *const bucket_keys[] = { "0-30", "31-90", "91-180", "over_180" };
static const char *const state_keys[] = { "issued",	 "stored",    "collected",
					  "transferred", "withdrawn", "destroyed" };

static void
print_custody_text(json_t *d)
{
	json_t *st = json_object_get(d, "states"), *ages = json_object_get(d, "age_days");
	json_t *kec = json_object_get(d, "held_by_kecamatan"), *v;
	const char *k;

	printf(_("issued cards:   %lld\n"), jint(d, "issued"));
	printf(_("in custody:     %lld (output hopper %lld, stored %lld)\n"),
	       jint(st, "issued") + jint(st, "stored"), jint(st, "issued"), jint(st, "stored"));
	printf(_("collected:      %lld\n"), jint(st, "collected"));
	printf(_("transferred:    %lld\n"), jint(st, "transferred"));
	printf(_("withdrawn:      %lld (destroyed %lld)\n"),
	       jint(st, "withdrawn") + jint(st, "destroyed"), jint(st, "destroyed"));
	printf(_("in custody by age (days):"));
	for (int i = 0; i < 4; i++)
		printf(" %s: %lld", bucket_keys[i], jint(ages, bucket_keys[i]));
	printf(_("\nin custody by kecamatan of the holder:\n"));
	json_object_foreach(kec, k, v)
		printf("  %-30s %lld\n", k, (long long)json_integer_value(v));
	json_t *due = json_object_get(d, "due_for_transfer");
	printf(_("due for transfer: %lld"), jint(due, "cards"));
	const char *sep = " (kecamatan ";
	json_object_foreach(json_object_get(due, "by_kecamatan"), k, v)
	{
		printf("%s%s %lld", sep, k, (long long)json_integer_value(v));
		sep = ", ";
	}
	printf("%s\n", json_object_size(json_object_get(due, "by_kecamatan")) ? ")" : "");
	printf(_("collected in the last 31 days:"));
	json_object_foreach(json_object_get(d, "collected_per_day"), k, v)
		printf(" %s: %lld", k, (long long)json_integer_value(v));
	printf("%s\n", json_object_size(json_object_get(d, "collected_per_day")) ? "" : " none");
	json_t *b;
	size_t bi;
	json_array_foreach(json_object_get(d, "transfer_batches"), bi, b)
	{
		char when[16];
		day(jint(b, "at"), when);
		printf(_("transfer batch: %s to kecamatan %s on %s, %lld cards\n"), jstr(b, "doc"),
		       jstr(b, "kecamatan"), when, jint(b, "cards"));
	}
	json_t *sms = json_object_get(d, "sms");
	if (json_is_true(json_object_get(sms, "enabled")))
		printf(_("SMS notices:    %lld sent, %lld failed, %lld waiting in "
			 "gammu-smsd%s%s\n"),
		       jint(sms, "sent"), jint(sms, "failed"), jint(sms, "queued"),
		       jstr(sms, "problem")[0] ? "; NOW: " : "", jstr(sms, "problem"));
	else
		printf(_("SMS notices:    off\n"));
	if (json_is_true(json_object_get(d, "balanced")))
		printf(_("balance:        issued = in custody + collected + transferred + "
			 "withdrawn: OK\n"));
	else
		printf(_("balance:        NOT BALANCED: %s\n"), jstr(d, "problem"));
}

static void
print_custody_csv(json_t *d)
{
	json_t *st = json_object_get(d, "states"), *ages = json_object_get(d, "age_days");
	json_t *kec = json_object_get(d, "held_by_kecamatan"), *v;
	const char *k;

	printf("section,key,count\n");
	printf("total,issued,%lld\n", jint(d, "issued"));
	for (int i = 0; i < 6; i++)
		printf("state,%s,%lld\n", state_keys[i], jint(st, state_keys[i]));
	for (int i = 0; i < 4; i++)
		printf("age_days,%s,%lld\n", bucket_keys[i], jint(ages, bucket_keys[i]));
	json_object_foreach(kec, k, v)
	{
		printf("kecamatan,\"");
		for (const char *p = k; *p; p++)
			printf(*p == '"' ? "\"\"" : "%c", *p);
		printf("\",%lld\n", (long long)json_integer_value(v));
	}
	json_t *due = json_object_get(d, "due_for_transfer");
	printf("due_for_transfer,cards,%lld\n", jint(due, "cards"));
	json_object_foreach(json_object_get(d, "collected_per_day"), k, v)
		printf("collected_per_day,%s,%lld\n", k, (long long)json_integer_value(v));
	json_t *sms = json_object_get(d, "sms");
	printf("sms,sent,%lld\nsms,failed,%lld\nsms,queued,%lld\n", jint(sms, "sent"),
	       jint(sms, "failed"), jint(sms, "queued"));
	printf("balance,balanced,%d\n", json_is_true(json_object_get(d, "balanced")));
}

static const char *custody_pdf; /* report custody --format pdf -o FILE */
static int custody_pdf_failed;

static void
print_custody_pdf(json_t *d)
{
	char why[300];

	if (berita_custody_pdf(d, jstr(d, "office"), jint(d, "now"), custody_pdf, why,
			       sizeof(why)) < 0) {
		fprintf(stderr, "cetakctl: %s\n", why);
		custody_pdf_failed = 1;
		return;
	}
	printf(_("%s: custody report written\n"), custody_pdf);
}

int
cli_report_custody(const struct cli *cli, int argc, char **argv)
{
	void (*printer)(json_t *) = print_custody_text;
	struct cli c = *cli;
	const char *format = "text";

	for (int i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--format") == 0)
			format = argv[i + 1];
		else if (strcmp(argv[i], "-o") == 0)
			custody_pdf = argv[i + 1];
		else
			return EXIT_USAGE;
	}
	if (argc % 2)
		return EXIT_USAGE;
	if (strcmp(format, "csv") == 0)
		printer = print_custody_csv;
	else if (strcmp(format, "json") == 0)
		c.json = 1;
	else if (strcmp(format, "pdf") == 0 && custody_pdf)
		printer = print_custody_pdf;
	else if (strcmp(format, "text") != 0)
		return EXIT_USAGE;
	int rc = daemon_verb(&c, "custody", NULL, printer);
	return rc == 0 && custody_pdf_failed ? EXIT_REFUSED : rc;
}

/* ---- SMS notices ---- */

static void
print_round(json_t *d)
{
	if (json_is_true(json_object_get(d, "quiet")))
		printf(_("outside the hours for notices (notice.send_hours, notice.holidays): none "
			 "sent now\n"));
	printf(_("handed to gammu-smsd: %lld; read back: %lld sent, %lld failed (sent again in "
		 "the next round), %lld taken back; waiting in gammu-smsd: %lld; stored cards "
		 "without a mobile number: %lld\n"),
	       jint(d, "handed"), jint(d, "sent"), jint(d, "failed"), jint(d, "withdrawn"),
	       jint(d, "waiting"), jint(d, "no_phone"));
}

int
cli_notice(const struct cli *cli, int argc, char **argv)
{
	if (argc != 1 || strcmp(argv[0], "run") != 0)
		return EXIT_USAGE;
	return daemon_verb(cli, "notice-run", NULL, print_round);
}

/* ---- personal data ---- */

static void
print_privacy(json_t *d)
{
	char oldest[16] = "-", next[16] = "-";

	if (jint(d, "oldest_held"))
		day(jint(d, "oldest_held"), oldest);
	if (jint(d, "next_removal"))
		day(jint(d, "next_removal"), next);
	printf(_("personal data (%s) held in the job store:\n"), jstr(d, "removed_fields"));
	printf(_("  jobs not yet printed:                 %lld\n"), jint(d, "waiting_to_print"));
	printf(_("  cards in custody (until hand-over):   %lld\n"), jint(d, "in_custody"));
	printf(_("  collected, transferred, withdrawn or\n"
		 "  cancelled, kept %lld days:             %lld (next removal %s)\n"),
	       jint(d, "retention_days"), jint(d, "in_retention"), next);
	printf(_("  of these with a mobile number:        %lld\n"), jint(d, "with_phone"));
	printf(_("  oldest held since:                    %s\n"), oldest);
	printf(_("  size:                                 %.1f MB\n"),
	       (double)jint(d, "bytes_held") / 1e6);
	printf(_("removed so far:                         %lld jobs\n"), jint(d, "removed"));
}

static void
print_purge(json_t *d)
{
	printf(_("personal data of %lld jobs removed, %lld refused job files removed%s\n"),
	       jint(d, "jobs"), jint(d, "rejected_files"),
	       json_is_true(json_object_get(d, "reclaimed")) ? _("; free space given back") : "");
}

int
cli_privacy(const struct cli *cli, int argc, char **argv)
{
	if (argc == 0)
		return daemon_verb(cli, "privacy", NULL, print_privacy);
	if (argc == 1 && strcmp(argv[0], "purge") == 0)
		return daemon_verb(cli, "privacy-purge", NULL, print_purge);
	return EXIT_USAGE;
}
