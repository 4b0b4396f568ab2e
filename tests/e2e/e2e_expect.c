/* SPDX-License-Identifier: MIT */
/*
 * e2e_expect: what the portal's reading page should show for a message,
 * computed from the original with sp_mime_render (GMime), for the
 * end-to-end tests.
 *
 *   e2e_expect < MESSAGE
 *
 * Prints records "KEY LEN\n" followed by LEN bytes and "\n", HTML-escaped
 * as the page escapes them:
 *   subject   the decoded subject, or "(no subject)"
 *   has_html  "1" when the message has an HTML body (the page then shows
 *             it in a frame, not the text), else "0"
 *   text      the text body (only without an HTML body)
 *   html      the HTML body as GMime decodes it, NOT escaped (only with
 *             an HTML body; the page frames the sanitized version)
 *   att       the download name of each attachment, in order
 *   flags     view->flags in decimal
 * Exits 0, or 1 with a message on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_mime_render.h"
#include "sp_template.h"

#define MAX_INPUT (64u << 20)

static int
read_all(FILE *f, char **out, size_t *out_len)
{
	size_t cap = 1 << 16, len = 0, n;
	char *buf = malloc(cap), *p;
	int rc = -1;

	if (buf == NULL)
		goto out;
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len < cap)
			continue;
		if (cap >= MAX_INPUT)
			goto out;
		p = realloc(buf, cap * 2);
		if (p == NULL)
			goto out;
		buf = p;
		cap *= 2;
	}
	if (ferror(f))
		goto out;
	*out = buf;
	*out_len = len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}

static void
put(const char *key, const char *s, size_t len)
{
	printf("%s %zu\n", key, len);
	fwrite(s, 1, len, stdout);
	putchar('\n');
}

/* Prints one record with s HTML-escaped. */
static int
record(const char *key, const char *s)
{
	size_t need = sp_html_escape(NULL, 0, s);
	char *esc = malloc(need + 1);

	if (esc == NULL)
		return -1;
	(void)sp_html_escape(esc, need + 1, s);
	put(key, esc, need);
	free(esc);
	return 0;
}

static int
print_view(const struct sp_mime_view *v)
{
	char flags[32];
	size_t i;
	int rc = 0;

	rc |= record("subject", v->subject ? v->subject : "(no subject)");
	rc |= record("has_html", v->html ? "1" : "0");
	if (v->html == NULL)
		rc |= record("text", v->text ? v->text : "");
	else
		put("html", v->html, v->html_len);
	for (i = 0; i < v->natt; i++)
		rc |= record("att", v->att[i].filename);
	snprintf(flags, sizeof(flags), "%u", v->flags);
	rc |= record("flags", flags);
	return rc;
}

int
main(void)
{
	struct sp_mime_view *v = NULL;
	struct sp_error err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	int rc = 1;

	if (read_all(stdin, &buf, &len) != 0) {
		fprintf(stderr, "e2e_expect: cannot read the message\n");
		goto out;
	}
	if (sp_mime_view_new(buf, len, NULL, &v, &err) != 0) {
		fprintf(stderr, "e2e_expect: %s\n", err.msg);
		goto out;
	}
	if (print_view(v) != 0) {
		fprintf(stderr, "e2e_expect: out of memory\n");
		goto out;
	}
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	sp_mime_view_free(v);
	free(buf);
	return rc;
}
