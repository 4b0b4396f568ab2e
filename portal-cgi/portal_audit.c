/* SPDX-License-Identifier: MIT */
/*
 * portal_audit: one audit event, in the store's audit trail and in
 * syslog.  Events carry who and what, never content: no subject, no
 * body, no passcode, no session id.
 *
 * A worker hands its events to the portal's audit writer, which commits
 * the events of all workers that arrive together in one durable
 * transaction (sp_audit_relay.h).  When the writer does not answer in
 * time, or the worker has none, the worker adds the event itself; either
 * way the event is on disk before the answer goes out.
 */
#include "portal.h"

#include <stdio.h>
#include <string.h>

#include "sp_audit_relay.h"
#include "sp_log.h"

#define AUDIT_WAIT_MS 3000 /* for the writer, before adding it ourselves */

static int
record(struct portal *p, const struct sp_audit_event *ev, struct sp_error *err)
{
	int rc;

	if (p->audit_fd < 0)
		return sp_store_audit_add(p->store, ev, err);
	rc = sp_audit_relay_send(p->audit_fd, ev, AUDIT_WAIT_MS, err);
	if (rc != SP_ETIMEOUT && rc != SP_EIO)
		return rc;
	sp_log(LOG_WARNING, ev->id[0] ? ev->id : "-",
	    "action=audit-writer-missed reason=\"%s\"", err->msg);
	return sp_store_audit_add(p->store, ev, err);
}

int
portal_audit(struct req *r, const char *id, const char *event,
    const char *actor, const char *detail)
{
	struct sp_audit_event ev;
	char clean[SP_LOG_FIELD_MAX + 8];
	struct sp_error err;
	int rc;

	memset(&ev, 0, sizeof(ev));
	ev.when = r->now;
	snprintf(ev.id, sizeof(ev.id), "%s", id);
	snprintf(ev.event, sizeof(ev.event), "%s", event);
	snprintf(ev.actor, sizeof(ev.actor), "%s", actor);
	snprintf(ev.detail, sizeof(ev.detail), "%s", detail);
	rc = record(r->p, &ev, &err);
	sp_log_clean(clean, sizeof(clean), actor, strlen(actor));
	/* a view that could not be recorded is refused: the log must not
	 * say it happened */
	if (rc != SP_OK)
		sp_log(LOG_ERR, id,
		    "action=audit-failed event=%s actor=%s%s%s reason=\"%s\"",
		    event, clean, detail[0] ? " " : "", detail, err.msg);
	else
		sp_log(LOG_INFO, id, "action=%s actor=%s%s%s", event, clean,
		    detail[0] ? " " : "", detail);
	return rc;
}

void
portal_audit_refused(struct req *r)
{
	portal_notice(r, 503, "Please try again",
	    "The portal cannot record this access right now, and shows "
	    "nothing it cannot record. Please try again in a few minutes.");
}
