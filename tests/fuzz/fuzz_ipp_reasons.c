/*
 * fuzz_ipp_reasons.c - libFuzzer target for the mapping of a printer's
 * printer-state-reasons (what a CUPS printer reports) into operator reasons.
 * Input: keywords separated by newlines; the first byte is printer-state.
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
	pb_reasons_text(reasons, text, sizeof(text));
	return 0;
}
