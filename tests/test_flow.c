/* test_flow.c: dense optical flow (data/flow.h) and pyramidal Lucas-Kanade tracking
 * (data/track.h) on synthetic frames with known motion: translations, a rotation, identical
 * frames, points leaving the frame and an occluded (replaced) region. Prints the measured speeds.
 *
 * It is not a benchmark of accuracy on real video; the frames are smooth analytic textures. */
#include "data/flow.h"
#include "data/track.h"
#include "test.h"

#include <math.h>
#include <string.h>

enum { W = 128, H = 128, NWAVE = 14 };

/* A smooth random texture in [0,1]: a sum of plane waves with wavelengths 7..32 px. */
typedef struct texture { float kx[NWAVE], ky[NWAVE], ph[NWAVE], amp[NWAVE]; } texture;

static void texture_init(texture *t, mosa_rng *r) {
    for (int i = 0; i < NWAVE; i++) {
        float u[3];
        rng_uniform(r, u, 3);
        float lambda = 7.0f + 25.0f * u[0], ang = 6.2831853f * u[1];
        t->kx[i] = 6.2831853f / lambda * cosf(ang);
        t->ky[i] = 6.2831853f / lambda * sinf(ang);
        t->ph[i] = 6.2831853f * u[2];
        t->amp[i] = 1.0f / NWAVE;
    }
}

static float texture_at(const texture *t, float x, float y) {
    float s = 0;
    for (int i = 0; i < NWAVE; i++) s += t->amp[i] * sinf(t->kx[i] * x + t->ky[i] * y + t->ph[i]);
    return 0.5f + 0.7f * s;
}

/* frame0 = T(x); frame1 = T(inverse motion of x) for a rotation by deg about the centre followed
 * by the translation (tx,ty); the true forward flow at x is motion(x) - x. */
static void make_pair(float *g0, float *g1, float *gt, const texture *t, float tx, float ty, float deg) {
    float a = deg * 3.14159265f / 180.0f, c = cosf(a), s = sinf(a), cx = 0.5f * (W - 1), cy = 0.5f * (H - 1);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            size_t i = (size_t)y * W + x;
            g0[i] = texture_at(t, (float)x, (float)y);
            /* inverse motion: subtract translation, rotate by -a */
            float px = (float)x - tx - cx, py = (float)y - ty - cy;
            g1[i] = texture_at(t, c * px + s * py + cx, -s * px + c * py + cy);
            /* forward motion of x */
            float qx = (float)x - cx, qy = (float)y - cy;
            gt[2 * i] = c * qx - s * qy + cx + tx - (float)x;
            gt[2 * i + 1] = s * qx + c * qy + cy + ty - (float)y;
        }
}

/* Mean endpoint error over pixels at least `border` px from the edges. */
static double epe_inner(const float *f, const float *gt, int border) {
    double s = 0;
    int n = 0;
    for (int y = border; y < H - border; y++)
        for (int x = border; x < W - border; x++) {
            size_t i = (size_t)y * W + x;
            s += hypot(f[2 * i] - gt[2 * i], f[2 * i + 1] - gt[2 * i + 1]);
            n++;
        }
    return s / n;
}

static float g0[W * H], g1[W * H], fl[W * H * 2], gt[W * H * 2];

static void test_flow_cases(const texture *t) {
    make_pair(g0, g1, gt, t, 2.5f, -1.25f, 0);
    TEST_COND("flow translation runs", flow_compute(fl, g0, g1, W, H, NULL) == MOSA_OK);
    double e = epe_inner(fl, gt, 8);
    printf("flow translation (2.5,-1.25): EPE %.4f px\n", e);
    TEST_COND("flow translation EPE < 0.1 px", e < 0.1);

    make_pair(g0, g1, gt, t, 0, 0, 2.0f);
    TEST_COND("flow rotation runs", flow_compute(fl, g0, g1, W, H, NULL) == MOSA_OK);
    e = epe_inner(fl, gt, 8);
    printf("flow rotation 2 deg: EPE %.4f px\n", e);
    TEST_COND("flow rotation EPE < 0.2 px", e < 0.2);

    make_pair(g0, g1, gt, t, 0, 0, 0);
    TEST_COND("flow identical runs", flow_compute(fl, g0, g0, W, H, NULL) == MOSA_OK);
    float m = flow_magnitude_mean(fl, NULL, W, H);
    printf("flow identical frames: mean magnitude %.2e px\n", (double)m);
    TEST_COND("flow zero on identical frames", m < 1e-4f);

    /* magnitude helper with a mask */
    static uint8_t mask[W * H];
    static float f2[W * H * 2];
    memset(mask, 0, sizeof mask);
    for (int i = 0; i < W * H; i++) { f2[2 * i] = 3; f2[2 * i + 1] = 4; }
    mask[5] = 1;
    f2[10] = 30; /* pixel 5's dx */
    f2[11] = 40;
    TEST_COND("magnitude mean over mask", fabsf(flow_magnitude_mean(f2, mask, W, H) - 50.0f) < 1e-4f);
    memset(mask, 0, sizeof mask);
    TEST_COND("magnitude mean of empty mask is 0", flow_magnitude_mean(f2, mask, W, H) == 0.0f);

    /* bad input gets a status, not a crash */
    flow_opts bad = flow_opts_default();
    bad.omega = 2.5f;
    TEST_COND("flow rejects bad omega", flow_compute(fl, g0, g1, W, H, &bad) == MOSA_ERR_ARG);
    TEST_COND("flow rejects tiny frame", flow_compute(fl, g0, g1, 1, H, NULL) == MOSA_ERR_ARG);

    /* speed: one 128x128 pair on one thread */
    make_pair(g0, g1, gt, t, 2.5f, -1.25f, 0);
    int reps = 20;
    double t0 = time_now();
    for (int r = 0; r < reps; r++) flow_compute(fl, g0, g1, W, H, NULL);
    double ms = (time_now() - t0) * 1e3 / reps;
    printf("speed: flow_compute 128x128 pair %.2f ms\n", ms);
}

/* Mean tracking error of the valid points against the true motion gt, and the valid count. */
static double track_error(const float *out, const uint8_t *ok, const float *in, int n, float tx, float ty, int *nvalid) {
    double e = 0;
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (!ok[i]) continue;
        e += hypot(out[2 * i] - (in[2 * i] + tx), out[2 * i + 1] - (in[2 * i + 1] + ty));
        k++;
    }
    *nvalid = k;
    return k ? e / k : 1e9;
}

static void test_track_cases(const texture *t) {
    enum { N = 100 };
    float pin[N * 2], pout[N * 2];
    uint8_t ok[N];
    /* a 10x10 grid of points in the interior */
    for (int i = 0; i < N; i++) {
        pin[2 * i] = 20.0f + 9.7f * (float)(i % 10);
        pin[2 * i + 1] = 20.0f + 9.3f * (float)(i / 10);
    }
    const float moves[3][2] = {{2.5f, -1.25f}, {-4.0f, 3.3f}, {0.4f, 0.7f}};
    for (int m = 0; m < 3; m++) {
        make_pair(g0, g1, gt, t, moves[m][0], moves[m][1], 0);
        TEST_COND("track runs", track_points(pout, ok, g0, g1, pin, N, W, H, NULL) == MOSA_OK);
        int nv;
        double e = track_error(pout, ok, pin, N, moves[m][0], moves[m][1], &nv);
        printf("LK translation (%.2f,%.2f): %d/%d valid, mean error %.4f px\n", (double)moves[m][0],
               (double)moves[m][1], nv, N, e);
        TEST_COND("LK keeps all interior points", nv == N);
        TEST_COND("LK translation error < 0.1 px", e < 0.1);
    }

    /* points that leave the frame: translate by 12 px to the right, points near the right edge */
    make_pair(g0, g1, gt, t, 12.0f, 0, 0);
    float pe[4 * 2] = {120, 40, 124, 80, 40, 60, 60, 60};
    uint8_t oke[4];
    TEST_COND("track runs (leaving)", track_points(pout, oke, g0, g1, pe, 4, W, H, NULL) == MOSA_OK);
    TEST_COND("points leaving the frame are invalid", !oke[0] && !oke[1]);
    TEST_COND("interior points stay valid", oke[2] && oke[3]);
    TEST_COND("interior point tracked", fabsf(pout[4] - 52.0f) < 0.1f && fabsf(pout[6] - 72.0f) < 0.1f);

    /* occlusion: a square of frame 1 is replaced by an unrelated texture */
    texture other;
    mosa_rng r2;
    rng_seed(&r2, 99);
    texture_init(&other, &r2);
    make_pair(g0, g1, gt, t, 2.0f, 1.0f, 0);
    for (int y = 50; y < 90; y++)
        for (int x = 50; x < 90; x++) g1[y * W + x] = texture_at(&other, (float)x, (float)y);
    float po[6 * 2] = {68, 68, 70, 72, 66, 74, 20, 20, 100, 30, 30, 105};
    uint8_t oko[6];
    TEST_COND("track runs (occluded)", track_points(pout, oko, g0, g1, po, 6, W, H, NULL) == MOSA_OK);
    TEST_COND("points landing in the replaced region are invalid", !oko[0] && !oko[1] && !oko[2]);
    TEST_COND("points away from it stay valid", oko[3] && oko[4] && oko[5]);
    track_opts fb_only = track_opts_default();
    fb_only.max_residual = 0; /* the forward-backward check alone must catch them */
    TEST_COND("track runs (occluded, fb only)", track_points(pout, oko, g0, g1, po, 6, W, H, &fb_only) == MOSA_OK);
    TEST_COND("forward-backward check marks occluded points", !oko[0] && !oko[1] && !oko[2] && oko[3] && oko[4] && oko[5]);

    /* sequence: a steady drift of (1.5, 0.5) px/frame over 8 frames; a point starting near the
     * right edge leaves, the others follow */
    enum { T = 8, NS = 3 };
    static float seq[T * W * H];
    for (int f = 0; f < T; f++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                seq[(size_t)f * W * H + y * W + x] = texture_at(t, (float)x - 1.5f * f, (float)y - 0.5f * f);
    float p0[NS * 2] = {30, 40, 64, 64, 118, 70};
    float tr[T * NS * 2];
    uint8_t vis[T * NS];
    TEST_COND("track_sequence runs", track_sequence(tr, vis, seq, T, W, H, p0, NS, NULL) == MOSA_OK);
    double es = 0;
    for (int i = 0; i < 2; i++)
        es = fmax(es, hypot(tr[((T - 1) * NS + i) * 2] - (p0[2 * i] + 1.5 * (T - 1)),
                            tr[((T - 1) * NS + i) * 2 + 1] - (p0[2 * i + 1] + 0.5 * (T - 1))));
    printf("track_sequence: drift error after %d frames %.4f px\n", T - 1, es);
    TEST_COND("sequence points visible to the end", vis[(T - 1) * NS] && vis[(T - 1) * NS + 1]);
    TEST_COND("sequence drift error < 0.2 px", es < 0.2);
    TEST_COND("edge point lost and stays lost", !vis[(T - 1) * NS + 2] && vis[2]);

    track_opts bad = track_opts_default();
    bad.win = 20;
    TEST_COND("track rejects an even window", track_points(pout, ok, g0, g1, pin, N, W, H, &bad) == MOSA_ERR_ARG);

    /* speed: 100 points, forward and backward */
    make_pair(g0, g1, gt, t, 2.5f, -1.25f, 0);
    int reps = 20;
    double t0 = time_now();
    for (int k = 0; k < reps; k++) track_points(pout, ok, g0, g1, pin, N, W, H, NULL);
    printf("speed: track_points 100 points (with forward-backward) %.2f ms\n", (time_now() - t0) * 1e3 / reps);
}

int main(void) {
    mosa_rng r;
    rng_seed(&r, 7);
    texture t;
    texture_init(&t, &r);
    test_flow_cases(&t);
    test_track_cases(&t);
    return test_report();
}
