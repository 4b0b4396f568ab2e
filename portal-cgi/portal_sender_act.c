/* SPDX-License-Identifier: MIT */
/*
 * portal_sender_act: what a signed-in sender may change about a message
 * they sent.
 *
 *   POST /sent/ID/revoke          withdraw it for everyone (state
 *                                 revoked, as sealpostctl revoke does)
 *   POST /sent/ID/revoke rcpt=A   withdraw it for recipient A only (A is
 *                                 put on the message's revoked_rcpts)
 *   POST /sent/ID/expire when=T   a new expiry: any time from now (T as
 *                                 sp_time_parse reads it: a date, "+7d",
 *                                 "now") up to created + max_expire
 *
 * Only the message's own sender may; for anyone else the message does
 * not exist (404).  A purged or withdrawn message cannot be changed; an
 * expired one may be given a later expiry as long as its content is
 * still held.  Each change is an audit event whose actor is the sender.
 * Recipients see a change at their next request (portal_gone.c).
 *
 * XXX: the change is a read then a write of the metadata, not one
 * transaction; an admin's change to the same message in between is
 * overwritten.  Both are rare and the audit trail shows both.
 */
#include "portal_sender.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sp_log.h"
#include "sp_revoked.h"
#include "sp_time.h"

/* The session and the message it may change; false with an answer set
 * (clean m up either way). */
static bool
act_load(struct req *r, struct sp_session *s, struct sp_msg_meta *m)
{
	memset(m, 0, sizeof(*m));
	if (!portal_post_ok(r, PORTAL_SENT_COOKIE) ||
	    !portal_sent_session(r, s)) {
		portal_notice(r, 403, "Request refused",
		    "This form has expired. Open the sent messages page "
		    "again.");
		return false;
	}
	if (sp_store_msg_get(r->p->store, r->route.id, m, NULL) != SP_OK ||
	    m->sender == NULL || strcasecmp(m->sender, s->rcpt) != 0) {
		portal_notice(r, 404, "Not found",
		    "You sent no message with this address.");
		return false;
	}
	if (m->state != SP_MSG_ACTIVE || m->revoked != 0) {
		portal_notice(r, 410, "Message withdrawn",
		    "This message was withdrawn or deleted; it cannot be "
		    "changed any more.");
		return false;
	}
	return true;
}

static bool
act_save(struct req *r, const struct sp_msg_meta *m, const char *actor,
    const char *event, const char *detail)
{
	struct sp_error err;

	if (sp_store_msg_update(r->p->store, m, &err) != SP_OK) {
		sp_log(LOG_ERR, m->id, "action=%s-failed reason=\"%s\"", event,
		    err.msg);
		portal_notice(r, 500, "Not saved",
		    "The portal could not save the change. Try again later.");
		return false;
	}
	portal_audit(r, m->id, event, actor, detail);
	portal_redirect(r, "/sent#m-%s", m->id);
	return true;
}

static bool
is_rcpt(const struct sp_msg_meta *m, const char *addr)
{
	size_t i;

	for (i = 0; i < m->nrcpt; i++)
		if (strcasecmp(m->rcpts[i], addr) == 0)
			return true;
	return false;
}

void
portal_sent_revoke(struct req *r)
{
	struct sp_session s;
	struct sp_msg_meta m;
	char detail[SP_AUTH_ADDR_MAX + 8];
	const char *rcpt;
	size_t len = 0;

	if (!act_load(r, &s, &m))
		goto out;
	rcpt = portal_form(r, "rcpt", &len);
	if (rcpt == NULL || len == 0) {
		m.state = SP_MSG_REVOKED;
		m.revoked = r->now;
		(void)act_save(r, &m, s.rcpt, "revoke", "all");
		goto out;
	}
	if (strlen(rcpt) != len || !is_rcpt(&m, rcpt)) {
		portal_notice(r, 400, "Not a recipient",
		    "This message was not sent to that address.");
		goto out;
	}
	if (sp_revoked_add(&m, rcpt, NULL) != SP_OK) {
		portal_notice(r, 400, "Not a recipient",
		    "This address cannot be withdrawn.");
		goto out;
	}
	snprintf(detail, sizeof(detail), "rcpt=%s", rcpt);
	(void)act_save(r, &m, s.rcpt, "revoke", detail);
out:
	sp_msg_meta_cleanup(&m);
}

/* The new expiry from the form, or false with an answer set. */
static bool
expire_when(struct req *r, const struct sp_msg_meta *m, int64_t *when)
{
	const char *v = portal_form(r, "when", NULL);
	int64_t latest = m->created + r->p->cfg->max_expire;
	char text[160], ts[SP_TIME_STR_MAX];

	if (v == NULL || sp_time_parse(v, r->now, when, NULL) != SP_OK) {
		portal_notice(r, 400, "Check the date",
		    "Give the new expiry as a date (2026-12-31), a date and "
		    "time (2026-12-31 18:00, UTC), a span from now (+7d, "
		    "+12h) or \"now\".");
		return false;
	}
	if (*when < r->now)
		*when = r->now;
	if (*when > latest) {
		snprintf(text, sizeof(text),
		    "This message may be kept until %s at the latest.",
		    sp_time_format(latest, ts));
		portal_notice(r, 400, "Too late", text);
		return false;
	}
	return true;
}

void
portal_sent_expire(struct req *r)
{
	char detail[96], was[SP_TIME_STR_MAX], now[SP_TIME_STR_MAX];
	struct sp_session s;
	struct sp_msg_meta m;
	int64_t when;

	if (!act_load(r, &s, &m) || !expire_when(r, &m, &when))
		goto out;
	if (m.expires != 0)
		sp_time_format(m.expires, was);
	else
		snprintf(was, sizeof(was), "never");
	snprintf(detail, sizeof(detail), "expires=%s was=%s",
	    sp_time_format(when, now), was);
	m.expires = when;
	(void)act_save(r, &m, s.rcpt, "expire", detail);
out:
	sp_msg_meta_cleanup(&m);
}
