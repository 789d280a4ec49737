/* encoder.c — the BERT forward pass (HF BertModel, eval mode), pooling and normalisation, and
 * the batching driver behind tide_lm_embed.
 *
 * A batch's tokens are packed back to back ([T, H] with T = the sum of the sequence lengths), so
 * the dense layers run one GEMM over real tokens only and attention runs per sequence over its
 * own keys: no padding is computed at all, which is what HF's attention mask achieves. Windows of
 * texts are sorted by token count so a batch holds similar lengths (balanced work per thread).
 * Each OpenMP thread runs whole batches with its own backend handle and workspace; the matrix
 * products go through tide_backend_sgemm (single-threaded OpenBLAS inside the parallel region). */
#define _GNU_SOURCE
#include "lm-impl.h"
#include "lm-math.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "tide/clones.h"

tide_lm_params tide_lm_params_default(void) {
    tide_lm_params p;
    p.batch_size = 32;
    p.window_batches = 16;
    p.device = TIDE_DEVICE_CPU;
    return p;
}

const char *tide_lm_params_check(const tide_lm_params *p) {
    if (p->batch_size < 1 || p->batch_size > 65536) return "batch_size must be in 1..65536";
    if (p->window_batches < 1 || p->window_batches > 4096) return "window_batches must be in 1..4096";
    return NULL;
}

/* ---- per-thread workspace ------------------------------------------------------------------- */

typedef struct {
    tide_backend *be;
    size_t cap_tok;      /* tokens the activation buffers hold */
    int cap_len;         /* longest sequence the score buffer holds */
    float *x, *qkv, *ctx, *tmp, *inter, *scores;
    uint16_t *split;     /* the AMX kernel's split activations (lm->amx only) */
    size_t cap_split;
    double flops;
} worker;

static void worker_free(worker *w) {
    free(w->x);
    free(w->qkv);
    free(w->ctx);
    free(w->tmp);
    free(w->inter);
    free(w->scores);
    free(w->split);
    tide_backend_free(w->be);
    memset(w, 0, sizeof *w);
}

static tide_status worker_reserve(worker *w, const tide_lm *lm, size_t tokens, int max_len) {
    const tide_lm_config *c = &lm->cfg;
    if (lm->amx) {
        int widest = c->hidden > c->intermediate ? c->hidden : c->intermediate;
        size_t need = lm_amx_scratch_elems((int64_t)tokens, widest, 3 * c->hidden > widest ? 3 * c->hidden : widest);
        if (need > w->cap_split) {
            free(w->split);
            w->split = lm_amx_alloc(need);
            w->cap_split = w->split ? need : 0;
            if (!w->split) return TIDE_ERR_NOMEM;
        }
    }
    if (tokens > w->cap_tok) {
        size_t H = (size_t)c->hidden, I = (size_t)c->intermediate;
        free(w->x);
        free(w->qkv);
        free(w->ctx);
        free(w->tmp);
        free(w->inter);
        w->x = tide_malloc(tokens * H * sizeof(float));
        w->qkv = tide_malloc(tokens * 3 * H * sizeof(float));
        w->ctx = tide_malloc(tokens * H * sizeof(float));
        w->tmp = tide_malloc(tokens * H * sizeof(float));
        w->inter = tide_malloc(tokens * I * sizeof(float));
        w->cap_tok = tokens;
        if (!w->x || !w->qkv || !w->ctx || !w->tmp || !w->inter) {
            w->cap_tok = 0;
            return TIDE_ERR_NOMEM;
        }
    }
    if (max_len > w->cap_len) {
        free(w->scores);
        /* [max_len, max_len] scores, then max_len row normalisers (softmax_rows) */
        w->scores = tide_malloc((size_t)max_len * ((size_t)max_len + 1) * sizeof(float));
        w->cap_len = w->scores ? max_len : 0;
        if (!w->scores) return TIDE_ERR_NOMEM;
    }
    return TIDE_OK;
}

/* ---- kernels ------------------------------------------------------------------------------- */

/* Bytes spanned by a row-major [rows, cols] view with stride ld. */
static size_t span(int64_t rows, int64_t cols, int64_t ld) {
    return rows && cols ? ((size_t)(rows - 1) * (size_t)ld + (size_t)cols) * sizeof(float) : 0;
}

/* C = alpha op(A) op(B) + beta C over host memory, through the backend interface. */
static tide_status gemm(worker *w, int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                        int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    tide_buffer a, b, c;
    tide_status s;
    if ((s = tide_buffer_wrap_host(w->be, (void *)A, span(ta ? K : M, ta ? M : K, lda), &a)) ||
        (s = tide_buffer_wrap_host(w->be, (void *)B, span(tb ? N : K, tb ? K : N, ldb), &b)) ||
        (s = tide_buffer_wrap_host(w->be, C, span(M, N, ldc), &c)))
        return s;
    w->flops += 2.0 * (double)M * (double)N * (double)K;
    return tide_backend_sgemm(w->be, ta, tb, M, N, K, alpha, &a, 0, lda, &b, 0, ldb, beta, &c, 0, ldc);
}

/* Y[T, out] = f(X)[T, in] W[out, in]^T (+ bias): on AMX tiles when the model was split for them
 * (aw != NULL; the bias always included, f = GELU when gelu_x, else identity), else through
 * OpenBLAS (f = identity; bias NULL: left to the pass that follows, which adds it on its way). */
static tide_status linear(worker *w, const float *X, int64_t T, int64_t in, const float *W, const lm_amx_weight *aw,
                          int gelu_x, const float *bias, int64_t out, float *Y) {
    if (aw) {
        w->flops += 2.0 * (double)T * (double)out * (double)in;
        lm_amx_linear(X, T, aw, Y, w->split, gelu_x ? LM_AMX_GELU_X : 0);
        return TIDE_OK;
    }
    if (bias)
        for (int64_t t = 0; t < T; t++) memcpy(Y + t * out, bias, (size_t)out * sizeof(float));
    return gemm(w, 0, 1, T, out, in, 1.0f, X, in, W, in, bias ? 1.0f : 0.0f, Y, out);
}

/* Kernels that run outside the GEMMs are compiled for AVX-512, AVX2 and baseline x86-64 and
 * chosen when the program loads (their reductions are vectorised with omp simd). */

/* dst = LayerNorm(a + bias + r) row-wise (bias [H] and r may be NULL: the OpenBLAS path adds the
 * preceding dense layer's bias here); dst may alias a. Biased variance, as torch; two passes
 * (mean, then squared deviations) keep the variance accurate in float. */
TIDE_CLONES_WIDE
static void add_layernorm(float *dst, const float *a, const float *bias, const float *r, int64_t T, int H,
                          const float *g, const float *b, double eps) {
    for (int64_t t = 0; t < T; t++) {
        float *d = dst + t * H;
        const float *x = a + t * H;
        float sum = 0;
        if (r && bias) {
            const float *y = r + t * H;
#pragma omp simd reduction(+ : sum)
            for (int i = 0; i < H; i++) {
                d[i] = (x[i] + bias[i]) + y[i];
                sum += d[i];
            }
        } else if (r) {
            const float *y = r + t * H;
#pragma omp simd reduction(+ : sum)
            for (int i = 0; i < H; i++) {
                d[i] = x[i] + y[i];
                sum += d[i];
            }
        } else {
#pragma omp simd reduction(+ : sum)
            for (int i = 0; i < H; i++) {
                d[i] = x[i];
                sum += d[i];
            }
        }
        float mean = sum / (float)H, var = 0;
#pragma omp simd reduction(+ : var)
        for (int i = 0; i < H; i++) {
            float e = d[i] - mean;
            var += e * e;
        }
        float inv = (float)(1.0 / sqrt((double)var / H + eps));
#pragma omp simd
        for (int i = 0; i < H; i++) d[i] = (d[i] - mean) * inv * g[i] + b[i];
    }
}

/* x = GELU(x + bias) over [rows, cols] (bias [cols], NULL: none): the OpenBLAS path's bias of the
 * intermediate dense layer is added here instead of being copied into every output row first. */
TIDE_CLONES_WIDE
static void gelu_bias(float *x, int64_t rows, int cols, const float *bias) {
    for (int64_t r = 0; r < rows; r++) {
        float *row = x + r * cols;
        if (bias) {
#pragma omp simd
            for (int i = 0; i < cols; i++) row[i] = lm_gelu_f32(row[i] + bias[i]);
        } else {
#pragma omp simd
            for (int i = 0; i < cols; i++) row[i] = lm_gelu_f32(row[i]);
        }
    }
}

/* e^x for x <= 0 (softmax arguments after subtracting the row maximum): Cody-Waite reduction
 * x = n ln2 + f, a degree-6 polynomial for e^f (Cephes expf coefficients, ~1 ulp), 2^n from the
 * exponent bits. Vectorises, unlike a call to libm's expf. */
static inline float exp_neg_f32(float x) {
    x = x < -87.0f ? -87.0f : x;
    /* round x log2(e) to the nearest integer with the 1.5 * 2^23 trick (no rounding call) */
    float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float f = x - n * 0.693359375f;
    f = f - n * -2.12194440e-4f;
    float y = 1.9875691500e-4f;
    y = y * f + 1.3981999507e-3f;
    y = y * f + 8.3334519073e-3f;
    y = y * f + 4.1665795894e-2f;
    y = y * f + 1.6666665459e-1f;
    y = y * f + 5.0000001201e-1f;
    y = y * f * f + f + 1.0f;
    union {
        int32_t i;
        float f;
    } scale = {.i = ((int32_t)n + 127) << 23};
    return y * scale.f;
}

/* The unnormalised softmax of each row, e^(s - max), with inv[r] = 1 / its sum: the caller scales
 * the [rows, dh] product with V instead of the [rows, cols] probabilities (dh = 32 or 64 is
 * narrower than a review's rows), which saves a pass over the scores. */
TIDE_CLONES_WIDE
static void softmax_rows(float *s, int rows, int cols, float *inv) {
    for (int r = 0; r < rows; r++) {
        float *row = s + (size_t)r * cols, mx = row[0], sum = 0;
#pragma omp simd reduction(max : mx)
        for (int j = 1; j < cols; j++) mx = row[j] > mx ? row[j] : mx;
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j < cols; j++) {
            row[j] = exp_neg_f32(row[j] - mx);
            sum += row[j];
        }
        inv[r] = 1.0f / sum;
    }
}

/* x[r, 0:cols] *= inv[r] (row stride ld). */
TIDE_CLONES_WIDE
static void scale_rows(float *x, int rows, int cols, int64_t ld, const float *inv) {
    for (int r = 0; r < rows; r++) {
        float *row = x + r * ld, f = inv[r];
#pragma omp simd
        for (int j = 0; j < cols; j++) row[j] *= f;
    }
}

/* Forward pass over nseq packed sequences (ids concatenated, lengths len[]); leaves the last
 * hidden state in w->x [T, H]. */
static tide_status forward(const tide_lm *lm, worker *w, const int32_t *ids, const int *len, int nseq) {
    const tide_lm_config *c = &lm->cfg;
    const int H = c->hidden, I = c->intermediate, nh = c->heads, dh = H / nh;
    int64_t T = 0;
    int maxlen = 0;
    for (int s = 0; s < nseq; s++) {
        T += len[s];
        if (len[s] > maxlen) maxlen = len[s];
    }
    tide_status st = worker_reserve(w, lm, (size_t)T, maxlen);
    if (st) return st;
    /* embeddings: word + position + token type 0, then LayerNorm */
    int64_t t = 0;
    for (int s = 0; s < nseq; s++)
        for (int p = 0; p < len[s]; p++, t++) {
            int32_t id = ids[t];
            if (id < 0 || id >= c->vocab_size)
                return tide_error(TIDE_ERR_DATA, "token id %d outside the model's vocabulary of %d", id, c->vocab_size);
            const float *we = lm->word + (size_t)id * H, *pe = lm->pos + (size_t)p * H, *te = lm->type;
            float *x = w->x + t * H;
            for (int i = 0; i < H; i++) x[i] = we[i] + pe[i] + te[i];
        }
    add_layernorm(w->x, w->x, NULL, NULL, T, H, lm->emb_ln_g, lm->emb_ln_b, c->layer_norm_eps);
    const float scale = 1.0f / sqrtf((float)dh);
    for (int l = 0; l < c->layers; l++) {
        const lm_layer *L = &lm->layers[l];
        const lm_amx_weight *aw = lm->amx ? L->amx : NULL;
        if ((st = linear(w, w->x, T, H, L->qkv_w, aw ? &aw[0] : NULL, 0, L->qkv_b, 3 * H, w->qkv))) return st;
        int64_t off = 0;
        for (int s = 0; s < nseq; off += len[s], s++) {
            int n = len[s];
            const float *base = w->qkv + off * 3 * H;
            for (int h = 0; h < nh; h++) {
                if ((st = gemm(w, 0, 1, n, n, dh, scale, base + h * dh, 3 * H, base + H + h * dh, 3 * H, 0.0f, w->scores, n)))
                    return st;
                float *inv = w->scores + (size_t)n * n;
                softmax_rows(w->scores, n, n, inv);
                if ((st = gemm(w, 0, 0, n, dh, n, 1.0f, w->scores, n, base + 2 * H + h * dh, 3 * H, 0.0f,
                               w->ctx + off * H + h * dh, H)))
                    return st;
                scale_rows(w->ctx + off * H + h * dh, n, dh, H, inv);
            }
        }
        /* the OpenBLAS path's biases of the next three dense layers are added by the passes after
         * them (LayerNorm, GELU) rather than copied into every output row before the sgemm; on
         * AMX they start the accumulators, and GELU is applied as FFN2 splits its input */
        if ((st = linear(w, w->ctx, T, H, L->ao_w, aw ? &aw[1] : NULL, 0, NULL, H, w->tmp))) return st;
        add_layernorm(w->x, w->tmp, aw ? NULL : L->ao_b, w->x, T, H, L->ln1_g, L->ln1_b, c->layer_norm_eps);
        if ((st = linear(w, w->x, T, H, L->in_w, aw ? &aw[2] : NULL, 0, NULL, I, w->inter))) return st;
        if (!aw) gelu_bias(w->inter, T, I, L->in_b);
        if ((st = linear(w, w->inter, T, I, L->out_w, aw ? &aw[3] : NULL, 1, NULL, H, w->tmp))) return st;
        add_layernorm(w->x, w->tmp, aw ? NULL : L->out_b, w->x, T, H, L->ln2_g, L->ln2_b, c->layer_norm_eps);
    }
    return TIDE_OK;
}

/* Pool (mean over all real tokens, or the [CLS] row) and normalise one sequence. */
static void pool(const tide_lm_config *c, const float *x, int n, float *out) {
    int H = c->hidden;
    if (c->pooling == TIDE_POOL_CLS) {
        memcpy(out, x, (size_t)H * sizeof(float));
    } else {
        for (int i = 0; i < H; i++) {
            double acc = 0;
            for (int t = 0; t < n; t++) acc += x[(size_t)t * H + i];
            out[i] = (float)(acc / (n > 0 ? n : 1));
        }
    }
    if (c->normalize) {
        double ss = 0;
        for (int i = 0; i < H; i++) ss += (double)out[i] * out[i];
        double nrm = sqrt(ss);
        float inv = (float)(1.0 / (nrm > 1e-12 ? nrm : 1e-12));
        for (int i = 0; i < H; i++) out[i] *= inv;
    }
}

tide_status tide_lm_hidden(tide_lm *lm, const int32_t *ids, int n_ids, float *hidden) {
    if (n_ids < 1 || n_ids > lm->cfg.max_position)
        return tide_error(TIDE_ERR_USAGE, "sequence of %d ids (the model takes 1..%d)", n_ids, lm->cfg.max_position);
    worker w;
    memset(&w, 0, sizeof w);
    tide_status s = tide_backend_open(TIDE_DEVICE_CPU, &w.be);
    if (!s) s = forward(lm, &w, ids, &n_ids, 1);
    if (!s) memcpy(hidden, w.x, (size_t)n_ids * (size_t)lm->cfg.hidden * sizeof(float));
    worker_free(&w);
    return s;
}

/* ---- the batching driver ------------------------------------------------------------------- */

typedef struct {
    const tide_lm *lm;
    const int32_t *ids;   /* [m, maxlen] token ids of the window */
    const int *len;       /* [m] */
    const int64_t *order; /* window positions sorted by length, longest first */
    int maxlen, batch;
    int64_t m;
    float *out;           /* rows of the window's first text */
} window_job;

static tide_status run_batch(const window_job *j, worker *w, int64_t b, int32_t *packed, int *lens) {
    int64_t lo = b * j->batch, hi = lo + j->batch < j->m ? lo + j->batch : j->m;
    int nseq = (int)(hi - lo);
    int64_t T = 0;
    for (int s = 0; s < nseq; s++) {
        int64_t k = j->order[lo + s];
        lens[s] = j->len[k];
        memcpy(packed + T, j->ids + k * j->maxlen, (size_t)lens[s] * sizeof(int32_t));
        T += lens[s];
    }
    tide_status st = forward(j->lm, w, packed, lens, nseq);
    if (st) return st;
    const tide_lm_config *c = &j->lm->cfg;
    int64_t off = 0;
    for (int s = 0; s < nseq; s++) {
        int64_t k = j->order[lo + s];
        pool(c, w->x + off * c->hidden, lens[s], j->out + k * c->dim);
        off += lens[s];
    }
    return TIDE_OK;
}

static int by_len_desc(const void *a, const void *b, void *arg) {
    const int *len = arg;
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    if (len[x] != len[y]) return len[x] > len[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

tide_status tide_lm_embed(tide_lm *lm, const char *const *texts, const size_t *lens, int64_t n,
                          const tide_lm_params *p, float *out, tide_lm_stats *stats) {
    double t0 = tide_now();
    const char *why = tide_lm_params_check(p);
    if (why) return tide_error(TIDE_ERR_USAGE, "tide_lm_embed: %s", why);
    if (p->device != TIDE_DEVICE_CPU)
        return tide_error(TIDE_ERR_BACKEND, "the language-model encoder runs on the CPU backend only in this build (--device cpu)");
    const tide_lm_config *c = &lm->cfg;
    const int maxlen = c->max_seq_length;
    int nthreads = tide_threads_get();
    if (nthreads < 1) nthreads = 1;
    int64_t win = (int64_t)p->batch_size * p->window_batches; /* independent of threads: same batches, same bits */
    if (win > n) win = n;
    tide_lm_stats acc;
    memset(&acc, 0, sizeof acc);
    tide_status st = TIDE_OK;
    int32_t *ids = NULL, *packed = NULL;
    int *len = NULL, *lens_scratch = NULL;
    int64_t *order = NULL;
    worker *workers = tide_calloc((size_t)nthreads, sizeof *workers);
    if (!workers) return TIDE_ERR_NOMEM;
    if (win > 0) {
        ids = tide_malloc((size_t)win * (size_t)maxlen * sizeof *ids);
        len = tide_malloc((size_t)win * sizeof *len);
        order = tide_malloc((size_t)win * sizeof *order);
        packed = tide_malloc((size_t)nthreads * (size_t)p->batch_size * (size_t)maxlen * sizeof *packed);
        lens_scratch = tide_malloc((size_t)nthreads * (size_t)p->batch_size * sizeof *lens_scratch);
        if (!ids || !len || !order || !packed || !lens_scratch) {
            st = TIDE_ERR_NOMEM;
            goto done;
        }
    }
    for (int i = 0; i < nthreads; i++)
        if ((st = tide_backend_open(p->device, &workers[i].be))) goto done;
    tide_progress prog;
    tide_progress_begin(&prog, "embedding", (uint64_t)n);
    char errmsg[512] = "";
    for (int64_t w0 = 0; w0 < n && !st; w0 += win) {
        int64_t m = n - w0 < win ? n - w0 : win;
        int64_t trunc = 0, bad_texts = 0, bad_bytes = 0, empty = 0, tokens = 0;
        tide_status tst = TIDE_OK;
#pragma omp parallel for schedule(dynamic, 64) reduction(+ : trunc, bad_texts, bad_bytes, empty, tokens)
        for (int64_t i = 0; i < m; i++) {
            const char *s = texts[w0 + i] ? texts[w0 + i] : "";
            size_t sl = lens && texts[w0 + i] ? lens[w0 + i] : strlen(s);
            tide_tokenize_info info = {0, 0, 0};
            int nid = 0;
            if (tide_tokenizer_encode(lm->tok, s, sl, ids + i * maxlen, &nid, &info)) {
#pragma omp critical(tide_lm_err)
                if (!tst) {
                    tst = TIDE_ERR_NOMEM;
                    snprintf(errmsg, sizeof errmsg, "%s", tide_error_message());
                }
                nid = 2;
            }
            len[i] = nid;
            order[i] = i;
            trunc += info.truncated;
            bad_texts += info.n_invalid_utf8 > 0;
            bad_bytes += info.n_invalid_utf8;
            empty += nid == 2;
            tokens += nid;
        }
        if (tst) {
            st = tide_error(tst, "%s", errmsg);
            break;
        }
        acc.truncated += trunc;
        acc.invalid_utf8_texts += bad_texts;
        acc.invalid_utf8_bytes += bad_bytes;
        acc.empty += empty;
        acc.tokens += tokens;
        qsort_r(order, (size_t)m, sizeof *order, by_len_desc, len);
        window_job job = {lm, ids, len, order, maxlen, p->batch_size, m, out + w0 * c->dim};
        int64_t nb = (m + p->batch_size - 1) / p->batch_size;
        tide_status bst = TIDE_OK;
#pragma omp parallel num_threads(nthreads)
        {
            int tid = 0;
#ifdef _OPENMP
            tid = omp_get_thread_num();
#endif
            worker *w = &workers[tid];
            int32_t *pk = packed + (size_t)tid * (size_t)p->batch_size * (size_t)maxlen;
            int *ls = lens_scratch + (size_t)tid * (size_t)p->batch_size;
#pragma omp for schedule(dynamic, 1)
            for (int64_t b = 0; b < nb; b++) {
                if (bst) continue;
                tide_status r = run_batch(&job, w, b, pk, ls);
                if (r) {
#pragma omp critical(tide_lm_err)
                    if (!bst) {
                        bst = r;
                        snprintf(errmsg, sizeof errmsg, "%s", tide_error_message());
                    }
                }
            }
        }
        if (bst) st = tide_error(bst, "%s", errmsg);
        tide_progress_update(&prog, (uint64_t)(w0 + m));
    }
    tide_progress_end(&prog);
done:
    for (int i = 0; i < nthreads; i++) {
        acc.flops += workers[i].flops;
        worker_free(&workers[i]);
    }
    free(workers);
    free(ids);
    free(len);
    free(order);
    free(packed);
    free(lens_scratch);
    acc.texts = n;
    acc.matmul = lm->amx ? "amx-bf16x6" : "openblas";
    acc.seconds = tide_now() - t0;
    if (stats) *stats = acc;
    return st;
}
