/* SPDX-License-Identifier: MIT */
/*
 * sp_html_sanitize: an allowlist HTML sanitizer for message bodies.
 *
 * The input (UTF-8; bad bytes become U+FFFD) is parsed with gumbo the way
 * a browser would parse it, the tree is walked, and only allowlisted
 * elements and attributes are written out again, every text and attribute
 * value re-escaped.  What is dropped and why is in docs/html-sanitizer.md;
 * in short:
 *   - script, style, iframe, object, embed, form controls, meta, link,
 *     base, svg, math, template, noscript, head, title ... are dropped
 *     with their content; other unknown elements (html, body, form, custom
 *     tags) are dropped but their content is kept;
 *   - comments (and with them IE conditional comments) are dropped;
 *   - a href keeps only http, https, mailto and "#fragment" URLs, and the
 *     link gets rel="noopener noreferrer" target="_blank";
 *   - img src keeps only data:image/(png|gif|jpeg|webp);base64 and cid:
 *     (rewritten by opts->cid_url); remote images are removed and counted;
 *   - a style attribute keeps only declarations that pass a CSS filter
 *     (no url(, expression, @import, behavior, -moz-binding, javascript:,
 *     backslash escapes, comments, position other than static/relative).
 * The output is meant to be shown inside a sandboxed iframe with a strict
 * CSP: the sanitizer is the first layer, not the only one.
 *
 * Limits: input over max_input, output over max_output: SP_ETOOBIG (the
 * caller shows the text body instead).  Elements nested deeper than
 * max_depth are left out with their content (res->depth_cut counts them).
 *
 * Thread-safe: no global state.
 */
#ifndef SP_HTML_SANITIZE_H
#define SP_HTML_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "sp_error.h"

/* Rewrites the Content-ID of a "cid:" image (the part after "cid:",
 * %-escapes not decoded) into a URL: a malloc'd string the sanitizer
 * frees, or NULL to drop the image.  Only a data:image/... URL of an
 * allowed type, or a URL starting with "/" (the portal's own attachment
 * URL) is accepted; anything else drops the image. */
typedef char *(*sp_html_cid_fn)(void *ctx, const char *cid);

struct sp_html_options {
	size_t max_input;       /* bytes; 0: 8 MiB */
	size_t max_output;      /* bytes; 0: 16 MiB */
	size_t max_depth;       /* element nesting; 0: 200 */
	bool document;          /* wrap in a whole UTF-8 document (doctype, meta
	                           charset, body) instead of a fragment */
	sp_html_cid_fn cid_url; /* NULL: cid: images are dropped */
	void *cid_ctx;
};

struct sp_html_result {
	char *html; /* NUL-terminated, owned by the result */
	size_t len;
	size_t remote_images; /* remote (http, https, //) images removed */
	size_t dropped;       /* elements and attributes removed */
	size_t depth_cut;     /* subtrees left out for depth */
};

/* Sanitizes in[0..len).  opts may be NULL (defaults).  On SP_OK res is
 * filled and must be released with sp_html_result_cleanup(); on error res
 * is zeroed.  Errors: SP_ETOOBIG, SP_ENOMEM, SP_EINVAL. */
int sp_html_sanitize(const char *in, size_t len,
    const struct sp_html_options *opts, struct sp_html_result *res,
    struct sp_error *err) SP_MUST_CHECK;
void sp_html_result_cleanup(struct sp_html_result *res);

#endif
