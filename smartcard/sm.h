/*
 * sm.h - ISO/IEC 7816-4 secure messaging with AES-128, as ICAO 9303-11
 * (section 9.8) specifies it for PACE, and the card-SAM mutual
 * authentication that yields its session keys (docs/card-profile.md).
 *
 * Both ends are here: the host wraps commands and unwraps responses
 * (sc_card.c); the test card unwraps commands and wraps responses
 * (tests/fixtures/cardcore.c), and the test SAM seals and opens the
 * authentication cryptograms (tests/fixtures/samcore.c). The same code on
 * both sides is checked against the published construction by the unit
 * test's fixed vectors (tests/unit/test_sm.c), not only against itself.
 *
 * Keys: a card's transport key is CMAC(master, serial) (diversification);
 * every key pair is KDF(K, 1) for encryption and KDF(K, 2) for the MAC,
 * KDF = the first 16 bytes of SHA-1(K || counter). Session keys come from
 * KDF(K.IFD xor K.IC); the send sequence counter starts at RND.IC[4..8] ||
 * RND.IFD[4..8] in its last 8 bytes. Commands carry DO 87 (padded,
 * AES-CBC encrypted data, IV = E(KSenc, SSC)), DO 97 (Le) and DO 8E (the
 * first 8 bytes of the AES-CMAC over SSC, the padded header and the data
 * objects); responses DO 87, DO 99 (the status word) and DO 8E.
 *
 * Failure: a response whose MAC, padding or structure is wrong gives
 * -EBADMSG and nothing of its content; the session is then finished.
 */
#ifndef CETAK_SM_H
#define CETAK_SM_H

#include <stddef.h>
#include <stdint.h>

#define SM_KEY 16
#define SM_MAC 8
/* Largest plain data a command of limit bytes of data carries once wrapped
 * (DO 87 with its padding, DO 8E), and a response of limit bytes (DO 87,
 * DO 99, DO 8E). */
#define SM_PLAIN_CMD(limit) ((((limit)-15) / 16) * 16 - 1)
#define SM_PLAIN_RESP(limit) ((((limit)-19) / 16) * 16 - 1)

struct evp_cipher_ctx_st;

struct sm_ctx {
	struct evp_cipher_ctx_st *enc_e, *enc_d, *mac_e;
	uint8_t k1[16], k2[16]; /* CMAC subkeys */
	uint8_t ssc[16];
	int ready;
};

/* Set up a session from its two keys and the starting counter. 0 or -ENOMEM. */
int sm_init(struct sm_ctx *s, const uint8_t kenc[SM_KEY], const uint8_t kmac[SM_KEY],
	    const uint8_t ssc[16]);
/* Forget the keys (and free the cipher state). Safe on a zeroed or cleared ctx. */
void sm_clear(struct sm_ctx *s);

/* KDF(seed, counter): the first 16 bytes of SHA-1(seed || counter, big-endian). */
void sm_kdf(const uint8_t *seed, size_t len, uint32_t counter, uint8_t out[SM_KEY]);
/* AES-CMAC (NIST SP 800-38B) of data under key, all 16 bytes. */
int sm_cmac(const uint8_t key[SM_KEY], const uint8_t *data, size_t n, uint8_t out[16]);
/* A card's transport key pair from the master key and its serial. */
void sm_card_keys(const uint8_t master[SM_KEY], const uint8_t *serial, size_t n,
		  uint8_t kenc[SM_KEY], uint8_t kmac[SM_KEY]);
/* The session of an authentication: keys from K.IFD xor K.IC, the counter
 * from the two challenges. 0 or -ENOMEM. */
void sm_session_keys(const uint8_t kifd[16], const uint8_t kic[16], const uint8_t rnd_ic[8],
		     const uint8_t rnd_ifd[8], uint8_t kenc[SM_KEY], uint8_t kmac[SM_KEY],
		     uint8_t ssc[16]);
int sm_session(const uint8_t kifd[16], const uint8_t kic[16], const uint8_t rnd_ic[8],
	       const uint8_t rnd_ifd[8], struct sm_ctx *ret);

/* An authentication cryptogram: in (32 bytes) encrypted (AES-CBC, zero IV)
 * then its CMAC's first 8 bytes: out is 40 bytes. 0 or -ENOMEM. */
int sm_auth_seal(const uint8_t kenc[SM_KEY], const uint8_t kmac[SM_KEY], const uint8_t in[32],
		 uint8_t out[40]);
/* Check and open one: 0 with out, -EBADMSG when the MAC is wrong. */
int sm_auth_open(const uint8_t kenc[SM_KEY], const uint8_t kmac[SM_KEY], const uint8_t in[40],
		 uint8_t out[32]);

/*
 * Host: wrap the plain command apdu (cases 1-4, short or extended) into
 * out (room for n + 48 bytes); ext: use extended length for the wrapped
 * one. Returns its length, or -EINVAL for a malformed command.
 */
long sm_wrap(struct sm_ctx *s, const uint8_t *apdu, size_t n, int ext, uint8_t *out);
/* Host: unwrap a response (its data objects and the outer status word) into
 * out (data then the inner status word; room for n bytes). Its length, or
 * -EBADMSG. */
long sm_unwrap(struct sm_ctx *s, const uint8_t *resp, size_t n, uint8_t *out);

/* Card: unwrap a protected command into the plain one (out: room for n).
 * Its length, or -EBADMSG (the card answers 6988). */
long sm_card_unwrap(struct sm_ctx *s, const uint8_t *apdu, size_t n, uint8_t *out);
/* Card: wrap a plain response (data and status word) into out (room for
 * n + 32). Its length. */
long sm_card_wrap(struct sm_ctx *s, const uint8_t *resp, size_t n, uint8_t *out);

#endif
