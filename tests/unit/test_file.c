/* SPDX-License-Identifier: MIT */
/*
 * Tests for sp_file_read_admin and its use by the config and rules
 * loaders: files an admin writes are read whole, and files that are not
 * safe to trust (every user may write them, FIFOs, devices, too large)
 * are refused at once with a message that names the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "sp_file.h"
#include "sp_rules.h"

struct dir {
	char path[64];
	char file[128];
};

static int
setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return -1;
	snprintf(d->path, sizeof(d->path), "/tmp/sp-file-XXXXXX");
	if (mkdtemp(d->path) == NULL)
		return -1;
	snprintf(d->file, sizeof(d->file), "%s/f", d->path);
	/* a FIFO that nobody writes: a loader that waits on it hangs */
	alarm(10);
	*state = d;
	return 0;
}

static int
teardown(void **state)
{
	struct dir *d = *state;

	alarm(0);
	unlink(d->file);
	rmdir(d->path);
	free(d);
	return 0;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

static void
regular_file_is_read_whole(void **state)
{
	struct dir *d = *state;
	struct sp_error err;
	char *buf;
	size_t len;

	write_file(d->file, "rule a {\n\tmatch any\n\tskip\n}\n", 0644);
	CHECK_INT(sp_file_read_admin(d->file, 4096, &buf, &len, &err), SP_OK);
	CHECK_INT(len, 28);
	CHECK_STR(buf, "rule a {\n\tmatch any\n\tskip\n}\n");
	free(buf);
}

static void
file_every_user_may_write_is_refused(void **state)
{
	struct dir *d = *state;
	struct sp_error err;
	char *buf;
	size_t len;

	write_file(d->file, "x", 0666);
	CHECK_INT(
	    sp_file_read_admin(d->file, 4096, &buf, &len, &err), SP_ECONFIG);
	CHECK_CONTAINS(err.msg, "writable by every user");
	CHECK_CONTAINS(err.msg, d->file);
}

static void
fifo_is_refused_without_waiting(void **state)
{
	struct dir *d = *state;
	struct sp_error err;
	char *buf;
	size_t len;

	assert_int_equal(mkfifo(d->file, 0600), 0);
	CHECK_INT(sp_file_read_admin(d->file, 4096, &buf, &len, &err), SP_EIO);
	CHECK_CONTAINS(err.msg, "not a regular file");
}

static void
device_and_oversized_files_are_refused(void **state)
{
	struct dir *d = *state;
	struct sp_error err;
	char *buf;
	size_t len;

	CHECK_INT(
	    sp_file_read_admin("/dev/null", 4096, &buf, &len, &err), SP_EIO);
	CHECK_CONTAINS(err.msg, "not a regular file");
	write_file(d->file, "0123456789", 0644);
	CHECK_INT(sp_file_read_admin(d->file, 9, &buf, &len, &err), SP_ETOOBIG);
	CHECK_CONTAINS(err.msg, "larger than 9 bytes");
}

static void
rules_file_every_user_may_write_is_refused(void **state)
{
	struct dir *d = *state;
	struct sp_ruleset *rs = NULL;
	struct sp_diag diag;

	/* a skip rule slipped in by anyone would turn encryption off */
	write_file(d->file, "rule off {\n\tmatch any\n\tskip\n}\n", 0666);
	sp_diag_init(&diag);
	CHECK_INT(sp_rules_load(d->file, &rs, &diag) != SP_OK, 1);
	assert_null(rs);
	CHECK_INT(diag.n, 1);
	CHECK_CONTAINS(diag.msgs[0], "writable by every user");
	sp_diag_cleanup(&diag);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    regular_file_is_read_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    file_every_user_may_write_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    fifo_is_refused_without_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    device_and_oversized_files_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    rules_file_every_user_may_write_is_refused, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
