/* SPDX-License-Identifier: MIT */
/*
 * portal_http: one FastCGI request from nginx to an answer.
 *
 * Reads the parameters, cookies and (for POST) the urlencoded body,
 * routes the path, calls the handler, then writes the answer with the
 * headers every portal response carries: a Content-Security-Policy
 * (frame-ancestors limited to the portal), nosniff, no referrer, no
 * caching.  A mail queued by the handler goes out after the answer is
 * finished, so its time never shows in the answer's time.
 */
#include "portal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sp_log.h"
#include "sp_mail_submit.h"

/* The page default: nothing from elsewhere, styles from the portal, the
 * message body only in a frame of the portal itself; images from the
 * portal, data: URLs, and the origin of the admin's logo. */
static const char page_csp_fmt[] =
    "default-src 'none'; style-src 'self'; img-src 'self' data:%s%s; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'self'";

void
portal_csp_init(struct portal *p)
{
	const char *logo = p->cfg->brand_logo_url;
	char origin[256] = "";
	const char *sep;
	size_t n;

	sep = logo != NULL ? strstr(logo, "://") : NULL;
	if (sep != NULL) {
		n = (size_t)(sep - logo) + 3 + strcspn(sep + 3, "/?#");
		/* only characters that cannot end or split a CSP source */
		if (n < sizeof(origin) &&
		    strspn(logo,
		        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
		        "VWXYZ0123456789.-:/[]") >= n)
			snprintf(origin, sizeof(origin), "%.*s", (int)n, logo);
	}
	snprintf(p->page_csp, sizeof(p->page_csp), page_csp_fmt,
	    origin[0] ? " " : "", origin);
}

typedef void (*handler_fn)(struct req *r);

static const struct {
	enum sp_route route;
	const char *method;
	handler_fn fn;
} routes[] = {
	{ SP_ROUTE_LANDING, "GET", portal_landing },
	{ SP_ROUTE_CODE, "POST", portal_code },
	{ SP_ROUTE_SIGNIN, "POST", portal_signin },
	{ SP_ROUTE_READ, "GET", portal_read },
	{ SP_ROUTE_HTML, "GET", portal_html },
	{ SP_ROUTE_ATT, "GET", portal_att },
	{ SP_ROUTE_PRINT, "GET", portal_print },
	{ SP_ROUTE_REPLY, "POST", portal_reply },
	{ SP_ROUTE_LOGOUT, "POST", portal_logout },
};

int64_t
portal_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
portal_param(struct req *r, const char *name)
{
	return FCGX_GetParam(name, r->fr->envp);
}

const char *
portal_cookie(struct req *r, const char *name)
{
	return sp_http_param(&r->cookies, name, NULL);
}

const char *
portal_form(struct req *r, const char *name, size_t *len)
{
	return sp_http_param(&r->form, name, len);
}

/* A cookie name with the __Host- prefix when cookies are Secure: the
 * prefix makes the browser refuse it unless Secure, Path=/ and no
 * Domain, which is what we want. */
static void
cookie_name(struct req *r, const char *name, char *buf, size_t cap)
{
	snprintf(
	    buf, cap, "%s%s", r->p->cfg->cookie_secure ? "__Host-" : "", name);
}

void
portal_set_cookie(
    struct req *r, const char *name, const char *value, int64_t max_age)
{
	char full[64];

	cookie_name(r, name, full, sizeof(full));
	sp_hbuf_printf(&r->hdrs,
	    "Set-Cookie: %s=%s; Path=/; Max-Age=%lld; HttpOnly; "
	    "SameSite=Strict%s\r\n",
	    full, value, (long long)max_age,
	    r->p->cfg->cookie_secure ? "; Secure" : "");
}

void
portal_redirect(struct req *r, const char *fmt, ...)
{
	char path[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	r->status = 303;
	sp_hbuf_printf(&r->hdrs, "Location: %s\r\n", path);
	sp_hbuf_adds(&r->body, "See other\n");
	r->content_type = "text/plain; charset=utf-8";
}

bool
portal_post_ok(struct req *r, const char *name)
{
	const char *origin = portal_param(r, "HTTP_ORIGIN");
	const char *site = portal_param(r, "HTTP_SEC_FETCH_SITE");
	const char *token, *cookie;
	char full[64];
	size_t len;

	/* Origin must be the portal's.  Under Referrer-Policy: no-referrer
	 * browsers send "Origin: null" (or none at all) with a form post;
	 * then Sec-Fetch-Site must vouch for it.  Neither: refused. */
	if (origin == NULL || strcmp(origin, "null") == 0) {
		if (site == NULL)
			return false;
	} else if (!sp_http_same_origin(origin, r->p->origin)) {
		return false;
	}
	if (site != NULL && strcmp(site, "same-origin") != 0)
		return false;
	cookie_name(r, name, full, sizeof(full));
	cookie = portal_cookie(r, full);
	token = portal_form(r, "csrf", &len);
	return sp_session_csrf_ok(r->p->auth, cookie, token, token ? len : 0);
}

/* Reads the cookies, and for a POST the urlencoded body. */
static int
read_input(struct req *r)
{
	const char *c = portal_param(r, "HTTP_COOKIE");
	const char *ct = portal_param(r, "CONTENT_TYPE");
	const char *cl = portal_param(r, "CONTENT_LENGTH");
	char *body, *end;
	long n = 0;
	int rc;

	if (c != NULL &&
	    sp_http_parse_cookies(c, strlen(c), &r->cookies, NULL) != SP_OK)
		return 400;
	if (strcmp(r->method, "POST") != 0)
		return 0;
	if (ct == NULL ||
	    strncmp(ct, "application/x-www-form-urlencoded", 33) != 0)
		return 415;
	if (cl != NULL && *cl != '\0')
		n = strtol(cl, &end, 10);
	if (cl == NULL || *cl == '\0' || *end != '\0' || n < 0)
		return 411;
	if (n > SP_HTTP_FORM_MAX)
		return 413;
	body = malloc((size_t)n + 1);
	if (body == NULL)
		return 500;
	if (FCGX_GetStr(body, (int)n, r->fr->in) != (int)n) {
		free(body);
		return 400;
	}
	rc = sp_http_parse_form(body, (size_t)n, &r->form, NULL);
	free(body);
	return rc == SP_OK ? 0 : 400;
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 303:
		return "See Other";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 410:
		return "Gone";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 429:
		return "Too Many Requests";
	default:
		return "Internal Server Error";
	}
}

static void
pad_time(struct req *r)
{
	int64_t left = r->start_ms + r->min_ms - portal_now_ms();
	struct timespec ts;

	if (r->min_ms <= 0 || left <= 0)
		return;
	ts.tv_sec = (time_t)(left / 1000);
	ts.tv_nsec = (long)(left % 1000) * 1000000;
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void
write_answer(struct req *r)
{
	FCGX_Stream *out = r->fr->out;
	struct sp_hbuf h;

	if (sp_hbuf_failed(&r->body) || sp_hbuf_failed(&r->hdrs)) {
		sp_hbuf_cleanup(&r->body);
		sp_hbuf_cleanup(&r->hdrs);
		r->status = 500;
		r->content_type = "text/plain; charset=utf-8";
		sp_hbuf_adds(&r->body, "internal error\n");
	}
	pad_time(r);
	/* libfcgi's own printf knows no %zu: format here. */
	sp_hbuf_init(&h, 65536);
	sp_hbuf_printf(
	    &h, "Status: %d %s\r\n", r->status, status_text(r->status));
	sp_hbuf_printf(&h,
	    "Content-Type: %s\r\nContent-Length: %zu\r\n"
	    "Content-Security-Policy: %s\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Referrer-Policy: no-referrer\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Frame-Options: SAMEORIGIN\r\n"
	    "Cross-Origin-Opener-Policy: same-origin\r\n"
	    "Cross-Origin-Resource-Policy: same-origin\r\n",
	    r->content_type ? r->content_type : "text/html; charset=utf-8",
	    r->body.len, r->csp ? r->csp : r->p->page_csp);
	if (r->hdrs.len > 0)
		sp_hbuf_add(&h, r->hdrs.data, r->hdrs.len);
	sp_hbuf_adds(&h, "\r\n");
	if (!sp_hbuf_failed(&h))
		FCGX_PutStr(h.data, (int)h.len, out);
	if (r->body.len > 0 &&
	    (r->method == NULL || strcmp(r->method, "HEAD") != 0))
		FCGX_PutStr(r->body.data, (int)r->body.len, out);
	sp_hbuf_cleanup(&h);
}

/* The admin's colour as a style sheet, so that pages need no inline
 * style (the page CSP allows styles from the portal only). */
static void
brand_css(struct req *r)
{
	const char *c = r->p->cfg->brand_color;

	r->content_type = "text/css; charset=utf-8";
	sp_hbuf_printf(&r->body, ":root { --brand: %s; }\n",
	    c && strspn(c, "#0123456789abcdefABCDEF") == strlen(c) ? c
	                                                           : "#1f4e79");
}

static void
dispatch(struct req *r)
{
	bool sent = portal_sender_path(r->path);
	size_t i;
	int st;

	if (strcmp(r->path, "/brand.css") == 0) {
		brand_css(r);
		return;
	}
	if (!sent &&
	    sp_http_route_parse(r->path, strlen(r->path), &r->route) != SP_OK) {
		portal_notice(
		    r, 404, "Not found", "There is no page at this address.");
		return;
	}
	st = read_input(r);
	if (st != 0) {
		portal_notice(r, st, "Bad request",
		    "The portal could not read this request.");
		return;
	}
	if (sent) {
		portal_sender(r);
		return;
	}
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (routes[i].route != r->route.route)
			continue;
		if (strcmp(routes[i].method, r->method) == 0 ||
		    (strcmp(r->method, "HEAD") == 0 &&
		        strcmp(routes[i].method, "GET") == 0)) {
			routes[i].fn(r);
			return;
		}
		sp_hbuf_printf(&r->hdrs, "Allow: %s\r\n", routes[i].method);
		portal_notice(r, 405, "Not allowed",
		    "This page cannot be used that way.");
		return;
	}
}

static void
send_queued_mail(struct req *r)
{
	struct sp_mail_envelope env = { r->p->cfg->mail_from,
		(const char *const *)r->mail_rcpts, r->mail_nrcpt };
	struct sp_error err;

	if (r->mail_msg == NULL)
		return;
	if (sp_mail_submit(r->p->cfg->smtp_url, &env, r->mail_msg, r->mail_len,
	        r->p->cfg->smtp_timeout, &err) != SP_OK)
		sp_log(LOG_ERR, r->route.id, "action=mail-failed reason=%s",
		    err.msg);
	sodium_memzero(r->mail_msg, r->mail_len);
}

void
portal_serve(struct portal *p, FCGX_Request *fr)
{
	struct req r;
	const char *q;

	memset(&r, 0, sizeof(r));
	r.p = p;
	r.fr = fr;
	r.start_ms = portal_now_ms();
	r.now = (int64_t)time(NULL);
	r.status = 200;
	sp_hbuf_init(&r.hdrs, 16384);
	sp_hbuf_init(&r.body, PORTAL_PAGE_MAX);
	r.method = portal_param(&r, "REQUEST_METHOD");
	r.path = portal_param(&r, "DOCUMENT_URI");
	q = portal_param(&r, "QUERY_STRING");
	r.query = q ? q : "";
	if (r.method == NULL || r.path == NULL)
		portal_notice(&r, 400, "Bad request", "No request.");
	else
		dispatch(&r);
	write_answer(&r);
	FCGX_Finish_r(fr);
	send_queued_mail(&r);
	free(r.mail_msg);
	while (r.mail_nrcpt > 0)
		free(r.mail_rcpts[--r.mail_nrcpt]);
	free(r.mail_rcpts);
	sp_http_params_cleanup(&r.cookies);
	sp_http_params_cleanup(&r.form);
	sp_hbuf_cleanup(&r.hdrs);
	sp_hbuf_cleanup(&r.body);
}
