/* SPDX-License-Identifier: MIT */
/*
 * sealpost-portal: the FastCGI responder behind nginx.
 *
 *   sealpost-portal [-c FILE] [-f] [-n]
 *
 * The parent opens portal_socket, drops to portal_user when started as
 * root, and keeps portal_workers worker processes and one audit writer
 * running (portal_pool.c).  pid_file, when set, gets the parent's pid.
 * SIGTERM or SIGINT stops the workers, the writer and the parent.  -f stays in
 * the foreground and logs to stderr too; -n checks the config, the secret keys,
 * the templates and the store, prints "PATH: config OK" and exits 0, or prints
 * the first problem and exits 1.  The parent makes the same check before it
 * starts any worker and exits 1 when it fails.  Exit status: 0 fine, 1 a
 * config, key, template or store problem (or any other failure to start), 2 a
 * usage error.
 */
#include "portal.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sp_log.h"

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* "unix:/path" or "inet:PORT@ADDR" as libfcgi wants it. */
static int
open_socket(const char *spec)
{
	char buf[512];
	const char *at;
	int fd;

	if (strncmp(spec, "unix:", 5) == 0) {
		unlink(spec + 5);
		fd = FCGX_OpenSocket(spec + 5, 128);
		if (fd >= 0)
			chmod(spec + 5, 0660);
		return fd;
	}
	if (strncmp(spec, "inet:", 5) != 0 || (at = strchr(spec, '@')) == NULL)
		return -1;
	snprintf(buf, sizeof(buf), "%s:%.*s", at + 1, (int)(at - spec - 5),
	    spec + 5);
	return FCGX_OpenSocket(buf, 128);
}

static int
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0 || user == NULL || user[0] == '\0')
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		sp_log(LOG_ERR, "-",
		    "action=start-failed reason=\"no user %s\"", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		sp_log(LOG_ERR, "-",
		    "action=start-failed reason=\"cannot "
		    "become %s: %s\"",
		    user, strerror(errno));
		return -1;
	}
	return 0;
}

static void
write_pid(const char *path)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL) {
		sp_log(LOG_WARNING, "-", "action=pid-file-failed reason=\"%s\"",
		    strerror(errno));
		return;
	}
	fprintf(fp, "%d\n", (int)getpid());
	fclose(fp);
}

static void
usage(void)
{
	fprintf(stderr, "usage: sealpost-portal [-c FILE] [-f] [-n]\n");
}

static int
start(struct sp_config *cfg, bool fg)
{
	struct sigaction sa;
	size_t n = cfg->portal_workers;
	struct sp_error err;
	int sock;

	sock = open_socket(cfg->portal_socket);
	if (sock < 0) {
		fprintf(stderr, "sealpost-portal: cannot listen on %s\n",
		    cfg->portal_socket);
		return 1;
	}
	if (drop_privileges(cfg->portal_user) != 0)
		return 1;
	/* as the workers will be: unusable keys stop the start here rather
	 * than make every worker die and be replaced forever */
	if (portal_check(cfg, &err) != SP_OK) {
		fprintf(stderr, "sealpost-portal: %s\n", err.msg);
		sp_log(
		    LOG_ERR, "-", "action=start-failed reason=\"%s\"", err.msg);
		close(sock);
		return 1;
	}
	if (!fg && daemon(0, 0) != 0)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (n == 0)
		n = 1;
	if (n > PORTAL_WORKERS_MAX)
		n = PORTAL_WORKERS_MAX;
	if (cfg->pid_file != NULL && cfg->pid_file[0] != '\0')
		write_pid(cfg->pid_file);
	sp_log(LOG_INFO, "-", "action=start socket=%s workers=%zu",
	    cfg->portal_socket, n);
	portal_pool_run(cfg, sock, n, &stopping);
	sp_log(LOG_INFO, "-", "action=stop");
	return 0;
}

/* -n: the config, the secret keys, the templates and the store. */
static int
check_only(struct sp_config *cfg)
{
	struct sp_error err;
	int rc = 0;

	if (portal_check(cfg, &err) != SP_OK) {
		fprintf(
		    stderr, "sealpost-portal: %s: %s\n", cfg->path, err.msg);
		rc = 1;
	} else {
		printf("%s: config OK\n", cfg->path);
	}
	sp_config_free(cfg);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *path = SP_CONFIG_DEFAULT_PATH;
	struct sp_config *cfg = NULL;
	bool fg = false, check = false;
	struct sp_diag diag;
	int c, rc;

	while ((c = getopt(argc, argv, "c:fn")) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			fg = true;
			break;
		case 'n':
			check = true;
			break;
		default:
			usage();
			return 2;
		}
	}
	sp_diag_init(&diag);
	if (sp_config_load(path, &cfg, &diag) != SP_OK) {
		sp_diag_print(&diag, stderr);
		sp_diag_cleanup(&diag);
		return 1;
	}
	sp_diag_cleanup(&diag);
	if (check)
		return check_only(cfg);
	sp_log_open("sealpost-portal", fg);
	if (FCGX_Init() != 0) {
		sp_config_free(cfg);
		return 1;
	}
	rc = start(cfg, fg);
	sp_config_free(cfg);
	return rc;
}
