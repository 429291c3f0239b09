/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "macro.h"

#define LINE_MAX_BYTES        4096
#define LOGIN_DEFS_PATH       "/etc/login.defs"
#define LOGIN_DEFS_MAX_SIZE   (1024 * 1024)
#define UID_MIN_DEFAULT       1000
#define UID_MAX_DEFAULT       60000
#define REASON_MIN_LENGTH_MAX 500

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Decimal digits only, within min..max. strtoull() alone would take leading spaces, a sign, and
 * turn "-1" into a huge number. */
static int parse_unsigned(const char *s, unsigned long long min, unsigned long long max,
                          unsigned long long *ret)
{
        unsigned long long v;
        char *end;

        if (!s || !is_digit(s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

/* Values from a file end up in messages on terminals and in the journal: show control
 * characters and other non-ASCII bytes as \xNN and cut what is very long. */
static const char *printable(const char *s, char *buf, size_t size)
{
        size_t o = 0;

        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;

                if (o + need + 4 > size) {
                        memcpy(buf + o, "...", 4);
                        return buf;
                }
                if (need == 1)
                        buf[o++] = (char)c;
                else
                        o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
        }
        buf[o] = '\0';
        return buf;
}

static int parse_boolean(const char *v, bool *ret)
{
        if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || streq(v, "1"))
                *ret = true;
        else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 || streq(v, "0"))
                *ret = false;
        else
                return -EINVAL;
        return 0;
}

/* The prefix is the start of a group name, so the name rules apply to it, except that a '$'
 * (allowed at the very end of a name) cannot be followed by the department's own name. */
static bool prefix_is_valid(const char *v)
{
        size_t n = strlen(v);

        if (n == 0 || n >= SG_PREFIX_MAX || strchr(v, '$'))
                return false;
        return sg_name_is_valid(v);
}

static bool path_is_valid(const char *v, size_t size)
{
        if (v[0] != '/' || strlen(v) >= size)
                return false;
        for (const char *p = v; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

static int set_staff_group(struct sg_config *c, const char *v)
{
        if (!sg_name_is_valid(v))
                return -EINVAL;
        return strcpy_checked(c->staff_group, sizeof(c->staff_group), v);
}

static int set_department_prefix(struct sg_config *c, const char *v)
{
        if (!prefix_is_valid(v))
                return -EINVAL;
        return strcpy_checked(c->department_prefix, sizeof(c->department_prefix), v);
}

static int set_reason(struct sg_config *c, const char *v)
{
        if (streq(v, "required"))
                c->reason = SG_REASON_REQUIRED;
        else if (streq(v, "optional"))
                c->reason = SG_REASON_OPTIONAL;
        else if (streq(v, "off"))
                c->reason = SG_REASON_OFF;
        else
                return -EINVAL;
        return 0;
}

static int set_reason_min_length(struct sg_config *c, const char *v)
{
        unsigned long long n;

        if (parse_unsigned(v, 1, REASON_MIN_LENGTH_MAX, &n) < 0)
                return -EINVAL;
        c->reason_min_length = (unsigned)n;
        return 0;
}

static int set_default_period(struct sg_config *c, const char *v)
{
        return sg_period_from_string(v, &c->default_period);
}

static int set_retention(struct sg_config *c, const char *v)
{
        return sg_duration_parse(v, &c->retention);
}

static int set_terminate_sessions(struct sg_config *c, const char *v)
{
        return parse_boolean(v, &c->terminate_sessions);
}

static int set_default_right(struct sg_config *c, const char *v)
{
        return parse_boolean(v, &c->default_right);
}

static int set_code_validity(struct sg_config *c, const char *v)
{
        return sg_duration_parse(v, &c->code_validity);
}

static int set_audit_checkpoint(struct sg_config *c, const char *v)
{
        return sg_duration_parse(v, &c->audit_checkpoint);
}

static int set_database(struct sg_config *c, const char *v)
{
        if (!path_is_valid(v, sizeof(c->database)))
                return -EINVAL;
        return strcpy_checked(c->database, sizeof(c->database), v);
}

static int set_socket(struct sg_config *c, const char *v)
{
        if (!path_is_valid(v, sizeof(c->socket)))
                return -EINVAL;
        return strcpy_checked(c->socket, sizeof(c->socket), v);
}

/* Each line adds one command; the same command twice counts once. */
static int set_gate_allow(struct sg_config *c, const char *v)
{
        size_t len = strlen(v);

        if (len == 0 || len >= SG_GATE_COMMAND_MAX)
                return -EINVAL;
        for (const char *p = v; *p; p++)
                if (*p < 0x20 || *p > 0x7e)
                        return -EINVAL;
        for (size_t i = 0; i < c->n_gate_allow; i++)
                if (streq(c->gate_allow[i], v))
                        return 0;
        if (c->n_gate_allow >= SG_GATE_ALLOW_MAX)
                return -EINVAL;
        memcpy(c->gate_allow[c->n_gate_allow++], v, len + 1);
        return 0;
}

#define DURATION_EXPECTED                                                                   \
        "a number from 1 to 100000 and a unit (s, min, h, d, w, m for months, y), e.g. '6 " \
        "months' or '30d'"

/* Every setter leaves the configuration alone when it refuses a value. */
static const struct {
        const char *key;
        int (*set)(struct sg_config *c, const char *value);
        const char *expected;
} config_keys[] = {
        {"staff_group", set_staff_group,
         "a group name of letters, digits, '.', '_', '@' and '-', not starting with '-' or '.'"},
        {"department_prefix", set_department_prefix,
         "1 to 63 letters, digits, '.', '_', '@' or '-', not starting with '-' or '.'"},
        {"reason", set_reason, "'required', 'optional' or 'off'"},
        {"reason_min_length", set_reason_min_length, "a number from 1 to 500"},
        {"default_period", set_default_period, SG_PERIOD_NAMES},
        {"retention", set_retention, DURATION_EXPECTED},
        {"terminate_sessions", set_terminate_sessions, "yes or no"},
        {"default_right", set_default_right, "yes or no"},
        {"code_validity", set_code_validity, DURATION_EXPECTED},
        {"audit_checkpoint", set_audit_checkpoint, DURATION_EXPECTED},
        {"database", set_database, "an absolute path shorter than 4096 bytes"},
        {"socket", set_socket, "an absolute path shorter than 108 bytes"},
        {"gate_allow", set_gate_allow,
         "a command of 1 to 255 printable ASCII characters, on at most 16 gate_allow lines"},
};

void sg_config_init(struct sg_config *c)
{
        *c = (struct sg_config){
                .staff_group = "onoffice-staff",
                .department_prefix = "onoffice-",
                .reason = SG_REASON_REQUIRED,
                .reason_min_length = 10,
                .default_period = SG_PERIOD_1H,
                .retention = {6, SG_UNIT_MONTH},
                .terminate_sessions = true,
                .default_right = true,
                .code_validity = {7, SG_UNIT_DAY},
                .audit_checkpoint = {1, SG_UNIT_HOUR},
                .database = SG_DATABASE_PATH,
                .socket = SG_SOCKET_PATH,
        };
}

int sg_config_set(struct sg_config *c, const char *key, const char *value, struct sg_error *err)
{
        char k[64], v[128];

        if (!c || !key || !value)
                return sg_error_set(err, -EINVAL, "missing key or value");
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++) {
                if (!streq(key, config_keys[i].key))
                        continue;
                if (config_keys[i].set(c, value) < 0)
                        return sg_error_set(
                                err, -EINVAL, "bad value '%s' for key '%s': expected %s",
                                printable(value, v, sizeof(v)), key, config_keys[i].expected);
                return 0;
        }
        return sg_error_set(err, -ENOKEY, "unknown key '%s'", printable(key, k, sizeof(k)));
}

/* One line, without its '\n'. */
static int parse_line(struct sg_config *c, const char *line, size_t len, struct sg_error *err)
{
        char buf[LINE_MAX_BYTES + 1], *s, *e, *eq, *key, *value;

        if (len > LINE_MAX_BYTES)
                return sg_error_set(err, -EINVAL, "line is longer than %d bytes", LINE_MAX_BYTES);
        if (memchr(line, '\0', len))
                return sg_error_set(err, -EINVAL, "line contains a NUL byte");
        memcpy(buf, line, len);
        buf[len] = '\0';

        /* '#' starts a comment only at the start of a line or after whitespace, so that a
         * value may contain one (a path "/srv/a#b"). */
        for (size_t i = 0; i < len; i++)
                if (buf[i] == '#' && (i == 0 || is_blank(buf[i - 1]))) {
                        buf[i] = '\0';
                        break;
                }

        s = buf;
        while (is_blank(*s))
                s++;
        e = s + strlen(s);
        while (e > s && is_blank(e[-1]))
                *--e = '\0';
        if (*s == '\0')
                return 0;

        eq = strchr(s, '=');
        if (!eq)
                return sg_error_set(err, -EINVAL, "expected 'key = value', found no '='");
        key = s;
        value = eq + 1;
        e = eq;
        while (e > key && is_blank(e[-1]))
                e--;
        *e = '\0';
        while (is_blank(*value))
                value++;
        if (*key == '\0')
                return sg_error_set(err, -EINVAL, "expected 'key = value', found no key");
        return sg_config_set(c, key, value, err);
}

int sg_config_parse(struct sg_config *c, const char *name, const char *text, size_t len,
                    struct sg_error *err)
{
        const char *p = text, *end = text + len;
        unsigned line = 0;
        int ret = 0;

        if (!c || (!text && len > 0))
                return sg_error_set(err, -EINVAL, "no configuration given");
        if (!name)
                name = "(configuration)";

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                struct sg_error line_err = {};
                int r;

                line++;
                r = parse_line(c, p, n, &line_err);
                /* Keep going: the good lines still count (see conf.h), but the first error
                 * is the one the admin sees. */
                if (r < 0 && ret == 0)
                        ret = sg_error_set(err, r, "%s:%u: %s", name, line, line_err.msg);
                p += n + (nl ? 1 : 0);
        }
        return ret;
}

int sg_open_trusted(const char *path, uid_t owner, size_t max_size, struct sg_error *err)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int flags;

        if (!path)
                return sg_error_set(err, -EINVAL, "no path given");

        /* O_NONBLOCK: opening a FIFO planted in place of the file would otherwise hang until
         * a writer comes; it is cleared again below once we know this is a regular file. */
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                int e = errno;

                switch (e) {
                case ENOENT:
                        return sg_error_set(err, -e, "%s: does not exist", path);
                case EACCES:
                        return sg_error_set(err, -e, "%s: permission denied", path);
                case ELOOP:
                        return sg_error_set(err, -e, "%s: is a symbolic link; refusing it", path);
                default:
                        errno = e;
                        return sg_error_set(err, -e, "%s: cannot open: %m", path);
                }
        }
        if (fstat(fd, &st) < 0)
                return sg_error_set(err, -errno, "%s: cannot stat: %m", path);
        if (!S_ISREG(st.st_mode))
                return sg_error_set(err, -EBADF, "%s: is not a regular file; refusing it", path);
        if (st.st_uid != owner)
                return sg_error_set(err, -EPERM, "%s: is owned by uid %u, not %u; refusing it",
                                    path, (unsigned)st.st_uid, (unsigned)owner);
        if (st.st_mode & (S_IWGRP | S_IWOTH))
                return sg_error_set(err, -EPERM,
                                    "%s: is writable by group or others (mode %04o); refusing it",
                                    path, (unsigned)(st.st_mode & 07777));
        if (st.st_size < 0 || (uintmax_t)st.st_size > max_size)
                return sg_error_set(err, -EFBIG, "%s: is larger than %zu bytes; refusing it", path,
                                    max_size);

        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
                return sg_error_set(err, -errno, "%s: cannot set file flags: %m", path);
        return TAKE_FD(fd);
}

/* The whole file, NUL-terminated; -EFBIG when it holds more than max bytes (it may have grown
 * since fstat()). */
static int read_all(int fd, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;

        buf = malloc(max + 2);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + len, max + 1 - len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int sg_config_load(struct sg_config *c, const char *path, uid_t owner, struct sg_error *err)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        if (!c || !path)
                return sg_error_set(err, -EINVAL, "no configuration file given");
        fd = sg_open_trusted(path, owner, SG_CONF_MAX_SIZE, err);
        if (fd < 0)
                return fd;
        r = read_all(fd, SG_CONF_MAX_SIZE, &text, &len);
        if (r == -EFBIG)
                return sg_error_set(err, r, "%s: is larger than %d bytes; refusing it", path,
                                    SG_CONF_MAX_SIZE);
        if (r < 0) {
                errno = -r;
                return sg_error_set(err, r, "%s: cannot read: %m", path);
        }
        return sg_config_parse(c, path, text, len, err);
}

int sg_config_load_untrusted(struct sg_config *c, const char *path)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t len;
        int r;

        if (!c || !path)
                return -EINVAL;
        /* O_NONBLOCK: a FIFO in its place must not hang a login. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        r = read_all(fd, SG_CONF_MAX_SIZE, &text, &len);
        if (r < 0)
                return r;
        (void)sg_config_parse(c, path, text, len, NULL);
        return 0;
}

/* A login.defs value: one token, then nothing but whitespace. shadow reads the rest of the
 * line as the value, so "1000 # humans" is not a number there either. */
static int parse_login_defs_uid(const char *s, uid_t *ret)
{
        char buf[32];
        size_t n = strcspn(s, " \t\r\v\f");
        unsigned long long v;

        if (s[n + strspn(s + n, " \t\r\v\f")] != '\0' || n == 0 || n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = '\0';
        /* (uid_t)-1 means "no user" to chown() and setresuid(), never a real account. */
        if (parse_unsigned(buf, 0, (uid_t)-2, &v) < 0)
                return -EINVAL;
        *ret = (uid_t)v;
        return 0;
}

int sg_login_defs_uid_range(const char *path, uid_t *ret_min, uid_t *ret_max)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        uid_t min = UID_MIN_DEFAULT, max = UID_MAX_DEFAULT;
        char *line, *saveptr = NULL;
        size_t len;
        int r;

        if (!ret_min || !ret_max)
                return -EINVAL;
        if (!path)
                path = LOGIN_DEFS_PATH;

        /* It decides who holds the right to activate, so it gets the same checks as our own
         * configuration; a file owned by the caller itself is no less trusted than the caller
         * (and lets the tests run unprivileged). */
        fd = sg_open_trusted(path, 0, LOGIN_DEFS_MAX_SIZE, NULL);
        if (fd == -EPERM && geteuid() != 0)
                fd = sg_open_trusted(path, geteuid(), LOGIN_DEFS_MAX_SIZE, NULL);
        if (fd == -ENOENT) {
                *ret_min = min;
                *ret_max = max;
                return 0;
        }
        if (fd < 0)
                return fd;
        r = read_all(fd, LOGIN_DEFS_MAX_SIZE, &text, &len);
        if (r < 0)
                return r;
        if (memchr(text, '\0', len))
                return -EINVAL;

        for (line = strtok_r(text, "\n", &saveptr); line; line = strtok_r(NULL, "\n", &saveptr)) {
                char *key = line + strspn(line, " \t\r\v\f");
                size_t n = strcspn(key, " \t\r\v\f");
                char *value = key + n + strspn(key + n, " \t\r\v\f");

                if (*key == '#' || *key == '\0')
                        continue;
                if (n == 7 && strneq(key, "UID_MIN", 7))
                        r = parse_login_defs_uid(value, &min);
                else if (n == 7 && strneq(key, "UID_MAX", 7))
                        r = parse_login_defs_uid(value, &max);
                else
                        continue;
                if (r < 0)
                        return r;
        }
        if (min > max)
                return -EINVAL;
        *ret_min = min;
        *ret_max = max;
        return 0;
}
