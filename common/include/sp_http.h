/* SPDX-License-Identifier: MIT */
/*
 * sp_http: pure helpers for the portal's HTTP input and output.
 *
 * Parsing: percent-decoding, query strings and
 * application/x-www-form-urlencoded bodies, the Cookie header, and the
 * portal's path routes.  Every parser takes a length (input may hold NUL
 * bytes), is bounded (SP_HTTP_FORM_MAX bytes, SP_HTTP_PARAMS_MAX pairs)
 * and fails with SP_EFORMAT or SP_ETOOBIG on input it will not take; it
 * never reads past len.  Decoded names and values are NUL-terminated
 * copies owned by the struct sp_http_params they sit in; a value may hold
 * NUL bytes, so its length travels with it.
 *
 * Output: a growing buffer with a hard cap (struct sp_hbuf), HTML
 * escaping, and a safe file name for Content-Disposition.
 *
 * Nothing here does I/O or keeps state.
 */
#ifndef SP_HTTP_H
#define SP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_error.h"
#include "sp_seal.h"

#define SP_HTTP_FORM_MAX   (1024 * 1024) /* form body or query, bytes */
#define SP_HTTP_PARAMS_MAX 64            /* pairs in one form or header */
#define SP_HTTP_COOKIE_MAX 8192          /* Cookie header, bytes */

struct sp_http_param {
	char *name;
	char *value;
	size_t value_len;
};

struct sp_http_params {
	struct sp_http_param *items;
	size_t n;
};

/* Decodes %XX escapes (and '+' as a space when plus_space) of in[0..len)
 * into a new NUL-terminated string *out of *outlen bytes.  A '%' not
 * followed by two hex digits is SP_EFORMAT. */
int sp_http_pct_decode(const char *in, size_t len, bool plus_space, char **out,
    size_t *outlen) SP_MUST_CHECK;

/* Parses "a=1&b=2" (a query string or a urlencoded body).  Empty pairs
 * are skipped; a pair without '=' has an empty value.  On failure *out is
 * left empty. */
int sp_http_parse_form(const char *s, size_t len, struct sp_http_params *out,
    struct sp_error *err) SP_MUST_CHECK;
/* Parses a Cookie header "a=1; b=2" (values are not decoded; quotes
 * around a value are removed). */
int sp_http_parse_cookies(const char *s, size_t len, struct sp_http_params *out,
    struct sp_error *err) SP_MUST_CHECK;
/* The value of the first pair called name, or NULL; *len (may be NULL)
 * gets its length. */
const char *sp_http_param(
    const struct sp_http_params *p, const char *name, size_t *len);
void sp_http_params_cleanup(struct sp_http_params *p);

/* The portal's routes. */
enum sp_route {
	SP_ROUTE_NONE = 0, /* not a portal path: 404 */
	SP_ROUTE_LANDING,  /* /m/ID */
	SP_ROUTE_CODE,     /* /m/ID/code */
	SP_ROUTE_SIGNIN,   /* /m/ID/signin */
	SP_ROUTE_READ,     /* /m/ID/read */
	SP_ROUTE_HTML,     /* /m/ID/html */
	SP_ROUTE_ATT,      /* /m/ID/att/N */
	SP_ROUTE_PRINT,    /* /m/ID/print */
	SP_ROUTE_REPLY,    /* /m/ID/reply (reply, reply all, forward) */
	SP_ROUTE_LOGOUT,   /* /m/ID/logout */
};

struct sp_http_route {
	enum sp_route route;
	char id[SP_ID_LEN + 1];
	uint32_t att; /* for SP_ROUTE_ATT */
};

/* Splits a request path (without the query) into a route.  Returns
 * SP_OK, or SP_ENOTFOUND when the path is no portal route.  The id is
 * checked for shape only (22 base64url characters). */
int sp_http_route_parse(
    const char *path, size_t len, struct sp_http_route *out) SP_MUST_CHECK;

/* True when origin ("scheme://host[:port]") is the origin of base_url
 * (the portal's public URL; its path is ignored). */
bool sp_http_same_origin(const char *origin, const char *base_url);

/* A growing output buffer with a hard cap; an append past the cap or a
 * failed allocation marks the buffer failed and later appends do
 * nothing.  Check sp_hbuf_failed() once at the end. */
struct sp_hbuf {
	char *data; /* NUL-terminated while not failed */
	size_t len;
	size_t cap;
	size_t max;
	bool failed;
};

void sp_hbuf_init(struct sp_hbuf *b, size_t max);
void sp_hbuf_cleanup(struct sp_hbuf *b);
void sp_hbuf_add(struct sp_hbuf *b, const void *data, size_t len);
void sp_hbuf_adds(struct sp_hbuf *b, const char *s);
void sp_hbuf_printf(struct sp_hbuf *b, const char *fmt, ...) SP_PRINTF(2, 3);
/* Appends s[0..len) escaped for HTML text and quoted attribute values
 * (& < > " ' become entities; NUL and other C0 controls but tab and
 * newline are dropped). */
void sp_hbuf_add_html(struct sp_hbuf *b, const char *s, size_t len);
bool sp_hbuf_failed(const struct sp_hbuf *b);

/* Writes a file name safe to put in a quoted Content-Disposition
 * filename: ASCII letters, digits, '.', '-', '_' and ' ' kept, every
 * other byte becomes '_', no leading dot, at most cap-1 bytes (a longer
 * name is cut before its extension, which is kept), never empty
 * ("attachment" when nothing is left).  Returns out. */
const char *sp_http_safe_filename(
    const char *name, size_t len, char *out, size_t cap);

/* Appends an RFC 6266 / RFC 8187 filename* value for name[0..len):
 * "UTF-8''" and the bytes percent-encoded except attr-chars, with '/',
 * '\\' and control bytes turned into '_' first, so that a UTF-8 name
 * survives the download without being able to name a path. */
void sp_http_add_filename_star(struct sp_hbuf *b, const char *name, size_t len);

#endif
