/* SPDX-License-Identifier: MIT */
/*
 * template_cache: sp_template_render_cached() (sp_template.h), templates
 * kept in memory per process instead of read from disk for every render.
 *
 * Up to TCACHE_MAX templates (dir, name) are held.  A held template is
 * used as is within the second (of CLOCK_MONOTONIC_COARSE, read without a
 * system call) it was last checked in; after that the next call stats
 * the file and reads it again when its device, inode, size, modification
 * or change time differ from what was read.  So an edited or removed
 * template shows within about a second, and a busy portal makes one stat
 * per template a second instead of open, fstat, read and close per
 * render.  When the cache is full the oldest entry is replaced.  A
 * mutex guards the cache, so threads may share it; rendering runs under
 * it (rendering is quick and touches only its arguments).
 */
#include "sp_template.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TCACHE_MAX 32

struct tcache_entry {
	char *path; /* dir/name; NULL: slot unused */
	char *text;
	size_t len;
	struct stat st;
	time_t checked; /* coarse monotonic second of the last stat */
};

static pthread_mutex_t tcache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tcache_entry tcache[TCACHE_MAX];
static size_t tcache_next; /* slot to replace when full */

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static struct tcache_entry *
tcache_slot(const char *path)
{
	struct tcache_entry *e;
	size_t i;

	for (i = 0; i < TCACHE_MAX; i++)
		if (tcache[i].path != NULL && strcmp(tcache[i].path, path) == 0)
			return &tcache[i];
	for (i = 0; i < TCACHE_MAX; i++)
		if (tcache[i].path == NULL)
			return &tcache[i];
	e = &tcache[tcache_next];
	tcache_next = (tcache_next + 1) % TCACHE_MAX;
	return e;
}

static void
tcache_drop(struct tcache_entry *e)
{
	free(e->path);
	free(e->text);
	memset(e, 0, sizeof(*e));
}

/* Points *e at a fresh copy of dir/name (path its joined name). */
static int
tcache_get(const char *dir, const char *name, const char *path,
    struct tcache_entry **e, struct sp_error *err)
{
	struct stat st;
	char *text, *copy;
	size_t len;
	int rc;

	struct timespec now;
	bool held;

	memset(&st, 0, sizeof(st));
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	*e = tcache_slot(path);
	held = (*e)->path != NULL && strcmp((*e)->path, path) == 0;
	if (held && (*e)->checked == now.tv_sec)
		return SP_OK;
	if (stat(path, &st) == 0 && held && same_file(&st, &(*e)->st)) {
		(*e)->checked = now.tv_sec;
		return SP_OK;
	}
	rc = sp_template_load(dir, name, &text, &len, err);
	if (rc != SP_OK)
		return rc;
	if ((copy = strdup(path)) == NULL) {
		free(text);
		return sp_error_set(err, SP_ENOMEM, "out of memory");
	}
	tcache_drop(*e);
	(*e)->path = copy;
	(*e)->text = text;
	(*e)->len = len;
	(*e)->st = st;
	(*e)->checked = now.tv_sec;
	return SP_OK;
}

int
sp_template_render_cached(const char *dir, const char *name,
    const struct sp_tvar *vars, size_t nvars, char **out, size_t *outlen,
    struct sp_error *err)
{
	size_t n = strlen(name);
	enum sp_escape esc = SP_ESC_NONE;
	struct tcache_entry *e;
	char path[4096];
	int rc;

	if (name[0] == '.' || name[0] == '\0' || strchr(name, '/') != NULL)
		return sp_error_set(err, SP_EINVAL, "bad template name");
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return sp_error_set(err, SP_EINVAL, "template path too long");
	if (n >= 5 && strcmp(name + n - 5, ".html") == 0)
		esc = SP_ESC_HTML;
	pthread_mutex_lock(&tcache_lock);
	rc = tcache_get(dir, name, path, &e, err);
	if (rc == SP_OK)
		rc = sp_template_render(
		    e->text, e->len, vars, nvars, esc, out, outlen, err);
	pthread_mutex_unlock(&tcache_lock);
	if (rc != SP_OK && err != NULL && err->msg[0] != '\0' &&
	    strstr(err->msg, path) == NULL) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		sp_error_set(err, rc, "%s: %s", path, msg);
	}
	return rc;
}
