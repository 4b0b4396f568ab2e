/* SPDX-License-Identifier: MIT */
/*
 * milter_signal: running libmilter next to our own signal handling.
 *
 * libmilter starts a thread that waits in sigwait() for SIGHUP, SIGTERM
 * and SIGINT and stops the milter on any of them, so a reload on SIGHUP
 * needs care: a signal sent to the process goes to a thread that does
 * not block it, the main thread first when it can take it, any other
 * (libmilter's, waiting for it) when it cannot at that moment.  So every
 * thread blocks the signals (the mask is set before any thread exists
 * and inherited), except that the main thread never blocks SIGHUP: it
 * has a handler (SA_NODEFER, so not even while it runs) that writes a
 * byte to a pipe.  A reload thread reads the pipe and reloads (SIGHUPs
 * that come during a reload make one more).  The main thread waits in
 * sigwait() for SIGTERM and SIGINT, which call smfi_stop(), and for
 * SIGUSR2, which the milter thread sends when smfi_main() returns.
 * Waiting for SIGHUP in sigwait() instead left libmilter's thread to
 * take any SIGHUP that came while the main thread was busy with the one
 * before, and the milter stopped on a reload.
 */
#include "milter.h"

#include <errno.h>
#include <fcntl.h>
#include <libmilter/mfapi.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "sp_log.h"

static int hup_pipe[2] = { -1, -1 };
static pthread_t main_thread;
static int milter_result;

static void
on_hup(int sig)
{
	int saved = errno;
	char c = 'h';

	(void)sig;
	if (write(hup_pipe[1], &c, 1) < 0) {
		/* full: a reload is pending anyway */
	}
	errno = saved;
}

/* Reloads once per batch of bytes read; 'q' (from milter_run) ends. */
static void *
reload_thread(void *arg)
{
	char buf[64];
	ssize_t n;

	(void)arg;
	for (;;) {
		n = read(hup_pipe[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || memchr(buf, 'q', (size_t)n) != NULL)
			break;
		sp_log(LOG_INFO, NULL, "action=reload signal=HUP");
		milter_conf_reload();
	}
	return NULL;
}

static void *
milter_thread(void *arg)
{
	(void)arg;
	milter_result = smfi_main();
	pthread_kill(main_thread, SIGUSR2);
	return NULL;
}

static void
stop_reload(pthread_t rt)
{
	char c = 'q';

	while (write(hup_pipe[1], &c, 1) < 0 && errno == EAGAIN)
		usleep(1000); /* a full pipe drains as the thread reads */
	pthread_join(rt, NULL);
}

/* The pipe (the write end non-blocking: the handler must never wait)
 * and the SIGHUP handler. */
static int
hup_setup(void)
{
	struct sigaction sa;

	if (pipe(hup_pipe) != 0)
		return -1;
	if (fcntl(hup_pipe[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(hup_pipe[1], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(hup_pipe[1], F_SETFL, O_NONBLOCK) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sa.sa_flags = SA_NODEFER | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGHUP, &sa, NULL);
}

static void
wait_signals(const sigset_t *set)
{
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGTERM || sig == SIGINT) {
			sp_log(LOG_INFO, NULL, "action=stop signal=%s",
			    sig == SIGTERM ? "TERM" : "INT");
			(void)smfi_stop();
		} else if (sig == SIGUSR2) {
			return;
		}
	}
}

int
milter_run(void)
{
	pthread_t mt, rt;
	sigset_t set, hup;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR2);
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 || hup_setup() != 0)
		return MI_FAILURE;
	main_thread = pthread_self();
	if (pthread_create(&rt, NULL, reload_thread, NULL) != 0)
		return MI_FAILURE;
	if (pthread_create(&mt, NULL, milter_thread, NULL) != 0) {
		stop_reload(rt);
		return MI_FAILURE;
	}
	/* Only this thread takes SIGHUP from now on. */
	(void)pthread_sigmask(SIG_UNBLOCK, &hup, NULL);
	sigdelset(&set, SIGHUP);
	wait_signals(&set);
	(void)pthread_sigmask(SIG_BLOCK, &hup, NULL);
	pthread_join(mt, NULL);
	stop_reload(rt);
	return milter_result;
}
