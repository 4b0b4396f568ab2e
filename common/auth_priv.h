/* SPDX-License-Identifier: MIT */
/*
 * auth_priv: what auth_passcode.c and auth_session.c share inside
 * common/ (not for programs: they use sp_auth.h).
 */
#ifndef SP_AUTH_PRIV_H
#define SP_AUTH_PRIV_H

#include <sodium.h>

#include "sp_auth.h"

#define AUTH_SECRET_BYTES SP_AUTH_SECRET_BYTES
#define AUTH_HASH_BYTES   32

struct sp_auth {
	struct sp_store *store;
	unsigned char *secret; /* sodium_malloc'd, AUTH_SECRET_BYTES */
	struct sp_auth_limits lim;
};

/* One part of a keyed hash: bytes and their length. */
struct auth_part {
	const void *p;
	size_t len;
};

/* out = keyed hash of label and parts, each part length-prefixed so that
 * no two different inputs hash alike. */
void sp_auth_hash(const struct sp_auth *a, const char *label,
    const struct auth_part *parts, size_t nparts,
    unsigned char out[AUTH_HASH_BYTES]);

#endif
