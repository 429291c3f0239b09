/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Ending a login through its cgroup (v2): systemd-logind puts every session in
 * session-ID.scope under user-UID.slice, and a process cannot leave it, whatever uid or
 * thread state it takes on. cgroup.kill ends everything in a cgroup at once. */

#include <stddef.h>
#include <sys/types.h>

/* Where cgroup v2 is mounted: /sys/fs/cgroup (unified) or /sys/fs/cgroup/unified (hybrid).
 * -ENOMEDIUM when it is not. */
int sg_cgroup_root(const char **ret);

/* The cgroup v2 path of a process ("/user.slice/user-1000.slice/session-4.scope"), relative
 * to the root above. -ESRCH when the process does not exist, -ENOMEDIUM without v2. */
int sg_cgroup_of_pid(pid_t pid, char *buf, size_t size);

/* The logind session scope of uid that path is, or is inside: its path in ret. -ENOENT when
 * path is in none (a service's cgroup, another user's). */
int sg_cgroup_session_scope(const char *path, uid_t uid, char *ret, size_t size);

/* The user slice of uid (".../user-UID.slice") that path is inside. -ENOENT when none. */
int sg_cgroup_user_slice(const char *path, uid_t uid, char *ret, size_t size);

/* Ends every process in the cgroup at path (cgroup.kill). -errno when that cannot be done
 * (no cgroup.kill before Linux 5.14, a read-only cgroup file system). */
int sg_cgroup_kill(const char *path);
