/* SPDX-License-Identifier: MIT */
/* Tests for sp_config: syntax, errors with file:line, defaults, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "sp_config.h"

#define URL "portal_url = https://portal.example\n"

static int
parse(const char *text, struct sp_config **cfg, struct sp_diag *d)
{
	sp_diag_init(d);
	return sp_config_parse("t.conf", text, strlen(text), cfg, d);
}

/* The diagnostics joined by newlines, for CHECK_CONTAINS. */
static const char *
joined(const struct sp_diag *d, char *buf, size_t cap)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < d->n && o < cap; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%s\n", d->msgs[i]);
	return buf;
}

static const struct {
	const char *name;
	const char *text;
	const char *want;
} bad_cases[] = {
	{ "unknown key suggests the closest", URL "portl_url = x\n",
	    "t.conf:2: unknown key \"portl_url\" (did you mean "
	    "\"portal_url\"?)" },
	{ "unknown key suggests despite case", URL "Session_Max = 1h\n",
	    "t.conf:2: unknown key \"Session_Max\" (did you mean "
	    "\"session_max\"?)" },
	{ "unknown key far from all has no hint", URL "zzzzzz = 1\n",
	    "t.conf:2: unknown key \"zzzzzz\"\n" },
	{ "duplicate names the first line",
	    URL "passcode_ttl = 5m\n# c\npasscode_ttl = 6m\n",
	    "t.conf:4: duplicate key \"passcode_ttl\" (first set at line 2)" },
	{ "int above bounds names them", URL "passcode_max_tries = 50\n",
	    "t.conf:2: passcode_max_tries: \"50\" is out of bounds (1..20)" },
	{ "int zero below bounds", URL "portal_workers = 0\n",
	    "t.conf:2: portal_workers: \"0\" is out of bounds (1..256)" },
	{ "size bounds in size units", URL "store_map_size = 10k\n",
	    "t.conf:2: store_map_size: \"10k\" is out of bounds (1m..1t)" },
	{ "duration bounds in duration units", URL "passcode_ttl = 2d\n",
	    "t.conf:2: passcode_ttl: \"2d\" is out of bounds (1m..1d)" },
	{ "bad duration unit", URL "passcode_ttl = 10x\n",
	    "t.conf:2: passcode_ttl: \"10x\" is not a duration" },
	{ "duration missing last unit", URL "session_max = 1h30\n",
	    "t.conf:2: session_max: \"1h30\" is not a duration" },
	{ "bad size suffix", URL "max_message_size = 5q\n",
	    "t.conf:2: max_message_size: \"5q\" is not a size" },
	{ "negative int", URL "portal_workers = -1\n",
	    "t.conf:2: portal_workers: \"-1\" is not a whole number" },
	{ "word for int", URL "portal_workers = two\n",
	    "t.conf:2: portal_workers: \"two\" is not a whole number" },
	{ "size overflow", URL "store_max_size = 99999999999999999999t\n",
	    "is not a size" },
	{ "bad bool", URL "cookie_secure = maybe\n",
	    "t.conf:2: cookie_secure: \"maybe\" is not yes or no" },
	{ "bad enum lists the names", URL "log_level = verbose\n",
	    "t.conf:2: log_level: \"verbose\" is not one of debug, info, "
	    "notice, warning or err" },
	{ "portal_url needs http or https",
	    "portal_url = ftp://portal.example\n",
	    "t.conf:1: portal_url: \"ftp://portal.example\" must start with "
	    "http:// or https://" },
	{ "portal_url needs a host", "portal_url = https:///x\n",
	    "t.conf:1: portal_url: \"https:///x\" has no host" },
	{ "smtp_url needs smtp", URL "smtp_url = http://127.0.0.1\n",
	    "must start with smtp:// or smtps://" },
	{ "inet socket needs an IP literal",
	    URL "milter_socket = inet:8890@localhost\n",
	    "t.conf:2: milter_socket: \"inet:8890@localhost\": the address "
	    "must be an IPv4 literal" },
	{ "inet socket port range",
	    URL "milter_socket = inet:70000@127.0.0.1\n",
	    "the port must be a number from 1 to 65535" },
	{ "inet socket needs a host", URL "portal_socket = inet:9000\n",
	    "needs PORT@ADDRESS" },
	{ "unix socket needs absolute path",
	    URL "milter_socket = unix:x.sock\n",
	    "a unix socket needs an absolute path" },
	{ "unknown socket kind", URL "milter_socket = tcp:1@127.0.0.1\n",
	    "must be unix:/PATH, inet:PORT@IPV4 or inet6:PORT@IPV6" },
	{ "relative path refused", URL "store_path = var/store\n",
	    "t.conf:2: store_path: \"var/store\" is not an absolute path" },
	{ "mail_from with a space", URL "mail_from = a b@example.org\n",
	    "is not a plain mail address" },
	{ "mail_from without domain", URL "mail_from = sealpost@\n",
	    "is not a plain mail address" },
	{ "quotes in a value are shown escaped",
	    URL "mail_from = \"Portal\" <p@x.test>\n",
	    "t.conf:2: mail_from: \"\\\"Portal\\\" <p@x.test>\" is not a plain "
	    "mail address" },
	{ "brand_color not hex", URL "brand_color = red\n",
	    "\"red\" is not a colour" },
	{ "mode not octal", URL "milter_socket_mode = 0689\n",
	    "is not an octal mode" },
	{ "empty value of a key with a default", URL "brand_name =\n",
	    "t.conf:2: brand_name: needs a value" },
	{ "line without equals", URL "portal_workers 4\n",
	    "t.conf:2: expected \"key = value\"" },
	{ "equals without key", URL "= 4\n",
	    "t.conf:2: expected a key name before '='" },
	{ "continuation at the top", "  dangling\n" URL,
	    "t.conf:1: continuation line without a key above it" },
	{ "NUL byte in a line", URL "brand_name = a\0b\n",
	    "t.conf:2: the line holds a NUL byte" },
	{ "Latin-1 byte is not UTF-8", URL "brand_name = caf\xe9\n",
	    "t.conf:2: brand_name: \"caf\\xe9\" is not valid UTF-8" },
	{ "overlong slash is not UTF-8",
	    URL "brand_footer = a\xc0\xaf"
	        "b\n",
	    "t.conf:2: brand_footer: \"a\\xc0\\xafb\" is not valid UTF-8" },
	{ "surrogate is not UTF-8", URL "brand_name = \xed\xa0\x80\n",
	    "is not valid UTF-8" },
	{ "cut sequence is not UTF-8", URL "brand_name = ab\xe2\x82\n",
	    "is not valid UTF-8" },
	{ "8-bit byte in a path", URL "store_path = /var/\xff\n",
	    "t.conf:2: store_path: \"/var/\\xff\" is not valid UTF-8" },
	{ "missing required key", "brand_name = x\n",
	    "t.conf: missing required key portal_url" },
	{ "map size above max size",
	    URL "store_map_size = 2g\nstore_max_size = 1g\n",
	    "t.conf: store_map_size is larger than store_max_size" },
	{ "idle longer than max", URL "session_idle = 2h\nsession_max = 1h\n",
	    "t.conf: session_idle is longer than session_max" },
};

static void
bad_configs_are_refused_with_file_and_line(void **state)
{
	char buf[4096];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct sp_config *cfg = (struct sp_config *)1;
		struct sp_diag d;
		/* the NUL case needs its real length */
		size_t len = strlen(bad_cases[i].text);
		int rc;

		if (strstr(bad_cases[i].name, "NUL") != NULL)
			len += 1 + strlen(bad_cases[i].text + len + 1);
		sp_diag_init(&d);
		rc =
		    sp_config_parse("t.conf", bad_cases[i].text, len, &cfg, &d);
		print_message("case: %s\n", bad_cases[i].name);
		CHECK_INT(rc, SP_ECONFIG);
		assert_null(cfg);
		CHECK_CONTAINS(joined(&d, buf, sizeof(buf)), bad_cases[i].want);
		sp_diag_cleanup(&d);
	}
}

static void
every_error_in_a_file_is_reported(void **state)
{
	static const char text[] =
	    "# three mistakes\n"
	    "passcode_ttl = soon\n" URL "portal_workers = 9999\n"
	    "milter_sockt = unix:/x\n"
	    "passcode_ttl = 5m\n";
	struct sp_config *cfg;
	struct sp_diag d;

	(void)state;
	CHECK_INT(parse(text, &cfg, &d), SP_ECONFIG);
	CHECK_INT(d.n, 4);
	CHECK_CONTAINS(d.msgs[0], "t.conf:2: passcode_ttl:");
	CHECK_CONTAINS(d.msgs[1], "t.conf:4: portal_workers:");
	CHECK_CONTAINS(d.msgs[2], "t.conf:5: unknown key \"milter_sockt\"");
	CHECK_CONTAINS(d.msgs[3], "t.conf:6: duplicate key \"passcode_ttl\"");
	sp_diag_cleanup(&d);
}

/* A line with a NUL is refused whole; what follows it does not continue
 * the entry above (which would turn one error into two). */
static void
nul_line_ends_the_entry_above(void **state)
{
	static const char text[] = URL "brand_name = a\0b\n  x y\n";
	struct sp_config *cfg;
	struct sp_diag d;

	(void)state;
	sp_diag_init(&d);
	CHECK_INT(sp_config_parse("t.conf", text, sizeof(text) - 1, &cfg, &d),
	    SP_ECONFIG);
	CHECK_INT(d.n, 1);
	CHECK_STR(d.msgs[0], "t.conf:2: the line holds a NUL byte");
	sp_diag_cleanup(&d);
}

static void
defaults_fill_every_unset_key(void **state)
{
	struct sp_config *cfg;
	struct sp_diag d;

	(void)state;
	CHECK_INT(parse(URL, &cfg, &d), SP_OK);
	CHECK_STR(
	    cfg->milter_socket, "unix:/var/spool/postfix/sealpost/milter.sock");
	CHECK_STR(cfg->portal_socket, "unix:/run/sealpost-portal/portal.sock");
	CHECK_STR(cfg->store_path, "/var/lib/sealpost/store");
	CHECK_STR(cfg->keys_dir, "/etc/sealpost/keys");
	CHECK_STR(cfg->rules_file, "/etc/sealpost/rules");
	CHECK_STR(cfg->templates_dir, "/usr/share/sealpost/templates");
	CHECK_STR(cfg->smtp_url, "smtp://127.0.0.1:10026");
	CHECK_STR(cfg->mail_from, "sealpost@localhost");
	CHECK_INT(cfg->store_map_size, 64 << 20);
	CHECK_INT(cfg->store_max_size, 16ULL << 30);
	CHECK_INT(cfg->max_message_size, 64 << 20);
	CHECK_INT(cfg->default_expire, 30 * 86400);
	CHECK_INT(cfg->passcode_ttl, 600);
	CHECK_INT(cfg->passcode_max_tries, 5);
	CHECK_INT(cfg->passcode_max_per_hour, 10);
	CHECK_INT(cfg->session_idle, 900);
	CHECK_INT(cfg->session_max, 8 * 3600);
	CHECK_INT(cfg->cookie_secure, true);
	CHECK_INT(cfg->portal_workers, 8);
	CHECK_STR(cfg->brand_name, "sealpost");
	CHECK_STR(cfg->log_level, "info");
	CHECK_INT(cfg->milter_socket_mode, 0660);
	assert_null(cfg->keys_group);
	assert_null(cfg->pid_file);
	assert_null(cfg->brand_logo_url);
	CHECK_STR(cfg->path, "t.conf");
	sp_config_free(cfg);
	sp_diag_cleanup(&d);
}

static void
values_are_parsed_by_type(void **state)
{
	static const char text[] =
	    "portal_url = https://portal.example/mail//\n"
	    "store_map_size = 128m\n"
	    "max_message_size = 1G\n"
	    "session_max = 1h30m\n"
	    "passcode_ttl = 90\n"
	    "default_expire = 2w\n"
	    "cookie_secure = Off\n"
	    "brand_color = #0055aa\n"
	    "milter_socket = inet6:8890@::1\n"
	    "portal_socket = inet:9000@127.0.0.1\r\n"
	    "milter_socket_mode = 660\n"
	    "keys_group = sealpost\n"
	    "pid_file =\n";
	struct sp_config *cfg;
	struct sp_diag d;

	(void)state;
	CHECK_INT(parse(text, &cfg, &d), SP_OK);
	CHECK_STR(cfg->portal_url, "https://portal.example/mail");
	CHECK_INT(cfg->store_map_size, 128 << 20);
	CHECK_INT(cfg->max_message_size, 1 << 30);
	CHECK_INT(cfg->session_max, 5400);
	CHECK_INT(cfg->passcode_ttl, 90);
	CHECK_INT(cfg->default_expire, 14 * 86400);
	CHECK_INT(cfg->cookie_secure, false);
	CHECK_STR(cfg->brand_color, "#0055aa");
	CHECK_STR(cfg->milter_socket, "inet6:8890@::1");
	CHECK_STR(cfg->portal_socket, "inet:9000@127.0.0.1");
	CHECK_INT(cfg->milter_socket_mode, 0660);
	CHECK_STR(cfg->keys_group, "sealpost");
	assert_null(cfg->pid_file);
	sp_config_free(cfg);
	sp_diag_cleanup(&d);
}

static void
continuation_lines_join_with_one_space(void **state)
{
	static const char text[] = URL "brand_footer = Line one\n"
	                               "   and two\n"
	                               "# a comment between\n"
	                               "\n"
	                               "\t and three  \n"
	                               "brand_name = Acme\n";
	struct sp_config *cfg;
	struct sp_diag d;

	(void)state;
	CHECK_INT(parse(text, &cfg, &d), SP_OK);
	CHECK_STR(cfg->brand_footer, "Line one and two and three");
	CHECK_STR(cfg->brand_name, "Acme");
	sp_config_free(cfg);
	sp_diag_cleanup(&d);
}

/* head, n copies of piece, then tail; NUL-terminated, caller frees. */
static char *
repeat(const char *head, const char *piece, size_t n, const char *tail)
{
	size_t hl = strlen(head), pl = strlen(piece), tl = strlen(tail), i;
	char *t = malloc(hl + n * pl + tl + 1);

	assert_non_null(t);
	memcpy(t, head, hl);
	for (i = 0; i < n; i++)
		memcpy(t + hl + i * pl, piece, pl);
	memcpy(t + hl + n * pl, tail, tl + 1);
	return t;
}

/* Oversized input gives one clear error each, not one per line, and no
 * value is cut silently. */
static void
huge_lines_and_deep_continuations_are_refused_once(void **state)
{
	static const struct {
		const char *name;
		const char *head;
		const char *piece;
		size_t n;
		const char *tail;
		const char *want;
	} cases[] = {
		{ "100 KB value on one line", URL "brand_footer = ", "x",
		    100000, "\n",
		    "t.conf:2: brand_footer: the value is longer than 4096 "
		    "bytes" },
		{ "100000 continuation lines", URL "brand_footer = a\n", " b\n",
		    100000, "",
		    "t.conf:2: brand_footer: the value is longer than 4096 "
		    "bytes" },
		{ "key of 200 characters", URL, "k", 200, " = 1\n",
		    "t.conf:2: expected a key name before '='" },
	};
	struct sp_config *cfg;
	struct sp_diag d;
	char *text;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case: %s\n", cases[i].name);
		text = repeat(
		    cases[i].head, cases[i].piece, cases[i].n, cases[i].tail);
		cfg = NULL;
		CHECK_INT(parse(text, &cfg, &d), SP_ECONFIG);
		assert_null(cfg);
		CHECK_INT(d.total, 1);
		CHECK_STR(d.msgs[0], cases[i].want);
		sp_diag_cleanup(&d);
		free(text);
	}
}

static const struct {
	const char *text;
	int rc;
	uint64_t want;
} size_cases[] = {
	{ "0", SP_OK, 0 },
	{ "512", SP_OK, 512 },
	{ "4k", SP_OK, 4096 },
	{ "64m", SP_OK, 64ULL << 20 },
	{ "16g", SP_OK, 16ULL << 30 },
	{ "2T", SP_OK, 2ULL << 40 },
	{ "", SP_EFORMAT, 0 },
	{ "k", SP_EFORMAT, 0 },
	{ "4kb", SP_EFORMAT, 0 },
	{ "4 k", SP_EFORMAT, 0 },
	{ "+4", SP_EFORMAT, 0 },
	{ "16777216t", SP_EFORMAT, 0 },
};

static void
sizes_take_binary_suffixes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(size_cases) / sizeof(size_cases[0]); i++) {
		uint64_t v = 0;

		print_message("case: \"%s\"\n", size_cases[i].text);
		CHECK_INT(sp_config_parse_size(size_cases[i].text, &v),
		    size_cases[i].rc);
		if (size_cases[i].rc == SP_OK)
			CHECK_INT(v, size_cases[i].want);
	}
}

static const struct {
	const char *text;
	int rc;
	int64_t want;
	const char *canonical;
} duration_cases[] = {
	{ "45", SP_OK, 45, "45s" },
	{ "45s", SP_OK, 45, "45s" },
	{ "10m", SP_OK, 600, "10m" },
	{ "8h", SP_OK, 28800, "8h" },
	{ "30d", SP_OK, 30 * 86400, "30d" },
	{ "1w", SP_OK, 7 * 86400, "7d" },
	{ "1h30m", SP_OK, 5400, "1h30m" },
	{ "90m", SP_OK, 5400, "1h30m" },
	{ "1d1s", SP_OK, 86401, "1d1s" },
	{ "", SP_EFORMAT, 0, NULL },
	{ "m", SP_EFORMAT, 0, NULL },
	{ "10M", SP_EFORMAT, 0, NULL },
	{ "1h30", SP_EFORMAT, 0, NULL },
	{ "-5s", SP_EFORMAT, 0, NULL },
	{ "99999999999999999999s", SP_EFORMAT, 0, NULL },
	{ "9999999999999999w", SP_EFORMAT, 0, NULL },
};

static void
durations_take_units_and_print_back(void **state)
{
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(duration_cases) / sizeof(duration_cases[0]);
	     i++) {
		int64_t v = 0;

		print_message("case: \"%s\"\n", duration_cases[i].text);
		CHECK_INT(sp_config_parse_duration(duration_cases[i].text, &v),
		    duration_cases[i].rc);
		if (duration_cases[i].rc != SP_OK)
			continue;
		CHECK_INT(v, duration_cases[i].want);
		CHECK_STR(sp_config_fmt_duration(v, buf, sizeof(buf)),
		    duration_cases[i].canonical);
	}
}

static const struct {
	const char *spec;
	int rc;
	enum sp_socket_kind kind;
	const char *where;
	unsigned port;
} socket_cases[] = {
	{ "unix:/run/s.sock", SP_OK, SP_SOCKET_UNIX, "/run/s.sock", 0 },
	{ "local:/run/s.sock", SP_OK, SP_SOCKET_UNIX, "/run/s.sock", 0 },
	{ "inet:8890@127.0.0.1", SP_OK, SP_SOCKET_INET, "127.0.0.1", 8890 },
	{ "inet6:1@::1", SP_OK, SP_SOCKET_INET6, "::1", 1 },
	{ "inet6:1@127.0.0.1", SP_EFORMAT, 0, NULL, 0 },
	{ "inet:0@127.0.0.1", SP_EFORMAT, 0, NULL, 0 },
	{ "inet:@127.0.0.1", SP_EFORMAT, 0, NULL, 0 },
	{ "inet:80@", SP_EFORMAT, 0, NULL, 0 },
	{ "inet:80@mx.example", SP_EFORMAT, 0, NULL, 0 },
	{ "unix:", SP_EFORMAT, 0, NULL, 0 },
	{ "/run/s.sock", SP_EFORMAT, 0, NULL, 0 },
};

static void
sockets_are_unix_paths_or_ip_literals(void **state)
{
	struct sp_socket s;
	struct sp_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(socket_cases) / sizeof(socket_cases[0]); i++) {
		print_message("case: %s\n", socket_cases[i].spec);
		CHECK_INT(
		    sp_config_socket_parse(socket_cases[i].spec, &s, &err),
		    socket_cases[i].rc);
		if (socket_cases[i].rc != SP_OK)
			continue;
		CHECK_INT(s.kind, socket_cases[i].kind);
		CHECK_STR(s.kind == SP_SOCKET_UNIX ? s.path : s.host,
		    socket_cases[i].where);
		CHECK_INT(s.port, socket_cases[i].port);
	}
}

/* What sp_config_print writes must load back to the same config. */
static void
printed_config_parses_back_the_same(void **state)
{
	static const char text[] = URL "brand_footer = a\n  b # c\n"
	                               "session_max = 90m\n"
	                               "keys_group = mail\n";
	struct sp_config *a, *b;
	struct sp_diag d;
	char *out1 = NULL, *out2 = NULL;
	size_t n1 = 0, n2 = 0;
	FILE *fp;

	(void)state;
	CHECK_INT(parse(text, &a, &d), SP_OK);
	fp = open_memstream(&out1, &n1);
	sp_config_print(a, fp, SP_PROG_ALL, false);
	fclose(fp);
	sp_diag_cleanup(&d);
	CHECK_INT(parse(out1, &b, &d), SP_OK);
	fp = open_memstream(&out2, &n2);
	sp_config_print(b, fp, SP_PROG_ALL, false);
	fclose(fp);
	CHECK_STR(out2, out1);
	CHECK_CONTAINS(out1, "\nsession_max = 1h30m\n");
	CHECK_CONTAINS(out1, "\nbrand_footer = a b # c\n");
	CHECK_CONTAINS(out1, "\npid_file =\n");
	sp_config_free(a);
	sp_config_free(b);
	sp_diag_cleanup(&d);
	free(out1);
	free(out2);
}

static void
verbose_print_says_where_values_come_from(void **state)
{
	struct sp_config *cfg, *again;
	struct sp_diag d;
	char *out = NULL;
	size_t n = 0;
	FILE *fp;

	(void)state;
	CHECK_INT(parse("# x\n" URL "max_recipients = 7\n", &cfg, &d), SP_OK);
	fp = open_memstream(&out, &n);
	sp_config_print(cfg, fp, SP_PROG_MILTER, true);
	fclose(fp);
	CHECK_CONTAINS(out,
	    "# effective configuration from t.conf\n"
	    "# t.conf:2\n"
	    "portal_url = https://portal.example\n"
	    "# t.conf:3\n"
	    "max_recipients = 7\n"
	    "# defaults\n");
	CHECK_CONTAINS(out, "\nmax_message_size = 64m\n");
	/* a portal-only key is left out when printing for the milter */
	assert_null(strstr(out, "passcode_ttl"));
	/* and the verbose form loads too */
	sp_diag_cleanup(&d);
	CHECK_INT(parse(out, &again, &d), SP_OK);
	CHECK_INT(again->max_recipients, 7);
	sp_config_free(again);
	sp_config_free(cfg);
	sp_diag_cleanup(&d);
	free(out);
}

static void
load_reads_a_file_and_names_it(void **state)
{
	char path[] = "/tmp/sp_config_XXXXXX";
	struct sp_config *cfg;
	struct sp_diag d;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_true(write(fd, "portal_workers = 0\n", 19) == 19);
	close(fd);
	sp_diag_init(&d);
	CHECK_INT(sp_config_load(path, &cfg, &d), SP_ECONFIG);
	CHECK_INT(d.n, 2);
	CHECK_CONTAINS(d.msgs[0], path);
	CHECK_CONTAINS(d.msgs[0], ":1: portal_workers:");
	sp_diag_cleanup(&d);
	unlink(path);

	sp_diag_init(&d);
	CHECK_INT(sp_config_load(path, &cfg, &d), SP_EIO);
	CHECK_CONTAINS(d.msgs[0], "cannot open");
	sp_diag_cleanup(&d);
}

static void
utf8_values_are_kept(void **state)
{
	struct sp_config *cfg = NULL;
	struct sp_diag d;

	(void)state;
	CHECK_INT(parse(URL "brand_name = Caf\xc3\xa9 \xe2\x82\xac "
	                    "\xf0\x9f\x94\x92\n",
	              &cfg, &d),
	    SP_OK);
	CHECK_STR(cfg->brand_name, "Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92");
	sp_config_free(cfg);
	sp_diag_cleanup(&d);
}

/* Writes text to a new file of the given mode; returns its path. */
static char *
config_file(const char *text, mode_t mode)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/sp_config_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static const struct {
	const char *name;
	mode_t mode;
	int rc;
} file_mode_cases[] = {
	{ "private file loads", 0600, SP_OK },
	{ "file readable by all loads", 0644, SP_OK },
	{ "group writable file loads", 0664, SP_OK },
	{ "world writable file refused", 0666, SP_ECONFIG },
	{ "world writable only refused", 0602, SP_ECONFIG },
};

/* Whoever may write the config may point keys_dir at a key of theirs. */
static void
config_writable_by_everyone_is_refused(void **state)
{
	struct sp_config *cfg;
	struct sp_diag d;
	char *path;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(file_mode_cases) / sizeof(file_mode_cases[0]);
	     i++) {
		print_message("case: %s\n", file_mode_cases[i].name);
		path = config_file(URL, file_mode_cases[i].mode);
		sp_diag_init(&d);
		cfg = NULL;
		CHECK_INT(
		    sp_config_load(path, &cfg, &d), file_mode_cases[i].rc);
		if (file_mode_cases[i].rc != SP_OK) {
			assert_null(cfg);
			CHECK_INT(d.n, 1);
			CHECK_CONTAINS(d.msgs[0], path);
			CHECK_CONTAINS(d.msgs[0], "writable by every user");
		}
		sp_config_free(cfg);
		sp_diag_cleanup(&d);
		unlink(path);
	}
}

/* A FIFO as config is refused at once, not waited on; the alarm turns a
 * hang into a failure. */
static void
config_that_is_a_fifo_is_refused(void **state)
{
	char path[64] = "/tmp/sp_config_fifo_XXXXXX";
	struct sp_config *cfg = NULL;
	struct sp_diag d;

	(void)state;
	assert_non_null(mkdtemp(path));
	strncat(path, "/f", sizeof(path) - strlen(path) - 1);
	assert_int_equal(mkfifo(path, 0600), 0);
	sp_diag_init(&d);
	alarm(10);
	CHECK_INT(sp_config_load(path, &cfg, &d), SP_EIO);
	alarm(0);
	assert_null(cfg);
	CHECK_CONTAINS(d.msgs[0], "not a regular file");
	sp_diag_cleanup(&d);
	unlink(path);
	path[strlen(path) - 2] = '\0';
	rmdir(path);
}

static void
table_names_are_unique_and_documented_types_known(void **state)
{
	const struct sp_config_key *keys;
	size_t i, j, n;

	(void)state;
	keys = sp_config_keys(&n);
	assert_true(n > 30);
	for (i = 0; i < n; i++) {
		CHECK_INT(
		    strcmp(sp_config_type_name(keys[i].type), "?") != 0, true);
		CHECK_INT(keys[i].progs != 0, true);
		for (j = i + 1; j < n; j++)
			if (strcmp(keys[i].name, keys[j].name) == 0)
				fail_msg("key %s twice", keys[i].name);
	}
}

/* The line sealpost.conf(5) gives under each key: type, default, bounds,
 * programs.  Run with SEALPOST_PRINT_DOC=1 to print them all. */
static void
doc_line(const struct sp_config_key *k, const struct sp_config *cfg, char *buf,
    size_t cap)
{
	char value[SP_CONFIG_VALUE_MAX + 1], def[SP_CONFIG_VALUE_MAX + 32];
	char lo[32], hi[32], range[80] = "", progs[64];
	const char *d;

	d = sp_config_get(cfg, k->name, value, sizeof(value));
	if (k->type == SP_CT_SIZE) {
		sp_config_fmt_size(k->min, lo, sizeof(lo));
		sp_config_fmt_size(k->max, hi, sizeof(hi));
	} else if (k->type == SP_CT_DURATION) {
		sp_config_fmt_duration((int64_t)k->min, lo, sizeof(lo));
		sp_config_fmt_duration((int64_t)k->max, hi, sizeof(hi));
	} else if (k->type == SP_CT_MODE) {
		snprintf(lo, sizeof(lo), "%04o", (unsigned)k->min);
		snprintf(hi, sizeof(hi), "%04o", (unsigned)k->max);
	} else {
		snprintf(lo, sizeof(lo), "%llu", (unsigned long long)k->min);
		snprintf(hi, sizeof(hi), "%llu", (unsigned long long)k->max);
	}
	if (k->min != 0 || k->max != 0)
		snprintf(range, sizeof(range), "; %s to %s", lo, hi);
	if (k->def == NULL)
		snprintf(def, sizeof(def), "required");
	else if (d[0] == '\0')
		snprintf(def, sizeof(def), "default unset");
	else
		snprintf(def, sizeof(def), "default \\fB%s\\fR", d);
	snprintf(progs, sizeof(progs), "%s%s%s",
	    k->progs & SP_PROG_MILTER ? ", milter" : "",
	    k->progs & SP_PROG_PORTAL ? ", portal" : "",
	    k->progs & SP_PROG_CTL ? ", sealpostctl" : "");
	snprintf(buf, cap, "\\fI%s\\fR; %s%s; %s.",
	    sp_config_type_name(k->type), def, range, progs + 2);
}

/* A file of the source tree (docs, packaging), read whole. */
static char *
read_source(const char *rel)
{
	const char *src = getenv("SEALPOST_SOURCE_DIR");
	char path[1024];
	char *text = calloc(1, 1 << 20);
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", src != NULL ? src : "..", rel);
	fp = fopen(path, "r");
	if (fp == NULL || text == NULL)
		fail_msg("%s: cannot read it (set SEALPOST_SOURCE_DIR)", path);
	if (fread(text, 1, (1 << 20) - 1, fp) == 0)
		fail_msg("%s: empty", path);
	fclose(fp);
	return text;
}

static char *
read_man_page(void)
{
	return read_source("docs/man/sealpost.conf.5");
}

static void
every_key_is_documented_in_the_man_page(void **state)
{
	const struct sp_config_key *keys;
	struct sp_config *cfg;
	struct sp_diag d;
	char want[SP_CONFIG_VALUE_MAX + 512], head[128], *man, *entry, *end;
	size_t i, n;
	bool print = getenv("SEALPOST_PRINT_DOC") != NULL;

	(void)state;
	CHECK_INT(parse(URL, &cfg, &d), SP_OK);
	keys = sp_config_keys(&n);
	for (i = 0; print && i < n; i++) {
		doc_line(&keys[i], cfg, want, sizeof(want));
		printf(".TP\n.B %s\n%s\n", keys[i].name, want);
	}
	man = read_man_page();
	for (i = 0; i < n; i++) {
		doc_line(&keys[i], cfg, want, sizeof(want));
		snprintf(head, sizeof(head), "\n.B %s\n", keys[i].name);
		entry = strstr(man, head);
		if (entry == NULL)
			fail_msg("sealpost.conf.5: got no entry \".B %s\"",
			    keys[i].name);
		entry += strlen(head);
		end = strchr(entry, '\n');
		*end = '\0';
		CHECK_STR(entry, want);
		*end = '\n';
	}
	sp_config_free(cfg);
	sp_diag_cleanup(&d);
	free(man);
}

/* The example config shows every key, set or commented out ("key = " or
 * "#key = " at the start of a line), so it stays in step with the table. */
static void
every_key_is_in_the_example_config(void **state)
{
	const struct sp_config_key *keys;
	char set[128], off[128], *ex;
	size_t i, n;

	(void)state;
	ex = read_source("packaging/sealpost.conf.example");
	keys = sp_config_keys(&n);
	for (i = 0; i < n; i++) {
		snprintf(set, sizeof(set), "\n%s = ", keys[i].name);
		snprintf(off, sizeof(off), "\n#%s = ", keys[i].name);
		if (strstr(ex, set) == NULL && strstr(ex, off) == NULL)
			fail_msg("sealpost.conf.example: got no line \"%s = \" "
			         "or \"#%s = \", want one",
			    keys[i].name, keys[i].name);
	}
	free(ex);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_configs_are_refused_with_file_and_line),
		cmocka_unit_test(every_error_in_a_file_is_reported),
		cmocka_unit_test(nul_line_ends_the_entry_above),
		cmocka_unit_test(defaults_fill_every_unset_key),
		cmocka_unit_test(values_are_parsed_by_type),
		cmocka_unit_test(continuation_lines_join_with_one_space),
		cmocka_unit_test(
		    huge_lines_and_deep_continuations_are_refused_once),
		cmocka_unit_test(sizes_take_binary_suffixes),
		cmocka_unit_test(durations_take_units_and_print_back),
		cmocka_unit_test(sockets_are_unix_paths_or_ip_literals),
		cmocka_unit_test(printed_config_parses_back_the_same),
		cmocka_unit_test(verbose_print_says_where_values_come_from),
		cmocka_unit_test(load_reads_a_file_and_names_it),
		cmocka_unit_test(utf8_values_are_kept),
		cmocka_unit_test(config_writable_by_everyone_is_refused),
		cmocka_unit_test(config_that_is_a_fifo_is_refused),
		cmocka_unit_test(
		    table_names_are_unique_and_documented_types_known),
		cmocka_unit_test(every_key_is_documented_in_the_man_page),
		cmocka_unit_test(every_key_is_in_the_example_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
