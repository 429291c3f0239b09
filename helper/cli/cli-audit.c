/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* supportgrant audit verify | export: the audit trail (SPEC §11), through the daemon or, for
 * an exported file, offline. */
#include <inttypes.h>

#include "audit.h"
#include "cli.h"

/* The one line that says whether the trail is intact; exit 1 when it is not. */
static int print_result(const struct cli *cli, json_object *o)
{
        int64_t records = 0, first = 0, last = 0;
        bool intact = cli_json_bool(o, "intact");

        if (cli->json) {
                int r = cli_print_json(o);
                return r < 0 ? r : intact ? 0 : -EBADMSG;
        }
        if (!intact) {
                _cleanup_free_ char *msg = cli_sanitize(cli_json_string(o, "message"));

                printf("audit trail NOT intact: %s\n", msg ? msg : "-");
                return -EBADMSG;
        }
        if (cli_json_int64(o, "records", &records) < 0 || cli_json_int64(o, "first", &first) < 0 ||
            cli_json_int64(o, "last", &last) < 0 || !cli_json_string(o, "head"))
                return cli_bad_reply("the trail's extent");
        {
                _cleanup_free_ char *head = cli_sanitize(cli_json_string(o, "head"));

                printf("audit trail intact: %" PRId64 " records (seq %" PRId64 "..%" PRId64
                       "), head %s",
                       records, first, last, head ? head : "-");
        }
        if (first > 1 && !cli_json_bool(o, "start_vouched"))
                printf("; its start follows record %" PRId64
                       ", which no checkpoint names (pruned, or cut)",
                       first - 1);
        printf("\n");
        return 0;
}

static int verify_file(const struct cli *cli, const char *path, struct sg_audit_checkpoint *cp)
{
        _cleanup_(json_object_putp) json_object *out = NULL;
        _cleanup_fclose_ FILE *owned = NULL;
        _cleanup_free_ char *line = NULL;
        struct sg_audit_verifier v;
        size_t size = 0;
        uint64_t lineno = 0;
        FILE *f;

        if (streq(path, "-"))
                f = stdin;
        else {
                owned = fopen(path, "re");
                if (!owned)
                        return cli_error_errno(errno, "cannot open %s: %m", path);
                f = owned;
        }
        sg_audit_verifier_init(&v, cp, cp ? 1 : 0);
        while (!sg_audit_verifier_done(&v) && getline(&line, &size, f) >= 0) {
                char where[PATH_MAX + 32];
                int r;

                (void)snprintf(where, sizeof(where), "%s, line %" PRIu64,
                               streq(path, "-") ? "stdin" : path, ++lineno);
                r = sg_audit_verifier_add_line(&v, line, where);
                if (r < 0)
                        return cli_error_errno(-r, "cannot check %s: %m", path);
        }
        if (ferror(f))
                return cli_error_errno(EIO, "cannot read %s", path);
        sg_audit_verifier_end(&v);
        out = sg_audit_verifier_to_json(&v, cp ? 1 : 0);
        if (!out)
                return cli_error_errno(ENOMEM, "out of memory");
        return print_result(cli, out);
}

static int print_line(json_object *item, void *userdata)
{
        const char *line = json_object_get_string(item);

        if (!json_object_is_type(item, json_type_string))
                return cli_bad_reply("an audit record");
        /* Each line is the daemon's canonical JSON; printed as it came, a line of its own. */
        if (strchr(line, '\n'))
                return cli_bad_reply("a one-line audit record");
        return puts(line) < 0 ? -EIO : 0;
}

int cli_cmd_audit(struct cli *cli)
{
        _cleanup_(json_object_putp) json_object *reply = NULL;
        struct sg_audit_checkpoint cp;
        const char *what = cli->args[0];
        _cleanup_(json_object_putp) json_object *params = NULL;
        json_object *out = NULL;
        int r;

        if (!streq(what, "verify") && !streq(what, "export"))
                return cli_usage_error(cli, "unknown audit command '%s': verify or export", what);
        if (streq(what, "export") && (cli->given & (CLI_OPT_FILE | CLI_OPT_CHECKPOINT)))
                return cli_usage_error(cli,
                                       "--file and --checkpoint are options of 'audit verify'");
        if (cli->checkpoint && sg_audit_checkpoint_parse(cli->checkpoint, &cp) < 0)
                return cli_usage_error(cli,
                                       "--checkpoint '%s': expected SEQ:HASH, a record number "
                                       "and its hash of 64 lowercase hex digits",
                                       cli->checkpoint);
        if (cli->file)
                return verify_file(cli, cli->file, cli->checkpoint ? &cp : NULL);

        r = cli_load_config(cli);
        if (r < 0)
                return r;
        params = json_object_new_object();
        if (!params)
                return -ENOMEM;
        if (streq(what, "export")) {
                r = cli_stream(cli, SG_VARLINK_INTERFACE ".AuditExport", params, "records",
                               print_line, NULL);
                return r < 0 ? r : cli_flush_stdout();
        }
        if (cli->checkpoint && json_object_object_add(params, "checkpoint",
                                                      json_object_new_string(cli->checkpoint)) < 0)
                return -ENOMEM;
        r = cli_call(cli, SG_VARLINK_INTERFACE ".AuditVerify", params, &reply, &out);
        if (r < 0)
                return r;
        return print_result(cli, out);
}
