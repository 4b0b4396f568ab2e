/* SPDX-License-Identifier: MIT */
/*
 * auth_session: portal sessions and their CSRF tokens (sp_auth.h).
 *
 * The browser holds 32 random bytes as 43 base64url characters; the
 * store holds, under H("session", raw id), a struct sess_rec whose kv
 * expiry is the earlier of last use + session_idle and creation +
 * session_max.  A lookup moves the idle deadline (in the same write
 * transaction that reads the record) only when the recorded last use is
 * SESSION_TOUCH_EVERY seconds old or more; a more recent one is only read,
 * with no write and no disk flush.  So a session in use ends between
 * session_idle - SESSION_TOUCH_EVERY and session_idle after its last use.
 */
#include "auth_priv.h"

#include <string.h>

#define SESSION_RAW     32
#define SESSION_VERSION 1
/* Seconds a recorded last use may lag behind the real one. */
#define SESSION_TOUCH_EVERY 60

struct sess_rec {
	uint32_t version;
	char id[SP_ID_LEN + 1];
	char rcpt[SP_AUTH_ADDR_MAX + 1];
	int64_t created;
	int64_t last_used;
};

/* Decodes a cookie value into the raw id; false when malformed. */
static bool
cookie_raw(const char *cookie, unsigned char raw[SESSION_RAW])
{
	size_t n;

	if (cookie == NULL || strlen(cookie) != SP_SESSION_ID_LEN)
		return false;
	if (sodium_base642bin(raw, SESSION_RAW, cookie, SP_SESSION_ID_LEN, NULL,
	        &n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return false;
	return n == SESSION_RAW;
}

static void
session_key(const struct sp_auth *a, const unsigned char raw[SESSION_RAW],
    unsigned char key[AUTH_HASH_BYTES])
{
	struct auth_part part = { raw, SESSION_RAW };

	sp_auth_hash(a, "session", &part, 1, key);
}

static int64_t
session_deadline(const struct sp_auth *a, const struct sess_rec *r)
{
	int64_t idle = r->last_used + a->lim.session_idle;
	int64_t max = r->created + a->lim.session_max;

	return idle < max ? idle : max;
}

int
sp_session_create(struct sp_auth *a, const char *id, const char *rcpt,
    int64_t now, char cookie[SP_SESSION_ID_LEN + 1], struct sp_error *err)
{
	unsigned char raw[SESSION_RAW], key[AUTH_HASH_BYTES];
	struct sess_rec rec;
	int rc;

	cookie[0] = '\0';
	if (strlen(id) > SP_ID_LEN || strlen(rcpt) > SP_AUTH_ADDR_MAX)
		return sp_error_set(err, SP_EINVAL, "bad session owner");
	memset(&rec, 0, sizeof(rec));
	rec.version = SESSION_VERSION;
	memcpy(rec.id, id, strlen(id));
	memcpy(rec.rcpt, rcpt, strlen(rcpt));
	rec.created = now;
	rec.last_used = now;
	randombytes_buf(raw, sizeof(raw));
	session_key(a, raw, key);
	rc = sp_store_kv_put(a->store, SP_KV_SESSIONS, key, sizeof(key), &rec,
	    sizeof(rec), session_deadline(a, &rec), err);
	if (rc == SP_OK)
		sodium_bin2base64(cookie, SP_SESSION_ID_LEN + 1, raw,
		    sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

struct touch_ctx {
	const struct sp_auth *a;
	int64_t now;
	struct sess_rec rec;
	bool ok;
};

static int
session_touch(void *vctx, bool found, void *val, size_t *vlen, int64_t *expires)
{
	struct touch_ctx *ctx = vctx;

	ctx->ok = false;
	if (!found || *vlen != sizeof(ctx->rec))
		return 0;
	memcpy(&ctx->rec, val, sizeof(ctx->rec));
	if (ctx->rec.version != SESSION_VERSION ||
	    session_deadline(ctx->a, &ctx->rec) <= ctx->now)
		return 2;
	ctx->rec.last_used = ctx->now;
	memcpy(val, &ctx->rec, sizeof(ctx->rec));
	*expires = session_deadline(ctx->a, &ctx->rec);
	ctx->ok = true;
	return 1;
}

/* Reads the record without writing; true when it is live and its last
 * use recent enough that it need not be rewritten (ctx->rec gets it). */
static bool
session_fresh(struct sp_auth *a, const unsigned char key[AUTH_HASH_BYTES],
    struct touch_ctx *ctx)
{
	unsigned char val[SP_KV_VAL_MAX];
	size_t vlen = 0;

	if (sp_store_kv_get(a->store, SP_KV_SESSIONS, key, AUTH_HASH_BYTES, val,
	        &vlen, NULL) != SP_OK ||
	    vlen != sizeof(ctx->rec))
		return false;
	memcpy(&ctx->rec, val, sizeof(ctx->rec));
	return ctx->rec.version == SESSION_VERSION &&
	    session_deadline(a, &ctx->rec) > ctx->now &&
	    ctx->rec.last_used <= ctx->now &&
	    ctx->now - ctx->rec.last_used < SESSION_TOUCH_EVERY;
}

int
sp_session_lookup(struct sp_auth *a, const char *cookie, int64_t now,
    struct sp_session *out, struct sp_error *err)
{
	unsigned char raw[SESSION_RAW], key[AUTH_HASH_BYTES];
	struct touch_ctx ctx;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!cookie_raw(cookie, raw))
		return sp_error_set(err, SP_ENOTFOUND, "no session");
	session_key(a, raw, key);
	sodium_memzero(raw, sizeof(raw));
	memset(&ctx, 0, sizeof(ctx));
	ctx.a = a;
	ctx.now = now;
	if (!session_fresh(a, key, &ctx)) {
		rc = sp_store_kv_update(a->store, SP_KV_SESSIONS, key,
		    sizeof(key), session_touch, &ctx, err);
		if (rc != SP_OK)
			return rc;
		if (!ctx.ok)
			return sp_error_set(err, SP_ENOTFOUND, "no session");
	}
	memcpy(out->id, ctx.rec.id, sizeof(out->id));
	out->id[SP_ID_LEN] = '\0';
	memcpy(out->rcpt, ctx.rec.rcpt, sizeof(out->rcpt));
	out->rcpt[SP_AUTH_ADDR_MAX] = '\0';
	out->created = ctx.rec.created;
	out->last_used = ctx.rec.last_used;
	return SP_OK;
}

int
sp_session_destroy(struct sp_auth *a, const char *cookie, struct sp_error *err)
{
	unsigned char raw[SESSION_RAW], key[AUTH_HASH_BYTES];
	int rc;

	if (!cookie_raw(cookie, raw))
		return SP_OK;
	session_key(a, raw, key);
	sodium_memzero(raw, sizeof(raw));
	rc = sp_store_kv_del(a->store, SP_KV_SESSIONS, key, sizeof(key), err);
	return rc == SP_ENOTFOUND ? SP_OK : rc;
}

static void
csrf_raw(
    struct sp_auth *a, const char *cookie, unsigned char out[AUTH_HASH_BYTES])
{
	struct auth_part part = { cookie, cookie ? strlen(cookie) : 0 };

	sp_auth_hash(a, "csrf", &part, 1, out);
}

void
sp_session_csrf(
    struct sp_auth *a, const char *cookie, char token[SP_CSRF_LEN + 1])
{
	unsigned char raw[AUTH_HASH_BYTES];

	csrf_raw(a, cookie, raw);
	sodium_bin2base64(token, SP_CSRF_LEN + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool
sp_session_csrf_ok(
    struct sp_auth *a, const char *cookie, const char *token, size_t token_len)
{
	char want[SP_CSRF_LEN + 1];

	if (cookie == NULL || token == NULL || token_len != SP_CSRF_LEN)
		return false;
	sp_session_csrf(a, cookie, want);
	return sodium_memcmp(want, token, SP_CSRF_LEN) == 0;
}
