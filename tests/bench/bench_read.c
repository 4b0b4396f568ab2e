/* SPDX-License-Identifier: MIT */
/*
 * bench_read: the work of the portal's signed-in read (GET /m/ID/read)
 * without FastCGI, nginx or the audit write, N times, for counting
 * instructions per read under callgrind.
 *
 *   build/tests/bin/bench_read [-n N] [-t TEMPLATES_DIR] [-c]
 *   valgrind --tool=callgrind --toggle-collect=bench_read_once \
 *       build/tests/bin/bench_read -n 100
 *
 * A scratch folder (under TMPDIR, removed at the end) gets a fresh key
 * pair, a store and the same 5 KB text message bench_portal.sh seals
 * (80 lines of 63 digits, CRLF), and a session for its recipient.  Each
 * read then does what portal_read() does before its audit event: look
 * the session up, read the metadata and check it is still readable,
 * open (decrypt) the message, parse it, make the CSRF token and render
 * portal_read.html inside portal_layout.html with the same variables.
 * -c keeps unwrapped message keys as the portal does (sp_keycache.h).
 *
 * It prints the page size and the wall time per read; under callgrind
 * the instruction count of bench_read_once divided by N is the cost of
 * one read.  Exit status 1 when any step fails.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sp_auth.h"
#include "sp_keys.h"
#include "sp_mime_render.h"
#include "sp_msg.h"
#include "sp_revoked.h"
#include "sp_rules.h"
#include "sp_seal.h"
#include "sp_store.h"
#include "sp_template.h"

/* Lets the same file measure a tree from before message keys were kept. */
#if __has_include("sp_keycache.h")
#include "sp_keycache.h"
#define HAVE_KEYCACHE 1
#endif

#ifndef BENCH_TEMPLATES
#define BENCH_TEMPLATES "templates"
#endif
#define RCPT "bob@rcpt.test"

struct bench {
	char dir[256];
	const char *templates;
	struct sp_store *store;
	struct sp_keyring *kr;
	struct sp_auth *auth;
	char id[SP_ID_LEN + 1];
	char cookie[SP_SESSION_ID_LEN + 1];
	size_t page_len;
};

static char *
make_message(size_t *len)
{
	static const char head[] = "From: Alice <alice@sender.test>\r\n"
	                           "To: bob@rcpt.test\r\n"
	                           "Subject: Quarterly numbers\r\n"
	                           "Message-ID: <bench-read@sender.test>\r\n"
	                           "MIME-Version: 1.0\r\n"
	                           "Content-Type: text/plain; "
	                           "charset=us-ascii\r\n\r\n";
	size_t cap = sizeof(head) + 80 * 66, n;
	char *m = malloc(cap);
	int i;

	if (m == NULL)
		return NULL;
	n = (size_t)snprintf(m, cap, "%s", head);
	for (i = 0; i < 80; i++)
		n += (size_t)snprintf(m + n, cap - n, "%063d\r\n", i);
	*len = n;
	return m;
}

static int
seal_one(struct bench *b, struct sp_error *err)
{
	static char *rcpts[] = { (char *)RCPT };
	struct sp_msg_meta m;
	size_t len = 0;
	char *msg = make_message(&len);
	int rc;

	if (msg == NULL)
		return sp_error_set(err, SP_ENOMEM, "out of memory");
	memset(&m, 0, sizeof(m));
	sp_id_new(m.id);
	sp_ref_new(m.ref);
	m.created = (int64_t)time(NULL);
	m.state = SP_MSG_ACTIVE;
	m.rights = SP_RIGHT_READ | SP_RIGHT_REPLY | SP_RIGHT_PRINT;
	snprintf(m.template_name, sizeof(m.template_name), "encrypt-only");
	snprintf(m.rule, sizeof(m.rule), "bench");
	m.sender = (char *)"alice@sender.test";
	m.rcpts = rcpts;
	m.nrcpt = 1;
	rc = sp_msg_seal_buffer(b->store, b->kr, &m, msg, len, err);
	memcpy(b->id, m.id, sizeof(b->id));
	free(msg);
	return rc;
}

static int
setup(struct bench *b, bool cache, struct sp_error *err)
{
	struct sp_auth_limits lim = { 900, 5, 10, 3600, 86400 };
	struct sp_store_opts so = { 0, 0, false, NULL };
	char keys[300], store[300], kid[SP_KEYID_MAX];
	int rc;

	snprintf(keys, sizeof(keys), "%s/keys", b->dir);
	snprintf(store, sizeof(store), "%s/store", b->dir);
	if (mkdir(keys, 0700) != 0 || mkdir(store, 0700) != 0)
		return sp_error_set(err, SP_EIO, "cannot make %s", b->dir);
	if ((rc = sp_keys_generate(keys, NULL, kid, sizeof(kid), err)) !=
	        SP_OK ||
	    (rc = sp_keyring_load(keys, true, &b->kr, err)) != SP_OK ||
	    (rc = sp_store_open(store, &so, &b->store, err)) != SP_OK ||
	    (rc = sp_auth_new(&b->auth, b->store, keys, &lim, err)) != SP_OK ||
	    (rc = seal_one(b, err)) != SP_OK ||
	    (rc = sp_session_create(b->auth, b->id, RCPT, (int64_t)time(NULL),
	         b->cookie, err)) != SP_OK)
		return rc;
#ifdef HAVE_KEYCACHE
	if (cache)
		rc = sp_keyring_keycache_enable(b->kr, err);
#else
	if (cache)
		rc = sp_error_set(
		    err, SP_EINVAL, "-c: this build keeps no keys");
#endif
	return rc;
}

/* portal_read.c's show(): the page, its size into b->page_len. */
static int
render(struct bench *b, const struct sp_msg_meta *m,
    const struct sp_mime_view *v, const char *csrf, struct sp_error *err)
{
	const struct sp_tvar vars[] = { { "brand_name", "Bench Corp" },
		{ "brand_color", "#1d4f91" }, { "brand_logo_url", NULL },
		{ "brand_privacy_url", NULL }, { "brand_footer", NULL },
		{ "id", b->id }, { "ref", m->ref }, { "rcpt", RCPT },
		{ "csrf", csrf }, { "from", v->from.display },
		{ "to", v->to.display }, { "cc", v->cc.display },
		{ "date", v->date }, { "subject", v->subject },
		{ "text", v->text }, { "has_html", "" }, { "remote_note", "" },
		{ "warning", v->warning }, { "attachments", "" },
		{ "can_reply", "1" }, { "can_reply_all", "" },
		{ "can_forward", "" }, { "can_print", "1" },
		{ "can_respond", "1" }, { "title", v->subject },
		{ "content", NULL } };
	struct sp_tvar all[sizeof(vars) / sizeof(vars[0])];
	size_t n = sizeof(vars) / sizeof(vars[0]), clen, plen;
	char *content = NULL, *page = NULL;
	int rc;

	memcpy(all, vars, sizeof(vars));
	rc = sp_template_render_cached(
	    b->templates, "portal_read.html", all, n - 2, &content, &clen, err);
	if (rc != SP_OK)
		return rc;
	all[n - 1].value = content;
	rc = sp_template_render_cached(
	    b->templates, "portal_layout.html", all, n, &page, &plen, err);
	b->page_len = plen;
	free(content);
	free(page);
	return rc;
}

/* One read; the name is what callgrind's --toggle-collect matches. */
static __attribute__((noinline)) int
bench_read_once(struct bench *b, struct sp_error *err)
{
	char csrf[SP_CSRF_LEN + 1], *raw = NULL;
	struct sp_mime_view *v = NULL;
	int64_t now = (int64_t)time(NULL);
	struct sp_session s;
	struct sp_msg_meta m;
	size_t len = 0;
	int rc;

	memset(&m, 0, sizeof(m));
	if ((rc = sp_session_lookup(b->auth, b->cookie, now, &s, err)) !=
	        SP_OK ||
	    (rc = sp_store_msg_get(b->store, b->id, &m, err)) != SP_OK)
		goto out;
	if (m.state != SP_MSG_ACTIVE || m.revoked != 0 ||
	    (m.expires != 0 && m.expires <= now) ||
	    sp_revoked_has(&m, s.rcpt)) {
		rc = sp_error_set(err, SP_EINVAL, "message not readable");
		goto out;
	}
	if ((rc = sp_msg_open_buffer(
	         b->store, b->kr, &m, 1 << 24, &raw, &len, err)) != SP_OK ||
	    (rc = sp_mime_view_new(raw, len, NULL, &v, err)) != SP_OK)
		goto out;
	sp_session_csrf(b->auth, b->cookie, csrf);
	rc = render(b, &m, v, csrf, err);
out:
	sp_mime_view_free(v);
	if (raw != NULL) {
		sodium_memzero(raw, len);
		free(raw);
	}
	sp_msg_meta_cleanup(&m);
	return rc;
}

static void
teardown(struct bench *b)
{
	char cmd[400];

	sp_auth_free(b->auth);
	sp_store_close(b->store);
	sp_keyring_free(b->kr);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_read: could not remove %s\n", b->dir);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct bench b = { .templates = BENCH_TEMPLATES };
	const char *tmp = getenv("TMPDIR");
	struct sp_error err = { 0 };
	long n = 200, i;
	bool cache = false;
	double t0;
	int c, rc;

	while ((c = getopt(argc, argv, "n:t:c")) != -1) {
		if (c == 'n')
			n = strtol(optarg, NULL, 10);
		else if (c == 't')
			b.templates = optarg;
		else if (c == 'c')
			cache = true;
		else {
			fprintf(stderr,
			    "usage: bench_read [-n N] "
			    "[-t TEMPLATES_DIR] [-c]\n");
			return 2;
		}
	}
	snprintf(b.dir, sizeof(b.dir), "%s/sp_bench_read_XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(b.dir) == NULL) {
		perror("bench_read: mkdtemp");
		return 1;
	}
	rc = setup(&b, cache, &err);
	t0 = now_s();
	for (i = 0; i < n && rc == SP_OK; i++)
		rc = bench_read_once(&b, &err);
	if (rc == SP_OK)
		printf("reads %ld, page %zu bytes, %.1f us per read%s\n", n,
		    b.page_len, (now_s() - t0) * 1e6 / (double)(n ? n : 1),
		    cache ? ", message keys kept" : "");
	else
		fprintf(stderr, "bench_read: %s\n", err.msg);
	teardown(&b);
	return rc == SP_OK ? 0 : 1;
}
