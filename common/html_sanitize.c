/* SPDX-License-Identifier: MIT */
/*
 * html_sanitize.c: allowlist HTML sanitizer over gumbo's parse tree.
 *
 * Contract (see sp_html_sanitize.h): parse as a browser would, keep only
 * allowlisted elements and attributes, re-escape everything on output.
 * The walk is recursive but bounded by max_depth; gumbo's own tree is
 * bounded by capping the number of start tags in the input.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gumbo.h>

#include "sp_html_sanitize.h"

#define DEF_MAX_INPUT  (8u * 1024 * 1024)
#define DEF_MAX_OUTPUT (16u * 1024 * 1024)
#define DEF_MAX_DEPTH  200u
/* See prescan(): caps on start tags and on the estimated nesting. */
#define MAX_START_TAGS    40000u
#define MAX_NEST_ESTIMATE 2000u
#define MAX_ATTR_VALUE    8192u

struct out {
	char *p;
	size_t len, cap, max;
	int failed; /* SP_OK, SP_ENOMEM or SP_ETOOBIG */
};

struct san {
	struct out o;
	const struct sp_html_options *opts;
	size_t max_depth;
	struct sp_html_result *res;
};

/* What happens to an element. */
enum action { DROP_ALL = 0, UNWRAP, KEEP, KEEP_VOID };

struct elem_rule {
	const char *name;
	enum action act;
};

/* Elements kept.  Everything not listed is unwrapped (content kept), but
 * see drop_with_content below. */
static const struct elem_rule keep_elems[] = {
	{ "a", KEEP },
	{ "abbr", KEEP },
	{ "address", KEEP },
	{ "article", KEEP },
	{ "aside", KEEP },
	{ "b", KEEP },
	{ "bdi", KEEP },
	{ "bdo", KEEP },
	{ "big", KEEP },
	{ "blockquote", KEEP },
	{ "br", KEEP_VOID },
	{ "caption", KEEP },
	{ "center", KEEP },
	{ "cite", KEEP },
	{ "code", KEEP },
	{ "col", KEEP_VOID },
	{ "colgroup", KEEP },
	{ "dd", KEEP },
	{ "del", KEEP },
	{ "details", KEEP },
	{ "dfn", KEEP },
	{ "div", KEEP },
	{ "dl", KEEP },
	{ "dt", KEEP },
	{ "em", KEEP },
	{ "figcaption", KEEP },
	{ "figure", KEEP },
	{ "font", KEEP },
	{ "footer", KEEP },
	{ "h1", KEEP },
	{ "h2", KEEP },
	{ "h3", KEEP },
	{ "h4", KEEP },
	{ "h5", KEEP },
	{ "h6", KEEP },
	{ "header", KEEP },
	{ "hr", KEEP_VOID },
	{ "i", KEEP },
	{ "img", KEEP_VOID },
	{ "ins", KEEP },
	{ "kbd", KEEP },
	{ "li", KEEP },
	{ "main", KEEP },
	{ "mark", KEEP },
	{ "nav", KEEP },
	{ "ol", KEEP },
	{ "p", KEEP },
	{ "pre", KEEP },
	{ "q", KEEP },
	{ "s", KEEP },
	{ "samp", KEEP },
	{ "section", KEEP },
	{ "small", KEEP },
	{ "span", KEEP },
	{ "strike", KEEP },
	{ "strong", KEEP },
	{ "sub", KEEP },
	{ "summary", KEEP },
	{ "sup", KEEP },
	{ "table", KEEP },
	{ "tbody", KEEP },
	{ "td", KEEP },
	{ "tfoot", KEEP },
	{ "th", KEEP },
	{ "thead", KEEP },
	{ "tr", KEEP },
	{ "tt", KEEP },
	{ "u", KEEP },
	{ "ul", KEEP },
	{ "var", KEEP },
	{ "wbr", KEEP_VOID },
};

/* Elements dropped together with everything inside them: active content,
 * document-level elements, form controls, foreign (SVG, MathML) content. */
static const char *const drop_with_content[] = {
	"applet",
	"audio",
	"base",
	"basefont",
	"button",
	"canvas",
	"datalist",
	"dialog",
	"embed",
	"frame",
	"frameset",
	"head",
	"iframe",
	"input",
	"isindex",
	"keygen",
	"link",
	"math",
	"menu",
	"meta",
	"noembed",
	"noframes",
	"noscript",
	"object",
	"optgroup",
	"option",
	"param",
	"picture",
	"plaintext",
	"script",
	"select",
	"slot",
	"source",
	"style",
	"svg",
	"template",
	"textarea",
	"title",
	"track",
	"video",
	"xmp",
};

/* Attributes kept on any kept element (values are re-escaped).  href and
 * src are handled apart. */
static const char *const keep_attrs[] = {
	"abbr",
	"align",
	"alt",
	"axis",
	"bgcolor",
	"border",
	"cellpadding",
	"cellspacing",
	"char",
	"charoff",
	"clear",
	"color",
	"cols",
	"colspan",
	"compact",
	"datetime",
	"dir",
	"face",
	"headers",
	"height",
	"hspace",
	"lang",
	"noshade",
	"nowrap",
	"open",
	"rowspan",
	"rules",
	"scope",
	"size",
	"span",
	"start",
	"style",
	"summary",
	"title",
	"type",
	"valign",
	"value",
	"vspace",
	"width",
};

static void
out_grow(struct out *o, size_t need)
{
	size_t cap;
	char *p;

	if (o->failed)
		return;
	if (need > o->max) {
		o->failed = SP_ETOOBIG;
		return;
	}
	if (need <= o->cap)
		return;
	cap = o->cap ? o->cap : 4096;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if ((p = realloc(o->p, cap)) == NULL) {
		o->failed = SP_ENOMEM;
		return;
	}
	o->p = p;
	o->cap = cap;
}

static void
out_mem(struct out *o, const char *s, size_t n)
{
	/* one more byte so the result can always be NUL-terminated */
	out_grow(o, o->len + n + 1);
	if (o->failed)
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

/* Text and attribute values: every markup-significant byte escaped. */
static void
out_escaped(struct out *o, const char *s, size_t n)
{
	size_t i, start = 0;
	const char *rep;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		case '\0':
			rep = "\xef\xbf\xbd";
			break;
		default:
			continue;
		}
		out_mem(o, s + start, i - start);
		out_str(o, rep);
		start = i + 1;
	}
	out_mem(o, s + start, n - start);
}

static void
out_attr(struct out *o, const char *name, const char *value)
{
	out_str(o, " ");
	out_str(o, name);
	out_str(o, "=\"");
	out_escaped(o, value, strlen(value));
	out_str(o, "\"");
}

static enum action
elem_action(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(drop_with_content) / sizeof(*drop_with_content);
	     i++)
		if (strcmp(name, drop_with_content[i]) == 0)
			return DROP_ALL;
	for (i = 0; i < sizeof(keep_elems) / sizeof(*keep_elems); i++)
		if (strcmp(name, keep_elems[i].name) == 0)
			return keep_elems[i].act;
	return UNWRAP;
}

static bool
attr_allowed(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keep_attrs) / sizeof(*keep_attrs); i++)
		if (strcmp(name, keep_attrs[i]) == 0)
			return true;
	return false;
}

/* A copy of a URL with what browsers ignore taken out: leading and
 * trailing spaces and C0 controls, and tabs and newlines anywhere. */
static char *
url_clean(const char *v)
{
	size_t n = strlen(v), i, j = 0;
	char *c;

	while (n > 0 && (unsigned char)v[n - 1] <= 0x20)
		n--;
	while (n > 0 && (unsigned char)*v <= 0x20) {
		v++;
		n--;
	}
	if ((c = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (v[i] != '\t' && v[i] != '\n' && v[i] != '\r')
			c[j++] = v[i];
	c[j] = '\0';
	return c;
}

/* The scheme of url, lower case, into buf: 1.  No scheme (a relative
 * URL): 0.  A scheme longer than buf: -1. */
static int
url_scheme(const char *url, char *buf, size_t size)
{
	size_t i, j;

	for (i = 0; url[i] != ':'; i++)
		if (url[i] == '\0' || strchr("/?#", url[i]) != NULL)
			return 0;
	if (i == 0 || i >= size)
		return -1;
	for (j = 0; j < i; j++)
		buf[j] = (char)tolower((unsigned char)url[j]);
	buf[i] = '\0';
	return 1;
}

static bool
href_ok(const char *url)
{
	char scheme[16];
	int r;

	if ((r = url_scheme(url, scheme, sizeof(scheme))) <= 0)
		return r == 0 && url[0] == '#';
	return strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 ||
	    strcmp(scheme, "mailto") == 0;
}

/* data:image/(png|gif|jpeg|webp);base64, followed by base64 only. */
static bool
data_image_ok(const char *url)
{
	static const char *const types[] = { "png", "gif", "jpeg", "webp" };
	size_t i, n;
	const char *p;

	if (strncasecmp(url, "data:image/", 11) != 0)
		return false;
	p = url + 11;
	for (i = 0; i < sizeof(types) / sizeof(*types); i++) {
		n = strlen(types[i]);
		if (strncasecmp(p, types[i], n) == 0 &&
		    strncasecmp(p + n, ";base64,", 8) == 0)
			break;
	}
	if (i == sizeof(types) / sizeof(*types))
		return false;
	p += n + 8;
	return strspn(p,
	           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	           "0123456789+/= ") == strlen(p);
}

/* http, https or protocol-relative: an image fetched from elsewhere. */
static bool
src_is_remote(const char *url)
{
	char scheme[16];
	int r = url_scheme(url, scheme, sizeof(scheme));

	if (r == 0)
		return (url[0] == '/' || url[0] == '\\') &&
		    (url[1] == '/' || url[1] == '\\');
	return r > 0 &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
}

/* A URL from the cid hook: a data:image or a path on the portal itself
 * ("/..." but not "//host" or "/\host"). */
static bool
cid_result_ok(const char *url)
{
	if (data_image_ok(url))
		return true;
	return url[0] == '/' && url[1] != '/' && url[1] != '\\';
}

/* Functions a style value may call; any other "name(" drops the
 * declaration, which takes care of url(, expression(, image-set( etc. */
static bool
css_calls_ok(const char *v)
{
	static const char *const fn[] = { "rgb", "rgba", "hsl", "hsla",
		"calc" };
	const char *p, *q;
	size_t i, n;

	for (p = strchr(v, '('); p != NULL; p = strchr(p + 1, '(')) {
		for (q = p; q > v &&
		     (isalnum((unsigned char)q[-1]) || q[-1] == '-' ||
		         q[-1] == '_');
		     q--)
			;
		n = (size_t)(p - q);
		for (i = 0; i < sizeof(fn) / sizeof(*fn); i++)
			if (n == strlen(fn[i]) && strncasecmp(q, fn[i], n) == 0)
				break;
		if (i == sizeof(fn) / sizeof(*fn))
			return false;
	}
	return true;
}

/* One "property: value" declaration, trimmed: may it stay? */
static bool
css_decl_ok(const char *d, size_t n)
{
	static const char *const bad[] = { "\\", "/*", "*/", "@", "<", ">",
		"expression", "behavior", "behaviour", "binding", "javascript",
		"vbscript", "url", "image", "import", "&", "!ie" };
	char low[512];
	size_t i, colon;

	if (n == 0 || n >= sizeof(low))
		return false;
	for (i = 0; i < n; i++) {
		if ((unsigned char)d[i] < 0x20 || d[i] == 0x7f)
			return false;
		low[i] = (char)tolower((unsigned char)d[i]);
	}
	low[n] = '\0';
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (strstr(low, bad[i]) != NULL)
			return false;
	colon = strcspn(low, ":");
	if (colon == 0 || colon == n ||
	    strspn(low, "abcdefghijklmnopqrstuvwxyz-") < strcspn(low, " :"))
		return false;
	if (strncmp(low, "position", 8) == 0 && strstr(low, "static") == NULL &&
	    strstr(low, "relative") == NULL)
		return false;
	return css_calls_ok(low + colon + 1);
}

static size_t
trim(const char **s, size_t n)
{
	while (n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)(*s)[n - 1]))
		n--;
	return n;
}

/* The declarations of a style attribute that pass css_decl_ok(), joined
 * with "; ", into a new string ("" if none).  NULL: out of memory. */
static char *
css_filter(const char *style, size_t *dropped)
{
	size_t n = strlen(style), len = 0, dn;
	const char *p = style, *end = style + n, *semi, *d;
	char *res;

	/* each kept declaration may gain a space after its ";" */
	if ((res = malloc(2 * n + 1)) == NULL)
		return NULL;
	while (p < end) {
		if ((semi = memchr(p, ';', (size_t)(end - p))) == NULL)
			semi = end;
		d = p;
		dn = trim(&d, (size_t)(semi - p));
		if (dn > 0 && css_decl_ok(d, dn)) {
			if (len > 0) {
				memcpy(res + len, "; ", 2);
				len += 2;
			}
			memcpy(res + len, d, dn);
			len += dn;
		} else if (dn > 0) {
			(*dropped)++;
		}
		p = semi + 1;
	}
	res[len] = '\0';
	return res;
}

static void walk(struct san *s, const GumboNode *n, size_t depth);

static void
walk_children(struct san *s, const GumboVector *kids, size_t depth)
{
	unsigned int i;

	for (i = 0; i < kids->length && !s->o.failed; i++)
		walk(s, kids->data[i], depth);
}

static void
emit_style(struct san *s, const char *value)
{
	char *css = css_filter(value, &s->res->dropped);

	if (css == NULL) {
		s->o.failed = SP_ENOMEM;
		return;
	}
	if (css[0] != '\0')
		out_attr(&s->o, "style", css);
	free(css);
}

/* The allowed attributes of e; for <a>, a checked href and the link
 * attributes that go with it. */
static void
emit_attrs(struct san *s, const GumboElement *e, bool is_a)
{
	const GumboAttribute *a;
	bool href = false, away = false;
	unsigned int i;
	char *url;

	for (i = 0; i < e->attributes.length; i++) {
		a = e->attributes.data[i];
		if (is_a && !href && strcmp(a->name, "href") == 0) {
			if ((url = url_clean(a->value)) == NULL) {
				s->o.failed = SP_ENOMEM;
				return;
			}
			if ((href = href_ok(url)))
				out_attr(&s->o, "href", url);
			else
				s->res->dropped++;
			away = href && url[0] != '#';
			free(url);
		} else if (!attr_allowed(a->name) ||
		    strlen(a->value) > MAX_ATTR_VALUE) {
			s->res->dropped++;
		} else if (strcmp(a->name, "style") == 0) {
			emit_style(s, a->value);
		} else {
			out_attr(&s->o, a->name, a->value);
		}
	}
	/* a link that leaves the page opens apart, without a referrer */
	if (away) {
		out_attr(&s->o, "rel", "noopener noreferrer");
		out_attr(&s->o, "target", "_blank");
	}
}

/* The URL an img may show, malloc'd, or NULL (counted). */
static char *
img_url(struct san *s, const char *src)
{
	char *clean, *url = NULL;

	if ((clean = url_clean(src)) == NULL) {
		s->o.failed = SP_ENOMEM;
		return NULL;
	}
	if (data_image_ok(clean)) {
		url = clean;
		clean = NULL;
	} else if (strncasecmp(clean, "cid:", 4) == 0 && s->opts->cid_url) {
		url = s->opts->cid_url(s->opts->cid_ctx, clean + 4);
		if (url != NULL && !cid_result_ok(url)) {
			free(url);
			url = NULL;
		}
	} else if (src_is_remote(clean)) {
		s->res->remote_images++;
	}
	if (url == NULL)
		s->res->dropped++;
	free(clean);
	return url;
}

static void
emit_img(struct san *s, const GumboElement *e)
{
	const GumboAttribute *src = gumbo_get_attribute(&e->attributes, "src");
	char *url;

	if (src == NULL || (url = img_url(s, src->value)) == NULL) {
		if (src == NULL)
			s->res->dropped++;
		return;
	}
	out_str(&s->o, "<img");
	out_attr(&s->o, "src", url);
	free(url);
	emit_attrs(s, e, false);
	out_str(&s->o, ">");
}

/* The lower-case name of an element gumbo does not know, into buf. */
static const char *
unknown_name(const GumboElement *e, char *buf, size_t size)
{
	GumboStringPiece t = e->original_tag;
	size_t i;

	gumbo_tag_from_original_text(&t);
	if (t.data == NULL || t.length == 0 || t.length >= size)
		return "";
	for (i = 0; i < t.length; i++)
		buf[i] = (char)tolower((unsigned char)t.data[i]);
	buf[i] = '\0';
	return buf;
}

static void
walk_element(struct san *s, const GumboElement *e, size_t depth)
{
	char buf[32];
	const char *name;
	enum action act;

	name = e->tag == GUMBO_TAG_UNKNOWN ? unknown_name(e, buf, sizeof(buf))
	                                   : gumbo_normalized_tagname(e->tag);
	act = e->tag_namespace == GUMBO_NAMESPACE_HTML ? elem_action(name)
	                                               : DROP_ALL;
	if (act == DROP_ALL || (act != UNWRAP && e->tag == GUMBO_TAG_UNKNOWN)) {
		s->res->dropped++;
		if (act == DROP_ALL)
			return;
		act = UNWRAP;
	}
	if (depth >= s->max_depth) {
		s->res->depth_cut++;
		return;
	}
	if (act == UNWRAP) {
		walk_children(s, &e->children, depth + 1);
		return;
	}
	if (e->tag == GUMBO_TAG_IMG) {
		emit_img(s, e);
		return;
	}
	out_str(&s->o, "<");
	out_str(&s->o, name);
	emit_attrs(s, e, e->tag == GUMBO_TAG_A);
	/* a parser eats one newline after <pre>: give it one to eat */
	out_str(&s->o, e->tag == GUMBO_TAG_PRE ? ">\n" : ">");
	if (act == KEEP_VOID)
		return;
	walk_children(s, &e->children, depth + 1);
	out_str(&s->o, "</");
	out_str(&s->o, name);
	out_str(&s->o, ">");
}

static void
walk(struct san *s, const GumboNode *n, size_t depth)
{
	switch (n->type) {
	case GUMBO_NODE_DOCUMENT:
		walk_children(s, &n->v.document.children, depth);
		break;
	case GUMBO_NODE_ELEMENT:
		walk_element(s, &n->v.element, depth);
		break;
	case GUMBO_NODE_TEXT:
	case GUMBO_NODE_WHITESPACE:
		out_escaped(&s->o, n->v.text.text, strlen(n->v.text.text));
		break;
	default: /* comments, CDATA, template contents */
		s->res->dropped++;
		break;
	}
}

/* Elements that a later tag closes without an end tag, and void ones:
 * they do not make the tree deeper. */
static const char *const flat_elems[] = { "area", "base", "br", "caption",
	"col", "colgroup", "dd", "dt", "embed", "hr", "img", "input", "li",
	"link", "meta", "optgroup", "option", "p", "param", "rb", "rp", "rt",
	"source", "tbody", "td", "tfoot", "th", "thead", "tr", "track", "wbr" };

static bool
is_flat(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(flat_elems) / sizeof(*flat_elems); i++)
		if (strcmp(name, flat_elems[i]) == 0)
			return true;
	return false;
}

/* A cheap look at the raw markup before gumbo parses it.  Its tree
 * builder costs time in proportion to the depth of open elements for
 * each tag, and it frees the tree recursively: both are bounded here by
 * counting start tags and estimating the depth (start tags of elements
 * that nest, minus their end tags). */
static int
prescan(const char *in, size_t len, struct sp_error *err)
{
	size_t i, k, tags = 0, depth = 0;
	bool end;
	char name[12];

	for (i = 0; i + 1 < len; i++) {
		if (in[i] != '<')
			continue;
		end = in[i + 1] == '/';
		for (k = 0; k + 1 < sizeof(name) && i + 1 + end + k < len &&
		     isalnum((unsigned char)in[i + 1 + end + k]);
		     k++)
			name[k] =
			    (char)tolower((unsigned char)in[i + 1 + end + k]);
		name[k] = '\0';
		if (k == 0 || !isalpha((unsigned char)name[0]))
			continue;
		if (!end && ++tags > MAX_START_TAGS)
			return sp_error_set(err, SP_ETOOBIG,
			    "html: more than %u tags", MAX_START_TAGS);
		if (is_flat(name))
			continue;
		if (end)
			depth -= depth > 0;
		else if (++depth > MAX_NEST_ESTIMATE)
			return sp_error_set(err, SP_ETOOBIG,
			    "html: elements nested more than %u deep",
			    MAX_NEST_ESTIMATE);
	}
	return SP_OK;
}

static int
sanitize_tree(struct san *s, const char *in, size_t len)
{
	GumboOptions go = kGumboDefaultOptions;
	GumboOutput *g;

	go.max_errors = 100;
	if ((g = gumbo_parse_with_options(&go, in, len)) == NULL)
		return SP_ENOMEM;
	if (s->opts->document)
		out_str(&s->o,
		    "<!DOCTYPE html>\n<html><head><meta "
		    "charset=\"utf-8\"></head><body>");
	walk(s, g->document, 0);
	if (s->opts->document)
		out_str(&s->o, "</body></html>\n");
	gumbo_destroy_output(&go, g);
	out_mem(&s->o, "", 0);
	if (!s->o.failed)
		s->o.p[s->o.len] = '\0';
	return s->o.failed;
}

int
sp_html_sanitize(const char *in, size_t len, const struct sp_html_options *opts,
    struct sp_html_result *res, struct sp_error *err)
{
	static const struct sp_html_options defaults;
	struct san s;
	int rc;

	if (res == NULL || (in == NULL && len > 0))
		return sp_error_set(err, SP_EINVAL, "html: no input or result");
	memset(res, 0, sizeof(*res));
	memset(&s, 0, sizeof(s));
	s.opts = opts ? opts : &defaults;
	s.res = res;
	s.o.max = s.opts->max_output ? s.opts->max_output : DEF_MAX_OUTPUT;
	s.max_depth = s.opts->max_depth ? s.opts->max_depth : DEF_MAX_DEPTH;
	if (len > (s.opts->max_input ? s.opts->max_input : DEF_MAX_INPUT))
		return sp_error_set(err, SP_ETOOBIG,
		    "html: input of %zu bytes is over the limit", len);
	if ((rc = prescan(in, len, err)) != SP_OK)
		return rc;
	rc = sanitize_tree(&s, in ? in : "", len);
	if (rc != SP_OK) {
		free(s.o.p);
		memset(res, 0, sizeof(*res));
		return sp_error_set(err, rc, "html: %s",
		    rc == SP_ETOOBIG ? "output over the size limit"
		                     : "out of memory");
	}
	res->html = s.o.p;
	res->len = s.o.len;
	return SP_OK;
}

void
sp_html_result_cleanup(struct sp_html_result *res)
{
	if (res == NULL)
		return;
	free(res->html);
	memset(res, 0, sizeof(*res));
}
