/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The varlink server: the listening socket, client connections with non-blocking I/O and
 * NUL-framed messages, and the bounds that keep one client from starving the others. It knows
 * no method: each parsed request goes to the dispatch function it was given. */

#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "macro.h"

#define SERVER_MAX_CONNECTIONS         256
#define SERVER_MAX_CONNECTIONS_PER_UID 16 /* per peer uid; root is held only by the total */
#define SERVER_ACCEPT_BATCH            32 /* accepts per event loop iteration */
#define SERVER_EVICT_GRACE_USEC        (250ULL * 1000)   /* a new connection's time to send */
#define SERVER_IDLE_TIMEOUT_USEC       (30ULL * 1000000) /* no complete request, no progress */

struct conn;

/* Answers one request (a parsed varlink message): queues its replies with conn_reply() or
 * conn_error(). A negative return hangs up on the client. */
typedef int (*server_dispatch_fn)(struct conn *c, json_object *request, void *userdata);
/* The next part of a reply that is sent in parts (conn_set_more()), called whenever the client
 * has read everything sent so far. */
typedef int (*conn_more_fn)(struct conn *c, void *data);

struct server {
        sd_event *event;
        int listen_fd;
        bool own_socket; /* bound by server_listen(): unlinked by server_done() */
        char path[108];
        sd_event_source *listen_source;
        struct conn *conns;
        size_t n_conns;
        server_dispatch_fn dispatch;
        void *userdata; /* the dispatch function's */
        bool holding;   /* replies wait for the durable commit of a batch (server_hold()) */
};

struct conn {
        struct server *server;
        struct conn *prev, *next;
        int fd;
        struct ucred cred;
        sd_event_source *io;
        sd_event_source *timer;
        char *in;
        size_t in_len, in_size;
        char *out;
        size_t out_len, out_size;
        conn_more_fn more; /* a reply in parts is being sent: no new request meanwhile */
        void *more_data;   /* freed with more_free (free()) when the reply ends */
        void (*more_free)(void *data);
        bool dead;            /* close as soon as the current callback returns */
        bool held;            /* its replies wait for the batch's commit: server_release() */
        bool had_turn;        /* the event loop has dispatched it at least once */
        uint64_t accepted_at; /* CLOCK_MONOTONIC, usec */
};

enum server_listen_mode {
        SERVER_ACTIVATED,         /* the socket systemd passed, or fail */
        SERVER_ACTIVATED_OR_BIND, /* that socket, or else bind the path */
        SERVER_BIND,              /* bind the path */
};

void server_init(struct server *s, sd_event *event, server_dispatch_fn dispatch, void *userdata);
/* Logs what went wrong. */
int server_listen(struct server *s, const char *path, enum server_listen_mode mode);
void server_done(struct server *s);

/* A connection on fd (taken, also on failure) from the peer cred; conn_accept() makes them, and
 * tests in process make one on a socketpair. */
int conn_new(struct server *s, int fd, const struct ucred *cred, struct conn **ret);
void conn_free(struct conn *c);
int conn_reply(struct conn *c, json_object *params, bool continues);    /* takes params */
int conn_error(struct conn *c, const char *error, json_object *params); /* takes params */
int conn_errorf(struct conn *c, const char *error, const char *key, json_object *value,
                const char *fmt, ...) _printf_(5, 6);
/* The same with the parameters given (it adds "message"); takes params. */
int conn_errorv(struct conn *c, const char *error, json_object *params, const char *fmt, va_list ap)
        _printf_(4, 0);
/* Starts a reply in parts: more(c, data) is called for the next part until it calls
 * conn_end_more(). Takes data. */
void conn_set_more(struct conn *c, conn_more_fn more, void *data);
/* The same for a reply that is made elsewhere (work spread over turns of the loop, which
 * finally calls conn_end_more() and replies): more may do nothing; free_data releases data
 * when the reply ends or the connection goes away first. */
void conn_set_more_full(struct conn *c, conn_more_fn more, void *data, void (*free_data)(void *));
void conn_end_more(struct conn *c);

/* Group commit: from now on, the replies of every request dispatched wait (the connection
 * reads and writes nothing more) until server_release(). error NULL: the batch is durable,
 * the replies go out. Otherwise each held connection gets that error with message instead of
 * its replies: nothing it was told would have been recorded. */
void server_hold(struct server *s);
void server_release(struct server *s, const char *error, const char *message);

/* mkdir of the directory path is in, with mode, when it is missing (its parents must exist).
 * Returns a negative errno; does not log. */
int mkdir_parent(const char *path, mode_t mode);
