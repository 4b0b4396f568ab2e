/* SPDX-License-Identifier: MIT */
/*
 * portal_sender_list: the page that shows a signed-in sender the
 * messages whose envelope sender is their address (compared without
 * case), newest first, at most SENT_LIST_MAX.  For each: reference code,
 * when it was sealed and when it expires, its state, and per recipient
 * what the audit trail says: when they first opened it and how often,
 * downloads, replies and forwards, and whether it was withdrawn for
 * them.  Nothing of the content is shown (the store holds no subject).
 *
 * The page is built from three templates: portal_sent.html holds
 * portal_sent_msg.html once per message, which holds
 * portal_sent_rcpt.html once per recipient.  Each is rendered with
 * escaped values; only the pieces rendered here go in raw.
 */
#include "portal_sender.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sp_log.h"
#include "sp_revoked.h"
#include "sp_template.h"
#include "sp_time.h"

struct sent_msgs {
	const char *addr;
	struct sp_msg_meta *v;
	size_t n, cap;
	int failed;
};

/* What the audit trail says about one recipient. */
struct rcpt_use {
	int64_t first_view, last_dl, last_answer;
	uint32_t views, downloads, answers;
};

static char *
dup_or_null(const char *s, bool *nomem)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*nomem = true;
	return d;
}

/* A deep copy of m into d (the store's copy lives only in the call). */
static int
meta_copy(struct sp_msg_meta *d, const struct sp_msg_meta *m)
{
	bool nomem = false;
	size_t i;

	*d = *m;
	d->sender = dup_or_null(m->sender, &nomem);
	d->parent = dup_or_null(m->parent, &nomem);
	d->revoked_rcpts = dup_or_null(m->revoked_rcpts, &nomem);
	d->rcpts = calloc(m->nrcpt ? m->nrcpt : 1, sizeof(char *));
	if (d->rcpts == NULL)
		nomem = true;
	for (i = 0; d->rcpts != NULL && i < m->nrcpt; i++)
		d->rcpts[i] = dup_or_null(m->rcpts[i], &nomem);
	if (nomem) {
		sp_msg_meta_cleanup(d);
		return SP_ENOMEM;
	}
	return SP_OK;
}

static int
collect(void *vctx, const struct sp_msg_meta *m)
{
	struct sent_msgs *c = vctx;
	struct sp_msg_meta *nv;

	if (m->sender == NULL || strcasecmp(m->sender, c->addr) != 0)
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		nv = realloc(c->v, c->cap * sizeof(*nv));
		if (nv == NULL)
			return c->failed = SP_ENOMEM;
		c->v = nv;
	}
	if (meta_copy(&c->v[c->n], m) != SP_OK)
		return c->failed = SP_ENOMEM;
	c->n++;
	return 0;
}

static int
newest_first(const void *a, const void *b)
{
	const struct sp_msg_meta *x = a, *y = b;

	return x->created < y->created ? 1 : x->created > y->created ? -1 : 0;
}

struct use_ctx {
	const struct sp_msg_meta *m;
	struct rcpt_use *u;
};

static int
count_use(void *vctx, const struct sp_audit_event *ev)
{
	struct use_ctx *c = vctx;
	struct rcpt_use *u = NULL;
	size_t i;

	for (i = 0; i < c->m->nrcpt && u == NULL; i++)
		if (strcasecmp(ev->actor, c->m->rcpts[i]) == 0)
			u = &c->u[i];
	if (u == NULL)
		return 0;
	if (strcmp(ev->event, "view") == 0) {
		/* a page's HTML body (detail "html") is part of that view */
		if (strcmp(ev->detail, "html") == 0 && u->views > 0)
			return 0;
		if (u->views++ == 0)
			u->first_view = ev->when;
	} else if (strcmp(ev->event, "download") == 0) {
		u->downloads++;
		u->last_dl = ev->when;
	} else if (strcmp(ev->event, "reply") == 0 ||
	    strcmp(ev->event, "forward") == 0) {
		u->answers++;
		u->last_answer = ev->when;
	}
	return 0;
}

static const char *
state_name(const struct sp_msg_meta *m, int64_t now)
{
	if (m->state == SP_MSG_PURGED)
		return "deleted";
	if (m->state == SP_MSG_REVOKED || m->revoked != 0)
		return "withdrawn";
	if (m->expires != 0 && m->expires <= now)
		return "expired";
	return "active";
}

/* "N (last DATE)", or "" for none. */
static void
count_text(char *buf, size_t cap, uint32_t n, const char *what, int64_t t)
{
	char ts[SP_TIME_STR_MAX];

	if (n == 0)
		buf[0] = '\0';
	else
		snprintf(buf, cap, "%u %s%s, last %s", n, what,
		    n == 1 ? "" : "s", sp_time_format(t, ts));
}

/* One recipient's row into out; false when a template failed. */
static bool
rcpt_row(struct req *r, const struct sp_msg_meta *m, size_t i,
    const struct rcpt_use *u, const char *csrf, bool open, struct sp_hbuf *out)
{
	char opened[96] = "", dls[96], answers[96], ts[SP_TIME_STR_MAX];
	bool revoked = sp_revoked_has(m, m->rcpts[i]);
	const struct sp_tvar vars[] = {
		{ "id", m->id },
		{ "rcpt", m->rcpts[i] },
		{ "csrf", csrf },
		{ "revoked", revoked ? "yes" : NULL },
		{ "can_revoke", open && !revoked ? "yes" : NULL },
		{ "opened", opened },
		{ "downloads", dls },
		{ "answers", answers },
	};
	char *text = NULL;
	size_t len;
	struct sp_error err;

	if (u->views > 0)
		snprintf(opened, sizeof(opened), "%s (%u view%s)",
		    sp_time_format(u->first_view, ts), u->views,
		    u->views == 1 ? "" : "s");
	count_text(dls, sizeof(dls), u->downloads, "download", u->last_dl);
	count_text(
	    answers, sizeof(answers), u->answers, "answer", u->last_answer);
	if (sp_template_render_file(r->p->cfg->templates_dir,
	        "portal_sent_rcpt.html", vars, sizeof(vars) / sizeof(vars[0]),
	        &text, &len, &err) != SP_OK) {
		sp_log(LOG_ERR, m->id, "action=page-failed reason=\"%s\"",
		    err.msg);
		return false;
	}
	sp_hbuf_add(out, text, len);
	free(text);
	return true;
}

/* The rows of m's recipients, with what the audit trail says. */
static bool
rcpt_rows(struct req *r, const struct sp_msg_meta *m, const char *csrf,
    bool open, struct sp_hbuf *rows)
{
	struct rcpt_use *u = calloc(m->nrcpt ? m->nrcpt : 1, sizeof(*u));
	struct use_ctx uc = { m, u };
	bool ok = u != NULL;
	size_t i;

	if (ok &&
	    sp_store_audit_list(r->p->store, m->id, count_use, &uc, NULL) !=
	        SP_OK)
		sp_log(LOG_WARNING, m->id, "action=audit-read-failed");
	for (i = 0; ok && i < m->nrcpt; i++)
		ok = rcpt_row(r, m, i, &u[i], csrf, open, rows);
	free(u);
	return ok;
}

static bool
msg_block(struct req *r, const struct sp_msg_meta *m, const char *csrf,
    struct sp_hbuf *out)
{
	const char *state = state_name(m, r->now);
	bool open = strcmp(state, "active") == 0;
	bool changeable = open || strcmp(state, "expired") == 0;
	char created[SP_TIME_STR_MAX], expires[SP_TIME_STR_MAX];
	char latest[SP_TIME_STR_MAX], *text = NULL;
	struct sp_hbuf rows;
	struct sp_error err;
	size_t len;
	bool ok;

	sp_hbuf_init(&rows, PORTAL_PAGE_MAX);
	ok = rcpt_rows(r, m, csrf, open, &rows) && !sp_hbuf_failed(&rows);
	sp_time_format(m->created, created);
	sp_time_format(m->created + r->p->cfg->max_expire, latest);
	if (m->expires != 0)
		sp_time_format(m->expires, expires);
	else
		snprintf(expires, sizeof(expires), "never");
	{
		const struct sp_tvar vars[] = {
			{ "id", m->id },
			{ "ref", m->ref },
			{ "created", created },
			{ "expires", expires },
			{ "latest", latest },
			{ "state", state },
			{ "csrf", csrf },
			{ "can_revoke", open ? "yes" : NULL },
			{ "can_expire", changeable ? "yes" : NULL },
			{ "rcpts", ok ? rows.data : "" },
		};

		if (ok &&
		    sp_template_render_file(r->p->cfg->templates_dir,
		        "portal_sent_msg.html", vars,
		        sizeof(vars) / sizeof(vars[0]), &text, &len,
		        &err) != SP_OK) {
			sp_log(LOG_ERR, m->id,
			    "action=page-failed reason=\"%s\"", err.msg);
			ok = false;
		}
	}
	if (ok)
		sp_hbuf_add(out, text, len);
	free(text);
	sp_hbuf_cleanup(&rows);
	return ok;
}

static void
list_page(struct req *r, const struct sp_session *s, const struct sent_msgs *c)
{
	char csrf[SP_CSRF_LEN + 1], count[32];
	struct sp_hbuf msgs;
	size_t i;
	bool ok = true;

	portal_sent_csrf(r, csrf);
	sp_hbuf_init(&msgs, PORTAL_PAGE_MAX);
	sp_hbuf_adds(&msgs, "");
	for (i = 0; ok && i < c->n && i < SENT_LIST_MAX; i++)
		ok = msg_block(r, &c->v[i], csrf, &msgs);
	snprintf(count, sizeof(count), "%zu", c->n);
	if (!ok || sp_hbuf_failed(&msgs)) {
		portal_notice(r, 500, "Messages you sent",
		    "The portal could not show your messages. Try again later.");
	} else {
		const struct sp_tvar vars[] = {
			{ "addr", s->rcpt },
			{ "csrf", csrf },
			{ "count", count },
			{ "more", c->n > SENT_LIST_MAX ? "yes" : NULL },
			{ "messages", msgs.data },
		};

		portal_page(r, 200, "sent", "Messages you sent", vars,
		    sizeof(vars) / sizeof(vars[0]));
	}
	sp_hbuf_cleanup(&msgs);
}

void
portal_sent_list(struct req *r, const struct sp_session *s)
{
	struct sent_msgs c = { s->rcpt, NULL, 0, 0, 0 };
	struct sp_error err;
	size_t i;

	if (sp_store_msg_list(r->p->store, collect, &c, &err) != SP_OK ||
	    c.failed != 0) {
		sp_log(LOG_ERR, "-", "action=sent-list-failed reason=\"%s\"",
		    c.failed ? "out of memory" : err.msg);
		portal_notice(r, 500, "Messages you sent",
		    "The portal could not show your messages. Try again later.");
		goto out;
	}
	if (c.n > 1)
		qsort(c.v, c.n, sizeof(c.v[0]), newest_first);
	list_page(r, s, &c);
out:
	for (i = 0; i < c.n; i++)
		sp_msg_meta_cleanup(&c.v[i]);
	free(c.v);
}
