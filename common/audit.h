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

#define SG_AUDIT_HASH_LEN     64
#define SG_AUDIT_GENESIS_PREV "0000000000000000000000000000000000000000000000000000000000000000"

/* The canonical JSON of record into *ret (malloc'd). -EINVAL for a value that has no canonical
 * form here (a float), -ENOMEM. */
int sg_audit_canonical(json_object *record, char **ret);

/* The chain's hash of a record with this canonical JSON after prev (SG_AUDIT_HASH_LEN hex
 * digits). -EINVAL for a prev that is not such a hash, -EIO when libcrypto fails. */
int sg_audit_hash(const char *prev, const char *canonical, char ret[static SG_AUDIT_HASH_LEN + 1]);

/* Whether s is SG_AUDIT_HASH_LEN lowercase hex digits. */
bool sg_audit_hash_is_valid(const char *s);
