/* SPDX-License-Identifier: MIT */
/*
 * auth_passcode: the server secret and one-time passcodes (sp_auth.h).
 *
 * Records (all keys are keyed hashes; values are fixed-size structs in
 * host byte order, a store serves one host):
 *   passcodes  H("code", id, rcpt)  -> struct code_rec, expires at ttl
 *   ratelimits H("tries", id, rcpt) -> struct count_rec, one hour from the
 *                                      first wrong try
 *   ratelimits H("issue", rcpt)     -> struct count_rec, one hour from the
 *                                      first code
 * A check first reserves a try (one write transaction that refuses past
 * the limit), then compares and burns the code in a second one, so that
 * parallel guesses can never get more than max_tries compares and a code
 * can never be used twice.
 */
#include "auth_priv.h"

#include "sp_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD_VERSION 1
#define HOUR           3600

struct code_rec {
	uint32_t version;
	uint32_t pad;
	unsigned char hash[AUTH_HASH_BYTES];
	int64_t issued;
};

struct count_rec {
	uint32_t version;
	uint32_t count;
	int64_t window_end;
};

void
sp_auth_hash(const struct sp_auth *a, const char *label,
    const struct auth_part *parts, size_t nparts,
    unsigned char out[AUTH_HASH_BYTES])
{
	crypto_generichash_state st;
	uint64_t n;
	size_t i;

	crypto_generichash_init(
	    &st, a->secret, AUTH_SECRET_BYTES, AUTH_HASH_BYTES);
	crypto_generichash_update(
	    &st, (const unsigned char *)label, strlen(label) + 1);
	for (i = 0; i < nparts; i++) {
		n = parts[i].len;
		crypto_generichash_update(
		    &st, (const unsigned char *)&n, sizeof(n));
		crypto_generichash_update(&st, parts[i].p, parts[i].len);
	}
	crypto_generichash_final(&st, out, AUTH_HASH_BYTES);
}

/* Reads keys_dir/portal.secret; when it is missing and the portal may
 * write keys_dir, makes it first (sealpostctl keygen normally has).  Two
 * workers starting together end up with the same secret: the file is
 * linked into place and never replaced. */
static int
secret_load(const char *keys_dir, const char *group, unsigned char *secret,
    struct sp_error *err)
{
	struct sp_error why;
	int rc;

	rc = sp_keys_secret_read(
	    keys_dir, SP_AUTH_SECRET, group, secret, AUTH_SECRET_BYTES, err);
	if (rc != SP_ENOTFOUND)
		return rc;
	sp_error_clear(&why);
	rc = sp_keys_secret_create(
	    keys_dir, SP_AUTH_SECRET, NULL, NULL, AUTH_SECRET_BYTES, &why);
	if (rc != SP_OK && rc != SP_EEXIST)
		return sp_error_set(err, rc,
		    "%s/%s is missing and cannot be made here (%s); run "
		    "sealpostctl keygen",
		    keys_dir, SP_AUTH_SECRET, why.msg);
	return sp_keys_secret_read(
	    keys_dir, SP_AUTH_SECRET, group, secret, AUTH_SECRET_BYTES, err);
}

int
sp_auth_new_group(struct sp_auth **out, struct sp_store *store,
    const char *keys_dir, const char *group, const struct sp_auth_limits *lim,
    struct sp_error *err)
{
	struct sp_auth *a;
	int rc;

	*out = NULL;
	if (sodium_init() < 0)
		return sp_error_set(err, SP_EIO, "libsodium failed to start");
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return sp_error_set(err, SP_ENOMEM, "out of memory");
	a->store = store;
	a->lim = *lim;
	a->secret = sodium_malloc(AUTH_SECRET_BYTES);
	if (a->secret == NULL) {
		rc = sp_error_set(err, SP_ENOMEM, "out of memory");
		goto out;
	}
	rc = secret_load(keys_dir, group, a->secret, err);
out:
	if (rc != SP_OK)
		sp_auth_free(a);
	else
		*out = a;
	return rc;
}

int
sp_auth_new(struct sp_auth **out, struct sp_store *store, const char *keys_dir,
    const struct sp_auth_limits *lim, struct sp_error *err)
{
	return sp_auth_new_group(out, store, keys_dir, NULL, lim, err);
}

void
sp_auth_free(struct sp_auth *a)
{
	if (a == NULL)
		return;
	sodium_free(a->secret);
	free(a);
}

/* Lowercases an address into buf; SP_EINVAL when empty or too long. */
static int
addr_fold(const char *rcpt, char buf[SP_AUTH_ADDR_MAX + 1])
{
	size_t i, n = strlen(rcpt);

	if (n == 0 || n > SP_AUTH_ADDR_MAX)
		return SP_EINVAL;
	for (i = 0; i < n; i++) {
		char c = rcpt[i];

		buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	buf[n] = '\0';
	return SP_OK;
}

static void
key_for(const struct sp_auth *a, const char *label, const char *id,
    const char *rcpt, unsigned char out[AUTH_HASH_BYTES])
{
	struct auth_part parts[2] = {
		{ rcpt, strlen(rcpt) },
		{ id, id ? strlen(id) : 0 },
	};

	sp_auth_hash(a, label, parts, id ? 2 : 1, out);
}

static void
code_hash(const struct sp_auth *a, const char *id, const char *rcpt,
    const char *code, size_t len, unsigned char out[AUTH_HASH_BYTES])
{
	struct auth_part parts[3] = {
		{ id, strlen(id) },
		{ rcpt, strlen(rcpt) },
		{ code, len },
	};

	sp_auth_hash(a, "passcode", parts, 3, out);
}

struct count_ctx {
	uint32_t limit;
	int64_t now;
	bool refused; /* out */
};

/* Counts one more event in a fixed one-hour window that starts with the
 * first event; refuses past the limit.  The window is checked against
 * the caller's clock as well as the store's expiry.  May run twice (the
 * store retries after growing): the result depends on the arguments
 * only. */
static int
count_up(void *vctx, bool found, void *val, size_t *vlen, int64_t *expires)
{
	struct count_ctx *ctx = vctx;
	struct count_rec rec = { RECORD_VERSION, 0, ctx->now + HOUR };

	ctx->refused = false;
	if (found && *vlen == sizeof(rec))
		memcpy(&rec, val, sizeof(rec));
	if (rec.version != RECORD_VERSION || rec.window_end <= ctx->now) {
		rec.version = RECORD_VERSION;
		rec.count = 0;
		rec.window_end = ctx->now + HOUR;
	}
	if (rec.count >= ctx->limit) {
		ctx->refused = true;
		return 0;
	}
	rec.count++;
	memcpy(val, &rec, sizeof(rec));
	*vlen = sizeof(rec);
	*expires = rec.window_end;
	return 1;
}

int
sp_passcode_issue(struct sp_auth *a, const char *id, const char *rcpt,
    int64_t now, char code[SP_PASSCODE_LEN + 1], struct sp_error *err)
{
	char folded[SP_AUTH_ADDR_MAX + 1];
	unsigned char key[AUTH_HASH_BYTES];
	struct count_ctx cc = { a->lim.passcode_max_per_hour, now, false };
	struct code_rec rec = { RECORD_VERSION, 0, { 0 }, now };
	int rc;

	code[0] = '\0';
	if (addr_fold(rcpt, folded) != SP_OK)
		return sp_error_set(err, SP_EINVAL, "bad recipient address");
	key_for(a, "issue", NULL, folded, key);
	rc = sp_store_kv_update(
	    a->store, SP_KV_RATELIMITS, key, sizeof(key), count_up, &cc, err);
	if (rc != SP_OK)
		return rc;
	if (cc.refused)
		return sp_error_set(err, SP_ELIMIT, "too many codes this hour");
	snprintf(code, SP_PASSCODE_LEN + 1, "%08u",
	    (unsigned)randombytes_uniform(100000000u));
	code_hash(a, id, folded, code, SP_PASSCODE_LEN, rec.hash);
	key_for(a, "code", id, folded, key);
	rc = sp_store_kv_put(a->store, SP_KV_PASSCODES, key, sizeof(key), &rec,
	    sizeof(rec), now + a->lim.passcode_ttl, err);
	if (rc != SP_OK)
		sodium_memzero(code, SP_PASSCODE_LEN + 1);
	return rc;
}

struct burn_ctx {
	unsigned char want[AUTH_HASH_BYTES];
	int64_t issued_after; /* a code issued at or before this is dead */
	bool ok;              /* out */
};

/* Compares in constant time; a match burns the code (delete), so does
 * finding it past its time. */
static int
code_burn(void *vctx, bool found, void *val, size_t *vlen, int64_t *expires)
{
	struct burn_ctx *ctx = vctx;
	struct code_rec rec;

	(void)expires;
	ctx->ok = false;
	if (!found || *vlen != sizeof(rec))
		return 0;
	memcpy(&rec, val, sizeof(rec));
	if (rec.version != RECORD_VERSION || rec.issued <= ctx->issued_after)
		return 2;
	if (sodium_memcmp(rec.hash, ctx->want, sizeof(rec.hash)) != 0)
		return 0;
	ctx->ok = true;
	return 2;
}

int
sp_passcode_check(struct sp_auth *a, const char *id, const char *rcpt,
    const char *code, size_t code_len, int64_t now, struct sp_error *err)
{
	char folded[SP_AUTH_ADDR_MAX + 1];
	unsigned char tkey[AUTH_HASH_BYTES], ckey[AUTH_HASH_BYTES];
	struct count_ctx cc = { a->lim.passcode_max_tries, now, false };
	struct burn_ctx bc = { { 0 }, now - a->lim.passcode_ttl, false };
	int rc;

	if (addr_fold(rcpt, folded) != SP_OK)
		return sp_error_set(err, SP_EAUTH, "wrong code");
	key_for(a, "tries", id, folded, tkey);
	rc = sp_store_kv_update(
	    a->store, SP_KV_RATELIMITS, tkey, sizeof(tkey), count_up, &cc, err);
	if (rc != SP_OK)
		return rc;
	if (cc.refused)
		return sp_error_set(err, SP_ELIMIT, "too many wrong tries");
	code_hash(a, id, folded, code, code_len, bc.want);
	key_for(a, "code", id, folded, ckey);
	rc = sp_store_kv_update(
	    a->store, SP_KV_PASSCODES, ckey, sizeof(ckey), code_burn, &bc, err);
	if (rc != SP_OK)
		return rc;
	if (!bc.ok)
		return sp_error_set(err, SP_EAUTH, "wrong code");
	/* A right code clears the wrong tries; failing here only means
	 * that the window runs out by itself. */
	(void)sp_store_kv_del(
	    a->store, SP_KV_RATELIMITS, tkey, sizeof(tkey), NULL);
	return SP_OK;
}
