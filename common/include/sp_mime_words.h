/* SPDX-License-Identifier: MIT */
/*
 * sp_mime_words: header field values as people read them, and back.
 *
 * Decoding (sp_mime_decode_header) unfolds a raw header value and turns it
 * into UTF-8: RFC 2047 encoded words (Q and B, any charset iconv knows,
 * a language suffix "charset*lang" ignored), white space between two
 * adjacent encoded words dropped, adjacent encoded words of one charset
 * joined before conversion so a character split across them survives.
 * It never fails on content: an unknown charset, bytes a charset cannot
 * convert, and raw 8-bit bytes outside encoded words are taken as UTF-8
 * where they form valid UTF-8 and as windows-1252 (Latin-1) otherwise.
 * An encoded word whose base64 holds characters outside the alphabet, or
 * whose encoding is neither Q nor B, is left as it stands; a charset
 * name with characters outside those of RFC 2978 (such as "//") is
 * treated as unknown.  NUL bytes are
 * dropped, other control characters but TAB become a space, and leading
 * and trailing white space is trimmed.  Time is linear in the input.
 *
 * Encoding (sp_mime_encode_header) is the reverse for a UTF-8 text such
 * as a replaced Subject: printable ASCII stays as it is, folded at white
 * space; anything else becomes UTF-8 encoded words.  Lines are kept to 78
 * characters where possible and never exceed 998.
 *
 * sp_mime_split_headers finds the header section of a raw message (CRLF
 * or bare LF, an mbox "From " line, no header section at all, a missing
 * blank line before the body) without copying it.
 */
#ifndef SP_MIME_WORDS_H
#define SP_MIME_WORDS_H

#include <stddef.h>

#include "sp_error.h"
#include "sp_rules.h"

/* Decodes the raw value (after "Name:") of len bytes into a new
 * NUL-terminated UTF-8 string *out (free() it), its length in *outlen
 * (may be NULL).  Returns SP_OK, or SP_ENOMEM. */
int sp_mime_decode_header(
    const char *raw, size_t len, char **out, size_t *outlen) SP_MUST_CHECK;

/* Encodes the UTF-8 text of len bytes as a header value into a new
 * string *out.  used: characters already on the first line ("Subject: "
 * is 9).  eol: the folding line break ("\r\n" or "\n"); each continuation
 * line starts with one space.  Invalid UTF-8 is first repaired as
 * sp_mime_decode_header would.  Returns SP_OK or SP_ENOMEM. */
int sp_mime_encode_header(const char *utf8, size_t len, size_t used,
    const char *eol, char **out) SP_MUST_CHECK;

/* Appends to a growing buffer the UTF-8 form of raw bytes: valid UTF-8
 * sequences kept, every other byte mapped from windows-1252. */
struct sp_mime_buf {
	char *data;
	size_t len;
	size_t cap;
};
int sp_mime_buf_raw(
    struct sp_mime_buf *b, const char *s, size_t len) SP_MUST_CHECK;

/* Splits the header section of a raw message into *headers (an array to
 * free(); names and values point into msg).  *body_off is where the body
 * starts.  A message that does not start with a header field has no
 * headers.  A leading mbox "From " line is skipped.  Returns SP_OK or
 * SP_ENOMEM. */
int sp_mime_split_headers(const char *msg, size_t len,
    struct sp_header **headers, size_t *nheaders,
    size_t *body_off) SP_MUST_CHECK;

#endif
