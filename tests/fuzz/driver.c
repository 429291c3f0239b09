/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The regression driver: runs a fuzz target over files and directories given as arguments
 * (the committed corpus), without libFuzzer, so that any compiler and any sanitizer build
 * can replay the corpus in `make check`. Each input is read whole into a buffer of exactly its
 * size, as libFuzzer does, so that an overread is caught by ASan. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static unsigned n_inputs;

static int run_file(const char *path)
{
        struct stat st;
        uint8_t *buf;
        size_t off = 0;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -1;
        }
        buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
        if (!buf) {
                close(fd);
                return -1;
        }
        while (off < (size_t)st.st_size) {
                ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);

                if (n <= 0) {
                        fprintf(stderr, "%s: short read\n", path);
                        free(buf);
                        close(fd);
                        return -1;
                }
                off += (size_t)n;
        }
        close(fd);
        (void)LLVMFuzzerTestOneInput(buf, off);
        free(buf);
        n_inputs++;
        return 0;
}

static int run_path(const char *path)
{
        struct stat st;
        struct dirent **list;
        int n, r = 0;

        if (stat(path, &st) < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -1;
        }
        if (!S_ISDIR(st.st_mode))
                return run_file(path);
        n = scandir(path, &list, NULL, alphasort);
        if (n < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -1;
        }
        for (int i = 0; i < n; i++) {
                char sub[4096];

                if (list[i]->d_name[0] != '.') {
                        (void)snprintf(sub, sizeof(sub), "%s/%s", path, list[i]->d_name);
                        if (run_path(sub) < 0)
                                r = -1;
                }
                free(list[i]);
        }
        free(list);
        return r;
}

int main(int argc, char **argv)
{
        int r = 0;

        if (LLVMFuzzerInitialize)
                (void)LLVMFuzzerInitialize(&argc, &argv);
        for (int i = 1; i < argc; i++)
                if (run_path(argv[i]) < 0)
                        r = 1;
        printf("%s: %u inputs\n", argv[0], n_inputs);
        return r == 0 && n_inputs > 0 ? 0 : 1;
}
