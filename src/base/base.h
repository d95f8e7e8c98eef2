/* base.h: the lowest layer of mosa: errors, allocation, arenas, RNG, files, timers, threads.
 *
 * Everything else in src/ may include this; this includes nothing of mosa but mosa.h.
 * It is not a general utility library: only what two or more modules need lives here. */
#ifndef MOSA_BASE_H
#define MOSA_BASE_H

#include "mosa.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Records a printf-style message as this thread's last error and returns `s`, so a failing
 * path reads `return mosa_fail(MOSA_ERR_IO, "cannot open %s: %s", path, strerror(errno));`. */
mosa_status mosa_fail(mosa_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends "context: " to the current error message (for errors passed up a level). */
mosa_status mosa_fail_context(mosa_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void mosa_clear_error(void);

/* Propagates a failing status. */
#define MOSA_TRY(expr)                      \
    do {                                    \
        mosa_status s__ = (expr);           \
        if (s__ != MOSA_OK) return s__;     \
    } while (0)

/* Broken invariants inside mosa (not bad input): print where and abort. Bad input must never
 * reach one of these; it gets a status instead. */
#define MOSA_ASSERT(cond)                                                                      \
    do {                                                                                       \
        if (!(cond)) mosa__assert_fail(#cond, __FILE__, __LINE__);                             \
    } while (0)
void mosa__assert_fail(const char *cond, const char *file, int line) __attribute__((noreturn));

/* ------------------------------------------------------------------------------------------ */
/* Heap allocation: counted, so tests can prove a training step allocates nothing.            */
/* ------------------------------------------------------------------------------------------ */

void *mosa_malloc(size_t n);              /* NULL on failure (and sets the error) */
void *mosa_calloc(size_t n, size_t size); /* overflow-checked */
void *mosa_aligned_alloc(size_t n);       /* 64-byte aligned, free with mosa_free */
void *mosa_realloc(void *p, size_t n);
void mosa_free(void *p);
char *mosa_strdup(const char *s);
/* Number of successful mosa_* allocations so far in the process (all threads). */
uint64_t mosa_alloc_count(void);

/* Overflow-checked size arithmetic: return false on overflow. */
static inline bool mosa_mul_ok(size_t a, size_t b, size_t *out) { return !__builtin_mul_overflow(a, b, out); }
static inline bool mosa_add_ok(size_t a, size_t b, size_t *out) { return !__builtin_add_overflow(a, b, out); }

/* ------------------------------------------------------------------------------------------ */
/* Arena: bump allocation for one step's activations, reset in O(1).                          */
/* ------------------------------------------------------------------------------------------ */

/* An arena hands out 64-byte-aligned blocks from chunks. When a step outgrows the current
 * chunk a new one is added; at the next reset the chunks are merged into one big enough for
 * the peak, so a loop whose steps all have the same shape stops allocating after step one. */
typedef struct arena_chunk arena_chunk;
typedef struct arena {
    arena_chunk *head;   /* current chunk (most recent) */
    size_t used_total;   /* bytes handed out since the last reset, all chunks */
    size_t peak;         /* maximum used_total ever seen */
    size_t capacity;     /* total capacity of all chunks */
    size_t limit;        /* 0 = unlimited; else allocations beyond this fail (bytes) */
} arena;

void arena_init(arena *a, size_t initial_bytes);
void *arena_alloc(arena *a, size_t bytes);        /* NULL + error when over the limit */
void *arena_calloc(arena *a, size_t bytes);
void arena_reset(arena *a);                       /* frees nothing unless it merges chunks */
void arena_free(arena *a);
/* A mark/release pair for scratch memory inside one op. */
typedef struct arena_mark { arena_chunk *chunk; size_t used; size_t used_total; } arena_mark;
arena_mark arena_get_mark(const arena *a);
void arena_release(arena *a, arena_mark m);

/* ------------------------------------------------------------------------------------------ */
/* RNG: numerically identical to torch's CPU generator (mt19937) for randn/rand.               */
/* ------------------------------------------------------------------------------------------ */

typedef struct mosa_rng {
    uint32_t state[624];
    int index;
    uint64_t seed;
    /* torch's CPUGeneratorImpl caches the second Box-Muller sample of the double path. */
    int has_next_double_normal;
    double next_double_normal;
} mosa_rng;

void rng_seed(mosa_rng *r, uint64_t seed);  /* torch.manual_seed(seed) */
uint32_t rng_u32(mosa_rng *r);
uint64_t rng_u64(mosa_rng *r);
/* torch.rand(n): uniform [0,1) floats from 24 random bits each. */
void rng_uniform(mosa_rng *r, float *out, size_t n);
/* torch.randn(n) on a contiguous float tensor (uses torch's 16-wide path for n >= 16). */
void rng_normal(mosa_rng *r, float *out, size_t n, float mean, float std);
/* torch.randint(0, high, ...)-style integer in [0, high). Not bit-compatible with torch. */
uint32_t rng_below(mosa_rng *r, uint32_t high);
/* torch.randperm-style shuffle (Fisher-Yates with rng_below). Not bit-compatible with torch. */
void rng_shuffle_u32(mosa_rng *r, uint32_t *a, size_t n);

/* ------------------------------------------------------------------------------------------ */
/* Files                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* Reads a whole file into a new buffer (mosa_free it). Refuses files larger than max_bytes. */
mosa_status file_read_all(const char *path, size_t max_bytes, uint8_t **out, size_t *out_len);

/* Atomic write: bytes go to "<path>.tmp.<pid>" in the same directory, are fsynced, renamed over
 * `path`, and the directory is fsynced. On any failure the temporary file is removed and `path`
 * is untouched. The writer form lets callers stream several pieces. */
typedef struct atomic_file {
    int fd;
    char *path;
    char *tmp_path;
    mosa_status status; /* first error seen; later writes are no-ops */
} atomic_file;
mosa_status atomic_file_open(atomic_file *f, const char *path);
mosa_status atomic_file_write(atomic_file *f, const void *data, size_t n);
mosa_status atomic_file_commit(atomic_file *f); /* fsync, rename, fsync dir; closes */
void atomic_file_abort(atomic_file *f);          /* unlink the temp file; closes */
mosa_status file_write_atomic(const char *path, const void *data, size_t n);

/* Finds a shipped model file by its path under the repository's models/ folder ("motion/t2m.safetensors",
 * "mediapipe/pose_landmark_full.tflite"). Looks, in order, in $MOSA_MODELS, in <dir of the
 * running executable>/../models and <dir>/models (build/mosa and an installed bin/mosa), and in
 * ./models. Writes the first existing path into buf; if none exists, writes the ./models path
 * and fails with MOSA_ERR_IO saying where it looked and how to get the file (./setup.sh). */
mosa_status model_path_resolve(char *buf, size_t cap, const char *relative);

/* ------------------------------------------------------------------------------------------ */
/* Time and threads                                                                            */
/* ------------------------------------------------------------------------------------------ */

double time_now(void); /* monotonic seconds */

/* Threads used by kernels. Set once at start (mosa_set_threads); read in kernels. */
int threads_get(void);

/* Runs the for statement given as the last argument as `#pragma omp parallel for <clauses>` when
 * `cond` holds and more than one thread is in use, and serially otherwise. Use this instead of a
 * `#pragma omp parallel for if (...)`: libgomp allocates a team (memalign) for every parallel
 * region of one thread, and a training step must make no heap allocation. Inside the loop write
 * _Pragma("omp simd") instead of a #pragma line (a macro argument cannot hold a directive). */
#define MOSA_PRAGMA(x) _Pragma(#x)
#define MOSA_PARALLEL_FOR(cond, clauses, ...)                                \
    do {                                                                     \
        if ((cond) && threads_get() > 1) {                                   \
            MOSA_PRAGMA(omp parallel for clauses)                            \
            __VA_ARGS__                                                      \
        } else {                                                             \
            __VA_ARGS__                                                      \
        }                                                                    \
    } while (0)

/* ------------------------------------------------------------------------------------------ */
/* Logging: to stderr, suppressed below the level set by the CLI.                             */
/* ------------------------------------------------------------------------------------------ */

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_QUIET } log_level;
void log_set_level(log_level l);
void log_msg(log_level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* MOSA_BASE_H */
