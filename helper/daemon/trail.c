/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit trail's checkpoints (trail.h). */
#include <inttypes.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "timeutil.h"
#include "trail.h"

/* One head into the journal and the database's list. */
static int checkpoint(struct manager *m, int64_t seq, const char *hash, const char *why)
{
        struct sg_event_fields f = {.export = -1, .audit_seq = seq, .audit_hash = hash};
        char trail[SG_AUDIT_TRAIL_LEN + 1], msg[256];
        sg_store *s = NULL;
        int r;

        r = manager_store(m, &s);
        if (r < 0)
                return r;
        r = sg_store_audit_trail(s, trail);
        if (r < 0) {
                log_error("cannot read the audit trail's name: %s", sg_store_errmsg(s));
                return r;
        }
        f.audit_trail = trail;
        (void)snprintf(msg, sizeof(msg), "Audit trail checkpoint (%s): record %" PRId64 ", hash %s",
                       why, seq, hash);
        r = sg_journal_event(SG_EVENT_AUDIT_CHECKPOINT, LOG_INFO, &f, msg);
        if (r < 0)
                return log_error_errno(r, "cannot write the audit checkpoint to the journal: %m");
        r = sg_store_audit_checkpoint_add(s, seq, hash, time(NULL));
        if (r < 0)
                log_error("cannot remember the audit checkpoint: %s", sg_store_errmsg(s));
        return r;
}

int trail_checkpoint_head(struct manager *m, bool force, const char *why)
{
        char hash[SG_AUDIT_HASH_LEN + 1], last_hash[SG_AUDIT_HASH_LEN + 1];
        int64_t seq = 0, last = 0;
        sg_store *s = NULL;
        int r;

        manager_commit(m);
        r = manager_store_read(m, &s);
        if (r < 0)
                return r;
        r = sg_store_audit_head(s, &seq, hash);
        if (r < 0) {
                log_error("cannot read the audit trail's head: %s", sg_store_errmsg(s));
                return r;
        }
        if (seq == 0)
                return 0;
        r = sg_store_audit_checkpoint_last(s, INT64_MAX, &last, last_hash, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        if (!force && r >= 0 && last == seq && streq(last_hash, hash))
                return 0;
        return checkpoint(m, seq, hash, why);
}

int trail_prune(struct manager *m, sg_store *s, time_t cutoff)
{
        char hash[SG_AUDIT_HASH_LEN + 1];
        int64_t seq;
        int r;

        r = sg_store_audit_checkpoint_last(s, cutoff, &seq, hash, NULL);
        if (r == -ENOENT)
                return 0; /* nothing written down that old: everything stays */
        if (r < 0)
                return r;
        r = sg_store_audit_prune(s, seq);
        if (r < 0) {
                log_error("cannot prune the audit trail: %s", sg_store_errmsg(s));
                return r;
        }
        if (r > 0)
                log_info("pruned %d audit records up to record %" PRId64, r, seq);
        /* The start is vouched for by this head: journaled again, the newest entry of it. */
        return checkpoint(m, seq, hash, "start of the trail after a prune");
}

int trail_journal_checkpoints(const char *trail, struct sg_audit_checkpoint **ret, size_t *ret_n)
{
        _cleanup_free_ struct sg_audit_checkpoint *items = NULL;
        size_t n = 0, size = 0;
        char match[64];
        sd_journal *j = NULL;
        int r;

        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        if (r < 0)
                return log_error_errno(r, "cannot open the journal: %m");
        (void)snprintf(match, sizeof(match), "SUPPORTGRANT_AUDIT_TRAIL=%s", trail);
        r = sd_journal_add_match(j, "SUPPORTGRANT_EVENT=audit-checkpoint", 0);
        if (r >= 0)
                r = sd_journal_add_match(j, match, 0);
        if (r >= 0)
                r = sd_journal_add_match(j, "_UID=0", 0);
        if (r < 0)
                goto out;
        SD_JOURNAL_FOREACH(j)
        {
                const void *seq_data = NULL, *hash_data = NULL;
                size_t seq_len = 0, hash_len = 0;
                char seq_text[32], hash_text[SG_AUDIT_HASH_LEN + 1], *end = NULL;
                const size_t seq_pfx = strlen("SUPPORTGRANT_AUDIT_SEQ="),
                             hash_pfx = strlen("SUPPORTGRANT_AUDIT_HASH=");
                uint64_t usec = 0;
                long long seq;

                if (sd_journal_get_data(j, "SUPPORTGRANT_AUDIT_SEQ", &seq_data, &seq_len) < 0 ||
                    sd_journal_get_data(j, "SUPPORTGRANT_AUDIT_HASH", &hash_data, &hash_len) < 0 ||
                    seq_len <= seq_pfx || seq_len - seq_pfx >= sizeof(seq_text) ||
                    hash_len != hash_pfx + SG_AUDIT_HASH_LEN)
                        continue;
                memcpy(seq_text, (const char *)seq_data + seq_pfx, seq_len - seq_pfx);
                seq_text[seq_len - seq_pfx] = 0;
                memcpy(hash_text, (const char *)hash_data + hash_pfx, SG_AUDIT_HASH_LEN);
                hash_text[SG_AUDIT_HASH_LEN] = 0;
                seq = strtoll(seq_text, &end, 10);
                if (*end || seq < 1 || !sg_audit_hash_is_valid(hash_text))
                        continue;
                if (GROW(items, size, n, 64) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
                items[n] = (struct sg_audit_checkpoint){.seq = seq};
                memcpy(items[n].hash, hash_text, sizeof(hash_text));
                if (sd_journal_get_realtime_usec(j, &usec) >= 0) {
                        char when[SG_RFC3339_MAX];

                        (void)sg_time_format_rfc3339((time_t)(usec / 1000000), when, sizeof(when));
                        (void)snprintf(items[n].origin, sizeof(items[n].origin),
                                       "the journal's checkpoint of %s", when);
                } else
                        (void)snprintf(items[n].origin, sizeof(items[n].origin),
                                       "the journal's checkpoint");
                n++;
        }
        *ret = TAKE_PTR(items);
        *ret_n = n;
        r = 0;
out:
        sd_journal_close(j);
        if (r < 0)
                log_error_errno(r, "cannot read the audit checkpoints from the journal: %m");
        return r;
}

static uint64_t interval_usec(struct manager *m)
{
        time_t now = time(NULL), later = now;

        if (sg_duration_add(&m->cfg.audit_checkpoint, now, &later) < 0 || later <= now)
                return 3600ULL * 1000000;
        return (uint64_t)(later - now) * 1000000;
}

static int on_checkpoint(sd_event_source *es, uint64_t usec, void *userdata)
{
        struct manager *m = userdata;

        (void)trail_checkpoint_head(m, false, "periodic");
        manager_commit(m);
        (void)sd_event_source_set_time_relative(es, interval_usec(m));
        return 0;
}

int trail_setup(struct manager *m)
{
        int r;

        r = sd_event_add_time_relative(m->event, &m->checkpoint_timer, CLOCK_MONOTONIC,
                                       interval_usec(m), 1000000, on_checkpoint, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->checkpoint_timer, SD_EVENT_ON);
        return r < 0 ? log_error_errno(r, "cannot set up the audit checkpoint timer: %m") : 0;
}
