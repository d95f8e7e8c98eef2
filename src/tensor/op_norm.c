/* op_norm.c: LayerNorm, RMSNorm, GroupNorm and the DiT adaLN modulate, forward and backward.
 *
 * What this is: row/group normalisation kernels over contiguous buffers (fast ones: OpenMP over
 * rows or groups, vectorizable inner loops, sums blocked in float and carried in double; naive
 * *_ref ones in double kept as the oracle) and the ops that wrap them. PyTorch semantics: biased
 * variance, rstd = 1/sqrt(var + eps), statistics saved per row/group for backward.
 * What this is not: a fused norm+linear, or a running-statistics BatchNorm. */
#include "ops.h"

#include <math.h>
#include <string.h>

/* Work (elements) below which kernels stay single-threaded. */
#define NORM_PAR_MIN 32768
/* Most columns per block in the backward reductions over rows (dw, db, dshift, dscale). */
#define NORM_CB_MAX 512

/* ------------------------------------------------------------------------------------------ */
/* Sums: float blocks (vectorized) carried in double, so long groups keep their precision.     */
/* ------------------------------------------------------------------------------------------ */

#define SUM_BLOCK 512

static double sum_blocked(const float *x, int64_t n) {
    double s = 0;
    for (int64_t i0 = 0; i0 < n; i0 += SUM_BLOCK) {
        const int64_t e = i0 + SUM_BLOCK < n ? i0 + SUM_BLOCK : n;
        float f = 0;
#pragma omp simd reduction(+ : f)
        for (int64_t i = i0; i < e; i++) f += x[i];
        s += f;
    }
    return s;
}

/* sum (x - m)^2 */
static double sumsq_centered_blocked(const float *x, int64_t n, float m) {
    double s = 0;
    for (int64_t i0 = 0; i0 < n; i0 += SUM_BLOCK) {
        const int64_t e = i0 + SUM_BLOCK < n ? i0 + SUM_BLOCK : n;
        float f = 0;
#pragma omp simd reduction(+ : f)
        for (int64_t i = i0; i < e; i++) {
            const float d = x[i] - m;
            f += d * d;
        }
        s += f;
    }
    return s;
}

/* sum x^2 */
static double sumsq_blocked(const float *x, int64_t n) { return sumsq_centered_blocked(x, n, 0.0f); }

/* Column block width for reductions over rows with `outer` independent tasks besides: about one
 * contiguous block per thread (rows then stream in long runs and every thread has work), a
 * multiple of 16 floats, at most NORM_CB_MAX. */
static int64_t norm_col_block(int64_t C, int64_t outer) {
    int64_t t = threads_get();
    if (t < 1) t = 1;
    const int64_t parts = (t + outer - 1) / (outer > 0 ? outer : 1);
    int64_t cb = (C + parts - 1) / parts;
    cb = (cb + 15) / 16 * 16;
    return cb < 16 ? 16 : cb > NORM_CB_MAX ? NORM_CB_MAX : cb;
}

/* ------------------------------------------------------------------------------------------ */
/* LayerNorm kernels                                                                           */
/* ------------------------------------------------------------------------------------------ */

/* o = (x - m) * r * w + b over one row, w and b optional. */
static void norm_row_affine(float *o, const float *x, float m, float r, const float *w, const float *b, int64_t C) {
    if (w && b) {
#pragma omp simd
        for (int64_t i = 0; i < C; i++) o[i] = (x[i] - m) * r * w[i] + b[i];
    } else if (w) {
#pragma omp simd
        for (int64_t i = 0; i < C; i++) o[i] = (x[i] - m) * r * w[i];
    } else if (b) {
#pragma omp simd
        for (int64_t i = 0; i < C; i++) o[i] = (x[i] - m) * r + b[i];
    } else {
#pragma omp simd
        for (int64_t i = 0; i < C; i++) o[i] = (x[i] - m) * r;
    }
}

// inp is (N,C), out (N,C), mean and rstd (N)
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b,
                       int64_t N, int64_t C, float eps) {
MOSA_PARALLEL_FOR(N * C > NORM_PAR_MIN && N > 1, schedule(static),
    for (int64_t n = 0; n < N; n++) {
        const float *x = inp + n * C;
        const float m = (float)(sum_blocked(x, C) / (double)C);
        const float v = (float)(sumsq_centered_blocked(x, C, m) / (double)C);
        const float r = 1.0f / sqrtf(v + eps);
        norm_row_affine(out + n * C, x, m, r, w, b, C);
        if (mean) mean[n] = m;
        if (rstd) rstd[n] = r;
    });
}

// inp is (N,C), out (N,C), mean and rstd (N)
void layernorm_forward_ref(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b,
                           int64_t N, int64_t C, float eps) {
    for (int64_t n = 0; n < N; n++) {
        const float *x = inp + n * C;
        double s = 0, v = 0;
        for (int64_t i = 0; i < C; i++) s += x[i];
        const double m = s / (double)C;
        for (int64_t i = 0; i < C; i++) v += (x[i] - m) * (x[i] - m);
        const double r = 1.0 / sqrt(v / (double)C + eps);
        for (int64_t i = 0; i < C; i++) {
            double y = (x[i] - m) * r;
            if (w) y *= w[i];
            if (b) y += b[i];
            out[n * C + i] = (float)y;
        }
        if (mean) mean[n] = (float)m;
        if (rstd) rstd[n] = (float)r;
    }
}

/* dw += sum_rows dout * xhat and db += sum_rows dout, where xhat = (inp - mean) * rstd
 * (mean NULL: xhat = inp * rstd, the RMSNorm case); parallel over column blocks. */
static void norm_affine_grads(float *dw, float *db, const float *dout, const float *inp, const float *mean,
                              const float *rstd, int64_t N, int64_t C) {
    const int64_t cb = norm_col_block(C, 1), nb = (C + cb - 1) / cb;
MOSA_PARALLEL_FOR(N * C > NORM_PAR_MIN && nb > 1, schedule(static),
    for (int64_t blk = 0; blk < nb; blk++) {
        const int64_t c0 = blk * cb, L = (c0 + cb < C ? c0 + cb : C) - c0;
        for (int64_t n = 0; n < N; n++) {
            const float *g = dout + n * C + c0, *x = inp + n * C + c0;
            const float m = mean ? mean[n] : 0.0f, r = rstd[n];
            if (dw) {
                float *d = dw + c0;
_Pragma("omp simd")
                for (int64_t i = 0; i < L; i++) d[i] += g[i] * ((x[i] - m) * r);
            }
            if (db) {
                float *d = db + c0;
_Pragma("omp simd")
                for (int64_t i = 0; i < L; i++) d[i] += g[i];
            }
        }
    });
}

// dout, inp, dinp are (N,C); w, dw, db (C); mean, rstd (N)
void layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                        const float *mean, const float *rstd, int64_t N, int64_t C) {
    if (dinp) {
MOSA_PARALLEL_FOR(N * C > NORM_PAR_MIN && N > 1, schedule(static),
        for (int64_t n = 0; n < N; n++) {
            const float *g = dout + n * C, *x = inp + n * C;
            float *d = dinp + n * C;
            const float m = mean[n], r = rstd[n];
            float s1 = 0, s2 = 0; /* sum dxhat, sum dxhat * xhat */
            if (w) {
_Pragma("omp simd reduction(+ : s1, s2)")
                for (int64_t i = 0; i < C; i++) {
                    const float gw = g[i] * w[i];
                    s1 += gw;
                    s2 += gw * ((x[i] - m) * r);
                }
            } else {
_Pragma("omp simd reduction(+ : s1, s2)")
                for (int64_t i = 0; i < C; i++) {
                    s1 += g[i];
                    s2 += g[i] * ((x[i] - m) * r);
                }
            }
            s1 /= (float)C;
            s2 /= (float)C;
            if (w) {
_Pragma("omp simd")
                for (int64_t i = 0; i < C; i++) d[i] += r * (g[i] * w[i] - s1 - ((x[i] - m) * r) * s2);
            } else {
_Pragma("omp simd")
                for (int64_t i = 0; i < C; i++) d[i] += r * (g[i] - s1 - ((x[i] - m) * r) * s2);
            }
        });
    }
    if (dw || db) norm_affine_grads(dw, db, dout, inp, mean, rstd, N, C);
}

// dout, inp, dinp are (N,C); w, dw, db (C); mean, rstd (N)
void layernorm_backward_ref(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                            const float *mean, const float *rstd, int64_t N, int64_t C) {
    for (int64_t n = 0; n < N; n++) {
        const float *g = dout + n * C, *x = inp + n * C;
        const double m = mean[n], r = rstd[n];
        double s1 = 0, s2 = 0;
        for (int64_t i = 0; i < C; i++) {
            const double gw = (double)g[i] * (w ? w[i] : 1.0);
            s1 += gw;
            s2 += gw * (x[i] - m) * r;
        }
        for (int64_t i = 0; i < C; i++) {
            const double xh = (x[i] - m) * r;
            const double gw = (double)g[i] * (w ? w[i] : 1.0);
            if (dinp) dinp[n * C + i] += (float)(r * (gw - s1 / (double)C - xh * s2 / (double)C));
            if (dw) dw[i] += (float)(g[i] * xh);
            if (db) db[i] += g[i];
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* RMSNorm kernels                                                                             */
/* ------------------------------------------------------------------------------------------ */

// inp is (N,C), out (N,C), rstd (N)
void rmsnorm_forward(float *out, float *rstd, const float *inp, const float *w, int64_t N, int64_t C, float eps) {
MOSA_PARALLEL_FOR(N * C > NORM_PAR_MIN && N > 1, schedule(static),
    for (int64_t n = 0; n < N; n++) {
        const float *x = inp + n * C;
        const float r = 1.0f / sqrtf((float)(sumsq_blocked(x, C) / (double)C) + eps);
        norm_row_affine(out + n * C, x, 0.0f, r, w, NULL, C);
        if (rstd) rstd[n] = r;
    });
}

// inp is (N,C), out (N,C), rstd (N)
void rmsnorm_forward_ref(float *out, float *rstd, const float *inp, const float *w, int64_t N, int64_t C, float eps) {
    for (int64_t n = 0; n < N; n++) {
        const float *x = inp + n * C;
        double s = 0;
        for (int64_t i = 0; i < C; i++) s += (double)x[i] * x[i];
        const double r = 1.0 / sqrt(s / (double)C + eps);
        for (int64_t i = 0; i < C; i++) out[n * C + i] = (float)(x[i] * r * (w ? w[i] : 1.0));
        if (rstd) rstd[n] = (float)r;
    }
}

// dout, inp, dinp are (N,C); w, dw (C); rstd (N)
void rmsnorm_backward(float *dinp, float *dw, const float *dout, const float *inp, const float *w, const float *rstd,
                      int64_t N, int64_t C) {
    if (dinp) {
MOSA_PARALLEL_FOR(N * C > NORM_PAR_MIN && N > 1, schedule(static),
        for (int64_t n = 0; n < N; n++) {
            const float *g = dout + n * C, *x = inp + n * C;
            float *d = dinp + n * C;
            const float r = rstd[n];
            float s2 = 0; /* sum dxhat * xhat */
            if (w) {
_Pragma("omp simd reduction(+ : s2)")
                for (int64_t i = 0; i < C; i++) s2 += g[i] * w[i] * (x[i] * r);
_Pragma("omp simd")
                for (int64_t i = 0; i < C; i++) d[i] += r * (g[i] * w[i] - (x[i] * r) * (s2 / (float)C));
            } else {
_Pragma("omp simd reduction(+ : s2)")
                for (int64_t i = 0; i < C; i++) s2 += g[i] * (x[i] * r);
_Pragma("omp simd")
                for (int64_t i = 0; i < C; i++) d[i] += r * (g[i] - (x[i] * r) * (s2 / (float)C));
            }
        });
    }
    if (dw) norm_affine_grads(dw, NULL, dout, inp, NULL, rstd, N, C);
}

// dout, inp, dinp are (N,C); w, dw (C); rstd (N)
void rmsnorm_backward_ref(float *dinp, float *dw, const float *dout, const float *inp, const float *w,
                          const float *rstd, int64_t N, int64_t C) {
    for (int64_t n = 0; n < N; n++) {
        const float *g = dout + n * C, *x = inp + n * C;
        const double r = rstd[n];
        double s2 = 0;
        for (int64_t i = 0; i < C; i++) s2 += (double)g[i] * (w ? w[i] : 1.0) * x[i] * r;
        for (int64_t i = 0; i < C; i++) {
            const double xh = x[i] * r;
            if (dinp) dinp[n * C + i] += (float)(r * ((double)g[i] * (w ? w[i] : 1.0) - xh * s2 / (double)C));
            if (dw) dw[i] += (float)(g[i] * xh);
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* GroupNorm kernels                                                                           */
/* ------------------------------------------------------------------------------------------ */

/* Each (n,g) group is Cg*S contiguous floats: statistics and the normalised output are computed
 * by one task while the group is still in cache. */
// inp is (N,C,S), out (N,C,S), mean and rstd (N,G), w and b (C)
void groupnorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b,
                       int64_t N, int64_t C, int64_t G, int64_t S, float eps) {
    const int64_t Cg = C / G, M = Cg * S;
MOSA_PARALLEL_FOR(N * C * S > NORM_PAR_MIN && N * G > 1, schedule(static),
    for (int64_t ng = 0; ng < N * G; ng++) {
        const float *x = inp + ng * M;
        float *o = out + ng * M;
        const float m = (float)(sum_blocked(x, M) / (double)M);
        const float v = (float)(sumsq_centered_blocked(x, M, m) / (double)M);
        const float r = 1.0f / sqrtf(v + eps);
        const int64_t g = ng % G;
        for (int64_t j = 0; j < Cg; j++) {
            const int64_t ch = g * Cg + j;
            /* (x - m) * a + b rather than x * a + (b - m * a): no cancellation when |m| >> std */
            const float a = r * (w ? w[ch] : 1.0f), bb = b ? b[ch] : 0.0f;
            const float *xc = x + j * S;
            float *oc = o + j * S;
_Pragma("omp simd")
            for (int64_t s = 0; s < S; s++) oc[s] = (xc[s] - m) * a + bb;
        }
        if (mean) mean[ng] = m;
        if (rstd) rstd[ng] = r;
    });
}

// inp is (N,C,S), out (N,C,S), mean and rstd (N,G), w and b (C)
void groupnorm_forward_ref(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b,
                           int64_t N, int64_t C, int64_t G, int64_t S, float eps) {
    const int64_t Cg = C / G;
    for (int64_t n = 0; n < N; n++)
        for (int64_t g = 0; g < G; g++) {
            double s = 0, v = 0;
            for (int64_t ch = g * Cg; ch < (g + 1) * Cg; ch++)
                for (int64_t k = 0; k < S; k++) s += inp[(n * C + ch) * S + k];
            const double m = s / (double)(Cg * S);
            for (int64_t ch = g * Cg; ch < (g + 1) * Cg; ch++)
                for (int64_t k = 0; k < S; k++) {
                    const double d = inp[(n * C + ch) * S + k] - m;
                    v += d * d;
                }
            const double r = 1.0 / sqrt(v / (double)(Cg * S) + eps);
            for (int64_t ch = g * Cg; ch < (g + 1) * Cg; ch++)
                for (int64_t k = 0; k < S; k++) {
                    const int64_t i = (n * C + ch) * S + k;
                    out[i] = (float)((inp[i] - m) * r * (w ? w[ch] : 1.0) + (b ? b[ch] : 0.0));
                }
            if (mean) mean[n * G + g] = (float)m;
            if (rstd) rstd[n * G + g] = (float)r;
        }
}

/* Three passes, each parallel over what it writes: per-(n,c) sums A = sum dout and
 * B = sum dout*xhat into work; dw/db from them (over c); dinp (over (n,c)) using the group sums
 * sum_c w[c]*A and sum_c w[c]*B. */
// dout, inp, dinp are (N,C,S); w, dw, db (C); mean, rstd (N,G); work 2*N*C floats
void groupnorm_backward(float *dinp, float *dw, float *db, float *work, const float *dout, const float *inp,
                        const float *w, const float *mean, const float *rstd, int64_t N, int64_t C, int64_t G,
                        int64_t S) {
    const int64_t Cg = C / G, M = Cg * S;
    float *A = work, *B = work + N * C;
    const int par = N * C * S > NORM_PAR_MIN;
MOSA_PARALLEL_FOR(par && N * C > 1, schedule(static),
    for (int64_t nc = 0; nc < N * C; nc++) {
        const int64_t ng = (nc / C) * G + (nc % C) / Cg;
        const float m = mean[ng], r = rstd[ng];
        const float *g = dout + nc * S, *x = inp + nc * S;
        double a = 0, bsum = 0;
        for (int64_t i0 = 0; i0 < S; i0 += SUM_BLOCK) {
            const int64_t e = i0 + SUM_BLOCK < S ? i0 + SUM_BLOCK : S;
            float fa = 0, fb = 0;
_Pragma("omp simd reduction(+ : fa, fb)")
            for (int64_t i = i0; i < e; i++) {
                fa += g[i];
                fb += g[i] * (x[i] - m);
            }
            a += fa;
            bsum += fb;
        }
        A[nc] = (float)a;
        B[nc] = (float)(bsum * r);
    });
    if (dw || db) {
MOSA_PARALLEL_FOR(par && N * C > 4096, schedule(static),
        for (int64_t ch = 0; ch < C; ch++) {
            double sa = 0, sb = 0;
            for (int64_t n = 0; n < N; n++) {
                sa += A[n * C + ch];
                sb += B[n * C + ch];
            }
            if (dw) dw[ch] += (float)sb;
            if (db) db[ch] += (float)sa;
        });
    }
    if (!dinp) return;
MOSA_PARALLEL_FOR(par && N * C > 1, schedule(static),
    for (int64_t nc = 0; nc < N * C; nc++) {
        const int64_t n = nc / C, ch = nc % C, grp = ch / Cg, ng = n * G + grp;
        const float m = mean[ng], r = rstd[ng];
        double s1 = 0, s2 = 0;
        for (int64_t j = grp * Cg; j < (grp + 1) * Cg; j++) {
            const double wj = w ? w[j] : 1.0;
            s1 += wj * A[n * C + j];
            s2 += wj * B[n * C + j];
        }
        const float m1 = (float)(s1 / (double)M), m2 = (float)(s2 / (double)M);
        const float wc = w ? w[ch] : 1.0f;
        const float *g = dout + nc * S, *x = inp + nc * S;
        float *d = dinp + nc * S;
_Pragma("omp simd")
        for (int64_t i = 0; i < S; i++) d[i] += r * (g[i] * wc - m1 - ((x[i] - m) * r) * m2);
    });
}

// dout, inp, dinp are (N,C,S); w, dw, db (C); mean, rstd (N,G)
void groupnorm_backward_ref(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                            const float *mean, const float *rstd, int64_t N, int64_t C, int64_t G, int64_t S) {
    const int64_t Cg = C / G, M = Cg * S;
    for (int64_t n = 0; n < N; n++)
        for (int64_t g = 0; g < G; g++) {
            const double m = mean[n * G + g], r = rstd[n * G + g];
            double s1 = 0, s2 = 0;
            for (int64_t ch = g * Cg; ch < (g + 1) * Cg; ch++)
                for (int64_t k = 0; k < S; k++) {
                    const int64_t i = (n * C + ch) * S + k;
                    const double gw = (double)dout[i] * (w ? w[ch] : 1.0);
                    s1 += gw;
                    s2 += gw * (inp[i] - m) * r;
                }
            for (int64_t ch = g * Cg; ch < (g + 1) * Cg; ch++)
                for (int64_t k = 0; k < S; k++) {
                    const int64_t i = (n * C + ch) * S + k;
                    const double xh = (inp[i] - m) * r;
                    const double gw = (double)dout[i] * (w ? w[ch] : 1.0);
                    if (dinp) dinp[i] += (float)(r * (gw - s1 / (double)M - xh * s2 / (double)M));
                    if (dw) dw[ch] += (float)(dout[i] * xh);
                    if (db) db[ch] += dout[i];
                }
        }
}

/* ------------------------------------------------------------------------------------------ */
/* Modulate kernels (DiT adaLN)                                                                */
/* ------------------------------------------------------------------------------------------ */

// inp, out are (B,T,C); shift, scale (B,C)
void modulate_forward(float *out, const float *inp, const float *shift, const float *scale, int64_t B, int64_t T,
                      int64_t C) {
MOSA_PARALLEL_FOR(B * T * C > NORM_PAR_MIN && B * T > 1, schedule(static),
    for (int64_t bt = 0; bt < B * T; bt++) {
        const float *x = inp + bt * C, *sh = shift + (bt / T) * C, *sc = scale + (bt / T) * C;
        float *o = out + bt * C;
_Pragma("omp simd")
        for (int64_t i = 0; i < C; i++) o[i] = x[i] * (1.0f + sc[i]) + sh[i];
    });
}

// inp, out are (B,T,C); shift, scale (B,C)
void modulate_forward_ref(float *out, const float *inp, const float *shift, const float *scale, int64_t B,
                          int64_t T, int64_t C) {
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++)
            for (int64_t i = 0; i < C; i++) {
                const int64_t k = (b * T + t) * C + i;
                out[k] = inp[k] * (1.0f + scale[b * C + i]) + shift[b * C + i];
            }
}

/* One fused pass, parallel over (b, column block): dinp for the block's columns of every row,
 * and the block's dshift/dscale sums over T kept in registers until the end. */
// dout, inp, dinp are (B,T,C); scale, dshift, dscale (B,C)
void modulate_backward(float *dinp, float *dshift, float *dscale, const float *dout, const float *inp,
                       const float *scale, int64_t B, int64_t T, int64_t C) {
    const int64_t cb = norm_col_block(C, B), nb = (C + cb - 1) / cb;
MOSA_PARALLEL_FOR(B * T * C > NORM_PAR_MIN && B * nb > 1, schedule(static),
    for (int64_t task = 0; task < B * nb; task++) {
        const int64_t b = task / nb, c0 = (task % nb) * cb;
        const int64_t L = (c0 + cb < C ? c0 + cb : C) - c0;
        float ash[NORM_CB_MAX], asc[NORM_CB_MAX], sc1[NORM_CB_MAX];
        for (int64_t i = 0; i < L; i++) {
            ash[i] = 0.0f;
            asc[i] = 0.0f;
            sc1[i] = 1.0f + scale[b * C + c0 + i];
        }
        for (int64_t t = 0; t < T; t++) {
            const int64_t off = (b * T + t) * C + c0;
            const float *g = dout + off, *x = inp + off;
            if (dinp) {
                float *d = dinp + off;
_Pragma("omp simd")
                for (int64_t i = 0; i < L; i++) d[i] += g[i] * sc1[i];
            }
_Pragma("omp simd")
            for (int64_t i = 0; i < L; i++) {
                ash[i] += g[i];
                asc[i] += g[i] * x[i];
            }
        }
        if (dshift)
            for (int64_t i = 0; i < L; i++) dshift[b * C + c0 + i] += ash[i];
        if (dscale)
            for (int64_t i = 0; i < L; i++) dscale[b * C + c0 + i] += asc[i];
    });
}

// dout, inp, dinp are (B,T,C); scale, dshift, dscale (B,C)
void modulate_backward_ref(float *dinp, float *dshift, float *dscale, const float *dout, const float *inp,
                           const float *scale, int64_t B, int64_t T, int64_t C) {
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++)
            for (int64_t i = 0; i < C; i++) {
                const int64_t k = (b * T + t) * C + i;
                if (dinp) dinp[k] += dout[k] * (1.0f + scale[b * C + i]);
                if (dshift) dshift[b * C + i] += dout[k];
                if (dscale) dscale[b * C + i] += dout[k] * inp[k];
            }
}

/* ------------------------------------------------------------------------------------------ */
/* Ops                                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* Checks that an optional per-channel parameter p is NULL or has shape (C). */
static int channel_param_ok(const tensor *p, int64_t C) { return !p || (p->nd == 1 && p->shape[0] == C); }

/* op_contiguous on an optional input: *ok stays 1 unless a present input failed. */
static tensor *contig_opt(ctx *c, tensor *t, int *ok) {
    if (!t) return NULL;
    tensor *r = op_contiguous(c, t);
    if (!r) *ok = 0;
    return r;
}

/* Saved statistics (2*k floats: mean then rstd) for a recorded node. */
static float *save_stats(ctx *c, tape_node *n, int64_t k) {
    float *s = arena_alloc(&c->mem, (size_t)(2 * k) * sizeof(float));
    if (!s) ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
    n->saved = s;
    return s;
}

static void layernorm_bw(ctx *c, tape_node *n) {
    tensor *x = n->in[0], *w = n->in[1], *b = n->in[2];
    float *dx = tape_wants(n, 0) ? t_grad(c, x) : NULL;
    float *dw = tape_wants(n, 1) ? t_grad(c, w) : NULL;
    float *db = tape_wants(n, 2) ? t_grad(c, b) : NULL;
    if (c->status != MOSA_OK) return;
    const int64_t N = n->ip[0], C = n->ip[1];
    const float *st = n->saved;
    layernorm_backward(dx, dw, db, n->out->grad, x->data, w ? w->data : NULL, st, st + N, N, C);
}

tensor *op_layernorm(ctx *c, tensor *x, tensor *w, tensor *b, float eps) {
    if (!x) return NULL;
    char sx[64], sp[64];
    T_CHECK(c, x->nd >= 1 && x->shape[x->nd - 1] >= 1, "layernorm: input %s needs a last dim of size >= 1",
            t_shape_str(x, sx, sizeof sx));
    const int64_t C = x->shape[x->nd - 1];
    T_CHECK(c, channel_param_ok(w, C), "layernorm: weight has shape %s, expected (%lld) for input %s",
            t_shape_str(w, sp, sizeof sp), (long long)C, t_shape_str(x, sx, sizeof sx));
    T_CHECK(c, channel_param_ok(b, C), "layernorm: bias has shape %s, expected (%lld) for input %s",
            t_shape_str(b, sp, sizeof sp), (long long)C, t_shape_str(x, sx, sizeof sx));
    int ok = 1;
    x = op_contiguous(c, x);
    w = contig_opt(c, w, &ok);
    b = contig_opt(c, b, &ok);
    if (!x || !ok) return NULL;
    tensor *out = t_new(c, x->nd, x->shape);
    if (!out) return NULL;
    const int64_t N = t_numel(x) / C;
    tensor *in[3] = {x, w, b};
    tape_node *n = tape_push(c, "layernorm", layernorm_bw, out, 3, in);
    float *st = NULL;
    if (n) {
        if (!(st = save_stats(c, n, N))) return NULL;
        n->ip[0] = N;
        n->ip[1] = C;
    }
    layernorm_forward(out->data, st, st ? st + N : NULL, x->data, w ? w->data : NULL, b ? b->data : NULL, N, C, eps);
    return out;
}

static void rmsnorm_bw(ctx *c, tape_node *n) {
    tensor *x = n->in[0], *w = n->in[1];
    float *dx = tape_wants(n, 0) ? t_grad(c, x) : NULL;
    float *dw = tape_wants(n, 1) ? t_grad(c, w) : NULL;
    if (c->status != MOSA_OK) return;
    rmsnorm_backward(dx, dw, n->out->grad, x->data, w ? w->data : NULL, n->saved, n->ip[0], n->ip[1]);
}

tensor *op_rmsnorm(ctx *c, tensor *x, tensor *w, float eps) {
    if (!x) return NULL;
    char sx[64], sp[64];
    T_CHECK(c, x->nd >= 1 && x->shape[x->nd - 1] >= 1, "rmsnorm: input %s needs a last dim of size >= 1",
            t_shape_str(x, sx, sizeof sx));
    const int64_t C = x->shape[x->nd - 1];
    T_CHECK(c, channel_param_ok(w, C), "rmsnorm: weight has shape %s, expected (%lld) for input %s",
            t_shape_str(w, sp, sizeof sp), (long long)C, t_shape_str(x, sx, sizeof sx));
    int ok = 1;
    x = op_contiguous(c, x);
    w = contig_opt(c, w, &ok);
    if (!x || !ok) return NULL;
    tensor *out = t_new(c, x->nd, x->shape);
    if (!out) return NULL;
    const int64_t N = t_numel(x) / C;
    tensor *in[2] = {x, w};
    tape_node *n = tape_push(c, "rmsnorm", rmsnorm_bw, out, 2, in);
    float *rstd = NULL;
    if (n) {
        rstd = arena_alloc(&c->mem, (size_t)N * sizeof(float));
        if (!rstd) return ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
        n->saved = rstd;
        n->ip[0] = N;
        n->ip[1] = C;
    }
    rmsnorm_forward(out->data, rstd, x->data, w ? w->data : NULL, N, C, eps);
    return out;
}

static void groupnorm_bw(ctx *c, tape_node *n) {
    tensor *x = n->in[0], *w = n->in[1], *b = n->in[2];
    float *dx = tape_wants(n, 0) ? t_grad(c, x) : NULL;
    float *dw = tape_wants(n, 1) ? t_grad(c, w) : NULL;
    float *db = tape_wants(n, 2) ? t_grad(c, b) : NULL;
    if (c->status != MOSA_OK) return;
    const int64_t N = n->ip[0], C = n->ip[1], G = n->ip[2], S = n->ip[3];
    arena_mark mk = arena_get_mark(&c->mem);
    float *work = arena_alloc(&c->mem, (size_t)(2 * N * C) * sizeof(float));
    if (!work) {
        ctx_fail(c, MOSA_ERR_NOMEM, "%s", mosa_last_error());
        return;
    }
    const float *st = n->saved;
    groupnorm_backward(dx, dw, db, work, n->out->grad, x->data, w ? w->data : NULL, st, st + N * G, N, C, G, S);
    arena_release(&c->mem, mk);
}

tensor *op_groupnorm(ctx *c, tensor *x, int G, tensor *w, tensor *b, float eps) {
    if (!x) return NULL;
    char sx[64], sp[64];
    T_CHECK(c, x->nd >= 2 && x->nd <= 5, "groupnorm: input %s must be (N,C) plus 0-3 spatial dims",
            t_shape_str(x, sx, sizeof sx));
    const int64_t N = x->shape[0], C = x->shape[1];
    T_CHECK(c, G >= 1 && C >= 1 && C % G == 0, "groupnorm: %lld channels of input %s do not split into %d groups",
            (long long)C, t_shape_str(x, sx, sizeof sx), G);
    T_CHECK(c, channel_param_ok(w, C), "groupnorm: weight has shape %s, expected (%lld) for input %s",
            t_shape_str(w, sp, sizeof sp), (long long)C, t_shape_str(x, sx, sizeof sx));
    T_CHECK(c, channel_param_ok(b, C), "groupnorm: bias has shape %s, expected (%lld) for input %s",
            t_shape_str(b, sp, sizeof sp), (long long)C, t_shape_str(x, sx, sizeof sx));
    int64_t S = 1;
    for (int i = 2; i < x->nd; i++) S *= x->shape[i];
    T_CHECK(c, S >= 1, "groupnorm: input %s has an empty spatial dim", t_shape_str(x, sx, sizeof sx));
    int ok = 1;
    x = op_contiguous(c, x);
    w = contig_opt(c, w, &ok);
    b = contig_opt(c, b, &ok);
    if (!x || !ok) return NULL;
    tensor *out = t_new(c, x->nd, x->shape);
    if (!out) return NULL;
    tensor *in[3] = {x, w, b};
    tape_node *n = tape_push(c, "groupnorm", groupnorm_bw, out, 3, in);
    float *st = NULL;
    if (n) {
        if (!(st = save_stats(c, n, N * G))) return NULL;
        n->ip[0] = N;
        n->ip[1] = C;
        n->ip[2] = G;
        n->ip[3] = S;
    }
    groupnorm_forward(out->data, st, st ? st + N * G : NULL, x->data, w ? w->data : NULL, b ? b->data : NULL, N, C,
                      G, S, eps);
    return out;
}

static void modulate_bw(ctx *c, tape_node *n) {
    tensor *x = n->in[0], *shift = n->in[1], *scale = n->in[2];
    float *dx = tape_wants(n, 0) ? t_grad(c, x) : NULL;
    float *dsh = tape_wants(n, 1) ? t_grad(c, shift) : NULL;
    float *dsc = tape_wants(n, 2) ? t_grad(c, scale) : NULL;
    if (c->status != MOSA_OK) return;
    modulate_backward(dx, dsh, dsc, n->out->grad, x->data, scale->data, x->shape[0], x->shape[1], x->shape[2]);
}

tensor *op_modulate(ctx *c, tensor *x, tensor *shift, tensor *scale) {
    if (!x || !shift || !scale) return NULL;
    char sx[64], s1[64], s2[64];
    T_CHECK(c, x->nd == 3, "modulate: input %s must be (B,T,C)", t_shape_str(x, sx, sizeof sx));
    const int64_t B = x->shape[0], C = x->shape[2];
    T_CHECK(c,
            shift->nd == 2 && scale->nd == 2 && shift->shape[0] == B && shift->shape[1] == C &&
                scale->shape[0] == B && scale->shape[1] == C,
            "modulate: shift %s and scale %s must both be (%lld,%lld) for input %s",
            t_shape_str(shift, s1, sizeof s1), t_shape_str(scale, s2, sizeof s2), (long long)B, (long long)C,
            t_shape_str(x, sx, sizeof sx));
    x = op_contiguous(c, x);
    shift = op_contiguous(c, shift);
    scale = op_contiguous(c, scale);
    if (!x || !shift || !scale) return NULL;
    tensor *out = t_new(c, 3, x->shape);
    if (!out) return NULL;
    modulate_forward(out->data, x->data, shift->data, scale->data, B, x->shape[1], C);
    tensor *in[3] = {x, shift, scale};
    tape_push(c, "modulate", modulate_bw, out, 3, in);
    return out;
}
