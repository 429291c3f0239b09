/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The methods of io.supportgrant (io.supportgrant.varlink): who may call each, its parameters
 * and its answer. */

#include <json-c/json.h>

#include "server.h"

/* The server's dispatch function; userdata is the struct manager. */
int methods_dispatch(struct conn *c, json_object *request, void *userdata);
