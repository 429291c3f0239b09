/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "period.h"
#include "timeutil.h"

#define DURATION_VALUE_MAX 100000u

static const struct {
        const char *name;
        enum sg_duration_unit unit;
} unit_names[] = {
        {"s", SG_UNIT_SECOND},       {"sec", SG_UNIT_SECOND}, {"second", SG_UNIT_SECOND},
        {"seconds", SG_UNIT_SECOND}, {"min", SG_UNIT_MINUTE}, {"minute", SG_UNIT_MINUTE},
        {"minutes", SG_UNIT_MINUTE}, {"h", SG_UNIT_HOUR},     {"hour", SG_UNIT_HOUR},
        {"hours", SG_UNIT_HOUR},     {"d", SG_UNIT_DAY},      {"day", SG_UNIT_DAY},
        {"days", SG_UNIT_DAY},       {"w", SG_UNIT_WEEK},     {"week", SG_UNIT_WEEK},
        {"weeks", SG_UNIT_WEEK},     {"m", SG_UNIT_MONTH},    {"month", SG_UNIT_MONTH},
        {"months", SG_UNIT_MONTH},   {"y", SG_UNIT_YEAR},     {"year", SG_UNIT_YEAR},
        {"years", SG_UNIT_YEAR},
};

static const struct {
        const char *one;
        const char *many;
} unit_words[] = {
        [SG_UNIT_SECOND] = {"second", "seconds"}, [SG_UNIT_MINUTE] = {"minute", "minutes"},
        [SG_UNIT_HOUR] = {"hour", "hours"},       [SG_UNIT_DAY] = {"day", "days"},
        [SG_UNIT_WEEK] = {"week", "weeks"},       [SG_UNIT_MONTH] = {"month", "months"},
        [SG_UNIT_YEAR] = {"year", "years"},
};

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_leap_year(long long year)
{
        return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* month 0..11 */
static int days_in_month(long long year, int month)
{
        static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

        if (month == 1 && is_leap_year(year))
                return 29;
        return days[month];
}

/* mktime() returns -1 both for failure and for 1969-12-31 23:59:59 UTC; glibc leaves *tm alone
 * on failure, so a tm_wday that is still out of range tells the two apart. */
static int mktime_checked(struct tm *tm, time_t *ret)
{
        time_t t;

        tm->tm_wday = -1;
        t = mktime(tm);
        if (t == (time_t)-1 && tm->tm_wday == -1)
                return -ERANGE;
        if (t == SG_TIME_NEVER)
                return -ERANGE;
        *ret = t;
        return 0;
}

/* Moves tm by n months, keeping the day of month where that month has it and clamping it to
 * the month's last day otherwise (Jan 31 + 1 month = Feb 28/29), as people count months. */
static int tm_add_months(struct tm *tm, long long n)
{
        long long total, year;
        int month;

        total = (long long)tm->tm_year * 12 + tm->tm_mon + n;
        year = total / 12;
        month = (int)(total % 12);
        if (month < 0) {
                month += 12;
                year--;
        }
        if (year < INT_MIN || year > INT_MAX)
                return -ERANGE;
        tm->tm_year = (int)year;
        tm->tm_mon = month;
        if (tm->tm_mday > days_in_month(year + 1900, month))
                tm->tm_mday = days_in_month(year + 1900, month);
        return 0;
}

int sg_duration_parse(const char *s, struct sg_duration *ret)
{
        unsigned long long v;
        char *end;

        if (!s || !ret)
                return -EINVAL;
        /* strtoull() alone would take leading spaces and a sign, and turn "-1" into a huge
         * number. */
        if (!is_digit(s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || v < 1 || v > DURATION_VALUE_MAX)
                return -EINVAL;
        while (*end == ' ' || *end == '\t')
                end++;
        for (size_t i = 0; i < ELEMENTSOF(unit_names); i++)
                if (streq(end, unit_names[i].name)) {
                        *ret = (struct sg_duration){.value = (unsigned)v,
                                                    .unit = unit_names[i].unit};
                        return 0;
                }
        return -EINVAL;
}

int sg_duration_format(const struct sg_duration *d, char *buf, size_t size)
{
        int n;

        if (!d || !buf || (unsigned)d->unit >= ELEMENTSOF(unit_words))
                return -EINVAL;
        n = snprintf(buf, size, "%u %s", d->value,
                     d->value == 1 ? unit_words[d->unit].one : unit_words[d->unit].many);
        if (n < 0 || (size_t)n >= size)
                return -ENOBUFS;
        return 0;
}

static int duration_shift(const struct sg_duration *d, time_t t, int sign, time_t *ret)
{
        static const int64_t unit_seconds[] = {
                [SG_UNIT_SECOND] = 1,
                [SG_UNIT_MINUTE] = 60,
                [SG_UNIT_HOUR] = 3600,
        };
        long long n;
        struct tm tm;
        time_t r;
        int k;

        /* The range keeps the arithmetic below far from int overflow. */
        if (!d || !ret || d->value < 1 || d->value > DURATION_VALUE_MAX)
                return -EINVAL;
        n = (long long)d->value * sign;

        switch (d->unit) {
        case SG_UNIT_SECOND:
        case SG_UNIT_MINUTE:
        case SG_UNIT_HOUR:
                /* Elapsed time: "12h" is twelve hours, whatever the clocks do meanwhile. */
                if (__builtin_add_overflow(t, n * unit_seconds[d->unit], &r) || r == SG_TIME_NEVER)
                        return -ERANGE;
                *ret = r;
                return 0;
        case SG_UNIT_DAY:
        case SG_UNIT_WEEK:
        case SG_UNIT_MONTH:
        case SG_UNIT_YEAR:
                break;
        default:
                return -EINVAL;
        }

        /* Calendar units keep the local wall-clock time: a week from Monday 10:00 is Monday
         * 10:00, even across a DST change (167 or 169 hours then). */
        if (!localtime_r(&t, &tm))
                return -ERANGE;
        if (d->unit == SG_UNIT_DAY)
                tm.tm_mday += (int)n;
        else if (d->unit == SG_UNIT_WEEK)
                tm.tm_mday += (int)n * 7;
        else {
                k = tm_add_months(&tm, d->unit == SG_UNIT_YEAR ? n * 12 : n);
                if (k < 0)
                        return k;
        }
        tm.tm_isdst = -1;
        return mktime_checked(&tm, ret);
}

int sg_duration_add(const struct sg_duration *d, time_t t, time_t *ret)
{
        return duration_shift(d, t, +1, ret);
}

int sg_duration_sub(const struct sg_duration *d, time_t t, time_t *ret)
{
        return duration_shift(d, t, -1, ret);
}

int sg_time_local_day_start(time_t t, int days, time_t *ret)
{
        struct tm tm;
        time_t r;
        int k;

        if (!ret || days < -100000 || days > 100000)
                return -EINVAL;
        if (!localtime_r(&t, &tm))
                return -ERANGE;
        tm.tm_mday += days;
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        /* Let mktime() decide whether DST applies at that midnight; in zones whose DST starts
         * at 00:00 (America/Santiago, Asia/Beirut) the day then begins at 01:00, which glibc
         * answers for a midnight that does not exist. */
        tm.tm_isdst = -1;
        k = mktime_checked(&tm, &r);
        if (k < 0)
                return k;
        /* An answer on the wrong side of t would turn a grant "until midnight" into one that
         * has already expired; refuse rather than guess. */
        if ((days > 0 && r <= t) || (days <= 0 && r > t))
                return -ERANGE;
        *ret = r;
        return 0;
}

/* ---- points in time ---- */

struct datetime {
        struct tm tm;
        bool has_time, has_seconds, has_zone;
        int offset; /* seconds east of UTC, with has_zone */
};

/* Exactly n digits, value within min..max. Fixed widths keep "2026-1-5" and "+5" out, which
 * strtol() would take. */
static int parse_digits(const char **p, size_t n, int min, int max, int *ret)
{
        int v = 0;

        for (size_t i = 0; i < n; i++) {
                if (!is_digit((*p)[i]))
                        return -EINVAL;
                v = v * 10 + ((*p)[i] - '0');
        }
        if (v < min || v > max)
                return -EINVAL;
        *p += n;
        *ret = v;
        return 0;
}

/* YYYY-MM-DD[(T|t| )HH:MM[:SS[.frac]][Z|z|(+|-)HH:MM]]. Checks that the date exists. Leap
 * seconds (:60) are refused: time_t cannot name them. */
static int parse_datetime(const char *s, struct datetime *ret)
{
        struct datetime dt = {};
        int year, month, day;
        const char *p = s;

        if (parse_digits(&p, 4, 1, 9999, &year) < 0 || *p++ != '-' ||
            parse_digits(&p, 2, 1, 12, &month) < 0 || *p++ != '-' ||
            parse_digits(&p, 2, 1, 31, &day) < 0)
                return -EINVAL;
        if (day > days_in_month(year, month - 1))
                return -EINVAL;
        dt.tm.tm_year = year - 1900;
        dt.tm.tm_mon = month - 1;
        dt.tm.tm_mday = day;

        if (*p == '\0') {
                *ret = dt;
                return 0;
        }
        if (*p != 'T' && *p != 't' && *p != ' ')
                return -EINVAL;
        p++;
        if (parse_digits(&p, 2, 0, 23, &dt.tm.tm_hour) < 0 || *p++ != ':' ||
            parse_digits(&p, 2, 0, 59, &dt.tm.tm_min) < 0)
                return -EINVAL;
        dt.has_time = true;
        if (*p == ':') {
                p++;
                if (parse_digits(&p, 2, 0, 59, &dt.tm.tm_sec) < 0)
                        return -EINVAL;
                dt.has_seconds = true;
                if (*p == '.') {
                        /* Fractions are dropped: every time here is whole seconds. */
                        p++;
                        if (!is_digit(*p))
                                return -EINVAL;
                        while (is_digit(*p))
                                p++;
                }
        }

        if (*p == 'Z' || *p == 'z') {
                p++;
                dt.has_zone = true;
        } else if (*p == '+' || *p == '-') {
                int sign = *p == '-' ? -1 : 1, hh, mm;

                p++;
                if (parse_digits(&p, 2, 0, 23, &hh) < 0 || *p++ != ':' ||
                    parse_digits(&p, 2, 0, 59, &mm) < 0)
                        return -EINVAL;
                dt.has_zone = true;
                dt.offset = sign * (hh * 3600 + mm * 60);
        }
        if (*p != '\0')
                return -EINVAL;
        *ret = dt;
        return 0;
}

static int datetime_to_time(struct datetime *dt, time_t *ret)
{
        time_t t;

        if (!dt->has_zone) {
                dt->tm.tm_isdst = -1;
                return mktime_checked(&dt->tm, ret);
        }
        /* Years are 1..9999 here, far inside time_t. */
        t = timegm(&dt->tm);
        *ret = t - dt->offset;
        return 0;
}

int sg_time_parse_rfc3339(const char *s, time_t *ret)
{
        struct datetime dt;

        if (!s || !ret)
                return -EINVAL;
        if (parse_datetime(s, &dt) < 0 || !dt.has_seconds || !dt.has_zone)
                return -EINVAL;
        return datetime_to_time(&dt, ret);
}

int sg_time_parse_when(const char *s, time_t now, time_t *ret)
{
        struct sg_duration d;
        struct datetime dt;

        if (!s || !ret)
                return -EINVAL;
        if (streq(s, "now")) {
                *ret = now;
                return 0;
        }
        if (streq(s, "today"))
                return sg_time_local_day_start(now, 0, ret);
        if (streq(s, "yesterday"))
                return sg_time_local_day_start(now, -1, ret);

        /* Four digits and a dash can only be meant as a date; a bad one must not fall through
         * to the duration parser. */
        if (strlen(s) >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) &&
            is_digit(s[3]) && s[4] == '-') {
                if (parse_datetime(s, &dt) < 0)
                        return -EINVAL;
                return datetime_to_time(&dt, ret);
        }

        if (sg_duration_parse(s, &d) < 0)
                return -EINVAL;
        return sg_duration_sub(&d, now, ret);
}

int sg_time_format_rfc3339(time_t t, char *buf, size_t size)
{
        struct tm tm;

        if (!buf)
                return -EINVAL;
        if (t == SG_TIME_NEVER || !gmtime_r(&t, &tm))
                return -ERANGE;
        if (strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return -ENOBUFS;
        return 0;
}

int sg_time_format_human(time_t t, bool utc, char *buf, size_t size)
{
        struct tm tm;
        size_t n;

        if (!buf)
                return -EINVAL;
        /* Tables show permanent grants in the same column as the others. */
        if (t == SG_TIME_NEVER) {
                if (strcpy_checked(buf, size, "never") < 0)
                        return -ENOBUFS;
                return 0;
        }
        if (utc) {
                if (!gmtime_r(&t, &tm))
                        return -ERANGE;
                n = strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm);
        } else {
                if (!localtime_r(&t, &tm))
                        return -ERANGE;
                n = strftime(buf, size, "%Y-%m-%d %H:%M %Z", &tm);
        }
        if (n == 0)
                return -ENOBUFS;
        return 0;
}

int sg_time_format_relative(time_t t, time_t now, char *buf, size_t size)
{
        char big[32], small[16] = "";
        uint64_t a, days;
        unsigned h, m, s;
        int64_t diff;
        int n;

        if (!buf)
                return -EINVAL;
        if (t == SG_TIME_NEVER) {
                if (strcpy_checked(buf, size, "never") < 0)
                        return -ENOBUFS;
                return 0;
        }
        if (__builtin_sub_overflow((int64_t)t, (int64_t)now, &diff))
                return -ERANGE;
        if (diff == 0) {
                if (strcpy_checked(buf, size, "now") < 0)
                        return -ENOBUFS;
                return 0;
        }

        /* Unsigned negation, so that INT64_MIN does not overflow. */
        a = diff > 0 ? (uint64_t)diff : (uint64_t)0 - (uint64_t)diff;
        days = a / 86400;
        h = (unsigned)(a % 86400 / 3600);
        m = (unsigned)(a % 3600 / 60);
        s = (unsigned)(a % 60);

        /* The two largest units are enough to read at a glance; the smaller is left out when
         * zero ("in 2 days", not "in 2 days 0h"). */
        if (days > 0) {
                (void)snprintf(big, sizeof(big), "%" PRIu64 " %s", days,
                               days == 1 ? "day" : "days");
                if (h > 0)
                        (void)snprintf(small, sizeof(small), " %uh", h);
        } else if (h > 0) {
                (void)snprintf(big, sizeof(big), "%uh", h);
                if (m > 0)
                        (void)snprintf(small, sizeof(small), " %umin", m);
        } else if (m > 0) {
                (void)snprintf(big, sizeof(big), "%umin", m);
                if (s > 0)
                        (void)snprintf(small, sizeof(small), " %us", s);
        } else
                (void)snprintf(big, sizeof(big), "%us", s);

        if (diff > 0)
                n = snprintf(buf, size, "in %s%s", big, small);
        else
                n = snprintf(buf, size, "%s%s ago", big, small);
        if (n < 0 || (size_t)n >= size)
                return -ENOBUFS;
        return 0;
}
