/*
 * fuzz_card.c - libFuzzer target for what a card sends back: BER-TLV
 * (EF.COM, data groups), ATRs, EF.GDO's data objects, EF.SOD objects checked
 * against a fixed trust store, secure-messaging answers (and commands, as
 * the test card unwraps them), and the job's signature PNG as the chip's
 * fitting decodes it. Never crash, never leak; an accepted EF.SOD cannot
 * happen without a signature from the (absent) CSCA, nor an accepted
 * wrapped answer without the session's MAC key.
 */
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smartcard/fit.h"
#include "smartcard/sc.h"
#include "smartcard/sm.h"
#include "smartcard/sod.h"
#include "smartcard/tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
walk(const uint8_t *p, size_t n, int depth)
{
	struct tlv t;

	while (n > 0 && depth < 8) {
		if (tlv_parse(p, n, &t) < 0)
			return;
		if (t.total > n || t.value < p || t.value + t.len > p + n)
			abort();
		if (t.tag & 0x20 || (t.tag > 0xFF && (t.tag >> 8) & 0x20))
			walk(t.value, t.len, depth + 1); /* constructed */
		p += t.total;
		n -= t.total;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static X509_STORE *empty;
	struct tlv t;
	char why[256];

	if (!empty)
		empty = X509_STORE_new();
	size_t total;
	walk(data, size, 0);
	if (tlv_expected_size(data, size, &total) == 0 && tlv_parse(data, size, &t) == 0 &&
	    t.total != total)
		abort(); /* the two must agree on any TLV that parses */
	tlv_find(data, size, 0x5C, &t);
	sc_atr_extended(data, size > 33 ? 33 : size);
	sc_atr_contactless(data, size > 33 ? 33 : size);
	/* EF.GDO as a card reads it back: the serial's data object */
	size_t dlen;
	const uint8_t *dv = sc_find_do(data, size, 0x5A, &dlen);
	if (dv && (dv < data || dv + dlen > data + size))
		abort();
	/* a wrapped answer or command under keys the input does not know */
	static uint8_t out[70000];
	static const uint8_t k[16] = { 1, 2, 3 }, ssc[16] = { 0 };
	struct sm_ctx sm;
	if (size < 65536 && sm_init(&sm, k, k, ssc) == 0) {
		long n = sm_unwrap(&sm, data, size, out);
		if (n > 2 || (n == 2 && size != 2))
			abort(); /* a MAC of a key it cannot know */
		sm_card_unwrap(&sm, data, size, out);
		sm_clear(&sm);
	}
	struct fit_image fi;
	if (size < 65536 && fit_signature(data, size, 64, &fi) == 0)
		fit_image_free(&fi);
	struct sod_dg dg = { 1, data, size };
	if (sod_verify(data, size, empty, &dg, 1, why, sizeof(why)) == 0)
		abort(); /* nothing verifies against an empty trust store */
	return 0;
}
