/* tide/reader.h — streaming readers for tabular input: CSV, TSV and JSON lines, plain or gzip.
 *
 * Three layers, each usable on its own:
 *  - tide_instream: bytes from a file, from standard input ("-") or from memory; gzip is detected
 *    from the content (magic bytes 1f 8b), not the name, so `zcat`-less pipes work too. The raw
 *    (still compressed) bytes are counted and CRC-32'ed as they pass, for provenance records.
 *  - tide_csv / tide_jsonl: record readers over a stream. CSV follows RFC 4180 (quoted fields
 *    with embedded delimiters, newlines and doubled quotes; CRLF or LF; a UTF-8 byte-order mark is
 *    skipped; blank lines are skipped). Fields are parsed in place in a large buffer and stay
 *    valid until the next call. JSON lines are parsed with cJSON, one object per line.
 *  - tide_table: one interface over both: open a path (format from the extension or the first
 *    line), look columns up by name, iterate rows, read a field as text.
 *
 * Errors. A problem confined to one record (wrong number of fields, invalid UTF-8, a NUL byte,
 * a field over the size limit, an unterminated quote, invalid JSON) does not stop the reader:
 * the call succeeds and the record carries an error string and its physical line number, so a
 * caller can report "file:line: reason" and go on. Failures of the stream itself (I/O, corrupt
 * gzip, out of memory) are returned as a status and end the reading.
 */
#ifndef TIDE_READER_H
#define TIDE_READER_H

#include "tide/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- byte streams ---------------------------------------------------------------------- */

typedef struct tide_instream tide_instream;

/* Open a file, or standard input for "-". Gzip is recognised from the first two bytes. */
tide_status tide_instream_open(tide_instream **s, const char *path);
/* A stream over a caller-owned buffer (kept, not copied; must outlive the stream). `name` is
 * used in messages. */
tide_status tide_instream_open_mem(tide_instream **s, const void *data, size_t size, const char *name);
/* Read up to `cap` decompressed bytes; *got == 0 means end of stream. Concatenated gzip members
 * are read as one stream. Corrupt or truncated gzip data is TIDE_ERR_DATA. */
tide_status tide_instream_read(tide_instream *s, void *buf, size_t cap, size_t *got);
void tide_instream_close(tide_instream *s);
const char *tide_instream_name(const tide_instream *s);
int tide_instream_is_gzip(const tide_instream *s);
/* Raw bytes consumed so far and their CRC-32 (zlib); at end of stream, the whole input's. */
uint64_t tide_instream_raw_bytes(const tide_instream *s);
uint32_t tide_instream_raw_crc32(const tide_instream *s);
/* Size of the underlying file if it is a regular file, else 0 (for progress totals). */
uint64_t tide_instream_file_size(const tide_instream *s);

/* ---- UTF-8 ----------------------------------------------------------------------------- */

/* Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or `len` if the whole buffer is valid. NUL bytes count
 * as invalid here because tide's text outputs are C strings. ASCII runs are checked 8 bytes at
 * a time. */
size_t tide_utf8_check(const char *s, size_t len);

/* ---- records --------------------------------------------------------------------------- */

/* One field of a record: NUL-terminated in place (len excludes the NUL). */
typedef struct tide_field {
    const char *ptr;
    size_t len;
} tide_field;

typedef struct tide_record {
    int64_t line;          /* physical line (1-based) where the record starts */
    int n_fields;
    tide_field *fields;    /* CSV only: the fields in order */
    const char *error;     /* NULL for a good record, else what is wrong (no file:line prefix) */
} tide_record;

#define TIDE_READER_DEFAULT_MAX_FIELD ((size_t)1 << 20)

typedef struct tide_csv_params {
    char delimiter;           /* ',' or '\t' or any single byte except '"', CR and LF */
    size_t max_field_bytes;   /* a longer field makes its record bad (default 1 MiB) */
    size_t max_record_bytes;  /* a longer record is skipped as bad (default 64 MiB or
                                 4 * max_field_bytes + 1 MiB, whichever is larger) */
    size_t buffer_bytes;      /* initial read buffer (default 1 MiB; tests use tiny ones to
                                 exercise records split across refills) */
} tide_csv_params;

void tide_csv_params_default(tide_csv_params *p);
/* NULL if valid, else a message. */
const char *tide_csv_params_check(const tide_csv_params *p);

typedef struct tide_csv tide_csv;
/* The reader takes ownership of `in` (closed by tide_csv_close, also on failure). */
tide_status tide_csv_open(tide_csv **r, tide_instream *in, const tide_csv_params *p);
/* Next record. *eof = 1 at the end (rec untouched). A bad record is returned with rec->error set;
 * reading can go on. Field pointers stay valid until the next call. */
tide_status tide_csv_next(tide_csv *r, tide_record *rec, int *eof);
void tide_csv_close(tide_csv *r);
tide_instream *tide_csv_stream(tide_csv *r);

typedef struct tide_jsonl tide_jsonl;
typedef struct cJSON cJSON;
/* Takes ownership of `in`. Lines longer than max_line_bytes are bad records. */
tide_status tide_jsonl_open(tide_jsonl **r, tide_instream *in, size_t max_line_bytes);
/* Next JSON object; *obj is owned by the reader and valid until the next call (NULL when the
 * record is bad). Blank lines are skipped. */
tide_status tide_jsonl_next(tide_jsonl *r, tide_record *rec, cJSON **obj, int *eof);
void tide_jsonl_close(tide_jsonl *r);
tide_instream *tide_jsonl_stream(tide_jsonl *r);
/* The text of the line the last tide_jsonl_next returned as an object (for its members' raw
 * tokens: include/tide/json.h); valid until the next call. */
void tide_jsonl_text(const tide_jsonl *r, const char **s, size_t *n);

/* ---- tables: one interface over CSV, TSV and JSON lines ---------------------------------- */

typedef enum {
    TIDE_TABLE_AUTO = 0,
    TIDE_TABLE_CSV,
    TIDE_TABLE_TSV,
    TIDE_TABLE_JSONL
} tide_table_format;

/* "auto", "csv", "tsv", "jsonl" ↔ enum. Parse returns -1 for an unknown name. */
int tide_table_format_parse(const char *s, tide_table_format *out);
const char *tide_table_format_name(tide_table_format f);

typedef struct tide_table_params {
    tide_table_format format;  /* AUTO: by extension (.csv .tsv .tab .jsonl .ndjson .json,
                                  after stripping .gz), else by the first line: '{' → JSON lines,
                                  a tab and no comma → TSV, else CSV */
    char delimiter;            /* 0 = the format's (',' or '\t'); set for e.g. ';' or '|' */
    size_t max_field_bytes;    /* default 1 MiB */
} tide_table_params;

void tide_table_params_default(tide_table_params *p);

typedef struct tide_table tide_table;

/* Open a table. CSV/TSV: the first record is the header (required; an empty input is an error).
 * The header's column names are matched exactly (a BOM is never part of a name). */
tide_status tide_table_open(tide_table **t, const char *path, const tide_table_params *p);
/* Same over an already open stream (takes ownership). */
tide_status tide_table_open_stream(tide_table **t, tide_instream *in, const tide_table_params *p);
void tide_table_close(tide_table *t);

tide_table_format tide_table_get_format(const tide_table *t);
const char *tide_table_path(const tide_table *t);
/* Column handle for a name, or -1 when a CSV/TSV header lacks it. For JSON lines every name
 * gets a handle (keys are looked up per row). */
int tide_table_column(tide_table *t, const char *name);
/* CSV/TSV header names (n = 0 for JSON lines). */
int tide_table_header_count(const tide_table *t);
const char *tide_table_header_name(const tide_table *t, int i);

/* Next row: TIDE_OK with *eof = 1 at the end. A bad row returns TIDE_OK with
 * tide_table_row_error() != NULL (CSV/TSV rows whose field count differs from the header's are
 * bad rows too). */
tide_status tide_table_next(tide_table *t, int *eof);
int64_t tide_table_line(const tide_table *t);
const char *tide_table_row_error(const tide_table *t);
/* The current row's value of a column as text: 1 and (*s, *len) if present, 0 if absent
 * (a JSON key missing or null). JSON numbers are given as written in the file (their raw token:
 * ids keep every digit), booleans as "true"/"false". A JSON object or array value, or a string
 * holding an escaped NUL (\u0000), is a row problem: -1 with the reason in *s. Valid until the
 * next row. */
int tide_table_get(tide_table *t, int col, const char **s, size_t *len);
/* CSV/TSV: the current good row's fields (as many as the header has), for callers that index
 * them directly in a hot loop; NULL for JSON lines. */
const tide_field *tide_table_row_fields(const tide_table *t);
/* The underlying stream (raw byte count and CRC-32 for provenance and progress). */
tide_instream *tide_table_stream(tide_table *t);

#ifdef __cplusplus
}
#endif
#endif
