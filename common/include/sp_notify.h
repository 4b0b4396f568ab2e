/* SPDX-License-Identifier: MIT */
/*
 * sp_notify: the notification mail that takes the place of a sealed
 * message (and of portal replies): a multipart/alternative body with a
 * text part (templates_dir/notify.txt) and an HTML part (notify.html),
 * both UTF-8 and quoted-printable, so every line is at most 76 bytes
 * whatever the templates and values hold.
 *
 * The caller replaces the message's content headers with MIME-Version:
 * 1.0 and Content-Type: the content_type built here, and its body with
 * body.  The boundary is random and starts with "=_", which
 * quoted-printable text can never contain, so it cannot collide with the
 * parts.  Lines end in CRLF.
 *
 * Placeholders the templates may use: brand_name, brand_color,
 * brand_logo_url, brand_privacy_url, brand_footer, sender, subject, link,
 * ref, expires (a date, or empty: never), instructions.
 */
#ifndef SP_NOTIFY_H
#define SP_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "sp_error.h"

struct sp_notify_info {
	const char *sender;       /* who sent it (envelope sender), "" for <> */
	const char *subject;      /* UTF-8, tag removed; NULL: none */
	const char *link;         /* https://PORTAL/m/ID */
	const char *ref;          /* reference code */
	int64_t expires;          /* unix seconds, 0: never */
	const char *instructions; /* NULL: the built-in sentence */
	const char *brand_name;   /* NULL: "sealpost" */
	const char *brand_color;  /* NULL: a default */
	const char *brand_logo_url;
	const char *brand_privacy_url;
	const char *brand_footer;
};

struct sp_notify {
	char *content_type; /* multipart/alternative; boundary="..." */
	char *body;         /* CRLF lines */
	size_t body_len;
};

int sp_notify_build(const char *templates_dir, const struct sp_notify_info *in,
    struct sp_notify *out, struct sp_error *err) SP_MUST_CHECK;

/* The two templates read once (a long-running program keeps them and
 * reads them again on reload).  sp_notify_templates_load also renders
 * both with sample values, so a template with an unknown placeholder or
 * an unclosed section fails here, naming the file and line. */
struct sp_notify_templates {
	char *txt, *html;
	size_t txt_len, html_len;
};

int sp_notify_templates_load(const char *templates_dir,
    struct sp_notify_templates *t, struct sp_error *err) SP_MUST_CHECK;
void sp_notify_templates_cleanup(struct sp_notify_templates *t);
int sp_notify_build_from(const struct sp_notify_templates *t,
    const struct sp_notify_info *in, struct sp_notify *out,
    struct sp_error *err) SP_MUST_CHECK;
void sp_notify_cleanup(struct sp_notify *n);

/* Quoted-printable (RFC 2045 section 6.7) of len bytes: line ends (LF or
 * CRLF) become CRLF, lines are at most 76 bytes, '=', 8-bit bytes and
 * trailing white space are encoded, so are lone CR, NUL and a "From " or
 * "." at the start of a line.  *out is NUL-terminated; free with free(). */
int sp_qp_encode(const char *in, size_t len, char **out, size_t *outlen,
    struct sp_error *err) SP_MUST_CHECK;

#endif
