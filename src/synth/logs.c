/* synth.c — synthetic behaviour logs with drifting interests (see tide/synth.h).
 *
 * Model: each topic owns a slice of the catalog with log-uniform (Zipf-like) popularity inside
 * it. A user starts with one to three favourite topics; with probability `drift` the favourites
 * change once or twice at random points of the user's timeline, so the recent past predicts the
 * future better than the whole history — the situation tide's dynamic-interest capture is for.
 * Text events are search queries built from the current topic's words, or short reviews of the
 * item just consumed. */
#include "tide/synth.h"
#include "tide/fileio.h"
#include "tide/rng.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *adj[6];
    const char *noun[8];
} topic_words;

static const topic_words TOPICS[] = {
    {"Science Fiction", {"Distant", "Quantum", "Silent", "Last", "Infinite", "Hidden"},
     {"Star", "Galaxy", "Robot", "Signal", "Colony", "Orbit", "Machine", "Planet"}},
    {"Mystery", {"Silent", "Crooked", "Midnight", "Missing", "Final", "Secret"},
     {"Detective", "Witness", "Alibi", "Clue", "Letter", "Manor", "Key", "Stranger"}},
    {"Romance", {"Sweet", "Summer", "Endless", "Stolen", "Tender", "Golden"},
     {"Heart", "Kiss", "Promise", "Wedding", "Letter", "Garden", "Dance", "Moon"}},
    {"Cooking", {"Easy", "Rustic", "Spicy", "Healthy", "Classic", "Quick"},
     {"Kitchen", "Bread", "Pasta", "Curry", "Salad", "Soup", "Grill", "Dessert"}},
    {"Travel", {"Wild", "Hidden", "Northern", "Coastal", "Ancient", "Lonely"},
     {"Road", "Island", "Mountain", "Journey", "Map", "Harbor", "Desert", "City"}},
    {"History", {"Forgotten", "Imperial", "Great", "Fallen", "Medieval", "Lost"},
     {"Empire", "War", "King", "Revolution", "Castle", "Dynasty", "Treaty", "Crown"}},
    {"Fitness", {"Strong", "Fast", "Daily", "Lean", "Total", "Active"},
     {"Workout", "Run", "Yoga", "Muscle", "Cardio", "Stretch", "Core", "Marathon"}},
    {"Fantasy", {"Enchanted", "Dark", "Elder", "Crimson", "Frozen", "Sacred"},
     {"Dragon", "Sword", "Wizard", "Kingdom", "Throne", "Forest", "Spell", "Quest"}},
    {"Business", {"Lean", "Smart", "Global", "Agile", "Bold", "Modern"},
     {"Startup", "Market", "Leader", "Strategy", "Money", "Team", "Growth", "Deal"}},
    {"Music", {"Electric", "Blue", "Loud", "Acoustic", "Velvet", "Wild"},
     {"Guitar", "Song", "Band", "Rhythm", "Piano", "Stage", "Album", "Chorus"}},
    {"Gardening", {"Green", "Blooming", "Organic", "Secret", "Small", "Urban"},
     {"Garden", "Rose", "Seed", "Tree", "Herb", "Soil", "Orchard", "Greenhouse"}},
    {"Technology", {"Digital", "Open", "Deep", "Smart", "Cloud", "Secure"},
     {"Code", "Network", "Data", "Chip", "Software", "Server", "Algorithm", "Device"}},
};
#define N_TOPICS ((int)(sizeof TOPICS / sizeof TOPICS[0]))

static const char *REVIEW_OPENERS[] = {"Loved the", "Not sure about the", "Great", "Disappointing",
                                       "Really enjoyed the", "Solid", "Could not put down the", "Meh,"};
static const char *QUERY_OPENERS[] = {"", "best ", "new ", "cheap ", "books about ", "something like "};

int tide_synth_max_topics(void) { return N_TOPICS; }

void tide_synth_params_default(tide_synth_params *p) {
    p->users = 3000;
    p->items = 2000;
    p->events = 150000;
    p->topics = N_TOPICS;
    p->t_start = 1577836800; /* 2020-01-01 */
    p->t_end = 1640995200;   /* 2022-01-01 */
    p->drift = 0.6;
    p->text_rate = 0.02;
    p->catalog = 1;
    p->planted = 0;
    p->seed = 42;
}

const char *tide_synth_params_check(const tide_synth_params *p) {
    if (p->users < 1 || p->users > INT32_MAX) return "users must be between 1 and 2^31-1";
    if (p->items < 1 || p->items > INT32_MAX) return "items must be between 1 and 2^31-1";
    if (p->events < p->users) return "events must be at least the number of users";
    if (p->topics < 1 || p->topics > N_TOPICS) return "topics out of range";
    if (p->items < p->topics) return "need at least one item per topic";
    if (p->t_end <= p->t_start) return "time range is empty";
    if (p->drift < 0 || p->drift > 1) return "drift must be a probability";
    if (p->text_rate < 0 || p->text_rate > 1) return "text_rate must be between 0 and 1";
    return NULL;
}

/* Item i belongs to topic i % topics; its rank inside the topic is i / topics. */
static int64_t pick_item(tide_rng *r, const tide_synth_params *p, int topic) {
    int64_t n_in = (p->items - topic + p->topics - 1) / p->topics;
    /* log-uniform rank: P(rank < x) ~ log(x), a Zipf(1)-like head-heavy popularity */
    double u = tide_rng_uniform(r);
    int64_t rank = (int64_t)floor(exp(u * log((double)n_in + 1.0))) - 1;
    if (rank < 0) rank = 0;
    if (rank >= n_in) rank = n_in - 1;
    return rank * p->topics + topic;
}

static void pick_favourites(tide_rng *r, int topics, int *fav, int *n_fav) {
    int n = 1 + (int)tide_rng_below(r, 3);
    if (n > topics) n = topics;
    for (int k = 0; k < n; k++) {
        int t, dup;
        do {
            t = (int)tide_rng_below(r, (uint64_t)topics);
            dup = 0;
            for (int j = 0; j < k; j++) dup |= fav[j] == t;
        } while (dup);
        fav[k] = t;
    }
    *n_fav = n;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* One phase of a user's planted favourites: "Topic|Topic" in topic order (the catalog's names). */
static void topics_text(char *buf, size_t n, const int *fav, int n_fav) {
    int sorted[3];
    memcpy(sorted, fav, (size_t)n_fav * sizeof *fav);
    for (int a = 1; a < n_fav; a++)
        for (int b = a; b > 0 && sorted[b] < sorted[b - 1]; b--) { int t = sorted[b]; sorted[b] = sorted[b - 1]; sorted[b - 1] = t; }
    buf[0] = 0;
    for (int k = 0; k < n_fav; k++) {
        if (k) strncat(buf, "|", n - strlen(buf) - 1);
        strncat(buf, TOPICS[sorted[k]].name, n - strlen(buf) - 1);
    }
}

static tide_status write_items(const tide_synth_params *p, const char *dir) {
    char *path = tide_path_join(dir, "items.csv");
    if (!path) return TIDE_ERR_NOMEM;
    tide_atomic_file f;
    tide_status st = tide_atomic_open(&f, path);
    free(path);
    if (st) return st;
    tide_rng r;
    tide_rng_init(&r, p->seed, 1);
    fputs("item_id,title,category\n", f.fp);
    for (int64_t i = 0; i < p->items; i++) {
        int t = (int)(i % p->topics);
        const topic_words *w = &TOPICS[t];
        const char *a = w->adj[tide_rng_below(&r, 6)], *n1 = w->noun[tide_rng_below(&r, 8)];
        const char *n2 = w->noun[tide_rng_below(&r, 8)];
        int year = 1970 + (int)tide_rng_below(&r, 52);
        char cat[96];
        if (tide_rng_uniform(&r) < 0.3 && p->topics > 1) {
            int t2 = (t + 1 + (int)tide_rng_below(&r, (uint64_t)p->topics - 1)) % p->topics;
            snprintf(cat, sizeof cat, "%s|%s", w->name, TOPICS[t2].name);
        } else {
            snprintf(cat, sizeof cat, "%s", w->name);
        }
        /* Titles hold commas now and then, so the CSV quoting path is exercised. */
        if (tide_rng_uniform(&r) < 0.1)
            fprintf(f.fp, "i%06lld,\"%s, %s (%d)\",%s\n", (long long)i, a, n1, year, cat);
        else
            fprintf(f.fp, "i%06lld,The %s %s of the %s (%d),%s\n", (long long)i, a, n1, n2, year, cat);
    }
    return tide_atomic_commit(&f);
}

tide_status tide_synth_write(const tide_synth_params *p, const char *dir) {
    const char *msg = tide_synth_params_check(p);
    if (msg) return tide_error(TIDE_ERR_USAGE, "synthetic data: %s", msg);
    tide_status st;
    if ((st = tide_mkdirs(dir))) return st;
    if (p->catalog && (st = write_items(p, dir))) return st;

    char *ipath = tide_path_join(dir, "interactions.csv"), *tpath = tide_path_join(dir, "text_events.csv");
    char *ppath = tide_path_join(dir, "planted_phases.csv"), *fpath = tide_path_join(dir, "planted.tsv");
    tide_atomic_file fi = {0}, ft = {0}, fp = {0}, ff = {0};
    int64_t cap = 1024, *times = malloc((size_t)cap * sizeof *times);
    if (!ipath || !tpath || !ppath || !fpath || !times) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = tide_atomic_open(&fi, ipath))) goto done;
    if (p->catalog && (st = tide_atomic_open(&ft, tpath))) goto done;
    if (p->planted && ((st = tide_atomic_open(&fp, ppath)) || (st = tide_atomic_open(&ff, fpath)))) goto done;
    if (p->planted) fputs("user_id,phase,first_timestamp,last_timestamp,events,topics\n", fp.fp);
    static char buf[1 << 16];
    setvbuf(fi.fp, NULL, _IOFBF, 1 << 20);
    fputs("user_id,item_id,timestamp,event\n", fi.fp);
    if (p->catalog) fputs("user_id,item_id,timestamp,text\n", ft.fp);
    double mean = (double)p->events / (double)p->users;
    tide_progress prog;
    tide_progress_begin(&prog, "generating", (uint64_t)p->users);
    for (int64_t u = 0; u < p->users; u++) {
        tide_rng r;
        tide_rng_init(&r, p->seed, 1000 + (uint64_t)u); /* one stream per user: stable under edits */
        /* Activity: exponential around the mean, at least 3 events. */
        int64_t n = 3 + (int64_t)floor(-log(1.0 - tide_rng_uniform(&r)) * (mean > 3 ? mean - 3 : 0.5));
        if (n > cap) {
            while (cap < n) cap *= 2;
            int64_t *nt = realloc(times, (size_t)cap * sizeof *nt);
            if (!nt) {
                st = tide_error(TIDE_ERR_NOMEM, "out of memory");
                goto done;
            }
            times = nt;
        }
        int64_t range = p->t_end - p->t_start;
        int64_t span = (int64_t)(range * (0.05 + 0.95 * tide_rng_uniform(&r)));
        int64_t start = p->t_start + (int64_t)tide_rng_below(&r, (uint64_t)(range - span) + 1);
        for (int64_t k = 0; k < n; k++) times[k] = start + (int64_t)tide_rng_below(&r, (uint64_t)span + 1);
        qsort(times, (size_t)n, sizeof *times, cmp_i64);
        int fav[3], n_fav;
        pick_favourites(&r, p->topics, fav, &n_fav);
        int64_t change1 = n, change2 = n;
        if (tide_rng_uniform(&r) < p->drift) {
            change1 = n / 4 + (int64_t)tide_rng_below(&r, (uint64_t)(n / 2) + 1);
            if (tide_rng_uniform(&r) < 0.3) change2 = change1 + (int64_t)tide_rng_below(&r, (uint64_t)(n - change1) + 1);
        }
        /* The planted truth (--planted) only records what the draws below decide: it draws nothing,
         * so the other files stay byte-identical with or without it. */
        char topics[160];
        int phase = 0;
        int64_t phase_start = 0;
        for (int64_t k = 0; k < n; k++) {
            if (k == change1 || k == change2) {
                if (p->planted && k > phase_start) {
                    topics_text(topics, sizeof topics, fav, n_fav);
                    fprintf(fp.fp, "u%06lld,%d,%lld,%lld,%lld,%s\n", (long long)u, phase++, (long long)times[phase_start],
                            (long long)times[k - 1], (long long)(k - phase_start), topics);
                    phase_start = k;
                }
                pick_favourites(&r, p->topics, fav, &n_fav);
            }
            /* Mostly the favourites, sometimes exploration. */
            int topic = tide_rng_uniform(&r) < 0.85 ? fav[tide_rng_below(&r, (uint64_t)n_fav)]
                                                     : (int)tide_rng_below(&r, (uint64_t)p->topics);
            int64_t item = pick_item(&r, p, topic);
            double e = tide_rng_uniform(&r);
            const char *ev = e < 0.8 ? "view" : e < 0.95 ? "cart" : "purchase";
            int len = snprintf(buf, sizeof buf, "u%06lld,i%06lld,%lld,%s\n", (long long)u, (long long)item,
                               (long long)times[k], ev);
            fwrite(buf, 1, (size_t)len, fi.fp);
            if (p->catalog && tide_rng_uniform(&r) < p->text_rate) {
                const topic_words *w = &TOPICS[topic];
                if (tide_rng_uniform(&r) < 0.5) { /* a search query just before the event */
                    fprintf(ft.fp, "u%06lld,,%lld,%s%s %s\n", (long long)u, (long long)(times[k] - 30),
                            QUERY_OPENERS[tide_rng_below(&r, 6)], w->adj[tide_rng_below(&r, 6)],
                            w->noun[tide_rng_below(&r, 8)]);
                } else { /* a review of the item, with quotes and a comma to exercise CSV */
                    fprintf(ft.fp, "u%06lld,i%06lld,%lld,\"%s %s, \"\"%s\"\" indeed\"\n", (long long)u,
                            (long long)item, (long long)(times[k] + 3600), REVIEW_OPENERS[tide_rng_below(&r, 8)],
                            w->noun[tide_rng_below(&r, 8)], w->adj[tide_rng_below(&r, 6)]);
                }
            }
        }
        if (p->planted) {
            topics_text(topics, sizeof topics, fav, n_fav);
            fprintf(fp.fp, "u%06lld,%d,%lld,%lld,%lld,%s\n", (long long)u, phase, (long long)times[phase_start],
                    (long long)times[n - 1], (long long)(n - phase_start), topics);
            fprintf(ff.fp, "u%06lld\t%s\n", (long long)u, topics);
        }
        tide_progress_update(&prog, (uint64_t)u + 1);
    }
    tide_progress_end(&prog);
    if ((st = tide_atomic_commit(&fi))) goto done;
    if (p->catalog && (st = tide_atomic_commit(&ft))) goto done;
    if (p->planted && !(st = tide_atomic_commit(&fp))) st = tide_atomic_commit(&ff);
done:
    tide_atomic_abort(&fi);
    tide_atomic_abort(&ft);
    tide_atomic_abort(&fp);
    tide_atomic_abort(&ff);
    free(times);
    free(ipath);
    free(tpath);
    free(ppath);
    free(fpath);
    return st;
}
