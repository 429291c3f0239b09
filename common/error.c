/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "error.h"

int sg_error_set(struct sg_error *e, int r, const char *fmt, ...)
{
        va_list ap;

        if (!e)
                return r;
        va_start(ap, fmt);
        (void)vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
        return r;
}
