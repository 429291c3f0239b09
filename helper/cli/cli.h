/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The supportgrant command line tool: what its source files share. */

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "conf.h"
#include "macro.h"
#include "varlink.h"

/* Every function returns 0 or a negative errno and prints its own message (once, on stderr).
 * main() turns the errno into the exit status of SPEC §6; these three are the only ones that
 * give something other than 1, so code that gets one of them from a library for another
 * reason (EINVAL from a config parser, EPERM from a file's mode) must convert it. */
#define CLI_E_USAGE       EINVAL    /* exit 2: the command line is wrong */
#define CLI_E_UNREACHABLE EHOSTDOWN /* exit 69: no daemon to talk to */
#define CLI_E_DENIED      EPERM     /* exit 77: the daemon said PermissionDenied */

#define CLI_EXIT_USAGE       2
#define CLI_EXIT_UNAVAILABLE 69 /* EX_UNAVAILABLE */
#define CLI_EXIT_NOPERM      77 /* EX_NOPERM */

/* Per read/write on the daemon connection; a query over millions of logins still sends its
 * first page well within this. */
#define CLI_TIMEOUT_MS (30 * 1000)

/* Options, as bits so that each command can say which it takes. */
enum {
        CLI_OPT_PERIOD = 1 << 0,
        CLI_OPT_EXPORT = 1 << 1,
        CLI_OPT_NOTE = 1 << 2,
        CLI_OPT_DEPARTMENT = 1 << 3,
        CLI_OPT_USER = 1 << 4,
        CLI_OPT_ALL = 1 << 5,
        CLI_OPT_SINCE = 1 << 6,
        CLI_OPT_UNTIL = 1 << 7,
        CLI_OPT_LIMIT = 1 << 8,
        CLI_OPT_YES = 1 << 9,
        CLI_OPT_FILE = 1 << 10,
        CLI_OPT_CHECKPOINT = 1 << 11,
};

struct cli_command;

struct cli {
        const struct cli_command *command;
        char **args; /* positional arguments after the command name */
        size_t n_args;

        unsigned given; /* CLI_OPT_* seen on the command line */
        bool json;
        bool utc;
        bool export;
        bool all;
        bool yes;
        const char *socket_arg;
        const char *conf_arg;
        const char *period;
        const char *note;
        const char *department;
        const char *user;
        const char *since;
        const char *until;
        const char *limit;
        const char *file;       /* audit verify --file */
        const char *checkpoint; /* audit verify --checkpoint SEQ:HASH */

        time_t now;
        struct sg_config config; /* defaults until cli_load_config() */
        const char *socket;      /* effective socket path, set by cli_load_config() */
};

/* cli.c */
int cli_usage_error(const struct cli *cli, const char *fmt, ...) _printf_(2, 3);
/* Prints "supportgrant: MESSAGE" on stderr, %m naming error, and returns -|error|: print and
 * return in one statement. */
int cli_error_errno(int error, const char *fmt, ...) _printf_(2, 3);
int cli_load_config(struct cli *cli);

/* cli-daemon.c: talking to supportgrantd. Each function prints what went wrong. */
int cli_connect(const struct cli *cli, sg_varlink_client **ret);
/* One call, one reply; *ret_reply owns *ret_params. */
int cli_call(const struct cli *cli, const char *method, json_object *params,
             json_object **ret_reply, json_object **ret_params);
/* A call with "more": cb sees every element of the array 'key' of every reply, in order, until
 * the last reply (or cb returns non-zero: negative stops with that error, positive stops
 * successfully). */
typedef int (*cli_item_cb)(json_object *item, void *userdata);
int cli_stream(const struct cli *cli, const char *method, json_object *params, const char *key,
               cli_item_cb cb, void *userdata);
/* A daemon's answer lacked something the interface promises. */
int cli_bad_reply(const char *what);

/* cli-output.c */
/* A copy of s (NULL and "" become "-") with control characters replaced by '?'. */
char *cli_sanitize(const char *s);
/* Field accessors that tolerate a daemon sending less than it should: NULL / false / -ENODATA. */
const char *cli_json_string(json_object *o, const char *key);
bool cli_json_bool(json_object *o, const char *key);
int cli_json_int64(json_object *o, const char *key, int64_t *ret);
/* "2026-11-25 21:06 CET" (or UTC); what the daemon sent, sanitized, when it does not parse. */
void cli_format_time(const struct cli *cli, const char *rfc3339, char *buf, size_t size);
/* "2026-11-25 21:06 CET (in 59min)", "never" for NULL. */
void cli_format_expiry(const struct cli *cli, const char *rfc3339, bool relative, char *buf,
                       size_t size);
/* "jdoe" or "department support", for sentences. */
void cli_format_target(json_object *grant, char *buf, size_t size);

int cli_print_json(json_object *o);
int cli_flush_stdout(void);

/* A JSON array written as its elements arrive, so a million logins need no more memory than
 * one page. */
struct cli_json_array {
        size_t n;
};
int cli_json_array_add(struct cli_json_array *a, json_object *item);
int cli_json_array_end(struct cli_json_array *a);
/* A whole array of a reply, printed as cli_json_array_add() prints arrays. */
int cli_json_print_array(json_object *arr);
/* The array under key in a reply's parameters, or cli_bad_reply(what). */
int cli_reply_array(json_object *params, const char *key, const char *what, json_object **ret);

/* An aligned table. Rows are buffered and printed in batches; column widths only ever grow,
 * so a long streamed table stays aligned except where a later batch holds a wider value. The
 * last column is never padded (it is free text). */
struct cli_table;
struct cli_table *cli_table_new(const char *const *headers, size_t n_columns);
void cli_table_free(struct cli_table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cli_table *, cli_table_free)
/* Copies and sanitizes the cells (NULL or "" is shown as "-"). */
int cli_table_add(struct cli_table *t, const char *const *cells);
int cli_table_flush(struct cli_table *t);
size_t cli_table_rows(const struct cli_table *t); /* added so far, including flushed ones */

/* cli-grants.c */
int cli_cmd_grant(struct cli *cli);
int cli_cmd_revoke(struct cli *cli);
int cli_cmd_list(struct cli *cli);
int cli_cmd_history(struct cli *cli);
/* "Support access activated for jdoe (grant 3) until ..., data export: not allowed." */
int cli_print_activated(const struct cli *cli, json_object *grant);
/* --period and --note as the daemon and a code take them. */
int cli_check_period(const struct cli *cli, const char *s, enum sg_period *ret);
int cli_check_note(const struct cli *cli, const char *s, char *ret, size_t size);
int cli_check_name(const struct cli *cli, const char *what, const char *name);
/* --since/--until as RFC 3339 for the daemon (buffers SG_RFC3339_MAX; "" when not given). */
int cli_check_window(const struct cli *cli, char *since, char *until);

/* cli-logins.c */
int cli_cmd_logins(struct cli *cli);

/* cli-doctor.c */
int cli_cmd_doctor(struct cli *cli);

/* cli-code.c */
int cli_cmd_request(struct cli *cli);
int cli_cmd_activate(struct cli *cli);

/* cli-status.c */
int cli_cmd_status(struct cli *cli);
/* cli-audit.c */
int cli_cmd_audit(struct cli *cli);
int cli_cmd_rights(struct cli *cli);

/* cli-gate.c */
int cli_cmd_gate(struct cli *cli);
