/* SPDX-License-Identifier: MIT */
/*
 * portal_reply: reply, reply all and forward from the portal.
 *
 * The answer is written as a plain-text mail from the signed-in
 * recipient, sealed into the store like any sealed message (same rights
 * as the original, parent = the original's id) and announced to its
 * recipients by a notification sent to smtp_url; they read it through
 * the same sign-in.  Reply goes to the original's envelope sender; reply
 * all adds every envelope recipient but the one replying; forward goes
 * to the addresses typed in and carries the original as an attached
 * message/rfc822.  Each right is checked against the original's rights.
 */
#include "portal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sp_log.h"
#include "sp_mime_render.h"
#include "sp_msg.h"
#include "sp_notify.h"
#include "sp_rules.h"
#include "sp_seal.h"

#define REPLY_RCPT_MAX 50

struct rcpts {
	char *v[REPLY_RCPT_MAX];
	size_t n;
};

static void
rcpts_cleanup(struct rcpts *l)
{
	while (l->n > 0)
		free(l->v[--l->n]);
}

/* Adds an address unless it is empty, already there or self. */
static int
rcpts_add(struct rcpts *l, const char *a, size_t len, const char *self)
{
	size_t i;

	if (len == 0 || (strlen(self) == len && strncasecmp(a, self, len) == 0))
		return SP_OK;
	for (i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == len && strncasecmp(l->v[i], a, len) == 0)
			return SP_OK;
	if (l->n >= REPLY_RCPT_MAX || len > SP_AUTH_ADDR_MAX)
		return SP_ETOOBIG;
	for (i = 0; i < len; i++)
		if ((unsigned char)a[i] <= 0x20 || strchr("<>\",;()", a[i]))
			return SP_EFORMAT;
	if (memchr(a, '@', len) == NULL)
		return SP_EFORMAT;
	l->v[l->n] = strndup(a, len);
	if (l->v[l->n] == NULL)
		return SP_ENOMEM;
	l->n++;
	return SP_OK;
}

/* Addresses typed for a forward: separated by commas, semicolons or
 * white space. */
static int
rcpts_parse(struct rcpts *l, const char *s, const char *self)
{
	size_t n;
	int rc;

	while (*s != '\0') {
		s += strspn(s, ",; \t\r\n");
		n = strcspn(s, ",; \t\r\n");
		rc = rcpts_add(l, s, n, self);
		if (rc != SP_OK)
			return rc;
		s += n;
	}
	return l->n > 0 ? SP_OK : SP_EFORMAT;
}

static int
pick_rcpts(
    struct req *r, const struct opened *o, const char *mode, struct rcpts *l)
{
	const char *self = o->s.rcpt, *to;
	size_t i;
	int rc;

	if (strcmp(mode, "forward") == 0) {
		to = portal_form(r, "to", NULL);
		return rcpts_parse(l, to ? to : "", self);
	}
	rc = rcpts_add(l, o->m.sender, strlen(o->m.sender), self);
	for (i = 0;
	     rc == SP_OK && strcmp(mode, "replyall") == 0 && i < o->m.nrcpt;
	     i++)
		rc = rcpts_add(l, o->m.rcpts[i], strlen(o->m.rcpts[i]), self);
	if (rc == SP_OK && l->n == 0)
		rc = SP_EFORMAT;
	return rc;
}

static uint32_t
mode_right(const char *mode)
{
	if (strcmp(mode, "reply") == 0)
		return SP_RIGHT_REPLY;
	if (strcmp(mode, "replyall") == 0)
		return SP_RIGHT_REPLY_ALL;
	if (strcmp(mode, "forward") == 0)
		return SP_RIGHT_FORWARD;
	return 0;
}

/* "Re: subject" unless it already starts so; "Fwd: subject". */
static void
answer_subject(const struct opened *o, bool fwd, char *buf, size_t cap)
{
	const char *s = o->v->subject ? o->v->subject : "";
	const char *pre = fwd ? "Fwd: " : "Re: ";

	if (strncasecmp(s, pre, strlen(pre)) == 0)
		pre = "";
	snprintf(buf, cap, "%s%s", pre, s);
}

/* The answer as a mail, into b. */
static int
build_mail(struct req *r, const struct opened *o, const struct rcpts *l,
    const char *subject, bool fwd, struct sp_hbuf *b)
{
	const char *text = portal_form(r, "body", NULL);
	unsigned char rnd[18];
	char date[64], mid[32], bnd[32], *qp = NULL;
	size_t qlen, i;
	int rc;

	rc = sp_qp_encode(
	    text ? text : "", text ? strlen(text) : 0, &qp, &qlen, NULL);
	if (rc != SP_OK)
		return rc;
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2base64(mid, sizeof(mid), rnd, 12,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_bin2base64(bnd, sizeof(bnd), rnd + 12, 6,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	portal_mail_date(r->now, date, sizeof(date));
	sp_hbuf_printf(b, "From: <%s>\r\nDate: %s\r\n", o->s.rcpt, date);
	for (i = 0; i < l->n; i++)
		sp_hbuf_printf(b, "%s<%s>", i ? ",\r\n " : "To: ", l->v[i]);
	sp_hbuf_adds(b, "\r\nSubject: ");
	portal_header_text(b, subject);
	sp_hbuf_printf(b, "\r\nMessage-ID: <%s@sealpost.invalid>\r\n", mid);
	if (!fwd && o->v->message_id != NULL &&
	    strpbrk(o->v->message_id, "<>\r\n") == NULL)
		sp_hbuf_printf(b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n",
		    o->v->message_id, o->v->message_id);
	sp_hbuf_adds(b, "MIME-Version: 1.0\r\n");
	if (fwd)
		sp_hbuf_printf(b,
		    "Content-Type: multipart/mixed; "
		    "boundary=\"=_%s\"\r\n\r\n--=_%s\r\n",
		    bnd, bnd);
	sp_hbuf_adds(b,
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	sp_hbuf_add(b, qp, qlen);
	if (fwd) {
		sp_hbuf_printf(b,
		    "\r\n--=_%s\r\nContent-Type: message/rfc822\r\n"
		    "Content-Disposition: attachment; "
		    "filename=\"forwarded.eml\"\r\n\r\n",
		    bnd);
		sp_hbuf_add(b, o->raw, o->len);
		sp_hbuf_printf(b, "\r\n--=_%s--\r\n", bnd);
	}
	free(qp);
	return sp_hbuf_failed(b) ? SP_ETOOBIG : SP_OK;
}

/* Seals the answer into the store; meta gets its id and ref. */
static int
seal_answer(struct req *r, const struct opened *o, const struct rcpts *l,
    const struct sp_hbuf *mail, struct sp_msg_meta *meta)
{
	const struct sp_config *c = r->p->cfg;
	struct sp_error err;
	int rc;

	memset(meta, 0, sizeof(*meta));
	sp_id_new(meta->id);
	sp_ref_new(meta->ref);
	meta->created = r->now;
	meta->expires = c->default_expire > 0 ? r->now + c->default_expire : 0;
	meta->state = SP_MSG_ACTIVE;
	snprintf(meta->template_name, sizeof(meta->template_name), "%s",
	    o->m.template_name);
	meta->rights = o->m.rights;
	meta->sender = (char *)o->s.rcpt;
	meta->rcpts = (char **)l->v;
	meta->nrcpt = l->n;
	meta->parent = (char *)o->m.id;
	rc = sp_msg_seal_buffer(
	    r->p->store, r->p->keys, meta, mail->data, mail->len, &err);
	if (rc != SP_OK)
		sp_log(LOG_ERR, r->route.id,
		    "action=reply-failed reason=\"%s\"", err.msg);
	return rc;
}

static void
answer(struct req *r, struct opened *o, const char *mode)
{
	bool fwd = strcmp(mode, "forward") == 0;
	struct rcpts l = { { NULL }, 0 };
	struct sp_msg_meta meta;
	struct sp_hbuf mail;
	char subject[1024], detail[96];

	sp_hbuf_init(&mail, (size_t)r->p->cfg->max_message_size);
	if (pick_rcpts(r, o, mode, &l) != SP_OK) {
		portal_notice(r, 400, "Check the recipients",
		    fwd ? "Enter one or more mail addresses, separated by "
		          "commas."
		        : "This message has no address to answer to.");
		goto out;
	}
	answer_subject(o, fwd, subject, sizeof(subject));
	if (build_mail(r, o, &l, subject, fwd, &mail) != SP_OK ||
	    seal_answer(r, o, &l, &mail, &meta) != SP_OK) {
		portal_notice(r, 500, "Not sent",
		    "The portal could not send your answer. Try again later.");
		goto out;
	}
	portal_queue_notify_mail(r, &meta, o->s.rcpt, subject);
	snprintf(detail, sizeof(detail), "new=%s rcpts=%zu", meta.id, l.n);
	portal_audit(
	    r, r->route.id, fwd ? "forward" : "reply", o->s.rcpt, detail);
	portal_notice(r, 200, "Sent",
	    fwd ? "The message was forwarded, "
	          "sealed: its recipients get a mail telling them how to read it."
	        : "Your reply was sent, sealed: its recipients get a mail telling "
	          "them how to read it.");
out:
	if (mail.data != NULL)
		sodium_memzero(mail.data, mail.len);
	sp_hbuf_cleanup(&mail);
	rcpts_cleanup(&l);
}

void
portal_reply(struct req *r)
{
	const char *mode = portal_form(r, "mode", NULL);
	uint64_t text_len = 0;
	struct opened o;
	size_t n;

	if (!portal_post_ok(r, PORTAL_SES_COOKIE)) {
		portal_notice(r, 403, "Request refused",
		    "This form has expired. Reload the page and try again.");
		return;
	}
	if (!portal_open(r, &o))
		return;
	if (portal_form(r, "body", &n) != NULL)
		text_len = n;
	if (mode == NULL || (o.m.rights & mode_right(mode)) == 0 ||
	    mode_right(mode) == 0)
		portal_notice(r, 403, "Not allowed",
		    "The sender does not allow this for this message.");
	else if (text_len > r->p->cfg->max_reply_size)
		portal_notice(r, 413, "Too long",
		    "Your text is longer than this portal accepts. Shorten it "
		    "and send it again.");
	else
		answer(r, &o, mode);
	portal_opened_cleanup(&o);
}
