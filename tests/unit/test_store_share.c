/* SPDX-License-Identifier: MIT */
/*
 * Tests for a store shared by a group (sp_store_opts.group): the modes
 * and group of the directory and files, and that another user in that
 * group can open and write it while one outside cannot.  Needs root, to
 * run children as user nobody with a chosen group (setgroups, setgid,
 * setuid); skipped otherwise.  The group is the existing "nogroup" (or
 * "nobody"), so nothing is added to the system.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check.h"
#include "sp_store_backend.h"
#include "store_test_util.h"

#define OUTSIDER_GID 64999 /* a gid in no group of the test */

struct fx {
	char dir[256];
	char path[300];
	const char *group;
	gid_t gid;
	uid_t nobody;
	struct sp_error err;
};

static int
setup(void **state)
{
	static const char *const groups[] = { "nogroup", "nobody" };
	struct fx *f = calloc(1, sizeof(*f));
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = NULL;
	size_t i;

	if (f == NULL)
		return -1;
	for (i = 0; i < 2 && gr == NULL; i++)
		if ((gr = getgrnam(groups[i])) != NULL)
			f->group = groups[i];
	if (pw != NULL && gr != NULL) {
		f->nobody = pw->pw_uid;
		f->gid = gr->gr_gid;
	}
	tu_tmpdir(f->dir, sizeof(f->dir));
	/* user nobody must be able to walk to the store */
	if (chmod(f->dir, 0755) != 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* Skips the test unless it runs as root with user nobody and a group. */
static struct fx *
need_root(void **state)
{
	struct fx *f = *state;

	if (geteuid() != 0 || f->group == NULL || f->nobody == 0) {
		print_message("skipped: needs root, user nobody and group "
		              "nogroup\n");
		skip();
	}
	return f;
}

static int
open_store(struct fx *f, const char *group, struct sp_store **s)
{
	struct sp_store_opts o = { 0, 0, false, group };

	return sp_store_open(f->path, &o, s, &f->err);
}

/* A committed message of one chunk whose contents name it. */
static int
put_msg(struct sp_store *s, const char *id, struct sp_error *err)
{
	unsigned char b[16384];
	const unsigned char *tail[1] = { b };
	size_t len = tu_len(id, 0);
	struct sp_msg_meta m;

	tu_fill(b, id, 0, len);
	memset(&m, 0, sizeof(m));
	memcpy(m.id, id, SP_ID_LEN + 1);
	m.nchunks = 1;
	m.sender = "";
	return sp_store_msg_commit(s, &m, 0, tail, &len, 1, err);
}

static int
check_chunk(void *ctx, uint32_t seq, const unsigned char *buf, size_t len)
{
	return tu_verify(buf, len, ctx, seq) == 0 ? 0 : 99;
}

/* Child exit codes of as_user. */
enum { C_OK = 0, C_PRIV = 9, C_OPEN = 10, C_WRITE = 11, C_READ = 12 };

/* Runs, as uid with gid as its only group: open the store, write
 * message mine and a passcode record, read message theirs. */
static int
as_user(
    struct fx *f, uid_t uid, gid_t gid, const char *mine, const char *theirs)
{
	struct sp_store *s;
	struct sp_error err;
	pid_t pid;
	int st;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		if (setgroups(1, &gid) != 0 || setgid(gid) != 0 ||
		    setuid(uid) != 0)
			_exit(C_PRIV);
		if (open_store(f, f->group, &s) != SP_OK)
			_exit(C_OPEN);
		if (put_msg(s, mine, &err) != SP_OK ||
		    sp_store_kv_put(s, SP_KV_PASSCODES, mine, SP_ID_LEN, "x", 1,
		        0, &err) != SP_OK)
			_exit(C_WRITE);
		if (sp_store_chunks_read(s, theirs, 1, check_chunk,
		        (void *)theirs, &err) != SP_OK)
			_exit(C_READ);
		_exit(C_OK);
	}
	CHECK_INT(pid > 0, 1);
	CHECK_INT(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void
check_file(const char *dir, const char *name, unsigned mode, gid_t gid)
{
	char p[600];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	CHECK_INT(stat(p, &st), 0);
	if ((st.st_mode & 07777) != mode || st.st_gid != gid)
		fail_msg("%s: got mode %04o group %u, want %04o group %u", p,
		    (unsigned)(st.st_mode & 07777), (unsigned)st.st_gid, mode,
		    (unsigned)gid);
}

static void
shared_store_has_group_modes_and_takes_group_writers(void **state)
{
	struct fx *f = need_root(state);
	struct sp_store *s;
	char root_id[SP_ID_LEN + 1], member_id[SP_ID_LEN + 1];
	char outsider_id[SP_ID_LEN + 1];
	mode_t old = umask(077); /* would take every group bit */
	int rc;

	tu_id(root_id, 1);
	tu_id(member_id, 2);
	tu_id(outsider_id, 3);
	rc = open_store(f, f->group, &s);
	umask(old);
	if (rc != SP_OK)
		fail_msg("open: %s", f->err.msg);
	check_file(f->path, ".", 02770, f->gid);
	check_file(f->path, "data.mdb", 0660, f->gid);
	check_file(f->path, "lock.mdb", 0660, f->gid);
	CHECK_INT(put_msg(s, root_id, &f->err), SP_OK);
	/* a member writes while root has the store open */
	CHECK_INT(as_user(f, f->nobody, f->gid, member_id, root_id), C_OK);
	CHECK_INT(sp_store_chunks_read(
	              s, member_id, 1, check_chunk, member_id, &f->err),
	    SP_OK);
	/* the same user outside the group gets nowhere */
	CHECK_INT(
	    as_user(f, f->nobody, OUTSIDER_GID, outsider_id, root_id), C_OPEN);
	sp_store_close(s);
}

static void
opening_for_writing_repairs_modes_of_a_shared_store(void **state)
{
	struct fx *f = need_root(state);
	struct sp_store *s;
	char p[600], id[SP_ID_LEN + 1], id2[SP_ID_LEN + 1];

	tu_id(id, 4);
	tu_id(id2, 5);
	CHECK_INT(open_store(f, f->group, &s), SP_OK);
	CHECK_INT(put_msg(s, id, &f->err), SP_OK);
	sp_store_close(s);
	/* as a root shell with umask 022 and group root would leave them */
	snprintf(p, sizeof(p), "%s/data.mdb", f->path);
	CHECK_INT(chmod(p, 0644) == 0 && chown(p, 0, 0) == 0, 1);
	CHECK_INT(as_user(f, f->nobody, f->gid, id2, id), C_OPEN);
	CHECK_INT(open_store(f, f->group, &s), SP_OK);
	check_file(f->path, "data.mdb", 0660, f->gid);
	CHECK_INT(as_user(f, f->nobody, f->gid, id2, id), C_OK);
	sp_store_close(s);
	/* read-only openers change nothing */
	CHECK_INT(chmod(p, 0640), 0);
	{
		struct sp_store_opts o = { 0, 0, true, f->group };

		CHECK_INT(sp_store_open(f->path, &o, &s, &f->err), SP_OK);
		sp_store_close(s);
	}
	check_file(f->path, "data.mdb", 0640, f->gid);
}

static void
private_store_keeps_others_out(void **state)
{
	struct fx *f = need_root(state);
	struct sp_store *s;
	char id[SP_ID_LEN + 1], id2[SP_ID_LEN + 1];
	mode_t old = umask(0); /* would let everyone in */
	int rc;

	tu_id(id, 6);
	tu_id(id2, 7);
	rc = open_store(f, "", &s);
	umask(old);
	if (rc != SP_OK)
		fail_msg("open: %s", f->err.msg);
	check_file(f->path, ".", 0700, 0);
	check_file(f->path, "data.mdb", 0600, 0);
	check_file(f->path, "lock.mdb", 0600, 0);
	CHECK_INT(put_msg(s, id, &f->err), SP_OK);
	CHECK_INT(as_user(f, f->nobody, f->gid, id2, id), C_OPEN);
	sp_store_close(s);
}

static void
unknown_group_is_a_config_error(void **state)
{
	struct fx *f = *state;
	struct sp_store *s = NULL;
	struct stat st;

	CHECK_INT(open_store(f, "no-such-group-sp-test", &s), SP_ECONFIG);
	CHECK_CONTAINS(f->err.msg, "no-such-group-sp-test");
	CHECK_CONTAINS(f->err.msg, f->path);
	CHECK_INT(s == NULL, 1);
	/* and nothing was created */
	CHECK_INT(stat(f->path, &st), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    shared_store_has_group_modes_and_takes_group_writers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    opening_for_writing_repairs_modes_of_a_shared_store, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    private_store_keeps_others_out, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    unknown_group_is_a_config_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
