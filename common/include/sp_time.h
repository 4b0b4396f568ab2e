/* SPDX-License-Identifier: MIT */
/*
 * sp_time: dates and durations as admins type them, and as we print them.
 *
 * sp_time_parse() reads a point in time:
 *   - "now";
 *   - a relative time: a sign, a number and a unit, "+3d", "-12h",
 *     "+90m" (units s, m, h, d, w); several may follow each other,
 *     "+1d12h";
 *   - an absolute time in UTC: "2026-12-31", "2026-12-31T08:00",
 *     "2026-12-31 08:00:30", optionally ending in "Z".  Fields are checked
 *     (no 31 April, no 25:00); years 1970 to 9999.
 * Anything else fails with SP_EFORMAT and a message that quotes the
 * input (capped) and lists the accepted forms.
 *
 * sp_time_format() writes "2026-12-31T08:00:00Z" (UTC, ISO 8601).
 */
#ifndef SP_TIME_H
#define SP_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "sp_error.h"

#define SP_TIME_STR_MAX 32 /* room for sp_time_format, NUL included */

int sp_time_parse(const char *s, int64_t now, int64_t *out,
    struct sp_error *err) SP_MUST_CHECK;
/* Returns buf. */
const char *sp_time_format(int64_t t, char buf[SP_TIME_STR_MAX]);

#endif
