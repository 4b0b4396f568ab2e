/* SPDX-License-Identifier: MIT */
/* Tests for seal_secmem: reused guarded blocks for secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "../../common/seal_secmem.h"
#include "check.h"

static void
block_given_back_is_wiped_before_reuse(void **state)
{
	unsigned char *p, *q;
	size_t i, nonzero = 0;

	(void)state;
	if ((p = sp_secmem_get(32)) == NULL)
		fail_msg("got no block, want one");
	memset(p, 0xa5, SP_SECMEM_BLOCK);
	sp_secmem_put(p);
	q = sp_secmem_get(SP_SECMEM_BLOCK);
	if (q == NULL)
		fail_msg("got no block, want one");
	CHECK_INT(q == p, 1); /* the kept block came back */
	for (i = 0; i < SP_SECMEM_BLOCK; i++)
		nonzero += q[i] != 0;
	CHECK_INT(nonzero, 0);
	sp_secmem_put(q);
}

static void
oversized_request_is_refused(void **state)
{
	(void)state;
	CHECK_INT(sp_secmem_get(SP_SECMEM_BLOCK + 1) == NULL, 1);
	sp_secmem_put(NULL); /* allowed, does nothing */
}

static void
more_blocks_than_kept_are_all_distinct_and_freed(void **state)
{
	unsigned char *b[20];
	size_t i, j;

	(void)state;
	for (i = 0; i < 20; i++) {
		if ((b[i] = sp_secmem_get(64)) == NULL)
			fail_msg("block %zu: got none, want one", i);
		memset(b[i], (int)i + 1, 64);
		for (j = 0; j < i; j++)
			CHECK_INT(b[i] == b[j], 0);
	}
	for (i = 0; i < 20; i++)
		sp_secmem_put(b[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(block_given_back_is_wiped_before_reuse),
		cmocka_unit_test(oversized_request_is_refused),
		cmocka_unit_test(
		    more_blocks_than_kept_are_all_distinct_and_freed),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
