/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit trail's canonical JSON and hash chain (audit.h). */
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdarg.h>
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

struct sg_audit_digest {
        EVP_MD_CTX *ctx;
};

int sg_audit_digest_new(sg_audit_digest **ret)
{
        sg_audit_digest *d = calloc(1, sizeof(*d));

        if (!d)
                return -ENOMEM;
        d->ctx = EVP_MD_CTX_new();
        if (!d->ctx || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1) {
                sg_audit_digest_free(d);
                return -EIO;
        }
        *ret = d;
        return 0;
}

int sg_audit_digest_update(sg_audit_digest *d, const void *data, size_t n)
{
        return EVP_DigestUpdate(d->ctx, data, n) == 1 ? 0 : -EIO;
}

int sg_audit_digest_final(sg_audit_digest *d, char ret[static SG_AUDIT_HASH_LEN + 1])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;

        if (EVP_DigestFinal_ex(d->ctx, md, &len) != 1 || len * 2 != SG_AUDIT_HASH_LEN)
                return -EIO;
        for (unsigned int i = 0; i < len; i++)
                (void)snprintf(ret + 2 * i, 3, "%02x", md[i]);
        return 0;
}

void sg_audit_digest_free(sg_audit_digest *d)
{
        if (!d)
                return;
        EVP_MD_CTX_free(d->ctx);
        free(d);
}

int sg_audit_hash(const char *prev, const char *canonical, char ret[static SG_AUDIT_HASH_LEN + 1])
{
        _cleanup_(sg_audit_digest_freep) sg_audit_digest *d = NULL;
        int r;

        if (!sg_audit_hash_is_valid(prev) || !canonical)
                return -EINVAL;
        r = sg_audit_digest_new(&d);
        if (r >= 0)
                r = sg_audit_digest_update(d, prev, SG_AUDIT_HASH_LEN);
        if (r >= 0)
                r = sg_audit_digest_update(d, canonical, strlen(canonical));
        if (r >= 0)
                r = sg_audit_digest_final(d, ret);
        return r;
}

/* ---- records ----------------------------------------------------------------------------- */

static int add_string(json_object *o, const char *key, const char *value)
{
        json_object *v;

        if (isempty(value))
                return 0;
        v = json_object_new_string(value);
        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int add_int(json_object *o, const char *key, int64_t value)
{
        json_object *v = json_object_new_int64(value);

        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

json_object *sg_audit_record_new(int64_t time, const char *event, const struct sg_event_fields *f)
{
        json_object *o = json_object_new_object();
        int r = 0;

        if (!o)
                return NULL;
        RET_GATHER(r, add_int(o, "time", time));
        RET_GATHER(r, add_string(o, "event", event));
        if (f) {
                RET_GATHER(r, add_string(o, "user", f->user));
                RET_GATHER(r, add_string(o, "department", f->department));
                if (f->grant_ids)
                        RET_GATHER(r, add_string(o, "grant_id", f->grant_ids));
                else if (f->grant_id > 0)
                        RET_GATHER(r, add_int(o, "grant_id", f->grant_id));
                if (f->login_id > 0)
                        RET_GATHER(r, add_int(o, "login_id", f->login_id));
                RET_GATHER(r, add_string(o, "reason", f->reason));
                RET_GATHER(r, add_string(o, "service", f->service));
                RET_GATHER(r, add_string(o, "rhost", f->rhost));
                RET_GATHER(r, add_string(o, "actor", f->actor));
                RET_GATHER(r, add_string(o, "expires", f->expires));
                RET_GATHER(r, add_string(o, "command", f->command));
                RET_GATHER(r, add_string(o, "detail", f->detail));
                RET_GATHER(r, add_string(o, "right", f->right));
                if (f->export >= 0) {
                        json_object *b = json_object_new_boolean(f->export);

                        if (!b || json_object_object_add(o, "export", b) < 0) {
                                json_object_put(b);
                                r = -ENOMEM;
                        }
                }
        }
        if (r < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

/* ---- checking a trail -------------------------------------------------------------------- */

int sg_audit_checkpoint_parse(const char *s, struct sg_audit_checkpoint *ret)
{
        const char *colon = s ? strchr(s, ':') : NULL;
        char *end = NULL;
        long long seq;

        if (!colon || colon == s || !sg_audit_hash_is_valid(colon + 1))
                return -EINVAL;
        errno = 0;
        seq = strtoll(s, &end, 10);
        if (errno != 0 || end != colon || seq < 1 || s[0] == '+' || s[0] == '-')
                return -EINVAL;
        *ret = (struct sg_audit_checkpoint){.seq = seq};
        memcpy(ret->hash, colon + 1, SG_AUDIT_HASH_LEN + 1);
        (void)snprintf(ret->origin, sizeof(ret->origin), "the checkpoint given");
        return 0;
}

const char *sg_audit_break_to_string(enum sg_audit_break b)
{
        static const char *const names[] = {
                [SG_AUDIT_INTACT] = "intact",       [SG_AUDIT_CHANGED] = "changed",
                [SG_AUDIT_MISSING] = "missing",     [SG_AUDIT_REORDERED] = "reordered",
                [SG_AUDIT_TRUNCATED] = "truncated", [SG_AUDIT_MALFORMED] = "malformed",
        };
        return b >= 0 && (size_t)b < ELEMENTSOF(names) ? names[b] : NULL;
}

static int checkpoint_cmp(const void *a, const void *b)
{
        const struct sg_audit_checkpoint *x = a, *y = b;

        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void sg_audit_verifier_init(struct sg_audit_verifier *v, struct sg_audit_checkpoint *checkpoints,
                            size_t n)
{
        *v = (struct sg_audit_verifier){.checkpoints = checkpoints, .n_checkpoints = n};
        if (n > 0)
                qsort(checkpoints, n, sizeof(*checkpoints), checkpoint_cmp);
}

static void broken(struct sg_audit_verifier *v, enum sg_audit_break b, int64_t seq, const char *fmt,
                   ...) _printf_(4, 5);
static void broken(struct sg_audit_verifier *v, enum sg_audit_break b, int64_t seq, const char *fmt,
                   ...)
{
        va_list ap;

        v->broken = b;
        v->bad_seq = seq;
        va_start(ap, fmt);
        (void)vsnprintf(v->what, sizeof(v->what), fmt, ap);
        va_end(ap);
}

static int64_t record_seq(const char *canonical)
{
        json_object *o = json_tokener_parse(canonical), *seq = NULL;
        int64_t r = -1;

        if (o && json_object_object_get_ex(o, "seq", &seq) &&
            json_object_is_type(seq, json_type_int))
                r = json_object_get_int64(seq);
        json_object_put(o);
        return r;
}

/* The checkpoints at this seq, each of which must name this hash. */
static void check_checkpoints(struct sg_audit_verifier *v, int64_t seq, const char *hash)
{
        while (v->next_checkpoint < v->n_checkpoints &&
               v->checkpoints[v->next_checkpoint].seq <= seq) {
                const struct sg_audit_checkpoint *c = &v->checkpoints[v->next_checkpoint++];

                if (c->seq == seq && !streq(c->hash, hash) && !v->broken)
                        broken(v, SG_AUDIT_CHANGED, seq,
                               "record %" PRId64 " was changed: %s says its hash is %.12s…, "
                               "the trail has %.12s…",
                               seq, c->origin, c->hash, hash);
        }
}

static int verifier_add(struct sg_audit_verifier *v, int64_t seq, const char *canonical,
                        const char *prev, const char *hash, int64_t position)
{
        char computed[SG_AUDIT_HASH_LEN + 1];
        int r;

        if (v->broken) {
                /* Only to tell a record out of its place from one that is gone. */
                if (v->broken == SG_AUDIT_MISSING && seq == v->missing) {
                        v->broken = SG_AUDIT_REORDERED;
                        (void)snprintf(v->what, sizeof(v->what),
                                       "record %" PRId64 " is out of its place: it comes after "
                                       "record %" PRId64,
                                       seq, v->seen);
                }
                return 0;
        }
        if (seq < 1 || !sg_audit_hash_is_valid(prev) || !sg_audit_hash_is_valid(hash)) {
                broken(v, SG_AUDIT_MALFORMED, v->n ? v->last + 1 : 0,
                       "the record after %s%" PRId64 " is not an audit record (seq, prev and "
                       "hash are required)",
                       v->n ? "record " : "the start, seq ", v->n ? v->last : 0);
                return 0;
        }
        if (position > 0 && position != seq) {
                broken(v, SG_AUDIT_REORDERED, position,
                       "record %" PRId64 " is out of its place: the trail holds record %" PRId64
                       " there",
                       position, seq);
                return 0;
        }
        if (v->n == 0) {
                v->first = seq;
                if (seq == 1 && !streq(prev, SG_AUDIT_GENESIS_PREV)) {
                        broken(v, SG_AUDIT_CHANGED, 1,
                               "record 1 was changed: the first record must follow no other");
                        return 0;
                }
                v->start_vouched = seq == 1;
                /* A pruned start: a checkpoint of the record before it vouches for it. */
                while (v->next_checkpoint < v->n_checkpoints &&
                       v->checkpoints[v->next_checkpoint].seq < seq - 1)
                        v->next_checkpoint++;
                if (seq > 1)
                        for (size_t i = v->next_checkpoint; i < v->n_checkpoints; i++) {
                                const struct sg_audit_checkpoint *c = &v->checkpoints[i];

                                if (c->seq != seq - 1)
                                        break;
                                if (!streq(c->hash, prev)) {
                                        broken(v, SG_AUDIT_CHANGED, seq,
                                               "record %" PRId64 " was changed: it follows "
                                               "%.12s…, but %s says record %" PRId64 " was %.12s…",
                                               seq, prev, c->origin, c->seq, c->hash);
                                        return 0;
                                }
                                v->start_vouched = true;
                        }
        } else if (seq > v->last + 1) {
                v->missing = v->last + 1;
                broken(v, SG_AUDIT_MISSING, v->last + 1,
                       "record %" PRId64 " is missing: record %" PRId64 " comes after record "
                       "%" PRId64,
                       v->last + 1, seq, v->last);
                return 0;
        } else if (seq <= v->last) {
                broken(v, SG_AUDIT_REORDERED, seq,
                       "record %" PRId64 " is out of its place: it comes after record %" PRId64,
                       seq, v->last);
                return 0;
        } else if (!streq(prev, v->last_hash)) {
                broken(v, SG_AUDIT_CHANGED, v->last,
                       "record %" PRId64 " was changed: record %" PRId64
                       " was chained to another hash",
                       v->last, seq);
                return 0;
        }
        r = sg_audit_hash(prev, canonical, computed);
        if (r < 0)
                return r == -EINVAL ? -EIO : r;
        if (!streq(computed, hash)) {
                broken(v, SG_AUDIT_CHANGED, seq,
                       "record %" PRId64 " was changed: its content does not match its hash", seq);
                return 0;
        }
        check_checkpoints(v, seq, hash);
        if (v->broken)
                return 0;
        v->n++;
        v->last = seq;
        memcpy(v->last_hash, hash, sizeof(v->last_hash));
        return 0;
}

int sg_audit_verifier_add(struct sg_audit_verifier *v, const char *canonical, const char *prev,
                          const char *hash, int64_t position)
{
        int64_t seq = canonical ? record_seq(canonical) : -1;
        int r = verifier_add(v, seq, canonical, prev, hash, position);

        v->seen = seq;
        return r;
}

int sg_audit_verifier_add_line(struct sg_audit_verifier *v, const char *line, const char *where)
{
        _cleanup_free_ char *canonical = NULL;
        char prev[SG_AUDIT_HASH_LEN + 1], hash[SG_AUDIT_HASH_LEN + 1];
        int r;

        r = sg_audit_line_parse(line, &canonical, prev, hash);
        if (r == -EBADMSG) {
                if (!v->broken)
                        broken(v, SG_AUDIT_MALFORMED, v->n ? v->last + 1 : 0,
                               "%s: not an audit record (one JSON object with seq, prev and "
                               "hash)",
                               where);
                return 0;
        }
        if (r < 0)
                return r;
        return sg_audit_verifier_add(v, canonical, prev, hash, 0);
}

bool sg_audit_verifier_done(const struct sg_audit_verifier *v)
{
        return v->broken && v->broken != SG_AUDIT_MISSING;
}

void sg_audit_verifier_end(struct sg_audit_verifier *v)
{
        if (v->broken)
                return;
        for (size_t i = v->next_checkpoint; i < v->n_checkpoints; i++) {
                const struct sg_audit_checkpoint *c = &v->checkpoints[i];

                if (v->n > 0 && c->seq <= v->last)
                        continue;
                broken(v, SG_AUDIT_TRUNCATED, v->n ? v->last + 1 : 1,
                       "the trail was truncated: it ends at record %" PRId64
                       ", but %s names record %" PRId64,
                       v->n ? v->last : 0, c->origin, c->seq);
                return;
        }
        if (v->n == 0)
                broken(v, SG_AUDIT_TRUNCATED, 1, "the trail holds no record at all");
}

json_object *sg_audit_verifier_to_json(const struct sg_audit_verifier *v, size_t n_checkpoints)
{
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        (void)json_object_object_add(o, "intact", json_object_new_boolean(!v->broken));
        (void)json_object_object_add(o, "records", json_object_new_int64((int64_t)v->n));
        (void)json_object_object_add(o, "first", json_object_new_int64(v->first));
        (void)json_object_object_add(o, "last", json_object_new_int64(v->last));
        (void)json_object_object_add(o, "head", v->n ? json_object_new_string(v->last_hash) : NULL);
        (void)json_object_object_add(o, "checkpoints",
                                     json_object_new_int64((int64_t)n_checkpoints));
        (void)json_object_object_add(o, "start_vouched", json_object_new_boolean(v->start_vouched));
        if (v->broken) {
                (void)json_object_object_add(
                        o, "break", json_object_new_string(sg_audit_break_to_string(v->broken)));
                (void)json_object_object_add(o, "seq", json_object_new_int64(v->bad_seq));
                (void)json_object_object_add(o, "message", json_object_new_string(v->what));
        }
        return o;
}

/* ---- exported lines ---------------------------------------------------------------------- */

static int take_hash(json_object *o, const char *key, char ret[static SG_AUDIT_HASH_LEN + 1])
{
        json_object *v = NULL;
        const char *s;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        s = json_object_get_string(v);
        if (!sg_audit_hash_is_valid(s))
                return -EBADMSG;
        memcpy(ret, s, SG_AUDIT_HASH_LEN + 1);
        json_object_object_del(o, key);
        return 0;
}

int sg_audit_line_parse(const char *line, char **ret_canonical,
                        char ret_prev[static SG_AUDIT_HASH_LEN + 1],
                        char ret_hash[static SG_AUDIT_HASH_LEN + 1])
{
        json_tokener *tok = json_tokener_new();
        json_object *o;
        size_t len = strlen(line);
        int r;

        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, line, (int)len);
        /* One object and nothing after it but the line's end. */
        if (!o || json_tokener_get_error(tok) != json_tokener_success ||
            strspn(line + json_tokener_get_parse_end(tok), " \t\r\n") !=
                    len - json_tokener_get_parse_end(tok) ||
            !json_object_is_type(o, json_type_object))
                r = -EBADMSG;
        else {
                r = take_hash(o, "prev", ret_prev);
                if (r >= 0)
                        r = take_hash(o, "hash", ret_hash);
                if (r >= 0)
                        r = sg_audit_canonical(o, ret_canonical);
                if (r == -EINVAL)
                        r = -EBADMSG;
        }
        json_object_put(o);
        json_tokener_free(tok);
        return r;
}

int sg_audit_line_format(const char *canonical, const char *prev, const char *hash, char **ret)
{
        json_object *o = json_tokener_parse(canonical);
        int r = -EBADMSG;

        if (o && json_object_is_type(o, json_type_object)) {
                r = add_string(o, "prev", prev);
                if (r >= 0)
                        r = add_string(o, "hash", hash);
                if (r >= 0)
                        r = sg_audit_canonical(o, ret);
        }
        json_object_put(o);
        return r;
}
