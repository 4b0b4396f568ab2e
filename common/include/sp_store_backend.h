/* SPDX-License-Identifier: MIT */
/*
 * sp_store_backend: what a store backend provides, and the helpers the
 * backends share.  Only store backends and their tests include this; the
 * programs use sp_store.h.
 *
 * sp_store_open() picks a backend by the prefix of the path ("lmdb:", or
 * none), calls its open, and then forwards every sp_store_* call to the
 * matching function below after checking the arguments (ids well formed,
 * tables known, key and value sizes in bounds).  A backend may rely on
 * those checks.  Each function has the contract of its sp_store_*
 * counterpart in sp_store.h.
 *
 * Metadata travels through sp_store_meta_encode/decode: a versioned,
 * length-prefixed binary record.  The decoder treats its input as
 * untrusted (it comes back from disk): any damage is SP_EFORMAT.
 */
#ifndef SP_STORE_BACKEND_H
#define SP_STORE_BACKEND_H

#include "sp_store.h"

struct sp_store_backend; /* defined by each backend */

struct sp_store_ops {
	const char *name;
	int (*open)(const char *path, const struct sp_store_opts *opts,
	    struct sp_store_backend **out, struct sp_error *err);
	void (*close)(struct sp_store_backend *b);
	int (*chunk_put)(struct sp_store_backend *b, const char *id,
	    uint32_t seq, const unsigned char *data, size_t len,
	    struct sp_error *err);
	int (*chunks_put)(struct sp_store_backend *b, const char *id,
	    uint32_t first_seq, const unsigned char *const *data,
	    const size_t *len, size_t n, struct sp_error *err);
	int (*msg_commit)(struct sp_store_backend *b,
	    const struct sp_msg_meta *m, uint32_t first_seq,
	    const unsigned char *const *tail, const size_t *tail_len,
	    size_t ntail, struct sp_error *err);
	int (*msg_abort)(
	    struct sp_store_backend *b, const char *id, struct sp_error *err);
	int (*msg_withdraw)(
	    struct sp_store_backend *b, const char *id, struct sp_error *err);
	int (*msg_get)(struct sp_store_backend *b, const char *id,
	    struct sp_msg_meta *out, struct sp_error *err);
	int (*chunks_read)(struct sp_store_backend *b, const char *id,
	    uint32_t n, sp_store_chunk_fn fn, void *ctx, struct sp_error *err);
	int (*msg_update)(struct sp_store_backend *b,
	    const struct sp_msg_meta *m, struct sp_error *err);
	int (*msg_purge)(
	    struct sp_store_backend *b, const char *id, struct sp_error *err);
	int (*msg_purge_expired)(struct sp_store_backend *b, const char *id,
	    int64_t now, bool *purged, struct sp_msg_meta *was,
	    struct sp_error *err);
	int (*tombstone_expire)(struct sp_store_backend *b, int64_t before,
	    size_t *removed, struct sp_error *err);
	int (*msg_list)(struct sp_store_backend *b, sp_store_meta_fn fn,
	    void *ctx, struct sp_error *err);
	int (*gc_orphans)(struct sp_store_backend *b, int64_t max_age,
	    size_t *removed, struct sp_error *err);
	int (*kv_put)(struct sp_store_backend *b, enum sp_kv_table t,
	    const void *key, size_t klen, const void *val, size_t vlen,
	    int64_t expires, struct sp_error *err);
	int (*kv_get)(struct sp_store_backend *b, enum sp_kv_table t,
	    const void *key, size_t klen, void *val, size_t *vlen,
	    struct sp_error *err);
	int (*kv_del)(struct sp_store_backend *b, enum sp_kv_table t,
	    const void *key, size_t klen, struct sp_error *err);
	int (*kv_update)(struct sp_store_backend *b, enum sp_kv_table t,
	    const void *key, size_t klen, sp_kv_update_fn fn, void *ctx,
	    struct sp_error *err);
	int (*kv_expire)(struct sp_store_backend *b, enum sp_kv_table t,
	    int64_t now, size_t *removed, struct sp_error *err);
	/* n events in one durable transaction */
	int (*audit_add)(struct sp_store_backend *b,
	    const struct sp_audit_event *ev, size_t n, struct sp_error *err);
	int (*audit_list)(struct sp_store_backend *b, const char *id,
	    sp_store_audit_fn fn, void *ctx, struct sp_error *err);
	int (*audit_expire)(struct sp_store_backend *b, int64_t before,
	    size_t *removed, struct sp_error *err);
};

extern const struct sp_store_ops sp_store_lmdb_ops;

/* Longest kv key a caller may use (LMDB's default key limit). */
#define SP_KV_KEY_MAX 400

/* Bounds the metadata decoder enforces. */
#define SP_META_VERSION  1
#define SP_META_STR_MAX  65536   /* sender, one recipient, parent */
#define SP_META_RCPT_MAX 100000  /* recipients per message */
#define SP_META_BLOB_MAX 1048576 /* revoked_rcpts */

/* True if id is SP_ID_LEN base64url characters. */
bool sp_store_id_ok(const char *id);

/* Serializes m into a malloc'd buffer (*out, *len); caller frees. */
int sp_store_meta_encode(const struct sp_msg_meta *m, unsigned char **out,
    size_t *len, struct sp_error *err) SP_MUST_CHECK;
/* Parses buf into *m (zeroed first); on success the caller owns what m
 * points to (sp_msg_meta_cleanup), on failure nothing is left to free. */
int sp_store_meta_decode(const unsigned char *buf, size_t len,
    struct sp_msg_meta *m, struct sp_error *err) SP_MUST_CHECK;

/* Audit events: the value part (event, actor, detail), same rules. */
int sp_store_audit_encode(const struct sp_audit_event *ev, unsigned char *out,
    size_t cap, size_t *len, struct sp_error *err) SP_MUST_CHECK;
int sp_store_audit_decode(const unsigned char *buf, size_t len,
    struct sp_audit_event *ev, struct sp_error *err) SP_MUST_CHECK;
#define SP_AUDIT_VAL_MAX 1024

/* Big-endian helpers for keys. */
void sp_store_be32(unsigned char *p, uint32_t v);
uint32_t sp_store_get_be32(const unsigned char *p);
void sp_store_be64(unsigned char *p, uint64_t v);
uint64_t sp_store_get_be64(const unsigned char *p);

#endif
