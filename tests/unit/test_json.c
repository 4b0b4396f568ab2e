/* SPDX-License-Identifier: MIT */
/* Tests for sp_json: escaping of untrusted strings and the nesting rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "check.h"
#include "sp_json.h"

static const char *
escaped(struct sp_json *j, const char *s, size_t len)
{
	struct sp_error err;
	const char *out = NULL;
	size_t n;

	sp_json_reset(j);
	if (sp_json_strn(j, s, len) != SP_OK ||
	    sp_json_finish(j, &out, &n, &err) != SP_OK)
		return NULL;
	return out;
}

#define S(lit) lit, sizeof(lit) - 1

static void
json_escapes_each_kind_of_untrusted_byte(void **state)
{
	static const struct {
		const char *name;
		const char *in;
		size_t len;
		const char *want;
	} cases[] = {
		{ "plain address", S("a@b.example"), "\"a@b.example\"" },
		{ "quote and backslash", S("a\"b\\c"), "\"a\\\"b\\\\c\"" },
		{ "short control escapes", S("\n\r\t\b\f"),
		    "\"\\n\\r\\t\\b\\f\"" },
		{ "other controls as \\u", S("\x01\x1b\x1f"),
		    "\"\\u0001\\u001b\\u001f\"" },
		{ "NUL kept by length", S("a\0b"), "\"a\\u0000b\"" },
		{ "DEL", S("\x7f"), "\"\\u007f\"" },
		{ "html characters", S("<script>&"),
		    "\"\\u003cscript\\u003e\\u0026\"" },
		{ "valid UTF-8 passes", S("M\xc3\xbcller \xe2\x82\xac"),
		    "\"M\xc3\xbcller \xe2\x82\xac\"" },
		{ "four-byte UTF-8 passes", S("\xf0\x9f\x93\xa7"),
		    "\"\xf0\x9f\x93\xa7\"" },
		{ "line separators escaped", S("\xe2\x80\xa8\xe2\x80\xa9"),
		    "\"\\u2028\\u2029\"" },
		{ "lone continuation byte", S("a\x80z"), "\"a\\ufffdz\"" },
		{ "latin-1 byte", S("\xe9t\xe9"), "\"\\ufffdt\\ufffd\"" },
		{ "overlong slash", S("\xc0\xaf"), "\"\\ufffd\\ufffd\"" },
		{ "surrogate", S("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "truncated at end", S("x\xe2\x82"), "\"x\\ufffd\\ufffd\"" },
		{ "above U+10FFFF", S("\xf4\x90\x80\x80"),
		    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "empty", S(""), "\"\"" },
	};
	struct sp_json j;
	size_t i;

	(void)state;
	sp_json_init(&j, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = escaped(&j, cases[i].in, cases[i].len);

		if (got == NULL || strcmp(got, cases[i].want) != 0)
			fail_msg("%s: got %s, want %s", cases[i].name,
			    got ? got : "(error)", cases[i].want);
	}
	sp_json_cleanup(&j);
}

static void
json_nests_and_places_commas(void **state)
{
	struct sp_json j;
	struct sp_error err;
	const char *out = NULL;
	size_t len = 0;

	(void)state;
	sp_json_init(&j, 0);
	sp_json_obj_begin(&j);
	sp_json_key(&j, "n");
	sp_json_int(&j, -3);
	sp_json_key(&j, "list");
	sp_json_arr_begin(&j);
	sp_json_uint(&j, 18446744073709551615u);
	sp_json_bool(&j, true);
	sp_json_null(&j);
	sp_json_str(&j, NULL);
	sp_json_arr_end(&j);
	sp_json_key(&j, "o");
	sp_json_obj_begin(&j);
	sp_json_obj_end(&j);
	sp_json_obj_end(&j);
	CHECK_INT(sp_json_finish(&j, &out, &len, &err), SP_OK);
	CHECK_STR(out,
	    "{\"n\":-3,\"list\":[18446744073709551615,true,null,"
	    "null],\"o\":{}}");
	CHECK_INT(len, strlen(out));
	sp_json_cleanup(&j);
}

static void
json_refuses_misuse(void **state)
{
	static const struct {
		const char *name;
		int steps; /* bit 0: obj_begin, 1: value without key,
		              2: arr_end in object, 3: leave open */
	} cases[] = {
		{ "value without key in object", 1 | 2 },
		{ "wrong closer", 1 | 4 },
		{ "left open", 1 | 8 },
	};
	struct sp_json j;
	struct sp_error err;
	const char *out;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sp_json_init(&j, 0);
		sp_json_obj_begin(&j);
		if (cases[i].steps & 2)
			sp_json_int(&j, 1);
		if (cases[i].steps & 4)
			sp_json_arr_end(&j);
		if (!(cases[i].steps & 8))
			sp_json_obj_end(&j);
		if (sp_json_finish(&j, &out, &len, &err) != SP_EINVAL)
			fail_msg("%s: got %d, want SP_EINVAL", cases[i].name,
			    j.status);
		sp_json_cleanup(&j);
	}
}

static void
json_stops_at_its_cap(void **state)
{
	struct sp_json j;
	struct sp_error err;
	const char *out;
	size_t len;
	char big[100];

	(void)state;
	memset(big, 'x', sizeof(big));
	sp_json_init(&j, 64);
	CHECK_INT(sp_json_strn(&j, big, sizeof(big)), SP_ETOOBIG);
	CHECK_INT(sp_json_finish(&j, &out, &len, &err), SP_ETOOBIG);
	CHECK_INT(j.len <= 64, 1);
	sp_json_cleanup(&j);
}

static void
json_refuses_nesting_past_the_limit(void **state)
{
	struct sp_json j;
	int i, rc = SP_OK;

	(void)state;
	sp_json_init(&j, 0);
	for (i = 0; i <= SP_JSON_DEPTH_MAX && rc == SP_OK; i++)
		rc = sp_json_arr_begin(&j);
	CHECK_INT(rc, SP_ETOOBIG);
	CHECK_INT(i, SP_JSON_DEPTH_MAX + 1);
	sp_json_cleanup(&j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_escapes_each_kind_of_untrusted_byte),
		cmocka_unit_test(json_nests_and_places_commas),
		cmocka_unit_test(json_refuses_misuse),
		cmocka_unit_test(json_stops_at_its_cap),
		cmocka_unit_test(json_refuses_nesting_past_the_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
