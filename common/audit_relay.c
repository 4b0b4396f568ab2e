/* SPDX-License-Identifier: MIT */
/*
 * audit_relay: the writer that groups several processes' audit events
 * into one durable commit, and the client call that hands it one (see
 * sp_audit_relay.h).  Messages are fixed-size records on SOCK_SEQPACKET
 * socket pairs between processes of one program, so each recv() is one
 * whole record; a record of any other size is refused.
 */
#include "sp_audit_relay.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct relay_msg {
	uint64_t seq;
	int64_t deadline_ns; /* CLOCK_MONOTONIC */
	struct sp_audit_event ev;
};

struct relay_ack {
	uint64_t seq;
	int32_t status;
	char reason[sizeof(((struct sp_error *)0)->msg)];
};

/* One event taken off a socket, waiting for the batch's commit. */
struct pending {
	int fd;
	uint64_t seq;
	bool live; /* not late: goes into the transaction */
};

struct batch {
	struct sp_audit_event ev[SP_AUDIT_RELAY_BATCH];
	struct pending p[SP_AUDIT_RELAY_BATCH];
	size_t n, nev;
};

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
sp_audit_relay_pair(int fds[2], struct sp_error *err)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
		return sp_error_set(err, SP_EIO, "audit relay: socketpair: %s",
		    strerror(errno));
	return SP_OK;
}

static void
answer(int fd, uint64_t seq, int status, const char *reason)
{
	struct relay_ack a;

	memset(&a, 0, sizeof(a));
	a.seq = seq;
	a.status = status;
	snprintf(a.reason, sizeof(a.reason), "%s", reason);
	/* a client that is gone or stuck does not hold the others up */
	(void)send(fd, &a, sizeof(a), MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* The strings of a record from another process end inside their fields. */
static void
terminate(struct sp_audit_event *ev)
{
	ev->id[sizeof(ev->id) - 1] = '\0';
	ev->event[sizeof(ev->event) - 1] = '\0';
	ev->actor[sizeof(ev->actor) - 1] = '\0';
	ev->detail[sizeof(ev->detail) - 1] = '\0';
}

/* Takes what waits on fd into b, until fd is empty or b is full.
 * Returns false when the client side is closed for good. */
static bool
drain(int fd, struct batch *b, int64_t now, struct sp_audit_relay_stats *st)
{
	struct relay_msg m;
	ssize_t got;

	while (b->n < SP_AUDIT_RELAY_BATCH) {
		got = recv(fd, &m, sizeof(m), MSG_DONTWAIT | MSG_TRUNC);
		if (got == 0)
			return false;
		if (got < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR;
		if ((size_t)got != sizeof(m)) {
			st->failed++;
			continue; /* no sequence number to answer with */
		}
		terminate(&m.ev);
		if (sp_store_audit_check(&m.ev, NULL) != SP_OK) {
			/* alone: a bad event must not fail its batch */
			st->failed++;
			answer(fd, m.seq, SP_EINVAL,
			    "audit relay: malformed audit event");
			continue;
		}
		b->p[b->n].fd = fd;
		b->p[b->n].seq = m.seq;
		b->p[b->n].live = m.deadline_ns > now;
		if (b->p[b->n].live)
			b->ev[b->nev++] = m.ev;
		else
			st->late++;
		b->n++;
	}
	return true;
}

/* Commits the live events of b in one transaction and answers each. */
static void
commit(struct sp_store *s, struct batch *b, struct sp_audit_relay_stats *st)
{
	struct sp_error e;
	int rc = SP_OK;
	size_t i;

	sp_error_clear(&e);
	if (b->nev > 0) {
		rc = sp_store_audit_add_many(s, b->ev, b->nev, &e);
		if (rc == SP_OK) {
			st->events += b->nev;
			st->commits++;
		} else {
			st->failed += b->nev;
		}
	}
	for (i = 0; i < b->n; i++)
		if (b->p[i].live)
			answer(b->p[i].fd, b->p[i].seq, rc,
			    rc == SP_OK ? "" : e.msg);
	b->n = b->nev = 0;
}

/* Waits for events; fills b from the ready sockets, starting after the
 * one served first last time so that no client is always last. */
static int
gather(struct pollfd *pf, size_t n, int wait_ms, size_t *first, struct batch *b,
    struct sp_audit_relay_stats *st, struct sp_error *err)
{
	int64_t now;
	size_t k, i;
	int rc;

	rc = poll(pf, (nfds_t)n, wait_ms);
	if (rc < 0 && errno != EINTR)
		return sp_error_set(
		    err, SP_EIO, "audit relay: poll: %s", strerror(errno));
	if (rc <= 0)
		return SP_OK;
	now = mono_ns();
	for (k = 0; k < n && b->n < SP_AUDIT_RELAY_BATCH; k++) {
		i = (*first + k) % n;
		if (pf[i].fd < 0 || pf[i].revents == 0)
			continue;
		if (!drain(pf[i].fd, b, now, st))
			pf[i].fd = -1; /* closed for good: stop polling it */
	}
	*first = (*first + 1) % n;
	return SP_OK;
}

int
sp_audit_relay_serve(struct sp_store *s, const int *fds, size_t n,
    volatile sig_atomic_t *stop, struct sp_audit_relay_stats *st,
    struct sp_error *err)
{
	struct sp_audit_relay_stats dummy;
	struct pollfd *pf;
	struct batch *b;
	size_t i, first = 0;
	int rc = SP_OK;

	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	pf = calloc(n ? n : 1, sizeof(*pf));
	b = calloc(1, sizeof(*b));
	if (pf == NULL || b == NULL) {
		rc = sp_error_set(err, SP_ENOMEM, "audit relay: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		pf[i].fd = fds[i];
		pf[i].events = POLLIN;
	}
	/* once told to stop, what is already waiting is still committed */
	for (;;) {
		bool last = stop != NULL && *stop;

		if ((rc = gather(pf, n, last ? 0 : 1000, &first, b, st, err)) !=
		    SP_OK)
			break;
		if (b->n > 0)
			commit(s, b, st);
		if (last)
			break;
	}
out:
	free(pf);
	free(b);
	return rc;
}

/* Waits for the answer to seq until deadline_ns (CLOCK_MONOTONIC). */
static int
await(int fd, uint64_t seq, int64_t deadline_ns, struct sp_error *err)
{
	struct pollfd pf = { fd, POLLIN, 0 };
	struct relay_ack a;
	int64_t left;
	ssize_t got;
	int rc;

	for (;;) {
		left = (deadline_ns - mono_ns()) / 1000000;
		if (left <= 0)
			return sp_error_set(err, SP_ETIMEOUT,
			    "audit relay: no answer from the writer");
		rc = poll(&pf, 1, (int)(left > 60000 ? 60000 : left + 1));
		if (rc < 0 && errno != EINTR)
			return sp_error_set(err, SP_EIO,
			    "audit relay: poll: %s", strerror(errno));
		if (rc <= 0)
			continue;
		got = recv(fd, &a, sizeof(a), MSG_DONTWAIT);
		if (got == 0)
			return sp_error_set(
			    err, SP_EIO, "audit relay: the writer is gone");
		if (got < 0 && errno != EAGAIN && errno != EINTR)
			return sp_error_set(err, SP_EIO,
			    "audit relay: recv: %s", strerror(errno));
		if (got != (ssize_t)sizeof(a) || a.seq != seq)
			continue; /* meant for an earlier request */
		if (a.status == SP_OK)
			return SP_OK;
		a.reason[sizeof(a.reason) - 1] = '\0';
		return sp_error_set(err, a.status, "%s", a.reason);
	}
}

int
sp_audit_relay_send(int fd, const struct sp_audit_event *ev, int timeout_ms,
    struct sp_error *err)
{
	static uint32_t counter;
	struct relay_msg m;
	int64_t now = mono_ns();

	if (ev == NULL || timeout_ms <= 0)
		return sp_error_set(err, SP_EINVAL, "audit relay: bad call");
	memset(&m, 0, sizeof(m));
	/* the pid tells this process's answers from a predecessor's */
	m.seq = (uint64_t)(uint32_t)getpid() << 32 | ++counter;
	m.deadline_ns = now + (int64_t)timeout_ms * 1000000;
	m.ev = *ev;
	if (send(fd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(m)) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return sp_error_set(err, SP_ETIMEOUT,
			    "audit relay: the writer is not keeping up");
		return sp_error_set(
		    err, SP_EIO, "audit relay: send: %s", strerror(errno));
	}
	return await(fd, m.seq,
	    m.deadline_ns + (int64_t)SP_AUDIT_RELAY_GRACE_MS * 1000000, err);
}
