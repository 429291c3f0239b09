/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json.h"
#include "macro.h"
#include "timeutil.h"

json_object *sg_time_to_json(time_t t)
{
        char buf[SG_RFC3339_MAX];

        if (t == 0 || t == SG_TIME_NEVER || sg_time_format_rfc3339(t, buf, sizeof(buf)) < 0)
                return NULL; /* json-c's null */
        return json_object_new_string(buf);
}

static int add(json_object *o, const char *key, json_object *v, bool may_be_null)
{
        if (!v && !may_be_null)
                return -ENOMEM;
        return json_object_object_add(o, key, v) < 0 ? -ENOMEM : 0;
}

static json_object *string_or_null(const char *s)
{
        return isempty(s) ? NULL : json_object_new_string(s);
}

json_object *sg_grant_to_json(const struct sg_grant *g, time_t now)
{
        json_object *o = json_object_new_object();
        int r = 0;

        if (!o)
                return NULL;
        RET_GATHER(r, add(o, "id", json_object_new_int64(g->id), false));
        RET_GATHER(r,
                   add(o, "kind", json_object_new_string(sg_grant_kind_to_string(g->kind)), false));
        RET_GATHER(r, add(o, "target", json_object_new_string(g->target), false));
        RET_GATHER(r, add(o, "export", json_object_new_boolean(g->export), false));
        RET_GATHER(r,
                   add(o, "period", json_object_new_string(sg_period_to_string(g->period)), false));
        RET_GATHER(r, add(o, "granted_at", sg_time_to_json(g->granted_at), false));
        RET_GATHER(r, add(o, "expires_at", sg_time_to_json(g->expires_at), true));
        RET_GATHER(r, add(o, "granted_by", json_object_new_string(g->granted_by), false));
        RET_GATHER(r, add(o, "via", json_object_new_string(sg_via_to_string(g->via)), false));
        RET_GATHER(r, add(o, "note", json_object_new_string(g->note), false));
        RET_GATHER(r, add(o, "state",
                          json_object_new_string(sg_grant_state_to_string(sg_grant_state(g, now))),
                          false));
        RET_GATHER(r, add(o, "revoked_at", sg_time_to_json(g->revoked_at), true));
        RET_GATHER(r, add(o, "revoked_by", string_or_null(g->revoked_by), true));
        if (r < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

json_object *sg_login_to_json(const struct sg_login *l)
{
        json_object *o = json_object_new_object(), *ids = json_object_new_array();
        int r = 0;

        if (!o || !ids) {
                json_object_put(o);
                json_object_put(ids);
                return NULL;
        }
        for (size_t i = 0; i < l->n_grant_ids; i++)
                RET_GATHER(r, json_object_array_add(ids, json_object_new_int64(l->grant_ids[i])));
        RET_GATHER(r, add(o, "id", json_object_new_int64(l->id), false));
        RET_GATHER(r, add(o, "user", json_object_new_string(l->user), false));
        RET_GATHER(r, add(o, "time", sg_time_to_json(l->time), false));
        RET_GATHER(r, add(o, "outcome",
                          json_object_new_string(sg_login_outcome_to_string(l->outcome)), false));
        RET_GATHER(r, add(o, "reason", string_or_null(l->reason), true));
        RET_GATHER(r, add(o, "service", json_object_new_string(l->service), false));
        RET_GATHER(r, add(o, "rhost", json_object_new_string(l->rhost), false));
        RET_GATHER(r, add(o, "grant_ids", ids, false));
        RET_GATHER(r, add(o, "ended_at", sg_time_to_json(l->ended_at), true));
        RET_GATHER(r, add(o, "end", string_or_null(sg_login_end_to_string(l->end)), true));
        RET_GATHER(r, add(o, "detail", string_or_null(l->detail[0] ? l->detail : NULL), true));
        RET_GATHER(r, add(o, "count", json_object_new_int64(l->count ? l->count : 1), false));
        if (r < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}
