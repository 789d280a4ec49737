/* iofail.c — an LD_PRELOAD shim that injects I/O faults into tide's atomic outputs, for
 * tests/cli/faults/io-faults.sh. TIDE_IOFAIL selects the fault; only temporaries whose path
 * contains TIDE_IOFAIL_MATCH (default ".tmp.") are affected:
 *   enospc  temporaries are backed by /dev/full, so every write fails with ENOSPC
 *   eio     fsync fails with EIO
 *   erofs   creating a temporary fails with EROFS (a read-only directory, even for root)
 *   rename  the rename into place fails with EIO
 * tide writes through stdio, whose internal writes cannot be interposed, hence /dev/full. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *mode(void) {
    const char *m = getenv("TIDE_IOFAIL");
    return m ? m : "";
}

static int matches(const char *path) {
    const char *m = getenv("TIDE_IOFAIL_MATCH");
    return path && strstr(path, m && *m ? m : ".tmp.");
}

int mkstemp(char *tmpl) {
    static int (*real)(char *);
    if (!real) real = (int (*)(char *))dlsym(RTLD_NEXT, "mkstemp");
    if (matches(tmpl) && strcmp(mode(), "erofs") == 0) {
        errno = EROFS;
        return -1;
    }
    int fd = real(tmpl);
    if (fd >= 0 && matches(tmpl) && strcmp(mode(), "enospc") == 0) {
        int full = open("/dev/full", O_WRONLY);
        if (full >= 0) {
            dup2(full, fd);
            close(full);
        }
    }
    return fd;
}

char *mkdtemp(char *tmpl) {
    static char *(*real)(char *);
    if (!real) real = (char *(*)(char *))dlsym(RTLD_NEXT, "mkdtemp");
    if (matches(tmpl) && strcmp(mode(), "erofs") == 0) {
        errno = EROFS;
        return NULL;
    }
    return real(tmpl);
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (strcmp(mode(), "eio") == 0) {
        char link[64], path[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, path, sizeof path - 1);
        if (n > 0) {
            path[n] = 0;
            if (matches(path)) {
                errno = EIO;
                return -1;
            }
        }
    }
    return real(fd);
}

int rename(const char *from, const char *to) {
    static int (*real)(const char *, const char *);
    if (!real) real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    if (strcmp(mode(), "rename") == 0 && matches(from)) {
        errno = EIO;
        return -1;
    }
    return real(from, to);
}
