/* SPDX-License-Identifier: MIT */
/*
 * sp_keycache: unwrapped message keys of recently opened messages, kept
 * so that reading the same message again skips the X25519 of
 * crypto_box_seal_open.
 *
 * Policy (the portal's; see docs/portal.md): at most SP_KEYCACHE_ENTRIES
 * keys, each kept at most SP_KEYCACHE_TTL seconds after it was unwrapped
 * (not after its last use: a key read every minute still goes after five
 * minutes and is unwrapped again).  An entry is found by the message id
 * AND a BLAKE2b hash (crypto_generichash) of the record's whole seal
 * header (key id, wrapped key, stream header), so a record whose header
 * changed never gets a stale key.  The keys live in one sodium_malloc
 * block (guarded, locked); a slot is wiped with sodium_memzero when its
 * entry expires, is evicted or replaced, and the block is wiped and
 * freed by sp_keycache_free.  The process that holds the cache already
 * holds the portal's long-term secret key, which opens every message:
 * the cache adds no new kind of secret to its memory.
 *
 * Whoever consults the cache must have done every check on the message
 * record (revoked, expired, purged) first: the cache knows nothing of
 * them.  sp_opener_new consults the cache of the key ring it is given
 * (struct sp_keyring's msgkeys, see sp_keyring_keycache_enable).
 *
 * Times are seconds on any clock that does not go backwards (the opener
 * uses CLOCK_MONOTONIC); tests pass their own.  Not thread-safe: one
 * cache per process or per thread.
 */
#ifndef SP_KEYCACHE_H
#define SP_KEYCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_error.h"
#include "sp_keys.h"
#include "sp_seal.h"

#define SP_KEYCACHE_ENTRIES 64
#define SP_KEYCACHE_TTL     300 /* seconds after the key was unwrapped */
#define SP_KEYCACHE_KEYLEN  32  /* a secretstream key */

struct sp_keycache;

/* A cache of at most max entries (1..SP_KEYCACHE_ENTRIES), each valid
 * for ttl seconds (> 0).  SP_EINVAL on other values, SP_ENOMEM. */
int sp_keycache_new(struct sp_keycache **out, size_t max, int64_t ttl,
    struct sp_error *err) SP_MUST_CHECK;
/* Wipes every key and frees the cache.  NULL is fine. */
void sp_keycache_free(struct sp_keycache *kc);

/* Copies the key of (id, header) into key when a live entry holds it;
 * false (key untouched) when not.  Expired entries met on the way are
 * wiped. */
bool sp_keycache_get(struct sp_keycache *kc, const char *id,
    const unsigned char *header, size_t hlen, int64_t now,
    unsigned char key[SP_KEYCACHE_KEYLEN]);
/* Keeps key for (id, header) from now on, replacing an entry of the same
 * id; when full, the expired or else the least recently used entry makes
 * room (wiped first). */
void sp_keycache_put(struct sp_keycache *kc, const char *id,
    const unsigned char *header, size_t hlen, int64_t now,
    const unsigned char key[SP_KEYCACHE_KEYLEN]);
/* Live entries at now (expired ones are wiped while counting). */
size_t sp_keycache_count(struct sp_keycache *kc, int64_t now);
/* Wipes every entry (the cache stays usable). */
void sp_keycache_clear(struct sp_keycache *kc);
/* For tests: true when every slot without a live entry is all zero
 * bytes. */
bool sp_keycache_unused_wiped(const struct sp_keycache *kc);

/* Gives kr a cache with the policy above (SP_KEYCACHE_ENTRIES,
 * SP_KEYCACHE_TTL) unless it has one; sp_keyring_free frees it. */
int sp_keyring_keycache_enable(
    struct sp_keyring *kr, struct sp_error *err) SP_MUST_CHECK;

#endif
