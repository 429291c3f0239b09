/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "proc.h"

static char subuid_path[64];

static int setup_subuid(void **state)
{
        int fd;
        FILE *f;

        (void)state;
        strcpy(subuid_path, "/tmp/test_proc_subuid.XXXXXX");
        fd = mkstemp(subuid_path);
        if (fd < 0)
                return -1;
        f = fdopen(fd, "w");
        if (!f)
                return -1;
        fputs("jdoe:100000:65536\n"
              "1001:300000:10\n"
              "a line without fields\n"
              "kim:abc:5\n"
              "kim:5:0\n"
              "kim:4294967295:2\n"
              ":400000:10\n"
              "jdoe:500000:1\n",
              f);
        return fclose(f) == 0 ? 0 : -1;
}

static int teardown_subuid(void **state)
{
        (void)state;
        (void)unlink(subuid_path);
        return 0;
}

static void subuid_ranges_by_name_and_uid(void **state)
{
        struct sg_uid_range *r = NULL;
        size_t n = 0, size = 0;

        (void)state;
        assert_int_equal(sg_subuid_ranges(subuid_path, "jdoe", 1000, &r, &n, &size), 0);
        assert_int_equal(n, 2);
        assert_int_equal(r[0].start, 100000);
        assert_int_equal(r[0].count, 65536);
        assert_int_equal(r[1].start, 500000);
        assert_int_equal(r[1].count, 1);
        assert_true(sg_uid_ranges_contain(r, n, 100000));
        assert_true(sg_uid_ranges_contain(r, n, 165535));
        assert_false(sg_uid_ranges_contain(r, n, 165536));
        assert_false(sg_uid_ranges_contain(r, n, 99999));
        assert_true(sg_uid_ranges_contain(r, n, 500000));
        assert_false(sg_uid_ranges_contain(r, n, 500001));

        /* The file may name the owner by uid. */
        n = 0;
        assert_int_equal(sg_subuid_ranges(subuid_path, "someone", 1001, &r, &n, &size), 0);
        assert_int_equal(n, 1);
        assert_int_equal(r[0].start, 300000);
        assert_int_equal(r[0].count, 10);

        /* Malformed lines give nothing: kim has none. */
        n = 0;
        assert_int_equal(sg_subuid_ranges(subuid_path, "kim", 1002, &r, &n, &size), 0);
        assert_int_equal(n, 0);
        free(r);
}

static void subuid_owner(void **state)
{
        char owner[64];

        (void)state;
        assert_int_equal(sg_subuid_owner(subuid_path, 100005, owner, sizeof(owner)), 0);
        assert_string_equal(owner, "jdoe");
        assert_int_equal(sg_subuid_owner(subuid_path, 300009, owner, sizeof(owner)), 0);
        assert_string_equal(owner, "1001");
        assert_int_equal(sg_subuid_owner(subuid_path, 300010, owner, sizeof(owner)), -ENOENT);
        assert_int_equal(sg_subuid_owner(subuid_path, 400001, owner, sizeof(owner)), -ENOENT);
        assert_int_equal(sg_subuid_owner("/nonexistent/subuid", 100005, owner, sizeof(owner)),
                         -ENOENT);
}

static void subuid_missing_file(void **state)
{
        struct sg_uid_range *r = NULL;
        size_t n = 0, size = 0;

        (void)state;
        assert_int_equal(sg_subuid_ranges("/nonexistent/subuid", "jdoe", 1000, &r, &n, &size), 0);
        assert_int_equal(n, 0);
        free(r);
}

static void signal_ranges_never_root(void **state)
{
        struct sg_uid_range all = {.start = 0, .count = 10};

        (void)state;
        assert_int_equal(sg_proc_signal_ranges(&all, 1, 0), -EPERM);
        assert_int_equal(sg_proc_signal_uid(0, 0), -EPERM);
}

static void *sleeper(void *arg)
{
        (void)arg;
        for (;;)
                pause();
        return NULL;
}

/* A child that becomes uid; with live_threads, its main thread then ends with the raw exit
 * syscall while a second thread runs on (state Z, Threads: 2); without, it exits for good and
 * is left unreaped (a true zombie). */
static pid_t child_as(uid_t uid, bool live_threads)
{
        pid_t pid = fork();

        if (pid != 0)
                return pid;
        if (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
                _exit(3);
        if (live_threads) {
                pthread_t t;

                if (pthread_create(&t, NULL, sleeper, NULL) != 0)
                        _exit(4);
                (void)syscall(SYS_exit, 0);
        }
        _exit(0);
}

static bool state_is_zombie(pid_t pid)
{
        char path[64], buf[4096];
        FILE *f;
        bool z = false;

        (void)snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (fgets(buf, sizeof(buf), f))
                if (strncmp(buf, "State:", 6) == 0)
                        z = strchr(buf, 'Z') != NULL;
        fclose(f);
        return z;
}

static bool has_uid_ext(uid_t uid, bool quick)
{
        _cleanup_free_ uid_t *uids = NULL;
        size_t n = 0;

        assert_int_equal(sg_proc_uids(&uids, &n, quick), 0);
        for (size_t i = 0; i < n; i++)
                if (uids[i] == uid)
                        return true;
        return false;
}

static bool has_uid(uid_t uid)
{
        return has_uid_ext(uid, false);
}

static void zombie_leader_with_live_threads_is_alive(void **state)
{
        const uid_t uid = 54321;
        pid_t pid;
        int status;

        (void)state;
        if (geteuid() != 0)
                skip();
        pid = child_as(uid, true);
        assert_true(pid > 0);
        for (int i = 0; i < 200 && !state_is_zombie(pid); i++)
                (void)usleep(10000);
        assert_true(state_is_zombie(pid));
        /* Its thread lives: it is found (by the quick walk too), and signalled, and the
         * signal ends it. */
        assert_true(has_uid(uid));
        assert_true(has_uid_ext(uid, true));
        assert_int_equal(sg_proc_signal_uid(uid, SIGKILL), 1);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void true_zombie_is_not(void **state)
{
        const uid_t uid = 54322;
        pid_t pid;
        int status;

        (void)state;
        if (geteuid() != 0)
                skip();
        pid = child_as(uid, false);
        assert_true(pid > 0);
        for (int i = 0; i < 200 && !state_is_zombie(pid); i++)
                (void)usleep(10000);
        assert_true(state_is_zombie(pid));
        assert_false(has_uid(uid));
        /* The quick walk counts it (by the owner of /proc/PID); the exact count is 0. */
        assert_true(has_uid_ext(uid, true));
        assert_int_equal(sg_proc_signal_uid(uid, 0), 0);
        assert_int_equal(sg_proc_signal_uid(uid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(subuid_ranges_by_name_and_uid, setup_subuid,
                                                teardown_subuid),
                cmocka_unit_test_setup_teardown(subuid_owner, setup_subuid, teardown_subuid),
                cmocka_unit_test(subuid_missing_file),
                cmocka_unit_test(signal_ranges_never_root),
                cmocka_unit_test(zombie_leader_with_live_threads_is_alive),
                cmocka_unit_test(true_zombie_is_not),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
