/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The daemon's log: stderr, which systemd hands to the journal (JOURNAL_STREAM: each line
 * carries its <N> priority). Debug lines only after log_set_max_priority(LOG_DEBUG). */

#include <syslog.h>

#include "macro.h"

void log_set_max_priority(int priority);
void log_msg(int priority, const char *fmt, ...) _printf_(2, 3);
/* Logs with errno set to error's (so that %m names it) and returns -|error|: log and return
 * in one statement, "return log_error_errno(r, "cannot open %s: %m", path);". */
int log_msg_errno(int priority, int error, const char *fmt, ...) _printf_(3, 4);

#define log_error(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)  log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(LOG_DEBUG, __VA_ARGS__)

#define log_error_errno(error, ...)   log_msg_errno(LOG_ERR, error, __VA_ARGS__)
#define log_warning_errno(error, ...) log_msg_errno(LOG_WARNING, error, __VA_ARGS__)
#define log_notice_errno(error, ...)  log_msg_errno(LOG_NOTICE, error, __VA_ARGS__)
#define log_info_errno(error, ...)    log_msg_errno(LOG_INFO, error, __VA_ARGS__)
#define log_debug_errno(error, ...)   log_msg_errno(LOG_DEBUG, error, __VA_ARGS__)
