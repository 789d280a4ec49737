/* map.c — read-only file mappings and whole-file reads. */
#define _GNU_SOURCE
#include "tide/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

tide_status tide_map_open(tide_map *m, const char *path) {
    m->data = NULL;
    m->size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return tide_error(TIDE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return tide_error(TIDE_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return tide_error(TIDE_ERR_IO, "%s: not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return TIDE_OK;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return tide_error(TIDE_ERR_IO, "%s: mmap failed: %s", path, strerror(errno));
    m->data = p;
    m->size = (size_t)st.st_size;
    return TIDE_OK;
}

void tide_map_close(tide_map *m) {
    if (m->data) munmap((void *)m->data, m->size);
    m->data = NULL;
    m->size = 0;
}

tide_status tide_read_file(const char *path, char **data, size_t *size) {
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!fp) return tide_error(TIDE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = tide_malloc(cap);
    if (!buf) goto nomem;
    for (;;) {
        if (cap - n < 2) {
            char *nb = tide_realloc(buf, cap * 2);
            if (!nb) goto nomem;
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, fp);
        n += r;
        if (r == 0) break;
    }
    if (ferror(fp)) {
        tide_status st = tide_error(TIDE_ERR_IO, "%s: read failed: %s", path, strerror(errno));
        free(buf);
        if (fp != stdin) fclose(fp);
        return st;
    }
    if (fp != stdin) fclose(fp);
    buf[n] = 0;
    *data = buf;
    *size = n;
    return TIDE_OK;
nomem:
    free(buf);
    if (fp != stdin) fclose(fp);
    return TIDE_ERR_NOMEM;
}
