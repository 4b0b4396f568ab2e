/* SPDX-License-Identifier: MIT */
/*
 * donothing_milter: the cheapest milter libmilter allows, as a yardstick
 * for the benchmark.  It registers every callback, asks for no actions,
 * and answers CONTINUE everywhere, so what it costs the MTA is the milter
 * protocol itself: one round trip per event over the socket.
 *
 *   build/tests/bin/donothing_milter unix:/path/to/socket
 *
 * The socket file is replaced if it exists and made mode 0666, so that
 * the MTA's unprivileged daemons can connect (this is a bench tool: put
 * the socket in a folder only the MTA can reach).  Runs in the foreground
 * until SIGTERM or SIGINT.
 */
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static sfsistat
mlfi_connect(SMFICTX *ctx, char *host, struct sockaddr *addr)
{
	(void)ctx;
	(void)host;
	(void)addr;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_helo(SMFICTX *ctx, char *name)
{
	(void)ctx;
	(void)name;
	return SMFIS_CONTINUE;
}

/* Envelope from, envelope recipient and unknown commands share a shape. */
static sfsistat
mlfi_argv(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_CONTINUE;
}

/* End of header, end of message, abort, close and DATA: no arguments. */
static sfsistat
mlfi_event(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx;
	(void)chunk;
	(void)len;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_unknown(SMFICTX *ctx, const char *cmd)
{
	(void)ctx;
	(void)cmd;
	return SMFIS_CONTINUE;
}

/* Take every protocol step the MTA offers, as a milter without this
 * callback would: nothing is negotiated away. */
static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f0;
	(void)f1;
	(void)f2;
	(void)f3;
	(void)pf0;
	(void)pf1;
	(void)pf2;
	(void)pf3;
	return SMFIS_ALL_OPTS;
}

static struct smfiDesc desc = {
	.xxfi_name = "donothing",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = 0,
	.xxfi_connect = mlfi_connect,
	.xxfi_helo = mlfi_helo,
	.xxfi_envfrom = mlfi_argv,
	.xxfi_envrcpt = mlfi_argv,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_event,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_event,
	.xxfi_abort = mlfi_event,
	.xxfi_close = mlfi_event,
	.xxfi_unknown = mlfi_unknown,
	.xxfi_data = mlfi_event,
	.xxfi_negotiate = mlfi_negotiate,
};

int
main(int argc, char **argv)
{
	const char *spec = argc == 2 ? argv[1] : NULL;

	if (spec == NULL || strncmp(spec, "unix:", 5) != 0) {
		fprintf(stderr, "usage: donothing_milter unix:PATH\n");
		return 2;
	}
	if (smfi_setconn((char *)spec) != MI_SUCCESS ||
	    smfi_register(desc) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(
		    stderr, "donothing_milter: cannot listen on %s\n", spec);
		return 1;
	}
	if (chmod(spec + 5, 0666) != 0) {
		perror("donothing_milter: chmod socket");
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
