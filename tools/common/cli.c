/* cli.c — option parsing, help text, exit codes, log and progress rendering for the programs. */
#define _GNU_SOURCE
#include "cli.h"
#include "tide/backend.h"
#include "tide/fileio.h"
#include "tide/timeparse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *g_program = "tide";
static int g_bar_shown;

static void clear_bar(void) {
    if (g_bar_shown) {
        fputs("\r\033[K", stderr);
        g_bar_shown = 0;
    }
}

static void log_cb(tide_log_level level, const char *msg, void *user) {
    (void)user;
    static const char *names[] = {"error", "warning", "info", "debug"};
    clear_bar();
    fprintf(stderr, "%s: %s%s%s\n", g_program, level <= TIDE_LOG_WARN ? names[level] : "",
            level <= TIDE_LOG_WARN ? ": " : "", msg);
}

static void fmt_eta(double s, char *buf, size_t n) {
    if (s < 0 || s > 1e7) snprintf(buf, n, "--:--");
    else if (s >= 3600) snprintf(buf, n, "%d:%02d:%02d", (int)s / 3600, ((int)s / 60) % 60, (int)s % 60);
    else snprintf(buf, n, "%02d:%02d", (int)s / 60, (int)s % 60);
}

/* A one-line bar: label, count (of total), rate and ETA. Only drawn on a terminal. */
static void progress_cb(const tide_progress *p, int finished, void *user) {
    (void)user;
    double el = tide_now() - p->start_time;
    double rate = el > 0 ? (double)p->done / el : 0;
    char eta[32];
    if (finished) {
        clear_bar();
        return;
    }
    if (p->total) {
        fmt_eta(rate > 0 ? (double)(p->total - p->done) / rate : -1, eta, sizeof eta);
        fprintf(stderr, "\r\033[K%s %3.0f%% %llu/%llu %.0f/s ETA %s", p->label ? p->label : "",
                100.0 * (double)p->done / (double)p->total, (unsigned long long)p->done,
                (unsigned long long)p->total, rate, eta);
    } else {
        fprintf(stderr, "\r\033[K%s %llu %.0f/s", p->label ? p->label : "", (unsigned long long)p->done, rate);
    }
    fflush(stderr);
    g_bar_shown = 1;
}

static void print_help(const cli_spec *spec) {
    printf("%s — %s\n\nUsage: %s %s\n\nOptions:\n", spec->program, spec->summary, spec->program, spec->usage);
    for (const cli_opt *o = spec->opts; o && o->name; o++) {
        char left[64];
        if (o->short_name) snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
        else snprintf(left, sizeof left, "    --%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
        printf("  %-30s %s\n", left, o->help);
    }
    printf("\nCommon options:\n"
           "      --threads N                Worker threads (default: $TIDE_THREADS, else all cores)\n"
           "      --seed N                   Random seed (default 42); results are deterministic\n"
           "                                 for a given seed and thread count\n"
           "  -q, --quiet                    Only errors on stderr\n"
           "  -v, --verbose                  More detail on stderr\n"
           "  -h, --help                     This help\n"
           "      --version                  Version and git revision\n");
    if (spec->details) printf("\n%s\n", spec->details);
    printf("\nExit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input data, 4 backend unavailable.\n");
}

int cli_usage_error(const cli_spec *spec, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "%s: usage error: ", spec->program);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help'.\n", spec->program);
    return 2;
}

static int parse_value(const cli_spec *spec, const cli_opt *o, const char *v) {
    char *end;
    errno = 0;
    switch (o->type) {
    case CLI_INT: {
        long x = strtol(v, &end, 10);
        if (errno || end == v || *end || x < -2147483647L || x > 2147483647L)
            return cli_usage_error(spec, "--%s expects an integer, got '%s'", o->name, v);
        *(int *)o->dest = (int)x;
        return -1;
    }
    case CLI_INT64: {
        long long x = strtoll(v, &end, 10);
        if (errno || end == v || *end) return cli_usage_error(spec, "--%s expects an integer, got '%s'", o->name, v);
        *(int64_t *)o->dest = (int64_t)x;
        return -1;
    }
    case CLI_DOUBLE: {
        double x = strtod(v, &end);
        if (errno || end == v || *end || x != x) return cli_usage_error(spec, "--%s expects a number, got '%s'", o->name, v);
        *(double *)o->dest = x;
        return -1;
    }
    case CLI_STRING:
        *(const char **)o->dest = v;
        return -1;
    case CLI_LIST: {
        cli_list *l = o->dest;
        const char **n = realloc(l->items, (size_t)(l->n + 1) * sizeof *n);
        if (!n) {
            fprintf(stderr, "%s: error: out of memory\n", spec->program);
            return 1;
        }
        l->items = n;
        l->items[l->n++] = v;
        return -1;
    }
    default:
        return -1;
    }
}

/* OpenBLAS 0.3.21 (Debian 12) does not recognise recent Xeons (e.g. family 6 model 207,
 * Sapphire/Emerald Rapids) and falls back to its Prescott (SSE3) kernels, 6-8x slower than its
 * AVX-512 ones on the same machine. The core is chosen when the library loads, so the only fix
 * from inside a program is to name the core in OPENBLAS_CORETYPE and re-execute once, before
 * anything is read. A core set by the user is kept; TIDE_BLAS_FIXUP=0 turns this off; MPI ranks
 * are left alone (see below). */
char *openblas_get_corename(void) __attribute__((weak));
static const char *blas_core_wanted(void) {
    const char *off = getenv("TIDE_BLAS_FIXUP");
    if ((off && strcmp(off, "0") == 0) || getenv("OPENBLAS_CORETYPE") || !openblas_get_corename) return NULL;
    const char *core = openblas_get_corename();
    if (!core || strcasecmp(core, "prescott") != 0) return NULL;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    return NULL;
}

/* Under a memory limit (ulimit -v / -d) OpenBLAS's worker threads, started when the library
 * loads, each allocate a 128 MiB buffer and retry forever when that fails: the program then hangs
 * at its first threaded BLAS call or at exit (joining them). tide keeps BLAS single-threaded inside
 * its own parallel regions anyway, so under a limit it runs without those workers, which only an
 * environment variable read at load time can ask for (core/memcap.c handles the rest). */
static void blas_env_fixup(char **argv) {
    /* A rank started by mpirun must not replace itself: Open MPI's launcher loses track of it
     * ("getting local rank failed"). There, pass the core with `mpirun -x OPENBLAS_CORETYPE=...`. */
    if (getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK")) return;
    const char *core = blas_core_wanted();
    int workers_off = tide_memory_capped() && !getenv("OPENBLAS_NUM_THREADS");
    if (!core && !workers_off) return;
    if (core) setenv("OPENBLAS_CORETYPE", core, 1);
    if (workers_off) setenv("OPENBLAS_NUM_THREADS", "1", 1);
    execv("/proc/self/exe", argv); /* on failure, carry on as we are */
}

/* The positional list lives as long as the process and is released at exit (programs never
 * free it), so leak checkers stay quiet. */
static char **g_positional;
static void free_positional(void) { free(g_positional); }

int cli_parse(const cli_spec *spec, int argc, char **argv, cli_common *c) {
    blas_env_fixup(argv);
    int threads = 0, seed_set = 0;
    long long seed = 42;
    memset(c, 0, sizeof *c);
    g_program = spec->program;
    tide_signals_install(spec->program);
    c->positional = calloc((size_t)argc + 1, sizeof(char *));
    if (!c->positional) {
        fprintf(stderr, "%s: error: out of memory\n", spec->program);
        return 1;
    }
    if (!g_positional) atexit(free_positional);
    free(g_positional);
    g_positional = c->positional;
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || strcmp(a, "-") == 0) {
            c->positional[c->positional_n++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        const char *name = NULL, *inline_val = NULL;
        char namebuf[128];
        char sh = 0;
        if (a[1] == '-') {
            name = a + 2;
            const char *eq = strchr(name, '=');
            if (eq) {
                size_t n = (size_t)(eq - name);
                if (n >= sizeof namebuf) return cli_usage_error(spec, "unknown option '%s'", a);
                memcpy(namebuf, name, n);
                namebuf[n] = 0;
                name = namebuf;
                inline_val = eq + 1;
            }
        } else {
            if (a[2]) return cli_usage_error(spec, "unknown option '%s' (short options take no attached value)", a);
            sh = a[1];
        }
        /* Common options first. */
        if ((name && strcmp(name, "help") == 0) || sh == 'h') {
            print_help(spec);
            return cli_finish(spec, 0);
        }
        if (name && strcmp(name, "version") == 0) {
            printf("%s %s\n", spec->program, tide_version());
            if (openblas_get_corename) printf("OpenBLAS core: %s\n", openblas_get_corename());
            char kb[256];
            tide_cpu_kernels_describe(kb, sizeof kb); /* the backend's choice, docs/environment.md */
            printf("kernels: %s\n", kb);
            return cli_finish(spec, 0);
        }
        if ((name && strcmp(name, "quiet") == 0) || sh == 'q') { c->quiet = 1; continue; }
        if ((name && strcmp(name, "verbose") == 0) || sh == 'v') { c->verbose = 1; continue; }
        if (name && (strcmp(name, "threads") == 0 || strcmp(name, "seed") == 0)) {
            const char *v = inline_val;
            if (!v) {
                if (i + 1 >= argc) return cli_usage_error(spec, "--%s needs a value", name);
                v = argv[++i];
            }
            char *end;
            errno = 0;
            long long x = strtoll(v, &end, 10);
            if (errno || end == v || *end || x < 0) return cli_usage_error(spec, "--%s expects a non-negative integer, got '%s'", name, v);
            if (name[0] == 't') {
                if (x < 1 || x > 4096) return cli_usage_error(spec, "--threads must be between 1 and 4096");
                threads = (int)x;
            } else {
                seed = x;
                seed_set = 1;
            }
            continue;
        }
        const cli_opt *o = NULL;
        for (const cli_opt *p = spec->opts; p && p->name; p++)
            if ((name && strcmp(p->name, name) == 0) || (sh && p->short_name == sh)) {
                o = p;
                break;
            }
        if (!o) return cli_usage_error(spec, "unknown option '%s'", a);
        if (o->type == CLI_FLAG) {
            if (inline_val) return cli_usage_error(spec, "--%s takes no value", o->name);
            *(int *)o->dest = 1;
            continue;
        }
        const char *v = inline_val;
        if (!v) {
            if (i + 1 >= argc) return cli_usage_error(spec, "--%s needs a value", o->name);
            v = argv[++i];
        }
        int r = parse_value(spec, o, v);
        if (r >= 0) return r;
    }
    (void)seed_set;
    if (c->positional_n < spec->min_positional)
        return cli_usage_error(spec, "missing argument (usage: %s %s)", spec->program, spec->usage);
    if (spec->max_positional >= 0 && c->positional_n > spec->max_positional)
        return cli_usage_error(spec, "unexpected argument '%s'", c->positional[spec->max_positional]);
    c->seed = (uint64_t)seed;
    c->threads = tide_threads_set(tide_threads_resolve(threads));
    tide_log_set(log_cb, NULL, c->quiet ? TIDE_LOG_ERROR : c->verbose ? TIDE_LOG_DEBUG : TIDE_LOG_INFO);
    if (c->verbose) {
        char kb[256];
        tide_cpu_kernels_describe(kb, sizeof kb);
        tide_log(TIDE_LOG_DEBUG, "kernels: %s", kb);
    }
    if (!c->quiet && isatty(STDERR_FILENO)) tide_progress_set(progress_cb, NULL);
    return -1;
}

int cli_blas_prepare(const cli_spec *spec, cli_common *c) {
    tide_status st = tide_blas_prepare();
    c->threads = tide_threads_get();
    return st ? cli_fail(spec, st) : -1;
}

int cli_fail(const cli_spec *spec, tide_status st) {
    clear_bar();
    const char *m = tide_error_message();
    size_t ml = m ? strlen(m) : 0;
    if (st == TIDE_ERR_NOMEM && (!m || !strstr(m, "memory"))) {
        /* A failed allocation whose caller added context but no reason ("dir: "). */
        while (ml && (m[ml - 1] == ' ' || m[ml - 1] == ':')) ml--;
        fprintf(stderr, "%s: error: %.*s%sout of memory\n", spec->program, (int)ml, ml ? m : "", ml ? ": " : "");
        return tide_status_exit_code(st);
    }
    fprintf(stderr, "%s: error: %s\n", spec->program, m && *m ? m : tide_status_str(st));
    return tide_status_exit_code(st);
}

int cli_finish(const cli_spec *spec, int code) {
    clear_bar();
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: error: writing standard output failed: %s\n", spec->program, strerror(errno));
        return code ? code : 1;
    }
    return code;
}

char **cli_split(const char *s, char sep, int *n) {
    int cnt = 1;
    for (const char *p = s; *p; p++) cnt += *p == sep;
    char **v = calloc((size_t)cnt + 1, sizeof *v);
    if (!v) return NULL;
    int k = 0;
    const char *start = s;
    for (const char *p = s;; p++) {
        if (*p == sep || *p == 0) {
            v[k] = strndup(start, (size_t)(p - start));
            if (!v[k]) {
                cli_free_split(v, k);
                return NULL;
            }
            k++;
            if (*p == 0) break;
            start = p + 1;
        }
    }
    *n = k;
    return v;
}

void cli_free_split(char **v, int n) {
    if (!v) return;
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

int cli_parse_duration(const char *s, double *seconds) {
    const char *why;
    return tide_duration_parse(s, seconds, &why); /* the one grammar: docs/time-arguments.md */
}
