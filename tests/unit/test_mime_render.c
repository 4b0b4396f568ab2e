/* SPDX-License-Identifier: MIT */
/*
 * Tests for sp_mime_render: small messages written here (headers, bodies,
 * charsets, file names, limits), then every message of the shared corpus
 * (env SEALPOST_CORPUS, else $SEALPOST_SOURCE_DIR/../shared/corpus), as
 * stored and converted to CRLF, with specific checks for some of them.
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "check.h"
#include "sp_html_sanitize.h"
#include "sp_mime_render.h"

/* A one-pixel-ish PNG signature and header start, base64. */
#define PNG_B64   "iVBORw0KGgoAAAANSUhEUg=="
#define PNG_BYTES "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"

static struct sp_mime_view *
view_of(const char *msg, size_t len, const struct sp_mime_limits *l)
{
	struct sp_mime_view *v = NULL;
	struct sp_error e;

	if (sp_mime_view_new(msg, len, l, &v, &e) != SP_OK)
		fail_msg("sp_mime_view_new: got \"%s\", want a view", e.msg);
	return v;
}

static struct sp_mime_view *
view_str(const char *msg)
{
	return view_of(msg, strlen(msg), NULL);
}

/* Each field of a view that is a string: valid UTF-8. */
static void
check_utf8(const char *what, const char *s, size_t len)
{
	if (s != NULL && !g_utf8_validate(s, (gssize)len, NULL))
		fail_msg("%s: got invalid UTF-8, want valid", what);
}

struct body_case {
	const char *name;
	const char *msg;
	const char *subject; /* NULL: not checked */
	const char *text;    /* the text body must contain this */
};

static const struct body_case body_cases[] = {
	{ "lf_only_plain_message",
	    "From: A <a@example.com>\nSubject: =?utf-8?q?h=C3=A9llo?=\n\nbody\n",
	    "h\xc3\xa9llo", "body\n" },
	{ "crlf_line_ends_become_lf",
	    "From: A <a@example.com>\r\nSubject: hi\r\n\r\nbody\r\nline 2\r\n",
	    "hi", "body\nline 2\n" },
	{ "latin1_body_converted",
	    "Content-Type: text/plain; charset=iso-8859-1\n\ncaf\xe9\n", NULL,
	    "caf\xc3\xa9" },
	{ "koi8r_qp_body_converted",
	    "Content-Type: text/plain; charset=koi8-r\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n=D3=CC=CF=D7=CF\n",
	    NULL, "\xd1\x81\xd0\xbb\xd0\xbe\xd0\xb2\xd0\xbe" },
	{ "unknown_charset_valid_utf8_kept",
	    "Content-Type: text/plain; charset=fakescii\n\ncaf\xc3\xa9\n", NULL,
	    "caf\xc3\xa9" },
	{ "unknown_charset_invalid_utf8_read_as_windows_1252",
	    "Content-Type: text/plain; charset=x-nonesuch\n\ncaf\xe9 \x80\n",
	    NULL, "caf\xc3\xa9 \xe2\x82\xac" },
	{ "undeclared_8bit_body_read_as_windows_1252",
	    "Subject: s\n\nna\xefve\n", NULL, "na\xc3\xafve" },
	{ "bad_bytes_in_declared_charset_replaced",
	    "Content-Type: text/plain; charset=utf-8\n\na\xff"
	    "b\n",
	    NULL, "a\xc3\xbf" },
	{ "raw_8bit_latin1_subject_decoded", "Subject: caf\xe9\n\nx\n",
	    "caf\xc3\xa9", "x" },
	{ "raw_utf8_subject_kept", "Subject: caf\xc3\xa9\n\nx\n", "caf\xc3\xa9",
	    "x" },
	{ "control_chars_in_subject_blanked",
	    "Subject: a\x01"
	    "b\x1b[31m\n\nx\n",
	    "a b [31m", "x" },
	{ "mbox_from_line_skipped",
	    "From a@example.com Sat Jan  1 00:00:00 2000\nSubject: s\n\nbody\n",
	    "s", "body" },
	{ "no_header_section_all_body", "just text, no headers\nmore text\n",
	    NULL, "just text, no headers\nmore text" },
	{ "missing_blank_line_keeps_body",
	    "Subject: s\nthis line is not a header\nnor this\n", "s",
	    "this line is not a header\nnor this" },
	{ "base64_body_decoded",
	    "Content-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ=\n", NULL,
	    "hello world" },
	{ "inline_text_parts_joined",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n"
	    "Content-Disposition: inline\n\ntwo\n--b--\n",
	    NULL, "one\n\ntwo" },
	{ "multipart_without_boundary_shows_body",
	    "Content-Type: multipart/mixed\n\nthe only content\n", NULL,
	    "the only content" },
};

static void
bodies_and_subjects_decoded(void **state)
{
	struct sp_mime_view *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(body_cases) / sizeof(*body_cases); i++) {
		const struct body_case *c = &body_cases[i];

		v = view_str(c->msg);
		if (c->subject != NULL &&
		    (v->subject == NULL || strcmp(v->subject, c->subject) != 0))
			fail_msg("%s: subject: got \"%s\", want \"%s\"",
			    c->name, v->subject ? v->subject : "(null)",
			    c->subject);
		if (v->text == NULL || strstr(v->text, c->text) == NULL)
			fail_msg("%s: text: got \"%s\", want it to contain "
			         "\"%s\"",
			    c->name, v->text ? v->text : "(null)", c->text);
		check_utf8(c->name, v->text, v->text_len);
		CHECK_INT(v->flags & SP_MIME_FALLBACK, 0);
		sp_mime_view_free(v);
	}
}

static void
nul_in_body_becomes_replacement_char(void **state)
{
	static const char msg[] = "Subject: s\n\na\0b\n";
	struct sp_mime_view *v;

	(void)state;
	v = view_of(msg, sizeof(msg) - 1, NULL);
	CHECK_STR(v->text,
	    "a\xef\xbf\xbd"
	    "b\n");
	CHECK_INT(v->text_len, strlen(v->text));
	sp_mime_view_free(v);
}

/* A body of n ASCII letters, then one odd sequence, then "z": the text
 * must be the letters, the sequence as UTF-8, "z", wherever the odd
 * bytes fall against the 8-byte words the fast scans use. */
static void
odd_bytes_decoded_at_every_offset(void **state)
{
	static const struct {
		const char *what, *raw, *utf8;
	} odd[] = {
		{ "utf-8 e acute", "\xc3\xa9", "\xc3\xa9" },
		{ "utf-8 euro", "\xe2\x82\xac", "\xe2\x82\xac" },
		{ "latin-1 byte read as windows-1252", "\xe9", "\xc3\xa9" },
		{ "nul", "\0", "\xef\xbf\xbd" },
		{ "del stays", "\x7f", "\x7f" },
	};
	const char head[] = "Subject: s\nContent-Type: text/plain\n\n";
	char msg[256], want[128];
	struct sp_mime_view *v;
	size_t i, n, len, wlen;

	(void)state;
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		for (n = 0; n < 20; n++) {
			size_t rl = strlen(odd[i].raw) + (odd[i].raw[0] == 0);

			len = (size_t)snprintf(msg, sizeof(msg), "%s", head);
			memset(msg + len, 'a', n);
			len += n;
			memcpy(msg + len, odd[i].raw, rl);
			len += rl;
			memcpy(msg + len, "z\n", 2);
			len += 2;
			memset(want, 'a', n);
			wlen = n;
			wlen += (size_t)snprintf(want + wlen,
			    sizeof(want) - wlen, "%sz\n", odd[i].utf8);
			v = view_of(msg, len, NULL);
			if (v->text_len != wlen ||
			    memcmp(v->text, want, wlen) != 0)
				fail_msg("%s after %zu letters: got \"%s\", "
				         "want \"%s\"",
				    odd[i].what, n, v->text, want);
			sp_mime_view_free(v);
		}
	}
}

/* CRLF becomes LF; a CR on its own stays. */
static void
line_ends_made_lf_lone_cr_kept(void **state)
{
	static const struct {
		const char *body, *want;
	} cases[] = {
		{ "a\r\nb\r\n", "a\nb\n" },
		{ "a\rb\n", "a\rb\n" },
		{ "a\r\r\nb\n", "a\r\nb\n" },
		{ "\r\n\r\nx\n", "\n\nx\n" },
		{ "x\r", "x\r" },
	};
	char msg[128];
	struct sp_mime_view *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(
		    msg, sizeof(msg), "Subject: s\r\n\r\n%s", cases[i].body);
		v = view_str(msg);
		if (strcmp(v->text, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i,
			    v->text, cases[i].want);
		sp_mime_view_free(v);
	}
}

/* Container words are counted in any case, anywhere in the message: past
 * 1000 of them the message is shown as raw text. */
static void
container_words_counted_in_any_case(void **state)
{
	static const char *const words[] = { "multipart/", "MULTIPART/",
		"Message/", "mEsSaGe/" };
	static const size_t counts[] = { 1000, 1001 };
	struct sp_mime_view *v;
	size_t i, k;
	GString *s;

	(void)state;
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		s = g_string_new("Subject: s\n\n");
		for (k = 0; k < counts[i]; k++)
			g_string_append_printf(
			    s, "m %s%s", words[k % 4], k % 9 ? "" : "\n");
		v = view_of(s->str, s->len, NULL);
		if (((v->flags & SP_MIME_FALLBACK) != 0) != (counts[i] > 1000))
			fail_msg("%zu words: got flags %u, want fallback %s",
			    counts[i], v->flags,
			    counts[i] > 1000 ? "set" : "unset");
		sp_mime_view_free(v);
		g_string_free(s, TRUE);
	}
}

/* The address lists are shown as GMime writes them, IDNA included: each
 * case's display must equal GMime's own rendering of a fresh parse. */
static void
address_display_as_gmime_writes_it(void **state)
{
	static const char *const cases[] = {
		"bob@RCPT.Test",
		"\"Al, Ice\" <a@Sender.TEST>",
		"x@b\xc3\xbc"
		"cher.example",
		"J\xc3\xb6hn <j@EXAMPLE.com>, k@example.org",
		"Grp: a@b.example, c@\xc3\x9c.example;, d@e.example",
		"y@_bad_.test, w@x-.y",
		"q@XN--BCHER-KVA.example, r@xn--zz.example",
		"z@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaa.test",
		"\"quoted@local\"@example.net",
		"no-at-sign",
	};
	char msg[512];
	struct sp_mime_view *v;
	InternetAddressList *l;
	char *want;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(
		    msg, sizeof(msg), "To: %s\nSubject: s\n\nx\n", cases[i]);
		v = view_str(msg);
		l = internet_address_list_parse(NULL, cases[i]);
		want = l != NULL && internet_address_list_length(l) > 0
		    ? internet_address_list_to_string(l, NULL, FALSE)
		    : NULL;
		if (want == NULL ? v->to.display != NULL
		                 : v->to.display == NULL ||
		            strcmp(v->to.display, want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i,
			    v->to.display ? v->to.display : "(none)",
			    want ? want : "(none)");
		g_free(want);
		if (l != NULL)
			g_object_unref(l);
		sp_mime_view_free(v);
	}
}

static void
addresses_listed_for_reply(void **state)
{
	const char *msg =
	    "From: \"Doe, Jane\" <jane@example.com>\n"
	    "To: b@example.com, =?utf-8?b?SsO8cmdlbg==?= <j@example.org>\n"
	    "Cc: team: x@example.net, y@example.net;\n"
	    "Reply-To: r@example.com\n"
	    "Date: Tue, 1 Jul 2003 10:52:37 +0200\n"
	    "Message-ID: <id-1@example.com>\n\nx\n";
	struct sp_mime_view *v;

	(void)state;
	v = view_str(msg);
	CHECK_INT(v->from.n, 1);
	CHECK_STR(v->from.v[0].name, "Doe, Jane");
	CHECK_STR(v->from.v[0].addr, "jane@example.com");
	CHECK_INT(v->to.n, 2);
	CHECK_STR(v->to.v[0].addr, "b@example.com");
	assert_null(v->to.v[0].name);
	CHECK_STR(v->to.v[1].name, "J\xc3\xbcrgen");
	CHECK_CONTAINS(v->to.display, "J\xc3\xbcrgen");
	CHECK_INT(v->cc.n, 2);
	CHECK_STR(v->cc.v[1].addr, "y@example.net");
	CHECK_STR(v->reply_to.v[0].addr, "r@example.com");
	CHECK_STR(v->message_id, "id-1@example.com");
	CHECK_INT(v->date_utc, 1057049557);
	CHECK_CONTAINS(v->date, "1 Jul 2003");
	sp_mime_view_free(v);
}

static void
alternative_gives_text_and_html(void **state)
{
	const char *msg =
	    "Content-Type: multipart/alternative; boundary=\"xx\"\n\n"
	    "--xx\nContent-Type: text/plain; charset=utf-8\n\nplain\n"
	    "--xx\nContent-Type: text/html; charset=iso-8859-1\n\n"
	    "<p>caf\xe9</p>\n--xx--\n";
	struct sp_mime_view *v;

	(void)state;
	v = view_str(msg);
	CHECK_STR(v->text, "plain");
	CHECK_STR(v->html, "<p>caf\xc3\xa9</p>");
	CHECK_INT(v->natt, 0);
	sp_mime_view_free(v);
}

static void
html_meta_charset_used_without_header_charset(void **state)
{
	const char *msg = "Content-Type: text/html\n\n"
	                  "<meta http-equiv=Content-Type content=\"text/html; "
	                  "charset=koi8-r\"><p>\xd3\xcc\xcf\xd7\xcf</p>\n";
	struct sp_mime_view *v;

	(void)state;
	v = view_str(msg);
	CHECK_CONTAINS(v->html,
	    "<p>\xd1\x81\xd0\xbb\xd0\xbe\xd0\xb2"
	    "\xd0\xbe</p>");
	sp_mime_view_free(v);
}

struct name_case {
	const char *name;
	const char *header; /* the attachment part's headers */
	const char *want;
};

static const struct name_case name_cases[] = {
	{ "rfc2231_continuation_decoded",
	    "Content-Type: application/octet-stream\n"
	    "Content-Disposition: attachment; filename*0*=utf-8''a%C3%A9;"
	    " filename*1=\".txt\"\n",
	    "a\xc3\xa9.txt" },
	{ "rfc2047_in_parameter_decoded",
	    "Content-Type: application/octet-stream; "
	    "name=\"=?utf-8?q?r=C3=A9sum=C3=A9.pdf?=\"\n",
	    "r\xc3\xa9sum\xc3\xa9.pdf" },
	{ "unix_path_stripped",
	    "Content-Type: text/plain; name=\"/etc/passwd\"\n", "passwd" },
	{ "windows_path_stripped",
	    "Content-Type: image/png\nContent-Disposition: attachment; "
	    "filename=\"C:\\TEMP\\x.png\"\n",
	    "x.png" },
	{ "dot_dot_path_gets_type_name",
	    "Content-Type: image/png\nContent-Disposition: attachment; "
	    "filename=\"../../..\"\n",
	    "attachment-1.png" },
	{ "hidden_name_dots_trimmed",
	    "Content-Type: text/plain\nContent-Disposition: attachment; "
	    "filename=\".bashrc\"\n",
	    "bashrc" },
	{ "bidi_override_removed",
	    "Content-Type: application/octet-stream\n"
	    "Content-Disposition: attachment; "
	    "filename*=utf-8''inv%E2%80%AEtxt.exe\n",
	    "invtxt.exe" },
	{ "shell_and_windows_specials_replaced",
	    "Content-Type: application/octet-stream\n"
	    "Content-Disposition: attachment; filename=\"a<b>c|d?.txt\"\n",
	    "a_b_c_d_.txt" },
	{ "no_name_gets_type_name",
	    "Content-Type: application/pdf\n"
	    "Content-Disposition: attachment\n",
	    "attachment-1.pdf" },
	{ "unknown_type_gets_bin", "Content-Type: application/x-foo\n",
	    "attachment-1.bin" },
};

static char *
one_attachment_msg(const char *headers, const char *body)
{
	return g_strdup_printf("Content-Type: multipart/mixed; boundary=b\n\n"
	                       "--b\nContent-Type: text/plain\n\nbody\n"
	                       "--b\n%s\n%s\n--b--\n",
	    headers, body);
}

static void
attachment_names_made_safe(void **state)
{
	struct sp_mime_view *v;
	char *msg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(name_cases) / sizeof(*name_cases); i++) {
		msg = one_attachment_msg(name_cases[i].header, "data");
		v = view_str(msg);
		if (v->natt != 1)
			fail_msg("%s: got %zu attachments, want 1",
			    name_cases[i].name, v->natt);
		if (strcmp(v->att[0].filename, name_cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"",
			    name_cases[i].name, v->att[0].filename,
			    name_cases[i].want);
		sp_mime_view_free(v);
		g_free(msg);
	}
}

static void
long_attachment_name_cut_keeping_extension(void **state)
{
	char *name = g_strnfill(300, 'n');
	char *hdr = g_strdup_printf("Content-Type: application/pdf; "
	                            "name=\"%s.pdf\"\n",
	    name);
	char *msg = one_attachment_msg(hdr, "x");
	struct sp_mime_view *v;

	(void)state;
	v = view_str(msg);
	CHECK_INT(strlen(v->att[0].filename), 120);
	assert_true(g_str_has_suffix(v->att[0].filename, "n.pdf"));
	CHECK_INT(strlen(v->att[0].orig_filename), 304);
	sp_mime_view_free(v);
	g_free(msg);
	g_free(hdr);
	g_free(name);
}

static void
attachment_bytes_read_and_bounded(void **state)
{
	char *msg = one_attachment_msg("Content-Type: application/x-foo\n"
	                               "Content-Transfer-Encoding: base64\n",
	    "aGVsbG8gd29ybGQ=");
	struct sp_mime_view *v;
	struct sp_error e;
	char *data;
	size_t len;

	(void)state;
	v = view_str(msg);
	CHECK_INT(v->att[0].size, 11);
	CHECK_INT(sp_mime_attachment_read(v, 0, 100, &data, &len, &e), SP_OK);
	CHECK_MEM(data, len, "hello world", 11);
	free(data);
	CHECK_INT(
	    sp_mime_attachment_read(v, 0, 10, &data, &len, &e), SP_ETOOBIG);
	assert_null(data);
	CHECK_INT(
	    sp_mime_attachment_read(v, 1, 100, &data, &len, &e), SP_ENOTFOUND);
	sp_mime_view_free(v);
	g_free(msg);
}

static void
inline_cid_image_found_and_made_data_uri(void **state)
{
	const char *msg =
	    "Content-Type: multipart/related; boundary=r\n\n"
	    "--r\nContent-Type: text/html\n\n<img src=\"cid:img%40one\">\n"
	    "--r\nContent-Type: image/png\nContent-ID: <img@one>\n"
	    "Content-Transfer-Encoding: base64\n\n" PNG_B64 "\n"
	    "--r\nContent-Type: image/png\nContent-ID: <fake@one>\n\n"
	    "not a png\n--r--\n";
	struct sp_mime_view *v;
	char *uri;

	(void)state;
	v = view_str(msg);
	CHECK_INT(v->natt, 2);
	assert_true(v->att[0].is_inline);
	CHECK_STR(v->att[0].content_id, "img@one");
	CHECK_INT(sp_mime_find_cid(v, "img%40one"), 0);
	CHECK_INT(sp_mime_find_cid(v, "<IMG@one>"), 0);
	CHECK_INT(sp_mime_find_cid(v, "cid:fake@one"), 1);
	CHECK_INT(sp_mime_find_cid(v, "other@one"), -1);
	uri = sp_mime_image_data_uri(v, 0, 1024);
	CHECK_STR(uri, "data:image/png;base64," PNG_B64);
	free(uri);
	assert_null(sp_mime_image_data_uri(v, 0, 4));
	/* declared image/png, but the bytes are not one */
	assert_null(sp_mime_image_data_uri(v, 1, 1024));
	sp_mime_view_free(v);
}

static void
attached_message_viewed_nested(void **state)
{
	const char *msg =
	    "Subject: outer\nContent-Type: multipart/mixed; boundary=o\n\n"
	    "--o\n\nsee attached\n"
	    "--o\nContent-Type: message/rfc822\n\n"
	    "Subject: inner\nFrom: i@example.com\n\ninner body\n--o--\n";
	struct sp_mime_view *v;
	char *data;
	size_t len;

	(void)state;
	v = view_str(msg);
	CHECK_INT(v->natt, 1);
	CHECK_STR(v->att[0].content_type, "message/rfc822");
	CHECK_STR(v->att[0].filename, "attachment-1.eml");
	assert_non_null(v->att[0].message);
	CHECK_STR(v->att[0].message->subject, "inner");
	CHECK_STR(v->att[0].message->from.v[0].addr, "i@example.com");
	CHECK_CONTAINS(v->att[0].message->text, "inner body");
	assert_int_equal(
	    sp_mime_attachment_read(v, 0, 4096, &data, &len, NULL), SP_OK);
	CHECK_CONTAINS(data, "Subject: inner");
	free(data);
	sp_mime_view_free(v);
}

/* n messages each attached to the one around it. */
static char *
nested_messages(size_t n)
{
	GString *s = g_string_new("");
	size_t i;

	for (i = 0; i < n; i++)
		g_string_append_printf(s,
		    "Subject: level %zu\nContent-Type: message/rfc822\n\n", i);
	g_string_append(s, "Subject: last\n\nbottom\n");
	return g_string_free(s, FALSE);
}

static void
attached_messages_viewed_to_max_nesting(void **state)
{
	struct sp_mime_limits l = { 0 };
	struct sp_mime_view *v, *at;
	char *msg = nested_messages(6);
	size_t levels = 0;

	(void)state;
	l.max_nesting = 2;
	v = view_of(msg, strlen(msg), &l);
	for (at = v; at->natt > 0 && at->att[0].message; levels++)
		at = at->att[0].message;
	CHECK_INT(levels, 2);
	CHECK_INT(at->natt, 1);
	sp_mime_view_free(v);
	g_free(msg);
}

/* A multipart with n parts, or n multiparts nested. */
static char *
multipart_msg(size_t n, bool nested)
{
	GString *s = g_string_new("");
	size_t i;

	for (i = 0; i < (nested ? n : 1); i++)
		g_string_append_printf(s,
		    "Content-Type: multipart/mixed; boundary=b%zu\n\n--b%zu\n",
		    i, i);
	for (i = 0; i < (nested ? 1 : n); i++)
		g_string_append_printf(s,
		    "Content-Type: application/x-a\n\n"
		    "%zu\n--b0\n",
		    i);
	return g_string_free(s, FALSE);
}

static void
limits_reported_in_flags_and_warning(void **state)
{
	struct sp_mime_limits l = { 0 };
	struct sp_mime_view *v;
	struct sp_error e;
	char *msg = multipart_msg(10, false);

	(void)state;
	l.max_parts = 4;
	v = view_of(msg, strlen(msg), &l);
	CHECK_INT(v->flags & SP_MIME_PARTS_LIMIT, SP_MIME_PARTS_LIMIT);
	CHECK_INT(v->natt, 3);
	CHECK_CONTAINS(v->warning, "more than 4 parts");
	sp_mime_view_free(v);
	g_free(msg);

	msg = multipart_msg(40, true);
	v = view_of(msg, strlen(msg), NULL);
	CHECK_INT(v->flags & SP_MIME_DEPTH_LIMIT, SP_MIME_DEPTH_LIMIT);
	sp_mime_view_free(v);
	g_free(msg);

	memset(&l, 0, sizeof(l));
	l.max_body = 5;
	v = view_of("Subject: s\n\n\xc3\xa9\xc3\xa9\xc3\xa9\n", 19, &l);
	CHECK_STR(v->text, "\xc3\xa9\xc3\xa9");
	CHECK_INT(v->flags & SP_MIME_TRUNCATED, SP_MIME_TRUNCATED);
	sp_mime_view_free(v);

	l.max_input = 10;
	CHECK_INT(sp_mime_view_new("Subject: s\n\nbody\n", 17, &l, &v, &e),
	    SP_ETOOBIG);
	assert_null(v);
	CHECK_CONTAINS(e.msg, "over the limit");
}

static void
too_many_containers_shown_as_raw_text(void **state)
{
	char *msg = multipart_msg(990, true);
	struct sp_mime_view *v;

	(void)state;
	/* just under the cap: GMime parses all levels, we show 32 */
	v = view_of(msg, strlen(msg), NULL);
	CHECK_INT(v->flags, SP_MIME_DEPTH_LIMIT);
	sp_mime_view_free(v);
	g_free(msg);

	msg = multipart_msg(1100, true);
	v = view_of(msg, strlen(msg), NULL);
	CHECK_INT(v->flags & SP_MIME_FALLBACK, SP_MIME_FALLBACK);
	CHECK_CONTAINS(v->text, "boundary=b1099");
	CHECK_CONTAINS(v->warning, "raw text");
	sp_mime_view_free(v);
	g_free(msg);
}

static void
empty_and_bad_arguments(void **state)
{
	struct sp_mime_view *v;

	(void)state;
	v = view_of(NULL, 0, NULL);
	CHECK_INT(v->natt, 0);
	sp_mime_view_free(v);
	CHECK_INT(sp_mime_view_new(NULL, 3, NULL, &v, NULL), SP_EINVAL);
	CHECK_INT(sp_mime_view_new("x", 1, NULL, NULL, NULL), SP_EINVAL);
	sp_mime_view_free(NULL);
}

static void *
view_in_thread(void *arg)
{
	const char *msg = "Subject: =?utf-8?q?caf=C3=A9?=\n"
	                  "Content-Type: text/plain; charset=koi8-r\n\n"
	                  "\xd3\xcc\xcf\xd7\xcf\n";
	struct sp_mime_view *v;
	size_t i;

	for (i = 0; i < 50; i++) {
		if (sp_mime_view_new(msg, strlen(msg), NULL, &v, NULL) != SP_OK)
			return arg;
		if (strcmp(v->subject, "caf\xc3\xa9") != 0 ||
		    strcmp(v->text,
		        "\xd1\x81\xd0\xbb\xd0\xbe\xd0\xb2"
		        "\xd0\xbe\n") != 0) {
			sp_mime_view_free(v);
			return arg;
		}
		sp_mime_view_free(v);
	}
	return NULL;
}

/* The first use (which initialises GMime) from several threads at once. */
static void
views_built_from_threads_at_once(void **state)
{
	pthread_t t[4];
	void *res;
	int bad = 0;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(
		    pthread_create(&t[i], NULL, view_in_thread, &bad), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &res), 0);
		if (res != NULL)
			fail_msg("thread %zu: got a wrong view, want the same "
			         "as alone",
			    i);
	}
}

static size_t
count_str(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

/* The corpus folder, or NULL (the caller skips). */
static char corpus_path[4096];

static const char *
corpus_dir(void)
{
	const char *env = getenv("SEALPOST_CORPUS");
	const char *src = getenv("SEALPOST_SOURCE_DIR");
	DIR *d;

	if (env != NULL && *env != '\0')
		snprintf(corpus_path, sizeof(corpus_path), "%s", env);
	else if (src != NULL && *src != '\0')
		snprintf(corpus_path, sizeof(corpus_path),
		    "%s/../shared/corpus", src);
	else
		snprintf(corpus_path, sizeof(corpus_path), "%s",
		    "(neither SEALPOST_CORPUS nor SEALPOST_SOURCE_DIR set)");
	if ((d = opendir(corpus_path)) == NULL)
		return NULL;
	closedir(d);
	return corpus_path;
}

static bool
corpus_or_skip(const char **dir)
{
	if ((*dir = corpus_dir()) == NULL) {
		print_message("SKIP: message corpus not found at %s; set "
		              "SEALPOST_CORPUS to its folder\n",
		    corpus_path);
		return false;
	}
	return true;
}

static char *
load(const char *dir, const char *name, size_t *len)
{
	char *path = g_build_filename(dir, name, NULL);
	gchar *data = NULL;
	gsize n = 0;
	char *copy;

	if (!g_file_get_contents(path, &data, &n, NULL))
		fail_msg("%s: got no file, want the corpus message", path);
	g_free(path);
	copy = malloc(n + 1);
	assert_non_null(copy);
	memcpy(copy, data, n);
	copy[n] = '\0';
	g_free(data);
	*len = n;
	return copy;
}

/* LF line ends turned into CRLF (the SMTP wire form). */
static char *
to_crlf(const char *s, size_t len, size_t *out_len)
{
	char *d = malloc(len * 2 + 1);
	size_t i, j = 0;

	assert_non_null(d);
	for (i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			d[j++] = '\r';
		d[j++] = s[i];
	}
	d[j] = '\0';
	*out_len = j;
	return d;
}

/* What every view must satisfy, at any nesting level. */
static void
check_view_sane(const char *name, const struct sp_mime_view *v, int depth)
{
	size_t i;
	char *data;
	size_t len;

	check_utf8(name, v->subject, v->subject ? strlen(v->subject) : 0);
	check_utf8(name, v->text, v->text_len);
	check_utf8(name, v->html, v->html_len);
	if (v->text != NULL && strlen(v->text) != v->text_len)
		fail_msg("%s: got text length %zu, want %zu", name,
		    strlen(v->text), v->text_len);
	for (i = 0; i < v->from.n; i++)
		assert_non_null(v->from.v[i].addr);
	for (i = 0; i < v->natt; i++) {
		const struct sp_mime_attachment *a = &v->att[i];

		if (a->filename[0] == '\0' || strlen(a->filename) > 120 ||
		    strpbrk(a->filename, "/\\") != NULL)
			fail_msg("%s: got file name \"%s\", want a safe one",
			    name, a->filename);
		check_utf8(name, a->filename, strlen(a->filename));
		CHECK_INT(a->index, i);
		if (sp_mime_attachment_read(
		        v, i, 1u << 24, &data, &len, NULL) != SP_OK)
			fail_msg("%s: attachment %zu: got an error, want bytes",
			    name, i);
		if (len != a->size)
			fail_msg("%s: attachment %zu: got %zu bytes, want %zu",
			    name, i, len, a->size);
		free(data);
		if (a->message != NULL && depth < 5)
			check_view_sane(name, a->message, depth + 1);
	}
}

/* Every HTML body of the corpus goes through the sanitizer. */
static void
check_html_sanitizes(const char *name, const struct sp_mime_view *v)
{
	struct sp_html_result r;
	struct sp_error e;

	if (v->html == NULL)
		return;
	if (sp_html_sanitize(v->html, v->html_len, NULL, &r, &e) != SP_OK)
		fail_msg("%s: sanitizer: got \"%s\", want output", name, e.msg);
	if (v->html_len > 0 && r.len == 0)
		fail_msg("%s: sanitizer: got nothing, want some HTML", name);
	sp_html_result_cleanup(&r);
}

static bool
has_content(const struct sp_mime_view *v)
{
	return v->subject != NULL || v->text_len > 0 || v->html_len > 0 ||
	    v->natt > 0 || v->from.n > 0;
}

static void
corpus_every_message_parses(void **state)
{
	const char *dir;
	struct dirent *de;
	struct sp_mime_view *v;
	size_t len, clen, n = 0;
	char *msg, *crlf;
	DIR *d;

	(void)state;
	if (!corpus_or_skip(&dir))
		skip();
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strcmp(de->d_name, "SOURCES.md") == 0)
			continue;
		msg = load(dir, de->d_name, &len);
		crlf = to_crlf(msg, len, &clen);
		v = view_of(msg, len, NULL);
		check_view_sane(de->d_name, v, 0);
		check_html_sanitizes(de->d_name, v);
		if (!has_content(v))
			fail_msg(
			    "%s: got an empty view, want something to show",
			    de->d_name);
		sp_mime_view_free(v);
		v = view_of(crlf, clen, NULL);
		check_view_sane(de->d_name, v, 0);
		sp_mime_view_free(v);
		free(crlf);
		free(msg);
		n++;
	}
	closedir(d);
	print_message("%zu corpus messages viewed\n", n);
	assert_true(n > 0);
}

static struct sp_mime_view *
corpus_view(const char *dir, const char *name)
{
	struct sp_mime_view *v;
	size_t len;
	char *msg = load(dir, name, &len);

	v = view_of(msg, len, NULL);
	free(msg);
	return v;
}

/* One attachment's file name in a corpus message. */
struct corpus_name {
	const char *file;
	size_t idx;
	const char *want;
};

static const struct corpus_name corpus_names[] = {
	{ "hunnysoft_m3004_pine_rfc2231_filename.txt", 0,
	    "HasenundFr\xc3\xb6sche.txt" },
	{ "mimetools_rfc2231_latin1_filename.msg", 0,
	    "attachment.\xc3\xa4\xc3\xb6\xc3\xbc" },
	{ "mimetools_2047_in_filename_param.msg", 0,
	    "\xd0\xa1\xd0\xbf\xd0\xb8\xd1\x81\xd0\xbe\xd0\xba.doc" },
	{ "hunnysoft_m1005_netscape_mixed_alt_encoded_name.txt", 0,
	    "nsmailEG.png" },
	{ "hunnysoft_m1005_netscape_mixed_alt_encoded_name.txt", 1,
	    "nsmail39.png" },
	{ "mimetools_folded_boundary_bad_names.msg", 0, "bar" },
	{ "mimetools_folded_boundary_bad_names.msg", 1, "foo bar" },
	{ "mikelmail_pdf_attachment_lf_only.eml", 0, "broken.pdf" },
	{ "hunnysoft_m4001_raw8bit_headers_pgp_signed.txt", 0,
	    "attachment-1.bin" },
};

static void
corpus_attachment_names(void **state)
{
	const char *dir;
	struct sp_mime_view *v;
	size_t i;

	(void)state;
	if (!corpus_or_skip(&dir))
		skip();
	for (i = 0; i < sizeof(corpus_names) / sizeof(*corpus_names); i++) {
		const struct corpus_name *c = &corpus_names[i];

		v = corpus_view(dir, c->file);
		if (c->idx >= v->natt)
			fail_msg("%s: got %zu attachments, want more than %zu",
			    c->file, v->natt, c->idx);
		if (strcmp(v->att[c->idx].filename, c->want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", c->file,
			    v->att[c->idx].filename, c->want);
		sp_mime_view_free(v);
	}
}

/* A corpus message whose text, HTML or subject must hold a string. */
struct corpus_text {
	const char *file;
	char where; /* 't'ext, 'h'tml, 's'ubject, 'f'rom name, 'T'o name */
	const char *want;
};

static const struct corpus_text corpus_texts[] = {
	{ "mime4j_no_headers_at_all.msg", 't',
	    "This is a simple message not having headers." },
	{ "cpython_msg_35_no_header_body_separator.txt", 't',
	    "counter to RFC 5322" },
	{ "enmime_multipart_without_boundary.raw", 't',
	    "multipart message without boundary" },
	{ "enmime_unknown_charset_fakescii.raw", 't', "A text section" },
	{ "flanker_encoded_comma_in_display_name.eml", 'f', "Foo, Bar" },
	{ "hunnysoft_m4001_raw8bit_headers_pgp_signed.txt", 'T',
	    "J\xc3\xbcrgen Schm\xc3\xbcrgen" },
	{ "hunnysoft_m4001_raw8bit_headers_pgp_signed.txt", 's',
	    "Fr\xc3\xb6sche" },
	{ "hunnysoft_m0007_outlook_utf7_encoded_words.txt", 'T',
	    "Heinz M\xc3\xbcller" },
	{ "hunnysoft_m0004_outlook_2047_QandB.txt", 't',
	    "Die Hasen und die Fr\xc3\xb6sche" },
	{ "mikelmail_ks_c_5601_charset.eml", 't', "\xec\x8a\xa4" },
	{ "mimekit_tnef_winmail_koi8r.eml", 't',
	    "\xd1\x88\xd0\xbe\xd1\x81\xd1\x82\xd0\xb8\xd0\xb9" },
	{ "mikelmail_pdf_attachment_lf_only.eml", 's', "\xf0\x9f\x8e\x89" },
	{ "flanker_8bit_utf8_body.eml", 't', "\xd0\x9f\xd1\x80\xd0\xb5" },
	{ "cpython_msg_10_mixed_cte_parts.txt", 'h', "\xc2\xa1This is" },
	{ "cpython_msg_10_mixed_cte_parts.txt", 't',
	    "This has no Content-Transfer-Encoding" },
};

static const char *
corpus_field(const struct sp_mime_view *v, char where)
{
	switch (where) {
	case 't':
		return v->text;
	case 'h':
		return v->html;
	case 's':
		return v->subject;
	case 'f':
		return v->from.n ? v->from.v[0].name : NULL;
	case 'T':
		return v->to.n ? v->to.v[0].name : NULL;
	}
	return NULL;
}

static void
corpus_decoded_texts(void **state)
{
	const char *dir, *got;
	struct sp_mime_view *v;
	size_t i;

	(void)state;
	if (!corpus_or_skip(&dir))
		skip();
	for (i = 0; i < sizeof(corpus_texts) / sizeof(*corpus_texts); i++) {
		const struct corpus_text *c = &corpus_texts[i];

		v = corpus_view(dir, c->file);
		got = corpus_field(v, c->where);
		if (got == NULL || strstr(got, c->want) == NULL)
			fail_msg("%s (%c): got \"%s\", want it to contain "
			         "\"%s\"",
			    c->file, c->where, got ? got : "(null)", c->want);
		sp_mime_view_free(v);
	}
}

static void
corpus_inline_cid_images(void **state)
{
	const char *dir;
	struct sp_mime_view *v;
	long idx;
	char *uri;

	(void)state;
	if (!corpus_or_skip(&dir))
		skip();
	v = corpus_view(
	    dir, "hunnysoft_m0016_outlook_related_inline_image.txt");
	CHECK_CONTAINS(v->html, "cid:823504223@17052000-0f8d");
	idx = sp_mime_find_cid(v, "823504223@17052000-0f8d");
	assert_true(idx >= 0);
	assert_true(v->att[idx].is_inline);
	CHECK_STR(v->att[idx].content_type, "image/png");
	uri = sp_mime_image_data_uri(v, (size_t)idx, 65536);
	assert_non_null(uri);
	assert_true(g_str_has_prefix(uri, "data:image/png;base64,iVBORw0KGgo"));
	free(uri);
	CHECK_INT(sp_mime_find_cid(v, "823504223@17052000-0f94"), idx + 1);
	sp_mime_view_free(v);
}

/* The HTML of a message through the sanitizer with the ready-made cid
 * hook: small images inline, larger ones by the portal's URL. */
static void
cid_hook_feeds_the_sanitizer(void **state)
{
	const char *msg =
	    "Content-Type: multipart/related; boundary=r\n\n"
	    "--r\nContent-Type: text/html\n\n<img src=\"cid:a@x\">"
	    "<img src=\"cid:b@x\"><img src=\"cid:zip@x\">"
	    "<img src=\"cid:nothere@x\"><img src=\"http://t.example/p\">\n"
	    "--r\nContent-Type: image/png\nContent-ID: <a@x>\n"
	    "Content-Transfer-Encoding: base64\n\n" PNG_B64 "\n"
	    "--r\nContent-Type: image/png\nContent-ID: <b@x>\n\n"
	    "0123456789012345678901234567890123456789\n"
	    "--r\nContent-Type: application/zip\nContent-ID: <zip@x>\n\n"
	    "PK\n--r--\n";
	struct sp_mime_cid_map map = { 0 };
	struct sp_html_options o = { 0 };
	struct sp_html_result r;
	struct sp_mime_view *v;

	(void)state;
	v = view_str(msg);
	map.view = v;
	map.inline_max = 32;
	map.url_prefix = "/m/ID/att/";
	o.cid_url = sp_mime_cid_url;
	o.cid_ctx = &map;
	assert_int_equal(
	    sp_html_sanitize(v->html, v->html_len, &o, &r, NULL), SP_OK);
	CHECK_STR(r.html,
	    "<img src=\"data:image/png;base64," PNG_B64 "\">"
	    "<img src=\"/m/ID/att/1\">");
	CHECK_INT(r.remote_images, 1);
	sp_html_result_cleanup(&r);
	sp_mime_view_free(v);
}

static void
corpus_inline_images_through_the_sanitizer(void **state)
{
	struct sp_mime_cid_map map = { 0 };
	struct sp_html_options o = { 0 };
	struct sp_html_result r;
	struct sp_mime_view *v;
	const char *dir;

	(void)state;
	if (!corpus_or_skip(&dir))
		skip();
	v = corpus_view(
	    dir, "hunnysoft_m0016_outlook_related_inline_image.txt");
	map.view = v;
	map.inline_max = 65536;
	o.cid_url = sp_mime_cid_url;
	o.cid_ctx = &map;
	o.document = true;
	assert_int_equal(
	    sp_html_sanitize(v->html, v->html_len, &o, &r, NULL), SP_OK);
	CHECK_INT(count_str(r.html, "<img src=\"data:image/png;base64,"), 2);
	assert_null(strstr(r.html, "cid:"));
	CHECK_CONTAINS(r.html, "Tortoise");
	sp_html_result_cleanup(&r);
	sp_mime_view_free(v);
}

static void
corpus_nested_messages(void **state)
{
	const char *dir;
	struct sp_mime_view *v, *in;

	(void)state;
	if (!corpus_or_skip(&dir))
		skip();
	/* message/rfc822 sent base64-encoded, holding another such */
	v = corpus_view(dir, "mime4j_base64_encoded_rfc822_nested.msg");
	CHECK_INT(v->natt, 1);
	assert_non_null(in = v->att[0].message);
	CHECK_STR(
	    in->subject, "a simple rfc822 message encoded in a base64 body.");
	assert_true(in->natt == 1 && in->att[0].message != NULL);
	CHECK_CONTAINS(in->att[0].message->text, "Text body");
	sp_mime_view_free(v);

	v = corpus_view(dir, "mime4j_nested_empty_parts.msg");
	assert_true(v->natt >= 1);
	assert_non_null(v->att[0].message);
	sp_mime_view_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(views_built_from_threads_at_once),
		cmocka_unit_test(bodies_and_subjects_decoded),
		cmocka_unit_test(nul_in_body_becomes_replacement_char),
		cmocka_unit_test(odd_bytes_decoded_at_every_offset),
		cmocka_unit_test(line_ends_made_lf_lone_cr_kept),
		cmocka_unit_test(container_words_counted_in_any_case),
		cmocka_unit_test(address_display_as_gmime_writes_it),
		cmocka_unit_test(addresses_listed_for_reply),
		cmocka_unit_test(alternative_gives_text_and_html),
		cmocka_unit_test(html_meta_charset_used_without_header_charset),
		cmocka_unit_test(attachment_names_made_safe),
		cmocka_unit_test(long_attachment_name_cut_keeping_extension),
		cmocka_unit_test(attachment_bytes_read_and_bounded),
		cmocka_unit_test(inline_cid_image_found_and_made_data_uri),
		cmocka_unit_test(attached_message_viewed_nested),
		cmocka_unit_test(attached_messages_viewed_to_max_nesting),
		cmocka_unit_test(limits_reported_in_flags_and_warning),
		cmocka_unit_test(too_many_containers_shown_as_raw_text),
		cmocka_unit_test(empty_and_bad_arguments),
		cmocka_unit_test(corpus_every_message_parses),
		cmocka_unit_test(corpus_attachment_names),
		cmocka_unit_test(corpus_decoded_texts),
		cmocka_unit_test(corpus_inline_cid_images),
		cmocka_unit_test(corpus_nested_messages),
		cmocka_unit_test(cid_hook_feeds_the_sanitizer),
		cmocka_unit_test(corpus_inline_images_through_the_sanitizer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
