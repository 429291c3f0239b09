/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* supportgrant: calls to supportgrantd (io.supportgrant.varlink) and its errors in words. */

#include "cli.h"
#include "timeutil.h"

#define ERROR_PREFIX SG_VARLINK_INTERFACE "."

static int unreachable(const struct cli *cli, int r)
{
        if (r == -ETIMEDOUT)
                (void)cli_error_errno(r,
                                      "supportgrantd at %s did not answer within %d seconds — is "
                                      "it stuck? See 'journalctl -u supportgrant.service'.",
                                      cli->socket, CLI_TIMEOUT_MS / 1000);
        else
                (void)cli_error_errno(r,
                                      "cannot reach supportgrantd at %s: %m — is "
                                      "supportgrant.socket running? See 'systemctl status "
                                      "supportgrant.socket supportgrant.service'.",
                                      cli->socket);
        return -CLI_E_UNREACHABLE;
}

/* Errors on a connection that was up. */
static int transport_error(const struct cli *cli, int r)
{
        if (r == -ENOMEM) {
                fputs("supportgrant: out of memory\n", stderr);
                return r;
        }
        if (r == -EBADMSG) {
                fprintf(stderr, "supportgrant: supportgrantd at %s sent a malformed reply\n",
                        cli->socket);
                return r;
        }
        /* The daemon went away (restart, crash, killed for a timeout) or stopped answering. */
        return unreachable(cli, r);
}

int cli_bad_reply(const char *what)
{
        fprintf(stderr,
                "supportgrant: supportgrantd's reply lacks %s; is it a different version?\n", what);
        return -EBADMSG;
}

int cli_connect(const struct cli *cli, sg_varlink_client **ret)
{
        int r;

        r = sg_varlink_connect(cli->socket, CLI_TIMEOUT_MS, ret);
        if (r == -ENOMEM)
                return transport_error(cli, r);
        if (r < 0)
                return unreachable(cli, r);
        return 0;
}

/* The two code errors in the caller's time zone, in one sentence each (the daemon's message
 * has the times in UTC). */
static void code_error(const struct cli *cli, const char *name, json_object *params)
{
        char when[SG_TIME_HUMAN_MAX + 64];

        if (streq(name, "CodeUsed")) {
                _cleanup_free_ char *by = cli_sanitize(cli_json_string(params, "used_by"));

                cli_format_expiry(cli, cli_json_string(params, "used_at"), true, when,
                                  sizeof(when));
                fprintf(stderr,
                        "supportgrant: this activation code was already used %s by %s; each "
                        "code works once, ask for a new one.\n",
                        when, by ? by : "?");
        } else {
                const char *raw = cli_json_string(params, "validity");
                _cleanup_free_ char *sent = isempty(raw) ? NULL : cli_sanitize(raw);
                char validity[64];

                cli_format_time(cli, cli_json_string(params, "created"), when, sizeof(when));
                /* The daemon's code_validity is the one that counts; ours only if it did not
                 * say (an older daemon). */
                if (sent)
                        (void)snprintf(validity, sizeof(validity), "%s", sent);
                else if (sg_duration_format(&cli->config.code_validity, validity,
                                            sizeof(validity)) < 0)
                        strcpy(validity, "code_validity");
                fprintf(stderr,
                        "supportgrant: this activation code was made %s and codes work for %s: "
                        "it has expired; ask for a new one.\n",
                        when, validity);
        }
}

/* Prints an error reply and picks the errno that becomes the exit status. */
static int error_reply(const struct cli *cli, const char *error, json_object *params)
{
        const char *name = error, *message = cli_json_string(params, "message");
        _cleanup_free_ char *text = NULL;

        if (strneq(name, ERROR_PREFIX, strlen(ERROR_PREFIX)))
                name = error + strlen(ERROR_PREFIX);

        if (streq(name, "CodeUsed") || streq(name, "CodeExpired")) {
                code_error(cli, name, params);
                return -EREMOTEIO;
        }

        if (!isempty(message))
                text = cli_sanitize(message);
        else
                /* org.varlink.service.* errors and anything unforeseen carry no message. */
                text = cli_sanitize(error);
        if (!isempty(message))
                fprintf(stderr, "supportgrant: %s\n", text ? text : "?");
        else
                fprintf(stderr, "supportgrant: supportgrantd refused the request: %s\n",
                        text ? text : "?");

        if (streq(name, "PermissionDenied"))
                return -CLI_E_DENIED;
        return -EREMOTEIO;
}

int cli_call(const struct cli *cli, const char *method, json_object *params,
             json_object **ret_reply, json_object **ret_params)
{
        _cleanup_(sg_varlink_client_freep) sg_varlink_client *c = NULL;
        _cleanup_(json_object_putp) json_object *reply = NULL;
        json_object *rparams;
        const char *error;
        int r;

        r = cli_connect(cli, &c);
        if (r < 0)
                return r;
        r = sg_varlink_call(c, method, params, &reply, &error, &rparams);
        if (r < 0)
                return transport_error(cli, r);
        if (error)
                return error_reply(cli, error, rparams);
        *ret_params = rparams;
        *ret_reply = TAKE_PTR(reply);
        return 0;
}

int cli_stream(const struct cli *cli, const char *method, json_object *params, const char *key,
               cli_item_cb cb, void *userdata)
{
        _cleanup_(sg_varlink_client_freep) sg_varlink_client *c = NULL;
        bool continues;
        int r;

        r = cli_connect(cli, &c);
        if (r < 0)
                return r;
        r = sg_varlink_send_call(c, method, params, true);
        if (r < 0)
                return transport_error(cli, r);

        do {
                _cleanup_(json_object_putp) json_object *reply = NULL;
                json_object *rparams, *items;
                const char *error;
                size_t n;

                r = sg_varlink_read_reply(c, &reply, &error, &rparams, &continues);
                if (r < 0)
                        return transport_error(cli, r);
                if (error)
                        return error_reply(cli, error, rparams);
                if (!json_object_object_get_ex(rparams, key, &items) ||
                    !json_object_is_type(items, json_type_array))
                        return cli_bad_reply(key);
                n = json_object_array_length(items);
                for (size_t i = 0; i < n; i++) {
                        r = cb(json_object_array_get_idx(items, i), userdata);
                        if (r != 0)
                                /* Positive: the caller has what it wants (--limit); closing
                                 * the connection tells the daemon to stop. */
                                return r < 0 ? r : 0;
                }
        } while (continues);
        return 0;
}
