/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Activation periods and expiry arithmetic. All times are seconds since the epoch (UTC);
 * the calendar periods (today, 1w, 2w, 1m) are computed in the process's local time zone,
 * which for the daemon is the host's zone (it never takes TZ from a caller). */

#include <errno.h>
#include <stdint.h>
#include <time.h>

/* An expiry that never comes: a permanent grant. Stored as NULL in the database. */
#define SG_TIME_NEVER ((time_t)INT64_MAX)

enum sg_period {
        SG_PERIOD_1H,
        SG_PERIOD_2H,
        SG_PERIOD_4H,
        SG_PERIOD_TODAY,
        SG_PERIOD_1W,
        SG_PERIOD_2W,
        SG_PERIOD_1M,
        SG_PERIOD_PERMANENT,
        _SG_PERIOD_MAX,
        _SG_PERIOD_INVALID = -EINVAL,
};

/* The names of sg_period_to_string() in order, as messages list them (test_period checks that
 * this is the table of period.c). */
#define SG_PERIOD_NAMES "1h, 2h, 4h, today, 1w, 2w, 1m or permanent"

/* "1h" "2h" "4h" "today" "1w" "2w" "1m" "permanent" -> enum; -EINVAL for anything else. */
int sg_period_from_string(const char *s, enum sg_period *ret);
const char *sg_period_to_string(enum sg_period p);
/* Human description: "1 hour", "until midnight", "permanently", ... */
const char *sg_period_describe(enum sg_period p);

/* Expiry of a grant of period p authorized at 'start':
 *   1h/2h/4h   start + n hours (elapsed time, DST does not matter)
 *   today      the next local midnight (24:00 of the day of 'start'), DST-correct
 *   1w/2w      same local wall-clock time 7/14 days later
 *   1m         same local wall-clock time and day-of-month next month, clamped to the last
 *              day of that month (Jan 31 -> Feb 28/29)
 *   permanent  SG_TIME_NEVER
 * Returns 0, or -EINVAL (bad period), -ERANGE (not representable). */
int sg_period_expiry(enum sg_period p, time_t start, time_t *ret_expiry);
