/* kill-at-rename.c — an LD_PRELOAD fault shim for crash tests: with TIDE_SHIM_KILL_AT_RENAME=N in
 * the environment, the process kills itself with SIGKILL at its N-th rename() (before it
 * happens), which is where a crash hurts a multi-file output the most: some files are in place,
 * the rest are not. Without the variable it changes nothing. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

int rename(const char *from, const char *to) {
    static atomic_int calls;
    static int (*real)(const char *, const char *);
    const char *at = getenv("TIDE_SHIM_KILL_AT_RENAME");
    if (at && atomic_fetch_add(&calls, 1) + 1 == atoi(at)) raise(SIGKILL);
    if (!real) real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    return real(from, to);
}
