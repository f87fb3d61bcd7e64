/*
 * fuzz_ctl_response.c - libFuzzer target for control responses, as cetakctl
 * reads them: never crash, never leak, fields consistent with "ok".
 */
#include <stdint.h>
#include <stdlib.h>

#include "daemon/ctlproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_response resp;
	char err[256];

	if (ctl_response_parse((const char *)data, size, &resp, err, sizeof(err)) < 0)
		return 0;
	if (resp.ok ? !json_is_object(resp.data) : (!resp.code || !resp.message))
		abort();
	ctl_response_done(&resp);
	return 0;
}
