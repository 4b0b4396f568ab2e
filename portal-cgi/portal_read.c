/* SPDX-License-Identifier: MIT */
/*
 * portal_read: showing an opened message to a signed-in recipient.
 *
 * The original is opened from the store (every chunk authenticated) and
 * parsed with sp_mime_view on each request; nothing decrypted is kept
 * between requests but the message key itself: each worker keeps the
 * unwrapped keys of recently read messages (at most 64, for at most five
 * minutes, in guarded memory; sp_keycache.h), consulted only after
 * portal_session() found the message still readable.  The page shows headers,
 * the text body and the attachments; an HTML body is never inlined: it is
 * sanitized and served from its own URL (/m/ID/html) with a sandbox CSP, inside
 * an iframe without allow-scripts or allow-same-origin.  Remote images are
 * removed by the sanitizer, and the page says so.
 */
#include "portal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_html_sanitize.h"
#include "sp_keycache.h"
#include "sp_log.h"
#include "sp_mime_render.h"
#include "sp_msg.h"
#include "sp_rules.h"
#include "sp_template.h"

#define INLINE_IMAGE_MAX (2u * 1024 * 1024)

static const char html_csp[] =
    "sandbox; default-src 'none'; img-src data:; "
    "style-src 'unsafe-inline'; font-src data:; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'self'";

void
portal_opened_cleanup(struct opened *o)
{
	sp_mime_view_free(o->v);
	if (o->raw != NULL) {
		sodium_memzero(o->raw, o->len);
		free(o->raw);
	}
	sp_msg_meta_cleanup(&o->m);
	memset(o, 0, sizeof(*o));
}

bool
portal_open(struct req *r, struct opened *o)
{
	struct sp_error err;

	memset(o, 0, sizeof(*o));
	if (!portal_session(r, &o->s, &o->m))
		return false;
	/* Only now, with the record's state checked, may a kept message key
	 * be used (docs/portal.md); without a cache every read unwraps. */
	if (sp_keyring_keycache_enable(r->p->keys, &err) != SP_OK)
		sp_log(LOG_WARNING, r->route.id,
		    "action=keycache-off "
		    "reason=\"%s\"",
		    err.msg);
	if (sp_msg_open_buffer(r->p->store, r->p->keys, &o->m,
	        (size_t)r->p->cfg->max_message_size, &o->raw, &o->len,
	        &err) != SP_OK ||
	    sp_mime_view_new(o->raw, o->len, NULL, &o->v, &err) != SP_OK) {
		sp_log(LOG_ERR, r->route.id, "action=open-failed reason=\"%s\"",
		    err.msg);
		portal_notice(r, 500, "Message cannot be opened",
		    "The portal could not open this message. Please tell the "
		    "sender, quoting the reference code.");
		portal_opened_cleanup(o);
		return false;
	}
	return true;
}

static char *
cid_to_data(void *ctx, const char *cid)
{
	const struct sp_mime_view *v = ctx;
	long idx = sp_mime_find_cid(v, cid);

	if (idx < 0)
		return NULL;
	return sp_mime_image_data_uri(v, (size_t)idx, INLINE_IMAGE_MAX);
}

static int
sanitize(
    const struct sp_mime_view *v, bool document, struct sp_html_result *res)
{
	struct sp_html_options opt;

	memset(&opt, 0, sizeof(opt));
	opt.document = document;
	opt.cid_url = cid_to_data;
	opt.cid_ctx = (void *)v;
	return sp_html_sanitize(v->html, v->html_len, &opt, res, NULL);
}

/* The attachment list as HTML (values escaped here). */
static void
att_list(
    struct req *r, const struct opened *o, bool download, struct sp_hbuf *b)
{
	size_t i;

	for (i = 0; i < o->v->natt; i++) {
		const struct sp_mime_attachment *a = &o->v->att[i];

		sp_hbuf_adds(b, "<li>");
		if (download)
			sp_hbuf_printf(b, "<a href=\"/m/%s/att/%zu\" download>",
			    r->route.id, i);
		sp_hbuf_add_html(b, a->filename, strlen(a->filename));
		if (download)
			sp_hbuf_adds(b, "</a>");
		sp_hbuf_adds(b, " <span class=\"meta\">(");
		sp_hbuf_add_html(b, a->content_type, strlen(a->content_type));
		sp_hbuf_printf(b, ", %zu bytes)</span></li>\n", a->size);
	}
}

static const char *
flag(uint32_t rights, uint32_t bit)
{
	return (rights & bit) ? "1" : "";
}

static const char *
or_empty(const char *s)
{
	return s ? s : "";
}

/* Renders the read page (name "read") or the print view ("print"). */
static void
show(struct req *r, struct opened *o, const char *name)
{
	struct sp_html_result res;
	struct sp_hbuf atts;
	char csrf[SP_CSRF_LEN + 1], remote[160] = "";
	uint32_t rt = o->m.rights;
	const struct sp_mime_view *v = o->v;

	memset(&res, 0, sizeof(res));
	if (v->html != NULL && sanitize(v, false, &res) == SP_OK &&
	    res.remote_images > 0)
		snprintf(remote, sizeof(remote), "%s",
		    "Remote content was blocked: the portal does not load "
		    "images or anything else from outside.");
	sp_html_result_cleanup(&res);
	sp_hbuf_init(&atts, 1 << 20);
	att_list(r, o, (rt & SP_RIGHT_DOWNLOAD) != 0, &atts);
	portal_session_csrf(r, csrf);
	{
		const struct sp_tvar vars[] = {
			{ "id", r->route.id },
			{ "ref", o->m.ref },
			{ "rcpt", o->s.rcpt },
			{ "csrf", csrf },
			{ "from", or_empty(v->from.display) },
			{ "to", or_empty(v->to.display) },
			{ "cc", or_empty(v->cc.display) },
			{ "date", or_empty(v->date) },
			{ "subject", v->subject ? v->subject : "(no subject)" },
			{ "text", or_empty(v->text) },
			{ "has_html", v->html ? "1" : "" },
			{ "remote_note", remote },
			{ "warning", v->warning },
			{ "attachments", atts.data ? atts.data : "" },
			{ "can_reply", flag(rt, SP_RIGHT_REPLY) },
			{ "can_reply_all", flag(rt, SP_RIGHT_REPLY_ALL) },
			{ "can_forward", flag(rt, SP_RIGHT_FORWARD) },
			{ "can_print", flag(rt, SP_RIGHT_PRINT) },
			{ "can_respond",
			    flag(rt,
			        SP_RIGHT_REPLY | SP_RIGHT_REPLY_ALL |
			            SP_RIGHT_FORWARD) },
		};

		portal_page(r, 200, name,
		    v->subject ? v->subject : "Protected message", vars,
		    sizeof(vars) / sizeof(vars[0]));
	}
	sp_hbuf_cleanup(&atts);
}

void
portal_read(struct req *r)
{
	struct opened o;

	if (!portal_open(r, &o))
		return;
	/* the view is on disk before anything of the message goes out */
	if (portal_audit(r, r->route.id, "view", o.s.rcpt, "") != SP_OK)
		portal_audit_refused(r);
	else
		show(r, &o, "read");
	portal_opened_cleanup(&o);
}

void
portal_print(struct req *r)
{
	struct opened o;

	if (!portal_open(r, &o))
		return;
	if ((o.m.rights & SP_RIGHT_PRINT) == 0) {
		portal_notice(r, 403, "Not allowed",
		    "The sender does not allow printing this message.");
	} else if (portal_audit(r, r->route.id, "print", o.s.rcpt, "") !=
	    SP_OK) {
		portal_audit_refused(r);
	} else {
		show(r, &o, "print");
	}
	portal_opened_cleanup(&o);
}

void
portal_html(struct req *r)
{
	struct sp_html_result res;
	struct opened o;

	if (!portal_open(r, &o))
		return;
	memset(&res, 0, sizeof(res));
	if (o.v->html == NULL || sanitize(o.v, true, &res) != SP_OK) {
		portal_notice(r, 404, "No HTML",
		    "This message has no HTML part "
		    "that can be shown.");
	} else if (portal_audit(r, r->route.id, "view", o.s.rcpt, "html") !=
	    SP_OK) {
		/* the HTML body is the message too: on disk before it goes */
		portal_audit_refused(r);
	} else {
		r->csp = html_csp;
		r->content_type = "text/html; charset=utf-8";
		sp_hbuf_add(&r->body, res.html, res.len);
	}
	sp_html_result_cleanup(&res);
	portal_opened_cleanup(&o);
}

struct att_sink {
	struct sp_hbuf *b;
};

static int
att_write(void *ctx, const char *data, size_t len)
{
	struct att_sink *s = ctx;

	sp_hbuf_add(s->b, data, len);
	return sp_hbuf_failed(s->b) ? SP_ETOOBIG : 0;
}

void
portal_att(struct req *r)
{
	struct att_sink sink = { &r->body };
	char name[128], detail[64];
	const char *safe;
	struct opened o;

	if (!portal_open(r, &o))
		return;
	if ((o.m.rights & SP_RIGHT_DOWNLOAD) == 0 ||
	    r->route.att >= o.v->natt) {
		portal_notice(r, (o.m.rights & SP_RIGHT_DOWNLOAD) ? 404 : 403,
		    "No download", "This attachment cannot be downloaded.");
		goto out;
	}
	snprintf(detail, sizeof(detail), "att=%u", r->route.att);
	if (portal_audit(r, r->route.id, "download", o.s.rcpt, detail) !=
	    SP_OK) {
		portal_audit_refused(r);
		goto out;
	}
	/* an attachment may be as large as the message it came in */
	if (r->p->cfg->max_message_size > r->body.max)
		r->body.max = (size_t)r->p->cfg->max_message_size;
	if (sp_mime_attachment_write(
	        o.v, r->route.att, att_write, &sink, NULL) != SP_OK) {
		portal_notice(r, 500, "No download",
		    "The portal could not read this attachment.");
		goto out;
	}
	/* both forms name the same safe file: filename* its UTF-8, filename
	 * an ASCII rendering of it for old clients */
	safe = o.v->att[r->route.att].filename;
	sp_http_safe_filename(safe, strlen(safe), name, sizeof(name));
	r->content_type = "application/octet-stream";
	sp_hbuf_printf(&r->hdrs,
	    "Content-Disposition: attachment; filename=\"%s\"; filename*=",
	    name);
	sp_http_add_filename_star(&r->hdrs, safe, strlen(safe));
	sp_hbuf_adds(&r->hdrs, "\r\n");
out:
	portal_opened_cleanup(&o);
}
