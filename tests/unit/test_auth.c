/* SPDX-License-Identifier: MIT */
/*
 * Tests for sp_auth: passcodes and sessions on a real LMDB store in a
 * temporary folder, with the clock passed in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sp_auth.h"
#include "sp_store.h"

#define ID1 "AAAAAAAAAAAAAAAAAAAAAA"
#define ID2 "BBBBBBBBBBBBBBBBBBBBBA"

static const struct sp_auth_limits lim = { 600, 5, 10, 900, 8 * 3600 };

struct fix {
	char dir[64];
	char store[96];
	struct sp_store *s;
	struct sp_auth *a;
	int64_t now;
};

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct sp_error err;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/sp-auth.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->store, sizeof(f->store), "%s/store", f->dir);
	if (sp_store_open(f->store, NULL, &f->s, &err) != SP_OK ||
	    sp_auth_new(&f->a, f->s, f->dir, &lim, &err) != SP_OK) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	f->now = (int64_t)time(NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	char cmd[128];

	sp_auth_free(f->a);
	sp_store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int
issue(struct fix *f, const char *id, const char *rcpt, int64_t now,
    char code[SP_PASSCODE_LEN + 1])
{
	return sp_passcode_issue(f->a, id, rcpt, now, code, NULL);
}

static int
check(struct fix *f, const char *id, const char *rcpt, const char *code,
    int64_t now)
{
	return sp_passcode_check(f->a, id, rcpt, code, strlen(code), now, NULL);
}

/* A code of 8 digits that is not code. */
static void
other_code(const char *code, char out[SP_PASSCODE_LEN + 1])
{
	unsigned v = (unsigned)((strtoul(code, NULL, 10) + 1) % 100000000u);
	int i;

	for (i = SP_PASSCODE_LEN - 1; i >= 0; i--, v /= 10)
		out[i] = (char)('0' + v % 10);
	out[SP_PASSCODE_LEN] = '\0';
}

static void
code_is_eight_digits_and_works_once(void **state)
{
	struct fix *f = *state;
	char code[SP_PASSCODE_LEN + 1];
	size_t i;

	CHECK_INT(issue(f, ID1, "bob@example.org", f->now, code), SP_OK);
	CHECK_INT(strlen(code), SP_PASSCODE_LEN);
	for (i = 0; i < SP_PASSCODE_LEN; i++)
		if (code[i] < '0' || code[i] > '9')
			fail_msg("code char %zu: got '%c', want a digit", i,
			    code[i]);
	CHECK_INT(check(f, ID1, "bob@example.org", code, f->now + 1), SP_OK);
	CHECK_INT(check(f, ID1, "bob@example.org", code, f->now + 2), SP_EAUTH);
}

static void
code_is_bound_to_message_and_recipient(void **state)
{
	struct fix *f = *state;
	char code[SP_PASSCODE_LEN + 1];

	CHECK_INT(issue(f, ID1, "bob@example.org", f->now, code), SP_OK);
	CHECK_INT(check(f, ID2, "bob@example.org", code, f->now), SP_EAUTH);
	CHECK_INT(check(f, ID1, "eve@example.org", code, f->now), SP_EAUTH);
	CHECK_INT(check(f, ID1, "BOB@Example.ORG", code, f->now), SP_OK);
}

static void
expired_code_is_refused(void **state)
{
	struct fix *f = *state;
	char code[SP_PASSCODE_LEN + 1];

	CHECK_INT(issue(f, ID1, "bob@example.org", f->now, code), SP_OK);
	CHECK_INT(
	    check(f, ID1, "bob@example.org", code, f->now + lim.passcode_ttl),
	    SP_EAUTH);
	/* and it is gone, not merely late */
	CHECK_INT(check(f, ID1, "bob@example.org", code, f->now), SP_EAUTH);
}

static void
new_code_replaces_old(void **state)
{
	struct fix *f = *state;
	char c1[SP_PASSCODE_LEN + 1], c2[SP_PASSCODE_LEN + 1];

	CHECK_INT(issue(f, ID1, "bob@example.org", f->now, c1), SP_OK);
	do {
		CHECK_INT(issue(f, ID1, "bob@example.org", f->now, c2), SP_OK);
	} while (strcmp(c1, c2) == 0);
	CHECK_INT(check(f, ID1, "bob@example.org", c1, f->now), SP_EAUTH);
	CHECK_INT(check(f, ID1, "bob@example.org", c2, f->now), SP_OK);
}

static void
sixth_try_is_refused_even_when_right(void **state)
{
	struct fix *f = *state;
	char code[SP_PASSCODE_LEN + 1], wrong[SP_PASSCODE_LEN + 1];
	int i;

	CHECK_INT(issue(f, ID1, "bob@example.org", f->now, code), SP_OK);
	other_code(code, wrong);
	for (i = 0; i < 5; i++)
		CHECK_INT(
		    check(f, ID1, "bob@example.org", wrong, f->now), SP_EAUTH);
	CHECK_INT(check(f, ID1, "bob@example.org", code, f->now), SP_ELIMIT);
	/* the lock ends with its hour */
	CHECK_INT(issue(f, ID1, "bob@example.org", f->now + 3601, code), SP_OK);
	CHECK_INT(check(f, ID1, "bob@example.org", code, f->now + 3601), SP_OK);
}

static void
tries_survive_a_resend(void **state)
{
	struct fix *f = *state;
	char code[SP_PASSCODE_LEN + 1], wrong[SP_PASSCODE_LEN + 1];
	int i;

	CHECK_INT(issue(f, ID1, "bob@example.org", f->now, code), SP_OK);
	other_code(code, wrong);
	for (i = 0; i < 3; i++)
		CHECK_INT(
		    check(f, ID1, "bob@example.org", wrong, f->now), SP_EAUTH);
	CHECK_INT(issue(f, ID1, "bob@example.org", f->now, code), SP_OK);
	other_code(code, wrong);
	for (i = 0; i < 2; i++)
		CHECK_INT(
		    check(f, ID1, "bob@example.org", wrong, f->now), SP_EAUTH);
	CHECK_INT(check(f, ID1, "bob@example.org", code, f->now), SP_ELIMIT);
}

static void
right_code_clears_wrong_tries(void **state)
{
	struct fix *f = *state;
	char code[SP_PASSCODE_LEN + 1], wrong[SP_PASSCODE_LEN + 1];
	int i;

	CHECK_INT(issue(f, ID1, "bob@example.org", f->now, code), SP_OK);
	other_code(code, wrong);
	for (i = 0; i < 4; i++)
		CHECK_INT(
		    check(f, ID1, "bob@example.org", wrong, f->now), SP_EAUTH);
	CHECK_INT(check(f, ID1, "bob@example.org", code, f->now), SP_OK);
	CHECK_INT(issue(f, ID1, "bob@example.org", f->now, code), SP_OK);
	other_code(code, wrong);
	for (i = 0; i < 4; i++)
		CHECK_INT(
		    check(f, ID1, "bob@example.org", wrong, f->now), SP_EAUTH);
	CHECK_INT(check(f, ID1, "bob@example.org", code, f->now), SP_OK);
}

static void
eleventh_code_in_an_hour_is_refused(void **state)
{
	struct fix *f = *state;
	char code[SP_PASSCODE_LEN + 1];
	int i;

	for (i = 0; i < 10; i++)
		CHECK_INT(issue(f, i % 2 ? ID1 : ID2, "bob@example.org",
		              f->now + i, code),
		    SP_OK);
	CHECK_INT(
	    issue(f, ID1, "Bob@example.org", f->now + 10, code), SP_ELIMIT);
	CHECK_STR(code, "");
	CHECK_INT(issue(f, ID1, "carol@example.org", f->now + 10, code), SP_OK);
	CHECK_INT(issue(f, ID1, "bob@example.org", f->now + 3600, code), SP_OK);
}

/* Reads every file of the store folder into one buffer. */
static char *
store_bytes(struct fix *f, size_t *len)
{
	char path[160];
	FILE *fp;
	char *buf = malloc(64 << 20);
	size_t n = 0;

	assert_non_null(buf);
	snprintf(path, sizeof(path), "%s/data.mdb", f->store);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	n = fread(buf, 1, (64 << 20) - 1, fp);
	fclose(fp);
	*len = n;
	return buf;
}

static bool
mem_has(const char *hay, size_t hlen, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= hlen; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return true;
	return false;
}

static void
store_holds_no_code_or_session_id(void **state)
{
	struct fix *f = *state;
	char code[SP_PASSCODE_LEN + 1], cookie[SP_SESSION_ID_LEN + 1];
	size_t len;
	char *bytes;

	CHECK_INT(issue(f, ID1, "zed.unique@example.org", f->now, code), SP_OK);
	CHECK_INT(sp_session_create(f->a, ID1, "zed.unique@example.org", f->now,
	              cookie, NULL),
	    SP_OK);
	bytes = store_bytes(f, &len);
	if (mem_has(bytes, len, code))
		fail_msg("the code is stored in the clear");
	if (mem_has(bytes, len, cookie))
		fail_msg("the session id is stored in the clear");
	free(bytes);
}

static void
secret_file_is_private_and_shared(void **state)
{
	struct fix *f = *state;
	struct sp_auth *b = NULL;
	struct sp_session s;
	char path[128], cookie[SP_SESSION_ID_LEN + 1];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", f->dir, SP_AUTH_SECRET);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT(st.st_size, 32);
	CHECK_INT(sp_auth_new(&b, f->s, f->dir, &lim, NULL), SP_OK);
	CHECK_INT(sp_session_create(
	              f->a, ID1, "bob@example.org", f->now, cookie, NULL),
	    SP_OK);
	CHECK_INT(sp_session_lookup(b, cookie, f->now, &s, NULL), SP_OK);
	sp_auth_free(b);
}

static void
readable_secret_is_refused(void **state)
{
	struct fix *f = *state;
	struct sp_auth *b = NULL;
	struct sp_error err;
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", f->dir, SP_AUTH_SECRET);
	CHECK_INT(chmod(path, 0644), 0);
	CHECK_INT(sp_auth_new(&b, f->s, f->dir, &lim, &err), SP_EPERM);
	CHECK_CONTAINS(err.msg, "portal.secret");
	CHECK_INT(b == NULL, 1);
}

static void
session_round_trip_and_logout(void **state)
{
	struct fix *f = *state;
	char c1[SP_SESSION_ID_LEN + 1], c2[SP_SESSION_ID_LEN + 1];
	struct sp_session s;

	CHECK_INT(
	    sp_session_create(f->a, ID1, "bob@example.org", f->now, c1, NULL),
	    SP_OK);
	CHECK_INT(
	    sp_session_create(f->a, ID1, "bob@example.org", f->now, c2, NULL),
	    SP_OK);
	CHECK_INT(strlen(c1), SP_SESSION_ID_LEN);
	if (strcmp(c1, c2) == 0)
		fail_msg("got the same session id twice");
	CHECK_INT(sp_session_lookup(f->a, c1, f->now + 5, &s, NULL), SP_OK);
	CHECK_STR(s.id, ID1);
	CHECK_STR(s.rcpt, "bob@example.org");
	CHECK_INT(sp_session_destroy(f->a, c1, NULL), SP_OK);
	CHECK_INT(
	    sp_session_lookup(f->a, c1, f->now + 6, &s, NULL), SP_ENOTFOUND);
	CHECK_INT(sp_session_lookup(f->a, c2, f->now + 6, &s, NULL), SP_OK);
}

static void
session_ends_when_idle_or_too_old(void **state)
{
	struct fix *f = *state;
	char c[SP_SESSION_ID_LEN + 1];
	struct sp_session s;
	int64_t t = f->now;

	CHECK_INT(
	    sp_session_create(f->a, ID1, "bob@example.org", t, c, NULL), SP_OK);
	/* use keeps it alive past one idle period... */
	for (t = f->now + 800; t < f->now + lim.session_max; t += 800)
		CHECK_INT(sp_session_lookup(f->a, c, t, &s, NULL), SP_OK);
	/* ...but never past the maximum */
	CHECK_INT(
	    sp_session_lookup(f->a, c, f->now + lim.session_max, &s, NULL),
	    SP_ENOTFOUND);
	CHECK_INT(
	    sp_session_create(f->a, ID1, "bob@example.org", f->now, c, NULL),
	    SP_OK);
	CHECK_INT(
	    sp_session_lookup(f->a, c, f->now + lim.session_idle, &s, NULL),
	    SP_ENOTFOUND);
}

/* A lookup rewrites the session's last use only when the recorded one is
 * a minute old or more; the idle deadline follows the recorded use. */
static void
session_use_is_recorded_at_most_once_a_minute(void **state)
{
	static const struct {
		int64_t at;        /* lookup time, seconds after sign-in */
		int want_rc;       /* what the lookup returns */
		int64_t want_used; /* recorded last use after it */
	} steps[] = {
		{ 30, SP_OK, 0 },
		{ 59, SP_OK, 0 },
		{ 60, SP_OK, 60 },
		{ 100, SP_OK, 60 },
		{ 60 + 900 - 1, SP_OK, 60 + 900 - 1 },
		{ 60 + 900 - 1 + 900, SP_ENOTFOUND, 0 },
	};
	struct fix *f = *state;
	char c[SP_SESSION_ID_LEN + 1];
	struct sp_session s;
	size_t i;

	CHECK_INT(lim.session_idle, 900);
	CHECK_INT(
	    sp_session_create(f->a, ID1, "bob@example.org", f->now, c, NULL),
	    SP_OK);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int rc =
		    sp_session_lookup(f->a, c, f->now + steps[i].at, &s, NULL);

		CHECK_INT(rc, steps[i].want_rc);
		if (rc == SP_OK)
			CHECK_INT(s.last_used, f->now + steps[i].want_used);
	}
}

static void
malformed_cookies_find_nothing(void **state)
{
	struct fix *f = *state;
	struct sp_session s;
	const char *bad[] = { NULL, "", "abc",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(sp_session_lookup(f->a, bad[i], f->now, &s, NULL),
		    SP_ENOTFOUND);
}

static void
csrf_token_is_bound_to_its_cookie(void **state)
{
	struct fix *f = *state;
	char c1[SP_SESSION_ID_LEN + 1], c2[SP_SESSION_ID_LEN + 1];
	char t1[SP_CSRF_LEN + 1], t2[SP_CSRF_LEN + 1];

	CHECK_INT(
	    sp_session_create(f->a, ID1, "a@example.org", f->now, c1, NULL),
	    SP_OK);
	CHECK_INT(
	    sp_session_create(f->a, ID1, "a@example.org", f->now, c2, NULL),
	    SP_OK);
	sp_session_csrf(f->a, c1, t1);
	sp_session_csrf(f->a, c2, t2);
	CHECK_INT(strlen(t1), SP_CSRF_LEN);
	CHECK_INT(sp_session_csrf_ok(f->a, c1, t1, strlen(t1)), 1);
	CHECK_INT(sp_session_csrf_ok(f->a, c1, t2, strlen(t2)), 0);
	CHECK_INT(sp_session_csrf_ok(f->a, c1, t1, strlen(t1) - 1), 0);
	CHECK_INT(sp_session_csrf_ok(f->a, NULL, t1, strlen(t1)), 0);
	CHECK_INT(sp_session_csrf_ok(f->a, c1, NULL, 0), 0);
}

/* A FIFO in place of the secret is refused at once, not waited on (the
 * alarm turns a hang into a failure). */
static void
fifo_secret_is_refused_at_once(void **state)
{
	struct fix *f = *state;
	struct sp_auth *b = NULL;
	struct sp_error err;
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", f->dir, SP_AUTH_SECRET);
	CHECK_INT(unlink(path), 0);
	CHECK_INT(mkfifo(path, 0600), 0);
	alarm(10);
	CHECK_INT(sp_auth_new(&b, f->s, f->dir, &lim, &err), SP_EPERM);
	alarm(0);
	CHECK_CONTAINS(err.msg, "not a regular file");
	CHECK_INT(b == NULL, 1);
}

static void
group_readable_secret_needs_keys_group(void **state)
{
	struct fix *f = *state;
	struct group *gr = getgrgid(getgid());
	struct sp_auth *b = NULL;
	struct sp_error err;
	char path[128];

	assert_non_null(gr);
	snprintf(path, sizeof(path), "%s/%s", f->dir, SP_AUTH_SECRET);
	CHECK_INT(chmod(path, 0640), 0);
	CHECK_INT(sp_auth_new(&b, f->s, f->dir, &lim, &err), SP_EPERM);
	CHECK_CONTAINS(err.msg, "mode 0640");
	CHECK_INT(sp_auth_new_group(&b, f->s, f->dir, gr->gr_name, &lim, &err),
	    SP_OK);
	sp_auth_free(b);
}

/* sp_auth_new as a user who may not write keys_dir: as root, in a child
 * that becomes nobody; else with keys_dir made read-only.  Returns the
 * status, and the message in msg. */
static int
auth_new_unwritable(struct fix *f, char *msg, size_t cap)
{
	struct passwd *pw = getpwnam("nobody");
	struct sp_auth *b = NULL;
	struct sp_error err;
	int fds[2], status = 0, rc;
	ssize_t n;
	pid_t pid;

	if (getuid() != 0) {
		assert_int_equal(chmod(f->dir, 0555), 0);
		rc = sp_auth_new(&b, f->s, f->dir, &lim, &err);
		assert_int_equal(chmod(f->dir, 0700), 0);
		snprintf(msg, cap, "%s", err.msg);
		sp_auth_free(b);
		return rc;
	}
	assert_non_null(pw);
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
			_exit(99);
		rc = sp_auth_new(&b, f->s, f->dir, &lim, &err);
		n = write(fds[1], &rc, sizeof(rc));
		if (n == (ssize_t)sizeof(rc))
			n = write(fds[1], err.msg, strlen(err.msg) + 1);
		_exit(n > 0 ? 0 : 98);
	}
	close(fds[1]);
	rc = -1000;
	n = read(fds[0], &rc, sizeof(rc));
	n = n == (ssize_t)sizeof(rc) ? read(fds[0], msg, cap - 1) : 0;
	msg[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(chmod(f->dir, 0700), 0);
	CHECK_INT(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	return rc;
}

/* The portal may not write keys_dir: a missing secret is an error that
 * says how to make it, and nothing is written. */
static void
missing_secret_in_a_closed_keys_dir_says_keygen(void **state)
{
	struct fix *f = *state;
	char path[128], msg[512];

	snprintf(path, sizeof(path), "%s/%s", f->dir, SP_AUTH_SECRET);
	CHECK_INT(unlink(path), 0);
	CHECK_INT(auth_new_unwritable(f, msg, sizeof(msg)), SP_EIO);
	CHECK_CONTAINS(msg, "run sealpostctl keygen");
	CHECK_CONTAINS(msg, SP_AUTH_SECRET);
	CHECK_INT(access(path, F_OK), -1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(code_is_eight_digits_and_works_once),
		T(code_is_bound_to_message_and_recipient),
		T(expired_code_is_refused),
		T(new_code_replaces_old),
		T(sixth_try_is_refused_even_when_right),
		T(tries_survive_a_resend),
		T(right_code_clears_wrong_tries),
		T(eleventh_code_in_an_hour_is_refused),
		T(store_holds_no_code_or_session_id),
		T(secret_file_is_private_and_shared),
		T(readable_secret_is_refused),
		T(fifo_secret_is_refused_at_once),
		T(group_readable_secret_needs_keys_group),
		T(missing_secret_in_a_closed_keys_dir_says_keygen),
		T(session_round_trip_and_logout),
		T(session_ends_when_idle_or_too_old),
		T(session_use_is_recorded_at_most_once_a_minute),
		T(malformed_cookies_find_nothing),
		T(csrf_token_is_bound_to_its_cookie),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
