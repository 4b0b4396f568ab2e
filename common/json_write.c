/* SPDX-License-Identifier: MIT */
/*
 * json_write: the JSON writer of sp_json.h.  Escaping rules and the
 * error model are described there.  Output is built in one heap buffer
 * capped at j->max bytes.
 */
#include "sp_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

void
sp_json_init(struct sp_json *j, size_t max)
{
	memset(j, 0, sizeof(*j));
	j->max = max ? max : JSON_DEFAULT_MAX;
}

void
sp_json_cleanup(struct sp_json *j)
{
	free(j->buf);
	memset(j, 0, sizeof(*j));
}

void
sp_json_reset(struct sp_json *j)
{
	size_t max = j->max, cap = j->cap;
	char *buf = j->buf;

	memset(j, 0, sizeof(*j));
	j->buf = buf;
	j->cap = cap;
	j->max = max;
	if (buf != NULL)
		buf[0] = '\0';
}

static int
json_fail(struct sp_json *j, int code)
{
	if (j->status == SP_OK)
		j->status = code;
	return j->status;
}

/* Appends n raw bytes, growing the buffer up to j->max. */
static int
json_put(struct sp_json *j, const char *s, size_t n)
{
	size_t ncap;
	char *nb;

	if (j->status != SP_OK)
		return j->status;
	if (n > j->max || j->len > j->max - n)
		return json_fail(j, SP_ETOOBIG);
	if (j->len + n + 1 > j->cap) {
		ncap = j->cap ? j->cap : 256;
		while (ncap < j->len + n + 1)
			ncap *= 2;
		nb = realloc(j->buf, ncap);
		if (nb == NULL)
			return json_fail(j, SP_ENOMEM);
		j->buf = nb;
		j->cap = ncap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
	return SP_OK;
}

/* Writes the separator a new value needs at the current level and checks
 * that the value is allowed here. */
static int
json_value_prefix(struct sp_json *j)
{
	int d = j->depth;

	if (j->status != SP_OK)
		return j->status;
	if (d == 0)
		return j->len == 0 ? SP_OK : json_fail(j, SP_EINVAL);
	if (j->kind[d - 1] == 'o') {
		if (!j->key_pending)
			return json_fail(j, SP_EINVAL);
		j->key_pending = false;
		return SP_OK;
	}
	if (j->count[d - 1]++ > 0)
		return json_put(j, ",", 1);
	return SP_OK;
}

static int
json_begin(struct sp_json *j, char kind, const char *open)
{
	int rc = json_value_prefix(j);

	if (rc != SP_OK)
		return rc;
	if (j->depth >= SP_JSON_DEPTH_MAX)
		return json_fail(j, SP_ETOOBIG);
	j->kind[j->depth] = kind;
	j->count[j->depth] = 0;
	j->depth++;
	return json_put(j, open, 1);
}

static int
json_end(struct sp_json *j, char kind, const char *close)
{
	if (j->status != SP_OK)
		return j->status;
	if (j->depth == 0 || j->kind[j->depth - 1] != kind || j->key_pending)
		return json_fail(j, SP_EINVAL);
	j->depth--;
	return json_put(j, close, 1);
}

int
sp_json_obj_begin(struct sp_json *j)
{
	return json_begin(j, 'o', "{");
}

int
sp_json_obj_end(struct sp_json *j)
{
	return json_end(j, 'o', "}");
}

int
sp_json_arr_begin(struct sp_json *j)
{
	return json_begin(j, 'a', "[");
}

int
sp_json_arr_end(struct sp_json *j)
{
	return json_end(j, 'a', "]");
}

int
sp_json_key(struct sp_json *j, const char *key)
{
	int d = j->depth, rc;

	if (j->status != SP_OK)
		return j->status;
	if (d == 0 || j->kind[d - 1] != 'o' || j->key_pending || key == NULL)
		return json_fail(j, SP_EINVAL);
	if (j->count[d - 1]++ > 0 && (rc = json_put(j, ",", 1)) != SP_OK)
		return rc;
	if ((rc = sp_json_escape(j, key, strlen(key))) != SP_OK)
		return rc;
	j->key_pending = true;
	return json_put(j, ":", 1);
}

/* Length of the well-formed UTF-8 sequence at s (at most n bytes) and its
 * code point, or 0 when the bytes there are not well-formed. */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t min_cp[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t need, i;
	uint32_t c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		need = 2, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4, c &= 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3fu);
	}
	if (c < min_cp[need] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return need;
}

/* The escape for an ASCII byte, or NULL when it goes out as is. */
static const char *
json_ascii_escape(unsigned char c, char tmp[8])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	default:
		break;
	}
	if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&') {
		snprintf(tmp, 8, "\\u%04x", (unsigned)c);
		return tmp;
	}
	return NULL;
}

int
sp_json_escape(struct sp_json *j, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0, n;
	const char *esc;
	char tmp[8];
	uint32_t cp;
	int rc = json_put(j, "\"", 1);

	while (rc == SP_OK && i < len) {
		n = utf8_decode(p + i, len - i, &cp);
		esc = NULL;
		if (n == 0)
			esc = "\\ufffd";
		else if (n == 1)
			esc = json_ascii_escape(p[i], tmp);
		else if (cp == 0x2028 || cp == 0x2029)
			esc = cp == 0x2028 ? "\\u2028" : "\\u2029";
		if (esc == NULL) {
			i += n;
			continue;
		}
		/* flush the plain run before this byte, then its escape */
		rc = json_put(j, s + start, i - start);
		if (rc == SP_OK)
			rc = json_put(j, esc, strlen(esc));
		i += n ? n : 1;
		start = i;
	}
	if (rc == SP_OK)
		rc = json_put(j, s + start, i - start);
	if (rc == SP_OK)
		rc = json_put(j, "\"", 1);
	return rc;
}

int
sp_json_strn(struct sp_json *j, const char *s, size_t len)
{
	int rc = json_value_prefix(j);

	if (rc != SP_OK)
		return rc;
	if (s == NULL)
		return json_put(j, "null", 4);
	return sp_json_escape(j, s, len);
}

int
sp_json_str(struct sp_json *j, const char *s)
{
	return sp_json_strn(j, s, s ? strlen(s) : 0);
}

static int
json_literal(struct sp_json *j, const char *text)
{
	int rc = json_value_prefix(j);

	if (rc != SP_OK)
		return rc;
	return json_put(j, text, strlen(text));
}

int
sp_json_int(struct sp_json *j, int64_t v)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	return json_literal(j, tmp);
}

int
sp_json_uint(struct sp_json *j, uint64_t v)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
	return json_literal(j, tmp);
}

int
sp_json_bool(struct sp_json *j, bool v)
{
	return json_literal(j, v ? "true" : "false");
}

int
sp_json_null(struct sp_json *j)
{
	return json_literal(j, "null");
}

int
sp_json_finish(
    struct sp_json *j, const char **out, size_t *len, struct sp_error *err)
{
	if (j->status == SP_OK && (j->depth != 0 || j->len == 0))
		json_fail(j, SP_EINVAL);
	if (j->status != SP_OK)
		return sp_error_set(err, j->status, "json: %s",
		    j->status == SP_EINVAL ? "unbalanced or misplaced value"
		                           : sp_strerror(j->status));
	*out = j->buf;
	*len = j->len;
	return SP_OK;
}
