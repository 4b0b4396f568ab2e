/* SPDX-License-Identifier: MIT */
/*
 * portal_gone: the page a recipient sees when a message can no longer be
 * read, and the check behind it.  Every recipient request runs the check
 * on metadata it has just read from the store, so an expiry, a
 * revocation for everyone or one for this recipient takes effect at the
 * next page load, also in a session that is already open.
 *
 * The page says which of the three it is: an expired message names the
 * date it expired (UTC), a withdrawn one when it was withdrawn.  Status
 * 410 in every case.
 */
#include "portal.h"

#include <stdio.h>
#include <time.h>

#include "sp_revoked.h"

bool
portal_gone_for(struct req *r, const struct sp_msg_meta *m, const char *rcpt)
{
	if (m->state != SP_MSG_ACTIVE || m->revoked != 0)
		return true;
	if (m->expires != 0 && m->expires <= r->now)
		return true;
	return rcpt != NULL && sp_revoked_has(m, rcpt);
}

/* "4 December 2026, 17:00 UTC" */
static void
human_date(int64_t t, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	char rest[48];
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(rest, sizeof(rest), "%B %Y, %H:%M UTC", &tm);
	snprintf(buf, cap, "%d %s", tm.tm_mday, rest);
}

void
portal_gone(struct req *r, const struct sp_msg_meta *m, const char *rcpt)
{
	char when[64], text[640];
	bool expired = m->revoked == 0 && m->expires != 0 &&
	    m->expires <= r->now && m->state != SP_MSG_REVOKED;

	if (expired) {
		human_date(m->expires, when, sizeof(when));
		snprintf(text, sizeof(text),
		    "This message expired on %s. It can no longer be read. "
		    "If you still need it, ask the sender to send it again.",
		    when);
		portal_notice(r, 410, "Message expired", text);
	} else if (m->revoked != 0 || m->state != SP_MSG_ACTIVE) {
		human_date(
		    m->revoked != 0 ? m->revoked : r->now, when, sizeof(when));
		snprintf(text, sizeof(text),
		    "The sender withdrew this message on %s. It can no "
		    "longer be read.",
		    when);
		portal_notice(r, 410, "Message withdrawn", text);
	} else {
		snprintf(text, sizeof(text),
		    "The sender withdrew this message for %.320s. It can no "
		    "longer be read.",
		    rcpt != NULL ? rcpt : "your address");
		portal_notice(r, 410, "Message withdrawn", text);
	}
}
