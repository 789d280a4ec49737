/* bufsrc.h — the refillable parse buffer shared by the CSV and JSON-lines readers (internal).
 *
 * Data lives in buf[pos, len). A reader scans from a record start; when it runs out of data it
 * calls bufsrc_fill(keep = record start), which moves the unfinished record to the front of the
 * buffer, grows the buffer if the record alone fills it (up to max_cap), and reads more. Readers
 * then re-scan the record from its (moved) start, so no pointer survives a fill.
 *
 * Two invariants make the scanners simple: buf[len] is always '\n' (a sentinel that stops any
 * byte loop), and at end of input a final '\n' is appended when the data does not end with one,
 * so every record ends with '\n'. A UTF-8 byte-order mark at the start of the stream is dropped.
 * BUFSRC_PAD bytes of allocation follow the data (the final newline, the sentinel, and 64 zeroes
 * that vector loads of up to 64 bytes near the end may read).
 */
#ifndef TIDE_IO_BUFSRC_H
#define TIDE_IO_BUFSRC_H

#include "tide/reader.h"

#define BUFSRC_PAD 128

typedef struct tide_bufsrc {
    tide_instream *in;
    char *buf;
    size_t cap;        /* data capacity; the allocation has cap + BUFSRC_PAD bytes */
    size_t max_cap;
    size_t pos, len;
    int eof;           /* the stream is exhausted (and the final '\n' appended) */
    size_t clean_end;  /* buf[0, clean_end) is known to be ASCII without NUL: records inside
                          need no UTF-8 check (kept up to date by bufsrc_fill) */
    int started;       /* the BOM check has been done */
} tide_bufsrc;

typedef enum { BUFSRC_MORE, BUFSRC_EOF, BUFSRC_FULL } bufsrc_result;

tide_status bufsrc_init(tide_bufsrc *b, tide_instream *in, size_t init_cap, size_t max_cap);
void bufsrc_free(tide_bufsrc *b);
/* Keep buf[keep, len), move it to the front (so keep becomes 0 and pos -= keep) and read more.
 * BUFSRC_MORE: new bytes are there. BUFSRC_EOF: nothing more will come. BUFSRC_FULL: the kept
 * span already fills max_cap; nothing was read. */
tide_status bufsrc_fill(tide_bufsrc *b, size_t keep, bufsrc_result *res);

/* The first non-blank line (without its line end), not consumed; *line = NULL on empty input.
 * A first line longer than max_cap is returned cut. Valid until the next fill. */
tide_status bufsrc_peek_line(tide_bufsrc *b, const char **line, size_t *len);

/* Reader constructors over a buffer that may already hold peeked data. They take over `b`
 * (its stream included), also on failure. */
tide_status csv_open_bufsrc(tide_csv **r, tide_bufsrc *b, const tide_csv_params *p);
tide_status jsonl_open_bufsrc(tide_jsonl **r, tide_bufsrc *b, size_t max_line_bytes);
/* The buffer size limit a CSV reader with these parameters uses. */
size_t csv_record_limit(const tide_csv_params *p);

#endif
