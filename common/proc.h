/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Processes: identifying one across pid reuse, and ending a staff member's processes. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat).
 * -ESRCH when it does not exist. */
int sg_proc_start_time(pid_t pid, uint64_t *ret);

/* A range of uids: start, start + 1, ..., start + count - 1. */
struct sg_uid_range {
        uid_t start;
        uid_t count;
};

/* Whether uid is in one of the n ranges. */
bool sg_uid_ranges_contain(const struct sg_uid_range *r, size_t n, uid_t uid);

/* Sends sig to every process any of whose real, effective, saved or filesystem uids is in one
 * of the n ranges, walking /proc. A process counts while any of its threads lives: a group
 * leader that ended its own thread (state Z, other threads running) is signalled like any
 * other; a true zombie has nothing left to signal. Returns the number of processes
 * signalled. -EPERM when a range holds uid 0. */
int sg_proc_signal_ranges(const struct sg_uid_range *r, size_t n, int sig);
/* The same for one uid. */
int sg_proc_signal_uid(uid_t uid, int sig);

/* The session id of a process (field 6 of /proc/PID/stat). -ESRCH when it does not exist. */
int sg_proc_session(pid_t pid, pid_t *ret);

/* Sends sig to every process of session sid (the session leader and what it started,
 * whatever their process group) whose uids are in one of the n ranges, as above. Returns the
 * number of processes signalled. -EPERM when a range holds uid 0. */
int sg_proc_signal_session(pid_t sid, const struct sg_uid_range *r, size_t n, int sig);

/* The processes (as above) any of whose uids is in one of the n ranges. *ret is to be freed. */
int sg_proc_pids(const struct sg_uid_range *r, size_t n, pid_t **ret, size_t *ret_n);

/* The distinct uids other than 0 that any live process (as above; this process aside) has
 * as real, effective, saved or filesystem uid. *ret is to be freed. quick: a process not
 * running as root counts with its effective uid alone (the owner of /proc/PID, one fstatat()
 * instead of reading /proc/PID/status), zombies included; a caller then checks what it finds
 * with the exact functions above. */
int sg_proc_uids(uid_t **ret, size_t *ret_n, bool quick);

/* The subordinate uid ranges of an account in path (/etc/subuid: "name-or-uid:start:count"
 * lines), appended to *ranges (n entries, size allocated; free *ranges). Malformed lines are
 * skipped; a missing file is no ranges. */
int sg_subuid_ranges(const char *path, const char *user, uid_t uid, struct sg_uid_range **ranges,
                     size_t *n, size_t *size);
/* The account (name, or uid in decimal as the file gives it) whose subordinate range in path
 * holds uid. -ENOENT when none does. */
int sg_subuid_owner(const char *path, uid_t uid, char *ret, size_t size);

/* Fills buf with random bytes from getrandom(). */
int sg_random_bytes(void *buf, size_t n);
