/*
 * i18n.c - gettext set-up, documents in a chosen language, and Indonesian
 * dates, numbers and numbers in words (i18n.h).
 */
#include "i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/share/locale"
#endif
#define DOMAIN "cetak"

static __thread const char *doc_lang;

void
i18n_init(void)
{
	const char *dir = getenv("CETAK_LOCALEDIR");

	/* messages and characters only: numbers stay in the C form that JSON,
	 * the configuration and the metrics need */
	setlocale(LC_MESSAGES, "");
	setlocale(LC_CTYPE, "");
	bindtextdomain(DOMAIN, dir && dir[0] ? dir : LOCALEDIR);
	bind_textdomain_codeset(DOMAIN, "UTF-8");
	textdomain(DOMAIN);
}

int
i18n_lang_ok(const char *lang)
{
	return lang && (!strcmp(lang, "id") || !strcmp(lang, "en"));
}

int
i18n_doc_begin(struct i18n_doc *d, const char *lang)
{
	static const char *const names[][3] = {
		{ "id", "id_ID.UTF-8", "id_ID.utf8" },
		{ "en", "C.UTF-8", "C" },
	};

	memset(d, 0, sizeof(*d));
	d->lang = doc_lang;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(lang, names[i][0]) != 0)
			continue;
		for (int k = 1; k < 3 && !d->loc; k++)
			d->loc = newlocale(LC_MESSAGES_MASK, names[i][k], (locale_t)0);
		if (!d->loc)
			return -1;
		d->prev = uselocale(d->loc);
		doc_lang = names[i][0];
		return 0;
	}
	return -1;
}

void
i18n_doc_end(struct i18n_doc *d)
{
	if (d->loc) {
		uselocale(d->prev);
		freelocale(d->loc);
	}
	doc_lang = d->lang;
	d->loc = NULL;
}

const char *
i18n_lang(void)
{
	if (doc_lang)
		return doc_lang;
	/* the process's messages: Indonesian when its catalogue answers */
	return strcmp(gettext("LANGUAGE-CODE"), "id") == 0 ? "id" : "en";
}

static int
is_id(void)
{
	return !strcmp(i18n_lang(), "id");
}

const char *
i18n_weekday(int wday)
{
	static const char *const id[] = { "Minggu", "Senin", "Selasa", "Rabu",
					  "Kamis",  "Jumat", "Sabtu" };
	static const char *const en[] = { "Sunday",   "Monday", "Tuesday", "Wednesday",
					  "Thursday", "Friday", "Saturday" };

	wday = ((wday % 7) + 7) % 7;
	return is_id() ? id[wday] : en[wday];
}

const char *
i18n_month(int mon)
{
	static const char *const id[] = { "Januari",   "Februari", "Maret",    "April",
					  "Mei",       "Juni",	   "Juli",     "Agustus",
					  "September", "Oktober",  "November", "Desember" };
	static const char *const en[] = { "January",   "February", "March",    "April",
					  "May",       "June",	   "July",     "August",
					  "September", "October",  "November", "December" };

	mon = ((mon % 12) + 12) % 12;
	return is_id() ? id[mon] : en[mon];
}

const char *
i18n_date(time_t t, char *buf, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	snprintf(buf, len, "%d %s %d", tm.tm_mday, i18n_month(tm.tm_mon), tm.tm_year + 1900);
	return buf;
}

const char *
i18n_date_long(time_t t, char *buf, size_t len)
{
	struct tm tm;
	char d[40];

	localtime_r(&t, &tm);
	snprintf(buf, len, "%s, %s", i18n_weekday(tm.tm_wday), i18n_date(t, d, sizeof(d)));
	return buf;
}

const char *
i18n_int(long long n, char *buf, size_t len)
{
	char digits[32], out[48];
	unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
	int nd = snprintf(digits, sizeof(digits), "%llu", u), o = 0;
	char sep = is_id() ? '.' : ',';

	if (n < 0)
		out[o++] = '-';
	for (int i = 0; i < nd; i++) {
		if (i && (nd - i) % 3 == 0)
			out[o++] = sep;
		out[o++] = digits[i];
	}
	out[o] = '\0';
	snprintf(buf, len, "%s", out);
	return buf;
}

const char *
i18n_dec(double v, int places, char *buf, size_t len)
{
	char whole[48], s[64];
	long long w = (long long)v;
	double frac = (v < 0 ? -v : v) - (double)(w < 0 ? -w : w);

	if (places <= 0) {
		return i18n_int((long long)(v < 0 ? v - 0.5 : v + 0.5), buf, len);
	}
	/* rounding may carry into the whole part */
	double scale = 1;
	for (int i = 0; i < places; i++)
		scale *= 10;
	long long f = (long long)(frac * scale + 0.5);
	if (f >= (long long)scale) {
		f -= (long long)scale;
		w += v < 0 ? -1 : 1;
	}
	i18n_int(w, whole, sizeof(whole));
	snprintf(s, sizeof(s), "%s%s%c%0*lld", v < 0 && w == 0 ? "-" : "", whole,
		 is_id() ? ',' : '.', places, f);
	snprintf(buf, len, "%s", s);
	return buf;
}

/* Indonesian number words (terbilang) below one thousand trillion. */
static void
words_id(unsigned long long n, char *out, size_t len)
{
	static const char *const ones[] = { "",	       "satu",	   "dua",     "tiga",
					    "empat",   "lima",	   "enam",    "tujuh",
					    "delapan", "sembilan", "sepuluh", "sebelas" };
	char a[256] = "", b[256] = "";

	if (n < 12) {
		snprintf(out, len, "%s", ones[n]);
	} else if (n < 20) {
		snprintf(out, len, "%s belas", ones[n - 10]);
	} else if (n < 100) {
		words_id(n % 10, a, sizeof(a));
		snprintf(out, len, "%s puluh%s%s", ones[n / 10], a[0] ? " " : "", a);
	} else if (n < 200) {
		words_id(n - 100, a, sizeof(a));
		snprintf(out, len, "seratus%s%s", a[0] ? " " : "", a);
	} else if (n < 1000) {
		words_id(n % 100, a, sizeof(a));
		snprintf(out, len, "%s ratus%s%s", ones[n / 100], a[0] ? " " : "", a);
	} else if (n < 2000) {
		words_id(n - 1000, a, sizeof(a));
		snprintf(out, len, "seribu%s%s", a[0] ? " " : "", a);
	} else {
		static const struct {
			unsigned long long unit;
			const char *name;
		} big[] = { { 1000000000000ULL, "triliun" },
			    { 1000000000ULL, "miliar" },
			    { 1000000ULL, "juta" },
			    { 1000ULL, "ribu" } };
		for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
			if (n < big[i].unit)
				continue;
			words_id(n / big[i].unit, a, sizeof(a));
			words_id(n % big[i].unit, b, sizeof(b));
			snprintf(out, len, "%s %s%s%s", a, big[i].name, b[0] ? " " : "", b);
			return;
		}
	}
}

const char *
i18n_words(long long n, char *buf, size_t len)
{
	if (!is_id() || n < 0 || n >= 1000000000000000LL) {
		snprintf(buf, len, "%lld", n);
		return buf;
	}
	if (n == 0)
		snprintf(buf, len, "nol");
	else
		words_id((unsigned long long)n, buf, len);
	return buf;
}
