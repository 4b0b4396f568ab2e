/* SPDX-License-Identifier: MIT */
/*
 * rules_holder: the current rule set of a running program.  A reload
 * builds a new set first and swaps it in under a short lock only when it
 * loaded; readers take a reference under the same lock, so a set is
 * freed only when the last message using it lets go.
 */
#include "sp_rules.h"

static void
holder_swap(struct sp_rules_holder *h, struct sp_ruleset *rs)
{
	struct sp_ruleset *old;

	pthread_mutex_lock(&h->mu);
	old = h->cur;
	h->cur = rs;
	pthread_mutex_unlock(&h->mu);
	sp_ruleset_unref(old);
}

void
sp_rules_holder_init(struct sp_rules_holder *h, struct sp_ruleset *rs)
{
	pthread_mutex_init(&h->mu, NULL);
	h->cur = rs;
}

void
sp_rules_holder_cleanup(struct sp_rules_holder *h)
{
	sp_ruleset_unref(h->cur);
	h->cur = NULL;
	pthread_mutex_destroy(&h->mu);
}

struct sp_ruleset *
sp_rules_holder_get(struct sp_rules_holder *h)
{
	struct sp_ruleset *rs;

	pthread_mutex_lock(&h->mu);
	rs = sp_ruleset_ref(h->cur);
	pthread_mutex_unlock(&h->mu);
	return rs;
}

int
sp_rules_holder_reload(
    struct sp_rules_holder *h, const char *path, struct sp_diag *diag)
{
	struct sp_ruleset *rs;
	int rc;

	rc = sp_rules_load(path, &rs, diag);
	if (rc == SP_OK)
		holder_swap(h, rs);
	return rc;
}

int
sp_rules_holder_reload_text(struct sp_rules_holder *h, const char *name,
    const char *text, size_t len, struct sp_diag *diag)
{
	struct sp_ruleset *rs;
	int rc;

	rc = sp_rules_parse(name, text, len, &rs, diag);
	if (rc == SP_OK)
		holder_swap(h, rs);
	return rc;
}
