/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnss_sgdir.so.2: a user directory stand-in for the tests (what sssd or nslcd are on a real
 * host), which the tests switch at run time between working and failing in the ways a
 * directory fails. "passwd: files sgdir" and "group: files sgdir" in the private host's
 * /etc/nsswitch.conf.
 *
 * $SGDIR_ROOT (default /run/sgdir) holds:
 *   passwd, group   the directory's entries, in the format of /etc/passwd and /etc/group
 *   mode            what every group lookup answers (passwd lookups always work):
 *                     up              the entries above
 *                     notfound        NSS_STATUS_NOTFOUND
 *                     unavail-enoent  NSS_STATUS_UNAVAIL, errno ENOENT (glibc: "not found")
 *                     unavail-eio     NSS_STATUS_UNAVAIL, errno EIO
 *                     tryagain        NSS_STATUS_TRYAGAIN, errno EAGAIN
 *                     names-down      lookups by name or gid fail (UNAVAIL, EIO), but the
 *                                     membership list (initgroups) works
 * Lookups by name ignore case, as nslcd and sssd (case_sensitive = false) do: "Carol" finds
 * carol, whose entry names her "carol" (the canonical name). A line copied from /etc/passwd
 * makes a local account known under other spellings too.
 * Every call reads the files again: no state, so a test's switch takes effect at once.
 *
 * Built without the sanitizers: sshd and pamtester, which load it, are not.
 */
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EXPORT __attribute__((visibility("default")))

static void path_of(const char *name, char *buf, size_t size)
{
        const char *root = getenv("SGDIR_ROOT");

        (void)snprintf(buf, size, "%s/%s", root && *root ? root : "/run/sgdir", name);
}

enum mode { UP, NOTFOUND, UNAVAIL_ENOENT, UNAVAIL_EIO, TRYAGAIN, NAMES_DOWN };

static enum mode mode_now(void)
{
        static const char *const names[] = {"up",          "notfound", "unavail-enoent",
                                            "unavail-eio", "tryagain", "names-down"};
        char path[4096], word[32] = "";
        FILE *f;

        path_of("mode", path, sizeof(path));
        f = fopen(path, "re");
        if (f) {
                if (!fgets(word, sizeof(word), f))
                        word[0] = 0;
                fclose(f);
        }
        word[strcspn(word, "\n")] = 0;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(word, names[i]) == 0)
                        return (enum mode)i;
        return UP;
}

/* The failure a mode makes a group lookup answer; NSS_STATUS_SUCCESS for "go on". */
static enum nss_status failure(enum mode m, int *errnop)
{
        switch (m) {
        case NOTFOUND:
                return NSS_STATUS_NOTFOUND;
        case UNAVAIL_ENOENT:
                *errnop = errno = ENOENT;
                return NSS_STATUS_UNAVAIL;
        case UNAVAIL_EIO:
        case NAMES_DOWN:
                *errnop = errno = EIO;
                return NSS_STATUS_UNAVAIL;
        case TRYAGAIN:
                *errnop = errno = EAGAIN;
                return NSS_STATUS_TRYAGAIN;
        case UP:
                break;
        }
        return NSS_STATUS_SUCCESS;
}

static enum nss_status find_pw(const char *name, uid_t uid, struct passwd *pw, char *buf,
                               size_t len, int *errnop)
{
        char path[4096];
        struct passwd *res;
        enum nss_status st = NSS_STATUS_NOTFOUND;
        FILE *f;
        int e;

        path_of("passwd", path, sizeof(path));
        f = fopen(path, "re");
        if (!f)
                return NSS_STATUS_NOTFOUND;
        while ((e = fgetpwent_r(f, pw, buf, len, &res)) == 0)
                if (name ? strcasecmp(res->pw_name, name) == 0 : res->pw_uid == uid) {
                        st = NSS_STATUS_SUCCESS;
                        break;
                }
        if (e == ERANGE) {
                *errnop = ERANGE;
                st = NSS_STATUS_TRYAGAIN;
        }
        fclose(f);
        return st;
}

static enum nss_status find_gr(const char *name, gid_t gid, struct group *gr, char *buf, size_t len,
                               int *errnop)
{
        char path[4096];
        struct group *res;
        enum nss_status st;
        FILE *f;
        int e;

        st = failure(mode_now(), errnop);
        if (st != NSS_STATUS_SUCCESS)
                return st;
        st = NSS_STATUS_NOTFOUND;
        path_of("group", path, sizeof(path));
        f = fopen(path, "re");
        if (!f)
                return NSS_STATUS_NOTFOUND;
        while ((e = fgetgrent_r(f, gr, buf, len, &res)) == 0)
                if (name ? strcasecmp(res->gr_name, name) == 0 : res->gr_gid == gid) {
                        st = NSS_STATUS_SUCCESS;
                        break;
                }
        if (e == ERANGE) {
                *errnop = ERANGE;
                st = NSS_STATUS_TRYAGAIN;
        }
        fclose(f);
        return st;
}

EXPORT enum nss_status _nss_sgdir_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                                             size_t len, int *errnop);
EXPORT enum nss_status _nss_sgdir_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                                             size_t len, int *errnop)
{
        return find_pw(name, 0, pw, buf, len, errnop);
}

EXPORT enum nss_status _nss_sgdir_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len,
                                             int *errnop);
EXPORT enum nss_status _nss_sgdir_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len,
                                             int *errnop)
{
        return find_pw(NULL, uid, pw, buf, len, errnop);
}

EXPORT enum nss_status _nss_sgdir_getgrnam_r(const char *name, struct group *gr, char *buf,
                                             size_t len, int *errnop);
EXPORT enum nss_status _nss_sgdir_getgrnam_r(const char *name, struct group *gr, char *buf,
                                             size_t len, int *errnop)
{
        return find_gr(name, 0, gr, buf, len, errnop);
}

EXPORT enum nss_status _nss_sgdir_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len,
                                             int *errnop);
EXPORT enum nss_status _nss_sgdir_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len,
                                             int *errnop)
{
        return find_gr(NULL, gid, gr, buf, len, errnop);
}

/* The groups USER is a member of (gr_mem), added to *groupsp as glibc's initgroups expects. */
EXPORT enum nss_status _nss_sgdir_initgroups_dyn(const char *user, gid_t group, long *start,
                                                 long *size, gid_t **groupsp, long limit,
                                                 int *errnop);
EXPORT enum nss_status _nss_sgdir_initgroups_dyn(const char *user, gid_t group, long *start,
                                                 long *size, gid_t **groupsp, long limit,
                                                 int *errnop)
{
        enum mode m = mode_now();
        char path[4096], buf[16384];
        struct group gr, *res;
        enum nss_status st;
        FILE *f;

        if (m != NAMES_DOWN) {
                st = failure(m, errnop);
                if (st != NSS_STATUS_SUCCESS)
                        return st;
        }
        path_of("group", path, sizeof(path));
        f = fopen(path, "re");
        if (!f)
                return NSS_STATUS_NOTFOUND;
        while (fgetgrent_r(f, &gr, buf, sizeof(buf), &res) == 0) {
                if (res->gr_gid == group)
                        continue;
                for (char **m2 = res->gr_mem; *m2; m2++) {
                        if (strcmp(*m2, user) != 0)
                                continue;
                        if (*start == *size) {
                                long n = limit > 0 && *size * 2 > limit ? limit : *size * 2;
                                gid_t *g;

                                if (n <= *size)
                                        break;
                                g = realloc(*groupsp, (size_t)n * sizeof(gid_t));
                                if (!g)
                                        break;
                                *groupsp = g;
                                *size = n;
                        }
                        (*groupsp)[(*start)++] = res->gr_gid;
                        break;
                }
        }
        fclose(f);
        return NSS_STATUS_SUCCESS;
}
