/* SPDX-License-Identifier: MIT */
/*
 * mime_render.c: a raw message turned into a struct sp_mime_view with
 * GMime 3.
 *
 * Contract in sp_mime_render.h.  The view keeps a reference on the parsed
 * GMimeMessage so that attachments can be decoded later; every string in
 * the view is a malloc'd copy, valid UTF-8 without control characters
 * (headers) or without NULs (bodies).
 */
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "sp_mime_render.h"

#define DEF_MAX_INPUT   (64u * 1024 * 1024)
#define DEF_MAX_PARTS   1000u
#define DEF_MAX_DEPTH   32u
#define DEF_MAX_BODY    (8u * 1024 * 1024)
#define DEF_MAX_NESTING 3u
/* GMime's parser recurses once per nested container and has no limit of
 * its own: a message naming more containers than this is not handed to
 * it (shown as raw text instead). */
#define MAX_CONTAINERS 1000u
#define MAX_FILENAME   120u

struct buf {
	char *p;
	size_t len, cap;
};

struct view_priv {
	GMimeMessage *msg; /* referenced: the attachments point into it */
};

/* State of one walk over a message's MIME tree. */
struct walk {
	struct sp_mime_view *v;
	struct sp_mime_limits lim;
	size_t nesting; /* attached-message level of this view */
	size_t parts;
	struct buf text, html;
	size_t att_cap;
	int rc;
};

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static int
buf_reserve(struct buf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->len + more + 1 <= b->cap)
		return SP_OK;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return SP_ENOMEM;
	b->p = p;
	b->cap = cap;
	return SP_OK;
}

static int
buf_add(struct buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n) != SP_OK)
		return SP_ENOMEM;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return SP_OK;
}

/* A header value made safe to show: valid UTF-8, controls as spaces. */
static char *
clean_header(const char *s)
{
	char *valid, *p;

	if (s == NULL)
		return NULL;
	valid = g_utf8_make_valid(s, -1);
	for (p = valid; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	p = strdup(valid);
	g_free(valid);
	return p;
}

static const char *
charset_or_null(const char *cs)
{
	if (cs == NULL || *cs == '\0' || g_ascii_strcasecmp(cs, "utf-8") == 0 ||
	    g_ascii_strcasecmp(cs, "utf8") == 0 ||
	    g_ascii_strcasecmp(cs, "us-ascii") == 0 ||
	    g_ascii_strcasecmp(cs, "ascii") == 0)
		return NULL;
	return cs;
}

/* Appends UTF-8 bytes, NULs turned into U+FFFD. */
static int
add_utf8(struct buf *b, const char *s, size_t n)
{
	const char *end = s + n, *nul;

	while ((nul = memchr(s, '\0', (size_t)(end - s))) != NULL) {
		if (buf_add(b, s, (size_t)(nul - s)) != SP_OK ||
		    buf_add(b, "\xef\xbf\xbd", 3) != SP_OK)
			return SP_ENOMEM;
		s = nul + 1;
	}
	return buf_add(b, s, (size_t)(end - s));
}

/* Converts with iconv; a byte that cannot be converted becomes U+FFFD. */
static int
add_iconv(struct buf *b, iconv_t cd, const char *s, size_t n)
{
	char *in = (char *)s, *o;
	size_t inleft = n, oleft, r;

	if (buf_reserve(b, n) != SP_OK)
		return SP_ENOMEM;
	while (inleft > 0) {
		if (buf_reserve(b, inleft * 4 + 16) != SP_OK)
			return SP_ENOMEM;
		o = b->p + b->len;
		oleft = b->cap - b->len - 1;
		r = iconv(cd, &in, &inleft, &o, &oleft);
		b->len = (size_t)(o - b->p);
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		/* EILSEQ or EINVAL: a bad or cut sequence */
		if (buf_add(b, "\xef\xbf\xbd", 3) != SP_OK)
			return SP_ENOMEM;
		in++;
		inleft--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	b->p[b->len] = '\0';
	return SP_OK;
}

/* The length of the prefix of s[0..n) made of bytes 0x01..0x7f, eight
 * bytes at a time: such bytes are valid UTF-8 by themselves. */
static size_t
ascii_prefix(const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101u, highs = ones * 0x80;
	size_t i = 0;
	uint64_t w;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		/* a byte with its high bit set, or a zero byte */
		if (((w | ((w - ones) & ~w)) & highs) != 0)
			break;
	}
	while (i < n && s[i] != '\0' && (unsigned char)s[i] < 0x80)
		i++;
	return i;
}

/* Valid UTF-8 apart from NUL bytes (which add_utf8 replaces). */
static bool
utf8_ok(const char *s, size_t n)
{
	size_t seg = ascii_prefix(s, n);

	s += seg;
	n -= seg;
	while (n > 0) {
		seg = strnlen(s, n);
		if (!g_utf8_validate(s, (gssize)seg, NULL))
			return false;
		if (seg == n)
			break;
		s += seg + 1;
		n -= seg + 1;
	}
	return true;
}

/* s[0..n) in charset (NULL: unknown) appended to b as UTF-8.  Unknown or
 * unsupported charsets: UTF-8 if valid, else windows-1252. */
static int
to_utf8(struct buf *b, const char *s, size_t n, const char *charset)
{
	const char *cs = charset_or_null(charset);
	struct buf t = { 0 };
	iconv_t cd = (iconv_t)-1;
	int rc;

	if (cs != NULL)
		cd = g_mime_iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1 && utf8_ok(s, n))
		return add_utf8(b, s, n);
	if (cd == (iconv_t)-1)
		cd = g_mime_iconv_open("UTF-8", "windows-1252");
	if (cd == (iconv_t)-1)
		return add_utf8(
		    b, s, n); /* no iconv at all: make_valid later */
	rc = add_iconv(&t, cd, s, n);
	g_mime_iconv_close(cd);
	if (rc == SP_OK)
		rc = add_utf8(b, t.p, t.len);
	free(t.p);
	return rc;
}

/* Appends s[0..n) (UTF-8) to a body, cut at a character boundary once
 * max is reached. */
static int
body_add(struct walk *w, struct buf *b, const char *s, size_t n)
{
	size_t room = w->lim.max_body > b->len ? w->lim.max_body - b->len : 0;

	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		w->v->flags |= SP_MIME_TRUNCATED;
	}
	return buf_add(b, s, n);
}

/* The decoded content of a leaf part, or an attached message as bytes,
 * into a new memory stream. */
static GMimeStream *
decoded_stream(GMimeObject *obj)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	GMimeDataWrapper *dw;
	GMimeMessage *m;

	if (GMIME_IS_MESSAGE_PART(obj)) {
		m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (m != NULL)
			g_mime_object_write_to_stream(
			    GMIME_OBJECT(m), NULL, mem);
	} else if (GMIME_IS_PART(obj)) {
		dw = g_mime_part_get_content(GMIME_PART(obj));
		if (dw != NULL)
			g_mime_data_wrapper_write_to_stream(dw, mem);
	}
	g_mime_stream_reset(mem);
	return mem;
}

static size_t
decoded_size(GMimeObject *obj)
{
	GMimeStream *mem = decoded_stream(obj);
	GByteArray *a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	size_t n = a ? a->len : 0;

	g_object_unref(mem);
	return n;
}

/* Line ends of a body made "\n", whatever the message used on the wire. */
static void
crlf_to_lf(struct buf *b)
{
	char *p = b->p, *end = b->p + b->len, *cr, *out = b->p;
	size_t n;

	if (p == NULL)
		return;
	/* moves the text between the CRs that start a CRLF, in runs */
	while ((cr = memchr(p, '\r', (size_t)(end - p))) != NULL) {
		n = (size_t)(cr - p);
		if (cr + 1 < end && cr[1] == '\n') {
			memmove(out, p, n);
			out += n;
			p = cr + 1;
		} else {
			memmove(out, p, n + 1);
			out += n + 1;
			p = cr + 1;
		}
	}
	n = (size_t)(end - p);
	memmove(out, p, n);
	out += n;
	b->len = (size_t)(out - b->p);
	b->p[b->len] = '\0';
}

/* The charset an HTML part names in a <meta> near its start (for a part
 * whose Content-Type has none), into buf; NULL if there is none. */
static const char *
meta_charset(const char *html, size_t len, char *buf, size_t size)
{
	const char *p, *end = html + (len < 2048 ? len : 2048);
	size_t n = 0;

	for (p = html; p + 8 <= end; p++)
		if (g_ascii_strncasecmp(p, "charset=", 8) == 0)
			break;
	if (p + 8 > end)
		return NULL;
	for (p += 8; p < end && (*p == '"' || *p == '\'' || *p == ' '); p++)
		;
	while (p < end && n + 1 < size &&
	    (g_ascii_isalnum(*p) || strchr("-_.:", *p) != NULL))
		buf[n++] = *p++;
	buf[n] = '\0';
	return n > 0 ? buf : NULL;
}

static int
add_body(struct walk *w, GMimeObject *obj, bool html)
{
	GMimeStream *mem = decoded_stream(obj);
	GByteArray *a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	struct buf *b = html ? &w->html : &w->text;
	struct buf t = { 0 };
	const char *cs =
	    g_mime_object_get_content_type_parameter(obj, "charset");
	const char *data = a && a->len ? (const char *)a->data : "";
	size_t len = a ? a->len : 0;
	char meta[40];
	int rc;

	if (cs == NULL && html)
		cs = meta_charset(data, len, meta, sizeof(meta));
	rc = to_utf8(&t, data, len, cs);
	g_object_unref(mem);
	crlf_to_lf(&t);
	/* parts of one body are set apart by a blank line */
	if (rc == SP_OK && !html && b->len > 0)
		rc = body_add(w, b, "\n\n", b->p[b->len - 1] == '\n' ? 1 : 2);
	if (rc == SP_OK)
		rc = body_add(w, b, t.p ? t.p : "", t.len);
	free(t.p);
	return rc;
}

static const struct {
	const char *type, *ext;
} type_ext[] = {
	{ "application/pdf", "pdf" },
	{ "application/zip", "zip" },
	{ "application/ms-tnef", "dat" },
	{ "image/gif", "gif" },
	{ "image/jpeg", "jpg" },
	{ "image/png", "png" },
	{ "image/webp", "webp" },
	{ "message/rfc822", "eml" },
	{ "text/calendar", "ics" },
	{ "text/html", "html" },
	{ "text/plain", "txt" },
};

/* Characters left out of a download name: bidi controls that can make
 * "exe.txt" read as "txt.exe", and invisible joiners. */
static bool
bad_unichar(gunichar c)
{
	return c < 0x20 || (c >= 0x7f && c < 0xa0) ||
	    (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

/* The last path element of name, with unsafe characters dropped or
 * replaced, leading and trailing dots and spaces trimmed. */
static void
filename_clean(struct buf *b, const char *name)
{
	const char *p, *base = name;
	gunichar c;

	for (p = name; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	while (*base == '.' || *base == ' ')
		base++;
	for (p = base; *p != '\0'; p = g_utf8_next_char(p)) {
		c = g_utf8_get_char(p);
		if (bad_unichar(c))
			continue;
		if (c < 0x80 && strchr("\"<>:*?|%", (int)c) != NULL)
			c = '_';
		if (buf_reserve(b, 6) != SP_OK)
			return;
		b->len += (size_t)g_unichar_to_utf8(c, b->p + b->len);
		b->p[b->len] = '\0';
	}
	while (
	    b->len > 0 && (b->p[b->len - 1] == '.' || b->p[b->len - 1] == ' '))
		b->p[--b->len] = '\0';
}

/* Cuts a long name to MAX_FILENAME bytes, keeping a short extension. */
static void
filename_cut(struct buf *b)
{
	const char *dot = strrchr(b->p, '.');
	size_t ext = dot ? strlen(dot) : 0, keep;

	if (b->len <= MAX_FILENAME)
		return;
	if (ext > 16)
		ext = 0;
	keep = MAX_FILENAME - ext;
	while (keep > 0 && ((unsigned char)b->p[keep] & 0xc0) == 0x80)
		keep--;
	memmove(b->p + keep, b->p + b->len - ext, ext);
	b->len = keep + ext;
	b->p[b->len] = '\0';
}

/* A download name for attachment idx: the given name made safe, else
 * "attachment-N.ext" with N counted from 1 and ext from the type. */
static char *
safe_filename(const char *orig, const char *type, size_t idx)
{
	struct buf b = { 0 };
	const char *ext = "bin";
	char *valid = NULL, fallback[64];
	size_t i;

	if (orig != NULL && (valid = g_utf8_make_valid(orig, -1)) != NULL) {
		filename_clean(&b, valid);
		g_free(valid);
		if (b.len > 0) {
			filename_cut(&b);
			return b.p;
		}
	}
	free(b.p);
	for (i = 0; i < sizeof(type_ext) / sizeof(*type_ext); i++)
		if (strcmp(type, type_ext[i].type) == 0)
			ext = type_ext[i].ext;
	snprintf(fallback, sizeof(fallback), "attachment-%zu.%s", idx + 1, ext);
	return strdup(fallback);
}

static char *
dup_clean(const char *s, int *rc)
{
	char *c = clean_header(s);

	if (s != NULL && c == NULL)
		*rc = SP_ENOMEM;
	return c;
}

/* The text after the last backslash of a quoted name="..." or
 * filename="..." in the raw header, or NULL. */
static const char *
raw_windows_base(const char *raw, size_t *len)
{
	const char *p, *q, *end, *last = NULL;

	for (p = raw; p != NULL && *p != '\0'; p++) {
		if (g_ascii_strncasecmp(p, "name=\"", 6) != 0)
			continue;
		q = p + 6;
		if ((end = strchr(q, '"')) == NULL)
			return NULL;
		for (; q < end; q++)
			if (*q == '\\')
				last = q + 1;
		if (last != NULL) {
			*len = (size_t)(end - last);
			return last;
		}
		p = end;
	}
	return NULL;
}

/* A name written as a Windows path in a quoted string, "C:\TEMP\x.png",
 * comes out of GMime as "C:TEMPx.png" (backslash is the quoting
 * character).  If the raw header shows such a path, the decoded name's
 * tail that matches the raw base name is the name. */
static const char *
windows_basename(GMimeObject *obj, const char *name)
{
	static const char *const hdrs[] = { "Content-Disposition",
		"Content-Type" };
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	GMimeHeader *h;
	const char *base, *raw;
	size_t i, blen, nlen = strlen(name);

	for (i = 0; hl != NULL && i < sizeof(hdrs) / sizeof(*hdrs); i++) {
		if ((h = g_mime_header_list_get_header(hl, hdrs[i])) == NULL ||
		    (raw = g_mime_header_get_raw_value(h)) == NULL ||
		    (base = raw_windows_base(raw, &blen)) == NULL)
			continue;
		if (blen > 0 && blen <= nlen &&
		    memcmp(name + nlen - blen, base, blen) == 0)
			return name + nlen - blen;
	}
	return name;
}

static const char *
given_filename(GMimeObject *obj)
{
	const char *n;

	if (GMIME_IS_PART(obj))
		n = g_mime_part_get_filename(GMIME_PART(obj));
	else if ((n = g_mime_object_get_content_disposition_parameter(
	              obj, "filename")) == NULL)
		n = g_mime_object_get_content_type_parameter(obj, "name");
	return n ? windows_basename(obj, n) : NULL;
}

static bool
is_inline(GMimeObject *obj, GMimeObject *parent)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(obj);

	if (d != NULL && g_mime_content_disposition_get_disposition(d))
		return !g_mime_content_disposition_is_attachment(d);
	return g_mime_object_get_content_id(obj) != NULL && parent != NULL &&
	    g_mime_content_type_is_type(
	        g_mime_object_get_content_type(parent), "multipart", "related");
}

static int view_from_message(GMimeMessage *m, const struct sp_mime_limits *l,
    size_t nesting, struct sp_mime_view **out);
static int view_from_encoded(GMimeObject *obj, const struct sp_mime_limits *l,
    size_t nesting, struct sp_mime_view **out);

static int
fill_attachment(struct walk *w, struct sp_mime_attachment *a, GMimeObject *obj,
    GMimeObject *parent)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *type = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	GMimeMessage *m;
	char *p;
	int rc = SP_OK;

	a->content_type = strdup(type ? type : "application/octet-stream");
	g_free(type);
	for (p = a->content_type; p != NULL && *p != '\0'; p++)
		*p = g_ascii_tolower(*p);
	a->content_id = dup_clean(g_mime_object_get_content_id(obj), &rc);
	if (a->content_id != NULL && a->content_id[0] == '\0') {
		free(a->content_id);
		a->content_id = NULL;
	}
	a->orig_filename = dup_clean(given_filename(obj), &rc);
	a->filename =
	    safe_filename(a->orig_filename, a->content_type, a->index);
	if (a->content_type == NULL || a->filename == NULL)
		rc = SP_ENOMEM;
	a->is_inline = is_inline(obj, parent);
	a->size = decoded_size(obj);
	a->part_ = g_object_ref(obj);
	if (rc != SP_OK || w->nesting >= w->lim.max_nesting)
		return rc;
	if (GMIME_IS_MESSAGE_PART(obj) &&
	    (m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj))))
		rc = view_from_message(m, &w->lim, w->nesting + 1, &a->message);
	else if (GMIME_IS_PART(obj) &&
	    (strcmp(a->content_type, "message/rfc822") == 0 ||
	        strcmp(a->content_type, "message/global") == 0))
		rc = view_from_encoded(
		    obj, &w->lim, w->nesting + 1, &a->message);
	return rc;
}

static int
add_attachment(struct walk *w, GMimeObject *obj, GMimeObject *parent)
{
	struct sp_mime_view *v = w->v;
	struct sp_mime_attachment *n;
	size_t cap;

	if (v->natt == w->att_cap) {
		cap = w->att_cap ? w->att_cap * 2 : 8;
		if ((n = realloc(v->att, cap * sizeof(*n))) == NULL)
			return SP_ENOMEM;
		v->att = n;
		w->att_cap = cap;
	}
	n = &v->att[v->natt];
	memset(n, 0, sizeof(*n));
	n->index = v->natt++;
	return fill_attachment(w, n, obj, parent);
}

/* A text/plain or text/html leaf shown as (part of) the body? */
static bool
is_body(GMimeObject *obj, bool *html)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(obj);
	bool inl = d != NULL && !g_mime_content_disposition_is_attachment(d);

	if (ct == NULL || !GMIME_IS_PART(obj))
		return false;
	*html = g_mime_content_type_is_type(ct, "text", "html");
	if (!*html && !g_mime_content_type_is_type(ct, "text", "plain"))
		return false;
	if (d != NULL && g_mime_content_disposition_is_attachment(d))
		return false;
	return g_mime_part_get_filename(GMIME_PART(obj)) == NULL || inl;
}

/* A multipart with no parts (no boundary, or none found): GMime keeps
 * the whole body as its prologue, which is all there is to show. */
static int
add_prologue(struct walk *w, GMimeMultipart *mp)
{
	const char *pro = g_mime_multipart_get_prologue(mp);
	const char *epi = g_mime_multipart_get_epilogue(mp);
	struct buf t = { 0 };
	int rc = SP_OK;

	if (pro != NULL)
		rc = to_utf8(&t, pro, strlen(pro), NULL);
	if (rc == SP_OK && epi != NULL)
		rc = to_utf8(&t, epi, strlen(epi), NULL);
	if (rc == SP_OK && t.len > 0 && w->text.len > 0)
		rc = body_add(w, &w->text, "\n\n", 2);
	if (rc == SP_OK && t.len > 0)
		rc = body_add(w, &w->text, t.p, t.len);
	free(t.p);
	return rc;
}

static void
walk_obj(struct walk *w, GMimeObject *obj, GMimeObject *parent, size_t depth)
{
	GMimeMultipart *mp;
	bool html;
	int i, n;

	if (w->rc != SP_OK || obj == NULL)
		return;
	if (++w->parts > w->lim.max_parts) {
		w->v->flags |= SP_MIME_PARTS_LIMIT;
		return;
	}
	if (depth > w->lim.max_depth) {
		w->v->flags |= SP_MIME_DEPTH_LIMIT;
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		mp = GMIME_MULTIPART(obj);
		n = g_mime_multipart_get_count(mp);
		if (n == 0)
			w->rc = add_prologue(w, mp);
		for (i = 0; i < n; i++)
			walk_obj(w, g_mime_multipart_get_part(mp, i), obj,
			    depth + 1);
	} else if (is_body(obj, &html)) {
		w->rc = add_body(w, obj, html);
	} else {
		w->rc = add_attachment(w, obj, parent);
	}
}

static int
addr_push(struct sp_mime_addrlist *l, size_t *cap, InternetAddress *ia)
{
	const char *addr =
	    internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
	struct sp_mime_addr *n;
	int rc = SP_OK;

	if (addr == NULL || *addr == '\0')
		return SP_OK;
	if (l->n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		if ((n = realloc(l->v, *cap * sizeof(*n))) == NULL)
			return SP_ENOMEM;
		l->v = n;
	}
	n = &l->v[l->n++];
	n->addr = dup_clean(addr, &rc);
	n->name =
	    internet_address_get_name(ia) && *internet_address_get_name(ia)
	    ? dup_clean(internet_address_get_name(ia), &rc)
	    : NULL;
	return rc;
}

/* Mailboxes of list, group members flattened, into l. */
static int
addr_collect(struct sp_mime_addrlist *l, size_t *cap, InternetAddressList *list,
    int depth)
{
	InternetAddress *ia;
	int i, n, rc = SP_OK;

	n = list ? internet_address_list_length(list) : 0;
	for (i = 0; i < n && rc == SP_OK; i++) {
		ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia) && depth == 0)
			rc = addr_collect(l, cap,
			    internet_address_group_get_members(
			        INTERNET_ADDRESS_GROUP(ia)),
			    depth + 1);
		else if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			rc = addr_push(l, cap, ia);
	}
	return rc;
}

/* GMime shows each address in its IDNA ASCII form, which it makes with
 * libidn2 on first use and keeps in the mailbox's idn_addr (a field of
 * the public struct).  For a domain that is ASCII already that form is
 * the address as written: GMime keeps the domain unless libidn2's answer
 * differs from it in more than case, which for ASCII input it never does
 * (it maps only upper to lower case, or fails, and on failure GMime keeps
 * the domain too).  So it is filled in here, and libidn2 only runs for
 * the domains that need it. */
static void
ascii_idn_fill(InternetAddressList *list, int depth)
{
	InternetAddressMailbox *mb;
	InternetAddress *ia;
	const char *d;
	int i, n = list ? internet_address_list_length(list) : 0;

	for (i = 0; i < n; i++) {
		ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia) && depth == 0)
			ascii_idn_fill(internet_address_group_get_members(
			                   INTERNET_ADDRESS_GROUP(ia)),
			    depth + 1);
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		mb = INTERNET_ADDRESS_MAILBOX(ia);
		if (mb->idn_addr != NULL || mb->addr == NULL || mb->at <= 0)
			continue;
		for (d = mb->addr + mb->at + 1; *d != '\0'; d++)
			if ((unsigned char)*d >= 0x80)
				break;
		if (*d == '\0')
			mb->idn_addr = g_strdup(mb->addr);
	}
}

static int
addrlist_fill(struct sp_mime_addrlist *l, InternetAddressList *list)
{
	size_t cap = 0;
	char *s;
	int rc = SP_OK;

	if (list == NULL || internet_address_list_length(list) == 0)
		return SP_OK;
	ascii_idn_fill(list, 0);
	s = internet_address_list_to_string(list, NULL, FALSE);
	l->display = dup_clean(s, &rc);
	g_free(s);
	if (rc == SP_OK)
		rc = addr_collect(l, &cap, list, 0);
	return rc;
}

static int
fill_headers(struct sp_mime_view *v, GMimeMessage *m)
{
	GMimeObject *o = GMIME_OBJECT(m);
	GDateTime *dt;
	int rc = SP_OK;

	if (addrlist_fill(&v->from, g_mime_message_get_from(m)) != SP_OK ||
	    addrlist_fill(&v->to, g_mime_message_get_to(m)) != SP_OK ||
	    addrlist_fill(&v->cc, g_mime_message_get_cc(m)) != SP_OK ||
	    addrlist_fill(&v->reply_to, g_mime_message_get_reply_to(m)) !=
	        SP_OK)
		return SP_ENOMEM;
	v->subject = dup_clean(g_mime_message_get_subject(m), &rc);
	v->date = dup_clean(g_mime_object_get_header(o, "Date"), &rc);
	v->message_id = dup_clean(g_mime_message_get_message_id(m), &rc);
	v->in_reply_to =
	    dup_clean(g_mime_object_get_header(o, "In-Reply-To"), &rc);
	v->references =
	    dup_clean(g_mime_object_get_header(o, "References"), &rc);
	if ((dt = g_mime_message_get_date(m)) != NULL)
		v->date_utc = g_date_time_to_unix(dt);
	return rc;
}

/* Moves the walk's bodies into the view and words its warning. */
static void
walk_finish(struct walk *w)
{
	struct sp_mime_view *v = w->v;

	v->text = w->text.p;
	v->text_len = w->text.len;
	v->html = w->html.p;
	v->html_len = w->html.len;
	w->text.p = w->html.p = NULL;
	if (v->flags & SP_MIME_FALLBACK)
		snprintf(v->warning, sizeof(v->warning), "%s",
		    "this message could not be read as MIME; it is shown as "
		    "raw text");
	else if (v->flags & (SP_MIME_PARTS_LIMIT | SP_MIME_DEPTH_LIMIT))
		snprintf(v->warning, sizeof(v->warning),
		    "this message has more than %zu parts or is nested deeper "
		    "than %zu levels; the rest is not shown",
		    w->lim.max_parts, w->lim.max_depth);
	else if (v->flags & SP_MIME_TRUNCATED)
		snprintf(v->warning, sizeof(v->warning),
		    "the text is longer than %zu bytes and was cut",
		    w->lim.max_body);
}

static int
view_from_message(GMimeMessage *m, const struct sp_mime_limits *l,
    size_t nesting, struct sp_mime_view **out)
{
	struct walk w;
	struct view_priv *p;

	memset(&w, 0, sizeof(w));
	w.lim = *l;
	w.nesting = nesting;
	*out = NULL;
	if ((w.v = calloc(1, sizeof(*w.v))) == NULL ||
	    (p = calloc(1, sizeof(*p))) == NULL) {
		free(w.v);
		return SP_ENOMEM;
	}
	w.v->priv_ = p;
	p->msg = g_object_ref(m);
	w.rc = fill_headers(w.v, m);
	walk_obj(&w, g_mime_message_get_mime_part(m), NULL, 0);
	walk_finish(&w);
	free(w.text.p);
	free(w.html.p);
	if (w.rc != SP_OK) {
		sp_mime_view_free(w.v);
		return w.rc;
	}
	*out = w.v;
	return SP_OK;
}

/* The raw bytes as the text body, for what GMime cannot parse. */
static int
view_fallback(const char *buf, size_t len, const struct sp_mime_limits *l,
    struct sp_mime_view **out)
{
	struct walk w;
	struct buf t = { 0 };

	memset(&w, 0, sizeof(w));
	w.lim = *l;
	if ((w.v = calloc(1, sizeof(*w.v))) == NULL)
		return SP_ENOMEM;
	w.v->flags |= SP_MIME_FALLBACK;
	w.rc = to_utf8(&t, buf, len, NULL);
	if (w.rc == SP_OK)
		w.rc = body_add(&w, &w.text, t.p ? t.p : "", t.len);
	free(t.p);
	walk_finish(&w);
	free(w.text.p);
	if (w.rc != SP_OK) {
		sp_mime_view_free(w.v);
		return w.rc;
	}
	*out = w.v;
	return SP_OK;
}

/* The words of count_containers that start with the byte first (an 'm'
 * in either case), found with memchr. */
static size_t
count_from(const char *buf, size_t len, char first)
{
	const char *p = buf, *end = buf + len;
	size_t n = 0, left;

	while ((p = memchr(p, first, (size_t)(end - p))) != NULL) {
		left = (size_t)(end - p);
		if (left < 8)
			break;
		if ((left >= 10 && strncasecmp(p, "multipart/", 10) == 0) ||
		    strncasecmp(p, "message/", 8) == 0)
			n++;
		p++;
	}
	return n;
}

/* "multipart/" and "message/" in the raw bytes: an upper bound on how
 * deep GMime's parser will recurse. */
static size_t
count_containers(const char *buf, size_t len)
{
	return count_from(buf, len, 'm') + count_from(buf, len, 'M');
}

static GMimeParserOptions *parser_opts;

static void
parser_opts_init(void)
{
	static const char *fallback[] = { "utf-8", "windows-1252", NULL };

	g_mime_init();
	parser_opts = g_mime_parser_options_new();
	g_mime_parser_options_set_fallback_charsets(parser_opts, fallback);
}

static GMimeMessage *
parse(const char *buf, size_t len)
{
	GMimeStream *st;
	GMimeParser *parser;
	GMimeMessage *m;

	st = g_mime_stream_mem_new_with_buffer(buf, len);
	parser = g_mime_parser_new_with_stream(st);
	g_object_unref(st);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	m = g_mime_parser_construct_message(parser, parser_opts);
	g_object_unref(parser);
	return m;
}

/* A header field line: a name of printable characters, maybe spaces,
 * then a colon. */
static bool
is_field_line(const char *l, size_t n)
{
	size_t i = 0;

	while (i < n && (unsigned char)l[i] > 32 && (unsigned char)l[i] < 127 &&
	    l[i] != ':')
		i++;
	if (i == 0)
		return false;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	return i < n && l[i] == ':';
}

/* Where the header section ends without the blank line it should end
 * with: the offset of the first line that is neither a field, a
 * continuation nor blank; len if the header section is well formed. */
static size_t
header_junk_offset(const char *buf, size_t len)
{
	const char *nl;
	size_t off = 0, eol;
	bool first = true;

	while (off < len) {
		nl = memchr(buf + off, '\n', len - off);
		eol = nl ? (size_t)(nl - buf) : len;
		if (eol == off || (eol == off + 1 && buf[off] == '\r'))
			return len;
		if (!(!first && (buf[off] == ' ' || buf[off] == '\t')) &&
		    !is_field_line(buf + off, eol - off))
			return off;
		first = false;
		off = eol + 1;
	}
	return len;
}

/* Parses a raw message: an mbox "From " line skipped, a missing blank
 * line after the headers put back (so that the rest is the body rather
 * than lost), too many containers refused.  NULL: not parseable. */
static GMimeMessage *
parse_raw(const char *buf, size_t len)
{
	GMimeMessage *m;
	const char *nl;
	size_t junk;
	char *copy;

	if (len >= 5 && memcmp(buf, "From ", 5) == 0 &&
	    (nl = memchr(buf, '\n', len)) != NULL) {
		len -= (size_t)(nl + 1 - buf);
		buf = nl + 1;
	}
	if (count_containers(buf, len) > MAX_CONTAINERS)
		return NULL;
	if ((junk = header_junk_offset(buf, len)) == len)
		return parse(buf, len);
	if ((copy = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(copy, buf, junk);
	copy[junk] = '\n';
	memcpy(copy + junk + 1, buf + junk, len - junk);
	m = parse(copy, len + 1);
	free(copy);
	return m;
}

/* An attached message sent with a transfer encoding (which RFC 2046
 * forbids, and which GMime then keeps as a plain part): decoded, then
 * parsed as a message. */
static int
view_from_encoded(GMimeObject *obj, const struct sp_mime_limits *l,
    size_t nesting, struct sp_mime_view **out)
{
	GMimeStream *mem = decoded_stream(obj);
	GByteArray *a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	const char *data = a && a->len ? (const char *)a->data : "";
	size_t len = a ? a->len : 0;
	GMimeMessage *m = parse_raw(data, len);
	int rc;

	if (m != NULL) {
		rc = view_from_message(m, l, nesting, out);
		g_object_unref(m);
	} else {
		rc = view_fallback(data, len, l, out);
	}
	g_object_unref(mem);
	return rc;
}

static void
limits_fill(struct sp_mime_limits *l, const struct sp_mime_limits *in)
{
	memset(l, 0, sizeof(*l));
	if (in != NULL)
		*l = *in;
	l->max_input = l->max_input ? l->max_input : DEF_MAX_INPUT;
	l->max_parts = l->max_parts ? l->max_parts : DEF_MAX_PARTS;
	l->max_depth = l->max_depth ? l->max_depth : DEF_MAX_DEPTH;
	l->max_body = l->max_body ? l->max_body : DEF_MAX_BODY;
	l->max_nesting = l->max_nesting ? l->max_nesting : DEF_MAX_NESTING;
}

int
sp_mime_view_new(const char *buf, size_t len,
    const struct sp_mime_limits *limits, struct sp_mime_view **out,
    struct sp_error *err)
{
	struct sp_mime_limits l;
	GMimeMessage *m;
	int rc;

	if (out == NULL || (buf == NULL && len > 0))
		return sp_error_set(err, SP_EINVAL, "mime: no input");
	*out = NULL;
	limits_fill(&l, limits);
	if (len > l.max_input)
		return sp_error_set(err, SP_ETOOBIG,
		    "mime: message of %zu bytes is over the limit of %zu", len,
		    l.max_input);
	pthread_once(&gmime_once, parser_opts_init);
	if (buf == NULL)
		buf = "";
	if ((m = parse_raw(buf, len)) != NULL) {
		rc = view_from_message(m, &l, 0, out);
		g_object_unref(m);
	} else {
		rc = view_fallback(buf, len, &l, out);
	}
	if (rc != SP_OK)
		return sp_error_set(err, rc, "mime: out of memory");
	return SP_OK;
}

static void
addrlist_free(struct sp_mime_addrlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].addr);
	}
	free(l->v);
	free(l->display);
}

void
sp_mime_view_free(struct sp_mime_view *v)
{
	struct view_priv *p;
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->natt; i++) {
		free(v->att[i].filename);
		free(v->att[i].orig_filename);
		free(v->att[i].content_type);
		free(v->att[i].content_id);
		sp_mime_view_free(v->att[i].message);
		if (v->att[i].part_ != NULL)
			g_object_unref(v->att[i].part_);
	}
	free(v->att);
	addrlist_free(&v->from);
	addrlist_free(&v->to);
	addrlist_free(&v->cc);
	addrlist_free(&v->reply_to);
	free(v->date);
	free(v->subject);
	free(v->message_id);
	free(v->in_reply_to);
	free(v->references);
	free(v->text);
	free(v->html);
	if ((p = v->priv_) != NULL && p->msg != NULL)
		g_object_unref(p->msg);
	free(p);
	free(v);
}

int
sp_mime_attachment_write(const struct sp_mime_view *v, size_t idx,
    sp_mime_sink sink, void *ctx, struct sp_error *err)
{
	GMimeStream *mem;
	GByteArray *a;
	size_t off, n;
	int rc = SP_OK;

	if (v == NULL || sink == NULL)
		return sp_error_set(err, SP_EINVAL, "mime: no view or sink");
	if (idx >= v->natt)
		return sp_error_set(
		    err, SP_ENOTFOUND, "mime: no attachment %zu", idx);
	mem = decoded_stream(v->att[idx].part_);
	a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	for (off = 0; a != NULL && off < a->len && rc == 0; off += n) {
		n = a->len - off < 65536 ? a->len - off : 65536;
		rc = sink(ctx, (const char *)a->data + off, n);
	}
	g_object_unref(mem);
	if (rc != 0)
		return sp_error_set(
		    err, rc, "mime: attachment %zu: copy stopped", idx);
	return SP_OK;
}

struct read_ctx {
	struct buf b;
	size_t max;
};

static int
read_sink(void *ctx, const char *data, size_t len)
{
	struct read_ctx *r = ctx;

	if (len > r->max - r->b.len)
		return SP_ETOOBIG;
	return buf_add(&r->b, data, len);
}

int
sp_mime_attachment_read(const struct sp_mime_view *v, size_t idx, size_t max,
    char **out, size_t *out_len, struct sp_error *err)
{
	struct read_ctx r;
	int rc;

	if (out == NULL || out_len == NULL)
		return sp_error_set(err, SP_EINVAL, "mime: no output");
	memset(&r, 0, sizeof(r));
	r.max = max;
	*out = NULL;
	*out_len = 0;
	if ((rc = sp_mime_attachment_write(v, idx, read_sink, &r, err)) !=
	    SP_OK) {
		free(r.b.p);
		if (rc == SP_ETOOBIG)
			return sp_error_set(err, rc,
			    "mime: attachment %zu is over %zu bytes", idx, max);
		return rc;
	}
	if (r.b.p == NULL && buf_add(&r.b, "", 0) != SP_OK)
		return sp_error_set(err, SP_ENOMEM, "mime: out of memory");
	*out = r.b.p;
	*out_len = r.b.len;
	return SP_OK;
}

/* cid with "cid:" and <> taken off, and %-escapes decoded if unescape,
 * into a new string (NULL if out of memory or a bad escape). */
static char *
cid_normalize(const char *cid, bool unescape)
{
	char *s, *d;
	size_t n;

	if (g_ascii_strncasecmp(cid, "cid:", 4) == 0)
		cid += 4;
	if (*cid == '<')
		cid++;
	s = unescape ? g_uri_unescape_string(cid, NULL) : g_strdup(cid);
	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n > 0 && s[n - 1] == '>')
		s[n - 1] = '\0';
	d = strdup(s);
	g_free(s);
	return d;
}

static long
cid_lookup(const struct sp_mime_view *v, const char *want,
    int (*cmp)(const char *, const char *))
{
	size_t i;

	for (i = 0; i < v->natt; i++)
		if (v->att[i].content_id != NULL &&
		    cmp(v->att[i].content_id, want) == 0)
			return (long)i;
	return -1;
}

/* Content-IDs are matched as given, then without "cid:" and <>, then
 * with %-escapes decoded too (as in a cid: URL, RFC 2392); then all of
 * these again ignoring ASCII case. */
long
sp_mime_find_cid(const struct sp_mime_view *v, const char *cid)
{
	char *want[3];
	long found = -1;
	int k;

	if (v == NULL || cid == NULL)
		return -1;
	want[0] = strdup(cid);
	want[1] = cid_normalize(cid, false);
	want[2] = cid_normalize(cid, true);
	for (k = 0; k < 6 && found < 0; k++)
		if (want[k % 3] != NULL && *want[k % 3] != '\0')
			found = cid_lookup(v, want[k % 3],
			    k < 3 ? strcmp : g_ascii_strcasecmp);
	for (k = 0; k < 3; k++)
		free(want[k]);
	return found;
}

/* The image type of data by its first bytes, or NULL. */
static const char *
image_magic(const unsigned char *d, size_t n)
{
	if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "png";
	if (n >= 6 &&
	    (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
		return "gif";
	if (n >= 3 && memcmp(d, "\xff\xd8\xff", 3) == 0)
		return "jpeg";
	if (n >= 12 && memcmp(d, "RIFF", 4) == 0 &&
	    memcmp(d + 8, "WEBP", 4) == 0)
		return "webp";
	return NULL;
}

char *
sp_mime_image_data_uri(const struct sp_mime_view *v, size_t idx, size_t max)
{
	char *data = NULL, *b64 = NULL, *uri = NULL;
	const char *type;
	size_t len, n;

	if (v == NULL || idx >= v->natt || v->att[idx].size > max ||
	    strncmp(v->att[idx].content_type, "image/", 6) != 0)
		return NULL;
	if (sp_mime_attachment_read(v, idx, max, &data, &len, NULL) != SP_OK)
		return NULL;
	if ((type = image_magic((const unsigned char *)data, len)) == NULL)
		goto out;
	b64 = g_base64_encode((const guchar *)data, len);
	n = strlen(b64) + 32;
	if ((uri = malloc(n)) != NULL)
		snprintf(uri, n, "data:image/%s;base64,%s", type, b64);
out:
	g_free(b64);
	free(data);
	return uri;
}

char *
sp_mime_cid_url(void *ctx, const char *cid)
{
	const struct sp_mime_cid_map *m = ctx;
	const struct sp_mime_attachment *a;
	char *url = NULL;
	long idx;
	size_t n;

	if (m == NULL || (idx = sp_mime_find_cid(m->view, cid)) < 0)
		return NULL;
	a = &m->view->att[idx];
	if (m->inline_max > 0 &&
	    (url = sp_mime_image_data_uri(
	         m->view, (size_t)idx, m->inline_max)) != NULL)
		return url;
	if (m->url_prefix == NULL || strncmp(a->content_type, "image/", 6) != 0)
		return NULL;
	n = strlen(m->url_prefix) + 24;
	if ((url = malloc(n)) != NULL)
		snprintf(url, n, "%s%ld", m->url_prefix, idx);
	return url;
}
