/* SPDX-License-Identifier: MIT */
/*
 * log_syslog: sp_log to syslog (LOG_MAIL) and, in the foreground, stderr.
 *
 * The settings (ident, foreground, level) are set once at start, before
 * threads exist; the level is atomic so a reload may change it later.
 * Every line is built in a local buffer, cleaned of control bytes and
 * written with one call, so lines from several threads never mix.
 */
#include "sp_log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static const char *log_ident = "sealpost";
static atomic_bool log_foreground;
static atomic_bool log_to_syslog = true;
static atomic_int log_level = LOG_INFO;

void
sp_log_open(const char *ident, bool foreground)
{
	log_ident = ident != NULL ? ident : "sealpost";
	atomic_store(&log_foreground, foreground);
	openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
sp_log_syslog(bool on)
{
	atomic_store(&log_to_syslog, on);
}

void
sp_log_close(void)
{
	closelog();
}

void
sp_log_set_level(int prio)
{
	atomic_store(&log_level, prio);
}

static const struct {
	const char *name;
	int prio;
} levels[] = {
	{ "debug", LOG_DEBUG },
	{ "info", LOG_INFO },
	{ "notice", LOG_NOTICE },
	{ "warning", LOG_WARNING },
	{ "err", LOG_ERR },
};

int
sp_log_level_from_name(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(name, levels[i].name) == 0)
			return levels[i].prio;
	return -1;
}

void
sp_vlog(int prio, const char *qid, const char *fmt, va_list ap)
{
	char line[SP_LOG_LINE_MAX];
	size_t i;
	int n;

	if (prio > atomic_load(&log_level))
		return;
	/* the queue id comes from the MTA: capped like any outside field,
	 * so that the message always has room after it */
	n = snprintf(line, sizeof(line), "%.*s: ", SP_LOG_FIELD_MAX,
	    qid != NULL ? qid : "-");
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);

	/* whatever a caller forgot to clean, the line stays one line */
	for (i = 0; line[i] != '\0'; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';

	if (atomic_load(&log_to_syslog))
		syslog(LOG_MAIL | prio, "%s", line);
	if (atomic_load(&log_foreground)) {
		flockfile(stderr);
		fprintf(stderr, "%s: %s\n", log_ident, line);
		funlockfile(stderr);
	}
}

void
sp_log(int prio, const char *qid, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sp_vlog(prio, qid, fmt, ap);
	va_end(ap);
}

static bool
needs_quotes(const unsigned char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return true;
	for (i = 0; i < n; i++)
		if (s[i] == ' ' || s[i] == '"' || s[i] == '\\' || s[i] == '=')
			return true;
	return false;
}

/* Bytes that c takes in the output. */
static size_t
width(unsigned char c, bool quoted)
{
	return quoted && (c == '"' || c == '\\') ? 2 : 1;
}

const char *
sp_log_clean(char *buf, size_t cap, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = len > SP_LOG_FIELD_MAX ? SP_LOG_FIELD_MAX : len;
	bool cut = len > n, quoted = needs_quotes(u, n);
	size_t i, o = 0, room, need = quoted ? 2 : 0;

	if (cap < 8) {
		if (cap > 0)
			buf[0] = '\0';
		return buf;
	}
	for (i = 0; i < n; i++)
		need += width(u[i], quoted);
	if (need + (cut ? 3 : 0) + 1 > cap)
		cut = true;
	room = cap - 1 - (quoted ? 2 : 0) - (cut ? 3 : 0);

	if (quoted)
		buf[o++] = '"';
	for (i = 0; i < n && o + width(u[i], quoted) <= room + quoted; i++) {
		unsigned char c = u[i] >= 0x20 && u[i] < 0x7f ? u[i] : '?';

		if (quoted && (c == '"' || c == '\\'))
			buf[o++] = '\\';
		buf[o++] = (char)c;
	}
	if (cut) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	if (quoted)
		buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}
