/* SPDX-License-Identifier: MIT */
/*
 * mime_headers: finds the header fields of a raw message without copying
 * them.  See sp_mime_words.h for the contract.
 */
#include "sp_mime_words.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* End of the line starting at i: the position of its LF, or len. */
static size_t
line_end(const char *m, size_t len, size_t i)
{
	const char *lf = memchr(m + i, '\n', len - i);

	return lf != NULL ? (size_t)(lf - m) : len;
}

/* Length of the field name at m[i..e) when the line is "name:" (white
 * space allowed before the colon, as obsolete syntax did), else 0. */
static size_t
field_name_len(const char *m, size_t i, size_t e, size_t *colon)
{
	size_t j = i, n;

	while (j < e && m[j] > 32 && m[j] < 127 && m[j] != ':')
		j++;
	n = j - i;
	while (j < e && (m[j] == ' ' || m[j] == '\t'))
		j++;
	if (n == 0 || j >= e || m[j] != ':')
		return 0;
	*colon = j;
	return n;
}

static int
push_header(
    struct sp_header **hs, size_t *n, size_t *cap, const struct sp_header *h)
{
	struct sp_header *nh;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		nh = realloc(*hs, *cap * sizeof(*nh));
		if (nh == NULL)
			return SP_ENOMEM;
		*hs = nh;
	}
	(*hs)[(*n)++] = *h;
	return SP_OK;
}

/* The value ends before the line break of its last line. */
static size_t
value_end(const char *m, size_t e)
{
	return (e > 0 && m[e - 1] == '\r') ? e - 1 : e;
}

int
sp_mime_split_headers(const char *msg, size_t len, struct sp_header **headers,
    size_t *nheaders, size_t *body_off)
{
	struct sp_header h = { 0 }, *hs = NULL;
	size_t i = 0, e, colon, nl, n = 0, cap = 0;
	bool open = false;

	if (len >= 5 && memcmp(msg, "From ", 5) == 0)
		i = line_end(msg, len, 0) + 1;
	while (i < len) {
		e = line_end(msg, len, i);
		if (e == i || (e == i + 1 && msg[i] == '\r')) {
			i = e + 1; /* the blank line */
			break;
		}
		if (open && (msg[i] == ' ' || msg[i] == '\t')) {
			h.value_len =
			    (size_t)(msg + value_end(msg, e) - h.value);
		} else if ((nl = field_name_len(msg, i, e, &colon)) > 0) {
			if (open && push_header(&hs, &n, &cap, &h) != SP_OK)
				goto fail;
			h.name = msg + i;
			h.name_len = nl;
			h.value = msg + colon + 1;
			h.value_len = value_end(msg, e) - colon - 1;
			open = true;
		} else {
			break; /* not a header line: the body starts here */
		}
		i = e + 1;
	}
	if (open && push_header(&hs, &n, &cap, &h) != SP_OK)
		goto fail;
	*headers = hs;
	*nheaders = n;
	*body_off = i < len ? i : len;
	return SP_OK;
fail:
	free(hs);
	return SP_ENOMEM;
}
