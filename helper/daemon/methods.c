/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The methods of io.supportgrant (helper/daemon/io.supportgrant.varlink): parameter checks, the
 * authorization of every call, and the writes to the store with their journal events. */
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <syslog.h>

#include "authz.h"
#include "code.h"
#include "log.h"
#include "manager.h"
#include "methods.h"
#include "sessions.h"
#include "journal.h"
#include "json.h"
#include "reason.h"
#include "staff.h"
#include "timeutil.h"
#include "varlink.h"

static const char idl[] =
#include "io.supportgrant.varlink.h"
        ;

#define ERR(name) SG_VARLINK_INTERFACE "." name

#define LOGINS_PAGE       256  /* rows per streamed reply */
#define LOGINS_UNSTREAMED 1000 /* rows at most without "more" */

/* A Logins call with "more": served page by page as the client reads. */
struct logins_stream {
        time_t since, until;
        char user[SG_NAME_MAX];
        bool has_user;
        bool limited;
        size_t remaining; /* rows still to send when limited */
        time_t cursor_time;
        int64_t cursor_id;
};

/* Who is asking, resolved once per request. */
struct caller {
        struct sg_caller authz;
        char name[SG_NAME_MAX]; /* "uid 1234" when NSS does not know it */
        struct sg_identity id;
};

static struct manager *conn_manager(struct conn *c)
{
        return c->server->userdata;
}

static void store_closep(sg_store **s)
{
        sg_store_close(*s);
}
#define _cleanup_store_ _cleanup_(store_closep)

static int database_error(struct conn *c, sg_store *s, int r)
{
        log_error_errno(r, "database error: %s (%m)", s ? sg_store_errmsg(s) : "cannot open");
        return conn_errorf(c, ERR("DatabaseError"), NULL, NULL,
                           "the supportgrant database is unavailable (%s); see the system log",
                           strerror(-r));
}

/* ---- parameters -------------------------------------------------------------------------- */

static int invalid(struct conn *c, const char *key, const char *fmt, ...) _printf_(3, 4);
static int invalid(struct conn *c, const char *key, const char *fmt, ...)
{
        _cleanup_free_ char *text = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&text, fmt, ap);
        va_end(ap);
        (void)conn_errorf(c, "org.varlink.service.InvalidParameter", "parameter",
                          json_object_new_string(key), "%s", n < 0 ? "invalid parameter" : text);
        return -EINVAL;
}

#define PARAM(n, t, field)                                          \
        {                                                           \
                n, PARAM_##t, offsetof(struct params, field), false \
        }
#define PARAM_MANDATORY(n, t, field)                               \
        {                                                          \
                n, PARAM_##t, offsetof(struct params, field), true \
        }

/* One parameter into its field; a value of the wrong type is refused with the interface's
 * error, naming the parameter. Absent and null are the same. */
static int decode_param(struct conn *c, const struct param_spec *ps, json_object *v,
                        struct params *ret)
{
        void *field = (char *)ret + ps->offset;
        const char *text;

        if (!v) {
                if (!ps->mandatory)
                        return 0;
                if (ps->type == PARAM_BOOL)
                        return invalid(c, ps->name, "parameter '%s' must be true or false",
                                       ps->name);
                return invalid(c, ps->name, "parameter '%s' is required", ps->name);
        }
        switch (ps->type) {
        case PARAM_STRING:
        case PARAM_NAME:
        case PARAM_TIME:
                if (!json_object_is_type(v, json_type_string))
                        return invalid(c, ps->name, "parameter '%s' must be a string", ps->name);
                text = json_object_get_string(v);
                if (ps->type == PARAM_TIME) {
                        if (sg_time_parse_rfc3339(text, field) < 0)
                                return invalid(c, ps->name,
                                               "parameter '%s' must be an RFC 3339 time", ps->name);
                        return 0;
                }
                if (ps->type == PARAM_NAME && !sg_name_is_valid(text)) {
                        (void)conn_errorf(c, ERR("InvalidArgument"), "parameter",
                                          json_object_new_string(ps->name),
                                          "'%s' is not a valid user or group name", text);
                        return -EINVAL;
                }
                *(const char **)field = text;
                return 0;
        case PARAM_BOOL:
                if (!json_object_is_type(v, json_type_boolean))
                        return invalid(c, ps->name, "parameter '%s' must be true or false",
                                       ps->name);
                *(bool *)field = json_object_get_boolean(v);
                return 0;
        case PARAM_COUNT:
                if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                        return invalid(c, ps->name, "parameter '%s' must be an integer >= 0",
                                       ps->name);
                *(int64_t *)field = json_object_get_int64(v);
                return 0;
        case PARAM_ARRAY:
                if (!json_object_is_type(v, json_type_array))
                        return invalid(c, ps->name, "parameter '%s' must be an array of grant ids",
                                       ps->name);
                *(json_object **)field = v;
                return 0;
        }
        return -EINVAL;
}

/* The request's parameters into ret, by the method's specs (NULL-terminated). A parameter the
 * method does not know is refused (a typo must not be silently ignored) unless lenient. */
static int decode_params(struct conn *c, json_object *params, const struct param_spec *specs,
                         bool lenient, struct params *ret)
{
        if (!lenient) {
                json_object_object_foreach(params, key, val)
                {
                        const struct param_spec *ps = specs;

                        (void)val;
                        while (ps && ps->name && !streq(ps->name, key))
                                ps++;
                        if (!ps || !ps->name) {
                                (void)conn_errorf(c, "org.varlink.service.InvalidParameter",
                                                  "parameter", json_object_new_string(key),
                                                  "unknown parameter '%s'", key);
                                return -EINVAL;
                        }
                }
        }
        for (const struct param_spec *ps = specs; ps && ps->name; ps++) {
                json_object *v = NULL;
                int r;

                (void)json_object_object_get_ex(params, ps->name, &v);
                r = decode_param(c, ps, v, ret);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- callers ----------------------------------------------------------------------------- */

/* Staff unknown (SPEC §2): what the database remembers decides; when it cannot, the account
 * stays unknown and the caller fails closed. */
static void settle_staff(struct manager *d, struct sg_identity *id)
{
        _cleanup_(store_closep) sg_store *s = NULL;
        int r;

        r = manager_open_store(d, &s);
        if (r >= 0)
                r = sg_staff_settle(s, &d->cfg, id);
        if (r < 0)
                log_error_errno(r, "cannot tell whether %s is staff (staff group unknown): %m",
                                id->user);
}

static int resolve_caller(struct conn *c, struct caller *ret)
{
        struct manager *d = conn_manager(c);
        int r;

        memset(ret, 0, sizeof(*ret));
        ret->authz.uid = c->cred.uid;
        ret->authz.uid_min = d->uid_min;
        ret->authz.uid_max = d->uid_max;
        ret->authz.default_right = d->cfg.default_right;
        ret->authz.right = SG_RIGHT_DEFAULT;

        r = sg_identity_lookup_uid(&d->cfg, c->cred.uid, &ret->id);
        if (r >= 0 && ret->id.staff == SG_STAFF_UNKNOWN)
                settle_staff(d, &ret->id);
        if (r >= 0) {
                ret->authz.known = true;
                /* Staff unknown counts as staff here: it may only ask for its own status. */
                ret->authz.is_staff = ret->id.staff != SG_STAFF_NO;
                memcpy(ret->name, ret->id.user, sizeof(ret->name));
        } else {
                /* Unknown to NSS, or NSS failing: such a caller holds nothing. */
                (void)snprintf(ret->name, sizeof(ret->name), "uid %u", (unsigned)c->cred.uid);
                if (r != -ENOENT)
                        log_warning_errno(r, "cannot look up uid %u: %m", (unsigned)c->cred.uid);
        }
        return 0;
}

/* Root's explicit decision for this caller, needed only where the right matters. */
static int caller_load_right(struct conn *c, sg_store *s, struct caller *who)
{
        int r;

        if (!who->authz.known || who->authz.uid == 0)
                return 0;
        r = sg_store_right_get(s, who->name, &who->authz.right);
        if (r < 0) {
                (void)database_error(c, s, r);
                return -EIO;
        }
        return 0;
}

static int authorize(struct conn *c, const struct caller *who, enum sg_action a)
{
        enum sg_missing missing;

        if (sg_authorize(&who->authz, a, &missing) >= 0)
                return 0;
        log_notice("refused %s: lacks %s", who->name, sg_missing_to_string(missing));
        if (missing == SG_MISSING_RIGHT_TO_ACTIVATE && !who->authz.known)
                /* No name, so no "rights restore NAME" that could help. */
                (void)conn_errorf(c, ERR("PermissionDenied"), "missing",
                                  json_object_new_string("activate"),
                                  "%s has no user name on this host, and only known users may "
                                  "activate support access",
                                  who->name);
        else if (missing == SG_MISSING_RIGHT_TO_ACTIVATE)
                (void)conn_errorf(c, ERR("PermissionDenied"), "missing",
                                  json_object_new_string("activate"),
                                  "%s lacks the right to activate support access; root can give "
                                  "it with \"supportgrant rights restore %s\"",
                                  who->name, who->name);
        else if (missing == SG_MISSING_NOT_STAFF)
                (void)conn_errorf(c, ERR("PermissionDenied"), "missing",
                                  json_object_new_string("non-staff"),
                                  "%s is a staff account: staff accounts may only ask for their "
                                  "own status (\"supportgrant status\")",
                                  who->name);
        else if (missing == SG_MISSING_STAFF)
                (void)conn_errorf(c, ERR("PermissionDenied"), "missing",
                                  json_object_new_string("staff account"),
                                  "only the gate of a staff session reports a refused export; "
                                  "%s is not a staff account",
                                  who->name);
        else
                (void)conn_errorf(c, ERR("PermissionDenied"), "missing",
                                  json_object_new_string("root"),
                                  "only root may change who holds the right to activate support "
                                  "access");
        return -EPERM;
}

/* ---- targets ----------------------------------------------------------------------------- */

/* A grant's target as the caller typed it: refused unless it is a staff account or a department
 * NSS knows; its canonical name (SPEC §2 "names") into canonical, SG_NAME_MAX bytes. */
static int check_target(struct conn *c, enum sg_grant_kind kind, const char *target,
                        char *canonical)
{
        struct manager *d = conn_manager(c);
        struct sg_identity id;
        int r;

        if (kind == SG_GRANT_USER) {
                r = sg_identity_lookup(&d->cfg, target, &id);
                if (r >= 0)
                        memcpy(canonical, id.user, strlen(id.user) + 1);
                if (r == -ENOENT) {
                        (void)conn_errorf(c, ERR("NoSuchUser"), "user",
                                          json_object_new_string(target),
                                          "there is no user %s on this host", target);
                        return -ENOENT;
                }
                if (r >= 0 && id.staff == SG_STAFF_UNKNOWN)
                        settle_staff(d, &id);
                if (r >= 0 && id.staff == SG_STAFF_UNKNOWN) {
                        (void)conn_errorf(c, ERR("NotStaff"), "user",
                                          json_object_new_string(target),
                                          "cannot tell whether %s is a staff account: group %s "
                                          "does not resolve right now (see the system log)",
                                          target, d->cfg.staff_group);
                        return -EAGAIN;
                }
                if (r >= 0 && !id.is_staff) {
                        (void)conn_errorf(c, ERR("NotStaff"), "user",
                                          json_object_new_string(target),
                                          "%s is not a staff account (not a member of group %s)",
                                          target, d->cfg.staff_group);
                        return -EINVAL;
                }
        } else {
                r = sg_department_canonical(&d->cfg, target, canonical);
                if (r == -EISDIR) {
                        (void)conn_errorf(c, ERR("NoSuchDepartment"), "department",
                                          json_object_new_string(target),
                                          "%s is the staff group (%s), not a department: grant "
                                          "a user, or a department (a group %sNAME other than "
                                          "the staff group)",
                                          target, d->cfg.staff_group, d->cfg.department_prefix);
                        return -ENOENT;
                }
                if (r == -ENOENT) {
                        (void)conn_errorf(c, ERR("NoSuchDepartment"), "department",
                                          json_object_new_string(target),
                                          "there is no department %s (no group %s%s)", target,
                                          d->cfg.department_prefix, target);
                        return -ENOENT;
                }
        }
        if (r < 0) {
                log_error_errno(r, "cannot look up %s: %m", target);
                (void)conn_errorf(c, ERR("InvalidArgument"), "parameter",
                                  json_object_new_string("target"), "cannot look up %s: %s", target,
                                  strerror(-r));
                return r;
        }
        return 0;
}

/* ---- grants ------------------------------------------------------------------------------ */

static void journal_grant(enum sg_event e, const struct sg_grant *g, const char *actor)
{
        char expires[SG_RFC3339_MAX], msg[1024];
        struct sg_event_fields f = {.export = g->export};
        const char *what = g->kind == SG_GRANT_USER ? "user" : "department";
        int r;

        if (g->expires_at == SG_TIME_NEVER)
                (void)snprintf(expires, sizeof(expires), "permanent");
        else
                (void)sg_time_format_rfc3339(g->expires_at, expires, sizeof(expires));
        if (g->kind == SG_GRANT_USER)
                f.user = g->target;
        else
                f.department = g->target;
        f.grant_id = g->id;
        f.actor = actor;
        f.expires = expires;
        if (e == SG_EVENT_GRANT_CREATED)
                (void)snprintf(msg, sizeof(msg),
                               "Support access granted to %s %s by %s until %s (grant %" PRId64
                               ", %s, export %s, via %s)",
                               what, g->target, actor, expires, g->id,
                               sg_period_to_string(g->period), g->export ? "yes" : "no",
                               sg_via_to_string(g->via));
        else
                (void)snprintf(msg, sizeof(msg),
                               "Support access of %s %s revoked by %s (grant %" PRId64 ")", what,
                               g->target, actor, g->id);
        r = sg_journal_event(e, LOG_NOTICE, &f, msg);
        if (r < 0)
                log_error_errno(r, "cannot write to the journal: %m");
}

static int reply_grant(struct conn *c, const struct sg_grant *g)
{
        json_object *params = json_object_new_object();
        json_object *o = sg_grant_to_json(g, time(NULL));

        if (!params || !o) {
                json_object_put(params);
                json_object_put(o);
                return -ENOMEM;
        }
        (void)json_object_object_add(params, "grant", o);
        return conn_reply(c, params, false);
}

static int parse_kind(struct conn *c, const char *kind, enum sg_grant_kind *ret)
{
        if (kind && streq(kind, "user"))
                *ret = SG_GRANT_USER;
        else if (kind && streq(kind, "department"))
                *ret = SG_GRANT_DEPARTMENT;
        else
                return invalid(c, "kind", "parameter '%s' must be \"user\" or \"department\"",
                               "kind");
        return 0;
}

static int method_grant(struct conn *c, const struct params *args, const struct caller *who)
{
        struct manager *d = conn_manager(c);
        _cleanup_store_ sg_store *s = NULL;
        const char *target = args->target, *period = args->period, *note = args->note;
        struct sg_grant g = {.via = SG_VIA_CLI, .export = args->export};
        enum sg_text_error why;
        time_t now = time(NULL);
        int r;

        if (parse_kind(c, args->kind, &g.kind) < 0)
                return 0;
        if (!target)
                return invalid(c, "target", "parameter '%s' is required", "target"), 0;
        g.period = d->cfg.default_period;
        if (period && sg_period_from_string(period, &g.period) < 0)
                return conn_errorf(c, ERR("InvalidArgument"), "parameter",
                                   json_object_new_string("period"),
                                   "unknown period '%s' (" SG_PERIOD_NAMES ")", period);
        if (note && sg_text_check(note, 0, SG_NOTE_MAX_BYTES, g.note, sizeof(g.note), &why) < 0)
                return conn_errorf(c, ERR("InvalidArgument"), "parameter",
                                   json_object_new_string("note"), "the note %s",
                                   sg_text_error_to_string(why));
        if (check_target(c, g.kind, target, g.target) < 0)
                return 0;

        memcpy(g.granted_by, who->name, sizeof(g.granted_by));
        g.granted_at = now;
        r = sg_period_expiry(g.period, now, &g.expires_at);
        if (r < 0)
                return conn_errorf(c, ERR("InvalidArgument"), "parameter",
                                   json_object_new_string("period"),
                                   "cannot compute the expiry: %s", strerror(-r));

        r = manager_open_store(d, &s);
        if (r >= 0)
                r = sg_store_grant_add(s, &g);
        if (r < 0)
                return database_error(c, s, r);
        journal_grant(SG_EVENT_GRANT_CREATED, &g, who->name);
        log_info("grant %" PRId64 " for %s %s by %s", g.id, sg_grant_kind_to_string(g.kind),
                 g.target, who->name);
        (void)expiry_timer_update(d);
        return reply_grant(c, &g);
}

static int collect_grant(const struct sg_grant *g, void *userdata)
{
        json_object *arr = userdata;
        json_object *o = sg_grant_to_json(g, time(NULL));

        if (!o || json_object_array_add(arr, o) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        return 0;
}

struct grant_list {
        struct sg_grant *items;
        size_t n, size;
};

static int append_grant(const struct sg_grant *g, void *userdata)
{
        struct grant_list *l = userdata;

        if (GROW(l->items, l->size, l->n, 16) < 0)
                return -ENOMEM;
        l->items[l->n++] = *g;
        return 0;
}

static void grant_list_free(struct grant_list *l)
{
        free(l->items);
}

/* A name to select records by: its canonical spelling where NSS knows it, else as typed (the
 * records of an account that is gone stay reachable). */
static const char *canonical_filter(struct conn *c, bool department, const char *name, char *buf)
{
        int r;

        if (!name)
                return NULL;
        r = department ? sg_department_canonical(&conn_manager(c)->cfg, name, buf)
                       : sg_user_canonical(name, buf, NULL);
        return r >= 0 ? buf : name;
}

static int method_revoke(struct conn *c, const struct params *args, const struct caller *who)
{
        struct manager *d = conn_manager(c);
        _cleanup_store_ sg_store *s = NULL;
        _cleanup_(grant_list_free) struct grant_list l = {};
        json_object *ids = args->ids, *arr, *out;
        const char *user, *dept;
        char user_buf[SG_NAME_MAX], dept_buf[SG_NAME_MAX];
        bool all = args->all;
        time_t now = time(NULL);
        int selectors, r;

        user = canonical_filter(c, false, args->user, user_buf);
        dept = canonical_filter(c, true, args->department, dept_buf);
        selectors = !!(ids && json_object_array_length(ids) > 0) + !!user + !!dept + !!all;
        if (selectors != 1)
                return invalid(c, "ids",
                               "give exactly one of %s: grant ids, a user, a department or all",
                               "ids/user/department/all"),
                       0;

        r = manager_open_store(d, &s);
        if (r < 0)
                return database_error(c, s, r);

        if (ids) {
                /* Every named grant must exist and be active, or nothing is revoked. */
                for (size_t i = 0; i < json_object_array_length(ids); i++) {
                        json_object *v = json_object_array_get_idx(ids, i);
                        struct sg_grant g;
                        int64_t id;

                        if (!json_object_is_type(v, json_type_int) ||
                            (id = json_object_get_int64(v)) <= 0)
                                return invalid(c, "ids",
                                               "parameter '%s' must hold positive "
                                               "integers",
                                               "ids"),
                                       0;
                        r = sg_store_grant_get(s, id, &g);
                        if (r == -ENOENT)
                                return conn_errorf(c, ERR("NoSuchGrant"), "id",
                                                   json_object_new_int64(id),
                                                   "there is no grant %" PRId64, id);
                        if (r < 0)
                                return database_error(c, s, r);
                        if (sg_grant_state(&g, now) != SG_GRANT_ACTIVE)
                                return conn_errorf(
                                        c, ERR("GrantNotActive"), "id", json_object_new_int64(id),
                                        "grant %" PRId64 " is not active (it is %s); nothing "
                                        "was revoked",
                                        id, sg_grant_state_to_string(sg_grant_state(&g, now)));
                        r = append_grant(&g, &l);
                        if (r < 0)
                                return r;
                }
        } else if (all) {
                r = sg_store_grants_active(s, now, append_grant, &l);
        } else {
                r = sg_store_grants_active_for(s, user ? SG_GRANT_USER : SG_GRANT_DEPARTMENT,
                                               user ? user : dept, now, append_grant, &l);
        }
        if (r < 0)
                return database_error(c, s, r);

        r = sg_store_begin(s);
        for (size_t i = 0; r >= 0 && i < l.n; i++) {
                r = sg_store_grant_revoke(s, l.items[i].id, now, who->name);
                if (r == -EALREADY)
                        r = 0; /* revoked meanwhile by someone else: the outcome stands */
                l.items[i].revoked_at = now;
                memcpy(l.items[i].revoked_by, who->name, sizeof(l.items[i].revoked_by));
        }
        if (r >= 0)
                r = sg_store_commit(s);
        if (r < 0) {
                sg_store_rollback(s);
                return database_error(c, s, r);
        }

        out = json_object_new_object();
        arr = json_object_new_array();
        if (!out || !arr) {
                json_object_put(out);
                json_object_put(arr);
                return -ENOMEM;
        }
        for (size_t i = 0; i < l.n; i++) {
                journal_grant(SG_EVENT_GRANT_REVOKED, &l.items[i], who->name);
                log_info("grant %" PRId64 " revoked by %s", l.items[i].id, who->name);
                (void)collect_grant(&l.items[i], arr);
        }
        (void)json_object_object_add(out, "revoked", arr);
        r = conn_reply(c, out, false);
        /* Sessions that no grant covers any more end now, not at the next timer. */
        if (l.n > 0) {
                (void)sessions_sweep(d, "revocation");
                (void)expiry_timer_update(d);
        }
        return r;
}

static int reply_grants(struct conn *c, sg_store *s,
                        int (*query)(sg_store *, time_t, time_t, sg_grant_cb, void *), time_t a,
                        time_t b)
{
        json_object *params = json_object_new_object(), *arr = json_object_new_array();
        int r;

        if (!params || !arr) {
                json_object_put(params);
                json_object_put(arr);
                return -ENOMEM;
        }
        (void)json_object_object_add(params, "grants", arr);
        r = query(s, a, b, collect_grant, arr);
        if (r < 0) {
                json_object_put(params);
                return database_error(c, s, r);
        }
        return conn_reply(c, params, false);
}

static int grants_active_query(sg_store *s, time_t now, time_t unused, sg_grant_cb cb,
                               void *userdata)
{
        return sg_store_grants_active(s, now, cb, userdata);
}

static int method_list(struct conn *c, const struct params *args, const struct caller *who)
{
        _cleanup_store_ sg_store *s = NULL;
        int r;

        r = manager_open_store(conn_manager(c), &s);
        if (r < 0)
                return database_error(c, s, r);
        return reply_grants(c, s, grants_active_query, time(NULL), 0);
}

static int method_history(struct conn *c, const struct params *args, const struct caller *who)
{
        _cleanup_store_ sg_store *s = NULL;
        int r;

        r = manager_open_store(conn_manager(c), &s);
        if (r < 0)
                return database_error(c, s, r);
        return reply_grants(c, s, sg_store_grants_between, args->since, args->until);
}

/* ---- logins ------------------------------------------------------------------------------ */

struct page {
        json_object *arr;
        size_t n;
        time_t last_time;
        int64_t last_id;
};

static int collect_login(const struct sg_login *l, void *userdata)
{
        struct page *p = userdata;
        json_object *o = sg_login_to_json(l);

        if (!o || json_object_array_add(p->arr, o) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        p->n++;
        p->last_time = l->time;
        p->last_id = l->id;
        return 0;
}

/* Sends the next page of a streamed Logins call; the last one without "continues". */
static int logins_stream_next(struct conn *c, void *data)
{
        struct logins_stream *st = data;
        _cleanup_store_ sg_store *s = NULL;
        struct page p = {};
        json_object *params;
        size_t want = LOGINS_PAGE;
        bool last;
        int r;

        if (st->limited && st->remaining < want)
                want = st->remaining;
        r = manager_open_store(conn_manager(c), &s);
        if (r < 0) {
                conn_end_more(c);
                return database_error(c, s, r);
        }
        params = json_object_new_object();
        p.arr = json_object_new_array();
        if (!params || !p.arr) {
                json_object_put(params);
                json_object_put(p.arr);
                return -ENOMEM;
        }
        (void)json_object_object_add(params, "logins", p.arr);
        r = sg_store_logins_page(s, st->since, st->until, st->has_user ? st->user : NULL,
                                 st->cursor_time, st->cursor_id, want, collect_login, &p);
        if (r < 0) {
                json_object_put(params);
                conn_end_more(c);
                return database_error(c, s, r);
        }
        if (st->limited)
                st->remaining -= p.n;
        st->cursor_time = p.last_time;
        st->cursor_id = p.last_id;
        last = p.n < want || (st->limited && st->remaining == 0);
        if (last)
                conn_end_more(c);
        return conn_reply(c, params, !last);
}

static int method_logins(struct conn *c, const struct params *args, const struct caller *who)
{
        struct logins_stream st = {.since = args->since, .until = args->until}, *stream;
        char user_buf[SG_NAME_MAX];
        const char *user;
        bool more = args->more;
        int64_t limit = args->limit;

        user = canonical_filter(c, false, args->user, user_buf);
        if (user) {
                st.has_user = true;
                memcpy(st.user, user, strlen(user) + 1);
        }
        if (!more && (limit == 0 || limit > LOGINS_UNSTREAMED))
                limit = LOGINS_UNSTREAMED;
        st.remaining = (size_t)limit;
        st.limited = limit > 0;
        st.cursor_time = st.until;
        st.cursor_id = INT64_MAX;
        if (!more) {
                /* One reply with up to the limit. */
                _cleanup_store_ sg_store *s = NULL;
                struct page p = {};
                json_object *out;
                int r;

                r = manager_open_store(conn_manager(c), &s);
                if (r < 0)
                        return database_error(c, s, r);
                out = json_object_new_object();
                p.arr = json_object_new_array();
                if (!out || !p.arr) {
                        json_object_put(out);
                        json_object_put(p.arr);
                        return -ENOMEM;
                }
                (void)json_object_object_add(out, "logins", p.arr);
                r = sg_store_logins_between(s, st.since, st.until, user, (size_t)limit,
                                            collect_login, &p);
                if (r < 0) {
                        json_object_put(out);
                        return database_error(c, s, r);
                }
                return conn_reply(c, out, false);
        }
        stream = malloc(sizeof(*stream));
        if (!stream)
                return -ENOMEM;
        *stream = st;
        conn_set_more(c, logins_stream_next, stream);
        return logins_stream_next(c, stream);
}

/* ---- status ------------------------------------------------------------------------------ */

static int count_cb(const void *item, void *userdata)
{
        (*(int64_t *)userdata)++;
        return 0;
}

static int count_grant(const struct sg_grant *g, void *userdata)
{
        return count_cb(g, userdata);
}

static int count_login(const struct sg_login *l, void *userdata)
{
        return count_cb(l, userdata);
}

static int method_status(struct conn *c, const struct params *args, const struct caller *who)
{
        struct manager *d = conn_manager(c);
        _cleanup_store_ sg_store *s = NULL;
        json_object *out;
        int r;

        r = manager_open_store(d, &s);
        if (r < 0)
                return database_error(c, s, r);
        out = json_object_new_object();
        if (!out)
                return -ENOMEM;
        (void)json_object_object_add(out, "user", json_object_new_string(who->name));
        (void)json_object_object_add(out, "staff", json_object_new_boolean(who->authz.is_staff));
        if (who->authz.is_staff) {
                const char *deps[SG_MAX_DEPARTMENTS];
                struct sg_coverage cov;
                json_object *ids = json_object_new_array();
                size_t n;

                sg_identity_departments(&who->id, deps, &n);
                r = sg_store_coverage(s, who->id.user, deps, n, time(NULL), &cov);
                if (r < 0 || !ids) {
                        json_object_put(ids);
                        json_object_put(out);
                        return database_error(c, s, r < 0 ? r : -ENOMEM);
                }
                for (size_t i = 0; i < cov.n_grant_ids; i++)
                        (void)json_object_array_add(ids, json_object_new_int64(cov.grant_ids[i]));
                (void)json_object_object_add(out, "covered", json_object_new_boolean(r > 0));
                (void)json_object_object_add(out, "expires_at",
                                             r > 0 ? sg_time_to_json(cov.expires_at) : NULL);
                (void)json_object_object_add(out, "export",
                                             json_object_new_boolean(r > 0 && cov.export));
                /* Export may end before access does (a 'today' grant with export beside a week
                 * without): say until when, so status does not overstate it. */
                (void)json_object_object_add(out, "export_until",
                                             r > 0 && cov.export ? sg_time_to_json(cov.export_until)
                                                                 : NULL);
                (void)json_object_object_add(out, "grant_ids", ids);
                (void)json_object_object_add(out, "may_activate", json_object_new_boolean(0));
                return conn_reply(c, out, false);
        }

        r = caller_load_right(c, s, (struct caller *)who);
        if (r < 0) {
                json_object_put(out);
                return 0;
        }
        (void)json_object_object_add(out, "may_activate",
                                     json_object_new_boolean(sg_caller_may_activate(&who->authz)));
        if (sg_caller_may_activate(&who->authz)) {
                int64_t grants = 0, sessions = 0;

                r = sg_store_grants_active(s, time(NULL), count_grant, &grants);
                if (r >= 0)
                        r = sg_store_open_sessions(s, count_login, &sessions);
                if (r < 0) {
                        json_object_put(out);
                        return database_error(c, s, r);
                }
                (void)json_object_object_add(out, "active_grants", json_object_new_int64(grants));
                (void)json_object_object_add(out, "open_sessions", json_object_new_int64(sessions));
        }
        return conn_reply(c, out, false);
}

/* ---- activation codes -------------------------------------------------------------------- */

/* An error about a code with the two facts the caller shows (io.supportgrant.varlink). */
static int code_error(struct conn *c, const char *error, const char *k1, const char *v1,
                      const char *k2, const char *v2, const char *fmt, ...) _printf_(7, 8);
static int code_error(struct conn *c, const char *error, const char *k1, const char *v1,
                      const char *k2, const char *v2, const char *fmt, ...)
{
        json_object *params = json_object_new_object();
        _cleanup_free_ char *text = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (!params || n < 0) {
                json_object_put(params);
                return -ENOMEM;
        }
        (void)json_object_object_add(params, k1, json_object_new_string(v1));
        (void)json_object_object_add(params, k2, json_object_new_string(v2));
        (void)json_object_object_add(params, "message", json_object_new_string(text));
        return conn_error(c, error, params);
}

static int method_activate(struct conn *c, const struct params *args, const struct caller *who)
{
        struct manager *d = conn_manager(c);
        _cleanup_store_ sg_store *s = NULL;
        struct sg_code code;
        enum sg_code_error why;
        struct sg_grant g = {.via = SG_VIA_CODE};
        char code_id[2 * SG_CODE_NONCE_LEN + 1], used_by[SG_NAME_MAX] = "", when[SG_RFC3339_MAX];
        const char *text = args->code;
        time_t now = time(NULL), valid_until, used_at = 0;
        int r;

        if (sg_code_decode(text, &code, &why) < 0)
                return conn_errorf(c, ERR("CodeInvalid"), NULL, NULL,
                                   "this is not a valid activation code: %s",
                                   sg_code_error_to_string(why));
        (void)sg_time_format_rfc3339(code.created, when, sizeof(when));
        if (sg_duration_add(&d->cfg.code_validity, code.created, &valid_until) < 0 ||
            now > valid_until) {
                char validity[64];

                if (sg_duration_format(&d->cfg.code_validity, validity, sizeof(validity)) < 0)
                        validity[0] = '\0';
                /* The validity is the daemon's: the caller's configuration may say otherwise. */
                return code_error(c, ERR("CodeExpired"), "created", when, "validity", validity,
                                  "this activation code was made at %s and has expired; ask "
                                  "for a new one",
                                  when);
        }
        /* Codes may be made on another machine: allow its clock a few minutes of error, no
         * more. Every second allowed here lengthens the code's validity. */
        if (code.created > now + MANAGER_CODE_CLOCK_SKEW)
                return conn_errorf(c, ERR("CodeInvalid"), NULL, NULL,
                                   "this activation code is dated in the future (%s); check the "
                                   "clocks",
                                   when);
        if (check_target(c, code.kind, code.target, g.target) < 0)
                return 0;

        g.kind = code.kind;
        g.export = code.export;
        g.period = code.period;
        memcpy(g.note, code.note, sizeof(g.note));
        memcpy(g.granted_by, who->name, sizeof(g.granted_by));
        g.granted_at = now; /* the period counts from redemption */
        r = sg_period_expiry(g.period, now, &g.expires_at);
        if (r < 0)
                return conn_errorf(c, ERR("CodeInvalid"), NULL, NULL,
                                   "cannot compute the expiry: %s", strerror(-r));
        sg_code_id(&code, code_id);

        r = manager_open_store(d, &s);
        if (r < 0)
                return database_error(c, s, r);
        /* The grant and the used mark land together or not at all. */
        r = sg_store_begin(s);
        if (r >= 0)
                r = sg_store_grant_add(s, &g);
        if (r >= 0)
                r = sg_store_code_mark_used(s, code_id, code.created, now, who->name, g.id,
                                            &used_at, used_by);
        if (r == -EEXIST) {
                char used[SG_RFC3339_MAX];

                sg_store_rollback(s);
                (void)sg_time_format_rfc3339(used_at, used, sizeof(used));
                return code_error(c, ERR("CodeUsed"), "used_at", used, "used_by", used_by,
                                  "this activation code was already used at %s by %s", used,
                                  used_by);
        }
        if (r >= 0)
                r = sg_store_commit(s);
        if (r < 0) {
                sg_store_rollback(s);
                return database_error(c, s, r);
        }
        journal_grant(SG_EVENT_GRANT_CREATED, &g, who->name);
        log_info("grant %" PRId64 " for %s %s by %s from code %s", g.id,
                 sg_grant_kind_to_string(g.kind), g.target, who->name, code_id);
        (void)expiry_timer_update(d);
        return reply_grant(c, &g);
}

/* ---- rights ------------------------------------------------------------------------------ */

static json_object *right_to_json(const char *user, int64_t uid, bool holds, const char *source,
                                  time_t changed_at, const char *changed_by)
{
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        (void)json_object_object_add(o, "user", json_object_new_string(user));
        (void)json_object_object_add(o, "uid", uid >= 0 ? json_object_new_int64(uid) : NULL);
        (void)json_object_object_add(o, "holds", json_object_new_boolean(holds));
        (void)json_object_object_add(o, "source", json_object_new_string(source));
        (void)json_object_object_add(o, "changed_at", sg_time_to_json(changed_at));
        (void)json_object_object_add(
                o, "changed_by", isempty(changed_by) ? NULL : json_object_new_string(changed_by));
        return o;
}

/* What a user's right looks like from here: the same rules as sg_caller_may_activate(). */
static json_object *describe_right(struct manager *d, const char *user,
                                   const struct sg_right_entry *e)
{
        struct sg_caller cl = {.uid_min = d->uid_min,
                               .uid_max = d->uid_max,
                               .default_right = d->cfg.default_right,
                               .right = e ? e->right : SG_RIGHT_DEFAULT};
        struct sg_identity id;
        const char *source;
        int64_t uid = -1;

        if (sg_identity_lookup(&d->cfg, user, &id) >= 0) {
                cl.known = true;
                cl.uid = id.uid;
                cl.is_staff = id.is_staff;
                uid = id.uid;
        }
        if (uid == 0)
                source = "root";
        else if (cl.is_staff)
                source = "staff";
        else if (cl.right == SG_RIGHT_GRANTED)
                source = "granted";
        else if (cl.right == SG_RIGHT_REVOKED)
                source = "revoked";
        else if (cl.known && (cl.uid < cl.uid_min || cl.uid > cl.uid_max))
                source = "service";
        else
                source = "default";
        return right_to_json(user, uid, cl.known && sg_caller_may_activate(&cl), source,
                             e ? e->changed_at : 0, e ? e->changed_by : NULL);
}

struct rights_collect {
        struct manager *d;
        json_object *arr;
        struct sg_right_entry *entries;
        size_t n, size;
};

static int collect_right(const struct sg_right_entry *e, void *userdata)
{
        struct rights_collect *rc = userdata;

        if (GROW(rc->entries, rc->size, rc->n, 16) < 0)
                return -ENOMEM;
        rc->entries[rc->n++] = *e;
        return 0;
}

static const struct sg_right_entry *find_entry(const struct rights_collect *rc, const char *user)
{
        for (size_t i = 0; i < rc->n; i++)
                if (streq(rc->entries[i].user, user))
                        return &rc->entries[i];
        return NULL;
}

static int method_rights(struct conn *c, const struct params *args, const struct caller *who)
{
        struct manager *d = conn_manager(c);
        _cleanup_store_ sg_store *s = NULL;
        struct rights_collect rc = {.d = d};
        json_object *out, *arr;
        struct passwd *pw;
        size_t listed = 0;
        int r;

        r = manager_open_store(d, &s);
        if (r >= 0)
                r = sg_store_rights_list(s, collect_right, &rc);
        if (r < 0) {
                free(rc.entries);
                return database_error(c, s, r);
        }
        out = json_object_new_object();
        arr = json_object_new_array();
        if (!out || !arr) {
                free(rc.entries);
                json_object_put(out);
                json_object_put(arr);
                return -ENOMEM;
        }
        (void)json_object_object_add(out, "rights", arr);

        /* Human accounts NSS can enumerate (local ones at least), then root's explicit
         * decisions about anyone else (LDAP users that are not enumerated). */
        setpwent();
        while ((pw = getpwent()) && listed < 10000) {
                bool human = pw->pw_uid >= d->uid_min && pw->pw_uid <= d->uid_max;

                if (!sg_name_is_valid(pw->pw_name))
                        continue;
                if (pw->pw_uid != 0 && !human && !find_entry(&rc, pw->pw_name))
                        continue;
                (void)json_object_array_add(
                        arr, describe_right(d, pw->pw_name, find_entry(&rc, pw->pw_name)));
                listed++;
        }
        endpwent();
        for (size_t i = 0; i < rc.n; i++) {
                bool seen = false;

                for (size_t j = 0; j < json_object_array_length(arr) && !seen; j++) {
                        json_object *u;

                        if (json_object_object_get_ex(json_object_array_get_idx(arr, j), "user",
                                                      &u) &&
                            streq(json_object_get_string(u), rc.entries[i].user))
                                seen = true;
                }
                if (!seen)
                        (void)json_object_array_add(
                                arr, describe_right(d, rc.entries[i].user, &rc.entries[i]));
        }
        free(rc.entries);
        return conn_reply(c, out, false);
}

static int method_set_right(struct conn *c, const struct params *args, const struct caller *who)
{
        struct manager *d = conn_manager(c);
        _cleanup_store_ sg_store *s = NULL;
        struct sg_identity id;
        struct sg_right_entry e = {};
        struct sg_event_fields f = {.export = -1};
        json_object *out;
        const char *user = args->user;
        bool holds = args->holds;
        char msg[SG_NAME_MAX * 2 + 128];
        int r;

        r = sg_identity_lookup(&d->cfg, user, &id);
        if (r == -ENOENT)
                return conn_errorf(c, ERR("NoSuchUser"), "user", json_object_new_string(user),
                                   "there is no user %s on this host", user);
        if (r < 0)
                return conn_errorf(c, ERR("InvalidArgument"), "parameter",
                                   json_object_new_string("user"), "cannot look up %s: %s", user,
                                   strerror(-r));
        user = id.user; /* stored and shown canonically (SPEC §2 "names") */
        if (id.uid == 0)
                return conn_errorf(c, ERR("InvalidArgument"), "parameter",
                                   json_object_new_string("user"),
                                   "root always holds the right to activate support access");
        if (id.is_staff && holds)
                return conn_errorf(c, ERR("NotStaff"), "user", json_object_new_string(user),
                                   "%s is a staff account; staff accounts never hold the right to "
                                   "activate support access",
                                   user);

        r = manager_open_store(d, &s);
        if (r >= 0)
                r = sg_store_right_set(s, user, holds ? SG_RIGHT_GRANTED : SG_RIGHT_REVOKED,
                                       time(NULL), who->name);
        if (r < 0)
                return database_error(c, s, r);

        f.user = user;
        f.actor = who->name;
        (void)snprintf(msg, sizeof(msg), "Right to activate support access %s %s by %s",
                       holds ? "given to" : "taken from", user, who->name);
        r = sg_journal_event(SG_EVENT_RIGHT_CHANGED, LOG_NOTICE, &f, msg);
        if (r < 0)
                log_error_errno(r, "cannot write to the journal: %m");
        log_info("%s", msg);

        memcpy(e.user, user, strlen(user) + 1);
        e.right = holds ? SG_RIGHT_GRANTED : SG_RIGHT_REVOKED;
        e.changed_at = time(NULL);
        memcpy(e.changed_by, who->name, sizeof(e.changed_by));
        out = json_object_new_object();
        if (!out)
                return -ENOMEM;
        (void)json_object_object_add(out, "right", describe_right(d, user, &e));
        return conn_reply(c, out, false);
}

/* ---- org.varlink.service ----------------------------------------------------------------- */

static int method_get_info(struct conn *c, const struct params *args, const struct caller *who)
{
        json_object *out = json_object_new_object(), *ifaces = json_object_new_array();

        if (!out || !ifaces) {
                json_object_put(out);
                json_object_put(ifaces);
                return -ENOMEM;
        }
        (void)json_object_array_add(ifaces, json_object_new_string("org.varlink.service"));
        (void)json_object_array_add(ifaces, json_object_new_string(SG_VARLINK_INTERFACE));
        (void)json_object_object_add(out, "vendor", json_object_new_string("supportgrant"));
        (void)json_object_object_add(out, "product", json_object_new_string("supportgrantd"));
        (void)json_object_object_add(out, "version", json_object_new_string(SG_VERSION));
        (void)json_object_object_add(out, "url",
                                     json_object_new_string("https://supportgrant.invalid/"));
        (void)json_object_object_add(out, "interfaces", ifaces);
        return conn_reply(c, out, false);
}

static int method_get_description(struct conn *c, const struct params *args,
                                  const struct caller *who)
{
        const char *iface = args->interface;
        json_object *out;

        if (!iface || !streq(iface, SG_VARLINK_INTERFACE))
                return conn_errorf(c, "org.varlink.service.InterfaceNotFound", "interface",
                                   json_object_new_string(strempty(iface)),
                                   "unknown interface '%s'", strempty(iface));
        out = json_object_new_object();
        if (!out)
                return -ENOMEM;
        (void)json_object_object_add(out, "description", json_object_new_string(idl));
        return conn_reply(c, out, false);
}

/* ---- export ------------------------------------------------------------------------------ */

/* A command line for the journal: printable ASCII as it is (a backslash doubled), everything
 * else as \xNN, so that no terminal escape or newline reaches a reader; "..." when cut. */
static void command_printable(const char *in, char *buf, size_t size)
{
        size_t o = 0;

        for (; *in; in++) {
                unsigned char ch = (unsigned char)*in;
                bool plain = ch >= 0x20 && ch < 0x7f && ch != '\\';

                if (o + 8 > size) {
                        memcpy(buf + o, "...", 4);
                        return;
                }
                if (plain)
                        buf[o++] = (char)ch;
                else
                        o += (size_t)snprintf(buf + o, size - o, ch == '\\' ? "\\\\" : "\\x%02x",
                                              ch);
        }
        buf[o] = 0;
}

/* The gate of a staff session refused something: journaled here, by root, under the caller's
 * own name (SPEC §8), so that every genuine entry has _UID=0 and no one can speak for another.
 * What the caller says it refused is shown escaped. */
static int method_export_refused(struct conn *c, const struct params *args,
                                 const struct caller *who)
{
        struct sg_event_fields f = {.export = 0, .service = "sshd"};
        char what[128], command[4 * 400 + 8], rhost[4 * 64 + 8], msg[2600];
        const char *w = args->what, *cmd = args->command, *rh = args->rhost;
        int r;

        if (isempty(w) || strlen(w) > 64)
                return invalid(c, "what", "parameter '%s' is required (at most 64 bytes)", "what"),
                       0;
        if (!cmd || strlen(cmd) > 4096)
                return invalid(c, "command", "parameter '%s' is required (at most 4096 bytes)",
                               "command"),
                       0;
        command_printable(w, what, sizeof(what));
        command_printable(cmd, command, sizeof(command));
        (void)sg_name_printable(strempty(rh), rhost, sizeof(rhost));
        f.user = who->name;
        f.rhost = rhost[0] ? rhost : NULL;
        f.command = command;
        (void)snprintf(msg, sizeof(msg), "Data export refused for %s%s%s: %s (%s)", who->name,
                       rhost[0] ? " from " : "", rhost, what, command);
        r = sg_journal_event(SG_EVENT_EXPORT_REFUSED, LOG_WARNING, &f, msg);
        if (r < 0) {
                log_error_errno(r, "cannot write to the journal: %m");
                return conn_errorf(c, ERR("DatabaseError"), NULL, NULL,
                                   "cannot write to the journal: %s", strerror(-r));
        }
        return conn_reply(c, json_object_new_object(), false);
}

/* The gate of a staff session is about to export, in the calling process: allowed only with
 * the export right now, and then remembered, so that the session ends with the right. */
static int method_export_started(struct conn *c, const struct params *args,
                                 const struct caller *who)
{
        struct manager *d = conn_manager(c);
        _cleanup_store_ sg_store *s = NULL;
        const char *deps[SG_MAX_DEPARTMENTS];
        struct sg_coverage cov = {};
        json_object *out;
        bool export;
        size_t n;
        int r;

        export = who->authz.is_staff && who->id.staff == SG_STAFF_YES && c->cred.pid > 1;
        if (export) {
                r = manager_open_store(d, &s);
                if (r < 0)
                        return database_error(c, s, r);
                sg_identity_departments(&who->id, deps, &n);
                r = sg_store_coverage(s, who->id.user, deps, n, time(NULL), &cov);
                if (r < 0)
                        return database_error(c, s, r);
                export = r > 0 && cov.export;
        }
        if (export) {
                r = exports_add(d, c->cred.pid, c->cred.uid, who->id.user);
                if (r < 0) {
                        log_error_errno(r,
                                        "cannot remember the export session of %s (process %d): %m",
                                        who->id.user, (int)c->cred.pid);
                        export = false;
                }
        }
        out = json_object_new_object();
        if (!out)
                return -ENOMEM;
        (void)json_object_object_add(out, "export", json_object_new_boolean(export));
        return conn_reply(c, out, false);
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static int method_ping(struct conn *c, const struct params *args, const struct caller *who)
{
        return conn_reply(c, json_object_new_object(), false);
}

static const struct param_spec no_params[] = {{}};
static const struct param_spec grant_params[] = {
        PARAM("kind", STRING, kind),     PARAM("target", NAME, target),
        PARAM("period", STRING, period), PARAM("export", BOOL, export),
        PARAM("note", STRING, note),     {},
};
static const struct param_spec revoke_params[] = {
        PARAM("user", NAME, user),
        PARAM("department", NAME, department),
        PARAM("all", BOOL, all),
        PARAM("ids", ARRAY, ids),
        {},
};
static const struct param_spec window_params[] = {
        PARAM("since", TIME, since),
        PARAM("until", TIME, until),
        {},
};
static const struct param_spec logins_params[] = {
        PARAM("since", TIME, since),
        PARAM("until", TIME, until),
        PARAM("user", NAME, user),
        PARAM("limit", COUNT, limit),
        {},
};
static const struct param_spec activate_params[] = {
        PARAM_MANDATORY("code", STRING, code),
        {},
};
static const struct param_spec set_right_params[] = {
        PARAM_MANDATORY("user", NAME, user),
        PARAM_MANDATORY("holds", BOOL, holds),
        {},
};
static const struct param_spec export_refused_params[] = {
        PARAM("what", STRING, what),
        PARAM("command", STRING, command),
        PARAM("rhost", STRING, rhost),
        {},
};
static const struct param_spec description_params[] = {
        PARAM("interface", STRING, interface),
        {},
};

const struct method methods_table[] = {
        {"org.varlink.service.GetInfo", method_get_info, SG_ACTION_PING, false, no_params, true},
        {"org.varlink.service.GetInterfaceDescription", method_get_description, SG_ACTION_PING,
         false, description_params, true},
        {SG_VARLINK_INTERFACE ".Ping", method_ping, SG_ACTION_PING, false, no_params, false},
        {SG_VARLINK_INTERFACE ".Status", method_status, SG_ACTION_STATUS, false, no_params, false},
        {SG_VARLINK_INTERFACE ".Grant", method_grant, SG_ACTION_GRANT, true, grant_params, false},
        {SG_VARLINK_INTERFACE ".Revoke", method_revoke, SG_ACTION_REVOKE, true, revoke_params,
         false},
        {SG_VARLINK_INTERFACE ".List", method_list, SG_ACTION_LIST, true, no_params, false},
        {SG_VARLINK_INTERFACE ".History", method_history, SG_ACTION_HISTORY, true, window_params,
         false},
        {SG_VARLINK_INTERFACE ".Logins", method_logins, SG_ACTION_LOGINS, true, logins_params,
         false},
        {SG_VARLINK_INTERFACE ".Activate", method_activate, SG_ACTION_ACTIVATE, true,
         activate_params, false},
        {SG_VARLINK_INTERFACE ".Rights", method_rights, SG_ACTION_RIGHTS_LIST, true, no_params,
         false},
        {SG_VARLINK_INTERFACE ".SetRight", method_set_right, SG_ACTION_RIGHTS_CHANGE, false,
         set_right_params, false},
        {SG_VARLINK_INTERFACE ".ExportRefused", method_export_refused, SG_ACTION_EXPORT_REFUSED,
         false, export_refused_params, false},
        {SG_VARLINK_INTERFACE ".ExportStarted", method_export_started, SG_ACTION_EXPORT_STARTED,
         false, no_params, false},
};

const size_t methods_table_size = ELEMENTSOF(methods_table);

int methods_dispatch(struct conn *c, json_object *request, void *userdata)
{
        struct manager *d = userdata;
        json_object *m = NULL, *params = NULL, *more = NULL;
        _cleanup_(json_object_putp) json_object *empty = NULL;
        _cleanup_store_ sg_store *s = NULL;
        const struct method *row = NULL;
        struct params args = {.until = SG_TIME_NEVER};
        struct caller who;
        const char *method;
        int r;

        if (!json_object_object_get_ex(request, "method", &m) ||
            !json_object_is_type(m, json_type_string))
                return conn_errorf(c, "org.varlink.service.InvalidParameter", "parameter",
                                   json_object_new_string("method"), "no method in the request");
        method = json_object_get_string(m);
        if (json_object_object_get_ex(request, "parameters", &params) && params &&
            !json_object_is_type(params, json_type_object))
                return conn_errorf(c, "org.varlink.service.InvalidParameter", "parameter",
                                   json_object_new_string("parameters"),
                                   "parameters must be an object");
        if (!params) {
                params = empty = json_object_new_object();
                if (!params)
                        return -ENOMEM;
        }
        if (json_object_object_get_ex(request, "more", &more) && more)
                args.more = json_object_get_boolean(more);

        for (size_t i = 0; i < methods_table_size && !row; i++)
                if (streq(method, methods_table[i].name))
                        row = &methods_table[i];
        if (!row)
                return conn_errorf(c, "org.varlink.service.MethodNotFound", "method",
                                   json_object_new_string(method), "unknown method '%s'", method);

        resolve_caller(c, &who);
        if (row->needs_right && who.authz.known && who.authz.uid != 0 && !who.authz.is_staff) {
                r = manager_open_store(d, &s);
                if (r < 0)
                        return database_error(c, s, r);
                if (caller_load_right(c, s, &who) < 0)
                        return 0;
        }
        if (authorize(c, &who, row->action) < 0)
                return 0;
        log_debug("%s calls %s", who.name, method);
        if (sg_duration_sub(&d->cfg.retention, time(NULL), &args.since) < 0)
                args.since = 0;
        if (decode_params(c, params, row->params, row->lenient, &args) < 0)
                return 0;
        return row->handler(c, &args, &who);
}
