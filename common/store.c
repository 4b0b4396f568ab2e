/* SPDX-License-Identifier: MIT */
/*
 * store: the front of sp_store.  Picks the backend at open, checks the
 * arguments of every call once, then forwards it (see sp_store_backend.h).
 * Also holds what every backend shares: the metadata and audit record
 * formats and the big-endian key helpers.
 *
 * Metadata record, version 1 (all integers big-endian, every string a
 * u32 length and that many bytes, no NUL inside):
 *
 *   u8 version, str id, str ref, i64 created, i64 expires, i64 revoked,
 *   u32 state, str template_name, u32 rights, str rule, str key_id,
 *   u64 size, u32 nchunks, str header, str sender, u32 nrcpt,
 *   nrcpt x str rcpt, u8 flags (1: parent follows, 2: revoked_rcpts
 *   follows, 4: purge time follows), [str parent], [str revoked_rcpts],
 *   [i64 purged]
 *
 * Flag 4 came later: records without it read as purged = 0; with it,
 * the time must not be 0.
 *
 * Trailing bytes, a length past the end, a string too long for its field
 * or holding a NUL, an unknown version or state: SP_EFORMAT.
 */
#include "sp_config.h"
#include "sp_store_backend.h"

#include <stdlib.h>
#include <string.h>

struct sp_store {
	const struct sp_store_ops *ops;
	struct sp_store_backend *b;
};

static const struct {
	const char *prefix;
	const struct sp_store_ops *ops;
} backends[] = {
	{ "lmdb:", &sp_store_lmdb_ops },
};

void
sp_store_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

uint32_t
sp_store_get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

void
sp_store_be64(unsigned char *p, uint64_t v)
{
	sp_store_be32(p, (uint32_t)(v >> 32));
	sp_store_be32(p + 4, (uint32_t)v);
}

uint64_t
sp_store_get_be64(const unsigned char *p)
{
	return (uint64_t)sp_store_get_be32(p) << 32 | sp_store_get_be32(p + 4);
}

bool
sp_store_id_ok(const char *id)
{
	size_t i;

	if (id == NULL)
		return false;
	for (i = 0; i < SP_ID_LEN; i++) {
		char c = id[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return id[SP_ID_LEN] == '\0';
}

/* A bounded writer; on overflow it only counts, so a first pass sizes. */
struct wbuf {
	unsigned char *p;
	size_t len, cap;
};

static void
w_bytes(struct wbuf *w, const void *data, size_t n)
{
	if (w->p != NULL && w->len + n <= w->cap && n > 0)
		memcpy(w->p + w->len, data, n);
	w->len += n;
}

static void
w_u8(struct wbuf *w, uint8_t v)
{
	w_bytes(w, &v, 1);
}

static void
w_u32(struct wbuf *w, uint32_t v)
{
	unsigned char b[4];

	sp_store_be32(b, v);
	w_bytes(w, b, 4);
}

static void
w_u64(struct wbuf *w, uint64_t v)
{
	unsigned char b[8];

	sp_store_be64(b, v);
	w_bytes(w, b, 8);
}

static void
w_str(struct wbuf *w, const void *s, size_t n)
{
	w_u32(w, (uint32_t)n);
	w_bytes(w, s, n);
}

static void
w_cstr(struct wbuf *w, const char *s)
{
	w_str(w, s ? s : "", s ? strlen(s) : 0);
}

static void
w_fixed(struct wbuf *w, const char *s, size_t cap)
{
	w_str(w, s, strnlen(s, cap - 1));
}

static void
meta_write(struct wbuf *w, const struct sp_msg_meta *m)
{
	size_t i;

	w_u8(w, SP_META_VERSION);
	w_fixed(w, m->id, sizeof(m->id));
	w_fixed(w, m->ref, sizeof(m->ref));
	w_u64(w, (uint64_t)m->created);
	w_u64(w, (uint64_t)m->expires);
	w_u64(w, (uint64_t)m->revoked);
	w_u32(w, m->state);
	w_fixed(w, m->template_name, sizeof(m->template_name));
	w_u32(w, m->rights);
	w_fixed(w, m->rule, sizeof(m->rule));
	w_fixed(w, m->key_id, sizeof(m->key_id));
	w_u64(w, m->size);
	w_u32(w, m->nchunks);
	w_str(w, m->header, m->header_len);
	w_cstr(w, m->sender);
	w_u32(w, (uint32_t)m->nrcpt);
	for (i = 0; i < m->nrcpt; i++)
		w_cstr(w, m->rcpts[i]);
	w_u8(w,
	    (uint8_t)((m->parent ? 1 : 0) | (m->revoked_rcpts ? 2 : 0) |
	        (m->purged ? 4 : 0)));
	if (m->parent)
		w_cstr(w, m->parent);
	if (m->revoked_rcpts)
		w_cstr(w, m->revoked_rcpts);
	if (m->purged)
		w_u64(w, (uint64_t)m->purged);
}

static bool
fits(const char *s, size_t cap)
{
	return s == NULL || strnlen(s, cap + 1) <= cap;
}

static int
meta_check(const struct sp_msg_meta *m, struct sp_error *err)
{
	size_t i;

	if (!fits(m->ref, sizeof(m->ref) - 1) ||
	    !fits(m->template_name, sizeof(m->template_name) - 1) ||
	    !fits(m->rule, sizeof(m->rule) - 1) ||
	    !fits(m->key_id, sizeof(m->key_id) - 1))
		return sp_error_set(err, SP_EINVAL,
		    "message %.*s: metadata field not terminated", SP_ID_LEN,
		    m->id);
	if (m->header_len > SP_SEAL_HEADER_MAX || m->state > SP_MSG_PURGED ||
	    m->nrcpt > SP_META_RCPT_MAX || (m->nrcpt > 0 && m->rcpts == NULL))
		return sp_error_set(err, SP_EINVAL,
		    "message %.*s: metadata out of bounds", SP_ID_LEN, m->id);
	if (!fits(m->sender, SP_META_STR_MAX) ||
	    !fits(m->parent, SP_META_STR_MAX) ||
	    !fits(m->revoked_rcpts, SP_META_BLOB_MAX))
		return sp_error_set(err, SP_EINVAL,
		    "message %.*s: metadata string too long", SP_ID_LEN, m->id);
	for (i = 0; i < m->nrcpt; i++)
		if (m->rcpts[i] == NULL || !fits(m->rcpts[i], SP_META_STR_MAX))
			return sp_error_set(err, SP_EINVAL,
			    "message %.*s: bad recipient %zu", SP_ID_LEN, m->id,
			    i);
	return SP_OK;
}

int
sp_store_meta_encode(const struct sp_msg_meta *m, unsigned char **out,
    size_t *len, struct sp_error *err)
{
	struct wbuf w = { NULL, 0, 0 };
	int rc;

	*out = NULL;
	*len = 0;
	if ((rc = meta_check(m, err)) != SP_OK)
		return rc;
	meta_write(&w, m);
	w.cap = w.len;
	w.len = 0;
	w.p = malloc(w.cap);
	if (w.p == NULL)
		return sp_error_set(err, SP_ENOMEM, "out of memory");
	meta_write(&w, m);
	*out = w.p;
	*len = w.len;
	return SP_OK;
}

/* A bounded reader: every read checks what is left. */
struct rbuf {
	const unsigned char *p;
	size_t len, off;
	bool bad;
};

static const unsigned char *
r_take(struct rbuf *r, size_t n)
{
	const unsigned char *p;

	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

static uint32_t
r_u32(struct rbuf *r)
{
	const unsigned char *p = r_take(r, 4);

	return p ? sp_store_get_be32(p) : 0;
}

static uint64_t
r_u64(struct rbuf *r)
{
	const unsigned char *p = r_take(r, 8);

	return p ? sp_store_get_be64(p) : 0;
}

static uint8_t
r_u8(struct rbuf *r)
{
	const unsigned char *p = r_take(r, 1);

	return p ? p[0] : 0;
}

/* A string into a fixed field of cap bytes (NUL included). */
static void
r_fixed(struct rbuf *r, char *dst, size_t cap)
{
	uint32_t n = r_u32(r);
	const unsigned char *p;

	if (n >= cap) {
		r->bad = true;
		return;
	}
	p = r_take(r, n);
	if (p == NULL || memchr(p, '\0', n) != NULL) {
		r->bad = true;
		return;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
}

/* A string into a new heap copy of at most max bytes. */
static char *
r_heap(struct rbuf *r, size_t max, bool *nomem)
{
	uint32_t n = r_u32(r);
	const unsigned char *p;
	char *s;

	if (n > max) {
		r->bad = true;
		return NULL;
	}
	p = r_take(r, n);
	if (p == NULL || memchr(p, '\0', n) != NULL) {
		r->bad = true;
		return NULL;
	}
	s = malloc((size_t)n + 1);
	if (s == NULL) {
		*nomem = true;
		r->bad = true;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void
meta_read_fixed(struct rbuf *r, struct sp_msg_meta *m)
{
	uint32_t hlen;
	const unsigned char *h;

	if (r_u8(r) != SP_META_VERSION)
		r->bad = true;
	r_fixed(r, m->id, sizeof(m->id));
	r_fixed(r, m->ref, sizeof(m->ref));
	m->created = (int64_t)r_u64(r);
	m->expires = (int64_t)r_u64(r);
	m->revoked = (int64_t)r_u64(r);
	m->state = r_u32(r);
	if (m->state > SP_MSG_PURGED)
		r->bad = true;
	r_fixed(r, m->template_name, sizeof(m->template_name));
	m->rights = r_u32(r);
	r_fixed(r, m->rule, sizeof(m->rule));
	r_fixed(r, m->key_id, sizeof(m->key_id));
	m->size = r_u64(r);
	m->nchunks = r_u32(r);
	hlen = r_u32(r);
	if (hlen > sizeof(m->header)) {
		r->bad = true;
		return;
	}
	h = r_take(r, hlen);
	if (h != NULL && hlen > 0)
		memcpy(m->header, h, hlen);
	m->header_len = hlen;
}

static void
meta_read_var(struct rbuf *r, struct sp_msg_meta *m, bool *nomem)
{
	uint32_t n, i;
	uint8_t flags;

	m->sender = r_heap(r, SP_META_STR_MAX, nomem);
	n = r_u32(r);
	/* Each recipient takes at least its 4-byte length. */
	if (r->bad || n > SP_META_RCPT_MAX || n > (r->len - r->off) / 4) {
		r->bad = true;
		return;
	}
	m->rcpts = calloc(n ? n : 1, sizeof(*m->rcpts));
	if (m->rcpts == NULL) {
		*nomem = r->bad = true;
		return;
	}
	for (i = 0; i < n && !r->bad; i++) {
		m->rcpts[i] = r_heap(r, SP_META_STR_MAX, nomem);
		m->nrcpt = i + 1;
	}
	flags = r_u8(r);
	if (flags & ~7u)
		r->bad = true;
	if ((flags & 1) && !r->bad)
		m->parent = r_heap(r, SP_META_STR_MAX, nomem);
	if ((flags & 2) && !r->bad)
		m->revoked_rcpts = r_heap(r, SP_META_BLOB_MAX, nomem);
	/* 0 is written as no flag: one record, one encoding */
	if ((flags & 4) && !r->bad && (m->purged = (int64_t)r_u64(r)) == 0)
		r->bad = true;
}

int
sp_store_meta_decode(const unsigned char *buf, size_t len,
    struct sp_msg_meta *m, struct sp_error *err)
{
	struct rbuf r = { buf, len, 0, false };
	bool nomem = false;

	memset(m, 0, sizeof(*m));
	meta_read_fixed(&r, m);
	if (!r.bad)
		meta_read_var(&r, m, &nomem);
	if (!r.bad && r.off != r.len)
		r.bad = true;
	if (!r.bad)
		return SP_OK;
	sp_msg_meta_cleanup(m);
	memset(m, 0, sizeof(*m));
	if (nomem)
		return sp_error_set(err, SP_ENOMEM, "out of memory");
	return sp_error_set(err, SP_EFORMAT,
	    "damaged metadata record (%zu bytes, bad at byte %zu)", len, r.off);
}

void
sp_msg_meta_cleanup(struct sp_msg_meta *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->sender);
	if (m->rcpts != NULL)
		for (i = 0; i < m->nrcpt; i++)
			free(m->rcpts[i]);
	free(m->rcpts);
	free(m->parent);
	free(m->revoked_rcpts);
	m->sender = m->parent = m->revoked_rcpts = NULL;
	m->rcpts = NULL;
	m->nrcpt = 0;
}

int
sp_store_audit_encode(const struct sp_audit_event *ev, unsigned char *out,
    size_t cap, size_t *len, struct sp_error *err)
{
	struct wbuf w = { out, 0, cap };

	if (!fits(ev->event, sizeof(ev->event) - 1) ||
	    !fits(ev->actor, sizeof(ev->actor) - 1) ||
	    !fits(ev->detail, sizeof(ev->detail) - 1))
		return sp_error_set(
		    err, SP_EINVAL, "audit event not terminated");
	w_u8(&w, 1);
	w_cstr(&w, ev->event);
	w_cstr(&w, ev->actor);
	w_cstr(&w, ev->detail);
	if (w.len > cap)
		return sp_error_set(err, SP_ETOOBIG, "audit event too big");
	*len = w.len;
	return SP_OK;
}

int
sp_store_audit_decode(const unsigned char *buf, size_t len,
    struct sp_audit_event *ev, struct sp_error *err)
{
	struct rbuf r = { buf, len, 0, false };

	if (r_u8(&r) != 1)
		r.bad = true;
	r_fixed(&r, ev->event, sizeof(ev->event));
	r_fixed(&r, ev->actor, sizeof(ev->actor));
	r_fixed(&r, ev->detail, sizeof(ev->detail));
	if (r.bad || r.off != r.len)
		return sp_error_set(
		    err, SP_EFORMAT, "damaged audit record (%zu bytes)", len);
	return SP_OK;
}

int
sp_store_open(const char *path, const struct sp_store_opts *opts,
    struct sp_store **out, struct sp_error *err)
{
	const struct sp_store_ops *ops = backends[0].ops;
	struct sp_store *s;
	size_t i;
	int rc;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return sp_error_set(err, SP_EINVAL, "store: no path given");
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		size_t n = strlen(backends[i].prefix);

		if (strncmp(path, backends[i].prefix, n) == 0) {
			ops = backends[i].ops;
			path += n;
			break;
		}
	}
	if (strstr(path, "://") != NULL)
		return sp_error_set(err, SP_ECONFIG,
		    "store %s: no backend for this kind of path", path);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return sp_error_set(err, SP_ENOMEM, "out of memory");
	s->ops = ops;
	if ((rc = ops->open(path, opts, &s->b, err)) != SP_OK) {
		free(s);
		return rc;
	}
	*out = s;
	return SP_OK;
}

void
sp_store_close(struct sp_store *s)
{
	if (s == NULL)
		return;
	s->ops->close(s->b);
	free(s);
}

static int
bad_id(struct sp_error *err)
{
	return sp_error_set(err, SP_EINVAL, "store: malformed message id");
}

int
sp_store_chunk_put(struct sp_store *s, const char *id, uint32_t seq,
    const unsigned char *data, size_t len, struct sp_error *err)
{
	if (!sp_store_id_ok(id))
		return bad_id(err);
	if (data == NULL && len > 0)
		return sp_error_set(
		    err, SP_EINVAL, "store: chunk without data");
	return s->ops->chunk_put(s->b, id, seq, data, len, err);
}

int
sp_store_chunks_put(struct sp_store *s, const char *id, uint32_t first_seq,
    const unsigned char *const *data, const size_t *len, size_t n,
    struct sp_error *err)
{
	if (!sp_store_id_ok(id))
		return bad_id(err);
	if (n == 0)
		return SP_OK;
	if (data == NULL || len == NULL)
		return sp_error_set(
		    err, SP_EINVAL, "store: chunks without data");
	for (size_t i = 0; i < n; i++)
		if (data[i] == NULL && len[i] > 0)
			return sp_error_set(
			    err, SP_EINVAL, "store: chunk without data");
	if ((uint64_t)first_seq + n > UINT32_MAX)
		return sp_error_set(
		    err, SP_EINVAL, "store: chunk numbers out of range");
	return s->ops->chunks_put(s->b, id, first_seq, data, len, n, err);
}

int
sp_store_msg_commit(struct sp_store *s, const struct sp_msg_meta *m,
    uint32_t first_seq, const unsigned char *const *tail,
    const size_t *tail_len, size_t ntail, struct sp_error *err)
{
	if (m == NULL || !sp_store_id_ok(m->id))
		return bad_id(err);
	if (ntail > 0 && (tail == NULL || tail_len == NULL))
		return sp_error_set(err, SP_EINVAL, "store: tail missing");
	if ((uint64_t)first_seq + ntail != m->nchunks)
		return sp_error_set(err, SP_EINVAL,
		    "store: message %s: %u chunks announced, %llu written",
		    m->id, m->nchunks,
		    (unsigned long long)first_seq + (unsigned long long)ntail);
	return s->ops->msg_commit(
	    s->b, m, first_seq, tail, tail_len, ntail, err);
}

int
sp_store_msg_abort(struct sp_store *s, const char *id, struct sp_error *err)
{
	if (!sp_store_id_ok(id))
		return bad_id(err);
	return s->ops->msg_abort(s->b, id, err);
}

int
sp_store_msg_withdraw(struct sp_store *s, const char *id, struct sp_error *err)
{
	if (!sp_store_id_ok(id))
		return bad_id(err);
	return s->ops->msg_withdraw(s->b, id, err);
}

int
sp_store_msg_get(struct sp_store *s, const char *id, struct sp_msg_meta *out,
    struct sp_error *err)
{
	char idb[SP_ID_LEN + 1];

	if (!sp_store_id_ok(id)) {
		memset(out, 0, sizeof(*out));
		return bad_id(err);
	}
	/* id may point into *out. */
	memcpy(idb, id, sizeof(idb));
	memset(out, 0, sizeof(*out));
	return s->ops->msg_get(s->b, idb, out, err);
}

int
sp_store_chunks_read(struct sp_store *s, const char *id, uint32_t n,
    sp_store_chunk_fn fn, void *ctx, struct sp_error *err)
{
	if (!sp_store_id_ok(id))
		return bad_id(err);
	if (fn == NULL)
		return sp_error_set(err, SP_EINVAL, "store: no chunk callback");
	return s->ops->chunks_read(s->b, id, n, fn, ctx, err);
}

int
sp_store_msg_update(
    struct sp_store *s, const struct sp_msg_meta *m, struct sp_error *err)
{
	if (m == NULL || !sp_store_id_ok(m->id))
		return bad_id(err);
	return s->ops->msg_update(s->b, m, err);
}

int
sp_store_msg_purge(struct sp_store *s, const char *id, struct sp_error *err)
{
	if (!sp_store_id_ok(id))
		return bad_id(err);
	return s->ops->msg_purge(s->b, id, err);
}

int
sp_store_msg_purge_expired(struct sp_store *s, const char *id, int64_t now,
    bool *purged, struct sp_msg_meta *was, struct sp_error *err)
{
	bool dummy;

	if (was != NULL)
		memset(was, 0, sizeof(*was));
	if (purged != NULL)
		*purged = false;
	if (!sp_store_id_ok(id))
		return bad_id(err);
	return s->ops->msg_purge_expired(
	    s->b, id, now, purged ? purged : &dummy, was, err);
}

int
sp_store_tombstone_expire(
    struct sp_store *s, int64_t before, size_t *removed, struct sp_error *err)
{
	size_t dummy;

	return s->ops->tombstone_expire(
	    s->b, before, removed ? removed : &dummy, err);
}

int
sp_store_msg_list(
    struct sp_store *s, sp_store_meta_fn fn, void *ctx, struct sp_error *err)
{
	if (fn == NULL)
		return sp_error_set(err, SP_EINVAL, "store: no list callback");
	return s->ops->msg_list(s->b, fn, ctx, err);
}

int
sp_store_gc_orphans(
    struct sp_store *s, int64_t max_age, size_t *removed, struct sp_error *err)
{
	size_t dummy;

	return s->ops->gc_orphans(
	    s->b, max_age, removed ? removed : &dummy, err);
}

static int
kv_check(enum sp_kv_table t, const void *key, size_t klen, struct sp_error *err)
{
	if (t != SP_KV_PASSCODES && t != SP_KV_SESSIONS &&
	    t != SP_KV_RATELIMITS)
		return sp_error_set(
		    err, SP_EINVAL, "store: unknown table %d", (int)t);
	if (key == NULL || klen == 0 || klen > SP_KV_KEY_MAX)
		return sp_error_set(err, SP_EINVAL,
		    "store: key of %zu bytes (want 1 to %d)", klen,
		    SP_KV_KEY_MAX);
	return SP_OK;
}

int
sp_store_kv_put(struct sp_store *s, enum sp_kv_table t, const void *key,
    size_t klen, const void *val, size_t vlen, int64_t expires,
    struct sp_error *err)
{
	int rc;

	if ((rc = kv_check(t, key, klen, err)) != SP_OK)
		return rc;
	if (vlen > SP_KV_VAL_MAX || (val == NULL && vlen > 0))
		return sp_error_set(err, SP_ETOOBIG,
		    "store: value of %zu bytes (max %d)", vlen, SP_KV_VAL_MAX);
	return s->ops->kv_put(s->b, t, key, klen, val, vlen, expires, err);
}

int
sp_store_kv_get(struct sp_store *s, enum sp_kv_table t, const void *key,
    size_t klen, void *val, size_t *vlen, struct sp_error *err)
{
	int rc;

	if ((rc = kv_check(t, key, klen, err)) != SP_OK)
		return rc;
	return s->ops->kv_get(s->b, t, key, klen, val, vlen, err);
}

int
sp_store_kv_del(struct sp_store *s, enum sp_kv_table t, const void *key,
    size_t klen, struct sp_error *err)
{
	int rc;

	if ((rc = kv_check(t, key, klen, err)) != SP_OK)
		return rc;
	return s->ops->kv_del(s->b, t, key, klen, err);
}

int
sp_store_kv_update(struct sp_store *s, enum sp_kv_table t, const void *key,
    size_t klen, sp_kv_update_fn fn, void *ctx, struct sp_error *err)
{
	int rc;

	if ((rc = kv_check(t, key, klen, err)) != SP_OK)
		return rc;
	if (fn == NULL)
		return sp_error_set(
		    err, SP_EINVAL, "store: no update callback");
	return s->ops->kv_update(s->b, t, key, klen, fn, ctx, err);
}

int
sp_store_kv_expire(struct sp_store *s, enum sp_kv_table t, int64_t now,
    size_t *removed, struct sp_error *err)
{
	size_t dummy;
	char k = 0;
	int rc;

	if ((rc = kv_check(t, &k, 1, err)) != SP_OK)
		return rc;
	return s->ops->kv_expire(s->b, t, now, removed ? removed : &dummy, err);
}

int
sp_store_audit_add(
    struct sp_store *s, const struct sp_audit_event *ev, struct sp_error *err)
{
	return sp_store_audit_add_many(s, ev, 1, err);
}

int
sp_store_audit_add_many(struct sp_store *s, const struct sp_audit_event *ev,
    size_t n, struct sp_error *err)
{
	size_t i;
	int rc;

	if (ev == NULL || n == 0)
		return sp_error_set(err, SP_EINVAL, "store: no audit event");
	for (i = 0; i < n; i++)
		if ((rc = sp_store_audit_check(&ev[i], err)) != SP_OK)
			return rc;
	return s->ops->audit_add(s->b, ev, n, err);
}

int
sp_store_open_config(const struct sp_config *cfg, bool read_only,
    struct sp_store **out, struct sp_error *err)
{
	struct sp_store_opts o = { cfg->store_map_size, cfg->store_max_size,
		read_only, cfg->store_group };

	return sp_store_open(cfg->store_path, &o, out, err);
}

int
sp_store_audit_check(const struct sp_audit_event *ev, struct sp_error *err)
{
	unsigned char val[SP_AUDIT_VAL_MAX];
	size_t vlen;

	if (ev->id[0] != '\0' && !sp_store_id_ok(ev->id))
		return bad_id(err);
	return sp_store_audit_encode(ev, val, sizeof(val), &vlen, err);
}

int
sp_store_audit_list(struct sp_store *s, const char *id, sp_store_audit_fn fn,
    void *ctx, struct sp_error *err)
{
	if (id != NULL && id[0] != '\0' && !sp_store_id_ok(id))
		return bad_id(err);
	if (fn == NULL)
		return sp_error_set(err, SP_EINVAL, "store: no audit callback");
	return s->ops->audit_list(s->b, id, fn, ctx, err);
}

int
sp_store_audit_expire(
    struct sp_store *s, int64_t before, size_t *removed, struct sp_error *err)
{
	size_t dummy;

	return s->ops->audit_expire(
	    s->b, before, removed ? removed : &dummy, err);
}
