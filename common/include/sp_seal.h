/* SPDX-License-Identifier: MIT */
/*
 * sp_seal: the sealed message format, streaming both ways.
 *
 * A sealed message is a record header and a sequence of chunks.
 *
 *   header: magic "SPS1", format version, key id of the portal key,
 *           crypto_box_seal(message key) to that public key,
 *           the crypto_secretstream_xchacha20poly1305 header.
 *   chunk i: crypto_secretstream_xchacha20poly1305_push() of up to
 *           SP_SEAL_CHUNK plaintext bytes, associated data = the message
 *           id; the last chunk carries TAG_FINAL (an empty message is one
 *           empty FINAL chunk).
 *
 * The exact byte layout is written down in seal_stream.c and pinned by
 * known-answer vectors in tests/unit.  The message key is random per
 * message, held in sodium_malloc memory and wiped when the sealer or
 * opener is freed.
 *
 * Sealing: push bytes as they arrive in any sizes; every time a full
 * chunk is ready, the chunk callback gets it (seq from 0); finish emits the
 * last (FINAL) chunk.  Memory stays constant.
 *
 * Opening: feed the header, then the chunks in order; each chunk is
 * authenticated before a single plaintext byte is handed out.  Tampering,
 * a wrong key, a chunk of another message, reordering, a chunk after
 * FINAL, or an end without FINAL (truncation) fail with SP_EAUTH or
 * SP_EFORMAT.
 */
#ifndef SP_SEAL_H
#define SP_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_error.h"
#include "sp_keys.h"

#define SP_SEAL_CHUNK          65536 /* plaintext bytes per chunk */
#define SP_SEAL_CHUNK_OVERHEAD 17    /* secretstream ABYTES */
#define SP_SEAL_HEADER_MAX     256   /* record header size bound */
#define SP_ID_BYTES            16    /* message id: 128 random bits */
#define SP_ID_LEN              22    /* base64url, no padding */
#define SP_REF_LEN             9     /* reference code "ABCD-EFGH" */

/* A new random message id: 128 random bits, base64url without padding,
 * SP_ID_LEN characters and a NUL.  Aborts only if libsodium cannot start
 * (no source of randomness). */
void sp_id_new(char out[SP_ID_LEN + 1]);
/* True if s is a well-formed message id: exactly SP_ID_LEN base64url
 * characters that decode to SP_ID_BYTES bytes (canonical last character).
 * NULL is not valid. */
bool sp_id_valid(const char *s);
/* A new random reference code "ABCD-EFGH": 8 characters from the 32
 * letters and digits that cannot be mistaken for each other (no 0, O, 1,
 * I), 40 random bits, a dash in the middle.  It is for people to quote,
 * not a secret and not unique by itself. */
void sp_ref_new(char out[SP_REF_LEN + 1]);
/* True if s is a reference code as sp_ref_new makes them (upper case). */
bool sp_ref_valid(const char *s);

/* Gets each sealed chunk as it is made, seq from 0.  c is valid only
 * during the call.  Returns SP_OK, or a negative SP_E* code that stops
 * the sealer (push or finish then return that code). */
typedef int (*sp_chunk_fn)(
    void *ctx, uint32_t seq, const unsigned char *c, size_t len);

struct sp_sealer;

/* key: the pair to seal to (its id and pk; sk is not used), normally
 * sp_keyring_newest().  id: the message id (associated data of every
 * chunk); must be sp_id_valid (SP_EINVAL otherwise).  The sealer holds
 * about 130 KiB whatever the message size.  key is not kept. */
int sp_sealer_new(struct sp_sealer **out, const struct sp_keypair *key,
    const char *id, sp_chunk_fn fn, void *ctx,
    struct sp_error *err) SP_MUST_CHECK;
/* The record header, valid until sp_sealer_free. */
const unsigned char *sp_sealer_header(const struct sp_sealer *s, size_t *len);
/* Any size, any number of times; a full chunk is emitted once a byte
 * past it arrives, so the last chunk always goes out with FINAL.  After a
 * failure or after finish: SP_EINVAL. */
int sp_sealer_push(struct sp_sealer *s, const void *data, size_t len,
    struct sp_error *err) SP_MUST_CHECK;
/* Emits the last chunk (TAG_FINAL).  Call once. */
int sp_sealer_finish(struct sp_sealer *s, struct sp_error *err) SP_MUST_CHECK;
/* Bytes pushed so far, and chunks emitted so far. */
uint64_t sp_sealer_size(const struct sp_sealer *s);
uint32_t sp_sealer_chunks(const struct sp_sealer *s);
/* Wipes the message key, stream state and buffers.  NULL is fine. */
void sp_sealer_free(struct sp_sealer *s);

struct sp_opener;

/* Parses header (outside input: SP_EFORMAT on anything malformed), finds
 * its key id in kr (SP_ENOTFOUND naming the id if absent or without a
 * secret key) and opens the message key (SP_EAUTH: wrong key or tampered
 * header).  When kr->msgkeys is set (sp_keycache.h), a key kept for the
 * same id and the very same header bytes is used instead of opening it,
 * and a key opened here is kept; the caller must have checked the record
 * (revoked, expired, purged) before.
 * id must be the id the message was sealed under (SP_EINVAL if
 * not sp_id_valid; another valid id fails at the first chunk with
 * SP_EAUTH).  kr is only read during the call. */
int sp_opener_new(struct sp_opener **out, const struct sp_keyring *kr,
    const char *id, const unsigned char *header, size_t len,
    struct sp_error *err) SP_MUST_CHECK;
/* Opens chunk seq (must be the next one: SP_EFORMAT otherwise).  out must
 * hold len - SP_SEAL_CHUNK_OVERHEAD bytes (SP_SEAL_CHUNK always does) and
 * nothing past that is written; *outlen gets the plaintext size, *final
 * whether this was the last chunk.  out is written only when the chunk
 * authenticated; on any failure *outlen is 0 and nothing was handed out.
 * SP_EAUTH: tampered, reordered, or from another message; SP_EFORMAT: a
 * bad length, a chunk after FINAL, a non-canonical chunk.  After a failure
 * every further call fails.  Chunks before FINAL are authentic but the
 * message may still be cut short: act on the whole only once
 * sp_opener_end returned SP_OK. */
int sp_opener_pull(struct sp_opener *o, uint32_t seq,
    const unsigned char *chunk, size_t len, unsigned char *out, size_t *outlen,
    bool *final, struct sp_error *err) SP_MUST_CHECK;
/* Call at the end of input: SP_OK only if FINAL was seen (SP_EAUTH: the
 * message was truncated). */
int sp_opener_end(struct sp_opener *o, struct sp_error *err) SP_MUST_CHECK;
/* Wipes the stream state.  NULL is fine. */
void sp_opener_free(struct sp_opener *o);
/* The key id named in a record header, without opening it; the header is
 * checked as strictly as by sp_opener_new (SP_EFORMAT). */
int sp_seal_header_keyid(const unsigned char *header, size_t len,
    char id[SP_KEYID_MAX], struct sp_error *err) SP_MUST_CHECK;

#endif
