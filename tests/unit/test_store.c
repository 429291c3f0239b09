/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SQLite store on real files: schema steps, grant coverage, logins, codes, rights,
 * retention, and the refusal of files it must not trust. */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "store.h"

static char tmpdir[] = "/tmp/sg-store-test.XXXXXX";
static char path[PATH_MAX];
static int counter;

static int new_db(void **state)
{
        (void)snprintf(path, sizeof(path), "%s/db-%d.sqlite", tmpdir, counter++);
        return 0;
}

static sg_store *open_new(void)
{
        sg_store *s = NULL;
        struct sg_error err = {};
        int r = sg_store_open(path, SG_STORE_CREATE, &s, &err);

        if (r < 0)
                fail_msg("open %s: %s", path, err.msg);
        return s;
}

static int64_t grant(sg_store *s, enum sg_grant_kind kind, const char *target, bool export,
                     time_t granted, time_t expires)
{
        struct sg_grant g = {.kind = kind,
                             .export = export,
                             .period = SG_PERIOD_1H,
                             .granted_at = granted,
                             .expires_at = expires,
                             .via = SG_VIA_CLI};

        (void)snprintf(g.target, sizeof(g.target), "%s", target);
        (void)snprintf(g.granted_by, sizeof(g.granted_by), "alice");
        assert_int_equal(sg_store_grant_add(s, &g), 0);
        assert_true(g.id > 0);
        return g.id;
}

static void raw_sql(const char *statement)
{
        sqlite3 *h;

        assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
        assert_int_equal(sqlite3_exec(h, statement, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(h);
}

static int raw_int(const char *query)
{
        sqlite3 *h;
        sqlite3_stmt *st;
        int v;

        assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(h, query, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(h);
        return v;
}

static void fresh_database(void **state)
{
        sg_store *s = open_new();
        struct stat st;
        int v = -1;

        assert_int_equal(sg_store_schema_version(s, &v), 0);
        assert_int_equal(v, SG_STORE_SCHEMA_VERSION);
        sg_store_close(s);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(raw_int("PRAGMA journal_mode = WAL") >= 0, 1);
        /* Opening again changes nothing. */
        s = open_new();
        assert_int_equal(sg_store_schema_version(s, &v), 0);
        assert_int_equal(v, SG_STORE_SCHEMA_VERSION);
        sg_store_close(s);
}

static void upgrade_keeps_data(void **state)
{
        sg_store *s = NULL;
        int v;

        /* A database made by the first schema step... */
        assert_int_equal(sg_store_open_version(path, SG_STORE_CREATE, 1, &s, NULL), 0);
        assert_int_equal(sg_store_schema_version(s, &v), 0);
        assert_int_equal(v, 1);
        grant(s, SG_GRANT_USER, "jdoe", true, 100, SG_TIME_NEVER);
        sg_store_close(s);
        assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                                 "name = 'grants_by_target'"),
                         0);

        /* ...is brought up to date on the next open, with its grant intact. */
        s = open_new();
        assert_int_equal(sg_store_schema_version(s, &v), 0);
        assert_int_equal(v, SG_STORE_SCHEMA_VERSION);
        sg_store_close(s);
        assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                                 "name = 'grants_by_target'"),
                         1);
        assert_int_equal(raw_int("SELECT count(*) FROM grants WHERE target = 'jdoe' AND "
                                 "export = 1 AND expires_at IS NULL"),
                         1);
}

static int verify_record(int64_t seq, const char *record, const char *prev, const char *hash,
                         void *userdata)
{
        return sg_audit_verifier_add(userdata, record, prev, hash, seq);
}

/* An existing database gets a trail that starts with what was there; records chain on. */
static void audit_trail(void **state)
{
        struct sg_event_fields f = {.export = -1, .user = "jdoe", .reason = "ticket 1"};
        char hash[SG_AUDIT_HASH_LEN + 1], head[SG_AUDIT_HASH_LEN + 1], cp[SG_AUDIT_HASH_LEN + 1];
        char trail[SG_AUDIT_TRAIL_LEN + 1];
        struct sg_audit_verifier v;
        json_object *rec;
        sg_store *s = NULL;
        int64_t seq = 0, head_seq = 0;
        time_t when = 0;

        assert_int_equal(sg_store_open_version(path, SG_STORE_CREATE, 5, &s, NULL), 0);
        grant(s, SG_GRANT_USER, "jdoe", true, 100, SG_TIME_NEVER);
        sg_store_close(s);
        s = open_new();
        assert_int_equal(raw_int("SELECT count(*) FROM audit"), 1);
        assert_int_equal(raw_int("SELECT json_extract(record, '$.rows.grants') FROM audit"), 1);
        assert_int_equal(raw_int("SELECT json_extract(record, '$.rows.logins') FROM audit"), 0);
        assert_int_equal(raw_int("SELECT json_extract(record, '$.event') = 'trail-started' FROM "
                                 "audit WHERE seq = 1"),
                         1);
        assert_int_equal(sg_store_audit_trail(s, trail), 0);
        assert_int_equal(strlen(trail), SG_AUDIT_TRAIL_LEN);

        for (int i = 0; i < 2; i++) {
                rec = sg_audit_record_new(200 + i, "login-accepted", &f);
                assert_non_null(rec);
                assert_int_equal(sg_store_audit_append(s, rec, &seq, hash), 0);
                json_object_put(rec);
                assert_int_equal(seq, 2 + i);
        }
        assert_int_equal(sg_store_audit_head(s, &head_seq, head), 0);
        assert_int_equal(head_seq, 3);
        assert_string_equal(head, hash);

        sg_audit_verifier_init(&v, NULL, 0);
        assert_int_equal(sg_store_audit_each(s, 0, 0, verify_record, &v), 0);
        sg_audit_verifier_end(&v);
        assert_int_equal(v.broken, SG_AUDIT_INTACT);
        assert_int_equal(v.n, 3);

        /* A reason changed behind the store's back is seen. */
        raw_sql("UPDATE audit SET record = replace(record, 'ticket 1', 'ticket 2') WHERE seq = 2");
        sg_audit_verifier_init(&v, NULL, 0);
        assert_int_equal(sg_store_audit_each(s, 0, 0, verify_record, &v), 0);
        sg_audit_verifier_end(&v);
        assert_int_equal(v.broken, SG_AUDIT_CHANGED);
        assert_int_equal(v.bad_seq, 2);

        assert_int_equal(sg_store_audit_checkpoint_last(s, 1000, &seq, cp, &when), -ENOENT);
        assert_int_equal(sg_store_audit_checkpoint_add(s, 3, head, 500), 0);
        assert_int_equal(sg_store_audit_checkpoint_last(s, 400, &seq, cp, &when), -ENOENT);
        assert_int_equal(sg_store_audit_checkpoint_last(s, 1000, &seq, cp, &when), 0);
        assert_int_equal(seq, 3);
        assert_int_equal(when, 500);
        assert_string_equal(cp, head);
        sg_store_close(s);
}

static void newer_schema_refused(void **state)
{
        sg_store *s = open_new();
        struct sg_error err = {};

        sg_store_close(s);
        raw_sql("PRAGMA user_version = 99");
        s = NULL;
        assert_int_equal(sg_store_open(path, 0, &s, &err), -EPROTONOSUPPORT);
        assert_null(s);
        assert_non_null(strstr(err.msg, "newer"));
        /* Not even with CREATE: it is left alone. */
        assert_int_equal(sg_store_open(path, SG_STORE_CREATE, &s, &err), -EPROTONOSUPPORT);
        assert_int_equal(raw_int("PRAGMA user_version"), 99);
}

static void missing_corrupt_foreign(void **state)
{
        sg_store *s = NULL;
        struct sg_error err = {};
        int fd;

        assert_int_equal(sg_store_open(path, 0, &s, &err), -ENOENT);
        assert_non_null(strstr(err.msg, path));

        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "garbage, not a database, not at all. ", 37), 37);
        close(fd);
        assert_int_equal(sg_store_open(path, 0, &s, &err), -EBADMSG);
        assert_int_equal(sg_store_open(path, SG_STORE_CREATE, &s, &err), -EBADMSG);

        /* An empty file is not an initialized database for a reader... */
        assert_int_equal(truncate(path, 0), 0);
        assert_int_equal(sg_store_open(path, 0, &s, &err), -EBADMSG);
        /* ...and someone else's SQLite file is not ours to take over. */
        assert_int_equal(unlink(path), 0);
        raw_sql("CREATE TABLE grants (x)");
        assert_int_equal(chmod(path, 0600), 0);
        assert_int_equal(sg_store_open(path, SG_STORE_CREATE, &s, &err), -EBADMSG);
}

static void untrusted_file_refused(void **state)
{
        sg_store *s = open_new();
        struct sg_error err = {};
        char link[PATH_MAX + 8];

        sg_store_close(s);
        s = NULL;
        assert_int_equal(chmod(path, 0666), 0);
        assert_int_equal(sg_store_open(path, 0, &s, &err), -EPERM);
        assert_non_null(strstr(err.msg, "writable by group or others"));
        assert_int_equal(chmod(path, 0620), 0);
        assert_int_equal(sg_store_open(path, 0, &s, &err), -EPERM);
        assert_int_equal(chmod(path, 0600), 0);

        (void)snprintf(link, sizeof(link), "%s.link", path);
        assert_int_equal(symlink(path, link), 0);
        assert_int_equal(sg_store_open(link, 0, &s, &err), -EBADF);
        assert_int_equal(sg_store_open(tmpdir, 0, &s, &err), -EBADF);
        (void)unlink(link);

        /* The directory it is in, and its WAL and shared-memory index, are checked too: each
         * refusal names the file and why. The positive twin: 0700 and 0600 open. */
        assert_int_equal(chmod(tmpdir, 0770), 0);
        assert_int_equal(sg_store_open(path, 0, &s, &err), -EPERM);
        assert_non_null(strstr(err.msg, tmpdir));
        assert_non_null(strstr(err.msg, "writable by group or others"));
        assert_int_equal(chmod(tmpdir, 0700), 0);
        (void)snprintf(link, sizeof(link), "%s-wal", path);
        assert_int_equal(close(open(link, O_CREAT | O_WRONLY | O_CLOEXEC, 0604)), 0);
        assert_int_equal(chmod(link, 0604), 0);
        assert_int_equal(sg_store_open(path, 0, &s, &err), -EPERM);
        assert_non_null(strstr(err.msg, "-wal"));
        assert_non_null(strstr(err.msg, "readable by others"));
        assert_int_equal(chmod(link, 0600), 0);
        assert_int_equal(sg_store_open(path, 0, &s, &err), 0);
        sg_store_close(s);
        s = NULL;
        (void)snprintf(link, sizeof(link), "%s-shm", path);
        if (access(link, F_OK) == 0) {
                assert_int_equal(chmod(link, 0620), 0);
                assert_int_equal(sg_store_open(path, 0, &s, &err), -EPERM);
                assert_non_null(strstr(err.msg, "-shm"));
                assert_int_equal(chmod(link, 0600), 0);
        }
}

static void coverage_rules(void **state)
{
        sg_store *s = open_new();
        const char *support[] = {"support"}, *both[] = {"support", "development"};
        struct sg_coverage c;
        time_t now = 1000000;
        int64_t u1, u2, u3, d1, rv;

        /* Nothing yet. */
        assert_int_equal(sg_store_coverage(s, "jdoe", support, 1, now, &c), 0);
        assert_int_equal(c.n_grant_ids, 0);

        /* Expired, revoked, another user, another department: none covers jdoe. */
        grant(s, SG_GRANT_USER, "jdoe", true, now - 7200, now - 3600);
        grant(s, SG_GRANT_USER, "jdoe", true, now - 7200, now); /* ends exactly now */
        rv = grant(s, SG_GRANT_USER, "jdoe", true, now - 10, now + 3600);
        assert_int_equal(sg_store_grant_revoke(s, rv, now - 5, "alice"), 0);
        assert_int_equal(sg_store_grant_revoke(s, rv, now - 4, "alice"), -EALREADY);
        assert_int_equal(sg_store_grant_revoke(s, 424242, now, "alice"), -ENOENT);
        grant(s, SG_GRANT_USER, "mdev", true, now, now + 3600);
        grant(s, SG_GRANT_DEPARTMENT, "development", true, now, now + 3600);
        assert_int_equal(sg_store_coverage(s, "jdoe", support, 1, now, &c), 0);

        /* A user grant without export. */
        u1 = grant(s, SG_GRANT_USER, "jdoe", false, now, now + 3600);
        assert_int_equal(sg_store_coverage(s, "jdoe", support, 1, now, &c), 1);
        assert_int_equal(c.n_grant_ids, 1);
        assert_int_equal(c.grant_ids[0], u1);
        assert_false(c.export);
        assert_int_equal(c.expires_at, now + 3600);

        /* Overlapping department grant with export: export is the OR, expiry the latest. */
        d1 = grant(s, SG_GRANT_DEPARTMENT, "support", true, now, now + 7200);
        assert_int_equal(sg_store_coverage(s, "jdoe", support, 1, now, &c), 1);
        assert_int_equal(c.n_grant_ids, 2);
        assert_true(c.export);
        assert_int_equal(c.expires_at, now + 7200);
        assert_int_equal(c.export_until, now + 7200);
        assert_true(u1 < d1);
        assert_int_equal(c.grant_ids[0], u1); /* ascending */
        assert_int_equal(c.grant_ids[1], d1);
        /* A longer grant without export: access runs longer than export. */
        u3 = grant(s, SG_GRANT_USER, "jdoe", false, now, now + 10800);
        assert_int_equal(sg_store_coverage(s, "jdoe", support, 1, now, &c), 1);
        assert_true(c.export);
        assert_int_equal(c.expires_at, now + 10800);
        assert_int_equal(c.export_until, now + 7200);
        assert_int_equal(sg_store_grant_revoke(s, u3, now, "alice"), 0);

        /* Departments only count when the user is in them. */
        assert_int_equal(sg_store_coverage(s, "jdoe", NULL, 0, now, &c), 1);
        assert_int_equal(c.n_grant_ids, 1);
        assert_false(c.export);
        /* mdev's own grant and the development grant cover mdev. */
        assert_int_equal(sg_store_coverage(s, "mdev", both + 1, 1, now, &c), 1);
        assert_int_equal(c.n_grant_ids, 2);

        /* A permanent grant never expires. */
        u2 = grant(s, SG_GRANT_USER, "sam", false, now, SG_TIME_NEVER);
        assert_int_equal(sg_store_coverage(s, "sam", NULL, 0, now + 50 * 365 * 86400LL, &c), 1);
        assert_int_equal(c.grant_ids[0], u2);
        assert_int_equal(c.expires_at, SG_TIME_NEVER);

        /* After the user grant ends, only the department grant is left; after that, none. */
        assert_int_equal(sg_store_coverage(s, "jdoe", support, 1, now + 3600, &c), 1);
        assert_int_equal(c.grant_ids[0], d1);
        assert_int_equal(sg_store_coverage(s, "jdoe", support, 1, now + 7200, &c), 0);
        sg_store_close(s);
}

static int collect_ids(const struct sg_grant *g, void *userdata)
{
        int64_t *ids = userdata;

        for (int i = 0; i < 8; i++)
                if (ids[i] == 0) {
                        ids[i] = g->id;
                        break;
                }
        return 0;
}

static void grant_listings(void **state)
{
        sg_store *s = open_new();
        time_t now = 5000000, next = 0;
        int64_t a, b, c, ids[8] = {};
        struct sg_grant g;

        a = grant(s, SG_GRANT_USER, "jdoe", false, now - 100, now + 100);
        b = grant(s, SG_GRANT_DEPARTMENT, "support", true, now - 50, SG_TIME_NEVER);
        c = grant(s, SG_GRANT_USER, "mdev", false, now - 3000, now - 1000);

        assert_int_equal(sg_store_grants_active(s, now, collect_ids, ids), 0);
        assert_int_equal(ids[0], b); /* newest first */
        assert_int_equal(ids[1], a);
        assert_int_equal(ids[2], 0);

        memset(ids, 0, sizeof(ids));
        assert_int_equal(sg_store_grants_between(s, now - 3000, now, collect_ids, ids), 0);
        assert_int_equal(ids[0], b);
        assert_int_equal(ids[1], a);
        assert_int_equal(ids[2], c);
        memset(ids, 0, sizeof(ids));
        assert_int_equal(sg_store_grants_between(s, now - 99, now, collect_ids, ids), 0);
        assert_int_equal(ids[0], b);
        assert_int_equal(ids[1], 0);

        memset(ids, 0, sizeof(ids));
        assert_int_equal(
                sg_store_grants_active_for(s, SG_GRANT_USER, "jdoe", now, collect_ids, ids), 0);
        assert_int_equal(ids[0], a);
        assert_int_equal(ids[1], 0);

        assert_int_equal(sg_store_next_expiry(s, now, &next), 0);
        assert_int_equal(next, now + 100);
        assert_int_equal(sg_store_next_expiry(s, now + 100, &next), 0);
        assert_int_equal(next, SG_TIME_NEVER);

        assert_int_equal(sg_store_grant_get(s, b, &g), 0);
        assert_int_equal(g.kind, SG_GRANT_DEPARTMENT);
        assert_string_equal(g.target, "support");
        assert_true(g.export);
        assert_int_equal(g.expires_at, SG_TIME_NEVER);
        assert_string_equal(g.granted_by, "alice");
        assert_int_equal(sg_grant_state(&g, now), SG_GRANT_ACTIVE);
        assert_int_equal(sg_store_grant_get(s, c, &g), 0);
        assert_int_equal(sg_grant_state(&g, now), SG_GRANT_EXPIRED);
        assert_int_equal(sg_store_grant_get(s, 999, &g), -ENOENT);
        sg_store_close(s);
}

static int64_t login(sg_store *s, const char *user, time_t t, enum sg_login_outcome o)
{
        struct sg_login l = {.time = t,
                             .outcome = o,
                             .pid = 4242,
                             .pid_start = 77,
                             .n_grant_ids = 2,
                             .grant_ids = {3, 7}};

        (void)snprintf(l.user, sizeof(l.user), "%s", user);
        (void)snprintf(l.reason, sizeof(l.reason), "reason at %lld", (long long)t);
        (void)snprintf(l.service, sizeof(l.service), "sshd");
        assert_int_equal(sg_store_login_add(s, &l), 0);
        return l.id;
}

struct seen {
        int n;
        int64_t ids[16];
        time_t times[16];
};

static int collect_login(const struct sg_login *l, void *userdata)
{
        struct seen *s = userdata;

        if (s->n < 16) {
                s->ids[s->n] = l->id;
                s->times[s->n] = l->time;
        }
        s->n++;
        return 0;
}

static void logins_and_sessions(void **state)
{
        sg_store *s = open_new();
        struct seen seen = {};
        struct sg_login l;
        int64_t a, b, c, d, found = 0;

        a = login(s, "jdoe", 100, SG_LOGIN_ACCEPTED);
        b = login(s, "mdev", 200, SG_LOGIN_DENIED);
        c = login(s, "jdoe", 200, SG_LOGIN_ACCEPTED);
        d = login(s, "jdoe", 300, SG_LOGIN_ACCEPTED);

        assert_int_equal(sg_store_login_get(s, c, &l), 0);
        assert_string_equal(l.user, "jdoe");
        assert_string_equal(l.reason, "reason at 200");
        assert_int_equal(l.n_grant_ids, 2);
        assert_int_equal(l.grant_ids[1], 7);
        assert_int_equal(l.pid_start, 77);

        /* Newest first, same second ordered by id. */
        assert_int_equal(
                sg_store_logins_between(s, 0, SG_TIME_NEVER, NULL, 0, collect_login, &seen), 0);
        assert_int_equal(seen.n, 4);
        assert_int_equal(seen.ids[0], d);
        assert_int_equal(seen.ids[1], c);
        assert_int_equal(seen.ids[2], b);
        assert_int_equal(seen.ids[3], a);

        /* One user, a window, a limit, and pages that continue where the last one ended. */
        memset(&seen, 0, sizeof(seen));
        assert_int_equal(sg_store_logins_between(s, 150, 300, "jdoe", 0, collect_login, &seen), 0);
        assert_int_equal(seen.n, 1);
        assert_int_equal(seen.ids[0], c);
        memset(&seen, 0, sizeof(seen));
        assert_int_equal(
                sg_store_logins_page(s, 0, SG_TIME_NEVER, NULL, 200, c, 10, collect_login, &seen),
                0);
        assert_int_equal(seen.n, 2);
        assert_int_equal(seen.ids[0], b);
        assert_int_equal(seen.ids[1], a);
        memset(&seen, 0, sizeof(seen));
        assert_int_equal(
                sg_store_logins_between(s, 0, SG_TIME_NEVER, NULL, 2, collect_login, &seen), 0);
        assert_int_equal(seen.n, 2);

        /* Open sessions: accepted and not ended; the first end wins. */
        memset(&seen, 0, sizeof(seen));
        assert_int_equal(sg_store_open_sessions(s, collect_login, &seen), 0);
        assert_int_equal(seen.n, 3);
        assert_int_equal(sg_store_login_find_open(s, "jdoe", 4242, 77, &found), 0);
        assert_int_equal(found, d);
        assert_int_equal(sg_store_login_find_open(s, "jdoe", 4242, 78, &found), -ENOENT);
        assert_int_equal(sg_store_login_end(s, d, 400, SG_END_TERMINATED), 0);
        assert_int_equal(sg_store_login_end(s, d, 401, SG_END_CLOSED), -EALREADY);
        assert_int_equal(sg_store_login_end(s, b, 401, SG_END_CLOSED), -EALREADY); /* denied */
        assert_int_equal(sg_store_login_end(s, 999, 401, SG_END_CLOSED), -ENOENT);
        assert_int_equal(sg_store_login_get(s, d, &l), 0);
        assert_int_equal(l.end, SG_END_TERMINATED);
        assert_int_equal(l.ended_at, 400);
        memset(&seen, 0, sizeof(seen));
        assert_int_equal(sg_store_open_sessions(s, collect_login, &seen), 0);
        assert_int_equal(seen.n, 2);
        sg_store_close(s);
}

static void codes_work_once(void **state)
{
        sg_store *s = open_new();
        char by[SG_NAME_MAX] = "";
        time_t used = 0;

        assert_int_equal(
                sg_store_code_mark_used(s, "00112233aabbccdd", 50, 100, "alice", 3, &used, by), 0);
        assert_int_equal(
                sg_store_code_mark_used(s, "00112233aabbccdd", 50, 200, "bob", 4, &used, by),
                -EEXIST);
        assert_int_equal(used, 100);
        assert_string_equal(by, "alice");
        assert_int_equal(
                sg_store_code_mark_used(s, "ffeeddccbbaa9988", 50, 200, "bob", 4, &used, by), 0);
        sg_store_close(s);
}

static void rights_entries(void **state)
{
        sg_store *s = open_new();
        enum sg_right r;

        assert_int_equal(sg_store_right_get(s, "bob", &r), 0);
        assert_int_equal(r, SG_RIGHT_DEFAULT);
        assert_int_equal(sg_store_right_set(s, "bob", SG_RIGHT_REVOKED, 10, "root"), 0);
        assert_int_equal(sg_store_right_get(s, "bob", &r), 0);
        assert_int_equal(r, SG_RIGHT_REVOKED);
        assert_int_equal(sg_store_right_set(s, "bob", SG_RIGHT_GRANTED, 20, "root"), 0);
        assert_int_equal(sg_store_right_get(s, "bob", &r), 0);
        assert_int_equal(r, SG_RIGHT_GRANTED);
        assert_int_equal(sg_store_right_set(s, "bob", SG_RIGHT_DEFAULT, 30, "root"), 0);
        assert_int_equal(sg_store_right_get(s, "bob", &r), 0);
        assert_int_equal(r, SG_RIGHT_DEFAULT);
        sg_store_close(s);
}

static void retention(void **state)
{
        sg_store *s = open_new();
        time_t now = 100000000, cutoff = now - 180 * 86400;
        int64_t old_expired, old_revoked, old_permanent, recent, old_login, open_old, new_login;
        struct sg_grant g;
        struct sg_login l;
        char by[SG_NAME_MAX];
        time_t used;

        old_expired = grant(s, SG_GRANT_USER, "a", false, cutoff - 9000, cutoff - 5000);
        old_revoked = grant(s, SG_GRANT_USER, "b", false, cutoff - 9000, SG_TIME_NEVER);
        assert_int_equal(sg_store_grant_revoke(s, old_revoked, cutoff - 100, "root"), 0);
        old_permanent = grant(s, SG_GRANT_USER, "c", false, cutoff - 9000, SG_TIME_NEVER);
        recent = grant(s, SG_GRANT_USER, "d", false, cutoff - 9000, cutoff + 100);
        old_login = login(s, "a", cutoff - 10, SG_LOGIN_DENIED);
        open_old = login(s, "c", cutoff - 10, SG_LOGIN_ACCEPTED);
        new_login = login(s, "c", cutoff + 10, SG_LOGIN_ACCEPTED);
        assert_int_equal(sg_store_code_mark_used(s, "1111111111111111", now - 30 * 86400,
                                                 now - 29 * 86400, "root", 0, NULL, NULL),
                         0);
        assert_int_equal(sg_store_code_mark_used(s, "2222222222222222", now - 86400, now, "root", 0,
                                                 NULL, NULL),
                         0);

        assert_int_equal(sg_store_prune(s, cutoff, now - 8 * 86400), 4);

        /* Ended before the cutoff: gone. Active (permanent, or still running): kept. */
        assert_int_equal(sg_store_grant_get(s, old_expired, &g), -ENOENT);
        assert_int_equal(sg_store_grant_get(s, old_revoked, &g), -ENOENT);
        assert_int_equal(sg_store_grant_get(s, old_permanent, &g), 0);
        assert_int_equal(sg_store_grant_get(s, recent, &g), 0);
        assert_int_equal(sg_store_login_get(s, old_login, &l), -ENOENT);
        assert_int_equal(sg_store_login_get(s, open_old, &l), 0); /* still an open session */
        assert_int_equal(sg_store_login_get(s, new_login, &l), 0);
        /* A code that can still be redeemed stays remembered as used. */
        assert_int_equal(
                sg_store_code_mark_used(s, "2222222222222222", now - 86400, now, "x", 0, &used, by),
                -EEXIST);
        assert_int_equal(sg_store_code_mark_used(s, "1111111111111111", now - 30 * 86400, now, "x",
                                                 0, &used, by),
                         0);
        sg_store_close(s);
}

static void transactions_roll_back(void **state)
{
        sg_store *s = open_new();
        struct sg_grant g;
        int64_t id;

        assert_int_equal(sg_store_begin(s), 0);
        id = grant(s, SG_GRANT_USER, "jdoe", false, 1, 2);
        sg_store_rollback(s);
        assert_int_equal(sg_store_grant_get(s, id, &g), -ENOENT);
        assert_int_equal(sg_store_begin(s), 0);
        id = grant(s, SG_GRANT_USER, "jdoe", false, 1, 2);
        assert_int_equal(sg_store_commit(s), 0);
        assert_int_equal(sg_store_grant_get(s, id, &g), 0);
        sg_store_close(s);
}

static int group_setup(void **state)
{
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
        char cmd[PATH_MAX + 16];

        (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

/* SQLite's locks are POSIX record locks, which a process loses on its file when it closes any
 * descriptor of that file. Opening a second connection (the daemon does, while a method's is
 * open) must not close one: else another process takes itself for the last user of the WAL,
 * checkpoints and deletes it, and committed transactions vanish. An open file description
 * lock (F_OFD_GETLK) sees the POSIX locks of this very process. */
static bool holds_sqlite_shared_lock(int fd)
{
        struct flock fl = {
                .l_type = F_WRLCK,
                .l_whence = SEEK_SET,
                .l_start = 0x40000002, /* SQLite's SHARED_FIRST */
                .l_len = 510,          /* SHARED_SIZE */
        };

        assert_int_equal(fcntl(fd, F_OFD_GETLK, &fl), 0);
        return fl.l_type != F_UNLCK;
}

static void second_open_keeps_locks(void **state)
{
        sg_store *a = open_new(), *b;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        (void)grant(a, SG_GRANT_USER, "jdoe", false, 1000, 2000);
        assert_true(holds_sqlite_shared_lock(fd));
        b = open_new();
        assert_true(holds_sqlite_shared_lock(fd));
        sg_store_close(b);
        sg_store_close(a);
        (void)close(fd);
}

/* SPEC §2 "staff unknown": who the host has known as staff, from a version 2 database's rows
 * (the upgrade) and from every later login row and user grant, whatever retention prunes. */
static void known_staff_outlives_retention(void **state)
{
        struct sg_login l = {.outcome = SG_LOGIN_DENIED, .time = 1000};
        sg_store *s = NULL;

        assert_int_equal(sg_store_open_version(path, SG_STORE_CREATE, 2, &s, NULL), 0);
        grant(s, SG_GRANT_USER, "old-grant", false, 100, 200);
        grant(s, SG_GRANT_DEPARTMENT, "support", false, 100, 200);
        (void)snprintf(l.user, sizeof(l.user), "old-login");
        assert_int_equal(sg_store_login_add(s, &l), 0);
        sg_store_close(s);

        s = open_new();
        assert_int_equal(sg_store_staff_known(s, "old-grant"), 1);
        assert_int_equal(sg_store_staff_known(s, "old-login"), 1);
        assert_int_equal(sg_store_staff_known(s, "support"), 0); /* a department, no user */
        assert_int_equal(sg_store_staff_known(s, "alice"), 0);
        grant(s, SG_GRANT_USER, "new-grant", false, 300, 400);
        (void)snprintf(l.user, sizeof(l.user), "new-login");
        l.time = 300;
        assert_int_equal(sg_store_login_add(s, &l), 0);
        assert_true(sg_store_prune(s, 10000, 10000) >= 4);
        assert_int_equal(
                raw_int("SELECT count(*) FROM grants") + raw_int("SELECT count(*) FROM logins"), 0);
        assert_int_equal(sg_store_staff_known(s, "new-grant"), 1);
        assert_int_equal(sg_store_staff_known(s, "new-login"), 1);
        assert_int_equal(sg_store_staff_known(s, "old-login"), 1);
        sg_store_close(s);
}

static void staff_group_gid(void **state)
{
        sg_store *s = open_new();
        gid_t gid = 0;

        assert_int_equal(sg_store_staff_gid_get(s, "onoffice-staff", &gid), -ENOENT);
        assert_int_equal(sg_store_staff_gid_set(s, "onoffice-staff", 5000, 100), 1);
        assert_int_equal(sg_store_staff_gid_set(s, "onoffice-staff", 5000, 200), 0); /* no change */
        assert_int_equal(sg_store_staff_gid_get(s, "onoffice-staff", &gid), 0);
        assert_int_equal(gid, 5000);
        assert_int_equal(raw_int("SELECT seen_at FROM staff_groups"), 100);
        assert_int_equal(sg_store_staff_gid_set(s, "onoffice-staff", 5001, 300), 1);
        assert_int_equal(sg_store_staff_gid_get(s, "onoffice-staff", &gid), 0);
        assert_int_equal(gid, 5001);
        assert_int_equal(sg_store_staff_gid_get(s, "vendor-staff", &gid), -ENOENT);
        sg_store_close(s);
}

struct names {
        char all[256];
};

static int add_name(const char *name, void *userdata)
{
        struct names *n = userdata;
        size_t len = strlen(n->all);

        (void)snprintf(n->all + len, sizeof(n->all) - len, "%s%s", len ? "," : "", name);
        return 0;
}

/* SPEC §2 "names": rows stored under another spelling move to the canonical one; for rights,
 * where both spellings have an entry, root's later decision stays. */
static void rename_to_canonical(void **state)
{
        sg_store *s = open_new();
        struct names n = {};
        enum sg_right right;

        grant(s, SG_GRANT_USER, "JDoe", false, 100, SG_TIME_NEVER);
        grant(s, SG_GRANT_USER, "jdoe", false, 100, SG_TIME_NEVER);
        grant(s, SG_GRANT_DEPARTMENT, "Support", false, 100, SG_TIME_NEVER);
        assert_int_equal(sg_store_right_set(s, "Carol", SG_RIGHT_REVOKED, 200, "root"), 0);
        assert_int_equal(sg_store_right_set(s, "carol", SG_RIGHT_GRANTED, 100, "root"), 0);
        assert_int_equal(sg_store_right_set(s, "Bob", SG_RIGHT_GRANTED, 100, "root"), 0);
        assert_int_equal(sg_store_right_set(s, "bob", SG_RIGHT_REVOKED, 300, "root"), 0);

        assert_int_equal(sg_store_names(s, SG_NAME_USER_TARGET, add_name, &n), 0);
        assert_string_equal(n.all, "JDoe,jdoe");
        assert_int_equal(sg_store_rename(s, SG_NAME_USER_TARGET, "JDoe", "jdoe"), 1);
        assert_int_equal(raw_int("SELECT count(*) FROM grants WHERE target = 'jdoe'"), 2);
        assert_int_equal(sg_store_staff_known(s, "JDoe"), 0);
        assert_int_equal(sg_store_staff_known(s, "jdoe"), 1);
        assert_int_equal(sg_store_rename(s, SG_NAME_DEPARTMENT_TARGET, "Support", "support"), 1);
        assert_int_equal(raw_int("SELECT count(*) FROM grants WHERE target = 'support' AND "
                                 "kind = 'department'"),
                         1);

        /* Carol's revocation is the later decision: it stands, under carol. */
        assert_int_equal(sg_store_rename(s, SG_NAME_RIGHT, "Carol", "carol"), 1);
        assert_int_equal(sg_store_right_get(s, "carol", &right), 0);
        assert_int_equal(right, SG_RIGHT_REVOKED);
        /* bob's own entry is the later one: Bob's goes. */
        assert_int_equal(sg_store_rename(s, SG_NAME_RIGHT, "Bob", "bob"), 0);
        assert_int_equal(sg_store_right_get(s, "bob", &right), 0);
        assert_int_equal(right, SG_RIGHT_REVOKED);
        assert_int_equal(raw_int("SELECT count(*) FROM rights"), 2);
        sg_store_close(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(fresh_database, new_db),
                cmocka_unit_test_setup(upgrade_keeps_data, new_db),
                cmocka_unit_test_setup(audit_trail, new_db),
                cmocka_unit_test_setup(newer_schema_refused, new_db),
                cmocka_unit_test_setup(missing_corrupt_foreign, new_db),
                cmocka_unit_test_setup(untrusted_file_refused, new_db),
                cmocka_unit_test_setup(coverage_rules, new_db),
                cmocka_unit_test_setup(grant_listings, new_db),
                cmocka_unit_test_setup(logins_and_sessions, new_db),
                cmocka_unit_test_setup(codes_work_once, new_db),
                cmocka_unit_test_setup(rights_entries, new_db),
                cmocka_unit_test_setup(retention, new_db),
                cmocka_unit_test_setup(transactions_roll_back, new_db),
                cmocka_unit_test_setup(second_open_keeps_locks, new_db),
                cmocka_unit_test_setup(known_staff_outlives_retention, new_db),
                cmocka_unit_test_setup(staff_group_gid, new_db),
                cmocka_unit_test_setup(rename_to_canonical, new_db),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
