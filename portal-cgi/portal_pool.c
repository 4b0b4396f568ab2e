/* SPDX-License-Identifier: MIT */
/*
 * portal_pool: the portal's processes.  The parent keeps n workers and
 * one audit writer running, and replaces one that dies (at most one a
 * second).
 *
 * Each worker opens the store, the keys and the sign-in secret after the
 * fork (an LMDB environment must not cross a fork) and answers requests
 * one at a time; every ten minutes a worker also sweeps expired
 * passcodes, sessions and rate limits out of the store.
 *
 * The audit writer holds one end of a socket pair per worker slot and
 * commits the events the workers hand it, those arriving together in one
 * durable transaction (sp_audit_relay.h): under load, one disk flush
 * records many views instead of one.  The parent keeps both ends of
 * every pair open, so a replaced worker or writer takes over the same
 * socket and nothing waiting in it is lost.  Without the pairs (when they
 * cannot be made) workers write their events themselves.
 */
#include "portal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sp_audit_relay.h"
#include "sp_log.h"

#define SWEEP_EVERY 600 /* seconds between sweeps of expired records */

struct pool {
	const struct sp_config *cfg;
	int sock; /* FastCGI listener */
	size_t n;
	pid_t kids[PORTAL_WORKERS_MAX];
	pid_t writer;
	bool relay;                  /* the pairs below are open */
	int wfd[PORTAL_WORKERS_MAX]; /* writer ends */
	int cfd[PORTAL_WORKERS_MAX]; /* worker ends, one per slot */
};

static volatile sig_atomic_t writer_stopping;

static void
on_writer_stop(int sig)
{
	(void)sig;
	writer_stopping = 1;
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
	struct sp_error err;

	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->audit_fd = -1;
	portal_origin(cfg->portal_url, p->origin, sizeof(p->origin));
	portal_csp_init(p);
	if (sp_store_open_config(cfg, false, &p->store, &err) != SP_OK ||
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

/* In a child: closes the relay ends it must not hold (keep: the slot
 * whose worker end stays open, or n for the writer, which keeps its
 * own ends). */
static void
close_others(struct pool *pl, size_t keep)
{
	size_t i;

	for (i = 0; i < pl->n && pl->relay; i++) {
		if (keep == pl->n) {
			close(pl->cfd[i]);
			continue;
		}
		close(pl->wfd[i]);
		if (i != keep)
			close(pl->cfd[i]);
	}
}

static void
worker_run(struct pool *pl, size_t slot)
{
	struct portal p;
	FCGX_Request fr;
	int code = 1;

	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	close_others(pl, slot);
	if (worker_open(&p, pl->cfg) != 0)
		goto out;
	p.audit_fd = pl->relay ? pl->cfd[slot] : -1;
	if (FCGX_InitRequest(&fr, pl->sock, 0) != 0)
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

static void
writer_run(struct pool *pl)
{
	struct sp_audit_relay_stats st;
	struct sp_store *store = NULL;
	struct sigaction sa;
	struct sp_error err;
	int code = 1;

	/* so that ps and top tell it from the workers */
	prctl(PR_SET_NAME, "sealpost-audit", 0, 0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_writer_stop; /* no SA_RESTART: wakes the wait */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	close(pl->sock);
	close_others(pl, pl->n);
	if (sp_store_open_config(pl->cfg, false, &store, &err) != SP_OK ||
	    sp_audit_relay_serve(
	        store, pl->wfd, pl->n, &writer_stopping, &st, &err) != SP_OK) {
		sp_log(LOG_ERR, "-", "action=audit-writer-failed reason=\"%s\"",
		    err.msg);
		goto out;
	}
	sp_log(LOG_INFO, "-",
	    "action=audit-writer-stop events=%llu commits=%llu late=%llu "
	    "failed=%llu",
	    (unsigned long long)st.events, (unsigned long long)st.commits,
	    (unsigned long long)st.late, (unsigned long long)st.failed);
	code = 0;
out:
	sp_store_close(store);
	_exit(code);
}

/* slot < n: a worker; slot == n: the audit writer. */
static pid_t
spawn(struct pool *pl, size_t slot)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (slot == pl->n)
			writer_run(pl);
		worker_run(pl, slot);
	}
	if (pid < 0)
		sp_log(LOG_ERR, "-", "action=fork-failed reason=\"%s\"",
		    strerror(errno));
	return pid;
}

static void
pairs_open(struct pool *pl)
{
	struct sp_error err;
	int fds[2];
	size_t i;

	for (i = 0; i < pl->n; i++) {
		if (sp_audit_relay_pair(fds, &err) != SP_OK) {
			sp_log(LOG_WARNING, "-",
			    "action=audit-writer-off reason=\"%s\"", err.msg);
			while (i-- > 0) {
				close(pl->wfd[i]);
				close(pl->cfd[i]);
			}
			return;
		}
		pl->wfd[i] = fds[0];
		pl->cfd[i] = fds[1];
	}
	pl->relay = true;
}

/* Replaces the child that was pid, if it was one of ours. */
static void
replace(struct pool *pl, pid_t pid, int st)
{
	struct timespec pause = { 1, 0 };
	size_t i;

	for (i = 0; i <= pl->n; i++) {
		pid_t *slot = i < pl->n ? &pl->kids[i] : &pl->writer;

		if (*slot != pid)
			continue;
		sp_log(LOG_WARNING, "-", "action=%s-died pid=%d status=%d",
		    i < pl->n ? "worker" : "audit-writer", (int)pid, st);
		nanosleep(&pause, NULL);
		*slot = spawn(pl, i);
		return;
	}
}

void
portal_pool_run(const struct sp_config *cfg, int sock, size_t n,
    volatile sig_atomic_t *stop)
{
	struct timespec pause = { 1, 0 };
	static struct pool pl;
	size_t i;
	pid_t pid;
	int st;

	memset(&pl, 0, sizeof(pl));
	pl.cfg = cfg;
	pl.sock = sock;
	pl.n = n;
	pairs_open(&pl);
	pl.writer = pl.relay ? spawn(&pl, n) : -1;
	for (i = 0; i < n; i++)
		pl.kids[i] = spawn(&pl, i);
	while (!*stop) {
		pid = wait(&st);
		if (pid < 0) {
			if (errno != EINTR)
				nanosleep(&pause, NULL);
			continue;
		}
		if (!*stop)
			replace(&pl, pid, st);
	}
	for (i = 0; i < n; i++)
		if (pl.kids[i] > 0)
			kill(pl.kids[i], SIGTERM);
	if (pl.writer > 0)
		kill(pl.writer, SIGTERM);
	while (wait(&st) > 0 || errno == EINTR)
		;
}
