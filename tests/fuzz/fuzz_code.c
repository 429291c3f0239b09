/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Activation codes (common/code.c), both ways:
 *  - the input as text a customer pasted: sg_code_decode() must answer without crashing, and
 *    whatever it accepts must encode again to a code that decodes to the same content;
 *  - the input as the fields of a code: what sg_code_encode() accepts must fit SG_CODE_MAX and
 *    decode to exactly those fields (and in lower case, and as a URL). */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void assert_same(const struct sg_code *a, const struct sg_code *b)
{
        assert(a->kind == b->kind);
        assert(streq(a->target, b->target));
        assert(a->export == b->export);
        assert(a->period == b->period);
        assert(streq(a->note, b->note));
        assert(a->created == b->created);
        assert(memcmp(a->nonce, b->nonce, sizeof(a->nonce)) == 0);
}

static void decode_text(const uint8_t *data, size_t size)
{
        struct sg_code c, again;
        enum sg_code_error why = SG_CODE_OK;
        char *text, buf[SG_CODE_MAX];
        int r;

        text = strndup((const char *)data, size);
        assert(text);
        r = sg_code_decode(text, &c, &why);
        free(text);
        assert(sg_code_error_to_string(why) != NULL);
        if (r < 0) {
                assert(r == -EINVAL && why != SG_CODE_OK);
                return;
        }
        assert(why == SG_CODE_OK);
        r = sg_code_encode(&c, buf, sizeof(buf));
        assert(r >= 0);
        r = sg_code_decode(buf, &again, &why);
        assert(r == 0);
        assert_same(&c, &again);
}

/* Fields from bytes: kind/export/period in byte 0, created in 1..8, nonce in 9..16, then the
 * target up to a '\n' and the note after it. */
static void encode_fields(const uint8_t *data, size_t size)
{
        struct sg_code c = {}, back;
        enum sg_code_error why;
        char buf[SG_CODE_MAX], url[SG_CODE_MAX + 64];
        const uint8_t *nl, *rest;
        size_t tlen, nlen;
        uint64_t created = 0;
        int r;

        if (size < 17)
                return;
        c.kind = data[0] & 1 ? SG_GRANT_DEPARTMENT : SG_GRANT_USER;
        c.export = data[0] & 2;
        c.period = (enum sg_period)((data[0] >> 2) % (_SG_PERIOD_MAX + 1));
        for (int i = 1; i <= 8; i++)
                created = created << 8 | data[i];
        c.created = (time_t)created;
        memcpy(c.nonce, data + 9, SG_CODE_NONCE_LEN);
        rest = data + 17;
        size -= 17;
        nl = memchr(rest, '\n', size);
        tlen = nl ? (size_t)(nl - rest) : size;
        if (tlen >= sizeof(c.target))
                return;
        memcpy(c.target, rest, tlen);
        c.target[tlen] = 0;
        if (nl) {
                nlen = size - tlen - 1;
                if (nlen >= sizeof(c.note))
                        return;
                memcpy(c.note, nl + 1, nlen);
                c.note[nlen] = 0;
        }

        r = sg_code_encode(&c, buf, sizeof(buf));
        if (r < 0) {
                assert(r == -EINVAL);
                return;
        }
        assert(strneq(buf, SG_CODE_PREFIX, strlen(SG_CODE_PREFIX)));
        assert(strlen(buf) < SG_CODE_MAX);
        /* Every field the encoder accepted is one that a customer's decode accepts as is. */
        r = sg_code_decode(buf, &back, &why);
        assert(r == 0);
        assert_same(&c, &back);
        for (char *p = buf; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
        (void)snprintf(url, sizeof(url), "https://example.invalid/activate?code=%s#x", buf);
        r = sg_code_decode(url, &back, &why);
        assert(r == 0);
        assert_same(&c, &back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 8192)
                return 0;
        decode_text(data, size);
        encode_fields(data, size);
        return 0;
}
