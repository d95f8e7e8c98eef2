/* test_draw.c: OpenPose-18 skeleton drawing against the draw_bodypose recipe: golden pixels
 * (every limb's midpoint has exactly its 0.6-scaled colour, every joint centre its full colour,
 * black far from the body), the ellipse2Poly geometry in hard-edge mode, missing keypoints and
 * the 0.3 threshold, limb-major drawing order across people, MimicMotion's confidence colours
 * and R/B swap, half-body dropping, the xinsir stick scale, anti-aliased edges, whole videos
 * (parallel = one frame at a time), hostile coordinates, and the half-body parser. */
#include "render/draw.h"
#include "base/skeleton.h"
#include "test.h"

#include <string.h>

enum { W = 512, H = 512 };

/* A spread-out frontal pose in pixels (the person's right on the image left). */
static const float k_pose[18][2] = {
    {256, 90},  /* nose */
    {256, 160}, /* neck */
    {196, 160}, /* R shoulder */
    {150, 230}, /* R elbow */
    {110, 300}, /* R wrist */
    {316, 160}, /* L shoulder */
    {362, 230}, /* L elbow */
    {402, 300}, /* L wrist */
    {220, 300}, /* R hip */
    {210, 390}, /* R knee */
    {200, 480}, /* R ankle */
    {292, 300}, /* L hip */
    {302, 390}, /* L knee */
    {312, 480}, /* L ankle */
    {236, 70},  /* R eye */
    {276, 70},  /* L eye */
    {206, 80},  /* R ear */
    {306, 80},  /* L ear */
};

static const uint8_t *px(const image *im, int x, int y) { return image_px(im, x, y); }
static int rgb_is(const uint8_t *p, int r, int g, int b) { return p[0] == r && p[1] == g && p[2] == b; }

/* The pixel the reference puts at a limb's ellipse centre: (int(mean x), int(mean y)). */
static void limb_mid(const float (*kp)[2], int i, int *x, int *y) {
    const float *a = kp[draw_limbs[i][0]], *b = kp[draw_limbs[i][1]];
    *x = (int)(0.5 * ((double)a[0] + b[0]));
    *y = (int)(0.5 * ((double)a[1] + b[1]));
}

/* Distance from (x, y) to segment a-b. */
static double seg_dist(double x, double y, const float *a, const float *b) {
    double dx = b[0] - a[0], dy = b[1] - a[1], l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((x - a[0]) * dx + (y - a[1]) * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double ex = a[0] + t * dx - x, ey = a[1] + t * dy - y;
    return sqrt(ex * ex + ey * ey);
}

static void test_golden(int ss) {
    image im = {0};
    draw_opts o = draw_opts_default();
    o.supersample = ss;
    TEST_COND("alloc", image_alloc(&im, W, H) == MOSA_OK);
    memset(im.rgb, 77, image_bytes(&im)); /* draw_skeleton must clear to black */
    TEST_COND("draw", draw_skeleton(&im, &k_pose[0][0], NULL, 1, &o) == MOSA_OK);
    int limbs_ok = 1, joints_ok = 1;
    for (int i = 0; i < DRAW_N_LIMBS; i++) {
        int x, y;
        limb_mid(k_pose, i, &x, &y);
        const uint8_t *c = draw_colors[i], *p = px(&im, x, y);
        if (!rgb_is(p, (int)(c[0] * 0.6), (int)(c[1] * 0.6), (int)(c[2] * 0.6))) {
            limbs_ok = 0;
            printf("  ss=%d limb %d at (%d,%d): %d %d %d\n", ss, i, x, y, p[0], p[1], p[2]);
        }
    }
    TEST_COND("every limb midpoint has exactly its 0.6-scaled colour", limbs_ok);
    /* 0.6 scaling of the channel values as numpy truncates it */
    TEST_COND("255*0.6=153, 170*0.6=102, 85*0.6=51", (int)(255 * 0.6) == 153 && (int)(170 * 0.6) == 102 &&
                                                         (int)(85 * 0.6) == 51);
    for (int j = 0; j < 18; j++) {
        const uint8_t *c = draw_colors[j], *p = px(&im, (int)k_pose[j][0], (int)k_pose[j][1]);
        if (!rgb_is(p, c[0], c[1], c[2])) joints_ok = 0;
    }
    TEST_COND("every joint centre has its full colour", joints_ok);
    /* black everywhere farther than stickwidth + 2 px from every limb and radius + 2 from every joint */
    int bg_ok = 1, inked = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double d = 1e9;
            for (int i = 0; i < DRAW_N_LIMBS; i++) {
                double e = seg_dist(x, y, k_pose[draw_limbs[i][0]], k_pose[draw_limbs[i][1]]);
                if (e < d) d = e;
            }
            const uint8_t *p = px(&im, x, y);
            int black = rgb_is(p, 0, 0, 0);
            inked += !black;
            if (d > 4 + 2 && !black) bg_ok = 0;
        }
    TEST_COND("background black away from the skeleton", bg_ok);
    TEST_COND("something was drawn", inked > 2000);
    TEST_COND("far corners black", rgb_is(px(&im, 0, 0), 0, 0, 0) && rgb_is(px(&im, W - 1, H - 1), 0, 0, 0));

    /* hard edges: every pixel is black or exactly one of the 17 limb or 18 joint colours */
    if (ss == 1) {
        int pure = 1;
        for (size_t k = 0; k < (size_t)W * H && pure; k++) {
            const uint8_t *p = im.rgb + 3 * k;
            int ok = rgb_is(p, 0, 0, 0);
            for (int i = 0; i < 18 && !ok; i++) {
                const uint8_t *c = draw_colors[i];
                ok = rgb_is(p, c[0], c[1], c[2]) ||
                     (i < DRAW_N_LIMBS && rgb_is(p, (int)(c[0] * 0.6), (int)(c[1] * 0.6), (int)(c[2] * 0.6)));
            }
            pure = ok;
        }
        TEST_COND("hard edges: only exact palette colours", pure);
    } else {
        int partial = 0;
        for (size_t k = 0; k < (size_t)W * H; k++) {
            const uint8_t *p = im.rgb + 3 * k;
            if (p[0] > 0 && p[0] < 153 && p[1] == 0 && p[2] == 0) partial++; /* limb 0 is (153,0,0) */
        }
        TEST_COND("anti-aliased: limb 0 has partially covered edge pixels", partial > 10);
    }
    image_free(&im);
}

/* Ink (summed coverage) of AA and hard drawings agree: AA only redistributes edges. */
static void test_aa_vs_hard(void) {
    image a = {0}, h = {0};
    image_alloc(&a, W, H);
    image_alloc(&h, W, H);
    draw_opts o = draw_opts_default();
    draw_skeleton(&a, &k_pose[0][0], NULL, 1, &o);
    o.supersample = 1;
    draw_skeleton(&h, &k_pose[0][0], NULL, 1, &o);
    double sa = 0, sh = 0;
    for (size_t k = 0; k < image_bytes(&a); k++) sa += a.rgb[k], sh += h.rgb[k];
    TEST_COND("AA and hard drawings carry the same ink within 8%", fabs(sa - sh) / sh < 0.08);
    printf("ink AA/hard = %.4f\n", sa / sh);
    image_free(&a);
    image_free(&h);
}

/* ellipse2Poly geometry: a horizontal limb (90,100)-(110,100): half-length 10, half-width 4, so
 * in hard-edge mode it covers x 90..110 on row 100 and y 96..104 on column 100. */
static void test_geometry(void) {
    image im = {0};
    image_alloc(&im, 200, 200);
    float kp[18][2], conf[18] = {0};
    for (int j = 0; j < 18; j++) kp[j][0] = kp[j][1] = -100;
    kp[OP_NECK][0] = 90, kp[OP_NECK][1] = 100, kp[OP_R_SHOULDER][0] = 110, kp[OP_R_SHOULDER][1] = 100;
    conf[OP_NECK] = conf[OP_R_SHOULDER] = 1;
    draw_opts o = draw_opts_default();
    o.supersample = 1;
    o.radius = 0; /* joints are single pixels, so the limb's own extent shows */
    draw_skeleton(&im, &kp[0][0], conf, 1, &o);
    TEST_COND("limb ends at x=90 and x=110", !rgb_is(px(&im, 91, 100), 0, 0, 0) && !rgb_is(px(&im, 109, 100), 0, 0, 0) &&
                                                 rgb_is(px(&im, 89, 100), 0, 0, 0) && rgb_is(px(&im, 111, 100), 0, 0, 0));
    TEST_COND("limb half-width 4", rgb_is(px(&im, 100, 96), 153, 0, 0) && rgb_is(px(&im, 100, 104), 153, 0, 0) &&
                                       rgb_is(px(&im, 100, 95), 0, 0, 0) && rgb_is(px(&im, 100, 105), 0, 0, 0));
    /* joint circles of radius 4 have cv2.circle's pixel rows: widths 1,5,7,7,9,7,7,5,1 */
    memset(conf, 0, sizeof conf);
    kp[OP_NOSE][0] = 50, kp[OP_NOSE][1] = 50;
    conf[OP_NOSE] = 1;
    o.radius = 4;
    draw_skeleton(&im, &kp[0][0], conf, 1, &o);
    const int widths[9] = {1, 5, 7, 7, 9, 7, 7, 5, 1};
    int circ_ok = 1;
    for (int dy = -4; dy <= 4; dy++) {
        int w = 0;
        for (int dx = -6; dx <= 6; dx++) w += !rgb_is(px(&im, 50 + dx, 50 + dy), 0, 0, 0);
        if (w != widths[dy + 4]) circ_ok = 0;
    }
    TEST_COND("radius-4 joint = cv2.circle's pixels", circ_ok);
    /* keypoint coordinates truncate like int(): (50.9, 50.9) draws at (50, 50) */
    kp[OP_NOSE][0] = 50.9f, kp[OP_NOSE][1] = 50.9f;
    image im2 = {0};
    image_alloc(&im2, 200, 200);
    draw_skeleton(&im2, &kp[0][0], conf, 1, &o);
    TEST_COND("joint centre truncated as int()", !memcmp(im.rgb, im2.rgb, image_bytes(&im)));
    /* a diagonal limb: AA and hard agree on the centre line, and the axis of the ellipse
     * follows the limb direction (pixels along the limb are lit, pixels 8 px off are not) */
    memset(conf, 0, sizeof conf);
    kp[OP_NECK][0] = 40, kp[OP_NECK][1] = 40, kp[OP_R_SHOULDER][0] = 160, kp[OP_R_SHOULDER][1] = 130;
    conf[OP_NECK] = conf[OP_R_SHOULDER] = 1;
    o.supersample = 4;
    draw_skeleton(&im, &kp[0][0], conf, 1, &o);
    int along = 1, off = 1;
    for (int s = 2; s <= 8; s++) {
        float t = (float)s / 10.0f, x = 40 + 120 * t, y = 40 + 90 * t;
        if (!rgb_is(px(&im, (int)lrintf(x), (int)lrintf(y)), 153, 0, 0)) along = 0;
        /* normal direction (-0.6, 0.8) */
        if (!rgb_is(px(&im, (int)lrintf(x - 0.6f * 8), (int)lrintf(y + 0.8f * 8)), 0, 0, 0)) off = 0;
    }
    TEST_COND("diagonal limb lit along its axis", along);
    TEST_COND("diagonal limb dark 8 px off its axis", off);
    image_free(&im);
    image_free(&im2);
}

static void test_missing_and_threshold(void) {
    image im = {0};
    image_alloc(&im, W, H);
    float conf[18];
    for (int j = 0; j < 18; j++) conf[j] = 1;
    conf[OP_R_ELBOW] = 0.3f; /* not above the threshold: missing */
    draw_skeleton(&im, &k_pose[0][0], conf, 1, NULL);
    int x, y;
    limb_mid(k_pose, 2, &x, &y);
    TEST_COND("missing elbow: shoulder-elbow limb gone", rgb_is(px(&im, x, y), 0, 0, 0));
    limb_mid(k_pose, 3, &x, &y);
    TEST_COND("missing elbow: elbow-wrist limb gone", rgb_is(px(&im, x, y), 0, 0, 0));
    TEST_COND("missing elbow: its joint gone", rgb_is(px(&im, 150, 230), 0, 0, 0));
    limb_mid(k_pose, 4, &x, &y);
    TEST_COND("other limbs stay", rgb_is(px(&im, x, y), 102, 153, 0));
    TEST_COND("the wrist joint itself stays", rgb_is(px(&im, 110, 300), 170, 255, 0));
    conf[OP_R_ELBOW] = 0.31f;
    draw_skeleton(&im, &k_pose[0][0], conf, 1, NULL);
    limb_mid(k_pose, 2, &x, &y);
    TEST_COND("confidence 0.31 is drawn", rgb_is(px(&im, x, y), 153, 102, 0));
    /* NAN and absurd coordinates are missing, never a crash; off-canvas limbs are clipped */
    float kp[18][2];
    memcpy(kp, k_pose, sizeof kp);
    kp[OP_NOSE][0] = NAN;
    kp[OP_L_WRIST][0] = 5e7f;
    kp[OP_R_ANKLE][0] = -3000, kp[OP_R_ANKLE][1] = 4000; /* far off, but within the limits */
    for (int j = 0; j < 18; j++) conf[j] = 1;
    TEST_COND("hostile coordinates", draw_skeleton(&im, &kp[0][0], conf, 1, NULL) == MOSA_OK);
    limb_mid(k_pose, 12, &x, &y);
    TEST_COND("NAN nose: neck-nose limb gone", rgb_is(px(&im, x, y), 0, 0, 0));
    limb_mid(k_pose, 0, &x, &y);
    TEST_COND("rest still drawn", rgb_is(px(&im, x, y), 153, 0, 0));
    image_free(&im);
}

static void test_mimicmotion(void) {
    image im = {0};
    image_alloc(&im, W, H);
    float conf[18];
    for (int j = 0; j < 18; j++) conf[j] = 0.5f;
    draw_opts o = draw_opts_default();
    o.conf_aware = 1;
    draw_skeleton(&im, &k_pose[0][0], conf, 1, &o);
    int ok_l = 1, ok_j = 1;
    for (int i = 0; i < DRAW_N_LIMBS; i++) {
        int x, y;
        limb_mid(k_pose, i, &x, &y);
        const uint8_t *c = draw_colors[i], *p = px(&im, x, y);
        for (int ch = 0; ch < 3; ch++)
            if (p[ch] != (int)((int)(c[ch] * 0.25f) * 0.6)) ok_l = 0;
    }
    for (int j = 0; j < 18; j++) {
        const uint8_t *c = draw_colors[j], *p = px(&im, (int)k_pose[j][0], (int)k_pose[j][1]);
        for (int ch = 0; ch < 3; ch++)
            if (p[ch] != (int)(c[ch] * 0.5f)) ok_j = 0;
    }
    TEST_COND("MimicMotion: limb colour x conf_a x conf_b, then x0.6", ok_l);
    int x, y;
    limb_mid(k_pose, 0, &x, &y);
    TEST_COND("MimicMotion: limb 0 at conf 0.5 is (37,0,0)", rgb_is(px(&im, x, y), 37, 0, 0));
    TEST_COND("MimicMotion: joint colour x conf", ok_j);
    /* threshold semantics: a limb needs both >= 0.3, a joint needs > 0.3 */
    for (int j = 0; j < 18; j++) conf[j] = 1;
    conf[OP_R_ELBOW] = 0.3f;
    draw_skeleton(&im, &k_pose[0][0], conf, 1, &o);
    limb_mid(k_pose, 2, &x, &y);
    TEST_COND("MimicMotion: endpoint at exactly 0.3 keeps the limb (dim)",
              rgb_is(px(&im, x, y), (int)((int)(255 * 0.3f) * 0.6), (int)((int)(170 * 0.3f) * 0.6), 0));
    /* the joint needs > 0.3: at 0.3 the elbow centre shows only the limbs' dim ends, at 0.31
     * the joint in (255,255,0) x 0.31 */
    const uint8_t *e = px(&im, 150, 230);
    TEST_COND("MimicMotion: joint at exactly 0.3 is not drawn", e[0] < 76 && !rgb_is(e, 76, 76, 0));
    conf[OP_R_ELBOW] = 0.31f;
    draw_skeleton(&im, &k_pose[0][0], conf, 1, &o);
    TEST_COND("MimicMotion: joint at 0.31 drawn in colour x 0.31", rgb_is(px(&im, 150, 230), 79, 79, 0));
    conf[OP_R_ELBOW] = 0.29f;
    draw_skeleton(&im, &k_pose[0][0], conf, 1, &o);
    TEST_COND("MimicMotion: endpoint below 0.3 drops the limb", rgb_is(px(&im, x, y), 0, 0, 0));
    /* R/B swap */
    for (int j = 0; j < 18; j++) conf[j] = 1;
    o.swap_rb = 1;
    draw_skeleton(&im, &k_pose[0][0], conf, 1, &o);
    limb_mid(k_pose, 0, &x, &y);
    TEST_COND("swap: limb 0 becomes blue", rgb_is(px(&im, x, y), 0, 0, 153));
    limb_mid(k_pose, 1, &x, &y);
    TEST_COND("swap: limb 1 (153,51,0) becomes (0,51,153)", rgb_is(px(&im, x, y), 0, 51, 153));
    TEST_COND("swap: nose joint (255,0,0) becomes blue", rgb_is(px(&im, 256, 90), 0, 0, 255));
    o.conf_aware = 0;
    draw_skeleton(&im, &k_pose[0][0], NULL, 1, &o);
    limb_mid(k_pose, 12, &x, &y);
    TEST_COND("swap without confidence colours: limb 12 (0,0,153) becomes red", rgb_is(px(&im, x, y), 153, 0, 0));
    image_free(&im);
}

static void test_half_body(void) {
    image im = {0};
    image_alloc(&im, W, H);
    draw_opts o = draw_opts_default();
    o.drop = DRAW_DROP_UPPER;
    draw_skeleton(&im, &k_pose[0][0], NULL, 1, &o);
    int x, y;
    const int legs[4] = {7, 8, 10, 11}, kept[4] = {6, 9, 0, 3};
    int gone = 1, stay = 1;
    for (int k = 0; k < 4; k++) {
        limb_mid(k_pose, legs[k], &x, &y);
        if (!rgb_is(px(&im, x, y), 0, 0, 0)) gone = 0;
        limb_mid(k_pose, kept[k], &x, &y);
        if (rgb_is(px(&im, x, y), 0, 0, 0)) stay = 0;
    }
    TEST_COND("upper: leg limbs gone", gone);
    TEST_COND("upper: torso and arms stay", stay);
    TEST_COND("upper: knees and ankles gone", rgb_is(px(&im, 210, 390), 0, 0, 0) && rgb_is(px(&im, 312, 480), 0, 0, 0));
    TEST_COND("upper: hips stay", rgb_is(px(&im, 220, 300), 0, 255, 170));
    int lower_rows = 0;
    for (int yy = 330; yy < H; yy++)
        for (int xx = 0; xx < W; xx++) lower_rows += !rgb_is(px(&im, xx, yy), 0, 0, 0);
    TEST_COND("upper: nothing below the hips", lower_rows == 0);

    uint32_t m = 0;
    TEST_COND("parse upper", draw_drop_parse("upper", &m) == MOSA_OK && m == DRAW_DROP_UPPER);
    TEST_COND("parse names and indices", draw_drop_parse("right_knee,left_ankle,0", &m) == MOSA_OK &&
                                             m == ((1u << OP_R_KNEE) | (1u << OP_L_ANKLE) | 1u));
    TEST_COND("parse none", draw_drop_parse("none", &m) == MOSA_OK && m == 0);
    TEST_COND("parse lower keeps only legs", draw_drop_parse("lower", &m) == MOSA_OK && !(m >> OP_R_HIP & 1u) &&
                                                 (m >> OP_NECK & 1u) && !(m >> OP_L_ANKLE & 1u));
    TEST_COND("bad name is named", draw_drop_parse("right_knee,rght_ankle", &m) == MOSA_ERR_ARG &&
                                       strstr(mosa_last_error(), "rght_ankle"));
    TEST_COND("index 18 refused", draw_drop_parse("18", &m) == MOSA_ERR_ARG && strstr(mosa_last_error(), "'18'"));
    image_free(&im);
}

/* Limb-major order across people: person A's limb 12 (neck-nose, vertical) is drawn after
 * person B's limb 0 (neck-R shoulder, horizontal) even though B comes later in the list; and
 * every joint is drawn after every limb. */
static void test_people_order(void) {
    image im = {0};
    image_alloc(&im, 300, 300);
    float kp[2][18][2], conf[2][18] = {{0}};
    for (int p = 0; p < 2; p++)
        for (int j = 0; j < 18; j++) kp[p][j][0] = kp[p][j][1] = -500;
    /* A: neck (150,200), nose (150,100) */
    kp[0][OP_NECK][0] = 150, kp[0][OP_NECK][1] = 200, kp[0][OP_NOSE][0] = 150, kp[0][OP_NOSE][1] = 100;
    conf[0][OP_NECK] = conf[0][OP_NOSE] = 1;
    /* B: neck (100,150), R shoulder (200,150): crosses A's neck-nose at (150,150); B's R
     * shoulder joint circle sits on A's... nothing; B's neck joint at (100,150) */
    kp[1][OP_NECK][0] = 100, kp[1][OP_NECK][1] = 150, kp[1][OP_R_SHOULDER][0] = 200, kp[1][OP_R_SHOULDER][1] = 150;
    conf[1][OP_NECK] = conf[1][OP_R_SHOULDER] = 1;
    /* A's nose joint placed on B's limb: the joint must win */
    draw_opts o = draw_opts_default();
    draw_skeleton(&im, &kp[0][0][0], &conf[0][0], 2, &o);
    TEST_COND("crossing: the higher limb index wins across people (limb-major)", rgb_is(px(&im, 150, 150), 0, 0, 153));
    kp[0][OP_NOSE][1] = 150; /* A's nose onto B's limb 0 */
    kp[0][OP_NECK][1] = 250;
    draw_skeleton(&im, &kp[0][0][0], &conf[0][0], 2, &o);
    TEST_COND("joints are drawn after all limbs of all people", rgb_is(px(&im, 150, 150), 255, 0, 0));
    TEST_COND("B's limb elsewhere", rgb_is(px(&im, 120, 150), 153, 0, 0));
    image_free(&im);
}

static void test_stick_scale(void) {
    draw_opts o = draw_opts_default();
    TEST_COND("stick scale off: 4", draw_stickwidth(&o, 2048, 2048) == 4);
    o.stick_scale = 1;
    TEST_COND("xinsir: <500 px x1", draw_stickwidth(&o, 499, 300) == 4);
    TEST_COND("xinsir: 512 px x2", draw_stickwidth(&o, 512, 512) == 8);
    TEST_COND("xinsir: 1024 px x3", draw_stickwidth(&o, 768, 1024) == 12);
    TEST_COND("xinsir: capped at x7", draw_stickwidth(&o, 9000, 100) == 28);
    /* the scaled stick is wider on the canvas */
    image im = {0};
    image_alloc(&im, 200, 600);
    float kp[18][2], conf[18] = {0};
    for (int j = 0; j < 18; j++) kp[j][0] = kp[j][1] = -100;
    kp[OP_NECK][0] = 50, kp[OP_NECK][1] = 300, kp[OP_R_SHOULDER][0] = 150, kp[OP_R_SHOULDER][1] = 300;
    conf[OP_NECK] = conf[OP_R_SHOULDER] = 1;
    draw_skeleton(&im, &kp[0][0], conf, 1, &o); /* max side 600: x2 -> half-width 8 */
    TEST_COND("scaled stick reaches 7 px off axis", rgb_is(px(&im, 100, 307), 153, 0, 0) &&
                                                       rgb_is(px(&im, 100, 310), 0, 0, 0));
    o.stickwidth = 0;
    TEST_COND("stickwidth 0 refused", draw_skeleton(&im, &kp[0][0], conf, 1, &o) == MOSA_ERR_ARG);
    o = draw_opts_default();
    o.supersample = 9;
    TEST_COND("supersample 9 refused", draw_skeleton(&im, &kp[0][0], conf, 1, &o) == MOSA_ERR_ARG &&
                                           strstr(mosa_last_error(), "supersample"));
    image_free(&im);
}

/* The video form equals drawing each frame alone, with two people and moving keypoints. */
static void test_video(void) {
    enum { T = 9, P = 2, VW = 160, VH = 120 };
    static float kp[P][T][18][2], conf[P][T][18];
    for (int p = 0; p < P; p++)
        for (int t = 0; t < T; t++)
            for (int j = 0; j < 18; j++) {
                kp[p][t][j][0] = 0.25f * k_pose[j][0] + 40.0f * (float)p + 2.0f * (float)t - 20.0f;
                kp[p][t][j][1] = 0.22f * k_pose[j][1] + 3.0f * sinf((float)(t + j));
                conf[p][t][j] = (j + t + p) % 7 == 0 ? 0.1f : 0.9f;
            }
    image frames[T];
    memset(frames, 0, sizeof frames);
    image_alloc(&frames[3], VW, VH); /* a preallocated frame is reused */
    memset(frames[3].rgb, 200, image_bytes(&frames[3]));
    draw_opts o = draw_opts_default();
    o.conf_aware = 1;
    TEST_COND("video", draw_skeleton_video(frames, T, VW, VH, &kp[0][0][0][0], &conf[0][0][0], P, &o) == MOSA_OK);
    int same = 1;
    for (int t = 0; t < T; t++) {
        float fk[P][18][2], fc[P][18];
        for (int p = 0; p < P; p++) memcpy(fk[p], kp[p][t], sizeof fk[p]), memcpy(fc[p], conf[p][t], sizeof fc[p]);
        image one = {0};
        image_alloc(&one, VW, VH);
        draw_skeleton(&one, &fk[0][0][0], &fc[0][0], P, &o);
        if (!frames[t].rgb || memcmp(one.rgb, frames[t].rgb, image_bytes(&one))) same = 0;
        image_free(&one);
    }
    TEST_COND("video frames = single-frame drawings", same);
    image wrong[1] = {{0}};
    image_alloc(&wrong[0], 10, 10);
    TEST_COND("wrong-size frame refused", draw_skeleton_video(wrong, 1, VW, VH, &kp[0][0][0][0], NULL, 1, &o) ==
                                              MOSA_ERR_ARG &&
                                              strstr(mosa_last_error(), "frame 0"));
    image_free(&wrong[0]);
    for (int t = 0; t < T; t++) image_free(&frames[t]);
    image none[2] = {{0}, {0}};
    TEST_COND("absurd size refused, nothing allocated",
              draw_skeleton_video(none, 2, 0, VH, &kp[0][0][0][0], NULL, 1, &o) == MOSA_ERR_ARG && !none[0].rgb);
}

int main(void) {
    test_golden(4);
    test_golden(1);
    test_aa_vs_hard();
    test_geometry();
    test_missing_and_threshold();
    test_mimicmotion();
    test_half_body();
    test_people_order();
    test_stick_scale();
    test_video();
    return test_report();
}
