/* SPDX-License-Identifier: MIT */
/*
 * sp_template: a small text template renderer for notification mails and
 * portal pages.
 *
 * Syntax:
 *   {{name}}                 the value of name, escaped for the output
 *                            (HTML-escaped when escaping is SP_ESC_HTML)
 *   {{{name}}}               the value as is (only for values the caller
 *                            already made safe, such as sanitized HTML)
 *   {{#if name}}...{{/if}}   the inner text when name has a non-empty
 *                            value; sections nest
 *   {{#unless name}}...{{/unless}}  the inner text when name is empty
 *                            or not set
 *   {{! comment }}           dropped
 * A name is letters, digits, '_' and '-'.  A placeholder whose name is not
 * among the variables is an error (SP_EFORMAT naming it and the line), so
 * a misspelt name in an admin's template is caught, not rendered empty;
 * inside #if and #unless an unknown name counts as empty.
 *
 * Values are NUL-terminated UTF-8 strings and are never interpreted: a
 * value holding "{{x}}" is output literally.  The output is capped at
 * SP_TEMPLATE_OUT_MAX bytes (SP_ETOOBIG past it).
 *
 * Templates are read from templates_dir; a name may not hold '/' or
 * start with '.'.  The escaping is chosen from the name: ".html" means
 * HTML, anything else is text.
 */
#ifndef SP_TEMPLATE_H
#define SP_TEMPLATE_H

#include <stddef.h>

#include "sp_error.h"

#define SP_TEMPLATE_FILE_MAX (1024 * 1024)     /* template file size cap */
#define SP_TEMPLATE_OUT_MAX  (8 * 1024 * 1024) /* rendered output cap */

enum sp_escape {
	SP_ESC_NONE = 0, /* text: values as given */
	SP_ESC_HTML,     /* & < > " ' become entities */
};

struct sp_tvar {
	const char *name;
	const char *value; /* NULL counts as empty */
};

/* Renders text (len bytes) with vars into a new NUL-terminated buffer
 * *out (free with free()), *outlen its length without the NUL. */
int sp_template_render(const char *text, size_t len, const struct sp_tvar *vars,
    size_t nvars, enum sp_escape esc, char **out, size_t *outlen,
    struct sp_error *err) SP_MUST_CHECK;

/* Reads dir/name into a new buffer (free with free()). */
int sp_template_load(const char *dir, const char *name, char **text,
    size_t *len, struct sp_error *err) SP_MUST_CHECK;

/* Loads dir/name and renders it, escaping by the name's suffix. */
int sp_template_render_file(const char *dir, const char *name,
    const struct sp_tvar *vars, size_t nvars, char **out, size_t *outlen,
    struct sp_error *err) SP_MUST_CHECK;

/* As sp_template_render_file, but the template is kept in memory in this
 * process and read again only when the file changed (checked with one
 * stat() at most once a second: device, inode, size, modification and
 * change time), so a change shows within about a second.  Thread safe. */
int sp_template_render_cached(const char *dir, const char *name,
    const struct sp_tvar *vars, size_t nvars, char **out, size_t *outlen,
    struct sp_error *err) SP_MUST_CHECK;

/* Writes s HTML-escaped into buf (cap bytes, NUL-terminated, cut short
 * at an entity boundary when it does not fit; buf may be NULL) and
 * returns the length the whole escape needs, NUL not counted. */
size_t sp_html_escape(char *buf, size_t cap, const char *s);

#endif
