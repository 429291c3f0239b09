/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "varlink.h"

struct sg_varlink_client {
        int fd;
        int timeout_ms;
        char *buf; /* received bytes not yet handed out */
        size_t len, size;
};

int sg_varlink_parse(const char *buf, size_t len, json_object **ret)
{
        json_tokener *tok;
        json_object *o;
        enum json_tokener_error jerr;
        size_t used;

        if (len == 0 || len > SG_VARLINK_REPLY_MAX || memchr(buf, 0, len))
                return -EBADMSG;
        tok = json_tokener_new_ex(SG_VARLINK_MAX_DEPTH);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        o = json_tokener_parse_ex(tok, buf, (int)len);
        jerr = json_tokener_get_error(tok);
        used = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (!o || jerr != json_tokener_success) {
                json_object_put(o);
                return -EBADMSG;
        }
        /* Only white space may follow the object. */
        for (size_t i = used; i < len; i++)
                if (!strchr(" \t\r\n", buf[i])) {
                        json_object_put(o);
                        return -EBADMSG;
                }
        if (!json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return -EBADMSG;
        }
        *ret = o;
        return 0;
}

static int64_t now_ms(void)
{
        struct timespec ts;

        (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short events, int64_t deadline)
{
        for (;;) {
                struct pollfd p = {.fd = fd, .events = events};
                int64_t left = deadline - now_ms();
                int n;

                if (left <= 0)
                        return -ETIMEDOUT;
                n = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n > 0)
                        return 0;
        }
}

int sg_varlink_connect(const char *path, int timeout_ms, sg_varlink_client **ret)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        sg_varlink_client *c;
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* A blocking connect on a Unix socket returns at once or fails with EAGAIN when the
         * backlog is full; retry that until the timeout. */
        for (int64_t deadline = now_ms() + timeout_ms;;) {
                if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) >= 0)
                        break;
                if (errno == EINTR)
                        continue;
                if (errno != EAGAIN || now_ms() >= deadline) {
                        int e = errno == EAGAIN ? ETIMEDOUT : errno;
                        (void)close(fd);
                        return -e;
                }
                (void)usleep(10000);
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                (void)close(fd);
                return -ENOMEM;
        }
        c->fd = fd;
        c->timeout_ms = timeout_ms;
        *ret = c;
        return 0;
}

void sg_varlink_client_free(sg_varlink_client *c)
{
        if (!c)
                return;
        if (c->fd >= 0)
                (void)close(c->fd);
        free(c->buf);
        free(c);
}

static int write_all(sg_varlink_client *c, const char *p, size_t n)
{
        int64_t deadline = now_ms() + c->timeout_ms;

        while (n > 0) {
                ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (k < 0) {
                        int r;

                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                return errno == EPIPE ? -ECONNRESET : -errno;
                        r = wait_fd(c->fd, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                p += k;
                n -= (size_t)k;
        }
        return 0;
}

int sg_varlink_send_call(sg_varlink_client *c, const char *method, json_object *params, bool more)
{
        _cleanup_(json_object_putp) json_object *msg = json_object_new_object();
        const char *text;
        size_t len;

        if (!msg)
                return -ENOMEM;
        if (json_object_object_add(msg, "method", json_object_new_string(method)) < 0 ||
            json_object_object_add(msg, "parameters",
                                   params ? json_object_get(params) : json_object_new_object()) < 0)
                return -ENOMEM;
        if (more && json_object_object_add(msg, "more", json_object_new_boolean(1)) < 0)
                return -ENOMEM;
        text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);
        if (!text)
                return -ENOMEM;
        /* The terminating NUL is part of the message. */
        return write_all(c, text, len + 1);
}

int sg_varlink_read_reply(sg_varlink_client *c, json_object **ret_reply, const char **ret_error,
                          json_object **ret_params, bool *ret_continues)
{
        int64_t deadline = now_ms() + c->timeout_ms;
        char *nul;

        while (!c->buf || !(nul = memchr(c->buf, 0, c->len))) {
                ssize_t k;
                int r;

                if (c->len >= SG_VARLINK_REPLY_MAX)
                        return -EBADMSG;
                if (c->size - c->len < 65536) {
                        size_t nsize = c->size ? c->size * 2 : 65536;
                        char *nbuf;

                        if (nsize > SG_VARLINK_REPLY_MAX + 65536)
                                nsize = SG_VARLINK_REPLY_MAX + 65536;
                        nbuf = realloc(c->buf, nsize);
                        if (!nbuf)
                                return -ENOMEM;
                        c->buf = nbuf;
                        c->size = nsize;
                }
                k = recv(c->fd, c->buf + c->len, c->size - c->len, MSG_DONTWAIT);
                if (k == 0)
                        return -ECONNRESET;
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                return -errno;
                        r = wait_fd(c->fd, POLLIN, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                c->len += (size_t)k;
        }

        {
                _cleanup_(json_object_putp) json_object *reply = NULL;
                json_object *err = NULL, *params = NULL, *cont = NULL;
                size_t mlen = (size_t)(nul - c->buf);
                int r;

                r = sg_varlink_parse(c->buf, mlen, &reply);
                memmove(c->buf, nul + 1, c->len - mlen - 1);
                c->len -= mlen + 1;
                if (r < 0)
                        return r;

                if (json_object_object_get_ex(reply, "error", &err) &&
                    !json_object_is_type(err, json_type_string))
                        return -EBADMSG;
                if (!json_object_object_get_ex(reply, "parameters", &params) ||
                    !json_object_is_type(params, json_type_object)) {
                        params = json_object_new_object();
                        if (!params || json_object_object_add(reply, "parameters", params) < 0)
                                return -ENOMEM;
                }
                (void)json_object_object_get_ex(reply, "continues", &cont);
                *ret_error = err ? json_object_get_string(err) : NULL;
                *ret_params = params;
                if (ret_continues)
                        *ret_continues = cont && json_object_get_boolean(cont);
                *ret_reply = TAKE_PTR(reply);
                return 0;
        }
}

int sg_varlink_call(sg_varlink_client *c, const char *method, json_object *params,
                    json_object **ret_reply, const char **ret_error, json_object **ret_params)
{
        int r;

        r = sg_varlink_send_call(c, method, params, false);
        if (r < 0)
                return r;
        return sg_varlink_read_reply(c, ret_reply, ret_error, ret_params, NULL);
}
