/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* supportgrantd's one manager: the configuration, the event loop, the server, the database and
 * what the daemon knows of sessions, passed to everything. Single-threaded on sd-event. */

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "journal.h"
#include "names.h"
#include "reason.h"
#include "server.h"
#include "staff.h"
#include "store.h"

/* The longest a batch stays open while the event loop has other work (a flood of connections
 * would otherwise keep it from ever being idle). */
#define MANAGER_BATCH_MAX_USEC 2000

/* How far ahead of ours the clock of the machine that made an activation code may be. */
#define MANAGER_CODE_CLOCK_SKEW 300

/* A session the gate started because its staff member had the export right (an sftp server
 * without restrictions, a command without a terminal): ended when that right ends while the
 * access goes on. pid is the gate's; sid the session sshd made for the channel (setsid()),
 * which holds what the gate starts. */
struct export_session {
        pid_t pid;
        pid_t sid;
        uint64_t start; /* the pid's start time, against pid reuse */
        uid_t uid;
        char user[SG_NAME_MAX];
        bool ending; /* SIGTERM sent; SIGKILL at the kill timer */
};

/* A reason a staff login gave in the auth or account phase, until its session opens (sshd runs
 * them in other processes): single use, at most MANAGER_TOKEN_MAX_AGE old. Kept in memory
 * only: it needs no disk, and after a restart of the daemon the reason is asked again. */
#define MANAGER_TOKEN_LEN     32 /* hex characters */
#define MANAGER_TOKEN_MAX_AGE 600
#define MANAGER_MAX_TOKENS    1024
struct login_token {
        char token[MANAGER_TOKEN_LEN + 1];
        char user[SG_NAME_MAX];
        char reason[SG_REASON_MAX_BYTES + 1];
        time_t created;
};

struct manager {
        sd_event *event;
        char conf_path[PATH_MAX];
        const char *socket_override; /* --socket */
        struct sg_config cfg;
        uid_t uid_min, uid_max;

        struct server server;
        /* After a reload (SIGHUP) has read the configuration again (set by main). */
        int (*after_reload)(struct manager *m);

        sd_event_source *expiry_timer;
        sd_event_source *sweep_timer;
        sd_event_source *prune_timer;
        sd_event_source *kill_timer;
        sd_event_source *stray_timer;
        sd_event_source *checkpoint_timer; /* the audit trail's head into the journal */
        /* Process uids the stray sweep found to be no uncovered staff member's, until the next
         * full sweep (which every change of grants causes): the 1 s sweep looks up only what
         * is new. */
        uid_t *quiet_uids;
        size_t n_quiet_uids, quiet_uids_size;
        struct export_session *exports;
        size_t n_exports, exports_size;
        uid_t kill_uids[64]; /* staff uids to SIGKILL when the grace period is over */
        size_t n_kill_uids;

        struct login_token *tokens;
        size_t n_tokens, tokens_size;

        bool staff_group_lost; /* staff_group did not resolve at the last sweep (logged once) */
        sg_store *store;       /* the one connection to the database, see manager_store() */
        bool batch_open;       /* the requests of this turn share one transaction */
        sd_event_source *commit_event; /* commits the batch when the turn's requests are done */
        sd_event_source *commit_timer; /* ... or after MANAGER_BATCH_MAX_USEC, however busy */
};

/* One event (SPEC §10, §11): appended to the audit trail in the batch's transaction when s is
 * given (the change it records is in the same one), then journaled. When the trail cannot take
 * it, the whole batch is rolled back and its requests are told nothing of them was recorded:
 * no change without its record. The journal entry is written in any case (the journal is the
 * other witness). Returns the trail's error, or 0. */
int manager_record(struct manager *m, sg_store *s, enum sg_event e, int priority,
                   const struct sg_event_fields *f, const char *message);
/* The same without the journal entry (a denial merged into the row of one a moment ago, which
 * the journal has already). */
int manager_record_trail(struct manager *m, sg_store *s, enum sg_event e,
                         const struct sg_event_fields *f);
/* Reads the configuration file (and --socket) into ret; logs what is wrong. */
int manager_load_config(struct manager *m, struct sg_config *ret);
/* The daemon's one connection to the database (created if missing), opened at the first use
 * and kept: only the daemon opens the database. Before each use the file is checked again
 * (sg_store_verify()): one replaced (a restore), removed or made unsafe since is seen at the
 * next request, which opens it again or fails. Borrowed: the caller does not close it. Logs
 * what is wrong. */
int manager_store(struct manager *m, sg_store **ret);
/* The same for a request that only reads: it opens no batch (and so takes no write lock and
 * waits for no commit), and its reply goes out at once unless a batch of this turn is open.
 * A handler that then finds it must write calls manager_store(). */
int manager_store_read(struct manager *m, sg_store **ret);
void manager_close_store(struct manager *m);
/* Group commit. The first manager_store() of a turn of the event loop opens a batch: one
 * transaction that every request of the turn joins, and the replies to all of them are held
 * (server_hold()). When the loop has nothing more to do this turn, manager_commit() commits it
 * (one fsync for all) and releases the replies; if the commit fails, each of those requests is
 * answered DatabaseError instead, and nothing of the batch is recorded. */
void manager_commit(struct manager *m);
/* Settles SG_STAFF_UNKNOWN (SPEC §2 "staff unknown") by sg_staff_decide() with what the
 * database knows of staff_group (NULL: the configured one) and /etc/passwd. s NULL: there is
 * no database yet, so nothing was ever known. Negative errno when either cannot be read: the
 * caller then cannot tell, and denies. */
int manager_settle_staff(struct manager *m, sg_store *s, const char *staff_group,
                         struct sg_identity *id);
/* Rewrites names stored as typed by earlier versions to the canonical ones. */
void manager_canonicalize_names(struct manager *m, sg_store *s);
/* SIGTERM and SIGINT end the loop, SIGHUP reloads; the signals must be blocked. */
int manager_watch_signals(struct manager *m);
void manager_done(struct manager *m);
