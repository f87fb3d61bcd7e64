/*
 * ctlproto.h - the control-socket wire format shared by cetakd and cetakctl.
 *
 * Newline-delimited JSON, one request and one response per line (see
 * docs/control-protocol.md):
 *   request:  {"v":1,"cmd":"status","args":{...}}
 *   response: {"ok":true,"data":{...}}  or  {"ok":false,"error":"CODE","message":"..."}
 * The parsers take untrusted bytes and never crash; they have fuzz targets.
 */
#ifndef CETAK_CTLPROTO_H
#define CETAK_CTLPROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CTL_PROTO_VERSION 1
#define CTL_CMD_MAX 32

/* Error codes carried in "error". */
#define CTL_E_MALFORMED "malformed"
#define CTL_E_TOO_LONG "too-long"
#define CTL_E_UNKNOWN "unknown-command"
#define CTL_E_PERMISSION "permission-denied"
#define CTL_E_BAD_ARGS "bad-arguments"
#define CTL_E_FAILED "failed"
#define CTL_E_BUSY "busy"

struct ctl_request {
	char cmd[CTL_CMD_MAX + 1];
	json_t *args; /* owned; always an object (empty when absent) */
};

/*
 * Parse one request line (without its newline). Returns 0 and fills *ret;
 * release with ctl_request_done(). On failure returns -EINVAL and writes a
 * one-line reason to err.
 */
int ctl_request_parse(const char *buf, size_t len, struct ctl_request *ret, char *err,
		      size_t errlen);
void ctl_request_done(struct ctl_request *req);

/* Encode a request line, newline included. args may be NULL (borrowed). Caller frees. */
char *ctl_request_encode(const char *cmd, json_t *args);

/* Encode responses, newline included. data is borrowed and may be NULL. Caller frees. */
char *ctl_response_ok(json_t *data);
char *ctl_response_err(const char *code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct ctl_response {
	bool ok;
	json_t *data;  /* owned; object, possibly empty, when ok */
	char *code;    /* owned, when !ok */
	char *message; /* owned, when !ok */
};

/* Parse one response line. Returns 0 or -EINVAL with a reason in err. */
int ctl_response_parse(const char *buf, size_t len, struct ctl_response *ret, char *err,
		       size_t errlen);
void ctl_response_done(struct ctl_response *resp);

#endif
