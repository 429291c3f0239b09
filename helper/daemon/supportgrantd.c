/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* supportgrantd: main and its arguments. See supportgrantd(8). */
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "manager.h"
#include "methods.h"
#include "sessions.h"
#include "trail.h"

static bool arg_foreground;
static const char *arg_socket;
static const char *arg_conf = SG_CONF_PATH;

static void help(void)
{
        printf("Usage: supportgrantd [OPTIONS]\n\n"
               "The supportgrant daemon: the only writer of support grants, judge of every\n"
               "request by its caller's credentials, and the one that ends staff sessions\n"
               "when their access ends. Normally started by supportgrant.socket.\n\n"
               "  --socket PATH    listen on PATH instead of the socket from systemd\n"
               "  --foreground     run without socket activation (with --socket)\n"
               "  --conf PATH      configuration file (default %s)\n"
               "  --debug          log every request\n"
               "  -h, --help       this text\n"
               "      --version    print the version\n",
               SG_CONF_PATH);
}

static int parse_argv(int argc, char **argv)
{
        enum { ARG_SOCKET = 0x100, ARG_FOREGROUND, ARG_CONF, ARG_DEBUG, ARG_VERSION };
        static const struct option options[] = {
                {"socket", required_argument, NULL, ARG_SOCKET},
                {"foreground", no_argument, NULL, ARG_FOREGROUND},
                {"conf", required_argument, NULL, ARG_CONF},
                {"debug", no_argument, NULL, ARG_DEBUG},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, ARG_VERSION},
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case ARG_SOCKET:
                        arg_socket = optarg;
                        break;
                case ARG_FOREGROUND:
                        arg_foreground = true;
                        break;
                case ARG_CONF:
                        arg_conf = optarg;
                        break;
                case ARG_DEBUG:
                        log_set_max_priority(LOG_DEBUG);
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("supportgrantd %s\n", SG_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                log_error("unexpected argument '%s'", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char **argv)
{
        struct manager m = {};
        sg_store *store = NULL;
        sigset_t mask;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (geteuid() != 0) {
                log_error("must run as root: it owns the database and ends staff sessions");
                return 1;
        }

        (void)snprintf(m.conf_path, sizeof(m.conf_path), "%s", arg_conf);
        m.socket_override = arg_socket;
        if (manager_load_config(&m, &m.cfg) < 0)
                return 1;
        (void)sg_login_defs_uid_range(NULL, &m.uid_min, &m.uid_max);
        /* Expiries are computed in the host's zone, never a caller's. */
        tzset();
        umask(0077);

        /* The database directory: 0700, root's, as StateDirectory= makes it under systemd. */
        r = mkdir_parent(m.cfg.database, 0700);
        if (r < 0) {
                log_error_errno(r, "cannot create the directory of %s: %m", m.cfg.database);
                return 1;
        }
        /* The database gets its schema before the socket appears: whoever sees the socket (a
         * client, a test waiting for it) finds the tables there. A database that cannot be
         * opened at start (corrupt, a newer schema, a bad owner or mode of the file, its
         * directory or its WAL) is a reason not to start at all: the administrator sees it in
         * the unit's state, and staff are refused while no daemon answers. Faults that come
         * later (a full disk, a lock) are answered per request as DatabaseError. */
        if (manager_store(&m, &store) < 0) {
                log_error("not starting: the database %s cannot be opened", m.cfg.database);
                return 1;
        }
        manager_canonicalize_names(&m, store);
        manager_commit(&m); /* no event loop yet to do it */
        exports_load(&m);

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        (void)signal(SIGPIPE, SIG_IGN);

        r = sd_event_default(&m.event);
        if (r < 0) {
                log_error_errno(r, "cannot set up the event loop: %m");
                return 1;
        }
        server_init(&m.server, m.event, methods_dispatch, &m);
        m.after_reload = sessions_after_reload;
        r = server_listen(&m.server, m.cfg.socket,
                          arg_socket       ? SERVER_BIND
                          : arg_foreground ? SERVER_ACTIVATED_OR_BIND
                                           : SERVER_ACTIVATED);
        if (r < 0) {
                manager_done(&m);
                return 1;
        }
        r = manager_watch_signals(&m);
        if (r >= 0)
                r = sessions_setup(&m);
        if (r >= 0)
                r = trail_setup(&m);
        if (r < 0) {
                log_error_errno(r, "cannot set up: %m");
                manager_done(&m);
                return 1;
        }

        log_info("listening on %s", m.cfg.socket);
        (void)sd_notify(0, "READY=1\nSTATUS=Serving support access requests");
        (void)trail_checkpoint_head(&m, false, "start");
        manager_commit(&m);
        r = sd_event_loop(m.event);
        (void)trail_checkpoint_head(&m, false, "stop");
        manager_done(&m);
        return r < 0 ? 1 : 0;
}
