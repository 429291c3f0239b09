/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Processes: identifying one across pid reuse, and ending a staff member's processes. */

#include <stdint.h>
#include <sys/types.h>

/* Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat).
 * -ESRCH when it does not exist. */
int sg_proc_start_time(pid_t pid, uint64_t *ret);

/* Sends sig to every process whose real, effective, saved or filesystem uid is uid, walking
 * /proc. Zombies are left alone (nothing to signal). Returns the number of processes
 * signalled. -EPERM for uid 0. */
int sg_proc_signal_uid(uid_t uid, int sig);

/* The distinct uids other than 0 that any live process (zombies aside, this process aside)
 * has as real, effective, saved or filesystem uid. *ret is to be freed. */
int sg_proc_uids(uid_t **ret, size_t *ret_n);

/* Fills buf with random bytes from getrandom(). */
int sg_random_bytes(void *buf, size_t n);
