/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Activation codes ("SG1-..."): what a staff member sends a customer instead of a link.
 * A code carries target, period, export flag, note, creation time and a random nonce, and a
 * CRC-32 so that a mistyped code is rejected. It is not a secret and not a credential:
 * redeeming needs the right to activate, and each nonce works once (the daemon remembers). */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "names.h"
#include "period.h"
#include "reason.h"
#include "grant.h"

#define SG_CODE_PREFIX    "SG1-"
#define SG_CODE_MAX       1024 /* text form, including NUL; the longest code needs 926 */
#define SG_CODE_NONCE_LEN 8

struct sg_code {
        enum sg_grant_kind kind;
        char target[SG_NAME_MAX];
        bool export;
        enum sg_period period;
        char note[SG_NOTE_MAX_BYTES + 1];
        time_t created;
        uint8_t nonce[SG_CODE_NONCE_LEN];
};

enum sg_code_error {
        SG_CODE_OK,
        SG_CODE_NOT_A_CODE,    /* no SG1- code in the text */
        SG_CODE_BAD_CHARACTER, /* a character outside the code alphabet */
        SG_CODE_CHECKSUM,      /* mistyped: the checksum does not match */
        SG_CODE_TRUNCATED,     /* too short for what it says it carries */
        SG_CODE_BAD_VERSION,   /* made by a newer supportgrant */
        SG_CODE_BAD_CONTENT,   /* decodes, but a field is invalid (name, period, note) */
};

/* Fills c->nonce from getrandom(). */
int sg_code_new_nonce(struct sg_code *c);

/* Text form: "SG1-" then groups of 5 characters of Crockford base32 separated by '-'.
 * -EINVAL if a field is invalid, -ENOBUFS if size is too small (SG_CODE_MAX always suffices).
 * Valid: kind user or department, a target accepted by sg_name_is_valid(), a period below
 * _SG_PERIOD_MAX, created >= 0, a nonce that is not all zero (one that was never filled in),
 * and a note exactly as sg_text_check(note, 0, SG_NOTE_MAX_BYTES, ...) returns it (so that
 * decoding gives back the same note).
 *
 * The payload behind the base32, all integers big-endian:
 *   version (1 byte, 1) | flags (bit 0: department, bit 1: export) | period (enum number) |
 *   created (8 bytes, seconds since the epoch) | nonce (8 bytes) |
 *   target length (1 byte) | target | note length (1 byte) | note |
 *   CRC-32 (zlib) of everything before it (4 bytes)
 * The last base32 character is padded with zero bits. */
int sg_code_encode(const struct sg_code *c, char *buf, size_t size);

/* Accepts the code as printed, in any case, with or without the dashes and surrounding white
 * space, with O/o read as 0 and I/i/L/l as 1, or a URL whose last path segment or "code="
 * query parameter is the code. Returns 0 or -EINVAL with *ret_why set; *ret is only written
 * on success. In a URL (text containing "://") a non-empty "code=" parameter of the query wins,
 * else the last non-empty segment of the path is taken; the fragment is ignored and nothing is
 * percent-decoded.
 *
 * Text longer than 4 KiB is not a code. Any other text that does not start with "SG" and a
 * digit is SG_CODE_NOT_A_CODE; another digit than 1 is SG_CODE_BAD_VERSION. A checksum that
 * does not match is reported as SG_CODE_TRUNCATED when the length fields (not yet verified)
 * promise more bytes than there are, else as SG_CODE_CHECKSUM: so a code cut off while copying
 * says so, and a mistyped length field may be called incomplete instead of mistyped. Only with
 * a matching checksum are the version byte (SG_CODE_BAD_VERSION) and the fields
 * (SG_CODE_BAD_CONTENT, also for unknown flag bits and trailing bytes) judged. */
int sg_code_decode(const char *text, struct sg_code *ret, enum sg_code_error *ret_why);

/* The nonce as 16 lowercase hex digits (+ NUL): the code's identity in the database. */
void sg_code_id(const struct sg_code *c, char buf[static 2 * SG_CODE_NONCE_LEN + 1]);

/* A short clause that completes "The code %s.", e.g. "is mistyped (...)". */
const char *sg_code_error_to_string(enum sg_code_error why);
