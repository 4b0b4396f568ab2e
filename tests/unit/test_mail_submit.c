/* SPDX-License-Identifier: MIT */
/*
 * Tests for sp_mail_submit against a real SMTP listener: a child process
 * on 127.0.0.1 (a port in 21100-21199) that speaks just enough SMTP and
 * writes the dialogue it saw to a file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sp_mail_submit.h"

struct capture {
	pid_t pid;
	int port;
	char log[64];
};

static int
listen_any(int *port)
{
	struct sockaddr_in sa;
	int fd, p, one = 1;

	for (p = 21100; p < 21200; p++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons((uint16_t)p);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    listen(fd, 1) == 0) {
			*port = p;
			return fd;
		}
		close(fd);
	}
	return -1;
}

/* The child: one session; every line received goes to the log. */
static void
serve(int lfd, const char *log)
{
	FILE *in, *out, *lf;
	char line[2048];
	bool data = false;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		_exit(1);
	in = fdopen(fd, "r");
	out = fdopen(dup(fd), "w");
	lf = fopen(log, "w");
	if (in == NULL || out == NULL || lf == NULL)
		_exit(1);
	fprintf(out, "220 capture ready\r\n");
	fflush(out);
	while (fgets(line, sizeof(line), in) != NULL) {
		fputs(line, lf);
		if (data) {
			if (strcmp(line, ".\r\n") == 0) {
				data = false;
				fprintf(out, "250 queued\r\n");
			}
		} else if (strncmp(line, "RCPT", 4) == 0 &&
		    strstr(line, "refused") != NULL) {
			fprintf(out, "550 no such user\r\n");
		} else if (strncmp(line, "DATA", 4) == 0) {
			data = true;
			fprintf(out, "354 go on\r\n");
		} else if (strncmp(line, "QUIT", 4) == 0) {
			fprintf(out, "221 bye\r\n");
			fflush(out);
			break;
		} else {
			fprintf(out, "250 ok\r\n");
		}
		fflush(out);
	}
	fclose(lf);
	_exit(0);
}

static void
capture_start(struct capture *c)
{
	int lfd = listen_any(&c->port);

	assert_true(lfd >= 0);
	snprintf(c->log, sizeof(c->log), "/tmp/sp-smtp-%d.log", (int)getpid());
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0)
		serve(lfd, c->log);
	close(lfd);
}

/* Waits for the child and returns what it logged (caller frees). */
static char *
capture_end(struct capture *c)
{
	char *buf = calloc(1, 65536);
	FILE *fp;
	size_t n;

	waitpid(c->pid, NULL, 0);
	assert_non_null(buf);
	fp = fopen(c->log, "r");
	if (fp != NULL) {
		n = fread(buf, 1, 65535, fp);
		buf[n] = '\0';
		fclose(fp);
	}
	unlink(c->log);
	return buf;
}

static void
submit_sends_envelope_and_dot_stuffed_body(void **state)
{
	static const char msg[] = "Subject: code\r\n\r\nline one\r\n"
	                          ".leading dot\r\n";
	const char *rcpts[] = { "bob@example.org", "carol@example.net" };
	struct sp_mail_envelope env = { "portal@example.com", rcpts, 2 };
	struct capture c;
	struct sp_error err;
	char url[64], *log;

	(void)state;
	capture_start(&c);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", c.port);
	CHECK_INT(
	    sp_mail_submit(url, &env, msg, sizeof(msg) - 1, 10, &err), SP_OK);
	log = capture_end(&c);
	CHECK_CONTAINS(log, "MAIL FROM:<portal@example.com>");
	CHECK_CONTAINS(log, "RCPT TO:<bob@example.org>");
	CHECK_CONTAINS(log, "RCPT TO:<carol@example.net>");
	CHECK_CONTAINS(log, "Subject: code\r\n\r\nline one\r\n");
	CHECK_CONTAINS(log, "\r\n..leading dot\r\n.\r\n");
	free(log);
}

static void
submit_fails_when_recipient_refused(void **state)
{
	const char *rcpts[] = { "refused@example.org" };
	struct sp_mail_envelope env = { "portal@example.com", rcpts, 1 };
	struct capture c;
	struct sp_error err;
	char url[64], *log;

	(void)state;
	capture_start(&c);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", c.port);
	CHECK_INT(sp_mail_submit(url, &env, "x\r\n", 3, 10, &err), SP_EIO);
	log = capture_end(&c);
	if (strstr(log, "DATA") != NULL)
		fail_msg("got a DATA command after a refused recipient");
	free(log);
}

static void
submit_fails_without_server(void **state)
{
	const char *rcpts[] = { "bob@example.org" };
	struct sp_mail_envelope env = { "portal@example.com", rcpts, 1 };
	struct sp_error err;
	int port, fd = listen_any(&port);
	char url[64];

	(void)state;
	/* A port that was free a moment ago and is closed now. */
	assert_true(fd >= 0);
	close(fd);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", port);
	CHECK_INT(sp_mail_submit(url, &env, "x\r\n", 3, 5, &err), SP_EIO);
}

static void
submit_refuses_injected_envelope(void **state)
{
	const char *bad[] = { "bob@example.org>\r\nRCPT TO:<eve@evil" };
	const char *good[] = { "bob@example.org" };
	struct sp_mail_envelope e1 = { "portal@example.com", bad, 1 };
	struct sp_mail_envelope e2 = { "a>\r\nX", good, 1 };
	struct sp_mail_envelope e3 = { "portal@example.com", good, 0 };
	struct sp_error err;

	(void)state;
	CHECK_INT(sp_mail_submit("smtp://127.0.0.1:1", &e1, "x", 1, 1, &err),
	    SP_EINVAL);
	CHECK_INT(sp_mail_submit("smtp://127.0.0.1:1", &e2, "x", 1, 1, &err),
	    SP_EINVAL);
	CHECK_INT(sp_mail_submit("smtp://127.0.0.1:1", &e3, "x", 1, 1, &err),
	    SP_EINVAL);
}

static void
header_clean_removes_line_breaks(void **state)
{
	char buf[32];

	(void)state;
	CHECK_STR(sp_mail_header_clean("a\r\nBcc: x\tz", buf, sizeof(buf)),
	    "a  Bcc: x z");
	CHECK_STR(sp_mail_header_clean("abcdef", buf, 4), "abc");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(submit_sends_envelope_and_dot_stuffed_body),
		cmocka_unit_test(submit_fails_when_recipient_refused),
		cmocka_unit_test(submit_fails_without_server),
		cmocka_unit_test(submit_refuses_injected_envelope),
		cmocka_unit_test(header_clean_removes_line_breaks),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
