/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "grant.h"

const char *sg_grant_kind_to_string(enum sg_grant_kind k)
{
        return k == SG_GRANT_DEPARTMENT ? "department" : "user";
}

const char *sg_via_to_string(enum sg_via v)
{
        return v == SG_VIA_CODE ? "code" : "cli";
}

const char *sg_grant_state_to_string(enum sg_grant_state st)
{
        switch (st) {
        case SG_GRANT_ACTIVE:
                return "active";
        case SG_GRANT_EXPIRED:
                return "expired";
        case SG_GRANT_REVOKED:
                return "revoked";
        }
        return "unknown";
}

const char *sg_login_outcome_to_string(enum sg_login_outcome o)
{
        return o == SG_LOGIN_DENIED ? "denied" : "accepted";
}

const char *sg_login_end_to_string(enum sg_login_end e)
{
        switch (e) {
        case SG_END_CLOSED:
                return "closed";
        case SG_END_TERMINATED:
                return "terminated";
        case SG_END_NONE:
                break;
        }
        return NULL;
}

enum sg_grant_state sg_grant_state(const struct sg_grant *g, time_t now)
{
        if (g->revoked_at != 0)
                return SG_GRANT_REVOKED;
        if (g->expires_at != SG_TIME_NEVER && g->expires_at <= now)
                return SG_GRANT_EXPIRED;
        return SG_GRANT_ACTIVE;
}
