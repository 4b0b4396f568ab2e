/* SPDX-License-Identifier: MIT */
/* ctl_msg_util: see ctl_msg_util.h. */
#include "ctl_msg_util.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sp_log.h"
#include "sp_seal.h"

void
ctl_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("sealpostctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The folder of an LMDB store_path ("lmdb:" prefix optional), or NULL
 * for another backend's address. */
static const char *
ctl_store_dir(const char *path)
{
	if (strncmp(path, "lmdb:", 5) == 0)
		return path + 5;
	if (path[0] == '/' || strchr(path, ':') == NULL)
		return path;
	return NULL;
}

struct sp_store *
ctl_store_open(const struct sp_config *cfg, bool writable)
{
	struct sp_store *s = NULL;
	struct sp_error err;
	struct stat st;
	const char *dir;

	if (cfg->store_path == NULL || cfg->store_path[0] == '\0') {
		ctl_warn("%s: store_path is not set", cfg->path);
		return NULL;
	}
	/* An admin command must not create an empty store by mistake */
	dir = ctl_store_dir(cfg->store_path);
	if (dir != NULL && stat(dir, &st) != 0) {
		ctl_warn("store %s: %s", cfg->store_path, strerror(errno));
		return NULL;
	}
	sp_error_clear(&err);
	if (sp_store_open_config(cfg, !writable, &s, &err) != SP_OK) {
		ctl_warn("store %s: %s", cfg->store_path, err.msg);
		return NULL;
	}
	return s;
}

void
ctl_actor(char *buf, size_t cap)
{
	struct passwd *pw = getpwuid(getuid());
	const char *sudo = getenv("SUDO_USER");
	char user[64], sudo_user[64];

	if (pw != NULL)
		ctl_clean(user, sizeof(user), pw->pw_name);
	else
		snprintf(user, sizeof(user), "uid%lu", (unsigned long)getuid());
	if (sudo != NULL && sudo[0] != '\0')
		snprintf(buf, cap, "admin:%s sudo:%s", user,
		    ctl_clean(sudo_user, sizeof(sudo_user), sudo));
	else
		snprintf(buf, cap, "admin:%s", user);
}

int
ctl_audit(struct sp_store *s, const char *id, const char *event,
    const char *detail, struct sp_error *err)
{
	struct sp_audit_event ev;
	char actor[SP_LOG_FIELD_MAX + 8];

	memset(&ev, 0, sizeof(ev));
	ev.when = ctl_now();
	snprintf(ev.id, sizeof(ev.id), "%s", id ? id : "");
	snprintf(ev.event, sizeof(ev.event), "%s", event);
	ctl_actor(ev.actor, sizeof(ev.actor));
	snprintf(ev.detail, sizeof(ev.detail), "%s", detail ? detail : "");
	sp_log(LOG_NOTICE, NULL, "action=%s id=%s actor=%s%s%s", ev.event,
	    ev.id[0] ? ev.id : "-",
	    sp_log_clean(actor, sizeof(actor), ev.actor, strlen(ev.actor)),
	    ev.detail[0] ? " " : "", ev.detail);
	return sp_store_audit_add(s, &ev, err);
}

bool
ctl_id_ok(const char *cmd, const char *id)
{
	char buf[SP_ID_LEN + 8];

	if (sp_id_valid(id))
		return true;
	ctl_warn("%s %s: not a message id (%d letters, digits, - or _)", cmd,
	    ctl_clean(buf, sizeof(buf), id), SP_ID_LEN);
	return false;
}

const char *
ctl_clean(char *buf, size_t cap, const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (cap == 0)
		return buf;
	for (i = 0; i < n && i + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	buf[i] = '\0';
	if (i < n && i >= 2) {
		buf[i - 1] = '.';
		buf[i - 2] = '.';
	}
	return buf;
}

const char *
ctl_state_name(const struct sp_msg_meta *m, int64_t now)
{
	if (m->state == SP_MSG_PURGED)
		return "purged";
	if (m->state == SP_MSG_REVOKED)
		return "revoked";
	if (m->expires != 0 && m->expires <= now)
		return "expired";
	return "active";
}

bool
ctl_msg_purgeable(const struct sp_msg_meta *m, int64_t now)
{
	if (m->state == SP_MSG_PURGED)
		return false;
	if (m->state == SP_MSG_REVOKED)
		return true;
	return m->expires != 0 && m->expires <= now;
}

uint64_t
ctl_sealed_bytes(const struct sp_msg_meta *m)
{
	if (m->state == SP_MSG_PURGED)
		return 0;
	return m->header_len + m->size +
	    (uint64_t)m->nchunks * SP_SEAL_CHUNK_OVERHEAD;
}

int64_t
ctl_now(void)
{
	return (int64_t)time(NULL);
}
