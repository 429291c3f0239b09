/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit trail (SPEC §11): verified against the journal's checkpoints, and exported. */
#include <inttypes.h>

#include "audit.h"
#include "log.h"
#include "methods-private.h"
#include "methods.h"
#include "trail.h"

#define AUDIT_PAGE 256 /* records per streamed reply */

static int verify_record(int64_t seq, const char *record, const char *prev, const char *hash,
                         void *userdata)
{
        return sg_audit_verifier_add(userdata, record, prev, hash, seq);
}

int method_audit_verify(struct conn *c, const struct params *args, const struct caller *who)
{
        _cleanup_free_ struct sg_audit_checkpoint *cps = NULL;
        char trail[SG_AUDIT_TRAIL_LEN + 1];
        struct sg_audit_verifier v;
        size_t n = 0, size = 0;
        sg_store *s = NULL;
        json_object *out;
        int r;

        r = manager_store_read(conn_manager(c), &s);
        if (r >= 0)
                r = sg_store_audit_trail(s, trail);
        if (r < 0)
                return database_error(c, s, r);
        /* Without the journal's checkpoints a truncated trail would pass: no answer then. */
        r = trail_journal_checkpoints(trail, &cps, &n);
        if (r < 0)
                return conn_errorf(c, ERR("DatabaseError"), NULL, NULL,
                                   "cannot read the audit checkpoints from the journal: %s",
                                   strerror(-r));
        /* The database's own notes of them too: weaker (root can delete both), but they
         * catch a trail cut where the journal is not kept. */
        size = n;
        r = sg_store_audit_checkpoints(s, &cps, &n, &size);
        if (r < 0)
                return database_error(c, s, r);
        if (args->checkpoint) {
                struct sg_audit_checkpoint given;

                if (sg_audit_checkpoint_parse(args->checkpoint, &given) < 0)
                        return invalid(c, "checkpoint",
                                       "parameter 'checkpoint' must be SEQ:HASH (a record number "
                                       "and its 64 hex digit hash)"),
                               0;
                struct sg_audit_checkpoint *more = reallocarray(cps, n + 1, sizeof(*cps));

                if (!more)
                        return -ENOMEM;
                cps = more;
                cps[n++] = given;
        }
        sg_audit_verifier_init(&v, cps, n);
        r = sg_store_audit_each(s, 0, 0, verify_record, &v);
        if (r < 0)
                return database_error(c, s, r);
        sg_audit_verifier_end(&v);
        log_info("audit trail verified for %s: %s", who->name, v.broken ? v.what : "intact");
        out = sg_audit_verifier_to_json(&v, n);
        if (!out)
                return -ENOMEM;
        (void)json_object_object_add(out, "trail", json_object_new_string(trail));
        return conn_reply(c, out, false);
}

struct export_page {
        json_object *lines;
        int64_t last;
        size_t n;
};

static int export_record(int64_t seq, const char *record, const char *prev, const char *hash,
                         void *userdata)
{
        struct export_page *p = userdata;
        char *line = NULL;
        json_object *o;
        int r;

        r = sg_audit_line_format(record, prev, hash, &line);
        if (r < 0)
                return r;
        o = json_object_new_string(line);
        free(line);
        if (!o || json_object_array_add(p->lines, o) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        p->last = seq;
        p->n++;
        return 0;
}

static int export_next(struct conn *c, void *data)
{
        int64_t *cursor = data;
        struct export_page p = {};
        sg_store *s = NULL;
        json_object *out;
        bool last;
        int r;

        r = manager_store_read(conn_manager(c), &s);
        if (r < 0) {
                conn_end_more(c);
                return database_error(c, s, r);
        }
        out = json_object_new_object();
        p.lines = json_object_new_array();
        if (!out || !p.lines) {
                json_object_put(out);
                json_object_put(p.lines);
                return -ENOMEM;
        }
        (void)json_object_object_add(out, "records", p.lines);
        r = sg_store_audit_each(s, *cursor, AUDIT_PAGE, export_record, &p);
        if (r < 0) {
                json_object_put(out);
                conn_end_more(c);
                return r == -EBADMSG ? conn_errorf(c, ERR("DatabaseError"), NULL, NULL,
                                                   "audit record after %" PRId64
                                                   " is not JSON: verify the trail",
                                                   *cursor)
                                     : database_error(c, s, r);
        }
        *cursor = p.last ? p.last : *cursor;
        last = p.n < AUDIT_PAGE;
        if (last)
                conn_end_more(c);
        return conn_reply(c, out, !last);
}

int method_audit_export(struct conn *c, const struct params *args, const struct caller *who)
{
        int64_t *cursor;

        if (!args->more)
                return conn_errorf(c, ERR("InvalidArgument"), "parameter",
                                   json_object_new_string("more"),
                                   "AuditExport sends the trail in parts: call it with "
                                   "\"more\": true");
        cursor = calloc(1, sizeof(*cursor));
        if (!cursor)
                return -ENOMEM;
        conn_set_more(c, export_next, cursor);
        return export_next(c, cursor);
}
