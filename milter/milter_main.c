/* SPDX-License-Identifier: MIT */
/*
 * sealpost-milter: seals matched mail and replaces it with a notification.
 *
 *   sealpost-milter [-c FILE] [-f] [-n] [-h]
 *     -c FILE  the config file (default SP_CONFIG_DEFAULT_PATH)
 *     -f       stay in the foreground, log to stderr too
 *     -n       check the config, the rules and the keys, then exit
 *     -h       usage on stdout, exit 0
 *
 * Start-up order matters: config, rules and public keys are read first
 * (a bad config or rules file refuses to start, listing every error);
 * the socket is opened as root; then the process detaches, drops to
 * milter_user, and only then opens the store (an LMDB environment must
 * not cross a fork, and its files must belong to milter_user).
 *
 * Exit codes: 0 after a clean stop (or a good -n check, or -h), 1 on a
 * start-up failure (another milter holds the pid file's lock, the socket
 * cannot be opened), 78 (EX_CONFIG) on a configuration error or a bad
 * option.  The pid file is locked before the socket is touched.
 */
#include "milter.h"

#include <libmilter/mfapi.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "sp_log.h"

#define EXIT_CONFIG 78

static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct sp_config *store_cfg;

static void
usage(FILE *fp, int code)
{
	fprintf(fp,
	    "usage: sealpost-milter [-c FILE] [-f] [-n] [-h]\n"
	    "  -c FILE  the config file (default %s)\n"
	    "  -f       stay in the foreground, log to stderr too\n"
	    "  -n       check the config, the rules and the keys, then exit\n"
	    "  -h       this help\n"
	    "exit: 0 ok, 1 start-up failure (or already running), "
	    "78 configuration error or bad usage\n",
	    SP_CONFIG_DEFAULT_PATH);
	exit(code);
}

static int
level_of(const char *name)
{
	int prio = name ? sp_log_level_from_name(name) : -1;

	return prio < 0 ? LOG_INFO : prio;
}

/* Opens the store if it is not open yet.  Called at start and again
 * before sealing, so a store that was not writable at start is picked up
 * once it is. */
struct sp_store *
milter_store_ensure(void)
{
	struct sp_error err;
	struct sp_store *s;

	pthread_mutex_lock(&store_lock);
	s = milter_store;
	if (s == NULL && store_cfg != NULL) {
		sp_error_clear(&err);
		if (sp_store_open_config(store_cfg, false, &s, &err) == SP_OK)
			milter_store = s;
		else
			snprintf(milter_store_error, sizeof(milter_store_error),
			    "%s", err.msg);
	}
	pthread_mutex_unlock(&store_lock);
	return s;
}

static int
check_only(const struct milter_conf *mc)
{
	/* Not an error: the milter runs without a key (mail that no rule
	 * seals still flows), but say so loudly. */
	if (mc->keys == NULL) {
		fprintf(stderr,
		    "%s: warning: %s: mail to be sealed will be tempfailed\n",
		    mc->cfg->path, mc->keys_error);
		printf(
		    "%s: config OK, %zu rules, %zu templates, no sealing key\n",
		    mc->cfg->path, sp_ruleset_nrules(mc->rules),
		    sp_ruleset_ntemplates(mc->rules));
		return 0;
	}
	printf("%s: config OK, %zu rules, %zu templates, sealing key %s\n",
	    mc->cfg->path, sp_ruleset_nrules(mc->rules),
	    sp_ruleset_ntemplates(mc->rules), sp_keyring_newest(mc->keys)->id);
	return 0;
}

/* The pid file, locked (flock) for the life of the process: a second
 * milter finds the lock held and refuses to start before it touches the
 * socket.  flock, not fcntl: the lock belongs to the open file, so it
 * survives daemon()'s fork, and it goes away with the process, so a
 * stale pid file (a killed milter) is simply taken over. */
static int pid_fd = -1;

static long
pid_of(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	return end != buf && pid > 0 ? pid : 0;
}

static int
lock_pid_file(const char *path)
{
	int fd;

	if (path == NULL)
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "sealpost-milter: pid file %s: %s\n", path,
		    strerror(errno));
		return 1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr,
		    "sealpost-milter: already running (pid %ld, pid file "
		    "%s locked)\n",
		    pid_of(fd), path);
		sp_log(LOG_ERR, NULL,
		    "action=start-failed reason=already-running pid=%ld",
		    pid_of(fd));
		close(fd);
		return 1;
	}
	pid_fd = fd;
	return 0;
}

/* Writes our pid (after daemon(): the child's) into the locked file. */
static int
write_pid(void)
{
	char buf[32];
	int n;

	if (pid_fd < 0)
		return SP_OK;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(pid_fd, 0) != 0 ||
	    pwrite(pid_fd, buf, (size_t)n, 0) != (ssize_t)n)
		return SP_EIO;
	return SP_OK;
}

static int
start(struct milter_conf *mc, bool foreground)
{
	const struct sp_config *cfg = mc->cfg;
	struct sp_error err;

	sp_error_clear(&err);
	if (lock_pid_file(cfg->pid_file) != 0)
		return 1;
	if (smfi_register(milter_desc) != MI_SUCCESS) {
		sp_log(
		    LOG_ERR, NULL, "action=start-failed reason=smfi_register");
		return 1;
	}
	if (milter_socket_open(cfg, &err) != SP_OK) {
		sp_log(LOG_ERR, NULL, "action=start-failed reason=\"%s\"",
		    err.msg);
		return 1;
	}
	if (!foreground && daemon(0, 0) != 0) {
		sp_log(LOG_ERR, NULL, "action=start-failed reason=daemon");
		return 1;
	}
	if (write_pid() != SP_OK)
		sp_log(LOG_WARNING, NULL, "action=start pid_file=unwritable");
	if (milter_drop_privileges(cfg->milter_user, &err) != SP_OK) {
		sp_log(LOG_ERR, NULL, "action=start-failed reason=\"%s\"",
		    err.msg);
		return 1;
	}
	store_cfg = cfg;
	if (milter_store_ensure() == NULL)
		sp_log(LOG_ERR, NULL,
		    "action=start store=unavailable reason=\"%s\" "
		    "note=\"mail to be sealed is tempfailed\"",
		    milter_store_error);
	if (mc->keys == NULL)
		sp_log(LOG_ERR, NULL,
		    "action=start keys=none reason=\"%s\" "
		    "note=\"mail to be sealed is tempfailed\"",
		    mc->keys_error);
	sp_log(LOG_INFO, NULL, "action=start socket=%s rules=%zu",
	    cfg->milter_socket, sp_ruleset_nrules(mc->rules));
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = SP_CONFIG_DEFAULT_PATH;
	bool foreground = false, check = false;
	struct milter_conf *mc = NULL;
	struct sp_diag diag;
	int ch, rc;

	while ((ch = getopt(argc, argv, "c:fnh")) != -1) {
		if (ch == 'c')
			path = optarg;
		else if (ch == 'f')
			foreground = true;
		else if (ch == 'n')
			check = true;
		else if (ch == 'h')
			usage(stdout, 0);
		else
			usage(stderr, EXIT_CONFIG);
	}
	sp_log_open("sealpost-milter", foreground || check);
	sp_diag_init(&diag);
	if (milter_conf_load(path, &mc, &diag) != SP_OK) {
		sp_diag_print(&diag, stderr);
		sp_diag_cleanup(&diag);
		return EXIT_CONFIG;
	}
	sp_diag_cleanup(&diag);
	if (check) {
		rc = check_only(mc);
		milter_conf_put(mc);
		return rc;
	}
	sp_log_set_level(level_of(mc->cfg->log_level));
	milter_conf_install(mc);
	/* The store keeps pointing at the first generation's config. */
	mc = milter_conf_get();
	rc = start(mc, foreground);
	if (rc == 0)
		rc = milter_run() == MI_SUCCESS ? 0 : 1;
	sp_log(LOG_INFO, NULL, "action=stopped");
	if (milter_store != NULL)
		sp_store_close(milter_store);
	if (pid_fd >= 0)                         /* ours: we hold its lock */
		(void)unlink(mc->cfg->pid_file); /* may fail after the drop */
	milter_conf_install(NULL);
	milter_conf_put(mc);
	return rc;
}
