/* labels.c — interest-level evaluation (tide/labels.h): category profiles of the interests a
 * user has now (interest dir or --summary JSONL) and of the whole history, truth category sets,
 * per-user precision/recall/F1 of category sets, and drift segments. Reads only the few arrays
 * of an interest dir it needs (not the item side: EASE alone can be gigabytes). */
#define _GNU_SOURCE
#include "tide/labels.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/fileio.h"
#include "tide/npy.h"
#include "interest-impl.h"
#include "tide/strmap.h"

#define K TIDE_INTEREST_MAX_K

void tide_label_profiles_free(tide_label_profiles *p) {
    free(p->indptr);
    free(p->cats);
    free(p->weights);
    memset(p, 0, sizeof *p);
}

void tide_label_scores_free(tide_label_scores *s) {
    free(s->users);
    free(s->values);
    memset(s, 0, sizeof *s);
}

const char *tide_label_col_name(int c) {
    static const char *const n[] = {"precision", "recall", "f1", "size"};
    return c >= 0 && c < TIDE_LABEL_N_COLS ? n[c] : "?";
}

/* ---- building profiles: one dense score vector per user, emitted ranked ---- */

typedef struct {
    tide_label_profiles *p;
    int n_cats;
    int64_t cap;
    int32_t *order;
} builder;

static tide_status builder_init(builder *b, tide_label_profiles *p, int64_t n_users, int n_cats) {
    memset(p, 0, sizeof *p);
    memset(b, 0, sizeof *b);
    b->p = p;
    b->n_cats = n_cats;
    b->cap = 16;
    p->n_users = n_users;
    p->indptr = tide_calloc((size_t)n_users + 1, sizeof *p->indptr);
    p->cats = tide_malloc((size_t)b->cap * sizeof *p->cats);
    p->weights = tide_malloc((size_t)b->cap * sizeof *p->weights);
    b->order = tide_malloc((size_t)(n_cats > 0 ? n_cats : 1) * sizeof *b->order);
    if (!p->indptr || !p->cats || !p->weights || !b->order) {
        free(b->order);
        tide_label_profiles_free(p);
        return TIDE_ERR_NOMEM;
    }
    return TIDE_OK;
}

static const float *g_score; /* qsort has no context argument; single-threaded use only */
static int by_score(const void *x, const void *y) {
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    if (g_score[a] != g_score[b]) return g_score[a] > g_score[b] ? -1 : 1;
    return (a > b) - (a < b);
}

/* Append row u (rows in order) from score[n_cats]; clears score. */
static tide_status builder_row(builder *b, int64_t u, float *score) {
    tide_label_profiles *p = b->p;
    int n = 0;
    for (int c = 0; c < b->n_cats; c++)
        if (score[c] > 0) b->order[n++] = c;
    g_score = score;
    qsort(b->order, (size_t)n, sizeof *b->order, by_score);
    int64_t at = p->indptr[u];
    if (at + n > b->cap) {
        while (at + n > b->cap) b->cap *= 2;
        int32_t *nc = tide_realloc(p->cats, (size_t)b->cap * sizeof *nc);
        if (!nc) return TIDE_ERR_NOMEM;
        p->cats = nc;
        float *nw = tide_realloc(p->weights, (size_t)b->cap * sizeof *nw);
        if (!nw) return TIDE_ERR_NOMEM;
        p->weights = nw;
    }
    for (int i = 0; i < n; i++) {
        p->cats[at + i] = b->order[i];
        p->weights[at + i] = score[b->order[i]];
    }
    p->indptr[u + 1] = at + n;
    for (int c = 0; c < b->n_cats; c++) score[c] = 0;
    return TIDE_OK;
}

static void builder_end(builder *b) { free(b->order); }

static tide_status need_cats(const tide_interest_items *cats) {
    if (!cats->cat_indptr || cats->n_cats == 0)
        return tide_error(TIDE_ERR_DATA, "the --train dataset's catalog has no categories (an item text field "
                                         "\"genres\", \"categories\" or \"category\")");
    return TIDE_OK;
}

static int cat_find(const tide_interest_items *cats, const char *s, size_t len) {
    for (int c = 0; c < cats->n_cats; c++)
        if (strlen(cats->cat_names[c]) == len && strncmp(cats->cat_names[c], s, len) == 0) return c;
    return -1;
}

/* Times as doubles: a summary's are JSON numbers, any magnitude (never cast to an integer). */
static double time_factor(double half_life, double t_ref, double t) {
    if (!(half_life > 0) || !(t < t_ref)) return 1.0;
    return exp2(-(t_ref - t) / half_life);
}

tide_status tide_labels_history(const tide_dataset *train, const tide_interest_items *cats, tide_label_profiles *out) {
    tide_status st = need_cats(cats);
    if (st) return st;
    builder b;
    if ((st = builder_init(&b, out, train->n_users, cats->n_cats))) return st;
    float *score = tide_calloc((size_t)cats->n_cats, sizeof *score);
    if (!score) st = TIDE_ERR_NOMEM;
    for (int64_t u = 0; u < train->n_users && !st; u++) {
        for (int64_t j = train->indptr[u]; j < train->indptr[u + 1]; j++) {
            int32_t i = train->items[j];
            for (int64_t q = cats->cat_indptr[i]; q < cats->cat_indptr[i + 1]; q++) score[cats->cat_ids[q]] += 1;
        }
        st = builder_row(&b, u, score);
    }
    free(score);
    builder_end(&b);
    if (st) tide_label_profiles_free(out);
    return st;
}

/* ---- the interest dir ---- */

typedef struct {
    int64_t n_users;
    int32_t *n_clusters, *cats;   /* cats [U,K,2] in the dir's category numbering */
    float *strength, *drift;
    int64_t *last_active, *last_time, *n_events;
    int n_names;
    char **names;                 /* the dir's "categories" */
    char drift_checksum[32];
} dir_rows;

static void dir_rows_free(dir_rows *r) {
    free(r->n_clusters); free(r->cats); free(r->strength); free(r->drift);
    free(r->last_active); free(r->last_time); free(r->n_events);
    for (int i = 0; i < r->n_names; i++) free(r->names[i]);
    free(r->names);
    memset(r, 0, sizeof *r);
}

/* One per-user array [U, dims...] as the users see it (an --update's delta overlaid on its base)
 * into a malloc'ed copy; `checksum` (may be NULL) gets "crc32:..." of the file, chained over the
 * delta's files when there is one. */
static tide_status load_npy(const char *dir, const tide_interest_layout *L, const char *name, tide_dtype dt, int nd,
                            int64_t b, int64_t c, void **out, char *checksum) {
    int64_t dims[2] = {b, c};
    size_t n = tide_dtype_size(dt) * (size_t)L->users;
    for (int k = 1; k < nd; k++) n *= (size_t)dims[k - 1];
    if (!(*out = tide_malloc(n + 1))) return TIDE_ERR_NOMEM;
    tide_status st = tide_interest_rows_load(dir, L, name, dt, nd, dims, *out);
    if (!st && checksum) {
        uint32_t crc = 0, part;
        uint64_t sz;
        char file[160];
        const char *files[3] = {name, L->delta_users ? "delta_users" : NULL, L->delta_users ? "delta_" : NULL};
        for (int f = 0; f < 3 && !st && files[f]; f++) {
            if (f == 2) snprintf(file, sizeof file, "delta_%s.npy", name);
            else snprintf(file, sizeof file, "%s.npy", files[f]);
            char *path = tide_path_join(dir, file);
            if (!path) st = TIDE_ERR_NOMEM;
            else if (!(st = tide_file_crc32(path, &part, &sz))) crc = f ? tide_crc32(crc, &part, sizeof part) : part;
            free(path);
        }
        if (!st) snprintf(checksum, 32, "crc32:%08x", crc);
    }
    if (st) { free(*out); *out = NULL; }
    return st;
}

/* The manifest (format, the dataset it was captured from = train, categories) and the arrays. */
static tide_status dir_rows_load(const char *dir, const tide_dataset *train, int with_labels, dir_rows *r) {
    memset(r, 0, sizeof *r);
    char *path;
    cJSON *m;
    tide_interest_layout lay = {0};
    tide_status st = tide_interest_manifest_read(dir, &path, &m);
    if (st) return st;
    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(m, "dataset");
    const cJSON *ck = cJSON_GetObjectItemCaseSensitive(ds, "checksum"), *nu = cJSON_GetObjectItemCaseSensitive(ds, "users");
    if (!cJSON_IsString(ck) || !cJSON_IsNumber(nu)) {
        st = tide_error(TIDE_ERR_DATA, "%s: no \"dataset\" checksum and users", path);
        goto done;
    }
    /* compared as doubles: a count beyond int64 in the manifest is no cast (undefined behaviour) */
    if (strcmp(ck->valuestring, train->checksum) != 0 || nu->valuedouble != (double)train->n_users) {
        st = tide_error(TIDE_ERR_DATA, "%s: captured from dataset %s (%.0f users), not from the --train dataset (%s, %lld users)",
                        path, ck->valuestring, nu->valuedouble, train->checksum, (long long)train->n_users);
        goto done;
    }
    int64_t U = train->n_users;
    r->n_users = U;
    if ((st = tide_interest_layout_read(dir, path, m, U, &lay))) goto done;
    if (with_labels) {
        const cJSON *cn = cJSON_GetObjectItemCaseSensitive(m, "categories"), *e;
        int n = cJSON_GetArraySize(cn);
        r->names = tide_calloc((size_t)n + 1, sizeof *r->names);
        if (!r->names) { st = TIDE_ERR_NOMEM; goto done; }
        cJSON_ArrayForEach(e, cn) {
            if (!cJSON_IsString(e)) { st = tide_error(TIDE_ERR_DATA, "%s: \"categories\" must hold strings", path); goto done; }
            if (!(r->names[r->n_names++] = strdup(e->valuestring))) { st = TIDE_ERR_NOMEM; goto done; }
        }
        if ((st = load_npy(dir, &lay, "n_clusters", TIDE_DTYPE_I32, 1, 0, 0, (void **)&r->n_clusters, NULL)) ||
            (st = load_npy(dir, &lay, "cluster_strength", TIDE_DTYPE_F32, 2, K, 0, (void **)&r->strength, NULL)) ||
            (st = load_npy(dir, &lay, "cluster_last_active", TIDE_DTYPE_I64, 2, K, 0, (void **)&r->last_active, NULL)) ||
            (st = load_npy(dir, &lay, "cluster_categories", TIDE_DTYPE_I32, 3, K, 2, (void **)&r->cats, NULL)) ||
            (st = load_npy(dir, &lay, "last_time", TIDE_DTYPE_I64, 1, 0, 0, (void **)&r->last_time, NULL)))
            goto done;
        for (int64_t u = 0; u < U; u++) {
            if (r->n_clusters[u] < 0 || r->n_clusters[u] > K) {
                st = tide_error(TIDE_ERR_DATA, "%s/n_clusters.npy: row %lld: %d clusters (0..%d)", dir, (long long)u,
                                r->n_clusters[u], K);
                goto done;
            }
            for (int q = 0; q < 2 * K; q++)
                if (r->cats[u * 2 * K + q] < -1 || r->cats[u * 2 * K + q] >= r->n_names) {
                    st = tide_error(TIDE_ERR_DATA, "%s/cluster_categories.npy: row %lld: category %d out of range", dir,
                                    (long long)u, r->cats[u * 2 * K + q]);
                    goto done;
                }
        }
    } else {
        if ((st = load_npy(dir, &lay, "drift", TIDE_DTYPE_F32, 1, 0, 0, (void **)&r->drift, r->drift_checksum))) goto done;
    }
    st = load_npy(dir, &lay, "n_events", TIDE_DTYPE_I64, 1, 0, 0, (void **)&r->n_events, NULL);
done:
    free(path);
    tide_interest_layout_free(&lay);
    cJSON_Delete(m);
    if (st) dir_rows_free(r);
    return st;
}

tide_status tide_labels_from_dir(const char *dir, const tide_dataset *train, const tide_interest_items *cats,
                                 double half_life, tide_label_profiles *out) {
    tide_status st = need_cats(cats);
    if (st) return st;
    dir_rows r;
    if ((st = dir_rows_load(dir, train, 1, &r))) return st;
    /* the dir's category numbering -> the train catalog's (by name: both come from the same rule) */
    int *map = tide_malloc((size_t)(r.n_names + 1) * sizeof *map);
    float *score = tide_calloc((size_t)cats->n_cats, sizeof *score);
    builder b;
    int started = 0;
    if (!map || !score) { st = TIDE_ERR_NOMEM; goto done; }
    for (int c = 0; c < r.n_names; c++) map[c] = cat_find(cats, r.names[c], strlen(r.names[c]));
    if ((st = builder_init(&b, out, r.n_users, cats->n_cats))) goto done;
    started = 1;
    for (int64_t u = 0; u < r.n_users && !st; u++) {
        double tot = 0;
        int nq = r.n_events[u] > 0 ? r.n_clusters[u] : 0;
        for (int q = 0; q < nq; q++) tot += r.strength[u * K + q] > 0 ? r.strength[u * K + q] : 0;
        for (int q = 0; q < nq && tot > 0; q++) {
            double s = r.strength[u * K + q];
            if (!(s > 0)) continue;
            double w = s / tot * time_factor(half_life, (double)r.last_time[u], (double)r.last_active[u * K + q]);
            for (int l = 0; l < 2; l++) {
                int c = r.cats[(u * K + q) * 2 + l];
                if (c >= 0 && map[c] >= 0) score[map[c]] += (float)(l == 0 ? w : 0.5 * w);
            }
        }
        st = builder_row(&b, u, score);
    }
done:
    if (started) builder_end(&b);
    if (st && started) tide_label_profiles_free(out);
    free(map);
    free(score);
    dir_rows_free(&r);
    return st;
}

/* ---- the --summary JSONL ---- */

static tide_status user_map(const tide_dataset *train, tide_strmap *m) {
    tide_status st = tide_strmap_init(m, (size_t)train->n_users + 1);
    for (int64_t u = 0; u < train->n_users && !st; u++)
        st = tide_strmap_intern(m, train->user_ids[u], strlen(train->user_ids[u]), &(int64_t){0}, NULL);
    return st;
}

tide_status tide_labels_from_summary(const char *path, const tide_dataset *train, const tide_interest_items *cats,
                                     double half_life, tide_label_profiles *out) {
    tide_status st = need_cats(cats);
    if (st) return st;
    char *buf = NULL;
    size_t size = 0;
    tide_strmap users;
    memset(&users, 0, sizeof users);
    float *rows = NULL;
    uint8_t *seen = NULL;
    int64_t U = train->n_users;
    if ((st = tide_read_file(path, &buf, &size))) return st;
    if ((st = user_map(train, &users))) goto done;
    /* rows arrive in file order: collect dense scores first, emit ranked in user order */
    rows = tide_calloc((size_t)U * (size_t)cats->n_cats + 1, sizeof *rows);
    seen = tide_calloc((size_t)U + 1, 1);
    if (!rows || !seen) { st = TIDE_ERR_NOMEM; goto done; }
    uint64_t line = 0;
    for (const char *p = buf, *bend = buf + size; p < bend && !st;) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(bend - p));
        const char *end = nl ? nl : bend, *next = nl ? nl + 1 : bend;
        const char *q = p;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
        if (q == end) { p = next; continue; }
        cJSON *o = cJSON_ParseWithLength(p, (size_t)(end - p));
        const cJSON *uid = cJSON_GetObjectItemCaseSensitive(o, "user"), *ints = cJSON_GetObjectItemCaseSensitive(o, "interests");
        const cJSON *le = cJSON_GetObjectItemCaseSensitive(o, "last_event"), *e;
        if (!cJSON_IsObject(o) || !cJSON_IsString(uid) || !(ints == NULL || cJSON_IsArray(ints))) {
            st = tide_error(TIDE_ERR_DATA, "%s:%llu: expected a JSON object with \"user\" and \"interests\"", path,
                            (unsigned long long)line);
        } else {
            int64_t u = tide_strmap_find(&users, uid->valuestring, strlen(uid->valuestring));
            if (u < 0) st = tide_error(TIDE_ERR_DATA, "%s:%llu: user '%.120s' is not in the --train dataset", path,
                                       (unsigned long long)line, uid->valuestring);
            else if (seen[u]) st = tide_error(TIDE_ERR_DATA, "%s:%llu: user '%.120s' appears twice", path,
                                              (unsigned long long)line, uid->valuestring);
            else {
                seen[u] = 1;
                double t_ref = cJSON_IsNumber(le) ? le->valuedouble : NAN;
                float *row = rows + u * cats->n_cats;
                cJSON_ArrayForEach(e, ints) {
                    const cJSON *lab = cJSON_GetObjectItemCaseSensitive(e, "label"),
                                *sh = cJSON_GetObjectItemCaseSensitive(e, "strength"),
                                *la = cJSON_GetObjectItemCaseSensitive(e, "last_active");
                    if (!cJSON_IsString(lab) || !cJSON_IsNumber(sh) || !(sh->valuedouble >= 0) || !isfinite(sh->valuedouble)) {
                        st = tide_error(TIDE_ERR_DATA, "%s:%llu: an interest needs a \"label\" and a finite \"strength\" >= 0",
                                        path, (unsigned long long)line);
                        break;
                    }
                    double w = sh->valuedouble;
                    if (cJSON_IsNumber(la) && isfinite(t_ref) && isfinite(la->valuedouble))
                        w *= time_factor(half_life, t_ref, la->valuedouble);
                    /* "A, B": the first category counts fully, the second half (as from the dir) */
                    const char *s = lab->valuestring;
                    for (int l = 0; l < 2 && *s; l++) {
                        const char *sep = strstr(s, ", ");
                        size_t n = sep ? (size_t)(sep - s) : strlen(s);
                        int c = cat_find(cats, s, n);
                        if (c >= 0) row[c] += (float)(l == 0 ? w : 0.5 * w);
                        s = sep ? sep + 2 : s + n;
                    }
                }
            }
        }
        cJSON_Delete(o);
        p = next;
    }
    if (st) goto done;
    builder b;
    if ((st = builder_init(&b, out, U, cats->n_cats))) goto done;
    for (int64_t u = 0; u < U && !st; u++) st = builder_row(&b, u, rows + u * cats->n_cats);
    builder_end(&b);
    if (st) tide_label_profiles_free(out);
done:
    free(buf);
    free(rows);
    free(seen);
    tide_strmap_free(&users);
    return st;
}

/* ---- truth ---- */

tide_status tide_labels_truth_items(const tide_eval_truth *t, const tide_dataset *train, const tide_interest_items *cats,
                                    tide_label_profiles *out, int64_t *n_unknown) {
    tide_status st = need_cats(cats);
    if (st) return st;
    tide_strmap users;
    memset(&users, 0, sizeof users);
    int64_t U = train->n_users;
    int64_t *of_user = tide_malloc(((size_t)U + 1) * sizeof *of_user); /* train user -> truth user */
    float *score = tide_calloc((size_t)cats->n_cats, sizeof *score);
    builder b;
    int started = 0;
    *n_unknown = 0;
    if (!of_user || !score) { st = TIDE_ERR_NOMEM; goto done; }
    if ((st = user_map(train, &users))) goto done;
    for (int64_t u = 0; u < U; u++) of_user[u] = -1;
    for (int64_t e = 0; e < t->n_eval; e++) {
        int64_t tu = t->user_of_eval[e];
        int64_t u = tide_strmap_find(&users, t->users.keys[tu], t->users.lens[tu]);
        if (u < 0) (*n_unknown)++;
        else of_user[u] = tu;
    }
    if ((st = builder_init(&b, out, U, cats->n_cats))) goto done;
    started = 1;
    for (int64_t u = 0; u < U && !st; u++) {
        int64_t tu = of_user[u];
        if (tu >= 0)
            for (int64_t j = t->indptr[tu]; j < t->indptr[tu + 1]; j++) {
                int32_t i = t->truth_items[j];
                if (i < 0 || i >= cats->n_items) continue; /* an item outside train's catalog has no categories */
                for (int64_t q = cats->cat_indptr[i]; q < cats->cat_indptr[i + 1]; q++) score[cats->cat_ids[q]] = 1;
            }
        st = builder_row(&b, u, score);
    }
done:
    if (started) builder_end(&b);
    if (st && started) tide_label_profiles_free(out);
    free(of_user);
    free(score);
    tide_strmap_free(&users);
    return st;
}

tide_status tide_labels_truth_file(const char *path, const tide_dataset *train, const tide_interest_items *cats,
                                   tide_label_profiles *out) {
    tide_status st = need_cats(cats);
    if (st) return st;
    char *buf = NULL;
    size_t size = 0;
    tide_strmap users;
    memset(&users, 0, sizeof users);
    int64_t U = train->n_users;
    uint8_t *sets = NULL;
    if ((st = tide_read_file(path, &buf, &size))) return st;
    if ((st = user_map(train, &users))) goto done;
    sets = tide_calloc((size_t)U * (size_t)(cats->n_cats + 1) + 1, 1); /* last byte of a row: seen */
    if (!sets) { st = TIDE_ERR_NOMEM; goto done; }
    int W = cats->n_cats + 1;
    uint64_t line = 0;
    for (const char *p = buf, *bend = buf + size; p < bend && !st;) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(bend - p));
        const char *end = nl ? nl : bend, *next = nl ? nl + 1 : bend;
        if (end > p && end[-1] == '\r') end--;
        if (end == p) { p = next; continue; }
        const char *tab = memchr(p, '\t', (size_t)(end - p));
        if (!tab || tab == p || tab + 1 == end || memchr(tab + 1, '\t', (size_t)(end - tab - 1))) {
            st = tide_error(TIDE_ERR_DATA, "%s:%llu: malformed line: expected 'user<TAB>category[|category...]'", path,
                            (unsigned long long)line);
            break;
        }
        int64_t u = tide_strmap_find(&users, p, (size_t)(tab - p));
        if (u < 0) {
            st = tide_error(TIDE_ERR_DATA, "%s:%llu: user '%.*s' is not in the --train dataset", path,
                            (unsigned long long)line, (int)(tab - p > 120 ? 120 : tab - p), p);
            break;
        }
        uint8_t *row = sets + u * W;
        if (row[W - 1]) {
            st = tide_error(TIDE_ERR_DATA, "%s:%llu: user '%.*s' appears twice", path, (unsigned long long)line,
                            (int)(tab - p > 120 ? 120 : tab - p), p);
            break;
        }
        row[W - 1] = 1;
        for (const char *s = tab + 1; s < end;) {
            const char *bar = memchr(s, '|', (size_t)(end - s));
            const char *e = bar ? bar : end;
            int c = cat_find(cats, s, (size_t)(e - s));
            if (c < 0) {
                st = tide_error(TIDE_ERR_DATA, "%s:%llu: category '%.*s' is not in the --train catalog", path,
                                (unsigned long long)line, (int)(e - s > 120 ? 120 : e - s), s);
                break;
            }
            row[c] = 1;
            s = bar ? bar + 1 : end;
        }
        p = next;
    }
    if (st) goto done;
    float *score = tide_calloc((size_t)cats->n_cats, sizeof *score);
    builder b;
    if (!score || (st = builder_init(&b, out, U, cats->n_cats))) {
        free(score);
        st = st ? st : TIDE_ERR_NOMEM;
        goto done;
    }
    for (int64_t u = 0; u < U && !st; u++) {
        for (int c = 0; c < cats->n_cats; c++) score[c] = sets[u * W + c];
        st = builder_row(&b, u, score);
    }
    builder_end(&b);
    free(score);
    if (st) tide_label_profiles_free(out);
done:
    free(buf);
    free(sets);
    tide_strmap_free(&users);
    return st;
}

/* ---- scores ---- */

static int in_row(const tide_label_profiles *p, int64_t u, int32_t c) {
    for (int64_t j = p->indptr[u]; j < p->indptr[u + 1]; j++)
        if (p->cats[j] == c) return 1;
    return 0;
}

tide_status tide_labels_score(const tide_label_profiles *a, const tide_label_profiles *b, const tide_label_profiles *truth,
                              int m, tide_label_scores *out) {
    memset(out, 0, sizeof *out);
    if (a->n_users != truth->n_users || b->n_users != truth->n_users || m < 1)
        return tide_error(TIDE_ERR_USAGE, "label scores: profiles of different user counts or m < 1");
    int64_t n = 0, U = truth->n_users;
    for (int64_t u = 0; u < U; u++) n += truth->indptr[u + 1] > truth->indptr[u];
    out->m = m;
    out->n = n;
    out->users = tide_malloc(((size_t)n + 1) * sizeof *out->users);
    out->values = tide_malloc(((size_t)2 * TIDE_LABEL_N_COLS * (size_t)n + 1) * sizeof *out->values);
    if (!out->users || !out->values) {
        tide_label_scores_free(out);
        return TIDE_ERR_NOMEM;
    }
    int64_t e = 0;
    for (int64_t u = 0; u < U; u++) {
        int64_t nt = truth->indptr[u + 1] - truth->indptr[u];
        if (nt == 0) continue;
        out->users[e] = u;
        int64_t na = a->indptr[u + 1] - a->indptr[u];
        int64_t mu = na < m ? na : m;
        out->n_empty += mu == 0;
        for (int pi = 0; pi < 2; pi++) {
            const tide_label_profiles *p = pi == 0 ? a : b;
            int64_t len = p->indptr[u + 1] - p->indptr[u], k = len < mu ? len : mu, hits = 0;
            for (int64_t j = 0; j < k; j++) hits += in_row(truth, u, p->cats[p->indptr[u] + j]);
            double prec = mu > 0 ? (double)hits / (double)mu : 0, rec = (double)hits / (double)nt;
            tide_label_column(out, pi, TIDE_LABEL_PRECISION)[e] = prec;
            tide_label_column(out, pi, TIDE_LABEL_RECALL)[e] = rec;
            tide_label_column(out, pi, TIDE_LABEL_F1)[e] = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;
            tide_label_column(out, pi, TIDE_LABEL_SIZE)[e] = (double)k;
        }
        e++;
    }
    return TIDE_OK;
}

/* ---- drift segments ---- */

static int cmp_f(const void *x, const void *y) {
    float a = *(const float *)x, b = *(const float *)y;
    return (a > b) - (a < b);
}

tide_status tide_labels_drift_segments(const char *dir, const tide_dataset *train, const tide_eval_truth *t, int bins,
                                       tide_eval_segments *s, double *cuts) {
    memset(s, 0, sizeof *s);
    if (bins < 2 || bins > 100) return tide_error(TIDE_ERR_USAGE, "drift segments: bins must be between 2 and 100");
    dir_rows r;
    tide_status st = dir_rows_load(dir, train, 0, &r);
    if (st) return st;
    tide_strmap users;
    memset(&users, 0, sizeof users);
    int64_t *of_eval = tide_malloc(((size_t)t->n_eval + 1) * sizeof *of_eval); /* eval user -> train row or -1 */
    int32_t *bin = tide_malloc(((size_t)t->n_eval + 1) * sizeof *bin);
    float *sorted = tide_malloc(((size_t)t->n_eval + 1) * sizeof *sorted);
    if (!of_eval || !bin || !sorted) { st = TIDE_ERR_NOMEM; goto done; }
    if ((st = user_map(train, &users))) goto done;
    int64_t n = 0;
    for (int64_t e = 0; e < t->n_eval; e++) {
        int64_t tu = t->user_of_eval[e];
        int64_t u = tide_strmap_find(&users, t->users.keys[tu], t->users.lens[tu]);
        of_eval[e] = u >= 0 && r.n_events[u] > 0 && isfinite(r.drift[u]) ? u : -1;
        if (of_eval[e] >= 0) sorted[n++] = r.drift[u];
    }
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_f);
    for (int j = 0; j < bins - 1; j++) cuts[j] = n ? sorted[(int64_t)((double)(j + 1) * (double)n / bins)] : NAN;
    int64_t n_none = 0;
    for (int64_t e = 0; e < t->n_eval; e++) {
        if (of_eval[e] < 0) { bin[e] = bins; n_none++; continue; }
        int b = 0;
        while (b < bins - 1 && r.drift[of_eval[e]] >= cuts[b]) b++;
        bin[e] = b;
    }
    s->n_labels = bins + (n_none > 0);
    s->labels = tide_calloc((size_t)s->n_labels + 1, sizeof *s->labels);
    s->offsets = tide_calloc((size_t)s->n_labels + 1, sizeof *s->offsets);
    s->members = tide_malloc(((size_t)t->n_eval + 1) * sizeof *s->members);
    if (!s->labels || !s->offsets || !s->members) { st = TIDE_ERR_NOMEM; goto done; }
    for (int b = 0; b < s->n_labels; b++) {
        char lab[32];
        if (b < bins) snprintf(lab, sizeof lab, "drift-%d", b + 1);
        else snprintf(lab, sizeof lab, "(none)");
        if (!(s->labels[b] = strdup(lab))) { st = TIDE_ERR_NOMEM; goto done; }
    }
    /* members grouped by bin, each group in evaluated-user order */
    int64_t at = 0;
    for (int b = 0; b < s->n_labels; b++) {
        s->offsets[b] = at;
        for (int64_t e = 0; e < t->n_eval; e++)
            if (bin[e] == b) s->members[at++] = e;
    }
    s->offsets[s->n_labels] = at;
    memcpy(s->checksum, r.drift_checksum, sizeof s->checksum);
done:
    if (st) tide_eval_segments_free(s);
    free(of_eval);
    free(bin);
    free(sorted);
    tide_strmap_free(&users);
    dir_rows_free(&r);
    return st;
}
