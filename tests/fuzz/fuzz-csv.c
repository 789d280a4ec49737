/* fuzz-csv.c — libFuzzer target for the tabular readers: the first byte picks the format (auto,
 * CSV, TSV, JSON lines), the delimiter, a field limit and a buffer size; the rest is the input,
 * read from memory (gzip too, since detection is by content). Every row is read, every field
 * fetched, checked to be NUL-terminated and valid UTF-8, and fed to the time parser. Run by
 * ctest over tests/fuzz/corpus/csv through replay-driver.c; with -DTIDE_FUZZ=ON (clang) it is
 * also built as a real fuzzer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tide/reader.h"
#include "tide/timeparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what) {
    (void)what;
    abort();
}

static void read_csv_direct(const uint8_t *data, size_t size, uint8_t ctl) {
    tide_instream *in;
    tide_csv *r;
    tide_csv_params p;
    tide_csv_params_default(&p);
    p.delimiter = (ctl & 4) ? ';' : ',';
    p.max_field_bytes = (ctl & 8) ? 5 : 1 << 20;
    p.max_record_bytes = (ctl & 16) ? 40 : 0;
    p.buffer_bytes = (ctl & 32) ? 3 : 4096;
    if (tide_instream_open_mem(&in, data, size, "fuzz")) return;
    if (tide_csv_open(&r, in, &p)) return;
    for (int guard = 0; guard < 1000000; guard++) {
        tide_record rec;
        int eof;
        if (tide_csv_next(r, &rec, &eof) || eof) break;
        if (rec.error) continue;
        for (int i = 0; i < rec.n_fields; i++) {
            const tide_field *f = &rec.fields[i];
            if (f->ptr[f->len] != 0) fail("field not NUL-terminated");
            if (tide_utf8_check(f->ptr, f->len) != f->len) fail("invalid UTF-8 passed");
            if (f->len > p.max_field_bytes) fail("over-long field passed");
        }
    }
    tide_csv_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t ctl = data[0];
    data++;
    size--;
    read_csv_direct(data, size, ctl);

    tide_table_params tp;
    tide_table_params_default(&tp);
    tp.format = (tide_table_format)(ctl & 3);
    if (ctl & 64) tp.delimiter = '|';
    if (ctl & 8) tp.max_field_bytes = 7;
    tide_instream *in;
    tide_table *t;
    if (tide_instream_open_mem(&in, data, size, "fuzz")) return 0;
    if (tide_table_open_stream(&t, in, &tp)) return 0;
    int cols[3] = {tide_table_column(t, "a"), tide_table_column(t, "t"), tide_table_column(t, "x")};
    for (int guard = 0; guard < 1000000; guard++) {
        int eof;
        if (tide_table_next(t, &eof) || eof) break;
        if (tide_table_row_error(t)) continue;
        int nf = tide_table_header_count(t);
        for (int i = 0; i < nf + 3; i++) {
            int col = i < nf ? i : cols[i - nf];
            const char *s;
            size_t n;
            int r = tide_table_get(t, col, &s, &n);
            if (r <= 0) continue;
            if (tide_utf8_check(s, n) != n) fail("invalid UTF-8 passed");
            int64_t ts;
            const char *why;
            for (int f = 0; f < 4; f++) (void)tide_time_parse(s, n, (tide_time_format)f, &ts, &why);
        }
    }
    tide_table_close(t);
    return 0;
}
