/* instream.c — an input byte stream over a file, standard input or memory, with gzip detected
 * from the content (magic 1f 8b) and inflated with zlib.
 *
 * Why not gzread(): it works, but reading through our own input buffer with inflate() lets us
 * (a) detect gzip on stdin without seeking, (b) CRC-32 and count the raw bytes for provenance in
 * the same pass, and (c) inflate straight into the caller's parse buffer, with no extra copy.
 * Concatenated gzip members (as `cat a.gz b.gz` makes) are inflated one after the other.
 */
#define _GNU_SOURCE
#include "tide/reader.h"
#include "tide/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define RAW_CAP ((size_t)1 << 18)

struct tide_instream {
    char *name;
    int fd;              /* -1 for memory streams */
    int own_fd;
    const unsigned char *mem;  /* memory stream */
    size_t mem_size, mem_pos;
    uint64_t file_size;

    int gzip;
    z_stream z;
    int z_init, z_member_done;

    unsigned char *raw;  /* raw input buffer: [raw_pos, raw_len) not yet consumed */
    size_t raw_pos, raw_len;
    int raw_eof;

    uint64_t raw_bytes;
    uint32_t raw_crc;
};

/* Read raw bytes from the source into dst; counts and checksums them. */
static tide_status source_read(tide_instream *s, unsigned char *dst, size_t cap, size_t *got) {
    *got = 0;
    if (s->raw_eof) return TIDE_OK;
    if (s->fd < 0) {
        size_t n = s->mem_size - s->mem_pos;
        if (n > cap) n = cap;
        memcpy(dst, s->mem + s->mem_pos, n);
        s->mem_pos += n;
        *got = n;
    } else {
        for (;;) {
            ssize_t n = read(s->fd, dst, cap);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return tide_error(TIDE_ERR_IO, "%s: read failed: %s", s->name, strerror(errno));
            *got = (size_t)n;
            break;
        }
    }
    if (*got == 0) {
        s->raw_eof = 1;
        return TIDE_OK;
    }
    s->raw_bytes += *got;
    s->raw_crc = tide_crc32(s->raw_crc, dst, *got);
    return TIDE_OK;
}

static tide_status fill_raw(tide_instream *s) {
    if (s->raw_pos < s->raw_len) return TIDE_OK;
    s->raw_pos = s->raw_len = 0;
    return source_read(s, s->raw, RAW_CAP, &s->raw_len);
}

static tide_status init_common(tide_instream *s) {
    s->raw = malloc(RAW_CAP);
    if (!s->raw) return tide_error(TIDE_ERR_NOMEM, "out of memory opening %s", s->name);
    /* Look at the first bytes; keep reading until 2 are there or the input ends (a pipe may
     * deliver one byte at a time). */
    while (s->raw_len < 2 && !s->raw_eof) {
        size_t got;
        tide_status st = source_read(s, s->raw + s->raw_len, RAW_CAP - s->raw_len, &got);
        if (st) return st;
        s->raw_len += got;
    }
    if (s->raw_len >= 2 && s->raw[0] == 0x1f && s->raw[1] == 0x8b) {
        s->gzip = 1;
        memset(&s->z, 0, sizeof s->z);
        if (inflateInit2(&s->z, 15 + 16) != Z_OK) return tide_error(TIDE_ERR_NOMEM, "%s: cannot start gzip decoding", s->name);
        s->z_init = 1;
    }
    return TIDE_OK;
}

tide_status tide_instream_open(tide_instream **out, const char *path) {
    *out = NULL;
    tide_instream *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(path))) {
        free(s);
        return tide_error(TIDE_ERR_NOMEM, "out of memory");
    }
    if (strcmp(path, "-") == 0) {
        s->fd = STDIN_FILENO;
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            tide_status st = tide_error(TIDE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
            free(s->name);
            free(s);
            return st;
        }
        s->own_fd = 1;
        struct stat sb;
        if (fstat(s->fd, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) {
                tide_status st = tide_error(TIDE_ERR_IO, "%s: is a directory", path);
                tide_instream_close(s);
                return st;
            }
            if (S_ISREG(sb.st_mode)) s->file_size = (uint64_t)sb.st_size;
        }
#ifdef POSIX_FADV_SEQUENTIAL
        posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    }
    tide_status st = init_common(s);
    if (st) {
        tide_instream_close(s);
        return st;
    }
    *out = s;
    return TIDE_OK;
}

tide_status tide_instream_open_mem(tide_instream **out, const void *data, size_t size, const char *name) {
    *out = NULL;
    tide_instream *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(name ? name : "<memory>"))) {
        free(s);
        return tide_error(TIDE_ERR_NOMEM, "out of memory");
    }
    s->fd = -1;
    s->mem = data;
    s->mem_size = size;
    s->file_size = size;
    tide_status st = init_common(s);
    if (st) {
        tide_instream_close(s);
        return st;
    }
    *out = s;
    return TIDE_OK;
}

static tide_status read_gzip(tide_instream *s, unsigned char *buf, size_t cap, size_t *got) {
    *got = 0;
    while (*got == 0) {
        tide_status st = fill_raw(s);
        if (st) return st;
        if (s->raw_pos == s->raw_len) { /* input exhausted */
            if (!s->z_member_done)
                return tide_error(TIDE_ERR_DATA, "%s: truncated gzip data (unexpected end of input)", s->name);
            return TIDE_OK;
        }
        if (s->z_member_done) {
            /* Another member follows: it must be gzip too (garbage after the end is an error,
             * as it would be for gzip -d). */
            if (inflateReset(&s->z) != Z_OK) return tide_error(TIDE_ERR_INTERNAL, "%s: inflateReset failed", s->name);
            s->z_member_done = 0;
        }
        s->z.next_in = s->raw + s->raw_pos;
        s->z.avail_in = (uInt)(s->raw_len - s->raw_pos);
        s->z.next_out = buf;
        s->z.avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
        int rc = inflate(&s->z, Z_NO_FLUSH);
        size_t used = (s->raw_len - s->raw_pos) - s->z.avail_in;
        s->raw_pos += used;
        *got = (size_t)(s->z.next_out - buf);
        if (rc == Z_STREAM_END) {
            s->z_member_done = 1;
        } else if (rc == Z_BUF_ERROR && used == 0 && *got == 0) {
            if (s->raw_pos < s->raw_len) return tide_error(TIDE_ERR_INTERNAL, "%s: inflate made no progress", s->name);
            continue; /* needs more input: the loop refills */
        } else if (rc != Z_OK) {
            return tide_error(TIDE_ERR_DATA, "%s: corrupt gzip data (%s) near compressed byte %llu", s->name,
                              s->z.msg ? s->z.msg : "inflate failed",
                              (unsigned long long)(s->raw_bytes - (s->raw_len - s->raw_pos)));
        }
    }
    return TIDE_OK;
}

tide_status tide_instream_read(tide_instream *s, void *buf, size_t cap, size_t *got) {
    *got = 0;
    if (cap == 0) return TIDE_OK;
    if (s->gzip) return read_gzip(s, buf, cap, got);
    /* Plain: first hand out what the detection read, then read straight into buf. */
    if (s->raw_pos < s->raw_len) {
        size_t n = s->raw_len - s->raw_pos;
        if (n > cap) n = cap;
        memcpy(buf, s->raw + s->raw_pos, n);
        s->raw_pos += n;
        *got = n;
        return TIDE_OK;
    }
    return source_read(s, buf, cap, got);
}

void tide_instream_close(tide_instream *s) {
    if (!s) return;
    if (s->z_init) inflateEnd(&s->z);
    if (s->own_fd && s->fd >= 0) close(s->fd);
    free(s->raw);
    free(s->name);
    free(s);
}

const char *tide_instream_name(const tide_instream *s) { return s->name; }
int tide_instream_is_gzip(const tide_instream *s) { return s->gzip; }
uint64_t tide_instream_raw_bytes(const tide_instream *s) { return s->raw_bytes; }
uint32_t tide_instream_raw_crc32(const tide_instream *s) { return s->raw_crc; }
uint64_t tide_instream_file_size(const tide_instream *s) { return s->file_size; }
