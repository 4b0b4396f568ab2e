/* SPDX-License-Identifier: MIT */
/*
 * bench_commit: how many durable store commits a second this disk allows,
 * the floor under any request that writes one (a portal read writes its
 * "view" audit event).
 *
 *   build/tests/bin/bench_commit [SECONDS [PROCS [STORE_DIR]]]
 *
 * PROCS processes (default 2, as many as the portal's workers in
 * bench_portal.sh) each open the same LMDB store and add audit events, one
 * sp_store_audit_add() (one durable transaction) after the other, for
 * SECONDS (default 5).  Prints the commits per second of all together.
 * Without STORE_DIR a folder under TMPDIR is used and removed afterwards.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sp_store.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One writer: adds events until end; writes its count to fd. */
static int
writer(const char *dir, double end, int fd)
{
	struct sp_audit_event ev;
	struct sp_store *st = NULL;
	struct sp_error err;
	unsigned long n = 0;
	int rc = 1;

	if (sp_store_open(dir, NULL, &st, &err) != SP_OK) {
		fprintf(stderr, "bench_commit: %s\n", err.msg);
		return 1;
	}
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.event, sizeof(ev.event), "view");
	snprintf(ev.actor, sizeof(ev.actor), "bench@example.org");
	while (now_s() < end) {
		ev.when = (int64_t)time(NULL);
		if (sp_store_audit_add(st, &ev, &err) != SP_OK) {
			fprintf(stderr, "bench_commit: %s\n", err.msg);
			goto out;
		}
		n++;
	}
	rc = write(fd, &n, sizeof(n)) == (ssize_t)sizeof(n) ? 0 : 1;
out:
	sp_store_close(st);
	return rc;
}

static int
run(const char *dir, double secs, int procs)
{
	double start = now_s(), end = start + secs;
	unsigned long total = 0, n;
	int p[2], i, status, rc = 0;

	if (pipe(p) != 0)
		return 1;
	for (i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0)
			_exit(writer(dir, end, p[1]));
	}
	close(p[1]);
	for (i = 0; i < procs; i++) {
		if (wait(&status) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			rc = 1;
	}
	while (read(p[0], &n, sizeof(n)) == (ssize_t)sizeof(n))
		total += n;
	close(p[0]);
	printf("%d writers, %.1f s: %lu durable commits, %.0f a second\n",
	    procs, now_s() - start, total, (double)total / (now_s() - start));
	return rc;
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 5.0;
	int procs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 2;
	char tmpl[] = "/tmp/sp_bench_commit_XXXXXX", path[64];
	const char *dir = argc > 3 ? argv[3] : NULL;
	int rc;

	if (secs <= 0 || procs < 1 || procs > 64) {
		fprintf(
		    stderr, "usage: bench_commit [SECONDS [PROCS [DIR]]]\n");
		return 2;
	}
	if (dir == NULL && (dir = mkdtemp(tmpl)) == NULL)
		return 1;
	rc = run(dir, secs, procs);
	if (argc <= 3) {
		snprintf(path, sizeof(path), "%s/data.mdb", tmpl);
		unlink(path);
		snprintf(path, sizeof(path), "%s/lock.mdb", tmpl);
		unlink(path);
		if (rmdir(tmpl) != 0)
			rc = 1;
	}
	return rc;
}
