/* SPDX-License-Identifier: MIT */
/*
 * msg_io: whole messages in and out of the store (see sp_msg.h).
 *
 * Sealing puts every chunk as the sealer emits it and commits the
 * metadata with no tail, so memory holds one chunk at a time on top of
 * the input.  Opening authenticates chunk by chunk (sp_opener), each
 * straight into the output buffer, and only hands the buffer out once the
 * FINAL chunk was seen.  The ring's cache of message keys, when it has
 * one, is used by the opener (sp_keycache.h).
 */
#include "sp_msg.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_seal.h"

struct seal_ctx {
	struct sp_store *s;
	const char *id;
	struct sp_error *err;
};

static int
put_chunk(void *vctx, uint32_t seq, const unsigned char *c, size_t len)
{
	struct seal_ctx *ctx = vctx;

	return sp_store_chunk_put(ctx->s, ctx->id, seq, c, len, ctx->err);
}

int
sp_msg_seal_buffer(struct sp_store *s, const struct sp_keyring *kr,
    struct sp_msg_meta *meta, const char *buf, size_t len, struct sp_error *err)
{
	const struct sp_keypair *key = sp_keyring_newest(kr);
	struct seal_ctx ctx = { s, meta->id, err };
	struct sp_sealer *sealer = NULL;
	const unsigned char *hdr;
	size_t hlen;
	int rc;

	if (key == NULL)
		return sp_error_set(err, SP_ENOTFOUND, "no sealing key");
	rc = sp_sealer_new(&sealer, key, meta->id, put_chunk, &ctx, err);
	if (rc != SP_OK)
		return rc;
	rc = sp_sealer_push(sealer, buf, len, err);
	if (rc == SP_OK)
		rc = sp_sealer_finish(sealer, err);
	if (rc != SP_OK)
		goto out;
	hdr = sp_sealer_header(sealer, &hlen);
	if (hlen > sizeof(meta->header)) {
		rc = sp_error_set(err, SP_EFORMAT, "seal header too long");
		goto out;
	}
	memcpy(meta->header, hdr, hlen);
	meta->header_len = (uint32_t)hlen;
	snprintf(meta->key_id, sizeof(meta->key_id), "%s", key->id);
	meta->size = sp_sealer_size(sealer);
	meta->nchunks = sp_sealer_chunks(sealer);
	rc = sp_store_msg_commit(s, meta, meta->nchunks, NULL, NULL, 0, err);
out:
	if (rc != SP_OK)
		(void)sp_store_msg_abort(s, meta->id, NULL);
	sp_sealer_free(sealer);
	return rc;
}

struct open_ctx {
	struct sp_opener *o;
	char *buf;
	size_t len, max;
	bool final;
	struct sp_error *err;
};

/* Each chunk is opened straight into its place in the buffer: the
 * opener writes exactly the chunk's length less its overhead, and only
 * once the chunk authenticated. */
static int
pull_chunk(void *vctx, uint32_t seq, const unsigned char *c, size_t len)
{
	struct open_ctx *ctx = vctx;
	size_t n,
	    want =
	        len > SP_SEAL_CHUNK_OVERHEAD ? len - SP_SEAL_CHUNK_OVERHEAD : 0;
	int rc;

	if (want > ctx->max - ctx->len)
		return sp_error_set(ctx->err, SP_ETOOBIG, "message too big");
	rc = sp_opener_pull(ctx->o, seq, c, len,
	    (unsigned char *)ctx->buf + ctx->len, &n, &ctx->final, ctx->err);
	if (rc != SP_OK)
		return rc;
	ctx->len += n;
	return SP_OK;
}

int
sp_msg_open_buffer(struct sp_store *s, const struct sp_keyring *kr,
    const struct sp_msg_meta *meta, size_t max, char **out, size_t *outlen,
    struct sp_error *err)
{
	struct open_ctx ctx = { NULL, NULL, 0, max, false, err };
	int rc;

	*out = NULL;
	*outlen = 0;
	if (meta->size > max)
		return sp_error_set(err, SP_ETOOBIG, "message too big");
	ctx.buf = malloc((size_t)meta->size + 1);
	if (ctx.buf == NULL) {
		rc = sp_error_set(err, SP_ENOMEM, "out of memory");
		goto out;
	}
	ctx.max = (size_t)meta->size;
	rc = sp_opener_new(
	    &ctx.o, kr, meta->id, meta->header, meta->header_len, err);
	if (rc != SP_OK)
		goto out;
	rc = sp_store_chunks_read(
	    s, meta->id, meta->nchunks, pull_chunk, &ctx, err);
	if (rc == SP_OK)
		rc = sp_opener_end(ctx.o, err);
	if (rc != SP_OK)
		goto out;
	ctx.buf[ctx.len] = '\0';
	*out = ctx.buf;
	*outlen = ctx.len;
	ctx.buf = NULL;
out:
	sp_opener_free(ctx.o);
	if (ctx.buf != NULL) {
		sodium_memzero(ctx.buf, ctx.len);
		free(ctx.buf);
	}
	return rc;
}
