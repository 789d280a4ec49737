/* fuzz-recs.c — libFuzzer target for tide-eval's recommendation reader: the input is a
 * recommendation file. It is read with every line scanner this CPU has (AVX-512BW, AVX2,
 * portable SWAR), each from a mapped file and from a pipe-like read(2) stream (stdin), against
 * a small TSV truth with an open and with a closed item dictionary. Every one of these reads must
 * agree exactly: status, error message ("file:line: reason"), line and byte counts, checksum and
 * every per-user value. Run by ctest over tests/fuzz/corpus/recs through replay-driver.c.
 *
 * Speed: all seven readings per dictionary (14 reads, each with its truth loaded) held fuzzing at
 * ~500 inputs/s. While fuzzing, each input is compared on ONE of the seven readings, chosen by a
 * hash of the input, against the reference (scalar scanner, mapped) for both dictionaries — over
 * a campaign every reading meets millions of inputs, and coverage feedback sees every scanner.
 * Replay (TIDE_FUZZ_EXHAUSTIVE, set by replay-driver.c) still compares all seven for every
 * corpus file. The closed dictionary's truth is loaded once (a read never changes a closed
 * dictionary); an open one grows with the items read, so it is loaded per read. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/recs/recs-scan.h"
#include "tide/eval.h"

#include "fuzz-tmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    tide_status st;
    char msg[512];
    tide_eval_run run;
    int64_t n_eval;
} outcome;

static void fail(const char *what, const outcome *a, const outcome *b) {
    fprintf(stderr, "fuzz-recs: readers disagree on %s:\n  [%d] %s\n  [%d] %s\n", what, (int)a->st, a->msg,
            (int)b->st, b->msg);
    abort();
}

static void write_all(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) abort();
}

static tide_eval_truth closed_truth; /* loaded once: a closed dictionary is never changed by a read */

/* One read of `recs` (mapped) or of the same bytes on stdin. */
static void read_once(const char *recs, const char *truth, int closed, int via_stdin, outcome *o) {
    static char *seed[] = {"i1", "i2", "i3", "i4", "i5", "x"};
    tide_eval_truth open_truth, *t = &closed_truth;
    tide_eval_params p;
    tide_eval_params_default(&p);
    memset(o, 0, sizeof *o);
    if (!closed) {
        if (tide_eval_truth_load(truth, seed, 0, &open_truth) != TIDE_OK) abort();
        t = &open_truth;
    } else if (!closed_truth.indptr && tide_eval_truth_load(truth, seed, 6, &closed_truth) != TIDE_OK) {
        abort();
    }
    int saved = -1;
    if (via_stdin) {
        saved = dup(0);
        int fd = open(recs, O_RDONLY);
        if (saved < 0 || fd < 0 || dup2(fd, 0) < 0) abort();
        close(fd);
    }
    o->st = tide_eval_run_read(via_stdin ? "-" : recs, TIDE_RECS_TSV, t, &p, &o->run);
    if (o->st != TIDE_OK) {
        const char *m = tide_error_message();
        const char *colon = strstr(m, ":");
        /* drop the file name: "-" and the temp path differ by design */
        snprintf(o->msg, sizeof o->msg, "%s", colon ? colon : m);
    }
    o->n_eval = t->n_eval;
    if (via_stdin) {
        if (dup2(saved, 0) < 0) abort();
        close(saved);
    }
    if (!closed) tide_eval_truth_free(&open_truth);
}

static void compare(const outcome *a, const outcome *b) {
    if (a->st != b->st || strcmp(a->msg, b->msg) != 0) fail("the status", a, b);
    if (a->st != TIDE_OK) return;
    const tide_eval_run *x = &a->run, *y = &b->run;
    if (x->lines != y->lines || x->bytes != y->bytes || strcmp(x->checksum, y->checksum) != 0 ||
        x->n_users_in_file != y->n_users_in_file || x->n_users_no_truth != y->n_users_no_truth ||
        x->n_eval_no_recs != y->n_eval_no_recs)
        fail("the counts", a, b);
    size_t nv = (size_t)TIDE_EVAL_N_METRICS * (size_t)x->n_k * (size_t)a->n_eval;
    if (memcmp(x->values, y->values, nv * sizeof(double)) != 0 ||
        memcmp(x->n_recs, y->n_recs, (size_t)a->n_eval * sizeof(int32_t)) != 0)
        fail("the values", a, b);
}

static char dir[256], recs[320], truth[320];

static void cleanup(void) {
    unlink(recs);
    unlink(truth);
    rmdir(dir);
    if (closed_truth.indptr) tide_eval_truth_free(&closed_truth);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int exhaustive = -1;
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/tide-fuzz-recs-XXXXXX", fuzz_tmp_base());
        if (!mkdtemp(dir)) abort();
        snprintf(recs, sizeof recs, "%s/recs.tsv", dir);
        snprintf(truth, sizeof truth, "%s/truth.tsv", dir);
        const char *t = "u1\ti1\nu1\ti2\nu2\ti3\t2\nu3\ti4\nu4\ti5\nu4\tx\n";
        write_all(truth, t, strlen(t));
        atexit(cleanup);
        const char *e = getenv("TIDE_FUZZ_EXHAUSTIVE");
        exhaustive = e && *e && strcmp(e, "0") != 0;
    }
    write_all(recs, data, size);
    /* the readings other than the reference: (scanner, stdin) pairs this CPU has */
    int which_of[8], stdin_of[8], n_var = 0;
    for (int which = TIDE_RECS_SCAN_SCALAR; which <= TIDE_RECS_SCAN_AVX512X8; which++) {
        if (!tide_recs_scan_available(which)) continue;
        for (int via_stdin = 0; via_stdin < 2; via_stdin++) {
            if (which == TIDE_RECS_SCAN_SCALAR && !via_stdin) continue; /* the reference */
            which_of[n_var] = which;
            stdin_of[n_var++] = via_stdin;
        }
    }
    int first = 0, last = n_var;
    if (!exhaustive) {
        uint32_t h = 2166136261u; /* FNV-1a: the same input always gets the same reading */
        for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 16777619u;
        first = (int)(h % (uint32_t)n_var);
        last = first + 1;
    }
    int saved_choice = tide_recs_scan_choice;
    for (int closed = 0; closed < 2; closed++) {
        outcome ref, o;
        tide_recs_scan_choice = TIDE_RECS_SCAN_SCALAR;
        read_once(recs, truth, closed, 0, &ref);
        for (int v = first; v < last; v++) {
            tide_recs_scan_choice = which_of[v];
            read_once(recs, truth, closed, stdin_of[v], &o);
            compare(&ref, &o);
            tide_eval_run_free(&o.run);
        }
        tide_eval_run_free(&ref.run);
    }
    tide_recs_scan_choice = saved_choice;
    unlink(recs);
    return 0;
}
