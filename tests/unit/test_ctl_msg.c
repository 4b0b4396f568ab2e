/* SPDX-License-Identifier: MIT */
/*
 * Tests for the lifecycle commands of sealpostctl (list, show, revoke,
 * expire, purge, stats), run as the real program against a real store.
 *
 * Each case gets a fresh folder with a config and a store holding five
 * messages written through the sp_store API; their chunks hold a canary
 * text that no command may ever print.  The program's path comes from
 * the build (SP_CTL_BIN).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sp_keys.h"
#include "sp_revoked.h"
#include "sp_seal.h"
#include "sp_store.h"

#ifndef SP_CTL_BIN
#error "SP_CTL_BIN must name the sealpostctl program"
#endif

#define CANARY "CANARY-PLAINTEXT"
#define DAY    86400
#define OUTMAX (1024 * 1024)

/* The fixture's messages. */
#define ID_ACTIVE  "fixtureActive00000000A"
#define ID_EXPIRED "fixtureExpired0000000A"
#define ID_RECENT  "fixtureRecent00000000A"
#define ID_NULLSND "fixtureNullSender0000A"
#define ID_REVOKED "fixtureRevoked0000000A"
#define ID_UNKNOWN "fixtureUnknown0000000A"
/* A recipient full of what a terminal or a JSON parser must not take raw */
#define EVIL_RCPT "evil\"<script>\x1b[31m\xe9@x.example"

struct fx {
	char dir[256];
	char conf[300];
	char store[300];
	char out[OUTMAX];
	char errout[8192];
	int status;
	int64_t now;
};

struct fx_msg {
	const char *id;
	const char *sender;
	const char *rcpts[3];
	const char *tmpl;
	int64_t created, expires; /* relative to now; expires 0: never */
	uint32_t state;
	uint32_t nchunks;
};

static const struct fx_msg fx_msgs[] = {
	{ ID_ACTIVE, "alice@example.org",
	    { "bob@partner.example", "carol@partner.example", NULL },
	    "confidential", -2 * DAY, 10 * DAY, SP_MSG_ACTIVE, 3 },
	{ ID_EXPIRED, "dave@example.org", { "erin@x.example", NULL, NULL },
	    "encrypt-only", -20 * DAY, -DAY, SP_MSG_ACTIVE, 2 },
	{ ID_RECENT, "alice@example.org", { "frank@y.example", NULL, NULL },
	    "encrypt-only", -3600, 0, SP_MSG_ACTIVE, 1 },
	{ ID_NULLSND, "", { EVIL_RCPT, NULL, NULL }, "do-not-forward", -5 * DAY,
	    30 * DAY, SP_MSG_ACTIVE, 1 },
	{ ID_REVOKED, "grace@example.org", { "heidi@z.example", NULL, NULL },
	    "confidential", -3 * DAY, 30 * DAY, SP_MSG_REVOKED, 2 },
};
#define FX_N (sizeof(fx_msgs) / sizeof(fx_msgs[0]))

/* Chunk seq of id: the canary, the id and the sequence number. */
static size_t
fx_chunk(char *buf, size_t cap, const char *id, uint32_t seq)
{
	int n = snprintf(buf, cap, "%s %s chunk %u", CANARY, id, seq);

	return n < 0 ? 0 : (size_t)n;
}

static int
fx_store_open(struct fx *f, struct sp_store **s)
{
	struct sp_error err;

	if (sp_store_open(f->store, NULL, s, &err) != SP_OK) {
		print_error("store open: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* Writes a message: chunks from..n-2 with chunk_put (those before from
 * were put already), the last with commit. */
static int
fx_write_from(
    struct sp_store *s, const struct fx_msg *fm, int64_t now, uint32_t from)
{
	struct sp_msg_meta m;
	struct sp_error err;
	char buf[128];
	const unsigned char *tail[1] = { (const unsigned char *)buf };
	size_t len, tail_len[1];
	uint32_t seq;

	memset(&m, 0, sizeof(m));
	snprintf(m.id, sizeof(m.id), "%s", fm->id);
	snprintf(m.ref, sizeof(m.ref), "ABCD-EFGH");
	snprintf(m.template_name, sizeof(m.template_name), "%s", fm->tmpl);
	snprintf(m.key_id, sizeof(m.key_id), "00000000deadbeef");
	m.created = now + fm->created;
	m.expires = fm->expires ? now + fm->expires : 0;
	m.state = fm->state;
	m.revoked = fm->state == SP_MSG_REVOKED ? now - 60 : 0;
	m.rights = 1;
	m.sender = (char *)fm->sender;
	m.rcpts = (char **)fm->rcpts;
	while (m.nrcpt < 3 && fm->rcpts[m.nrcpt] != NULL)
		m.nrcpt++;
	m.nchunks = fm->nchunks;
	for (seq = 0; seq + 1 < fm->nchunks; seq++) {
		len = fx_chunk(buf, sizeof(buf), fm->id, seq);
		m.size += len;
		if (seq >= from &&
		    sp_store_chunk_put(s, fm->id, seq, (unsigned char *)buf,
		        len, &err) != SP_OK)
			goto fail;
	}
	tail_len[0] = fx_chunk(buf, sizeof(buf), fm->id, seq);
	m.size += tail_len[0];
	if (sp_store_msg_commit(s, &m, seq, tail, tail_len, 1, &err) == SP_OK)
		return 0;
fail:
	print_error("writing %s: %s\n", fm->id, err.msg);
	return -1;
}

static int
fx_write(struct sp_store *s, const struct fx_msg *fm, int64_t now)
{
	return fx_write_from(s, fm, now, 0);
}

static int
fx_write_conf(struct fx *f, const char *store_path)
{
	FILE *fp = fopen(f->conf, "w");

	if (fp == NULL)
		return -1;
	fprintf(fp,
	    "# test config\n"
	    "store_path = %s\n"
	    "keys_dir = %s/keys\n"
	    "portal_url = https://portal.test.invalid\n"
	    "mail_from = sealpost@test.invalid\n",
	    store_path, f->dir);
	return fclose(fp) == 0 ? 0 : -1;
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sp_store *s = NULL;
	const char *t = getenv("TMPDIR");
	size_t i;
	int rc = 0;

	if (f == NULL)
		return -1;
	snprintf(
	    f->dir, sizeof(f->dir), "%s/sp_ctl_XXXXXX", t && *t ? t : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->conf, sizeof(f->conf), "%s/sealpost.conf", f->dir);
	snprintf(f->store, sizeof(f->store), "%s/store", f->dir);
	f->now = (int64_t)time(NULL);
	if (fx_write_conf(f, f->store) != 0 || fx_store_open(f, &s) != 0)
		return -1;
	for (i = 0; i < FX_N && rc == 0; i++)
		rc = fx_write(s, &fx_msgs[i], f->now);
	sp_store_close(s);
	*state = f;
	return rc;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		print_error("could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* Reads up to cap-1 bytes of path into buf, NUL terminated. */
static void
read_file(const char *path, char *buf, size_t cap)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	if (fp != NULL) {
		n = fread(buf, 1, cap - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
}

/* Runs sealpostctl -c CONF ARGS...; f->out, f->errout and f->status get
 * what it wrote and its exit status.  No output may hold the canary. */
static void
ctl_run(struct fx *f, const char *const *args)
{
	const char *argv[32];
	char outp[320], errp[320];
	size_t n = 0;
	pid_t pid;
	int st;

	argv[n++] = SP_CTL_BIN;
	argv[n++] = "-c";
	argv[n++] = f->conf;
	while (*args != NULL && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	snprintf(outp, sizeof(outp), "%s/stdout", f->dir);
	snprintf(errp, sizeof(errp), "%s/stderr", f->dir);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execv(SP_CTL_BIN, (char *const *)argv);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	f->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	read_file(outp, f->out, sizeof(f->out));
	read_file(errp, f->errout, sizeof(f->errout));
	if (strstr(f->out, CANARY) || strstr(f->errout, CANARY))
		fail_msg("%s %s: printed message content", argv[3],
		    argv[4] ? argv[4] : "");
}

#define RUN(f, ...)                                                            \
	do {                                                                   \
		const char *const a_[] = { __VA_ARGS__, NULL };                \
		ctl_run((f), a_);                                              \
	} while (0)

/* The fixture ids found in f->out, one bit per fx_msgs entry. */
static unsigned
ids_in_output(const struct fx *f)
{
	unsigned bits = 0;
	size_t i;

	for (i = 0; i < FX_N; i++)
		if (strstr(f->out, fx_msgs[i].id) != NULL)
			bits |= 1u << i;
	return bits;
}

#define B_ACTIVE  (1u << 0)
#define B_EXPIRED (1u << 1)
#define B_RECENT  (1u << 2)
#define B_NULLSND (1u << 3)
#define B_REVOKED (1u << 4)
#define B_ALL     ((1u << FX_N) - 1)

static void
list_table_shows_every_message_with_its_state(void **state)
{
	struct fx *f = *state;

	RUN(f, "list");
	CHECK_INT(f->status, 0);
	CHECK_INT(ids_in_output(f), B_ALL);
	CHECK_CONTAINS(f->out, "SENDER");
	CHECK_CONTAINS(f->out, "alice@example.org");
	CHECK_CONTAINS(f->out, "expired");
	CHECK_CONTAINS(f->out, "revoked");
	/* the escape byte of the evil recipient never reaches a terminal */
	if (strchr(f->out, '\x1b') != NULL)
		fail_msg("list printed a raw escape byte");
}

static void
list_filters_select_the_matching_messages(void **state)
{
	static const struct {
		const char *name;
		const char *args[4];
		unsigned want;
	} cases[] = {
		{ "by sender", { "--sender", "alice@example.org" },
		    B_ACTIVE | B_RECENT },
		{ "sender ignores case", { "--sender", "ALICE@Example.ORG" },
		    B_ACTIVE | B_RECENT },
		{ "null sender", { "--sender", "<>" }, B_NULLSND },
		{ "by recipient", { "--rcpt", "carol@partner.example" },
		    B_ACTIVE },
		{ "since one day ago", { "--since", "-1d" }, B_RECENT },
		{ "until four days ago", { "--until", "-4d" },
		    B_EXPIRED | B_NULLSND },
		{ "since and until", { "--since", "-4d", "--until", "-1d" },
		    B_ACTIVE | B_REVOKED },
		{ "until the epoch is a bound too", { "--until", "1970-01-01" },
		    0 },
		{ "state active", { "--state", "active" },
		    B_ACTIVE | B_RECENT | B_NULLSND },
		{ "state expired", { "--state", "expired" }, B_EXPIRED },
		{ "state revoked", { "--state", "revoked" }, B_REVOKED },
		{ "state purged", { "--state", "purged" }, 0 },
		{ "no match", { "--rcpt", "nobody@nowhere.example" }, 0 },
	};
	struct fx *f = *state;
	const char *args[8];
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		args[0] = "list";
		for (k = 0; k < 4 && cases[i].args[k]; k++)
			args[k + 1] = cases[i].args[k];
		args[k + 1] = NULL;
		ctl_run(f, args);
		if (f->status != 0 || ids_in_output(f) != cases[i].want)
			fail_msg("%s: got status %d ids %#x (%s), want 0 and "
			         "%#x",
			    cases[i].name, f->status, ids_in_output(f),
			    f->errout, cases[i].want);
	}
}

/* Runs python3 on f->out: the script gets the parsed JSON as d and must
 * exit 0. */
static int
python_check(struct fx *f, const char *script)
{
	char path[320], cmd[2048];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/out.json", f->dir);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fputs(f->out, fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd),
	    "python3 -c 'import json,sys\n"
	    "d = json.load(open(sys.argv[1], encoding=\"utf-8\"))\n"
	    "%s' '%s'",
	    script, path);
	return system(cmd);
}

static void
list_json_parses_and_keeps_untrusted_text_intact(void **state)
{
	struct fx *f = *state;

	RUN(f, "list", "--json");
	CHECK_INT(f->status, 0);
	/* the evil recipient comes back byte for byte, the latin-1 byte as
	 * U+FFFD */
	CHECK_INT(
	    python_check(f,
	        "assert len(d) == 5, len(d)\n"
	        "r = [m for m in d if m[\"sender\"] == \"\"][0]\n"
	        "assert r[\"rcpts\"] == [\"evil\\\"<script>\\x1b[31m"
	        "\\ufffd@x.example\"], r[\"rcpts\"]\n"
	        "a = [m for m in d if m[\"id\"] == \"" ID_ACTIVE "\"][0]\n"
	        "assert a[\"rcpt_count\"] == 2 and a[\"state\"] == "
	        "\"active\"\n"
	        "assert a[\"template\"] == \"confidential\""),
	    0);
	RUN(f, "list", "--json", "--state", "purged");
	CHECK_INT(f->status, 0);
	CHECK_INT(python_check(f, "assert d == []"), 0);
}

static void
show_prints_metadata_and_audit_never_content(void **state)
{
	struct fx *f = *state;

	RUN(f, "show", ID_ACTIVE);
	CHECK_INT(f->status, 0);
	CHECK_CONTAINS(f->out, ID_ACTIVE);
	CHECK_CONTAINS(f->out, "alice@example.org");
	CHECK_CONTAINS(f->out, "carol@partner.example");
	CHECK_CONTAINS(f->out, "confidential");
	CHECK_CONTAINS(f->out, "audit trail:");
	RUN(f, "show", ID_NULLSND);
	CHECK_INT(f->status, 0);
	CHECK_CONTAINS(f->out, "sender:     <>");
	CHECK_CONTAINS(f->out, "evil\"<script>?[31m?@x.example");
	RUN(f, "show", "--json", ID_NULLSND);
	CHECK_INT(f->status, 0);
	if (strchr(f->out, '\x1b') != NULL)
		fail_msg("show --json printed a raw escape byte");
	CHECK_INT(python_check(f,
	              "assert d[\"sender\"] == \"\"\n"
	              "assert d[\"audit\"] == []"),
	    0);
}

/* A recipient the sender withdrew the message for (in the portal) is
 * marked in show, and listed in --json. */
static void
show_marks_recipients_revoked_alone(void **state)
{
	struct fx *f = *state;
	struct sp_store *s = NULL;
	struct sp_msg_meta m;

	memset(&m, 0, sizeof(m));
	assert_int_equal(fx_store_open(f, &s), 0);
	CHECK_INT(sp_store_msg_get(s, ID_ACTIVE, &m, NULL), SP_OK);
	CHECK_INT(sp_revoked_add(&m, "Carol@Partner.example", NULL), SP_OK);
	CHECK_INT(sp_store_msg_update(s, &m, NULL), SP_OK);
	sp_msg_meta_cleanup(&m);
	sp_store_close(s);

	RUN(f, "show", ID_ACTIVE);
	CHECK_INT(f->status, 0);
	CHECK_CONTAINS(f->out, "recipient:  carol@partner.example (revoked)\n");
	CHECK_CONTAINS(f->out, "recipient:  bob@partner.example\n");
	CHECK_CONTAINS(f->out, "state:      active\n");
	RUN(f, "show", "--json", ID_ACTIVE);
	CHECK_INT(f->status, 0);
	CHECK_INT(python_check(f,
	              "assert d[\"revoked_rcpts\"] == "
	              "[\"carol@partner.example\"], d[\"revoked_rcpts\"]"),
	    0);
	RUN(f, "list", "--json");
	CHECK_INT(f->status, 0);
	CHECK_INT(
	    python_check(f,
	        "a = [m for m in d if m[\"id\"] == \"" ID_ACTIVE "\"][0]\n"
	        "assert a[\"revoked_rcpts\"] == "
	        "[\"carol@partner.example\"], a\n"
	        "assert all(m[\"revoked_rcpts\"] == [] for m in d "
	        "if m[\"id\"] != \"" ID_ACTIVE "\")"),
	    0);
}

static void
commands_report_errors_with_status(void **state)
{
	static const struct {
		const char *name;
		const char *args[4];
		int want_status;
		const char *want_err;
	} cases[] = {
		{ "show unknown id", { "show", ID_UNKNOWN }, 1,
		    "no such message" },
		{ "revoke unknown id", { "revoke", ID_UNKNOWN }, 1,
		    "no such message" },
		{ "show malformed id", { "show", "../../etc/passwd" }, 1,
		    "not a message id" },
		{ "revoke malformed id", { "revoke", "short" }, 1,
		    "not a message id" },
		{ "expire unknown id", { "expire", ID_UNKNOWN, "+1d" }, 1,
		    "no such message" },
		{ "expire bad date", { "expire", ID_ACTIVE, "tomorrow" }, 2,
		    "bad time \"tomorrow\"" },
		{ "expire impossible date",
		    { "expire", ID_ACTIVE, "2026-02-30" }, 2, "bad time" },
		{ "list bad state", { "list", "--state", "gone" }, 2,
		    "bad state \"gone\"" },
		{ "list bad since", { "list", "--since", "yesterday" }, 2,
		    "bad time" },
		{ "show without id", { "show" }, 2, "usage" },
		{ "revoke extra argument", { "revoke", ID_ACTIVE, "x" }, 2,
		    "usage" },
		{ "purge stray argument", { "purge", "all" }, 2, "usage" },
	};
	struct fx *f = *state;
	const char *args[6];
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (k = 0; k < 4 && cases[i].args[k]; k++)
			args[k] = cases[i].args[k];
		args[k] = NULL;
		ctl_run(f, args);
		if (f->status != cases[i].want_status ||
		    strstr(f->errout, cases[i].want_err) == NULL)
			fail_msg("%s: got status %d \"%s\", want %d \"%s\"",
			    cases[i].name, f->status, f->errout,
			    cases[i].want_status, cases[i].want_err);
	}
}

static void
commands_fail_when_the_store_is_missing(void **state)
{
	static const char *const cmds[] = { "list", "stats", "purge" };
	struct fx *f = *state;
	char missing[320];
	struct stat st;
	size_t i;

	snprintf(missing, sizeof(missing), "%s/no-store", f->dir);
	assert_int_equal(fx_write_conf(f, missing), 0);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		RUN(f, cmds[i]);
		CHECK_INT(f->status, 1);
		CHECK_CONTAINS(f->errout, "no-store");
		CHECK_CONTAINS(f->errout, "No such file");
	}
	/* and none of them created it */
	CHECK_INT(stat(missing, &st), -1);
}

/* The actor sealpostctl must record when run by this test. */
static void
expected_actor(char *buf, size_t cap)
{
	struct passwd *pw = getpwuid(getuid());

	assert_non_null(pw);
	snprintf(buf, cap, "admin:%s", pw->pw_name);
}

static void
revoke_marks_revoked_and_audits_the_admin(void **state)
{
	struct fx *f = *state;
	char actor[128];

	expected_actor(actor, sizeof(actor));
	unsetenv("SUDO_USER");
	RUN(f, "revoke", ID_RECENT);
	CHECK_INT(f->status, 0);
	CHECK_CONTAINS(f->out, "revoked");
	RUN(f, "list", "--state", "revoked");
	CHECK_INT(ids_in_output(f), B_RECENT | B_REVOKED);
	RUN(f, "show", ID_RECENT);
	CHECK_CONTAINS(f->out, "state:      revoked");
	CHECK_CONTAINS(f->out, "revoke");
	CHECK_CONTAINS(f->out, actor);
	/* revoking twice is harmless and says so */
	RUN(f, "revoke", ID_RECENT);
	CHECK_INT(f->status, 0);
	CHECK_CONTAINS(f->out, "already revoked");
	/* under sudo the invoking user is named too */
	setenv("SUDO_USER", "tester", 1);
	RUN(f, "revoke", ID_ACTIVE);
	unsetenv("SUDO_USER");
	CHECK_INT(f->status, 0);
	RUN(f, "show", "--json", ID_ACTIVE);
	CHECK_CONTAINS(f->out, "sudo:tester");
	CHECK_CONTAINS(f->out, actor);
}

static void
expire_sets_absolute_relative_now_and_never(void **state)
{
	static const struct {
		const char *when;
		const char *want_out;
		unsigned want_expired;
	} cases[] = {
		{ "2099-01-02T03:04", "expires=2099-01-02T03:04:00Z",
		    B_EXPIRED },
		{ "now", "expires=", B_EXPIRED | B_ACTIVE },
		{ "never", "expires=never", B_EXPIRED },
		{ "-1h", "expires=", B_EXPIRED | B_ACTIVE },
		{ "+3d", "expires=", B_EXPIRED },
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		RUN(f, "expire", ID_ACTIVE, cases[i].when);
		CHECK_INT(f->status, 0);
		CHECK_CONTAINS(f->out, cases[i].want_out);
		RUN(f, "list", "--state", "expired");
		if (ids_in_output(f) != cases[i].want_expired)
			fail_msg("after expire %s: got %#x expired, want %#x",
			    cases[i].when, ids_in_output(f),
			    cases[i].want_expired);
	}
	RUN(f, "show", ID_ACTIVE);
	CHECK_CONTAINS(f->out, "expire");
	CHECK_CONTAINS(f->out, "expires=2099-01-02T03:04:00Z");
}

static int
count_chunk(void *ctx, uint32_t seq, const unsigned char *buf, size_t len)
{
	(void)seq;
	(void)buf;
	(void)len;
	++*(unsigned *)ctx;
	return 0;
}

/* SP_OK when all chunks of id read back. */
static int
chunks_status(struct fx *f, const char *id, uint32_t n)
{
	struct sp_store *s = NULL;
	struct sp_error err;
	unsigned got = 0;
	int rc;

	assert_int_equal(fx_store_open(f, &s), 0);
	rc = sp_store_chunks_read(s, id, n, count_chunk, &got, &err);
	sp_store_close(s);
	if (rc == SP_OK && got != n)
		fail_msg("%s: got %u chunks, want %u", id, got, n);
	return rc;
}

/* A number member of stats --json output. */
static long long
stats_number(struct fx *f, const char *key)
{
	char pat[64];
	const char *p;

	RUN(f, "stats", "--json");
	CHECK_INT(f->status, 0);
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(f->out, pat)) == NULL)
		fail_msg(
		    "stats --json: got \"%s\", want a member %s", f->out, key);
	return strtoll(p + strlen(pat), NULL, 10);
}

static void
stats_counts_states_templates_and_events(void **state)
{
	struct fx *f = *state;

	RUN(f, "stats");
	CHECK_INT(f->status, 0);
	CHECK_CONTAINS(f->out, "sealed bytes:");
	CHECK_CONTAINS(f->out, "confidential");
	RUN(f, "stats", "--json");
	CHECK_INT(python_check(f,
	              "assert d[\"messages\"] == 5, d\n"
	              "assert d[\"states\"] == {\"active\": 3, \"expired\": 1, "
	              "\"revoked\": 1, \"purged\": 0}, d\n"
	              "assert d[\"templates\"] == {\"confidential\": 2, "
	              "\"encrypt-only\": 2, \"do-not-forward\": 1}, d\n"
	              "assert d[\"audit_events\"] == {}, d\n"
	              "assert d[\"sealed_bytes\"] > 0, d"),
	    0);
	RUN(f, "revoke", ID_ACTIVE);
	RUN(f, "stats", "--json");
	CHECK_INT(python_check(f,
	              "assert d[\"states\"][\"revoked\"] == 2, d\n"
	              "assert d[\"audit_events\"] == {\"revoke\": 1}, d"),
	    0);
}

static void
purge_drops_chunks_keeps_tombstone_and_audit(void **state)
{
	struct fx *f = *state;
	long long before, after;
	char py[512];

	before = stats_number(f, "sealed_bytes");
	CHECK_INT(chunks_status(f, ID_EXPIRED, 2), SP_OK);
	CHECK_INT(chunks_status(f, ID_REVOKED, 2), SP_OK);
	RUN(f, "purge", "--dry-run");
	CHECK_INT(f->status, 0);
	CHECK_INT(ids_in_output(f), B_EXPIRED | B_REVOKED);
	CHECK_INT(chunks_status(f, ID_EXPIRED, 2), SP_OK);
	RUN(f, "purge");
	CHECK_INT(f->status, 0);
	CHECK_CONTAINS(f->out, "purged 2 messages");
	/* chunks are gone, active messages untouched */
	CHECK_INT(chunks_status(f, ID_EXPIRED, 2) != SP_OK, 1);
	CHECK_INT(chunks_status(f, ID_REVOKED, 2) != SP_OK, 1);
	CHECK_INT(chunks_status(f, ID_ACTIVE, 3), SP_OK);
	CHECK_INT(chunks_status(f, ID_RECENT, 1), SP_OK);
	CHECK_INT(chunks_status(f, ID_NULLSND, 1), SP_OK);
	after = stats_number(f, "sealed_bytes");
	if (after >= before)
		fail_msg("sealed bytes: got %lld after purge, want < %lld",
		    after, before);
	/* the tombstone: metadata and audit, with who purged and why */
	RUN(f, "show", ID_EXPIRED);
	CHECK_INT(f->status, 0);
	CHECK_CONTAINS(f->out, "state:      purged");
	CHECK_CONTAINS(f->out, "purged:     ");
	CHECK_CONTAINS(f->out, "dave@example.org");
	CHECK_CONTAINS(f->out, "reason=expired");
	CHECK_CONTAINS(f->out, "admin:");
	RUN(f, "list", "--state", "purged");
	CHECK_INT(ids_in_output(f), B_EXPIRED | B_REVOKED);
	/* the purge time, in JSON too; active messages have none */
	RUN(f, "list", "--json");
	snprintf(py, sizeof(py),
	    "p = sorted(x[\"purged\"] >= %lld for x in d if x[\"state\"] == "
	    "\"purged\")\n"
	    "assert p == [True, True], d\n"
	    "assert all(x[\"purged\"] == 0 for x in d if x[\"state\"] != "
	    "\"purged\"), d",
	    (long long)f->now);
	CHECK_INT(python_check(f, py), 0);
	/* a second run finds nothing more */
	RUN(f, "purge");
	CHECK_CONTAINS(f->out, "purged 0 messages");
	/* a purged message cannot be given a new expiry */
	RUN(f, "expire", ID_EXPIRED, "+1d");
	CHECK_INT(f->status, 1);
	CHECK_CONTAINS(f->errout, "purged");
}

struct seal_put {
	struct sp_store *s;
	const char *id;
	uint64_t bytes; /* what went into the store */
};

static int
seal_chunk(void *ctx, uint32_t seq, const unsigned char *c, size_t len)
{
	struct seal_put *p = ctx;
	struct sp_error err;

	p->bytes += len;
	return sp_store_chunk_put(p->s, p->id, seq, c, len, &err);
}

/* Seals size bytes to a new key in DIR/keys and commits the message;
 * returns the bytes of its sealed record (header and chunks). */
static uint64_t
seal_real_message(struct fx *f, const char *id, size_t size)
{
	struct sp_keyring *kr = NULL;
	struct sp_sealer *sl = NULL;
	struct sp_store *s = NULL;
	struct sp_error err;
	struct sp_msg_meta m;
	struct seal_put p;
	char keys[320], kid[SP_KEYID_MAX], *body = calloc(1, size);
	const unsigned char *hdr;
	size_t hlen;
	const char *rcpt[1] = { "ivan@sealed.example" };

	snprintf(keys, sizeof(keys), "%s/keys", f->dir);
	assert_non_null(body);
	memset(body, 'x', size);
	assert_int_equal(
	    sp_keys_generate(keys, NULL, kid, sizeof(kid), &err), 0);
	assert_int_equal(sp_keyring_load(keys, false, &kr, &err), 0);
	assert_int_equal(fx_store_open(f, &s), 0);
	p = (struct seal_put){ s, id, 0 };
	assert_int_equal(
	    sp_sealer_new(&sl, sp_keyring_newest(kr), id, seal_chunk, &p, &err),
	    0);
	assert_int_equal(sp_sealer_push(sl, body, size, &err), 0);
	assert_int_equal(sp_sealer_finish(sl, &err), 0);
	hdr = sp_sealer_header(sl, &hlen);
	memset(&m, 0, sizeof(m));
	snprintf(m.id, sizeof(m.id), "%s", id);
	sp_ref_new(m.ref);
	snprintf(m.template_name, sizeof(m.template_name), "sealed");
	snprintf(m.key_id, sizeof(m.key_id), "%s", kid);
	m.created = (int64_t)time(NULL);
	m.size = sp_sealer_size(sl);
	m.nchunks = sp_sealer_chunks(sl);
	memcpy(m.header, hdr, hlen);
	m.header_len = (uint32_t)hlen;
	m.sender = "judy@example.org";
	m.rcpts = (char **)rcpt;
	m.nrcpt = 1;
	if (sp_store_msg_commit(s, &m, m.nchunks, NULL, NULL, 0, &err) != 0)
		fail_msg("commit: got \"%s\", want success", err.msg);
	sp_sealer_free(sl);
	sp_keyring_free(kr);
	sp_store_close(s);
	free(body);
	return hlen + p.bytes;
}

static void
stats_sealed_bytes_match_a_real_sealed_message(void **state)
{
	static const size_t sizes[] = { 0, 1000, 3 * 65536 + 7 };
	struct fx *f = *state;
	long long before, after;
	uint64_t real;
	char id[SP_ID_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		before = stats_number(f, "sealed_bytes");
		sp_id_new(id);
		real = seal_real_message(f, id, sizes[i]);
		after = stats_number(f, "sealed_bytes");
		if ((uint64_t)(after - before) != real)
			fail_msg(
			    "%zu bytes sealed: got %lld more sealed bytes, "
			    "want %llu",
			    sizes[i], after - before, (unsigned long long)real);
		RUN(f, "show", id);
		CHECK_CONTAINS(f->out, "judy@example.org");
	}
}

static void
purge_keeps_uncommitted_chunks_younger_than_an_hour(void **state)
{
	static const struct fx_msg late = { "fixtureLateCommit0000A",
		"kim@example.org", { "lee@example.org", NULL, NULL },
		"encrypt-only", 0, DAY, SP_MSG_ACTIVE, 2 };
	struct fx *f = *state;
	struct sp_store *s = NULL;
	struct sp_error err;
	char buf[128];
	size_t len;

	/* chunk 0 written, the message not committed yet */
	assert_int_equal(fx_store_open(f, &s), 0);
	len = fx_chunk(buf, sizeof(buf), late.id, 0);
	assert_int_equal(sp_store_chunk_put(s, late.id, 0,
	                     (const unsigned char *)buf, len, &err),
	    SP_OK);
	sp_store_close(s);
	RUN(f, "purge");
	CHECK_INT(f->status, 0);
	CHECK_CONTAINS(f->out, "0 orphan chunks");
	/* the writer finishes: chunk 0 must still be there for the commit */
	assert_int_equal(fx_store_open(f, &s), 0);
	CHECK_INT(fx_write_from(s, &late, f->now, 1), 0);
	sp_store_close(s);
	CHECK_INT(chunks_status(f, late.id, 2), SP_OK);
}

/* The concurrent writer: commits messages until told to stop (a byte on
 * stop_fd) and at least W_MIN of them; some already expired, some revoked
 * right after; chunks whose content the checker derives from the id.
 * Opens the store itself (after fork) and writes how many it committed
 * to DIR/writer.count. */
#define W_ID_FMT "writer%05u%010uA"
#define W_MIN    100
#define W_RUNS   15

/* Message i of the writer: revoked (every fifth), expired (every third
 * that is not revoked: a purge may take an expired one before the revoke,
 * which would then fail), or active. */
static bool
w_revoked(unsigned i)
{
	return i % 5 == 0;
}

static bool
w_expired(unsigned i)
{
	return i % 3 == 0 && !w_revoked(i);
}

static int
w_revoke(struct sp_store *s, const char *id)
{
	struct sp_msg_meta m;
	struct sp_error err;
	int rc;

	memset(&m, 0, sizeof(m));
	if ((rc = sp_store_msg_get(s, id, &m, &err)) != SP_OK)
		return rc;
	m.state = SP_MSG_REVOKED;
	m.revoked = (int64_t)time(NULL);
	rc = sp_store_msg_update(s, &m, &err);
	sp_msg_meta_cleanup(&m);
	return rc;
}

static bool
w_stop_asked(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

static void
writer_child(struct fx *f, int stop_fd)
{
	const char *rcpt[3] = { "rcpt@w.example", NULL, NULL };
	struct fx_msg fm = { .sender = "w@example.org",
		.tmpl = "encrypt-only" };
	struct sp_store *s = NULL;
	char id[SP_ID_LEN + 1], path[320];
	unsigned i;
	FILE *fp;

	if (fx_store_open(f, &s) != 0)
		_exit(3);
	memcpy(fm.rcpts, rcpt, sizeof(rcpt));
	for (i = 0; i < W_MIN || !w_stop_asked(stop_fd); i++) {
		snprintf(id, sizeof(id), W_ID_FMT, (unsigned)getpid() % 100000u,
		    i % 100000000u);
		fm.id = id;
		fm.expires = w_expired(i) ? -DAY : DAY;
		fm.nchunks = 1 + i % 4;
		if (fx_write(s, &fm, (int64_t)time(NULL)) != 0)
			_exit(4);
		if (w_revoked(i) && w_revoke(s, id) != SP_OK)
			_exit(5);
	}
	sp_store_close(s);
	snprintf(path, sizeof(path), "%s/writer.count", f->dir);
	if ((fp = fopen(path, "w")) == NULL)
		_exit(6);
	fprintf(fp, "%u\n", i);
	_exit(fclose(fp) == 0 ? 0 : 6);
}

struct verify {
	struct fx *f;
	int64_t now;
	unsigned active, gone, writer;
	char bad[512];
};

struct chunk_check {
	const char *id;
	unsigned n;
	bool ok;
};

static int
check_chunk(void *ctx, uint32_t seq, const unsigned char *buf, size_t len)
{
	struct chunk_check *c = ctx;
	char want[128];
	size_t wl = fx_chunk(want, sizeof(want), c->id, seq);

	c->ok = c->ok && seq == c->n && len == wl && !memcmp(buf, want, wl);
	c->n++;
	return 0;
}

/* Collects ids; the chunks are read after the list (a callback must not
 * call the store). */
struct id_list {
	char (*ids)[SP_ID_LEN + 1];
	size_t n, cap;
};

static int
collect_id(void *ctx, const struct sp_msg_meta *m)
{
	struct id_list *l = ctx;
	void *nid;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		if ((nid = realloc(l->ids, l->cap * sizeof(*l->ids))) == NULL)
			return SP_ENOMEM;
		l->ids = nid;
	}
	snprintf(l->ids[l->n++], SP_ID_LEN + 1, "%s", m->id);
	return 0;
}

/* Every message that should still be readable is whole; every purged one
 * was revoked or expired. */
static void
verify_store(struct fx *f, unsigned *active, unsigned *purged)
{
	struct id_list l = { NULL, 0, 0 };
	struct sp_store *s = NULL;
	struct sp_error err;
	struct sp_msg_meta m;
	struct chunk_check c;
	int64_t now = (int64_t)time(NULL);
	size_t i;

	assert_int_equal(fx_store_open(f, &s), 0);
	assert_int_equal(sp_store_msg_list(s, collect_id, &l, &err), SP_OK);
	for (i = 0; i < l.n; i++) {
		memset(&m, 0, sizeof(m));
		assert_int_equal(
		    sp_store_msg_get(s, l.ids[i], &m, &err), SP_OK);
		if (m.state == SP_MSG_PURGED) {
			if (m.revoked == 0 &&
			    (m.expires == 0 || m.expires > now))
				fail_msg("%s: got purged, want kept (neither "
				         "revoked nor expired)",
				    m.id);
			++*purged;
		} else if (m.state == SP_MSG_ACTIVE &&
		    (m.expires == 0 || m.expires > now)) {
			c = (struct chunk_check){ m.id, 0, true };
			if (sp_store_chunks_read(s, m.id, m.nchunks,
			        check_chunk, &c, &err) != SP_OK ||
			    !c.ok || c.n != m.nchunks)
				fail_msg("%s: got %u good chunks (%s), want %u",
				    m.id, c.n, err.msg, m.nchunks);
			++*active;
		}
		sp_msg_meta_cleanup(&m);
	}
	free(l.ids);
	sp_store_close(s);
}

/* Runs purge while the writer works: W_RUNS times, then until
 * the writer has committed W_MIN messages. */
static unsigned
purge_during_writer(struct fx *f, pid_t pid, int stop_fd, int *wstatus)
{
	unsigned runs = 0;
	pid_t done = 0;

	while (done == 0) {
		RUN(f, "purge");
		if (f->status != 0)
			fail_msg("purge run %u: got status %d \"%s\", want 0",
			    runs, f->status, f->errout);
		if (++runs == W_RUNS && write(stop_fd, "x", 1) != 1)
			fail_msg("could not tell the writer to stop");
		done = waitpid(pid, wstatus, runs >= W_RUNS ? 0 : WNOHANG);
	}
	return runs;
}

static void
purge_while_a_writer_commits_loses_nothing_it_should_keep(void **state)
{
	struct fx *f = *state;
	unsigned active = 0, purged = 0, runs, n = 0, i, want = 0;
	char path[320], buf[32];
	int st, stop[2];
	pid_t pid;

	assert_int_equal(pipe(stop), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		close(stop[1]);
		writer_child(f, stop[0]);
	}
	assert_true(pid > 0);
	close(stop[0]);
	runs = purge_during_writer(f, pid, stop[1], &st);
	close(stop[1]);
	CHECK_INT(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), 0);
	snprintf(path, sizeof(path), "%s/writer.count", f->dir);
	read_file(path, buf, sizeof(buf));
	n = (unsigned)strtoul(buf, NULL, 10);
	for (i = 0; i < n; i++)
		want += w_revoked(i) || w_expired(i);
	RUN(f, "purge");
	CHECK_INT(f->status, 0);
	verify_store(f, &active, &purged);
	/* the fixture's two, and the writer's revoked and expired ones */
	CHECK_INT(purged, 2 + want);
	CHECK_INT(active, 3 + n - want);
	print_message("concurrent purge: %u purge runs while %u messages were "
	              "written; %u active whole, %u purged\n",
	    runs, n, active, purged);
}

/* Appends a line to the fixture's config. */
static void
conf_add(struct fx *f, const char *line)
{
	FILE *fp = fopen(f->conf, "a");

	assert_non_null(fp);
	fprintf(fp, "%s\n", line);
	assert_int_equal(fclose(fp), 0);
}

static void
fx_audit(struct sp_store *s, const char *id, int64_t when, const char *what)
{
	struct sp_audit_event ev;
	struct sp_error err;

	memset(&ev, 0, sizeof(ev));
	ev.when = when;
	snprintf(ev.id, sizeof(ev.id), "%s", id);
	snprintf(ev.event, sizeof(ev.event), "%s", what);
	snprintf(ev.actor, sizeof(ev.actor), "test");
	if (sp_store_audit_add(s, &ev, &err) != SP_OK)
		fail_msg("audit add: %s", err.msg);
}

struct ev_find {
	const char *event;
	char detail[256];
	size_t n;
};

static int
ev_find(void *ctx, const struct sp_audit_event *ev)
{
	struct ev_find *e = ctx;

	e->n++;
	if (e->event != NULL && strcmp(ev->event, e->event) == 0)
		snprintf(e->detail, sizeof(e->detail), "%s", ev->detail);
	return 0;
}

/* Number of audit events of id; e->detail gets that of the last one
 * named e->event. */
static size_t
fx_events(struct fx *f, const char *id, struct ev_find *e)
{
	struct sp_store *s = NULL;
	struct sp_error err;

	e->n = 0;
	e->detail[0] = '\0';
	assert_int_equal(fx_store_open(f, &s), 0);
	if (sp_store_audit_list(s, id, ev_find, e, &err) != SP_OK)
		fail_msg("audit list: %s", err.msg);
	sp_store_close(s);
	return e->n;
}

static void
purge_applies_retention_to_tombstones_and_audit(void **state)
{
	struct fx *f = *state;
	struct sp_store *s = NULL;
	struct ev_find e = { NULL, "", 0 };
	int64_t old = f->now - 400 * DAY;

	assert_int_equal(fx_store_open(f, &s), 0);
	fx_audit(s, "", old, "signin-failed");
	fx_audit(s, "", f->now - DAY, "signin-failed");
	fx_audit(s, ID_UNKNOWN, old, "signin-failed");
	fx_audit(s, ID_ACTIVE, old, "sealed");
	sp_store_close(s);
	conf_add(f, "purged_retention = 0s");
	RUN(f, "purge");
	CHECK_INT(f->status, 0);
	CHECK_CONTAINS(f->out, "purged 2 messages");
	/* the two tombstones at once; the events older than 365d that
	 * belong to no message held */
	CHECK_CONTAINS(f->out, "removed 2 old tombstones, 2 old audit events");
	RUN(f, "show", ID_EXPIRED);
	CHECK_INT(f->status, 1);
	CHECK_CONTAINS(f->errout, "no such message");
	RUN(f, "show", ID_REVOKED);
	CHECK_INT(f->status, 1);
	/* the purge events stay for audit_retention, the old event of a
	 * message still held stays with it */
	CHECK_INT(fx_events(f, ID_EXPIRED, &e), 1);
	CHECK_INT(fx_events(f, ID_ACTIVE, &e), 1);
	CHECK_INT(fx_events(f, ID_UNKNOWN, &e), 0);
	e.event = "retention";
	CHECK_INT(fx_events(f, "", &e), 2); /* the recent one, retention */
	CHECK_STR(e.detail, "tombstones=2 audit_events=2");
	RUN(f, "list");
	CHECK_INT(ids_in_output(f), B_ACTIVE | B_RECENT | B_NULLSND);
	/* with the default 90d the tombstones would have stayed */
	RUN(f, "purge");
	CHECK_CONTAINS(f->out, "removed 0 old tombstones, 0 old audit events");
}

static void
purge_removes_expired_records_of_every_table(void **state)
{
	static const struct {
		enum sp_kv_table t;
		unsigned expired;
	} tables[] = {
		{ SP_KV_PASSCODES, 2 },
		{ SP_KV_SESSIONS, 1 },
		{ SP_KV_RATELIMITS, 3 },
	};
	struct fx *f = *state;
	struct sp_store *s = NULL;
	struct sp_error err;
	char key[16], val[SP_KV_VAL_MAX];
	size_t i, vlen;
	unsigned k;

	assert_int_equal(fx_store_open(f, &s), 0);
	for (i = 0; i < 3; i++) {
		for (k = 0; k <= tables[i].expired; k++) {
			/* key 0 lives for a day, the others expired */
			snprintf(key, sizeof(key), "key%u", k);
			CHECK_INT(
			    sp_store_kv_put(s, tables[i].t, key, strlen(key),
			        "v", 1, k == 0 ? f->now + DAY : f->now - 10,
			        &err),
			    SP_OK);
		}
	}
	sp_store_close(s);
	RUN(f, "purge");
	CHECK_INT(f->status, 0);
	CHECK_CONTAINS(f->out,
	    "6 expired sign-in records (2 passcodes, 1 "
	    "sessions, 3 rate limits)");
	assert_int_equal(fx_store_open(f, &s), 0);
	for (i = 0; i < 3; i++)
		CHECK_INT(sp_store_kv_get(
		              s, tables[i].t, "key0", 4, val, &vlen, &err),
		    SP_OK);
	sp_store_close(s);
	RUN(f, "purge");
	CHECK_CONTAINS(f->out, "0 expired sign-in records (0 passcodes");
}

static void
purge_gives_a_shared_store_its_group_modes(void **state)
{
	struct fx *f = *state;
	struct group *gr = getgrnam("nogroup");
	char p[320], line[64];
	struct stat st;

	if (geteuid() != 0 || gr == NULL) {
		print_message("skipped: needs root and group nogroup\n");
		skip();
	}
	snprintf(p, sizeof(p), "%s/data.mdb", f->store);
	CHECK_INT(chmod(p, 0600), 0);
	snprintf(line, sizeof(line), "store_group = nogroup");
	conf_add(f, line);
	RUN(f, "purge");
	CHECK_INT(f->status, 0);
	CHECK_INT(stat(p, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0660);
	CHECK_INT(st.st_gid, gr->gr_gid);
	/* list opens read-only and changes nothing */
	CHECK_INT(chmod(p, 0600), 0);
	RUN(f, "list");
	CHECK_INT(f->status, 0);
	CHECK_INT(stat(p, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
}

static void
show_takes_an_id_that_starts_with_a_dash(void **state)
{
	static const struct fx_msg dash = { "-startsWithADash00000A",
		"ivan@example.org", { "k@x.example", NULL, NULL },
		"confidential", -DAY, DAY, SP_MSG_ACTIVE, 1 };
	static const char *const forms[][4] = {
		{ "show", "-startsWithADash00000A", NULL },
		{ "show", "--json", "-startsWithADash00000A" },
		{ "show", "--", "-startsWithADash00000A" },
	};
	struct fx *f = *state;
	struct sp_store *s = NULL;
	size_t i;

	assert_int_equal(fx_store_open(f, &s), 0);
	assert_int_equal(fx_write(s, &dash, f->now), 0);
	sp_store_close(s);
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		ctl_run(f, forms[i]);
		if (f->status != 0 ||
		    strstr(f->out, "ivan@example.org") == NULL)
			fail_msg("%s %s: got status %d \"%s\", want 0 and the "
			         "sender",
			    forms[i][0], forms[i][1], f->status, f->errout);
	}
	/* what is neither an option nor an id is still refused */
	RUN(f, "show", "-x");
	CHECK_INT(f->status, 2);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(list_table_shows_every_message_with_its_state),
		T(list_filters_select_the_matching_messages),
		T(list_json_parses_and_keeps_untrusted_text_intact),
		T(show_prints_metadata_and_audit_never_content),
		T(show_marks_recipients_revoked_alone),
		T(commands_report_errors_with_status),
		T(commands_fail_when_the_store_is_missing),
		T(revoke_marks_revoked_and_audits_the_admin),
		T(expire_sets_absolute_relative_now_and_never),
		T(stats_counts_states_templates_and_events),
		T(stats_sealed_bytes_match_a_real_sealed_message),
		T(purge_drops_chunks_keeps_tombstone_and_audit),
		T(purge_keeps_uncommitted_chunks_younger_than_an_hour),
		T(purge_while_a_writer_commits_loses_nothing_it_should_keep),
		T(purge_applies_retention_to_tombstones_and_audit),
		T(purge_removes_expired_records_of_every_table),
		T(purge_gives_a_shared_store_its_group_modes),
		T(show_takes_an_id_that_starts_with_a_dash),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
