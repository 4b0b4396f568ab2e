/* SPDX-License-Identifier: MIT */
/*
 * sp_revoked: per-recipient revocation, kept in a message's metadata
 * (struct sp_msg_meta, field revoked_rcpts).
 *
 * revoked_rcpts is NULL (nobody revoked) or a list of addresses, each
 * lowercased (ASCII) and ended by '\n'.  A recipient on the list may no
 * longer sign in to or read the message; the others still may.  The
 * whole message is revoked through meta->state and meta->revoked
 * instead.  Addresses compare case-insensitively.
 *
 * A list read back from an old or damaged record is never trusted to be
 * well formed: the readers here only compare whole lines.
 */
#ifndef SP_REVOKED_H
#define SP_REVOKED_H

#include <stdbool.h>
#include <stddef.h>

#include "sp_error.h"
#include "sp_store.h"

#define SP_REVOKED_ADDR_MAX 320 /* longest address kept */

/* True when addr is on m's per-recipient revocation list. */
bool sp_revoked_has(const struct sp_msg_meta *m, const char *addr);

/* Puts addr on m's list (nothing changes when it is there already);
 * m->revoked_rcpts is reallocated.  SP_EINVAL: addr empty, longer than
 * SP_REVOKED_ADDR_MAX or holding a control byte or space; SP_ENOMEM. */
int sp_revoked_add(struct sp_msg_meta *m, const char *addr,
    struct sp_error *err) SP_MUST_CHECK;

/* Iterates the list: *pos starts at 0; each call gives the next address
 * (not NUL-terminated) and its length, or NULL at the end. */
const char *sp_revoked_next(
    const struct sp_msg_meta *m, size_t *pos, size_t *len);

#endif
