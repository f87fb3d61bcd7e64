/*
 * fuzz_ctl_request.c - libFuzzer target for control requests (untrusted
 * bytes from any local user): the parser must never crash or leak, and an
 * accepted request must survive re-encoding unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ctlproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request req, again;
	char err[256];

	if (ctl_request_parse((const char *)data, size, &req, err, sizeof(err)) < 0)
		return 0;
	char *line = ctl_request_encode(req.cmd, req.args);
	if (!line)
		abort();
	if (ctl_request_parse(line, strlen(line) - 1, &again, err, sizeof(err)) < 0 ||
	    strcmp(req.cmd, again.cmd) != 0 || !json_equal(req.args, again.args))
		abort();
	ctl_request_done(&again);
	ctl_request_done(&req);
	free(line);
	return 0;
}
