/* SPDX-License-Identifier: MIT */
/* Tests for sp_time: the date forms admins type, and the printed form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "check.h"
#include "sp_time.h"

#define NOW ((int64_t)1800000000) /* 2027-01-15T08:00:00Z */

static void
time_parse_reads_each_accepted_form(void **state)
{
	static const struct {
		const char *in;
		int64_t want;
	} cases[] = {
		{ "now", NOW },
		{ "+3d", NOW + 3 * 86400 },
		{ "-12h", NOW - 12 * 3600 },
		{ "+90m", NOW + 90 * 60 },
		{ "+45s", NOW + 45 },
		{ "+2w", NOW + 14 * 86400 },
		{ "+1d12h", NOW + 86400 + 12 * 3600 },
		{ "2026-12-31", 1798675200 },
		{ "2026-12-31T08:00", 1798675200 + 8 * 3600 },
		{ "2026-12-31 08:00:30", 1798675200 + 8 * 3600 + 30 },
		{ "2026-12-31T08:00:30Z", 1798675200 + 8 * 3600 + 30 },
		{ "2028-02-29", 1835395200 },
		{ "1970-01-01", 0 },
	};
	struct sp_error err;
	int64_t got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = -1;
		if (sp_time_parse(cases[i].in, NOW, &got, &err) != SP_OK)
			fail_msg("%s: got error \"%s\", want %lld", cases[i].in,
			    err.msg, (long long)cases[i].want);
		if (got != cases[i].want)
			fail_msg("%s: got %lld, want %lld", cases[i].in,
			    (long long)got, (long long)cases[i].want);
	}
}

static void
time_parse_refuses_bad_input(void **state)
{
	static const char *const bad[] = {
		"",
		"tomorrow",
		"+",
		"+3",
		"3d",
		"+3x",
		"+d",
		"+3d-",
		"2026-13-01",
		"2026-04-31",
		"2027-02-29",
		"2026-12-31T24:00",
		"2026-12-31T08:60",
		"2026-12-31T08",
		"2026-12-31X",
		"2026-12-31T08:00:00+01:00",
		"1969-12-31",
		"26-12-31",
		"+99999999999999999999d",
		"now ",
	};
	struct sp_error err;
	int64_t got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sp_error_clear(&err);
		if (sp_time_parse(bad[i], NOW, &got, &err) != SP_EFORMAT)
			fail_msg("\"%s\": got %lld, want SP_EFORMAT", bad[i],
			    (long long)got);
		CHECK_CONTAINS(err.msg, "bad time");
	}
}

static void
time_format_writes_iso_utc(void **state)
{
	char buf[SP_TIME_STR_MAX];

	(void)state;
	CHECK_STR(sp_time_format(1798675200 + 8 * 3600 + 30, buf),
	    "2026-12-31T08:00:30Z");
	CHECK_STR(sp_time_format(0, buf), "1970-01-01T00:00:00Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(time_parse_reads_each_accepted_form),
		cmocka_unit_test(time_parse_refuses_bad_input),
		cmocka_unit_test(time_format_writes_iso_utc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
