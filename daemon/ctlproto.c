/*
 * ctlproto.c - parse and encode control-socket messages.
 *
 * Input is untrusted: the JSON is parsed by jansson with its depth limit,
 * then every field is checked for presence, type and bounds here. Unknown
 * top-level keys are refused so that typos do not pass silently.
 */
#define _GNU_SOURCE
#include "ctlproto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
ctl_cmd_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CTL_CMD_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-' || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* Parse buf as exactly one JSON object; NULL with a reason in err otherwise. */
static json_t *
ctl_parse_object(const char *buf, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;

	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "NUL byte in message");
		return NULL;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, errlen, "not valid JSON at column %d: %s", je.column, je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "message must be a JSON object");
		json_decref(root);
		return NULL;
	}
	return root;
}

int
ctl_request_parse(const char *buf, size_t len, struct ctl_request *ret, char *err, size_t errlen)
{
	json_t *root, *v, *cmd, *args;
	const char *key;
	json_t *val;

	root = ctl_parse_object(buf, len, err, errlen);
	if (!root)
		return -EINVAL;
	json_object_foreach(root, key, val)
	{
		if (strcmp(key, "v") && strcmp(key, "cmd") && strcmp(key, "args")) {
			snprintf(err, errlen, "unknown field '%.40s' (fields are v, cmd, args)",
				 key);
			goto fail;
		}
	}
	v = json_object_get(root, "v");
	if (!json_is_integer(v) || json_integer_value(v) != CTL_PROTO_VERSION) {
		snprintf(err, errlen, "field 'v' must be %d (protocol version)", CTL_PROTO_VERSION);
		goto fail;
	}
	cmd = json_object_get(root, "cmd");
	if (!json_is_string(cmd) || !ctl_cmd_valid(json_string_value(cmd))) {
		snprintf(err, errlen,
			 "field 'cmd' must be a command name of 1-%d characters a-z 0-9 -",
			 CTL_CMD_MAX);
		goto fail;
	}
	args = json_object_get(root, "args");
	if (args && !json_is_object(args)) {
		snprintf(err, errlen, "field 'args' must be an object");
		goto fail;
	}
	snprintf(ret->cmd, sizeof(ret->cmd), "%s", json_string_value(cmd));
	ret->args = args ? json_incref(args) : json_object();
	json_decref(root);
	if (!ret->args) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
fail:
	json_decref(root);
	return -EINVAL;
}

void
ctl_request_done(struct ctl_request *req)
{
	json_decref(req->args);
	req->args = NULL;
}

/* Dump obj compactly with a trailing newline; steals obj. */
static char *
ctl_dump_line(json_t *obj)
{
	char *s, *line = NULL;

	if (!obj)
		return NULL;
	s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(obj);
	if (s && asprintf(&line, "%s\n", s) < 0)
		line = NULL;
	free(s);
	return line;
}

char *
ctl_request_encode(const char *cmd, json_t *args)
{
	json_t *a = args ? json_incref(args) : json_object();

	/* "o" steals a: the request object owns it from here on. */
	return ctl_dump_line(
		json_pack("{s:i, s:s, s:o}", "v", CTL_PROTO_VERSION, "cmd", cmd, "args", a));
}

char *
ctl_response_ok(json_t *data)
{
	json_t *obj = json_pack("{s:b}", "ok", 1);

	if (obj && data)
		json_object_set(obj, "data", data);
	return ctl_dump_line(obj);
}

char *
ctl_response_err(const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ctl_dump_line(json_pack("{s:b, s:s, s:s}", "ok", 0, "error", code, "message", msg));
}

int
ctl_response_parse(const char *buf, size_t len, struct ctl_response *ret, char *err, size_t errlen)
{
	json_t *root, *ok, *data, *code, *msg;

	memset(ret, 0, sizeof(*ret));
	root = ctl_parse_object(buf, len, err, errlen);
	if (!root)
		return -EINVAL;
	ok = json_object_get(root, "ok");
	if (!json_is_boolean(ok)) {
		snprintf(err, errlen, "response has no boolean 'ok'");
		goto fail;
	}
	ret->ok = json_is_true(ok);
	if (ret->ok) {
		data = json_object_get(root, "data");
		if (data && !json_is_object(data)) {
			snprintf(err, errlen, "response 'data' must be an object");
			goto fail;
		}
		ret->data = data ? json_incref(data) : json_object();
	} else {
		code = json_object_get(root, "error");
		msg = json_object_get(root, "message");
		if (!json_is_string(code) || !json_is_string(msg)) {
			snprintf(err, errlen, "error response needs string 'error' and 'message'");
			goto fail;
		}
		ret->code = strdup(json_string_value(code));
		ret->message = strdup(json_string_value(msg));
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	return -EINVAL;
}

void
ctl_response_done(struct ctl_response *resp)
{
	json_decref(resp->data);
	free(resp->code);
	free(resp->message);
	memset(resp, 0, sizeof(*resp));
}
