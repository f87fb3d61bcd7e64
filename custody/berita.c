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

static const char *const hari[] = {
	"Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"
};
static const char *const bulan[] = { "Januari",	  "Februari", "Maret",	  "April",
				     "Mei",	  "Juni",     "Juli",	  "Agustus",
				     "September", "Oktober",  "November", "Desember" };

void
berita_date(long long t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	snprintf(out, len, "%s, %d %s %d", hari[tm.tm_wday], tm.tm_mday, bulan[tm.tm_mon],
		 tm.tm_year + 1900);
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s && s[0] ? s : "-";
}

static int write_pdf(json_t *batch, const char *path, char *why, size_t len);

/* The berita acara is written in Indonesian (its texts are not in the
 * catalogue yet); the shared parts of the page (pdfdoc.c) follow it. */
int
berita_transfer_pdf(json_t *batch, const char *path, char *why, size_t len)
{
	struct i18n_doc d;

	i18n_doc_begin(&d, "id");
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
	localtime_r(&at, &tm);
	snprintf(date, sizeof(date), "%s tanggal %d %s %d", hari[tm.tm_wday], tm.tm_mday,
		 bulan[tm.tm_mon], tm.tm_year + 1900);
	snprintf(foot, sizeof(foot), "Berita acara serah terima KTP-el %s", str(batch, "doc"));
	if (pdf_open(&p, path, office, foot, why, len) < 0)
		return -EIO;
	pdf_para(&p, "DejaVu Sans Bold 13", 2, office, 4);
	pdf_rule(&p);
	pdf_para(&p, "DejaVu Sans Bold 12", 2, "BERITA ACARA SERAH TERIMA KTP-EL", 2);
	snprintf(s, sizeof(s), "Nomor: %s", str(batch, "doc"));
	pdf_para(&p, "DejaVu Sans 10", 2, s, 14);
	snprintf(s, sizeof(s),
		 "Pada hari ini %s, kami yang bertanda tangan di bawah ini telah melakukan serah "
		 "terima KTP-el yang telah dicetak tetapi belum diambil oleh pemiliknya, dari %s "
		 "kepada Kecamatan %s, sebanyak %zu keping, dengan rincian sebagai berikut:",
		 date, office, kec, json_array_size(cards));
	pdf_para(&p, "DejaVu Sans 10", 0, s, 10);

	static const double xs[] = { 0, 20, 130, 282, 405 };
	static const char *const hd[] = { "No", "Nama", "Alamat", "Nomor seri chip",
					  "No. permohonan" };
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
	snprintf(s, sizeof(s), "Jumlah: %zu keping KTP-el.", json_array_size(cards));
	pdf_para(&p, "DejaVu Sans Bold 9", 0, s, 10);
	pdf_para(&p, "DejaVu Sans 10", 0,
		 "KTP-el tersebut diserahkan kepada pemiliknya di kantor kecamatan setelah "
		 "pemilik menunjukkan identitas diri. Demikian berita acara ini dibuat dengan "
		 "sebenarnya untuk dipergunakan sebagaimana mestinya.",
		 16);
	char giver[200], taker[200];
	snprintf(giver, sizeof(giver), "Yang menyerahkan,\n%s", office);
	snprintf(taker, sizeof(taker), "Yang menerima,\nKecamatan %s", kec);
	const char *who[] = { giver, taker, "Mengetahui,\nKepala Dinas" };
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

	i18n_doc_begin(&d, "id");
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
	snprintf(foot, sizeof(foot), "Laporan penyimpanan KTP-el, %s", date);
	if (pdf_open(&p, path, office, foot, why, len) < 0)
		return -EIO;
	pdf_para(&p, "DejaVu Sans Bold 13", 2, p.office, 4);
	pdf_rule(&p);
	pdf_para(&p, "DejaVu Sans Bold 11", 2,
		 "LAPORAN PENYIMPANAN KTP-EL YANG SUDAH DICETAK\nCustody of issued cards", 2);
	pdf_para(&p, "DejaVu Sans 9", 2, date, 10);

	pdf_heading(&p, "Summary");
	pdf_rowi(&p, "cards issued (by the ledger)", N(r, "issued"), 0);
	pdf_rowi(&p, "in the output hopper", N(st, "issued"), 0);
	pdf_rowi(&p, "stored", N(st, "stored"), 0);
	pdf_rowi(&p, "collected", N(st, "collected"), 0);
	pdf_rowi(&p, "transferred to a kecamatan", N(st, "transferred"), 0);
	pdf_rowi(&p, "withdrawn, awaiting destruction", N(st, "withdrawn"), 0);
	pdf_rowi(&p, "destroyed", N(st, "destroyed"), 0);
	pdf_row(&p,
		json_is_true(json_object_get(r, "balanced"))
			? "issued = in custody + collected + transferred + withdrawn"
			: "THE CUSTODY BOOKS DO NOT BALANCE",
		json_is_true(json_object_get(r, "balanced")) ? "OK" : "");

	pdf_heading(&p, "Cards held, by days since printing");
	static const char *const buckets[] = { "0-30", "31-90", "91-180", "over_180" };
	static const char *const labels[] = { "0-30 days", "31-90 days", "91-180 days",
					      "over 180 days" };
	for (int b = 0; b < 4; b++)
		pdf_rowi(&p, labels[b], N(age, buckets[b]), 0);

	pdf_heading(&p, "Cards held, by kecamatan of the holder (due for transfer)");
	json_object_foreach(json_object_get(r, "held_by_kecamatan"), k, v)
	{
		snprintf(s, sizeof(s), "%lld (%lld)", (long long)json_integer_value(v),
			 N(json_object_get(due, "by_kecamatan"), k));
		pdf_row(&p, k, s);
	}
	pdf_rowi(&p, "due for transfer, in all", N(due, "cards"), 0);

	pdf_heading(&p, "Collected in the last 31 days");
	json_object_foreach(json_object_get(r, "collected_per_day"), k, v)
		pdf_rowi(&p, k, (long long)json_integer_value(v), 0);

	pdf_heading(&p, "Transfer batches (berita acara serah terima)");
	json_array_foreach(json_object_get(r, "transfer_batches"), i, v)
	{
		char when[64];
		berita_date(N(v, "at"), when, sizeof(when));
		snprintf(s, sizeof(s), "%s, kecamatan %s, %s", str(v, "doc"), str(v, "kecamatan"),
			 when);
		pdf_rowi(&p, s, N(v, "cards"), 0);
	}

	pdf_heading(&p, "SMS notices");
	pdf_rowi(&p, "sent", N(sms, "sent"), 0);
	pdf_rowi(&p, "failed (sent again)", N(sms, "failed"), 0);
	pdf_rowi(&p, "waiting in gammu-smsd", N(sms, "queued"), 0);

	static const char *const who[] = { "Petugas penyimpanan\n(custody officer)",
					   "Mengetahui, Kepala Dinas\n(head of office)" };
	pdf_signatures(&p, who, 2);
	return pdf_close(&p, path, why, len);
}
