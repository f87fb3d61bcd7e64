/*
 * pb_fake.c - the scripted printer backend for tests (pb_fake.h).
 */
#define _GNU_SOURCE
#include "pb_fake.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAKE_PRINTERS 4
#define FAKE_STEPS 64

struct step {
	enum pb_fake_op op;
	enum pb_class cls;
	unsigned reasons;
	char message[128];
	int delay_ms;
	bool used;
};

struct printer {
	char device[16];
	struct step steps[FAKE_STEPS];
	int n;
	int count[PBF_OPS];
	long printed;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct printer printers[FAKE_PRINTERS];
static void (*on_op)(void *arg, const char *device, enum pb_fake_op op, int count);
static void *on_op_arg;

void
pb_fake_on_op(void (*fn)(void *arg, const char *device, enum pb_fake_op op, int count), void *arg)
{
	pthread_mutex_lock(&mu);
	on_op = fn;
	on_op_arg = arg;
	pthread_mutex_unlock(&mu);
}

/* The printer called device, made on first use; under mu. */
static struct printer *
printer_of(const char *device)
{
	for (int i = 0; i < FAKE_PRINTERS; i++)
		if (!strcmp(printers[i].device, device))
			return &printers[i];
	for (int i = 0; i < FAKE_PRINTERS; i++)
		if (!printers[i].device[0]) {
			snprintf(printers[i].device, sizeof(printers[i].device), "%s", device);
			return &printers[i];
		}
	return NULL;
}

void
pb_fake_reset(void)
{
	pthread_mutex_lock(&mu);
	memset(printers, 0, sizeof(printers));
	pthread_mutex_unlock(&mu);
}

int
pb_fake_push(const char *device, enum pb_fake_op op, enum pb_class cls, unsigned reasons,
	     const char *message, int delay_ms)
{
	int r = -ENOSPC;

	pthread_mutex_lock(&mu);
	struct printer *p = printer_of(device);
	if (p && p->n < FAKE_STEPS) {
		struct step *s = &p->steps[p->n++];
		*s = (struct step){
			.op = op, .cls = cls, .reasons = reasons, .delay_ms = delay_ms
		};
		snprintf(s->message, sizeof(s->message), "%s", message ? message : "");
		r = 0;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

int
pb_fake_count(const char *device, enum pb_fake_op op)
{
	pthread_mutex_lock(&mu);
	struct printer *p = printer_of(device);
	int n = p ? p->count[op] : 0;
	pthread_mutex_unlock(&mu);
	return n;
}

long
pb_fake_printed(const char *device)
{
	pthread_mutex_lock(&mu);
	struct printer *p = printer_of(device);
	long n = p ? p->printed : 0;
	pthread_mutex_unlock(&mu);
	return n;
}

/* Answer op for handle h (its device name): the next scripted step or ok. */
static enum pb_class
answer(void *h, enum pb_fake_op op, struct pb_status *st)
{
	struct step s = { .cls = PB_OK };
	int count = 0;

	pb_status_clear(st);
	pthread_mutex_lock(&mu);
	struct printer *p = printer_of(h);
	void (*hook)(void *, const char *, enum pb_fake_op, int) = on_op;
	void *hook_arg = on_op_arg;
	if (p)
		count = p->count[op] + 1;
	pthread_mutex_unlock(&mu);
	if (hook)
		hook(hook_arg, h, op, count);
	pthread_mutex_lock(&mu);
	if (p) {
		p->count[op]++;
		for (int i = 0; i < p->n; i++)
			if (!p->steps[i].used && p->steps[i].op == op) {
				p->steps[i].used = true;
				s = p->steps[i];
				break;
			}
		if (op == PBF_PRINT && (s.cls == PB_OK || s.cls == PB_UNKNOWN))
			p->printed++;
	}
	pthread_mutex_unlock(&mu);
	if (s.delay_ms > 0) {
		struct timespec ts = { s.delay_ms / 1000, (long)(s.delay_ms % 1000) * 1000000L };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	st->reasons = s.reasons;
	snprintf(st->message, sizeof(st->message), "%s", s.message);
	return s.cls;
}

static int
fake_open(const struct pb_config *cfg, void **ret)
{
	*ret = strdup(cfg->device ? cfg->device : "");
	return *ret ? 0 : -ENOMEM;
}

static enum pb_class
fake_status(void *h, struct pb_status *st)
{
	return answer(h, PBF_STATUS, st);
}

static enum pb_class
fake_to_encoder(void *h, struct pb_status *st)
{
	return answer(h, PBF_TO_ENCODER, st);
}

static enum pb_class
fake_print(void *h, const struct pb_face *face, struct pb_status *st)
{
	(void)face;
	return answer(h, PBF_PRINT, st);
}

static enum pb_class
fake_eject(void *h, struct pb_status *st)
{
	return answer(h, PBF_EJECT, st);
}

static enum pb_class
fake_reject(void *h, struct pb_status *st)
{
	return answer(h, PBF_REJECT, st);
}

static enum pb_class
fake_counter(void *h, long *ret_count, struct pb_status *st)
{
	enum pb_class c = answer(h, PBF_COUNTER, st);

	*ret_count = pb_fake_printed(h);
	return c;
}

static void
fake_close(void *h)
{
	free(h);
}

const struct pb_ops pb_fake_ops = {
	.name = "fake",
	.caps = PB_CAP_ENCODER | PB_CAP_REJECT,
	.face = PB_FACE_PANELS,
	.open = fake_open,
	.status = fake_status,
	.to_encoder = fake_to_encoder,
	.print = fake_print,
	.eject = fake_eject,
	.reject = fake_reject,
	.counter = fake_counter,
	.close = fake_close,
};
