/* SPDX-License-Identifier: MIT */
/* Tests for sp_revoked: the per-recipient revocation list of a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "check.h"
#include "sp_revoked.h"

static void
revoked_add_lowercases_and_keeps_each_address_once(void **state)
{
	static const struct {
		const char *add[4];
		const char *want;
	} cases[] = {
		{ { "Bob@Rcpt.Test", NULL }, "bob@rcpt.test\n" },
		{ { "a@x.test", "b@x.test", NULL }, "a@x.test\nb@x.test\n" },
		{ { "a@x.test", "A@X.TEST", "a@x.test", NULL }, "a@x.test\n" },
	};
	struct sp_msg_meta m;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&m, 0, sizeof(m));
		for (j = 0; cases[i].add[j] != NULL; j++)
			CHECK_INT(
			    sp_revoked_add(&m, cases[i].add[j], NULL), SP_OK);
		CHECK_STR(m.revoked_rcpts, cases[i].want);
		free(m.revoked_rcpts);
	}
}

static void
revoked_has_matches_whole_addresses_only(void **state)
{
	static const struct {
		const char *list;
		const char *addr;
		int want;
	} cases[] = {
		{ NULL, "bob@rcpt.test", 0 },
		{ "", "bob@rcpt.test", 0 },
		{ "bob@rcpt.test\n", "bob@rcpt.test", 1 },
		{ "bob@rcpt.test\n", "BOB@rcpt.TEST", 1 },
		{ "bob@rcpt.test\n", "ob@rcpt.test", 0 },
		{ "bob@rcpt.test\n", "bob@rcpt.tes", 0 },
		{ "xbob@rcpt.test\n", "bob@rcpt.test", 0 },
		{ "a@x.test\nbob@rcpt.test\n", "bob@rcpt.test", 1 },
		/* a list written without its last newline still reads */
		{ "a@x.test\nbob@rcpt.test", "bob@rcpt.test", 1 },
		{ "\n\nbob@rcpt.test\n\n", "bob@rcpt.test", 1 },
		{ "bob@rcpt.test\n", "", 0 },
	};
	struct sp_msg_meta m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.revoked_rcpts = (char *)cases[i].list;
		if ((int)sp_revoked_has(&m, cases[i].addr) != cases[i].want)
			fail_msg("case %zu (%s in %s): got %d, want %d", i,
			    cases[i].addr, cases[i].list ? cases[i].list : "-",
			    !cases[i].want, cases[i].want);
	}
}

static void
revoked_add_refuses_what_is_no_address(void **state)
{
	static const char *const bad[] = { "", "a b@x.test", "a@x.test\n",
		"a\r@x.test" };
	struct sp_msg_meta m;
	char big[SP_REVOKED_ADDR_MAX + 2];
	size_t i;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(sp_revoked_add(&m, bad[i], NULL), SP_EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(sp_revoked_add(&m, big, NULL), SP_EINVAL);
	CHECK_STR(m.revoked_rcpts, NULL);
}

static void
revoked_add_mends_an_old_list_without_last_newline(void **state)
{
	struct sp_msg_meta m;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.revoked_rcpts = strdup("a@x.test");
	assert_non_null(m.revoked_rcpts);
	CHECK_INT(sp_revoked_add(&m, "b@x.test", NULL), SP_OK);
	CHECK_STR(m.revoked_rcpts, "a@x.test\nb@x.test\n");
	free(m.revoked_rcpts);
}

static void
revoked_next_lists_each_address(void **state)
{
	struct sp_msg_meta m;
	const char *a;
	char got[256] = "";
	size_t pos = 0, len, n = 0;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.revoked_rcpts = "a@x.test\n\nb@x.test";
	while ((a = sp_revoked_next(&m, &pos, &len)) != NULL)
		n += (size_t)snprintf(
		    got + n, sizeof(got) - n, "[%.*s]", (int)len, a);
	CHECK_STR(got, "[a@x.test][b@x.test]");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    revoked_add_lowercases_and_keeps_each_address_once),
		cmocka_unit_test(revoked_has_matches_whole_addresses_only),
		cmocka_unit_test(revoked_add_refuses_what_is_no_address),
		cmocka_unit_test(
		    revoked_add_mends_an_old_list_without_last_newline),
		cmocka_unit_test(revoked_next_lists_each_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
