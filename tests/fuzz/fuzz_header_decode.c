/* SPDX-License-Identifier: MIT */
/*
 * fuzz_header_decode: arbitrary bytes as a raw message, its header
 * section split and every value decoded, and the input itself decoded as
 * one header value.
 *
 * Besides not crashing, it checks the decoder's promises: the result is
 * valid UTF-8 of the length reported, without NUL or control characters
 * other than TAB, without white space at either end; and encoding it
 * again gives lines of at most 998 characters that decode to the same
 * text.
 */
#include <stdlib.h>
#include <string.h>

#include "sp_mime_words.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
utf8_len(const unsigned char *s, size_t left)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (n == 0 || n > left || s[0] > 0xf4)
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void
check_text(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n;

	if (strlen(s) != len)
		abort();
	if (len > 0 &&
	    (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' ||
	        s[len - 1] == '\t'))
		abort();
	for (i = 0; i < len; i += n) {
		n = utf8_len(u + i, len - i);
		if (n == 0 || (u[i] < 0x20 && u[i] != '\t'))
			abort();
	}
}

static void
check_round_trip(const char *s, size_t len)
{
	char *enc, *dec;
	size_t col = 9, i, dlen;

	if (sp_mime_encode_header(s, len, 9, "\r\n", &enc) != SP_OK)
		abort();
	for (i = 0; enc[i] != '\0'; i++) {
		col = enc[i] == '\n' ? 0 : col + (enc[i] != '\r');
		if (col > 998)
			abort();
	}
	if (sp_mime_decode_header(enc, strlen(enc), &dec, &dlen) != SP_OK)
		abort();
	if (dlen != len || memcmp(dec, s, len) != 0)
		abort();
	free(enc);
	free(dec);
}

static void
decode_one(const char *raw, size_t len)
{
	char *out;
	size_t olen;

	if (sp_mime_decode_header(raw, len, &out, &olen) != SP_OK)
		abort();
	check_text(out, olen);
	check_round_trip(out, olen);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;
	struct sp_header *hs;
	size_t n, body, i;

	if (sp_mime_split_headers(msg, size, &hs, &n, &body) != SP_OK)
		abort();
	if (body > size)
		abort();
	for (i = 0; i < n; i++) {
		if (hs[i].value < msg ||
		    hs[i].value + hs[i].value_len > msg + size)
			abort();
		decode_one(hs[i].value, hs[i].value_len);
	}
	free(hs);
	decode_one(msg, size);
	return 0;
}
