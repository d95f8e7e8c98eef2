/* flow.c: coarse-to-fine variational optical flow (see flow.h).
 *
 * Per pyramid level, coarsest first: warp g1 towards g0 with the current flow (bicubic), then
 * linearise the brightness constancy around it and solve for an increment (du,dv) minimising
 *   sum_x psi(w^T J w) + alpha^2 (|grad(u+du)|^2 + |grad(v+dv)|^2),   w = (du, dv, 1),
 * where J = K * (grad3 I grad3 I^T) is the motion tensor of (Ix, Iy, It) smoothed over a 5x5
 * binomial window (the combined local-global method of Bruhn et al. 2005: the local integration
 * fills in the aperture problem, so the solver converges in a few sweeps) and
 * psi(s^2) = sqrt(s^2 + eps^2) is the robust Charbonnier penaliser. The linear system with psi'
 * frozen (lagged nonlinearity, re-evaluated every 5 sweeps) is solved by red-black SOR. The flow
 * is then upsampled (bilinear, times 2) to the next finer level. With warping this is the
 * Horn-Schunck / Brox et al. 2004 family, without the gradient-constancy term.
 *
 * It is not tuned for large displacements (more than about 2^levels pixels) or occlusions. */
#include "data/flow.h"

#include <math.h>
#include <string.h>

flow_opts flow_opts_default(void) {
    flow_opts o;
    o.levels = 4;
    o.min_size = 12;
    o.warps = 3;
    o.iters = 10;
    o.alpha = 0.08f;
    o.eps = 0.01f;
    o.omega = 1.8f;
    return o;
}

mosa_status flow_gray_from_rgb(float *gray, const image *im) {
    if (!gray) return mosa_fail(MOSA_ERR_ARG, "flow_gray_from_rgb: output is NULL; pass a W*H float buffer");
    MOSA_TRY(image_check(im, "flow input image"));
    size_t n = (size_t)im->w * (size_t)im->h;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = im->rgb + 3 * i;
        gray[i] = (0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]) * (1.0f / 255.0f);
    }
    return MOSA_OK;
}

float flow_magnitude_mean(const float *flow, const uint8_t *mask, int W, int H) {
    double sum = 0;
    size_t n = 0, np = (size_t)W * (size_t)H;
    for (size_t i = 0; i < np; i++) {
        if (mask && !mask[i]) continue;
        sum += sqrt((double)flow[2 * i] * flow[2 * i] + (double)flow[2 * i + 1] * flow[2 * i + 1]);
        n++;
    }
    return n ? (float)(sum / (double)n) : 0.0f;
}

/* ------------------------------------------------------------------------------------------ */
/* Pyramid and sampling                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* Bilinear sample of img (h,w) at (x,y), coordinates clamped to the image. */
static inline float flow__sample(const float *img, int w, int h, float x, float y) {
    if (x < 0) x = 0;
    if (y < 0) y = 0;
    if (x > (float)(w - 1)) x = (float)(w - 1);
    if (y > (float)(h - 1)) y = (float)(h - 1);
    int x0 = (int)x, y0 = (int)y;
    int x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
    float fx = x - (float)x0, fy = y - (float)y0;
    const float *r0 = img + (size_t)y0 * w, *r1 = img + (size_t)y1 * w;
    float a = r0[x0] + fx * (r0[x1] - r0[x0]);
    float b = r1[x0] + fx * (r1[x1] - r1[x0]);
    return a + fy * (b - a);
}

/* Bicubic (Catmull-Rom, Keys a = -0.5) sample of img (h,w) at (x,y), clamped borders. Used for
 * warping: bilinear interpolation's error at half-pixel shifts is large enough on fine texture
 * to bias the flow by a tenth of a pixel. */
static inline float flow__sample_cubic(const float *img, int w, int h, float x, float y) {
    if (x < 0) x = 0;
    if (y < 0) y = 0;
    if (x > (float)(w - 1)) x = (float)(w - 1);
    if (y > (float)(h - 1)) y = (float)(h - 1);
    int x0 = (int)x, y0 = (int)y;
    float fx = x - (float)x0, fy = y - (float)y0, wx[4], wy[4];
    float t = fx, t2 = t * t, t3 = t2 * t;
    wx[0] = -0.5f * t3 + t2 - 0.5f * t;
    wx[1] = 1.5f * t3 - 2.5f * t2 + 1;
    wx[2] = -1.5f * t3 + 2 * t2 + 0.5f * t;
    wx[3] = 0.5f * t3 - 0.5f * t2;
    t = fy; t2 = t * t; t3 = t2 * t;
    wy[0] = -0.5f * t3 + t2 - 0.5f * t;
    wy[1] = 1.5f * t3 - 2.5f * t2 + 1;
    wy[2] = -1.5f * t3 + 2 * t2 + 0.5f * t;
    wy[3] = 0.5f * t3 - 0.5f * t2;
    int xs[4];
    for (int k = 0; k < 4; k++) {
        int xx = x0 - 1 + k;
        xs[k] = xx < 0 ? 0 : (xx >= w ? w - 1 : xx);
    }
    float s = 0;
    for (int j = 0; j < 4; j++) {
        int yy = y0 - 1 + j;
        yy = yy < 0 ? 0 : (yy >= h ? h - 1 : yy);
        const float *r = img + (size_t)yy * w;
        s += wy[j] * (wx[0] * r[xs[0]] + wx[1] * r[xs[1]] + wx[2] * r[xs[2]] + wx[3] * r[xs[3]]);
    }
    return s;
}

/* One pyramid step; the contract is in flow.h. */
void flow_image_downsample(float *dst, float *tmp, const float *src, int w, int h) {
    static const float k[5] = {1.f / 16, 4.f / 16, 6.f / 16, 4.f / 16, 1.f / 16};
    int w2 = (w + 1) / 2, h2 = (h + 1) / 2;
    for (int y = 0; y < h; y++) {
        const float *row = src + (size_t)y * w;
        for (int x = 0; x < w2; x++) {
            float s = 0;
            for (int i = -2; i <= 2; i++) {
                int xx = 2 * x + i;
                xx = xx < 0 ? 0 : (xx >= w ? w - 1 : xx);
                s += k[i + 2] * row[xx];
            }
            tmp[(size_t)y * w2 + x] = s;
        }
    }
    for (int y = 0; y < h2; y++) {
        float *out = dst + (size_t)y * w2;
        for (int x = 0; x < w2; x++) out[x] = 0;
        for (int i = -2; i <= 2; i++) {
            int yy = 2 * y + i;
            yy = yy < 0 ? 0 : (yy >= h ? h - 1 : yy);
            const float *row = tmp + (size_t)yy * w2;
            for (int x = 0; x < w2; x++) out[x] += k[i + 2] * row[x];
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* One level                                                                                   */
/* ------------------------------------------------------------------------------------------ */

enum { FLOW_NJ = 6 }; /* structure tensor entries J11 J12 J22 J13 J23 J33 */

typedef struct flow__scratch {
    float *avg, *it, *du, *dv, *psi, *inv_u, *inv_v, *tmp;
    float *j[FLOW_NJ];
} flow__scratch;

/* Smooths plane p (h,w) in place with the separable binomial [1 4 6 4 1]/16, clamped borders. */
static void flow__blur5(float *p, float *tmp, int w, int h) {
    static const float k[5] = {1.f / 16, 4.f / 16, 6.f / 16, 4.f / 16, 1.f / 16};
    for (int y = 0; y < h; y++) {
        const float *r = p + (size_t)y * w;
        float *o = tmp + (size_t)y * w;
        for (int x = 0; x < w; x++) {
            float s = 0;
            for (int i = -2; i <= 2; i++) {
                int xx = x + i < 0 ? 0 : (x + i >= w ? w - 1 : x + i);
                s += k[i + 2] * r[xx];
            }
            o[x] = s;
        }
    }
    for (int y = 0; y < h; y++) {
        float *o = p + (size_t)y * w;
        for (int x = 0; x < w; x++) o[x] = 0;
        for (int i = -2; i <= 2; i++) {
            int yy = y + i < 0 ? 0 : (y + i >= h ? h - 1 : y + i);
            const float *r = tmp + (size_t)yy * w;
            for (int x = 0; x < w; x++) o[x] += k[i + 2] * r[x];
        }
    }
}

/* One SOR update of (du,dv) at border pixel i = (x,y), where fewer than four neighbours exist
 * (Neumann boundary: the missing neighbours drop out of the smoothness term). */
static void flow__sor_edge(const float *u, const float *v, flow__scratch *s, size_t i, int x, int y, int w, int h,
                           float a2, float om) {
    float su = 0, sv = 0, nn = 0;
    if (x > 0) { su += u[i - 1] + s->du[i - 1]; sv += v[i - 1] + s->dv[i - 1]; nn += 1; }
    if (x < w - 1) { su += u[i + 1] + s->du[i + 1]; sv += v[i + 1] + s->dv[i + 1]; nn += 1; }
    if (y > 0) { su += u[i - w] + s->du[i - w]; sv += v[i - w] + s->dv[i - w]; nn += 1; }
    if (y < h - 1) { su += u[i + w] + s->du[i + w]; sv += v[i + w] + s->dv[i + w]; nn += 1; }
    su -= nn * u[i];
    sv -= nn * v[i];
    float p = s->psi[i];
    float du = (a2 * su - p * (s->j[1][i] * s->dv[i] + s->j[3][i])) / (p * s->j[0][i] + a2 * nn);
    s->du[i] += om * (du - s->du[i]);
    float dv = (a2 * sv - p * (s->j[1][i] * s->du[i] + s->j[4][i])) / (p * s->j[2][i] + a2 * nn);
    s->dv[i] += om * (dv - s->dv[i]);
}

/* Refines the flow (u,v) of one level (h,w) in place: `warps` rounds of warp, linearise, build
 * the locally integrated structure tensor and SOR-solve for the increment. */
static void flow__level_refine(float *u, float *v, const float *g0, const float *g1, int w, int h,
                               const flow_opts *o, flow__scratch *s) {
    const float a2 = o->alpha * o->alpha, eps2 = o->eps * o->eps, om = o->omega;
    size_t n = (size_t)w * (size_t)h;
    for (int warp = 0; warp < o->warps; warp++) {
        /* warp g1 by the flow; it = warped - g0 (NAN outside), avg = the mean image */
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                size_t i = (size_t)y * w + x;
                float wx = (float)x + u[i], wy = (float)y + v[i];
                float wv = flow__sample_cubic(g1, w, h, wx, wy);
                bool inside = wx >= 0 && wy >= 0 && wx <= (float)(w - 1) && wy <= (float)(h - 1);
                s->it[i] = inside ? wv - g0[i] : NAN;
                s->avg[i] = 0.5f * (wv + g0[i]);
            }
        }
        /* five-point derivatives [1 -8 0 8 -1]/12 of avg (clamped borders), then the motion
         * tensor entries; pixels warped outside g1 get no data term */
        for (int y = 0; y < h; y++) {
            const float *r = s->avg + (size_t)y * w;
            int ym2 = y - 2 < 0 ? 0 : y - 2, ym1 = y - 1 < 0 ? 0 : y - 1;
            int yp1 = y + 1 >= h ? h - 1 : y + 1, yp2 = y + 2 >= h ? h - 1 : y + 2;
            for (int x = 0; x < w; x++) {
                int xm2 = x - 2 < 0 ? 0 : x - 2, xm1 = x - 1 < 0 ? 0 : x - 1;
                int xp1 = x + 1 >= w ? w - 1 : x + 1, xp2 = x + 2 >= w ? w - 1 : x + 2;
                size_t i = (size_t)y * w + x;
                float gx = (r[xm2] - 8 * r[xm1] + 8 * r[xp1] - r[xp2]) * (1.0f / 12);
                float gy = (s->avg[(size_t)ym2 * w + x] - 8 * s->avg[(size_t)ym1 * w + x] +
                            8 * s->avg[(size_t)yp1 * w + x] - s->avg[(size_t)yp2 * w + x]) * (1.0f / 12);
                float gt = s->it[i];
                if (isnan(gt)) gx = gy = gt = 0;
                s->j[0][i] = gx * gx;
                s->j[1][i] = gx * gy;
                s->j[2][i] = gy * gy;
                s->j[3][i] = gx * gt;
                s->j[4][i] = gy * gt;
                s->j[5][i] = gt * gt;
            }
        }
        for (int c = 0; c < FLOW_NJ; c++) flow__blur5(s->j[c], s->tmp, w, h);
        memset(s->du, 0, n * sizeof(float));
        memset(s->dv, 0, n * sizeof(float));
        const float *J11 = s->j[0], *J12 = s->j[1], *J22 = s->j[2], *J13 = s->j[3], *J23 = s->j[4], *J33 = s->j[5];
        for (int it = 0; it < o->iters; it++) {
            if (it % 5 == 0) /* lagged nonlinearity: Charbonnier weights psi'(r^2) at the current increment */
                for (size_t i = 0; i < n; i++) {
                    float a = s->du[i], b = s->dv[i];
                    float r2 = J11[i] * a * a + 2 * J12[i] * a * b + J22[i] * b * b + 2 * J13[i] * a +
                               2 * J23[i] * b + J33[i];
                    float p = 0.5f / sqrtf((r2 > 0 ? r2 : 0) + eps2);
                    s->psi[i] = p;
                    s->inv_u[i] = 1.0f / (p * J11[i] + 4 * a2); /* interior denominators */
                    s->inv_v[i] = 1.0f / (p * J22[i] + 4 * a2);
                }
            /* red-black ordering: pixels of one colour do not depend on each other, so the
             * sweep has no serial dependency chain */
            float *du = s->du, *dv = s->dv; /* no restrict: flow__sor_edge writes them too */
            const float *ps = s->psi, *iu = s->inv_u, *iv = s->inv_v;
            for (int c = 0; c < 2; c++) {
                for (int y = 0; y < h; y++) {
                    int x = (y + c) & 1;
                    if (y == 0 || y == h - 1) {
                        for (; x < w; x += 2) flow__sor_edge(u, v, s, (size_t)y * w + x, x, y, w, h, a2, om);
                        continue;
                    }
                    if (x == 0) {
                        flow__sor_edge(u, v, s, (size_t)y * w, 0, y, w, h, a2, om);
                        x = 2;
                    }
                    for (; x < w - 1; x += 2) {
                        size_t i = (size_t)y * w + x;
                        /* interior: su = sum (u_n + du_n) - 4 u, the Laplacian term */
                        float su = u[i - 1] + du[i - 1] + u[i + 1] + du[i + 1] + u[i - w] + du[i - w] + u[i + w] +
                                   du[i + w] - 4 * u[i];
                        float sv = v[i - 1] + dv[i - 1] + v[i + 1] + dv[i + 1] + v[i - w] + dv[i - w] + v[i + w] +
                                   dv[i + w] - 4 * v[i];
                        float p = ps[i];
                        float nu = (a2 * su - p * (J12[i] * dv[i] + J13[i])) * iu[i];
                        du[i] += om * (nu - du[i]);
                        float nv = (a2 * sv - p * (J12[i] * du[i] + J23[i])) * iv[i];
                        dv[i] += om * (nv - dv[i]);
                    }
                    if (x == w - 1) flow__sor_edge(u, v, s, (size_t)y * w + w - 1, w - 1, y, w, h, a2, om);
                }
            }
        }
        for (size_t i = 0; i < n; i++) {
            u[i] += s->du[i];
            v[i] += s->dv[i];
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Driver                                                                                      */
/* ------------------------------------------------------------------------------------------ */

enum { FLOW_MAX_LEVELS = 12 };

mosa_status flow_compute(float *flow, const float *g0, const float *g1, int W, int H, const flow_opts *o) {
    flow_opts def = flow_opts_default();
    if (!o) o = &def;
    if (!flow || !g0 || !g1) return mosa_fail(MOSA_ERR_ARG, "flow_compute: NULL buffer; pass flow (H,W,2) and two (H,W) frames");
    if (W < 2 || H < 2 || W > IMAGE_MAX_DIM || H > IMAGE_MAX_DIM)
        return mosa_fail(MOSA_ERR_ARG, "flow_compute: frame size %dx%d outside 2..%d", W, H, IMAGE_MAX_DIM);
    if (o->levels < 1 || o->levels > FLOW_MAX_LEVELS || o->warps < 1 || o->iters < 1 || o->min_size < 2 ||
        !(o->alpha > 0) || !(o->eps > 0) || !(o->omega > 0 && o->omega < 2))
        return mosa_fail(MOSA_ERR_ARG,
                         "flow_compute: bad options (levels %d in 1..%d, warps %d, iters %d >= 1, min_size %d >= 2, "
                         "alpha %g > 0, eps %g > 0, omega %g in (0,2)); start from flow_opts_default()",
                         o->levels, FLOW_MAX_LEVELS, o->warps, o->iters, o->min_size, (double)o->alpha,
                         (double)o->eps, (double)o->omega);

    /* level sizes */
    int lw[FLOW_MAX_LEVELS], lh[FLOW_MAX_LEVELS], L = 1;
    size_t off[FLOW_MAX_LEVELS + 1];
    lw[0] = W; lh[0] = H; off[0] = 0;
    while (L < o->levels) {
        int w2 = (lw[L - 1] + 1) / 2, h2 = (lh[L - 1] + 1) / 2;
        if (w2 < o->min_size || h2 < o->min_size) break;
        lw[L] = w2; lh[L] = h2; L++;
    }
    for (int l = 0; l < L; l++) off[l + 1] = off[l] + (size_t)lw[l] * (size_t)lh[l];
    size_t P = off[L], n0 = (size_t)W * (size_t)H;

    /* one slab: two pyramids, u and v per level, 14 level-0-sized scratch planes */
    float *slab = mosa_malloc((4 * P + 14 * n0) * sizeof(float));
    if (!slab) return mosa_fail_context(MOSA_ERR_NOMEM, "flow_compute %dx%d", W, H);
    float *p0 = slab, *p1 = slab + P, *pu = slab + 2 * P, *pv = slab + 3 * P, *sc = slab + 4 * P;
    flow__scratch s;
    s.avg = sc; s.it = sc + n0; s.du = sc + 2 * n0; s.dv = sc + 3 * n0; s.psi = sc + 4 * n0;
    s.inv_u = sc + 5 * n0; s.inv_v = sc + 6 * n0; s.tmp = sc + 7 * n0;
    for (int c = 0; c < FLOW_NJ; c++) s.j[c] = sc + (size_t)(8 + c) * n0;

    memcpy(p0, g0, n0 * sizeof(float));
    memcpy(p1, g1, n0 * sizeof(float));
    for (int l = 1; l < L; l++) {
        flow_image_downsample(p0 + off[l], s.avg, p0 + off[l - 1], lw[l - 1], lh[l - 1]);
        flow_image_downsample(p1 + off[l], s.avg, p1 + off[l - 1], lw[l - 1], lh[l - 1]);
    }

    memset(pu + off[L - 1], 0, (off[L] - off[L - 1]) * sizeof(float));
    memset(pv + off[L - 1], 0, (off[L] - off[L - 1]) * sizeof(float));
    for (int l = L - 1; l >= 0; l--) {
        int w = lw[l], h = lh[l];
        float *u = pu + off[l], *v = pv + off[l];
        if (l < L - 1) { /* upsample the coarser flow: coarse pixel x sits at fine 2x */
            const float *cu = pu + off[l + 1], *cv = pv + off[l + 1];
            int cw = lw[l + 1], ch = lh[l + 1];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    size_t i = (size_t)y * w + x;
                    u[i] = 2.0f * flow__sample(cu, cw, ch, 0.5f * (float)x, 0.5f * (float)y);
                    v[i] = 2.0f * flow__sample(cv, cw, ch, 0.5f * (float)x, 0.5f * (float)y);
                }
        }
        flow__level_refine(u, v, p0 + off[l], p1 + off[l], w, h, o, &s);
    }
    for (size_t i = 0; i < n0; i++) {
        flow[2 * i] = pu[i];
        flow[2 * i + 1] = pv[i];
    }
    mosa_free(slab);
    return MOSA_OK;
}
