/* SPDX-License-Identifier: MIT */
/*
 * Tests for the audit relay: events handed over by several processes
 * reach the store, those waiting together in one transaction; a client
 * whose deadline passed gets SP_ETIMEOUT and the writer drops its event;
 * a store failure reaches the client; an answer meant for an earlier
 * process on the same socket is skipped; a malformed record, or an event
 * the store would refuse, is refused alone, without stopping the writer
 * or failing the events batched with it.
 *
 * The writer runs in a thread of the test; clients are forked children
 * (or the test itself).  To make grouping certain rather than likely,
 * the clients' events are already waiting in the sockets when the writer
 * starts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdbool.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sp_audit_relay.h"
#include "store_test_util.h"

#define CLIENTS 8

struct fx {
	char dir[256];
	char path[300];
	struct sp_store *s;
	int wfd[CLIENTS], cfd[CLIENTS];
	struct sp_error err;

	/* the writer thread */
	pthread_t thread;
	volatile sig_atomic_t stop;
	struct sp_audit_relay_stats st;
	int rc;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sp_store_opts o = { 0, 0, false, NULL };
	int fds[2];
	size_t i;

	tu_tmpdir(f->dir, sizeof(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
	if (sp_store_open(f->path, &o, &f->s, &f->err) != SP_OK)
		fail_msg("open: %s", f->err.msg);
	for (i = 0; i < CLIENTS; i++) {
		if (sp_audit_relay_pair(fds, &f->err) != SP_OK)
			fail_msg("pair: %s", f->err.msg);
		f->wfd[i] = fds[0];
		f->cfd[i] = fds[1];
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < CLIENTS; i++) {
		close(f->wfd[i]);
		close(f->cfd[i]);
	}
	sp_store_close(f->s);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* Reopens the store, read-only or not (one LMDB environment may be open
 * only once in a process). */
static void
reopen(struct fx *f, bool read_only)
{
	struct sp_store_opts o = { 0, 0, read_only, NULL };

	sp_store_close(f->s);
	if (sp_store_open(f->path, &o, &f->s, &f->err) != SP_OK)
		fail_msg("reopen: %s", f->err.msg);
}

static void *
writer_main(void *arg)
{
	struct fx *f = arg;
	struct sp_error err;

	f->rc =
	    sp_audit_relay_serve(f->s, f->wfd, CLIENTS, &f->stop, &f->st, &err);
	return NULL;
}

static void
writer_start(struct fx *f)
{
	if (pthread_create(&f->thread, NULL, writer_main, f) != 0)
		fail_msg("pthread_create failed");
}

static void
writer_stop(struct fx *f)
{
	f->stop = 1;
	pthread_join(f->thread, NULL);
	CHECK_INT(f->rc, SP_OK);
	f->stop = 0;
}

static void
event_fill(struct sp_audit_event *ev, int n)
{
	memset(ev, 0, sizeof(*ev));
	ev->when = 1800000000 + n;
	snprintf(ev->event, sizeof(ev->event), "view");
	snprintf(ev->actor, sizeof(ev->actor), "rcpt%d@example.org", n);
	snprintf(ev->detail, sizeof(ev->detail), "n=%d", n);
}

/* Waits until the writer end of client i holds something to read. */
static void
wait_queued(struct fx *f, size_t i)
{
	struct pollfd pf = { f->wfd[i], POLLIN, 0 };

	if (poll(&pf, 1, 5000) != 1)
		fail_msg("client %zu: nothing queued after 5 s", i);
}

/* In a child: hands ev over on client i's socket, exits with the
 * status's negation. */
static pid_t
client_fork_ev(
    struct fx *f, size_t i, const struct sp_audit_event *ev, int timeout_ms)
{
	struct sp_error err;
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	_exit(-sp_audit_relay_send(f->cfd[i], ev, timeout_ms, &err));
}

static pid_t
client_fork(struct fx *f, size_t i, int timeout_ms)
{
	struct sp_audit_event ev;

	event_fill(&ev, (int)i);
	return client_fork_ev(f, i, &ev, timeout_ms);
}

static int
exit_code(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int
count_event(void *ctx, const struct sp_audit_event *ev)
{
	(void)ev;
	(*(size_t *)ctx)++;
	return 0;
}

static size_t
events_in_store(struct fx *f)
{
	size_t n = 0;

	if (sp_store_audit_list(f->s, "", count_event, &n, &f->err) != SP_OK)
		fail_msg("list: %s", f->err.msg);
	return n;
}

static void
events_waiting_together_share_one_commit(void **state)
{
	struct fx *f = *state;
	pid_t pid[CLIENTS];
	size_t i;

	for (i = 0; i < CLIENTS; i++) {
		pid[i] = client_fork(f, i, 5000);
		wait_queued(f, i);
	}
	writer_start(f);
	for (i = 0; i < CLIENTS; i++)
		CHECK_INT(exit_code(pid[i]), 0);
	writer_stop(f);
	CHECK_INT(f->st.events, CLIENTS);
	CHECK_INT(f->st.commits, 1);
	CHECK_INT(events_in_store(f), CLIENTS);
}

static void
events_of_a_running_writer_all_reach_the_store(void **state)
{
	struct fx *f = *state;
	struct sp_audit_event ev;
	pid_t pid[CLIENTS];
	size_t i;
	int k;

	writer_start(f);
	for (i = 0; i < CLIENTS; i++) {
		pid[i] = fork();
		if (pid[i] != 0)
			continue;
		for (k = 0; k < 25; k++) {
			event_fill(&ev, (int)i * 100 + k);
			if (sp_audit_relay_send(
			        f->cfd[i], &ev, 5000, &f->err) != SP_OK)
				_exit(1);
		}
		_exit(0);
	}
	for (i = 0; i < CLIENTS; i++)
		CHECK_INT(exit_code(pid[i]), 0);
	writer_stop(f);
	CHECK_INT(f->st.events, CLIENTS * 25);
	CHECK_INT(events_in_store(f), CLIENTS * 25);
}

static void
late_event_times_out_and_is_dropped(void **state)
{
	struct fx *f = *state;
	struct sp_audit_event ev;

	event_fill(&ev, 1);
	/* no writer yet: the client waits its 50 ms and the grace */
	CHECK_INT(
	    sp_audit_relay_send(f->cfd[0], &ev, 50, &f->err), SP_ETIMEOUT);
	f->stop = 1; /* one pass over what waits, then stop */
	writer_start(f);
	writer_stop(f);
	CHECK_INT(f->st.late, 1);
	CHECK_INT(f->st.events, 0);
	CHECK_INT(events_in_store(f), 0);
}

static void
store_failure_reaches_the_client(void **state)
{
	struct fx *f = *state;
	struct sp_audit_event ev;

	reopen(f, true);
	writer_start(f);
	event_fill(&ev, 2);
	CHECK_INT(sp_audit_relay_send(f->cfd[3], &ev, 5000, &f->err), SP_EPERM);
	CHECK_CONTAINS(f->err.msg, "read-only");
	writer_stop(f);
	CHECK_INT(f->st.failed, 1);
}

static void
answer_for_an_earlier_process_is_skipped(void **state)
{
	struct fx *f = *state;
	struct sp_audit_event ev;
	pid_t pid;
	int st;

	/* a process hands an event over and dies before its answer, which
	 * a read-only store makes a refusal */
	pid = client_fork(f, 0, 5000);
	wait_queued(f, 0);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	reopen(f, true);
	f->stop = 1;
	writer_start(f);
	writer_stop(f);
	CHECK_INT(f->st.failed, 1);
	reopen(f, false);

	/* the refusal waits in the socket; the next client must not take it
	 * for the answer to its own event */
	writer_start(f);
	event_fill(&ev, 3);
	CHECK_INT(sp_audit_relay_send(f->cfd[0], &ev, 5000, &f->err), SP_OK);
	writer_stop(f);
	CHECK_INT(events_in_store(f), 1);
}

static void
malformed_record_is_refused_and_the_writer_goes_on(void **state)
{
	struct fx *f = *state;
	struct sp_audit_event ev;
	char junk[10] = "not-event";

	writer_start(f);
	if (send(f->cfd[5], junk, sizeof(junk), 0) != (ssize_t)sizeof(junk))
		fail_msg("send junk failed");
	event_fill(&ev, 4);
	CHECK_INT(sp_audit_relay_send(f->cfd[5], &ev, 5000, &f->err), SP_OK);
	writer_stop(f);
	CHECK_INT(f->st.failed, 1);
	CHECK_INT(f->st.events, 1);
	CHECK_INT(events_in_store(f), 1);
}

static void
bad_event_is_refused_alone_in_its_batch(void **state)
{
	struct fx *f = *state;
	struct sp_audit_event bad, good;
	pid_t a, b;

	event_fill(&bad, 5);
	snprintf(bad.id, sizeof(bad.id), "../../etc");
	event_fill(&good, 6);
	a = client_fork_ev(f, 6, &bad, 5000);
	wait_queued(f, 6);
	b = client_fork_ev(f, 7, &good, 5000);
	wait_queued(f, 7);
	writer_start(f);
	CHECK_INT(exit_code(a), -SP_EINVAL);
	CHECK_INT(exit_code(b), 0);
	writer_stop(f);
	CHECK_INT(f->st.failed, 1);
	CHECK_INT(f->st.commits, 1);
	CHECK_INT(events_in_store(f), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    events_waiting_together_share_one_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    events_of_a_running_writer_all_reach_the_store, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    late_event_times_out_and_is_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    store_failure_reaches_the_client, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    answer_for_an_earlier_process_is_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    malformed_record_is_refused_and_the_writer_goes_on, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    bad_event_is_refused_alone_in_its_batch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
