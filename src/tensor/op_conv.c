/* op_conv.c: 1D/2D/3D convolution and the causal 3D convolution of video VAEs (CogVideoX's
 * CausalConv3d, with the frame cache that lets a VAE decode in temporal chunks), forward and
 * backward, plus the naive reference kernels the tests hold them to.
 *
 * How the fast path works. Every conv runs as a 3D conv (1D and 2D have size-1 T and H dims).
 * The weights are repacked as Wp (F, KT, C*KH*KW) so that each temporal tap kt is a contiguous
 * column block, and an output frame is a sum over taps of GEMMs:
 *     y[n, :, to, tile] += Wp[:, kt] @ cols(input frame to*st + kt*dt, tile)
 * where cols is the 2D im2col (C*KH*KW rows) of ONE input frame restricted to a tile of output
 * positions. Tiles bound the scratch (CONV_TILE_FLOATS per column matrix); a video is never
 * im2col'd whole. Each thread walks consecutive output frames and keeps the column matrices of
 * the last (KT-1)*dt+1 input frames in a small ring, so every input frame is im2col'd once per
 * tile rather than KT times. Work items (sample, tile, output frame) are spread over OpenMP
 * threads, each calling a single-threaded sgemm (OpenBLAS runs single-threaded inside our
 * parallel regions). Backward: dW by the same walk (per-thread partial dW, summed at the end);
 * dX by destination frame (and channel block), so no two threads ever write the same element:
 * dcols = sum over (to, kt) reading that frame of Wp[:, kt]^T @ dy[to], then one col2im.
 * Kernels with a 1x1 spatial footprint, stride 1 and no spatial padding skip im2col: the
 * columns are the input frame itself. A 1x1x1 stride-1 conv is a plain GEMM per sample (in
 * column blocks, one per work item).
 *
 * What this is not: grouped, depthwise or transposed convs, or padding modes other than zeros
 * (plus the causal replicate/cache padding on T). */
#include "ops.h"

#include <cblas.h>
#include <limits.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#ifndef CONV_TILE_FLOATS
#define CONV_TILE_FLOATS (1 << 19) /* bound on one column matrix (2 MiB) */
#endif
#define CONV_MIN_COLS 128          /* smallest tile worth a GEMM, in output positions */
#define CONV_PAR_FLOPS 2e6         /* below this a conv runs on one thread */

static inline int conv__tid(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

int conv_dims_output(conv_dims *d) {
    int pt_total = d->causal ? d->pt : 2 * d->pt;
    d->To = d->st > 0 ? (d->T + pt_total - d->dt * (d->KT - 1) - 1) / d->st + 1 : 0;
    d->Ho = d->sh > 0 ? (d->H + 2 * d->ph - d->dh * (d->KH - 1) - 1) / d->sh + 1 : 0;
    d->Wo = d->sw > 0 ? (d->W + 2 * d->pw - d->dw * (d->KW - 1) - 1) / d->sw + 1 : 0;
    return d->To >= 1 && d->Ho >= 1 && d->Wo >= 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Reference kernels: direct loops, one output element at a time                              */
/* ------------------------------------------------------------------------------------------ */

/* The frame of the (virtually) padded input that padded index tp of sample n reads, as a pointer
 * to its channel-0 plane with channel stride *cs, or NULL for a zero frame. `x`/`cache` may be
 * data or gradient buffers (same layouts). */
static inline float *conv__frame(const conv_dims *d, float *x, float *cache, int n, int tp, int64_t *cs) {
    const int64_t HW = (int64_t)d->H * d->W;
    if (d->causal) {
        if (tp < d->pt) {
            if (cache) {
                *cs = (int64_t)d->pt * HW;
                return cache + ((int64_t)n * d->C * d->pt + tp) * HW;
            }
            tp = 0;
        } else {
            tp -= d->pt;
        }
    } else {
        tp -= d->pt;
        if (tp < 0 || tp >= d->T) return NULL;
    }
    *cs = (int64_t)d->T * HW;
    return x + ((int64_t)n * d->C * d->T + tp) * HW;
}

void conv3d_forward_ref(float *out, const float *inp, const float *cache, const float *w, const float *b,
                        const conv_dims *d) {
    // inp is (N,C,T,H,W), w is (F,C,KT,KH,KW), out is (N,F,To,Ho,Wo)
    for (int n = 0; n < d->N; n++)
        for (int f = 0; f < d->F; f++)
            for (int to = 0; to < d->To; to++)
                for (int ho = 0; ho < d->Ho; ho++)
                    for (int wo = 0; wo < d->Wo; wo++) {
                        double acc = b ? b[f] : 0.0;
                        for (int c = 0; c < d->C; c++)
                            for (int kt = 0; kt < d->KT; kt++) {
                                int64_t cs;
                                const float *fr = conv__frame(d, (float *)inp, (float *)cache, n, to * d->st + kt * d->dt, &cs);
                                if (!fr) continue;
                                for (int kh = 0; kh < d->KH; kh++) {
                                    int hi = ho * d->sh + kh * d->dh - d->ph;
                                    if (hi < 0 || hi >= d->H) continue;
                                    for (int kw = 0; kw < d->KW; kw++) {
                                        int wi = wo * d->sw + kw * d->dw - d->pw;
                                        if (wi < 0 || wi >= d->W) continue;
                                        acc += (double)fr[c * cs + (int64_t)hi * d->W + wi] *
                                               w[(((int64_t)f * d->C + c) * d->KT + kt) * d->KH * d->KW + kh * d->KW + kw];
                                    }
                                }
                            }
                        out[((((int64_t)n * d->F + f) * d->To + to) * d->Ho + ho) * d->Wo + wo] = (float)acc;
                    }
}

void conv3d_backward_ref(float *dinp, float *dcache, float *dw, float *db, const float *dout, const float *inp,
                         const float *cache, const float *w, const conv_dims *d) {
    // dout is (N,F,To,Ho,Wo); every tap that read an input element sends its share back
    for (int n = 0; n < d->N; n++)
        for (int f = 0; f < d->F; f++)
            for (int to = 0; to < d->To; to++)
                for (int ho = 0; ho < d->Ho; ho++)
                    for (int wo = 0; wo < d->Wo; wo++) {
                        float g = dout[((((int64_t)n * d->F + f) * d->To + to) * d->Ho + ho) * d->Wo + wo];
                        if (db) db[f] += g;
                        for (int c = 0; c < d->C; c++)
                            for (int kt = 0; kt < d->KT; kt++) {
                                int64_t cs, gcs = 0;
                                int tp = to * d->st + kt * d->dt;
                                const float *fr = conv__frame(d, (float *)inp, (float *)cache, n, tp, &cs);
                                if (!fr) continue;
                                /* The grad frame: the cache's grad for cache frames, else x's. */
                                float *gfr = NULL;
                                if (d->causal && tp < d->pt && cache)
                                    gfr = dcache ? conv__frame(d, dinp, dcache, n, tp, &gcs) : NULL;
                                else
                                    gfr = dinp ? conv__frame(d, dinp, NULL, n, tp, &gcs) : NULL;
                                for (int kh = 0; kh < d->KH; kh++) {
                                    int hi = ho * d->sh + kh * d->dh - d->ph;
                                    if (hi < 0 || hi >= d->H) continue;
                                    for (int kw = 0; kw < d->KW; kw++) {
                                        int wi = wo * d->sw + kw * d->dw - d->pw;
                                        if (wi < 0 || wi >= d->W) continue;
                                        int64_t wix = (((int64_t)f * d->C + c) * d->KT + kt) * d->KH * d->KW + kh * d->KW + kw;
                                        int64_t xo = c * cs + (int64_t)hi * d->W + wi;
                                        if (dw) dw[wix] += g * fr[xo];
                                        if (gfr) gfr[c * gcs + (int64_t)hi * d->W + wi] += g * w[wix];
                                    }
                                }
                            }
                    }
}

void conv1d_forward_ref(float *out, const float *inp, const float *w, const float *b, int N, int C, int L, int F,
                        int K, int stride, int pad, int dil) {
    // inp is (N,C,L), w is (F,C,K), out is (N,F,Lo)
    const int Lo = (L + 2 * pad - dil * (K - 1) - 1) / stride + 1;
    for (int n = 0; n < N; n++)
        for (int f = 0; f < F; f++)
            for (int lo = 0; lo < Lo; lo++) {
                double acc = b ? b[f] : 0.0;
                for (int c = 0; c < C; c++)
                    for (int k = 0; k < K; k++) {
                        int li = lo * stride + k * dil - pad;
                        if (li >= 0 && li < L) acc += (double)inp[((int64_t)n * C + c) * L + li] * w[((int64_t)f * C + c) * K + k];
                    }
                out[((int64_t)n * F + f) * Lo + lo] = (float)acc;
            }
}

void conv1d_backward_ref(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                         int N, int C, int L, int F, int K, int stride, int pad, int dil) {
    const int Lo = (L + 2 * pad - dil * (K - 1) - 1) / stride + 1;
    for (int n = 0; n < N; n++)
        for (int f = 0; f < F; f++)
            for (int lo = 0; lo < Lo; lo++) {
                float g = dout[((int64_t)n * F + f) * Lo + lo];
                if (db) db[f] += g;
                for (int c = 0; c < C; c++)
                    for (int k = 0; k < K; k++) {
                        int li = lo * stride + k * dil - pad;
                        if (li < 0 || li >= L) continue;
                        if (dw) dw[((int64_t)f * C + c) * K + k] += g * inp[((int64_t)n * C + c) * L + li];
                        if (dinp) dinp[((int64_t)n * C + c) * L + li] += g * w[((int64_t)f * C + c) * K + k];
                    }
            }
}

void conv2d_forward_ref(float *out, const float *inp, const float *w, const float *b, int N, int C, int H, int W,
                        int F, int KH, int KW, const int stride[2], const int pad[2], const int dil[2]) {
    // inp is (N,C,H,W), w is (F,C,KH,KW), out is (N,F,Ho,Wo)
    const int Ho = (H + 2 * pad[0] - dil[0] * (KH - 1) - 1) / stride[0] + 1;
    const int Wo = (W + 2 * pad[1] - dil[1] * (KW - 1) - 1) / stride[1] + 1;
    for (int n = 0; n < N; n++)
        for (int f = 0; f < F; f++)
            for (int ho = 0; ho < Ho; ho++)
                for (int wo = 0; wo < Wo; wo++) {
                    double acc = b ? b[f] : 0.0;
                    for (int c = 0; c < C; c++)
                        for (int kh = 0; kh < KH; kh++)
                            for (int kw = 0; kw < KW; kw++) {
                                int hi = ho * stride[0] + kh * dil[0] - pad[0];
                                int wi = wo * stride[1] + kw * dil[1] - pad[1];
                                if (hi < 0 || hi >= H || wi < 0 || wi >= W) continue;
                                acc += (double)inp[(((int64_t)n * C + c) * H + hi) * W + wi] *
                                       w[(((int64_t)f * C + c) * KH + kh) * KW + kw];
                            }
                    out[(((int64_t)n * F + f) * Ho + ho) * Wo + wo] = (float)acc;
                }
}

void conv2d_backward_ref(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                         int N, int C, int H, int W, int F, int KH, int KW, const int stride[2], const int pad[2],
                         const int dil[2]) {
    const int Ho = (H + 2 * pad[0] - dil[0] * (KH - 1) - 1) / stride[0] + 1;
    const int Wo = (W + 2 * pad[1] - dil[1] * (KW - 1) - 1) / stride[1] + 1;
    for (int n = 0; n < N; n++)
        for (int f = 0; f < F; f++)
            for (int ho = 0; ho < Ho; ho++)
                for (int wo = 0; wo < Wo; wo++) {
                    float g = dout[(((int64_t)n * F + f) * Ho + ho) * Wo + wo];
                    if (db) db[f] += g;
                    for (int c = 0; c < C; c++)
                        for (int kh = 0; kh < KH; kh++)
                            for (int kw = 0; kw < KW; kw++) {
                                int hi = ho * stride[0] + kh * dil[0] - pad[0];
                                int wi = wo * stride[1] + kw * dil[1] - pad[1];
                                if (hi < 0 || hi >= H || wi < 0 || wi >= W) continue;
                                int64_t xi = (((int64_t)n * C + c) * H + hi) * W + wi;
                                int64_t wix = (((int64_t)f * C + c) * KH + kh) * KW + kw;
                                if (dw) dw[wix] += g * inp[xi];
                                if (dinp) dinp[xi] += g * w[wix];
                            }
                }
}

/* ------------------------------------------------------------------------------------------ */
/* The fast path: tiled im2col + sgemm                                                         */
/* ------------------------------------------------------------------------------------------ */

/* A conv's execution plan, kept on the tape for the backward. */
typedef struct conv_plan {
    conv_dims d;          /* engine geometry (a 1x1x1 stride-1 conv is flattened to one long row) */
    int direct;           /* 1x1 spatial taps, stride 1, no spatial padding: cols = the input frame */
    int64_t HoWo, CKK, K; /* output positions per frame; C*KH*KW; KT*C*KH*KW */
    int cols, ntiles;     /* output positions per tile, tiles per output frame */
    int R, ring_by_tap;   /* column-matrix ring slots per thread; slot = kt instead of tp % R */
} conv_plan;

/* Per-thread scratch. */
typedef struct conv_ws {
    float *ring;          /* R column matrices of CKK*cols floats */
    const float **tag;    /* source frame held by each slot */
    int *tag_tile;        /* and its tile */
    float *buf;           /* dX: dcols (CKK*cols); dW: the partial dW (F*K) */
} conv_ws;

static void conv__plan_init(conv_plan *p, const conv_dims *user, int nthr) {
    memset(p, 0, sizeof *p);
    p->d = *user;
    conv_dims *d = &p->d;
    p->direct = d->KH == 1 && d->KW == 1 && d->sh == 1 && d->sw == 1 && d->ph == 0 && d->pw == 0;
    if (p->direct && d->KT == 1 && d->st == 1 && d->pt == 0) {
        /* 1x1x1, stride 1: the whole (T,H,W) volume is one row of positions; one GEMM per sample. */
        d->W = d->Wo = d->T * d->H * d->W;
        d->T = d->H = d->To = d->Ho = 1;
        d->dt = 1;
    }
    p->HoWo = (int64_t)d->Ho * d->Wo;
    p->CKK = (int64_t)d->C * d->KH * d->KW;
    p->K = p->CKK * d->KT;
    int64_t maxcols = p->direct ? p->HoWo : CONV_TILE_FLOATS / p->CKK;
    if (maxcols < CONV_MIN_COLS) maxcols = CONV_MIN_COLS;
    if (maxcols > p->HoWo) maxcols = p->HoWo;
    int64_t ntiles = (p->HoWo + maxcols - 1) / maxcols;
    /* Few frames: cut frames into more tiles so every thread gets work. */
    int64_t frames = (int64_t)d->N * d->To, want = 2 * (int64_t)nthr;
    if (frames > 0 && frames * ntiles < want) {
        int64_t more = (want + frames - 1) / frames, cap = p->HoWo / CONV_MIN_COLS;
        if (more > cap) more = cap;
        if (more > ntiles) ntiles = more;
    }
    if (ntiles < 1) ntiles = 1;
    int64_t cols = (p->HoWo + ntiles - 1) / ntiles;
    if (cols < p->HoWo) cols = (cols + 15) & ~(int64_t)15; /* whole cache lines per tile */
    if (cols > p->HoWo) cols = p->HoWo;
    p->cols = (int)cols;
    p->ntiles = (int)((p->HoWo + cols - 1) / cols);
    if (!p->direct) {
        p->R = (d->KT - 1) * d->dt + 1;
        if (p->R > 2 * d->KT) {
            p->R = d->KT;
            p->ring_by_tap = 1;
        }
    }
}

static double conv__flops(const conv_plan *p) {
    return 2.0 * p->d.N * p->d.To * (double)p->HoWo * p->d.F * (double)p->K;
}

/* col (C*KH*KW rows, nc columns) = the spatial taps of one input frame (channel-0 plane src,
 * channel stride cs) for output positions [p0, p0+nc) of a frame; zero where padded. */
static void im2col_tile(float *col, const float *src, int64_t cs, const conv_dims *d, int64_t p0, int nc) {
    const int H = d->H, W = d->W, Wo = d->Wo;
    for (int c = 0; c < d->C; c++) {
        const float *plane = src + c * cs;
        for (int kh = 0; kh < d->KH; kh++)
            for (int kw = 0; kw < d->KW; kw++) {
                float *row = col + ((int64_t)(c * d->KH + kh) * d->KW + kw) * nc;
                const int hoff = kh * d->dh - d->ph, woff = kw * d->dw - d->pw;
                int64_t p = p0;
                int j = 0;
                while (j < nc) { /* one run per output row */
                    const int ho = (int)(p / Wo), wo0 = (int)(p % Wo);
                    const int len = imin(Wo - wo0, nc - j);
                    const int hi = ho * d->sh + hoff;
                    float *o = row + j;
                    if (hi < 0 || hi >= H) {
                        memset(o, 0, (size_t)len * sizeof(float));
                    } else {
                        const float *ir = plane + (int64_t)hi * W;
                        if (d->sw == 1) {
                            const int a = imax(0, imin(len, -woff - wo0)), e = imax(a, imin(len, W - woff - wo0));
                            if (a) memset(o, 0, (size_t)a * sizeof(float));
                            if (e > a) memcpy(o + a, ir + wo0 + woff + a, (size_t)(e - a) * sizeof(float));
                            if (len > e) memset(o + e, 0, (size_t)(len - e) * sizeof(float));
                        } else {
                            for (int k = 0; k < len; k++) {
                                int wi = (wo0 + k) * d->sw + woff;
                                o[k] = (wi >= 0 && wi < W) ? ir[wi] : 0.0f;
                            }
                        }
                    }
                    j += len;
                    p += len;
                }
            }
    }
}

/* The adjoint of im2col_tile for channels [c0, c1): dst planes += col (rows of channel c0 first). */
static void col2im_tile(float *dst, int64_t cs, const float *col, const conv_dims *d, int64_t p0, int nc, int c0,
                        int c1) {
    const int H = d->H, W = d->W, Wo = d->Wo;
    for (int c = c0; c < c1; c++) {
        float *plane = dst + c * cs;
        for (int kh = 0; kh < d->KH; kh++)
            for (int kw = 0; kw < d->KW; kw++) {
                const float *row = col + ((int64_t)((c - c0) * d->KH + kh) * d->KW + kw) * nc;
                const int hoff = kh * d->dh - d->ph, woff = kw * d->dw - d->pw;
                int64_t p = p0;
                int j = 0;
                while (j < nc) {
                    const int ho = (int)(p / Wo), wo0 = (int)(p % Wo);
                    const int len = imin(Wo - wo0, nc - j);
                    const int hi = ho * d->sh + hoff;
                    if (hi >= 0 && hi < H) {
                        const float *g = row + j;
                        float *ir = plane + (int64_t)hi * W;
                        if (d->sw == 1) {
                            const int a = imax(0, imin(len, -woff - wo0)), e = imax(a, imin(len, W - woff - wo0));
                            float *q = ir + wo0 + woff;
                            for (int k = a; k < e; k++) q[k] += g[k];
                        } else {
                            for (int k = 0; k < len; k++) {
                                int wi = (wo0 + k) * d->sw + woff;
                                if (wi >= 0 && wi < W) ir[wi] += g[k];
                            }
                        }
                    }
                    j += len;
                    p += len;
                }
            }
    }
}

/* The column matrix of input frame `src` (padded index tp, tap kt) for tile g: a ring slot,
 * im2col'd unless the slot already holds it, or the frame itself in direct mode. *ld: its
 * leading dimension. */
static const float *conv__cols(const conv_plan *p, conv_ws *ws, const float *src, int64_t cs, int g, int tp, int kt,
                               int *ld) {
    const int64_t p0 = (int64_t)g * p->cols;
    const int nc = (int)(p->HoWo - p0 < p->cols ? p->HoWo - p0 : p->cols);
    if (p->direct) {
        *ld = (int)cs;
        return src + p0;
    }
    const int slot = p->ring_by_tap ? kt : tp % p->R;
    float *col = ws->ring + (int64_t)slot * p->CKK * p->cols;
    *ld = nc;
    if (ws->tag[slot] != src || ws->tag_tile[slot] != g) {
        im2col_tile(col, src, cs, &p->d, p0, nc);
        ws->tag[slot] = src;
        ws->tag_tile[slot] = g;
    }
    return col;
}

/* Carves one conv_ws per thread from the arena: a ring when `ring`, plus buf_floats each. */
static conv_ws *conv__ws_alloc(ctx *c, const conv_plan *p, int nthr, int ring, int64_t buf_floats, int zero_buf) {
    conv_ws *ws = arena_alloc(&c->mem, (size_t)nthr * sizeof(conv_ws));
    if (!ws) return NULL;
    for (int t = 0; t < nthr; t++) {
        memset(&ws[t], 0, sizeof ws[t]);
        if (ring && p->R > 0) {
            ws[t].ring = arena_alloc(&c->mem, (size_t)p->R * (size_t)p->CKK * (size_t)p->cols * sizeof(float));
            ws[t].tag = arena_calloc(&c->mem, (size_t)p->R * sizeof(float *));
            ws[t].tag_tile = arena_alloc(&c->mem, (size_t)p->R * sizeof(int));
            if (!ws[t].ring || !ws[t].tag || !ws[t].tag_tile) return NULL;
        }
        if (buf_floats > 0) {
            ws[t].buf = zero_buf ? arena_calloc(&c->mem, (size_t)buf_floats * sizeof(float))
                                 : arena_alloc(&c->mem, (size_t)buf_floats * sizeof(float));
            if (!ws[t].buf) return NULL;
        }
    }
    return ws;
}

/* wp (F, KT, C*KH*KW) from w (F, C, KT, KH, KW): each temporal tap becomes a column block. */
static void conv__repack(float *wp, const float *w, const conv_dims *d) {
    const int64_t KK = (int64_t)d->KH * d->KW;
    for (int f = 0; f < d->F; f++)
        for (int c = 0; c < d->C; c++)
            for (int kt = 0; kt < d->KT; kt++)
                memcpy(wp + ((int64_t)f * d->KT + kt) * d->C * KK + c * KK,
                       w + (((int64_t)f * d->C + c) * d->KT + kt) * KK, (size_t)KK * sizeof(float));
}

/* out (N,F,To,HoWo) = conv(x, cache) with repacked weights wp and bias b (or NULL). */
static void conv__forward(float *out, const float *x, const float *cache, const float *wp, const float *b,
                          const conv_plan *p, conv_ws *ws, int nthr) {
    const conv_dims *d = &p->d;
    const int64_t items = (int64_t)d->N * p->ntiles * d->To, ldy = (int64_t)d->To * p->HoWo;
    const int par = nthr > 1 && items > 1 && conv__flops(p) > CONV_PAR_FLOPS;
    (void)par; /* unused without OpenMP */
    /* Static schedule: each thread walks consecutive output frames, so its ring gets hits. */
MOSA_PARALLEL_FOR(par, schedule(static) num_threads(nthr),
    for (int64_t it = 0; it < items; it++) {
        conv_ws *w = &ws[conv__tid()];
        const int to = (int)(it % d->To), g = (int)((it / d->To) % p->ntiles), n = (int)(it / d->To / p->ntiles);
        const int64_t p0 = (int64_t)g * p->cols;
        const int nc = (int)(p->HoWo - p0 < p->cols ? p->HoWo - p0 : p->cols);
        float *yb = out + ((int64_t)n * d->F * d->To + to) * p->HoWo + p0;
        for (int f = 0; f < d->F; f++) {
            float *yr = yb + f * ldy, v = b ? b[f] : 0.0f;
            for (int j = 0; j < nc; j++) yr[j] = v;
        }
        for (int kt = 0; kt < d->KT; kt++) {
            const int tp = to * d->st + kt * d->dt;
            int64_t cs;
            const float *src = conv__frame(d, (float *)x, (float *)cache, n, tp, &cs);
            if (!src) continue;
            int ld;
            const float *B = conv__cols(p, w, src, cs, g, tp, kt, &ld);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d->F, nc, (int)p->CKK, 1.0f, wp + kt * p->CKK,
                        (int)p->K, B, ld, 1.0f, yb, (int)ldy);
        }
    });
}

/* dwp (F, K) += sum over (n, to, tile) of dy_tile @ cols^T, through per-thread partials. */
static void conv__backward_w(float *dwp, const float *dy, const float *x, const float *cache, const conv_plan *p,
                             conv_ws *ws, int nthr) {
    const conv_dims *d = &p->d;
    const int64_t items = (int64_t)d->N * p->ntiles * d->To, ldy = (int64_t)d->To * p->HoWo;
    const int par = nthr > 1 && items > 1 && conv__flops(p) > CONV_PAR_FLOPS;
    (void)par; /* unused without OpenMP */
MOSA_PARALLEL_FOR(par, schedule(static) num_threads(nthr),
    for (int64_t it = 0; it < items; it++) {
        conv_ws *w = &ws[conv__tid()];
        const int to = (int)(it % d->To), g = (int)((it / d->To) % p->ntiles), n = (int)(it / d->To / p->ntiles);
        const int64_t p0 = (int64_t)g * p->cols;
        const int nc = (int)(p->HoWo - p0 < p->cols ? p->HoWo - p0 : p->cols);
        const float *dyb = dy + ((int64_t)n * d->F * d->To + to) * p->HoWo + p0;
        for (int kt = 0; kt < d->KT; kt++) {
            const int tp = to * d->st + kt * d->dt;
            int64_t cs;
            const float *src = conv__frame(d, (float *)x, (float *)cache, n, tp, &cs);
            if (!src) continue;
            int ld;
            const float *B = conv__cols(p, w, src, cs, g, tp, kt, &ld);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d->F, (int)p->CKK, nc, 1.0f, dyb, (int)ldy, B, ld,
                        1.0f, w->buf + kt * p->CKK, (int)p->K);
        }
    });
    const int64_t FK = (int64_t)d->F * p->K;
MOSA_PARALLEL_FOR(FK * nthr > 65536, ,
    for (int64_t i = 0; i < FK; i++) {
        float s = 0.0f;
        for (int t = 0; t < nthr; t++) s += ws[t].buf[i];
        dwp[i] += s;
    });
}

/* The padded frame indices [*lo, *hi] whose data is destination frame e: e < Pc is cache frame e,
 * else x frame e - Pc (Pc = number of cache frames, 0 without a cache). */
static void conv__dest_range(const conv_dims *d, int has_cache, int e, int *lo, int *hi) {
    const int Pc = has_cache ? d->pt : 0;
    if (e < Pc) {
        *lo = *hi = e;
    } else {
        const int t = e - Pc;
        *lo = *hi = t + d->pt;
        if (d->causal && !has_cache && t == 0) *lo = 0; /* replicated first frame */
    }
}

/* gx (and gcache) += the input gradient of the conv. A work item is one (sample, destination
 * frame) and either one tile (direct mode: tiles write disjoint columns) or one block of
 * channels (im2col mode: the col2im of neighbouring tiles overlaps), so no two threads ever
 * write the same element. */
static void conv__backward_x(float *gx, float *gcache, const float *dy, const float *wp, const conv_plan *p,
                             conv_ws *ws, int nthr, int has_cache) {
    const conv_dims *d = &p->d;
    const int Pc = has_cache ? d->pt : 0;
    const int ndest = Pc + d->T;
    const int64_t KK = (int64_t)d->KH * d->KW, ldy = (int64_t)d->To * p->HoWo;
    const int64_t frames = (int64_t)d->N * ndest;
    /* Channel blocks (im2col mode) when there are too few frames to go round. */
    int ncb = 1;
    if (!p->direct && frames < 2 * nthr) {
        ncb = (int)((2 * nthr + frames - 1) / frames);
        ncb = imin(ncb, imax(1, (int)(p->CKK / 64)));
        ncb = imin(ncb, d->C);
    }
    const int cblk = (d->C + ncb - 1) / ncb;
    ncb = (d->C + cblk - 1) / cblk;
    const int nsub = p->direct ? p->ntiles : ncb; /* items per destination frame */
    const int64_t items = frames * nsub;
    const int par = nthr > 1 && items > 1 && conv__flops(p) > CONV_PAR_FLOPS;
    (void)par; /* unused without OpenMP */
MOSA_PARALLEL_FOR(par, schedule(dynamic, 1) num_threads(nthr),
    for (int64_t it = 0; it < items; it++) {
        conv_ws *w = &ws[conv__tid()];
        const int sub = (int)(it % nsub), e = (int)((it / nsub) % ndest), n = (int)(it / nsub / ndest);
        const int c0 = p->direct ? 0 : sub * cblk, c1 = p->direct ? d->C : imin(d->C, c0 + cblk);
        const int g_lo = p->direct ? sub : 0, g_hi = p->direct ? sub + 1 : p->ntiles;
        const int M = (int)((c1 - c0) * KK);
        float *dst;
        int64_t cs;
        if (e < Pc) {
            if (!gcache) continue;
            cs = (int64_t)Pc * d->H * d->W;
            dst = gcache + ((int64_t)n * d->C * Pc + e) * d->H * d->W;
        } else {
            if (!gx) continue;
            cs = (int64_t)d->T * d->H * d->W;
            dst = gx + ((int64_t)n * d->C * d->T + (e - Pc)) * d->H * d->W;
        }
        int lo, hi;
        conv__dest_range(d, has_cache, e, &lo, &hi);
        for (int g = g_lo; g < g_hi; g++) {
            const int64_t p0 = (int64_t)g * p->cols;
            const int nc = (int)(p->HoWo - p0 < p->cols ? p->HoWo - p0 : p->cols);
            int first = 1;
            for (int tp = lo; tp <= hi; tp++)
                for (int kt = 0; kt < d->KT; kt++) {
                    const int tt = tp - kt * d->dt;
                    if (tt < 0 || tt % d->st) continue;
                    const int to = tt / d->st;
                    if (to >= d->To) continue;
                    const float *dyb = dy + ((int64_t)n * d->F * d->To + to) * p->HoWo + p0;
                    const float *A = wp + kt * p->CKK + c0 * KK;
                    if (p->direct) /* the columns are the frame: accumulate straight into it */
                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, nc, d->F, 1.0f, A, (int)p->K, dyb,
                                    (int)ldy, 1.0f, dst + c0 * cs + p0, (int)cs);
                    else
                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, nc, d->F, 1.0f, A, (int)p->K, dyb,
                                    (int)ldy, first ? 0.0f : 1.0f, w->buf, nc);
                    first = 0;
                }
            if (!p->direct && !first) col2im_tile(dst, cs, w->buf, d, p0, nc, c0, c1);
        }
    });
}

/* ------------------------------------------------------------------------------------------ */
/* Ops                                                                                         */
/* ------------------------------------------------------------------------------------------ */

static void conv_backward(ctx *c, tape_node *nd) {
    tensor *x = nd->in[0], *w = nd->in[1], *b = nd->in[2], *cache = nd->in[3];
    const conv_plan *p = nd->saved;
    const conv_dims *d = &p->d;
    /* Grads first: memory taken after the mark below is released at the end. */
    float *gx = tape_wants(nd, 0) ? t_grad(c, x) : NULL;
    float *gw = tape_wants(nd, 1) ? t_grad(c, w) : NULL;
    float *gb = tape_wants(nd, 2) ? t_grad(c, b) : NULL;
    float *gc = tape_wants(nd, 3) ? t_grad(c, cache) : NULL;
    if (c->status != MOSA_OK) return;
    const float *gy = nd->out->grad;
    if (gb) {
        const int64_t S = (int64_t)d->To * p->HoWo;
MOSA_PARALLEL_FOR((int64_t)d->N * d->F * S > 262144, ,
        for (int f = 0; f < d->F; f++) {
            double s = 0.0;
            for (int n = 0; n < d->N; n++) {
                const float *r = gy + ((int64_t)n * d->F + f) * S;
                float part = 0.0f;
_Pragma("omp simd reduction(+ : part)")
                for (int64_t i = 0; i < S; i++) part += r[i];
                s += part;
            }
            gb[f] += (float)s;
        });
    }
    if (!gx && !gw && !gc) return;
    arena_mark mk = arena_get_mark(&c->mem);
    const int nthr = threads_get();
    const float *wp = w->data;
    if (d->KT > 1 && d->C > 1) {
        float *r = arena_alloc(&c->mem, (size_t)d->F * (size_t)p->K * sizeof(float));
        if (!r) goto nomem;
        conv__repack(r, w->data, d);
        wp = r;
    }
    if (gw) {
        conv_ws *ws = conv__ws_alloc(c, p, nthr, 1, (int64_t)d->F * p->K, 1);
        float *dwp = gw;
        if (!ws) goto nomem;
        if (wp != w->data) {
            dwp = arena_calloc(&c->mem, (size_t)d->F * (size_t)p->K * sizeof(float));
            if (!dwp) goto nomem;
        }
        conv__backward_w(dwp, gy, x->data, cache ? cache->data : NULL, p, ws, nthr);
        if (dwp != gw) { /* back from (F, KT, C, KH, KW) to (F, C, KT, KH, KW) */
            const int64_t KK = (int64_t)d->KH * d->KW;
            for (int f = 0; f < d->F; f++)
                for (int ch = 0; ch < d->C; ch++)
                    for (int kt = 0; kt < d->KT; kt++) {
                        float *o = gw + (((int64_t)f * d->C + ch) * d->KT + kt) * KK;
                        const float *s = dwp + ((int64_t)f * d->KT + kt) * d->C * KK + ch * KK;
                        for (int64_t k = 0; k < KK; k++) o[k] += s[k];
                    }
        }
    }
    if (gx || gc) {
        conv_ws *ws = conv__ws_alloc(c, p, nthr, 0, p->direct ? 0 : p->CKK * p->cols, 0);
        if (!ws) goto nomem;
        conv__backward_x(gx, gc, gy, wp, p, ws, nthr, cache != NULL);
    }
    arena_release(&c->mem, mk);
    return;
nomem:
    arena_release(&c->mem, mk);
    ctx_fail(c, MOSA_ERR_NOMEM, "%s backward: %s", nd->op, mosa_last_error());
}

/* The op shared by conv1d/2d/3d and the causal conv: nsp spatial dims (1..3), arrays with nsp
 * entries (for the causal conv, pad has 3 entries and pad[0] is ignored: pt = (KT-1)*dt). */
static tensor *conv_op(ctx *c, const char *name, int nsp, tensor *x, tensor *w, tensor *b, tensor *cache, int causal,
                       const int *stride, const int *pad, const int *dil) {
    if (!x || !w) return NULL;
    static const char *const letters[3][3] = {{"L"}, {"H", "W"}, {"T", "H", "W"}};
    char sx[80], sw_[80], sb[80];
    t_shape_str(x, sx, sizeof sx);
    t_shape_str(w, sw_, sizeof sw_);
    T_CHECK(c, x->nd == nsp + 2, "%s: x must have %d dims (N,C,%s), got %s", name, nsp + 2,
            nsp == 1 ? "L" : nsp == 2 ? "H,W" : "T,H,W", sx);
    T_CHECK(c, w->nd == nsp + 2, "%s: weight must have %d dims (F,C,%s), got %s", name, nsp + 2,
            nsp == 1 ? "K" : nsp == 2 ? "KH,KW" : "KT,KH,KW", sw_);
    T_CHECK(c, x->shape[1] == w->shape[1], "%s: x %s has %lld channels but weight %s expects %lld", name, sx,
            (long long)x->shape[1], sw_, (long long)w->shape[1]);
    for (int i = 0; i < nsp + 2; i++) {
        T_CHECK(c, x->shape[i] >= (i == 0 ? 0 : 1) && x->shape[i] <= INT_MAX, "%s: x %s has an empty or huge dim", name, sx);
        T_CHECK(c, w->shape[i] >= 1 && w->shape[i] <= INT_MAX, "%s: weight %s has an empty or huge dim", name, sw_);
    }
    if (b) {
        T_CHECK(c, b->nd == 1 && b->shape[0] == w->shape[0], "%s: bias %s must be (%lld) for weight %s", name,
                t_shape_str(b, sb, sizeof sb), (long long)w->shape[0], sw_);
    }
    int sz[3] = {1, 1, 1}, ks[3] = {1, 1, 1}, st[3] = {1, 1, 1}, pd[3] = {0, 0, 0}, dl[3] = {1, 1, 1};
    for (int i = 0; i < nsp; i++) {
        const int j = 3 - nsp + i;
        sz[j] = (int)x->shape[2 + i];
        ks[j] = (int)w->shape[2 + i];
        st[j] = stride[i];
        pd[j] = pad[i];
        dl[j] = dil[i];
        T_CHECK(c, st[j] >= 1 && dl[j] >= 1 && pd[j] >= 0 && pd[j] <= (1 << 24) && dl[j] <= (1 << 24),
                "%s: along %s stride %d, padding %d, dilation %d (need stride >= 1, padding >= 0, dilation >= 1)",
                name, letters[nsp - 1][i], st[j], pd[j], dl[j]);
    }
    if (causal) pd[0] = (ks[0] - 1) * dl[0];
    for (int i = 0; i < nsp; i++) {
        const int j = 3 - nsp + i;
        const int64_t span = (int64_t)(ks[j] - 1) * dl[j] + 1;
        const int64_t padded = (int64_t)sz[j] + (causal && j == 0 ? pd[j] : 2 * (int64_t)pd[j]);
        T_CHECK(c, span <= padded, "%s: the kernel spans %lld along %s (size %d, dilation %d), more than the padded input %lld (x %s, weight %s)",
                name, (long long)span, letters[nsp - 1][i], ks[j], dl[j], (long long)padded, sx, sw_);
    }
    conv_dims d = {
        .N = (int)x->shape[0], .C = (int)x->shape[1], .T = sz[0], .H = sz[1], .W = sz[2],
        .F = (int)w->shape[0], .KT = ks[0], .KH = ks[1], .KW = ks[2],
        .st = st[0], .sh = st[1], .sw = st[2], .pt = pd[0], .ph = pd[1], .pw = pd[2],
        .dt = dl[0], .dh = dl[1], .dw = dl[2], .causal = causal,
    };
    conv_dims_output(&d);
    if (cache) {
        char sc[80];
        t_shape_str(cache, sc, sizeof sc);
        T_CHECK(c, cache->nd == 5 && cache->shape[0] == d.N && cache->shape[1] == d.C && cache->shape[2] == d.pt &&
                       cache->shape[3] == d.H && cache->shape[4] == d.W,
                "%s: cache %s must be (N,C,(KT-1)*dil_t,H,W) = (%d,%d,%d,%d,%d) for x %s and weight %s", name, sc,
                d.N, d.C, d.pt, d.H, d.W, sx, sw_);
        if (d.pt == 0) cache = NULL; /* KT = 1: nothing to read from it */
    }
    /* GEMM dims and leading dimensions are ints (BLAS). */
    const int64_t per_in = (int64_t)d.C * d.T * d.H * d.W, per_out = (int64_t)d.F * d.To * d.Ho * d.Wo;
    const int64_t per_k = (int64_t)d.C * d.KT * d.KH * d.KW;
    T_CHECK(c, per_in <= INT_MAX && per_out <= INT_MAX && per_k <= INT_MAX && (int64_t)d.C * d.pt * d.H * d.W <= INT_MAX,
            "%s: x %s with weight %s is too large for one conv (split the batch or the video)", name, sx, sw_);

    tensor *b0 = b, *cache0 = cache;
    x = op_contiguous(c, x);
    w = op_contiguous(c, w);
    if (b) b = op_contiguous(c, b);
    if (cache) cache = op_contiguous(c, cache);
    if (!x || !w || (b0 && !b) || (cache0 && !cache)) return NULL;

    const int64_t o5[5] = {d.N, d.F, d.To, d.Ho, d.Wo};
    int64_t oshape[5] = {d.N, d.F};
    for (int i = 0; i < nsp; i++) oshape[2 + i] = o5[5 - nsp + i];
    tensor *out = t_new(c, nsp + 2, oshape);
    if (!out) return NULL;

    const int nthr = threads_get();
    conv_plan plan;
    conv__plan_init(&plan, &d, nthr);
    arena_mark mk = arena_get_mark(&c->mem);
    const float *wp = w->data;
    if (plan.d.KT > 1 && plan.d.C > 1) {
        float *r = arena_alloc(&c->mem, (size_t)plan.d.F * (size_t)plan.K * sizeof(float));
        if (!r) {
            arena_release(&c->mem, mk);
            return ctx_fail(c, MOSA_ERR_NOMEM, "%s: %s", name, mosa_last_error());
        }
        conv__repack(r, w->data, &plan.d);
        wp = r;
    }
    conv_ws *ws = conv__ws_alloc(c, &plan, nthr, 1, 0, 0);
    if (!ws) {
        arena_release(&c->mem, mk);
        return ctx_fail(c, MOSA_ERR_NOMEM, "%s: %s", name, mosa_last_error());
    }
    conv__forward(out->data, x->data, cache ? cache->data : NULL, wp, b ? b->data : NULL, &plan, ws, nthr);
    arena_release(&c->mem, mk);

    tensor *in[4] = {x, w, b, cache};
    tape_node *n = tape_push(c, name, conv_backward, out, 4, in);
    if (n) {
        conv_plan *sp = arena_alloc(&c->mem, sizeof *sp);
        if (!sp) return ctx_fail(c, MOSA_ERR_NOMEM, "%s: %s", name, mosa_last_error());
        *sp = plan;
        n->saved = sp;
    }
    return out;
}

tensor *op_conv1d(ctx *c, tensor *x, tensor *w, tensor *b, int stride, int padding, int dilation) {
    return conv_op(c, "conv1d", 1, x, w, b, NULL, 0, &stride, &padding, &dilation);
}

tensor *op_conv2d(ctx *c, tensor *x, tensor *w, tensor *b, const int stride[2], const int padding[2],
                  const int dilation[2]) {
    return conv_op(c, "conv2d", 2, x, w, b, NULL, 0, stride, padding, dilation);
}

tensor *op_conv3d(ctx *c, tensor *x, tensor *w, tensor *b, const int stride[3], const int padding[3],
                  const int dilation[3]) {
    return conv_op(c, "conv3d", 3, x, w, b, NULL, 0, stride, padding, dilation);
}

tensor *op_conv3d_causal(ctx *c, tensor *x, tensor *w, tensor *b, const int stride[3], const int padding_hw[2],
                         const int dilation[3], tensor *cache) {
    const int pad[3] = {0, padding_hw[0], padding_hw[1]};
    return conv_op(c, "conv3d_causal", 3, x, w, b, cache, 1, stride, pad, dilation);
}

tensor *conv3d_causal_next_cache(ctx *c, tensor *x, tensor *cache, int KT, int dilation_t) {
    if (!x) return NULL;
    char sx[80], sc[80];
    t_shape_str(x, sx, sizeof sx);
    T_CHECK(c, x->nd == 5 && x->shape[2] >= 1, "conv3d_causal_next_cache: x must be (N,C,T,H,W) with T >= 1, got %s", sx);
    T_CHECK(c, KT >= 1 && dilation_t >= 1 && (int64_t)(KT - 1) * dilation_t <= (1 << 24),
            "conv3d_causal_next_cache: KT %d and dilation_t %d must be >= 1", KT, dilation_t);
    const int64_t N = x->shape[0], C = x->shape[1], T = x->shape[2], H = x->shape[3], W = x->shape[4];
    const int64_t P = (int64_t)(KT - 1) * dilation_t;
    if (cache) {
        T_CHECK(c, cache->nd == 5 && cache->shape[0] == N && cache->shape[1] == C && cache->shape[2] == P &&
                       cache->shape[3] == H && cache->shape[4] == W,
                "conv3d_causal_next_cache: cache %s must be (%lld,%lld,%lld,%lld,%lld) for x %s and KT %d, dilation %d",
                t_shape_str(cache, sc, sizeof sc), (long long)N, (long long)C, (long long)P, (long long)H,
                (long long)W, sx, KT, dilation_t);
    }
    tensor *o = t_new(c, T_SHAPE(N, C, P, H, W));
    if (!o) return NULL;
    /* Frame q of concat(prefix, x), prefix = cache or P copies of x's first frame. */
    for (int64_t n = 0; n < N; n++)
        for (int64_t ch = 0; ch < C; ch++)
            for (int64_t j = 0; j < P; j++) {
                const int64_t q = T + j;
                const tensor *s = x;
                int64_t f = q - P;
                if (q < P && cache) {
                    s = cache;
                    f = q;
                } else if (q < P) {
                    f = 0;
                }
                float *dst = o->data + (((n * C + ch) * P + j) * H) * W;
                const float *base = s->data + n * s->stride[0] + ch * s->stride[1] + f * s->stride[2];
                for (int64_t h = 0; h < H; h++)
                    for (int64_t ww = 0; ww < W; ww++) dst[h * W + ww] = base[h * s->stride[3] + ww * s->stride[4]];
            }
    return o;
}
