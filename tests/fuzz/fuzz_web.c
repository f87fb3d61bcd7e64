/*
 * fuzz_web.c - libFuzzer target for what a browser sends the dashboard: a
 * form body or query string, a Cookie header, a static file's name. The
 * first byte picks the parser; a name the gate lets through never leaves
 * the static directory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[8192], out[128];
	json_t *form = NULL;

	if (size < 1 || size >= sizeof(buf))
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		if (web_parse_form(buf, size - 1, &form) == 0) {
			const char *k;
			json_t *v;
			if (!json_is_object(form))
				abort();
			json_object_foreach(form, k, v) if (!*k || !json_is_string(v)) abort();
			json_decref(form);
		}
		break;
	case 1:
		if (web_cookie(buf, "cetak_sid", out, sizeof(out)) == 0 &&
		    strlen(out) >= sizeof(out))
			abort();
		break;
	default:
		if (web_static_name_ok(buf) &&
		    (strchr(buf, '/') || buf[0] == '.' || strstr(buf, "..")))
			abort();
		break;
	}
	return 0;
}
