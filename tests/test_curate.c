/* test_curate.c: the curation filters (data/curate.h) on synthetic clips whose verdict is known
 * (a normal moving person, a static clip, jittery keypoints, a flat and a blurred clip, upper-body
 * only motion, legs out of view), and the Table 8 statistics on a few captions.
 *
 * It is not a calibration of the thresholds on real video; the clips are drawn here. */
#include "data/curate.h"
#include "base/skeleton.h"
#include "test.h"

#include <math.h>
#include <string.h>

enum { W = 96, H = 96, T = 16 };

/* Background: 8 px checkerboard plus a soft wave; person: finer diagonal stripes. */
static float bg_at(float x, float y) {
    int c = ((int)floorf(x / 8) + (int)floorf(y / 8)) & 1;
    return 0.3f + 0.3f * (float)c + 0.1f * sinf(0.3f * x + 0.2f * y);
}
static float person_at(float x, float y) { return 0.5f + 0.35f * sinf(0.9f * x + 0.5f * y) * cosf(0.4f * y); }

/* Keypoints of a standing figure centred at (cx, 0): (18,2). */
static void figure(float *kp, float cx) {
    static const float off[OP18_J][2] = {
        {0, 18},  {0, 28},  {-8, 28}, {-11, 40}, {-12, 50}, {8, 28},   {11, 40}, {12, 50}, {-5, 55},
        {-5, 68}, {-5, 82}, {5, 55},  {5, 68},   {5, 82},   {-2, 16},  {2, 16},  {-4, 18}, {4, 18}};
    for (int j = 0; j < OP18_J; j++) {
        kp[2 * j] = cx + off[j][0];
        kp[2 * j + 1] = off[j][1];
    }
}

typedef struct clip {
    image frames[T];
    float kp[T * OP18_J * 2], conf[T * OP18_J];
    uint8_t masks[T * W * H];
} clip;

/* Draws a clip whose person (a 30x74 box) is at cx(t) = cx0 + speed * t; `blur` > 0 replaces the
 * frame by a smooth low-contrast gradient, `flat` by uniform gray. Keypoints follow the box. */
static void clip_make(clip *c, float cx0, float speed, int flat, int blur) {
    for (int t = 0; t < T; t++) {
        image *im = &c->frames[t];
        image_alloc(im, W, H);
        float cx = cx0 + speed * (float)t;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                bool in = fabsf((float)x - cx) <= 15 && y >= 12 && y <= 86;
                float v = in ? person_at((float)x - cx, (float)y) : bg_at((float)x, (float)y);
                if (flat) v = 0.5f;
                if (blur) v = 0.45f + 0.1f * (float)x / W + 0.02f * sinf(0.05f * (float)y);
                uint8_t b = (uint8_t)lrintf(fminf(fmaxf(v, 0), 1) * 255);
                uint8_t *p = image_px(im, x, y);
                p[0] = p[1] = p[2] = b;
                c->masks[(size_t)t * W * H + (size_t)y * W + x] = in;
            }
        figure(c->kp + (size_t)t * OP18_J * 2, cx);
        for (int j = 0; j < OP18_J; j++) c->conf[t * OP18_J + j] = 0.9f;
    }
}

static void clip_free(clip *c) {
    for (int t = 0; t < T; t++) image_free(&c->frames[t]);
}

static curate_input clip_input(const clip *c) {
    curate_input in = {T, W, H, c->frames, c->kp, c->conf, c->masks};
    return in;
}

static void show(const char *name, const curate_result *r) {
    printf("%-14s keep %d  sharp %.2e contrast %.3f clipped %.2f dyn %.2f in-mask %.2f smooth %.2f "
           "offset %.2f legs %.2f leg/upper %.2f  [%s]\n",
           name, r->keep, (double)r->sharpness, (double)r->contrast, (double)r->clipped, (double)r->dynamic_degree,
           (double)r->flow_in_mask, (double)r->smooth_ratio, (double)r->kp_offset, (double)r->lower_visible,
           (double)r->lower_upper_ratio, r->reason);
}

static clip cl;

static void test_filters(void) {
    curate_result r;
    curate_input in;

    clip_make(&cl, 30, 1.5f, 0, 0);
    in = clip_input(&cl);
    double t0 = time_now();
    TEST_COND("normal clip runs", curate_clip(&r, &in, NULL) == MOSA_OK);
    printf("speed: curate_clip %d frames %dx%d %.1f ms\n", T, W, H, (time_now() - t0) * 1e3);
    show("moving", &r);
    TEST_COND("normal moving clip is kept", r.keep && r.failed == 0 && r.reason[0] == 0);
    /* the top 5% of flow magnitudes include the box's occlusion edges, where flow overshoots */
    TEST_COND("dynamic degree near the person's speed", r.dynamic_degree > 1.2f && r.dynamic_degree < 3.0f);
    TEST_COND("flow inside the mask near the speed", fabsf(r.flow_in_mask - 1.5f) < 0.4f);
    TEST_COND("keypoint offset is the speed", fabsf(r.kp_offset - 1.5f) < 1e-3f);

    /* the same clip with jittery keypoints */
    mosa_rng rng;
    rng_seed(&rng, 3);
    float noise[T * OP18_J * 2];
    rng_uniform(&rng, noise, T * OP18_J * 2);
    for (int i = 0; i < T * OP18_J * 2; i++) cl.kp[i] += 6.0f * (noise[i] - 0.5f);
    TEST_COND("jittery clip runs", curate_clip(&r, &in, NULL) == MOSA_OK);
    show("jittery", &r);
    TEST_COND("jittery keypoints fail smoothness", !r.keep && (r.failed & CURATE_SMOOTH) &&
                                                       !strncmp(r.reason, "motion smoothness", 17));

    /* upper body only: the box and legs stay, the arms and head sway smoothly */
    clip_free(&cl);
    clip_make(&cl, 40, 0.8f, 0, 0); /* the box drifts a little so the clip is not static */
    for (int t = 0; t < T; t++) {
        figure(cl.kp + (size_t)t * OP18_J * 2, 40);
        float sway = 6.0f * sinf(6.2831853f * (float)t / 16);
        for (int j = 0; j < OP18_J; j++)
            if (j < OP_R_HIP || j > OP_L_ANKLE) cl.kp[(t * OP18_J + j) * 2] += sway;
    }
    TEST_COND("upper-body clip runs", curate_clip(&r, &in, NULL) == MOSA_OK);
    show("upper-only", &r);
    TEST_COND("upper-body-only motion is rejected", !r.keep && r.failed == CURATE_WHOLE_BODY &&
                                                        strstr(r.reason, "only the upper body") != NULL);
    curate_opts half = curate_opts_default();
    half.require_full_body = false;
    TEST_COND("upper-body clip with the filter off", curate_clip(&r, &in, &half) == MOSA_OK && r.keep);

    /* legs out of view */
    for (int t = 0; t < T; t++)
        for (int j = OP_R_HIP; j <= OP_L_ANKLE; j++) cl.conf[t * OP18_J + j] = 0.05f;
    TEST_COND("half-body clip runs", curate_clip(&r, &in, NULL) == MOSA_OK);
    show("legs-hidden", &r);
    TEST_COND("legs out of view are rejected", !r.keep && (r.failed & CURATE_WHOLE_BODY) &&
                                                   strstr(r.reason, "legs visible") != NULL);

    /* static clip */
    clip_free(&cl);
    clip_make(&cl, 40, 0, 0, 0);
    TEST_COND("static clip runs", curate_clip(&r, &in, NULL) == MOSA_OK);
    show("static", &r);
    TEST_COND("static clip dropped for dynamic degree", !r.keep && (r.failed & CURATE_DYNAMIC) &&
                                                            !strncmp(r.reason, "dynamic degree 0.00 px/frame below 0.30", 40));
    TEST_COND("static clip also fails the keypoint offset", (r.failed & CURATE_KP_OFFSET) != 0);

    /* flat and blurred clips (the keypoints still move, so only quality can fail) */
    clip_free(&cl);
    clip_make(&cl, 30, 1.5f, 1, 0);
    TEST_COND("flat clip runs", curate_clip(&r, &in, NULL) == MOSA_OK);
    show("flat", &r);
    TEST_COND("flat clip fails quality first", !r.keep && (r.failed & CURATE_QUALITY) &&
                                                   !strncmp(r.reason, "imaging quality", 15));
    clip_free(&cl);
    clip_make(&cl, 30, 1.5f, 0, 1);
    TEST_COND("blurred clip runs", curate_clip(&r, &in, NULL) == MOSA_OK);
    show("blurred", &r);
    TEST_COND("blurred clip fails quality first", !r.keep && (r.failed & CURATE_QUALITY) &&
                                                      !strncmp(r.reason, "imaging quality: sharpness", 26));

    /* inputs may be partial: keypoints only */
    clip_free(&cl);
    clip_make(&cl, 30, 1.5f, 0, 0);
    curate_input kp_only = {T, W, H, NULL, cl.kp, cl.conf, NULL};
    TEST_COND("keypoint-only clip runs", curate_clip(&r, &kp_only, NULL) == MOSA_OK);
    TEST_COND("keypoint-only clip kept, frame scores NAN", r.keep && isnan(r.dynamic_degree) && isnan(r.sharpness));

    /* bad input */
    curate_input bad = in;
    bad.conf = NULL;
    TEST_COND("keypoints without confidences rejected", curate_clip(&r, &bad, NULL) == MOSA_ERR_ARG);
    bad = in;
    bad.W = 64;
    TEST_COND("frame size mismatch rejected", curate_clip(&r, &bad, NULL) == MOSA_ERR_ARG);
    clip_free(&cl);
}

static void test_stats(void) {
    static const struct { const char *caption, *phrase; } cases[] = {
        {"A person walks forward and then jumps.", "walks forward"},
        {"a man walks forward, then turns around", "walks forward"},
        {"The woman is waving her hand while smiling", "waving her hand"},
        {"Someone jumps over the box.", "jumps over box"},
        {"Dances.", "dances"},
        {"A man in red walks", "in red walks"},
    };
    char buf[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        curate_verb_phrase(buf, sizeof buf, cases[i].caption);
        if (strcmp(buf, cases[i].phrase)) printf("phrase of \"%s\": \"%s\"\n", cases[i].caption, buf);
        TEST_COND("verb phrase as documented", !strcmp(buf, cases[i].phrase));
    }
    TEST_COND("no phrase in an empty caption", curate_verb_phrase(buf, sizeof buf, "") == 0 && buf[0] == 0);
    TEST_COND("phrase truncated to the buffer", curate_verb_phrase(buf, 8, "A person walks forward") == 5 &&
                                                    !strcmp(buf, "walks"));

    curate_stats s;
    curate_stats_init(&s);
    const curate_clip_info clips[] = {
        {1920, 1080, cases[0].caption, 1.0f}, {1920, 1080, cases[1].caption, 2.0f},
        {1280, 720, cases[2].caption, NAN},   {1920, 1080, cases[3].caption, -1.0f},
        {1280, 720, "", 3.0f},                {1920, 1080, NULL, 3.0f},
        {1920, 1080, cases[4].caption, NAN},
    };
    for (size_t i = 0; i < sizeof clips / sizeof clips[0]; i++)
        TEST_COND("stats add", curate_stats_add(&s, &clips[i]) == MOSA_OK);
    /* enough distinct phrases to make the set grow */
    for (int i = 0; i < 200; i++) {
        char cap[64];
        snprintf(cap, sizeof cap, "a person waves %d times", i % 100);
        curate_clip_info c = {640, 480, cap, NAN};
        TEST_COND("stats add (many)", curate_stats_add(&s, &c) == MOSA_OK);
    }
    curate_clip_info badc = {0, 480, "x", 0};
    TEST_COND("stats reject a bad resolution", curate_stats_add(&s, &badc) == MOSA_ERR_ARG);
    curate_summary m;
    curate_stats_finish(&m, &s);
    printf("stats: clips %ld, %d resolutions (first %dx%d x%ld), action types %ld, complexity %.3f, "
           "captions %ld (%.3f)\n",
           m.clips, m.n_res, m.res_w[0], m.res_h[0], m.res_count[0], m.action_types, (double)m.action_complexity,
           m.captions, (double)m.caption_frac);
    TEST_COND("clips counted", m.clips == 207);
    TEST_COND("resolutions, most frequent first", m.n_res == 3 && m.res_w[0] == 640 && m.res_count[0] == 200 &&
                                                      m.res_w[1] == 1920 && m.res_count[1] == 5 && m.res_count[2] == 2);
    TEST_COND("action types = distinct verb phrases", m.action_types == 4 + 100);
    TEST_COND("action complexity = mean of known values", fabsf(m.action_complexity - 2.25f) < 1e-6f);
    TEST_COND("captions present", m.captions == 205 && fabsf(m.caption_frac - 205.0f / 207.0f) < 1e-6f);
    curate_stats_free(&s);
}

int main(void) {
    test_filters();
    test_stats();
    return test_report();
}
