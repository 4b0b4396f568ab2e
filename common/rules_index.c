/* SPDX-License-Identifier: MIT */
/*
 * rules_index: the pieces that make deciding cheap and comparisons
 * exact: a string hash table, domain and address normalisation (IDN to
 * A-label with libidn2), case folding, and the domain index of a rule set.
 */
#include "rules_internal.h"

#include <idn2.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "sp_mime_words.h"

static uint64_t
hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static int
map_grow(struct rules_map *m)
{
	struct rules_map_slot *old = m->slots, *s;
	size_t oldcap = m->cap, i, j;

	m->cap = oldcap ? oldcap * 2 : 64;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (m->slots == NULL) {
		m->slots = old;
		m->cap = oldcap;
		return SP_ENOMEM;
	}
	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		j = old[i].hash & (m->cap - 1);
		for (s = &m->slots[j]; s->key != NULL; s = &m->slots[j])
			j = (j + 1) & (m->cap - 1);
		*s = old[i];
	}
	free(old);
	return SP_OK;
}

static struct rules_map_slot *
map_find(const struct rules_map *m, const char *key, size_t klen, uint64_t h)
{
	size_t j;

	if (m->cap == 0)
		return NULL;
	for (j = h & (m->cap - 1); m->slots[j].key != NULL;
	     j = (j + 1) & (m->cap - 1)) {
		struct rules_map_slot *s = &m->slots[j];

		if (s->hash == h && s->klen == klen &&
		    memcmp(s->key, key, klen) == 0)
			return s;
	}
	return &m->slots[j];
}

/* Adds key -> val.  When key is there already, *existing gets its value
 * and SP_EEXIST is returned. */
int
rules_map_put(struct rules_map *m, const char *key, size_t klen, size_t val,
    size_t *existing)
{
	uint64_t h = hash_bytes(key, klen);
	struct rules_map_slot *s;

	if ((m->n + 1) * 2 > m->cap && map_grow(m) != SP_OK)
		return SP_ENOMEM;
	s = map_find(m, key, klen, h);
	if (s->key != NULL) {
		if (existing != NULL)
			*existing = s->val;
		return SP_EEXIST;
	}
	s->key = malloc(klen + 1);
	if (s->key == NULL)
		return SP_ENOMEM;
	memcpy(s->key, key, klen);
	s->key[klen] = '\0';
	s->klen = klen;
	s->hash = h;
	s->val = val;
	m->n++;
	return SP_OK;
}

bool
rules_map_get(
    const struct rules_map *m, const char *key, size_t klen, size_t *val)
{
	struct rules_map_slot *s =
	    map_find(m, key, klen, hash_bytes(key, klen));

	if (s == NULL || s->key == NULL)
		return false;
	*val = s->val;
	return true;
}

void
rules_map_free(struct rules_map *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* LDH labels of 1-63 characters, 253 in all, no hyphen at either end of
 * a label, at least one character. */
static bool
domain_valid(const char *d)
{
	size_t len = strlen(d), label = 0, i;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i <= len; i++) {
		char c = d[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || d[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (label == 0 && c == '-')
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		        c == '-'))
			return false;
		label++;
	}
	return true;
}

int
rules_domain_norm(const char *in, size_t len, char **out)
{
	char *copy, *a = NULL;
	bool ascii = true;
	size_t i;
	int rc;

	*out = NULL;
	copy = malloc(len + 1);
	if (copy == NULL)
		return SP_ENOMEM;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		ascii = ascii && c < 0x80 && c != 0;
		copy[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	copy[len] = '\0';
	if (!ascii) {
		rc = memchr(in, 0, len) == NULL
		    ? idn2_to_ascii_8z(copy, &a, IDN2_NONTRANSITIONAL)
		    : IDN2_ENCODING_ERROR;
		free(copy);
		if (rc != IDN2_OK)
			return SP_EFORMAT;
		copy = a;
		for (i = 0; copy[i] != '\0'; i++)
			if (copy[i] >= 'A' && copy[i] <= 'Z')
				copy[i] = (char)(copy[i] + 32);
	}
	if (!domain_valid(copy)) {
		free(copy);
		return SP_EFORMAT;
	}
	*out = copy;
	return SP_OK;
}

int
rules_addr_norm(const char *in, bool loose, char **out)
{
	const char *at = strrchr(in, '@');
	size_t llen, i;
	char *dom = NULL, *res;
	int rc;

	*out = NULL;
	if (at == NULL)
		return loose ? rules_fold(in, strlen(in), out, NULL, NULL)
		             : SP_EFORMAT;
	llen = (size_t)(at - in);
	rc = rules_domain_norm(at + 1, strlen(at + 1), &dom);
	if (rc == SP_EFORMAT && loose)
		rc = rules_fold(at + 1, strlen(at + 1), &dom, NULL, NULL);
	if (rc != SP_OK)
		return rc;
	res = malloc(llen + strlen(dom) + 2);
	if (res == NULL) {
		free(dom);
		return SP_ENOMEM;
	}
	for (i = 0; i < llen; i++)
		res[i] =
		    (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
	res[llen] = '@';
	memcpy(res + llen + 1, dom, strlen(dom) + 1);
	free(dom);
	*out = res;
	return SP_OK;
}

static locale_t fold_locale = (locale_t)0;
static pthread_once_t fold_once = PTHREAD_ONCE_INIT;

static void
fold_init(void)
{
	fold_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Decodes one UTF-8 character at s into *cp; returns its length, or 0
 * for a byte that does not start a valid sequence. */
static size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	if (n == 0 || n > len)
		return 0;
	*cp = s[0] & (0x7fu >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3fu);
	}
	return *cp >= 0x80 && *cp <= 0x10ffff ? n : 0;
}

static size_t
utf8_encode(uint32_t cp, char *u)
{
	if (cp < 0x80) {
		u[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	u[0] = (char)(0xf0 | (cp >> 18));
	u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	u[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static uint32_t
fold_cp(uint32_t cp)
{
	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
	if (fold_locale == (locale_t)0)
		return cp;
	return (uint32_t)towlower_l((wint_t)cp, fold_locale);
}

int
rules_fold(const char *s, size_t len, char **out, size_t *outlen, size_t **map)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, n, k, *m = NULL;
	char *f;
	uint32_t cp;

	pthread_once(&fold_once, fold_init);
	/* Lower case never takes more than 4 bytes for a character, and a
	 * character of 1 byte stays 1 byte (ASCII, or a copied stray). */
	f = malloc(len * 3 + 1);
	if (f == NULL ||
	    (map != NULL && (m = malloc((len * 3 + 1) * sizeof(*m))) == NULL)) {
		free(f);
		return SP_ENOMEM;
	}
	while (i < len) {
		n = utf8_decode(u + i, len - i, &cp);
		if (n == 0) {
			cp = u[i];
			n = 1;
			k = 1;
			f[o] = (char)u[i];
		} else {
			k = utf8_encode(fold_cp(cp), f + o);
		}
		for (; m != NULL && k > 0; k--)
			m[o++] = i;
		o += k;
		i += n;
	}
	if (m != NULL)
		m[o] = len;
	f[o] = '\0';
	*out = f;
	if (outlen != NULL)
		*outlen = o;
	if (map != NULL)
		*map = m;
	return SP_OK;
}

static int
idlist_add(struct rules_idlist *l, uint32_t id)
{
	uint32_t *n;

	if (l->n > 0 && l->ids[l->n - 1] == id)
		return SP_OK;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 2;
		n = realloc(l->ids, l->cap * sizeof(*n));
		if (n == NULL)
			return SP_ENOMEM;
		l->ids = n;
	}
	l->ids[l->n++] = id;
	return SP_OK;
}

/* The index key letter of a value: 'R'/'S' a recipient/sender domain,
 * 'r'/'s' a parent domain (values with a leading dot), 'A'/'F' a
 * recipient/sender address. */
static char
index_letter(enum rules_cond_kind kind, const char *v)
{
	bool sub = v[0] == '.';

	switch (kind) {
	case COND_RCPT_DOMAIN:
		return sub ? 'r' : 'R';
	case COND_SENDER_DOMAIN:
		return sub ? 's' : 'S';
	case COND_RCPT:
		return 'A';
	default:
		return 'F';
	}
}

/* Files the value v of condition c under its index key. */
static int
index_value(struct sp_ruleset *rs, const struct rules_cond *c, const char *v)
{
	char key[RULES_KEY_MAX], letter = index_letter(c->kind, v);
	size_t klen, li, cap;
	struct rules_idlist *nl;
	int rc;

	klen = (size_t)snprintf(key, sizeof(key), "%c%s", letter,
	    v + (letter == 'r' || letter == 's'));
	if (klen >= sizeof(key))
		return SP_EINVAL;
	rc = rules_map_put(&rs->dom, key, klen, rs->nlists, &li);
	if (rc == SP_OK) {
		li = rs->nlists;
		/* Capacity doubles at each power of two. */
		if ((li & (li - 1)) == 0) {
			cap = li ? li * 2 : 4;
			nl = realloc(rs->lists, cap * sizeof(*nl));
			if (nl == NULL)
				return SP_ENOMEM;
			rs->lists = nl;
		}
		memset(&rs->lists[li], 0, sizeof(rs->lists[li]));
		rs->nlists++;
	} else if (rc != SP_EEXIST) {
		return rc;
	}
	return idlist_add(&rs->lists[li], c->id);
}

static bool
is_indexed_kind(enum rules_cond_kind k)
{
	return k == COND_RCPT_DOMAIN || k == COND_SENDER_DOMAIN ||
	    k == COND_RCPT || k == COND_SENDER;
}

static int
index_rule(struct sp_ruleset *rs, size_t ri)
{
	struct rules_rule *r = &rs->rules[ri];
	size_t i, j;

	for (i = 0; i < r->nconds; i++) {
		struct rules_cond *c = &r->conds[i];

		rs->cond_rule[c->id] = ri;
		if (c->kind == COND_SUBJECT_TAG ||
		    c->kind == COND_SUBJECT_CONTAINS || c->kind == COND_HEADER)
			rs->envelope_only = false;
		if (!is_indexed_kind(c->kind))
			continue;
		if (!c->except && !r->indexed) {
			r->indexed = true;
			r->key = c->id;
		}
		for (j = 0; j < c->nvals; j++)
			if (index_value(rs, c, c->vals[j]) != SP_OK)
				return SP_ENOMEM;
	}
	if (!r->indexed)
		rs->plain[rs->nplain++] = ri;
	return SP_OK;
}

int
rules_index_build(struct sp_ruleset *rs)
{
	size_t i;

	rs->envelope_only = true;
	rs->cond_rule = calloc(rs->ncond + 1, sizeof(*rs->cond_rule));
	rs->plain = calloc(rs->nrules + 1, sizeof(*rs->plain));
	if (rs->cond_rule == NULL || rs->plain == NULL)
		return SP_ENOMEM;
	for (i = 0; i < rs->nrules; i++)
		if (index_rule(rs, i) != SP_OK)
			return SP_ENOMEM;
	return SP_OK;
}
