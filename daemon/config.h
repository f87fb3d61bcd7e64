/*
 * config.h - cetakd configuration (libconfig syntax).
 *
 * Every parameter is declared once in config.c with its type, default,
 * bounds and a one-line help; cfg_load() validates the whole file against
 * that table and reports every problem as "FILE:LINE: what is wrong; fix".
 * cfg_print() writes the canonical form (every setting, defaults included).
 */
#ifndef CETAK_CONFIG_H
#define CETAK_CONFIG_H

#include <stdio.h>

#define CFG_MAX_LINES 8
#define CFG_DEFAULT_PATH "/etc/cetak/cetakd.conf"

enum cfg_station_role { CFG_ROLE_MAIN, CFG_ROLE_UPT };

/* One print line: a printer backend plus the PC/SC reader at its encoder station. */
struct cfg_line {
	char *name;
	int enabled;
	char *printer;	   /* the backend's name (printer/pb.h): "cups", "usb" */
	char *cups_queue;  /* printer = cups */
	char *cups_server; /* printer = cups; "" = libcups default */
	char *usb_device;  /* printer = usb: "VVVV:PPPP" */
	char *usb_serial;  /* printer = usb; "" = first match */
	char *reader;	   /* fnmatch(3) pattern over PC/SC reader names */
	int encoder; /* 0 = inline (printer moves the card), 1 = desk reader (auto resolved at load)
		      */
	char *profile;	  /* "" = card.profile */
	char *sam_reader; /* the SAM profile's SAM; "" = none */
	char *sam_pin;	  /* a file or credential; "" = none */
};

struct cetak_config {
	char *path; /* the file it was read from */

	char *station_name;
	char *station_office;
	int station_role; /* enum cfg_station_role */
	char *station_region;
	char *station_district;	       /* a SAM must carry it; "" = not checked */
	int station_document_language; /* 0 id, 1 en: reports, berita acara */

	char *state_dir;
	char *spool_dir;
	char *control_socket;

	char *face_layout;

	/* custody of issued cards: the desk reader a hand-over reads the chip on */
	/* the dashboard (web/) */
	int web_enabled;
	char *web_listen;
	int web_port;
	char *web_tls_cert, *web_tls_key;
	char *web_static_dir;
	char *web_pam_service;
	int web_language; /* 0 id, 1 en: the pages before a user chooses */
	int web_session_idle_min, web_max_connections, web_max_per_ip;

	char *hub_conninfo; /* "" = no district hub */
	int hub_push_interval_s, hub_batch, hub_timeout_s;

	char *custody_reader;
	char *custody_profile; /* "" = card.profile */
	char *custody_sam_reader;
	char *custody_sam_pin;
	int custody_read_timeout_s;
	int transfer_after_days;    /* a stored card is due for transfer to its kecamatan */
	int transfer_after_notices; /* ... after this many notices (or none possible) */
	int retention_days;	    /* personal data kept after a job's purpose is fulfilled */

	/* SMS notices through gammu-smsd's files backend (notice/notice.h) */
	int notice_enabled;
	char *notice_outbox, *notice_sent, *notice_error, *notice_smsd_pidfile;
	char *notice_template, *notice_office, *notice_opening_hours;
	char *notice_send_hours, *notice_holidays;
	int notice_interval_days, notice_max, notice_round_s, notice_outbox_max;

	int lead_days, window_days, hopper_low, ribbon_low, alert_repeat_s;
	char *alert_command, *metrics_file;

	char *station_key; /* PEM key or PKCS#11 URI signing the audit checkpoints; "" = unsigned */
	char *station_cert;
	char *pkcs11_module, *station_pin;
	int checkpoint_every;
	int stocktake_operator_max; /* larger stocktake differences need a supervisor */

	/* card: personalisation and the card cycle (docs/print-line.md) */
	char *card_profile;
	char *signer_key, *signer_cert, *signer_pkcs11_module, *signer_pin;
	char *csca;
	int max_attempts;      /* cards tried per job before it is held */
	int bad_blank_stop;    /* consecutive unusable blanks that stop a line */
	int card_timeout_ms;   /* a fed card must answer at the encoder within this */
	int present_timeout_s; /* desk reader: the operator presents a blank within this */
	int printer_timeout_s; /* one printer operation */
	int stop_timeout_s;    /* SIGTERM: the card in hand is finished within this */
	int encode_deadline_s; /* a reader that has not finished a card by then is hung */
	int retry_s;	       /* a transient printer condition is asked again after this */

	char *supervisor_group;
	char *operator_group;

	int spool_max_job_bytes;
	int spool_batch;
	int spool_rescan_s;
	int spool_tmp_max_age_s;

	int daily_quota;   /* 0 = none */
	int stock_reserve; /* blanks kept for new and urgent jobs */

	int log_level; /* syslog priority */
	int reader_poll_ms;
	int control_max_request;
	int control_max_clients;
	int control_idle_timeout_s;
	int control_request_timeout_s; /* a started request must arrive whole within this */
	int control_per_user;	       /* connections one uid may hold */

	struct cfg_line lines[CFG_MAX_LINES];
	int n_lines;
};

/*
 * Read and validate path. On success returns 0 and *ret_cfg (free with
 * cfg_free). On failure returns -EINVAL (or -errno when unreadable) and
 * writes one line per problem to errs (never NULL on failure paths).
 */
int cfg_load(const char *path, FILE *errs, struct cetak_config **ret_cfg);
void cfg_free(struct cetak_config *cfg);
/* Canonical form: every setting in declaration order, defaults included. */
/* Every setting with its type, bounds, default and help, as the roff of
 * cetakd.conf(5)'s SETTINGS section (cetakd --describe-settings, make man). */
void cfg_describe(FILE *out);
void cfg_print(const struct cetak_config *cfg, FILE *out);

const char *cfg_role_name(int role);

#endif
