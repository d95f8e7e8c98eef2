/* ops_unary.h: pointwise activations, dropout, sum/mean reductions, softmax and the losses.
 *
 * What this is: the ops of op_unary.c, op_reduce.c and op_loss.c (see ops.h for the rules all
 * ops follow), plus the CPU kernels under them. Every kernel that has a fast form (vectorised
 * exp, blocked reductions) has a naive `_ref` twin with plain loops and libm calls; the tests
 * compare the two on random shapes. Backward kernels ACCUMULATE (+=) into their `dinp`.
 *
 * What this is not: broadcasting binary ops (op_elementwise.c) or fused attention softmax
 * (that belongs to the attention op, which may reuse expf_vec below). */
#ifndef MOSA_OPS_UNARY_H
#define MOSA_OPS_UNARY_H
#include "tensor.h"

#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Ops                                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* ---- op_unary.c: y = f(x), same shape, output contiguous ---- */
tensor *op_exp(ctx *c, tensor *x);
tensor *op_log(ctx *c, tensor *x);
tensor *op_sqrt(ctx *c, tensor *x);
tensor *op_square(ctx *c, tensor *x);
tensor *op_relu(ctx *c, tensor *x);
tensor *op_silu(ctx *c, tensor *x);      /* x * sigmoid(x) */
tensor *op_sigmoid(ctx *c, tensor *x);
tensor *op_tanh(ctx *c, tensor *x);
/* PyTorch's GELU: approximate_tanh = 0 is 0.5x(1+erf(x/sqrt2)), 1 is
 * 0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3))) (nn.GELU(approximate="tanh")). */
tensor *op_gelu(ctx *c, tensor *x, int approximate_tanh);
/* Inverted dropout. Identity (returns x itself) when !c->training or p == 0; otherwise keeps each
 * element when rng_uniform(c->rng) < 1-p and scales kept ones by 1/(1-p); the keep mask is saved
 * in the arena for backward. p must be in [0,1). */
tensor *op_dropout(ctx *c, tensor *x, float p);

/* ---- op_reduce.c: reductions and softmax along one axis (negative axes count from the end) ---- */
#define T_ALL_AXES 127
/* Sum over `axis`; T_ALL_AXES sums everything into an nd=0 scalar (all-ones shape if keepdim).
 * keepdim keeps the reduced axis with size 1. */
tensor *op_sum(ctx *c, tensor *x, int axis, int keepdim);
tensor *op_mean(ctx *c, tensor *x, int axis, int keepdim);
/* exp(x - max) / sum exp(x - max) along axis (numerically stable). */
tensor *op_softmax(ctx *c, tensor *x, int axis);
/* x - max - log(sum exp(x - max)) along axis. */
tensor *op_log_softmax(ctx *c, tensor *x, int axis);

/* ---- op_loss.c: losses; each returns an nd=0 scalar ---- */
/* Mean over the rows whose target != ignore_index of -log softmax(logits)[target]. logits is
 * (N,C) or (...,C) read as (N,C); targets holds N ints (copied into the arena). A target outside
 * [0,C) that is not ignore_index is an error. All rows ignored gives NaN (as PyTorch). */
tensor *op_cross_entropy(ctx *c, tensor *logits, const int32_t *targets, int ignore_index);
tensor *op_mse_loss(ctx *c, tensor *a, tensor *b);      /* mean((a-b)^2), a and b the same shape */
tensor *op_l1_loss(ctx *c, tensor *a, tensor *b);       /* mean(|a-b|) */
/* PyTorch SmoothL1Loss(beta), mean: 0.5 d^2/beta where |d| < beta, else |d| - 0.5 beta;
 * beta == 0 is the L1 loss; beta < 0 is an error. */
tensor *op_smooth_l1_loss(ctx *c, tensor *a, tensor *b, float beta);
/* sum(w*(a-b)^2) / sum(w), with w broadcast to a's shape (both sums over the broadcast w, so
 * w = 1 gives the MSE). w gets no gradient. When sum(w) == 0 the loss is 0 with zero gradient
 * (an all-zero mask contributes nothing instead of NaN). */
tensor *op_weighted_mse_loss(ctx *c, tensor *a, tensor *b, tensor *w);

/* ------------------------------------------------------------------------------------------ */
/* Kernels                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* expf that the compiler can vectorise (Cephes-style range reduction and degree-6 polynomial,
 * <= 2 ulp against expf). Returns +inf above 88.72, 0 below -86.5 (no subnormals), NaN for NaN. */
static inline float expf_vec(float x) {
    const float hi = 88.72283f, lo = -86.5f;
    float xc = x < lo ? lo : (x > hi ? hi : x);
    xc = x == x ? xc : 0.0f;
    const float n = __builtin_rintf(xc * 1.44269504088896341f);
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    /* 2^n as 2^(n-1) * 2 so n = 128 (x near 88.7) still rounds to a finite float. */
    const uint32_t bits = (uint32_t)((int32_t)n + 126) << 23;
    float s;
    memcpy(&s, &bits, sizeof s);
    float y = p * s * 2.0f;
    y = x < lo ? 0.0f : y;
    y = x > hi ? __builtin_inff() : y;
    return x == x ? y : x;
}

/* max of x[0..n) (-inf for n == 0; NaNs are skipped), in 16 lanes so gcc and clang both
 * vectorise it without -ffast-math. */
static inline float max_vec(const float *x, int64_t n) {
    float lane[16];
    for (int j = 0; j < 16; j++) lane[j] = -__builtin_inff();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
#ifdef _OPENMP
#pragma omp simd
#endif
        for (int j = 0; j < 16; j++) lane[j] = x[i + j] > lane[j] ? x[i + j] : lane[j];
    }
    float m = -__builtin_inff();
    for (int j = 0; j < 16; j++) m = lane[j] > m ? lane[j] : m;
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

/* The pointwise ops with a kernel below. */
typedef enum unary_kind {
    UNARY_EXP, UNARY_LOG, UNARY_SQRT, UNARY_SQUARE, UNARY_RELU, UNARY_SILU, UNARY_SIGMOID,
    UNARY_TANH, UNARY_GELU, UNARY_GELU_TANH, UNARY_COUNT
} unary_kind;

/* out[i] = f(inp[i]); inp and out are N floats. _ref uses libm (expf, tanhf, erff). */
void unary_forward(float *out, const float *inp, int64_t N, unary_kind kind);
void unary_forward_ref(float *out, const float *inp, int64_t N, unary_kind kind);
/* dinp[i] += dout[i] * f'(inp[i]); out is the forward's output (some derivatives use it). */
void unary_backward(float *dinp, const float *inp, const float *out, const float *dout, int64_t N,
                    unary_kind kind);
void unary_backward_ref(float *dinp, const float *inp, const float *out, const float *dout, int64_t N,
                        unary_kind kind);

/* out is (outer,inner) = sum over L of inp (outer,L,inner); accumulates in double. */
void reduce_sum_forward(float *out, const float *inp, int64_t outer, int64_t L, int64_t inner);
void reduce_sum_forward_ref(float *out, const float *inp, int64_t outer, int64_t L, int64_t inner);
/* Sum of N floats in double, in a fixed blocked order that does not depend on the thread count. */
double reduce_sum_all(const float *inp, int64_t N);

/* Softmax / log-softmax over L of inp (outer,L,inner); out has the same shape. inner == 1 is
 * the last-axis fast path. */
void softmax_forward(float *out, const float *inp, int64_t outer, int64_t L, int64_t inner);
void softmax_forward_ref(float *out, const float *inp, int64_t outer, int64_t L, int64_t inner);
void log_softmax_forward(float *out, const float *inp, int64_t outer, int64_t L, int64_t inner);
void log_softmax_forward_ref(float *out, const float *inp, int64_t outer, int64_t L, int64_t inner);
/* dinp += J^T dout, from the forward's output out; all (outer,L,inner). */
void softmax_backward(float *dinp, const float *out, const float *dout, int64_t outer, int64_t L, int64_t inner);
void softmax_backward_ref(float *dinp, const float *out, const float *dout, int64_t outer, int64_t L, int64_t inner);
void log_softmax_backward(float *dinp, const float *out, const float *dout, int64_t outer, int64_t L, int64_t inner);
void log_softmax_backward_ref(float *dinp, const float *out, const float *dout, int64_t outer, int64_t L,
                              int64_t inner);

/* Per-row cross entropy: losses[n] = lse[n] - logits[n,targets[n]] with lse[n] the row's
 * logsumexp (losses[n] = 0 for ignored rows). logits is (N,C); targets must be valid. */
void cross_entropy_forward(float *losses, float *lse, const float *logits, const int32_t *targets, int64_t N,
                           int64_t C, int ignore_index);
void cross_entropy_forward_ref(float *losses, float *lse, const float *logits, const int32_t *targets,
                               int64_t N, int64_t C, int ignore_index);
/* dlogits[n,:] += g * (softmax(logits[n,:]) - onehot(targets[n])) for rows not ignored. */
void cross_entropy_backward(float *dlogits, const float *logits, const float *lse, const int32_t *targets,
                            float g, int64_t N, int64_t C, int ignore_index);
void cross_entropy_backward_ref(float *dlogits, const float *logits, const float *lse, const int32_t *targets,
                                float g, int64_t N, int64_t C, int ignore_index);

#endif
