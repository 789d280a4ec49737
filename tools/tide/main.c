/* tide — `tide <cmd> args...` runs `tide-<cmd> args...`, looked up first beside this executable
 * (so a build tree or an install prefix works without PATH changes), then on PATH. */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tide/core.h"

static const char *commands[] = {"ingest", "split", "embed", "train-mf", "capture-interest", "recommend", "eval", "verify", NULL};

static void usage(FILE *out) {
    fprintf(out, "tide — dynamic-interest recommendation toolkit\n\nUsage: tide <command> [args...]\n\nCommands:\n");
    for (int i = 0; commands[i]; i++) fprintf(out, "  %s\n", commands[i]);
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
