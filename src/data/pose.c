/* pose.c: BlazePose landmarks and person masks from the MediaPipe TFLite models (see pose.h).
 *
 * The geometry follows MediaPipe's CPU graphs (CONVENTIONS.md 1.8):
 *   ROI -> tensor (ImageToTensorCalculator): output pixel (u, v) of the 256x256 input, at its
 *     centre, is the normalized ROI point ((u + 0.5)/256, (v + 0.5)/256); a normalized ROI point
 *     (nx, ny) is the frame point c + R(rotation) * ((nx - 0.5) * size, (ny - 0.5) * size), with
 *     R = [cos -sin; sin cos] in image axes (y down), as LandmarkProjectionCalculator. Frame pixel
 *     (i, j) covers [i, i+1) x [j, j+1); samples are bilinear between pixel centres and a
 *     neighbour outside the frame contributes 0 (zero border, as pose.h specifies). Note that
 *     MediaPipe's pose_landmark_by_roi_cpu leaves border_mode unset, and ImageToTensorCalculator
 *     then replicates the edge (BORDER_REPLICATE); replicating instead (sample_rgb_clamp) gave
 *     similar poses on the test photographs (face points within a few pixels, shoulders and hips
 *     within ~25 px) and slightly higher pose flags.
 *   tensor -> landmarks (TensorsToLandmarksCalculator + RefineLandmarksFromHeatmapCalculator):
 *     x, y / 256, z / 256, sigmoid visibility / presence; then for each of the 39 landmarks, the
 *     7x7 window of the 64x64 heatmap around (int)(x * 64), (int)(y * 64): if the largest sigmoid
 *     in it is >= 0.5, x = sum(col * s) / sum(s) / 64 and y likewise (MediaPipe uses the column
 *     index, not its centre); then projection to the frame, z scaled by the ROI size.
 *   world landmarks: rotated by the ROI rotation (WorldLandmarkProjectionCalculator). */
#include "data/pose.h"

#include "tflite/runner.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define HM 64      /* heatmap side */
#define HM_KERNEL 7
#define HM_MIN_CONF 0.5f
#define N_ALL 39   /* landmarks in the model output */

struct pose_model {
    tflite_runner *r;
    int o_lm, o_flag, o_seg, o_hm, o_world;
    float *seg; /* POSE_INPUT^2 sigmoid scratch */
};

struct seg_model {
    tflite_runner *r;
    int H, W;   /* model input size */
};

static inline float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

/* ---- sampling ---------------------------------------------------------------------------- */

/* Bilinear sample of an RGB8 frame at continuous pixel-centre coordinates (x, y) (pixel (i, j)
 * has its centre at (i, j) here), zero outside; writes 3 floats in [0, 1]. */
static void sample_rgb_zero(const image *im, float x, float y, float *out) {
    float fx = floorf(x), fy = floorf(y);
    int x0 = (int)fx, y0 = (int)fy;
    float ax = x - fx, ay = y - fy;
    float acc[3] = {0, 0, 0};
    for (int dy = 0; dy < 2; dy++) {
        int yy = y0 + dy;
        if (yy < 0 || yy >= im->h) continue;
        float wy = dy ? ay : 1.0f - ay;
        for (int dx = 0; dx < 2; dx++) {
            int xx = x0 + dx;
            if (xx < 0 || xx >= im->w) continue;
            float wgt = wy * (dx ? ax : 1.0f - ax);
            const uint8_t *p = image_px(im, xx, yy);
            acc[0] += wgt * p[0], acc[1] += wgt * p[1], acc[2] += wgt * p[2];
        }
    }
    out[0] = acc[0] / 255.0f, out[1] = acc[1] / 255.0f, out[2] = acc[2] / 255.0f;
}

/* Bilinear sample of an RGB8 frame, clamped to the edge. */
static void sample_rgb_clamp(const image *im, float x, float y, float *out) {
    if (x < 0) x = 0;
    if (y < 0) y = 0;
    if (x > im->w - 1) x = (float)(im->w - 1);
    if (y > im->h - 1) y = (float)(im->h - 1);
    sample_rgb_zero(im, x, y, out);
}

/* Bilinear sample of a single-channel w x h float map, clamped to the edge. */
static float sample_map_clamp(const float *m, int w, int h, float x, float y) {
    if (x < 0) x = 0;
    if (y < 0) y = 0;
    if (x > w - 1) x = (float)(w - 1);
    if (y > h - 1) y = (float)(h - 1);
    int x0 = (int)x, y0 = (int)y;
    int x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
    float ax = x - x0, ay = y - y0;
    float top = m[(size_t)y0 * w + x0] * (1 - ax) + m[(size_t)y0 * w + x1] * ax;
    float bot = m[(size_t)y1 * w + x0] * (1 - ax) + m[(size_t)y1 * w + x1] * ax;
    return top * (1 - ay) + bot * ay;
}

/* Normalized ROI point -> frame coordinates (pixel corners at integers). */
static void roi_to_frame(const pose_roi *roi, float nx, float ny, float *x, float *y) {
    float c = cosf(roi->rotation), s = sinf(roi->rotation);
    float dx = (nx - 0.5f) * roi->size, dy = (ny - 0.5f) * roi->size;
    *x = roi->cx + c * dx - s * dy;
    *y = roi->cy + s * dx + c * dy;
}

static mosa_status roi_check(const pose_roi *roi) {
    if (!roi || !isfinite(roi->cx) || !isfinite(roi->cy) || !isfinite(roi->size) || !isfinite(roi->rotation) ||
        !(roi->size >= 1.0f) || roi->size > 1e6f || fabsf(roi->cx) > 1e6f || fabsf(roi->cy) > 1e6f)
        return mosa_fail(MOSA_ERR_ARG, "pose: invalid ROI (centre and size must be finite, size >= 1 pixel)");
    return MOSA_OK;
}

/* ---- landmark model ------------------------------------------------------------------------ */

mosa_status pose_model_path(char *buf, size_t cap, const char *name) {
    if (!buf || cap == 0 || !name) return mosa_fail(MOSA_ERR_ARG, "pose_model_path: no name");
    size_t n = strlen(name);
    if (n >= 7 && strcmp(name + n - 7, ".tflite") == 0) {
        if (n + 1 > cap) return mosa_fail(MOSA_ERR_ARG, "pose_model_path: path too long");
        memcpy(buf, name, n + 1);
        return MOSA_OK;
    }
    if (strcmp(name, "lite") && strcmp(name, "full") && strcmp(name, "heavy"))
        return mosa_fail(MOSA_ERR_ARG, "unknown pose model '%s' (choose lite, full or heavy, or give a .tflite path)",
                         name);
    char rel[64];
    snprintf(rel, sizeof rel, "mediapipe/pose_landmark_%s.tflite", name);
    return model_path_resolve(buf, cap, rel);
}

static int shape_is(const tflite_shape *s, int rank, const int *d) {
    if (s->rank != rank) return 0;
    for (int i = 0; i < rank; i++)
        if (s->dims[i] != d[i]) return 0;
    return 1;
}

mosa_status pose_model_open(pose_model **out, const char *tflite_path) {
    if (!out) return mosa_fail(MOSA_ERR_ARG, "pose_model_open: no output");
    *out = NULL;
    pose_model *m = mosa_calloc(1, sizeof *m);
    if (!m) return MOSA_ERR_NOMEM;
    mosa_status s = tflite_runner_load(&m->r, tflite_path);
    if (s != MOSA_OK) {
        mosa_free(m);
        return s;
    }
    tflite_shape sh;
    const int din[4] = {1, POSE_INPUT, POSE_INPUT, 3};
    if (tflite_runner_n_inputs(m->r) != 1 || tflite_runner_input_shape(m->r, 0, &sh) != MOSA_OK ||
        !shape_is(&sh, 4, din)) {
        pose_model_free(m);
        return mosa_fail(MOSA_ERR_FORMAT, "%s: not a pose landmark model (needs one [1,256,256,3] input)", tflite_path);
    }
    /* outputs by shape: landmarks [1,195], flag [1,1], segmentation [1,256,256,1], heatmap
     * [1,64,64,39], world [1,117] */
    static const int d_lm[2] = {1, N_ALL * 5}, d_flag[2] = {1, 1}, d_seg[4] = {1, POSE_INPUT, POSE_INPUT, 1},
                     d_hm[4] = {1, HM, HM, N_ALL}, d_world[2] = {1, N_ALL * 3};
    m->o_lm = m->o_flag = m->o_seg = m->o_hm = m->o_world = -1;
    for (int i = 0; i < tflite_runner_n_outputs(m->r); i++) {
        tflite_runner_output_shape(m->r, i, &sh);
        if (m->o_lm < 0 && shape_is(&sh, 2, d_lm)) m->o_lm = i;
        else if (m->o_flag < 0 && shape_is(&sh, 2, d_flag)) m->o_flag = i;
        else if (m->o_seg < 0 && shape_is(&sh, 4, d_seg)) m->o_seg = i;
        else if (m->o_hm < 0 && shape_is(&sh, 4, d_hm)) m->o_hm = i;
        else if (m->o_world < 0 && shape_is(&sh, 2, d_world)) m->o_world = i;
    }
    const char *missing = m->o_lm < 0 ? "landmarks [1,195]" : m->o_flag < 0 ? "pose flag [1,1]"
                        : m->o_seg < 0 ? "segmentation [1,256,256,1]" : m->o_hm < 0 ? "heatmap [1,64,64,39]"
                        : m->o_world < 0 ? "world landmarks [1,117]" : NULL;
    if (missing) {
        pose_model_free(m);
        return mosa_fail(MOSA_ERR_FORMAT, "%s: not a pose landmark model (no output %s)", tflite_path, missing);
    }
    m->seg = mosa_malloc((size_t)POSE_INPUT * POSE_INPUT * sizeof(float));
    if (!m->seg) {
        pose_model_free(m);
        return MOSA_ERR_NOMEM;
    }
    *out = m;
    return MOSA_OK;
}

void pose_model_free(pose_model *m) {
    if (!m) return;
    tflite_runner_free(m->r);
    mosa_free(m->seg);
    mosa_free(m);
}

pose_roi pose_roi_whole(int w, int h) {
    pose_roi r = {0.5f * (float)w, 0.5f * (float)h, (float)(w > h ? w : h), 0.0f};
    return r;
}

static float normalize_radians(float a) {
    const float two_pi = 6.283185307179586f;
    return a - two_pi * floorf((a + 3.14159265358979f) / two_pi);
}

pose_roi pose_roi_from_result(const pose_result *res) {
    float x0 = res->aux[0][0], y0 = res->aux[0][1], x1 = res->aux[1][0], y1 = res->aux[1][1];
    pose_roi r;
    r.cx = x0, r.cy = y0;
    r.size = 2.0f * hypotf(x1 - x0, y1 - y0) * 1.25f;
    r.rotation = normalize_radians(1.5707963267948966f - atan2f(-(y1 - y0), x1 - x0));
    return r;
}

/* RefineLandmarksFromHeatmap, on normalized x, y (see the top of this file). */
static void refine_from_heatmap(float *nx, float *ny, const float *hm) {
    const int off = (HM_KERNEL - 1) / 2;
    for (int l = 0; l < N_ALL; l++) {
        float fx = nx[l] * HM, fy = ny[l] * HM;
        if (!(fx > -1e6f && fx < 1e6f && fy > -1e6f && fy < 1e6f)) continue;
        int cc = (int)fx, cr = (int)fy; /* truncation, as the C++ int conversion */
        if (cc < 0 || cc >= HM || cr < 0 || cr >= HM) continue;
        int c0 = cc - off > 0 ? cc - off : 0, c1 = cc + off + 1 < HM ? cc + off + 1 : HM;
        int r0 = cr - off > 0 ? cr - off : 0, r1 = cr + off + 1 < HM ? cr + off + 1 : HM;
        float sum = 0, wc = 0, wr = 0, mx = 0;
        for (int row = r0; row < r1; row++)
            for (int col = c0; col < c1; col++) {
                float s = sigmoidf(hm[((size_t)row * HM + col) * N_ALL + l]);
                sum += s;
                if (s > mx) mx = s;
                wc += (float)col * s;
                wr += (float)row * s;
            }
        if (mx >= HM_MIN_CONF && sum > 0) {
            nx[l] = wc / HM / sum;
            ny[l] = wr / HM / sum;
        }
    }
}

mosa_status pose_estimate(pose_model *m, const image *frame, const pose_roi *roi, pose_result *out, float *seg) {
    if (!m || !out) return mosa_fail(MOSA_ERR_ARG, "pose_estimate: no model or no result");
    MOSA_TRY(image_check(frame, "pose_estimate frame"));
    MOSA_TRY(roi_check(roi));
    /* 1. crop the rotated ROI into the 256x256 input */
    size_t n_in;
    float *in = tflite_runner_input(m->r, 0, &n_in);
    const int S = POSE_INPUT;
    const pose_roi R = *roi;
    MOSA_PARALLEL_FOR(1, schedule(static),
    for (int v = 0; v < S; v++) {
        for (int u = 0; u < S; u++) {
            float x, y;
            roi_to_frame(&R, ((float)u + 0.5f) / S, ((float)v + 0.5f) / S, &x, &y);
            sample_rgb_zero(frame, x - 0.5f, y - 0.5f, in + ((size_t)v * S + u) * 3);
        }
    });
    /* 2. run */
    MOSA_TRY(tflite_runner_run(m->r));
    const float *lm = tflite_runner_output(m->r, m->o_lm, NULL);
    const float *flag = tflite_runner_output(m->r, m->o_flag, NULL);
    const float *segl = tflite_runner_output(m->r, m->o_seg, NULL);
    const float *hm = tflite_runner_output(m->r, m->o_hm, NULL);
    const float *world = tflite_runner_output(m->r, m->o_world, NULL);
    /* 3. decode, refine, project */
    float nx[N_ALL], ny[N_ALL];
    for (int l = 0; l < N_ALL; l++) nx[l] = lm[l * 5 + 0] / S, ny[l] = lm[l * 5 + 1] / S;
    refine_from_heatmap(nx, ny, hm);
    memset(out, 0, sizeof *out);
    out->flag = flag[0];
    out->found = flag[0] >= POSE_FLAG_THRESHOLD;
    out->roi = R;
    const float c = cosf(R.rotation), s = sinf(R.rotation);
    for (int l = 0; l < N_ALL; l++) {
        float x, y;
        roi_to_frame(&R, nx[l], ny[l], &x, &y);
        if (l < POSE_LANDMARKS) {
            pose_landmark *p = &out->lm[l];
            p->x = x, p->y = y;
            p->z = lm[l * 5 + 2] / S * R.size;
            p->visibility = sigmoidf(lm[l * 5 + 3]);
            p->presence = sigmoidf(lm[l * 5 + 4]);
            float wx = world[l * 3 + 0], wy = world[l * 3 + 1];
            out->world[l][0] = c * wx - s * wy;
            out->world[l][1] = s * wx + c * wy;
            out->world[l][2] = world[l * 3 + 2];
        } else if (l < POSE_LANDMARKS + 2) {
            out->aux[l - POSE_LANDMARKS][0] = x;
            out->aux[l - POSE_LANDMARKS][1] = y;
        }
    }
    /* 4. segmentation back to the frame: inverse ROI transform, bilinear inside, 0 outside */
    if (seg) {
        float *sp = m->seg;
        for (size_t i = 0; i < (size_t)S * S; i++) sp[i] = sigmoidf(segl[i]);
        const int W = frame->w, H = frame->h;
        MOSA_PARALLEL_FOR((int64_t)W * H > 65536, schedule(static),
        for (int py = 0; py < H; py++) {
            for (int px = 0; px < W; px++) {
                float dx = (float)px + 0.5f - R.cx, dy = (float)py + 0.5f - R.cy;
                float nu = (c * dx + s * dy) / R.size + 0.5f, nv = (-s * dx + c * dy) / R.size + 0.5f;
                float val = 0.0f;
                if (nu >= 0.0f && nu <= 1.0f && nv >= 0.0f && nv <= 1.0f)
                    val = sample_map_clamp(sp, S, S, nu * S - 0.5f, nv * S - 0.5f);
                seg[(size_t)py * W + px] = val;
            }
        });
    }
    return MOSA_OK;
}

/* ---- selfie segmentation ------------------------------------------------------------------- */

mosa_status seg_model_open(seg_model **out, const char *tflite_path) {
    if (!out) return mosa_fail(MOSA_ERR_ARG, "seg_model_open: no output");
    *out = NULL;
    seg_model *m = mosa_calloc(1, sizeof *m);
    if (!m) return MOSA_ERR_NOMEM;
    mosa_status s = tflite_runner_load(&m->r, tflite_path);
    if (s != MOSA_OK) {
        mosa_free(m);
        return s;
    }
    tflite_shape si, so;
    if (tflite_runner_n_inputs(m->r) != 1 || tflite_runner_n_outputs(m->r) < 1 ||
        tflite_runner_input_shape(m->r, 0, &si) != MOSA_OK || tflite_runner_output_shape(m->r, 0, &so) != MOSA_OK ||
        si.rank != 4 || si.dims[0] != 1 || si.dims[3] != 3 || so.rank != 4 || so.dims[0] != 1 ||
        so.dims[1] != si.dims[1] || so.dims[2] != si.dims[2] || so.dims[3] != 1) {
        seg_model_free(m);
        return mosa_fail(MOSA_ERR_FORMAT, "%s: not a selfie segmentation model (needs [1,H,W,3] -> [1,H,W,1])",
                         tflite_path);
    }
    m->H = si.dims[1], m->W = si.dims[2];
    *out = m;
    return MOSA_OK;
}

void seg_model_free(seg_model *m) {
    if (!m) return;
    tflite_runner_free(m->r);
    mosa_free(m);
}

mosa_status seg_estimate(seg_model *m, const image *frame, float *mask) {
    if (!m || !mask) return mosa_fail(MOSA_ERR_ARG, "seg_estimate: no model or no mask");
    MOSA_TRY(image_check(frame, "seg_estimate frame"));
    const int MH = m->H, MW = m->W, W = frame->w, H = frame->h;
    float *in = tflite_runner_input(m->r, 0, NULL);
    const float sx = (float)W / MW, sy = (float)H / MH;
    MOSA_PARALLEL_FOR(1, schedule(static),
    for (int v = 0; v < MH; v++)
        for (int u = 0; u < MW; u++)
            sample_rgb_clamp(frame, ((float)u + 0.5f) * sx - 0.5f, ((float)v + 0.5f) * sy - 0.5f,
                             in + ((size_t)v * MW + u) * 3);
    );
    MOSA_TRY(tflite_runner_run(m->r));
    const float *o = tflite_runner_output(m->r, 0, NULL);
    const float bx = (float)MW / W, by = (float)MH / H;
    MOSA_PARALLEL_FOR((int64_t)W * H > 65536, schedule(static),
    for (int py = 0; py < H; py++)
        for (int px = 0; px < W; px++) {
            float val = sample_map_clamp(o, MW, MH, ((float)px + 0.5f) * bx - 0.5f, ((float)py + 0.5f) * by - 0.5f);
            mask[(size_t)py * W + px] = val < 0.0f ? 0.0f : (val > 1.0f ? 1.0f : val);
        }
    );
    return MOSA_OK;
}
