/* atomic.c — atomic file and directory outputs (see tide/fileio.h for the protocol).
 *
 * Temporary names start with '.' and contain ".tmp." so a reader listing a directory never
 * mistakes them for outputs, and a crashed run's leftovers are easy to recognise. */
#define _GNU_SOURCE
#include "tide/fileio.h"

#include <errno.h>
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

/* "<dir>/.<base>.tmp.XXXXXX" for a target path. */
static char *tmp_name_for(const char *path) {
    char *c1 = strdup(path), *c2 = strdup(path);
    char *out = NULL;
    if (c1 && c2) {
        const char *dir = dirname(c1), *base = basename(c2);
        size_t n = strlen(dir) + strlen(base) + 16;
        out = malloc(n);
        if (out) snprintf(out, n, "%s/.%s.tmp.XXXXXX", dir, base);
    }
    free(c1);
    free(c2);
    if (!out) tide_error(TIDE_ERR_NOMEM, "out of memory");
    return out;
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

tide_status tide_atomic_open(tide_atomic_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    if (strcmp(path, "-") == 0) {
        f->fp = stdout;
        f->is_stdout = 1;
        return TIDE_OK;
    }
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
    fchmod(fd, 0644); /* mkstemp makes 0600; outputs are ordinary readable files */
    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        close(fd);
        tide_atomic_abort(f);
        return tide_error(TIDE_ERR_IO, "%s: fdopen failed: %s", path, strerror(errno));
    }
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
    if (st == TIDE_OK && rename(f->tmp_path, f->path) != 0)
        st = tide_error(TIDE_ERR_IO, "%s: rename failed: %s", f->path, strerror(errno));
    if (st == TIDE_OK) {
        fsync_parent(f->path);
        free(f->tmp_path);
        f->tmp_path = NULL;
    }
    tide_atomic_abort(f);
    return st;
}

void tide_atomic_abort(tide_atomic_file *f) {
    if (f->fp && !f->is_stdout) fclose(f->fp);
    f->fp = NULL;
    if (f->tmp_path) unlink(f->tmp_path);
    free(f->tmp_path);
    free(f->path);
    f->tmp_path = f->path = NULL;
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
    free(d->tmp_path);
    d->tmp_path = NULL;
    tide_atomic_dir_abort(d);
    return TIDE_OK;
}

void tide_atomic_dir_abort(tide_atomic_dir *d) {
    if (d->tmp_path) tide_rmtree(d->tmp_path);
    free(d->tmp_path);
    free(d->path);
    d->tmp_path = d->path = NULL;
}
