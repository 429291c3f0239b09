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

/* The gid of a group by name; -ENOENT if there is none. */
static int lookup_group_gid(const char *name, gid_t *ret)
{
        size_t size = NSS_BUF_START;

        for (;;) {
                _cleanup_free_ char *buf = malloc(size);
                struct group gr, *res = NULL;
                int e;

                if (!buf)
                        return -ENOMEM;
                e = getgrnam_r(name, &gr, buf, size, &res);
                if (e == ERANGE && size < NSS_BUF_MAX) {
                        size *= 2;
                        continue;
                }
                if (e != 0)
                        return -e;
                if (!res)
                        return -ENOENT;
                *ret = gr.gr_gid;
                return 0;
        }
}

/* The name of a group by gid into buf; -ENOENT if there is none. */
static int lookup_group_name(gid_t gid, char *name, size_t name_size)
{
        size_t size = NSS_BUF_START;

        for (;;) {
                _cleanup_free_ char *buf = malloc(size);
                struct group gr, *res = NULL;
                int e;

                if (!buf)
                        return -ENOMEM;
                e = getgrgid_r(gid, &gr, buf, size, &res);
                if (e == ERANGE && size < NSS_BUF_MAX) {
                        size *= 2;
                        continue;
                }
                if (e != 0)
                        return -e;
                if (!res)
                        return -ENOENT;
                return strcpy_checked(name, name_size, gr.gr_name);
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

static int identity_fill(const struct sg_config *c, struct sg_identity *id)
{
        _cleanup_free_ gid_t *gids = NULL;
        gid_t staff_gid;
        int n = 0, r;

        id->is_staff = false;
        id->n_departments = 0;

        r = lookup_group_gid(c->staff_group, &staff_gid);
        if (r == -ENOENT)
                return 0; /* no staff group on this host: nobody is staff */
        if (r < 0)
                return r;

        r = group_list(id->user, id->gid, &gids, &n);
        if (r < 0)
                return r;
        for (int i = 0; i < n; i++)
                if (gids[i] == staff_gid)
                        id->is_staff = true;
        if (!id->is_staff)
                return 0;

        /* Departments only matter for staff. */
        for (int i = 0; i < n; i++) {
                size_t plen = strlen(c->department_prefix);
                char name[SG_NAME_MAX];

                if (gids[i] == staff_gid)
                        continue;
                r = lookup_group_name(gids[i], name, sizeof(name));
                if (r == -ENOENT || r == -ENAMETOOLONG)
                        continue;
                if (r < 0)
                        return r;
                if (!strneq(name, c->department_prefix, plen) || name[plen] == 0)
                        continue;
                if (!sg_name_is_valid(name + plen))
                        continue;
                if (id->n_departments >= SG_MAX_DEPARTMENTS)
                        return -E2BIG;
                memcpy(id->departments[id->n_departments++], name + plen, strlen(name + plen) + 1);
        }
        return 0;
}

int sg_identity_lookup(const struct sg_config *c, const char *user, struct sg_identity *ret)
{
        int r;

        if (isempty(user))
                return -EINVAL;
        memset(ret, 0, sizeof(*ret));
        r = lookup_passwd(user, 0, ret);
        if (r < 0)
                return r;
        r = identity_fill(c, ret);
        if (r < 0)
                return r;
        /* A staff account whose name could not travel through grants and logs safely is an
         * error (the caller denies it); anyone else is none of our business. */
        return ret->is_staff && !sg_name_is_valid(ret->user) ? -EINVAL : 0;
}

int sg_identity_lookup_uid(const struct sg_config *c, uid_t uid, struct sg_identity *ret)
{
        int r;

        memset(ret, 0, sizeof(*ret));
        r = lookup_passwd(NULL, uid, ret);
        if (r < 0)
                return r;
        r = identity_fill(c, ret);
        if (r < 0)
                return r;
        return sg_name_is_valid(ret->user) ? 0 : -EINVAL;
}

void sg_identity_departments(const struct sg_identity *id, const char **ret, size_t *ret_n)
{
        for (size_t i = 0; i < id->n_departments; i++)
                ret[i] = id->departments[i];
        *ret_n = id->n_departments;
}

int sg_department_exists(const struct sg_config *c, const char *name)
{
        char group[SG_NAME_MAX + SG_PREFIX_MAX];
        gid_t gid;
        int r;

        if (!sg_name_is_valid(name))
                return -EINVAL;
        (void)snprintf(group, sizeof(group), "%s%s", c->department_prefix, name);
        if (streq(group, c->staff_group))
                return 0;
        r = lookup_group_gid(group, &gid);
        if (r == -ENOENT)
                return 0;
        return r < 0 ? r : 1;
}
