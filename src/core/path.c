/* path.c — small path helpers: join, existence, mkdir -p, recursive removal. */
#define _GNU_SOURCE
#include "tide/fileio.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *tide_path_join(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    char *p = tide_malloc(la + lb + 2);
    if (!p) return NULL;
    memcpy(p, a, la);
    size_t o = la;
    if (la && a[la - 1] != '/') p[o++] = '/';
    memcpy(p + o, b, lb + 1);
    return p;
}

int tide_path_exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

int tide_is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

tide_status tide_mkdirs(const char *path) {
    char *p = strdup(path);
    if (!p) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == 0) {
            char c = *s;
            *s = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                tide_status st = tide_error(TIDE_ERR_IO, "%s: cannot create directory: %s", p, strerror(errno));
                free(p);
                return st;
            }
            *s = c;
            if (c == 0) break;
        }
    }
    free(p);
    if (!tide_is_dir(path)) return tide_error(TIDE_ERR_IO, "%s: exists and is not a directory", path);
    return TIDE_OK;
}

static int rm_cb(const char *fpath, const struct stat *sb, int typeflag, struct FTW *ftwbuf) {
    (void)sb; (void)typeflag; (void)ftwbuf;
    return remove(fpath);
}

int tide_rmtree(const char *path) {
    if (!tide_path_exists(path)) return 0;
    return nftw(path, rm_cb, 32, FTW_DEPTH | FTW_PHYS);
}
