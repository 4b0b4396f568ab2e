/* SPDX-License-Identifier: MIT */
/* Tests for seal_keycache: kept message keys, and the opener using them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "check.h"
#include "sp_keycache.h"
#include "sp_seal.h"

#define T0   1000 /* an arbitrary start time */
#define HLEN 126  /* the size of a real seal header with a 16-byte key id */

/* id number n: "k" and 21 digits, a well-formed message id. */
static void
make_id(char out[SP_ID_LEN + 1], unsigned n)
{
	snprintf(out, SP_ID_LEN + 1, "k%021u", n);
}

static void
make_header(unsigned char h[HLEN], unsigned n)
{
	size_t i;

	for (i = 0; i < HLEN; i++)
		h[i] = (unsigned char)(i * 7 + n);
}

static void
make_key(unsigned char k[SP_KEYCACHE_KEYLEN], unsigned n)
{
	memset(k, (int)(n % 255) + 1, SP_KEYCACHE_KEYLEN);
}

static struct sp_keycache *
new_cache(void)
{
	struct sp_keycache *kc = NULL;
	struct sp_error err;

	CHECK_INT(
	    sp_keycache_new(&kc, SP_KEYCACHE_ENTRIES, SP_KEYCACHE_TTL, &err),
	    SP_OK);
	return kc;
}

/* Puts entry n (id n, header n, key n) at time t. */
static void
put_n(struct sp_keycache *kc, unsigned n, int64_t t)
{
	unsigned char h[HLEN], k[SP_KEYCACHE_KEYLEN];
	char id[SP_ID_LEN + 1];

	make_id(id, n);
	make_header(h, n);
	make_key(k, n);
	sp_keycache_put(kc, id, h, HLEN, t, k);
}

/* True when entry n is found at t with key n. */
static bool
has_n(struct sp_keycache *kc, unsigned n, int64_t t)
{
	unsigned char h[HLEN], k[SP_KEYCACHE_KEYLEN], got[SP_KEYCACHE_KEYLEN];
	char id[SP_ID_LEN + 1];

	make_id(id, n);
	make_header(h, n);
	make_key(k, n);
	memset(got, 0, sizeof(got));
	if (!sp_keycache_get(kc, id, h, HLEN, t, got))
		return false;
	CHECK_MEM(got, sizeof(got), k, sizeof(k));
	return true;
}

static void
kept_key_is_found_by_id_and_header(void **state)
{
	struct sp_keycache *kc = new_cache();

	(void)state;
	put_n(kc, 1, T0);
	CHECK_INT(has_n(kc, 1, T0), 1);
	CHECK_INT(has_n(kc, 1, T0 + 10), 1);
	CHECK_INT(has_n(kc, 2, T0), 0);
	CHECK_INT((int)sp_keycache_count(kc, T0), 1);
	sp_keycache_free(kc);
}

static void
changed_header_byte_misses(void **state)
{
	static const size_t where[] = { 0, 5, 6, 40, 100, HLEN - 1 };
	unsigned char h[HLEN], got[SP_KEYCACHE_KEYLEN];
	struct sp_keycache *kc = new_cache();
	char id[SP_ID_LEN + 1];
	size_t i;

	(void)state;
	put_n(kc, 3, T0);
	make_id(id, 3);
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		make_header(h, 3);
		h[where[i]] ^= 0x01;
		if (sp_keycache_get(kc, id, h, HLEN, T0, got))
			fail_msg("header byte %zu changed: got a hit, want a "
			         "miss",
			    where[i]);
	}
	make_header(h, 3);
	CHECK_INT(sp_keycache_get(kc, id, h, HLEN - 1, T0, got), 0);
	CHECK_INT(has_n(kc, 3, T0), 1); /* the entry itself is intact */
	sp_keycache_free(kc);
}

static void
entry_expires_ttl_after_unwrap_even_when_used(void **state)
{
	static const struct {
		int64_t at;
		bool hit;
	} cases[] = {
		{ T0 + 1, true }, { T0 + SP_KEYCACHE_TTL - 1, true },
		{ T0 + SP_KEYCACHE_TTL, false },
		{ T0 + SP_KEYCACHE_TTL - 1, false }, /* gone for good */
	};
	struct sp_keycache *kc = new_cache();
	size_t i;

	(void)state;
	put_n(kc, 4, T0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (has_n(kc, 4, cases[i].at) != cases[i].hit)
			fail_msg("case %zu at T0+%lld: got %s, want %s", i,
			    (long long)(cases[i].at - T0),
			    cases[i].hit ? "miss" : "hit",
			    cases[i].hit ? "hit" : "miss");
	CHECK_INT(sp_keycache_unused_wiped(kc), 1);
	sp_keycache_free(kc);
}

static void
clock_going_back_misses(void **state)
{
	struct sp_keycache *kc = new_cache();

	(void)state;
	put_n(kc, 5, T0);
	CHECK_INT(has_n(kc, 5, T0 - 1), 0);
	sp_keycache_free(kc);
}

static void
full_cache_evicts_least_recently_used(void **state)
{
	struct sp_keycache *kc = new_cache();
	unsigned n;

	(void)state;
	for (n = 0; n < SP_KEYCACHE_ENTRIES; n++)
		put_n(kc, n, T0);
	CHECK_INT((int)sp_keycache_count(kc, T0), SP_KEYCACHE_ENTRIES);
	CHECK_INT(has_n(kc, 0, T0), 1); /* 0 used: 1 is now the oldest */
	put_n(kc, SP_KEYCACHE_ENTRIES, T0 + 1);
	CHECK_INT((int)sp_keycache_count(kc, T0 + 1), SP_KEYCACHE_ENTRIES);
	CHECK_INT(has_n(kc, 1, T0 + 1), 0);
	CHECK_INT(has_n(kc, 0, T0 + 1), 1);
	CHECK_INT(has_n(kc, 2, T0 + 1), 1);
	CHECK_INT(has_n(kc, SP_KEYCACHE_ENTRIES, T0 + 1), 1);
	CHECK_INT(sp_keycache_unused_wiped(kc), 1);
	sp_keycache_free(kc);
}

static void
put_of_same_id_replaces_its_entry(void **state)
{
	unsigned char h[HLEN], k[SP_KEYCACHE_KEYLEN], got[SP_KEYCACHE_KEYLEN];
	struct sp_keycache *kc = new_cache();
	char id[SP_ID_LEN + 1];

	(void)state;
	put_n(kc, 6, T0);
	make_id(id, 6);
	make_header(h, 60);
	make_key(k, 60);
	sp_keycache_put(kc, id, h, HLEN, T0, k);
	CHECK_INT((int)sp_keycache_count(kc, T0), 1);
	CHECK_INT(has_n(kc, 6, T0), 0); /* the old header misses */
	CHECK_INT(sp_keycache_get(kc, id, h, HLEN, T0, got), 1);
	CHECK_MEM(got, sizeof(got), k, sizeof(k));
	sp_keycache_free(kc);
}

static void
clear_wipes_every_key(void **state)
{
	struct sp_keycache *kc = new_cache();
	unsigned n;

	(void)state;
	for (n = 0; n < 10; n++)
		put_n(kc, n, T0);
	CHECK_INT(sp_keycache_unused_wiped(kc), 1);
	sp_keycache_clear(kc);
	CHECK_INT((int)sp_keycache_count(kc, T0), 0);
	CHECK_INT(sp_keycache_unused_wiped(kc), 1);
	CHECK_INT(has_n(kc, 3, T0), 0);
	sp_keycache_free(kc);
	sp_keycache_free(NULL);
}

static void
bad_sizes_are_refused(void **state)
{
	static const struct {
		size_t max;
		int64_t ttl;
	} cases[] = { { 0, 300 }, { SP_KEYCACHE_ENTRIES + 1, 300 }, { 64, 0 },
		{ 64, -1 } };
	struct sp_keycache *kc;
	struct sp_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kc = (struct sp_keycache *)&err; /* must be reset */
		CHECK_INT(
		    sp_keycache_new(&kc, cases[i].max, cases[i].ttl, &err),
		    SP_EINVAL);
		CHECK_INT(kc == NULL, 1);
	}
}

/* ---- the opener with a ring that keeps keys ---- */

struct sealed {
	unsigned char header[SP_SEAL_HEADER_MAX];
	size_t hlen;
	unsigned char chunk[256];
	size_t clen;
};

static int
keep_chunk(void *ctx, uint32_t seq, const unsigned char *c, size_t len)
{
	struct sealed *s = ctx;

	if (seq != 0 || len > sizeof(s->chunk))
		return SP_EINVAL;
	memcpy(s->chunk, c, len);
	s->clen = len;
	return SP_OK;
}

static void
seal_text(const struct sp_keypair *kp, const char *id, const char *text,
    struct sealed *s)
{
	struct sp_sealer *sl = NULL;
	struct sp_error err;
	const unsigned char *h;

	CHECK_INT(sp_sealer_new(&sl, kp, id, keep_chunk, s, &err), SP_OK);
	CHECK_INT(sp_sealer_push(sl, text, strlen(text), &err), SP_OK);
	CHECK_INT(sp_sealer_finish(sl, &err), SP_OK);
	h = sp_sealer_header(sl, &s->hlen);
	memcpy(s->header, h, s->hlen);
	sp_sealer_free(sl);
}

/* Opens s with kr; the plaintext into out (NUL-terminated). */
static int
open_text(const struct sp_keyring *kr, const char *id, const struct sealed *s,
    char *out)
{
	struct sp_opener *o = NULL;
	unsigned char *buf = malloc(SP_SEAL_CHUNK);
	struct sp_error err;
	size_t n = 0;
	bool final;
	int rc;

	if (buf == NULL)
		fail_msg("out of memory");
	rc = sp_opener_new(&o, kr, id, s->header, s->hlen, &err);
	if (rc == SP_OK)
		rc = sp_opener_pull(
		    o, 0, s->chunk, s->clen, buf, &n, &final, &err);
	if (rc == SP_OK)
		rc = sp_opener_end(o, &err);
	memcpy(out, buf, n);
	out[n] = '\0';
	sp_opener_free(o);
	free(buf);
	return rc;
}

static void
opener_uses_kept_key_only_for_same_header(void **state)
{
	struct sp_keypair kp;
	struct sp_keyring kr = { &kp, 1, NULL };
	unsigned char real_sk[SP_SK_BYTES];
	struct sealed a, b;
	struct sp_error err;
	char id[SP_ID_LEN + 1], got[256];

	(void)state;
	memset(&kp, 0, sizeof(kp));
	snprintf(kp.id, sizeof(kp.id), "0000000000000c01");
	kp.sk = sodium_malloc(SP_SK_BYTES);
	CHECK_INT(kp.sk != NULL, 1);
	crypto_box_keypair(kp.pk, kp.sk);
	sp_id_new(id);
	seal_text(&kp, id, "first text", &a);
	CHECK_INT(sp_keyring_keycache_enable(&kr, &err), SP_OK);
	CHECK_INT(open_text(&kr, id, &a, got), SP_OK);
	CHECK_STR(got, "first text");

	/* With the secret key spoiled only a kept key can open a. */
	memcpy(real_sk, kp.sk, SP_SK_BYTES);
	memset(kp.sk, 0x42, SP_SK_BYTES);
	CHECK_INT(open_text(&kr, id, &a, got), SP_OK);
	CHECK_STR(got, "first text");
	sp_keycache_clear(kr.msgkeys); /* and without it, it cannot */
	CHECK_INT(open_text(&kr, id, &a, got), SP_EAUTH);

	/* The same id sealed again has another header: no kept key. */
	seal_text(&kp, id, "second text", &b);
	CHECK_INT(open_text(&kr, id, &b, got), SP_EAUTH);
	memcpy(kp.sk, real_sk, SP_SK_BYTES);
	CHECK_INT(open_text(&kr, id, &b, got), SP_OK);
	CHECK_STR(got, "second text");
	sodium_memzero(real_sk, sizeof(real_sk));
	sp_keycache_free(kr.msgkeys);
	sodium_free(kp.sk);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kept_key_is_found_by_id_and_header),
		cmocka_unit_test(changed_header_byte_misses),
		cmocka_unit_test(entry_expires_ttl_after_unwrap_even_when_used),
		cmocka_unit_test(clock_going_back_misses),
		cmocka_unit_test(full_cache_evicts_least_recently_used),
		cmocka_unit_test(put_of_same_id_replaces_its_entry),
		cmocka_unit_test(clear_wipes_every_key),
		cmocka_unit_test(bad_sizes_are_refused),
		cmocka_unit_test(opener_uses_kept_key_only_for_same_header),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
