/* SPDX-License-Identifier: MIT */
/*
 * min_fcgi: the cheapest FastCGI responder libfcgi allows, as a yardstick
 * for the portal's rates behind the same nginx.  Every request gets the
 * same 5 KB text/plain answer; the request itself is not looked at beyond
 * what libfcgi reads to accept it.
 *
 *   build/tests/bin/min_fcgi PATH [PROCESSES]
 *
 * Listens on the unix socket PATH (replaced if it exists, mode 0666 so
 * that nginx workers can connect) and forks PROCESSES (default 2) workers
 * that accept on it.  Runs until killed; the parent waits for its workers
 * and forwards SIGTERM to them.
 */
#include <fcgiapp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BODY_LEN  5120
#define MAX_PROCS 64

static char body[BODY_LEN];
static pid_t workers[MAX_PROCS];
static int nworkers;

/* Printable text in lines of 64 characters and a newline. */
static void
fill_body(void)
{
	for (size_t i = 0; i < BODY_LEN; i++) {
		body[i] = i % 65 == 64 ? '\n' : (char)('a' + i % 26);
	}
}

static int
serve(int sock)
{
	FCGX_Request req;
	static const char head[] = "Status: 200 OK\r\n"
	                           "Content-Type: text/plain\r\n"
	                           "Content-Length: 5120\r\n\r\n";

	if (FCGX_InitRequest(&req, sock, 0) != 0) {
		return 1;
	}
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(head, (int)sizeof(head) - 1, req.out);
		FCGX_PutStr(body, BODY_LEN, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}

static void
stop_workers(int sig)
{
	for (int i = 0; i < nworkers; i++) {
		kill(workers[i], sig);
	}
}

static int
listen_on(const char *path)
{
	int sock;

	unlink(path);
	sock = FCGX_OpenSocket(path, 128);
	if (sock < 0) {
		fprintf(stderr, "min_fcgi: cannot listen on %s\n", path);
		return -1;
	}
	if (chmod(path, 0666) != 0) {
		perror("min_fcgi: chmod socket");
		return -1;
	}
	return sock;
}

int
main(int argc, char **argv)
{
	long nproc = argc == 3 ? strtol(argv[2], NULL, 10) : 2;
	int sock;

	if (argc < 2 || argc > 3 || nproc < 1 || nproc > MAX_PROCS) {
		fprintf(stderr, "usage: min_fcgi PATH [PROCESSES 1-64]\n");
		return 2;
	}
	fill_body();
	if (FCGX_Init() != 0 || (sock = listen_on(argv[1])) < 0) {
		return 1;
	}
	for (nworkers = 0; nworkers < nproc; nworkers++) {
		pid_t pid = fork();

		if (pid == 0) {
			_exit(serve(sock));
		} else if (pid < 0) {
			perror("min_fcgi: fork");
			stop_workers(SIGTERM);
			return 1;
		}
		workers[nworkers] = pid;
	}
	signal(SIGTERM, stop_workers);
	signal(SIGINT, stop_workers);
	while (wait(NULL) > 0 || errno == EINTR) {
	}
	return 0;
}
