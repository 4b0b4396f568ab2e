/* SPDX-License-Identifier: MIT */
/*
 * config_print: the effective configuration as text, and the load helper
 * every program's -n shares.
 *
 * sp_config_print() writes "key = value" for every key, in table order, so
 * that the output is itself a valid sealpost.conf that loads to the same
 * config.  It writes to the FILE the caller gives; common/ never picks
 * stdout on its own.
 */
#include "config_internal.h"

#include <string.h>

void
sp_config_print(
    const struct sp_config *cfg, FILE *fp, unsigned progs, bool verbose)
{
	const struct sp_config_key *keys;
	char value[SP_CONFIG_VALUE_MAX + 1];
	size_t i, n;

	keys = sp_config_keys(&n);
	if (verbose)
		fprintf(fp, "# effective configuration from %s\n", cfg->path);
	for (i = 0; i < n; i++) {
		if ((keys[i].progs & progs) == 0)
			continue;
		sp_config_value_format(&keys[i], cfg, value, sizeof(value));
		fprintf(
		    fp, "%s =%s%s", keys[i].name, value[0] ? " " : "", value);
		if (verbose && cfg->lines[i] != 0)
			fprintf(fp, "\t# line %u", cfg->lines[i]);
		else if (verbose)
			fprintf(fp, "\t# default");
		fputc('\n', fp);
	}
}

int
sp_config_load_or_report(
    const char *path, const char *prog, struct sp_config **out)
{
	struct sp_diag diag;
	int rc;

	if (path == NULL)
		path = SP_CONFIG_DEFAULT_PATH;
	sp_diag_init(&diag);
	rc = sp_config_load(path, out, &diag);
	if (rc != SP_OK) {
		sp_diag_print(&diag, stderr);
		fprintf(stderr, "%s: %s: %zu configuration error%s\n", prog,
		    path, diag.total, diag.total == 1 ? "" : "s");
	}
	sp_diag_cleanup(&diag);
	return rc;
}

const char *
sp_config_get(
    const struct sp_config *cfg, const char *name, char *buf, size_t cap)
{
	const struct sp_config_key *keys;
	size_t i, n;

	keys = sp_config_keys(&n);
	for (i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return sp_config_value_format(&keys[i], cfg, buf, cap);
	return NULL;
}
