/* SPDX-License-Identifier: MIT */
/*
 * config_value: the syntax of each value type of sealpost.conf.
 *
 * One parser per type turns the text of a value into the field of struct
 * sp_config the key table names, and checks bounds; one formatter turns it
 * back into text that parses to the same value.  Failures come back as a
 * short phrase for the caller to prefix with "file:line: key: ".
 */
#include "config_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FIELD(cfg, k, type) ((type *)(void *)((char *)(cfg) + (k)->offset))
#define CFIELD(cfg, k, type)                                                   \
	((const type *)(const void *)((const char *)(cfg) + (k)->offset))

/* The value as shown in a message: in double quotes, a quote or a
 * backslash escaped with a backslash, every byte outside printable ASCII
 * as \xNN (so a message never carries control or invalid bytes), capped
 * with "..." after 64 bytes of value. */
static const char *
show(const char *s, char *buf, size_t cap)
{
	size_t i, o = 0;

	buf[o++] = '"';
	for (i = 0; s[i] != '\0' && o + 10 < cap && i < 64; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			buf[o++] = (char)c;
		} else {
			snprintf(buf + o, cap - o, "\\x%02x", c);
			o += 4;
		}
	}
	if (s[i] != '\0') {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* Digits only, no sign, no overflow. */
static int
parse_u64(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return SP_EFORMAT;
	for (; isdigit((unsigned char)*s); s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return SP_EFORMAT;
		v = v * 10 + d;
	}
	*sp = s;
	*out = v;
	return SP_OK;
}

static uint64_t
size_unit(char c)
{
	switch (tolower((unsigned char)c)) {
	case 'k':
		return 1024;
	case 'm':
		return 1024 * 1024;
	case 'g':
		return (uint64_t)1024 * 1024 * 1024;
	case 't':
		return (uint64_t)1024 * 1024 * 1024 * 1024;
	default:
		return 0;
	}
}

int
sp_config_parse_size(const char *s, uint64_t *out)
{
	uint64_t v, unit = 1;

	if (parse_u64(&s, &v) != SP_OK)
		return SP_EFORMAT;
	if (*s != '\0') {
		unit = size_unit(*s++);
		if (unit == 0 || *s != '\0')
			return SP_EFORMAT;
	}
	if (v > UINT64_MAX / unit)
		return SP_EFORMAT;
	*out = v * unit;
	return SP_OK;
}

static int64_t
duration_unit(char c)
{
	switch (c) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	case 'w':
		return 7 * 86400;
	default:
		return 0;
	}
}

/* "90", "90s", "10m", "1h30m", "30d", "2w": a bare number is seconds. */
int
sp_config_parse_duration(const char *s, int64_t *out)
{
	int64_t total = 0, unit;
	uint64_t v;
	bool bare;

	if (parse_u64(&s, &v) != SP_OK)
		return SP_EFORMAT;
	bare = *s == '\0';
	for (;;) {
		unit = bare ? 1 : duration_unit(*s++);
		if (unit == 0 || v > (uint64_t)(INT64_MAX / unit) ||
		    (int64_t)v * unit > INT64_MAX - total)
			return SP_EFORMAT;
		total += (int64_t)v * unit;
		if (bare || *s == '\0')
			break;
		if (parse_u64(&s, &v) != SP_OK)
			return SP_EFORMAT;
		if (*s == '\0')
			return SP_EFORMAT; /* "1h30": a unit is missing */
	}
	*out = total;
	return SP_OK;
}

const char *
sp_config_fmt_size(uint64_t v, char *buf, size_t cap)
{
	static const char units[] = "tgmk";
	size_t i;

	for (i = 0; v != 0 && units[i] != '\0'; i++) {
		uint64_t u = size_unit(units[i]);

		if (v % u == 0) {
			snprintf(buf, cap, "%" PRIu64 "%c", v / u, units[i]);
			return buf;
		}
	}
	snprintf(buf, cap, "%" PRIu64, v);
	return buf;
}

const char *
sp_config_fmt_duration(int64_t v, char *buf, size_t cap)
{
	static const char units[] = "dhms";
	size_t i, o = 0;

	if (v <= 0) {
		snprintf(buf, cap, "%" PRId64 "s", v);
		return buf;
	}
	buf[0] = '\0';
	for (i = 0; units[i] != '\0'; i++) {
		int64_t u = duration_unit(units[i]);
		int n;

		if (v / u == 0)
			continue;
		n = snprintf(
		    buf + o, cap - o, "%" PRId64 "%c", v / u, units[i]);
		if (n < 0 || (size_t)n >= cap - o)
			break;
		o += (size_t)n;
		v %= u;
	}
	return buf;
}

static bool
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Length of the well-formed UTF-8 sequence at s, or 0 (overlong forms,
 * surrogates, code points past U+10FFFF and cut sequences are not). */
static size_t
utf8_len(const unsigned char *s)
{
	static const uint32_t min_cp[] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t c = s[0];
	size_t need, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 2, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4, c &= 0x07;
	else
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80) /* a NUL stops here too */
			return 0;
		c = (c << 6) | (s[i] & 0x3fu);
	}
	if (c < min_cp[need] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return need;
}

static bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (; *p != '\0'; p += n)
		if ((n = utf8_len(p)) == 0)
			return false;
	return true;
}

static int
socket_inet(
    const char *rest, int af, struct sp_socket *out, struct sp_error *err)
{
	const char *at = strchr(rest, '@');
	const char *p = rest;
	unsigned char addr[16];
	uint64_t port;

	if (at == NULL || at[1] == '\0')
		return sp_error_set(err, SP_EFORMAT,
		    "needs PORT@ADDRESS (for example inet:8890@127.0.0.1)");
	if (parse_u64(&p, &port) != SP_OK || p != at || port == 0 ||
	    port > 65535)
		return sp_error_set(err, SP_EFORMAT,
		    "the port must be a number from 1 to 65535");
	if (strlen(at + 1) >= sizeof(out->host) ||
	    inet_pton(af, at + 1, addr) != 1)
		return sp_error_set(err, SP_EFORMAT,
		    "the address must be an %s literal, not a host name",
		    af == AF_INET ? "IPv4" : "IPv6");
	out->kind = af == AF_INET ? SP_SOCKET_INET : SP_SOCKET_INET6;
	snprintf(out->host, sizeof(out->host), "%s", at + 1);
	out->port = (uint16_t)port;
	return SP_OK;
}

int
sp_config_socket_parse(
    const char *spec, struct sp_socket *out, struct sp_error *err)
{
	const char *rest;

	memset(out, 0, sizeof(*out));
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		rest = strchr(spec, ':') + 1;
		if (rest[0] != '/')
			return sp_error_set(err, SP_EFORMAT,
			    "a unix socket needs an absolute path");
		if (strlen(rest) >= sizeof(out->path) || has_control(rest))
			return sp_error_set(err, SP_EFORMAT,
			    "the socket path is too long or not printable");
		out->kind = SP_SOCKET_UNIX;
		snprintf(out->path, sizeof(out->path), "%s", rest);
		return SP_OK;
	}
	if (strncmp(spec, "inet:", 5) == 0)
		return socket_inet(spec + 5, AF_INET, out, err);
	if (strncmp(spec, "inet6:", 6) == 0)
		return socket_inet(spec + 6, AF_INET6, out, err);
	return sp_error_set(err, SP_EFORMAT,
	    "must be unix:/PATH, inet:PORT@IPV4 or inet6:PORT@IPV6");
}

/* why = the value shown, then the phrase ("\"x\" is not a size"). */
static int
fail(char *why, size_t cap, const char *phrase, const char *text)
{
	char shown[80];

	snprintf(why, cap, "%s %s", show(text, shown, sizeof(shown)), phrase);
	return SP_EFORMAT;
}

/* "a, b or c" from a NULL-terminated list, with a suffix on each. */
static const char *
join(const char *const *v, const char *suffix, char *buf, size_t cap)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; v[i] != NULL && o < cap; i++) {
		int n = snprintf(buf + o, cap - o, "%s%s%s",
		    i == 0 ? "" : (v[i + 1] == NULL ? " or " : ", "), v[i],
		    suffix);

		if (n < 0)
			break;
		o += (size_t)n;
	}
	return buf;
}

static int
check_url(const struct sp_config_key *k, const char *t, char *why, size_t cap)
{
	const char *sep = strstr(t, "://");
	char list[128], fmt[192];
	size_t i;

	for (i = 0; sep != NULL && k->values[i] != NULL; i++)
		if (strlen(k->values[i]) == (size_t)(sep - t) &&
		    strncasecmp(t, k->values[i], (size_t)(sep - t)) == 0)
			break;
	if (sep == NULL || k->values[i] == NULL) {
		snprintf(fmt, sizeof(fmt), "must start with %s",
		    join(k->values, "://", list, sizeof(list)));
		return fail(why, cap, fmt, t);
	}
	if (sep[3] == '\0' || sep[3] == '/')
		return fail(why, cap, "has no host", t);
	if (strpbrk(t, " \"'<>\\`") != NULL)
		return fail(why, cap, "holds a space, quote or bracket", t);
	return SP_OK;
}

/* A plain envelope address: local@domain, nothing that needs quoting. */
static int
check_address(const char *t, char *why, size_t cap)
{
	const char *at = strchr(t, '@');

	if (at == NULL || at == t || at[1] == '\0' || strchr(at + 1, '@') ||
	    strlen(t) > 254 || strpbrk(t, " \"'<>()[],;:\\") != NULL)
		return fail(
		    why, cap, "is not a plain mail address (local@domain)", t);
	return SP_OK;
}

static int
check_color(const char *t, char *why, size_t cap)
{
	size_t i, n = strlen(t);

	if (t[0] != '#' || (n != 4 && n != 7))
		return fail(why, cap, "is not a colour (#rgb or #rrggbb)", t);
	for (i = 1; i < n; i++)
		if (!isxdigit((unsigned char)t[i]))
			return fail(
			    why, cap, "is not a colour (#rgb or #rrggbb)", t);
	return SP_OK;
}

static int
check_enum(const struct sp_config_key *k, const char *t, char *why, size_t cap)
{
	char list[256], fmt[320];
	size_t i;

	for (i = 0; k->values[i] != NULL; i++)
		if (strcmp(t, k->values[i]) == 0)
			return SP_OK;
	snprintf(fmt, sizeof(fmt), "is not one of %s",
	    join(k->values, "", list, sizeof(list)));
	return fail(why, cap, fmt, t);
}

static int
check_socket(const char *t, char *why, size_t cap)
{
	struct sp_socket sock;
	struct sp_error err;
	char shown[80];

	if (sp_config_socket_parse(t, &sock, &err) == SP_OK)
		return SP_OK;
	snprintf(why, cap, "%s: %s", show(t, shown, sizeof(shown)), err.msg);
	return SP_EFORMAT;
}

/* The syntax check of each text type; SP_OK when t is acceptable. */
static int
check_text(const struct sp_config_key *k, const char *t, char *why, size_t cap)
{
	if (has_control(t) || strlen(t) > 1024)
		return fail(why, cap, "is too long or holds control bytes", t);
	if (!utf8_valid(t))
		return fail(why, cap, "is not valid UTF-8", t);
	switch (k->type) {
	case SP_CT_PATH:
		if (t[0] != '/')
			return fail(why, cap, "is not an absolute path", t);
		return SP_OK;
	case SP_CT_URL:
		return check_url(k, t, why, cap);
	case SP_CT_ADDRESS:
		return check_address(t, why, cap);
	case SP_CT_COLOR:
		return check_color(t, why, cap);
	case SP_CT_ENUM:
		return check_enum(k, t, why, cap);
	case SP_CT_SOCKET:
		return check_socket(t, why, cap);
	default:
		return SP_OK;
	}
}

static int
set_text(const struct sp_config_key *k, const char *t, struct sp_config *cfg,
    char *why, size_t cap)
{
	char **field = FIELD(cfg, k, char *);
	char *copy = NULL;
	size_t n;

	if (t[0] == '\0' && (k->def == NULL || k->def[0] != '\0')) {
		snprintf(why, cap, "needs a value");
		return SP_EFORMAT;
	}
	if (t[0] != '\0') {
		if (check_text(k, t, why, cap) != SP_OK)
			return SP_EFORMAT;
		copy = strdup(t);
		if (copy == NULL) {
			snprintf(why, cap, "out of memory");
			return SP_ENOMEM;
		}
		/* portal_url and friends are stored without a trailing '/' */
		n = strlen(copy);
		while (k->type == SP_CT_URL && n > 0 && copy[n - 1] == '/')
			copy[--n] = '\0';
	}
	free(*field);
	*field = copy;
	return SP_OK;
}

/* Bounds of k written in its own units, "1m..1024g". */
static const char *
bounds(const struct sp_config_key *k, char *buf, size_t cap)
{
	char lo[32], hi[32];

	if (k->type == SP_CT_SIZE) {
		sp_config_fmt_size(k->min, lo, sizeof(lo));
		sp_config_fmt_size(k->max, hi, sizeof(hi));
	} else if (k->type == SP_CT_DURATION) {
		sp_config_fmt_duration((int64_t)k->min, lo, sizeof(lo));
		sp_config_fmt_duration((int64_t)k->max, hi, sizeof(hi));
	} else if (k->type == SP_CT_MODE) {
		snprintf(lo, sizeof(lo), "%04" PRIo64, k->min);
		snprintf(hi, sizeof(hi), "%04" PRIo64, k->max);
	} else {
		snprintf(lo, sizeof(lo), "%" PRIu64, k->min);
		snprintf(hi, sizeof(hi), "%" PRIu64, k->max);
	}
	snprintf(buf, cap, "%s..%s", lo, hi);
	return buf;
}

static int
parse_number(const struct sp_config_key *k, const char *t, uint64_t *v,
    char *why, size_t cap)
{
	const char *p = t;
	int64_t d;
	size_t n = strlen(t);

	switch (k->type) {
	case SP_CT_SIZE:
		if (sp_config_parse_size(t, v) != SP_OK)
			return fail(why, cap,
			    "is not a size (a number with an optional k, m, g or t)",
			    t);
		return SP_OK;
	case SP_CT_DURATION:
		if (sp_config_parse_duration(t, &d) != SP_OK)
			return fail(why, cap,
			    "is not a duration (a number with s, m, h, d or w)",
			    t);
		*v = (uint64_t)d;
		return SP_OK;
	case SP_CT_MODE:
		*v = 0;
		if (n < 3 || n > 4 || strspn(t, "01234567") != n)
			return fail(
			    why, cap, "is not an octal mode such as 0660", t);
		for (; *p != '\0'; p++)
			*v = *v * 8 + (uint64_t)(*p - '0');
		return SP_OK;
	default:
		if (parse_u64(&p, v) != SP_OK || *p != '\0')
			return fail(why, cap, "is not a whole number", t);
		return SP_OK;
	}
}

static int
set_number(const struct sp_config_key *k, const char *t, struct sp_config *cfg,
    char *why, size_t cap)
{
	char shown[80], range[80];
	uint64_t v;

	if (parse_number(k, t, &v, why, cap) != SP_OK)
		return SP_EFORMAT;
	if (v < k->min || v > k->max) {
		snprintf(why, cap, "%s is out of bounds (%s)",
		    show(t, shown, sizeof(shown)),
		    bounds(k, range, sizeof(range)));
		return SP_EFORMAT;
	}
	if (k->type == SP_CT_SIZE)
		*FIELD(cfg, k, uint64_t) = v;
	else if (k->type == SP_CT_DURATION)
		*FIELD(cfg, k, int64_t) = (int64_t)v;
	else
		*FIELD(cfg, k, uint32_t) = (uint32_t)v;
	return SP_OK;
}

static int
set_bool(const struct sp_config_key *k, const char *t, struct sp_config *cfg,
    char *why, size_t cap)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(t, yes[i]) == 0 || strcasecmp(t, no[i]) == 0) {
			*FIELD(cfg, k, bool) = strcasecmp(t, yes[i]) == 0;
			return SP_OK;
		}
	}
	return fail(why, cap, "is not yes or no", t);
}

int
sp_config_value_set(const struct sp_config_key *k, const char *text,
    struct sp_config *cfg, char *why, size_t cap)
{
	switch (k->type) {
	case SP_CT_INT:
	case SP_CT_SIZE:
	case SP_CT_DURATION:
	case SP_CT_MODE:
		return set_number(k, text, cfg, why, cap);
	case SP_CT_BOOL:
		return set_bool(k, text, cfg, why, cap);
	default:
		return set_text(k, text, cfg, why, cap);
	}
}

const char *
sp_config_value_format(const struct sp_config_key *k,
    const struct sp_config *cfg, char *buf, size_t cap)
{
	const char *s;

	switch (k->type) {
	case SP_CT_INT:
		snprintf(buf, cap, "%" PRIu32, *CFIELD(cfg, k, uint32_t));
		return buf;
	case SP_CT_MODE:
		snprintf(buf, cap, "%04" PRIo32, *CFIELD(cfg, k, uint32_t));
		return buf;
	case SP_CT_SIZE:
		return sp_config_fmt_size(*CFIELD(cfg, k, uint64_t), buf, cap);
	case SP_CT_DURATION:
		return sp_config_fmt_duration(
		    *CFIELD(cfg, k, int64_t), buf, cap);
	case SP_CT_BOOL:
		snprintf(buf, cap, "%s", *CFIELD(cfg, k, bool) ? "yes" : "no");
		return buf;
	default:
		s = *CFIELD(cfg, k, char *const);
		snprintf(buf, cap, "%s", s != NULL ? s : "");
		return buf;
	}
}

void
sp_config_value_free(const struct sp_config_key *k, struct sp_config *cfg)
{
	char **field;

	switch (k->type) {
	case SP_CT_INT:
	case SP_CT_SIZE:
	case SP_CT_DURATION:
	case SP_CT_MODE:
	case SP_CT_BOOL:
		return;
	default:
		field = FIELD(cfg, k, char *);
		free(*field);
		*field = NULL;
	}
}
