/* SPDX-License-Identifier: MIT */
/* Tests for sp_keys: key files, their modes, and the keyring. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sp_keys.h"

struct fixture {
	char dir[64];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || sodium_init() < 0)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/sp_keys_XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *e;
	char path[512];
	DIR *d;

	snprintf(path, sizeof(path), "%s/retired", f->dir);
	d = opendir(path);
	while (d != NULL && (e = readdir(d)) != NULL) {
		snprintf(
		    path, sizeof(path), "%s/retired/%s", f->dir, e->d_name);
		if (e->d_name[0] != '.')
			unlink(path);
	}
	if (d != NULL)
		closedir(d);
	snprintf(path, sizeof(path), "%s/retired", f->dir);
	rmdir(path);
	d = opendir(f->dir);
	while (d != NULL && (e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
		if (e->d_name[0] != '.' || strlen(e->d_name) > 2)
			unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

static const char *
file_in(const struct fixture *f, const char *id, const char *ext)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s.%s", f->dir, id, ext);
	return path;
}

static unsigned
mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return 0;
	return (unsigned)st.st_mode & 07777;
}

static size_t
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	return n;
}

/* Writes a pair the way the format says, created at a given time: the id
 * is 8 hex of the time and 8 hex of BLAKE2b-128(pk). */
static void
write_pair(const struct fixture *f, uint32_t created, char id[SP_KEYID_MAX])
{
	unsigned char pk[32], sk[32], h[16];
	char hex[65];
	FILE *fp;

	crypto_box_keypair(pk, sk);
	crypto_generichash(h, sizeof(h), pk, sizeof(pk), NULL, 0);
	snprintf(id, SP_KEYID_MAX, "%08" PRIx32 "%02x%02x%02x%02x", created,
	    h[0], h[1], h[2], h[3]);
	fp = fopen(file_in(f, id, "sk"), "wb");
	assert_non_null(fp);
	assert_true(fwrite(sk, 1, 32, fp) == 32);
	fclose(fp);
	chmod(file_in(f, id, "sk"), 0600);
	fp = fopen(file_in(f, id, "pk"), "w");
	assert_non_null(fp);
	fprintf(fp, "%s\n", sodium_bin2hex(hex, sizeof(hex), pk, 32));
	fclose(fp);
}

static void
generate_writes_pk_and_private_sk(void **state)
{
	struct fixture *f = *state;
	struct sp_error err;
	char id[SP_KEYID_MAX];
	time_t now = time(NULL);
	struct stat st;

	CHECK_INT(sp_keys_generate(f->dir, NULL, id, sizeof(id), &err), SP_OK);
	CHECK_INT(sp_keys_id_valid(id), true);
	CHECK_INT(strtoul((char[9]){ id[0], id[1], id[2], id[3], id[4], id[5],
	                      id[6], id[7], 0 },
	              NULL, 16) >= (unsigned long)now,
	    true);
	CHECK_INT(mode_of(file_in(f, id, "pk")), 0644);
	CHECK_INT(mode_of(file_in(f, id, "sk")), 0600);
	assert_int_equal(stat(file_in(f, id, "pk"), &st), 0);
	CHECK_INT(st.st_size, 65);
	/* nothing else: no temporary file left behind */
	CHECK_INT(entries(f->dir), 2);
}

static void
generate_creates_a_missing_dir(void **state)
{
	struct fixture *f = *state;
	struct sp_error err;
	char id[SP_KEYID_MAX], sub[128];

	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	CHECK_INT(sp_keys_generate(sub, NULL, id, sizeof(id), &err), SP_OK);
	snprintf(sub, sizeof(sub), "%s/sub/%s.pk", f->dir, id);
	CHECK_INT(mode_of(sub), 0644);
	unlink(sub);
	sub[strlen(sub) - 2] = 's';
	unlink(sub);
	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	rmdir(sub);
}

static void
root_can_give_the_secret_to_the_portal_user(void **state)
{
	struct fixture *f = *state;
	struct passwd *pw = getpwnam("nobody");
	struct sp_keyring *kr;
	struct sp_error err;
	char id[SP_KEYID_MAX];
	struct stat st;

	if (getuid() != 0 || pw == NULL)
		skip();
	CHECK_INT(sp_keys_generate_owned(
	              f->dir, "nobody", NULL, id, sizeof(id), &err),
	    SP_OK);
	assert_int_equal(stat(file_in(f, id, "sk"), &st), 0);
	CHECK_INT(st.st_uid, pw->pw_uid);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(sp_keyring_load(f->dir, true, &kr, &err), SP_OK);
	sp_keyring_free(kr);
	CHECK_INT(sp_keys_generate_owned(
	              f->dir, "no-such-user-sp", NULL, id, sizeof(id), &err),
	    SP_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "no-such-user-sp");
}

static void
public_only_load_reads_no_secret(void **state)
{
	struct fixture *f = *state;
	struct sp_keyring *kr;
	struct sp_error err;
	char id[SP_KEYID_MAX];

	CHECK_INT(sp_keys_generate(f->dir, NULL, id, sizeof(id), &err), SP_OK);
	/* even an unsafe .sk does not matter to a public-only reader */
	chmod(file_in(f, id, "sk"), 0644);
	CHECK_INT(sp_keyring_load(f->dir, false, &kr, &err), SP_OK);
	CHECK_INT(kr->n, 1);
	CHECK_STR(kr->keys[0].id, id);
	assert_null(kr->keys[0].sk);
	CHECK_INT(kr->keys[0].sk_present, true);
	sp_keyring_free(kr);
}

static const struct {
	const char *name;
	unsigned mode;
	int rc;
	const char *want;
} mode_cases[] = {
	{ "0600 accepted", 0600, SP_OK, NULL },
	{ "0400 accepted", 0400, SP_OK, NULL },
	{ "world readable refused", 0644, SP_EPERM, "mode 0644 lets others" },
	{ "world writable refused", 0602, SP_EPERM, "mode 0602 lets others" },
	{ "group readable without keys_group refused", 0640, SP_EPERM,
	    "mode 0640 lets the group read the secret key and no keys_group" },
	{ "group writable refused", 0620, SP_EPERM, "mode 0620" },
};

static void
secret_key_modes_are_checked(void **state)
{
	struct fixture *f = *state;
	struct sp_keyring *kr = NULL;
	struct sp_error err;
	char id[SP_KEYID_MAX];
	size_t i;

	CHECK_INT(sp_keys_generate(f->dir, NULL, id, sizeof(id), &err), SP_OK);
	for (i = 0; i < sizeof(mode_cases) / sizeof(mode_cases[0]); i++) {
		print_message("case: %s\n", mode_cases[i].name);
		chmod(file_in(f, id, "sk"), mode_cases[i].mode);
		err.msg[0] = '\0';
		CHECK_INT(
		    sp_keyring_load(f->dir, true, &kr, &err), mode_cases[i].rc);
		if (mode_cases[i].rc != SP_OK) {
			assert_null(kr);
			CHECK_CONTAINS(err.msg, file_in(f, id, "sk"));
			CHECK_CONTAINS(err.msg, mode_cases[i].want);
			continue;
		}
		assert_non_null(kr->keys[0].sk);
		sp_keyring_free(kr);
		kr = NULL;
	}
}

static void
keys_group_may_read_the_secret(void **state)
{
	struct fixture *f = *state;
	struct group *gr = getgrgid(getgid());
	struct sp_keyring *kr = NULL;
	struct sp_error err;
	char id[SP_KEYID_MAX], group[64];

	assert_non_null(gr);
	snprintf(group, sizeof(group), "%s", gr->gr_name);
	CHECK_INT(sp_keys_generate(f->dir, group, id, sizeof(id), &err), SP_OK);
	CHECK_INT(mode_of(file_in(f, id, "sk")), 0640);

	CHECK_INT(sp_keyring_load_group(f->dir, true, group, &kr, &err), SP_OK);
	assert_non_null(kr->keys[0].sk);
	sp_keyring_free(kr);

	/* without the group setting the same file is refused */
	CHECK_INT(sp_keyring_load(f->dir, true, &kr, &err), SP_EPERM);
	CHECK_CONTAINS(err.msg, "mode 0640");

	/* another group than keys_group is refused */
	if (getuid() == 0) {
		assert_int_equal(
		    chown(file_in(f, id, "sk"), (uid_t)-1, getgid() + 4242), 0);
		CHECK_INT(sp_keyring_load_group(f->dir, true, group, &kr, &err),
		    SP_EPERM);
		CHECK_CONTAINS(err.msg, "only keys_group");
	}
	CHECK_INT(
	    sp_keyring_load_group(f->dir, true, "no-such-group-sp", &kr, &err),
	    SP_ENOTFOUND);
}

static void
newest_seals_and_every_pair_opens(void **state)
{
	struct fixture *f = *state;
	struct sp_keyring *kr;
	struct sp_error err;
	char ids[3][SP_KEYID_MAX], made[SP_KEYID_MAX];
	unsigned char msg[4] = "hey", sealed[4 + crypto_box_SEALBYTES];
	unsigned char opened[4];
	size_t i;

	write_pair(f, 0x5f000000, ids[0]);
	write_pair(f, 0x60000000, ids[1]);
	write_pair(f, 0x5e000000, ids[2]);
	CHECK_INT(sp_keyring_load(f->dir, true, &kr, &err), SP_OK);
	CHECK_INT(kr->n, 3);
	CHECK_STR(sp_keyring_newest(kr)->id, ids[1]);
	CHECK_INT(sp_keyring_newest(kr)->created, 0x60000000);
	CHECK_STR(kr->keys[2].id, ids[2]);
	for (i = 0; i < 3; i++) {
		const struct sp_keypair *kp = sp_keyring_find(kr, ids[i]);

		assert_non_null(kp);
		crypto_box_seal(sealed, msg, sizeof(msg), kp->pk);
		CHECK_INT(crypto_box_seal_open(
		              opened, sealed, sizeof(sealed), kp->pk, kp->sk),
		    0);
		CHECK_MEM(opened, sizeof(opened), msg, sizeof(msg));
	}
	assert_null(sp_keyring_find(kr, "0000000000000000"));
	sp_keyring_free(kr);

	/* a pair made now is newer than all of them */
	CHECK_INT(
	    sp_keys_generate(f->dir, NULL, made, sizeof(made), &err), SP_OK);
	CHECK_INT(sp_keyring_load(f->dir, false, &kr, &err), SP_OK);
	CHECK_STR(sp_keyring_newest(kr)->id, made);
	sp_keyring_free(kr);
}

static void
mismatched_files_are_refused(void **state)
{
	struct fixture *f = *state;
	struct sp_keyring *kr;
	struct sp_error err;
	char a[SP_KEYID_MAX], b[SP_KEYID_MAX], path[256];

	write_pair(f, 0x60000000, a);
	write_pair(f, 0x60000001, b);
	/* b's secret key under a's name */
	snprintf(path, sizeof(path), "%s", file_in(f, b, "sk"));
	assert_int_equal(rename(path, file_in(f, a, "sk")), 0);
	CHECK_INT(sp_keyring_load(f->dir, true, &kr, &err), SP_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "cannot open the secret key");
	CHECK_INT(sp_keyring_load(f->dir, false, &kr, &err), SP_OK);
	CHECK_INT(kr->keys[0].sk_present, false);
	sp_keyring_free(kr);
	unlink(file_in(f, b, "pk"));
	CHECK_INT(sp_keyring_load(f->dir, true, &kr, &err), SP_EFORMAT);
	CHECK_CONTAINS(err.msg, "does not match");

	/* a .pk under an id that is not its own */
	snprintf(path, sizeof(path), "%s", file_in(f, a, "pk"));
	assert_int_equal(rename(path, file_in(f, "60000000deadbeef", "pk")), 0);
	CHECK_INT(sp_keyring_load(f->dir, false, &kr, &err), SP_EFORMAT);
	CHECK_CONTAINS(err.msg,
	    "60000000deadbeef.pk: the public key does "
	    "not match its id");
}

static void
symlinked_secret_is_refused(void **state)
{
	struct fixture *f = *state;
	struct sp_keyring *kr;
	struct sp_error err;
	char id[SP_KEYID_MAX], real[256];

	write_pair(f, 0x60000000, id);
	snprintf(real, sizeof(real), "%s/real", f->dir);
	assert_int_equal(rename(file_in(f, id, "sk"), real), 0);
	assert_int_equal(symlink(real, file_in(f, id, "sk")), 0);
	CHECK_INT(sp_keyring_load(f->dir, true, &kr, &err), SP_EIO);
	CHECK_CONTAINS(err.msg, file_in(f, id, "sk"));
}

static void
missing_or_empty_dir_is_a_clear_error(void **state)
{
	struct fixture *f = *state;
	struct sp_keyring *kr;
	struct sp_error err;
	char path[128];

	CHECK_INT(sp_keyring_load(f->dir, false, &kr, &err), SP_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "no key pair");
	CHECK_CONTAINS(err.msg, "sealpostctl keygen");
	snprintf(path, sizeof(path), "%s/nope", f->dir);
	CHECK_INT(sp_keyring_load(path, false, &kr, &err), SP_EIO);
	CHECK_CONTAINS(err.msg, "keys_dir");
	CHECK_CONTAINS(err.msg, "No such file");
}

static const struct {
	const char *id;
	bool valid;
} id_cases[] = {
	{ "5f3c1a2b9e8d7c6b", true },
	{ "5F3C1A2B9E8D7C6B", false },
	{ "5f3c1a2b9e8d7c6", false },
	{ "5f3c1a2b9e8d7c6bb", false },
	{ "5f3c1a2b9e8d7c6g", false },
	{ "../../etc/passwd", false },
};

static void
key_ids_are_sixteen_lowercase_hex(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++)
		CHECK_INT(sp_keys_id_valid(id_cases[i].id), id_cases[i].valid);
}

static const struct {
	const char *name;
	unsigned mode;
	int rc;
} dir_mode_cases[] = {
	{ "private dir accepted", 0700, SP_OK },
	{ "dir readable by all accepted", 0755, SP_OK },
	{ "group writable dir refused", 0775, SP_EPERM },
	{ "world writable dir refused", 0777, SP_EPERM },
	{ "sticky world writable dir refused", 01777, SP_EPERM },
};

/* Whoever may add files to keys_dir may add a newer pair, and the milter
 * would seal every message to it. */
static void
keys_dir_writable_by_others_is_refused(void **state)
{
	struct fixture *f = *state;
	struct sp_keyring *kr;
	struct sp_error err;
	char id[SP_KEYID_MAX], want[128];
	size_t i;
	int secret;

	write_pair(f, 0x60000000, id);
	for (i = 0; i < sizeof(dir_mode_cases) / sizeof(dir_mode_cases[0]);
	     i++) {
		for (secret = 0; secret < 2; secret++) {
			print_message("case: %s, secrets %d\n",
			    dir_mode_cases[i].name, secret);
			assert_int_equal(
			    chmod(f->dir, dir_mode_cases[i].mode), 0);
			kr = NULL;
			err.msg[0] = '\0';
			CHECK_INT(sp_keyring_load(f->dir, secret, &kr, &err),
			    dir_mode_cases[i].rc);
			sp_keyring_free(kr);
			if (dir_mode_cases[i].rc == SP_OK)
				continue;
			snprintf(want, sizeof(want), "keys_dir %s: mode %04o",
			    f->dir, dir_mode_cases[i].mode);
			CHECK_CONTAINS(err.msg, want);
		}
	}
	/* keygen refuses such a folder too, rather than make a pair the
	 * readers will refuse */
	assert_int_equal(chmod(f->dir, 0777), 0);
	CHECK_INT(
	    sp_keys_generate(f->dir, NULL, id, sizeof(id), &err), SP_EPERM);
	CHECK_CONTAINS(err.msg, "mode 0777");
	assert_int_equal(chmod(f->dir, 0700), 0);
}

static const struct {
	const char *name;
	unsigned mode;
	int rc;
} pk_mode_cases[] = {
	{ "0644 accepted", 0644, SP_OK },
	{ "0444 accepted", 0444, SP_OK },
	{ "group writable refused", 0664, SP_EPERM },
	{ "world writable refused", 0646, SP_EPERM },
};

/* A public key's id holds only 32 bits of its hash: a .pk that others
 * may rewrite could be swapped for one of theirs with the same id. */
static void
public_key_writable_by_others_is_refused(void **state)
{
	struct fixture *f = *state;
	struct sp_keyring *kr;
	struct sp_error err;
	char id[SP_KEYID_MAX];
	size_t i;

	write_pair(f, 0x60000000, id);
	for (i = 0; i < sizeof(pk_mode_cases) / sizeof(pk_mode_cases[0]); i++) {
		print_message("case: %s\n", pk_mode_cases[i].name);
		assert_int_equal(
		    chmod(file_in(f, id, "pk"), pk_mode_cases[i].mode), 0);
		kr = NULL;
		err.msg[0] = '\0';
		CHECK_INT(sp_keyring_load(f->dir, false, &kr, &err),
		    pk_mode_cases[i].rc);
		sp_keyring_free(kr);
		if (pk_mode_cases[i].rc != SP_OK) {
			CHECK_CONTAINS(err.msg, file_in(f, id, "pk"));
			CHECK_CONTAINS(err.msg, "chmod 644");
		}
	}
}

/* A FIFO (or any other non-file) named like a key is refused at once:
 * opening it must not wait for a writer that never comes.  The alarm
 * turns a hang into a failure. */
static void
fifo_in_place_of_a_key_is_refused(void **state)
{
	struct fixture *f = *state;
	struct sp_keyring *kr = NULL;
	struct sp_error err;
	char id[SP_KEYID_MAX];

	write_pair(f, 0x60000000, id);
	alarm(10);
	assert_int_equal(unlink(file_in(f, id, "sk")), 0);
	assert_int_equal(mkfifo(file_in(f, id, "sk"), 0600), 0);
	CHECK_INT(sp_keyring_load(f->dir, true, &kr, &err), SP_EPERM);
	CHECK_CONTAINS(err.msg, "not a regular file");

	assert_int_equal(unlink(file_in(f, id, "pk")), 0);
	assert_int_equal(mkfifo(file_in(f, id, "pk"), 0644), 0);
	CHECK_INT(sp_keyring_load(f->dir, false, &kr, &err), SP_EPERM);
	CHECK_CONTAINS(err.msg, file_in(f, id, "pk"));
	CHECK_CONTAINS(err.msg, "not a regular file");
	alarm(0);
	assert_null(kr);
}

static void
symlinked_public_key_is_refused(void **state)
{
	struct fixture *f = *state;
	struct sp_keyring *kr = NULL;
	struct sp_error err;
	char id[SP_KEYID_MAX], real[256];

	write_pair(f, 0x60000000, id);
	snprintf(real, sizeof(real), "%s/real", f->dir);
	assert_int_equal(rename(file_in(f, id, "pk"), real), 0);
	assert_int_equal(symlink(real, file_in(f, id, "pk")), 0);
	CHECK_INT(sp_keyring_load(f->dir, false, &kr, &err), SP_EIO);
	CHECK_CONTAINS(err.msg, file_in(f, id, "pk"));
	assert_null(kr);
}

static const struct {
	const char *name;
	size_t size;
} sk_size_cases[] = {
	{ "empty", 0 },
	{ "one byte short", 31 },
	{ "one byte long", 33 },
	{ "hex instead of raw", 64 },
};

static void
secret_key_of_wrong_size_is_refused(void **state)
{
	struct fixture *f = *state;
	struct sp_keyring *kr = NULL;
	struct sp_error err;
	char id[SP_KEYID_MAX];
	unsigned char junk[64];
	size_t i;
	int fd;

	memset(junk, 0x5a, sizeof(junk));
	write_pair(f, 0x60000000, id);
	for (i = 0; i < sizeof(sk_size_cases) / sizeof(sk_size_cases[0]); i++) {
		print_message("case: %s\n", sk_size_cases[i].name);
		fd = open(file_in(f, id, "sk"), O_WRONLY | O_TRUNC);
		assert_true(fd >= 0);
		assert_true(write(fd, junk, sk_size_cases[i].size) ==
		    (ssize_t)sk_size_cases[i].size);
		close(fd);
		CHECK_INT(sp_keyring_load(f->dir, true, &kr, &err), SP_EFORMAT);
		CHECK_CONTAINS(err.msg, "not a secret key (32 bytes)");
		assert_null(kr);
	}
}

/* A new pair is the newest even when it is made in the same second as
 * the last one, or after a pair dated ahead of the clock. */
static void
new_pair_is_always_the_newest(void **state)
{
	struct fixture *f = *state;
	struct sp_keyring *kr = NULL;
	struct sp_error err;
	char ahead[SP_KEYID_MAX], id[SP_KEYID_MAX];
	size_t i;

	write_pair(f, (uint32_t)time(NULL) + 100, ahead);
	for (i = 0; i < 3; i++) {
		CHECK_INT(sp_keys_generate(f->dir, NULL, id, sizeof(id), &err),
		    SP_OK);
		CHECK_INT(sp_keyring_load(f->dir, false, &kr, &err), SP_OK);
		CHECK_STR(sp_keyring_newest(kr)->id, id);
		CHECK_INT(kr->n, i + 2);
		sp_keyring_free(kr);
	}
	assert_true(strcmp(id, ahead) > 0);
}

static void
retire_moves_an_old_pair_out_of_the_ring(void **state)
{
	struct fixture *f = *state;
	struct sp_keyring *kr = NULL;
	struct sp_error err;
	char old[SP_KEYID_MAX], newer[SP_KEYID_MAX], path[256];

	write_pair(f, 0x60000000, old);
	write_pair(f, 0x60000100, newer);
	CHECK_INT(sp_keys_retire(f->dir, old, &err), SP_OK);
	snprintf(path, sizeof(path), "%s/retired", f->dir);
	CHECK_INT(mode_of(path), 0700);
	snprintf(path, sizeof(path), "%s/retired/%s.sk", f->dir, old);
	CHECK_INT(mode_of(path), 0600);
	snprintf(path, sizeof(path), "%s/retired/%s.pk", f->dir, old);
	CHECK_INT(mode_of(path), 0644);
	CHECK_INT(access(file_in(f, old, "pk"), F_OK), -1);
	CHECK_INT(access(file_in(f, old, "sk"), F_OK), -1);
	CHECK_INT(sp_keyring_load(f->dir, true, &kr, &err), SP_OK);
	CHECK_INT(kr->n, 1);
	CHECK_STR(kr->keys[0].id, newer);
	sp_keyring_free(kr);
}

static const struct {
	const char *name;
	const char *id; /* NULL: the newest pair */
	int want;
	const char *msg;
} retire_refusals[] = {
	{ "the newest pair", NULL, SP_EINVAL, "is the newest" },
	{ "no such pair", "6000000012345678", SP_ENOTFOUND, "no key" },
	{ "a path", "../../etc/passwd", SP_EINVAL, "not a key id" },
	{ "too short", "6000", SP_EINVAL, "not a key id" },
};

static void
retire_refuses_the_newest_and_unknown_ids(void **state)
{
	struct fixture *f = *state;
	struct sp_error err;
	char old[SP_KEYID_MAX], newer[SP_KEYID_MAX];
	size_t i;

	write_pair(f, 0x60000000, old);
	write_pair(f, 0x60000100, newer);
	for (i = 0; i < sizeof(retire_refusals) / sizeof(retire_refusals[0]);
	     i++) {
		const char *id = retire_refusals[i].id;

		print_message("case: %s\n", retire_refusals[i].name);
		CHECK_INT(sp_keys_retire(f->dir, id ? id : newer, &err),
		    retire_refusals[i].want);
		CHECK_CONTAINS(err.msg, retire_refusals[i].msg);
	}
	CHECK_INT(entries(f->dir), 4);
}

static void
retire_refuses_an_open_retired_dir(void **state)
{
	struct fixture *f = *state;
	struct sp_error err;
	char old[SP_KEYID_MAX], newer[SP_KEYID_MAX], path[256];

	write_pair(f, 0x60000000, old);
	write_pair(f, 0x60000100, newer);
	snprintf(path, sizeof(path), "%s/retired", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chmod(path, 0755), 0);
	CHECK_INT(sp_keys_retire(f->dir, old, &err), SP_EPERM);
	CHECK_CONTAINS(err.msg, "mode 0755");
	CHECK_INT(mode_of(file_in(f, old, "sk")), 0600);
}

static void
secret_is_made_once_and_read_back(void **state)
{
	struct fixture *f = *state;
	struct sp_error err;
	unsigned char got[32], want[32];
	char path[256];
	int fd;

	CHECK_INT(
	    sp_keys_secret_create(f->dir, "s.secret", NULL, NULL, 32, &err),
	    SP_OK);
	snprintf(path, sizeof(path), "%s/s.secret", f->dir);
	CHECK_INT(mode_of(path), 0600);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_true(read(fd, want, sizeof(want)) == 32);
	close(fd);
	CHECK_INT(sp_keys_secret_read(f->dir, "s.secret", NULL, got, 32, &err),
	    SP_OK);
	CHECK_MEM(got, 32, want, 32);
	/* never replaced */
	CHECK_INT(
	    sp_keys_secret_create(f->dir, "s.secret", NULL, NULL, 32, &err),
	    SP_EEXIST);
	CHECK_INT(sp_keys_secret_read(f->dir, "s.secret", NULL, got, 32, &err),
	    SP_OK);
	CHECK_MEM(got, 32, want, 32);
	CHECK_INT(sp_keys_secret_read(f->dir, "none", NULL, got, 32, &err),
	    SP_ENOTFOUND);
}

static void
secret_for_the_group_and_the_portal_user(void **state)
{
	struct fixture *f = *state;
	struct group *gr = getgrgid(getgid());
	struct passwd *pw = getpwnam("nobody");
	struct sp_error err;
	unsigned char buf[32];
	char path[256];
	struct stat st;

	assert_non_null(gr);
	CHECK_INT(sp_keys_secret_create(
	              f->dir, "g.secret", NULL, gr->gr_name, 32, &err),
	    SP_OK);
	snprintf(path, sizeof(path), "%s/g.secret", f->dir);
	CHECK_INT(mode_of(path), 0640);
	CHECK_INT(
	    sp_keys_secret_read(f->dir, "g.secret", gr->gr_name, buf, 32, &err),
	    SP_OK);
	CHECK_INT(sp_keys_secret_read(f->dir, "g.secret", NULL, buf, 32, &err),
	    SP_EPERM);
	CHECK_CONTAINS(err.msg, "mode 0640");
	/* an unknown group is not a missing file (that would be made) */
	CHECK_INT(sp_keys_secret_read(
	              f->dir, "g.secret", "no-such-group-sp", buf, 32, &err),
	    SP_EINVAL);
	CHECK_CONTAINS(err.msg, "no-such-group-sp");
	if (getuid() != 0 || pw == NULL)
		return;
	CHECK_INT(
	    sp_keys_secret_create(f->dir, "o.secret", "nobody", NULL, 32, &err),
	    SP_OK);
	snprintf(path, sizeof(path), "%s/o.secret", f->dir);
	assert_int_equal(stat(path, &st), 0);
	CHECK_INT(st.st_uid, pw->pw_uid);
	CHECK_INT(st.st_mode & 07777, 0600);
}

/* How a secret file is spoiled before it is read. */
enum spoil { SPOIL_MODE, SPOIL_FIFO, SPOIL_LINK, SPOIL_SIZE };

static const struct {
	const char *name;
	enum spoil how;
	unsigned mode;
	int want;
	const char *msg;
} secret_refusals[] = {
	{ "readable by others", SPOIL_MODE, 0644, SP_EPERM, "mode 0644" },
	{ "writable by others", SPOIL_MODE, 0602, SP_EPERM, "mode 0602" },
	{ "group without keys_group", SPOIL_MODE, 0640, SP_EPERM,
	    "no keys_group" },
	{ "a FIFO", SPOIL_FIFO, 0600, SP_EPERM, "not a regular file" },
	{ "a symbolic link", SPOIL_LINK, 0600, SP_EIO, "s.secret" },
	{ "a wrong size", SPOIL_SIZE, 0600, SP_EFORMAT, "32 bytes" },
};

static void
spoil_secret(const struct fixture *f, enum spoil how, unsigned mode)
{
	char path[256], real[256];
	int fd;

	snprintf(path, sizeof(path), "%s/s.secret", f->dir);
	snprintf(real, sizeof(real), "%s/real", f->dir);
	unlink(path);
	unlink(real);
	if (how == SPOIL_FIFO) {
		assert_int_equal(mkfifo(path, mode), 0);
		return;
	}
	fd = open(how == SPOIL_LINK ? real : path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_true(write(fd, "0123456789abcdef0123456789abcdef!",
	                how == SPOIL_SIZE ? 33 : 32) > 0);
	close(fd);
	assert_int_equal(chmod(how == SPOIL_LINK ? real : path, mode), 0);
	if (how == SPOIL_LINK)
		assert_int_equal(symlink(real, path), 0);
}

static void
spoiled_secret_is_refused(void **state)
{
	struct fixture *f = *state;
	struct sp_error err;
	unsigned char buf[32];
	size_t i;

	alarm(10); /* a FIFO must not make the read wait */
	for (i = 0; i < sizeof(secret_refusals) / sizeof(secret_refusals[0]);
	     i++) {
		print_message("case: %s\n", secret_refusals[i].name);
		spoil_secret(
		    f, secret_refusals[i].how, secret_refusals[i].mode);
		sp_error_clear(&err);
		CHECK_INT(sp_keys_secret_read(
		              f->dir, "s.secret", NULL, buf, 32, &err),
		    secret_refusals[i].want);
		CHECK_CONTAINS(err.msg, secret_refusals[i].msg);
	}
	alarm(0);
	spoil_secret(f, SPOIL_MODE, 0600);
	CHECK_INT(sp_keys_secret_read(f->dir, "s.secret", NULL, buf, 32, &err),
	    SP_OK);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(generate_writes_pk_and_private_sk),
		T(generate_creates_a_missing_dir),
		T(root_can_give_the_secret_to_the_portal_user),
		T(public_only_load_reads_no_secret),
		T(secret_key_modes_are_checked),
		T(keys_group_may_read_the_secret),
		T(newest_seals_and_every_pair_opens),
		T(mismatched_files_are_refused),
		T(symlinked_secret_is_refused),
		T(missing_or_empty_dir_is_a_clear_error),
		T(keys_dir_writable_by_others_is_refused),
		T(public_key_writable_by_others_is_refused),
		T(fifo_in_place_of_a_key_is_refused),
		T(symlinked_public_key_is_refused),
		T(secret_key_of_wrong_size_is_refused),
		T(new_pair_is_always_the_newest),
		T(retire_moves_an_old_pair_out_of_the_ring),
		T(retire_refuses_the_newest_and_unknown_ids),
		T(retire_refuses_an_open_retired_dir),
		T(secret_is_made_once_and_read_back),
		T(secret_for_the_group_and_the_portal_user),
		T(spoiled_secret_is_refused),
		cmocka_unit_test(key_ids_are_sixteen_lowercase_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
