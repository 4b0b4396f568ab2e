/* SPDX-License-Identifier: MIT */
/*
 * portal_sender: what the files of the sender's pages (/sent) share.
 *
 * A sender session is an sp_auth session whose id is
 * SP_AUTH_SENDER_SCOPE and whose address is the sender's, in its own
 * cookie (PORTAL_SENT_COOKIE), so that a browser may hold a recipient
 * session and a sender session at once and neither opens the other's
 * pages.
 */
#ifndef PORTAL_SENDER_H
#define PORTAL_SENDER_H

#include "portal.h"

#define SENT_LIST_MAX 500 /* messages shown, newest first */

/* portal_sender.c */
/* The sender session of r, or false (no answer is set). */
bool portal_sent_session(struct req *r, struct sp_session *s);
void portal_sent_csrf(struct req *r, char token[SP_CSRF_LEN + 1]);
/* True when addr sent at least one message the store holds. */
bool portal_sent_has_msgs(struct req *r, const char *addr);

/* portal_sender_list.c: the list page of s's messages. */
void portal_sent_list(struct req *r, const struct sp_session *s);

/* portal_sender_act.c: POST /sent/ID/revoke and /sent/ID/expire. */
void portal_sent_revoke(struct req *r);
void portal_sent_expire(struct req *r);

#endif
