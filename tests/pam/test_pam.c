/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_supportgrant.so through real Linux-PAM stacks (pam_start_confdir). Run by
 * tests/pam/run.sh inside a private host: real users (alice: customer; jdoe: staff in
 * onoffice-support; mdev: staff in onoffice-development; sam: staff by primary group), a real
 * journald, the real daemon on $SG_TEST_DIR/run/socket.
 *
 * Every stack is a probe:
 *     PHASE [success=1 ignore=ignore default=die] pam_supportgrant.so ARGS
 *     PHASE optional pam_exec.so quiet /usr/bin/touch $DIR/ignored
 *     PHASE required pam_permit.so
 * so a transaction tells apart what the module returned: success (PAM_SUCCESS, no marker),
 * ignore (PAM_SUCCESS and the marker file) or a denial (the module's own error code).
 */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>
#include <security/pam_appl.h>
#include <systemd/sd-journal.h>

#include "macro.h"
#include "store.h"
#include "timeutil.h"

static const char *dir, *module, *daemon_path;
static char conf[PATH_MAX], db[PATH_MAX], confdir[PATH_MAX], marker[PATH_MAX];

#define REASON "Customer ticket 4711: invoices do not print"

/* ---- files and stacks -------------------------------------------------------------------- */

static void write_file(const char *path, mode_t mode, const char *fmt, ...)
{
        va_list ap;
        FILE *f;

        (void)unlink(path);
        f = fopen(path, "we");
        assert_non_null(f);
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(chmod(path, mode), 0);
}

/* A configuration next to the default one: the default plus extra lines. */
static void write_conf(const char *name, const char *extra, char *ret_path, size_t size)
{
        (void)snprintf(ret_path, size, "%s/etc/%s", dir, name);
        write_file(ret_path, 0644, "database = %s\nsocket = %s/run/socket\n%s\n", db, dir, extra);
}

/* A second supportgrantd of its own, for what the suite's daemon cannot show (its database
 * corrupt, a fresh host): a configuration with that database and socket (and no session
 * termination: the sessions are the test's own process), the daemon on it, the module's
 * configuration naming the same socket in ret_path. */
static pid_t second_daemon(const char *name, const char *database, const char *extra,
                           char *ret_path, size_t size)
{
        char dconf[PATH_MAX], sock[PATH_MAX], text[2 * PATH_MAX];
        struct stat st;
        pid_t pid;

        (void)snprintf(sock, sizeof(sock), "%s/run/%s.socket", dir, name);
        (void)unlink(sock);
        (void)snprintf(dconf, sizeof(dconf), "%s/etc/%s-daemon.conf", dir, name);
        write_file(dconf, 0644, "database = %s\nsocket = %s\nterminate_sessions = no\n%s\n",
                   database, sock, extra);
        (void)snprintf(ret_path, size, "%s/etc/%s.conf", dir, name);
        (void)snprintf(text, sizeof(text), "socket = %s\n%s\n", sock, extra);
        write_file(ret_path, 0644, "%s", text);
        assert_non_null(daemon_path);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char log[PATH_MAX + 16];
                int fd;

                (void)snprintf(log, sizeof(log), "%s/%s-daemon.log", dir, name);
                fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
                if (fd >= 0)
                        (void)dup2(fd, STDERR_FILENO);
                execl(daemon_path, "supportgrantd", "--socket", sock, "--foreground", "--conf",
                      dconf, (char *)NULL);
                _exit(127);
        }
        for (int i = 0; i < 1000 && !(stat(sock, &st) == 0 && S_ISSOCK(st.st_mode)); i++)
                usleep(10000);
        assert_true(stat(sock, &st) == 0 && S_ISSOCK(st.st_mode));
        return pid;
}

/* The same, for a daemon that must refuse to start: it exits with an error. */
static pid_t second_daemon_failing(const char *name, const char *database)
{
        char dconf[PATH_MAX], sock[PATH_MAX];
        int status = 0;
        pid_t pid;

        (void)snprintf(sock, sizeof(sock), "%s/run/%s.socket", dir, name);
        (void)unlink(sock);
        (void)snprintf(dconf, sizeof(dconf), "%s/etc/%s-daemon.conf", dir, name);
        write_file(dconf, 0644, "database = %s\nsocket = %s\nterminate_sessions = no\n", database,
                   sock);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                execl(daemon_path, "supportgrantd", "--socket", sock, "--foreground", "--conf",
                      dconf, (char *)NULL);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 127);
        return pid;
}

static void second_daemon_stop(pid_t pid)
{
        int status = 0;

        assert_int_equal(kill(pid, SIGTERM), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Probe stacks for every phase; args are the module's arguments. */
static void write_service(const char *name, const char *args)
{
        static const char *const phases[] = {"auth", "account", "session"};
        char path[PATH_MAX + 64], text[8192];
        size_t off = 0;

        for (size_t i = 0; i < ELEMENTSOF(phases); i++)
                off += (size_t)snprintf(text + off, sizeof(text) - off,
                                        "%s [success=1 ignore=ignore default=die] %s %s\n"
                                        "%s optional pam_exec.so quiet /usr/bin/touch %s\n"
                                        "%s required pam_permit.so\n",
                                        phases[i], module, args, phases[i], marker, phases[i]);
        (void)snprintf(path, sizeof(path), "%s/%s", confdir, name);
        write_file(path, 0644, "%s", text);
}

static bool ignored(void)
{
        bool r = access(marker, F_OK) == 0;
        (void)unlink(marker);
        return r;
}

/* ---- the conversation -------------------------------------------------------------------- */

struct conv_script {
        const char *answers[8];
        size_t next;
        bool cannot_prompt; /* like sshd's monitor: PAM_CONV_ERR for prompts */
        int prompts;
        char transcript[8192]; /* "P:prompt", "E:error", "I:info" lines */
};

static void transcript_add(struct conv_script *cs, char kind, const char *text)
{
        size_t off = strlen(cs->transcript);
        (void)snprintf(cs->transcript + off, sizeof(cs->transcript) - off, "%c:%s\n", kind, text);
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
        struct conv_script *cs = data;
        struct pam_response *r = calloc((size_t)n, sizeof(*r));

        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                switch (msg[i]->msg_style) {
                case PAM_PROMPT_ECHO_ON:
                case PAM_PROMPT_ECHO_OFF:
                        cs->prompts++;
                        transcript_add(cs, 'P', msg[i]->msg);
                        if (cs->cannot_prompt || cs->next >= ELEMENTSOF(cs->answers) ||
                            !cs->answers[cs->next]) {
                                for (int j = 0; j < i; j++)
                                        free(r[j].resp);
                                free(r);
                                return PAM_CONV_ERR;
                        }
                        r[i].resp = strdup(cs->answers[cs->next++]);
                        break;
                case PAM_ERROR_MSG:
                        transcript_add(cs, 'E', msg[i]->msg);
                        break;
                case PAM_TEXT_INFO:
                        transcript_add(cs, 'I', msg[i]->msg);
                        break;
                }
        }
        *resp = r;
        return PAM_SUCCESS;
}

static pam_handle_t *start(const char *service, const char *user, struct conv_script *cs)
{
        struct pam_conv c = {conv, cs};
        pam_handle_t *pamh = NULL;

        assert_int_equal(pam_start_confdir(service, user, &c, confdir, &pamh), PAM_SUCCESS);
        assert_int_equal(pam_set_item(pamh, PAM_RHOST, "192.0.2.7"), PAM_SUCCESS);
        assert_int_equal(pam_set_item(pamh, PAM_TTY, "ssh"), PAM_SUCCESS);
        (void)ignored();
        return pamh;
}

static void finish(pam_handle_t *pamh, int status)
{
        assert_int_equal(pam_end(pamh, status), PAM_SUCCESS);
}

/* ---- the database ------------------------------------------------------------------------ */

static void sql(const char *statement)
{
        sqlite3 *h;
        char *err = NULL;

        assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
        sqlite3_busy_timeout(h, 5000);
        if (sqlite3_exec(h, statement, NULL, NULL, &err) != SQLITE_OK)
                fail_msg("%s: %s", statement, err);
        sqlite3_close(h);
}

static int reset(void **state)
{
        sql("DELETE FROM grants; DELETE FROM logins;");
        (void)ignored();
        return 0;
}

static int64_t add_grant(enum sg_grant_kind kind, const char *target, bool export, time_t granted,
                         time_t expires)
{
        sg_store *s = NULL;
        struct sg_grant g = {.kind = kind,
                             .export = export,
                             .period = SG_PERIOD_1H,
                             .granted_at = granted,
                             .expires_at = expires,
                             .via = SG_VIA_CLI};

        assert_int_equal(sg_store_open(db, 0, &s, NULL), 0);
        (void)snprintf(g.target, sizeof(g.target), "%s", target);
        (void)snprintf(g.granted_by, sizeof(g.granted_by), "alice");
        assert_int_equal(sg_store_grant_add(s, &g), 0);
        sg_store_close(s);
        return g.id;
}

static int64_t grant_user(const char *user)
{
        return add_grant(SG_GRANT_USER, user, false, time(NULL), time(NULL) + 3600);
}

struct rows {
        size_t n;
        struct sg_login last; /* the newest */
};

static int count_row(const struct sg_login *l, void *userdata)
{
        struct rows *r = userdata;

        if (r->n++ == 0)
                r->last = *l;
        return 0;
}

static struct rows logins_of(const char *user)
{
        sg_store *s = NULL;
        struct rows r = {};

        assert_int_equal(sg_store_open(db, 0, &s, NULL), 0);
        assert_int_equal(sg_store_logins_between(s, 0, SG_TIME_NEVER, user, 0, count_row, &r), 0);
        sg_store_close(s);
        return r;
}

/* ---- the journal ------------------------------------------------------------------------- */

struct entry {
        int count;
        char message_id[40];
        char user[64];
        char reason[600];
        char login_id[32];
        char service[32];
        char rhost[64];
        char expires[40];
        char export[8];
        char grant_id[64];
        char identifier[32];
        char detail[256];
};

static void field(sd_journal *j, const char *name, char *buf, size_t size)
{
        const void *d;
        size_t l, n = strlen(name) + 1;

        buf[0] = 0;
        if (sd_journal_get_data(j, name, &d, &l) < 0 || l < n)
                return;
        (void)snprintf(buf, size, "%.*s", (int)(l - n), (const char *)d + n);
}

/* Entries of one event matching one more field, written since 'since' (usec). */
static struct entry journal_find(const char *event, const char *match, uint64_t since)
{
        struct entry e = {};
        sd_journal *j = NULL;
        char m[128];

        assert_int_equal(system("env -u LD_PRELOAD journalctl --sync >/dev/null 2>&1"), 0);
        assert_int_equal(sd_journal_open_directory(&j, "/run/log/journal", 0), 0);
        (void)snprintf(m, sizeof(m), "SUPPORTGRANT_EVENT=%s", event);
        assert_int_equal(sd_journal_add_match(j, m, 0), 0);
        if (match)
                assert_int_equal(sd_journal_add_match(j, match, 0), 0);
        assert_int_equal(sd_journal_seek_realtime_usec(j, since), 0);
        while (sd_journal_next(j) > 0) {
                e.count++;
                field(j, "MESSAGE_ID", e.message_id, sizeof(e.message_id));
                field(j, "SUPPORTGRANT_USER", e.user, sizeof(e.user));
                field(j, "SUPPORTGRANT_REASON", e.reason, sizeof(e.reason));
                field(j, "SUPPORTGRANT_LOGIN_ID", e.login_id, sizeof(e.login_id));
                field(j, "SUPPORTGRANT_SERVICE", e.service, sizeof(e.service));
                field(j, "SUPPORTGRANT_RHOST", e.rhost, sizeof(e.rhost));
                field(j, "SUPPORTGRANT_EXPIRES", e.expires, sizeof(e.expires));
                field(j, "SUPPORTGRANT_EXPORT", e.export, sizeof(e.export));
                field(j, "SUPPORTGRANT_GRANT_ID", e.grant_id, sizeof(e.grant_id));
                field(j, "SYSLOG_IDENTIFIER", e.identifier, sizeof(e.identifier));
                field(j, "SUPPORTGRANT_DETAIL", e.detail, sizeof(e.detail));
        }
        sd_journal_close(j);
        return e;
}

static uint64_t now_usec(void)
{
        struct timespec ts;

        (void)clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static char *id_match(int64_t id)
{
        static char buf[64];
        (void)snprintf(buf, sizeof(buf), "SUPPORTGRANT_LOGIN_ID=%lld", (long long)id);
        return buf;
}

/* ---- tests ------------------------------------------------------------------------------- */

/* A customer account never notices the module, whatever state it is in. */
static void non_staff_untouched(void **state)
{
        static const char *const variants[] = {
                NULL,                                      /* all fine */
                "database = /nonexistent/supportgrant.db", /* no database */
                "reason = sometimes",                      /* bad configuration */
        };
        uint64_t since = now_usec();

        for (size_t i = 0; i < ELEMENTSOF(variants); i++) {
                char c[PATH_MAX], args[PATH_MAX + 64];
                struct conv_script cs = {.cannot_prompt = true};
                pam_handle_t *pamh;

                if (variants[i]) {
                        write_conf("variant.conf", variants[i], c, sizeof(c));
                        /* The file's own database line comes first; the variant's wins. */
                        (void)snprintf(args, sizeof(args), "conf=%s", c);
                } else
                        (void)snprintf(args, sizeof(args), "conf=%s", conf);
                write_service("sg-nonstaff", args);

                pamh = start("sg-nonstaff", "alice", &cs);
                assert_int_equal(pam_authenticate(pamh, 0), PAM_SUCCESS);
                assert_true(ignored());
                assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
                assert_true(ignored());
                assert_int_equal(pam_open_session(pamh, 0), PAM_SUCCESS);
                assert_true(ignored());
                assert_null(pam_getenv(pamh, "SUPPORTGRANT_EXPORT"));
                assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
                assert_true(ignored());
                assert_int_equal(cs.prompts, 0);
                assert_string_equal(cs.transcript, "");
                finish(pamh, PAM_SUCCESS);
        }
        assert_int_equal(logins_of("alice").n, 0);
        assert_int_equal(journal_find("login-denied", "SUPPORTGRANT_USER=alice", since).count, 0);
        assert_int_equal(journal_find("login-accepted", "SUPPORTGRANT_USER=alice", since).count, 0);
}

static void staff_denied_without_grant(void **state)
{
        struct conv_script cs = {.answers = {REASON}};
        uint64_t since = now_usec();
        pam_handle_t *pamh;
        struct rows rows;
        struct entry e;

        pamh = start("sg", "jdoe", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_PERM_DENIED);
        finish(pamh, PAM_PERM_DENIED);

        /* The staff member learns why and what the customer can do. */
        assert_non_null(strstr(cs.transcript, "E:Support access for jdoe is not activated"));
        assert_non_null(strstr(cs.transcript, "supportgrant grant jdoe"));
        assert_int_equal(cs.prompts, 0); /* no reason asked for a login that cannot happen */

        rows = logins_of("jdoe");
        assert_int_equal(rows.n, 1);
        assert_int_equal(rows.last.outcome, SG_LOGIN_DENIED);
        assert_string_equal(rows.last.detail, "no active grant");
        assert_string_equal(rows.last.service, "sg");
        assert_string_equal(rows.last.rhost, "192.0.2.7");
        assert_int_equal(rows.last.n_grant_ids, 0);

        e = journal_find("login-denied", id_match(rows.last.id), since);
        assert_int_equal(e.count, 1);
        assert_string_equal(e.message_id, "2d99adb3c8d34739ad475212de81b517");
        assert_string_equal(e.user, "jdoe");
        assert_string_equal(e.identifier, "supportgrant");
        assert_string_equal(e.rhost, "192.0.2.7");
        assert_string_equal(e.service, "sg");
        assert_string_equal(e.detail, "no active grant"); /* written by the daemon */
}

/* The whole login of a covered staff member: reason, session, environment, records. */
static void user_grant_full_login(void **state)
{
        struct conv_script cs = {.answers = {"  " REASON "  "}};
        uint64_t since = now_usec();
        int64_t gid = grant_user("jdoe");
        char expires[SG_RFC3339_MAX], gids[32];
        pam_handle_t *pamh;
        struct rows rows;
        struct entry e;
        sg_store *s;
        struct sg_grant g;

        assert_int_equal(sg_store_open(db, 0, &s, NULL), 0);
        assert_int_equal(sg_store_grant_get(s, gid, &g), 0);
        sg_store_close(s);
        assert_int_equal(sg_time_format_rfc3339(g.expires_at, expires, sizeof(expires)), 0);

        pamh = start("sg", "jdoe", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
        assert_false(ignored());
        assert_int_equal(cs.prompts, 1);
        assert_string_equal(cs.transcript, "P:Reason for this login: \n");

        assert_int_equal(pam_open_session(pamh, 0), PAM_SUCCESS);
        assert_false(ignored());
        assert_string_equal(pam_getenv(pamh, "SUPPORTGRANT_EXPORT"), "no");
        assert_string_equal(pam_getenv(pamh, "SUPPORTGRANT_EXPIRES"), expires);
        assert_null(pam_getenv(pamh, "SUPPORTGRANT_TOKEN")); /* used up, out of the session */
        assert_non_null(strstr(cs.transcript, "I:Support access for jdoe runs until "));
        assert_non_null(strstr(cs.transcript, "data export: not allowed."));
        assert_int_equal(cs.prompts, 1);

        rows = logins_of("jdoe");
        assert_int_equal(rows.n, 1);
        assert_int_equal(rows.last.outcome, SG_LOGIN_ACCEPTED);
        assert_string_equal(rows.last.reason, REASON); /* trimmed, otherwise verbatim */
        assert_string_equal(rows.last.service, "sg");
        assert_string_equal(rows.last.rhost, "192.0.2.7");
        assert_string_equal(rows.last.tty, "ssh");
        assert_int_equal(rows.last.pid, getpid());
        assert_true(rows.last.pid_start > 0);
        assert_int_equal(rows.last.n_grant_ids, 1);
        assert_int_equal(rows.last.grant_ids[0], gid);
        assert_int_equal(rows.last.ended_at, 0);
        assert_true(llabs((long long)(rows.last.time - time(NULL))) <= 2);

        e = journal_find("login-accepted", id_match(rows.last.id), since);
        assert_int_equal(e.count, 1);
        assert_string_equal(e.message_id, "8f80990ef59447feb030e4ce4de194d7");
        assert_string_equal(e.user, "jdoe");
        assert_string_equal(e.reason, REASON);
        assert_string_equal(e.expires, expires);
        assert_string_equal(e.export, "no");
        (void)snprintf(gids, sizeof(gids), "%lld", (long long)gid);
        assert_string_equal(e.grant_id, gids);

        assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
        finish(pamh, PAM_SUCCESS);
        rows = logins_of("jdoe");
        assert_int_equal(rows.n, 1);
        assert_int_equal(rows.last.end, SG_END_CLOSED);
        assert_true(rows.last.ended_at >= rows.last.time);
        e = journal_find("session-closed", id_match(rows.last.id), since);
        assert_int_equal(e.count, 1);
        assert_string_equal(e.message_id, "f5e888abe7f54617b24a6fa0d40f94ce");
}

static int login(const char *user, const char *service, bool open_session)
{
        struct conv_script cs = {.answers = {REASON}};
        pam_handle_t *pamh = start(service, user, &cs);
        int r = pam_acct_mgmt(pamh, 0);

        if (r == PAM_SUCCESS && open_session) {
                r = pam_open_session(pamh, 0);
                if (r == PAM_SUCCESS)
                        assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
        }
        finish(pamh, r);
        return r;
}

static void department_grant(void **state)
{
        int64_t gid =
                add_grant(SG_GRANT_DEPARTMENT, "support", false, time(NULL), time(NULL) + 7200);

        assert_int_equal(login("jdoe", "sg", true), PAM_SUCCESS);
        assert_int_equal(logins_of("jdoe").last.grant_ids[0], gid);
        /* Staff of another department, and staff in none, stay out. */
        assert_int_equal(login("mdev", "sg", false), PAM_PERM_DENIED);
        assert_int_equal(login("sam", "sg", false), PAM_PERM_DENIED);
        assert_int_equal(logins_of("mdev").last.outcome, SG_LOGIN_DENIED);
}

static void primary_group_staff(void **state)
{
        /* sam is staff through the primary group only: denied without, allowed with. */
        assert_int_equal(login("sam", "sg", false), PAM_PERM_DENIED);
        grant_user("sam");
        assert_int_equal(login("sam", "sg", true), PAM_SUCCESS);
}

static void expired_and_revoked(void **state)
{
        time_t now = time(NULL);
        int64_t gid;
        sg_store *s;

        add_grant(SG_GRANT_USER, "jdoe", false, now - 7200, now - 3600);
        add_grant(SG_GRANT_USER, "jdoe", false, now - 60, now); /* expires this second */
        assert_int_equal(login("jdoe", "sg", false), PAM_PERM_DENIED);

        gid = grant_user("jdoe");
        assert_int_equal(login("jdoe", "sg", false), PAM_SUCCESS);
        assert_int_equal(sg_store_open(db, 0, &s, NULL), 0);
        assert_int_equal(sg_store_grant_revoke(s, gid, time(NULL), "alice"), 0);
        sg_store_close(s);
        assert_int_equal(login("jdoe", "sg", false), PAM_PERM_DENIED);
        assert_string_equal(logins_of("jdoe").last.detail, "no active grant");
}

static void export_is_or_of_grants(void **state)
{
        time_t now = time(NULL);
        struct conv_script cs = {.answers = {REASON}};
        pam_handle_t *pamh;
        char expires[SG_RFC3339_MAX];

        add_grant(SG_GRANT_USER, "jdoe", false, now, now + 3600);
        add_grant(SG_GRANT_DEPARTMENT, "support", true, now, now + 7200);
        pamh = start("sg", "jdoe", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
        assert_int_equal(pam_open_session(pamh, 0), PAM_SUCCESS);
        assert_string_equal(pam_getenv(pamh, "SUPPORTGRANT_EXPORT"), "yes");
        /* Access runs until the latest covering grant ends. */
        assert_int_equal(sg_time_format_rfc3339(now + 7200, expires, sizeof(expires)), 0);
        assert_string_equal(pam_getenv(pamh, "SUPPORTGRANT_EXPIRES"), expires);
        assert_int_equal(logins_of("jdoe").last.n_grant_ids, 2);
        assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
        finish(pamh, PAM_SUCCESS);

        /* Without the export grant: no. A permanent grant: "permanent". */
        reset(state);
        add_grant(SG_GRANT_USER, "jdoe", false, now, SG_TIME_NEVER);
        cs = (struct conv_script){.answers = {REASON}};
        pamh = start("sg", "jdoe", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
        assert_int_equal(pam_open_session(pamh, 0), PAM_SUCCESS);
        assert_string_equal(pam_getenv(pamh, "SUPPORTGRANT_EXPORT"), "no");
        assert_string_equal(pam_getenv(pamh, "SUPPORTGRANT_EXPIRES"), "permanent");
        assert_non_null(strstr(cs.transcript, "is permanent"));
        assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
        finish(pamh, PAM_SUCCESS);
}

static void reason_asked_again(void **state)
{
        struct conv_script cs = {.answers = {"too short", "   ", "..........", REASON}};
        pam_handle_t *pamh;

        grant_user("jdoe");
        pamh = start("sg", "jdoe", &cs);
        /* Three tries: "too short" (9 chars), blanks, only punctuation. */
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_PERM_DENIED);
        finish(pamh, PAM_PERM_DENIED);
        assert_int_equal(cs.prompts, 3);
        assert_non_null(strstr(cs.transcript, "E:The reason must be at least 10 characters"));
        assert_non_null(strstr(cs.transcript, "E:No acceptable reason was given"));
        assert_string_equal(logins_of("jdoe").last.detail, "no acceptable reason given");
        assert_int_equal(logins_of("jdoe").last.outcome, SG_LOGIN_DENIED);

        /* Two bad answers, then a good one. */
        cs = (struct conv_script){.answers = {"short", "\x1b[31mred alert text", REASON}};
        pamh = start("sg", "jdoe", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
        assert_int_equal(cs.prompts, 3);
        assert_non_null(strstr(cs.transcript, "E:The reason contains control characters"));
        assert_int_equal(pam_open_session(pamh, 0), PAM_SUCCESS);
        assert_string_equal(logins_of("jdoe").last.reason, REASON);
        assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
        finish(pamh, PAM_SUCCESS);
}

/* sshd after publickey: the account phase runs where nothing can be asked. */
static void reason_required_cannot_prompt(void **state)
{
        struct conv_script cs = {.cannot_prompt = true};
        pam_handle_t *pamh;

        grant_user("jdoe");
        pamh = start("sg", "jdoe", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_PERM_DENIED);
        finish(pamh, PAM_PERM_DENIED);
        assert_non_null(strstr(cs.transcript, "must give a reason"));
        assert_non_null(strstr(cs.transcript, "keyboard-interactive"));
        assert_non_null(strstr(cs.transcript, "AuthenticationMethods"));
        assert_string_equal(logins_of("jdoe").last.detail,
                            "reason required but this login cannot ask for it");
}

static void reason_optional_and_off(void **state)
{
        char c[PATH_MAX], args[PATH_MAX + 64];
        struct conv_script cs = {.cannot_prompt = true};
        pam_handle_t *pamh;

        grant_user("jdoe");
        write_conf("optional.conf", "reason = optional", c, sizeof(c));
        (void)snprintf(args, sizeof(args), "conf=%s", c);
        write_service("sg-optional", args);
        pamh = start("sg-optional", "jdoe", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
        assert_int_equal(pam_open_session(pamh, 0), PAM_SUCCESS);
        assert_string_equal(logins_of("jdoe").last.reason, "");
        assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
        finish(pamh, PAM_SUCCESS);

        /* A module argument overrides the file: reason=off asks nothing at all. */
        cs = (struct conv_script){.answers = {REASON}};
        (void)snprintf(args, sizeof(args), "conf=%s reason=off", conf);
        write_service("sg-off", args);
        pamh = start("sg-off", "jdoe", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
        assert_int_equal(pam_open_session(pamh, 0), PAM_SUCCESS);
        assert_int_equal(cs.prompts, 0);
        assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
        finish(pamh, PAM_SUCCESS);
}

/* sshd: auth and account run in the [pam] child, the session in the monitor; only the PAM
 * environment crosses. Two handles play the two processes. */
static void reason_crosses_processes_once(void **state)
{
        struct conv_script child = {.answers = {REASON}}, monitor = {.cannot_prompt = true};
        pam_handle_t *a, *m;
        char token[128];
        const char *t;

        grant_user("jdoe");
        a = start("sg-kbdint", "jdoe", &child);
        assert_int_equal(pam_putenv(a, "SSH_AUTH_INFO_0=publickey ssh-ed25519 AAAAC3Nz"),
                         PAM_SUCCESS);
        assert_int_equal(pam_authenticate(a, 0), PAM_SUCCESS);
        assert_false(ignored()); /* the second factor succeeded */
        assert_int_equal(pam_acct_mgmt(a, 0), PAM_SUCCESS);
        assert_int_equal(child.prompts, 1); /* account did not ask again */
        t = pam_getenv(a, "SUPPORTGRANT_TOKEN");
        assert_non_null(t);
        assert_int_equal(strlen(t), 32);
        assert_int_equal(strspn(t, "0123456789abcdef"), 32);
        (void)snprintf(token, sizeof(token), "SUPPORTGRANT_TOKEN=%s", t);
        finish(a, PAM_SUCCESS);

        m = start("sg-kbdint", "jdoe", &monitor);
        assert_int_equal(pam_putenv(m, token), PAM_SUCCESS);
        assert_int_equal(pam_open_session(m, 0), PAM_SUCCESS);
        assert_string_equal(logins_of("jdoe").last.reason, REASON);
        assert_int_equal(pam_close_session(m, 0), PAM_SUCCESS);
        finish(m, PAM_SUCCESS);

        /* Single use: the same token again gives no reason, and nothing can be asked. */
        monitor = (struct conv_script){.cannot_prompt = true};
        m = start("sg-kbdint", "jdoe", &monitor);
        assert_int_equal(pam_putenv(m, token), PAM_SUCCESS);
        assert_int_equal(pam_open_session(m, 0), PAM_SESSION_ERR);
        finish(m, PAM_SESSION_ERR);
        assert_string_equal(logins_of("jdoe").last.detail, "session without a reason");

        /* A made-up token is no better. */
        monitor = (struct conv_script){.cannot_prompt = true};
        m = start("sg-kbdint", "jdoe", &monitor);
        assert_int_equal(pam_putenv(m, "SUPPORTGRANT_TOKEN=00112233445566778899aabbccddeeff"),
                         PAM_SUCCESS);
        assert_int_equal(pam_open_session(m, 0), PAM_SESSION_ERR);
        finish(m, PAM_SESSION_ERR);
}

static void auth_is_never_sole_authenticator(void **state)
{
        struct conv_script cs = {.answers = {REASON, REASON}};
        pam_handle_t *pamh;

        grant_user("jdoe");
        /* No earlier method in SSH_AUTH_INFO_0: the module asks, then steps aside. */
        pamh = start("sg-kbdint", "jdoe", &cs);
        assert_int_equal(pam_authenticate(pamh, 0), PAM_SUCCESS);
        assert_true(ignored());
        finish(pamh, PAM_SUCCESS);
        /* Without kbdint_step the module never succeeds auth, even after publickey. */
        pamh = start("sg", "jdoe", &cs);
        assert_int_equal(pam_putenv(pamh, "SSH_AUTH_INFO_0=publickey ssh-ed25519 AAAAC3Nz"),
                         PAM_SUCCESS);
        assert_int_equal(pam_authenticate(pamh, 0), PAM_SUCCESS);
        assert_true(ignored());
        finish(pamh, PAM_SUCCESS);

        /* Not covered: auth already refuses, and says so once. */
        reset(state);
        cs = (struct conv_script){.answers = {REASON}};
        pamh = start("sg-kbdint", "jdoe", &cs);
        assert_int_equal(pam_putenv(pamh, "SSH_AUTH_INFO_0=publickey ssh-ed25519 AAAAC3Nz"),
                         PAM_SUCCESS);
        assert_int_equal(pam_authenticate(pamh, 0), PAM_MAXTRIES);
        finish(pamh, PAM_MAXTRIES);
        assert_int_equal(cs.prompts, 0);
        assert_int_equal(logins_of("jdoe").n, 1);
        assert_int_equal(logins_of("jdoe").last.outcome, SG_LOGIN_DENIED);
}

static void setcred_does_nothing(void **state)
{
        struct conv_script cs = {.answers = {REASON}};
        pam_handle_t *pamh;

        grant_user("jdoe");
        pamh = start("sg", "jdoe", &cs);
        assert_int_equal(pam_setcred(pamh, PAM_ESTABLISH_CRED), PAM_SUCCESS);
        assert_int_equal(pam_setcred(pamh, PAM_REINITIALIZE_CRED), PAM_SUCCESS);
        finish(pamh, PAM_SUCCESS);
        assert_int_equal(cs.prompts, 0);
        assert_int_equal(logins_of("jdoe").n, 0);
}

static void silent_means_silent(void **state)
{
        struct conv_script cs = {.answers = {REASON}};
        pam_handle_t *pamh = start("sg", "jdoe", &cs);

        assert_int_equal(pam_acct_mgmt(pamh, PAM_SILENT), PAM_PERM_DENIED);
        finish(pamh, PAM_PERM_DENIED);
        assert_string_equal(cs.transcript, "");
}

/* jdoe is denied with text (and never asked a reason), alice is not affected. */
static void denied_with(const char *service, const char *text)
{
        struct conv_script cs = {.answers = {REASON}};
        pam_handle_t *pamh = start(service, "jdoe", &cs);

        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_PERM_DENIED);
        if (!strstr(cs.transcript, text))
                fail_msg("expected \"%s\", got: %s", text, cs.transcript);
        assert_int_equal(cs.prompts, 0);
        finish(pamh, PAM_PERM_DENIED);
        pamh = start(service, "alice", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
        assert_true(ignored());
        finish(pamh, PAM_SUCCESS);
}

/* Any doubt about a staff account denies it, with a log line and a message. The daemon owns
 * the database: one that is missing or empty it creates, and it holds no grant; one it may not
 * trust (others may write it) makes it answer with an error; one that is no database keeps it
 * from starting. */
static void fail_closed_on_bad_database(void **state)
{
        char bad[PATH_MAX], c[PATH_MAX], args[PATH_MAX + 64], path[PATH_MAX + 8];
        pid_t pid;

        (void)snprintf(bad, sizeof(bad), "%s/lib/bad.db", dir);
        grant_user("jdoe");
        for (int empty = 0; empty < 2; empty++) {
                (void)unlink(bad);
                if (empty)
                        write_file(bad, 0600, "%s", "");
                pid = second_daemon("bad-db", bad, "", c, sizeof(c));
                (void)snprintf(args, sizeof(args), "conf=%s", c);
                write_service("sg-bad-db", args);
                denied_with("sg-bad-db", "is not activated");
                if (empty) {
                        assert_int_equal(chmod(bad, 0666), 0);
                        denied_with("sg-bad-db", "database is unavailable");
                }
                second_daemon_stop(pid);
        }
        /* No database at all: the daemon does not start, and does not answer. */
        (void)snprintf(path, sizeof(path), "%s-wal", bad);
        (void)unlink(path);
        (void)snprintf(path, sizeof(path), "%s-shm", bad);
        (void)unlink(path);
        write_file(bad, 0600, "%s", "this is not an SQLite database\n");
        pid = second_daemon_failing("bad-db", bad);
        denied_with("sg-bad-db", "supportgrantd does not answer");
        (void)unlink(bad);
        /* The twin: the suite's daemon with its database lets jdoe in. */
        assert_int_equal(login("jdoe", "sg", true), PAM_SUCCESS);
}

static void fail_closed_on_locked_database(void **state)
{
        int to_child[2], from_child[2];
        char ready;
        time_t t0;
        pid_t pid;

        grant_user("jdoe");
        assert_int_equal(pipe(to_child), 0);
        assert_int_equal(pipe(from_child), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                /* Another writer holds the database past every timeout. */
                sqlite3 *h;
                char c;

                if (sqlite3_open(db, &h) != SQLITE_OK ||
                    sqlite3_exec(h, "BEGIN EXCLUSIVE", NULL, NULL, NULL) != SQLITE_OK)
                        _exit(1);
                (void)!write(from_child[1], "x", 1);
                (void)!read(to_child[0], &c, 1);
                sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
                sqlite3_close(h);
                _exit(0);
        }
        assert_int_equal(read(from_child[0], &ready, 1), 1);

        t0 = time(NULL);
        /* Reading still works in WAL mode, but the login cannot be recorded: refused. */
        assert_int_not_equal(login("jdoe", "sg", true), PAM_SUCCESS);
        assert_true(time(NULL) - t0 >= 1);
        assert_int_equal(login("alice", "sg", true), PAM_SUCCESS);

        assert_int_equal(write(to_child[1], "x", 1), 1);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        close(to_child[0]);
        close(to_child[1]);
        close(from_child[0]);
        close(from_child[1]);
        assert_int_equal(login("jdoe", "sg", true), PAM_SUCCESS);
}

static void fail_closed_on_bad_config(void **state)
{
        static const char *const broken[] = {"reason = sometimes", "no_such_key = 1",
                                             "reason_min_length = ten", "just some words"};
        char c[PATH_MAX], args[PATH_MAX + 64];
        uint64_t since = now_usec();

        grant_user("jdoe");
        for (size_t i = 0; i <= ELEMENTSOF(broken) + 1; i++) {
                struct conv_script cs = {.answers = {REASON}};
                pam_handle_t *pamh;

                if (i < ELEMENTSOF(broken)) {
                        write_conf("broken.conf", broken[i], c, sizeof(c));
                } else if (i == ELEMENTSOF(broken)) {
                        write_conf("broken.conf", "", c, sizeof(c));
                        assert_int_equal(chmod(c, 0666), 0); /* anyone may edit it */
                } else {
                        (void)snprintf(c, sizeof(c), "%s/etc/missing.conf", dir);
                }
                (void)snprintf(args, sizeof(args), "conf=%s", c);
                write_service("sg-broken", args);

                pamh = start("sg-broken", "jdoe", &cs);
                assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_PERM_DENIED);
                assert_non_null(strstr(cs.transcript, "configuration is broken"));
                finish(pamh, PAM_PERM_DENIED);
                pamh = start("sg-broken", "alice", &cs);
                assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
                assert_true(ignored());
                finish(pamh, PAM_SUCCESS);
        }
        /* A bad module argument is a configuration error too. */
        {
                struct conv_script cs = {.answers = {REASON}};
                pam_handle_t *pamh;

                (void)snprintf(args, sizeof(args), "conf=%s reason_min_length=0", conf);
                write_service("sg-broken", args);
                pamh = start("sg-broken", "jdoe", &cs);
                assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_PERM_DENIED);
                finish(pamh, PAM_PERM_DENIED);
        }
        assert_true(journal_find("login-denied", "SUPPORTGRANT_USER=jdoe", since).count >=
                    (int)ELEMENTSOF(broken) + 3);
}

/* A site with its own staff group: when its configuration is refused (here: others may write
 * it) or has a bad line, its staff must not pass for customers, whatever group the module
 * falls back to. vic is staff only through vendor-staff. */
static void refused_config_still_knows_staff(void **state)
{
        char c[PATH_MAX], link[PATH_MAX + 16], args[PATH_MAX + 64];
        struct conv_script cs = {.answers = {REASON}};
        pam_handle_t *pamh;

        grant_user("jdoe");
        write_conf("vendor.conf", "staff_group = vendor-staff", c, sizeof(c));
        (void)snprintf(args, sizeof(args), "conf=%s", c);
        write_service("sg-vendor", args);

        /* Whole and trusted: vic is staff (no grant: denied), jdoe is not (ignored). */
        pamh = start("sg-vendor", "vic", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_PERM_DENIED);
        assert_non_null(strstr(cs.transcript, "not activated"));
        finish(pamh, PAM_PERM_DENIED);
        cs = (struct conv_script){.answers = {REASON}};
        pamh = start("sg-vendor", "jdoe", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
        assert_true(ignored());
        finish(pamh, PAM_SUCCESS);

        /* Refused (group-writable; then a symlink to it; then a bad line besides): vic is
         * still staff and denied for the broken configuration, jdoe (staff by the default
         * group) too, and alice is not touched. */
        (void)snprintf(link, sizeof(link), "%s/etc/vendor-link.conf", dir);
        for (int round = 0; round < 3; round++) {
                const char *user[] = {"vic", "jdoe", "alice"};

                if (round == 0) {
                        assert_int_equal(chmod(c, 0664), 0);
                } else if (round == 1) {
                        assert_int_equal(chmod(c, 0644), 0);
                        (void)unlink(link);
                        assert_int_equal(symlink(c, link), 0);
                        (void)snprintf(args, sizeof(args), "conf=%s", link);
                        write_service("sg-vendor", args);
                } else {
                        write_conf("vendor.conf", "staff_group = vendor-staff\nreason = maybe", c,
                                   sizeof(c));
                        (void)snprintf(args, sizeof(args), "conf=%s", c);
                        write_service("sg-vendor", args);
                }
                for (size_t u = 0; u < ELEMENTSOF(user); u++) {
                        bool customer = streq(user[u], "alice");

                        cs = (struct conv_script){.answers = {REASON}};
                        pamh = start("sg-vendor", user[u], &cs);
                        assert_int_equal(pam_acct_mgmt(pamh, 0),
                                         customer ? PAM_SUCCESS : PAM_PERM_DENIED);
                        if (customer)
                                assert_true(ignored());
                        else
                                assert_non_null(strstr(cs.transcript, "configuration is broken"));
                        finish(pamh, customer ? PAM_SUCCESS : PAM_PERM_DENIED);
                }
        }
}

static void session_needs_the_daemon(void **state)
{
        char c[PATH_MAX], args[PATH_MAX + 64], extra[PATH_MAX];
        struct conv_script cs = {.answers = {REASON}};
        uint64_t since = now_usec();
        pam_handle_t *pamh;

        grant_user("jdoe");
        (void)snprintf(extra, sizeof(extra), "socket = %s/run/nobody-listens", dir);
        write_conf("nodaemon.conf", extra, c, sizeof(c));
        (void)snprintf(args, sizeof(args), "conf=%s", c);
        write_service("sg-nodaemon", args);

        /* The account phase refuses before the reason is asked (and before sshd would show
         * the motd): no prompt, no login row, the journal says why. */
        pamh = start("sg-nodaemon", "jdoe", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_PERM_DENIED);
        finish(pamh, PAM_PERM_DENIED);
        assert_int_equal(cs.prompts, 0);
        assert_non_null(strstr(cs.transcript, "supportgrantd does not answer"));
        assert_int_equal(logins_of("jdoe").n, 0);
        /* A stack whose session phase is the first to ask: refused at open, before the
         * reason; only the journal can have it. */
        cs = (struct conv_script){.answers = {REASON}};
        pamh = start("sg-nodaemon", "jdoe", &cs);
        assert_int_equal(pam_open_session(pamh, 0), PAM_SESSION_ERR);
        finish(pamh, PAM_SESSION_ERR);
        assert_int_equal(cs.prompts, 0);
        assert_non_null(strstr(cs.transcript, "supportgrantd does not answer"));
        assert_int_equal(logins_of("jdoe").n, 0);
        assert_true(journal_find("login-denied", "SUPPORTGRANT_USER=jdoe", since).count >= 2);
        /* Written by the module itself: the daemon could not. */
        assert_string_equal(journal_find("login-denied", "SUPPORTGRANT_USER=jdoe", since).detail,
                            "supportgrantd is not running");

        /* Without session termination too: the daemon is the only owner of the data. */
        (void)snprintf(extra, sizeof(extra),
                       "socket = %s/run/nobody-listens\nterminate_sessions = no", dir);
        write_conf("nodaemon.conf", extra, c, sizeof(c));
        cs = (struct conv_script){.answers = {REASON}};
        pamh = start("sg-nodaemon", "jdoe", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_PERM_DENIED);
        finish(pamh, PAM_PERM_DENIED);
        assert_int_equal(cs.prompts, 0);
        /* The twin: the same stack with the daemon's socket. */
        write_conf("nodaemon.conf", "", c, sizeof(c));
        assert_int_equal(login("jdoe", "sg-nodaemon", true), PAM_SUCCESS);
        assert_int_equal(logins_of("jdoe").last.outcome, SG_LOGIN_ACCEPTED);
}

/* Access revoked between the account check and the session: no session. */
static void session_rechecks_access(void **state)
{
        struct conv_script cs = {.answers = {REASON}};
        int64_t gid = grant_user("jdoe");
        pam_handle_t *pamh;
        sg_store *s;

        pamh = start("sg", "jdoe", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
        assert_int_equal(sg_store_open(db, 0, &s, NULL), 0);
        assert_int_equal(sg_store_grant_revoke(s, gid, time(NULL), "alice"), 0);
        sg_store_close(s);
        assert_int_equal(pam_open_session(pamh, 0), PAM_SESSION_ERR);
        finish(pamh, PAM_SESSION_ERR);
        assert_int_equal(logins_of("jdoe").last.outcome, SG_LOGIN_DENIED);
}

/* The reason given in the account phase waits in the daemon's memory for the session. A daemon
 * that crashed between the phases has forgotten it: the session asks again where it can, and is
 * refused where it cannot; never a login without its reason. */
static void daemon_restart_between_phases(void **state)
{
        char c[PATH_MAX], args[PATH_MAX + 64];
        struct conv_script cs = {.answers = {REASON, "Asked again after the daemon restarted"}};
        pam_handle_t *pamh;
        size_t n;
        pid_t pid;

        grant_user("jdoe");
        /* A daemon of its own on the suite's database, to kill. */
        pid = second_daemon("restart", db, "", c, sizeof(c));
        (void)snprintf(args, sizeof(args), "conf=%s", c);
        write_service("sg-restart", args);

        /* The twin: without a restart the session uses the reason of the account phase. */
        pamh = start("sg-restart", "jdoe", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
        assert_int_equal(pam_open_session(pamh, 0), PAM_SUCCESS);
        assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
        finish(pamh, PAM_SUCCESS);
        assert_int_equal(cs.prompts, 1);
        assert_string_equal(logins_of("jdoe").last.reason, REASON);

        /* Killed and started again: asked again, recorded with the new answer. */
        cs = (struct conv_script){.answers = {REASON, "Asked again after the daemon restarted"}};
        pamh = start("sg-restart", "jdoe", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        pid = second_daemon("restart", db, "", c, sizeof(c));
        assert_int_equal(pam_open_session(pamh, 0), PAM_SUCCESS);
        assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
        finish(pamh, PAM_SUCCESS);
        assert_int_equal(cs.prompts, 2);
        assert_int_equal(logins_of("jdoe").last.outcome, SG_LOGIN_ACCEPTED);
        assert_string_equal(logins_of("jdoe").last.reason,
                            "Asked again after the daemon restarted");

        /* The same where the session cannot ask (sshd): refused, and no login accepted. */
        cs = (struct conv_script){.answers = {REASON}};
        pamh = start("sg-restart", "jdoe", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
        n = logins_of("jdoe").n;
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        pid = second_daemon("restart", db, "", c, sizeof(c));
        cs.cannot_prompt = true;
        assert_int_equal(pam_open_session(pamh, 0), PAM_SESSION_ERR);
        finish(pamh, PAM_SESSION_ERR);
        assert_int_equal(logins_of("jdoe").n, n + 1);
        assert_int_equal(logins_of("jdoe").last.outcome, SG_LOGIN_DENIED);
        assert_string_equal(logins_of("jdoe").last.detail, "session without a reason");
        second_daemon_stop(pid);
}

/* ---- the directory (tests/nss/nss_sgdir.c) ------------------------------------------------ */

static const char *const outages[] = {"notfound", "unavail-enoent", "unavail-eio", "tryagain"};

static void directory_mode(const char *mode)
{
        write_file("/run/sgdir/mode", 0644, "%s\n", mode);
}

/* The directory's staff group dir-staff (dana: a directory account; lena: a local one). */
static void directory_service(void)
{
        char c[PATH_MAX], args[PATH_MAX + 64];

        write_conf("dir.conf", "staff_group = dir-staff", c, sizeof(c));
        (void)snprintf(args, sizeof(args), "conf=%s", c);
        write_service("sg-dir", args);
        directory_mode("up");
}

/* Every phase ignores the account, and nothing is said to it. */
static void unaffected(const char *user, const char *service)
{
        struct conv_script cs = {.cannot_prompt = true};
        pam_handle_t *pamh = start(service, user, &cs);

        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
        assert_true(ignored());
        assert_int_equal(pam_open_session(pamh, 0), PAM_SUCCESS);
        assert_true(ignored());
        assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
        assert_true(ignored());
        assert_string_equal(cs.transcript, "");
        finish(pamh, PAM_SUCCESS);
}

/* SPEC §2 "staff unknown": a directory that answers "not found" or fails lets no staff in;
 * local customers and root never notice. */
static void directory_outage_fails_closed(void **state)
{
        uint64_t since = now_usec();

        directory_service();
        /* Up: the positive twins. Without a grant staff are denied, with one they get in. */
        assert_int_equal(login("dana", "sg-dir", false), PAM_PERM_DENIED);
        assert_int_equal(login("lena", "sg-dir", false), PAM_PERM_DENIED);
        unaffected("alice", "sg-dir");
        grant_user("lena");
        assert_int_equal(login("lena", "sg-dir", true), PAM_SUCCESS);
        sql("DELETE FROM grants");

        for (size_t i = 0; i < ELEMENTSOF(outages); i++) {
                directory_mode(outages[i]);
                assert_int_equal(login("dana", "sg-dir", false), PAM_PERM_DENIED);
                /* lena is local, but the host knows her as staff. */
                assert_int_equal(login("lena", "sg-dir", false), PAM_PERM_DENIED);
                unaffected("alice", "sg-dir");
                unaffected("root", "sg-dir");
        }
        /* With grants: in while the directory is up, out whenever it fails. */
        grant_user("dana");
        grant_user("lena");
        directory_mode("up");
        assert_int_equal(login("dana", "sg-dir", true), PAM_SUCCESS);
        assert_int_equal(login("lena", "sg-dir", true), PAM_SUCCESS);
        for (size_t i = 0; i < ELEMENTSOF(outages); i++) {
                directory_mode(outages[i]);
                assert_int_equal(login("dana", "sg-dir", true), PAM_PERM_DENIED);
                assert_int_equal(login("lena", "sg-dir", true), PAM_PERM_DENIED);
                assert_int_equal(logins_of("lena").last.outcome, SG_LOGIN_DENIED);
                assert_non_null(strstr(logins_of("lena").last.detail, "staff unknown"));
        }
        directory_mode("up");
        /* Repeated denials within a minute are one row with a count and one journal entry:
         * the first run of denials (no grant, then each outage), and after her accepted login
         * the second (each outage again). */
        assert_int_equal(journal_find("login-denied", "SUPPORTGRANT_USER=dana", since).count, 2);
        assert_int_equal(logins_of("dana").n, 3);
        assert_int_equal(logins_of("dana").last.outcome, SG_LOGIN_DENIED);
        assert_int_equal(logins_of("dana").last.count, ELEMENTSOF(outages));
        assert_int_equal(journal_find("login-denied", "SUPPORTGRANT_USER=alice", since).count, 0);
}

/* The staff group's name does not resolve, the account's gids do: the gid the group had when
 * it last resolved proves staff (and only proves it). */
static void last_staff_gid_decides(void **state)
{
        directory_service();
        grant_user("dana");
        directory_mode("names-down");
        sql("DELETE FROM staff_groups");
        assert_int_equal(login("dana", "sg-dir", false), PAM_PERM_DENIED); /* nothing known */
        sql("INSERT INTO staff_groups VALUES ('dir-staff', 7099, 0)");
        assert_int_equal(login("dana", "sg-dir", false), PAM_PERM_DENIED); /* another gid */
        sql("UPDATE staff_groups SET gid = 7000");
        assert_int_equal(login("dana", "sg-dir", true), PAM_SUCCESS); /* staff, covered */
        sql("DELETE FROM grants");
        assert_int_equal(login("dana", "sg-dir", false), PAM_PERM_DENIED); /* staff, not */
        assert_string_equal(logins_of("dana").last.detail, "no active grant");
        unaffected("alice", "sg-dir");
        sql("DELETE FROM staff_groups");
        directory_mode("up");
}

/* A local group onoffice-staff (another gid) must not hide the directory's from the module
 * while sshd's Match Group, which goes by name, still sees it. */
static void shadowing_local_group(void **state)
{
        directory_mode("up");
        assert_int_equal(login("dora", "sg", false), PAM_PERM_DENIED);
        grant_user("dora");
        assert_int_equal(login("dora", "sg", true), PAM_SUCCESS);
        unaffected("alice", "sg");
}

/* A fresh host: no staff group made yet, no database yet. Local customers must not notice;
 * accounts only a directory knows cannot be told from staff. */
static void no_staff_group_yet(void **state)
{
        char c[PATH_MAX], args[PATH_MAX + 64], fresh[PATH_MAX];
        pid_t pid;

        (void)snprintf(fresh, sizeof(fresh), "%s/lib/fresh.db", dir);
        (void)unlink(fresh);
        pid = second_daemon("fresh", fresh, "staff_group = no-such-group", c, sizeof(c));
        (void)snprintf(args, sizeof(args), "conf=%s", c);
        write_service("sg-fresh", args);
        directory_mode("up");
        unaffected("alice", "sg-fresh");
        unaffected("lena", "sg-fresh");
        unaffected("root", "sg-fresh");
        assert_int_equal(login("dana", "sg-fresh", false), PAM_PERM_DENIED);
        second_daemon_stop(pid);
        (void)unlink(fresh);
}

/* SPEC §5 module arguments: only per-service settings. staff_group= as an argument would make
 * the module and the daemon disagree on who is staff; it is a configuration error. */
static void only_per_service_arguments(void **state)
{
        char args[PATH_MAX + 64];
        struct conv_script cs = {.answers = {REASON}};
        pam_handle_t *pamh;

        grant_user("jdoe");
        grant_user("vic");
        (void)snprintf(args, sizeof(args), "conf=%s staff_group=vendor-staff", conf);
        write_service("sg-args", args);
        pamh = start("sg-args", "jdoe", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_PERM_DENIED);
        assert_non_null(strstr(cs.transcript, "configuration is broken"));
        finish(pamh, PAM_PERM_DENIED);
        /* vic is staff only by the argument: to the daemon, a customer; not the module's. */
        pamh = start("sg-args", "vic", &cs);
        assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
        assert_true(ignored());
        finish(pamh, PAM_SUCCESS);
        /* The positive twin: a per-service setting is taken. */
        (void)snprintf(args, sizeof(args), "conf=%s reason=off reason_min_length=20", conf);
        write_service("sg-args", args);
        {
                struct conv_script quiet = {.cannot_prompt = true};

                pamh = start("sg-args", "jdoe", &quiet);
                assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
                assert_false(ignored());
                assert_int_equal(quiet.prompts, 0);
                finish(pamh, PAM_SUCCESS);
        }
}

/* A service file with the module's own lines besides the profile's: the first run decides,
 * the second is ignored (one reason, one login row, the session opens). */
static void write_twice(const char *name, const char *first_args)
{
        char path[PATH_MAX + 64];

        (void)snprintf(path, sizeof(path), "%s/%s", confdir, name);
        write_file(path, 0644,
                   "auth required pam_permit.so\n"
                   "account required %s conf=%s %s\n"
                   "account required %s conf=%s\n"
                   "account required pam_permit.so\n"
                   "session required %s conf=%s %s\n"
                   "session required %s conf=%s\n"
                   "session required pam_permit.so\n",
                   module, conf, first_args, module, conf, module, conf, first_args, module, conf);
}

static int twice(const char *service, const char *user, struct conv_script *cs)
{
        pam_handle_t *pamh = start(service, user, cs);
        int r = pam_acct_mgmt(pamh, 0);

        if (r == PAM_SUCCESS)
                r = pam_open_session(pamh, 0);
        if (r == PAM_SUCCESS)
                r = pam_close_session(pamh, 0);
        finish(pamh, r);
        return r;
}

static void second_run_is_ignored(void **state)
{
        struct conv_script cs = {.answers = {REASON, REASON}};
        struct conv_script mdev_cs = {.answers = {REASON, REASON}};

        grant_user("jdoe");
        write_twice("sg-twice", "");
        assert_int_equal(twice("sg-twice", "jdoe", &cs), PAM_SUCCESS);
        assert_int_equal(cs.prompts, 1);
        assert_int_equal(logins_of("jdoe").n, 1);
        assert_int_equal(logins_of("jdoe").last.outcome, SG_LOGIN_ACCEPTED);
        assert_true(logins_of("jdoe").last.ended_at > 0);
        /* A denial by the first run stands, recorded once. */
        assert_int_equal(twice("sg-twice", "mdev", &mdev_cs), PAM_PERM_DENIED);
        assert_int_equal(logins_of("mdev").n, 1);
        /* A first line that is only optional must not make the second one wave staff
         * through: its denial stands. */
        {
                char path[PATH_MAX + 64];
                struct conv_script opt = {.answers = {REASON, REASON}};
                size_t before = logins_of("mdev").n;

                (void)snprintf(path, sizeof(path), "%s/sg-optional", confdir);
                write_file(path, 0644,
                           "auth required pam_permit.so\n"
                           "account optional %s conf=%s\n"
                           "account required %s conf=%s\n"
                           "account required pam_permit.so\n"
                           "session required pam_permit.so\n",
                           module, conf, module, conf);
                assert_int_equal(twice("sg-optional", "mdev", &opt), PAM_PERM_DENIED);
                assert_int_equal(logins_of("mdev").n, before + 1); /* recorded once */
                opt = (struct conv_script){.answers = {REASON, REASON}};
                assert_int_equal(twice("sg-optional", "jdoe", &opt), PAM_SUCCESS);
                assert_int_equal(opt.prompts, 1);
        }
        cs = (struct conv_script){.cannot_prompt = true};
        assert_int_equal(twice("sg-twice", "alice", &cs), PAM_SUCCESS);
        assert_int_equal(cs.prompts, 0);
        assert_int_equal(logins_of("alice").n, 0);
}

/* SPEC §5: services that cannot prompt (cron, atd, user@.service). With the profile alone a
 * staff account is refused there cleanly (a reason is required and cannot be asked), and the
 * overview shows why; a service file whose own first lines say reason=off runs it, recorded
 * with the service and no reason. */
static void noninteractive_services(void **state)
{
        struct conv_script cron = {.cannot_prompt = true};
        char args[PATH_MAX + 64];

        grant_user("jdoe");
        (void)snprintf(args, sizeof(args), "conf=%s", conf);
        write_service("cron", args);
        assert_int_equal(twice("cron", "jdoe", &cron), PAM_PERM_DENIED);
        assert_int_equal(cron.prompts, 1);
        assert_int_equal(logins_of("jdoe").last.outcome, SG_LOGIN_DENIED);
        assert_string_equal(logins_of("jdoe").last.service, "cron");
        assert_non_null(strstr(logins_of("jdoe").last.detail, "cannot ask"));

        write_twice("cron", "reason=off");
        cron = (struct conv_script){.cannot_prompt = true};
        assert_int_equal(twice("cron", "jdoe", &cron), PAM_SUCCESS);
        assert_int_equal(cron.prompts, 0);
        assert_int_equal(logins_of("jdoe").last.outcome, SG_LOGIN_ACCEPTED);
        assert_string_equal(logins_of("jdoe").last.service, "cron");
        assert_string_equal(logins_of("jdoe").last.reason, "");
        /* Without a grant: refused there too. */
        sql("DELETE FROM grants");
        cron = (struct conv_script){.cannot_prompt = true};
        assert_int_equal(twice("cron", "jdoe", &cron), PAM_PERM_DENIED);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(non_staff_untouched, reset),
                cmocka_unit_test_setup(staff_denied_without_grant, reset),
                cmocka_unit_test_setup(user_grant_full_login, reset),
                cmocka_unit_test_setup(department_grant, reset),
                cmocka_unit_test_setup(primary_group_staff, reset),
                cmocka_unit_test_setup(expired_and_revoked, reset),
                cmocka_unit_test_setup(export_is_or_of_grants, reset),
                cmocka_unit_test_setup(reason_asked_again, reset),
                cmocka_unit_test_setup(reason_required_cannot_prompt, reset),
                cmocka_unit_test_setup(reason_optional_and_off, reset),
                cmocka_unit_test_setup(reason_crosses_processes_once, reset),
                cmocka_unit_test_setup(auth_is_never_sole_authenticator, reset),
                cmocka_unit_test_setup(setcred_does_nothing, reset),
                cmocka_unit_test_setup(silent_means_silent, reset),
                cmocka_unit_test_setup(fail_closed_on_bad_database, reset),
                cmocka_unit_test_setup(fail_closed_on_locked_database, reset),
                cmocka_unit_test_setup(fail_closed_on_bad_config, reset),
                cmocka_unit_test_setup(refused_config_still_knows_staff, reset),
                cmocka_unit_test_setup(session_needs_the_daemon, reset),
                cmocka_unit_test_setup(session_rechecks_access, reset),
                cmocka_unit_test_setup(daemon_restart_between_phases, reset),
                cmocka_unit_test_setup(directory_outage_fails_closed, reset),
                cmocka_unit_test_setup(last_staff_gid_decides, reset),
                cmocka_unit_test_setup(shadowing_local_group, reset),
                cmocka_unit_test_setup(no_staff_group_yet, reset),
                cmocka_unit_test_setup(only_per_service_arguments, reset),
                cmocka_unit_test_setup(second_run_is_ignored, reset),
                cmocka_unit_test_setup(noninteractive_services, reset),
        };
        char args[PATH_MAX + 64];

        dir = getenv("SG_TEST_DIR");
        module = getenv("SG_MODULE");
        daemon_path = getenv("SG_DAEMON");
        if (!dir || !module) {
                fprintf(stderr, "run me through tests/pam/run.sh\n");
                return 2;
        }
        (void)snprintf(conf, sizeof(conf), "%s/etc/supportgrant.conf", dir);
        (void)snprintf(db, sizeof(db), "%s/lib/supportgrant.db", dir);
        (void)snprintf(confdir, sizeof(confdir), "%s/pam.d", dir);
        (void)snprintf(marker, sizeof(marker), "%s/ignored", dir);
        (void)snprintf(args, sizeof(args), "conf=%s", conf);
        write_service("sg", args);
        (void)snprintf(args, sizeof(args), "conf=%s kbdint_step", conf);
        write_service("sg-kbdint", args);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
