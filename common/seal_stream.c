/* SPDX-License-Identifier: MIT */
/*
 * seal_stream: the sealed message format, version 1 (see sp_seal.h).
 *
 * Record header, exact bytes (L = key id length):
 *
 *   offset  size  field
 *   0       4     magic "SPS1" (53 50 53 31)
 *   4       1     format version, 0x01
 *   5       1     L, the key id length, 1..39
 *   6       L     key id, ASCII [0-9A-Za-z_-], no NUL
 *   6+L     80    crypto_box_seal(message key, portal public key):
 *                 ephemeral public key (32), then the crypto_box
 *                 ciphertext of the 32-byte key with its MAC (16+32)
 *   86+L    24    crypto_secretstream_xchacha20poly1305 header
 *   110+L         end: the header is exactly 110+L bytes, nothing follows
 *
 * Chunks: the message key is a crypto_secretstream_xchacha20poly1305 key
 * (random per message).  Plaintext byte n belongs to chunk n / 65536.
 * Chunk i is crypto_secretstream_xchacha20poly1305_push() of its
 * plaintext with the associated data = the message id (its SP_ID_LEN
 * ASCII characters, no NUL), so it is plaintext length + 17 bytes.  Every
 * chunk but the last holds exactly 65536 plaintext bytes and TAG_MESSAGE;
 * the last holds 1..65536 bytes and TAG_FINAL.  An empty message is one
 * chunk of 0 bytes with TAG_FINAL.  A message of size S thus has
 * max(1, ceil(S / 65536)) chunks; the opener refuses any other shape.
 * Chunks carry no sequence number: the stream state does the counting,
 * so a chunk in the wrong place fails to authenticate.
 *
 * What it gives: only a holder of the portal secret key reads a message;
 * any change to a chunk, a swap of chunks within or between messages, a
 * cut at a chunk boundary, and any change to the header are refused.
 * What it does not give: proof of who sealed.  Anyone with the public key
 * can seal a message under any id; the store's access control decides
 * who may write.
 *
 * Randomness is drawn in this order per message: the message key (32
 * bytes), the crypto_box_seal ephemeral key (32), the secretstream header
 * (24).  The known-answer tests rely on that order.
 *
 * Secrets (the message key and both stream states) live in sodium_malloc
 * memory (blocks reused through seal_secmem.h) and are wiped when given
 * back; the plaintext buffer is wiped too.
 */
#include "sp_seal.h"

#include "seal_secmem.h"
#include "sp_keycache.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SS_ABYTES   crypto_secretstream_xchacha20poly1305_ABYTES
#define SS_HDRBYTES crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define SS_KEYBYTES crypto_secretstream_xchacha20poly1305_KEYBYTES
#define TAG_MESSAGE crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_FINAL   crypto_secretstream_xchacha20poly1305_TAG_FINAL

#define SEAL_VERSION     1
#define SEAL_MAGIC       "SPS1"
#define SEAL_MAGIC_LEN   4
#define SEAL_SEALED_KEY  (crypto_box_SEALBYTES + SS_KEYBYTES) /* 80 */
#define SEAL_FIXED_BYTES (SEAL_MAGIC_LEN + 2 + SEAL_SEALED_KEY + SS_HDRBYTES)

_Static_assert(SEAL_FIXED_BYTES == 110, "header layout changed");
_Static_assert(SEAL_FIXED_BYTES + SP_KEYID_MAX - 1 <= SP_SEAL_HEADER_MAX,
    "SP_SEAL_HEADER_MAX too small");
_Static_assert(SS_ABYTES == SP_SEAL_CHUNK_OVERHEAD, "chunk overhead");
_Static_assert(SS_KEYBYTES == SP_KEYCACHE_KEYLEN, "cached key size");

struct seal_secrets {
	unsigned char key[SS_KEYBYTES];
	crypto_secretstream_xchacha20poly1305_state st;
};

_Static_assert(sizeof(struct seal_secrets) <= SP_SECMEM_BLOCK, "secret block");
_Static_assert(
    sizeof(crypto_secretstream_xchacha20poly1305_state) <= SP_SECMEM_BLOCK,
    "secret block");

struct sp_sealer {
	struct seal_secrets *sec; /* sodium_malloc */
	char id[SP_ID_LEN + 1];
	sp_chunk_fn fn;
	void *ctx;
	unsigned char header[SP_SEAL_HEADER_MAX];
	size_t header_len;
	unsigned char *buf;  /* plaintext of the chunk being filled */
	size_t fill;         /* bytes in buf */
	unsigned char *cbuf; /* one sealed chunk */
	uint64_t size;
	uint32_t chunks;
	int failed; /* status that stopped the sealer, or SP_OK */
	bool finished;
};

struct sp_opener {
	crypto_secretstream_xchacha20poly1305_state *st; /* sodium_malloc */
	char id[SP_ID_LEN + 1];
	uint32_t next; /* seq of the chunk expected next */
	bool final_seen;
	int failed;
};

/* A parsed header: pointers into the caller's bytes. */
struct seal_hdr {
	char keyid[SP_KEYID_MAX];
	const unsigned char *sealed_key;
	const unsigned char *ss_header;
};

static bool
keyid_char_ok(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}

static int
keyid_check(const unsigned char *p, size_t n, struct sp_error *err)
{
	size_t i;

	if (n == 0 || n > SP_KEYID_MAX - 1)
		return sp_error_set(err, SP_EFORMAT,
		    "key id length %zu out of range 1..%d", n,
		    SP_KEYID_MAX - 1);
	for (i = 0; i < n; i++)
		if (!keyid_char_ok(p[i]))
			return sp_error_set(err, SP_EFORMAT,
			    "key id byte %zu is 0x%02x, outside [0-9A-Za-z_-]",
			    i, p[i]);
	return SP_OK;
}

/* Parses the header strictly; every error is SP_EFORMAT. */
static int
seal_header_parse(const unsigned char *h, size_t len, struct seal_hdr *out,
    struct sp_error *err)
{
	size_t idlen, want;
	int rc;

	if (h == NULL || len < SEAL_MAGIC_LEN + 2)
		return sp_error_set(err, SP_EFORMAT,
		    "sealed header too short: %zu bytes, want at least %d",
		    h == NULL ? 0 : len, SEAL_FIXED_BYTES + 1);
	if (memcmp(h, SEAL_MAGIC, SEAL_MAGIC_LEN) != 0)
		return sp_error_set(err, SP_EFORMAT,
		    "sealed header has bad magic, not a sealpost record");
	if (h[4] != SEAL_VERSION)
		return sp_error_set(err, SP_EFORMAT,
		    "sealed header version %u unknown, this build reads "
		    "version %d",
		    h[4], SEAL_VERSION);
	idlen = h[5];
	if (idlen == 0 || idlen > SP_KEYID_MAX - 1)
		return keyid_check(h + 6, idlen, err);
	want = SEAL_FIXED_BYTES + idlen;
	if (len < want)
		return sp_error_set(err, SP_EFORMAT,
		    "sealed header too short: %zu bytes, want %zu", len, want);
	if (len > want)
		return sp_error_set(err, SP_EFORMAT,
		    "sealed header has %zu bytes after its end", len - want);
	if ((rc = keyid_check(h + 6, idlen, err)) != SP_OK)
		return rc;
	memcpy(out->keyid, h + 6, idlen);
	out->keyid[idlen] = '\0';
	out->sealed_key = h + 6 + idlen;
	out->ss_header = out->sealed_key + SEAL_SEALED_KEY;
	return SP_OK;
}

int
sp_seal_header_keyid(const unsigned char *header, size_t len,
    char id[SP_KEYID_MAX], struct sp_error *err)
{
	struct seal_hdr h;
	int rc;

	if ((rc = seal_header_parse(header, len, &h, err)) != SP_OK)
		return rc;
	memcpy(id, h.keyid, strlen(h.keyid) + 1);
	return SP_OK;
}

/* Draws the message key, seals it to kp and starts the stream, writing
 * the whole header into s->header.  The key is wiped once the stream
 * state holds it. */
static int
seal_header_build(
    struct sp_sealer *s, const struct sp_keypair *kp, struct sp_error *err)
{
	unsigned char *p = s->header;
	size_t idlen = strnlen(kp->id, SP_KEYID_MAX);
	struct sp_error e;
	int rc = SP_OK;

	if (keyid_check((const unsigned char *)kp->id, idlen, &e) != SP_OK)
		return sp_error_set(err, SP_EINVAL, "cannot seal: %s", e.msg);
	memcpy(p, SEAL_MAGIC, SEAL_MAGIC_LEN);
	p[4] = SEAL_VERSION;
	p[5] = (unsigned char)idlen;
	memcpy(p + 6, kp->id, idlen);
	p += 6 + idlen;

	crypto_secretstream_xchacha20poly1305_keygen(s->sec->key);
	if (crypto_box_seal(p, s->sec->key, SS_KEYBYTES, kp->pk) != 0) {
		rc = sp_error_set(err, SP_EINVAL,
		    "cannot seal to key %s: its public key is not usable",
		    kp->id);
		goto out;
	}
	p += SEAL_SEALED_KEY;
	if (crypto_secretstream_xchacha20poly1305_init_push(
	        &s->sec->st, p, s->sec->key) != 0) {
		rc = sp_error_set(err, SP_EINVAL, "cannot start the stream");
		goto out;
	}
	s->header_len = SEAL_FIXED_BYTES + idlen;
out:
	sodium_memzero(s->sec->key, sizeof(s->sec->key));
	return rc;
}

int
sp_sealer_new(struct sp_sealer **out, const struct sp_keypair *key,
    const char *id, sp_chunk_fn fn, void *ctx, struct sp_error *err)
{
	struct sp_sealer *s = NULL;
	int rc;

	*out = NULL;
	if (key == NULL || fn == NULL || !sp_id_valid(id))
		return sp_error_set(err, SP_EINVAL, "cannot seal: %s",
		    key == NULL      ? "no key"
		        : fn == NULL ? "no chunk callback"
		                     : "not a message id");
	if (sodium_init() < 0)
		return sp_error_set(err, SP_EINVAL, "libsodium did not start");
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->sec = sp_secmem_get(sizeof(*s->sec))) == NULL ||
	    (s->buf = malloc(SP_SEAL_CHUNK)) == NULL ||
	    (s->cbuf = malloc(SP_SEAL_CHUNK + SS_ABYTES)) == NULL) {
		rc = sp_error_set(err, SP_ENOMEM, "cannot seal: out of memory");
		goto out;
	}
	memcpy(s->id, id, SP_ID_LEN + 1);
	s->fn = fn;
	s->ctx = ctx;
	if ((rc = seal_header_build(s, key, err)) != SP_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	sp_sealer_free(s);
	return rc;
}

const unsigned char *
sp_sealer_header(const struct sp_sealer *s, size_t *len)
{
	*len = s->header_len;
	return s->header;
}

/* Seals what is in s->buf as chunk s->chunks and hands it on. */
static int
seal_emit(struct sp_sealer *s, unsigned char tag, struct sp_error *err)
{
	unsigned long long clen;
	int rc;

	if (s->chunks == UINT32_MAX)
		return sp_error_set(err, SP_ETOOBIG,
		    "message too big: more than %u chunks", UINT32_MAX);
	if (crypto_secretstream_xchacha20poly1305_push(&s->sec->st, s->cbuf,
	        &clen, s->buf, s->fill, (const unsigned char *)s->id, SP_ID_LEN,
	        tag) != 0)
		return sp_error_set(
		    err, SP_EINVAL, "chunk %u could not be sealed", s->chunks);
	rc = s->fn(s->ctx, s->chunks, s->cbuf, (size_t)clen);
	if (rc != SP_OK) {
		rc = rc < 0 ? rc : SP_EIO;
		return sp_error_set(err, rc, "sealed chunk %u not taken: %s",
		    s->chunks, sp_strerror(rc));
	}
	s->chunks++;
	s->fill = 0;
	return SP_OK;
}

static int
sealer_usable(const struct sp_sealer *s, struct sp_error *err)
{
	if (s->failed != SP_OK)
		return sp_error_set(err, SP_EINVAL,
		    "sealer stopped by an earlier error: %s",
		    sp_strerror(s->failed));
	if (s->finished)
		return sp_error_set(
		    err, SP_EINVAL, "sealer already finished its message");
	return SP_OK;
}

int
sp_sealer_push(
    struct sp_sealer *s, const void *data, size_t len, struct sp_error *err)
{
	const unsigned char *p = data;
	size_t n;
	int rc;

	if ((rc = sealer_usable(s, err)) != SP_OK)
		return rc;
	while (len > 0) {
		/* A full chunk goes out only when a byte follows it, so
		 * that the last chunk is never empty and carries FINAL. */
		if (s->fill == SP_SEAL_CHUNK &&
		    (rc = seal_emit(s, TAG_MESSAGE, err)) != SP_OK) {
			s->failed = rc;
			return rc;
		}
		n = SP_SEAL_CHUNK - s->fill;
		if (n > len)
			n = len;
		memcpy(s->buf + s->fill, p, n);
		s->fill += n;
		s->size += n;
		p += n;
		len -= n;
	}
	return SP_OK;
}

int
sp_sealer_finish(struct sp_sealer *s, struct sp_error *err)
{
	int rc;

	if ((rc = sealer_usable(s, err)) != SP_OK)
		return rc;
	if ((rc = seal_emit(s, TAG_FINAL, err)) != SP_OK) {
		s->failed = rc;
		return rc;
	}
	s->finished = true;
	return SP_OK;
}

uint64_t
sp_sealer_size(const struct sp_sealer *s)
{
	return s->size;
}

uint32_t
sp_sealer_chunks(const struct sp_sealer *s)
{
	return s->chunks;
}

void
sp_sealer_free(struct sp_sealer *s)
{
	if (s == NULL)
		return;
	sp_secmem_put(s->sec); /* wipes */
	if (s->buf != NULL)
		sodium_memzero(s->buf, SP_SEAL_CHUNK);
	free(s->buf);
	free(s->cbuf);
	free(s);
}

static const struct sp_keypair *
ring_find(const struct sp_keyring *kr, const char *id)
{
	size_t i;

	for (i = 0; kr != NULL && i < kr->n; i++)
		if (strcmp(kr->keys[i].id, id) == 0)
			return &kr->keys[i];
	return NULL;
}

/* Finds the secret key named in h and opens the message key with it. */
static int
open_key(const struct sp_keyring *kr, const struct seal_hdr *h,
    unsigned char key[SS_KEYBYTES], struct sp_error *err)
{
	const struct sp_keypair *kp = ring_find(kr, h->keyid);

	if (kp == NULL)
		return sp_error_set(err, SP_ENOTFOUND,
		    "message sealed to key %s, which is not in the key ring",
		    h->keyid);
	if (kp->sk == NULL)
		return sp_error_set(err, SP_ENOTFOUND,
		    "message sealed to key %s, whose secret key is not loaded",
		    h->keyid);
	if (crypto_box_seal_open(
	        key, h->sealed_key, SEAL_SEALED_KEY, kp->pk, kp->sk) != 0)
		return sp_error_set(err, SP_EAUTH,
		    "message key does not open with key %s: wrong key or "
		    "tampered header",
		    h->keyid);
	return SP_OK;
}

static int64_t
mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* open_key, through the ring's cache of message keys when it has one:
 * a hit needs the same id and the very same header bytes (see
 * sp_keycache.h); a key opened here is kept for the next time. */
static int
open_key_kept(const struct sp_keyring *kr, const char *id,
    const unsigned char *header, size_t len, const struct seal_hdr *h,
    unsigned char key[SS_KEYBYTES], struct sp_error *err)
{
	struct sp_keycache *kc = kr != NULL ? kr->msgkeys : NULL;
	const struct sp_keypair *kp = ring_find(kr, h->keyid);
	int64_t now = 0;
	int rc;

	if (kc != NULL && kp != NULL && kp->sk != NULL) {
		now = mono_seconds();
		if (sp_keycache_get(kc, id, header, len, now, key))
			return SP_OK;
	}
	rc = open_key(kr, h, key, err);
	if (rc == SP_OK && kc != NULL)
		sp_keycache_put(kc, id, header, len, now, key);
	return rc;
}

int
sp_opener_new(struct sp_opener **out, const struct sp_keyring *kr,
    const char *id, const unsigned char *header, size_t len,
    struct sp_error *err)
{
	struct sp_opener *o = NULL;
	unsigned char *key = NULL;
	struct seal_hdr h;
	int rc;

	*out = NULL;
	if (!sp_id_valid(id))
		return sp_error_set(
		    err, SP_EINVAL, "cannot open: not a message id");
	if ((rc = seal_header_parse(header, len, &h, err)) != SP_OK)
		return rc;
	if (sodium_init() < 0)
		return sp_error_set(err, SP_EINVAL, "libsodium did not start");
	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->st = sp_secmem_get(sizeof(*o->st))) == NULL ||
	    (key = sp_secmem_get(SS_KEYBYTES)) == NULL) {
		rc = sp_error_set(err, SP_ENOMEM, "cannot open: out of memory");
		goto out;
	}
	if ((rc = open_key_kept(kr, id, header, len, &h, key, err)) != SP_OK)
		goto out;
	if (crypto_secretstream_xchacha20poly1305_init_pull(
	        o->st, h.ss_header, key) != 0) {
		rc = sp_error_set(err, SP_EFORMAT, "bad stream header");
		goto out;
	}
	memcpy(o->id, id, SP_ID_LEN + 1);
	*out = o;
	o = NULL;
out:
	sp_secmem_put(key); /* wipes */
	sp_opener_free(o);
	return rc;
}

static int
opener_usable(const struct sp_opener *o, uint32_t seq, struct sp_error *err)
{
	if (o->failed != SP_OK)
		return sp_error_set(err, o->failed,
		    "chunk %u refused: an earlier chunk failed (%s)", seq,
		    sp_strerror(o->failed));
	if (o->final_seen)
		return sp_error_set(err, SP_EFORMAT,
		    "chunk %u comes after the FINAL chunk %u", seq,
		    o->next - 1);
	if (seq != o->next)
		return sp_error_set(err, SP_EFORMAT,
		    "chunk %u out of order: want chunk %u", seq, o->next);
	return SP_OK;
}

/* The chunk authenticated; refuses shapes the sealer never makes. */
static int
chunk_shape(const struct sp_opener *o, size_t mlen, unsigned char tag,
    struct sp_error *err)
{
	if (tag != TAG_MESSAGE && tag != TAG_FINAL)
		return sp_error_set(err, SP_EFORMAT,
		    "chunk %u has unexpected tag %u", o->next, tag);
	if (tag == TAG_MESSAGE && mlen != SP_SEAL_CHUNK)
		return sp_error_set(err, SP_EFORMAT,
		    "chunk %u is not the last but holds %zu bytes, want %d",
		    o->next, mlen, SP_SEAL_CHUNK);
	if (tag == TAG_FINAL && mlen == 0 && o->next != 0)
		return sp_error_set(err, SP_EFORMAT,
		    "chunk %u is an empty FINAL chunk after data", o->next);
	return SP_OK;
}

int
sp_opener_pull(struct sp_opener *o, uint32_t seq, const unsigned char *chunk,
    size_t len, unsigned char *out, size_t *outlen, bool *final,
    struct sp_error *err)
{
	unsigned long long mlen = 0;
	unsigned char tag = 0;
	int rc;

	*outlen = 0;
	*final = false;
	if ((rc = opener_usable(o, seq, err)) != SP_OK) {
		o->failed = rc;
		return rc;
	}
	if (chunk == NULL || len < SS_ABYTES ||
	    len > SP_SEAL_CHUNK + SS_ABYTES) {
		rc = sp_error_set(err, SP_EFORMAT,
		    "chunk %u is %zu bytes, want %d to %d", seq,
		    chunk == NULL ? 0 : len, SS_ABYTES,
		    SP_SEAL_CHUNK + SS_ABYTES);
		goto out;
	}
	if (crypto_secretstream_xchacha20poly1305_pull(o->st, out, &mlen, &tag,
	        chunk, len, (const unsigned char *)o->id, SP_ID_LEN) != 0) {
		rc = sp_error_set(err, SP_EAUTH,
		    "chunk %u does not authenticate: tampered, out of place "
		    "or from another message",
		    seq);
		goto out;
	}
	if ((rc = chunk_shape(o, (size_t)mlen, tag, err)) != SP_OK)
		goto out;
	*outlen = (size_t)mlen;
	*final = tag == TAG_FINAL;
	o->final_seen = *final;
	o->next++;
out:
	if (rc != SP_OK) {
		sodium_memzero(out, (size_t)mlen);
		o->failed = rc;
	}
	return rc;
}

int
sp_opener_end(struct sp_opener *o, struct sp_error *err)
{
	if (o->failed != SP_OK)
		return sp_error_set(err, o->failed,
		    "message not opened: a chunk failed (%s)",
		    sp_strerror(o->failed));
	if (!o->final_seen)
		return sp_error_set(err, SP_EAUTH,
		    "message truncated: no FINAL chunk after %u chunks",
		    o->next);
	return SP_OK;
}

void
sp_opener_free(struct sp_opener *o)
{
	if (o == NULL)
		return;
	sp_secmem_put(o->st); /* wipes */
	free(o);
}
