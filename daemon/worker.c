/*
 * worker.c - the print line's thread for physical steps (worker.h).
 */
#define _GNU_SOURCE
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct worker {
	struct wk_setup s;
	char queue[128], server[4096], device[16], serial[128];
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int efd;
	bool started, quit, pending, running, done;
	bool sam_pin_refused; /* the worker thread's own */
	enum wk_op op;
	const struct lds_image *img;
	const struct pb_face *face;
	struct wk_result res;
	void *pbh;
	struct sc_ctx *sc;
	X509_STORE *csca; /* a reference of our own; replaced by worker_set_csca() */
};

const char *
wk_op_name(enum wk_op op)
{
	static const char *const names[] = {
		"feed", "encode", "print", "eject", "reject", "status"
	};
	return (unsigned)op <= WK_STATUS ? names[op] : "?";
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
run_op(struct worker *w, enum wk_op op, X509_STORE *csca, struct wk_result *r)
{
	const struct pb_ops *ops = w->s.ops;

	memset(r, 0, sizeof(*r));
	r->op = op;
	r->cls = PB_OK;
	r->sc = SC_OK;
	r->counter = -1;
	pb_status_clear(&r->st);
	switch (op) {
	case WK_FEED:
		if (w->s.prof && w->s.prof->sam) {
			/* no blank is taken while the SAM cannot work: a PIN it refused
			 * is not tried again (each try spends one) until a restart */
			r->sc = w->sam_pin_refused
					? SC_SAM_FAILED
					: sc_sam_check(w->sc, w->s.prof,
						       w->s.sam.reader[0] ? &w->s.sam : NULL,
						       &r->card);
			if ((r->card.sw & 0xFFF0) == 0x63C0)
				w->sam_pin_refused = true;
			if (r->sc != SC_OK) {
				r->cls = PB_STOP;
				snprintf(r->st.message, sizeof(r->st.message), "%.250s",
					 r->card.message[0]
						 ? r->card.message
						 : "the SAM refused its PIN: fix sam_pin "
						   "and restart cetakd");
				r->sc = SC_OK;
				break;
			}
		}
		if (w->s.desk) {
			r->sc = sc_wait_present(w->sc, w->s.reader, w->s.present_timeout_ms);
			r->cls = r->sc == SC_OK		   ? PB_OK
				 : r->sc == SC_CARD_ABSENT ? PB_HOLD
							   : PB_STOP;
			snprintf(r->st.message, sizeof(r->st.message), "%s",
				 r->sc == SC_OK ? ""
				 : r->sc == SC_CARD_ABSENT
					 ? "waiting for a blank at the desk reader"
					 : sc_outcome_name(r->sc));
		} else if (ops->to_encoder && (ops->caps & PB_CAP_ENCODER)) {
			r->cls = ops->to_encoder(w->pbh, &r->st);
		}
		break;
	case WK_ENCODE:
		r->sc = sc_personalise(w->sc, w->s.reader, w->s.card_timeout_ms, w->s.prof, w->img,
				       csca, w->s.sam.reader[0] ? &w->s.sam : NULL, &r->card);
		break;
	case WK_PRINT:
		if (w->s.desk) { /* the operator carries the encoded card to the printer */
			r->sc = sc_wait_removal(w->sc, w->s.reader, w->s.present_timeout_ms);
			if (r->sc != SC_OK) {
				r->cls = PB_HOLD;
				snprintf(r->st.message, sizeof(r->st.message),
					 "take the encoded card from the desk reader and put it in "
					 "the printer's feeder");
				r->sc = SC_OK;
				break;
			}
		}
		r->cls = ops->print(w->pbh, w->face, &r->st);
		break;
	case WK_EJECT:
		r->cls = ops->eject ? ops->eject(w->pbh, &r->st) : PB_OK;
		break;
	case WK_REJECT:
		if (ops->reject && (ops->caps & PB_CAP_REJECT))
			r->cls = ops->reject(w->pbh, &r->st);
		else
			snprintf(r->st.message, sizeof(r->st.message),
				 "this printer has no reject box: put the card in the reject tray");
		break;
	case WK_STATUS:
		r->cls = ops->status(w->pbh, &r->st);
		if (ops->counter) {
			struct pb_status cs;
			if (ops->counter(w->pbh, &r->counter, &cs) != PB_OK)
				r->counter = -1;
		}
		break;
	}
}

static void *
thread_main(void *arg)
{
	struct worker *w = arg;
	uint64_t one = 1;

	if (w->s.sc_new)
		w->s.sc_new(w->s.sc_arg, &w->sc);
	else
		sc_ctx_new(&w->sc);
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->pending && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->quit && !w->pending)
			break;
		enum wk_op op = w->op;
		X509_STORE *csca = w->csca; /* held for this operation, even across a reload */
		if (csca)
			X509_STORE_up_ref(csca);
		w->pending = false;
		w->running = true;
		pthread_mutex_unlock(&w->mu);

		struct wk_result r;
		double t0 = now_ms();
		run_op(w, op, csca, &r);
		r.end_ms = now_ms();
		r.ms = r.end_ms - t0;
		X509_STORE_free(csca);

		pthread_mutex_lock(&w->mu);
		w->res = r;
		w->running = false;
		w->done = true;
		if (write(w->efd, &one, sizeof(one)) < 0) {
			/* the counter is already non-zero: the engine will look */
		}
	}
	pthread_mutex_unlock(&w->mu);
	sc_ctx_free(w->sc);
	return NULL;
}

int
worker_start(const struct wk_setup *setup, struct worker **ret)
{
	struct worker *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	w->s = *setup;
	snprintf(w->queue, sizeof(w->queue), "%s", setup->pb.queue ? setup->pb.queue : "");
	snprintf(w->server, sizeof(w->server), "%s", setup->pb.server ? setup->pb.server : "");
	snprintf(w->device, sizeof(w->device), "%s", setup->pb.device ? setup->pb.device : "");
	snprintf(w->serial, sizeof(w->serial), "%s", setup->pb.serial ? setup->pb.serial : "");
	w->s.pb.queue = w->queue;
	w->s.pb.server = w->server;
	w->s.pb.device = w->device;
	w->s.pb.serial = w->serial;
	if ((w->csca = setup->csca))
		X509_STORE_up_ref(w->csca);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0 || (r = w->s.ops->open(&w->s.pb, &w->pbh)) < 0) {
		r = w->efd < 0 ? -errno : r;
		if (w->efd >= 0)
			close(w->efd);
		free(w);
		return r;
	}
	if ((r = pthread_create(&w->th, NULL, thread_main, w)) != 0) {
		if (w->s.ops->close)
			w->s.ops->close(w->pbh);
		close(w->efd);
		free(w);
		return -r;
	}
	w->started = true;
	*ret = w;
	return 0;
}

void
worker_stop(struct worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	if (w->s.ops->close)
		w->s.ops->close(w->pbh);
	close(w->efd);
	X509_STORE_free(w->csca);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

void
worker_set_csca(struct worker *w, X509_STORE *csca)
{
	if (csca)
		X509_STORE_up_ref(csca);
	pthread_mutex_lock(&w->mu);
	X509_STORE *old = w->csca;
	w->csca = csca;
	pthread_mutex_unlock(&w->mu);
	X509_STORE_free(old);
}

int
worker_fd(const struct worker *w)
{
	return w->efd;
}

bool
worker_busy(const struct worker *w)
{
	struct worker *m = (struct worker *)w;
	bool busy;

	pthread_mutex_lock(&m->mu);
	busy = m->pending || m->running || m->done;
	pthread_mutex_unlock(&m->mu);
	return busy;
}

int
worker_submit(struct worker *w, enum wk_op op, const struct lds_image *img,
	      const struct pb_face *face)
{
	int r = 0;

	pthread_mutex_lock(&w->mu);
	if (w->pending || w->running || w->done) {
		r = -EBUSY;
	} else {
		w->op = op;
		w->img = img;
		w->face = face;
		w->pending = true;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return r;
}

int
worker_result(struct worker *w, struct wk_result *ret)
{
	uint64_t n;
	int r = -EAGAIN;

	if (read(w->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return -errno;
	pthread_mutex_lock(&w->mu);
	if (w->done) {
		*ret = w->res;
		w->done = false;
		r = 0;
	}
	pthread_mutex_unlock(&w->mu);
	return r;
}
