/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit trail's canonical JSON and hash chain (audit.h). */
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "macro.h"

static int key_cmp(const void *a, const void *b)
{
        /* strcmp compares bytes; on UTF-8 that is the code point order Python sorts by. */
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy of v with the keys of every object inserted in sorted order: json-c writes an
 * object's keys in the order they were added. */
static int sorted_copy(json_object *v, json_object **ret)
{
        switch (json_object_get_type(v)) {
        case json_type_null:
                *ret = NULL;
                return 0;
        case json_type_boolean:
        case json_type_int:
        case json_type_string:
                *ret = json_object_get(v);
                return 0;
        case json_type_double:
                return -EINVAL;
        case json_type_array: {
                json_object *a = json_object_new_array();
                size_t n = json_object_array_length(v);

                if (!a)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        json_object *e = NULL;
                        int r = sorted_copy(json_object_array_get_idx(v, i), &e);

                        if (r < 0 || json_object_array_add(a, e) < 0) {
                                json_object_put(e);
                                json_object_put(a);
                                return r < 0 ? r : -ENOMEM;
                        }
                }
                *ret = a;
                return 0;
        }
        case json_type_object: {
                _cleanup_free_ const char **keys = NULL;
                json_object *o = json_object_new_object();
                size_t n = 0, size = (size_t)json_object_object_length(v);

                keys = calloc(size ? size : 1, sizeof(*keys));
                if (!o || !keys) {
                        json_object_put(o);
                        return -ENOMEM;
                }
                json_object_object_foreach(v, key, val)
                {
                        (void)val;
                        keys[n++] = key;
                }
                qsort(keys, n, sizeof(*keys), key_cmp);
                for (size_t i = 0; i < n; i++) {
                        json_object *e = NULL;
                        int r = sorted_copy(json_object_object_get(v, keys[i]), &e);

                        if (r < 0 || json_object_object_add(o, keys[i], e) < 0) {
                                json_object_put(e);
                                json_object_put(o);
                                return r < 0 ? r : -ENOMEM;
                        }
                }
                *ret = o;
                return 0;
        }
        }
        return -EINVAL;
}

int sg_audit_canonical(json_object *record, char **ret)
{
        json_object *sorted = NULL;
        const char *text;
        int r;

        if (!json_object_is_type(record, json_type_object))
                return -EINVAL;
        r = sorted_copy(record, &sorted);
        if (r < 0)
                return r;
        text = json_object_to_json_string_ext(sorted, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
        *ret = text ? strdup(text) : NULL;
        json_object_put(sorted);
        return *ret ? 0 : -ENOMEM;
}

bool sg_audit_hash_is_valid(const char *s)
{
        if (!s || strlen(s) != SG_AUDIT_HASH_LEN)
                return false;
        return strspn(s, "0123456789abcdef") == SG_AUDIT_HASH_LEN;
}

int sg_audit_hash(const char *prev, const char *canonical, char ret[static SG_AUDIT_HASH_LEN + 1])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_MD_CTX *ctx;
        int ok;

        if (!sg_audit_hash_is_valid(prev) || !canonical)
                return -EINVAL;
        ctx = EVP_MD_CTX_new();
        if (!ctx)
                return -ENOMEM;
        ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, prev, SG_AUDIT_HASH_LEN) == 1 &&
             EVP_DigestUpdate(ctx, canonical, strlen(canonical)) == 1 &&
             EVP_DigestFinal_ex(ctx, md, &len) == 1 && len * 2 == SG_AUDIT_HASH_LEN;
        EVP_MD_CTX_free(ctx);
        if (!ok)
                return -EIO;
        for (unsigned int i = 0; i < len; i++)
                (void)snprintf(ret + 2 * i, 3, "%02x", md[i]);
        return 0;
}
