/* SPDX-License-Identifier: MIT */
/*
 * sealpost-portal: the FastCGI responder behind nginx.
 *
 *   sealpost-portal [-c FILE] [-f] [-n]
 *
 * The parent opens portal_socket, drops to portal_user when started as
 * root, and keeps portal_workers worker processes running (a worker that
 * dies is replaced, at most one a second).  Each worker opens the store,
 * the keys and the sign-in secret after the fork (an LMDB environment
 * must not cross a fork) and answers requests one at a time; every ten
 * minutes a worker also sweeps expired passcodes, sessions and rate
 * limits out of the store.  pid_file, when set, gets the parent's pid.
 * SIGTERM or SIGINT stops the workers and the parent.  -f stays in the
 * foreground and logs to stderr too; -n checks the config, the secret
 * keys, the templates and the store, prints "PATH: config OK" and exits 0,
 * or prints the first problem and exits 1.  The parent makes the same
 * check before it starts any worker and exits 1 when it fails.  Exit
 * status: 0 fine, 1 a config, key, template or store problem (or any
 * other failure to start), 2 a usage error.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sp_log.h"

#define WORKERS_MAX 256
#define SWEEP_EVERY 600 /* seconds between sweeps of expired records */

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
portal_origin(const char *url, char *out, size_t cap)
{
	const char *sep = strstr(url, "://");
	size_t n = 0;

	if (sep != NULL)
		n = (size_t)(sep - url) + 3 + strcspn(sep + 3, "/?#");
	snprintf(out, cap, "%.*s", (int)n, url);
}

static int
worker_open(struct portal *p, const struct sp_config *cfg)
{
	struct sp_auth_limits lim = { cfg->passcode_ttl,
		cfg->passcode_max_tries, cfg->passcode_max_per_hour,
		cfg->session_idle, cfg->session_max };
	struct sp_store_opts so = { cfg->store_map_size, cfg->store_max_size,
		false, cfg->store_group };
	struct sp_error err;

	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	portal_origin(cfg->portal_url, p->origin, sizeof(p->origin));
	portal_csp_init(p);
	if (sp_store_open(cfg->store_path, &so, &p->store, &err) != SP_OK ||
	    sp_keyring_load_group(cfg->keys_dir, true, cfg->keys_group,
	        &p->keys, &err) != SP_OK ||
	    sp_auth_new_group(&p->auth, p->store, cfg->keys_dir,
	        cfg->keys_group, &lim, &err) != SP_OK) {
		sp_log(LOG_ERR, "-", "action=worker-failed reason=\"%s\"",
		    err.msg);
		return -1;
	}
	return 0;
}

static void
worker_close(struct portal *p)
{
	sp_auth_free(p->auth);
	sp_keyring_free(p->keys);
	sp_store_close(p->store);
}

/* Now and then, after an answer, drops expired passcodes, sessions and
 * rate limits (every worker may; the store serialises the writes). */
static void
sweep(struct portal *p)
{
	static const enum sp_kv_table tables[] = { SP_KV_PASSCODES,
		SP_KV_SESSIONS, SP_KV_RATELIMITS };
	static int64_t last;
	int64_t now = (int64_t)time(NULL);
	size_t i, n;

	if (now - last < SWEEP_EVERY)
		return;
	last = now;
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		(void)sp_store_kv_expire(p->store, tables[i], now, &n, NULL);
}

static void
worker_run(const struct sp_config *cfg, int sock)
{
	struct portal p;
	FCGX_Request fr;
	int code = 1;

	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	if (worker_open(&p, cfg) != 0)
		goto out;
	if (FCGX_InitRequest(&fr, sock, 0) != 0)
		goto out;
	while (FCGX_Accept_r(&fr) >= 0) {
		portal_serve(&p, &fr);
		sweep(&p);
	}
	code = 0;
out:
	worker_close(&p);
	_exit(code);
}

static pid_t
spawn(const struct sp_config *cfg, int sock)
{
	pid_t pid = fork();

	if (pid == 0)
		worker_run(cfg, sock);
	if (pid < 0)
		sp_log(LOG_ERR, "-", "action=fork-failed reason=\"%s\"",
		    strerror(errno));
	return pid;
}

/* Keeps n workers alive until told to stop. */
static void
supervise(const struct sp_config *cfg, int sock, pid_t *kids, size_t n)
{
	struct timespec pause = { 1, 0 };
	size_t i;
	pid_t pid;
	int st;

	for (i = 0; i < n; i++)
		kids[i] = spawn(cfg, sock);
	while (!stopping) {
		pid = wait(&st);
		if (pid < 0) {
			if (errno != EINTR)
				nanosleep(&pause, NULL);
			continue;
		}
		for (i = 0; i < n && !stopping; i++) {
			if (kids[i] != pid)
				continue;
			sp_log(LOG_WARNING, "-",
			    "action=worker-died pid=%d "
			    "status=%d",
			    (int)pid, st);
			nanosleep(&pause, NULL);
			kids[i] = spawn(cfg, sock);
		}
	}
	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGTERM);
	while (wait(&st) > 0 || errno == EINTR)
		;
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
	pid_t kids[WORKERS_MAX];
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
	if (n > WORKERS_MAX)
		n = WORKERS_MAX;
	if (cfg->pid_file != NULL && cfg->pid_file[0] != '\0')
		write_pid(cfg->pid_file);
	sp_log(LOG_INFO, "-", "action=start socket=%s workers=%zu",
	    cfg->portal_socket, n);
	supervise(cfg, sock, kids, n);
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
