/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Client connections: non-blocking I/O, NUL-framed varlink messages, and the bounds that keep
 * one client from starving the others (request size, connections in all and per uid, idle
 * time, output backlog). */
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "daemon.h"

static uint64_t now_usec(void)
{
        struct timespec ts;

        (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void conn_free(struct conn *c)
{
        struct daemon *d;

        if (!c)
                return;
        d = c->d;
        if (c->prev)
                c->prev->next = c->next;
        else if (d->conns == c)
                d->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        d->n_conns--;
        sd_event_source_disable_unref(c->io);
        sd_event_source_disable_unref(c->timer);
        if (c->fd >= 0)
                (void)close(c->fd);
        free(c->in);
        free(c->out);
        free(c);
}

/* Any progress (a request read, a reply written) pushes the idle deadline out. */
static void conn_touch(struct conn *c)
{
        (void)sd_event_source_set_time(c->timer, now_usec() + DAEMON_IDLE_TIMEOUT_USEC);
        (void)sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
}

static void conn_update_events(struct conn *c)
{
        uint32_t ev = 0;

        /* Backpressure: a client that does not read its replies gets no new ones. */
        if (c->out_len == 0 && !c->has_stream)
                ev |= EPOLLIN;
        if (c->out_len > 0)
                ev |= EPOLLOUT;
        (void)sd_event_source_set_io_events(c->io, ev);
}

static int out_append(struct conn *c, const char *data, size_t len)
{
        if (c->out_size - c->out_len < len) {
                size_t nsize = c->out_size ? c->out_size : 4096;
                char *n;

                while (nsize - c->out_len < len)
                        nsize *= 2;
                n = realloc(c->out, nsize);
                if (!n)
                        return -ENOMEM;
                c->out = n;
                c->out_size = nsize;
        }
        memcpy(c->out + c->out_len, data, len);
        c->out_len += len;
        return 0;
}

static int send_message(struct conn *c, json_object *msg)
{
        const char *text;
        size_t len;
        int r;

        text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);
        if (!text)
                return -ENOMEM;
        r = out_append(c, text, len + 1); /* with its NUL terminator */
        if (r < 0)
                return r;
        conn_update_events(c);
        return 0;
}

int conn_reply(struct conn *c, json_object *params, bool continues)
{
        _cleanup_(json_object_putp) json_object *msg = json_object_new_object();

        if (!msg || !params) {
                json_object_put(params);
                return -ENOMEM;
        }
        (void)json_object_object_add(msg, "parameters", params);
        if (continues)
                (void)json_object_object_add(msg, "continues", json_object_new_boolean(1));
        return send_message(c, msg);
}

int conn_error(struct conn *c, const char *error, json_object *params)
{
        _cleanup_(json_object_putp) json_object *msg = json_object_new_object();

        if (!msg) {
                json_object_put(params);
                return -ENOMEM;
        }
        (void)json_object_object_add(msg, "error", json_object_new_string(error));
        (void)json_object_object_add(msg, "parameters", params ? params : json_object_new_object());
        return send_message(c, msg);
}

int conn_errorf(struct conn *c, const char *error, const char *key, json_object *value,
                const char *fmt, ...)
{
        json_object *params = json_object_new_object();
        _cleanup_free_ char *text = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (!params || n < 0) {
                json_object_put(params);
                json_object_put(value);
                return -ENOMEM;
        }
        if (key)
                (void)json_object_object_add(params, key, value);
        (void)json_object_object_add(params, "message", json_object_new_string(text));
        return conn_error(c, error, params);
}

/* Handles the next complete message in the input buffer once the replies to the previous ones
 * are sent: one request per turn, so that a client that pipelines expensive calls (and does not
 * read the answers) costs the daemon one call at a time, and the others get their turn. */
static int process_input(struct conn *c)
{
        size_t off = 0;
        int r = 0;

        while (off < c->in_len && c->out_len == 0 && !c->has_stream && !c->dead) {
                _cleanup_(json_object_putp) json_object *req = NULL;
                char *nul = memchr(c->in + off, 0, c->in_len - off);
                size_t len;

                if (!nul)
                        break;
                len = (size_t)(nul - (c->in + off));
                r = sg_varlink_parse(c->in + off, len, &req);
                off += len + 1;
                if (r < 0) {
                        /* Not varlink: say so once and hang up. */
                        (void)conn_errorf(c, "org.varlink.service.InvalidParameter", "parameter",
                                          json_object_new_string("message"),
                                          "malformed message: not a JSON object");
                        c->dead = true;
                        break;
                }
                r = method_dispatch(c, req);
                if (r < 0) {
                        c->dead = true;
                        break;
                }
        }
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
        /* A partial message may never grow past the request limit (complete ones waiting for
         * their turn are not partial). */
        if (c->in_len >= SG_VARLINK_REQUEST_MAX && !memchr(c->in, 0, c->in_len)) {
                (void)conn_errorf(c, "org.varlink.service.InvalidParameter", "parameter",
                                  json_object_new_string("message"), "request larger than %d bytes",
                                  SG_VARLINK_REQUEST_MAX);
                c->dead = true;
        }
        return r;
}

static int conn_read(struct conn *c)
{
        for (;;) {
                ssize_t n;

                if (c->in_size - c->in_len < 4096) {
                        size_t nsize = c->in_size ? c->in_size * 2 : 8192;
                        char *b;

                        if (nsize > SG_VARLINK_REQUEST_MAX + 8192)
                                nsize = SG_VARLINK_REQUEST_MAX + 8192;
                        if (nsize <= c->in_size)
                                return process_input(c);
                        b = realloc(c->in, nsize);
                        if (!b)
                                return -ENOMEM;
                        c->in = b;
                        c->in_size = nsize;
                }
                n = recv(c->fd, c->in + c->in_len, c->in_size - c->in_len, MSG_DONTWAIT);
                if (n == 0) {
                        /* The client finished sending (or hung up): answer what it asked,
                         * best-effort, then close. */
                        int r = process_input(c);
                        if (c->out_len > 0)
                                (void)send(c->fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
                        c->dead = true;
                        return r;
                }
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        c->dead = true;
                        return 0;
                }
                c->in_len += (size_t)n;
                conn_touch(c);
                if (memchr(c->in + c->in_len - n, 0, (size_t)n) ||
                    c->in_len >= SG_VARLINK_REQUEST_MAX)
                        break;
        }
        return process_input(c);
}

static int conn_write(struct conn *c)
{
        while (c->out_len > 0) {
                ssize_t n = send(c->fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        c->dead = true;
                        return 0;
                }
                memmove(c->out, c->out + n, c->out_len - (size_t)n);
                c->out_len -= (size_t)n;
                conn_touch(c);
        }
        /* Everything sent: the next page of a stream, or the next pipelined request. */
        if (c->has_stream)
                return logins_stream_next(c);
        return process_input(c);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct conn *c = userdata;
        int r = 0;

        c->had_turn = true;
        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
                r = conn_read(c);
        if (r >= 0 && !c->dead && (revents & EPOLLOUT))
                r = conn_write(c);
        if (!c->dead && c->out_len > 0)
                (void)conn_write(c);
        /* Replies of a client that is going away (the error that says why we hang up on it)
         * are flushed best-effort, never waited for. */
        if (c->dead && c->out_len > 0)
                (void)send(c->fd, c->out, c->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r < 0 || c->dead)
                conn_free(c);
        else
                conn_update_events(c);
        return 0;
}

static int on_idle(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct conn *c = userdata;

        log_debug("closing idle connection of uid %u", (unsigned)c->cred.uid);
        conn_free(c);
        return 0;
}

/* How many connections a peer uid holds now. */
static size_t conns_of_uid(struct daemon *d, uid_t uid)
{
        size_t n = 0;

        for (struct conn *c = d->conns; c; c = c->next)
                if (c->cred.uid == uid)
                        n++;
        return n;
}

/* A connection may make room for another only once it has had its chance to ask: the event
 * loop has dispatched it, or it has been quiet for the grace period with nothing waiting to be
 * read. A client that has just connected and is about to send its request keeps its place. */
static bool conn_evictable(struct conn *c, uint64_t now)
{
        char b;

        if (c->had_turn)
                return true;
        if (now - c->accepted_at < DAEMON_EVICT_GRACE_USEC)
                return false;
        return recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

/* At the connection limit one connection makes room: the longest idle one of the uid that
 * holds the most connections, root's only if no one else's may go. So a flood from one
 * account costs that account its connections, not the admin who wants to revoke access now.
 * Returns false if no connection may go. */
static bool evict_one(struct daemon *d)
{
        struct uid_load {
                uid_t uid;
                size_t n;
                struct conn *victim;
                uint64_t victim_t;
        } load[DAEMON_MAX_CONNECTIONS];
        size_t n_load = 0;
        struct uid_load *pick = NULL;
        uint64_t now = now_usec();

        for (struct conn *c = d->conns; c; c = c->next) {
                struct uid_load *l = NULL;
                uint64_t t = 0;

                for (size_t i = 0; i < n_load && !l; i++)
                        if (load[i].uid == c->cred.uid)
                                l = &load[i];
                if (!l) {
                        if (n_load >= ELEMENTSOF(load))
                                continue;
                        l = &load[n_load++];
                        *l = (struct uid_load){.uid = c->cred.uid, .victim_t = UINT64_MAX};
                }
                l->n++;
                if (!conn_evictable(c, now))
                        continue;
                (void)sd_event_source_get_time(c->timer, &t);
                if (!l->victim || t < l->victim_t) {
                        l->victim = c;
                        l->victim_t = t;
                }
        }
        for (size_t i = 0; i < n_load; i++) {
                struct uid_load *l = &load[i];

                if (!l->victim)
                        continue;
                if (!pick || ((pick->uid == 0) != (l->uid == 0) ? pick->uid == 0 : l->n > pick->n))
                        pick = l;
        }
        if (!pick)
                return false;
        log_debug("connection limit reached: dropping the longest idle connection of uid "
                  "%u (%zu open)",
                  (unsigned)pick->uid, pick->n);
        conn_free(pick->victim);
        return true;
}

/* Takes at most DAEMON_ACCEPT_BATCH connections per call, so that a connect flood cannot keep
 * the event loop from serving the connections it has; the rest wait in the backlog for the
 * next turn (the listening socket stays readable). */
int conn_accept(struct daemon *d)
{
        for (unsigned i = 0; i < DAEMON_ACCEPT_BATCH; i++) {
                _cleanup_close_ int fd = -EBADF;
                socklen_t len = sizeof(struct ucred);
                struct ucred cred;
                struct conn *c;
                int r;

                fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                                return 0;
                        if (errno == EMFILE || errno == ENFILE) {
                                (void)evict_one(d);
                                return 0;
                        }
                        return -errno;
                }
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                        continue; /* no credentials, no service */

                /* A uid at its limit is refused (closed at once) rather than pushing others
                 * out. */
                if (cred.uid != 0 && conns_of_uid(d, cred.uid) >= DAEMON_MAX_CONNECTIONS_PER_UID) {
                        log_debug("uid %u holds %d connections: refusing another",
                                  (unsigned)cred.uid, DAEMON_MAX_CONNECTIONS_PER_UID);
                        continue;
                }
                if (d->n_conns >= DAEMON_MAX_CONNECTIONS && !evict_one(d)) {
                        log_debug("connection limit reached and every connection is new: "
                                  "refusing uid %u",
                                  (unsigned)cred.uid);
                        continue;
                }

                c = calloc(1, sizeof(*c));
                if (!c)
                        return -ENOMEM;
                c->d = d;
                c->cred = cred;
                c->accepted_at = now_usec();
                c->fd = TAKE_FD(fd);
                c->next = d->conns;
                if (d->conns)
                        d->conns->prev = c;
                d->conns = c;
                d->n_conns++;

                r = sd_event_add_io(d->event, &c->io, c->fd, EPOLLIN, on_io, c);
                if (r >= 0)
                        r = sd_event_add_time(d->event, &c->timer, CLOCK_MONOTONIC,
                                              c->accepted_at + DAEMON_IDLE_TIMEOUT_USEC, 0, on_idle,
                                              c);
                if (r < 0) {
                        conn_free(c);
                        return r;
                }
        }
        return 0;
}
