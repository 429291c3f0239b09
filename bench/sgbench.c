/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sgbench: the measuring half of `make bench` (bench/run.sh drives it inside the private host).
 *
 *   sgbench populate DB GRANTS LOGINS USER   schema via sg_store_open(), then bulk rows
 *   sgbench acct CONFDIR SERVICE USER N      pam_acct_mgmt N times, a handle for each
 *   sgbench txn CONFDIR SERVICE USER N       acct + open_session + close_session, N logins
 *   sgbench concurrent CONFDIR SERVICE USER PROCS SECONDS DB
 *   sgbench parts CONF USER N               each step of an account check on its own
 *   sgbench fsync DIR N                     4 KiB append + fdatasync, the disk's unit cost
 *   sgbench commit DIR N                    one row committed, WAL, synchronous=FULL: the floor
 *   sgbench audit DIR N                     one audit record built and appended, in a transaction
 *   sgbench report RESULTS_DIR OUT.json   the table, the targets, results.json
 *
 * Every stack is a real Linux-PAM stack loaded with pam_start_confdir(). Results are one JSON
 * object on stdout; times are nanoseconds.
 */
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include <security/pam_appl.h>

#include "conf.h"
#include "macro.h"
#include "staff.h"
#include "store.h"

#define REASON "Benchmark: ticket 4711, invoices do not print"
#define WARMUP 200

static uint64_t now_ns(void)
{
        struct timespec ts;

        (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static int parse_count(const char *s, long min, long max, long *ret)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end || v < min || v > max) {
                fprintf(stderr, "sgbench: '%s' is not a number in %ld..%ld\n", s, min, max);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

/* ---- populate ---------------------------------------------------------------------------- */

static int exec_sql(sqlite3 *db, const char *sql)
{
        char *err = NULL;

        if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
                fprintf(stderr, "sgbench: %s\n", err ? err : "sqlite error");
                sqlite3_free(err);
                return -EIO;
        }
        return 0;
}

/* Adds GRANTS grants for USER (all but one expired, every 50th revoked, spread over the last
 * 170 days, one active for a day) and LOGINS closed login rows of 50 staff names, USER among
 * them, over the same months. Rows are appended: calling it again grows the history. One
 * transaction, recursive CTEs: a million rows take seconds. */
static int cmd_populate(int argc, char **argv)
{
        _cleanup_free_ char *sql = NULL;
        sg_store *s = NULL;
        sqlite3 *db = NULL;
        long grants, logins;
        time_t now = time(NULL);
        int r;

        if (argc != 4 || parse_count(argv[1], 0, 100000000, &grants) < 0 ||
            parse_count(argv[2], 0, 100000000, &logins) < 0) {
                fprintf(stderr, "usage: sgbench populate DB GRANTS LOGINS USER\n");
                return 2;
        }
        /* The real schema, created the way the daemon creates it. */
        r = sg_store_open(argv[0], SG_STORE_CREATE, &s, NULL);
        if (r < 0) {
                fprintf(stderr, "sgbench: cannot create %s: %s\n", argv[0], strerror(-r));
                return 1;
        }
        sg_store_close(s);

        if (sqlite3_open(argv[0], &db) != SQLITE_OK)
                return 1;
        sqlite3_busy_timeout(db, 10000);
        if (asprintf(&sql,
                     "BEGIN IMMEDIATE;"
                     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %ld)"
                     " INSERT INTO grants (kind, target, export, period, granted_at, expires_at,"
                     "  granted_by, via, note, revoked_at, revoked_by)"
                     " SELECT 'user', '%s', i %% 3 = 0, '1h', %lld - 86400 * 170 + i * 1400,"
                     "  %lld - 86400 * 170 + i * 1400 + 3600, 'alice', 'cli', 'bench',"
                     "  CASE WHEN i %% 50 = 0 THEN %lld - 86400 * 170 + i * 1400 + 60 END,"
                     "  CASE WHEN i %% 50 = 0 THEN 'alice' END FROM n WHERE %ld > 1;"
                     "INSERT INTO grants (kind, target, export, period, granted_at, expires_at,"
                     "  granted_by, via, note) SELECT 'user', '%s', 1, '1w', %lld, %lld + 86400,"
                     "  'alice', 'cli', 'bench: the active one' WHERE %ld > 0;"
                     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %ld)"
                     " INSERT INTO logins (user, time, outcome, reason, service, rhost, tty, pid,"
                     "  pid_start, grant_ids, ended_at, end_kind)"
                     " SELECT CASE WHEN i %% 50 = 0 THEN '%s' ELSE 'staff' || (i %% 50) END,"
                     "  %lld - 86400 * 170 + (i * 14) %% (86400 * 170),"
                     "  CASE WHEN i %% 20 = 0 THEN 'denied' ELSE 'accepted' END,"
                     "  'Customer ticket ' || i || ': the nightly export fails', 'sshd',"
                     "  '192.0.2.' || (i %% 250), 'ssh', 1000 + i %% 30000, i, i %% 9999 + 1,"
                     "  CASE WHEN i %% 20 = 0 THEN NULL"
                     "   ELSE %lld - 86400 * 170 + (i * 14) %% (86400 * 170) + 900 END,"
                     "  CASE WHEN i %% 20 = 0 THEN NULL ELSE 'closed' END FROM n WHERE %ld > 0;"
                     "COMMIT;",
                     grants - 1, argv[3], (long long)now, (long long)now, (long long)now, grants,
                     argv[3], (long long)now, (long long)now, grants, logins, argv[3],
                     (long long)now, (long long)now, logins) < 0)
                return 1;
        r = exec_sql(db, sql);
        sqlite3_close(db);
        return r < 0 ? 1 : 0;
}

/* ---- PAM --------------------------------------------------------------------------------- */

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
        struct pam_response *r = calloc((size_t)n, sizeof(*r));

        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++)
                if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON ||
                    msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
                        r[i].resp = strdup(REASON);
        *resp = r;
        return PAM_SUCCESS;
}

static int start(const char *confdir, const char *service, const char *user, pam_handle_t **ret)
{
        static const struct pam_conv c = {conv, NULL};
        int r;

        r = pam_start_confdir(service, user, &c, confdir, ret);
        if (r != PAM_SUCCESS) {
                fprintf(stderr, "sgbench: pam_start_confdir(%s): %s\n", service,
                        pam_strerror(NULL, r));
                return -EIO;
        }
        (void)pam_set_item(*ret, PAM_RHOST, "192.0.2.7");
        (void)pam_set_item(*ret, PAM_TTY, "ssh");
        return 0;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

static uint64_t cpu_ns(void)
{
        struct timespec ts;

        (void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* Wall-clock figures, plus the CPU time this process spent per call (the rest is waiting:
 * fsync, the daemon, other processes on the same cores). */
static void print_stats(const char *what, uint64_t *t, size_t n, uint64_t cpu)
{
        uint64_t sum = 0;

        qsort(t, n, sizeof(*t), cmp_u64);
        for (size_t i = 0; i < n; i++)
                sum += t[i];
        printf("{\"what\": \"%s\", \"n\": %zu, \"median_ns\": %" PRIu64 ", \"p99_ns\": %" PRIu64
               ", \"mean_ns\": %" PRIu64 ", \"min_ns\": %" PRIu64 ", \"max_ns\": %" PRIu64
               ", \"cpu_mean_ns\": %" PRIu64 "}\n",
               what, n, t[n / 2], t[(n * 99) / 100], sum / n, t[0], t[n - 1], cpu / n);
}

/* pam_acct_mgmt N times, each on a handle of its own (as each sshd connection has; on one
 * handle the module would answer again what it decided the first time), made outside the
 * measured time. A staff account answers the reason prompt in the first (warm-up) call; the
 * later handles carry its login token, as the account phase after keyboard-interactive in sshd
 * does. */
static int cmd_acct(int argc, char **argv)
{
        _cleanup_free_ uint64_t *t = NULL;
        pam_handle_t *pamh = NULL;
        char token[128] = "";
        uint64_t cpu = 0;
        long n, warmup;
        int r;

        if (argc != 4 || parse_count(argv[3], 1, 10000000, &n) < 0) {
                fprintf(stderr, "usage: sgbench acct CONFDIR SERVICE USER N\n");
                return 2;
        }
        t = calloc((size_t)n, sizeof(*t));
        if (!t)
                return 1;
        /* Slow baselines (a fork and exec per call) need fewer rounds to warm up. */
        warmup = n < 1000 ? 20 : WARMUP;
        for (long i = -warmup; i < n; i++) {
                uint64_t t0, c0;
                const char *have;

                if (start(argv[0], argv[1], argv[2], &pamh) < 0)
                        return 1;
                if (token[0])
                        (void)pam_putenv(pamh, token);
                c0 = cpu_ns();
                t0 = now_ns();
                r = pam_acct_mgmt(pamh, PAM_SILENT);
                if (i >= 0) {
                        t[i] = now_ns() - t0;
                        cpu += cpu_ns() - c0;
                }
                if (r != PAM_SUCCESS) {
                        fprintf(stderr, "sgbench: %s/%s: pam_acct_mgmt: %s\n", argv[1], argv[2],
                                pam_strerror(pamh, r));
                        (void)pam_end(pamh, r);
                        return 1;
                }
                have = pam_getenv(pamh, "SUPPORTGRANT_TOKEN");
                if (have && !token[0])
                        (void)snprintf(token, sizeof(token), "SUPPORTGRANT_TOKEN=%s", have);
                (void)pam_end(pamh, PAM_SUCCESS);
        }
        print_stats(argv[1], t, (size_t)n, cpu);
        return 0;
}

/* One complete staff login as sshd's monitor sees it: account (asks the reason), session
 * open (records the login), session close (records its end). pam_start/pam_end stay outside
 * the measured time; sshd pays them per connection whatever the modules do. */
static int one_login(const char *confdir, const char *service, const char *user, uint64_t *ret_ns,
                     uint64_t *ret_cpu, char *err, size_t err_size)
{
        pam_handle_t *pamh = NULL;
        uint64_t t0, c0;
        const char *step = "pam_acct_mgmt";
        int r;

        if (start(confdir, service, user, &pamh) < 0) {
                (void)snprintf(err, err_size, "pam_start_confdir failed");
                return -EIO;
        }
        c0 = cpu_ns();
        t0 = now_ns();
        r = pam_acct_mgmt(pamh, 0);
        if (r == PAM_SUCCESS) {
                step = "pam_open_session";
                r = pam_open_session(pamh, PAM_SILENT);
        }
        if (r == PAM_SUCCESS) {
                step = "pam_close_session";
                r = pam_close_session(pamh, PAM_SILENT);
        }
        if (ret_ns)
                *ret_ns = now_ns() - t0;
        if (ret_cpu)
                *ret_cpu = cpu_ns() - c0;
        if (r != PAM_SUCCESS)
                (void)snprintf(err, err_size, "%s: %s", step, pam_strerror(pamh, r));
        (void)pam_end(pamh, r);
        return r == PAM_SUCCESS ? 0 : -EPERM;
}

static int cmd_txn(int argc, char **argv)
{
        _cleanup_free_ uint64_t *t = NULL;
        uint64_t cpu = 0;
        char err[256];
        long n;

        if (argc != 4 || parse_count(argv[3], 1, 1000000, &n) < 0) {
                fprintf(stderr, "usage: sgbench txn CONFDIR SERVICE USER N\n");
                return 2;
        }
        t = calloc((size_t)n, sizeof(*t));
        if (!t)
                return 1;
        for (long i = -WARMUP / 10; i < n; i++) {
                uint64_t ns, c;

                if (one_login(argv[0], argv[1], argv[2], &ns, &c, err, sizeof(err)) < 0) {
                        fprintf(stderr, "sgbench: %s/%s: %s\n", argv[1], argv[2], err);
                        return 1;
                }
                if (i >= 0) {
                        t[i] = ns;
                        cpu += c;
                }
        }
        print_stats(argv[1], t, (size_t)n, cpu);
        return 0;
}

/* ---- concurrency ------------------------------------------------------------------------- */

struct worker {
        uint64_t ok, errors;
        char first_error[192];
};

static int64_t count_rows(const char *db, const char *sql, const char *service)
{
        sqlite3 *h = NULL;
        sqlite3_stmt *st = NULL;
        int64_t n = -1;

        if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
            sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
                sqlite3_bind_text(st, 1, service, -1, SQLITE_STATIC);
                if (sqlite3_step(st) == SQLITE_ROW)
                        n = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
        sqlite3_close(h);
        return n;
}

/* PROCS processes log in and out as fast as they can for SECONDS; afterwards the login
 * overview must hold exactly one closed row per successful login, and no others. */
static int cmd_concurrent(int argc, char **argv)
{
        struct worker *w;
        long procs, seconds;
        uint64_t ok = 0, errors = 0, t0, elapsed;
        int64_t rows, closed, denied;
        const char *first_error = "";

        if (argc != 6 || parse_count(argv[3], 1, 1024, &procs) < 0 ||
            parse_count(argv[4], 1, 3600, &seconds) < 0) {
                fprintf(stderr,
                        "usage: sgbench concurrent CONFDIR SERVICE USER PROCS SECONDS DB\n");
                return 2;
        }
        w = mmap(NULL, sizeof(*w) * (size_t)procs, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (w == MAP_FAILED)
                return 1;
        memset(w, 0, sizeof(*w) * (size_t)procs);

        t0 = now_ns();
        for (long p = 0; p < procs; p++) {
                pid_t pid = fork();

                if (pid < 0)
                        return 1;
                if (pid == 0) {
                        uint64_t end = t0 + (uint64_t)seconds * UINT64_C(1000000000);
                        char err[192];

                        while (now_ns() < end) {
                                if (one_login(argv[0], argv[1], argv[2], NULL, NULL, err,
                                              sizeof(err)) >= 0)
                                        w[p].ok++;
                                else if (w[p].errors++ == 0)
                                        memcpy(w[p].first_error, err, sizeof(err));
                        }
                        _exit(0);
                }
        }
        for (long p = 0; p < procs; p++) {
                int status;

                if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        errors++;
        }
        elapsed = now_ns() - t0;
        for (long p = 0; p < procs; p++) {
                ok += w[p].ok;
                errors += w[p].errors;
                if (!first_error[0] && w[p].first_error[0])
                        first_error = w[p].first_error;
        }
        rows = count_rows(argv[5], "SELECT count(*) FROM logins WHERE service = ?", argv[1]);
        closed = count_rows(argv[5],
                            "SELECT count(*) FROM logins WHERE service = ? AND "
                            "outcome = 'accepted' AND end_kind = 'closed' AND ended_at IS NOT NULL",
                            argv[1]);
        denied = count_rows(argv[5],
                            "SELECT count(*) FROM logins WHERE service = ? AND outcome = 'denied'",
                            argv[1]);
        printf("{\"what\": \"%s\", \"procs\": %ld, \"seconds\": %.3f, \"transactions\": %" PRIu64
               ", \"errors\": %" PRIu64 ", \"tps\": %.1f, \"login_rows\": %" PRId64
               ", \"closed_rows\": %" PRId64 ", \"denied_rows\": %" PRId64
               ", \"first_error\": \"%s\"}\n",
               argv[1], procs, (double)elapsed / 1e9, ok, errors,
               (double)ok * 1e9 / (double)elapsed, rows, closed, denied, first_error);
        return 0;
}

/* ---- where a call's time goes ------------------------------------------------------------ */

typedef int (*step_fn)(void *userdata);

static uint64_t median_of(step_fn fn, void *userdata, long n)
{
        _cleanup_free_ uint64_t *t = calloc((size_t)n, sizeof(uint64_t));

        if (!t)
                return 0;
        for (long i = -WARMUP; i < n; i++) {
                uint64_t t0 = now_ns();

                (void)fn(userdata);
                if (i >= 0)
                        t[i] = now_ns() - t0;
        }
        qsort(t, (size_t)n, sizeof(*t), cmp_u64);
        return t[n / 2];
}

struct parts {
        const char *conf, *user;
        struct sg_config cfg;
        sg_store *store;
};

static int part_config(void *userdata)
{
        struct parts *p = userdata;
        struct sg_config c;

        sg_config_init(&c);
        return sg_config_load(&c, p->conf, 0, NULL);
}

static int part_getpwnam(void *userdata)
{
        struct parts *p = userdata;
        struct passwd pw, *res;
        char buf[4096];

        return getpwnam_r(p->user, &pw, buf, sizeof(buf), &res);
}

static int part_getgrnam(void *userdata)
{
        struct parts *p = userdata;
        struct group gr, *res;
        char buf[4096];

        return getgrnam_r(p->cfg.staff_group, &gr, buf, sizeof(buf), &res);
}

static int part_getgrouplist(void *userdata)
{
        struct parts *p = userdata;
        gid_t gids[256];
        int n = ELEMENTSOF(gids);

        return getgrouplist(p->user, 0, gids, &n);
}

static int part_identity(void *userdata)
{
        struct parts *p = userdata;
        struct sg_identity id;

        return sg_identity_lookup(&p->cfg, p->user, &id);
}

static int part_open(void *userdata)
{
        struct parts *p = userdata;
        sg_store *s = NULL;
        int r = sg_store_open(p->cfg.database, 0, &s, NULL);

        sg_store_close(s);
        return r;
}

static int part_coverage(void *userdata)
{
        struct parts *p = userdata;
        struct sg_coverage c;
        const char *deps[] = {"support"};

        return sg_store_coverage(p->store, p->user, deps, 1, time(NULL), &c);
}

/* The parts of one account check, each timed on its own: which of them is ours to speed up. */
static int cmd_parts(int argc, char **argv)
{
        struct parts p = {};
        static const struct {
                const char *name;
                step_fn fn;
        } steps[] = {
                {"config_load", part_config},
                {"getpwnam", part_getpwnam},
                {"getgrnam_staff_group", part_getgrnam},
                {"getgrouplist", part_getgrouplist},
                {"identity_lookup", part_identity},
                {"store_open_close", part_open},
                {"coverage_query", part_coverage},
        };
        long n;

        if (argc != 3 || parse_count(argv[2], 1, 10000000, &n) < 0) {
                fprintf(stderr, "usage: sgbench parts CONF USER N\n");
                return 2;
        }
        p.conf = argv[0];
        p.user = argv[1];
        sg_config_init(&p.cfg);
        if (sg_config_load(&p.cfg, p.conf, 0, NULL) < 0 ||
            sg_store_open(p.cfg.database, 0, &p.store, NULL) < 0) {
                fprintf(stderr, "sgbench: cannot use %s\n", p.conf);
                return 1;
        }
        printf("{\"user\": \"%s\"", p.user);
        for (size_t i = 0; i < ELEMENTSOF(steps); i++)
                printf(", \"%s_ns\": %" PRIu64, steps[i].name, median_of(steps[i].fn, &p, n));
        printf("}\n");
        sg_store_close(p.store);
        return 0;
}

/* ---- the disk ---------------------------------------------------------------------------- */

/* What one append + fdatasync costs where the database lives: the unit that a commit with
 * synchronous=FULL pays at least once. */
static int cmd_fsync(int argc, char **argv)
{
        _cleanup_free_ uint64_t *t = NULL;
        _cleanup_close_ int fd = -EBADF;
        char path[PATH_MAX], page[4096] = {};
        long n;

        if (argc != 2 || parse_count(argv[1], 1, 100000, &n) < 0) {
                fprintf(stderr, "usage: sgbench fsync DIR N\n");
                return 2;
        }
        (void)snprintf(path, sizeof(path), "%s/fsync-probe", argv[0]);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        t = calloc((size_t)n, sizeof(*t));
        if (fd < 0 || !t)
                return 1;
        for (long i = 0; i < n; i++) {
                uint64_t t0 = now_ns();

                if (write(fd, page, sizeof(page)) != (ssize_t)sizeof(page) || fdatasync(fd) < 0)
                        return 1;
                t[i] = now_ns() - t0;
        }
        (void)unlink(path);
        print_stats("fsync", t, (size_t)n, 0);
        return 0;
}

/* The floor of a staff login: one committed row in an SQLite database in WAL mode with
 * synchronous=FULL, as supportgrant's, next to it on the same disk. */
static int cmd_commit(int argc, char **argv)
{
        _cleanup_free_ uint64_t *t = NULL;
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        char path[PATH_MAX], p2[PATH_MAX + 8];
        long n;
        int rc = 1;

        if (argc != 2 || parse_count(argv[1], 1, 100000, &n) < 0) {
                fprintf(stderr, "usage: sgbench commit DIR N\n");
                return 2;
        }
        (void)snprintf(path, sizeof(path), "%s/commit-probe.db", argv[0]);
        t = calloc((size_t)n, sizeof(*t));
        if (!t || sqlite3_open(path, &db) != SQLITE_OK ||
            exec_sql(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                         "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)") < 0 ||
            sqlite3_prepare_v2(db, "INSERT INTO t (v) VALUES ('a login row of about this size')",
                               -1, &st, NULL) != SQLITE_OK)
                goto out;
        for (long i = -WARMUP / 10; i < n; i++) {
                uint64_t t0 = now_ns();

                if (sqlite3_step(st) != SQLITE_DONE)
                        goto out;
                sqlite3_reset(st);
                if (i >= 0)
                        t[i] = now_ns() - t0;
        }
        print_stats("commit", t, (size_t)n, 0);
        rc = 0;
out:
        if (rc)
                fprintf(stderr, "sgbench: commit: %s\n", db ? sqlite3_errmsg(db) : "no memory");
        sqlite3_finalize(st);
        sqlite3_close(db);
        (void)unlink(path);
        (void)snprintf(p2, sizeof(p2), "%s-wal", path);
        (void)unlink(p2);
        (void)snprintf(p2, sizeof(p2), "%s-shm", path);
        (void)unlink(p2);
        return rc;
}

/* The audit trail's own work per record, as the daemon does it for each event: the record
 * built from the event's fields, its head read, canonical JSON, SHA-256, the row inserted;
 * inside one transaction, so that no fsync is in it (the commit is the batch's, shared). */
static int cmd_audit(int argc, char **argv)
{
        _cleanup_free_ uint64_t *t = NULL;
        struct sg_event_fields f = {.export = 0,
                                    .user = "jdoe",
                                    .grant_ids = "3,7",
                                    .login_id = 4711,
                                    .reason = "ticket 4711: the nightly export hangs",
                                    .service = "sshd",
                                    .rhost = "192.0.2.10",
                                    .expires = "2026-12-08T12:00:00Z"};
        struct sg_error err = {};
        char path[PATH_MAX], hash[SG_AUDIT_HASH_LEN + 1];
        sg_store *s = NULL;
        long n;
        int rc = 1;

        if (argc != 2 || parse_count(argv[1], 1, 1000000, &n) < 0) {
                fprintf(stderr, "usage: sgbench audit DIR N\n");
                return 2;
        }
        (void)snprintf(path, sizeof(path), "%s/audit-probe.db", argv[0]);
        t = calloc((size_t)n, sizeof(*t));
        if (!t || sg_store_open(path, SG_STORE_CREATE, &s, &err) < 0 || sg_store_batch_begin(s) < 0)
                goto out;
        for (long i = -WARMUP / 10; i < n; i++) {
                uint64_t t0 = now_ns();
                json_object *r = sg_audit_record_new(1796700000 + i, "login-accepted", &f);
                int64_t seq;

                if (!r || sg_store_audit_append(s, r, &seq, hash) < 0) {
                        json_object_put(r);
                        goto out;
                }
                json_object_put(r);
                if (i >= 0)
                        t[i] = now_ns() - t0;
        }
        if (sg_store_batch_commit(s) < 0)
                goto out;
        print_stats("audit", t, (size_t)n, 0);
        rc = 0;
out:
        if (rc)
                fprintf(stderr, "sgbench: audit: %s\n", s ? sg_store_errmsg(s) : err.msg);
        sg_store_close(s);
        (void)unlink(path);
        return rc;
}

/* ---- report ------------------------------------------------------------------------------ */

struct report {
        const char *dir;
        json_object *raw, *summary;
        int missed;
};

static json_object *load(struct report *rp, const char *name)
{
        char path[PATH_MAX];
        json_object *o;

        if (json_object_object_get_ex(rp->raw, name, &o))
                return o;
        (void)snprintf(path, sizeof(path), "%s/%s.json", rp->dir, name);
        if (access(path, R_OK) < 0)
                return NULL;
        o = json_object_from_file(path);
        if (o)
                (void)json_object_object_add(rp->raw, name, o);
        return o;
}

static double num(json_object *o, const char *key)
{
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v))
                return NAN;
        return json_object_get_double(v);
}

/* A hyperfine export: {"results": [{"median": s, "times": [...]}]} as a median in ns. */
static double hyperfine_median_ns(json_object *o)
{
        json_object *res, *first;

        if (!o || !json_object_object_get_ex(o, "results", &res) ||
            json_object_array_length(res) < 1)
                return NAN;
        first = json_object_array_get_idx(res, 0);
        return num(first, "median") * 1e9;
}

static void add_num(json_object *o, const char *key, double v)
{
        (void)json_object_object_add(o, key, isnan(v) ? NULL : json_object_new_double(v));
}

/* Records and prints one target: what was measured, the target's text, whether it was met. */
static void target(struct report *rp, const char *name, const char *text, double value,
                   const char *unit, bool met)
{
        json_object *t = json_object_new_object();
        bool known = !isnan(value);

        (void)json_object_object_add(t, "target", json_object_new_string(text));
        add_num(t, "value", value);
        (void)json_object_object_add(t, "unit", json_object_new_string(unit));
        (void)json_object_object_add(t, "met", known ? json_object_new_boolean(met) : NULL);
        (void)json_object_object_add(rp->summary, name, t);
        if (known && !met)
                rp->missed++;
        printf("  %-52s %12.2f %-6s %-26s %s\n", name, value, unit, text,
               !known ? "not measured"
               : met  ? "met"
                      : "MISSED");
}

static void row(const char *label, json_object *o)
{
        if (!o) {
                printf("  %-40s %12s %12s %12s\n", label, "-", "-", "-");
                return;
        }
        printf("  %-40s %12.1f %12.1f %12.1f\n", label, num(o, "median_ns") / 1e3,
               num(o, "p99_ns") / 1e3, num(o, "cpu_mean_ns") / 1e3);
}

static int cmd_report(int argc, char **argv)
{
        struct report rp = {.dir = argv[0]};
        json_object *out, *m, *mod, *c, *sshd;
        double v, base;
        char path[PATH_MAX];
        static const char *const sizes[] = {"10000", "100000", "1000000"};
        static const char *const classes[][2] = {
                {"nonstaff", "non-staff account"},
                {"small", "staff, 1 grant"},
                {"big", "staff, 10,000 grants, 1,000,000 logins"},
        };

        if (argc != 2) {
                fprintf(stderr, "usage: sgbench report RESULTS_DIR OUT.json\n");
                return 2;
        }
        out = json_object_new_object();
        rp.raw = json_object_new_object();
        rp.summary = json_object_new_object();
        (void)snprintf(path, sizeof(path), "%s/machine.json", rp.dir);
        m = json_object_from_file(path);
        (void)json_object_object_add(out, "machine", m);
        (void)json_object_object_add(out, "summary", rp.summary);
        (void)json_object_object_add(out, "raw", rp.raw);

        printf("\nsupportgrant benchmark (times in microseconds unless marked)\n");
        if (m)
                printf("machine: %s\n", json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN));

        if ((c = load(&rp, "fsync")))
                printf("disk: 4 KiB append + fdatasync next to the database: median %.0f us, p99 "
                       "%.0f us\n",
                       num(c, "median_ns") / 1e3, num(c, "p99_ns") / 1e3);
        if ((c = load(&rp, "commit")))
                printf("floor: one row committed to SQLite (WAL, synchronous=FULL) on that disk: "
                       "median %.0f us, p99 %.0f us\n",
                       num(c, "median_ns") / 1e3, num(c, "p99_ns") / 1e3);

        printf("\n1. account check: pam_acct_mgmt through a real stack, a new handle per call "
               "(made outside the time), after warm-up\n");
        printf("  %-40s %12s %12s %12s\n", "stack", "median", "p99", "CPU (mean)");
        row("libpam floor (pam_permit only)", load(&rp, "acct-floor"));
        for (size_t i = 0; i < ELEMENTSOF(classes); i++) {
                char name[64];

                printf("  %s\n", classes[i][1]);
                (void)snprintf(name, sizeof(name), "acct-%s-module", classes[i][0]);
                row("  pam_supportgrant", load(&rp, name));
                (void)snprintf(name, sizeof(name), "acct-%s-access", classes[i][0]);
                row("  pam_access (rule file)", load(&rp, name));
                (void)snprintf(name, sizeof(name), "acct-%s-exec", classes[i][0]);
                row("  pam_exec + sh + sqlite3", load(&rp, name));
        }

        printf("\n   where one account check's time goes (each part timed alone, median)\n");
        for (size_t i = 0; i < 2; i++) {
                static const char *const parts[][2] = {
                        {"config_load_ns", "read and parse supportgrant.conf"},
                        {"getpwnam_ns", "getpwnam"},
                        {"getgrnam_staff_group_ns", "getgrnam(staff_group)"},
                        {"getgrouplist_ns", "getgrouplist (glibc + nss modules)"},
                        {"identity_lookup_ns", "all NSS work of the module"},
                        {"store_open_close_ns", "sqlite open + schema + close"},
                        {"coverage_query_ns", "coverage query (10,000 grants)"},
                };
                json_object *o = load(&rp, i == 0 ? "parts-alice" : "parts-jdoe");

                if (!o)
                        continue;
                printf("  %s\n", i == 0 ? "non-staff (alice)" : "staff (jdoe)");
                for (size_t k = 0; k < ELEMENTSOF(parts); k++) {
                        if (i == 0 && k >= 5)
                                break; /* non-staff accounts never reach the database */
                        printf("    %-38s %12.1f\n", parts[k][1], num(o, parts[k][0]) / 1e3);
                }
        }

        printf("\n2. full staff login (acct with reason + open_session + close_session)\n");
        row("one after another, 1,000,000 login rows", load(&rp, "txn"));
        row("1 grant, with the audit trail (run 1)", load(&rp, "txn-trail-1"));
        row("1 grant, without the audit trail (run 1)", load(&rp, "txn-notrail-1"));
        row("1 grant, with the audit trail (run 2)", load(&rp, "txn-trail-2"));
        row("1 grant, without the audit trail (run 2)", load(&rp, "txn-notrail-2"));
        if ((c = load(&rp, "txn-trail-1")) && (mod = load(&rp, "txn-notrail-1"))) {
                v = (num(c, "median_ns") + num(load(&rp, "txn-trail-2"), "median_ns") -
                     num(mod, "median_ns") - num(load(&rp, "txn-notrail-2"), "median_ns")) /
                    2e3;
                printf("  the audit trail's cost per whole login: %+.1f us (median, mean of the "
                       "two runs)\n",
                       v);
                add_num(rp.summary, "audit_trail_cost_us", v);
        }
        if ((c = load(&rp, "audit")))
                printf("  the trail's own work per record (two per login: accepted, closed): "
                       "median "
                       "%.1f us, p99 %.1f us\n",
                       num(c, "median_ns") / 1e3, num(c, "p99_ns") / 1e3);
        if ((c = load(&rp, "trail-cpu"))) {
                double per = 1e6 / num(c, "hz") / num(c, "logins");

                printf("  the daemon's CPU per whole login: %.1f us with the trail, %.1f us "
                       "without (%.0f logins each)\n",
                       num(c, "ticks_trail") * per, num(c, "ticks_notrail") * per,
                       num(c, "logins"));
                add_num(rp.summary, "audit_trail_daemon_cpu_us",
                        (num(c, "ticks_trail") - num(c, "ticks_notrail")) * per);
        }
        if ((c = load(&rp, "fsyncs")))
                printf("  the daemon's fsyncs: %.0f over %.0f logins one after another, %.2f per "
                       "login\n",
                       num(c, "fsyncs"), num(c, "logins"), num(c, "per_login"));
        c = load(&rp, "concurrent");
        if (c)
                printf("  %.0f processes, %.1f s: %.0f logins, %.1f logins/s, %.0f errors, %.0f "
                       "login rows (%.0f closed, %.0f denied)%s%s\n",
                       num(c, "procs"), num(c, "seconds"), num(c, "transactions"), num(c, "tps"),
                       num(c, "errors"), num(c, "login_rows"), num(c, "closed_rows"),
                       num(c, "denied_rows"),
                       json_object_get_string(json_object_object_get(c, "first_error"))[0]
                               ? "; first error: "
                               : "",
                       json_object_get_string(json_object_object_get(c, "first_error")));

        printf("\n3. CLI round trip through supportgrantd (hyperfine)\n");
        printf("  %-40s %12.1f\n", "supportgrant grant jdoe",
               hyperfine_median_ns(load(&rp, "cli-grant")) / 1e3);
        printf("  %-40s %12.1f\n", "supportgrant logins --json --limit 256",
               hyperfine_median_ns(load(&rp, "cli-logins")) / 1e3);

        printf("\n4. sshd end to end: ssh ... true, alternating runs (milliseconds)\n");
        sshd = load(&rp, "sshd");
        if (sshd)
                printf("  with the module %.1f, without %.1f (medians of %.0f runs each)\n",
                       num(sshd, "with_median_ns") / 1e6, num(sshd, "without_median_ns") / 1e6,
                       num(sshd, "runs"));
        else
                printf("  not run\n");

        printf("\n5. growth: account check and whole login by login rows\n");
        printf("  %-40s %12s %12s %12s\n", "", "median", "p99", "CPU (mean)");
        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                char name[64], label[64];

                (void)snprintf(name, sizeof(name), "growth-acct-%s", sizes[i]);
                (void)snprintf(label, sizeof(label), "account check, %s rows", sizes[i]);
                row(label, load(&rp, name));
                (void)snprintf(name, sizeof(name), "growth-txn-%s", sizes[i]);
                (void)snprintf(label, sizeof(label), "whole login, %s rows", sizes[i]);
                row(label, load(&rp, name));
        }

        printf("\n6. the daemon at rest, 200 staff accounts with a process each (CPU use)\n");
        if ((c = load(&rp, "idle")))
                printf("  with the 1 s sweep of process uids %.2f %%, without any sweep %.2f %% "
                       "(%.0f s each, %.0f processes)\n",
                       100 * num(c, "cpu_s_sweep") / num(c, "seconds"),
                       100 * num(c, "cpu_s_no_sweep") / num(c, "seconds"), num(c, "seconds"),
                       num(c, "processes"));
        else
                printf("  not run\n");

        /* Each target is the module's (or the daemon's) own work against a floor measured in
         * this run: what the disk, libpam and NSS cost here is not ours to meet. */
        printf("\ntargets\n");
        {
                double floor_ns = num(load(&rp, "commit"), "median_ns");
                double lo = INFINITY, hi = 0;

                v = num(load(&rp, "txn"), "median_ns") / floor_ns;
                target(&rp, "whole staff login median / one commit", "<= 4x", v, "x", v <= 4);
                v = num(load(&rp, "fsyncs"), "per_login");
                target(&rp, "fsyncs per whole staff login (daemon)", "<= 2", v, "", v <= 2);
                c = load(&rp, "concurrent");
                if (c) {
                        v = 100 * num(c, "tps") * floor_ns / 1e9;
                        target(&rp, "64 concurrent logins: throughput, % of 1/commit", ">= 25 %", v,
                               "%", v >= 25);
                        target(&rp, "64 concurrent logins: errors", "0", num(c, "errors"), "",
                               num(c, "errors") == 0);
                        v = num(c, "transactions") - num(c, "closed_rows");
                        target(&rp, "64 concurrent logins: logins - closed rows", "0", v, "",
                               v == 0 && num(c, "login_rows") == num(c, "transactions"));
                }
                v = (num(load(&rp, "acct-nonstaff-module"), "median_ns") -
                     num(load(&rp, "acct-floor"), "median_ns") -
                     num(load(&rp, "parts-alice"), "getgrouplist_ns")) /
                    1e3;
                target(&rp, "non-staff: module's own work (- libpam - getgrouplist)", "<= 10 us", v,
                       "us", v <= 10);
                if (sshd) {
                        v = num(sshd, "with_median_ns") / num(sshd, "without_median_ns");
                        target(&rp, "sshd login with / without module (median)", "<= 1.10x", v, "x",
                               v <= 1.10);
                }
                mod = load(&rp, "acct-big-module");
                v = num(mod, "p99_ns") / 1e3;
                target(&rp, "staff check p99, 10k grants, 1M login rows", "< 1000 us", v, "us",
                       v < 1000);
                for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                        char name[64];

                        (void)snprintf(name, sizeof(name), "growth-acct-%s", sizes[i]);
                        v = num(load(&rp, name), "median_ns");
                        lo = v < lo ? v : lo;
                        hi = v > hi ? v : hi;
                }
                target(&rp, "staff check growth 10k..1M rows (max/min median)", "<= 1.20x", hi / lo,
                       "x", hi / lo <= 1.20);
                base = num(load(&rp, "acct-big-exec"), "median_ns") / num(mod, "median_ns");
                target(&rp, "staff check: pam_exec+sqlite3 / module (median)", ">= 50x", base, "x",
                       base >= 50);
        }
        add_num(rp.summary, "targets_missed", rp.missed);
        if (json_object_to_file_ext(argv[1], out, JSON_C_TO_STRING_PRETTY) < 0) {
                fprintf(stderr, "sgbench: cannot write %s\n", argv[1]);
                json_object_put(out);
                return 1;
        }
        printf("\n%d target(s) missed; written to %s\n", rp.missed, argv[1]);
        json_object_put(out);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc >= 2 && streq(argv[1], "populate"))
                return cmd_populate(argc - 2, argv + 2);
        if (argc >= 2 && streq(argv[1], "acct"))
                return cmd_acct(argc - 2, argv + 2);
        if (argc >= 2 && streq(argv[1], "audit"))
                return cmd_audit(argc - 2, argv + 2);
        if (argc >= 2 && streq(argv[1], "txn"))
                return cmd_txn(argc - 2, argv + 2);
        if (argc >= 2 && streq(argv[1], "concurrent"))
                return cmd_concurrent(argc - 2, argv + 2);
        if (argc >= 2 && streq(argv[1], "fsync"))
                return cmd_fsync(argc - 2, argv + 2);
        if (argc >= 2 && streq(argv[1], "commit"))
                return cmd_commit(argc - 2, argv + 2);
        if (argc >= 2 && streq(argv[1], "parts"))
                return cmd_parts(argc - 2, argv + 2);
        if (argc >= 2 && streq(argv[1], "report"))
                return cmd_report(argc - 2, argv + 2);
        fprintf(stderr, "usage: sgbench populate|acct|txn|concurrent|report ...\n");
        return 2;
}
