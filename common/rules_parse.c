/* SPDX-License-Identifier: MIT */
/*
 * rules_parse: reads a rules file (sealpost-rules(5)) into an immutable,
 * reference-counted struct sp_ruleset.  Every error is reported as
 * "file:line:column: expected X, found Y"; the parser recovers at the end
 * of the statement and goes on, so one run lists them all.  A file with
 * errors gives no rule set (SP_ECONFIG).
 */
#include "rules_internal.h"
#include "sp_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define RULES_FILE_MAX (64u * 1024 * 1024)
#define EXPIRE_MAX     (10 * 366 * 86400LL)

const struct sp_template rules_builtin[4] = {
	{ "encrypt-only",
	    SP_RIGHT_READ | SP_RIGHT_REPLY | SP_RIGHT_REPLY_ALL |
	        SP_RIGHT_FORWARD | SP_RIGHT_DOWNLOAD | SP_RIGHT_PRINT,
	    0, NULL },
	{ "do-not-forward", SP_RIGHT_READ | SP_RIGHT_REPLY | SP_RIGHT_REPLY_ALL,
	    0, NULL },
	{ "confidential",
	    SP_RIGHT_READ | SP_RIGHT_REPLY | SP_RIGHT_REPLY_ALL |
	        SP_RIGHT_DOWNLOAD | SP_RIGHT_PRINT,
	    0, NULL },
	{ "confidential-view-only", SP_RIGHT_READ | SP_RIGHT_REPLY, 0, NULL },
};

static const struct {
	const char *name;
	uint32_t right;
} right_names[] = {
	{ "read", SP_RIGHT_READ },
	{ "reply", SP_RIGHT_REPLY },
	{ "reply-all", SP_RIGHT_REPLY_ALL },
	{ "forward", SP_RIGHT_FORWARD },
	{ "download", SP_RIGHT_DOWNLOAD },
	{ "print", SP_RIGHT_PRINT },
};

static const struct {
	const char *name;
	enum rules_cond_kind kind;
} cond_names[] = {
	{ "subject-tag", COND_SUBJECT_TAG },
	{ "subject-contains", COND_SUBJECT_CONTAINS },
	{ "header", COND_HEADER },
	{ "sender", COND_SENDER },
	{ "sender-domain", COND_SENDER_DOMAIN },
	{ "rcpt", COND_RCPT },
	{ "rcpt-domain", COND_RCPT_DOMAIN },
	{ "any", COND_ANY },
};

#define COND_EXPECTED                                                          \
	"a condition (subject-tag, subject-contains, header, sender, "         \
	"sender-domain, rcpt, rcpt-domain or any)"

/* A template reference to resolve once the whole file is read. */
struct pending_ref {
	size_t rule;
	char *name;
	unsigned line, col;
};

struct parser {
	struct rules_lexer lx;
	struct sp_ruleset *rs;
	size_t rules_cap, tmpls_cap;
	struct rules_map rule_names; /* name -> line */
	struct rules_map tmpl_names; /* name -> index in rs->tmpls */
	unsigned *tmpl_lines;
	struct pending_ref *refs;
	size_t nrefs, refs_cap;
	int oom;
};

static bool
tok_is(const struct rules_tok *t, const char *word)
{
	return t->type == TOK_WORD && strcmp(t->text, word) == 0;
}

static bool
tok_ends_stmt(const struct rules_tok *t)
{
	return t->type == TOK_NL || t->type == TOK_SEMI ||
	    t->type == TOK_RBRACE || t->type == TOK_EOF;
}

static bool
tok_is_value(const struct rules_tok *t)
{
	return t->type == TOK_WORD || t->type == TOK_STRING;
}

/* Reads the next token; an allocation failure ends the parse as an EOF. */
static void
next(struct parser *p, struct rules_tok *t)
{
	if (rules_lex_next(&p->lx, t) != SP_OK) {
		p->oom = 1;
		memset(t, 0, sizeof(*t));
		t->type = TOK_EOF;
	}
}

static const struct rules_tok *
peek(struct parser *p)
{
	const struct rules_tok *t;
	static const struct rules_tok eof = { TOK_EOF, NULL, 0, 0, 0 };

	if (rules_lex_peek(&p->lx, &t) != SP_OK) {
		p->oom = 1;
		return &eof;
	}
	return t;
}

/* Skips to the end of the statement: a line end or ';' is consumed, a
 * '}' and the end of the file are left for the caller. */
static void
skip_stmt(struct parser *p)
{
	struct rules_tok t;

	while (!tok_ends_stmt(peek(p))) {
		next(p, &t);
		rules_tok_free(&t);
	}
	if (peek(p)->type == TOK_NL || peek(p)->type == TOK_SEMI) {
		next(p, &t);
		rules_tok_free(&t);
	}
}

/* After a complete statement: the line must end here. */
static void
end_stmt(struct parser *p)
{
	const struct rules_tok *t = peek(p);

	if (!tok_ends_stmt(t))
		rules_error_tok(&p->lx, t, "end of line");
	skip_stmt(p);
}

static int
push_val(struct rules_cond *c, char *v)
{
	char **nv;

	/* Grows at each power of two. */
	if ((c->nvals & (c->nvals - 1)) == 0) {
		nv = realloc(
		    c->vals, (c->nvals ? c->nvals * 2 : 1) * sizeof(*nv));
		if (nv == NULL) {
			free(v);
			return SP_ENOMEM;
		}
		c->vals = nv;
	}
	c->vals[c->nvals++] = v;
	return SP_OK;
}

static int
norm_domain_value(const struct rules_tok *t, char **out)
{
	bool dot = t->len > 0 && t->text[0] == '.';
	char *d, *res;
	int rc;

	rc = rules_domain_norm(t->text + dot, t->len - dot, &d);
	if (rc != SP_OK || !dot) {
		*out = rc == SP_OK ? d : NULL;
		return rc;
	}
	res = malloc(strlen(d) + 2);
	if (res != NULL) {
		res[0] = '.';
		memcpy(res + 1, d, strlen(d) + 1);
	}
	free(d);
	*out = res;
	return res != NULL ? SP_OK : SP_ENOMEM;
}

/* The value as it is matched; SP_EFORMAT with *what set when it is not
 * a valid value for the kind. */
static int
norm_value(enum rules_cond_kind kind, const struct rules_tok *t, char **out,
    const char **what)
{
	*out = NULL;
	switch (kind) {
	case COND_SENDER_DOMAIN:
	case COND_RCPT_DOMAIN:
		*what = "a domain name";
		return norm_domain_value(t, out);
	case COND_SENDER:
	case COND_RCPT:
		*what = "an address such as user@example.com";
		if (kind == COND_SENDER && strcmp(t->text, "<>") == 0) {
			*out = strdup("");
			return *out != NULL ? SP_OK : SP_ENOMEM;
		}
		if (t->text[0] == '@' || memchr(t->text, 0, t->len) != NULL ||
		    t->len > RULES_ADDR_MAX)
			return SP_EFORMAT;
		return rules_addr_norm(t->text, false, out);
	case COND_HEADER:
		if (strcmp(t->text, "*") == 0) {
			*out = strdup("*");
			return *out != NULL ? SP_OK : SP_ENOMEM;
		}
		/* FALLTHROUGH */
	default:
		*what = "a non-empty value without NUL bytes";
		if (t->len == 0 || memchr(t->text, 0, t->len) != NULL)
			return SP_EFORMAT;
		return rules_fold(t->text, t->len, out, NULL, NULL);
	}
}

static bool
header_name_ok(const struct rules_tok *t)
{
	size_t i;

	if (!tok_is_value(t) || t->len == 0)
		return false;
	for (i = 0; i < t->len; i++)
		if (t->text[i] <= 32 || t->text[i] >= 127 || t->text[i] == ':')
			return false;
	return true;
}

/* Reads the values of a condition up to the end of its line. */
static void
parse_values(struct parser *p, struct rules_cond *c)
{
	struct rules_tok t;
	const char *what = "";
	char *v;
	int rc;

	while (tok_is_value(peek(p))) {
		next(p, &t);
		rc = norm_value(c->kind, &t, &v, &what);
		if (rc == SP_EFORMAT)
			rules_error_tok(&p->lx, &t, what);
		else if (rc != SP_OK || push_val(c, v) != SP_OK)
			p->oom = 1;
		rules_tok_free(&t);
	}
}

static bool
cond_kind_lookup(const struct rules_tok *t, enum rules_cond_kind *kind)
{
	size_t i;

	for (i = 0; t->type == TOK_WORD &&
	     i < sizeof(cond_names) / sizeof(cond_names[0]);
	     i++)
		if (strcmp(t->text, cond_names[i].name) == 0) {
			*kind = cond_names[i].kind;
			return true;
		}
	return false;
}

static int
push_cond(struct parser *p, struct rules_rule *r, struct rules_cond *c)
{
	struct rules_cond *nc;

	nc = realloc(r->conds, (r->nconds + 1) * sizeof(*nc));
	if (nc == NULL)
		return SP_ENOMEM;
	r->conds = nc;
	c->id = (uint32_t)p->rs->ncond++;
	r->conds[r->nconds++] = *c;
	return SP_OK;
}

static void
cond_free(struct rules_cond *c)
{
	size_t i;

	for (i = 0; i < c->nvals; i++)
		free(c->vals[i]);
	free(c->vals);
	free(c->header);
}

/* "match KIND VALUE..." or "except KIND VALUE...", after the keyword. */
static void
parse_cond(struct parser *p, struct rules_rule *r, bool except)
{
	struct rules_cond c = { .except = except };
	struct rules_tok t;
	unsigned errs = p->lx.nerr;
	char what[64];

	next(p, &t);
	if (!cond_kind_lookup(&t, &c.kind)) {
		rules_error_tok(&p->lx, &t, COND_EXPECTED);
		if (!tok_ends_stmt(&t))
			skip_stmt(p);
		rules_tok_free(&t);
		return;
	}
	snprintf(what, sizeof(what), "a value after %s", t.text);
	rules_tok_free(&t);
	if (c.kind == COND_HEADER) {
		if (!header_name_ok(peek(p))) {
			rules_error_tok(&p->lx, peek(p), "a header name");
			skip_stmt(p);
			return;
		}
		next(p, &t);
		c.header = t.text;
	}
	if (c.kind == COND_ANY && tok_is_value(peek(p)))
		rules_error_tok(&p->lx, peek(p), "end of line after any");
	else if (c.kind != COND_ANY)
		parse_values(p, &c);
	if (c.kind != COND_ANY && c.nvals == 0 && errs == p->lx.nerr)
		rules_error_tok(&p->lx, peek(p), what);
	if (errs == p->lx.nerr)
		end_stmt(p);
	else
		skip_stmt(p);
	if (push_cond(p, r, &c) != SP_OK) {
		cond_free(&c);
		p->oom = 1;
	}
}

static int
push_ref(struct parser *p, size_t rule, const struct rules_tok *t)
{
	struct pending_ref *nr;

	if (p->nrefs == p->refs_cap) {
		p->refs_cap = p->refs_cap ? p->refs_cap * 2 : 16;
		nr = realloc(p->refs, p->refs_cap * sizeof(*nr));
		if (nr == NULL)
			return SP_ENOMEM;
		p->refs = nr;
	}
	nr = &p->refs[p->nrefs];
	nr->name = strdup(t->text);
	if (nr->name == NULL)
		return SP_ENOMEM;
	nr->rule = rule;
	nr->line = t->line;
	nr->col = t->col;
	p->nrefs++;
	return SP_OK;
}

/* "encrypt TEMPLATE" or "skip", after the keyword t. */
static void
parse_action(struct parser *p, size_t ri, const struct rules_tok *t)
{
	struct rules_rule *r = &p->rs->rules[ri];
	struct rules_tok name;
	char what[160];

	if (r->action != SP_ACTION_NONE) {
		snprintf(what, sizeof(what), "one action in rule \"%.100s\"",
		    r->name);
		rules_error_tok(&p->lx, t, what);
	}
	if (tok_is(t, "skip")) {
		r->action = SP_ACTION_SKIP;
		end_stmt(p);
		return;
	}
	r->action = SP_ACTION_ENCRYPT;
	if (!tok_is_value(peek(p))) {
		rules_error_tok(&p->lx, peek(p), "a template name");
		skip_stmt(p);
		return;
	}
	next(p, &name);
	if (push_ref(p, ri, &name) != SP_OK)
		p->oom = 1;
	rules_tok_free(&name);
	end_stmt(p);
}

/* After an error outside any block: skips to the end of the line, and
 * over a whole { ... } block met on the way. */
static void
skip_top(struct parser *p, bool in_brace)
{
	struct rules_tok t;
	unsigned depth = in_brace;

	for (;;) {
		const struct rules_tok *pk = peek(p);

		if (pk->type == TOK_EOF ||
		    (depth == 0 &&
		        (pk->type == TOK_NL || pk->type == TOK_SEMI)))
			return;
		next(p, &t);
		if (t.type == TOK_LBRACE)
			depth++;
		else if (t.type == TOK_RBRACE && depth > 0)
			depth--;
		rules_tok_free(&t);
	}
}

/* The name of a block and its opening brace; false (after reporting)
 * when the block cannot be read.  *name is owned by the caller. */
static bool
block_head(struct parser *p, const char *kind, struct rules_tok *name)
{
	char what[64];

	snprintf(what, sizeof(what), "a %s name", kind);
	next(p, name);
	if (!tok_is_value(name) || name->len == 0) {
		rules_error_tok(&p->lx, name, what);
		if (name->type == TOK_LBRACE)
			skip_top(p, true); /* the block of the nameless */
		else if (!tok_ends_stmt(name))
			skip_stmt(p);
		rules_tok_free(name);
		return false;
	}
	while (peek(p)->type == TOK_NL) {
		struct rules_tok nl;

		next(p, &nl);
	}
	if (peek(p)->type != TOK_LBRACE) {
		rules_error_tok(&p->lx, peek(p), "\"{\"");
		skip_stmt(p);
		rules_tok_free(name);
		return false;
	}
	return true;
}

/* Reports a name seen before ("already defined at line N"). */
static void
error_duplicate(struct parser *p, const struct rules_tok *name,
    const char *what, size_t first_line)
{
	char found[160];

	snprintf(found, sizeof(found),
	    "\"%.100s\" (already defined at line %zu)", name->text, first_line);
	rules_error(&p->lx, name->line, name->col, what, found);
}

static int
add_rule(struct parser *p, char *name, unsigned line)
{
	struct rules_rule *nr;
	struct sp_ruleset *rs = p->rs;

	if (rs->nrules == p->rules_cap) {
		p->rules_cap = p->rules_cap ? p->rules_cap * 2 : 16;
		nr = realloc(rs->rules, p->rules_cap * sizeof(*nr));
		if (nr == NULL)
			return SP_ENOMEM;
		rs->rules = nr;
	}
	memset(&rs->rules[rs->nrules], 0, sizeof(*nr));
	rs->rules[rs->nrules].name = name;
	rs->rules[rs->nrules].line = line;
	rs->nrules++;
	return SP_OK;
}

/* Statements up to the closing brace; returns the closing token (its
 * position is where a missing action is reported). */
static void
rule_body(struct parser *p, size_t ri, struct rules_tok *close)
{
	struct rules_tok t;
	char what[160];

	for (;;) {
		next(p, &t);
		if (t.type == TOK_NL || t.type == TOK_SEMI)
			continue;
		if (t.type == TOK_RBRACE || t.type == TOK_EOF)
			break;
		if (tok_is(&t, "match") || tok_is(&t, "except"))
			parse_cond(p, &p->rs->rules[ri], tok_is(&t, "except"));
		else if (tok_is(&t, "encrypt") || tok_is(&t, "skip"))
			parse_action(p, ri, &t);
		else {
			rules_error_tok(
			    &p->lx, &t, "match, except, encrypt or skip");
			if (!tok_ends_stmt(&t))
				skip_stmt(p);
		}
		rules_tok_free(&t);
	}
	*close = t;
	if (t.type == TOK_EOF) {
		snprintf(what, sizeof(what),
		    "\"}\" to close rule \"%.100s\" (opened at line %u)",
		    p->rs->rules[ri].name, p->rs->rules[ri].line);
		rules_error_tok(&p->lx, &t, what);
	}
}

static void
parse_rule(struct parser *p)
{
	struct rules_tok name, brace, close;
	size_t first, ri;
	char what[160];
	unsigned unterminated;
	int rc;

	if (!block_head(p, "rule", &name))
		return;
	next(p, &brace);
	rc = rules_map_put(
	    &p->rule_names, name.text, name.len, name.line, &first);
	if (rc == SP_EEXIST)
		error_duplicate(p, &name, "a new rule name", first);
	else if (rc != SP_OK)
		p->oom = 1;
	ri = p->rs->nrules;
	if (add_rule(p, name.text, name.line) != SP_OK) {
		p->oom = 1;
		rules_tok_free(&name);
		return;
	}
	unterminated = p->lx.nunterminated;
	rule_body(p, ri, &close);
	/* An unterminated string may have swallowed the action. */
	if (close.type == TOK_RBRACE &&
	    p->rs->rules[ri].action == SP_ACTION_NONE &&
	    p->lx.nunterminated == unterminated) {
		snprintf(what, sizeof(what),
		    "encrypt or skip in rule \"%.100s\"",
		    p->rs->rules[ri].name);
		rules_error_tok(&p->lx, &close, what);
	}
}

/* "14d", "36h": a number and one of s, m, h, d, w. */
static bool
parse_duration(const char *s, int64_t *out)
{
	static const char units[] = "smhdw";
	static const int64_t secs[] = { 1, 60, 3600, 86400, 604800 };
	const char *u;
	int64_t n = 0;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		n = n * 10 + (s[i] - '0');
		if (n > EXPIRE_MAX)
			return false;
	}
	if (i == 0 || s[i] == '\0' || s[i + 1] != '\0')
		return false;
	u = strchr(units, s[i]);
	if (u == NULL || n == 0)
		return false;
	*out = n * secs[u - units];
	return *out <= EXPIRE_MAX;
}

static bool
right_lookup(const char *name, uint32_t *right)
{
	size_t i;

	for (i = 0; i < sizeof(right_names) / sizeof(right_names[0]); i++)
		if (strcmp(name, right_names[i].name) == 0) {
			*right = right_names[i].right;
			return true;
		}
	return false;
}

/* One statement of a template block, after its keyword t. */
static void
template_stmt(struct parser *p, const struct rules_tok *t,
    struct sp_template *tp, bool *have_rights)
{
	struct rules_tok v;
	uint32_t right;

	if (!tok_is(t, "rights") && !tok_is(t, "expire") &&
	    !tok_is(t, "brand")) {
		rules_error_tok(&p->lx, t, "rights, expire or brand");
		if (!tok_ends_stmt(t))
			skip_stmt(p);
		return;
	}
	if (!tok_is_value(peek(p))) {
		rules_error_tok(&p->lx, peek(p), "a value");
		skip_stmt(p);
		return;
	}
	*have_rights = *have_rights || tok_is(t, "rights");
	if (tok_is(t, "rights"))
		tp->rights = SP_RIGHT_READ; /* reading is always granted */
	do {
		next(p, &v);
		if (tok_is(t, "rights") && right_lookup(v.text, &right))
			tp->rights |= right;
		else if (tok_is(t, "rights"))
			rules_error_tok(&p->lx, &v,
			    "a right (read, reply, reply-all, forward, "
			    "download or print)");
		else if (tok_is(t, "expire") &&
		    !parse_duration(v.text, &tp->expire))
			rules_error_tok(
			    &p->lx, &v, "a duration such as 14d or 36h");
		else if (tok_is(t, "brand")) {
			free((char *)tp->brand);
			tp->brand = v.text;
			v.text = NULL;
		}
		rules_tok_free(&v);
	} while (tok_is(t, "rights") && tok_is_value(peek(p)));
	end_stmt(p);
}

static const struct sp_template *
builtin_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(rules_builtin) / sizeof(rules_builtin[0]); i++)
		if (strcmp(name, rules_builtin[i].name) == 0)
			return &rules_builtin[i];
	return NULL;
}

/* Checks the name of a new template; false when it may not be added. */
static bool
template_name_ok(struct parser *p, const struct rules_tok *name)
{
	size_t idx;

	if (builtin_lookup(name->text) != NULL) {
		rules_error_tok(
		    &p->lx, name, "a template name that is not built in");
		return false;
	}
	if (rules_map_get(&p->tmpl_names, name->text, name->len, &idx)) {
		error_duplicate(
		    p, name, "a new template name", p->tmpl_lines[idx]);
		return false;
	}
	return true;
}

static int
add_template(struct parser *p, struct sp_template *tp, unsigned line)
{
	struct sp_ruleset *rs = p->rs;
	struct sp_template *nt;
	unsigned *nl;

	if (rs->ntmpls == p->tmpls_cap) {
		p->tmpls_cap = p->tmpls_cap ? p->tmpls_cap * 2 : 8;
		nt = realloc(rs->tmpls, p->tmpls_cap * sizeof(*nt));
		if (nt != NULL)
			rs->tmpls = nt;
		nl = realloc(p->tmpl_lines, p->tmpls_cap * sizeof(*nl));
		if (nl != NULL)
			p->tmpl_lines = nl;
		if (nt == NULL || nl == NULL)
			return SP_ENOMEM;
	}
	if (rules_map_put(&p->tmpl_names, tp->name, strlen(tp->name),
	        rs->ntmpls, NULL) != SP_OK)
		return SP_ENOMEM;
	p->tmpl_lines[rs->ntmpls] = line;
	rs->tmpls[rs->ntmpls++] = *tp;
	return SP_OK;
}

static void
parse_template(struct parser *p)
{
	struct sp_template tp = { 0 };
	struct rules_tok name, t;
	bool ok, have_rights = false;
	char what[160];
	unsigned unterminated;

	if (!block_head(p, "template", &name))
		return;
	unterminated = p->lx.nunterminated;
	next(p, &t); /* the brace */
	ok = template_name_ok(p, &name);
	for (;;) {
		next(p, &t);
		if (t.type == TOK_RBRACE || t.type == TOK_EOF)
			break;
		if (t.type != TOK_NL && t.type != TOK_SEMI)
			template_stmt(p, &t, &tp, &have_rights);
		rules_tok_free(&t);
	}
	snprintf(what, sizeof(what), "%s template \"%.100s\"%s",
	    t.type == TOK_EOF ? "\"}\" to close" : "rights in", name.text,
	    t.type == TOK_EOF ? "" : " before its end");
	if (t.type == TOK_EOF ||
	    (!have_rights && p->lx.nunterminated == unterminated))
		rules_error_tok(&p->lx, &t, what);
	tp.name = name.text;
	if (ok && add_template(p, &tp, name.line) == SP_OK)
		return;
	free(name.text);
	free((char *)tp.brand);
}

static void
parse_file(struct parser *p)
{
	struct rules_tok t;

	while (!p->oom) {
		next(p, &t);
		if (t.type == TOK_EOF)
			break;
		if (tok_is(&t, "rule"))
			parse_rule(p);
		else if (tok_is(&t, "template"))
			parse_template(p);
		else if (t.type != TOK_NL && t.type != TOK_SEMI) {
			rules_error_tok(&p->lx, &t, "rule or template");
			skip_top(p, t.type == TOK_LBRACE);
		}
		rules_tok_free(&t);
	}
}

/* Template names can be used before their block: resolved at the end. */
static void
resolve_refs(struct parser *p)
{
	struct pending_ref *r;
	const struct sp_template *tp;
	size_t i, idx;
	char found[128];

	for (i = 0; i < p->nrefs; i++) {
		r = &p->refs[i];
		tp = builtin_lookup(r->name);
		if (tp == NULL &&
		    rules_map_get(
		        &p->tmpl_names, r->name, strlen(r->name), &idx))
			tp = &p->rs->tmpls[idx];
		if (tp != NULL) {
			p->rs->rules[r->rule].tmpl = tp;
			continue;
		}
		snprintf(found, sizeof(found), "unknown template \"%.100s\"",
		    r->name);
		rules_error(&p->lx, r->line, r->col, "a known template", found);
	}
}

void
rules_free(struct sp_ruleset *rs)
{
	size_t i, j;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->nrules; i++) {
		for (j = 0; j < rs->rules[i].nconds; j++)
			cond_free(&rs->rules[i].conds[j]);
		free(rs->rules[i].conds);
		free(rs->rules[i].name);
	}
	free(rs->rules);
	for (i = 0; i < rs->ntmpls; i++) {
		free((char *)rs->tmpls[i].name);
		free((char *)rs->tmpls[i].brand);
	}
	free(rs->tmpls);
	for (i = 0; i < rs->nlists; i++)
		free(rs->lists[i].ids);
	free(rs->lists);
	rules_map_free(&rs->dom);
	free(rs->cond_rule);
	free(rs->plain);
	free(rs);
}

static void
parser_cleanup(struct parser *p)
{
	size_t i;

	for (i = 0; i < p->nrefs; i++)
		free(p->refs[i].name);
	free(p->refs);
	free(p->tmpl_lines);
	rules_map_free(&p->rule_names);
	rules_map_free(&p->tmpl_names);
	if (p->lx.have_peeked)
		rules_tok_free(&p->lx.peeked);
}

int
sp_rules_parse(const char *name, const char *text, size_t len,
    struct sp_ruleset **out, struct sp_diag *diag)
{
	struct parser p;
	int rc = SP_ECONFIG;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	rules_lex_init(&p.lx, name, text, len, diag);
	p.rs = calloc(1, sizeof(*p.rs));
	if (p.rs == NULL)
		return SP_ENOMEM;
	atomic_init(&p.rs->refs, 1);
	parse_file(&p);
	if (!p.oom)
		resolve_refs(&p);
	if (p.oom) {
		sp_diag_add(diag, "%s: out of memory", name);
		rc = SP_ENOMEM;
	} else if (p.lx.nerr == 0) {
		rc = rules_index_build(p.rs);
	}
	if (rc == SP_OK) {
		*out = p.rs;
		p.rs = NULL;
	}
	rules_free(p.rs);
	parser_cleanup(&p);
	return rc;
}

int
sp_rules_load(const char *path, struct sp_ruleset **out, struct sp_diag *diag)
{
	struct sp_error err;
	char *text;
	size_t n;
	int rc;

	*out = NULL;
	rc = sp_file_read_admin(path, RULES_FILE_MAX, &text, &n, &err);
	if (rc != SP_OK) {
		sp_diag_add(diag, "%s", err.msg);
		return rc;
	}
	rc = sp_rules_parse(path, text, n, out, diag);
	free(text);
	return rc;
}

struct sp_ruleset *
sp_ruleset_ref(struct sp_ruleset *rs)
{
	if (rs != NULL)
		atomic_fetch_add_explicit(&rs->refs, 1, memory_order_relaxed);
	return rs;
}

void
sp_ruleset_unref(struct sp_ruleset *rs)
{
	if (rs != NULL &&
	    atomic_fetch_sub_explicit(&rs->refs, 1, memory_order_acq_rel) == 1)
		rules_free(rs);
}

size_t
sp_ruleset_nrules(const struct sp_ruleset *rs)
{
	return rs != NULL ? rs->nrules : 0;
}

size_t
sp_ruleset_ntemplates(const struct sp_ruleset *rs)
{
	return rs != NULL ? rs->ntmpls : 0;
}

const struct sp_template *
sp_ruleset_template(const struct sp_ruleset *rs, const char *name)
{
	const struct sp_template *tp = builtin_lookup(name);
	size_t i;

	for (i = 0; tp == NULL && rs != NULL && i < rs->ntmpls; i++)
		if (strcmp(rs->tmpls[i].name, name) == 0)
			tp = &rs->tmpls[i];
	return tp;
}

bool
sp_rules_envelope_only(const struct sp_ruleset *rs)
{
	return rs == NULL || rs->envelope_only;
}

const char *
sp_rights_format(uint32_t rights, char *buf, size_t cap)
{
	size_t i, o = 0;
	int n;

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < sizeof(right_names) / sizeof(right_names[0]); i++) {
		if (!(rights & right_names[i].right))
			continue;
		n = snprintf(buf + o, cap - o, "%s%s", o ? " " : "",
		    right_names[i].name);
		if (n < 0 || (size_t)n >= cap - o)
			break;
		o += (size_t)n;
	}
	return buf;
}
