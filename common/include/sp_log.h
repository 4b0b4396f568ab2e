/* SPDX-License-Identifier: MIT */
/*
 * sp_log: logging to syslog, facility LOG_MAIL, and to stderr as well when
 * a program runs in the foreground.
 *
 * Each per-message line starts with the queue id (or "-" when there is
 * none; cut to SP_LOG_FIELD_MAX bytes), then stable key=value fields:
 *     sp_log(LOG_INFO, qid, "action=sealed rule=%s id=%s size=%zu", ...);
 * Text that comes from outside (addresses, header values, rule names
 * taken from files) goes through sp_log_clean() first: capped in length,
 * non-printable bytes shown as '?', and wrapped in quotes when it holds
 * spaces or quotes, so a log line stays one line and parseable.  As a
 * last guard, sp_log() itself turns any control byte left in the final
 * line into '?'.
 *
 * Thread-safe: the level is an atomic, each line is formatted into a
 * local buffer and written with one call (syslog, and one locked fputs to
 * stderr), so lines from several threads never interleave.
 *
 * Never log a secret (key, passcode, session id) or message content.
 */
#ifndef SP_LOG_H
#define SP_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

#include "sp_error.h"

#define SP_LOG_FIELD_MAX 256  /* untrusted field cap, in bytes */
#define SP_LOG_LINE_MAX  2048 /* a longer line is cut */
/* A buffer that always holds a cleaned field: every byte escaped, quotes
 * and the "..." that marks a cut. */
#define SP_LOG_CLEAN_SIZE (2 * SP_LOG_FIELD_MAX + 8)

/* ident: the program name (kept, not copied: pass a literal or argv[0]).
 * foreground: also write to stderr. */
void sp_log_open(const char *ident, bool foreground);
/* Stops logging to syslog (stderr in foreground stays).  For tests and
 * for sealpostctl, which talks to a terminal. */
void sp_log_syslog(bool on);
void sp_log_close(void);
/* Lines below this priority are dropped (default LOG_INFO). */
void sp_log_set_level(int prio);
/* The priority for a log_level name ("debug" .. "err"), or -1. */
int sp_log_level_from_name(const char *name);
void sp_log(int prio, const char *qid, const char *fmt, ...) SP_PRINTF(3, 4);
void sp_vlog(int prio, const char *qid, const char *fmt, va_list ap)
    SP_PRINTF(3, 0);

/* Copies at most SP_LOG_FIELD_MAX bytes of s (len bytes, may hold NUL)
 * into buf (size cap) as printable text; returns buf.
 *   - bytes outside 0x20..0x7e (NUL, newline, control, 8-bit) become '?'
 *   - when the text holds a space, '"', '\\' or '=' or is empty, it is
 *     wrapped in double quotes, with '"' and '\\' escaped by a backslash
 *   - text longer than SP_LOG_FIELD_MAX, or than fits in cap, is cut and
 *     ends in "..."
 * buf is always NUL-terminated when cap > 0; SP_LOG_CLEAN_SIZE is always
 * enough for the whole field. */
const char *sp_log_clean(char *buf, size_t cap, const char *s, size_t len);

#endif
