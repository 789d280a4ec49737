/* metrics.c — /metrics in the Prometheus text exposition format: requests by route and status
 * class, latency histograms by route, events applied and refused, log bytes and syncs, users
 * in memory. Counters are atomics updated by the request threads; rendering reads them without
 * a lock (each value is individually consistent, which is what Prometheus expects). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

static const char *route_names[R_COUNT] = {"page", "healthz", "metrics", "events", "recommendations", "interests",
                                           "user", "users", "similar", "item", "search", "other"};
/* Upper bounds in seconds: 0.1 ms to 1 s, roughly x2 apart. */
static const double bounds[N_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005,
                                         0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0};

void metrics_observe(app *a, int route, int status, double seconds) {
    int cls = status >= 100 && status < 600 ? status / 100 - 1 : 5;
    atomic_fetch_add(&a->m.requests[route][cls], 1);
    int b = 0;
    while (b < N_BUCKETS && seconds > bounds[b]) b++;
    atomic_fetch_add(&a->m.hist[route][b], 1);
    atomic_fetch_add(&a->m.sum_us[route], (int64_t)(seconds * 1e6));
}

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_printf(sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *s, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(s->p ? s->p + s->n : NULL, s->p ? s->cap - s->n : 0, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if (s->p && s->n + (size_t)n < s->cap) {
            s->n += (size_t)n;
            return;
        }
        size_t nc = s->cap ? s->cap * 2 : 8192;
        while (nc < s->n + (size_t)n + 1) nc *= 2;
        char *q = realloc(s->p, nc);
        if (!q) return;
        s->p = q;
        s->cap = nc;
    }
}

char *metrics_render(app *a) {
    sbuf s = {0};
    static const char *cls[6] = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};
    sb_printf(&s, "# HELP tide_serve_requests_total HTTP requests by route and status class.\n"
                  "# TYPE tide_serve_requests_total counter\n");
    for (int r = 0; r < R_COUNT; r++)
        for (int c = 0; c < 6; c++) {
            int64_t v = atomic_load(&a->m.requests[r][c]);
            if (v) sb_printf(&s, "tide_serve_requests_total{route=\"%s\",code=\"%s\"} %lld\n", route_names[r], cls[c], (long long)v);
        }
    sb_printf(&s, "# HELP tide_serve_request_seconds Request latency by route.\n"
                  "# TYPE tide_serve_request_seconds histogram\n");
    for (int r = 0; r < R_COUNT; r++) {
        int64_t cum = 0;
        for (int b = 0; b < N_BUCKETS; b++) {
            cum += atomic_load(&a->m.hist[r][b]);
            sb_printf(&s, "tide_serve_request_seconds_bucket{route=\"%s\",le=\"%g\"} %lld\n", route_names[r], bounds[b], (long long)cum);
        }
        cum += atomic_load(&a->m.hist[r][N_BUCKETS]);
        sb_printf(&s, "tide_serve_request_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lld\n", route_names[r], (long long)cum);
        sb_printf(&s, "tide_serve_request_seconds_sum{route=\"%s\"} %.6f\n", route_names[r], (double)atomic_load(&a->m.sum_us[r]) / 1e6);
        sb_printf(&s, "tide_serve_request_seconds_count{route=\"%s\"} %lld\n", route_names[r], (long long)cum);
    }
    tide_serve_store_rdlock(&a->store);
    int64_t applied = a->store.events_applied, texts = a->store.texts_applied, slots = a->store.n_slots,
            touched = a->store.users_touched, newu = a->store.new_users.count;
    tide_serve_store_unlock(&a->store);
    sb_printf(&s, "# HELP tide_serve_events_applied_total Events applied to the in-memory state (replay included).\n"
                  "# TYPE tide_serve_events_applied_total counter\n"
                  "tide_serve_events_applied_total{kind=\"interaction\"} %lld\n"
                  "tide_serve_events_applied_total{kind=\"text\"} %lld\n",
              (long long)applied, (long long)texts);
    sb_printf(&s, "# HELP tide_serve_events_rejected_total Events refused (bad input, unknown item, wrong shard).\n"
                  "# TYPE tide_serve_events_rejected_total counter\ntide_serve_events_rejected_total %lld\n",
              (long long)atomic_load(&a->m.events_rejected));
    sb_printf(&s, "# HELP tide_serve_bodies_too_large_total Requests refused for their body size.\n"
                  "# TYPE tide_serve_bodies_too_large_total counter\ntide_serve_bodies_too_large_total %lld\n",
              (long long)atomic_load(&a->m.bodies_too_large));
    sb_printf(&s, "# HELP tide_serve_log_bytes_total Bytes made durable in the event log since start.\n"
                  "# TYPE tide_serve_log_bytes_total counter\ntide_serve_log_bytes_total %lld\n"
                  "# HELP tide_serve_log_syncs_total Write rounds of the log (group commits).\n"
                  "# TYPE tide_serve_log_syncs_total counter\ntide_serve_log_syncs_total %lld\n",
              (long long)(a->log ? tide_serve_log_bytes(a->log) : 0), (long long)(a->log ? tide_serve_log_syncs(a->log) : 0));
    sb_printf(&s, "# HELP tide_serve_users Users in memory: all known, with online events, new since the batch.\n"
                  "# TYPE tide_serve_users gauge\n"
                  "tide_serve_users{state=\"known\"} %lld\ntide_serve_users{state=\"online\"} %lld\ntide_serve_users{state=\"new\"} %lld\n",
              (long long)slots, (long long)touched, (long long)newu);
    sb_printf(&s, "# HELP tide_serve_inflight_requests Requests being handled.\n# TYPE tide_serve_inflight_requests gauge\n"
                  "tide_serve_inflight_requests %lld\n",
              (long long)atomic_load(&a->inflight));
    return s.p;
}
