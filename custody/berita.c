/*
 * berita.c - the berita acara serah terima of a transfer batch (berita.h).
 */
#include "berita.h"
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

int
berita_transfer_pdf(json_t *batch, const char *path, char *why, size_t len)
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
