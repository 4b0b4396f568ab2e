/* SPDX-License-Identifier: MIT */
/*
 * bench_store_rss: seals an N MB message (argument, default 50) into a
 * fresh LMDB store chunk by chunk, commits it, then reads it back and
 * opens it, and reports the time and the resident set size of each step.
 *
 *   build/tests/bin/bench_store_rss [MB [STORE_DIR]]
 *
 * The message is generated on the fly (byte i = (i * 131 + (i >> 16)) &
 * 0xff) and pushed in 64 KiB pieces; every sealed chunk goes to the store
 * in its own durable transaction as soon as the sealer emits it.  A
 * BLAKE2b of what went in and of what came out must match.  Exit status 1
 * if they do not, if a step fails, or if the peak resident size reaches
 * 32 MiB: writing and reading are meant to run in constant memory
 * whatever the size.  Without STORE_DIR a folder under TMPDIR is used and
 * removed afterwards.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sp_seal.h"
#include "sp_store.h"

#define RSS_LIMIT_KIB (32 * 1024)
#define PIECE         65536

struct bench {
	struct sp_store *st;
	struct sp_opener *opener;
	crypto_generichash_state hash;
	unsigned char out[SP_SEAL_CHUNK];
	char id[SP_ID_LEN + 1];
	struct sp_error err;
	bool final;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident size now and at its peak, in KiB, from /proc/self/status. */
static void
rss(long *cur, long *peak)
{
	char line[256];
	FILE *fp = fopen("/proc/self/status", "r");

	*cur = *peak = -1;
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			*cur = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "VmHWM:", 6) == 0)
			*peak = strtol(line + 6, NULL, 10);
	}
	fclose(fp);
}

static void
report(const char *step, double secs, unsigned long mb)
{
	long cur, peak;

	rss(&cur, &peak);
	printf("%-28s %6.2f s %7.1f MB/s   RSS %6ld KiB, peak %6ld KiB\n", step,
	    secs, secs > 0 ? (double)mb / secs : 0.0, cur, peak);
}

static void
pattern(unsigned char *p, uint64_t off, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, off++)
		p[i] = (unsigned char)((off * 131u + (off >> 16)) & 0xff);
}

/* The sealer's chunk callback: into the store, uncommitted. */
static int
store_chunk(void *ctx, uint32_t seq, const unsigned char *c, size_t len)
{
	struct bench *b = ctx;

	return sp_store_chunk_put(b->st, b->id, seq, c, len, &b->err);
}

/* Seals total bytes into the store and commits; hashes the input. */
static int
write_message(struct bench *b, const struct sp_keypair *kp, uint64_t total,
    unsigned char hin[32])
{
	static unsigned char buf[PIECE];
	struct sp_sealer *s = NULL;
	struct sp_msg_meta m;
	const unsigned char *h;
	uint64_t off;
	size_t n, hlen;
	int rc;

	crypto_generichash_init(&b->hash, NULL, 0, 32);
	if ((rc = sp_sealer_new(&s, kp, b->id, store_chunk, b, &b->err)) != 0)
		return rc;
	for (off = 0, rc = SP_OK; off < total && rc == SP_OK; off += n) {
		n = total - off < PIECE ? (size_t)(total - off) : PIECE;
		pattern(buf, off, n);
		crypto_generichash_update(&b->hash, buf, n);
		rc = sp_sealer_push(s, buf, n, &b->err);
	}
	if (rc == SP_OK)
		rc = sp_sealer_finish(s, &b->err);
	memset(&m, 0, sizeof(m));
	memcpy(m.id, b->id, sizeof(m.id));
	h = sp_sealer_header(s, &hlen);
	if (hlen > sizeof(m.header))
		hlen = 0, rc = SP_ETOOBIG;
	memcpy(m.header, h, hlen);
	m.header_len = (uint32_t)hlen;
	memcpy(m.key_id, kp->id, sizeof(m.key_id));
	m.size = sp_sealer_size(s);
	m.nchunks = sp_sealer_chunks(s);
	m.sender = "bench@example.org";
	sp_sealer_free(s);
	if (rc == SP_OK)
		rc = sp_store_msg_commit(
		    b->st, &m, m.nchunks, NULL, NULL, 0, &b->err);
	crypto_generichash_final(&b->hash, hin, 32);
	return rc;
}

static int
open_chunk(void *ctx, uint32_t seq, const unsigned char *c, size_t len)
{
	struct bench *b = ctx;
	size_t n;
	int rc;

	rc = sp_opener_pull(
	    b->opener, seq, c, len, b->out, &n, &b->final, &b->err);
	if (rc == SP_OK)
		crypto_generichash_update(&b->hash, b->out, n);
	return rc;
}

/* Reads the committed message back and opens it; hashes the output. */
static int
read_message(
    struct bench *b, const struct sp_keypair *kp, unsigned char hout[32])
{
	struct sp_keyring kr = { (struct sp_keypair *)kp, 1, NULL };
	struct sp_msg_meta m;
	int rc;

	if ((rc = sp_store_msg_get(b->st, b->id, &m, &b->err)) != SP_OK)
		return rc;
	crypto_generichash_init(&b->hash, NULL, 0, 32);
	rc = sp_opener_new(
	    &b->opener, &kr, b->id, m.header, m.header_len, &b->err);
	if (rc == SP_OK)
		rc = sp_store_chunks_read(
		    b->st, b->id, m.nchunks, open_chunk, b, &b->err);
	if (rc == SP_OK)
		rc = sp_opener_end(b->opener, &b->err);
	sp_opener_free(b->opener);
	sp_msg_meta_cleanup(&m);
	crypto_generichash_final(&b->hash, hout, 32);
	return rc;
}

static int
parse_args(int argc, char **argv, unsigned long *mb, char *dir, size_t cap)
{
	const char *t = getenv("TMPDIR");
	char *end;

	*mb = 50;
	if (argc > 1) {
		errno = 0;
		*mb = strtoul(argv[1], &end, 10);
		if (errno != 0 || *end != '\0' || *mb == 0 || *mb > 100000)
			return -1;
	}
	if (argc > 2)
		return snprintf(dir, cap, "%s", argv[2]) < (int)cap ? 1 : -1;
	snprintf(dir, cap, "%s/bench_store_XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static void
remove_store(const char *dir)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", dir);
	unlink(p);
	rmdir(dir);
}

int
main(int argc, char **argv)
{
	static struct bench b;
	struct sp_keypair kp = { .id = "bench00000000001" };
	unsigned char hin[32], hout[32];
	char dir[512];
	unsigned long mb;
	long cur, peak;
	int own, rc;
	double t0;

	if ((own = parse_args(argc, argv, &mb, dir, sizeof(dir))) < 0) {
		fprintf(stderr, "usage: bench_store_rss [MB [STORE_DIR]]\n");
		return 2;
	}
	if (sodium_init() < 0 || (kp.sk = sodium_malloc(SP_SK_BYTES)) == NULL)
		return 2;
	crypto_box_keypair(kp.pk, kp.sk);
	sp_id_new(b.id);
	report("start", 0, mb);
	rc = sp_store_open(dir, NULL, &b.st, &b.err);
	t0 = now();
	if (rc == SP_OK &&
	    (rc = write_message(&b, &kp, (uint64_t)mb << 20, hin)) == SP_OK)
		report("seal + store + commit", now() - t0, mb);
	t0 = now();
	if (rc == SP_OK && (rc = read_message(&b, &kp, hout)) == SP_OK)
		report("read back + open", now() - t0, mb);
	sp_store_close(b.st);
	sodium_free(kp.sk);
	if (own == 0)
		remove_store(dir);
	if (rc != SP_OK) {
		fprintf(stderr, "bench_store_rss: %s\n", b.err.msg);
		return 1;
	}
	if (sodium_memcmp(hin, hout, 32) != 0) {
		fprintf(stderr, "bench_store_rss: round trip hash mismatch\n");
		return 1;
	}
	rss(&cur, &peak);
	printf("%lu MB sealed, stored, read back and opened, hashes match; "
	       "peak RSS %ld KiB (limit %d KiB)\n",
	    mb, peak, RSS_LIMIT_KIB);
	return peak >= 0 && peak < RSS_LIMIT_KIB ? 0 : 1;
}
