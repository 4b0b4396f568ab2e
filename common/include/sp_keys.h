/* SPDX-License-Identifier: MIT */
/*
 * sp_keys: the portal's X25519 key pairs in keys_dir.
 *
 * A pair is two files, KEYID.pk (32 raw bytes, or hex; mode 0644) and
 * KEYID.sk (mode 0600, or 0640 when a group is configured).  KEYID is 16
 * lowercase hex characters taken from a hash of the public key, prefixed
 * so that ids sort by creation time.  The newest pair seals; every pair
 * opens.  The milter loads public keys only; a secret key file that
 * others can read is refused with an error that names the file and mode.
 * Secret keys live in sodium_malloc memory and are wiped when freed.
 */
#ifndef SP_KEYS_H
#define SP_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_error.h"

#define SP_KEYID_MAX 40 /* a key id, NUL included */
#define SP_PK_BYTES  32
#define SP_SK_BYTES  32

struct sp_keypair {
	char id[SP_KEYID_MAX];
	unsigned char pk[SP_PK_BYTES];
	unsigned char *sk; /* sodium_malloc'd, or NULL when public only */
	int64_t created;   /* unix time */
};

struct sp_keyring {
	struct sp_keypair *keys; /* newest first */
	size_t n;
};

/* Generates a new pair in dir; group may be NULL.  id_out gets its id. */
int sp_keys_generate(const char *dir, const char *group, char *id_out,
    size_t id_cap, struct sp_error *err) SP_MUST_CHECK;
/* Loads every pair in dir.  with_secret: also load and check the .sk
 * files (the portal, sealpostctl export); without it only .pk files are
 * read (the milter).  No key at all is an error. */
int sp_keyring_load(const char *dir, bool with_secret, struct sp_keyring **out,
    struct sp_error *err) SP_MUST_CHECK;
void sp_keyring_free(struct sp_keyring *kr);
/* The pair that seals new messages. */
const struct sp_keypair *sp_keyring_newest(const struct sp_keyring *kr);
const struct sp_keypair *sp_keyring_find(
    const struct sp_keyring *kr, const char *id);

#endif
