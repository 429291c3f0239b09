/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reason and note rules (common/reason.c) on arbitrary bytes. What passes must be what
 * reason.h promises, checked here independently of the implementation: valid UTF-8 without
 * C0, DEL or C1 controls, nothing to trim, within the byte limit, with a letter or digit; and
 * checking an accepted text again gives it back unchanged. */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"
#include "reason.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A strict UTF-8 decoder: no overlong forms, no surrogates, nothing above U+10FFFF. Returns
 * the number of code points, or -1. Fails on any C0, DEL or C1 control. */
static long count_clean_utf8(const unsigned char *s, bool *has_alnum)
{
        long n = 0;

        *has_alnum = false;
        while (*s) {
                uint32_t cp;
                int len;

                if (s[0] < 0x80) {
                        cp = s[0];
                        len = 1;
                } else if ((s[0] & 0xe0) == 0xc0) {
                        cp = s[0] & 0x1f;
                        len = 2;
                } else if ((s[0] & 0xf0) == 0xe0) {
                        cp = s[0] & 0x0f;
                        len = 3;
                } else if ((s[0] & 0xf8) == 0xf0) {
                        cp = s[0] & 0x07;
                        len = 4;
                } else
                        return -1;
                for (int i = 1; i < len; i++) {
                        if ((s[i] & 0xc0) != 0x80)
                                return -1;
                        cp = (cp << 6) | (s[i] & 0x3f);
                }
                if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
                    (len == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return -1;
                if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
                    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
                        return -1;
                if (cp >= 0x80 || (cp >= '0' && cp <= '9') ||
                    ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z'))
                        *has_alnum = true;
                s += len;
                n++;
        }
        return n;
}

static void check_one(const char *in, size_t min_chars, size_t max_bytes, bool reason)
{
        char out[SG_REASON_MAX_BYTES + 1], again[SG_REASON_MAX_BYTES + 1];
        enum sg_text_error why = SG_TEXT_OK, why2 = SG_TEXT_OK;
        bool alnum;
        long chars;
        size_t len;
        int r;

        memset(out, 0xaa, sizeof(out));
        if (reason)
                r = sg_reason_check(in, min_chars, out, sizeof(out), &why);
        else
                r = sg_text_check(in, min_chars, max_bytes, out, sizeof(out), &why);
        assert(sg_text_error_to_string(why) != NULL);
        if (r < 0) {
                assert(r == -EINVAL);
                assert(why != SG_TEXT_OK);
                return;
        }
        assert(r == 0 && why == SG_TEXT_OK);
        len = strnlen(out, sizeof(out));
        assert(len < sizeof(out));
        if (reason) {
                max_bytes = SG_REASON_MAX_BYTES;
                if (min_chars == 0)
                        min_chars = 1;
        }
        assert(len <= max_bytes);
        if (len == 0) {
                assert(min_chars == 0);
                return;
        }
        assert(!strchr(" \t\r\n", out[0]) && !strchr(" \t\r\n", out[len - 1]));
        chars = count_clean_utf8((const unsigned char *)out, &alnum);
        assert(chars >= 0);
        assert((size_t)chars >= min_chars);
        assert(alnum);
        /* The accepted form is a fixed point. */
        r = sg_text_check(out, min_chars, max_bytes, again, sizeof(again), &why2);
        assert(r == 0 && streq(out, again));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text;
        size_t min_chars, max_bytes;

        if (size < 2 || size > 4096)
                return 0;
        /* Two bytes of limits, then the text (NUL-terminated: the callers get C strings). */
        min_chars = data[0] % 32;
        max_bytes = data[1] % 2 ? SG_NOTE_MAX_BYTES : SG_REASON_MAX_BYTES;
        text = strndup((const char *)data + 2, size - 2);
        assert(text);
        check_one(text, min_chars, max_bytes, false);
        check_one(text, min_chars, 0, true);
        free(text);
        return 0;
}
