/* draw.c: OpenPose-18 skeleton drawing as ControlNet/DWPose's draw_bodypose (see draw.h), with
 * coverage anti-aliasing by supersampling. Only bodies: no hands, no face, no text.
 *
 * Rasterization: a shape (the ellipse polygon of a limb, the disc of a joint) is turned into one
 * horizontal span [xl, xr] per sample row (ss sample rows per pixel row); a pixel's coverage is
 * the number of its ss x ss samples inside the spans of its sample rows. Polygons are convex
 * (ellipse2Poly), so one span per row is exact. Cost: O(vertices + rows + covered pixels). */
#include "render/draw.h"

#include "base/skeleton.h"

#include <math.h>
#include <pthread.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#define DRAW_THREAD_ID() omp_get_thread_num()
#else
#define DRAW_THREAD_ID() 0
#endif

/* limbSeq of draw_bodypose, 1-based [2,3] [2,6] [3,4] ... minus one; the two pairs listed after
 * these ([3,17], [6,18]) are never drawn by the reference and are left out. */
const int draw_limbs[DRAW_N_LIMBS][2] = {{1, 2}, {1, 5},  {2, 3},   {3, 4},  {5, 6},   {6, 7},
                                         {1, 8}, {8, 9},  {9, 10},  {1, 11}, {11, 12}, {12, 13},
                                         {1, 0}, {0, 14}, {14, 16}, {0, 15}, {15, 17}};

const uint8_t draw_colors[18][3] = {{255, 0, 0},   {255, 85, 0},  {255, 170, 0}, {255, 255, 0}, {170, 255, 0},
                                    {85, 255, 0},  {0, 255, 0},   {0, 255, 85},  {0, 255, 170}, {0, 255, 255},
                                    {0, 170, 255}, {0, 85, 255},  {0, 0, 255},   {85, 0, 255},  {170, 0, 255},
                                    {255, 0, 255}, {255, 0, 170}, {255, 0, 85}};

draw_opts draw_opts_default(void) {
    draw_opts o = {0.3f, 4, 0, 4, 4, 0, 0, DRAW_DROP_NONE};
    return o;
}

mosa_status draw_opts_check(const draw_opts *o) {
    if (!o) return mosa_fail(MOSA_ERR_ARG, "draw: options are NULL");
    if (o->supersample < 1 || o->supersample > 8)
        return mosa_fail(MOSA_ERR_ARG, "draw: supersample %d is out of range: want 1..8", o->supersample);
    if (o->stickwidth < 1 || o->stickwidth > 256)
        return mosa_fail(MOSA_ERR_ARG, "draw: stickwidth %d is out of range: want 1..256", o->stickwidth);
    if (o->radius < 0 || o->radius > 256)
        return mosa_fail(MOSA_ERR_ARG, "draw: joint radius %d is out of range: want 0..256", o->radius);
    if (!isfinite(o->threshold)) return mosa_fail(MOSA_ERR_ARG, "draw: threshold is not a finite number");
    return MOSA_OK;
}

mosa_status draw_drop_parse(const char *s, uint32_t *drop) {
    if (!s) return mosa_fail(MOSA_ERR_ARG, "half-body: no spec given");
    if (!strcmp(s, "none") || !*s) return *drop = DRAW_DROP_NONE, MOSA_OK;
    if (!strcmp(s, "upper")) return *drop = DRAW_DROP_UPPER, MOSA_OK;
    if (!strcmp(s, "lower")) {
        *drop = ((1u << OP18_J) - 1u) & ~((1u << OP_R_HIP) | (1u << OP_R_KNEE) | (1u << OP_R_ANKLE) |
                                          (1u << OP_L_HIP) | (1u << OP_L_KNEE) | (1u << OP_L_ANKLE));
        return MOSA_OK;
    }
    uint32_t m = 0;
    const char *cur = s;
    for (;;) {
        const char *end = strchr(cur, ',');
        size_t len = end ? (size_t)(end - cur) : strlen(cur);
        int found = -1;
        for (int j = 0; j < OP18_J; j++)
            if (strlen(op18_names[j]) == len && !strncmp(op18_names[j], cur, len)) found = j;
        if (found < 0 && len > 0 && len <= 2 && cur[0] >= '0' && cur[0] <= '9' &&
            (len == 1 || (cur[1] >= '0' && cur[1] <= '9'))) {
            int v = len == 1 ? cur[0] - '0' : (cur[0] - '0') * 10 + (cur[1] - '0');
            if (v < OP18_J) found = v;
        }
        if (found < 0)
            return mosa_fail(MOSA_ERR_ARG,
                             "half-body: unknown keypoint '%.*s' in \"%s\" (want none, upper, lower, or a comma list of "
                             "OpenPose-18 names such as right_knee,left_ankle or indices 0..17)",
                             (int)len, cur, s);
        m |= 1u << found;
        if (!end) break;
        cur = end + 1;
    }
    *drop = m;
    return MOSA_OK;
}

int draw_stickwidth(const draw_opts *o, int W, int H) {
    if (!o->stick_scale) return o->stickwidth;
    int side = W > H ? W : H;
    int scale = side < 500 ? 1 : (2 + side / 1000 < 7 ? 2 + side / 1000 : 7);
    return o->stickwidth * scale;
}

/* ------------------------------------------------------------------------------------------ */
/* Spans and coverage                                                                         */
/* ------------------------------------------------------------------------------------------ */

typedef struct draw_raster {
    image *im;
    int ss;
    float off[8];  /* sample offsets inside a pixel: (k + 0.5)/ss - 0.5 */
    float *xl, *xr; /* (H*ss) span ends per sample row */
    int j0, j1;     /* sample rows of the current shape, inclusive, clipped to the image */
} draw_raster;

static inline float draw__sample_y(const draw_raster *r, int j) { return (float)(j / r->ss) + r->off[j % r->ss]; }

/* Sets the sample-row range of a shape spanning [ymin, ymax] pixels; false if it misses the image. */
static bool draw__rows(draw_raster *r, double ymin, double ymax) {
    int ss = r->ss, nrows = r->im->h * ss;
    double jlo = ceil((ymin + 0.5) * ss - 0.5), jhi = floor((ymax + 0.5) * ss - 0.5);
    if (jlo < 0) jlo = 0;
    if (jhi > nrows - 1) jhi = nrows - 1;
    if (jlo > jhi) return false;
    r->j0 = (int)jlo, r->j1 = (int)jhi;
    for (int j = r->j0; j <= r->j1; j++) r->xl[j] = INFINITY, r->xr[j] = -INFINITY;
    return true;
}

/* Spans of a convex polygon pts (n,2) with vertices in order (either orientation). Edges are
 * inclusive: a sample exactly on the boundary is inside, as OpenCV's fill includes it. */
static bool draw__spans_polygon(draw_raster *r, const float (*pts)[2], int n) {
    float ymin = INFINITY, ymax = -INFINITY;
    for (int i = 0; i < n; i++) ymin = fminf(ymin, pts[i][1]), ymax = fmaxf(ymax, pts[i][1]);
    if (!draw__rows(r, ymin, ymax)) return false;
    int ss = r->ss;
    for (int i = 0; i < n; i++) {
        const float *p = pts[i], *q = pts[(i + 1) % n];
        if (p[1] == q[1]) {
            /* horizontal edge: only a sample row exactly on it sees it (its ends also lie on the
             * neighbouring edges, so this matters only for a polygon flat as a line) */
            int j = (int)ceil(((double)p[1] + 0.5) * ss - 0.5);
            if (j >= r->j0 && j <= r->j1 && draw__sample_y(r, j) == p[1]) {
                r->xl[j] = fminf(r->xl[j], fminf(p[0], q[0]));
                r->xr[j] = fmaxf(r->xr[j], fmaxf(p[0], q[0]));
            }
            continue;
        }
        double y0 = p[1], y1 = q[1], x0 = p[0], x1 = q[0];
        if (y0 > y1) {
            double t = y0; y0 = y1; y1 = t;
            t = x0; x0 = x1; x1 = t;
        }
        int jlo = (int)fmin(fmax(ceil((y0 + 0.5) * ss - 0.5), (double)r->j0), (double)r->j1 + 1);
        int jhi = (int)fmax(fmin(floor((y1 + 0.5) * ss - 0.5), (double)r->j1), (double)r->j0 - 1);
        double slope = (x1 - x0) / (y1 - y0);
        for (int j = jlo; j <= jhi; j++) {
            float x = (float)(x0 + ((double)draw__sample_y(r, j) - y0) * slope);
            if (x < r->xl[j]) r->xl[j] = x;
            if (x > r->xr[j]) r->xr[j] = x;
        }
    }
    return true;
}

/* Spans of the disc of radius rad around (cx, cy). */
static bool draw__spans_disc(draw_raster *r, int cx, int cy, int rad) {
    if (!draw__rows(r, (double)cy - rad, (double)cy + rad)) return false;
    double r2 = (double)rad * rad;
    for (int j = r->j0; j <= r->j1; j++) {
        double dy = (double)draw__sample_y(r, j) - cy, h2 = r2 - dy * dy;
        if (h2 < 0) continue;
        double h = sqrt(h2);
        r->xl[j] = (float)(cx - h), r->xr[j] = (float)(cx + h);
    }
    return true;
}

/* Paints the current spans in colour c with coverage weights. */
static void draw__fill(draw_raster *r, const uint8_t c[3]) {
    int ss = r->ss, n = ss * ss, W = r->im->w;
    float omax = r->off[ss - 1];
    for (int y = r->j0 / ss; y <= r->j1 / ss; y++) {
        int ja = y * ss > r->j0 ? y * ss : r->j0, jb = y * ss + ss - 1 < r->j1 ? y * ss + ss - 1 : r->j1;
        float xmin = INFINITY, xmax = -INFINITY;
        for (int j = ja; j <= jb; j++) {
            if (r->xl[j] > r->xr[j]) continue;
            xmin = fminf(xmin, r->xl[j]), xmax = fmaxf(xmax, r->xr[j]);
        }
        if (!(xmin <= xmax)) continue;
        double fx0 = ceil((double)xmin - omax), fx1 = floor((double)xmax + omax);
        if (fx0 < 0) fx0 = 0;
        if (fx1 > W - 1) fx1 = W - 1;
        uint8_t *row = image_px(r->im, 0, y);
        for (int x = (int)fx0; x <= (int)fx1; x++) {
            int cov = 0;
            for (int j = ja; j <= jb; j++) {
                float xl = r->xl[j], xr = r->xr[j];
                if (xl > xr) continue;
                if (xl <= (float)x - omax && xr >= (float)x + omax) { cov += ss; continue; }
                int mlo = (int)ceil(((double)xl - x + 0.5) * ss - 0.5), mhi = (int)floor(((double)xr - x + 0.5) * ss - 0.5);
                if (mlo < 0) mlo = 0;
                if (mhi > ss - 1) mhi = ss - 1;
                if (mhi >= mlo) cov += mhi - mlo + 1;
            }
            if (!cov) continue;
            uint8_t *px = row + 3 * x;
            if (cov == n) {
                px[0] = c[0], px[1] = c[1], px[2] = c[2];
            } else {
                for (int ch = 0; ch < 3; ch++) {
                    int d = (int)c[ch] - (int)px[ch];
                    int add = (2 * d * cov + (d >= 0 ? n : -n)) / (2 * n); /* rounded half away from 0 */
                    px[ch] = (uint8_t)(px[ch] + add);
                }
            }
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* The reference's shapes                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* sin of whole degrees 0..450 in float as OpenCV's SinTable holds it: written to 7 decimals
 * (0.0174524f, ...), exact 0 and +-1 at multiples of 90; cos(d) = sin(450 - d). */
static float g_sin_table[451];
static pthread_once_t g_tables_once = PTHREAD_ONCE_INIT;
static void draw__init_tables(void) {
    for (int i = 0; i <= 450; i++) g_sin_table[i] = (float)(round(sin((double)i * M_PI / 180.0) * 1e7) / 1e7);
}

/* cv2.ellipse2Poly(center, (a, b), angle, 0, 360, 1): 361 points rounded to integers with
 * consecutive duplicates removed; returns the count (at least 2). pts holds 361 entries. */
static int draw__ellipse2poly(int cx, int cy, int a, int b, int angle, int (*pts)[2]) {
    while (angle < 0) angle += 360;
    while (angle > 360) angle -= 360;
    float alpha = g_sin_table[450 - angle], beta = g_sin_table[angle]; /* cos, sin */
    int n = 0;
    for (int i = 0; i <= 360; i++) {
        double x = a * (double)g_sin_table[450 - i], y = b * (double)g_sin_table[i];
        int ix = (int)lrint(cx + x * alpha - y * beta), iy = (int)lrint(cy + x * beta + y * alpha);
        if (n == 0 || ix != pts[n - 1][0] || iy != pts[n - 1][1]) pts[n][0] = ix, pts[n][1] = iy, n++;
    }
    if (n == 1) pts[1][0] = pts[0][0] = cx, pts[1][1] = pts[0][1] = cy, n = 2;
    return n;
}

/* The Minkowski sum of the convex polygon pts (n,2) with the pixel square [-0.5, 0.5]^2, into
 * out (2n,2) as float corners; returns its count. Anti-aliased coverage of this shape gives each
 * pixel the area fraction that the union of the pixels cv2 would fill covers: the same ink as
 * the hard-edge fill on axis-aligned edges, half a pixel more per side on diagonals. */
static int draw__dilate_half_pixel(const int (*pts)[2], int n, float (*out)[2]) {
    if (n > 1 && pts[n - 1][0] == pts[0][0] && pts[n - 1][1] == pts[0][1]) n--; /* closing duplicate */
    long area2 = 0;
    for (int i = 0; i < n; i++) {
        const int *p = pts[i], *q = pts[(i + 1) % n];
        area2 += (long)p[0] * q[1] - (long)q[0] * p[1];
    }
    float orient = area2 >= 0 ? 1.0f : -1.0f;
    int m = 0;
    float cx = 0.5f, cy = 0.5f; /* corner of the last edge with a direction */
    for (int i = 0; i < n; i++) {
        const int *p = pts[i], *q = pts[(i + 1) % n];
        float dx = (float)(q[0] - p[0]), dy = (float)(q[1] - p[1]);
        if (dx == 0 && dy == 0) continue;
        float nx = orient * dy, ny = -orient * dx; /* outward normal */
        cx = nx > 0 ? 0.5f : nx < 0 ? -0.5f : cx;
        cy = ny > 0 ? 0.5f : ny < 0 ? -0.5f : cy;
        out[m][0] = (float)p[0] + cx, out[m][1] = (float)p[1] + cy, m++;
        out[m][0] = (float)q[0] + cx, out[m][1] = (float)q[1] + cy, m++;
    }
    if (m == 0) { /* a single point: the pixel square itself */
        const float sq[4][2] = {{-0.5f, -0.5f}, {0.5f, -0.5f}, {0.5f, 0.5f}, {-0.5f, 0.5f}};
        for (int k = 0; k < 4; k++) out[k][0] = (float)pts[0][0] + sq[k][0], out[k][1] = (float)pts[0][1] + sq[k][1];
        m = 4;
    }
    return m;
}

static inline bool draw__coord_ok(const float *p) {
    return isfinite(p[0]) && isfinite(p[1]) && fabsf(p[0]) <= 1e6f && fabsf(p[1]) <= 1e6f;
}

static inline void draw__emit_color(uint8_t out[3], int r, int g, int b, int swap) {
    out[0] = (uint8_t)(swap ? b : r), out[1] = (uint8_t)g, out[2] = (uint8_t)(swap ? r : b);
}

static inline float clamp01f(float x) { return x < 0 ? 0 : x > 1 ? 1 : x; }

/* Draws P people on r->im (already black): person p's keypoints at kp2 + p*kps (18,2) and
 * confidences at conf + p*cs (18), conf NULL meaning all 1. */
static void draw__frame(draw_raster *r, const float *kp2, size_t kps, const float *conf, size_t cs, int P,
                        const draw_opts *o) {
    int sw = draw_stickwidth(o, r->im->w, r->im->h);
    int poly[361][2];
    float fpoly[2 * 361][2];
    /* limbs: limb-major, persons inner, as the reference */
    for (int i = 0; i < DRAW_N_LIMBS; i++) {
        int ja = draw_limbs[i][0], jb = draw_limbs[i][1];
        if ((o->drop >> ja & 1u) || (o->drop >> jb & 1u)) continue;
        for (int p = 0; p < P; p++) {
            const float *A = kp2 + p * kps + 2 * ja, *B = kp2 + p * kps + 2 * jb;
            float ca = conf ? conf[p * cs + ja] : 1.0f, cb = conf ? conf[p * cs + jb] : 1.0f;
            if (!draw__coord_ok(A) || !draw__coord_ok(B) || !(ca == ca) || !(cb == cb)) continue;
            if (o->conf_aware ? (ca < o->threshold || cb < o->threshold) : !(ca > o->threshold && cb > o->threshold))
                continue;
            /* DWPose: Y = x, X = y; centre int(mean), half-length int(length/2), angle int(deg) */
            double X0 = A[1], X1 = B[1], Y0 = A[0], Y1 = B[0];
            double mX = 0.5 * (X0 + X1), mY = 0.5 * (Y0 + Y1);
            double length = sqrt((X0 - X1) * (X0 - X1) + (Y0 - Y1) * (Y0 - Y1));
            double angle = atan2(X0 - X1, Y0 - Y1) * (180.0 / M_PI);
            int n = draw__ellipse2poly((int)mY, (int)mX, (int)(length / 2), sw, (int)angle, poly);
            const uint8_t *c0 = draw_colors[i];
            int rgb[3];
            for (int ch = 0; ch < 3; ch++) {
                int c = c0[ch];
                if (o->conf_aware) c = (int)((float)c * (clamp01f(ca) * clamp01f(cb)));
                rgb[ch] = (int)((double)c * 0.6); /* canvas * 0.6, truncated to uint8 */
            }
            uint8_t col[3];
            draw__emit_color(col, rgb[0], rgb[1], rgb[2], o->swap_rb);
            int m = n;
            if (r->ss > 1) {
                m = draw__dilate_half_pixel((const int(*)[2])poly, n, fpoly);
            } else {
                for (int k = 0; k < n; k++) fpoly[k][0] = (float)poly[k][0], fpoly[k][1] = (float)poly[k][1];
            }
            if (draw__spans_polygon(r, (const float(*)[2])fpoly, m)) draw__fill(r, col);
        }
    }
    /* joints: joint-major, persons inner; circle at (int(x), int(y)) in the full colour */
    for (int j = 0; j < OP18_J; j++) {
        if (o->drop >> j & 1u) continue;
        for (int p = 0; p < P; p++) {
            const float *A = kp2 + p * kps + 2 * j;
            float cj = conf ? conf[p * cs + j] : 1.0f;
            if (!draw__coord_ok(A) || !(cj > o->threshold)) continue;
            const uint8_t *c0 = draw_colors[j];
            int rgb[3];
            for (int ch = 0; ch < 3; ch++)
                rgb[ch] = o->conf_aware ? (int)((float)c0[ch] * clamp01f(cj)) : c0[ch];
            uint8_t col[3];
            draw__emit_color(col, rgb[0], rgb[1], rgb[2], o->swap_rb);
            if (draw__spans_disc(r, (int)A[0], (int)A[1], o->radius)) draw__fill(r, col);
        }
    }
}

static void draw__raster_init(draw_raster *r, image *im, int ss, float *scratch) {
    r->im = im;
    r->ss = ss;
    for (int k = 0; k < ss; k++) r->off[k] = ((float)k + 0.5f) / (float)ss - 0.5f;
    r->xl = scratch;
    r->xr = scratch + (size_t)im->h * (size_t)ss;
    r->j0 = 0, r->j1 = -1;
}

static mosa_status draw__check_people(const float *kp2, int P) {
    if (P < 0 || P > 1000000) return mosa_fail(MOSA_ERR_ARG, "draw: %d people is out of range", P);
    if (P > 0 && !kp2) return mosa_fail(MOSA_ERR_ARG, "draw: keypoints are NULL for %d people", P);
    return MOSA_OK;
}

mosa_status draw_skeleton(image *im, const float *kp2, const float *conf, int P, const draw_opts *o) {
    draw_opts def = draw_opts_default();
    if (!o) o = &def;
    MOSA_TRY(draw_opts_check(o));
    MOSA_TRY(image_check(im, "skeleton canvas"));
    MOSA_TRY(draw__check_people(kp2, P));
    pthread_once(&g_tables_once, draw__init_tables);
    float *scratch = mosa_malloc(sizeof(float) * 2 * (size_t)im->h * (size_t)o->supersample);
    if (!scratch) return mosa_fail_context(MOSA_ERR_NOMEM, "drawing a %dx%d skeleton", im->w, im->h);
    memset(im->rgb, 0, image_bytes(im));
    draw_raster r;
    draw__raster_init(&r, im, o->supersample, scratch);
    draw__frame(&r, kp2, (size_t)OP18_J * 2, conf, OP18_J, P, o);
    mosa_free(scratch);
    return MOSA_OK;
}

mosa_status draw_skeleton_video(image *frames, int T, int W, int H, const float *kp2, const float *conf, int P,
                                const draw_opts *o) {
    draw_opts def = draw_opts_default();
    if (!o) o = &def;
    MOSA_TRY(draw_opts_check(o));
    MOSA_TRY(draw__check_people(kp2, P));
    if (T < 0 || (T > 0 && !frames)) return mosa_fail(MOSA_ERR_ARG, "draw video: bad frame list (T=%d)", T);
    if (W < 1 || H < 1 || W > IMAGE_MAX_DIM || H > IMAGE_MAX_DIM)
        return mosa_fail(MOSA_ERR_ARG, "draw video: frame size %dx%d is out of range: want 1..%d", W, H,
                         IMAGE_MAX_DIM);
    for (int t = 0; t < T; t++)
        if (frames[t].rgb && (frames[t].w != W || frames[t].h != H))
            return mosa_fail(MOSA_ERR_ARG, "draw video: frame %d is %dx%d, not the %dx%d asked for", t, frames[t].w,
                             frames[t].h, W, H);
    if (T == 0) return MOSA_OK;
    uint8_t *mine = mosa_calloc((size_t)T, 1);
    int nt = threads_get() > 0 ? threads_get() : 1;
    size_t per = 2 * (size_t)H * (size_t)o->supersample;
    float *scratch = mosa_malloc(sizeof(float) * per * (size_t)nt);
    mosa_status st = (mine && scratch) ? MOSA_OK : mosa_fail(MOSA_ERR_NOMEM, "draw video: scratch for %d threads", nt);
    for (int t = 0; t < T && st == MOSA_OK; t++) {
        if (frames[t].rgb) continue;
        st = image_alloc(&frames[t], W, H);
        if (st == MOSA_OK) mine[t] = 1;
        else st = mosa_fail_context(st, "draw video: frame %d", t);
    }
    if (st != MOSA_OK) {
        for (int t = 0; mine && t < T; t++)
            if (mine[t]) image_free(&frames[t]);
        mosa_free(mine);
        mosa_free(scratch);
        return st;
    }
    pthread_once(&g_tables_once, draw__init_tables);
    const size_t ST = (size_t)T;
    {
        MOSA_PARALLEL_FOR(T > 1, schedule(dynamic, 4) num_threads(nt), for (int t = 0; t < T; t++) {
            int tid = DRAW_THREAD_ID();
            draw_raster r;
            memset(frames[t].rgb, 0, image_bytes(&frames[t]));
            draw__raster_init(&r, &frames[t], o->supersample, scratch + per * (size_t)(tid < nt ? tid : 0));
            draw__frame(&r, kp2 + (size_t)t * OP18_J * 2, ST * OP18_J * 2, conf ? conf + (size_t)t * OP18_J : NULL,
                        ST * OP18_J, P, o);
        });
    }
    mosa_free(mine);
    mosa_free(scratch);
    return st;
}
