/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's request handling, in process: the same steps as process_input() in
 * helper/daemon/server.c (sg_varlink_parse, then methods_dispatch, then the parts of a reply)
 * on a real struct conn whose socket is one end of a socketpair, against a real SQLite
 * database in a temporary directory. No change to the daemon was needed for this seam.
 *
 * Input: byte 0 picks the caller (root; a staff account; a human customer; a uid NSS does not
 * know), the rest is a series of NUL-terminated varlink messages. Every reply the daemon
 * queues must itself be a well-formed varlink message, since a client will parse it.
 *
 * The fuzzing configuration makes the host's own accounts play the roles, so that grants
 * are really written: staff_group = daemon (user daemon, uid 1, is staff), departments are
 * groups starting with "a" (adm, audio), and nobody (65534) is the human customer. Codes made
 * by `supportgrant request --user daemon` (the corpus files named *activate*) redeem. */
#include <assert.h>
#include <ftw.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "log.h"
#include "manager.h"
#include "methods.h"
#include "sessions.h"
#include "varlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct manager d;
static char dir[] = "/tmp/sg-fuzz-request.XXXXXX";
static unsigned runs;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
        return remove(path);
}

static void cleanup_dir(void)
{
        (void)nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* A fresh database now and then keeps List and History from slowing down as grants pile up. */
static void reset_database(void)
{
        char p[PATH_MAX + 8];

        (void)unlink(d.cfg.database);
        (void)snprintf(p, sizeof(p), "%s-wal", d.cfg.database);
        (void)unlink(p);
        (void)snprintf(p, sizeof(p), "%s-shm", d.cfg.database);
        (void)unlink(p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        struct sg_error err = {};
        char path[PATH_MAX];
        int r;

        /* Quiet unless asked: a run logs every refused request. */
        log_set_max_priority(getenv("SG_FUZZ_VERBOSE") ? LOG_DEBUG : -1);

        assert(mkdtemp(dir));
        atexit(cleanup_dir);
        sg_config_init(&d.cfg);
        (void)snprintf(path, sizeof(path), "%s/supportgrant.db", dir);
        r = sg_config_set(&d.cfg, "database", path, &err);
        if (r >= 0)
                r = sg_config_set(&d.cfg, "staff_group", "daemon", &err);
        if (r >= 0)
                r = sg_config_set(&d.cfg, "department_prefix", "a", &err);
        if (r >= 0)
                r = sg_config_set(&d.cfg, "terminate_sessions", "no", &err);
        /* The activation codes in the corpus stay redeemable for years, not a week. */
        if (r >= 0)
                r = sg_config_set(&d.cfg, "code_validity", "50 years", &err);
        if (r < 0) {
                fprintf(stderr, "fuzz_request: %s\n", err.msg);
                abort();
        }
        d.uid_min = d.uid_max = 65534;
        assert(sd_event_default(&d.event) >= 0);
        server_init(&d.server, d.event, methods_dispatch, &d);
        assert(sessions_setup(&d) >= 0);
        return 0;
}

/* What a client would do with the queued replies: split at NUL, parse each. */
static void check_replies(struct conn *c)
{
        size_t off = 0;

        while (off < c->out_len) {
                _cleanup_(json_object_putp) json_object *o = NULL;
                char *nul = memchr(c->out + off, 0, c->out_len - off);
                json_object *v;
                size_t len;

                assert(nul); /* every reply is terminated */
                len = (size_t)(nul - (c->out + off));
                assert(sg_varlink_parse(c->out + off, len, &o) == 0);
                assert(json_object_object_get_ex(o, "parameters", &v) &&
                       json_object_is_type(v, json_type_object));
                if (json_object_object_get_ex(o, "error", &v))
                        assert(json_object_is_type(v, json_type_string));
                off += len + 1;
        }
        c->out_len = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const uid_t callers[] = {0, 1, 65534, 4242};
        struct conn *c;
        struct ucred cred;
        int sv[2];
        size_t off;

        if (size < 1 || size > SG_VARLINK_REQUEST_MAX)
                return 0;
        if (++runs % 2000 == 0)
                reset_database();

        assert(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0);
        cred.uid = cred.gid = callers[data[0] % ELEMENTSOF(callers)];
        cred.pid = getpid();
        assert(conn_new(&d.server, sv[0], &cred, &c) >= 0);

        off = 1;
        while (off < size && !c->dead) {
                _cleanup_(json_object_putp) json_object *req = NULL;
                const char *msg = (const char *)data + off;
                const char *nul = memchr(msg, 0, size - off);
                size_t len;
                int r;

                if (!nul)
                        break; /* a partial message waits for more bytes that never come */
                len = (size_t)(nul - msg);
                off += len + 1;
                if (sg_varlink_parse(msg, len, &req) < 0)
                        break; /* the daemon answers with an error and hangs up */
                r = methods_dispatch(c, req, &d);
                manager_commit(&d); /* as the event loop does at the end of the turn */
                if (r < 0)
                        break;
                /* A client that reads everything: the stream runs to its end. */
                for (int pages = 0; c->more && pages < 64; pages++) {
                        check_replies(c);
                        if (c->more(c, c->more_data) < 0)
                                break;
                }
                conn_end_more(c);
                check_replies(c);
        }
        check_replies(c);
        conn_free(c);
        assert(d.server.n_conns == 0 && d.server.conns == NULL);
        (void)close(sv[1]);
        return 0;
}
