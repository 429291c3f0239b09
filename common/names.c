/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
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

const char *sg_name_printable(const char *name, char *buf, size_t size)
{
        size_t o = 0;

        if (!buf || size < 8)
                return "";
        if (!name)
                name = "";
        for (; *name; name++) {
                unsigned char c = (unsigned char)*name;
                bool plain = c > 0x20 && c < 0x7f && c != '\\';

                if (o + (plain ? 1 : 4) + 4 > size) {
                        memcpy(buf + o, "...", 4);
                        return buf;
                }
                if (plain)
                        buf[o++] = (char)c;
                else
                        o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
        }
        buf[o] = '\0';
        return buf;
}
