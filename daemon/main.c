/*
 * main.c - cetakd's command line: check a configuration (-n) or run the
 * station (cetakd.h) under systemd until SIGTERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cetakd.h"
#include "common/i18n.h"
#include "common/log.h"
#include "loop.h"

static void
usage(FILE *out)
{
	fprintf(out, "usage: cetakd [-c FILE] [-n [-r]] [-V]\n"
		     "  -c FILE  configuration file (default " CFG_DEFAULT_PATH ")\n"
		     "  -n       check the configuration, print it in canonical form, exit\n"
		     "  -n -r    check that the station can run with it: lines, key files\n"
		     "  -V       print the version and exit\n");
}

/*
 * cetakd -n -r: is this configuration one the station can run with, not
 * only a well-formed one? At least one line, and every key and certificate
 * it names present (a PKCS#11 URI is the token's business). The package's
 * postinst starts cetakd only then (docs/packaging.md). 0, or 3 with one
 * line per thing missing.
 */
static int
config_ready(const struct cetak_config *cfg, const char *path)
{
	const struct {
		const char *key, *value;
	} files[] = {
		{ "ledger.station_key", cfg->station_key },
		{ "ledger.station_cert", cfg->station_cert },
		{ "card.signer_key", cfg->signer_key },
		{ "card.signer_cert", cfg->signer_cert },
		{ "card.csca", cfg->csca },
	};
	int missing = 0;

	if (cfg->n_lines == 0) {
		fprintf(stderr, _("cetakd: %s names no print line: add one to 'lines'\n"), path);
		missing++;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *v = files[i].value;
		if (!v || !v[0]) {
			fprintf(stderr, _("cetakd: %s: %s is not set\n"), path, files[i].key);
			missing++;
		} else if (strncmp(v, "pkcs11:", 7) != 0 && access(v, F_OK) != 0) {
			fprintf(stderr, _("cetakd: %s: %s names %s, which does not exist: %s\n"),
				path, files[i].key, v, strerror(errno));
			missing++;
		}
	}
	return missing ? 3 : 0;
}

int
main(int argc, char **argv)
{
	struct cetakd d = { 0 };
	const char *path = CFG_DEFAULT_PATH;
	bool check_only = false, ready = false;
	int opt, rc = 1;

	i18n_init();
	if (argc == 2 && strcmp(argv[1], "--describe-settings") == 0) {
		cfg_describe(stdout);
		return 0;
	}
	while ((opt = getopt(argc, argv, "c:nrVh")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			check_only = true;
			break;
		case 'r':
			ready = true;
			break;
		case 'V':
			printf("cetakd %s\n", CETAK_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_open("cetakd");
	if (check_only) {
		struct cetak_config *cfg;
		if (cfg_load(path, stderr, &cfg) < 0) {
			fprintf(stderr, "cetakd: configuration %s refused\n", path);
			return 1;
		}
		rc = ready ? config_ready(cfg, path) : 0;
		if (!ready)
			cfg_print(cfg, stdout);
		cfg_free(cfg);
		return rc;
	}
	if (cetakd_open(&d, path) < 0)
		goto out;
	sd_notify(0, "READY=1");
	cetakd_begin(&d);
	if (ev_loop_run(d.loop) < 0)
		log_error("cetakd: event loop failed: %s", strerror(errno));
	else
		rc = 0;
	log_notice("cetakd: stopped");
out:
	cetakd_close(&d);
	return rc;
}
