/* SPDX-License-Identifier: MIT */
/*
 * milter_signal: running libmilter next to our own signal handling.
 *
 * libmilter starts a thread that waits for SIGHUP, SIGTERM and SIGINT
 * and stops the milter on any of them, so a reload on SIGHUP needs care:
 * whichever thread waits for a signal may get it.  Linux delivers a
 * signal sent to the process to its main thread whenever that thread
 * accepts it.  So the main thread blocks the signals before any thread
 * exists, runs smfi_main() in a thread of its own, and itself stays in
 * sigwait(): SIGHUP wakes a reload thread (the main thread is back in
 * sigwait at once, so a second SIGHUP during a reload is not lost to
 * libmilter), SIGTERM and SIGINT call smfi_stop(), and the milter
 * thread sends SIGUSR2 to the main thread when smfi_main() returns.
 */
#include "milter.h"

#include <libmilter/mfapi.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include "sp_log.h"

static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reload_cond = PTHREAD_COND_INITIALIZER;
static bool reload_wanted, reload_quit;
static pthread_t main_thread;
static int milter_result;

static void *
reload_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&reload_lock);
	for (;;) {
		while (!reload_wanted && !reload_quit)
			pthread_cond_wait(&reload_cond, &reload_lock);
		if (reload_quit)
			break;
		reload_wanted = false;
		pthread_mutex_unlock(&reload_lock);
		milter_conf_reload();
		pthread_mutex_lock(&reload_lock);
	}
	pthread_mutex_unlock(&reload_lock);
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
poke_reload(bool quit)
{
	pthread_mutex_lock(&reload_lock);
	if (quit)
		reload_quit = true;
	else
		reload_wanted = true;
	pthread_cond_signal(&reload_cond);
	pthread_mutex_unlock(&reload_lock);
}

static void
wait_signals(const sigset_t *set)
{
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			sp_log(LOG_INFO, NULL, "action=reload signal=HUP");
			poke_reload(false);
		} else if (sig == SIGTERM || sig == SIGINT) {
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
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR2);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return MI_FAILURE;
	main_thread = pthread_self();
	if (pthread_create(&rt, NULL, reload_thread, NULL) != 0)
		return MI_FAILURE;
	if (pthread_create(&mt, NULL, milter_thread, NULL) != 0) {
		poke_reload(true);
		pthread_join(rt, NULL);
		return MI_FAILURE;
	}
	wait_signals(&set);
	pthread_join(mt, NULL);
	poke_reload(true);
	pthread_join(rt, NULL);
	return milter_result;
}
