/* cli.h — the table-driven option parser and the process conventions shared by every tide
 * program: common flags (--threads --seed --quiet --verbose --help --version), logging and a
 * progress bar on stderr, and the mapping from tide_status to the documented exit codes
 * (0 ok, 1 runtime, 2 usage, 3 bad input, 4 backend unavailable). */
#ifndef TIDE_CLI_H
#define TIDE_CLI_H

#include <stdint.h>
#include "tide/core.h"

typedef enum {
    CLI_FLAG,     /* int set to 1 */
    CLI_INT,      /* int */
    CLI_INT64,    /* int64_t */
    CLI_DOUBLE,   /* double */
    CLI_STRING,   /* const char * */
    CLI_LIST      /* cli_list: repeatable, and comma lists are NOT split (callers split if they want) */
} cli_type;

typedef struct {
    const char **items;
    int n;
} cli_list;

typedef struct {
    const char *name;     /* long name without "--" */
    char short_name;      /* 0 = none */
    cli_type type;
    void *dest;
    const char *metavar;  /* shown in --help for valued options */
    const char *help;
} cli_opt;

typedef struct {
    const char *program;      /* "tide-ingest" */
    const char *summary;      /* one line */
    const char *usage;        /* "[options] INPUT..." */
    const char *details;      /* paragraph(s) after the option list, or NULL */
    const cli_opt *opts;      /* terminated by {0} */
    int min_positional, max_positional;  /* max < 0: unlimited */
} cli_spec;

typedef struct {
    int threads;      /* resolved: --threads, else TIDE_THREADS, else all cores */
    uint64_t seed;
    int quiet, verbose;
    int positional_n;
    char **positional;  /* owned by cli.c, released at exit */
} cli_common;

/* Parse argv. Returns -1 to continue, or an exit code to return at once (0 after --help or
 * --version, 2 on a usage error, already reported). Installs the logging and progress callbacks
 * and applies the thread count. */
int cli_parse(const cli_spec *spec, int argc, char **argv, cli_common *common);

/* For programs that use BLAS, after cli_parse: under a memory limit, size the thread count to
 * the BLAS buffers that fit and allocate them (core/memcap.c). -1 to continue, else exit code. */
int cli_blas_prepare(const cli_spec *spec, cli_common *c);

/* Report a failed status as "program: error: message" and return its exit code. */
int cli_fail(const cli_spec *spec, tide_status st);
/* Report a usage error and return 2. */
int cli_usage_error(const cli_spec *spec, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Flush stdout and check for write errors (a full disk or closed pipe must not exit 0). */
int cli_finish(const cli_spec *spec, int code);

/* Split "a,b,c" into a malloc'ed array of malloc'ed strings (n set); NULL on failure. */
char **cli_split(const char *s, char sep, int *n);
void cli_free_split(char **v, int n);

/* Parse a positive duration such as 30d, 12h, 90m, 45s or plain seconds; 0 on success. */
int cli_parse_duration(const char *s, double *seconds);

#endif
