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

/* The uids on /proc/PID/status's "Uid:" line (real, effective, saved, fs). 0 when the
 * process is a zombie: it has nothing left to signal and is only waiting to be reaped. */
static int process_uids(pid_t pid, uid_t ret[static 4])
{
        char buf[4096], *line;
        int r;

        r = read_proc_file(pid, "status", buf, sizeof(buf));
        if (r < 0)
                return r;
        line = strstr(buf, "\nState:");
        if (line && line[strspn(line + 7, " \t") + 7] == 'Z')
                return 0;
        line = strstr(buf, "\nUid:");
        if (!line)
                return -EIO;
        line += 5;
        for (int i = 0; i < 4; i++) {
                char *end;
                unsigned long v;

                errno = 0;
                v = strtoul(line, &end, 10);
                if (errno != 0 || end == line || v > UINT32_MAX)
                        return -EIO;
                ret[i] = (uid_t)v;
                line = end;
        }
        return 4;
}

/* Calls f for every other live process, with its four uids, until f returns non-zero. */
static int for_each_process(int (*f)(pid_t pid, const uid_t uids[static 4], void *userdata),
                            void *userdata)
{
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        d = opendir("/proc");
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                uid_t uids[4];
                char *end;
                long pid;
                int r;

                errno = 0;
                pid = strtol(de->d_name, &end, 10);
                if (errno != 0 || *end != 0 || pid <= 1 || pid == getpid())
                        continue;
                if (process_uids((pid_t)pid, uids) <= 0)
                        continue;
                r = f((pid_t)pid, uids, userdata);
                if (r != 0)
                        return r;
        }
        return 0;
}

struct signal_uid {
        uid_t uid;
        int sig;
        int count;
};

static int signal_if_uid(pid_t pid, const uid_t uids[static 4], void *userdata)
{
        struct signal_uid *su = userdata;

        for (int i = 0; i < 4; i++)
                if (uids[i] == su->uid) {
                        if (kill(pid, su->sig) >= 0)
                                su->count++;
                        break;
                }
        return 0;
}

int sg_proc_signal_uid(uid_t uid, int sig)
{
        struct signal_uid su = {.uid = uid, .sig = sig};
        int r;

        /* Never root's processes: that would be the whole machine. */
        if (uid == 0)
                return -EPERM;
        r = for_each_process(signal_if_uid, &su);
        return r < 0 ? r : su.count;
}

struct uid_set {
        uid_t *items;
        size_t n, size;
};

static int add_uids(pid_t pid, const uid_t uids[static 4], void *userdata)
{
        struct uid_set *set = userdata;

        for (int i = 0; i < 4; i++) {
                bool seen = uids[i] == 0;

                for (size_t j = 0; j < set->n && !seen; j++)
                        seen = set->items[j] == uids[i];
                if (seen)
                        continue;
                if (GROW(set->items, set->size, set->n, 64) < 0)
                        return -ENOMEM;
                set->items[set->n++] = uids[i];
        }
        return 0;
}

int sg_proc_uids(uid_t **ret, size_t *ret_n)
{
        struct uid_set set = {};
        int r;

        r = for_each_process(add_uids, &set);
        if (r < 0) {
                free(set.items);
                return r;
        }
        *ret = set.items;
        *ret_n = set.n;
        return 0;
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
