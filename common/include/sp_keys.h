/* SPDX-License-Identifier: MIT */
/*
 * sp_keys: the portal's X25519 key pairs in keys_dir.
 *
 * A pair is two files, KEYID.pk (64 hex characters and a newline as
 * written; 32 raw bytes are read too; mode 0644) and KEYID.sk (32 raw
 * bytes; mode 0600, or 0640 and the keys_group when a group is
 * configured).  KEYID is 16 lowercase hex characters: 8 of the creation
 * time (unix seconds, so ids sort by age) and 8 of a BLAKE2b hash of the
 * public key (so a .pk copied under the wrong name is caught).  The newest
 * pair seals; every pair opens.  A new pair is always dated after every
 * pair already in keys_dir (a second after the newest when the clock has
 * not moved past it), so it is the newest.
 *
 * Retiring moves a pair into keys_dir/retired/ (mode 0700), where no
 * loader looks; the newest pair cannot be retired.
 *
 * The portal's server secret (sp_auth.h) lives in keys_dir too and is
 * written and read with the rules of a .sk file: sp_keys_secret_create
 * and sp_keys_secret_read.
 *
 * Files are written atomically (a hidden temporary file, fsync, then a
 * hard link to the final name, so an existing pair is never overwritten)
 * and the secret key first, so a .pk never exists without its .sk.
 *
 * keys_dir must not be writable by group or others (anyone who may add a
 * file there could add a newer pair, and every message would be sealed
 * to it), nor may a .pk be; keygen and the loaders refuse such a folder
 * or file with SP_EPERM.  Key files are opened without following links
 * and must be regular files.
 *
 * The milter loads public keys only.  With secrets, every .sk is checked
 * before it is read: a regular file, owned by the reader or root (root
 * reads files of any owner, such as the portal user's), not
 * readable or writable by others, and not open to the group unless a
 * group is given, in which case the file must belong to that group and
 * grant it read only.  A refused file is named with its mode in the
 * error.  A .sk that does not match its .pk is an error too.  Secret keys
 * live in sodium_malloc memory and are wiped when freed.
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
	bool sk_present;   /* KEYID.sk exists (loaded or not) */
};

struct sp_keycache;

struct sp_keyring {
	struct sp_keypair *keys; /* newest first */
	size_t n;
	/* unwrapped message keys kept for the openers of this ring, NULL:
	 * none (sp_keycache.h); freed with the ring */
	struct sp_keycache *msgkeys;
};

/* Generates a new pair in dir (created, mode 0755, when missing); group
 * may be NULL: then the .sk is 0600, else 0640 and chgrp'd to group.
 * id_out gets its id (SP_KEYID_MAX is enough).  SP_EEXIST if a pair of
 * that id exists. */
int sp_keys_generate(const char *dir, const char *group, char *id_out,
    size_t id_cap, struct sp_error *err) SP_MUST_CHECK;
/* The same, and the .sk is given to user owner (NULL: the caller), so
 * that root can make keys for the portal's user. */
int sp_keys_generate_owned(const char *dir, const char *owner,
    const char *group, char *id_out, size_t id_cap,
    struct sp_error *err) SP_MUST_CHECK;
/* Loads every pair in dir.  with_secret: also load and check the .sk
 * files (the portal, sealpostctl export); without it only .pk files are
 * read (the milter).  No key at all is an error. */
int sp_keyring_load(const char *dir, bool with_secret, struct sp_keyring **out,
    struct sp_error *err) SP_MUST_CHECK;
/* The same, allowing .sk files readable by group (keys_group; NULL: no
 * group may read them). */
int sp_keyring_load_group(const char *dir, bool with_secret, const char *group,
    struct sp_keyring **out, struct sp_error *err) SP_MUST_CHECK;
void sp_keyring_free(struct sp_keyring *kr);
/* The pair that seals new messages. */
const struct sp_keypair *sp_keyring_newest(const struct sp_keyring *kr);
const struct sp_keypair *sp_keyring_find(
    const struct sp_keyring *kr, const char *id);
/* Makes dir/name holding len random bytes, owned and moded like a .sk
 * (owner, group as for sp_keys_generate_owned).  SP_EEXIST when it
 * exists (it is never replaced). */
int sp_keys_secret_create(const char *dir, const char *name, const char *owner,
    const char *group, size_t len, struct sp_error *err) SP_MUST_CHECK;
/* Reads dir/name, exactly len bytes, into buf with the checks made on a
 * .sk (keys_dir not writable by others; a regular file, no link, no
 * FIFO; owner; mode, group readable only by group).  SP_ENOTFOUND when
 * it is missing, SP_EPERM when refused, SP_EFORMAT for a wrong size. */
int sp_keys_secret_read(const char *dir, const char *name, const char *group,
    unsigned char *buf, size_t len, struct sp_error *err) SP_MUST_CHECK;
/* Moves KEYID.pk, then KEYID.sk, into dir/retired/ (made 0700).  The
 * caller checks that no stored message still needs the key.  SP_EINVAL
 * for the newest pair or a malformed id, SP_ENOTFOUND for no such pair,
 * SP_EEXIST when retired/ already holds a file of that name. */
int sp_keys_retire(
    const char *dir, const char *id, struct sp_error *err) SP_MUST_CHECK;
/* True if s has the form of a key id (16 lowercase hex characters). */
bool sp_keys_id_valid(const char *s);

#endif
