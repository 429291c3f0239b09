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

/* ---- the verifier ------------------------------------------------------------------------ */

#define N_CHAIN 5
struct chain {
        char *canonical[N_CHAIN];
        char prev[N_CHAIN][SG_AUDIT_HASH_LEN + 1];
        char hash[N_CHAIN][SG_AUDIT_HASH_LEN + 1];
};

/* Records seq first..first+N_CHAIN-1, the first after 'start'. */
static void chain_make(struct chain *ch, int64_t first, const char *start)
{
        for (int i = 0; i < N_CHAIN; i++) {
                char text[128];

                (void)snprintf(text, sizeof(text),
                               "{\"seq\":%d,\"time\":%d,\"event\":\"login-accepted\","
                               "\"reason\":\"r%d\"}",
                               (int)first + i, 1000 + i, i);
                ch->canonical[i] = canonical_of(text);
                memcpy(ch->prev[i], i ? ch->hash[i - 1] : start, SG_AUDIT_HASH_LEN + 1);
                assert_int_equal(sg_audit_hash(ch->prev[i], ch->canonical[i], ch->hash[i]), 0);
        }
}

static void chain_free(struct chain *ch)
{
        for (int i = 0; i < N_CHAIN; i++)
                free(ch->canonical[i]);
}

/* The records in the order 'order' (indexes; -1 ends it), checked. */
static enum sg_audit_break verify_order(struct chain *ch, const int *order,
                                        struct sg_audit_checkpoint *cps, size_t n_cps,
                                        struct sg_audit_verifier *v)
{
        sg_audit_verifier_init(v, cps, n_cps);
        for (int i = 0; order[i] >= 0; i++)
                assert_int_equal(sg_audit_verifier_add(v, ch->canonical[order[i]],
                                                       ch->prev[order[i]], ch->hash[order[i]], 0),
                                 0);
        sg_audit_verifier_end(v);
        return v->broken;
}

static void verifier_names_the_break(void **state)
{
        static const int all[] = {0, 1, 2, 3, 4, -1}, gap[] = {0, 1, 3, 4, -1},
                         swapped[] = {0, 1, 3, 2, 4, -1}, head[] = {0, 1, 2, -1};
        struct sg_audit_verifier v;
        struct sg_audit_checkpoint cp;
        struct chain ch;
        char cp_text[16 + SG_AUDIT_HASH_LEN];

        chain_make(&ch, 1, SG_AUDIT_GENESIS_PREV);
        /* The positive twin: the whole chain is intact, and says so. */
        assert_int_equal(verify_order(&ch, all, NULL, 0, &v), SG_AUDIT_INTACT);
        assert_int_equal(v.n, 5);
        assert_int_equal(v.first, 1);
        assert_int_equal(v.last, 5);
        assert_string_equal(v.last_hash, ch.hash[4]);

        assert_int_equal(verify_order(&ch, gap, NULL, 0, &v), SG_AUDIT_MISSING);
        assert_int_equal(v.bad_seq, 3);
        assert_non_null(strstr(v.what, "record 3 is missing"));

        assert_int_equal(verify_order(&ch, swapped, NULL, 0, &v), SG_AUDIT_REORDERED);
        assert_int_equal(v.bad_seq, 3);
        assert_non_null(strstr(v.what, "record 3 is out of its place: it comes after record 4"));

        /* A truncated tail is a trail that ends earlier: only a checkpoint beyond shows it. */
        assert_int_equal(verify_order(&ch, head, NULL, 0, &v), SG_AUDIT_INTACT);
        (void)snprintf(cp_text, sizeof(cp_text), "5:%s", ch.hash[4]);
        assert_int_equal(sg_audit_checkpoint_parse(cp_text, &cp), 0);
        assert_int_equal(verify_order(&ch, head, &cp, 1, &v), SG_AUDIT_TRUNCATED);
        assert_non_null(strstr(v.what, "ends at record 3"));
        assert_int_equal(verify_order(&ch, all, &cp, 1, &v), SG_AUDIT_INTACT);

        /* A record changed in place: its content no longer gives its hash. */
        strstr(ch.canonical[2], "\"r2\"")[2] = '9';
        assert_int_equal(verify_order(&ch, all, NULL, 0, &v), SG_AUDIT_CHANGED);
        assert_int_equal(v.bad_seq, 3);
        chain_free(&ch);
}

/* Rewritten from a record on (every hash recomputed): only a checkpoint shows it. */
static void verifier_checkpoints(void **state)
{
        static const int all[] = {0, 1, 2, 3, 4, -1};
        struct sg_audit_verifier v;
        struct sg_audit_checkpoint cp[2];
        struct chain ch, forged;
        char text[16 + SG_AUDIT_HASH_LEN];

        chain_make(&ch, 1, SG_AUDIT_GENESIS_PREV);
        (void)snprintf(text, sizeof(text), "4:%s", ch.hash[3]);
        assert_int_equal(sg_audit_checkpoint_parse(text, &cp[0]), 0);
        chain_make(&forged, 1, ch.hash[0]); /* another chain of the same seqs */
        assert_int_equal(verify_order(&ch, all, cp, 1, &v), SG_AUDIT_INTACT);
        assert_int_equal(verify_order(&forged, all, cp, 1, &v), SG_AUDIT_CHANGED);
        assert_int_equal(v.bad_seq, 1); /* the first record must follow no other */

        /* A pruned trail: starts after seq 10, vouched for by a checkpoint of record 10. */
        chain_free(&forged);
        chain_make(&forged, 11, ch.hash[4]);
        (void)snprintf(text, sizeof(text), "10:%s", ch.hash[4]);
        assert_int_equal(sg_audit_checkpoint_parse(text, &cp[1]), 0);
        assert_int_equal(verify_order(&forged, all, &cp[1], 1, &v), SG_AUDIT_INTACT);
        assert_true(v.start_vouched);
        assert_int_equal(verify_order(&forged, all, NULL, 0, &v), SG_AUDIT_INTACT);
        assert_false(v.start_vouched);
        (void)snprintf(text, sizeof(text), "10:%s", ch.hash[3]);
        assert_int_equal(sg_audit_checkpoint_parse(text, &cp[1]), 0);
        assert_int_equal(verify_order(&forged, all, &cp[1], 1, &v), SG_AUDIT_CHANGED);
        assert_int_equal(v.bad_seq, 11);

        assert_int_equal(sg_audit_checkpoint_parse("0:abc", &cp[0]), -EINVAL);
        assert_int_equal(sg_audit_checkpoint_parse(text + 3, &cp[0]), -EINVAL);
        text[3] = 'G';
        assert_int_equal(sg_audit_checkpoint_parse(text, &cp[0]), -EINVAL);
        chain_free(&forged);
        chain_free(&ch);
}

/* An exported line and back: the record, prev and hash as they were. */
static void lines(void **state)
{
        _cleanup_free_ char *c1 = canonical_of(record1), *line = NULL, *back = NULL;
        char prev[SG_AUDIT_HASH_LEN + 1], hash[SG_AUDIT_HASH_LEN + 1];

        assert_int_equal(sg_audit_line_format(c1, SG_AUDIT_GENESIS_PREV, hash1, &line), 0);
        assert_non_null(strstr(line, "\"hash\":\"ae3ade"));
        assert_int_equal(sg_audit_line_parse(line, &back, prev, hash), 0);
        assert_string_equal(back, c1);
        assert_string_equal(prev, SG_AUDIT_GENESIS_PREV);
        assert_string_equal(hash, hash1);
        free(back);
        back = NULL;
        assert_int_equal(sg_audit_line_parse("{\"seq\":1} x", &back, prev, hash), -EBADMSG);
        assert_int_equal(sg_audit_line_parse("{\"seq\":1}", &back, prev, hash), -EBADMSG);
        assert_null(back);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(canonical_json),
                cmocka_unit_test(chain_of_two),
                cmocka_unit_test(changes_are_seen),
                cmocka_unit_test(refused),
                cmocka_unit_test(verifier_names_the_break),
                cmocka_unit_test(verifier_checkpoints),
                cmocka_unit_test(lines),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
