/* SPDX-License-Identifier: MIT */
/*
 * rules_addr: envelope addresses in the form the MTA delivers them, so
 * that a rule compares against the mailbox the message will reach.
 *
 * Accepted and reduced to "local@domain" (sealpost-rules(5), ENVELOPE
 * ADDRESSES): white space and (comments) outside quotes, surrounding
 * <> (also doubled, or after a display name), an RFC 5321 source route
 * "@a,@b:", quoted local parts and backslash escapes ("bob"@x is bob@x),
 * trailing dots on the domain, upper case (ASCII in the local part), and
 * U-label domains (to A-labels).  A domain literal ([192.0.2.1]) is kept
 * lower-cased: no domain condition can match it.  The routed form of a
 * percent hack (a%b@host: a@b) or bang path (b!a: a@b) is given as a
 * second address, since the MTA may deliver there (rules_eval lets
 * such an address count only towards sealing).  Anything else that
 * does not parse (unbalanced quotes or brackets, a route without ':',
 * an empty or invalid domain, control characters) is SP_EFORMAT.
 */
#include "rules_internal.h"

#include <stdlib.h>
#include <string.h>

struct addr_buf {
	char *s;  /* the address with white space and comments removed */
	size_t n; /* its length */
	bool bad; /* it cannot be parsed */
};

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Copies in to b->s without white space and comments outside quotes;
 * quotes and escapes are kept for addr_split. */
static void
addr_clean(const char *in, struct addr_buf *b)
{
	size_t i, depth = 0;
	bool quoted = false;

	for (i = 0; in[i] != '\0' && !b->bad; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c < 0x20 && !is_space(in[i]))
			b->bad = true;
		else if (c == 0x7f)
			b->bad = true;
		else if (c == '\\' && (quoted || depth == 0) &&
		    in[i + 1] != '\0') {
			b->s[b->n++] = in[i++];
			b->s[b->n++] = in[i];
		} else if (depth > 0 && c == '(') {
			depth++;
		} else if (depth > 0) {
			depth -= c == ')';
		} else if (c == '"') {
			quoted = !quoted;
			b->s[b->n++] = in[i];
		} else if (!quoted && c == '(') {
			depth = 1;
		} else if (!quoted && (is_space(in[i]) || c == ')')) {
			b->bad = b->bad || c == ')';
		} else {
			b->s[b->n++] = in[i];
		}
	}
	b->bad = b->bad || quoted || depth > 0;
	b->s[b->n] = '\0';
}

/* Index of the first/last unquoted c in s[from, to), or to. */
static size_t
find_unquoted(const char *s, size_t from, size_t to, char c, bool last)
{
	size_t i, found = to;
	bool quoted = false;

	for (i = from; i < to; i++) {
		if (s[i] == '\\' && i + 1 < to) {
			i++;
			continue;
		}
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == c) {
			found = i;
			if (!last)
				break;
		}
	}
	return found;
}

/* The address part of b->s as [*a, *z): inside <> and past a route. */
static void
addr_bounds(struct addr_buf *b, size_t *a, size_t *z)
{
	size_t lt = find_unquoted(b->s, 0, b->n, '<', false);

	*a = 0;
	*z = b->n;
	if (lt < b->n) {
		if (b->s[b->n - 1] != '>') {
			b->bad = true;
			return;
		}
		*a = lt + 1;
		*z = b->n - 1;
		while (*z - *a >= 2 && b->s[*a] == '<' && b->s[*z - 1] == '>') {
			(*a)++; /* <<addr>>, as some clients wrap it twice */
			(*z)--;
		}
	}
	if (find_unquoted(b->s, *a, *z, '<', false) < *z ||
	    find_unquoted(b->s, *a, *z, '>', false) < *z) {
		b->bad = true;
		return;
	}
	if (*a < *z && b->s[*a] == '@') {
		*a = find_unquoted(b->s, *a, *z, ':', false);
		/* a route must lead somewhere */
		b->bad = *a == *z || *a + 1 == *z;
		(*a)++;
	}
}

/* The local part s[a, z) without quotes and escapes, ASCII lower case. */
static size_t
local_unquote(const char *s, size_t a, size_t z, char *out)
{
	size_t i, o = 0;

	for (i = a; i < z; i++) {
		char c = s[i];

		if (c == '"')
			continue;
		if (c == '\\' && i + 1 < z)
			c = s[++i];
		out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[o] = '\0';
	return o;
}

/* The domain s[a, z) normalised into *out: trailing dots dropped, a
 * literal lower-cased, a name to lower-case A-labels. */
static int
domain_part(const char *s, size_t a, size_t z, char **out)
{
	size_t i;

	while (z > a && s[z - 1] == '.')
		z--;
	if (z == a || memchr(s + a, '"', z - a) != NULL ||
	    memchr(s + a, '\\', z - a) != NULL)
		return SP_EFORMAT;
	if (s[a] != '[')
		return rules_domain_norm(s + a, z - a, out);
	if (s[z - 1] != ']')
		return SP_EFORMAT;
	*out = strndup(s + a, z - a);
	if (*out == NULL)
		return SP_ENOMEM;
	for (i = 0; (*out)[i] != '\0'; i++)
		if ((*out)[i] >= 'A' && (*out)[i] <= 'Z')
			(*out)[i] = (char)((*out)[i] + 32);
	return SP_OK;
}

static char *
join_addr(const char *local, size_t llen, const char *dom)
{
	size_t dlen = dom != NULL ? strlen(dom) : 0;
	char *r = malloc(llen + dlen + 2);

	if (r == NULL)
		return NULL;
	memcpy(r, local, llen);
	r[llen] = '\0';
	if (dom != NULL) {
		r[llen] = '@';
		memcpy(r + llen + 1, dom, dlen + 1);
	}
	return r;
}

/* The routed address of a percent hack (a%b: a@b, rightmost '%') or a
 * bang path (b!a: a@b, first '!'), or NULL (also when b is no domain). */
static int
routed_addr(const char *local, size_t llen, char **alt)
{
	const char *pct = memchr(local, '%', llen), *bang, *p;
	char *dom = NULL;
	int rc;

	*alt = NULL;
	for (p = pct; p != NULL;
	     p = memchr(p + 1, '%', llen - (size_t)(p + 1 - local)))
		pct = p;
	bang = memchr(local, '!', llen);
	if (pct != NULL) {
		rc = rules_domain_norm(
		    pct + 1, llen - (size_t)(pct + 1 - local), &dom);
		if (rc == SP_OK)
			*alt = join_addr(local, (size_t)(pct - local), dom);
	} else if (bang != NULL) {
		rc = rules_domain_norm(local, (size_t)(bang - local), &dom);
		if (rc == SP_OK)
			*alt = join_addr(
			    bang + 1, llen - (size_t)(bang + 1 - local), dom);
	} else {
		return SP_OK;
	}
	free(dom);
	if (rc == SP_ENOMEM || (rc == SP_OK && *alt == NULL))
		return SP_ENOMEM;
	return SP_OK;
}

int
rules_envelope_norm(const char *in, char **out, char **alt)
{
	struct addr_buf b = { malloc(strlen(in) + 1), 0, false };
	char *local = NULL, *dom = NULL;
	size_t a, z, at, llen = 0;
	int rc = SP_EFORMAT;

	*out = NULL;
	*alt = NULL;
	if (b.s == NULL)
		return SP_ENOMEM;
	addr_clean(in, &b);
	if (!b.bad)
		addr_bounds(&b, &a, &z);
	if (b.bad)
		goto out;
	at = find_unquoted(b.s, a, z, '@', true);
	local = malloc(z - a + 1);
	if (local == NULL) {
		rc = SP_ENOMEM;
		goto out;
	}
	llen = local_unquote(b.s, a, at, local);
	rc = at < z ? domain_part(b.s, at + 1, z, &dom) : SP_OK;
	if (rc == SP_OK && (at == a && at < z))
		rc = SP_EFORMAT; /* "@domain" */
	if (rc == SP_OK)
		rc = (*out = join_addr(local, llen, dom)) != NULL ? SP_OK
		                                                  : SP_ENOMEM;
	if (rc == SP_OK)
		rc = routed_addr(local, llen, alt);
out:
	if (rc != SP_OK) {
		free(*out);
		*out = NULL;
	}
	free(b.s);
	free(local);
	free(dom);
	return rc;
}
