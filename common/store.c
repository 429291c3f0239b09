/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "audit.h"
#include "proc.h"
#include "store.h"
#include "timeutil.h"

/* A whole login writes about a dozen pages: a checkpoint (two fsyncs) every ~80 logins. */
#define SG_STORE_WAL_PAGES 1000

struct sg_store {
        sqlite3 *db;
        int flags;
        char path[PATH_MAX];
        dev_t dev; /* the file opened, to see it replaced (sg_store_verify()) */
        ino_t ino;
        unsigned savepoints; /* sg_store_begin() inside a transaction: nested savepoints */
        uint64_t busy_since; /* CLOCK_MONOTONIC ns when the current wait for a lock began */
        char errmsg[256];
};

/* Each step runs in its own transaction and moves user_version to its number. Never edit a
 * step that has shipped; add a new one. */
static int audit_genesis(sg_store *s);

static const struct {
        int version;
        const char *sql;
} migrations[] = {
        {1, "CREATE TABLE grants ("
            "  id INTEGER PRIMARY KEY,"
            "  kind TEXT NOT NULL CHECK (kind IN ('user', 'department')),"
            "  target TEXT NOT NULL,"
            "  export INTEGER NOT NULL CHECK (export IN (0, 1)),"
            "  period TEXT NOT NULL,"
            "  granted_at INTEGER NOT NULL,"
            "  expires_at INTEGER," /* NULL: permanent */
            "  granted_by TEXT NOT NULL,"
            "  via TEXT NOT NULL CHECK (via IN ('cli', 'code')),"
            "  note TEXT NOT NULL DEFAULT '',"
            "  revoked_at INTEGER,"
            "  revoked_by TEXT"
            ");"
            "CREATE TABLE logins ("
            "  id INTEGER PRIMARY KEY,"
            "  user TEXT NOT NULL,"
            "  time INTEGER NOT NULL,"
            "  outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'denied')),"
            "  reason TEXT,"
            "  service TEXT NOT NULL DEFAULT '',"
            "  rhost TEXT NOT NULL DEFAULT '',"
            "  tty TEXT NOT NULL DEFAULT '',"
            "  pid INTEGER NOT NULL DEFAULT 0,"
            "  pid_start INTEGER NOT NULL DEFAULT 0,"
            "  grant_ids TEXT NOT NULL DEFAULT ''," /* "3,7" */
            "  ended_at INTEGER,"
            "  end_kind TEXT CHECK (end_kind IN ('closed', 'terminated')),"
            "  detail TEXT NOT NULL DEFAULT ''"
            ");"
            "CREATE TABLE rights ("
            "  user TEXT PRIMARY KEY,"
            "  allowed INTEGER NOT NULL CHECK (allowed IN (0, 1)),"
            "  changed_at INTEGER NOT NULL,"
            "  changed_by TEXT NOT NULL"
            ") WITHOUT ROWID;"
            "CREATE TABLE used_codes ("
            "  code_id TEXT PRIMARY KEY,"
            "  created INTEGER NOT NULL,"
            "  used_at INTEGER NOT NULL,"
            "  used_by TEXT NOT NULL,"
            "  grant_id INTEGER"
            ") WITHOUT ROWID;"
            "CREATE TABLE login_tokens ("
            "  token TEXT PRIMARY KEY,"
            "  user TEXT NOT NULL,"
            "  reason TEXT NOT NULL,"
            "  created INTEGER NOT NULL"
            ") WITHOUT ROWID;"},
        /* The indexes that keep the login path flat however long the history grows. */
        {2, "CREATE INDEX grants_by_target ON grants (kind, target, expires_at);"
            "CREATE INDEX grants_by_expiry ON grants (expires_at);"
            "CREATE INDEX grants_by_time ON grants (granted_at);"
            "CREATE INDEX logins_by_time ON logins (time, id);"
            "CREATE INDEX logins_by_user ON logins (user, time, id);"
            "CREATE INDEX logins_open ON logins (id) "
            "  WHERE outcome = 'accepted' AND ended_at IS NULL;"},
        /* What "staff unknown" needs (SPEC §2): every account the host has known as staff, kept
         * past the retention by triggers in the writes that show it (a staff login row, a
         * grant for a user), and the gid the staff group had when it last resolved. */
        {3, "CREATE TABLE known_staff ("
            "  user TEXT PRIMARY KEY,"
            "  since INTEGER NOT NULL"
            ") WITHOUT ROWID;"
            "INSERT OR IGNORE INTO known_staff SELECT user, min(time) FROM logins GROUP BY user;"
            "INSERT OR IGNORE INTO known_staff SELECT target, min(granted_at) FROM grants"
            "  WHERE kind = 'user' GROUP BY target;"
            "CREATE TRIGGER known_staff_by_login AFTER INSERT ON logins BEGIN"
            "  INSERT OR IGNORE INTO known_staff VALUES (NEW.user, NEW.time);"
            "END;"
            "CREATE TRIGGER known_staff_by_grant AFTER INSERT ON grants WHEN NEW.kind = 'user'"
            "  BEGIN INSERT OR IGNORE INTO known_staff VALUES (NEW.target, NEW.granted_at);"
            "END;"
            "CREATE TABLE staff_groups ("
            "  name TEXT PRIMARY KEY,"
            "  gid INTEGER NOT NULL,"
            "  seen_at INTEGER NOT NULL"
            ") WITHOUT ROWID;"},
        /* Repeated denials of one account and origin within a minute are one row. */
        {4, "ALTER TABLE logins ADD COLUMN count INTEGER NOT NULL DEFAULT 1;"
            "CREATE INDEX logins_by_origin ON logins (user, rhost, service, id);"},
        /* The reason between a login's phases lives in the daemon's memory now (it needs no
         * disk); reasons an earlier version left waiting are asked again. */
        {5, "DROP TABLE login_tokens;"},
        /* The audit trail (SPEC §11): a hash chain of every change and login attempt, the heads
         * the daemon has journaled, and the trail's name in those entries. It starts with a
         * record of what was there before it. */
        {6, "CREATE TABLE audit ("
            "  seq INTEGER PRIMARY KEY,"
            "  record TEXT NOT NULL," /* canonical JSON, seq included */
            "  prev TEXT NOT NULL,"
            "  hash TEXT NOT NULL"
            ");"
            "CREATE TABLE audit_checkpoints ("
            "  seq INTEGER PRIMARY KEY,"
            "  hash TEXT NOT NULL,"
            "  time INTEGER NOT NULL"
            ");"
            "CREATE TABLE audit_trail ("
            "  id TEXT NOT NULL"
            ");"},
};

/* What a step needs beyond SQL, run in its transaction after its SQL. */
static const struct {
        int version;
        int (*run)(sg_store *s);
} migration_code[] = {
        {6, audit_genesis},
};

_Static_assert(ELEMENTSOF(migrations) == SG_STORE_SCHEMA_VERSION,
               "SG_STORE_SCHEMA_VERSION must be the number of the last schema step");

static int errno_from_sqlite(sqlite3 *db, int rc)
{
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_DONE:
        case SQLITE_ROW:
                return 0;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
        case SQLITE_SCHEMA:
        case SQLITE_FORMAT:
                return -EBADMSG;
        case SQLITE_READONLY:
                return -EROFS;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_PERM:
        case SQLITE_AUTH:
                return -EACCES;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_CONSTRAINT:
                return -EEXIST;
        case SQLITE_TOOBIG:
                return -E2BIG;
        case SQLITE_CANTOPEN:
        case SQLITE_IOERR: {
                int e = db ? sqlite3_system_errno(db) : 0;
                return e > 0 ? -e : -EIO;
        }
        default:
                return -EIO;
        }
}

static uint64_t monotonic_ns(void)
{
        struct timespec ts;

        (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* Waits for a lock held by another connection. SQLite's own handler sleeps 1, 2, 5, ... up to
 * 100 ms between tries, so among many waiters the ones that slept longest keep losing to the
 * ones that just arrived: with 64 logins at once some waited past the timeout and failed
 * ("database is locked") while others went through. Short sleeps with jitter (a commit holds
 * the lock for about one fsync) give every waiter its turn within the same timeout. */
static int busy_wait(void *userdata, int count)
{
        sg_store *s = userdata;
        uint64_t now = monotonic_ns();
        struct timespec pause = {};

        if (count == 0)
                s->busy_since = now;
        else if (now - s->busy_since >= (uint64_t)SG_STORE_BUSY_TIMEOUT_MS * 1000000)
                return 0;
        /* 1 to 5 ms, from the clock's low bits: no state, no two waiters in step. */
        pause.tv_nsec = 1000000 + (long)((now / 1000) % 4000) * 1000;
        (void)nanosleep(&pause, NULL);
        return 1;
}

/* Records SQLite's message and returns the matching errno. */
/* SQLite's message, and for an I/O error the system's reason behind it. (Not for a failed
 * open: the last errno there is often that of a probe, e.g. ENOENT for a missing -shm.) */
static int store_fail(sg_store *s, int rc)
{
        int e = s->db ? sqlite3_system_errno(s->db) : 0;

        if ((rc & 0xff) == SQLITE_IOERR && e > 0)
                (void)snprintf(s->errmsg, sizeof(s->errmsg), "%s (%s)",
                               s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc), strerror(e));
        else
                (void)snprintf(s->errmsg, sizeof(s->errmsg), "%s",
                               s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        return errno_from_sqlite(s->db, rc);
}

const char *sg_store_errmsg(sg_store *s)
{
        return s && s->errmsg[0] ? s->errmsg : "no error";
}

static void sqlite3_finalizep(sqlite3_stmt **st)
{
        if (*st)
                (void)sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(sqlite3_finalizep)

static int prepare(sg_store *s, const char *sql, sqlite3_stmt **ret)
{
        int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);
        return rc == SQLITE_OK ? 0 : store_fail(s, rc);
}

static int exec(sg_store *s, const char *sql)
{
        int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : store_fail(s, rc);
}

/* Steps a statement that returns no rows. */
static int step_done(sg_store *s, sqlite3_stmt *st)
{
        int rc = sqlite3_step(st);
        return rc == SQLITE_DONE ? 0 : store_fail(s, rc == SQLITE_ROW ? SQLITE_MISUSE : rc);
}

/* Copies a text column into a fixed buffer; data longer than what we ever write means the file
 * was not written by us. */
static int column_copy(sg_store *s, sqlite3_stmt *st, int col, char *buf, size_t size)
{
        const unsigned char *t = sqlite3_column_text(st, col);
        int n = sqlite3_column_bytes(st, col);

        if (!t) {
                buf[0] = 0;
                return 0;
        }
        if (n < 0 || (size_t)n >= size) {
                (void)snprintf(s->errmsg, sizeof(s->errmsg), "oversized value in column %d", col);
                return -EBADMSG;
        }
        memcpy(buf, t, (size_t)n + 1);
        return 0;
}

static int bind_text(sqlite3_stmt *st, int i, const char *t)
{
        return sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC);
}

/* Inside a transaction (the daemon's batch, sg_store_batch_begin()) a unit of work is a
 * savepoint: it commits with the batch, and rolls back alone. */
int sg_store_begin(sg_store *s)
{
        int r;

        if (sqlite3_get_autocommit(s->db))
                return exec(s, "BEGIN IMMEDIATE");
        r = exec(s, "SAVEPOINT sg_unit");
        if (r >= 0)
                s->savepoints++;
        return r;
}

int sg_store_commit(sg_store *s)
{
        int r;

        if (s->savepoints == 0)
                return exec(s, "COMMIT");
        r = exec(s, "RELEASE sg_unit");
        if (r >= 0)
                s->savepoints--;
        return r;
}

/* IMMEDIATE: the write lock is taken here, where the busy handler waits for another writer
 * (a deferred transaction that finds the lock taken when it first writes fails at once). */
int sg_store_batch_begin(sg_store *s)
{
        return exec(s, "BEGIN IMMEDIATE");
}

int sg_store_batch_commit(sg_store *s)
{
        int r;

        if (s->savepoints > 0 || sqlite3_get_autocommit(s->db)) {
                (void)snprintf(s->errmsg, sizeof(s->errmsg), "%s",
                               s->savepoints > 0 ? "a unit of work was left open"
                                                 : "the transaction was rolled back");
                r = -EIO;
        } else
                r = exec(s, "COMMIT");
        if (r < 0) {
                s->savepoints = 0;
                if (!sqlite3_get_autocommit(s->db))
                        (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        }
        return r;
}

void sg_store_batch_abort(sg_store *s)
{
        s->savepoints = 0;
        if (!sqlite3_get_autocommit(s->db))
                (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

bool sg_store_in_transaction(sg_store *s)
{
        return !sqlite3_get_autocommit(s->db);
}

void sg_store_rollback(sg_store *s)
{
        if (sqlite3_get_autocommit(s->db)) {
                s->savepoints = 0; /* SQLite rolled it all back itself (a full disk, ...) */
                return;
        }
        if (s->savepoints > 0) {
                (void)sqlite3_exec(s->db, "ROLLBACK TO sg_unit; RELEASE sg_unit", NULL, NULL, NULL);
                s->savepoints--;
                return;
        }
        (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int sg_store_schema_version(sg_store *s, int *ret)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare(s, "PRAGMA user_version", &st);
        if (r < 0)
                return r;
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
                return store_fail(s, rc);
        *ret = sqlite3_column_int(st, 0);
        return 0;
}

static int migrate(sg_store *s, int from, int to)
{
        for (size_t i = 0; i < ELEMENTSOF(migrations); i++) {
                char pragma[64];
                int r;

                if (migrations[i].version <= from || migrations[i].version > to)
                        continue;
                r = sg_store_begin(s);
                if (r < 0)
                        return r;
                r = exec(s, migrations[i].sql);
                for (size_t j = 0; r >= 0 && j < ELEMENTSOF(migration_code); j++)
                        if (migration_code[j].version == migrations[i].version)
                                r = migration_code[j].run(s);
                if (r >= 0) {
                        (void)snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
                                       migrations[i].version);
                        r = exec(s, pragma);
                }
                if (r >= 0)
                        r = sg_store_commit(s);
                if (r < 0) {
                        sg_store_rollback(s);
                        return r;
                }
        }
        return 0;
}

/* One file or directory of the database: of type type (S_IFREG, S_IFDIR), owned by us, and
 * without any of the mode bits in forbidden. */
static int check_path(sg_store *s, const char *path, mode_t type, mode_t forbidden, bool optional)
{
        struct stat st;

        if (lstat(path, &st) < 0) {
                int e = errno;

                if (optional && e == ENOENT)
                        return 0;
                (void)snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", path, strerror(e));
                return -e;
        }
        if ((st.st_mode & S_IFMT) != type) {
                (void)snprintf(s->errmsg, sizeof(s->errmsg), "%s: not a %s", path,
                               type == S_IFDIR ? "directory" : "regular file");
                return -EBADF;
        }
        if (st.st_uid != geteuid() || (st.st_mode & forbidden)) {
                (void)snprintf(s->errmsg, sizeof(s->errmsg),
                               "%s: must be owned by uid %u and not %s (is uid %u, mode %04o)",
                               path, (unsigned)geteuid(),
                               (forbidden & 0004)
                                       ? "writable by group or others, nor readable by others"
                                       : "writable by group or others",
                               (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
                return -EPERM;
        }
        return 0;
}

/* The file now at the database's path, by device and inode. */
static int file_identity(sg_store *s, dev_t *ret_dev, ino_t *ret_ino)
{
        struct stat st;

        if (stat(s->path, &st) < 0) {
                int e = errno;

                (void)snprintf(s->errmsg, sizeof(s->errmsg), "%.180s: %s", s->path, strerror(e));
                return -e;
        }
        *ret_dev = st.st_dev;
        *ret_ino = st.st_ino;
        return 0;
}

/* A database that decides who may log in must not be writable by anyone but its owner: the
 * file, the directory it is in (which could swap it), and its WAL and shared-memory index,
 * which hold committed rows too (and so must not be readable by others either). */
static int check_file(sg_store *s, const char *path)
{
        char other[PATH_MAX + 8], *slash;
        int r;

        r = check_path(s, path, S_IFREG, 0022, false);
        if (r < 0)
                return r;
        (void)snprintf(other, sizeof(other), "%s", path);
        slash = strrchr(other, '/');
        if (slash) {
                if (slash == other)
                        slash[1] = 0;
                else
                        *slash = 0;
                r = check_path(s, other, S_IFDIR, 0022, false);
                if (r < 0)
                        return r;
        }
        (void)snprintf(other, sizeof(other), "%s-wal", path);
        r = check_path(s, other, S_IFREG, 0026, true);
        if (r < 0)
                return r;
        (void)snprintf(other, sizeof(other), "%s-shm", path);
        return check_path(s, other, S_IFREG, 0026, true);
}

int sg_store_open_version(const char *path, int flags, int target, sg_store **ret,
                          struct sg_error *err)
{
        sg_store *s;
        struct statvfs sv;
        int version = 0, r, rc, oflags;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->flags = flags;

        if (flags & SG_STORE_CREATE) {
                /* Create it ourselves so that it is 0600 from its first byte. Only when it is
                 * not there: close() on any descriptor of the file drops every POSIX lock this
                 * process holds on it, including those of its other open SQLite connections
                 * (the daemon opens a second one while a method's is open). Another process
                 * then takes itself for the last user of the WAL, checkpoints and deletes it,
                 * and committed transactions are lost (seen: a revocation undone). */
                int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
                              0600);
                if (fd < 0 && errno != EEXIST) {
                        r = -errno;
                        (void)snprintf(s->errmsg, sizeof(s->errmsg), "%s", strerror(-r));
                        goto fail;
                }
                if (fd >= 0)
                        (void)close(fd);
        }
        r = check_file(s, path);
        if (r < 0)
                goto fail;
        if (strcpy_checked(s->path, sizeof(s->path), path) < 0) {
                (void)snprintf(s->errmsg, sizeof(s->errmsg), "path too long");
                r = -ENAMETOOLONG;
                goto fail;
        }

        oflags = SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX |
                 ((flags & SG_STORE_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
        rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
        if (rc != SQLITE_OK) {
                r = store_fail(s, rc);
                goto fail;
        }
        (void)sqlite3_extended_result_codes(s->db, 1);
        (void)sqlite3_busy_handler(s->db, busy_wait, s);
        /* The daemon keeps its one connection open: commits checkpoint every
         * SG_STORE_WAL_PAGES pages, and closing it at the daemon's stop folds the WAL into the
         * database. */
        (void)sqlite3_wal_autocheckpoint(s->db, SG_STORE_WAL_PAGES);

        r = exec(s, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; "
                    "PRAGMA trusted_schema = OFF");
        if (r < 0)
                goto fail;
        if (!(flags & SG_STORE_READONLY)) {
                r = exec(s, "PRAGMA journal_mode = WAL");
                if (r < 0)
                        goto fail;
        }
        r = sg_store_schema_version(s, &version);
        if (r < 0)
                goto fail;
        if (version > SG_STORE_SCHEMA_VERSION) {
                (void)snprintf(s->errmsg, sizeof(s->errmsg),
                               "database schema version %d is newer than this supportgrant "
                               "(%d); refusing to touch it",
                               version, SG_STORE_SCHEMA_VERSION);
                r = -EPROTONOSUPPORT;
                goto fail;
        }
        if (version == 0 && !(flags & SG_STORE_CREATE)) {
                (void)snprintf(s->errmsg, sizeof(s->errmsg),
                               "not an initialized supportgrant database");
                r = -EBADMSG;
                goto fail;
        }
        if (version < target) {
                if (flags & SG_STORE_READONLY) {
                        (void)snprintf(s->errmsg, sizeof(s->errmsg),
                                       "database schema version %d needs an upgrade", version);
                        r = -EROFS;
                        goto fail;
                }
                r = migrate(s, version, target);
                if (r < 0) {
                        /* "table grants already exists": some other program's database. */
                        if (r == -EIO && version == 0)
                                r = -EBADMSG;
                        goto fail;
                }
        }
        r = file_identity(s, &s->dev, &s->ino);
        if (r < 0)
                goto fail;
        *ret = s;
        return 0;
fail:
        /* "unable to open database file" does not say why: a file system remounted read-only
         * after an I/O error is the common reason, and worth naming. */
        if (!(flags & SG_STORE_READONLY) && statvfs(path, &sv) >= 0 && (sv.f_flag & ST_RDONLY))
                (void)sg_error_set(err, r, "%s: %s (its file system is read-only)", path,
                                   s->errmsg);
        else
                (void)sg_error_set(err, r, "%s: %s", path, s->errmsg);
        sg_store_close(s);
        return r;
}

int sg_store_verify(sg_store *s)
{
        dev_t dev;
        ino_t ino;
        int r;

        r = check_file(s, s->path);
        if (r < 0)
                return r;
        r = file_identity(s, &dev, &ino);
        if (r < 0)
                return r;
        if (dev != s->dev || ino != s->ino) {
                (void)snprintf(s->errmsg, sizeof(s->errmsg), "%.180s: replaced since it was opened",
                               s->path);
                return -ESTALE;
        }
        return 0;
}

int sg_store_open(const char *path, int flags, sg_store **ret, struct sg_error *err)
{
        return sg_store_open_version(path, flags, SG_STORE_SCHEMA_VERSION, ret, err);
}

void sg_store_close(sg_store *s)
{
        if (!s)
                return;
        (void)sqlite3_close_v2(s->db);
        free(s);
}

/* ---- grants ----------------------------------------------------------------------------- */

#define GRANT_COLUMNS                                                                       \
        "id, kind, target, export, period, granted_at, expires_at, granted_by, via, note, " \
        "revoked_at, revoked_by"

static int grant_from_row(sg_store *s, sqlite3_stmt *st, struct sg_grant *g)
{
        char kind[16], period[16], via[8];
        int r = 0;

        memset(g, 0, sizeof(*g));
        g->id = sqlite3_column_int64(st, 0);
        RET_GATHER(r, column_copy(s, st, 1, kind, sizeof(kind)));
        RET_GATHER(r, column_copy(s, st, 2, g->target, sizeof(g->target)));
        g->export = sqlite3_column_int(st, 3) != 0;
        RET_GATHER(r, column_copy(s, st, 4, period, sizeof(period)));
        g->granted_at = (time_t)sqlite3_column_int64(st, 5);
        g->expires_at = sqlite3_column_type(st, 6) == SQLITE_NULL
                                ? SG_TIME_NEVER
                                : (time_t)sqlite3_column_int64(st, 6);
        RET_GATHER(r, column_copy(s, st, 7, g->granted_by, sizeof(g->granted_by)));
        RET_GATHER(r, column_copy(s, st, 8, via, sizeof(via)));
        RET_GATHER(r, column_copy(s, st, 9, g->note, sizeof(g->note)));
        g->revoked_at = sqlite3_column_type(st, 10) == SQLITE_NULL
                                ? 0
                                : (time_t)sqlite3_column_int64(st, 10);
        RET_GATHER(r, column_copy(s, st, 11, g->revoked_by, sizeof(g->revoked_by)));
        if (r < 0)
                return r;
        g->kind = streq(kind, "department") ? SG_GRANT_DEPARTMENT : SG_GRANT_USER;
        g->via = streq(via, "code") ? SG_VIA_CODE : SG_VIA_CLI;
        if (sg_period_from_string(period, &g->period) < 0) {
                (void)snprintf(s->errmsg, sizeof(s->errmsg), "grant %" PRId64 ": bad period",
                               g->id);
                return -EBADMSG;
        }
        return 0;
}

/* Runs a grant query whose parameters are already bound and calls cb for each row. */
static int grants_run(sg_store *s, sqlite3_stmt *st, sg_grant_cb cb, void *userdata)
{
        for (;;) {
                struct sg_grant g;
                int rc, r;

                rc = sqlite3_step(st);
                if (rc == SQLITE_DONE)
                        return 0;
                if (rc != SQLITE_ROW)
                        return store_fail(s, rc);
                r = grant_from_row(s, st, &g);
                if (r < 0)
                        return r;
                r = cb(&g, userdata);
                if (r < 0)
                        return r;
        }
}

int sg_store_grant_add(sg_store *s, struct sg_grant *g)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = prepare(s,
                    "INSERT INTO grants (kind, target, export, period, granted_at, expires_at, "
                    "granted_by, via, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    &st);
        if (r < 0)
                return r;
        bind_text(st, 1, sg_grant_kind_to_string(g->kind));
        bind_text(st, 2, g->target);
        sqlite3_bind_int(st, 3, g->export);
        bind_text(st, 4, sg_period_to_string(g->period));
        sqlite3_bind_int64(st, 5, g->granted_at);
        if (g->expires_at == SG_TIME_NEVER)
                sqlite3_bind_null(st, 6);
        else
                sqlite3_bind_int64(st, 6, g->expires_at);
        bind_text(st, 7, g->granted_by);
        bind_text(st, 8, sg_via_to_string(g->via));
        bind_text(st, 9, g->note);
        r = step_done(s, st);
        if (r < 0)
                return r;
        g->id = sqlite3_last_insert_rowid(s->db);
        g->revoked_at = 0;
        g->revoked_by[0] = 0;
        return 0;
}

int sg_store_grant_get(sg_store *s, int64_t id, struct sg_grant *ret)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare(s, "SELECT " GRANT_COLUMNS " FROM grants WHERE id = ?", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return store_fail(s, rc);
        return grant_from_row(s, st, ret);
}

int sg_store_grant_revoke(sg_store *s, int64_t id, time_t when, const char *by)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        struct sg_grant g;
        int r;

        r = prepare(s,
                    "UPDATE grants SET revoked_at = ?, revoked_by = ? WHERE id = ? AND "
                    "revoked_at IS NULL",
                    &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, when);
        bind_text(st, 2, by);
        sqlite3_bind_int64(st, 3, id);
        r = step_done(s, st);
        if (r < 0)
                return r;
        if (sqlite3_changes(s->db) > 0)
                return 0;
        r = sg_store_grant_get(s, id, &g);
        return r < 0 ? r : -EALREADY;
}

int sg_store_grants_active(sg_store *s, time_t now, sg_grant_cb cb, void *userdata)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = prepare(s,
                    "SELECT " GRANT_COLUMNS " FROM grants WHERE revoked_at IS NULL AND "
                    "(expires_at IS NULL OR expires_at > ?) ORDER BY granted_at DESC, id DESC",
                    &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, now);
        return grants_run(s, st, cb, userdata);
}

int sg_store_grants_between(sg_store *s, time_t since, time_t until, sg_grant_cb cb, void *userdata)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = prepare(s,
                    "SELECT " GRANT_COLUMNS " FROM grants WHERE granted_at >= ? AND "
                    "granted_at < ? ORDER BY granted_at DESC, id DESC",
                    &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, since);
        sqlite3_bind_int64(st, 2, until);
        return grants_run(s, st, cb, userdata);
}

int sg_store_grants_active_for(sg_store *s, enum sg_grant_kind kind, const char *target, time_t now,
                               sg_grant_cb cb, void *userdata)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = prepare(s,
                    "SELECT " GRANT_COLUMNS " FROM grants WHERE kind = ?1 AND target = ?2 AND "
                    "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?3) "
                    "ORDER BY granted_at DESC, id DESC",
                    &st);
        if (r < 0)
                return r;
        bind_text(st, 1, sg_grant_kind_to_string(kind));
        bind_text(st, 2, target);
        sqlite3_bind_int64(st, 3, now);
        return grants_run(s, st, cb, userdata);
}

int sg_store_next_expiry(sg_store *s, time_t now, time_t *ret)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare(s,
                    "SELECT min(expires_at) FROM grants WHERE expires_at > ? AND "
                    "revoked_at IS NULL",
                    &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, now);
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
                return store_fail(s, rc);
        *ret = sqlite3_column_type(st, 0) == SQLITE_NULL ? SG_TIME_NEVER
                                                         : (time_t)sqlite3_column_int64(st, 0);
        return 0;
}

/* Two index range scans (timed and permanent grants) instead of an OR that SQLite might answer
 * with a scan over every grant the target ever had. */
static int coverage_add(sg_store *s, sqlite3_stmt *st, const char *kind, const char *target,
                        time_t now, struct sg_coverage *c)
{
        int rc;

        sqlite3_reset(st);
        bind_text(st, 1, kind);
        bind_text(st, 2, target);
        sqlite3_bind_int64(st, 3, now);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                time_t exp = sqlite3_column_type(st, 2) == SQLITE_NULL
                                     ? SG_TIME_NEVER
                                     : (time_t)sqlite3_column_int64(st, 2);

                if (c->n_grant_ids < SG_MAX_COVER)
                        c->grant_ids[c->n_grant_ids++] = sqlite3_column_int64(st, 0);
                if (sqlite3_column_int(st, 1)) {
                        c->export = true;
                        if (exp > c->export_until)
                                c->export_until = exp;
                }
                if (exp > c->expires_at)
                        c->expires_at = exp;
        }
        return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

int sg_store_coverage(sg_store *s, const char *user, const char *const *departments,
                      size_t n_departments, time_t now, struct sg_coverage *ret)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        struct sg_coverage c = {};
        int r;

        r = prepare(s,
                    "SELECT id, export, expires_at FROM grants WHERE kind = ?1 AND target = ?2 "
                    "AND expires_at > ?3 AND revoked_at IS NULL "
                    "UNION ALL "
                    "SELECT id, export, expires_at FROM grants WHERE kind = ?1 AND target = ?2 "
                    "AND expires_at IS NULL AND revoked_at IS NULL",
                    &st);
        if (r < 0)
                return r;
        r = coverage_add(s, st, "user", user, now, &c);
        for (size_t i = 0; r >= 0 && i < n_departments; i++)
                r = coverage_add(s, st, "department", departments[i], now, &c);
        if (r < 0)
                return r;
        /* Ascending ids read better in the overview ("1,2,3", not "1,3,2"). */
        for (size_t i = 1; i < c.n_grant_ids; i++)
                for (size_t j = i; j > 0 && c.grant_ids[j - 1] > c.grant_ids[j]; j--) {
                        int64_t t = c.grant_ids[j];

                        c.grant_ids[j] = c.grant_ids[j - 1];
                        c.grant_ids[j - 1] = t;
                }
        *ret = c;
        return c.n_grant_ids > 0;
}

/* ---- logins ----------------------------------------------------------------------------- */

#define LOGIN_COLUMNS                                                                       \
        "id, user, time, outcome, reason, service, rhost, tty, pid, pid_start, grant_ids, " \
        "ended_at, end_kind, detail, count"

static int grant_ids_parse(const char *text, struct sg_login *l)
{
        const char *p = text;

        l->n_grant_ids = 0;
        while (*p) {
                char *end;
                long long v;

                errno = 0;
                v = strtoll(p, &end, 10);
                if (errno != 0 || end == p || v <= 0 || (*end != ',' && *end != 0))
                        return -EBADMSG;
                if (l->n_grant_ids >= SG_MAX_COVER)
                        return -EBADMSG;
                l->grant_ids[l->n_grant_ids++] = v;
                p = *end ? end + 1 : end;
        }
        return 0;
}

static int grant_ids_format(const struct sg_login *l, char *buf, size_t size)
{
        size_t off = 0;

        buf[0] = 0;
        for (size_t i = 0; i < l->n_grant_ids && i < SG_MAX_COVER; i++) {
                int n = snprintf(buf + off, size - off, "%s%" PRId64, i ? "," : "",
                                 l->grant_ids[i]);
                if (n < 0 || (size_t)n >= size - off)
                        return -ENOBUFS;
                off += (size_t)n;
        }
        return 0;
}

static int login_from_row(sg_store *s, sqlite3_stmt *st, struct sg_login *l)
{
        char outcome[16], end[16], ids[SG_MAX_COVER * 21];
        int r = 0;

        memset(l, 0, sizeof(*l));
        l->id = sqlite3_column_int64(st, 0);
        RET_GATHER(r, column_copy(s, st, 1, l->user, sizeof(l->user)));
        l->time = (time_t)sqlite3_column_int64(st, 2);
        RET_GATHER(r, column_copy(s, st, 3, outcome, sizeof(outcome)));
        RET_GATHER(r, column_copy(s, st, 4, l->reason, sizeof(l->reason)));
        RET_GATHER(r, column_copy(s, st, 5, l->service, sizeof(l->service)));
        RET_GATHER(r, column_copy(s, st, 6, l->rhost, sizeof(l->rhost)));
        RET_GATHER(r, column_copy(s, st, 7, l->tty, sizeof(l->tty)));
        l->pid = (pid_t)sqlite3_column_int64(st, 8);
        l->pid_start = (uint64_t)sqlite3_column_int64(st, 9);
        RET_GATHER(r, column_copy(s, st, 10, ids, sizeof(ids)));
        l->ended_at = sqlite3_column_type(st, 11) == SQLITE_NULL
                              ? 0
                              : (time_t)sqlite3_column_int64(st, 11);
        RET_GATHER(r, column_copy(s, st, 12, end, sizeof(end)));
        RET_GATHER(r, column_copy(s, st, 13, l->detail, sizeof(l->detail)));
        l->count = (unsigned)sqlite3_column_int64(st, 14);
        if (r < 0)
                return r;
        l->outcome = streq(outcome, "denied") ? SG_LOGIN_DENIED : SG_LOGIN_ACCEPTED;
        l->end = streq(end, "terminated") ? SG_END_TERMINATED
                 : streq(end, "closed")   ? SG_END_CLOSED
                                          : SG_END_NONE;
        if (grant_ids_parse(ids, l) < 0) {
                (void)snprintf(s->errmsg, sizeof(s->errmsg), "login %" PRId64 ": bad grant_ids",
                               l->id);
                return -EBADMSG;
        }
        return 0;
}

static int logins_run(sg_store *s, sqlite3_stmt *st, sg_login_cb cb, void *userdata)
{
        for (;;) {
                struct sg_login l;
                int rc, r;

                rc = sqlite3_step(st);
                if (rc == SQLITE_DONE)
                        return 0;
                if (rc != SQLITE_ROW)
                        return store_fail(s, rc);
                r = login_from_row(s, st, &l);
                if (r < 0)
                        return r;
                r = cb(&l, userdata);
                if (r < 0)
                        return r;
        }
}

int sg_store_login_add(sg_store *s, struct sg_login *l)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        char ids[SG_MAX_COVER * 21];
        int r;

        r = grant_ids_format(l, ids, sizeof(ids));
        if (r < 0)
                return r;
        r = prepare(s,
                    "INSERT INTO logins (user, time, outcome, reason, service, rhost, tty, pid, "
                    "pid_start, grant_ids, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    &st);
        if (r < 0)
                return r;
        bind_text(st, 1, l->user);
        sqlite3_bind_int64(st, 2, l->time);
        bind_text(st, 3, sg_login_outcome_to_string(l->outcome));
        if (l->reason[0])
                bind_text(st, 4, l->reason);
        else
                sqlite3_bind_null(st, 4);
        bind_text(st, 5, l->service);
        bind_text(st, 6, l->rhost);
        bind_text(st, 7, l->tty);
        sqlite3_bind_int64(st, 8, l->pid);
        sqlite3_bind_int64(st, 9, (sqlite3_int64)l->pid_start);
        bind_text(st, 10, ids);
        bind_text(st, 11, l->detail);
        r = step_done(s, st);
        if (r < 0)
                return r;
        l->id = sqlite3_last_insert_rowid(s->db);
        return 0;
}

int sg_store_login_deny(sg_store *s, struct sg_login *l, time_t window)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r, rc;

        r = sg_store_begin(s);
        if (r < 0)
                return r;
        r = prepare(s,
                    "SELECT id, outcome = 'denied' AND time > ? FROM logins WHERE user = ? AND "
                    "rhost = ? AND service = ? ORDER BY id DESC LIMIT 1",
                    &st);
        if (r >= 0) {
                sqlite3_bind_int64(st, 1, l->time - window);
                bind_text(st, 2, l->user);
                bind_text(st, 3, l->rhost);
                bind_text(st, 4, l->service);
                rc = sqlite3_step(st);
                /* Only a run of denials with nothing between them is merged: a login that got
                 * in starts a new row, so that the overview keeps the order of events. */
                if (rc == SQLITE_ROW && sqlite3_column_int(st, 1) == 0)
                        rc = SQLITE_DONE;
                if (rc == SQLITE_ROW) {
                        int64_t id = sqlite3_column_int64(st, 0);

                        sqlite3_finalize(st);
                        st = NULL;
                        r = prepare(s,
                                    "UPDATE logins SET count = count + 1, detail = ? "
                                    "WHERE id = ?",
                                    &st);
                        if (r >= 0) {
                                bind_text(st, 1, l->detail);
                                sqlite3_bind_int64(st, 2, id);
                                r = step_done(s, st);
                        }
                        if (r >= 0) {
                                l->id = id;
                                r = 1;
                        }
                } else if (rc == SQLITE_DONE)
                        r = sg_store_login_add(s, l);
                else
                        r = store_fail(s, rc);
        }
        if (r >= 0) {
                int c = sg_store_commit(s);

                if (c < 0)
                        r = c;
        }
        if (r < 0)
                sg_store_rollback(s);
        return r;
}

int sg_store_login_get(sg_store *s, int64_t id, struct sg_login *ret)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare(s, "SELECT " LOGIN_COLUMNS " FROM logins WHERE id = ?", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return store_fail(s, rc);
        return login_from_row(s, st, ret);
}

int sg_store_login_end(sg_store *s, int64_t id, time_t when, enum sg_login_end end)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        if (end == SG_END_NONE)
                return -EINVAL;
        r = prepare(s,
                    "UPDATE logins SET ended_at = ?, end_kind = ? WHERE id = ? AND "
                    "outcome = 'accepted' AND ended_at IS NULL",
                    &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, when);
        bind_text(st, 2, sg_login_end_to_string(end));
        sqlite3_bind_int64(st, 3, id);
        r = step_done(s, st);
        if (r < 0)
                return r;
        if (sqlite3_changes(s->db) == 0) {
                struct sg_login l;

                r = sg_store_login_get(s, id, &l);
                return r < 0 ? r : -EALREADY;
        }
        return 0;
}

int sg_store_logins_page(sg_store *s, time_t since, time_t until, const char *user,
                         time_t before_time, int64_t before_id, size_t limit, sg_login_cb cb,
                         void *userdata)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        /* Two texts rather than "(?4 IS NULL OR user = ?4)", which would keep SQLite from using
         * the per-user index. */
        r = prepare(s,
                    user ? "SELECT " LOGIN_COLUMNS " FROM logins WHERE user = ?4 AND time >= ?1 "
                           "AND time < ?2 AND (time, id) < (?5, ?6) "
                           "ORDER BY time DESC, id DESC LIMIT ?3"
                         : "SELECT " LOGIN_COLUMNS " FROM logins WHERE time >= ?1 AND time < ?2 "
                           "AND (time, id) < (?5, ?6) ORDER BY time DESC, id DESC LIMIT ?3",
                    &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, since);
        sqlite3_bind_int64(st, 2, until);
        sqlite3_bind_int64(st, 3, limit > 0 ? (sqlite3_int64)limit : -1);
        if (user)
                bind_text(st, 4, user);
        sqlite3_bind_int64(st, 5, before_time);
        sqlite3_bind_int64(st, 6, before_id);
        return logins_run(s, st, cb, userdata);
}

int sg_store_logins_between(sg_store *s, time_t since, time_t until, const char *user, size_t limit,
                            sg_login_cb cb, void *userdata)
{
        return sg_store_logins_page(s, since, until, user, until, INT64_MAX, limit, cb, userdata);
}

int sg_store_login_find_open(sg_store *s, const char *user, pid_t pid, uint64_t pid_start,
                             int64_t *ret_id)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare(s,
                    "SELECT id FROM logins WHERE outcome = 'accepted' AND ended_at IS NULL AND "
                    "user = ? AND pid = ? AND pid_start = ? ORDER BY id DESC LIMIT 1",
                    &st);
        if (r < 0)
                return r;
        bind_text(st, 1, user);
        sqlite3_bind_int64(st, 2, pid);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)pid_start);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return store_fail(s, rc);
        *ret_id = sqlite3_column_int64(st, 0);
        return 0;
}

int sg_store_open_sessions(sg_store *s, sg_login_cb cb, void *userdata)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = prepare(s,
                    "SELECT " LOGIN_COLUMNS " FROM logins WHERE outcome = 'accepted' AND "
                    "ended_at IS NULL ORDER BY id",
                    &st);
        if (r < 0)
                return r;
        return logins_run(s, st, cb, userdata);
}

/* ---- rights ----------------------------------------------------------------------------- */

/* A query of one text parameter that yields at most one integer: 1 with *ret set when there
 * is a row, 0 when there is none. */
static int query_int64(sg_store *s, const char *sql, const char *key, int64_t *ret)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare(s, sql, &st);
        if (r < 0)
                return r;
        bind_text(st, 1, key);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return 0;
        if (rc != SQLITE_ROW)
                return store_fail(s, rc);
        *ret = sqlite3_column_int64(st, 0);
        return 1;
}

int sg_store_right_get(sg_store *s, const char *user, enum sg_right *ret)
{
        int64_t allowed = 0;
        int r;

        r = query_int64(s, "SELECT allowed FROM rights WHERE user = ?", user, &allowed);
        if (r < 0)
                return r;
        *ret = r == 0 ? SG_RIGHT_DEFAULT : allowed ? SG_RIGHT_GRANTED : SG_RIGHT_REVOKED;
        return 0;
}

static const char *const name_queries[] = {
        [SG_NAME_RIGHT] = "SELECT DISTINCT user FROM rights",
        [SG_NAME_USER_TARGET] = "SELECT DISTINCT target FROM grants WHERE kind = 'user'",
        [SG_NAME_DEPARTMENT_TARGET] =
                "SELECT DISTINCT target FROM grants WHERE kind = 'department'",
};

int sg_store_names(sg_store *s, enum sg_name_kind k, sg_name_cb cb, void *userdata)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare(s, name_queries[k], &st);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                r = cb((const char *)sqlite3_column_text(st, 0), userdata);
                if (r < 0)
                        return r;
        }
        return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

static int exec_bound(sg_store *s, const char *sql, const char *a, const char *b)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, sql, &st);

        if (r < 0)
                return r;
        bind_text(st, 1, a);
        if (b)
                bind_text(st, 2, b);
        r = step_done(s, st);
        return r < 0 ? r : sqlite3_changes(s->db);
}

int sg_store_rename(sg_store *s, enum sg_name_kind k, const char *from, const char *to)
{
        int r, n = 0;

        r = sg_store_begin(s);
        if (r < 0)
                return r;
        switch (k) {
        case SG_NAME_RIGHT:
                /* Both spellings have an entry: root's later decision stands. */
                r = exec_bound(s,
                               "DELETE FROM rights WHERE user = ?1 AND EXISTS (SELECT 1 FROM "
                               "rights o WHERE o.user = ?2 AND o.changed_at > rights.changed_at)",
                               from, to);
                if (r >= 0)
                        r = exec_bound(s,
                                       "DELETE FROM rights WHERE user = ?2 AND EXISTS (SELECT 1 "
                                       "FROM rights o WHERE o.user = ?1)",
                                       from, to);
                if (r >= 0)
                        r = n = exec_bound(s, "UPDATE rights SET user = ?2 WHERE user = ?1", from,
                                           to);
                break;
        case SG_NAME_USER_TARGET:
                r = n = exec_bound(s,
                                   "UPDATE grants SET target = ?2 WHERE kind = 'user' AND "
                                   "target = ?1",
                                   from, to);
                if (r >= 0)
                        r = exec_bound(s,
                                       "INSERT OR IGNORE INTO known_staff SELECT ?2, since FROM "
                                       "known_staff WHERE user = ?1",
                                       from, to);
                if (r >= 0)
                        r = exec_bound(s, "DELETE FROM known_staff WHERE user = ?1", from, NULL);
                break;
        case SG_NAME_DEPARTMENT_TARGET:
                r = n = exec_bound(s,
                                   "UPDATE grants SET target = ?2 WHERE kind = 'department' AND "
                                   "target = ?1",
                                   from, to);
                break;
        }
        if (r >= 0)
                r = sg_store_commit(s);
        if (r < 0) {
                sg_store_rollback(s);
                return r;
        }
        return n;
}

int sg_store_staff_known(sg_store *s, const char *user)
{
        int64_t one;

        return query_int64(s, "SELECT 1 FROM known_staff WHERE user = ?", user, &one);
}

int sg_store_staff_gid_get(sg_store *s, const char *group, gid_t *ret)
{
        int64_t gid;
        int r;

        r = query_int64(s, "SELECT gid FROM staff_groups WHERE name = ?", group, &gid);
        if (r <= 0)
                return r < 0 ? r : -ENOENT;
        *ret = (gid_t)gid;
        return 0;
}

int sg_store_staff_gid_set(sg_store *s, const char *group, gid_t gid, time_t when)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        gid_t have;
        int r;

        /* Written only when it changed: the daemon calls this at every sweep. */
        if (sg_store_staff_gid_get(s, group, &have) >= 0 && have == gid)
                return 0;
        r = prepare(s, "INSERT OR REPLACE INTO staff_groups (name, gid, seen_at) VALUES (?, ?, ?)",
                    &st);
        if (r < 0)
                return r;
        bind_text(st, 1, group);
        sqlite3_bind_int64(st, 2, gid);
        sqlite3_bind_int64(st, 3, when);
        r = step_done(s, st);
        return r < 0 ? r : 1;
}

int sg_store_right_set(sg_store *s, const char *user, enum sg_right right, time_t when,
                       const char *by)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        if (right == SG_RIGHT_DEFAULT) {
                r = prepare(s, "DELETE FROM rights WHERE user = ?", &st);
                if (r < 0)
                        return r;
                bind_text(st, 1, user);
                return step_done(s, st);
        }
        r = prepare(s,
                    "INSERT INTO rights (user, allowed, changed_at, changed_by) "
                    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user) DO UPDATE SET "
                    "allowed = ?2, changed_at = ?3, changed_by = ?4",
                    &st);
        if (r < 0)
                return r;
        bind_text(st, 1, user);
        sqlite3_bind_int(st, 2, right == SG_RIGHT_GRANTED);
        sqlite3_bind_int64(st, 3, when);
        bind_text(st, 4, by);
        return step_done(s, st);
}

int sg_store_rights_list(sg_store *s, sg_right_cb cb, void *userdata)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare(s, "SELECT user, allowed, changed_at, changed_by FROM rights ORDER BY user",
                    &st);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct sg_right_entry e = {};

                r = column_copy(s, st, 0, e.user, sizeof(e.user));
                if (r >= 0)
                        r = column_copy(s, st, 3, e.changed_by, sizeof(e.changed_by));
                if (r < 0)
                        return r;
                e.right = sqlite3_column_int(st, 1) ? SG_RIGHT_GRANTED : SG_RIGHT_REVOKED;
                e.changed_at = (time_t)sqlite3_column_int64(st, 2);
                r = cb(&e, userdata);
                if (r < 0)
                        return r;
        }
        return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

/* ---- activation codes ------------------------------------------------------------------- */

int sg_store_code_mark_used(sg_store *s, const char *code_id, time_t created, time_t now,
                            const char *by, int64_t grant_id, time_t *ret_used_at,
                            char *ret_used_by)
{
        _cleanup_stmt_ sqlite3_stmt *ins = NULL, *sel = NULL;
        int r, rc;

        r = prepare(s,
                    "INSERT INTO used_codes (code_id, created, used_at, used_by, grant_id) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (code_id) DO NOTHING",
                    &ins);
        if (r < 0)
                return r;
        bind_text(ins, 1, code_id);
        sqlite3_bind_int64(ins, 2, created);
        sqlite3_bind_int64(ins, 3, now);
        bind_text(ins, 4, by);
        if (grant_id > 0)
                sqlite3_bind_int64(ins, 5, grant_id);
        else
                sqlite3_bind_null(ins, 5);
        r = step_done(s, ins);
        if (r < 0)
                return r;
        if (sqlite3_changes(s->db) > 0)
                return 0;

        r = prepare(s, "SELECT used_at, used_by FROM used_codes WHERE code_id = ?", &sel);
        if (r < 0)
                return r;
        bind_text(sel, 1, code_id);
        rc = sqlite3_step(sel);
        if (rc != SQLITE_ROW)
                return store_fail(s, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
        if (ret_used_at)
                *ret_used_at = (time_t)sqlite3_column_int64(sel, 0);
        if (ret_used_by) {
                r = column_copy(s, sel, 1, ret_used_by, SG_NAME_MAX);
                if (r < 0)
                        return r;
        }
        return -EEXIST;
}

/* ---- retention -------------------------------------------------------------------------- */

int sg_store_prune(sg_store *s, time_t cutoff, time_t code_cutoff)
{
        static const char *const sql[] = {
                "DELETE FROM grants WHERE granted_at < ?1 AND "
                "((revoked_at IS NOT NULL AND revoked_at < ?1) OR "
                " (expires_at IS NOT NULL AND expires_at < ?1))",
                "DELETE FROM logins WHERE time < ?1 AND "
                "NOT (outcome = 'accepted' AND ended_at IS NULL)",
                "DELETE FROM used_codes WHERE created < ?2",
        };
        int r, removed = 0;

        r = sg_store_begin(s);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(sql); i++) {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;

                r = prepare(s, sql[i], &st);
                if (r < 0)
                        break;
                sqlite3_bind_int64(st, 1, cutoff);
                sqlite3_bind_int64(st, 2, code_cutoff);
                r = step_done(s, st);
                if (r < 0)
                        break;
                removed += sqlite3_changes(s->db);
        }
        if (r >= 0)
                r = sg_store_commit(s);
        if (r < 0) {
                sg_store_rollback(s);
                return r;
        }
        return removed;
}

/* ---- the audit trail -------------------------------------------------------------------- */

/* What the trail's first record says was there: the rows of every table, in the order of their
 * keys, each as the canonical JSON array [table, column, ...] and a newline, hashed. */
static const struct {
        const char *table, *sql;
} genesis_tables[] = {
        {"grants", "SELECT * FROM grants ORDER BY id"},
        {"logins", "SELECT * FROM logins ORDER BY id"},
        {"rights", "SELECT * FROM rights ORDER BY user"},
        {"used_codes", "SELECT * FROM used_codes ORDER BY code_id"},
        {"known_staff", "SELECT * FROM known_staff ORDER BY user"},
        {"staff_groups", "SELECT * FROM staff_groups ORDER BY name"},
};

static int row_json(sqlite3_stmt *st, const char *table, json_object **ret)
{
        json_object *a = json_object_new_array();
        int n = sqlite3_column_count(st), r = 0;

        if (!a)
                return -ENOMEM;
        r = json_object_array_add(a, json_object_new_string(table));
        for (int i = 0; i < n && r >= 0; i++) {
                json_object *v = NULL;

                switch (sqlite3_column_type(st, i)) {
                case SQLITE_NULL:
                        break;
                case SQLITE_INTEGER:
                        v = json_object_new_int64(sqlite3_column_int64(st, i));
                        break;
                default:
                        v = json_object_new_string((const char *)sqlite3_column_text(st, i));
                        break;
                }
                r = json_object_array_add(a, v);
        }
        if (r < 0) {
                json_object_put(a);
                return -ENOMEM;
        }
        *ret = a;
        return 0;
}

static int audit_genesis(sg_store *s)
{
        _cleanup_(sg_audit_digest_freep) sg_audit_digest *d = NULL;
        json_object *record = NULL, *rows = NULL;
        _cleanup_stmt_ sqlite3_stmt *ins = NULL;
        char trail[33], digest[SG_AUDIT_HASH_LEN + 1], hash[SG_AUDIT_HASH_LEN + 1];
        unsigned char id[16];
        int64_t seq;
        int r;

        r = sg_audit_digest_new(&d);
        if (r < 0)
                return r;
        record = sg_audit_record_new(time(NULL), "trail-started", NULL);
        rows = json_object_new_object();
        if (!record || !rows) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < ELEMENTSOF(genesis_tables); i++) {
                _cleanup_stmt_ sqlite3_stmt *st = NULL;
                int64_t n = 0;
                int rc;

                r = prepare(s, genesis_tables[i].sql, &st);
                if (r < 0)
                        goto out;
                while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                        json_object *row = NULL;
                        const char *text;

                        r = row_json(st, genesis_tables[i].table, &row);
                        if (r < 0)
                                goto out;
                        text = json_object_to_json_string_ext(
                                row, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
                        r = text ? sg_audit_digest_update(d, text, strlen(text)) : -ENOMEM;
                        if (r >= 0)
                                r = sg_audit_digest_update(d, "\n", 1);
                        json_object_put(row);
                        if (r < 0)
                                goto out;
                        n++;
                }
                if (rc != SQLITE_DONE) {
                        r = store_fail(s, rc);
                        goto out;
                }
                (void)json_object_object_add(rows, genesis_tables[i].table,
                                             json_object_new_int64(n));
        }
        r = sg_audit_digest_final(d, digest);
        if (r < 0)
                goto out;
        r = sg_random_bytes(id, sizeof(id));
        if (r < 0)
                goto out;
        for (size_t i = 0; i < sizeof(id); i++)
                (void)snprintf(trail + 2 * i, 3, "%02x", id[i]);
        (void)json_object_object_add(record, "trail", json_object_new_string(trail));
        (void)json_object_object_add(record, "rows", TAKE_PTR(rows));
        (void)json_object_object_add(record, "rows_sha256", json_object_new_string(digest));
        r = prepare(s, "INSERT INTO audit_trail (id) VALUES (?)", &ins);
        if (r >= 0) {
                bind_text(ins, 1, trail);
                r = step_done(s, ins);
        }
        if (r >= 0)
                r = sg_store_audit_append(s, record, &seq, hash);
out:
        json_object_put(rows);
        json_object_put(record);
        return r;
}

int sg_store_audit_head(sg_store *s, int64_t *ret_seq, char ret_hash[static SG_AUDIT_HASH_LEN + 1])
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare(s, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &st);
        if (r < 0)
                return r;
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
                *ret_seq = 0;
                memcpy(ret_hash, SG_AUDIT_GENESIS_PREV, SG_AUDIT_HASH_LEN + 1);
                return 0;
        }
        if (rc != SQLITE_ROW)
                return store_fail(s, rc);
        *ret_seq = sqlite3_column_int64(st, 0);
        r = column_copy(s, st, 1, ret_hash, SG_AUDIT_HASH_LEN + 1);
        if (r >= 0 && !sg_audit_hash_is_valid(ret_hash)) {
                (void)snprintf(s->errmsg, sizeof(s->errmsg), "the audit trail's head is corrupt");
                r = -EBADMSG;
        }
        return r;
}

int sg_store_audit_append(sg_store *s, json_object *record, int64_t *ret_seq,
                          char ret_hash[static SG_AUDIT_HASH_LEN + 1])
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_free_ char *canonical = NULL;
        char prev[SG_AUDIT_HASH_LEN + 1];
        int64_t seq;
        int r;

        r = sg_store_audit_head(s, &seq, prev);
        if (r < 0)
                return r;
        seq++;
        if (json_object_object_add(record, "seq", json_object_new_int64(seq)) < 0)
                return -ENOMEM;
        r = sg_audit_canonical(record, &canonical);
        if (r >= 0)
                r = sg_audit_hash(prev, canonical, ret_hash);
        if (r < 0) {
                (void)snprintf(s->errmsg, sizeof(s->errmsg), "cannot make the audit record: %s",
                               strerror(-r));
                return r;
        }
        r = prepare(s, "INSERT INTO audit (seq, record, prev, hash) VALUES (?, ?, ?, ?)", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, seq);
        bind_text(st, 2, canonical);
        bind_text(st, 3, prev);
        bind_text(st, 4, ret_hash);
        r = step_done(s, st);
        if (r < 0)
                return r;
        *ret_seq = seq;
        return 0;
}

int sg_store_audit_each(sg_store *s, int64_t after, size_t limit, sg_audit_cb cb, void *userdata)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare(s,
                    "SELECT seq, record, prev, hash FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
                    &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, after);
        sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                r = cb(sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                       (const char *)sqlite3_column_text(st, 2),
                       (const char *)sqlite3_column_text(st, 3), userdata);
                if (r < 0)
                        return r;
        }
        return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

int sg_store_audit_trail(sg_store *s, char ret[static SG_AUDIT_TRAIL_LEN + 1])
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare(s, "SELECT id FROM audit_trail LIMIT 1", &st);
        if (r < 0)
                return r;
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
                (void)snprintf(s->errmsg, sizeof(s->errmsg), "the audit trail has no name");
                return -EBADMSG;
        }
        if (rc != SQLITE_ROW)
                return store_fail(s, rc);
        return column_copy(s, st, 0, ret, SG_AUDIT_TRAIL_LEN + 1);
}

int sg_store_audit_checkpoint_add(sg_store *s, int64_t seq, const char *hash, time_t when)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        r = prepare(s,
                    "INSERT OR REPLACE INTO audit_checkpoints (seq, hash, time) VALUES (?, ?, ?)",
                    &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, seq);
        bind_text(st, 2, hash);
        sqlite3_bind_int64(st, 3, when);
        return step_done(s, st);
}

int sg_store_audit_checkpoint_last(sg_store *s, time_t before, int64_t *ret_seq,
                                   char ret_hash[static SG_AUDIT_HASH_LEN + 1], time_t *ret_time)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare(s,
                    "SELECT seq, hash, time FROM audit_checkpoints WHERE time < ? "
                    "ORDER BY seq DESC LIMIT 1",
                    &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, before);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return store_fail(s, rc);
        *ret_seq = sqlite3_column_int64(st, 0);
        if (ret_time)
                *ret_time = (time_t)sqlite3_column_int64(st, 2);
        return column_copy(s, st, 1, ret_hash, SG_AUDIT_HASH_LEN + 1);
}

int sg_store_audit_prune(sg_store *s, int64_t seq)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL, *cp = NULL;
        int r, n;

        r = prepare(s, "DELETE FROM audit WHERE seq <= ?", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, seq);
        r = step_done(s, st);
        if (r < 0)
                return r;
        n = sqlite3_changes(s->db);
        r = prepare(s, "DELETE FROM audit_checkpoints WHERE seq < ?", &cp);
        if (r < 0)
                return r;
        sqlite3_bind_int64(cp, 1, seq);
        r = step_done(s, cp);
        return r < 0 ? r : n;
}

int sg_store_audit_checkpoints(sg_store *s, struct sg_audit_checkpoint **items, size_t *n,
                               size_t *size)
{
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare(s, "SELECT seq, hash, time FROM audit_checkpoints ORDER BY seq", &st);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct sg_audit_checkpoint *c;
                char when[SG_RFC3339_MAX];

                if (GROW(*items, *size, *n, 16) < 0)
                        return -ENOMEM;
                c = &(*items)[*n];
                *c = (struct sg_audit_checkpoint){.seq = sqlite3_column_int64(st, 0)};
                r = column_copy(s, st, 1, c->hash, sizeof(c->hash));
                if (r < 0)
                        return r;
                if (sg_time_format_rfc3339((time_t)sqlite3_column_int64(st, 2), when,
                                           sizeof(when)) < 0)
                        (void)snprintf(when, sizeof(when), "?");
                (void)snprintf(c->origin, sizeof(c->origin),
                               "the database's note of the checkpoint of %s", when);
                (*n)++;
        }
        return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}
