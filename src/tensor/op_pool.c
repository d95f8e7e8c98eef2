/* op_pool.c: resampling ops for video and image models: nearest upsampling by integer factors,
 * trilinear (and bilinear) upsampling to a given size with PyTorch's align_corners semantics,
 * and average pooling (AvgPool1d/2d/3d without padding), each forward and backward, with the
 * naive reference kernels the tests check them against.
 *
 * Every op sees its input as (N*C) contiguous (T,H,W) volumes, with T = H = 1 for 1-D inputs and
 * T = 1 for 2-D ones, and works on one volume per OpenMP iteration; backward loops write one
 * volume's gradient per iteration, so no two threads touch the same element.
 *
 * What this is not: general interpolation (scale factors, bicubic, area, antialiasing) or pooling
 * with padding, ceil mode or max. */
#include "ops.h"

#include <math.h>
#include <string.h>

/* (NC, T, H, W) view of a tensor with 1..3 spatial dims; returns 0 if x->nd is not 3..5. */
static int vol_dims(const tensor *x, int64_t *NC, int *T, int *H, int *W) {
    if (x->nd < 3 || x->nd > 5) return 0;
    int sp[3] = {1, 1, 1};
    for (int i = 2; i < x->nd; i++) sp[3 - (x->nd - i)] = (int)x->shape[i];
    *NC = x->shape[0] * x->shape[1];
    *T = sp[0];
    *H = sp[1];
    *W = sp[2];
    return 1;
}

/* The output shape: x's with the spatial dims replaced by (To, Ho, Wo) (the last x->nd-2 of them). */
static void vol_out_shape(const tensor *x, int To, int Ho, int Wo, int64_t *shape) {
    const int64_t sp[3] = {To, Ho, Wo};
    shape[0] = x->shape[0];
    shape[1] = x->shape[1];
    for (int i = 2; i < x->nd; i++) shape[i] = sp[3 - (x->nd - i)];
}

/* ------------------------------------------------------------------------------------------ */
/* Nearest upsampling                                                                          */
/* ------------------------------------------------------------------------------------------ */

void upsample_nearest_forward_ref(float *out, const float *inp, int NC, int T, int H, int W, int ft, int fh, int fw) {
    // inp is (NC,T,H,W), out is (NC,T*ft,H*fh,W*fw)
    const int To = T * ft, Ho = H * fh, Wo = W * fw;
    for (int64_t i = 0; i < NC; i++)
        for (int t = 0; t < To; t++)
            for (int h = 0; h < Ho; h++)
                for (int w = 0; w < Wo; w++)
                    out[((i * To + t) * Ho + h) * Wo + w] = inp[((i * T + t / ft) * H + h / fh) * W + w / fw];
}

void upsample_nearest_backward_ref(float *dinp, const float *dout, int NC, int T, int H, int W, int ft, int fh,
                                   int fw) {
    const int To = T * ft, Ho = H * fh, Wo = W * fw;
    for (int64_t i = 0; i < NC; i++)
        for (int t = 0; t < To; t++)
            for (int h = 0; h < Ho; h++)
                for (int w = 0; w < Wo; w++)
                    dinp[((i * T + t / ft) * H + h / fh) * W + w / fw] += dout[((i * To + t) * Ho + h) * Wo + w];
}

/* Saved with the tape node of an upsampling or pooling op. */
typedef struct vol_params {
    int64_t NC;
    int T, H, W, To, Ho, Wo;
    int k[3], s[3];       /* nearest: factors in k; avgpool: kernel and stride */
    int align_corners;
} vol_params;

// inp is (NC,T,H,W), out is (NC,T*ft,H*fh,W*fw): each input row is widened once, then copied
static void upsample_nearest_forward(float *out, const float *inp, int64_t NC, int T, int H, int W, int ft, int fh,
                                     int fw) {
    const int Ho = H * fh, Wo = W * fw;
    const int64_t planes = NC * T;
MOSA_PARALLEL_FOR(planes * Ho * Wo * ft > 65536, ,
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *src = inp + pl * H * W;
        float *dst = out + pl * ft * (int64_t)Ho * Wo; /* frame t of volume i starts at (i*T + t)*ft frames */
        for (int h = 0; h < H; h++) {
            float *row = dst + (int64_t)h * fh * Wo;
            for (int w = 0; w < W; w++)
                for (int k = 0; k < fw; k++) row[w * fw + k] = src[(int64_t)h * W + w];
            for (int k = 1; k < fh; k++) memcpy(row + (int64_t)k * Wo, row, (size_t)Wo * sizeof(float));
        }
        for (int k = 1; k < ft; k++) memcpy(dst + (int64_t)k * Ho * Wo, dst, (size_t)Ho * Wo * sizeof(float));
    });
}

static void upsample_nearest_backward(float *dinp, const float *dout, int64_t NC, int T, int H, int W, int ft, int fh,
                                      int fw) {
    const int Ho = H * fh, Wo = W * fw;
    const int64_t planes = NC * T;
MOSA_PARALLEL_FOR(planes * Ho * Wo * ft > 65536, ,
    for (int64_t pl = 0; pl < planes; pl++) {
        float *dst = dinp + pl * H * W;
        const float *src = dout + pl * ft * (int64_t)Ho * Wo;
        for (int k = 0; k < ft; k++)
            for (int h = 0; h < Ho; h++) {
                const float *row = src + ((int64_t)k * Ho + h) * Wo;
                float *d = dst + (int64_t)(h / fh) * W;
                for (int w = 0; w < W; w++) {
                    float s = 0.0f;
                    for (int j = 0; j < fw; j++) s += row[w * fw + j];
                    d[w] += s;
                }
            }
    });
}

static void upsample_nearest_bw(ctx *c, tape_node *n) {
    float *gx = t_grad(c, n->in[0]);
    if (!gx) return;
    const vol_params *p = n->saved;
    upsample_nearest_backward(gx, n->out->grad, p->NC, p->T, p->H, p->W, p->k[0], p->k[1], p->k[2]);
}

tensor *op_upsample_nearest(ctx *c, tensor *x, const int *factors) {
    if (!x) return NULL;
    char sx[80];
    t_shape_str(x, sx, sizeof sx);
    vol_params p = {0};
    T_CHECK(c, vol_dims(x, &p.NC, &p.T, &p.H, &p.W), "upsample_nearest: x must be (N,C,L), (N,C,H,W) or (N,C,T,H,W), got %s", sx);
    const int nsp = x->nd - 2;
    int f[3] = {1, 1, 1};
    for (int i = 0; i < nsp; i++) {
        T_CHECK(c, factors[i] >= 1, "upsample_nearest: factor %d for spatial dim %d of x %s (need >= 1)", factors[i], i, sx);
        f[3 - nsp + i] = factors[i];
    }
    const int64_t To = (int64_t)p.T * f[0], Ho = (int64_t)p.H * f[1], Wo = (int64_t)p.W * f[2];
    T_CHECK(c, To <= INT32_MAX && Ho <= INT32_MAX && Wo <= INT32_MAX && To * Ho * Wo <= ((int64_t)1 << 40),
            "upsample_nearest: x %s with these factors gives an absurd size", sx);
    x = op_contiguous(c, x);
    if (!x) return NULL;
    int64_t shape[5];
    vol_out_shape(x, (int)To, (int)Ho, (int)Wo, shape);
    tensor *o = t_new(c, x->nd, shape);
    if (!o) return NULL;
    upsample_nearest_forward(o->data, x->data, p.NC, p.T, p.H, p.W, f[0], f[1], f[2]);
    tape_node *n = tape_push(c, "upsample_nearest", upsample_nearest_bw, o, 1, &x);
    if (n) {
        vol_params *sp = arena_alloc(&c->mem, sizeof *sp);
        if (!sp) return ctx_fail(c, MOSA_ERR_NOMEM, "upsample_nearest: %s", mosa_last_error());
        for (int i = 0; i < 3; i++) p.k[i] = f[i];
        *sp = p;
        n->saved = sp;
    }
    return o;
}

/* ------------------------------------------------------------------------------------------ */
/* Trilinear upsampling                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* PyTorch's source index and weights of output index o along one dim (UpSample.h:
 * area_pixel_compute_scale, area_pixel_compute_source_index, guard_index_and_lambda). */
static void lin_source(int *i0, int *i1, float *l0, float *l1, int o, int in, int out, int align_corners) {
    if (in == out) {
        *i0 = *i1 = o;
        *l0 = 1.0f;
        *l1 = 0.0f;
        return;
    }
    float scale = align_corners ? (out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f) : (float)in / (float)out;
    float src = align_corners ? scale * (float)o : scale * ((float)o + 0.5f) - 0.5f;
    if (!align_corners && src < 0.0f) src = 0.0f;
    int i = (int)floorf(src);
    if (i > in - 1) i = in - 1;
    float lam = src - (float)i;
    lam = lam < 0.0f ? 0.0f : lam > 1.0f ? 1.0f : lam;
    *i0 = i;
    *i1 = i + (i < in - 1 ? 1 : 0);
    *l1 = lam;
    *l0 = 1.0f - lam;
}

void upsample_trilinear_forward_ref(float *out, const float *inp, int NC, int T, int H, int W, int To, int Ho,
                                    int Wo, int align_corners) {
    // inp is (NC,T,H,W), out is (NC,To,Ho,Wo)
    for (int64_t i = 0; i < NC; i++)
        for (int t = 0; t < To; t++)
            for (int h = 0; h < Ho; h++)
                for (int w = 0; w < Wo; w++) {
                    int t0, t1, h0, h1, w0, w1;
                    float a0, a1, b0, b1, c0, c1;
                    lin_source(&t0, &t1, &a0, &a1, t, T, To, align_corners);
                    lin_source(&h0, &h1, &b0, &b1, h, H, Ho, align_corners);
                    lin_source(&w0, &w1, &c0, &c1, w, W, Wo, align_corners);
                    const int ts[2] = {t0, t1}, hs[2] = {h0, h1}, ws[2] = {w0, w1};
                    const float ta[2] = {a0, a1}, ha[2] = {b0, b1}, wa[2] = {c0, c1};
                    double acc = 0;
                    for (int a = 0; a < 2; a++)
                        for (int b = 0; b < 2; b++)
                            for (int k = 0; k < 2; k++)
                                acc += (double)ta[a] * ha[b] * wa[k] * inp[((i * T + ts[a]) * H + hs[b]) * W + ws[k]];
                    out[((i * To + t) * Ho + h) * Wo + w] = (float)acc;
                }
}

void upsample_trilinear_backward_ref(float *dinp, const float *dout, int NC, int T, int H, int W, int To, int Ho,
                                     int Wo, int align_corners) {
    for (int64_t i = 0; i < NC; i++)
        for (int t = 0; t < To; t++)
            for (int h = 0; h < Ho; h++)
                for (int w = 0; w < Wo; w++) {
                    int t0, t1, h0, h1, w0, w1;
                    float a0, a1, b0, b1, c0, c1;
                    lin_source(&t0, &t1, &a0, &a1, t, T, To, align_corners);
                    lin_source(&h0, &h1, &b0, &b1, h, H, Ho, align_corners);
                    lin_source(&w0, &w1, &c0, &c1, w, W, Wo, align_corners);
                    const int ts[2] = {t0, t1}, hs[2] = {h0, h1}, ws[2] = {w0, w1};
                    const float ta[2] = {a0, a1}, ha[2] = {b0, b1}, wa[2] = {c0, c1};
                    const float g = dout[((i * To + t) * Ho + h) * Wo + w];
                    for (int a = 0; a < 2; a++)
                        for (int b = 0; b < 2; b++)
                            for (int k = 0; k < 2; k++)
                                dinp[((i * T + ts[a]) * H + hs[b]) * W + ws[k]] += ta[a] * ha[b] * wa[k] * g;
                }
}

/* Index and weight tables of one dim: 2*n ints and 2*n floats (pairs i0,i1 and l0,l1). */
static void lin_table(int *idx, float *lam, int in, int out, int align_corners) {
    for (int o = 0; o < out; o++) lin_source(&idx[2 * o], &idx[2 * o + 1], &lam[2 * o], &lam[2 * o + 1], o, in, out, align_corners);
}

// inp is (NC,T,H,W), out is (NC,To,Ho,Wo); it/lt, ih/lh, iw/lw are the tables of each dim
static void upsample_trilinear_forward(float *out, const float *inp, const int *it, const float *lt, const int *ih,
                                       const float *lh, const int *iw, const float *lw, int64_t NC, int T, int H,
                                       int W, int To, int Ho, int Wo) {
    const int64_t frames = NC * To;
MOSA_PARALLEL_FOR(frames * Ho * Wo > 32768, ,
    for (int64_t fr = 0; fr < frames; fr++) {
        const int64_t i = fr / To;
        const int t = (int)(fr % To);
        const float *f0 = inp + (i * T + it[2 * t]) * H * W, *f1 = inp + (i * T + it[2 * t + 1]) * H * W;
        const float a0 = lt[2 * t], a1 = lt[2 * t + 1];
        float *o = out + fr * Ho * Wo;
        for (int h = 0; h < Ho; h++) {
            const float *r00 = f0 + (int64_t)ih[2 * h] * W, *r01 = f0 + (int64_t)ih[2 * h + 1] * W;
            const float *r10 = f1 + (int64_t)ih[2 * h] * W, *r11 = f1 + (int64_t)ih[2 * h + 1] * W;
            const float b0 = lh[2 * h], b1 = lh[2 * h + 1];
            float *orow = o + (int64_t)h * Wo;
            for (int w = 0; w < Wo; w++) {
                const int w0 = iw[2 * w], w1 = iw[2 * w + 1];
                const float c0 = lw[2 * w], c1 = lw[2 * w + 1];
                orow[w] = a0 * (b0 * (c0 * r00[w0] + c1 * r00[w1]) + b1 * (c0 * r01[w0] + c1 * r01[w1])) +
                          a1 * (b0 * (c0 * r10[w0] + c1 * r10[w1]) + b1 * (c0 * r11[w0] + c1 * r11[w1]));
            }
        }
    });
}

static void upsample_trilinear_backward(float *dinp, const float *dout, const int *it, const float *lt, const int *ih,
                                        const float *lh, const int *iw, const float *lw, int64_t NC, int T, int H,
                                        int W, int To, int Ho, int Wo) {
MOSA_PARALLEL_FOR(NC * To * Ho * Wo > 32768, ,
    for (int64_t i = 0; i < NC; i++) {
        float *dv = dinp + i * T * H * W;
        for (int t = 0; t < To; t++) {
            float *f0 = dv + (int64_t)it[2 * t] * H * W, *f1 = dv + (int64_t)it[2 * t + 1] * H * W;
            const float a0 = lt[2 * t], a1 = lt[2 * t + 1];
            const float *g = dout + ((i * To + t) * Ho) * Wo;
            for (int h = 0; h < Ho; h++) {
                float *r00 = f0 + (int64_t)ih[2 * h] * W, *r01 = f0 + (int64_t)ih[2 * h + 1] * W;
                float *r10 = f1 + (int64_t)ih[2 * h] * W, *r11 = f1 + (int64_t)ih[2 * h + 1] * W;
                const float b0 = lh[2 * h], b1 = lh[2 * h + 1];
                const float *grow = g + (int64_t)h * Wo;
                for (int w = 0; w < Wo; w++) {
                    const int w0 = iw[2 * w], w1 = iw[2 * w + 1];
                    const float c0 = lw[2 * w] * grow[w], c1 = lw[2 * w + 1] * grow[w];
                    r00[w0] += a0 * b0 * c0;
                    r00[w1] += a0 * b0 * c1;
                    r01[w0] += a0 * b1 * c0;
                    r01[w1] += a0 * b1 * c1;
                    r10[w0] += a1 * b0 * c0;
                    r10[w1] += a1 * b0 * c1;
                    r11[w0] += a1 * b1 * c0;
                    r11[w1] += a1 * b1 * c1;
                }
            }
        }
    });
}

/* Tables for all three dims from the arena: idx has 2*(To+Ho+Wo) ints, lam as many floats. */
static int trilinear_tables(ctx *c, const vol_params *p, int **idx, float **lam) {
    const size_t n = 2 * ((size_t)p->To + (size_t)p->Ho + (size_t)p->Wo);
    *idx = arena_alloc(&c->mem, n * sizeof(int));
    *lam = arena_alloc(&c->mem, n * sizeof(float));
    if (!*idx || !*lam) return 0;
    lin_table(*idx, *lam, p->T, p->To, p->align_corners);
    lin_table(*idx + 2 * p->To, *lam + 2 * p->To, p->H, p->Ho, p->align_corners);
    lin_table(*idx + 2 * (p->To + p->Ho), *lam + 2 * (p->To + p->Ho), p->W, p->Wo, p->align_corners);
    return 1;
}

static void upsample_trilinear_bw(ctx *c, tape_node *n) {
    float *gx = t_grad(c, n->in[0]);
    if (!gx) return;
    const vol_params *p = n->saved;
    arena_mark mk = arena_get_mark(&c->mem);
    int *idx;
    float *lam;
    if (!trilinear_tables(c, p, &idx, &lam)) {
        arena_release(&c->mem, mk);
        ctx_fail(c, MOSA_ERR_NOMEM, "upsample_trilinear backward: %s", mosa_last_error());
        return;
    }
    const int a = 2 * p->To, b = 2 * (p->To + p->Ho);
    upsample_trilinear_backward(gx, n->out->grad, idx, lam, idx + a, lam + a, idx + b, lam + b, p->NC, p->T, p->H,
                                p->W, p->To, p->Ho, p->Wo);
    arena_release(&c->mem, mk);
}

tensor *op_upsample_trilinear(ctx *c, tensor *x, int out_t, int out_h, int out_w, int align_corners) {
    if (!x) return NULL;
    char sx[80];
    t_shape_str(x, sx, sizeof sx);
    T_CHECK(c, x->nd == 5 || (x->nd == 4 && out_t == 1),
            "upsample_trilinear: x must be (N,C,T,H,W) (or (N,C,H,W) with out_t = 1), got %s with out_t %d", sx, out_t);
    T_CHECK(c, out_t >= 1 && out_h >= 1 && out_w >= 1, "upsample_trilinear: output size (%d,%d,%d) must be positive",
            out_t, out_h, out_w);
    vol_params p = {0};
    vol_dims(x, &p.NC, &p.T, &p.H, &p.W);
    T_CHECK(c, p.T >= 1 && p.H >= 1 && p.W >= 1, "upsample_trilinear: x %s has an empty spatial dim", sx);
    T_CHECK(c, (int64_t)out_t * out_h * out_w <= ((int64_t)1 << 40), "upsample_trilinear: output size (%d,%d,%d) is absurd",
            out_t, out_h, out_w);
    p.To = out_t;
    p.Ho = out_h;
    p.Wo = out_w;
    p.align_corners = align_corners ? 1 : 0;
    x = op_contiguous(c, x);
    if (!x) return NULL;
    int64_t shape[5];
    vol_out_shape(x, p.To, p.Ho, p.Wo, shape);
    tensor *o = t_new(c, x->nd, shape);
    if (!o) return NULL;
    arena_mark mk = arena_get_mark(&c->mem);
    int *idx;
    float *lam;
    if (!trilinear_tables(c, &p, &idx, &lam)) {
        arena_release(&c->mem, mk);
        return ctx_fail(c, MOSA_ERR_NOMEM, "upsample_trilinear: %s", mosa_last_error());
    }
    const int a = 2 * p.To, b = 2 * (p.To + p.Ho);
    upsample_trilinear_forward(o->data, x->data, idx, lam, idx + a, lam + a, idx + b, lam + b, p.NC, p.T, p.H, p.W,
                               p.To, p.Ho, p.Wo);
    arena_release(&c->mem, mk);
    tape_node *n = tape_push(c, "upsample_trilinear", upsample_trilinear_bw, o, 1, &x);
    if (n) {
        vol_params *sp = arena_alloc(&c->mem, sizeof *sp);
        if (!sp) return ctx_fail(c, MOSA_ERR_NOMEM, "upsample_trilinear: %s", mosa_last_error());
        *sp = p;
        n->saved = sp;
    }
    return o;
}

/* ------------------------------------------------------------------------------------------ */
/* Average pooling                                                                             */
/* ------------------------------------------------------------------------------------------ */

void avgpool_forward_ref(float *out, const float *inp, int NC, int T, int H, int W, const int k[3], const int s[3]) {
    // inp is (NC,T,H,W), out is (NC,To,Ho,Wo)
    const int To = (T - k[0]) / s[0] + 1, Ho = (H - k[1]) / s[1] + 1, Wo = (W - k[2]) / s[2] + 1;
    const double div = (double)k[0] * k[1] * k[2];
    for (int64_t i = 0; i < NC; i++)
        for (int t = 0; t < To; t++)
            for (int h = 0; h < Ho; h++)
                for (int w = 0; w < Wo; w++) {
                    double acc = 0;
                    for (int a = 0; a < k[0]; a++)
                        for (int b = 0; b < k[1]; b++)
                            for (int e = 0; e < k[2]; e++)
                                acc += inp[((i * T + t * s[0] + a) * H + h * s[1] + b) * W + w * s[2] + e];
                    out[((i * To + t) * Ho + h) * Wo + w] = (float)(acc / div);
                }
}

void avgpool_backward_ref(float *dinp, const float *dout, int NC, int T, int H, int W, const int k[3],
                          const int s[3]) {
    const int To = (T - k[0]) / s[0] + 1, Ho = (H - k[1]) / s[1] + 1, Wo = (W - k[2]) / s[2] + 1;
    const float inv = 1.0f / ((float)k[0] * k[1] * k[2]);
    for (int64_t i = 0; i < NC; i++)
        for (int t = 0; t < To; t++)
            for (int h = 0; h < Ho; h++)
                for (int w = 0; w < Wo; w++) {
                    const float g = dout[((i * To + t) * Ho + h) * Wo + w] * inv;
                    for (int a = 0; a < k[0]; a++)
                        for (int b = 0; b < k[1]; b++)
                            for (int e = 0; e < k[2]; e++)
                                dinp[((i * T + t * s[0] + a) * H + h * s[1] + b) * W + w * s[2] + e] += g;
                }
}

// inp is (NC,T,H,W), out is (NC,To,Ho,Wo): each output row sums k[0]*k[1] input rows, row-wise
static void avgpool_forward(float *out, const float *inp, const vol_params *p) {
    const int64_t frames = p->NC * p->To;
    const float inv = 1.0f / ((float)p->k[0] * p->k[1] * p->k[2]);
    const int kw = p->k[2], sw = p->s[2];
MOSA_PARALLEL_FOR(frames * p->Ho * p->Wo * kw > 65536, ,
    for (int64_t fr = 0; fr < frames; fr++) {
        const int64_t i = fr / p->To;
        const int t = (int)(fr % p->To);
        for (int h = 0; h < p->Ho; h++) {
            float *o = out + (fr * p->Ho + h) * p->Wo;
            for (int w = 0; w < p->Wo; w++) o[w] = 0.0f;
            for (int a = 0; a < p->k[0]; a++)
                for (int b = 0; b < p->k[1]; b++) {
                    const float *r = inp + ((i * p->T + (int64_t)t * p->s[0] + a) * p->H + (int64_t)h * p->s[1] + b) * p->W;
                    for (int w = 0; w < p->Wo; w++) {
                        float s = 0.0f;
                        for (int e = 0; e < kw; e++) s += r[w * sw + e];
                        o[w] += s;
                    }
                }
            for (int w = 0; w < p->Wo; w++) o[w] *= inv;
        }
    });
}

static void avgpool_backward(float *dinp, const float *dout, const vol_params *p) {
    const float inv = 1.0f / ((float)p->k[0] * p->k[1] * p->k[2]);
    const int kw = p->k[2], sw = p->s[2];
MOSA_PARALLEL_FOR(p->NC * p->To * p->Ho * p->Wo * kw > 65536, ,
    for (int64_t i = 0; i < p->NC; i++)
        for (int t = 0; t < p->To; t++)
            for (int h = 0; h < p->Ho; h++) {
                const float *g = dout + ((i * p->To + t) * p->Ho + h) * p->Wo;
                for (int a = 0; a < p->k[0]; a++)
                    for (int b = 0; b < p->k[1]; b++) {
                        float *r = dinp + ((i * p->T + (int64_t)t * p->s[0] + a) * p->H + (int64_t)h * p->s[1] + b) * p->W;
                        for (int w = 0; w < p->Wo; w++) {
                            const float v = g[w] * inv;
                            for (int e = 0; e < kw; e++) r[w * sw + e] += v;
                        }
                    }
            });
}

static void avgpool_bw(ctx *c, tape_node *n) {
    float *gx = t_grad(c, n->in[0]);
    if (!gx) return;
    avgpool_backward(gx, n->out->grad, n->saved);
}

tensor *op_avgpool(ctx *c, tensor *x, const int *kernel, const int *stride) {
    if (!x) return NULL;
    char sx[80];
    t_shape_str(x, sx, sizeof sx);
    vol_params p = {0};
    T_CHECK(c, vol_dims(x, &p.NC, &p.T, &p.H, &p.W), "avgpool: x must be (N,C,L), (N,C,H,W) or (N,C,T,H,W), got %s", sx);
    const int nsp = x->nd - 2;
    const int sz[3] = {p.T, p.H, p.W};
    int out[3] = {1, 1, 1};
    for (int j = 0; j < 3; j++) p.k[j] = p.s[j] = 1;
    for (int i = 0; i < nsp; i++) {
        const int j = 3 - nsp + i;
        const int k = kernel[i], s = stride ? stride[i] : kernel[i];
        T_CHECK(c, k >= 1 && s >= 1, "avgpool: kernel %d and stride %d along spatial dim %d must be >= 1", k, s, i);
        T_CHECK(c, k <= sz[j], "avgpool: kernel %d is larger than spatial dim %d of x %s", k, i, sx);
        p.k[j] = k;
        p.s[j] = s;
        out[j] = (sz[j] - k) / s + 1;
    }
    p.To = out[0];
    p.Ho = out[1];
    p.Wo = out[2];
    x = op_contiguous(c, x);
    if (!x) return NULL;
    int64_t shape[5];
    vol_out_shape(x, p.To, p.Ho, p.Wo, shape);
    tensor *o = t_new(c, x->nd, shape);
    if (!o) return NULL;
    avgpool_forward(o->data, x->data, &p);
    tape_node *n = tape_push(c, "avgpool", avgpool_bw, o, 1, &x);
    if (n) {
        vol_params *sp = arena_alloc(&c->mem, sizeof *sp);
        if (!sp) return ctx_fail(c, MOSA_ERR_NOMEM, "avgpool: %s", mosa_last_error());
        *sp = p;
        n->saved = sp;
    }
    return o;
}
