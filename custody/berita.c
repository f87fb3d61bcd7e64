/*
 * berita.c - the berita acara serah terima of a transfer batch (berita.h).
 */
#include "berita.h"
#include "common/i18n.h"
#include "common/pdfdoc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void
berita_date(long long t, char *out, size_t len)
{
	i18n_date_long((time_t)t, out, len);
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s && s[0] ? s : "-";
}

/* The document's language: the station's document_language that cetakd put
 * into the JSON, Indonesian when it is not there. */
static const char *
doc_lang(json_t *o)
{
	const char *l = json_string_value(json_object_get(o, "language"));

	return i18n_lang_ok(l) ? l : "id";
}

static int write_pdf(json_t *batch, const char *path, char *why, size_t len);

/* The berita acara in the station's document language (docs/i18n.md). */
int
berita_transfer_pdf(json_t *batch, const char *path, char *why, size_t len)
{
	struct i18n_doc d;

	i18n_doc_begin(&d, doc_lang(batch));
	int rc = write_pdf(batch, path, why, len);
	i18n_doc_end(&d);
	return rc;
}

static int
write_pdf(json_t *batch, const char *path, char *why, size_t len)
{
	json_t *cards = json_object_get(batch, "cards"), *c;
	const char *office = str(batch, "office"), *kec = str(batch, "kecamatan");
	char date[64], foot[160], s[1024];
	struct pdf p;
	size_t i;

	if (!strcmp(office, "-"))
		office = str(batch, "station");
	time_t at = (time_t)json_integer_value(json_object_get(batch, "at"));
	struct tm tm;
	char day[48];
	localtime_r(&at, &tm);
	/* TRANSLATORS: the day of a berita acara: weekday, date */
	snprintf(date, sizeof(date), _("%s, %s"), i18n_weekday(tm.tm_wday),
		 i18n_date(at, day, sizeof(day)));
	snprintf(foot, sizeof(foot), _("Berita acara of the hand-over of KTP-el %s"),
		 str(batch, "doc"));
	if (pdf_open(&p, path, office, foot, why, len) < 0)
		return -EIO;
	pdf_para(&p, "DejaVu Sans Bold 13", 2, office, 4);
	pdf_rule(&p);
	pdf_para(&p, "DejaVu Sans Bold 12", 2, _("BERITA ACARA OF THE HAND-OVER OF KTP-EL"), 2);
	snprintf(s, sizeof(s), _("Number: %s"), str(batch, "doc"));
	pdf_para(&p, "DejaVu Sans 10", 2, s, 14);
	snprintf(s, sizeof(s),
		 _("On this day, %s, we the undersigned have handed over KTP-el cards that were "
		   "printed but not collected by their holders, from %s to Kecamatan %s, %zu "
		   "cards in all, as listed below:"),
		 date, office, kec, json_array_size(cards));
	pdf_para(&p, "DejaVu Sans 10", 0, s, 10);

	static const double xs[] = { 0, 20, 130, 282, 405 };
	const char *hd[] = { _("No."), _("Name"), _("Address"), _("Chip serial number"),
			     _("Application no.") };
	pdf_cells(&p, "DejaVu Sans Bold 8", xs, hd, 5);
	pdf_rule(&p);
	json_array_foreach(cards, i, c)
	{
		char no[24];
		snprintf(no, sizeof(no), "%zu", i + 1);
		const char *v[] = { no, str(c, "name"), str(c, "address"), str(c, "chip"),
				    str(c, "job") };
		pdf_cells(&p, "DejaVu Sans 8", xs, v, 5);
	}
	pdf_rule(&p);
	snprintf(s, sizeof(s), _("In all: %zu KTP-el cards."), json_array_size(cards));
	pdf_para(&p, "DejaVu Sans Bold 9", 0, s, 10);
	pdf_para(&p, "DejaVu Sans 10", 0,
		 _("The cards are handed to their holders at the kecamatan office once each "
		   "holder shows proof of identity. This berita acara is made truthfully, to be "
		   "used as is proper."),
		 16);
	char giver[200], taker[200], head[200];
	snprintf(giver, sizeof(giver), _("Handed over by,\n%s"), office);
	snprintf(taker, sizeof(taker), _("Received by,\nKecamatan %s"), kec);
	snprintf(head, sizeof(head), "%s", _("Acknowledged by,\nHead of Office"));
	const char *who[] = { giver, taker, head };
	pdf_signatures(&p, who, 3);
	return pdf_close(&p, path, why, len);
}

#define N(o, k) ((long long)json_integer_value(json_object_get(o, k)))

static int write_custody_pdf(json_t *r, const char *office, long long at, const char *path,
			     char *why, size_t len);

int
berita_custody_pdf(json_t *r, const char *office, long long at, const char *path, char *why,
		   size_t len)
{
	struct i18n_doc d;

	i18n_doc_begin(&d, doc_lang(r));
	int rc = write_custody_pdf(r, office, at, path, why, len);
	i18n_doc_end(&d);
	return rc;
}

static int
write_custody_pdf(json_t *r, const char *office, long long at, const char *path, char *why,
		  size_t len)
{
	json_t *st = json_object_get(r, "states"), *age = json_object_get(r, "age_days"), *v;
	json_t *sms = json_object_get(r, "sms"), *due = json_object_get(r, "due_for_transfer");
	char date[64], foot[160], s[256];
	const char *k;
	struct pdf p;
	size_t i;

	berita_date(at, date, sizeof(date));
	snprintf(foot, sizeof(foot), _("Custody of printed KTP-el, %s"), date);
	if (pdf_open(&p, path, office, foot, why, len) < 0)
		return -EIO;
	pdf_para(&p, "DejaVu Sans Bold 13", 2, p.office, 4);
	pdf_rule(&p);
	pdf_para(&p, "DejaVu Sans Bold 11", 2, _("REPORT ON THE CUSTODY OF PRINTED KTP-EL"), 2);
	pdf_para(&p, "DejaVu Sans 9", 2, date, 10);

	pdf_heading(&p, _("Summary"));
	pdf_rowi(&p, _("cards issued (by the ledger)"), N(r, "issued"), 0);
	pdf_rowi(&p, _("in the output hopper"), N(st, "issued"), 0);
	pdf_rowi(&p, _("stored"), N(st, "stored"), 0);
	pdf_rowi(&p, _("collected"), N(st, "collected"), 0);
	pdf_rowi(&p, _("transferred to a kecamatan"), N(st, "transferred"), 0);
	pdf_rowi(&p, _("withdrawn, awaiting destruction"), N(st, "withdrawn"), 0);
	pdf_rowi(&p, _("destroyed"), N(st, "destroyed"), 0);
	pdf_row(&p,
		json_is_true(json_object_get(r, "balanced"))
			? _("issued = in custody + collected + transferred + withdrawn")
			: _("THE CUSTODY BOOKS DO NOT BALANCE"),
		json_is_true(json_object_get(r, "balanced")) ? "OK" : "");

	pdf_heading(&p, _("Cards held, by days since printing"));
	static const char *const buckets[] = { "0-30", "31-90", "91-180", "over_180" };
	const char *labels[] = { _("0-30 days"), _("31-90 days"), _("91-180 days"),
				 _("over 180 days") };
	for (int b = 0; b < 4; b++)
		pdf_rowi(&p, labels[b], N(age, buckets[b]), 0);

	pdf_heading(&p, _("Cards held, by kecamatan of the holder (due for transfer)"));
	json_object_foreach(json_object_get(r, "held_by_kecamatan"), k, v)
	{
		snprintf(s, sizeof(s), "%lld (%lld)", (long long)json_integer_value(v),
			 N(json_object_get(due, "by_kecamatan"), k));
		pdf_row(&p, k, s);
	}
	pdf_rowi(&p, _("due for transfer, in all"), N(due, "cards"), 0);

	pdf_heading(&p, _("Collected in the last 31 days"));
	json_object_foreach(json_object_get(r, "collected_per_day"), k, v)
		pdf_rowi(&p, k, (long long)json_integer_value(v), 0);

	pdf_heading(&p, _("Transfer batches (berita acara of hand-over)"));
	json_array_foreach(json_object_get(r, "transfer_batches"), i, v)
	{
		char when[64];
		berita_date(N(v, "at"), when, sizeof(when));
		snprintf(s, sizeof(s), _("%s, kecamatan %s, %s"), str(v, "doc"),
			 str(v, "kecamatan"), when);
		pdf_rowi(&p, s, N(v, "cards"), 0);
	}

	pdf_heading(&p, _("SMS notices"));
	pdf_rowi(&p, _("delivered"), N(sms, "sent"), 0);
	pdf_rowi(&p, _("failed (sent again)"), N(sms, "failed"), 0);
	pdf_rowi(&p, _("waiting in gammu-smsd"), N(sms, "queued"), 0);

	const char *who[] = { _("Custody officer"), _("Acknowledged by,\nHead of Office") };
	pdf_signatures(&p, who, 2);
	return pdf_close(&p, path, why, len);
}
