/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The varlink wire format (https://varlink.org): JSON objects, each terminated by a NUL byte,
 * over a Unix stream socket. Requests are {"method": "io.supportgrant.X", "parameters": {...},
 * "more": bool}; replies are {"parameters": {...}} or {"error": "io.supportgrant.Y",
 * "parameters": {...}}, with "continues": true on all but the last reply of a "more" call.
 * This is the client side and the parsing both sides share; the daemon does its own
 * non-blocking I/O. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

#define SG_VARLINK_INTERFACE   "io.supportgrant"
#define SG_VARLINK_REQUEST_MAX (64 * 1024)        /* what the daemon accepts */
#define SG_VARLINK_REPLY_MAX   (16 * 1024 * 1024) /* what a client accepts per message */
#define SG_VARLINK_MAX_DEPTH   16

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

/* Parses one message (without its NUL). Refuses non-objects, nesting deeper than
 * SG_VARLINK_MAX_DEPTH, embedded NULs and trailing garbage. -EBADMSG on any of those. */
int sg_varlink_parse(const char *buf, size_t len, json_object **ret);

struct sg_varlink_client;
typedef struct sg_varlink_client sg_varlink_client;

/* Connects to the daemon's socket. -ENOENT / -ECONNREFUSED / -EACCES as connect(2) says;
 * timeout_ms bounds every later read and write. */
int sg_varlink_connect(const char *path, int timeout_ms, sg_varlink_client **ret);
void sg_varlink_client_free(sg_varlink_client *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(sg_varlink_client *, sg_varlink_client_free)

/* Sends a call. params may be NULL ({}); takes no reference. */
int sg_varlink_send_call(sg_varlink_client *c, const char *method, json_object *params, bool more);

/* Reads the next reply. On success *ret_reply holds the whole reply object (caller puts it);
 * *ret_error points into it (NULL when the reply is not an error), *ret_params to its
 * "parameters" object (never NULL: an empty object is supplied), and *ret_continues tells
 * whether more replies follow. -ETIMEDOUT, -ECONNRESET (daemon went away), -EBADMSG. */
int sg_varlink_read_reply(sg_varlink_client *c, json_object **ret_reply, const char **ret_error,
                          json_object **ret_params, bool *ret_continues);

/* One call, one reply. */
int sg_varlink_call(sg_varlink_client *c, const char *method, json_object *params,
                    json_object **ret_reply, const char **ret_error, json_object **ret_params);
