/* SPDX-License-Identifier: MIT */
/*
 * sp_mime_render: an opened original message, as received, turned into a
 * structured view for the portal.
 *
 * Input is the raw message in memory (headers as received, then the body;
 * CRLF or LF-only; possibly no header section, an mbox "From " line, raw
 * 8-bit headers, NULs or broken MIME).  sp_mime_view_new() parses it with
 * GMime and fills a struct sp_mime_view:
 *   - the main headers decoded to UTF-8 (RFC 2047, raw 8-bit bytes read as
 *     UTF-8 or else windows-1252), address lists as display strings and as
 *     lists of { name, bare address } for reply and reply-all;
 *   - the text body and the HTML body, both converted to valid UTF-8 from
 *     their declared charset (an unknown charset is read as UTF-8 if it is
 *     valid, else windows-1252; bad bytes become U+FFFD; NUL bytes become
 *     U+FFFD so the bodies are also safe C strings; CRLF becomes LF).
 *     The HTML is NOT sanitized here: pass it to sp_html_sanitize();
 *   - the attachments: every leaf part that is not shown as a body, with a
 *     safe download name, its type, decoded size, inline flag and
 *     Content-ID.  An attached message (message/rfc822) is listed as an
 *     attachment and, up to limits.max_nesting, also parsed into a nested
 *     view (att->message).
 * A message GMime cannot parse still gives a view: the raw bytes become
 * the text body and view->flags has SP_MIME_FALLBACK.
 *
 * Body selection: every text/plain and text/html leaf that is not marked
 * as an attachment (Content-Disposition: attachment, or a file name
 * without "inline") is appended to the text or the HTML body, in order,
 * separated by a blank line (text) or nothing (HTML).  All other leaves
 * are attachments.
 *
 * Limits are hard: more parts than max_parts, deeper than max_depth, or a
 * body longer than max_body, and the rest is left out; the view says so in
 * view->flags and view->warning (one line for the page).  An input longer
 * than max_input is refused with SP_ETOOBIG.
 *
 * Ownership: the view owns every string in it and a copy of the input; it
 * is freed with sp_mime_view_free().  A view is not thread-safe; different
 * views may be used by different threads at once.  GMime is initialised
 * once, on first use, thread-safely.
 */
#ifndef SP_MIME_RENDER_H
#define SP_MIME_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_error.h"

struct sp_mime_limits {
	size_t max_input;   /* bytes of raw message; 0: 64 MiB */
	size_t max_parts;   /* MIME parts walked per view; 0: 1000 */
	size_t max_depth;   /* multipart nesting; 0: 32 */
	size_t max_body;    /* bytes of text and of HTML body each; 0: 8 MiB */
	size_t max_nesting; /* levels of attached messages viewed; 0: 3 */
};

/* view->flags */
enum sp_mime_flag {
	SP_MIME_FALLBACK = 1u << 0,    /* not parseable: raw text shown */
	SP_MIME_TRUNCATED = 1u << 1,   /* a body was cut at max_body */
	SP_MIME_PARTS_LIMIT = 1u << 2, /* parts beyond max_parts left out */
	SP_MIME_DEPTH_LIMIT = 1u << 3, /* parts beyond max_depth left out */
};

struct sp_mime_addr {
	char *name; /* display name, UTF-8, or NULL */
	char *addr; /* bare address "local@domain", UTF-8, never NULL */
};

struct sp_mime_addrlist {
	char *display; /* the whole list for display, UTF-8, or NULL */
	struct sp_mime_addr *v;
	size_t n; /* group members are flattened into the list */
};

struct sp_mime_view;

struct sp_mime_attachment {
	size_t index;        /* position in view->att, from 0 */
	char *filename;      /* safe download name, never NULL */
	char *orig_filename; /* decoded name as given, or NULL */
	char *content_type;  /* "type/subtype", lower case, never NULL */
	size_t size;         /* bytes after transfer decoding */
	bool is_inline;      /* Content-Disposition inline, or in related */
	char *content_id;    /* without <>, or NULL */
	struct sp_mime_view *message; /* message/rfc822 viewed, or NULL */
	void *part_;                  /* internal: the GMime object */
};

struct sp_mime_view {
	struct sp_mime_addrlist from, to, cc, reply_to;
	char *date;       /* the Date header decoded, or NULL */
	int64_t date_utc; /* seconds since the epoch, or 0 if unparsable */
	char *subject;    /* or NULL */
	char *message_id; /* without <>, or NULL */
	char *in_reply_to;
	char *references; /* as received, unfolded, or NULL */
	char *text;       /* UTF-8 text body, NUL-terminated, or NULL */
	size_t text_len;
	char *html; /* UTF-8 HTML body (unsanitized), NUL-terminated, or NULL */
	size_t html_len;
	struct sp_mime_attachment *att;
	size_t natt;
	unsigned flags;    /* SP_MIME_* */
	char warning[256]; /* "" or one line describing flags */
	void *priv_;       /* internal */
};

/* Parses buf[0..len) into a new view.  limits may be NULL (defaults).
 * Returns SP_OK and sets *out, SP_ETOOBIG (input over max_input),
 * SP_EINVAL, or SP_ENOMEM.  Broken MIME is not an error. */
int sp_mime_view_new(const char *buf, size_t len,
    const struct sp_mime_limits *limits, struct sp_mime_view **out,
    struct sp_error *err) SP_MUST_CHECK;
void sp_mime_view_free(struct sp_mime_view *v);

/* Decoded bytes of attachment idx (for an attached message that GMime
 * parsed: the message as GMime writes it back, which may differ from the
 * original in line ends and folding).  Calls sink(ctx, data, len) for each
 * chunk of at most 64 KiB; a sink returning non-zero stops the copy and
 * that value is returned.  SP_ENOTFOUND for a bad index.  The part is
 * decoded into memory first (its size is bounded by the message's), then
 * handed out in chunks. */
typedef int (*sp_mime_sink)(void *ctx, const char *data, size_t len);
int sp_mime_attachment_write(const struct sp_mime_view *v, size_t idx,
    sp_mime_sink sink, void *ctx, struct sp_error *err) SP_MUST_CHECK;

/* The same into a new malloc'd buffer (NUL-terminated for convenience);
 * SP_ETOOBIG if it is longer than max bytes. */
int sp_mime_attachment_read(const struct sp_mime_view *v, size_t idx,
    size_t max, char **out, size_t *out_len,
    struct sp_error *err) SP_MUST_CHECK;

/* The attachment whose Content-ID is cid (with or without <>, or as
 * written in a "cid:" URL, %-escapes decoded); -1 if none. */
long sp_mime_find_cid(const struct sp_mime_view *v, const char *cid);

/* A "data:image/TYPE;base64,..." URI for attachment idx if it is a PNG,
 * GIF, JPEG or WebP image of at most max bytes (checked by its first
 * bytes, not only its declared type).  Returns a malloc'd string, or NULL
 * if it is not such an image, too big, or memory ran out. */
char *sp_mime_image_data_uri(
    const struct sp_mime_view *v, size_t idx, size_t max);

/* A ready-made cid: hook for sp_html_sanitize() (an sp_html_cid_fn; ctx
 * is a struct sp_mime_cid_map).  The image whose Content-ID is cid
 * becomes a data: URI if it is a real PNG, GIF, JPEG or WebP of at most
 * inline_max bytes; else, if url_prefix is set and the part is an
 * "image/" type, url_prefix followed by its index ("/m/ID/att/" gives
 * "/m/ID/att/3"; the sanitizer accepts only paths starting with one "/").
 * Returns a malloc'd URL, or NULL (no such part, or not shown). */
struct sp_mime_cid_map {
	const struct sp_mime_view *view;
	size_t inline_max;
	const char *url_prefix;
};
char *sp_mime_cid_url(void *ctx, const char *cid);

#endif
