/*
 * fuzz_ipp_reasons.c - libFuzzer target for what printers answer: a CUPS
 * printer's printer-state-reasons and an Evolis-style printer's replies,
 * mapped into operator reasons. Input: lines; the first byte is the
 * printer-state for the IPP mapping, each line is also tried as a reply
 * and as a card counter reply.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "printer/pb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[4096], *kw[64], *save = NULL;
	int n = 0;
	unsigned reasons;
	char text[256];

	if (size < 1 || size >= sizeof(buf))
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	for (char *t = strtok_r(buf, "\n", &save); t && n < 64; t = strtok_r(NULL, "\n", &save))
		kw[n++] = t;
	enum pb_class c = pb_ipp_reasons((const char *const *)kw, n, data[0], &reasons);
	if (c > PB_FAIL || (data[0] == 5 && c != PB_STOP))
		abort();
	for (int i = 0; i < n; i++) {
		unsigned r;
		enum pb_class e = pb_esc_reply(kw[i], &r);
		if (e > PB_FAIL || (e == PB_OK && strcmp(kw[i], "OK") != 0))
			abort();
		long count = -1;
		if (pb_count_reply(kw[i], &count) == 0 && (count < 0 || !kw[i][0]))
			abort();
	}
	pb_reasons_text(reasons, text, sizeof(text));
	return 0;
}
