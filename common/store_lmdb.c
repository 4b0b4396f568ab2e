/* SPDX-License-Identifier: MIT */
/*
 * store_lmdb: the LMDB backend of sp_store (contract in sp_store.h).
 *
 * One environment per store directory, opened with MDB_NOTLS so that a
 * read transaction belongs to no thread, and never with MDB_NOSYNC,
 * MDB_NOMETASYNC, MDB_MAPASYNC or MDB_WRITEMAP: every commit is durable,
 * and dirty pages live in malloc'd buffers that are freed at commit, so a
 * long run of chunk writes keeps memory flat.
 *
 * Named databases and their keys:
 *   meta      id (SP_ID_LEN bytes)          -> metadata record
 *   chunks    id + be32 seq                 -> sealed chunk
 *   pending   id                            -> be64 first chunk time
 *   passcodes, sessions, ratelimits  key    -> be64 expires + value
 *   audit     id (zeros: none) + be64 time (sign flipped) + be32 counter
 *                                           -> event, actor, detail
 *
 * Growing the map: mdb_env_set_mapsize() needs no transaction of this
 * process to be open.  Every transaction therefore holds b->lock for
 * reading; a writer that hits MDB_MAP_FULL aborts, takes the lock for
 * writing, doubles the map (up to max_size) and runs its transaction
 * again.  MDB_MAP_RESIZED (another process grew the map) is handled the
 * same way with a size of 0 (adopt the size on disk).  Transaction bodies
 * (the lm_*_txn functions) are therefore run more than once at times and
 * must not keep state between runs.
 *
 * Sweeps (expired kv records, old tombstones, old audit events) change
 * at most SWEEP_BATCH records and look at most at SWEEP_SCAN per
 * transaction, and carry on from the next key in a new one, so neither a
 * large backlog nor a large store makes one long write transaction.
 *
 * A shared store (opts->group) is opened with mode 0660 and then every
 * writer makes sure data.mdb and lock.mdb have the group and that mode:
 * mdb_env_open's mode goes through the umask, and a file made by root
 * belongs to root's group unless the directory is setgid.
 */
#include "sp_store_backend.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_KEY_LEN (SP_ID_LEN + 4)
#define AUDIT_KEY_LEN (SP_ID_LEN + 8 + 4)
#define KV_HDR        8

/* A transaction body wants the caller's own status passed back. */
#define LM_STOP (1 << 30)

struct sp_store_backend {
	MDB_env *env;
	char *path;
	pthread_rwlock_t lock; /* read: any transaction; write: resizing */
	uint64_t map_size;     /* changed only under the write lock */
	uint64_t max_size;
	bool read_only;
	bool shared; /* opts->group given: files 0660, that group */
	gid_t gid;
	MDB_dbi meta, chunks, pending, audit;
	MDB_dbi kv[3];
};

typedef int (*lm_txn_fn)(
    struct sp_store_backend *b, MDB_txn *txn, void *ctx, struct sp_error *err);

static bool
is_sp_status(int rc)
{
	return rc < 0 && rc > -100;
}

static int
lm_fail(
    struct sp_store_backend *b, int rc, const char *what, struct sp_error *err)
{
	return sp_error_set(
	    err, SP_EIO, "store %s: %s: %s", b->path, what, mdb_strerror(rc));
}

/* Maps what a transaction body or LMDB returned to a status. */
static int
lm_status(
    struct sp_store_backend *b, int rc, const char *what, struct sp_error *err)
{
	if (rc == 0 || rc == LM_STOP || is_sp_status(rc))
		return rc;
	return lm_fail(b, rc, what, err);
}

/* Called after MDB_MAP_FULL in a map of size seen. */
static int
lm_grow(struct sp_store_backend *b, uint64_t seen, struct sp_error *err)
{
	MDB_envinfo info;
	uint64_t want;
	int rc = SP_OK, dead = 0;

	pthread_rwlock_wrlock(&b->lock);
	if (b->map_size > seen)
		goto out; /* another thread grew it meanwhile */
	/* Readers of dead processes pin old pages: free them first. */
	if (mdb_reader_check(b->env, &dead) == 0 && dead > 0)
		goto out;
	if (seen >= b->max_size) {
		rc = sp_error_set(err, SP_EFULL,
		    "store full: %s has reached its maximum size of %llu "
		    "bytes (%s)",
		    b->path, (unsigned long long)b->max_size,
		    mdb_strerror(MDB_MAP_FULL));
		goto out;
	}
	want = seen > b->max_size / 2 ? b->max_size : seen * 2;
	rc = mdb_env_set_mapsize(b->env, (size_t)want);
	if (rc != 0) {
		rc = lm_fail(b, rc, "growing the map", err);
		goto out;
	}
	mdb_env_info(b->env, &info);
	b->map_size = info.me_mapsize;
out:
	pthread_rwlock_unlock(&b->lock);
	return rc;
}

/* Another process grew the map: adopt its size. */
static int
lm_adopt(struct sp_store_backend *b, struct sp_error *err)
{
	MDB_envinfo info;
	int rc;

	pthread_rwlock_wrlock(&b->lock);
	rc = mdb_env_set_mapsize(b->env, 0);
	if (rc == 0) {
		mdb_env_info(b->env, &info);
		b->map_size = info.me_mapsize;
	} else {
		rc = lm_fail(b, rc, "adopting the new map size", err);
	}
	pthread_rwlock_unlock(&b->lock);
	return rc;
}

static int
lm_write(struct sp_store_backend *b, lm_txn_fn fn, void *ctx, const char *what,
    struct sp_error *err)
{
	MDB_txn *txn;
	uint64_t seen;
	int rc;

	if (b->read_only)
		return sp_error_set(
		    err, SP_EPERM, "store %s: %s: read-only", b->path, what);
	for (;;) {
		pthread_rwlock_rdlock(&b->lock);
		seen = b->map_size;
		rc = mdb_txn_begin(b->env, NULL, 0, &txn);
		if (rc == 0) {
			rc = fn(b, txn, ctx, err);
			if (rc == 0)
				rc = mdb_txn_commit(txn);
			else
				mdb_txn_abort(txn);
		}
		pthread_rwlock_unlock(&b->lock);
		if (rc == MDB_MAP_FULL)
			rc = lm_grow(b, seen, err);
		else if (rc == MDB_MAP_RESIZED)
			rc = lm_adopt(b, err);
		else
			break;
		if (rc != 0)
			return rc;
	}
	return lm_status(b, rc, what, err);
}

static int
lm_read(struct sp_store_backend *b, lm_txn_fn fn, void *ctx, const char *what,
    struct sp_error *err)
{
	MDB_txn *txn;
	int rc;

	for (;;) {
		pthread_rwlock_rdlock(&b->lock);
		rc = mdb_txn_begin(b->env, NULL, MDB_RDONLY, &txn);
		if (rc == 0) {
			rc = fn(b, txn, ctx, err);
			mdb_txn_abort(txn);
		}
		pthread_rwlock_unlock(&b->lock);
		if (rc != MDB_MAP_RESIZED)
			break;
		if ((rc = lm_adopt(b, err)) != 0)
			return rc;
	}
	return lm_status(b, rc, what, err);
}

static MDB_val
val_of(const void *p, size_t n)
{
	MDB_val v;

	v.mv_data = (void *)p;
	v.mv_size = n;
	return v;
}

static void
chunk_key(unsigned char k[CHUNK_KEY_LEN], const char *id, uint32_t seq)
{
	memcpy(k, id, SP_ID_LEN);
	sp_store_be32(k + SP_ID_LEN, seq);
}

static bool
meta_exists(struct sp_store_backend *b, MDB_txn *txn, const char *id)
{
	MDB_val k = val_of(id, SP_ID_LEN), v;

	return mdb_get(txn, b->meta, &k, &v) == 0;
}

/* Deletes the chunks of id from seq first on; *n (if not NULL) counts
 * them. */
static int
lm_del_chunks(struct sp_store_backend *b, MDB_txn *txn, const char *id,
    uint32_t first, size_t *n)
{
	unsigned char kb[CHUNK_KEY_LEN];
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, b->chunks, &cur)) != 0)
		return rc;
	chunk_key(kb, id, first);
	k = val_of(kb, sizeof(kb));
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size == CHUNK_KEY_LEN &&
	    memcmp(k.mv_data, id, SP_ID_LEN) == 0) {
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			goto out;
		if (n != NULL)
			(*n)++;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (rc == MDB_NOTFOUND || rc == 0)
		rc = 0;
out:
	mdb_cursor_close(cur);
	return rc;
}

/* --- chunks and commit --- */

struct put_ctx {
	const char *id;
	uint32_t first_seq;
	const unsigned char *const *data;
	const size_t *len;
	size_t n;
};

static int
lm_chunks_put_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct put_ctx *c = vctx;
	unsigned char kb[CHUNK_KEY_LEN], tb[8];
	MDB_val k, v;
	size_t i;
	int rc;

	if (meta_exists(b, txn, c->id))
		return sp_error_set(err, SP_EEXIST,
		    "store %s: message %s is already committed", b->path,
		    c->id);
	for (i = 0; i < c->n; i++) {
		chunk_key(kb, c->id, c->first_seq + (uint32_t)i);
		k = val_of(kb, sizeof(kb));
		v = val_of(c->data[i], c->len[i]);
		if ((rc = mdb_put(txn, b->chunks, &k, &v, 0)) != 0)
			return rc;
	}
	/* Remember when the message began, for sp_store_gc_orphans. */
	sp_store_be64(tb, (uint64_t)time(NULL));
	k = val_of(c->id, SP_ID_LEN);
	v = val_of(tb, sizeof(tb));
	rc = mdb_put(txn, b->pending, &k, &v, MDB_NOOVERWRITE);
	return rc == MDB_KEYEXIST ? 0 : rc;
}

static int
lm_chunks_put(struct sp_store_backend *b, const char *id, uint32_t first_seq,
    const unsigned char *const *data, const size_t *len, size_t n,
    struct sp_error *err)
{
	struct put_ctx c = { id, first_seq, data, len, n };

	return lm_write(b, lm_chunks_put_txn, &c, "writing chunks", err);
}

static int
lm_chunk_put(struct sp_store_backend *b, const char *id, uint32_t seq,
    const unsigned char *data, size_t len, struct sp_error *err)
{
	struct put_ctx c = { id, seq, &data, &len, 1 };

	return lm_write(b, lm_chunks_put_txn, &c, "writing a chunk", err);
}

struct commit_ctx {
	const char *id;
	const unsigned char *rec;
	size_t reclen;
	uint32_t first_seq;
	const unsigned char *const *tail;
	const size_t *tail_len;
	size_t ntail;
};

/* Chunks 0..first_seq-1 must all be there (gc may have taken them). */
static int
lm_check_written(struct sp_store_backend *b, MDB_txn *txn,
    const struct commit_ctx *c, struct sp_error *err)
{
	unsigned char kb[CHUNK_KEY_LEN];
	MDB_val k, v;
	uint32_t seq;
	int rc;

	for (seq = 0; seq < c->first_seq; seq++) {
		chunk_key(kb, c->id, seq);
		k = val_of(kb, sizeof(kb));
		rc = mdb_get(txn, b->chunks, &k, &v);
		if (rc == MDB_NOTFOUND)
			return sp_error_set(err, SP_ENOTFOUND,
			    "store %s: message %s: chunk %u was never written "
			    "or was removed as an orphan",
			    b->path, c->id, seq);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
lm_commit_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct commit_ctx *c = vctx;
	unsigned char kb[CHUNK_KEY_LEN];
	MDB_val k, v;
	size_t i;
	int rc;

	if (meta_exists(b, txn, c->id))
		return sp_error_set(err, SP_EEXIST,
		    "store %s: message %s already exists", b->path, c->id);
	if ((rc = lm_check_written(b, txn, c, err)) != 0)
		return rc;
	for (i = 0; i < c->ntail; i++) {
		chunk_key(kb, c->id, c->first_seq + (uint32_t)i);
		k = val_of(kb, sizeof(kb));
		v = val_of(c->tail[i], c->tail_len[i]);
		if ((rc = mdb_put(txn, b->chunks, &k, &v, 0)) != 0)
			return rc;
	}
	/* Chunks past the end (a writer that changed its mind) would never
	 * be read nor collected. */
	rc = lm_del_chunks(
	    b, txn, c->id, c->first_seq + (uint32_t)c->ntail, NULL);
	if (rc != 0)
		return rc;
	k = val_of(c->id, SP_ID_LEN);
	v = val_of(c->rec, c->reclen);
	if ((rc = mdb_put(txn, b->meta, &k, &v, MDB_NOOVERWRITE)) != 0)
		return rc;
	rc = mdb_del(txn, b->pending, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
lm_msg_commit(struct sp_store_backend *b, const struct sp_msg_meta *m,
    uint32_t first_seq, const unsigned char *const *tail,
    const size_t *tail_len, size_t ntail, struct sp_error *err)
{
	struct commit_ctx c = { m->id, NULL, 0, first_seq, tail, tail_len,
		ntail };
	unsigned char *rec;
	int rc;

	if ((rc = sp_store_meta_encode(m, &rec, &c.reclen, err)) != SP_OK)
		return rc;
	c.rec = rec;
	rc = lm_write(b, lm_commit_txn, &c, "committing a message", err);
	free(rec);
	return rc;
}

static int
lm_abort_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	const char *id = vctx;
	MDB_val k = val_of(id, SP_ID_LEN);
	int rc;

	if (meta_exists(b, txn, id))
		return sp_error_set(err, SP_EEXIST,
		    "store %s: message %s is committed (purge it instead)",
		    b->path, id);
	if ((rc = lm_del_chunks(b, txn, id, 0, NULL)) != 0)
		return rc;
	rc = mdb_del(txn, b->pending, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
lm_msg_abort(struct sp_store_backend *b, const char *id, struct sp_error *err)
{
	return lm_write(b, lm_abort_txn, (void *)id, "aborting a message", err);
}

/* Deletes the metadata, the chunks and any pending mark of id: no
 * tombstone (see sp_store_msg_withdraw). */
static int
lm_withdraw_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	const char *id = vctx;
	MDB_val k = val_of(id, SP_ID_LEN);
	int rc;

	rc = mdb_del(txn, b->meta, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return sp_error_set(err, SP_ENOTFOUND,
		    "store %s: no message %.*s", b->path, SP_ID_LEN, id);
	if (rc != 0 || (rc = lm_del_chunks(b, txn, id, 0, NULL)) != 0)
		return rc;
	rc = mdb_del(txn, b->pending, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
lm_msg_withdraw(
    struct sp_store_backend *b, const char *id, struct sp_error *err)
{
	return lm_write(
	    b, lm_withdraw_txn, (void *)id, "withdrawing a message", err);
}

/* --- metadata --- */

/* Reads and decodes the metadata of id; SP_ENOTFOUND when absent. */
static int
lm_meta_load(struct sp_store_backend *b, MDB_txn *txn, const char *id,
    struct sp_msg_meta *m, struct sp_error *err)
{
	MDB_val k = val_of(id, SP_ID_LEN), v;
	struct sp_error e2;
	int rc;

	rc = mdb_get(txn, b->meta, &k, &v);
	if (rc == MDB_NOTFOUND)
		return sp_error_set(err, SP_ENOTFOUND,
		    "store %s: no message %.*s", b->path, SP_ID_LEN, id);
	if (rc != 0)
		return rc;
	rc = sp_store_meta_decode(v.mv_data, v.mv_size, m, &e2);
	if (rc != SP_OK)
		return sp_error_set(err, rc, "store %s: message %.*s: %s",
		    b->path, SP_ID_LEN, id, e2.msg);
	return SP_OK;
}

struct get_ctx {
	const char *id;
	struct sp_msg_meta *m;
};

static int
lm_get_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct get_ctx *c = vctx;

	return lm_meta_load(b, txn, c->id, c->m, err);
}

static int
lm_msg_get(struct sp_store_backend *b, const char *id, struct sp_msg_meta *out,
    struct sp_error *err)
{
	struct get_ctx c = { id, out };

	return lm_read(b, lm_get_txn, &c, "reading metadata", err);
}

/* Chunks are read one transaction each and copied out, so that the
 * callback runs outside any transaction (it may be slow, or call the
 * store) and no old pages stay pinned while a client downloads. */
#define CHUNK_READ_MAX (16u << 20)

struct read_ctx {
	const char *id;
	uint32_t n, seq;
	unsigned char *buf;
	size_t len, cap;
};

/* Unmaps the pages of a chunk just copied, rounded outwards: the map is
 * read-only and shared, so the pages stay in the page cache and the next
 * access (to a neighbouring record on an edge page) faults them back in.
 * Without this a 50 MB read would leave 50 MB mapped into this process
 * (resident set size growing with the message).  Messages of at most
 * DROP_FROM chunks (1 MiB) keep their pages: a portal worker reading the
 * same small message again then finds them mapped, instead of an unmap
 * and page faults on every read, and what stays mapped is shared page
 * cache, bounded by the store. */
#define DROP_FROM 16
static void
drop_pages(const void *data, size_t len)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)data & ~(pg - 1);
	uintptr_t end = ((uintptr_t)data + len + pg - 1) & ~(pg - 1);

	if (len > 0)
		(void)madvise((void *)start, end - start, MADV_DONTNEED);
}

/* The message must still be committed and not purged. */
static int
lm_chunks_check(struct sp_store_backend *b, MDB_txn *txn, struct read_ctx *c,
    struct sp_error *err)
{
	struct sp_msg_meta m;
	int rc;

	if ((rc = lm_meta_load(b, txn, c->id, &m, err)) != SP_OK)
		return rc;
	if (m.state == SP_MSG_PURGED)
		rc = sp_error_set(err, SP_EEXPIRED,
		    "store %s: message %s was purged", b->path, c->id);
	else if (c->n > m.nchunks)
		rc = sp_error_set(err, SP_EINVAL,
		    "store %s: message %s has %u chunks, not %u", b->path,
		    c->id, m.nchunks, c->n);
	sp_msg_meta_cleanup(&m);
	return rc;
}

static int
lm_check_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	return lm_chunks_check(b, txn, vctx, err);
}

static int
lm_chunk_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct read_ctx *c = vctx;
	unsigned char kb[CHUNK_KEY_LEN];
	MDB_val k, v;
	int rc;

	if ((rc = lm_chunks_check(b, txn, c, err)) != SP_OK)
		return rc;
	chunk_key(kb, c->id, c->seq);
	k = val_of(kb, sizeof(kb));
	rc = mdb_get(txn, b->chunks, &k, &v);
	if (rc == MDB_NOTFOUND || (rc == 0 && v.mv_size > CHUNK_READ_MAX))
		return sp_error_set(err, SP_EIO,
		    "store %s: message %s: chunk %u is missing or too big "
		    "(store damaged)",
		    b->path, c->id, c->seq);
	if (rc != 0)
		return rc;
	if (v.mv_size > c->cap) {
		unsigned char *nb = realloc(c->buf, v.mv_size);

		if (nb == NULL)
			return sp_error_set(err, SP_ENOMEM, "out of memory");
		c->buf = nb;
		c->cap = v.mv_size;
	}
	if (v.mv_size > 0)
		memcpy(c->buf, v.mv_data, v.mv_size);
	c->len = v.mv_size;
	if (c->n > DROP_FROM)
		drop_pages(v.mv_data, v.mv_size);
	return 0;
}

static int
lm_chunks_read(struct sp_store_backend *b, const char *id, uint32_t n,
    sp_store_chunk_fn fn, void *ctx, struct sp_error *err)
{
	struct read_ctx c = { id, n, 0, NULL, 0, 0 };
	int rc = SP_OK;

	if (n == 0)
		return lm_read(b, lm_check_txn, &c, "reading chunks", err);
	for (c.seq = 0; c.seq < n; c.seq++) {
		rc = lm_read(b, lm_chunk_txn, &c, "reading chunks", err);
		if (rc != SP_OK)
			break;
		if ((rc = fn(ctx, c.seq, c.buf, c.len)) != 0)
			break;
	}
	free(c.buf);
	return rc;
}

/* Writes m (loaded from id in txn) back as a tombstone and deletes its
 * chunks.  The purge time is now, or kept when m was purged before. */
static int
lm_tombstone_put(struct sp_store_backend *b, MDB_txn *txn, const char *id,
    struct sp_msg_meta *m, struct sp_error *err)
{
	unsigned char *rec = NULL;
	size_t reclen;
	MDB_val k = val_of(id, SP_ID_LEN), v;
	int rc;

	if (m->state != SP_MSG_PURGED || m->purged == 0)
		m->purged = (int64_t)time(NULL);
	m->state = SP_MSG_PURGED;
	if ((rc = sp_store_meta_encode(m, &rec, &reclen, err)) != SP_OK)
		return rc;
	v = val_of(rec, reclen);
	rc = mdb_put(txn, b->meta, &k, &v, 0);
	if (rc == 0)
		rc = lm_del_chunks(b, txn, id, 0, NULL);
	free(rec);
	return rc;
}

struct update_ctx {
	const struct sp_msg_meta *m;
	const unsigned char *rec;
	size_t reclen;
};

static int
lm_update_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct update_ctx *c = vctx;
	struct sp_msg_meta old;
	MDB_val k = val_of(c->m->id, SP_ID_LEN), v;
	uint32_t was;
	int64_t purged;
	int rc;

	if ((rc = lm_meta_load(b, txn, c->m->id, &old, err)) != SP_OK)
		return rc;
	was = old.state;
	purged = old.purged;
	sp_msg_meta_cleanup(&old);
	if (was == SP_MSG_PURGED && c->m->state != SP_MSG_PURGED)
		return sp_error_set(err, SP_EINVAL,
		    "store %s: message %s was purged and stays so", b->path,
		    c->m->id);
	if (c->m->state == SP_MSG_PURGED) {
		struct sp_msg_meta m = *c->m;

		m.state = was; /* keeps the purge time of an old tombstone */
		m.purged = purged;
		return lm_tombstone_put(b, txn, c->m->id, &m, err);
	}
	v = val_of(c->rec, c->reclen);
	return mdb_put(txn, b->meta, &k, &v, 0);
}

static int
lm_msg_update(struct sp_store_backend *b, const struct sp_msg_meta *m,
    struct sp_error *err)
{
	struct update_ctx c = { m, NULL, 0 };
	struct sp_msg_meta live = *m;
	unsigned char *rec;
	int rc;

	live.purged = 0; /* only a tombstone has a purge time */
	if ((rc = sp_store_meta_encode(&live, &rec, &c.reclen, err)) != SP_OK)
		return rc;
	c.rec = rec;
	rc = lm_write(b, lm_update_txn, &c, "updating metadata", err);
	free(rec);
	return rc;
}

static int
lm_purge_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	const char *id = vctx;
	struct sp_msg_meta m;
	int rc;

	if ((rc = lm_meta_load(b, txn, id, &m, err)) != SP_OK)
		return rc;
	rc = lm_tombstone_put(b, txn, id, &m, err);
	sp_msg_meta_cleanup(&m);
	return rc;
}

static int
lm_msg_purge(struct sp_store_backend *b, const char *id, struct sp_error *err)
{
	return lm_write(b, lm_purge_txn, (void *)id, "purging a message", err);
}

struct purge_if_ctx {
	const char *id;
	int64_t now;
	bool purged;
	struct sp_msg_meta m; /* as it was before */
};

static int
lm_purge_if_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct purge_if_ctx *c = vctx;
	struct sp_msg_meta m;
	bool due;
	int rc;

	/* A run cut short by a map resize may have loaded it already. */
	sp_msg_meta_cleanup(&c->m);
	memset(&c->m, 0, sizeof(c->m));
	c->purged = false;
	if ((rc = lm_meta_load(b, txn, c->id, &c->m, err)) != SP_OK)
		return rc;
	due = c->m.state == SP_MSG_REVOKED ||
	    (c->m.state == SP_MSG_ACTIVE && c->m.expires != 0 &&
	        c->m.expires <= c->now);
	if (!due)
		return LM_STOP; /* nothing to write */
	m = c->m; /* shares the strings; only state and purged change */
	rc = lm_tombstone_put(b, txn, c->id, &m, err);
	c->purged = rc == 0;
	return rc;
}

static int
lm_msg_purge_expired(struct sp_store_backend *b, const char *id, int64_t now,
    bool *purged, struct sp_msg_meta *was, struct sp_error *err)
{
	struct purge_if_ctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.now = now;
	rc = lm_write(b, lm_purge_if_txn, &c, "purging a message", err);
	if (rc == LM_STOP)
		rc = SP_OK;
	*purged = rc == SP_OK && c.purged;
	if (rc == SP_OK && was != NULL)
		*was = c.m;
	else
		sp_msg_meta_cleanup(&c.m);
	return rc;
}

struct list_ctx {
	sp_store_meta_fn fn;
	void *ctx;
	int urc;
};

static int
lm_list_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct list_ctx *c = vctx;
	struct sp_msg_meta m;
	struct sp_error e2;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, b->meta, &cur)) != 0)
		return rc;
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		rc = sp_store_meta_decode(v.mv_data, v.mv_size, &m, &e2);
		if (rc != SP_OK) {
			sp_error_set(err, rc, "store %s: message %.*s: %s",
			    b->path, (int)(k.mv_size < 64 ? k.mv_size : 64),
			    (const char *)k.mv_data, e2.msg);
			goto out;
		}
		c->urc = c->fn(c->ctx, &m);
		sp_msg_meta_cleanup(&m);
		if (c->urc != 0) {
			rc = LM_STOP;
			goto out;
		}
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
out:
	mdb_cursor_close(cur);
	return rc;
}

static int
lm_msg_list(struct sp_store_backend *b, sp_store_meta_fn fn, void *ctx,
    struct sp_error *err)
{
	struct list_ctx c = { fn, ctx, 0 };
	int rc;

	rc = lm_read(b, lm_list_txn, &c, "listing messages", err);
	return rc == LM_STOP ? c.urc : rc;
}

/* --- orphans --- */

struct gc_ctx {
	int64_t cutoff; /* pending entries begun at or before go */
	size_t removed;
	char (*ids)[SP_ID_LEN];
	size_t nids, cap;
};

/* Collects the ids of pending messages begun at or before the cutoff. */
static int
lm_gc_collect(struct sp_store_backend *b, MDB_txn *txn, struct gc_ctx *c)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	c->nids = 0;
	if ((rc = mdb_cursor_open(txn, b->pending, &cur)) != 0)
		return rc;
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		if (k.mv_size != SP_ID_LEN ||
		    (v.mv_size == 8 &&
		        (int64_t)sp_store_get_be64(v.mv_data) > c->cutoff))
			continue;
		if (c->nids == c->cap) {
			size_t ncap = c->cap ? c->cap * 2 : 64;
			void *n = realloc(c->ids, ncap * sizeof(*c->ids));

			if (n == NULL) {
				rc = ENOMEM;
				break;
			}
			c->ids = n;
			c->cap = ncap;
		}
		memcpy(c->ids[c->nids++], k.mv_data, SP_ID_LEN);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
lm_gc_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct gc_ctx *c = vctx;
	char id[SP_ID_LEN + 1];
	MDB_val k;
	size_t i;
	int rc;

	(void)err;
	c->removed = 0;
	if ((rc = lm_gc_collect(b, txn, c)) != 0)
		return rc;
	for (i = 0; i < c->nids; i++) {
		memcpy(id, c->ids[i], SP_ID_LEN);
		id[SP_ID_LEN] = '\0';
		/* A committed message keeps its chunks. */
		if (!meta_exists(b, txn, id) &&
		    (rc = lm_del_chunks(b, txn, id, 0, &c->removed)) != 0)
			return rc;
		k = val_of(id, SP_ID_LEN);
		if ((rc = mdb_del(txn, b->pending, &k, NULL)) != 0)
			return rc;
	}
	return 0;
}

static int
lm_gc_orphans(struct sp_store_backend *b, int64_t max_age, size_t *removed,
    struct sp_error *err)
{
	struct gc_ctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.cutoff = (int64_t)time(NULL) - (max_age > 0 ? max_age : 0);
	rc = lm_write(b, lm_gc_txn, &c, "removing orphan chunks", err);
	*removed = rc == SP_OK ? c.removed : 0;
	free(c.ids);
	return rc;
}

/* --- small records with an expiry --- */

static bool
kv_live(const MDB_val *v, int64_t now)
{
	int64_t exp;

	if (v->mv_size < KV_HDR)
		return false;
	exp = (int64_t)sp_store_get_be64(v->mv_data);
	return exp == 0 || exp > now;
}

struct kv_ctx {
	enum sp_kv_table t;
	const void *key;
	size_t klen;
	const void *val;
	size_t vlen;
	int64_t expires;
	sp_kv_update_fn fn;
	void *ctx;
	int urc;
	unsigned char buf[KV_HDR + SP_KV_VAL_MAX];
};

static int
lm_kv_put_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct kv_ctx *c = vctx;
	MDB_val k = val_of(c->key, c->klen), v;

	(void)err;
	sp_store_be64(c->buf, (uint64_t)c->expires);
	if (c->vlen > 0)
		memcpy(c->buf + KV_HDR, c->val, c->vlen);
	v = val_of(c->buf, KV_HDR + c->vlen);
	return mdb_put(txn, b->kv[c->t], &k, &v, 0);
}

static int
lm_kv_put(struct sp_store_backend *b, enum sp_kv_table t, const void *key,
    size_t klen, const void *val, size_t vlen, int64_t expires,
    struct sp_error *err)
{
	struct kv_ctx *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		return sp_error_set(err, SP_ENOMEM, "out of memory");
	c->t = t;
	c->key = key;
	c->klen = klen;
	c->val = val;
	c->vlen = vlen;
	c->expires = expires;
	rc = lm_write(b, lm_kv_put_txn, c, "writing a record", err);
	free(c);
	return rc;
}

struct kv_get_ctx {
	enum sp_kv_table t;
	const void *key;
	size_t klen;
	void *val;
	size_t *vlen;
};

static int
lm_kv_get_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct kv_get_ctx *c = vctx;
	MDB_val k = val_of(c->key, c->klen), v;
	int rc;

	rc = mdb_get(txn, b->kv[c->t], &k, &v);
	if (rc == MDB_NOTFOUND || (rc == 0 && !kv_live(&v, time(NULL))))
		return sp_error_set(
		    err, SP_ENOTFOUND, "store %s: no such record", b->path);
	if (rc != 0)
		return rc;
	if (v.mv_size > KV_HDR + SP_KV_VAL_MAX)
		return sp_error_set(err, SP_EFORMAT,
		    "store %s: damaged record (%zu bytes)", b->path, v.mv_size);
	*c->vlen = v.mv_size - KV_HDR;
	if (*c->vlen > 0)
		memcpy(c->val, (unsigned char *)v.mv_data + KV_HDR, *c->vlen);
	return 0;
}

static int
lm_kv_get(struct sp_store_backend *b, enum sp_kv_table t, const void *key,
    size_t klen, void *val, size_t *vlen, struct sp_error *err)
{
	struct kv_get_ctx c = { t, key, klen, val, vlen };

	*vlen = 0;
	return lm_read(b, lm_kv_get_txn, &c, "reading a record", err);
}

static int
lm_kv_del_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct kv_get_ctx *c = vctx;
	MDB_val k = val_of(c->key, c->klen);
	int rc;

	rc = mdb_del(txn, b->kv[c->t], &k, NULL);
	if (rc == MDB_NOTFOUND)
		return sp_error_set(
		    err, SP_ENOTFOUND, "store %s: no such record", b->path);
	return rc;
}

static int
lm_kv_del(struct sp_store_backend *b, enum sp_kv_table t, const void *key,
    size_t klen, struct sp_error *err)
{
	struct kv_get_ctx c = { t, key, klen, NULL, NULL };

	return lm_write(b, lm_kv_del_txn, &c, "deleting a record", err);
}

static int
lm_kv_update_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct kv_ctx *c = vctx;
	MDB_val k = val_of(c->key, c->klen), v;
	bool found;
	int rc, r;

	rc = mdb_get(txn, b->kv[c->t], &k, &v);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	found = rc == 0 && kv_live(&v, time(NULL)) &&
	    v.mv_size <= KV_HDR + SP_KV_VAL_MAX;
	c->vlen = found ? v.mv_size - KV_HDR : 0;
	c->expires = found ? (int64_t)sp_store_get_be64(v.mv_data) : 0;
	memset(c->buf, 0, sizeof(c->buf));
	if (found && c->vlen > 0)
		memcpy(c->buf + KV_HDR, (unsigned char *)v.mv_data + KV_HDR,
		    c->vlen);
	r = c->fn(c->ctx, found, c->buf + KV_HDR, &c->vlen, &c->expires);
	if (r < 0) {
		c->urc = r;
		return LM_STOP;
	}
	if (r == 0)
		return 0;
	if (r == 2) {
		rc = mdb_del(txn, b->kv[c->t], &k, NULL);
		return rc == MDB_NOTFOUND ? 0 : rc;
	}
	if (r != 1 || c->vlen > SP_KV_VAL_MAX)
		return sp_error_set(err, SP_EINVAL,
		    "store %s: update callback returned %d, length %zu",
		    b->path, r, c->vlen);
	sp_store_be64(c->buf, (uint64_t)c->expires);
	v = val_of(c->buf, KV_HDR + c->vlen);
	return mdb_put(txn, b->kv[c->t], &k, &v, 0);
}

static int
lm_kv_update(struct sp_store_backend *b, enum sp_kv_table t, const void *key,
    size_t klen, sp_kv_update_fn fn, void *ctx, struct sp_error *err)
{
	struct kv_ctx *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		return sp_error_set(err, SP_ENOMEM, "out of memory");
	c->t = t;
	c->key = key;
	c->klen = klen;
	c->fn = fn;
	c->ctx = ctx;
	rc = lm_write(b, lm_kv_update_txn, c, "updating a record", err);
	if (rc == LM_STOP)
		rc = c->urc;
	free(c);
	return rc;
}

/* --- the audit trail --- */

static void
audit_prefix(unsigned char *k, const char *id, int64_t when)
{
	memset(k, 0, SP_ID_LEN);
	if (id != NULL && id[0] != '\0')
		memcpy(k, id, SP_ID_LEN);
	/* Flip the sign bit so that times sort as unsigned big-endian. */
	sp_store_be64(k + SP_ID_LEN, (uint64_t)when ^ (1ULL << 63));
}

struct audit_ctx {
	const char *id;
	sp_store_audit_fn fn;
	void *ctx;
	int urc;
};

/* The next free counter for events of the same message and second. */
static int
lm_audit_next(MDB_cursor *cur, const unsigned char *kb, uint32_t *next)
{
	unsigned char probe[AUDIT_KEY_LEN];
	MDB_val k, v;
	int rc;

	memcpy(probe, kb, AUDIT_KEY_LEN - 4);
	sp_store_be32(probe + AUDIT_KEY_LEN - 4, UINT32_MAX);
	k = val_of(probe, sizeof(probe));
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	*next = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (k.mv_size == AUDIT_KEY_LEN &&
	    memcmp(k.mv_data, kb, AUDIT_KEY_LEN - 4) == 0) {
		uint32_t last = sp_store_get_be32(
		    (unsigned char *)k.mv_data + AUDIT_KEY_LEN - 4);

		if (last == UINT32_MAX)
			return MDB_KEYEXIST;
		*next = last + 1;
	}
	return 0;
}

/* Adds one encoded event under the next free key of its message and
 * second. */
static int
lm_audit_put(MDB_txn *txn, MDB_cursor *cur, MDB_dbi dbi,
    const struct sp_audit_event *ev, const unsigned char *val, size_t vlen)
{
	unsigned char kb[AUDIT_KEY_LEN];
	MDB_val k, v;
	uint32_t next;
	int rc;

	audit_prefix(kb, ev->id, ev->when);
	if ((rc = lm_audit_next(cur, kb, &next)) != 0)
		return rc;
	sp_store_be32(kb + AUDIT_KEY_LEN - 4, next);
	k = val_of(kb, sizeof(kb));
	v = val_of(val, vlen);
	return mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE);
}

struct audit_add_ctx {
	const struct sp_audit_event *ev;
	size_t n;
};

static int
lm_audit_add_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct audit_add_ctx *c = vctx;
	unsigned char val[SP_AUDIT_VAL_MAX];
	MDB_cursor *cur;
	size_t i, vlen;
	int rc;

	if ((rc = mdb_cursor_open(txn, b->audit, &cur)) != 0)
		return rc;
	for (i = 0; i < c->n && rc == 0; i++) {
		/* an event that cannot be encoded aborts the transaction */
		rc = sp_store_audit_encode(
		    &c->ev[i], val, sizeof(val), &vlen, err);
		if (rc == SP_OK)
			rc = lm_audit_put(
			    txn, cur, b->audit, &c->ev[i], val, vlen);
	}
	mdb_cursor_close(cur);
	return rc;
}

static int
lm_audit_add(struct sp_store_backend *b, const struct sp_audit_event *ev,
    size_t n, struct sp_error *err)
{
	struct audit_add_ctx c = { ev, n };

	return lm_write(b, lm_audit_add_txn, &c,
	    n == 1 ? "adding an audit event" : "adding audit events", err);
}

/* Turns one audit record into an event; SP_EFORMAT when damaged. */
static int
audit_unpack(struct sp_store_backend *b, const MDB_val *k, const MDB_val *v,
    struct sp_audit_event *ev, struct sp_error *err)
{
	static const char none[SP_ID_LEN];
	const unsigned char *kp = k->mv_data;
	struct sp_error e2;

	memset(ev, 0, sizeof(*ev));
	if (k->mv_size != AUDIT_KEY_LEN ||
	    sp_store_audit_decode(v->mv_data, v->mv_size, ev, &e2) != SP_OK)
		return sp_error_set(
		    err, SP_EFORMAT, "store %s: damaged audit record", b->path);
	if (memcmp(kp, none, SP_ID_LEN) != 0)
		memcpy(ev->id, kp, SP_ID_LEN);
	ev->when = (int64_t)(sp_store_get_be64(kp + SP_ID_LEN) ^ (1ULL << 63));
	return SP_OK;
}

static int
lm_audit_list_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct audit_ctx *c = vctx;
	unsigned char kb[AUDIT_KEY_LEN];
	struct sp_audit_event ev;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, b->audit, &cur)) != 0)
		return rc;
	memset(kb, 0, sizeof(kb));
	if (c->id != NULL)
		audit_prefix(kb, c->id, INT64_MIN);
	k = val_of(kb, sizeof(kb));
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (c->id != NULL &&
		    (k.mv_size < SP_ID_LEN ||
		        memcmp(k.mv_data, kb, SP_ID_LEN) != 0))
			break;
		if ((rc = audit_unpack(b, &k, &v, &ev, err)) != SP_OK)
			goto out;
		if ((c->urc = c->fn(c->ctx, &ev)) != 0) {
			rc = LM_STOP;
			goto out;
		}
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
out:
	mdb_cursor_close(cur);
	return rc;
}

static int
lm_audit_list(struct sp_store_backend *b, const char *id, sp_store_audit_fn fn,
    void *ctx, struct sp_error *err)
{
	struct audit_ctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.fn = fn;
	c.ctx = ctx;
	rc = lm_read(b, lm_audit_list_txn, &c, "listing the audit trail", err);
	return rc == LM_STOP ? c.urc : rc;
}

/* --- retention: tombstones and old audit events --- */

/* Records changed, and records looked at, per transaction: keeps each
 * write transaction short (the milter and the portal wait for it) and
 * the dirty pages it holds in memory few, however big the store. */
#define SWEEP_BATCH   1000
#define SWEEP_SCAN    10000
#define SWEEP_KEY_MAX 512 /* LMDB's longest key is 511 bytes */

struct sweep_ctx {
	int64_t before;                    /* kv: now */
	enum sp_kv_table t;                /* kv: the table */
	unsigned char from[SWEEP_KEY_MAX]; /* this batch starts here */
	size_t from_len;                   /* 0: at the first record */
	unsigned char next[SWEEP_KEY_MAX]; /* the next batch starts here */
	size_t next_len;                   /* 0: nothing left */
	size_t scanned;
	unsigned char del[SWEEP_BATCH][AUDIT_KEY_LEN];
	size_t ndel;
	char stamp[SWEEP_BATCH][SP_ID_LEN]; /* tombstones without a time */
	size_t nstamp;
};

static int
sweep_first(MDB_cursor *cur, struct sweep_ctx *c, MDB_val *k, MDB_val *v)
{
	if (c->from_len == 0)
		return mdb_cursor_get(cur, k, v, MDB_FIRST);
	*k = val_of(c->from, c->from_len);
	return mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
}

static void
sweep_resume_at(struct sweep_ctx *c, const MDB_val *k)
{
	c->next_len = k->mv_size <= sizeof(c->next) ? k->mv_size : 0;
	memcpy(c->next, k->mv_data, c->next_len);
}

static void
sweep_reset(struct sweep_ctx *c)
{
	c->ndel = c->nstamp = c->next_len = c->scanned = 0;
}

/* True when this batch is done: the next one starts at k. */
static bool
sweep_stop(struct sweep_ctx *c, const MDB_val *k)
{
	if (c->ndel + c->nstamp >= SWEEP_BATCH || c->scanned >= SWEEP_SCAN) {
		sweep_resume_at(c, k);
		return true;
	}
	c->scanned++;
	return false;
}

/* Runs fn batch after batch until it has seen every record. */
static int
lm_sweep(struct sp_store_backend *b, lm_txn_fn fn, const char *what,
    size_t *removed, struct sweep_ctx *c, struct sp_error *err)
{
	int rc;

	*removed = 0;
	c->from_len = 0;
	do {
		if ((rc = lm_write(b, fn, c, what, err)) != SP_OK)
			return rc;
		*removed += c->ndel;
		memcpy(c->from, c->next, c->next_len);
		c->from_len = c->next_len;
	} while (c->next_len > 0);
	return SP_OK;
}

/* Notes what to do with one metadata record.  Damaged records are left
 * alone: they are reported by the calls that read them. */
static void
tomb_classify(struct sweep_ctx *c, const MDB_val *k, const MDB_val *v)
{
	struct sp_msg_meta m;
	struct sp_error e2;

	if (k->mv_size != SP_ID_LEN ||
	    sp_store_meta_decode(v->mv_data, v->mv_size, &m, &e2) != SP_OK)
		return;
	if (m.state == SP_MSG_PURGED && m.purged == 0)
		memcpy(c->stamp[c->nstamp++], k->mv_data, SP_ID_LEN);
	else if (m.state == SP_MSG_PURGED && m.purged <= c->before)
		memcpy(c->del[c->ndel++], k->mv_data, SP_ID_LEN);
	sp_msg_meta_cleanup(&m);
}

static int
tomb_apply(struct sp_store_backend *b, MDB_txn *txn, struct sweep_ctx *c,
    struct sp_error *err)
{
	struct sp_msg_meta m;
	char id[SP_ID_LEN + 1];
	MDB_val k;
	size_t i;
	int rc;

	for (i = 0; i < c->ndel; i++) {
		k = val_of(c->del[i], SP_ID_LEN);
		if ((rc = mdb_del(txn, b->meta, &k, NULL)) != 0)
			return rc;
	}
	id[SP_ID_LEN] = '\0';
	for (i = 0; i < c->nstamp; i++) {
		memcpy(id, c->stamp[i], SP_ID_LEN);
		if ((rc = lm_meta_load(b, txn, id, &m, err)) != SP_OK)
			return rc;
		rc = lm_tombstone_put(b, txn, id, &m, err);
		sp_msg_meta_cleanup(&m);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
lm_tomb_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct sweep_ctx *c = vctx;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	sweep_reset(c);
	if ((rc = mdb_cursor_open(txn, b->meta, &cur)) != 0)
		return rc;
	for (rc = sweep_first(cur, c, &k, &v); rc == 0 && !sweep_stop(c, &k);
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		tomb_classify(c, &k, &v);
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	return tomb_apply(b, txn, c, err);
}

static int
lm_tombstone_expire(struct sp_store_backend *b, int64_t before, size_t *removed,
    struct sp_error *err)
{
	struct sweep_ctx *c = calloc(1, sizeof(*c));
	int rc;

	*removed = 0;
	if (c == NULL)
		return sp_error_set(err, SP_ENOMEM, "out of memory");
	c->before = before;
	rc = lm_sweep(b, lm_tomb_txn, "removing tombstones", removed, c, err);
	free(c);
	return rc;
}

/* Moves cur past every event of message id (the first SP_ID_LEN bytes). */
static int
audit_skip_group(
    MDB_cursor *cur, const unsigned char *id, MDB_val *k, MDB_val *v)
{
	unsigned char probe[AUDIT_KEY_LEN];
	int rc;

	memcpy(probe, id, SP_ID_LEN);
	memset(probe + SP_ID_LEN, 0xff, AUDIT_KEY_LEN - SP_ID_LEN);
	*k = val_of(probe, sizeof(probe));
	rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	/* The probe itself may exist (the very last possible key). */
	if (rc == 0 && memcmp(k->mv_data, probe, SP_ID_LEN) == 0)
		rc = mdb_cursor_get(cur, k, v, MDB_NEXT);
	return rc;
}

/* True when the events of the group at key k are kept: a message or a
 * tombstone with that id is in the store. */
static bool
audit_held(struct sp_store_backend *b, MDB_txn *txn, const MDB_val *k)
{
	static const char none[SP_ID_LEN];

	if (memcmp(k->mv_data, none, SP_ID_LEN) == 0)
		return false;
	return meta_exists(b, txn, k->mv_data);
}

static int
lm_audit_sweep_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct sweep_ctx *c = vctx;
	const unsigned char *kp;
	MDB_cursor *cur;
	MDB_val k, v;
	size_t i;
	int rc;

	(void)err;
	sweep_reset(c);
	if ((rc = mdb_cursor_open(txn, b->audit, &cur)) != 0)
		return rc;
	rc = sweep_first(cur, c, &k, &v);
	while (rc == 0 && !sweep_stop(c, &k)) {
		kp = k.mv_data;
		if (k.mv_size != AUDIT_KEY_LEN) {
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		} else if (audit_held(b, txn, &k) ||
		    (int64_t)(sp_store_get_be64(kp + SP_ID_LEN) ^
		        (1ULL << 63)) > c->before) {
			/* Kept, and so is every later event of the group. */
			rc = audit_skip_group(cur, kp, &k, &v);
		} else {
			memcpy(c->del[c->ndel++], kp, AUDIT_KEY_LEN);
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		}
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	for (i = 0; i < c->ndel; i++) {
		k = val_of(c->del[i], AUDIT_KEY_LEN);
		if ((rc = mdb_del(txn, b->audit, &k, NULL)) != 0)
			return rc;
	}
	return 0;
}

static int
lm_audit_expire(struct sp_store_backend *b, int64_t before, size_t *removed,
    struct sp_error *err)
{
	struct sweep_ctx *c = calloc(1, sizeof(*c));
	int rc;

	*removed = 0;
	if (c == NULL)
		return sp_error_set(err, SP_ENOMEM, "out of memory");
	c->before = before;
	rc = lm_sweep(
	    b, lm_audit_sweep_txn, "expiring audit events", removed, c, err);
	free(c);
	return rc;
}

static int
lm_kv_sweep_txn(
    struct sp_store_backend *b, MDB_txn *txn, void *vctx, struct sp_error *err)
{
	struct sweep_ctx *c = vctx;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	(void)err;
	sweep_reset(c);
	if ((rc = mdb_cursor_open(txn, b->kv[c->t], &cur)) != 0)
		return rc;
	rc = sweep_first(cur, c, &k, &v);
	while (rc == 0 && !sweep_stop(c, &k)) {
		if (!kv_live(&v, c->before)) {
			if ((rc = mdb_cursor_del(cur, 0)) != 0)
				break;
			c->ndel++;
		}
		/* after a delete, MDB_NEXT gives the record that followed */
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
lm_kv_expire(struct sp_store_backend *b, enum sp_kv_table t, int64_t now,
    size_t *removed, struct sp_error *err)
{
	struct sweep_ctx *c = calloc(1, sizeof(*c));
	int rc;

	*removed = 0;
	if (c == NULL)
		return sp_error_set(err, SP_ENOMEM, "out of memory");
	c->before = now;
	c->t = t;
	rc = lm_sweep(b, lm_kv_sweep_txn, "expiring records", removed, c, err);
	free(c);
	return rc;
}

/* --- open and close --- */

/* The id of group name; SP_ECONFIG when there is no such group. */
static int
lm_group(const char *path, const char *name, gid_t *gid, struct sp_error *err)
{
	struct group gr, *res = NULL;
	char buf[8192];
	int rc;

	rc = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
	if (rc != 0 || res == NULL)
		return sp_error_set(err, SP_ECONFIG,
		    "store %s: no group %s%s%s", path, name, rc ? ": " : "",
		    rc ? strerror(rc) : "");
	*gid = gr.gr_gid;
	return SP_OK;
}

/* Creates the directory when missing: 0700, or 2770 and group gid when
 * shared (set explicitly: mkdir's mode goes through the umask). */
static int
lm_mkdir(
    const struct sp_store_backend *b, const char *path, struct sp_error *err)
{
	struct stat st;

	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return sp_error_set(
			    err, SP_EIO, "store %s: not a directory", path);
		return SP_OK;
	}
	if (errno != ENOENT || b->read_only || mkdir(path, 0700) != 0)
		return sp_error_set(
		    err, SP_EIO, "store %s: %s", path, strerror(errno));
	if (b->shared &&
	    (chown(path, (uid_t)-1, b->gid) != 0 || chmod(path, 02770) != 0))
		return sp_error_set(err, SP_EPERM,
		    "store %s: sharing the directory with group %lu: %s", path,
		    (unsigned long)b->gid, strerror(errno));
	return SP_OK;
}

/* Gives one file of a shared store its group and mode 0660. */
static int
lm_share_file(
    struct sp_store_backend *b, const char *name, struct sp_error *err)
{
	char p[PATH_MAX];
	struct stat st;
	int n;

	n = snprintf(p, sizeof(p), "%s/%s", b->path, name);
	if (n < 0 || (size_t)n >= sizeof(p))
		return sp_error_set(
		    err, SP_EINVAL, "store %s: path too long", b->path);
	if (stat(p, &st) != 0)
		return sp_error_set(
		    err, SP_EIO, "store %s: %s", p, strerror(errno));
	if ((st.st_gid != b->gid && chown(p, (uid_t)-1, b->gid) != 0) ||
	    ((st.st_mode & 07777) != 0660 && chmod(p, 0660) != 0))
		return sp_error_set(err, SP_EPERM,
		    "store %s: mode %04o group %lu, cannot make it 0660 group "
		    "%lu: %s",
		    p, (unsigned)(st.st_mode & 07777), (unsigned long)st.st_gid,
		    (unsigned long)b->gid, strerror(errno));
	return SP_OK;
}

static int
lm_open_dbs(struct sp_store_backend *b, struct sp_error *err)
{
	static const char *const names[] = { "meta", "chunks", "pending",
		"audit", "passcodes", "sessions", "ratelimits" };
	MDB_dbi *dbis[] = { &b->meta, &b->chunks, &b->pending, &b->audit,
		&b->kv[SP_KV_PASSCODES], &b->kv[SP_KV_SESSIONS],
		&b->kv[SP_KV_RATELIMITS] };
	unsigned int flags = b->read_only ? 0 : MDB_CREATE;
	MDB_txn *txn;
	size_t i;
	int rc;

	rc = mdb_txn_begin(b->env, NULL, b->read_only ? MDB_RDONLY : 0, &txn);
	if (rc != 0)
		return lm_fail(b, rc, "opening", err);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((rc = mdb_dbi_open(txn, names[i], flags, dbis[i])) != 0) {
			mdb_txn_abort(txn);
			return sp_error_set(err, SP_EIO,
			    "store %s: opening database %s: %s", b->path,
			    names[i], mdb_strerror(rc));
		}
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return lm_fail(b, rc, "opening", err);
	return SP_OK;
}

static int
lm_env_open(struct sp_store_backend *b, uint64_t map, struct sp_error *err)
{
	unsigned int flags = MDB_NOTLS | (b->read_only ? MDB_RDONLY : 0);
	MDB_envinfo info;
	int rc, dead = 0;

	if ((rc = mdb_env_create(&b->env)) != 0)
		return lm_fail(b, rc, "creating the environment", err);
	if ((rc = mdb_env_set_maxdbs(b->env, 8)) != 0 ||
	    (rc = mdb_env_set_mapsize(b->env, (size_t)map)) != 0)
		return lm_fail(b, rc, "setting up", err);
	rc = mdb_env_open(b->env, b->path, flags, b->shared ? 0660 : 0600);
	if (rc != 0)
		return lm_fail(b, rc, "opening", err);
	/* The umask may have taken the group's bits; a root opener made the
	 * files its own group's.  Readers cannot fix either: only writers. */
	if (b->shared && !b->read_only &&
	    ((rc = lm_share_file(b, "data.mdb", err)) != SP_OK ||
	        (rc = lm_share_file(b, "lock.mdb", err)) != SP_OK))
		return rc;
	/* Reader slots left by processes that died mid-read. */
	if ((rc = mdb_reader_check(b->env, &dead)) != 0)
		return lm_fail(b, rc, "clearing stale readers", err);
	mdb_env_info(b->env, &info);
	b->map_size = info.me_mapsize;
	return lm_open_dbs(b, err);
}

static void
lm_close(struct sp_store_backend *b)
{
	if (b == NULL)
		return;
	if (b->env != NULL)
		mdb_env_close(b->env);
	pthread_rwlock_destroy(&b->lock);
	free(b->path);
	free(b);
}

/* Writers first: a map resize must not wait behind a steady stream of
 * short transactions from other threads.  (No thread ever takes the lock
 * twice, which a writer-first lock would not allow.) */
static int
lm_lock_init(struct sp_store_backend *b)
{
	pthread_rwlockattr_t a;
	int rc;

	if (pthread_rwlockattr_init(&a) != 0)
		return -1;
	pthread_rwlockattr_setkind_np(
	    &a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	rc = pthread_rwlock_init(&b->lock, &a);
	pthread_rwlockattr_destroy(&a);
	return rc;
}

static int
lm_open(const char *path, const struct sp_store_opts *opts,
    struct sp_store_backend **out, struct sp_error *err)
{
	struct sp_store_backend *b;
	uint64_t map, max;
	int rc;

	map = opts && opts->map_size ? opts->map_size : SP_STORE_MAP_DEFAULT;
	max = opts && opts->max_size ? opts->max_size : SP_STORE_MAX_DEFAULT;
	if (map > max)
		map = max;
	b = calloc(1, sizeof(*b));
	if (b == NULL || (b->path = strdup(path)) == NULL ||
	    lm_lock_init(b) != 0) {
		free(b ? b->path : NULL);
		free(b);
		return sp_error_set(err, SP_ENOMEM, "out of memory");
	}
	b->max_size = max;
	b->read_only = opts && opts->read_only;
	b->shared = opts && opts->group && opts->group[0] != '\0';
	if ((b->shared &&
	        (rc = lm_group(path, opts->group, &b->gid, err)) != SP_OK) ||
	    (rc = lm_mkdir(b, path, err)) != SP_OK ||
	    (rc = lm_env_open(b, map, err)) != SP_OK) {
		lm_close(b);
		return rc;
	}
	*out = b;
	return SP_OK;
}

const struct sp_store_ops sp_store_lmdb_ops = {
	.name = "lmdb",
	.open = lm_open,
	.close = lm_close,
	.chunk_put = lm_chunk_put,
	.chunks_put = lm_chunks_put,
	.msg_commit = lm_msg_commit,
	.msg_abort = lm_msg_abort,
	.msg_withdraw = lm_msg_withdraw,
	.msg_get = lm_msg_get,
	.chunks_read = lm_chunks_read,
	.msg_update = lm_msg_update,
	.msg_purge = lm_msg_purge,
	.msg_purge_expired = lm_msg_purge_expired,
	.tombstone_expire = lm_tombstone_expire,
	.msg_list = lm_msg_list,
	.gc_orphans = lm_gc_orphans,
	.kv_put = lm_kv_put,
	.kv_get = lm_kv_get,
	.kv_del = lm_kv_del,
	.kv_update = lm_kv_update,
	.kv_expire = lm_kv_expire,
	.audit_add = lm_audit_add,
	.audit_list = lm_audit_list,
	.audit_expire = lm_audit_expire,
};
