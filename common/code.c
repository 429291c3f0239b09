/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <zlib.h>

#include "code.h"
#include "macro.h"

#define CODE_VERSION    1
#define FLAG_DEPARTMENT 0x01
#define FLAG_EXPORT     0x02
#define FLAGS_KNOWN     (FLAG_DEPARTMENT | FLAG_EXPORT)

/* Offsets in the payload (see code.h). */
#define OFF_VERSION    0
#define OFF_FLAGS      1
#define OFF_PERIOD     2
#define OFF_CREATED    3
#define OFF_NONCE      11
#define OFF_TARGET_LEN (OFF_NONCE + SG_CODE_NONCE_LEN)
#define CRC_LEN        4

/* The shortest valid payload: a one-character target, no note. */
#define PAYLOAD_MIN (OFF_TARGET_LEN + 1 + 1 + 1 + CRC_LEN)
#define PAYLOAD_MAX (OFF_TARGET_LEN + 1 + (SG_NAME_MAX - 1) + 1 + SG_NOTE_MAX_BYTES + CRC_LEN)

#define PREFIX_LEN (sizeof(SG_CODE_PREFIX) - 1)
#define GROUP_LEN  5

/* Longer text is refused before anything else is done with it, so that a hostile caller cannot
 * make us walk megabytes; it also bounds the decode buffer (each character at most 5 bits). */
#define INPUT_MAX  4096
#define DECODE_MAX (INPUT_MAX * 5 / 8 + 1)

#define SYMBOLS_FOR(bytes)  (((bytes)*8 + 4) / 5)
#define TEXT_LEN_FOR(bytes) (PREFIX_LEN + SYMBOLS_FOR(bytes) + (SYMBOLS_FOR(bytes) - 1) / GROUP_LEN)

_Static_assert(TEXT_LEN_FOR(PAYLOAD_MAX) + 1 <= SG_CODE_MAX,
               "SG_CODE_MAX must hold the longest code");
_Static_assert(SG_NAME_MAX - 1 <= UINT8_MAX && SG_NOTE_MAX_BYTES <= UINT8_MAX,
               "lengths are stored in one byte");

/* Crockford's base32: no I, L, O (read as 1, 1, 0) and no U, so that a code read aloud or
 * copied by hand survives. */
static const char alphabet[32] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int symbol_value(char c)
{
        const char *p;

        if (c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
        if (c == 'O')
                return 0;
        if (c == 'I' || c == 'L')
                return 1;
        if (c == 0)
                return -EINVAL;
        p = memchr(alphabet, c, sizeof(alphabet));
        return p ? (int)(p - alphabet) : -EINVAL;
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static void put_be64(uint8_t *p, uint64_t v)
{
        for (int i = 7; i >= 0; i--) {
                p[i] = (uint8_t)(v & 0xFF);
                v >>= 8;
        }
}

static uint64_t get_be64(const uint8_t *p)
{
        uint64_t v = 0;

        for (int i = 0; i < 8; i++)
                v = (v << 8) | p[i];
        return v;
}

static uint32_t payload_crc(const uint8_t *p, size_t n)
{
        return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

static bool nonce_is_zero(const uint8_t nonce[static SG_CODE_NONCE_LEN])
{
        for (size_t i = 0; i < SG_CODE_NONCE_LEN; i++)
                if (nonce[i] != 0)
                        return false;
        return true;
}

int sg_code_new_nonce(struct sg_code *c)
{
        if (!c)
                return -EINVAL;

        /* An all-zero nonce is what a forgotten call leaves behind, and encode refuses it; the
         * chance of drawing one is 2^-64, but then simply draw again. */
        do {
                size_t done = 0;

                while (done < SG_CODE_NONCE_LEN) {
                        ssize_t k = getrandom(c->nonce + done, SG_CODE_NONCE_LEN - done, 0);

                        if (k < 0) {
                                if (errno == EINTR)
                                        continue;
                                return -errno;
                        }
                        if (k == 0)
                                return -EIO;
                        done += (size_t)k;
                }
        } while (nonce_is_zero(c->nonce));

        return 0;
}

static bool note_is_canonical(const char *note)
{
        char normalized[SG_NOTE_MAX_BYTES + 1];
        enum sg_text_error why;

        if (sg_text_check(note, 0, SG_NOTE_MAX_BYTES, normalized, sizeof(normalized), &why) < 0)
                return false;
        return streq(normalized, note);
}

int sg_code_encode(const struct sg_code *c, char *buf, size_t size)
{
        uint8_t p[PAYLOAD_MAX];
        size_t n = 0, tlen, nlen, nsym, need;
        uint32_t acc = 0, crc;
        unsigned bits = 0;
        char *out;

        if (!c || !buf)
                return -EINVAL;
        if (c->kind != SG_GRANT_USER && c->kind != SG_GRANT_DEPARTMENT)
                return -EINVAL;
        if ((int)c->period < 0 || (int)c->period >= _SG_PERIOD_MAX)
                return -EINVAL;
        /* Both strings live in fixed arrays; one without its NUL must not be read past. */
        tlen = strnlen(c->target, sizeof(c->target));
        nlen = strnlen(c->note, sizeof(c->note));
        if (tlen == sizeof(c->target) || nlen == sizeof(c->note))
                return -EINVAL;
        if (!sg_name_is_valid(c->target))
                return -EINVAL;
        if (!note_is_canonical(c->note))
                return -EINVAL;
        if (c->created < 0)
                return -EINVAL;
        if (nonce_is_zero(c->nonce))
                return -EINVAL;

        p[n++] = CODE_VERSION;
        p[n++] = (uint8_t)((c->kind == SG_GRANT_DEPARTMENT ? FLAG_DEPARTMENT : 0) |
                           (c->export ? FLAG_EXPORT : 0));
        p[n++] = (uint8_t)c->period;
        put_be64(p + n, (uint64_t)(int64_t)c->created);
        n += 8;
        memcpy(p + n, c->nonce, SG_CODE_NONCE_LEN);
        n += SG_CODE_NONCE_LEN;
        p[n++] = (uint8_t)tlen;
        memcpy(p + n, c->target, tlen);
        n += tlen;
        p[n++] = (uint8_t)nlen;
        memcpy(p + n, c->note, nlen);
        n += nlen;
        crc = payload_crc(p, n);
        for (int i = 3; i >= 0; i--)
                p[n++] = (uint8_t)(crc >> (8 * i));

        need = TEXT_LEN_FOR(n) + 1;
        if (size < need)
                return -ENOBUFS;

        memcpy(buf, SG_CODE_PREFIX, PREFIX_LEN);
        out = buf + PREFIX_LEN;
        nsym = 0;
        for (size_t i = 0; i < n; i++) {
                acc = (acc << 8) | p[i];
                bits += 8;
                while (bits >= 5) {
                        bits -= 5;
                        if (nsym > 0 && nsym % GROUP_LEN == 0)
                                *out++ = '-';
                        *out++ = alphabet[(acc >> bits) & 0x1F];
                        nsym++;
                        acc &= (1u << bits) - 1;
                }
        }
        if (bits > 0) {
                if (nsym > 0 && nsym % GROUP_LEN == 0)
                        *out++ = '-';
                *out++ = alphabet[(acc << (5 - bits)) & 0x1F];
        }
        *out = 0;
        return 0;
}

/* Where the code sits in a URL: a non-empty code= query parameter, else the last non-empty
 * path segment. Returns false when the URL has neither. */
static bool url_find_code(const char *s, size_t n, const char **ret_start, size_t *ret_len)
{
        const char *end = s + n, *authority, *frag, *query, *path, *seg = NULL;
        size_t seg_len = 0;

        authority = memmem(s, n, "://", 3);
        if (!authority)
                return false;
        authority += 3;

        frag = memchr(authority, '#', (size_t)(end - authority));
        if (frag)
                end = frag;
        query = memchr(authority, '?', (size_t)(end - authority));

        if (query) {
                const char *a = query + 1;

                while (a < end) {
                        const char *b = memchr(a, '&', (size_t)(end - a));

                        if (!b)
                                b = end;
                        if (b - a > 5 && memcmp(a, "code=", 5) == 0) {
                                *ret_start = a + 5;
                                *ret_len = (size_t)(b - a - 5);
                                return true;
                        }
                        a = b + 1;
                }
                end = query;
        }

        path = memchr(authority, '/', (size_t)(end - authority));
        if (!path)
                return false;
        while (path < end) {
                const char *a = path + 1, *b;

                b = memchr(a, '/', (size_t)(end - a));
                if (!b)
                        b = end;
                if (b > a) {
                        seg = a;
                        seg_len = (size_t)(b - a);
                }
                path = b;
        }
        if (!seg)
                return false;
        *ret_start = seg;
        *ret_len = seg_len;
        return true;
}

/* How many payload bytes the length fields promise, as far as they are there to read: used to
 * tell a code cut off while copying from a mistyped one. */
static size_t promised_len(const uint8_t *p, size_t n)
{
        size_t need = OFF_TARGET_LEN + 1;

        if (n < need)
                return PAYLOAD_MIN;
        need += p[OFF_TARGET_LEN] + 1;
        if (n < need)
                return need + CRC_LEN;
        need += p[need - 1] + CRC_LEN;
        return need;
}

static enum sg_code_error parse_payload(const uint8_t *p, size_t n, struct sg_code *ret)
{
        struct sg_code c = {};
        size_t tlen, nlen, off;
        uint64_t created;

        if (promised_len(p, n) > n)
                return SG_CODE_TRUNCATED;
        if (p[OFF_VERSION] != CODE_VERSION)
                return SG_CODE_BAD_VERSION;
        if (promised_len(p, n) < n)
                return SG_CODE_BAD_CONTENT; /* trailing bytes */

        if (p[OFF_FLAGS] & ~FLAGS_KNOWN)
                return SG_CODE_BAD_CONTENT;
        c.kind = (p[OFF_FLAGS] & FLAG_DEPARTMENT) ? SG_GRANT_DEPARTMENT : SG_GRANT_USER;
        c.export = p[OFF_FLAGS] & FLAG_EXPORT;

        if (p[OFF_PERIOD] >= _SG_PERIOD_MAX)
                return SG_CODE_BAD_CONTENT;
        c.period = (enum sg_period)p[OFF_PERIOD];

        created = get_be64(p + OFF_CREATED);
        if (created > INT64_MAX || (int64_t)(time_t)(int64_t)created != (int64_t)created)
                return SG_CODE_BAD_CONTENT;
        c.created = (time_t)(int64_t)created;

        memcpy(c.nonce, p + OFF_NONCE, SG_CODE_NONCE_LEN);
        if (nonce_is_zero(c.nonce))
                return SG_CODE_BAD_CONTENT;

        off = OFF_TARGET_LEN;
        tlen = p[off++];
        memcpy(c.target, p + off, tlen); /* tlen <= 255 < sizeof(c.target) */
        off += tlen;
        /* An embedded NUL would make the name checked differ from the bytes carried. */
        if (strlen(c.target) != tlen || !sg_name_is_valid(c.target))
                return SG_CODE_BAD_CONTENT;

        nlen = p[off++];
        if (nlen > SG_NOTE_MAX_BYTES)
                return SG_CODE_BAD_CONTENT;
        memcpy(c.note, p + off, nlen);
        if (strlen(c.note) != nlen || !note_is_canonical(c.note))
                return SG_CODE_BAD_CONTENT;

        *ret = c;
        return SG_CODE_OK;
}

static enum sg_code_error decode_text(const char *text, struct sg_code *ret)
{
        const char *s, *end;
        uint8_t p[DECODE_MAX];
        size_t len, n = 0, nsym = 0, want;
        uint32_t acc = 0;
        unsigned bits = 0;
        bool crc_ok;

        if (!text)
                return SG_CODE_NOT_A_CODE;
        len = strnlen(text, INPUT_MAX + 1);
        if (len > INPUT_MAX)
                return SG_CODE_NOT_A_CODE;

        s = text;
        end = text + len;
        while (s < end && is_space(*s))
                s++;
        while (end > s && is_space(end[-1]))
                end--;

        if (memmem(s, (size_t)(end - s), "://", 3)) {
                size_t l;

                if (!url_find_code(s, (size_t)(end - s), &s, &l))
                        return SG_CODE_NOT_A_CODE;
                end = s + l;
        }

        /* "SG" and one version digit; the dash after it may be left out like the others. */
        if (end - s < 3 || (s[0] != 'S' && s[0] != 's') || (s[1] != 'G' && s[1] != 'g') ||
            s[2] < '0' || s[2] > '9')
                return SG_CODE_NOT_A_CODE;
        if (s[2] != SG_CODE_PREFIX[2])
                return SG_CODE_BAD_VERSION;
        s += 3;

        for (; s < end; s++) {
                int v;

                if (*s == '-')
                        continue;
                v = symbol_value(*s);
                if (v < 0)
                        return SG_CODE_BAD_CHARACTER;
                acc = (acc << 5) | (uint32_t)v;
                bits += 5;
                nsym++;
                if (bits >= 8) {
                        bits -= 8;
                        p[n++] = (uint8_t)(acc >> bits);
                        acc &= (1u << bits) - 1;
                }
        }

        crc_ok = n >= CRC_LEN && payload_crc(p, n - CRC_LEN) ==
                                         ((uint32_t)p[n - 4] << 24 | (uint32_t)p[n - 3] << 16 |
                                          (uint32_t)p[n - 2] << 8 | (uint32_t)p[n - 1]);
        /* The padding bits and the symbol count are outside the CRC; a mistyped last character
         * or an extra one can only be caught here. */
        want = SYMBOLS_FOR(n);
        if (!crc_ok || acc != 0 || nsym != want) {
                if (promised_len(p, n) > n)
                        return SG_CODE_TRUNCATED;
                return SG_CODE_CHECKSUM;
        }

        return parse_payload(p, n, ret);
}

int sg_code_decode(const char *text, struct sg_code *ret, enum sg_code_error *ret_why)
{
        enum sg_code_error why;

        if (!ret)
                return -EINVAL;
        why = decode_text(text, ret);
        if (ret_why)
                *ret_why = why;
        return why == SG_CODE_OK ? 0 : -EINVAL;
}

void sg_code_id(const struct sg_code *c, char buf[static 2 * SG_CODE_NONCE_LEN + 1])
{
        static const char hex[] = "0123456789abcdef";

        for (size_t i = 0; i < SG_CODE_NONCE_LEN; i++) {
                buf[2 * i] = hex[c->nonce[i] >> 4];
                buf[2 * i + 1] = hex[c->nonce[i] & 0x0F];
        }
        buf[2 * SG_CODE_NONCE_LEN] = 0;
}

const char *sg_code_error_to_string(enum sg_code_error why)
{
        switch (why) {
        case SG_CODE_OK:
                return "is fine";
        case SG_CODE_NOT_A_CODE:
                return "is not an activation code (those start with SG1-)";
        case SG_CODE_BAD_CHARACTER:
                return "contains a character that is not part of any code";
        case SG_CODE_CHECKSUM:
                return "is mistyped (its checksum does not match)";
        case SG_CODE_TRUNCATED:
                return "is incomplete (part of it is missing)";
        case SG_CODE_BAD_VERSION:
                return "was made by another version of supportgrant";
        case SG_CODE_BAD_CONTENT:
                return "contains invalid data (user name, period or note)";
        }
        return "is invalid";
}
