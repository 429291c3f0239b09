/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "macro.h"
#include "period.h"
#include "timeutil.h"

static const char *const period_names[_SG_PERIOD_MAX] = {
        [SG_PERIOD_1H] = "1h", [SG_PERIOD_2H] = "2h",
        [SG_PERIOD_4H] = "4h", [SG_PERIOD_TODAY] = "today",
        [SG_PERIOD_1W] = "1w", [SG_PERIOD_2W] = "2w",
        [SG_PERIOD_1M] = "1m", [SG_PERIOD_PERMANENT] = "permanent",
};

static const char *const period_descriptions[_SG_PERIOD_MAX] = {
        [SG_PERIOD_1H] = "1 hour",  [SG_PERIOD_2H] = "2 hours",
        [SG_PERIOD_4H] = "4 hours", [SG_PERIOD_TODAY] = "until midnight",
        [SG_PERIOD_1W] = "1 week",  [SG_PERIOD_2W] = "2 weeks",
        [SG_PERIOD_1M] = "1 month", [SG_PERIOD_PERMANENT] = "permanently",
};

/* What each period adds to the moment of authorization. Hours are elapsed time; weeks and the
 * month keep the local wall-clock time and sg_duration_add() clamps the month's day. */
static const struct sg_duration period_durations[_SG_PERIOD_MAX] = {
        [SG_PERIOD_1H] = {1, SG_UNIT_HOUR}, [SG_PERIOD_2H] = {2, SG_UNIT_HOUR},
        [SG_PERIOD_4H] = {4, SG_UNIT_HOUR}, [SG_PERIOD_1W] = {1, SG_UNIT_WEEK},
        [SG_PERIOD_2W] = {2, SG_UNIT_WEEK}, [SG_PERIOD_1M] = {1, SG_UNIT_MONTH},
};

int sg_period_from_string(const char *s, enum sg_period *ret)
{
        if (!s || !ret)
                return -EINVAL;
        for (int i = 0; i < _SG_PERIOD_MAX; i++)
                if (streq(s, period_names[i])) {
                        *ret = (enum sg_period)i;
                        return 0;
                }
        return -EINVAL;
}

const char *sg_period_to_string(enum sg_period p)
{
        if ((int)p < 0 || p >= _SG_PERIOD_MAX)
                return NULL;
        return period_names[p];
}

const char *sg_period_describe(enum sg_period p)
{
        if ((int)p < 0 || p >= _SG_PERIOD_MAX)
                return NULL;
        return period_descriptions[p];
}

int sg_period_expiry(enum sg_period p, time_t start, time_t *ret_expiry)
{
        if (!ret_expiry || (int)p < 0 || p >= _SG_PERIOD_MAX)
                return -EINVAL;

        switch (p) {
        case SG_PERIOD_PERMANENT:
                *ret_expiry = SG_TIME_NEVER;
                return 0;
        case SG_PERIOD_TODAY:
                /* 24:00 of the day of authorization, i.e. the start of the next local day: 23
                 * or 25 hours after the previous midnight on DST change days. */
                return sg_time_local_day_start(start, 1, ret_expiry);
        default:
                return sg_duration_add(&period_durations[p], start, ret_expiry);
        }
}
