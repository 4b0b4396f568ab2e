/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for sp_html_sanitize(): any bytes must give output or
 * a clean error, and every tag of the output must be harmless: no
 * dangerous element, no on* attribute, href and src only with allowed
 * URLs, every attribute written name="value".  A tripwire, not a proof.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sp_html_sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
cid_url(void *ctx, const char *cid)
{
	(void)ctx;
	return strdup(cid[0] == 'x' ? "javascript:alert(1)" : "/m/x/att/0");
}

static int
starts(const char *s, size_t n, const char *prefix)
{
	size_t l = strlen(prefix);

	return n >= l && strncasecmp(s, prefix, l) == 0;
}

/* One attribute of our output, name="value": allowed? */
static int
attr_ok(const char *name, size_t nlen, const char *val, size_t vlen)
{
	if (starts(name, nlen, "on"))
		return 0;
	if (nlen == 4 && strncmp(name, "href", 4) == 0)
		return starts(val, vlen, "http:") ||
		    starts(val, vlen, "https:") ||
		    starts(val, vlen, "mailto:") || starts(val, vlen, "#");
	if (nlen == 3 && strncmp(name, "src", 3) == 0)
		return starts(val, vlen, "data:image/") ||
		    (starts(val, vlen, "/") && !starts(val, vlen, "//"));
	return 1;
}

/* Walks the output's tags (always written as <name a="v" ...>):
 * no dangerous element, no handler, no unsafe URL.  0 if bad. */
static int
output_ok(const char *h)
{
	static const char *const bad[] = { "script", "style", "iframe", "svg",
		"math", "object", "embed", "form", "input", "meta", "link",
		"base", "template", "textarea", "title" };
	const char *p = h, *n, *v;
	size_t i, nlen;

	while ((p = strchr(p, '<')) != NULL) {
		p += (p[1] == '/') ? 2 : 1;
		if (*p == '!') /* comments and doctypes never come out */
			return 0;
		nlen = strcspn(p, " >");
		for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
			if (nlen == strlen(bad[i]) &&
			    strncasecmp(p, bad[i], nlen) == 0)
				return 0;
		p += nlen;
		while (*p == ' ') {
			n = p + 1;
			nlen = strcspn(n, "=");
			if (n[nlen] != '=' || n[nlen + 1] != '"')
				return 0;
			v = n + nlen + 2;
			p = strchr(v, '"');
			if (p == NULL || !attr_ok(n, nlen, v, (size_t)(p - v)))
				return 0;
			p++;
		}
		if (*p != '>')
			return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char doc_head[] = "<!DOCTYPE html>\n<html><head><meta "
	                               "charset=\"utf-8\"></head>";
	struct sp_html_options o = { 0 };
	struct sp_html_result r;
	const char *body;

	o.cid_url = cid_url;
	o.max_output = 1u << 22;
	o.document = size > 0 && data[0] == 'D';
	if (sp_html_sanitize((const char *)data, size, &o, &r, NULL) != SP_OK)
		return 0;
	body = r.html;
	if (o.document) {
		if (strncmp(r.html, doc_head, strlen(doc_head)) != 0)
			abort();
		body = r.html + strlen(doc_head);
	}
	if (strlen(r.html) != r.len || !output_ok(body))
		abort();
	sp_html_result_cleanup(&r);
	return 0;
}
