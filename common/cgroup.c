/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/vfs.h>

#include "cgroup.h"
#include "macro.h"

int sg_cgroup_root(const char **ret)
{
        static const char *const candidates[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                struct statfs fs;

                if (statfs(candidates[i], &fs) >= 0 && fs.f_type == CGROUP2_SUPER_MAGIC) {
                        *ret = candidates[i];
                        return 0;
                }
        }
        return -ENOMEDIUM;
}

int sg_cgroup_of_pid(pid_t pid, char *buf, size_t size)
{
        _cleanup_fclose_ FILE *f = NULL;
        char path[64], line[PATH_MAX + 16];

        (void)snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? -ESRCH : -errno;
        while (fgets(line, sizeof(line), f)) {
                size_t n;

                if (strncmp(line, "0::", 3) != 0)
                        continue;
                n = strcspn(line + 3, "\n");
                if (n == 0 || n >= size || line[3] != '/')
                        return -EIO;
                memcpy(buf, line + 3, n);
                buf[n] = 0;
                return 0;
        }
        return -ENOMEDIUM;
}

/* The end of "user-UID.slice" as a component of path, or NULL. */
static const char *find_user_slice(const char *path, uid_t uid)
{
        char comp[32];
        size_t k;

        k = (size_t)snprintf(comp, sizeof(comp), "/user-%u.slice", (unsigned)uid);
        for (const char *p = strstr(path, comp); p; p = strstr(p + 1, comp))
                if (p[k] == 0 || p[k] == '/')
                        return p + k;
        return NULL;
}

static int copy_prefix(const char *path, const char *end, char *ret, size_t size)
{
        size_t n = (size_t)(end - path);

        if (n >= size)
                return -ENAMETOOLONG;
        memcpy(ret, path, n);
        ret[n] = 0;
        return 0;
}

int sg_cgroup_session_scope(const char *path, uid_t uid, char *ret, size_t size)
{
        const char *slice = find_user_slice(path, uid), *end;

        /* The component right below the user slice: session-ID.scope. */
        if (!slice || strncmp(slice, "/session-", 9) != 0)
                return -ENOENT;
        end = slice + 1 + strcspn(slice + 1, "/");
        if (end - slice < 16 || strncmp(end - 6, ".scope", 6) != 0)
                return -ENOENT;
        return copy_prefix(path, end, ret, size);
}

int sg_cgroup_user_slice(const char *path, uid_t uid, char *ret, size_t size)
{
        const char *end = find_user_slice(path, uid);

        if (!end)
                return -ENOENT;
        return copy_prefix(path, end, ret, size);
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);

        return a >= b && streq(s + a - b, suffix);
}

int sg_cgroup_kill(const char *path)
{
        char file[PATH_MAX];
        const char *root;
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = sg_cgroup_root(&root);
        if (r < 0)
                return r;
        if (path[0] != '/' || strstr(path, "/../") || strstr(path, "/./") ||
            ends_with(path, "/..") || ends_with(path, "/."))
                return -EINVAL;
        if ((size_t)snprintf(file, sizeof(file), "%s%s/cgroup.kill", root, path) >= sizeof(file))
                return -ENAMETOOLONG;
        fd = open(file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        if (write(fd, "1", 1) != 1)
                return -errno;
        return 0;
}
