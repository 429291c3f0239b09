/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "macro.h"
#include "period.h"
#include "timeutil.h"

#define MINUTE 60
#define HOUR   3600
#define DAY    (24 * HOUR)

/* The epoch of a wall-clock time at a given UTC offset (hours), computed with timegm() alone
 * so that the expectations do not come from the code under test. CET is +1, CEST +2. */
static time_t at_s(int y, int mo, int d, int h, int mi, int s, int off_h)
{
        struct tm tm = {
                .tm_year = y - 1900,
                .tm_mon = mo - 1,
                .tm_mday = d,
                .tm_hour = h,
                .tm_min = mi,
                .tm_sec = s,
        };

        return timegm(&tm) - (time_t)off_h * HOUR;
}

static time_t at(int y, int mo, int d, int h, int mi, int off_h)
{
        return at_s(y, mo, d, h, mi, 0, off_h);
}

static int setup_berlin(void **state)
{
        assert_int_equal(setenv("TZ", "Europe/Berlin", 1), 0);
        tzset();
        return 0;
}

/* ---- durations ---- */

static void test_duration_parse(void **state)
{
        static const struct {
                const char *text;
                unsigned value;
                enum sg_duration_unit unit;
        } good[] = {
                {"6 months", 6, SG_UNIT_MONTH},   {"6months", 6, SG_UNIT_MONTH},
                {"1 month", 1, SG_UNIT_MONTH},    {"3m", 3, SG_UNIT_MONTH},
                {"180d", 180, SG_UNIT_DAY},       {"180 days", 180, SG_UNIT_DAY},
                {"1 day", 1, SG_UNIT_DAY},        {"7d", 7, SG_UNIT_DAY},
                {"2w", 2, SG_UNIT_WEEK},          {"1 week", 1, SG_UNIT_WEEK},
                {"3 weeks", 3, SG_UNIT_WEEK},     {"12h", 12, SG_UNIT_HOUR},
                {"1 hour", 1, SG_UNIT_HOUR},      {"5 hours", 5, SG_UNIT_HOUR},
                {"30min", 30, SG_UNIT_MINUTE},    {"1 minute", 1, SG_UNIT_MINUTE},
                {"2 minutes", 2, SG_UNIT_MINUTE}, {"90s", 90, SG_UNIT_SECOND},
                {"1 sec", 1, SG_UNIT_SECOND},     {"1 second", 1, SG_UNIT_SECOND},
                {"9 seconds", 9, SG_UNIT_SECOND}, {"1y", 1, SG_UNIT_YEAR},
                {"2 years", 2, SG_UNIT_YEAR},     {"1 year", 1, SG_UNIT_YEAR},
                {"007d", 7, SG_UNIT_DAY},         {"100000s", 100000, SG_UNIT_SECOND},
                {"1\td", 1, SG_UNIT_DAY},
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                struct sg_duration d = {};

                assert_int_equal(sg_duration_parse(good[i].text, &d), 0);
                assert_int_equal(d.value, good[i].value);
                assert_int_equal(d.unit, good[i].unit);
        }
}

static void test_duration_parse_bad(void **state)
{
        static const char *const bad[] = {
                "",
                "0d",
                "0 months",
                "-1d",
                "+1d",
                " 1d",
                "1d ",
                "1",
                "d",
                "months",
                "1x",
                "1 dayz",
                "100001s",
                "1.5h",
                "1h30min",
                "6 Months",
                "1D",
                "1e3s",
                "0x10d",
                "2 w x",
                "1 d\n",
                "18446744073709551617d",
                "99999999999999999999999999999d",
        };
        struct sg_duration d = {.value = 42, .unit = SG_UNIT_YEAR};

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_int_equal(sg_duration_parse(bad[i], &d), -EINVAL);
                assert_int_equal(d.value, 42);
                assert_int_equal(d.unit, SG_UNIT_YEAR);
        }
        assert_int_equal(sg_duration_parse(NULL, &d), -EINVAL);
}

static void test_duration_format(void **state)
{
        static const struct {
                struct sg_duration d;
                const char *text;
        } table[] = {
                {{6, SG_UNIT_MONTH}, "6 months"},     {{1, SG_UNIT_MONTH}, "1 month"},
                {{7, SG_UNIT_DAY}, "7 days"},         {{1, SG_UNIT_DAY}, "1 day"},
                {{2, SG_UNIT_WEEK}, "2 weeks"},       {{12, SG_UNIT_HOUR}, "12 hours"},
                {{30, SG_UNIT_MINUTE}, "30 minutes"}, {{1, SG_UNIT_SECOND}, "1 second"},
                {{1, SG_UNIT_YEAR}, "1 year"},
        };
        struct sg_duration d;
        char buf[32];

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                assert_int_equal(sg_duration_format(&table[i].d, buf, sizeof(buf)), 0);
                assert_string_equal(buf, table[i].text);
                /* and it parses back to the same thing */
                assert_int_equal(sg_duration_parse(buf, &d), 0);
                assert_int_equal(d.value, table[i].d.value);
                assert_int_equal(d.unit, table[i].d.unit);
        }
        /* "6 months" needs 9 bytes */
        assert_int_equal(sg_duration_format(&table[0].d, buf, 8), -ENOBUFS);
        assert_int_equal(sg_duration_format(&table[0].d, buf, 9), 0);
        assert_string_equal(buf, "6 months");
        d = (struct sg_duration){1, (enum sg_duration_unit)99};
        assert_int_equal(sg_duration_format(&d, buf, sizeof(buf)), -EINVAL);
}

static time_t add(unsigned value, enum sg_duration_unit unit, time_t t)
{
        struct sg_duration d = {value, unit};
        time_t r = 0;

        assert_int_equal(sg_duration_add(&d, t, &r), 0);
        return r;
}

static time_t sub(unsigned value, enum sg_duration_unit unit, time_t t)
{
        struct sg_duration d = {value, unit};
        time_t r = 0;

        assert_int_equal(sg_duration_sub(&d, t, &r), 0);
        return r;
}

static void test_duration_add_sub(void **state)
{
        time_t t = at(2026, 7, 1, 12, 0, +2);

        assert_int_equal(add(90, SG_UNIT_SECOND, t), t + 90);
        assert_int_equal(add(30, SG_UNIT_MINUTE, t), t + 30 * MINUTE);
        assert_int_equal(add(12, SG_UNIT_HOUR, t), t + 12 * HOUR);
        assert_int_equal(sub(12, SG_UNIT_HOUR, t), t - 12 * HOUR);
        assert_int_equal(add(3, SG_UNIT_DAY, t), at(2026, 7, 4, 12, 0, +2));
        assert_int_equal(sub(2, SG_UNIT_WEEK, t), at(2026, 6, 17, 12, 0, +2));

        /* months clamp to the end of the month, in both directions */
        assert_int_equal(add(6, SG_UNIT_MONTH, at(2026, 8, 31, 12, 0, +2)),
                         at(2027, 2, 28, 12, 0, +1));
        assert_int_equal(sub(6, SG_UNIT_MONTH, at(2026, 8, 31, 12, 0, +2)),
                         at(2026, 2, 28, 12, 0, +1));
        assert_int_equal(sub(1, SG_UNIT_MONTH, at(2026, 3, 31, 12, 0, +2)),
                         at(2026, 2, 28, 12, 0, +1));
        assert_int_equal(sub(1, SG_UNIT_MONTH, at(2026, 1, 15, 9, 0, +1)),
                         at(2025, 12, 15, 9, 0, +1));
        assert_int_equal(sub(13, SG_UNIT_MONTH, at(2026, 1, 15, 9, 0, +1)),
                         at(2024, 12, 15, 9, 0, +1));
        assert_int_equal(add(1, SG_UNIT_YEAR, at(2028, 2, 29, 9, 0, +1)),
                         at(2029, 2, 28, 9, 0, +1));
        assert_int_equal(sub(4, SG_UNIT_YEAR, at(2028, 2, 29, 9, 0, +1)),
                         at(2024, 2, 29, 9, 0, +1));

        /* days keep the wall-clock time across DST; hours are elapsed */
        assert_int_equal(sub(30, SG_UNIT_DAY, at(2026, 4, 15, 12, 0, +2)),
                         at(2026, 3, 16, 12, 0, +1));
        assert_int_equal(add(1, SG_UNIT_DAY, at(2026, 3, 28, 12, 0, +1)) -
                                 at(2026, 3, 28, 12, 0, +1),
                         23 * HOUR);
        assert_int_equal(add(24, SG_UNIT_HOUR, at(2026, 3, 28, 12, 0, +1)),
                         at(2026, 3, 29, 13, 0, +2));

        /* after 2038 */
        assert_int_equal(add(6, SG_UNIT_MONTH, at(2039, 8, 31, 12, 0, +2)),
                         at(2040, 2, 29, 12, 0, +1));
}

static void test_duration_add_sub_errors(void **state)
{
        struct sg_duration d = {1, SG_UNIT_SECOND};
        time_t r = 42;

        /* the largest time_t is SG_TIME_NEVER itself, which no addition may produce */
        assert_int_equal(sg_duration_add(&d, INT64_MAX - 1, &r), -ERANGE);
        assert_int_equal(sg_duration_sub(&d, INT64_MIN, &r), -ERANGE);
        d = (struct sg_duration){100000, SG_UNIT_YEAR};
        assert_int_equal(sg_duration_add(&d, INT64_MAX / 2, &r), -ERANGE);
        /* a year that struct tm still holds, but not 100000 years later */
        assert_int_equal(sg_duration_add(&d, at(2147480000, 1, 1, 0, 0, 0), &r), -ERANGE);
        d = (struct sg_duration){0, SG_UNIT_DAY};
        assert_int_equal(sg_duration_add(&d, 0, &r), -EINVAL);
        d = (struct sg_duration){100001, SG_UNIT_DAY};
        assert_int_equal(sg_duration_add(&d, 0, &r), -EINVAL);
        d = (struct sg_duration){1, (enum sg_duration_unit)99};
        assert_int_equal(sg_duration_add(&d, 0, &r), -EINVAL);
        assert_int_equal(r, 42);
}

static void test_local_day_start(void **state)
{
        time_t r;

        /* spring-forward day: 23 hours */
        assert_int_equal(sg_time_local_day_start(at(2026, 3, 29, 10, 0, +2), 0, &r), 0);
        assert_int_equal(r, at(2026, 3, 29, 0, 0, +1));
        assert_int_equal(sg_time_local_day_start(at(2026, 3, 29, 10, 0, +2), 1, &r), 0);
        assert_int_equal(r, at(2026, 3, 30, 0, 0, +2));
        assert_int_equal(sg_time_local_day_start(at(2026, 3, 30, 10, 0, +2), -1, &r), 0);
        assert_int_equal(r, at(2026, 3, 29, 0, 0, +1));
        /* fall-back day: 25 hours */
        assert_int_equal(sg_time_local_day_start(at(2026, 10, 25, 23, 30, +1), 0, &r), 0);
        assert_int_equal(r, at(2026, 10, 25, 0, 0, +2));
        /* midnight itself is the start of its own day */
        assert_int_equal(sg_time_local_day_start(at(2026, 7, 1, 0, 0, +2), 0, &r), 0);
        assert_int_equal(r, at(2026, 7, 1, 0, 0, +2));
        assert_int_equal(sg_time_local_day_start(SG_TIME_NEVER - 1, 1, &r), -ERANGE);
}

/* ---- parsing points in time ---- */

static time_t when(const char *s, time_t now)
{
        time_t r = 0;

        assert_int_equal(sg_time_parse_when(s, now, &r), 0);
        return r;
}

static void test_when_keywords(void **state)
{
        time_t now = at(2026, 3, 30, 12, 0, +2);

        assert_int_equal(when("now", now), now);
        assert_int_equal(when("today", now), at(2026, 3, 30, 0, 0, +2));
        /* yesterday was the 23-hour day */
        assert_int_equal(when("yesterday", now), at(2026, 3, 29, 0, 0, +1));
}

static void test_when_dates(void **state)
{
        time_t now = at(2026, 12, 1, 12, 0, +1);

        assert_int_equal(when("2026-11-25", now), at(2026, 11, 25, 0, 0, +1));
        assert_int_equal(when("2026-07-01", now), at(2026, 7, 1, 0, 0, +2));
        assert_int_equal(when("2026-11-25 10:00", now), at(2026, 11, 25, 10, 0, +1));
        assert_int_equal(when("2026-11-25 10:00:30", now), at_s(2026, 11, 25, 10, 0, 30, +1));
        assert_int_equal(when("2026-11-25T10:00", now), at(2026, 11, 25, 10, 0, +1));
        assert_int_equal(when("2026-11-25T10:00:30", now), at_s(2026, 11, 25, 10, 0, 30, +1));
        assert_int_equal(when("2028-02-29", now), at(2028, 2, 29, 0, 0, +1));
        assert_int_equal(when("2000-02-29", now), at(2000, 2, 29, 0, 0, +1));
        assert_int_equal(when("2026-12-31 23:59:59", now), at_s(2026, 12, 31, 23, 59, 59, +1));
        /* RFC 3339 with a zone is an absolute time */
        assert_int_equal(when("2026-11-25T10:00:00Z", now), at(2026, 11, 25, 10, 0, 0));
        assert_int_equal(when("2026-11-25t10:00:00z", now), at(2026, 11, 25, 10, 0, 0));
        assert_int_equal(when("2026-11-25T10:00:00+01:00", now), at(2026, 11, 25, 9, 0, 0));
        assert_int_equal(when("2026-11-25T10:00:00-05:30", now), at(2026, 11, 25, 15, 30, 0));
        assert_int_equal(when("2026-11-25T10:00:00.123456Z", now), at(2026, 11, 25, 10, 0, 0));
        assert_int_equal(when("2026-11-25T10:00Z", now), at(2026, 11, 25, 10, 0, 0));
        assert_int_equal(when("2040-01-31T11:00:00Z", now), 2211620400);
}

static void test_when_relative(void **state)
{
        time_t now = at(2026, 4, 15, 12, 0, +2);

        assert_int_equal(when("30d", now), at(2026, 3, 16, 12, 0, +1));
        assert_int_equal(when("30 days", now), at(2026, 3, 16, 12, 0, +1));
        assert_int_equal(when("6 months", now), at(2025, 10, 15, 12, 0, +2));
        assert_int_equal(when("2w", now), at(2026, 4, 1, 12, 0, +2));
        assert_int_equal(when("12h", now), now - 12 * HOUR);
        assert_int_equal(when("90s", now), now - 90);
        assert_int_equal(when("1y", now), at(2025, 4, 15, 12, 0, +2));
}

static void test_when_bad(void **state)
{
        static const char *const bad[] = {
                "",
                "tomorrow",
                "Now",
                " now",
                "2026-02-30", /* no such day */
                "2026-02-29", /* 2026 is no leap year */
                "2100-02-29",
                "2026-04-31",
                "2026-13-01",
                "2026-00-10",
                "2026-11-00",
                "2026-11-32",
                "0000-01-01",
                "2026-11-25 24:00",
                "2026-11-25 23:60",
                "2026-11-25 10:00:60",
                "2026-1-5",
                "26-11-25",
                "2026/11/25",
                "20261125",
                "2026-11-25T",
                "2026-11-25 ",
                "2026-11-25 10",
                "2026-11-25 10:0",
                "2026-11-25 10:00 ",
                "2026-11-25 10:00:00 CET",
                "2026-11-25x",
                "2026-11-25T10:00:00+1:00",
                "2026-11-25T10:00:00+0100",
                "2026-11-25T10:00:00+24:00",
                "2026-11-25T10:00:00+01:60",
                "2026-11-25T10:00:00.Z",
                "2026-11-25T10:00:00ZZ",
                "2026-11-25T-1:00:00Z",
                "0d",
                "-30d",
                "+30d",
                "30",
                "30 d ago",
                "30days ",
                "100001d",
        };
        time_t r = 42;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                if (sg_time_parse_when(bad[i], 0, &r) != -EINVAL)
                        fail_msg("accepted '%s'", bad[i]);
        }
        assert_int_equal(r, 42);
        assert_int_equal(sg_time_parse_when(NULL, 0, &r), -EINVAL);
}

static void test_rfc3339(void **state)
{
        static const struct {
                time_t t;
                const char *text;
        } table[] = {
                {1795633560, "2026-11-25T19:06:00Z"},
                {0, "1970-01-01T00:00:00Z"},
                {-1, "1969-12-31T23:59:59Z"},
                {2211620400, "2040-01-31T11:00:00Z"},
                {(time_t)INT32_MAX + 1, "2038-01-19T03:14:08Z"},
                {253402300799, "9999-12-31T23:59:59Z"},
        };
        char buf[SG_RFC3339_MAX];
        time_t t;

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                assert_int_equal(sg_time_format_rfc3339(table[i].t, buf, sizeof(buf)), 0);
                assert_string_equal(buf, table[i].text);
                assert_int_equal(sg_time_parse_rfc3339(buf, &t), 0);
                assert_int_equal(t, table[i].t);
        }
        /* offsets and fractions */
        assert_int_equal(sg_time_parse_rfc3339("2026-11-25T20:06:00+01:00", &t), 0);
        assert_int_equal(t, 1795633560);
        assert_int_equal(sg_time_parse_rfc3339("2026-11-25T14:36:00.999-04:30", &t), 0);
        assert_int_equal(t, 1795633560);

        /* RFC 3339 proper: seconds and a zone are required */
        t = 42;
        assert_int_equal(sg_time_parse_rfc3339("2026-11-25T19:06Z", &t), -EINVAL);
        assert_int_equal(sg_time_parse_rfc3339("2026-11-25T19:06:00", &t), -EINVAL);
        assert_int_equal(sg_time_parse_rfc3339("2026-11-25", &t), -EINVAL);
        assert_int_equal(sg_time_parse_rfc3339("2026-02-30T19:06:00Z", &t), -EINVAL);
        assert_int_equal(sg_time_parse_rfc3339("", &t), -EINVAL);
        assert_int_equal(t, 42);

        /* 20 characters and the NUL */
        assert_int_equal(sg_time_format_rfc3339(1795633560, buf, 20), -ENOBUFS);
        assert_int_equal(sg_time_format_rfc3339(1795633560, buf, 21), 0);
        assert_string_equal(buf, "2026-11-25T19:06:00Z");
        assert_int_equal(sg_time_format_rfc3339(SG_TIME_NEVER, buf, sizeof(buf)), -ERANGE);
}

static void test_format_human(void **state)
{
        char buf[SG_TIME_HUMAN_MAX];

        assert_int_equal(sg_time_format_human(1795633560, false, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "2026-11-25 20:06 CET");
        assert_int_equal(sg_time_format_human(1795633560, true, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "2026-11-25 19:06 UTC");
        assert_int_equal(sg_time_format_human(at(2026, 7, 1, 12, 0, +2), false, buf, sizeof(buf)),
                         0);
        assert_string_equal(buf, "2026-07-01 12:00 CEST");
        assert_int_equal(sg_time_format_human(2211620400, false, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "2040-01-31 12:00 CET");
        assert_int_equal(sg_time_format_human(SG_TIME_NEVER, false, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "never");
        assert_int_equal(sg_time_format_human(1795633560, false, buf, 10), -ENOBUFS);
}

static void test_format_relative(void **state)
{
        static const struct {
                int64_t delta;
                const char *text;
        } table[] = {
                {0, "now"},
                {45, "in 45s"},
                {1, "in 1s"},
                {-1, "1s ago"},
                {5 * MINUTE, "in 5min"},
                {5 * MINUTE + 30, "in 5min 30s"},
                {3 * HOUR, "in 3h"},
                {3 * HOUR + 12 * MINUTE, "in 3h 12min"},
                {3 * HOUR + 12 * MINUTE + 59, "in 3h 12min"},
                {-(3 * HOUR + 12 * MINUTE), "3h 12min ago"},
                {DAY, "in 1 day"},
                {DAY + 2 * HOUR, "in 1 day 2h"},
                {2 * DAY + 4 * HOUR, "in 2 days 4h"},
                {2 * DAY + 4 * HOUR + 59 * MINUTE, "in 2 days 4h"},
                {-(14 * DAY), "14 days ago"},
                {400 * DAY, "in 400 days"},
        };
        time_t now = 1795633560;
        char buf[64];

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                assert_int_equal(
                        sg_time_format_relative(now + table[i].delta, now, buf, sizeof(buf)), 0);
                assert_string_equal(buf, table[i].text);
        }
        assert_int_equal(sg_time_format_relative(SG_TIME_NEVER, now, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "never");
        /* the distance between the ends of time_t does not fit */
        assert_int_equal(sg_time_format_relative(INT64_MIN, INT64_MAX - 1, buf, sizeof(buf)),
                         -ERANGE);
        /* "in 3h 12min" needs 12 bytes */
        assert_int_equal(sg_time_format_relative(now + 3 * HOUR + 12 * MINUTE, now, buf, 11),
                         -ENOBUFS);
        assert_int_equal(sg_time_format_relative(now + 3 * HOUR + 12 * MINUTE, now, buf, 12), 0);
        assert_string_equal(buf, "in 3h 12min");
        assert_int_equal(sg_time_format_relative(now, now, buf, 3), -ENOBUFS);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup_berlin)
        const struct CMUnitTest tests[] = {
                T(test_duration_parse),
                T(test_duration_parse_bad),
                T(test_duration_format),
                T(test_duration_add_sub),
                T(test_duration_add_sub_errors),
                T(test_local_day_start),
                T(test_when_keywords),
                T(test_when_dates),
                T(test_when_relative),
                T(test_when_bad),
                T(test_rfc3339),
                T(test_format_human),
                T(test_format_relative),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
