/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* supportgrantd: the one writer of grants, the judge of every request (by SO_PEERCRED) and
 * the one who ends staff sessions when their access ends. Single-threaded on sd-event. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "authz.h"
#include "conf.h"
#include "log.h"
#include "staff.h"
#include "store.h"
#include "varlink.h"

/* Bounds: a hostile or broken client cannot stop the daemon from serving others. */
#define DAEMON_MAX_CONNECTIONS         256
#define DAEMON_MAX_CONNECTIONS_PER_UID 16 /* per peer uid; root is held only by the total */
#define DAEMON_ACCEPT_BATCH            32 /* accepts per event loop iteration */
#define DAEMON_EVICT_GRACE_USEC        (250ULL * 1000)   /* a new connection's time to send */
#define DAEMON_IDLE_TIMEOUT_USEC       (30ULL * 1000000) /* no complete request, no progress */
#define DAEMON_OUT_HIGH_WATER          (1024 * 1024)     /* stop reading requests above this */
#define DAEMON_LOGINS_PAGE             256               /* rows per streamed reply */
#define DAEMON_LOGINS_UNSTREAMED       1000              /* rows at most without "more" */
#define DAEMON_SWEEP_USEC              (30ULL * 1000000) /* safety net behind the expiry timer */
#define DAEMON_STRAY_USEC              (1ULL * 1000000)  /* new processes of uncovered staff */
#define DAEMON_MAX_QUIET_UIDS          4096
#define DAEMON_PRUNE_USEC              (6ULL * 3600 * 1000000)
/* How far ahead of ours the clock of the machine that made an activation code may be. */
#define DAEMON_CODE_CLOCK_SKEW 300
#define DAEMON_KILL_GRACE_USEC (1ULL * 1000000) /* SIGTERM/SIGHUP, then SIGKILL */
#define DAEMON_KILL_PASSES     10               /* SIGKILL sweeps over /proc per uid */
#define DAEMON_MAX_SESSIONS    4096             /* open sessions looked at per sweep */
#define DAEMON_MAX_EXPORTS     1024             /* sessions the gate started with export */
#define DAEMON_MAX_EXPORTS_UID 64               /* ... per staff account */

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

struct conn;

/* A Logins call with "more": served page by page as the client reads. */
struct logins_stream {
        time_t since, until;
        char user[SG_NAME_MAX];
        bool has_user;
        bool limited;
        size_t remaining; /* rows still to send when limited */
        time_t cursor_time;
        int64_t cursor_id;
};

struct daemon {
        sd_event *event;
        char conf_path[PATH_MAX];
        struct sg_config cfg;
        uid_t uid_min, uid_max;

        int listen_fd;
        bool own_socket; /* --socket: we bound it, we unlink it */
        sd_event_source *listen_source;

        struct conn *conns;
        size_t n_conns;

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
        sg_store *keeper;      /* idle connection held open, see daemon_keep_store() */
};

struct conn {
        struct daemon *d;
        struct conn *prev, *next;
        int fd;
        struct ucred cred;
        sd_event_source *io;
        sd_event_source *timer;
        char *in;
        size_t in_len, in_size;
        char *out;
        size_t out_len, out_size;
        bool has_stream;
        struct logins_stream stream;
        bool dead;            /* close as soon as the current callback returns */
        bool had_turn;        /* the event loop has dispatched it at least once */
        uint64_t accepted_at; /* CLOCK_MONOTONIC, usec */
};

/* Who is asking, resolved once per request. */
struct caller {
        struct sg_caller authz;
        char name[SG_NAME_MAX]; /* "uid 1234" when NSS does not know it */
        struct sg_identity id;
};

/* server.c */
int conn_accept(struct daemon *d);
void conn_free(struct conn *c);
int conn_reply(struct conn *c, json_object *params, bool continues);    /* takes params */
int conn_error(struct conn *c, const char *error, json_object *params); /* takes params */
int conn_errorf(struct conn *c, const char *error, const char *key, json_object *value,
                const char *fmt, ...) _printf_(5, 6);

/* methods.c */
int method_dispatch(struct conn *c, json_object *request);
int logins_stream_next(struct conn *c);
int daemon_open_store(struct daemon *d, sg_store **ret);
void daemon_keep_store(struct daemon *d, bool reopen);

/* sessions.c */
int sessions_sweep(struct daemon *d, const char *why);
/* Remembers a session the gate is about to start with export (see struct export_session);
 * kept in the runtime directory too, so that a restarted daemon still ends it. */
int exports_add(struct daemon *d, pid_t pid, uid_t uid, const char *user);
void exports_load(struct daemon *d);
int expiry_timer_update(struct daemon *d);
int sessions_setup(struct daemon *d);
int prune_now(struct daemon *d);
