/* SPDX-License-Identifier: MIT */
/*
 * milter_socket: the listening socket and the privilege drop.
 *
 * The socket is opened as root, before privileges are dropped, with
 * smfi_opensocket(1) so a stale unix socket left by a killed milter is
 * removed first.  A unix socket gets milter_socket_mode (0660), owner
 * milter_user (root when unset) and group milter_socket_group; unset,
 * "postfix" when that group exists (Postfix's daemons run as user
 * postfix; Sendmail's SMTP children run as root), else milter_user's
 * primary group, else the group it was made with (root's); so only the
 * MTA can talk to it.  sealpost.conf(5) and sealpost-milter(8) say the
 * same.
 *
 * TCP: libmilter never sets TCP_NODELAY, and a milter that answers one
 * stage with several packets (header changes, a new body, continue)
 * then waits on Nagle and delayed ACKs (about 40 ms a message).  libmilter
 * does not hand out its descriptor either, so after smfi_opensocket the
 * listening socket is found among our descriptors by its address and
 * TCP_NODELAY is set on it; on Linux accepted sockets inherit it from
 * the listener.  Prefer a unix socket all the same.
 */
#include "milter.h"

#include <errno.h>
#include <grp.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sp_log.h"

static int
port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

static int
set_nodelay(int port, struct sp_error *err)
{
	int fd, on = 1, listening;
	socklen_t len;

	for (fd = 0; fd < 1024; fd++) {
		len = sizeof(listening);
		if (getsockopt(
		        fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
		    !listening || port_of(fd) != port)
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) !=
		    0)
			return sp_error_set(
			    err, SP_EIO, "TCP_NODELAY: %s", strerror(errno));
		return SP_OK;
	}
	return sp_error_set(err, SP_EIO,
	    "listening socket on port %d not found for TCP_NODELAY", port);
}

static int
secure_unix_socket(
    const struct sp_config *cfg, const char *path, struct sp_error *err)
{
	const char *user = cfg->milter_user, *group = cfg->milter_socket_group;
	struct passwd *pw = user ? getpwnam(user) : NULL;
	struct group *gr = getgrnam(group ? group : "postfix");
	uid_t uid = pw ? pw->pw_uid : (uid_t)-1;
	gid_t gid = gr ? gr->gr_gid : pw ? pw->pw_gid : (gid_t)-1;

	if (group != NULL && gr == NULL)
		return sp_error_set(err, SP_ECONFIG,
		    "milter_socket_group %s: no such group", group);
	if (geteuid() == 0 && chown(path, uid, gid) != 0)
		return sp_error_set(
		    err, SP_EIO, "chown %s: %s", path, strerror(errno));
	if (chmod(path, (mode_t)cfg->milter_socket_mode) != 0)
		return sp_error_set(
		    err, SP_EIO, "chmod %s: %s", path, strerror(errno));
	return SP_OK;
}

int
milter_socket_open(const struct sp_config *cfg, struct sp_error *err)
{
	const char *spec = cfg->milter_socket;
	struct sp_socket sock;

	if (sp_config_socket_parse(spec, &sock, err) != SP_OK)
		return SP_ECONFIG;
	if (smfi_setconn((char *)spec) != MI_SUCCESS)
		return sp_error_set(err, SP_ECONFIG,
		    "milter_socket %s refused by libmilter", spec);
	(void)smfi_settimeout((int)cfg->milter_timeout);
	if (smfi_opensocket(true) != MI_SUCCESS)
		return sp_error_set(err, SP_EIO, "cannot listen on %s", spec);
	if (sock.kind == SP_SOCKET_UNIX)
		return secure_unix_socket(cfg, sock.path, err);
	return set_nodelay(sock.port, err);
}

int
milter_drop_privileges(const char *user, struct sp_error *err)
{
	struct passwd *pw;

	if (user == NULL || user[0] == '\0' || geteuid() != 0)
		return SP_OK;
	pw = getpwnam(user);
	if (pw == NULL)
		return sp_error_set(
		    err, SP_ECONFIG, "milter_user %s: no such user", user);
	if (pw->pw_uid == 0)
		return SP_OK;
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
		return sp_error_set(err, SP_EPERM, "cannot become %s: %s", user,
		    strerror(errno));
	if (setuid(0) == 0)
		return sp_error_set(err, SP_EPERM,
		    "could regain root after "
		    "dropping to %s",
		    user);
	return SP_OK;
}
