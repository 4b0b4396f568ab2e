/* SPDX-License-Identifier: MIT */
/*
 * sp_log: logging to syslog, facility LOG_MAIL, and to stderr as well when
 * a program runs in the foreground.
 *
 * Each per-message line starts with the queue id (or "-" when there is
 * none), then stable key=value fields:
 *     sp_log(LOG_INFO, qid, "action=sealed rule=%s id=%s size=%zu", ...);
 * Text that comes from outside (addresses, header values, rule names
 * taken from files) goes through sp_log_clean() first: capped in length,
 * non-printable bytes shown as '?', and wrapped in quotes when it holds
 * spaces, so a log line stays one line and parseable.
 *
 * Never log a secret (key, passcode, session id) or message content.
 */
#ifndef SP_LOG_H
#define SP_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

#include "sp_error.h"

#define SP_LOG_FIELD_MAX 256 /* untrusted field cap, in bytes */

/* ident: the program name.  foreground: also write to stderr. */
void sp_log_open(const char *ident, bool foreground);
/* Lines below this priority are dropped (default LOG_INFO). */
void sp_log_set_level(int prio);
void sp_log(int prio, const char *qid, const char *fmt, ...) SP_PRINTF(3, 4);

/* Copies at most SP_LOG_FIELD_MAX bytes of s (len bytes, may hold NUL)
 * into buf (size cap) as printable text; returns buf. */
const char *sp_log_clean(char *buf, size_t cap, const char *s, size_t len);

#endif
