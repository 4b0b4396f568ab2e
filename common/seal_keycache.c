/* SPDX-License-Identifier: MIT */
/*
 * seal_keycache: recently unwrapped message keys (sp_keycache.h).
 *
 * A fixed table of at most SP_KEYCACHE_ENTRIES entries, searched in
 * full (64 comparisons of a 22-byte id cost far less than one X25519).
 * What identifies an entry (id, header hash, times) is in ordinary
 * memory; the keys themselves are slots of one sodium_malloc block, so
 * they sit in locked pages between guard pages.  A slot is wiped as soon
 * as its entry stops being live: on expiry (noticed by get, put or
 * count), eviction, replacement, clear and free.
 */
#include "sp_keycache.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct kc_entry {
	char id[SP_ID_LEN + 1];
	unsigned char hash[crypto_generichash_BYTES];
	int64_t born;  /* when the key was unwrapped */
	uint64_t used; /* kc->clock at the last hit or put */
	bool live;
};

struct sp_keycache {
	size_t max;
	int64_t ttl;
	uint64_t clock;      /* counts puts and hits, for least recently used */
	unsigned char *keys; /* sodium_malloc, max * SP_KEYCACHE_KEYLEN */
	struct kc_entry e[SP_KEYCACHE_ENTRIES];
};

int
sp_keycache_new(
    struct sp_keycache **out, size_t max, int64_t ttl, struct sp_error *err)
{
	struct sp_keycache *kc;

	*out = NULL;
	if (max == 0 || max > SP_KEYCACHE_ENTRIES || ttl <= 0)
		return sp_error_set(err, SP_EINVAL,
		    "key cache: %zu entries for %lld s, want 1..%d entries "
		    "for more than 0 s",
		    max, (long long)ttl, SP_KEYCACHE_ENTRIES);
	if (sodium_init() < 0)
		return sp_error_set(err, SP_EINVAL, "libsodium did not start");
	if ((kc = calloc(1, sizeof(*kc))) == NULL ||
	    (kc->keys = sodium_malloc(max * SP_KEYCACHE_KEYLEN)) == NULL) {
		free(kc);
		return sp_error_set(err, SP_ENOMEM, "key cache: out of memory");
	}
	sodium_memzero(kc->keys, max * SP_KEYCACHE_KEYLEN);
	kc->max = max;
	kc->ttl = ttl;
	*out = kc;
	return SP_OK;
}

static unsigned char *
slot(const struct sp_keycache *kc, size_t i)
{
	return kc->keys + i * SP_KEYCACHE_KEYLEN;
}

static void
drop(struct sp_keycache *kc, size_t i)
{
	sodium_memzero(slot(kc, i), SP_KEYCACHE_KEYLEN);
	memset(&kc->e[i], 0, sizeof(kc->e[i]));
}

/* Live at now; an entry found expired is wiped.  A clock that went back
 * past the birth also ends the entry. */
static bool
live(struct sp_keycache *kc, size_t i, int64_t now)
{
	if (!kc->e[i].live)
		return false;
	if (now >= kc->e[i].born && now - kc->e[i].born < kc->ttl)
		return true;
	drop(kc, i);
	return false;
}

void
sp_keycache_clear(struct sp_keycache *kc)
{
	size_t i;

	if (kc == NULL)
		return;
	for (i = 0; i < kc->max; i++)
		drop(kc, i);
}

void
sp_keycache_free(struct sp_keycache *kc)
{
	if (kc == NULL)
		return;
	sp_keycache_clear(kc);
	sodium_free(kc->keys); /* wipes again */
	free(kc);
}

static void
header_hash(const unsigned char *header, size_t hlen,
    unsigned char out[crypto_generichash_BYTES])
{
	crypto_generichash(
	    out, crypto_generichash_BYTES, header, hlen, NULL, 0);
}

/* The live entry of id, or -1. */
static long
find(struct sp_keycache *kc, const char *id, int64_t now)
{
	size_t i;

	for (i = 0; i < kc->max; i++)
		if (kc->e[i].live && strcmp(kc->e[i].id, id) == 0 &&
		    live(kc, i, now))
			return (long)i;
	return -1;
}

bool
sp_keycache_get(struct sp_keycache *kc, const char *id,
    const unsigned char *header, size_t hlen, int64_t now,
    unsigned char key[SP_KEYCACHE_KEYLEN])
{
	unsigned char h[crypto_generichash_BYTES];
	long i;

	if (kc == NULL || id == NULL || strlen(id) != SP_ID_LEN ||
	    (i = find(kc, id, now)) < 0)
		return false;
	header_hash(header, hlen, h);
	if (sodium_memcmp(h, kc->e[i].hash, sizeof(h)) != 0)
		return false;
	memcpy(key, slot(kc, (size_t)i), SP_KEYCACHE_KEYLEN);
	kc->e[i].used = ++kc->clock;
	return true;
}

/* The slot a new entry for id goes in: its old entry, a free or expired
 * one, or else the least recently used. */
static size_t
victim(struct sp_keycache *kc, const char *id, int64_t now)
{
	long same = find(kc, id, now);
	size_t i, best = 0;

	if (same >= 0)
		return (size_t)same;
	for (i = 0; i < kc->max; i++) {
		if (!live(kc, i, now))
			return i;
		if (kc->e[i].used < kc->e[best].used)
			best = i;
	}
	return best;
}

void
sp_keycache_put(struct sp_keycache *kc, const char *id,
    const unsigned char *header, size_t hlen, int64_t now,
    const unsigned char key[SP_KEYCACHE_KEYLEN])
{
	struct kc_entry *e;
	size_t i;

	if (kc == NULL || id == NULL || strlen(id) != SP_ID_LEN)
		return;
	i = victim(kc, id, now);
	drop(kc, i);
	e = &kc->e[i];
	memcpy(e->id, id, SP_ID_LEN + 1);
	header_hash(header, hlen, e->hash);
	e->born = now;
	e->used = ++kc->clock;
	e->live = true;
	memcpy(slot(kc, i), key, SP_KEYCACHE_KEYLEN);
}

size_t
sp_keycache_count(struct sp_keycache *kc, int64_t now)
{
	size_t i, n = 0;

	for (i = 0; kc != NULL && i < kc->max; i++)
		if (live(kc, i, now))
			n++;
	return n;
}

bool
sp_keycache_unused_wiped(const struct sp_keycache *kc)
{
	size_t i;

	for (i = 0; i < kc->max; i++)
		if (!kc->e[i].live &&
		    !sodium_is_zero(slot(kc, i), SP_KEYCACHE_KEYLEN))
			return false;
	return true;
}

int
sp_keyring_keycache_enable(struct sp_keyring *kr, struct sp_error *err)
{
	if (kr->msgkeys != NULL)
		return SP_OK;
	return sp_keycache_new(
	    &kr->msgkeys, SP_KEYCACHE_ENTRIES, SP_KEYCACHE_TTL, err);
}
