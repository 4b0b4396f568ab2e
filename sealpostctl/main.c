/* SPDX-License-Identifier: MIT */
/*
 * sealpostctl: the admin command line.
 *
 *     sealpostctl [-c FILE] [-v] COMMAND [ARGS...]
 *     sealpostctl [-c FILE] [-v] -n
 *
 * -n checks the config and exits: every error on stderr and status 1, or
 * "PATH: config OK" and status 0 (-v also prints the effective config).
 * Otherwise the config is loaded and the command's handler runs; an
 * unknown command prints the usage and exits 2.  Commands live in a table
 * below, one line each, handlers in ctl_*.c (see ctl.h).
 */
#include "ctl.h"
#include "ctl_msg.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sp_log.h"

static const struct ctl_command commands[] = {
	{ "config", ctl_config, "[KEY...]",
	    "print the effective config, or the value of KEYs" },
	{ "keygen", ctl_keygen, "[--rotate]",
	    "make the first key pair, or with --rotate a newer one; prints "
	    "its id" },
	{ "keys", ctl_keys, "list | check | retire ID",
	    "list the key pairs and their messages, check that every secret "
	    "loads, or retire an unused pair" },
	{ "list", ctl_msg_list, CTL_MSG_LIST_USAGE,
	    "list messages (metadata only), a table or --json" },
	{ "show", ctl_msg_show, CTL_MSG_SHOW_USAGE,
	    "show one message's metadata and audit trail" },
	{ "revoke", ctl_msg_revoke, CTL_MSG_REVOKE_USAGE,
	    "revoke a message: the portal stops showing it" },
	{ "expire", ctl_msg_expire, CTL_MSG_EXPIRE_USAGE,
	    "set when a message expires (2026-12-31, +3d, now, never)" },
	{ "purge", ctl_msg_purge, CTL_MSG_PURGE_USAGE,
	    "drop the content of expired and revoked messages" },
	{ "stats", ctl_msg_stats, CTL_MSG_STATS_USAGE,
	    "counts by state, sealed bytes, templates, audit events" },
	{ "rules", ctl_rules,
	    "check [FILE] | test MESSAGE --from ADDR --to ADDR... "
	    "[--rules FILE]",
	    "check the rules file, or show what the rules decide for a "
	    "message" },
	{ "export", ctl_export, "ID [-o FILE]",
	    "write the original bytes of a sealed message" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp,
	    "usage: sealpostctl [-c FILE] [-v] COMMAND [ARGS...]\n"
	    "       sealpostctl [-c FILE] [-v] -n\n"
	    "  -c FILE  config file (default %s)\n"
	    "  -n       check the config and exit\n"
	    "  -v       more output\n"
	    "commands:\n",
	    SP_CONFIG_DEFAULT_PATH);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %s%s%s\n      %s\n", commands[i].name,
		    commands[i].usage[0] ? " " : "", commands[i].usage,
		    commands[i].summary);
}

int
ctl_usage(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			fprintf(stderr, "usage: sealpostctl [-c FILE] %s%s%s\n",
			    name, commands[i].usage[0] ? " " : "",
			    commands[i].usage);
	return CTL_USAGE;
}

static const struct ctl_command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* -n: check the config, say so, exit. */
static int
check_config(struct ctl *ctl)
{
	const char *path = ctl->config_path;

	if (sp_config_load_or_report(path, "sealpostctl", &ctl->cfg) != SP_OK)
		return CTL_FAIL;
	if (ctl->verbose)
		sp_config_print(ctl->cfg, stdout, SP_PROG_ALL, true);
	printf("%s: config OK\n", ctl->cfg->path);
	return CTL_OK;
}

static int
run(struct ctl *ctl, bool check_only, int argc, char **argv)
{
	const struct ctl_command *cmd;
	int level;

	if (check_only)
		return argc == 0 ? check_config(ctl)
		                 : (usage(stderr), CTL_USAGE);
	if (argc == 0) {
		usage(stderr);
		return CTL_USAGE;
	}
	cmd = find_command(argv[0]);
	if (cmd == NULL) {
		fprintf(
		    stderr, "sealpostctl: unknown command \"%s\"\n", argv[0]);
		usage(stderr);
		return CTL_USAGE;
	}
	if (sp_config_load_or_report(
	        ctl->config_path, "sealpostctl", &ctl->cfg) != SP_OK)
		return CTL_FAIL;
	level = sp_log_level_from_name(ctl->cfg->log_level);
	sp_log_set_level(level >= 0 ? level : LOG_INFO);
	return cmd->fn(ctl, argc, argv);
}

int
main(int argc, char **argv)
{
	struct ctl ctl = { .config_path = SP_CONFIG_DEFAULT_PATH };
	bool check_only = false;
	int c, rc;

	while ((c = getopt(argc, argv, "+c:nvh")) != -1) {
		switch (c) {
		case 'c':
			ctl.config_path = optarg;
			break;
		case 'n':
			check_only = true;
			break;
		case 'v':
			ctl.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		default:
			usage(stderr);
			return CTL_USAGE;
		}
	}
	/* what the admin changes is logged; the terminal gets the results */
	sp_log_open("sealpostctl", false);
	rc = run(&ctl, check_only, argc - optind, argv + optind);
	sp_config_free(ctl.cfg);
	sp_log_close();
	return rc;
}
