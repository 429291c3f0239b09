/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* supportgrant gate: the sshd ForceCommand for staff (SPEC §8, export control).
 *
 * sshd runs it instead of whatever the client asked for, with the request in
 * SSH_ORIGINAL_COMMAND (for the sftp subsystem: the Subsystem command of sshd_config). With the
 * export right, what was asked runs as sshd would have run it. Without it, staff get a
 * terminal and nothing else:
 *   - a session with a terminal (SSH_TTY) runs the login shell or the command;
 *   - the sftp subsystem runs with reading, links and renames denied, and each denied request
 *     is journaled with its path;
 *   - every other command without a terminal is refused and journaled, unless it is exactly one
 *     of the configured gate_allow commands.
 * No keyword filter over a command line can tell "cat FILE" from a harmless command, so none is
 * tried. Refusals are journaled by the daemon (ExportRefused), under the caller's own name, so
 * that every genuine entry comes from root. A terminal can still show a file: a speed bump, not
 * a wall. */

#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <sys/wait.h>

#include "cli.h"

#ifndef SG_SFTP_SERVER
#define SG_SFTP_SERVER "/usr/lib/openssh/sftp-server"
#endif

/* sftp-server(8) -P: the requests refused without export. Reading is the only way to get a
 * file's contents out through sftp; links and renames could plant another server, or a name
 * that a later command runs; copy-data copies on the host, outside what is journaled. Uploads
 * (open, write), listings and removals keep working. */
#define SFTP_DENY_WITHOUT_EXPORT "read,symlink,hardlink,rename,posix-rename,copy-data"

#define GATE_TIMEOUT_MS 5000

struct access {
        bool asked;   /* the daemon answered */
        bool staff;   /* the daemon says the caller is a staff account */
        bool covered; /* a grant covers it now */
        bool export;  /* and one of them allows export */
        bool known;   /* the daemon resolved the caller to the same account we are */
        char expires_at[SG_RFC3339_MAX]; /* "" when permanent */
};

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
        (void)snprintf(a->expires_at, sizeof(a->expires_at), "%s",
                       strempty(cli_json_string(p, "expires_at")));
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

/* Has the daemon journal what was refused (export-refused, under our name, by root). */
static void report(struct cli *cli, const char *what, const char *command)
{
        _cleanup_(sg_varlink_client_freep) sg_varlink_client *c = NULL;
        _cleanup_(json_object_putp) json_object *params = json_object_new_object(), *reply = NULL;
        json_object *p;
        const char *error = NULL;
        char rhost[64];
        int r;

        client_address(rhost, sizeof(rhost));
        r = params ? 0 : -ENOMEM;
        if (r >= 0)
                r = json_object_object_add(params, "what", json_object_new_string(what));
        if (r >= 0)
                r = json_object_object_add(params, "command", json_object_new_string(command));
        if (r >= 0 && rhost[0])
                r = json_object_object_add(params, "rhost", json_object_new_string(rhost));
        if (r >= 0)
                r = sg_varlink_connect(cli->socket, GATE_TIMEOUT_MS, &c);
        if (r >= 0)
                r = sg_varlink_call(c, SG_VARLINK_INTERFACE ".ExportRefused", params, &reply,
                                    &error, &p);
        if (r >= 0 && error)
                r = -EPROTO;
        if (r < 0)
                fprintf(stderr, "supportgrant: the refusal could not be recorded (%s).\n",
                        error ? error : strerror(-r));
}

static int refuse(struct cli *cli, const struct passwd *pw, const struct access *a,
                  const char *command)
{
        if (!a->asked)
                fputs("supportgrant: supportgrantd cannot be asked whether you may export "
                      "data, so nothing but a terminal is allowed.\n",
                      stderr);
        fprintf(stderr,
                "supportgrant: data export is not allowed for %s on this host: without it, "
                "support staff get an interactive terminal (ssh -t) and nothing else; this "
                "command was refused.\nsftp uploads work. For more ask the customer to activate "
                "support access with export, e.g. \"supportgrant grant %s --export\".\n",
                pw->pw_name, pw->pw_name);
        report(cli, "command", command);
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

/* What sftp-server -e -l VERBOSE says of a request: the path of the last file opened for
 * reading ("open \"PATH\" flags READ mode 0666"), and every refused request ("Refusing
 * denylisted read request"). The refusals right after "received client version" are the
 * extensions it does not advertise, not requests. */
struct sftp_log {
        bool init, serving, reported;
        char path[4096];
};

static void sftp_log_line(struct cli *cli, struct sftp_log *l, const char *line)
{
        static const char refusing[] = "Refusing denylisted ";
        char what[64], command[4200];
        const char *q, *end;

        if (strstr(line, "received client version")) {
                l->init = true;
                return;
        }
        if (!l->init)
                return;
        if (!strneq(line, refusing, strlen(refusing))) {
                l->serving = true;
                q = strneq(line, "open \"", 6) ? line + 6 : NULL;
                end = q ? strstr(q, "\" flags ") : NULL;
                if (end && strstr(end, "READ")) {
                        (void)snprintf(l->path, sizeof(l->path), "%.*s", (int)(end - q), q);
                        l->reported = false;
                }
                return;
        }
        if (!l->serving)
                return;
        q = line + strlen(refusing);
        end = strstr(q, " request");
        (void)snprintf(what, sizeof(what), "sftp %.*s", end ? (int)(end - q) : 0, q);
        if (streq(what, "sftp read")) {
                /* A download asks for many blocks of one file: one entry per file opened. */
                if (l->reported)
                        return;
                l->reported = true;
                (void)snprintf(command, sizeof(command), "sftp read %s", l->path);
        } else
                (void)snprintf(command, sizeof(command), "%s", what);
        report(cli, what, command);
}

/* The sftp server without export: its log comes to us, for the journal. */
static int run_sftp_restricted(struct cli *cli, const struct passwd *pw)
{
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        struct sftp_log l = {};
        size_t cap = 0;
        ssize_t n;
        int fds[2], status;
        pid_t pid;

        fprintf(stderr,
                "supportgrant: data export is not allowed for %s on this host: sftp uploads "
                "work, downloads are refused.\n",
                pw->pw_name);
        (void)fflush(stderr);
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (dup2(fds[1], STDERR_FILENO) < 0)
                        _exit(127);
                execl(SG_SFTP_SERVER, "sftp-server", "-e", "-l", "VERBOSE", "-P",
                      SFTP_DENY_WITHOUT_EXPORT, (char *)NULL);
                _exit(127);
        }
        close(fds[1]);
        f = fdopen(fds[0], "re");
        if (!f) {
                close(fds[0]);
                (void)kill(pid, SIGTERM);
        }
        while (f && (n = getline(&line, &cap, f)) > 0) {
                line[strcspn(line, "\n")] = 0;
                sftp_log_line(cli, &l, line);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                fprintf(stderr, "supportgrant: cannot run %s\n", SG_SFTP_SERVER);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Staff see what applies at the start of an interactive session (sshd stays quiet with
 * ForceCommand); the output of a command stays its own. */
static void banner(struct cli *cli, const struct passwd *pw, const struct access *a)
{
        char until[SG_TIME_HUMAN_MAX + 96];

        if (!a->asked || !a->staff || !a->covered)
                return;
        if (a->expires_at[0]) {
                cli_format_expiry(cli, a->expires_at, true, until, sizeof(until));
                fprintf(stderr, "Support access for %s runs until %s; data export: %s.\n",
                        pw->pw_name, until, a->export ? "yes" : "no");
        } else
                fprintf(stderr, "Support access for %s is permanent; data export: %s.\n",
                        pw->pw_name, a->export ? "yes" : "no");
}

static bool is_sftp_subsystem(const char *command)
{
        return command && (streq(command, SG_SFTP_SERVER) || streq(command, "internal-sftp"));
}

/* About to export: the daemon must agree and remember this process, so that the session
 * ends when the export right does while the access goes on. Any failure: no export. An
 * account that is not staff is not ours to restrict. */
static bool export_started(struct cli *cli, const struct access *a)
{
        _cleanup_(sg_varlink_client_freep) sg_varlink_client *c = NULL;
        _cleanup_(json_object_putp) json_object *reply = NULL;
        json_object *p;
        const char *error;

        if (!a->staff)
                return true;
        if (sg_varlink_connect(cli->socket, GATE_TIMEOUT_MS, &c) < 0)
                return false;
        if (sg_varlink_call(c, SG_VARLINK_INTERFACE ".ExportStarted", NULL, &reply, &error, &p) <
                    0 ||
            error)
                return false;
        return cli_json_bool(p, "export");
}

static bool is_allowed(const struct cli *cli, const char *command)
{
        for (size_t i = 0; command && i < cli->config.n_gate_allow; i++)
                if (streq(command, cli->config.gate_allow[i]))
                        return true;
        return false;
}

int cli_cmd_gate(struct cli *cli)
{
        const char *command = getenv("SSH_ORIGINAL_COMMAND");
        bool terminal = !isempty(getenv("SSH_TTY"));
        struct access a;
        struct passwd *pw;
        bool export;

        errno = 0;
        pw = getpwuid(getuid());
        if (!pw) {
                fprintf(stderr, "supportgrant: who is uid %u? %m\n", (unsigned)getuid());
                return -ENOENT;
        }
        /* Only what the daemon says now counts. An account the daemon does not take for staff
         * is not ours to restrict (the Match block may be wider). */
        ask_daemon(cli, pw, &a);
        export = a.asked && a.known && (!a.staff || (a.covered && a.export));
        if (terminal && isempty(command))
                banner(cli, pw, &a);
        if (is_sftp_subsystem(command)) {
                if (export && export_started(cli, &a)) {
                        execl(SG_SFTP_SERVER, "sftp-server", (char *)NULL);
                        fprintf(stderr, "supportgrant: cannot run %s: %m\n", SG_SFTP_SERVER);
                        return -errno;
                }
                return run_sftp_restricted(cli, pw);
        }
        /* A terminal and gate_allow need no export; what does, ends with it. */
        if (terminal || is_allowed(cli, command) || (export && export_started(cli, &a)))
                return exec_shell(pw, command);
        return refuse(cli, pw, &a, strempty(command));
}
