/*
 * desk.c - the custody desk's reader (desk.h).
 *
 * One read at a time on the desk's thread, started at the first read and
 * stopped with cetakd. What the thread touches is the task's own: a copy of
 * the card profile, its own reference to the CSCA, its own PC/SC context.
 */
#define _GNU_SOURCE
#include "desk.h"
#include "cetakd.h"
#include "common/log.h"
#include "offload.h"
#include "run.h"

#include <errno.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smartcard/profile.h"
#include "smartcard/sc.h"

struct desk_task {
	struct cetakd *d;
	desk_done_fn done;
	void *arg;
	char pattern[256];
	int timeout_ms;
	struct card_profile prof;
	struct sc_sam sam; /* the SAM profile's SAM at the desk; reader "" = none */
	X509_STORE *csca;
	struct desk_card card;
};

static void
desk_work(void *arg)
{
	struct desk_task *t = arg;
	struct sc_readout ro;
	struct sc_ctx *ctx = NULL;
	enum sc_outcome o;

	if (t->d->sc_new ? t->d->sc_new(t->d->sc_arg, &ctx) < 0 : sc_ctx_new(&ctx) < 0) {
		snprintf(t->card.why, sizeof(t->card.why), "the desk reader cannot be opened");
		return;
	}
	o = sc_read_card(ctx, t->pattern, t->timeout_ms, &t->prof, t->csca,
			 t->sam.reader[0] ? &t->sam : NULL, &ro);
	sc_ctx_free(ctx);
	if (o != SC_OK) {
		snprintf(t->card.why, sizeof(t->card.why),
			 "no card read on the desk reader: %.240s", ro.result.message);
	} else if (!ro.verified) {
		snprintf(
			t->card.why, sizeof(t->card.why),
			"the card's data do not verify (%.180s): not a card this office issued, or "
			"a damaged one",
			ro.verdict);
	} else {
		snprintf(t->card.serial, sizeof(t->card.serial), "%s", ro.result.serial);
		sc_readout_text(&ro, "DG13", 0xC0, t->card.nik, sizeof(t->card.nik));
		t->card.ok = true;
	}
	sc_readout_free(&ro);
}

static void
desk_done(void *arg, bool ran)
{
	struct desk_task *t = arg;

	if (!ran)
		snprintf(t->card.why, sizeof(t->card.why),
			 "cetakd is stopping; read the card again");
	t->done(t->d, &t->card, t->arg);
	if (t->csca)
		X509_STORE_free(t->csca);
	free(t);
}

int
desk_read(struct cetakd *d, desk_done_fn done, void *arg)
{
	const struct sc_sam *sam = NULL;
	const struct card_profile *prof = run_custody_profile(d, &sam);
	struct desk_task *t;
	int r;

	if (!d->desk && (r = offload_start(d->loop, "desk", &d->desk)) < 0)
		return r;
	if (!(t = calloc(1, sizeof(*t))))
		return -ENOMEM;
	t->d = d;
	t->done = done;
	t->arg = arg;
	snprintf(t->pattern, sizeof(t->pattern), "%s", d->cfg->custody_reader);
	t->timeout_ms = d->cfg->custody_read_timeout_s * 1000;
	if (prof)
		t->prof = *prof;
	if (sam)
		t->sam = *sam;
	t->csca = run_csca_ref(d);
	if (!prof || !t->csca) {
		if (t->csca)
			X509_STORE_free(t->csca);
		free(t);
		return -ENOKEY; /* no profile or CSCA: nothing to verify a card with */
	}
	if ((r = offload_submit(d->desk, desk_work, desk_done, t)) < 0) {
		X509_STORE_free(t->csca);
		free(t);
		return r;
	}
	return 0;
}

void
desk_stop(struct cetakd *d)
{
	offload_stop(d->desk);
	d->desk = NULL;
}
