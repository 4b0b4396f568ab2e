/* SPDX-License-Identifier: MIT */
/* Tests for sp_rules: parsing, errors, deciding, tags, reload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#include "check.h"
#include "sp_mime_words.h"
#include "sp_rules.h"

static const char rules_main[] =
    "# evaluated top to bottom\n"
    "rule secure-tag {\n"
    "\tmatch subject-tag \"[secure]\" [encrypt]   # removed\n"
    "\tencrypt encrypt-only\n"
    "}\n"
    "rule bypass { match sender ceo@example.com; skip }\n"
    "rule partners {\n"
    "\tmatch rcpt-domain partner.example .gov.example\n"
    "\texcept sender-domain newsletter.example.com\n"
    "\tencrypt confidential\n"
    "}\n"
    "rule classified {\n"
    "\tmatch header X-Classification confidential \"top secret\"\n"
    "\tencrypt do-not-forward\n"
    "}\n"
    "rule idn-u { match rcpt-domain b\xc3\xbc"
    "cher.example\n encrypt board }\n"
    "rule idn-a { match rcpt-domain xn--mnchen-3ya.example\n"
    " encrypt confidential-view-only }\n"
    "rule both {\n"
    "\tmatch rcpt-domain both.example\n"
    "\tmatch subject-contains invoice\n"
    "\tencrypt confidential\n"
    "}\n"
    "rule both-fallback { match rcpt-domain both.example; skip }\n"
    "rule flagged { match header X-Flag *; encrypt encrypt-only }\n"
    "rule legal { match rcpt legal@Example.ORG; encrypt board }\n"
    "rule bounces { match sender <>; skip }\n"
    "template board {\n"
    "\trights read reply print\n"
    "\texpire 14d\n"
    "\tbrand \"Board of directors\"\n"
    "}\n";

struct decide_case {
	const char *name;
	const char *rules;
	const char *msg;
	const char *from;
	const char *to; /* recipients separated by spaces */
	enum sp_action action;
	const char *rule;
	const char *tmpl;
	const char *subject; /* NULL: the message has no Subject */
};

static const struct decide_case decide_cases[] = {
	{ "raw tag removed", rules_main, "Subject: [secure] Hello\n\nb",
	    "a@corp.example", "x@other.example", SP_ACTION_ENCRYPT,
	    "secure-tag", "encrypt-only", "Hello" },
	{ "tag case insensitive", rules_main, "Subject: [SeCuRe] Hello\n\nb",
	    "a@corp.example", "x@other.example", SP_ACTION_ENCRYPT,
	    "secure-tag", "encrypt-only", "Hello" },
	{ "second tag value", rules_main, "Subject: Plan [ENCRYPT]\n\nb",
	    "a@corp.example", "x@other.example", SP_ACTION_ENCRYPT,
	    "secure-tag", "encrypt-only", "Plan" },
	{ "q encoded tag", rules_main,
	    "Subject: =?UTF-8?Q?=5Bsecure=5D_Gr=C3=BC=C3=9Fe?=\n\nb",
	    "a@corp.example", "x@other.example", SP_ACTION_ENCRYPT,
	    "secure-tag", "encrypt-only",
	    "Gr\xc3\xbc\xc3\x9f"
	    "e" },
	{ "b encoded tag folded", rules_main,
	    "Subject: =?UTF-8?B?W3NlY3VyZV0=?=\r\n =?UTF-8?Q?_Hi?=\r\n\r\nb",
	    "a@corp.example", "x@other.example", SP_ACTION_ENCRYPT,
	    "secure-tag", "encrypt-only", "Hi" },
	{ "tag in the middle", rules_main, "Subject: Re:  [secure]  plan\n\nb",
	    "a@corp.example", "x@other.example", SP_ACTION_ENCRYPT,
	    "secure-tag", "encrypt-only", "Re: plan" },
	{ "tag twice", rules_main, "Subject: [secure] a [secure]\n\nb",
	    "a@corp.example", "x@other.example", SP_ACTION_ENCRYPT,
	    "secure-tag", "encrypt-only", "a" },
	{ "no match keeps subject", rules_main, "Subject: [public] x\n\nb",
	    "a@corp.example", "x@other.example", SP_ACTION_NONE, NULL, NULL,
	    "[public] x" },
	{ "earlier tag rule beats skip", rules_main, "Subject: [secure] x\n\nb",
	    "CEO@Example.com", "x@partner.example", SP_ACTION_ENCRYPT,
	    "secure-tag", "encrypt-only", "x" },
	{ "skip before later rules", rules_main, "Subject: x\n\nb",
	    "CEO@Example.com", "x@partner.example", SP_ACTION_SKIP, "bypass",
	    NULL, "x" },
	{ "rcpt domain exact", rules_main, "Subject: x\n\nb", "a@corp.example",
	    "x@PARTNER.example", SP_ACTION_ENCRYPT, "partners", "confidential",
	    "x" },
	{ "subdomain of partner not matched", rules_main, "Subject: x\n\nb",
	    "a@corp.example", "x@sub.partner.example", SP_ACTION_NONE, NULL,
	    NULL, "x" },
	{ "leading dot matches subdomain", rules_main, "Subject: x\n\nb",
	    "a@corp.example", "x@a.b.gov.example", SP_ACTION_ENCRYPT,
	    "partners", "confidential", "x" },
	{ "leading dot not the domain itself", rules_main, "Subject: x\n\nb",
	    "a@corp.example", "x@gov.example", SP_ACTION_NONE, NULL, NULL,
	    "x" },
	{ "except holds", rules_main, "Subject: x\n\nb",
	    "news@NEWSLETTER.example.com", "x@partner.example", SP_ACTION_NONE,
	    NULL, NULL, "x" },
	{ "any recipient matches", rules_main, "Subject: x\n\nb",
	    "a@corp.example", "x@one.example y@partner.example z@two.example",
	    SP_ACTION_ENCRYPT, "partners", "confidential", "x" },
	{ "header encoded value", rules_main,
	    "X-Classification: =?UTF-8?Q?TOP_Secret?=\nSubject: x\n\nb",
	    "a@corp.example", "x@o.example", SP_ACTION_ENCRYPT, "classified",
	    "do-not-forward", "x" },
	{ "header second instance", rules_main,
	    "x-classification: public\nX-CLASSIFICATION: Confidential\n\nb",
	    "a@corp.example", "x@o.example", SP_ACTION_ENCRYPT, "classified",
	    "do-not-forward", NULL },
	{ "header any value", rules_main, "X-Flag:\nSubject: s\n\nb",
	    "a@corp.example", "x@o.example", SP_ACTION_ENCRYPT, "flagged",
	    "encrypt-only", "s" },
	{ "idn u-label rule a-label rcpt", rules_main, "Subject: x\n\nb",
	    "a@corp.example", "x@xn--bcher-kva.example", SP_ACTION_ENCRYPT,
	    "idn-u", "board", "x" },
	{ "idn u-label rule u-label rcpt", rules_main, "Subject: x\n\nb",
	    "a@corp.example",
	    "x@B\xc3\x9c"
	    "CHER.example",
	    SP_ACTION_ENCRYPT, "idn-u", "board", "x" },
	{ "idn a-label rule u-label rcpt", rules_main, "Subject: x\n\nb",
	    "a@corp.example", "x@m\xc3\xbcnchen.example", SP_ACTION_ENCRYPT,
	    "idn-a", "confidential-view-only", "x" },
	{ "all match lines must hold", rules_main, "Subject: Invoice 7\n\nb",
	    "a@corp.example", "x@both.example", SP_ACTION_ENCRYPT, "both",
	    "confidential", "Invoice 7" },
	{ "one match line fails", rules_main, "Subject: Hello\n\nb",
	    "a@corp.example", "x@both.example", SP_ACTION_SKIP, "both-fallback",
	    NULL, "Hello" },
	{ "rcpt exact case insensitive", rules_main, "\nbody only",
	    "a@corp.example", "LEGAL@example.org", SP_ACTION_ENCRYPT, "legal",
	    "board", NULL },
	{ "null sender", rules_main, "Subject: x\n\nb", "", "x@o.example",
	    SP_ACTION_SKIP, "bounces", NULL, "x" },
	{ "first match wins",
	    "rule a { match any; encrypt confidential }\n"
	    "rule b { match any; skip }\n",
	    "Subject: x\n\nb", "a@b.example", "c@d.example", SP_ACTION_ENCRYPT,
	    "a", "confidential", "x" },
	{ "first match wins across index",
	    "rule a { match any; skip }\n"
	    "rule b { match rcpt-domain "
	    "d.example; encrypt "
	    "confidential }\n",
	    "Subject: x\n\nb", "a@b.example", "c@d.example", SP_ACTION_SKIP,
	    "a", NULL, "x" },
	{ "indexed rule before plain one",
	    "rule b { match rcpt-domain d.example; encrypt confidential }\n"
	    "rule a { match any; skip }\n",
	    "Subject: x\n\nb", "a@b.example", "c@d.example", SP_ACTION_ENCRYPT,
	    "b", "confidential", "x" },
	{ "sender domain",
	    "rule s { match sender-domain .corp.example\n"
	    "encrypt do-not-forward }\n",
	    "Subject: x\n\nb", "a@hr.corp.example", "c@d.example",
	    SP_ACTION_ENCRYPT, "s", "do-not-forward", "x" },
	{ "empty rule set", "# nothing\n", "Subject: x\n\nb", "a@b.example",
	    "c@d.example", SP_ACTION_NONE, NULL, NULL, "x" },
	{ "tag in second subject", rules_main,
	    "Subject: harmless\nSubject: [secure] second\n\nb",
	    "a@corp.example", "x@other.example", SP_ACTION_ENCRYPT,
	    "secure-tag", "encrypt-only", "second" },
	{ "tag in third subject shown from it", rules_main,
	    "Subject: one\nTo: x@other.example\nSubject: two\n"
	    "subject: =?UTF-8?Q?=5BENCRYPT=5D_drei?=\n\nb",
	    "a@corp.example", "x@other.example", SP_ACTION_ENCRYPT,
	    "secure-tag", "encrypt-only", "drei" },
	{ "contains in second subject", rules_main,
	    "Subject: hello\nSubject: Invoice 7\n\nb", "a@corp.example",
	    "x@both.example", SP_ACTION_ENCRYPT, "both", "confidential",
	    "Invoice 7" },
	{ "except subject in second subject",
	    "rule a { match any; except subject-contains public; encrypt "
	    "confidential }\n",
	    "Subject: secret\nSubject: public\n\nb", "a@corp.example",
	    "x@other.example", SP_ACTION_NONE, NULL, NULL, "secret" },
	{ "header condition in second field", rules_main,
	    "Subject: s\nX-Classification: none\n"
	    "X-Classification: Confidential\n\nb",
	    "a@corp.example", "x@other.example", SP_ACTION_ENCRYPT,
	    "classified", "do-not-forward", "s" },
	{ "tag rule before skip rule", rules_main,
	    "Subject: first\nSubject: [secure] second\n\nb", "ceo@example.com",
	    "x@other.example", SP_ACTION_ENCRYPT, "secure-tag", "encrypt-only",
	    "second" },
};

/* Envelope address forms (sealpost-rules(5), ENVELOPE ADDRESSES): each
 * must reach the rule the mailbox it is delivered to matches. */
static const char rules_env[] =
    "rule early-skip { match rcpt-domain skipfirst.example; skip }\n"
    "rule partners { match rcpt-domain partner.example; encrypt "
    "confidential }\n"
    "rule person { match rcpt carol@people.example; encrypt "
    "do-not-forward }\n"
    "rule boss { match sender ceo@corp.example; encrypt encrypt-only }\n"
    "rule idn { match rcpt-domain xn--mnchen-3ya.example; encrypt "
    "confidential-view-only }\n"
    "rule guarded { match rcpt-domain guarded.example; except "
    "rcpt-domain x.example; encrypt confidential }\n"
    "rule internal { match rcpt-domain corp.example; skip }\n"
    "rule bounce { match sender <>; skip }\n";

struct env_case {
	const char *name;
	const char *from;
	const char *to;
	enum sp_action action;
	const char *rule;
};

static const struct env_case env_cases[] = {
	{ "plain", "a@other.example", "bob@partner.example", SP_ACTION_ENCRYPT,
	    "partners" },
	{ "upper case", "a@other.example", "BOB@PARTNER.EXAMPLE",
	    SP_ACTION_ENCRYPT, "partners" },
	{ "trailing dot on domain", "a@other.example", "bob@partner.example.",
	    SP_ACTION_ENCRYPT, "partners" },
	{ "angle brackets", "a@other.example", "<bob@partner.example>",
	    SP_ACTION_ENCRYPT, "partners" },
	{ "brackets and trailing dot", "a@other.example",
	    " <bob@Partner.Example.> ", SP_ACTION_ENCRYPT, "partners" },
	{ "trailing white space", "a@other.example",
	    "bob@partner.example \t\r\n", SP_ACTION_ENCRYPT, "partners" },
	{ "white space around at", "a@other.example", "bob @ partner.example",
	    SP_ACTION_ENCRYPT, "partners" },
	{ "source route", "a@other.example",
	    "@relay.example:bob@partner.example", SP_ACTION_ENCRYPT,
	    "partners" },
	{ "source route in brackets", "a@other.example",
	    "<@relay.example,@r2.example:bob@partner.example>",
	    SP_ACTION_ENCRYPT, "partners" },
	{ "doubled brackets with source route", "a@other.example",
	    "<<@relay.example:bob@partner.example>>", SP_ACTION_ENCRYPT,
	    "partners" },
	{ "source route to other domain", "a@other.example",
	    "<@partner.example:bob@other.example>", SP_ACTION_NONE, NULL },
	{ "quoted local part", "a@other.example", "\"bob\"@partner.example",
	    SP_ACTION_ENCRYPT, "partners" },
	{ "quoted local part address rule", "a@other.example",
	    "<\"Carol\"@People.Example.>", SP_ACTION_ENCRYPT, "person" },
	{ "escaped local part", "a@other.example", "c\\arol@people.example",
	    SP_ACTION_ENCRYPT, "person" },
	{ "quoted at in local part", "a@other.example",
	    "\"x@corp.example\"@partner.example", SP_ACTION_ENCRYPT,
	    "partners" },
	{ "comment", "a@other.example", "bob(team)@partner.example (x)",
	    SP_ACTION_ENCRYPT, "partners" },
	{ "display name", "a@other.example", "Bob <bob@partner.example>",
	    SP_ACTION_ENCRYPT, "partners" },
	{ "u-label with trailing dot", "a@other.example",
	    "x@m\xc3\xbcnchen.example.", SP_ACTION_ENCRYPT, "idn" },
	{ "percent hack", "a@other.example", "bob%partner.example@corp.example",
	    SP_ACTION_ENCRYPT, "partners" },
	{ "percent hack rightmost", "a@other.example",
	    "bob%x.example%Partner.Example@corp.example", SP_ACTION_ENCRYPT,
	    "partners" },
	{ "percent hack skips no rule", "a@other.example",
	    "bob%corp.example@elsewhere.example", SP_ACTION_NONE, NULL },
	{ "percent hack to skipped domain still sealed", "a@other.example",
	    "bob%skipfirst.example@partner.example", SP_ACTION_ENCRYPT,
	    "partners" },
	{ "percent hack excepts nothing", "a@other.example",
	    "bob%x.example@guarded.example", SP_ACTION_ENCRYPT, "guarded" },
	{ "skip rule still holds for plain address", "a@other.example",
	    "bob@SkipFirst.example.", SP_ACTION_SKIP, "early-skip" },
	{ "bang path", "a@other.example", "partner.example!bob",
	    SP_ACTION_ENCRYPT, "partners" },
	{ "domain literal matches no domain", "a@other.example",
	    "bob@[192.0.2.1]", SP_ACTION_NONE, NULL },
	{ "bare local part", "a@other.example", "bob", SP_ACTION_NONE, NULL },
	{ "internal stays skipped", "a@other.example", "x@CORP.example.",
	    SP_ACTION_SKIP, "internal" },
	{ "sender forms", "<@r.example:CEO@Corp.Example.>", "x@other.example",
	    SP_ACTION_ENCRYPT, "boss" },
	{ "null sender in brackets", "<>", "x@other.example", SP_ACTION_SKIP,
	    "bounce" },
	{ "null sender empty", "", "x@other.example", SP_ACTION_SKIP,
	    "bounce" },
	{ "unbalanced quote sealed", "a@other.example", "\"bob@partner.example",
	    SP_ACTION_ENCRYPT, "partners" },
	{ "unclosed bracket sealed", "a@other.example", "<bob@partner.example",
	    SP_ACTION_ENCRYPT, "partners" },
	{ "route without colon sealed", "a@other.example",
	    "@relay.example bob@partner.example", SP_ACTION_ENCRYPT,
	    "partners" },
	{ "route to nothing sealed", "a@other.example", "<@relay.example:>",
	    SP_ACTION_ENCRYPT, "partners" },
	{ "empty domain sealed", "a@other.example", "bob@", SP_ACTION_ENCRYPT,
	    "partners" },
	{ "invalid domain sealed", "a@other.example", "bob@part_ner.example",
	    SP_ACTION_ENCRYPT, "partners" },
	{ "unparsable sender sealed by sender rule", "ceo@corp.example)",
	    "x@other.example", SP_ACTION_ENCRYPT, "boss" },
};

static void
env_table(void **state)
{
	struct sp_ruleset *rs = NULL;
	struct sp_diag diag;
	struct sp_rules_input in = { 0 };
	struct sp_decision d;
	size_t i;

	(void)state;
	sp_diag_init(&diag);
	CHECK_INT(
	    sp_rules_parse("t.rules", rules_env, strlen(rules_env), &rs, &diag),
	    SP_OK);
	for (i = 0; i < sizeof(env_cases) / sizeof(env_cases[0]); i++) {
		const struct env_case *c = &env_cases[i];

		in.sender = c->from;
		in.rcpts = &c->to;
		in.nrcpt = 1;
		CHECK_INT(sp_rules_decide(rs, &in, &d), SP_OK);
		if (d.action != c->action ||
		    (d.rule == NULL || c->rule == NULL
		            ? d.rule != c->rule
		            : strcmp(d.rule, c->rule) != 0))
			fail_msg("%s: got action %d rule %s, want %d rule %s",
			    c->name, d.action, d.rule ? d.rule : "-", c->action,
			    c->rule ? c->rule : "-");
		sp_decision_cleanup(&d);
	}
	sp_ruleset_unref(rs);
	sp_diag_cleanup(&diag);
}

/* Splits "a b c" into a NULL-terminated array (strings point into buf). */
static size_t
split_rcpts(char *buf, const char **out, size_t cap)
{
	size_t n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(buf, " ", &save); tok != NULL && n < cap;
	     tok = strtok_r(NULL, " ", &save))
		out[n++] = tok;
	return n;
}

static void
run_decide_case(const struct decide_case *c)
{
	struct sp_ruleset *rs;
	struct sp_diag diag;
	struct sp_rules_input in = { 0 };
	struct sp_decision d;
	struct sp_header *hs;
	size_t body;
	const char *rcpts[8];
	char to[256];

	sp_diag_init(&diag);
	if (sp_rules_parse("t.rules", c->rules, strlen(c->rules), &rs, &diag) !=
	    SP_OK)
		fail_msg("%s: rules did not load: %s", c->name,
		    diag.n ? diag.msgs[0] : "?");
	snprintf(to, sizeof(to), "%s", c->to);
	in.sender = c->from;
	in.rcpts = rcpts;
	in.nrcpt = split_rcpts(to, rcpts, 8);
	CHECK_INT(sp_mime_split_headers(
	              c->msg, strlen(c->msg), &hs, &in.nheaders, &body),
	    SP_OK);
	in.headers = hs;
	CHECK_INT(sp_rules_decide(rs, &in, &d), SP_OK);
	if (d.action != c->action)
		fail_msg(
		    "%s: got action %d, want %d", c->name, d.action, c->action);
	CHECK_STR(d.rule, c->rule);
	CHECK_STR(d.tmpl ? d.tmpl->name : NULL, c->tmpl);
	if ((d.subject == NULL) != (c->subject == NULL) ||
	    (d.subject && strcmp(d.subject, c->subject) != 0))
		fail_msg("%s: got subject \"%s\", want \"%s\"", c->name,
		    d.subject ? d.subject : "(none)",
		    c->subject ? c->subject : "(none)");
	sp_decision_cleanup(&d);
	free(hs);
	sp_ruleset_unref(rs);
	sp_diag_cleanup(&diag);
}

static void
decide_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(decide_cases) / sizeof(decide_cases[0]); i++)
		run_decide_case(&decide_cases[i]);
}

struct error_case {
	const char *name;
	const char *rules;
	const char *want[4]; /* every message, in order */
};

static const struct error_case error_cases[] = {
	{ "unknown template", "rule a {\n\tmatch any\n\tencrypt secret\n}\n",
	    { "t.rules:3:10: expected a known template, found unknown "
	      "template \"secret\"" } },
	{ "duplicate rule name",
	    "rule a { match any; skip }\nrule a { match any; skip }\n",
	    { "t.rules:2:6: expected a new rule name, found \"a\" (already "
	      "defined at line 1)" } },
	{ "duplicate template",
	    "template t { rights read }\ntemplate t { rights read }\n",
	    { "t.rules:2:10: expected a new template name, found \"t\" "
	      "(already defined at line 1)" } },
	{ "built-in redefined", "template confidential { rights read }\n",
	    { "t.rules:1:10: expected a template name that is not built in, "
	      "found \"confidential\"" } },
	{ "rule without action", "rule a {\n match any\n}\n",
	    { "t.rules:3:1: expected encrypt or skip in rule \"a\", found "
	      "\"}\"" } },
	{ "two actions",
	    "rule a {\n match any\n skip\n encrypt confidential\n}",
	    { "t.rules:4:2: expected one action in rule \"a\", found "
	      "\"encrypt\"" } },
	{ "unknown condition", "rule a {\n match subject-is x\n skip\n}\n",
	    { "t.rules:2:8: expected a condition (subject-tag, "
	      "subject-contains, header, sender, sender-domain, rcpt, "
	      "rcpt-domain or any), found \"subject-is\"" } },
	{ "bad domain",
	    "rule a {\n match rcpt-domain ok.example bad..example "
	    "-x.example\n skip\n}\n",
	    { "t.rules:2:31: expected a domain name, found \"bad..example\"",
	        "t.rules:2:44: expected a domain name, found \"-x.example\"" } },
	{ "bad address", "rule a { match rcpt nobody; skip }\n",
	    { "t.rules:1:21: expected an address such as user@example.com, "
	      "found \"nobody\"" } },
	{ "bad duration",
	    "template t {\n rights read\n expire 14x\n}\ntemplate u {\n"
	    " rights read; expire 0d\n}\n",
	    { "t.rules:3:9: expected a duration such as 14d or 36h, found "
	      "\"14x\"",
	        "t.rules:6:22: expected a duration such as 14d or 36h, found "
	        "\"0d\"" } },
	{ "unknown right", "template t {\n rights read fly\n}\n",
	    { "t.rules:2:14: expected a right (read, reply, reply-all, "
	      "forward, download or print), found \"fly\"" } },
	{ "template without rights", "template t {\n expire 3d\n}\n",
	    { "t.rules:3:1: expected rights in template \"t\" before its end, "
	      "found \"}\"" } },
	{ "unterminated string",
	    "rule a {\n match subject-tag \"[secure\n skip\n}\n",
	    { "t.rules:2:20: expected a closing \" for this string, found end "
	      "of line" } },
	{ "unterminated string keeps its line's closing brace",
	    "rule a { match subject-tag \"[secure] ; skip }\n"
	    "rule b { match any; skip; encrypt confidential }\n",
	    { "t.rules:1:28: expected a closing \" for this string, found end "
	      "of line",
	        "t.rules:2:27: expected one action in rule \"b\", found "
	        "\"encrypt\"" } },
	{ "errors after unterminated string name their rule",
	    "rule a {\n match subject-tag \"x }\nrule b {\n skip\n skip\n}\n",
	    { "t.rules:2:20: expected a closing \" for this string, found end "
	      "of line",
	        "t.rules:5:2: expected one action in rule \"b\", found "
	        "\"skip\"" } },
	{ "unterminated string in template",
	    "template t { brand \"x }\nrule a { match any; encrypt nope }\n",
	    { "t.rules:1:20: expected a closing \" for this string, found end "
	      "of line",
	        "t.rules:2:29: expected a known template, found unknown "
	        "template \"nope\"" } },
	{ "unknown escape", "rule a { match subject-tag \"a\\nb\"; skip }\n",
	    { "t.rules:1:30: expected \\\" or \\\\ after a backslash, found "
	      "another character" } },
	{ "escapes in strings", "rule \"a \\\"q\\\" \\\\\" { match any }\n",
	    { "t.rules:1:31: expected encrypt or skip in rule \"a \"q\" \\\", "
	      "found \"}\"" } },
	{ "bad header name", "rule a { match header X:Y z; skip }\n",
	    { "t.rules:1:23: expected a header name, found \"X:Y\"" } },
	{ "missing rule name", "rule { match any; skip }\n",
	    { "t.rules:1:6: expected a rule name, found \"{\"" } },
	{ "missing brace", "rule a\nmatch any\n",
	    { "t.rules:2:1: expected \"{\", found \"match\"" } },
	{ "extra word after action", "rule a { skip now }\n",
	    { "t.rules:1:15: expected end of line, found \"now\"" } },
	{ "missing template name", "rule a { match any; encrypt }\n",
	    { "t.rules:1:29: expected a template name, found \"}\"" } },
	{ "unknown template statement",
	    "template t { rights read; colour red }\n",
	    { "t.rules:1:27: expected rights, expire or brand, found "
	      "\"colour\"" } },
	{ "unterminated block", "rule a {\n match any\n skip\n",
	    { "t.rules:4:1: expected \"}\" to close rule \"a\" (opened at line "
	      "1), found end of file" } },
	{ "missing value", "rule a {\n match rcpt-domain\n skip\n}\n",
	    { "t.rules:2:19: expected a value after rcpt-domain, found end of "
	      "line" } },
	{ "value after any", "rule a { match any x; skip }\n",
	    { "t.rules:1:20: expected end of line after any, found \"x\"" } },
	{ "garbage at top level", "rules a { }\nrule b { match any; skip }\n",
	    { "t.rules:1:1: expected rule or template, found \"rules\"" } },
	{ "unknown statement",
	    "rule a {\n\tmatch any\n\tencrypt-with x\n\tskip\n}",
	    { "t.rules:3:2: expected match, except, encrypt or skip, found "
	      "\"encrypt-with\"" } },
	{ "columns count characters",
	    "rule \xc3\xa9t\xc3\xa9 { match rcpt-domain "
	    "x..y; skip }",
	    { "t.rules:1:30: expected a domain name, found \"x..y\"" } },
	{ "errors after errors",
	    "rule a { match nope; skip }\nrule b { encrypt missing }\n"
	    "rule c { match any }\n",
	    { "t.rules:1:16: expected a condition (subject-tag, "
	      "subject-contains, header, sender, sender-domain, rcpt, "
	      "rcpt-domain or any), found \"nope\"",
	        "t.rules:3:20: expected encrypt or skip in rule \"c\", found "
	        "\"}\"",
	        "t.rules:2:18: expected a known template, found unknown "
	        "template \"missing\"" } },
};

static void
errors_table(void **state)
{
	struct sp_ruleset *rs;
	struct sp_diag diag;
	size_t i, j, nwant;

	(void)state;
	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];

		sp_diag_init(&diag);
		if (sp_rules_parse("t.rules", c->rules, strlen(c->rules), &rs,
		        &diag) != SP_ECONFIG ||
		    rs != NULL)
			fail_msg(
			    "%s: got a rule set, want SP_ECONFIG", c->name);
		for (nwant = 0; nwant < 4 && c->want[nwant]; nwant++)
			;
		for (j = 0; j < nwant && j < diag.n; j++)
			if (strcmp(diag.msgs[j], c->want[j]) != 0)
				fail_msg("%s: got \"%s\", want \"%s\"", c->name,
				    diag.msgs[j], c->want[j]);
		if (diag.n != nwant)
			fail_msg(
			    "%s: got %zu messages (first \"%s\"), want %zu",
			    c->name, diag.n, diag.n ? diag.msgs[0] : "", nwant);
		sp_diag_cleanup(&diag);
	}
}

static void
nul_in_value_refused(void **state)
{
	static const char text[] = "rule a { match subject-tag a\0b; skip }\n";
	struct sp_ruleset *rs;
	struct sp_diag diag;

	(void)state;
	sp_diag_init(&diag);
	CHECK_INT(sp_rules_parse("t.rules", text, sizeof(text) - 1, &rs, &diag),
	    SP_ECONFIG);
	CHECK_INT(diag.n, 1);
	CHECK_STR(diag.msgs[0],
	    "t.rules:1:28: expected a non-empty value "
	    "without NUL bytes, found \"a?b\"");
	sp_diag_cleanup(&diag);
}

static struct sp_ruleset *
parse_ok(const char *text)
{
	struct sp_ruleset *rs = NULL;
	struct sp_diag diag;

	sp_diag_init(&diag);
	if (sp_rules_parse("t.rules", text, strlen(text), &rs, &diag) != SP_OK)
		fail_msg("got error \"%s\", want a rule set",
		    diag.n ? diag.msgs[0] : "?");
	sp_diag_cleanup(&diag);
	return rs;
}

static void
templates_built_in_and_admin(void **state)
{
	static const struct {
		const char *name;
		const char *rights;
	} builtins[] = {
		{ "encrypt-only",
		    "read reply reply-all forward download print" },
		{ "do-not-forward", "read reply reply-all" },
		{ "confidential", "read reply reply-all download print" },
		{ "confidential-view-only", "read reply" },
	};
	struct sp_ruleset *rs = parse_ok(rules_main);
	const struct sp_template *t;
	char buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		t = sp_ruleset_template(rs, builtins[i].name);
		assert_non_null(t);
		CHECK_STR(sp_rights_format(t->rights, buf, sizeof(buf)),
		    builtins[i].rights);
		CHECK_INT(t->expire, 0);
	}
	t = sp_ruleset_template(rs, "board");
	assert_non_null(t);
	CHECK_STR(
	    sp_rights_format(t->rights, buf, sizeof(buf)), "read reply print");
	CHECK_INT(t->expire, 14 * 86400);
	CHECK_STR(t->brand, "Board of directors");
	CHECK_INT(sp_ruleset_nrules(rs), 11);
	CHECK_INT(sp_ruleset_ntemplates(rs), 1);
	assert_null(sp_ruleset_template(rs, "nope"));
	sp_ruleset_unref(rs);
}

static void
expire_units_and_read_implied(void **state)
{
	struct sp_ruleset *rs =
	    parse_ok("template h { rights print; expire 36h }\n"
	             "template w { rights reply; expire 2w }\n");
	char buf[64];

	(void)state;
	CHECK_INT(sp_ruleset_template(rs, "h")->expire, 36 * 3600);
	CHECK_INT(sp_ruleset_template(rs, "w")->expire, 14 * 86400);
	CHECK_STR(sp_rights_format(
	              sp_ruleset_template(rs, "h")->rights, buf, sizeof(buf)),
	    "read print");
	sp_ruleset_unref(rs);
}

static void
envelope_only_when_no_header_condition(void **state)
{
	struct sp_ruleset *a = parse_ok(
	    "rule a { match rcpt-domain x.example; except sender y@z.example; "
	    "skip }\n");
	struct sp_ruleset *b =
	    parse_ok("rule a { match any; except header X-No-Seal *; skip }\n");

	(void)state;
	assert_true(sp_rules_envelope_only(a));
	assert_false(sp_rules_envelope_only(b));
	assert_true(sp_rules_envelope_only(NULL));
	sp_ruleset_unref(a);
	sp_ruleset_unref(b);
}

static enum sp_action
decide_for(struct sp_ruleset *rs, const char *rcpt)
{
	struct sp_rules_input in = { 0 };
	struct sp_decision d;
	enum sp_action a;

	in.sender = "s@corp.example";
	in.rcpts = &rcpt;
	in.nrcpt = 1;
	CHECK_INT(sp_rules_decide(rs, &in, &d), SP_OK);
	a = d.action;
	sp_decision_cleanup(&d);
	return a;
}

static void
reload_keeps_old_set_on_error(void **state)
{
	static const char good1[] =
	    "rule one { match rcpt-domain one.example; encrypt confidential }\n";
	static const char good2[] =
	    "rule two { match rcpt-domain two.example; encrypt confidential }\n";
	static const char bad[] =
	    "rule two { match rcpt-domain two..example }\n";
	struct sp_rules_holder h;
	struct sp_ruleset *in_flight, *now;
	struct sp_diag diag;

	(void)state;
	sp_rules_holder_init(&h, parse_ok(good1));
	in_flight = sp_rules_holder_get(&h);
	sp_diag_init(&diag);
	CHECK_INT(
	    sp_rules_holder_reload_text(&h, "t.rules", bad, strlen(bad), &diag),
	    SP_ECONFIG);
	CHECK_INT(diag.n, 2);
	now = sp_rules_holder_get(&h);
	assert_ptr_equal(now, in_flight);
	CHECK_INT(decide_for(now, "a@one.example"), SP_ACTION_ENCRYPT);
	sp_ruleset_unref(now);
	CHECK_INT(sp_rules_holder_reload_text(
	              &h, "t.rules", good2, strlen(good2), &diag),
	    SP_OK);
	now = sp_rules_holder_get(&h);
	CHECK_INT(decide_for(now, "a@one.example"), SP_ACTION_NONE);
	CHECK_INT(decide_for(now, "a@two.example"), SP_ACTION_ENCRYPT);
	/* The message that started before the reload still has its set. */
	CHECK_INT(decide_for(in_flight, "a@one.example"), SP_ACTION_ENCRYPT);
	sp_ruleset_unref(in_flight);
	sp_ruleset_unref(now);
	CHECK_INT(
	    sp_rules_holder_reload(&h, "/nonexistent/sealpost.rules", &diag),
	    SP_EIO);
	now = sp_rules_holder_get(&h);
	CHECK_INT(decide_for(now, "a@two.example"), SP_ACTION_ENCRYPT);
	sp_ruleset_unref(now);
	CHECK_CONTAINS(diag.msgs[diag.n - 1], "/nonexistent/sealpost.rules");
	sp_diag_cleanup(&diag);
	sp_rules_holder_cleanup(&h);
}

struct reader {
	struct sp_rules_holder *h;
	atomic_bool *stop;
	size_t bad;
	size_t runs;
};

/* A message in flight: take the current set, decide, let go. */
static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	struct sp_ruleset *rs;
	enum sp_action a;

	while (!atomic_load(r->stop) || r->runs < 100) {
		rs = sp_rules_holder_get(r->h);
		a = decide_for(rs, "a@one.example");
		r->bad += a != SP_ACTION_ENCRYPT && a != SP_ACTION_SKIP;
		sp_ruleset_unref(rs);
		r->runs++;
	}
	return NULL;
}

static void
reload_while_deciding_in_threads(void **state)
{
	static const char *const texts[] = {
		"rule a { match rcpt-domain one.example; encrypt confidential }\n",
		"rule b { match rcpt-domain one.example; skip }\n",
		"rule c { match rcpt-domain one..example; skip }\n", /* bad */
	};
	struct sp_rules_holder h;
	struct reader readers[3];
	pthread_t tid[3];
	atomic_bool stop = false;
	struct sp_diag diag;
	size_t i;
	int rc;

	(void)state;
	sp_rules_holder_init(&h, parse_ok(texts[0]));
	for (i = 0; i < 3; i++) {
		readers[i] = (struct reader){ &h, &stop, 0, 0 };
		assert_int_equal(
		    pthread_create(&tid[i], NULL, reader_main, &readers[i]), 0);
	}
	for (i = 0; i < 300; i++) {
		sp_diag_init(&diag);
		rc = sp_rules_holder_reload_text(
		    &h, "t.rules", texts[i % 3], strlen(texts[i % 3]), &diag);
		CHECK_INT(rc, i % 3 == 2 ? SP_ECONFIG : SP_OK);
		sp_diag_cleanup(&diag);
	}
	atomic_store(&stop, true);
	for (i = 0; i < 3; i++) {
		pthread_join(tid[i], NULL);
		CHECK_INT(readers[i].bad, 0);
	}
	sp_rules_holder_cleanup(&h);
}

static void
many_domain_rules_first_match(void **state)
{
	size_t i, cap = 2000 * 80, o = 0;
	char *text = malloc(cap);
	struct sp_ruleset *rs;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < 2000; i++)
		o += (size_t)snprintf(text + o, cap - o,
		    "rule r%zu { match rcpt-domain d%zu.example .all.example; "
		    "%s }\n",
		    i, i % 100, i % 2 ? "skip" : "encrypt confidential");
	rs = parse_ok(text);
	CHECK_INT(decide_for(rs, "x@d7.example"), SP_ACTION_SKIP);
	CHECK_INT(decide_for(rs, "x@d8.example"), SP_ACTION_ENCRYPT);
	CHECK_INT(decide_for(rs, "x@q.all.example"), SP_ACTION_ENCRYPT);
	CHECK_INT(decide_for(rs, "x@d100.example"), SP_ACTION_NONE);
	sp_ruleset_unref(rs);
	free(text);
}

static void
many_address_rules_first_match(void **state)
{
	size_t i, cap = 1000 * 80, o = 0;
	char *text = malloc(cap);
	struct sp_ruleset *rs;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < 1000; i++)
		o += (size_t)snprintf(text + o, cap - o,
		    "rule r%zu { match rcpt u%zu@x.example all@x.example; %s }\n",
		    i, i % 50, i % 2 ? "skip" : "encrypt confidential");
	rs = parse_ok(text);
	CHECK_INT(decide_for(rs, "u7@x.example"), SP_ACTION_SKIP);
	CHECK_INT(decide_for(rs, "U8@X.Example"), SP_ACTION_ENCRYPT);
	CHECK_INT(decide_for(rs, "all@x.example"), SP_ACTION_ENCRYPT);
	CHECK_INT(decide_for(rs, "u50@x.example"), SP_ACTION_NONE);
	CHECK_INT(decide_for(rs, "u7@y.x.example"), SP_ACTION_NONE);
	sp_ruleset_unref(rs);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decide_table),
		cmocka_unit_test(env_table),
		cmocka_unit_test(errors_table),
		cmocka_unit_test(nul_in_value_refused),
		cmocka_unit_test(templates_built_in_and_admin),
		cmocka_unit_test(expire_units_and_read_implied),
		cmocka_unit_test(envelope_only_when_no_header_condition),
		cmocka_unit_test(reload_keeps_old_set_on_error),
		cmocka_unit_test(reload_while_deciding_in_threads),
		cmocka_unit_test(many_domain_rules_first_match),
		cmocka_unit_test(many_address_rules_first_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
