/* SPDX-License-Identifier: MIT */
/*
 * http_request: parsing of what the portal gets from nginx (see sp_http.h).
 *
 * Every function takes a pointer and a length and never reads past it.
 * Limits: SP_HTTP_FORM_MAX bytes of form or query, SP_HTTP_COOKIE_MAX
 * bytes of Cookie header, SP_HTTP_PARAMS_MAX pairs.  On any failure the
 * output is left empty, so a caller never sees half a form.
 */
#include "sp_http.h"

#include <stdlib.h>
#include <string.h>

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
sp_http_pct_decode(
    const char *in, size_t len, bool plus_space, char **out, size_t *outlen)
{
	char *buf;
	size_t i, o = 0;
	int hi, lo;

	*out = NULL;
	*outlen = 0;
	if (len > SP_HTTP_FORM_MAX)
		return SP_ETOOBIG;
	buf = malloc(len + 1);
	if (buf == NULL)
		return SP_ENOMEM;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '%') {
			if (len - i < 3)
				goto bad;
			hi = hexval((unsigned char)in[i + 1]);
			lo = hexval((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			buf[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_space) {
			buf[o++] = ' ';
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return SP_OK;
bad:
	free(buf);
	return SP_EFORMAT;
}

void
sp_http_params_cleanup(struct sp_http_params *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->items[i].name);
		free(p->items[i].value);
	}
	free(p->items);
	p->items = NULL;
	p->n = 0;
}

/* Appends a pair, taking ownership of name and value (freed on failure). */
static int
params_push(struct sp_http_params *p, char *name, char *value, size_t vlen)
{
	struct sp_http_param *items;

	if (p->n >= SP_HTTP_PARAMS_MAX) {
		free(name);
		free(value);
		return SP_ETOOBIG;
	}
	items = realloc(p->items, (p->n + 1) * sizeof(*items));
	if (items == NULL) {
		free(name);
		free(value);
		return SP_ENOMEM;
	}
	p->items = items;
	p->items[p->n].name = name;
	p->items[p->n].value = value;
	p->items[p->n].value_len = vlen;
	p->n++;
	return SP_OK;
}

/* One "name=value" of a form, decoded. */
static int
form_pair(struct sp_http_params *p, const char *s, size_t len)
{
	const char *eq = memchr(s, '=', len);
	size_t nlen = eq ? (size_t)(eq - s) : len;
	char *name = NULL, *value = NULL;
	size_t dlen, vlen;
	int rc;

	rc = sp_http_pct_decode(s, nlen, true, &name, &dlen);
	if (rc != SP_OK)
		return rc;
	if (eq != NULL)
		rc = sp_http_pct_decode(
		    eq + 1, len - nlen - 1, true, &value, &vlen);
	else
		rc = sp_http_pct_decode("", 0, true, &value, &vlen);
	if (rc != SP_OK) {
		free(name);
		return rc;
	}
	return params_push(p, name, value, vlen);
}

typedef int (*pair_fn)(struct sp_http_params *p, const char *s, size_t len);

/* Hands each non-empty piece of s between separators sep to fn; on the
 * first failure drops what out holds and returns its status. */
static int
split_pairs(
    const char *s, size_t len, char sep, pair_fn fn, struct sp_http_params *out)
{
	size_t start = 0, i;
	int rc = SP_OK;

	for (i = 0; i <= len && rc == SP_OK; i++) {
		if (i < len && s[i] != sep)
			continue;
		if (i > start)
			rc = fn(out, s + start, i - start);
		start = i + 1;
	}
	if (rc != SP_OK)
		sp_http_params_cleanup(out);
	return rc;
}

int
sp_http_parse_form(
    const char *s, size_t len, struct sp_http_params *out, struct sp_error *err)
{
	int rc;

	out->items = NULL;
	out->n = 0;
	if (len > SP_HTTP_FORM_MAX)
		return sp_error_set(err, SP_ETOOBIG,
		    "form: %zu bytes, over "
		    "the limit",
		    len);
	if ((rc = split_pairs(s, len, '&', form_pair, out)) != SP_OK)
		return sp_error_set(err, rc, "form: %s", sp_strerror(rc));
	return SP_OK;
}

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* One "name=value" of a Cookie header, trimmed, quotes removed. */
static int
cookie_pair(struct sp_http_params *p, const char *s, size_t len)
{
	const char *eq;
	size_t nlen, vlen;
	char *name, *value;

	while (len > 0 && is_ows(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_ows(s[len - 1]))
		len--;
	eq = memchr(s, '=', len);
	if (len == 0 || eq == NULL || eq == s)
		return SP_OK; /* RFC 6265 5.2: ignore a pair without a name */
	nlen = (size_t)(eq - s);
	vlen = len - nlen - 1;
	if (vlen >= 2 && eq[1] == '"' && eq[vlen] == '"') {
		eq++;
		vlen -= 2;
	}
	name = strndup(s, nlen);
	value = malloc(vlen + 1);
	if (name == NULL || value == NULL) {
		free(name);
		free(value);
		return SP_ENOMEM;
	}
	memcpy(value, eq + 1, vlen);
	value[vlen] = '\0';
	return params_push(p, name, value, vlen);
}

int
sp_http_parse_cookies(
    const char *s, size_t len, struct sp_http_params *out, struct sp_error *err)
{
	int rc;

	out->items = NULL;
	out->n = 0;
	if (len > SP_HTTP_COOKIE_MAX)
		return sp_error_set(err, SP_ETOOBIG,
		    "cookie header: %zu "
		    "bytes, over the limit",
		    len);
	if (memchr(s, '\0', len) != NULL)
		return sp_error_set(err, SP_EFORMAT, "cookie header: NUL byte");
	/* an empty piece has no name: RFC 6265 5.2 ignores it anyway */
	if ((rc = split_pairs(s, len, ';', cookie_pair, out)) != SP_OK)
		return sp_error_set(
		    err, rc, "cookie header: %s", sp_strerror(rc));
	return SP_OK;
}

const char *
sp_http_param(const struct sp_http_params *p, const char *name, size_t *len)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (strcmp(p->items[i].name, name) == 0) {
			if (len != NULL)
				*len = p->items[i].value_len;
			return p->items[i].value;
		}
	}
	return NULL;
}
