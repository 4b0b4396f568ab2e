/* SPDX-License-Identifier: MIT */
/* Tests for sp_msg: whole messages sealed into a real store and opened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sp_msg.h"
#include "sp_seal.h"

struct fix {
	char dir[64];
	struct sp_store *s;
	struct sp_keyring *kr;
};

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	char store[96], kid[SP_KEYID_MAX];
	struct sp_error err;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/sp-msg.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(store, sizeof(store), "%s/store", f->dir);
	if (sp_keys_generate(f->dir, NULL, kid, sizeof(kid), &err) != SP_OK ||
	    sp_keyring_load(f->dir, true, &f->kr, &err) != SP_OK ||
	    sp_store_open(store, NULL, &f->s, &err) != SP_OK) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	char cmd[128];

	sp_store_close(f->s);
	sp_keyring_free(f->kr);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
meta_init(struct sp_msg_meta *m, char **rcpts)
{
	memset(m, 0, sizeof(*m));
	sp_id_new(m->id);
	sp_ref_new(m->ref);
	m->created = (int64_t)time(NULL);
	m->sender = "a@example.org";
	rcpts[0] = "b@example.org";
	m->rcpts = rcpts;
	m->nrcpt = 1;
}

static void
round_trip_keeps_every_byte(void **state)
{
	static const size_t sizes[] = { 0, 1, SP_SEAL_CHUNK - 1, SP_SEAL_CHUNK,
		SP_SEAL_CHUNK + 1, 3 * SP_SEAL_CHUNK + 17 };
	struct fix *f = *state;
	struct sp_msg_meta m, got;
	struct sp_error err;
	char *rcpts[1], *in, *out;
	size_t i, j, len;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		in = malloc(sizes[i] + 1);
		assert_non_null(in);
		for (j = 0; j < sizes[i]; j++)
			in[j] = (char)(j * 7 + i); /* NULs included */
		meta_init(&m, rcpts);
		CHECK_INT(
		    sp_msg_seal_buffer(f->s, f->kr, &m, in, sizes[i], &err),
		    SP_OK);
		CHECK_INT(m.size, sizes[i]);
		CHECK_INT(sp_store_msg_get(f->s, m.id, &got, &err), SP_OK);
		CHECK_INT(sp_msg_open_buffer(
		              f->s, f->kr, &got, 1 << 20, &out, &len, &err),
		    SP_OK);
		CHECK_MEM(out, len, in, sizes[i]);
		sp_msg_meta_cleanup(&got);
		free(out);
		free(in);
	}
}

static void
open_refuses_a_message_over_the_cap(void **state)
{
	struct fix *f = *state;
	struct sp_msg_meta m, got;
	struct sp_error err;
	char *rcpts[1], *out = NULL;
	size_t len;

	meta_init(&m, rcpts);
	CHECK_INT(
	    sp_msg_seal_buffer(f->s, f->kr, &m, "0123456789", 10, &err), SP_OK);
	CHECK_INT(sp_store_msg_get(f->s, m.id, &got, &err), SP_OK);
	CHECK_INT(sp_msg_open_buffer(f->s, f->kr, &got, 9, &out, &len, &err),
	    SP_ETOOBIG);
	CHECK_INT(out == NULL, 1);
	sp_msg_meta_cleanup(&got);
}

static void
open_fails_on_a_tampered_header(void **state)
{
	struct fix *f = *state;
	struct sp_msg_meta m, got;
	struct sp_error err;
	char *rcpts[1], *out = NULL;
	size_t len;

	meta_init(&m, rcpts);
	CHECK_INT(sp_msg_seal_buffer(f->s, f->kr, &m, "secret text", 11, &err),
	    SP_OK);
	CHECK_INT(sp_store_msg_get(f->s, m.id, &got, &err), SP_OK);
	got.header[got.header_len - 1] ^= 1;
	if (sp_msg_open_buffer(f->s, f->kr, &got, 1 << 20, &out, &len, &err) ==
	    SP_OK)
		fail_msg("got SP_OK for a tampered header, want an error");
	CHECK_INT(out == NULL, 1);
	sp_msg_meta_cleanup(&got);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(round_trip_keeps_every_byte),
		T(open_refuses_a_message_over_the_cap),
		T(open_fails_on_a_tampered_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
