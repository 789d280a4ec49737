/* replay-driver.c — runs a fuzz target over every file of a corpus directory (what ctest does
 * with tests/fuzz/corpus/<parser>/), so the corpus and every crash found by libFuzzer stay
 * regression tests in ordinary builds, sanitizers included. It sets TIDE_FUZZ_EXHAUSTIVE=1: a
 * target that, while fuzzing, checks one of several equivalent readings per input for speed
 * (fuzz-recs) checks them all on replay. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    setenv("TIDE_FUZZ_EXHAUSTIVE", "1", 0);
    DIR *d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp); /* a stable order makes failures reproducible */
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], names[i]);
        FILE *f = fopen(path, "rb");
        if (!f) {
            perror(path);
            return 1;
        }
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *buf = malloc((size_t)size + 1);
        if ((long)fread(buf, 1, (size_t)size, f) != size) {
            fprintf(stderr, "%s: short read\n", path);
            return 1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t)size);
        free(buf);
        free(names[i]);
    }
    free(names);
    printf("replayed %zu inputs from %s\n", n, argv[1]);
    return n ? 0 : 1;
}
