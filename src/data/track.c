/* track.c: pyramidal Lucas-Kanade point tracking with a forward-backward check (see track.h).
 *
 * Bouguet's scheme: from the coarsest level down, the window around the point in I is compared
 * with the window around point + guess + v in J; v is refined by Newton steps
 * v += G^-1 sum (I - J) grad I, with G the window's gradient matrix, and the guess handed to the
 * finer level is 2 (guess + v). Windows are sampled bilinearly, so points are sub-pixel.
 *
 * It is not an affine or illumination-compensated tracker: the window only translates. */
#include "data/track.h"
#include "base/image.h"
#include "data/flow.h"

#include <math.h>
#include <string.h>

track_opts track_opts_default(void) {
    track_opts o;
    o.win = 21;
    o.levels = 3;
    o.max_iters = 20;
    o.stop_eps = 0.01f;
    o.fb_thresh = 1.0f;
    o.min_eig = 1e-6f;
    o.max_residual = 0.1f;
    return o;
}

/* ------------------------------------------------------------------------------------------ */
/* Pyramids with gradients                                                                     */
/* ------------------------------------------------------------------------------------------ */

typedef struct track__pyr {
    int L;
    int w[TRACK_MAX_LEVELS], h[TRACK_MAX_LEVELS];
    float *img[TRACK_MAX_LEVELS], *gx[TRACK_MAX_LEVELS], *gy[TRACK_MAX_LEVELS];
    float *slab;
} track__pyr;

/* Allocates a pyramid for (H,W) frames with up to `levels` levels (stopping before a side gets
 * below the window size's half). */
static mosa_status track__pyr_alloc(track__pyr *p, int W, int H, int levels, int win) {
    memset(p, 0, sizeof *p);
    size_t total = 0;
    p->w[0] = W; p->h[0] = H; p->L = 1;
    while (p->L < levels) {
        int w2 = (p->w[p->L - 1] + 1) / 2, h2 = (p->h[p->L - 1] + 1) / 2;
        if (w2 < win / 2 + 1 || h2 < win / 2 + 1) break;
        p->w[p->L] = w2; p->h[p->L] = h2; p->L++;
    }
    for (int l = 0; l < p->L; l++) total += (size_t)p->w[l] * (size_t)p->h[l];
    /* three planes per level plus one level-0 scratch plane for downsampling */
    p->slab = mosa_malloc((3 * total + (size_t)W * (size_t)H) * sizeof(float));
    if (!p->slab) return mosa_fail_context(MOSA_ERR_NOMEM, "track pyramid %dx%d", W, H);
    float *q = p->slab;
    for (int l = 0; l < p->L; l++) {
        size_t n = (size_t)p->w[l] * (size_t)p->h[l];
        p->img[l] = q; p->gx[l] = q + n; p->gy[l] = q + 2 * n;
        q += 3 * n;
    }
    return MOSA_OK;
}

/* Fills the pyramid from frame g: blurred 2x downsampling, then central-difference gradients. */
static void track__pyr_build(track__pyr *p, const float *g) {
    float *tmp = p->slab;
    for (int l = 0; l < p->L; l++) tmp += 3 * (size_t)p->w[l] * (size_t)p->h[l];
    memcpy(p->img[0], g, (size_t)p->w[0] * (size_t)p->h[0] * sizeof(float));
    for (int l = 1; l < p->L; l++) flow_image_downsample(p->img[l], tmp, p->img[l - 1], p->w[l - 1], p->h[l - 1]);
    for (int l = 0; l < p->L; l++) {
        int w = p->w[l], h = p->h[l];
        const float *im = p->img[l];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int xm = x > 0 ? x - 1 : x, xp = x < w - 1 ? x + 1 : x;
                int ym = y > 0 ? y - 1 : y, yp = y < h - 1 ? y + 1 : y;
                size_t i = (size_t)y * w + x;
                p->gx[l][i] = (im[(size_t)y * w + xp] - im[(size_t)y * w + xm]) / (float)(xp - xm);
                p->gy[l][i] = (im[(size_t)yp * w + x] - im[(size_t)ym * w + x]) / (float)(yp - ym);
            }
    }
}

static void track__pyr_free(track__pyr *p) {
    mosa_free(p->slab);
    p->slab = NULL;
}

static inline float track__sample(const float *img, int w, int h, float x, float y) {
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

/* ------------------------------------------------------------------------------------------ */
/* One point                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Tracks point (px,py) from pyramid I to pyramid J; writes the end point to out and returns
 * true when every level had a trackable window and the final residual is acceptable. */
static bool track__one(float out[2], const track__pyr *I, const track__pyr *J, float px, float py,
                       const track_opts *o) {
    float pI[TRACK_MAX_WIN * TRACK_MAX_WIN], pgx[TRACK_MAX_WIN * TRACK_MAX_WIN], pgy[TRACK_MAX_WIN * TRACK_MAX_WIN];
    uint8_t pin[TRACK_MAX_WIN * TRACK_MAX_WIN]; /* window pixel inside the frame */
    int r = o->win / 2, ninside = 0;
    float gx = 0, gy = 0; /* guess at the current level */
    float vx = 0, vy = 0;
    bool ok = true;
    for (int l = I->L - 1; l >= 0; l--) {
        float sc = 1.0f / (float)(1 << l), cx = px * sc, cy = py * sc;
        int w = I->w[l], h = I->h[l];
        double gxx = 0, gxy = 0, gyy = 0;
        int k = 0, inside = 0;
        for (int dy = -r; dy <= r; dy++)
            for (int dx = -r; dx <= r; dx++, k++) {
                float sx = cx + (float)dx, sy = cy + (float)dy;
                if (sx < 0 || sy < 0 || sx > (float)(w - 1) || sy > (float)(h - 1)) {
                    /* outside the frame: zero gradient takes the pixel out of G and b */
                    pI[k] = pgx[k] = pgy[k] = 0;
                    pin[k] = 0;
                    continue;
                }
                pin[k] = 1;
                inside++;
                pI[k] = track__sample(I->img[l], w, h, sx, sy);
                pgx[k] = track__sample(I->gx[l], w, h, sx, sy);
                pgy[k] = track__sample(I->gy[l], w, h, sx, sy);
                gxx += (double)pgx[k] * pgx[k];
                gxy += (double)pgx[k] * pgy[k];
                gyy += (double)pgy[k] * pgy[k];
            }
        double det = gxx * gyy - gxy * gxy;
        double tr = 0.5 * (gxx + gyy), disc = sqrt(fmax(0.0, tr * tr - det));
        if (inside == 0 || (tr - disc) / inside < (double)o->min_eig || det <= 0) { ok = false; break; }
        ninside = inside;
        vx = vy = 0;
        for (int it = 0; it < o->max_iters; it++) {
            float qx = cx + gx + vx, qy = cy + gy + vy;
            if (qx < -r || qy < -r || qx > (float)(w - 1 + r) || qy > (float)(h - 1 + r)) { ok = false; break; }
            double bx = 0, by = 0;
            k = 0;
            for (int dy = -r; dy <= r; dy++)
                for (int dx = -r; dx <= r; dx++, k++) {
                    float d = pI[k] - track__sample(J->img[l], w, h, qx + (float)dx, qy + (float)dy);
                    bx += (double)d * pgx[k];
                    by += (double)d * pgy[k];
                }
            float ex = (float)((gyy * bx - gxy * by) / det), ey = (float)((gxx * by - gxy * bx) / det);
            vx += ex;
            vy += ey;
            if (ex * ex + ey * ey < o->stop_eps * o->stop_eps) break;
        }
        if (!ok) break;
        if (l > 0) { gx = 2 * (gx + vx); gy = 2 * (gy + vy); }
    }
    if (!ok) { out[0] = px; out[1] = py; return false; }
    out[0] = px + gx + vx;
    out[1] = py + gy + vy;
    if (o->max_residual > 0) {
        double res = 0;
        int k = 0;
        for (int dy = -r; dy <= r; dy++)
            for (int dx = -r; dx <= r; dx++, k++)
                if (pin[k])
                    res += fabs(pI[k] - track__sample(J->img[0], J->w[0], J->h[0], out[0] + (float)dx, out[1] + (float)dy));
        if (res / ninside > (double)o->max_residual) return false;
    }
    return true;
}

/* Tracks N points between two built pyramids with the forward-backward check; points whose
 * `active` entry is 0 are skipped (copied, invalid). active may be NULL for all points. */
static void track__pair(float *pts_out, uint8_t *valid, const track__pyr *P0, const track__pyr *P1,
                        const float *pts_in, const uint8_t *active, int N, const track_opts *o) {
    int W = P0->w[0], H = P0->h[0];
    MOSA_PARALLEL_FOR(N >= 32, schedule(dynamic, 8), for (int i = 0; i < N; i++) {
        float q[2], b[2];
        float x = pts_in[2 * i], y = pts_in[2 * i + 1];
        bool run = (!active || active[i]) && isfinite(x) && isfinite(y);
        bool ok = run && track__one(q, P0, P1, x, y, o);
        if (!run) { q[0] = x; q[1] = y; }
        if (ok && (q[0] < 0 || q[1] < 0 || q[0] > (float)(W - 1) || q[1] > (float)(H - 1))) ok = false;
        if (ok && o->fb_thresh > 0) {
            ok = track__one(b, P1, P0, q[0], q[1], o) && hypotf(b[0] - x, b[1] - y) <= o->fb_thresh;
        }
        pts_out[2 * i] = q[0];
        pts_out[2 * i + 1] = q[1];
        valid[i] = ok ? 1 : 0;
    });
}

static mosa_status track__check(int N, int W, int H, const track_opts *o) {
    if (N < 0 || W < 2 || H < 2 || W > IMAGE_MAX_DIM || H > IMAGE_MAX_DIM)
        return mosa_fail(MOSA_ERR_ARG, "track: bad sizes (N %d >= 0, frame %dx%d within 2..%d)", N, W, H, IMAGE_MAX_DIM);
    if (o->win < 3 || o->win > TRACK_MAX_WIN || o->win % 2 == 0 || o->levels < 1 || o->levels > TRACK_MAX_LEVELS ||
        o->max_iters < 1 || !(o->stop_eps > 0) || !(o->min_eig >= 0))
        return mosa_fail(MOSA_ERR_ARG,
                         "track: bad options (win %d odd in 3..%d, levels %d in 1..%d, max_iters %d >= 1, "
                         "stop_eps %g > 0, min_eig %g >= 0); start from track_opts_default()",
                         o->win, TRACK_MAX_WIN, o->levels, TRACK_MAX_LEVELS, o->max_iters, (double)o->stop_eps,
                         (double)o->min_eig);
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Public API                                                                                  */
/* ------------------------------------------------------------------------------------------ */

mosa_status track_points(float *pts_out, uint8_t *valid, const float *g0, const float *g1, const float *pts_in,
                         int N, int W, int H, const track_opts *o) {
    track_opts def = track_opts_default();
    if (!o) o = &def;
    MOSA_TRY(track__check(N, W, H, o));
    if (N == 0) return MOSA_OK;
    if (!pts_out || !valid || !g0 || !g1 || !pts_in)
        return mosa_fail(MOSA_ERR_ARG, "track_points: NULL buffer; pass pts_out (N,2), valid (N), two frames, pts_in (N,2)");
    track__pyr P0, P1;
    MOSA_TRY(track__pyr_alloc(&P0, W, H, o->levels, o->win));
    mosa_status s = track__pyr_alloc(&P1, W, H, o->levels, o->win);
    if (s != MOSA_OK) { track__pyr_free(&P0); return s; }
    track__pyr_build(&P0, g0);
    track__pyr_build(&P1, g1);
    track__pair(pts_out, valid, &P0, &P1, pts_in, NULL, N, o);
    track__pyr_free(&P0);
    track__pyr_free(&P1);
    return MOSA_OK;
}

mosa_status track_sequence(float *tracks, uint8_t *visible, const float *frames, int T, int W, int H,
                           const float *pts0, int N, const track_opts *o) {
    track_opts def = track_opts_default();
    if (!o) o = &def;
    MOSA_TRY(track__check(N, W, H, o));
    if (T < 1) return mosa_fail(MOSA_ERR_ARG, "track_sequence: T %d must be >= 1", T);
    if (N == 0) return MOSA_OK;
    if (!tracks || !visible || !frames || !pts0)
        return mosa_fail(MOSA_ERR_ARG, "track_sequence: NULL buffer; pass tracks (T,N,2), visible (T,N), frames (T,H,W), pts0 (N,2)");
    for (int i = 0; i < N; i++) {
        float x = pts0[2 * i], y = pts0[2 * i + 1];
        tracks[2 * i] = x;
        tracks[2 * i + 1] = y;
        visible[i] = x >= 0 && y >= 0 && x <= (float)(W - 1) && y <= (float)(H - 1);
    }
    if (T == 1) return MOSA_OK;
    uint8_t *ok = mosa_malloc((size_t)N);
    float *out = mosa_malloc((size_t)N * 2 * sizeof(float));
    track__pyr A, B;
    memset(&A, 0, sizeof A);
    memset(&B, 0, sizeof B);
    mosa_status s = MOSA_OK;
    if (!ok || !out) { s = mosa_fail_context(MOSA_ERR_NOMEM, "track_sequence N=%d", N); goto cleanup; }
    if ((s = track__pyr_alloc(&A, W, H, o->levels, o->win)) != MOSA_OK) goto cleanup;
    if ((s = track__pyr_alloc(&B, W, H, o->levels, o->win)) != MOSA_OK) goto cleanup;
    size_t plane = (size_t)W * (size_t)H;
    track__pyr_build(&A, frames);
    track__pyr *prev = &A, *cur = &B;
    for (int t = 1; t < T; t++) {
        track__pyr_build(cur, frames + (size_t)t * plane);
        const float *pin = tracks + (size_t)(t - 1) * N * 2;
        const uint8_t *vprev = visible + (size_t)(t - 1) * N;
        track__pair(out, ok, prev, cur, pin, vprev, N, o);
        float *pt = tracks + (size_t)t * N * 2;
        uint8_t *vt = visible + (size_t)t * N;
        for (int i = 0; i < N; i++) {
            vt[i] = vprev[i] && ok[i];
            pt[2 * i] = vt[i] ? out[2 * i] : pin[2 * i];
            pt[2 * i + 1] = vt[i] ? out[2 * i + 1] : pin[2 * i + 1];
        }
        track__pyr *sw = prev; prev = cur; cur = sw;
    }
cleanup:
    track__pyr_free(&A);
    track__pyr_free(&B);
    mosa_free(ok);
    mosa_free(out);
    return s;
}
