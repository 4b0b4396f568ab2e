/* SPDX-License-Identifier: MIT */
/*
 * Tests for sp_seal: round trips, every refusal of the opener, header
 * parsing, ids and reference codes, and the known-answer vectors that pin
 * format version 1.
 *
 * Randomness: main() installs a deterministic randombytes implementation
 * (a keyed BLAKE2b of a call counter turned into a ChaCha20 stream with
 * randombytes_buf_deterministic), so every run draws the same bytes and
 * the known-answer tests can reset it to a vector's seed.
 *
 * Known-answer vectors live in tests/unit/kat/seal_v1_*.kat, one
 * "field hex-or-value" a line:
 *   keypair_seed       crypto_box_seed_keypair seed of the portal key
 *   key_id             its key id
 *   rng_seed           seed of the deterministic randomness for sealing
 *   msg_id             the message id
 *   plaintext_hex      the plaintext, or
 *   plaintext_pattern  N: N bytes, byte i = (i * 131 + (i >> 16)) & 0xff
 *   header, chunk...   the sealed record header and chunks, in order
 * Two checks per file: sealing the inputs must give exactly these bytes,
 * and the pinned bytes must open to the plaintext with the pinned key.
 *
 * Regenerating: build, then run
 *   build/tests/bin/test_seal --write-kat tests/unit/kat
 * It rewrites every vector from the table kat_specs below.  Only do that
 * for a deliberate format change, which also needs a new version byte
 * (SEAL_VERSION in seal_stream.c) and keeping the old vectors' open check
 * while old records exist.  If only the order in which the sealer draws
 * randomness changed, the open check still passes on the old files; then
 * the new order must be documented, and the files regenerated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sp_seal.h"

#define CHUNK      SP_SEAL_CHUNK
#define MAX_CHUNKS 8

#define CHECK_NONNULL(p)                                                       \
	do {                                                                   \
		if ((p) == NULL)                                               \
			fail_msg("%s: got NULL, want a pointer", #p);          \
	} while (0)
#define CHECK_NULL(p)                                                          \
	do {                                                                   \
		if ((p) != NULL)                                               \
			fail_msg("%s: got a pointer, want NULL", #p);          \
	} while (0)

/* ---- deterministic randomness ---- */

static unsigned char rng_seed[32];
static uint64_t rng_calls;

static void
rng_reset(const unsigned char seed[32])
{
	memcpy(rng_seed, seed, sizeof(rng_seed));
	rng_calls = 0;
}

static void
rng_buf(void *buf, size_t n)
{
	unsigned char sub[randombytes_SEEDBYTES], ctr[8];
	uint64_t c = rng_calls++;
	size_t i;

	for (i = 0; i < sizeof(ctr); i++)
		ctr[i] = (unsigned char)(c >> (8 * i));
	crypto_generichash(
	    sub, sizeof(sub), ctr, sizeof(ctr), rng_seed, sizeof(rng_seed));
	randombytes_buf_deterministic(buf, n, sub);
}

static uint32_t
rng_random(void)
{
	uint32_t v;

	rng_buf(&v, sizeof(v));
	return v;
}

static const char *
rng_name(void)
{
	return "test-deterministic";
}

static struct randombytes_implementation test_rng = {
	.implementation_name = rng_name,
	.random = rng_random,
	.buf = rng_buf,
};

/* ---- key rings built in memory ---- */

struct ring {
	struct sp_keyring kr;
	struct sp_keypair keys[3];
};

static void
ring_add(struct ring *r, const char *id, const unsigned char seed[32])
{
	struct sp_keypair *kp = &r->keys[r->kr.n];

	memset(kp, 0, sizeof(*kp));
	snprintf(kp->id, sizeof(kp->id), "%s", id);
	kp->sk = sodium_malloc(SP_SK_BYTES);
	CHECK_NONNULL(kp->sk);
	crypto_box_seed_keypair(kp->pk, kp->sk, seed);
	r->kr.keys = r->keys;
	r->kr.n++;
}

static void
ring_add_byte(struct ring *r, const char *id, unsigned char b)
{
	unsigned char seed[32];

	memset(seed, b, sizeof(seed));
	ring_add(r, id, seed);
}

static void
ring_free(struct ring *r)
{
	size_t i;

	for (i = 0; i < r->kr.n; i++)
		sodium_free(r->keys[i].sk);
	memset(r, 0, sizeof(*r));
}

/* ---- sealing and opening whole messages ---- */

struct sealed {
	unsigned char header[SP_SEAL_HEADER_MAX];
	size_t header_len;
	unsigned char *chunk[MAX_CHUNKS + 1];
	size_t len[MAX_CHUNKS + 1];
	uint32_t n;
};

static int
collect(void *ctx, uint32_t seq, const unsigned char *c, size_t len)
{
	struct sealed *s = ctx;

	CHECK_INT(seq, s->n);
	if (s->n == MAX_CHUNKS)
		fail_msg(
		    "got more than %d chunks, want at most that", MAX_CHUNKS);
	s->chunk[s->n] = malloc(len + 1);
	CHECK_NONNULL(s->chunk[s->n]);
	memcpy(s->chunk[s->n], c, len);
	s->len[s->n++] = len;
	return SP_OK;
}

static void
sealed_free(struct sealed *s)
{
	uint32_t i;

	for (i = 0; i < s->n; i++)
		free(s->chunk[i]);
	memset(s, 0, sizeof(*s));
}

static void
pattern_fill(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 131u + (i >> 16)) & 0xff);
}

/* Seals msg; maxpush 0 pushes it at once, else in random pieces of 1 to
 * maxpush bytes. */
static void
seal_msg(const struct sp_keypair *kp, const char *id, const unsigned char *msg,
    size_t size, size_t maxpush, struct sealed *out)
{
	struct sp_sealer *s;
	struct sp_error err;
	const unsigned char *h;
	size_t off = 0, n;

	memset(out, 0, sizeof(*out));
	CHECK_INT(sp_sealer_new(&s, kp, id, collect, out, &err), SP_OK);
	while (off < size) {
		n = maxpush == 0 ? size - off
		                 : 1 + randombytes_uniform((uint32_t)maxpush);
		if (n > size - off)
			n = size - off;
		CHECK_INT(sp_sealer_push(s, msg + off, n, &err), SP_OK);
		off += n;
	}
	CHECK_INT(sp_sealer_finish(s, &err), SP_OK);
	CHECK_INT(sp_sealer_size(s), size);
	CHECK_INT(sp_sealer_chunks(s), out->n);
	h = sp_sealer_header(s, &out->header_len);
	memcpy(out->header, h, out->header_len);
	sp_sealer_free(s);
}

struct opened {
	unsigned char *plain; /* caller's buffer */
	size_t cap;
	size_t len;         /* plaintext handed out */
	bool untouched_out; /* a failed pull left out as it was */
	struct sp_error err;
};

/* Pulls every chunk of s in order with seq = index; returns the first
 * failure (new, pull or end). */
static int
open_msg(const struct sp_keyring *kr, const char *id, const struct sealed *s,
    struct opened *o)
{
	static unsigned char out[CHUNK];
	struct sp_opener *op;
	size_t n, i;
	bool final;
	uint32_t seq;
	int rc;

	o->len = 0;
	o->untouched_out = true;
	rc = sp_opener_new(&op, kr, id, s->header, s->header_len, &o->err);
	if (rc != SP_OK)
		return rc;
	for (seq = 0; seq < s->n && rc == SP_OK; seq++) {
		memset(out, 0xa5, sizeof(out));
		rc = sp_opener_pull(op, seq, s->chunk[seq], s->len[seq], out,
		    &n, &final, &o->err);
		if (rc != SP_OK) {
			CHECK_INT(n, 0);
			for (i = 0; i < sizeof(out); i++)
				if (out[i] != 0xa5)
					o->untouched_out = false;
			break;
		}
		if (o->len + n > o->cap)
			fail_msg("plaintext: got %zu bytes, want at most %zu",
			    o->len + n, o->cap);
		memcpy(o->plain + o->len, out, n);
		o->len += n;
	}
	if (rc == SP_OK)
		rc = sp_opener_end(op, &o->err);
	sp_opener_free(op);
	return rc;
}

/* ---- shared fixture: one portal key, one id ---- */

struct fix {
	struct ring ring;
	char id[SP_ID_LEN + 1];
	unsigned char *msg;   /* 3 * CHUNK + 5 pattern bytes */
	unsigned char *plain; /* room for it */
	size_t size;
};

static int
fix_setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	CHECK_NONNULL(f);
	ring_add_byte(&f->ring, "0000000000000a01", 0x11);
	sp_id_new(f->id);
	f->size = 3 * CHUNK + 5;
	f->msg = malloc(f->size);
	f->plain = malloc(f->size);
	CHECK_NONNULL(f->msg);
	CHECK_NONNULL(f->plain);
	pattern_fill(f->msg, f->size);
	*state = f;
	return 0;
}

static int
fix_teardown(void **state)
{
	struct fix *f = *state;

	ring_free(&f->ring);
	free(f->msg);
	free(f->plain);
	free(f);
	return 0;
}

static void
opened_init(struct opened *o, struct fix *f)
{
	memset(o, 0, sizeof(*o));
	o->plain = f->plain;
	o->cap = f->size;
}

/* ---- round trips ---- */

static void
round_trip_keeps_every_byte_for_edge_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, CHUNK - 1, CHUNK, CHUNK + 1,
		3 * CHUNK + 5 };
	struct fix *f = *state;
	struct sealed s;
	struct opened o;
	size_t i, want_n, last;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		seal_msg(&f->ring.keys[0], f->id, f->msg, sizes[i],
		    2 * CHUNK + 3, &s);
		want_n = sizes[i] == 0 ? 1 : (sizes[i] + CHUNK - 1) / CHUNK;
		CHECK_INT(s.n, want_n);
		last = sizes[i] - (want_n - 1) * CHUNK;
		CHECK_INT(s.len[0], (want_n == 1 ? last : CHUNK) + 17);
		CHECK_INT(s.len[s.n - 1], last + 17);
		opened_init(&o, f);
		CHECK_INT(open_msg(&f->ring.kr, f->id, &s, &o), SP_OK);
		CHECK_MEM(o.plain, o.len, f->msg, sizes[i]);
		sealed_free(&s);
	}
}

static void
push_sizes_do_not_change_the_chunks(void **state)
{
	static const unsigned char seed[32] = { 7 };
	struct fix *f = *state;
	struct sealed a, b;
	uint32_t i;

	rng_reset(seed);
	seal_msg(&f->ring.keys[0], f->id, f->msg, f->size, 0, &a);
	rng_reset(seed);
	/* The push sizes come from the same stream, after the sealer drew
	 * its keys, so the keys match and only the pieces differ. */
	seal_msg(&f->ring.keys[0], f->id, f->msg, f->size, 1000, &b);
	CHECK_MEM(b.header, b.header_len, a.header, a.header_len);
	CHECK_INT(b.n, a.n);
	for (i = 0; i < a.n; i++)
		CHECK_MEM(b.chunk[i], b.len[i], a.chunk[i], a.len[i]);
	sealed_free(&a);
	sealed_free(&b);
}

/* Reads a whole file into a new buffer, NUL added; *len gets its size. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	long size;

	if (fp == NULL)
		fail_msg("cannot open %s: got no file, want it readable", path);
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)size + 1);
	CHECK_NONNULL(buf);
	CHECK_INT(fread(buf, 1, (size_t)size, fp), size);
	buf[size] = '\0'; /* so that text files can be read as strings */
	fclose(fp);
	*len = (size_t)size;
	return buf;
}

static void
round_trip_corpus_file(struct fix *f, const char *path)
{
	struct sealed s;
	struct opened o;
	unsigned char *msg;
	size_t len;

	msg = slurp(path, &len);
	seal_msg(&f->ring.keys[0], f->id, msg, len, 9000, &s);
	memset(&o, 0, sizeof(o));
	o.cap = len;
	o.plain = malloc(len + 1);
	CHECK_NONNULL(o.plain);
	if (open_msg(&f->ring.kr, f->id, &s, &o) != SP_OK)
		fail_msg("%s: got \"%s\", want it to open", path, o.err.msg);
	CHECK_MEM(o.plain, o.len, msg, len);
	free(o.plain);
	free(msg);
	sealed_free(&s);
}

/* The real messages of the shared corpus (SEALPOST_CORPUS, or
 * ../shared/corpus beside the source tree), byte for byte. */
static void
round_trip_keeps_corpus_messages_byte_for_byte(void **state)
{
	const char *env = getenv("SEALPOST_CORPUS");
	const char *src = getenv("SEALPOST_SOURCE_DIR");
	char dir[4096], path[8192];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if (env != NULL)
		snprintf(dir, sizeof(dir), "%s", env);
	else
		snprintf(
		    dir, sizeof(dir), "%s/../shared/corpus", src ? src : "..");
	if ((d = opendir(dir)) == NULL) {
		printf("corpus absent at %s (set SEALPOST_CORPUS): skipped\n",
		    dir);
		skip();
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strstr(de->d_name, ".md") != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		round_trip_corpus_file(*state, path);
		n++;
	}
	closedir(d);
	if (n == 0)
		fail_msg("corpus %s: got no messages, want some", dir);
}

/* ---- refusals ---- */

static void
tampered_header_byte_is_refused(void **state)
{
	struct fix *f = *state;
	struct sealed s;
	struct opened o;
	size_t i;
	int rc;

	seal_msg(&f->ring.keys[0], f->id, f->msg, 100, 0, &s);
	for (i = 0; i < s.header_len; i++) {
		s.header[i] ^= 0x01;
		opened_init(&o, f);
		rc = open_msg(&f->ring.kr, f->id, &s, &o);
		if (rc != SP_EFORMAT && rc != SP_EAUTH && rc != SP_ENOTFOUND)
			fail_msg("header byte %zu flipped: got %d (%s), want "
			         "EFORMAT, EAUTH or ENOTFOUND",
			    i, rc, o.err.msg);
		CHECK_INT(o.len, 0);
		s.header[i] ^= 0x01;
	}
	opened_init(&o, f);
	CHECK_INT(open_msg(&f->ring.kr, f->id, &s, &o), SP_OK);
	sealed_free(&s);
}

static void
tampered_chunk_byte_is_refused_before_output(void **state)
{
	struct fix *f = *state;
	struct sealed s;
	struct opened o;
	size_t pos[4], j;
	uint32_t c;

	seal_msg(&f->ring.keys[0], f->id, f->msg, f->size, 0, &s);
	for (c = 0; c < s.n; c++) {
		pos[0] = 0;
		pos[1] = s.len[c] / 2;
		pos[2] = s.len[c] - 17;
		pos[3] = s.len[c] - 1;
		for (j = 0; j < 4; j++) {
			s.chunk[c][pos[j]] ^= 0x40;
			opened_init(&o, f);
			CHECK_INT(
			    open_msg(&f->ring.kr, f->id, &s, &o), SP_EAUTH);
			CHECK_INT(o.len, (size_t)c * CHUNK);
			CHECK_INT(o.untouched_out, true);
			s.chunk[c][pos[j]] ^= 0x40;
		}
	}
	sealed_free(&s);
}

static void
truncated_message_is_refused(void **state)
{
	struct fix *f = *state;
	struct sealed s;
	struct opened o;

	seal_msg(&f->ring.keys[0], f->id, f->msg, f->size, 0, &s);
	s.n--; /* drop the FINAL chunk */
	opened_init(&o, f);
	CHECK_INT(open_msg(&f->ring.kr, f->id, &s, &o), SP_EAUTH);
	CHECK_CONTAINS(o.err.msg, "truncated");
	s.n++;
	s.len[s.n - 1] -= 1; /* cut the last byte of the FINAL chunk */
	CHECK_INT(open_msg(&f->ring.kr, f->id, &s, &o), SP_EAUTH);
	s.len[s.n - 1] = 16; /* shorter than any chunk */
	CHECK_INT(open_msg(&f->ring.kr, f->id, &s, &o), SP_EFORMAT);
	sealed_free(&s);
}

static void
swap_in(struct sealed *s, uint32_t i, unsigned char *c, size_t len)
{
	s->chunk[i] = c;
	s->len[i] = len;
}

static void
reordered_chunks_are_refused(void **state)
{
	struct fix *f = *state;
	struct sealed s;
	struct opened o;
	unsigned char *c1 = NULL;
	size_t l1;

	seal_msg(&f->ring.keys[0], f->id, f->msg, f->size, 0, &s);
	c1 = s.chunk[1];
	l1 = s.len[1];
	swap_in(&s, 1, s.chunk[2], s.len[2]);
	swap_in(&s, 2, c1, l1);
	opened_init(&o, f);
	CHECK_INT(open_msg(&f->ring.kr, f->id, &s, &o), SP_EAUTH);
	CHECK_INT(o.len, CHUNK);
	CHECK_CONTAINS(o.err.msg, "chunk 1 does not authenticate");
	sealed_free(&s);
}

static void
chunk_of_another_message_is_refused(void **state)
{
	struct fix *f = *state;
	struct sealed a, b;
	struct opened o;
	char other[SP_ID_LEN + 1];
	unsigned char *keep;

	sp_id_new(other);
	seal_msg(&f->ring.keys[0], f->id, f->msg, f->size, 0, &a);
	seal_msg(&f->ring.keys[0], other, f->msg, f->size, 0, &b);
	keep = a.chunk[1];
	a.chunk[1] = b.chunk[1];
	opened_init(&o, f);
	CHECK_INT(open_msg(&f->ring.kr, f->id, &a, &o), SP_EAUTH);
	CHECK_INT(o.len, CHUNK);
	a.chunk[1] = keep;
	sealed_free(&a);
	sealed_free(&b);
}

static void
same_message_key_under_another_id_is_refused(void **state)
{
	static const unsigned char seed[32] = { 9 };
	struct fix *f = *state;
	struct sealed a, b;
	struct opened o;
	char other[SP_ID_LEN + 1];

	sp_id_new(other);
	/* Same randomness: same message key and stream header, so only
	 * the message id (the associated data) tells the two apart. */
	rng_reset(seed);
	seal_msg(&f->ring.keys[0], f->id, f->msg, 100, 0, &a);
	rng_reset(seed);
	seal_msg(&f->ring.keys[0], other, f->msg, 100, 0, &b);
	CHECK_MEM(b.header, b.header_len, a.header, a.header_len);
	opened_init(&o, f);
	CHECK_INT(open_msg(&f->ring.kr, other, &a, &o), SP_EAUTH);
	CHECK_INT(o.len, 0);
	CHECK_INT(open_msg(&f->ring.kr, other, &b, &o), SP_OK);
	sealed_free(&a);
	sealed_free(&b);
}

static void
chunk_after_final_and_wrong_seq_are_refused(void **state)
{
	static unsigned char out[CHUNK];
	struct fix *f = *state;
	struct sealed s;
	struct sp_opener *op;
	struct sp_error err;
	size_t n;
	bool final;

	seal_msg(&f->ring.keys[0], f->id, f->msg, CHUNK + 1, 0, &s);
	CHECK_INT(sp_opener_new(
	              &op, &f->ring.kr, f->id, s.header, s.header_len, &err),
	    SP_OK);
	CHECK_INT(
	    sp_opener_pull(op, 1, s.chunk[1], s.len[1], out, &n, &final, &err),
	    SP_EFORMAT);
	CHECK_CONTAINS(err.msg, "want chunk 0");
	CHECK_INT(
	    sp_opener_pull(op, 0, s.chunk[0], s.len[0], out, &n, &final, &err),
	    SP_EFORMAT);
	sp_opener_free(op);

	CHECK_INT(sp_opener_new(
	              &op, &f->ring.kr, f->id, s.header, s.header_len, &err),
	    SP_OK);
	CHECK_INT(
	    sp_opener_pull(op, 0, s.chunk[0], s.len[0], out, &n, &final, &err),
	    SP_OK);
	CHECK_INT(final, false);
	CHECK_INT(
	    sp_opener_pull(op, 1, s.chunk[1], s.len[1], out, &n, &final, &err),
	    SP_OK);
	CHECK_INT(final, true);
	CHECK_INT(
	    sp_opener_pull(op, 2, s.chunk[1], s.len[1], out, &n, &final, &err),
	    SP_EFORMAT);
	CHECK_CONTAINS(err.msg, "after the FINAL chunk");
	CHECK_INT(n, 0);
	sp_opener_free(op);
	sealed_free(&s);
}

/* ---- records forged with the public key alone ---- */

#define TAG_M crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_F crypto_secretstream_xchacha20poly1305_TAG_FINAL

struct forged_chunk {
	size_t plain; /* plaintext bytes (pattern) */
	unsigned char tag;
};

/* Builds, with raw libsodium calls and only kp's public key, a record
 * whose chunks all authenticate but have the given sizes and tags: what
 * anyone who can write to the store could make. */
static void
forge(const struct sp_keypair *kp, const char *id,
    const struct forged_chunk *fc, uint32_t n, struct sealed *out)
{
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char key[32], *plain;
	unsigned long long clen;
	size_t L = strlen(kp->id);
	uint32_t i;

	memset(out, 0, sizeof(*out));
	memcpy(out->header, "SPS1\x01", 5);
	out->header[5] = (unsigned char)L;
	memcpy(out->header + 6, kp->id, L);
	crypto_secretstream_xchacha20poly1305_keygen(key);
	CHECK_INT(crypto_box_seal(out->header + 6 + L, key, 32, kp->pk), 0);
	CHECK_INT(crypto_secretstream_xchacha20poly1305_init_push(
	              &st, out->header + 86 + L, key),
	    0);
	out->header_len = 110 + L;
	for (i = 0; i < n; i++) {
		plain = malloc(fc[i].plain + 1);
		out->chunk[i] = malloc(fc[i].plain + SP_SEAL_CHUNK_OVERHEAD);
		CHECK_NONNULL(plain);
		CHECK_NONNULL(out->chunk[i]);
		memset(plain, 0x5a, fc[i].plain);
		crypto_secretstream_xchacha20poly1305_push(&st, out->chunk[i],
		    &clen, plain, fc[i].plain, (const unsigned char *)id,
		    SP_ID_LEN, fc[i].tag);
		out->len[i] = (size_t)clen;
		free(plain);
	}
	out->n = n;
	sodium_memzero(key, sizeof(key));
}

static const struct {
	const char *name;
	struct forged_chunk c[2];
	uint32_t n;
	const char *want;
} forged_cases[] = {
	{ "short chunk that is not the last", { { 10, TAG_M }, { 5, TAG_F } },
	    2, "chunk 0 is not the last but holds 10 bytes" },
	{ "PUSH tag",
	    { { 10, crypto_secretstream_xchacha20poly1305_TAG_PUSH } }, 1,
	    "chunk 0 has unexpected tag 1" },
	{ "REKEY tag",
	    { { CHUNK, crypto_secretstream_xchacha20poly1305_TAG_REKEY } }, 1,
	    "chunk 0 has unexpected tag 2" },
	{ "empty FINAL after data", { { CHUNK, TAG_M }, { 0, TAG_F } }, 2,
	    "chunk 1 is an empty FINAL chunk after data" },
	{ "chunk one byte larger than the output buffer",
	    { { CHUNK + 1, TAG_F } }, 1,
	    "chunk 0 is 65554 bytes, want 17 to 65553" },
};

/* Every shape the sealer never makes is refused, and nothing of such a
 * chunk reaches the caller (the oversized one is not even decrypted:
 * the output buffer holds SP_SEAL_CHUNK bytes). */
static void
forged_chunk_shapes_are_refused(void **state)
{
	struct fix *f = *state;
	struct sealed s;
	struct opened o;
	size_t i;

	for (i = 0; i < sizeof(forged_cases) / sizeof(forged_cases[0]); i++) {
		print_message("case: %s\n", forged_cases[i].name);
		forge(&f->ring.keys[0], f->id, forged_cases[i].c,
		    forged_cases[i].n, &s);
		opened_init(&o, f);
		CHECK_INT(open_msg(&f->ring.kr, f->id, &s, &o), SP_EFORMAT);
		CHECK_CONTAINS(o.err.msg, forged_cases[i].want);
		if (forged_cases[i].n == 1)
			CHECK_INT(o.len, 0);
		sealed_free(&s);
	}

	/* the forger's own well-formed record opens: the shape checks are
	 * what refused the others */
	forge(&f->ring.keys[0], f->id,
	    (const struct forged_chunk[]){ { CHUNK, TAG_M }, { 3, TAG_F } }, 2,
	    &s);
	opened_init(&o, f);
	CHECK_INT(open_msg(&f->ring.kr, f->id, &s, &o), SP_OK);
	CHECK_INT(o.len, CHUNK + 3);
	sealed_free(&s);
}

/* Chunks shorter than a tag cannot be anything. */
static void
chunk_shorter_than_its_tag_is_refused(void **state)
{
	static unsigned char out[CHUNK];
	struct fix *f = *state;
	struct sp_opener *op;
	struct sp_error err;
	struct sealed s;
	size_t n = 1;
	bool final;

	seal_msg(&f->ring.keys[0], f->id, f->msg, 0, 0, &s);
	CHECK_INT(s.len[0], SP_SEAL_CHUNK_OVERHEAD);
	CHECK_INT(sp_opener_new(
	              &op, &f->ring.kr, f->id, s.header, s.header_len, &err),
	    SP_OK);
	CHECK_INT(sp_opener_pull(op, 0, s.chunk[0], SP_SEAL_CHUNK_OVERHEAD - 1,
	              out, &n, &final, &err),
	    SP_EFORMAT);
	CHECK_CONTAINS(err.msg, "chunk 0 is 16 bytes, want 17 to 65553");
	CHECK_INT(n, 0);
	CHECK_INT(sp_opener_end(op, &err), SP_EFORMAT);
	sp_opener_free(op);
	sealed_free(&s);
}

static void
wrong_key_is_refused(void **state)
{
	struct fix *f = *state;
	struct ring wrong = { 0 };
	struct sealed s;
	struct opened o;

	/* Same key id, another key pair. */
	ring_add_byte(&wrong, f->ring.keys[0].id, 0x22);
	seal_msg(&f->ring.keys[0], f->id, f->msg, 10, 0, &s);
	opened_init(&o, f);
	CHECK_INT(open_msg(&wrong.kr, f->id, &s, &o), SP_EAUTH);
	CHECK_CONTAINS(o.err.msg, "does not open with key 0000000000000a01");
	CHECK_INT(o.len, 0);
	ring_free(&wrong);
	sealed_free(&s);
}

static void
unknown_or_public_only_key_is_named(void **state)
{
	struct fix *f = *state;
	struct ring other = { 0 };
	struct sealed s;
	struct opened o;
	unsigned char *sk;

	ring_add_byte(&other, "0000000000000b02", 0x33);
	seal_msg(&f->ring.keys[0], f->id, f->msg, 10, 0, &s);
	opened_init(&o, f);
	CHECK_INT(open_msg(&other.kr, f->id, &s, &o), SP_ENOTFOUND);
	CHECK_CONTAINS(o.err.msg, "key 0000000000000a01, which is not in");
	CHECK_INT(open_msg(NULL, f->id, &s, &o), SP_ENOTFOUND);

	sk = f->ring.keys[0].sk;
	f->ring.keys[0].sk = NULL;
	CHECK_INT(open_msg(&f->ring.kr, f->id, &s, &o), SP_ENOTFOUND);
	CHECK_CONTAINS(o.err.msg, "secret key is not loaded");
	f->ring.keys[0].sk = sk;
	ring_free(&other);
	sealed_free(&s);
}

static void
newest_key_seals_and_older_key_still_opens(void **state)
{
	struct fix *f = *state;
	struct ring r = { 0 };
	struct sealed old, cur;
	struct opened o;
	char kid[SP_KEYID_MAX];
	struct sp_error err;

	/* Newest first, as sp_keyring_load orders them. */
	ring_add_byte(&r, "0000000000000c02", 0x44);
	ring_add_byte(&r, "0000000000000c01", 0x55);
	seal_msg(&r.keys[1], f->id, f->msg, 5000, 0, &old);
	seal_msg(&r.keys[0], f->id, f->msg, 5000, 0, &cur);
	CHECK_INT(
	    sp_seal_header_keyid(old.header, old.header_len, kid, &err), SP_OK);
	CHECK_STR(kid, "0000000000000c01");
	CHECK_INT(
	    sp_seal_header_keyid(cur.header, cur.header_len, kid, &err), SP_OK);
	CHECK_STR(kid, "0000000000000c02");
	opened_init(&o, f);
	CHECK_INT(open_msg(&r.kr, f->id, &old, &o), SP_OK);
	CHECK_MEM(o.plain, o.len, f->msg, 5000);
	CHECK_INT(open_msg(&r.kr, f->id, &cur, &o), SP_OK);
	CHECK_MEM(o.plain, o.len, f->msg, 5000);
	ring_free(&r);
	sealed_free(&old);
	sealed_free(&cur);
}

/* ---- header parsing ---- */

/* The offsets written in seal_stream.c's top comment: the sealed key at
 * 6+L opens with the portal key and the secretstream header at 86+L
 * starts a stream that opens chunk 0. */
static void
header_layout_matches_the_documented_offsets(void **state)
{
	static unsigned char out[CHUNK];
	struct fix *f = *state;
	const struct sp_keypair *kp = &f->ring.keys[0];
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char key[32], tag;
	unsigned long long mlen;
	struct sealed s;
	size_t L = strlen(kp->id);

	seal_msg(kp, f->id, f->msg, 10, 0, &s);
	CHECK_INT(s.header_len, 110 + L);
	CHECK_MEM(s.header, 4, "SPS1", 4);
	CHECK_INT(s.header[4], 1);
	CHECK_INT(s.header[5], L);
	CHECK_MEM(s.header + 6, L, kp->id, L);
	CHECK_INT(
	    crypto_box_seal_open(key, s.header + 6 + L, 80, kp->pk, kp->sk), 0);
	CHECK_INT(crypto_secretstream_xchacha20poly1305_init_pull(
	              &st, s.header + 86 + L, key),
	    0);
	CHECK_INT(
	    crypto_secretstream_xchacha20poly1305_pull(&st, out, &mlen, &tag,
	        s.chunk[0], s.len[0], (const unsigned char *)f->id, SP_ID_LEN),
	    0);
	CHECK_MEM(out, mlen, f->msg, 10);
	CHECK_INT(tag, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
	sodium_memzero(key, sizeof(key));
	sealed_free(&s);
}

static const struct hdr_case {
	const char *name;
	size_t off; /* byte to set, when set */
	int val;    /* its new value, or -1 */
	size_t cut; /* bytes removed from the end */
	size_t add; /* zero bytes added at the end */
	const char *want;
} hdr_cases[] = {
	{ "empty", 0, -1, 126, 0, "too short: 0 bytes" },
	{ "five bytes", 0, -1, 121, 0, "too short: 5 bytes" },
	{ "bad magic", 0, 'X', 0, 0, "bad magic" },
	{ "unknown version 2", 4, 2, 0, 0, "version 2 unknown" },
	{ "unknown version 0", 4, 0, 0, 0, "version 0 unknown" },
	{ "key id length 0", 5, 0, 0, 0, "key id length 0 out of range" },
	{ "key id length 40", 5, 40, 0, 0, "key id length 40 out of range" },
	{ "key id longer than header", 5, 39, 0, 0,
	    "too short: 126 bytes, want 149" },
	{ "key id with a slash", 8, '/', 0, 0, "byte 2 is 0x2f, outside" },
	{ "key id with a NUL", 6, 0, 0, 0, "byte 0 is 0x00, outside" },
	{ "one byte short", 0, -1, 1, 0, "too short: 125 bytes, want 126" },
	{ "one byte extra", 0, -1, 0, 1, "has 1 bytes after its end" },
};

static void
malformed_header_is_refused_with_reason(void **state)
{
	struct fix *f = *state;
	const struct hdr_case *c;
	unsigned char h[SP_SEAL_HEADER_MAX + 1];
	struct sp_opener *op;
	struct sp_error err;
	char kid[SP_KEYID_MAX];
	struct sealed s;
	size_t i, len;
	int rc;

	seal_msg(&f->ring.keys[0], f->id, f->msg, 1, 0, &s);
	CHECK_INT(s.header_len, 126);
	for (i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]); i++) {
		c = &hdr_cases[i];
		memset(h, 0, sizeof(h));
		memcpy(h, s.header, s.header_len);
		if (c->val >= 0)
			h[c->off] = (unsigned char)c->val;
		len = s.header_len - c->cut + c->add;
		rc = sp_seal_header_keyid(h, len, kid, &err);
		if (rc != SP_EFORMAT)
			fail_msg(
			    "%s: got status %d, want SP_EFORMAT", c->name, rc);
		CHECK_CONTAINS(err.msg, c->want);
		CHECK_INT(sp_opener_new(&op, &f->ring.kr, f->id, h, len, &err),
		    SP_EFORMAT);
		CHECK_CONTAINS(err.msg, c->want);
		CHECK_NULL(op);
	}
	CHECK_INT(sp_seal_header_keyid(NULL, 10, kid, &err), SP_EFORMAT);
	CHECK_INT(
	    sp_seal_header_keyid(s.header, s.header_len, kid, &err), SP_OK);
	CHECK_STR(kid, "0000000000000a01");
	sealed_free(&s);
}

/* ---- sealer misuse and callback failure ---- */

static int
refuse_second(void *ctx, uint32_t seq, const unsigned char *c, size_t len)
{
	(void)ctx;
	(void)c;
	(void)len;
	return seq == 1 ? SP_EFULL : SP_OK;
}

static void
sealer_stops_on_callback_failure_and_misuse(void **state)
{
	struct fix *f = *state;
	struct sp_sealer *s;
	struct sp_error err;
	struct sp_keypair bad = f->ring.keys[0];

	CHECK_INT(sp_sealer_new(&s, &f->ring.keys[0], "not-an-id",
	              refuse_second, NULL, &err),
	    SP_EINVAL);
	CHECK_NULL(s);
	snprintf(bad.id, sizeof(bad.id), "has space");
	CHECK_INT(sp_sealer_new(&s, &bad, f->id, refuse_second, NULL, &err),
	    SP_EINVAL);
	CHECK_CONTAINS(err.msg, "outside [0-9A-Za-z_-]");
	bad = f->ring.keys[0];
	memset(bad.pk, 0, sizeof(bad.pk)); /* a low-order point */
	CHECK_INT(sp_sealer_new(&s, &bad, f->id, refuse_second, NULL, &err),
	    SP_EINVAL);
	CHECK_CONTAINS(err.msg, "public key is not usable");

	CHECK_INT(sp_sealer_new(
	              &s, &f->ring.keys[0], f->id, refuse_second, NULL, &err),
	    SP_OK);
	CHECK_INT(sp_sealer_push(s, f->msg, 2 * CHUNK, &err), SP_OK);
	CHECK_INT(sp_sealer_push(s, f->msg, 1, &err), SP_EFULL);
	CHECK_CONTAINS(err.msg, "sealed chunk 1 not taken");
	CHECK_INT(sp_sealer_finish(s, &err), SP_EINVAL);
	CHECK_INT(sp_sealer_chunks(s), 1);
	sp_sealer_free(s);

	CHECK_INT(sp_sealer_new(
	              &s, &f->ring.keys[0], f->id, refuse_second, NULL, &err),
	    SP_OK);
	CHECK_INT(sp_sealer_finish(s, &err), SP_OK);
	CHECK_INT(sp_sealer_push(s, f->msg, 1, &err), SP_EINVAL);
	CHECK_CONTAINS(err.msg, "already finished");
	CHECK_INT(sp_sealer_finish(s, &err), SP_EINVAL);
	sp_sealer_free(s);
}

/* ---- ids and reference codes ---- */

static void
new_ids_are_valid_and_distinct(void **state)
{
	char ids[64][SP_ID_LEN + 1];
	size_t i, j;

	(void)state;
	for (i = 0; i < 64; i++) {
		sp_id_new(ids[i]);
		CHECK_INT(strlen(ids[i]), SP_ID_LEN);
		CHECK_INT(sp_id_valid(ids[i]), true);
		for (j = 0; j < i; j++)
			if (strcmp(ids[i], ids[j]) == 0)
				fail_msg("got id %s twice, want distinct ids",
				    ids[i]);
	}
}

static void
id_valid_accepts_only_canonical_ids(void **state)
{
	static const struct {
		const char *s;
		bool want;
	} cases[] = {
		{ "AAAAAAAAAAAAAAAAAAAAAA", true },
		{ "AAECAwQFBgcICQoLDA0ODw", true },
		{ "_____________________w", true },
		{ "_____________________x", false }, /* low bits set */
		{ "AAAAAAAAAAAAAAAAAAAAAB", false },
		{ "AAAAAAAAAAAAAAAAAAAAA", false },
		{ "AAAAAAAAAAAAAAAAAAAAAAA", false },
		{ "AAAAAAAAAAAAAAAAAAAA+A", false },
		{ "AAAAAAAAAAAAAAAAAAAA/A", false },
		{ "AAAAAAAAAAAAAAAAAAAAA=", false },
		{ "AAAAAAAAAA AAAAAAAAAAA", false },
		{ "", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (sp_id_valid(cases[i].s) != cases[i].want)
			fail_msg("sp_id_valid(\"%s\"): got %d, want %d",
			    cases[i].s, !cases[i].want, cases[i].want);
	CHECK_INT(sp_id_valid(NULL), false);
}

static void
reference_codes_use_the_unambiguous_alphabet(void **state)
{
	static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
	char ref[SP_REF_LEN + 1];
	bool seen[32] = { false };
	size_t i, j;

	(void)state;
	for (i = 0; i < 200; i++) {
		sp_ref_new(ref);
		CHECK_INT(strlen(ref), SP_REF_LEN);
		CHECK_INT(ref[4], '-');
		CHECK_INT(sp_ref_valid(ref), true);
		for (j = 0; j < SP_REF_LEN; j++)
			if (j != 4)
				seen[strchr(alphabet, ref[j]) - alphabet] =
				    true;
	}
	for (j = 0; j < 32; j++)
		if (!seen[j])
			fail_msg("got no '%c' in 200 codes, want every letter",
			    alphabet[j]);
	CHECK_INT(sp_ref_valid("ABCD-EFGH"), true);
	CHECK_INT(sp_ref_valid("ABCD-EFG0"), false);
	CHECK_INT(sp_ref_valid("ABCD-EFGI"), false);
	CHECK_INT(sp_ref_valid("abcd-efgh"), false);
	CHECK_INT(sp_ref_valid("ABCDEEFGH"), false);
	CHECK_INT(sp_ref_valid("ABCD-EFGHJ"), false);
	CHECK_INT(sp_ref_valid(NULL), false);
}

/* ---- known-answer vectors ---- */

static const struct kat_spec {
	const char *name;
	unsigned char keypair_seed; /* every byte of the seed */
	const char *key_id;
	unsigned char rng_seed; /* every byte of the seed */
	const char *msg_id;
	const char *text; /* plaintext, or NULL for the pattern */
	size_t pattern;   /* pattern length when text is NULL */
} kat_specs[] = {
	{ "empty", 0x01, "0000000000000001", 0x02, "AAECAwQFBgcICQoLDA0ODw",
	    NULL, 0 },
	{ "short", 0x03, "0000000000000002", 0x04, "EBESExQVFhcYGRobHB0eHw",
	    "Subject: kat\r\n\r\nHello, sealed world.\r\n", 0 },
	{ "multi", 0x05, "0000000000000003", 0x06, "ICEiIyQlJicoKSorLC0uLw",
	    NULL, 150000 },
};

struct kat {
	unsigned char kp_seed[32];
	char key_id[SP_KEYID_MAX];
	unsigned char rng_seed[32];
	char msg_id[SP_ID_LEN + 1];
	unsigned char *plain;
	size_t plain_len;
	struct sealed s;
};

static void
kat_free(struct kat *k)
{
	free(k->plain);
	sealed_free(&k->s);
}

static void
hex_line(FILE *fp, const char *field, const unsigned char *b, size_t n)
{
	size_t i;

	fprintf(fp, "%s ", field);
	for (i = 0; i < n; i++)
		fprintf(fp, "%02x", b[i]);
	fputc('\n', fp);
}

static int
kat_write(const char *dir, const struct kat_spec *sp)
{
	struct ring r = { 0 };
	unsigned char seed[32];
	struct sealed s;
	unsigned char *plain;
	size_t len = sp->text ? strlen(sp->text) : sp->pattern;
	char path[4096];
	FILE *fp;
	uint32_t i;

	snprintf(path, sizeof(path), "%s/seal_v1_%s.kat", dir, sp->name);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	plain = malloc(len + 1);
	if (sp->text)
		memcpy(plain, sp->text, len);
	else
		pattern_fill(plain, len);
	ring_add_byte(&r, sp->key_id, sp->keypair_seed);
	memset(seed, sp->rng_seed, sizeof(seed));
	rng_reset(seed);
	seal_msg(&r.keys[0], sp->msg_id, plain, len, 0, &s);
	fprintf(fp,
	    "# sealpost sealed format version 1, vector \"%s\".\n"
	    "# Pinned: see tests/unit/test_seal.c before changing.\n",
	    sp->name);
	memset(seed, sp->keypair_seed, sizeof(seed));
	hex_line(fp, "keypair_seed", seed, sizeof(seed));
	fprintf(fp, "key_id %s\n", sp->key_id);
	memset(seed, sp->rng_seed, sizeof(seed));
	hex_line(fp, "rng_seed", seed, sizeof(seed));
	fprintf(fp, "msg_id %s\n", sp->msg_id);
	if (sp->text)
		hex_line(fp, "plaintext_hex", plain, len);
	else
		fprintf(fp, "plaintext_pattern %zu\n", len);
	hex_line(fp, "header", s.header, s.header_len);
	for (i = 0; i < s.n; i++)
		hex_line(fp, "chunk", s.chunk[i], s.len[i]);
	free(plain);
	sealed_free(&s);
	ring_free(&r);
	return fclose(fp);
}

/* Decodes hex v into a new buffer of *n bytes. */
static unsigned char *
unhex(const char *field, const char *v, size_t *n)
{
	size_t hlen = strlen(v);
	unsigned char *b = malloc(hlen / 2 + 1);

	CHECK_NONNULL(b);
	if (sodium_hex2bin(b, hlen / 2 + 1, v, hlen, NULL, n, NULL) != 0 ||
	    *n * 2 != hlen)
		fail_msg(
		    "%s: got bad hex of %zu characters, want hex", field, hlen);
	return b;
}

static void
unhex_fixed(const char *field, const char *v, unsigned char *out, size_t len)
{
	size_t n;
	unsigned char *b = unhex(field, v, &n);

	CHECK_INT(n, len);
	memcpy(out, b, len);
	free(b);
}

static void
kat_field(struct kat *k, const char *f, const char *v)
{
	size_t n;

	if (strcmp(f, "keypair_seed") == 0) {
		unhex_fixed(f, v, k->kp_seed, sizeof(k->kp_seed));
	} else if (strcmp(f, "rng_seed") == 0) {
		unhex_fixed(f, v, k->rng_seed, sizeof(k->rng_seed));
	} else if (strcmp(f, "key_id") == 0) {
		snprintf(k->key_id, sizeof(k->key_id), "%s", v);
	} else if (strcmp(f, "msg_id") == 0) {
		snprintf(k->msg_id, sizeof(k->msg_id), "%s", v);
	} else if (strcmp(f, "plaintext_hex") == 0) {
		k->plain = unhex(f, v, &k->plain_len);
	} else if (strcmp(f, "plaintext_pattern") == 0) {
		k->plain_len = strtoul(v, NULL, 10);
		k->plain = malloc(k->plain_len + 1);
		CHECK_NONNULL(k->plain);
		pattern_fill(k->plain, k->plain_len);
	} else if (strcmp(f, "header") == 0) {
		unsigned char *b = unhex(f, v, &n);

		if (n > sizeof(k->s.header))
			fail_msg("header: got %zu bytes, want at most %zu", n,
			    sizeof(k->s.header));
		memcpy(k->s.header, b, n);
		k->s.header_len = n;
		free(b);
	} else if (strcmp(f, "chunk") == 0) {
		if (k->s.n == MAX_CHUNKS)
			fail_msg("chunks: got more than %d, want at most that",
			    MAX_CHUNKS);
		k->s.chunk[k->s.n] = unhex(f, v, &k->s.len[k->s.n]);
		k->s.n++;
	} else {
		fail_msg("got field \"%s\", want a known field", f);
	}
}

static void
kat_load(const char *name, struct kat *k)
{
	const char *src = getenv("SEALPOST_SOURCE_DIR");
	char path[4096], *text, *line, *next, *sp;
	size_t len;

	if (src == NULL)
		fail_msg("SEALPOST_SOURCE_DIR: got unset, want the source "
		         "folder (ctest sets it)");
	snprintf(
	    path, sizeof(path), "%s/tests/unit/kat/seal_v1_%s.kat", src, name);
	memset(k, 0, sizeof(*k));
	text = (char *)slurp(path, &len);
	for (line = text; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (next[-1] == '\n')
			next[-1] = '\0';
		if (*line == '#' || *line == '\0')
			continue;
		if ((sp = strchr(line, ' ')) == NULL)
			fail_msg("%s: got line \"%.40s\", want \"field value\"",
			    path, line);
		*sp = '\0';
		kat_field(k, line, sp + 1);
	}
	free(text);
	CHECK_NONNULL(k->plain);
}

static void
kat_sealing_reproduces_pinned_bytes(void **state)
{
	struct ring r = { 0 };
	struct sealed s;
	struct kat k;
	size_t i;
	uint32_t c;

	(void)state;
	for (i = 0; i < sizeof(kat_specs) / sizeof(kat_specs[0]); i++) {
		kat_load(kat_specs[i].name, &k);
		ring_add(&r, k.key_id, k.kp_seed);
		rng_reset(k.rng_seed);
		seal_msg(&r.keys[0], k.msg_id, k.plain, k.plain_len, 0, &s);
		CHECK_MEM(s.header, s.header_len, k.s.header, k.s.header_len);
		CHECK_INT(s.n, k.s.n);
		for (c = 0; c < s.n; c++)
			if (s.len[c] != k.s.len[c] ||
			    memcmp(s.chunk[c], k.s.chunk[c], s.len[c]) != 0)
				fail_msg("%s chunk %u: got other bytes (%zu), "
				         "want the pinned ones (%zu)",
				    kat_specs[i].name, c, s.len[c], k.s.len[c]);
		sealed_free(&s);
		ring_free(&r);
		kat_free(&k);
	}
}

static void
kat_pinned_vectors_open_with_pinned_key(void **state)
{
	struct ring r = { 0 };
	struct opened o;
	struct kat k;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(kat_specs) / sizeof(kat_specs[0]); i++) {
		kat_load(kat_specs[i].name, &k);
		ring_add(&r, k.key_id, k.kp_seed);
		memset(&o, 0, sizeof(o));
		o.cap = k.plain_len;
		o.plain = malloc(o.cap + 1);
		CHECK_NONNULL(o.plain);
		if (open_msg(&r.kr, k.msg_id, &k.s, &o) != SP_OK)
			fail_msg("%s: got \"%s\", want it to open",
			    kat_specs[i].name, o.err.msg);
		CHECK_MEM(o.plain, o.len, k.plain, k.plain_len);
		free(o.plain);
		ring_free(&r);
		kat_free(&k);
	}
}

int
main(int argc, char **argv)
{
	static const unsigned char seed[32] = { 's', 'e', 'a', 'l' };
	const struct CMUnitTest tests[] = {
#define FIX(t) cmocka_unit_test_setup_teardown(t, fix_setup, fix_teardown)
		FIX(round_trip_keeps_every_byte_for_edge_sizes),
		FIX(push_sizes_do_not_change_the_chunks),
		FIX(round_trip_keeps_corpus_messages_byte_for_byte),
		FIX(tampered_header_byte_is_refused),
		FIX(tampered_chunk_byte_is_refused_before_output),
		FIX(truncated_message_is_refused),
		FIX(reordered_chunks_are_refused),
		FIX(chunk_of_another_message_is_refused),
		FIX(same_message_key_under_another_id_is_refused),
		FIX(chunk_after_final_and_wrong_seq_are_refused),
		FIX(forged_chunk_shapes_are_refused),
		FIX(chunk_shorter_than_its_tag_is_refused),
		FIX(wrong_key_is_refused),
		FIX(unknown_or_public_only_key_is_named),
		FIX(newest_key_seals_and_older_key_still_opens),
		FIX(header_layout_matches_the_documented_offsets),
		FIX(malformed_header_is_refused_with_reason),
		FIX(sealer_stops_on_callback_failure_and_misuse),
#undef FIX
		cmocka_unit_test(new_ids_are_valid_and_distinct),
		cmocka_unit_test(id_valid_accepts_only_canonical_ids),
		cmocka_unit_test(reference_codes_use_the_unambiguous_alphabet),
		cmocka_unit_test(kat_sealing_reproduces_pinned_bytes),
		cmocka_unit_test(kat_pinned_vectors_open_with_pinned_key),
	};
	size_t i;

	/* Before sodium_init: libsodium takes the implementation then. */
	if (randombytes_set_implementation(&test_rng) != 0 || sodium_init() < 0)
		return 1;
	rng_reset(seed);
	if (argc == 3 && strcmp(argv[1], "--write-kat") == 0) {
		for (i = 0; i < sizeof(kat_specs) / sizeof(kat_specs[0]); i++)
			if (kat_write(argv[2], &kat_specs[i]) != 0) {
				fprintf(stderr, "cannot write %s\n", argv[2]);
				return 1;
			}
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
