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
 * min_chars == 0 allows the empty text (SG_TEXT_OK with ret = ""). */
int sg_text_check(const char *input, size_t min_chars, size_t max_bytes, char *ret, size_t ret_size,
                  enum sg_text_error *ret_why);

/* The login reason: sg_text_check with SG_REASON_MAX_BYTES and min_chars >= 1. */
int sg_reason_check(const char *input, size_t min_chars, char *ret, size_t ret_size,
                    enum sg_text_error *ret_why);

/* A sentence for the user, e.g. "the reason must be at least 10 characters long". */
const char *sg_text_error_to_string(enum sg_text_error why);
