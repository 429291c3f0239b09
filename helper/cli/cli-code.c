/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* supportgrant request and activate: the activation code a staff member sends, and its
 * redemption by the customer. */

#include <pwd.h>
#include <strings.h>

#include "cli.h"
#include "code.h"
#include "names.h"
#include "period.h"
#include "timeutil.h"

static const char *kind_name(enum sg_grant_kind kind)
{
        /* The protocol's words (io.supportgrant.varlink, Grant.kind). */
        return kind == SG_GRANT_DEPARTMENT ? "department" : "user";
}

/* The calling user, for a staff member asking for access for themselves. */
static int current_user(char *buf, size_t size)
{
        struct passwd *pw;

        errno = 0;
        pw = getpwuid(getuid());
        if (!pw) {
                if (errno != 0)
                        fprintf(stderr,
                                "supportgrant: cannot look up your user (uid %u): %m; "
                                "pass --user USER\n",
                                (unsigned)getuid());
                else
                        fprintf(stderr,
                                "supportgrant: your uid %u has no user name; pass "
                                "--user USER\n",
                                (unsigned)getuid());
                return -ESRCH;
        }
        if (!sg_name_is_valid(pw->pw_name) || strcpy_checked(buf, size, pw->pw_name) < 0) {
                fprintf(stderr, "supportgrant: your user name cannot go into a code; pass --user "
                                "USER\n");
                return -ENXIO;
        }
        return 0;
}

static int print_request(const struct cli *cli, const struct sg_code *c, const char *code)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *command = NULL;
        char created[SG_RFC3339_MAX];

        if (asprintf(&command, "supportgrant activate %s", code) < 0)
                return -ENOMEM;
        if (!cli->json) {
                printf("Activation code for %s%s (%s, %s):\n"
                       "  %s\n"
                       "Send this to the customer; an administrator there runs:\n"
                       "  %s\n",
                       c->kind == SG_GRANT_DEPARTMENT ? "department " : "", c->target,
                       sg_period_describe(c->period),
                       c->export ? "data export allowed" : "no data export", code, command);
                return 0;
        }
        if (sg_time_format_rfc3339(c->created, created, sizeof(created)) < 0)
                return -ERANGE;
        o = json_object_new_object();
        if (!o || json_object_object_add(o, "code", json_object_new_string(code)) < 0 ||
            json_object_object_add(o, "command", json_object_new_string(command)) < 0 ||
            json_object_object_add(o, "kind", json_object_new_string(kind_name(c->kind))) < 0 ||
            json_object_object_add(o, "target", json_object_new_string(c->target)) < 0 ||
            json_object_object_add(o, "period",
                                   json_object_new_string(sg_period_to_string(c->period))) < 0 ||
            json_object_object_add(o, "export", json_object_new_boolean(c->export)) < 0 ||
            json_object_object_add(o, "note", json_object_new_string(c->note)) < 0 ||
            json_object_object_add(o, "created", json_object_new_string(created)) < 0)
                return -ENOMEM;
        return cli_print_json(o);
}

int cli_cmd_request(struct cli *cli)
{
        struct sg_code c = {.kind = SG_GRANT_USER};
        char code[SG_CODE_MAX];
        bool have_period = false;
        int r;

        if (cli->user && cli->department)
                return cli_usage_error(cli,
                                       "give either --user USER or --department NAME, not both");
        if (cli->department) {
                r = cli_check_name(cli, "department", cli->department);
                if (r < 0)
                        return r;
                c.kind = SG_GRANT_DEPARTMENT;
                (void)strcpy_checked(c.target, sizeof(c.target), cli->department);
        } else if (cli->user) {
                r = cli_check_name(cli, "user", cli->user);
                if (r < 0)
                        return r;
                (void)strcpy_checked(c.target, sizeof(c.target), cli->user);
        }
        if (cli->period) {
                r = cli_check_period(cli, cli->period, &c.period);
                if (r < 0)
                        return r;
                have_period = true;
        }
        if (cli->note) {
                r = cli_check_note(cli, cli->note, c.note, sizeof(c.note));
                if (r < 0)
                        return r;
        }
        /* The configuration only supplies default_period here; a workstation without one
         * gets the built-in default. */
        r = cli_load_config(cli);
        if (r < 0)
                return r;
        if (!have_period)
                c.period = cli->config.default_period;
        if (!cli->department && !cli->user) {
                r = current_user(c.target, sizeof(c.target));
                if (r < 0)
                        return r;
        }
        c.export = cli->export;
        c.created = cli->now;
        r = sg_code_new_nonce(&c);
        if (r < 0)
                return cli_error_errno(r, "cannot get random bytes for the code: %m");
        r = sg_code_encode(&c, code, sizeof(code));
        if (r < 0) {
                (void)cli_error_errno(r, "cannot make the code: %m");
                /* Everything was checked above: this is our bug, not a usage error. */
                return -EIO;
        }
        return print_request(cli, &c, code);
}

static void describe_code(const struct cli *cli, const struct sg_code *c, FILE *out)
{
        char created[SG_TIME_HUMAN_MAX], ago[64];

        fprintf(out, "This code activates support access for %s %s", kind_name(c->kind), c->target);
        if (c->kind == SG_GRANT_DEPARTMENT)
                fprintf(out, " (the staff in group %s%s)", cli->config.department_prefix,
                        c->target);
        switch (c->period) {
        case SG_PERIOD_TODAY:
                fputs(" until midnight tonight", out);
                break;
        case SG_PERIOD_PERMANENT:
                fputs(" permanently (until revoked)", out);
                break;
        default:
                fprintf(out, " for %s (counted from now)", sg_period_describe(c->period));
                break;
        }
        fprintf(out, ", data export: %s.\n", c->export ? "allowed" : "not allowed");

        if (sg_time_format_human(c->created, cli->utc, created, sizeof(created)) < 0)
                strcpy(created, "at an unknown time");
        if (sg_time_format_relative(c->created, cli->now, ago, sizeof(ago)) >= 0)
                fprintf(out, "Requested %s (%s).\n", created, ago);
        else
                fprintf(out, "Requested %s.\n", created);
        if (c->note[0]) {
                _cleanup_free_ char *note = cli_sanitize(c->note);

                fprintf(out, "Note: %s\n", note ? note : "?");
        }
}

/* y or yes from the terminal; anything else, or end of input, is no. */
static int confirm(FILE *out)
{
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        ssize_t n;

        fputs("Activate? [y/N] ", out);
        fflush(out);
        n = getline(&line, &size, stdin);
        if (n < 0) {
                fputc('\n', out);
                return -ECANCELED;
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0)
                return 0;
        return -ECANCELED;
}

int cli_cmd_activate(struct cli *cli)
{
        _cleanup_(json_object_putp) json_object *params = NULL, *reply = NULL;
        enum sg_code_error why = SG_CODE_OK;
        /* --json keeps stdout for the one result object. */
        FILE *out = cli->json ? stderr : stdout;
        json_object *rparams, *grant;
        char code[SG_CODE_MAX];
        struct sg_code c;
        int r;

        r = sg_code_decode(cli->args[0], &c, &why);
        if (r < 0) {
                fprintf(stderr,
                        "supportgrant: the code %s.\n"
                        "Copy it again, completely, from the message you received, or ask for a "
                        "new one.\n",
                        sg_code_error_to_string(why));
                /* Not a usage error: the command line was right, the code is not. */
                return -EBADMSG;
        }
        r = cli_load_config(cli);
        if (r < 0)
                return r;

        describe_code(cli, &c, out);
        if (!cli->yes) {
                if (!isatty(STDIN_FILENO))
                        return cli_usage_error(cli, "not activated: stdin is not a terminal to ask "
                                                    "for confirmation; pass --yes to activate");
                r = confirm(out);
                if (r < 0) {
                        fputs("Not activated.\n", stderr);
                        return r;
                }
        }

        /* Send the code as shown above, not a URL or a code in lower case: the daemon judges
         * exactly what the user confirmed. */
        r = sg_code_encode(&c, code, sizeof(code));
        if (r < 0) {
                (void)cli_error_errno(r, "cannot re-encode the code: %m");
                return -EIO;
        }
        params = json_object_new_object();
        if (!params || json_object_object_add(params, "code", json_object_new_string(code)) < 0)
                return -ENOMEM;
        r = cli_call(cli, SG_VARLINK_INTERFACE ".Activate", params, &reply, &rparams);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(rparams, "grant", &grant) ||
            !json_object_is_type(grant, json_type_object))
                return cli_bad_reply("the grant");
        if (cli->json)
                return cli_print_json(grant);
        return cli_print_activated(cli, grant);
}
