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
#include "store.h"

#define SG_CODE_PREFIX    "SG1-"
#define SG_CODE_MAX       512 /* text form, including NUL */
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
 * -EINVAL if a field is invalid, -ENOBUFS if size is too small. */
int sg_code_encode(const struct sg_code *c, char *buf, size_t size);

/* Accepts the code as printed, in any case, with or without the dashes and surrounding white
 * space, with O/o read as 0 and I/i/L/l as 1, or a URL whose last path segment or "code="
 * query parameter is the code. Returns 0 or -EINVAL with *ret_why set. */
int sg_code_decode(const char *text, struct sg_code *ret, enum sg_code_error *ret_why);

/* The nonce as 16 lowercase hex digits (+ NUL): the code's identity in the database. */
void sg_code_id(const struct sg_code *c, char buf[static 2 * SG_CODE_NONCE_LEN + 1]);

const char *sg_code_error_to_string(enum sg_code_error why);
