/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cgroup.h"
#include "macro.h"

static void session_scope(void **state)
{
        char buf[256];

        (void)state;
        /* logind's layout, and below it (a sub-cgroup the session made). */
        assert_int_equal(sg_cgroup_session_scope("/user.slice/user-1003.slice/session-4.scope",
                                                 1003, buf, sizeof(buf)),
                         0);
        assert_string_equal(buf, "/user.slice/user-1003.slice/session-4.scope");
        assert_int_equal(sg_cgroup_session_scope("/t/user.slice/user-1003.slice/session-c9.scope/x",
                                                 1003, buf, sizeof(buf)),
                         0);
        assert_string_equal(buf, "/t/user.slice/user-1003.slice/session-c9.scope");
        /* Another user's session, the user manager, a service, a look-alike uid. */
        assert_int_equal(sg_cgroup_session_scope("/user.slice/user-1000.slice/session-4.scope",
                                                 1003, buf, sizeof(buf)),
                         -ENOENT);
        assert_int_equal(
                sg_cgroup_session_scope("/user.slice/user-1003.slice/user@1003.service/app", 1003,
                                        buf, sizeof(buf)),
                -ENOENT);
        assert_int_equal(
                sg_cgroup_session_scope("/system.slice/cron.service", 1003, buf, sizeof(buf)),
                -ENOENT);
        assert_int_equal(sg_cgroup_session_scope("/user.slice/user-10030.slice/session-4.scope",
                                                 1003, buf, sizeof(buf)),
                         -ENOENT);
        assert_int_equal(sg_cgroup_session_scope("/user.slice/user-1003.slice/session-.scope", 1003,
                                                 buf, sizeof(buf)),
                         -ENOENT);
        assert_int_equal(sg_cgroup_session_scope("/user.slice/user-1003.slice/session-4.scope",
                                                 1003, buf, 10),
                         -ENAMETOOLONG);
}

static void user_slice(void **state)
{
        char buf[256];

        (void)state;
        assert_int_equal(sg_cgroup_user_slice("/user.slice/user-1003.slice/user@1003.service/app",
                                              1003, buf, sizeof(buf)),
                         0);
        assert_string_equal(buf, "/user.slice/user-1003.slice");
        assert_int_equal(
                sg_cgroup_user_slice("/user.slice/user-1003.slice", 1003, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/user.slice/user-1003.slice");
        assert_int_equal(sg_cgroup_user_slice("/user.slice/user-1000.slice/session-2.scope", 1003,
                                              buf, sizeof(buf)),
                         -ENOENT);
        assert_int_equal(sg_cgroup_user_slice("/system.slice/ssh.service", 1003, buf, sizeof(buf)),
                         -ENOENT);
        assert_int_equal(
                sg_cgroup_user_slice("/user.slice/user-1003.slicex/a", 1003, buf, sizeof(buf)),
                -ENOENT);
}

static void kill_refuses_odd_paths(void **state)
{
        const char *root;

        (void)state;
        if (sg_cgroup_root(&root) < 0)
                skip();
        assert_int_equal(sg_cgroup_kill("relative"), -EINVAL);
        assert_int_equal(sg_cgroup_kill("/a/../b"), -EINVAL);
        assert_int_equal(sg_cgroup_kill("/a/.."), -EINVAL);
        assert_int_equal(sg_cgroup_kill("/no-such-cgroup-of-supportgrant"), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(session_scope),
                cmocka_unit_test(user_slice),
                cmocka_unit_test(kill_refuses_odd_paths),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
