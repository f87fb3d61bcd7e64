/*
 * cetakctl.h - what cetakctl's command files share (cetakctl.c holds main,
 * the verb table and the socket; cetakctl_card.c the custody commands).
 */
#ifndef CETAK_CETAKCTL_H
#define CETAK_CETAKCTL_H

#include <jansson.h>

enum { EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

struct cli {
	const char *socket;
	int json;
};

/* One daemon request printed by printer (or as JSON with --json); an exit code. */
int daemon_verb(const struct cli *cli, const char *cmd, json_t *args, void (*printer)(json_t *));
/* The string obj.key, or "". */
const char *jstr(json_t *obj, const char *key);
/* cetakd's message (reason, refusal, alert) in the user's language. */
const char *ctl_msg(const char *english);

/* cetakctl card show|list|store|transfer|collected|withdraw|destroy|correct ... */
int cli_card_custody(const struct cli *cli, int argc, char **argv);
/* cetakctl report custody [--format text|csv|json] */
int cli_report_custody(const struct cli *cli, int argc, char **argv);

/* cetakctl notice run */
int cli_notice(const struct cli *cli, int argc, char **argv);

/* cetakctl privacy [purge] */
int cli_privacy(const struct cli *cli, int argc, char **argv);

#endif
