/* SPDX-License-Identifier: MIT */
/*
 * portal_audit: one audit event, in the store's audit trail and in
 * syslog.  Events carry who and what, never content: no subject, no
 * body, no passcode, no session id.
 */
#include "portal.h"

#include <stdio.h>
#include <string.h>

#include "sp_log.h"

void
portal_audit(struct req *r, const char *id, const char *event,
    const char *actor, const char *detail)
{
	struct sp_audit_event ev;
	char clean[SP_LOG_FIELD_MAX + 8];
	struct sp_error err;

	memset(&ev, 0, sizeof(ev));
	ev.when = r->now;
	snprintf(ev.id, sizeof(ev.id), "%s", id);
	snprintf(ev.event, sizeof(ev.event), "%s", event);
	snprintf(ev.actor, sizeof(ev.actor), "%s", actor);
	snprintf(ev.detail, sizeof(ev.detail), "%s", detail);
	if (sp_store_audit_add(r->p->store, &ev, &err) != SP_OK)
		sp_log(
		    LOG_ERR, id, "action=audit-failed reason=\"%s\"", err.msg);
	sp_log(LOG_INFO, id, "action=%s actor=%s%s%s", event,
	    sp_log_clean(clean, sizeof(clean), actor, strlen(actor)),
	    detail[0] ? " " : "", detail);
}
