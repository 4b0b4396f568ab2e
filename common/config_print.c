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

enum which { ALL_KEYS, SET_IN_FILE, DEFAULTS };

/* "key = value" lines for the keys used by progs, in table order; with
 * comments naming file and line when verbose. */
static void
print_keys(const struct sp_config *cfg, FILE *fp, unsigned progs,
    enum which which, bool verbose)
{
	const struct sp_config_key *keys;
	char value[SP_CONFIG_VALUE_MAX + 1];
	size_t i, n;

	keys = sp_config_keys(&n);
	for (i = 0; i < n; i++) {
		if ((keys[i].progs & progs) == 0 ||
		    (which == SET_IN_FILE && cfg->lines[i] == 0) ||
		    (which == DEFAULTS && cfg->lines[i] != 0))
			continue;
		if (verbose && cfg->lines[i] != 0)
			fprintf(fp, "# %s:%u\n", cfg->path, cfg->lines[i]);
		sp_config_value_format(&keys[i], cfg, value, sizeof(value));
		fprintf(
		    fp, "%s =%s%s\n", keys[i].name, value[0] ? " " : "", value);
	}
}

void
sp_config_print(
    const struct sp_config *cfg, FILE *fp, unsigned progs, bool verbose)
{
	if (!verbose) {
		print_keys(cfg, fp, progs, ALL_KEYS, false);
		return;
	}
	fprintf(fp, "# effective configuration from %s\n", cfg->path);
	print_keys(cfg, fp, progs, SET_IN_FILE, true);
	fprintf(fp, "# defaults\n");
	print_keys(cfg, fp, progs, DEFAULTS, false);
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
