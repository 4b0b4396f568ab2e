/* SPDX-License-Identifier: MIT */
/*
 * time_parse: the date and duration forms of sp_time.h.  Times are UTC
 * throughout, so that what an admin types means the same on every host.
 */
#include "sp_time.h"

#include "sp_config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define TIME_REL_MAX   ((int64_t)200 * 366 * 86400) /* 200 years */
#define TIME_QUOTE_MAX 64

static const char time_forms[] = "want now, +3d, -12h, +1d12h "
                                 "(units s m h d w), YYYY-MM-DD or "
                                 "YYYY-MM-DDTHH:MM[:SS][Z] in UTC";

static int
time_bad(struct sp_error *err, const char *s)
{
	return sp_error_set(err, SP_EFORMAT, "bad time \"%.*s\": %s",
	    TIME_QUOTE_MAX, s, time_forms);
}

/* Reads exactly n digits at *p; advances *p. */
static bool
time_digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* "+1d12h" and the like: one sign, then number-unit pairs, read as the
 * config's durations are, but every number with its unit ("+90" is not
 * a time). */
static bool
time_relative(const char *s, int64_t now, int64_t *out)
{
	size_t len = strlen(s);
	int64_t total;

	if (len < 2 || (s[len - 1] >= '0' && s[len - 1] <= '9'))
		return false;
	if (sp_config_parse_duration(s + 1, &total) != SP_OK ||
	    total > TIME_REL_MAX)
		return false;
	*out = now + (s[0] == '-' ? -total : total);
	return true;
}

/* "YYYY-MM-DD[(T| )HH:MM[:SS]][Z]", checked field by field. */
static bool
time_absolute(const char *s, int64_t *out)
{
	struct tm tm, back;
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	time_t t;

	if (!time_digits(&p, 4, &y) || *p++ != '-' ||
	    !time_digits(&p, 2, &mo) || *p++ != '-' || !time_digits(&p, 2, &d))
		return false;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (!time_digits(&p, 2, &h) || *p++ != ':' ||
		    !time_digits(&p, 2, &mi))
			return false;
		if (*p == ':' && (p++, !time_digits(&p, 2, &sec)))
			return false;
	}
	if (*p == 'Z')
		p++;
	if (*p != '\0' || y < 1970 || h > 23 || mi > 59 || sec > 59)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* timegm normalises 31 April into 1 May: refuse what moved */
	if (gmtime_r(&t, &back) == NULL || back.tm_year != y - 1900 ||
	    back.tm_mon != mo - 1 || back.tm_mday != d)
		return false;
	*out = (int64_t)t;
	return true;
}

int
sp_time_parse(const char *s, int64_t now, int64_t *out, struct sp_error *err)
{
	if (s == NULL)
		return sp_error_set(err, SP_EINVAL, "no time given");
	if (strcmp(s, "now") == 0) {
		*out = now;
		return SP_OK;
	}
	if ((s[0] == '+' || s[0] == '-') && time_relative(s, now, out))
		return SP_OK;
	if (s[0] >= '0' && s[0] <= '9' && time_absolute(s, out))
		return SP_OK;
	return time_bad(err, s);
}

const char *
sp_time_format(int64_t t, char buf[SP_TIME_STR_MAX])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, SP_TIME_STR_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, SP_TIME_STR_MAX, "@%lld", (long long)t);
	return buf;
}
