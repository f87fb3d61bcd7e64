/*
 * pb_cups.c - print through a CUPS queue with libcups (IPP).
 *
 * print: Create-Job, Send-Document (the face PDF, CR80 media), then follow
 * the job until completed, aborted or cancelled, at most timeout_ms. A job
 * that stops on a stopped queue is cancelled at once: left pending it would
 * print by itself when someone resumes the queue, and the card would be
 * printed twice. status: Get-Printer-Attributes (printer-state,
 * printer-state-reasons, printer-state-message, marker-levels). A cupsd that
 * cannot be reached is RETRY with the reason offline, never a crash.
 * The card never goes to an encoder station and there is no reject box: a
 * CUPS line encodes at a separate reader before printing, and a bad card is
 * set aside by the operator.
 */
#define _GNU_SOURCE
#include "pb.h"

#include <cups/cups.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct cups_pb {
	char queue[128];
	char server[4096];
	int timeout_ms;
};

static http_t *
connect_cups(const struct cups_pb *c)
{
	const char *host = c->server[0] ? c->server : cupsServer();
	int port = host[0] == '/' ? 0 : ippPort();

	return httpConnect2(host, port, NULL, AF_UNSPEC, HTTP_ENCRYPTION_IF_REQUESTED, 1,
			    c->timeout_ms, NULL);
}

static void
unreachable(struct pb_status *st, const struct cups_pb *c)
{
	st->reasons |= PB_R_OFFLINE;
	snprintf(st->message, sizeof(st->message), "CUPS at %.200s is not reachable",
		 c->server[0] ? c->server : cupsServer());
}

static int
cups_open(const struct pb_config *cfg, void **ret)
{
	struct cups_pb *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	if (!cfg->queue || !cfg->queue[0]) {
		free(c);
		return -EINVAL;
	}
	snprintf(c->queue, sizeof(c->queue), "%s", cfg->queue);
	snprintf(c->server, sizeof(c->server), "%s", cfg->server ? cfg->server : "");
	c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
	*ret = c;
	return 0;
}

static void
cups_close(void *h)
{
	free(h);
}

static ipp_t *
printer_request(const struct cups_pb *c, ipp_op_t op)
{
	char uri[HTTP_MAX_URI];
	ipp_t *req = ippNewRequest(op);

	httpAssembleURIf(HTTP_URI_CODING_ALL, uri, sizeof(uri), "ipp", NULL, "localhost", 0,
			 "/printers/%s", c->queue);
	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL,
		     cupsUser());
	return req;
}

static enum pb_class
status_on(http_t *http, const struct cups_pb *c, struct pb_status *st)
{
	static const char *const want[] = { "printer-state", "printer-state-reasons",
					    "printer-state-message", "marker-levels" };
	ipp_t *req = printer_request(c, IPP_OP_GET_PRINTER_ATTRIBUTES), *resp;
	ipp_attribute_t *a;
	const char *kw[32];
	int n = 0, state = 3;
	enum pb_class cls;

	ippAddStrings(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", 4, NULL,
		      want);
	resp = cupsDoRequest(http, req, "/");
	if (!resp || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
		ippDelete(resp);
		if (cupsLastError() == IPP_STATUS_ERROR_NOT_FOUND) {
			snprintf(st->message, sizeof(st->message), "CUPS has no queue '%s'",
				 c->queue);
			return PB_STOP;
		}
		unreachable(st, c);
		return PB_RETRY;
	}
	if ((a = ippFindAttribute(resp, "printer-state", IPP_TAG_ENUM)))
		state = ippGetInteger(a, 0);
	if ((a = ippFindAttribute(resp, "printer-state-reasons", IPP_TAG_KEYWORD)))
		for (int i = 0; i < ippGetCount(a) && n < 32; i++)
			kw[n++] = ippGetString(a, i, NULL);
	cls = pb_ipp_reasons(kw, n, state, &st->reasons);
	if ((a = ippFindAttribute(resp, "marker-levels", IPP_TAG_INTEGER)))
		st->ribbon_percent = ippGetInteger(a, 0);
	if ((a = ippFindAttribute(resp, "printer-state-message", IPP_TAG_TEXT)) &&
	    ippGetString(a, 0, NULL))
		snprintf(st->message, sizeof(st->message), "%s", ippGetString(a, 0, NULL));
	ippDelete(resp);
	return cls;
}

static enum pb_class
cups_status(void *h, struct pb_status *st)
{
	struct cups_pb *c = h;
	http_t *http;
	enum pb_class cls;

	pb_status_clear(st);
	if (!(http = connect_cups(c))) {
		unreachable(st, c);
		return PB_RETRY;
	}
	cls = status_on(http, c, st);
	httpClose(http);
	return cls;
}

/* job_state(): the scheduler answered that it has no such job (any more). */
#define JOB_GONE ((ipp_jstate_t)1)

static ipp_jstate_t
job_state(http_t *http, int id)
{
	char uri[64];
	ipp_t *req = ippNewRequest(IPP_OP_GET_JOB_ATTRIBUTES), *resp;
	ipp_attribute_t *a;
	ipp_jstate_t s = 0;

	snprintf(uri, sizeof(uri), "ipp://localhost/jobs/%d", id);
	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "job-uri", NULL, uri);
	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", NULL,
		     "job-state");
	resp = cupsDoRequest(http, req, "/");
	if (resp && (a = ippFindAttribute(resp, "job-state", IPP_TAG_ENUM)))
		s = (ipp_jstate_t)ippGetInteger(a, 0);
	else if (cupsLastError() == IPP_STATUS_ERROR_NOT_FOUND)
		s = JOB_GONE; /* a scheduler that answers and has no such job */
	ippDelete(resp);
	return s;
}

/*
 * Cancel job id and wait until CUPS says it is cancelled or aborted (or
 * completed after all): the job state, or 0 when CUPS never confirmed it
 * within a few seconds (it may still print). A connection of its own: the
 * one in hand may be the one that broke.
 */
static ipp_jstate_t
cancel_confirmed(const struct cups_pb *c, int id)
{
	ipp_jstate_t s = 0;

	for (int i = 0; i < 50; i++) {
		http_t *http = connect_cups(c);
		if (http) {
			cupsCancelJob2(http, c->queue, id,
				       0); /* kept in the history: its state is read */
			s = job_state(http, id);
			httpClose(http);
			if (s == JOB_GONE) /* after our cancel: it will not print */
				return IPP_JSTATE_CANCELED;
			if (s >= IPP_JSTATE_CANCELED)
				return s;
		}
		usleep(100000);
	}
	return 0;
}

/* After a cancel: what is known of the card. */
static enum pb_class
after_cancel(const struct cups_pb *c, int id, enum pb_class if_cancelled, struct pb_status *st,
	     const char *why)
{
	ipp_jstate_t s = cancel_confirmed(c, id);

	if (s == IPP_JSTATE_COMPLETED) {
		snprintf(st->message, sizeof(st->message), "%s; job %d completed before the cancel",
			 why, id);
		return PB_OK;
	}
	if (s == IPP_JSTATE_CANCELED || s == IPP_JSTATE_ABORTED) {
		snprintf(st->message, sizeof(st->message),
			 "%s; job %d cancelled (confirmed by CUPS)", why, id);
		return if_cancelled;
	}
	snprintf(st->message, sizeof(st->message),
		 "%s; CUPS did not confirm that job %d was "
		 "cancelled: it may still print",
		 why, id);
	return PB_UNKNOWN;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static enum pb_class
cups_print(void *h, const struct pb_face *face, struct pb_status *st)
{
	struct cups_pb *c = h;
	cups_option_t *opts = NULL;
	int nopts = 0, id;
	http_t *http;
	enum pb_class cls = PB_FAIL;
	struct timespec t0;

	pb_status_clear(st);
	if (!(http = connect_cups(c))) {
		unreachable(st, c);
		return PB_RETRY;
	}
	/* a stopped queue or a printer that needs a person: do not queue a card behind it */
	cls = status_on(http, c, st);
	if (cls != PB_OK)
		goto out;
	nopts = cupsAddOption("media", "Custom.85.6x54mm", nopts, &opts);
	id = cupsCreateJob(http, c->queue, face->job_id, nopts, opts);
	cupsFreeOptions(nopts, opts);
	if (id <= 0) {
		snprintf(st->message, sizeof(st->message), "CUPS refused the job: %s",
			 cupsLastErrorString());
		cls = PB_RETRY;
		goto out;
	}
	if (cupsStartDocument(http, c->queue, id, face->job_id, "application/pdf", 1) !=
		    HTTP_STATUS_CONTINUE ||
	    cupsWriteRequestData(http, face->pdf, face->pdf_len) != HTTP_STATUS_CONTINUE ||
	    cupsFinishDocument(http, c->queue) != IPP_STATUS_OK) {
		char why[200];
		snprintf(why, sizeof(why), "sending the face to CUPS failed: %.150s",
			 cupsLastErrorString());
		/* nothing reached the printer, once CUPS confirms the job is gone */
		cls = after_cancel(c, id, PB_RETRY, st, why);
		if (cls == PB_OK) /* a complete document printed after all */
			cls = PB_UNKNOWN;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		ipp_jstate_t s = job_state(http, id);
		if (s == IPP_JSTATE_COMPLETED) {
			/* printed; report supplies as they are now (ribbon low, ...) */
			status_on(http, c, st);
			cls = PB_OK;
			break;
		}
		if (s == JOB_GONE) { /* lost before it was seen to end: it may have printed */
			snprintf(st->message, sizeof(st->message),
				 "CUPS no longer knows job %d: the "
				 "card may or may not be printed",
				 id);
			cls = PB_UNKNOWN;
			break;
		}
		if (s == IPP_JSTATE_ABORTED || s == IPP_JSTATE_CANCELED) {
			snprintf(st->message, sizeof(st->message), "the printer %s job %d",
				 s == IPP_JSTATE_ABORTED ? "aborted" : "cancelled", id);
			cls = PB_FAIL;
			break;
		}
		struct pb_status now = { 0, -1, -1, "" };
		if (status_on(http, c, &now) == PB_STOP) {
			/* never leave it pending: it would print on resume */
			char why[200];
			snprintf(why, sizeof(why), "queue '%.100s' stopped%s%.80s", c->queue,
				 now.message[0] ? ": " : "", now.message);
			cls = after_cancel(c, id, PB_STOP, st, why);
			st->reasons = now.reasons;
			break;
		}
		if (ms_since(&t0) > c->timeout_ms) {
			/* the job was submitted: only a cancel CUPS confirms makes it known */
			char why[120];
			snprintf(why, sizeof(why), "job %d not done after %d ms", id,
				 c->timeout_ms);
			cls = after_cancel(c, id, PB_FAIL, st, why);
			break;
		}
		usleep(50000);
	}
out:
	httpClose(http);
	return cls;
}

/* A CUPS printer outputs the card itself once printed. */
static enum pb_class
cups_eject(void *h, struct pb_status *st)
{
	(void)h;
	pb_status_clear(st);
	return PB_OK;
}

const struct pb_ops pb_cups_ops = {
	.name = "cups",
	.caps = 0,
	.face = PB_FACE_PDF,
	.open = cups_open,
	.status = cups_status,
	.to_encoder = NULL,
	.print = cups_print,
	.eject = cups_eject,
	.reject = NULL,
	.close = cups_close,
};
