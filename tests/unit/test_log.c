/* SPDX-License-Identifier: MIT */
/* Tests for sp_log: cleaning untrusted text, line format, threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "sp_log.h"

static const struct {
	const char *name;
	const char *in;
	size_t len;
	size_t cap;
	const char *want;
} clean_cases[] = {
	{ "plain text unchanged", "alice@example.org", 17, 64,
	    "alice@example.org" },
	{ "space means quotes", "Re: hi", 6, 64, "\"Re: hi\"" },
	{ "quotes escaped", "say \"x\"", 7, 64, "\"say \\\"x\\\"\"" },
	{ "backslash escaped", "a\\b", 3, 64, "\"a\\\\b\"" },
	{ "equals sign quoted", "a=b", 3, 64, "\"a=b\"" },
	{ "empty shown as quotes", "", 0, 64, "\"\"" },
	{ "NUL does not cut", "a\0b", 3, 64, "a?b" },
	{ "newline and CR", "a\r\nb", 4, 64, "a??b" },
	{ "escape and DEL", "\x1b[1m\x7f", 5, 64, "?[1m?" },
	{ "8-bit bytes", "caf\xc3\xa9", 5, 64, "caf??" },
	{ "tab is a control byte", "a\tb", 3, 64, "a?b" },
	{ "small cap cuts with dots", "abcdefghij", 10, 8, "abcd..." },
	{ "small cap quoted", "a b c d e", 9, 10, "\"a b ...\"" },
	{ "exact fit is not cut", "abcdefg", 7, 8, "abcdefg" },
	{ "escape does not split", "a b\"cdef", 8, 10, "\"a b...\"" },
	{ "cap too small gives empty", "abc", 3, 7, "" },
};

static void
clean_makes_fields_printable_and_quoted(void **state)
{
	char buf[SP_LOG_CLEAN_SIZE];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(clean_cases) / sizeof(clean_cases[0]); i++) {
		print_message("case: %s\n", clean_cases[i].name);
		memset(buf, 'X', sizeof(buf));
		CHECK_STR(sp_log_clean(buf, clean_cases[i].cap,
		              clean_cases[i].in, clean_cases[i].len),
		    clean_cases[i].want);
		CHECK_INT(buf[clean_cases[i].cap] == 'X', true);
	}
}

static void
clean_caps_long_fields(void **state)
{
	char in[1000], want[SP_LOG_FIELD_MAX + 4], buf[SP_LOG_CLEAN_SIZE];

	(void)state;
	memset(in, 'a', sizeof(in));
	memset(want, 'a', SP_LOG_FIELD_MAX);
	memcpy(want + SP_LOG_FIELD_MAX, "...", 4);
	CHECK_STR(sp_log_clean(buf, sizeof(buf), in, sizeof(in)), want);

	/* the worst case, every byte escaped, fits SP_LOG_CLEAN_SIZE whole */
	memset(in, '"', SP_LOG_FIELD_MAX);
	sp_log_clean(buf, sizeof(buf), in, SP_LOG_FIELD_MAX);
	CHECK_INT(strlen(buf), 2 * SP_LOG_FIELD_MAX + 2);
	CHECK_INT(strstr(buf, "...") == NULL, true);
}

static const struct {
	const char *name;
	int prio;
} level_cases[] = {
	{ "debug", LOG_DEBUG },
	{ "info", LOG_INFO },
	{ "notice", LOG_NOTICE },
	{ "warning", LOG_WARNING },
	{ "err", LOG_ERR },
	{ "error", -1 },
	{ "", -1 },
};

static void
level_names_map_to_priorities(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(level_cases) / sizeof(level_cases[0]); i++)
		CHECK_INT(sp_log_level_from_name(level_cases[i].name),
		    level_cases[i].prio);
	CHECK_INT(sp_log_level_from_name(NULL), -1);
}

/* Runs fn with stderr sent to a temporary file; returns what was written. */
static char *
capture_stderr(void (*fn)(void))
{
	char path[] = "/tmp/sp_log_XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	char *text = calloc(1, 1 << 20);
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0 && text != NULL);
	fflush(stderr);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, text, (1 << 20) - 1, 0);
	assert_true(n >= 0);
	close(fd);
	unlink(path);
	return text;
}

static void
log_three_lines(void)
{
	sp_log_syslog(false);
	sp_log_open("sp-test", true);
	sp_log_set_level(LOG_INFO);
	sp_log(LOG_INFO, "4Q1bc2", "action=sealed to=%s", "x\ny");
	sp_log(LOG_DEBUG, "4Q1bc2", "dropped below the level");
	sp_log(LOG_ERR, NULL, "no queue id");
}

static void
lines_start_with_queue_id_and_stay_one_line(void **state)
{
	char *out;

	(void)state;
	out = capture_stderr(log_three_lines);
	CHECK_STR(out,
	    "sp-test: 4Q1bc2: action=sealed to=x?y\n"
	    "sp-test: -: no queue id\n");
	free(out);
}

static void
log_long_queue_id(void)
{
	char qid[3 * SP_LOG_LINE_MAX];

	memset(qid, 'Q', sizeof(qid) - 1);
	qid[sizeof(qid) - 1] = '\0';
	sp_log_syslog(false);
	sp_log_open("sp-test", true);
	sp_log_set_level(LOG_INFO);
	sp_log(LOG_INFO, qid, "action=%s", "sealed");
}

/* A queue id is capped like any untrusted field: the line stays in its
 * buffer and still says what happened. */
static void
long_queue_id_is_capped(void **state)
{
	char want[SP_LOG_FIELD_MAX + 64], *out;

	(void)state;
	memset(want, 0, sizeof(want));
	memcpy(want, "sp-test: ", 9);
	memset(want + 9, 'Q', SP_LOG_FIELD_MAX);
	memcpy(want + 9 + SP_LOG_FIELD_MAX, ": action=sealed\n", 17);
	out = capture_stderr(log_long_queue_id);
	CHECK_STR(out, want);
	free(out);
}

#define THREADS 4
#define LINES   300

static void *
log_many(void *arg)
{
	int i, t = (int)(intptr_t)arg;

	for (i = 0; i < LINES; i++)
		sp_log(LOG_INFO, "Q", "thread=%d line=%d pad=%s", t, i,
		    "................................................");
	return NULL;
}

static void
log_from_threads(void)
{
	pthread_t th[THREADS];
	int i;

	sp_log_syslog(false);
	sp_log_open("sp-test", true);
	for (i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, log_many, (void *)(intptr_t)i);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
}

static void
threads_never_interleave_lines(void **state)
{
	char *out, *line, *save = NULL;
	int count = 0, t, n;

	(void)state;
	out = capture_stderr(log_from_threads);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char pad[64];

		if (sscanf(line, "sp-test: Q: thread=%d line=%d pad=%63s", &t,
		        &n, pad) != 3 ||
		    strlen(pad) != 48)
			fail_msg("got line \"%s\", want one whole line", line);
		count++;
	}
	CHECK_INT(count, THREADS * LINES);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clean_makes_fields_printable_and_quoted),
		cmocka_unit_test(clean_caps_long_fields),
		cmocka_unit_test(level_names_map_to_priorities),
		cmocka_unit_test(lines_start_with_queue_id_and_stay_one_line),
		cmocka_unit_test(threads_never_interleave_lines),
		cmocka_unit_test(long_queue_id_is_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
