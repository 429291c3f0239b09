/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* supportgrant status and rights: who has access, who may give it. */

#include <inttypes.h>

#include "cli.h"
#include "names.h"
#include "timeutil.h"

/* Root's status: the audit trail's head and the newest checkpoint (supportgrant(1), "AUDIT
 * TRAIL"), to write down and pass to "audit verify --checkpoint" later. */
static void print_audit(const struct cli *cli, json_object *p)
{
        _cleanup_free_ char *hash = NULL, *cp_hash = NULL;
        json_object *a = NULL;
        int64_t seq = 0, cp_seq = 0;
        char when[64];

        if (!json_object_object_get_ex(p, "audit", &a) ||
            !json_object_is_type(a, json_type_object) || cli_json_int64(a, "seq", &seq) < 0)
                return;
        hash = cli_sanitize(cli_json_string(a, "hash"));
        printf("Audit trail head: %" PRId64 ":%s\n", seq, hash ? hash : "-");
        if (cli_json_int64(a, "checkpoint_seq", &cp_seq) < 0) {
                printf("Last audit checkpoint: none yet\n");
                return;
        }
        cp_hash = cli_sanitize(cli_json_string(a, "checkpoint_hash"));
        cli_format_time(cli, cli_json_string(a, "checkpoint_at"), when, sizeof(when));
        printf("Last audit checkpoint: %" PRId64 ":%s (%s)\n", cp_seq, cp_hash ? cp_hash : "-",
               when);
}

int cli_cmd_status(struct cli *cli)
{
        _cleanup_(json_object_putp) json_object *reply = NULL;
        _cleanup_free_ char *user = NULL;
        json_object *p;
        int64_t grants, sessions;
        bool have_grants, have_sessions;
        int r;

        r = cli_load_config(cli);
        if (r < 0)
                return r;
        r = cli_call(cli, SG_VARLINK_INTERFACE ".Status", NULL, &reply, &p);
        if (r < 0)
                return r;
        if (cli->json)
                return cli_print_json(p);

        if (cli_json_bool(p, "staff")) {
                const char *expires = cli_json_string(p, "expires_at");
                const char *export_until = cli_json_string(p, "export_until");
                char until[SG_TIME_HUMAN_MAX + 64], export[SG_TIME_HUMAN_MAX + 80];

                /* "yes", or "yes until ..." when export ends before access does. */
                if (!cli_json_bool(p, "export"))
                        (void)snprintf(export, sizeof(export), "no");
                else if (export_until && !streq(export_until, strempty(expires))) {
                        cli_format_time(cli, export_until, until, sizeof(until));
                        (void)snprintf(export, sizeof(export), "yes until %s", until);
                } else
                        (void)snprintf(export, sizeof(export), "yes");

                if (!cli_json_bool(p, "covered"))
                        printf("You have no support access on this host.\n");
                else if (!expires)
                        printf("Your support access is permanent (export: %s).\n", export);
                else {
                        cli_format_expiry(cli, expires, true, until, sizeof(until));
                        printf("Your support access runs until %s (export: %s).\n", until, export);
                }
                return 0;
        }

        if (cli_json_bool(p, "may_activate"))
                printf("You may activate support access.\n");
        else if (!sg_name_is_valid(strempty(cli_json_string(p, "user"))))
                /* The daemon calls a uid without a passwd entry "uid 1234". */
                printf("You may not activate support access (your uid has no user name on this "
                       "host).\n");
        else {
                user = cli_sanitize(cli_json_string(p, "user"));
                printf("You may not activate support access (ask root: supportgrant rights restore "
                       "%s).\n",
                       user ? user : "USER");
        }
        /* Only callers with the right to activate get the numbers. */
        have_grants = cli_json_int64(p, "active_grants", &grants) >= 0;
        have_sessions = cli_json_int64(p, "open_sessions", &sessions) >= 0;
        if (have_grants && have_sessions)
                printf("Active grants: %" PRId64 ", open staff sessions: %" PRId64 "\n", grants,
                       sessions);
        else if (have_grants)
                printf("Active grants: %" PRId64 "\n", grants);
        else if (have_sessions)
                printf("Open staff sessions: %" PRId64 "\n", sessions);
        print_audit(cli, p);
        return 0;
}

static const char *const rights_headers[] = {"USER", "UID", "HOLDS", "SOURCE", "CHANGED"};

static void format_changed(const struct cli *cli, json_object *right, char *buf, size_t size)
{
        const char *at = cli_json_string(right, "changed_at");
        const char *by = cli_json_string(right, "changed_by");
        char when[SG_TIME_HUMAN_MAX + 32];

        if (!at) {
                buf[0] = '\0';
                return;
        }
        cli_format_time(cli, at, when, sizeof(when));
        (void)snprintf(buf, size, "%s%s%s", when, by ? " by " : "", strempty(by));
}

static int rights_list(struct cli *cli)
{
        _cleanup_(json_object_putp) json_object *reply = NULL;
        _cleanup_(cli_table_freep) struct cli_table *t = NULL;
        json_object *p, *rights;
        size_t n;
        int r;

        r = cli_call(cli, SG_VARLINK_INTERFACE ".Rights", NULL, &reply, &p);
        if (r < 0)
                return r;
        r = cli_reply_array(p, "rights", "the rights", &rights);
        if (r < 0)
                return r;
        n = json_object_array_length(rights);
        if (cli->json)
                return cli_json_print_array(rights);
        if (n == 0) {
                printf("No users to show.\n");
                return 0;
        }
        t = cli_table_new(rights_headers, ELEMENTSOF(rights_headers));
        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(rights, i);
                char uid[24] = "", changed[SG_TIME_HUMAN_MAX + SG_NAME_MAX + 8];
                int64_t v;

                if (cli_json_int64(e, "uid", &v) >= 0)
                        (void)snprintf(uid, sizeof(uid), "%" PRId64, v);
                format_changed(cli, e, changed, sizeof(changed));
                r = cli_table_add(t, (const char *const[]){
                                             cli_json_string(e, "user"),
                                             uid,
                                             cli_json_bool(e, "holds") ? "yes" : "no",
                                             cli_json_string(e, "source"),
                                             changed,
                                     });
                if (r < 0)
                        return r;
        }
        return cli_table_flush(t);
}

static int rights_set(struct cli *cli, const char *user, bool holds)
{
        _cleanup_(json_object_putp) json_object *params = NULL, *reply = NULL;
        _cleanup_free_ char *name = NULL, *source = NULL;
        json_object *p, *right;
        int r;

        params = json_object_new_object();
        if (!params || json_object_object_add(params, "user", json_object_new_string(user)) < 0 ||
            json_object_object_add(params, "holds", json_object_new_boolean(holds)) < 0)
                return -ENOMEM;
        r = cli_call(cli, SG_VARLINK_INTERFACE ".SetRight", params, &reply, &p);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(p, "right", &right) ||
            !json_object_is_type(right, json_type_object))
                return cli_bad_reply("the right");
        if (cli->json)
                return cli_print_json(right);

        /* Say what holds now, which is not always what was asked: a staff account never holds
         * the right, whatever root sets. */
        name = cli_sanitize(cli_json_string(right, "user"));
        source = cli_sanitize(cli_json_string(right, "source"));
        printf("%s %s activate support access (source: %s).\n", name ? name : user,
               cli_json_bool(right, "holds") ? "may" : "may not", source ? source : "?");
        return 0;
}

int cli_cmd_rights(struct cli *cli)
{
        const char *verb = cli->n_args > 0 ? cli->args[0] : "list";
        int r;

        if (streq(verb, "list")) {
                if (cli->n_args > 1)
                        return cli_usage_error(cli, "'rights list' takes no user");
        } else if (streq(verb, "revoke") || streq(verb, "restore")) {
                if (cli->n_args < 2)
                        return cli_usage_error(cli, "'rights %s' needs a USER", verb);
                r = cli_check_name(cli, "user", cli->args[1]);
                if (r < 0)
                        return r;
        } else {
                _cleanup_free_ char *shown = cli_sanitize(verb);

                return cli_usage_error(cli,
                                       "unknown 'rights' action '%s': use list, revoke USER "
                                       "or restore USER",
                                       shown ? shown : "?");
        }
        r = cli_load_config(cli);
        if (r < 0)
                return r;
        if (streq(verb, "list"))
                return rights_list(cli);
        return rights_set(cli, cli->args[1], streq(verb, "restore"));
}
