/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the files of the methods (methods.c, methods-*.c) share; the rest of the daemon sees
 * methods.h only. */

#include <stdbool.h>

#include "authz.h"
#include "grant.h"
#include "journal.h"
#include "manager.h"
#include "staff.h"
#include "store.h"
#include "varlink.h"

#define ERR(name) SG_VARLINK_INTERFACE "." name

struct params; /* methods.h */

/* Who is asking, resolved once per request. */
struct caller {
        struct sg_caller authz;
        char name[SG_NAME_MAX]; /* "uid 1234" when NSS does not know it */
        struct sg_identity id;
};

static inline struct manager *conn_manager(struct conn *c)
{
        return c->server->userdata;
}

/* methods.c: replies with the interface's errors, and callers. */
int database_error(struct conn *c, sg_store *s, int r);
int invalid(struct conn *c, const char *key, const char *fmt, ...) _printf_(3, 4);
void settle_staff(struct manager *d, struct sg_identity *id);

/* methods-grants.c: what granting means, for Grant and Activate. */
int check_target(struct conn *c, enum sg_grant_kind kind, const char *target, char *canonical);
void record_grant(struct manager *d, sg_store *s, enum sg_event e, const struct sg_grant *g,
                  const char *actor);
int reply_grant(struct conn *c, const struct sg_grant *g);
const char *canonical_filter(struct conn *c, bool department, const char *name, char *buf);

/* The handlers of the table's rows. */
int method_grant(struct conn *c, const struct params *args, const struct caller *who);
int method_revoke(struct conn *c, const struct params *args, const struct caller *who);
int method_list(struct conn *c, const struct params *args, const struct caller *who);
int method_history(struct conn *c, const struct params *args, const struct caller *who);
int method_logins(struct conn *c, const struct params *args, const struct caller *who);
int method_activate(struct conn *c, const struct params *args, const struct caller *who);
int method_rights(struct conn *c, const struct params *args, const struct caller *who);
int method_set_right(struct conn *c, const struct params *args, const struct caller *who);
int method_export_refused(struct conn *c, const struct params *args, const struct caller *who);
int method_export_started(struct conn *c, const struct params *args, const struct caller *who);
int method_login_settle(struct conn *c, const struct params *args, const struct caller *who);
int method_login_check(struct conn *c, const struct params *args, const struct caller *who);
int method_login_reason(struct conn *c, const struct params *args, const struct caller *who);
int method_login_denied(struct conn *c, const struct params *args, const struct caller *who);
int method_login_open(struct conn *c, const struct params *args, const struct caller *who);
int method_login_close(struct conn *c, const struct params *args, const struct caller *who);
int method_audit_verify(struct conn *c, const struct params *args, const struct caller *who);
int method_audit_export(struct conn *c, const struct params *args, const struct caller *who);
