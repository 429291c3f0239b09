/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Who is staff, and in which departments, asked through NSS at the moment it matters. */

#include <stdbool.h>
#include <sys/types.h>

#include "conf.h"
#include "names.h"

#define SG_MAX_DEPARTMENTS 32
#define SG_MAX_GIDS        256

/* Staff is decided BY NAME (SPEC §2): an account is staff when one of its groups, as
 * getgrouplist() lists them, is named staff_group (getgrgid() of each gid) — the test sshd's
 * "Match Group" makes, so that sshd and the module agree even where two NSS sources know a
 * group of that name with different gids (a local group shadowing the directory's).
 *
 * When the account is in no such group but the staff group's name does not resolve at all
 * (the directory answers "not found" for it, or is down), or one of the account's gids has no
 * name because NSS failed, the answer is SG_STAFF_UNKNOWN: a failing directory hides its
 * members' groups too, so "not in the group" proves nothing. sg_staff_decide() settles it. */
enum sg_staff {
        SG_STAFF_NO,
        SG_STAFF_YES,
        SG_STAFF_UNKNOWN,
};

struct sg_identity {
        char user[SG_NAME_MAX];
        uid_t uid;
        gid_t gid;
        bool is_staff; /* staff == SG_STAFF_YES */
        enum sg_staff staff;
        size_t n_gids; /* the account's groups, the first SG_MAX_GIDS of them */
        gid_t gids[SG_MAX_GIDS];
        size_t n_departments;
        char departments[SG_MAX_DEPARTMENTS][SG_NAME_MAX]; /* without the prefix */
};

/* Looks up a user and its departments (groups named department_prefix + NAME, never
 * staff_group itself). -ENOENT: no such user; -EINVAL: an account that is or may be staff
 * whose name is not valid (names.h); other negative errno: NSS failed for the account itself,
 * nothing can be concluded. A group lookup that fails is no error: see SG_STAFF_UNKNOWN. */
int sg_identity_lookup(const struct sg_config *c, const char *user, struct sg_identity *ret);

/* Same by uid (for callers identified by SO_PEERCRED). */
int sg_identity_lookup_uid(const struct sg_config *c, uid_t uid, struct sg_identity *ret);

/* Settles SG_STAFF_UNKNOWN (SPEC §2 "staff unknown"); any other answer is returned as it is.
 * root is never staff. The gid the staff group had when it last resolved (last_gid, NULL when
 * none is known) proves staff when the account is in it; it never proves the contrary, since
 * the failing source may hide that membership. Then an account not in the local /etc/passwd
 * (local false), or one the host has known as staff (known true), stays SG_STAFF_UNKNOWN, and
 * the caller denies it; the other local accounts are not staff. Sets id->staff and
 * id->is_staff to the answer. */
enum sg_staff sg_staff_decide(struct sg_identity *id, const gid_t *last_gid, bool local,
                              bool known);

/* The gid the staff group resolves to now. -ENOENT when NSS says there is none (or a failing
 * source makes it look so), another negative errno when NSS failed. */
int sg_staff_group_gid(const struct sg_config *c, gid_t *ret);

/* Whether the account is in the local passwd file (NULL: /etc/passwd), by name: 1 or 0, or a
 * negative errno when the file cannot be read. */
int sg_user_is_local(const char *path, const char *user);

/* For sg_store_coverage(): pointers into id->departments. */
void sg_identity_departments(const struct sg_identity *id, const char **ret, size_t *ret_n);

/* SPEC §2 "names": the canonical spelling of a name as NSS gives it (it may ignore case or know
 * aliases), into ret (SG_NAME_MAX bytes). A user: pw_name, and its uid. A department: the
 * group's gr_name without department_prefix (-EISDIR: that is the staff group, never a
 * department). -ENOENT: NSS knows no such name; -EINVAL: the name (typed or canonical) is not
 * valid; other negative errno: NSS failed. */
int sg_user_canonical(const char *user, char *ret, uid_t *ret_uid);
int sg_department_canonical(const struct sg_config *c, const char *name, char *ret);
