/* SPDX-License-Identifier: MIT */
/*
 * sp_json: a small JSON writer into a growing buffer.
 *
 * Built for output that carries untrusted strings (addresses, file names,
 * header values): every string is escaped so that the result is always
 * valid JSON in valid UTF-8, whatever bytes came in.
 *
 *   - '"', '\\' and control characters are escaped (\n, \t, ... or
 *     \u00XX); DEL becomes \u007f;
 *   - '<', '>', '&', U+2028 and U+2029 are written as \uXXXX, so the
 *     text can be embedded in an HTML page or a script as is;
 *   - bytes that are not well-formed UTF-8 (stray continuation bytes,
 *     overlong forms, surrogates, truncated sequences) become U+FFFD;
 *   - a string may hold NUL bytes when given with its length.
 *
 * The writer tracks nesting and inserts commas itself; keys are written
 * with sp_json_key() before a value inside an object.  The buffer never
 * grows past the cap given to sp_json_init(): past it every call fails
 * with SP_ETOOBIG, as does misuse (a value without a key in an object,
 * an end without a begin, nesting deeper than SP_JSON_DEPTH_MAX).  The
 * first error sticks; sp_json_finish() reports it.
 */
#ifndef SP_JSON_H
#define SP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_error.h"

#define SP_JSON_DEPTH_MAX 32

struct sp_json {
	char *buf; /* NUL terminated; owned by the writer */
	size_t len;
	size_t cap;
	size_t max; /* hard cap on len */
	int status; /* first error, or SP_OK */
	int depth;
	/* per level: 'o' object, 'a' array; count of members so far and
	 * whether a key is waiting for its value */
	char kind[SP_JSON_DEPTH_MAX];
	size_t count[SP_JSON_DEPTH_MAX];
	bool key_pending;
};

/* max: the largest output in bytes (0: 64 MiB). */
void sp_json_init(struct sp_json *j, size_t max);
/* Frees the buffer. */
void sp_json_cleanup(struct sp_json *j);
/* Empties the buffer and the nesting, keeps the memory and the cap. */
void sp_json_reset(struct sp_json *j);

int sp_json_obj_begin(struct sp_json *j);
int sp_json_obj_end(struct sp_json *j);
int sp_json_arr_begin(struct sp_json *j);
int sp_json_arr_end(struct sp_json *j);
/* A member name; the next call writes its value. */
int sp_json_key(struct sp_json *j, const char *key);
/* s NULL writes null. */
int sp_json_str(struct sp_json *j, const char *s);
int sp_json_strn(struct sp_json *j, const char *s, size_t len);
int sp_json_int(struct sp_json *j, int64_t v);
int sp_json_uint(struct sp_json *j, uint64_t v);
int sp_json_bool(struct sp_json *j, bool v);
int sp_json_null(struct sp_json *j);

/* Checks that every object and array is closed and nothing failed; on
 * SP_OK *out points at the text (valid until the next call on j) and *len
 * gets its length. */
int sp_json_finish(struct sp_json *j, const char **out, size_t *len,
    struct sp_error *err) SP_MUST_CHECK;

/* Appends the escaped form of s (len bytes) with its quotes to j's buffer
 * without any nesting bookkeeping: the building block of sp_json_strn. */
int sp_json_escape(struct sp_json *j, const char *s, size_t len);

#endif
