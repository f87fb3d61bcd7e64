/*
 * msg_bench.c - what writing cetakd's messages in the reader's language
 * costs a client (i18n_msg(), docs/i18n.md): microseconds per message for a
 * mix of a nested reason, a job's history, a refused file, a device's own
 * text that no template made, and a line stop with the printer's words.
 * usage: msg_bench [N] (CETAK_LOCALEDIR names the catalogues)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/i18n.h"

int
main(int argc, char **argv)
{
	static const char *const texts[] = {
		"requeued: the card could not be moved to the reject box (Seo: ERR NO CARD): take "
		"it "
		"out by hand",
		"hold by ani: menunggu dokumen asli",
		"malformed JSON at line 1 column 36: unexpected token near end of file",
		"Seo: ERR NO CARD",
		"the printer stopped while printing; the card inside is spoiled (jam: Se: ERR JAM)",
	};
	int n = argc > 1 ? atoi(argv[1]) : 100000;
	struct timespec a, z;
	struct i18n_doc d;
	char buf[1024];

	i18n_init();
	if (i18n_doc_begin(&d, "id") < 0)
		fprintf(stderr, "msg_bench: no id_ID.UTF-8 locale: the messages stay English\n");
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++)
		i18n_msg(texts[i % 5], buf, sizeof(buf));
	clock_gettime(CLOCK_MONOTONIC, &z);
	double us =
		((double)(z.tv_sec - a.tv_sec) * 1e9 + (double)(z.tv_nsec - a.tv_nsec)) / n / 1e3;
	printf("i18n_msg: %d messages, %.1f us each (%s)\n", n, us,
	       i18n_msg(texts[0], buf, sizeof(buf)));
	i18n_doc_end(&d);
	return 0;
}
