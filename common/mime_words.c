/* SPDX-License-Identifier: MIT */
/*
 * mime_words: RFC 2047 decoding and encoding of header values.
 * See sp_mime_words.h for the contract.  Decoding never fails on content;
 * only an allocation failure is reported (SP_ENOMEM).
 */
#include "sp_mime_words.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CHARSET_MAX 64

/* windows-1252 for 0x80-0x9f; the five holes map to the Latin-1 C1
 * code point, as Windows itself does. */
static const uint16_t cp1252_high[32] = {
	0x20ac,
	0x0081,
	0x201a,
	0x0192,
	0x201e,
	0x2026,
	0x2020,
	0x2021,
	0x02c6,
	0x2030,
	0x0160,
	0x2039,
	0x0152,
	0x008d,
	0x017d,
	0x008f,
	0x0090,
	0x2018,
	0x2019,
	0x201c,
	0x201d,
	0x2022,
	0x2013,
	0x2014,
	0x02dc,
	0x2122,
	0x0161,
	0x203a,
	0x0153,
	0x009d,
	0x017e,
	0x0178,
};

/* Names mail uses that iconv does not know, or knows as a smaller set. */
static const struct {
	const char *label;
	const char *iconv_name;
} charset_aliases[] = {
	{ "ks_c_5601-1987", "CP949" },
	{ "ks_c_5601", "CP949" },
	{ "gb2312", "GB18030" },
	{ "gbk", "GB18030" },
	{ "x-gbk", "GB18030" },
	{ "iso-8859-8-i", "ISO-8859-8" },
	{ "x-sjis", "SHIFT_JIS" },
	{ "shift-jis", "SHIFT_JIS" },
	{ "windows-874", "CP874" },
	{ "unicode-1-1-utf-7", "UTF-7" },
	{ "x-mac-roman", "MACINTOSH" },
};

struct decoder {
	struct sp_mime_buf out;
	struct sp_mime_buf pending; /* bytes of adjacent encoded words */
	char charset[CHARSET_MAX + 1];
	bool have_pending;
	iconv_t cd; /* cached descriptor for cd_name */
	char cd_name[CHARSET_MAX + 1];
	bool cd_failed;
};

struct enc_word {
	size_t end; /* just past "?=" */
	const char *charset;
	size_t charset_len;
	char enc;
	const char *text;
	size_t text_len;
};

static int
buf_reserve(struct sp_mime_buf *b, size_t more)
{
	size_t ncap;
	char *nd;

	if (b->cap - b->len > more)
		return SP_OK;
	ncap = b->cap ? b->cap : 64;
	while (ncap - b->len <= more)
		ncap *= 2;
	nd = realloc(b->data, ncap);
	if (nd == NULL)
		return SP_ENOMEM;
	b->data = nd;
	b->cap = ncap;
	return SP_OK;
}

static int
buf_put(struct sp_mime_buf *b, const void *s, size_t len)
{
	if (buf_reserve(b, len) != SP_OK)
		return SP_ENOMEM;
	if (len > 0)
		memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
	return SP_OK;
}

static int
buf_put_cp(struct sp_mime_buf *b, uint32_t cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_put(b, u, n);
}

/* Length of the valid UTF-8 sequence at s (shortest form, no surrogates,
 * at most U+10FFFF), or 0. */
static size_t
utf8_valid_len(const unsigned char *s, size_t len)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int
put_cp1252(struct sp_mime_buf *b, unsigned char c)
{
	if (c < 0x80)
		return buf_put(b, &c, 1);
	if (c < 0xa0)
		return buf_put_cp(b, cp1252_high[c - 0x80]);
	return buf_put_cp(b, c);
}

int
sp_mime_buf_raw(struct sp_mime_buf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0, n;

	/* Copy valid runs in one go; map each stray byte on its own. */
	while (i < len) {
		n = utf8_valid_len(u + i, len - i);
		if (n > 0) {
			i += n;
			continue;
		}
		if (buf_put(b, u + run, i - run) != SP_OK ||
		    put_cp1252(b, u[i]) != SP_OK)
			return SP_ENOMEM;
		run = ++i;
	}
	return buf_put(b, u + run, len - run);
}

static int
put_latin(struct sp_mime_buf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (put_cp1252(b, (unsigned char)s[i]) != SP_OK)
			return SP_ENOMEM;
	return SP_OK;
}

static bool
charset_is(const char *cs, const char *const *names)
{
	for (; *names != NULL; names++)
		if (strcasecmp(cs, *names) == 0)
			return true;
	return false;
}

static const char *
charset_iconv_name(const char *cs)
{
	size_t i;

	for (i = 0; i < sizeof(charset_aliases) / sizeof(charset_aliases[0]);
	     i++)
		if (strcasecmp(cs, charset_aliases[i].label) == 0)
			return charset_aliases[i].iconv_name;
	return cs;
}

/* The cached iconv descriptor for cs, or (iconv_t)-1 when iconv does
 * not know it. */
static iconv_t
decoder_iconv(struct decoder *d, const char *cs)
{
	if (d->cd_name[0] != '\0' && strcasecmp(d->cd_name, cs) == 0)
		return d->cd_failed ? (iconv_t)-1 : d->cd;
	if (!d->cd_failed && d->cd_name[0] != '\0')
		iconv_close(d->cd);
	snprintf(d->cd_name, sizeof(d->cd_name), "%s", cs);
	d->cd = iconv_open("UTF-8", charset_iconv_name(cs));
	d->cd_failed = d->cd == (iconv_t)-1;
	return d->cd;
}

static int
convert_iconv(struct sp_mime_buf *b, iconv_t cd, const char *s, size_t len)
{
	char *in = (char *)s, *outp;
	size_t inleft = len, outleft, r;

	while (inleft > 0) {
		if (buf_reserve(b, inleft * 4 + 16) != SP_OK)
			return SP_ENOMEM;
		outp = b->data + b->len;
		outleft = b->cap - b->len - 1;
		r = iconv(cd, &in, &inleft, &outp, &outleft);
		b->len = (size_t)(outp - b->data);
		b->data[b->len] = '\0';
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		/* A byte the charset cannot hold, or a cut sequence at the
		 * end: U+FFFD for it, then go on. */
		if (buf_put_cp(b, 0xfffd) != SP_OK)
			return SP_ENOMEM;
		if (errno == EINVAL)
			break;
		in++;
		inleft--;
	}
	iconv(cd, NULL, NULL, NULL, NULL);
	return SP_OK;
}

static int
decoder_convert(struct decoder *d, const char *cs, const char *s, size_t len)
{
	static const char *const utf8[] = { "utf-8", "utf8", "us-ascii",
		"ascii", "", NULL };
	static const char *const latin[] = { "iso-8859-1", "iso_8859-1",
		"latin1", "l1", "windows-1252", "cp1252", "x-user-defined",
		NULL };
	iconv_t cd;

	/* Only names made of the characters charset names use (RFC 2978)
	 * reach iconv: no "//" suffixes, no paths. */
	if (strspn(cs,
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	        "0123456789-_.:+()") != strlen(cs))
		return sp_mime_buf_raw(&d->out, s, len);
	if (charset_is(cs, utf8))
		return sp_mime_buf_raw(&d->out, s, len);
	if (charset_is(cs, latin))
		return put_latin(&d->out, s, len);
	cd = decoder_iconv(d, cs);
	if (cd == (iconv_t)-1)
		return sp_mime_buf_raw(&d->out, s, len);
	return convert_iconv(&d->out, cd, s, len);
}

static int
decoder_flush(struct decoder *d)
{
	int rc;

	if (!d->have_pending)
		return SP_OK;
	d->have_pending = false;
	rc = decoder_convert(d, d->charset, d->pending.data, d->pending.len);
	d->pending.len = 0;
	return rc;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
decode_q(struct sp_mime_buf *b, const char *t, size_t len)
{
	size_t i;
	char c;
	int hi, lo;

	for (i = 0; i < len; i++) {
		c = t[i];
		if (c == '_') {
			c = ' ';
		} else if (c == '=' && i + 2 < len &&
		    (hi = hexval((unsigned char)t[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)t[i + 2])) >= 0) {
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (buf_put(b, &c, 1) != SP_OK)
			return SP_ENOMEM;
	}
	return SP_OK;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static bool
b64_valid(const char *t, size_t len)
{
	size_t i;

	for (i = 0; i < len && t[i] != '='; i++)
		if (b64val((unsigned char)t[i]) < 0)
			return false;
	for (; i < len; i++)
		if (t[i] != '=')
			return false;
	return true;
}

/* Lenient about padding: a missing or extra '=' loses nothing. */
static int
decode_b(struct sp_mime_buf *b, const char *t, size_t len)
{
	uint32_t acc = 0;
	int bits = 0, v;
	size_t i;
	unsigned char c;

	for (i = 0; i < len && t[i] != '='; i++) {
		v = b64val((unsigned char)t[i]);
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			c = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
			if (buf_put(b, &c, 1) != SP_OK)
				return SP_ENOMEM;
		}
	}
	return SP_OK;
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Finds the end of a run up to the next '?' without white space; returns
 * the position of the '?' or len. */
static size_t
scan_to_qmark(const char *s, size_t len, size_t i)
{
	while (i < len && s[i] != '?' && !is_wsp(s[i]))
		i++;
	return i;
}

/* Parses "=?charset?e?text?=" at s[i]; false when it is not one. */
static bool
enc_word_parse(const char *s, size_t len, size_t i, struct enc_word *w)
{
	size_t cs, e, t, te;

	cs = i + 2;
	e = scan_to_qmark(s, len, cs);
	if (e >= len || s[e] != '?' || e == cs || e - cs > CHARSET_MAX)
		return false;
	if (e + 2 >= len || s[e + 2] != '?')
		return false;
	t = e + 3;
	te = scan_to_qmark(s, len, t);
	if (te + 1 >= len || s[te] != '?' || s[te + 1] != '=')
		return false;
	w->charset = s + cs;
	w->charset_len = e - cs;
	w->enc = s[e + 1];
	w->text = s + t;
	w->text_len = te - t;
	w->end = te + 2;
	if (w->enc == 'b' || w->enc == 'B')
		return b64_valid(w->text, w->text_len);
	return w->enc == 'q' || w->enc == 'Q';
}

/* Adds one encoded word's bytes, flushing first if the charset differs. */
static int
decoder_word(struct decoder *d, const struct enc_word *w)
{
	char cs[CHARSET_MAX + 1];
	char *star;

	memcpy(cs, w->charset, w->charset_len);
	cs[w->charset_len] = '\0';
	star = strchr(cs, '*'); /* RFC 2231 language suffix */
	if (star != NULL)
		*star = '\0';
	if (d->have_pending && strcasecmp(cs, d->charset) != 0 &&
	    decoder_flush(d) != SP_OK)
		return SP_ENOMEM;
	memcpy(d->charset, cs, sizeof(cs));
	d->have_pending = true;
	if (w->enc == 'b' || w->enc == 'B')
		return decode_b(&d->pending, w->text, w->text_len);
	return decode_q(&d->pending, w->text, w->text_len);
}

static bool
all_wsp(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_wsp(s[i]))
			return false;
	return true;
}

/* Literal text between encoded words: dropped when it is only white
 * space between two of them (RFC 2047 section 6.2). */
static int
decoder_literal(struct decoder *d, const char *s, size_t len, bool before_ew)
{
	if (len == 0 || (before_ew && d->have_pending && all_wsp(s, len)))
		return SP_OK;
	if (decoder_flush(d) != SP_OK)
		return SP_ENOMEM;
	return sp_mime_buf_raw(&d->out, s, len);
}

static int
decode_unfolded(struct decoder *d, const char *u, size_t n)
{
	struct enc_word w;
	size_t i = 0, lit = 0;

	while (i + 1 < n) {
		if (u[i] != '=' || u[i + 1] != '?' ||
		    !enc_word_parse(u, n, i, &w)) {
			i++;
			continue;
		}
		if (decoder_literal(d, u + lit, i - lit, true) != SP_OK ||
		    decoder_word(d, &w) != SP_OK)
			return SP_ENOMEM;
		i = lit = w.end;
	}
	if (decoder_literal(d, u + lit, n - lit, false) != SP_OK)
		return SP_ENOMEM;
	return decoder_flush(d);
}

/* Drops NULs, turns other controls but TAB into spaces, trims. */
static size_t
tidy_output(char *s, size_t len)
{
	size_t i, o = 0, start = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0)
			continue;
		s[o++] = (c < 0x20 && c != '\t') ? ' ' : (char)c;
	}
	while (start < o && is_wsp(s[start]))
		start++;
	while (o > start && is_wsp(s[o - 1]))
		o--;
	memmove(s, s + start, o - start);
	s[o - start] = '\0';
	return o - start;
}

int
sp_mime_decode_header(const char *raw, size_t len, char **out, size_t *outlen)
{
	struct decoder d;
	char *u = NULL;
	size_t i, n = 0;
	int rc = SP_ENOMEM;

	memset(&d, 0, sizeof(d));
	*out = NULL;
	/* Unfolding: every CR and LF goes; a fold keeps its white space. */
	u = malloc(len + 1);
	if (u == NULL)
		goto out;
	for (i = 0; i < len; i++)
		if (raw[i] != '\r' && raw[i] != '\n')
			u[n++] = raw[i];
	if (buf_reserve(&d.out, n) != SP_OK)
		goto out;
	d.out.data[0] = '\0';
	if (decode_unfolded(&d, u, n) != SP_OK)
		goto out;
	d.out.len = tidy_output(d.out.data, d.out.len);
	*out = d.out.data;
	if (outlen != NULL)
		*outlen = d.out.len;
	d.out.data = NULL;
	rc = SP_OK;
out:
	if (d.cd_name[0] != '\0' && !d.cd_failed)
		iconv_close(d.cd);
	free(d.pending.data);
	free(d.out.data);
	free(u);
	return rc;
}

/* Plain ASCII that needs no encoding: printable, no "=?", and no word so
 * long that folding at white space could not keep lines under 998. */
static bool
plain_ok(const char *s, size_t len)
{
	size_t i, word = 0;

	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
		if (s[i] == '=' && i + 1 < len && s[i + 1] == '?')
			return false;
		word = s[i] == ' ' ? 0 : word + 1;
		if (word > 900)
			return false;
	}
	return true;
}

/* Folds before white space so that unfolding gives the text back. */
static int
encode_plain(struct sp_mime_buf *b, const char *s, size_t len, size_t used,
    const char *eol)
{
	size_t i = 0, j, col = used;

	while (i < len) {
		j = i;
		while (j < len && s[j] == ' ')
			j++;
		while (j < len && s[j] != ' ')
			j++;
		if (col + (j - i) > 78 && i > 0) {
			if (buf_put(b, eol, strlen(eol)) != SP_OK)
				return SP_ENOMEM;
			col = 0;
		}
		if (buf_put(b, s + i, j - i) != SP_OK)
			return SP_ENOMEM;
		col += j - i;
		i = j;
	}
	return SP_OK;
}

static bool
q_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!*+-/", c) != NULL;
}

static size_t
word_cost(const unsigned char *s, size_t n, bool q, size_t bytes_before)
{
	size_t i, cost = 0;

	if (!q)
		return ((bytes_before + n + 2) / 3) * 4 -
		    ((bytes_before + 2) / 3) * 4;
	for (i = 0; i < n; i++)
		cost += (q_safe(s[i]) || s[i] == ' ') ? 1 : 3;
	return cost;
}

static int
put_word(struct sp_mime_buf *b, const unsigned char *s, size_t n, bool q)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                          "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char tmp[4];
	size_t i;
	uint32_t v;

	if (buf_put(b, q ? "=?UTF-8?Q?" : "=?UTF-8?B?", 10) != SP_OK)
		return SP_ENOMEM;
	for (i = 0; q && i < n; i++) {
		if (q_safe(s[i]) || s[i] == ' ')
			tmp[0] = s[i] == ' ' ? '_' : (char)s[i];
		else
			snprintf(tmp, sizeof(tmp), "=%02X", s[i]);
		if (buf_put(b, tmp, q_safe(s[i]) || s[i] == ' ' ? 1 : 3))
			return SP_ENOMEM;
	}
	for (i = 0; !q && i < n; i += 3) {
		v = (uint32_t)s[i] << 16;
		v |= i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0;
		v |= i + 2 < n ? s[i + 2] : 0;
		tmp[0] = b64[v >> 18];
		tmp[1] = b64[(v >> 12) & 63];
		tmp[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		tmp[3] = i + 2 < n ? b64[v & 63] : '=';
		if (buf_put(b, tmp, 4) != SP_OK)
			return SP_ENOMEM;
	}
	return buf_put(b, "?=", 2);
}

/* Encoded words of whole characters, each at most 75 characters, one a
 * line after the first. */
static int
encode_words(struct sp_mime_buf *b, const char *text, size_t len, size_t used,
    const char *eol)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, j, n, cost, avail, nonsafe = 0;
	bool q, first = true;

	for (i = 0; i < len; i++)
		nonsafe += !(q_safe(s[i]) || s[i] == ' ');
	q = nonsafe * 2 <= len; /* Q while it stays mostly readable */
	i = 0;
	while (i < len) {
		avail = 75 - 12;
		if (first && used + 75 > 78)
			avail = used + 24 > 78 ? 24 - 12 : 78 - used - 12;
		for (j = i, cost = 0; j < len; j += n) {
			n = utf8_valid_len(s + j, len - j);
			n = n ? n : 1;
			cost += word_cost(s + j, n, q, j - i);
			if (cost > avail && j > i)
				break;
		}
		if (!first &&
		    (buf_put(b, eol, strlen(eol)) != SP_OK ||
		        buf_put(b, " ", 1) != SP_OK))
			return SP_ENOMEM;
		if (put_word(b, s + i, j - i, q) != SP_OK)
			return SP_ENOMEM;
		first = false;
		i = j;
	}
	return SP_OK;
}

int
sp_mime_encode_header(
    const char *utf8, size_t len, size_t used, const char *eol, char **out)
{
	struct sp_mime_buf text = { 0 }, b = { 0 };
	int rc = SP_ENOMEM;

	*out = NULL;
	if (sp_mime_buf_raw(&text, utf8, len) != SP_OK ||
	    buf_reserve(&b, text.len * 2) != SP_OK)
		goto out;
	b.data[0] = '\0';
	if (plain_ok(text.data, text.len))
		rc = encode_plain(&b, text.data, text.len, used, eol);
	else
		rc = encode_words(&b, text.data, text.len, used, eol);
	if (rc != SP_OK)
		goto out;
	*out = b.data;
	b.data = NULL;
out:
	free(text.data);
	free(b.data);
	return rc;
}
