/* fuzz-serve-events.c — libFuzzer target for tide-serve's event parser (request bodies and log
 * lines): any bytes must give either a list of events that respects the documented limits, or an
 * error message — never a crash, a leak or an unbounded allocation. Each parsed event is also
 * written back as a log line and re-parsed, which must give the same event (the log round trip
 * that crash recovery relies on). Run by ctest over tests/fuzz/corpus/serve-events through
 * replay-driver.c; with -DTIDE_FUZZ=ON (clang) it is also a real fuzzer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tide/serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > (1 << 20)) return 0;
    tide_serve_events ev;
    if (tide_serve_parse_events((const char *)data, size, &ev)) {
        if (!tide_error_message()[0]) abort(); /* a refusal always says why */
        return 0;
    }
    if (ev.n < 1 || ev.n > TIDE_SERVE_MAX_BATCH) abort();
    static char line[6 * (2 * TIDE_SERVE_MAX_ID + TIDE_SERVE_MAX_TEXT + TIDE_SERVE_MAX_TYPE) + 256];
    for (int i = 0; i < ev.n; i++) {
        const tide_serve_event *e = &ev.ev[i];
        if (!e->user || strlen(e->user) > TIDE_SERVE_MAX_ID) abort();
        if (e->kind == TIDE_SERVE_EV_INTERACTION && !e->item) abort();
        if (e->kind == TIDE_SERVE_EV_TEXT && (!e->text || strlen(e->text) > TIDE_SERVE_MAX_TEXT)) abort();
        tide_serve_event c = *e;
        if (!c.has_time) c.time = 0;
        int n = tide_serve_event_line(&c, line, sizeof line);
        if (n <= 0 || line[n - 1] != '\n') abort();
        tide_serve_events back;
        if (tide_serve_parse_events(line, (size_t)n - 1, &back) || back.n != 1) abort();
        const tide_serve_event *b = &back.ev[0];
        if (b->kind != c.kind || !same(b->user, c.user) || !same(b->item, c.item) || b->time != c.time ||
            !same(b->text, c.text) || (c.kind == TIDE_SERVE_EV_INTERACTION && (b->weight != c.weight || !same(b->type, c.type))))
            abort();
        tide_serve_events_free(&back);
    }
    tide_serve_events_free(&ev);
    return 0;
}
