/* SPDX-License-Identifier: MIT */
/*
 * ctl_keys: "sealpostctl keygen" and "sealpostctl keys list|check".
 *
 * keygen makes a pair in keys_dir (the .sk readable by keys_group when it
 * is set, and owned by portal_user when run as root) and prints its id; the new
 * pair seals from the next start or reload of the milter.  keys list shows
 * every pair, newest first, without reading secrets; keys check loads every
 * secret key the way the portal does (modes, owner, match with the public key)
 * and says whether it would start.
 */
#include "ctl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sp_keys.h"
#include "sp_log.h"

int
ctl_keygen(struct ctl *ctl, int argc, char **argv)
{
	const struct sp_config *cfg = ctl->cfg;
	char id[SP_KEYID_MAX];
	struct sp_error err;
	const char *owner = NULL;

	if (argc != 1)
		return ctl_usage(argv[0]);
	/* root makes the secret key the portal's, which must read it */
	if (geteuid() == 0)
		owner = cfg->portal_user;
	if (sp_keys_generate_owned(cfg->keys_dir, owner, cfg->keys_group, id,
	        sizeof(id), &err) != SP_OK) {
		fprintf(stderr, "sealpostctl: keygen: %s\n", err.msg);
		return CTL_FAIL;
	}
	sp_log(LOG_NOTICE, NULL, "action=keygen key=%s", id);
	printf("%s\n", id);
	return CTL_OK;
}

static void
print_pair(const struct sp_keypair *kp, bool newest)
{
	char when[32];
	time_t t = (time_t)kp->created;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "?");
	printf("%-16s  %-20s  %-3s%s\n", kp->id, when,
	    kp->sk_present ? "yes" : "no", newest ? "     newest (seals)" : "");
}

static int
keys_list(struct ctl *ctl)
{
	struct sp_keyring *kr;
	struct sp_error err;
	size_t i;

	if (sp_keyring_load(ctl->cfg->keys_dir, false, &kr, &err) != SP_OK) {
		fprintf(stderr, "sealpostctl: keys list: %s\n", err.msg);
		return CTL_FAIL;
	}
	printf("%-16s  %-20s  %s\n", "ID", "CREATED", "SECRET");
	for (i = 0; i < kr->n; i++)
		print_pair(&kr->keys[i], i == 0);
	sp_keyring_free(kr);
	return CTL_OK;
}

static int
keys_check(struct ctl *ctl)
{
	struct sp_keyring *kr;
	struct sp_error err;
	size_t n;

	if (sp_keyring_load_group(ctl->cfg->keys_dir, true,
	        ctl->cfg->keys_group, &kr, &err) != SP_OK) {
		fprintf(stderr, "sealpostctl: keys check: %s\n", err.msg);
		return CTL_FAIL;
	}
	n = kr->n;
	printf("%s: %zu key pair%s OK, newest %s\n", ctl->cfg->keys_dir, n,
	    n == 1 ? "" : "s", sp_keyring_newest(kr)->id);
	sp_keyring_free(kr);
	return CTL_OK;
}

int
ctl_keys(struct ctl *ctl, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return keys_list(ctl);
	if (argc == 2 && strcmp(argv[1], "check") == 0)
		return keys_check(ctl);
	return ctl_usage(argv[0]);
}
