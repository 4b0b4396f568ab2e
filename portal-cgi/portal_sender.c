/* SPDX-License-Identifier: MIT */
/*
 * portal_sender: the pages where the sender of sealed messages signs in
 * and manages them.
 *
 *   GET  /sent              the address form, or the list when signed in
 *   POST /sent/code         a passcode to that address
 *   POST /sent/signin       address and code: a sender session
 *   POST /sent/logout
 *   POST /sent/ID/revoke    for everyone, or rcpt=ADDR for one recipient
 *   POST /sent/ID/expire    when=DATE (sp_time_parse), within max_expire
 *
 * Sign-in follows the recipient's rules (portal_signin.c): the code
 * request and the sign-in answer alike and take the same time whether
 * or not the address sent anything; a code is issued and counted for
 * every well-formed address and mailed only to an address that sent at
 * least one message the store holds.  Passcodes, tries and hourly limits
 * are those of sp_auth, keyed by (SP_AUTH_SENDER_SCOPE, address).  Every
 * POST is checked like the others (Origin, Sec-Fetch-Site, a CSRF token
 * bound to the pre-session or the sender session cookie).
 */
#include "portal_sender.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sp_log.h"
#include "sp_template.h"


static void sent_home(struct req *r);
static void sent_code(struct req *r);
static void sent_signin(struct req *r);
static void sent_logout(struct req *r);

static const struct {
	const char *path; /* after "/sent", or after "/sent/ID/" */
	bool with_id;
	const char *method;
	void (*fn)(struct req *r);
} sent_routes[] = {
	{ "", false, "GET", sent_home },
	{ "/code", false, "POST", sent_code },
	{ "/signin", false, "POST", sent_signin },
	{ "/logout", false, "POST", sent_logout },
	{ "revoke", true, "POST", portal_sent_revoke },
	{ "expire", true, "POST", portal_sent_expire },
};

bool
portal_sender_path(const char *path)
{
	return strcmp(path, "/sent") == 0 || strncmp(path, "/sent/", 6) == 0;
}

static bool
is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* The route of path, with the message id into r->route.id; -1 if none. */
static int
sent_route(struct req *r, const char *path)
{
	const char *rest = path + 5; /* after "/sent" */
	size_t i;

	for (i = 0; i < sizeof(sent_routes) / sizeof(sent_routes[0]); i++)
		if (!sent_routes[i].with_id &&
		    strcmp(rest, sent_routes[i].path) == 0)
			return (int)i;
	if (strlen(rest) < 2 + SP_ID_LEN || rest[1 + SP_ID_LEN] != '/')
		return -1;
	for (i = 0; i < SP_ID_LEN; i++)
		if (!is_b64url(rest[1 + i]))
			return -1;
	for (i = 0; i < sizeof(sent_routes) / sizeof(sent_routes[0]); i++) {
		if (sent_routes[i].with_id &&
		    strcmp(rest + 2 + SP_ID_LEN, sent_routes[i].path) == 0) {
			memcpy(r->route.id, rest + 1, SP_ID_LEN);
			r->route.id[SP_ID_LEN] = '\0';
			return (int)i;
		}
	}
	return -1;
}

void
portal_sender(struct req *r)
{
	int i = sent_route(r, r->path);
	const char *want;

	if (i < 0) {
		portal_notice(
		    r, 404, "Not found", "There is no page at this address.");
		return;
	}
	want = sent_routes[i].method;
	if (strcmp(want, r->method) == 0 ||
	    (strcmp(r->method, "HEAD") == 0 && strcmp(want, "GET") == 0)) {
		sent_routes[i].fn(r);
		return;
	}
	sp_hbuf_printf(&r->hdrs, "Allow: %s\r\n", want);
	portal_notice(
	    r, 405, "Not allowed", "This page cannot be used that way.");
}

static const char *
sent_cookie_value(struct req *r)
{
	return portal_cookie(r,
	    r->p->cfg->cookie_secure ? "__Host-" PORTAL_SENT_COOKIE
	                             : PORTAL_SENT_COOKIE);
}

bool
portal_sent_session(struct req *r, struct sp_session *s)
{
	if (sp_session_lookup(
	        r->p->auth, sent_cookie_value(r), r->now, s, NULL) != SP_OK)
		return false;
	return strcmp(s->id, SP_AUTH_SENDER_SCOPE) == 0;
}

void
portal_sent_csrf(struct req *r, char token[SP_CSRF_LEN + 1])
{
	sp_session_csrf(r->p->auth, sent_cookie_value(r), token);
}

struct has_ctx {
	const char *addr;
	bool found;
};

static int
has_one(void *vctx, const struct sp_msg_meta *m)
{
	struct has_ctx *ctx = vctx;

	if (m->state != SP_MSG_PURGED && m->sender != NULL &&
	    strcasecmp(m->sender, ctx->addr) == 0) {
		ctx->found = true;
		return 1; /* stop the walk */
	}
	return 0;
}

bool
portal_sent_has_msgs(struct req *r, const char *addr)
{
	struct has_ctx ctx = { addr, false };
	struct sp_error err;

	/* has_one stops the walk with 1 at the first message found */
	if (sp_store_msg_list(r->p->store, has_one, &ctx, &err) < 0)
		sp_log(LOG_ERR, "-", "action=sent-list-failed reason=\"%s\"",
		    err.msg);
	return ctx.found;
}

/* The CSRF token of the pre-session cookie (made when missing), which
 * the recipient's forms share. */
static void
pre_csrf(struct req *r, char csrf[SP_CSRF_LEN + 1])
{
	char pre[SP_SESSION_ID_LEN + 1];

	portal_pre_cookie(r, pre);
	sp_session_csrf(r->p->auth, pre, csrf);
}

static void
sent_home(struct req *r)
{
	char csrf[SP_CSRF_LEN + 1];
	struct sp_session s;

	if (portal_sent_session(r, &s)) {
		portal_sent_list(r, &s);
		return;
	}
	pre_csrf(r, csrf);
	{
		const struct sp_tvar vars[] = { { "csrf", csrf } };

		portal_page(r, 200, "sent_start", "Messages you sent", vars, 1);
	}
}

static void
code_page(struct req *r, int status, const char *addr, const char *error)
{
	char csrf[SP_CSRF_LEN + 1], minutes[32];
	const struct sp_tvar vars[] = {
		{ "addr", addr },
		{ "csrf", csrf },
		{ "error", error },
		{ "minutes", minutes },
	};

	pre_csrf(r, csrf);
	snprintf(minutes, sizeof(minutes), "%lld",
	    (long long)(r->p->cfg->passcode_ttl / 60));
	portal_page(r, status, "sent_code", "Enter your code", vars, 4);
}

/* Shared start of the two sign-in POSTs; false with an answer set. */
static bool
sent_form_ok(struct req *r, const char **addr)
{
	size_t alen = 0;

	r->min_ms = PORTAL_CODE_DELAY;
	if (!portal_post_ok(r, PORTAL_PRE_COOKIE)) {
		portal_notice(r, 403, "Request refused",
		    "This form has expired. Open the page again.");
		return false;
	}
	*addr = portal_form(r, "addr", &alen);
	if (!portal_addr_ok(*addr, alen)) {
		portal_notice(r, 400, "Check the address",
		    "Enter the mail address you sent your messages from.");
		return false;
	}
	return true;
}

static void
sent_code(struct req *r)
{
	char code[SP_PASSCODE_LEN + 1];
	const char *addr;
	bool sender;
	int rc;

	if (!sent_form_ok(r, &addr))
		return;
	sender = portal_sent_has_msgs(r, addr);
	rc = sp_passcode_issue(
	    r->p->auth, SP_AUTH_SENDER_SCOPE, addr, r->now, code, NULL);
	if (rc == SP_ELIMIT) {
		code_page(r, 429, addr,
		    "Too many codes were asked for this address. Wait an "
		    "hour, then ask again.");
	} else {
		if (rc == SP_OK && sender) {
			portal_queue_sent_code_mail(r, addr, code);
			portal_audit(r, "", "sent-code-sent", addr, "");
		}
		code_page(r, 200, addr, NULL);
	}
	sodium_memzero(code, sizeof(code));
}

static void
sent_signin_ok(struct req *r, const char *addr)
{
	char cookie[SP_SESSION_ID_LEN + 1];
	struct sp_error err;

	(void)sp_session_destroy(r->p->auth, sent_cookie_value(r), NULL);
	if (sp_session_create(r->p->auth, SP_AUTH_SENDER_SCOPE, addr, r->now,
	        cookie, &err) != SP_OK) {
		sp_log(
		    LOG_ERR, "-", "action=session-failed reason=%s", err.msg);
		portal_notice(r, 500, "Sign-in failed",
		    "The portal could not sign you in. Try again later.");
		return;
	}
	portal_set_cookie(
	    r, PORTAL_SENT_COOKIE, cookie, r->p->cfg->session_max);
	sodium_memzero(cookie, sizeof(cookie));
	portal_audit(r, "", "sent-signin", addr, "");
	portal_redirect(r, "/sent");
}

static void
sent_signin(struct req *r)
{
	const char *addr, *code;
	size_t clen = 0;
	bool sender;
	int rc;

	if (!sent_form_ok(r, &addr))
		return;
	code = portal_form(r, "code", &clen);
	sender = portal_sent_has_msgs(r, addr);
	rc = sp_passcode_check(r->p->auth, SP_AUTH_SENDER_SCOPE, addr,
	    code ? code : "", code ? clen : 0, r->now, NULL);
	if (rc == SP_OK && sender) {
		sent_signin_ok(r, addr);
	} else if (rc == SP_ELIMIT) {
		if (sender)
			portal_audit(r, "", "sent-signin-failed", addr,
			    "reason=too-many-tries");
		code_page(r, 429, addr,
		    "Too many wrong codes. Wait an hour, then ask for a new "
		    "code.");
	} else {
		if (sender)
			portal_audit(r, "", "sent-signin-failed", addr,
			    "reason=wrong-code");
		code_page(r, 403, addr,
		    "That code is wrong or has expired. Check the latest "
		    "mail, or ask for a new code.");
	}
}

static void
sent_logout(struct req *r)
{
	struct sp_session s;

	if (!portal_post_ok(r, PORTAL_SENT_COOKIE)) {
		portal_notice(r, 403, "Request refused",
		    "This form has expired. Reload the page and try again.");
		return;
	}
	if (portal_sent_session(r, &s))
		portal_audit(r, "", "sent-logout", s.rcpt, "");
	(void)sp_session_destroy(r->p->auth, sent_cookie_value(r), NULL);
	portal_set_cookie(r, PORTAL_SENT_COOKIE, "", 0);
	portal_notice(r, 200, "Signed out",
	    "You are signed out. Open the sent messages page again to sign "
	    "in.");
}
