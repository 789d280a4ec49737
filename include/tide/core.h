/* tide/core.h — status codes, error messages, logging, progress, threads.
 *
 * Conventions for all of libtide (stated once here):
 *  - Every matrix is row-major (C order). A [rows, cols] matrix stores element (r, c) at r*cols+c.
 *  - A function that can fail returns tide_status and writes results through out-parameters.
 *    On failure it records a human-readable message, retrievable with tide_error_message(),
 *    of the form "file:line: what is wrong" whenever a file position is known.
 *  - The library never prints: it reports through the log and progress callbacks below.
 *  - Error state is per thread, so concurrent calls do not clobber each other's messages.
 */
#ifndef TIDE_CORE_H
#define TIDE_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TIDE_VERSION_MAJOR 0
#define TIDE_VERSION_MINOR 1
#define TIDE_VERSION_PATCH 0
#define TIDE_VERSION_STRING "0.1.0"

/* Status codes. The numeric order is part of the ABI; tide_status_exit_code() maps them to the
 * documented process exit codes (0 ok, 1 runtime, 2 usage, 3 bad data, 4 backend). */
typedef enum {
    TIDE_OK = 0,
    TIDE_ERR_IO,        /* reading/writing a file failed (exit 1) */
    TIDE_ERR_NOMEM,     /* allocation failed (exit 1) */
    TIDE_ERR_INTERNAL,  /* an invariant broke: a bug in tide (exit 1) */
    TIDE_ERR_USAGE,     /* invalid arguments or parameters (exit 2) */
    TIDE_ERR_DATA,      /* bad input data: malformed file, wrong shape, ... (exit 3) */
    TIDE_ERR_BACKEND    /* requested compute backend is not available (exit 4) */
} tide_status;

/* Short fixed name of a status ("ok", "io", "nomem", ...). Never NULL. */
const char *tide_status_str(tide_status s);
/* Process exit code for a status, per ARCHITECTURE.md. */
int tide_status_exit_code(tide_status s);

/* Record an error message for the calling thread and return `s` (so callers can write
 * `return tide_error(TIDE_ERR_DATA, "%s:%zu: bad row", path, line);`). */
tide_status tide_error(tide_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
tide_status tide_verror(tide_status s, const char *fmt, va_list ap);
/* Prefix the current message with "prefix: " (adds context as an error travels up). */
void tide_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The calling thread's last error message ("" if none). Valid until the next error. */
const char *tide_error_message(void);
void tide_error_clear(void);

/* Logging. Levels in increasing verbosity. The default callback discards everything; programs
 * install one that writes to stderr. */
typedef enum { TIDE_LOG_ERROR = 0, TIDE_LOG_WARN, TIDE_LOG_INFO, TIDE_LOG_DEBUG } tide_log_level;
typedef void (*tide_log_fn)(tide_log_level level, const char *msg, void *user);
void tide_log_set(tide_log_fn fn, void *user, tide_log_level max_level);
void tide_log(tide_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Progress reporting. The library calls tide_progress_* as work advances; the installed
 * callback (if any) decides how to show it. `total` may be 0 when unknown. */
typedef struct tide_progress {
    const char *label;
    uint64_t done, total;
    double start_time;   /* tide_now() at begin */
    double last_report;  /* throttle: callback at most ~10 times a second */
} tide_progress;
typedef void (*tide_progress_fn)(const tide_progress *p, int finished, void *user);
void tide_progress_set(tide_progress_fn fn, void *user);
void tide_progress_begin(tide_progress *p, const char *label, uint64_t total);
void tide_progress_update(tide_progress *p, uint64_t done);
void tide_progress_end(tide_progress *p);

/* Monotonic wall clock in seconds. */
double tide_now(void);

/* Threads: resolve a requested count. requested > 0 is used as is; 0 means $TIDE_THREADS if set
 * and valid, else the number of online processors. */
int tide_threads_resolve(int requested);
/* Set OpenMP's thread count for library parallel regions (and keep BLAS single-threaded inside
 * them). Returns the count in effect. */
int tide_threads_set(int n);
int tide_threads_get(void);

/* Checked allocation helpers: return NULL and record TIDE_ERR_NOMEM with the size on failure. */
void *tide_malloc(size_t n);
void *tide_calloc(size_t count, size_t size);
void *tide_realloc(void *p, size_t n);
/* Zeroed like tide_calloc, for tables probed at random (hash tables): 64-byte aligned, and from
 * 4 MiB up 2 MiB aligned with transparent huge pages asked for, so that random probes do not each
 * miss the TLB (in a VM a TLB miss is a two-level page walk). free() it. */
void *tide_calloc_large(size_t count, size_t size);
/* Multiply with overflow check; returns 0 on overflow. */
int tide_mul_size(size_t a, size_t b, size_t *out);

/* Memory limits (core/memcap.c). 1 when RLIMIT_AS or RLIMIT_DATA is set. */
int tide_memory_capped(void);
/* Call before the first BLAS use: under a memory limit, checks that every thread's BLAS buffer
 * fits (else fewer threads, with a warning, or TIDE_ERR_NOMEM) and allocates them now, because
 * OpenBLAS retries a failed buffer allocation forever. No-op without a limit; idempotent. */
tide_status tide_blas_prepare(void);
/* Set OpenBLAS's own thread count for one big call outside parallel regions (kept at 1 under a
 * memory limit). */
void tide_blas_threads(int n);

/* Library build information, e.g. "0.1.0 (git abc1234)". */
const char *tide_version(void);

#ifdef __cplusplus
}
#endif
#endif
