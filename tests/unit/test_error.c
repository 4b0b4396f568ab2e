/* SPDX-License-Identifier: MIT */
/* Tests for sp_error: status texts and the diagnostics list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "check.h"
#include "sp_error.h"

static void
error_set_returns_code_and_formats(void **state)
{
	struct sp_error e;

	(void)state;
	CHECK_INT(sp_error_set(&e, SP_EIO, "open %s: %d", "x", 5), SP_EIO);
	CHECK_INT(e.code, SP_EIO);
	CHECK_STR(e.msg, "open x: 5");
	CHECK_INT(sp_error_set(NULL, SP_EFULL, "ignored"), SP_EFULL);
}

static void
strerror_names_store_full(void **state)
{
	(void)state;
	CHECK_STR(sp_strerror(SP_EFULL), "store full");
	CHECK_STR(sp_strerror(12345), "unknown error");
}

static void
diag_keeps_order_and_counts_dropped(void **state)
{
	struct sp_diag d;
	size_t i;

	(void)state;
	sp_diag_init(&d);
	for (i = 0; i < SP_DIAG_MAX + 5; i++)
		sp_diag_add(&d, "f:%zu: bad", i + 1);
	CHECK_INT(d.n, SP_DIAG_MAX);
	CHECK_INT(d.total, SP_DIAG_MAX + 5);
	CHECK_STR(d.msgs[0], "f:1: bad");
	sp_diag_cleanup(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(error_set_returns_code_and_formats),
		cmocka_unit_test(strerror_names_store_full),
		cmocka_unit_test(diag_keeps_order_and_counts_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
