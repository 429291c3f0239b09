/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Who may do what: one pure function of the caller (as SO_PEERCRED and NSS describe it), the
 * action and the configuration. No I/O here, so that every rule has a unit test. */

#include <stdbool.h>
#include <sys/types.h>

#include "grant.h"

enum sg_action {
        SG_ACTION_PING,   /* is the daemon there (the module asks at session open) */
        SG_ACTION_STATUS, /* my own access (staff) or a summary (everyone else) */
        SG_ACTION_GRANT,
        SG_ACTION_REVOKE,
        SG_ACTION_LIST,
        SG_ACTION_HISTORY,
        SG_ACTION_LOGINS,
        SG_ACTION_ACTIVATE, /* redeem an activation code */
        SG_ACTION_RIGHTS_LIST,
        SG_ACTION_RIGHTS_CHANGE,
        SG_ACTION_EXPORT_REFUSED, /* the gate of a staff session reports a refusal */
        SG_ACTION_EXPORT_STARTED, /* ... or that it starts a session with export */
        SG_ACTION_LOGIN,          /* the PAM module's phases: check, reason, open, close */
        SG_ACTION_AUDIT,          /* verify or export the audit trail */
        _SG_ACTION_MAX,
};

struct sg_caller {
        uid_t uid;
        bool known; /* NSS knows the uid (an unknown uid holds nothing) */
        bool is_staff;
        enum sg_right right;    /* root's explicit decision for this user, if any */
        uid_t uid_min, uid_max; /* login.defs: the range of human accounts */
        bool default_right;     /* configuration: default_right */
};

/* What a refused caller lacks, for the message. */
enum sg_missing {
        SG_MISSING_NOTHING,
        SG_MISSING_RIGHT_TO_ACTIVATE, /* "the right to activate support access" */
        SG_MISSING_ROOT,              /* only root may change rights */
        SG_MISSING_NOT_STAFF,         /* staff accounts may only ask for their own status */
        SG_MISSING_STAFF,             /* only the gate of a staff session reports a refusal */
        SG_MISSING_PAM_MODULE,        /* only the PAM module, as root, records logins */
};

/* Whether the caller holds the right to activate: root always, staff never, an explicit
 * decision of root next, else the default for human accounts (UID range) when default_right
 * is set. Unknown uids never. */
bool sg_caller_may_activate(const struct sg_caller *c);

/* 0 when allowed; -EPERM with *ret_missing set otherwise. Unknown actions are refused. */
int sg_authorize(const struct sg_caller *c, enum sg_action a, enum sg_missing *ret_missing);

const char *sg_missing_to_string(enum sg_missing m);
