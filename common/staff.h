/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Who is staff, and in which departments, asked through NSS at the moment it matters. */

#include <stdbool.h>
#include <sys/types.h>

#include "conf.h"
#include "names.h"

#define SG_MAX_DEPARTMENTS 32

struct sg_identity {
        char user[SG_NAME_MAX];
        uid_t uid;
        gid_t gid;
        bool is_staff;
        size_t n_departments;
        char departments[SG_MAX_DEPARTMENTS][SG_NAME_MAX]; /* without the prefix */
};

/* Looks up a user and, when staff, its departments (groups named department_prefix + NAME,
 * never staff_group itself). -ENOENT: no such user; -EINVAL: a staff account whose name is
 * not valid (names.h); other negative errno: NSS failed, nothing can be concluded. */
int sg_identity_lookup(const struct sg_config *c, const char *user, struct sg_identity *ret);

/* Same by uid (for callers identified by SO_PEERCRED). */
int sg_identity_lookup_uid(const struct sg_config *c, uid_t uid, struct sg_identity *ret);

/* For sg_store_coverage(): pointers into id->departments. */
void sg_identity_departments(const struct sg_identity *id, const char **ret, size_t *ret_n);

/* Whether a department group (prefix + name) exists. */
int sg_department_exists(const struct sg_config *c, const char *name);
