/* SPDX-License-Identifier: MIT */
/*
 * portal_mail: the mails the portal sends, put together for the queue in
 * struct req (portal_http.c submits them to smtp_url after the answer).
 *
 * The passcode mail (templates_dir/passcode.txt) names the message it
 * unlocks (sender and reference code) and holds the code, but no link:
 * a link that signs in by itself would be used up by link scanners, and
 * the code is typed on the page where it was asked for.
 *
 * A reply notification is the same notification the milter sends
 * (sp_notify_build), pointing at the reply sealed in the store.
 */
#include "portal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sp_log.h"
#include "sp_mail_submit.h"
#include "sp_notify.h"
#include "sp_template.h"

/* "Fri, 04 Dec 2026 16:00:00 +0000" */
void
portal_mail_date(int64_t now, char *buf, size_t cap)
{
	time_t t = (time_t)now;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static bool
is_plain_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* RFC 2047 B encoded-words of at most 45 bytes each, never splitting a
 * UTF-8 sequence. */
void
portal_header_text(struct sp_hbuf *b, const char *s)
{
	char enc[128];
	size_t len = strlen(s), i = 0, n;

	if (is_plain_ascii(s) && len < 900) {
		sp_hbuf_adds(b, s);
		return;
	}
	while (i < len) {
		n = len - i > 45 ? 45 : len - i;
		while (i + n < len && n > 1 &&
		    ((unsigned char)s[i + n] & 0xc0) == 0x80)
			n--;
		sodium_bin2base64(enc, sizeof(enc),
		    (const unsigned char *)s + i, n,
		    sodium_base64_VARIANT_ORIGINAL);
		sp_hbuf_printf(b, "%s=?UTF-8?B?%s?=", i ? "\r\n " : "", enc);
		i += n;
	}
}

/* A display name (RFC 5322 phrase): a quoted string when it is plain
 * ASCII, else encoded-words. */
static void
add_phrase(struct sp_hbuf *b, const char *s)
{
	if (!is_plain_ascii(s)) {
		portal_header_text(b, s);
		return;
	}
	sp_hbuf_adds(b, "\"");
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			sp_hbuf_adds(b, "\\");
		sp_hbuf_add(b, s, 1);
	}
	sp_hbuf_adds(b, "\"");
}

/* From, Date, Message-ID and the MIME headers common to our mails. */
static void
add_common_headers(struct req *r, struct sp_hbuf *b, const char *from_name)
{
	const char *mf = r->p->cfg->mail_from;
	const char *dom = strrchr(mf, '@');
	unsigned char rnd[12];
	char date[64], mid[32];

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2base64(mid, sizeof(mid), rnd, sizeof(rnd),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	portal_mail_date(r->now, date, sizeof(date));
	sp_hbuf_adds(b, "From: ");
	if (from_name != NULL && from_name[0] != '\0') {
		add_phrase(b, from_name);
		sp_hbuf_adds(b, " ");
	}
	sp_hbuf_printf(b, "<%s>\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n", mf,
	    date, mid, dom ? dom + 1 : "sealpost.invalid");
	sp_hbuf_adds(
	    b, "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n");
}

static void
queue(struct req *r, struct sp_hbuf *b, const char *const *rcpts, size_t n)
{
	size_t i;

	if (sp_hbuf_failed(b) || n == 0)
		goto fail;
	r->mail_rcpts = calloc(n, sizeof(char *));
	if (r->mail_rcpts == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		r->mail_rcpts[i] = strdup(rcpts[i]);
		if (r->mail_rcpts[i] == NULL)
			goto fail;
		r->mail_nrcpt = i + 1;
	}
	r->mail_msg = b->data;
	r->mail_len = b->len;
	b->data = NULL;
	sp_hbuf_cleanup(b);
	return;
fail:
	sp_log(LOG_ERR, r->route.id,
	    "action=mail-failed reason=\"cannot "
	    "build the mail\"");
	sp_hbuf_cleanup(b);
}

/* A passcode mail: the template rendered and quoted-printable encoded
 * under the common headers, queued to addr.  The code is in the text:
 * every copy is wiped.  logid names the message in the log, or "-". */
static void
queue_passcode(struct req *r, const char *tmpl, const struct sp_tvar *vars,
    size_t nvars, const char *addr, const char *subject, const char *logid)
{
	const struct sp_config *c = r->p->cfg;
	char *text = NULL, *qp = NULL;
	size_t tlen = 0, qlen = 0;
	struct sp_hbuf b;
	struct sp_error err;

	sp_hbuf_init(&b, 1 << 20);
	if (sp_template_render_file(c->templates_dir, tmpl, vars, nvars, &text,
	        &tlen, &err) != SP_OK ||
	    sp_qp_encode(text, tlen, &qp, &qlen, &err) != SP_OK) {
		sp_log(LOG_ERR, logid, "action=mail-failed reason=\"%s\"",
		    err.msg);
		goto out;
	}
	add_common_headers(r, &b, c->brand_name);
	sp_hbuf_printf(&b, "To: <%s>\r\nSubject: %s\r\n", addr, subject);
	sp_hbuf_adds(&b,
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	sp_hbuf_add(&b, qp, qlen);
	queue(r, &b, &addr, 1);
out:
	if (text != NULL)
		sodium_memzero(text, tlen);
	if (qp != NULL)
		sodium_memzero(qp, qlen);
	free(text);
	free(qp);
	sp_hbuf_cleanup(&b);
}

void
portal_queue_code_mail(struct req *r, const struct sp_msg_meta *m,
    const char *addr, const char *code)
{
	const struct sp_config *c = r->p->cfg;
	char minutes[32], subj[96];
	const struct sp_tvar vars[] = {
		{ "brand_name", c->brand_name ? c->brand_name : "sealpost" },
		{ "code", code },
		{ "sender", m->sender[0] ? m->sender : "(no sender)" },
		{ "ref", m->ref },
		{ "minutes", minutes },
		{ "brand_footer", c->brand_footer },
		{ "brand_privacy_url", c->brand_privacy_url },
	};

	snprintf(minutes, sizeof(minutes), "%lld",
	    (long long)(c->passcode_ttl / 60));
	snprintf(subj, sizeof(subj), "Your code for message %s", m->ref);
	queue_passcode(r, "passcode.txt", vars, sizeof(vars) / sizeof(vars[0]),
	    addr, subj, r->route.id);
}

void
portal_queue_notify_mail(struct req *r, const struct sp_msg_meta *m,
    const char *from, const char *subject)
{
	const struct sp_config *c = r->p->cfg;
	struct sp_notify n = { NULL, NULL, 0 };
	struct sp_notify_info in;
	struct sp_error err;
	struct sp_hbuf b;
	char link[1024];
	size_t i;

	snprintf(link, sizeof(link), "%s/m/%s", c->portal_url, m->id);
	memset(&in, 0, sizeof(in));
	in.sender = from;
	in.subject = subject;
	in.link = link;
	in.ref = m->ref;
	in.expires = m->expires;
	in.brand_name = c->brand_name;
	in.brand_color = c->brand_color;
	in.brand_logo_url = c->brand_logo_url;
	in.brand_privacy_url = c->brand_privacy_url;
	in.brand_footer = c->brand_footer;
	sp_hbuf_init(&b, 4 << 20);
	if (sp_notify_build(c->templates_dir, &in, &n, &err) != SP_OK) {
		sp_log(LOG_ERR, r->route.id, "action=mail-failed reason=\"%s\"",
		    err.msg);
		goto out;
	}
	add_common_headers(r, &b, from);
	for (i = 0; i < m->nrcpt; i++)
		sp_hbuf_printf(
		    &b, "%s<%s>", i ? ",\r\n " : "To: ", m->rcpts[i]);
	sp_hbuf_adds(&b, "\r\nSubject: ");
	portal_header_text(&b, subject ? subject : "(no subject)");
	sp_hbuf_printf(&b, "\r\nContent-Type: %s\r\n\r\n", n.content_type);
	sp_hbuf_add(&b, n.body, n.body_len);
	queue(r, &b, (const char *const *)m->rcpts, m->nrcpt);
out:
	sp_notify_cleanup(&n);
	sp_hbuf_cleanup(&b);
}

/* The passcode mail of a sender (templates_dir/sent_passcode.txt): like
 * the recipient's, it holds the code and no link. */
void
portal_queue_sent_code_mail(struct req *r, const char *addr, const char *code)
{
	const struct sp_config *c = r->p->cfg;
	char minutes[32];
	const struct sp_tvar vars[] = {
		{ "brand_name", c->brand_name ? c->brand_name : "sealpost" },
		{ "code", code },
		{ "addr", addr },
		{ "minutes", minutes },
		{ "brand_footer", c->brand_footer },
		{ "brand_privacy_url", c->brand_privacy_url },
	};

	snprintf(minutes, sizeof(minutes), "%lld",
	    (long long)(c->passcode_ttl / 60));
	queue_passcode(r, "sent_passcode.txt", vars,
	    sizeof(vars) / sizeof(vars[0]), addr,
	    "Your code for the messages you sent", "-");
}
