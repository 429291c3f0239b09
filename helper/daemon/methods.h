/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The methods of io.supportgrant (io.supportgrant.varlink): who may call each, its parameters
 * and its answer. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "authz.h"
#include "server.h"

/* Every parameter of every method, decoded by methods_dispatch() from the method's row. */
struct params {
        const char *kind, *target, *period, *note, *user, *department, *code, *what, *command,
                *rhost, *interface, *service, *tty, *token, *reason, *detail, *staff_group,
                *checkpoint;
        bool export, all, holds;
        time_t since, until; /* the overview window: retention ago, and no end, when absent */
        int64_t limit;       /* 0: none */
        int64_t id, uid;     /* 0: none */
        /* arrays; their elements are the method's to check */
        json_object *ids, *departments, *gids;
        bool more; /* the request's "more" */
};

enum param_type {
        PARAM_STRING,
        PARAM_NAME, /* a string that is a valid user or group name */
        PARAM_BOOL,
        PARAM_TIME,  /* an RFC 3339 string */
        PARAM_COUNT, /* an integer >= 0 */
        PARAM_ARRAY,
};

struct param_spec {
        const char *name;
        enum param_type type;
        size_t offset; /* in struct params */
        bool mandatory;
};

struct caller;

/* Who may call a method is the rule sg_authorize() (common/authz.c) keeps for its action:
 *   PING, STATUS                    anyone
 *   GRANT ... RIGHTS_LIST           root, or a customer account holding the right to activate
 *   RIGHTS_CHANGE                   root
 *   EXPORT_REFUSED, EXPORT_STARTED  a staff account (its gate), for itself
 *   LOGIN                           root (the PAM module's phases)
 *   AUDIT                           as GRANT: verify and export the audit trail
 * Rows with needs_right load root's recorded decision on the caller's right first. */
struct method {
        const char *name;
        int (*handler)(struct conn *c, const struct params *args, const struct caller *who);
        enum sg_action action;
        bool needs_right;
        const struct param_spec *params;
        bool lenient; /* org.varlink.service: parameters it does not know are ignored */
};

/* One row per method; methods_dispatch() finds the row, authorizes the caller by its action,
 * decodes the parameters by its specs, then calls its handler. */
extern const struct method methods_table[];
extern const size_t methods_table_size;

/* The server's dispatch function; userdata is the struct manager. */
int methods_dispatch(struct conn *c, json_object *request, void *userdata);
