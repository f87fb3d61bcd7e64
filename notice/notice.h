/*
 * notice.h - SMS notices to holders whose card waits for collection.
 *
 * cetak does not talk to a modem: it hands each message to gammu-smsd, the
 * SMS daemon offices already run, through its files backend (gammu-smsd-
 * files(7)): a file OUT<priority><date>_<time>_<serial>_<number>_<note>.txt
 * in the outbox, which gammu-smsd sends and then moves, under the same name,
 * to its sent folder or its error folder. This module holds what does not
 * need the job store: when a notice may go out (sending hours, holidays),
 * the text from the office's template, the outbox file's name, and the
 * hand-over to gammu (staged, flushed, then renamed into the outbox so that
 * gammu never reads half a message). Plumbing returns 0 or -errno.
 */
#ifndef CETAK_NOTICE_H
#define CETAK_NOTICE_H

#include <stdbool.h>
#include <stddef.h>

/* The longest text a notice may have: three concatenated 7-bit SMS parts. */
#define NOTICE_TEXT_MAX 459
#define NOTICE_HOLIDAYS_MAX 64
#define NOTICE_NAME_MAX 96

/* When notices may go out. */
struct notice_hours {
	int from_min, to_min;		   /* minutes after local midnight, [from, to) */
	unsigned weekdays_off;		   /* bit tm_wday: 1 << 0 = Sunday */
	int holidays[NOTICE_HOLIDAYS_MAX]; /* YYYYMMDD */
	int n_holidays;
};

/* "08:00-17:00" into *h; NULL when fine, else what a good value looks like. */
const char *notice_hours_parse(const char *s, struct notice_hours *h);
/* "Sun,2026-12-25,2027-01-01" (weekday names and dates) into *h. */
const char *notice_holidays_parse(const char *s, struct notice_hours *h);
/* May a notice go out at now (local time)? */
bool notice_may_send(const struct notice_hours *h, long long now);

/* What a template may say: {nama} the holder, {kantor} the office, {jam} its hours. */
struct notice_vars {
	const char *nama, *kantor, *jam;
};

/*
 * Fill the template. Returns the length, or -EINVAL with why ("unknown
 * placeholder {nik}: a notice may name only {nama}, {kantor} and {jam}")
 * or -E2BIG when the text is longer than NOTICE_TEXT_MAX characters.
 */
int notice_render(const char *tmpl, const struct notice_vars *v, char *out, size_t outlen,
		  char *why, size_t whylen);

/* "OUTC20261130_080000_00_+6281234567890_cetak-17.txt" for notice id. */
int notice_file_name(char *out, size_t len, long long now, const char *phone, long long id);

/*
 * Where is the notice gammu was given? Looked up by its name in the three
 * folders gammu-smsd moves it between.
 */
enum notice_fate {
	NF_QUEUED, /* still in the outbox */
	NF_SENT,   /* in the sent folder */
	NF_FAILED, /* in the error folder */
	NF_GONE,   /* in none: never handed over (a crash before the rename) */
};
struct notice_dirs {
	int outbox, sent, error; /* directory descriptors */
};
int notice_dirs_open(struct notice_dirs *d, const char *outbox, const char *sent, const char *error,
		     char *why, size_t whylen);
void notice_dirs_close(struct notice_dirs *d);
enum notice_fate notice_fate(const struct notice_dirs *d, const char *name);

/*
 * Hand-over in two steps, for a whole round at once: notice_stage() writes
 * each text (UTF-16 with a byte-order mark, as gammu reads it) to a hidden
 * file gammu ignores; notice_commit() flushes them all with one syncfs and
 * renames each into its OUT name, then flushes the folder. A crash leaves
 * staged files, which notice_sweep() removes; never a half-written message.
 */
int notice_stage(const struct notice_dirs *d, const char *name, const char *text);
int notice_commit(const struct notice_dirs *d, const char *const *names, size_t n);
int notice_sweep(const struct notice_dirs *d);
/* Take a message back from the outbox before gammu sends it: 0, or -ENOENT if it is gone. */
int notice_withdraw(const struct notice_dirs *d, const char *name);
/* Remove the copy in the sent or error folder once the result is recorded. */
void notice_forget(const struct notice_dirs *d, const char *name);

/*
 * Can gammu take messages? NULL when it can, else the one-line reason:
 * gammu-smsd not running (pidfile names no live gammu-smsd; "" skips the
 * check), the outbox unwritable, or max messages already waiting in it.
 */
const char *notice_gateway_check(const struct notice_dirs *d, const char *pidfile, int max,
				 char *why, size_t whylen);

#endif
