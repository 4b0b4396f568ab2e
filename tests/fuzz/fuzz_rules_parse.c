/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rules_parse: arbitrary bytes as a rules file.
 *
 * Besides not crashing, it checks the parser's promises: a file either
 * gives a rule set and no message, or no set and at least one message,
 * each starting with "fuzz.rules:LINE:COLUMN: expected ".  A set that
 * loads is then used to decide for a fixed message and envelope, and the
 * decision must name a rule exactly when it is not SP_ACTION_NONE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char subj[] = " =?UTF-8?Q?=5Bsecure=5D?= caf\xc3\xa9 report";
static const char cls[] = " Confidential";
static const struct sp_header headers[] = {
	{ "Subject", 7, subj, sizeof(subj) - 1 },
	{ "X-Classification", 16, cls, sizeof(cls) - 1 },
};
static const char *const rcpts[] = { "a@partner.example", "b@x.gov.example",
	"c@xn--bcher-kva.example" };

static void
check_messages(const struct sp_diag *diag)
{
	size_t i;
	unsigned line, col;
	int n;

	for (i = 0; i < diag->n; i++) {
		n = 0;
		if (sscanf(diag->msgs[i], "fuzz.rules:%u:%u: expected %n",
		        &line, &col, &n) != 2 ||
		    n == 0 || line == 0 || col == 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_ruleset *rs = NULL;
	struct sp_diag diag;
	struct sp_rules_input in = { "ceo@corp.example", rcpts, 3, headers, 2 };
	struct sp_decision d;
	int rc;

	sp_diag_init(&diag);
	rc = sp_rules_parse("fuzz.rules", (const char *)data, size, &rs, &diag);
	if ((rc == SP_OK) != (rs != NULL) || (rc == SP_OK) != (diag.n == 0))
		abort();
	if (rc != SP_ENOMEM)
		check_messages(&diag);
	if (rs != NULL) {
		if (sp_rules_decide(rs, &in, &d) != SP_OK)
			abort();
		if ((d.action == SP_ACTION_NONE) != (d.rule == NULL) ||
		    (d.action == SP_ACTION_ENCRYPT) != (d.tmpl != NULL))
			abort();
		sp_decision_cleanup(&d);
		sp_ruleset_unref(rs);
	}
	sp_diag_cleanup(&diag);
	return 0;
}
