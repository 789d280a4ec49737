/* test-recs-scan.c — the recommendation reader's line scanner: every implementation (AVX-512BW,
 * AVX2 where the CPU has them, portable SWAR) against a byte-by-byte reference, on random
 * windows and random TSV text cut at random places; and the whole reader on a file of several
 * megabytes (lines straddling the 64-byte windows, the mapped spans and the read(2) blocks),
 * mapped and streamed, with every scanner, including errors placed on a block boundary. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "recs/recs-scan.h"
#include "tide/eval.h"
#include "tide/fileio.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next(void) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33);
}

/* Bytes that matter to the scanner, and a few that must not. */
static char pick(void) {
    static const char set[] = "\t\t\n\n\r..0123456789-+eiuxX \x80\xff";
    uint32_t r = next() % 40;
    return r < sizeof set - 1 ? set[r] : (char)('a' + r % 26);
}

static void test_masks_agree(void) {
    char buf[64];
    int bad = 0, impls = 0;
    for (int w = TIDE_RECS_SCAN_SCALAR; w <= TIDE_RECS_SCAN_AVX512; w++) impls += tide_recs_scan_available(w);
    CHECK(impls >= 1);
    for (int it = 0; it < 20000; it++) {
        for (int i = 0; i < 64; i++) buf[i] = pick();
        tide_recs_masks ref = {0, 0, 0, 0};
        for (int i = 0; i < 64; i++) {
            unsigned char c = (unsigned char)buf[i];
            ref.tab |= (uint64_t)(c == '\t') << i;
            ref.nl |= (uint64_t)(c == '\n') << i;
            ref.digit |= (uint64_t)(c >= '0' && c <= '9') << i;
            ref.dot |= (uint64_t)(c == '.') << i;
        }
        for (int w = TIDE_RECS_SCAN_SCALAR; w <= TIDE_RECS_SCAN_AVX512; w++) {
            if (!tide_recs_scan_available(w)) continue;
            tide_recs_masks m;
            tide_recs_masks_of(w, buf, &m);
            bad += m.tab != ref.tab || m.nl != ref.nl || m.digit != ref.digit || m.dot != ref.dot;
        }
    }
    CHECK_EQ(bad, 0);
}

/* Random TSV text: mostly good lines, some broken, some long, blank and CRLF ones; with `clean`,
 * broken lines are rare, so that runs of eight good lines (the vector scanner's unit) are common. */
static size_t random_text(char *out, size_t cap, int clean) {
    size_t n = 0;
    while (n + 400 < cap) {
        size_t start = n;
        uint32_t kind = next() % 20;
        if (clean && kind < 6 && next() % 16) kind = 8 + next() % 12;
        if (kind == 0) {
            n += (size_t)sprintf(out + n, "\n");
        } else if (kind == 1) {
            int len = (int)(next() % 200);
            for (int i = 0; i < len; i++) out[n++] = pick();
            out[n++] = '\n';
        } else {
            int ul = 1 + (int)(next() % (kind == 2 ? 40 : 12)), il = 1 + (int)(next() % (kind == 3 ? 40 : 12));
            for (int i = 0; i < ul; i++) out[n++] = (char)('a' + next() % 26);
            out[n++] = '\t';
            for (int i = 0; i < il; i++) out[n++] = (char)('0' + next() % 10);
            n += (size_t)sprintf(out + n, "\t%u\t%s%u%s%u%s", kind == 4 ? 0 : 1 + next() % (kind == 5 ? 999999999u : 300),
                                 kind == 6 ? "-" : kind == 10 ? "+" : "", next() % 10, kind == 9 ? "" : ".", next() % 100000,
                                 kind == 7 || kind == 11 ? "\r\n" : "\n");
        }
        /* a good line with one byte changed: near misses, one at a time */
        if (clean && kind >= 8 && next() % 8 == 0) {
            size_t at = start + next() % (n - start);
            out[at] = pick();
        }
    }
    return n;
}

static void test_scan_agrees_with_reference(void) {
    size_t cap = 1 << 16;
    char *text = malloc(cap + TIDE_RECS_PAD);
    CHECK(text != NULL);
    if (!text) return;
    int bad = 0, fast = 0, lines = 0;
    for (int round = 0; round < 60; round++) {
        size_t n = random_text(text, cap, round % 2);
        memset(text + n, 'x', TIDE_RECS_PAD); /* no '\n' after the data: lim must stop the scan */
        size_t lim_n = n - (size_t)(next() % 100);  /* cut inside a line: it is incomplete */
        enum { NI = 4 };
        static tide_recs_lines out[NI];
        const char *p[NI];
        tide_recs_scan_state ln[NI];
        int got[NI] = {0, 0, 0, 0};
        int impl[NI] = {TIDE_RECS_SCAN_SCALAR, TIDE_RECS_SCAN_AVX2, TIDE_RECS_SCAN_AVX512, TIDE_RECS_SCAN_AVX512X8};
        for (int k = 0; k < NI; k++) p[k] = text, memset(&ln[k], 0, sizeof ln[k]);
        /* the reference's view of the line before (for `same`) */
        const char *prev_user = NULL;
        size_t prev_ulen = 0;
        for (;;) {
            int moved = 0, max = 1 + (int)(next() % 64);
            for (int k = 0; k < NI; k++) {
                if (!tide_recs_scan_available(impl[k])) continue;
                tide_recs_scan_choice = impl[k];
                const char *before = p[k];
                got[k] = tide_recs_scan(&p[k], text + lim_n, text + lim_n, &ln[k], &out[k], max, NULL);
                moved |= p[k] != before;
            }
            /* every implementation saw the same lines */
            for (int k = 1; k < NI; k++) {
                if (!tide_recs_scan_available(impl[k])) continue;
                if (got[k] != got[0] || p[k] != p[0] || ln[k].line != ln[0].line) {
                    bad++;
                    continue;
                }
                for (int i = 0; i < got[0]; i++) {
                    const tide_recs_lines *a = &out[0], *b = &out[k];
                    if (a->p[i] != b->p[i] || a->len[i] != b->len[i] || a->line[i] != b->line[i] || a->fast[i] != b->fast[i]) bad++;
                    else if (a->fast[i] && (a->t1[i] != b->t1[i] || a->ilen[i] != b->ilen[i] || a->rank[i] != b->rank[i] ||
                                            a->key[i] != b->key[i] || a->same[i] != b->same[i]))
                        bad++;
                }
            }
            /* and the reference agrees with what the scalar scanner vouched for */
            for (int i = 0; i < got[0]; i++) {
                const tide_recs_lines *o = &out[0];
                lines++;
                const char *e = memchr(o->p[i], '\n', (size_t)(text + lim_n - o->p[i]));
                size_t len = e ? (size_t)(e - o->p[i]) : 0;
                if (len && o->p[i][len - 1] == '\r') len--;
                if (!e || len != o->len[i]) {
                    bad++;
                    continue;
                }
                /* a blank line before (not listed) also breaks the run of one user */
                if (o->p[i] > text) {
                    const char *b0 = o->p[i] - 1;
                    while (b0 > text && b0[-1] != '\n') b0--;
                    size_t plen = (size_t)(o->p[i] - 1 - b0);
                    if (plen && b0[plen - 1] == '\r') plen--;
                    if (plen == 0) prev_user = NULL;
                }
                if (!o->fast[i]) {
                    prev_user = NULL;
                    continue;
                }
                fast++;
                int tabs = 0, tp[3] = {0, 0, 0};
                for (size_t j = 0; j < len; j++)
                    if (o->p[i][j] == '\t' && tabs++ < 3) tp[tabs - 1] = (int)j;
                char num[32];
                int rl = tp[2] - tp[1] - 1;
                if (rl < 1 || rl > 30) {
                    bad++;
                    continue;
                }
                memcpy(num, o->p[i] + tp[1] + 1, (size_t)rl);
                num[rl] = 0;
                uint64_t i0, i1;
                size_t il = (size_t)(tp[1] - tp[0] - 1);
                tide_recs_id_words(o->p[i] + tp[0] + 1, il < 8 ? il : 8, &i0, &i1);
                char *end;
                double sc = strtod(o->p[i] + tp[2] + 1, &end);
                (void)sc;
                int same_ref = prev_user && prev_ulen == (size_t)tp[0] && tp[0] <= 16 && memcmp(prev_user, o->p[i], prev_ulen) == 0;
                if (tabs != 3 || o->t1[i] != tp[0] || o->ilen[i] != il || atoll(num) != o->rank[i] || o->rank[i] < 1 ||
                    tide_recs_short_key(i0, il) != o->key[i] || end != o->p[i] + len || o->same[i] != same_ref)
                    bad++;
                prev_user = o->p[i];
                prev_ulen = (size_t)tp[0];
            }
            if (!moved) break;
        }
        /* the scan stopped at the line cut by lim: no '\n' from there to lim */
        if (memchr(p[0], '\n', (size_t)(text + lim_n - p[0]))) bad++;
    }
    tide_recs_scan_choice = TIDE_RECS_SCAN_AUTO;
    CHECK_EQ(bad, 0);
    CHECK(fast > lines / 2); /* the common line takes the fast path */
    if (tide_recs_scan_available(TIDE_RECS_SCAN_AVX512X8)) CHECK(tide_recs_scan_groups > 100); /* and eight at a time */
    free(text);
}

typedef struct {
    tide_status st;
    char msg[300];
    tide_eval_run run;
    int64_t n_eval;
} outcome;

static void read_file(const char *recs, const char *truth, int via_stdin, outcome *o) {
    tide_eval_truth t;
    tide_eval_params p;
    tide_eval_params_default(&p);
    memset(o, 0, sizeof *o);
    CHECK_OK(tide_eval_truth_load(truth, NULL, 0, &t));
    int saved = -1;
    if (via_stdin) {
        saved = dup(0);
        int fd = open(recs, O_RDONLY);
        CHECK(saved >= 0 && fd >= 0 && dup2(fd, 0) >= 0);
        close(fd);
    }
    o->st = tide_eval_run_read(via_stdin ? "-" : recs, TIDE_RECS_AUTO, &t, &p, &o->run);
    if (o->st != TIDE_OK) {
        const char *m = strchr(tide_error_message(), ':');
        snprintf(o->msg, sizeof o->msg, "%s", m ? m : tide_error_message());
    }
    o->n_eval = t.n_eval;
    if (via_stdin) {
        dup2(saved, 0);
        close(saved);
    }
    tide_eval_truth_free(&t);
}

static int same(const outcome *a, const outcome *b) {
    if (a->st != b->st || strcmp(a->msg, b->msg) != 0) return 0;
    if (a->st != TIDE_OK) return 1;
    size_t nv = (size_t)TIDE_EVAL_N_METRICS * (size_t)a->run.n_k * (size_t)a->n_eval;
    return a->run.lines == b->run.lines && a->run.bytes == b->run.bytes &&
           strcmp(a->run.checksum, b->run.checksum) == 0 && a->run.n_users_in_file == b->run.n_users_in_file &&
           memcmp(a->run.values, b->run.values, nv * sizeof(double)) == 0;
}

/* ~4 MB of lines of varied length (10..150 bytes) so that lines straddle every boundary. */
static void test_reader_big_file(void) {
    const char *dir = harness_tmpdir("recs-scan");
    char recs[1100], bad_recs[1100], truth[1100];
    snprintf(recs, sizeof recs, "%s/recs.tsv", dir);
    snprintf(bad_recs, sizeof bad_recs, "%s/bad.tsv", dir);
    snprintf(truth, sizeof truth, "%s/truth.tsv", dir);
    FILE *ft = fopen(truth, "w"), *fr = fopen(recs, "w");
    CHECK(ft && fr);
    if (!ft || !fr) return;
    uint64_t size = 0, line = 0, bad_line = 0;
    for (int u = 0; size < (4u << 20); u++) {
        char uid[80];
        snprintf(uid, sizeof uid, u % 5 == 0 ? "user-%d-with-a-rather-long-identifier" : "u%d", u);
        fprintf(ft, "%s\ti%d\n", uid, (u * 13) % 997);
        int nr = 1 + (int)(next() % 40);
        for (int r = 1; r <= nr; r++) {
            char iid[120];
            if (next() % 7 == 0) snprintf(iid, sizeof iid, "item-%0*d", 10 + (int)(next() % 90), (u * 31 + r * 17) % 997);
            else snprintf(iid, sizeof iid, "i%d", (u * 31 + r * 17) % 997);
            int w = fprintf(fr, "%s\t%s\t%d\t%.*f%s\n", uid, iid, r * 2, (int)(next() % 9), 1.0 / r, u % 11 == 0 ? "\r" : "");
            line++;
            if (!bad_line && size < (1u << 20) && size + (uint64_t)w >= (1u << 20)) bad_line = line; /* reaches 1 MiB */
            size += (uint64_t)w;
        }
    }
    fclose(ft);
    fclose(fr);
    /* The same file with the line across the first 1 MiB read block made a duplicate rank. */
    char *data;
    size_t n;
    CHECK_OK(tide_read_file(recs, &data, &n));
    FILE *fb = fopen(bad_recs, "w");
    uint64_t l = 1;
    for (size_t i = 0; i < n; i++) {
        if (l == bad_line && data[i] == '\t') { /* rank field: 3rd tab of the line */
            int tabs = 0;
            size_t j = i;
            while (tabs < 2) tabs += data[j++] == '\t';
            fwrite(data + i, 1, j - i, fb); /* up to the rank */
            fputs("0", fb);                  /* rank 0 */
            while (data[j] != '\t') j++;
            i = j - 1;
            l = 0; /* done */
            continue;
        }
        fputc(data[i], fb);
        if (data[i] == '\n' && l) l++;
    }
    fclose(fb);
    free(data);
    outcome ref, o, bref, bo;
    tide_recs_scan_choice = TIDE_RECS_SCAN_SCALAR;
    read_file(recs, truth, 1, &ref);
    read_file(bad_recs, truth, 1, &bref);
    CHECK_OK(ref.st);
    CHECK_EQ(ref.run.lines, line);
    char want[64];
    snprintf(want, sizeof want, ":%llu: rank '0' is not a positive integer", (unsigned long long)bad_line);
    CHECK_STR(bref.msg, want);
    for (int w = TIDE_RECS_SCAN_SCALAR; w <= TIDE_RECS_SCAN_AVX512X8; w++) {
        if (!tide_recs_scan_available(w)) continue;
        tide_recs_scan_choice = w;
        for (int via_stdin = 0; via_stdin < 2; via_stdin++) {
            read_file(recs, truth, via_stdin, &o);
            CHECK(same(&ref, &o));
            tide_eval_run_free(&o.run);
            read_file(bad_recs, truth, via_stdin, &bo);
            CHECK(same(&bref, &bo));
        }
    }
    tide_recs_scan_choice = TIDE_RECS_SCAN_AUTO;
    tide_eval_run_free(&ref.run);
}

/* The tests above skip implementations this CPU lacks; say so rather than pass for them. */
static void test_every_impl_ran(void) {
    static const char *names[] = {"scalar", "AVX2", "AVX-512BW", "AVX-512BW x8"};
    for (int w = TIDE_RECS_SCAN_SCALAR; w <= TIDE_RECS_SCAN_AVX512X8; w++)
        if (!tide_recs_scan_available(w)) SKIP("the %s scanner is not available on this CPU: not tested", names[w - TIDE_RECS_SCAN_SCALAR]);
}

int main(void) {
    RUN(test_masks_agree);
    RUN(test_scan_agrees_with_reference);
    RUN(test_reader_big_file);
    RUN(test_every_impl_ran);
    return harness_done();
}
