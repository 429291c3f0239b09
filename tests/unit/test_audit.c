/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit trail's canonical JSON and hash chain (common/audit.c) against vectors computed
 * independently, with Python's json and hashlib:
 *
 *   c = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
 *   hash = hashlib.sha256((prev + c).encode()).hexdigest()
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audit.h"
#include "macro.h"

/* Keys out of order, nesting, and a string with every kind of escape a record can hold. */
static const char record1[] =
        "{\"seq\":1,\"time\":\"2026-12-07T10:00:00Z\",\"event\":\"grant-created\","
        "\"user\":\"jdoe\",\"note\":\"a/b \\\"q\\\" \xc3\xbc\\\\ \\u001b\",\"grant_id\":3,"
        "\"nested\":{\"z\":1,\"a\":[2,1]}}";
static const char canonical1[] =
        "{\"event\":\"grant-created\",\"grant_id\":3,\"nested\":{\"a\":[2,1],\"z\":1},"
        "\"note\":\"a/b \\\"q\\\" \xc3\xbc\\\\ \\u001b\",\"seq\":1,"
        "\"time\":\"2026-12-07T10:00:00Z\",\"user\":\"jdoe\"}";
static const char hash1[] = "ae3ade5db5952cf326cbe7c0384f7c6e3e6ae23d4ceea67751f1f9fcbfc94616";

static const char record2[] = "{\"seq\":2,\"time\":\"2026-12-07T10:05:00Z\",\"event\":"
                              "\"login-accepted\",\"user\":\"jdoe\",\"reason\":\"ticket 4711\","
                              "\"login_id\":9}";
static const char hash2[] = "c7c81cdd27729764d5a814171a6c53fecefd498376a34bed5862e58437167cb8";

static char *canonical_of(const char *text)
{
        json_object *o = json_tokener_parse(text);
        char *c = NULL;

        assert_non_null(o);
        assert_int_equal(sg_audit_canonical(o, &c), 0);
        json_object_put(o);
        return c;
}

static void canonical_json(void **state)
{
        _cleanup_free_ char *c = canonical_of(record1);

        assert_string_equal(c, canonical1);
        /* Already canonical: unchanged. */
        free(c);
        c = canonical_of(canonical1);
        assert_string_equal(c, canonical1);
}

static void chain_of_two(void **state)
{
        _cleanup_free_ char *c1 = canonical_of(record1), *c2 = canonical_of(record2);
        char h1[SG_AUDIT_HASH_LEN + 1], h2[SG_AUDIT_HASH_LEN + 1];

        assert_int_equal(sg_audit_hash(SG_AUDIT_GENESIS_PREV, c1, h1), 0);
        assert_string_equal(h1, hash1);
        assert_int_equal(sg_audit_hash(h1, c2, h2), 0);
        assert_string_equal(h2, hash2);
        assert_true(sg_audit_hash_is_valid(h2));
}

/* Any change of the record, or of what it follows, gives another hash. */
static void changes_are_seen(void **state)
{
        _cleanup_free_ char *c2 = canonical_of(record2);
        char h[SG_AUDIT_HASH_LEN + 1], prev[SG_AUDIT_HASH_LEN + 1];

        memcpy(prev, hash1, sizeof(prev));
        prev[0] = prev[0] == 'a' ? 'b' : 'a';
        assert_int_equal(sg_audit_hash(prev, c2, h), 0);
        assert_string_not_equal(h, hash2);
        c2[strlen(c2) - 2] = '8'; /* login_id 9 -> 8 */
        assert_int_equal(sg_audit_hash(hash1, c2, h), 0);
        assert_string_not_equal(h, hash2);
}

static void refused(void **state)
{
        json_object *o = json_tokener_parse("{\"seq\":1,\"x\":1.5}");
        char h[SG_AUDIT_HASH_LEN + 1], *c = NULL;

        assert_int_equal(sg_audit_canonical(o, &c), -EINVAL); /* no floats in records */
        assert_null(c);
        json_object_put(o);
        o = json_tokener_parse("[1,2]");
        assert_int_equal(sg_audit_canonical(o, &c), -EINVAL); /* a record is an object */
        json_object_put(o);
        assert_int_equal(sg_audit_hash("abc", "{}", h), -EINVAL);
        assert_int_equal(
                sg_audit_hash("AE3ADE5DB5952CF326CBE7C0384F7C6E3E6AE23D4CEEA67751F1F9FCBFC94616",
                              "{}", h),
                -EINVAL); /* lowercase only */
        assert_false(sg_audit_hash_is_valid(NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(canonical_json),
                cmocka_unit_test(chain_of_two),
                cmocka_unit_test(changes_are_seen),
                cmocka_unit_test(refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
