/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The audit events of SPEC §10, as structured journal entries. These are records, not debug
 * logging: every caller sends exactly the events that happened. */

#include <stdint.h>

enum sg_event {
        SG_EVENT_GRANT_CREATED,
        SG_EVENT_GRANT_REVOKED,
        SG_EVENT_LOGIN_ACCEPTED,
        SG_EVENT_LOGIN_DENIED,
        SG_EVENT_SESSION_CLOSED,
        SG_EVENT_SESSION_TERMINATED,
        SG_EVENT_RIGHT_CHANGED,
        SG_EVENT_EXPORT_REFUSED,
        SG_EVENT_AUDIT_CHECKPOINT, /* the audit trail's head, written down (SPEC §11) */
        _SG_EVENT_MAX,
};

/* Fields left NULL (or 0 for ids, -1 for export) are not sent. */
struct sg_event_fields {
        const char *user;        /* SUPPORTGRANT_USER: the staff account */
        const char *department;  /* SUPPORTGRANT_DEPARTMENT */
        int64_t grant_id;        /* SUPPORTGRANT_GRANT_ID */
        const char *grant_ids;   /* SUPPORTGRANT_GRANT_ID as "3,7" when several cover a login */
        int64_t login_id;        /* SUPPORTGRANT_LOGIN_ID */
        const char *reason;      /* SUPPORTGRANT_REASON */
        const char *service;     /* SUPPORTGRANT_SERVICE */
        const char *rhost;       /* SUPPORTGRANT_RHOST */
        const char *actor;       /* SUPPORTGRANT_ACTOR: who did it */
        const char *expires;     /* SUPPORTGRANT_EXPIRES: RFC 3339 or "permanent" */
        const char *command;     /* SUPPORTGRANT_COMMAND: what an export-refused entry refused */
        const char *detail;      /* SUPPORTGRANT_DETAIL: why a login was denied */
        const char *right;       /* SUPPORTGRANT_RIGHT: "granted" or "revoked" (right-changed) */
        int export;              /* SUPPORTGRANT_EXPORT yes/no; -1: not sent */
        int64_t audit_seq;       /* SUPPORTGRANT_AUDIT_SEQ */
        const char *audit_hash;  /* SUPPORTGRANT_AUDIT_HASH */
        const char *audit_trail; /* SUPPORTGRANT_AUDIT_TRAIL: which database's trail */
};

const char *sg_event_to_string(enum sg_event e);  /* "grant-created" */
const char *sg_event_message_id(enum sg_event e); /* 32 hex digits */
/* Sends one entry with SYSLOG_IDENTIFIER=supportgrant, SUPPORTGRANT_EVENT, MESSAGE_ID,
 * PRIORITY and MESSAGE (the given human sentence). Returns 0 or negative errno. */
int sg_journal_event(enum sg_event e, int priority, const struct sg_event_fields *f,
                     const char *message);
