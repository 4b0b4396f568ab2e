/* SPDX-License-Identifier: MIT */
/*
 * portal_signin: the landing page, passcode requests, sign-in, sessions
 * and logout.
 *
 * Enumeration: a code request gets the same page, status and time
 * whether or not the address is a recipient and whether or not the
 * message exists.  The same work is done for every well-formed address
 * (a code is issued and counted against the address's hourly limit; it
 * is only mailed to a recipient), the answer is held back to a fixed
 * minimum time, and the mail goes out after the answer.  Sign-in checks
 * the code for any address; it only succeeds for a recipient, and its
 * answers are held to the same minimum time.  The landing page itself
 * does say whether a message exists (404): ids are 128 random bits, so
 * that tells nothing to someone who does not hold the link.
 *
 * CSRF: before sign-in the forms carry a token bound to a random
 * pre-session cookie (sp_pre); after it, a token bound to the session
 * cookie.  Both come with an Origin and Sec-Fetch-Site check.
 */
#include "portal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sp_log.h"
#include "sp_template.h"

#define PRE_RAW 32

/* 0 when the message can be read, or the status of the page to show. */
static int
msg_state(const struct sp_msg_meta *m, int64_t now)
{
	if (m->state != SP_MSG_ACTIVE || m->revoked != 0)
		return 410;
	if (m->expires != 0 && m->expires <= now)
		return 410;
	return 0;
}

static void
missing_page(struct req *r)
{
	portal_notice(r, 404, "Message not available",
	    "There is no message at this address. Check the link in the "
	    "mail you received.");
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

bool
portal_addr_ok(const char *a, size_t len)
{
	const char *at;
	size_t i;

	if (a == NULL || len < 3 || len > SP_AUTH_ADDR_MAX || strlen(a) != len)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' ||
		    c == '"' || c == ',')
			return false;
	}
	at = strrchr(a, '@');
	return at != NULL && at != a && at[1] != '\0';
}

void
portal_pre_cookie(struct req *r, char out[SP_SESSION_ID_LEN + 1])
{
	const char *name = r->p->cfg->cookie_secure
	    ? "__Host-" PORTAL_PRE_COOKIE
	    : PORTAL_PRE_COOKIE;
	const char *have = portal_cookie(r, name);
	unsigned char raw[PRE_RAW];

	if (have != NULL && strlen(have) == SP_SESSION_ID_LEN) {
		snprintf(out, SP_SESSION_ID_LEN + 1, "%s", have);
		return;
	}
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, SP_SESSION_ID_LEN + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	portal_set_cookie(r, PORTAL_PRE_COOKIE, out, 3600);
}

void
portal_landing(struct req *r)
{
	struct sp_msg_meta m;
	char pre[SP_SESSION_ID_LEN + 1], csrf[SP_CSRF_LEN + 1];
	int st;

	memset(&m, 0, sizeof(m));
	if (sp_store_msg_get(r->p->store, r->route.id, &m, NULL) != SP_OK) {
		missing_page(r);
		return;
	}
	st = msg_state(&m, r->now);
	if (st != 0) {
		portal_gone(r, &m, NULL);
		goto out;
	}
	portal_pre_cookie(r, pre);
	sp_session_csrf(r->p->auth, pre, csrf);
	{
		const struct sp_tvar vars[] = {
			{ "id", r->route.id },
			{ "sender", m.sender[0] ? m.sender : "(no sender)" },
			{ "ref", m.ref },
			{ "csrf", csrf },
		};

		portal_page(r, 200, "landing", "Protected message", vars, 4);
	}
out:
	sp_msg_meta_cleanup(&m);
}

/* The page with the code form; error may be NULL. */
static void
code_page(struct req *r, int status, const char *addr, const char *error)
{
	char pre[SP_SESSION_ID_LEN + 1], csrf[SP_CSRF_LEN + 1];
	char minutes[32];
	const struct sp_tvar vars[] = {
		{ "id", r->route.id },
		{ "addr", addr },
		{ "csrf", csrf },
		{ "error", error },
		{ "minutes", minutes },
	};

	portal_pre_cookie(r, pre);
	sp_session_csrf(r->p->auth, pre, csrf);
	snprintf(minutes, sizeof(minutes), "%lld",
	    (long long)(r->p->cfg->passcode_ttl / 60));
	portal_page(r, status, "code", "Enter your code", vars, 5);
}

void
portal_code(struct req *r)
{
	struct sp_msg_meta m;
	char code[SP_PASSCODE_LEN + 1];
	const char *addr;
	size_t alen = 0;
	bool rcpt = false;
	int rc;

	r->min_ms = PORTAL_CODE_DELAY;
	memset(&m, 0, sizeof(m));
	if (!portal_post_ok(r, PORTAL_PRE_COOKIE)) {
		portal_notice(r, 403, "Request refused",
		    "This form has expired. Open the link in your mail again.");
		return;
	}
	addr = portal_form(r, "addr", &alen);
	if (!portal_addr_ok(addr, alen)) {
		portal_notice(r, 400, "Check the address",
		    "Enter the mail address this message was sent to.");
		return;
	}
	if (sp_store_msg_get(r->p->store, r->route.id, &m, NULL) == SP_OK)
		rcpt = !portal_gone_for(r, &m, addr) && is_rcpt(&m, addr);
	rc = sp_passcode_issue(
	    r->p->auth, r->route.id, addr, r->now, code, NULL);
	if (rc == SP_ELIMIT) {
		code_page(r, 429, addr,
		    "Too many codes were asked for this "
		    "address. Wait an hour, then ask again.");
	} else {
		if (rc == SP_OK && rcpt) {
			portal_queue_code_mail(r, &m, addr, code);
			portal_audit(r, r->route.id, "code-sent", addr, "");
		}
		code_page(r, 200, addr, NULL);
	}
	sodium_memzero(code, sizeof(code));
	sp_msg_meta_cleanup(&m);
}

static void
signin_ok(struct req *r, const char *addr)
{
	const char *name = r->p->cfg->cookie_secure
	    ? "__Host-" PORTAL_SES_COOKIE
	    : PORTAL_SES_COOKIE;
	char cookie[SP_SESSION_ID_LEN + 1];
	struct sp_error err;

	/* A new id at every sign-in: an old cookie is ended first. */
	(void)sp_session_destroy(r->p->auth, portal_cookie(r, name), NULL);
	if (sp_session_create(
	        r->p->auth, r->route.id, addr, r->now, cookie, &err) != SP_OK) {
		sp_log(LOG_ERR, r->route.id, "action=session-failed reason=%s",
		    err.msg);
		portal_notice(r, 500, "Sign-in failed",
		    "The portal could not sign you in. Try again later.");
		return;
	}
	portal_set_cookie(r, PORTAL_SES_COOKIE, cookie, r->p->cfg->session_max);
	sodium_memzero(cookie, sizeof(cookie));
	portal_audit(r, r->route.id, "signin", addr, "");
	portal_redirect(r, "/m/%s/read", r->route.id);
}

void
portal_signin(struct req *r)
{
	struct sp_msg_meta m;
	const char *addr, *code;
	size_t alen = 0, clen = 0;
	int rc, st = 404;

	/* The same time for every answer: a wrong code, a stranger's
	 * address and an unknown message look alike. */
	r->min_ms = PORTAL_CODE_DELAY;
	memset(&m, 0, sizeof(m));
	if (!portal_post_ok(r, PORTAL_PRE_COOKIE)) {
		portal_notice(r, 403, "Request refused",
		    "This form has expired. Open the link in your mail again.");
		return;
	}
	addr = portal_form(r, "addr", &alen);
	code = portal_form(r, "code", &clen);
	if (!portal_addr_ok(addr, alen) || code == NULL) {
		portal_notice(r, 400, "Check the address",
		    "Enter the mail address this message was sent to.");
		return;
	}
	if (sp_store_msg_get(r->p->store, r->route.id, &m, NULL) == SP_OK)
		st = !is_rcpt(&m, addr)            ? 403
		    : portal_gone_for(r, &m, addr) ? 410
		                                   : 0;
	rc = sp_passcode_check(
	    r->p->auth, r->route.id, addr, code, clen, r->now, NULL);
	if (rc == SP_OK && st == 0) {
		signin_ok(r, addr);
	} else if (rc == SP_OK && st == 410) {
		portal_gone(r, &m, addr);
	} else if (rc == SP_ELIMIT) {
		if (st != 404)
			portal_audit(r, r->route.id, "signin-failed", addr,
			    "reason=too-many-tries");
		code_page(r, 429, addr,
		    "Too many wrong codes. Wait an hour, "
		    "then ask for a new code.");
	} else {
		if (st != 404)
			portal_audit(r, r->route.id, "signin-failed", addr,
			    "reason=wrong-code");
		code_page(r, 403, addr,
		    "That code is wrong or has expired. "
		    "Check the latest mail, or ask for a new code.");
	}
	sp_msg_meta_cleanup(&m);
}

bool
portal_session(struct req *r, struct sp_session *s, struct sp_msg_meta *m)
{
	const char *name = r->p->cfg->cookie_secure
	    ? "__Host-" PORTAL_SES_COOKIE
	    : PORTAL_SES_COOKIE;

	memset(m, 0, sizeof(*m));
	if (sp_session_lookup(
	        r->p->auth, portal_cookie(r, name), r->now, s, NULL) != SP_OK ||
	    strcmp(s->id, r->route.id) != 0) {
		portal_redirect(r, "/m/%s", r->route.id);
		return false;
	}
	if (sp_store_msg_get(r->p->store, r->route.id, m, NULL) != SP_OK) {
		missing_page(r);
		return false;
	}
	/* Each request: revoked or expired since sign-in shows at once. */
	if (portal_gone_for(r, m, s->rcpt)) {
		portal_gone(r, m, s->rcpt);
		sp_msg_meta_cleanup(m);
		return false;
	}
	return true;
}

/* The CSRF token for forms on pages of a signed-in session. */
void
portal_session_csrf(struct req *r, char token[SP_CSRF_LEN + 1])
{
	const char *name = r->p->cfg->cookie_secure
	    ? "__Host-" PORTAL_SES_COOKIE
	    : PORTAL_SES_COOKIE;

	sp_session_csrf(r->p->auth, portal_cookie(r, name), token);
}

void
portal_logout(struct req *r)
{
	const char *name = r->p->cfg->cookie_secure
	    ? "__Host-" PORTAL_SES_COOKIE
	    : PORTAL_SES_COOKIE;
	struct sp_session s;

	if (!portal_post_ok(r, PORTAL_SES_COOKIE)) {
		portal_notice(r, 403, "Request refused",
		    "This form has expired. Reload the page and try again.");
		return;
	}
	if (sp_session_lookup(
	        r->p->auth, portal_cookie(r, name), r->now, &s, NULL) == SP_OK)
		portal_audit(r, s.id, "logout", s.rcpt, "");
	(void)sp_session_destroy(r->p->auth, portal_cookie(r, name), NULL);
	portal_set_cookie(r, PORTAL_SES_COOKIE, "", 0);
	portal_notice(r, 200, "Signed out",
	    "You are signed out. Open the link in your mail to read the "
	    "message again.");
}
