/* signals.c — a terminated program removes its temporaries.
 *
 * SIGTERM (cron's `timeout`, a scheduler), SIGINT and SIGHUP would otherwise leave every
 * ".NAME.tmp.PID.XXXXXX" an atomic output was building. The handler removes the registered
 * temporaries with async-signal-safe calls only (unlink, rmdir, and a directory walk with
 * getdents64 into stack buffers), prints one line, and re-raises the signal so the parent sees
 * the usual "killed by SIGTERM" status. SIGXFSZ (`ulimit -f`) is ignored instead: the write past
 * the limit then fails with EFBIG and takes the ordinary error path (message, cleanup, exit 1). */
#define _GNU_SOURCE
#include "tide/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SLOTS 64

static struct {
    volatile sig_atomic_t active;
    char path[PATH_MAX];
} g_slots[SLOTS];
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static char g_program[64] = "tide";

void tide_cleanup_register(const char *tmp_path) {
    size_t n = strlen(tmp_path);
    if (n >= PATH_MAX) return;
    pthread_mutex_lock(&g_lock);
    for (int i = 0; i < SLOTS; i++)
        if (!g_slots[i].active) {
            memcpy(g_slots[i].path, tmp_path, n + 1);
            __atomic_store_n(&g_slots[i].active, 1, __ATOMIC_SEQ_CST);
            break;
        }
    pthread_mutex_unlock(&g_lock);
}

void tide_cleanup_unregister(const char *tmp_path) {
    pthread_mutex_lock(&g_lock);
    for (int i = 0; i < SLOTS; i++)
        if (g_slots[i].active && strcmp(g_slots[i].path, tmp_path) == 0) {
            __atomic_store_n(&g_slots[i].active, 0, __ATOMIC_SEQ_CST);
            break;
        }
    pthread_mutex_unlock(&g_lock);
}

struct linux_dirent64 {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Remove what `name` (relative to dirfd) names, files and directory trees; signal-safe. */
static void remove_at(int dirfd, const char *name, int depth) {
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) return;
    if (depth > 8) return;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (fd < 0) return;
    char buf[4096];
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (n <= 0) break;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0) continue;
            remove_at(fd, d->d_name, depth + 1);
        }
        /* entries were removed: read the directory from its start again */
        lseek(fd, 0, SEEK_SET);
    }
    close(fd);
    unlinkat(dirfd, name, AT_REMOVEDIR);
}

static void put(const char *s) {
    ssize_t r = write(STDERR_FILENO, s, strlen(s));
    (void)r;
}

static volatile sig_atomic_t g_hold, g_pending;

static void on_signal(int sig) {
    if (g_hold) {
        g_pending = sig;
        return;
    }
    for (int i = 0; i < SLOTS; i++)
        if (g_slots[i].active) remove_at(AT_FDCWD, g_slots[i].path, 0);
    put(g_program);
    put(": error: terminated by ");
    put(sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGHUP");
    put("; temporary outputs removed, previous outputs kept\n");
    signal(sig, SIG_DFL);
    raise(sig);
}

void tide_signals_install(const char *program) {
    size_t n = strlen(program);
    if (n >= sizeof g_program) n = sizeof g_program - 1;
    memcpy(g_program, program, n);
    g_program[n] = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigfillset(&sa.sa_mask); /* one handler at a time */
    int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction old;
        /* A signal the parent ignored (nohup, `trap '' TERM`) stays ignored. */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(sigs[i], &sa, NULL);
    }
    signal(SIGXFSZ, SIG_IGN);
}

/* A group commit's renames run to the end: a signal arriving meanwhile (in any thread) is
 * acted on when they are done (g_hold, g_pending above). */

void tide_signals_hold(void) { g_hold = 1; }

void tide_signals_release(void) {
    g_hold = 0;
    int sig = g_pending;
    if (sig) on_signal(sig);
}
