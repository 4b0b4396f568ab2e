/* SPDX-License-Identifier: MIT */
/*
 * sp_msg: a whole message in memory sealed into the store, or opened out
 * of it.  For messages the portal makes (replies, forwards) and for those
 * it shows; the milter streams instead and does not use this.
 *
 * sp_msg_seal_buffer() seals buf with the newest key of kr, puts each
 * chunk as it is made and commits meta (whose id, key_id, header, size and
 * nchunks it fills in; the caller sets the rest).  sp_msg_open_buffer()
 * reads every chunk of a committed message, authenticates and decrypts
 * it into a new buffer of at most max bytes (SP_ETOOBIG past that).
 */
#ifndef SP_MSG_H
#define SP_MSG_H

#include <stddef.h>

#include "sp_error.h"
#include "sp_keys.h"
#include "sp_store.h"

int sp_msg_seal_buffer(struct sp_store *s, const struct sp_keyring *kr,
    struct sp_msg_meta *meta, const char *buf, size_t len,
    struct sp_error *err) SP_MUST_CHECK;

/* *out is malloc'd and NUL-terminated (the message may hold NULs: use
 * *outlen); free with free(). */
int sp_msg_open_buffer(struct sp_store *s, const struct sp_keyring *kr,
    const struct sp_msg_meta *meta, size_t max, char **out, size_t *outlen,
    struct sp_error *err) SP_MUST_CHECK;

#endif
