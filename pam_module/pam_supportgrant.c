/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_supportgrant: lets staff accounts in only while the customer has activated support
 * access for them, asks each staff login for a reason and records it.
 *
 * Accounts that are not staff get PAM_IGNORE in every phase, before the database is touched.
 * For staff every doubt denies. See pam_supportgrant(8).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>

#include "conf.h"
#include "journal.h"
#include "proc.h"
#include "reason.h"
#include "staff.h"
#include "store.h"
#include "timeutil.h"
#include "varlink.h"

#define REASON_PROMPT        "Reason for this login: "
#define REASON_TRIES         3
#define TOKEN_ENV            "SUPPORTGRANT_TOKEN"
#define LOGIN_DATA           "pam_supportgrant_login_id"
#define RAN_DATA             "pam_supportgrant_ran_" /* + phase: it ran in this transaction */
#define DENIAL_MERGE_SECONDS 60   /* repeated denials of one account and origin: one row */
#define DAEMON_TIMEOUT       5000 /* ms; the daemon may be starting through socket activation */

/* Everything a phase needs, on the stack of pam_sm_* (no global state in a module). */
struct ctx {
        pam_handle_t *pamh;
        int flags;
        bool debug;
        bool kbdint_step;
        const char *conf_path;
        int conf_r; /* < 0: the configuration could not be used as a whole */
        struct sg_error conf_err;
        struct sg_config cfg;
        const char *user;
        struct sg_identity id;
        const char *service;
        const char *rhost;
        const char *tty;
};

static void message(struct ctx *c, int style, const char *fmt, ...) _printf_(3, 4);
static void message(struct ctx *c, int style, const char *fmt, ...)
{
        va_list ap;

        /* pam_prompt() does not look at PAM_SILENT; we must. */
        if (c->flags & PAM_SILENT)
                return;
        va_start(ap, fmt);
        (void)pam_vprompt(c->pamh, style, NULL, fmt, ap);
        va_end(ap);
}

/* conf= first, then the file, then every other argument through the same setter. */
static void parse_args(struct ctx *c, int argc, const char **argv)
{
        const char *conf = SG_CONF_PATH;
        int r;

        sg_config_init(&c->cfg);
        for (int i = 0; i < argc; i++)
                if (strneq(argv[i], "conf=", 5))
                        conf = argv[i] + 5;

        c->conf_path = conf;
        r = sg_config_load(&c->cfg, conf, 0, &c->conf_err);
        if (r == -ENOENT)
                (void)sg_error_set(&c->conf_err, r, "%s: configuration file is missing", conf);
        RET_GATHER(c->conf_r, r);

        for (int i = 0; i < argc; i++) {
                char key[64];
                const char *eq;
                struct sg_error e;

                if (streq(argv[i], "debug")) {
                        c->debug = true;
                        continue;
                }
                if (streq(argv[i], "kbdint_step")) {
                        c->kbdint_step = true;
                        continue;
                }
                if (strneq(argv[i], "conf=", 5))
                        continue;
                eq = strchr(argv[i], '=');
                if (!eq || (size_t)(eq - argv[i]) >= sizeof(key)) {
                        r = sg_error_set(&e, -EINVAL, "module argument '%s': unknown", argv[i]);
                } else {
                        memcpy(key, argv[i], (size_t)(eq - argv[i]));
                        key[eq - argv[i]] = 0;
                        struct sg_error why = {};

                        /* Only what may differ per service: the daemon and the CLI read the
                         * file alone, and must agree with the module on everything else (who
                         * is staff above all). */
                        if (!streq(key, "reason") && !streq(key, "reason_min_length"))
                                r = sg_error_set(&e, -EINVAL,
                                                 "module argument '%s': only reason= and "
                                                 "reason_min_length= may be set per service; "
                                                 "set %s in %s",
                                                 argv[i], key, conf);
                        else {
                                r = sg_config_set(&c->cfg, key, eq + 1, &why);
                                if (r < 0)
                                        (void)sg_error_set(&e, r, "module argument: %s", why.msg);
                        }
                }
                if (r < 0 && c->conf_r >= 0) {
                        c->conf_r = r;
                        c->conf_err = e;
                }
        }
}

static const char *get_item_string(pam_handle_t *pamh, int item)
{
        const void *v = NULL;

        if (pam_get_item(pamh, item, &v) != PAM_SUCCESS || !v)
                return "";
        return v;
}

/* With a configuration that could not be used whole (refused as untrusted, or with a bad
 * line), staff_group may not be what the administrator set, and staff would pass for
 * customers. So an account counts as staff — and is then denied — if it is in any group that
 * could be meant: the one in use, the default, and the one the file names even though the
 * file was refused. Customers are in none of them and stay unaffected. */
static bool staff_by_some_reading(struct ctx *c)
{
        struct sg_config alt[2];
        char in_use[sizeof(c->cfg.staff_group)];

        memcpy(in_use, c->cfg.staff_group, sizeof(in_use));
        sg_config_init(&alt[0]);
        sg_config_init(&alt[1]);
        (void)sg_config_load_untrusted(&alt[1], c->conf_path);
        for (size_t i = 0; i < ELEMENTSOF(alt); i++) {
                struct sg_identity id;

                if (streq(alt[i].staff_group, in_use))
                        continue;
                memcpy(c->cfg.staff_group, alt[i].staff_group, sizeof(c->cfg.staff_group));
                if (sg_identity_lookup(&c->cfg, c->user, &id) >= 0 && id.is_staff) {
                        c->id = id;
                        return true;
                }
        }
        memcpy(c->cfg.staff_group, in_use, sizeof(in_use));
        return false;
}

enum setup_result {
        SETUP_STAFF,
        SETUP_NOT_STAFF,
        SETUP_UNKNOWN, /* staff unknown (SPEC §2): deny with deny_unknown() */
        SETUP_ERROR,   /* could not tell: deny */
};

static void store_closep(sg_store **s)
{
        sg_store_close(*s);
}

/* The staff group does not resolve (or one of the account's groups has no name because NSS
 * failed): what the database remembers decides, or the account stays unknown. */
static void settle_unknown(struct ctx *c)
{
        _cleanup_(store_closep) sg_store *s = NULL;
        struct sg_error err = {};
        int r;

        if (c->id.uid != 0) {
                r = sg_store_open(c->cfg.database, 0, &s, &err);
                /* No database at all (nothing was ever recorded): no one was known as staff. */
                if (r < 0 && r != -ENOENT) {
                        pam_syslog(c->pamh, LOG_ERR, "cannot open the supportgrant database: %s",
                                   err.msg);
                        return;
                }
        }
        r = sg_staff_settle(s, &c->cfg, &c->id);
        if (r < 0)
                pam_syslog(c->pamh, LOG_ERR, "cannot tell whether %s was known as staff: %s",
                           c->id.user, s ? sg_store_errmsg(s) : strerror(-r));
}

/* Parses arguments, finds the user and decides whether this module has any business with it.
 * Logs nothing about non-staff accounts. */
static enum setup_result setup(struct ctx *c, pam_handle_t *pamh, int flags, int argc,
                               const char **argv)
{
        char name[4 * SG_NAME_MAX];
        int r;

        c->pamh = pamh;
        c->flags = flags;
        parse_args(c, argc, argv);

        r = pam_get_user(pamh, &c->user, NULL);
        if (r != PAM_SUCCESS || isempty(c->user)) {
                pam_syslog(pamh, LOG_ERR, "cannot determine the user name");
                return SETUP_ERROR;
        }
        r = sg_identity_lookup(&c->cfg, c->user, &c->id);
        if (r == -ENOENT)
                return SETUP_NOT_STAFF; /* unknown users are for other modules to refuse */
        if (r < 0) {
                /* The name comes from NSS (or the client) and failed the name rules: never
                 * raw into the log. */
                pam_syslog(pamh, LOG_ERR, "cannot tell whether %s is a staff account (%s); denying",
                           sg_name_printable(c->user, name, sizeof(name)), strerror(-r));
                return SETUP_ERROR;
        }
        if (!c->id.is_staff && c->conf_r < 0 && staff_by_some_reading(c))
                pam_syslog(pamh, LOG_WARNING,
                           "%s is staff by group %s, which the broken configuration may mean",
                           c->user, c->cfg.staff_group);
        if (c->id.staff == SG_STAFF_UNKNOWN)
                settle_unknown(c);
        if (c->id.staff == SG_STAFF_NO) {
                if (c->debug)
                        pam_syslog(pamh, LOG_DEBUG, "%s is not in %s: ignoring",
                                   sg_name_printable(c->user, name, sizeof(name)),
                                   c->cfg.staff_group);
                return SETUP_NOT_STAFF;
        }
        c->service = get_item_string(pamh, PAM_SERVICE);
        c->rhost = get_item_string(pamh, PAM_RHOST);
        c->tty = get_item_string(pamh, PAM_TTY);
        return c->id.staff == SG_STAFF_YES ? SETUP_STAFF : SETUP_UNKNOWN;
}

/* Records a refusal everywhere it must show: the journal, the login overview (when the
 * database can take it) and syslog; then tells the user. */
static void record_denial(struct ctx *c, sg_store *s, const char *reason, const char *detail,
                          const char *user_message)
{
        struct sg_login l = {.outcome = SG_LOGIN_DENIED, .time = time(NULL)};
        struct sg_event_fields f = {.export = -1};
        _cleanup_free_ char *msg = NULL;
        int r;

        (void)strcpy_checked(l.user, sizeof(l.user), c->id.user);
        if (reason)
                (void)strcpy_checked(l.reason, sizeof(l.reason), reason);
        (void)snprintf(l.service, sizeof(l.service), "%s", c->service);
        (void)snprintf(l.rhost, sizeof(l.rhost), "%s", c->rhost);
        (void)snprintf(l.tty, sizeof(l.tty), "%s", c->tty);
        (void)snprintf(l.detail, sizeof(l.detail), "%s", detail);
        l.pid = getpid();
        if (s) {
                /* Repeated denials of one account from one origin within a minute are one row
                 * with a count, and one journal entry: a loop of refused logins must not flood
                 * the overview, the journal and the disk. */
                r = sg_store_login_deny(s, &l, DENIAL_MERGE_SECONDS);
                if (r < 0)
                        pam_syslog(c->pamh, LOG_ERR, "cannot record the denied login of %s: %s",
                                   c->id.user, sg_store_errmsg(s));
                if (r > 0) {
                        if (user_message)
                                message(c, PAM_ERROR_MSG, "%s", user_message);
                        return;
                }
        }

        f.user = c->id.user;
        f.login_id = l.id;
        f.reason = reason;
        f.service = c->service;
        f.rhost = c->rhost;
        if (asprintf(&msg, "Support login of %s%s%s denied: %s", c->id.user,
                     isempty(c->rhost) ? "" : " from ", c->rhost, detail) < 0)
                msg = NULL;
        r = sg_journal_event(SG_EVENT_LOGIN_DENIED, LOG_NOTICE, &f, msg ? msg : detail);
        if (r < 0)
                pam_syslog(c->pamh, LOG_ERR, "cannot write to the journal: %s", strerror(-r));
        pam_syslog(c->pamh, LOG_NOTICE, "denied staff account %s: %s", c->id.user, detail);
        if (user_message)
                message(c, PAM_ERROR_MSG, "%s", user_message);
}

/* The configuration must be whole before a staff account is let in. */
static int check_config(struct ctx *c)
{
        if (c->conf_r >= 0)
                return 0;
        pam_syslog(c->pamh, LOG_ERR, "configuration error: %s", c->conf_err.msg);
        record_denial(c, NULL, NULL, "configuration error",
                      "Support access is unavailable on this host: its supportgrant "
                      "configuration is broken. The host administrator must fix it "
                      "(see the system log).");
        return -EINVAL;
}

static int open_store(struct ctx *c, sg_store **ret)
{
        struct sg_error err = {};
        int r;

        r = sg_store_open(c->cfg.database, 0, ret, &err);
        if (r < 0) {
                pam_syslog(c->pamh, LOG_ERR, "cannot open the supportgrant database: %s", err.msg);
                record_denial(c, NULL, NULL, "database unavailable",
                              "Support access cannot be checked on this host (its supportgrant "
                              "database is unavailable), so it is denied. The host "
                              "administrator must look at the system log.");
        }
        return r;
}

static void deny_not_covered(struct ctx *c, sg_store *s)
{
        char text[1024];

        (void)snprintf(text, sizeof(text),
                       "Support access for %s is not activated on this host.\n"
                       "Ask the customer to activate it, e.g. \"supportgrant grant %s\" for one "
                       "hour, or send them an activation code made with \"supportgrant request\".",
                       c->id.user, c->id.user);
        record_denial(c, s, NULL, "no active grant", text);
}

/* Staff unknown: nobody can tell whether the account is staff, so it is denied, and recorded
 * in the login overview too when the host has known it as staff. */
static void deny_unknown(struct ctx *c)
{
        _cleanup_(store_closep) sg_store *s = NULL;
        struct sg_error err = {};
        char text[1024];

        pam_syslog(c->pamh, LOG_ERR,
                   "cannot tell whether %s is a staff account: group %s does not resolve, or NSS "
                   "fails for one of its groups (staff unknown); denying",
                   c->id.user, c->cfg.staff_group);
        if (sg_store_open(c->cfg.database, 0, &s, &err) >= 0 &&
            sg_store_staff_known(s, c->id.user) <= 0)
                s = (sg_store_close(s), NULL);
        (void)snprintf(text, sizeof(text),
                       "Access for %s cannot be checked on this host right now: the user "
                       "directory does not tell whether it is a staff account, so the login is "
                       "refused. The host administrator must look at the system log.",
                       c->id.user);
        record_denial(c, s, NULL, "staff unknown: the staff group does not resolve", text);
}

/* Looks up what covers the account now. 1: covered; 0: not (already recorded as denied);
 * < 0: error (recorded as denied). */
static int coverage(struct ctx *c, sg_store *s, struct sg_coverage *cov)
{
        const char *deps[SG_MAX_DEPARTMENTS];
        size_t n;
        int r;

        sg_identity_departments(&c->id, deps, &n);
        r = sg_store_coverage(s, c->id.user, deps, n, time(NULL), cov);
        if (r < 0) {
                pam_syslog(c->pamh, LOG_ERR, "cannot read grants: %s", sg_store_errmsg(s));
                record_denial(c, NULL, NULL, "database error",
                              "Support access cannot be checked on this host (database error), "
                              "so it is denied.");
                return r;
        }
        if (r == 0)
                deny_not_covered(c, s);
        return r;
}

enum ask_result {
        ASK_OK,
        ASK_CANNOT_PROMPT,
        ASK_REFUSED, /* bad answers REASON_TRIES times */
};

static enum ask_result ask_reason(struct ctx *c, char *reason, size_t size)
{
        size_t min = c->cfg.reason == SG_REASON_OPTIONAL ? 0 : c->cfg.reason_min_length;

        for (int i = 0; i < REASON_TRIES; i++) {
                _cleanup_free_ char *resp = NULL;
                enum sg_text_error why;
                int r;

                r = pam_prompt(c->pamh, PAM_PROMPT_ECHO_ON, &resp, "%s", REASON_PROMPT);
                if (r != PAM_SUCCESS)
                        return ASK_CANNOT_PROMPT;
                /* Optional: an empty (or blank) answer is a login without a reason. */
                r = sg_text_check(strempty(resp), min, SG_REASON_MAX_BYTES, reason, size, &why);
                if (r >= 0)
                        return ASK_OK;
                if (why == SG_TEXT_TOO_SHORT || why == SG_TEXT_EMPTY)
                        message(c, PAM_ERROR_MSG, "The reason must be at least %u characters long.",
                                c->cfg.reason_min_length);
                else
                        message(c, PAM_ERROR_MSG, "The reason %s.", sg_text_error_to_string(why));
        }
        return ASK_REFUSED;
}

/* Makes sure a reason is on record for this login, asking for it if this phase can. Returns 0
 * when the login may go on (with a reason token in the PAM environment, or none needed), or a
 * negative errno after recording the denial. */
static int obtain_reason(struct ctx *c, sg_store *s)
{
        char reason[SG_REASON_MAX_BYTES + 1], token[SG_TOKEN_LEN + 1], env[64];
        const char *have;
        enum ask_result a;
        int r;

        if (c->cfg.reason == SG_REASON_OFF)
                return 0;
        have = pam_getenv(c->pamh, TOKEN_ENV);
        if (have &&
            sg_store_token_get(s, have, c->id.user, time(NULL), false, reason, sizeof(reason)) >= 0)
                return 0; /* asked earlier in this login (auth, then account) */

        a = ask_reason(c, reason, sizeof(reason));
        if (a == ASK_CANNOT_PROMPT) {
                if (c->cfg.reason == SG_REASON_OPTIONAL)
                        return 0;
                record_denial(c, s, NULL, "reason required but this login cannot ask for it",
                              "Support logins must give a reason, and this login method cannot "
                              "ask for one.\nLog in with keyboard-interactive authentication "
                              "(the host administrator sets \"AuthenticationMethods "
                              "publickey,keyboard-interactive:pam\" for the staff group in "
                              "sshd_config; see pam_supportgrant(8)).");
                return -EPERM;
        }
        if (a == ASK_REFUSED) {
                record_denial(c, s, NULL, "no acceptable reason given",
                              "No acceptable reason was given; login refused.");
                return -EPERM;
        }
        r = sg_store_token_new(s, c->id.user, reason, time(NULL), token);
        if (r < 0) {
                pam_syslog(c->pamh, LOG_ERR, "cannot store the login reason: %s",
                           sg_store_errmsg(s));
                record_denial(c, NULL, reason, "database error",
                              "The login reason cannot be recorded, so the login is denied.");
                return r;
        }
        (void)snprintf(env, sizeof(env), TOKEN_ENV "=%s", token);
        if (pam_putenv(c->pamh, env) != PAM_SUCCESS) {
                record_denial(c, s, reason, "cannot set the PAM environment", NULL);
                return -ENOMEM;
        }
        return 0;
}

/* Ending sessions when access ends is the daemon's job; a staff session must not open while
 * it cannot do that job. Connecting also starts it through socket activation. */
static int daemon_ping(struct ctx *c)
{
        _cleanup_(sg_varlink_client_freep) sg_varlink_client *vl = NULL;
        _cleanup_(json_object_putp) json_object *reply = NULL;
        json_object *params;
        const char *error;
        int r;

        r = sg_varlink_connect(c->cfg.socket, DAEMON_TIMEOUT, &vl);
        if (r >= 0)
                r = sg_varlink_call(vl, SG_VARLINK_INTERFACE ".Ping", NULL, &reply, &error,
                                    &params);
        if (r >= 0 && error)
                r = -EPROTO;
        if (r < 0)
                pam_syslog(c->pamh, LOG_ERR, "supportgrantd at %s does not answer: %s",
                           c->cfg.socket, r == -EPROTO ? error : strerror(-r));
        return r;
}

/* Shared by auth and account: the grant check and the reason. */
static int check_staff(struct ctx *c)
{
        _cleanup_(store_closep) sg_store *s = NULL;
        struct sg_coverage cov;
        int r;

        if (check_config(c) < 0)
                return -EINVAL;
        r = open_store(c, &s);
        if (r < 0)
                return r;
        r = coverage(c, s, &cov);
        if (r <= 0)
                return r < 0 ? r : -EPERM;
        /* A session would be refused at open anyway (nothing could end it): refuse now,
         * before the reason is asked and the motd shown. Journaled, not a login row. */
        if (c->cfg.terminate_sessions && daemon_ping(c) < 0) {
                record_denial(c, NULL, NULL, "supportgrantd is not running",
                              "Support access cannot be enforced on this host right now "
                              "(supportgrantd does not answer), so the login is refused.");
                return -EHOSTDOWN;
        }
        return obtain_reason(c, s);
}

_public_ int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        struct ctx c = {};
        const char *info;

        /* A denial will not change on a retry: PAM_MAXTRIES makes sshd end the attempt now,
         * instead of the client asking again (NumberOfPasswordPrompts) and the staff member
         * reading the refusal, and the overview recording it, three times. */
        switch (setup(&c, pamh, flags, argc, argv)) {
        case SETUP_NOT_STAFF:
                return PAM_IGNORE;
        case SETUP_UNKNOWN:
                deny_unknown(&c);
                return PAM_MAXTRIES;
        case SETUP_ERROR:
                return PAM_MAXTRIES;
        case SETUP_STAFF:
                break;
        }
        if (check_staff(&c) < 0)
                return PAM_MAXTRIES;

        /* Only ever the second factor: sshd must show an earlier completed method. */
        info = pam_getenv(pamh, "SSH_AUTH_INFO_0");
        if (c.kbdint_step && !isempty(info)) {
                if (c.debug)
                        pam_syslog(pamh, LOG_DEBUG, "%s: keyboard-interactive step after: %.40s",
                                   c.id.user, info);
                return PAM_SUCCESS;
        }
        return PAM_IGNORE;
}

_public_ int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        return PAM_IGNORE;
}

/* A service file with the module's own lines besides the pam-auth-update profile's runs it
 * twice in one phase of one transaction. The first run decides: the second returns its
 * result again without asking or recording anything (a denial stays a denial even where the
 * first line was only "optional"; a success or an ignore becomes PAM_IGNORE, so that no
 * second reason is asked and no second login recorded), and the stack is logged once. Not for
 * auth: sshd may call it again on one handle, and only sshd's own line has it. Returns true
 * for a second run, with *ret what to return. */
static bool second_run(pam_handle_t *pamh, const char *phase, int *ret)
{
        char key[64];
        const void *seen = NULL;

        (void)snprintf(key, sizeof(key), "%s%s", RAN_DATA, phase);
        if (pam_get_data(pamh, key, &seen) != PAM_SUCCESS || !seen)
                return false;
        *ret = (int)(intptr_t)seen - 1;
        if (*ret == PAM_SUCCESS)
                *ret = PAM_IGNORE;
        if (pam_get_data(pamh, RAN_DATA "logged", &seen) != PAM_SUCCESS || !seen) {
                const void *service = NULL;

                (void)pam_get_item(pamh, PAM_SERVICE, &service);
                pam_syslog(pamh, LOG_WARNING,
                           "pam_supportgrant runs more than once in the %s phase of service %s: "
                           "only the first run counts; remove the module's own lines from "
                           "/etc/pam.d/%s (the pam-auth-update profile covers every service)",
                           phase, service ? (const char *)service : "?",
                           service ? (const char *)service : "SERVICE");
                (void)pam_set_data(pamh, RAN_DATA "logged", (void *)1, NULL);
        }
        return true;
}

/* The first run's result, for a second run in the same phase. */
static int first_run(pam_handle_t *pamh, const char *phase, int result)
{
        char key[64];

        (void)snprintf(key, sizeof(key), "%s%s", RAN_DATA, phase);
        (void)pam_set_data(pamh, key, (void *)(intptr_t)(result + 1), NULL);
        return result;
}

static int acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        struct ctx c = {};

        switch (setup(&c, pamh, flags, argc, argv)) {
        case SETUP_NOT_STAFF:
                return PAM_IGNORE;
        case SETUP_UNKNOWN:
                deny_unknown(&c);
                return PAM_PERM_DENIED;
        case SETUP_ERROR:
                return PAM_PERM_DENIED;
        case SETUP_STAFF:
                break;
        }
        return check_staff(&c) < 0 ? PAM_PERM_DENIED : PAM_SUCCESS;
}

static void format_expiry(time_t t, char *buf, size_t size)
{
        if (t == SG_TIME_NEVER)
                (void)snprintf(buf, size, "permanent");
        else if (sg_time_format_rfc3339(t, buf, size) < 0)
                (void)snprintf(buf, size, "unknown");
}

static void grant_ids_string(const struct sg_coverage *cov, char *buf, size_t size)
{
        size_t off = 0;

        buf[0] = 0;
        for (size_t i = 0; i < cov->n_grant_ids && off < size; i++) {
                int n = snprintf(buf + off, size - off, "%s%" PRId64, i ? "," : "",
                                 cov->grant_ids[i]);
                if (n < 0)
                        break;
                off += (size_t)n;
        }
}

/* The reason given earlier in this login, or asked now where the session phase can ask (su,
 * login). 0 with reason set (possibly "" when optional), or < 0 after recording a denial. */
static int session_reason(struct ctx *c, sg_store *s, char *reason, size_t size)
{
        const char *token;
        enum ask_result a;

        reason[0] = 0;
        if (c->cfg.reason == SG_REASON_OFF)
                return 0;
        token = pam_getenv(c->pamh, TOKEN_ENV);
        if (token) {
                int r = sg_store_token_get(s, token, c->id.user, time(NULL), true, reason, size);
                (void)pam_putenv(c->pamh, TOKEN_ENV); /* single use; keep it out of the session */
                if (r >= 0)
                        return 0;
                pam_syslog(c->pamh, LOG_WARNING, "%s: login token unknown, used or expired",
                           c->id.user);
        }
        a = ask_reason(c, reason, size);
        if (a == ASK_OK)
                return 0;
        if (a == ASK_CANNOT_PROMPT && c->cfg.reason == SG_REASON_OPTIONAL) {
                reason[0] = 0;
                return 0;
        }
        record_denial(c, s, NULL,
                      a == ASK_REFUSED ? "no acceptable reason given" : "session without a reason",
                      "Support logins must give a reason; none was given for this session.");
        return -EPERM;
}

static int open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        _cleanup_(store_closep) sg_store *s = NULL;
        struct ctx c = {};
        struct sg_coverage cov, again;
        struct sg_login l = {.outcome = SG_LOGIN_ACCEPTED};
        struct sg_event_fields f = {};
        char reason[SG_REASON_MAX_BYTES + 1], expires[SG_RFC3339_MAX], ids[SG_MAX_COVER * 21];
        char env[128], when[SG_TIME_HUMAN_MAX], rel[64];
        _cleanup_free_ char *msg = NULL;
        const char *deps[SG_MAX_DEPARTMENTS];
        size_t n_deps;
        int r;

        switch (setup(&c, pamh, flags, argc, argv)) {
        case SETUP_NOT_STAFF:
                return PAM_IGNORE;
        case SETUP_UNKNOWN:
                deny_unknown(&c);
                return PAM_SESSION_ERR;
        case SETUP_ERROR:
                return PAM_SESSION_ERR;
        case SETUP_STAFF:
                break;
        }
        if (check_config(&c) < 0 || open_store(&c, &s) < 0)
                return PAM_SESSION_ERR;
        /* Access may have ended since the account check. */
        if (coverage(&c, s, &cov) <= 0)
                return PAM_SESSION_ERR;
        if (session_reason(&c, s, reason, sizeof(reason)) < 0)
                return PAM_SESSION_ERR;
        if (c.cfg.terminate_sessions && daemon_ping(&c) < 0) {
                record_denial(&c, s, reason, "supportgrantd is not running",
                              "Support access cannot be enforced on this host right now "
                              "(supportgrantd does not answer), so the session is refused.");
                return PAM_SESSION_ERR;
        }

        (void)strcpy_checked(l.user, sizeof(l.user), c.id.user);
        (void)strcpy_checked(l.reason, sizeof(l.reason), reason);
        (void)snprintf(l.service, sizeof(l.service), "%s", c.service);
        (void)snprintf(l.rhost, sizeof(l.rhost), "%s", c.rhost);
        (void)snprintf(l.tty, sizeof(l.tty), "%s", c.tty);
        l.time = time(NULL);
        l.pid = getpid();
        (void)sg_proc_start_time(l.pid, &l.pid_start);
        l.n_grant_ids = cov.n_grant_ids;
        memcpy(l.grant_ids, cov.grant_ids, sizeof(l.grant_ids));
        r = sg_store_login_add(s, &l);
        if (r < 0) {
                pam_syslog(pamh, LOG_ERR, "cannot record the login of %s: %s", c.id.user,
                           sg_store_errmsg(s));
                record_denial(&c, NULL, reason, "cannot record the login",
                              "The login cannot be recorded, so it is refused.");
                return PAM_SESSION_ERR;
        }
        /* A revocation that ran between the check above and the insert did not see this
         * session; look once more now that the daemon can see it. */
        sg_identity_departments(&c.id, deps, &n_deps);
        r = sg_store_coverage(s, c.id.user, deps, n_deps, time(NULL), &again);
        if (r <= 0) {
                (void)sg_store_login_end(s, l.id, time(NULL), SG_END_TERMINATED);
                deny_not_covered(&c, s);
                return PAM_SESSION_ERR;
        }
        (void)pam_set_data(pamh, LOGIN_DATA, (void *)(intptr_t)l.id, NULL);

        format_expiry(cov.expires_at, expires, sizeof(expires));
        grant_ids_string(&cov, ids, sizeof(ids));
        f = (struct sg_event_fields){
                .user = c.id.user,
                .grant_ids = ids,
                .login_id = l.id,
                .reason = reason,
                .service = c.service,
                .rhost = c.rhost,
                .expires = expires,
                .export = cov.export,
        };
        if (asprintf(&msg, "Support login of %s%s%s accepted (login %" PRId64 ", grants %s)%s%s",
                     c.id.user, isempty(c.rhost) ? "" : " from ", c.rhost, l.id, ids,
                     reason[0] ? ": " : "", reason) < 0)
                msg = NULL;
        r = sg_journal_event(SG_EVENT_LOGIN_ACCEPTED, LOG_NOTICE, &f, msg ? msg : "login");
        if (r < 0)
                pam_syslog(pamh, LOG_ERR, "cannot write to the journal: %s", strerror(-r));

        (void)snprintf(env, sizeof(env), "SUPPORTGRANT_EXPIRES=%s", expires);
        r = pam_putenv(pamh, env) == PAM_SUCCESS ? 0 : -ENOMEM;
        if (r >= 0) {
                (void)snprintf(env, sizeof(env), "SUPPORTGRANT_EXPORT=%s",
                               cov.export ? "yes" : "no");
                r = pam_putenv(pamh, env) == PAM_SUCCESS ? 0 : -ENOMEM;
        }
        if (r < 0) {
                (void)sg_store_login_end(s, l.id, time(NULL), SG_END_CLOSED);
                pam_syslog(pamh, LOG_ERR, "cannot set the PAM environment");
                return PAM_SESSION_ERR;
        }

        if (cov.expires_at == SG_TIME_NEVER) {
                message(&c, PAM_TEXT_INFO, "Support access for %s is permanent; data export: %s.",
                        c.id.user, cov.export ? "allowed" : "not allowed");
        } else {
                (void)sg_time_format_human(cov.expires_at, false, when, sizeof(when));
                (void)sg_time_format_relative(cov.expires_at, time(NULL), rel, sizeof(rel));
                message(&c, PAM_TEXT_INFO,
                        "Support access for %s runs until %s (%s); data export: %s.", c.id.user,
                        when, rel, cov.export ? "allowed" : "not allowed");
        }
        pam_syslog(pamh, LOG_INFO, "session opened for staff account %s (login %" PRId64 ")",
                   c.id.user, l.id);
        return PAM_SUCCESS;
}

static int close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        _cleanup_(store_closep) sg_store *s = NULL;
        struct ctx c = {};
        struct sg_event_fields f = {.export = -1};
        const void *data = NULL;
        int64_t id = 0;
        uint64_t start = 0;
        char msg[SG_NAME_MAX + 64];
        int r;

        switch (setup(&c, pamh, flags, argc, argv)) {
        case SETUP_NOT_STAFF:
                return PAM_IGNORE;
        case SETUP_ERROR:
                return PAM_SESSION_ERR;
        case SETUP_UNKNOWN: /* a session opened while it was known: record its end */
        case SETUP_STAFF:
                break;
        }
        /* Even with a broken configuration file the database path most likely still is the
         * one the session was recorded in: try to record the end. */
        r = sg_store_open(c.cfg.database, 0, &s, &c.conf_err);
        if (r < 0) {
                pam_syslog(pamh, LOG_ERR, "cannot record the end of the session of %s: %s",
                           c.id.user, c.conf_err.msg);
                return PAM_SESSION_ERR;
        }
        if (pam_get_data(pamh, LOGIN_DATA, &data) == PAM_SUCCESS && data)
                id = (int64_t)(intptr_t)data;
        else if (sg_proc_start_time(getpid(), &start) < 0 ||
                 sg_store_login_find_open(s, c.id.user, getpid(), start, &id) < 0) {
                pam_syslog(pamh, LOG_WARNING, "no open session of %s found to close", c.id.user);
                return PAM_SESSION_ERR;
        }
        r = sg_store_login_end(s, id, time(NULL), SG_END_CLOSED);
        if (r == -EALREADY)
                return PAM_SUCCESS; /* the daemon ended it and said so */
        if (r < 0) {
                pam_syslog(pamh, LOG_ERR, "cannot record the end of login %" PRId64 ": %s", id,
                           sg_store_errmsg(s));
                return PAM_SESSION_ERR;
        }
        f.user = c.id.user;
        f.login_id = id;
        f.service = c.service;
        f.rhost = c.rhost;
        (void)snprintf(msg, sizeof(msg), "Support session of %s closed (login %" PRId64 ")",
                       c.id.user, id);
        r = sg_journal_event(SG_EVENT_SESSION_CLOSED, LOG_INFO, &f, msg);
        if (r < 0)
                pam_syslog(pamh, LOG_ERR, "cannot write to the journal: %s", strerror(-r));
        return PAM_SUCCESS;
}

/* account, open and close: the first run of the module in a phase decides (second_run()). */
_public_ int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        int r;

        if (second_run(pamh, "account", &r))
                return r;
        return first_run(pamh, "account", acct_mgmt(pamh, flags, argc, argv));
}

_public_ int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        int r;

        if (second_run(pamh, "open_session", &r))
                return r;
        return first_run(pamh, "open_session", open_session(pamh, flags, argc, argv));
}

_public_ int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        int r;

        if (second_run(pamh, "close_session", &r))
                return r;
        return first_run(pamh, "close_session", close_session(pamh, flags, argc, argv));
}
