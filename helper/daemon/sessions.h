/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Ending sessions when access ends: the expiry timer, the periodic sweeps, the sessions the
 * gate started with export, and pruning. See supportgrantd(8), "ENDING SESSIONS". */

#include <sys/types.h>

#include "manager.h"

#define SESSIONS_SWEEP_USEC      (30ULL * 1000000) /* safety net behind the expiry timer */
#define SESSIONS_STRAY_USEC      (1ULL * 1000000)  /* new processes of uncovered staff */
#define SESSIONS_MAX_QUIET_UIDS  4096
#define SESSIONS_PRUNE_USEC      (6ULL * 3600 * 1000000)
#define SESSIONS_KILL_GRACE_USEC (1ULL * 1000000) /* SIGTERM/SIGHUP, then SIGKILL */
#define SESSIONS_KILL_PASSES     10               /* SIGKILL sweeps over /proc per uid */
#define SESSIONS_MAX_SESSIONS    4096             /* open sessions looked at per sweep */
#define SESSIONS_MAX_EXPORTS     1024             /* sessions the gate started with export */
#define SESSIONS_MAX_EXPORTS_UID 64               /* ... per staff account */

int sessions_setup(struct manager *m);
int sessions_sweep(struct manager *m, const char *why);
/* After a reload: every session judged again by the new configuration. */
int sessions_after_reload(struct manager *m);
int expiry_timer_update(struct manager *m);
int prune_now(struct manager *m);
/* Remembers a session the gate is about to start with export (see struct export_session);
 * kept in the runtime directory too, so that a restarted daemon still ends it. */
int exports_add(struct manager *m, pid_t pid, uid_t uid, const char *user);
void exports_load(struct manager *m);
