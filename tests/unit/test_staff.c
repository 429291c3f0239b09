/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sg_staff_decide(): how "staff unknown" is settled (SPEC §2), every row of the rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "staff.h"

static struct sg_identity member_of(uid_t uid, gid_t gid, enum sg_staff staff)
{
        struct sg_identity id = {.uid = uid, .gid = 100, .staff = staff, .n_gids = 2};

        id.gids[0] = 100;
        id.gids[1] = gid;
        return id;
}

static void known_answers_stay(void **state)
{
        struct sg_identity yes = member_of(1000, 5000, SG_STAFF_YES);
        struct sg_identity no = member_of(1000, 5000, SG_STAFF_NO);
        gid_t other = 6000;

        assert_int_equal(sg_staff_decide(&yes, &other, true, false), SG_STAFF_YES);
        assert_true(yes.is_staff);
        assert_int_equal(sg_staff_decide(&no, NULL, false, true), SG_STAFF_NO);
        assert_false(no.is_staff);
}

static void unknown_is_settled(void **state)
{
        static const struct {
                uid_t uid;
                bool have_last, local, known;
                gid_t last;
                enum sg_staff want;
        } rows[] = {
                /* root is never staff */
                {0, false, false, true, 0, SG_STAFF_NO},
                /* the last gid proves staff, wherever the account lives */
                {1000, true, false, false, 5000, SG_STAFF_YES},
                {1000, true, true, false, 5000, SG_STAFF_YES},
                /* it never proves the contrary */
                {1000, true, false, false, 6000, SG_STAFF_UNKNOWN},
                {1000, true, true, true, 6000, SG_STAFF_UNKNOWN},
                {1000, true, true, false, 6000, SG_STAFF_NO},
                /* nothing known: not local, or known as staff, stays unknown */
                {1000, false, false, false, 0, SG_STAFF_UNKNOWN},
                {1000, false, true, true, 0, SG_STAFF_UNKNOWN},
                {1000, false, false, true, 0, SG_STAFF_UNKNOWN},
                /* a local account never known as staff is not */
                {1000, false, true, false, 0, SG_STAFF_NO},
        };

        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                struct sg_identity id = member_of(rows[i].uid, 5000, SG_STAFF_UNKNOWN);

                print_message("row %zu\n", i);
                assert_int_equal(sg_staff_decide(&id, rows[i].have_last ? &rows[i].last : NULL,
                                                 rows[i].local, rows[i].known),
                                 rows[i].want);
                assert_int_equal(id.staff, rows[i].want);
                assert_int_equal(id.is_staff, rows[i].want == SG_STAFF_YES);
        }
}

static void local_passwd_file(void **state)
{
        char path[] = "/tmp/sg-staff-test.XXXXXX";
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_true(
                dprintf(fd, "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n") >
                0);
        close(fd);
        assert_int_equal(sg_user_is_local(path, "alice"), 1);
        assert_int_equal(sg_user_is_local(path, "Alice"), 0);
        assert_int_equal(sg_user_is_local(path, "dana"), 0);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(sg_user_is_local(path, "alice"), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(known_answers_stay),
                cmocka_unit_test(unknown_is_settled),
                cmocka_unit_test(local_passwd_file),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
