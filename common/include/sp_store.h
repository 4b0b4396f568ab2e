/* SPDX-License-Identifier: MIT */
/*
 * sp_store: where sealed messages, sign-in state and the audit trail live.
 *
 * One interface, several backends (struct sp_store_ops in
 * sp_store_backend.h).  LMDB is the first: one environment at store_path,
 * named databases "meta", "chunks", "passcodes", "sessions", "ratelimits",
 * "audit".  Every commit is durable (no MDB_NOSYNC).  When the map is full
 * it grows (up to store_max_size) and the write is retried; past that the
 * call fails with SP_EFULL and the message "store full".  Stale reader
 * slots are cleared at open.  Open the store after fork(): an environment
 * must not cross a fork, so a daemon forks (or daemonizes) first and opens
 * the store in each process that uses it.  Safe for one milter process
 * (many threads) and several portal processes at once.  One more named
 * database, "pending", records when each uncommitted message began.
 *
 * path is a directory ("lmdb:" prefix optional; it is created 0700 when
 * missing); its files are made mode 0600, so every process that opens it
 * runs as the same user.  With opts->group set, the store is shared by
 * the members of that group instead: a missing directory is created 2770
 * with that group, and data.mdb and lock.mdb are given that group and
 * mode 0660 (whatever the umask) when a writer opens the store; an
 * unknown group is SP_ECONFIG, files the opener cannot hand to the group
 * SP_EPERM.  Open one sp_store per path per process and share it.
 *
 * Threads: one struct sp_store may be used by any number of threads at
 * once; every call runs in its own transaction (read transactions are not
 * tied to a thread).  Callbacks of _msg_list, _audit_list and _kv_update
 * run inside that transaction: they must be quick and must not call the
 * store themselves.  The sp_store_chunks_read callback runs outside any
 * transaction (each chunk is read in its own and copied out), so it may
 * be slow (a download) and may call the store.  A kv_update callback may run
 * more than once (the write is retried after the map grows): it must compute
 * its result from its arguments only.
 *
 * Ids: message ids are SP_ID_LEN base64url characters (sp_id_new());
 * anything else is SP_EINVAL.
 *
 * Writing a message: sp_store_chunk_put() stores each sealed chunk as it
 * is produced, in its own durable transaction, so memory stays constant
 * whatever the size; sp_store_chunks_put() stores several in one (each
 * durable commit costs a disk flush: a writer that holds a few chunks and
 * writes them together pays it once).  Such chunks are invisible: a
 * message exists only once sp_store_msg_commit() has written its
 * metadata (and the last chunks) in one transaction.  Chunks whose
 * metadata never came (a writer killed mid-message) are removed by
 * sp_store_gc_orphans().  Chunks of a committed message cannot be added
 * or changed (SP_EEXIST).
 *
 * Errors: SP_EIO with a message naming the store path, the operation and
 * the backend's reason; SP_EFULL "store full: ..."; SP_EFORMAT when a
 * record read back is damaged (never a crash); SP_ENOTFOUND.
 *
 * Metadata holds no message content: no subject, no body.
 *
 * Retention: a purged message leaves a tombstone (its metadata, state
 * SP_MSG_PURGED, with the time of the purge in purged).  The audit events
 * of a message stay as long as the store holds the message or its
 * tombstone; sp_store_tombstone_expire() removes old tombstones, and
 * sp_store_audit_expire() removes old events for no message or for a
 * message the store no longer holds.  So every event is kept at least as
 * long as its message, and at least until it is older than the cutoff
 * the caller passes to sp_store_audit_expire().
 */
#ifndef SP_STORE_H
#define SP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_error.h"
#include "sp_keys.h"
#include "sp_seal.h"

#define SP_REF_LEN 9 /* reference code "ABCD-EFGH", NUL not counted */

enum sp_msg_state {
	SP_MSG_ACTIVE = 0,
	SP_MSG_REVOKED = 1,
	SP_MSG_PURGED = 2, /* tombstone: metadata and audit only */
};

struct sp_msg_meta {
	char id[SP_ID_LEN + 1];
	char ref[SP_REF_LEN + 1]; /* short code shown in mail and portal */
	int64_t created;          /* unix seconds */
	int64_t expires;          /* unix seconds, 0 = never */
	int64_t revoked;          /* unix seconds, 0 = not revoked */
	int64_t purged; /* unix seconds, 0 = not purged; set by the store */
	uint32_t state; /* enum sp_msg_state */
	char template_name[64];
	uint32_t rights; /* SP_RIGHT_* bits, from the template */
	char rule[64];   /* rule that matched, "" for portal mail */
	char key_id[SP_KEYID_MAX];
	uint64_t size; /* plaintext bytes */
	uint32_t nchunks;
	unsigned char header[SP_SEAL_HEADER_MAX]; /* seal record header */
	uint32_t header_len;
	char *sender; /* envelope sender, "" for <> */
	char **rcpts; /* envelope recipients */
	size_t nrcpt;
	char *parent;        /* id of the message this replies to, or NULL */
	char *revoked_rcpts; /* reserved: per-recipient revocation list */
};

/* Frees what sp_store_msg_get / sp_store_msg_list allocated inside m. */
void sp_msg_meta_cleanup(struct sp_msg_meta *m);

#define SP_STORE_MAP_DEFAULT (64ULL << 20) /* initial map: 64 MiB */
#define SP_STORE_MAX_DEFAULT (16ULL << 30) /* cap: 16 GiB */

struct sp_store_opts {
	uint64_t map_size; /* initial map size in bytes (0: default) */
	uint64_t max_size; /* hard cap (0: default) */
	bool read_only;
	const char *group; /* share with this group; NULL or "": private */
};

struct sp_store;

int sp_store_open(const char *path, const struct sp_store_opts *opts,
    struct sp_store **out, struct sp_error *err) SP_MUST_CHECK;
/* The store a configuration names: store_path, with its store_map_size,
 * store_max_size and store_group. */
struct sp_config;
int sp_store_open_config(const struct sp_config *cfg, bool read_only,
    struct sp_store **out, struct sp_error *err) SP_MUST_CHECK;
void sp_store_close(struct sp_store *s);

/* Message body chunks and metadata (see the contract above). */
int sp_store_chunk_put(struct sp_store *s, const char *id, uint32_t seq,
    const unsigned char *data, size_t len, struct sp_error *err) SP_MUST_CHECK;
/* Writes chunks [first_seq, first_seq + n) from the arrays in one durable
 * transaction, with the same checks and errors as sp_store_chunk_put
 * (SP_EEXIST once the message is committed); n == 0 does nothing. */
int sp_store_chunks_put(struct sp_store *s, const char *id, uint32_t first_seq,
    const unsigned char *const *data, const size_t *len, size_t n,
    struct sp_error *err) SP_MUST_CHECK;
/* Writes tail chunks [first_seq, first_seq + ntail) from the arrays and
 * the metadata, atomically and durably.  Chunks 0..first_seq-1 must have
 * been put before (else SP_ENOTFOUND, e.g. when gc removed them) and
 * m->nchunks must be first_seq + ntail (else SP_EINVAL).  A message that
 * already exists gives SP_EEXIST. */
int sp_store_msg_commit(struct sp_store *s, const struct sp_msg_meta *m,
    uint32_t first_seq, const unsigned char *const *tail,
    const size_t *tail_len, size_t ntail, struct sp_error *err) SP_MUST_CHECK;
/* Drops chunks written for id that were never committed. */
int sp_store_msg_abort(
    struct sp_store *s, const char *id, struct sp_error *err);
/* Takes back a message just committed whose notification never went out
 * (the MTA refused the replacement): deletes its metadata and chunks and
 * leaves no tombstone, as if it had never been committed.  Not for a
 * message anyone may have seen: that is sp_store_msg_purge().
 * SP_ENOTFOUND for no such message. */
int sp_store_msg_withdraw(
    struct sp_store *s, const char *id, struct sp_error *err) SP_MUST_CHECK;
int sp_store_msg_get(struct sp_store *s, const char *id,
    struct sp_msg_meta *out, struct sp_error *err) SP_MUST_CHECK;
/* Calls fn for chunk 0..n-1 of a committed message in order; buf is valid
 * during the call only.  n == 0 only checks that the message can be read. Stops
 * at the first non-zero return of fn and returns it.  SP_ENOTFOUND for no such
 * (committed) message, SP_EEXPIRED when it was purged, SP_EINVAL when n >
 * nchunks. */
typedef int (*sp_store_chunk_fn)(
    void *ctx, uint32_t seq, const unsigned char *buf, size_t len);
int sp_store_chunks_read(struct sp_store *s, const char *id, uint32_t n,
    sp_store_chunk_fn fn, void *ctx, struct sp_error *err) SP_MUST_CHECK;
/* Replaces the metadata of an existing message (revoke, expire).  A
 * purged message stays purged (SP_EINVAL). */
int sp_store_msg_update(struct sp_store *s, const struct sp_msg_meta *m,
    struct sp_error *err) SP_MUST_CHECK;
/* Deletes the chunks of id, keeps its metadata as a tombstone (purged
 * set to the current time, or kept when it was purged before). */
int sp_store_msg_purge(
    struct sp_store *s, const char *id, struct sp_error *err) SP_MUST_CHECK;
/* Purges id as sp_store_msg_purge does, but only when, inside the same
 * write transaction, it is revoked or expired (expires != 0 && expires <=
 * now), so that a change made after the caller looked (an expiry pushed
 * back) wins.  *purged tells whether it was purged now; was, when not
 * NULL, gets the metadata as it stood before, purged or not (the caller
 * frees it with sp_msg_meta_cleanup).  SP_ENOTFOUND for no such message;
 * a tombstone is left alone (*purged false). */
int sp_store_msg_purge_expired(struct sp_store *s, const char *id, int64_t now,
    bool *purged, struct sp_msg_meta *was, struct sp_error *err) SP_MUST_CHECK;
/* Deletes the tombstones purged at or before `before` (their metadata;
 * their audit events then fall to sp_store_audit_expire).  A tombstone
 * without a purge time (written before the store kept one) is given the
 * current time instead, so it is kept one full period from now.  Works in
 * batches of a bounded number of records, each its own transaction;
 * *removed counts the tombstones deleted. */
int sp_store_tombstone_expire(struct sp_store *s, int64_t before,
    size_t *removed, struct sp_error *err) SP_MUST_CHECK;
typedef int (*sp_store_meta_fn)(void *ctx, const struct sp_msg_meta *m);
int sp_store_msg_list(struct sp_store *s, sp_store_meta_fn fn, void *ctx,
    struct sp_error *err) SP_MUST_CHECK;
/* Removes uncommitted chunks whose first chunk was written max_age or
 * more seconds ago; *removed gets how many chunks went. */
int sp_store_gc_orphans(struct sp_store *s, int64_t max_age, size_t *removed,
    struct sp_error *err) SP_MUST_CHECK;

/*
 * Small records with an expiry: passcodes, sessions, rate limits.  Keys
 * are opaque bytes (callers store hashes, never secrets).  A record past
 * its expiry reads as SP_ENOTFOUND.
 */
enum sp_kv_table {
	SP_KV_PASSCODES,
	SP_KV_SESSIONS,
	SP_KV_RATELIMITS,
};
#define SP_KV_VAL_MAX 1024

int sp_store_kv_put(struct sp_store *s, enum sp_kv_table t, const void *key,
    size_t klen, const void *val, size_t vlen, int64_t expires,
    struct sp_error *err) SP_MUST_CHECK;
/* val must hold SP_KV_VAL_MAX bytes. */
int sp_store_kv_get(struct sp_store *s, enum sp_kv_table t, const void *key,
    size_t klen, void *val, size_t *vlen, struct sp_error *err) SP_MUST_CHECK;
/* SP_ENOTFOUND when there was no such record. */
int sp_store_kv_del(struct sp_store *s, enum sp_kv_table t, const void *key,
    size_t klen, struct sp_error *err);
/* Read-modify-write in one write transaction: fn gets the current value
 * (found false when absent or expired) and may change val, *vlen and
 * *expires; return 1 to write, 0 to leave as is, 2 to delete, <0 to fail
 * (that status is returned). */
typedef int (*sp_kv_update_fn)(
    void *ctx, bool found, void *val, size_t *vlen, int64_t *expires);
int sp_store_kv_update(struct sp_store *s, enum sp_kv_table t, const void *key,
    size_t klen, sp_kv_update_fn fn, void *ctx,
    struct sp_error *err) SP_MUST_CHECK;
/* Deletes every expired record of t. */
int sp_store_kv_expire(struct sp_store *s, enum sp_kv_table t, int64_t now,
    size_t *removed, struct sp_error *err);

/* The audit trail: append only, ordered by time per message. */
struct sp_audit_event {
	int64_t when;           /* unix seconds */
	char id[SP_ID_LEN + 1]; /* message id, "" for events about none */
	char event[32];         /* "sealed", "signin", "signin-failed", "view",
	                           "download", "reply", "forward", "revoke", ... */
	char actor[256];        /* an address, or "admin:USER" */
	char detail[256];       /* no content: a file name hash, a reason... */
};

int sp_store_audit_add(struct sp_store *s, const struct sp_audit_event *ev,
    struct sp_error *err) SP_MUST_CHECK;
/* n events (n >= 1) in one durable transaction: all or none are kept.
 * Several processes' events grouped into one commit cost one disk flush
 * instead of n (see sp_audit_relay.h). */
int sp_store_audit_add_many(struct sp_store *s, const struct sp_audit_event *ev,
    size_t n, struct sp_error *err) SP_MUST_CHECK;
/* What sp_store_audit_add would refuse ev for, without a store: a
 * malformed message id, a field not terminated, too big a record. */
int sp_store_audit_check(
    const struct sp_audit_event *ev, struct sp_error *err) SP_MUST_CHECK;
typedef int (*sp_store_audit_fn)(void *ctx, const struct sp_audit_event *ev);
/* id NULL: every event, grouped by message (events for no message first),
 * each group in time order.  id "": the events for no message. */
int sp_store_audit_list(struct sp_store *s, const char *id,
    sp_store_audit_fn fn, void *ctx, struct sp_error *err) SP_MUST_CHECK;
/* Deletes the events dated at or before `before` that are for no message
 * or for a message the store holds neither as a message nor as a
 * tombstone.  Events of a message still held are kept, however old.  In
 * batches like sp_store_tombstone_expire; *removed counts events. */
int sp_store_audit_expire(struct sp_store *s, int64_t before, size_t *removed,
    struct sp_error *err) SP_MUST_CHECK;

#endif
