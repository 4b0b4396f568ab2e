/* SPDX-License-Identifier: MIT */
/*
 * http_route: the portal's URL paths, the Origin check, and the output
 * helpers of sp_http.h (a capped buffer, HTML escaping, safe file names).
 *
 * Paths are matched exactly: "/m/" ID, then nothing or one of a fixed set
 * of actions; "/m/ID/att/N" takes a decimal N without leading zeros.
 * Anything else (a trailing slash, dot segments, escapes) is no route.
 */
#include "sp_http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	enum sp_route route;
} actions[] = {
	{ "code", SP_ROUTE_CODE },
	{ "signin", SP_ROUTE_SIGNIN },
	{ "read", SP_ROUTE_READ },
	{ "html", SP_ROUTE_HTML },
	{ "print", SP_ROUTE_PRINT },
	{ "reply", SP_ROUTE_REPLY },
	{ "logout", SP_ROUTE_LOGOUT },
};

static bool
is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* "N" in decimal, 0..99999, no leading zero. */
static int
parse_index(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (len == 0 || len > 5 || (len > 1 && s[0] == '0'))
		return SP_ENOTFOUND;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return SP_ENOTFOUND;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	*out = v;
	return SP_OK;
}

static int
route_action(const char *s, size_t len, struct sp_http_route *out)
{
	size_t i;

	if (len > 4 && memcmp(s, "att/", 4) == 0) {
		out->route = SP_ROUTE_ATT;
		return parse_index(s + 4, len - 4, &out->att);
	}
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strlen(actions[i].name) == len &&
		    memcmp(actions[i].name, s, len) == 0) {
			out->route = actions[i].route;
			return SP_OK;
		}
	}
	return SP_ENOTFOUND;
}

int
sp_http_route_parse(const char *path, size_t len, struct sp_http_route *out)
{
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len < 3 + SP_ID_LEN || memcmp(path, "/m/", 3) != 0)
		return SP_ENOTFOUND;
	for (i = 0; i < SP_ID_LEN; i++)
		if (!is_b64url(path[3 + i]))
			return SP_ENOTFOUND;
	memcpy(out->id, path + 3, SP_ID_LEN);
	out->id[SP_ID_LEN] = '\0';
	path += 3 + SP_ID_LEN;
	len -= 3 + SP_ID_LEN;
	if (len == 0) {
		out->route = SP_ROUTE_LANDING;
		return SP_OK;
	}
	if (path[0] != '/' || len == 1)
		rc = SP_ENOTFOUND;
	else
		rc = route_action(path + 1, len - 1, out);
	if (rc != SP_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* Length of "scheme://authority" at the start of url, or 0. */
static size_t
origin_len(const char *url)
{
	const char *sep = strstr(url, "://");
	size_t n;

	if (sep == NULL || sep == url)
		return 0;
	n = (size_t)(sep - url) + 3;
	n += strcspn(url + n, "/?#");
	return n;
}

bool
sp_http_same_origin(const char *origin, const char *base_url)
{
	size_t n, i;

	if (origin == NULL || base_url == NULL)
		return false;
	n = origin_len(base_url);
	if (n == 0 || strlen(origin) != n)
		return false;
	for (i = 0; i < n; i++) {
		char a = origin[i], b = base_url[i];

		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char)(b - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

void
sp_hbuf_init(struct sp_hbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
sp_hbuf_cleanup(struct sp_hbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

bool
sp_hbuf_failed(const struct sp_hbuf *b)
{
	return b->failed;
}

static bool
hbuf_reserve(struct sp_hbuf *b, size_t more)
{
	size_t want, ncap;
	char *p;

	if (b->failed)
		return false;
	if (more > b->max || b->len > b->max - more) {
		b->failed = true;
		return false;
	}
	want = b->len + more + 1;
	if (want <= b->cap)
		return true;
	ncap = b->cap ? b->cap : 256;
	while (ncap < want)
		ncap *= 2;
	p = realloc(b->data, ncap);
	if (p == NULL) {
		b->failed = true;
		return false;
	}
	b->data = p;
	b->cap = ncap;
	return true;
}

void
sp_hbuf_add(struct sp_hbuf *b, const void *data, size_t len)
{
	if (!hbuf_reserve(b, len))
		return;
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
sp_hbuf_adds(struct sp_hbuf *b, const char *s)
{
	sp_hbuf_add(b, s, strlen(s));
}

/* Formats straight into the room the buffer has; only when the text does
 * not fit (or would pass max) is room made and the text formatted again. */
void
sp_hbuf_printf(struct sp_hbuf *b, const char *fmt, ...)
{
	size_t room = b->cap > b->len ? b->cap - b->len : 0;
	va_list ap;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(room > 0 ? b->data + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n >= room || (size_t)n > b->max - b->len) {
		if (room > 0)
			b->data[b->len] = '\0'; /* undo a cut first try */
		if (!hbuf_reserve(b, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void
sp_hbuf_add_html(struct sp_hbuf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && !b->failed; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '&':
			sp_hbuf_adds(b, "&amp;");
			break;
		case '<':
			sp_hbuf_adds(b, "&lt;");
			break;
		case '>':
			sp_hbuf_adds(b, "&gt;");
			break;
		case '"':
			sp_hbuf_adds(b, "&quot;");
			break;
		case '\'':
			sp_hbuf_adds(b, "&#39;");
			break;
		default:
			if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
				break;
			sp_hbuf_add(b, &s[i], 1);
		}
	}
}

static bool
safe_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ' ' ||
	    c == '.';
}

/* A name cut at out[o] gets the extension of name back over its tail
 * (at most 16 bytes, when there is room for something before it). */
static size_t
keep_extension(const char *name, size_t len, char *out, size_t o)
{
	const char *dot = NULL;
	size_t ext, i;

	for (i = len; i > 0 && dot == NULL; i--)
		if (name[i - 1] == '.')
			dot = &name[i - 1];
	ext = dot ? len - (size_t)(dot - name) : 0;
	if (ext < 2 || ext > 16 || ext + 1 > o)
		return o;
	for (i = 0; i < ext; i++)
		out[o - ext + i] = safe_name_char(dot[i]) ? dot[i] : '_';
	return o;
}

const char *
sp_http_safe_filename(const char *name, size_t len, char *out, size_t cap)
{
	size_t i, o = 0;

	if (cap == 0)
		return out;
	for (i = 0; i < len && o + 1 < cap; i++) {
		char c = name[i];

		if (o == 0 && (c == '.' || c == ' '))
			continue;
		out[o++] = safe_name_char(c) ? c : '_';
	}
	if (i < len)
		o = keep_extension(name, len, out, o);
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '.'))
		o--;
	out[o] = '\0';
	if (o == 0)
		snprintf(out, cap, "%s", "attachment");
	return out;
}

static bool
is_attr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$&+-.^_`|~", c) != NULL;
}

void
sp_http_add_filename_star(struct sp_hbuf *b, const char *name, size_t len)
{
	size_t i;

	sp_hbuf_adds(b, "UTF-8''");
	for (i = 0; i < len && !b->failed; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f)
			c = '_';
		if (c != 0 && is_attr_char(c))
			sp_hbuf_add(b, &c, 1);
		else
			sp_hbuf_printf(b, "%%%02X", c);
	}
}
