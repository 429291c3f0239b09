/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <inttypes.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>

#include "journal.h"
#include "macro.h"

static const struct {
        const char *name;
        const char *message_id;
} events[_SG_EVENT_MAX] = {
        [SG_EVENT_GRANT_CREATED] = {"grant-created", "0ffad0061b5e41f29d187027f7d08688"},
        [SG_EVENT_GRANT_REVOKED] = {"grant-revoked", "7c82c71854bb46b49e111f040bba103a"},
        [SG_EVENT_LOGIN_ACCEPTED] = {"login-accepted", "8f80990ef59447feb030e4ce4de194d7"},
        [SG_EVENT_LOGIN_DENIED] = {"login-denied", "2d99adb3c8d34739ad475212de81b517"},
        [SG_EVENT_SESSION_CLOSED] = {"session-closed", "f5e888abe7f54617b24a6fa0d40f94ce"},
        [SG_EVENT_SESSION_TERMINATED] = {"session-terminated", "aca3919ce5e44fb49a28f36d324a681e"},
        [SG_EVENT_RIGHT_CHANGED] = {"right-changed", "71d0ec137302491487df7d9e8f2c8488"},
        [SG_EVENT_EXPORT_REFUSED] = {"export-refused", "584ebc450d2e4a619b211d0c0fb9989a"},
        [SG_EVENT_AUDIT_CHECKPOINT] = {"audit-checkpoint", "282a2585819b46a7a6df7340952fc555"},
};

const char *sg_event_to_string(enum sg_event e)
{
        return e >= 0 && e < _SG_EVENT_MAX ? events[e].name : NULL;
}

const char *sg_event_message_id(enum sg_event e)
{
        return e >= 0 && e < _SG_EVENT_MAX ? events[e].message_id : NULL;
}

#define MAX_FIELDS 24

struct fields {
        struct iovec iov[MAX_FIELDS];
        char *text[MAX_FIELDS];
        size_t n;
};

static void fields_free(struct fields *f)
{
        for (size_t i = 0; i < f->n; i++)
                free(f->text[i]);
}

static int field_add(struct fields *f, const char *name, const char *value)
{
        char *t;
        int n;

        if (isempty(value))
                return 0;
        if (f->n >= MAX_FIELDS)
                return -E2BIG;
        n = asprintf(&t, "%s=%s", name, value);
        if (n < 0)
                return -ENOMEM;
        f->text[f->n] = t;
        f->iov[f->n] = (struct iovec){.iov_base = t, .iov_len = (size_t)n};
        f->n++;
        return 0;
}

static int field_add_int(struct fields *f, const char *name, int64_t v)
{
        char buf[32];

        if (v <= 0)
                return 0;
        (void)snprintf(buf, sizeof(buf), "%" PRId64, v);
        return field_add(f, name, buf);
}

int sg_journal_event(enum sg_event e, int priority, const struct sg_event_fields *in,
                     const char *message)
{
        _cleanup_(fields_free) struct fields f = {};
        const struct sg_event_fields none = {.export = -1};
        char prio[4];
        int r = 0;

        if (e < 0 || e >= _SG_EVENT_MAX || priority < LOG_EMERG || priority > LOG_DEBUG)
                return -EINVAL;
        if (!in)
                in = &none;
        (void)snprintf(prio, sizeof(prio), "%d", priority);

        RET_GATHER(r, field_add(&f, "MESSAGE", message ? message : events[e].name));
        RET_GATHER(r, field_add(&f, "PRIORITY", prio));
        RET_GATHER(r, field_add(&f, "SYSLOG_IDENTIFIER", "supportgrant"));
        RET_GATHER(r, field_add(&f, "MESSAGE_ID", events[e].message_id));
        RET_GATHER(r, field_add(&f, "SUPPORTGRANT_EVENT", events[e].name));
        RET_GATHER(r, field_add(&f, "SUPPORTGRANT_USER", in->user));
        RET_GATHER(r, field_add(&f, "SUPPORTGRANT_DEPARTMENT", in->department));
        if (in->grant_ids)
                RET_GATHER(r, field_add(&f, "SUPPORTGRANT_GRANT_ID", in->grant_ids));
        else
                RET_GATHER(r, field_add_int(&f, "SUPPORTGRANT_GRANT_ID", in->grant_id));
        RET_GATHER(r, field_add_int(&f, "SUPPORTGRANT_LOGIN_ID", in->login_id));
        RET_GATHER(r, field_add(&f, "SUPPORTGRANT_REASON", in->reason));
        RET_GATHER(r, field_add(&f, "SUPPORTGRANT_SERVICE", in->service));
        RET_GATHER(r, field_add(&f, "SUPPORTGRANT_RHOST", in->rhost));
        RET_GATHER(r, field_add(&f, "SUPPORTGRANT_ACTOR", in->actor));
        RET_GATHER(r, field_add(&f, "SUPPORTGRANT_EXPIRES", in->expires));
        RET_GATHER(r, field_add(&f, "SUPPORTGRANT_COMMAND", in->command));
        RET_GATHER(r, field_add(&f, "SUPPORTGRANT_DETAIL", in->detail));
        RET_GATHER(r, field_add(&f, "SUPPORTGRANT_RIGHT", in->right));
        RET_GATHER(r, field_add_int(&f, "SUPPORTGRANT_AUDIT_SEQ", in->audit_seq));
        RET_GATHER(r, field_add(&f, "SUPPORTGRANT_AUDIT_HASH", in->audit_hash));
        RET_GATHER(r, field_add(&f, "SUPPORTGRANT_AUDIT_TRAIL", in->audit_trail));
        if (in->export >= 0)
                RET_GATHER(r, field_add(&f, "SUPPORTGRANT_EXPORT", in->export ? "yes" : "no"));
        if (r < 0)
                return r;
        r = sd_journal_sendv(f.iov, (int)f.n);
        return r < 0 ? r : 0;
}
