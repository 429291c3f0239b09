/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ExportRefused and ExportStarted: what the gate of a staff session reports. */
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

/* ---- export ------------------------------------------------------------------------------ */

/* A command line for the journal: printable ASCII as it is (a backslash doubled), everything
 * else as \xNN, so that no terminal escape or newline reaches a reader; "..." when cut. */
static void command_printable(const char *in, char *buf, size_t size)
{
        size_t o = 0;

        for (; *in; in++) {
                unsigned char ch = (unsigned char)*in;
                bool plain = ch >= 0x20 && ch < 0x7f && ch != '\\';

                if (o + 8 > size) {
                        memcpy(buf + o, "...", 4);
                        return;
                }
                if (plain)
                        buf[o++] = (char)ch;
                else
                        o += (size_t)snprintf(buf + o, size - o, ch == '\\' ? "\\\\" : "\\x%02x",
                                              ch);
        }
        buf[o] = 0;
}

/* The gate of a staff session refused something: journaled here, by root, under the caller's
 * own name (SPEC §8), so that every genuine entry has _UID=0 and no one can speak for another.
 * What the caller says it refused is shown escaped. */
int method_export_refused(struct conn *c, const struct params *args, const struct caller *who)
{
        struct sg_event_fields f = {.export = 0, .service = "sshd"};
        char what[128], command[4 * 400 + 8], rhost[4 * 64 + 8], msg[2600];
        const char *w = args->what, *cmd = args->command, *rh = args->rhost;
        sg_store *s = NULL;
        int r;

        if (isempty(w) || strlen(w) > 64)
                return invalid(c, "what", "parameter '%s' is required (at most 64 bytes)", "what"),
                       0;
        if (!cmd || strlen(cmd) > 4096)
                return invalid(c, "command", "parameter '%s' is required (at most 4096 bytes)",
                               "command"),
                       0;
        command_printable(w, what, sizeof(what));
        command_printable(cmd, command, sizeof(command));
        (void)sg_name_printable(strempty(rh), rhost, sizeof(rhost));
        f.user = who->name;
        f.rhost = rhost[0] ? rhost : NULL;
        f.command = command;
        (void)snprintf(msg, sizeof(msg), "Data export refused for %s%s%s: %s (%s)", who->name,
                       rhost[0] ? " from " : "", rhost, what, command);
        /* Journaled even when the database is not there; the caller is told it is not. */
        r = manager_store(conn_manager(c), &s);
        (void)manager_record(conn_manager(c), r < 0 ? NULL : s, SG_EVENT_EXPORT_REFUSED,
                             LOG_WARNING, &f, msg);
        if (r < 0)
                return database_error(c, s, r);
        return conn_reply(c, json_object_new_object(), false);
}

/* The gate of a staff session is about to export, in the calling process: allowed only with
 * the export right now, and then remembered, so that the session ends with the right. */
int method_export_started(struct conn *c, const struct params *args, const struct caller *who)
{
        struct manager *d = conn_manager(c);
        sg_store *s = NULL;
        const char *deps[SG_MAX_DEPARTMENTS];
        struct sg_coverage cov = {};
        json_object *out;
        bool export;
        size_t n;
        int r;

        export = who->authz.is_staff && who->id.staff == SG_STAFF_YES && c->cred.pid > 1;
        if (export) {
                r = manager_store(d, &s);
                if (r < 0)
                        return database_error(c, s, r);
                sg_identity_departments(&who->id, deps, &n);
                r = sg_store_coverage(s, who->id.user, deps, n, time(NULL), &cov);
                if (r < 0)
                        return database_error(c, s, r);
                export = r > 0 && cov.export;
        }
        if (export) {
                r = exports_add(d, c->cred.pid, c->cred.uid, who->id.user);
                if (r < 0) {
                        log_error_errno(r,
                                        "cannot remember the export session of %s (process %d): %m",
                                        who->id.user, (int)c->cred.pid);
                        export = false;
                }
        }
        out = json_object_new_object();
        if (!out)
                return -ENOMEM;
        (void)json_object_object_add(out, "export", json_object_new_boolean(export));
        return conn_reply(c, out, false);
}
