/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PAM module's phases (root peers only): LoginSettle, LoginCheck, LoginReason, LoginDenied,
 * LoginOpen, LoginClose. The daemon is the only owner of the database; the module, inside
 * sshd, login, su or cron, asks here, and every login row and its journal entry are written
 * here. The module tells who the account is as NSS showed it in its own process (the process
 * sshd's "Match Group" runs in), so that the two always agree. */
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <syslog.h>

#include "authz.h"
#include "journal.h"
#include "json.h"
#include "log.h"
#include "methods-private.h"
#include "methods.h"
#include "proc.h"
#include "reason.h"
#include "staff.h"
#include "timeutil.h"

#define DENIAL_MERGE_SECONDS 60 /* repeated denials of one account and origin: one row */

/* ---- the login as the module describes it ------------------------------------------------ */

/* The staff account and where it logs in from, with its departments. */
struct login_subject {
        struct sg_identity id;
        const char *deps[SG_MAX_DEPARTMENTS];
        size_t n_deps;
        const char *service, *rhost, *tty;
};

static int check_length(struct conn *c, const char *key, const char *v, size_t max)
{
        if (v && strlen(v) >= max)
                return invalid(c, key, "parameter '%s' is longer than %zu bytes", key, max - 1);
        return 0;
}

static int subject_from(struct conn *c, const struct params *args, struct login_subject *ret)
{
        struct sg_login l; /* only for the sizes of its fields */
        size_t n;

        memset(ret, 0, sizeof(*ret));
        if (!args->user)
                return invalid(c, "user", "parameter '%s' is required", "user");
        (void)strcpy_checked(ret->id.user, sizeof(ret->id.user), args->user);
        ret->id.staff = SG_STAFF_YES;
        ret->id.is_staff = true;
        if (check_length(c, "service", args->service, sizeof(l.service)) < 0 ||
            check_length(c, "rhost", args->rhost, sizeof(l.rhost)) < 0 ||
            check_length(c, "tty", args->tty, sizeof(l.tty)) < 0)
                return -EINVAL;
        ret->service = strempty(args->service);
        ret->rhost = strempty(args->rhost);
        ret->tty = strempty(args->tty);
        n = args->departments ? json_object_array_length(args->departments) : 0;
        if (n > SG_MAX_DEPARTMENTS)
                return invalid(c, "departments", "at most %d departments", SG_MAX_DEPARTMENTS);
        for (size_t i = 0; i < n; i++) {
                json_object *v = json_object_array_get_idx(args->departments, i);

                if (!json_object_is_type(v, json_type_string) ||
                    !sg_name_is_valid(json_object_get_string(v)))
                        return invalid(c, "departments",
                                       "parameter 'departments' must be an array of group names");
                memcpy(ret->id.departments[i], json_object_get_string(v),
                       strlen(json_object_get_string(v)) + 1);
        }
        ret->id.n_departments = n;
        sg_identity_departments(&ret->id, ret->deps, &ret->n_deps);
        return 0;
}

/* The subject of the call and the database; < 0 after an error reply (the handler then
 * returns 0). */
static int login_start(struct conn *c, const struct params *args, bool write,
                       struct login_subject *who, sg_store **s)
{
        int r;

        if (subject_from(c, args, who) < 0)
                return -EINVAL;
        r = write ? manager_store(conn_manager(c), s) : manager_store_read(conn_manager(c), s);
        if (r < 0)
                return database_error(c, *s, r), r;
        return 0;
}

static void login_init(struct sg_login *l, const struct login_subject *who, enum sg_login_outcome o)
{
        *l = (struct sg_login){.outcome = o, .time = time(NULL)};
        (void)strcpy_checked(l->user, sizeof(l->user), who->id.user);
        (void)strcpy_checked(l->service, sizeof(l->service), who->service);
        (void)strcpy_checked(l->rhost, sizeof(l->rhost), who->rhost);
        (void)strcpy_checked(l->tty, sizeof(l->tty), who->tty);
}

/* A refusal, in the login overview (merged with the same account's and origin's denials of the
 * last minute, which then are not journaled again), the audit trail (every attempt) and the
 * journal. s NULL (no database, or it could not take the login): the journal only. */
static void record_denial(struct manager *d, sg_store *s, const struct login_subject *who,
                          const char *reason, const char *detail)
{
        struct sg_event_fields f = {.export = -1};
        struct sg_login l;
        char msg[SG_NAME_MAX + 256 + 300];
        int r = 0;

        login_init(&l, who, SG_LOGIN_DENIED);
        if (reason)
                (void)strcpy_checked(l.reason, sizeof(l.reason), reason);
        (void)snprintf(l.detail, sizeof(l.detail), "%s", detail);
        if (s) {
                r = sg_store_login_deny(s, &l, DENIAL_MERGE_SECONDS);
                if (r < 0)
                        log_error("cannot record the denied login of %s: %s", l.user,
                                  sg_store_errmsg(s));
        }
        f.user = l.user;
        f.login_id = l.id;
        f.reason = reason;
        f.service = who->service;
        f.rhost = who->rhost;
        f.detail = detail;
        if (r > 0) {
                /* Merged into the row (and journal entry) of a denial a moment ago; the trail
                 * still records every attempt (SPEC §11). */
                (void)manager_record_trail(d, s, SG_EVENT_LOGIN_DENIED, &f);
                return;
        }
        (void)snprintf(msg, sizeof(msg), "Support login of %s%s%s denied: %s", l.user,
                       isempty(who->rhost) ? "" : " from ", who->rhost, strempty(detail));
        (void)manager_record(d, r >= 0 ? s : NULL, SG_EVENT_LOGIN_DENIED, LOG_NOTICE, &f, msg);
        log_notice("denied staff account %s: %s", l.user, detail);
}

/* ---- reasons between the phases ---------------------------------------------------------- */

static struct login_token *token_find(struct manager *d, const char *token, const char *user)
{
        time_t now = time(NULL);

        for (size_t i = 0; i < d->n_tokens; i++) {
                struct login_token *t = &d->tokens[i];

                /* A clock that jumped backwards makes a token look young; one from the far
                 * future is as stale as an old one. */
                if (t->created > now + 60 || now - t->created > MANAGER_TOKEN_MAX_AGE)
                        continue;
                if (streq(t->token, token) && streq(t->user, user))
                        return t;
        }
        return NULL;
}

static void token_drop(struct manager *d, struct login_token *t)
{
        explicit_bzero(t, sizeof(*t));
        *t = d->tokens[--d->n_tokens];
}

/* Keeps the reason in memory under a new random token: it needs no disk, and a restart of the
 * daemon between the phases only means that it is asked again. Stale tokens go first; when all
 * MANAGER_MAX_TOKENS are young, the oldest one does. */
static int token_new(struct manager *d, const char *user, const char *reason,
                     char ret[static MANAGER_TOKEN_LEN + 1])
{
        uint8_t raw[MANAGER_TOKEN_LEN / 2];
        struct login_token *t;
        time_t now = time(NULL);
        size_t oldest = 0;
        int r;

        for (size_t i = 0; i < d->n_tokens;) {
                struct login_token *x = &d->tokens[i];

                if (x->created > now + 60 || now - x->created > MANAGER_TOKEN_MAX_AGE)
                        token_drop(d, x);
                else
                        i++;
        }
        if (d->n_tokens >= MANAGER_MAX_TOKENS) {
                for (size_t i = 1; i < d->n_tokens; i++)
                        if (d->tokens[i].created < d->tokens[oldest].created)
                                oldest = i;
                log_warning("more than %d logins wait between reason and session: forgetting the "
                            "reason of %s's oldest",
                            MANAGER_MAX_TOKENS, d->tokens[oldest].user);
                token_drop(d, &d->tokens[oldest]);
        }
        r = sg_random_bytes(raw, sizeof(raw));
        if (r < 0)
                return r;
        if (GROW(d->tokens, d->tokens_size, d->n_tokens, 16) < 0)
                return -ENOMEM;
        t = &d->tokens[d->n_tokens++];
        for (size_t i = 0; i < sizeof(raw); i++)
                (void)snprintf(t->token + 2 * i, 3, "%02x", raw[i]);
        (void)strcpy_checked(t->user, sizeof(t->user), user);
        (void)strcpy_checked(t->reason, sizeof(t->reason), reason);
        t->created = now;
        memcpy(ret, t->token, sizeof(t->token));
        return 0;
}

/* ---- replies ----------------------------------------------------------------------------- */

static json_object *coverage_to_json(const struct sg_coverage *cov, bool covered)
{
        json_object *out = json_object_new_object(), *ids = json_object_new_array();

        if (!out || !ids) {
                json_object_put(out);
                json_object_put(ids);
                return NULL;
        }
        for (size_t i = 0; covered && i < cov->n_grant_ids; i++)
                (void)json_object_array_add(ids, json_object_new_int64(cov->grant_ids[i]));
        (void)json_object_object_add(out, "covered", json_object_new_boolean(covered));
        (void)json_object_object_add(out, "expires_at",
                                     covered ? sg_time_to_json(cov->expires_at) : NULL);
        (void)json_object_object_add(out, "export",
                                     json_object_new_boolean(covered && cov->export));
        (void)json_object_object_add(out, "grant_ids", ids);
        return out;
}

/* What covers the account now; not covered is recorded as a denial. 1, 0, or < 0 after an
 * error reply. */
static int coverage(struct conn *c, sg_store *s, const struct login_subject *who,
                    struct sg_coverage *cov)
{
        int r = sg_store_coverage(s, who->id.user, who->deps, who->n_deps, time(NULL), cov);

        if (r < 0)
                return database_error(c, s, r), r;
        if (r == 0) {
                /* A check that only read must now write (and wait for the commit). */
                if (manager_store(conn_manager(c), &s) < 0)
                        s = NULL; /* the journal still gets it */
                record_denial(conn_manager(c), s, who, NULL, "no active grant");
        }
        return r;
}

/* ---- the methods ------------------------------------------------------------------------- */

/* Staff unknown (SPEC §2): the account's groups as the module saw them, with what the database
 * remembers and /etc/passwd. known: the host has known the account as staff (its denial then
 * belongs in the login overview). */
int method_login_settle(struct conn *c, const struct params *args, const struct caller *caller)
{
        struct manager *d = conn_manager(c);
        sg_store *s = NULL;
        struct login_subject who;
        int known, r;
        size_t n;
        json_object *out;

        r = subject_from(c, args, &who);
        if (r < 0)
                return 0;
        n = args->gids ? json_object_array_length(args->gids) : 0;
        if (n > SG_MAX_GIDS)
                return invalid(c, "gids", "at most %d groups", SG_MAX_GIDS), 0;
        for (size_t i = 0; i < n; i++) {
                json_object *v = json_object_array_get_idx(args->gids, i);

                if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
                    json_object_get_int64(v) >= (int64_t)UINT32_MAX)
                        return invalid(c, "gids", "parameter 'gids' must be an array of gids"), 0;
                who.id.gids[i] = (gid_t)json_object_get_int64(v);
        }
        who.id.n_gids = n;
        who.id.uid = (uid_t)args->uid;
        who.id.staff = SG_STAFF_UNKNOWN;
        who.id.is_staff = false;

        r = manager_store_read(d, &s);
        if (r < 0)
                return database_error(c, s, r);
        r = manager_settle_staff(d, s, args->staff_group, &who.id);
        known = r >= 0 ? sg_store_staff_known(s, who.id.user) : r;
        if (known < 0)
                return database_error(c, s, known);
        out = json_object_new_object();
        if (!out)
                return -ENOMEM;
        (void)json_object_object_add(out, "staff",
                                     json_object_new_string(who.id.staff == SG_STAFF_YES ? "yes"
                                                            : who.id.staff == SG_STAFF_NO
                                                                    ? "no"
                                                                    : "unknown"));
        (void)json_object_object_add(out, "known", json_object_new_boolean(known > 0));
        return conn_reply(c, out, false);
}

int method_login_check(struct conn *c, const struct params *args, const struct caller *caller)
{
        struct manager *d = conn_manager(c);
        sg_store *s = NULL;
        struct login_subject who;
        struct sg_coverage cov = {};
        json_object *out;
        int r;

        if (login_start(c, args, false, &who, &s) < 0)
                return 0;
        r = coverage(c, s, &who, &cov);
        if (r < 0)
                return 0;
        out = coverage_to_json(&cov, r > 0);
        if (!out)
                return -ENOMEM;
        (void)json_object_object_add(
                out, "reason_on_hand",
                json_object_new_boolean(r > 0 && args->token &&
                                        token_find(d, args->token, who.id.user)));
        return conn_reply(c, out, false);
}

int method_login_reason(struct conn *c, const struct params *args, const struct caller *caller)
{
        struct manager *d = conn_manager(c);
        char reason[SG_REASON_MAX_BYTES + 1], token[MANAGER_TOKEN_LEN + 1];
        enum sg_text_error why;
        json_object *out;
        int r;

        if (!args->user)
                return invalid(c, "user", "parameter '%s' is required", "user"), 0;
        /* The module checked it by its rules (reason_min_length may be set per service); ""
         * is an optional reason not given. */
        if (sg_text_check(args->reason, 0, SG_REASON_MAX_BYTES, reason, sizeof(reason), &why) < 0)
                return invalid(c, "reason", "the reason %s", sg_text_error_to_string(why)), 0;
        r = token_new(d, args->user, reason, token);
        if (r < 0) {
                log_error_errno(r, "cannot keep the reason of %s: %m", args->user);
                return conn_errorf(c, ERR("DatabaseError"), NULL, NULL,
                                   "cannot keep the reason: %s", strerror(-r));
        }
        out = json_object_new_object();
        if (!out)
                return -ENOMEM;
        (void)json_object_object_add(out, "token", json_object_new_string(token));
        return conn_reply(c, out, false);
}

int method_login_denied(struct conn *c, const struct params *args, const struct caller *caller)
{
        struct manager *d = conn_manager(c);
        sg_store *s = NULL;
        char reason[SG_REASON_MAX_BYTES + 1];
        struct login_subject who;
        enum sg_text_error why;
        struct sg_login l;

        if (subject_from(c, args, &who) < 0)
                return 0;
        if (isempty(args->detail))
                return invalid(c, "detail", "parameter '%s' is required", "detail"), 0;
        if (check_length(c, "detail", args->detail, sizeof(l.detail)) < 0)
                return 0;
        if (args->reason &&
            sg_text_check(args->reason, 0, SG_REASON_MAX_BYTES, reason, sizeof(reason), &why) < 0)
                return invalid(c, "reason", "the reason %s", sg_text_error_to_string(why)), 0;
        /* Without a database the journal still gets it. */
        (void)manager_store(d, &s);
        record_denial(d, s, &who, args->reason ? reason : NULL, args->detail);
        return conn_reply(c, json_object_new_object(), false);
}

int method_login_open(struct conn *c, const struct params *args, const struct caller *caller)
{
        struct manager *d = conn_manager(c);
        sg_store *s = NULL;
        struct login_subject who;
        struct sg_coverage cov = {};
        struct sg_event_fields f;
        struct sg_login l;
        struct login_token *t = NULL;
        enum sg_text_error why;
        char expires[SG_RFC3339_MAX], ids[SG_MAX_COVER * 21], msg[2048];
        json_object *out;
        size_t off = 0;
        int r;

        if (subject_from(c, args, &who) < 0)
                return 0;
        login_init(&l, &who, SG_LOGIN_ACCEPTED);
        if (args->token && args->reason)
                return invalid(c, "token", "give either a token or a reason"), 0;
        if (args->reason && sg_text_check(args->reason, 0, SG_REASON_MAX_BYTES, l.reason,
                                          sizeof(l.reason), &why) < 0)
                return invalid(c, "reason", "the reason %s", sg_text_error_to_string(why)), 0;
        /* The session is the peer's own process (sshd's [priv] child, su, login, cron): that
         * is what ends when the access ends. */
        if (c->cred.pid <= 1)
                return invalid(c, "pid", "the calling process is unknown"), 0;
        l.pid = c->cred.pid;
        (void)sg_proc_start_time(l.pid, &l.pid_start);

        r = manager_store(d, &s);
        if (r < 0)
                return database_error(c, s, r);
        r = coverage(c, s, &who, &cov);
        if (r < 0)
                return 0;
        if (r == 0) {
                out = coverage_to_json(&cov, false);
                return out ? conn_reply(c, out, false) : -ENOMEM;
        }
        if (args->token) {
                t = token_find(d, args->token, who.id.user);
                if (!t)
                        return conn_errorf(c, ERR("TokenUnknown"), NULL, NULL,
                                           "the reason of this login is not on hand (unknown, "
                                           "used or older than %d s): ask for it again",
                                           MANAGER_TOKEN_MAX_AGE);
                memcpy(l.reason, t->reason, sizeof(l.reason));
                token_drop(d, t); /* single use, whatever happens next */
        }
        l.n_grant_ids = cov.n_grant_ids;
        memcpy(l.grant_ids, cov.grant_ids, sizeof(l.grant_ids));
        r = sg_store_login_add(s, &l);
        if (r < 0) {
                (void)database_error(c, s, r);
                record_denial(d, NULL, &who, l.reason, "cannot record the login");
                return 0;
        }

        if (cov.expires_at == SG_TIME_NEVER)
                (void)snprintf(expires, sizeof(expires), "permanent");
        else if (sg_time_format_rfc3339(cov.expires_at, expires, sizeof(expires)) < 0)
                (void)snprintf(expires, sizeof(expires), "unknown");
        ids[0] = 0;
        for (size_t i = 0; i < cov.n_grant_ids && off < sizeof(ids); i++) {
                int n = snprintf(ids + off, sizeof(ids) - off, "%s%" PRId64, i ? "," : "",
                                 cov.grant_ids[i]);
                if (n < 0)
                        break;
                off += (size_t)n;
        }
        f = (struct sg_event_fields){
                .user = l.user,
                .grant_ids = ids,
                .login_id = l.id,
                .reason = l.reason,
                .service = who.service,
                .rhost = who.rhost,
                .expires = expires,
                .export = cov.export,
        };
        (void)snprintf(msg, sizeof(msg),
                       "Support login of %s%s%s accepted (login %" PRId64 ", grants %s)%s%s",
                       l.user, isempty(who.rhost) ? "" : " from ", who.rhost, l.id, ids,
                       l.reason[0] ? ": " : "", l.reason);
        (void)manager_record(d, s, SG_EVENT_LOGIN_ACCEPTED, LOG_NOTICE, &f, msg);
        log_debug("login %" PRId64 " of staff account %s accepted (process %d)", l.id, l.user,
                  (int)l.pid);

        out = coverage_to_json(&cov, true);
        if (!out)
                return -ENOMEM;
        (void)json_object_object_add(out, "id", json_object_new_int64(l.id));
        return conn_reply(c, out, false);
}

int method_login_close(struct conn *c, const struct params *args, const struct caller *caller)
{
        sg_store *s = NULL;
        struct sg_event_fields f = {.export = -1};
        struct login_subject who;
        struct sg_login l;
        uint64_t start = 0;
        int64_t id = args->id;
        char msg[SG_NAME_MAX + 64];
        int r;

        if (login_start(c, args, true, &who, &s) < 0)
                return 0;
        if (id > 0) {
                r = sg_store_login_get(s, id, &l);
                if (r == -ENOENT || (r >= 0 && !streq(l.user, who.id.user)))
                        return conn_errorf(c, ERR("NoSuchLogin"), "id", json_object_new_int64(id),
                                           "%s has no login %" PRId64, who.id.user, id);
                if (r < 0)
                        return database_error(c, s, r);
        } else {
                /* sshd may close in another process than the one that opened: the session's
                 * own, found by the process that opened it. */
                if (c->cred.pid <= 1 || sg_proc_start_time(c->cred.pid, &start) < 0)
                        r = -ENOENT;
                else
                        r = sg_store_login_find_open(s, who.id.user, c->cred.pid, start, &id);
                if (r == -ENOENT)
                        return conn_errorf(c, ERR("NoSuchLogin"), "id", json_object_new_int64(0),
                                           "no open session of %s by process %d", who.id.user,
                                           (int)c->cred.pid);
                if (r < 0)
                        return database_error(c, s, r);
        }
        r = sg_store_login_end(s, id, time(NULL), SG_END_CLOSED);
        if (r == -EALREADY) /* the daemon ended it and said so */
                return conn_reply(c, json_object_new_object(), false);
        if (r < 0)
                return database_error(c, s, r);
        f.user = who.id.user;
        f.login_id = id;
        f.service = who.service;
        f.rhost = who.rhost;
        (void)snprintf(msg, sizeof(msg), "Support session of %s closed (login %" PRId64 ")",
                       who.id.user, id);
        (void)manager_record(conn_manager(c), s, SG_EVENT_SESSION_CLOSED, LOG_INFO, &f, msg);
        return conn_reply(c, json_object_new_object(), false);
}
