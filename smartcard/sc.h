/*
 * sc.h - smartcard module: the only code that talks to PC/SC (libpcsclite).
 *
 * SCARD_* codes are translated to enum sc_outcome here and nowhere else.
 * A context that pcscd dropped (pcscd restarted, service stopped) is released
 * and established again on the next call, so a reader that comes back or a
 * pcscd that restarts is picked up without restarting cetakd.
 */
#ifndef CETAK_SC_H
#define CETAK_SC_H

#include <stddef.h>

enum sc_outcome {
	SC_OK,
	SC_NO_SERVICE,	  /* pcscd not running or unreachable */
	SC_NO_READER,	  /* no reader matches */
	SC_ERROR,	  /* any other PC/SC failure; see the message */
	SC_CARD_ABSENT,	  /* no card arrived within the timeout */
	SC_CARD_MUTE,	  /* no chip answers (no ATR, or it stopped answering) */
	SC_CARD_REMOVED,  /* removed or reset during the work: its state is unknown */
	SC_WRONG_CARD,	  /* not a card of this profile (no application) */
	SC_NOT_BLANK,	  /* already personalised or locked: never overwritten */
	SC_WRITE_FAILED,  /* a CREATE/UPDATE was refused (status word in the result) */
	SC_VERIFY_FAILED, /* read-back or EF.SOD verification failed */
	SC_LOCK_FAILED,	  /* the lock command was refused */
	SC_READER_LOST,	  /* the reader or pcscd went away during the work */
	SC_AUTH_REFUSED,  /* the card refused the SAM: a blank of another district */
	SC_COUNTERFEIT,	  /* the card could not prove the key it should hold */
	SC_SAM_FAILED,	  /* the SAM: absent, blocked, PIN refused, of another district */
};

struct sc_ctx;

/* Returns 0 and *ret_ctx (no PC/SC call is made yet) or -ENOMEM. */
int sc_ctx_new(struct sc_ctx **ret_ctx);
/* Releases the PC/SC context. NULL is fine. */
void sc_ctx_free(struct sc_ctx *ctx);

/*
 * Find the first reader whose name matches the fnmatch(3) pattern. On SC_OK
 * the name is copied into ret_name (len bytes, truncated, NUL-terminated).
 * On other outcomes a short reason is copied into ret_name instead.
 */
enum sc_outcome sc_reader_find(struct sc_ctx *ctx, const char *pattern, char *ret_name, size_t len);

const char *sc_outcome_name(enum sc_outcome o);

/* Wait up to timeout_ms until the reader matching pattern holds no card
 * (a desk reader's card was taken away). SC_OK, SC_CARD_ABSENT on timeout
 * (the card is still there), or the reader's failure. */
enum sc_outcome sc_wait_removal(struct sc_ctx *ctx, const char *pattern, int timeout_ms);

/* Wait up to timeout_ms until a card is in the reader matching pattern (a
 * desk reader: the operator presented a blank). SC_OK, SC_CARD_ABSENT on
 * timeout, or the reader's failure. */
enum sc_outcome sc_wait_present(struct sc_ctx *ctx, const char *pattern, int timeout_ms);

/* ---- card work (sc_card.c) ---- */

#include <openssl/x509.h>
#include <stdint.h>

#include "lds.h"
#include "profile.h"

struct sc_result {
	enum sc_outcome outcome;
	uint16_t sw;	 /* the refusing status word, when there is one */
	char serial[33]; /* chip serial, hex, once read */
	char reader[256];
	char message[300];  /* one line for people */
	unsigned apdus;	    /* command APDUs sent (GET RESPONSE included) */
	size_t bytes_sent;  /* command data bytes written */
	int extended;	    /* extended-length APDUs were used */
	unsigned chunk;	    /* largest UPDATE BINARY data size used */
	double wait_ms;	    /* of the time spent, waiting for the card to arrive */
	unsigned sam_apdus; /* APDUs sent to the SAM (SAM profile) */
};

/* A line's SAM (the SAM profile): the reader it sits in, its PIN, the
 * district it must belong to. */
struct sc_sam {
	char reader[256];  /* fnmatch(3) pattern */
	char pin[64];	   /* "" = none; the caller reads it from its file or credential */
	char district[16]; /* "" = not checked */
	int timeout_ms;	   /* for the SAM to answer in its reader */
};

/*
 * Personalise the blank card in the reader matching pattern (waiting up to
 * timeout_ms for it): read the serial, check the profile's application is
 * there and the card is blank, create and write every file of img, read all
 * back, compare, verify EF.SOD against csca in-process, then lock. Transport
 * errors are retried at most twice; refusals (status words) never are.
 * With a SAM profile (prof->sam) the SAM is opened first (a missing SAM
 * touches no card), then authenticates the card; every later command is in
 * secure messaging, and EF.SOD (absent from img) is signed in the SAM.
 */
enum sc_outcome sc_personalise(struct sc_ctx *ctx, const char *pattern, int timeout_ms,
			       const struct card_profile *prof, const struct lds_image *img,
			       X509_STORE *csca, const struct sc_sam *sam, struct sc_result *res);

/* Is the SAM a SAM profile needs there, with the right PIN and district?
 * Asked before a blank is taken, so that a missing SAM spends none. SC_OK
 * (also for a profile without a SAM) or SC_SAM_FAILED with the reason. */
enum sc_outcome sc_sam_check(struct sc_ctx *ctx, const struct card_profile *prof,
			     const struct sc_sam *sam, struct sc_result *res);

/* What a card holds, read back for people (cetakctl card read). */
struct sc_readout {
	struct sc_result result;
	struct {
		const struct profile_file *pf;
		uint8_t *data; /* owned; NULL when absent */
		size_t len;
	} files[PROFILE_MAX_FILES];
	int n;
	int verified; /* EF.SOD and every hash checked out */
	char verdict[300];
};

/* sam: the SAM a SAM profile's card must be read through (NULL: none, and
 * such a card answers nothing but its serial). */
enum sc_outcome sc_read_card(struct sc_ctx *ctx, const char *pattern, int timeout_ms,
			     const struct card_profile *prof, X509_STORE *csca,
			     const struct sc_sam *sam, struct sc_readout *ret);
void sc_readout_free(struct sc_readout *r);
/* The text of tag inside the data group file ("DG13") read back, printable;
 * "" when the file or the tag is absent. */
void sc_readout_text(const struct sc_readout *r, const char *file, uint32_t tag, char *out,
		     size_t n);

/* "6A82 file not found": a name for a status word. */
const char *sc_sw_name(uint16_t sw);
/* Does this ATR announce extended-length APDUs (ISO 7816-4 card capabilities)? */
int sc_atr_extended(const uint8_t *atr, size_t len);
/* The value of the first simple-TLV data object tag in p (one-byte tags and
 * lengths, as EF.GDO holds them), its length in *ret_len; NULL when absent. */
const uint8_t *sc_find_do(const uint8_t *p, size_t n, uint8_t tag, size_t *ret_len);
/* Is it the ATR a PC/SC reader makes for a contactless card (3B 8n 80 01 ...)? */
int sc_atr_contactless(const uint8_t *atr, size_t len);

#endif
