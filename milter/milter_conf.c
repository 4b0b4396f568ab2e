/* SPDX-License-Identifier: MIT */
/*
 * milter_conf: the reference-counted generation of config, rules and
 * public keys (see milter.h), and its reload.
 *
 * A config or rules error refuses the generation.  A missing or unusable
 * key does not: the milter still passes mail that no rule matches and
 * tempfails mail that must be sealed, saying why, so an MTA never
 * bounces or leaks mail because of a key problem.
 */
#include "milter.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sp_log.h"

static pthread_mutex_t conf_lock = PTHREAD_MUTEX_INITIALIZER;
static struct milter_conf *current;

struct sp_store *milter_store;
char milter_store_error[512] = "store not opened";

static void
conf_free(struct milter_conf *mc)
{
	if (mc == NULL)
		return;
	if (mc->rules != NULL)
		sp_ruleset_unref(mc->rules);
	sp_keyring_free(mc->keys);
	sp_notify_templates_cleanup(&mc->notify);
	sp_config_free(mc->cfg);
	free(mc);
}

static void
load_keys(struct milter_conf *mc)
{
	struct sp_error err;

	sp_error_clear(&err);
	if (sp_keyring_load(mc->cfg->keys_dir, false, &mc->keys, &err) !=
	    SP_OK) {
		mc->keys = NULL;
		snprintf(mc->keys_error, sizeof(mc->keys_error), "%s", err.msg);
	} else if (sp_keyring_newest(mc->keys) == NULL) {
		sp_keyring_free(mc->keys);
		mc->keys = NULL;
		snprintf(mc->keys_error, sizeof(mc->keys_error),
		    "no public key in %s", mc->cfg->keys_dir);
	}
}

/* The notification templates are part of a generation: a broken one
 * refuses the generation (at start, and on reload keeps the old). */
static int
load_templates(struct milter_conf *mc, struct sp_diag *diag)
{
	struct sp_error err;
	int rc;

	sp_error_clear(&err);
	rc =
	    sp_notify_templates_load(mc->cfg->templates_dir, &mc->notify, &err);
	if (rc != SP_OK)
		sp_diag_add(diag, "%s", err.msg);
	return rc;
}

int
milter_conf_load(
    const char *path, struct milter_conf **out, struct sp_diag *diag)
{
	struct milter_conf *mc = calloc(1, sizeof(*mc));
	int rc;

	if (mc == NULL)
		return SP_ENOMEM;
	mc->refs = 1;
	rc = sp_config_load(path, &mc->cfg, diag);
	if (rc == SP_OK && mc->cfg->rules_file == NULL) {
		sp_diag_add(diag, "%s: rules_file is not set", path);
		rc = SP_ECONFIG;
	}
	if (rc == SP_OK)
		rc = sp_rules_load(mc->cfg->rules_file, &mc->rules, diag);
	if (rc == SP_OK)
		rc = load_templates(mc, diag);
	if (rc != SP_OK) {
		conf_free(mc);
		return rc;
	}
	load_keys(mc);
	*out = mc;
	return SP_OK;
}

struct milter_conf *
milter_conf_get(void)
{
	struct milter_conf *mc;

	pthread_mutex_lock(&conf_lock);
	mc = current;
	if (mc != NULL)
		mc->refs++;
	pthread_mutex_unlock(&conf_lock);
	return mc;
}

void
milter_conf_put(struct milter_conf *mc)
{
	int left;

	if (mc == NULL)
		return;
	pthread_mutex_lock(&conf_lock);
	left = --mc->refs;
	pthread_mutex_unlock(&conf_lock);
	if (left == 0)
		conf_free(mc);
}

void
milter_conf_install(struct milter_conf *mc)
{
	struct milter_conf *old;

	pthread_mutex_lock(&conf_lock);
	old = current;
	current = mc;
	pthread_mutex_unlock(&conf_lock);
	milter_conf_put(old);
}

static void
log_diag(const struct sp_diag *d)
{
	char buf[SP_LOG_CLEAN_SIZE];
	size_t i;

	for (i = 0; i < d->n; i++)
		sp_log(LOG_ERR, NULL, "action=reload-failed reason=%s",
		    sp_log_clean(
		        buf, sizeof(buf), d->msgs[i], strlen(d->msgs[i])));
	if (d->total > d->n)
		sp_log(LOG_ERR, NULL, "action=reload-failed more=%zu",
		    d->total - d->n);
}

void
milter_conf_reload(void)
{
	struct milter_conf *old = milter_conf_get(), *mc = NULL;
	char buf[SP_LOG_CLEAN_SIZE];
	struct sp_diag diag;

	sp_diag_init(&diag);
	if (milter_conf_load(old->cfg->path, &mc, &diag) != SP_OK) {
		log_diag(&diag);
		sp_log(LOG_ERR, NULL,
		    "action=reload-failed kept=old-config-and-rules");
		goto out;
	}
	if (strcmp(mc->cfg->store_path, old->cfg->store_path) != 0 ||
	    strcmp(mc->cfg->milter_socket, old->cfg->milter_socket) != 0)
		sp_log(LOG_WARNING, NULL,
		    "action=reload note=\"store_path and milter_socket "
		    "changes need a restart\"");
	if (mc->keys == NULL)
		sp_log(LOG_ERR, NULL, "action=reload keys=none reason=%s",
		    sp_log_clean(buf, sizeof(buf), mc->keys_error,
		        strlen(mc->keys_error)));
	sp_log(LOG_INFO, NULL, "action=reloaded rules=%zu templates=%zu",
	    sp_ruleset_nrules(mc->rules), sp_ruleset_ntemplates(mc->rules));
	milter_conf_install(mc);
out:
	sp_diag_cleanup(&diag);
	milter_conf_put(old);
}
