/* SPDX-License-Identifier: MIT */
/*
 * fuzz_json: any bytes given to sp_json_strn come out as one JSON string
 * in valid UTF-8 with no raw control character, quote, backslash or HTML
 * character inside it.  Aborts when that does not hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Length of the well-formed UTF-8 sequence at p, 0 if there is none
 * (written separately from the writer's decoder on purpose). */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t need, i;

	if (p[0] < 0x80)
		return 1;
	need = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
	if (need == 0 || p[0] > 0xf4 || n < need)
		return 0;
	for (i = 1; i < need; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return need;
}

static void
check_string(const unsigned char *s, size_t len)
{
	size_t i, n;

	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		abort();
	for (i = 1; i + 1 < len; i += n) {
		n = utf8_len(s + i, len - 1 - i);
		if (n == 0 || s[i] < 0x20 || s[i] == 0x7f || s[i] == '"' ||
		    s[i] == '<' || s[i] == '>' || s[i] == '&')
			abort();
		if (s[i] == '\\') {
			/* an escape: one of the short forms or \uXXXX */
			if (strchr("\"\\nrtbfu", s[i + 1]) == NULL)
				abort();
			n = s[i + 1] == 'u' ? 6 : 2;
			if (i + n > len - 1)
				abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_json j;
	struct sp_error err;
	const char *out;
	size_t len;

	sp_json_init(&j, 0);
	if (sp_json_strn(&j, (const char *)data, size) != SP_OK ||
	    sp_json_finish(&j, &out, &len, &err) != SP_OK)
		abort();
	check_string((const unsigned char *)out, len);
	sp_json_cleanup(&j);
	return 0;
}
