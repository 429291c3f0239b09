/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "names.h"

bool sg_name_is_valid(const char *name)
{
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n == 0 || n >= SG_NAME_MAX)
                return false;
        if (name[0] == '-' || name[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];

                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '@' || c == '-')
                        continue;
                if (c == '$' && i == n - 1)
                        continue;
                return false;
        }
        return true;
}
