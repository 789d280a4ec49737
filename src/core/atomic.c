/* atomic.c — atomic file and directory outputs (see tide/fileio.h for the protocol).
 *
 * Temporary names start with '.' and contain ".tmp." so a reader listing a directory never
 * mistakes them for outputs, and a crashed run's leftovers are easy to recognise. */
#define _GNU_SOURCE
#include "tide/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* "<dir>/.<base>.tmp.<pid>.XXXXXX" for a target path: the PID says which process owns it, so a
 * later run can tell a killed run's leftovers from a live run's (see remove_stale below). */
static char *tmp_name_for(const char *path) {
    char *c1 = strdup(path), *c2 = strdup(path);
    char *out = NULL;
    if (c1 && c2) {
        const char *dir = dirname(c1), *base = basename(c2);
        size_t n = strlen(dir) + strlen(base) + 40;
        out = tide_malloc(n);
        if (out) snprintf(out, n, "%s/.%s.tmp.%ld.XXXXXX", dir, base, (long)getpid());
    }
    free(c1);
    free(c2);
    if (!out) tide_error(TIDE_ERR_NOMEM, "out of memory");
    return out;
}

/* 1 if the PID names no live process (ESRCH). A PID reused by another process keeps the
 * leftover until that process ends: the safe side. */
static int pid_dead(const char *digits) {
    char *end;
    long pid = strtol(digits, &end, 10);
    if (end == digits || *end != '.' || pid <= 0) return 0;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static void roll_forward(const char *dir, const char *name);

/* Remove ".<base>.tmp.<pid>.*" next to `path` whose process is gone, after finishing any group
 * commit such a process left half done (its journal, ".<base>.commit.<pid>"). */
static void remove_stale(const char *path) {
    char *c1 = strdup(path), *c2 = strdup(path);
    if (!c1 || !c2) goto out;
    const char *dir = dirname(c1), *base = basename(c2);
    size_t bl = strlen(base);
    DIR *dh = opendir(dir);
    if (!dh) goto out;
    struct dirent *e;
    while ((e = readdir(dh))) {
        const char *n = e->d_name;
        if (n[0] != '.' || strncmp(n + 1, base, bl) != 0) continue;
        const char *rest = n + 1 + bl;
        if (strncmp(rest, ".commit.", 8) == 0) {
            char *end;
            long pid = strtol(rest + 8, &end, 10);
            if (*end == 0 && pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) roll_forward(dir, n);
        }
    }
    rewinddir(dh);
    while ((e = readdir(dh))) {
        const char *n = e->d_name;
        if (n[0] != '.' || strncmp(n + 1, base, bl) != 0 || strncmp(n + 1 + bl, ".tmp.", 5) != 0) continue;
        if (!pid_dead(n + 1 + bl + 5)) continue;
        char *full = tide_path_join(dir, n);
        if (!full) break;
        if (tide_rmtree(full) == 0) tide_log(TIDE_LOG_INFO, "removed %s, left by a run that was killed", full);
        free(full);
    }
    closedir(dh);
out:
    free(c1);
    free(c2);
}

static void fsync_parent(const char *path) {
    char *c = strdup(path);
    if (!c) return;
    int fd = open(dirname(c), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(c);
}

static _Thread_local tide_atomic_group *g_group;

tide_status tide_atomic_open(tide_atomic_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    if (strcmp(path, "-") == 0) {
        f->fp = stdout;
        f->is_stdout = 1;
        return TIDE_OK;
    }
    remove_stale(path);
    f->path = strdup(path);
    f->tmp_path = tmp_name_for(path);
    if (!f->path || !f->tmp_path) {
        tide_atomic_abort(f);
        return tide_error(TIDE_ERR_NOMEM, "out of memory");
    }
    int fd = mkstemp(f->tmp_path);
    if (fd < 0) {
        tide_status st = tide_error(TIDE_ERR_IO, "%s: cannot create temporary file: %s", path, strerror(errno));
        free(f->tmp_path);
        f->tmp_path = NULL;
        tide_atomic_abort(f);
        return st;
    }
    tide_cleanup_register(f->tmp_path);
    fchmod(fd, 0644); /* mkstemp makes 0600; outputs are ordinary readable files */
    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        close(fd);
        tide_atomic_abort(f);
        return tide_error(TIDE_ERR_IO, "%s: fdopen failed: %s", path, strerror(errno));
    }
    return TIDE_OK;
}

/* Hand a written, closed temporary to the open group (which now owns both names). */
static tide_status group_add(tide_atomic_group *g, tide_atomic_file *f) {
    if (g->n == g->cap) {
        int cap = g->cap ? 2 * g->cap : 4;
        char **t = tide_realloc(g->tmp, (size_t)cap * sizeof *t);
        if (!t) return TIDE_ERR_NOMEM;
        g->tmp = t;
        char **p = tide_realloc(g->path, (size_t)cap * sizeof *p);
        if (!p) return TIDE_ERR_NOMEM;
        g->path = p;
        g->cap = cap;
    }
    g->tmp[g->n] = f->tmp_path;
    g->path[g->n] = f->path;
    g->n++;
    f->tmp_path = f->path = NULL;
    return TIDE_OK;
}

tide_status tide_atomic_commit(tide_atomic_file *f) {
    tide_status st = TIDE_OK;
    if (f->is_stdout) {
        if (fflush(stdout) != 0 || ferror(stdout))
            st = tide_error(TIDE_ERR_IO, "writing standard output failed: %s", strerror(errno));
        f->fp = NULL;
        return st;
    }
    if (!f->fp) return tide_error(TIDE_ERR_INTERNAL, "atomic commit without open file");
    if (fflush(f->fp) != 0 || ferror(f->fp) || fsync(fileno(f->fp)) != 0)
        st = tide_error(TIDE_ERR_IO, "%s: write failed: %s", f->path, strerror(errno));
    if (fclose(f->fp) != 0 && st == TIDE_OK)
        st = tide_error(TIDE_ERR_IO, "%s: close failed: %s", f->path, strerror(errno));
    f->fp = NULL;
    if (st == TIDE_OK && g_group) {
        if ((st = group_add(g_group, f)) == TIDE_OK) return TIDE_OK;
    }
    if (st == TIDE_OK && rename(f->tmp_path, f->path) != 0)
        st = tide_error(TIDE_ERR_IO, "%s: rename failed: %s", f->path, strerror(errno));
    if (st == TIDE_OK) {
        fsync_parent(f->path);
        tide_cleanup_unregister(f->tmp_path);
        free(f->tmp_path);
        f->tmp_path = NULL;
    }
    tide_atomic_abort(f);
    return st;
}

void tide_atomic_abort(tide_atomic_file *f) {
    if (f->fp && !f->is_stdout) fclose(f->fp);
    f->fp = NULL;
    if (f->tmp_path) {
        unlink(f->tmp_path);
        tide_cleanup_unregister(f->tmp_path);
    }
    free(f->tmp_path);
    free(f->path);
    f->tmp_path = f->path = NULL;
}

void tide_atomic_group_begin(tide_atomic_group *g) {
    memset(g, 0, sizeof *g);
    g->prev = g_group;
    g_group = g;
}

static void group_free(tide_atomic_group *g) {
    for (int i = 0; i < g->n; i++) {
        tide_cleanup_unregister(g->tmp[i]);
        free(g->tmp[i]);
        free(g->path[i]);
    }
    free(g->tmp);
    free(g->path);
    if (g_group == g) g_group = g->prev;
    g->n = g->cap = 0;
    g->tmp = g->path = NULL;
}

void tide_atomic_group_abort(tide_atomic_group *g) {
    for (int i = 0; i < g->n; i++) unlink(g->tmp[i]);
    group_free(g);
}

/* "<realpath of dir>/<base>", so a journal can be replayed from any working directory. NULL with
 * *nomem set when an allocation failed, else with errno from realpath. */
static char *abs_path(const char *path, int *nomem) {
    char *c1 = strdup(path), *c2 = strdup(path), *out = NULL;
    if (!c1 || !c2) *nomem = 1;
    else {
        char *dir = realpath(dirname(c1), NULL);
        if (dir && !(out = tide_path_join(dir, basename(c2)))) *nomem = 1;
        if (!dir && errno == ENOMEM) *nomem = 1;
        free(dir);
    }
    free(c1);
    free(c2);
    return out;
}

/* The journal: one "TEMPORARY<TAB>OUTPUT" line per rename, absolute paths, written complete
 * under a temporary name and renamed, so a journal that exists is whole. */
static tide_status journal_write(tide_atomic_group *g, char **journal) {
    *journal = NULL;
    char *c1 = strdup(g->path[0]), *c2 = strdup(g->path[0]), *tmp = NULL, *text = NULL;
    tide_status st = TIDE_ERR_NOMEM;
    size_t len = 0, cap = 0;
    if (!c1 || !c2) goto out;
    const char *dir = dirname(c1), *base = basename(c2);
    size_t n = strlen(dir) + strlen(base) + 48;
    *journal = tide_malloc(n);
    tmp = tide_malloc(n);
    if (!*journal || !tmp) goto out;
    snprintf(*journal, n, "%s/.%s.commit.%ld", dir, base, (long)getpid());
    snprintf(tmp, n, "%s/.%s.tmp.%ld.journal", dir, base, (long)getpid());
    for (int i = 0; i < g->n; i++) {
        int nomem = 0;
        char *a = abs_path(g->tmp[i], &nomem), *b = a ? abs_path(g->path[i], &nomem) : NULL;
        size_t need = (a ? strlen(a) : 0) + (b ? strlen(b) : 0) + 3;
        char *t = (a && b && len + need > cap) ? tide_realloc(text, cap = 2 * (len + need)) : text;
        if (a && b && !t) nomem = 1;
        if (!a || !b || !t) {
            free(a);
            free(b);
            st = nomem ? tide_error(TIDE_ERR_NOMEM, "out of memory writing the commit journal")
                                 : tide_error(TIDE_ERR_IO, "%s: cannot resolve the output's directory: %s", g->path[i], strerror(errno));
            goto out;
        }
        text = t;
        len += (size_t)sprintf(text + len, "%s\t%s\n", a, b);
        free(a);
        free(b);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
        st = tide_error(TIDE_ERR_IO, "%s: cannot write the commit journal: %s", *journal, strerror(errno));
        if (fd >= 0) close(fd);
        unlink(tmp);
        goto out;
    }
    close(fd);
    if (rename(tmp, *journal) != 0) {
        st = tide_error(TIDE_ERR_IO, "%s: cannot write the commit journal: %s", *journal, strerror(errno));
        unlink(tmp);
        goto out;
    }
    fsync_parent(*journal);
    st = TIDE_OK;
out:
    if (st) {
        free(*journal);
        *journal = NULL;
    }
    free(c1);
    free(c2);
    free(tmp);
    free(text);
    return st;
}

tide_status tide_atomic_group_commit(tide_atomic_group *g) {
    if (g_group == g) g_group = g->prev;
    tide_status st = TIDE_OK;
    if (g->n == 0) {
        group_free(g);
        return TIDE_OK;
    }
    if (g->n == 1) {
        if (rename(g->tmp[0], g->path[0]) != 0)
            st = tide_error(TIDE_ERR_IO, "%s: rename failed: %s", g->path[0], strerror(errno));
        else fsync_parent(g->path[0]);
        if (st) tide_atomic_group_abort(g);
        else group_free(g);
        return st;
    }
    char *journal = NULL;
    if ((st = journal_write(g, &journal))) {
        tide_atomic_group_abort(g);
        return st;
    }
    /* From here on the journal says "new": finish every rename even if one fails. */
    tide_signals_hold();
    for (int i = 0; i < g->n; i++) {
        if (rename(g->tmp[i], g->path[i]) != 0 && st == TIDE_OK)
            st = tide_error(TIDE_ERR_IO, "%s: rename failed: %s", g->path[i], strerror(errno));
        else fsync_parent(g->path[i]);
    }
    if (st == TIDE_OK) unlink(journal); /* else the next run retries the renames */
    tide_signals_release();
    free(journal);
    group_free(g);
    return st;
}

/* Finish a group commit a killed process left: rename what its journal lists, then drop it. */
static void roll_forward(const char *dir, const char *name) {
    char *jp = tide_path_join(dir, name), *text = NULL;
    size_t n = 0;
    if (!jp || tide_read_file(jp, &text, &n) != TIDE_OK) {
        free(jp);
        tide_error_clear();
        return;
    }
    int ok = 1;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (!next) break; /* a journal is written whole; a torn one is not replayed */
        *next++ = 0;
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = 0;
        if (tide_path_exists(line) && rename(line, tab + 1) != 0) ok = 0;
    }
    if (ok) {
        unlink(jp);
        tide_log(TIDE_LOG_INFO, "%s: finished the group commit a killed run left half done", jp);
    }
    free(text);
    free(jp);
}

tide_status tide_write_file_atomic(const char *path, const void *data, size_t n) {
    tide_atomic_file f;
    tide_status st = tide_atomic_open(&f, path);
    if (st) return st;
    if (n && fwrite(data, 1, n, f.fp) != n) {
        st = tide_error(TIDE_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        tide_atomic_abort(&f);
        return st;
    }
    return tide_atomic_commit(&f);
}

tide_status tide_atomic_dir_begin(tide_atomic_dir *d, const char *path) {
    memset(d, 0, sizeof *d);
    remove_stale(path);
    d->path = strdup(path);
    d->tmp_path = tmp_name_for(path);
    if (!d->path || !d->tmp_path) {
        tide_atomic_dir_abort(d);
        return tide_error(TIDE_ERR_NOMEM, "out of memory");
    }
    if (!mkdtemp(d->tmp_path)) {
        tide_status st = tide_error(TIDE_ERR_IO, "%s: cannot create temporary directory: %s", path, strerror(errno));
        free(d->tmp_path);
        d->tmp_path = NULL;
        tide_atomic_dir_abort(d);
        return st;
    }
    tide_cleanup_register(d->tmp_path);
    chmod(d->tmp_path, 0755);
    return TIDE_OK;
}

char *tide_atomic_dir_file(const tide_atomic_dir *d, const char *name) {
    return tide_path_join(d->tmp_path, name);
}

tide_status tide_atomic_dir_commit(tide_atomic_dir *d) {
    int fd = open(d->tmp_path, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    struct stat st;
    if (lstat(d->path, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            tide_status s = tide_error(TIDE_ERR_IO, "%s: exists and is not a directory", d->path);
            tide_atomic_dir_abort(d);
            return s;
        }
        /* Swap atomically, then remove the old tree (now under the temporary name). */
        if (syscall(SYS_renameat2, AT_FDCWD, d->tmp_path, AT_FDCWD, d->path, RENAME_EXCHANGE) != 0) {
            /* Kernel or file system without RENAME_EXCHANGE: move the old one aside first. */
            char *old = tmp_name_for(d->path);
            if (!old || !mkdtemp(old) || rmdir(old) != 0 || rename(d->path, old) != 0) {
                free(old);
                tide_status s = tide_error(TIDE_ERR_IO, "%s: cannot replace directory: %s", d->path, strerror(errno));
                tide_atomic_dir_abort(d);
                return s;
            }
            if (rename(d->tmp_path, d->path) != 0) {
                tide_status s = tide_error(TIDE_ERR_IO, "%s: rename failed: %s", d->path, strerror(errno));
                rename(old, d->path);
                free(old);
                tide_atomic_dir_abort(d);
                return s;
            }
            tide_rmtree(old);
            free(old);
        } else {
            tide_rmtree(d->tmp_path);
        }
    } else if (rename(d->tmp_path, d->path) != 0) {
        tide_status s = tide_error(TIDE_ERR_IO, "%s: rename failed: %s", d->path, strerror(errno));
        tide_atomic_dir_abort(d);
        return s;
    }
    fsync_parent(d->path);
    tide_cleanup_unregister(d->tmp_path);
    free(d->tmp_path);
    d->tmp_path = NULL;
    tide_atomic_dir_abort(d);
    return TIDE_OK;
}

void tide_atomic_dir_abort(tide_atomic_dir *d) {
    if (d->tmp_path) {
        tide_rmtree(d->tmp_path);
        tide_cleanup_unregister(d->tmp_path);
    }
    free(d->tmp_path);
    free(d->path);
    d->tmp_path = d->path = NULL;
}
