/* SPDX-License-Identifier: MIT */
/*
 * Tests for what the store does for retention: the conditional purge
 * (sp_store_msg_purge_expired), the purge time of tombstones, and the
 * removal of old tombstones and audit events, in batches.  Records that
 * the API cannot make (tombstones purged long ago, thousands of events)
 * are written straight into LMDB while the store is closed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <lmdb.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"
#include "sp_store_backend.h"
#include "store_test_util.h"

#define NOW 1800000000LL /* the "now" the conditional purge is given */

struct fx {
	char dir[256];
	char path[300];
	struct sp_store *s;
	struct sp_error err;
};

static int
fx_open(struct fx *f, bool read_only)
{
	struct sp_store_opts o = { 0, 0, read_only, NULL };

	return sp_store_open(f->path, &o, &f->s, &f->err);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	tu_tmpdir(f->dir, sizeof(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
	if (fx_open(f, false) != SP_OK)
		fail_msg("open: %s", f->err.msg);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sp_store_close(f->s);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

static char *rcpts[] = { "a@example.org" };

static void
meta_fill(
    struct sp_msg_meta *m, const char *id, int64_t expires, uint32_t state)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->id, id, SP_ID_LEN + 1);
	memcpy(m->ref, "ABCD-EFGH", SP_REF_LEN + 1);
	m->created = NOW - 86400;
	m->expires = expires;
	m->state = state;
	m->revoked = state == SP_MSG_REVOKED ? NOW - 60 : 0;
	m->nchunks = 2;
	m->sender = "s@example.com";
	m->rcpts = rcpts;
	m->nrcpt = 1;
}

/* A committed message of two chunks (tu_fill contents). */
static void
put_msg(struct fx *f, const char *id, int64_t expires, uint32_t state)
{
	unsigned char b0[16384], b1[16384];
	const unsigned char *tail[2] = { b0, b1 };
	size_t lens[2] = { tu_len(id, 0), tu_len(id, 1) };
	struct sp_msg_meta m;

	tu_fill(b0, id, 0, lens[0]);
	tu_fill(b1, id, 1, lens[1]);
	meta_fill(&m, id, expires, state);
	if (sp_store_msg_commit(f->s, &m, 0, tail, lens, 2, &f->err) != SP_OK)
		fail_msg("commit %s: %s", id, f->err.msg);
}

static int
count_chunk(void *ctx, uint32_t seq, const unsigned char *buf, size_t len)
{
	(void)seq;
	(void)buf;
	(void)len;
	++*(int *)ctx;
	return 0;
}

/* SP_OK when both chunks of id can be read, else the status. */
static int
chunks_status(struct fx *f, const char *id)
{
	int n = 0;
	int rc = sp_store_chunks_read(f->s, id, 2, count_chunk, &n, &f->err);

	return rc == SP_OK && n != 2 ? 99 : rc;
}

static int
count_event(void *ctx, const struct sp_audit_event *ev)
{
	(void)ev;
	++*(size_t *)ctx;
	return 0;
}

static size_t
events_of(struct fx *f, const char *id)
{
	size_t n = 0;

	if (sp_store_audit_list(f->s, id, count_event, &n, &f->err) != SP_OK)
		fail_msg("audit list: %s", f->err.msg);
	return n;
}

static void
audit_at(struct fx *f, const char *id, int64_t when)
{
	struct sp_audit_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.when = when;
	snprintf(ev.id, sizeof(ev.id), "%s", id);
	snprintf(ev.event, sizeof(ev.event), "view");
	snprintf(ev.actor, sizeof(ev.actor), "a@example.org");
	if (sp_store_audit_add(f->s, &ev, &f->err) != SP_OK)
		fail_msg("audit add: %s", f->err.msg);
}

/* --- writing past the store: one LMDB transaction, store closed --- */

struct raw {
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, audit, ratelimits;
};

static void
raw_begin(struct fx *f, struct raw *r)
{
	sp_store_close(f->s);
	f->s = NULL;
	CHECK_INT(mdb_env_create(&r->env), 0);
	CHECK_INT(mdb_env_set_maxdbs(r->env, 8), 0);
	CHECK_INT(mdb_env_set_mapsize(r->env, 64u << 20), 0);
	CHECK_INT(mdb_env_open(r->env, f->path, 0, 0600), 0);
	CHECK_INT(mdb_txn_begin(r->env, NULL, 0, &r->txn), 0);
	CHECK_INT(mdb_dbi_open(r->txn, "meta", 0, &r->meta), 0);
	CHECK_INT(mdb_dbi_open(r->txn, "audit", 0, &r->audit), 0);
	CHECK_INT(mdb_dbi_open(r->txn, "ratelimits", 0, &r->ratelimits), 0);
}

static void
raw_end(struct fx *f, struct raw *r)
{
	CHECK_INT(mdb_txn_commit(r->txn), 0);
	mdb_env_close(r->env);
	if (fx_open(f, false) != SP_OK)
		fail_msg("reopen: %s", f->err.msg);
}

/* A tombstone purged at `purged` (0: written before purge times). */
static void
raw_tombstone(struct raw *r, const char *id, int64_t purged)
{
	struct sp_msg_meta m;
	struct sp_error err;
	unsigned char *rec;
	size_t len;
	MDB_val k = { SP_ID_LEN, (void *)id }, v;

	meta_fill(&m, id, NOW - 10, SP_MSG_PURGED);
	m.purged = purged;
	CHECK_INT(sp_store_meta_encode(&m, &rec, &len, &err), SP_OK);
	v.mv_size = len;
	v.mv_data = rec;
	CHECK_INT(mdb_put(r->txn, r->meta, &k, &v, 0), 0);
	free(rec);
}

/* An audit event of id ("" for none) at `when`, number seq that second. */
static void
raw_event(struct raw *r, const char *id, int64_t when, uint32_t seq)
{
	struct sp_audit_event ev;
	struct sp_error err;
	unsigned char kb[SP_ID_LEN + 12], vb[SP_AUDIT_VAL_MAX];
	size_t vlen;
	MDB_val k = { sizeof(kb), kb }, v;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.event, sizeof(ev.event), "signin");
	CHECK_INT(sp_store_audit_encode(&ev, vb, sizeof(vb), &vlen, &err), 0);
	memset(kb, 0, SP_ID_LEN);
	if (id[0] != '\0')
		memcpy(kb, id, SP_ID_LEN);
	sp_store_be64(kb + SP_ID_LEN, (uint64_t)when ^ (1ULL << 63));
	sp_store_be32(kb + SP_ID_LEN + 8, seq);
	v.mv_size = vlen;
	v.mv_data = vb;
	CHECK_INT(mdb_put(r->txn, r->audit, &k, &v, 0), 0);
}

/* --- the conditional purge --- */

static void
purge_expired_purges_only_what_is_due_at_commit(void **state)
{
	static const struct {
		const char *name;
		int64_t expires;
		uint32_t state;
		bool want;
	} cases[] = {
		{ "active, never expires", 0, SP_MSG_ACTIVE, false },
		{ "active, expires later", NOW + 1, SP_MSG_ACTIVE, false },
		{ "expires exactly now", NOW, SP_MSG_ACTIVE, true },
		{ "expired an hour ago", NOW - 3600, SP_MSG_ACTIVE, true },
		{ "revoked, not expired", NOW + 3600, SP_MSG_REVOKED, true },
		{ "revoked, never expires", 0, SP_MSG_REVOKED, true },
	};
	struct fx *f = *state;
	struct sp_msg_meta was, now;
	char id[SP_ID_LEN + 1];
	bool purged;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tu_id(id, 100 + i);
		put_msg(f, id, cases[i].expires, cases[i].state);
		purged = !cases[i].want;
		CHECK_INT(sp_store_msg_purge_expired(
		              f->s, id, NOW, &purged, &was, &f->err),
		    SP_OK);
		if (purged != cases[i].want)
			fail_msg("%s: got purged=%d, want %d", cases[i].name,
			    purged, cases[i].want);
		CHECK_INT(was.state, cases[i].state);
		CHECK_INT(was.expires, cases[i].expires);
		sp_msg_meta_cleanup(&was);
		CHECK_INT(
		    chunks_status(f, id), cases[i].want ? SP_EEXPIRED : SP_OK);
		CHECK_INT(sp_store_msg_get(f->s, id, &now, &f->err), SP_OK);
		CHECK_INT(
		    now.state, cases[i].want ? SP_MSG_PURGED : cases[i].state);
		sp_msg_meta_cleanup(&now);
		/* once a tombstone, it is left alone */
		CHECK_INT(sp_store_msg_purge_expired(
		              f->s, id, NOW, &purged, NULL, &f->err),
		    SP_OK);
		CHECK_INT(purged, false);
	}
}

static void
purge_expired_refuses_unknown_and_malformed_ids(void **state)
{
	struct fx *f = *state;
	struct sp_msg_meta was;
	char id[SP_ID_LEN + 1];
	bool purged = true;

	tu_id(id, 199);
	CHECK_INT(
	    sp_store_msg_purge_expired(f->s, id, NOW, &purged, &was, &f->err),
	    SP_ENOTFOUND);
	CHECK_INT(purged, false);
	CHECK_INT(sp_store_msg_purge_expired(
	              f->s, "short", NOW, &purged, NULL, &f->err),
	    SP_EINVAL);
}

struct due_list {
	char ids[8][SP_ID_LEN + 1];
	size_t n;
};

static int
collect_due(void *ctx, const struct sp_msg_meta *m)
{
	struct due_list *l = ctx;

	if (l->n < 8 &&
	    (m->state == SP_MSG_REVOKED ||
	        (m->state == SP_MSG_ACTIVE && m->expires != 0 &&
	            m->expires <= NOW)))
		memcpy(l->ids[l->n++], m->id, SP_ID_LEN + 1);
	return 0;
}

/* Another admin, in another process with its own store handle, changes
 * the expiry of id (0: never). */
static void
other_admin_sets_expiry(struct fx *f, const char *id, int64_t expires)
{
	struct sp_store *s;
	struct sp_msg_meta m;
	struct sp_error err;
	pid_t pid;
	int st;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		if (sp_store_open(f->path, NULL, &s, &err) != SP_OK ||
		    sp_store_msg_get(s, id, &m, &err) != SP_OK)
			_exit(2);
		m.expires = expires;
		_exit(sp_store_msg_update(s, &m, &err) == SP_OK ? 0 : 3);
	}
	CHECK_INT(pid > 0, 1);
	CHECK_INT(waitpid(pid, &st, 0), pid);
	CHECK_INT(WIFEXITED(st) && WEXITSTATUS(st) == 0, 1);
}

static void
update_between_list_and_purge_wins(void **state)
{
	struct fx *f = *state;
	struct due_list l;
	struct sp_msg_meta m;
	char extended[SP_ID_LEN + 1], forever[SP_ID_LEN + 1];
	char stale[SP_ID_LEN + 1], revoked[SP_ID_LEN + 1];
	bool purged;
	size_t i, npurged = 0;

	tu_id(extended, 201);
	tu_id(forever, 202);
	tu_id(stale, 203);
	tu_id(revoked, 204);
	put_msg(f, extended, NOW - 60, SP_MSG_ACTIVE);
	put_msg(f, forever, NOW - 60, SP_MSG_ACTIVE);
	put_msg(f, stale, NOW - 60, SP_MSG_ACTIVE);
	put_msg(f, revoked, NOW + 60, SP_MSG_REVOKED);
	/* purge lists the candidates... */
	memset(&l, 0, sizeof(l));
	CHECK_INT(sp_store_msg_list(f->s, collect_due, &l, &f->err), SP_OK);
	CHECK_INT(l.n, 4);
	/* ...meanwhile two expiries are pushed back... */
	other_admin_sets_expiry(f, extended, NOW + 86400);
	other_admin_sets_expiry(f, forever, 0);
	/* ...then purge works through its list */
	for (i = 0; i < l.n; i++) {
		CHECK_INT(sp_store_msg_purge_expired(
		              f->s, l.ids[i], NOW, &purged, NULL, &f->err),
		    SP_OK);
		npurged += purged;
	}
	CHECK_INT(npurged, 2);
	CHECK_INT(chunks_status(f, extended), SP_OK);
	CHECK_INT(chunks_status(f, forever), SP_OK);
	CHECK_INT(chunks_status(f, stale), SP_EEXPIRED);
	CHECK_INT(chunks_status(f, revoked), SP_EEXPIRED);
	CHECK_INT(sp_store_msg_get(f->s, extended, &m, &f->err), SP_OK);
	CHECK_INT(m.expires, NOW + 86400);
	CHECK_INT(m.state, SP_MSG_ACTIVE);
	sp_msg_meta_cleanup(&m);
}

/* --- purge time --- */

static void
purge_time_is_set_once_by_the_store(void **state)
{
	struct fx *f = *state;
	struct sp_msg_meta m;
	char id[SP_ID_LEN + 1], live[SP_ID_LEN + 1];
	int64_t t0 = (int64_t)time(NULL), first;

	tu_id(id, 301);
	tu_id(live, 302);
	put_msg(f, id, NOW - 1, SP_MSG_ACTIVE);
	put_msg(f, live, 0, SP_MSG_ACTIVE);
	CHECK_INT(sp_store_msg_get(f->s, id, &m, &f->err), SP_OK);
	CHECK_INT(m.purged, 0);
	sp_msg_meta_cleanup(&m);
	CHECK_INT(sp_store_msg_purge(f->s, id, &f->err), SP_OK);
	CHECK_INT(sp_store_msg_get(f->s, id, &m, &f->err), SP_OK);
	first = m.purged;
	if (first < t0 || first > (int64_t)time(NULL))
		fail_msg("purged: got %lld, want between %lld and now",
		    (long long)first, (long long)t0);
	/* rewriting the tombstone, or purging it again, keeps the time */
	m.purged = 5;
	CHECK_INT(sp_store_msg_update(f->s, &m, &f->err), SP_OK);
	sp_msg_meta_cleanup(&m);
	CHECK_INT(sp_store_msg_purge(f->s, id, &f->err), SP_OK);
	CHECK_INT(sp_store_msg_get(f->s, id, &m, &f->err), SP_OK);
	CHECK_INT(m.purged, first);
	sp_msg_meta_cleanup(&m);
	/* a message that is not purged has no purge time, whatever it says */
	CHECK_INT(sp_store_msg_get(f->s, live, &m, &f->err), SP_OK);
	m.purged = 12345;
	CHECK_INT(sp_store_msg_update(f->s, &m, &f->err), SP_OK);
	sp_msg_meta_cleanup(&m);
	CHECK_INT(sp_store_msg_get(f->s, live, &m, &f->err), SP_OK);
	CHECK_INT(m.purged, 0);
	sp_msg_meta_cleanup(&m);
}

static void
meta_record_carries_purge_time_only_when_set(void **state)
{
	struct sp_msg_meta m, back;
	struct sp_error err;
	unsigned char *rec;
	size_t len, len0;

	(void)state;
	meta_fill(&m, "t000000000000000000001", NOW, SP_MSG_PURGED);
	CHECK_INT(sp_store_meta_encode(&m, &rec, &len0, &err), SP_OK);
	/* without a purge time: the record as it always was, flags 0 */
	CHECK_INT(rec[len0 - 1], 0);
	free(rec);
	m.purged = NOW + 7;
	CHECK_INT(sp_store_meta_encode(&m, &rec, &len, &err), SP_OK);
	CHECK_INT(len, len0 + 8);
	CHECK_INT(sp_store_meta_decode(rec, len, &back, &err), SP_OK);
	CHECK_INT(back.purged, NOW + 7);
	sp_msg_meta_cleanup(&back);
	/* an unknown flag is damage */
	rec[len0 - 1] |= 8;
	CHECK_INT(sp_store_meta_decode(rec, len, &back, &err), SP_EFORMAT);
	/* a purge time flag without the time */
	rec[len0 - 1] = 4;
	CHECK_INT(sp_store_meta_decode(rec, len0, &back, &err), SP_EFORMAT);
	/* or with a time of 0, which is written as no flag */
	rec[len0 - 1] = 4;
	memset(rec + len0, 0, 8);
	CHECK_INT(sp_store_meta_decode(rec, len, &back, &err), SP_EFORMAT);
	free(rec);
}

/* --- tombstones and audit events --- */

static void
tombstones_go_at_or_after_their_time(void **state)
{
	struct fx *f = *state;
	struct sp_msg_meta m;
	struct raw r;
	char a[SP_ID_LEN + 1], b[SP_ID_LEN + 1], c[SP_ID_LEN + 1];
	char old[SP_ID_LEN + 1], live[SP_ID_LEN + 1];
	int64_t t0 = (int64_t)time(NULL);
	size_t removed = 99;

	tu_id(a, 401);
	tu_id(b, 402);
	tu_id(c, 403);
	tu_id(old, 404);
	tu_id(live, 405);
	put_msg(f, live, NOW - 99999, SP_MSG_ACTIVE); /* expired, unpurged */
	audit_at(f, a, 1000);
	raw_begin(f, &r);
	raw_tombstone(&r, a, 1000);
	raw_tombstone(&r, b, 2000);
	raw_tombstone(&r, c, 3000);
	raw_tombstone(&r, old, 0);
	raw_end(f, &r);
	CHECK_INT(
	    sp_store_tombstone_expire(f->s, 2000, &removed, &f->err), SP_OK);
	CHECK_INT(removed, 2);
	CHECK_INT(sp_store_msg_get(f->s, a, &m, &f->err), SP_ENOTFOUND);
	CHECK_INT(sp_store_msg_get(f->s, b, &m, &f->err), SP_ENOTFOUND);
	CHECK_INT(sp_store_msg_get(f->s, c, &m, &f->err), SP_OK);
	sp_msg_meta_cleanup(&m);
	CHECK_INT(sp_store_msg_get(f->s, live, &m, &f->err), SP_OK);
	sp_msg_meta_cleanup(&m);
	/* one without a purge time is given the current one, and stays */
	CHECK_INT(sp_store_msg_get(f->s, old, &m, &f->err), SP_OK);
	if (m.purged < t0 || m.purged > (int64_t)time(NULL))
		fail_msg("old tombstone: got purged=%lld, want about %lld",
		    (long long)m.purged, (long long)t0);
	sp_msg_meta_cleanup(&m);
	/* the events of a removed tombstone are left to audit_expire */
	CHECK_INT(events_of(f, a), 1);
	CHECK_INT(
	    sp_store_tombstone_expire(f->s, t0 - 1, &removed, &f->err), SP_OK);
	CHECK_INT(removed, 1); /* c */
	CHECK_INT(sp_store_tombstone_expire(
	              f->s, (int64_t)time(NULL) + 1, &removed, &f->err),
	    SP_OK);
	CHECK_INT(removed, 1); /* old */
	CHECK_INT(sp_store_msg_get(f->s, live, &m, &f->err), SP_OK);
	sp_msg_meta_cleanup(&m);
}

static void
audit_events_stay_while_their_message_does(void **state)
{
	struct fx *f = *state;
	struct raw r;
	char held[SP_ID_LEN + 1], tomb[SP_ID_LEN + 1], gone[SP_ID_LEN + 1];
	size_t removed = 99;

	tu_id(held, 501);
	tu_id(tomb, 502);
	tu_id(gone, 503);
	put_msg(f, held, 0, SP_MSG_ACTIVE);
	audit_at(f, "", 100);
	audit_at(f, "", 1000);
	audit_at(f, "", 5000);
	audit_at(f, held, 100);
	audit_at(f, tomb, 100);
	audit_at(f, gone, 100);
	audit_at(f, gone, 100);
	audit_at(f, gone, 5000);
	raw_begin(f, &r);
	raw_tombstone(&r, tomb, 2000);
	raw_end(f, &r);
	CHECK_INT(sp_store_audit_expire(f->s, 1000, &removed, &f->err), SP_OK);
	CHECK_INT(removed, 4); /* none at 100 and 1000, gone's two at 100 */
	CHECK_INT(events_of(f, ""), 1);
	CHECK_INT(events_of(f, held), 1);
	CHECK_INT(events_of(f, tomb), 1);
	CHECK_INT(events_of(f, gone), 1);
	/* once the tombstone goes, its old events follow */
	CHECK_INT(
	    sp_store_tombstone_expire(f->s, 2000, &removed, &f->err), SP_OK);
	CHECK_INT(removed, 1);
	CHECK_INT(sp_store_audit_expire(f->s, 1000, &removed, &f->err), SP_OK);
	CHECK_INT(removed, 1);
	CHECK_INT(events_of(f, tomb), 0);
	CHECK_INT(events_of(f, held), 1);
	CHECK_INT(events_of(f, NULL), 3);
}

#define MANY_TOMBS  1500 /* more than one batch */
#define MANY_EVENTS 2600

static void
sweeps_cross_batches(void **state)
{
	struct fx *f = *state;
	struct raw r;
	char id[SP_ID_LEN + 1];
	size_t i, removed = 0;

	raw_begin(f, &r);
	for (i = 0; i < MANY_TOMBS; i++) {
		tu_id(id, 10000 + i);
		raw_tombstone(&r, id, 50);
		raw_event(&r, id, 60, 0);
		raw_event(&r, id, 60, 1);
	}
	for (i = 0; i < MANY_EVENTS; i++)
		raw_event(&r, "", 70 + (int64_t)(i / 3), (uint32_t)(i % 3));
	raw_event(&r, "", 90000, 0);
	raw_end(f, &r);
	tu_id(id, 20000);
	put_msg(f, id, 0, SP_MSG_ACTIVE);
	audit_at(f, id, 1);
	CHECK_INT(sp_store_audit_expire(f->s, 80000, &removed, &f->err), SP_OK);
	CHECK_INT(removed, MANY_EVENTS);
	CHECK_INT(events_of(f, NULL), 2 * MANY_TOMBS + 2);
	CHECK_INT(
	    sp_store_tombstone_expire(f->s, 50, &removed, &f->err), SP_OK);
	CHECK_INT(removed, MANY_TOMBS);
	CHECK_INT(sp_store_audit_expire(f->s, 80000, &removed, &f->err), SP_OK);
	CHECK_INT(removed, 2 * MANY_TOMBS);
	CHECK_INT(events_of(f, NULL), 2);
	CHECK_INT(events_of(f, id), 1);
	CHECK_INT(chunks_status(f, id), SP_OK);
}

#define MANY_RECORDS 25000 /* more than two transactions' worth to scan */

static void
kv_expire_scans_in_batches(void **state)
{
	struct fx *f = *state;
	struct raw r;
	unsigned char kb[16], vb[9];
	char val[SP_KV_VAL_MAX];
	size_t i, vlen, removed = 0, want = 0;
	MDB_val k = { 15, kb }, v = { sizeof(vb), vb };

	raw_begin(f, &r);
	for (i = 0; i < MANY_RECORDS; i++) {
		/* two of every five expired, in runs between live ones */
		bool expired = i % 5 < 2;

		snprintf((char *)kb, sizeof(kb), "k%014zu", i);
		sp_store_be64(vb, expired ? (uint64_t)NOW - 1 : 0);
		vb[8] = 'v';
		CHECK_INT(mdb_put(r.txn, r.ratelimits, &k, &v, 0), 0);
		want += expired;
	}
	raw_end(f, &r);
	CHECK_INT(
	    sp_store_kv_expire(f->s, SP_KV_RATELIMITS, NOW, &removed, &f->err),
	    SP_OK);
	CHECK_INT(removed, want);
	for (i = 0; i < MANY_RECORDS; i += 997) {
		snprintf((char *)kb, sizeof(kb), "k%014zu", i);
		CHECK_INT(sp_store_kv_get(f->s, SP_KV_RATELIMITS, kb, 15, val,
		              &vlen, &f->err),
		    i % 5 < 2 ? SP_ENOTFOUND : SP_OK);
	}
	CHECK_INT(
	    sp_store_kv_expire(f->s, SP_KV_RATELIMITS, NOW, &removed, &f->err),
	    SP_OK);
	CHECK_INT(removed, 0);
}

static void
read_only_store_refuses_retention_writes(void **state)
{
	struct fx *f = *state;
	char id[SP_ID_LEN + 1];
	size_t removed = 7;
	bool purged = true;

	tu_id(id, 601);
	put_msg(f, id, NOW - 1, SP_MSG_ACTIVE);
	sp_store_close(f->s);
	CHECK_INT(fx_open(f, true), SP_OK);
	CHECK_INT(
	    sp_store_msg_purge_expired(f->s, id, NOW, &purged, NULL, &f->err),
	    SP_EPERM);
	CHECK_INT(purged, false);
	CHECK_INT(
	    sp_store_tombstone_expire(f->s, NOW, &removed, &f->err), SP_EPERM);
	CHECK_INT(removed, 0);
	CHECK_INT(
	    sp_store_audit_expire(f->s, NOW, &removed, &f->err), SP_EPERM);
	CHECK_INT(chunks_status(f, id), SP_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    purge_expired_purges_only_what_is_due_at_commit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    purge_expired_refuses_unknown_and_malformed_ids, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    update_between_list_and_purge_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    purge_time_is_set_once_by_the_store, setup, teardown),
		cmocka_unit_test(meta_record_carries_purge_time_only_when_set),
		cmocka_unit_test_setup_teardown(
		    tombstones_go_at_or_after_their_time, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    audit_events_stay_while_their_message_does, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    sweeps_cross_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    kv_expire_scans_in_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    read_only_store_refuses_retention_writes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
