/* app.h — tide-serve's process state shared by main.c (options, start, stop), http.c (the
 * routes over libmicrohttpd), metrics.c and page.c. The recommendation logic is libtide's
 * (tide/serve.h); this program only wires it to HTTP. */
#ifndef TIDE_SERVE_APP_H
#define TIDE_SERVE_APP_H

#include <pthread.h>
#include <stdatomic.h>

#include "tide/dataset.h"
#include "tide/interest.h"
#include "tide/lm.h"
#include "tide/npy.h"
#include "tide/retrieval.h"
#include "tide/serve.h"

enum { R_PAGE, R_HEALTH, R_METRICS, R_EVENTS, R_RECS, R_INTERESTS, R_USER, R_USERS, R_SIMILAR, R_ITEM, R_SEARCH, R_OTHER, R_COUNT };
#define N_BUCKETS 14

typedef struct app_metrics {
    _Atomic int64_t requests[R_COUNT][6];      /* by route and status class (1xx..5xx, other) */
    _Atomic int64_t hist[R_COUNT][N_BUCKETS + 1];
    _Atomic int64_t sum_us[R_COUNT];
    _Atomic int64_t events_rejected;
    _Atomic int64_t bodies_too_large;
} app_metrics;

typedef struct app {
    tide_dataset ds;
    tide_scorer *model;             /* tide_scorer_open(--model) */
    tide_npy ivec;
    tide_serve_store store;
    tide_serve_scorer scorer;
    tide_serve_log *log;            /* NULL without --log */
    tide_lm *lm;                    /* NULL without --lm */
    pthread_mutex_t lm_mu;
    int interest_field;
    int have_interest;              /* --interest DIR loaded */
    tide_scorer *imodel;            /* tide_scorer_open(--interest): /recommendations, /interests */
    tide_serve_scorer iscorer;      /* the same rules as `scorer`, scoring by imodel */
    const tide_interest_items *interest_items;   /* imodel's (borrowed) */
    tide_npy text_vecs;             /* --text-vectors: the batch text events' vectors */
    float *text_vecs_embedded;      /* or embedded with --lm at start */
    /* NULL when text events move the words component (they are embedded with --lm); else why
     * they cannot, said at start and in every answer to a POST with text events. */
    const char *words_note;
    int recent;                     /* events that count as short-term */
    char *token;                    /* NULL = no auth */
    int token_reads;
    size_t max_body;
    double diversity_default;
    app_metrics m;
    _Atomic int64_t inflight;
    _Atomic int log_failed;
    int stopping;                   /* under the store's write lock: refuse new events */
    double started;
} app;

/* Apply a parsed batch: check all, then log + apply under the store's lock, then wait for the
 * log per --sync. On refusal *http is the 4xx to answer and the message is in tide_error. */
tide_status app_apply(app *a, tide_serve_events *ev, int from_log, int *http);
/* The scorer /recommendations uses: the interest model's with --interest, else --model's. */
static inline tide_serve_scorer *app_recs_scorer(app *a) { return a->have_interest ? &a->iscorer : &a->scorer; }

int http_start(app *a, const char *host, int port, int threads, int conn_limit, int timeout_s, void **daemon);
void http_quiesce(void *daemon);
void http_stop(void *daemon);

void metrics_observe(app *a, int route, int status, double seconds);
char *metrics_render(app *a);          /* malloc'ed Prometheus text */

extern const char serve_page_html[];

#endif
