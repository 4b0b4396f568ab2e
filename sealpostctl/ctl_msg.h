/* SPDX-License-Identifier: MIT */
/*
 * ctl_msg: the message lifecycle commands of sealpostctl: list, show,
 * revoke, expire, purge, stats (handlers as ctl.h describes them).
 *
 * Exit status: CTL_OK, CTL_FAIL (unknown id, store missing or failing),
 * CTL_USAGE (bad option, bad date, bad state).  Errors go to stderr as
 * "sealpostctl: ...", results to stdout.  No handler ever prints message
 * content.
 *
 * Commands that change something (revoke, expire, purge) write an audit
 * event whose actor is "admin:USER" (the user running the command), with
 * " sudo:USER" appended when SUDO_USER is set, and a syslog line.
 */
#ifndef CTL_MSG_H
#define CTL_MSG_H

#include "ctl.h"

int ctl_msg_list(struct ctl *ctl, int argc, char **argv);
int ctl_msg_show(struct ctl *ctl, int argc, char **argv);
int ctl_msg_revoke(struct ctl *ctl, int argc, char **argv);
int ctl_msg_expire(struct ctl *ctl, int argc, char **argv);
int ctl_msg_purge(struct ctl *ctl, int argc, char **argv);
int ctl_msg_stats(struct ctl *ctl, int argc, char **argv);

/* Usage (the arguments after the name), for the table in main.c. */
#define CTL_MSG_LIST_USAGE                                                     \
	"[--sender ADDR] [--rcpt ADDR] [--since WHEN] [--until WHEN] "         \
	"[--state active|revoked|expired|purged] [--json]"
#define CTL_MSG_SHOW_USAGE   "[--json] ID"
#define CTL_MSG_REVOKE_USAGE "ID"
#define CTL_MSG_EXPIRE_USAGE "ID WHEN|never"
#define CTL_MSG_PURGE_USAGE  "[--dry-run]"
#define CTL_MSG_STATS_USAGE  "[--json]"

#endif
