/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Activate: redeeming an activation code. */
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

/* ---- activation codes -------------------------------------------------------------------- */

/* An error about a code with the two facts the caller shows (io.supportgrant.varlink). */
static int code_error(struct conn *c, const char *error, const char *k1, const char *v1,
                      const char *k2, const char *v2, const char *fmt, ...) _printf_(7, 8);
static int code_error(struct conn *c, const char *error, const char *k1, const char *v1,
                      const char *k2, const char *v2, const char *fmt, ...)
{
        json_object *params = json_object_new_object();
        va_list ap;
        int r;

        if (params) {
                (void)json_object_object_add(params, k1, json_object_new_string(v1));
                (void)json_object_object_add(params, k2, json_object_new_string(v2));
        }
        va_start(ap, fmt);
        r = conn_errorv(c, error, params, fmt, ap);
        va_end(ap);
        return r;
}

int method_activate(struct conn *c, const struct params *args, const struct caller *who)
{
        struct manager *d = conn_manager(c);
        sg_store *s = NULL;
        struct sg_code code;
        enum sg_code_error why;
        struct sg_grant g = {.via = SG_VIA_CODE};
        char code_id[2 * SG_CODE_NONCE_LEN + 1], used_by[SG_NAME_MAX] = "", when[SG_RFC3339_MAX];
        const char *text = args->code;
        time_t now = time(NULL), valid_until, used_at = 0;
        int r;

        if (sg_code_decode(text, &code, &why) < 0)
                return conn_errorf(c, ERR("CodeInvalid"), NULL, NULL,
                                   "this is not a valid activation code: %s",
                                   sg_code_error_to_string(why));
        (void)sg_time_format_rfc3339(code.created, when, sizeof(when));
        if (sg_duration_add(&d->cfg.code_validity, code.created, &valid_until) < 0 ||
            now > valid_until) {
                char validity[64];

                if (sg_duration_format(&d->cfg.code_validity, validity, sizeof(validity)) < 0)
                        validity[0] = '\0';
                /* The validity is the daemon's: the caller's configuration may say otherwise. */
                return code_error(c, ERR("CodeExpired"), "created", when, "validity", validity,
                                  "this activation code was made at %s and has expired; ask "
                                  "for a new one",
                                  when);
        }
        /* Codes may be made on another machine: allow its clock a few minutes of error, no
         * more. Every second allowed here lengthens the code's validity. */
        if (code.created > now + MANAGER_CODE_CLOCK_SKEW)
                return conn_errorf(c, ERR("CodeInvalid"), NULL, NULL,
                                   "this activation code is dated in the future (%s); check the "
                                   "clocks",
                                   when);
        if (check_target(c, code.kind, code.target, g.target) < 0)
                return 0;

        g.kind = code.kind;
        g.export = code.export;
        g.period = code.period;
        memcpy(g.note, code.note, sizeof(g.note));
        memcpy(g.granted_by, who->name, sizeof(g.granted_by));
        g.granted_at = now; /* the period counts from redemption */
        r = sg_period_expiry(g.period, now, &g.expires_at);
        if (r < 0)
                return conn_errorf(c, ERR("CodeInvalid"), NULL, NULL,
                                   "cannot compute the expiry: %s", strerror(-r));
        sg_code_id(&code, code_id);

        r = manager_store(d, &s);
        if (r < 0)
                return database_error(c, s, r);
        /* The grant and the used mark land together or not at all. */
        r = sg_store_begin(s);
        if (r >= 0)
                r = sg_store_grant_add(s, &g);
        if (r >= 0)
                r = sg_store_code_mark_used(s, code_id, code.created, now, who->name, g.id,
                                            &used_at, used_by);
        if (r == -EEXIST) {
                char used[SG_RFC3339_MAX];

                sg_store_rollback(s);
                (void)sg_time_format_rfc3339(used_at, used, sizeof(used));
                return code_error(c, ERR("CodeUsed"), "used_at", used, "used_by", used_by,
                                  "this activation code was already used at %s by %s", used,
                                  used_by);
        }
        if (r >= 0)
                r = sg_store_commit(s);
        if (r < 0) {
                sg_store_rollback(s);
                return database_error(c, s, r);
        }
        record_grant(d, s, SG_EVENT_GRANT_CREATED, &g, who->name);
        log_info("grant %" PRId64 " for %s %s by %s from code %s", g.id,
                 sg_grant_kind_to_string(g.kind), g.target, who->name, code_id);
        (void)expiry_timer_update(d);
        return reply_grant(c, &g);
}
