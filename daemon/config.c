/*
 * config.c - the declaration table of every cetakd setting and its checker.
 *
 * Layout of a config file: groups "station", "paths", "access", "daemon" of
 * scalar settings, and a list "lines" of groups, one per print line. A
 * setting is declared exactly once below; loading, defaults, bounds, unknown
 * key detection and canonical printing all walk the same table.
 */
#define _GNU_SOURCE
#include "config.h"
#include "common/log.h"
#include "printer/pb.h"
#include "notice/notice.h"
#include "smartcard/profile.h"

#include <ctype.h>
#include <arpa/inet.h>
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum cfg_type { CFG_T_STR, CFG_T_INT, CFG_T_ENUM, CFG_T_BOOL, CFG_T_LOGLEVEL };

/* A checker returns NULL when s is acceptable, else what a good value looks like. */
typedef const char *(*cfg_check_fn)(const char *s);

struct cfg_param {
	const char *name;
	enum cfg_type type;
	size_t off;
	const char *def;	    /* default, as text; NULL = required */
	long min, max;		    /* CFG_T_INT bounds; CFG_T_STR maximum length in max */
	const char *const *choices; /* CFG_T_ENUM, NULL-terminated */
	cfg_check_fn check;
	const char *help;
};

struct cfg_group {
	const char *name;
	const struct cfg_param *params;
	size_t n;
};

static const char *const role_choices[] = { "main", "upt", NULL };
static const char *const language_choices[] = { "id", "en", NULL };
static const char *const encoder_choices[] = { "inline", "desk", "auto", NULL };

static const char *
check_abs_path(const char *s)
{
	return s[0] == '/' ? NULL : "an absolute path, e.g. \"/var/lib/cetak\"";
}

static const char *
check_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 16)
		return "1-16 characters from A-Z a-z 0-9 _ -";
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return "1-16 characters from A-Z a-z 0-9 _ -";
	return NULL;
}

static const char *
check_region(const char *s)
{
	size_t n = strlen(s);

	if (n != 0 && n != 2 && n != 4 && n != 6)
		return "\"\" (any) or 2, 4 or 6 digits of the NIK region code, e.g. \"3602\"";
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return "\"\" (any) or 2, 4 or 6 digits of the NIK region code, e.g. "
			       "\"3602\"";
	return NULL;
}

/* A printer backend by name (printer/pb.h): "cups", "usb". */
static const char *
check_printer(const char *s)
{
	static char known[80];
	char names[64];

	if (pb_find(s))
		return NULL;
	snprintf(known, sizeof(known), "one of: %s", pb_names(names, sizeof(names)));
	return known;
}

static const char *
check_usb_id(const char *s)
{
	unsigned v, p;
	char tail;

	if (s[0] == '\0' || (strlen(s) == 9 && sscanf(s, "%4x:%4x%c", &v, &p, &tail) == 2))
		return NULL;
	return "vendor:product in hex, e.g. \"0f49:1001\"";
}

static const char *
check_group_name(const char *s)
{
	return s[0] ? NULL : "a Unix group name, e.g. \"cetak-operator\"";
}

#define S(field) offsetof(struct cetak_config, field)
#define L(field) offsetof(struct cfg_line, field)

static const struct cfg_param station_params[] = {
	{ "name", CFG_T_STR, S(station_name), "cetak station", 0, 128, NULL, NULL,
	  "station name shown in status and reports" },
	{ "office", CFG_T_STR, S(station_office), "", 0, 128, NULL, NULL,
	  "office header for reports, e.g. \"DISDUKCAPIL KABUPATEN ...\"" },
	{ "role", CFG_T_ENUM, S(station_role), "main", 0, 0, role_choices, NULL,
	  "main office or UPT station (a UPT does not print data_change jobs)" },
	{ "region", CFG_T_STR, S(station_region), "", 0, 6, NULL, check_region,
	  "NIK region prefix this station serves; \"\" accepts any" },
	{ "district", CFG_T_STR, S(station_district), "", 0, 15, NULL, NULL,
	  "the district code a SAM must carry to be used here (SAM profile); \"\" = not "
	  "checked" },
	{ "document_language", CFG_T_ENUM, S(station_document_language), "id", 0, 0,
	  language_choices, NULL,
	  "the language of official documents (reports, berita acara): id or en" },
};

static const struct cfg_param paths_params[] = {
	{ "state_dir", CFG_T_STR, S(state_dir), "/var/lib/cetak", 0, PATH_MAX, NULL, check_abs_path,
	  "job store, ledger and audit log" },
	{ "spool_dir", CFG_T_STR, S(spool_dir), "/var/spool/cetak", 0, PATH_MAX, NULL,
	  check_abs_path, "job intake (tmp/, new/, rejected/)" },
	{ "control_socket", CFG_T_STR, S(control_socket), "/run/cetak/control", 0, 107, NULL,
	  check_abs_path, "Unix socket for cetakctl" },
};

static const struct cfg_param face_params[] = {
	{ "layout", CFG_T_STR, S(face_layout), "/etc/cetak/layouts/ektp-front.conf", 0, PATH_MAX,
	  NULL, check_abs_path, "card face layout; jobs whose text does not fit are refused" },
};

static const char *
check_abs_or_empty(const char *s)
{
	return s[0] == '\0' || s[0] == '/' ? NULL : "\"\" or an absolute path";
}

static const struct cfg_param custody_params[] = {
	{ "reader", CFG_T_STR, S(custody_reader), "", 0, 255, NULL, NULL,
	  "PC/SC reader name pattern of the desk reader where issued cards are read at a "
	  "hand-over; \"\" = none (hand-overs are refused)" },
	{ "read_timeout", CFG_T_INT, S(custody_read_timeout_s), "20", 1, 600, NULL, NULL,
	  "seconds a hand-over waits for the card on the desk reader" },
	{ "profile", CFG_T_STR, S(custody_profile), "", 0, PATH_MAX, NULL, check_abs_or_empty,
	  "the profile of the cards read at a hand-over; \"\" = card.profile" },
	{ "sam_reader", CFG_T_STR, S(custody_sam_reader), "", 0, 255, NULL, NULL,
	  "the desk's SAM reader (a SAM profile's cards are read only through a SAM); \"\" = "
	  "none" },
	{ "sam_pin", CFG_T_STR, S(custody_sam_pin), "", 0, PATH_MAX, NULL, NULL,
	  "that SAM's PIN: an absolute file path (mode 600) or a systemd credential name; "
	  "\"\" = none" },
	{ "transfer_after_days", CFG_T_INT, S(transfer_after_days), "180", 1, 3650, NULL, NULL,
	  "days in storage after which an uncollected card is due for transfer to its "
	  "kecamatan" },
	{ "transfer_after_notices", CFG_T_INT, S(transfer_after_notices), "3", 0, 20, NULL, NULL,
	  "notices sent before a card is due for transfer (a card without a phone number needs "
	  "none)" },
	{ "retention_days", CFG_T_INT, S(retention_days), "30", 0, 3650, NULL, NULL,
	  "days the photo, signature, fingerprints and phone number of a job are kept once its "
	  "card is collected, transferred or withdrawn (or the job refused or cancelled)" },
};

static const char *
check_send_hours(const char *s)
{
	struct notice_hours h;

	return notice_hours_parse(s, &h);
}

static const char *
check_holidays(const char *s)
{
	struct notice_hours h;

	return notice_holidays_parse(s, &h);
}

static const char *
check_template(const char *s)
{
	char out[4096], why[160];
	struct notice_vars v = { "A", "B", "C" };

	if (notice_render(s, &v, out, sizeof(out), why, sizeof(why)) == -EINVAL)
		return "a text naming only {nama}, {kantor} and {jam} (never the NIK)";
	return NULL;
}

static const struct cfg_param notice_params[] = {
	{ "enabled", CFG_T_BOOL, S(notice_enabled), "false", 0, 0, NULL, NULL,
	  "send SMS notices to holders of stored cards through gammu-smsd" },
	{ "outbox", CFG_T_STR, S(notice_outbox), "/var/spool/gammu/outbox", 0, PATH_MAX, NULL,
	  check_abs_path, "gammu-smsd's OutboxPath (files backend)" },
	{ "sent", CFG_T_STR, S(notice_sent), "/var/spool/gammu/sent", 0, PATH_MAX, NULL,
	  check_abs_path, "gammu-smsd's SentSMSPath" },
	{ "error", CFG_T_STR, S(notice_error), "/var/spool/gammu/error", 0, PATH_MAX, NULL,
	  check_abs_path, "gammu-smsd's ErrorSMSPath" },
	{ "smsd_pidfile", CFG_T_STR, S(notice_smsd_pidfile), "/run/gammu-smsd.pid", 0, PATH_MAX,
	  NULL, check_abs_or_empty,
	  "gammu-smsd's PID file, to tell whether it runs; \"\" = do "
	  "not check" },
	{ "template", CFG_T_STR, S(notice_template),
	  "Yth. {nama}, KTP-el Anda sudah jadi. Silakan ambil di {kantor}, {jam}, dengan "
	  "membawa bukti pengambilan.",
	  1, 600, NULL, check_template,
	  "the message, in Indonesian: {nama} the holder, {kantor} the office, {jam} its hours "
	  "(never the NIK)" },
	{ "office", CFG_T_STR, S(notice_office), "", 0, 128, NULL, NULL,
	  "where cards are collected, for {kantor}; \"\" = station.office" },
	{ "opening_hours", CFG_T_STR, S(notice_opening_hours), "Senin-Jumat pukul 08.00-15.00", 0,
	  128, NULL, NULL, "when cards are handed over, for {jam}" },
	{ "send_hours", CFG_T_STR, S(notice_send_hours), "08:00-17:00", 0, 11, NULL,
	  check_send_hours, "local time of day notices may go out" },
	{ "holidays", CFG_T_STR, S(notice_holidays), "Sun", 0, 1024, NULL, check_holidays,
	  "days without notices: weekday names and dates, e.g. \"Sun,2026-12-25\"" },
	{ "interval_days", CFG_T_INT, S(notice_interval_days), "60", 1, 365, NULL, NULL,
	  "days between a card's notices" },
	{ "max", CFG_T_INT, S(notice_max), "3", 1, 20, NULL, NULL, "notices a card gets at most" },
	{ "round_interval", CFG_T_INT, S(notice_round_s), "60", 1, 86400, NULL, NULL,
	  "seconds between notice rounds (results read back, due notices handed to gammu)" },
	{ "outbox_max", CFG_T_INT, S(notice_outbox_max), "1000", 1, 1000000, NULL, NULL,
	  "messages waiting in gammu's outbox above which no more are handed over" },
};

static const struct cfg_param alerts_params[] = {
	{ "lead_time_days", CFG_T_INT, S(lead_days), "30", 1, 365, NULL, NULL,
	  "days between requesting blanks and receiving them" },
	{ "usage_window_days", CFG_T_INT, S(window_days), "14", 1, 365, NULL, NULL,
	  "days over which the daily use is averaged" },
	{ "hopper_low", CFG_T_INT, S(hopper_low), "20", 0, 10000, NULL, NULL,
	  "blanks in a line's hopper at or below which it is low" },
	{ "ribbon_low", CFG_T_INT, S(ribbon_low), "20", 0, 10000, NULL, NULL,
	  "prints left on a line's ribbon at or below which ribbon-low is raised" },
	{ "repeat_interval", CFG_T_INT, S(alert_repeat_s), "3600", 1, 604800, NULL, NULL,
	  "seconds between repeats of an alert that lasts" },
	{ "command", CFG_T_STR, S(alert_command), "", 0, PATH_MAX, NULL, check_abs_or_empty,
	  "run for each alert with the alert as JSON on stdin; \"\" = none" },
	{ "metrics_file", CFG_T_STR, S(metrics_file), "", 0, PATH_MAX, NULL, check_abs_or_empty,
	  "Prometheus textfile (node_exporter) written atomically; \"\" = none" },
};

static const char *
check_key(const char *s)
{
	return !strncmp(s, "pkcs11:", 7) || !check_abs_or_empty(s)
		       ? NULL
		       : "\"\", an absolute path to a PEM key or a PKCS#11 URI (pkcs11:token=...)";
}

static const struct cfg_param ledger_params[] = {
	{ "station_key", CFG_T_STR, S(station_key), "", 0, PATH_MAX, NULL, check_key,
	  "station key signing the audit checkpoints: a PEM file (mode 600) or a PKCS#11 URI; "
	  "\"\" = not signed" },
	{ "pkcs11_module", CFG_T_STR, S(pkcs11_module), "", 0, PATH_MAX, NULL, check_abs_or_empty,
	  "the PKCS#11 module for a pkcs11: station key (e.g. /usr/lib/softhsm/libsofthsm2.so)" },
	{ "station_pin", CFG_T_STR, S(station_pin), "", 0, PATH_MAX, NULL, NULL,
	  "the token PIN: an absolute file path (mode 600) or a systemd credential name" },
	{ "station_cert", CFG_T_STR, S(station_cert), "", 0, PATH_MAX, NULL, check_abs_or_empty,
	  "the station key's certificate, given to supervisors for cetak-audit" },
	{ "checkpoint_every", CFG_T_INT, S(checkpoint_every), "1000", 1, 1000000, NULL, NULL,
	  "records between signed checkpoints (and one at every shutdown)" },
	{ "stocktake_operator_max", CFG_T_INT, S(stocktake_operator_max), "5", 0, 1000000, NULL,
	  NULL,
	  "the largest stocktake difference an operator may record; more needs a supervisor" },
};

static const struct cfg_param card_params[] = {
	{ "profile", CFG_T_STR, S(card_profile), "/etc/cetak/profiles/icao-lds.conf", 0, PATH_MAX,
	  NULL, check_abs_path, "the card profile: the chip's files and how to build them" },
	{ "signer_key", CFG_T_STR, S(signer_key), "", 0, PATH_MAX, NULL, check_key,
	  "Document Signer key: a PEM file (mode 600) or a PKCS#11 URI; \"\" = no card is "
	  "personalised and the lines stay not-ready" },
	{ "signer_cert", CFG_T_STR, S(signer_cert), "", 0, PATH_MAX, NULL, check_abs_or_empty,
	  "the Document Signer certificate (goes into EF.SOD)" },
	{ "pkcs11_module", CFG_T_STR, S(signer_pkcs11_module), "", 0, PATH_MAX, NULL,
	  check_abs_or_empty, "the PKCS#11 module for a pkcs11: signer key" },
	{ "signer_pin", CFG_T_STR, S(signer_pin), "", 0, PATH_MAX, NULL, NULL,
	  "the token PIN: an absolute file path (mode 600) or a systemd credential name" },
	{ "csca", CFG_T_STR, S(csca), "", 0, PATH_MAX, NULL, check_abs_or_empty,
	  "CSCA certificate(s) that every card's EF.SOD is verified against after writing" },
	{ "max_attempts", CFG_T_INT, S(max_attempts), "3", 1, 10, NULL, NULL,
	  "blanks tried for one job (chip or print failures) before the job is held" },
	{ "bad_blank_stop", CFG_T_INT, S(bad_blank_stop), "3", 1, 100, NULL, NULL,
	  "blanks in a row with no chip or not blank that stop the line (check the reader)" },
	{ "card_timeout_ms", CFG_T_INT, S(card_timeout_ms), "5000", 100, 60000, NULL, NULL,
	  "a card moved to the encoder must answer within this (ms)" },
	{ "present_timeout", CFG_T_INT, S(present_timeout_s), "600", 5, 86400, NULL, NULL,
	  "desk reader: seconds the line waits for the operator to present a blank" },
	{ "printer_timeout", CFG_T_INT, S(printer_timeout_s), "120", 1, 3600, NULL, NULL,
	  "seconds one printer operation (feed, print, eject) may take" },
	{ "encode_deadline", CFG_T_INT, S(encode_deadline_s), "120", 2, 3600, NULL, NULL,
	  "seconds personalising one card may take before the reader counts as hung (the card "
	  "is spoiled and the line stops)" },
	{ "stop_timeout", CFG_T_INT, S(stop_timeout_s), "60", 1, 3600, NULL, NULL,
	  "on SIGTERM, seconds to finish the card in hand before it is rejected" },
	{ "retry_interval", CFG_T_INT, S(retry_s), "2", 1, 600, NULL, NULL,
	  "seconds before a transient printer condition (offline, cooling) is asked again" },
};

static const struct cfg_param access_params[] = {
	{ "supervisor_group", CFG_T_STR, S(supervisor_group), "cetak-supervisor", 0, 64, NULL,
	  check_group_name, "members may run every cetakctl command" },
	{ "operator_group", CFG_T_STR, S(operator_group), "cetak-operator", 0, 64, NULL,
	  check_group_name, "members may run day-to-day commands" },
};

static const struct cfg_param spool_params[] = {
	{ "max_job_bytes", CFG_T_INT, S(spool_max_job_bytes), "2097152", 65536, 67108864, NULL,
	  NULL, "larger job files are rejected unread" },
	{ "batch", CFG_T_INT, S(spool_batch), "256", 1, 10000, NULL, NULL,
	  "job files committed per transaction (group commit)" },
	{ "rescan_interval", CFG_T_INT, S(spool_rescan_s), "30", 1, 3600, NULL, NULL,
	  "seconds between full rescans of new/ (inotify does the rest)" },
	{ "tmp_max_age", CFG_T_INT, S(spool_tmp_max_age_s), "3600", 60, 604800, NULL, NULL,
	  "seconds before an abandoned tmp/ file is moved to rejected/" },
};

static const struct cfg_param schedule_params[] = {
	{ "daily_quota", CFG_T_INT, S(daily_quota), "0", 0, 100000, NULL, NULL,
	  "cards per local day; later jobs wait for the next day; 0 = no quota" },
	{ "stock_reserve", CFG_T_INT, S(stock_reserve), "100", 0, 1000000, NULL, NULL,
	  "at or below this many blanks only new and urgent jobs are printed" },
};

static const struct cfg_param daemon_params[] = {
	{ "log_level", CFG_T_LOGLEVEL, S(log_level), "info", 0, 0, NULL, NULL,
	  "error, warning, notice, info or debug" },
	{ "reader_poll_ms", CFG_T_INT, S(reader_poll_ms), "2000", 100, 60000, NULL, NULL,
	  "how often reader presence is checked" },
	{ "control_max_request", CFG_T_INT, S(control_max_request), "65536", 1024, 1048576, NULL,
	  NULL, "largest control request in bytes" },
	{ "control_max_clients", CFG_T_INT, S(control_max_clients), "32", 1, 1024, NULL, NULL,
	  "control connections served at once" },
	{ "control_idle_timeout", CFG_T_INT, S(control_idle_timeout_s), "30", 1, 3600, NULL, NULL,
	  "seconds before an idle control connection is closed" },
	{ "control_request_timeout", CFG_T_INT, S(control_request_timeout_s), "10", 1, 600, NULL,
	  NULL, "seconds a request may take to arrive whole once its first byte came" },
	{ "control_per_user", CFG_T_INT, S(control_per_user), "4", 1, 1024, NULL, NULL,
	  "control connections one user may hold at once (supervisors: twice this)" },
};

static const struct cfg_param hub_params[] = {
	{ "conninfo", CFG_T_STR, S(hub_conninfo), "", 0, 1024, NULL, NULL,
	  "the district hub's PostgreSQL (a libpq connection string; name the primary and its "
	  "standby: host=a,b target_session_attrs=read-write); \"\" = no hub" },
	{ "push_interval", CFG_T_INT, S(hub_push_interval_s), "60", 5, 86400, NULL, NULL,
	  "seconds between pushes of the audit chain to the hub" },
	{ "batch", CFG_T_INT, S(hub_batch), "5000", 10, 20000, NULL, NULL,
	  "records per slice pushed" },
	{ "timeout", CFG_T_INT, S(hub_timeout_s), "20", 2, 600, NULL, NULL,
	  "seconds a connection or one push may take before the round is given up" },
};

#ifndef WEBDIR
#define WEBDIR "/usr/share/cetak/web"
#endif

static const struct cfg_param web_params[] = {
	{ "enabled", CFG_T_BOOL, S(web_enabled), "true", 0, 0, NULL, NULL,
	  "serve the dashboard (docs/web.md)" },
	{ "listen", CFG_T_STR, S(web_listen), "127.0.0.1", 0, 63, NULL, NULL,
	  "the address it listens on: 127.0.0.1 for this computer only; another address opens "
	  "it to the office LAN and then needs tls_cert and tls_key" },
	{ "port", CFG_T_INT, S(web_port), "8480", 0, 65535, NULL, NULL,
	  "the TCP port; 0 = any free port (tests)" },
	{ "tls_cert", CFG_T_STR, S(web_tls_cert), "", 0, PATH_MAX, NULL, check_abs_or_empty,
	  "the certificate (PEM) served over HTTPS; \"\" = plain HTTP, on 127.0.0.1 only" },
	{ "tls_key", CFG_T_STR, S(web_tls_key), "", 0, PATH_MAX, NULL, check_abs_or_empty,
	  "its private key (PEM, readable by cetakd only)" },
	{ "static_dir", CFG_T_STR, S(web_static_dir), WEBDIR, 0, PATH_MAX, NULL, check_abs_path,
	  "the pages' style sheet and script" },
	{ "pam_service", CFG_T_STR, S(web_pam_service), "cetak", 1, 63, NULL, NULL,
	  "the PAM service that checks log-ins (/etc/pam.d/NAME)" },
	{ "language", CFG_T_ENUM, S(web_language), "id", 0, 0, language_choices, NULL,
	  "the pages' language until a user switches: id or en" },
	{ "session_idle", CFG_T_INT, S(web_session_idle_min), "30", 1, 720, NULL, NULL,
	  "minutes without a request before a session ends" },
	{ "max_connections", CFG_T_INT, S(web_max_connections), "128", 4, 1024, NULL, NULL,
	  "connections served at once" },
	{ "max_per_address", CFG_T_INT, S(web_max_per_ip), "32", 1, 1024, NULL, NULL,
	  "connections one client address may hold" },
};

static const struct cfg_param line_params[] = {
	{ "name", CFG_T_STR, L(name), NULL, 0, 16, NULL, check_name, "line name, e.g. \"A\"" },
	{ "enabled", CFG_T_BOOL, L(enabled), "true", 0, 0, NULL, NULL,
	  "a disabled line is shown but never given jobs" },
	{ "printer", CFG_T_STR, L(printer), NULL, 0, 15, NULL, check_printer,
	  "printer backend: \"cups\" or \"usb\"" },
	{ "cups_queue", CFG_T_STR, L(cups_queue), "", 0, 127, NULL, NULL,
	  "CUPS queue name (printer = \"cups\")" },
	{ "cups_server", CFG_T_STR, L(cups_server), "", 0, PATH_MAX, NULL, NULL,
	  "CUPS server socket or host; \"\" = the libcups default" },
	{ "usb_device", CFG_T_STR, L(usb_device), "", 0, 9, NULL, check_usb_id,
	  "USB vendor:product (printer = \"usb\")" },
	{ "usb_serial", CFG_T_STR, L(usb_serial), "", 0, 127, NULL, NULL,
	  "USB serial number; \"\" = the first matching printer" },
	{ "reader", CFG_T_STR, L(reader), NULL, 0, 255, NULL, NULL,
	  "PC/SC reader name pattern (fnmatch), e.g. \"*Evolis* 00 00\"" },
	{ "encoder", CFG_T_ENUM, L(encoder), "auto", 0, 0, encoder_choices, NULL,
	  "inline: the printer moves the card to its station; desk: an operator presents it; "
	  "auto: inline for usb, desk for cups" },
	{ "profile", CFG_T_STR, L(profile), "", 0, PATH_MAX, NULL, check_abs_or_empty,
	  "this line's card profile; \"\" = card.profile" },
	{ "sam_reader", CFG_T_STR, L(sam_reader), "", 0, 255, NULL, NULL,
	  "PC/SC reader name pattern of the line's SAM (a SAM profile needs one); \"\" = none" },
	{ "sam_pin", CFG_T_STR, L(sam_pin), "", 0, PATH_MAX, NULL, NULL,
	  "the SAM's PIN: an absolute file path (mode 600) or a systemd credential name; \"\" "
	  "= none" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cfg_group cfg_groups[] = {
	{ "station", station_params, N(station_params) },
	{ "paths", paths_params, N(paths_params) },
	{ "access", access_params, N(access_params) },
	{ "spool", spool_params, N(spool_params) },
	{ "schedule", schedule_params, N(schedule_params) },
	{ "face", face_params, N(face_params) },
	{ "custody", custody_params, N(custody_params) },
	{ "notice", notice_params, N(notice_params) },
	{ "ledger", ledger_params, N(ledger_params) },
	{ "card", card_params, N(card_params) },
	{ "hub", hub_params, N(hub_params) },
	{ "web", web_params, N(web_params) },
	{ "alerts", alerts_params, N(alerts_params) },
	{ "daemon", daemon_params, N(daemon_params) },
};

/* Collected errors while loading one file. */
struct cfg_ctx {
	const char *path;
	FILE *errs;
	int nerr;
};

__attribute__((format(printf, 3, 4))) static void
cfg_err(struct cfg_ctx *c, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = s ? config_setting_source_file(s) : NULL;
	unsigned line = s ? config_setting_source_line(s) : 0;
	va_list ap;

	fprintf(c->errs, "%s:%u: ", file ? file : c->path, line);
	va_start(ap, fmt);
	vfprintf(c->errs, fmt, ap);
	va_end(ap);
	fputc('\n', c->errs);
	c->nerr++;
}

static void
cfg_known_list(const struct cfg_param *p, size_t n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", p[i].name);
}

static void
cfg_choices_list(const char *const *ch, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; ch[i] && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", ch[i]);
}

static int
cfg_choice_index(const char *const *ch, const char *s)
{
	for (int i = 0; ch[i]; i++)
		if (strcmp(ch[i], s) == 0)
			return i;
	return -1;
}

/* Store the textual value v of param p into the struct at base; NULL on success or the fix. */
static const char *
cfg_store(const struct cfg_param *p, void *base, const char *v, char *why, size_t whylen)
{
	char *field = (char *)base + p->off;
	char *end;
	long n;

	switch (p->type) {
	case CFG_T_STR: {
		const char *bad;
		if (p->max && strlen(v) > (size_t)p->max) {
			snprintf(why, whylen, "is longer than %ld characters", p->max);
			return why;
		}
		if (p->check && (bad = p->check(v))) {
			snprintf(why, whylen, "must be %s", bad);
			return why;
		}
		char *dup = strdup(v);
		if (!dup) {
			snprintf(why, whylen, "out of memory");
			return why;
		}
		free(*(char **)field);
		*(char **)field = dup;
		return NULL;
	}
	case CFG_T_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || *end || end == v || n < p->min || n > p->max) {
			snprintf(why, whylen, "must be an integer from %ld to %ld", p->min, p->max);
			return why;
		}
		*(int *)field = (int)n;
		return NULL;
	case CFG_T_BOOL:
		if (strcmp(v, "true") && strcmp(v, "false")) {
			snprintf(why, whylen, "must be true or false");
			return why;
		}
		*(int *)field = strcmp(v, "true") == 0;
		return NULL;
	case CFG_T_ENUM: {
		int i = cfg_choice_index(p->choices, v);
		if (i < 0) {
			char list[256];
			cfg_choices_list(p->choices, list, sizeof(list));
			snprintf(why, whylen, "must be one of: %s", list);
			return why;
		}
		*(int *)field = i;
		return NULL;
	}
	case CFG_T_LOGLEVEL: {
		int l = log_level_from_name(v);
		if (l < LOG_ERR) {
			snprintf(why, whylen,
				 "must be one of: error, warning, notice, info, debug");
			return why;
		}
		*(int *)field = l;
		return NULL;
	}
	}
	return "bad type";
}

/* Render a libconfig scalar as text for cfg_store; NULL when its kind is wrong for p. */
static const char *
cfg_setting_text(const struct cfg_param *p, const config_setting_t *s, char *buf, size_t len)
{
	int t = config_setting_type(s);

	switch (p->type) {
	case CFG_T_INT:
		if (t == CONFIG_TYPE_INT) {
			snprintf(buf, len, "%d", config_setting_get_int(s));
			return buf;
		}
		if (t == CONFIG_TYPE_INT64) {
			snprintf(buf, len, "%lld", config_setting_get_int64(s));
			return buf;
		}
		return NULL;
	case CFG_T_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			return NULL;
		return config_setting_get_bool(s) ? "true" : "false";
	default:
		if (t != CONFIG_TYPE_STRING)
			return NULL;
		return config_setting_get_string(s);
	}
}

static const char *
cfg_type_hint(const struct cfg_param *p)
{
	switch (p->type) {
	case CFG_T_INT:
		return "an integer without quotes";
	case CFG_T_BOOL:
		return "true or false without quotes";
	default:
		return "a quoted string";
	}
}

/* Apply defaults for params (a NULL default is left for the required check). */
static int
cfg_defaults(const struct cfg_param *params, size_t n, void *base)
{
	char why[256];

	for (size_t i = 0; i < n; i++)
		if (params[i].def && cfg_store(&params[i], base, params[i].def, why, sizeof(why)))
			return -1;
	return 0;
}

/* Read one group setting g (may be NULL) into base; prefix names the group in messages. */
static void
cfg_read_group(struct cfg_ctx *c, const config_setting_t *g, const char *prefix,
	       const struct cfg_param *params, size_t n, void *base)
{
	bool seen[32] = { false };
	char why[512], buf[64], known[512];

	if (!g)
		goto required;
	if (!config_setting_is_group(g)) {
		cfg_err(c, g, "'%s' must be a group: %s = { ... };", prefix, prefix);
		return;
	}
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *key = config_setting_name(s);
		const struct cfg_param *p = NULL;
		size_t k;

		for (k = 0; k < n; k++)
			if (strcmp(params[k].name, key) == 0) {
				p = &params[k];
				break;
			}
		if (!p) {
			cfg_known_list(params, n, known, sizeof(known));
			cfg_err(c, s, "unknown setting '%s.%s'; settings of '%s' are: %s", prefix,
				key, prefix, known);
			continue;
		}
		seen[k] = true;
		const char *v = cfg_setting_text(p, s, buf, sizeof(buf));
		if (!v) {
			cfg_err(c, s, "'%s.%s' must be %s", prefix, key, cfg_type_hint(p));
			continue;
		}
		if (cfg_store(p, base, v, why, sizeof(why)))
			cfg_err(c, s, "'%s.%s' %s (got \"%s\")", prefix, key, why, v);
	}
required:
	for (size_t k = 0; k < n; k++)
		if (!params[k].def && !seen[k])
			cfg_err(c, g, "'%s' has no '%s' (%s); add %s = ...;", prefix,
				params[k].name, params[k].help, params[k].name);
}

/* Checks that need several settings of one line together. */
static void
cfg_check_line(struct cfg_ctx *c, const config_setting_t *g, const char *prefix, struct cfg_line *l)
{
	const struct pb_ops *ops = pb_find(l->printer);

	if (!ops)
		return; /* already refused, with the backends there are */
	if (!strcmp(l->printer, "cups") && !l->cups_queue[0])
		cfg_err(c, g,
			"'%s' uses printer \"cups\" but has no cups_queue; add cups_queue = "
			"\"NAME\";",
			prefix);
	if (!strcmp(l->printer, "usb") && !l->usb_device[0])
		cfg_err(c, g,
			"'%s' uses printer \"usb\" but has no usb_device; add usb_device = "
			"\"VVVV:PPPP\";",
			prefix);
	if (l->encoder == 2) /* auto: what the printer can do */
		l->encoder = ops->caps & PB_CAP_ENCODER ? 0 : 1;
	if (!(ops->caps & PB_CAP_ENCODER) && l->encoder == 0)
		cfg_err(c, g,
			"'%s': a %s printer cannot move the card to an encoder station; "
			"set encoder = \"desk\" (an operator presents each blank at the reader)",
			prefix, !strcmp(l->printer, "cups") ? "CUPS" : l->printer);
}

static void
cfg_read_lines(struct cfg_ctx *c, const config_setting_t *list, struct cetak_config *cfg)
{
	if (!config_setting_is_list(list)) {
		cfg_err(c, list, "'lines' must be a list: lines = ( { name = \"A\"; ... } );");
		return;
	}
	int n = config_setting_length(list);
	if (n > CFG_MAX_LINES) {
		cfg_err(c, list, "%d lines configured; at most %d are supported", n, CFG_MAX_LINES);
		n = CFG_MAX_LINES;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct cfg_line *l = &cfg->lines[i];
		char prefix[32];

		snprintf(prefix, sizeof(prefix), "lines[%d]", i);
		cfg->n_lines = i + 1;
		cfg_defaults(line_params, N(line_params), l);
		cfg_read_group(c, g, prefix, line_params, N(line_params), l);
		if (!l->name || !l->reader)
			continue;
		cfg_check_line(c, g, prefix, l);
		for (int j = 0; j < i; j++)
			if (cfg->lines[j].name && strcmp(cfg->lines[j].name, l->name) == 0)
				cfg_err(c, g,
					"line name \"%s\" is used twice; give each line its "
					"own name",
					l->name);
	}
}

static void
cfg_read_root(struct cfg_ctx *c, const config_setting_t *root, struct cetak_config *cfg)
{
	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(s);
		size_t k;

		if (strcmp(name, "lines") == 0) {
			cfg_read_lines(c, s, cfg);
			continue;
		}
		for (k = 0; k < N(cfg_groups); k++)
			if (strcmp(cfg_groups[k].name, name) == 0)
				break;
		if (k == N(cfg_groups)) {
			cfg_err(c, s,
				"unknown section '%s'; sections are: station, paths, access, "
				"spool, schedule, face, custody, notice, ledger, card, hub, "
				"alerts, daemon, lines",
				name);
			continue;
		}
		cfg_read_group(c, s, name, cfg_groups[k].params, cfg_groups[k].n, cfg);
	}
}

/*
 * Open path for reading only if it is a regular file: opened without
 * blocking (a FIFO would wait for a writer for ever, with the loop stopped)
 * and checked before a byte is read. NULL with the reason on errs.
 */
static FILE *
open_regular(const char *path, FILE *errs)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	FILE *f;

	if (fd < 0) {
		fprintf(errs, "%s: cannot read config: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		fprintf(errs, "%s: cannot read config: %s\n", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(errs, "%s: not a regular file (%s): name the configuration file itself\n",
			path,
			S_ISDIR(st.st_mode)    ? "a directory"
			: S_ISFIFO(st.st_mode) ? "a FIFO"
					       : "a device or socket");
		close(fd);
		return NULL;
	}
	if (fcntl(fd, F_SETFL, 0) < 0 || !(f = fdopen(fd, "r"))) {
		fprintf(errs, "%s: cannot read config: %s\n", path, strerror(errno));
		close(fd);
		return NULL;
	}
	return f;
}

/*
 * A line's profile and its SAM go together: a SAM profile needs sam_reader,
 * and sam_reader means nothing to a profile without a SAM. Checked when the
 * profile can be read (a missing default profile is reported at start, as
 * the lines' reason not to be ready).
 */
/* The dashboard off this computer is over TLS only: it carries passwords. */
static void
cfg_check_web(struct cfg_ctx *c, const config_setting_t *g, struct cetak_config *cfg)
{
	bool loopback = !strcmp(cfg->web_listen, "127.0.0.1") || !strcmp(cfg->web_listen, "::1");
	struct in6_addr a6;
	struct in_addr a4;

	if (!cfg->web_enabled)
		return;
	if (inet_pton(AF_INET, cfg->web_listen, &a4) != 1 &&
	    inet_pton(AF_INET6, cfg->web_listen, &a6) != 1)
		cfg_err(c, g,
			"'web.listen' must be an IP address (got \"%s\"): 127.0.0.1, or the "
			"station's address on the office LAN",
			cfg->web_listen);
	else if (!cfg->web_tls_cert[0] != !cfg->web_tls_key[0])
		cfg_err(c, g, "'web.tls_cert' and 'web.tls_key' go together: set both or neither");
	else if (!loopback && !cfg->web_tls_cert[0])
		cfg_err(c, g,
			"'web.listen' \"%s\" opens the dashboard to the network: set "
			"web.tls_cert and web.tls_key so that passwords travel over HTTPS, or "
			"listen on 127.0.0.1",
			cfg->web_listen);
}

static void
cfg_check_sam(struct cfg_ctx *c, const config_setting_t *list, struct cetak_config *cfg)
{
	for (int i = 0; list && i < cfg->n_lines; i++) {
		const struct cfg_line *l = &cfg->lines[i];
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		const char *path = l->profile && l->profile[0] ? l->profile : cfg->card_profile;
		struct card_profile prof;
		FILE *null = fopen("/dev/null", "we");
		int rc = path && null ? profile_load(path, null, &prof) : -1;

		if (null)
			fclose(null);
		if (rc < 0) {
			if (l->profile && l->profile[0])
				cfg_err(c, g,
					"lines[%d]: profile %s cannot be loaded; check it with "
					"cetakd -n after fixing the path",
					i, l->profile);
			continue;
		}
		if (prof.sam && (!l->sam_reader || !l->sam_reader[0]))
			cfg_err(c, g,
				"line '%s' uses the SAM profile %s but names no SAM; add "
				"sam_reader = \"PATTERN\";",
				l->name ? l->name : "?", path);
		else if (!prof.sam && l->sam_reader && l->sam_reader[0])
			cfg_err(c, g,
				"line '%s' names a sam_reader but its profile %s has no SAM; "
				"remove sam_reader or set profile",
				l->name ? l->name : "?", path);
	}
}

int
cfg_load(const char *path, FILE *errs, struct cetak_config **ret_cfg)
{
	struct cfg_ctx c = { .path = path, .errs = errs };
	struct cetak_config *cfg;
	config_t lc;
	FILE *f;
	int r = -EINVAL;

	if (!(f = open_regular(path, errs)))
		return -EINVAL;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		fclose(f);
		return -ENOMEM;
	}
	cfg->path = strdup(path);
	for (size_t k = 0; k < N(cfg_groups); k++)
		cfg_defaults(cfg_groups[k].params, cfg_groups[k].n, cfg);

	config_init(&lc);
	/* @include paths resolve against the config file's own directory. */
	char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash) {
		*slash = '\0';
		config_set_include_dir(&lc, dir[0] ? dir : "/");
	}
	if (!config_read(&lc, f)) {
		const char *ef = config_error_file(&lc);
		fprintf(errs, "%s:%d: syntax error: %s\n", ef ? ef : path, config_error_line(&lc),
			config_error_text(&lc));
		goto out;
	}
	cfg_read_root(&c, config_root_setting(&lc), cfg);
	if (c.nerr == 0)
		cfg_check_sam(&c, config_lookup(&lc, "lines"), cfg);
	if (c.nerr == 0)
		cfg_check_web(&c, config_lookup(&lc, "web"), cfg);
	if (c.nerr == 0 && cfg->n_lines == 0)
		fprintf(errs,
			"%s: note: no print lines configured; add lines = ( { name = "
			"\"A\"; printer = \"cups\"; ... } );\n",
			path);
	if (c.nerr == 0)
		r = 0;
out:
	config_destroy(&lc);
	free(dir);
	fclose(f);
	if (r < 0) {
		cfg_free(cfg);
		return r;
	}
	*ret_cfg = cfg;
	return 0;
}

static void
cfg_free_strings(const struct cfg_param *params, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++)
		if (params[i].type == CFG_T_STR)
			free(*(char **)((char *)base + params[i].off));
}

void
cfg_free(struct cetak_config *cfg)
{
	if (!cfg)
		return;
	for (size_t k = 0; k < N(cfg_groups); k++)
		cfg_free_strings(cfg_groups[k].params, cfg_groups[k].n, cfg);
	for (int i = 0; i < cfg->n_lines; i++)
		cfg_free_strings(line_params, N(line_params), &cfg->lines[i]);
	free(cfg->path);
	free(cfg);
}

/* Print a string as a libconfig literal with escapes. */
static void
cfg_print_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void
cfg_print_params(FILE *out, const struct cfg_param *params, size_t n, const void *base,
		 const char *indent)
{
	for (size_t i = 0; i < n; i++) {
		const struct cfg_param *p = &params[i];
		const char *field = (const char *)base + p->off;

		fprintf(out, "%s%s = ", indent, p->name);
		switch (p->type) {
		case CFG_T_STR:
			cfg_print_string(out, *(char *const *)field ? *(char *const *)field : "");
			break;
		case CFG_T_INT:
			fprintf(out, "%d", *(const int *)field);
			break;
		case CFG_T_BOOL:
			fputs(*(const int *)field ? "true" : "false", out);
			break;
		case CFG_T_ENUM:
			cfg_print_string(out, p->choices[*(const int *)field]);
			break;
		case CFG_T_LOGLEVEL:
			cfg_print_string(out, log_level_name(*(const int *)field));
			break;
		}
		fputs(";\n", out);
	}
}

void
cfg_print(const struct cetak_config *cfg, FILE *out)
{
	fprintf(out, "# canonical form of %s\n", cfg->path);
	for (size_t k = 0; k < N(cfg_groups); k++) {
		fprintf(out, "%s = {\n", cfg_groups[k].name);
		cfg_print_params(out, cfg_groups[k].params, cfg_groups[k].n, cfg, "\t");
		fputs("};\n", out);
	}
	fputs("lines = (", out);
	for (int i = 0; i < cfg->n_lines; i++) {
		fputs(i ? ",\n\t{\n" : "\n\t{\n", out);
		cfg_print_params(out, line_params, N(line_params), &cfg->lines[i], "\t\t");
		fputs("\t}", out);
	}
	fputs(cfg->n_lines ? "\n);\n" : ");\n", out);
}

/* Text for roff: a backslash doubled, a leading dot or quote escaped. */
static void
roff_text(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

static void
describe_params(FILE *out, const char *group, const struct cfg_param *params, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct cfg_param *p = &params[i];
		fprintf(out, ".TP\n.B %s.%s\n", group, p->name);
		roff_text(out, p->help ? p->help : "");
		fputs("\n.br\n", out);
		switch (p->type) {
		case CFG_T_STR:
			fputs("A string", out);
			if (p->max > 0)
				fprintf(out, " of at most %ld characters", p->max);
			break;
		case CFG_T_INT:
			fprintf(out, "An integer from %ld to %ld", p->min, p->max);
			break;
		case CFG_T_BOOL:
			fputs("true or false", out);
			break;
		case CFG_T_ENUM:
			fputs("One of", out);
			for (size_t k = 0; p->choices[k]; k++)
				fprintf(out, "%s \\fB%s\\fR", k ? "," : "", p->choices[k]);
			break;
		case CFG_T_LOGLEVEL:
			fputs("A log level: \\fBdebug\\fR, \\fBinfo\\fR, \\fBnotice\\fR, "
			      "\\fBwarning\\fR or \\fBerr\\fR",
			      out);
			break;
		}
		if (p->def) {
			fputs("; default \\(lq", out);
			roff_text(out, p->def);
			fputs("\\(rq", out);
		} else {
			fputs("; required", out);
		}
		fputs(".\n", out);
	}
}

void
cfg_describe(FILE *out)
{
	for (size_t k = 0; k < N(cfg_groups); k++) {
		fprintf(out, ".SS %s\n", cfg_groups[k].name);
		describe_params(out, cfg_groups[k].name, cfg_groups[k].params, cfg_groups[k].n);
	}
	fputs(".SS lines\nA list of print lines, each a group of:\n", out);
	describe_params(out, "lines[]", line_params, N(line_params));
}

const char *
cfg_role_name(int role)
{
	return role_choices[role];
}
