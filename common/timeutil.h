/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Parsing and printing of times and durations for people and for JSON. */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* A calendar-aware duration: "6 months" is not 180 days. */
enum sg_duration_unit {
        SG_UNIT_SECOND,
        SG_UNIT_MINUTE,
        SG_UNIT_HOUR,
        SG_UNIT_DAY,
        SG_UNIT_WEEK,
        SG_UNIT_MONTH,
        SG_UNIT_YEAR,
};

struct sg_duration {
        unsigned value;
        enum sg_duration_unit unit;
};

/* "6 months", "6months", "180d", "180 days", "2w", "12h", "30min", "90s", "1y": one number and
 * one unit. Accepted unit spellings: s sec second(s), min minute(s), h hour(s), d day(s),
 * w week(s), m month(s), y year(s). value must be 1..100000. -EINVAL otherwise. */
int sg_duration_parse(const char *s, struct sg_duration *ret);
/* Canonical text, e.g. "6 months", "7d" -> "7 days". */
int sg_duration_format(const struct sg_duration *d, char *buf, size_t size);
/* t plus/minus d, calendar units in local time (month end clamped). -ERANGE on overflow. */
int sg_duration_add(const struct sg_duration *d, time_t t, time_t *ret);
int sg_duration_sub(const struct sg_duration *d, time_t t, time_t *ret);

/* The first second of the local day 'days' days after the day of t: 0 is the start of t's own
 * day, 1 the next midnight (24:00 of t's day), -1 the start of the day before. DST-correct: a
 * day may be 23 or 25 hours long. -ERANGE when not representable. */
int sg_time_local_day_start(time_t t, int days, time_t *ret);

/* A point in time as a user writes it on a command line, relative to 'now':
 *   RFC 3339          2026-11-25T10:00:00Z, 2026-11-25T10:00:00+01:00, fractional seconds ok
 *   local date        2026-11-25            (00:00 local time)
 *   local date+time   "2026-11-25 10:00", "2026-11-25 10:00:30", 2026-11-25T10:00 (no zone)
 *   relative          a duration as above, meaning that long before now ("30d", "6 months")
 *   "now", "today" (local midnight), "yesterday"
 * -EINVAL when it is none of those (or the date does not exist, e.g. 2026-02-30). */
int sg_time_parse_when(const char *s, time_t now, time_t *ret);

/* RFC 3339 UTC with seconds: "2026-11-25T19:06:00Z" (20 chars + NUL). */
#define SG_RFC3339_MAX 32
int sg_time_format_rfc3339(time_t t, char *buf, size_t size);
/* Parses exactly what sg_time_format_rfc3339 prints and general RFC 3339 with offsets. */
int sg_time_parse_rfc3339(const char *s, time_t *ret);

/* For tables: "2026-11-25 20:06 CET" in local time, or in UTC ("2026-11-25 19:06 UTC") when
 * utc is true. */
#define SG_TIME_HUMAN_MAX 64
int sg_time_format_human(time_t t, bool utc, char *buf, size_t size);

/* Relative to now: "in 3h 12min", "in 2 days 4h", "in 45s", "3h 12min ago", "now".
 * SG_TIME_NEVER gives "never". */
int sg_time_format_relative(time_t t, time_t now, char *buf, size_t size);
