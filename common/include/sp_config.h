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
 * sp_config_load() reports every error it finds into a struct sp_diag as
 * "file:line: message" (an unknown key gets a did-you-mean), then fails.
 * The returned config is immutable; a reload loads a new one and swaps.
 */
#ifndef SP_CONFIG_H
#define SP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "sp_error.h"

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
};

/* Loads and checks path.  On success *out is a new config (free with
 * sp_config_free) and SP_OK is returned; on failure every problem is in
 * diag and SP_ECONFIG is returned. */
int sp_config_load(const char *path, struct sp_config **out,
    struct sp_diag *diag) SP_MUST_CHECK;
/* The same from a buffer; name is used in messages as the file name. */
int sp_config_parse(const char *name, const char *text, size_t len,
    struct sp_config **out, struct sp_diag *diag) SP_MUST_CHECK;
void sp_config_free(struct sp_config *cfg);

/* The path used when -c is not given. */
#define SP_CONFIG_DEFAULT_PATH "/etc/sealpost/sealpost.conf"

#endif
