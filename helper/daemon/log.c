/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static int max_priority = LOG_INFO;

void log_set_max_priority(int priority)
{
        max_priority = priority;
}

/* error is what %m names. */
static void log_va(int priority, int error, const char *fmt, va_list ap)
{
        if (priority > max_priority)
                return;
        if (getenv("JOURNAL_STREAM"))
                fprintf(stderr, "<%d>", priority);
        else
                fputs("supportgrantd: ", stderr);
        errno = error;
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
}

void log_msg(int priority, const char *fmt, ...)
{
        va_list ap;
        int saved = errno;

        va_start(ap, fmt);
        log_va(priority, saved, fmt, ap);
        va_end(ap);
        errno = saved;
}

int log_msg_errno(int priority, int error, const char *fmt, ...)
{
        va_list ap;

        error = error < 0 ? -error : error;
        va_start(ap, fmt);
        log_va(priority, error, fmt, ap);
        va_end(ap);
        errno = error;
        return -error;
}
