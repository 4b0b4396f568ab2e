/* SPDX-License-Identifier: MIT */
/*
 * ctl_keys: "sealpostctl keygen [--rotate]" and "sealpostctl keys
 * list|check|retire ID".
 *
 * keygen makes the first pair in keys_dir (the .sk readable by keys_group
 * when it is set, and owned by portal_user when run as root) and prints
 * its id; when a pair exists it refuses unless --rotate is given, which
 * makes a pair that becomes the newest: the milter seals to it from its
 * next reload, and every older pair stays to open what was sealed to it.
 * Either way keygen also makes the portal's server secret when missing,
 * owned like the .sk files, since the portal may not write keys_dir.
 * keys list shows every pair, newest first, without reading secrets, and
 * how many stored messages are sealed to each (active, not purged /
 * total) when the store can be opened.  keys check loads every secret the
 * way the portal does and says whether it would start.  keys retire moves
 * a pair no active message needs into keys_dir/retired/.  Rotation and
 * retirement go to the audit trail with the admin who ran them.
 */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include <unistd.h>

#include "ctl_msg_util.h"
#include "sp_auth.h"
#include "sp_keys.h"
#include "sp_log.h"

/* Makes the portal's secret when missing; *made tells whether it did. */
static int
secret_ensure(const struct sp_config *cfg, const char *owner, bool *made)
{
	struct sp_error err;
	int rc;

	*made = false;
	sp_error_clear(&err);
	rc = sp_keys_secret_create(cfg->keys_dir, SP_AUTH_SECRET, owner,
	    cfg->keys_group, SP_AUTH_SECRET_BYTES, &err);
	if (rc == SP_EEXIST)
		return SP_OK;
	if (rc != SP_OK) {
		ctl_warn("keygen: portal secret: %s", err.msg);
		return rc;
	}
	*made = true;
	return SP_OK;
}

/* Says that the secret was made, after the key id if any. */
static void
secret_made(const struct sp_config *cfg)
{
	sp_log(LOG_NOTICE, NULL, "action=keygen secret=%s", SP_AUTH_SECRET);
	printf("made the portal secret %s/%s\n", cfg->keys_dir, SP_AUTH_SECRET);
}

/* The id of the newest pair in keys_dir into prev ("" when none).
 * Fails on a keys_dir that holds a broken pair. */
static int
newest_pair(const char *dir, char *prev, size_t cap)
{
	struct sp_keyring *kr;
	struct sp_error err;

	prev[0] = '\0';
	sp_error_clear(&err);
	if (sp_keyring_load(dir, false, &kr, &err) != SP_OK) {
		if (err.code == SP_ENOTFOUND)
			return SP_OK;
		ctl_warn("keygen: %s", err.msg);
		return err.code;
	}
	snprintf(prev, cap, "%s", sp_keyring_newest(kr)->id);
	sp_keyring_free(kr);
	return SP_OK;
}

/* The audit event of a key change; a store that cannot be opened or
 * written is said, not fatal (the key change is done). */
static void
key_audit(const struct sp_config *cfg, const char *event, const char *detail)
{
	struct sp_store *s = ctl_store_open(cfg, true);
	struct sp_error err;

	sp_error_clear(&err);
	if (s == NULL || ctl_audit(s, "", event, detail, &err) != SP_OK)
		ctl_warn("%s: done, but not recorded in the audit trail%s%s",
		    event, s != NULL ? ": " : "", s != NULL ? err.msg : "");
	if (s != NULL)
		sp_store_close(s);
}

static void
rotate_done(const struct sp_config *cfg, const char *id, const char *prev)
{
	char detail[96];

	snprintf(detail, sizeof(detail), "key=%s previous=%s", id, prev);
	key_audit(cfg, "key-rotate", detail);
	printf("%s is now the newest key pair; %s and older pairs stay to "
	       "open what was sealed to them.\n"
	       "Reload the milter (SIGHUP) so that it seals to %s, and "
	       "restart the portal so that it opens what is sealed to it.\n",
	    id, prev, id);
}

int
ctl_keygen(struct ctl *ctl, int argc, char **argv)
{
	const struct sp_config *cfg = ctl->cfg;
	char id[SP_KEYID_MAX], prev[SP_KEYID_MAX];
	struct sp_error err;
	const char *owner = NULL;
	bool rotate = argc == 2 && strcmp(argv[1], "--rotate") == 0, made;

	if (argc != 1 && !rotate)
		return ctl_usage(argv[0]);
	/* root makes the secrets the portal's, which must read them */
	if (geteuid() == 0)
		owner = cfg->portal_user;
	if (secret_ensure(cfg, owner, &made) != SP_OK ||
	    newest_pair(cfg->keys_dir, prev, sizeof(prev)) != SP_OK)
		return CTL_FAIL;
	if (prev[0] != '\0' && !rotate) {
		if (made)
			secret_made(cfg);
		ctl_warn("keygen: %s already holds key pair %s; to make a "
		         "new pair that seals from now on, run "
		         "sealpostctl keygen --rotate",
		    cfg->keys_dir, prev);
		return CTL_FAIL;
	}
	sp_error_clear(&err);
	if (sp_keys_generate_owned(cfg->keys_dir, owner, cfg->keys_group, id,
	        sizeof(id), &err) != SP_OK) {
		ctl_warn("keygen: %s", err.msg);
		return CTL_FAIL;
	}
	sp_log(LOG_NOTICE, NULL, "action=keygen key=%s", id);
	printf("%s\n", id);
	if (made)
		secret_made(cfg);
	if (prev[0] != '\0')
		rotate_done(cfg, id, prev);
	return CTL_OK;
}

/* Messages sealed to each pair of a keyring: active (not purged) and
 * total, by index in the ring. */
struct key_use {
	const struct sp_keyring *kr;
	size_t *active;
	size_t *total;
};

static int
count_use(void *ctx, const struct sp_msg_meta *m)
{
	struct key_use *u = ctx;
	size_t i;

	for (i = 0; i < u->kr->n; i++) {
		if (strcmp(u->kr->keys[i].id, m->key_id) != 0)
			continue;
		u->total[i]++;
		if (m->state != SP_MSG_PURGED)
			u->active[i]++;
		break;
	}
	return 0;
}

/* Fills u (arrays of kr->n) from the store s. */
static int
key_use_count(struct sp_store *s, const struct sp_keyring *kr,
    struct key_use *u, struct sp_error *err)
{
	u->kr = kr;
	u->active = calloc(kr->n, sizeof(size_t));
	u->total = calloc(kr->n, sizeof(size_t));
	if (u->active == NULL || u->total == NULL)
		return sp_error_set(err, SP_ENOMEM, "out of memory");
	return sp_store_msg_list(s, count_use, u, err);
}

static void
key_use_free(struct key_use *u)
{
	free(u->active);
	free(u->total);
}

static void
print_pair(const struct sp_keypair *kp, const struct key_use *u, size_t i)
{
	char when[32], use[48];
	time_t t = (time_t)kp->created;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "?");
	if (u->total != NULL)
		snprintf(
		    use, sizeof(use), "%zu/%zu", u->active[i], u->total[i]);
	else
		snprintf(use, sizeof(use), "-");
	if (i == 0)
		printf("%-16s  %-20s  %-6s  %-12s  newest (seals)\n", kp->id,
		    when, kp->sk_present ? "yes" : "no", use);
	else
		printf("%-16s  %-20s  %-6s  %s\n", kp->id, when,
		    kp->sk_present ? "yes" : "no", use);
}

/* The message counts of keys list, when the store can be read. */
static void
list_counts(
    const struct sp_config *cfg, const struct sp_keyring *kr, struct key_use *u)
{
	struct sp_store *s;
	struct sp_error err;

	memset(u, 0, sizeof(*u));
	if (cfg->store_path == NULL || cfg->store_path[0] == '\0')
		return;
	s = ctl_store_open(cfg, false);
	if (s == NULL) {
		ctl_warn("keys list: message counts left out");
		return;
	}
	sp_error_clear(&err);
	if (key_use_count(s, kr, u, &err) != SP_OK) {
		ctl_warn("keys list: message counts left out: %s", err.msg);
		key_use_free(u);
		memset(u, 0, sizeof(*u));
	}
	sp_store_close(s);
}

static int
keys_list(struct ctl *ctl)
{
	struct sp_keyring *kr;
	struct sp_error err;
	struct key_use u;
	size_t i;

	if (sp_keyring_load(ctl->cfg->keys_dir, false, &kr, &err) != SP_OK) {
		ctl_warn("keys list: %s", err.msg);
		return CTL_FAIL;
	}
	list_counts(ctl->cfg, kr, &u);
	printf("%-16s  %-20s  %-6s  %s\n", "ID", "CREATED", "SECRET",
	    "ACTIVE/TOTAL");
	for (i = 0; i < kr->n; i++)
		print_pair(&kr->keys[i], &u, i);
	key_use_free(&u);
	sp_keyring_free(kr);
	return CTL_OK;
}

/* The portal's secret, read as the portal reads it. */
static int
secret_check(const struct sp_config *cfg)
{
	unsigned char buf[SP_AUTH_SECRET_BYTES];
	struct sp_error err;
	int rc;

	sp_error_clear(&err);
	rc = sp_keys_secret_read(cfg->keys_dir, SP_AUTH_SECRET, cfg->keys_group,
	    buf, sizeof(buf), &err);
	sodium_memzero(buf, sizeof(buf));
	if (rc == SP_ENOTFOUND)
		ctl_warn("keys check: %s/%s is missing (sealpostctl keygen "
		         "makes it)",
		    cfg->keys_dir, SP_AUTH_SECRET);
	else if (rc != SP_OK)
		ctl_warn("keys check: %s", err.msg);
	return rc;
}

static int
keys_check(struct ctl *ctl)
{
	struct sp_keyring *kr;
	struct sp_error err;
	size_t n;

	if (sp_keyring_load_group(ctl->cfg->keys_dir, true,
	        ctl->cfg->keys_group, &kr, &err) != SP_OK) {
		ctl_warn("keys check: %s", err.msg);
		return CTL_FAIL;
	}
	n = kr->n;
	printf("%s: %zu key pair%s OK, newest %s\n", ctl->cfg->keys_dir, n,
	    n == 1 ? "" : "s", sp_keyring_newest(kr)->id);
	sp_keyring_free(kr);
	if (secret_check(ctl->cfg) != SP_OK)
		return CTL_FAIL;
	printf("%s/%s: OK\n", ctl->cfg->keys_dir, SP_AUTH_SECRET);
	return CTL_OK;
}

/* Active messages sealed to id, or -1 (said) when the store cannot
 * tell. */
static long
active_for(struct sp_store *s, const char *dir, const char *id)
{
	struct sp_keyring *kr;
	struct sp_error err;
	struct key_use u;
	const struct sp_keypair *kp;
	long n = -1;

	memset(&u, 0, sizeof(u));
	sp_error_clear(&err);
	if (sp_keyring_load(dir, false, &kr, &err) != SP_OK) {
		ctl_warn("keys retire: %s", err.msg);
		return -1;
	}
	kp = sp_keyring_find(kr, id);
	if (kp == NULL)
		ctl_warn("keys retire: no key %s in %s", id, dir);
	else if (key_use_count(s, kr, &u, &err) != SP_OK)
		ctl_warn("keys retire: %s", err.msg);
	else
		n = (long)u.active[kp - kr->keys];
	key_use_free(&u);
	sp_keyring_free(kr);
	return n;
}

static int
keys_retire(struct ctl *ctl, const char *id)
{
	const struct sp_config *cfg = ctl->cfg;
	struct sp_store *s;
	struct sp_error err;
	char detail[64];
	long n;
	int rc = CTL_FAIL;

	if (!sp_keys_id_valid(id)) {
		ctl_warn("keys retire: not a key id (16 hex characters)");
		return CTL_USAGE;
	}
	/* without the store no one can tell that the key is unused */
	if ((s = ctl_store_open(cfg, true)) == NULL)
		return CTL_FAIL;
	n = active_for(s, cfg->keys_dir, id);
	sp_error_clear(&err);
	if (n > 0)
		ctl_warn("keys retire: %s still opens %ld active message%s "
		         "(not purged); retire it once %s purged",
		    id, n, n == 1 ? "" : "s", n == 1 ? "it is" : "they are");
	else if (n == 0 && sp_keys_retire(cfg->keys_dir, id, &err) != SP_OK)
		ctl_warn("keys retire: %s", err.msg);
	else if (n == 0) {
		snprintf(detail, sizeof(detail), "key=%s", id);
		if (ctl_audit(s, "", "key-retire", detail, &err) != SP_OK)
			ctl_warn("keys retire: done, but the audit event "
			         "failed: %s",
			    err.msg);
		printf("%s: moved to %s/retired/\n", id, cfg->keys_dir);
		rc = CTL_OK;
	}
	sp_store_close(s);
	return rc;
}

int
ctl_keys(struct ctl *ctl, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return keys_list(ctl);
	if (argc == 2 && strcmp(argv[1], "check") == 0)
		return keys_check(ctl);
	if (argc == 3 && strcmp(argv[1], "retire") == 0)
		return keys_retire(ctl, argv[2]);
	return ctl_usage(argv[0]);
}
