/* SPDX-License-Identifier: MIT */
/*
 * ctl_purge: the commands that change messages: revoke, expire, purge.
 *
 * revoke and expire rewrite one message's metadata; purge deletes the
 * sealed chunks of every revoked or expired message and keeps its
 * metadata as a tombstone, then removes chunks that were never committed
 * and are older than an hour, and expired passcodes, sessions and rate
 * limits.  Each change is one store transaction, so purge may run while
 * the milter and the portal work: it reads the list in one pass, then
 * reads each candidate again just before purging it, so a message whose
 * expiry was pushed back meanwhile stays.  Every change is written to the
 * audit trail with the admin who ran it.
 *
 * XXX: audit_retention and purged_retention (sealpost.conf) are not
 * applied yet: the store has no call that deletes audit events or a
 * tombstone.  Both are kept forever, which errs on the side of keeping
 * evidence; the store will grow by a small record per message.
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

/* Purges one candidate if it still qualifies. */
static void
purge_one(struct sp_store *s, const char *id, int64_t now, bool dry_run,
    struct purge_totals *t)
{
	struct sp_msg_meta m;
	struct sp_error err;
	char detail[64];

	/* XXX: the check and the purge are two transactions, so an expiry
	 * pushed back by another admin between them is lost; tolerable
	 * because nothing else makes a purgeable message current again, and
	 * the window is one read. */
	memset(&m, 0, sizeof(m));
	sp_error_clear(&err);
	if (sp_store_msg_get(s, id, &m, &err) != SP_OK ||
	    !ctl_msg_purgeable(&m, now))
		goto out;
	snprintf(detail, sizeof(detail), "reason=%s", ctl_state_name(&m, now));
	if (dry_run) {
		printf("would purge %s (%s)\n", m.id, detail + 7);
	} else if (sp_store_msg_purge(s, m.id, &err) != SP_OK) {
		ctl_warn("purge %s: %s", m.id, err.msg);
		t->failed++;
		goto out;
	} else if (ctl_audit(s, m.id, "purge", detail, &err) != SP_OK) {
		ctl_warn("purge %s: purged, but the audit event failed: %s",
		    m.id, err.msg);
		t->failed++;
	}
	t->msgs++;
	t->bytes += ctl_sealed_bytes(&m);
out:
	sp_msg_meta_cleanup(&m);
}

/* Orphan chunks and expired sign-in records. */
static int
purge_housekeeping(struct sp_store *s, size_t *orphans, size_t *records)
{
	static const enum sp_kv_table tables[] = { SP_KV_PASSCODES,
		SP_KV_SESSIONS, SP_KV_RATELIMITS };
	struct sp_error err;
	char detail[64];
	size_t i, n;

	sp_error_clear(&err);
	if (sp_store_gc_orphans(s, PURGE_ORPHAN_AGE, orphans, &err) != SP_OK) {
		ctl_warn("purge: orphan chunks: %s", err.msg);
		return CTL_FAIL;
	}
	for (i = 0, *records = 0; i < sizeof(tables) / sizeof(*tables); i++) {
		n = 0;
		if (sp_store_kv_expire(s, tables[i], ctl_now(), &n, &err) !=
		    SP_OK) {
			ctl_warn("purge: expired records: %s", err.msg);
			return CTL_FAIL;
		}
		*records += n;
	}
	if (*orphans == 0)
		return CTL_OK;
	snprintf(detail, sizeof(detail), "orphan_chunks=%zu", *orphans);
	if (ctl_audit(s, "", "gc", detail, &err) != SP_OK) {
		ctl_warn("purge: audit: %s", err.msg);
		return CTL_FAIL;
	}
	return CTL_OK;
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
	struct sp_store *s = NULL;
	struct sp_error err;
	size_t i, orphans = 0, records = 0;
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
	for (i = 0; i < p.n; i++)
		purge_one(s, p.ids[i], p.now, dry_run, &t);
	if (dry_run) {
		rc = CTL_OK;
		goto out;
	}
	rc = purge_housekeeping(s, &orphans, &records);
	printf("purged %zu messages (%" PRIu64 " sealed bytes), %zu orphan "
	       "chunks, %zu expired sign-in records\n",
	    t.msgs, t.bytes, orphans, records);
	if (t.failed > 0)
		rc = CTL_FAIL;
out:
	free(p.ids);
	if (s != NULL)
		sp_store_close(s);
	return rc;
}
