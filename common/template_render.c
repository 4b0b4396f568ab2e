/* SPDX-License-Identifier: MIT */
/*
 * template_render: the {{placeholder}} renderer of sp_template.h.
 *
 * One pass over the template: text is copied, tags are looked at one by
 * one, and a stack of open sections says whether output is on.  Nothing
 * in a value is ever parsed.  Errors name the line of the template.
 */
#include "sp_template.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_MAX_LEN 64
#define DEPTH_MAX    32

struct obuf {
	char *p;
	size_t len;
	size_t cap;
};

struct section {
	bool is_if; /* #if, else #unless */
	bool on;    /* output was on before the section and its test held */
};

struct render {
	const char *text;
	size_t len;
	size_t line;
	const struct sp_tvar *vars;
	size_t nvars;
	enum sp_escape esc;
	struct obuf out;
	struct section stack[DEPTH_MAX];
	size_t depth;
};

static int
obuf_add(struct obuf *b, const char *s, size_t n, struct sp_error *err)
{
	size_t ncap;
	char *np;

	if (n > SP_TEMPLATE_OUT_MAX - b->len)
		return sp_error_set(err, SP_ETOOBIG,
		    "template output over %d bytes", SP_TEMPLATE_OUT_MAX);
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 1024;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (np == NULL)
			return sp_error_set(err, SP_ENOMEM, "out of memory");
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return SP_OK;
}

static const char *
html_entity(char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

size_t
sp_html_escape(char *buf, size_t cap, const char *s)
{
	size_t need = 0, kept = 0, n;
	bool full = false;
	const char *e;

	for (; *s != '\0'; s++) {
		e = html_entity(*s);
		n = e ? strlen(e) : 1;
		if (buf != NULL && !full && kept + n < cap) {
			memcpy(buf + kept, e ? e : s, n);
			kept += n;
		} else {
			full = true;
		}
		need += n;
	}
	if (buf != NULL && cap > 0)
		buf[kept] = '\0';
	return need;
}

/* The bytes a value is escaped for (see html_entity). */
static const char html_special[] = "&<>\"'";

/* Appends v, HTML-escaped unless raw: runs without a special byte go in
 * whole (strcspn finds their end), each special byte as its entity. */
static int
emit_value(struct render *r, const char *v, bool raw, struct sp_error *err)
{
	const char *e;
	size_t run;
	int rc;

	if (v == NULL)
		return SP_OK;
	if (raw || r->esc == SP_ESC_NONE)
		return obuf_add(&r->out, v, strlen(v), err);
	for (;;) {
		run = strcspn(v, html_special);
		if (run > 0 && (rc = obuf_add(&r->out, v, run, err)) != SP_OK)
			return rc;
		v += run;
		if (*v == '\0')
			return SP_OK;
		e = html_entity(*v++);
		if ((rc = obuf_add(&r->out, e, strlen(e), err)) != SP_OK)
			return rc;
	}
}

static const struct sp_tvar *
find_var(const struct render *r, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < r->nvars; i++)
		if (r->vars[i].name[0] == name[0] &&
		    strncmp(r->vars[i].name, name, n) == 0 &&
		    r->vars[i].name[n] == '\0')
			return &r->vars[i];
	return NULL;
}

static bool
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool
output_on(const struct render *r)
{
	return r->depth == 0 || r->stack[r->depth - 1].on;
}

static int
open_section(struct render *r, bool is_if, const char *name, size_t n,
    struct sp_error *err)
{
	const struct sp_tvar *v;
	bool set;

	if (!name_ok(name, n))
		return sp_error_set(err, SP_EFORMAT,
		    "template line %zu: bad name in section", r->line);
	if (r->depth == DEPTH_MAX)
		return sp_error_set(err, SP_EFORMAT,
		    "template line %zu: sections nested too deep", r->line);
	v = find_var(r, name, n);
	set = v != NULL && v->value != NULL && v->value[0] != '\0';
	r->stack[r->depth].is_if = is_if;
	r->stack[r->depth].on = output_on(r) && (is_if ? set : !set);
	r->depth++;
	return SP_OK;
}

static int
close_section(struct render *r, bool is_if, struct sp_error *err)
{
	if (r->depth == 0 || r->stack[r->depth - 1].is_if != is_if)
		return sp_error_set(err, SP_EFORMAT,
		    "template line %zu: {{/%s}} without its opening", r->line,
		    is_if ? "if" : "unless");
	r->depth--;
	return SP_OK;
}

static int
placeholder(struct render *r, const char *name, size_t n, bool raw,
    struct sp_error *err)
{
	const struct sp_tvar *v;

	if (!name_ok(name, n))
		return sp_error_set(err, SP_EFORMAT,
		    "template line %zu: bad placeholder", r->line);
	v = find_var(r, name, n);
	if (v == NULL)
		return sp_error_set(err, SP_EFORMAT,
		    "template line %zu: unknown placeholder \"%.*s\"", r->line,
		    (int)n, name);
	if (!output_on(r))
		return SP_OK;
	return emit_value(r, v->value, raw, err);
}

/* Handles the trimmed inside of one {{...}} tag. */
static int
tag(struct render *r, const char *s, size_t n, bool raw, struct sp_error *err)
{
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (raw)
		return placeholder(r, s, n, true, err);
	if (n > 0 && s[0] == '!')
		return SP_OK;
	if (n > 4 && memcmp(s, "#if ", 4) == 0)
		return open_section(r, true, s + 4, n - 4, err);
	if (n > 8 && memcmp(s, "#unless ", 8) == 0)
		return open_section(r, false, s + 8, n - 8, err);
	if (n == 3 && memcmp(s, "/if", 3) == 0)
		return close_section(r, true, err);
	if (n == 7 && memcmp(s, "/unless", 7) == 0)
		return close_section(r, false, err);
	return placeholder(r, s, n, false, err);
}

static size_t
count_lines(const char *s, size_t n)
{
	const char *end = s + n, *nl;
	size_t k = 0;

	while ((nl = memchr(s, '\n', (size_t)(end - s))) != NULL) {
		k++;
		s = nl + 1;
	}
	return k;
}

/* A control tag (section or comment) alone on its line takes the line
 * with it, so templates can put sections on lines of their own. */
static bool
is_control(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	return n > 0 && (s[0] == '#' || s[0] == '/' || s[0] == '!');
}

static size_t
standalone_end(const struct render *r, size_t pos, size_t end)
{
	size_t i;

	for (i = pos; i > 0 && r->text[i - 1] != '\n'; i--)
		if (r->text[i - 1] != ' ' && r->text[i - 1] != '\t')
			return 0;
	for (i = end; i < r->len && r->text[i] != '\n'; i++)
		if (r->text[i] != ' ' && r->text[i] != '\t' &&
		    r->text[i] != '\r')
			return 0;
	return i < r->len ? i + 1 : i;
}

static int
finish_tag(struct render *r, size_t pos, size_t body, size_t blen, size_t end,
    bool raw, size_t *next, struct sp_error *err)
{
	bool was_on = output_on(r);
	size_t ls = pos, se = 0;
	int rc;

	if (!raw && is_control(r->text + body, blen))
		se = standalone_end(r, pos, end);
	rc = tag(r, r->text + body, blen, raw, err);
	*next = end;
	if (rc != SP_OK || se == 0)
		return rc;
	while (ls > 0 && r->text[ls - 1] != '\n')
		ls--;
	if (was_on)
		r->out.len -= pos - ls; /* the indentation before the tag */
	if (r->out.p != NULL)
		r->out.p[r->out.len] = '\0';
	if (se > end && r->text[se - 1] == '\n')
		r->line++;
	*next = se;
	return SP_OK;
}

/* Finds the tag at pos (text[pos] == '{' == text[pos+1]); *next gets the
 * position after it. */
static int
one_tag(struct render *r, size_t pos, size_t *next, struct sp_error *err)
{
	bool raw = pos + 2 < r->len && r->text[pos + 2] == '{';
	const char *close = raw ? "}}}" : "}}";
	size_t olen = raw ? 3 : 2, i;

	for (i = pos + olen; i + olen <= r->len; i++) {
		if (r->text[i] == '\n')
			break;
		if (r->text[i] == '}' && memcmp(r->text + i, close, olen) == 0)
			return finish_tag(r, pos, pos + olen, i - pos - olen,
			    i + olen, raw, next, err);
	}
	return sp_error_set(err, SP_EFORMAT,
	    "template line %zu: unclosed {{ (tags stay on one line)", r->line);
}

/* Room for the template and every value once, with a little over for
 * escaping, so that a page is seldom copied while it grows.  Only a
 * hint: without memory now, obuf_add tries again and reports it. */
static void
obuf_presize(
    struct obuf *b, size_t len, const struct sp_tvar *vars, size_t nvars)
{
	size_t i, want = len + 1;

	for (i = 0; i < nvars; i++)
		if (vars[i].value != NULL)
			want += strlen(vars[i].value);
	want += want / 8;
	if (want > SP_TEMPLATE_OUT_MAX)
		want = SP_TEMPLATE_OUT_MAX;
	if ((b->p = malloc(want)) != NULL) {
		b->cap = want;
		b->p[0] = '\0';
	}
}

/* The position of the next "{{" at or after pos, or len. */
static size_t
next_open(const char *text, size_t len, size_t pos)
{
	const char *p;

	while (pos < len && (p = memchr(text + pos, '{', len - pos)) != NULL) {
		pos = (size_t)(p - text);
		if (pos + 1 < len && text[pos + 1] == '{')
			return pos;
		pos++;
	}
	return len;
}

int
sp_template_render(const char *text, size_t len, const struct sp_tvar *vars,
    size_t nvars, enum sp_escape esc, char **out, size_t *outlen,
    struct sp_error *err)
{
	struct render r = { .text = text,
		.len = len,
		.line = 1,
		.vars = vars,
		.nvars = nvars,
		.esc = esc };
	size_t pos = 0, start, next = len;
	int rc = SP_OK;

	obuf_presize(&r.out, len, vars, nvars);
	while (pos < len && rc == SP_OK) {
		start = pos;
		pos = next_open(text, len, pos);
		if (output_on(&r))
			rc = obuf_add(&r.out, text + start, pos - start, err);
		r.line += count_lines(text + start, pos - start);
		if (rc == SP_OK && pos < len) {
			rc = one_tag(&r, pos, &next, err);
			pos = next;
		}
	}
	if (rc == SP_OK && r.depth > 0)
		rc = sp_error_set(err, SP_EFORMAT,
		    "template: %zu section(s) not closed at the end", r.depth);
	if (rc == SP_OK && r.out.p == NULL)
		rc = obuf_add(&r.out, "", 0, err);
	if (rc != SP_OK) {
		free(r.out.p);
		return rc;
	}
	*out = r.out.p;
	*outlen = r.out.len;
	return SP_OK;
}

static int
read_all(
    int fd, const char *path, char **text, size_t *len, struct sp_error *err)
{
	struct stat st;
	char *buf;
	ssize_t k;
	size_t got = 0, size;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return sp_error_set(
		    err, SP_EIO, "%s: not a regular file", path);
	if (st.st_size > SP_TEMPLATE_FILE_MAX)
		return sp_error_set(err, SP_ETOOBIG, "%s: over %d bytes", path,
		    SP_TEMPLATE_FILE_MAX);
	size = (size_t)st.st_size;
	buf = malloc(size + 1);
	if (buf == NULL)
		return sp_error_set(err, SP_ENOMEM, "out of memory");
	while (got < size) {
		k = read(fd, buf + got, size - got);
		if (k <= 0) {
			free(buf);
			return sp_error_set(err, SP_EIO, "%s: read: %s", path,
			    k < 0 ? strerror(errno) : "short file");
		}
		got += (size_t)k;
	}
	buf[size] = '\0';
	*text = buf;
	*len = size;
	return SP_OK;
}

int
sp_template_load(const char *dir, const char *name, char **text, size_t *len,
    struct sp_error *err)
{
	char path[4096];
	int fd, rc;

	if (name[0] == '.' || name[0] == '\0' || strchr(name, '/') != NULL)
		return sp_error_set(err, SP_EINVAL, "bad template name");
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return sp_error_set(err, SP_EINVAL, "template path too long");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sp_error_set(err,
		    errno == ENOENT ? SP_ENOTFOUND : SP_EIO, "%s: %s", path,
		    strerror(errno));
	rc = read_all(fd, path, text, len, err);
	close(fd);
	return rc;
}

int
sp_template_render_file(const char *dir, const char *name,
    const struct sp_tvar *vars, size_t nvars, char **out, size_t *outlen,
    struct sp_error *err)
{
	size_t n = strlen(name), len;
	enum sp_escape esc = SP_ESC_NONE;
	char *text;
	int rc;

	if (n >= 5 && strcmp(name + n - 5, ".html") == 0)
		esc = SP_ESC_HTML;
	rc = sp_template_load(dir, name, &text, &len, err);
	if (rc != SP_OK)
		return rc;
	rc = sp_template_render(text, len, vars, nvars, esc, out, outlen, err);
	if (rc != SP_OK && err != NULL) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		sp_error_set(err, rc, "%s/%s: %s", dir, name, msg);
	}
	free(text);
	return rc;
}
