/* SPDX-License-Identifier: MIT */
/*
 * portal_check: what the portal needs before it may start, checked once
 * by -n and by the parent before it forks any worker.
 *
 * The secret keyring must load (keys_dir not writable by others, every
 * .sk mode 0600, or 0640 with keys_group), every template the portal
 * renders must be in templates_dir, and store_path must be an existing
 * store that opens read-only, or missing inside an existing folder (the
 * first writer creates it).  The first failure fills err and returns
 * non-zero; nothing is created or changed.
 */
#include "portal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>

#include "sp_template.h"

/* Every template a portal worker loads. */
static const char *const templates[] = { "portal_layout.html",
	"portal_landing.html", "portal_code.html", "portal_notice.html",
	"portal_read.html", "portal_print.html", "portal_sent.html",
	"portal_sent_start.html", "portal_sent_code.html",
	"portal_sent_msg.html", "portal_sent_rcpt.html", "passcode.txt",
	"sent_passcode.txt", "notify.txt", "notify.html" };

static int
check_keys(const struct sp_config *cfg, struct sp_error *err)
{
	const char *group = cfg->keys_group;
	struct sp_keyring *kr = NULL;
	int rc;

	if (group != NULL && group[0] == '\0')
		group = NULL;
	rc = sp_keyring_load_group(cfg->keys_dir, true, group, &kr, err);
	sp_keyring_free(kr);
	return rc;
}

static int
check_templates(const struct sp_config *cfg, struct sp_error *err)
{
	size_t i, len;
	char *text;
	int rc;

	for (i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
		rc = sp_template_load(
		    cfg->templates_dir, templates[i], &text, &len, err);
		if (rc != SP_OK)
			return rc;
		free(text);
	}
	return SP_OK;
}

/* An existing store must open; a folder without a store yet is fine (the
 * first writer creates it); a missing one needs its parent folder. */
static int
check_store(const struct sp_config *cfg, struct sp_error *err)
{
	struct sp_store *st = NULL;
	char parent[4096];
	struct stat sb;
	char *slash;
	int rc;

	snprintf(parent, sizeof(parent), "%s/data.mdb", cfg->store_path);
	if (stat(cfg->store_path, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    stat(parent, &sb) != 0 && errno == ENOENT)
		return SP_OK;
	if (stat(cfg->store_path, &sb) == 0) {
		rc = sp_store_open_config(cfg, true, &st, err);
		sp_store_close(st);
		return rc;
	}
	if (errno != ENOENT)
		return sp_error_set(err, SP_EIO, "store_path %s: %s",
		    cfg->store_path, strerror(errno));
	snprintf(parent, sizeof(parent), "%s", cfg->store_path);
	slash = strrchr(parent, '/');
	if (slash == NULL)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(parent, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return sp_error_set(err, SP_ENOTFOUND,
		    "store_path %s: folder %s does not exist", cfg->store_path,
		    parent);
	return SP_OK;
}

int
portal_check(const struct sp_config *cfg, struct sp_error *err)
{
	int rc;

	if ((rc = check_keys(cfg, err)) != SP_OK ||
	    (rc = check_templates(cfg, err)) != SP_OK ||
	    (rc = check_store(cfg, err)) != SP_OK)
		return rc;
	return SP_OK;
}
