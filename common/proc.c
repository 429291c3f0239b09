/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>

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

/* The value of a "Key:" line of /proc/PID/status, or NULL. */
static const char *status_field(const char *buf, const char *key)
{
        size_t k = strlen(key);

        for (const char *line = buf; line && *line; line = strchr(line, '\n')) {
                if (*line == '\n')
                        line++;
                if (strncmp(line, key, k) == 0 && line[k] == ':')
                        return line + k + 1 + strspn(line + k + 1, " \t");
        }
        return NULL;
}

/* The uids on /proc/PID/status's "Uid:" line (real, effective, saved, fs). 0 when nothing of
 * the process lives: a zombie is only waiting to be reaped. A group leader that ended its own
 * thread with the raw exit syscall shows as a zombie too, while its other threads run on:
 * that one counts as alive (its "Threads:" are more than one). */
static int process_uids(pid_t pid, uid_t ret[static 4])
{
        char buf[4096];
        const char *v;
        int r;

        r = read_proc_file(pid, "status", buf, sizeof(buf));
        if (r < 0)
                return r;
        v = status_field(buf, "State");
        if (v && *v == 'Z') {
                v = status_field(buf, "Threads");
                if (!v || strtoul(v, NULL, 10) <= 1)
                        return 0;
        }
        v = status_field(buf, "Uid");
        if (!v)
                return -EIO;
        for (int i = 0; i < 4; i++) {
                char *end;
                unsigned long u;

                errno = 0;
                u = strtoul(v, &end, 10);
                if (errno != 0 || end == v || u > UINT32_MAX)
                        return -EIO;
                ret[i] = (uid_t)u;
                v = end;
        }
        return 4;
}

/* Calls f for every other live process, with its four uids, until f returns non-zero. */
/* Calls f for every other live process, with its four uids, until f returns non-zero. quick:
 * a process whose /proc/PID directory is not root's is reported with that owner, its effective
 * uid, as all four (no /proc/PID/status read, about a tenth of the cost; zombies included);
 * only root's, which include every process running a setuid-root program, are read whole. */
static int for_each_process_ext(int (*f)(pid_t pid, const uid_t uids[static 4], void *userdata),
                                void *userdata, bool quick)
{
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        d = opendir("/proc");
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                uid_t uids[4];
                struct stat st;
                char *end;
                long pid;
                int r;

                errno = 0;
                pid = strtol(de->d_name, &end, 10);
                if (errno != 0 || *end != 0 || pid <= 1 || pid == getpid())
                        continue;
                if (quick && fstatat(dirfd(d), de->d_name, &st, 0) >= 0 && st.st_uid != 0) {
                        for (int i = 0; i < 4; i++)
                                uids[i] = st.st_uid;
                } else if (process_uids((pid_t)pid, uids) <= 0)
                        continue;
                r = f((pid_t)pid, uids, userdata);
                if (r != 0)
                        return r;
        }
        return 0;
}

static int for_each_process(int (*f)(pid_t pid, const uid_t uids[static 4], void *userdata),
                            void *userdata)
{
        return for_each_process_ext(f, userdata, false);
}

bool sg_uid_ranges_contain(const struct sg_uid_range *r, size_t n, uid_t uid)
{
        for (size_t i = 0; i < n; i++)
                if (uid >= r[i].start && uid - r[i].start < r[i].count)
                        return true;
        return false;
}

struct signal_ranges {
        const struct sg_uid_range *ranges;
        size_t n;
        int sig;
        int count;
};

static int signal_if_in_ranges(pid_t pid, const uid_t uids[static 4], void *userdata)
{
        struct signal_ranges *sr = userdata;

        for (int i = 0; i < 4; i++)
                if (sg_uid_ranges_contain(sr->ranges, sr->n, uids[i])) {
                        if (kill(pid, sr->sig) >= 0)
                                sr->count++;
                        break;
                }
        return 0;
}

int sg_proc_signal_ranges(const struct sg_uid_range *ranges, size_t n, int sig)
{
        struct signal_ranges sr = {.ranges = ranges, .n = n, .sig = sig};
        int r;

        /* Never root's processes: that would be the whole machine. */
        if (sg_uid_ranges_contain(ranges, n, 0))
                return -EPERM;
        r = for_each_process(signal_if_in_ranges, &sr);
        return r < 0 ? r : sr.count;
}

int sg_proc_session(pid_t pid, pid_t *ret)
{
        char buf[2048], *p, *end;
        long v;
        int r;

        r = read_proc_file(pid, "stat", buf, sizeof(buf));
        if (r < 0)
                return r;
        p = strrchr(buf, ')'); /* the command name may hold spaces and ')' */
        if (!p)
                return -EIO;
        p++;
        for (int field = 3; field < 6; field++) {
                p += strspn(p, " ");
                p += strcspn(p, " ");
        }
        errno = 0;
        v = strtol(p, &end, 10);
        if (errno != 0 || end == p || v < 0 || v > INT32_MAX)
                return -EIO;
        *ret = (pid_t)v;
        return 0;
}

struct signal_session {
        struct signal_ranges ranges;
        pid_t sid;
};

static int signal_if_in_session(pid_t pid, const uid_t uids[static 4], void *userdata)
{
        struct signal_session *ss = userdata;
        pid_t sid;
        bool ours = false;

        for (int i = 0; i < 4 && !ours; i++)
                ours = sg_uid_ranges_contain(ss->ranges.ranges, ss->ranges.n, uids[i]);
        if (!ours || sg_proc_session(pid, &sid) < 0 || sid != ss->sid)
                return 0;
        if (kill(pid, ss->ranges.sig) >= 0)
                ss->ranges.count++;
        return 0;
}

int sg_proc_signal_session(pid_t sid, const struct sg_uid_range *ranges, size_t n, int sig)
{
        struct signal_session ss = {.ranges = {.ranges = ranges, .n = n, .sig = sig}, .sid = sid};
        int r;

        if (sg_uid_ranges_contain(ranges, n, 0))
                return -EPERM;
        if (sid <= 1)
                return -EINVAL;
        r = for_each_process(signal_if_in_session, &ss);
        return r < 0 ? r : ss.ranges.count;
}

int sg_proc_signal_uid(uid_t uid, int sig)
{
        return sg_proc_signal_ranges(&(struct sg_uid_range){.start = uid, .count = 1}, 1, sig);
}

struct pid_set {
        const struct sg_uid_range *ranges;
        size_t n_ranges;
        pid_t *items;
        size_t n, size;
};

static int add_pid_if_in_ranges(pid_t pid, const uid_t uids[static 4], void *userdata)
{
        struct pid_set *set = userdata;

        for (int i = 0; i < 4; i++)
                if (sg_uid_ranges_contain(set->ranges, set->n_ranges, uids[i])) {
                        if (GROW(set->items, set->size, set->n, 16) < 0)
                                return -ENOMEM;
                        set->items[set->n++] = pid;
                        break;
                }
        return 0;
}

int sg_proc_pids(const struct sg_uid_range *ranges, size_t n, pid_t **ret, size_t *ret_n)
{
        struct pid_set set = {.ranges = ranges, .n_ranges = n};
        int r;

        r = for_each_process(add_pid_if_in_ranges, &set);
        if (r < 0) {
                free(set.items);
                return r;
        }
        *ret = set.items;
        *ret_n = set.n;
        return 0;
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

int sg_proc_uids(uid_t **ret, size_t *ret_n, bool quick)
{
        struct uid_set set = {};
        int r;

        r = for_each_process_ext(add_uids, &set, quick);
        if (r < 0) {
                free(set.items);
                return r;
        }
        *ret = set.items;
        *ret_n = set.n;
        return 0;
}

/* Calls f for each well-formed "owner:start:count" line of path, until f returns non-zero. */
static int for_each_subuid(const char *path,
                           int (*f)(const char *owner, uid_t start, uid_t count, void *userdata),
                           void *userdata)
{
        _cleanup_fclose_ FILE *fp = NULL;
        char line[512];

        fp = fopen(path, "re");
        if (!fp)
                return errno == ENOENT ? 0 : -errno;
        while (fgets(line, sizeof(line), fp)) {
                char *owner = line, *a, *b, *end;
                unsigned long start, count;
                int r;

                line[strcspn(line, "\n")] = 0;
                a = strchr(line, ':');
                if (!a)
                        continue;
                *a++ = 0;
                b = strchr(a, ':');
                if (!b || !*owner)
                        continue;
                *b++ = 0;
                errno = 0;
                start = strtoul(a, &end, 10);
                if (errno != 0 || end == a || *end || start > UINT32_MAX)
                        continue;
                count = strtoul(b, &end, 10);
                if (errno != 0 || end == b || *end || count == 0 || count > UINT32_MAX - start)
                        continue;
                r = f(owner, (uid_t)start, (uid_t)count, userdata);
                if (r != 0)
                        return r;
        }
        return ferror(fp) ? -EIO : 0;
}

struct subuid_ranges {
        const char *user;
        char uid[16];
        struct sg_uid_range **ranges;
        size_t *n, *size;
};

static int add_subuid_range(const char *owner, uid_t start, uid_t count, void *userdata)
{
        struct subuid_ranges *sr = userdata;

        if (!streq(owner, sr->user) && !streq(owner, sr->uid))
                return 0;
        if (GROW(*sr->ranges, *sr->size, *sr->n, 4) < 0)
                return -ENOMEM;
        (*sr->ranges)[(*sr->n)++] = (struct sg_uid_range){.start = start, .count = count};
        return 0;
}

int sg_subuid_ranges(const char *path, const char *user, uid_t uid, struct sg_uid_range **ranges,
                     size_t *n, size_t *size)
{
        struct subuid_ranges sr = {.user = user, .ranges = ranges, .n = n, .size = size};

        (void)snprintf(sr.uid, sizeof(sr.uid), "%u", (unsigned)uid);
        return for_each_subuid(path, add_subuid_range, &sr);
}

struct subuid_owner {
        uid_t uid;
        char *ret;
        size_t size;
};

static int match_subuid_owner(const char *owner, uid_t start, uid_t count, void *userdata)
{
        struct subuid_owner *so = userdata;

        if (so->uid < start || so->uid - start >= count)
                return 0;
        if (strlen(owner) >= so->size)
                return -ENAMETOOLONG;
        memcpy(so->ret, owner, strlen(owner) + 1);
        return 1;
}

int sg_subuid_owner(const char *path, uid_t uid, char *ret, size_t size)
{
        struct subuid_owner so = {.uid = uid, .ret = ret, .size = size};
        int r;

        r = for_each_subuid(path, match_subuid_owner, &so);
        if (r < 0)
                return r;
        return r > 0 ? 0 : -ENOENT;
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
