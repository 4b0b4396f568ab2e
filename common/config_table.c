/* SPDX-License-Identifier: MIT */
/*
 * config_table: every key of sealpost.conf, declared once.
 *
 * Each line gives the key's name, type, where it lands in struct
 * sp_config, its default (written as it would be in a file, so defaults go
 * through the same parser and checks as the admin's values; NULL marks a
 * required key, "" a key that is unset by default), numeric bounds and the
 * programs that read it.  sealpost.conf(5) documents this table, and a
 * unit test checks that every key appears there with its type and default.
 */
#include "sp_config.h"

#include <stddef.h>

#define K        ((uint64_t)1024)
#define M        (K * K)
#define G        (K * M)
#define MIN      ((uint64_t)60)
#define HOUR     (60 * MIN)
#define DAY      (24 * HOUR)
#define NOLIMIT  UINT64_MAX
#define F(field) offsetof(struct sp_config, field)

#define MIL SP_PROG_MILTER
#define POR SP_PROG_PORTAL
#define CTL SP_PROG_CTL

static const char *const log_levels[] = { "debug", "info", "notice", "warning",
	"err", NULL };
static const char *const web_schemes[] = { "http", "https", NULL };
static const char *const smtp_schemes[] = { "smtp", "smtps", NULL };

static const struct sp_config_key keys[] = {
	/* sockets and addresses */
	{ "milter_socket", SP_CT_SOCKET, F(milter_socket),
	    "unix:/var/spool/postfix/sealpost/milter.sock", 0, 0, MIL, NULL },
	{ "milter_socket_group", SP_CT_STRING, F(milter_socket_group), "", 0, 0,
	    MIL, NULL },
	{ "milter_socket_mode", SP_CT_MODE, F(milter_socket_mode), "0660", 0,
	    0777, MIL, NULL },
	{ "milter_timeout", SP_CT_DURATION, F(milter_timeout), "2m", 10, HOUR,
	    MIL, NULL },
	{ "portal_socket", SP_CT_SOCKET, F(portal_socket),
	    "unix:/run/sealpost-portal/portal.sock", 0, 0, POR, NULL },
	{ "portal_url", SP_CT_URL, F(portal_url), NULL, 0, 0, MIL | POR | CTL,
	    web_schemes },
	{ "smtp_url", SP_CT_URL, F(smtp_url), "smtp://127.0.0.1:10026", 0, 0,
	    POR | CTL, smtp_schemes },
	{ "smtp_timeout", SP_CT_DURATION, F(smtp_timeout), "30s", 1, HOUR, POR,
	    NULL },
	{ "mail_from", SP_CT_ADDRESS, F(mail_from), "sealpost@localhost", 0, 0,
	    MIL | POR, NULL },

	/* files */
	{ "store_path", SP_CT_PATH, F(store_path), "/var/lib/sealpost/store", 0,
	    0, MIL | POR | CTL, NULL },
	{ "keys_dir", SP_CT_PATH, F(keys_dir), "/etc/sealpost/keys", 0, 0,
	    MIL | POR | CTL, NULL },
	{ "keys_group", SP_CT_STRING, F(keys_group), "", 0, 0, POR | CTL,
	    NULL },
	{ "rules_file", SP_CT_PATH, F(rules_file), "/etc/sealpost/rules", 0, 0,
	    MIL | CTL, NULL },
	{ "templates_dir", SP_CT_PATH, F(templates_dir),
	    "/usr/share/sealpost/templates", 0, 0, MIL | POR, NULL },
	{ "pid_file", SP_CT_PATH, F(pid_file), "", 0, 0, MIL | POR, NULL },

	/* privileges */
	{ "milter_user", SP_CT_STRING, F(milter_user), "", 0, 0, MIL, NULL },
	{ "portal_user", SP_CT_STRING, F(portal_user), "", 0, 0, POR, NULL },

	/* store */
	{ "store_map_size", SP_CT_SIZE, F(store_map_size), "64m", M, 1024 * G,
	    MIL | POR | CTL, NULL },
	{ "store_max_size", SP_CT_SIZE, F(store_max_size), "16g", M, 1024 * G,
	    MIL | POR | CTL, NULL },
	{ "store_group", SP_CT_STRING, F(store_group), "", 0, 0,
	    MIL | POR | CTL, NULL },

	/* messages */
	{ "max_message_size", SP_CT_SIZE, F(max_message_size), "64m", K, 4 * G,
	    MIL, NULL },
	{ "max_recipients", SP_CT_INT, F(max_recipients), "1000", 1, 100000,
	    MIL, NULL },
	{ "default_expire", SP_CT_DURATION, F(default_expire), "30d", HOUR,
	    3650 * DAY, MIL | POR, NULL },
	{ "max_expire", SP_CT_DURATION, F(max_expire), "365d", HOUR, 3650 * DAY,
	    POR, NULL },
	{ "audit_retention", SP_CT_DURATION, F(audit_retention), "365d", DAY,
	    36500 * DAY, CTL, NULL },
	{ "purged_retention", SP_CT_DURATION, F(purged_retention), "90d", 0,
	    36500 * DAY, CTL, NULL },

	/* portal sign-in */
	{ "passcode_ttl", SP_CT_DURATION, F(passcode_ttl), "10m", MIN, DAY, POR,
	    NULL },
	{ "passcode_max_tries", SP_CT_INT, F(passcode_max_tries), "5", 1, 20,
	    POR, NULL },
	{ "passcode_max_per_hour", SP_CT_INT, F(passcode_max_per_hour), "10", 1,
	    1000, POR, NULL },
	{ "session_idle", SP_CT_DURATION, F(session_idle), "15m", MIN, DAY, POR,
	    NULL },
	{ "session_max", SP_CT_DURATION, F(session_max), "8h", MIN, 30 * DAY,
	    POR, NULL },
	{ "cookie_secure", SP_CT_BOOL, F(cookie_secure), "yes", 0, 0, POR,
	    NULL },
	{ "portal_workers", SP_CT_INT, F(portal_workers), "8", 1, 256, POR,
	    NULL },
	{ "max_reply_size", SP_CT_SIZE, F(max_reply_size), "256k", K, 320 * K,
	    POR, NULL },

	/* branding */
	{ "brand_name", SP_CT_STRING, F(brand_name), "sealpost", 0, 0,
	    MIL | POR, NULL },
	{ "brand_logo_url", SP_CT_URL, F(brand_logo_url), "", 0, 0, MIL | POR,
	    web_schemes },
	{ "brand_color", SP_CT_COLOR, F(brand_color), "#1f4e79", 0, 0,
	    MIL | POR, NULL },
	{ "brand_privacy_url", SP_CT_URL, F(brand_privacy_url), "", 0, 0,
	    MIL | POR, web_schemes },
	{ "brand_footer", SP_CT_STRING, F(brand_footer), "", 0, 0, MIL | POR,
	    NULL },

	/* logging */
	{ "log_level", SP_CT_ENUM, F(log_level), "info", 0, 0, MIL | POR | CTL,
	    log_levels },
};

const struct sp_config_key *
sp_config_keys(size_t *n)
{
	*n = sizeof(keys) / sizeof(keys[0]);
	return keys;
}

static const char *const type_names[] = {
	[SP_CT_STRING] = "string",
	[SP_CT_INT] = "int",
	[SP_CT_SIZE] = "size",
	[SP_CT_DURATION] = "duration",
	[SP_CT_BOOL] = "bool",
	[SP_CT_PATH] = "path",
	[SP_CT_URL] = "url",
	[SP_CT_ENUM] = "enum",
	[SP_CT_SOCKET] = "socket",
	[SP_CT_MODE] = "mode",
	[SP_CT_ADDRESS] = "address",
	[SP_CT_COLOR] = "color",
};

const char *
sp_config_type_name(enum sp_config_type t)
{
	if ((size_t)t >= sizeof(type_names) / sizeof(type_names[0]))
		return "?";
	return type_names[t];
}
