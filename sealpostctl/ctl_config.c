/* SPDX-License-Identifier: MIT */
/*
 * ctl_config: "sealpostctl config [KEY...]".
 *
 * Without arguments: the effective config, every key, as a file that
 * loads to the same config (-v: where each value came from).  With keys:
 * their values, one a line, as a script would want them.
 */
#include "ctl.h"

#include <stdio.h>

int
ctl_config(struct ctl *ctl, int argc, char **argv)
{
	char value[SP_CONFIG_VALUE_MAX + 1];
	int i, rc = CTL_OK;

	if (argc == 1) {
		sp_config_print(ctl->cfg, stdout, SP_PROG_ALL, ctl->verbose);
		return CTL_OK;
	}
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			return ctl_usage(argv[0]);
		if (sp_config_get(ctl->cfg, argv[i], value, sizeof(value)) ==
		    NULL) {
			fprintf(stderr, "sealpostctl: config: no key \"%s\"\n",
			    argv[i]);
			rc = CTL_FAIL;
			continue;
		}
		printf("%s\n", value);
	}
	return rc;
}
