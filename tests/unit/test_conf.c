/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "macro.h"

static char tmpdir[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

static int setup_tmpdir(void **state)
{
        strcpy(tmpdir, "/tmp/sg-test-conf.XXXXXX");
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmpdir(void **state)
{
        return nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes tmpdir/name with exactly that mode (umask does not apply) and returns its path. */
static const char *make_file(const char *name, const char *text, size_t len, mode_t mode)
{
        static char path[PATH_MAX];
        _cleanup_close_ int fd = -EBADF;

        assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", tmpdir, name) < sizeof(path));
        (void)unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, len), (ssize_t)len);
        assert_int_equal(fchmod(fd, mode), 0);
        return path;
}

static const char *make_text_file(const char *name, const char *text, mode_t mode)
{
        return make_file(name, text, strlen(text), mode);
}

static int parse(struct sg_config *c, const char *text, struct sg_error *err)
{
        return sg_config_parse(c, "test.conf", text, strlen(text), err);
}

static void assert_config_equal(const struct sg_config *a, const struct sg_config *b)
{
        assert_string_equal(a->staff_group, b->staff_group);
        assert_string_equal(a->department_prefix, b->department_prefix);
        assert_int_equal(a->reason, b->reason);
        assert_int_equal(a->reason_min_length, b->reason_min_length);
        assert_int_equal(a->default_period, b->default_period);
        assert_int_equal(a->retention.value, b->retention.value);
        assert_int_equal(a->retention.unit, b->retention.unit);
        assert_int_equal(a->terminate_sessions, b->terminate_sessions);
        assert_int_equal(a->default_right, b->default_right);
        assert_int_equal(a->code_validity.value, b->code_validity.value);
        assert_int_equal(a->code_validity.unit, b->code_validity.unit);
        assert_string_equal(a->database, b->database);
        assert_string_equal(a->socket, b->socket);
}

static void test_defaults(void **state)
{
        struct sg_config c;

        memset(&c, 0xaa, sizeof(c));
        sg_config_init(&c);
        assert_string_equal(c.staff_group, "onoffice-staff");
        assert_string_equal(c.department_prefix, "onoffice-");
        assert_int_equal(c.reason, SG_REASON_REQUIRED);
        assert_int_equal(c.reason_min_length, 10);
        assert_int_equal(c.default_period, SG_PERIOD_1H);
        assert_int_equal(c.retention.value, 6);
        assert_int_equal(c.retention.unit, SG_UNIT_MONTH);
        assert_true(c.terminate_sessions);
        assert_true(c.default_right);
        assert_int_equal(c.code_validity.value, 7);
        assert_int_equal(c.code_validity.unit, SG_UNIT_DAY);
        assert_string_equal(c.database, "/var/lib/supportgrant/supportgrant.db");
        assert_string_equal(c.socket, "/run/supportgrant/socket");
}

static void set_ok(struct sg_config *c, const char *key, const char *value)
{
        struct sg_error err = {};

        if (sg_config_set(c, key, value, &err) != 0)
                fail_msg("%s=%s refused: %s", key, value, err.msg);
}

static void test_set_good(void **state)
{
        char prefix63[64], socket107[108];
        struct sg_config c;

        sg_config_init(&c);
        set_ok(&c, "staff_group", "vendor-staff");
        assert_string_equal(c.staff_group, "vendor-staff");
        set_ok(&c, "staff_group", "staff@example.com");
        assert_string_equal(c.staff_group, "staff@example.com");
        set_ok(&c, "department_prefix", "vendor_");
        assert_string_equal(c.department_prefix, "vendor_");
        memset(prefix63, 'p', 63);
        prefix63[63] = '\0';
        set_ok(&c, "department_prefix", prefix63);
        assert_string_equal(c.department_prefix, prefix63);

        set_ok(&c, "reason", "optional");
        assert_int_equal(c.reason, SG_REASON_OPTIONAL);
        set_ok(&c, "reason", "off");
        assert_int_equal(c.reason, SG_REASON_OFF);
        set_ok(&c, "reason", "required");
        assert_int_equal(c.reason, SG_REASON_REQUIRED);

        set_ok(&c, "reason_min_length", "1");
        assert_int_equal(c.reason_min_length, 1);
        set_ok(&c, "reason_min_length", "500");
        assert_int_equal(c.reason_min_length, 500);

        set_ok(&c, "default_period", "today");
        assert_int_equal(c.default_period, SG_PERIOD_TODAY);
        set_ok(&c, "default_period", "permanent");
        assert_int_equal(c.default_period, SG_PERIOD_PERMANENT);

        set_ok(&c, "retention", "1y");
        assert_int_equal(c.retention.value, 1);
        assert_int_equal(c.retention.unit, SG_UNIT_YEAR);
        set_ok(&c, "code_validity", "48 hours");
        assert_int_equal(c.code_validity.value, 48);
        assert_int_equal(c.code_validity.unit, SG_UNIT_HOUR);

        set_ok(&c, "terminate_sessions", "no");
        assert_false(c.terminate_sessions);
        set_ok(&c, "terminate_sessions", "true");
        assert_true(c.terminate_sessions);
        set_ok(&c, "terminate_sessions", "0");
        assert_false(c.terminate_sessions);
        set_ok(&c, "terminate_sessions", "YES");
        assert_true(c.terminate_sessions);
        set_ok(&c, "default_right", "false");
        assert_false(c.default_right);
        set_ok(&c, "default_right", "1");
        assert_true(c.default_right);

        set_ok(&c, "database", "/srv/sg/db.sqlite");
        assert_string_equal(c.database, "/srv/sg/db.sqlite");
        socket107[0] = '/';
        memset(socket107 + 1, 's', 106);
        socket107[107] = '\0';
        set_ok(&c, "socket", socket107);
        assert_string_equal(c.socket, socket107);
}

static void test_set_bad(void **state)
{
        static char prefix64[65], socket108[109], path4096[4097];
        static const struct {
                const char *key;
                const char *value;
                const char *expected;
        } table[] = {
                {"staff_group", "", "a group name"},
                {"staff_group", "bad group", "a group name"},
                {"staff_group", "-staff", "a group name"},
                {"staff_group", "staff:x", "a group name"},
                {"department_prefix", "", "1 to 63 letters"},
                {"department_prefix", prefix64, "1 to 63 letters"},
                {"department_prefix", ".hidden-", "1 to 63 letters"},
                {"department_prefix", "dep$", "1 to 63 letters"},
                {"department_prefix", "a/b-", "1 to 63 letters"},
                {"reason", "maybe", "'required', 'optional' or 'off'"},
                {"reason", "Required", "'required', 'optional' or 'off'"},
                {"reason", "", "'required', 'optional' or 'off'"},
                {"reason_min_length", "0", "a number from 1 to 500"},
                {"reason_min_length", "501", "a number from 1 to 500"},
                {"reason_min_length", "-1", "a number from 1 to 500"},
                {"reason_min_length", "+5", "a number from 1 to 500"},
                {"reason_min_length", " 5", "a number from 1 to 500"},
                {"reason_min_length", "10x", "a number from 1 to 500"},
                {"reason_min_length", "0x10", "a number from 1 to 500"},
                {"reason_min_length", "18446744073709551626", "a number from 1 to 500"},
                {"reason_min_length", "", "a number from 1 to 500"},
                {"default_period", "3h", "1h, 2h, 4h, today, 1w, 2w, 1m or permanent"},
                {"default_period", "forever", "1h, 2h, 4h, today, 1w, 2w, 1m or permanent"},
                {"retention", "0 months", "a number from 1 to 100000 and a unit"},
                {"retention", "6 moons", "a number from 1 to 100000 and a unit"},
                {"retention", "-6 months", "a number from 1 to 100000 and a unit"},
                {"retention", "6", "a number from 1 to 100000 and a unit"},
                {"code_validity", "7", "a number from 1 to 100000 and a unit"},
                {"code_validity", "100001d", "a number from 1 to 100000 and a unit"},
                {"terminate_sessions", "maybe", "yes or no"},
                {"terminate_sessions", "2", "yes or no"},
                {"terminate_sessions", "", "yes or no"},
                {"default_right", "y", "yes or no"},
                {"default_right", "on", "yes or no"},
                {"database", "var/lib/db", "an absolute path shorter than 4096 bytes"},
                {"database", "", "an absolute path shorter than 4096 bytes"},
                {"database", "/var/lib/\ndb", "an absolute path shorter than 4096 bytes"},
                {"database", path4096, "an absolute path shorter than 4096 bytes"},
                {"socket", "run/socket", "an absolute path shorter than 108 bytes"},
                {"socket", socket108, "an absolute path shorter than 108 bytes"},
        };
        struct sg_config c, defaults;

        memset(prefix64, 'p', 64);
        socket108[0] = '/';
        memset(socket108 + 1, 's', 107);
        path4096[0] = '/';
        memset(path4096 + 1, 'd', 4095);

        sg_config_init(&defaults);
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                struct sg_error err = {};
                char expected[sizeof(err.msg)];

                sg_config_init(&c);
                assert_int_equal(sg_config_set(&c, table[i].key, table[i].value, &err), -EINVAL);
                /* the message names the key, the value and what is expected */
                if (strlen(table[i].value) < 40 && !strchr(table[i].value, '\n')) {
                        (void)snprintf(expected, sizeof(expected),
                                       "bad value '%s' for key '%s': expected %s", table[i].value,
                                       table[i].key, table[i].expected);
                        if (!strneq(err.msg, expected, strlen(expected)))
                                fail_msg("%s=%s: got \"%s\"", table[i].key, table[i].value,
                                         err.msg);
                }
                /* a refused value changes nothing */
                assert_config_equal(&c, &defaults);
        }
}

static void test_set_messages(void **state)
{
        struct sg_error err = {};
        struct sg_config c;
        char longvalue[300];

        sg_config_init(&c);
        assert_int_equal(sg_config_set(&c, "reason", "maybe", &err), -EINVAL);
        assert_string_equal(err.msg, "bad value 'maybe' for key 'reason': expected 'required', "
                                     "'optional' or 'off'");
        assert_int_equal(sg_config_set(&c, "colour", "blue", &err), -ENOKEY);
        assert_string_equal(err.msg, "unknown key 'colour'");
        /* keys are case-sensitive, like Linux-PAM's */
        assert_int_equal(sg_config_set(&c, "Reason", "off", &err), -ENOKEY);
        assert_string_equal(err.msg, "unknown key 'Reason'");
        /* control characters never reach a terminal or the journal raw */
        assert_int_equal(sg_config_set(&c, "a\033[2Jb", "x", &err), -ENOKEY);
        assert_string_equal(err.msg, "unknown key 'a\\x1b[2Jb'");
        assert_int_equal(sg_config_set(&c, "database", "/a\tb", &err), -EINVAL);
        assert_string_equal(err.msg, "bad value '/a\\x09b' for key 'database': expected an "
                                     "absolute path shorter than 4096 bytes");
        /* a very long value is cut short, with the message still ending in what is expected */
        memset(longvalue, 'x', sizeof(longvalue) - 1);
        longvalue[sizeof(longvalue) - 1] = '\0';
        assert_int_equal(sg_config_set(&c, "reason", longvalue, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "xxx...' for key 'reason': expected 'required'"));
        /* err may be NULL */
        assert_int_equal(sg_config_set(&c, "reason", "maybe", NULL), -EINVAL);
        assert_int_equal(sg_config_set(&c, "nope", "x", NULL), -ENOKEY);
        assert_int_equal(c.reason, SG_REASON_REQUIRED);
}

static void test_parse_good(void **state)
{
        static const char text[] = "# supportgrant configuration\n"
                                   "\n"
                                   "   # indented comment\n"
                                   "staff_group = vendor-staff\n"
                                   "department_prefix=vendor-\n"
                                   "reason\t=\toptional   \n"
                                   "reason_min_length = 20 # a comment after whitespace\n"
                                   "default_period = 1w\r\n"
                                   "retention = 90 days\n"
                                   "terminate_sessions = no\n"
                                   "  default_right = no\n"
                                   "code_validity = 2d\n"
                                   "database = /srv/sg#1/db\n"
                                   "\t\n"
                                   "socket = /run/sg.sock";
        struct sg_error err = {};
        struct sg_config c;

        sg_config_init(&c);
        assert_int_equal(parse(&c, text, &err), 0);
        assert_string_equal(c.staff_group, "vendor-staff");
        assert_string_equal(c.department_prefix, "vendor-");
        assert_int_equal(c.reason, SG_REASON_OPTIONAL);
        assert_int_equal(c.reason_min_length, 20);
        assert_int_equal(c.default_period, SG_PERIOD_1W);
        assert_int_equal(c.retention.value, 90);
        assert_int_equal(c.retention.unit, SG_UNIT_DAY);
        assert_false(c.terminate_sessions);
        assert_false(c.default_right);
        assert_int_equal(c.code_validity.value, 2);
        assert_int_equal(c.code_validity.unit, SG_UNIT_DAY);
        /* '#' not after whitespace is part of the value */
        assert_string_equal(c.database, "/srv/sg#1/db");
        /* the last line needs no newline */
        assert_string_equal(c.socket, "/run/sg.sock");
}

static void test_parse_duplicates_and_empty(void **state)
{
        struct sg_error err = {};
        struct sg_config c;

        sg_config_init(&c);
        assert_int_equal(parse(&c, "reason = off\nreason = optional\n", &err), 0);
        assert_int_equal(c.reason, SG_REASON_OPTIONAL);
        /* a value may contain '=' (it is then still checked) */
        assert_int_equal(parse(&c, "staff_group = a=b\n", &err), -EINVAL);
        assert_string_equal(err.msg, "test.conf:1: bad value 'a=b' for key 'staff_group': "
                                     "expected a group name of letters, digits, '.', '_', '@' "
                                     "and '-', not starting with '-' or '.'");

        sg_config_init(&c);
        assert_int_equal(sg_config_parse(&c, "empty", "", 0, &err), 0);
        assert_int_equal(sg_config_parse(&c, "empty", NULL, 0, &err), 0);
        assert_int_equal(parse(&c, "\n\n# only comments\n\n", &err), 0);
        assert_string_equal(c.staff_group, "onoffice-staff");
        /* no name: the message still has one */
        assert_int_equal(sg_config_parse(&c, NULL, "x", 1, &err), -EINVAL);
        assert_string_equal(err.msg, "(configuration):1: expected 'key = value', found no '='");
}

static void test_parse_errors(void **state)
{
        static const char text[] = "staff_group = vendor-staff\n"
                                   "\n"
                                   "reason = sometimes\n"      /* 3: bad value */
                                   "colour = blue\n"           /* 4: unknown key */
                                   "default_period = 2w\n"     /* 5: good, still applied */
                                   "terminate_sessions\n"      /* 6: no '=' */
                                   " = yes\n"                  /* 7: no key */
                                   "reason_min_length = 15\n"; /* 8: good */
        struct sg_error err = {};
        struct sg_config c;

        sg_config_init(&c);
        /* the first error is returned and reported */
        assert_int_equal(parse(&c, text, &err), -EINVAL);
        assert_string_equal(err.msg, "test.conf:3: bad value 'sometimes' for key 'reason': "
                                     "expected 'required', 'optional' or 'off'");
        /* the good lines count, the bad ones change nothing */
        assert_string_equal(c.staff_group, "vendor-staff");
        assert_int_equal(c.default_period, SG_PERIOD_2W);
        assert_int_equal(c.reason_min_length, 15);
        assert_int_equal(c.reason, SG_REASON_REQUIRED);
        assert_true(c.terminate_sessions);

        /* each error alone, with its line number */
        sg_config_init(&c);
        assert_int_equal(parse(&c, "# x\n\ncolour = blue\nreason = off\n", &err), -ENOKEY);
        assert_string_equal(err.msg, "test.conf:3: unknown key 'colour'");
        assert_int_equal(c.reason, SG_REASON_OFF);
        assert_int_equal(parse(&c, "reason = off\nterminate_sessions\n", &err), -EINVAL);
        assert_string_equal(err.msg, "test.conf:2: expected 'key = value', found no '='");
        assert_int_equal(parse(&c, "\n\n\n\n = yes\n", &err), -EINVAL);
        assert_string_equal(err.msg, "test.conf:5: expected 'key = value', found no key");
        /* CRLF lines are counted as lines too */
        assert_int_equal(parse(&c, "reason = off\r\n\r\nreason = bad\r\n", &err), -EINVAL);
        assert_string_equal(err.msg, "test.conf:3: bad value 'bad' for key 'reason': expected "
                                     "'required', 'optional' or 'off'");
        /* a '#' glued to the value is part of it, so this is a bad number */
        assert_int_equal(parse(&c, "reason_min_length = 12#comment\n", &err), -EINVAL);
        assert_string_equal(err.msg, "test.conf:1: bad value '12#comment' for key "
                                     "'reason_min_length': expected a number from 1 to 500");
}

static void test_parse_long_line_and_nul(void **state)
{
        char *text = malloc(3 * 5000);
        struct sg_error err = {};
        struct sg_config c;
        size_t n = 0;

        assert_non_null(text);
        /* line 1: a 4096-byte comment is fine */
        text[n++] = '#';
        memset(text + n, 'c', 4095);
        n += 4095;
        text[n++] = '\n';
        /* line 2: a 4097-byte one is not */
        text[n++] = '#';
        memset(text + n, 'c', 4096);
        n += 4096;
        text[n++] = '\n';
        /* line 3: still read */
        memcpy(text + n, "reason = off\n", 13);
        n += 13;

        sg_config_init(&c);
        assert_int_equal(sg_config_parse(&c, "long.conf", text, n, &err), -EINVAL);
        assert_string_equal(err.msg, "long.conf:2: line is longer than 4096 bytes");
        assert_int_equal(c.reason, SG_REASON_OFF);
        free(text);

        sg_config_init(&c);
        assert_int_equal(
                sg_config_parse(&c, "nul.conf", "reason = off\nstaff_group = a\0b\n", 31, &err),
                -EINVAL);
        assert_string_equal(err.msg, "nul.conf:2: line contains a NUL byte");
        assert_int_equal(c.reason, SG_REASON_OFF);
        assert_string_equal(c.staff_group, "onoffice-staff");
}

static void test_load(void **state)
{
        struct sg_error err = {};
        struct sg_config c;
        const char *path;
        char expected[sizeof(err.msg)];

        path = make_text_file("good.conf", "staff_group = vendor-staff\nreason = off\n", 0644);
        sg_config_init(&c);
        assert_int_equal(sg_config_load(&c, path, getuid(), &err), 0);
        assert_string_equal(c.staff_group, "vendor-staff");
        assert_int_equal(c.reason, SG_REASON_OFF);

        /* errors carry the path and the line */
        path = make_text_file("bad.conf", "reason = off\nreason_min_length = 0\n", 0600);
        sg_config_init(&c);
        assert_int_equal(sg_config_load(&c, path, getuid(), &err), -EINVAL);
        (void)snprintf(expected, sizeof(expected),
                       "%s:2: bad value '0' for key 'reason_min_length': expected a number from "
                       "1 to 500",
                       path);
        assert_string_equal(err.msg, expected);
        assert_int_equal(c.reason, SG_REASON_OFF);

        /* a missing file is -ENOENT, for the caller to judge */
        (void)snprintf(expected, sizeof(expected), "%s/missing.conf", tmpdir);
        assert_int_equal(sg_config_load(&c, expected, getuid(), &err), -ENOENT);
        assert_non_null(strstr(err.msg, "missing.conf: does not exist"));
}

static void test_open_trusted(void **state)
{
        char path[PATH_MAX], target[PATH_MAX], expected[sizeof(((struct sg_error *)0)->msg)];
        struct sg_error err = {};
        int fd;

        /* the good case: ours, 0644 */
        strcpy(path, make_text_file("trusted", "x = y\n", 0644));
        fd = sg_open_trusted(path, getuid(), 100, &err);
        assert_true(fd >= 0);
        /* O_CLOEXEC, and O_NONBLOCK cleared again */
        assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
        assert_int_equal(close(fd), 0);
        fd = sg_open_trusted(make_text_file("ro", "x = y\n", 0400), getuid(), 100, &err);
        assert_true(fd >= 0);
        assert_int_equal(close(fd), 0);

        /* group-writable */
        strcpy(path, make_text_file("groupw", "x = y\n", 0664));
        assert_int_equal(sg_open_trusted(path, getuid(), 100, &err), -EPERM);
        (void)snprintf(expected, sizeof(expected),
                       "%s: is writable by group or others (mode 0664); refusing it", path);
        assert_string_equal(err.msg, expected);
        /* world-writable */
        strcpy(path, make_text_file("otherw", "x = y\n", 0646));
        assert_int_equal(sg_open_trusted(path, getuid(), 100, &err), -EPERM);
        (void)snprintf(expected, sizeof(expected),
                       "%s: is writable by group or others (mode 0646); refusing it", path);
        assert_string_equal(err.msg, expected);

        /* owned by someone else */
        strcpy(path, make_text_file("theirs", "x = y\n", 0644));
        assert_int_equal(sg_open_trusted(path, getuid() + 1, 100, &err), -EPERM);
        (void)snprintf(expected, sizeof(expected), "%s: is owned by uid %u, not %u; refusing it",
                       path, (unsigned)getuid(), (unsigned)getuid() + 1);
        assert_string_equal(err.msg, expected);

        /* a symlink to a good file */
        strcpy(target, make_text_file("target", "x = y\n", 0644));
        (void)snprintf(path, sizeof(path), "%s/link", tmpdir);
        assert_int_equal(symlink(target, path), 0);
        assert_int_equal(sg_open_trusted(path, getuid(), 100, &err), -ELOOP);
        (void)snprintf(expected, sizeof(expected), "%s: is a symbolic link; refusing it", path);
        assert_string_equal(err.msg, expected);

        /* a directory */
        (void)snprintf(path, sizeof(path), "%s/dir", tmpdir);
        assert_int_equal(mkdir(path, 0755), 0);
        assert_int_equal(sg_open_trusted(path, getuid(), 100, &err), -EBADF);
        (void)snprintf(expected, sizeof(expected), "%s: is not a regular file; refusing it", path);
        assert_string_equal(err.msg, expected);

        /* a FIFO: refused, and without waiting for a writer */
        (void)snprintf(path, sizeof(path), "%s/fifo", tmpdir);
        assert_int_equal(mkfifo(path, 0644), 0);
        /* should that regress, SIGALRM ends the test run instead of letting it hang */
        (void)alarm(10);
        assert_int_equal(sg_open_trusted(path, getuid(), 100, &err), -EBADF);
        (void)alarm(0);

        /* too large */
        strcpy(path, make_text_file("big", "0123456789", 0644));
        assert_int_equal(sg_open_trusted(path, getuid(), 9, &err), -EFBIG);
        (void)snprintf(expected, sizeof(expected), "%s: is larger than 9 bytes; refusing it", path);
        assert_string_equal(err.msg, expected);
        fd = sg_open_trusted(path, getuid(), 10, &err);
        assert_true(fd >= 0);
        assert_int_equal(close(fd), 0);

        /* unreadable: root reads it anyway (and then it is fine: ours, not writable) */
        strcpy(path, make_text_file("unreadable", "x = y\n", 0000));
        fd = sg_open_trusted(path, getuid(), 100, &err);
        if (geteuid() == 0) {
                assert_true(fd >= 0);
                assert_int_equal(close(fd), 0);
        } else {
                assert_int_equal(fd, -EACCES);
                (void)snprintf(expected, sizeof(expected), "%s: permission denied", path);
                assert_string_equal(err.msg, expected);
        }

        /* missing */
        (void)snprintf(path, sizeof(path), "%s/nothing-here", tmpdir);
        assert_int_equal(sg_open_trusted(path, getuid(), 100, &err), -ENOENT);
        (void)snprintf(expected, sizeof(expected), "%s: does not exist", path);
        assert_string_equal(err.msg, expected);
}

static void test_load_too_big(void **state)
{
        size_t n = SG_CONF_MAX_SIZE + 1;
        char *text = malloc(n);
        struct sg_error err = {};
        struct sg_config c;
        const char *path;

        assert_non_null(text);
        memset(text, '\n', n);
        path = make_file("huge.conf", text, n, 0644);
        free(text);
        sg_config_init(&c);
        assert_int_equal(sg_config_load(&c, path, getuid(), &err), -EFBIG);
        assert_non_null(strstr(err.msg, "huge.conf: is larger than 65536 bytes; refusing it"));
}

/* The shipped file lists every key with its default: uncommented, it must give exactly the
 * built-in configuration. */
static void test_shipped_file(void **state)
{
        static const char *const keys[] = {
                "staff_group",
                "department_prefix",
                "reason",
                "reason_min_length",
                "default_period",
                "retention",
                "terminate_sessions",
                "default_right",
                "code_validity",
                "database",
                "socket",
        };
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        struct sg_config c, defaults;
        struct sg_error err = {};
        char text[8192] = "";
        size_t cap = 0, found = 0;

        /* The tests run from the top of the source tree (make unit, tests/run-tests.sh). */
        f = fopen("conf/supportgrant.conf", "re");
        if (!f)
                fail_msg("conf/supportgrant.conf: %m (run the tests from the source tree)");
        while (getline(&line, &cap, f) > 0) {
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        size_t k = strlen(keys[i]);

                        if (strneq(line, "# ", 2) && strneq(line + 2, keys[i], k) &&
                            strneq(line + 2 + k, " = ", 3)) {
                                assert_true(strlen(text) + strlen(line) < sizeof(text));
                                strcat(text, line + 2);
                                found |= 1u << i;
                        }
                }
        }
        assert_int_equal(found, (1u << ELEMENTSOF(keys)) - 1);

        sg_config_init(&defaults);
        memset(&c, 0, sizeof(c));
        /* start from something that differs from the defaults in every key */
        sg_config_init(&c);
        assert_int_equal(parse(&c,
                               "staff_group = x\ndepartment_prefix = y\nreason = off\n"
                               "reason_min_length = 1\ndefault_period = 2w\nretention = 1d\n"
                               "terminate_sessions = no\ndefault_right = no\ncode_validity = 1h\n"
                               "database = /x\nsocket = /y\n",
                               &err),
                         0);
        assert_int_equal(parse(&c, text, &err), 0);
        assert_config_equal(&c, &defaults);
}

static void test_login_defs(void **state)
{
        uid_t min = 1, max = 2;
        const char *path;

        path = make_text_file("login.defs",
                              "# /etc/login.defs\n"
                              "MAIL_DIR\t/var/mail\n"
                              "#UID_MIN 5\n"
                              "UID_MIN_EXTRA 7\n"
                              "UID_MIN\t\t\t 2000\n"
                              "  UID_MAX   50000  \n"
                              "SYS_UID_MAX  999\n",
                              0644);
        assert_int_equal(sg_login_defs_uid_range(path, &min, &max), 0);
        assert_int_equal(min, 2000);
        assert_int_equal(max, 50000);

        /* keys missing: the shadow defaults */
        path = make_text_file("login.defs", "UMASK 022\n", 0644);
        assert_int_equal(sg_login_defs_uid_range(path, &min, &max), 0);
        assert_int_equal(min, 1000);
        assert_int_equal(max, 60000);
        path = make_text_file("login.defs", "UID_MAX 70000\n", 0644);
        assert_int_equal(sg_login_defs_uid_range(path, &min, &max), 0);
        assert_int_equal(min, 1000);
        assert_int_equal(max, 70000);
        /* the largest real uid */
        path = make_text_file("login.defs", "UID_MAX 4294967294\n", 0644);
        assert_int_equal(sg_login_defs_uid_range(path, &min, &max), 0);
        assert_int_equal(max, 4294967294u);

        /* no file at all: defaults */
        min = max = 1;
        assert_int_equal(sg_login_defs_uid_range("/nonexistent/login.defs", &min, &max), 0);
        assert_int_equal(min, 1000);
        assert_int_equal(max, 60000);
}

static void test_login_defs_bad(void **state)
{
        static const char *const bad[] = {
                "UID_MIN abc\n",
                "UID_MIN\n",
                "UID_MIN -1\n",
                "UID_MIN +1000\n",
                "UID_MIN 1000x\n",
                "UID_MAX 1000 # humans\n",
                "UID_MAX 4294967295\n",
                "UID_MAX 99999999999999999999999\n",
                "UID_MIN 5000\nUID_MAX 4000\n",
        };
        uid_t min = 1, max = 2;
        const char *path;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                path = make_text_file("login.defs", bad[i], 0644);
                if (sg_login_defs_uid_range(path, &min, &max) != -EINVAL)
                        fail_msg("accepted \"%s\"", bad[i]);
                /* nothing half-read is handed out */
                assert_int_equal(min, 1);
                assert_int_equal(max, 2);
        }
        path = make_file("login.defs", "UID_MIN 1\0 00\n", 14, 0644);
        assert_int_equal(sg_login_defs_uid_range(path, &min, &max), -EINVAL);

        /* it decides who may activate: the same file checks as the configuration */
        path = make_text_file("login.defs", "UID_MIN 0\n", 0666);
        assert_int_equal(sg_login_defs_uid_range(path, &min, &max), -EPERM);
        assert_int_equal(min, 1);
        assert_int_equal(max, 2);
}

/* gate_allow (SPEC §8): one exact command per line, none by default. */
static void test_gate_allow(void **state)
{
        struct sg_config c;
        struct sg_error err = {};
        char line[64];

        sg_config_init(&c);
        assert_int_equal(c.n_gate_allow, 0);
        assert_int_equal(parse(&c,
                               "gate_allow = /usr/bin/uptime\n"
                               "gate_allow =   systemctl status nginx  \n"
                               "gate_allow = /usr/bin/uptime\n",
                               &err),
                         0);
        assert_int_equal(c.n_gate_allow, 2);
        assert_string_equal(c.gate_allow[0], "/usr/bin/uptime");
        assert_string_equal(c.gate_allow[1], "systemctl status nginx");

        assert_int_equal(sg_config_set(&c, "gate_allow", "", &err), -EINVAL);
        assert_int_equal(sg_config_set(&c, "gate_allow", "ls\tx", &err), -EINVAL);
        assert_non_null(strstr(err.msg, "bad value"));
        assert_int_equal(sg_config_set(&c, "gate_allow", "caf\xc3\xa9", &err), -EINVAL);
        for (int i = 2; i < SG_GATE_ALLOW_MAX; i++) {
                (void)snprintf(line, sizeof(line), "/usr/bin/true %d", i);
                set_ok(&c, "gate_allow", line);
        }
        assert_int_equal(sg_config_set(&c, "gate_allow", "/usr/bin/one-too-many", &err), -EINVAL);
        assert_non_null(strstr(err.msg, "at most 16"));
        assert_int_equal(c.n_gate_allow, SG_GATE_ALLOW_MAX);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_set_good),
                cmocka_unit_test(test_set_bad),
                cmocka_unit_test(test_set_messages),
                cmocka_unit_test(test_parse_good),
                cmocka_unit_test(test_parse_duplicates_and_empty),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_parse_long_line_and_nul),
                cmocka_unit_test(test_load),
                cmocka_unit_test(test_open_trusted),
                cmocka_unit_test(test_load_too_big),
                cmocka_unit_test(test_shipped_file),
                cmocka_unit_test(test_login_defs),
                cmocka_unit_test(test_login_defs_bad),
                cmocka_unit_test(test_gate_allow),
        };

        return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
