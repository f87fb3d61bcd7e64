/*
 * fuzz_job.c - libFuzzer target for the job-file validator (untrusted files
 * from the upstream enrolment system): never crash, hang or leak; an
 * accepted job has a well-formed id and NIK.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a fixed "today" far ahead, so dated seeds stay valid and runs stay reproducible */
	struct job_policy pol = { .region = "36", .now = 4102444800LL };
	struct job *job;
	char why[512];

	if (job_parse((const char *)data, size, &pol, &job, why, sizeof(why)) < 0) {
		if (!why[0])
			abort(); /* every refusal has a reason */
		return 0;
	}
	if (strlen(job->nik) != 16 || !job->job_id[0] || job->kind >= JOB_KIND_COUNT)
		abort();
	job_free(job);
	return 0;
}
