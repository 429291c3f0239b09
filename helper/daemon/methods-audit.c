/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit trail (SPEC §11): verified against the journal's checkpoints, and exported. */
#include <inttypes.h>

#include "audit.h"
#include "log.h"
#include "methods-private.h"
#include "methods.h"
#include "trail.h"

#define AUDIT_PAGE 256 /* records per streamed reply */

/* A verification runs over turns of the event loop, AUDIT_VERIFY_CHUNK records at a time, so
 * that a long trail does not hold up logins, expiries and the sweeps. The connection waits
 * meanwhile (a reply in parts that sends nothing until the end). */
#define AUDIT_VERIFY_CHUNK 4096

struct verify_job {
        struct conn *c;
        sd_event_source *step;
        struct sg_audit_verifier v;
        struct sg_audit_checkpoint *checkpoints;
        size_t n_checkpoints;
        int64_t cursor;
        size_t seen; /* records in this chunk */
        char trail[SG_AUDIT_TRAIL_LEN + 1];
};

static void verify_job_free(void *data)
{
        struct verify_job *j = data;

        if (!j)
                return;
        sd_event_source_disable_unref(j->step);
        free(j->checkpoints);
        free(j);
}

static int verify_record(int64_t seq, const char *record, const char *prev, const char *hash,
                         void *userdata)
{
        struct verify_job *j = userdata;

        j->cursor = seq;
        j->seen++;
        return sg_audit_verifier_add(&j->v, record, prev, hash, seq);
}

static int verify_waits(struct conn *c, void *data)
{
        return 0; /* the reply comes from verify_chunk() */
}

/* One chunk; at the end (or on an error) the reply. Returns 1 while there is more to do. */
static int verify_chunk(struct verify_job *j)
{
        struct conn *c = j->c;
        sg_store *s = NULL;
        json_object *out;
        int r;

        j->seen = 0;
        r = manager_store_read(conn_manager(c), &s);
        if (r >= 0)
                r = sg_store_audit_each(s, j->cursor, AUDIT_VERIFY_CHUNK, verify_record, j);
        if (r < 0) {
                conn_end_more(c); /* frees j */
                return database_error(c, s, r);
        }
        if (j->seen == AUDIT_VERIFY_CHUNK && !sg_audit_verifier_done(&j->v))
                return 1;
        sg_audit_verifier_end(&j->v);
        log_info("audit trail verified: %s", j->v.broken ? j->v.what : "intact");
        out = sg_audit_verifier_to_json(&j->v, j->n_checkpoints);
        if (out)
                (void)json_object_object_add(out, "trail", json_object_new_string(j->trail));
        conn_end_more(c); /* frees j */
        return out ? conn_reply(c, out, false) : -ENOMEM;
}

static int on_verify_step(sd_event_source *es, void *userdata)
{
        /* Out of memory for the reply: the client waits for nothing until its idle timeout. */
        (void)verify_chunk(userdata);
        return 0;
}

int method_audit_verify(struct conn *c, const struct params *args, const struct caller *who)
{
        struct manager *d = conn_manager(c);
        struct verify_job *j;
        size_t size = 0;
        sg_store *s = NULL;
        int r;

        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        j->c = c;
        conn_set_more_full(c, verify_waits, j, verify_job_free);
        r = manager_store_read(d, &s);
        if (r >= 0)
                r = sg_store_audit_trail(s, j->trail);
        if (r < 0) {
                conn_end_more(c);
                return database_error(c, s, r);
        }
        /* Without the journal's checkpoints a truncated trail would pass: no answer then. */
        r = trail_journal_checkpoints(j->trail, &j->checkpoints, &j->n_checkpoints);
        if (r < 0) {
                conn_end_more(c);
                return conn_errorf(c, ERR("DatabaseError"), NULL, NULL,
                                   "cannot read the audit checkpoints from the journal: %s",
                                   strerror(-r));
        }
        /* The database's own notes of them too: weaker (root can delete both), but they
         * catch a trail cut where the journal is not kept. */
        size = j->n_checkpoints;
        r = sg_store_audit_checkpoints(s, &j->checkpoints, &j->n_checkpoints, &size);
        if (r < 0) {
                conn_end_more(c);
                return database_error(c, s, r);
        }
        if (args->checkpoint) {
                struct sg_audit_checkpoint given;

                if (sg_audit_checkpoint_parse(args->checkpoint, &given) < 0) {
                        conn_end_more(c);
                        return invalid(c, "checkpoint",
                                       "parameter 'checkpoint' must be SEQ:HASH (a record number "
                                       "and its 64 hex digit hash)"),
                               0;
                }
                if (GROW(j->checkpoints, size, j->n_checkpoints, 1) < 0) {
                        conn_end_more(c);
                        return -ENOMEM;
                }
                j->checkpoints[j->n_checkpoints++] = given;
        }
        sg_audit_verifier_init(&j->v, j->checkpoints, j->n_checkpoints);
        log_info("audit trail verification for %s", who->name);
        if (d->event) {
                r = sd_event_add_defer(d->event, &j->step, on_verify_step, j);
                if (r >= 0)
                        /* After everything else of a turn: logins, timers, the commit. */
                        r = sd_event_source_set_priority(j->step, SD_EVENT_PRIORITY_IDLE);
                if (r >= 0)
                        r = sd_event_source_set_enabled(j->step, SD_EVENT_ON);
                if (r < 0) {
                        conn_end_more(c);
                        return r;
                }
                return 0;
        }
        /* No event loop (the method tests): all at once. */
        while ((r = verify_chunk(j)) > 0)
                ;
        return r;
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
