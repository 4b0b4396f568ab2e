/* SPDX-License-Identifier: MIT */
/*
 * rules_lex: tokens of a rules file and the "file:line:column: expected
 * X, found Y" messages.  Words run to white space or one of # " { } ;
 * and a string is "..." on one line with the escapes \" and \\ only.
 */
#include "rules_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
rules_lex_init(struct rules_lexer *lx, const char *name, const char *s,
    size_t len, struct sp_diag *diag)
{
	memset(lx, 0, sizeof(*lx));
	lx->name = name;
	lx->s = s;
	lx->len = len;
	lx->line = 1;
	lx->col = 1;
	lx->diag = diag;
}

void
rules_error(struct rules_lexer *lx, unsigned line, unsigned col,
    const char *what, const char *found)
{
	lx->nerr++;
	sp_diag_add(lx->diag, "%s:%u:%u: expected %s, found %s", lx->name, line,
	    col, what, found);
}

void
rules_error_tok(
    struct rules_lexer *lx, const struct rules_tok *t, const char *what)
{
	char buf[96];

	rules_tok_describe(t, buf, sizeof(buf));
	rules_error(lx, t->line, t->col, what, buf);
}

void
rules_tok_describe(const struct rules_tok *t, char *buf, size_t cap)
{
	static const char *const fixed[] = { "end of file", "end of line", "",
		"", "\"{\"", "\"}\"", "\";\"" };
	size_t i, o = 0;

	if (t->type != TOK_WORD && t->type != TOK_STRING) {
		snprintf(buf, cap, "%s", fixed[t->type]);
		return;
	}
	/* Shown quoted, capped, with unprintable bytes as '?'. */
	buf[o++] = '"';
	for (i = 0; i < t->len && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)t->text[i];

		buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (i < t->len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

void
rules_tok_free(struct rules_tok *t)
{
	free(t->text);
	t->text = NULL;
}

static void
advance(struct rules_lexer *lx)
{
	unsigned char c = (unsigned char)lx->s[lx->pos++];

	if (c == '\n') {
		lx->line++;
		lx->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		lx->col++; /* UTF-8 continuation bytes share a column */
	}
}

static bool
word_char(char c)
{
	return c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '#' &&
	    c != '"' && c != '{' && c != '}' && c != ';';
}

static int
lex_word(struct rules_lexer *lx, struct rules_tok *t)
{
	size_t start = lx->pos;

	while (lx->pos < lx->len && word_char(lx->s[lx->pos]))
		advance(lx);
	t->type = TOK_WORD;
	t->len = lx->pos - start;
	t->text = malloc(t->len + 1);
	if (t->text == NULL)
		return SP_ENOMEM;
	memcpy(t->text, lx->s + start, t->len);
	t->text[t->len] = '\0';
	return SP_OK;
}

/* A string ends at its closing quote; at the end of the line it is
 * reported unterminated and taken as far as it went. */
static int
lex_string(struct rules_lexer *lx, struct rules_tok *t)
{
	char *out;
	size_t o = 0, brace_o = 0;
	unsigned line = lx->line, col = lx->col, bline = 0, bcol = 0;

	advance(lx); /* the opening quote */
	out = malloc(lx->len - lx->pos + 1);
	if (out == NULL)
		return SP_ENOMEM;
	t->type = TOK_STRING;
	t->text = out;
	while (lx->pos < lx->len && lx->s[lx->pos] != '"' &&
	    lx->s[lx->pos] != '\n') {
		char c = lx->s[lx->pos];

		if (c == '\\' && lx->pos + 1 < lx->len &&
		    (lx->s[lx->pos + 1] == '"' || lx->s[lx->pos + 1] == '\\')) {
			advance(lx);
			c = lx->s[lx->pos];
		} else if (c == '\\') {
			rules_error(lx, lx->line, lx->col,
			    "\\\" or \\\\ after a backslash",
			    "another character");
		} else if (c == '}') {
			bline = lx->line;
			bcol = lx->col;
			brace_o = o;
		}
		out[o++] = c;
		advance(lx);
	}
	out[o] = '\0';
	t->len = o;
	if (lx->pos < lx->len && lx->s[lx->pos] == '"') {
		advance(lx);
		return SP_OK;
	}
	rules_error(lx, line, col, "a closing \" for this string",
	    lx->pos < lx->len ? "end of line" : "end of file");
	lx->nunterminated++;
	if (bcol > 0) { /* resync: the block closes where its '}' was */
		out[brace_o] = '\0';
		t->len = brace_o;
		memset(&lx->queued, 0, sizeof(lx->queued));
		lx->queued.type = TOK_RBRACE;
		lx->queued.line = bline;
		lx->queued.col = bcol;
		lx->have_queued = true;
	}
	return SP_OK;
}

static void
skip_blanks(struct rules_lexer *lx)
{
	while (lx->pos < lx->len) {
		char c = lx->s[lx->pos];

		if (c == ' ' || c == '\t' || c == '\r') {
			advance(lx);
		} else if (c == '#') {
			while (lx->pos < lx->len && lx->s[lx->pos] != '\n')
				advance(lx);
		} else {
			break;
		}
	}
}

static int
lex_scan(struct rules_lexer *lx, struct rules_tok *t)
{
	static const char punct[] = "\n{};";
	static const enum rules_tok_type ptype[] = { TOK_NL, TOK_LBRACE,
		TOK_RBRACE, TOK_SEMI };
	const char *p;

	if (lx->have_queued) {
		*t = lx->queued;
		lx->have_queued = false;
		return SP_OK;
	}
	memset(t, 0, sizeof(*t));
	skip_blanks(lx);
	t->line = lx->line;
	t->col = lx->col;
	if (lx->pos >= lx->len) {
		t->type = TOK_EOF;
		return SP_OK;
	}
	if (lx->s[lx->pos] == '"')
		return lex_string(lx, t);
	p = memchr(punct, lx->s[lx->pos], sizeof(punct) - 1);
	if (p != NULL) {
		t->type = ptype[p - punct];
		advance(lx);
		return SP_OK;
	}
	return lex_word(lx, t);
}

int
rules_lex_next(struct rules_lexer *lx, struct rules_tok *t)
{
	if (lx->have_peeked) {
		*t = lx->peeked;
		lx->have_peeked = false;
		return SP_OK;
	}
	return lex_scan(lx, t);
}

int
rules_lex_peek(struct rules_lexer *lx, const struct rules_tok **t)
{
	int rc = SP_OK;

	if (!lx->have_peeked) {
		rc = lex_scan(lx, &lx->peeked);
		lx->have_peeked = rc == SP_OK;
	}
	*t = &lx->peeked;
	return rc;
}
