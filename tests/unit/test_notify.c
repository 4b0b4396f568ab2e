/* SPDX-License-Identifier: MIT */
/* Tests for sp_notify: quoted-printable and the notification body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "check.h"
#include "sp_notify.h"

struct qp_case {
	const char *what;
	const char *in;
	size_t len;
	const char *want;
};

static const struct qp_case qp_cases[] = {
	{ "plain line gets CRLF", "abc", 3, "abc\r\n" },
	{ "LF becomes CRLF", "a\nb\n", 4, "a\r\nb\r\n" },
	{ "CRLF kept", "a\r\nb\r\n", 6, "a\r\nb\r\n" },
	{ "equals encoded", "a=b", 3, "a=3Db\r\n" },
	{ "8-bit encoded", "\xc3\xa9", 2, "=C3=A9\r\n" },
	{ "trailing space encoded", "a \n", 3, "a=20\r\n" },
	{ "inner space kept", "a b", 3, "a b\r\n" },
	{ "NUL encoded", "a\0b", 3, "a=00b\r\n" },
	{ "lone CR encoded", "a\rb", 3, "a=0Db\r\n" },
	{ "leading dot encoded", ".\n", 2, "=2E\r\n" },
	{ "From at line start encoded", "From me", 7, "=46rom me\r\n" },
	{ "empty line kept", "a\n\nb", 4, "a\r\n\r\nb\r\n" },
};

static void
qp_cases_encode_as_expected(void **state)
{
	size_t i, outlen;
	char *out;
	struct sp_error err;

	(void)state;
	for (i = 0; i < sizeof(qp_cases) / sizeof(qp_cases[0]); i++) {
		const struct qp_case *c = &qp_cases[i];
		CHECK_INT(
		    sp_qp_encode(c->in, c->len, &out, &outlen, &err), SP_OK);
		if (strcmp(out, c->want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", c->what, out,
			    c->want);
		free(out);
	}
}

/* Decodes quoted-printable, for round trips. */
static size_t
qp_decode(const char *s, char *out)
{
	size_t n = 0;

	while (*s) {
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
			s += 3;
		} else if (s[0] == '=') {
			char hex[3] = { s[1], s[2], 0 };
			out[n++] = (char)strtol(hex, NULL, 16);
			s += 3;
		} else {
			out[n++] = *s++;
		}
	}
	return n;
}

static void
qp_long_lines_stay_short_and_round_trip(void **state)
{
	char in[3000], dec[6000], *out, *line;
	size_t i, outlen, n;
	struct sp_error err;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(i % 7 == 0 ? '=' : i % 5 == 0 ? '\xe2' : 'x');
	CHECK_INT(sp_qp_encode(in, sizeof(in), &out, &outlen, &err), SP_OK);
	for (line = out; *line; line = strstr(line, "\r\n") + 2) {
		n = (size_t)(strstr(line, "\r\n") - line);
		if (n > 76)
			fail_msg("line length: got %zu, want <= 76", n);
	}
	n = qp_decode(out, dec);
	/* The encoder ends the last line with CRLF. */
	CHECK_INT(n, sizeof(in) + 2);
	CHECK_MEM(dec, sizeof(in), in, sizeof(in));
	CHECK_MEM(dec + sizeof(in), 2, "\r\n", 2);
	free(out);
	(void)outlen;
}

static void
notification_has_both_parts_and_no_long_lines(void **state)
{
	const char *src = getenv("SEALPOST_SOURCE_DIR");
	char dir[4096], *p, bnd[80];
	struct sp_notify n, n2;
	struct sp_error err;
	struct sp_notify_info in = { .sender = "ann@example.org",
		.subject = "Caf\xc3\xa9 <budget>",
		.link = "https://portal.example/m/AAAAAAAAAAAAAAAAAAAAAA",
		.ref = "ABCD-EFGH",
		.expires = 1800000000 };

	(void)state;
	if (src == NULL)
		skip();
	snprintf(dir, sizeof(dir), "%s/templates", src);
	CHECK_INT(sp_notify_build(dir, &in, &n, &err), SP_OK);
	CHECK_CONTAINS(n.content_type, "multipart/alternative; boundary=\"=_");
	p = strstr(n.content_type, "boundary=\"") + 10;
	snprintf(bnd, sizeof(bnd), "--%.*s", (int)(strchr(p, '"') - p), p);
	CHECK_CONTAINS(n.body, bnd);
	CHECK_CONTAINS(n.body, "Content-Type: text/plain; charset=utf-8");
	CHECK_CONTAINS(n.body, "Content-Type: text/html; charset=utf-8");
	CHECK_CONTAINS(n.body, "Caf=C3=A9 &lt;budget&gt;");
	CHECK_CONTAINS(n.body, "ABCD-EFGH");
	CHECK_CONTAINS(n.body, "2027-01-15");
	for (p = n.body; *p; p = strstr(p, "\r\n") + 2)
		if (strstr(p, "\r\n") - p > 76)
			fail_msg("line length: got %td, want <= 76",
			    strstr(p, "\r\n") - p);
	CHECK_INT(sp_notify_build(dir, &in, &n2, &err), SP_OK);
	if (strcmp(n.content_type, n2.content_type) == 0)
		fail_msg("boundary: got the same twice, want random");
	sp_notify_cleanup(&n);
	sp_notify_cleanup(&n2);
}

static void
missing_templates_fail(void **state)
{
	struct sp_notify n;
	struct sp_error err;
	struct sp_notify_info in = { .sender = "", .link = "l", .ref = "r" };

	(void)state;
	CHECK_INT(sp_notify_build("/nonexistent", &in, &n, &err), SP_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "notify.txt");
}

static void
template_with_unknown_placeholder_fails_at_load(void **state)
{
	char dir[] = "/tmp/sp-notify-XXXXXX", path[64];
	struct sp_notify_templates t;
	struct sp_error err;
	FILE *fp;

	(void)state;
	if (mkdtemp(dir) == NULL)
		fail_msg("mkdtemp failed");
	snprintf(path, sizeof(path), "%s/notify.txt", dir);
	fp = fopen(path, "w");
	fputs("ok {{link}}\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/notify.html", dir);
	fp = fopen(path, "w");
	fputs("<p>\n{{lnik}}</p>\n", fp);
	fclose(fp);
	CHECK_INT(sp_notify_templates_load(dir, &t, &err), SP_EFORMAT);
	CHECK_CONTAINS(err.msg,
	    "notify.html: template line 2: unknown "
	    "placeholder \"lnik\"");
	unlink(path);
	snprintf(path, sizeof(path), "%s/notify.txt", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(qp_cases_encode_as_expected),
		cmocka_unit_test(qp_long_lines_stay_short_and_round_trip),
		cmocka_unit_test(notification_has_both_parts_and_no_long_lines),
		cmocka_unit_test(missing_templates_fail),
		cmocka_unit_test(
		    template_with_unknown_placeholder_fails_at_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
