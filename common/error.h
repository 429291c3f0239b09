/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared code never logs. Where a caller needs more than an errno to tell the user what went
 * wrong (which file, which line, which value), the function fills a struct sg_error and the
 * caller logs or prints it once. */

#include "macro.h"

struct sg_error {
        char msg[512];
};

/* Sets the message (when e is not NULL) and returns r, so callers can write
 * "return sg_error_set(err, -EINVAL, "...")". */
int sg_error_set(struct sg_error *e, int r, const char *fmt, ...) _printf_(3, 4);
