/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who may do what: every rule of sg_authorize() and sg_caller_may_activate(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "authz.h"
#include "macro.h"

static const enum sg_action managing[] = {
        SG_ACTION_GRANT,  SG_ACTION_REVOKE,   SG_ACTION_LIST,        SG_ACTION_HISTORY,
        SG_ACTION_LOGINS, SG_ACTION_ACTIVATE, SG_ACTION_RIGHTS_LIST,
};

static struct sg_caller caller(uid_t uid)
{
        return (struct sg_caller){.uid = uid,
                                  .known = true,
                                  .right = SG_RIGHT_DEFAULT,
                                  .uid_min = 1000,
                                  .uid_max = 60000,
                                  .default_right = true};
}

static void expect(const struct sg_caller *c, enum sg_action a, enum sg_missing want)
{
        enum sg_missing got = SG_MISSING_ROOT;
        int r = sg_authorize(c, a, &got);

        assert_int_equal(got, want);
        assert_int_equal(r, want == SG_MISSING_NOTHING ? 0 : -EPERM);
}

static void root_may_do_everything(void **state)
{
        struct sg_caller c = caller(0);

        for (int a = 0; a < _SG_ACTION_MAX; a++)
                expect(&c, a, SG_MISSING_NOTHING);
        /* Even an explicit revocation in the database does not bind root. */
        c.right = SG_RIGHT_REVOKED;
        assert_true(sg_caller_may_activate(&c));
        expect(&c, SG_ACTION_GRANT, SG_MISSING_NOTHING);
}

static void customer_user_by_default(void **state)
{
        struct sg_caller c = caller(1000);

        for (size_t i = 0; i < ELEMENTSOF(managing); i++)
                expect(&c, managing[i], SG_MISSING_NOTHING);
        expect(&c, SG_ACTION_STATUS, SG_MISSING_NOTHING);
        expect(&c, SG_ACTION_PING, SG_MISSING_NOTHING);
        expect(&c, SG_ACTION_RIGHTS_CHANGE, SG_MISSING_ROOT);
        expect(&c, SG_ACTION_LOGIN, SG_MISSING_PAM_MODULE);
        /* Only a staff session's gate reports a refused export, under its own name. */
        expect(&c, SG_ACTION_EXPORT_REFUSED, SG_MISSING_STAFF);
        expect(&c, SG_ACTION_EXPORT_STARTED, SG_MISSING_STAFF);
        /* The edges of UID_MIN..UID_MAX. */
        c.uid = 60000;
        assert_true(sg_caller_may_activate(&c));
        c.uid = 60001;
        assert_false(sg_caller_may_activate(&c));
        c.uid = 999;
        assert_false(sg_caller_may_activate(&c));
}

static void revoked_right(void **state)
{
        struct sg_caller c = caller(1001);

        c.right = SG_RIGHT_REVOKED;
        assert_false(sg_caller_may_activate(&c));
        for (size_t i = 0; i < ELEMENTSOF(managing); i++)
                expect(&c, managing[i], SG_MISSING_RIGHT_TO_ACTIVATE);
        expect(&c, SG_ACTION_STATUS, SG_MISSING_NOTHING);
}

static void service_accounts(void **state)
{
        struct sg_caller c = caller(33); /* www-data */

        expect(&c, SG_ACTION_GRANT, SG_MISSING_RIGHT_TO_ACTIVATE);
        /* Root may give it to one explicitly. */
        c.right = SG_RIGHT_GRANTED;
        expect(&c, SG_ACTION_GRANT, SG_MISSING_NOTHING);
}

static void default_right_off(void **state)
{
        struct sg_caller c = caller(1000);

        c.default_right = false;
        expect(&c, SG_ACTION_ACTIVATE, SG_MISSING_RIGHT_TO_ACTIVATE);
        c.right = SG_RIGHT_GRANTED;
        expect(&c, SG_ACTION_ACTIVATE, SG_MISSING_NOTHING);
}

static void staff_only_status(void **state)
{
        struct sg_caller c = caller(2001);

        c.is_staff = true;
        for (size_t i = 0; i < ELEMENTSOF(managing); i++)
                expect(&c, managing[i], SG_MISSING_NOT_STAFF);
        expect(&c, SG_ACTION_STATUS, SG_MISSING_NOTHING);
        expect(&c, SG_ACTION_EXPORT_REFUSED, SG_MISSING_NOTHING);
        expect(&c, SG_ACTION_EXPORT_STARTED, SG_MISSING_NOTHING);
        expect(&c, SG_ACTION_RIGHTS_CHANGE, SG_MISSING_ROOT);
        /* A staff account cannot record its own login or reason. */
        expect(&c, SG_ACTION_LOGIN, SG_MISSING_PAM_MODULE);
        /* No one grants themselves, whatever the database says. */
        c.right = SG_RIGHT_GRANTED;
        assert_false(sg_caller_may_activate(&c));
        expect(&c, SG_ACTION_ACTIVATE, SG_MISSING_NOT_STAFF);
}

static void unknown_uid_holds_nothing(void **state)
{
        struct sg_caller c = caller(4242);

        c.known = false;
        c.right = SG_RIGHT_GRANTED;
        assert_false(sg_caller_may_activate(&c));
        expect(&c, SG_ACTION_GRANT, SG_MISSING_RIGHT_TO_ACTIVATE);
        expect(&c, SG_ACTION_STATUS, SG_MISSING_NOTHING);
        c.is_staff = true; /* whatever it claims: a uid NSS does not know is no one's gate */
        expect(&c, SG_ACTION_EXPORT_REFUSED, SG_MISSING_STAFF);
        expect(&c, SG_ACTION_EXPORT_STARTED, SG_MISSING_STAFF);
        expect(&c, SG_ACTION_LOGIN, SG_MISSING_PAM_MODULE);
}

static void unknown_action_refused(void **state)
{
        struct sg_caller c = caller(1000);

        expect(&c, _SG_ACTION_MAX, SG_MISSING_ROOT);
        expect(&c, (enum sg_action) - 1, SG_MISSING_ROOT);
        assert_non_null(
                strstr(sg_missing_to_string(SG_MISSING_RIGHT_TO_ACTIVATE), "right to activate"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(root_may_do_everything),
                cmocka_unit_test(customer_user_by_default),
                cmocka_unit_test(revoked_right),
                cmocka_unit_test(service_accounts),
                cmocka_unit_test(default_right_off),
                cmocka_unit_test(staff_only_status),
                cmocka_unit_test(unknown_uid_holds_nothing),
                cmocka_unit_test(unknown_action_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
