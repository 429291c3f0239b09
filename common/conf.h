/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* supportgrant.conf: "key = value" lines, '#' comments. One vocabulary for the file and for
 * PAM module arguments ("key=value"): both go through sg_config_set(). */

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>
#include <sys/un.h>

#include "error.h"
#include "names.h"
#include "period.h"
#include "timeutil.h"

#define SG_CONF_PATH        "/etc/security/supportgrant.conf"
#define SG_DATABASE_PATH    "/var/lib/supportgrant/supportgrant.db"
#define SG_SOCKET_PATH      "/run/supportgrant/socket"
#define SG_SUBUID_PATH      "/etc/subuid"
#define SG_CONF_MAX_SIZE    (64 * 1024)
#define SG_PREFIX_MAX       64
#define SG_SOCKET_MAX       sizeof(((struct sockaddr_un *)0)->sun_path)
#define SG_GATE_ALLOW_MAX   16  /* gate_allow lines */
#define SG_GATE_COMMAND_MAX 256 /* bytes of one, with the NUL */

enum sg_reason_mode {
        SG_REASON_REQUIRED,
        SG_REASON_OPTIONAL,
        SG_REASON_OFF,
};

struct sg_config {
        char staff_group[SG_NAME_MAX];
        char department_prefix[SG_PREFIX_MAX];
        enum sg_reason_mode reason;
        unsigned reason_min_length; /* 1..500 */
        enum sg_period default_period;
        struct sg_duration retention;
        bool terminate_sessions;
        bool default_right;
        struct sg_duration code_validity;
        struct sg_duration audit_checkpoint; /* how often the trail's head is journaled */
        char database[PATH_MAX];
        char socket[SG_SOCKET_MAX];
        /* Commands staff without export may run without a terminal, exactly as written
         * (SPEC §8); one per gate_allow line. */
        size_t n_gate_allow;
        char gate_allow[SG_GATE_ALLOW_MAX][SG_GATE_COMMAND_MAX];
};

/* The defaults of SPEC §4. */
void sg_config_init(struct sg_config *c);

/* Sets one key from its text value. -ENOKEY: unknown key; -EINVAL: bad value. err gets
 * "unknown key 'x'" or "bad value 'y' for key 'x': expected ...". */
int sg_config_set(struct sg_config *c, const char *key, const char *value, struct sg_error *err);

/* Parses a whole configuration text. Every line is tried: good lines are applied even when
 * another line is bad (the PAM module still learns staff_group from a file with one typo and
 * can deny staff while leaving everyone else alone). Returns 0 or the first error, with err
 * set to "NAME:LINE: message". */
int sg_config_parse(struct sg_config *c, const char *name, const char *text, size_t len,
                    struct sg_error *err);

/* Opens a trusted file: O_NOFOLLOW|O_CLOEXEC, must be a regular file owned by 'owner' (root
 * for everything but unit tests), not writable by group or others, at most max_size bytes.
 * Returns an fd, or -ENOENT, -EACCES, -ELOOP (symlink), -EPERM (owner/mode), -EFBIG,
 * -EBADF (not a regular file), with err describing it. */
int sg_open_trusted(const char *path, uid_t owner, size_t max_size, struct sg_error *err);

/* sg_open_trusted() + sg_config_parse(). -ENOENT when the file does not exist (callers
 * decide whether that is fatal). */
int sg_config_load(struct sg_config *c, const char *path, uid_t owner, struct sg_error *err);

/* Reads a configuration file WITHOUT the trust checks, for one purpose only: when the trusted
 * load failed, the PAM module must still learn which group the file names as staff, to deny
 * those accounts instead of taking them for customers. Never use what it returns to allow
 * anything. Follows symlinks, refuses what is not a regular file or is too big; bad lines are
 * skipped. */
int sg_config_load_untrusted(struct sg_config *c, const char *path);

/* The UID_MIN..UID_MAX range of human accounts from login.defs (defaults 1000..60000 when the
 * file or the keys are missing). path NULL means /etc/login.defs. */
int sg_login_defs_uid_range(const char *path, uid_t *ret_min, uid_t *ret_max);
