/* checksum.c — CRC-32 through zlib, for manifests' input and dataset checksums. */
#include "tide/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

uint32_t tide_crc32(uint32_t crc, const void *data, size_t n) {
    const unsigned char *p = data;
    /* zlib takes uInt lengths: feed large buffers in chunks. */
    while (n) {
        uInt c = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, p, c);
        p += c;
        n -= c;
    }
    return crc;
}

tide_status tide_file_crc32(const char *path, uint32_t *crc, uint64_t *size) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return tide_error(TIDE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char *buf = tide_malloc(1 << 20);
    if (!buf) {
        fclose(fp);
        return TIDE_ERR_NOMEM;
    }
    uint32_t c = 0;
    uint64_t total = 0;
    size_t r;
    while ((r = fread(buf, 1, 1 << 20, fp)) > 0) {
        c = tide_crc32(c, buf, r);
        total += r;
    }
    tide_status st = ferror(fp) ? tide_error(TIDE_ERR_IO, "%s: read failed", path) : TIDE_OK;
    free(buf);
    fclose(fp);
    *crc = c;
    *size = total;
    return st;
}
