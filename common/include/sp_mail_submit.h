/* SPDX-License-Identifier: MIT */
/*
 * sp_mail_submit: hands a finished message to an SMTP server with libcurl
 * (the portal's passcode mails and reply notifications go to smtp_url).
 *
 * The message is given whole, headers and body, with CRLF or LF line
 * ends (sent as given: libcurl dot-stuffs lines that start with '.').
 * Envelope addresses are bare (no <>).  One call is one SMTP session;
 * a refused recipient fails the whole call.  Connect and total timeouts
 * bound the time a call can take.
 */
#ifndef SP_MAIL_SUBMIT_H
#define SP_MAIL_SUBMIT_H

#include <stddef.h>

#include "sp_error.h"

struct sp_mail_envelope {
	const char *from;         /* "" for the null sender */
	const char *const *rcpts; /* at least one */
	size_t nrcpt;
};

#define SP_MAIL_TIMEOUT_DEFAULT 30 /* seconds, whole session */

/* Submits msg[0..len) to url ("smtp://host:port").  timeout_s: seconds
 * for the whole session, 0 for the default.  SP_EIO with libcurl's reason
 * on any failure (connection, refusal, timeout). */
int sp_mail_submit(const char *url, const struct sp_mail_envelope *env,
    const char *msg, size_t len, long timeout_s,
    struct sp_error *err) SP_MUST_CHECK;

/* A line-safe header value: copies s into buf, with CR, LF and other
 * control bytes replaced by spaces; returns buf. */
const char *sp_mail_header_clean(const char *s, char *buf, size_t cap);

#endif
