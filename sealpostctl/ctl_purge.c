/* SPDX-License-Identifier: MIT */
/*
 * ctl_purge: the commands that change messages: revoke, expire, purge.
 *
 * revoke and expire rewrite one message's metadata; purge deletes the
 * sealed chunks of every revoked or expired message and keeps its
 * metadata as a tombstone, then applies the retention settings (removes
 * tombstones older than purged_retention, and audit events older than
 * audit_retention that belong to no message the store still holds), and
 * removes chunks that were never committed and are older than an hour,
 * and expired passcodes, sessions and rate limits.  Each change is one
 * store transaction, so purge may run while the milter and the portal
 * work: it reads the list in one pass, then purges each candidate with
 * sp_store_msg_purge_expired, which checks again inside the purge's own
 * transaction, so a message whose expiry was pushed back meanwhile stays.
 * Every change is written to the audit trail with the admin who ran it.
 */
#include "ctl_msg.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_msg_util.h"
#include "sp_time.h"

#define PURGE_ORPHAN_AGE 3600 /* seconds an uncommitted chunk may wait */

/* Loads id for a change; on failure prints why and returns the status. */
static int
change_load(
    struct sp_store *s, const char *cmd, const char *id, struct sp_msg_meta *m)
{
	struct sp_error err;

	if (!ctl_id_ok(cmd, id))
		return SP_EINVAL;
	sp_error_clear(&err);
	if (sp_store_msg_get(s, id, m, &err) == SP_OK)
		return SP_OK;
	ctl_warn("%s %s: %s", cmd, id,
	    err.code == SP_ENOTFOUND ? "no such message" : err.msg);
	return err.code ? err.code : SP_EIO;
}

/* Writes m back and the audit event for it. */
static int
change_save(struct sp_store *s, const struct sp_msg_meta *m, const char *cmd,
    const char *detail)
{
	struct sp_error err;

	sp_error_clear(&err);
	if (sp_store_msg_update(s, m, &err) != SP_OK) {
		ctl_warn("%s %s: %s", cmd, m->id, err.msg);
		return CTL_FAIL;
	}
	if (ctl_audit(s, m->id, cmd, detail, &err) != SP_OK) {
		ctl_warn("%s %s: done, but the audit event failed: %s", cmd,
		    m->id, err.msg);
		return CTL_FAIL;
	}
	return CTL_OK;
}

int
ctl_msg_revoke(struct ctl *ctl, int argc, char **argv)
{
	struct sp_msg_meta m;
	struct sp_store *s = NULL;
	int rc = CTL_FAIL;

	if (argc != 2) {
		return ctl_usage(argv[0]);
	}
	memset(&m, 0, sizeof(m));
	if ((s = ctl_store_open(ctl->cfg, true)) == NULL)
		goto out;
	if (change_load(s, "revoke", argv[1], &m) != SP_OK)
		goto out;
	if (m.state != SP_MSG_ACTIVE) {
		/* Revoking twice changes nothing and is not an error */
		printf("%s: already %s\n", m.id, ctl_state_name(&m, ctl_now()));
		rc = CTL_OK;
		goto out;
	}
	m.state = SP_MSG_REVOKED;
	m.revoked = ctl_now();
	rc = change_save(s, &m, "revoke", "");
	if (rc == CTL_OK)
		printf("%s: revoked\n", m.id);
out:
	sp_msg_meta_cleanup(&m);
	if (s != NULL)
		sp_store_close(s);
	return rc;
}

/* "never" or a time as sp_time_parse reads it. */
static int
expire_when(const char *arg, int64_t *when)
{
	struct sp_error err;

	if (strcmp(arg, "never") == 0) {
		*when = 0;
		return SP_OK;
	}
	if (sp_time_parse(arg, ctl_now(), when, &err) != SP_OK) {
		ctl_warn("expire: %s", err.msg);
		return err.code;
	}
	if (*when <= 0) {
		ctl_warn("expire: time before 1970");
		return SP_EFORMAT;
	}
	return SP_OK;
}

int
ctl_msg_expire(struct ctl *ctl, int argc, char **argv)
{
	struct sp_msg_meta m;
	struct sp_store *s = NULL;
	char detail[64], t[SP_TIME_STR_MAX];
	int64_t when;
	int rc = CTL_FAIL;

	if (argc != 3) {
		return ctl_usage(argv[0]);
	}
	if (expire_when(argv[2], &when) != SP_OK)
		return CTL_USAGE;
	memset(&m, 0, sizeof(m));
	if ((s = ctl_store_open(ctl->cfg, true)) == NULL)
		goto out;
	if (change_load(s, "expire", argv[1], &m) != SP_OK)
		goto out;
	if (m.state == SP_MSG_PURGED) {
		ctl_warn("expire %s: purged, nothing left to expire", m.id);
		goto out;
	}
	m.expires = when;
	snprintf(detail, sizeof(detail), "expires=%s",
	    when ? sp_time_format(when, t) : "never");
	rc = change_save(s, &m, "expire", detail);
	if (rc == CTL_OK)
		printf("%s: %s\n", m.id, detail);
out:
	sp_msg_meta_cleanup(&m);
	if (s != NULL)
		sp_store_close(s);
	return rc;
}

/* purge ---------------------------------------------------------------- */

struct purge_list {
	char (*ids)[SP_ID_LEN + 1];
	size_t n, cap;
	int64_t now;
	int status;
};

static int
purge_collect(void *ctx, const struct sp_msg_meta *m)
{
	struct purge_list *p = ctx;
	char(*nids)[SP_ID_LEN + 1];
	size_t ncap;

	if (!ctl_msg_purgeable(m, p->now))
		return 0;
	if (p->n == p->cap) {
		ncap = p->cap ? p->cap * 2 : 64;
		nids = realloc(p->ids, ncap * sizeof(*nids));
		if (nids == NULL)
			return p->status = SP_ENOMEM;
		p->ids = nids;
		p->cap = ncap;
	}
	snprintf(p->ids[p->n++], SP_ID_LEN + 1, "%s", m->id);
	return 0;
}

struct purge_totals {
	size_t msgs, failed;
	uint64_t bytes;
};

/* --dry-run: shows a candidate that still qualifies. */
static void
purge_show(
    struct sp_store *s, const char *id, int64_t now, struct purge_totals *t)
{
	struct sp_msg_meta m;
	struct sp_error err;

	memset(&m, 0, sizeof(m));
	sp_error_clear(&err);
	if (sp_store_msg_get(s, id, &m, &err) == SP_OK &&
	    ctl_msg_purgeable(&m, now)) {
		printf("would purge %s (%s)\n", m.id, ctl_state_name(&m, now));
		t->msgs++;
		t->bytes += ctl_sealed_bytes(&m);
	}
	sp_msg_meta_cleanup(&m);
}

/* Purges one candidate if it still qualifies, checked by the store in
 * the purge's own transaction. */
static void
purge_one(
    struct sp_store *s, const char *id, int64_t now, struct purge_totals *t)
{
	struct sp_msg_meta m;
	struct sp_error err;
	char detail[64];
	bool purged = false;

	sp_error_clear(&err);
	if (sp_store_msg_purge_expired(s, id, now, &purged, &m, &err) !=
	    SP_OK) {
		if (err.code != SP_ENOTFOUND) {
			ctl_warn("purge %s: %s", id, err.msg);
			t->failed++;
		}
		return;
	}
	if (!purged)
		goto out;
	snprintf(detail, sizeof(detail), "reason=%s", ctl_state_name(&m, now));
	if (ctl_audit(s, m.id, "purge", detail, &err) != SP_OK) {
		ctl_warn("purge %s: purged, but the audit event failed: %s",
		    m.id, err.msg);
		t->failed++;
	}
	t->msgs++;
	t->bytes += ctl_sealed_bytes(&m);
out:
	sp_msg_meta_cleanup(&m);
}

/* What purge removed besides messages. */
struct purge_gc {
	size_t tombstones, events, orphans;
	size_t kv[3]; /* passcodes, sessions, rate limits */
};

/* Tombstones past purged_retention, then audit events past
 * audit_retention (those of messages still held stay, see sp_store.h).
 * The removal is itself an audit event, which the next runs keep for
 * audit_retention. */
static int
purge_retention(struct sp_store *s, const struct sp_config *cfg, int64_t now,
    struct purge_gc *g)
{
	struct sp_error err;
	char detail[96];

	sp_error_clear(&err);
	if (sp_store_tombstone_expire(s, now - cfg->purged_retention,
	        &g->tombstones, &err) != SP_OK) {
		ctl_warn("purge: tombstones: %s", err.msg);
		return CTL_FAIL;
	}
	if (sp_store_audit_expire(
	        s, now - cfg->audit_retention, &g->events, &err) != SP_OK) {
		ctl_warn("purge: audit events: %s", err.msg);
		return CTL_FAIL;
	}
	if (g->tombstones == 0 && g->events == 0)
		return CTL_OK;
	snprintf(detail, sizeof(detail), "tombstones=%zu audit_events=%zu",
	    g->tombstones, g->events);
	if (ctl_audit(s, "", "retention", detail, &err) != SP_OK) {
		ctl_warn("purge: audit: %s", err.msg);
		return CTL_FAIL;
	}
	return CTL_OK;
}

/* Orphan chunks and expired sign-in records. */
static int
purge_housekeeping(struct sp_store *s, struct purge_gc *g)
{
	static const enum sp_kv_table tables[] = { SP_KV_PASSCODES,
		SP_KV_SESSIONS, SP_KV_RATELIMITS };
	struct sp_error err;
	char detail[64];
	size_t i;

	sp_error_clear(&err);
	if (sp_store_gc_orphans(s, PURGE_ORPHAN_AGE, &g->orphans, &err) !=
	    SP_OK) {
		ctl_warn("purge: orphan chunks: %s", err.msg);
		return CTL_FAIL;
	}
	for (i = 0; i < sizeof(tables) / sizeof(*tables); i++) {
		if (sp_store_kv_expire(
		        s, tables[i], ctl_now(), &g->kv[i], &err) != SP_OK) {
			ctl_warn("purge: expired records: %s", err.msg);
			return CTL_FAIL;
		}
	}
	if (g->orphans == 0)
		return CTL_OK;
	snprintf(detail, sizeof(detail), "orphan_chunks=%zu", g->orphans);
	if (ctl_audit(s, "", "gc", detail, &err) != SP_OK) {
		ctl_warn("purge: audit: %s", err.msg);
		return CTL_FAIL;
	}
	return CTL_OK;
}

static void
purge_report(const struct purge_totals *t, const struct purge_gc *g)
{
	printf("purged %zu messages (%" PRIu64 " sealed bytes); removed %zu "
	       "old tombstones, %zu old audit events, %zu orphan chunks, "
	       "%zu expired sign-in records (%zu passcodes, %zu sessions, "
	       "%zu rate limits)\n",
	    t->msgs, t->bytes, g->tombstones, g->events, g->orphans,
	    g->kv[0] + g->kv[1] + g->kv[2], g->kv[0], g->kv[1], g->kv[2]);
}

static int
purge_options(int argc, char **argv, bool *dry_run)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+n", opts, NULL)) != -1) {
		if (c != 'n')
			return ctl_usage(argv[0]);
		*dry_run = true;
	}
	if (optind != argc) {
		return ctl_usage(argv[0]);
	}
	return -1;
}

int
ctl_msg_purge(struct ctl *ctl, int argc, char **argv)
{
	struct purge_list p = { .now = ctl_now() };
	struct purge_totals t = { 0, 0, 0 };
	struct purge_gc g;
	struct sp_store *s = NULL;
	struct sp_error err;
	size_t i;
	bool dry_run = false;
	int rc;

	if ((rc = purge_options(argc, argv, &dry_run)) >= 0)
		return rc;
	rc = CTL_FAIL;
	if ((s = ctl_store_open(ctl->cfg, !dry_run)) == NULL)
		goto out;
	sp_error_clear(&err);
	if (sp_store_msg_list(s, purge_collect, &p, &err) != SP_OK ||
	    p.status != SP_OK) {
		ctl_warn("purge: %s",
		    p.status != SP_OK ? sp_strerror(p.status) : err.msg);
		goto out;
	}
	for (i = 0; i < p.n; i++) {
		if (dry_run)
			purge_show(s, p.ids[i], p.now, &t);
		else
			purge_one(s, p.ids[i], p.now, &t);
	}
	if (dry_run) {
		rc = CTL_OK;
		goto out;
	}
	memset(&g, 0, sizeof(g));
	rc = purge_retention(s, ctl->cfg, ctl_now(), &g);
	if (purge_housekeeping(s, &g) != CTL_OK)
		rc = CTL_FAIL;
	purge_report(&t, &g);
	if (t.failed > 0)
		rc = CTL_FAIL;
out:
	free(p.ids);
	if (s != NULL)
		sp_store_close(s);
	return rc;
}
