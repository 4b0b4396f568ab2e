/* SPDX-License-Identifier: MIT */
/*
 * ctl_rules: "sealpostctl rules check [FILE]" and "sealpostctl rules test
 * MESSAGE --from ADDR --to ADDR... [--rules FILE]".
 *
 * check loads FILE (default: the config's rules_file) and prints "FILE: N
 * rules, M templates", or every error and exits 1.  test reads a message
 * file (CRLF or LF, with or without a header section), decides as the
 * milter would for the given envelope and prints the deciding rule, the
 * template with its rights and the subject recipients would see, or
 * "none" when no rule matches.
 */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sp_mime_words.h"
#include "sp_rules.h"

#define MESSAGE_MAX (256u * 1024 * 1024)

struct test_args {
	const char *message;
	const char *from;
	const char *rules;
	const char **to;
	size_t nto;
};

static const char *
rules_path(const struct ctl *ctl, const char *given)
{
	if (given != NULL)
		return given;
	return ctl->cfg != NULL ? ctl->cfg->rules_file : NULL;
}

/* Loads the rules, printing every error to stderr; NULL on failure. */
static struct sp_ruleset *
load_rules(const char *path)
{
	struct sp_ruleset *rs = NULL;
	struct sp_diag diag;

	sp_diag_init(&diag);
	if (sp_rules_load(path, &rs, &diag) != SP_OK) {
		sp_diag_print(&diag, stderr);
		if (diag.total > 1)
			fprintf(stderr, "%s: %zu errors\n", path, diag.total);
	}
	sp_diag_cleanup(&diag);
	return rs;
}

static int
rules_check(struct ctl *ctl, int argc, char **argv)
{
	const char *path;
	struct sp_ruleset *rs;

	if (argc > 3)
		return ctl_usage("rules");
	path = rules_path(ctl, argc == 3 ? argv[2] : NULL);
	if (path == NULL) {
		fprintf(stderr, "sealpostctl: no rules_file in the config\n");
		return CTL_FAIL;
	}
	rs = load_rules(path);
	if (rs == NULL)
		return CTL_FAIL;
	printf("%s: %zu rules, %zu templates\n", path, sp_ruleset_nrules(rs),
	    sp_ruleset_ntemplates(rs));
	sp_ruleset_unref(rs);
	return CTL_OK;
}

/* An address as given, without the angle brackets an admin may copy. */
static const char *
strip_brackets(char *a)
{
	size_t n = strlen(a);

	if (n >= 2 && a[0] == '<' && a[n - 1] == '>') {
		a[n - 1] = '\0';
		return a + 1;
	}
	return a;
}

static int
parse_test_args(int argc, char **argv, struct test_args *ta)
{
	int i;
	bool in_to = false;

	memset(ta, 0, sizeof(*ta));
	ta->to = calloc((size_t)argc, sizeof(*ta->to));
	if (ta->to == NULL)
		return CTL_FAIL;
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc) {
			ta->from = strip_brackets(argv[++i]);
			in_to = false;
		} else if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc) {
			ta->rules = argv[++i];
			in_to = false;
		} else if (strcmp(argv[i], "--to") == 0) {
			in_to = true;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			return CTL_USAGE;
		} else if (in_to) {
			ta->to[ta->nto++] = strip_brackets(argv[i]);
		} else if (ta->message == NULL) {
			ta->message = argv[i];
		} else {
			return CTL_USAGE;
		}
	}
	if (ta->message == NULL || ta->from == NULL || ta->nto == 0)
		return CTL_USAGE;
	return CTL_OK;
}

/* The whole message file into *buf (free it); false after saying why. */
static bool
read_message(const char *path, char **buf, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;
	bool ok = false;

	*buf = NULL;
	if (fp == NULL || fstat(fileno(fp), &st) != 0) {
		perror(path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > MESSAGE_MAX) {
		fprintf(stderr, "%s: not a regular file of at most %u bytes\n",
		    path, MESSAGE_MAX);
		goto out;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (*buf == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		goto out;
	}
	*len = fread(*buf, 1, (size_t)st.st_size, fp);
	ok = !ferror(fp);
	if (!ok)
		perror(path);
out:
	if (fp != NULL)
		fclose(fp);
	return ok;
}

/* Expiry and brand as the milter will use them: the template's, else
 * the config's (named as such when there is no config). */
static void
print_expire_brand(const struct sp_template *t, const struct sp_config *cfg)
{
	if (t->expire > 0)
		printf("expire: %lld seconds\n", (long long)t->expire);
	else if (cfg != NULL)
		printf("expire: %lld seconds (default_expire)\n",
		    (long long)cfg->default_expire);
	else
		printf("expire: default_expire\n");
	if (t->brand != NULL)
		printf("brand: %s\n", t->brand);
	else if (cfg != NULL && cfg->brand_name != NULL)
		printf("brand: %s (brand_name)\n", cfg->brand_name);
	else
		printf("brand: brand_name\n");
}

static void
print_decision(const struct sp_decision *d, const struct sp_config *cfg)
{
	char rights[128];

	if (d->action == SP_ACTION_NONE) {
		printf("none\n");
		return;
	}
	printf("rule: %s\n", d->rule);
	if (d->action == SP_ACTION_SKIP) {
		printf("action: skip\n");
		return;
	}
	printf("action: encrypt\ntemplate: %s\nrights: %s\n", d->tmpl->name,
	    sp_rights_format(d->tmpl->rights, rights, sizeof(rights)));
	print_expire_brand(d->tmpl, cfg);
	printf("subject: %s\n", d->subject ? d->subject : "(no Subject)");
}

static int
decide_message(struct sp_ruleset *rs, const struct test_args *ta,
    const struct sp_config *cfg)
{
	struct sp_rules_input in = { 0 };
	struct sp_decision d;
	struct sp_header *hs = NULL;
	char *msg = NULL;
	size_t len = 0, body;
	int rc = CTL_FAIL;

	if (!read_message(ta->message, &msg, &len))
		goto out;
	if (sp_mime_split_headers(msg, len, &hs, &in.nheaders, &body) !=
	    SP_OK) {
		fprintf(stderr, "%s: out of memory\n", ta->message);
		goto out;
	}
	in.sender = ta->from;
	in.rcpts = ta->to;
	in.nrcpt = ta->nto;
	in.headers = hs;
	if (sp_rules_decide(rs, &in, &d) != SP_OK) {
		fprintf(stderr, "%s: out of memory\n", ta->message);
		goto out;
	}
	print_decision(&d, cfg);
	sp_decision_cleanup(&d);
	rc = CTL_OK;
out:
	free(hs);
	free(msg);
	return rc;
}

static int
rules_test(struct ctl *ctl, int argc, char **argv)
{
	struct test_args ta;
	struct sp_ruleset *rs = NULL;
	const char *path;
	int rc;

	rc = parse_test_args(argc, argv, &ta);
	if (rc != CTL_OK)
		goto out;
	rc = CTL_FAIL;
	path = rules_path(ctl, ta.rules);
	if (path == NULL) {
		fprintf(stderr, "sealpostctl: no rules_file in the config\n");
		goto out;
	}
	rs = load_rules(path);
	if (rs != NULL)
		rc = decide_message(rs, &ta, ctl->cfg);
out:
	sp_ruleset_unref(rs);
	free(ta.to);
	return rc == CTL_USAGE ? ctl_usage("rules") : rc;
}

int
ctl_rules(struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return rules_check(ctl, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "test") == 0)
		return rules_test(ctl, argc, argv);
	return ctl_usage("rules");
}
