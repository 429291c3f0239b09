/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "authz.h"
#include "macro.h"

bool sg_caller_may_activate(const struct sg_caller *c)
{
        if (c->uid == 0)
                return true;
        if (!c->known || c->is_staff)
                return false; /* no one grants themselves */
        if (c->right == SG_RIGHT_GRANTED)
                return true;
        if (c->right == SG_RIGHT_REVOKED)
                return false;
        return c->default_right && c->uid >= c->uid_min && c->uid <= c->uid_max;
}

int sg_authorize(const struct sg_caller *c, enum sg_action a, enum sg_missing *ret_missing)
{
        enum sg_missing missing = SG_MISSING_NOTHING;

        switch (a) {
        case SG_ACTION_PING:
        case SG_ACTION_STATUS:
                break;
        case SG_ACTION_GRANT:
        case SG_ACTION_REVOKE:
        case SG_ACTION_LIST:
        case SG_ACTION_HISTORY:
        case SG_ACTION_LOGINS:
        case SG_ACTION_AUDIT:
        case SG_ACTION_ACTIVATE:
        case SG_ACTION_RIGHTS_LIST:
                if (c->uid != 0 && c->is_staff)
                        missing = SG_MISSING_NOT_STAFF;
                else if (!sg_caller_may_activate(c))
                        missing = SG_MISSING_RIGHT_TO_ACTIVATE;
                break;
        case SG_ACTION_RIGHTS_CHANGE:
                if (c->uid != 0)
                        missing = SG_MISSING_ROOT;
                break;
        case SG_ACTION_LOGIN:
                /* The module runs as root inside sshd, login, su and cron; a login row or a
                 * reason from anyone else would be forged. */
                if (c->uid != 0)
                        missing = SG_MISSING_PAM_MODULE;
                break;
        case SG_ACTION_EXPORT_REFUSED:
        case SG_ACTION_EXPORT_STARTED:
                /* Recorded under the caller's own name, by root: no one speaks for another. */
                if (c->uid != 0 && (!c->known || !c->is_staff))
                        missing = SG_MISSING_STAFF;
                break;
        default:
                missing = SG_MISSING_ROOT; /* fail closed on anything we do not know */
                break;
        }
        if (ret_missing)
                *ret_missing = missing;
        return missing == SG_MISSING_NOTHING ? 0 : -EPERM;
}

const char *sg_missing_to_string(enum sg_missing m)
{
        switch (m) {
        case SG_MISSING_NOTHING:
                return "nothing";
        case SG_MISSING_RIGHT_TO_ACTIVATE:
                return "the right to activate support access";
        case SG_MISSING_ROOT:
                return "root privileges";
        case SG_MISSING_NOT_STAFF:
                return "a non-staff account (staff accounts may only see their own status)";
        case SG_MISSING_STAFF:
                return "a staff account (only the gate of a staff session reports a refused "
                       "export)";
        case SG_MISSING_PAM_MODULE:
                return "root privileges (only the PAM module records logins)";
        }
        return "unknown";
}
