/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rules_envelope: arbitrary bytes as an envelope address, the form
 * an SMTP client chooses and the milter passes on to the rules.
 *
 * Besides not crashing, it checks that the address decides the same
 * bare and wrapped in " <...> " (when it holds no brackets, parentheses
 * or backslashes that would change how the wrapping parses), as sender
 * and as recipient: no wrapping the MTA ignores may change the decision.
 */
#include <stdlib.h>
#include <string.h>

#include "sp_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rules[] =
    "rule p { match rcpt-domain partner.example .gov.example; encrypt "
    "confidential }\n"
    "rule a { match rcpt bob@people.example; encrypt do-not-forward }\n"
    "rule s { match sender-domain corp.example; encrypt encrypt-only }\n"
    "rule k { match rcpt-domain skip.example; skip }\n";

static enum sp_action
decide(const struct sp_ruleset *rs, const char *sender, const char *rcpt)
{
	const char *rcpts[1] = { rcpt };
	struct sp_rules_input in = { sender, rcpts, 1, NULL, 0 };
	struct sp_decision d;
	enum sp_action a;

	if (sp_rules_decide(rs, &in, &d) != SP_OK)
		abort();
	a = d.action;
	sp_decision_cleanup(&d);
	return a;
}

static bool
wrap_neutral(const char *s)
{
	return strpbrk(s, "<>()\\") == NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sp_ruleset *rs;
	struct sp_diag diag;
	char *bare, *wrapped;

	if (rs == NULL) {
		sp_diag_init(&diag);
		if (sp_rules_parse("f", rules, sizeof(rules) - 1, &rs, &diag) !=
		    SP_OK)
			abort();
		sp_diag_cleanup(&diag);
	}
	bare = malloc(size + 1);
	wrapped = malloc(size + 5);
	if (bare == NULL || wrapped == NULL)
		abort();
	memcpy(bare, data, size);
	bare[size] = '\0'; /* a NUL ends the address, as in the milter */
	memcpy(wrapped, " <", 2);
	memcpy(wrapped + 2, bare, strlen(bare));
	memcpy(wrapped + 2 + strlen(bare), "> ", 3);
	if (wrap_neutral(bare) &&
	    (decide(rs, "x@other.example", bare) !=
	            decide(rs, "x@other.example", wrapped) ||
	        decide(rs, bare, "y@other.example") !=
	            decide(rs, wrapped, "y@other.example")))
		abort();
	(void)decide(rs, bare, bare);
	free(bare);
	free(wrapped);
	return 0;
}
