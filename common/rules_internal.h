/* SPDX-License-Identifier: MIT */
/*
 * rules_internal: what the rules parser, index and evaluator share.
 * Not installed, not for use outside common/rules_*.c.
 */
#ifndef SP_RULES_INTERNAL_H
#define SP_RULES_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_rules.h"

enum rules_cond_kind {
	COND_ANY,
	COND_SUBJECT_TAG,
	COND_SUBJECT_CONTAINS,
	COND_HEADER,
	COND_SENDER,
	COND_SENDER_DOMAIN,
	COND_RCPT,
	COND_RCPT_DOMAIN,
};

struct rules_cond {
	enum rules_cond_kind kind;
	bool except;
	char *header; /* COND_HEADER: the field name */
	/* Values as matched: text folded to lower case (UTF-8), addresses
	 * and domains lower case with A-label domains, "*" for any header
	 * value.  A domain with a leading dot stands for its subdomains. */
	char **vals;
	size_t nvals;
	uint32_t id; /* number among all conditions of the set */
};

struct rules_rule {
	char *name;
	unsigned line;
	struct rules_cond *conds;
	size_t nconds;
	enum sp_action action;
	const struct sp_template *tmpl;
	/* A rule with an envelope (address or domain) match line is found
	 * through the index by that line's condition (key); the others are
	 * "plain" and always tried. */
	bool indexed;
	uint32_t key;
};

/* A string-keyed open-addressing hash table of size_t values. */
struct rules_map_slot {
	char *key;
	size_t klen;
	uint64_t hash;
	size_t val;
};
struct rules_map {
	struct rules_map_slot *slots;
	size_t cap;
	size_t n;
};

struct rules_idlist {
	uint32_t *ids;
	size_t n;
	size_t cap;
};

struct sp_ruleset {
	atomic_uint refs;
	struct rules_rule *rules;
	size_t nrules;
	struct sp_template *tmpls; /* the admin's templates */
	size_t ntmpls;
	size_t ncond;
	size_t *cond_rule; /* condition id -> rule index */
	/* Envelope index: kind letter + value -> list of condition ids.
	 * 'R'/'S': recipient/sender domain exactly; 'r'/'s': a
	 * subdomain of it; 'A'/'F': recipient/sender address. */
	struct rules_map dom;
	struct rules_idlist *lists;
	size_t nlists;
	size_t *plain; /* rules not in the index, in order */
	size_t nplain;
	bool envelope_only;
};

/* The lexer: words, "strings", braces, ';' and line ends. */
enum rules_tok_type {
	TOK_EOF,
	TOK_NL,
	TOK_WORD,
	TOK_STRING,
	TOK_LBRACE,
	TOK_RBRACE,
	TOK_SEMI,
};

struct rules_tok {
	enum rules_tok_type type;
	char *text; /* WORD, STRING: the unescaped text (owned) */
	size_t len;
	unsigned line;
	unsigned col; /* in characters, from 1 */
};

struct rules_lexer {
	const char *name;
	const char *s;
	size_t len;
	size_t pos;
	unsigned line;
	unsigned col;
	struct sp_diag *diag;
	unsigned nerr;
	struct rules_tok peeked;
	bool have_peeked;
	/* A '}' an unterminated string swallowed, given after it. */
	struct rules_tok queued;
	bool have_queued;
	unsigned nunterminated; /* strings that ran to the end of a line */
};

void rules_lex_init(struct rules_lexer *lx, const char *name, const char *s,
    size_t len, struct sp_diag *diag);
/* The next token, or the peeked one; a string error is reported and the
 * string is returned as far as it went.  A string that runs to the end
 * of its line ends there, and when a '}' is among what it swallowed, a
 * '}' token follows it, so the block closes on that line as written.
 * Returns SP_OK or SP_ENOMEM. */
int rules_lex_next(struct rules_lexer *lx, struct rules_tok *t) SP_MUST_CHECK;
int rules_lex_peek(
    struct rules_lexer *lx, const struct rules_tok **t) SP_MUST_CHECK;
void rules_tok_free(struct rules_tok *t);
/* How a token is shown in "found ...": quoted and made printable. */
void rules_tok_describe(const struct rules_tok *t, char *buf, size_t cap);
/* Reports "name:line:col: expected WHAT, found ..." (the found part is the
 * token's description, or found when t is NULL). */
void rules_error(struct rules_lexer *lx, unsigned line, unsigned col,
    const char *what, const char *found);
void rules_error_tok(
    struct rules_lexer *lx, const struct rules_tok *t, const char *what);

/* Index keys: a letter and an address of at most RULES_ADDR_MAX. */
#define RULES_ADDR_MAX 320
#define RULES_KEY_MAX  (RULES_ADDR_MAX + 2)

extern const struct sp_template rules_builtin[4];

int rules_map_put(struct rules_map *m, const char *key, size_t klen, size_t val,
    size_t *existing) SP_MUST_CHECK;
bool rules_map_get(
    const struct rules_map *m, const char *key, size_t klen, size_t *val);
void rules_map_free(struct rules_map *m);

/* A domain in lower case A-label form into *out (free it): SP_OK,
 * SP_EFORMAT when it is not a valid domain name, or SP_ENOMEM. */
int rules_domain_norm(const char *in, size_t len, char **out) SP_MUST_CHECK;
/* An address with its domain normalised; when the domain is not valid
 * (loose=true), it is only lower-cased. */
int rules_addr_norm(const char *in, bool loose, char **out) SP_MUST_CHECK;
/* An envelope address as the MTA delivers it (rules_addr.c) into *out;
 * *alt gets the address a percent hack or bang path routes to, or NULL.
 * SP_OK, SP_EFORMAT when it cannot be parsed (both NULL), SP_ENOMEM. */
int rules_envelope_norm(const char *in, char **out, char **alt) SP_MUST_CHECK;
/* Text folded to lower case (full Unicode where the C.UTF-8 locale is
 * present, ASCII otherwise).  map (may be NULL) gets, for each byte of
 * the result and one past its end, the offset in s it came from. */
int rules_fold(const char *s, size_t len, char **out, size_t *outlen,
    size_t **map) SP_MUST_CHECK;

int rules_index_build(struct sp_ruleset *rs) SP_MUST_CHECK;
void rules_free(struct sp_ruleset *rs);

#endif
