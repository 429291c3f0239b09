/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "macro.h"
#include "period.h"

#define HOUR 3600
#define DAY  (24 * HOUR)

/* The epoch of a wall-clock time at a given UTC offset (hours), computed with timegm() alone
 * so that the expectations do not come from the code under test. CET is +1, CEST +2. */
static time_t at(int y, int mo, int d, int h, int mi, int off_h)
{
        struct tm tm = {
                .tm_year = y - 1900,
                .tm_mon = mo - 1,
                .tm_mday = d,
                .tm_hour = h,
                .tm_min = mi,
        };

        return timegm(&tm) - (time_t)off_h * HOUR;
}

static void use_tz(const char *tz)
{
        assert_int_equal(setenv("TZ", tz, 1), 0);
        tzset();
}

static int setup_berlin(void **state)
{
        use_tz("Europe/Berlin");
        return 0;
}

static time_t expiry(enum sg_period p, time_t start)
{
        time_t t = 0;

        assert_int_equal(sg_period_expiry(p, start, &t), 0);
        return t;
}

static void test_names(void **state)
{
        static const struct {
                const char *name;
                enum sg_period p;
                const char *description;
        } table[] = {
                {"1h", SG_PERIOD_1H, "1 hour"},  {"2h", SG_PERIOD_2H, "2 hours"},
                {"4h", SG_PERIOD_4H, "4 hours"}, {"today", SG_PERIOD_TODAY, "until midnight"},
                {"1w", SG_PERIOD_1W, "1 week"},  {"2w", SG_PERIOD_2W, "2 weeks"},
                {"1m", SG_PERIOD_1M, "1 month"}, {"permanent", SG_PERIOD_PERMANENT, "permanently"},
        };

        assert_int_equal(ELEMENTSOF(table), _SG_PERIOD_MAX);
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                enum sg_period p = _SG_PERIOD_INVALID;

                assert_int_equal(sg_period_from_string(table[i].name, &p), 0);
                assert_int_equal(p, table[i].p);
                assert_string_equal(sg_period_to_string(table[i].p), table[i].name);
                assert_string_equal(sg_period_describe(table[i].p), table[i].description);
        }
}

/* SG_PERIOD_NAMES, which messages show, is the table's names in order. */
static void test_names_list(void **state)
{
        char list[256] = "";

        for (enum sg_period p = 0; p < _SG_PERIOD_MAX; p++) {
                const char *sep = p == 0 ? "" : p == _SG_PERIOD_MAX - 1 ? " or " : ", ";

                (void)strncat(list, sep, sizeof(list) - strlen(list) - 1);
                (void)strncat(list, sg_period_to_string(p), sizeof(list) - strlen(list) - 1);
        }
        assert_string_equal(list, SG_PERIOD_NAMES);
}

static void test_names_bad(void **state)
{
        static const char *const bad[] = {"",   "1H", "3h",    "1h ", " 1h",   "perm",
                                          "1d", "1",  "Today", "1m1", "never", "1 h"};
        enum sg_period p = SG_PERIOD_2W;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_int_equal(sg_period_from_string(bad[i], &p), -EINVAL);
                /* a refused string leaves the output alone */
                assert_int_equal(p, SG_PERIOD_2W);
        }
        assert_int_equal(sg_period_from_string(NULL, &p), -EINVAL);
        assert_null(sg_period_to_string(_SG_PERIOD_MAX));
        assert_null(sg_period_to_string(_SG_PERIOD_INVALID));
        assert_null(sg_period_describe(_SG_PERIOD_MAX));
}

static void test_hours(void **state)
{
        time_t start = at(2026, 7, 1, 12, 0, +2);

        assert_int_equal(expiry(SG_PERIOD_1H, start), at(2026, 7, 1, 13, 0, +2));
        assert_int_equal(expiry(SG_PERIOD_2H, start), at(2026, 7, 1, 14, 0, +2));
        assert_int_equal(expiry(SG_PERIOD_4H, start), at(2026, 7, 1, 16, 0, +2));
}

static void test_hours_are_elapsed_across_dst(void **state)
{
        /* 01:30 CET on the spring-forward day: one hour later the clock shows 03:30 CEST. */
        time_t start = at(2026, 3, 29, 1, 30, +1);

        assert_int_equal(expiry(SG_PERIOD_1H, start), at(2026, 3, 29, 3, 30, +2));
        assert_int_equal(expiry(SG_PERIOD_1H, start) - start, HOUR);
        assert_int_equal(expiry(SG_PERIOD_4H, start) - start, 4 * HOUR);
}

static void test_today(void **state)
{
        /* 2026-07-01 12:00 CEST -> 2026-07-02 00:00 CEST = 1782943200 */
        assert_int_equal(expiry(SG_PERIOD_TODAY, at(2026, 7, 1, 12, 0, +2)), 1782943200);
        assert_int_equal(expiry(SG_PERIOD_TODAY, at(2026, 7, 1, 12, 0, +2)),
                         at(2026, 7, 2, 0, 0, +2));
        /* one second before midnight: one second left */
        assert_int_equal(expiry(SG_PERIOD_TODAY, at(2026, 7, 1, 23, 59, +2) + 59),
                         at(2026, 7, 2, 0, 0, +2));
        /* at midnight exactly the day has just begun: a whole day */
        assert_int_equal(expiry(SG_PERIOD_TODAY, at(2026, 7, 1, 0, 0, +2)),
                         at(2026, 7, 2, 0, 0, +2));
        /* the last day of the year */
        assert_int_equal(expiry(SG_PERIOD_TODAY, at(2026, 12, 31, 18, 0, +1)),
                         at(2027, 1, 1, 0, 0, +1));
}

static void test_today_spring_forward(void **state)
{
        /* 2026-03-29 in Berlin has 23 hours (02:00 CET -> 03:00 CEST). */
        time_t day_start = at(2026, 3, 29, 0, 0, +1);
        time_t midnight = at(2026, 3, 30, 0, 0, +2);

        assert_int_equal(midnight, 1774821600);
        assert_int_equal(expiry(SG_PERIOD_TODAY, day_start), midnight);
        assert_int_equal(expiry(SG_PERIOD_TODAY, day_start) - day_start, 23 * HOUR);
        assert_int_equal(expiry(SG_PERIOD_TODAY, at(2026, 3, 29, 10, 0, +2)), midnight);
        assert_int_equal(expiry(SG_PERIOD_TODAY, at(2026, 3, 29, 1, 59, +1)), midnight);
}

static void test_today_fall_back(void **state)
{
        /* 2026-10-25 in Berlin has 25 hours (03:00 CEST -> 02:00 CET). */
        time_t day_start = at(2026, 10, 25, 0, 0, +2);
        time_t midnight = at(2026, 10, 26, 0, 0, +1);

        assert_int_equal(midnight, 1792969200);
        assert_int_equal(expiry(SG_PERIOD_TODAY, day_start), midnight);
        assert_int_equal(expiry(SG_PERIOD_TODAY, day_start) - day_start, 25 * HOUR);
        assert_int_equal(expiry(SG_PERIOD_TODAY, at(2026, 10, 25, 10, 0, +1)), midnight);
        /* both 02:30s of that night */
        assert_int_equal(expiry(SG_PERIOD_TODAY, at(2026, 10, 25, 2, 30, +2)), midnight);
        assert_int_equal(expiry(SG_PERIOD_TODAY, at(2026, 10, 25, 2, 30, +1)), midnight);
}

static void test_today_midnight_in_dst_gap(void **state)
{
        /* Where DST starts at 00:00 there is no midnight that day: the day begins at 01:00
         * and "today" ends then. Santiago: 2026-09-05 24:00 -04 -> 2026-09-06 01:00 -03. */
        use_tz("America/Santiago");
        assert_int_equal(expiry(SG_PERIOD_TODAY, at(2026, 9, 5, 12, 0, -4)),
                         at(2026, 9, 6, 4, 0, 0));
        /* Beirut: 2026-03-28 24:00 EET -> 2026-03-29 01:00 EEST */
        use_tz("Asia/Beirut");
        assert_int_equal(expiry(SG_PERIOD_TODAY, at(2026, 3, 28, 12, 0, +2)),
                         at(2026, 3, 28, 22, 0, 0));
}

static void test_weeks(void **state)
{
        time_t start = at(2026, 7, 1, 12, 0, +2);

        assert_int_equal(expiry(SG_PERIOD_1W, start), at(2026, 7, 8, 12, 0, +2));
        assert_int_equal(expiry(SG_PERIOD_2W, start), at(2026, 7, 15, 12, 0, +2));
        /* across a month and a year end */
        assert_int_equal(expiry(SG_PERIOD_1W, at(2026, 12, 28, 9, 15, +1)),
                         at(2027, 1, 4, 9, 15, +1));
}

static void test_weeks_across_dst(void **state)
{
        /* Same wall-clock time a week later, so 167 hours over the spring change... */
        time_t start = at(2026, 3, 25, 10, 0, +1);

        assert_int_equal(expiry(SG_PERIOD_1W, start), 1775030400); /* 2026-04-01 10:00 CEST */
        assert_int_equal(expiry(SG_PERIOD_1W, start), at(2026, 4, 1, 10, 0, +2));
        assert_int_equal(expiry(SG_PERIOD_1W, start) - start, 7 * DAY - HOUR);
        assert_int_equal(expiry(SG_PERIOD_2W, at(2026, 3, 22, 10, 0, +1)),
                         at(2026, 4, 5, 10, 0, +2));

        /* ... and 169 over the autumn one. */
        start = at(2026, 10, 20, 10, 0, +2);
        assert_int_equal(expiry(SG_PERIOD_1W, start), at(2026, 10, 27, 10, 0, +1));
        assert_int_equal(expiry(SG_PERIOD_1W, start) - start, 7 * DAY + HOUR);
}

static void test_month(void **state)
{
        /* Jan 31 + 1m: clamped to the end of February, leap years included. */
        assert_int_equal(expiry(SG_PERIOD_1M, at(2026, 1, 31, 12, 0, +1)),
                         at(2026, 2, 28, 12, 0, +1));
        assert_int_equal(expiry(SG_PERIOD_1M, at(2028, 1, 31, 12, 0, +1)),
                         at(2028, 2, 29, 12, 0, +1));
        /* 2100 is not a leap year, 2000 was */
        assert_int_equal(expiry(SG_PERIOD_1M, at(2100, 1, 30, 8, 0, +1)),
                         at(2100, 2, 28, 8, 0, +1));
        assert_int_equal(expiry(SG_PERIOD_1M, at(2000, 1, 30, 8, 0, +1)),
                         at(2000, 2, 29, 8, 0, +1));
        /* Dec -> Jan of the next year */
        assert_int_equal(expiry(SG_PERIOD_1M, at(2026, 12, 31, 9, 30, +1)),
                         at(2027, 1, 31, 9, 30, +1));
        assert_int_equal(expiry(SG_PERIOD_1M, at(2026, 12, 15, 8, 0, +1)),
                         at(2027, 1, 15, 8, 0, +1));
        /* a 31st into a 30-day month */
        assert_int_equal(expiry(SG_PERIOD_1M, at(2026, 3, 31, 12, 0, +2)),
                         at(2026, 4, 30, 12, 0, +2));
        /* the same wall-clock time across the DST change */
        assert_int_equal(expiry(SG_PERIOD_1M, at(2026, 3, 15, 10, 0, +1)),
                         at(2026, 4, 15, 10, 0, +2));
        /* an ordinary day stays */
        assert_int_equal(expiry(SG_PERIOD_1M, at(2026, 5, 10, 7, 45, +2)),
                         at(2026, 6, 10, 7, 45, +2));
}

static void test_after_2038(void **state)
{
        time_t start = at(2040, 1, 31, 12, 0, +1);

        assert_true(sizeof(time_t) >= 8);
        assert_true(start > INT32_MAX);
        assert_int_equal(start, 2211620400);
        assert_int_equal(expiry(SG_PERIOD_1H, start), start + HOUR);
        assert_int_equal(expiry(SG_PERIOD_TODAY, start), at(2040, 2, 1, 0, 0, +1));
        assert_int_equal(expiry(SG_PERIOD_1W, start), at(2040, 2, 7, 12, 0, +1));
        assert_int_equal(expiry(SG_PERIOD_1M, start), at(2040, 2, 29, 12, 0, +1));
        /* a start just before the 32-bit rollover and an expiry after it */
        assert_int_equal(expiry(SG_PERIOD_1H, (time_t)INT32_MAX), (time_t)INT32_MAX + HOUR);
}

static void test_permanent(void **state)
{
        assert_int_equal(expiry(SG_PERIOD_PERMANENT, at(2026, 7, 1, 12, 0, +2)), SG_TIME_NEVER);
        assert_int_equal(expiry(SG_PERIOD_PERMANENT, 0), SG_TIME_NEVER);
}

static void test_errors(void **state)
{
        time_t t = 42;

        assert_int_equal(sg_period_expiry(_SG_PERIOD_MAX, 0, &t), -EINVAL);
        assert_int_equal(sg_period_expiry(_SG_PERIOD_INVALID, 0, &t), -EINVAL);
        assert_int_equal(sg_period_expiry(SG_PERIOD_1H, 0, NULL), -EINVAL);
        /* nothing representable an hour after the end of time_t */
        assert_int_equal(sg_period_expiry(SG_PERIOD_1H, SG_TIME_NEVER - 60, &t), -ERANGE);
        /* localtime_r() cannot express years beyond INT_MAX */
        assert_int_equal(sg_period_expiry(SG_PERIOD_TODAY, SG_TIME_NEVER - 1, &t), -ERANGE);
        assert_int_equal(sg_period_expiry(SG_PERIOD_1M, SG_TIME_NEVER - 1, &t), -ERANGE);
        assert_int_equal(t, 42);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup_berlin)
        const struct CMUnitTest tests[] = {
                T(test_names),
                T(test_names_list),
                T(test_names_bad),
                T(test_hours),
                T(test_hours_are_elapsed_across_dst),
                T(test_today),
                T(test_today_spring_forward),
                T(test_today_fall_back),
                T(test_today_midnight_in_dst_gap),
                T(test_weeks),
                T(test_weeks_across_dst),
                T(test_month),
                T(test_after_2038),
                T(test_permanent),
                T(test_errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
