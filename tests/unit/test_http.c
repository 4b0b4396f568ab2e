/* SPDX-License-Identifier: MIT */
/* Tests for sp_http: decoding, forms, cookies, routes, escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "check.h"
#include "sp_http.h"

static void
pct_decode_cases(void **state)
{
	static const struct {
		const char *name, *in;
		bool plus;
		int rc;
		const char *want;
		size_t want_len;
	} cases[] = {
		{ "plain", "abc", true, SP_OK, "abc", 3 },
		{ "escape", "a%20b", false, SP_OK, "a b", 3 },
		{ "lower hex", "%c3%a9", false, SP_OK, "\xc3\xa9", 2 },
		{ "plus as space", "a+b", true, SP_OK, "a b", 3 },
		{ "plus kept", "a+b", false, SP_OK, "a+b", 3 },
		{ "nul kept with length", "a%00b", false, SP_OK, "a\0b", 3 },
		{ "truncated escape", "a%2", false, SP_EFORMAT, NULL, 0 },
		{ "bad hex", "%zz", false, SP_EFORMAT, NULL, 0 },
		{ "lone percent", "%", false, SP_EFORMAT, NULL, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out;
		size_t len;
		int rc = sp_http_pct_decode(cases[i].in, strlen(cases[i].in),
		    cases[i].plus, &out, &len);

		if (rc != cases[i].rc)
			fail_msg("%s: got rc %d, want %d", cases[i].name, rc,
			    cases[i].rc);
		if (rc == SP_OK)
			CHECK_MEM(out, len, cases[i].want, cases[i].want_len);
		free(out);
	}
}

static void
form_decodes_pairs_and_skips_empty(void **state)
{
	struct sp_http_params p;
	struct sp_error err;
	const char *s = "a=1&&b=x%2By+z&flag&email=bob%40example.org&";
	size_t len;

	(void)state;
	CHECK_INT(sp_http_parse_form(s, strlen(s), &p, &err), SP_OK);
	CHECK_INT(p.n, 4);
	CHECK_STR(sp_http_param(&p, "a", NULL), "1");
	CHECK_STR(sp_http_param(&p, "b", &len), "x+y z");
	CHECK_INT(len, 5);
	CHECK_STR(sp_http_param(&p, "flag", NULL), "");
	CHECK_STR(sp_http_param(&p, "email", NULL), "bob@example.org");
	CHECK_STR(sp_http_param(&p, "missing", NULL), NULL);
	sp_http_params_cleanup(&p);
}

static void
form_first_value_wins(void **state)
{
	struct sp_http_params p;
	struct sp_error err;

	(void)state;
	CHECK_INT(sp_http_parse_form("k=1&k=2", 7, &p, &err), SP_OK);
	CHECK_STR(sp_http_param(&p, "k", NULL), "1");
	sp_http_params_cleanup(&p);
}

static void
form_refuses_bad_escape_and_leaves_nothing(void **state)
{
	struct sp_http_params p;
	struct sp_error err;

	(void)state;
	CHECK_INT(sp_http_parse_form("a=1&b=%g1", 9, &p, &err), SP_EFORMAT);
	CHECK_INT(p.n, 0);
	CHECK_INT(p.items == NULL, 1);
}

static void
form_refuses_too_many_pairs(void **state)
{
	struct sp_http_params p;
	struct sp_error err;
	struct sp_hbuf b;
	size_t i;

	(void)state;
	sp_hbuf_init(&b, 4096);
	for (i = 0; i < SP_HTTP_PARAMS_MAX + 1; i++)
		sp_hbuf_printf(&b, "k%zu=v&", i);
	CHECK_INT(sp_http_parse_form(b.data, b.len, &p, &err), SP_ETOOBIG);
	CHECK_INT(p.n, 0);
	sp_hbuf_cleanup(&b);
}

static void
form_refuses_oversized_body(void **state)
{
	struct sp_http_params p;
	struct sp_error err;
	char *big = calloc(1, SP_HTTP_FORM_MAX + 2);

	(void)state;
	assert_non_null(big);
	memset(big, 'a', SP_HTTP_FORM_MAX + 1);
	CHECK_INT(sp_http_parse_form(big, SP_HTTP_FORM_MAX + 1, &p, &err),
	    SP_ETOOBIG);
	free(big);
}

static void
cookies_trim_unquote_and_ignore_nameless(void **state)
{
	struct sp_http_params p;
	struct sp_error err;
	const char *s = " a=1 ;b=\"two\";=x; noeq ;__Host-s=abc_-";

	(void)state;
	CHECK_INT(sp_http_parse_cookies(s, strlen(s), &p, &err), SP_OK);
	CHECK_INT(p.n, 3);
	CHECK_STR(sp_http_param(&p, "a", NULL), "1");
	CHECK_STR(sp_http_param(&p, "b", NULL), "two");
	CHECK_STR(sp_http_param(&p, "__Host-s", NULL), "abc_-");
	sp_http_params_cleanup(&p);
}

static void
cookies_refuse_nul(void **state)
{
	struct sp_http_params p;
	struct sp_error err;

	(void)state;
	CHECK_INT(sp_http_parse_cookies("a=1\0b=2", 7, &p, &err), SP_EFORMAT);
	CHECK_INT(p.n, 0);
}

#define ID "AAAAAAAAAAAAAAAAAAAAA_"

static void
route_cases(void **state)
{
	static const struct {
		const char *path;
		int rc;
		enum sp_route route;
		uint32_t att;
	} cases[] = {
		{ "/m/" ID, SP_OK, SP_ROUTE_LANDING, 0 },
		{ "/m/" ID "/code", SP_OK, SP_ROUTE_CODE, 0 },
		{ "/m/" ID "/signin", SP_OK, SP_ROUTE_SIGNIN, 0 },
		{ "/m/" ID "/read", SP_OK, SP_ROUTE_READ, 0 },
		{ "/m/" ID "/html", SP_OK, SP_ROUTE_HTML, 0 },
		{ "/m/" ID "/print", SP_OK, SP_ROUTE_PRINT, 0 },
		{ "/m/" ID "/reply", SP_OK, SP_ROUTE_REPLY, 0 },
		{ "/m/" ID "/logout", SP_OK, SP_ROUTE_LOGOUT, 0 },
		{ "/m/" ID "/att/0", SP_OK, SP_ROUTE_ATT, 0 },
		{ "/m/" ID "/att/12", SP_OK, SP_ROUTE_ATT, 12 },
		{ "/m/" ID "/att/012", SP_ENOTFOUND, SP_ROUTE_NONE, 0 },
		{ "/m/" ID "/att/", SP_ENOTFOUND, SP_ROUTE_NONE, 0 },
		{ "/m/" ID "/att/1x", SP_ENOTFOUND, SP_ROUTE_NONE, 0 },
		{ "/m/" ID "/att/999999", SP_ENOTFOUND, SP_ROUTE_NONE, 0 },
		{ "/m/" ID "/", SP_ENOTFOUND, SP_ROUTE_NONE, 0 },
		{ "/m/" ID "/read/", SP_ENOTFOUND, SP_ROUTE_NONE, 0 },
		{ "/m/" ID "x", SP_ENOTFOUND, SP_ROUTE_NONE, 0 },
		{ "/m/short", SP_ENOTFOUND, SP_ROUTE_NONE, 0 },
		{ "/m/AAAAAAAAAAAAAAAAAAAAA.", SP_ENOTFOUND, SP_ROUTE_NONE, 0 },
		{ "/x/" ID, SP_ENOTFOUND, SP_ROUTE_NONE, 0 },
		{ "/m/" ID "/../read", SP_ENOTFOUND, SP_ROUTE_NONE, 0 },
		{ "", SP_ENOTFOUND, SP_ROUTE_NONE, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sp_http_route r;
		int rc = sp_http_route_parse(
		    cases[i].path, strlen(cases[i].path), &r);

		if (rc != cases[i].rc || r.route != cases[i].route ||
		    r.att != cases[i].att)
			fail_msg("%s: got rc %d route %d att %u, want rc %d "
			         "route %d att %u",
			    cases[i].path, rc, r.route, r.att, cases[i].rc,
			    cases[i].route, cases[i].att);
		if (rc == SP_OK)
			CHECK_STR(r.id, ID);
	}
}

static void
same_origin_cases(void **state)
{
	static const struct {
		const char *origin, *base;
		bool want;
	} cases[] = {
		{ "https://mail.example", "https://mail.example", true },
		{ "https://mail.example", "https://mail.example/portal", true },
		{ "https://MAIL.example", "https://mail.example/", true },
		{ "http://127.0.0.1:21080", "http://127.0.0.1:21080", true },
		{ "http://127.0.0.1:21081", "http://127.0.0.1:21080", false },
		{ "https://mail.example.evil", "https://mail.example", false },
		{ "http://mail.example", "https://mail.example", false },
		{ "null", "https://mail.example", false },
		{ "", "https://mail.example", false },
		{ NULL, "https://mail.example", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = sp_http_same_origin(cases[i].origin, cases[i].base);

		if (got != cases[i].want)
			fail_msg("%s vs %s: got %d, want %d",
			    cases[i].origin ? cases[i].origin : "(null)",
			    cases[i].base, got, cases[i].want);
	}
}

static void
html_escape_neutralises_markup(void **state)
{
	struct sp_hbuf b;
	const char s[] = "<a href=\"x\" o='y'>&\x01\x00z</a>";

	(void)state;
	sp_hbuf_init(&b, 1024);
	sp_hbuf_add_html(&b, s, sizeof(s) - 1);
	CHECK_STR(b.data,
	    "&lt;a href=&quot;x&quot; o=&#39;y&#39;&gt;&amp;z"
	    "&lt;/a&gt;");
	sp_hbuf_cleanup(&b);
}

static void
hbuf_fails_past_cap_and_stays_failed(void **state)
{
	struct sp_hbuf b;

	(void)state;
	sp_hbuf_init(&b, 8);
	sp_hbuf_adds(&b, "12345");
	CHECK_INT(sp_hbuf_failed(&b), 0);
	sp_hbuf_printf(&b, "%s", "6789");
	CHECK_INT(sp_hbuf_failed(&b), 1);
	sp_hbuf_adds(&b, "1");
	CHECK_INT(b.len, 5);
	sp_hbuf_cleanup(&b);
}

/* printf output lands whole whether it fits the room left, fills it to
 * the last byte, or needs the buffer to grow, and never passes max. */
static void
hbuf_printf_fits_grows_and_stops_at_max(void **state)
{
	static const size_t sizes[] = { 1, 200, 254, 255, 256, 257, 1000,
		5000 };
	char want[6000], *big;
	struct sp_hbuf b;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		big = malloc(sizes[i] + 1);
		if (big == NULL)
			fail_msg("out of memory");
		for (k = 0; k < sizes[i]; k++)
			big[k] = (char)('a' + k % 26);
		big[sizes[i]] = '\0';
		sp_hbuf_init(&b, 8192);
		sp_hbuf_adds(&b, "x");
		sp_hbuf_printf(&b, "%s|%d", big, 42);
		snprintf(want, sizeof(want), "x%s|42", big);
		CHECK_INT(sp_hbuf_failed(&b), 0);
		CHECK_STR(b.data, want);
		CHECK_INT(b.len, strlen(want));
		sp_hbuf_cleanup(&b);

		sp_hbuf_init(&b, sizes[i] + 3); /* one byte short */
		sp_hbuf_adds(&b, "x");
		sp_hbuf_printf(&b, "%s|%d", big, 42);
		CHECK_INT(sp_hbuf_failed(&b), 1);
		CHECK_INT(b.len, 1);
		CHECK_STR(b.data, "x");
		sp_hbuf_cleanup(&b);
		free(big);
	}
}

static void
safe_filename_cases(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "report.pdf", "report.pdf" },
		{ "../../etc/passwd", "_.._etc_passwd" },
		{ "a\"b;c\r\n.txt", "a_b_c__.txt" },
		{ ".htaccess", "htaccess" },
		{ "", "attachment" },
		{ "...", "attachment" },
		{ "caf\xc3\xa9.doc", "caf__.doc" },
	};
	char out[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STR(sp_http_safe_filename(cases[i].in,
		              strlen(cases[i].in), out, sizeof(out)),
		    cases[i].want);
	CHECK_STR(sp_http_safe_filename(
	              "abcdefghijklmnopqrstuvwxyz", 26, out, sizeof(out)),
	    "abcdefghijklmno");
}

static void
safe_filename_cut_keeps_extension(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "abcdefghijklmnopqrstuvwxyz.pdf", "abcdefghijk.pdf" },
		{ "a\"b\r\nX-Evil: header-injected.pdf", "a_b__X-Evil.pdf" },
		{ "abcdefghijklmnopqrstuvwxyz.p\"f", "abcdefghijk.p_f" },
		{ "abcdefghijklmnop.averyveryverylongextension",
		    "abcdefghijklmno" },
	};
	char out[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STR(sp_http_safe_filename(cases[i].in,
		              strlen(cases[i].in), out, sizeof(out)),
		    cases[i].want);
}

static void
filename_star_encodes_and_defuses_paths(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "report.pdf", "UTF-8''report.pdf" },
		{ "caf\xc3\xa9 menu.doc", "UTF-8''caf%C3%A9%20menu.doc" },
		{ "../x\\y\r.txt", "UTF-8''.._x_y_.txt" },
		{ "a\"b;c", "UTF-8''a%22b%3Bc" },
	};
	struct sp_hbuf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sp_hbuf_init(&b, 1024);
		sp_http_add_filename_star(&b, cases[i].in, strlen(cases[i].in));
		CHECK_STR(b.data, cases[i].want);
		sp_hbuf_cleanup(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pct_decode_cases),
		cmocka_unit_test(form_decodes_pairs_and_skips_empty),
		cmocka_unit_test(form_first_value_wins),
		cmocka_unit_test(form_refuses_bad_escape_and_leaves_nothing),
		cmocka_unit_test(form_refuses_too_many_pairs),
		cmocka_unit_test(form_refuses_oversized_body),
		cmocka_unit_test(cookies_trim_unquote_and_ignore_nameless),
		cmocka_unit_test(cookies_refuse_nul),
		cmocka_unit_test(route_cases),
		cmocka_unit_test(same_origin_cases),
		cmocka_unit_test(html_escape_neutralises_markup),
		cmocka_unit_test(hbuf_fails_past_cap_and_stays_failed),
		cmocka_unit_test(hbuf_printf_fits_grows_and_stops_at_max),
		cmocka_unit_test(safe_filename_cases),
		cmocka_unit_test(safe_filename_cut_keeps_extension),
		cmocka_unit_test(filename_star_encodes_and_defuses_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
