/* tide-serve — the online half of tide: holds every user's state in memory (the batch dataset
 * plus the events since), applies each new event the moment it arrives, and answers
 * recommendation, interest, similar-item and search requests over HTTP (docs/tide-serve.md).
 * Start-up and shut-down live here; routes in http.c; the logic in libtide (tide/serve.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "app.h"
#include "cli.h"
#include "tide/embed.h"
#include "tide/fileio.h"
#include "tide/idlist.h"
#include "tide/shard.h"
#include <cjson/cJSON.h>

static const char *o_data, *o_model, *o_interest, *o_item_vectors, *o_lm, *o_listen = "127.0.0.1:8080", *o_log;
static const char *o_sync = "batch", *o_token, *o_events_from, *o_shard, *o_event_weight, *o_exclude, *o_candidates;
static const char *o_interest_field, *o_text_vectors;
static int o_token_reads, o_keep_seen, o_max_body_kb = 1024, o_conn_limit = 512, o_timeout = 10, o_recent = 10;
static int o_allow_new;
static double o_diversity;

static const cli_opt opts[] = {
    {"data", 0, CLI_STRING, &o_data, "DIR", "Batch dataset dir (tide-ingest): ids, histories, catalog"},
    {"model", 0, CLI_STRING, &o_model, "DIR", "Model dir from tide-train-mf (als, bpr, ease, itemknn, pop); optional with --interest"},
    {"interest", 0, CLI_STRING, &o_interest, "DIR", "Dynamic-interest dir (tide-capture-interest): /recommendations and /interests from it"},
    {"item-vectors", 0, CLI_STRING, &o_item_vectors, "FILE", "Item vectors .npy [items, d]: similar items, search, MMR"},
    {"lm", 0, CLI_STRING, &o_lm, "DIR", "Sentence-transformers folder: embeds text events (the users' words) and search queries"},
    {"text-vectors", 0, CLI_STRING, &o_text_vectors, "FILE", "--data's text events embedded (tide-embed --user-text); default: embedded at start with --lm"},
    {"listen", 0, CLI_STRING, &o_listen, "HOST:PORT", "Address to bind (default 127.0.0.1:8080; port 0 = any free)"},
    {"log", 0, CLI_STRING, &o_log, "DIR", "Event log dir (events.jsonl, text.jsonl); without it events are not durable"},
    {"sync", 0, CLI_STRING, &o_sync, "MODE", "always, batch (group commit, default) or none"},
    {"token", 0, CLI_STRING, &o_token, "FILE", "Bearer token required on writes (file holds the token)"},
    {"token-reads", 0, CLI_FLAG, &o_token_reads, NULL, "Require the token on reads too"},
    {"events-from", 0, CLI_STRING, &o_events_from, "FILE", "Also read events as JSON lines from FILE (- = stdin)"},
    {"shard", 0, CLI_STRING, &o_shard, "I/N", "Serve only users with crc32(id) mod N = I"},
    {"event-weight", 0, CLI_STRING, &o_event_weight, "E=W,...", "Weight per event type (as tide-ingest); unknown types refused"},
    {"exclude", 0, CLI_STRING, &o_exclude, "FILE", "Never recommend these `user<TAB>item` pairs"},
    {"candidates", 0, CLI_STRING, &o_candidates, "FILE", "Recommend only these item ids (one per line)"},
    {"keep-seen", 0, CLI_FLAG, &o_keep_seen, NULL, "Do not exclude seen items"},
    {"diversity", 0, CLI_DOUBLE, &o_diversity, "LAMBDA", "Default MMR lambda in [0, 1] (requests may override)"},
    {"allow-new-data", 0, CLI_FLAG, &o_allow_new, NULL, "Accept --data other than the model's training data (same items)"},
    {"interest-field", 0, CLI_STRING, &o_interest_field, "NAME", "Catalog field whose values label interests (default genres...)"},
    {"recent", 0, CLI_INT, &o_recent, "N", "Events that count as short-term interest (default 10)"},
    {"max-body-kb", 0, CLI_INT, &o_max_body_kb, "N", "Largest request body in KiB (default 1024)"},
    {"max-connections", 0, CLI_INT, &o_conn_limit, "N", "Concurrent connections (default 512)"},
    {"timeout", 0, CLI_INT, &o_timeout, "S", "Idle connection timeout in seconds (default 10)"},
    {0},
};

static const cli_spec spec = {
    .program = "tide-serve",
    .summary = "Real-time recommendations over HTTP from the batch data plus every new event",
    .usage = "--data DIR (--model DIR | --interest DIR [--lm MODEL]) [--listen 127.0.0.1:8080] [--log DIR] [options]",
    .details = "Stops cleanly on SIGTERM/SIGINT (finishes requests, flushes the log). See docs/tide-serve.md.",
    .opts = opts,
    .min_positional = 0,
    .max_positional = 0,
};

static app A;

static int blank(const char *s) {
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') return 0;
    return 1;
}

/* The vectors of n texts with --lm into out [n, text_dim]: a blank text is a zero row, as
 * tide-embed writes it. The encoder keeps scratch state: one call at a time. */
static tide_status embed_texts(app *a, const char *const *texts, int n, float *out) {
    size_t dim = (size_t)a->store.text_dim;
    memset(out, 0, (size_t)n * dim * sizeof *out);
    const char **todo = malloc((size_t)n * sizeof *todo + 1);
    int *row = malloc((size_t)n * sizeof *row + 1);
    float *tmp = malloc((size_t)n * dim * sizeof *tmp + 1);
    tide_status st = todo && row && tmp ? TIDE_OK : tide_error(TIDE_ERR_NOMEM, "out of memory");
    int m = 0;
    for (int i = 0; i < n && !st; i++)
        if (!blank(texts[i])) {
            todo[m] = texts[i];
            row[m++] = i;
        }
    if (!st && m) {
        tide_lm_params lp = tide_lm_params_default();
        pthread_mutex_lock(&a->lm_mu);
        st = tide_lm_embed(a->lm, todo, NULL, m, &lp, tmp, NULL);
        pthread_mutex_unlock(&a->lm_mu);
        for (int k = 0; k < m && !st; k++) memcpy(out + (size_t)row[k] * dim, tmp + (size_t)k * dim, dim * sizeof *out);
    }
    free(todo);
    free(row);
    free(tmp);
    return st;
}

/* Give every text event of a batch its vector (*vecs owns them), when text events move the
 * words: before the store's lock, since the encoder is the slow part. */
static tide_status embed_events(app *a, tide_serve_events *ev, float **vecs) {
    *vecs = NULL;
    if (!a->lm || a->store.text_dim <= 0) return TIDE_OK;
    int nt = 0;
    for (int i = 0; i < ev->n; i++) nt += ev->ev[i].kind == TIDE_SERVE_EV_TEXT;
    if (!nt) return TIDE_OK;
    const char **texts = malloc((size_t)nt * sizeof *texts);
    float *v = malloc((size_t)nt * (size_t)a->store.text_dim * sizeof *v);
    tide_status st = texts && v ? TIDE_OK : tide_error(TIDE_ERR_NOMEM, "out of memory");
    int k = 0;
    for (int i = 0; i < ev->n && !st; i++)
        if (ev->ev[i].kind == TIDE_SERVE_EV_TEXT) texts[k++] = ev->ev[i].text ? ev->ev[i].text : "";
    if (!st) st = embed_texts(a, texts, nt, v);
    k = 0;
    for (int i = 0; i < ev->n && !st; i++)
        if (ev->ev[i].kind == TIDE_SERVE_EV_TEXT) ev->ev[i].vec = v + (size_t)(k++) * (size_t)a->store.text_dim;
    free(texts);
    if (st) free(v);
    else *vecs = v;
    return st;
}

tide_status app_apply(app *a, tide_serve_events *ev, int from_log, int *http) {
    *http = 0;
    int64_t now = (int64_t)time(NULL);
    int32_t *items = malloc((size_t)ev->n * sizeof *items + 1);
    float *w = malloc((size_t)ev->n * sizeof *w + 1);
    if (!items || !w) {
        free(items);
        free(w);
        return tide_error(TIDE_ERR_NOMEM, "out of memory");
    }
    tide_status st = TIDE_OK;
    float *vecs = NULL;
    /* All or nothing: every event is checked before any is applied. */
    for (int i = 0; i < ev->n; i++) {
        if (!ev->ev[i].has_time) ev->ev[i].time = now;
        if ((st = tide_serve_store_check(&a->store, &ev->ev[i], from_log, &items[i], &w[i]))) {
            tide_error_prefix("event %d", i);
            *http = strstr(tide_error_message(), "shard") ? 421 : 422;
            goto out;
        }
        ev->ev[i].weight = w[i];
        ev->ev[i].has_weight = 1;
    }
    if ((st = embed_events(a, ev, &vecs))) {
        *http = 500;
        goto out;
    }
    uint64_t ticket = 0;
    char stackbuf[4096];
    tide_serve_store_wrlock(&a->store);
    if (a->stopping) {
        tide_serve_store_unlock(&a->store);
        *http = 503;
        st = tide_error(TIDE_ERR_IO, "the server is stopping");
        goto out;
    }
    for (int i = 0; i < ev->n; i++) {
        if (a->log) {
            size_t cap = strlen(ev->ev[i].user) + (ev->ev[i].item ? strlen(ev->ev[i].item) : 0) +
                         (ev->ev[i].text ? strlen(ev->ev[i].text) : 0) + (ev->ev[i].type ? strlen(ev->ev[i].type) : 0);
            cap = cap * 6 + 256;
            char *buf = cap <= sizeof stackbuf ? stackbuf : malloc(cap);
            int n = buf ? tide_serve_event_line(&ev->ev[i], buf, cap) : -1;
            if (n < 0) st = tide_error(TIDE_ERR_INTERNAL, "event line does not fit");
            else st = tide_serve_log_append(a->log, ev->ev[i].kind == TIDE_SERVE_EV_TEXT, buf, (size_t)n, &ticket);
            if (buf != stackbuf) free(buf);
            if (st) break;
        }
        if ((st = tide_serve_store_apply(&a->store, &ev->ev[i], items[i], w[i]))) break;
    }
    tide_serve_store_unlock(&a->store);
    if (st) {
        *http = 503;
        atomic_store(&a->log_failed, 1);
        goto out;
    }
    /* Acknowledge only once the log holds the events per --sync. */
    if (a->log && ticket && (st = tide_serve_log_wait(a->log, ticket))) {
        atomic_store(&a->log_failed, 1);
        *http = 503;
    }
out:
    for (int i = 0; i < ev->n; i++) ev->ev[i].vec = NULL;
    free(vecs);
    free(items);
    free(w);
    return st;
}

/* Replay of a log line: the same checks and application as a request, without logging it again. */
static tide_status replay_one(void *ctx, const tide_serve_event *e, const char *file, int64_t line) {
    app *a = ctx;
    int32_t item;
    float w;
    tide_status st = tide_serve_store_check(&a->store, e, 1, &item, &w);
    /* A logged text event is embedded again: the same text and model give the same vector. */
    tide_serve_events one = {(tide_serve_event *)e, 1, NULL};
    tide_serve_event copy = *e;
    float *vec = NULL;
    if (!st && e->kind == TIDE_SERVE_EV_TEXT) {
        one.ev = &copy;
        st = embed_events(a, &one, &vec);
    }
    if (!st) st = tide_serve_store_apply(&a->store, &copy, item, w);
    free(vec);
    if (st) tide_error_prefix("%s:%lld", file, (long long)line);
    return st;
}

/* --events-from: JSON lines applied like POST /v1/events; a bad line is reported and skipped
 * (a feed must not stop the server), with its line number. */
typedef struct feed {
    app *a;
    FILE *fp;
    const char *name;
    pthread_t thr;
} feed;

static void *feed_main(void *arg) {
    feed *f = arg;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int64_t no = 0, ok = 0, bad = 0;
    while ((n = getline(&line, &cap, f->fp)) >= 0) {
        no++;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (!n) continue;
        tide_serve_events ev;
        int http;
        tide_status st = tide_serve_parse_events(line, (size_t)n, &ev);
        if (!st) {
            st = app_apply(f->a, &ev, 0, &http);
            tide_serve_events_free(&ev);
        }
        if (st) {
            bad++;
            tide_log(TIDE_LOG_WARN, "%s:%lld: %s (line skipped)", f->name, (long long)no, tide_error_message());
        } else {
            ok++;
        }
    }
    free(line);
    tide_log(TIDE_LOG_INFO, "%s: end of input after %lld lines (%lld applied, %lld skipped)", f->name, (long long)no,
             (long long)ok, (long long)bad);
    return NULL;
}

static tide_status read_token(const char *path, char **out) {
    char *buf = NULL;
    size_t n = 0;
    tide_status st = tide_read_file(path, &buf, &n);
    if (st) return st;
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) buf[--n] = 0;
    if (n < 16 || strpbrk(buf, " \t\r\n")) {
        free(buf);
        return tide_error(TIDE_ERR_DATA, "%s: the token must be one word of at least 16 characters", path);
    }
    *out = buf;
    return TIDE_OK;
}

/* --candidates and --exclude through the library's id-list reader (tide/idlist.h), as
 * tide-recommend reads them; --exclude keeps users the dataset does not know yet (they may
 * arrive online), so its pairs are interned here by user id. */
static tide_status load_rules(app *a) {
    tide_status st = TIDE_OK;
    if (o_candidates) {
        int32_t *c = NULL;
        int64_t w = 0;
        if ((st = tide_idlist_items(o_candidates, &a->ds, &c, &w))) return st;
        a->scorer.candidates = c;
        a->scorer.n_candidates = w;
    }
    if (o_exclude) {
        tide_lines L;
        if ((st = tide_lines_read(o_exclude, &L))) return st;
        if ((st = tide_strmap_init(&a->scorer.excl_users, 64))) {
            tide_lines_free(&L);
            return st;
        }
        a->scorer.have_excl = 1;
        int64_t *pu = malloc((size_t)L.n * sizeof *pu + 1), n = 0;
        int32_t *pi = malloc((size_t)L.n * sizeof *pi + 1);
        if (!pu || !pi) {
            free(pu);
            free(pi);
            tide_lines_free(&L);
            return tide_error(TIDE_ERR_NOMEM, "%s: out of memory", o_exclude);
        }
        for (int64_t k = 0; k < L.n; k++) {
            char *p = L.line[k], *tab = strchr(p, '\t');
            if (!tab || tab == p || !tab[1] || strchr(tab + 1, '\t')) {
                free(pu);
                free(pi);
                st = tide_error(TIDE_ERR_DATA, "%s:%lld: expected `user<TAB>item`", o_exclude, (long long)L.lineno[k]);
                tide_lines_free(&L);
                return st;
            }
            *tab = 0;
            int64_t it = tide_dataset_item_index(&a->ds, tab + 1);
            if (it >= 0) {
                int64_t u;
                if ((st = tide_strmap_intern(&a->scorer.excl_users, p, strlen(p), &u, NULL))) {
                    free(pu);
                    free(pi);
                    tide_lines_free(&L);
                    return st;
                }
                pu[n] = u;
                pi[n++] = (int32_t)it;
            }
        }
        tide_lines_free(&L);
        int64_t nu = a->scorer.excl_users.count;
        int64_t *ip = calloc((size_t)nu + 1, sizeof *ip), *fill = calloc((size_t)nu + 1, sizeof *fill);
        int32_t *its = malloc((size_t)n * sizeof *its + 1);
        if (!ip || !fill || !its) return TIDE_ERR_NOMEM;
        for (int64_t e = 0; e < n; e++) ip[pu[e] + 1]++;
        for (int64_t u = 0; u < nu; u++) ip[u + 1] += ip[u];
        for (int64_t u = 0; u < nu; u++) fill[u] = ip[u];
        for (int64_t e = 0; e < n; e++) its[fill[pu[e]]++] = pi[e];
        a->scorer.excl_indptr = ip;
        a->scorer.excl_items = its;
        free(fill);
        free(pu);
        free(pi);
    }
    return TIDE_OK;
}

static int parse_event_weights(tide_serve_store_opts *so) {
    if (!o_event_weight) return 0;
    int n = 0;
    char **parts = cli_split(o_event_weight, ',', &n);
    if (!parts || !n) return -1;
    so->event_names = calloc((size_t)n, sizeof *so->event_names);
    so->event_weights = calloc((size_t)n, sizeof *so->event_weights);
    if (!so->event_names || !so->event_weights) return -1;
    for (int i = 0; i < n; i++) {
        char *eq = strchr(parts[i], '=');
        char *end;
        if (!eq || eq == parts[i]) return -1;
        *eq = 0;
        so->event_weights[i] = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !(so->event_weights[i] >= 0)) return -1;
        so->event_names[i] = parts[i];
    }
    so->n_event_weights = n;
    so->require_known_type = 1;
    return 0;
}

/* The users' words with --interest: the words component reads each text event's vector in the
 * interest dir's LM space. Batch text events: --text-vectors (tide-embed --user-text of --data),
 * else embedded now with --lm by tide-embed's own code; online ones are embedded as they arrive.
 * Without --lm text events are kept and logged but cannot move the words: said here and in
 * every answer to a POST with text events (a->words_note). */
static tide_status words_setup(app *a) {
    const tide_interest_items *it = a->interest_items;
    const tide_interest_params *p = NULL;
    tide_status st = tide_interest_scorer_parts(a->imodel, NULL, &p, NULL);
    if (st) return st;
    int words_on = ((p->enabled >> TIDE_IC_WORDS) & 1u) && p->weights[TIDE_IC_WORDS] != 0;
    if (!it->lm || it->sp != it->lm || !words_on) {
        a->words_note = "the interest model has no words component (captured without --item-vectors/--text-vectors, or "
                        "it was dropped): text events are kept and logged but do not move recommendations";
        tide_log(TIDE_LOG_WARN, "%s", a->words_note);
        return TIDE_OK;
    }
    int dim = it->lm_dim;
    if (a->lm && tide_lm_get_config(a->lm)->dim != dim)
        return tide_error(TIDE_ERR_DATA, "%s: the language model's vectors have %d dimensions but the interest model's LM space "
                          "has %d (give the model its item vectors were embedded with)", o_lm, tide_lm_get_config(a->lm)->dim, dim);
    const float *batch = NULL;
    if (o_text_vectors) {
        tide_embed_origin origin;
        if ((st = tide_embed_matrix_load(o_text_vectors, &a->text_vecs, &origin))) return st;
        /* tide-embed's manifest says whose text these rows are: they must be --data's. */
        if (origin.has_manifest && (origin.kind != TIDE_EMBED_USER_TEXT || strcmp(origin.dataset_checksum, a->ds.checksum)))
            return tide_error(TIDE_ERR_DATA, "%s: not the user text of --data %s (tide-embed --data %s --user-text)", o_text_vectors,
                              o_data, o_data);
        if (a->text_vecs.shape[0] != a->ds.n_text || a->text_vecs.shape[1] != dim)
            return tide_error(TIDE_ERR_DATA, "%s: [%lld, %lld] but --data has %lld text events and the interest model's LM space "
                              "%d dimensions (tide-embed --data DIR --user-text)", o_text_vectors, (long long)a->text_vecs.shape[0],
                              (long long)a->text_vecs.shape[1], (long long)a->ds.n_text, dim);
        batch = a->text_vecs.data;
    } else if (a->lm && a->ds.n_text > 0) {
        double t0 = tide_now();
        tide_embed_corpus c;
        tide_embed_params ep = tide_embed_params_default();
        ep.model = o_lm;
        cJSON *man = NULL;
        int d = 0;
        if ((st = tide_embed_corpus_user_text(&a->ds, o_data, &c))) return st;
        st = tide_embed_compute(&ep, &c, &a->text_vecs_embedded, &d, &man);
        tide_embed_corpus_free(&c);
        cJSON_Delete(man);
        if (st) return st;
        batch = a->text_vecs_embedded;
        tide_log(TIDE_LOG_INFO, "embedded --data's %lld text events in %.2f s (give --text-vectors to skip this)",
                 (long long)a->ds.n_text, tide_now() - t0);
    }
    if (!a->lm) {
        a->words_note = "no --lm: text events are kept and logged but cannot move the interest model's words component "
                        "(start tide-serve with --lm MODEL, the model the interest dir's vectors came from)";
        tide_log(TIDE_LOG_WARN, "%s", a->words_note);
        /* Batch users' words still follow their new events' reference time when their texts'
         * vectors are given; a user with an online text falls back to the dir's stored words. */
        if (batch) tide_serve_store_text_space(&a->store, batch, dim);
        return TIDE_OK;
    }
    if (a->ds.n_text > 0 && !batch) return tide_error(TIDE_ERR_INTERNAL, "no vectors for --data's text events");
    tide_serve_store_text_space(&a->store, batch, dim);
    return TIDE_OK;
}

int main(int argc, char **argv) {
    cli_common com;
    int code = cli_parse(&spec, argc, argv, &com);
    if (code >= 0) return code;
    if ((code = cli_blas_prepare(&spec, &com)) >= 0) return code;
    app *a = &A;
    tide_status st = TIDE_OK;
    void *daemon = NULL;
    feed fd;
    memset(&fd, 0, sizeof fd);
    int feeding = 0;
    if (!o_data || (!o_model && !o_interest)) return cli_usage_error(&spec, "--data DIR and --model DIR (or --interest DIR) are required");
    if (o_lm && !o_item_vectors && !o_interest)
        return cli_usage_error(&spec, "--lm needs --item-vectors (the items queries are matched to) or --interest (whose words it embeds)");
    if (o_text_vectors && !o_interest) return cli_usage_error(&spec, "--text-vectors applies to --interest (the users' words)");
    tide_sync_mode sync;
    if (tide_sync_mode_parse(o_sync, &sync)) return cli_usage_error(&spec, "--sync must be always, batch or none, got '%s'", o_sync);
    char host[64];
    int port;
    {
        const char *colon = strrchr(o_listen, ':');
        char *end;
        if (!colon || colon == o_listen || (size_t)(colon - o_listen) >= sizeof host)
            return cli_usage_error(&spec, "--listen expects HOST:PORT, got '%s'", o_listen);
        memcpy(host, o_listen, (size_t)(colon - o_listen));
        host[colon - o_listen] = 0;
        long p = strtol(colon + 1, &end, 10);
        struct in_addr ia;
        if (*end || end == colon + 1 || p < 0 || p > 65535 || inet_pton(AF_INET, host, &ia) != 1)
            return cli_usage_error(&spec, "--listen expects an IPv4 HOST:PORT, got '%s'", o_listen);
        port = (int)p;
    }
    tide_serve_store_opts so;
    memset(&so, 0, sizeof so);
    tide_shard shard; /* one --shard grammar for every program (tide/shard.h) */
    if (tide_shard_parse(o_shard, &shard)) return cli_usage_error(&spec, "%s", tide_error_message());
    so.shard_i = shard.index;
    so.shard_n = shard.count;
    if (parse_event_weights(&so)) return cli_usage_error(&spec, "--event-weight expects E=W,... with W >= 0");
    if (!(o_diversity >= 0 && o_diversity <= 1)) return cli_usage_error(&spec, "--diversity must be in [0, 1]");
    if (o_max_body_kb < 1 || o_max_body_kb > 65536) return cli_usage_error(&spec, "--max-body-kb must be in [1, 65536]");
    if (o_conn_limit < 1 || o_timeout < 1 || o_recent < 1) return cli_usage_error(&spec, "--max-connections, --timeout and --recent must be >= 1");

    a->started = tide_now();
    a->max_body = (size_t)o_max_body_kb * 1024;
    a->recent = o_recent;
    a->token_reads = o_token_reads;
    a->diversity_default = o_diversity;
    pthread_mutex_init(&a->lm_mu, NULL);
    /* Requests are scored one user at a time on the calling thread: no nested thread teams (the
     * interest model's int8 pass could split one request over threads, tide_interest_scorer_threads,
     * but on 2 cores under 1,000 events/s that raised p99 several-fold: OpenMP's waiting workers
     * take the CPU the event writers need — bench/RESULTS.md). */
    tide_threads_set(1);
    if (o_token && (st = read_token(o_token, &a->token))) goto done;
    if ((st = tide_dataset_load(o_data, &a->ds))) goto done;
    if (o_model) {
        if ((st = tide_scorer_open(o_model, &a->model))) goto done;
        if ((st = tide_scorer_check_dataset(a->model, &a->ds, o_data, o_allow_new))) goto done;
    }
    if (o_interest) {
        /* The interest model is a scorer like any other (tide/scorer.h): /recommendations ranks
         * through it with the engine tide-recommend runs on the same dir. */
        if ((st = tide_scorer_open(o_interest, &a->imodel))) goto done;
        if (strcmp(a->imodel->info.family, "interest")) {
            st = tide_error(TIDE_ERR_USAGE, "--interest %s: a %s model, not an interest dir (tide-capture-interest)", o_interest,
                            a->imodel->info.algorithm);
            goto done;
        }
        if ((st = tide_scorer_check_dataset(a->imodel, &a->ds, o_data, o_allow_new))) goto done;
        if ((st = tide_interest_scorer_parts(a->imodel, &a->interest_items, NULL, NULL))) goto done;
        a->have_interest = 1;
        if (!a->model) a->model = a->imodel; /* similar items and MMR: the interest space */
    }
    if (o_item_vectors) {
        if ((st = tide_npy_load_expect(o_item_vectors, TIDE_DTYPE_F32, 2, &a->ivec))) goto done;
        if (a->ivec.shape[0] != a->ds.n_items) {
            st = tide_error(TIDE_ERR_DATA, "%s: %lld rows but --data has %lld items", o_item_vectors, (long long)a->ivec.shape[0],
                            (long long)a->ds.n_items);
            goto done;
        }
    }
    if (o_diversity > 0 && !o_item_vectors && !a->model->info.item_vectors) {
        st = tide_error(TIDE_ERR_USAGE, "--diversity with a %s model needs --item-vectors", a->model->info.algorithm);
        goto done;
    }
    if (o_lm) {
        if ((st = tide_lm_load(o_lm, &a->lm))) goto done;
        if (a->ivec.data && tide_lm_get_config(a->lm)->dim != a->ivec.shape[1]) {
            st = tide_error(TIDE_ERR_DATA, "%s: the language model's vectors have %d dimensions but %s has %lld", o_lm,
                            tide_lm_get_config(a->lm)->dim, o_item_vectors, (long long)a->ivec.shape[1]);
            goto done;
        }
    }
    a->interest_field = tide_serve_interest_field(&a->ds, o_interest_field);
    if (o_interest_field && a->interest_field < 0) {
        st = tide_error(TIDE_ERR_USAGE, "--interest-field %s: the catalog has no such field", o_interest_field);
        goto done;
    }
    if ((st = tide_serve_store_init(&a->store, &a->ds, &so))) goto done;
    if (a->have_interest && (st = words_setup(a))) goto done;
    a->scorer.model = a->model;
    a->scorer.ds = &a->ds;
    a->scorer.item_vectors = a->ivec.data;
    a->scorer.vec_dim = a->ivec.data ? a->ivec.shape[1] : 0;
    a->scorer.keep_seen = o_keep_seen;
    /* Factor models: an int8 copy of the item factors makes each recommendation read a quarter
     * of the bytes, with the same answer as the full scan (tide/qscan.h). */
    if (a->model->iface->version >= 2 && a->model->iface->row_query && a->model->info.item_vectors &&
        a->model->info.item_dim > 0) {
        double t0 = tide_now();
        if ((st = tide_qindex_build(a->model->info.item_vectors, a->model->info.n_items, a->model->info.item_dim,
                                    &a->scorer.qindex)))
            goto done;
        tide_log(TIDE_LOG_INFO, "quantised item index: %.1f MB in %.2f s", tide_qindex_bytes(a->scorer.qindex) / 1e6,
                 tide_now() - t0);
    }
    if ((st = load_rules(a))) goto done;
    if (a->have_interest) {
        a->iscorer = a->scorer; /* the same rules, candidates and vectors */
        a->iscorer.model = a->imodel;
        a->iscorer.qindex = NULL; /* the quantised index is of --model's factors */
    }
    if (o_log) {
        tide_serve_log_info li;
        double t0 = tide_now();
        if ((st = tide_serve_log_open(o_log, sync, a->ds.manifest, replay_one, a, &li, &a->log))) goto done;
        tide_log(TIDE_LOG_INFO, "log %s: replayed %lld events and %lld texts in %.2f s (skipped %lld bytes already in the "
                 "dataset, cut %lld torn bytes)", o_log, (long long)li.events, (long long)li.texts, tide_now() - t0,
                 (long long)(li.skipped_bytes[0] + li.skipped_bytes[1]), (long long)(li.truncated_bytes[0] + li.truncated_bytes[1]));
    }
    /* Signals are taken by sigwait below: block them before any thread starts. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Read before the first request thread can add users under the store's lock (a data race
     * ThreadSanitizer found when this was read for the message below, after the start). */
    int64_t users_at_start = a->store.n_slots;
    if (http_start(a, host, port, 0, o_conn_limit, o_timeout, &daemon)) {
        st = tide_error(TIDE_ERR_IO, "cannot listen on %s: %s", o_listen, strerror(errno));
        goto done;
    }
    {
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
        int bound = di ? (int)di->port : port;
        /* The line tests and scripts wait for (with the port actually bound when 0 was asked). */
        fprintf(stderr, "tide-serve: listening on http://%s:%d (%lld users, %lld items, model %s%s)\n", host, bound,
                (long long)users_at_start, (long long)a->ds.n_items, a->model->info.algorithm,
                a->have_interest ? ", recommendations from the interest model" : "");
        fflush(stderr);
    }
    if (o_events_from) {
        fd.a = a;
        fd.name = strcmp(o_events_from, "-") ? o_events_from : "<stdin>";
        fd.fp = strcmp(o_events_from, "-") ? fopen(o_events_from, "r") : stdin;
        if (!fd.fp) {
            st = tide_error(TIDE_ERR_IO, "%s: %s", o_events_from, strerror(errno));
            goto done;
        }
        if (pthread_create(&fd.thr, NULL, feed_main, &fd)) {
            st = tide_error(TIDE_ERR_IO, "cannot start the --events-from reader");
            goto done;
        }
        pthread_detach(fd.thr);
        feeding = 1;
    }
    int sig = 0;
    sigwait(&sigs, &sig);
    tide_log(TIDE_LOG_INFO, "%s: finishing requests in flight, flushing the log", sig == SIGTERM ? "SIGTERM" : "SIGINT");
done:
    if (daemon) {
        http_quiesce(daemon);
        http_stop(daemon); /* joins every connection thread: requests in flight complete */
    }
    (void)feeding;
    if (a->log) {
        /* The feed thread may still be applying: take the store lock so no append races the close. */
        tide_serve_store_wrlock(&a->store);
        a->stopping = 1;
        tide_status cs = tide_serve_log_close(a->log);
        a->log = NULL;
        tide_serve_store_unlock(&a->store);
        if (!st) st = cs;
    }
    if (st) return cli_fail(&spec, st);
    /* Memory is left to the OS on exit, except under sanitizers where leaks would be noise. */
    return 0;
}
