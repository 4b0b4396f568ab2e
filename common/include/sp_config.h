/* SPDX-License-Identifier: MIT */
/*
 * sp_config: the one configuration file, sealpost.conf.
 *
 * Format: "key = value" lines, '#' starts a comment, blank lines ignored,
 * a line starting with white space continues the previous value (Postfix
 * style).  Every key is declared once in a table in config_table.c with
 * its type, default, bounds and the programs that use it; sealpost.conf(5)
 * documents the same table.
 *
 * A '#' is a comment only as the first non-blank character of a line, so
 * values such as brand_color = #0055aa keep it.  Continuation lines are
 * joined to the value with one space.
 *
 * sp_config_load() reports every error it finds into a struct sp_diag as
 * "file:line: message" (an unknown key gets a did-you-mean; a missing
 * required key is "file: missing required key X"), then fails.  The
 * returned config is immutable; a reload loads a new one and swaps.
 */
#ifndef SP_CONFIG_H
#define SP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sp_error.h"

#define SP_CONFIG_VALUE_MAX 4096 /* bytes of one value, continuations in */

struct sp_config {
	char *path; /* the file it came from */

	/* sockets and addresses */
	char *milter_socket; /* unix:/path or inet:PORT@127.0.0.1 */
	char *portal_socket; /* unix:/path or inet:PORT@127.0.0.1 */
	char *portal_url;    /* public base URL, no trailing slash */
	char *smtp_url;      /* where the portal submits mail */
	char *mail_from;     /* sender of passcode and notification mail */

	/* files */
	char *store_path; /* LMDB directory */
	char *keys_dir;   /* KEYID.pk, KEYID.sk */
	char *keys_group; /* group that may read .sk files, or NULL */
	char *rules_file;
	char *templates_dir;
	char *pid_file; /* or NULL */

	/* privileges */
	char *milter_user; /* drop to this user, or NULL */
	char *portal_user;

	/* store */
	uint64_t store_map_size; /* initial LMDB map size, bytes */
	uint64_t store_max_size; /* the map never grows past this */

	/* messages */
	uint64_t max_message_size; /* bytes; larger matched mail: reject */
	int64_t default_expire;    /* seconds */
	int64_t max_expire; /* latest expiry a sender may set, from creation */

	/* portal sign-in */
	int64_t passcode_ttl;           /* seconds */
	uint32_t passcode_max_tries;    /* wrong tries per code */
	uint32_t passcode_max_per_hour; /* codes per recipient per hour */
	int64_t session_idle;           /* seconds */
	int64_t session_max;            /* seconds */
	bool cookie_secure;             /* off only for a loopback demo */
	uint32_t portal_workers;        /* FastCGI worker processes */

	/* branding */
	char *brand_name;
	char *brand_logo_url;
	char *brand_color;
	char *brand_privacy_url;
	char *brand_footer;

	/* logging */
	char *log_level; /* debug, info, notice, warning, err */

	/* added keys (see sealpost.conf(5)) */
	uint32_t max_recipients;   /* envelope recipients of sealed mail */
	int64_t milter_timeout;    /* libmilter socket timeout, seconds */
	int64_t smtp_timeout;      /* portal mail submission, seconds */
	uint64_t max_reply_size;   /* text of a portal reply, bytes */
	int64_t audit_retention;   /* purge keeps the audit this long */
	int64_t purged_retention;  /* tombstones of purged messages */
	char *milter_socket_group; /* group of a unix milter socket, or NULL */
	uint32_t milter_socket_mode; /* mode of a unix milter socket */
	char *store_group; /* group sharing the store, or NULL: private */

	/* per key of the table: line it was set at, 0 for its default */
	unsigned *lines;
};

/* Loads and checks path.  On success *out is a new config (free with
 * sp_config_free) and SP_OK is returned; on failure every problem is in
 * diag and SP_ECONFIG is returned (SP_EIO when the file cannot be read
 * or is not a regular file, also reported in diag).  A file writable by
 * every user is refused (SP_ECONFIG); text values must be UTF-8. */
int sp_config_load(const char *path, struct sp_config **out,
    struct sp_diag *diag) SP_MUST_CHECK;
/* The same from a buffer; name is used in messages as the file name. */
int sp_config_parse(const char *name, const char *text, size_t len,
    struct sp_config **out, struct sp_diag *diag) SP_MUST_CHECK;
void sp_config_free(struct sp_config *cfg);

/* For programs: loads path (SP_CONFIG_DEFAULT_PATH when NULL); on
 * failure writes every diagnostic to stderr, then "PROG: PATH: N errors"
 * and returns the status.  Every program's -n uses it. */
int sp_config_load_or_report(
    const char *path, const char *prog, struct sp_config **out) SP_MUST_CHECK;

/* Which programs use a key (a bit mask). */
enum {
	SP_PROG_MILTER = 1u << 0,
	SP_PROG_PORTAL = 1u << 1,
	SP_PROG_CTL = 1u << 2,
	SP_PROG_ALL = SP_PROG_MILTER | SP_PROG_PORTAL | SP_PROG_CTL,
};

/* Writes the effective config as "key = value" lines that parse back to
 * the same config, in table order.  progs: only keys used by these
 * programs (SP_PROG_ALL for all).  verbose: first the keys set in the
 * file, each after a "# FILE:LINE" comment, then "# defaults" and the
 * rest (still a file that loads). */
void sp_config_print(
    const struct sp_config *cfg, FILE *fp, unsigned progs, bool verbose);

/* The value of the key called name, as it would be written in a file,
 * into buf (size cap; SP_CONFIG_VALUE_MAX + 1 always holds it); NULL when
 * there is no such key.  An unset key gives "". */
const char *sp_config_get(
    const struct sp_config *cfg, const char *name, char *buf, size_t cap);

/* The key table, for the documentation test and for tools. */
enum sp_config_type {
	SP_CT_STRING,
	SP_CT_INT,
	SP_CT_SIZE,
	SP_CT_DURATION,
	SP_CT_BOOL,
	SP_CT_PATH,
	SP_CT_URL,
	SP_CT_ENUM,
	SP_CT_SOCKET,
	SP_CT_MODE,
	SP_CT_ADDRESS,
	SP_CT_COLOR,
};

struct sp_config_key {
	const char *name;
	enum sp_config_type type;
	size_t offset;             /* into struct sp_config */
	const char *def;           /* default as written in a file; NULL:
	                              required; "": unset (NULL) */
	uint64_t min, max;         /* bounds for numbers (inclusive) */
	unsigned progs;            /* SP_PROG_* */
	const char *const *values; /* enum: the names; url: the schemes */
};

const struct sp_config_key *sp_config_keys(size_t *n);
/* "string", "int", "size", ... as sealpost.conf(5) names them. */
const char *sp_config_type_name(enum sp_config_type t);

/* Value syntax, shared with the programs. */
int sp_config_parse_size(const char *s, uint64_t *out) SP_MUST_CHECK;
int sp_config_parse_duration(const char *s, int64_t *out) SP_MUST_CHECK;
/* Canonical text of a size ("64m") or duration ("1h30m") into buf. */
const char *sp_config_fmt_size(uint64_t v, char *buf, size_t cap);
const char *sp_config_fmt_duration(int64_t v, char *buf, size_t cap);

/* A parsed milter_socket or portal_socket. */
enum sp_socket_kind {
	SP_SOCKET_UNIX,
	SP_SOCKET_INET,  /* IPv4 literal */
	SP_SOCKET_INET6, /* IPv6 literal */
};

struct sp_socket {
	enum sp_socket_kind kind;
	char path[108]; /* unix: the socket path */
	char host[64];  /* inet: the address literal */
	uint16_t port;  /* inet: the port */
};

/* Accepts "unix:/abs/path", "local:/abs/path", "inet:PORT@IPv4" and
 * "inet6:PORT@IPv6".  On failure err says what is wrong. */
int sp_config_socket_parse(const char *spec, struct sp_socket *out,
    struct sp_error *err) SP_MUST_CHECK;

/* The path used when -c is not given. */
#define SP_CONFIG_DEFAULT_PATH "/etc/sealpost/sealpost.conf"

#endif
