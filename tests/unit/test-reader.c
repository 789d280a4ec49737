/* test-reader.c — the input layer: byte streams (plain, gzip, concatenated gzip), the RFC 4180
 * CSV/TSV reader (quoting, embedded newlines, CRLF, BOM, blank lines, limits, bad UTF-8, records
 * split across buffer refills), the JSON-lines reader, and the table interface (format
 * detection, header, columns by name, JSON values as text). */
#include "harness.h"
#include "tide/fileio.h"
#include "tide/reader.h"

#include <zlib.h>

/* Read every record of a CSV held in memory into a printable transcript:
 * "L<line>:<f1>|<f2>|...\n" per good record, "L<line>!<error>\n" per bad one. */
static char *csv_transcript(const char *data, size_t n, char delim, size_t max_field, size_t bufsz) {
    tide_instream *in;
    tide_csv *r;
    tide_csv_params p;
    tide_csv_params_default(&p);
    p.delimiter = delim;
    if (max_field) p.max_field_bytes = max_field;
    if (bufsz) p.buffer_bytes = bufsz;
    if (tide_instream_open_mem(&in, data, n, "mem") || tide_csv_open(&r, in, &p)) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    out[0] = 0;
    for (;;) {
        tide_record rec;
        int eof;
        if (tide_csv_next(r, &rec, &eof)) {
            free(out);
            tide_csv_close(r);
            return NULL;
        }
        if (eof) break;
        size_t need = 64 + (rec.error ? strlen(rec.error) : 0);
        for (int i = 0; !rec.error && i < rec.n_fields; i++) need += rec.fields[i].len + 1;
        while (len + need >= cap) out = realloc(out, cap *= 2);
        if (rec.error) {
            len += (size_t)sprintf(out + len, "L%lld!%s\n", (long long)rec.line, rec.error);
            continue;
        }
        len += (size_t)sprintf(out + len, "L%lld:", (long long)rec.line);
        for (int i = 0; i < rec.n_fields; i++) {
            CHECK(rec.fields[i].ptr[rec.fields[i].len] == 0);
            memcpy(out + len, rec.fields[i].ptr, rec.fields[i].len);
            len += rec.fields[i].len;
            out[len++] = i + 1 < rec.n_fields ? '|' : '\n';
        }
        out[len] = 0;
    }
    tide_csv_close(r);
    return out;
}

static void expect_csv(const char *data, const char *want) {
    char *got = csv_transcript(data, strlen(data), ',', 0, 0);
    CHECK_STR(got, want);
    /* The same with tiny buffers: every record straddles refills somewhere. */
    for (size_t b = 1; b <= 9; b += 2) {
        char *g2 = csv_transcript(data, strlen(data), ',', 0, b);
        CHECK_STR(g2, want);
        free(g2);
    }
    free(got);
}

static void test_csv_basic(void) {
    expect_csv("a,b,c\n1,2,3\n", "L1:a|b|c\nL2:1|2|3\n");
    expect_csv("a,b\n1,2", "L1:a|b\nL2:1|2\n");                  /* no final newline */
    expect_csv("a,,\n,,\n", "L1:a||\nL2:||\n");                  /* empty fields */
    expect_csv("x\n\n\n y \n\r\nz\n", "L1:x\nL4: y \nL6:z\n");   /* blank lines skipped, counted */
    expect_csv("", "");
    expect_csv("\n\n", "");
}

static void test_csv_quoting(void) {
    expect_csv("\"a,b\",\"say \"\"hi\"\"\",\"\"\n", "L1:a,b|say \"hi\"|\n");
    /* Embedded newlines: the next record's line number counts them. */
    expect_csv("id,text\n1,\"two\nlines\"\n2,\"x\r\ny\"\n3,z\n", "L1:id|text\nL2:1|two\nlines\nL4:2|x\r\ny\nL6:3|z\n");
    /* A quote inside an unquoted field is an ordinary character. */
    expect_csv("a b\"c,d\n", "L1:a b\"c|d\n");
    /* Text after a closing quote is a bad record; reading goes on. */
    expect_csv("\"ab\"x,1\nok,2\n", "L1!unexpected text after a closing quote\nL2:ok|2\n");
    /* Unterminated quote at the end of input. */
    expect_csv("a\n\"open,1\nmore\n", "L1:a\nL2!unterminated quoted field (the input ends inside quotes)\n");
    expect_csv("\"\"\"\"\n", "L1:\"\n");
}

static void test_csv_crlf_bom(void) {
    expect_csv("\xef\xbb\xbfid,name\r\n1,\"x\"\r\n2,y\r\n", "L1:id|name\nL2:1|x\nL3:2|y\n");
    expect_csv("a,b\r\n1,2\r\n\r\n3,4", "L1:a|b\nL2:1|2\nL4:3|4\n");
    /* A lone CR inside a field is data. */
    expect_csv("a\rb,c\n", "L1:a\rb|c\n");
    /* TSV */
    char *t = csv_transcript("a\tb\n1,5\t\"q\tq\"\n", 14, '\t', 0, 0);
    CHECK_STR(t, "L1:a|b\nL2:1,5|q\tq\n");
    free(t);
}

static void test_csv_limits_utf8(void) {
    char *t = csv_transcript("ab,abcdef\nabc,de\n", 17, ',', 4, 0);
    CHECK_STR(t, "L1!field 2 is 6 bytes long, over the limit of 4\nL2:abc|de\n");
    free(t);
    expect_csv("a,\xc3\xa9t\xc3\xa9\nb,\xff\nc,\xe2\x82\n\"d\",\"\xed\xa0\x80\"\ne,ok\n",
               "L1:a|\xc3\xa9t\xc3\xa9\nL2!invalid UTF-8 in field 2\nL3!invalid UTF-8 in field 2\n"
               "L4!invalid UTF-8 in field 2\nL5:e|ok\n");
    const char nul[] = "a,b\nx,y\0z\nq,r\n";
    t = csv_transcript(nul, sizeof nul - 1, ',', 0, 0);
    CHECK_STR(t, "L1:a|b\nL2!NUL byte in field 2\nL3:q|r\n");
    free(t);
    /* An over-long record (an unclosed quote swallowing the input) is skipped with bounded memory. */
    tide_instream *in;
    tide_csv *r;
    tide_csv_params p;
    tide_csv_params_default(&p);
    p.max_field_bytes = 8;
    p.max_record_bytes = 64;
    p.buffer_bytes = 16;
    const char *data = "h\n\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\nok\n";
    CHECK_OK(tide_instream_open_mem(&in, data, strlen(data), "m"));
    CHECK_OK(tide_csv_open(&r, in, &p));
    tide_record rec;
    int eof;
    CHECK_OK(tide_csv_next(r, &rec, &eof));
    CHECK(!rec.error && rec.line == 1);
    CHECK_OK(tide_csv_next(r, &rec, &eof));
    CHECK(rec.error && strstr(rec.error, "longer than 64 bytes"));
    CHECK_EQ(rec.line, 2);
    CHECK_OK(tide_csv_next(r, &rec, &eof));
    CHECK(!eof && !rec.error);
    CHECK_EQ(rec.line, 4);
    CHECK(rec.n_fields == 1 && strcmp(rec.fields[0].ptr, "ok") == 0);
    CHECK_OK(tide_csv_next(r, &rec, &eof));
    CHECK(eof);
    tide_csv_close(r);
    CHECK_EQ(tide_utf8_check("\xf4\x90\x80\x80", 4), 0);        /* above U+10FFFF */
    CHECK_EQ(tide_utf8_check("\xc0\xaf", 2), 0);                /* overlong */
    CHECK_EQ(tide_utf8_check("abcdefgh\xf0\x9f\x98\x80xyz", 15), 15);
    CHECK_EQ(tide_utf8_check("abcdefghijk\xe2", 12), 11);
}

/* Random records written with proper quoting must read back identically at any buffer size. */
/* Random records (fields of the given pieces, quoted when needed or at random) written and read
 * back with every buffer size; with an all-ASCII alphabet most records take the reader's 64-byte
 * fast path, with UTF-8 pieces the general one. */
static void roundtrip_random(const char **alpha, int n_alpha, unsigned seed, int vary_fields) {
    size_t cap = 1 << 18, len = 0, wcap = 1 << 18, wlen = 0;
    char *csv = malloc(cap), *want = malloc(wcap);
    int line = 1;
    for (int rec = 0; rec < 400; rec++) {
        int nf = 3;
        if (vary_fields) {
            seed = seed * 1103515245 + 12345;
            nf = 1 + (int)((seed >> 16) % 6);
        }
        int start_line = line;
        wlen += (size_t)sprintf(want + wlen, "L%d:", start_line);
        for (int f = 0; f < nf; f++) {
            char field[256];
            size_t fl = 0;
            seed = seed * 1103515245 + 12345;
            int n = (int)((seed >> 16) % 12);
            for (int k = 0; k < n; k++) {
                seed = seed * 1103515245 + 12345;
                const char *a = alpha[(seed >> 16) % (unsigned)n_alpha];
                memcpy(field + fl, a, strlen(a));
                fl += strlen(a);
            }
            field[fl] = 0;
            /* first field never empty so no record is a blank line */
            if (f == 0 && fl == 0) { strcpy(field, "k"); fl = 1; }
            int quote = strpbrk(field, ",\"\r\n") != NULL || (seed & 0x100);
            if (quote) {
                csv[len++] = '"';
                for (size_t k = 0; k < fl; k++) {
                    if (field[k] == '"') csv[len++] = '"';
                    if (field[k] == '\n') line++;
                    csv[len++] = field[k];
                }
                csv[len++] = '"';
            } else {
                memcpy(csv + len, field, fl);
                len += fl;
            }
            memcpy(want + wlen, field, fl);
            wlen += fl;
            want[wlen++] = f + 1 < nf ? '|' : '\n';
            if (f + 1 < nf) csv[len++] = ',';
        }
        if (rec % 3 == 0) csv[len++] = '\r';
        csv[len++] = '\n';
        line++;
    }
    want[wlen] = 0;
    size_t sizes[] = {0, 1, 2, 3, 5, 8, 13, 64, 100, 4096};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *got = csv_transcript(csv, len, ',', 0, sizes[i]);
        CHECK(got && strcmp(got, want) == 0);
        if (got && strcmp(got, want) != 0) fprintf(stderr, "buffer %zu differs\n", sizes[i]);
        free(got);
    }
    free(csv);
    free(want);
}

static void test_csv_roundtrip_random(void) {
    const char *alpha[] = {"a", "b", ",", "\"", "\n", "\r\n", " ", "\xc3\xa9", "\xe6\x9d\xb1", "x"};
    roundtrip_random(alpha, 10, 12345, 0);
    /* ASCII only, short fields, mostly unquoted: the fast path, CR before LF and empty fields */
    const char *ascii[] = {"a", "bc", "7", "\r", "x", "yz", "", "q", ",", "\""};
    roundtrip_random(ascii, 8, 777, 1);
    roundtrip_random(ascii, 10, 4242, 1);
}

static void write_gz(const char *path, const char *text, const char *mode) {
    gzFile g = gzopen(path, mode);
    gzwrite(g, text, (unsigned)strlen(text));
    gzclose(g);
}

static char *read_all(const char *path, tide_status *st_out) {
    tide_instream *s;
    tide_status st = tide_instream_open(&s, path);
    *st_out = st;
    if (st) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    for (;;) {
        size_t got;
        if ((st = tide_instream_read(s, out + len, cap - len - 1, &got))) break;
        if (!got) break;
        len += got;
        if (len + 1 == cap) out = realloc(out, cap *= 2);
    }
    out[len] = 0;
    *st_out = st;
    tide_instream_close(s);
    return out;
}

static void test_gzip(void) {
    const char *dir = harness_tmpdir("reader");
    char *p1 = tide_path_join(dir, "a.csv.gz"), *p2 = tide_path_join(dir, "noext");
    write_gz(p1, "u,i\n1,2\n", "wb");
    write_gz(p1, "3,4\n", "ab"); /* a second gzip member */
    tide_status st;
    char *s = read_all(p1, &st);
    CHECK_OK(st);
    CHECK_STR(s, "u,i\n1,2\n3,4\n");
    free(s);
    /* detected from content, not the name */
    write_gz(p2, "{\"a\": 1}\n", "wb");
    tide_table *t;
    CHECK_OK(tide_table_open(&t, p2, NULL));
    CHECK_EQ(tide_table_get_format(t), TIDE_TABLE_JSONL);
    CHECK(tide_instream_is_gzip(tide_table_stream(t)));
    tide_table_close(t);
    /* raw size and CRC are the file's */
    uint32_t crc;
    uint64_t size;
    CHECK_OK(tide_file_crc32(p1, &crc, &size));
    tide_instream *in;
    CHECK_OK(tide_instream_open(&in, p1));
    char buf[64];
    size_t got;
    do CHECK_OK(tide_instream_read(in, buf, sizeof buf, &got)); while (got);
    CHECK_EQ(tide_instream_raw_bytes(in), size);
    CHECK_EQ(tide_instream_raw_crc32(in), crc);
    tide_instream_close(in);
    /* truncated and corrupt gzip are data errors */
    char *whole;
    size_t n;
    CHECK_OK(tide_read_file(p1, &whole, &n));
    CHECK_OK(tide_write_file_atomic(p2, whole, n - 6));
    s = read_all(p2, &st);
    CHECK_STATUS(st, TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "gzip");
    free(s);
    whole[12] ^= 0x55;
    whole[13] ^= 0x55;
    CHECK_OK(tide_write_file_atomic(p2, whole, n));
    s = read_all(p2, &st);
    CHECK_STATUS(st, TIDE_ERR_DATA);
    free(s);
    free(whole);
    s = read_all("/nonexistent/x.csv", &st);
    CHECK_STATUS(st, TIDE_ERR_IO);
    CHECK_CONTAINS(tide_error_message(), "/nonexistent/x.csv");
    free(p1);
    free(p2);
}

/* The read-ahead thread (used when the library runs with several threads) delivers the same
 * bytes, size and CRC as direct reading, and errors after the data that preceded them. */
static void test_readahead(void) {
    const char *dir = harness_tmpdir("reader");
    char *plain = tide_path_join(dir, "big.csv"), *gz = tide_path_join(dir, "big.csv.gz"), *cut = tide_path_join(dir, "cut.gz");
    size_t n = 5u << 20;
    char *text = malloc(n + 1);
    unsigned seed = 1;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245 + 12345;
        text[i] = (i % 37 == 36) ? '\n' : (char)('a' + (seed >> 16) % 26);
    }
    text[n] = 0;
    CHECK_OK(tide_write_file_atomic(plain, text, n));
    write_gz(gz, text, "wb");
    char *whole;
    size_t gzn;
    CHECK_OK(tide_read_file(gz, &whole, &gzn));
    CHECK_OK(tide_write_file_atomic(cut, whole, gzn / 2));
    free(whole);
    int before = tide_threads_get();
    for (int threads = 1; threads <= 2; threads++) {
        tide_threads_set(threads);
        const char *paths[] = {plain, gz};
        for (int k = 0; k < 2; k++) {
            tide_status st;
            char *got = read_all(paths[k], &st);
            CHECK_OK(st);
            CHECK(got && strlen(got) == n && memcmp(got, text, n) == 0);
            free(got);
            uint32_t crc;
            uint64_t size;
            CHECK_OK(tide_file_crc32(paths[k], &crc, &size));
            tide_instream *in;
            CHECK_OK(tide_instream_open(&in, paths[k]));
            char buf[7919];
            size_t g;
            do CHECK_OK(tide_instream_read(in, buf, sizeof buf, &g)); while (g);
            CHECK_EQ(tide_instream_raw_bytes(in), size);
            CHECK_EQ(tide_instream_raw_crc32(in), crc);
            tide_instream_close(in);
            /* closing before the end stops the producer cleanly */
            CHECK_OK(tide_instream_open(&in, paths[k]));
            CHECK_OK(tide_instream_read(in, buf, sizeof buf, &g));
            tide_instream_close(in);
        }
        tide_status st;
        char *got = read_all(cut, &st);
        CHECK_STATUS(st, TIDE_ERR_DATA);
        CHECK_CONTAINS(tide_error_message(), "cut.gz: truncated gzip data");
        CHECK(got && strlen(got) > n / 4 && memcmp(got, text, strlen(got)) == 0);
        free(got);
    }
    tide_threads_set(before);
    free(text);
    free(plain);
    free(gz);
    free(cut);
}

static tide_table *open_mem_table(const char *data, const char *name, tide_table_format f) {
    tide_instream *in;
    tide_table *t = NULL;
    tide_table_params p;
    tide_table_params_default(&p);
    p.format = f;
    if (tide_instream_open_mem(&in, data, strlen(data), name)) return NULL;
    if (tide_table_open_stream(&t, in, &p)) return NULL;
    return t;
}

static void test_table(void) {
    /* detection from the first line */
    tide_table *t = open_mem_table("\n\xef\xbb\xbfu\ti\tt\n1\t2\t3\n", "-", TIDE_TABLE_AUTO);
    CHECK(t != NULL);
    if (!t) return;
    CHECK_EQ(tide_table_get_format(t), TIDE_TABLE_TSV);
    CHECK_EQ(tide_table_header_count(t), 3);
    CHECK_EQ(tide_table_column(t, "t"), 2);
    CHECK_EQ(tide_table_column(t, "nope"), -1);
    int eof;
    const char *s;
    size_t n;
    CHECK_OK(tide_table_next(t, &eof));
    CHECK(!eof && !tide_table_row_error(t));
    CHECK_EQ(tide_table_get(t, 2, &s, &n), 1);
    CHECK_STR(s, "3");
    CHECK_EQ(tide_table_line(t), 3);
    CHECK_OK(tide_table_next(t, &eof));
    CHECK(eof);
    tide_table_close(t);

    t = open_mem_table("a,b\n1,2\n3\n4,5,6\n7,8\n", "x.csv", TIDE_TABLE_AUTO);
    CHECK_EQ(tide_table_get_format(t), TIDE_TABLE_CSV);
    CHECK_OK(tide_table_next(t, &eof));
    CHECK(!tide_table_row_error(t));
    CHECK_OK(tide_table_next(t, &eof));
    CHECK_STR(tide_table_row_error(t), "1 field, the header has 2");
    CHECK_EQ(tide_table_line(t), 3);
    CHECK_OK(tide_table_next(t, &eof));
    CHECK_STR(tide_table_row_error(t), "3 fields, the header has 2");
    CHECK_OK(tide_table_next(t, &eof));
    CHECK(!tide_table_row_error(t));
    tide_table_close(t);

    /* header required */
    tide_instream *in;
    tide_table *t2;
    CHECK_OK(tide_instream_open_mem(&in, "\n\n", 2, "empty.csv"));
    CHECK_STATUS(tide_table_open_stream(&t2, in, NULL), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "empty.csv: empty input");

    /* JSON lines: values by key, numbers as text, bad lines reported and skipped */
    t = open_mem_table("{\"u\": \"A1\", \"t\": 1472688000, \"r\": 4.5, \"b\": true, \"o\": {}}\n\n"
                       "{\"u\": 17, \"t\": null}\r\n"
                       "[1,2]\n{bad json\n{\"u\": \"x\"} trailing\n{\"u\": \"\xff\"}\n{\"u\":\"end\"}",
                       "stdin", TIDE_TABLE_AUTO);
    CHECK(t != NULL);
    if (!t) return;
    CHECK_EQ(tide_table_get_format(t), TIDE_TABLE_JSONL);
    int cu = tide_table_column(t, "u"), ct = tide_table_column(t, "t"), cr = tide_table_column(t, "r");
    int cb = tide_table_column(t, "b"), co = tide_table_column(t, "o");
    CHECK_EQ(tide_table_column(t, "u"), cu);
    CHECK_OK(tide_table_next(t, &eof));
    CHECK(!tide_table_row_error(t));
    CHECK_EQ(tide_table_get(t, cu, &s, &n), 1);
    CHECK_STR(s, "A1");
    CHECK_EQ(tide_table_get(t, ct, &s, &n), 1);
    CHECK_STR(s, "1472688000");
    CHECK_EQ(tide_table_get(t, cr, &s, &n), 1);
    CHECK_STR(s, "4.5");
    CHECK_EQ(tide_table_get(t, cb, &s, &n), 1);
    CHECK_STR(s, "true");
    CHECK_EQ(tide_table_get(t, co, &s, &n), -1);
    CHECK_CONTAINS(s, "object");
    CHECK_OK(tide_table_next(t, &eof));
    CHECK_EQ(tide_table_line(t), 3);
    CHECK_EQ(tide_table_get(t, cu, &s, &n), 1);
    CHECK_STR(s, "17");
    CHECK_EQ(tide_table_get(t, ct, &s, &n), 0); /* null = absent */
    CHECK_EQ(tide_table_get(t, cr, &s, &n), 0);
    const char *want_err[] = {"not a JSON object", "invalid JSON", "text after the JSON value", "invalid UTF-8"};
    for (int k = 0; k < 4; k++) {
        CHECK_OK(tide_table_next(t, &eof));
        CHECK_EQ(tide_table_line(t), 4 + k);
        CHECK_CONTAINS(tide_table_row_error(t), want_err[k]);
    }
    CHECK_OK(tide_table_next(t, &eof));
    CHECK(!eof && !tide_table_row_error(t));
    CHECK_EQ(tide_table_get(t, cu, &s, &n), 1);
    CHECK_STR(s, "end");
    CHECK_OK(tide_table_next(t, &eof));
    CHECK(eof);
    tide_table_close(t);

    /* an explicit delimiter */
    tide_table_params p;
    tide_table_params_default(&p);
    p.format = TIDE_TABLE_CSV;
    p.delimiter = ';';
    CHECK_OK(tide_instream_open_mem(&in, "a;b\n1,5;2\n", 10, "semi"));
    CHECK_OK(tide_table_open_stream(&t, in, &p));
    CHECK_OK(tide_table_next(t, &eof));
    CHECK_EQ(tide_table_get(t, 0, &s, &n), 1);
    CHECK_STR(s, "1,5");
    tide_table_close(t);
    tide_table_format f;
    CHECK(tide_table_format_parse("tsv", &f) == 0 && f == TIDE_TABLE_TSV);
    CHECK(tide_table_format_parse("xml", &f) == -1);
}

int main(void) {
    RUN(test_csv_basic);
    RUN(test_csv_quoting);
    RUN(test_csv_crlf_bom);
    RUN(test_csv_limits_utf8);
    RUN(test_csv_roundtrip_random);
    RUN(test_gzip);
    RUN(test_readahead);
    RUN(test_table);
    return harness_done();
}
