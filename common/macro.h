/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small helpers used everywhere: automatic cleanup, ownership transfer, string equality. */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _unused_       __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _pure_         __attribute__((pure))
#define _public_       __attribute__((visibility("default")))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define streq(a, b)     (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)
#define isempty(s)      (!(s) || !(s)[0])
#define strempty(s)     ((s) ? (s) : "")

/* Hand over ownership of a pointer or fd so that the cleanup handler leaves it alone. */
#define TAKE_PTR(p)                      \
        ({                               \
                __typeof__(p) _p_ = (p); \
                (p) = NULL;              \
                _p_;                     \
        })
#define TAKE_FD(fd)              \
        ({                       \
                int _fd_ = (fd); \
                (fd) = -EBADF;   \
                _fd_;            \
        })

static inline void freep(void *p)
{
        free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                (void)close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
        if (*f)
                (void)fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
        static inline void func##p(type *p)     \
        {                                       \
                if (*p)                         \
                        func(*p);               \
        }

/* Room for element n of a growing array: doubles it (starting at 'first') when full. 0 or
 * -ENOMEM, which leaves the array as it was. Use through GROW(). */
static inline int sg_grow(void **items, size_t *size, size_t n, size_t elem, size_t first)
{
        size_t nsize;
        void *p;

        if (n < *size)
                return 0;
        nsize = *size ? *size * 2 : first;
        p = reallocarray(*items, nsize, elem);
        if (!p)
                return -ENOMEM;
        *items = p;
        *size = nsize;
        return 0;
}
#define GROW(items, size, n, first) \
        sg_grow((void **)&(items), &(size), (n), sizeof(*(items)), (first))

/* Copy a string into a fixed buffer; -ENAMETOOLONG if it does not fit (nothing is truncated
 * silently: a truncated user name or path would be a different one). */
static inline int strcpy_checked(char *dst, size_t size, const char *src)
{
        size_t n = strlen(src);

        if (n >= size)
                return -ENAMETOOLONG;
        memcpy(dst, src, n + 1);
        return 0;
}

/* Remember the first error of several steps. */
#define RET_GATHER(ret, r) ((ret) = (ret) < 0 ? (ret) : (r))
