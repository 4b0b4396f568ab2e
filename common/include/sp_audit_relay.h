/* SPDX-License-Identifier: MIT */
/*
 * sp_audit_relay: one process writes the audit events of several others,
 * and events that arrive together share one durable commit.
 *
 * Every commit to the store is flushed to disk, and the store has one
 * writer at a time, so processes that each commit their own events queue
 * behind each other's flushes.  With a relay, each client process hands
 * its event to the writer over its own socket pair and waits for the
 * answer; the writer takes every event waiting on any of its sockets (up
 * to SP_AUDIT_RELAY_BATCH), adds them in one transaction
 * (sp_store_audit_add_many) and answers each client only after that
 * transaction is on disk.  While one flush runs, the next events queue,
 * so under load one flush carries many events, and an event is on disk
 * before its client goes on, as with a commit of its own.
 *
 * Each event carries a deadline on CLOCK_MONOTONIC (one clock for every
 * process of the machine).  The writer drops an event whose deadline has
 * passed before its transaction begins; a client that has no answer
 * SP_AUDIT_RELAY_GRACE_MS after the deadline gets SP_ETIMEOUT and should
 * add the event to the store itself.  An event is thus kept once, by the
 * writer or by the client, unless one commit takes longer than the grace.
 *
 * Answers carry the event's sequence number, so an answer meant for a
 * client that gave up, or for an earlier process on the same socket, is
 * skipped rather than taken for the current one.  Both ends are plain
 * file descriptors: the creator of the pairs decides who holds which.
 */
#ifndef SP_AUDIT_RELAY_H
#define SP_AUDIT_RELAY_H

#include <signal.h>
#include <stdint.h>

#include "sp_error.h"
#include "sp_store.h"

#define SP_AUDIT_RELAY_BATCH 64 /* events per transaction at most */
#define SP_AUDIT_RELAY_GRACE_MS                                                \
	1000 /* client waits this long past a deadline */

struct sp_audit_relay_stats {
	uint64_t events;  /* added to the store */
	uint64_t commits; /* transactions that added them */
	uint64_t late;    /* dropped: their deadline had passed */
	uint64_t failed;  /* refused: bad message, or the store failed */
};

/* A connected pair: fds[0] for the writer, fds[1] for one client.  Both
 * are close-on-exec. */
int sp_audit_relay_pair(int fds[2], struct sp_error *err) SP_MUST_CHECK;

/* The writer: serves the n writer ends in fds until *stop becomes
 * nonzero (checked at least once a second and after every batch; a
 * signal that sets it wakes the wait), then commits one last batch of
 * what is already waiting and returns.  An end whose client side is
 * closed everywhere is left alone from then on.  Returns SP_OK when
 * stopped, SP_EIO when waiting itself fails.  st, when not NULL, is
 * kept up to date. */
int sp_audit_relay_serve(struct sp_store *s, const int *fds, size_t n,
    volatile sig_atomic_t *stop, struct sp_audit_relay_stats *st,
    struct sp_error *err) SP_MUST_CHECK;

/* A client: hands ev to the writer and waits for its answer.  SP_OK once
 * the event is on disk; the store's status (and message) when the writer
 * could not add it; SP_ETIMEOUT when no answer came within timeout_ms
 * plus SP_AUDIT_RELAY_GRACE_MS, or the socket could not take the event
 * (the caller then adds it itself); SP_EIO when the socket failed. */
int sp_audit_relay_send(int fd, const struct sp_audit_event *ev, int timeout_ms,
    struct sp_error *err) SP_MUST_CHECK;

#endif
