/*
 * notice.c - SMS notices handed to gammu-smsd (notice.h).
 */
#define _GNU_SOURCE
#include "notice/notice.h"
#include "common/utf8.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* ---- when ---- */

const char *
notice_hours_parse(const char *s, struct notice_hours *h)
{
	int fh, fm, th, tm;
	char tail;

	if (sscanf(s, "%2d:%2d-%2d:%2d%c", &fh, &fm, &th, &tm, &tail) != 4 || fh > 23 || fm > 59 ||
	    th > 24 || tm > 59 || fh < 0 || fm < 0 || th < 0 || tm < 0 ||
	    fh * 60 + fm >= th * 60 + tm || th * 60 + tm > 24 * 60)
		return "a span of the day HH:MM-HH:MM, e.g. \"08:00-17:00\"";
	h->from_min = fh * 60 + fm;
	h->to_min = th * 60 + tm;
	return NULL;
}

static const char *const wdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

const char *
notice_holidays_parse(const char *s, struct notice_hours *h)
{
	static const char *const good =
		"weekday names and dates, comma-separated, e.g. \"Sun,2026-12-25,2027-01-01\"";
	const char *p = s;

	h->weekdays_off = 0;
	h->n_holidays = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		char tok[16];
		int y, m, d, w;
		char tail;

		while (n && *p == ' ')
			p++, n--;
		if (n == 0 || n >= sizeof(tok))
			return good;
		memcpy(tok, p, n);
		tok[n] = '\0';
		while (n && tok[n - 1] == ' ')
			tok[--n] = '\0';
		for (w = 0; w < 7; w++)
			if (strcasecmp(tok, wdays[w]) == 0)
				break;
		if (w < 7) {
			h->weekdays_off |= 1u << w;
		} else if (strlen(tok) == 10 &&
			   sscanf(tok, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && y >= 2000 &&
			   y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= 31) {
			if (h->n_holidays == NOTICE_HOLIDAYS_MAX)
				return "at most 64 dates";
			h->holidays[h->n_holidays++] = y * 10000 + m * 100 + d;
		} else {
			return good;
		}
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return NULL;
}

bool
notice_may_send(const struct notice_hours *h, long long now)
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	int min = tm.tm_hour * 60 + tm.tm_min,
	    day = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
	if (min < h->from_min || min >= h->to_min || (h->weekdays_off & (1u << tm.tm_wday)))
		return false;
	for (int i = 0; i < h->n_holidays; i++)
		if (h->holidays[i] == day)
			return false;
	return true;
}

/* ---- what ---- */

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

int
notice_render(const char *tmpl, const struct notice_vars *v, char *out, size_t outlen, char *why,
	      size_t whylen)
{
	size_t o = 0;

	if (outlen == 0)
		return -EINVAL;
	for (const char *p = tmpl; *p;) {
		const char *val = NULL;
		size_t vlen, skip = 1;

		if (*p == '{') {
			const char *end = strchr(p, '}');
			size_t n = end ? (size_t)(end - p - 1) : 0;
			if (!end || n == 0 || n > 16) {
				snprintf(why, whylen,
					 "'{' without a placeholder: write {nama}, {kantor} "
					 "or {jam}");
				return -EINVAL;
			}
			if (n == 4 && strncmp(p + 1, "nama", 4) == 0)
				val = v->nama;
			else if (n == 6 && strncmp(p + 1, "kantor", 6) == 0)
				val = v->kantor;
			else if (n == 3 && strncmp(p + 1, "jam", 3) == 0)
				val = v->jam;
			else {
				snprintf(why, whylen,
					 "unknown placeholder {%.*s}: a notice may name only "
					 "{nama}, "
					 "{kantor} and {jam}",
					 (int)n, p + 1);
				return -EINVAL;
			}
			val = val ? val : "";
			skip = n + 2;
		}
		vlen = val ? strlen(val) : 1;
		if (o + vlen + 1 > outlen) {
			snprintf(why, whylen, "the notice is longer than %d characters",
				 NOTICE_TEXT_MAX);
			return -E2BIG;
		}
		memcpy(out + o, val ? val : p, vlen);
		o += vlen;
		p += skip;
	}
	out[o] = '\0';
	if (utf8_chars(out) > NOTICE_TEXT_MAX) {
		snprintf(why, whylen, "the notice is %zu characters, at most %d (three SMS)",
			 utf8_chars(out), NOTICE_TEXT_MAX);
		return -E2BIG;
	}
	return (int)o;
}

int
notice_file_name(char *out, size_t len, long long now, const char *phone, long long id)
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	int n = snprintf(out, len, "OUTC%04d%02d%02d_%02d%02d%02d_00_%s_cetak-%lld.txt",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, phone, id);
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* ---- where ---- */

int
notice_dirs_open(struct notice_dirs *d, const char *outbox, const char *sent, const char *error,
		 char *why, size_t whylen)
{
	const char *paths[3] = { outbox, sent, error };
	int *fds[3] = { &d->outbox, &d->sent, &d->error };

	d->outbox = d->sent = d->error = -1;
	for (int i = 0; i < 3; i++) {
		*fds[i] = open(paths[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (*fds[i] < 0) {
			int e = errno;
			snprintf(why, whylen, "gammu-smsd folder %s: %s", paths[i], strerror(e));
			notice_dirs_close(d);
			return -e;
		}
	}
	return 0;
}

void
notice_dirs_close(struct notice_dirs *d)
{
	int *fds[3] = { &d->outbox, &d->sent, &d->error };

	for (int i = 0; i < 3; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static bool
exists_at(int dirfd, const char *name)
{
	struct stat sb;

	return fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

enum notice_fate
notice_fate(const struct notice_dirs *d, const char *name)
{
	/* sent and error first: gammu renames out of the outbox into them */
	if (exists_at(d->sent, name))
		return NF_SENT;
	if (exists_at(d->error, name))
		return NF_FAILED;
	if (exists_at(d->outbox, name))
		return NF_QUEUED;
	/* it may have moved between the looks */
	if (exists_at(d->sent, name))
		return NF_SENT;
	if (exists_at(d->error, name))
		return NF_FAILED;
	return NF_GONE;
}

#define STAGE_PREFIX ".cetak-"

/* UTF-8 to UTF-16BE with a byte-order mark; -EINVAL for what SMS cannot carry. */
static int
to_ucs2(const char *s, uint8_t *out, size_t cap, size_t *ret_len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	out[o++] = 0xFE, out[o++] = 0xFF;
	while (*p) {
		long cp = utf8_next(&p);
		if (cp < 0 || cp > 0xFFFF)
			return -EINVAL; /* not UTF-8, or beyond the BMP: SMS cannot carry it */
		if (o + 2 > cap)
			return -E2BIG;
		out[o++] = (uint8_t)(cp >> 8), out[o++] = (uint8_t)cp;
	}
	*ret_len = o;
	return 0;
}

int
notice_stage(const struct notice_dirs *d, const char *name, const char *text)
{
	uint8_t buf[2 + 2 * NOTICE_TEXT_MAX * 3];
	char tmp[NOTICE_NAME_MAX + 16];
	size_t len;
	int fd, r;

	if ((r = to_ucs2(text, buf, sizeof(buf), &len)) < 0)
		return r;
	snprintf(tmp, sizeof(tmp), STAGE_PREFIX "%s", name);
	fd = openat(d->outbox, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = -errno;
			close(fd);
			unlinkat(d->outbox, tmp, 0);
			return r;
		}
		off += (size_t)w;
	}
	return close(fd) < 0 ? -errno : 0;
}

int
notice_commit(const struct notice_dirs *d, const char *const *names, size_t n)
{
	char tmp[NOTICE_NAME_MAX + 16];

	if (n == 0)
		return 0;
	/* one flush for every staged text, before any becomes visible to gammu */
	if (syncfs(d->outbox) < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		snprintf(tmp, sizeof(tmp), STAGE_PREFIX "%s", names[i]);
		if (renameat(d->outbox, tmp, d->outbox, names[i]) < 0)
			return -errno;
	}
	return fsync(d->outbox) < 0 ? -errno : 0;
}

int
notice_sweep(const struct notice_dirs *d)
{
	int fd = openat(d->outbox, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int n = 0;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((de = readdir(dir)))
		if (strncmp(de->d_name, STAGE_PREFIX, strlen(STAGE_PREFIX)) == 0 &&
		    unlinkat(d->outbox, de->d_name, 0) == 0)
			n++;
	closedir(dir);
	return n;
}

int
notice_withdraw(const struct notice_dirs *d, const char *name)
{
	if (unlinkat(d->outbox, name, 0) < 0)
		return -errno;
	return fsync(d->outbox) < 0 ? -errno : 0;
}

void
notice_forget(const struct notice_dirs *d, const char *name)
{
	unlinkat(d->sent, name, 0);
	unlinkat(d->error, name, 0);
}

/* ---- can gammu take them? ---- */

static bool
smsd_alive(const char *pidfile, char *why, size_t whylen)
{
	char buf[32], path[64], comm[32] = "";
	FILE *f = fopen(pidfile, "re");
	long pid = 0;

	if (!f || !fgets(buf, sizeof(buf), f) || (pid = strtol(buf, NULL, 10)) <= 1) {
		if (f)
			fclose(f);
		snprintf(why, whylen,
			 "gammu-smsd is not running (no process in %s): start it (systemctl start "
			 "gammu-smsd)",
			 pidfile);
		return false;
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if ((f = fopen(path, "re"))) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	comm[strcspn(comm, "\n")] = '\0';
	if (strcmp(comm, "gammu-smsd") != 0) {
		snprintf(why, whylen,
			 "gammu-smsd is not running (process %ld of %s is gone): start it "
			 "(systemctl "
			 "start gammu-smsd)",
			 pid, pidfile);
		return false;
	}
	return true;
}

const char *
notice_gateway_check(const struct notice_dirs *d, const char *pidfile, int max, char *why,
		     size_t whylen)
{
	struct statvfs vfs;
	int waiting = 0;

	if (pidfile && pidfile[0] && !smsd_alive(pidfile, why, whylen))
		return why;
	if (faccessat(d->outbox, ".", W_OK, AT_EACCESS) < 0) {
		snprintf(why, whylen,
			 "gammu-smsd's outbox is not writable by cetakd (%s): give the cetak group "
			 "write access to it",
			 strerror(errno));
		return why;
	}
	if (fstatvfs(d->outbox, &vfs) == 0 &&
	    (unsigned long long)vfs.f_bavail * vfs.f_frsize < (1u << 20)) {
		snprintf(why, whylen, "gammu-smsd's outbox is full (under 1 MiB free on its disk)");
		return why;
	}
	int fd = openat(d->outbox, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		snprintf(why, whylen, "gammu-smsd's outbox cannot be read: %s", strerror(errno));
		return why;
	}
	while ((de = readdir(dir)))
		waiting += strncasecmp(de->d_name, "OUT", 3) == 0;
	closedir(dir);
	if (waiting >= max) {
		snprintf(
			why, whylen,
			"gammu-smsd's outbox already holds %d messages not sent (notice.outbox_max "
			"%d): check the modem and its credit",
			waiting, max);
		return why;
	}
	return NULL;
}
