/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* supportgrant grant, revoke, list, history: grants made on the command line and shown. */

#include <inttypes.h>

#include "cli.h"
#include "names.h"
#include "period.h"
#include "reason.h"
#include "staff.h"
#include "timeutil.h"

int cli_check_name(const struct cli *cli, const char *what, const char *name)
{
        _cleanup_free_ char *shown = NULL;

        if (sg_name_is_valid(name))
                return 0;
        if (isempty(name))
                return cli_usage_error(cli, "the %s name is empty", what);
        shown = cli_sanitize(name);
        return cli_usage_error(cli,
                               "'%s' is not a valid %s name: use 1 to 255 letters, digits, '.', "
                               "'_', '@' or '-', not starting with '-' or '.'",
                               shown ? shown : "?", what);
}

int cli_check_period(const struct cli *cli, const char *s, enum sg_period *ret)
{
        _cleanup_free_ char *shown = NULL;

        if (sg_period_from_string(s, ret) >= 0)
                return 0;
        shown = cli_sanitize(s);
        return cli_usage_error(cli, "unknown period '%s': use " SG_PERIOD_NAMES,
                               shown ? shown : "?");
}

int cli_check_note(const struct cli *cli, const char *s, char *ret, size_t size)
{
        enum sg_text_error why = SG_TEXT_OK;

        if (sg_text_check(s, 0, SG_NOTE_MAX_BYTES, ret, size, &why) >= 0)
                return 0;
        if (why == SG_TEXT_TOO_LONG)
                return cli_usage_error(cli, "the note is too long: at most %d bytes, please",
                                       SG_NOTE_MAX_BYTES);
        return cli_usage_error(cli, "the note %s", sg_text_error_to_string(why));
}

static int parse_when(const struct cli *cli, const char *option, const char *s, time_t *ret)
{
        _cleanup_free_ char *shown = NULL;

        if (sg_time_parse_when(s, cli->now, ret) >= 0)
                return 0;
        shown = cli_sanitize(s);
        return cli_usage_error(cli,
                               "cannot read %s '%s': use RFC 3339 (2026-11-25T10:00:00Z), a local "
                               "\"2026-11-25 10:00\" or a duration back from now such as 30d or "
                               "\"6 months\"",
                               option, shown ? shown : "?");
}

int cli_check_window(const struct cli *cli, char *since, char *until)
{
        time_t s = 0, u = 0;
        int r;

        since[0] = until[0] = '\0';
        if (cli->since) {
                r = parse_when(cli, "--since", cli->since, &s);
                if (r < 0)
                        return r;
        }
        if (cli->until) {
                r = parse_when(cli, "--until", cli->until, &u);
                if (r < 0)
                        return r;
        }
        if (cli->since && cli->until && s >= u)
                return cli_usage_error(cli, "--since must be earlier than --until");
        if ((cli->since && sg_time_format_rfc3339(s, since, SG_RFC3339_MAX) < 0) ||
            (cli->until && sg_time_format_rfc3339(u, until, SG_RFC3339_MAX) < 0))
                return cli_usage_error(cli, "--since/--until is out of range");
        return 0;
}

int cli_print_activated(const struct cli *cli, json_object *grant)
{
        char target[SG_NAME_MAX + 32], until[SG_TIME_HUMAN_MAX + 64];
        const char *expires = cli_json_string(grant, "expires_at");
        int64_t id;

        if (cli_json_int64(grant, "id", &id) < 0)
                return cli_bad_reply("the grant's id");
        cli_format_target(grant, target, sizeof(target));
        if (expires) {
                cli_format_expiry(cli, expires, true, until, sizeof(until));
                printf("Support access activated for %s (grant %" PRId64 ") until %s", target, id,
                       until);
        } else
                printf("Support access activated for %s (grant %" PRId64 ") permanently", target,
                       id);
        printf(", data export: %s.\n", cli_json_bool(grant, "export") ? "allowed" : "not allowed");
        return 0;
}

static int grant_from_reply(json_object *params, json_object **ret)
{
        if (!json_object_object_get_ex(params, "grant", ret) ||
            !json_object_is_type(*ret, json_type_object))
                return cli_bad_reply("the grant");
        return 0;
}

int cli_cmd_grant(struct cli *cli)
{
        _cleanup_(json_object_putp) json_object *params = NULL, *reply = NULL;
        char note[SG_NOTE_MAX_BYTES + 1] = "";
        json_object *rparams, *grant;
        const char *kind, *target, *period = NULL;
        enum sg_period p;
        int r;

        if (cli->n_args > 0 && cli->department)
                return cli_usage_error(cli, "give either a USER or --department NAME, not both");
        if (cli->n_args == 0 && !cli->department)
                return cli_usage_error(cli, "for whom? Give a staff USER or --department NAME");
        kind = cli->department ? "department" : "user";
        target = cli->department ? cli->department : cli->args[0];
        r = cli_check_name(cli, cli->department ? "department" : "user", target);
        if (r < 0)
                return r;
        if (cli->period) {
                r = cli_check_period(cli, cli->period, &p);
                if (r < 0)
                        return r;
                period = sg_period_to_string(p);
        }
        if (cli->note) {
                r = cli_check_note(cli, cli->note, note, sizeof(note));
                if (r < 0)
                        return r;
        }
        r = cli_load_config(cli);
        if (r < 0)
                return r;

        params = json_object_new_object();
        if (!params || json_object_object_add(params, "kind", json_object_new_string(kind)) < 0 ||
            json_object_object_add(params, "target", json_object_new_string(target)) < 0 ||
            json_object_object_add(params, "export", json_object_new_boolean(cli->export)) < 0)
                return -ENOMEM;
        /* Without --period the daemon's default_period applies, not ours: its configuration is
         * the one that counts. */
        if (period && json_object_object_add(params, "period", json_object_new_string(period)) < 0)
                return -ENOMEM;
        if (note[0] && json_object_object_add(params, "note", json_object_new_string(note)) < 0)
                return -ENOMEM;

        r = cli_call(cli, SG_VARLINK_INTERFACE ".Grant", params, &reply, &rparams);
        if (r < 0)
                return r;
        r = grant_from_reply(rparams, &grant);
        if (r < 0)
                return r;
        if (cli->json)
                return cli_print_json(grant);
        return cli_print_activated(cli, grant);
}

/* Grant IDs are what `list` shows: positive numbers, written in decimal. */
static int parse_grant_id(const struct cli *cli, const char *s, int64_t *ret)
{
        _cleanup_free_ char *shown = NULL;
        char *end;
        long long v;

        errno = 0;
        if (s[0] >= '1' && s[0] <= '9') {
                v = strtoll(s, &end, 10);
                if (errno == 0 && *end == '\0' && v > 0) {
                        *ret = v;
                        return 0;
                }
        }
        shown = cli_sanitize(s);
        return cli_usage_error(cli,
                               "'%s' is not a grant ID: IDs are positive numbers as shown "
                               "by 'supportgrant list'",
                               shown ? shown : "?");
}

static int revoke_params(const struct cli *cli, json_object **ret)
{
        _cleanup_(json_object_putp) json_object *params = json_object_new_object();
        unsigned selectors = (cli->n_args > 0) + !!cli->user + !!cli->department + cli->all;
        int r;

        if (!params)
                return -ENOMEM;
        if (selectors != 1)
                return cli_usage_error(cli, "say which grants to revoke with exactly one of: "
                                            "grant IDs, --user USER, --department NAME, --all");
        if (cli->n_args > 0) {
                json_object *ids = json_object_new_array();

                if (!ids || json_object_object_add(params, "ids", ids) < 0) {
                        json_object_put(ids);
                        return -ENOMEM;
                }
                for (size_t i = 0; i < cli->n_args; i++) {
                        bool seen = false;
                        int64_t id = 0;

                        r = parse_grant_id(cli, cli->args[i], &id);
                        if (r < 0)
                                return r;
                        /* "revoke 3 3" means grant 3; the daemon need not see it twice. */
                        for (size_t j = 0; j < json_object_array_length(ids); j++)
                                if (json_object_get_int64(json_object_array_get_idx(ids, j)) == id)
                                        seen = true;
                        if (!seen && json_object_array_add(ids, json_object_new_int64(id)) < 0)
                                return -ENOMEM;
                }
        } else if (cli->user) {
                r = cli_check_name(cli, "user", cli->user);
                if (r < 0)
                        return r;
                if (json_object_object_add(params, "user", json_object_new_string(cli->user)) < 0)
                        return -ENOMEM;
        } else if (cli->department) {
                r = cli_check_name(cli, "department", cli->department);
                if (r < 0)
                        return r;
                if (json_object_object_add(params, "department",
                                           json_object_new_string(cli->department)) < 0)
                        return -ENOMEM;
        } else if (json_object_object_add(params, "all", json_object_new_boolean(true)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(params);
        return 0;
}

/* After "revoke --user jdoe": a department grant may still let jdoe in. Say so, rather than
 * let the customer believe the access is over. Best effort: silent when anything fails. */
static void note_department_coverage(struct cli *cli, const char *user)
{
        _cleanup_(json_object_putp) json_object *reply = NULL;
        const char *deps[SG_MAX_DEPARTMENTS];
        json_object *rparams, *grants;
        struct sg_identity id;
        size_t n_deps;

        if (sg_identity_lookup(&cli->config, user, &id) < 0 || !id.is_staff)
                return;
        sg_identity_departments(&id, deps, &n_deps);
        if (n_deps == 0)
                return;
        if (cli_call(cli, SG_VARLINK_INTERFACE ".List", NULL, &reply, &rparams) < 0 ||
            !json_object_object_get_ex(rparams, "grants", &grants) ||
            !json_object_is_type(grants, json_type_array))
                return;
        for (size_t i = 0; i < json_object_array_length(grants); i++) {
                json_object *g = json_object_array_get_idx(grants, i);
                const char *kind = cli_json_string(g, "kind"),
                           *target = cli_json_string(g, "target");
                char until[SG_TIME_HUMAN_MAX + 64];
                int64_t gid = 0;

                if (!kind || !target || !streq(kind, "department"))
                        continue;
                for (size_t j = 0; j < n_deps; j++) {
                        if (!streq(deps[j], target))
                                continue;
                        (void)cli_json_int64(g, "id", &gid);
                        cli_format_expiry(cli, cli_json_string(g, "expires_at"), false, until,
                                          sizeof(until));
                        printf("Note: %s is still covered by grant %" PRId64
                               " for department %s (%s%s). To end that too: supportgrant revoke "
                               "--department %s\n",
                               id.user, gid, target,
                               cli_json_string(g, "expires_at") ? "until " : "permanent",
                               cli_json_string(g, "expires_at") ? until : "", target);
                }
        }
}

int cli_cmd_revoke(struct cli *cli)
{
        _cleanup_(json_object_putp) json_object *params = NULL, *reply = NULL;
        json_object *rparams, *revoked;
        size_t n;
        int r;

        r = revoke_params(cli, &params);
        if (r < 0)
                return r;
        r = cli_load_config(cli);
        if (r < 0)
                return r;
        r = cli_call(cli, SG_VARLINK_INTERFACE ".Revoke", params, &reply, &rparams);
        if (r < 0)
                return r;
        r = cli_reply_array(rparams, "revoked", "the revoked grants", &revoked);
        if (r < 0)
                return r;
        n = json_object_array_length(revoked);
        if (cli->json)
                return cli_json_print_array(revoked);
        if (n == 0) {
                printf("No active grants matched.\n");
                if (cli->user)
                        note_department_coverage(cli, cli->user);
                return 0;
        }
        for (size_t i = 0; i < n; i++) {
                json_object *g = json_object_array_get_idx(revoked, i);
                char target[SG_NAME_MAX + 32], until[SG_TIME_HUMAN_MAX + 64];
                const char *expires = cli_json_string(g, "expires_at");
                int64_t id = 0;

                (void)cli_json_int64(g, "id", &id);
                cli_format_target(g, target, sizeof(target));
                cli_format_expiry(cli, expires, false, until, sizeof(until));
                printf("Revoked grant %" PRId64 " for %s (was %s%s, data export: %s).\n", id,
                       target, expires ? "valid until " : "permanent", expires ? until : "",
                       cli_json_bool(g, "export") ? "allowed" : "not allowed");
        }
        if (cli->user)
                note_department_coverage(cli, cli->user);
        return 0;
}

/* One table row of a grant; the buffers live in the caller's struct. */
struct grant_cells {
        char id[24], target[SG_NAME_MAX + 8], granted[SG_TIME_HUMAN_MAX + 32],
                expires[SG_TIME_HUMAN_MAX + 64], revoked[SG_TIME_HUMAN_MAX + SG_NAME_MAX + 8];
};

static void grant_cells(const struct cli *cli, json_object *g, bool history, struct grant_cells *b)
{
        const char *kind = cli_json_string(g, "kind"), *target = cli_json_string(g, "target");
        const char *state = cli_json_string(g, "state"), *revoked_at;
        int64_t id;

        if (cli_json_int64(g, "id", &id) >= 0)
                (void)snprintf(b->id, sizeof(b->id), "%" PRId64, id);
        else
                strcpy(b->id, "?");
        /* User names cannot contain ':', so "dept:" cannot be mistaken for a user. */
        (void)snprintf(b->target, sizeof(b->target), "%s%s",
                       kind && streq(kind, "department") ? "dept:" : "", strempty(target));
        cli_format_time(cli, cli_json_string(g, "granted_at"), b->granted, sizeof(b->granted));
        /* "in 59min" helps with what still runs; for what is over, the time alone says it. */
        cli_format_expiry(cli, cli_json_string(g, "expires_at"),
                          !history || (state && streq(state, "active")), b->expires,
                          sizeof(b->expires));
        revoked_at = cli_json_string(g, "revoked_at");
        if (revoked_at) {
                char when[SG_TIME_HUMAN_MAX + 32];

                cli_format_time(cli, revoked_at, when, sizeof(when));
                (void)snprintf(b->revoked, sizeof(b->revoked), "%s by %s", when,
                               strempty(cli_json_string(g, "revoked_by")));
        } else
                b->revoked[0] = '\0';
}

static const char *const list_headers[] = {"ID",      "TARGET", "EXPORT", "GRANTED",
                                           "EXPIRES", "BY",     "VIA",    "NOTE"};

int cli_cmd_list(struct cli *cli)
{
        _cleanup_(json_object_putp) json_object *reply = NULL;
        _cleanup_(cli_table_freep) struct cli_table *t = NULL;
        json_object *rparams, *grants;
        size_t n;
        int r;

        r = cli_load_config(cli);
        if (r < 0)
                return r;
        r = cli_call(cli, SG_VARLINK_INTERFACE ".List", NULL, &reply, &rparams);
        if (r < 0)
                return r;
        r = cli_reply_array(rparams, "grants", "the grants", &grants);
        if (r < 0)
                return r;
        n = json_object_array_length(grants);
        if (cli->json)
                return cli_json_print_array(grants);
        if (n == 0) {
                printf("No active grants.\n");
                return 0;
        }
        t = cli_table_new(list_headers, ELEMENTSOF(list_headers));
        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *g = json_object_array_get_idx(grants, i);
                struct grant_cells b;

                grant_cells(cli, g, false, &b);
                r = cli_table_add(t, (const char *const[]){
                                             b.id,
                                             b.target,
                                             cli_json_bool(g, "export") ? "yes" : "no",
                                             b.granted,
                                             b.expires,
                                             cli_json_string(g, "granted_by"),
                                             cli_json_string(g, "via"),
                                             cli_json_string(g, "note"),
                                     });
                if (r < 0)
                        return r;
        }
        return cli_table_flush(t);
}

static const char *const history_headers[] = {"ID",      "TARGET",  "EXPORT", "PERIOD",
                                              "GRANTED", "EXPIRES", "STATE",  "REVOKED",
                                              "BY",      "VIA",     "NOTE"};

struct history_state {
        const struct cli *cli;
        struct cli_table *table;
        struct cli_json_array out;
};

static int history_item(json_object *g, void *userdata)
{
        struct history_state *s = userdata;
        struct grant_cells b;

        if (s->cli->json)
                return cli_json_array_add(&s->out, g);
        grant_cells(s->cli, g, true, &b);
        return cli_table_add(s->table, (const char *const[]){
                                               b.id,
                                               b.target,
                                               cli_json_bool(g, "export") ? "yes" : "no",
                                               cli_json_string(g, "period"),
                                               b.granted,
                                               b.expires,
                                               cli_json_string(g, "state"),
                                               b.revoked,
                                               cli_json_string(g, "granted_by"),
                                               cli_json_string(g, "via"),
                                               cli_json_string(g, "note"),
                                       });
}

int cli_cmd_history(struct cli *cli)
{
        _cleanup_(json_object_putp) json_object *params = NULL;
        _cleanup_(cli_table_freep) struct cli_table *t = NULL;
        char since[SG_RFC3339_MAX], until[SG_RFC3339_MAX];
        struct history_state s = {.cli = cli};
        int r;

        r = cli_check_window(cli, since, until);
        if (r < 0)
                return r;
        r = cli_load_config(cli);
        if (r < 0)
                return r;
        params = json_object_new_object();
        if (!params ||
            (since[0] &&
             json_object_object_add(params, "since", json_object_new_string(since)) < 0) ||
            (until[0] &&
             json_object_object_add(params, "until", json_object_new_string(until)) < 0))
                return -ENOMEM;
        if (!cli->json) {
                t = cli_table_new(history_headers, ELEMENTSOF(history_headers));
                if (!t)
                        return -ENOMEM;
                s.table = t;
        }

        r = cli_stream(cli, SG_VARLINK_INTERFACE ".History", params, "grants", history_item, &s);
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
                printf("No grants were made in this time window.\n");
                return 0;
        }
        return cli_table_flush(t);
}
