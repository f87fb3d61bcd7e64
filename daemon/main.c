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

#include "cetakd.h"
#include "common/i18n.h"
#include "common/log.h"
#include "loop.h"

static void
usage(FILE *out)
{
	fprintf(out, "usage: cetakd [-c FILE] [-n] [-V]\n"
		     "  -c FILE  configuration file (default " CFG_DEFAULT_PATH ")\n"
		     "  -n       check the configuration, print it in canonical form, exit\n"
		     "  -V       print the version and exit\n");
}

int
main(int argc, char **argv)
{
	struct cetakd d = { 0 };
	const char *path = CFG_DEFAULT_PATH;
	bool check_only = false;
	int opt, rc = 1;

	i18n_init();
	while ((opt = getopt(argc, argv, "c:nVh")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			check_only = true;
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
		cfg_print(cfg, stdout);
		cfg_free(cfg);
		return 0;
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
