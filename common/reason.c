/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include "reason.h"

static bool is_trim_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Decodes one UTF-8 sequence at s (n > 0 bytes available). Returns its length (1..4) and the
 * code point, or -EILSEQ. The ranges are those of Unicode's table 3-7 "well-formed UTF-8 byte
 * sequences": restricting the second byte is what rules out overlong forms (C0, C1, E0 80..9F,
 * F0 80..8F), surrogates (ED A0..BF) and code points above U+10FFFF (F4 90.., F5..FF). */
static int utf8_decode(const uint8_t *s, size_t n, uint32_t *ret_cp)
{
        uint8_t lo = 0x80, hi = 0xBF;
        uint32_t cp;
        size_t len;

        if (s[0] < 0x80) {
                *ret_cp = s[0];
                return 1;
        }
        if (s[0] >= 0xC2 && s[0] <= 0xDF) {
                len = 2;
                cp = s[0] & 0x1F;
        } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
                len = 3;
                cp = s[0] & 0x0F;
                if (s[0] == 0xE0)
                        lo = 0xA0;
                else if (s[0] == 0xED)
                        hi = 0x9F;
        } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
                len = 4;
                cp = s[0] & 0x07;
                if (s[0] == 0xF0)
                        lo = 0x90;
                else if (s[0] == 0xF4)
                        hi = 0x8F;
        } else
                return -EILSEQ; /* a continuation byte on its own, C0, C1, F5..FF */

        if (n < len)
                return -EILSEQ;
        if (s[1] < lo || s[1] > hi)
                return -EILSEQ;
        cp = (cp << 6) | (s[1] & 0x3F);
        for (size_t i = 2; i < len; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return -EILSEQ;
                cp = (cp << 6) | (s[i] & 0x3F);
        }
        *ret_cp = cp;
        return (int)len;
}

static bool is_control(uint32_t cp)
{
        return cp < 0x20 ||                      /* C0, including TAB, CR, LF, ESC */
               (cp >= 0x7F && cp <= 0x9F) ||     /* DEL and C1 (CSI, NEL, ...) */
               cp == 0x061C ||                   /* ARABIC LETTER MARK */
               cp == 0x200E || cp == 0x200F ||   /* LRM, RLM */
               (cp >= 0x202A && cp <= 0x202E) || /* LRE, RLE, PDF, LRO, RLO */
               (cp >= 0x2066 && cp <= 0x2069) || /* LRI, RLI, FSI, PDI */
               cp == 0x2028 || cp == 0x2029;     /* line and paragraph separators */
}

/* Unicode's spaces (category Zs, and the separators Zl, Zp), the invisible format characters
 * around them (Cf: zero-width space and joiners, word joiner, invisible operators, the byte
 * order mark), and the fillers that render as nothing but have a width (Hangul fillers, the
 * blank Braille pattern). They are allowed in a text, like an ASCII space, but say nothing. */
static bool is_blank(uint32_t cp)
{
        return cp == 0x00A0 ||                   /* NO-BREAK SPACE */
               cp == 0x00AD ||                   /* SOFT HYPHEN */
               cp == 0x115F || cp == 0x1160 ||   /* HANGUL CHOSEONG, JUNGSEONG FILLER */
               cp == 0x1680 ||                   /* OGHAM SPACE MARK */
               cp == 0x180E ||                   /* MONGOLIAN VOWEL SEPARATOR */
               (cp >= 0x2000 && cp <= 0x200F) || /* EN QUAD .. RLM, zero-width (non-)joiners */
               (cp >= 0x2028 && cp <= 0x202F) || /* separators, embeddings, NNBSP */
               (cp >= 0x205F && cp <= 0x206F) || /* MMSP, word joiner, invisible operators */
               cp == 0x2800 ||                   /* BRAILLE PATTERN BLANK */
               cp == 0x3000 ||                   /* IDEOGRAPHIC SPACE */
               cp == 0x3164 || cp == 0xFFA0 ||   /* HANGUL (HALFWIDTH) FILLER */
               cp == 0xFEFF;                     /* ZERO WIDTH NO-BREAK SPACE (BOM) */
}

/* What a reader sees as a character of its own: not a space and not one that takes no room on
 * the screen. glibc's width table of C.UTF-8 (Unicode's, whatever locale the caller runs in)
 * says which take none: combining marks, drawn on the character before them ("e" + U+0301 is
 * one "é"), format characters, variation selectors, tags. Only visible characters count
 * toward the minimum length: "x" and nine zero-width spaces look like "x". Without that
 * locale, every non-blank character counts. */
static bool is_visible(uint32_t cp, locale_t utf8)
{
        locale_t old;
        int w;

        if (cp <= ' ' || is_blank(cp))
                return false;
        if (cp < 0x7F || utf8 == (locale_t)0)
                return true;
        old = uselocale(utf8);
        w = wcwidth((wchar_t)cp);
        (void)uselocale(old);
        return w > 0;
}

/* Something that says anything: an ASCII letter or digit, or any visible non-ASCII character
 * (we cannot tell letters of every script apart without Unicode tables, and a reason written
 * in Cyrillic or Chinese must pass). */
static bool is_content(uint32_t cp, locale_t utf8)
{
        return (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') ||
               (cp >= 0x80 && is_visible(cp, utf8));
}

int sg_text_check(const char *input, size_t min_chars, size_t max_bytes, char *ret, size_t ret_size,
                  enum sg_text_error *ret_why)
{
        enum sg_text_error dummy, why;
        const char *start, *end;
        bool bad_utf8 = false, control = false, content = false;
        size_t n_chars = 0, n;
        locale_t utf8;

        if (!ret_why)
                ret_why = &dummy;
        *ret_why = SG_TEXT_OK;

        /* Checked before the text so that a wrong buffer shows up in every test, not only
         * with a long input. */
        if (!ret || ret_size <= max_bytes)
                return -ENOBUFS;

        start = input ? input : "";
        end = start + strlen(start);
        while (start < end && is_trim_space(*start))
                start++;
        while (end > start && is_trim_space(end[-1]))
                end--;
        n = (size_t)(end - start);

        if (n == 0) {
                if (min_chars > 0) {
                        *ret_why = SG_TEXT_EMPTY;
                        return -EINVAL;
                }
                ret[0] = 0;
                return 0;
        }

        /* Look at the whole text before judging, so that the verdict follows the documented
         * order of importance and not the position of the first problem. */
        utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
        for (size_t i = 0; i < n;) {
                uint32_t cp;
                int k;

                k = utf8_decode((const uint8_t *)start + i, n - i, &cp);
                if (k < 0) {
                        bad_utf8 = true;
                        i++;
                        continue;
                }
                if (is_control(cp))
                        control = true;
                else if (is_content(cp, utf8))
                        content = true;
                if (is_visible(cp, utf8))
                        n_chars++;
                i += (size_t)k;
        }
        if (utf8 != (locale_t)0)
                freelocale(utf8);

        if (bad_utf8)
                why = SG_TEXT_BAD_UTF8;
        else if (control)
                why = SG_TEXT_CONTROL;
        else if (!content)
                why = SG_TEXT_NO_CONTENT;
        else if (n > max_bytes)
                why = SG_TEXT_TOO_LONG;
        else if (n_chars < min_chars)
                why = SG_TEXT_TOO_SHORT;
        else {
                memcpy(ret, start, n);
                ret[n] = 0;
                return 0;
        }

        *ret_why = why;
        return -EINVAL;
}

int sg_reason_check(const char *input, size_t min_chars, char *ret, size_t ret_size,
                    enum sg_text_error *ret_why)
{
        return sg_text_check(input, min_chars > 0 ? min_chars : 1, SG_REASON_MAX_BYTES, ret,
                             ret_size, ret_why);
}

const char *sg_text_error_to_string(enum sg_text_error why)
{
        switch (why) {
        case SG_TEXT_OK:
                return "is fine";
        case SG_TEXT_EMPTY:
                return "is empty";
        case SG_TEXT_TOO_SHORT:
                return "is too short (spaces and invisible characters do not count)";
        case SG_TEXT_TOO_LONG:
                return "is too long";
        case SG_TEXT_CONTROL:
                return "contains control characters (such as tabs, escape sequences or "
                       "direction overrides)";
        case SG_TEXT_BAD_UTF8:
                return "is not valid UTF-8";
        case SG_TEXT_NO_CONTENT:
                return "must contain letters or digits, not only punctuation or spaces";
        }
        return "is invalid";
}
