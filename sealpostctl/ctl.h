/* SPDX-License-Identifier: MIT */
/*
 * ctl: what the commands of sealpostctl share.
 *
 * main.c parses the global options, loads the config, and calls the
 * handler of the command named on the command line with argv[0] set to
 * that name.  A handler returns the exit status: CTL_OK, CTL_FAIL (the
 * command failed; it said why on stderr) or CTL_USAGE (bad arguments;
 * ctl_usage() prints the command's usage).  Results go to stdout,
 * diagnostics to stderr.
 *
 * To add a command: write its handler in a ctl_WHAT.c, declare it below,
 * and add one line to the table in main.c.
 */
#ifndef SP_CTL_H
#define SP_CTL_H

#include <stdbool.h>

#include "sp_config.h"

enum { CTL_OK = 0, CTL_FAIL = 1, CTL_USAGE = 2 };

struct ctl {
	const char *config_path;
	struct sp_config *cfg; /* loaded before any handler runs */
	bool verbose;          /* -v */
};

struct ctl_command {
	const char *name;
	int (*fn)(struct ctl *ctl, int argc, char **argv);
	const char *usage;   /* arguments after the name */
	const char *summary; /* one line for the help */
};

/* Prints "usage: sealpostctl [-c FILE] NAME USAGE" to stderr; returns
 * CTL_USAGE. */
int ctl_usage(const char *name);

/* Commands (one file per group). */
int ctl_config(struct ctl *ctl, int argc, char **argv); /* ctl_config.c */
int ctl_keygen(struct ctl *ctl, int argc, char **argv); /* ctl_keys.c */
int ctl_keys(struct ctl *ctl, int argc, char **argv);   /* ctl_keys.c */
int ctl_rules(struct ctl *ctl, int argc, char **argv);  /* ctl_rules.c */
int ctl_export(struct ctl *ctl, int argc, char **argv); /* ctl_export.c */

#endif
