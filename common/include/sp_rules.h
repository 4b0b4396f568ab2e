/* SPDX-License-Identifier: MIT */
/*
 * sp_rules: the transport rules language v1 (sealpost-rules(5)).
 *
 * A rule set is loaded from rules_file into an immutable, reference
 * counted object.  A reload builds a new set and swaps the pointer; a
 * message in flight keeps the set it took a reference to.
 *
 * Deciding: the milter fills a struct sp_rules_input with the envelope and
 * the headers as received (raw bytes, folded or not) and calls
 * sp_rules_decide().  The first rule whose conditions hold decides:
 * encrypt with a template, or skip.  sp_rules_envelope_only() tells,
 * before headers are seen, whether the decision can already be made.
 *
 * Errors: sp_rules_parse/sp_rules_load put every problem into diag as
 * "file:line:column: expected X, found Y" and return SP_ECONFIG (SP_EIO
 * when the file cannot be read, SP_ENOMEM); no set is returned then, so a
 * reload that fails leaves the caller with the set it had.
 *
 * Threads: a set is never changed after loading; sp_ruleset_ref/unref
 * use an atomic count and may be called from any thread.  Deciding takes
 * time in proportion to the envelope, the headers looked at and the rules
 * that can match (domain conditions are found through a hash index), not
 * to the number of domain rules.
 */
#ifndef SP_RULES_H
#define SP_RULES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_error.h"

/* What a recipient may do in the portal. */
enum sp_right {
	SP_RIGHT_READ = 1u << 0,
	SP_RIGHT_REPLY = 1u << 1,
	SP_RIGHT_REPLY_ALL = 1u << 2,
	SP_RIGHT_FORWARD = 1u << 3,
	SP_RIGHT_DOWNLOAD = 1u << 4,
	SP_RIGHT_PRINT = 1u << 5,
};

struct sp_template {
	const char *name;
	uint32_t rights;   /* SP_RIGHT_* */
	int64_t expire;    /* seconds, 0: the config's default_expire */
	const char *brand; /* branding name, or NULL */
};

struct sp_header {
	const char *name; /* as received */
	size_t name_len;
	const char *value; /* raw, may hold 8-bit bytes, folds, NULs */
	size_t value_len;
};

struct sp_rules_input {
	const char *sender;       /* envelope sender, without <> */
	const char *const *rcpts; /* envelope recipients, without <> */
	size_t nrcpt;
	const struct sp_header *headers;
	size_t nheaders;
};

enum sp_action {
	SP_ACTION_NONE = 0, /* no rule matched: deliver as is */
	SP_ACTION_SKIP,     /* a skip rule matched: deliver as is */
	SP_ACTION_ENCRYPT,
};

/* rule and tmpl point into the rule set: keep a reference to the set
 * while using them. */
struct sp_decision {
	enum sp_action action;
	const char *rule;               /* deciding rule's name, or NULL */
	const struct sp_template *tmpl; /* for SP_ACTION_ENCRYPT */
	/* The subject recipients see: the decoded subject (UTF-8) with the
	 * rule's tag removed; NULL when the message has no Subject.
	 * Owned by the decision: free with sp_decision_cleanup().  To put
	 * it back into a Subject field, encode it with
	 * sp_mime_encode_header() (sp_mime_words.h). */
	char *subject;
	/* A tag was removed, or the subject comes from another Subject
	 * field than the first (several were present). */
	bool subject_changed;
};

struct sp_ruleset;

int sp_rules_load(const char *path, struct sp_ruleset **out,
    struct sp_diag *diag) SP_MUST_CHECK;
int sp_rules_parse(const char *name, const char *text, size_t len,
    struct sp_ruleset **out, struct sp_diag *diag) SP_MUST_CHECK;
struct sp_ruleset *sp_ruleset_ref(struct sp_ruleset *rs);
void sp_ruleset_unref(struct sp_ruleset *rs);
size_t sp_ruleset_nrules(const struct sp_ruleset *rs);
/* Templates the file defines (the four built-ins are not counted). */
size_t sp_ruleset_ntemplates(const struct sp_ruleset *rs);
/* Built-in or admin template by name, or NULL. */
const struct sp_template *sp_ruleset_template(
    const struct sp_ruleset *rs, const char *name);

/* True when no rule looks at headers, so the decision can be made from
 * the envelope alone; false otherwise.  True also when the set is empty. */
bool sp_rules_envelope_only(const struct sp_ruleset *rs);
/* Fills *out (clean it with sp_decision_cleanup, also on failure it is
 * left clean).  rs may be NULL (no rules: SP_ACTION_NONE).  Returns SP_OK
 * or SP_ENOMEM. */
int sp_rules_decide(const struct sp_ruleset *rs,
    const struct sp_rules_input *in, struct sp_decision *out) SP_MUST_CHECK;
void sp_decision_cleanup(struct sp_decision *d);

/* The current set of a running program, swapped on reload.  _get returns
 * a new reference (sp_ruleset_unref it when the message is done); a
 * message keeps the set it started with.  _reload loads path and swaps
 * only on success: on error the old set stays and diag says why. */
struct sp_rules_holder {
	pthread_mutex_t mu;
	struct sp_ruleset *cur;
};
/* Takes over the caller's reference to rs (may be NULL). */
void sp_rules_holder_init(struct sp_rules_holder *h, struct sp_ruleset *rs);
void sp_rules_holder_cleanup(struct sp_rules_holder *h);
struct sp_ruleset *sp_rules_holder_get(struct sp_rules_holder *h);
int sp_rules_holder_reload(struct sp_rules_holder *h, const char *path,
    struct sp_diag *diag) SP_MUST_CHECK;
/* The same from a buffer (name as in sp_rules_parse). */
int sp_rules_holder_reload_text(struct sp_rules_holder *h, const char *name,
    const char *text, size_t len, struct sp_diag *diag) SP_MUST_CHECK;

/* Rights as words ("read reply ..."), into buf. */
const char *sp_rights_format(uint32_t rights, char *buf, size_t cap);

#endif
