/* test_pose.c: BlazePose landmarks and person masks on real photographs (src/data/pose.c).
 *
 * Part 1 (always): ROI geometry (whole frame, ROI from the auxiliary landmarks), model names,
 * and hostile arguments.
 * Part 2 (needs the models in models/mediapipe and Debian's python3-skimage photographs; exits 77
 * without them): on the astronaut (Eileen Collins, upper body, frontal) and the cameraman
 * (full-height man leaning into a camera, seen from his left side):
 *   - the pose flag is high; nose, shoulders, hips lie inside boxes read off the pictures by eye;
 *     nose above shoulders above hips; the frontal astronaut's left shoulder (11) is on the
 *     image's right;
 *   - the selfie mask (and the pose model's own mask) is high on the person and low elsewhere;
 *   - a small "video" of 8 pan/zoom crops of the astronaut tracked frame to frame with
 *     pose_roi_from_result: the landmarks follow the known shift/zoom within a few pixels.
 * With MOSA_POSE_OVERLAY_DIR set, overlays (mask tint, skeleton, landmarks) are written there as
 * pose_<photo>.png (scripts/pose_overlays.sh). */
#include "data/pose.h"
#include "io/png.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SK "/usr/lib/python3/dist-packages/skimage/data/"

static int g_verbose;

/* ---- part 1 ------------------------------------------------------------------------------ */

static void geometry(void) {
    pose_roi r = pose_roi_whole(640, 480);
    TEST_COND("whole roi centre", r.cx == 320 && r.cy == 240);
    TEST_COND("whole roi size", r.size == 640 && r.rotation == 0);

    pose_result res;
    memset(&res, 0, sizeof res);
    res.aux[0][0] = 100, res.aux[0][1] = 200; /* hips centre */
    res.aux[1][0] = 100, res.aux[1][1] = 120; /* straight above */
    r = pose_roi_from_result(&res);
    TEST_COND("aux upright: centre", r.cx == 100 && r.cy == 200);
    TEST_COND("aux upright: size 2*80*1.25", fabsf(r.size - 200) < 1e-3f);
    TEST_COND("aux upright: no rotation", fabsf(r.rotation) < 1e-6f);
    res.aux[1][0] = 180, res.aux[1][1] = 200; /* lying to the right: ROI "up" points right */
    r = pose_roi_from_result(&res);
    TEST_COND("aux right: rotation +pi/2", fabsf(r.rotation - (float)M_PI / 2) < 1e-5f);
    res.aux[1][0] = 20;
    r = pose_roi_from_result(&res);
    TEST_COND("aux left: rotation -pi/2", fabsf(r.rotation + (float)M_PI / 2) < 1e-5f);
    res.aux[1][0] = 100, res.aux[1][1] = 280; /* upside down */
    r = pose_roi_from_result(&res);
    TEST_COND("aux below: rotation pi", fabsf(fabsf(r.rotation) - (float)M_PI) < 1e-5f);

    char buf[512];
    TEST_COND("path: .tflite as given", pose_model_path(buf, sizeof buf, "x/y.tflite") == MOSA_OK &&
                                            strcmp(buf, "x/y.tflite") == 0);
    TEST_COND("path: unknown name", pose_model_path(buf, sizeof buf, "medium") == MOSA_ERR_ARG &&
                                        strstr(mosa_last_error(), "lite, full or heavy"));
    pose_model_path(buf, sizeof buf, "full");
    TEST_COND("path: full", strstr(buf, "mediapipe/pose_landmark_full.tflite") != NULL);
    pose_model *pm = NULL;
    TEST_COND("open missing file", pose_model_open(&pm, "/nonexistent/pose.tflite") != MOSA_OK && pm == NULL);
}

/* ---- drawing (overlays) ---------------------------------------------------------------------- */

static const int k_edges[35][2] = {{0, 4},   {4, 5},   {5, 6},   {6, 8},   {0, 1},   {1, 2},   {2, 3},
                                   {3, 7},   {10, 9},  {12, 11}, {12, 14}, {14, 16}, {16, 18}, {16, 20},
                                   {16, 22}, {18, 20}, {11, 13}, {13, 15}, {15, 17}, {15, 19}, {15, 21},
                                   {17, 19}, {12, 24}, {11, 23}, {24, 23}, {24, 26}, {23, 25}, {26, 28},
                                   {25, 27}, {28, 30}, {27, 29}, {30, 32}, {29, 31}, {28, 32}, {27, 31}};

static void disc(image *im, float x, float y, float rad, const uint8_t *col) {
    for (int yy = (int)floorf(y - rad); yy <= (int)ceilf(y + rad); yy++)
        for (int xx = (int)floorf(x - rad); xx <= (int)ceilf(x + rad); xx++) {
            if (xx < 0 || yy < 0 || xx >= im->w || yy >= im->h) continue;
            if ((xx + 0.5f - x) * (xx + 0.5f - x) + (yy + 0.5f - y) * (yy + 0.5f - y) > rad * rad) continue;
            memcpy(image_px(im, xx, yy), col, 3);
        }
}

static void line(image *im, float x0, float y0, float x1, float y1, float rad, const uint8_t *col) {
    float len = hypotf(x1 - x0, y1 - y0);
    int n = (int)(len / (rad * 0.5f)) + 1;
    if (n > 4000) n = 4000;
    for (int i = 0; i <= n; i++) disc(im, x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n, rad, col);
}

static void overlay(const char *name, const image *src, const pose_result *res, const float *mask) {
    const char *dir = getenv("MOSA_POSE_OVERLAY_DIR");
    if (!dir || !*dir) return;
    image im;
    if (image_copy(&im, src) != MOSA_OK) return;
    for (int i = 0; i < im.w * im.h; i++) { /* tint the mask green-cyan */
        uint8_t *p = im.rgb + (size_t)i * 3;
        float a = 0.45f * mask[i];
        p[0] = (uint8_t)(p[0] * (1 - a) + 0 * a);
        p[1] = (uint8_t)(p[1] * (1 - a) + 220 * a);
        p[2] = (uint8_t)(p[2] * (1 - a) + 160 * a);
    }
    float rad = im.w / 256.0f + 1.0f;
    const uint8_t white[3] = {255, 255, 255}, left[3] = {255, 140, 0}, right[3] = {40, 120, 255}, mid[3] = {255, 255, 0},
                  grey[3] = {140, 140, 140};
    for (int e = 0; e < 35; e++) {
        const pose_landmark *a = &res->lm[k_edges[e][0]], *b = &res->lm[k_edges[e][1]];
        line(&im, a->x, a->y, b->x, b->y, rad, (a->visibility < 0.5f || b->visibility < 0.5f) ? grey : white);
    }
    for (int l = 0; l < POSE_LANDMARKS; l++) {
        const uint8_t *c = l == 0 ? mid : (l % 2 ? left : right); /* odd = the person's left */
        disc(&im, res->lm[l].x, res->lm[l].y, rad * 2.2f, res->lm[l].visibility < 0.5f ? grey : c);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/pose_%s.png", dir, name);
    if (png_write(path, &im, NULL) == MOSA_OK) printf("  wrote %s\n", path);
    image_free(&im);
}

/* ---- part 2 -------------------------------------------------------------------------------- */

typedef struct { float x0, y0, x1, y1; } box;
static int in_box(const pose_landmark *p, box b) { return p->x >= b.x0 && p->x <= b.x1 && p->y >= b.y0 && p->y <= b.y1; }

static void print_result(const char *what, const pose_result *r) {
    if (!g_verbose) return;
    printf("  %s: flag %.3f roi (%.1f,%.1f) size %.1f rot %.3f aux (%.1f,%.1f) (%.1f,%.1f)\n", what, r->flag, r->roi.cx,
           r->roi.cy, r->roi.size, r->roi.rotation, r->aux[0][0], r->aux[0][1], r->aux[1][0], r->aux[1][1]);
    for (int l = 0; l < POSE_LANDMARKS; l++)
        printf("    %2d %7.1f %7.1f z %7.1f vis %.2f pres %.2f  world %6.3f %6.3f %6.3f\n", l, r->lm[l].x, r->lm[l].y,
               r->lm[l].z, r->lm[l].visibility, r->lm[l].presence, r->world[l][0], r->world[l][1], r->world[l][2]);
}

/* Two passes as a tracker does on its first frame: the given ROI, then the ROI from its result. */
static mosa_status estimate2(pose_model *m, const image *im, pose_roi roi, pose_result *res, float *seg) {
    MOSA_TRY(pose_estimate(m, im, &roi, res, NULL));
    roi = pose_roi_from_result(res);
    return pose_estimate(m, im, &roi, res, seg);
}

static double mask_mean(const float *m, int w, box b) {
    double s = 0;
    long n = 0;
    for (int y = (int)b.y0; y < (int)b.y1; y++)
        for (int x = (int)b.x0; x < (int)b.x1; x++) s += m[(size_t)y * w + x], n++;
    return n ? s / n : 0;
}

typedef struct {
    const char *name, *file;
    box nose, sh_l, sh_r, hip_l, hip_r; /* boxes in image pixels (hips may be below the frame) */
    box person, background;             /* a box well inside the person, one well outside */
    int frontal;                        /* left shoulder on the image's right */
    pose_roi det;                       /* what a person detector would give: centre on the hips,
                                           side 2.5 x hips-to-head-top (read off the photo) */
} photo;

static void check_photo(pose_model *pm, seg_model *sm, const photo *ph, image *im_out, pose_result *res_out) {
    image im = {0};
    if (png_read(ph->file, &im) != MOSA_OK) {
        TEST_COND(ph->file, 0);
        return;
    }
    printf("%s (%dx%d)\n", ph->name, im.w, im.h);
    pose_result res;
    float *seg = malloc((size_t)im.w * im.h * sizeof(float));
    float *mask = malloc((size_t)im.w * im.h * sizeof(float));
    /* The whole frame as ROI (no detector): only the face is asked for, since BlazePose expects
     * the hips at the ROI centre and the person upright inside it. */
    mosa_status s = estimate2(pm, &im, pose_roi_whole(im.w, im.h), &res, NULL);
    TEST_COND("whole-frame start ok", s == MOSA_OK);
    printf("  from the whole frame: flag %.3f nose (%.0f,%.0f)\n", res.flag, res.lm[0].x, res.lm[0].y);
    TEST_COND("whole-frame start: person found", res.found);
    TEST_COND("whole-frame start: nose in its box", in_box(&res.lm[0], ph->nose));
    s = estimate2(pm, &im, ph->det, &res, seg);
    TEST_COND("pose_estimate ok", s == MOSA_OK);
    if (s != MOSA_OK) printf("  %s\n", mosa_last_error());
    print_result(ph->name, &res);
    printf("  flag %.3f nose (%.0f,%.0f) shoulders L (%.0f,%.0f) R (%.0f,%.0f) hips L (%.0f,%.0f) R (%.0f,%.0f)\n",
           res.flag, res.lm[0].x, res.lm[0].y, res.lm[11].x, res.lm[11].y, res.lm[12].x, res.lm[12].y, res.lm[23].x,
           res.lm[23].y, res.lm[24].x, res.lm[24].y);
    TEST_COND("pose found", res.found && res.flag > 0.9f);
    TEST_COND("nose in its box", in_box(&res.lm[0], ph->nose));
    TEST_COND("left shoulder in its box", in_box(&res.lm[11], ph->sh_l));
    TEST_COND("right shoulder in its box", in_box(&res.lm[12], ph->sh_r));
    TEST_COND("left hip in its box", in_box(&res.lm[23], ph->hip_l));
    TEST_COND("right hip in its box", in_box(&res.lm[24], ph->hip_r));
    float sh_y = 0.5f * (res.lm[11].y + res.lm[12].y), hip_y = 0.5f * (res.lm[23].y + res.lm[24].y);
    TEST_COND("nose above shoulders above hips", res.lm[0].y < sh_y && sh_y < hip_y);
    if (ph->frontal) TEST_COND("frontal: left shoulder on the image's right", res.lm[11].x > res.lm[12].x);
    TEST_COND("nose visible", res.lm[0].visibility > 0.8f);
    int finite = 1;
    for (int l = 0; l < POSE_LANDMARKS; l++)
        for (int k = 0; k < 3; k++) finite &= isfinite(res.world[l][k]) && fabsf(res.world[l][k]) < 3.0f;
    TEST_COND("world landmarks finite, within 3 m", finite);
    /* world: metres, hip-centred; head above the hips (world y points down, as image y) */
    float wh = 0.5f * (res.world[23][1] + res.world[24][1]);

    float wd = sqrtf(powf(res.world[0][0], 2) + powf(res.world[0][1] - wh, 2) + powf(res.world[0][2], 2));
    printf("  world: nose %.2f m above the hip centre, %.2f m from it\n", wh - res.world[0][1], wd);
    TEST_COND("world: nose above the hips, 0.4-1 m from them", res.world[0][1] < wh - 0.2f && wd > 0.4f && wd < 1.0f);
    TEST_COND("world: hip centre near the origin",
              fabsf(0.5f * (res.world[23][0] + res.world[24][0])) < 0.05f && fabsf(wh) < 0.05f);

    s = seg_estimate(sm, &im, mask);
    TEST_COND("seg_estimate ok", s == MOSA_OK);
    double in_sel = mask_mean(mask, im.w, ph->person), out_sel = mask_mean(mask, im.w, ph->background);
    double in_pose = mask_mean(seg, im.w, ph->person), out_pose = mask_mean(seg, im.w, ph->background);
    printf("  selfie mask: person %.3f background %.3f; pose-model mask: person %.3f background %.3f\n", in_sel,
           out_sel, in_pose, out_pose);
    TEST_COND("selfie mask covers the person", in_sel > 0.8 && out_sel < 0.1);
    TEST_COND("pose mask covers the person", in_pose > 0.8 && out_pose < 0.1);
    overlay(ph->name, &im, &res, mask);
    if (im_out) *im_out = im;
    else image_free(&im);
    if (res_out) *res_out = res;
    free(seg);
    free(mask);
}

/* Crop of `src`: the square [x0, x0 + side) x [y0, y0 + side) resized to out x out (bilinear). */
static void crop_resize(image *dst, const image *src, float x0, float y0, float side, int out) {
    image_alloc(dst, out, out);
    float sc = side / out;
    for (int y = 0; y < out; y++)
        for (int x = 0; x < out; x++) {
            float sx = x0 + (x + 0.5f) * sc - 0.5f, sy = y0 + (y + 0.5f) * sc - 0.5f;
            int ix = (int)floorf(sx), iy = (int)floorf(sy);
            float ax = sx - ix, ay = sy - iy;
            for (int c = 0; c < 3; c++) {
                float v = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) {
                        int xx = ix + dx, yy = iy + dy;
                        xx = xx < 0 ? 0 : xx >= src->w ? src->w - 1 : xx;
                        yy = yy < 0 ? 0 : yy >= src->h ? src->h - 1 : yy;
                        v += (dx ? ax : 1 - ax) * (dy ? ay : 1 - ay) * image_px(src, xx, yy)[c];
                    }
                image_px(dst, x, y)[c] = (uint8_t)(v + 0.5f);
            }
        }
}

/* The astronaut turned by `ang` radians about the image centre (clockwise on screen for ang > 0,
 * zero border). The tracker, started from the upright result's ROI turned the same way, must find
 * the face points where the turn puts them and an ROI rotation near the upright one + ang. */
static void rotated(pose_model *pm, seg_model *sm, const image *src, const pose_result *ref, float ang) {
    printf("astronaut turned by %.0f degrees\n", ang * 180 / M_PI);
    image im;
    image_alloc(&im, src->w, src->h);
    const float cx = src->w * 0.5f, cy = src->h * 0.5f, c = cosf(ang), s = sinf(ang);
    for (int y = 0; y < im.h; y++)
        for (int x = 0; x < im.w; x++) { /* source = centre + R(-ang) (dest - centre) */
            float dx = x + 0.5f - cx, dy = y + 0.5f - cy;
            float sx = cx + c * dx + s * dy - 0.5f, sy = cy - s * dx + c * dy - 0.5f;
            int ix = (int)floorf(sx), iy = (int)floorf(sy);
            float ax = sx - ix, ay = sy - iy;
            for (int k = 0; k < 3; k++) {
                float v = 0;
                for (int j = 0; j < 4; j++) {
                    int xx = ix + (j & 1), yy = iy + (j >> 1);
                    if (xx < 0 || yy < 0 || xx >= src->w || yy >= src->h) continue;
                    v += ((j & 1) ? ax : 1 - ax) * ((j >> 1) ? ay : 1 - ay) * image_px(src, xx, yy)[k];
                }
                image_px(&im, x, y)[k] = (uint8_t)(v + 0.5f);
            }
        }
    pose_roi d = ref->roi;
    float rx = d.cx - cx, ry = d.cy - cy;
    d.cx = cx + c * rx - s * ry, d.cy = cy + s * rx + c * ry, d.rotation += ang;
    pose_result res;
    float *mask = malloc((size_t)im.w * im.h * sizeof(float));
    TEST_COND("rotated: estimate ok", estimate2(pm, &im, d, &res, NULL) == MOSA_OK);
    TEST_COND("rotated: selfie ok", seg_estimate(sm, &im, mask) == MOSA_OK);
    double worst = 0;
    const int face[] = {0, 2, 5, 9, 10};
    for (int k = 0; k < 5; k++) {
        int l = face[k];
        float px = ref->lm[l].x - cx, py = ref->lm[l].y - cy;
        double e = hypot(res.lm[l].x - (cx + c * px - s * py), res.lm[l].y - (cy + s * px + c * py));
        if (e > worst) worst = e;
    }
    float dr = remainderf(res.roi.rotation - ref->roi.rotation - ang, 2.0f * (float)M_PI);
    printf("  flag %.3f, ROI rotation %.3f (upright %.3f + %.3f), worst face-point offset %.2f px\n", res.flag,
           res.roi.rotation, ref->roi.rotation, ang, worst);
    TEST_COND("rotated: person found", res.found);
    TEST_COND("rotated: face points turn with the image (within 8 px)", worst < 8.0);
    TEST_COND("rotated: ROI rotation follows (within 0.15 rad)", fabsf(dr) < 0.15f);
    overlay("astronaut_rotated", &im, &res, mask);
    free(mask);
    image_free(&im);
}

/* 8 frames: a 400-px window panning right/down and zooming in slightly, each resized to 320.
 * Each frame's landmarks, mapped back to the photo, must match the photo's landmarks. */
static void tracking(pose_model *pm, const image *photo_im, const pose_result *ref) {
    printf("tracking 8 pan/zoom frames\n");
    pose_roi roi = {0};
    double worst = 0, worst_sh = 0;
    int all_found = 1;
    const int key[] = {0, 2, 5, 9, 10, 11, 12}; /* nose, eyes, mouth, shoulders: inside every crop */
    for (int f = 0; f < 8; f++) {
        float side = 420.0f - 6.0f * f, x0 = 30.0f + 7.0f * f, y0 = 20.0f + 4.0f * f;
        image fr;
        crop_resize(&fr, photo_im, x0, y0, side, 320);
        pose_result res;
        mosa_status s;
        if (f == 0) { /* the photo's detector ROI, in this frame's pixels */
            pose_roi d = {(ref->roi.cx - x0) * 320.0f / side, (ref->roi.cy - y0) * 320.0f / side,
                          ref->roi.size * 320.0f / side, ref->roi.rotation};
            s = estimate2(pm, &fr, d, &res, NULL);
        } else {
            s = pose_estimate(pm, &fr, &roi, &res, NULL);
        }
        TEST_COND("tracking estimate ok", s == MOSA_OK);
        all_found &= res.found;
        roi = pose_roi_from_result(&res);
        double fw = 0;
        for (size_t k = 0; k < sizeof key / sizeof key[0]; k++) {
            int l = key[k];
            /* frame pixel -> photo pixel */
            float px = x0 + res.lm[l].x * side / 320.0f, py = y0 + res.lm[l].y * side / 320.0f;
            double d = hypot(px - ref->lm[l].x, py - ref->lm[l].y) * 320.0 / side; /* in frame pixels */
            if (l >= 11) {
                if (d > worst_sh) worst_sh = d;
            } else if (d > fw) {
                fw = d;
            }
            if (g_verbose) printf("    lm %d off %.1f\n", l, d);
        }
        printf("  frame %d: flag %.3f roi (%.0f,%.0f) size %.0f; worst face-point offset %.2f px\n", f, res.flag,
               res.roi.cx, res.roi.cy, res.roi.size, fw);
        if (fw > worst) worst = fw;
        image_free(&fr);
    }
    TEST_COND("tracking: pose found in every frame", all_found);
    printf("  worst face-point offset %.2f px, worst shoulder offset %.2f px (frame pixels)\n", worst, worst_sh);
    TEST_COND("tracking: nose, eyes, mouth follow the pan/zoom within 8 px", worst < 8.0);
    /* the shoulders of a bulky space suit are ambiguous: they move with the crop's context */
    TEST_COND("tracking: shoulders follow within 30 px", worst_sh < 30.0);
}

int main(void) {
    g_verbose = getenv("MOSA_POSE_VERBOSE") != NULL;
    mosa_set_threads(2);
    geometry();

    char pfull[512], pseg[512];
    if (model_path_resolve(pfull, sizeof pfull, "mediapipe/pose_landmark_full.tflite") != MOSA_OK ||
        model_path_resolve(pseg, sizeof pseg, "mediapipe/selfie_segmentation.tflite") != MOSA_OK) {
        printf("SKIP part 2: MediaPipe models missing (scripts/fetch_models.sh)\n");
        test_report();
        return test__failed ? 1 : 77;
    }
    if (access(SK "astronaut.png", R_OK) != 0 || access(SK "camera.png", R_OK) != 0) {
        printf("SKIP part 2: photographs missing (apt-get install python3-skimage)\n");
        test_report();
        return test__failed ? 1 : 77;
    }
    pose_model *pm = NULL;
    seg_model *sm = NULL;
    TEST_COND("open pose model", pose_model_open(&pm, pfull) == MOSA_OK);
    TEST_COND("open selfie model", seg_model_open(&sm, pseg) == MOSA_OK);
    if (!pm || !sm) return test_report();

    /* hostile: wrong model kinds, bad ROI, bad frame */
    pose_model *bad = NULL;
    TEST_COND("selfie model is not a pose model",
              pose_model_open(&bad, pseg) == MOSA_ERR_FORMAT && strstr(mosa_last_error(), "pose landmark"));
    seg_model *bads = NULL;
    TEST_COND("pose model is not a selfie model", seg_model_open(&bads, pfull) == MOSA_ERR_FORMAT);
    image tiny;
    image_alloc(&tiny, 8, 6);
    pose_result res;
    pose_roi nan_roi = {NAN, 3, 8, 0}, zero_roi = {4, 3, 0, 0};
    TEST_COND("NaN ROI refused", pose_estimate(pm, &tiny, &nan_roi, &res, NULL) == MOSA_ERR_ARG);
    TEST_COND("empty ROI refused", pose_estimate(pm, &tiny, &zero_roi, &res, NULL) == MOSA_ERR_ARG);
    image empty = {0};
    pose_roi whole = pose_roi_whole(8, 6);
    TEST_COND("empty frame refused", pose_estimate(pm, &empty, &whole, &res, NULL) != MOSA_OK);
    float tm[48];
    TEST_COND("tiny black frame runs", pose_estimate(pm, &tiny, &whole, &res, tm) == MOSA_OK);
    TEST_COND("tiny black frame: no person", !res.found);
    TEST_COND("tiny frame selfie runs", seg_estimate(sm, &tiny, tm) == MOSA_OK);
    image_free(&tiny);

    /* The boxes were read off the photographs (512x512 both). */
    const photo astronaut = {
        "astronaut", SK "astronaut.png",
        .nose = {195, 105, 245, 155}, .sh_l = {260, 200, 340, 290}, .sh_r = {70, 190, 160, 280},
        .hip_l = {200, 440, 330, 640}, .hip_r = {80, 440, 220, 640},
        .person = {140, 330, 260, 480}, .background = {380, 20, 500, 100}, .frontal = 1,
        .det = {230, 680, 1300, 0}};
    const photo camera = {
        "camera", SK "camera.png",
        .nose = {220, 150, 265, 195}, .sh_l = {150, 140, 240, 230}, .sh_r = {50, 130, 150, 230},
        .hip_l = {80, 300, 180, 420}, .hip_r = {20, 300, 130, 420},
        .person = {20, 250, 120, 450}, .background = {360, 20, 500, 120}, .frontal = 0,
        .det = {90, 430, 950, 0}};
    image astro_im = {0};
    pose_result astro_res;
    check_photo(pm, sm, &astronaut, &astro_im, &astro_res);
    check_photo(pm, sm, &camera, NULL, NULL);
    if (astro_im.rgb) {
        tracking(pm, &astro_im, &astro_res);
        rotated(pm, sm, &astro_im, &astro_res, 0.5f);
    }
    image_free(&astro_im);
    pose_model_free(pm);
    seg_model_free(sm);
    return test_report();
}
