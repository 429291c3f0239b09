/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* supportgrant: main(), the command line and the help texts. */

#include <getopt.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "cli.h"

struct cli_command {
        const char *name;
        const char *synopsis;    /* after "supportgrant " */
        const char *summary;     /* one line, for the list of commands */
        const char *description; /* for "supportgrant COMMAND --help" */
        unsigned options;
        size_t min_args, max_args;
        int (*run)(struct cli *cli);
};

static int cmd_help(struct cli *cli);

static const struct cli_command commands[] = {
        {"grant", "grant USER | --department NAME [--period P] [--export] [--note TEXT]",
         "activate support access, from now on",
         "Activate support access for one staff user, or for every staff member of a department,\n"
         "from now on for the period given. Data export is off unless --export is given.\n",
         CLI_OPT_DEPARTMENT | CLI_OPT_PERIOD | CLI_OPT_EXPORT | CLI_OPT_NOTE, 0, 1, cli_cmd_grant},
        {"revoke", "revoke ID... | --user USER | --department NAME | --all",
         "end active grants now",
         "End active grants now: the given grant IDs (all must be active, else none is revoked),\n"
         "every active grant of a user or a department, or all of them. Staff sessions that no\n"
         "grant covers any more are ended by supportgrantd.\n",
         CLI_OPT_USER | CLI_OPT_DEPARTMENT | CLI_OPT_ALL, 0, SIZE_MAX, cli_cmd_revoke},
        {"list", "list", "show the active grants", "Show the active grants, newest first.\n", 0, 0,
         0, cli_cmd_list},
        {"history", "history [--since WHEN] [--until WHEN]",
         "show the grants made in a time window",
         "Show the grants made from --since (default: the start of the retention window) until\n"
         "--until (default: now), newest first, with their state and who revoked them.\n",
         CLI_OPT_SINCE | CLI_OPT_UNTIL, 0, 0, cli_cmd_history},
        {"logins", "logins [--since WHEN] [--until WHEN] [--user USER] [--limit N]",
         "show staff logins and their reasons",
         "Show staff logins, accepted and denied, newest first: when, who, from where, the\n"
         "grants that allowed it, how the session ended, and the reason given.\n",
         CLI_OPT_SINCE | CLI_OPT_UNTIL | CLI_OPT_USER | CLI_OPT_LIMIT, 0, 0, cli_cmd_logins},
        {"request",
         "request [--user USER | --department NAME] [--period P] [--export] [--note TEXT]",
         "make an activation code to send to the customer",
         "Make an activation code (default: for yourself) and print the command the customer\n"
         "runs to redeem it. Works anywhere, without supportgrantd. The period counts from the\n"
         "activation, not from the request.\n",
         CLI_OPT_USER | CLI_OPT_DEPARTMENT | CLI_OPT_PERIOD | CLI_OPT_EXPORT | CLI_OPT_NOTE, 0, 0,
         cli_cmd_request},
        {"activate", "activate CODE [--yes]", "redeem an activation code",
         "Show what an activation code grants, ask for confirmation, then activate it. CODE may\n"
         "also be a URL whose last path segment or code= parameter is the code. Each code works\n"
         "once, within code_validity of the configuration.\n",
         CLI_OPT_YES, 1, 1, cli_cmd_activate},
        {"status", "status", "staff: your access; others: whether you may activate",
         "For staff: whether and until when you have support access on this host. For others:\n"
         "whether you may activate support access, and how many grants and staff sessions\n"
         "there are.\n",
         0, 0, 0, cli_cmd_status},
        {"rights", "rights [list | revoke USER | restore USER]",
         "who may activate support access (changes: root only)",
         "Show who holds the right to activate support access and why, or (root only) take it\n"
         "away from a user or give it back.\n",
         0, 0, 2, cli_cmd_rights},
        {"audit", "audit verify [--file F] [--checkpoint SEQ:HASH] | audit export",
         "verify or export the audit trail",
         "verify: recompute the audit trail's hash chain and compare it with every checkpoint\n"
         "supportgrantd wrote to the journal (and with --checkpoint, a head written down\n"
         "earlier); print whether it is intact, or which record first breaks it and how. Exit 0\n"
         "when intact, 1 when not. With --file, check a file 'audit export' wrote, offline:\n"
         "no daemon, any user. export: write the trail as JSON Lines, one record per line.\n"
         "Root, or a holder of the right to activate support access.\n",
         CLI_OPT_FILE | CLI_OPT_CHECKPOINT, 1, 1, cli_cmd_audit},
        {"gate", "gate", "sshd ForceCommand for staff: export control",
         "Run by sshd as ForceCommand for the staff group, with the client's request in\n"
         "SSH_ORIGINAL_COMMAND. With the export right (asked from supportgrantd) it runs as\n"
         "sshd would have run it. Without (or if the daemon cannot be asked): a session with a\n"
         "terminal runs the shell or command; the sftp subsystem runs with reads, links and\n"
         "renames denied; every other command is refused unless it is exactly a gate_allow\n"
         "command of supportgrant.conf. Refusals are journaled by supportgrantd. A speed bump,\n"
         "not a wall: a terminal can still show a file.\n",
         0, 0, 0, cli_cmd_gate},
        {"doctor", "doctor", "check that this host gates staff everywhere",
         "Check the host's setup, one line each (ok, warn, FAIL with what to fix): the\n"
         "configuration, the staff group, supportgrantd, every PAM service that opens a session\n"
         "(is staff gated there?), sshd's auth line, its Match Group and, as root, what sshd -T\n"
         "applies to a staff member. Exit 0 when nothing failed, 1 otherwise.\n",
         0, 0, 0, cli_cmd_doctor},
        {"help", "help [COMMAND]", "show this help, or one command's",
         "Show the help for all commands, or for one.\n", 0, 0, 1, cmd_help},
};

struct cli_option_help {
        unsigned bit; /* 0: a common option */
        const char *text;
};

static const struct cli_option_help option_help[] = {
        {CLI_OPT_PERIOD,
         "  --period P         1h, 2h, 4h, today (until midnight), 1w, 2w, 1m or permanent\n"
         "                     (default: default_period of the configuration, 1h)\n"},
        {CLI_OPT_EXPORT, "  --export           allow data export (file transfer off the host)\n"},
        {CLI_OPT_NOTE, "  --note TEXT        a note kept with the grant, at most 200 bytes\n"},
        {CLI_OPT_USER,
         "  --user USER        a staff user (request: default yourself; revoke: every\n"
         "                     grant made for USER; logins: only USER's)\n"},
        {CLI_OPT_DEPARTMENT, "  --department NAME  a department: the staff in group "
                             "department_prefix+NAME\n"
                             "                     (onoffice-NAME by default)\n"},
        {CLI_OPT_ALL, "  --all              every active grant\n"},
        {CLI_OPT_SINCE, "  --since WHEN       from this time on (see WHEN below)\n"},
        {CLI_OPT_UNTIL, "  --until WHEN       before this time (default: now)\n"},
        {CLI_OPT_LIMIT, "  --limit N          at most N logins, newest first (default: 0, all)\n"},
        {CLI_OPT_YES, "  --yes              do not ask; needed when stdin is not a terminal\n"},
        {CLI_OPT_FILE, "  --file F           check an exported trail in F (- for stdin) offline\n"},
        {CLI_OPT_CHECKPOINT,
         "  --checkpoint SEQ:HASH\n"
         "                     the trail must reach this head (record SEQ with hash HASH)\n"},
        {0, "  --json             print JSON (times in RFC 3339 UTC) instead of text\n"},
        {0, "  --utc              show times in UTC instead of local time\n"},
        {0, "  --socket PATH      the daemon's socket (default: socket in the configuration,\n"
            "                     " SG_SOCKET_PATH ")\n"},
        {0, "  --conf PATH        the configuration file (default: " SG_CONF_PATH ")\n"},
        {0, "  -h, --help         show this help\n"},
        {0, "  --version          show the version\n"},
};

static const char when_help[] =
        "WHEN is RFC 3339 (2026-11-25T10:00:00Z), a local date and time (\"2026-11-25\",\n"
        "\"2026-11-25 10:00\"), now, today, yesterday, or a duration meaning that long ago\n"
        "(30d, 6 months, 2w).\n";

static const char exit_help[] =
        "Exit status: 0 success, 1 failure, 2 usage error, 69 supportgrantd "
        "unreachable,\n77 permission denied.\n";

static void print_options(unsigned bits)
{
        printf("\nOptions:\n");
        for (size_t i = 0; i < ELEMENTSOF(option_help); i++)
                if (option_help[i].bit == 0 || (option_help[i].bit & bits))
                        fputs(option_help[i].text, stdout);
        if (bits & (CLI_OPT_SINCE | CLI_OPT_UNTIL))
                printf("\n%s", when_help);
}

static void help_all(void)
{
        unsigned all = 0;

        printf("Usage: supportgrant COMMAND [OPTIONS]\n\n"
               "Decide when vendor support staff may log in to this host, and see who did.\n\n"
               "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                printf("  %s\n      %s\n", commands[i].synopsis, commands[i].summary);
                all |= commands[i].options;
        }
        print_options(all);
        printf("\n%s", exit_help);
}

static void help_command(const struct cli_command *c)
{
        printf("Usage: supportgrant %s [OPTIONS]\n\n%s", c->synopsis, c->description);
        print_options(c->options);
        printf("\n%s", exit_help);
}

static const struct cli_command *find_command(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(commands[i].name, name))
                        return &commands[i];
        return NULL;
}

int cli_usage_error(const struct cli *cli, const char *fmt, ...)
{
        va_list ap;

        fputs("supportgrant: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        if (cli && cli->command)
                fprintf(stderr, "\nSee 'supportgrant %s --help'.\n", cli->command->name);
        else
                fputs("\nSee 'supportgrant --help'.\n", stderr);
        return -CLI_E_USAGE;
}

static int cmd_help(struct cli *cli)
{
        const struct cli_command *c;

        if (cli->n_args == 0) {
                help_all();
                return 0;
        }
        c = find_command(cli->args[0]);
        if (!c)
                return cli_usage_error(cli, "unknown command '%s'", cli->args[0]);
        help_command(c);
        return 0;
}

int cli_load_config(struct cli *cli)
{
        const char *path = cli->conf_arg ? cli->conf_arg : SG_CONF_PATH;
        struct sg_error err = {};
        struct stat st;
        int r;

        sg_config_init(&cli->config);
        /* Unlike the daemon the CLI runs fine without a configuration file (a staff workstation
         * making a code has none), but only the default one may be missing: a --conf the user
         * named must be there. */
        if (!cli->conf_arg && lstat(path, &st) < 0 && errno == ENOENT)
                r = 0;
        else
                r = sg_config_load(&cli->config, path, 0, &err);
        if (r < 0) {
                if (isempty(err.msg))
                        (void)cli_error_errno(r, "%s: %m", path);
                else
                        fprintf(stderr, "supportgrant: %s\n", err.msg);
                /* Whatever the cause, a bad configuration is a plain failure (exit 1). */
                return -EBADMSG;
        }
        cli->socket = cli->socket_arg ? cli->socket_arg : cli->config.socket;
        return 0;
}

enum {
        ARG_JSON = 0x100,
        ARG_UTC,
        ARG_SOCKET,
        ARG_CONF,
        ARG_VERSION,
        ARG_PERIOD,
        ARG_EXPORT,
        ARG_NOTE,
        ARG_DEPARTMENT,
        ARG_USER,
        ARG_ALL,
        ARG_SINCE,
        ARG_UNTIL,
        ARG_LIMIT,
        ARG_YES,
        ARG_FILE,
        ARG_CHECKPOINT,
};

static const struct option long_options[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, ARG_VERSION},
        {"json", no_argument, NULL, ARG_JSON},
        {"utc", no_argument, NULL, ARG_UTC},
        {"socket", required_argument, NULL, ARG_SOCKET},
        {"conf", required_argument, NULL, ARG_CONF},
        {"period", required_argument, NULL, ARG_PERIOD},
        {"export", no_argument, NULL, ARG_EXPORT},
        {"note", required_argument, NULL, ARG_NOTE},
        {"department", required_argument, NULL, ARG_DEPARTMENT},
        {"user", required_argument, NULL, ARG_USER},
        {"all", no_argument, NULL, ARG_ALL},
        {"since", required_argument, NULL, ARG_SINCE},
        {"until", required_argument, NULL, ARG_UNTIL},
        {"limit", required_argument, NULL, ARG_LIMIT},
        {"yes", no_argument, NULL, ARG_YES},
        {"file", required_argument, NULL, ARG_FILE},
        {"checkpoint", required_argument, NULL, ARG_CHECKPOINT},
        {},
};

static const char *option_name(unsigned bit)
{
        static const struct {
                unsigned bit;
                const char *name;
        } names[] = {
                {CLI_OPT_PERIOD, "--period"}, {CLI_OPT_EXPORT, "--export"},
                {CLI_OPT_NOTE, "--note"},     {CLI_OPT_DEPARTMENT, "--department"},
                {CLI_OPT_USER, "--user"},     {CLI_OPT_ALL, "--all"},
                {CLI_OPT_SINCE, "--since"},   {CLI_OPT_UNTIL, "--until"},
                {CLI_OPT_LIMIT, "--limit"},   {CLI_OPT_YES, "--yes"},
                {CLI_OPT_FILE, "--file"},     {CLI_OPT_CHECKPOINT, "--checkpoint"},
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (names[i].bit & bit)
                        return names[i].name;
        return "?";
}

enum parse_result {
        PARSE_RUN,
        PARSE_HELP,
        PARSE_VERSION,
};

/* Options may stand anywhere on the line ("supportgrant --json list", "supportgrant list
 * --json"). The leading '-' in the option string returns the other arguments in order as
 * value 1, whatever POSIXLY_CORRECT says; the ':' lets us word the errors ourselves. */
static int parse_argv(struct cli *cli, int argc, char *argv[], char **positional,
                      enum parse_result *ret)
{
        bool help = false, version = false;
        size_t n = 0;
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "-:h", long_options, NULL)) >= 0) {
                switch (c) {
                case 1:
                        positional[n++] = optarg;
                        break;
                case 'h':
                        help = true;
                        break;
                case ARG_VERSION:
                        version = true;
                        break;
                case ARG_JSON:
                        cli->json = true;
                        break;
                case ARG_UTC:
                        cli->utc = true;
                        break;
                case ARG_SOCKET:
                        if (isempty(optarg))
                                return cli_usage_error(NULL, "--socket needs a path");
                        cli->socket_arg = optarg;
                        break;
                case ARG_CONF:
                        if (isempty(optarg))
                                return cli_usage_error(NULL, "--conf needs a path");
                        cli->conf_arg = optarg;
                        break;
                case ARG_PERIOD:
                        cli->given |= CLI_OPT_PERIOD;
                        cli->period = optarg;
                        break;
                case ARG_EXPORT:
                        cli->given |= CLI_OPT_EXPORT;
                        cli->export = true;
                        break;
                case ARG_NOTE:
                        cli->given |= CLI_OPT_NOTE;
                        cli->note = optarg;
                        break;
                case ARG_DEPARTMENT:
                        cli->given |= CLI_OPT_DEPARTMENT;
                        cli->department = optarg;
                        break;
                case ARG_USER:
                        cli->given |= CLI_OPT_USER;
                        cli->user = optarg;
                        break;
                case ARG_ALL:
                        cli->given |= CLI_OPT_ALL;
                        cli->all = true;
                        break;
                case ARG_SINCE:
                        cli->given |= CLI_OPT_SINCE;
                        cli->since = optarg;
                        break;
                case ARG_UNTIL:
                        cli->given |= CLI_OPT_UNTIL;
                        cli->until = optarg;
                        break;
                case ARG_LIMIT:
                        cli->given |= CLI_OPT_LIMIT;
                        cli->limit = optarg;
                        break;
                case ARG_YES:
                        cli->given |= CLI_OPT_YES;
                        cli->yes = true;
                        break;
                case ARG_FILE:
                        if (isempty(optarg))
                                return cli_usage_error(NULL, "--file needs a path");
                        cli->given |= CLI_OPT_FILE;
                        cli->file = optarg;
                        break;
                case ARG_CHECKPOINT:
                        cli->given |= CLI_OPT_CHECKPOINT;
                        cli->checkpoint = optarg;
                        break;
                case ':':
                        return cli_usage_error(NULL, "option '%s' needs a value", argv[optind - 1]);
                default:
                        /* A short option is reported by its letter (it may be clustered with
                         * others in one argument); a long one by the argument as written. */
                        if (optopt > 0 && optopt < 0x100)
                                return cli_usage_error(NULL, "unknown option '-%c'", optopt);
                        if (optopt >= 0x100)
                                return cli_usage_error(NULL, "option '%s' takes no value",
                                                       argv[optind - 1]);
                        return cli_usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
                }
        }
        /* After "--" everything is an argument, even "-3". */
        while (optind < argc)
                positional[n++] = argv[optind++];

        if (n > 0) {
                cli->command = find_command(positional[0]);
                if (!cli->command)
                        return cli_usage_error(NULL, "unknown command '%s'", positional[0]);
                cli->args = positional + 1;
                cli->n_args = n - 1;
        }

        if (help) {
                *ret = PARSE_HELP;
                return 0;
        }
        if (version) {
                *ret = PARSE_VERSION;
                return 0;
        }
        if (!cli->command)
                return cli_usage_error(NULL, "no command given");
        if (cli->given & ~cli->command->options)
                return cli_usage_error(cli, "option %s does not apply to '%s'",
                                       option_name(cli->given & ~cli->command->options),
                                       cli->command->name);
        if (cli->n_args < cli->command->min_args)
                return cli_usage_error(cli, "missing argument; usage: supportgrant %s",
                                       cli->command->synopsis);
        if (cli->n_args > cli->command->max_args)
                return cli_usage_error(cli, "unexpected argument '%s'",
                                       cli->args[cli->command->max_args]);
        *ret = PARSE_RUN;
        return 0;
}

static int exit_status(int r)
{
        switch (r) {
        case 0:
                return EXIT_SUCCESS;
        case -CLI_E_USAGE:
                return CLI_EXIT_USAGE;
        case -CLI_E_UNREACHABLE:
                return CLI_EXIT_UNAVAILABLE;
        case -CLI_E_DENIED:
                return CLI_EXIT_NOPERM;
        default:
                return EXIT_FAILURE;
        }
}

int main(int argc, char *argv[])
{
        _cleanup_free_ char **positional = NULL;
        struct cli cli = {};
        enum parse_result what = PARSE_RUN;
        int r;

        cli.now = time(NULL);
        sg_config_init(&cli.config);
        cli.socket = cli.config.socket;

        positional = calloc((size_t)argc + 1, sizeof(char *));
        if (!positional) {
                fputs("supportgrant: out of memory\n", stderr);
                return EXIT_FAILURE;
        }
        r = parse_argv(&cli, argc, argv, positional, &what);
        if (r < 0)
                return exit_status(r);

        switch (what) {
        case PARSE_HELP:
                if (cli.command && !streq(cli.command->name, "help"))
                        help_command(cli.command);
                else
                        help_all();
                r = cli_flush_stdout();
                break;
        case PARSE_VERSION:
                printf("supportgrant %s\n", SG_VERSION);
                r = cli_flush_stdout();
                break;
        case PARSE_RUN:
                r = cli.command->run(&cli);
                RET_GATHER(r, cli_flush_stdout());
                break;
        }
        return exit_status(r);
}
