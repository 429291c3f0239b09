/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rights and SetRight: who may activate support access. */
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

int method_rights(struct conn *c, const struct params *args, const struct caller *who)
{
        struct manager *d = conn_manager(c);
        sg_store *s = NULL;
        struct rights_collect rc = {.d = d};
        json_object *out, *arr;
        struct passwd *pw;
        size_t listed = 0;
        int r;

        r = manager_store(d, &s);
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

int method_set_right(struct conn *c, const struct params *args, const struct caller *who)
{
        struct manager *d = conn_manager(c);
        sg_store *s = NULL;
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

        r = manager_store(d, &s);
        if (r >= 0)
                r = sg_store_right_set(s, user, holds ? SG_RIGHT_GRANTED : SG_RIGHT_REVOKED,
                                       time(NULL), who->name);
        if (r < 0)
                return database_error(c, s, r);

        f.user = user;
        f.actor = who->name;
        f.right = holds ? "granted" : "revoked";
        (void)snprintf(msg, sizeof(msg), "Right to activate support access %s %s by %s",
                       holds ? "given to" : "taken from", user, who->name);
        (void)manager_record(d, s, SG_EVENT_RIGHT_CHANGED, LOG_NOTICE, &f, msg);
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
