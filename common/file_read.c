/* SPDX-License-Identifier: MIT */
/* sp_file: see sp_file.h. */
#include "sp_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
check_stat(
    const char *path, const struct stat *st, size_t max, struct sp_error *err)
{
	if (!S_ISREG(st->st_mode))
		return sp_error_set(
		    err, SP_EIO, "%s: not a regular file", path);
	if ((unsigned long long)st->st_size > (unsigned long long)max)
		return sp_error_set(
		    err, SP_ETOOBIG, "%s: larger than %zu bytes", path, max);
	if ((st->st_mode & S_IWOTH) != 0)
		return sp_error_set(err, SP_ECONFIG,
		    "%s: writable by every user, refused (chmod o-w)", path);
	return SP_OK;
}

static int
read_all(int fd, const char *path, char *buf, size_t want, struct sp_error *err)
{
	size_t got = 0;
	ssize_t n;

	while (got < want) {
		n = read(fd, buf + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sp_error_set(err, SP_EIO, "%s: cannot read: %s",
			    path, strerror(errno));
		if (n == 0)
			return sp_error_set(
			    err, SP_EIO, "%s: changed while being read", path);
		got += (size_t)n;
	}
	return SP_OK;
}

int
sp_file_read_admin(
    const char *path, size_t max, char **buf, size_t *len, struct sp_error *err)
{
	struct stat st;
	size_t size;
	int fd, rc;

	*buf = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO is refused after fstat rather than waited on */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return sp_error_set(
		    err, SP_EIO, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = sp_error_set(
		    err, SP_EIO, "%s: cannot stat: %s", path, strerror(errno));
		goto out;
	}
	rc = check_stat(path, &st, max, err);
	if (rc != SP_OK)
		goto out;
	size = (size_t)st.st_size;
	*buf = malloc(size + 1);
	if (*buf == NULL) {
		rc = sp_error_set(err, SP_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	rc = read_all(fd, path, *buf, size, err);
	if (rc != SP_OK)
		goto out;
	(*buf)[size] = '\0';
	*len = size;
out:
	close(fd);
	if (rc != SP_OK) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}
