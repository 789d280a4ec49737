/* status.c — status names, exit codes and the per-thread error message.
 *
 * Messages live in a thread-local buffer so parallel regions can fail independently; the
 * first error recorded wins until the caller reads or clears it, except that tide_error()
 * always overwrites (the innermost failure is the most precise one, prefixes add context). */
#include "tide/core.h"

#include <stdio.h>
#include <string.h>

#define TIDE_ERRBUF 2048
static _Thread_local char errbuf[TIDE_ERRBUF];

const char *tide_status_str(tide_status s) {
    switch (s) {
    case TIDE_OK: return "ok";
    case TIDE_ERR_IO: return "io";
    case TIDE_ERR_NOMEM: return "nomem";
    case TIDE_ERR_INTERNAL: return "internal";
    case TIDE_ERR_USAGE: return "usage";
    case TIDE_ERR_DATA: return "data";
    case TIDE_ERR_BACKEND: return "backend";
    }
    return "unknown";
}

int tide_status_exit_code(tide_status s) {
    switch (s) {
    case TIDE_OK: return 0;
    case TIDE_ERR_USAGE: return 2;
    case TIDE_ERR_DATA: return 3;
    case TIDE_ERR_BACKEND: return 4;
    default: return 1;
    }
}

tide_status tide_verror(tide_status s, const char *fmt, va_list ap) {
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    return s;
}

tide_status tide_error(tide_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    tide_verror(s, fmt, ap);
    va_end(ap);
    return s;
}

void tide_error_prefix(const char *fmt, ...) {
    char pre[512], old[TIDE_ERRBUF];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, errbuf, sizeof old);
    int room = (int)(sizeof errbuf - strlen(pre) - 3);
    snprintf(errbuf, sizeof errbuf, "%s: %.*s", pre, room > 0 ? room : 0, old);
}

const char *tide_error_message(void) { return errbuf; }

void tide_error_clear(void) { errbuf[0] = 0; }
