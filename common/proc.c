/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/random.h>

#include "proc.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

static int read_proc_file(pid_t pid, const char *name, char *buf, size_t size)
{
        char path[64];
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        (void)snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        n = read(fd, buf, size - 1);
        if (n < 0)
                return errno == ESRCH ? -ESRCH : -errno;
        buf[n] = 0;
        return 0;
}

int sg_proc_start_time(pid_t pid, uint64_t *ret)
{
        char buf[2048], *p, *end;
        unsigned long long v;
        int r;

        if (pid <= 0)
                return -EINVAL;
        r = read_proc_file(pid, "stat", buf, sizeof(buf));
        if (r < 0)
                return r;
        /* The command name (field 2) may contain spaces and ')': start after the last ')'. */
        p = strrchr(buf, ')');
        if (!p)
                return -EIO;
        p++;
        /* Fields 3..21 to skip, then field 22 is starttime. */
        for (int field = 3; field <= 22; field++) {
                p += strspn(p, " ");
                if (field == 22)
                        break;
                p += strcspn(p, " ");
                if (!*p)
                        return -EIO;
        }
        errno = 0;
        v = strtoull(p, &end, 10);
        if (errno != 0 || end == p)
                return -EIO;
        *ret = v;
        return 0;
}

/* Whether any of the uids on /proc/PID/status's "Uid:" line (real, effective, saved, fs) is uid. */
static int process_has_uid(pid_t pid, uid_t uid)
{
        char buf[4096], *line;
        int r;

        r = read_proc_file(pid, "status", buf, sizeof(buf));
        if (r < 0)
                return r;
        line = strstr(buf, "\nUid:");
        if (!line)
                return -EIO;
        line += 5;
        for (int i = 0; i < 4; i++) {
                char *end;
                unsigned long v;

                errno = 0;
                v = strtoul(line, &end, 10);
                if (errno != 0 || end == line)
                        return -EIO;
                if (v == uid)
                        return 1;
                line = end;
        }
        return 0;
}

int sg_proc_signal_uid(uid_t uid, int sig)
{
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int count = 0;

        /* Never root's processes: that would be the whole machine. */
        if (uid == 0)
                return -EPERM;
        d = opendir("/proc");
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                char *end;
                long pid;

                errno = 0;
                pid = strtol(de->d_name, &end, 10);
                if (errno != 0 || *end != 0 || pid <= 1 || pid == getpid())
                        continue;
                if (process_has_uid((pid_t)pid, uid) <= 0)
                        continue;
                if (kill((pid_t)pid, sig) >= 0)
                        count++;
        }
        return count;
}

int sg_random_bytes(void *buf, size_t n)
{
        uint8_t *p = buf;

        while (n > 0) {
                ssize_t k = getrandom(p, n, 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t)k;
        }
        return 0;
}
