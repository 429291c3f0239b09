/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The rules for free text a person types that ends up in SQLite, the journal and other
 * people's terminals: the login reason, and the note of a grant or a code. */

#include <stddef.h>

#define SG_REASON_MAX_BYTES 500 /* after trimming, excluding NUL */
#define SG_NOTE_MAX_BYTES   200

enum sg_text_error {
        SG_TEXT_OK,
        SG_TEXT_EMPTY,      /* nothing left after trimming */
        SG_TEXT_TOO_SHORT,  /* fewer characters than required */
        SG_TEXT_TOO_LONG,   /* more bytes than allowed */
        SG_TEXT_CONTROL,    /* control characters (C0, DEL, C1, ESC), bidi overrides */
        SG_TEXT_BAD_UTF8,   /* not valid UTF-8 (also overlong forms, surrogates) */
        SG_TEXT_NO_CONTENT, /* only punctuation, symbols and spaces */
};

/* Checks and normalizes a text: trims leading/trailing spaces, tabs, CR and LF, then
 * requires valid UTF-8, no control characters, at most max_bytes bytes, at least
 * min_chars characters (code points) and at least one letter or digit (any non-ASCII code
 * point counts as a letter). On success copies the trimmed text to ret (ret_size must be at
 * least max_bytes + 1) and returns 0; otherwise returns -EINVAL and sets *ret_why.
 * min_chars == 0 allows the empty text (SG_TEXT_OK with ret = ""). A NULL input is the empty
 * text. ret too small (a caller bug): -ENOBUFS with *ret_why = SG_TEXT_OK.
 *
 * "Control characters" are C0 (U+0000..U+001F, so TAB, CR, LF and ESC inside the text too),
 * DEL, C1 (U+0080..U+009F), the bidi controls U+061C, U+200E, U+200F, U+202A..U+202E,
 * U+2066..U+2069 (they reorder what a log reader sees, "Trojan source") and the line and
 * paragraph separators U+2028, U+2029 (they start a new line in some log viewers).
 *
 * When a text has several problems, the one reported is the first of:
 *   SG_TEXT_EMPTY       nothing else can be said about nothing
 *   SG_TEXT_BAD_UTF8    the bytes are not text at all (usually a terminal set to another
 *                       encoding); until that is fixed no character can be judged or counted
 *   SG_TEXT_CONTROL     invisible to the user (a pasted colour code, a tab), so they must be
 *                       told; removing them also changes the length
 *   SG_TEXT_NO_CONTENT  "........": typing more of the same will not help, so say what will
 *   SG_TEXT_TOO_LONG
 *   SG_TEXT_TOO_SHORT */
int sg_text_check(const char *input, size_t min_chars, size_t max_bytes, char *ret, size_t ret_size,
                  enum sg_text_error *ret_why);

/* The login reason: sg_text_check with SG_REASON_MAX_BYTES and min_chars >= 1 (0 is taken
 * as 1: a reason, when asked for, is never empty). */
int sg_reason_check(const char *input, size_t min_chars, char *ret, size_t ret_size,
                    enum sg_text_error *ret_why);

/* A short clause that completes "The reason %s." or "The note %s.", e.g. "is too short". It
 * names no limit (the caller knows which one applies and may add it). */
const char *sg_text_error_to_string(enum sg_text_error why);
