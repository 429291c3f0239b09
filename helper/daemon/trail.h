/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The audit trail's checkpoints (SPEC §11): its head written to the journal every
 * audit_checkpoint and at every prune, and read back to verify the trail against. */

#include <stddef.h>
#include <time.h>

#include "audit.h"
#include "manager.h"

/* Journals the trail's head as an audit-checkpoint entry (when it moved since the last one,
 * unless forced) and remembers it in the database. Commits the open batch first: a
 * checkpoint names only what is durable. */
int trail_checkpoint_head(struct manager *m, bool force, const char *why);
/* Cuts the records made before the newest checkpoint older than cutoff, so that the oldest
 * kept record follows a journaled head; that head is journaled again, so that it stays
 * within the journal's own retention. Called by the prune, in its batch. */
int trail_prune(struct manager *m, sg_store *s, time_t cutoff);
/* The checkpoints of this trail in the journal (written by root, _UID=0). */
int trail_journal_checkpoints(const char *trail, struct sg_audit_checkpoint **ret, size_t *ret_n);
int trail_setup(struct manager *m);
