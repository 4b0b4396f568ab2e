/* SPDX-License-Identifier: MIT */
/*
 * bench_seal: seals and opens N MB (argument, default 50) in one stream
 * and reports throughput and peak memory.
 *
 *   build/tests/bin/bench_seal [MB]
 *
 * The message is generated on the fly (byte i = (i * 131 + (i >> 16)) &
 * 0xff), pushed in pieces of varying sizes, and every sealed chunk is
 * opened as soon as the sealer emits it, so neither side ever holds the
 * message.  A running BLAKE2b of what went in and of what came out must
 * match.  Exit status 1 if they do not, if opening fails, or if the peak
 * resident size reaches 32 MiB (sealing is meant to run in constant
 * memory, whatever the size).
 *
 * Then it seals SMALL_COUNT messages of 5 KB one by one (new sealer, push,
 * finish, free) and reports the time per message: the fixed cost of the
 * key drawing, crypto_box_seal and the sodium_malloc'd state.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sp_seal.h"

#define RSS_LIMIT_KIB (32 * 1024)
#define SMALL_COUNT   5000
#define SMALL_SIZE    5000

struct bench {
	struct sp_opener *opener;
	crypto_generichash_state out_hash;
	unsigned char out[SP_SEAL_CHUNK];
	double open_s; /* time spent opening */
	bool final;
	int rc;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The sealer's chunk callback: open it right away. */
static int
open_chunk(void *ctx, uint32_t seq, const unsigned char *c, size_t len)
{
	struct bench *b = ctx;
	struct sp_error err;
	double t0 = now();
	size_t n;

	b->rc =
	    sp_opener_pull(b->opener, seq, c, len, b->out, &n, &b->final, &err);
	b->open_s += now() - t0;
	if (b->rc != SP_OK) {
		fprintf(stderr, "bench_seal: %s\n", err.msg);
		return b->rc;
	}
	crypto_generichash_update(&b->out_hash, b->out, n);
	return SP_OK;
}

static void
pattern(unsigned char *p, uint64_t off, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, off++)
		p[i] = (unsigned char)((off * 131u + (off >> 16)) & 0xff);
}

/* Pushes total bytes of the pattern in pieces of varying sizes. */
static int
push_all(struct sp_sealer *s, uint64_t total, crypto_generichash_state *in,
    double *gen_s)
{
	static const size_t pieces[] = { 1, 4096, SP_SEAL_CHUNK + 123, 8191,
		300000 };
	static unsigned char buf[300000];
	struct sp_error err;
	uint64_t off = 0;
	size_t i = 0, n;
	double t0;

	while (off < total) {
		n = pieces[i++ % (sizeof(pieces) / sizeof(pieces[0]))];
		if (n > total - off)
			n = (size_t)(total - off);
		t0 = now();
		pattern(buf, off, n);
		crypto_generichash_update(in, buf, n);
		*gen_s += now() - t0;
		if (sp_sealer_push(s, buf, n, &err) != SP_OK) {
			fprintf(stderr, "bench_seal: %s\n", err.msg);
			return -1;
		}
		off += n;
	}
	if (sp_sealer_finish(s, &err) != SP_OK) {
		fprintf(stderr, "bench_seal: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
count_chunk(void *ctx, uint32_t seq, const unsigned char *c, size_t len)
{
	(void)seq;
	(void)c;
	*(size_t *)ctx += len;
	return SP_OK;
}

/* Seconds per 5 KB message, sealing only; negative on failure. */
static double
small_messages(const struct sp_keypair *kp)
{
	static unsigned char msg[SMALL_SIZE];
	struct sp_sealer *s;
	struct sp_error err;
	char id[SP_ID_LEN + 1];
	size_t out = 0;
	double t0;
	int i;

	pattern(msg, 0, sizeof(msg));
	sp_id_new(id);
	t0 = now();
	for (i = 0; i < SMALL_COUNT; i++) {
		if (sp_sealer_new(&s, kp, id, count_chunk, &out, &err) != SP_OK)
			return -1;
		if (sp_sealer_push(s, msg, sizeof(msg), &err) != SP_OK ||
		    sp_sealer_finish(s, &err) != SP_OK) {
			sp_sealer_free(s);
			return -1;
		}
		sp_sealer_free(s);
	}
	if (out != (size_t)SMALL_COUNT * (SMALL_SIZE + SP_SEAL_CHUNK_OVERHEAD))
		return -1;
	return (now() - t0) / SMALL_COUNT;
}

static int
parse_mb(int argc, char **argv, unsigned long *mb)
{
	char *end;

	*mb = 50;
	if (argc < 2)
		return 0;
	errno = 0;
	*mb = strtoul(argv[1], &end, 10);
	if (errno != 0 || *end != '\0' || *mb == 0 || *mb > 1000000) {
		fprintf(stderr, "usage: bench_seal [MB]\n");
		return -1;
	}
	return 0;
}

/* Seals total bytes to kp, opening as it goes; fills the timings. */
static int
run(const struct sp_keypair *kp, uint64_t total, struct bench *b, double *all_s,
    double *gen_s, uint32_t *chunks)
{
	struct sp_keyring kr = { (struct sp_keypair *)kp, 1, NULL };
	unsigned char hin[32], hout[32];
	crypto_generichash_state in;
	struct sp_sealer *s = NULL;
	struct sp_error err = { 0 };
	char id[SP_ID_LEN + 1];
	const unsigned char *h;
	size_t hlen;
	double t0 = now();
	int rc = -1;

	sp_id_new(id);
	crypto_generichash_init(&in, NULL, 0, sizeof(hin));
	crypto_generichash_init(&b->out_hash, NULL, 0, sizeof(hout));
	if (sp_sealer_new(&s, kp, id, open_chunk, b, &err) != SP_OK)
		goto out;
	h = sp_sealer_header(s, &hlen);
	if (sp_opener_new(&b->opener, &kr, id, h, hlen, &err) != SP_OK ||
	    push_all(s, total, &in, gen_s) != 0 ||
	    sp_opener_end(b->opener, &err) != SP_OK)
		goto out;
	*all_s = now() - t0;
	*chunks = sp_sealer_chunks(s);
	crypto_generichash_final(&in, hin, sizeof(hin));
	crypto_generichash_final(&b->out_hash, hout, sizeof(hout));
	rc = sodium_memcmp(hin, hout, sizeof(hin)) == 0 ? 0 : -2;
out:
	if (rc == -1 && err.msg[0] != '\0')
		fprintf(stderr, "bench_seal: %s\n", err.msg);
	sp_opener_free(b->opener);
	sp_sealer_free(s);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct bench b;
	struct sp_keypair kp = { .id = "bench00000000001" };
	struct rusage ru;
	unsigned long mb;
	uint64_t total;
	double all_s = 0, gen_s = 0, seal_s, small_s;
	uint32_t chunks = 0;
	int rc;

	if (parse_mb(argc, argv, &mb) != 0 || sodium_init() < 0 ||
	    (kp.sk = sodium_malloc(SP_SK_BYTES)) == NULL)
		return 2;
	crypto_box_keypair(kp.pk, kp.sk);
	total = (uint64_t)mb * 1024 * 1024;
	rc = run(&kp, total, &b, &all_s, &gen_s, &chunks);
	small_s = rc == 0 ? small_messages(&kp) : -1;
	sodium_free(kp.sk);
	if (rc != 0 || small_s < 0) {
		fprintf(stderr, "bench_seal: %s\n",
		    rc == -2 ? "round trip hash mismatch" : "failed");
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	seal_s = all_s - b.open_s - gen_s;
	printf("%lu MB (%llu bytes, %u chunks) sealed and opened, hashes "
	       "match\n",
	    mb, (unsigned long long)total, chunks);
	printf("seal %.0f MB/s, open %.0f MB/s\n", (double)mb / seal_s,
	    (double)mb / b.open_s);
	printf("round trip with generating and hashing %.0f MB/s\n",
	    (double)mb / all_s);
	printf("%d messages of %d bytes: %.1f us each to seal\n", SMALL_COUNT,
	    SMALL_SIZE, small_s * 1e6);
	printf(
	    "peak RSS %ld KiB (limit %d KiB)\n", ru.ru_maxrss, RSS_LIMIT_KIB);
	return ru.ru_maxrss < RSS_LIMIT_KIB ? 0 : 1;
}
