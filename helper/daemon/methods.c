/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The methods of io.supportgrant (helper/daemon/io.supportgrant.varlink): the table, the one
 * dispatcher (callers, authorization, parameters), and the methods about the service itself
 * (Ping, Status, org.varlink.service). The others are in methods-*.c by subject. */
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
#include "sessions.h"
#include "staff.h"
#include "timeutil.h"

static const char idl[] =
#include "io.supportgrant.varlink.h"
        ;

int database_error(struct conn *c, sg_store *s, int r)
{
        log_error_errno(r, "database error: %s (%m)", s ? sg_store_errmsg(s) : "cannot open");
        return conn_errorf(c, ERR("DatabaseError"), NULL, NULL,
                           "the supportgrant database is unavailable (%s); see the system log",
                           strerror(-r));
}

/* ---- parameters -------------------------------------------------------------------------- */

int invalid(struct conn *c, const char *key, const char *fmt, ...)
{
        json_object *params = json_object_new_object();
        va_list ap;

        if (params)
                (void)json_object_object_add(params, "parameter", json_object_new_string(key));
        va_start(ap, fmt);
        (void)conn_errorv(c, "org.varlink.service.InvalidParameter", params, fmt, ap);
        va_end(ap);
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
                        return invalid(c, ps->name, "parameter '%s' must be an array", ps->name);
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
void settle_staff(struct manager *d, struct sg_identity *id)
{
        sg_store *s = NULL;
        int r;

        r = manager_store_read(d, &s);
        if (r >= 0)
                r = manager_settle_staff(d, s, NULL, id);
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
        else if (missing == SG_MISSING_PAM_MODULE)
                (void)conn_errorf(c, ERR("PermissionDenied"), "missing",
                                  json_object_new_string("root"),
                                  "only the PAM module, running as root, records logins");
        else
                (void)conn_errorf(c, ERR("PermissionDenied"), "missing",
                                  json_object_new_string("root"),
                                  "only root may change who holds the right to activate support "
                                  "access");
        return -EPERM;
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

/* The trail's head and the newest checkpoint, for root's status. */
static int audit_head(sg_store *s, json_object **ret)
{
        char trail[SG_AUDIT_TRAIL_LEN + 1], hash[SG_AUDIT_HASH_LEN + 1],
                cp_hash[SG_AUDIT_HASH_LEN + 1];
        int64_t seq = 0, cp_seq = 0;
        time_t cp_time = 0;
        json_object *o;
        int r, have_cp;

        r = sg_store_audit_trail(s, trail);
        if (r >= 0)
                r = sg_store_audit_head(s, &seq, hash);
        if (r < 0)
                return r;
        have_cp = sg_store_audit_checkpoint_last(s, INT64_MAX, &cp_seq, cp_hash, &cp_time);
        if (have_cp < 0 && have_cp != -ENOENT)
                return have_cp;
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        (void)json_object_object_add(o, "trail", json_object_new_string(trail));
        (void)json_object_object_add(o, "seq", json_object_new_int64(seq));
        (void)json_object_object_add(o, "hash", json_object_new_string(hash));
        if (have_cp >= 0) {
                (void)json_object_object_add(o, "checkpoint_seq", json_object_new_int64(cp_seq));
                (void)json_object_object_add(o, "checkpoint_hash", json_object_new_string(cp_hash));
                (void)json_object_object_add(o, "checkpoint_at", sg_time_to_json(cp_time));
        }
        *ret = o;
        return 0;
}

static int method_status(struct conn *c, const struct params *args, const struct caller *who)
{
        struct manager *d = conn_manager(c);
        sg_store *s = NULL;
        json_object *out;
        int r;

        r = manager_store_read(d, &s);
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
        if (who->authz.uid == 0) {
                json_object *audit = NULL;

                r = audit_head(s, &audit);
                if (r < 0) {
                        json_object_put(out);
                        return database_error(c, s, r);
                }
                (void)json_object_object_add(out, "audit", audit);
        }
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
/* The PAM module's phases: the account and where it logs in from. */
#define LOGIN_SUBJECT_PARAMS                                                           \
        PARAM_MANDATORY("user", NAME, user), PARAM("departments", ARRAY, departments), \
                PARAM("service", STRING, service), PARAM("rhost", STRING, rhost),      \
                PARAM("tty", STRING, tty)
static const struct param_spec login_settle_params[] = {
        LOGIN_SUBJECT_PARAMS,
        PARAM_MANDATORY("uid", COUNT, uid),
        PARAM("gids", ARRAY, gids),
        PARAM("staff_group", NAME, staff_group),
        {},
};
static const struct param_spec login_check_params[] = {
        LOGIN_SUBJECT_PARAMS,
        PARAM("token", STRING, token),
        {},
};
static const struct param_spec login_reason_params[] = {
        PARAM_MANDATORY("user", NAME, user),
        PARAM_MANDATORY("reason", STRING, reason),
        {},
};
static const struct param_spec login_denied_params[] = {
        LOGIN_SUBJECT_PARAMS,
        PARAM("reason", STRING, reason),
        PARAM_MANDATORY("detail", STRING, detail),
        {},
};
static const struct param_spec login_open_params[] = {
        LOGIN_SUBJECT_PARAMS,
        PARAM("token", STRING, token),
        PARAM("reason", STRING, reason),
        {},
};
static const struct param_spec login_close_params[] = {
        LOGIN_SUBJECT_PARAMS,
        PARAM("id", COUNT, id),
        {},
};
static const struct param_spec audit_verify_params[] = {
        PARAM("checkpoint", STRING, checkpoint),
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
        {SG_VARLINK_INTERFACE ".LoginSettle", method_login_settle, SG_ACTION_LOGIN, false,
         login_settle_params, false},
        {SG_VARLINK_INTERFACE ".LoginCheck", method_login_check, SG_ACTION_LOGIN, false,
         login_check_params, false},
        {SG_VARLINK_INTERFACE ".LoginReason", method_login_reason, SG_ACTION_LOGIN, false,
         login_reason_params, false},
        {SG_VARLINK_INTERFACE ".LoginDenied", method_login_denied, SG_ACTION_LOGIN, false,
         login_denied_params, false},
        {SG_VARLINK_INTERFACE ".LoginOpen", method_login_open, SG_ACTION_LOGIN, false,
         login_open_params, false},
        {SG_VARLINK_INTERFACE ".LoginClose", method_login_close, SG_ACTION_LOGIN, false,
         login_close_params, false},
        {SG_VARLINK_INTERFACE ".AuditVerify", method_audit_verify, SG_ACTION_AUDIT, true,
         audit_verify_params, false},
        {SG_VARLINK_INTERFACE ".AuditExport", method_audit_export, SG_ACTION_AUDIT, true, no_params,
         false},
};

const size_t methods_table_size = ELEMENTSOF(methods_table);

int methods_dispatch(struct conn *c, json_object *request, void *userdata)
{
        struct manager *d = userdata;
        json_object *m = NULL, *params = NULL, *more = NULL;
        _cleanup_(json_object_putp) json_object *empty = NULL;
        sg_store *s = NULL;
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
                r = manager_store_read(d, &s);
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
