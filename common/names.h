/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* User and group names as they travel through supportgrant: in grants, codes, requests, SQL.
 * Accepted: 1..255 bytes of [A-Za-z0-9._@-], optionally ending in '$' (Samba machine accounts),
 * not starting with '-' or '.'. That covers Debian's useradd, LDAP/SSSD names such as
 * "jane.doe@example.com", and keeps anything that could confuse a terminal, a shell or a log
 * parser (spaces, ':', '/', control characters, non-ASCII) out. */
#define SG_NAME_MAX 256 /* including the terminating NUL */

bool sg_name_is_valid(const char *name);

/* A name as NSS gave it, for a log line or a message: bytes outside printable ASCII (and
 * space and backslash) as \xNN, cut with "..." to fit size (at least 8). A name that is not
 * valid may still have to be named in the log; this keeps it from carrying terminal escapes
 * or fake log lines there. Returns buf. */
const char *sg_name_printable(const char *name, char *buf, size_t size);
