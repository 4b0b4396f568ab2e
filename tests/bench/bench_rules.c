/* SPDX-License-Identifier: MIT */
/*
 * bench_rules: how the rules scale.  Not a test: run it by hand and
 * compare with docs/rules-performance.md.
 *
 *   bench_rules
 *
 * Prints the time to load 10,000 rules; the time to decide for one
 * message against 10 and against 10,000 domain rules (the domain index
 * should make them about equal); and the time to decode and decide a
 * subject of 200 KB and of 400 KB made of thousands of encoded words
 * (linear time: the ratio should be about 2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sp_mime_words.h"
#include "sp_rules.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* n rules: domain rules, every tenth one a tag or header rule. */
static char *
make_rules(size_t n, bool mixed)
{
	size_t cap = n * 120 + 256, o = 0, i;
	char *t = malloc(cap);

	if (t == NULL)
		exit(1);
	for (i = 0; i < n; i++) {
		if (mixed && i % 10 == 5)
			o += (size_t)snprintf(t + o, cap - o,
			    "rule t%zu { match header X-Class c%zu; encrypt "
			    "do-not-forward }\n",
			    i, i);
		else
			o += (size_t)snprintf(t + o, cap - o,
			    "rule r%zu { match rcpt-domain d%zu.example "
			    ".s%zu.example; encrypt confidential }\n",
			    i, i, i);
	}
	snprintf(t + o, cap - o,
	    "rule tag { match subject-tag \"[secure]\"; encrypt "
	    "encrypt-only }\n");
	return t;
}

static struct sp_ruleset *
load(const char *text, double *ms)
{
	struct sp_ruleset *rs;
	struct sp_diag diag;
	double t0 = now_ms();

	sp_diag_init(&diag);
	if (sp_rules_parse("bench", text, strlen(text), &rs, &diag) != SP_OK) {
		sp_diag_print(&diag, stderr);
		exit(1);
	}
	*ms = now_ms() - t0;
	sp_diag_cleanup(&diag);
	return rs;
}

/* Microseconds per decision, over iters decisions. */
static double
decide_us(const struct sp_ruleset *rs, size_t n, size_t iters)
{
	static const char subj[] = " Quarterly numbers [secure]";
	struct sp_header hs[2] = {
		{ "Subject", 7, subj, sizeof(subj) - 1 },
		{ "From", 4, " a@corp.example", 15 },
	};
	char last[64];
	const char *rcpts[3] = { "a@nomatch.example", last, "c@else.example" };
	struct sp_rules_input in = { "s@corp.example", rcpts, 3, hs, 2 };
	struct sp_decision d;
	double t0;
	size_t i;

	snprintf(last, sizeof(last), "b@q.s%zu.example", n - 1);
	t0 = now_ms();
	for (i = 0; i < iters; i++) {
		if (sp_rules_decide(rs, &in, &d) != SP_OK ||
		    d.action != SP_ACTION_ENCRYPT) {
			fprintf(stderr, "bench_rules: unexpected decision\n");
			exit(1);
		}
		sp_decision_cleanup(&d);
	}
	return (now_ms() - t0) * 1e3 / (double)iters;
}

/* A subject of about size bytes: encoded words of three charsets with
 * a character split across two words now and then, the tag at the end. */
static char *
make_subject(size_t size)
{
	static const char *const words[] = {
		"=?UTF-8?Q?caf=C3=A9_cr=C3=A8me?= ",
		"=?ISO-8859-1?Q?na=EFve_r=E9sum=E9?= ",
		"=?UTF-8?B?5pel5pys6Kqe?= ",
		"=?UTF-8?Q?=E6=97?= =?UTF-8?Q?=A5_?= ",
		"=?KOI8-R?B?8NLJ18XU?= plain words ",
	};
	char *s = malloc(size + 64);
	size_t o = 0, i = 0, wl;

	if (s == NULL)
		exit(1);
	while (o + 40 < size) {
		wl = strlen(words[i % 5]);
		memcpy(s + o, words[i % 5], wl);
		o += wl;
		i++;
	}
	memcpy(s + o, "[secure]", 8);
	s[o + 8] = '\0';
	return s;
}

/* Milliseconds to decide a message whose subject is size bytes (best
 * of a few runs), and the number of encoded words in it. */
static double
subject_ms(const struct sp_ruleset *rs, size_t size, size_t *words)
{
	char *subj = make_subject(size);
	struct sp_header h = { "Subject", 7, subj, strlen(subj) };
	const char *rcpt = "x@nomatch.example";
	struct sp_rules_input in = { "s@corp.example", &rcpt, 1, &h, 1 };
	struct sp_decision d;
	double best = 1e30, t0, t;
	const char *p;
	int run;

	for (*words = 0, p = subj; (p = strstr(p, "?=")) != NULL; p += 2)
		(*words)++;
	for (run = 0; run < 41; run++) {
		t0 = now_ms();
		if (sp_rules_decide(rs, &in, &d) != SP_OK ||
		    d.action != SP_ACTION_ENCRYPT) {
			fprintf(stderr, "bench_rules: tag not found\n");
			exit(1);
		}
		t = now_ms() - t0;
		best = t < best ? t : best;
		sp_decision_cleanup(&d);
	}
	free(subj);
	return best;
}

int
main(void)
{
	char *text;
	struct sp_ruleset *rs10, *rs10k, *mixed;
	double ms, us10, us10k, s200, s400;
	size_t w200, w400;

	text = make_rules(10000, true);
	mixed = load(text, &ms);
	printf("load 10000 rules (9000 domain, 1000 header, %zu KB): %.1f ms\n",
	    strlen(text) / 1024, ms);
	free(text);
	text = make_rules(10, false);
	rs10 = load(text, &ms);
	free(text);
	text = make_rules(10000, false);
	rs10k = load(text, &ms);
	free(text);
	us10 = decide_us(rs10, 10, 200000);
	us10k = decide_us(rs10k, 10000, 200000);
	printf("decide, 3 recipients, match on the last domain rule:\n"
	       "  10 domain rules:     %.2f us\n"
	       "  10000 domain rules:  %.2f us (ratio %.2f)\n",
	    us10, us10k, us10k / us10);
	s200 = subject_ms(rs10k, 200 * 1024, &w200);
	s400 = subject_ms(rs10k, 400 * 1024, &w400);
	printf("decode and decide a long subject:\n"
	       "  200 KB (%zu encoded words): %.2f ms\n"
	       "  400 KB (%zu encoded words): %.2f ms (ratio %.2f)\n",
	    w200, s200, w400, s400, s400 / s200);
	sp_ruleset_unref(mixed);
	sp_ruleset_unref(rs10);
	sp_ruleset_unref(rs10k);
	return 0;
}
