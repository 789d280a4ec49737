/* tide — `tide <cmd> args...` runs `tide-<cmd> args...`, looked up first beside this executable
 * (so a build tree or an install prefix works without PATH changes), then on PATH. `tide --help`
 * lists the programs installed beside it. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tide/core.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The commands are the tide-<cmd> programs installed beside this executable (a build tree or an
 * install prefix), so the list is always what `tide <cmd>` can run here. */
static void usage(FILE *out) {
    fprintf(out, "tide — dynamic-interest recommendation toolkit\n\nUsage: tide <command> [args...]\n\nCommands:\n");
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    DIR *d = NULL;
    const char *dir = ".";
    if (n > 0) {
        self[n] = 0;
        dir = dirname(self);
        d = opendir(dir);
    }
    char *names[256];
    int k = 0;
    for (struct dirent *e; d && (e = readdir(d)) && k < 256;) {
        if (strncmp(e->d_name, "tide-", 5) != 0 || !e->d_name[5]) continue;
        char path[PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, X_OK) != 0) continue;
        if ((names[k] = strdup(e->d_name + 5))) k++;
    }
    if (d) closedir(d);
    qsort(names, (size_t)k, sizeof *names, cmp_str);
    for (int i = 0; i < k; i++) {
        fprintf(out, "  %s\n", names[i]);
        free(names[i]);
    }
    if (!k) fprintf(out, "  (no tide-* programs found beside this executable)\n");
    fprintf(out, "\n'tide <command> --help' shows a command's options.\n"
                 "Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input data, 4 backend unavailable.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("tide %s\n", tide_version());
        return 0;
    }
    if (strchr(argv[1], '/') || argv[1][0] == '-') {
        fprintf(stderr, "tide: usage error: unknown command '%s'\n", argv[1]);
        return 2;
    }
    char name[256];
    if (snprintf(name, sizeof name, "tide-%s", argv[1]) >= (int)sizeof name) return 2;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        char path[PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", dirname(self), name);
        if (access(path, X_OK) == 0) {
            argv[1] = path;
            execv(path, argv + 1);
        }
    }
    argv[1] = name;
    execvp(name, argv + 1);
    fprintf(stderr, "tide: usage error: unknown command '%s' (no %s: %s)\n", argv[1] + 5, name, strerror(errno));
    return 2;
}
