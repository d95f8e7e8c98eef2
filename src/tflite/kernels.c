/* kernels.c: float32 NHWC kernels with TensorFlow Lite's reference semantics (see kernels.h).
 *
 * The conv fast path: the output of one image is a (P = Ho*Wo) x O matrix,
 *     out = cols(in) @ w^T,  cols (P x K), w (O x K), K = KH*KW*C,
 * and NHWC makes every im2col row a sequence of KH*KW contiguous C-float copies. Rows are
 * processed in tiles (bounded scratch); tiles of all images are the work items of one parallel
 * loop, each running a single-threaded sgemm (OpenBLAS' OpenMP build does not nest). A 1x1
 * stride-1 conv needs no im2col: the input rows are the columns. */
#include "tflite/kernels.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define TFL_TILE_FLOATS (1 << 17) /* bound on one im2col tile (512 KiB) */
#define TFL_MIN_ROWS 32           /* smallest row tile worth a GEMM */
#define TFL_PAR_WORK 32768        /* below this many output floats, one thread */

static inline int tfl__tid(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

int tfl_out_size(int in, int k, int stride, int dil, tfl_padding pad) {
    if (in < 1 || k < 1 || stride < 1 || dil < 1) return 0;
    int64_t eff = (int64_t)(k - 1) * dil + 1;
    int64_t o;
    if (pad == TFL_PAD_SAME) o = ((int64_t)in + stride - 1) / stride;
    else if (pad == TFL_PAD_VALID) o = ((int64_t)in - eff + stride) / stride;
    else return 0;
    return o > 0 && o < (1 << 30) ? (int)o : 0;
}

int tfl_pad_before(int in, int k, int stride, int dil, tfl_padding pad) {
    if (pad != TFL_PAD_SAME) return 0;
    int out = tfl_out_size(in, k, stride, dil, pad);
    int64_t total = (int64_t)(out - 1) * stride + (int64_t)(k - 1) * dil + 1 - in;
    return total > 0 ? (int)(total / 2) : 0;
}

static inline float tfl__act1(float x, tfl_activation act) {
    switch (act) {
    case TFL_ACT_RELU: return x < 0.0f ? 0.0f : x;
    case TFL_ACT_RELU_N1_TO_1: return x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x);
    case TFL_ACT_RELU6: return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
    case TFL_ACT_TANH: return tanhf(x);
    default: return x;
    }
}

void tfl_activate(float *x, size_t n, tfl_activation act) {
    float lo, hi;
    switch (act) {
    case TFL_ACT_RELU: lo = 0.0f, hi = INFINITY; break;
    case TFL_ACT_RELU_N1_TO_1: lo = -1.0f, hi = 1.0f; break;
    case TFL_ACT_RELU6: lo = 0.0f, hi = 6.0f; break;
    case TFL_ACT_TANH:
        for (size_t i = 0; i < n; i++) x[i] = tanhf(x[i]);
        return;
    default: return;
    }
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        v = v < lo ? lo : v;
        x[i] = v > hi ? hi : v;
    }
}

static bool tfl__act_ok(tfl_activation act) { return act >= TFL_ACT_NONE && act <= TFL_ACT_TANH; }

/* ------------------------------------------------------------------------------------------ */
/* CONV_2D                                                                                     */
/* ------------------------------------------------------------------------------------------ */

typedef struct {
    int Ho, Wo, pt, pl; /* output size, padding before (top, left) */
} tfl__geom;

static mosa_status tfl__conv_check(tfl__geom *g, int N, int H, int W, int C, int O, int KH, int KW,
                                   const tfl_conv_params *p, const char *what) {
    if (!p || N < 1 || H < 1 || W < 1 || C < 1 || O < 1 || KH < 1 || KW < 1 || p->stride_h < 1 ||
        p->stride_w < 1 || p->dil_h < 1 || p->dil_w < 1 || !tfl__act_ok(p->act) ||
        (p->padding != TFL_PAD_SAME && p->padding != TFL_PAD_VALID))
        return mosa_fail(MOSA_ERR_ARG, "%s: invalid dims or parameters", what);
    g->Ho = tfl_out_size(H, KH, p->stride_h, p->dil_h, p->padding);
    g->Wo = tfl_out_size(W, KW, p->stride_w, p->dil_w, p->padding);
    if (g->Ho < 1 || g->Wo < 1)
        return mosa_fail(MOSA_ERR_ARG, "%s: empty output (%dx%d input, %dx%d kernel)", what, H, W, KH, KW);
    size_t t;
    if (!mosa_mul_ok((size_t)N * H, (size_t)W * C, &t) || !mosa_mul_ok((size_t)N * g->Ho, (size_t)g->Wo * O, &t) ||
        !mosa_mul_ok((size_t)O * KH, (size_t)KW * C, &t) || t > ((size_t)1 << 40))
        return mosa_fail(MOSA_ERR_ARG, "%s: sizes overflow", what);
    if ((int64_t)g->Ho * g->Wo > INT_MAX / 2 || (int64_t)KH * KW * C > INT_MAX / 2)
        return mosa_fail(MOSA_ERR_ARG, "%s: sizes overflow", what);
    g->pt = tfl_pad_before(H, KH, p->stride_h, p->dil_h, p->padding);
    g->pl = tfl_pad_before(W, KW, p->stride_w, p->dil_w, p->padding);
    return MOSA_OK;
}

mosa_status tfl_conv2d_ref(float *out, const float *in, const float *w, const float *bias, int N, int H, int W,
                           int C, int O, int KH, int KW, const tfl_conv_params *p) {
    tfl__geom g;
    MOSA_TRY(tfl__conv_check(&g, N, H, W, C, O, KH, KW, p, "tfl_conv2d_ref"));
    for (int n = 0; n < N; n++)
        for (int ho = 0; ho < g.Ho; ho++)
            for (int wo = 0; wo < g.Wo; wo++)
                for (int o = 0; o < O; o++) {
                    double acc = bias ? bias[o] : 0.0;
                    for (int kh = 0; kh < KH; kh++) {
                        int hi = ho * p->stride_h - g.pt + kh * p->dil_h;
                        if (hi < 0 || hi >= H) continue;
                        for (int kw = 0; kw < KW; kw++) {
                            int wi = wo * p->stride_w - g.pl + kw * p->dil_w;
                            if (wi < 0 || wi >= W) continue;
                            const float *x = in + (((int64_t)n * H + hi) * W + wi) * C;
                            const float *f = w + (((int64_t)o * KH + kh) * KW + kw) * C;
                            for (int c = 0; c < C; c++) acc += (double)x[c] * f[c];
                        }
                    }
                    out[(((int64_t)n * g.Ho + ho) * g.Wo + wo) * O + o] = tfl__act1((float)acc, p->act);
                }
    return MOSA_OK;
}

/* im2col of output rows [p0, p0 + rows) of image n: cols (rows x K), K = KH*KW*C. */
static void tfl__im2col(float *cols, const float *img, int H, int W, int C, int KH, int KW, const tfl__geom *g,
                        const tfl_conv_params *p, int p0, int rows) {
    const size_t K = (size_t)KH * KW * C;
    for (int r = 0; r < rows; r++) {
        int ho = (p0 + r) / g->Wo, wo = (p0 + r) % g->Wo;
        float *dst = cols + (size_t)r * K;
        for (int kh = 0; kh < KH; kh++) {
            int hi = ho * p->stride_h - g->pt + kh * p->dil_h;
            for (int kw = 0; kw < KW; kw++, dst += C) {
                int wi = wo * p->stride_w - g->pl + kw * p->dil_w;
                if (hi < 0 || hi >= H || wi < 0 || wi >= W) memset(dst, 0, (size_t)C * sizeof(float));
                else memcpy(dst, img + ((int64_t)hi * W + wi) * C, (size_t)C * sizeof(float));
            }
        }
    }
}

mosa_status tfl_conv2d(float *out, const float *in, const float *w, const float *bias, int N, int H, int W, int C,
                       int O, int KH, int KW, const tfl_conv_params *p) {
    tfl__geom g;
    MOSA_TRY(tfl__conv_check(&g, N, H, W, C, O, KH, KW, p, "tfl_conv2d"));
    const int P = g.Ho * g.Wo;
    const int K = KH * KW * C;
    const bool direct = KH == 1 && KW == 1 && p->stride_h == 1 && p->stride_w == 1; /* pads are 0 */
    /* Scratch slots: one per thread of the team MOSA_PARALLEL_FOR may start. */
    int nth = imax(threads_get(), 1);
#ifdef _OPENMP
    nth = imax(nth, omp_get_max_threads());
#endif
    int rows = imax(TFL_MIN_ROWS, TFL_TILE_FLOATS / K);
    if (direct) rows = 512;
    /* Enough work items for the threads. */
    int per_img = (nth + N - 1) / N;
    rows = imin(rows, imax(TFL_MIN_ROWS, (P + per_img - 1) / per_img));
    rows = imin(rows, P);
    const int tiles = (P + rows - 1) / rows;
    const int64_t items = (int64_t)N * tiles;
    const double flops = 2.0 * N * P * (double)K * O;
    const bool par = flops > 4e6 && items > 1;
    float *scratch = NULL;
    if (!direct) {
        scratch = mosa_malloc((size_t)(par ? nth : 1) * rows * K * sizeof(float));
        if (!scratch) return mosa_fail_context(MOSA_ERR_NOMEM, "tfl_conv2d");
    }
    MOSA_PARALLEL_FOR(par, schedule(dynamic, 1),
    for (int64_t it = 0; it < items; it++) {
        const int n = (int)(it / tiles), p0 = (int)(it % tiles) * rows;
        const int r = imin(rows, P - p0);
        const float *img = in + (int64_t)n * H * W * C;
        float *y = out + ((int64_t)n * P + p0) * O;
        const float *A;
        if (direct) {
            A = img + (int64_t)p0 * C;
        } else {
            const int tid = par ? tfl__tid() : 0;
            MOSA_ASSERT(tid < nth);
            float *cols = scratch + (size_t)tid * rows * K;
            tfl__im2col(cols, img, H, W, C, KH, KW, &g, p, p0, r);
            A = cols;
        }
        if (bias)
            for (int i = 0; i < r; i++) memcpy(y + (size_t)i * O, bias, (size_t)O * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r, O, K, 1.0f, A, K, w, K, bias ? 1.0f : 0.0f, y, O);
        tfl_activate(y, (size_t)r * O, p->act);
    });
    mosa_free(scratch);
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* DEPTHWISE_CONV_2D                                                                           */
/* ------------------------------------------------------------------------------------------ */

mosa_status tfl_depthwise_conv2d(float *out, const float *in, const float *w, const float *bias, int N, int H, int W,
                                 int C, int M, int KH, int KW, const tfl_conv_params *p) {
    tfl__geom g;
    if (M < 1 || (int64_t)C * M > (1 << 24)) return mosa_fail(MOSA_ERR_ARG, "tfl_depthwise_conv2d: bad multiplier");
    MOSA_TRY(tfl__conv_check(&g, N, H, W, C, C * M, KH, KW, p, "tfl_depthwise_conv2d"));
    const int OC = C * M;
    const int64_t items = (int64_t)N * g.Ho;
    const bool par = (int64_t)N * g.Ho * g.Wo * OC * KH * KW > TFL_PAR_WORK && items > 1;
    MOSA_PARALLEL_FOR(par, schedule(static),
    for (int64_t it = 0; it < items; it++) {
        const int n = (int)(it / g.Ho), ho = (int)(it % g.Ho);
        const int kh0 = imax(0, (g.pt - ho * p->stride_h + p->dil_h - 1) / p->dil_h);
        for (int wo = 0; wo < g.Wo; wo++) {
            float *acc = out + (((int64_t)n * g.Ho + ho) * g.Wo + wo) * OC;
            if (bias) memcpy(acc, bias, (size_t)OC * sizeof(float));
            else memset(acc, 0, (size_t)OC * sizeof(float));
            for (int kh = kh0; kh < KH; kh++) {
                int hi = ho * p->stride_h - g.pt + kh * p->dil_h;
                if (hi < 0) continue;
                if (hi >= H) break;
                for (int kw = 0; kw < KW; kw++) {
                    int wi = wo * p->stride_w - g.pl + kw * p->dil_w;
                    if (wi < 0 || wi >= W) continue;
                    const float *x = in + (((int64_t)n * H + hi) * W + wi) * C;
                    const float *f = w + ((int64_t)kh * KW + kw) * OC;
                    if (M == 1) {
                        _Pragma("omp simd")
                        for (int c = 0; c < C; c++) acc[c] += x[c] * f[c];
                    } else {
                        for (int c = 0; c < C; c++) {
                            const float xv = x[c];
                            for (int m = 0; m < M; m++) acc[c * M + m] += xv * f[c * M + m];
                        }
                    }
                }
            }
            tfl_activate(acc, (size_t)OC, p->act);
        }
    });
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Convolution2DTransposeBias                                                                  */
/* ------------------------------------------------------------------------------------------ */

bool tfl_transpose_conv_out_size(int in, int k, int stride, tfl_padding padding, int *out, int *pad_before) {
    if (in < 1 || k < 1 || stride < 1 || (padding != TFL_PAD_SAME && padding != TFL_PAD_VALID)) return false;
    int64_t total = 0;
    if (padding == TFL_PAD_SAME) total = imax(0, k - (in - 1) % stride - 1);
    int64_t o = (int64_t)stride * (in - 1) + k - total;
    if (o < 1 || o >= (1 << 30)) return false;
    *out = (int)o;
    *pad_before = (int)(total / 2);
    return true;
}

mosa_status tfl_transpose_conv_bias(float *out, const float *in, const float *w, const float *bias, int N, int H,
                                    int W, int C, int O, int KH, int KW, int stride_h, int stride_w,
                                    tfl_padding padding) {
    int Ho, Wo, pt, pl;
    if (N < 1 || C < 1 || O < 1 || !tfl_transpose_conv_out_size(H, KH, stride_h, padding, &Ho, &pt) ||
        !tfl_transpose_conv_out_size(W, KW, stride_w, padding, &Wo, &pl))
        return mosa_fail(MOSA_ERR_ARG, "tfl_transpose_conv_bias: invalid dims or parameters");
    /* Gather form: each output element sums the taps that reach it, so rows of the output can
     * be computed independently. oy = iy*s - pt + fy  <=>  iy = (oy + pt - fy) / s exactly. */
    const int64_t items = (int64_t)N * Ho;
    const bool par = (int64_t)N * Ho * Wo * O * C > TFL_PAR_WORK && items > 1;
    MOSA_PARALLEL_FOR(par, schedule(static),
    for (int64_t it = 0; it < items; it++) {
        const int n = (int)(it / Ho), oy = (int)(it % Ho);
        for (int ox = 0; ox < Wo; ox++) {
            float *y = out + (((int64_t)n * Ho + oy) * Wo + ox) * O;
            for (int o = 0; o < O; o++) y[o] = bias ? bias[o] : 0.0f;
            for (int fy = 0; fy < KH; fy++) {
                int ty = oy + pt - fy;
                if (ty < 0 || ty % stride_h) continue;
                int iy = ty / stride_h;
                if (iy >= H) continue;
                for (int fx = 0; fx < KW; fx++) {
                    int tx = ox + pl - fx;
                    if (tx < 0 || tx % stride_w) continue;
                    int ix = tx / stride_w;
                    if (ix >= W) continue;
                    const float *x = in + (((int64_t)n * H + iy) * W + ix) * C;
                    for (int o = 0; o < O; o++) {
                        const float *f = w + (((int64_t)o * KH + fy) * KW + fx) * C;
                        float s = 0.0f;
                        _Pragma("omp simd reduction(+:s)")
                        for (int c = 0; c < C; c++) s += x[c] * f[c];
                        y[o] += s;
                    }
                }
            }
        }
    });
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Element-wise                                                                                */
/* ------------------------------------------------------------------------------------------ */

mosa_status tfl_broadcast_shape(int *out_rank, int out_shape[TFL_MAX_RANK], int ra, const int *sa, int rb,
                                const int *sb) {
    if (ra < 0 || rb < 0 || ra > TFL_MAX_RANK || rb > TFL_MAX_RANK)
        return mosa_fail(MOSA_ERR_ARG, "broadcast: rank out of range");
    int r = imax(ra, rb);
    for (int i = 0; i < r; i++) {
        int da = i - (r - ra) >= 0 ? sa[i - (r - ra)] : 1;
        int db = i - (r - rb) >= 0 ? sb[i - (r - rb)] : 1;
        if (da < 0 || db < 0 || (da != db && da != 1 && db != 1))
            return mosa_fail(MOSA_ERR_ARG, "broadcast: incompatible dims %d and %d (axis %d)", da, db, i);
        out_shape[i] = da == 1 ? db : da;
    }
    *out_rank = r;
    return MOSA_OK;
}

static mosa_status tfl__binary(float *out, const float *a, int ra, const int *sa, const float *b, int rb,
                               const int *sb, tfl_activation act, bool mul) {
    int r, os[TFL_MAX_RANK];
    if (!tfl__act_ok(act)) return mosa_fail(MOSA_ERR_ARG, "add/mul: bad activation %d", (int)act);
    MOSA_TRY(tfl_broadcast_shape(&r, os, ra, sa, rb, sb));
    /* Right-align everything to TFL_MAX_RANK dims; element strides, 0 on broadcast dims. */
    int od[TFL_MAX_RANK];
    int64_t as[TFL_MAX_RANK], bs[TFL_MAX_RANK], na = 1, nb = 1, no = 1;
    for (int i = 0; i < TFL_MAX_RANK; i++) od[i] = i < TFL_MAX_RANK - r ? 1 : os[i - (TFL_MAX_RANK - r)];
    for (int i = TFL_MAX_RANK - 1; i >= 0; i--) {
        int k = i - (TFL_MAX_RANK - ra), l = i - (TFL_MAX_RANK - rb);
        int da = k >= 0 ? sa[k] : 1, db = l >= 0 ? sb[l] : 1;
        as[i] = da == 1 ? 0 : na;
        bs[i] = db == 1 ? 0 : nb;
        na *= da, nb *= db, no *= od[i];
    }
    if (no == 0) return MOSA_OK;
    const int inner = od[TFL_MAX_RANK - 1];
    const int64_t ia = as[TFL_MAX_RANK - 1], ib = bs[TFL_MAX_RANK - 1];
    const int64_t outer = no / inner;
    const bool par = no > TFL_PAR_WORK * 4 && outer > 1;
    MOSA_PARALLEL_FOR(par, schedule(static),
    for (int64_t o = 0; o < outer; o++) {
        int64_t rem = o, oa = 0, ob = 0;
        for (int i = TFL_MAX_RANK - 2; i >= 0; i--) {
            int64_t q = rem % od[i];
            rem /= od[i];
            oa += q * as[i], ob += q * bs[i];
        }
        const float *pa = a + oa, *pb = b + ob;
        float *y = out + o * inner;
        if (ia == 1 && ib == 1) {
            if (mul) {
                _Pragma("omp simd")
                for (int j = 0; j < inner; j++) y[j] = pa[j] * pb[j];
            } else {
                _Pragma("omp simd")
                for (int j = 0; j < inner; j++) y[j] = pa[j] + pb[j];
            }
        } else {
            for (int j = 0; j < inner; j++) y[j] = mul ? pa[j * ia] * pb[j * ib] : pa[j * ia] + pb[j * ib];
        }
        tfl_activate(y, (size_t)inner, act);
    });
    return MOSA_OK;
}

mosa_status tfl_add(float *out, const float *a, int ra, const int *sa, const float *b, int rb, const int *sb,
                    tfl_activation act) {
    return tfl__binary(out, a, ra, sa, b, rb, sb, act, false);
}

mosa_status tfl_mul(float *out, const float *a, int ra, const int *sa, const float *b, int rb, const int *sb,
                    tfl_activation act) {
    return tfl__binary(out, a, ra, sa, b, rb, sb, act, true);
}

void tfl_logistic(float *out, const float *in, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = 1.0f / (1.0f + expf(-in[i]));
}

void tfl_relu(float *out, const float *in, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = in[i] < 0.0f ? 0.0f : in[i];
}

void tfl_relu6(float *out, const float *in, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = in[i] < 0.0f ? 0.0f : (in[i] > 6.0f ? 6.0f : in[i]);
}

void tfl_hard_swish(float *out, const float *in, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = in[i], r = x + 3.0f;
        r = r < 0.0f ? 0.0f : (r > 6.0f ? 6.0f : r);
        out[i] = x * r / 6.0f;
    }
}

void tfl_dequantize_f16(float *out, const uint16_t *in, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t h = in[i], sign = (h & 0x8000u) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, bits;
        if (e == 0x1f) {
            bits = sign | 0x7f800000u | (m << 13); /* inf, nan (payload kept) */
        } else if (e != 0) {
            bits = sign | ((e + 112) << 23) | (m << 13); /* normal: rebias 15 -> 127 */
        } else if (m == 0) {
            bits = sign; /* +-0 */
        } else {
            /* subnormal: m * 2^-24, renormalised */
            int sh = 0;
            while (!(m & 0x400)) m <<= 1, sh++;
            bits = sign | ((uint32_t)(113 - sh) << 23) | ((m & 0x3ff) << 13);
        }
        memcpy(out + i, &bits, 4);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Layout                                                                                      */
/* ------------------------------------------------------------------------------------------ */

mosa_status tfl_pad(float *out, const float *in, int rank, const int *shape, const int32_t *paddings) {
    if (rank < 1 || rank > TFL_MAX_RANK) return mosa_fail(MOSA_ERR_ARG, "tfl_pad: rank %d out of range", rank);
    int is[TFL_MAX_RANK], os[TFL_MAX_RANK], pb[TFL_MAX_RANK];
    int64_t nin = 1, nout = 1;
    for (int i = 0; i < TFL_MAX_RANK; i++) {
        int k = i - (TFL_MAX_RANK - rank);
        is[i] = k >= 0 ? shape[k] : 1;
        pb[i] = k >= 0 ? paddings[2 * k] : 0;
        int pa = k >= 0 ? paddings[2 * k + 1] : 0;
        if (is[i] < 0 || pb[i] < 0 || pa < 0 || (int64_t)is[i] + pb[i] + pa > (1 << 30))
            return mosa_fail(MOSA_ERR_ARG, "tfl_pad: bad shape or paddings on axis %d", k);
        os[i] = is[i] + pb[i] + pa;
        nin *= is[i], nout *= os[i];
        if (nout > ((int64_t)1 << 40)) return mosa_fail(MOSA_ERR_ARG, "tfl_pad: output too large");
    }
    memset(out, 0, (size_t)nout * sizeof(float));
    const int inner = is[TFL_MAX_RANK - 1];
    if (nin == 0 || inner == 0) return MOSA_OK;
    const int64_t outer = nin / inner;
    MOSA_PARALLEL_FOR(nin > TFL_PAR_WORK * 4, schedule(static),
    for (int64_t o = 0; o < outer; o++) {
        int64_t rem = o, off = 0, stride = os[TFL_MAX_RANK - 1];
        for (int i = TFL_MAX_RANK - 2; i >= 0; i--) {
            int64_t q = rem % is[i];
            rem /= is[i];
            off += (q + pb[i]) * stride;
            stride *= os[i];
        }
        memcpy(out + off + pb[TFL_MAX_RANK - 1], in + o * inner, (size_t)inner * sizeof(float));
    });
    return MOSA_OK;
}

void tfl_reshape(float *out, const float *in, size_t n) {
    if (out != in) memmove(out, in, n * sizeof(float));
}

mosa_status tfl_concat(float *out, const float *const *ins, int n_in, int rank, const int *shape, int axis,
                       const int *axis_sizes, tfl_activation act) {
    if (n_in < 1 || rank < 1 || rank > TFL_MAX_RANK || axis < -rank || axis >= rank || !tfl__act_ok(act))
        return mosa_fail(MOSA_ERR_ARG, "tfl_concat: bad arguments");
    if (axis < 0) axis += rank;
    int64_t outer = 1, inner = 1, total = 0;
    for (int i = 0; i < axis; i++) outer *= shape[i];
    for (int i = axis + 1; i < rank; i++) inner *= shape[i];
    for (int j = 0; j < n_in; j++) {
        if (axis_sizes[j] < 0) return mosa_fail(MOSA_ERR_ARG, "tfl_concat: negative size");
        total += axis_sizes[j];
    }
    float *y = out;
    for (int64_t o = 0; o < outer; o++)
        for (int j = 0; j < n_in; j++) {
            size_t len = (size_t)(axis_sizes[j] * inner);
            memcpy(y, ins[j] + o * len, len * sizeof(float));
            y += len;
        }
    tfl_activate(out, (size_t)(outer * total * inner), act);
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Pooling, mean, resize                                                                       */
/* ------------------------------------------------------------------------------------------ */

static mosa_status tfl__pool(float *out, const float *in, int N, int H, int W, int C, const tfl_pool_params *p,
                             bool is_max) {
    if (!p || N < 1 || H < 1 || W < 1 || C < 1 || p->filter_h < 1 || p->filter_w < 1 || p->stride_h < 1 ||
        p->stride_w < 1 || !tfl__act_ok(p->act) || (p->padding != TFL_PAD_SAME && p->padding != TFL_PAD_VALID))
        return mosa_fail(MOSA_ERR_ARG, "pool2d: invalid dims or parameters");
    const int Ho = tfl_out_size(H, p->filter_h, p->stride_h, 1, p->padding);
    const int Wo = tfl_out_size(W, p->filter_w, p->stride_w, 1, p->padding);
    if (Ho < 1 || Wo < 1) return mosa_fail(MOSA_ERR_ARG, "pool2d: empty output");
    const int pt = tfl_pad_before(H, p->filter_h, p->stride_h, 1, p->padding);
    const int pl = tfl_pad_before(W, p->filter_w, p->stride_w, 1, p->padding);
    const int64_t items = (int64_t)N * Ho;
    const bool par = (int64_t)N * Ho * Wo * C * p->filter_h * p->filter_w > TFL_PAR_WORK && items > 1;
    MOSA_PARALLEL_FOR(par, schedule(static),
    for (int64_t it = 0; it < items; it++) {
        const int n = (int)(it / Ho), ho = (int)(it % Ho);
        const int y0 = ho * p->stride_h - pt;
        const int fy0 = imax(0, -y0), fy1 = imin(p->filter_h, H - y0);
        for (int wo = 0; wo < Wo; wo++) {
            const int x0 = wo * p->stride_w - pl;
            const int fx0 = imax(0, -x0), fx1 = imin(p->filter_w, W - x0);
            float *y = out + (((int64_t)n * Ho + ho) * Wo + wo) * C;
            for (int c = 0; c < C; c++) y[c] = is_max ? -INFINITY : 0.0f;
            for (int fy = fy0; fy < fy1; fy++)
                for (int fx = fx0; fx < fx1; fx++) {
                    const float *x = in + (((int64_t)n * H + y0 + fy) * W + x0 + fx) * C;
                    if (is_max) {
                        for (int c = 0; c < C; c++) y[c] = x[c] > y[c] ? x[c] : y[c];
                    } else {
                        _Pragma("omp simd")
                        for (int c = 0; c < C; c++) y[c] += x[c];
                    }
                }
            if (!is_max) {
                const int count = (fy1 - fy0) * (fx1 - fx0);
                const float inv = count > 0 ? (float)count : 1.0f;
                for (int c = 0; c < C; c++) y[c] /= inv;
            }
            tfl_activate(y, (size_t)C, p->act);
        }
    });
    return MOSA_OK;
}

mosa_status tfl_max_pool2d(float *out, const float *in, int N, int H, int W, int C, const tfl_pool_params *p) {
    return tfl__pool(out, in, N, H, W, C, p, true);
}

mosa_status tfl_avg_pool2d(float *out, const float *in, int N, int H, int W, int C, const tfl_pool_params *p) {
    return tfl__pool(out, in, N, H, W, C, p, false);
}

mosa_status tfl_mean_hw(float *out, const float *in, int N, int H, int W, int C) {
    if (N < 1 || H < 1 || W < 1 || C < 1) return mosa_fail(MOSA_ERR_ARG, "tfl_mean_hw: invalid dims");
    const int64_t HW = (int64_t)H * W;
    for (int n = 0; n < N; n++) {
        float *y = out + (int64_t)n * C;
        for (int c0 = 0; c0 < C; c0 += 64) {
            const int cn = imin(64, C - c0);
            double acc[64] = {0};
            for (int64_t i = 0; i < HW; i++) {
                const float *x = in + ((int64_t)n * HW + i) * C + c0;
                for (int c = 0; c < cn; c++) acc[c] += x[c];
            }
            for (int c = 0; c < cn; c++) y[c0 + c] = (float)(acc[c] / (double)HW);
        }
    }
    return MOSA_OK;
}

/* TFLite's ComputeInterpolationValues. */
static inline void tfl__interp(int v, float scale, bool half, int size, float *s, int *lo, int *hi) {
    *s = half ? ((float)v + 0.5f) * scale - 0.5f : (float)v * scale;
    *lo = imax((int)floorf(*s), 0);
    *hi = imin((int)ceilf(*s), size - 1);
}

mosa_status tfl_resize_bilinear(float *out, const float *in, int N, int H, int W, int C, int Ho, int Wo,
                                bool align_corners, bool half_pixel_centers) {
    if (N < 1 || H < 1 || W < 1 || C < 1 || Ho < 1 || Wo < 1 || (align_corners && half_pixel_centers))
        return mosa_fail(MOSA_ERR_ARG, "tfl_resize_bilinear: invalid dims or flags");
    const float sh = align_corners && Ho > 1 ? (float)(H - 1) / (float)(Ho - 1) : (float)H / (float)Ho;
    const float sw = align_corners && Wo > 1 ? (float)(W - 1) / (float)(Wo - 1) : (float)W / (float)Wo;
    const int64_t items = (int64_t)N * Ho;
    MOSA_PARALLEL_FOR((int64_t)N * Ho * Wo * C > TFL_PAR_WORK && items > 1, schedule(static),
    for (int64_t it = 0; it < items; it++) {
        const int n = (int)(it / Ho), oy = (int)(it % Ho);
        float fy;
        int y0, y1;
        tfl__interp(oy, sh, half_pixel_centers, H, &fy, &y0, &y1);
        const float dy = fy - (float)y0;
        const float *r0 = in + ((int64_t)n * H + y0) * W * C, *r1 = in + ((int64_t)n * H + y1) * W * C;
        for (int ox = 0; ox < Wo; ox++) {
            float fx;
            int x0, x1;
            tfl__interp(ox, sw, half_pixel_centers, W, &fx, &x0, &x1);
            const float dx = fx - (float)x0;
            const float *a = r0 + (int64_t)x0 * C, *b = r1 + (int64_t)x0 * C;
            const float *c_ = r0 + (int64_t)x1 * C, *d = r1 + (int64_t)x1 * C;
            float *y = out + (((int64_t)n * Ho + oy) * Wo + ox) * C;
            _Pragma("omp simd")
            for (int c = 0; c < C; c++)
                y[c] = a[c] * (1 - dy) * (1 - dx) + b[c] * dy * (1 - dx) + c_[c] * (1 - dy) * dx + d[c] * dy * dx;
        }
    });
    return MOSA_OK;
}
