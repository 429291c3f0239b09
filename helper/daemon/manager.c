/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager (manager.h): configuration, the database, signals, and what is torn down at
 * the end. */
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "manager.h"
#include "staff.h"
#include "varlink.h"

#define BATCH_FAILED_MESSAGE                                                              \
        "the supportgrant database is unavailable: it could not record this request, so " \
        "nothing of it was recorded; see the system log"

static int on_commit(sd_event_source *s, void *userdata)
{
        manager_commit(userdata);
        return 0;
}

static int on_commit_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        manager_commit(userdata);
        return 0;
}

/* Ends the open batch: its replies go out when durable, else each of its requests is told
 * that nothing of it was recorded. */
static void batch_end(struct manager *m, bool durable)
{
        if (!m->batch_open)
                return;
        m->batch_open = false;
        if (m->commit_event)
                (void)sd_event_source_set_enabled(m->commit_event, SD_EVENT_OFF);
        if (m->commit_timer)
                (void)sd_event_source_set_enabled(m->commit_timer, SD_EVENT_OFF);
        if (durable)
                server_release(&m->server, NULL, NULL);
        else
                server_release(&m->server, SG_VARLINK_INTERFACE ".DatabaseError",
                               BATCH_FAILED_MESSAGE);
}

void manager_commit(struct manager *m)
{
        bool durable;

        if (!m->batch_open)
                return;
        durable = sg_store_batch_commit(m->store) >= 0;
        if (!durable)
                log_error("cannot commit: %s", sg_store_errmsg(m->store));
        batch_end(m, durable);
}

/* The batch is lost (the file went away, SQLite rolled it back): its requests are told. */
static void batch_lost(struct manager *m)
{
        batch_end(m, false);
}

static int batch_open(struct manager *m)
{
        int r;

        if (m->batch_open)
                return 0;
        if (!m->commit_event && m->event) {
                r = sd_event_add_defer(m->event, &m->commit_event, on_commit, m);
                if (r >= 0)
                        r = sd_event_add_time(m->event, &m->commit_timer, CLOCK_MONOTONIC, 0, 0,
                                              on_commit_timer, m);
                if (r < 0)
                        return log_error_errno(r, "cannot set up the commit: %m");
                /* After every connection that has something to say this turn. */
                (void)sd_event_source_set_priority(m->commit_event, SD_EVENT_PRIORITY_IDLE);
        }
        r = sg_store_batch_begin(m->store);
        if (r < 0) {
                log_error("cannot begin a transaction: %s", sg_store_errmsg(m->store));
                return r;
        }
        m->batch_open = true;
        server_hold(&m->server);
        if (m->commit_event) {
                uint64_t now = 0;

                (void)sd_event_now(m->event, CLOCK_MONOTONIC, &now);
                (void)sd_event_source_set_enabled(m->commit_event, SD_EVENT_ONESHOT);
                (void)sd_event_source_set_time(m->commit_timer, now + MANAGER_BATCH_MAX_USEC);
                (void)sd_event_source_set_enabled(m->commit_timer, SD_EVENT_ONESHOT);
        }
        return 0;
}

static int store_get(struct manager *m, bool write, sg_store **ret)
{
        struct sg_error err = {};
        int r;

        *ret = NULL;
        if (m->store) {
                if (m->batch_open && !sg_store_in_transaction(m->store)) {
                        log_error("the transaction was rolled back: %s", sg_store_errmsg(m->store));
                        batch_lost(m);
                }
                /* A request that failed half-way must not leave its transaction to the next. */
                if (!m->batch_open && sg_store_in_transaction(m->store)) {
                        log_error("a transaction was left open: rolled back");
                        sg_store_rollback(m->store);
                }
                r = sg_store_verify(m->store);
                if (r < 0) {
                        log_warning("opening the database again: %s", sg_store_errmsg(m->store));
                        batch_lost(m);
                        manager_close_store(m);
                }
        }
        if (!m->store) {
                r = sg_store_open(m->cfg.database, SG_STORE_CREATE, &m->store, &err);
                if (r < 0) {
                        log_error("cannot open the database: %s", err.msg);
                        m->store = NULL;
                        return r;
                }
        }
        if (write) {
                r = batch_open(m);
                if (r < 0)
                        return r;
        }
        *ret = m->store;
        return 0;
}

int manager_record_trail(struct manager *m, sg_store *s, enum sg_event e,
                         const struct sg_event_fields *f)
{
        char hash[SG_AUDIT_HASH_LEN + 1];
        json_object *record;
        int64_t seq;
        int r = 0;

        /* Not after the batch was lost: nothing more of this turn may be recorded alone.
         * SG_BENCH_NO_TRAIL: only in make bench's baseline daemon, never installed. */
#ifdef SG_BENCH_NO_TRAIL
        s = NULL;
#endif
        if (s && (!m->batch_open || sg_store_in_transaction(s))) {
                record = sg_audit_record_new(time(NULL), sg_event_to_string(e), f);
                r = record ? sg_store_audit_append(s, record, &seq, hash) : -ENOMEM;
                json_object_put(record);
                if (r < 0) {
                        log_error("cannot append to the audit trail: %s", sg_store_errmsg(s));
                        sg_store_batch_abort(s);
                }
        }
        return r;
}

int manager_record(struct manager *m, sg_store *s, enum sg_event e, int priority,
                   const struct sg_event_fields *f, const char *message)
{
        int r = manager_record_trail(m, s, e, f), k;

        k = sg_journal_event(e, priority, f, message);
        if (k < 0)
                log_error_errno(k, "cannot write to the journal: %m");
        return r;
}

int manager_store(struct manager *m, sg_store **ret)
{
        return store_get(m, true, ret);
}

int manager_store_read(struct manager *m, sg_store **ret)
{
        return store_get(m, false, ret);
}

void manager_close_store(struct manager *m)
{
        manager_commit(m);
        sg_store_close(m->store);
        m->store = NULL;
}

/* sg_staff_decide() with what the database knows (the staff group's last gid, whether the
 * account was known as staff) and /etc/passwd. */
int manager_settle_staff(struct manager *m, sg_store *s, const char *staff_group,
                         struct sg_identity *id)
{
        gid_t last;
        bool have_last;
        int local, known, r;

        if (id->staff != SG_STAFF_UNKNOWN || id->uid == 0)
                return (int)sg_staff_decide(id, NULL, true, false);
        local = sg_user_is_local(NULL, id->user);
        if (local < 0)
                return local;
        if (!s) /* no database yet: nobody was ever known as staff here */
                return (int)sg_staff_decide(id, NULL, local, false);
        r = sg_store_staff_gid_get(s, staff_group ? staff_group : m->cfg.staff_group, &last);
        if (r < 0 && r != -ENOENT)
                return r;
        have_last = r >= 0;
        known = sg_store_staff_known(s, id->user);
        if (known < 0)
                return known;
        return (int)sg_staff_decide(id, have_last ? &last : NULL, local, known);
}

/* ---- names stored as typed by earlier versions (SPEC §2 "names") ------------------------- */

struct name_list {
        char (*items)[SG_NAME_MAX];
        size_t n, size;
};

static int collect_name(const char *name, void *userdata)
{
        struct name_list *l = userdata;

        if (GROW(l->items, l->size, l->n, 16) < 0)
                return -ENOMEM;
        (void)snprintf(l->items[l->n++], SG_NAME_MAX, "%s", name);
        return 0;
}

/* Rewrites rights and grant targets to the canonical name NSS gives them now, and journals
 * each change. Names NSS does not know (any more) stay as they are. */
void manager_canonicalize_names(struct manager *m, sg_store *s)
{
        static const char *const what[] = {
                [SG_NAME_RIGHT] = "the right to activate of",
                [SG_NAME_USER_TARGET] = "the grants for user",
                [SG_NAME_DEPARTMENT_TARGET] = "the grants for department",
        };

        for (enum sg_name_kind k = SG_NAME_RIGHT; k <= SG_NAME_DEPARTMENT_TARGET; k++) {
                struct name_list l = {};

                if (sg_store_names(s, k, collect_name, &l) < 0)
                        log_error("cannot read the stored names: %s", sg_store_errmsg(s));
                for (size_t i = 0; i < l.n; i++) {
                        char canonical[SG_NAME_MAX], msg[3 * SG_NAME_MAX];
                        int r;

                        r = k == SG_NAME_DEPARTMENT_TARGET
                                    ? sg_department_canonical(&m->cfg, l.items[i], canonical)
                                    : sg_user_canonical(l.items[i], canonical, NULL);
                        if (r < 0 || streq(canonical, l.items[i]))
                                continue;
                        r = sg_store_rename(s, k, l.items[i], canonical);
                        if (r < 0) {
                                log_error("cannot rename %s to %s: %s", l.items[i], canonical,
                                          sg_store_errmsg(s));
                                continue;
                        }
                        (void)snprintf(msg, sizeof(msg),
                                       "%s %s now stored under its canonical name %s (%d rows)",
                                       what[k], l.items[i], canonical, r);
                        (void)sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", LOG_NOTICE,
                                              "SYSLOG_IDENTIFIER=supportgrantd", NULL);
                        if (!getenv("JOURNAL_STREAM")) /* else that is the journal already */
                                log_notice("%s", msg);
                }
                free(l.items);
        }
}

int manager_load_config(struct manager *m, struct sg_config *ret)
{
        struct sg_error err = {};
        int r;

        sg_config_init(ret);
        r = sg_config_load(ret, m->conf_path, 0, &err);
        if (r == -ENOENT) {
                log_error("%s: configuration file is missing", m->conf_path);
                return r;
        }
        if (r < 0) {
                log_error("%s", err.msg);
                return r;
        }
        if (m->socket_override) {
                r = sg_config_set(ret, "socket", m->socket_override, &err);
                if (r < 0) {
                        log_error("--socket: %s", err.msg);
                        return r;
                }
        }
        return 0;
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct manager *m = userdata;
        struct sg_config cfg;

        (void)sd_notify(0, "RELOADING=1");
        if (manager_load_config(m, &cfg) >= 0) {
                if (!streq(cfg.socket, m->cfg.socket))
                        log_warning("socket path changes take effect at the next start");
                m->cfg = cfg;
                (void)sg_login_defs_uid_range(NULL, &m->uid_min, &m->uid_max);
                log_info("configuration reloaded");
        } else
                log_error("keeping the previous configuration");
        manager_close_store(m); /* the path may have changed */
        if (m->after_reload)
                (void)m->after_reload(m);
        (void)sd_notify(0, "READY=1");
        return 0;
}

static int on_terminate(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct manager *m = userdata;

        (void)sd_notify(0, "STOPPING=1");
        return sd_event_exit(m->event, 0);
}

int manager_watch_signals(struct manager *m)
{
        int r;

        r = sd_event_add_signal(m->event, NULL, SIGTERM, on_terminate, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, on_terminate, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGHUP, on_reload, m);
        return r;
}

void manager_done(struct manager *m)
{
        server_done(&m->server);
        manager_close_store(m);
        m->commit_event = sd_event_source_disable_unref(m->commit_event);
        m->commit_timer = sd_event_source_disable_unref(m->commit_timer);
        sd_event_source_disable_unref(m->expiry_timer);
        sd_event_source_disable_unref(m->sweep_timer);
        sd_event_source_disable_unref(m->prune_timer);
        sd_event_source_disable_unref(m->checkpoint_timer);
        sd_event_source_disable_unref(m->kill_timer);
        sd_event_source_disable_unref(m->stray_timer);
        free(m->quiet_uids);
        free(m->exports);
        if (m->tokens)
                explicit_bzero(m->tokens, m->tokens_size * sizeof(*m->tokens));
        free(m->tokens);
        m->event = sd_event_unref(m->event);
}
