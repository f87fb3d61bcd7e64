/*
 * parse.c - the dashboard's parsers of outside data (web.h): form bodies and
 * query strings, the Cookie header, static file names. fuzz_web runs them.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "web.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into a new string; NULL when malformed. */
static char *
pct_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%') {
			int h, l;
			if (i + 2 >= n || (h = hexval(s[i + 1])) < 0 ||
			    (l = hexval(s[i + 2])) < 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)(h * 16 + l);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	if ((size_t)(o - out) != strlen(out)) { /* an encoded NUL */
		free(out);
		return NULL;
	}
	return out;
}

int
web_parse_form(const char *s, size_t len, json_t **ret)
{
	json_t *o = json_object();
	size_t i = 0;

	*ret = NULL;
	if (!o)
		return -1;
	while (i < len) {
		size_t end = i;
		while (end < len && s[end] != '&')
			end++;
		if (end > i) {
			const char *eq = memchr(s + i, '=', end - i);
			size_t klen = eq ? (size_t)(eq - (s + i)) : end - i;
			char *k = pct_decode(s + i, klen);
			char *v = eq ? pct_decode(eq + 1, (size_t)(s + end - eq - 1)) : strdup("");
			json_t *js = v ? json_string(v) : NULL; /* NULL on bad UTF-8 */
			if (!k || !*k || !js || json_object_get(o, k)) {
				free(k), free(v), json_decref(js), json_decref(o);
				return -1;
			}
			/* a name that is not UTF-8 is refused here (js is released) */
			if (json_object_set_new(o, k, js) < 0) {
				free(k), free(v), json_decref(o);
				return -1;
			}
			free(k), free(v);
		}
		i = end + 1;
	}
	*ret = o;
	return 0;
}

int
web_cookie(const char *header, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = header;

	if (!p || !outlen)
		return -1;
	while (*p) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > nlen && !strncmp(p, name, nlen) && p[nlen] == '=') {
			size_t vlen = n - nlen - 1;
			if (vlen >= outlen)
				return -1;
			memcpy(out, p + nlen + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p += n;
	}
	return -1;
}

bool
web_static_name_ok(const char *name)
{
	if (!name || !*name || name[0] == '.' || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '.' || *p == '_'))
			return false;
	return !strstr(name, "..");
}
