/*
 * log.h - the one logging module of cetak.
 *
 * Under systemd (stderr connected to the journal) messages go to the journal
 * with structured fields (JOB_ID=, LINE=, READER=, ...); otherwise to stderr
 * as "PROG: level: message". Messages start with the object and end with the
 * action taken. Nothing here fails: a lost log line is not an error.
 */
#ifndef CETAK_LOG_H
#define CETAK_LOG_H

#include <stddef.h>
#include <syslog.h>

/* One structured journal field, e.g. { "LINE", "A" }. Both strings borrowed. */
struct log_field {
	const char *key;
	const char *value;
};

/* Set the program name (borrowed, must outlive logging) and decide the sink. */
void log_open(const char *prog);
/* Messages with a priority above max_prio (LOG_DEBUG is the most verbose) are dropped. */
void log_set_level(int max_prio);
int log_level_from_name(const char *name); /* -1 when unknown */
const char *log_level_name(int prio);

/* Emit one message with nf extra journal fields. */
void log_emit(int prio, const struct log_field *fields, size_t nf, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_debug(...) log_emit(LOG_DEBUG, NULL, 0, __VA_ARGS__)
#define log_info(...) log_emit(LOG_INFO, NULL, 0, __VA_ARGS__)
#define log_notice(...) log_emit(LOG_NOTICE, NULL, 0, __VA_ARGS__)
#define log_warn(...) log_emit(LOG_WARNING, NULL, 0, __VA_ARGS__)
#define log_error(...) log_emit(LOG_ERR, NULL, 0, __VA_ARGS__)

#endif
