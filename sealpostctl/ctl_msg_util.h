/* SPDX-License-Identifier: MIT */
/*
 * ctl_msg_util: what the lifecycle commands of sealpostctl share: opening
 * the store named by the config, the admin actor for the audit trail,
 * printable copies of untrusted text, and the state a message is in.
 */
#ifndef CTL_MSG_UTIL_H
#define CTL_MSG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"
#include "sp_config.h"
#include "sp_error.h"
#include "sp_store.h"

/* Prints "sealpostctl: ..." and a newline to stderr. */
void ctl_warn(const char *fmt, ...) SP_PRINTF(1, 2);

/* Opens cfg->store_path; a store that does not exist is an error (it is
 * never created here).  Prints why on failure and returns NULL. */
struct sp_store *ctl_store_open(const struct sp_config *cfg, bool writable);

/* "admin:USER", plus " sudo:USER" when SUDO_USER is set. */
void ctl_actor(char *buf, size_t cap);

/* Appends an audit event by the admin running the command. */
int ctl_audit(struct sp_store *s, const char *id, const char *event,
    const char *detail, struct sp_error *err) SP_MUST_CHECK;

/* True if id is a well-formed message id; else says so on stderr. */
bool ctl_id_ok(const char *cmd, const char *id);

/* A printable copy of s in buf: control and non-ASCII bytes become '?',
 * longer text is cut to cap - 1 bytes, the last two shown as "..".
 * Returns buf. */
const char *ctl_clean(char *buf, size_t cap, const char *s);

/* "active", "expired", "revoked" or "purged" at time now. */
const char *ctl_state_name(const struct sp_msg_meta *m, int64_t now);

/* True if the message's chunks may go: revoked, or expired at now. */
bool ctl_msg_purgeable(const struct sp_msg_meta *m, int64_t now);

/* Bytes the sealed record takes: header and every chunk with its tag. */
uint64_t ctl_sealed_bytes(const struct sp_msg_meta *m);

int64_t ctl_now(void);

#endif
