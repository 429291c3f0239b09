/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The SQLite store: grants, logins, rights and used activation codes. This file owns all SQL;
 * only supportgrantd uses it (the PAM module is its client).
 *
 * Every function returns 0 (or a documented positive value) or a negative errno:
 *   -ENOENT           the database (or the row asked for) does not exist
 *   -EBUSY            locked by another writer beyond the busy timeout
 *   -EBADMSG          corrupt, not a database, or not a supportgrant database
 *   -EPROTONOSUPPORT  written by a newer supportgrant (schema version above ours)
 *   -EROFS / -ENOSPC / -EACCES / -EIO   as the file system says
 * sg_store_errmsg() gives SQLite's own words for the last failure. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "audit.h"
#include "error.h"
#include "grant.h"

#define SG_STORE_SCHEMA_VERSION  6
#define SG_STORE_BUSY_TIMEOUT_MS 2000

typedef struct sg_store sg_store;

enum sg_store_flags {
        SG_STORE_CREATE = 1 << 0, /* create the file (0600) and schema if missing */
        SG_STORE_READONLY = 1 << 1,
};

/* Opens (and with SG_STORE_CREATE creates, 0600) the database and brings its schema up to date.
 * The file must be owned by the effective uid and not writable by group or others. err says
 * what went wrong in words (with SQLite's own message where there is one). */
int sg_store_open(const char *path, int flags, sg_store **ret, struct sg_error *err);
/* For tests of the migration path: stops at schema version 'version'. */
int sg_store_open_version(const char *path, int flags, int version, sg_store **ret,
                          struct sg_error *err);
void sg_store_close(sg_store *s);
/* For a connection kept open: whether the file at its path is still the one it opened, and
 * still safe (the checks of sg_store_open()). -ESTALE when it was replaced (a restore), or the
 * error of the check; sg_store_errmsg() says which. */
int sg_store_verify(sg_store *s);
const char *sg_store_errmsg(sg_store *s);
/* The schema version a database file has (0 for a fresh file). */
int sg_store_schema_version(sg_store *s, int *ret);

/* Explicit transactions for work that must be atomic across calls (redeeming a code).
 * Every single call below is atomic on its own. Inside a batch these are savepoints: the unit
 * rolls back alone, and commits with the batch. */
int sg_store_begin(sg_store *s);
int sg_store_commit(sg_store *s);
void sg_store_rollback(sg_store *s);
bool sg_store_in_transaction(sg_store *s);
/* Group commit: the daemon runs every request of one turn of its event loop in one
 * transaction, and answers them after sg_store_batch_commit(), one durable commit for all.
 * Fails (and rolls back) when a unit of work was left open, or when SQLite already rolled the
 * batch back (a full disk, an I/O error): nothing of it is then to be acknowledged. */
int sg_store_batch_begin(sg_store *s);
int sg_store_batch_commit(sg_store *s);
/* Rolls the whole transaction back, every unit of it. */
void sg_store_batch_abort(sg_store *s);

/* Grants */
int sg_store_grant_add(sg_store *s, struct sg_grant *g); /* sets g->id */
int sg_store_grant_get(sg_store *s, int64_t id, struct sg_grant *ret);
/* -ENOENT: no such grant; -EALREADY: already revoked. */
int sg_store_grant_revoke(sg_store *s, int64_t id, time_t when, const char *by);

/* Calls cb for each grant, newest first. Return a negative value from cb to stop (it is
 * passed on). */
typedef int (*sg_grant_cb)(const struct sg_grant *g, void *userdata);
/* Grants active at 'now' (neither revoked nor expired). */
int sg_store_grants_active(sg_store *s, time_t now, sg_grant_cb cb, void *userdata);
/* Grants made in [since, until) (history). */
int sg_store_grants_between(sg_store *s, time_t since, time_t until, sg_grant_cb cb,
                            void *userdata);
/* Active grants whose target is exactly this user or department. */
int sg_store_grants_active_for(sg_store *s, enum sg_grant_kind kind, const char *target, time_t now,
                               sg_grant_cb cb, void *userdata);
/* The earliest expiry after 'now' among active grants; SG_TIME_NEVER if none. */
int sg_store_next_expiry(sg_store *s, time_t now, time_t *ret);

/* Which active grants cover a staff account with these departments at 'now'. Returns 1 when
 * covered, 0 when not (ret->n_grant_ids == 0). */
int sg_store_coverage(sg_store *s, const char *user, const char *const *departments,
                      size_t n_departments, time_t now, struct sg_coverage *ret);

/* Logins */
int sg_store_login_add(sg_store *s, struct sg_login *l); /* sets l->id */
/* A denied login: merged into the newest row of the same user, origin (rhost) and service
 * when that is a denied one made
 * less than window seconds before l->time (its count grows, its detail becomes this one's),
 * else added. 1: merged (l->id is that row), 0: added. One transaction. */
int sg_store_login_deny(sg_store *s, struct sg_login *l, time_t window);
int sg_store_login_get(sg_store *s, int64_t id, struct sg_login *ret);
/* Records the end of a session once: -EALREADY if it already ended (the first end wins, so a
 * session the daemon terminated stays "terminated" when sshd then runs close_session). */
int sg_store_login_end(sg_store *s, int64_t id, time_t when, enum sg_login_end end);
typedef int (*sg_login_cb)(const struct sg_login *l, void *userdata);
/* Logins in [since, until), optionally of one user, newest first; limit 0 = all. */
int sg_store_logins_between(sg_store *s, time_t since, time_t until, const char *user, size_t limit,
                            sg_login_cb cb, void *userdata);
/* Keyset pagination for streaming: logins older than (before_time, before_id). */
int sg_store_logins_page(sg_store *s, time_t since, time_t until, const char *user,
                         time_t before_time, int64_t before_id, size_t limit, sg_login_cb cb,
                         void *userdata);
/* The open session this process (pid + start time) opened for user; -ENOENT if none. */
int sg_store_login_find_open(sg_store *s, const char *user, pid_t pid, uint64_t pid_start,
                             int64_t *ret_id);
/* Accepted logins whose session has not ended. */
int sg_store_open_sessions(sg_store *s, sg_login_cb cb, void *userdata);

/* Staff unknown (SPEC §2). Whether the host has ever known the account as staff (a login row
 * or a user grant named it, whatever was pruned since): 1 or 0. The gid staff_group had when it
 * last resolved: -ENOENT when none was recorded. _set writes only a change (returns 1 then). */
int sg_store_staff_known(sg_store *s, const char *user);
int sg_store_staff_gid_get(sg_store *s, const char *group, gid_t *ret);
int sg_store_staff_gid_set(sg_store *s, const char *group, gid_t gid, time_t when);

/* Names as stored (SPEC §2 "names": canonical), for rewriting what an earlier version stored as
 * typed. sg_store_rename() moves every row of one kind from one spelling to another in one
 * transaction (for rights, where both spellings have an entry, root's later decision stays)
 * and returns the number of rows renamed. */
enum sg_name_kind {
        SG_NAME_RIGHT,
        SG_NAME_USER_TARGET,
        SG_NAME_DEPARTMENT_TARGET,
};
typedef int (*sg_name_cb)(const char *name, void *userdata);
int sg_store_names(sg_store *s, enum sg_name_kind k, sg_name_cb cb, void *userdata);
int sg_store_rename(sg_store *s, enum sg_name_kind k, const char *from, const char *to);

/* Rights */
int sg_store_right_get(sg_store *s, const char *user, enum sg_right *ret);
int sg_store_right_set(sg_store *s, const char *user, enum sg_right right, time_t when,
                       const char *by);
typedef int (*sg_right_cb)(const struct sg_right_entry *e, void *userdata);
int sg_store_rights_list(sg_store *s, sg_right_cb cb, void *userdata);

/* Activation codes: marks a code id used. -EEXIST when it was used before, with *ret_used_at
 * and ret_used_by (SG_NAME_MAX) telling when and by whom. */
int sg_store_code_mark_used(sg_store *s, const char *code_id, time_t created, time_t now,
                            const char *by, int64_t grant_id, time_t *ret_used_at,
                            char *ret_used_by);

/* Deletes what is older than the retention cutoff: grants that ended (expired or revoked)
 * before it, logins before it that are not open sessions, used codes that can no longer be
 * redeemed anyway (created before code_cutoff). Returns the number of rows removed. */
int sg_store_prune(sg_store *s, time_t cutoff, time_t code_cutoff);

/* The audit trail (SPEC §11, audit.h). Appends one record (the store gives it its seq) after
 * the head, in the caller's transaction: the record of a change is written with the change. */
int sg_store_audit_append(sg_store *s, json_object *record, int64_t *ret_seq,
                          char ret_hash[static SG_AUDIT_HASH_LEN + 1]);
/* The last record's seq and hash (0 and SG_AUDIT_GENESIS_PREV when there is none). */
int sg_store_audit_head(sg_store *s, int64_t *ret_seq, char ret_hash[static SG_AUDIT_HASH_LEN + 1]);
/* Records after seq 'after', in order; limit 0 = all. */
typedef int (*sg_audit_cb)(int64_t seq, const char *record, const char *prev, const char *hash,
                           void *userdata);
int sg_store_audit_each(sg_store *s, int64_t after, size_t limit, sg_audit_cb cb, void *userdata);
/* The trail's name (32 hex digits), which its journaled checkpoints carry. */
#define SG_AUDIT_TRAIL_LEN 32
int sg_store_audit_trail(sg_store *s, char ret[static SG_AUDIT_TRAIL_LEN + 1]);
/* The heads the daemon journaled: remembered so that a prune can cut the trail just after
 * one (the oldest kept record's prev is then in the journal). _last: the newest made before
 * 'before'; -ENOENT if none. */
/* Deletes the records up to seq, and the checkpoints before it (a prune). Returns how many
 * records went. */
int sg_store_audit_prune(sg_store *s, int64_t seq);
int sg_store_audit_checkpoint_add(sg_store *s, int64_t seq, const char *hash, time_t when);
/* Every remembered checkpoint, appended to *items (n, size as GROW() keeps them). */
int sg_store_audit_checkpoints(sg_store *s, struct sg_audit_checkpoint **items, size_t *n,
                               size_t *size);
int sg_store_audit_checkpoint_last(sg_store *s, time_t before, int64_t *ret_seq,
                                   char ret_hash[static SG_AUDIT_HASH_LEN + 1], time_t *ret_time);
