/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logins: the login overview, in one reply or page by page. */
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <syslog.h>

#include "authz.h"
#include "code.h"
#include "journal.h"
#include "json.h"
#include "log.h"
#include "methods-private.h"
#include "methods.h"
#include "reason.h"
#include "sessions.h"
#include "staff.h"
#include "timeutil.h"

#define LOGINS_PAGE       256  /* rows per streamed reply */
#define LOGINS_UNSTREAMED 1000 /* rows at most without "more" */

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

/* ---- logins ------------------------------------------------------------------------------ */

struct page {
        json_object *arr;
        size_t n;
        time_t last_time;
        int64_t last_id;
};

static int collect_login(const struct sg_login *l, void *userdata)
{
        struct page *p = userdata;
        json_object *o = sg_login_to_json(l);

        if (!o || json_object_array_add(p->arr, o) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        p->n++;
        p->last_time = l->time;
        p->last_id = l->id;
        return 0;
}

/* Sends the next page of a streamed Logins call; the last one without "continues". */
static int logins_stream_next(struct conn *c, void *data)
{
        struct logins_stream *st = data;
        sg_store *s = NULL;
        struct page p = {};
        json_object *params;
        size_t want = LOGINS_PAGE;
        bool last;
        int r;

        if (st->limited && st->remaining < want)
                want = st->remaining;
        r = manager_store(conn_manager(c), &s);
        if (r < 0) {
                conn_end_more(c);
                return database_error(c, s, r);
        }
        params = json_object_new_object();
        p.arr = json_object_new_array();
        if (!params || !p.arr) {
                json_object_put(params);
                json_object_put(p.arr);
                return -ENOMEM;
        }
        (void)json_object_object_add(params, "logins", p.arr);
        r = sg_store_logins_page(s, st->since, st->until, st->has_user ? st->user : NULL,
                                 st->cursor_time, st->cursor_id, want, collect_login, &p);
        if (r < 0) {
                json_object_put(params);
                conn_end_more(c);
                return database_error(c, s, r);
        }
        if (st->limited)
                st->remaining -= p.n;
        st->cursor_time = p.last_time;
        st->cursor_id = p.last_id;
        last = p.n < want || (st->limited && st->remaining == 0);
        if (last)
                conn_end_more(c);
        return conn_reply(c, params, !last);
}

int method_logins(struct conn *c, const struct params *args, const struct caller *who)
{
        struct logins_stream st = {.since = args->since, .until = args->until}, *stream;
        char user_buf[SG_NAME_MAX];
        const char *user;
        bool more = args->more;
        int64_t limit = args->limit;

        user = canonical_filter(c, false, args->user, user_buf);
        if (user) {
                st.has_user = true;
                memcpy(st.user, user, strlen(user) + 1);
        }
        if (!more && (limit == 0 || limit > LOGINS_UNSTREAMED))
                limit = LOGINS_UNSTREAMED;
        st.remaining = (size_t)limit;
        st.limited = limit > 0;
        st.cursor_time = st.until;
        st.cursor_id = INT64_MAX;
        if (!more) {
                /* One reply with up to the limit. */
                sg_store *s = NULL;
                struct page p = {};
                json_object *out;
                int r;

                r = manager_store(conn_manager(c), &s);
                if (r < 0)
                        return database_error(c, s, r);
                out = json_object_new_object();
                p.arr = json_object_new_array();
                if (!out || !p.arr) {
                        json_object_put(out);
                        json_object_put(p.arr);
                        return -ENOMEM;
                }
                (void)json_object_object_add(out, "logins", p.arr);
                r = sg_store_logins_between(s, st.since, st.until, user, (size_t)limit,
                                            collect_login, &p);
                if (r < 0) {
                        json_object_put(out);
                        return database_error(c, s, r);
                }
                return conn_reply(c, out, false);
        }
        stream = malloc(sizeof(*stream));
        if (!stream)
                return -ENOMEM;
        *stream = st;
        conn_set_more(c, logins_stream_next, stream);
        return logins_stream_next(c, stream);
}
