/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Ending staff sessions when their access ends (SPEC §7 terminate_sessions), and keeping the
 * records within their retention. */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <signal.h>
#include <syslog.h>
#include <time.h>

#include "cgroup.h"
#include "log.h"
#include "sessions.h"
#include "journal.h"
#include "proc.h"
#include "staff.h"
#include "timeutil.h"
#include "trail.h"

struct session_list {
        struct sg_login *items;
        size_t n, size;
};

static int collect_session(const struct sg_login *l, void *userdata)
{
        struct session_list *sl = userdata;

        if (sl->n >= SESSIONS_MAX_SESSIONS)
                return 0;
        if (GROW(sl->items, sl->size, sl->n, 16) < 0)
                return -ENOMEM;
        sl->items[sl->n++] = *l;
        return 0;
}

static void session_list_free(struct session_list *sl)
{
        free(sl->items);
}

/* Whether the process that opened the session is still that process. */
static bool session_process_alive(const struct sg_login *l)
{
        uint64_t start;

        if (l->pid <= 0)
                return false;
        if (sg_proc_start_time(l->pid, &start) < 0)
                return false;
        return l->pid_start == 0 || start == l->pid_start;
}

/* Whether l->pid may be signalled: only when its start time was recorded and still matches,
 * else the pid may since have been given to a process that is none of ours. A session
 * without it is ended through the uid-wide kill alone. */
static bool session_process_signallable(const struct sg_login *l)
{
        return l->pid_start != 0 && session_process_alive(l);
}

static bool uid_in(const uid_t *uids, size_t n, uid_t uid)
{
        for (size_t i = 0; i < n; i++)
                if (uids[i] == uid)
                        return true;
        return false;
}

static bool kill_pending(const struct manager *d, uid_t uid)
{
        return uid_in(d->kill_uids, d->n_kill_uids, uid);
}

/* uid 0: only arms the timer (for the sessions started with export). */
static void kill_later(struct manager *d, uid_t uid)
{
        if (uid != 0 && kill_pending(d, uid))
                return;
        if (uid != 0 && d->n_kill_uids < ELEMENTSOF(d->kill_uids))
                d->kill_uids[d->n_kill_uids++] = uid;
        (void)sd_event_source_set_time_relative(d->kill_timer, SESSIONS_KILL_GRACE_USEC);
        (void)sd_event_source_set_enabled(d->kill_timer, SD_EVENT_ONESHOT);
}

/* Every uid that is a staff account's: its own, and the subordinate ranges /etc/subuid gives
 * it (a user namespace maps them, e.g. for rootless containers, and a process there runs as
 * one of them on the host). user may be NULL when the name is not known. *ret is to be
 * freed. */
static int account_ranges(const char *user, uid_t uid, struct sg_uid_range **ret, size_t *ret_n)
{
        struct sg_uid_range *r = NULL;
        size_t n = 0, size = 0;
        int k;

        if (GROW(r, size, n, 4) < 0)
                return -ENOMEM;
        r[n++] = (struct sg_uid_range){.start = uid, .count = 1};
        k = sg_subuid_ranges(SG_SUBUID_PATH, user ? user : "", uid, &r, &n, &size);
        if (k < 0)
                log_error_errno(k, "cannot read %s: %m; ending the processes of uid %u only",
                                SG_SUBUID_PATH, (unsigned)uid);
        *ret = r;
        *ret_n = n;
        return 0;
}

/* Sends sig to every process of the account (its uid and its subordinate uids). */
static int signal_account(const char *user, uid_t uid, int sig)
{
        _cleanup_free_ struct sg_uid_range *r = NULL;
        size_t n = 0;
        int k;

        if (uid == 0)
                return -EPERM;
        k = account_ranges(user, uid, &r, &n);
        if (k < 0)
                return sg_proc_signal_uid(uid, sig);
        k = sg_proc_signal_ranges(r, n, sig);
        if (k == -EPERM) /* a subordinate range that holds uid 0: never the whole machine */
                return sg_proc_signal_uid(uid, sig);
        return k;
}

/* Whether a staff account is covered right now; < 0 when that cannot be told. */
static int user_covered(struct manager *d, sg_store *s, const char *user,
                        struct sg_identity *ret_id)
{
        const char *deps[SG_MAX_DEPARTMENTS];
        struct sg_coverage cov;
        size_t n;
        int r;

        r = sg_identity_lookup(&d->cfg, user, ret_id);
        if (r == -ENOENT)
                return 0; /* the account is gone: nothing covers it */
        if (r < 0)
                return r;
        if (ret_id->staff == SG_STAFF_UNKNOWN) {
                r = manager_settle_staff(d, s, NULL, ret_id);
                if (r < 0)
                        return r;
        }
        if (ret_id->staff == SG_STAFF_UNKNOWN)
                return 0; /* staff unknown: denied at login, so ended here (SPEC §2) */
        if (!ret_id->is_staff)
                return 1; /* no longer staff: not ours to end */
        sg_identity_departments(ret_id, deps, &n);
        return sg_store_coverage(s, user, deps, n, time(NULL), &cov);
}

/* Ends a cgroup at once, where the host has logind's layout: cgroup.kill reaches what the
 * /proc walk cannot (a process started with sudo in the session, one that changed uid). The
 * signals by uid follow anyway. */
static void kill_cgroup(const char *path, const char *user, const char *what)
{
        int r = sg_cgroup_kill(path);

        if (r < 0)
                log_debug_errno(r, "cannot end %s of %s through cgroup %s: %m", what, user, path);
        else
                log_info("ended %s of %s: cgroup %s", what, user, path);
}

/* The logind session of a login: the scope its session process is in, when that is a
 * session scope of the staff member's own user slice. */
static void kill_session_cgroup(const struct sg_login *l, uid_t uid)
{
        char cg[PATH_MAX], scope[PATH_MAX];

        if (sg_cgroup_of_pid(l->pid, cg, sizeof(cg)) < 0 ||
            sg_cgroup_session_scope(cg, uid, scope, sizeof(scope)) < 0)
                return;
        kill_cgroup(scope, l->user, "the session");
}

/* The user slices (logind's user-UID.slice) the account's processes are in: every session
 * and the user manager of a staff member no grant covers. A process elsewhere (started by
 * root from a service) is left to the signals. */
static void kill_user_slices(const char *user, uid_t uid)
{
        _cleanup_free_ struct sg_uid_range *r = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        char last[PATH_MAX] = "";
        size_t n = 0, np = 0;

        if (account_ranges(user, uid, &r, &n) < 0 || sg_proc_pids(r, n, &pids, &np) < 0)
                return;
        for (size_t i = 0; i < np; i++) {
                char cg[PATH_MAX], slice[PATH_MAX];

                if (sg_cgroup_of_pid(pids[i], cg, sizeof(cg)) < 0 ||
                    sg_cgroup_user_slice(cg, uid, slice, sizeof(slice)) < 0 || streq(slice, last))
                        continue;
                kill_cgroup(slice, user, "every session");
                memcpy(last, slice, sizeof(last));
        }
}

/* The one builder of session-terminated records: the audit trail, the journal, and the
 * daemon's log. s NULL: the database is taken here, if it can be. */
static void record_terminated(struct manager *d, sg_store *s, const struct sg_event_fields *f,
                              const char *fmt, ...) _printf_(4, 5);
static void record_terminated(struct manager *d, sg_store *s, const struct sg_event_fields *f,
                              const char *fmt, ...)
{
        char msg[SG_NAME_MAX + 256];
        va_list ap;

        va_start(ap, fmt);
        (void)vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (!s && manager_store(d, &s) < 0)
                s = NULL;
        (void)manager_record(d, s, SG_EVENT_SESSION_TERMINATED, LOG_NOTICE, f, msg);
        log_notice("%s", msg);
}

static void terminate(struct manager *d, sg_store *s, const struct sg_login *l,
                      const struct sg_identity *id, const char *why)
{
        struct sg_event_fields f = {.export = -1};
        int r;

        /* Recorded first, so that the close_session this causes finds the session ended. */
        r = sg_store_login_end(s, l->id, time(NULL), SG_END_TERMINATED);
        if (r == -EALREADY)
                return;
        if (r < 0)
                log_error("cannot record the end of login %" PRId64 ": %s", l->id,
                          sg_store_errmsg(s));

        f.user = l->user;
        f.login_id = l->id;
        f.service = l->service;
        f.rhost = l->rhost;
        record_terminated(d, s, &f,
                          "Support session of %s terminated (login %" PRId64 "): access ended (%s)",
                          l->user, l->id, why);

        /* The process that opened the session (sshd's [priv] monitor, su, login) closes the
         * connection on SIGTERM; what the staff member started may survive it (non-pty
         * sessions, nohup), so every process of the account goes too. */
        if (session_process_signallable(l)) {
                if (id->uid != 0)
                        kill_session_cgroup(l, id->uid);
                (void)kill(l->pid, SIGTERM);
        }
        if (id->uid != 0) {
                (void)signal_account(id->user, id->uid, SIGHUP);
                (void)signal_account(id->user, id->uid, SIGTERM);
                (void)signal_account(id->user, id->uid, SIGCONT);
                kill_later(d, id->uid);
        }
}

/* Processes of a staff account not covered any more, on no open login row: started detached
 * (setsid, nohup, a double fork) in a session that was then closed normally, or started later
 * by root. Returns how many there were; with none (only zombies: the quick sweep saw them),
 * nothing is done or journaled. */
static int terminate_strays(struct manager *d, const struct sg_identity *id, const char *why)
{
        struct sg_event_fields f = {.export = -1, .user = id->user};
        int n;

        n = signal_account(id->user, id->uid, 0); /* the exact count: live ones only */
        if (n <= 0)
                return n;
        kill_user_slices(id->user, id->uid);
        n = signal_account(id->user, id->uid, SIGHUP); /* the count before any is gone */
        (void)signal_account(id->user, id->uid, SIGTERM);
        (void)signal_account(id->user, id->uid, SIGCONT);
        kill_later(d, id->uid);

        record_terminated(d, NULL, &f,
                          "Support session of %s terminated: process outlived its session "
                          "(%d processes), access ended (%s)",
                          id->user, n < 0 ? 0 : n, why);
        return 1;
}

/* The account a process uid is: the one with that uid, or for a uid that has none, the one
 * whose subordinate range in /etc/subuid holds it. */
static int account_of_uid(struct manager *d, uid_t uid, struct sg_identity *ret)
{
        char owner[SG_NAME_MAX], *end;
        unsigned long u;
        int r;

        r = sg_identity_lookup_uid(&d->cfg, uid, ret);
        if (r != -ENOENT)
                return r;
        r = sg_subuid_owner(SG_SUBUID_PATH, uid, owner, sizeof(owner));
        if (r < 0)
                return r;
        errno = 0;
        u = strtoul(owner, &end, 10);
        if (errno == 0 && end != owner && !*end && u <= UINT32_MAX)
                return sg_identity_lookup_uid(&d->cfg, (uid_t)u, ret);
        return sg_identity_lookup(&d->cfg, owner, ret);
}

static bool quiet(const struct manager *d, uid_t uid)
{
        return uid_in(d->quiet_uids, d->n_quiet_uids, uid);
}

static void remember_quiet(struct manager *d, uid_t uid)
{
        if (d->n_quiet_uids >= SESSIONS_MAX_QUIET_UIDS ||
            GROW(d->quiet_uids, d->quiet_uids_size, d->n_quiet_uids, 64) < 0)
                return; /* looked up again next time */
        d->quiet_uids[d->n_quiet_uids++] = uid;
}

/* Every staff account with processes on this host must be covered, open login row or not:
 * every second (started by root with runuser or setpriv, by a cron job, or left behind), and
 * at every full sweep. s NULL: opened when a uid needs the database. */
static void sweep_strays(struct manager *d, sg_store *s, const char *why, bool quick)
{
        _cleanup_free_ uid_t *uids = NULL;
        size_t n = 0;
        int r;

        r = sg_proc_uids(&uids, &n, quick);
        if (r < 0) {
                log_error_errno(r, "cannot list the processes: %m");
                return;
        }
        for (size_t i = 0; i < n; i++) {
                char name[SG_NAME_MAX];
                struct sg_identity id;

                /* Never root; none already judged quiet, none already being ended
                 * (terminate() above included). Any other uid, system accounts too: an
                 * account below UID_MIN in the staff group is staff. */
                if (uids[i] == 0 || quiet(d, uids[i]) || kill_pending(d, uids[i]))
                        continue;
                /* A uid without an account is the account's whose subordinate range holds it
                 * (a user namespace's); one that cannot be looked up, or that is no one's, is
                 * not known to be staff: left alone. */
                if (account_of_uid(d, uids[i], &id) < 0 || id.staff == SG_STAFF_NO) {
                        remember_quiet(d, uids[i]);
                        continue;
                }
                if (kill_pending(d, id.uid))
                        continue;
                if (!s && manager_store(d, &s) < 0)
                        return;
                /* Staff unknown: only an account the host has known as staff is ended; the
                 * other accounts a failing directory serves are not ours to judge. */
                if (id.staff == SG_STAFF_UNKNOWN && sg_store_staff_known(s, id.user) <= 0) {
                        remember_quiet(d, uids[i]);
                        continue;
                }
                memcpy(name, id.user, sizeof(name)); /* user_covered() refills id */
                r = user_covered(d, s, name, &id);
                if (r < 0)
                        log_error_errno(r, "cannot tell whether %s is still covered: %m", name);
                if (r != 0 || id.staff == SG_STAFF_NO || !streq(id.user, name)) {
                        remember_quiet(d, uids[i]);
                        continue;
                }
                /* Nothing live (a zombie the quick walk counted): quiet until the next full
                 * sweep, which reads every process whole. */
                if (terminate_strays(d, &id, why) <= 0)
                        remember_quiet(d, uids[i]);
        }
}

/* ---- sessions started with export -------------------------------------------------------- */

/* The file beside the socket that keeps the list across a restart of the daemon (the runtime
 * directory: gone at reboot, as the sessions are). */
static void exports_path(const struct manager *d, char *buf, size_t size)
{
        const char *slash = strrchr(d->cfg.socket, '/');
        int len = slash ? (int)(slash - d->cfg.socket) : 1;

        (void)snprintf(buf, size, "%.*s/exports", len, slash ? d->cfg.socket : ".");
}

static void exports_save(const struct manager *d)
{
        char path[PATH_MAX], tmp[PATH_MAX + 8];
        _cleanup_fclose_ FILE *f = NULL;
        int fd;

        exports_path(d, path, sizeof(path));
        (void)snprintf(tmp, sizeof(tmp), "%s.new", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 || !(f = fdopen(fd, "w"))) {
                log_error("cannot write %s: %m", tmp);
                if (fd >= 0)
                        (void)close(fd);
                return;
        }
        for (size_t i = 0; i < d->n_exports; i++)
                fprintf(f, "%d %d %" PRIu64 " %u %s\n", (int)d->exports[i].pid,
                        (int)d->exports[i].sid, d->exports[i].start, (unsigned)d->exports[i].uid,
                        d->exports[i].user);
        if (fflush(f) != 0 || ferror(f) || rename(tmp, path) < 0) {
                log_error("cannot write %s: %m", path);
                (void)unlink(tmp);
        }
}

static bool export_alive(const struct export_session *e)
{
        uint64_t start;

        return sg_proc_start_time(e->pid, &start) >= 0 && start == e->start;
}

/* Drops the sessions whose process is gone, and with drop_ending those being ended. (One
 * being ended stays until its SIGKILL: its leader may be gone while what it started is not.) */
static void exports_prune(struct manager *d, bool drop_ending)
{
        size_t k = 0;

        for (size_t i = 0; i < d->n_exports; i++)
                if (d->exports[i].ending ? !drop_ending : export_alive(&d->exports[i]))
                        d->exports[k++] = d->exports[i];
        if (k != d->n_exports) {
                d->n_exports = k;
                exports_save(d);
        }
}

static size_t exports_of(const struct manager *d, uid_t uid)
{
        size_t n = 0;

        for (size_t i = 0; i < d->n_exports; i++)
                n += d->exports[i].uid == uid;
        return n;
}

int exports_add(struct manager *d, pid_t pid, uid_t uid, const char *user)
{
        struct export_session e = {.pid = pid, .uid = uid};
        int r;

        r = sg_proc_start_time(pid, &e.start);
        if (r >= 0)
                r = sg_proc_session(pid, &e.sid);
        if (r < 0)
                return r;
        /* Never a session that is not the gate's own channel's: init's, or none. */
        if (e.sid <= 1)
                return -EINVAL;
        (void)snprintf(e.user, sizeof(e.user), "%s", user);
        for (size_t i = 0; i < d->n_exports; i++)
                if (d->exports[i].pid == pid && d->exports[i].start == e.start)
                        return 0; /* asked again: known already */
        if (d->n_exports >= SESSIONS_MAX_EXPORTS || exports_of(d, uid) >= SESSIONS_MAX_EXPORTS_UID)
                exports_prune(d, false);
        /* Bounded, and per staff member, so that one cannot crowd out the others' exports. */
        if (d->n_exports >= SESSIONS_MAX_EXPORTS || exports_of(d, uid) >= SESSIONS_MAX_EXPORTS_UID)
                return -EUSERS;
        if (GROW(d->exports, d->exports_size, d->n_exports, 16) < 0)
                return -ENOMEM;
        d->exports[d->n_exports++] = e;
        exports_save(d);
        log_info("session of %s with export started (process %d)", user, (int)pid);
        return 0;
}

void exports_load(struct manager *d)
{
        char path[PATH_MAX], line[256];
        _cleanup_fclose_ FILE *f = NULL;

        exports_path(d, path, sizeof(path));
        f = fopen(path, "re");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f) && d->n_exports < SESSIONS_MAX_EXPORTS) {
                struct export_session e = {};
                unsigned long long start;
                unsigned uid;
                int pid, sid;

                if (sscanf(line, "%d %d %llu %u %63s", &pid, &sid, &start, &uid, e.user) != 5 ||
                    pid <= 1 || sid <= 1 || uid == 0)
                        continue;
                e.pid = pid;
                e.sid = sid;
                e.start = start;
                e.uid = uid;
                if (!export_alive(&e) || GROW(d->exports, d->exports_size, d->n_exports, 16) < 0)
                        continue;
                d->exports[d->n_exports++] = e;
        }
        if (d->n_exports > 0)
                log_info("%zu sessions started with export are running", d->n_exports);
}

static void export_signal(const struct export_session *e, int sig)
{
        _cleanup_free_ struct sg_uid_range *r = NULL;
        size_t n = 0;

        if (account_ranges(e->user, e->uid, &r, &n) < 0)
                return;
        (void)sg_proc_signal_session(e->sid, r, n, sig);
}

/* The export right of a staff member whose access goes on has ended: the sessions started
 * with it end (SIGHUP, SIGTERM, then SIGKILL at the kill timer); the others stay. */
static void end_export(struct manager *d, struct export_session *e, const char *why)
{
        struct sg_event_fields f = {.export = 0, .user = e->user, .service = "sshd"};

        export_signal(e, SIGHUP);
        export_signal(e, SIGTERM);
        export_signal(e, SIGCONT);
        e->ending = true;
        kill_later(d, 0);
        record_terminated(d, NULL, &f,
                          "Support session of %s terminated (process %d): data export ended "
                          "(%s); the access goes on without it",
                          e->user, (int)e->pid, why);
}

static void sweep_exports(struct manager *d, sg_store *s, const char *why)
{
        exports_prune(d, false);
        for (size_t i = 0; i < d->n_exports; i++) {
                struct export_session *e = &d->exports[i];
                const char *deps[SG_MAX_DEPARTMENTS];
                struct sg_identity id;
                struct sg_coverage cov = {};
                size_t n;
                int r;

                if (e->ending)
                        continue;
                r = sg_identity_lookup(&d->cfg, e->user, &id);
                if (r >= 0 && id.staff == SG_STAFF_UNKNOWN)
                        r = manager_settle_staff(d, s, NULL, &id);
                if (r >= 0 && !id.is_staff && id.staff != SG_STAFF_UNKNOWN)
                        continue; /* no longer staff: not ours */
                if (r >= 0 && id.staff != SG_STAFF_UNKNOWN) {
                        sg_identity_departments(&id, deps, &n);
                        r = sg_store_coverage(s, e->user, deps, n, time(NULL), &cov);
                } else if (r >= 0)
                        r = 0; /* staff unknown: no access, so no export */
                if (r > 0 && cov.export)
                        continue;
                /* No export any more, or it cannot be told: the transfer ends (fail closed).
                 * Without access at all, terminate() and the stray sweep end it anyway. */
                end_export(d, e, r < 0 ? "cannot be checked" : why);
        }
}

/* The gid the staff group has now, for when it stops resolving (SPEC §2 "staff unknown"). */
static void remember_staff_gid(struct manager *d, sg_store *s)
{
        gid_t gid;
        int r;

        r = sg_staff_group_gid(&d->cfg, &gid);
        if (r < 0) {
                if (!d->staff_group_lost)
                        log_warning("group %s does not resolve (%s): staff are denied where "
                                    "nothing else tells who they are (staff unknown)",
                                    d->cfg.staff_group, r == -ENOENT ? "not found" : strerror(-r));
                d->staff_group_lost = true;
                return;
        }
        d->staff_group_lost = false;
        r = sg_store_staff_gid_set(s, d->cfg.staff_group, gid, time(NULL));
        if (r < 0)
                log_error("cannot record the gid of group %s: %s", d->cfg.staff_group,
                          sg_store_errmsg(s));
        else if (r > 0)
                log_info("group %s has gid %u", d->cfg.staff_group, (unsigned)gid);
}

int sessions_sweep(struct manager *d, const char *why)
{
        sg_store *s = NULL;
        _cleanup_(session_list_free) struct session_list sl = {};
        int r;

        /* Grants, accounts or groups may have changed: every uid is judged again. */
        d->n_quiet_uids = 0;
        r = manager_store(d, &s);
        if (r < 0)
                return r;
        remember_staff_gid(d, s);
        r = sg_store_open_sessions(s, collect_session, &sl);
        if (r < 0) {
                log_error("cannot read open sessions: %s", sg_store_errmsg(s));
                return r;
        }
        log_debug("sweep (%s): %zu open sessions", why, sl.n);
        for (size_t i = 0; i < sl.n; i++) {
                const struct sg_login *l = &sl.items[i];
                struct sg_identity id;

                /* A session whose process is gone (crash, reboot) never ran close_session. */
                if (!session_process_alive(l)) {
                        if (sg_store_login_end(s, l->id, time(NULL), SG_END_CLOSED) >= 0)
                                log_info("login %" PRId64 " of %s: session process %d is gone; "
                                         "recorded as closed",
                                         l->id, l->user, (int)l->pid);
                        continue;
                }
                if (!d->cfg.terminate_sessions)
                        continue;
                r = user_covered(d, s, l->user, &id);
                if (r < 0) {
                        log_error_errno(r, "cannot tell whether %s is still covered: %m", l->user);
                        continue;
                }
                log_debug("login %" PRId64 " of %s: %s", l->id, l->user,
                          r > 0 ? "still covered" : "no longer covered");
                if (r == 0)
                        terminate(d, s, l, &id, why);
        }
        if (d->cfg.terminate_sessions) {
                sweep_exports(d, s, why);
                sweep_strays(d, s, why, false);
        }
        return 0;
}

static int on_kill_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
        struct manager *d = userdata;
        sg_store *s = NULL;
        size_t n = d->n_kill_uids;

        d->n_kill_uids = 0;
        for (size_t i = 0; i < d->n_exports; i++)
                if (d->exports[i].ending)
                        export_signal(&d->exports[i], SIGKILL);
        exports_prune(d, true);
        if (n == 0 || manager_store(d, &s) < 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                char name[SG_NAME_MAX];
                const char *who = NULL; /* for the subordinate ranges by name */
                struct sg_identity id;
                int r;

                /* A customer who granted access again within the grace second keeps the
                 * staff member's new session alive. */
                r = sg_identity_lookup_uid(&d->cfg, d->kill_uids[i], &id);
                if (r >= 0) {
                        memcpy(name, id.user, sizeof(name));
                        who = name;
                        r = user_covered(d, s, name, &id);
                        if (r > 0)
                                continue;
                }
                /* Again until none is left, so that one forking as fast as it can is
                 * not missed by a single pass through /proc; bounded, the periodic sweep
                 * comes back for what is left. */
                for (int pass = 0; pass < SESSIONS_KILL_PASSES; pass++) {
                        r = signal_account(who, d->kill_uids[i], SIGKILL);
                        if (r <= 0)
                                break;
                        log_info("killed %d remaining processes of uid %u", r,
                                 (unsigned)d->kill_uids[i]);
                        /* Time for the killed to become zombies, which are not counted. */
                        (void)nanosleep(&(struct timespec){.tv_nsec = 5 * 1000000}, NULL);
                }
                if (r > 0)
                        log_warning("processes of uid %u still there after %d passes of SIGKILL",
                                    (unsigned)d->kill_uids[i], SESSIONS_KILL_PASSES);
        }
        return 0;
}

static int on_expiry(sd_event_source *es, uint64_t usec, void *userdata)
{
        struct manager *d = userdata;

        (void)sessions_sweep(d, "grant expired");
        (void)expiry_timer_update(d);
        return 0;
}

int expiry_timer_update(struct manager *d)
{
        sg_store *s = NULL;
        time_t next;
        int r;

        r = manager_store(d, &s);
        if (r >= 0)
                r = sg_store_next_expiry(s, time(NULL), &next);
        if (r < 0) {
                /* The periodic sweep keeps watching meanwhile. */
                return r;
        }
        if (next == SG_TIME_NEVER)
                return sd_event_source_set_enabled(d->expiry_timer, SD_EVENT_OFF);
        r = sd_event_source_set_time(d->expiry_timer, (uint64_t)next * 1000000);
        if (r < 0)
                return r;
        log_debug("next grant expiry at %lld", (long long)next);
        return sd_event_source_set_enabled(d->expiry_timer, SD_EVENT_ONESHOT);
}

static int on_sweep(sd_event_source *es, uint64_t usec, void *userdata)
{
        struct manager *d = userdata;

        /* Catches what the expiry timer cannot: clock jumps, grants edited in the database,
         * group membership changed in LDAP. */
        (void)sessions_sweep(d, "periodic check");
        (void)expiry_timer_update(d);
        (void)sd_event_source_set_time_relative(es, SESSIONS_SWEEP_USEC);
        return 0;
}

static int on_stray(sd_event_source *es, uint64_t usec, void *userdata)
{
        struct manager *d = userdata;

        if (d->cfg.terminate_sessions)
                sweep_strays(d, NULL, "periodic check", true);
        (void)sd_event_source_set_time_relative(es, SESSIONS_STRAY_USEC);
        return 0;
}

int prune_now(struct manager *d)
{
        sg_store *s = NULL;
        time_t now = time(NULL), cutoff, code_cutoff;
        int r;

        if (sg_duration_sub(&d->cfg.retention, now, &cutoff) < 0 ||
            sg_duration_sub(&d->cfg.code_validity, now, &code_cutoff) < 0)
                return -ERANGE;
        /* A used code is remembered for the retention period, and longer if it could still be
         * redeemed (with the clock error its maker may have): code_validity raised later must
         * not make a used code that was forgotten work again. */
        code_cutoff -= MANAGER_CODE_CLOCK_SKEW;
        if (cutoff < code_cutoff)
                code_cutoff = cutoff;
        r = manager_store(d, &s);
        if (r < 0)
                return r;
        r = sg_store_prune(s, cutoff, code_cutoff);
        if (r < 0) {
                log_error("cannot prune old records: %s", sg_store_errmsg(s));
                return r;
        }
        if (r > 0)
                log_info("pruned %d records older than the retention period", r);
        r = trail_prune(d, s, cutoff);
        if (r < 0)
                return r;
        /* And the head, after the prune is durable (SPEC §11). */
        return trail_checkpoint_head(d, true, "prune");
}

static int on_prune(sd_event_source *es, uint64_t usec, void *userdata)
{
        (void)prune_now(userdata);
        (void)sd_event_source_set_time_relative(es, SESSIONS_PRUNE_USEC);
        return 0;
}

int sessions_after_reload(struct manager *d)
{
        (void)sessions_sweep(d, "reload");
        return expiry_timer_update(d);
}

int sessions_setup(struct manager *d)
{
        int r;

        r = sd_event_add_time(d->event, &d->expiry_timer, CLOCK_REALTIME, UINT64_MAX, 1000000,
                              on_expiry, d);
        if (r >= 0)
                r = sd_event_add_time_relative(d->event, &d->sweep_timer, CLOCK_MONOTONIC,
                                               SESSIONS_SWEEP_USEC, 1000000, on_sweep, d);
        if (r >= 0)
                r = sd_event_source_set_enabled(d->sweep_timer, SD_EVENT_ON);
        if (r >= 0)
                r = sd_event_add_time_relative(d->event, &d->stray_timer, CLOCK_MONOTONIC,
                                               SESSIONS_STRAY_USEC, 100000, on_stray, d);
        if (r >= 0)
                r = sd_event_source_set_enabled(d->stray_timer, SD_EVENT_ON);
        if (r >= 0)
                r = sd_event_add_time_relative(d->event, &d->prune_timer, CLOCK_MONOTONIC,
                                               SESSIONS_PRUNE_USEC, 60000000, on_prune, d);
        if (r >= 0)
                r = sd_event_source_set_enabled(d->prune_timer, SD_EVENT_ON);
        if (r >= 0)
                r = sd_event_add_time(d->event, &d->kill_timer, CLOCK_MONOTONIC, UINT64_MAX, 0,
                                      on_kill_timer, d);
        if (r < 0)
                return r;
        (void)sd_event_source_set_enabled(d->kill_timer, SD_EVENT_OFF);
        (void)sd_event_source_set_enabled(d->expiry_timer, SD_EVENT_OFF);

        /* Sessions opened while we were not running are ours now. (main() opened the
         * database already; one that failed since is retried by the periodic sweep.) */
        (void)prune_now(d);
        (void)sessions_sweep(d, "daemon start");
        (void)expiry_timer_update(d);
        return 0;
}
