/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <grp.h>
#include <pwd.h>

#include "staff.h"

/* NSS lookups with a buffer that grows on ERANGE (LDAP groups can be large). */
#define NSS_BUF_START 4096
#define NSS_BUF_MAX   (4 * 1024 * 1024)

static int lookup_passwd(const char *name, uid_t uid, struct sg_identity *ret)
{
        size_t size = NSS_BUF_START;

        for (;;) {
                _cleanup_free_ char *buf = malloc(size);
                struct passwd pw, *res = NULL;
                int e;

                if (!buf)
                        return -ENOMEM;
                e = name ? getpwnam_r(name, &pw, buf, size, &res)
                         : getpwuid_r(uid, &pw, buf, size, &res);
                if (e == ERANGE && size < NSS_BUF_MAX) {
                        size *= 2;
                        continue;
                }
                if (e != 0)
                        return -e;
                if (!res)
                        return -ENOENT;
                if (strcpy_checked(ret->user, sizeof(ret->user), pw.pw_name) < 0)
                        return -EINVAL;
                ret->uid = pw.pw_uid;
                ret->gid = pw.pw_gid;
                return 0;
        }
}

/* A group by name (its gid) or by gid (its name into name, name_size bytes). -ENOENT if NSS
 * says there is none. errno is cleared first: an NSS module that answers "unavailable" may
 * leave only errno behind, and a stale one must not be taken for its answer. */
static int lookup_group(const char *by_name, gid_t by_gid, gid_t *ret_gid, char *name,
                        size_t name_size)
{
        size_t size = NSS_BUF_START;

        for (;;) {
                _cleanup_free_ char *buf = malloc(size);
                struct group gr, *res = NULL;
                int e;

                if (!buf)
                        return -ENOMEM;
                errno = 0;
                e = by_name ? getgrnam_r(by_name, &gr, buf, size, &res)
                            : getgrgid_r(by_gid, &gr, buf, size, &res);
                if (e == ERANGE && size < NSS_BUF_MAX) {
                        size *= 2;
                        continue;
                }
                if (e != 0)
                        return -e;
                if (!res)
                        return -ENOENT;
                if (ret_gid)
                        *ret_gid = gr.gr_gid;
                return name ? strcpy_checked(name, name_size, gr.gr_name) : 0;
        }
}

static int group_list(const char *user, gid_t primary, gid_t **ret, int *ret_n)
{
        int n = 64;

        for (;;) {
                _cleanup_free_ gid_t *gids = calloc((size_t)n, sizeof(gid_t));
                int want = n;

                if (!gids)
                        return -ENOMEM;
                if (getgrouplist(user, primary, gids, &want) >= 0) {
                        *ret = TAKE_PTR(gids);
                        *ret_n = want;
                        return 0;
                }
                if (want <= n || want > 65536)
                        return -EIO;
                n = want;
        }
}

static void add_department(const struct sg_config *c, struct sg_identity *id, const char *group)
{
        size_t plen = strlen(c->department_prefix);
        const char *name = group + plen;

        if (!strneq(group, c->department_prefix, plen) || !sg_name_is_valid(name))
                return;
        for (size_t i = 0; i < id->n_departments; i++)
                if (streq(id->departments[i], name))
                        return;
        /* More departments than any site has: the first ones count, and a grant for one
         * beyond them does not cover the account (fails closed). */
        if (id->n_departments < SG_MAX_DEPARTMENTS)
                memcpy(id->departments[id->n_departments++], name, strlen(name) + 1);
}

static int identity_fill(const struct sg_config *c, struct sg_identity *id)
{
        _cleanup_free_ gid_t *gids = NULL;
        bool unnamed = false;
        int n = 0, r;

        id->staff = SG_STAFF_NO;
        id->n_gids = 0;
        id->n_departments = 0;

        r = group_list(id->user, id->gid, &gids, &n);
        if (r < 0)
                return r;
        for (int i = 0; i < n; i++) {
                char name[SG_NAME_MAX];

                if (id->n_gids < SG_MAX_GIDS)
                        id->gids[id->n_gids++] = gids[i];
                r = lookup_group(NULL, gids[i], NULL, name, sizeof(name));
                if (r == -ENOENT || r == -ENAMETOOLONG)
                        continue; /* no name, or none of ours: sshd skips it too */
                if (r < 0) {
                        unnamed = true; /* NSS failed: this one may be the staff group */
                        continue;
                }
                if (streq(name, c->staff_group))
                        id->staff = SG_STAFF_YES;
                else
                        add_department(c, id, name);
        }
        if (id->staff != SG_STAFF_YES) {
                /* "Not in the group" is only worth something where NSS knows the group: when
                 * its name does not resolve, the source that has it may be the one failing. */
                r = lookup_group(c->staff_group, 0, NULL, NULL, 0);
                if (r < 0 || unnamed)
                        id->staff = SG_STAFF_UNKNOWN;
        }
        id->is_staff = id->staff == SG_STAFF_YES;
        return 0;
}

static int identity_lookup(const struct sg_config *c, const char *user, uid_t uid,
                           struct sg_identity *ret)
{
        int r;

        memset(ret, 0, sizeof(*ret));
        r = lookup_passwd(user, uid, ret);
        if (r < 0)
                return r;
        r = identity_fill(c, ret);
        if (r < 0)
                return r;
        /* An account that is or may be staff, whose name could not travel through grants and
         * logs safely, is an error (the caller denies it); anyone else is none of our
         * business. */
        return ret->staff != SG_STAFF_NO && !sg_name_is_valid(ret->user) ? -EINVAL : 0;
}

int sg_identity_lookup(const struct sg_config *c, const char *user, struct sg_identity *ret)
{
        if (isempty(user))
                return -EINVAL;
        return identity_lookup(c, user, 0, ret);
}

int sg_identity_lookup_uid(const struct sg_config *c, uid_t uid, struct sg_identity *ret)
{
        int r = identity_lookup(c, NULL, uid, ret);

        /* By uid the name is ours to show and send: it must be valid for everyone. */
        return r >= 0 && !sg_name_is_valid(ret->user) ? -EINVAL : r;
}

enum sg_staff sg_staff_decide(struct sg_identity *id, const gid_t *last_gid, bool local, bool known)
{
        if (id->staff == SG_STAFF_UNKNOWN) {
                if (id->uid == 0)
                        id->staff = SG_STAFF_NO;
                else {
                        for (size_t i = 0; last_gid && i < id->n_gids; i++)
                                if (id->gids[i] == *last_gid)
                                        id->staff = SG_STAFF_YES;
                        if (id->staff == SG_STAFF_UNKNOWN && local && !known)
                                id->staff = SG_STAFF_NO;
                }
        }
        id->is_staff = id->staff == SG_STAFF_YES;
        return id->staff;
}

int sg_staff_group_gid(const struct sg_config *c, gid_t *ret)
{
        return lookup_group(c->staff_group, 0, ret, NULL, 0);
}

int sg_user_is_local(const char *path, const char *user)
{
        _cleanup_fclose_ FILE *f = NULL;
        struct passwd pw, *res;
        char buf[4096];

        f = fopen(path ? path : "/etc/passwd", "re");
        if (!f)
                return -errno;
        while (fgetpwent_r(f, &pw, buf, sizeof(buf), &res) == 0)
                if (streq(res->pw_name, user))
                        return 1;
        return 0;
}

void sg_identity_departments(const struct sg_identity *id, const char **ret, size_t *ret_n)
{
        for (size_t i = 0; i < id->n_departments; i++)
                ret[i] = id->departments[i];
        *ret_n = id->n_departments;
}

int sg_user_canonical(const char *user, char *ret, uid_t *ret_uid)
{
        struct sg_identity id;
        int r;

        if (!sg_name_is_valid(user))
                return -EINVAL;
        r = lookup_passwd(user, 0, &id);
        if (r < 0)
                return r;
        if (!sg_name_is_valid(id.user))
                return -EINVAL;
        memcpy(ret, id.user, strlen(id.user) + 1);
        if (ret_uid)
                *ret_uid = id.uid;
        return 0;
}

int sg_department_canonical(const struct sg_config *c, const char *name, char *ret)
{
        char group[SG_NAME_MAX + SG_PREFIX_MAX], canonical[SG_NAME_MAX + SG_PREFIX_MAX];
        size_t plen = strlen(c->department_prefix);
        int r;

        if (!sg_name_is_valid(name))
                return -EINVAL;
        (void)snprintf(group, sizeof(group), "%s%s", c->department_prefix, name);
        if (streq(group, c->staff_group))
                return -EISDIR;
        r = lookup_group(group, 0, NULL, canonical, sizeof(canonical));
        if (r < 0)
                return r;
        if (streq(canonical, c->staff_group))
                return -EISDIR;
        if (!strneq(canonical, c->department_prefix, plen) || !sg_name_is_valid(canonical + plen))
                return -EINVAL;
        memcpy(ret, canonical + plen, strlen(canonical + plen) + 1);
        return 0;
}
