/* SPDX-License-Identifier: MIT */
/*
 * sp_error: status codes and error reports shared by everything in common/.
 *
 * common/ never exits.  A function that can fail returns an int status:
 * SP_OK (0) or a negative SP_E* code, and fills a caller-owned struct
 * sp_error with a one-line message meant for a log or a terminal.  The
 * message never holds a secret or message content.
 *
 * struct sp_diag collects many messages (all the errors of a config or a
 * rules file, each "file:line: ..." or "file:line:column: ...").
 */
#ifndef SP_ERROR_H
#define SP_ERROR_H

#include <stddef.h>
#include <stdio.h>

#define SP_MUST_CHECK   __attribute__((warn_unused_result))
#define SP_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum sp_status {
	SP_OK = 0,
	SP_ENOMEM = -1,    /* allocation failed */
	SP_EIO = -2,       /* a file or the store could not be read/written */
	SP_EFORMAT = -3,   /* input is not in the expected format */
	SP_EAUTH = -4,     /* authentication failed: tampered, wrong key */
	SP_ENOTFOUND = -5, /* no such message, key or record */
	SP_EFULL = -6,     /* the store is full and could not grow */
	SP_EPERM = -7,     /* unsafe permissions, or not allowed */
	SP_ECONFIG = -8,   /* configuration error */
	SP_ETOOBIG = -9,   /* a hard size limit was reached */
	SP_EINVAL = -10,   /* bad argument from the caller */
	SP_EEXIST = -11,   /* already exists */
	SP_ELIMIT = -12,   /* a rate limit or try limit was reached */
	SP_EEXPIRED = -13, /* expired or revoked */
	SP_ETIMEOUT = -14, /* no answer in time */
};

struct sp_error {
	int code;
	char msg[512];
};

/* Sets e->code and formats e->msg; returns code so callers can
 * "return sp_error_set(err, SP_EIO, ...)".  e may be NULL. */
int sp_error_set(struct sp_error *e, int code, const char *fmt, ...)
    SP_PRINTF(3, 4);
void sp_error_clear(struct sp_error *e);
/* A short fixed text for a status code. */
const char *sp_strerror(int code);

/* A growing list of diagnostics; at most SP_DIAG_MAX are kept, the count
 * goes on. */
#define SP_DIAG_MAX 1000
struct sp_diag {
	char **msgs;
	size_t n;     /* messages kept */
	size_t total; /* messages reported, kept or not */
	size_t cap;
};

void sp_diag_init(struct sp_diag *d);
void sp_diag_cleanup(struct sp_diag *d);
void sp_diag_add(struct sp_diag *d, const char *fmt, ...) SP_PRINTF(2, 3);
/* Writes one message a line, then "and N more" if some were dropped. */
void sp_diag_print(const struct sp_diag *d, FILE *fp);

#endif
