/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "reason.h"

static char out[SG_REASON_MAX_BYTES + 1];

/* The verdict for a reason with the given minimum, as the PAM module would ask for it. */
static enum sg_text_error reason_verdict(const char *input, size_t min_chars)
{
        enum sg_text_error why = (enum sg_text_error) - 1;
        int r;

        memset(out, 'X', sizeof(out));
        r = sg_reason_check(input, min_chars, out, sizeof(out), &why);
        /* The return value and the reason must always agree. */
        if (why == SG_TEXT_OK)
                assert_int_equal(r, 0);
        else
                assert_int_equal(r, -EINVAL);
        return why;
}

static void test_good_ascii(void **state)
{
        assert_int_equal(reason_verdict("Ticket #4711: mail queue stuck", 10), SG_TEXT_OK);
        assert_string_equal(out, "Ticket #4711: mail queue stuck");
}

static void test_good_utf8(void **state)
{
        assert_int_equal(reason_verdict("Revisión de la configuración, señor Muñoz", 10),
                         SG_TEXT_OK);
        assert_string_equal(out, "Revisión de la configuración, señor Muñoz");

        /* 11 characters, 33 bytes */
        assert_int_equal(reason_verdict("数据库备份失败需要检查", 10), SG_TEXT_OK);
        assert_string_equal(out, "数据库备份失败需要检查");
        assert_int_equal(strlen(out), 33);

        /* Edges of the valid ranges: U+D7FF and U+E000 next to the surrogates, U+10FFFF. */
        assert_int_equal(reason_verdict("edge \xed\x9f\xbf \xee\x80\x80 \xf4\x8f\xbf\xbf", 1),
                         SG_TEXT_OK);
        /* An emoji (4 bytes) is one character; the space between does not count. */
        assert_int_equal(reason_verdict("ok \xf0\x9f\x91\x8d", 3), SG_TEXT_OK);
        assert_int_equal(reason_verdict("ok \xf0\x9f\x91\x8d", 4), SG_TEXT_TOO_SHORT);
}

static void test_trimming(void **state)
{
        assert_int_equal(reason_verdict("  \t restart the mail queue \r\n", 10), SG_TEXT_OK);
        assert_string_equal(out, "restart the mail queue");

        /* Inner spaces stay as typed. */
        assert_int_equal(reason_verdict(" a  b   c ", 1), SG_TEXT_OK);
        assert_string_equal(out, "a  b   c");

        /* The length limit applies after trimming: 500 bytes inside 510 are fine. */
        char buf[600];
        memset(buf, ' ', 5);
        memset(buf + 5, 'a', 500);
        memset(buf + 505, '\n', 5);
        buf[510] = 0;
        assert_int_equal(reason_verdict(buf, 10), SG_TEXT_OK);
        assert_int_equal(strlen(out), 500);
        assert_int_equal(out[0], 'a');
        assert_int_equal(out[499], 'a');
}

static void test_max_bytes(void **state)
{
        char buf[600];

        memset(buf, 'a', 500);
        buf[500] = 0;
        assert_int_equal(reason_verdict(buf, 10), SG_TEXT_OK);
        assert_int_equal(strlen(out), 500);

        memset(buf, 'a', 501);
        buf[501] = 0;
        assert_int_equal(reason_verdict(buf, 10), SG_TEXT_TOO_LONG);

        /* Counted in bytes: 498 + "ñ" (2 bytes) = 500 fits, 499 + "ñ" = 501 does not. */
        memset(buf, 'a', 498);
        strcpy(buf + 498, "ñ");
        assert_int_equal(reason_verdict(buf, 10), SG_TEXT_OK);
        memset(buf, 'a', 499);
        strcpy(buf + 499, "ñ");
        assert_int_equal(reason_verdict(buf, 10), SG_TEXT_TOO_LONG);
}

static void test_min_chars_counts_characters(void **state)
{
        /* 9 characters, 18 bytes: too short for 10 even though 18 bytes >= 10. */
        assert_int_equal(reason_verdict("ñññññññññ", 10), SG_TEXT_TOO_SHORT);
        assert_int_equal(reason_verdict("ññññññññññ", 10), SG_TEXT_OK);
        assert_string_equal(out, "ññññññññññ");

        assert_int_equal(reason_verdict("123456789", 10), SG_TEXT_TOO_SHORT);
        assert_int_equal(reason_verdict("1234567890", 10), SG_TEXT_OK);
        /* Trimmed spaces do not count. */
        assert_int_equal(reason_verdict("   123456789   ", 10), SG_TEXT_TOO_SHORT);
}

static void test_control_characters(void **state)
{
        assert_int_equal(reason_verdict("check\tthe logs please", 10), SG_TEXT_CONTROL);
        assert_int_equal(reason_verdict("\x1b[31mred alert on db01", 10), SG_TEXT_CONTROL);
        assert_int_equal(reason_verdict("backup job \x1b[2J cleared", 10), SG_TEXT_CONTROL);
        assert_int_equal(reason_verdict("line one\nline two", 10), SG_TEXT_CONTROL);
        assert_int_equal(reason_verdict("carriage\rreturn inside", 10), SG_TEXT_CONTROL);
        assert_int_equal(reason_verdict("bell\a ringing here", 10), SG_TEXT_CONTROL);
        assert_int_equal(reason_verdict("delete\x7fkey pressed", 10), SG_TEXT_CONTROL);
        /* C1: U+0085 NEL and U+009B CSI, as UTF-8. */
        assert_int_equal(reason_verdict("next line\xc2\x85here it is", 10), SG_TEXT_CONTROL);
        assert_int_equal(reason_verdict("csi \xc2\x9b"
                                        "31m in the middle",
                                        10),
                         SG_TEXT_CONTROL);
        /* U+00A0 (first code point after C1) is allowed. */
        assert_int_equal(reason_verdict("no\xc2\xa0"
                                        "break space ok",
                                        10),
                         SG_TEXT_OK);
}

static void test_bidi_controls(void **state)
{
        /* U+202E RIGHT-TO-LEFT OVERRIDE: the classic "Trojan source" character. */
        assert_int_equal(reason_verdict("fix \xe2\x80\xae"
                                        "gnp.exe invoice",
                                        10),
                         SG_TEXT_CONTROL);
        assert_int_equal(reason_verdict("\xe2\x80\x8e"
                                        "left to right mark",
                                        10),
                         SG_TEXT_CONTROL); /* U+200E */
        assert_int_equal(reason_verdict("right to left \xe2\x80\x8f"
                                        "mark",
                                        10),
                         SG_TEXT_CONTROL); /* U+200F */
        assert_int_equal(reason_verdict("embedding \xe2\x80\xaa here", 10),
                         SG_TEXT_CONTROL); /* U+202A */
        assert_int_equal(reason_verdict("isolate \xe2\x81\xa6 here", 10),
                         SG_TEXT_CONTROL); /* U+2066 */
        assert_int_equal(reason_verdict("pop isolate \xe2\x81\xa9 here", 10),
                         SG_TEXT_CONTROL); /* U+2069 */
        assert_int_equal(reason_verdict("line \xe2\x80\xa8 separator", 10),
                         SG_TEXT_CONTROL); /* U+2028 */
        /* Neighbours that are ordinary: U+2010 HYPHEN, U+2065 (unassigned), U+206A. */
        assert_int_equal(reason_verdict("well\xe2\x80\x90known issue", 10), SG_TEXT_OK);
        assert_int_equal(reason_verdict("neighbour \xe2\x81\xa5 \xe2\x81\xaa ok", 10), SG_TEXT_OK);
}

static void test_invalid_utf8(void **state)
{
        /* A lone continuation byte. */
        assert_int_equal(reason_verdict("disk full \x80 on db01", 10), SG_TEXT_BAD_UTF8);
        /* Truncated sequences: 2-byte, 3-byte and 4-byte ones cut at the end. */
        assert_int_equal(reason_verdict("disk full on db01 \xc3", 10), SG_TEXT_BAD_UTF8);
        assert_int_equal(reason_verdict("disk full on db01 \xe2\x82", 10), SG_TEXT_BAD_UTF8);
        assert_int_equal(reason_verdict("disk full on db01 \xf0\x9f\x91", 10), SG_TEXT_BAD_UTF8);
        /* Truncated in the middle: the lead byte is followed by an ASCII character. */
        assert_int_equal(reason_verdict("disk \xc3z full on db01", 10), SG_TEXT_BAD_UTF8);
        /* Overlong encodings of NUL and '/'. */
        assert_int_equal(reason_verdict("overlong \xc0\x80 nul here", 10), SG_TEXT_BAD_UTF8);
        assert_int_equal(reason_verdict("overlong \xc1\xaf slash", 10), SG_TEXT_BAD_UTF8);
        assert_int_equal(reason_verdict("overlong \xe0\x80\xaf slash", 10), SG_TEXT_BAD_UTF8);
        assert_int_equal(reason_verdict("overlong \xf0\x80\x80\xaf slash", 10), SG_TEXT_BAD_UTF8);
        /* UTF-16 surrogates U+D800 and U+DFFF. */
        assert_int_equal(reason_verdict("surrogate \xed\xa0\x80 here", 10), SG_TEXT_BAD_UTF8);
        assert_int_equal(reason_verdict("surrogate \xed\xbf\xbf here", 10), SG_TEXT_BAD_UTF8);
        /* Above U+10FFFF. */
        assert_int_equal(reason_verdict("too high \xf4\x90\x80\x80 here", 10), SG_TEXT_BAD_UTF8);
        assert_int_equal(reason_verdict("too high \xf5\x80\x80\x80 here", 10), SG_TEXT_BAD_UTF8);
        /* Latin-1 instead of UTF-8 ("Müller"). */
        assert_int_equal(reason_verdict("call from M\xfcller about backup", 10), SG_TEXT_BAD_UTF8);
}

static void test_no_content(void **state)
{
        assert_int_equal(reason_verdict("........", 1), SG_TEXT_NO_CONTENT);
        assert_int_equal(reason_verdict("  !!! ??? ", 1), SG_TEXT_NO_CONTENT);
        /* Long enough and still refused. */
        assert_int_equal(reason_verdict("...............", 10), SG_TEXT_NO_CONTENT);
        assert_int_equal(reason_verdict("- - - - - - - -", 10), SG_TEXT_NO_CONTENT);
        /* Too short as well: "more dots" would not help, so that is what is said. */
        assert_int_equal(reason_verdict("....", 10), SG_TEXT_NO_CONTENT);

        /* One digit or letter is enough; any non-ASCII character counts as a letter. */
        assert_int_equal(reason_verdict("....1.....", 10), SG_TEXT_OK);
        assert_int_equal(reason_verdict("!!! x ???", 1), SG_TEXT_OK);
        assert_int_equal(reason_verdict("é", 1), SG_TEXT_OK);
        assert_string_equal(out, "é");
}

/* Unicode spaces and invisible format characters say nothing, like ASCII spaces: ten of them
 * are not a ten-character reason. */
static void test_unicode_spaces_are_no_content(void **state)
{
        static const char *const blanks[] = {
                "\xc2\xa0",     /* U+00A0 NO-BREAK SPACE */
                "\xc2\xad",     /* U+00AD SOFT HYPHEN */
                "\xe1\x9a\x80", /* U+1680 OGHAM SPACE MARK */
                "\xe1\xa0\x8e", /* U+180E MONGOLIAN VOWEL SEPARATOR */
                "\xe2\x80\x80", /* U+2000 EN QUAD */
                "\xe2\x80\x8a", /* U+200A HAIR SPACE */
                "\xe2\x80\x8b", /* U+200B ZERO WIDTH SPACE */
                "\xe2\x80\x8c", /* U+200C ZERO WIDTH NON-JOINER */
                "\xe2\x80\x8d", /* U+200D ZERO WIDTH JOINER */
                "\xe2\x80\xaf", /* U+202F NARROW NO-BREAK SPACE */
                "\xe2\x81\x9f", /* U+205F MEDIUM MATHEMATICAL SPACE */
                "\xe2\x81\xa0", /* U+2060 WORD JOINER */
                "\xe2\x81\xa4", /* U+2064 INVISIBLE PLUS */
                "\xe2\x81\xaf", /* U+206F NOMINAL DIGIT SHAPES */
                "\xe3\x80\x80", /* U+3000 IDEOGRAPHIC SPACE */
                "\xe3\x85\xa4", /* U+3164 HANGUL FILLER */
                "\xef\xbb\xbf", /* U+FEFF ZERO WIDTH NO-BREAK SPACE (BOM) */
        };
        char buf[64];

        for (size_t i = 0; i < sizeof(blanks) / sizeof(blanks[0]); i++) {
                buf[0] = 0;
                for (int k = 0; k < 10; k++)
                        strcat(buf, blanks[i]);
                assert_int_equal(reason_verdict(buf, 10), SG_TEXT_NO_CONTENT);
                /* Mixed with ASCII punctuation: still nothing said. */
                snprintf(buf, sizeof(buf), "..%s..%s..%s..", blanks[i], blanks[i], blanks[i]);
                assert_int_equal(reason_verdict(buf, 1), SG_TEXT_NO_CONTENT);
                /* With a word they are ordinary spaces. */
                snprintf(buf, sizeof(buf), "disk%sfull%son db01", blanks[i], blanks[i]);
                assert_int_equal(reason_verdict(buf, 10), SG_TEXT_OK);
        }

        /* Neighbours that still count: U+1681 OGHAM LETTER BEITH, U+3001 IDEOGRAPHIC COMMA. */
        assert_int_equal(reason_verdict("\xe1\x9a\x81", 1), SG_TEXT_OK);
        assert_int_equal(reason_verdict("\xe3\x80\x81", 1), SG_TEXT_OK);
}

/* Only what a reader sees counts toward the minimum: inner spaces do not. */
static void test_spaces_do_not_count(void **state)
{
        /* 11 characters, 6 of them letters. */
        assert_int_equal(reason_verdict("a b c d e f", 10), SG_TEXT_TOO_SHORT);
        assert_int_equal(reason_verdict("a b c d e f", 6), SG_TEXT_OK);
        assert_string_equal(out, "a b c d e f");
        assert_int_equal(reason_verdict("a b c d e f", 7), SG_TEXT_TOO_SHORT);
        /* "disk full" is 8 visible characters. */
        assert_int_equal(reason_verdict("disk full", 8), SG_TEXT_OK);
        assert_int_equal(reason_verdict("disk full", 9), SG_TEXT_TOO_SHORT);
        /* Runs of spaces, ASCII or not, add nothing. */
        assert_int_equal(reason_verdict("db01          down", 10), SG_TEXT_TOO_SHORT);
        assert_int_equal(reason_verdict("db01\xc2\xa0\xc2\xa0\xc2\xa0\xe3\x80\x80\xe3\x80\x80"
                                        "down",
                                        10),
                         SG_TEXT_TOO_SHORT);
        /* Punctuation is visible and counts. */
        assert_int_equal(reason_verdict("db01 down!!", 10), SG_TEXT_OK);
}

/* "x" followed by nine invisible characters looks like "x": it is one character, not ten. */
static void test_invisible_characters_do_not_count(void **state)
{
        static const char *const invisible[] = {
                "\xe2\x80\x8b",     /* U+200B ZERO WIDTH SPACE */
                "\xe2\x80\x8c",     /* U+200C ZERO WIDTH NON-JOINER */
                "\xe2\x80\x8d",     /* U+200D ZERO WIDTH JOINER */
                "\xe2\x81\xa0",     /* U+2060 WORD JOINER */
                "\xe2\x81\xa1",     /* U+2061 FUNCTION APPLICATION */
                "\xe2\x81\xa2",     /* U+2062 INVISIBLE TIMES */
                "\xe2\x81\xa3",     /* U+2063 INVISIBLE SEPARATOR */
                "\xe2\x81\xa4",     /* U+2064 INVISIBLE PLUS */
                "\xef\xbb\xbf",     /* U+FEFF ZERO WIDTH NO-BREAK SPACE (BOM) */
                "\xc2\xad",         /* U+00AD SOFT HYPHEN */
                "\xe1\xa0\x8e",     /* U+180E MONGOLIAN VOWEL SEPARATOR */
                "\xef\xb8\x80",     /* U+FE00 VARIATION SELECTOR-1 */
                "\xef\xb8\x8f",     /* U+FE0F VARIATION SELECTOR-16 (emoji style) */
                "\xf3\xa0\x80\x81", /* U+E0001 LANGUAGE TAG */
                "\xf3\xa0\x80\xa0", /* U+E0020 TAG SPACE */
                "\xf3\xa0\x81\x81", /* U+E0041 TAG LATIN CAPITAL LETTER A */
                "\xf3\xa0\x81\xbf", /* U+E007F CANCEL TAG */
                "\xf3\xa0\x84\x80", /* U+E0100 VARIATION SELECTOR-17 */
                "\xe2\xa0\x80",     /* U+2800 BRAILLE PATTERN BLANK */
                "\xe3\x85\xa4",     /* U+3164 HANGUL FILLER */
                "\xe1\x85\x9f",     /* U+115F HANGUL CHOSEONG FILLER */
                "\xc2\xa0",         /* U+00A0 NO-BREAK SPACE */
                "\xe2\x80\x80",     /* U+2000 EN QUAD */
                "\xe3\x80\x80",     /* U+3000 IDEOGRAPHIC SPACE */
        };
        char buf[128];

        for (size_t i = 0; i < sizeof(invisible) / sizeof(invisible[0]); i++) {
                strcpy(buf, "x");
                for (int k = 0; k < 9; k++)
                        strcat(buf, invisible[i]);
                assert_int_equal(reason_verdict(buf, 10), SG_TEXT_TOO_SHORT);
                /* Allowed, and kept as typed, when the visible part is long enough. */
                assert_int_equal(reason_verdict(buf, 1), SG_TEXT_OK);
                assert_string_equal(out, buf);

                /* Padding a 9-character reason between its letters does not help either. */
                snprintf(buf, sizeof(buf), "db01%sdown%s!", invisible[i], invisible[i]);
                assert_int_equal(reason_verdict(buf, 10), SG_TEXT_TOO_SHORT);
                assert_int_equal(reason_verdict(buf, 9), SG_TEXT_OK);
        }

        /* Only invisible characters: nothing said at all. */
        assert_int_equal(reason_verdict("\xf3\xa0\x81\x81\xf3\xa0\x81\x82\xf3\xa0\x81\x83", 1),
                         SG_TEXT_NO_CONTENT);
        assert_int_equal(reason_verdict("\xef\xb8\x8f\xef\xb8\x8f\xef\xb8\x8f", 1),
                         SG_TEXT_NO_CONTENT);
        assert_int_equal(reason_verdict("\xe2\xa0\x80\xe2\xa0\x80\xe2\xa0\x80", 1),
                         SG_TEXT_NO_CONTENT);

        /* Neighbours that are visible and count: U+2801 BRAILLE PATTERN DOTS-1, U+FE10
         * PRESENTATION FORM FOR VERTICAL COMMA, U+1160 is a filler but U+1100 a letter. */
        assert_int_equal(reason_verdict("\xe2\xa0\x81\xe2\xa0\x81", 2), SG_TEXT_OK);
        assert_int_equal(reason_verdict("x\xef\xb8\x90", 2), SG_TEXT_OK);
        assert_int_equal(reason_verdict("\xe1\x84\x80\xe1\x84\x80", 2), SG_TEXT_OK);
}

/* A combining mark is drawn on the character before it: "e" and nine accents is one character
 * on the screen. Precomposed and decomposed text count the same. */
static void test_combining_marks_do_not_count(void **state)
{
        char buf[128];

        strcpy(buf, "e");
        for (int k = 0; k < 9; k++)
                strcat(buf, "\xcc\x81"); /* U+0301 COMBINING ACUTE ACCENT */
        assert_int_equal(reason_verdict(buf, 10), SG_TEXT_TOO_SHORT);
        assert_int_equal(reason_verdict(buf, 1), SG_TEXT_OK);

        /* "café" decomposed (e + U+0301) is 4 characters, like the precomposed one. */
        assert_int_equal(reason_verdict("cafe\xcc\x81", 4), SG_TEXT_OK);
        assert_int_equal(reason_verdict("cafe\xcc\x81", 5), SG_TEXT_TOO_SHORT);
        assert_int_equal(reason_verdict("caf\xc3\xa9", 5), SG_TEXT_TOO_SHORT);

        /* Marks from other blocks: U+20DD COMBINING ENCLOSING CIRCLE (Me), U+05B4 HEBREW POINT
         * HIRIQ, U+0E49 THAI MAI THO, U+1AB0 and U+1DC0 (extended/supplement), U+FE20 half
         * marks, U+034F COMBINING GRAPHEME JOINER, U+1D167 musical combining mark. */
        static const char *const marks[] = {
                "\xe2\x83\x9d", "\xd6\xb4",     "\xe0\xb9\x89", "\xe1\xaa\xb0",
                "\xe1\xb7\x80", "\xef\xb8\xa0", "\xcd\x8f",     "\xf0\x9d\x85\xa7",
        };
        for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
                snprintf(buf, sizeof(buf), "db01%s%s%sdown", marks[i], marks[i], marks[i]);
                assert_int_equal(reason_verdict(buf, 9), SG_TEXT_TOO_SHORT);
                assert_int_equal(reason_verdict(buf, 8), SG_TEXT_OK);
                /* Marks alone say nothing. */
                snprintf(buf, sizeof(buf), "%s%s%s", marks[i], marks[i], marks[i]);
                assert_int_equal(reason_verdict(buf, 1), SG_TEXT_NO_CONTENT);
        }

        /* Neighbours of the mark blocks still count: U+02FF before U+0300, U+0370 after
         * U+036F; and a spacing mark (Mc) takes room: U+0903 DEVANAGARI SIGN VISARGA. */
        assert_int_equal(reason_verdict("\xcb\xbf\xcd\xb0", 2), SG_TEXT_OK);
        assert_int_equal(reason_verdict("\xe0\xa4\x95\xe0\xa4\x83", 2), SG_TEXT_OK);
}

static void test_empty(void **state)
{
        assert_int_equal(reason_verdict("", 10), SG_TEXT_EMPTY);
        assert_int_equal(reason_verdict(" \t\r\n ", 10), SG_TEXT_EMPTY);
        assert_int_equal(reason_verdict(NULL, 10), SG_TEXT_EMPTY);
        /* A reason is never optional at this level: min 0 is taken as 1. */
        assert_int_equal(reason_verdict("", 0), SG_TEXT_EMPTY);
        assert_int_equal(reason_verdict("x", 0), SG_TEXT_OK);
}

static void test_text_min_zero_allows_empty(void **state)
{
        char note[SG_NOTE_MAX_BYTES + 1] = "junk";
        enum sg_text_error why = SG_TEXT_CONTROL;

        assert_int_equal(sg_text_check("   ", 0, SG_NOTE_MAX_BYTES, note, sizeof(note), &why), 0);
        assert_int_equal(why, SG_TEXT_OK);
        assert_string_equal(note, "");

        /* Not empty: the other rules apply as usual. */
        assert_int_equal(sg_text_check("???", 0, SG_NOTE_MAX_BYTES, note, sizeof(note), &why),
                         -EINVAL);
        assert_int_equal(why, SG_TEXT_NO_CONTENT);

        char buf[SG_NOTE_MAX_BYTES + 2];
        memset(buf, 'n', SG_NOTE_MAX_BYTES + 1);
        buf[SG_NOTE_MAX_BYTES + 1] = 0;
        assert_int_equal(sg_text_check(buf, 0, SG_NOTE_MAX_BYTES, note, sizeof(note), &why),
                         -EINVAL);
        assert_int_equal(why, SG_TEXT_TOO_LONG);
        buf[SG_NOTE_MAX_BYTES] = 0;
        assert_int_equal(sg_text_check(buf, 0, SG_NOTE_MAX_BYTES, note, sizeof(note), &why), 0);
        assert_int_equal(strlen(note), SG_NOTE_MAX_BYTES);
}

static void test_order_of_problems(void **state)
{
        char buf[700];

        /* A hidden escape sequence in an overlong text: the escape is what the user must learn
         * about, not the length. */
        memset(buf, 'a', 600);
        memcpy(buf + 100, "\x1b[0m", 4);
        buf[600] = 0;
        assert_int_equal(reason_verdict(buf, 10), SG_TEXT_CONTROL);

        /* Invalid UTF-8 wins over a control character that comes before it. */
        assert_int_equal(reason_verdict("tab\there and \xff there", 10), SG_TEXT_BAD_UTF8);

        /* Control characters in a text without letters. */
        assert_int_equal(reason_verdict("...\x1b...", 1), SG_TEXT_CONTROL);

        /* Too short with a control character. */
        assert_int_equal(reason_verdict("a\tb", 10), SG_TEXT_CONTROL);

        /* 600 dots: no content before too long. */
        memset(buf, '.', 600);
        buf[600] = 0;
        assert_int_equal(reason_verdict(buf, 10), SG_TEXT_NO_CONTENT);
}

static void test_buffer_too_small(void **state)
{
        char small[SG_REASON_MAX_BYTES];
        enum sg_text_error why = SG_TEXT_CONTROL;

        assert_int_equal(sg_reason_check("a fine reason", 1, small, sizeof(small), &why), -ENOBUFS);
        assert_int_equal(why, SG_TEXT_OK);
        assert_int_equal(sg_reason_check("a fine reason", 1, NULL, 0, &why), -ENOBUFS);
        /* ret_why may be NULL. */
        assert_int_equal(sg_reason_check("a fine reason", 1, out, sizeof(out), NULL), 0);
        assert_string_equal(out, "a fine reason");
        assert_int_equal(sg_reason_check("", 1, out, sizeof(out), NULL), -EINVAL);
}

static void test_error_strings(void **state)
{
        char msg[200];

        assert_string_equal(sg_text_error_to_string(SG_TEXT_TOO_SHORT),
                            "is too short (spaces and invisible characters do not count)");
        assert_string_equal(sg_text_error_to_string(SG_TEXT_TOO_LONG), "is too long");
        assert_string_equal(sg_text_error_to_string(SG_TEXT_EMPTY), "is empty");
        assert_string_equal(sg_text_error_to_string(SG_TEXT_BAD_UTF8), "is not valid UTF-8");
        assert_string_equal(sg_text_error_to_string(SG_TEXT_CONTROL),
                            "contains control characters (such as tabs, escape sequences or "
                            "direction overrides)");
        assert_string_equal(sg_text_error_to_string(SG_TEXT_NO_CONTENT),
                            "must contain letters or digits, not only punctuation or spaces");
        assert_string_equal(sg_text_error_to_string((enum sg_text_error)99), "is invalid");

        /* As the PAM module prints it. */
        snprintf(msg, sizeof(msg), "The reason %s.", sg_text_error_to_string(SG_TEXT_BAD_UTF8));
        assert_string_equal(msg, "The reason is not valid UTF-8.");
        snprintf(msg, sizeof(msg), "The note %s.", sg_text_error_to_string(SG_TEXT_TOO_SHORT));
        assert_string_equal(
                msg, "The note is too short (spaces and invisible characters do not count).");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good_ascii),
                cmocka_unit_test(test_good_utf8),
                cmocka_unit_test(test_trimming),
                cmocka_unit_test(test_max_bytes),
                cmocka_unit_test(test_min_chars_counts_characters),
                cmocka_unit_test(test_control_characters),
                cmocka_unit_test(test_bidi_controls),
                cmocka_unit_test(test_invalid_utf8),
                cmocka_unit_test(test_no_content),
                cmocka_unit_test(test_unicode_spaces_are_no_content),
                cmocka_unit_test(test_spaces_do_not_count),
                cmocka_unit_test(test_invisible_characters_do_not_count),
                cmocka_unit_test(test_combining_marks_do_not_count),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_text_min_zero_allows_empty),
                cmocka_unit_test(test_order_of_problems),
                cmocka_unit_test(test_buffer_too_small),
                cmocka_unit_test(test_error_strings),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
