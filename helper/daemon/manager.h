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
#include "names.h"
#include "server.h"
#include "store.h"

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
        /* Process uids the stray sweep found to be no uncovered staff member's, until the next
         * full sweep (which every change of grants causes): the 1 s sweep looks up only what
         * is new. */
        uid_t *quiet_uids;
        size_t n_quiet_uids, quiet_uids_size;
        struct export_session *exports;
        size_t n_exports, exports_size;
        uid_t kill_uids[64]; /* staff uids to SIGKILL when the grace period is over */
        size_t n_kill_uids;

        bool staff_group_lost; /* staff_group did not resolve at the last sweep (logged once) */
        sg_store *keeper;      /* idle connection held open, see manager_keep_store() */
};

/* Reads the configuration file (and --socket) into ret; logs what is wrong. */
int manager_load_config(struct manager *m, struct sg_config *ret);
/* Opens the database, created if missing; logs what is wrong. */
int manager_open_store(struct manager *m, sg_store **ret);
void manager_keep_store(struct manager *m, bool reopen);
/* Rewrites names stored as typed by earlier versions to the canonical ones. */
void manager_canonicalize_names(struct manager *m, sg_store *s);
/* SIGTERM and SIGINT end the loop, SIGHUP reloads; the signals must be blocked. */
int manager_watch_signals(struct manager *m);
void manager_done(struct manager *m);
