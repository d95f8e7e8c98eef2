/* op_rope.c: rotary position embeddings (RoPE), interleaved pairs, forward and backward, and
 * the 1D and CogVideoX-style 3D angle tables.
 *
 * What this is: the rotation diffusers' apply_rotary_emb does with use_real_unbind_dim=-1 (the
 * CogVideoX convention): the last dim holds D/2 pairs (x[2i], x[2i+1]), each rotated by the
 * angle in the (T, D/2) tables at the row's position. The backward is the inverse rotation of
 * the output gradient. Inputs may be strided views (q and k sliced from a fused projection) as
 * long as the last dim is unit-stride; otherwise they are copied first.
 * What this is not: the half-split ("rotate_half", use_real_unbind_dim=-2) convention, NTK or
 * linear position scaling, or position ids other than 0..n-1 per axis. */
#include "ops.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Tables                                                                                      */
/* ------------------------------------------------------------------------------------------ */

void rope_table_1d(float *cos_tab, float *sin_tab, int T, int D, float theta) {
    const int P = D / 2;
    for (int i = 0; i < P; i++) {
        const double f = pow((double)theta, -2.0 * i / D);
        for (int t = 0; t < T; t++) {
            const double a = (double)t * f;
            cos_tab[(int64_t)t * P + i] = (float)cos(a);
            sin_tab[(int64_t)t * P + i] = (float)sin(a);
        }
    }
}

/* Writes the n = d/2 pairs of one axis (position pos, per-axis dim d) at pair offset col. */
static void rope_axis(float *cs, float *sn, int col, int d, int pos, float theta) {
    for (int i = 0; i < d / 2; i++) {
        const double a = (double)pos * pow((double)theta, -2.0 * i / d);
        cs[col + i] = (float)cos(a);
        sn[col + i] = (float)sin(a);
    }
}

void rope_table_3d(float *cos_tab, float *sin_tab, int F, int H, int W, int d_t, int d_h, int d_w, float theta) {
    const int P = d_t / 2 + d_h / 2 + d_w / 2;
    for (int f = 0; f < F; f++)
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++) {
                const int64_t row = ((int64_t)f * H + h) * W + w;
                float *cs = cos_tab + row * P, *sn = sin_tab + row * P;
                rope_axis(cs, sn, 0, d_t, f, theta);
                rope_axis(cs, sn, d_t / 2, d_h, h, theta);
                rope_axis(cs, sn, d_t / 2 + d_h / 2, d_w, w, theta);
            }
}

/* ------------------------------------------------------------------------------------------ */
/* Kernels                                                                                     */
/* ------------------------------------------------------------------------------------------ */

void rope_forward_ref(float *out, const float *x, const float *cos_tab, const float *sin_tab, int L, int T, int D) {
    const int P = D / 2;
    for (int64_t l = 0; l < L; l++)
        for (int t = 0; t < T; t++) {
            const float *xr = x + (l * T + t) * D;
            float *o = out + (l * T + t) * D;
            for (int i = 0; i < P; i++) {
                const double c = cos_tab[(int64_t)t * P + i], s = sin_tab[(int64_t)t * P + i];
                o[2 * i] = (float)(xr[2 * i] * c - xr[2 * i + 1] * s);
                o[2 * i + 1] = (float)(xr[2 * i + 1] * c + xr[2 * i] * s);
            }
        }
}

/* One row of D = 2P: o = rotation of x by (c, s), or its inverse added into o (backward). */
static inline void rope_row(float *o, const float *x, const float *c, const float *s, int P) {
#pragma omp simd
    for (int i = 0; i < P; i++) {
        const float x0 = x[2 * i], x1 = x[2 * i + 1];
        o[2 * i] = x0 * c[i] - x1 * s[i];
        o[2 * i + 1] = x1 * c[i] + x0 * s[i];
    }
}

static inline void rope_row_inverse_acc(float *g, const float *dy, const float *c, const float *s, int P) {
#pragma omp simd
    for (int i = 0; i < P; i++) {
        const float d0 = dy[2 * i], d1 = dy[2 * i + 1];
        g[2 * i] += d0 * c[i] + d1 * s[i];
        g[2 * i + 1] += d1 * c[i] - d0 * s[i];
    }
}

/* Element offset of row r (the row-major index over all dims but the last) in x. */
static inline int64_t rope_row_offset(const tensor *x, int64_t r) {
    int64_t off = 0;
    for (int i = x->nd - 2; i >= 0; i--) {
        off += (r % x->shape[i]) * x->stride[i];
        r /= x->shape[i];
    }
    return off;
}

/* ------------------------------------------------------------------------------------------ */
/* The op                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void rope_backward(ctx *c, tape_node *n) {
    tensor *x = n->in[0];
    float *gx = t_grad(c, x);
    if (!gx) return;
    const int T = (int)n->ip[0], P = (int)n->ip[1];
    const float *cs = n->saved, *sn = cs + (int64_t)T * P;
    const float *dy = n->out->grad;
    const int64_t rows = t_numel(x) / (P ? 2 * P : 1);
    if (P == 0) return;
MOSA_PARALLEL_FOR(rows * P > 32768, ,
    for (int64_t r = 0; r < rows; r++) {
        const int64_t t = r % T;
        rope_row_inverse_acc(gx + r * 2 * P, dy + r * 2 * P, cs + t * P, sn + t * P, P);
    });
}

tensor *op_rope(ctx *c, tensor *x, const float *cos_tab, const float *sin_tab) {
    if (!x) return NULL;
    char sx[64];
    t_shape_str(x, sx, sizeof sx);
    T_CHECK(c, x->nd >= 2, "rope: x must be (...,T,D), got %s", sx);
    const int64_t T = x->shape[x->nd - 2], D = x->shape[x->nd - 1];
    T_CHECK(c, D % 2 == 0, "rope: the last dim of x %s must be even (pairs are rotated)", sx);
    T_CHECK(c, T <= INT32_MAX && D <= INT32_MAX, "rope: x %s is too large", sx);
    T_CHECK(c, (cos_tab && sin_tab) || T * D == 0, "rope: cos/sin tables are NULL for x %s", sx);
    const int64_t P = D / 2;
    if (D > 1 && x->stride[x->nd - 1] != 1) x = op_contiguous(c, x);
    if (!x) return NULL;
    tensor *o = t_new(c, x->nd, x->shape);
    if (!o) return NULL;
    float *tabs = arena_alloc(&c->mem, (size_t)(2 * T * P > 0 ? 2 * T * P : 1) * sizeof(float));
    if (!tabs) return ctx_fail(c, MOSA_ERR_NOMEM, "rope: %s", mosa_last_error());
    if (T * P > 0) {
        memcpy(tabs, cos_tab, (size_t)(T * P) * sizeof(float));
        memcpy(tabs + T * P, sin_tab, (size_t)(T * P) * sizeof(float));
    }
    const float *cs = tabs, *sn = tabs + T * P;
    const int64_t rows = D ? t_numel(x) / D : 0;
    float *od = o->data;
    if (P > 0) {
        const tensor *xc = x;
MOSA_PARALLEL_FOR(rows * P > 32768, ,
        for (int64_t r = 0; r < rows; r++) {
            const int64_t t = r % T;
            rope_row(od + r * D, xc->data + rope_row_offset(xc, r), cs + t * P, sn + t * P, (int)P);
        });
    }
    tape_node *n = tape_push(c, "rope", rope_backward, o, 1, &x);
    if (n) {
        n->ip[0] = T, n->ip[1] = P;
        n->saved = tabs;
    }
    return o;
}
