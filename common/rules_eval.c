/* SPDX-License-Identifier: MIT */
/*
 * rules_eval: deciding what happens to one message.
 *
 * The domain index gives, for the envelope's domains, the domain
 * conditions that hold and so the rules that can match; those and the
 * rules outside the index are tried in file order, and the first whose
 * conditions hold decides.  Headers are decoded (sp_mime_words) and folded
 * to lower case only when a rule looks at them, once per message.
 */
#define _GNU_SOURCE /* memmem */
#include "rules_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sp_mime_words.h"

struct folded {
	bool done;
	char *text; /* decoded, folded to lower case; NULL: no such header */
	size_t len;
	char *dec; /* Subject fields: decoded, not folded */
	size_t dec_len;
};

struct eval {
	const struct sp_ruleset *rs;
	const struct sp_rules_input *in;
	char *sender;     /* normalised, "" for the null sender */
	char *sender_alt; /* where a percent hack or bang path routes */
	char **rcpts;
	char **rcpt_alts;
	bool sender_bad, rcpt_bad; /* an address that does not parse */
	bool seal_only; /* lookups for an ambiguous address (see below) */
	uint32_t *hits; /* domain conditions that hold, sorted */
	size_t nhits, hits_cap;
	size_t *cands; /* rules to try, sorted */
	size_t ncands;
	struct folded *hdrs; /* per input header */
	long subject_idx;    /* the first Subject header, or -1 */
};

/* An envelope address normalised (rules_addr.c); one that does not
 * parse is kept lower-cased and flagged in *bad. */
static int
envelope_addr(const char *in, char **out, char **alt, bool *bad)
{
	int rc = rules_envelope_norm(in != NULL ? in : "", out, alt);

	if (rc != SP_EFORMAT)
		return rc;
	*bad = true;
	in = in != NULL ? in : "";
	return rules_fold(in, strlen(in), out, NULL, NULL);
}

static int
eval_init(struct eval *e, const struct sp_ruleset *rs,
    const struct sp_rules_input *in)
{
	size_t i;

	memset(e, 0, sizeof(*e));
	e->rs = rs;
	e->in = in;
	e->subject_idx = -1;
	e->rcpts = calloc(in->nrcpt + 1, sizeof(*e->rcpts));
	e->rcpt_alts = calloc(in->nrcpt + 1, sizeof(*e->rcpt_alts));
	e->hdrs = calloc(in->nheaders + 1, sizeof(*e->hdrs));
	if (e->rcpts == NULL || e->rcpt_alts == NULL || e->hdrs == NULL)
		return SP_ENOMEM;
	if (envelope_addr(in->sender, &e->sender, &e->sender_alt,
	        &e->sender_bad) != SP_OK)
		return SP_ENOMEM;
	for (i = 0; i < in->nrcpt; i++)
		if (envelope_addr(in->rcpts[i], &e->rcpts[i], &e->rcpt_alts[i],
		        &e->rcpt_bad) != SP_OK)
			return SP_ENOMEM;
	for (i = 0; i < in->nheaders; i++)
		if (in->headers[i].name_len == 7 &&
		    strncasecmp(in->headers[i].name, "Subject", 7) == 0) {
			e->subject_idx = (long)i;
			break;
		}
	return SP_OK;
}

static void
eval_cleanup(struct eval *e)
{
	size_t i;

	free(e->sender);
	free(e->sender_alt);
	for (i = 0; e->rcpts != NULL && i < e->in->nrcpt; i++)
		free(e->rcpts[i]);
	for (i = 0; e->rcpt_alts != NULL && i < e->in->nrcpt; i++)
		free(e->rcpt_alts[i]);
	free(e->rcpts);
	free(e->rcpt_alts);
	for (i = 0; e->hdrs != NULL && i < e->in->nheaders; i++) {
		free(e->hdrs[i].text);
		free(e->hdrs[i].dec);
	}
	free(e->hdrs);
	free(e->hits);
	free(e->cands);
}

static int
hits_add_list(struct eval *e, const struct rules_idlist *l)
{
	uint32_t *nh;

	if (e->nhits + l->n > e->hits_cap) {
		e->hits_cap = (e->nhits + l->n) * 2;
		nh = realloc(e->hits, e->hits_cap * sizeof(*nh));
		if (nh == NULL)
			return SP_ENOMEM;
		e->hits = nh;
	}
	memcpy(e->hits + e->nhits, l->ids, l->n * sizeof(*l->ids));
	e->nhits += l->n;
	return SP_OK;
}

/* Condition id is a match line of an encrypt rule: one that can only
 * make a message sealed. */
static bool
seals(const struct sp_ruleset *rs, uint32_t id)
{
	const struct rules_rule *r = &rs->rules[rs->cond_rule[id]];
	size_t i;

	for (i = 0; r->action == SP_ACTION_ENCRYPT && i < r->nconds; i++)
		if (r->conds[i].id == id)
			return !r->conds[i].except;
	return false;
}

static int
hits_lookup(struct eval *e, char kind, const char *dom)
{
	char key[RULES_KEY_MAX];
	size_t klen, li, i;
	const struct rules_idlist *l;
	struct rules_idlist one;

	klen = (size_t)snprintf(key, sizeof(key), "%c%s", kind, dom);
	if (klen >= sizeof(key) || !rules_map_get(&e->rs->dom, key, klen, &li))
		return SP_OK;
	l = &e->rs->lists[li];
	if (!e->seal_only)
		return hits_add_list(e, l);
	for (i = 0; i < l->n; i++) {
		one.ids = &l->ids[i];
		one.n = 1;
		if (seals(e->rs, l->ids[i]) && hits_add_list(e, &one) != SP_OK)
			return SP_ENOMEM;
	}
	return SP_OK;
}

/* The address itself, its domain exactly (upper-case kind letter), and
 * each parent domain for subdomain values (lower-case letter). */
static int
hits_for_address(struct eval *e, const char *addr, char exact, char sub)
{
	const char *dom;

	if (addr == NULL)
		return SP_OK;
	dom = strrchr(addr, '@');
	if (hits_lookup(e, exact == 'R' ? 'A' : 'F', addr) != SP_OK)
		return SP_ENOMEM;
	if (dom == NULL || dom[1] == '\0')
		return SP_OK;
	dom++;
	if (hits_lookup(e, exact, dom) != SP_OK)
		return SP_ENOMEM;
	for (dom = strchr(dom, '.'); dom != NULL; dom = strchr(dom + 1, '.'))
		if (hits_lookup(e, sub, dom + 1) != SP_OK)
			return SP_ENOMEM;
	return SP_OK;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

static bool
is_rcpt_kind(enum rules_cond_kind k)
{
	return k == COND_RCPT || k == COND_RCPT_DOMAIN;
}

static bool
is_sender_kind(enum rules_cond_kind k)
{
	return k == COND_SENDER || k == COND_SENDER_DOMAIN;
}

/* An address that does not parse might be delivered anywhere: every
 * match condition on it of an encrypt rule holds (and no skip rule's,
 * nor any except), so such a message is sealed when a rule could. */
static int
hits_for_unparsed(struct eval *e, bool sender)
{
	const struct rules_rule *r;
	const struct rules_cond *c;
	struct rules_idlist one;
	size_t i, j;

	for (i = 0; i < e->rs->nrules; i++) {
		r = &e->rs->rules[i];
		for (j = 0; r->action == SP_ACTION_ENCRYPT && j < r->nconds;
		     j++) {
			c = &r->conds[j];
			if (c->except ||
			    !(sender ? is_sender_kind(c->kind)
			             : is_rcpt_kind(c->kind)))
				continue;
			one.ids = (uint32_t *)&c->id;
			one.n = 1;
			if (hits_add_list(e, &one) != SP_OK)
				return SP_ENOMEM;
		}
	}
	return SP_OK;
}

/* An address with a routed form (percent hack, bang path) may be
 * delivered to either: both count for encrypt rules' match lines, and
 * neither for a skip rule or an except line, which could let it out in
 * the clear. */
static int
address_hits(
    struct eval *e, const char *addr, const char *alt, char exact, char sub)
{
	int rc;

	e->seal_only = alt != NULL;
	rc = hits_for_address(e, addr, exact, sub);
	if (rc == SP_OK)
		rc = hits_for_address(e, alt, exact, sub);
	e->seal_only = false;
	return rc;
}

static int
envelope_hits(struct eval *e)
{
	size_t i;

	if (address_hits(e, e->sender, e->sender_alt, 'S', 's') != SP_OK)
		return SP_ENOMEM;
	for (i = 0; i < e->in->nrcpt; i++)
		if (address_hits(e, e->rcpts[i], e->rcpt_alts[i], 'R', 'r') !=
		    SP_OK)
			return SP_ENOMEM;
	if (e->sender_bad && hits_for_unparsed(e, true) != SP_OK)
		return SP_ENOMEM;
	if (e->rcpt_bad && hits_for_unparsed(e, false) != SP_OK)
		return SP_ENOMEM;
	return SP_OK;
}

/* Candidates: rules keyed by a domain condition that holds, and every
 * rule outside the index, in file order. */
static int
collect_candidates(struct eval *e)
{
	const struct sp_ruleset *rs = e->rs;
	size_t i, n = 0, ri;

	if (envelope_hits(e) != SP_OK)
		return SP_ENOMEM;
	if (e->nhits > 0)
		qsort(e->hits, e->nhits, sizeof(*e->hits), cmp_u32);
	for (i = 0; i < e->nhits; i++)
		if (n == 0 || e->hits[n - 1] != e->hits[i])
			e->hits[n++] = e->hits[i];
	e->nhits = n;
	e->cands = malloc((e->nhits + rs->nplain + 1) * sizeof(*e->cands));
	if (e->cands == NULL)
		return SP_ENOMEM;
	n = 0;
	for (i = 0; i < e->nhits; i++) {
		ri = rs->cond_rule[e->hits[i]];
		if (rs->rules[ri].indexed && rs->rules[ri].key == e->hits[i])
			e->cands[n++] = ri;
	}
	memcpy(e->cands + n, rs->plain, rs->nplain * sizeof(*rs->plain));
	n += rs->nplain;
	if (n > 0)
		qsort(e->cands, n, sizeof(*e->cands), cmp_size);
	e->ncands = n;
	return SP_OK;
}

static bool
is_subject(const struct sp_header *h)
{
	return h->name_len == 7 && strncasecmp(h->name, "Subject", 7) == 0;
}

/* Header i decoded and folded, once. */
static const struct folded *
header_folded(struct eval *e, size_t i, int *rc)
{
	const struct sp_header *h = &e->in->headers[i];
	struct folded *f = &e->hdrs[i];
	char *dec = NULL;
	size_t len;

	if (f->done)
		return f;
	*rc = sp_mime_decode_header(h->value, h->value_len, &dec, &len);
	if (*rc == SP_OK)
		*rc = rules_fold(dec, len, &f->text, &f->len, NULL);
	if (*rc == SP_OK && is_subject(h)) {
		f->dec = dec;
		f->dec_len = len;
		dec = NULL;
	}
	free(dec);
	f->done = *rc == SP_OK;
	return f;
}

static bool
text_has(const struct folded *f, char **vals, size_t n)
{
	size_t i;

	for (i = 0; f->text != NULL && i < n; i++)
		if (strcmp(vals[i], "*") == 0 ||
		    memmem(f->text, f->len, vals[i], strlen(vals[i])) != NULL)
			return true;
	return false;
}

/* The first header named name (every one of them is looked at) that
 * holds one of c's values, or -1. */
static long
header_match(
    struct eval *e, const char *name, const struct rules_cond *c, int *rc)
{
	const struct sp_header *h;
	size_t i, nlen = strlen(name);

	for (i = 0; i < e->in->nheaders && *rc == SP_OK; i++) {
		h = &e->in->headers[i];
		if (h->name_len == nlen &&
		    strncasecmp(h->name, name, nlen) == 0 &&
		    text_has(header_folded(e, i, rc), c->vals, c->nvals))
			return (long)i;
	}
	return -1;
}

static bool
cond_holds(struct eval *e, const struct rules_cond *c, int *rc)
{
	switch (c->kind) {
	case COND_ANY:
		return true;
	case COND_SENDER_DOMAIN:
	case COND_RCPT_DOMAIN:
	case COND_SENDER:
	case COND_RCPT:
		/* Envelope conditions that hold were found in the index. */
		return bsearch(&c->id, e->hits, e->nhits, sizeof(*e->hits),
		           cmp_u32) != NULL;
	case COND_SUBJECT_TAG:
	case COND_SUBJECT_CONTAINS:
		return header_match(e, "Subject", c, rc) >= 0;
	case COND_HEADER:
		return header_match(e, c->header, c, rc) >= 0;
	}
	return false;
}

/* Every match condition holds and no except condition does. */
static bool
rule_holds(struct eval *e, const struct rules_rule *r, int *rc)
{
	size_t i;

	for (i = 0; i < r->nconds && *rc == SP_OK; i++)
		if (cond_holds(e, &r->conds[i], rc) == r->conds[i].except)
			return false;
	return *rc == SP_OK;
}

struct range {
	size_t a, b;
};

static int
cmp_range(const void *x, const void *y)
{
	const struct range *p = x, *q = y;

	return (p->a > q->a) - (p->a < q->a);
}

/* Where the rule's tags occur in the decoded subject f, in its
 * offsets. */
static int
tag_ranges(const struct folded *sf, const struct rules_rule *r,
    struct range **out, size_t *nout)
{
	char *f = NULL;
	size_t flen, *map = NULL, i, j, n = 0, cap = 0, vlen;
	const char *p;
	struct range *rg = NULL, *nr;
	int rc;

	rc = rules_fold(sf->dec, sf->dec_len, &f, &flen, &map);
	for (i = 0; rc == SP_OK && i < r->nconds; i++) {
		const struct rules_cond *c = &r->conds[i];

		if (c->kind != COND_SUBJECT_TAG || c->except)
			continue;
		for (j = 0; j < c->nvals && rc == SP_OK; j++) {
			vlen = strlen(c->vals[j]);
			if (vlen == 0) /* the parser refuses these */
				continue;
			for (p = f; (p = memmem(p, flen - (size_t)(p - f),
			                 c->vals[j], vlen)) != NULL;
			     p += vlen) {
				if (n == cap) {
					cap = cap ? cap * 2 : 8;
					nr = realloc(rg, cap * sizeof(*nr));
					if (nr == NULL) {
						rc = SP_ENOMEM;
						break;
					}
					rg = nr;
				}
				rg[n].a = map[p - f];
				rg[n++].b = map[p - f + vlen];
			}
		}
	}
	free(f);
	free(map);
	*out = rg;
	*nout = n;
	return rc;
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

struct rebuild {
	char *out;
	size_t o;
	bool space; /* a space is owed before the next text */
};

static void
rebuild_put(struct rebuild *rb, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (rb->space && rb->o > 0)
		rb->out[rb->o++] = ' ';
	rb->space = false;
	memcpy(rb->out + rb->o, s, n);
	rb->o += n;
}

/* The subject without the ranges; the white space around each removed
 * tag shrinks to one space between words, none at either end. */
static char *
remove_ranges(const char *s, size_t len, struct range *rg, size_t n)
{
	struct rebuild rb = { malloc(len + 1), 0, false };
	size_t i, pos = 0, a;
	bool had;

	if (rb.out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (rg[i].b <= pos)
			continue;
		a = rg[i].a < pos ? pos : rg[i].a;
		rebuild_put(&rb, s + pos, a - pos);
		had = false;
		while (rb.o > 0 && is_ws(rb.out[rb.o - 1])) {
			rb.o--;
			had = true;
		}
		for (pos = rg[i].b; pos < len && is_ws(s[pos]); pos++)
			had = true;
		rb.space = rb.space || had;
	}
	rb.space = rb.space && pos < len;
	rebuild_put(&rb, s + pos, len - pos);
	while (rb.o > 0 && is_ws(rb.out[rb.o - 1]))
		rb.o--;
	rb.out[rb.o] = '\0';
	return rb.out;
}

/* The Subject recipients see when several are present: the first that
 * holds the deciding encrypt rule's subject-tag (else subject-contains)
 * condition, else the first. */
static long
shown_subject(struct eval *e, const struct rules_rule *r, int *rc)
{
	enum rules_cond_kind want[2] = { COND_SUBJECT_TAG,
		COND_SUBJECT_CONTAINS };
	size_t k, i;
	long idx;

	for (k = 0; r != NULL && r->action == SP_ACTION_ENCRYPT && k < 2; k++)
		for (i = 0; i < r->nconds && *rc == SP_OK; i++) {
			if (r->conds[i].kind != want[k] || r->conds[i].except)
				continue;
			idx = header_match(e, "Subject", &r->conds[i], rc);
			if (idx >= 0)
				return idx;
		}
	return e->subject_idx;
}

static int
decision_subject(
    struct eval *e, const struct rules_rule *r, struct sp_decision *out)
{
	struct range *rg = NULL;
	const struct folded *sf;
	size_t n = 0;
	int rc = SP_OK;
	long idx = shown_subject(e, r, &rc);

	if (rc != SP_OK || idx < 0)
		return rc;
	sf = header_folded(e, (size_t)idx, &rc);
	if (rc != SP_OK)
		return rc;
	if (r != NULL && out->action == SP_ACTION_ENCRYPT)
		rc = tag_ranges(sf, r, &rg, &n);
	if (rc == SP_OK && n > 0) {
		qsort(rg, n, sizeof(*rg), cmp_range);
		out->subject = remove_ranges(sf->dec, sf->dec_len, rg, n);
		out->subject_changed = true;
	} else if (rc == SP_OK) {
		out->subject = strdup(sf->dec);
		out->subject_changed = idx != e->subject_idx;
	}
	free(rg);
	if (rc == SP_OK && out->subject == NULL)
		rc = SP_ENOMEM;
	return rc;
}

int
sp_rules_decide(const struct sp_ruleset *rs, const struct sp_rules_input *in,
    struct sp_decision *out)
{
	struct eval e;
	const struct rules_rule *r = NULL;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = eval_init(&e, rs, in);
	if (rc == SP_OK && rs != NULL)
		rc = collect_candidates(&e);
	for (i = 0; rc == SP_OK && rs != NULL && i < e.ncands; i++) {
		if (!rule_holds(&e, &rs->rules[e.cands[i]], &rc))
			continue;
		r = &rs->rules[e.cands[i]];
		out->action = r->action;
		out->rule = r->name;
		out->tmpl = r->action == SP_ACTION_ENCRYPT ? r->tmpl : NULL;
		break;
	}
	if (rc == SP_OK)
		rc = decision_subject(&e, r, out);
	if (rc != SP_OK)
		sp_decision_cleanup(out);
	eval_cleanup(&e);
	return rc;
}

void
sp_decision_cleanup(struct sp_decision *d)
{
	free(d->subject);
	memset(d, 0, sizeof(*d));
}
