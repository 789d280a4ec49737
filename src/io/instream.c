/* instream.c — an input byte stream over a file, standard input or memory, with gzip detected
 * from the content (magic 1f 8b) and inflated with zlib.
 *
 * Why not gzread(): it works, but reading through our own input buffer with inflate() lets us
 * (a) detect gzip on stdin without seeking, (b) CRC-32 and count the raw bytes for provenance in
 * the same pass, and (c) inflate straight into the caller's parse buffer, with no extra copy.
 * Concatenated gzip members (as `cat a.gz b.gz` makes) are inflated one after the other.
 *
 * Read-ahead: when the library runs with more than one thread (tide_threads_get() > 1), a file
 * or stdin stream gets a producer thread that reads, checksums and inflates into a ring of
 * 1 MiB chunks while the caller parses the previous ones; tide_instream_read() then only copies
 * from the ring. Inflate alone is about as costly as parsing, so gzip input gains the most. The
 * bytes delivered are identical either way; an error met by the producer is handed to the
 * consumer after the data that preceded it.
 */
#define _GNU_SOURCE
#include "tide/reader.h"
#include "tide/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define RAW_CAP ((size_t)1 << 18)
#define RA_CHUNKS 4
#define RA_CHUNK ((size_t)1 << 20)

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
    size_t raw_pos, raw_len, raw_cap;
    int size_known;      /* file_size is the source's size (memory, regular file) */
    int raw_eof;

    uint64_t raw_bytes;
    uint32_t raw_crc;

    /* read-ahead (ra): producer thread and a ring of chunks, guarded by mu */
    int ra;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned char *chunk[RA_CHUNKS];
    size_t chunk_len[RA_CHUNKS];
    int head, full;          /* consumer's chunk; chunks filled and not yet consumed */
    size_t pos;              /* consumer's offset in chunk[head] */
    int done, stop;          /* producer finished (EOF or error); consumer asked it to stop */
    tide_status ra_status;
    char *ra_msg;
    uint64_t pub_bytes;      /* raw_bytes / raw_crc as of the last chunk handed over */
    uint32_t pub_crc;
};

static tide_status read_direct(tide_instream *s, void *buf, size_t cap, size_t *got);
static tide_status start_readahead(tide_instream *s);

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
    return source_read(s, s->raw, s->raw_cap, &s->raw_len);
}

static tide_status init_common(tide_instream *s) {
    /* A small source of known size gets a buffer of its size, not 256 KiB: many small inputs
     * (id lists, fuzz inputs, a test's CSV) each paid for fresh pages they never used. */
    s->raw_cap = RAW_CAP;
    if (s->size_known && s->file_size + 1 < RAW_CAP) s->raw_cap = s->file_size + 1 < 64 ? 64 : (size_t)s->file_size + 1;
    s->raw = malloc(s->raw_cap);
    if (!s->raw) return tide_error(TIDE_ERR_NOMEM, "out of memory opening %s", s->name);
    /* Look at the first bytes; keep reading until 2 are there or the input ends (a pipe may
     * deliver one byte at a time). */
    while (s->raw_len < 2 && !s->raw_eof) {
        size_t got;
        tide_status st = source_read(s, s->raw + s->raw_len, s->raw_cap - s->raw_len, &got);
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
            if (S_ISREG(sb.st_mode)) {
                s->file_size = (uint64_t)sb.st_size;
                s->size_known = 1;
            }
        }
#ifdef POSIX_FADV_SEQUENTIAL
        posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    }
    tide_status st = init_common(s);
    if (!st && tide_threads_get() > 1) st = start_readahead(s);
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
    s->size_known = 1;
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

static tide_status read_direct(tide_instream *s, void *buf, size_t cap, size_t *got) {
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

/* ---- read-ahead --------------------------------------------------------------------------- */

static void *producer(void *arg) {
    tide_instream *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (s->full == RA_CHUNKS && !s->stop) pthread_cond_wait(&s->cv, &s->mu);
        int slot = (s->head + s->full) % RA_CHUNKS, stop = s->stop;
        pthread_mutex_unlock(&s->mu);
        if (stop) break;
        size_t len = 0, got = 0;
        tide_status st = TIDE_OK;
        while (len < RA_CHUNK) {
            st = read_direct(s, s->chunk[slot] + len, RA_CHUNK - len, &got);
            if (st || got == 0) break;
            len += got;
        }
        pthread_mutex_lock(&s->mu);
        s->chunk_len[slot] = len;
        s->full++;
        s->pub_bytes = s->raw_bytes;
        s->pub_crc = s->raw_crc;
        if (st || got == 0) {
            s->done = 1;
            s->ra_status = st;
            if (st) s->ra_msg = strdup(tide_error_message());
        }
        pthread_cond_broadcast(&s->cv);
        int finished = s->done;
        pthread_mutex_unlock(&s->mu);
        if (finished) break;
    }
    return NULL;
}

static tide_status start_readahead(tide_instream *s) {
    for (int k = 0; k < RA_CHUNKS; k++)
        if (!(s->chunk[k] = malloc(RA_CHUNK))) return tide_error(TIDE_ERR_NOMEM, "out of memory for read-ahead");
    if (pthread_mutex_init(&s->mu, NULL)) return tide_error(TIDE_ERR_INTERNAL, "pthread_mutex_init failed");
    if (pthread_cond_init(&s->cv, NULL)) {
        pthread_mutex_destroy(&s->mu);
        return tide_error(TIDE_ERR_INTERNAL, "pthread_cond_init failed");
    }
    if (pthread_create(&s->th, NULL, producer, s)) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        return TIDE_OK; /* no thread: read directly */
    }
    s->ra = 1;
    return TIDE_OK;
}

static tide_status read_ahead(tide_instream *s, unsigned char *buf, size_t cap, size_t *got) {
    *got = 0;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->full == 0 && !s->done) pthread_cond_wait(&s->cv, &s->mu);
        if (s->full == 0) { /* producer done and everything consumed */
            tide_status st = s->ra_status;
            pthread_mutex_unlock(&s->mu);
            return st ? tide_error(st, "%s", s->ra_msg ? s->ra_msg : tide_status_str(st)) : TIDE_OK;
        }
        if (s->pos < s->chunk_len[s->head]) break;
        s->head = (s->head + 1) % RA_CHUNKS; /* an empty (final) chunk */
        s->full--;
        s->pos = 0;
        pthread_cond_broadcast(&s->cv);
    }
    int h = s->head;
    size_t n = s->chunk_len[h] - s->pos;
    pthread_mutex_unlock(&s->mu);
    if (n > cap) n = cap;
    memcpy(buf, s->chunk[h] + s->pos, n); /* chunk[head] is the consumer's until released */
    pthread_mutex_lock(&s->mu);
    s->pos += n;
    if (s->pos == s->chunk_len[h]) {
        s->head = (s->head + 1) % RA_CHUNKS;
        s->full--;
        s->pos = 0;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    *got = n;
    return TIDE_OK;
}

tide_status tide_instream_read(tide_instream *s, void *buf, size_t cap, size_t *got) {
    if (s->ra) {
        if (cap == 0) {
            *got = 0;
            return TIDE_OK;
        }
        return read_ahead(s, buf, cap, got);
    }
    return read_direct(s, buf, cap, got);
}

void tide_instream_close(tide_instream *s) {
    if (!s) return;
    if (s->ra) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->th, NULL);
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
    }
    for (int k = 0; k < RA_CHUNKS; k++) free(s->chunk[k]);
    free(s->ra_msg);
    if (s->z_init) inflateEnd(&s->z);
    if (s->own_fd && s->fd >= 0) close(s->fd);
    free(s->raw);
    free(s->name);
    free(s);
}

const char *tide_instream_name(const tide_instream *s) { return s->name; }
int tide_instream_is_gzip(const tide_instream *s) { return s->gzip; }
uint64_t tide_instream_raw_bytes(const tide_instream *s) {
    if (!s->ra) return s->raw_bytes;
    pthread_mutex_lock((pthread_mutex_t *)&s->mu);
    uint64_t v = s->pub_bytes;
    pthread_mutex_unlock((pthread_mutex_t *)&s->mu);
    return v;
}

uint32_t tide_instream_raw_crc32(const tide_instream *s) {
    if (!s->ra) return s->raw_crc;
    pthread_mutex_lock((pthread_mutex_t *)&s->mu);
    uint32_t v = s->pub_crc;
    pthread_mutex_unlock((pthread_mutex_t *)&s->mu);
    return v;
}
uint64_t tide_instream_file_size(const tide_instream *s) { return s->file_size; }
