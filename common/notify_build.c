/* SPDX-License-Identifier: MIT */
/*
 * notify_build: the notification mail body (see sp_notify.h).
 *
 * Both templates are rendered with the same variables, each result is
 * quoted-printable encoded, and the two parts are joined under a random
 * boundary.  Nothing here knows about libmilter: the milter and the
 * portal both call it.
 */
#include "sp_notify.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sp_template.h"

#define QP_LINE_MAX   76
#define BOUNDARY_RAND 18 /* random bytes, 24 base64url characters */

struct qbuf {
	char *p;
	size_t len;
	size_t cap;
};

static int
qbuf_add(struct qbuf *b, const char *s, size_t n, struct sp_error *err)
{
	size_t ncap;
	char *np;

	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 4096;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (np == NULL)
			return sp_error_set(err, SP_ENOMEM, "out of memory");
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return SP_OK;
}

/* Whether byte i of line (n bytes) must be written as =XX.  col is the
 * output column it would start at. */
static bool
qp_must_encode(const unsigned char *line, size_t n, size_t i, size_t col)
{
	unsigned char c = line[i];

	if (c == '=' || c >= 127 || (c < 32 && c != '\t'))
		return true;
	if ((c == ' ' || c == '\t') && i + 1 == n)
		return true; /* trailing white space would be stripped */
	if (col == 0 && c == '.')
		return true;
	if (col == 0 && c == 'F' && n - i >= 5 &&
	    memcmp(line + i, "From ", 5) == 0)
		return true;
	return false;
}

static int
qp_line(
    struct qbuf *b, const unsigned char *line, size_t n, struct sp_error *err)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, col = 0, tl;
	char tok[3];
	int rc = SP_OK;

	for (i = 0; i < n && rc == SP_OK; i++) {
		tok[0] = (char)line[i];
		tl = 1;
		if (qp_must_encode(line, n, i, col)) {
			tok[0] = '=';
			tok[1] = hex[line[i] >> 4];
			tok[2] = hex[line[i] & 15];
			tl = 3;
		}
		/* A soft break costs one '=' at the end of the line. */
		if (col + tl > QP_LINE_MAX - 1 &&
		    !(i + 1 == n && col + tl <= QP_LINE_MAX)) {
			rc = qbuf_add(b, "=\r\n", 3, err);
			col = 0;
			if (rc == SP_OK && tl == 1 &&
			    qp_must_encode(line, n, i, 0)) {
				i--; /* re-encode this byte at column 0 */
				continue;
			}
		}
		if (rc == SP_OK)
			rc = qbuf_add(b, tok, tl, err);
		col += tl;
	}
	if (rc == SP_OK)
		rc = qbuf_add(b, "\r\n", 2, err);
	return rc;
}

int
sp_qp_encode(const char *in, size_t len, char **out, size_t *outlen,
    struct sp_error *err)
{
	const unsigned char *s = (const unsigned char *)in;
	struct qbuf b = { 0 };
	size_t start = 0, end, i;
	int rc = qbuf_add(&b, "", 0, err);

	for (i = 0; rc == SP_OK && start < len; i++) {
		if (i < len && s[i] != '\n')
			continue;
		end = i;
		if (end > start && i < len && s[end - 1] == '\r')
			end--;
		rc = qp_line(&b, s + start, end - start, err);
		start = i + 1;
	}
	if (rc != SP_OK) {
		free(b.p);
		return rc;
	}
	*out = b.p;
	*outlen = b.len;
	return SP_OK;
}

static void
make_boundary(char *out, size_t cap)
{
	unsigned char r[BOUNDARY_RAND];
	char enc[sodium_base64_ENCODED_LEN(
	    BOUNDARY_RAND, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

	randombytes_buf(r, sizeof(r));
	sodium_bin2base64(enc, sizeof(enc), r, sizeof(r),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(out, cap, "=_sealpost_%s", enc);
}

static void
format_expiry(int64_t t, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	buf[0] = '\0';
	if (t > 0 && gmtime_r(&tt, &tm) != NULL)
		strftime(buf, cap, "%Y-%m-%d %H:%M UTC", &tm);
}

#define DEFAULT_INSTRUCTIONS                                                   \
	"Open the link, ask for a one-time code, and enter the code you "      \
	"receive by mail to read the message."

static int
render_part(const char *name, const char *tmpl, size_t len,
    const struct sp_tvar *v, size_t nv, struct qbuf *b, struct sp_error *err)
{
	enum sp_escape esc = strstr(name, ".html") ? SP_ESC_HTML : SP_ESC_NONE;
	char *text = NULL, *qp = NULL, msg[sizeof(err->msg)];
	size_t tlen, qlen;
	int rc;

	rc = sp_template_render(tmpl, len, v, nv, esc, &text, &tlen, err);
	if (rc != SP_OK && err != NULL) {
		snprintf(msg, sizeof(msg), "%s", err->msg);
		sp_error_set(err, rc, "%s: %s", name, msg);
	}
	if (rc == SP_OK)
		rc = sp_qp_encode(text, tlen, &qp, &qlen, err);
	if (rc == SP_OK)
		rc = qbuf_add(b, qp, qlen, err);
	free(text);
	free(qp);
	return rc;
}

static int
add_part_head(struct qbuf *b, const char *boundary, const char *type,
    struct sp_error *err)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
	    "\r\n--%s\r\nContent-Type: %s; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
	    boundary, type);

	return qbuf_add(b, head, (size_t)n, err);
}

int
sp_notify_build_from(const struct sp_notify_templates *t,
    const struct sp_notify_info *in, struct sp_notify *out,
    struct sp_error *err)
{
	char boundary[64], expires[64], ct[128], tail[96];
	const struct sp_tvar v[] = {
		{ "brand_name", in->brand_name ? in->brand_name : "sealpost" },
		{ "brand_color",
		    in->brand_color ? in->brand_color : "#1d4e89" },
		{ "brand_logo_url", in->brand_logo_url },
		{ "brand_privacy_url", in->brand_privacy_url },
		{ "brand_footer", in->brand_footer },
		{ "sender", in->sender[0] ? in->sender : "(no sender)" },
		{ "subject", in->subject },
		{ "link", in->link },
		{ "ref", in->ref },
		{ "expires", expires },
		{ "instructions",
		    in->instructions ? in->instructions
		                     : DEFAULT_INSTRUCTIONS },
	};
	size_t nv = sizeof(v) / sizeof(v[0]);
	struct qbuf b = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	make_boundary(boundary, sizeof(boundary));
	format_expiry(in->expires, expires, sizeof(expires));
	rc = qbuf_add(
	    &b, "This is a multi-part message in MIME format.\r\n", 46, err);
	if (rc == SP_OK)
		rc = add_part_head(&b, boundary, "text/plain", err);
	if (rc == SP_OK)
		rc = render_part(
		    "notify.txt", t->txt, t->txt_len, v, nv, &b, err);
	if (rc == SP_OK)
		rc = add_part_head(&b, boundary, "text/html", err);
	if (rc == SP_OK)
		rc = render_part(
		    "notify.html", t->html, t->html_len, v, nv, &b, err);
	snprintf(tail, sizeof(tail), "\r\n--%s--\r\n", boundary);
	if (rc == SP_OK)
		rc = qbuf_add(&b, tail, strlen(tail), err);
	snprintf(
	    ct, sizeof(ct), "multipart/alternative; boundary=\"%s\"", boundary);
	if (rc == SP_OK && (out->content_type = strdup(ct)) == NULL)
		rc = sp_error_set(err, SP_ENOMEM, "out of memory");
	if (rc != SP_OK) {
		free(b.p);
		sp_notify_cleanup(out);
		return rc;
	}
	out->body = b.p;
	out->body_len = b.len;
	return SP_OK;
}

void
sp_notify_templates_cleanup(struct sp_notify_templates *t)
{
	free(t->txt);
	free(t->html);
	memset(t, 0, sizeof(*t));
}

int
sp_notify_templates_load(const char *templates_dir,
    struct sp_notify_templates *t, struct sp_error *err)
{
	const struct sp_notify_info sample = { .sender = "a@example.org",
		.subject = "subject",
		.link = "https://portal.example/m/AAAAAAAAAAAAAAAAAAAAAA",
		.ref = "ABCD-EFGH",
		.expires = 1 };
	struct sp_notify n;
	int rc;

	memset(t, 0, sizeof(*t));
	rc = sp_template_load(
	    templates_dir, "notify.txt", &t->txt, &t->txt_len, err);
	if (rc == SP_OK)
		rc = sp_template_load(
		    templates_dir, "notify.html", &t->html, &t->html_len, err);
	if (rc == SP_OK &&
	    (rc = sp_notify_build_from(t, &sample, &n, err)) == SP_OK)
		sp_notify_cleanup(&n);
	if (rc != SP_OK)
		sp_notify_templates_cleanup(t);
	return rc;
}

int
sp_notify_build(const char *templates_dir, const struct sp_notify_info *in,
    struct sp_notify *out, struct sp_error *err)
{
	struct sp_notify_templates t;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sp_notify_templates_load(templates_dir, &t, err);
	if (rc != SP_OK)
		return rc;
	rc = sp_notify_build_from(&t, in, out, err);
	sp_notify_templates_cleanup(&t);
	return rc;
}

void
sp_notify_cleanup(struct sp_notify *n)
{
	free(n->content_type);
	free(n->body);
	memset(n, 0, sizeof(*n));
}
