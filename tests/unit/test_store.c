/* SPDX-License-Identifier: MIT */
/* Tests for sp_store with the LMDB backend: messages and chunks, map
 * growth, kv records, the audit trail, purge, reopen, two processes, and
 * damaged records read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <lmdb.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"
#include "sp_store_backend.h"
#include "store_test_util.h"

struct fx {
	char dir[256];
	char path[300];
	struct sp_store *s;
	struct sp_error err;
};

static int
fx_open(struct fx *f, uint64_t map, uint64_t max)
{
	struct sp_store_opts o = { map, max, false, NULL };

	return sp_store_open(f->path, &o, &f->s, &f->err);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	tu_tmpdir(f->dir, sizeof(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
	if (fx_open(f, 0, 0) != SP_OK)
		fail_msg("open: %s", f->err.msg);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sp_store_close(f->s);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

static char *rcpt_list[] = { "a@example.org", "b@example.net" };

static void
meta_fill(struct sp_msg_meta *m, const char *id, uint32_t nchunks)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->id, id, SP_ID_LEN + 1);
	memcpy(m->ref, "ABCD-EFGH", SP_REF_LEN + 1);
	m->created = 1700000000;
	m->expires = 1800000000;
	snprintf(m->template_name, sizeof(m->template_name), "default");
	m->rights = 5;
	snprintf(m->rule, sizeof(m->rule), "secure-tag");
	snprintf(m->key_id, sizeof(m->key_id), "00112233aabbccdd");
	m->size = 12345;
	m->nchunks = nchunks;
	m->header_len = 3;
	memcpy(m->header, "SPS", 3);
	m->sender = "sender@example.com";
	m->rcpts = rcpt_list;
	m->nrcpt = 2;
}

/* Puts chunks [0, nput) one by one, then commits [nput, n) as the tail. */
static int
write_msg(struct sp_store *s, const char *id, uint32_t nput, uint32_t n,
    struct sp_error *err)
{
	unsigned char *bufs[16];
	size_t lens[16];
	struct sp_msg_meta m;
	uint32_t i;
	int rc;

	for (i = 0; i < nput; i++) {
		unsigned char b[16384];

		tu_fill(b, id, i, tu_len(id, i));
		if ((rc = sp_store_chunk_put(s, id, i, b, tu_len(id, i), err)))
			return rc;
	}
	for (i = nput; i < n; i++) {
		lens[i - nput] = tu_len(id, i);
		bufs[i - nput] = malloc(lens[i - nput]);
		tu_fill(bufs[i - nput], id, i, lens[i - nput]);
	}
	meta_fill(&m, id, n);
	rc = sp_store_msg_commit(s, &m, nput,
	    (const unsigned char *const *)bufs, lens, n - nput, err);
	for (i = nput; i < n; i++)
		free(bufs[i - nput]);
	return rc;
}

struct verify_ctx {
	const char *id;
	uint32_t seen;
};

static int
verify_chunk(void *ctx, uint32_t seq, const unsigned char *buf, size_t len)
{
	struct verify_ctx *v = ctx;

	if (seq != v->seen || tu_verify(buf, len, v->id, seq) != 0)
		return 99;
	v->seen++;
	return 0;
}

static int
read_msg(struct sp_store *s, const char *id, uint32_t n, struct sp_error *err)
{
	struct verify_ctx v = { id, 0 };
	int rc = sp_store_chunks_read(s, id, n, verify_chunk, &v, err);

	if (rc == SP_OK && v.seen != n)
		return 98;
	return rc;
}

static void
commit_reads_back_meta_and_chunks(void **state)
{
	struct fx *f = *state;
	struct sp_msg_meta m;
	char id[SP_ID_LEN + 1];

	tu_id(id, 1);
	CHECK_INT(write_msg(f->s, id, 3, 5, &f->err), SP_OK);
	CHECK_INT(sp_store_msg_get(f->s, id, &m, &f->err), SP_OK);
	CHECK_STR(m.id, id);
	CHECK_STR(m.ref, "ABCD-EFGH");
	CHECK_INT(m.nchunks, 5);
	CHECK_INT(m.size, 12345);
	CHECK_INT(m.expires, 1800000000);
	CHECK_STR(m.key_id, "00112233aabbccdd");
	CHECK_STR(m.sender, "sender@example.com");
	CHECK_INT(m.nrcpt, 2);
	CHECK_STR(m.rcpts[1], "b@example.net");
	CHECK_MEM(m.header, m.header_len, "SPS", 3);
	CHECK_INT(m.parent == NULL, 1);
	sp_msg_meta_cleanup(&m);
	CHECK_INT(read_msg(f->s, id, 5, &f->err), SP_OK);
}

static int
count_meta(void *ctx, const struct sp_msg_meta *m)
{
	(void)m;
	(*(int *)ctx)++;
	return 0;
}

static int
stop_at_second(void *ctx, uint32_t seq, const unsigned char *buf, size_t len)
{
	(void)buf;
	(void)len;
	(*(int *)ctx)++;
	return seq == 1 ? 42 : 0;
}

static int
stop_listing(void *ctx, const struct sp_msg_meta *m)
{
	(void)m;
	(*(int *)ctx)++;
	return 7;
}

static void
callbacks_stop_at_first_nonzero(void **state)
{
	struct fx *f = *state;
	char id[SP_ID_LEN + 1];
	int calls = 0;

	tu_id(id, 20);
	CHECK_INT(write_msg(f->s, id, 2, 4, &f->err), SP_OK);
	tu_id(id, 21);
	CHECK_INT(write_msg(f->s, id, 0, 1, &f->err), SP_OK);
	tu_id(id, 20);
	CHECK_INT(
	    sp_store_chunks_read(f->s, id, 4, stop_at_second, &calls, &f->err),
	    42);
	CHECK_INT(calls, 2);
	calls = 0;
	CHECK_INT(sp_store_msg_list(f->s, stop_listing, &calls, &f->err), 7);
	CHECK_INT(calls, 1);
	CHECK_INT(
	    sp_store_chunks_read(f->s, id, 0, stop_at_second, &calls, &f->err),
	    SP_OK);
	CHECK_INT(
	    sp_store_chunks_read(f->s, id, 5, stop_at_second, &calls, &f->err),
	    SP_EINVAL);
}

static void
uncommitted_chunks_are_invisible(void **state)
{
	struct fx *f = *state;
	struct sp_msg_meta m;
	unsigned char b[100];
	char id[SP_ID_LEN + 1];
	int n = 0;

	tu_id(id, 2);
	memset(b, 1, sizeof(b));
	CHECK_INT(sp_store_chunk_put(f->s, id, 0, b, sizeof(b), &f->err), 0);
	CHECK_INT(sp_store_msg_get(f->s, id, &m, &f->err), SP_ENOTFOUND);
	CHECK_INT(read_msg(f->s, id, 1, &f->err), SP_ENOTFOUND);
	CHECK_INT(sp_store_msg_list(f->s, count_meta, &n, &f->err), SP_OK);
	CHECK_INT(n, 0);
}

/* Chunks [0, nput) in one sp_store_chunks_put, [nput, n) as the tail. */
static int
write_msg_batched(struct sp_store *s, const char *id, uint32_t nput, uint32_t n,
    struct sp_error *err)
{
	unsigned char *bufs[16] = { 0 };
	size_t lens[16] = { 0 };
	struct sp_msg_meta m;
	uint32_t i;
	int rc;

	for (i = 0; i < n; i++) {
		lens[i] = tu_len(id, i);
		bufs[i] = malloc(lens[i]);
		tu_fill(bufs[i], id, i, lens[i]);
	}
	rc = sp_store_chunks_put(
	    s, id, 0, (const unsigned char *const *)bufs, lens, nput, err);
	meta_fill(&m, id, n);
	if (rc == SP_OK)
		rc = sp_store_msg_commit(s, &m, nput,
		    (const unsigned char *const *)bufs + nput, lens + nput,
		    n - nput, err);
	for (i = 0; i < n; i++)
		free(bufs[i]);
	return rc;
}

static void
chunks_put_in_one_call_read_back(void **state)
{
	static const struct {
		const char *name;
		uint32_t nput, n;
	} cases[] = {
		{ "all chunks put together, no tail", 5, 5 },
		{ "some put together, the rest as tail", 3, 7 },
		{ "none put (n = 0), all as tail", 0, 2 },
		{ "one put, one tail", 1, 2 },
	};
	struct fx *f = *state;
	char id[SP_ID_LEN + 1];

	int rc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tu_id(id, 3000 + i);
		rc = write_msg_batched(
		    f->s, id, cases[i].nput, cases[i].n, &f->err);
		if (rc == SP_OK)
			rc = read_msg(f->s, id, cases[i].n, &f->err);
		if (rc != SP_OK)
			fail_msg("%s: got %d (%s), want %d", cases[i].name, rc,
			    f->err.msg, SP_OK);
	}
}

static void
chunks_put_refuses_misuse(void **state)
{
	struct fx *f = *state;
	unsigned char b[4] = { 1, 2, 3, 4 };
	const unsigned char *data[2] = { b, NULL };
	size_t lens[2] = { 4, 4 };
	char id[SP_ID_LEN + 1];

	tu_id(id, 3100);
	CHECK_INT(sp_store_chunks_put(f->s, id, 0, data, lens, 2, &f->err),
	    SP_EINVAL);
	CHECK_INT(sp_store_chunks_put(f->s, id, 0, NULL, lens, 1, &f->err),
	    SP_EINVAL);
	CHECK_INT(sp_store_chunks_put(f->s, "short", 0, data, lens, 1, &f->err),
	    SP_EINVAL);
	CHECK_INT(
	    sp_store_chunks_put(f->s, id, UINT32_MAX, data, lens, 2, &f->err),
	    SP_EINVAL);
	CHECK_INT(write_msg(f->s, id, 1, 2, &f->err), SP_OK);
	CHECK_INT(sp_store_chunks_put(f->s, id, 0, data, lens, 1, &f->err),
	    SP_EEXIST);
	CHECK_INT(read_msg(f->s, id, 2, &f->err), SP_OK);
}

static void
abort_drops_written_chunks(void **state)
{
	struct fx *f = *state;
	struct sp_msg_meta m;
	unsigned char b[100];
	char id[SP_ID_LEN + 1];
	size_t removed = 9;

	tu_id(id, 3);
	memset(b, 1, sizeof(b));
	CHECK_INT(sp_store_chunk_put(f->s, id, 0, b, sizeof(b), &f->err), 0);
	CHECK_INT(sp_store_chunk_put(f->s, id, 1, b, sizeof(b), &f->err), 0);
	CHECK_INT(sp_store_msg_abort(f->s, id, &f->err), SP_OK);
	meta_fill(&m, id, 2);
	CHECK_INT(sp_store_msg_commit(f->s, &m, 2, NULL, NULL, 0, &f->err),
	    SP_ENOTFOUND);
	CHECK_INT(sp_store_gc_orphans(f->s, 0, &removed, &f->err), SP_OK);
	CHECK_INT(removed, 0);
}

static void
gc_removes_old_orphans_only(void **state)
{
	struct fx *f = *state;
	struct sp_msg_meta m;
	unsigned char b[100];
	char orphan[SP_ID_LEN + 1], kept[SP_ID_LEN + 1];
	size_t removed = 9;

	tu_id(orphan, 4);
	tu_id(kept, 5);
	memset(b, 1, sizeof(b));
	CHECK_INT(write_msg(f->s, kept, 2, 3, &f->err), SP_OK);
	CHECK_INT(sp_store_chunk_put(f->s, orphan, 0, b, 10, &f->err), 0);
	CHECK_INT(sp_store_chunk_put(f->s, orphan, 1, b, 10, &f->err), 0);
	CHECK_INT(sp_store_gc_orphans(f->s, 3600, &removed, &f->err), SP_OK);
	CHECK_INT(removed, 0);
	CHECK_INT(sp_store_gc_orphans(f->s, 0, &removed, &f->err), SP_OK);
	CHECK_INT(removed, 2);
	meta_fill(&m, orphan, 2);
	CHECK_INT(sp_store_msg_commit(f->s, &m, 2, NULL, NULL, 0, &f->err),
	    SP_ENOTFOUND);
	CHECK_INT(read_msg(f->s, kept, 3, &f->err), SP_OK);
}

static void
commit_refuses_misuse(void **state)
{
	struct fx *f = *state;
	struct sp_msg_meta m;
	unsigned char b[4] = { 1, 2, 3, 4 };
	char id[SP_ID_LEN + 1];

	tu_id(id, 6);
	CHECK_INT(write_msg(f->s, id, 1, 2, &f->err), SP_OK);
	meta_fill(&m, id, 2);
	CHECK_INT(sp_store_msg_commit(f->s, &m, 2, NULL, NULL, 0, &f->err),
	    SP_EEXIST);
	CHECK_INT(sp_store_chunk_put(f->s, id, 0, b, 4, &f->err), SP_EEXIST);
	CHECK_INT(sp_store_msg_abort(f->s, id, &f->err), SP_EEXIST);
	tu_id(id, 7);
	meta_fill(&m, id, 3);
	CHECK_INT(sp_store_msg_commit(f->s, &m, 0, NULL, NULL, 0, &f->err),
	    SP_EINVAL);
	CHECK_INT(read_msg(f->s, id, 1, &f->err), SP_ENOTFOUND);
}

/* Counts the chunk records of id, reading the LMDB file directly. */
static size_t
raw_chunk_count(const char *path, const char *id)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k, v;
	size_t n = 0;

	CHECK_INT(mdb_env_create(&env), 0);
	CHECK_INT(mdb_env_set_maxdbs(env, 8), 0);
	CHECK_INT(mdb_env_open(env, path, MDB_RDONLY, 0600), 0);
	CHECK_INT(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "chunks", 0, &dbi), 0);
	CHECK_INT(mdb_cursor_open(txn, dbi, &cur), 0);
	while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0)
		if (k.mv_size == SP_ID_LEN + 4 &&
		    memcmp(k.mv_data, id, SP_ID_LEN) == 0)
			n++;
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return n;
}

static void
commit_drops_chunks_past_the_end(void **state)
{
	struct fx *f = *state;
	struct sp_msg_meta m;
	unsigned char b[8] = { 0 };
	char id[SP_ID_LEN + 1];

	tu_id(id, 19);
	CHECK_INT(sp_store_chunk_put(f->s, id, 0, b, 8, &f->err), SP_OK);
	CHECK_INT(sp_store_chunk_put(f->s, id, 1, b, 8, &f->err), SP_OK);
	CHECK_INT(sp_store_chunk_put(f->s, id, 5, b, 8, &f->err), SP_OK);
	meta_fill(&m, id, 2);
	CHECK_INT(
	    sp_store_msg_commit(f->s, &m, 2, NULL, NULL, 0, &f->err), SP_OK);
	sp_store_close(f->s);
	f->s = NULL;
	CHECK_INT(raw_chunk_count(f->path, id), 2);
	CHECK_INT(fx_open(f, 0, 0), SP_OK);
}

/* A withdrawn message is gone whole: no metadata, no tombstone in the
 * list, no chunk left; others stay; a second withdraw finds nothing. */
static void
withdraw_leaves_no_record(void **state)
{
	struct fx *f = *state;
	struct sp_msg_meta m;
	char id[SP_ID_LEN + 1], other[SP_ID_LEN + 1];
	int n = 0;

	tu_id(id, 23);
	tu_id(other, 24);
	CHECK_INT(write_msg(f->s, id, 2, 3, &f->err), SP_OK);
	CHECK_INT(write_msg(f->s, other, 1, 2, &f->err), SP_OK);
	CHECK_INT(sp_store_msg_withdraw(f->s, id, &f->err), SP_OK);
	CHECK_INT(sp_store_msg_get(f->s, id, &m, &f->err), SP_ENOTFOUND);
	CHECK_INT(sp_store_msg_list(f->s, count_meta, &n, &f->err), SP_OK);
	CHECK_INT(n, 1);
	CHECK_INT(read_msg(f->s, other, 2, &f->err), SP_OK);
	CHECK_INT(sp_store_msg_withdraw(f->s, id, &f->err), SP_ENOTFOUND);
	sp_store_close(f->s);
	f->s = NULL;
	CHECK_INT(raw_chunk_count(f->path, id), 0);
	CHECK_INT(raw_chunk_count(f->path, other), 2);
	CHECK_INT(fx_open(f, 0, 0), SP_OK);
}

static void
malformed_ids_are_refused(void **state)
{
	static const char *const bad[] = { "", "short",
		"t00000000000000000001" /* 21 characters */,
		"t00000000000000000000!" /* not base64url */,
		"t00000000000000000000.", "t000000000000000000001extra" };
	struct fx *f = *state;
	struct sp_msg_meta m;
	unsigned char b[1] = { 0 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(sp_store_chunk_put(f->s, bad[i], 0, b, 1, &f->err),
		    SP_EINVAL);
		CHECK_INT(
		    sp_store_msg_get(f->s, bad[i], &m, &f->err), SP_EINVAL);
	}
	CHECK_INT(sp_store_chunk_put(f->s, NULL, 0, b, 1, &f->err), SP_EINVAL);
}

/* Counts 64 KiB chunks whose first byte is their number. */
static int
count_big(void *ctx, uint32_t seq, const unsigned char *buf, size_t len)
{
	uint32_t *n = ctx;

	if (len != 65536 || buf[0] != (unsigned char)seq ||
	    buf[len - 1] != 0x5a)
		return 99;
	(*n)++;
	return 0;
}

static void
map_grows_when_full(void **state)
{
	struct fx *f = *state;
	unsigned char *b = malloc(65536);
	char id[SP_ID_LEN + 1];
	struct sp_msg_meta m;
	uint32_t seen = 0;
	struct stat st;
	char p[400];
	uint32_t i;

	sp_store_close(f->s);
	f->s = NULL;
	CHECK_INT(fx_open(f, 1 << 20, 64 << 20), SP_OK);
	tu_id(id, 8);
	memset(b, 0x5a, 65536);
	/* 8 MiB of chunks into a 1 MiB map. */
	for (i = 0; i < 128; i++) {
		b[0] = (unsigned char)i;
		if (sp_store_chunk_put(f->s, id, i, b, 65536, &f->err) != SP_OK)
			fail_msg("chunk %u: %s", i, f->err.msg);
	}
	free(b);
	meta_fill(&m, id, 128);
	CHECK_INT(
	    sp_store_msg_commit(f->s, &m, 128, NULL, NULL, 0, &f->err), SP_OK);
	CHECK_INT(
	    sp_store_chunks_read(f->s, id, 128, count_big, &seen, &f->err),
	    SP_OK);
	CHECK_INT(seen, 128);
	snprintf(p, sizeof(p), "%s/data.mdb", f->path);
	CHECK_INT(stat(p, &st), 0);
	if (st.st_size < (8 << 20))
		fail_msg("data.mdb: got %lld bytes, want at least 8 MiB",
		    (long long)st.st_size);
}

static void
full_store_fails_with_store_full(void **state)
{
	struct fx *f = *state;
	unsigned char *b = calloc(1, 65536);
	char id[SP_ID_LEN + 1];
	uint32_t i;
	int rc = SP_OK;

	sp_store_close(f->s);
	f->s = NULL;
	CHECK_INT(fx_open(f, 1 << 20, 2 << 20), SP_OK);
	tu_id(id, 9);
	for (i = 0; i < 64 && rc == SP_OK; i++)
		rc = sp_store_chunk_put(f->s, id, i, b, 65536, &f->err);
	free(b);
	CHECK_INT(rc, SP_EFULL);
	CHECK_CONTAINS(f->err.msg, "store full");
	CHECK_CONTAINS(f->err.msg, f->path);
	/* Dropping the message makes room again. */
	CHECK_INT(sp_store_msg_abort(f->s, id, &f->err), SP_OK);
	CHECK_INT(
	    sp_store_kv_put(f->s, SP_KV_SESSIONS, "k", 1, "v", 1, 0, &f->err),
	    SP_OK);
}

struct kv_case {
	const char *name;
	int64_t expires; /* relative to now; 0: never */
	int want;
};

static void
kv_expired_reads_as_not_found(void **state)
{
	static const struct kv_case cases[] = {
		{ "never", 0, SP_OK },
		{ "future", 3600, SP_OK },
		{ "past", -10, SP_ENOTFOUND },
		{ "long-past", -100000, SP_ENOTFOUND },
	};
	struct fx *f = *state;
	int64_t now = (int64_t)time(NULL);
	char val[SP_KV_VAL_MAX];
	size_t i, vlen, removed;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct kv_case *c = &cases[i];
		int64_t exp = c->expires ? now + c->expires : 0;

		CHECK_INT(sp_store_kv_put(f->s, SP_KV_PASSCODES, c->name,
		              strlen(c->name), "value", 5, exp, &f->err),
		    SP_OK);
		CHECK_INT(sp_store_kv_get(f->s, SP_KV_PASSCODES, c->name,
		              strlen(c->name), val, &vlen, &f->err),
		    c->want);
		if (c->want == SP_OK)
			CHECK_MEM(val, vlen, "value", 5);
	}
	CHECK_INT(sp_store_kv_get(
	              f->s, SP_KV_SESSIONS, "never", 5, val, &vlen, &f->err),
	    SP_ENOTFOUND);
	CHECK_INT(
	    sp_store_kv_expire(f->s, SP_KV_PASSCODES, now, &removed, &f->err),
	    SP_OK);
	CHECK_INT(removed, 2);
	CHECK_INT(sp_store_kv_expire(
	              f->s, SP_KV_PASSCODES, now + 7200, &removed, &f->err),
	    SP_OK);
	CHECK_INT(removed, 1);
	CHECK_INT(sp_store_kv_get(
	              f->s, SP_KV_PASSCODES, "never", 5, val, &vlen, &f->err),
	    SP_OK);
}

static void
kv_delete_removes_record(void **state)
{
	struct fx *f = *state;
	char val[SP_KV_VAL_MAX];
	size_t vlen;

	CHECK_INT(
	    sp_store_kv_put(f->s, SP_KV_SESSIONS, "s1", 2, "x", 1, 0, &f->err),
	    SP_OK);
	CHECK_INT(
	    sp_store_kv_del(f->s, SP_KV_SESSIONS, "s1", 2, &f->err), SP_OK);
	CHECK_INT(
	    sp_store_kv_get(f->s, SP_KV_SESSIONS, "s1", 2, val, &vlen, &f->err),
	    SP_ENOTFOUND);
	CHECK_INT(sp_store_kv_del(f->s, SP_KV_SESSIONS, "s1", 2, &f->err),
	    SP_ENOTFOUND);
	CHECK_INT(sp_store_kv_put(f->s, SP_KV_SESSIONS, "s1", 2, val,
	              SP_KV_VAL_MAX + 1, 0, &f->err),
	    SP_ETOOBIG);
}

/* Adds one to a big-endian u32 counter; refuses past a limit. */
static int
bump(void *ctx, bool found, void *val, size_t *vlen, int64_t *expires)
{
	unsigned char *v = val;
	uint32_t n = found && *vlen == 4 ? sp_store_get_be32(v) : 0;

	if (n >= *(uint32_t *)ctx)
		return SP_ELIMIT;
	sp_store_be32(v, n + 1);
	*vlen = 4;
	if (!found)
		*expires = (int64_t)time(NULL) + 600;
	return 1;
}

static int
drop(void *ctx, bool found, void *val, size_t *vlen, int64_t *expires)
{
	(void)ctx;
	(void)val;
	(void)vlen;
	(void)expires;
	return found ? 2 : 0;
}

static uint32_t
counter(struct fx *f, const char *key)
{
	unsigned char val[SP_KV_VAL_MAX];
	size_t vlen = 0;

	if (sp_store_kv_get(f->s, SP_KV_RATELIMITS, key, strlen(key), val,
	        &vlen, &f->err) != SP_OK ||
	    vlen != 4)
		return 0;
	return sp_store_get_be32(val);
}

static void
kv_update_counts_and_limits(void **state)
{
	struct fx *f = *state;
	uint32_t limit = 3;
	int i;

	for (i = 0; i < 3; i++)
		CHECK_INT(sp_store_kv_update(f->s, SP_KV_RATELIMITS, "ip", 2,
		              bump, &limit, &f->err),
		    SP_OK);
	CHECK_INT(counter(f, "ip"), 3);
	CHECK_INT(sp_store_kv_update(
	              f->s, SP_KV_RATELIMITS, "ip", 2, bump, &limit, &f->err),
	    SP_ELIMIT);
	CHECK_INT(counter(f, "ip"), 3);
	CHECK_INT(sp_store_kv_update(
	              f->s, SP_KV_RATELIMITS, "ip", 2, drop, NULL, &f->err),
	    SP_OK);
	CHECK_INT(counter(f, "ip"), 0);
}

struct ev_list {
	char got[16][64];
	int n;
};

static int
collect_event(void *ctx, const struct sp_audit_event *ev)
{
	struct ev_list *l = ctx;

	if (l->n < 16)
		snprintf(l->got[l->n], sizeof(l->got[0]), "%s/%lld/%s",
		    ev->id[0] ? ev->id + 17 : "-", (long long)ev->when,
		    ev->event);
	l->n++;
	return 0;
}

static void
audit_add(struct fx *f, unsigned long idn, int64_t when, const char *what)
{
	struct sp_audit_event ev;

	memset(&ev, 0, sizeof(ev));
	if (idn)
		tu_id(ev.id, idn);
	ev.when = when;
	snprintf(ev.event, sizeof(ev.event), "%s", what);
	snprintf(ev.actor, sizeof(ev.actor), "a@example.org");
	if (sp_store_audit_add(f->s, &ev, &f->err) != SP_OK)
		fail_msg("audit_add: %s", f->err.msg);
}

static void
audit_lists_events_in_time_order(void **state)
{
	static const char *const want[] = { "00010/5/sealed", "00010/5/view",
		"00010/5/download", "00010/9/revoke" };
	struct fx *f = *state;
	struct ev_list l;
	char id[SP_ID_LEN + 1];
	size_t i;

	audit_add(f, 10, 9, "revoke");
	audit_add(f, 11, 1, "sealed");
	audit_add(f, 10, 5, "sealed");
	audit_add(f, 0, 2, "signin-failed");
	audit_add(f, 10, 5, "view");
	audit_add(f, 10, 5, "download");
	memset(&l, 0, sizeof(l));
	tu_id(id, 10);
	CHECK_INT(
	    sp_store_audit_list(f->s, id, collect_event, &l, &f->err), SP_OK);
	CHECK_INT(l.n, 4);
	for (i = 0; i < 4; i++)
		CHECK_STR(l.got[i], want[i]);
	memset(&l, 0, sizeof(l));
	CHECK_INT(
	    sp_store_audit_list(f->s, NULL, collect_event, &l, &f->err), SP_OK);
	CHECK_INT(l.n, 6);
	CHECK_STR(l.got[0], "-/2/signin-failed");
	memset(&l, 0, sizeof(l));
	CHECK_INT(
	    sp_store_audit_list(f->s, "", collect_event, &l, &f->err), SP_OK);
	CHECK_INT(l.n, 1);
}

static void
purge_keeps_tombstone_and_audit(void **state)
{
	struct fx *f = *state;
	struct sp_msg_meta m;
	struct ev_list l;
	char id[SP_ID_LEN + 1];

	tu_id(id, 12);
	CHECK_INT(write_msg(f->s, id, 2, 3, &f->err), SP_OK);
	audit_add(f, 12, 100, "sealed");
	CHECK_INT(sp_store_msg_purge(f->s, id, &f->err), SP_OK);
	CHECK_INT(sp_store_msg_get(f->s, id, &m, &f->err), SP_OK);
	CHECK_INT(m.state, SP_MSG_PURGED);
	CHECK_STR(m.sender, "sender@example.com");
	CHECK_INT(read_msg(f->s, id, 1, &f->err), SP_EEXPIRED);
	m.state = SP_MSG_ACTIVE;
	CHECK_INT(sp_store_msg_update(f->s, &m, &f->err), SP_EINVAL);
	sp_msg_meta_cleanup(&m);
	memset(&l, 0, sizeof(l));
	CHECK_INT(
	    sp_store_audit_list(f->s, id, collect_event, &l, &f->err), SP_OK);
	CHECK_INT(l.n, 1);
	tu_id(id, 13);
	CHECK_INT(sp_store_msg_purge(f->s, id, &f->err), SP_ENOTFOUND);
}

static void
update_revokes_message(void **state)
{
	struct fx *f = *state;
	struct sp_msg_meta m;
	char id[SP_ID_LEN + 1];

	tu_id(id, 14);
	CHECK_INT(write_msg(f->s, id, 0, 1, &f->err), SP_OK);
	CHECK_INT(sp_store_msg_get(f->s, id, &m, &f->err), SP_OK);
	m.state = SP_MSG_REVOKED;
	m.revoked = 1750000000;
	CHECK_INT(sp_store_msg_update(f->s, &m, &f->err), SP_OK);
	sp_msg_meta_cleanup(&m);
	CHECK_INT(sp_store_msg_get(f->s, m.id, &m, &f->err), SP_OK);
	CHECK_INT(m.state, SP_MSG_REVOKED);
	CHECK_INT(m.revoked, 1750000000);
	sp_msg_meta_cleanup(&m);
	CHECK_INT(read_msg(f->s, id, 1, &f->err), SP_OK);
}

static void
reopen_sees_everything(void **state)
{
	struct fx *f = *state;
	char id[SP_ID_LEN + 1];
	struct sp_msg_meta m;
	struct ev_list l;
	char val[SP_KV_VAL_MAX];
	size_t vlen;
	int n = 0;

	tu_id(id, 15);
	CHECK_INT(write_msg(f->s, id, 4, 6, &f->err), SP_OK);
	CHECK_INT(
	    sp_store_kv_put(f->s, SP_KV_SESSIONS, "s", 1, "v", 1, 0, &f->err),
	    SP_OK);
	audit_add(f, 15, 7, "sealed");
	sp_store_close(f->s);
	f->s = NULL;
	CHECK_INT(fx_open(f, 0, 0), SP_OK);
	CHECK_INT(read_msg(f->s, id, 6, &f->err), SP_OK);
	CHECK_INT(sp_store_msg_get(f->s, id, &m, &f->err), SP_OK);
	sp_msg_meta_cleanup(&m);
	CHECK_INT(sp_store_msg_list(f->s, count_meta, &n, &f->err), SP_OK);
	CHECK_INT(n, 1);
	CHECK_INT(
	    sp_store_kv_get(f->s, SP_KV_SESSIONS, "s", 1, val, &vlen, &f->err),
	    SP_OK);
	CHECK_MEM(val, vlen, "v", 1);
	memset(&l, 0, sizeof(l));
	CHECK_INT(
	    sp_store_audit_list(f->s, id, collect_event, &l, &f->err), SP_OK);
	CHECK_INT(l.n, 1);
}

static void
read_only_store_reads_but_refuses_writes(void **state)
{
	struct fx *f = *state;
	struct sp_store_opts o = { 0, 0, true, NULL };
	struct sp_store *ro;
	char id[SP_ID_LEN + 1];

	tu_id(id, 16);
	CHECK_INT(write_msg(f->s, id, 1, 2, &f->err), SP_OK);
	sp_store_close(f->s); /* one environment per path and process */
	f->s = NULL;
	CHECK_INT(sp_store_open(f->path, &o, &ro, &f->err), SP_OK);
	CHECK_INT(read_msg(ro, id, 2, &f->err), SP_OK);
	CHECK_INT(
	    sp_store_kv_put(ro, SP_KV_SESSIONS, "k", 1, "v", 1, 0, &f->err),
	    SP_EPERM);
	sp_store_close(ro);
}

static void
open_errors_name_the_path(void **state)
{
	struct fx *f = *state;
	struct sp_store *s2;
	char p[400];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/file", f->dir);
	fp = fopen(p, "w");
	fclose(fp);
	CHECK_INT(sp_store_open(p, NULL, &s2, &f->err), SP_EIO);
	CHECK_CONTAINS(f->err.msg, p);
	CHECK_INT(
	    sp_store_open("postgresql://x/y", NULL, &s2, &f->err), SP_ECONFIG);
	unlink(p);
}

static void
store_dir_is_private(void **state)
{
	struct fx *f = *state;
	struct stat st;

	CHECK_INT(stat(f->path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0700);
}

/* Child: opens its own store, writes messages and bumps a counter. */
static void
child_writer(const char *path, unsigned long base)
{
	struct sp_store *s;
	struct sp_error err;
	uint32_t limit = 1000000;
	char id[SP_ID_LEN + 1];
	unsigned long i;

	if (sp_store_open(path, NULL, &s, &err) != SP_OK)
		_exit(2);
	for (i = 0; i < 40; i++) {
		tu_id(id, base + i);
		if (write_msg(s, id, 2, 3, &err) != SP_OK ||
		    sp_store_kv_update(s, SP_KV_RATELIMITS, "shared", 6, bump,
		        &limit, &err) != SP_OK)
			_exit(3);
	}
	sp_store_close(s);
	_exit(0);
}

static void
two_processes_write_at_once(void **state)
{
	struct fx *f = *state;
	char id[SP_ID_LEN + 1];
	pid_t pid[2];
	int i, st, n = 0;

	sp_store_close(f->s); /* no environment across fork() */
	f->s = NULL;
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			child_writer(f->path, 1000 * (unsigned long)(i + 1));
	}
	for (i = 0; i < 2; i++) {
		CHECK_INT(waitpid(pid[i], &st, 0), pid[i]);
		CHECK_INT(WIFEXITED(st) ? WEXITSTATUS(st) : 100, 0);
	}
	CHECK_INT(fx_open(f, 0, 0), SP_OK);
	CHECK_INT(sp_store_msg_list(f->s, count_meta, &n, &f->err), SP_OK);
	CHECK_INT(n, 80);
	CHECK_INT(counter(f, "shared"), 80);
	tu_id(id, 2039);
	CHECK_INT(read_msg(f->s, id, 3, &f->err), SP_OK);
}

struct thr {
	struct sp_store *s;
	unsigned long n;
	int rc;
	char msg[512];
	volatile int *stop;
};

/* Writes a 2 MiB message in 64 KiB chunks. */
static void *
thread_writer(void *arg)
{
	struct thr *t = arg;
	unsigned char *b = malloc(65536);
	struct sp_error err;
	struct sp_msg_meta m;
	char id[SP_ID_LEN + 1];
	uint32_t i;

	tu_id(id, t->n);
	memset(b, 0x5a, 65536);
	for (i = 0; i < 32 && t->rc == SP_OK; i++) {
		b[0] = (unsigned char)i;
		t->rc = sp_store_chunk_put(t->s, id, i, b, 65536, &err);
	}
	meta_fill(&m, id, 32);
	if (t->rc == SP_OK)
		t->rc = sp_store_msg_commit(t->s, &m, 32, NULL, NULL, 0, &err);
	if (t->rc != SP_OK)
		snprintf(t->msg, sizeof(t->msg), "%s", err.msg);
	free(b);
	return NULL;
}

/* Reads and bumps records while the writers run. */
static void *
thread_reader(void *arg)
{
	struct thr *t = arg;
	struct sp_error err;
	uint32_t limit = UINT32_MAX;
	int n;

	while (!*t->stop && t->rc == SP_OK) {
		n = 0;
		t->rc = sp_store_msg_list(t->s, count_meta, &n, &err);
		if (t->rc == SP_OK)
			t->rc = sp_store_kv_update(
			    t->s, SP_KV_RATELIMITS, "r", 1, bump, &limit, &err);
	}
	if (t->rc != SP_OK)
		snprintf(t->msg, sizeof(t->msg), "%s", err.msg);
	return NULL;
}

static void
threads_grow_the_map_together(void **state)
{
	struct fx *f = *state;
	struct thr t[6];
	pthread_t th[6];
	volatile int stop = 0;
	char id[SP_ID_LEN + 1];
	uint32_t seen;
	int i;

	sp_store_close(f->s);
	f->s = NULL;
	CHECK_INT(fx_open(f, 1 << 20, 256 << 20), SP_OK);
	for (i = 0; i < 6; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].s = f->s;
		t[i].n = 100 + (unsigned long)i;
		t[i].stop = &stop;
		pthread_create(
		    &th[i], NULL, i < 4 ? thread_writer : thread_reader, &t[i]);
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	stop = 1;
	for (i = 4; i < 6; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 6; i++)
		if (t[i].rc != SP_OK)
			fail_msg("thread %d: got %d (%s), want 0", i, t[i].rc,
			    t[i].msg);
	for (i = 0; i < 4; i++) {
		seen = 0;
		tu_id(id, 100 + (unsigned long)i);
		CHECK_INT(sp_store_chunks_read(
		              f->s, id, 32, count_big, &seen, &f->err),
		    SP_OK);
		CHECK_INT(seen, 32);
	}
}

static void
map_grown_by_another_process_is_adopted(void **state)
{
	struct fx *f = *state;
	char id[SP_ID_LEN + 1];
	uint32_t seen = 0;
	pid_t pid;
	int st;

	sp_store_close(f->s);
	f->s = NULL;
	CHECK_INT(fx_open(f, 1 << 20, 64 << 20), SP_OK);
	tu_id(id, 200);
	pid = fork();
	if (pid == 0) {
		/* Its own environment; the parent's is never touched here. */
		struct sp_store *s;
		struct thr t;

		memset(&t, 0, sizeof(t));
		if (sp_store_open(f->path, NULL, &s, &f->err) != SP_OK)
			_exit(2);
		t.s = s;
		t.n = 200;
		thread_writer(&t);
		sp_store_close(s);
		_exit(t.rc == SP_OK ? 0 : 3);
	}
	CHECK_INT(waitpid(pid, &st, 0), pid);
	CHECK_INT(WIFEXITED(st) ? WEXITSTATUS(st) : 100, 0);
	CHECK_INT(sp_store_chunks_read(f->s, id, 32, count_big, &seen, &f->err),
	    SP_OK);
	CHECK_INT(seen, 32);
	CHECK_INT(
	    sp_store_kv_put(f->s, SP_KV_SESSIONS, "k", 1, "v", 1, 0, &f->err),
	    SP_OK);
}

/* Writes raw bytes under the meta key of id, past the store's checks. */
static void
poke_meta(const char *path, const char *id, const void *v, size_t vlen)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { SP_ID_LEN, (void *)id }, d = { vlen, (void *)v };

	CHECK_INT(mdb_env_create(&env), 0);
	CHECK_INT(mdb_env_set_maxdbs(env, 8), 0);
	CHECK_INT(mdb_env_open(env, path, 0, 0600), 0);
	CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	CHECK_INT(mdb_put(txn, dbi, &k, &d, 0), 0);
	CHECK_INT(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void
damaged_meta_gives_eformat(void **state)
{
	struct fx *f = *state;
	static const unsigned char junk[] = { 1, 0xff, 0xff, 0xff, 0xff, 'x' };
	struct sp_msg_meta m;
	char id[SP_ID_LEN + 1];
	int n = 0;

	tu_id(id, 17);
	CHECK_INT(write_msg(f->s, id, 1, 2, &f->err), SP_OK);
	sp_store_close(f->s);
	f->s = NULL;
	poke_meta(f->path, id, junk, sizeof(junk));
	CHECK_INT(fx_open(f, 0, 0), SP_OK);
	CHECK_INT(sp_store_msg_get(f->s, id, &m, &f->err), SP_EFORMAT);
	CHECK_CONTAINS(f->err.msg, id);
	CHECK_INT(read_msg(f->s, id, 1, &f->err), SP_EFORMAT);
	CHECK_INT(sp_store_msg_list(f->s, count_meta, &n, &f->err), SP_EFORMAT);
	CHECK_INT(sp_store_msg_purge(f->s, id, &f->err), SP_EFORMAT);
}

static void
meta_decode_refuses_every_truncation(void **state)
{
	struct sp_msg_meta m, out;
	struct sp_error err;
	unsigned char *rec;
	size_t len, i;
	char id[SP_ID_LEN + 1];

	(void)state;
	tu_id(id, 18);
	meta_fill(&m, id, 1);
	m.parent = "t000000000000000000019";
	m.revoked_rcpts = "a@example.org";
	CHECK_INT(sp_store_meta_encode(&m, &rec, &len, &err), SP_OK);
	CHECK_INT(sp_store_meta_decode(rec, len, &out, &err), SP_OK);
	CHECK_STR(out.parent, m.parent);
	CHECK_STR(out.revoked_rcpts, m.revoked_rcpts);
	CHECK_STR(out.rule, m.rule);
	sp_msg_meta_cleanup(&out);
	for (i = 0; i < len; i++)
		CHECK_INT(sp_store_meta_decode(rec, i, &out, &err), SP_EFORMAT);
	rec[0] = 2; /* unknown version */
	CHECK_INT(sp_store_meta_decode(rec, len, &out, &err), SP_EFORMAT);
	free(rec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(commit_reads_back_meta_and_chunks),
		T(uncommitted_chunks_are_invisible),
		T(callbacks_stop_at_first_nonzero),
		T(chunks_put_in_one_call_read_back),
		T(chunks_put_refuses_misuse),
		T(abort_drops_written_chunks),
		T(gc_removes_old_orphans_only),
		T(commit_refuses_misuse),
		T(commit_drops_chunks_past_the_end),
		T(withdraw_leaves_no_record),
		T(malformed_ids_are_refused),
		T(map_grows_when_full),
		T(full_store_fails_with_store_full),
		T(kv_expired_reads_as_not_found),
		T(kv_delete_removes_record),
		T(kv_update_counts_and_limits),
		T(audit_lists_events_in_time_order),
		T(purge_keeps_tombstone_and_audit),
		T(update_revokes_message),
		T(reopen_sees_everything),
		T(read_only_store_reads_but_refuses_writes),
		T(open_errors_name_the_path),
		T(store_dir_is_private),
		T(two_processes_write_at_once),
		T(threads_grow_the_map_together),
		T(map_grown_by_another_process_is_adopted),
		T(damaged_meta_gives_eformat),
		T(meta_decode_refuses_every_truncation),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
