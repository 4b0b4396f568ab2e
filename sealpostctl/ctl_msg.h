/* SPDX-License-Identifier: MIT */
/*
 * ctl_msg: the message lifecycle commands of sealpostctl: list, show,
 * revoke, expire, purge, stats.
 *
 * Each handler takes the loaded config and the command's own arguments
 * (argv[0] is the command name) and returns the process exit status:
 * 0 done, 1 failed (unknown id, store error), 2 usage error (bad option,
 * bad date, bad state).  Errors go to stderr as "sealpostctl: ...",
 * results to stdout.  No handler ever prints message content.
 *
 * Commands that change something (revoke, expire, purge) write an audit
 * event whose actor is "admin:USER" (the user running the command), with
 * " sudo:USER" appended when SUDO_USER is set.
 */
#ifndef CTL_MSG_H
#define CTL_MSG_H

#include "sp_config.h"

int ctl_msg_list(const struct sp_config *cfg, int argc, char **argv);
int ctl_msg_show(const struct sp_config *cfg, int argc, char **argv);
int ctl_msg_revoke(const struct sp_config *cfg, int argc, char **argv);
int ctl_msg_expire(const struct sp_config *cfg, int argc, char **argv);
int ctl_msg_purge(const struct sp_config *cfg, int argc, char **argv);
int ctl_msg_stats(const struct sp_config *cfg, int argc, char **argv);

/* Usage lines, for the dispatch table and the man page. */
#define CTL_MSG_LIST_USAGE                                                     \
	"list [--sender ADDR] [--rcpt ADDR] [--since WHEN] [--until WHEN] "    \
	"[--state active|revoked|expired|purged] [--json]"
#define CTL_MSG_SHOW_USAGE   "show [--json] ID"
#define CTL_MSG_REVOKE_USAGE "revoke ID"
#define CTL_MSG_EXPIRE_USAGE "expire ID WHEN|never"
#define CTL_MSG_PURGE_USAGE  "purge [--dry-run]"
#define CTL_MSG_STATS_USAGE  "stats [--json]"

#endif
