/* error.c: thread-local error messages, status strings, assertion failure, logging. */
#include "base.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static _Thread_local char g_err[1024];

static const char *const k_status_names[MOSA_STATUS_COUNT] = {
    [MOSA_OK] = "ok",
    [MOSA_ERR_ARG] = "invalid argument",
    [MOSA_ERR_IO] = "i/o error",
    [MOSA_ERR_FORMAT] = "malformed file",
    [MOSA_ERR_MISMATCH] = "model mismatch",
    [MOSA_ERR_NOMEM] = "out of memory",
    [MOSA_ERR_UNSUPPORTED] = "unsupported",
    [MOSA_ERR_INTERNAL] = "internal error",
};

const char *mosa_status_str(mosa_status s) {
    if ((int)s < 0 || s >= MOSA_STATUS_COUNT) return "unknown status";
    return k_status_names[s];
}

const char *mosa_last_error(void) { return g_err; }
const char *mosa_version(void) { return MOSA_VERSION_STRING; }
void mosa_clear_error(void) { g_err[0] = 0; }

mosa_status mosa_fail(mosa_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_err, sizeof g_err, fmt, ap);
    va_end(ap);
    return s;
}

mosa_status mosa_fail_context(mosa_status s, const char *fmt, ...) {
    char prefix[512], old[sizeof g_err];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, g_err, sizeof old);
    snprintf(g_err, sizeof g_err, "%s: %s", prefix, old);
    return s;
}

void mosa__assert_fail(const char *cond, const char *file, int line) {
    fprintf(stderr, "mosa: internal error: assertion `%s` failed at %s:%d (this is a bug in mosa)\n",
            cond, file, line);
    abort();
}

/* ---- logging ---- */

static log_level g_log_level = LOG_INFO;
void log_set_level(log_level l) { g_log_level = l; }

void log_msg(log_level l, const char *fmt, ...) {
    if (l < g_log_level) return;
    static const char *const tag[] = {"debug", "info", "warning", "error", ""};
    va_list ap;
    va_start(ap, fmt);
    if (l != LOG_INFO) fprintf(stderr, "%s: ", tag[l]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- time and threads ---- */

double time_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int g_threads = 0;

void mosa_set_threads(int n) {
#ifdef _OPENMP
    if (n <= 0) n = omp_get_num_procs();
    omp_set_num_threads(n);
#else
    if (n <= 0) n = 1;
#endif
    g_threads = n;
}

int mosa_get_threads(void) { return threads_get(); }

int threads_get(void) {
#ifdef _OPENMP
    return g_threads > 0 ? g_threads : omp_get_max_threads();
#else
    return 1;
#endif
}
