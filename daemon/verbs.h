/*
 * verbs.h - what the control-socket verb files share (verbs.c holds the
 * table cetakd_verbs; verbs_custody.c the custody verbs).
 */
#ifndef CETAK_VERBS_H
#define CETAK_VERBS_H

#include <jansson.h>

#include "control.h"

/* Set a refusal (CTL_E_BAD_ARGS unless *ret_code is set) and return -1. */
__attribute__((format(printf, 3, 4))) int verb_refuse(char **ret_err, const char **ret_code,
						      const char *fmt, ...);
struct cetakd;
/* The language of the station's documents (station.document_language): "id"
 * or "en", put into the JSON that cetakctl writes a document from. */
const char *doc_language(const struct cetakd *d);
/* The string args.key, or NULL. */
const char *verb_arg(json_t *args, const char *key);

/* Custody of issued cards (verbs_custody.c). */
int verb_card_show(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		   const char **ret_code, char **ret_err);
int verb_card_list(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		   const char **ret_code, char **ret_err);
int verb_card_do(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		 const char **ret_code, char **ret_err);
int verb_card_desk(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		   const char **ret_code, char **ret_err);
int verb_custody(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		 const char **ret_code, char **ret_err);

int verb_card_transfer(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		       const char **ret_code, char **ret_err);
int verb_card_batch(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		    const char **ret_code, char **ret_err);
int verb_privacy(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		 const char **ret_code, char **ret_err);
int verb_privacy_purge(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		       const char **ret_code, char **ret_err);
int verb_card_stocktake(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
			const char **ret_code, char **ret_err);
int verb_notice_run(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
		    const char **ret_code, char **ret_err);

#endif
