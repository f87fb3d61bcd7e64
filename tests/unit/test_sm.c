/*
 * test_sm.c - secure messaging (smartcard/sm.c) against vectors made
 * outside it: AES-CMAC from RFC 4493, and wrapped commands and responses
 * computed by an independent implementation of ICAO 9303-11 section 9.8
 * (Python's cryptography package, the script in the commit that added this
 * test); then both ends against each other, and every tampering refused.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "smartcard/sm.h"

static size_t
hex(const char *s, uint8_t *out)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void
test_cmac_rfc4493(void **state)
{
	static const char *const msgs[] = {
		"",
		"6bc1bee22e409f96e93d7e117393172a",
		"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411",
		"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411"
		"e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
	};
	static const char *const macs[] = {
		"bb1d6929e95937287fa37d129b756746",
		"070a16b46b4d4144f79bdd9dd04a287c",
		"dfa66747de9ae63030ca32611497c827",
		"51f0bebf7e3b9d92fc49741779363cfe",
	};
	uint8_t key[16], m[64], want[16], got[16];

	hex("2b7e151628aed2a6abf7158809cf4f3c", key);
	for (int i = 0; i < 4; i++) {
		size_t n = hex(msgs[i], m);
		hex(macs[i], want);
		assert_int_equal(sm_cmac(key, m, n, got), 0);
		assert_memory_equal(got, want, 16);
	}
}

static void
test_keys(void **state)
{
	uint8_t zero[16] = { 0 }, k[16], want[16], master[16], kenc[16], kmac[16], serial[8];

	sm_kdf(zero, 16, 1, k);
	hex("9A8F128265E48CF2CB691B4CEFCCC055", want);
	assert_memory_equal(k, want, 16);
	memset(master, 0x11, sizeof(master));
	hex("0411223344556601", serial);
	sm_card_keys(master, serial, 8, kenc, kmac);
	hex("BB685A8669914B2955669620EC0751C3", want);
	assert_memory_equal(kenc, want, 16);
	hex("6D664B60A32C5208712ED2FFAD16E091", want);
	assert_memory_equal(kmac, want, 16);
}

/* The session of the vectors: K.IFD 00..0F, K.IC 10..1F. */
static void
session(struct sm_ctx *s)
{
	uint8_t kifd[16], kic[16], rnd_ic[8], rnd_ifd[8];

	for (int i = 0; i < 16; i++)
		kifd[i] = (uint8_t)i, kic[i] = (uint8_t)(16 + i);
	hex("0102030405060708", rnd_ic);
	hex("1112131415161718", rnd_ifd);
	assert_int_equal(sm_session(kifd, kic, rnd_ic, rnd_ifd, s), 0);
}

static void
test_vectors(void **state)
{
	struct sm_ctx host, card;
	uint8_t out[128], want[128], in[128];
	long n;
	size_t wn;

	session(&host);
	session(&card);
	/* UPDATE BINARY of "hello" at 0010 */
	n = sm_wrap(&host, (const uint8_t *)"\x00\xD6\x00\x10\x05hello", 10, 0, out);
	wn = hex("0CD600101D871101D93D4C4359A3FFB86F63E1210B8BEE7E8E08A2382E98B24150BA00", want);
	assert_int_equal(n, (long)wn);
	assert_memory_equal(out, want, wn);
	n = sm_card_unwrap(&card, want, wn, in);
	assert_int_equal(n, 10);
	assert_memory_equal(in, "\x00\xD6\x00\x10\x05hello", 10);
	/* its answer: 9000 */
	n = sm_card_wrap(&card, (const uint8_t *)"\x90\x00", 2, out);
	wn = hex("990290008E08C45169171478FD6A9000", want);
	assert_int_equal(n, (long)wn);
	assert_memory_equal(out, want, wn);
	assert_int_equal(sm_unwrap(&host, want, wn, in), 2);
	assert_memory_equal(in, "\x90\x00", 2);
	/* READ BINARY of 4 bytes, answered "abcd" */
	n = sm_wrap(&host, (const uint8_t *)"\x00\xB0\x00\x00\x04", 5, 0, out);
	wn = hex("0CB000000D9701048E0820A2A234D1B082EC00", want);
	assert_int_equal(n, (long)wn);
	assert_memory_equal(out, want, wn);
	assert_int_equal(sm_card_unwrap(&card, want, wn, in), 5);
	assert_memory_equal(in, "\x00\xB0\x00\x00\x04", 5);
	n = sm_card_wrap(&card, (const uint8_t *)"abcd\x90\x00", 6, out);
	wn = hex("87110170FA4413B72C7D7B0BDE35D09AD1006C990290008E087F59CED9C3E6ECBC9000", want);
	assert_int_equal(n, (long)wn);
	assert_memory_equal(out, want, wn);
	assert_int_equal(sm_unwrap(&host, want, wn, in), 6);
	assert_memory_equal(in, "abcd\x90\x00", 6);
	sm_clear(&host);
	sm_clear(&card);
}

/* Every byte of a wrapped command or response, changed, is refused; so is
 * one sent again (the counter moved on). */
static void
test_tampering(void **state)
{
	static uint8_t data[600], out[700], bad[700], in[700];
	struct sm_ctx host, card;
	uint8_t cmd[8 + sizeof(data)];
	long n;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	memcpy(cmd, "\x00\xD6\x01\x00\x00\x02\x58", 7); /* extended, 600 bytes */
	memcpy(cmd + 7, data, sizeof(data));
	session(&host);
	session(&card);
	n = sm_wrap(&host, cmd, 7 + sizeof(data), 1, out);
	assert_true(n > 7 + (long)sizeof(data));
	assert_null(memmem(out, (size_t)n, data + 100, 16)); /* nothing in clear */
	for (long i = 4; i < n; i += 37) {
		struct sm_ctx c2;
		session(&c2);
		memcpy(bad, out, (size_t)n);
		bad[i] ^= 0x01;
		assert_true(sm_card_unwrap(&c2, bad, (size_t)n, in) < 0);
		sm_clear(&c2);
	}
	assert_int_equal(sm_card_unwrap(&card, out, (size_t)n, in), (long)(7 + sizeof(data)));
	assert_memory_equal(in, cmd, 7 + sizeof(data));
	assert_true(sm_card_unwrap(&card, out, (size_t)n, in) < 0); /* a replay */
	/* a response: changed anywhere, it is refused (fresh sessions: the
	 * first answer of each) */
	struct sm_ctx c3;
	session(&c3);
	n = sm_card_wrap(&c3, (const uint8_t *)"abcdefgh\x90\x00", 10, out);
	sm_clear(&c3);
	for (long i = 0; i < n - 2; i++) {
		struct sm_ctx h2;
		session(&h2);
		memcpy(bad, out, (size_t)n);
		bad[i] ^= 0x80;
		assert_int_equal(sm_unwrap(&h2, bad, (size_t)n, in), -EBADMSG);
		sm_clear(&h2);
	}
	struct sm_ctx h3;
	session(&h3);
	assert_int_equal(sm_unwrap(&h3, out, (size_t)n, in), 10);
	assert_memory_equal(in, "abcdefgh\x90\x00", 10);
	sm_clear(&h3);
	assert_int_equal(sm_unwrap(&host, (const uint8_t *)"\x90\x00", 2, in), -EBADMSG);
	assert_int_equal(sm_unwrap(&host, (const uint8_t *)"\x69\x88", 2, in), 2);
	sm_clear(&host);
	sm_clear(&card);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmac_rfc4493),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_tampering),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
