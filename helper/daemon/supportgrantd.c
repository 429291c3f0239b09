/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* supportgrantd: main, configuration, the listening socket and signals. See supportgrantd(8). */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "daemon.h"

static bool arg_foreground;
static const char *arg_socket;
static const char *arg_conf = SG_CONF_PATH;

/* ---- names stored as typed by earlier versions (SPEC §2 "names") ------------------------- */

struct name_list {
        char (*items)[SG_NAME_MAX];
        size_t n, size;
};

static int collect_name(const char *name, void *userdata)
{
        struct name_list *l = userdata;

        if (GROW(l->items, l->size, l->n, 16) < 0)
                return -ENOMEM;
        (void)snprintf(l->items[l->n++], SG_NAME_MAX, "%s", name);
        return 0;
}

/* Rewrites rights and grant targets to the canonical name NSS gives them now, and journals
 * each change. Names NSS does not know (any more) stay as they are. */
static void canonicalize_names(struct daemon *d, sg_store *s)
{
        static const char *const what[] = {
                [SG_NAME_RIGHT] = "the right to activate of",
                [SG_NAME_USER_TARGET] = "the grants for user",
                [SG_NAME_DEPARTMENT_TARGET] = "the grants for department",
        };

        for (enum sg_name_kind k = SG_NAME_RIGHT; k <= SG_NAME_DEPARTMENT_TARGET; k++) {
                struct name_list l = {};

                if (sg_store_names(s, k, collect_name, &l) < 0)
                        log_error("cannot read the stored names: %s", sg_store_errmsg(s));
                for (size_t i = 0; i < l.n; i++) {
                        char canonical[SG_NAME_MAX], msg[3 * SG_NAME_MAX];
                        int r;

                        r = k == SG_NAME_DEPARTMENT_TARGET
                                    ? sg_department_canonical(&d->cfg, l.items[i], canonical)
                                    : sg_user_canonical(l.items[i], canonical, NULL);
                        if (r < 0 || streq(canonical, l.items[i]))
                                continue;
                        r = sg_store_rename(s, k, l.items[i], canonical);
                        if (r < 0) {
                                log_error("cannot rename %s to %s: %s", l.items[i], canonical,
                                          sg_store_errmsg(s));
                                continue;
                        }
                        (void)snprintf(msg, sizeof(msg),
                                       "%s %s now stored under its canonical name %s (%d rows)",
                                       what[k], l.items[i], canonical, r);
                        (void)sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", LOG_NOTICE,
                                              "SYSLOG_IDENTIFIER=supportgrantd", NULL);
                        if (!getenv("JOURNAL_STREAM")) /* else that is the journal already */
                                log_notice("%s", msg);
                }
                free(l.items);
        }
}

static int load_config(struct daemon *d, struct sg_config *ret)
{
        struct sg_error err = {};
        int r;

        sg_config_init(ret);
        r = sg_config_load(ret, d->conf_path, 0, &err);
        if (r == -ENOENT) {
                log_error("%s: configuration file is missing", d->conf_path);
                return r;
        }
        if (r < 0) {
                log_error("%s", err.msg);
                return r;
        }
        if (arg_socket) {
                r = sg_config_set(ret, "socket", arg_socket, &err);
                if (r < 0) {
                        log_error("--socket: %s", err.msg);
                        return r;
                }
        }
        return 0;
}

static int on_listen(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        int r = conn_accept(userdata);

        if (r < 0)
                log_error("accept failed: %s", strerror(-r));
        return 0;
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct daemon *d = userdata;
        struct sg_config cfg;

        (void)sd_notify(0, "RELOADING=1");
        if (load_config(d, &cfg) >= 0) {
                if (!streq(cfg.socket, d->cfg.socket))
                        log_warning("socket path changes take effect at the next start");
                d->cfg = cfg;
                (void)sg_login_defs_uid_range(NULL, &d->uid_min, &d->uid_max);
                log_info("configuration reloaded");
        } else
                log_error("keeping the previous configuration");
        daemon_keep_store(d, true);
        (void)sessions_sweep(d, "reload");
        (void)expiry_timer_update(d);
        (void)sd_notify(0, "READY=1");
        return 0;
}

static int on_terminate(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct daemon *d = userdata;

        (void)sd_notify(0, "STOPPING=1");
        return sd_event_exit(d->event, 0);
}

/* --socket PATH: bind it ourselves (tests, running without systemd). */
/* The directory a path is in, made with mode when missing (its parents must exist). */
static int make_parent(const char *path, mode_t mode)
{
        char dir[PATH_MAX];
        char *slash;

        (void)snprintf(dir, sizeof(dir), "%s", path);
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = 0;
        if (mkdir(dir, mode) < 0) {
                int e = errno;

                if (e == EEXIST)
                        return 0;
                log_error("cannot create %s: %s", dir, strerror(e));
                return -e;
        }
        /* The daemon's umask (0077) took bits off: the mode is the one asked for. */
        if (chmod(dir, mode) < 0) {
                int e = errno;

                log_error("cannot chmod %s: %s", dir, strerror(e));
                return -e;
        }
        return 0;
}

static int bind_socket(struct daemon *d)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct stat st;
        _cleanup_close_ int fd = -EBADF;
        const char *path = d->cfg.socket;
        int r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        /* A stale socket from an earlier run may go; anything else at that path stays. */
        if (lstat(path, &st) >= 0) {
                if (!S_ISSOCK(st.st_mode)) {
                        log_error("%s exists and is not a socket", path);
                        return -EEXIST;
                }
                (void)unlink(path);
        }
        /* Without systemd (RuntimeDirectory=) nobody made its directory: make it, as the
         * unit would (0755 root: everyone may reach the socket). */
        r = make_parent(path, 0755);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -errno;
        /* Everyone may connect: every request is authorized by its peer credentials. */
        if (chmod(path, 0666) < 0 || listen(fd, SOMAXCONN) < 0)
                return -errno;
        d->listen_fd = TAKE_FD(fd);
        d->own_socket = true;
        return 0;
}

static int setup_listen(struct daemon *d)
{
        int n, r;

        if (!arg_socket) {
                n = sd_listen_fds(1);
                if (n < 0)
                        return n;
                if (n > 1) {
                        log_error("expected one socket from systemd, got %d", n);
                        return -EINVAL;
                }
                if (n == 1) {
                        if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0) {
                                log_error("the socket from systemd is not a listening Unix "
                                          "stream socket");
                                return -EINVAL;
                        }
                        d->listen_fd = SD_LISTEN_FDS_START;
                        r = fcntl(d->listen_fd, F_GETFL);
                        if (r < 0 || fcntl(d->listen_fd, F_SETFL, r | O_NONBLOCK) < 0)
                                return -errno;
                        return 0;
                }
                if (!arg_foreground) {
                        log_error("not started by systemd socket activation; use --socket PATH "
                                  "--foreground to run by hand");
                        return -EINVAL;
                }
        }
        r = bind_socket(d);
        if (r < 0)
                log_error("cannot listen on %s: %s", d->cfg.socket, strerror(-r));
        return r;
}

/* The database directory: 0700, root's. StateDirectory= makes it under systemd. */
static int prepare_state_dir(struct daemon *d)
{
        return make_parent(d->cfg.database, 0700); /* as StateDirectory= would */
}

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
        struct daemon d = {.listen_fd = -EBADF};
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

        (void)snprintf(d.conf_path, sizeof(d.conf_path), "%s", arg_conf);
        if (load_config(&d, &d.cfg) < 0)
                return 1;
        (void)sg_login_defs_uid_range(NULL, &d.uid_min, &d.uid_max);
        /* Expiries are computed in the host's zone, never a caller's. */
        tzset();
        umask(0077);

        if (prepare_state_dir(&d) < 0)
                return 1;
        /* The database gets its schema before the socket appears: whoever sees the socket (a
         * client, a test waiting for it) finds the tables there. A database that cannot be
         * opened at start (corrupt, a newer schema, a bad owner or mode of the file, its
         * directory or its WAL) is a reason not to start at all: the administrator sees it in
         * the unit's state, and staff are refused while no daemon answers. Faults that come
         * later (a full disk, a lock) are answered per request as DatabaseError. */
        if (daemon_open_store(&d, &store) < 0) {
                log_error("not starting: the database %s cannot be opened", d.cfg.database);
                return 1;
        }
        canonicalize_names(&d, store);
        sg_store_close(store);
        exports_load(&d);
        daemon_keep_store(&d, false);
        if (setup_listen(&d) < 0)
                return 1;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        (void)signal(SIGPIPE, SIG_IGN);

        r = sd_event_default(&d.event);
        if (r >= 0)
                r = sd_event_add_io(d.event, &d.listen_source, d.listen_fd, EPOLLIN, on_listen, &d);
        if (r >= 0)
                r = sd_event_add_signal(d.event, NULL, SIGTERM, on_terminate, &d);
        if (r >= 0)
                r = sd_event_add_signal(d.event, NULL, SIGINT, on_terminate, &d);
        if (r >= 0)
                r = sd_event_add_signal(d.event, NULL, SIGHUP, on_reload, &d);
        if (r >= 0)
                r = sessions_setup(&d);
        if (r < 0) {
                log_error("cannot set up: %s", strerror(-r));
                return 1;
        }

        log_info("listening on %s", d.cfg.socket);
        (void)sd_notify(0, "READY=1\nSTATUS=Serving support access requests");
        r = sd_event_loop(d.event);

        while (d.conns)
                conn_free(d.conns);
        sg_store_close(d.keeper);
        sd_event_source_disable_unref(d.listen_source);
        sd_event_source_disable_unref(d.expiry_timer);
        sd_event_source_disable_unref(d.sweep_timer);
        sd_event_source_disable_unref(d.prune_timer);
        sd_event_source_disable_unref(d.kill_timer);
        sd_event_source_disable_unref(d.stray_timer);
        free(d.quiet_uids);
        free(d.exports);
        sd_event_unref(d.event);
        if (d.own_socket)
                (void)unlink(d.cfg.socket);
        if (d.listen_fd >= 0)
                (void)close(d.listen_fd);
        return r < 0 ? 1 : 0;
}
