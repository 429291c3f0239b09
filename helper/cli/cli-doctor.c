/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* supportgrant doctor: does this host gate staff everywhere? (SPEC §5, §6, §9)
 *
 * One line per check: ok, warn or FAIL with what to fix. Exit 0 when nothing failed. Any user
 * may run it; sshd's effective configuration needs root (sshd -T reads the host keys). */

#include <dirent.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <strings.h>

#include "cli.h"

#define PAMD          "/etc/pam.d"
#define SSHD          "/usr/sbin/sshd"
#define SSHD_CONFIG   "/etc/ssh/sshd_config"
#define SSHD_DROPINS  "/etc/ssh/sshd_config.d"
#define INCLUDE_DEPTH 8
#define MODULE_NAME   "pam_supportgrant.so"

static inline void closedirp(DIR **d)
{
        if (*d)
                (void)closedir(*d);
}

enum verdict {
        OK,
        WARN,
        FAIL,
};

static const char *const verdict_names[] = {[OK] = "ok", [WARN] = "warn", [FAIL] = "FAIL"};

struct report {
        const struct cli *cli;
        json_object *json; /* --json: the array of checks */
        int failed;
};

static void say(struct report *rep, enum verdict v, const char *check, const char *fmt, ...)
        _printf_(4, 5);
static void say(struct report *rep, enum verdict v, const char *check, const char *fmt, ...)
{
        _cleanup_free_ char *detail = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&detail, fmt, ap) < 0)
                detail = NULL;
        va_end(ap);
        if (v == FAIL)
                rep->failed++;
        if (rep->json) {
                json_object *o = json_object_new_object();

                if (!o)
                        return;
                (void)json_object_object_add(o, "check", json_object_new_string(check));
                (void)json_object_object_add(o, "status",
                                             json_object_new_string(v == FAIL   ? "fail"
                                                                    : v == WARN ? "warn"
                                                                                : "ok"));
                (void)json_object_object_add(o, "detail",
                                             json_object_new_string(detail ? detail : ""));
                (void)json_object_array_add(rep->json, o);
        } else
                printf("%-4s  %-28s %s\n", verdict_names[v], check, detail ? detail : "");
}

/* ---- PAM ----------------------------------------------------------------------------------- */

/* What a service's stack of one type holds, includes followed. */
struct stack {
        bool any;          /* some module runs in this phase */
        bool module;       /* pam_supportgrant.so runs, not as optional */
        bool seen;         /* a module line was seen (for rootok_first) */
        bool rootok_first; /* auth: the first module is "sufficient pam_rootok.so" */
        bool kbdint_line;  /* auth: the sshd line (kbdint_step) */
        bool unknown_ok;   /* ... with module_unknown=ignore */
};

static bool is_module(const char *path)
{
        const char *slash = strrchr(path, '/');

        return streq(slash ? slash + 1 : path, MODULE_NAME);
}

static void scan_stack(const char *service, const char *type, int depth, struct stack *st)
{
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        char path[PATH_MAX];
        size_t cap = 0;

        if (depth > INCLUDE_DEPTH || strchr(service, '/'))
                return;
        (void)snprintf(path, sizeof(path), PAMD "/%s", service);
        f = fopen(path, "re");
        if (!f)
                return;
        while (getline(&line, &cap, f) > 0) {
                char *w[4] = {};
                char *control, *module, *p = line;
                size_t n = 0, len;

                p[strcspn(p, "#\n")] = 0;
                /* type, control (a [...] control holds blanks: one word), module, and the
                 * module's arguments as one rest of the line. */
                while (n < ELEMENTSOF(w)) {
                        p += strspn(p, " \t");
                        if (!*p)
                                break;
                        if (n == ELEMENTSOF(w) - 1) {
                                w[n++] = p;
                                break;
                        }
                        if (*p == '[') {
                                len = strcspn(p, "]");
                                len += p[len] ? 1 : 0;
                        } else
                                len = strcspn(p, " \t");
                        w[n++] = p;
                        if (!p[len])
                                break;
                        p[len] = 0;
                        p += len + 1;
                }
                if (n == 0)
                        continue;
                if (streq(w[0], "@include")) {
                        if (n > 1)
                                scan_stack(w[1], type, depth + 1, st);
                        continue;
                }
                if (n < 3 || !streq(w[0][0] == '-' ? w[0] + 1 : w[0], type))
                        continue;
                control = w[1];
                module = w[2];
                if (streq(control, "include") || streq(control, "substack")) {
                        scan_stack(module, type, depth + 1, st);
                        continue;
                }
                if (!st->seen)
                        st->rootok_first =
                                streq(control, "sufficient") && strstr(module, "pam_rootok.so");
                st->seen = true;
                st->any = true;
                if (!is_module(module))
                        continue;
                if (!streq(control, "optional"))
                        st->module = true;
                if (n > 3 && strstr(w[3], "kbdint_step")) {
                        st->kbdint_line = true;
                        st->unknown_ok = strstr(control, "module_unknown=ignore") != NULL;
                }
        }
}

static int compare_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check_pam(struct report *rep)
{
        _cleanup_(closedirp) DIR *d = opendir(PAMD);
        char **names = NULL;
        size_t n = 0, size = 0, gated = 0, ungated = 0;
        struct dirent *de;

        if (!d) {
                say(rep, FAIL, "pam", "cannot read " PAMD ": %m");
                return;
        }
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || strneq(de->d_name, "common-", 7) ||
                    strchr(de->d_name, '~') || strstr(de->d_name, ".dpkg-"))
                        continue;
                if (GROW(names, size, n, 32) < 0 || !(names[n] = strdup(de->d_name)))
                        break;
                n++;
        }
        qsort(names, n, sizeof(*names), compare_names);
        for (size_t i = 0; i < n; i++) {
                struct stack acct = {}, sess = {}, auth = {};
                char check[SG_NAME_MAX + 8];

                scan_stack(names[i], "session", 0, &sess);
                if (!sess.any)
                        continue; /* opens no session: nobody gets in through it */
                scan_stack(names[i], "account", 0, &acct);
                scan_stack(names[i], "auth", 0, &auth);
                (void)snprintf(check, sizeof(check), "pam %s", names[i]);
                if (acct.module && sess.module) {
                        gated++;
                        say(rep, OK, check, "staff gated (account and session)");
                } else if (!acct.any && auth.rootok_first) {
                        say(rep, WARN, check,
                            "not gated, but only root may use it (pam_rootok, no account "
                            "phase)");
                } else {
                        ungated++;
                        say(rep, FAIL, check,
                            "staff NOT gated (%s): enable the profile with "
                            "\"pam-auth-update --enable supportgrant\", and make the service "
                            "include common-account and common-session",
                            !acct.module && !sess.module ? "no account or session line"
                            : !acct.module               ? "no account line"
                                                         : "no session line");
                }
                if (streq(names[i], "sshd")) {
                        if (!auth.kbdint_line)
                                say(rep, FAIL, "pam sshd auth",
                                    "no \"auth ... pam_supportgrant.so kbdint_step\" line before "
                                    "@include common-auth: staff cannot be asked for the reason "
                                    "(README, Configure sshd and PAM)");
                        else if (!auth.unknown_ok)
                                say(rep, FAIL, "pam sshd auth",
                                    "the kbdint_step line lacks module_unknown=ignore: removing "
                                    "the package would lock every password login out");
                        else
                                say(rep, OK, "pam sshd auth",
                                    "kbdint_step line with module_unknown=ignore");
                }
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        if (gated == 0 && ungated == 0)
                say(rep, FAIL, "pam", "no service in " PAMD " opens a session");
}

/* The profile pam-auth-update manages: on after the wiring, off after a package remove (and
 * off again after a reinstall, as it is "Default: no"), when the services above lose the
 * account and session lines while a leftover sshd drop-in still sends staff to the gate. */
static void check_profile(struct report *rep)
{
        struct stack acct = {}, sess = {};

        scan_stack("common-account", "account", 0, &acct);
        scan_stack("common-session", "session", 0, &sess);
        if (acct.module && sess.module)
                say(rep, OK, "pam profile", "common-account and common-session gate staff");
        else
                say(rep, FAIL, "pam profile",
                    "the supportgrant profile is off (common-account or common-session has no "
                    "pam_supportgrant line; after a remove and reinstall it stays off): run "
                    "\"pam-auth-update --enable supportgrant\"");
}

/* ---- sshd ---------------------------------------------------------------------------------- */

/* Which Match Group lines name which groups, across sshd_config and its drop-ins. */
static void scan_match(const char *path, const char *staff_group, bool *named, char *other,
                       size_t size)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;

        while (f && getline(&line, &cap, f) > 0) {
                char *p = line + strspn(line, " \t"), *save = NULL, *g;

                p[strcspn(p, "#\n")] = 0;
                if (strncasecmp(p, "match", 5) != 0 || !strchr(" \t", p[5]))
                        continue;
                p += 5 + strspn(p + 5, " \t");
                if (strncasecmp(p, "group", 5) != 0 || !strchr(" \t", p[5]))
                        continue;
                p += 5 + strspn(p + 5, " \t");
                p[strcspn(p, " \t")] = 0;
                for (g = strtok_r(p, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
                        if (g[0] != '!' && fnmatch(g, staff_group, 0) == 0)
                                *named = true;
                        else if (!other[0])
                                (void)snprintf(other, size, "%s (%s)", g, path);
                }
        }
}

static void check_sshd_match(struct report *rep, const char *staff_group)
{
        _cleanup_(closedirp) DIR *d = opendir(SSHD_DROPINS);
        char other[PATH_MAX + SG_NAME_MAX] = "", path[PATH_MAX];
        bool named = false;
        struct dirent *de;

        if (access(SSHD_CONFIG, F_OK) < 0) {
                say(rep, WARN, "sshd match", "no %s: sshd is not installed", SSHD_CONFIG);
                return;
        }
        scan_match(SSHD_CONFIG, staff_group, &named, other, sizeof(other));
        while (d && (de = readdir(d))) {
                size_t len = strlen(de->d_name);

                if (len < 6 || !streq(de->d_name + len - 5, ".conf"))
                        continue;
                (void)snprintf(path, sizeof(path), SSHD_DROPINS "/%s", de->d_name);
                scan_match(path, staff_group, &named, other, sizeof(other));
        }
        if (named)
                say(rep, OK, "sshd match", "a Match Group block names %s", staff_group);
        else
                say(rep, FAIL, "sshd match",
                    "no Match Group names the staff group %s%s%s: staff get no two-step login, "
                    "no gate and no DisableForwarding (install the sshd example with "
                    "that group)",
                    staff_group, other[0] ? "; found Match Group " : "", other);
}

/* sshd -T for a staff member: what sshd really applies to one. */
static void check_sshd_effective(struct report *rep, const char *staff_group)
{
        _cleanup_free_ char *line = NULL, *cmd = NULL;
        bool methods = false, gate = false, noforward = false;
        struct group *gr = getgrnam(staff_group);
        char error[256] = "";
        size_t cap = 0;
        FILE *p;

        if (geteuid() != 0) {
                say(rep, WARN, "sshd effective",
                    "run as root to check sshd -T for a staff "
                    "member");
                return;
        }
        if (access(SSHD, X_OK) < 0) {
                say(rep, WARN, "sshd effective", "no %s", SSHD);
                return;
        }
        if (!gr || !gr->gr_mem || !gr->gr_mem[0] || !sg_name_is_valid(gr->gr_mem[0])) {
                say(rep, WARN, "sshd effective",
                    "no member of %s to check sshd -T with (only the Match lines were read)",
                    staff_group);
                return;
        }
        if (asprintf(&cmd, SSHD " -T -C user=%s,host=localhost,addr=127.0.0.1 2>&1",
                     gr->gr_mem[0]) < 0)
                return;
        p = popen(cmd, "re");
        while (p && getline(&line, &cap, p) > 0) {
                line[strcspn(line, "\n")] = 0;
                if (strneq(line, "authenticationmethods ", 22))
                        methods = strstr(line, "publickey,keyboard-interactive") != NULL;
                else if (strneq(line, "forcecommand ", 13))
                        gate = strstr(line, "supportgrant gate") != NULL;
                else if (streq(line, "disableforwarding yes"))
                        noforward = true;
                else if (!strchr(line, ' ') || strstr(line, ": ")) /* not "key value": an error */
                        (void)snprintf(error, sizeof(error), "%s", line);
        }
        if (!p || pclose(p) != 0) {
                say(rep, FAIL, "sshd effective", "sshd -T failed: %s",
                    error[0] ? error : "the configuration is broken");
                return;
        }
        if (methods && gate && noforward)
                say(rep, OK, "sshd effective",
                    "for %s: publickey then keyboard-interactive, ForceCommand supportgrant "
                    "gate, DisableForwarding",
                    gr->gr_mem[0]);
        else
                say(rep, FAIL, "sshd effective", "for %s:%s%s%s (install the sshd example)",
                    gr->gr_mem[0], methods ? "" : " no publickey,keyboard-interactive login;",
                    gate ? "" : " no ForceCommand supportgrant gate;",
                    noforward ? "" : " forwarding not disabled;");
}

/* ---- the rest ------------------------------------------------------------------------------ */

int cli_cmd_doctor(struct cli *cli)
{
        _cleanup_(json_object_putp) json_object *reply = NULL;
        struct report rep = {.cli = cli};
        struct group *gr;
        json_object *p;
        int r;

        if (cli->json) {
                rep.json = json_object_new_array();
                if (!rep.json)
                        return -ENOMEM;
        }
        r = cli_load_config(cli);
        if (r < 0)
                say(&rep, FAIL, "configuration", "%s: refused (see above); staff are denied",
                    cli->conf_arg ? cli->conf_arg : SG_CONF_PATH);
        else
                say(&rep, OK, "configuration", "%s parses; staff group %s",
                    cli->conf_arg ? cli->conf_arg : SG_CONF_PATH, cli->config.staff_group);

        errno = 0;
        gr = getgrnam(cli->config.staff_group);
        if (gr)
                say(&rep, OK, "staff group", "%s resolves (gid %u)", cli->config.staff_group,
                    (unsigned)gr->gr_gid);
        else
                say(&rep, FAIL, "staff group",
                    "%s does not resolve%s%s: staff are unknown, and accounts not in "
                    "/etc/passwd are denied (make the group, or fix the directory)",
                    cli->config.staff_group, errno ? ": " : "", errno ? strerror(errno) : "");

        r = cli_call(cli, SG_VARLINK_INTERFACE ".Status", NULL, &reply, &p);
        if (r == -CLI_E_UNREACHABLE)
                say(&rep, FAIL, "daemon",
                    "supportgrantd does not answer at %s: staff sessions are refused "
                    "(systemctl enable --now supportgrant.socket)",
                    cli->socket);
        else if (r < 0)
                say(&rep, FAIL, "daemon", "supportgrantd answers with an error (see above)");
        else {
                say(&rep, OK, "daemon", "supportgrantd answers at %s", cli->socket);
                if (cli_json_string(p, "user") && cli_json_bool(p, "may_activate") &&
                    json_object_object_get_ex(p, "active_grants", NULL))
                        say(&rep, OK, "database", "readable through the daemon");
                else
                        say(&rep, WARN, "database",
                            "not checked (only for those who may "
                            "activate)");
        }
        check_profile(&rep);
        check_pam(&rep);
        check_sshd_match(&rep, cli->config.staff_group);
        check_sshd_effective(&rep, cli->config.staff_group);

        if (rep.json) {
                r = cli_print_json(rep.json);
                json_object_put(rep.json);
                if (r < 0)
                        return r;
        } else
                printf("%s\n", rep.failed ? "Staff are NOT gated everywhere: fix what says FAIL."
                                          : "Staff are gated everywhere this can check.");
        return rep.failed ? -EIO : 0;
}
