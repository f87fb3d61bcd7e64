/*
 * i18n.h - cetak in Bahasa Indonesia (and English): GNU gettext for every
 * text a person reads, Indonesian forms of dates and numbers, and official
 * documents in the language the configuration names whatever the process's
 * locale (docs/i18n.md).
 *
 * Machine output stays English and untranslated: JSON keys, CSV headers,
 * journal messages, metrics, the audit format.
 */
#ifndef CETAK_I18N_H
#define CETAK_I18N_H

#include <libintl.h>
#include <locale.h>
#include <stddef.h>
#include <time.h>

#define _(s) gettext(s)
#define N_(s) (s)
/* A template of the daemon's messages (reasons, refusals, alerts): written
 * in English where it is made, translated where a person reads it
 * (i18n_msg()). */
#define R_(s) (s)

/* The locale from the environment (LANG, LC_ALL, LANGUAGE) and the message
 * catalogue: $CETAK_LOCALEDIR, else the installed one. */
void i18n_init(void);

/* The languages of documents: "id" (the default) and "en". */
int i18n_lang_ok(const char *lang);

/*
 * Write a document in lang ("id" or "en") on this thread: its texts through
 * _() come from that language's catalogue until i18n_doc_end(), whatever
 * the locale of the process (uselocale on LC_MESSAGES). Returns 0, or -1
 * when the system lacks the locale (the texts stay in the process's
 * language; i18n_doc_end() is still called).
 */
struct i18n_doc {
	locale_t prev, loc;
	const char *lang;
};
int i18n_doc_begin(struct i18n_doc *d, const char *lang);
void i18n_doc_end(struct i18n_doc *d);
/* The language of the document being written on this thread ("id", "en"),
 * or of the process's messages when none. */
const char *i18n_lang(void);

/*
 * Dates and numbers as the language writes them. Indonesian: "29 November
 * 2026", "Senin", 1.234 and 3,5; English: "29 November 2026", "Monday",
 * 1,234 and 3.5. Each returns buf.
 */
const char *i18n_date(time_t t, char *buf, size_t len);	     /* 29 November 2026 */
const char *i18n_date_long(time_t t, char *buf, size_t len); /* Senin, 29 November 2026 */
const char *i18n_weekday(int wday);			     /* 0 = Sunday */
const char *i18n_month(int mon);			     /* 0 = January */
const char *i18n_int(long long n, char *buf, size_t len);
const char *i18n_dec(double v, int places, char *buf, size_t len);
/* A number in words, for a berita acara ("dua ribu dua puluh enam"); id only,
 * digits otherwise. */
const char *i18n_words(long long n, char *buf, size_t len);

/*
 * A message of the daemon (made from an R_() template) in the language of
 * this thread: the template that made text is found, its arguments taken
 * back out, and its translation written with them; an argument that is
 * itself such a message is translated too. A text no template made is
 * copied as it is. Returns buf.
 */
const char *i18n_msg(const char *text, char *buf, size_t len);

/* The template that made text (the one with the most text of its own when
 * several could), with where its arguments are in text; NULL when none. */
#define I18N_MSG_MAX_ARGS 8
struct i18n_msg_args {
	int n;
	const char *start[I18N_MSG_MAX_ARGS];
	size_t len[I18N_MSG_MAX_ARGS];
	int is_str[I18N_MSG_MAX_ARGS];
};
const char *i18n_msg_template(const char *text, struct i18n_msg_args *args);

#endif
