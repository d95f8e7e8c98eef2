/* mosa.h: the public C API of mosa.
 *
 * mosa turns a text prompt into a video of a person whose motion stays structurally coherent
 * (MoSA: structure-appearance decoupling). This header is what a library user includes; the
 * internal modules (src/base, src/tensor, src/nn, ...) are not part of the stable API.
 *
 * Conventions: every function that can fail returns a mosa_status; on failure,
 * mosa_last_error() returns a sentence saying what was wrong and what to do. The library never
 * calls exit() and never prints unless asked to. */
#ifndef MOSA_H
#define MOSA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MOSA_BUILD_LIBRARY) && defined(__GNUC__)
#define MOSA_API __attribute__((visibility("default")))
#else
#define MOSA_API
#endif

#define MOSA_VERSION_STRING "0.1.0"

typedef enum mosa_status {
    MOSA_OK = 0,
    MOSA_ERR_ARG,       /* a caller-supplied argument is invalid (bad shape, absurd size, ...) */
    MOSA_ERR_IO,        /* a file could not be opened, read, written, synced or renamed */
    MOSA_ERR_FORMAT,    /* a file exists but its contents are malformed or hostile */
    MOSA_ERR_MISMATCH,  /* a valid file does not match what the model expects (names, shapes) */
    MOSA_ERR_NOMEM,     /* an allocation failed or would exceed a configured limit */
    MOSA_ERR_UNSUPPORTED, /* valid input that this build cannot handle (dtype, op, feature) */
    MOSA_ERR_INTERNAL,  /* a bug: an invariant of mosa itself was broken */
    MOSA_STATUS_COUNT
} mosa_status;

/* Short name of a status code ("io error", ...); never NULL. */
MOSA_API const char *mosa_status_str(mosa_status s);

/* The message set by the most recent failing call in this thread ("" if none). */
MOSA_API const char *mosa_last_error(void);

/* Library version, e.g. "0.1.0". */
MOSA_API const char *mosa_version(void);

/* Number of threads the CPU kernels use (OpenMP); n <= 0 means "all cores". */
MOSA_API void mosa_set_threads(int n);
MOSA_API int mosa_get_threads(void);

#ifdef __cplusplus
}
#endif
#endif /* MOSA_H */
