/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a staff member who wants to outlive the access runs (tests/e2e): a listener on
 * 127.0.0.1 in a second thread, then the main thread ends with the raw exit syscall. The
 * kernel then shows the process as a zombie (State: Z) with live threads, which a /proc walk
 * that takes every zombie for dead never signals.
 *   outlive PORT_FILE     writes the port to PORT_FILE, answers "alive <uid>\n" to each
 *                         connection, forever */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int listen_fd = -1;

static void *serve(void *arg)
{
        (void)arg;
        for (;;) {
                char line[64];
                int c = accept(listen_fd, NULL, NULL);

                if (c < 0)
                        continue;
                (void)snprintf(line, sizeof(line), "alive %u\n", (unsigned)getuid());
                (void)!write(c, line, strlen(line));
                (void)close(c);
        }
        return NULL;
}

int main(int argc, char **argv)
{
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(a);
        pthread_t t;
        FILE *f;

        if (argc != 2) {
                fprintf(stderr, "usage: outlive PORT_FILE\n");
                return 2;
        }
        listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
            listen(listen_fd, 8) < 0 || getsockname(listen_fd, (struct sockaddr *)&a, &len) < 0) {
                perror("outlive: listen");
                return 1;
        }
        f = fopen(argv[1], "w");
        if (!f || fprintf(f, "%u\n", (unsigned)ntohs(a.sin_port)) < 0 || fclose(f) != 0) {
                perror("outlive: port file");
                return 1;
        }
        if (pthread_create(&t, NULL, serve, NULL) != 0)
                return 1;
        /* Only this thread ends; the process lives on in the other one. */
        (void)syscall(SYS_exit, 0);
        return 0;
}
