/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* supportgrant gate: the sshd ForceCommand for staff (SPEC §8, export control).
 *
 * sshd runs it instead of whatever the client asked for, with the request in
 * SSH_ORIGINAL_COMMAND (for the sftp subsystem: the Subsystem command of sshd_config). Without
 * the export right, file transfer off the host is refused: the sftp server runs with reading
 * denied, and scp downloads and rsync senders are refused. Everything else runs in the user's
 * shell as sshd would have run it. This is a speed bump, not a wall: a shell can print a file. */

#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <fnmatch.h>
#include <libgen.h>
#include <pwd.h>
#include <syslog.h>

#include "cli.h"
#include "journal.h"

#ifndef SG_SFTP_SERVER
#define SG_SFTP_SERVER "/usr/lib/openssh/sftp-server"
#endif

/* sftp-server(8) -P: the requests it refuses. Reading a file is the only way to get its
 * contents out through sftp; uploads (open, write) and listing keep working. */
#define SFTP_DENY_WITHOUT_EXPORT "read"

#define GATE_TIMEOUT_MS 5000
#define GATE_MAX_TOKENS 64

enum request {
        REQUEST_UNREADABLE, /* could not be looked at (no memory): only run with export */
        REQUEST_LOGIN_SHELL,
        REQUEST_COMMAND,
        REQUEST_SFTP,
        REQUEST_SCP_DOWNLOAD,
        REQUEST_RSYNC_SENDER,
        REQUEST_HIDDEN_TRANSFER, /* shell syntax around the name of a transfer program */
};

struct access {
        bool asked;   /* the daemon answered */
        bool staff;   /* the daemon says the caller is a staff account */
        bool covered; /* a grant covers it now */
        bool export;  /* and one of them allows export */
        bool known;   /* the daemon resolved the caller to the same account we are */
};

static bool token_is_program(const char *token, const char *name)
{
        const char *slash = strrchr(token, '/');

        return streq(slash ? slash + 1 : token, name);
}

/* "-f", "-pf", "-rpf": an option cluster of scp(1) that holds f (scp's "from": send files to
 * the client). scp's remote side gets its options as separate words before the path. */
static bool scp_option_has_f(const char *token)
{
        return token[0] == '-' && token[1] != '-' && strchr(token + 1, 'f');
}

/* The programs that copy files off the host for scp, rsync and sftp clients. */
static const char *const transfer_programs[] = {"scp", "rsync", "sftp-server", "internal-sftp"};

/* What the shell does more with than split words at blanks: quoting, escaping, expansion,
 * globbing, redirection, command lists and substitution. The commands of scp, rsync and sftp
 * clients hold none of it. */
#define SHELL_SPECIAL "\\'\"`$;&|<>(){}[]*?\n\r"

/* Where the shell may end a word once quotes and backslashes are gone ("x=scp; $x -f f"). */
#define WORD_SEPARATORS " \t\n\r;&|<>(){}`$=,:"

/* Could word, a name or a glob pattern the shell may expand, run a transfer program? A pattern
 * of wildcards alone ("ls *") is not taken for one; "s*", "sftp-serve?" or "[r]sync" are. */
static bool word_names_transfer_program(const char *word)
{
        const char *slash = strrchr(word, '/'), *base = slash ? slash + 1 : word;

        if (base[strspn(base, "*?[]")] == 0)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(transfer_programs); i++)
                if (fnmatch(base, transfer_programs[i], 0) == 0)
                        return true;
        return false;
}

/* Does a command with shell syntax name a transfer program anywhere? Quotes and backslashes
 * are dropped first, and "$@" and "$*" (empty in "sh -c"), so that "\scp", "r''sync" and
 * "s$@cp" show the names they run. Returns 1, 0 or -ENOMEM. Like all of the gate, this is a
 * speed bump: a shell can build a name in ways no scan follows, and can print a file. */
static int hides_transfer_program(const char *command)
{
        _cleanup_free_ char *plain = malloc(strlen(command) + 1);
        char *save = NULL, *w, *o;

        if (!plain)
                return -ENOMEM;
        o = plain;
        for (const char *c = command; *c; c++) {
                if (strchr("\\'\"", *c))
                        continue;
                if (c[0] == '$' && (c[1] == '@' || c[1] == '*')) {
                        c++;
                        continue;
                }
                *o++ = *c;
        }
        *o = 0;
        for (w = strtok_r(plain, WORD_SEPARATORS, &save); w;
             w = strtok_r(NULL, WORD_SEPARATORS, &save))
                if (word_names_transfer_program(w))
                        return 1;
        return 0;
}

/* rsync --server --sender sends files to the client; rsync --server --daemon serves modules,
 * which a client can read from just as well. popt takes "--sender=1" too. */
static bool rsync_option_sends(const char *token)
{
        return streq(token, "--sender") || strneq(token, "--sender=", 9) ||
               streq(token, "--daemon") || strneq(token, "--daemon=", 9);
}

/* What the client asked for. Commands without shell syntax are split at blanks, which is how
 * scp and rsync build their remote commands. A command with shell syntax is not picked apart:
 * if it names a transfer program anywhere it is refused as a whole (without export). */
static enum request classify(const char *command)
{
        _cleanup_free_ char *copy = NULL;
        char *tokens[GATE_MAX_TOKENS], *save = NULL, *t;
        size_t n = 0;
        bool server = false, sender = false;
        int r;

        if (isempty(command))
                return REQUEST_LOGIN_SHELL;
        if (strpbrk(command, SHELL_SPECIAL))
                goto names_only;
        copy = strdup(command);
        if (!copy)
                return REQUEST_UNREADABLE;
        for (t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
                /* More words than any transfer command has: the names alone decide. */
                if (n >= ELEMENTSOF(tokens))
                        goto names_only;
                tokens[n++] = t;
        }

        for (size_t i = 0; i < n; i++) {
                if (token_is_program(tokens[i], "sftp-server") || streq(tokens[i], "internal-sftp"))
                        return REQUEST_SFTP;
                if (token_is_program(tokens[i], "scp")) {
                        for (size_t j = i + 1; j < n && !streq(tokens[j], "--"); j++)
                                if (scp_option_has_f(tokens[j]))
                                        return REQUEST_SCP_DOWNLOAD;
                }
                if (token_is_program(tokens[i], "rsync")) {
                        for (size_t j = i + 1; j < n; j++) {
                                server = server || streq(tokens[j], "--server");
                                sender = sender || rsync_option_sends(tokens[j]);
                        }
                        if (server && sender)
                                return REQUEST_RSYNC_SENDER;
                }
        }
        return REQUEST_COMMAND;

names_only:
        r = hides_transfer_program(command);
        if (r < 0)
                return REQUEST_UNREADABLE;
        return r > 0 ? REQUEST_HIDDEN_TRANSFER : REQUEST_COMMAND;
}

/* The caller's access, from the daemon. The session environment (SUPPORTGRANT_EXPORT) is not
 * used: a later pam_env user_readenv=1 or the user's own ~/.ssh/environment can set it, and
 * the daemon also knows about grants made or revoked since the login. Whatever goes wrong
 * leaves a->asked false, which means no export. */
static void ask_daemon(struct cli *cli, const struct passwd *pw, struct access *a)
{
        _cleanup_(sg_varlink_client_freep) sg_varlink_client *c = NULL;
        _cleanup_(json_object_putp) json_object *reply = NULL;
        json_object *p;
        const char *error;

        *a = (struct access){};
        if (cli_load_config(cli) < 0)
                return;
        if (sg_varlink_connect(cli->socket, GATE_TIMEOUT_MS, &c) < 0)
                return;
        if (sg_varlink_call(c, SG_VARLINK_INTERFACE ".Status", NULL, &reply, &error, &p) < 0 ||
            error)
                return;
        a->asked = true;
        a->staff = cli_json_bool(p, "staff");
        a->covered = cli_json_bool(p, "covered");
        a->export = cli_json_bool(p, "export");
        /* A daemon that could not look the caller up (NSS failing) says "uid 1234" and
         * "not staff": that must not read as "not ours to restrict". */
        a->known = streq(strempty(cli_json_string(p, "user")), pw->pw_name);
}

static const char *request_name(enum request r)
{
        switch (r) {
        case REQUEST_SCP_DOWNLOAD:
                return "scp download";
        case REQUEST_RSYNC_SENDER:
                return "rsync download";
        case REQUEST_SFTP:
                return "sftp download";
        default:
                return "file transfer";
        }
}

/* SSH_CONNECTION is "client-address client-port server-address server-port". */
static void client_address(char *buf, size_t size)
{
        const char *conn = getenv("SSH_CONNECTION");
        size_t n;

        buf[0] = 0;
        if (isempty(conn))
                return;
        n = strcspn(conn, " ");
        if (n >= size)
                n = size - 1;
        memcpy(buf, conn, n);
        buf[n] = 0;
}

static int refuse(struct cli *cli, const struct passwd *pw, const struct access *a,
                  enum request what, const char *command)
{
        _cleanup_free_ char *shown = cli_sanitize(command);
        _cleanup_free_ char *msg = NULL;
        struct sg_event_fields f = {.export = 0};
        char rhost[64];
        int r;

        if (!a->asked)
                fputs("supportgrant: supportgrantd cannot be asked whether you may export "
                      "data, so file transfer off this host is refused.\n",
                      stderr);
        fprintf(stderr,
                "supportgrant: data export is not allowed for %s on this host: %s refused.\n"
                "Uploads to the host work. For downloads ask the customer to activate support "
                "access with export, e.g. \"supportgrant grant %s --export\".\n",
                pw->pw_name, request_name(what), pw->pw_name);

        client_address(rhost, sizeof(rhost));
        f.user = pw->pw_name;
        f.service = "sshd";
        f.rhost = rhost;
        if (asprintf(&msg, "Data export refused for %s%s%s: %s (%.200s)", pw->pw_name,
                     rhost[0] ? " from " : "", rhost, request_name(what), shown ? shown : "?") < 0)
                msg = NULL;
        r = sg_journal_event(SG_EVENT_EXPORT_REFUSED, LOG_WARNING, &f, msg);
        if (r < 0)
                fprintf(stderr, "supportgrant: cannot write to the journal: %s\n", strerror(-r));
        return -EACCES; /* exit 1: -EPERM would be 77, which says "ask root" */
}

/* As sshd would have run it: "SHELL -c COMMAND", or SHELL as a login shell ("-bash"). */
static int exec_shell(const struct passwd *pw, const char *command)
{
        const char *shell = isempty(pw->pw_shell) ? "/bin/sh" : pw->pw_shell;
        _cleanup_free_ char *copy = strdup(shell), *argv0 = NULL;

        if (!copy)
                return -ENOMEM;
        if (isempty(command)) {
                if (asprintf(&argv0, "-%s", basename(copy)) < 0)
                        return -ENOMEM;
                execl(shell, argv0, (char *)NULL);
        } else
                execl(shell, basename(copy), "-c", command, (char *)NULL);
        fprintf(stderr, "supportgrant: cannot run %s: %m\n", shell);
        return -errno;
}

static int exec_sftp_server(bool export)
{
        if (export)
                execl(SG_SFTP_SERVER, "sftp-server", (char *)NULL);
        else
                execl(SG_SFTP_SERVER, "sftp-server", "-P", SFTP_DENY_WITHOUT_EXPORT, (char *)NULL);
        fprintf(stderr, "supportgrant: cannot run %s: %m\n", SG_SFTP_SERVER);
        return -errno;
}

int cli_cmd_gate(struct cli *cli)
{
        const char *command = getenv("SSH_ORIGINAL_COMMAND");
        enum request what = classify(command);
        struct access a;
        struct passwd *pw;
        bool export;

        errno = 0;
        pw = getpwuid(getuid());
        if (!pw) {
                fprintf(stderr, "supportgrant: who is uid %u? %m\n", (unsigned)getuid());
                return -ENOENT;
        }
        if (what == REQUEST_LOGIN_SHELL || what == REQUEST_COMMAND)
                return exec_shell(pw, command);

        /* File transfer: only what the daemon says now counts. An account the daemon does
         * not take for staff is not ours to restrict (the Match block may be wider). */
        ask_daemon(cli, pw, &a);
        export = a.asked && a.known && (!a.staff || (a.covered && a.export));
        if (what == REQUEST_SFTP) {
                if (!export)
                        fprintf(stderr,
                                "supportgrant: data export is not allowed for %s on this "
                                "host: sftp uploads work, downloads are refused.\n",
                                pw->pw_name);
                (void)fflush(stderr);
                return exec_sftp_server(export);
        }
        if (!export)
                return refuse(cli, pw, &a, what, command);
        return exec_shell(pw, command);
}
