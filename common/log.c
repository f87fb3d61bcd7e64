/*
 * log.c - journal or stderr logging.
 *
 * The sink is chosen once in log_open(): the journal when JOURNAL_STREAM names
 * our stderr (systemd connected it), stderr otherwise. Journal failures fall
 * back to stderr silently.
 */
#define _GNU_SOURCE
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

static const char *log_prog = "cetak";
static int log_max = LOG_INFO;
static int log_journal;

static const char *const log_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",	  [LOG_CRIT] = "crit",
	[LOG_ERR] = "error",   [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

/* True when JOURNAL_STREAM="dev:ino" matches our stderr. */
static int
log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
log_open(const char *prog)
{
	log_prog = prog;
	log_journal = log_stderr_is_journal();
}

void
log_set_level(int max_prio)
{
	log_max = max_prio;
}

int
log_level_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (strcmp(name, log_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
log_level_name(int prio)
{
	if (prio < 0 || prio > LOG_DEBUG)
		return "?";
	return log_names[prio];
}

#define LOG_MAX_FIELDS 8

static int
log_to_journal(int prio, const struct log_field *f, size_t nf, const char *msg)
{
	struct iovec iov[LOG_MAX_FIELDS + 3];
	char buf[LOG_MAX_FIELDS + 3][512];
	size_t n = 0;

	snprintf(buf[n], sizeof(buf[n]), "PRIORITY=%d", prio);
	n++;
	snprintf(buf[n], sizeof(buf[n]), "SYSLOG_IDENTIFIER=%s", log_prog);
	n++;
	for (size_t i = 0; i < nf && i < LOG_MAX_FIELDS; i++, n++)
		snprintf(buf[n], sizeof(buf[n]), "%s=%s", f[i].key, f[i].value);
	for (size_t i = 0; i < n; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = strlen(buf[i]);
	}
	/* MESSAGE may be long: pass it without copying into a fixed buffer. */
	char *m = NULL;
	if (asprintf(&m, "MESSAGE=%s", msg) < 0)
		return -1;
	iov[n].iov_base = m;
	iov[n].iov_len = strlen(m);
	n++;
	int r = sd_journal_sendv(iov, (int)n);
	free(m);
	return r;
}

void
log_emit(int prio, const struct log_field *fields, size_t nf, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (prio > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (log_journal && log_to_journal(prio, fields, nf, msg) >= 0)
		return;
	fprintf(stderr, "%s: %s: %s\n", log_prog, log_level_name(prio), msg);
}
