/* SPDX-License-Identifier: MIT */
/*
 * portal: what the parts of sealpost-portal share.
 *
 * One struct portal per worker process (store, keys and sign-in state are
 * opened after fork), one struct req per FastCGI request.  A handler
 * fills req->status, req->body and maybe a few headers; portal_http.c
 * adds the security headers every response carries and writes it out.
 * Work that must not change how long an answer takes (mail submission)
 * is queued in req->mail and done after the answer went out.
 */
#ifndef PORTAL_H
#define PORTAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <fcgiapp.h>

#include "sp_auth.h"
#include "sp_config.h"
#include "sp_error.h"
#include "sp_http.h"
#include "sp_keys.h"
#include "sp_store.h"

#define PORTAL_PAGE_MAX   (16u * 1024 * 1024) /* a response body */
#define PORTAL_CODE_DELAY 400 /* ms: a code request always takes this */
#define PORTAL_PRE_COOKIE "sp_pre"
#define PORTAL_SES_COOKIE "sp_session"

struct portal {
	const struct sp_config *cfg;
	struct sp_store *store;
	struct sp_keyring *keys;
	struct sp_auth *auth;
	int audit_fd;     /* this worker's end of the audit writer's socket */
	char origin[512]; /* scheme://host[:port] of portal_url */
	char page_csp[768];
};

struct req {
	struct portal *p;
	FCGX_Request *fr;
	const char *method;
	const char *path;  /* DOCUMENT_URI, without the query */
	const char *query; /* QUERY_STRING or "" */
	struct sp_http_route route;
	struct sp_http_params cookies;
	struct sp_http_params form; /* POST body, urlencoded */
	int64_t now;
	int64_t start_ms; /* monotonic */

	/* the answer */
	int status;
	const char *content_type;
	const char *csp;     /* NULL: the page default */
	struct sp_hbuf hdrs; /* extra header lines, CRLF-terminated */
	struct sp_hbuf body;
	int64_t min_ms; /* answer no sooner than start + min_ms */

	/* done after the answer: one mail */
	char *mail_msg;
	size_t mail_len;
	char **mail_rcpts;
	size_t mail_nrcpt;
};

/* portal_http.c */
/* Builds p->page_csp from the config (call once per worker). */
void portal_csp_init(struct portal *p);
/* Keys, templates and store usable (portal_check.c); SP_OK or err. */
int portal_check(
    const struct sp_config *cfg, struct sp_error *err) SP_MUST_CHECK;
int64_t portal_now_ms(void);
const char *portal_param(struct req *r, const char *name);
const char *portal_cookie(struct req *r, const char *name);
/* A plausible mail address: a '@' with text on both sides, no spaces,
 * control bytes or address punctuation, at most SP_AUTH_ADDR_MAX bytes. */
bool portal_addr_ok(const char *a, size_t len);
/* The pre-session cookie (before sign-in), made and set when missing;
 * out gets its value.  The CSRF tokens of sign-in forms hang on it. */
void portal_pre_cookie(struct req *r, char out[SP_SESSION_ID_LEN + 1]);
const char *portal_form(struct req *r, const char *name, size_t *len);
void portal_set_cookie(
    struct req *r, const char *name, const char *value, int64_t max_age);
void portal_redirect(struct req *r, const char *fmt, ...) SP_PRINTF(2, 3);
/* True when the POST comes from the portal's own pages: Origin and
 * Sec-Fetch-Site (when sent) name the portal, and the form's csrf token
 * belongs to the cookie called cookie_name. */
bool portal_post_ok(struct req *r, const char *cookie_name);
void portal_serve(struct portal *p, FCGX_Request *fr);

/* portal_page.c: pages from templates_dir/portal_NAME.html inside
 * portal_layout.html, with the branding variables. */
struct sp_tvar;
void portal_page(struct req *r, int status, const char *name, const char *title,
    const struct sp_tvar *vars, size_t nvars);
/* A page with a title and one message, and nothing else. */
void portal_notice(
    struct req *r, int status, const char *title, const char *text);

/* portal_signin.c */
void portal_landing(struct req *r);
void portal_code(struct req *r);
void portal_signin(struct req *r);
void portal_logout(struct req *r);
/* The session of this request for its message and the message's
 * metadata (clean up with sp_msg_meta_cleanup), or false and an answer
 * is already set (a redirect to sign in, or a page saying the message is
 * gone). */
bool portal_session(struct req *r, struct sp_session *s, struct sp_msg_meta *m);
void portal_session_csrf(struct req *r, char token[SP_CSRF_LEN + 1]);
/* Queues the passcode mail for addr (sent after the answer). */
void portal_queue_code_mail(struct req *r, const struct sp_msg_meta *m,
    const char *addr, const char *code);
/* Queues the notification of a message the portal sealed (a reply) to
 * its recipients; from: who wrote it. */
void portal_queue_notify_mail(struct req *r, const struct sp_msg_meta *m,
    const char *from, const char *subject);
/* An RFC 5322 date of now, and an unstructured header value (RFC 2047
 * encoded when it is not plain ASCII). */
void portal_mail_date(int64_t now, char *buf, size_t cap);
void portal_header_text(struct sp_hbuf *b, const char *s);

/* portal_read.c */
struct sp_mime_view;
/* A signed-in request's message, opened and parsed. */
struct opened {
	struct sp_session s;
	struct sp_msg_meta m;
	char *raw; /* the original, as received */
	size_t len;
	struct sp_mime_view *v;
};
/* Session, metadata, plaintext and view; false with an answer set. */
bool portal_open(struct req *r, struct opened *o);
void portal_opened_cleanup(struct opened *o);
void portal_read(struct req *r);
void portal_html(struct req *r);
void portal_att(struct req *r);
void portal_print(struct req *r);

/* portal_reply.c */
void portal_reply(struct req *r);

/* portal_sender.c: the pages of a message's sender under /sent. */
#define PORTAL_SENT_COOKIE "sp_sent"
bool portal_sender_path(const char *path);
void portal_sender(struct req *r);

/* portal_gone.c: the page for a message rcpt (NULL: anyone) may no
 * longer read, saying why (expired on a date, withdrawn for everyone, or
 * for rcpt).  portal_gone_for() is true when that is so at r->now. */
bool portal_gone_for(
    struct req *r, const struct sp_msg_meta *m, const char *rcpt);
void portal_gone(struct req *r, const struct sp_msg_meta *m, const char *rcpt);

/* portal_mail.c: the passcode mail of a sender signing in to /sent. */
void portal_queue_sent_code_mail(
    struct req *r, const char *addr, const char *code);

/* portal_pool.c: runs n workers answering on the FastCGI socket sock and
 * the audit writer they hand their events to, replacing any that dies,
 * until *stop is set; then stops them all and returns. */
#define PORTAL_WORKERS_MAX 256
void portal_pool_run(const struct sp_config *cfg, int sock, size_t n,
    volatile sig_atomic_t *stop);

/* portal_audit.c: an event in the audit trail (through the audit writer,
 * or directly when it does not answer) and in syslog.  SP_OK once the
 * event is on disk; pages that show content are refused otherwise. */
int portal_audit(struct req *r, const char *id, const char *event,
    const char *actor, const char *detail);
/* The answer when a view could not be recorded: nothing is shown. */
void portal_audit_refused(struct req *r);

#endif
