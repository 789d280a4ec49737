/* log.c — the append-only event log: recovery on open, then appends made durable by one
 * writer thread with group commit.
 *
 * Why a writer thread: fdatasync costs ~0.1-10 ms whatever it flushes, so with `--sync batch`
 * every append queued while one sync runs rides on the next one (group commit); callers block
 * only in tide_serve_log_wait, outside the store's lock, so reads never wait on the disk.
 *
 * Why recovery can trust line boundaries: a round is written with write(2) calls of whole lines
 * at the end of an O_APPEND file, so after a crash the file is some prefix of what was written —
 * possibly ending in a partial line, or (after a power cut on some file systems) in a run of
 * zero bytes. Both are a tail that never got acknowledged and are cut off; an unparseable line
 * with good lines after it cannot come from a crash and is reported as corruption. */
#define _GNU_SOURCE
#include "tide/serve.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tide/fileio.h"

int tide_sync_mode_parse(const char *s, tide_sync_mode *out) {
    if (!strcmp(s, "none")) *out = TIDE_SYNC_NONE;
    else if (!strcmp(s, "batch")) *out = TIDE_SYNC_BATCH;
    else if (!strcmp(s, "always")) *out = TIDE_SYNC_ALWAYS;
    else return -1;
    return 0;
}

typedef struct rec {
    uint64_t ticket;
    uint32_t len;
    uint8_t which;
} rec;

struct tide_serve_log {
    int fd[2];
    char *path[2];
    tide_sync_mode mode;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    char *buf[2], *wbuf[2];
    size_t len[2], cap[2], wcap[2];
    rec *q;
    size_t qhead, qlen, qcap;
    uint64_t next_ticket, durable;
    int failed, stop, started;
    char errmsg[256];
    pthread_t thr;
    int64_t bytes, syncs;
};

static const char *names[2] = {"events.jsonl", "text.jsonl"};

static int write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void *writer(void *arg) {
    tide_serve_log *l = arg;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->stop && l->qlen == 0) pthread_cond_wait(&l->work, &l->mu);
        if (l->qlen == 0) break;
        size_t take = l->mode == TIDE_SYNC_ALWAYS ? 1 : l->qlen;
        size_t nbytes[2] = {0, 0};
        for (size_t k = 0; k < take; k++) {
            rec *r = &l->q[(l->qhead + k) % l->qcap];
            nbytes[r->which] += r->len;
        }
        uint64_t upto = l->q[(l->qhead + take - 1) % l->qcap].ticket;
        l->qhead = (l->qhead + take) % l->qcap;
        l->qlen -= take;
        /* Move the bytes of this round out of the queue buffers; appends continue meanwhile. */
        for (int f = 0; f < 2; f++) {
            if (!nbytes[f]) continue;
            if (nbytes[f] == l->len[f]) {
                char *t = l->wbuf[f];
                size_t tc = l->wcap[f];
                l->wbuf[f] = l->buf[f];
                l->wcap[f] = l->cap[f];
                l->buf[f] = t;
                l->cap[f] = tc;
                l->len[f] = 0;
            } else {
                if (l->wcap[f] < nbytes[f]) {
                    char *t = realloc(l->wbuf[f], nbytes[f]);
                    if (!t) {
                        l->failed = 1;
                        snprintf(l->errmsg, sizeof l->errmsg, "out of memory in the log writer");
                        pthread_cond_broadcast(&l->done);
                        continue;
                    }
                    l->wbuf[f] = t;
                    l->wcap[f] = nbytes[f];
                }
                memcpy(l->wbuf[f], l->buf[f], nbytes[f]);
                memmove(l->buf[f], l->buf[f] + nbytes[f], l->len[f] - nbytes[f]);
                l->len[f] -= nbytes[f];
            }
        }
        pthread_mutex_unlock(&l->mu);
        int bad = 0, bad_f = 0, err = 0;
        for (int f = 0; f < 2 && !bad; f++) {
            if (!nbytes[f]) continue;
            if (write_all(l->fd[f], l->wbuf[f], nbytes[f]) || (l->mode != TIDE_SYNC_NONE && fdatasync(l->fd[f]))) {
                bad = 1;
                bad_f = f;
                err = errno;
            }
        }
        pthread_mutex_lock(&l->mu);
        if (bad) {
            l->failed = 1;
            snprintf(l->errmsg, sizeof l->errmsg, "%s: %s", l->path[bad_f], strerror(err));
        } else {
            l->durable = upto;
            l->bytes += (int64_t)(nbytes[0] + nbytes[1]);
            l->syncs++;
        }
        pthread_cond_broadcast(&l->done);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

int64_t tide_serve_log_batch_prefix(const cJSON *manifest, const char *path) {
    const cJSON *srcs = manifest ? cJSON_GetObjectItemCaseSensitive(manifest, "sources") : NULL;
    if (!cJSON_IsArray(srcs)) return 0;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const cJSON *s;
    cJSON_ArrayForEach(s, srcs) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(s, "path");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(s, "bytes");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(s, "crc32");
        if (!cJSON_IsString(p) || !cJSON_IsNumber(b) || !cJSON_IsString(c)) continue;
        const char *pb = strrchr(p->valuestring, '/');
        pb = pb ? pb + 1 : p->valuestring;
        if (strcmp(pb, base) != 0 || b->valuedouble <= 0) continue;
        /* Same name: the prefix counts only if its bytes are the ones the dataset read. */
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        uint64_t want = (uint64_t)b->valuedouble, done = 0;
        uint32_t crc = 0;
        char buf[1 << 16];
        while (done < want) {
            size_t n = want - done < sizeof buf ? (size_t)(want - done) : sizeof buf;
            ssize_t r = read(fd, buf, n);
            if (r <= 0) break;
            crc = tide_crc32(crc, buf, (size_t)r);
            done += (uint64_t)r;
        }
        close(fd);
        char hex[16];
        snprintf(hex, sizeof hex, "%08x", crc);
        if (done == want && strcmp(hex, c->valuestring) == 0) return (int64_t)want;
        tide_log(TIDE_LOG_WARN, "%s: the dataset's manifest names a source '%s' of %lld bytes whose CRC does not match "
                 "this log's first bytes: replaying the whole log", path, p->valuestring, (long long)want);
    }
    return 0;
}

/* Replay one file; truncates a torn tail. */
static tide_status replay_file(tide_serve_log *l, int f, const cJSON *manifest, tide_serve_replay_fn fn, void *ctx,
                               tide_serve_log_info *info) {
    char *data = NULL;
    size_t size = 0;
    struct stat sb;
    if (stat(l->path[f], &sb) == 0 && sb.st_size > 0) {
        tide_status st = tide_read_file(l->path[f], &data, &size);
        if (st) return st;
    }
    int64_t skip = size ? tide_serve_log_batch_prefix(manifest, l->path[f]) : 0;
    if (skip > (int64_t)size || (skip > 0 && data[skip - 1] != '\n')) skip = 0;
    info->skipped_bytes[f] = skip;
    size_t pos = (size_t)skip, good_end = (size_t)skip;
    int64_t line = 1;
    for (size_t i = 0; i < (size_t)skip; i++) line += data[i] == '\n';
    tide_status st = TIDE_OK;
    size_t bad_at = 0;
    int64_t bad_line = 0;
    char bad_msg[256] = "";
    while (pos < size) {
        char *nl = memchr(data + pos, '\n', size - pos);
        if (!nl) break; /* partial last line */
        size_t n = (size_t)(nl - (data + pos));
        tide_serve_events ev;
        tide_status ps = n ? tide_serve_parse_events(data + pos, n, &ev) : TIDE_ERR_DATA;
        if (!ps && ev.n != 1) {
            tide_serve_events_free(&ev);
            ps = tide_error(TIDE_ERR_DATA, "one event per line expected");
        }
        if (ps) {
            if (!bad_line) {
                bad_at = pos;
                bad_line = line;
                snprintf(bad_msg, sizeof bad_msg, "%s", n ? tide_error_message() : "empty line");
            }
        } else {
            if (bad_line) {
                /* A good line after a bad one: not a torn tail. */
                tide_serve_events_free(&ev);
                st = tide_error(TIDE_ERR_DATA, "%s:%lld: %s (corrupt log: good lines follow)", l->path[f], (long long)bad_line,
                                bad_msg);
                goto done;
            }
            st = fn(ctx, &ev.ev[0], l->path[f], line);
            tide_serve_events_free(&ev);
            if (st) goto done;
            if (f == 0) info->events++;
            else info->texts++;
            good_end = pos + n + 1;
        }
        pos += n + 1;
        line++;
    }
    if (bad_line) good_end = bad_at;
    if (good_end < size) {
        info->truncated_bytes[f] = (int64_t)(size - good_end);
        tide_log(TIDE_LOG_WARN, "%s: cut off a torn tail of %lld bytes from line %lld (a write interrupted by a crash, "
                 "never acknowledged)", l->path[f], (long long)(size - good_end), (long long)(bad_line ? bad_line : line));
        if (ftruncate(l->fd[f], (off_t)good_end) || fsync(l->fd[f])) {
            st = tide_error(TIDE_ERR_IO, "%s: cannot truncate the torn tail: %s", l->path[f], strerror(errno));
            goto done;
        }
    }
done:
    free(data);
    return st;
}

tide_status tide_serve_log_open(const char *dir, tide_sync_mode mode, const cJSON *manifest, tide_serve_replay_fn fn,
                                void *ctx, tide_serve_log_info *info, tide_serve_log **out) {
    *out = NULL;
    memset(info, 0, sizeof *info);
    if (mkdir(dir, 0777) && errno != EEXIST) return tide_error(TIDE_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
    tide_serve_log *l = calloc(1, sizeof *l);
    if (!l) return TIDE_ERR_NOMEM;
    l->fd[0] = l->fd[1] = -1;
    l->mode = mode;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->work, NULL);
    pthread_cond_init(&l->done, NULL);
    tide_status st = TIDE_OK;
    for (int f = 0; f < 2; f++) {
        l->path[f] = tide_path_join(dir, names[f]);
        if (!l->path[f]) {
            st = TIDE_ERR_NOMEM;
            goto fail;
        }
        l->fd[f] = open(l->path[f], O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
        if (l->fd[f] < 0) {
            st = tide_error(TIDE_ERR_IO, "%s: cannot open: %s", l->path[f], strerror(errno));
            goto fail;
        }
    }
    for (int f = 0; f < 2; f++)
        if ((st = replay_file(l, f, manifest, fn, ctx, info))) goto fail;
    /* A new file's directory entry must be durable too. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    if (pthread_create(&l->thr, NULL, writer, l)) {
        st = tide_error(TIDE_ERR_IO, "cannot start the log writer thread");
        goto fail;
    }
    l->started = 1;
    *out = l;
    return TIDE_OK;
fail:
    tide_serve_log_close(l);
    return st;
}

tide_status tide_serve_log_append(tide_serve_log *l, int which, const char *line, size_t len, uint64_t *ticket) {
    pthread_mutex_lock(&l->mu);
    tide_status st = TIDE_OK;
    if (l->failed) {
        st = tide_error(TIDE_ERR_IO, "the event log failed: %s", l->errmsg);
        goto out;
    }
    if (l->len[which] + len > l->cap[which]) {
        size_t nc = l->cap[which] ? l->cap[which] : 1 << 16;
        while (nc < l->len[which] + len) nc *= 2;
        char *b = realloc(l->buf[which], nc);
        if (!b) {
            st = tide_error(TIDE_ERR_NOMEM, "out of memory for the log queue");
            goto out;
        }
        l->buf[which] = b;
        l->cap[which] = nc;
    }
    if (l->qlen == l->qcap) {
        size_t nc = l->qcap ? l->qcap * 2 : 1024;
        rec *q = malloc(nc * sizeof *q);
        if (!q) {
            st = tide_error(TIDE_ERR_NOMEM, "out of memory for the log queue");
            goto out;
        }
        for (size_t k = 0; k < l->qlen; k++) q[k] = l->q[(l->qhead + k) % l->qcap];
        free(l->q);
        l->q = q;
        l->qhead = 0;
        l->qcap = nc;
    }
    memcpy(l->buf[which] + l->len[which], line, len);
    l->len[which] += len;
    rec *r = &l->q[(l->qhead + l->qlen) % l->qcap];
    r->ticket = ++l->next_ticket;
    r->len = (uint32_t)len;
    r->which = (uint8_t)which;
    l->qlen++;
    *ticket = r->ticket;
    pthread_cond_signal(&l->work);
out:
    pthread_mutex_unlock(&l->mu);
    return st;
}

tide_status tide_serve_log_wait(tide_serve_log *l, uint64_t ticket) {
    pthread_mutex_lock(&l->mu);
    while (l->durable < ticket && !l->failed) pthread_cond_wait(&l->done, &l->mu);
    tide_status st = l->durable >= ticket ? TIDE_OK : tide_error(TIDE_ERR_IO, "the event log failed: %s", l->errmsg);
    pthread_mutex_unlock(&l->mu);
    return st;
}

int64_t tide_serve_log_bytes(tide_serve_log *l) {
    pthread_mutex_lock(&l->mu);
    int64_t b = l->bytes;
    pthread_mutex_unlock(&l->mu);
    return b;
}

int64_t tide_serve_log_syncs(tide_serve_log *l) {
    pthread_mutex_lock(&l->mu);
    int64_t b = l->syncs;
    pthread_mutex_unlock(&l->mu);
    return b;
}

tide_status tide_serve_log_close(tide_serve_log *l) {
    if (!l) return TIDE_OK;
    tide_status st = TIDE_OK;
    if (l->started) {
        pthread_mutex_lock(&l->mu);
        l->stop = 1;
        pthread_cond_signal(&l->work);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->thr, NULL);
        if (l->failed) st = tide_error(TIDE_ERR_IO, "the event log failed: %s", l->errmsg);
    }
    for (int f = 0; f < 2; f++) {
        if (l->fd[f] >= 0) {
            if (l->started && fsync(l->fd[f]) && !st) st = tide_error(TIDE_ERR_IO, "%s: fsync: %s", l->path[f], strerror(errno));
            close(l->fd[f]);
        }
        free(l->path[f]);
        free(l->buf[f]);
        free(l->wbuf[f]);
    }
    free(l->q);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->work);
    pthread_cond_destroy(&l->done);
    free(l);
    return st;
}
