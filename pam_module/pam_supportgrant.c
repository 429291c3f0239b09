/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_supportgrant: lets staff accounts in only while the customer has activated support
 * access for them, asks each staff login for a reason and records it.
 *
 * Accounts that are not staff get PAM_IGNORE in every phase, decided by NSS alone, without
 * connecting anywhere. For staff the module is a client of supportgrantd, the only program
 * that opens the database (io.supportgrant's Login* methods); every doubt denies, and a
 * daemon that does not answer denies before anything is asked. See pam_supportgrant(8).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>

#include "conf.h"
#include "grant.h"
#include "journal.h"
#include "reason.h"
#include "staff.h"
#include "timeutil.h"
#include "varlink.h"

#define REASON_PROMPT  "Reason for this login: "
#define REASON_TRIES   3
#define TOKEN_ENV      "SUPPORTGRANT_TOKEN"
#define LOGIN_DATA     "pam_supportgrant_login_id"
#define RAN_DATA       "pam_supportgrant_ran_" /* + phase: it ran in this transaction */
#define DAEMON_TIMEOUT 5000 /* ms; the daemon may be starting through socket activation */

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
        sg_varlink_client *vl;  /* to supportgrantd, opened at the first call of the phase */
        bool daemon_failed;     /* it did not answer (logged once) */
        char daemon_error[128]; /* the last error it answered with */
};

static void ctx_done(struct ctx *c)
{
        sg_varlink_client_free(c->vl);
        c->vl = NULL;
}

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

/* ---- supportgrantd ----------------------------------------------------------------------- */

/* One call to the daemon. 0 with *ret_params (into *ret_reply, which the caller puts);
 * -EPROTO with *ret_error for an error reply; another negative errno when it does not answer
 * (logged). Takes params. */
static int daemon_call(struct ctx *c, const char *method, json_object *params,
                       json_object **ret_reply, const char **ret_error, json_object **ret_params)
{
        _cleanup_(json_object_putp) json_object *p = params;
        const char *error = NULL;
        int r;

        *ret_reply = NULL;
        if (ret_error)
                *ret_error = NULL;
        if (!p)
                return -ENOMEM;
        r = c->vl ? 0 : sg_varlink_connect(c->cfg.socket, DAEMON_TIMEOUT, &c->vl);
        if (r >= 0)
                r = sg_varlink_call(c->vl, method, p, ret_reply, &error, ret_params);
        if (r < 0) {
                if (!c->daemon_failed)
                        pam_syslog(c->pamh, LOG_ERR, "supportgrantd at %s does not answer: %s",
                                   c->cfg.socket, strerror(-r));
                c->daemon_failed = true;
                sg_varlink_client_free(c->vl);
                c->vl = NULL;
                return r;
        }
        if (error) {
                json_object *m = NULL;

                (void)snprintf(c->daemon_error, sizeof(c->daemon_error), "%s", error);
                (void)json_object_object_get_ex(*ret_params, "message", &m);
                if (ret_error)
                        *ret_error = error;
                else
                        pam_syslog(c->pamh, LOG_ERR, "supportgrantd refused %s: %s (%s)", method,
                                   error, m ? json_object_get_string(m) : "no message");
                return -EPROTO;
        }
        return 0;
}

static bool is_error(const char *error, const char *name)
{
        return error && strneq(error, SG_VARLINK_INTERFACE ".", strlen(SG_VARLINK_INTERFACE ".")) &&
               streq(error + strlen(SG_VARLINK_INTERFACE "."), name);
}

static void add_string(json_object *o, const char *key, const char *value)
{
        if (o && value)
                (void)json_object_object_add(o, key, json_object_new_string(value));
}

/* The account and where it logs in from: the parameters every Login* method takes. */
static json_object *subject_params(struct ctx *c)
{
        json_object *o = json_object_new_object(), *deps = json_object_new_array();

        if (!o || !deps) {
                json_object_put(o);
                json_object_put(deps);
                return NULL;
        }
        for (size_t i = 0; i < c->id.n_departments; i++)
                (void)json_object_array_add(deps, json_object_new_string(c->id.departments[i]));
        add_string(o, "user", c->id.user);
        (void)json_object_object_add(o, "departments", deps);
        add_string(o, "service", c->service);
        add_string(o, "rhost", c->rhost);
        add_string(o, "tty", c->tty);
        return o;
}

static bool get_bool(json_object *params, const char *key)
{
        json_object *v = NULL;

        return json_object_object_get_ex(params, key, &v) && json_object_get_boolean(v);
}

static const char *get_string(json_object *params, const char *key)
{
        json_object *v = NULL;

        if (!json_object_object_get_ex(params, key, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* ---- refusals ---------------------------------------------------------------------------- */

/* A refusal the daemon could not record (it does not answer, or the configuration is broken):
 * the journal and syslog get it from here; then the user is told. */
static void record_denial_here(struct ctx *c, const char *detail, const char *user_message)
{
        struct sg_event_fields f = {.export = -1};
        _cleanup_free_ char *msg = NULL;
        int r;

        f.user = c->id.user;
        f.service = c->service;
        f.rhost = c->rhost;
        f.detail = detail;
        if (asprintf(&msg, "Support login of %s%s%s denied: %s", c->id.user,
                     isempty(c->rhost) ? "" : " from ", strempty(c->rhost), detail) < 0)
                msg = NULL;
        r = sg_journal_event(SG_EVENT_LOGIN_DENIED, LOG_NOTICE, &f, msg ? msg : detail);
        if (r < 0)
                pam_syslog(c->pamh, LOG_ERR, "cannot write to the journal: %s", strerror(-r));
        pam_syslog(c->pamh, LOG_NOTICE, "denied staff account %s: %s", c->id.user, detail);
        if (user_message)
                message(c, PAM_ERROR_MSG, "%s", user_message);
}

/* A refusal the module decided: recorded by the daemon (a denied row and the journal), or
 * here when it cannot. */
static void record_denial(struct ctx *c, const char *reason, const char *detail,
                          const char *user_message)
{
        _cleanup_(json_object_putp) json_object *reply = NULL;
        json_object *params = subject_params(c), *out;

        add_string(params, "detail", detail);
        if (reason && reason[0])
                add_string(params, "reason", reason);
        if (daemon_call(c, SG_VARLINK_INTERFACE ".LoginDenied", params, &reply, NULL, &out) < 0) {
                record_denial_here(c, detail, user_message);
                return;
        }
        pam_syslog(c->pamh, LOG_NOTICE, "denied staff account %s: %s", c->id.user, detail);
        if (user_message)
                message(c, PAM_ERROR_MSG, "%s", user_message);
}

/* The daemon did not answer, or answered with an error: access cannot be checked. */
static void deny_unavailable(struct ctx *c)
{
        if (!c->daemon_failed && is_error(c->daemon_error, "DatabaseError"))
                record_denial_here(c, "database unavailable",
                                   "Support access cannot be checked on this host (its "
                                   "supportgrant database is unavailable), so it is denied. The "
                                   "host administrator must look at the system log.");
        else if (c->daemon_failed)
                record_denial_here(c, "supportgrantd is not running",
                                   "Support access cannot be checked on this host right now "
                                   "(supportgrantd does not answer), so it is denied. The host "
                                   "administrator must look at the system log.");
        else
                record_denial_here(c, "supportgrantd error",
                                   "Support access cannot be checked on this host right now "
                                   "(supportgrantd reports an error), so it is denied. The host "
                                   "administrator must look at the system log.");
}

/* The configuration must be whole before a staff account is let in. */
static int check_config(struct ctx *c)
{
        if (c->conf_r >= 0)
                return 0;
        pam_syslog(c->pamh, LOG_ERR, "configuration error: %s", c->conf_err.msg);
        record_denial_here(c, "configuration error",
                           "Support access is unavailable on this host: its supportgrant "
                           "configuration is broken. The host administrator must fix it "
                           "(see the system log).");
        return -EINVAL;
}

/* The daemon has recorded it; the user is told what to do. */
static void tell_not_covered(struct ctx *c)
{
        message(c, PAM_ERROR_MSG,
                "Support access for %s is not activated on this host.\n"
                "Ask the customer to activate it, e.g. \"supportgrant grant %s\" for one "
                "hour, or send them an activation code made with \"supportgrant request\".",
                c->id.user, c->id.user);
        pam_syslog(c->pamh, LOG_NOTICE, "denied staff account %s: no active grant", c->id.user);
}

/* ---- who is staff ------------------------------------------------------------------------ */

/* The staff group does not resolve (or one of the account's groups has no name because NSS
 * failed): what the daemon remembers decides, or the account stays unknown. *ret_known: the
 * host has known it as staff. */
static void settle_unknown(struct ctx *c, bool *ret_known)
{
        _cleanup_(json_object_putp) json_object *reply = NULL;
        json_object *params, *gids, *out;
        const char *staff;

        *ret_known = false;
        if (c->id.uid == 0) {
                (void)sg_staff_decide(&c->id, NULL, true, false); /* root is never staff */
                return;
        }
        params = subject_params(c);
        gids = json_object_new_array();
        if (!params || !gids) {
                json_object_put(params);
                json_object_put(gids);
                return;
        }
        for (size_t i = 0; i < c->id.n_gids; i++)
                (void)json_object_array_add(gids, json_object_new_int64(c->id.gids[i]));
        (void)json_object_object_add(params, "gids", gids);
        (void)json_object_object_add(params, "uid", json_object_new_int64(c->id.uid));
        add_string(params, "staff_group", c->cfg.staff_group);
        if (daemon_call(c, SG_VARLINK_INTERFACE ".LoginSettle", params, &reply, NULL, &out) < 0) {
                pam_syslog(c->pamh, LOG_ERR, "cannot tell whether %s was known as staff",
                           c->id.user);
                return;
        }
        staff = get_string(out, "staff");
        *ret_known = get_bool(out, "known");
        if (staff && streq(staff, "yes"))
                c->id.staff = SG_STAFF_YES;
        else if (staff && streq(staff, "no"))
                c->id.staff = SG_STAFF_NO;
        c->id.is_staff = c->id.staff == SG_STAFF_YES;
}

/* Parses arguments, finds the user and decides whether this module has any business with it.
 * Logs nothing about non-staff accounts. *ret_known: for SETUP_UNKNOWN, whether the host has
 * known the account as staff. */
static enum setup_result setup(struct ctx *c, pam_handle_t *pamh, int flags, int argc,
                               const char **argv, bool *ret_known)
{
        char name[4 * SG_NAME_MAX];
        int r;

        c->pamh = pamh;
        c->flags = flags;
        *ret_known = false;
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
        if (c->id.staff == SG_STAFF_UNKNOWN)
                settle_unknown(c, ret_known);
        if (c->id.staff == SG_STAFF_NO)
                return SETUP_NOT_STAFF;
        return c->id.staff == SG_STAFF_YES ? SETUP_STAFF : SETUP_UNKNOWN;
}

/* Staff unknown: nobody can tell whether the account is staff, so it is denied, and recorded
 * in the login overview too when the host has known it as staff. */
static void deny_unknown(struct ctx *c, bool known)
{
        static const char detail[] = "staff unknown: the staff group does not resolve";
        char text[1024];

        pam_syslog(c->pamh, LOG_ERR,
                   "cannot tell whether %s is a staff account: group %s does not resolve, or NSS "
                   "fails for one of its groups (staff unknown); denying",
                   c->id.user, c->cfg.staff_group);
        (void)snprintf(text, sizeof(text),
                       "Access for %s cannot be checked on this host right now: the user "
                       "directory does not tell whether it is a staff account, so the login is "
                       "refused. The host administrator must look at the system log.",
                       c->id.user);
        if (known)
                record_denial(c, NULL, detail, text);
        else
                record_denial_here(c, detail, text);
}

/* ---- the reason -------------------------------------------------------------------------- */

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

/* Asks the reason where this phase can. 1: given (possibly "" where it is optional); 0: this
 * phase cannot ask and it is optional (reason ""); -EPERM after recording the denial. */
static int get_reason(struct ctx *c, bool session, char *reason, size_t size)
{
        enum ask_result a;

        reason[0] = 0;
        a = ask_reason(c, reason, size);
        if (a == ASK_OK)
                return 1;
        if (a == ASK_CANNOT_PROMPT && c->cfg.reason == SG_REASON_OPTIONAL) {
                reason[0] = 0;
                return 0;
        }
        if (a == ASK_REFUSED)
                record_denial(c, NULL, "no acceptable reason given",
                              session ? "Support logins must give a reason; none was given for "
                                        "this session."
                                      : "No acceptable reason was given; login refused.");
        else if (session)
                record_denial(c, NULL, "session without a reason",
                              "Support logins must give a reason; none was given for this "
                              "session.");
        else
                record_denial(c, NULL, "reason required but this login cannot ask for it",
                              "Support logins must give a reason, and this login method cannot "
                              "ask for one.\nLog in with keyboard-interactive authentication "
                              "(the host administrator sets \"AuthenticationMethods "
                              "publickey,keyboard-interactive:pam\" for the staff group in "
                              "sshd_config; see pam_supportgrant(8)).");
        return -EPERM;
}

/* Makes sure a reason is on hand for this login, asking for it if this phase can: the daemon
 * keeps it under a token that the PAM environment carries to session open. */
static int obtain_reason(struct ctx *c)
{
        _cleanup_(json_object_putp) json_object *reply = NULL;
        char reason[SG_REASON_MAX_BYTES + 1], env[128];
        json_object *params, *out;
        const char *token;
        int r;

        r = get_reason(c, false, reason, sizeof(reason));
        if (r <= 0)
                return r;
        params = json_object_new_object();
        add_string(params, "user", c->id.user);
        add_string(params, "reason", reason);
        r = daemon_call(c, SG_VARLINK_INTERFACE ".LoginReason", params, &reply, NULL, &out);
        token = r >= 0 ? get_string(out, "token") : NULL;
        if (!token || strlen(token) > 64) {
                deny_unavailable(c);
                return r < 0 ? r : -EPROTO;
        }
        (void)snprintf(env, sizeof(env), TOKEN_ENV "=%s", token);
        if (pam_putenv(c->pamh, env) != PAM_SUCCESS) {
                record_denial(c, reason, "cannot set the PAM environment", NULL);
                return -ENOMEM;
        }
        return 0;
}

/* Whether access covers the account now (the daemon records a denial when not), and whether
 * the reason of the token in the PAM environment is on hand. 0, or < 0 after the denial was
 * recorded and told. The daemon is asked before anything is asked of the user: when it does
 * not answer, nothing could end the session. */
static int check_covered(struct ctx *c, bool *ret_reason_on_hand)
{
        _cleanup_(json_object_putp) json_object *reply = NULL;
        json_object *params, *out;
        int r;

        params = subject_params(c);
        add_string(params, "token", pam_getenv(c->pamh, TOKEN_ENV));
        r = daemon_call(c, SG_VARLINK_INTERFACE ".LoginCheck", params, &reply, NULL, &out);
        if (r < 0) {
                deny_unavailable(c);
                return r;
        }
        if (!get_bool(out, "covered")) {
                tell_not_covered(c);
                return -EPERM;
        }
        if (ret_reason_on_hand)
                *ret_reason_on_hand = get_bool(out, "reason_on_hand");
        return 0;
}

/* Shared by auth and account: the grant check and the reason. */
static int check_staff(struct ctx *c)
{
        bool on_hand = false;
        int r;

        if (check_config(c) < 0)
                return -EINVAL;
        r = check_covered(c, &on_hand);
        if (r < 0)
                return r;
        if (c->cfg.reason == SG_REASON_OFF || on_hand)
                return 0; /* asked earlier in this login (auth, then account) */
        return obtain_reason(c);
}

_public_ int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        _cleanup_(ctx_done) struct ctx c = {};
        const char *info;
        bool known;

        /* A denial will not change on a retry: PAM_MAXTRIES makes sshd end the attempt now,
         * instead of the client asking again (NumberOfPasswordPrompts) and the staff member
         * reading the refusal, and the overview recording it, three times. */
        switch (setup(&c, pamh, flags, argc, argv, &known)) {
        case SETUP_NOT_STAFF:
                return PAM_IGNORE;
        case SETUP_UNKNOWN:
                deny_unknown(&c, known);
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
        _cleanup_(ctx_done) struct ctx c = {};
        bool known;

        switch (setup(&c, pamh, flags, argc, argv, &known)) {
        case SETUP_NOT_STAFF:
                return PAM_IGNORE;
        case SETUP_UNKNOWN:
                deny_unknown(&c, known);
                return PAM_PERM_DENIED;
        case SETUP_ERROR:
                return PAM_PERM_DENIED;
        case SETUP_STAFF:
                break;
        }
        return check_staff(&c) < 0 ? PAM_PERM_DENIED : PAM_SUCCESS;
}

/* Records the login: with the token of the reason given earlier in this login, or with a
 * reason asked now where the session phase can ask (su, login) or none is needed. The daemon
 * checks the access again and writes the row before it answers. 0 with *ret_reply (its
 * parameters in *ret_out), or < 0 after the denial was recorded and told. */
static int login_open(struct ctx *c, json_object **ret_reply, json_object **ret_out)
{
        char reason[SG_REASON_MAX_BYTES + 1];
        const char *token = NULL, *error;
        json_object *params;
        int r;

        if (c->cfg.reason != SG_REASON_OFF) {
                token = pam_getenv(c->pamh, TOKEN_ENV);
                if (token) {
                        /* Single use; keep it out of the session's environment. */
                        char copy[80];

                        (void)snprintf(copy, sizeof(copy), "%s", token);
                        (void)pam_putenv(c->pamh, TOKEN_ENV);
                        params = subject_params(c);
                        add_string(params, "token", copy);
                        r = daemon_call(c, SG_VARLINK_INTERFACE ".LoginOpen", params, ret_reply,
                                        &error, ret_out);
                        if (r >= 0 || !is_error(error, "TokenUnknown"))
                                goto answered;
                        json_object_put(*ret_reply);
                        *ret_reply = NULL;
                        pam_syslog(c->pamh, LOG_WARNING,
                                   "%s: login token unknown, used or expired; asking again",
                                   c->id.user);
                }
                /* Nothing to ask for when access does not cover the account any more. */
                r = check_covered(c, NULL);
                if (r < 0)
                        return r;
                r = get_reason(c, true, reason, sizeof(reason));
                if (r < 0)
                        return r;
        } else
                reason[0] = 0;
        params = subject_params(c);
        add_string(params, "reason", reason);
        r = daemon_call(c, SG_VARLINK_INTERFACE ".LoginOpen", params, ret_reply, &error, ret_out);
answered:
        if (r < 0) {
                if (error)
                        pam_syslog(c->pamh, LOG_ERR, "supportgrantd cannot record the login: %s",
                                   error);
                deny_unavailable(c);
                return r;
        }
        if (!get_bool(*ret_out, "covered")) {
                tell_not_covered(c);
                return -EPERM;
        }
        return 0;
}

static void format_expiry(time_t t, char *buf, size_t size)
{
        if (t == SG_TIME_NEVER)
                (void)snprintf(buf, size, "permanent");
        else if (sg_time_format_rfc3339(t, buf, size) < 0)
                (void)snprintf(buf, size, "unknown");
}

static void login_close(struct ctx *c, int64_t id)
{
        _cleanup_(json_object_putp) json_object *reply = NULL;
        json_object *params = subject_params(c), *out;

        if (params && id > 0)
                (void)json_object_object_add(params, "id", json_object_new_int64(id));
        (void)daemon_call(c, SG_VARLINK_INTERFACE ".LoginClose", params, &reply, NULL, &out);
}

static int open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        _cleanup_(ctx_done) struct ctx c = {};
        _cleanup_(json_object_putp) json_object *reply = NULL;
        json_object *out = NULL, *v = NULL;
        char env[128], expires[SG_RFC3339_MAX], when[SG_TIME_HUMAN_MAX], rel[64];
        const char *at;
        time_t expires_at = SG_TIME_NEVER;
        int64_t id;
        bool export, known;
        int r;

        switch (setup(&c, pamh, flags, argc, argv, &known)) {
        case SETUP_NOT_STAFF:
                return PAM_IGNORE;
        case SETUP_UNKNOWN:
                deny_unknown(&c, known);
                return PAM_SESSION_ERR;
        case SETUP_ERROR:
                return PAM_SESSION_ERR;
        case SETUP_STAFF:
                break;
        }
        if (check_config(&c) < 0 || login_open(&c, &reply, &out) < 0)
                return PAM_SESSION_ERR;

        id = json_object_object_get_ex(out, "id", &v) ? json_object_get_int64(v) : 0;
        export = get_bool(out, "export");
        at = get_string(out, "expires_at");
        if (id <= 0 || (at && sg_time_parse_rfc3339(at, &expires_at) < 0)) {
                pam_syslog(pamh, LOG_ERR,
                           "supportgrantd answered LoginOpen without a login id "
                           "or with a bad expiry");
                login_close(&c, id);
                return PAM_SESSION_ERR;
        }
        (void)pam_set_data(pamh, LOGIN_DATA, (void *)(intptr_t)id, NULL);

        format_expiry(expires_at, expires, sizeof(expires));
        (void)snprintf(env, sizeof(env), "SUPPORTGRANT_EXPIRES=%s", expires);
        r = pam_putenv(pamh, env) == PAM_SUCCESS ? 0 : -ENOMEM;
        if (r >= 0) {
                (void)snprintf(env, sizeof(env), "SUPPORTGRANT_EXPORT=%s", export ? "yes" : "no");
                r = pam_putenv(pamh, env) == PAM_SUCCESS ? 0 : -ENOMEM;
        }
        if (r < 0) {
                login_close(&c, id);
                pam_syslog(pamh, LOG_ERR, "cannot set the PAM environment");
                return PAM_SESSION_ERR;
        }

        if (expires_at == SG_TIME_NEVER) {
                message(&c, PAM_TEXT_INFO, "Support access for %s is permanent; data export: %s.",
                        c.id.user, export ? "allowed" : "not allowed");
        } else {
                (void)sg_time_format_human(expires_at, false, when, sizeof(when));
                (void)sg_time_format_relative(expires_at, time(NULL), rel, sizeof(rel));
                message(&c, PAM_TEXT_INFO,
                        "Support access for %s runs until %s (%s); data export: %s.", c.id.user,
                        when, rel, export ? "allowed" : "not allowed");
        }
        pam_syslog(pamh, LOG_INFO, "session opened for staff account %s (login %" PRId64 ")",
                   c.id.user, id);
        return PAM_SUCCESS;
}

static int close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        _cleanup_(ctx_done) struct ctx c = {};
        _cleanup_(json_object_putp) json_object *reply = NULL;
        json_object *params, *out;
        const void *data = NULL;
        const char *error;
        bool known;
        int r;

        switch (setup(&c, pamh, flags, argc, argv, &known)) {
        case SETUP_NOT_STAFF:
                return PAM_IGNORE;
        case SETUP_ERROR:
                return PAM_SESSION_ERR;
        case SETUP_UNKNOWN: /* a session opened while it was known: record its end */
        case SETUP_STAFF:
                break;
        }
        /* Even with a broken configuration file the socket most likely still is the one the
         * session was recorded through: try to record the end. */
        params = subject_params(&c);
        if (params && pam_get_data(pamh, LOGIN_DATA, &data) == PAM_SUCCESS && data)
                (void)json_object_object_add(params, "id",
                                             json_object_new_int64((int64_t)(intptr_t)data));
        r = daemon_call(&c, SG_VARLINK_INTERFACE ".LoginClose", params, &reply, &error, &out);
        if (r < 0) {
                if (is_error(error, "NoSuchLogin"))
                        pam_syslog(pamh, LOG_WARNING, "no open session of %s found to close",
                                   c.id.user);
                else
                        pam_syslog(pamh, LOG_ERR, "cannot record the end of the session of %s%s%s",
                                   c.id.user, error ? ": " : "", strempty(error));
                return PAM_SESSION_ERR;
        }
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
