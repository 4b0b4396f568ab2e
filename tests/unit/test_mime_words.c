/* SPDX-License-Identifier: MIT */
/* Tests for sp_mime_words: RFC 2047 decoding, encoding, header split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "check.h"
#include "sp_mime_words.h"

struct decode_case {
	const char *name;
	const char *raw;
	const char *want;
};

static const struct decode_case decode_cases[] = {
	{ "plain text is trimmed", "  Hello world \t", "Hello world" },
	{ "fold is unfolded", "Hello\r\n world\n\tagain",
	    "Hello world\tagain" },
	{ "q word latin1", "=?ISO-8859-1?Q?Andr=E9?= Pirard",
	    "Andr\xc3\xa9 Pirard" },
	{ "b word utf8", "=?UTF-8?B?w6l0w6k=?=", "\xc3\xa9t\xc3\xa9" },
	{ "lower case encoding letter",
	    "=?utf-8?q?hello_world?=", "hello world" },
	{ "space between words dropped", "=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab" },
	{ "fold between words dropped",
	    "=?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?=", "ab" },
	{ "space before text kept", "=?UTF-8?Q?a?= b =?UTF-8?Q?c?=", "a b c" },
	{ "adjacent words without space", "=?UTF-8?Q?a?==?UTF-8?Q?b?=", "ab" },
	{ "utf8 char split across q words",
	    "=?UTF-8?Q?=C3?= =?UTF-8?Q?=A9?=", "\xc3\xa9" },
	{ "utf8 char split across b words",
	    "=?UTF-8?B?ww==?= =?UTF-8?B?qQ==?=", "\xc3\xa9" },
	{ "euc-jp char split across words",
	    "=?EUC-JP?Q?=C6?= =?euc-jp?Q?=FC=CB=DC?=",
	    "\xe6\x97\xa5\xe6\x9c\xac" },
	{ "stateful iso-2022-jp",
	    "=?ISO-2022-JP?B?GyRCRnxLXDhsJE4lRiUtJTklSBsoQg==?=",
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86"
	    "\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88" },
	{ "two charsets side by side",
	    "=?ISO-8859-1?Q?=E9?= =?UTF-8?Q?=C3=A9?=", "\xc3\xa9\xc3\xa9" },
	{ "utf-7 words", "=?utf-7?Q?Die_Hasen_und_die_Fr+APY-sche?=",
	    "Die Hasen und die Fr\xc3\xb6sche" },
	{ "language suffix ignored", "=?UTF-8*en?Q?hi?=", "hi" },
	{ "unknown charset valid utf8",
	    "=?X-UNKNOWN?Q?caf=C3=A9?=", "caf\xc3\xa9" },
	{ "unknown charset latin1 bytes",
	    "=?X-UNKNOWN?Q?caf=E9?=", "caf\xc3\xa9" },
	{ "iconv options in charset ignored",
	    "=?ISO-8859-7//IGNORE?Q?=E1?=", "\xc3\xa1" },
	{ "charset none with short padding", "=?NONE?B?VEVTVA=?=", "TEST" },
	{ "raw utf8 kept", "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "raw latin1 mapped", "caf\xe9", "caf\xc3\xa9" },
	{ "raw cp1252 euro", "\x80 5", "\xe2\x82\xac 5" },
	{ "raw mixed valid and stray", "\xc3\xa9\xe9", "\xc3\xa9\xc3\xa9" },
	{ "bad base64 left as is", "=?UTF-8?B?!!!?=", "=?UTF-8?B?!!!?=" },
	{ "unknown encoding left as is", "=?UTF-8?X?abc?=", "=?UTF-8?X?abc?=" },
	{ "unterminated word left as is", "=?UTF-8?Q?abc", "=?UTF-8?Q?abc" },
	{ "empty q word",
	    "=?UTF-8?Q?"
	    "?= x",
	    "x" },
	{ "empty b word between",
	    "a =?UTF-8?B?"
	    "?= =?UTF-8?Q?b?=",
	    "a b" },
	{ "q bad escape kept", "=?UTF-8?Q?1=G2?=", "1=G2" },
	{ "nul dropped", "a=?UTF-8?Q?=00?=b", "ab" },
	{ "newline in word becomes space", "=?UTF-8?Q?a=0D=0Ab?=", "a  b" },
	{ "bad byte in charset", "=?US-ASCII?Q?a=FFb?=",
	    "a\xc3\xbf"
	    "b" },
	{ "undefined byte in charset", "=?ISO-8859-7?Q?a=FFb?=",
	    "a\xef\xbf\xbd"
	    "b" },
	{ "empty value", "", "" },
};

static void
decode_table(void **state)
{
	size_t i, len;
	char *got;

	(void)state;
	for (i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
		const struct decode_case *c = &decode_cases[i];

		CHECK_INT(
		    sp_mime_decode_header(c->raw, strlen(c->raw), &got, &len),
		    SP_OK);
		if (strcmp(got, c->want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", c->name, got,
			    c->want);
		CHECK_INT(len, strlen(c->want));
		free(got);
	}
}

static void
decode_keeps_nul_out_of_raw_value(void **state)
{
	static const char raw[] = "a\0b";
	char *got;

	(void)state;
	CHECK_INT(sp_mime_decode_header(raw, 3, &got, NULL), SP_OK);
	CHECK_STR(got, "ab");
	free(got);
}

/* Every line of a folded value is at most max characters; the first
 * line counts used characters before it. */
static size_t
longest_line(const char *s, size_t used)
{
	size_t longest = 0, col = used;

	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			col = 0;
			continue;
		}
		if (*s != '\r')
			col++;
		if (col > longest)
			longest = col;
	}
	return longest;
}

static char *
repeat(const char *unit, size_t n)
{
	size_t ul = strlen(unit), i;
	char *s = malloc(ul * n + 1);

	assert_non_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * n] = '\0';
	return s;
}

static void
check_round_trip(const char *name, const char *text, size_t maxline)
{
	char *enc, *dec;
	size_t longest;

	CHECK_INT(
	    sp_mime_encode_header(text, strlen(text), 9, "\r\n", &enc), SP_OK);
	longest = longest_line(enc, 9);
	if (longest > maxline)
		fail_msg("%s: got a line of %zu, want at most %zu", name,
		    longest, maxline);
	CHECK_INT(sp_mime_decode_header(enc, strlen(enc), &dec, NULL), SP_OK);
	if (strcmp(dec, text) != 0)
		fail_msg("%s: got \"%s\" back, want \"%s\"", name, dec, text);
	free(enc);
	free(dec);
}

static void
encode_round_trips(void **state)
{
	static const struct {
		const char *name;
		const char *text;
	} cases[] = {
		{ "ascii", "Quarterly report" },
		{ "latin",
		    "Gr\xc3\xbc\xc3\x9f"
		    "e aus K\xc3\xb6ln" },
		{ "looks encoded", "=?UTF-8?Q?not?= really" },
		{ "tab", "a\tb" },
		{ "question mark and underscore", "why_? = because" },
		{ "empty", "" },
	};
	char *long_ascii = repeat("word ", 60);
	char *long_cjk = repeat("\xe6\x97\xa5\xe6\x9c\xac", 150);
	char *long_mixed = repeat("caf\xc3\xa9 ", 80);
	char *one_word = repeat("x", 2000);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_round_trip(cases[i].name, cases[i].text, 78);
	long_ascii[strlen(long_ascii) - 1] = '\0';
	check_round_trip("long ascii", long_ascii, 78);
	check_round_trip("long cjk", long_cjk, 78);
	long_mixed[strlen(long_mixed) - 1] = '\0';
	check_round_trip("long mixed", long_mixed, 78);
	check_round_trip("one long word", one_word, 998);
	free(long_ascii);
	free(long_cjk);
	free(long_mixed);
	free(one_word);
}

static void
encode_plain_ascii_stays_readable(void **state)
{
	char *enc;

	(void)state;
	CHECK_INT(
	    sp_mime_encode_header("Hello there", 11, 9, "\n", &enc), SP_OK);
	CHECK_STR(enc, "Hello there");
	free(enc);
	CHECK_INT(
	    sp_mime_encode_header("caf\xc3\xa9", 5, 9, "\n", &enc), SP_OK);
	CHECK_STR(enc, "=?UTF-8?Q?caf=C3=A9?=");
	free(enc);
}

struct split_case {
	const char *name;
	const char *msg;
	size_t nheaders;
	const char *last_name;  /* of the last header, or NULL */
	const char *last_value; /* its raw value */
	const char *body;
};

static const struct split_case split_cases[] = {
	{ "crlf", "A: 1\r\nSubject: hi\r\n\r\nbody\r\n", 2, "Subject", " hi",
	    "body\r\n" },
	{ "bare lf", "A: 1\nSubject: hi\n\nbody\n", 2, "Subject", " hi",
	    "body\n" },
	{ "folded", "Subject: a\r\n b\r\n\r\nx", 1, "Subject", " a\r\n b",
	    "x" },
	{ "no header section", "Just text\r\nmore\r\n", 0, NULL, NULL,
	    "Just text\r\nmore\r\n" },
	{ "no blank line", "Subject: s\nthis is body, no colon\n", 1, "Subject",
	    " s", "this is body, no colon\n" },
	{ "mbox from line", "From a@b Mon Jan 1 00:00:00 2024\nSubject: s\n\nb",
	    1, "Subject", " s", "b" },
	{ "headers only", "Subject: s", 1, "Subject", " s", "" },
	{ "space before colon", "Subject : s\n\nb", 1, "Subject", " s", "b" },
	{ "empty message", "", 0, NULL, NULL, "" },
};

static void
split_headers_table(void **state)
{
	struct sp_header *hs;
	size_t i, n, body;

	(void)state;
	for (i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
		const struct split_case *c = &split_cases[i];
		size_t len = strlen(c->msg);

		CHECK_INT(
		    sp_mime_split_headers(c->msg, len, &hs, &n, &body), SP_OK);
		if (n != c->nheaders)
			fail_msg("%s: got %zu headers, want %zu", c->name, n,
			    c->nheaders);
		if (n > 0 &&
		    (hs[n - 1].name_len != strlen(c->last_name) ||
		        memcmp(hs[n - 1].name, c->last_name,
		            hs[n - 1].name_len) != 0 ||
		        hs[n - 1].value_len != strlen(c->last_value) ||
		        memcmp(hs[n - 1].value, c->last_value,
		            hs[n - 1].value_len) != 0))
			fail_msg("%s: last header differs", c->name);
		if (strcmp(c->msg + body, c->body) != 0)
			fail_msg("%s: got body \"%s\", want \"%s\"", c->name,
			    c->msg + body, c->body);
		free(hs);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_table),
		cmocka_unit_test(decode_keeps_nul_out_of_raw_value),
		cmocka_unit_test(encode_round_trips),
		cmocka_unit_test(encode_plain_ascii_stays_readable),
		cmocka_unit_test(split_headers_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
