/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The method layer of supportgrantd: every row of methods_table, through methods_dispatch(), on
 * a real connection (one end of a socketpair) against a real SQLite database in a temporary
 * directory. For each row: who may call it (a caller it refuses and one it lets through), an
 * unknown parameter, and a value of the wrong type for each parameter of its spec.
 *
 * The host's own accounts play the roles, as in the fuzz target: staff_group = daemon (user
 * daemon, uid 1, is staff), nobody (uid 65534, the only uid in the human range here) is a
 * customer with the default right to activate, uid 4242 is unknown to NSS. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "manager.h"
#include "methods.h"
#include "sessions.h"
#include "varlink.h"

#define ROOT     0
#define STAFF    1
#define CUSTOMER 65534
#define UNKNOWN  4242

static struct manager m;
static char dir[] = "/tmp/sg-test-methods.XXXXXX";

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
        return remove(path);
}

static int setup(void **state)
{
        struct sg_error err = {};
        char path[PATH_MAX];

        log_set_max_priority(getenv("SG_TEST_VERBOSE") ? LOG_DEBUG : -1);
        assert_non_null(mkdtemp(dir));
        sg_config_init(&m.cfg);
        (void)snprintf(path, sizeof(path), "%s/supportgrant.db", dir);
        assert_int_equal(sg_config_set(&m.cfg, "database", path, &err), 0);
        assert_int_equal(sg_config_set(&m.cfg, "staff_group", "daemon", &err), 0);
        assert_int_equal(sg_config_set(&m.cfg, "terminate_sessions", "no", &err), 0);
        m.uid_min = m.uid_max = CUSTOMER;
        assert_true(sd_event_default(&m.event) >= 0);
        server_init(&m.server, m.event, methods_dispatch, &m);
        assert_true(sessions_setup(&m) >= 0);
        return 0;
}

static int teardown(void **state)
{
        manager_done(&m);
        (void)nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
        return 0;
}

/* One request from uid over a fresh connection; returns the first reply, parsed. */
static json_object *call(uid_t uid, const char *method, json_object *params)
{
        json_object *req = json_object_new_object(), *reply = NULL;
        struct ucred cred = {.pid = getpid(), .uid = uid, .gid = uid};
        struct conn *c;
        char *nul;
        int sv[2];

        assert_non_null(req);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
        assert_int_equal(conn_new(&m.server, sv[0], &cred, &c), 0);

        (void)json_object_object_add(req, "method", json_object_new_string(method));
        (void)json_object_object_add(req, "parameters", params ? params : json_object_new_object());
        assert_true(methods_dispatch(c, req, &m) >= 0);
        manager_commit(&m); /* as the event loop does at the end of the turn */
        json_object_put(req);
        /* A reply made over turns of the loop (AuditVerify): until it is queued, not sent. */
        while (c->out_len == 0 && c->more)
                assert_true(sd_event_run(m.event, 1000000) >= 0);

        assert_true(c->out_len > 0); /* every request is answered */
        nul = memchr(c->out, 0, c->out_len);
        assert_non_null(nul);
        assert_int_equal(sg_varlink_parse(c->out, (size_t)(nul - c->out), &reply), 0);
        conn_free(c);
        (void)close(sv[1]);
        assert_null(m.server.conns);
        return reply;
}

static const char *error_of(json_object *reply)
{
        json_object *v;

        return json_object_object_get_ex(reply, "error", &v) ? json_object_get_string(v) : NULL;
}

static const char *param_of(json_object *reply, const char *key)
{
        json_object *p, *v;

        if (!json_object_object_get_ex(reply, "parameters", &p) ||
            !json_object_object_get_ex(p, key, &v))
                return NULL;
        return json_object_get_string(v);
}

/* Who may call each method, as SPEC §6 says it: written out here by name, not read from the
 * table or from authz.c, so that a row with the wrong rule fails. */
static bool may_call(const char *method, uid_t uid)
{
        static const char *const anyone[] = {
                "org.varlink.service.GetInfo", "org.varlink.service.GetInterfaceDescription",
                SG_VARLINK_INTERFACE ".Ping", SG_VARLINK_INTERFACE ".Status"};
        static const char *const activators[] = {
                SG_VARLINK_INTERFACE ".Grant",      SG_VARLINK_INTERFACE ".Revoke",
                SG_VARLINK_INTERFACE ".List",       SG_VARLINK_INTERFACE ".History",
                SG_VARLINK_INTERFACE ".Logins",     SG_VARLINK_INTERFACE ".Activate",
                SG_VARLINK_INTERFACE ".Rights",     SG_VARLINK_INTERFACE ".AuditVerify",
                SG_VARLINK_INTERFACE ".AuditExport"};
        static const char *const gates[] = {SG_VARLINK_INTERFACE ".ExportRefused",
                                            SG_VARLINK_INTERFACE ".ExportStarted"};
        static const char *const module[] = {
                SG_VARLINK_INTERFACE ".LoginSettle", SG_VARLINK_INTERFACE ".LoginCheck",
                SG_VARLINK_INTERFACE ".LoginReason", SG_VARLINK_INTERFACE ".LoginDenied",
                SG_VARLINK_INTERFACE ".LoginOpen",   SG_VARLINK_INTERFACE ".LoginClose"};

        for (size_t i = 0; i < ELEMENTSOF(anyone); i++)
                if (streq(method, anyone[i]))
                        return true;
        for (size_t i = 0; i < ELEMENTSOF(activators); i++)
                if (streq(method, activators[i]))
                        return uid == ROOT || uid == CUSTOMER;
        for (size_t i = 0; i < ELEMENTSOF(gates); i++)
                if (streq(method, gates[i]))
                        return uid == ROOT || uid == STAFF;
        if (streq(method, SG_VARLINK_INTERFACE ".SetRight"))
                return uid == ROOT;
        /* The PAM module's phases: a staff account must not record its own reason or login. */
        for (size_t i = 0; i < ELEMENTSOF(module); i++)
                if (streq(method, module[i]))
                        return uid == ROOT;
        fail_msg("%s: a method this test does not know; add it", method);
        return false;
}

/* Each row: every caller, with no parameters. A refusal is PermissionDenied; a caller let
 * through may still get another error (a parameter it must give), never that one. Both kinds
 * occur for every row but the two that everyone may call. */
static void authorization_of_every_row(void **state)
{
        static const uid_t callers[] = {ROOT, STAFF, CUSTOMER, UNKNOWN};

        assert_int_equal(methods_table_size, 22);
        for (size_t i = 0; i < methods_table_size; i++) {
                const struct method *row = &methods_table[i];
                unsigned refused = 0, allowed = 0;

                for (size_t k = 0; k < ELEMENTSOF(callers); k++) {
                        json_object *reply = call(callers[k], row->name, NULL);
                        const char *e = error_of(reply);
                        bool denied = e && streq(e, SG_VARLINK_INTERFACE ".PermissionDenied");

                        if (denied != !may_call(row->name, callers[k]))
                                fail_msg("%s as uid %u: %s", row->name, (unsigned)callers[k],
                                         e ? e : "answered");
                        denied ? refused++ : allowed++;
                        json_object_put(reply);
                }
                assert_true(allowed > 0);
                assert_true(refused > 0 || may_call(row->name, UNKNOWN));
        }
}

/* Each row, as root: an unknown parameter is refused naming it, except by the lenient rows of
 * org.varlink.service, which answer. */
static void unknown_parameter_of_every_row(void **state)
{
        for (size_t i = 0; i < methods_table_size; i++) {
                const struct method *row = &methods_table[i];
                json_object *params = json_object_new_object();
                json_object *reply;
                const char *e;

                (void)json_object_object_add(params, "colour", json_object_new_string("blue"));
                reply = call(ROOT, row->name, params);
                e = error_of(reply);
                if (row->lenient) {
                        if (e && streq(e, "org.varlink.service.InvalidParameter"))
                                fail_msg("%s refused a parameter it ignores", row->name);
                } else if (!e || !streq(e, "org.varlink.service.InvalidParameter") ||
                           !streq(param_of(reply, "parameter"), "colour"))
                        fail_msg("%s: unknown parameter not refused (%s)", row->name,
                                 e ? e : "answered");
                json_object_put(reply);
        }
}

static json_object *wrong_value(enum param_type t)
{
        switch (t) {
        case PARAM_BOOL:
        case PARAM_COUNT:
        case PARAM_ARRAY:
                return json_object_new_string("yes");
        default:
                return json_object_new_int(42);
        }
}

static json_object *right_value(enum param_type t)
{
        switch (t) {
        case PARAM_NAME:
                return json_object_new_string("nobody");
        case PARAM_BOOL:
                return json_object_new_boolean(0);
        case PARAM_TIME:
                return json_object_new_string("2026-01-01T00:00:00Z");
        case PARAM_COUNT:
                return json_object_new_int(3);
        case PARAM_ARRAY:
                return json_object_new_array();
        default:
                return json_object_new_string("x");
        }
}

/* Each parameter of each row, as root: a value of the wrong type is refused naming it; the
 * twin (a well-typed value) is not refused for that parameter. */
static void wrong_type_of_every_parameter(void **state)
{
        unsigned checked = 0;

        for (size_t i = 0; i < methods_table_size; i++) {
                const struct method *row = &methods_table[i];

                for (const struct param_spec *ps = row->params; ps->name; ps++) {
                        json_object *params = json_object_new_object(), *reply;
                        _cleanup_free_ char *refusal = NULL;
                        const char *e, *named;

                        /* The other mandatory parameters, well-typed, so that the one under
                         * test is what gets refused. */
                        for (const struct param_spec *o = row->params; o->name; o++)
                                if (o != ps && o->mandatory)
                                        (void)json_object_object_add(params, o->name,
                                                                     right_value(o->type));
                        (void)json_object_object_add(params, ps->name, wrong_value(ps->type));
                        reply = call(ROOT, row->name, params);
                        e = error_of(reply);
                        if (!e || !strstr(e, "Invalid") ||
                            !(named = param_of(reply, "parameter")) || !streq(named, ps->name))
                                fail_msg("%s: a wrong %s not refused (%s)", row->name, ps->name,
                                         e ? e : "answered");
                        refusal = strdup(param_of(reply, "message"));
                        assert_non_null(refusal);
                        json_object_put(reply);

                        /* The twin: a well-typed value does not get that refusal (the method may
                         * still find something else wrong with it). */
                        params = json_object_new_object();
                        for (const struct param_spec *o = row->params; o->name; o++)
                                if (o == ps || o->mandatory)
                                        (void)json_object_object_add(params, o->name,
                                                                     right_value(o->type));
                        reply = call(ROOT, row->name, params);
                        named = param_of(reply, "message");
                        if (named && streq(named, refusal))
                                fail_msg("%s: a well-typed %s refused: %s", row->name, ps->name,
                                         named);
                        json_object_put(reply);
                        checked++;
                }
        }
        assert_true(checked >= 20);
}

/* Mandatory parameters: refused when missing, by the dispatcher, with the interface's error. */
static void mandatory_parameters(void **state)
{
        json_object *reply = call(ROOT, SG_VARLINK_INTERFACE ".Activate", NULL);

        assert_string_equal(error_of(reply), "org.varlink.service.InvalidParameter");
        assert_string_equal(param_of(reply, "parameter"), "code");
        json_object_put(reply);

        reply = call(ROOT, SG_VARLINK_INTERFACE ".SetRight", NULL);
        assert_string_equal(param_of(reply, "parameter"), "user");
        json_object_put(reply);
        reply = call(ROOT, SG_VARLINK_INTERFACE ".SetRight",
                     json_tokener_parse("{\"user\": \"nobody\"}"));
        assert_string_equal(param_of(reply, "parameter"), "holds");
        json_object_put(reply);
        /* The twin: with both, root's decision is recorded. */
        reply = call(ROOT, SG_VARLINK_INTERFACE ".SetRight",
                     json_tokener_parse("{\"user\": \"nobody\", \"holds\": true}"));
        assert_null(error_of(reply));
        json_object_put(reply);
}

/* A method that is no row: MethodNotFound, whoever asks. */
static void unknown_method(void **state)
{
        json_object *reply = call(CUSTOMER, SG_VARLINK_INTERFACE ".Grantt", NULL);

        assert_string_equal(error_of(reply), "org.varlink.service.MethodNotFound");
        json_object_put(reply);
        reply = call(ROOT, "org.varlink.service.Ping", NULL);
        assert_string_equal(error_of(reply), "org.varlink.service.MethodNotFound");
        json_object_put(reply);
        reply = call(UNKNOWN, SG_VARLINK_INTERFACE ".Ping", NULL);
        assert_null(error_of(reply));
        json_object_put(reply);
}

/* AuditVerify works over turns of the loop: a client that goes away meanwhile takes the work
 * with it (ASan sees a use after free otherwise); the twin, waited for, is answered intact. */
static void audit_verify_outlived(void **state)
{
        json_object *req = json_object_new_object(), *reply;
        struct ucred cred = {.pid = getpid(), .uid = ROOT, .gid = ROOT};
        struct conn *c;
        int sv[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
        assert_int_equal(conn_new(&m.server, sv[0], &cred, &c), 0);
        (void)json_object_object_add(req, "method",
                                     json_object_new_string(SG_VARLINK_INTERFACE ".AuditVerify"));
        assert_true(methods_dispatch(c, req, &m) >= 0);
        json_object_put(req);
        assert_int_equal(c->out_len, 0); /* not answered within the call */
        assert_non_null(c->more);
        conn_free(c);
        (void)close(sv[1]);
        for (int i = 0; i < 5; i++)
                assert_true(sd_event_run(m.event, 10000) >= 0);
        assert_null(m.server.conns);

        reply = call(ROOT, SG_VARLINK_INTERFACE ".AuditVerify", NULL);
        assert_null(error_of(reply));
        assert_true(json_object_get_boolean(
                json_object_object_get(json_object_object_get(reply, "parameters"), "intact")));
        json_object_put(reply);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(authorization_of_every_row),
                cmocka_unit_test(unknown_parameter_of_every_row),
                cmocka_unit_test(wrong_type_of_every_parameter),
                cmocka_unit_test(mandatory_parameters),
                cmocka_unit_test(unknown_method),
                cmocka_unit_test(audit_verify_outlived),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
