/* SPDX-License-Identifier: MIT */
/*
 * Crash test for sp_store: a child process writes messages (several
 * chunks each, bytes derived from the id and sequence number) in a loop
 * and reports every id whose commit returned.  The parent kills it with
 * SIGKILL at a random moment, then reopens the store and checks that
 * every reported message is whole, that nothing partial is visible, and
 * that gc removes the orphan chunks.  Several rounds on the same store.
 * SEALPOST_CRASH_SEED=N repeats a run; SEALPOST_CRASH_ROUNDS=N changes
 * the number of rounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"
#include "store_test_util.h"

#define MAX_IDS 100000

struct crash {
	char dir[256];
	char path[300];
	unsigned long reported[MAX_IDS];
	size_t nreported;
	size_t orphans;
	unsigned int seed;
};

/* The writer: never returns.  Chunk count per message is 1 to 6. */
static void
writer(const char *path, unsigned long base, int fd)
{
	unsigned char buf[16384];
	struct sp_msg_meta m;
	struct sp_store *s;
	struct sp_error err;
	char id[SP_ID_LEN + 1];
	unsigned long i;
	uint32_t n, seq;
	const unsigned char *tail[1];
	size_t tlen[1];

	if (sp_store_open(path, NULL, &s, &err) != SP_OK)
		_exit(2);
	for (i = 0;; i++) {
		tu_id(id, base + i);
		n = 1 + (uint32_t)(tu_byte(id, 0, 3) % 6);
		for (seq = 0; seq + 1 < n; seq++) {
			tu_fill(buf, id, seq, tu_len(id, seq));
			if (sp_store_chunk_put(s, id, seq, buf, tu_len(id, seq),
			        &err) != SP_OK)
				_exit(3);
		}
		tu_fill(buf, id, n - 1, tu_len(id, n - 1));
		tail[0] = buf;
		tlen[0] = tu_len(id, n - 1);
		memset(&m, 0, sizeof(m));
		memcpy(m.id, id, sizeof(m.id));
		m.nchunks = n;
		m.sender = "";
		if (sp_store_msg_commit(s, &m, n - 1, tail, tlen, 1, &err) !=
		    SP_OK)
			_exit(4);
		if (write(fd, &i, sizeof(i)) != (ssize_t)sizeof(i))
			_exit(5);
	}
}

struct whole_ctx {
	const char *id;
	uint32_t seen;
};

static int
check_chunk(void *ctx, uint32_t seq, const unsigned char *buf, size_t len)
{
	struct whole_ctx *w = ctx;

	if (seq != w->seen || tu_verify(buf, len, w->id, seq) != 0)
		return 1;
	w->seen++;
	return 0;
}

struct listed {
	unsigned long ids[MAX_IDS];
	size_t n;
};

/* Collects the listed ids (callbacks must not call the store). */
static int
collect_listed(void *ctx, const struct sp_msg_meta *m)
{
	struct listed *l = ctx;

	if (l->n == MAX_IDS)
		return 1;
	l->ids[l->n++] = strtoul(m->id + 1, NULL, 10);
	return 0;
}

static void
verify_id(struct sp_store *s, unsigned long num)
{
	struct whole_ctx w;
	struct sp_error err;
	char id[SP_ID_LEN + 1];
	int rc;

	tu_id(id, num);
	w.id = id;
	w.seen = 0;
	rc = sp_store_chunks_read(s, id, 1 + (uint32_t)(tu_byte(id, 0, 3) % 6),
	    check_chunk, &w, &err);
	if (rc != SP_OK)
		fail_msg("message %s: got status %d (%s), want it whole", id,
		    rc, rc < 0 ? err.msg : "content differs");
}

static void
run_round(struct crash *c, unsigned int round)
{
	int fds[2], st;
	unsigned long base = (unsigned long)round * 1000000, num;
	pid_t pid;
	struct timespec ts;

	if (pipe(fds) != 0)
		fail_msg("pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		writer(c->path, base, fds[1]);
	}
	close(fds[1]);
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(20 + rand_r(&c->seed) % 180) * 1000000L;
	nanosleep(&ts, NULL);
	kill(pid, SIGKILL);
	CHECK_INT(waitpid(pid, &st, 0), pid);
	/* The child died of the signal, not of an error of its own. */
	CHECK_INT(
	    WIFSIGNALED(st) ? WTERMSIG(st) : 1000 + WEXITSTATUS(st), SIGKILL);
	while (read(fds[0], &num, sizeof(num)) == (ssize_t)sizeof(num))
		if (c->nreported < MAX_IDS)
			c->reported[c->nreported++] = base + num;
	close(fds[0]);
}

static void
verify_store(struct crash *c, unsigned int round)
{
	struct listed *l = calloc(1, sizeof(*l));
	struct sp_store *s;
	struct sp_error err;
	size_t i, removed = 0;

	if (sp_store_open(c->path, NULL, &s, &err) != SP_OK)
		fail_msg("reopen after round %u: %s", round, err.msg);
	for (i = 0; i < c->nreported; i++)
		verify_id(s, c->reported[i]);
	CHECK_INT(sp_store_msg_list(s, collect_listed, l, &err), SP_OK);
	/* At most one commit per round can land without being reported;
	 * whatever is listed must be whole. */
	if (l->n < c->nreported || l->n > c->nreported + round + 1)
		fail_msg("round %u: got %zu messages, want %zu to %zu", round,
		    l->n, c->nreported, c->nreported + round + 1);
	for (i = 0; i < l->n; i++)
		verify_id(s, l->ids[i]);
	free(l);
	CHECK_INT(sp_store_gc_orphans(s, 0, &removed, &err), SP_OK);
	c->orphans += removed;
	CHECK_INT(sp_store_gc_orphans(s, 0, &removed, &err), SP_OK);
	CHECK_INT(removed, 0);
	sp_store_close(s);
}

static void
killed_writer_leaves_only_whole_messages(void **state)
{
	struct crash *c = calloc(1, sizeof(*c));
	const char *e = getenv("SEALPOST_CRASH_SEED");
	const char *r = getenv("SEALPOST_CRASH_ROUNDS");
	unsigned int round, rounds = r ? (unsigned int)strtoul(r, NULL, 10) : 8;

	(void)state;
	c->seed = e ? (unsigned int)strtoul(e, NULL, 10)
	            : (unsigned int)time(NULL) ^ (unsigned int)getpid();
	fprintf(stderr, "crash test: seed %u, %u rounds\n", c->seed, rounds);
	tu_tmpdir(c->dir, sizeof(c->dir));
	snprintf(c->path, sizeof(c->path), "%s/db", c->dir);
	for (round = 0; round < rounds; round++) {
		run_round(c, round);
		verify_store(c, round);
	}
	fprintf(stderr,
	    "crash test: %zu messages committed, %zu orphan "
	    "chunks removed\n",
	    c->nreported, c->orphans);
	if (c->nreported == 0)
		fail_msg(
		    "got no committed message in %u rounds, want some", rounds);
	tu_rmtree(c->dir);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(killed_writer_leaves_only_whole_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
