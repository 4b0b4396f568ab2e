/* SPDX-License-Identifier: MIT */
/*
 * Tests for sp_html_sanitize: a table of hostile and ordinary markup with
 * the exact fragment each must become, then limits and options.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "check.h"
#include "sp_html_sanitize.h"

#define LINK_ATTRS " rel=\"noopener noreferrer\" target=\"_blank\""

struct san_case {
	const char *name;
	const char *in;
	const char *want;
	size_t remote; /* remote images counted */
};

static const struct san_case cases[] = {
	{ "script_dropped_with_content", "<p>a<script>alert(1)</script>b</p>",
	    "<p>ab</p>", 0 },
	{ "script_in_head_dropped", "<head><script src=x.js></script></head>ok",
	    "ok", 0 },
	{ "event_handlers_removed",
	    "<div onclick=\"x()\" onmouseover=y ONLOAD=z title=t>z</div>",
	    "<div title=\"t\">z</div>", 0 },
	{ "javascript_href_removed", "<a href=\"javascript:alert(1)\">x</a>",
	    "<a>x</a>", 0 },
	{ "javascript_href_decimal_entity",
	    "<a href=\"&#106;avascript:alert(1)\">x</a>", "<a>x</a>", 0 },
	{ "javascript_href_tab_entity_in_scheme",
	    "<a href=\"java&#x09;script:alert(1)\">x</a>", "<a>x</a>", 0 },
	{ "javascript_href_named_colon_entity",
	    "<a href=\"javascript&colon;alert(1)\">x</a>", "<a>x</a>", 0 },
	{ "javascript_href_mixed_case_leading_space",
	    "<a href=\"  JaVaScRiPt:alert(1)\">x</a>", "<a>x</a>", 0 },
	{ "javascript_href_control_char_in_scheme",
	    "<a href=\"java\x01script:alert(1)\">x</a>", "<a>x</a>", 0 },
	{ "javascript_href_newline_in_scheme",
	    "<a href=\"java\nscript:alert(1)\">x</a>", "<a>x</a>", 0 },
	{ "javascript_href_leading_control_chars",
	    "<a href=\"\x01\x02javascript:alert(1)\">x</a>", "<a>x</a>", 0 },
	{ "vbscript_href_removed", "<a href=\"VBScript:msgbox(1)\">x</a>",
	    "<a>x</a>", 0 },
	{ "data_html_href_removed",
	    "<a href=\"data:text/html;base64,PHNjcmlwdD4=\">x</a>", "<a>x</a>",
	    0 },
	{ "relative_href_removed", "<a href=\"/logout\">x</a>", "<a>x</a>", 0 },
	{ "protocol_relative_href_removed", "<a href=\"//evil.example/\">x</a>",
	    "<a>x</a>", 0 },
	{ "https_link_kept_opens_apart",
	    "<a href=\"https://example.com/a?b=1&amp;c=2\">x</a>",
	    "<a href=\"https://example.com/a?b=1&amp;c=2\"" LINK_ATTRS ">x</a>",
	    0 },
	{ "mailto_link_kept", "<a href=\"mailto:a@example.com\">m</a>",
	    "<a href=\"mailto:a@example.com\"" LINK_ATTRS ">m</a>", 0 },
	{ "own_rel_and_target_replaced",
	    "<a href=\"http://example.com/\" target=\"_top\" rel=\"opener\">x</a>",
	    "<a href=\"http://example.com/\"" LINK_ATTRS ">x</a>", 0 },
	{ "fragment_link_kept_in_page", "<a href=\"#s\">x</a>",
	    "<a href=\"#s\">x</a>", 0 },
	{ "svg_animate_and_set_with_href_dropped",
	    "<svg><animate attributeName=\"href\" values=\"javascript:alert(1)\"/>"
	    "<set attributeName=\"xlink:href\" to=\"javascript:alert(1)\"/>"
	    "<a xlink:href=\"javascript:alert(1)\"><text>t</text></a></svg>ok",
	    "ok", 0 },
	{ "math_dropped",
	    "<math><mi xlink:href=\"javascript:x\">m</mi></math>ok", "ok", 0 },
	{ "css_expression_dropped",
	    "<p style=\"width: expression(alert(1)); color: red\">x</p>",
	    "<p style=\"color: red\">x</p>", 0 },
	{ "css_url_dropped",
	    "<p style=\"background: url(http://t.example/a.png)\">x</p>",
	    "<p>x</p>", 0 },
	{ "css_url_with_spaces_and_case_dropped",
	    "<p style=\"background:URL ( 'http://t.example/a.png' )\">x</p>",
	    "<p>x</p>", 0 },
	{ "css_image_set_dropped",
	    "<p style=\"background-image: image-set('http://t.example/a.png' "
	    "1x)\">x</p>",
	    "<p>x</p>", 0 },
	{ "css_import_dropped",
	    "<p style=\"@import 'http://t.example/x.css'; color: blue\">x</p>",
	    "<p style=\"color: blue\">x</p>", 0 },
	{ "css_escape_dropped",
	    "<p style=\"background: u\\72l(http://t.example/)\">x</p>",
	    "<p>x</p>", 0 },
	{ "css_behavior_and_moz_binding_dropped",
	    "<p style=\"behavior: url(x.htc); -moz-binding: url(x.xml#y)\">x</p>",
	    "<p>x</p>", 0 },
	{ "css_comment_inside_keyword_dropped",
	    "<p style=\"width: ex/**/pression(alert(1))\">x</p>", "<p>x</p>",
	    0 },
	{ "css_javascript_dropped",
	    "<p style=\"background: javascript:alert(1); margin: 0\">x</p>",
	    "<p style=\"margin: 0\">x</p>", 0 },
	{ "css_fixed_position_dropped",
	    "<div style=\"position: fixed; top: 0\">x</div>",
	    "<div style=\"top: 0\">x</div>", 0 },
	{ "css_plain_declarations_kept",
	    "<table><tr><td style=\"color:#333;font-family: 'Arial', "
	    "sans-serif;padding: 4px 2px\">x</td></tr></table>",
	    "<table><tbody><tr><td style=\"color:#333; font-family: "
	    "&#39;Arial&#39;, sans-serif; padding: 4px 2px\">x</td></tr>"
	    "</tbody></table>",
	    0 },
	{ "css_rgb_kept", "<p style=\"color: rgb(1, 2, 3)\">x</p>",
	    "<p style=\"color: rgb(1, 2, 3)\">x</p>", 0 },
	{ "meta_refresh_dropped",
	    "<meta http-equiv=\"refresh\" content=\"0;url=http://evil/\">hi",
	    "hi", 0 },
	{ "form_controls_dropped_text_kept",
	    "<form action=\"http://evil/\"><input name=p value=x><button>Go"
	    "</button><select><option>o</option></select><textarea>t</textarea>"
	    "label</form>",
	    "label", 0 },
	{ "base_dropped",
	    "<base href=\"http://evil/\"><a href=\"https://ok.example/\">x</a>",
	    "<a href=\"https://ok.example/\"" LINK_ATTRS ">x</a>", 0 },
	{ "link_stylesheet_dropped",
	    "<link rel=stylesheet href=http://t.example/x.css>ok", "ok", 0 },
	{ "remote_images_removed_and_counted",
	    "<img src=\"http://t.example/p.gif\"><img src=\"HTTPS://t.example/q\">"
	    "<img src=\"//t.example/r.gif\">x",
	    "x", 3 },
	{ "data_image_kept",
	    "<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"a\" width=3>",
	    "<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"a\" "
	    "width=\"3\">",
	    0 },
	{ "data_svg_image_dropped",
	    "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">x", "x", 0 },
	{ "data_html_image_dropped",
	    "<img src=\"data:text/html;base64,PHNjcmlwdD4=\">x", "x", 0 },
	{ "srcset_removed",
	    "<img src=\"data:image/gif;base64,R0lGOD==\" "
	    "srcset=\"http://t.example/a.png 2x\">",
	    "<img src=\"data:image/gif;base64,R0lGOD==\">", 0 },
	{ "background_attribute_removed",
	    "<table background=\"http://t.example/b.png\"><tr><td>c</td></tr>"
	    "</table>",
	    "<table><tbody><tr><td>c</td></tr></tbody></table>", 0 },
	{ "style_element_dropped", "<style>p{color:red}</style><p>x</p>",
	    "<p>x</p>", 0 },
	{ "ie_conditional_comment_dropped",
	    "<!--[if IE]><script>alert(1)</script><![endif]--><p>x</p>",
	    "<p>x</p>", 0 },
	{ "downlevel_revealed_comment_markers_dropped",
	    "<![if !IE]><p>y</p><![endif]>", "<p>y</p>", 0 },
	{ "misnested_markup_repaired", "<b><i>x</b>y</i>",
	    "<b><i>x</i></b><i>y</i>", 0 },
	{ "unclosed_markup_closed", "<div><p>a<p>b",
	    "<div><p>a</p><p>b</p></div>", 0 },
	{ "unquoted_attributes_quoted",
	    "<table><tr><td colspan=2 title=x>c</table>",
	    "<table><tbody><tr><td colspan=\"2\" title=\"x\">c</td></tr></tbody>"
	    "</table>",
	    0 },
	{ "attribute_quotes_escaped", "<p title='a\"b<c'>x</p>",
	    "<p title=\"a&quot;b&lt;c\">x</p>", 0 },
	{ "text_reescaped", "a &lt;script&gt; &amp; \"q\"",
	    "a &lt;script&gt; &amp; &quot;q&quot;", 0 },
	{ "frames_and_plugins_dropped",
	    "<iframe src=\"http://e/\"></iframe><object data=x></object>"
	    "<embed src=x><applet code=x></applet>ok",
	    "ok", 0 },
	{ "template_dropped",
	    "<template><img src=x onerror=alert(1)></template>ok", "ok", 0 },
	{ "xmp_dropped", "<xmp><script>x</script></xmp>ok", "ok", 0 },
	{ "unknown_element_unwrapped", "<foo-bar x=1>t</foo-bar>", "t", 0 },
	{ "void_elements_not_closed", "a<br/>b<hr>c", "a<br>b<hr>c", 0 },
	{ "pre_keeps_leading_newline", "<pre>\n\ncode</pre>",
	    "<pre>\n\ncode</pre>", 0 },
	{ "font_attributes_kept", "<font color=red face=Arial size=2>f</font>",
	    "<font color=\"red\" face=\"Arial\" size=\"2\">f</font>", 0 },
	{ "id_and_class_removed", "<p id=x class=y>p</p>", "<p>p</p>", 0 },
	{ "invalid_utf8_replaced", "a\xff\xfe b", "a\xef\xbf\xbd\xef\xbf\xbd b",
	    0 },
};

static void
sanitizer_output_matches_table(void **state)
{
	struct sp_html_result r;
	struct sp_error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct san_case *c = &cases[i];

		if (sp_html_sanitize(c->in, strlen(c->in), NULL, &r, &e) !=
		    SP_OK)
			fail_msg("%s: got error \"%s\", want output", c->name,
			    e.msg);
		if (strcmp(r.html, c->want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", c->name, r.html,
			    c->want);
		if (r.remote_images != c->remote)
			fail_msg("%s: got %zu remote images, want %zu", c->name,
			    r.remote_images, c->remote);
		CHECK_INT(r.len, strlen(r.html));
		sp_html_result_cleanup(&r);
	}
}

/* The cid hook of the tests: good ids get a portal path, "evil" ones a
 * script URL, "far" ones another host, "none" nothing. */
static char *
test_cid_url(void *ctx, const char *cid)
{
	const char *url = "/m/ID/att/0";

	(*(int *)ctx)++;
	if (strncmp(cid, "evil", 4) == 0)
		url = "javascript:alert(1)";
	else if (strncmp(cid, "far", 3) == 0)
		url = "//evil.example/x.png";
	else if (strncmp(cid, "none", 4) == 0)
		return NULL;
	return strdup(url);
}

static void
cid_images_go_through_the_hook(void **state)
{
	static const struct {
		const char *name, *in, *want;
	} t[] = {
		{ "good_cid_rewritten", "<img src=\"cid:img1@x\" alt=\"a\">",
		    "<img src=\"/m/ID/att/0\" alt=\"a\">" },
		{ "script_url_from_hook_refused", "<img src=\"cid:evil@x\">x",
		    "x" },
		{ "other_host_from_hook_refused", "<img src=\"CID:far@x\">x",
		    "x" },
		{ "hook_null_drops_image", "<img src=\"cid:none@x\">x", "x" },
	};
	struct sp_html_options o = { 0 };
	struct sp_html_result r;
	int calls = 0;
	size_t i;

	(void)state;
	o.cid_url = test_cid_url;
	o.cid_ctx = &calls;
	for (i = 0; i < sizeof(t) / sizeof(*t); i++) {
		assert_int_equal(
		    sp_html_sanitize(t[i].in, strlen(t[i].in), &o, &r, NULL),
		    SP_OK);
		if (strcmp(r.html, t[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", t[i].name,
			    r.html, t[i].want);
		sp_html_result_cleanup(&r);
	}
	CHECK_INT(calls, 4);
}

static void
cid_image_without_hook_dropped(void **state)
{
	const char *in = "<img src=\"cid:img1@x\">x";
	struct sp_html_result r;

	(void)state;
	assert_int_equal(
	    sp_html_sanitize(in, strlen(in), NULL, &r, NULL), SP_OK);
	CHECK_STR(r.html, "x");
	CHECK_INT(r.remote_images, 0);
	sp_html_result_cleanup(&r);
}

static char *
repeat(const char *s, size_t n)
{
	size_t l = strlen(s), i;
	char *p = malloc(l * n + 1);

	assert_non_null(p);
	for (i = 0; i < n; i++)
		memcpy(p + i * l, s, l);
	p[l * n] = '\0';
	return p;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

static void
deep_nesting_cut_at_max_depth(void **state)
{
	char *in = repeat("<div>", 300);
	struct sp_html_result r;

	(void)state;
	assert_int_equal(
	    sp_html_sanitize(in, strlen(in), NULL, &r, NULL), SP_OK);
	/* html and body are unwrapped but count as levels */
	CHECK_INT(count(r.html, "<div>"), 198);
	CHECK_INT(r.depth_cut, 1);
	sp_html_result_cleanup(&r);
	free(in);
}

static void
nesting_estimate_refuses_before_parsing(void **state)
{
	static const struct {
		const char *name, *unit;
		size_t n;
		int want;
	} t[] = {
		{ "deep_but_under_estimate_parses", "<div>", 1990, SP_OK },
		{ "unclosed_inline_over_estimate_refused", "<b>x</p>", 2001,
		    SP_ETOOBIG },
		{ "nested_tables_over_estimate_refused", "<table><tr><td>",
		    2001, SP_ETOOBIG },
		{ "many_unclosed_paragraphs_parse", "<p>x", 30000, SP_OK },
		{ "balanced_tags_parse", "<span>x</span>", 30000, SP_OK },
	};
	struct sp_html_result r;
	struct sp_error e;
	size_t i;
	char *in;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(*t); i++) {
		in = repeat(t[i].unit, t[i].n);
		rc = sp_html_sanitize(in, strlen(in), NULL, &r, &e);
		if (rc != t[i].want)
			fail_msg(
			    "%s: got %d, want %d", t[i].name, rc, t[i].want);
		if (rc == SP_OK)
			sp_html_result_cleanup(&r);
		else
			CHECK_CONTAINS(e.msg, "nested more than 2000");
		free(in);
	}
}

static void
too_many_tags_refused(void **state)
{
	char *in = repeat("<i></i>", 40001);
	struct sp_html_result r;
	struct sp_error e;

	(void)state;
	CHECK_INT(sp_html_sanitize(in, strlen(in), NULL, &r, &e), SP_ETOOBIG);
	CHECK_CONTAINS(e.msg, "more than 40000 tags");
	assert_null(r.html);
	free(in);
}

static void
input_and_output_caps_refuse(void **state)
{
	const char *in = "<p>0123456789 0123456789 0123456789</p>";
	struct sp_html_options o = { 0 };
	struct sp_html_result r;
	struct sp_error e;

	(void)state;
	o.max_input = 10;
	CHECK_INT(sp_html_sanitize(in, strlen(in), &o, &r, &e), SP_ETOOBIG);
	CHECK_CONTAINS(e.msg, "input");
	o.max_input = 0;
	o.max_output = 20;
	CHECK_INT(sp_html_sanitize(in, strlen(in), &o, &r, &e), SP_ETOOBIG);
	CHECK_CONTAINS(e.msg, "output");
	assert_null(r.html);
	o.max_output = strlen(in) + 1;
	CHECK_INT(sp_html_sanitize(in, strlen(in), &o, &r, &e), SP_OK);
	sp_html_result_cleanup(&r);
}

static void
document_mode_declares_utf8(void **state)
{
	const char *in = "<p>x</p>";
	struct sp_html_options o = { 0 };
	struct sp_html_result r;

	(void)state;
	o.document = true;
	assert_int_equal(sp_html_sanitize(in, strlen(in), &o, &r, NULL), SP_OK);
	CHECK_STR(r.html,
	    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "</head><body><p>x</p></body></html>\n");
	sp_html_result_cleanup(&r);
}

static void
nul_bytes_and_empty_input_handled(void **state)
{
	const char in[] = "a\0b<p\0>c";
	struct sp_html_result r;

	(void)state;
	assert_int_equal(
	    sp_html_sanitize(in, sizeof(in) - 1, NULL, &r, NULL), SP_OK);
	/* as in a browser: NUL in text is dropped, in a tag name it makes
	 * an unknown element */
	CHECK_STR(r.html, "abc");
	sp_html_result_cleanup(&r);
	assert_int_equal(sp_html_sanitize(NULL, 0, NULL, &r, NULL), SP_OK);
	CHECK_STR(r.html, "");
	sp_html_result_cleanup(&r);
	CHECK_INT(sp_html_sanitize(NULL, 5, NULL, &r, NULL), SP_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sanitizer_output_matches_table),
		cmocka_unit_test(cid_images_go_through_the_hook),
		cmocka_unit_test(cid_image_without_hook_dropped),
		cmocka_unit_test(deep_nesting_cut_at_max_depth),
		cmocka_unit_test(nesting_estimate_refuses_before_parsing),
		cmocka_unit_test(too_many_tags_refused),
		cmocka_unit_test(input_and_output_caps_refuse),
		cmocka_unit_test(document_mode_declares_utf8),
		cmocka_unit_test(nul_bytes_and_empty_input_handled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
