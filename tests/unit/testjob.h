/*
 * testjob.h - the unit tests' way to a typed job (jobs/job.h) from a JSON
 * document, through the one validator, so a test that edits a field gets
 * exactly what cetakd would parse.
 */
#ifndef CETAK_TESTJOB_H
#define CETAK_TESTJOB_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/job.h"

/* The job of doc (borrowed), or NULL with the reason on stderr. "Today" is
 * 2100-01-01, so that no example date is in the future. */
static inline struct job *
test_job(json_t *doc)
{
	struct job_policy pol = { .region = NULL, .now = 4102444800LL };
	char *text = json_dumps(doc, JSON_COMPACT), why[512];
	struct job *job = NULL;

	if (!text || job_parse(text, strlen(text), &pol, &job, why, sizeof(why)) < 0) {
		fprintf(stderr, "test_job: %s\n", text ? why : "out of memory");
		job = NULL;
	}
	free(text);
	return job;
}

/* The job in the example file at path, or NULL. */
static inline struct job *
test_job_file(const char *path)
{
	json_error_t e;
	json_t *doc = json_load_file(path, 0, &e);
	struct job *job = doc ? test_job(doc) : NULL;

	json_decref(doc);
	return job;
}

#endif
