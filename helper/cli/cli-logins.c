/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* supportgrant logins: the overview of staff logins, streamed page by page. */

#include <inttypes.h>

#include "cli.h"
#include "timeutil.h"

/* More logins than anyone keeps; the bound only makes the number checked. */
#define LOGINS_LIMIT_MAX INT64_C(1000000000000)

static const char *const login_headers[] = {"TIME",    "USER",   "OUTCOME", "FROM",
                                            "SERVICE", "GRANTS", "ENDED",   "REASON"};

struct logins_state {
        const struct cli *cli;
        struct cli_table *table;
        struct cli_json_array out;
        uint64_t limit, seen;
};

static int parse_limit(const struct cli *cli, const char *s, uint64_t *ret)
{
        _cleanup_free_ char *shown = NULL;
        unsigned long long v;
        char *end;

        errno = 0;
        if (s[0] >= '0' && s[0] <= '9') {
                v = strtoull(s, &end, 10);
                if (errno == 0 && *end == '\0' && v <= (unsigned long long)LOGINS_LIMIT_MAX) {
                        *ret = v;
                        return 0;
                }
        }
        shown = cli_sanitize(s);
        return cli_usage_error(cli, "--limit '%s' is not a number of logins (0 for all)",
                               shown ? shown : "?");
}

/* "3,5" from [3, 5]. */
static void format_grant_ids(json_object *login, char *buf, size_t size)
{
        json_object *ids;
        size_t n, used = 0;

        buf[0] = '\0';
        if (!json_object_object_get_ex(login, "grant_ids", &ids) ||
            !json_object_is_type(ids, json_type_array))
                return;
        n = json_object_array_length(ids);
        for (size_t i = 0; i < n && used < size; i++) {
                int k = snprintf(buf + used, size - used, "%s%" PRId64, i ? "," : "",
                                 json_object_get_int64(json_object_array_get_idx(ids, i)));
                if (k < 0)
                        break;
                used += (size_t)k;
        }
}

static void format_ended(const struct cli *cli, json_object *login, char *buf, size_t size)
{
        const char *outcome = cli_json_string(login, "outcome");
        const char *ended_at = cli_json_string(login, "ended_at");
        const char *end = cli_json_string(login, "end");
        char when[SG_TIME_HUMAN_MAX + 32];

        if (outcome && streq(outcome, "denied")) {
                /* A denied attempt never had a session. */
                (void)snprintf(buf, size, "-");
                return;
        }
        if (!ended_at) {
                (void)snprintf(buf, size, "open");
                return;
        }
        cli_format_time(cli, ended_at, when, sizeof(when));
        (void)snprintf(buf, size, "%s %s", when, end ? end : "ended");
}

static int login_item(json_object *l, void *userdata)
{
        struct logins_state *s = userdata;
        char time[SG_TIME_HUMAN_MAX + 32], ids[256], ended[SG_TIME_HUMAN_MAX + 64], why[1200];
        const char *detail, *reason;
        char outcome[64];
        int64_t count = 1;
        int r;

        /* The daemon is asked for no more, but a page may still overshoot. */
        if (s->limit > 0 && s->seen >= s->limit)
                return 1;
        s->seen++;
        if (s->cli->json)
                return cli_json_array_add(&s->out, l);

        cli_format_time(s->cli, cli_json_string(l, "time"), time, sizeof(time));
        format_grant_ids(l, ids, sizeof(ids));
        format_ended(s->cli, l, ended, sizeof(ended));
        /* A denied login says why, after what the staff member gave as the reason, if any. */
        detail = cli_json_string(l, "detail");
        reason = cli_json_string(l, "reason");
        if (!isempty(detail) && streq(strempty(cli_json_string(l, "outcome")), "denied"))
                (void)snprintf(why, sizeof(why), "%s%s(denied: %s)", strempty(reason),
                               isempty(reason) ? "" : " ", detail);
        else
                (void)snprintf(why, sizeof(why), "%s", strempty(reason));
        if (cli_json_int64(l, "count", &count) >= 0 && count > 1)
                (void)snprintf(outcome, sizeof(outcome), "%s %" PRId64 "x",
                               strempty(cli_json_string(l, "outcome")), count);
        else
                (void)snprintf(outcome, sizeof(outcome), "%s",
                               strempty(cli_json_string(l, "outcome")));
        r = cli_table_add(s->table, (const char *const[]){
                                            time,
                                            cli_json_string(l, "user"),
                                            outcome,
                                            cli_json_string(l, "rhost"),
                                            cli_json_string(l, "service"),
                                            ids,
                                            ended,
                                            why,
                                    });
        return r;
}

int cli_cmd_logins(struct cli *cli)
{
        _cleanup_(json_object_putp) json_object *params = NULL;
        _cleanup_(cli_table_freep) struct cli_table *t = NULL;
        char since[SG_RFC3339_MAX], until[SG_RFC3339_MAX];
        struct logins_state s = {.cli = cli};
        int r;

        r = cli_check_window(cli, since, until);
        if (r < 0)
                return r;
        if (cli->user) {
                r = cli_check_name(cli, "user", cli->user);
                if (r < 0)
                        return r;
        }
        if (cli->limit) {
                r = parse_limit(cli, cli->limit, &s.limit);
                if (r < 0)
                        return r;
        }
        r = cli_load_config(cli);
        if (r < 0)
                return r;

        params = json_object_new_object();
        if (!params ||
            (since[0] &&
             json_object_object_add(params, "since", json_object_new_string(since)) < 0) ||
            (until[0] &&
             json_object_object_add(params, "until", json_object_new_string(until)) < 0) ||
            (cli->user &&
             json_object_object_add(params, "user", json_object_new_string(cli->user)) < 0) ||
            (s.limit > 0 &&
             json_object_object_add(params, "limit", json_object_new_int64((int64_t)s.limit)) < 0))
                return -ENOMEM;
        if (!cli->json) {
                t = cli_table_new(login_headers, ELEMENTSOF(login_headers));
                if (!t)
                        return -ENOMEM;
                s.table = t;
        }

        r = cli_stream(cli, SG_VARLINK_INTERFACE ".Logins", params, "logins", login_item, &s);
        if (r < 0) {
                /* Show what did arrive, as a full batch would have been shown already; the
                 * message and the exit status say it is not all. */
                if (t)
                        (void)cli_table_flush(t);
                return r;
        }
        if (cli->json)
                return cli_json_array_end(&s.out);
        if (cli_table_rows(t) == 0) {
                printf("No logins%s%s in this time window.\n", cli->user ? " of " : "",
                       strempty(cli->user));
                return 0;
        }
        return cli_table_flush(t);
}
