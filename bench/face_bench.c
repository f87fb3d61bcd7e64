/*
 * face_bench.c - CPU cost of rendering one card face: the PDF (for CUPS) and
 * the YMCKO panels (for raw printers), and of the intake fit check.
 * usage: face_bench LAYOUT JOBFILE [N [QUEUE SERVER]]
 * With QUEUE and SERVER, each PDF is also submitted through the cups printer
 * backend and followed to completion (this process's CPU only: cupsd and its
 * backend run in their own processes).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tests/fixtures/clock.h"

#include "jobs/job.h"
#include "printer/face.h"
#include "printer/pb.h"

int
main(int argc, char **argv)
{
	struct face_layout *l;
	char why[512];
	int n = argc > 3 ? atoi(argv[3]) : 200;

	if (argc < 3 || face_layout_load(argv[1], stderr, &l) < 0)
		return 2;
	/* the job as the preparation has it: parsed and validated once */
	struct job_policy pol = { .region = NULL, .now = time(NULL) };
	struct job *job = NULL;
	FILE *jf = fopen(argv[2], "rb");
	static char text[1 << 20];
	size_t tlen = jf ? fread(text, 1, sizeof(text), jf) : 0;
	if (jf)
		fclose(jf);
	if (job_parse(text, tlen, &pol, &job, why, sizeof(why)) < 0) {
		fprintf(stderr, "face_bench: %s: %s\n", argv[2], tlen ? why : "cannot read");
		return 2;
	}
	double t = cpu_ms();
	for (int i = 0; i < n; i++)
		if (face_check(l, job, why, sizeof(why)) < 0)
			return 1;
	printf("fit check:            %.3f ms CPU per job\n", (cpu_ms() - t) / n);
	t = cpu_ms();
	for (int i = 0; i < n; i++)
		if (face_render_pdf(l, job, "/dev/null", why, sizeof(why)) < 0)
			return 1;
	double pdf = (cpu_ms() - t) / n;
	printf("PDF:                  %.3f ms CPU per card\n", pdf);
	t = cpu_ms();
	for (int i = 0; i < n; i++) {
		struct face_panels p;
		if (face_render_panels(l, job, &p, why, sizeof(why)) < 0)
			return 1;
		free(p.data);
	}
	double panels = (cpu_ms() - t) / n;
	printf("YMCKO panels:         %.3f ms CPU per card\n", panels);
	printf("PDF + panels:         %.3f ms CPU per card\n", pdf + panels);
	if (argc > 5) {
		struct pb_config cfg = { .queue = argv[4], .server = argv[5], .timeout_ms = 20000 };
		void *h;
		static char buf[1 << 20];
		int m = n < 50 ? n : 50;
		if (pb_cups_ops.open(&cfg, &h) < 0)
			return 1;
		struct timespec w0, w1;
		clock_gettime(CLOCK_MONOTONIC, &w0);
		t = cpu_ms();
		for (int i = 0; i < m; i++) {
			struct pb_status st;
			if (face_render_pdf(l, job, "/tmp/cetak-face-bench.pdf", why, sizeof(why)) <
			    0)
				return 1;
			FILE *f = fopen("/tmp/cetak-face-bench.pdf", "rb");
			size_t len = fread(buf, 1, sizeof(buf), f);
			fclose(f);
			struct pb_face face = { "BENCH", buf, len, NULL };
			if (pb_cups_ops.print(h, &face, &st) != PB_OK) {
				fprintf(stderr, "print failed: %s\n", st.message);
				return 1;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &w1);
		printf("PDF + CUPS job:       %.3f ms CPU per card (%d cards; %.1f ms wall each, "
		       "job followed to completion)\n",
		       (cpu_ms() - t) / m, m,
		       ((w1.tv_sec - w0.tv_sec) * 1e3 + (w1.tv_nsec - w0.tv_nsec) / 1e6) / m);
		pb_cups_ops.close(h);
	}
	job_free(job);
	face_layout_free(l);
	return 0;
}
