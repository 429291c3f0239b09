/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Grants and logins as JSON, with the field names of SPEC §6: what the daemon sends and what
 * `supportgrant --json` prints are the same objects. */

#include <json-c/json.h>
#include <time.h>

#include "grant.h"

/* New objects (caller puts them), NULL on allocation failure. 'now' decides the state. */
json_object *sg_grant_to_json(const struct sg_grant *g, time_t now);
json_object *sg_login_to_json(const struct sg_login *l);
/* An RFC 3339 string, or JSON null for 0 / SG_TIME_NEVER. */
json_object *sg_time_to_json(time_t t);
