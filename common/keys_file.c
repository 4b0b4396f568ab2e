/* SPDX-License-Identifier: MIT */
/*
 * keys_file: the key pairs in keys_dir, written and read (see sp_keys.h).
 *
 * Writing: each file goes to a hidden temporary name, is fsync'd, then
 * hard-linked to its final name (link() fails rather than replace an
 * existing file), and the directory is fsync'd.  The .sk is written first.
 *
 * Reading: keys_dir is opened once and its mode checked on the open
 * descriptor; every file below is opened relative to it, without
 * following links or waiting on a FIFO, and checked on its own
 * descriptor.  Every KEYID.pk is read and checked against its id; with
 * secrets, every KEYID.sk has its owner and mode checked, then is read
 * into sodium_malloc memory and checked against the public key.
 */
#include "sp_keys.h"
#include "sp_keycache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ID_HEX      16
#define PK_FILE_MAX 256 /* hex, a newline, some slack */

bool
sp_keys_id_valid(const char *s)
{
	size_t i;

	for (i = 0; i < ID_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[ID_HEX] == '\0';
}

/* The last 8 hex characters of an id: a hash of the public key. */
static void
pk_tag(const unsigned char pk[SP_PK_BYTES], char out[9])
{
	unsigned char h[crypto_generichash_BYTES_MIN];

	crypto_generichash(h, sizeof(h), pk, SP_PK_BYTES, NULL, 0);
	sodium_bin2hex(out, 9, h, 4);
}

static void
make_id(
    const unsigned char pk[SP_PK_BYTES], int64_t created, char id[SP_KEYID_MAX])
{
	char tag[9];

	pk_tag(pk, tag);
	snprintf(id, SP_KEYID_MAX, "%08" PRIx32 "%s", (uint32_t)created, tag);
}

static int
gid_of(const char *group, gid_t *gid, struct sp_error *err)
{
	struct group gr, *res = NULL;
	char buf[16384];
	int e;

	e = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
	if (res == NULL)
		return sp_error_set(err, SP_ENOTFOUND, "group %s: %s", group,
		    e != 0 ? strerror(e) : "no such group");
	*gid = gr.gr_gid;
	return SP_OK;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes dir/name with mode (and owner uid, group gid, unless -1), never
 * replacing an existing file. */
static int
write_new_file(const char *dir, const char *name, const void *data, size_t len,
    mode_t mode, uid_t uid, gid_t gid, struct sp_error *err)
{
	char tmp[4096], final[4096];
	int fd, rc = SP_EIO;

	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name);
	snprintf(final, sizeof(final), "%s/%s", dir, name);
	fd = mkstemp(tmp);
	if (fd < 0)
		return sp_error_set(
		    err, SP_EIO, "%s: cannot create: %s", tmp, strerror(errno));
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    fchown(fd, uid, gid) != 0) {
		sp_error_set(err, SP_EPERM,
		    "%s: cannot give it to uid %d gid %d: %s", final, (int)uid,
		    (int)gid, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
		sp_error_set(
		    err, SP_EIO, "%s: cannot write: %s", tmp, strerror(errno));
		goto out;
	}
	if (link(tmp, final) != 0) {
		rc = errno == EEXIST ? SP_EEXIST : SP_EIO;
		sp_error_set(err, rc, "%s: %s", final, strerror(errno));
		goto out;
	}
	rc = SP_OK;
out:
	close(fd);
	unlink(tmp);
	return rc;
}

static int
sync_dir(const char *dir, struct sp_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) != 0) {
		if (fd >= 0)
			close(fd);
		return sp_error_set(
		    err, SP_EIO, "%s: cannot sync: %s", dir, strerror(errno));
	}
	close(fd);
	return SP_OK;
}

/* Whoever may add a file to keys_dir may add a newer pair that the
 * milter would seal to; the sticky bit does not stop that. */
static int
dir_mode_ok(const char *dir, const struct stat *st, struct sp_error *err)
{
	unsigned mode = (unsigned)st->st_mode & 07777;

	if ((mode & 0022) != 0)
		return sp_error_set(err, SP_EPERM,
		    "keys_dir %s: mode %04o lets others add a key pair "
		    "(chmod go-w)",
		    dir, mode);
	return SP_OK;
}

static int
ensure_dir(const char *dir, struct sp_error *err)
{
	struct stat st;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return sp_error_set(
		    err, SP_EIO, "%s: cannot create: %s", dir, strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return sp_error_set(err, SP_EIO, "%s: not a directory", dir);
	return dir_mode_ok(dir, &st, err);
}

/* The uid of owner and gid of group; -1 for those that are NULL. */
static int
owner_ids(const char *owner, const char *group, uid_t *uid, gid_t *gid,
    struct sp_error *err)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	int e;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (group != NULL && (e = gid_of(group, gid, err)) != SP_OK)
		return e;
	if (owner == NULL)
		return SP_OK;
	e = getpwnam_r(owner, &pw, buf, sizeof(buf), &res);
	if (res == NULL)
		return sp_error_set(err, SP_ENOTFOUND, "user %s: %s", owner,
		    e != 0 ? strerror(e) : "no such user");
	*uid = pw.pw_uid;
	return SP_OK;
}

/* Whether fname is KEYID.pk with a valid KEYID, which goes to id. */
static bool
pk_file_id(const char *fname, char id[ID_HEX + 1])
{
	if (strlen(fname) != ID_HEX + 3 || strcmp(fname + ID_HEX, ".pk") != 0)
		return false;
	memcpy(id, fname, ID_HEX);
	id[ID_HEX] = '\0';
	return sp_keys_id_valid(id);
}

/* The creation time a valid id starts with (8 hex digits). */
static int64_t
id_created(const char *id)
{
	char stamp[9];

	memcpy(stamp, id, 8);
	stamp[8] = '\0';
	return (int64_t)strtoul(stamp, NULL, 16);
}

/* The creation time of the newest pair in dir (0 when none), so that a
 * new pair can be dated after it. */
static int64_t
newest_created(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int64_t newest = 0, t;
	char id[ID_HEX + 1];

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (!pk_file_id(e->d_name, id))
			continue;
		t = id_created(id);
		if (t > newest)
			newest = t;
	}
	closedir(d);
	return newest;
}

/* A secret file about to be made: who gets it, its mode, and its bytes
 * in secure memory. */
struct new_secret {
	uid_t uid;          /* (uid_t)-1: no owner given */
	gid_t gid;          /* (gid_t)-1: none given */
	mode_t mode;        /* 0640 with a group, else 0600 */
	unsigned char *mem; /* len bytes of sodium_malloc memory */
};

/* What making a secret file in dir takes first: libsodium, the ids of
 * owner and group (either may be NULL), dir itself, and len bytes of
 * secure memory, which the caller fills and frees with sodium_free. */
static int
new_secret_init(const char *dir, const char *owner, const char *group,
    size_t len, struct new_secret *ns, struct sp_error *err)
{
	int rc;

	if (sodium_init() < 0)
		return sp_error_set(err, SP_EIO, "libsodium failed to start");
	if ((rc = owner_ids(owner, group, &ns->uid, &ns->gid, err)) != SP_OK ||
	    (rc = ensure_dir(dir, err)) != SP_OK)
		return rc;
	ns->mode = group != NULL ? 0640 : 0600;
	ns->mem = sodium_malloc(len);
	if (ns->mem == NULL)
		return sp_error_set(err, SP_ENOMEM, "out of secure memory");
	return SP_OK;
}

int
sp_keys_generate(const char *dir, const char *group, char *id_out,
    size_t id_cap, struct sp_error *err)
{
	return sp_keys_generate_owned(dir, NULL, group, id_out, id_cap, err);
}

int
sp_keys_generate_owned(const char *dir, const char *owner, const char *group,
    char *id_out, size_t id_cap, struct sp_error *err)
{
	unsigned char pk[SP_PK_BYTES];
	char id[SP_KEYID_MAX], name[SP_KEYID_MAX + 4];
	char hex[2 * SP_PK_BYTES + 2], path[4096];
	int64_t created = (int64_t)time(NULL), newest;
	struct new_secret sk;
	int rc;

	rc = new_secret_init(dir, owner, group, SP_SK_BYTES, &sk, err);
	if (rc != SP_OK)
		return rc;
	crypto_box_keypair(pk, sk.mem);
	newest = newest_created(dir);
	/* the new pair must sort first, even within the same second */
	if (created <= newest)
		created = newest + 1;
	make_id(pk, created, id);

	snprintf(name, sizeof(name), "%s.sk", id);
	rc = write_new_file(
	    dir, name, sk.mem, SP_SK_BYTES, sk.mode, sk.uid, sk.gid, err);
	if (rc != SP_OK)
		goto out;
	sodium_bin2hex(hex, sizeof(hex), pk, SP_PK_BYTES);
	hex[2 * SP_PK_BYTES] = '\n';
	snprintf(name, sizeof(name), "%s.pk", id);
	rc = write_new_file(dir, name, hex, 2 * SP_PK_BYTES + 1, 0644,
	    (uid_t)-1, (gid_t)-1, err);
	if (rc != SP_OK) {
		/* the .sk just made is ours: no secret without its .pk */
		snprintf(path, sizeof(path), "%s/%s.sk", dir, id);
		unlink(path);
		goto out;
	}
	rc = sync_dir(dir, err);
	if (rc == SP_OK)
		snprintf(id_out, id_cap, "%s", id);
out:
	sodium_free(sk.mem);
	return rc;
}

/* Reads a small file whole; *len gets its size. */
static int
read_small(int fd, unsigned char *buf, size_t cap, size_t *len)
{
	ssize_t n;

	*len = 0;
	while (*len < cap) {
		n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

/* 32 raw bytes, or 64 hex characters and optional trailing white space. */
static int
decode_pk(const unsigned char *buf, size_t len, unsigned char pk[SP_PK_BYTES])
{
	size_t bin_len = 0;

	if (len == SP_PK_BYTES) {
		memcpy(pk, buf, SP_PK_BYTES);
		return SP_OK;
	}
	while (len > 2 * SP_PK_BYTES &&
	    (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	        buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (len != 2 * SP_PK_BYTES ||
	    sodium_hex2bin(pk, SP_PK_BYTES, (const char *)buf, len, NULL,
	        &bin_len, NULL) != 0 ||
	    bin_len != SP_PK_BYTES)
		return SP_EFORMAT;
	return SP_OK;
}

/* Opens name in keys_dir (dfd) without following a link or waiting on
 * a FIFO; fails unless it is a regular file.  path and what ("the public
 * key") are for messages.  Returns the descriptor or a negative SP_E*. */
static int
open_key_file(int dfd, const char *name, const char *path, const char *what,
    struct stat *st, struct sp_error *err)
{
	int fd =
	    openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0)
		return sp_error_set(err,
		    errno == ENOENT ? SP_ENOTFOUND : SP_EIO,
		    "%s: cannot open %s: %s", path, what, strerror(errno));
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return sp_error_set(
		    err, SP_EPERM, "%s: not a regular file", path);
	}
	return fd;
}

static int
load_pk(int dfd, const char *dir, struct sp_keypair *kp, struct sp_error *err)
{
	unsigned char buf[PK_FILE_MAX];
	char path[4096], name[SP_KEYID_MAX + 4], tag[9];
	struct stat st;
	size_t len = 0;
	int fd, rc = SP_OK;

	snprintf(name, sizeof(name), "%s.pk", kp->id);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open_key_file(dfd, name, path, "the public key", &st, err);
	if (fd < 0)
		return fd;
	if ((st.st_mode & 0022) != 0)
		rc = sp_error_set(err, SP_EPERM,
		    "%s: mode %04o lets others replace the public key "
		    "(chmod 644)",
		    path, (unsigned)st.st_mode & 07777);
	else if (read_small(fd, buf, sizeof(buf), &len) != 0)
		rc = sp_error_set(
		    err, SP_EIO, "%s: cannot read: %s", path, strerror(errno));
	else if (decode_pk(buf, len, kp->pk) != SP_OK)
		rc = sp_error_set(err, SP_EFORMAT,
		    "%s: not a public key (64 hex characters)", path);
	close(fd);
	if (rc != SP_OK)
		return rc;
	pk_tag(kp->pk, tag);
	if (strcmp(tag, kp->id + 8) != 0)
		return sp_error_set(err, SP_EFORMAT,
		    "%s: the public key does not match its id", path);
	kp->created = id_created(kp->id);
	return SP_OK;
}

/* Whether the open .sk may be trusted; gid is -1 when no group may read. */
static int
check_sk_file(const struct stat *st, const char *path, gid_t gid, size_t len,
    struct sp_error *err)
{
	unsigned mode = (unsigned)st->st_mode & 07777;

	if (st->st_uid != geteuid() && st->st_uid != 0 && geteuid() != 0)
		return sp_error_set(err, SP_EPERM,
		    "%s: owned by uid %u, neither this user nor root", path,
		    (unsigned)st->st_uid);
	if (mode & 0007)
		return sp_error_set(err, SP_EPERM,
		    "%s: mode %04o lets others use the secret key (chmod 600)",
		    path, mode);
	if ((mode & 0070) != 0 && gid == (gid_t)-1)
		return sp_error_set(err, SP_EPERM,
		    "%s: mode %04o lets the group read the secret key and no "
		    "keys_group is set (chmod 600)",
		    path, mode);
	if ((mode & 0030) != 0 || ((mode & 0070) != 0 && st->st_gid != gid))
		return sp_error_set(err, SP_EPERM,
		    "%s: mode %04o group %u: only keys_group (gid %u) may "
		    "read it, and only read (chmod 640)",
		    path, mode, (unsigned)st->st_gid, (unsigned)gid);
	if (st->st_size != (off_t)len)
		return sp_error_set(err, SP_EFORMAT,
		    "%s: not a secret key (%zu bytes)", path, len);
	return SP_OK;
}

static int
load_sk(int dfd, const char *dir, struct sp_keypair *kp, gid_t gid,
    struct sp_error *err)
{
	unsigned char check[SP_PK_BYTES];
	char path[4096], name[SP_KEYID_MAX + 4];
	struct stat st;
	size_t len = 0;
	int fd, rc;

	snprintf(name, sizeof(name), "%s.sk", kp->id);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open_key_file(dfd, name, path, "the secret key", &st, err);
	if (fd < 0)
		return fd;
	rc = check_sk_file(&st, path, gid, SP_SK_BYTES, err);
	if (rc != SP_OK)
		goto out;
	kp->sk = sodium_malloc(SP_SK_BYTES + 1);
	if (kp->sk == NULL) {
		rc = sp_error_set(err, SP_ENOMEM, "out of secure memory");
		goto out;
	}
	if (read_small(fd, kp->sk, SP_SK_BYTES + 1, &len) != 0 ||
	    len != SP_SK_BYTES) {
		rc = sp_error_set(err, SP_EFORMAT, "%s: cannot read %d bytes",
		    path, SP_SK_BYTES);
		goto out;
	}
	crypto_scalarmult_base(check, kp->sk);
	if (sodium_memcmp(check, kp->pk, SP_PK_BYTES) != 0)
		rc = sp_error_set(err, SP_EFORMAT,
		    "%s: the secret key does not match %s.pk", path, kp->id);
out:
	close(fd);
	return rc;
}

static int
by_id_newest_first(const void *a, const void *b)
{
	return -strcmp(((const struct sp_keypair *)a)->id,
	    ((const struct sp_keypair *)b)->id);
}

/* Fills kr with one entry per KEYID.pk in dir, newest first. */
static int
list_pairs(
    int dfd, const char *dir, struct sp_keyring *kr, struct sp_error *err)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	size_t cap = 0;

	if (d == NULL) {
		sp_error_set(
		    err, SP_EIO, "keys_dir %s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return SP_EIO;
	}
	while ((e = readdir(d)) != NULL) {
		char id[ID_HEX + 1];

		if (!pk_file_id(e->d_name, id))
			continue;
		if (kr->n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct sp_keypair *nk =
			    realloc(kr->keys, ncap * sizeof(*nk));

			if (nk == NULL) {
				closedir(d);
				return sp_error_set(
				    err, SP_ENOMEM, "out of memory");
			}
			kr->keys = nk;
			cap = ncap;
		}
		memset(&kr->keys[kr->n], 0, sizeof(kr->keys[0]));
		memcpy(kr->keys[kr->n++].id, id, ID_HEX + 1);
	}
	closedir(d);
	if (kr->n == 0)
		return sp_error_set(err, SP_ENOTFOUND,
		    "keys_dir %s: no key pair (KEYID.pk); create one with "
		    "sealpostctl keygen",
		    dir);
	qsort(kr->keys, kr->n, sizeof(kr->keys[0]), by_id_newest_first);
	return SP_OK;
}

/* Opens keys_dir once, so that every file below is read from the folder
 * that was checked. */
static int
open_keys_dir(const char *dir, int *dfd, struct sp_error *err)
{
	struct stat st;
	int rc;

	*dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dfd < 0 || fstat(*dfd, &st) != 0)
		rc = sp_error_set(
		    err, SP_EIO, "keys_dir %s: %s", dir, strerror(errno));
	else
		rc = dir_mode_ok(dir, &st, err);
	if (rc != SP_OK && *dfd >= 0) {
		close(*dfd);
		*dfd = -1;
	}
	return rc;
}

/* Loads the public key of every pair listed in kr, and the secret key
 * when with_secret. */
static int
load_pairs(int dfd, const char *dir, struct sp_keyring *kr, bool with_secret,
    gid_t gid, struct sp_error *err)
{
	struct stat st;
	char name[SP_KEYID_MAX + 4];
	size_t i;
	int rc = SP_OK;

	for (i = 0; rc == SP_OK && i < kr->n; i++) {
		struct sp_keypair *kp = &kr->keys[i];

		rc = load_pk(dfd, dir, kp, err);
		snprintf(name, sizeof(name), "%s.sk", kp->id);
		kp->sk_present = fstatat(dfd, name, &st, 0) == 0;
		if (rc == SP_OK && with_secret)
			rc = load_sk(dfd, dir, kp, gid, err);
	}
	return rc;
}

int
sp_keyring_load_group(const char *dir, bool with_secret, const char *group,
    struct sp_keyring **out, struct sp_error *err)
{
	struct sp_keyring *kr = NULL;
	gid_t gid = (gid_t)-1;
	int dfd = -1, rc;

	*out = NULL;
	if (sodium_init() < 0)
		return sp_error_set(err, SP_EIO, "libsodium failed to start");
	if (with_secret && group != NULL &&
	    (rc = gid_of(group, &gid, err)) != SP_OK)
		return rc;
	if ((rc = open_keys_dir(dir, &dfd, err)) != SP_OK)
		return rc;
	kr = calloc(1, sizeof(*kr));
	if (kr == NULL) {
		rc = sp_error_set(err, SP_ENOMEM, "out of memory");
		goto out;
	}
	rc = list_pairs(dfd, dir, kr, err);
	if (rc == SP_OK)
		rc = load_pairs(dfd, dir, kr, with_secret, gid, err);
out:
	close(dfd);
	if (rc != SP_OK) {
		sp_keyring_free(kr);
		return rc;
	}
	*out = kr;
	return SP_OK;
}

int
sp_keyring_load(const char *dir, bool with_secret, struct sp_keyring **out,
    struct sp_error *err)
{
	return sp_keyring_load_group(dir, with_secret, NULL, out, err);
}

void
sp_keyring_free(struct sp_keyring *kr)
{
	size_t i;

	if (kr == NULL)
		return;
	sp_keycache_free(kr->msgkeys);
	for (i = 0; i < kr->n; i++)
		sodium_free(kr->keys[i].sk);
	free(kr->keys);
	free(kr);
}

const struct sp_keypair *
sp_keyring_newest(const struct sp_keyring *kr)
{
	return kr != NULL && kr->n > 0 ? &kr->keys[0] : NULL;
}

const struct sp_keypair *
sp_keyring_find(const struct sp_keyring *kr, const char *id)
{
	size_t i;

	for (i = 0; kr != NULL && id != NULL && i < kr->n; i++)
		if (strcmp(kr->keys[i].id, id) == 0)
			return &kr->keys[i];
	return NULL;
}

int
sp_keys_secret_create(const char *dir, const char *name, const char *owner,
    const char *group, size_t len, struct sp_error *err)
{
	struct new_secret fresh;
	int rc;

	rc = new_secret_init(dir, owner, group, len, &fresh, err);
	if (rc != SP_OK)
		return rc;
	randombytes_buf(fresh.mem, len);
	rc = write_new_file(
	    dir, name, fresh.mem, len, fresh.mode, fresh.uid, fresh.gid, err);
	sodium_free(fresh.mem);
	if (rc == SP_OK)
		rc = sync_dir(dir, err);
	return rc;
}

int
sp_keys_secret_read(const char *dir, const char *name, const char *group,
    unsigned char *buf, size_t len, struct sp_error *err)
{
	char path[4096];
	struct stat st;
	gid_t gid = (gid_t)-1;
	size_t got = 0;
	int dfd = -1, fd = -1, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	/* SP_ENOTFOUND is kept for a missing file */
	if (group != NULL && gid_of(group, &gid, err) != SP_OK)
		return sp_error_set(
		    err, SP_EINVAL, "keys_group %s: no such group", group);
	if ((rc = open_keys_dir(dir, &dfd, err)) != SP_OK)
		return rc;
	fd = open_key_file(dfd, name, path, "the secret", &st, err);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	rc = check_sk_file(&st, path, gid, len, err);
	if (rc == SP_OK && (read_small(fd, buf, len, &got) != 0 || got != len))
		rc = sp_error_set(
		    err, SP_EFORMAT, "%s: cannot read %zu bytes", path, len);
out:
	if (fd >= 0)
		close(fd);
	close(dfd);
	return rc;
}

/* Moves dir/name to dir/retired/name without replacing a file there. */
static int
move_to_retired(const char *dir, const char *name, struct sp_error *err)
{
	char from[4096], to[4096];

	snprintf(from, sizeof(from), "%s/%s", dir, name);
	snprintf(to, sizeof(to), "%s/retired/%s", dir, name);
	if (link(from, to) != 0)
		return sp_error_set(err,
		    errno == EEXIST       ? SP_EEXIST
		        : errno == ENOENT ? SP_ENOTFOUND
		                          : SP_EIO,
		    "%s: cannot move to %s: %s", from, to, strerror(errno));
	if (unlink(from) != 0)
		return sp_error_set(err, SP_EIO, "%s: cannot remove: %s", from,
		    strerror(errno));
	return SP_OK;
}

/* keys_dir/retired, made 0700 when missing; must be a folder of ours
 * that no one else can read. */
static int
ensure_retired_dir(
    const char *dir, char *rdir, size_t cap, struct sp_error *err)
{
	struct stat st;

	snprintf(rdir, cap, "%s/retired", dir);
	if (mkdir(rdir, 0700) != 0 && errno != EEXIST)
		return sp_error_set(err, SP_EIO, "%s: cannot create: %s", rdir,
		    strerror(errno));
	if (lstat(rdir, &st) != 0 || !S_ISDIR(st.st_mode))
		return sp_error_set(err, SP_EIO, "%s: not a directory", rdir);
	if ((st.st_mode & 0077) != 0)
		return sp_error_set(err, SP_EPERM,
		    "%s: mode %04o lets others reach retired keys (chmod 700)",
		    rdir, (unsigned)st.st_mode & 07777);
	return SP_OK;
}

int
sp_keys_retire(const char *dir, const char *id, struct sp_error *err)
{
	struct sp_keyring *kr = NULL;
	char rdir[4096], name[SP_KEYID_MAX + 4];
	int rc;

	if (!sp_keys_id_valid(id))
		return sp_error_set(err, SP_EINVAL, "not a key id: %s", id);
	if ((rc = sp_keyring_load(dir, false, &kr, err)) != SP_OK)
		return rc;
	if (sp_keyring_find(kr, id) == NULL)
		rc =
		    sp_error_set(err, SP_ENOTFOUND, "no key %s in %s", id, dir);
	else if (strcmp(sp_keyring_newest(kr)->id, id) == 0)
		rc = sp_error_set(err, SP_EINVAL,
		    "key %s is the newest: it seals new mail (make a new "
		    "one with keygen --rotate first)",
		    id);
	sp_keyring_free(kr);
	if (rc != SP_OK ||
	    (rc = ensure_retired_dir(dir, rdir, sizeof(rdir), err)) != SP_OK)
		return rc;
	/* the .pk first: a .sk without its .pk is ignored, the reverse is
	 * an error for the portal */
	snprintf(name, sizeof(name), "%s.pk", id);
	if ((rc = move_to_retired(dir, name, err)) != SP_OK)
		return rc;
	snprintf(name, sizeof(name), "%s.sk", id);
	rc = move_to_retired(dir, name, err);
	if (rc == SP_ENOTFOUND) /* a public-only pair */
		rc = SP_OK;
	if (rc == SP_OK && (rc = sync_dir(rdir, err)) == SP_OK)
		rc = sync_dir(dir, err);
	return rc;
}
