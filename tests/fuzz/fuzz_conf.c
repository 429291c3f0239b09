/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sg_config_parse() on arbitrary text: whatever the file holds, the parser returns, the
 * configuration stays within its documented ranges and the error message is a C string. */
#include <assert.h>
#include <stdint.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct sg_config c;
        struct sg_error err = {};
        int r;

        if (size > SG_CONF_MAX_SIZE)
                return 0;
        sg_config_init(&c);
        r = sg_config_parse(&c, "fuzz.conf", (const char *)data, size, &err);
        assert(r <= 0);
        if (r < 0) {
                assert(memchr(err.msg, 0, sizeof(err.msg)));
                assert(strneq(err.msg, "fuzz.conf:", 10));
        }
        assert(memchr(c.staff_group, 0, sizeof(c.staff_group)));
        assert(sg_name_is_valid(c.staff_group));
        assert(memchr(c.department_prefix, 0, sizeof(c.department_prefix)));
        assert(memchr(c.database, 0, sizeof(c.database)) && c.database[0]);
        assert(memchr(c.socket, 0, sizeof(c.socket)) && c.socket[0]);
        assert(c.reason_min_length >= 1 && c.reason_min_length <= 500);
        assert(c.reason == SG_REASON_REQUIRED || c.reason == SG_REASON_OPTIONAL ||
               c.reason == SG_REASON_OFF);
        assert(c.default_period >= 0 && c.default_period < _SG_PERIOD_MAX);
        return 0;
}
