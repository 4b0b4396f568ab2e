/* SPDX-License-Identifier: MIT */
/*
 * Every message of the shared corpus, with a "[secure]" tag put into its
 * subject raw, Q-encoded and B-encoded (a Subject is added where there is
 * none), must be sealed, and the subject recipients see must be the
 * decoded original subject.  The corpus folder is $SEALPOST_CORPUS, else
 * $SEALPOST_SOURCE_DIR/../shared/corpus; without it the test is skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "check.h"
#include "sp_mime_words.h"
#include "sp_rules.h"

static const char tag_rules[] =
    "rule secure-tag {\n\tmatch subject-tag \"[secure]\"\n"
    "\tencrypt encrypt-only\n}\n";

static const char *const tag_forms[] = {
	" [secure] ",
	" =?UTF-8?Q?=5Bsecure=5D?= ",
	" =?UTF-8?B?W3NlY3VyZV0=?= ",
};

struct msg {
	char *data;
	size_t len;
};

static char *
corpus_dir(void)
{
	const char *env = getenv("SEALPOST_CORPUS");
	const char *src = getenv("SEALPOST_SOURCE_DIR");
	char buf[4096];

	if (env != NULL && env[0] != '\0')
		return strdup(env);
	if (src == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%s/../shared/corpus", src);
	return strdup(buf);
}

static bool
read_file(const char *path, struct msg *m)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;
	bool ok = false;

	if (fp == NULL)
		return false;
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode)) {
		m->data = malloc((size_t)st.st_size + 1);
		m->len =
		    m->data ? fread(m->data, 1, (size_t)st.st_size, fp) : 0;
		ok = m->data != NULL && m->len == (size_t)st.st_size;
	}
	fclose(fp);
	return ok;
}

static long
find_subject(const struct sp_header *hs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (hs[i].name_len == 7 &&
		    strncasecmp(hs[i].name, "Subject", 7) == 0)
			return (long)i;
	return -1;
}

/* The message with the tag form put in front of the subject value, or a
 * Subject field holding only the tag put first. */
static struct msg
tagged(const struct msg *m, const struct sp_header *subj, const char *form)
{
	struct msg t;
	size_t at, flen = strlen(form), hdr_start = 0, extra;
	const char *nl;

	if (subj != NULL) {
		at = (size_t)(subj->value - m->data);
		t.data = malloc(m->len + flen + 1);
		assert_non_null(t.data);
		memcpy(t.data, m->data, at);
		memcpy(t.data + at, form, flen);
		memcpy(t.data + at + flen, m->data + at, m->len - at);
		t.len = m->len + flen;
		return t;
	}
	if (m->len >= 5 && memcmp(m->data, "From ", 5) == 0 &&
	    (nl = memchr(m->data, '\n', m->len)) != NULL)
		hdr_start = (size_t)(nl - m->data) + 1;
	extra = 8 + flen + 2;
	t.data = malloc(m->len + extra + 1);
	assert_non_null(t.data);
	memcpy(t.data, m->data, hdr_start);
	snprintf(t.data + hdr_start, extra + 1, "Subject:%s\r\n", form);
	memcpy(t.data + hdr_start + extra, m->data + hdr_start,
	    m->len - hdr_start);
	t.len = m->len + extra;
	return t;
}

static char *
decoded_subject(const struct msg *m)
{
	struct sp_header *hs;
	size_t n, body;
	long si;
	char *s = NULL;

	CHECK_INT(
	    sp_mime_split_headers(m->data, m->len, &hs, &n, &body), SP_OK);
	si = find_subject(hs, n);
	if (si < 0)
		s = strdup("");
	else
		CHECK_INT(sp_mime_decode_header(
		              hs[si].value, hs[si].value_len, &s, NULL),
		    SP_OK);
	free(hs);
	return s;
}

static void
check_message(struct sp_ruleset *rs, const char *name, const struct msg *m)
{
	static const char *rcpt = "b@partner.example";
	struct sp_rules_input in = { "a@corp.example", &rcpt, 1, NULL, 0 };
	struct sp_header *hs, *th;
	struct sp_decision d;
	struct msg t;
	size_t n, body, i;
	long si;
	char *want = decoded_subject(m);

	CHECK_INT(
	    sp_mime_split_headers(m->data, m->len, &hs, &n, &body), SP_OK);
	si = find_subject(hs, n);
	for (i = 0; i < sizeof(tag_forms) / sizeof(tag_forms[0]); i++) {
		t = tagged(m, si >= 0 ? &hs[si] : NULL, tag_forms[i]);
		CHECK_INT(sp_mime_split_headers(
		              t.data, t.len, &th, &in.nheaders, &body),
		    SP_OK);
		in.headers = th;
		CHECK_INT(sp_rules_decide(rs, &in, &d), SP_OK);
		if (d.action != SP_ACTION_ENCRYPT)
			fail_msg("%s, tag%s: got action %d, want encrypt", name,
			    tag_forms[i], d.action);
		if (d.subject == NULL || strcmp(d.subject, want) != 0)
			fail_msg("%s, tag%s: got subject \"%s\", want \"%s\"",
			    name, tag_forms[i],
			    d.subject ? d.subject : "(none)", want);
		sp_decision_cleanup(&d);
		free(th);
		free(t.data);
	}
	free(hs);
	free(want);
}

static void
corpus_tagged_subjects_are_sealed_and_untagged(void **state)
{
	struct sp_ruleset *rs;
	struct sp_diag diag;
	char *dir = corpus_dir(), path[4096];
	struct dirent *de;
	struct msg m;
	size_t count = 0, len;
	DIR *d;

	(void)state;
	d = dir != NULL ? opendir(dir) : NULL;
	if (d == NULL) {
		printf("test_rules_corpus: SKIPPED: no corpus folder (%s); set "
		       "SEALPOST_CORPUS\n",
		    dir ? dir : "SEALPOST_SOURCE_DIR unset");
		free(dir);
		skip();
	}
	sp_diag_init(&diag);
	CHECK_INT(sp_rules_parse(
	              "tag.rules", tag_rules, strlen(tag_rules), &rs, &diag),
	    SP_OK);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' ||
		    (len > 3 && strcmp(de->d_name + len - 3, ".md") == 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!read_file(path, &m))
			continue;
		check_message(rs, de->d_name, &m);
		free(m.data);
		count++;
	}
	closedir(d);
	if (count == 0)
		fail_msg("got 0 messages in %s, want some", dir);
	printf("test_rules_corpus: %zu messages checked in 3 forms\n", count);
	sp_ruleset_unref(rs);
	sp_diag_cleanup(&diag);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    corpus_tagged_subjects_are_sealed_and_untagged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
