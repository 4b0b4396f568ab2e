/* SPDX-License-Identifier: MIT */
/* Tests for sp_template: placeholders, escaping, sections, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "check.h"
#include "sp_template.h"

static const struct sp_tvar vars[] = {
	{ "name", "Ann <ann@x>" },
	{ "empty", "" },
	{ "unset", NULL },
	{ "tricky", "{{name}} & 'q' \"d\"" },
	{ "html", "<b>bold</b>" },
	{ "specials", "&<>\"'" },
	{ "mixed", "a&b<<c>d\"e'f" },
	{ "nam", "-" },
};

struct render_case {
	const char *what;
	const char *tmpl;
	enum sp_escape esc;
	const char *want;
};

static const struct render_case render_cases[] = {
	{ "text is copied", "plain text\n", SP_ESC_NONE, "plain text\n" },
	{ "text value as is", "Hi {{name}}!", SP_ESC_NONE, "Hi Ann <ann@x>!" },
	{ "html value escaped", "Hi {{name}}!", SP_ESC_HTML,
	    "Hi Ann &lt;ann@x&gt;!" },
	{ "spaces inside tag", "{{ name }}", SP_ESC_NONE, "Ann <ann@x>" },
	{ "value never parsed", "{{tricky}}", SP_ESC_HTML,
	    "{{name}} &amp; &#39;q&#39; &quot;d&quot;" },
	{ "triple braces raw", "{{{html}}}", SP_ESC_HTML, "<b>bold</b>" },
	{ "if set shows", "a{{#if name}}b{{/if}}c", SP_ESC_NONE, "abc" },
	{ "if empty hides", "a{{#if empty}}b{{/if}}c", SP_ESC_NONE, "ac" },
	{ "if null hides", "a{{#if unset}}b{{/if}}c", SP_ESC_NONE, "ac" },
	{ "if unknown hides", "a{{#if nope}}b{{/if}}c", SP_ESC_NONE, "ac" },
	{ "unless empty shows", "a{{#unless empty}}b{{/unless}}c", SP_ESC_NONE,
	    "abc" },
	{ "unless set hides", "a{{#unless name}}b{{/unless}}c", SP_ESC_NONE,
	    "ac" },
	{ "nested off stays off", "{{#if empty}}x{{#if name}}y{{/if}}z{{/if}}.",
	    SP_ESC_NONE, "." },
	{ "nested on", "{{#if name}}x{{#unless empty}}y{{/unless}}{{/if}}",
	    SP_ESC_NONE, "xy" },
	{ "comment dropped", "a{{! note }}b", SP_ESC_NONE, "ab" },
	{ "standalone section line vanishes",
	    "one\n  {{#if name}}\ntwo\n{{/if}}\nthree\n", SP_ESC_NONE,
	    "one\ntwo\nthree\n" },
	{ "standalone hidden section vanishes",
	    "one\n{{#if empty}}\ntwo\n{{/if}}\nthree\n", SP_ESC_NONE,
	    "one\nthree\n" },
	{ "single brace kept", "a { b } c", SP_ESC_NONE, "a { b } c" },
	{ "brace at the end kept", "a{{name}}{", SP_ESC_NONE, "aAnn <ann@x>{" },
	{ "brace before a tag", "{ {{name}}", SP_ESC_NONE, "{ Ann <ann@x>" },
	{ "every special byte escaped", "{{specials}}", SP_ESC_HTML,
	    "&amp;&lt;&gt;&quot;&#39;" },
	{ "specials between text", "{{mixed}}", SP_ESC_HTML,
	    "a&amp;b&lt;&lt;c&gt;d&quot;e&#39;f" },
	{ "name prefix of another name", "{{nam}}", SP_ESC_NONE, "-" },
	{ "empty template", "", SP_ESC_NONE, "" },
};

static void
render_cases_give_expected_output(void **state)
{
	size_t i, outlen;
	char *out;
	struct sp_error err;

	(void)state;
	for (i = 0; i < sizeof(render_cases) / sizeof(render_cases[0]); i++) {
		const struct render_case *c = &render_cases[i];
		int rc = sp_template_render(c->tmpl, strlen(c->tmpl), vars,
		    sizeof(vars) / sizeof(vars[0]), c->esc, &out, &outlen,
		    &err);
		if (rc != SP_OK)
			fail_msg("%s: got error %s", c->what, err.msg);
		if (strcmp(out, c->want) != 0 || outlen != strlen(c->want))
			fail_msg("%s: got \"%s\", want \"%s\"", c->what, out,
			    c->want);
		free(out);
	}
}

struct error_case {
	const char *what;
	const char *tmpl;
	const char *want_msg;
};

static const struct error_case error_cases[] = {
	{ "unknown placeholder named", "x\n{{nmae}}",
	    "line 2: unknown placeholder \"nmae\"" },
	{ "unclosed tag", "{{name", "unclosed" },
	{ "unclosed section", "{{#if name}}x", "not closed" },
	{ "stray close", "x{{/if}}", "without its opening" },
	{ "mismatched close", "{{#if name}}x{{/unless}}",
	    "without its opening" },
	{ "bad name", "{{a b}}", "bad placeholder" },
	{ "line counted over long text", "a\n\n{ b\nc\n\n{{x", "line 6:" },
	{ "name longer than a known one", "{{names}}",
	    "unknown placeholder \"names\"" },
};

static void
bad_templates_are_refused_with_reason(void **state)
{
	size_t i, outlen;
	char *out = NULL;
	struct sp_error err;

	(void)state;
	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		int rc = sp_template_render(c->tmpl, strlen(c->tmpl), vars,
		    sizeof(vars) / sizeof(vars[0]), SP_ESC_NONE, &out, &outlen,
		    &err);
		if (rc != SP_EFORMAT)
			fail_msg("%s: got status %d, want %d", c->what, rc,
			    SP_EFORMAT);
		CHECK_CONTAINS(err.msg, c->want_msg);
	}
}

static void
html_escape_reports_needed_length_and_cuts(void **state)
{
	char buf[8];

	(void)state;
	CHECK_INT(sp_html_escape(buf, sizeof(buf), "a<b"), 6);
	CHECK_STR(buf, "a&lt;b");
	CHECK_INT(sp_html_escape(buf, sizeof(buf), "<<<"), 12);
	CHECK_STR(buf, "&lt;");
	CHECK_INT(sp_html_escape(NULL, 0, "&"), 5);
}

/* A long value with a special byte every few bytes comes out as
 * sp_html_escape (byte by byte) makes it, and so does the text around. */
static void
long_value_escaped_like_html_escape(void **state)
{
	static const size_t steps[] = { 1, 2, 7, 64, 1000, 100000 };
	const char special[] = "&<>\"'";
	size_t i, k, n = 100000, outlen, need;
	struct sp_tvar v[1];
	char *val = malloc(n + 1), *want, *out;
	struct sp_error err;

	(void)state;
	if (val == NULL)
		fail_msg("out of memory");
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		for (k = 0; k < n; k++)
			val[k] = k % steps[i] == 0 ? special[k % 5]
			                           : (char)('a' + k % 26);
		val[n] = '\0';
		v[0] = (struct sp_tvar){ "v", val };
		need = sp_html_escape(NULL, 0, val);
		want = malloc(need + 1);
		if (want == NULL)
			fail_msg("out of memory");
		sp_html_escape(want, need + 1, val);
		CHECK_INT(sp_template_render("{{v}}", 5, v, 1, SP_ESC_HTML,
		              &out, &outlen, &err),
		    SP_OK);
		if (outlen != need || memcmp(out, want, need) != 0)
			fail_msg("step %zu: got %zu bytes, want %zu as "
			         "sp_html_escape gives",
			    steps[i], outlen, need);
		free(out);
		free(want);
	}
	free(val);
}

/* Template text is copied with its length: a NUL byte in it stays. */
static void
nul_in_template_text_is_copied(void **state)
{
	static const char tmpl[] = "a\0b{{name}}\0";
	static const char want[] = "a\0bAnn &lt;ann@x&gt;\0";
	char *out;
	size_t outlen;
	struct sp_error err;

	(void)state;
	CHECK_INT(sp_template_render(tmpl, sizeof(tmpl) - 1, vars,
	              sizeof(vars) / sizeof(vars[0]), SP_ESC_HTML, &out,
	              &outlen, &err),
	    SP_OK);
	CHECK_MEM(out, outlen, want, sizeof(want) - 1);
	free(out);
}

static void
shipped_templates_render_with_notify_names(void **state)
{
	const char *src = getenv("SEALPOST_SOURCE_DIR");
	char dir[4096], *out;
	size_t outlen;
	struct sp_error err;
	const struct sp_tvar v[] = {
		{ "brand_name", "Acme" },
		{ "brand_color", "#123456" },
		{ "brand_logo_url", NULL },
		{ "brand_privacy_url", NULL },
		{ "brand_footer", NULL },
		{ "sender", "a@b.example" },
		{ "subject", "Q3 <plan>" },
		{ "link", "https://p/m/ID" },
		{ "ref", "ABCD-EFGH" },
		{ "expires", "" },
		{ "instructions", "Do it." },
	};
	const char *names[] = { "notify.txt", "notify.html" };
	size_t i;

	(void)state;
	if (src == NULL)
		skip();
	snprintf(dir, sizeof(dir), "%s/templates", src);
	for (i = 0; i < 2; i++) {
		int rc = sp_template_render_file(dir, names[i], v,
		    sizeof(v) / sizeof(v[0]), &out, &outlen, &err);
		if (rc != SP_OK)
			fail_msg("%s: got error %s", names[i], err.msg);
		CHECK_CONTAINS(out, "https://p/m/ID");
		CHECK_CONTAINS(out, "ABCD-EFGH");
		CHECK_CONTAINS(out, i == 0 ? "Q3 <plan>" : "Q3 &lt;plan&gt;");
		free(out);
	}
}

static void
template_names_with_slash_are_refused(void **state)
{
	char *text;
	size_t len;
	struct sp_error err;

	(void)state;
	CHECK_INT(sp_template_load("/tmp", "../etc/passwd", &text, &len, &err),
	    SP_EINVAL);
	CHECK_INT(
	    sp_template_load("/tmp", ".hidden", &text, &len, &err), SP_EINVAL);
	CHECK_INT(sp_template_load("/nonexistent", "x.txt", &text, &len, &err),
	    SP_ENOTFOUND);
}

static void
put_file(const char *path, const char *text, long mtime)
{
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		fail_msg("cannot write %s", path);
	CHECK_INT(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* Renders dir/t.html until it gives want_rc (and want, when not NULL),
 * for at most 3 s: the cache may serve what it read for up to a second. */
static void
render_until(const char *dir, int want_rc, const char *want)
{
	const struct sp_tvar tv[] = { { "a", "x&y" } };
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	struct sp_error err;
	char *out = NULL;
	size_t len;
	int rc = SP_OK, tries;

	for (tries = 0; tries < 60; tries++) {
		free(out);
		out = NULL;
		rc = sp_template_render_cached(
		    dir, "t.html", tv, 1, &out, &len, &err);
		if (rc == want_rc &&
		    (want == NULL || (out != NULL && strcmp(out, want) == 0)))
			break;
		nanosleep(&pause, NULL);
	}
	CHECK_INT(rc, want_rc);
	if (want != NULL)
		CHECK_STR(out, want);
	else
		CHECK_CONTAINS(err.msg, "t.html");
	free(out);
}

/* The cached renderer comes to give what the file holds now: an edit of
 * the same size, a new size, a broken template, a removal. */
static void
cached_template_follows_the_file(void **state)
{
	static const struct {
		const char *text; /* NULL: file removed */
		long mtime;
		int want_rc;
		const char *want;
	} steps[] = {
		{ "<p>{{a}}</p>", 1000, SP_OK, "<p>x&amp;y</p>" },
		{ "<b>{{a}}</b>", 2000, SP_OK, "<b>x&amp;y</b>" },
		{ "<i>{{a}}</i>", 2500, SP_OK, "<i>x&amp;y</i>" },
		{ "<em>{{a}}</em>", 2500, SP_OK, "<em>x&amp;y</em>" },
		{ "{{nope}}", 3000, SP_EFORMAT, NULL },
		{ NULL, 0, SP_ENOTFOUND, NULL },
	};
	char dir[] = "/tmp/sp_tcache_XXXXXX", path[64];
	size_t i;

	(void)state;
	if (mkdtemp(dir) == NULL)
		fail_msg("mkdtemp failed");
	snprintf(path, sizeof(path), "%s/t.html", dir);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i].text != NULL)
			put_file(path, steps[i].text, steps[i].mtime);
		else
			CHECK_INT(unlink(path), 0);
		render_until(dir, steps[i].want_rc, steps[i].want);
	}
	CHECK_INT(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(render_cases_give_expected_output),
		cmocka_unit_test(bad_templates_are_refused_with_reason),
		cmocka_unit_test(html_escape_reports_needed_length_and_cuts),
		cmocka_unit_test(long_value_escaped_like_html_escape),
		cmocka_unit_test(nul_in_template_text_is_copied),
		cmocka_unit_test(shipped_templates_render_with_notify_names),
		cmocka_unit_test(template_names_with_slash_are_refused),
		cmocka_unit_test(cached_template_follows_the_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
