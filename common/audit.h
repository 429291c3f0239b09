/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The audit trail's records (SPEC §11): their canonical JSON and the hash that chains them.
 *
 * A record is one JSON object: seq, time, event and the event's fields, without prev and hash.
 * Its canonical form is that object with every object's keys sorted (by code point) and no
 * whitespace: what Python's json.dumps(record, sort_keys=True, separators=(",", ":"),
 * ensure_ascii=False) writes, so that anyone can check a trail with stock tools. Only
 * strings, integers, booleans, null, arrays and objects occur in records (no floats).
 *
 * hash = SHA-256, in lowercase hex, of the ASCII bytes of prev (the previous record's hash, or
 * SG_AUDIT_GENESIS_PREV for the first record) immediately followed by the canonical JSON. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"

#define SG_AUDIT_HASH_LEN     64
#define SG_AUDIT_GENESIS_PREV "0000000000000000000000000000000000000000000000000000000000000000"

/* The canonical JSON of record into *ret (malloc'd). -EINVAL for a value that has no canonical
 * form here (a float), -ENOMEM. */
int sg_audit_canonical(json_object *record, char **ret);

/* The chain's hash of a record with this canonical JSON after prev (SG_AUDIT_HASH_LEN hex
 * digits). -EINVAL for a prev that is not such a hash, -EIO when libcrypto fails. */
int sg_audit_hash(const char *prev, const char *canonical, char ret[static SG_AUDIT_HASH_LEN + 1]);

/* SHA-256 over data given piece by piece, in hex. */
typedef struct sg_audit_digest sg_audit_digest;
int sg_audit_digest_new(sg_audit_digest **ret);
int sg_audit_digest_update(sg_audit_digest *d, const void *data, size_t n);
int sg_audit_digest_final(sg_audit_digest *d, char ret[static SG_AUDIT_HASH_LEN + 1]);
void sg_audit_digest_free(sg_audit_digest *d);
static inline void sg_audit_digest_freep(sg_audit_digest **d)
{
        sg_audit_digest_free(*d);
}

/* Whether s is SG_AUDIT_HASH_LEN lowercase hex digits. */
bool sg_audit_hash_is_valid(const char *s);

/* A new record (without seq, which the store gives it) of one event at time (Unix seconds):
 * {"time":..., "event":"login-accepted", ...} and the event's fields under the names of their
 * journal fields, lowercase and without SUPPORTGRANT_ ("user", "grant_id", "reason", ...).
 * Fields left out of f are left out here too. NULL on -ENOMEM. */
json_object *sg_audit_record_new(int64_t time, const char *event, const struct sg_event_fields *f);

/* A head written down earlier: the journal's audit-checkpoint entries, or one a customer gives
 * (--checkpoint SEQ:HASH). origin says where it came from, for the messages. */
struct sg_audit_checkpoint {
        int64_t seq;
        char hash[SG_AUDIT_HASH_LEN + 1];
        char origin[96];
};
/* "SEQ:HASH" into ret; -EINVAL when it is not that. */
int sg_audit_checkpoint_parse(const char *s, struct sg_audit_checkpoint *ret);

/* How a trail first breaks. */
enum sg_audit_break {
        SG_AUDIT_INTACT,
        SG_AUDIT_CHANGED,   /* a record's content or hash is not what was chained or noted */
        SG_AUDIT_MISSING,   /* a seq is skipped */
        SG_AUDIT_REORDERED, /* a record is out of its place */
        SG_AUDIT_TRUNCATED, /* a checkpoint lies beyond the trail's end */
        SG_AUDIT_MALFORMED, /* not a record at all */
};
const char *sg_audit_break_to_string(enum sg_audit_break b); /* "changed", ... */

/* Checks a trail record by record, in the order given. Every record goes through
 * sg_audit_verifier_add(), then sg_audit_verifier_end() once. The checkpoints (sorted by
 * seq by sg_audit_verifier_init(); the array stays the caller's) must each match the record
 * of their seq, and none may lie beyond the end. A trail that starts after seq 1 (pruned)
 * starts "vouched" when a checkpoint names the record before its first. */
struct sg_audit_verifier {
        struct sg_audit_checkpoint *checkpoints;
        size_t n_checkpoints, next_checkpoint;
        uint64_t n;
        int64_t first, last;
        char last_hash[SG_AUDIT_HASH_LEN + 1];
        bool start_vouched;

        enum sg_audit_break broken;
        int64_t bad_seq; /* the record that first breaks it */
        int64_t missing; /* a missing seq; seen later, it was reordered */
        int64_t seen;    /* the seq of the record added last */
        char what[320];  /* in words, for the one line of output */
};
void sg_audit_verifier_init(struct sg_audit_verifier *v, struct sg_audit_checkpoint *checkpoints,
                            size_t n);
/* One record: its canonical JSON (as stored, or made from an exported line without prev and
 * hash), and the prev and hash it came with. position is where it was found (the database's
 * seq of the row, or 0 when only the order tells). Returns 0 (whether intact or not so far),
 * -ENOMEM or -EIO. */
int sg_audit_verifier_add(struct sg_audit_verifier *v, const char *canonical, const char *prev,
                          const char *hash, int64_t position);
/* An exported line (sg_audit_line_parse()) added as above, in file order; one that is not a
 * record breaks the trail as malformed, named by where (e.g. "trail.jsonl, line 7"). */
int sg_audit_verifier_add_line(struct sg_audit_verifier *v, const char *line, const char *where);
/* Whether more records can change the outcome: not once the trail broke, except that a
 * missing record may still turn up later (then it was reordered). */
bool sg_audit_verifier_done(const struct sg_audit_verifier *v);
void sg_audit_verifier_end(struct sg_audit_verifier *v);
/* The result, as AuditVerify answers it and "supportgrant audit verify --json" prints it:
 * intact, records, first, last, head, checkpoints (how many were compared), start_vouched,
 * and when broken: break (sg_audit_break_to_string()), seq and message. */
json_object *sg_audit_verifier_to_json(const struct sg_audit_verifier *v, size_t n_checkpoints);
/* An exported line (one JSON object with prev and hash) into its canonical record, prev and
 * hash. -EBADMSG when it is not one. */
int sg_audit_line_parse(const char *line, char **ret_canonical,
                        char ret_prev[static SG_AUDIT_HASH_LEN + 1],
                        char ret_hash[static SG_AUDIT_HASH_LEN + 1]);
/* The exported line of a stored record: the record with prev and hash added, canonical. */
int sg_audit_line_format(const char *canonical, const char *prev, const char *hash, char **ret);
