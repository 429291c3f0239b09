/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What supportgrant keeps: grants, logins, what covers a staff account, and the right to
 * activate. Plain data: the database is store.h's. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "names.h"
#include "period.h"
#include "reason.h"

#define SG_MAX_COVER 32 /* grant ids recorded per login */

enum sg_grant_kind {
        SG_GRANT_USER,
        SG_GRANT_DEPARTMENT,
};

enum sg_via {
        SG_VIA_CLI,
        SG_VIA_CODE,
};

enum sg_grant_state {
        SG_GRANT_ACTIVE,
        SG_GRANT_EXPIRED,
        SG_GRANT_REVOKED,
};

struct sg_grant {
        int64_t id;
        enum sg_grant_kind kind;
        char target[SG_NAME_MAX]; /* user name, or department name without the prefix */
        bool export;
        enum sg_period period;
        time_t granted_at;
        time_t expires_at; /* SG_TIME_NEVER for permanent */
        char granted_by[SG_NAME_MAX];
        enum sg_via via;
        char note[SG_NOTE_MAX_BYTES + 1];
        time_t revoked_at; /* 0: not revoked */
        char revoked_by[SG_NAME_MAX];
};

enum sg_login_outcome {
        SG_LOGIN_ACCEPTED,
        SG_LOGIN_DENIED,
};

enum sg_login_end {
        SG_END_NONE, /* still open (or a denied attempt, which has no session) */
        SG_END_CLOSED,
        SG_END_TERMINATED,
};

struct sg_login {
        int64_t id;
        char user[SG_NAME_MAX];
        time_t time;
        enum sg_login_outcome outcome;
        char reason[SG_REASON_MAX_BYTES + 1];
        char service[64];
        char rhost[256];
        char tty[64];
        pid_t pid;          /* the process that opened the session (sshd's [priv] monitor) */
        uint64_t pid_start; /* its start time in clock ticks since boot (/proc/PID/stat) */
        size_t n_grant_ids;
        int64_t grant_ids[SG_MAX_COVER];
        time_t ended_at; /* 0: open */
        enum sg_login_end end;
        char detail[256]; /* why it was denied */
        unsigned count;   /* denials of this user and origin merged into this row */
};

/* What covers a staff account right now. */
struct sg_coverage {
        size_t n_grant_ids;
        int64_t grant_ids[SG_MAX_COVER];
        bool export;         /* OR of the covering grants */
        time_t expires_at;   /* the latest expiry among them; SG_TIME_NEVER if one is permanent */
        time_t export_until; /* the latest expiry among those with export (if export) */
};

/* Explicit right to activate set by root; SG_RIGHT_DEFAULT means no entry. */
enum sg_right {
        SG_RIGHT_DEFAULT = -1,
        SG_RIGHT_REVOKED = 0,
        SG_RIGHT_GRANTED = 1,
};

struct sg_right_entry {
        char user[SG_NAME_MAX];
        enum sg_right right;
        time_t changed_at;
        char changed_by[SG_NAME_MAX];
};

/* Active, expired or revoked, at now. */
enum sg_grant_state sg_grant_state(const struct sg_grant *g, time_t now);

/* Names for the JSON and table columns. */
const char *sg_grant_kind_to_string(enum sg_grant_kind k);
const char *sg_via_to_string(enum sg_via v);
const char *sg_grant_state_to_string(enum sg_grant_state st);
const char *sg_login_outcome_to_string(enum sg_login_outcome o);
const char *sg_login_end_to_string(enum sg_login_end e); /* NULL for SG_END_NONE */
