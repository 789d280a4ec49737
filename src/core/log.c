/* log.c — the logging and progress callbacks, and the monotonic clock.
 *
 * The library never writes to a stream itself: programs install callbacks (tools/common does,
 * drawing a progress bar only when stderr is a terminal). Progress callbacks are throttled here
 * so hot loops can call tide_progress_update() cheaply. */
#include "tide/core.h"

#include <stdio.h>
#include <time.h>

static tide_log_fn log_fn;
static void *log_user;
static tide_log_level log_max = TIDE_LOG_INFO;
static tide_progress_fn prog_fn;
static void *prog_user;

void tide_log_set(tide_log_fn fn, void *user, tide_log_level max_level) {
    log_fn = fn;
    log_user = user;
    log_max = max_level;
}

void tide_log(tide_log_level level, const char *fmt, ...) {
    if (!log_fn || level > log_max) return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_fn(level, buf, log_user);
}

double tide_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void tide_progress_set(tide_progress_fn fn, void *user) {
    prog_fn = fn;
    prog_user = user;
}

void tide_progress_begin(tide_progress *p, const char *label, uint64_t total) {
    p->label = label;
    p->done = 0;
    p->total = total;
    p->start_time = tide_now();
    p->last_report = 0;
}

void tide_progress_update(tide_progress *p, uint64_t done) {
    p->done = done;
    if (!prog_fn) return;
    double t = tide_now();
    if (t - p->last_report < 0.1) return;
    p->last_report = t;
    prog_fn(p, 0, prog_user);
}

void tide_progress_end(tide_progress *p) {
    if (prog_fn) prog_fn(p, 1, prog_user);
}
