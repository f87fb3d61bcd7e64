/*
 * fuzz_msg.c - libFuzzer target for i18n_msg(): whatever text cetakd (or a
 * job store of an older version) hands a client as a reason is matched
 * against every message template and written back within the buffer, and a
 * text that no template made comes out unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[2048], out[1024], small[16];
	struct i18n_msg_args a;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	i18n_msg(text, out, sizeof(out));
	if (strlen(out) >= sizeof(out))
		abort();
	i18n_msg(text, small, sizeof(small));
	if (strlen(small) >= sizeof(small))
		abort();
	/* no catalogue is bound: every translation is the template itself */
	if (!i18n_msg_template(text, &a) && strlen(text) < sizeof(out) && strcmp(out, text) != 0)
		abort();
	if (i18n_msg_template(text, &a))
		for (int k = 0; k < a.n; k++)
			if (a.start[k] &&
			    (a.start[k] < text || a.start[k] + a.len[k] > text + size))
				abort();
	return 0;
}
