/* gradcheck.h: finite-difference gradient checks for ops (ggml's grad mode, llm.c's habit).
 *
 * gradcheck() builds the inputs as leaf tensors requiring grad, computes out = f(inputs), takes
 * the scalar loss L = sum(out * r) for a fixed random r, and compares dL/dx from ctx_backward_seed
 * against central differences (L(x+eps) - L(x-eps)) / 2eps, in double, for up to max_checks
 * elements of each input. An element passes when |analytic - numeric| <= atol + rtol * max(|a|,|n|).
 * Elements where the function has a kink inside [x-eps, x+eps] (ReLU at 0, VQ argmin changes) are
 * detected by comparing one-sided differences and skipped; such skips are counted and reported. */
#ifndef MOSA_GRADCHECK_H
#define MOSA_GRADCHECK_H

#include "../src/tensor/ops.h"
#include "../src/tensor/safetensors.h"

typedef tensor *(*gc_fn)(ctx *c, tensor *const *in, void *user);

typedef struct gc_input {
    int nd;
    int64_t shape[T_MAX_DIMS];
    float lo, hi;        /* uniform init range (defaults -1, 1 when lo == hi == 0) */
    int no_grad;         /* 1 = this input is not checked and does not require grad */
    const float *values; /* optional explicit values (numel floats) */
} gc_input;

typedef struct gc_opts {
    double eps;          /* default 1e-3 */
    double atol, rtol;   /* defaults 1e-3, 1e-2 */
    int max_checks;      /* per input, default 64 */
    uint64_t seed;       /* default 1 */
    int quiet;
} gc_opts;

/* Returns the number of failing elements (0 = pass); prints failures with the op name. */
int gradcheck(const char *name, gc_fn f, int n_in, const gc_input *in, void *user, const gc_opts *opts);

/* PyTorch parity fixtures (ref/ref_*.py): the normwise relative error max|got - want| /
 * max|want| of n floats against the fixture tensor `name`, or -1 when the tensor is missing, has
 * another size, or got is NULL. */
double fixture_rel_error(const st_file *f, const char *name, const float *got, int64_t n);

#endif
