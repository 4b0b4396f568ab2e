/* SPDX-License-Identifier: MIT */
/*
 * fuzz_seal_open: arbitrary bytes as a sealed record into the opener.
 *
 * Input layout:
 *   byte 0      flags: bit 0 picks the message id (A or B), bit 1 makes
 *               every seq argument one too high
 *   bytes 1-2   header length H, little endian (cut to what remains)
 *   H bytes     the record header
 *   then, until the input ends: a 3-byte little-endian length N and N
 *   bytes of chunk (cut to what remains)
 *
 * The key ring is fixed: key "fuzz000000000001" from a seed of 32 bytes
 * 0x41 with its secret key, and "fuzz000000000002" (seed 0x42) public
 * only.  The seeds in seeds/fuzz_seal_open/ were sealed to the first key
 * under id A and written in this layout, so the fuzzer starts from
 * records that open.
 *
 * Besides not crashing, it checks the opener's promises: a failed pull
 * hands out nothing, no chunk exceeds SP_SEAL_CHUNK, and sp_opener_end
 * succeeds exactly when a FINAL chunk was pulled and nothing failed.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sp_seal.h"

#define ID_A "AAECAwQFBgcICQoLDA0ODw"
#define ID_B "EBESExQVFhcYGRobHB0eHw"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sp_keypair keys[2];
static struct sp_keyring ring = { keys, 2, NULL };
static unsigned char out[SP_SEAL_CHUNK];

static void
ring_init(void)
{
	unsigned char seed[32];

	if (keys[0].sk != NULL)
		return;
	if (sodium_init() < 0 || (keys[0].sk = sodium_malloc(32)) == NULL)
		abort();
	memset(seed, 0x41, sizeof(seed));
	memcpy(keys[0].id, "fuzz000000000001", 17);
	crypto_box_seed_keypair(keys[0].pk, keys[0].sk, seed);
	memset(seed, 0x42, sizeof(seed));
	memcpy(keys[1].id, "fuzz000000000002", 17);
	crypto_box_seed_keypair(keys[1].pk, out, seed);
	keys[1].sk = NULL;
}

static size_t
take_len(const uint8_t **p, size_t *left, size_t width)
{
	size_t n = 0, i;

	for (i = 0; i < width && i < *left; i++)
		n |= (size_t)(*p)[i] << (8 * i);
	i = width < *left ? width : *left;
	*p += i;
	*left -= i;
	return n < *left ? n : *left;
}

/* Pulls chunks until input or opener gives out; traps on a broken
 * promise. */
static void
pull_all(struct sp_opener *o, const uint8_t *p, size_t left, uint32_t skew)
{
	struct sp_error err;
	bool final = false, got_final = false, failed;
	uint32_t seq = 0;
	size_t n, outlen;
	int rc = SP_OK;

	while (left > 0 && rc == SP_OK) {
		n = take_len(&p, &left, 3);
		rc = sp_opener_pull(
		    o, seq + skew, p, n, out, &outlen, &final, &err);
		if ((rc != SP_OK && outlen != 0) || outlen > SP_SEAL_CHUNK)
			__builtin_trap();
		got_final = got_final || (rc == SP_OK && final);
		p += n;
		left -= n;
		seq++;
	}
	failed = rc != SP_OK;
	rc = sp_opener_end(o, &err);
	if ((rc == SP_OK) != (got_final && !failed))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_opener *o = NULL;
	struct sp_error err;
	char kid[SP_KEYID_MAX];
	const uint8_t *hdr;
	uint8_t flags;
	size_t hlen;

	ring_init();
	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	hlen = take_len(&data, &size, 2);
	hdr = data;
	data += hlen;
	size -= hlen;
	(void)sp_seal_header_keyid(hdr, hlen, kid, &err);
	if (sp_opener_new(
	        &o, &ring, (flags & 1) ? ID_B : ID_A, hdr, hlen, &err) != SP_OK)
		return 0;
	pull_all(o, data, size, (flags >> 1) & 1);
	sp_opener_free(o);
	return 0;
}
