/* SPDX-License-Identifier: MIT */
/*
 * config_parse: reads sealpost.conf into a struct sp_config.
 *
 * Lines are taken one at a time.  A line whose first character is blank
 * continues the value of the entry above it; a line whose first non-blank
 * character is '#' is a comment; blank lines are skipped (they do not end
 * an entry, as in Postfix).  An entry is applied when the next one starts
 * or the text ends: the key is looked up in the table (config_table.c)
 * and the value goes through its type's parser (config_value.c).
 *
 * Nothing stops at the first error: every problem goes into the caller's
 * struct sp_diag as "file:line: message", and the config is refused at
 * the end if there was any.  Defaults are written in the table as text
 * and go through the same parsers, so a default can never be out of its
 * own bounds without a test noticing.
 */
#include "config_internal.h"
#include "sp_file.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_FILE_MAX (1024 * 1024) /* a config larger than this: refused */
#define KEY_NAME_MAX    64
#define KEY_CHARS                                                              \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-."

struct parser {
	const char *name; /* file name for messages */
	struct sp_config *cfg;
	struct sp_diag *diag;
	const struct sp_config_key *keys;
	size_t nkeys;
	size_t errors;

	/* the entry being read (its continuation lines may follow) */
	bool pending;
	unsigned line;
	char key[KEY_NAME_MAX + 1];
	char value[SP_CONFIG_VALUE_MAX + 1];
	size_t vlen;
	bool too_long;
	bool broken; /* the last entry did not start: skip its continuations */
};

static void SP_PRINTF(3, 4)
    error_at(struct parser *p, unsigned line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		sp_diag_add(p->diag, "%s:%u: %s", p->name, line, msg);
	else
		sp_diag_add(p->diag, "%s: %s", p->name, msg);
	p->errors++;
}

/* Edit distance between a and b, letters compared without case. */
static size_t
distance(const char *a, const char *b)
{
	size_t row[KEY_NAME_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), i, j;

	if (la > KEY_NAME_MAX || lb > KEY_NAME_MAX)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) ==
			        tolower((unsigned char)b[j - 1])
			    ? 0
			    : 1;
			size_t best = diag + cost;

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The known key closest to name, or NULL when none is close enough. */
static const char *
did_you_mean(const struct parser *p, const char *name)
{
	size_t i, d, best = SIZE_MAX, limit = strlen(name) / 3;
	const char *found = NULL;

	if (limit < 2)
		limit = 2;
	for (i = 0; i < p->nkeys; i++) {
		d = distance(name, p->keys[i].name);
		if (d < best) {
			best = d;
			found = p->keys[i].name;
		}
	}
	return best <= limit ? found : NULL;
}

static const struct sp_config_key *
lookup(const struct parser *p, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < p->nkeys; i++) {
		if (strcmp(p->keys[i].name, name) == 0) {
			*idx = i;
			return &p->keys[i];
		}
	}
	return NULL;
}

/* Applies the entry read so far. */
static void
apply(struct parser *p)
{
	const struct sp_config_key *k;
	const char *hint;
	char why[512];
	size_t idx;

	if (!p->pending)
		return;
	p->pending = false;
	k = lookup(p, p->key, &idx);
	if (k == NULL) {
		hint = did_you_mean(p, p->key);
		if (hint != NULL)
			error_at(p, p->line,
			    "unknown key \"%s\" (did you mean \"%s\"?)", p->key,
			    hint);
		else
			error_at(p, p->line, "unknown key \"%s\"", p->key);
		return;
	}
	if (p->cfg->lines[idx] != 0) {
		error_at(p, p->line,
		    "duplicate key \"%s\" (first set at line %u)", p->key,
		    p->cfg->lines[idx]);
		return;
	}
	p->cfg->lines[idx] = p->line;
	if (p->too_long)
		error_at(p, p->line, "%s: the value is longer than %d bytes",
		    p->key, SP_CONFIG_VALUE_MAX);
	else if (sp_config_value_set(k, p->value, p->cfg, why, sizeof(why)))
		error_at(p, p->line, "%s: %s", p->key, why);
}

static void
append(struct parser *p, const char *s, size_t n)
{
	if (p->vlen + n > SP_CONFIG_VALUE_MAX) {
		p->too_long = true;
		return;
	}
	memcpy(p->value + p->vlen, s, n);
	p->vlen += n;
	p->value[p->vlen] = '\0';
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Starts an entry from a "key = value" line (s is not blank-led). */
static void
start_entry(struct parser *p, unsigned line, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n);
	size_t klen;

	if (eq == NULL) {
		error_at(p, line, "expected \"key = value\"");
		p->broken = true;
		return;
	}
	for (klen = (size_t)(eq - s); klen > 0 && blank(s[klen - 1]); klen--)
		;
	if (klen == 0 || klen > KEY_NAME_MAX || strspn(s, KEY_CHARS) < klen) {
		error_at(p, line, "expected a key name before '='");
		p->broken = true;
		return;
	}
	memcpy(p->key, s, klen);
	p->key[klen] = '\0';
	p->pending = true;
	p->broken = false;
	p->line = line;
	p->vlen = 0;
	p->value[0] = '\0';
	p->too_long = false;
	for (eq++; eq < s + n && blank(*eq); eq++)
		;
	append(p, eq, (size_t)(s + n - eq));
}

/* One physical line, without its newline. */
static void
take_line(struct parser *p, unsigned line, const char *s, size_t n)
{
	size_t lead;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	while (n > 0 && blank(s[n - 1]))
		n--;
	if (memchr(s, '\0', n) != NULL) {
		/* ends the entry above; its continuations are skipped */
		apply(p);
		p->broken = true;
		error_at(p, line, "the line holds a NUL byte");
		return;
	}
	for (lead = 0; lead < n && blank(s[lead]); lead++)
		;
	if (lead == n || s[lead] == '#')
		return;
	if (lead == 0) {
		apply(p);
		start_entry(p, line, s, n);
	} else if (!p->pending) {
		if (!p->broken)
			error_at(p, line,
			    "continuation line without a key above it");
	} else {
		if (p->vlen > 0)
			append(p, " ", 1);
		append(p, s + lead, n - lead);
	}
}

/* The table's defaults; a default that does not parse is a bug. */
static int
set_defaults(struct parser *p)
{
	char why[512];
	size_t i;

	for (i = 0; i < p->nkeys; i++) {
		const struct sp_config_key *k = &p->keys[i];

		if (k->def == NULL)
			continue;
		if (sp_config_value_set(k, k->def, p->cfg, why, sizeof(why))) {
			error_at(
			    p, 0, "built-in default of %s: %s", k->name, why);
			return SP_ECONFIG;
		}
	}
	return SP_OK;
}

/* Required keys, and rules that tie two keys together. */
static void
check_whole(struct parser *p)
{
	const struct sp_config *c = p->cfg;
	size_t i;

	for (i = 0; i < p->nkeys; i++)
		if (p->keys[i].def == NULL && c->lines[i] == 0)
			error_at(
			    p, 0, "missing required key %s", p->keys[i].name);
	if (c->store_map_size > c->store_max_size)
		error_at(p, 0, "store_map_size is larger than store_max_size");
	if (c->session_idle > c->session_max)
		error_at(p, 0, "session_idle is longer than session_max");
}

int
sp_config_parse(const char *name, const char *text, size_t len,
    struct sp_config **out, struct sp_diag *diag)
{
	struct parser *p;
	size_t off = 0;
	unsigned line = 0;
	int rc = SP_ENOMEM;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		goto out;
	p->name = name;
	p->diag = diag;
	p->keys = sp_config_keys(&p->nkeys);
	p->cfg = calloc(1, sizeof(*p->cfg));
	if (p->cfg == NULL ||
	    (p->cfg->lines = calloc(p->nkeys, sizeof(unsigned))) == NULL ||
	    (p->cfg->path = strdup(name)) == NULL)
		goto out;
	rc = SP_ECONFIG;
	if (set_defaults(p) != SP_OK)
		goto out;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - (text + off)) : len - off;

		take_line(p, ++line, text + off, n);
		off += n + (nl != NULL);
	}
	apply(p);
	check_whole(p);
	if (p->errors == 0) {
		*out = p->cfg;
		p->cfg = NULL;
		rc = SP_OK;
	}
out:
	if (rc == SP_ENOMEM)
		sp_diag_add(diag, "%s: out of memory", name);
	if (p != NULL)
		sp_config_free(p->cfg);
	free(p);
	return rc;
}

void
sp_config_free(struct sp_config *cfg)
{
	const struct sp_config_key *keys;
	size_t i, n;

	if (cfg == NULL)
		return;
	keys = sp_config_keys(&n);
	for (i = 0; i < n; i++)
		sp_config_value_free(&keys[i], cfg);
	free(cfg->lines);
	free(cfg->path);
	free(cfg);
}

/* Reads a whole (small) file into a new buffer. */
static int
read_file(const char *path, char **buf, size_t *len, struct sp_diag *diag)
{
	struct sp_error err;
	int rc;

	rc = sp_file_read_admin(path, CONFIG_FILE_MAX, buf, len, &err);
	if (rc != SP_OK)
		sp_diag_add(diag, "%s", err.msg);
	return rc == SP_ETOOBIG || rc == SP_EIO ? SP_EIO : rc;
}

int
sp_config_load(const char *path, struct sp_config **out, struct sp_diag *diag)
{
	char *text;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = read_file(path, &text, &len, diag);
	if (rc != SP_OK)
		return rc;
	rc = sp_config_parse(path, text, len, out, diag);
	free(text);
	return rc;
}
