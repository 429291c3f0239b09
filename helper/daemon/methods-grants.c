/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Grant, Revoke, List and History, and the checks and journal entries of a grant. */
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <syslog.h>

#include "authz.h"
#include "code.h"
#include "journal.h"
#include "json.h"
#include "log.h"
#include "methods-private.h"
#include "methods.h"
#include "reason.h"
#include "sessions.h"
#include "staff.h"
#include "timeutil.h"

/* ---- targets ----------------------------------------------------------------------------- */

/* A grant's target as the caller typed it: refused unless it is a staff account or a department
 * NSS knows; its canonical name (SPEC §2 "names") into canonical, SG_NAME_MAX bytes. */
int check_target(struct conn *c, enum sg_grant_kind kind, const char *target, char *canonical)
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

void record_grant(struct manager *d, sg_store *s, enum sg_event e, const struct sg_grant *g,
                  const char *actor)
{
        char expires[SG_RFC3339_MAX], msg[1024];
        struct sg_event_fields f = {.export = g->export};
        const char *what = g->kind == SG_GRANT_USER ? "user" : "department";

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
        (void)manager_record(d, s, e, LOG_NOTICE, &f, msg);
}

int reply_grant(struct conn *c, const struct sg_grant *g)
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

int method_grant(struct conn *c, const struct params *args, const struct caller *who)
{
        struct manager *d = conn_manager(c);
        sg_store *s = NULL;
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

        r = manager_store(d, &s);
        if (r >= 0)
                r = sg_store_grant_add(s, &g);
        if (r < 0)
                return database_error(c, s, r);
        record_grant(d, s, SG_EVENT_GRANT_CREATED, &g, who->name);
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
const char *canonical_filter(struct conn *c, bool department, const char *name, char *buf)
{
        int r;

        if (!name)
                return NULL;
        r = department ? sg_department_canonical(&conn_manager(c)->cfg, name, buf)
                       : sg_user_canonical(name, buf, NULL);
        return r >= 0 ? buf : name;
}

int method_revoke(struct conn *c, const struct params *args, const struct caller *who)
{
        struct manager *d = conn_manager(c);
        sg_store *s = NULL;
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

        r = manager_store(d, &s);
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
                record_grant(d, s, SG_EVENT_GRANT_REVOKED, &l.items[i], who->name);
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

int method_list(struct conn *c, const struct params *args, const struct caller *who)
{
        sg_store *s = NULL;
        int r;

        r = manager_store(conn_manager(c), &s);
        if (r < 0)
                return database_error(c, s, r);
        return reply_grants(c, s, grants_active_query, time(NULL), 0);
}

int method_history(struct conn *c, const struct params *args, const struct caller *who)
{
        sg_store *s = NULL;
        int r;

        r = manager_store(conn_manager(c), &s);
        if (r < 0)
                return database_error(c, s, r);
        return reply_grants(c, s, sg_store_grants_between, args->since, args->until);
}
