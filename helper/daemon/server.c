/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The varlink server (server.h): the listening socket, client connections, framing and
 * bounds (request size, connections in all and per uid, idle time, output backlog). */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "server.h"
#include "varlink.h"

static uint64_t now_usec(void)
{
        struct timespec ts;

        (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void conn_free(struct conn *c)
{
        struct server *s;

        if (!c)
                return;
        s = c->server;
        if (c->prev)
                c->prev->next = c->next;
        else if (s->conns == c)
                s->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        s->n_conns--;
        conn_set_more(c, NULL, NULL);
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
        (void)sd_event_source_set_time(c->timer, now_usec() + SERVER_IDLE_TIMEOUT_USEC);
        (void)sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
}

static void conn_update_events(struct conn *c)
{
        uint32_t ev = 0;

        /* Backpressure: a client that does not read its replies gets no new ones. Held: not
         * a byte until the batch is durable (hangups are still reported). */
        if (c->held)
                ev = 0;
        else if (c->out_len == 0 && !c->more)
                ev |= EPOLLIN;
        if (c->out_len > 0 && !c->held)
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

void conn_set_more_full(struct conn *c, conn_more_fn more, void *data, void (*free_data)(void *))
{
        void *old = c->more_data;
        void (*old_free)(void *) = c->more_free;

        /* Set before the old data goes: its destructor may look at the connection. */
        c->more = more;
        c->more_data = data;
        c->more_free = free_data;
        if (old_free)
                old_free(old);
        else
                free(old);
}

void conn_set_more(struct conn *c, conn_more_fn more, void *data)
{
        conn_set_more_full(c, more, data, NULL);
}

void conn_end_more(struct conn *c)
{
        conn_set_more(c, NULL, NULL);
}

int conn_errorv(struct conn *c, const char *error, json_object *params, const char *fmt, va_list ap)
{
        _cleanup_free_ char *text = NULL;

        if (!params || vasprintf(&text, fmt, ap) < 0) {
                json_object_put(params);
                return -ENOMEM;
        }
        (void)json_object_object_add(params, "message", json_object_new_string(text));
        return conn_error(c, error, params);
}

int conn_errorf(struct conn *c, const char *error, const char *key, json_object *value,
                const char *fmt, ...)
{
        json_object *params = json_object_new_object();
        va_list ap;
        int r;

        if (params && key)
                (void)json_object_object_add(params, key, value);
        else
                json_object_put(value);
        va_start(ap, fmt);
        r = conn_errorv(c, error, params, fmt, ap);
        va_end(ap);
        return r;
}

/* Handles the next complete message in the input buffer once the replies to the previous ones
 * are sent: one request per turn, so that a client that pipelines expensive calls (and does not
 * read the answers) costs the daemon one call at a time, and the others get their turn. */
static int process_input(struct conn *c)
{
        size_t off = 0;
        int r = 0;

        while (off < c->in_len && c->out_len == 0 && !c->more && !c->dead) {
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
                r = c->server->dispatch(c, req, c->server->userdata);
                if (c->server->holding)
                        c->held = true;
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
                        if (c->out_len > 0 && !c->held)
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
        if (c->held)
                return 0;
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
        /* Everything sent: the next part of a reply, or the next pipelined request. */
        if (c->more)
                return c->more(c, c->more_data);
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
        if (c->dead && c->out_len > 0 && !c->held)
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

int conn_new(struct server *s, int fd, const struct ucred *cred, struct conn **ret)
{
        struct conn *c = calloc(1, sizeof(*c));
        int r;

        if (!c) {
                (void)close(fd);
                return -ENOMEM;
        }
        c->server = s;
        c->cred = *cred;
        c->accepted_at = now_usec();
        c->fd = fd;
        c->next = s->conns;
        if (s->conns)
                s->conns->prev = c;
        s->conns = c;
        s->n_conns++;

        r = sd_event_add_io(s->event, &c->io, c->fd, EPOLLIN, on_io, c);
        if (r >= 0)
                r = sd_event_add_time(s->event, &c->timer, CLOCK_MONOTONIC,
                                      c->accepted_at + SERVER_IDLE_TIMEOUT_USEC, 0, on_idle, c);
        if (r < 0) {
                conn_free(c);
                return r;
        }
        if (ret)
                *ret = c;
        return 0;
}

/* How many connections a peer uid holds now. */
static size_t conns_of_uid(struct server *s, uid_t uid)
{
        size_t n = 0;

        for (struct conn *c = s->conns; c; c = c->next)
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
        if (now - c->accepted_at < SERVER_EVICT_GRACE_USEC)
                return false;
        return recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

/* At the connection limit one connection makes room: the longest idle one of the uid that
 * holds the most connections, root's only if no one else's may go. So a flood from one
 * account costs that account its connections, not the admin who wants to revoke access now.
 * Returns false if no connection may go. */
static bool evict_one(struct server *s)
{
        struct uid_load {
                uid_t uid;
                size_t n;
                struct conn *victim;
                uint64_t victim_t;
        } load[SERVER_MAX_CONNECTIONS];
        size_t n_load = 0;
        struct uid_load *pick = NULL;
        uint64_t now = now_usec();

        for (struct conn *c = s->conns; c; c = c->next) {
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

/* Takes at most SERVER_ACCEPT_BATCH connections per call, so that a connect flood cannot keep
 * the event loop from serving the connections it has; the rest wait in the backlog for the
 * next turn (the listening socket stays readable). */
static int conn_accept(struct server *s)
{
        for (unsigned i = 0; i < SERVER_ACCEPT_BATCH; i++) {
                _cleanup_close_ int fd = -EBADF;
                socklen_t len = sizeof(struct ucred);
                struct ucred cred;
                struct conn *c;
                int r;

                fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                                return 0;
                        if (errno == EMFILE || errno == ENFILE) {
                                (void)evict_one(s);
                                return 0;
                        }
                        return -errno;
                }
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                        continue; /* no credentials, no service */

                /* A uid at its limit is refused (closed at once) rather than pushing others
                 * out. */
                if (cred.uid != 0 && conns_of_uid(s, cred.uid) >= SERVER_MAX_CONNECTIONS_PER_UID) {
                        log_debug("uid %u holds %d connections: refusing another",
                                  (unsigned)cred.uid, SERVER_MAX_CONNECTIONS_PER_UID);
                        continue;
                }
                if (s->n_conns >= SERVER_MAX_CONNECTIONS && !evict_one(s)) {
                        log_debug("connection limit reached and every connection is new: "
                                  "refusing uid %u",
                                  (unsigned)cred.uid);
                        continue;
                }

                r = conn_new(s, TAKE_FD(fd), &cred, &c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int on_listen(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
        int r = conn_accept(userdata);

        if (r < 0)
                log_error_errno(r, "accept failed: %m");
        return 0;
}

void server_init(struct server *s, sd_event *event, server_dispatch_fn dispatch, void *userdata)
{
        *s = (struct server){
                .event = event,
                .listen_fd = -EBADF,
                .dispatch = dispatch,
                .userdata = userdata,
        };
}

void server_hold(struct server *s)
{
        s->holding = true;
}

/* Not written here: the event loop writes them in its next turn (writing may dispatch the next
 * pipelined request, which must not run inside the commit). */
void server_release(struct server *s, const char *error, const char *message)
{
        s->holding = false;
        for (struct conn *c = s->conns; c; c = c->next) {
                if (!c->held)
                        continue;
                c->held = false;
                if (error) {
                        c->out_len = 0;
                        if (c->more)
                                conn_end_more(c);
                        (void)conn_errorf(c, error, NULL, NULL, "%s", message);
                }
                conn_update_events(c);
        }
}

int mkdir_parent(const char *path, mode_t mode)
{
        char dir[PATH_MAX];
        char *slash;

        (void)snprintf(dir, sizeof(dir), "%s", path);
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = 0;
        if (mkdir(dir, mode) < 0)
                return errno == EEXIST ? 0 : -errno;
        /* The daemon's umask (0077) took bits off: the mode is the one asked for. */
        if (chmod(dir, mode) < 0)
                return -errno;
        return 0;
}

/* Binding the path ourselves: tests, running without systemd. */
static int bind_socket(struct server *s, const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct stat st;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (strlen(path) >= sizeof(sa.sun_path) || strlen(path) >= sizeof(s->path))
                return log_error_errno(ENAMETOOLONG, "cannot listen on %s: %m", path);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        /* A stale socket from an earlier run may go; anything else at that path stays. */
        if (lstat(path, &st) >= 0) {
                if (!S_ISSOCK(st.st_mode))
                        return log_error_errno(EEXIST, "%s exists and is not a socket", path);
                (void)unlink(path);
        }
        /* Without systemd (RuntimeDirectory=) nobody made its directory: make it, as the
         * unit would (0755 root: everyone may reach the socket). */
        r = mkdir_parent(path, 0755);
        if (r < 0)
                return log_error_errno(r, "cannot create the directory of %s: %m", path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            /* Everyone may connect: every request is authorized by its peer credentials. */
            chmod(path, 0666) < 0 || listen(fd, SOMAXCONN) < 0)
                return log_error_errno(errno, "cannot listen on %s: %m", path);
        s->listen_fd = TAKE_FD(fd);
        s->own_socket = true;
        memcpy(s->path, path, strlen(path) + 1);
        return 0;
}

static int adopt_activated(struct server *s, enum server_listen_mode mode)
{
        int n, r;

        n = sd_listen_fds(1);
        if (n < 0)
                return log_error_errno(n, "cannot take the socket from systemd: %m");
        if (n > 1)
                return log_error_errno(EINVAL, "expected one socket from systemd, got %d", n);
        if (n == 0) {
                if (mode == SERVER_ACTIVATED_OR_BIND)
                        return 0;
                return log_error_errno(EINVAL, "not started by systemd socket activation; use "
                                               "--socket PATH --foreground to run by hand");
        }
        if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0)
                return log_error_errno(EINVAL, "the socket from systemd is not a listening Unix "
                                               "stream socket");
        s->listen_fd = SD_LISTEN_FDS_START;
        r = fcntl(s->listen_fd, F_GETFL);
        if (r < 0 || fcntl(s->listen_fd, F_SETFL, r | O_NONBLOCK) < 0)
                return log_error_errno(errno,
                                       "cannot make the socket from systemd non-blocking: %m");
        return 1;
}

int server_listen(struct server *s, const char *path, enum server_listen_mode mode)
{
        int r = 0;

        if (mode != SERVER_BIND)
                r = adopt_activated(s, mode);
        if (r == 0)
                r = bind_socket(s, path);
        if (r < 0)
                return r;
        r = sd_event_add_io(s->event, &s->listen_source, s->listen_fd, EPOLLIN, on_listen, s);
        if (r < 0)
                return log_error_errno(r, "cannot watch the socket: %m");
        return 0;
}

void server_done(struct server *s)
{
        while (s->conns)
                conn_free(s->conns);
        s->listen_source = sd_event_source_disable_unref(s->listen_source);
        if (s->own_socket)
                (void)unlink(s->path);
        if (s->listen_fd >= 0)
                (void)close(s->listen_fd);
        s->listen_fd = -EBADF;
}
