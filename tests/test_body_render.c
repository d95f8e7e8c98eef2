/* test_body_render.c: the synthetic person and scene renderer (render/body.h, render/scene.h).
 *
 * Checks: person masks cover the projected joints and stay near the bones; rendered depth equals
 * an independent sphere-traced distance to the body's signed distance field; body surface points
 * reproject onto pixels whose depth matches (point tracks and visibility); scene_sdf on the
 * ground, on objects, on stairs laid out like motion_floor_height; foot and raised-hand contacts;
 * determinism (same seed, any thread count, same bytes); two people get ids 1 and 2. Prints the
 * cost of a 128x128 frame on 1 and 2 threads.
 * With a directory argument it also writes sample frames there and a tiled sheet
 * (synth_sample.png), the picture in docs/img. */
#include "base/skeleton.h"
#include "io/png.h"
#include "motion/library.h"
#include "render/body.h"
#include "render/scene.h"
#include "test.h"

#include <string.h>

enum { W = 128, H = 128 };

static float *make_motion(int action, float seconds, uint64_t seed, int *T) {
    motion_params p = motion_params_default();
    p.seconds = seconds, p.seed = seed;
    float *j = NULL;
    if (motion_generate(&j, T, action, &p) != MOSA_OK) return NULL;
    return j;
}

static camera make_camera(const float *joints, float elev, float azim, float dist) {
    camera_pose pose = camera_pose_default();
    pose.elev = elev, pose.azim = azim, pose.dist = dist;
    pose.target = camera_target_from_motion(joints, 1, 22, 0, 1.0f);
    camera cam;
    camera_init(&cam, &pose, W, H);
    return cam;
}

static v3 pixel_ray(const camera *cam, int x, int y) {
    return v3_normalize(v3_add(v3_scale(cam->fwd, cam->focal),
                               v3_sub(v3_scale(cam->right, (float)x - cam->cx), v3_scale(cam->up, (float)y - cam->cy))));
}

static float seg_dist(v3 p, v3 a, v3 b) {
    v3 ba = v3_sub(b, a), pa = v3_sub(p, a);
    float bb = v3_dot(ba, ba), h = bb > 0 ? v3_dot(pa, ba) / bb : 0;
    h = h < 0 ? 0 : h > 1 ? 1 : h;
    return v3_norm(v3_sub(pa, v3_scale(ba, h)));
}

/* Signed distance to the body's capsules (no skirt): the independent reference. */
static float body_sdf(const body_shape *b, v3 p) {
    float d = INFINITY;
    for (int i = 0; i < BODY_PRIM_CAPSULES; i++) d = fminf(d, seg_dist(p, b->prim[i].a, b->prim[i].b) - b->prim[i].r);
    return d;
}

/* ------------------------------------------------------------------------------------------ */

static void test_mask_depth(void) {
    int T;
    float *j = make_motion(MOTION_IDLE, 2, 1, &T);
    TEST_COND("idle motion", j != NULL);
    if (!j) return;
    body_style st = body_style_default();
    scene_desc sc;
    scene_init(&sc, SCENE_GROUND_GRASS, SCENE_LIGHT_BRIGHT);
    camera cam = make_camera(j, 10, 20, 4);
    image im = {0};
    image_alloc(&im, W, H);
    uint8_t *pid = mosa_malloc(W * H);
    float *dep = mosa_malloc(W * H * sizeof(float));
    TEST_COND("render", scene_render(&im, pid, dep, &sc, &cam, j, &st, 1, 0) == MOSA_OK);

    /* every joint projects onto the person */
    float uvz[22 * 3];
    camera_project(&cam, j, 22, uvz);
    int covered = 0;
    for (int k = 0; k < 22; k++) {
        int x = (int)lrintf(uvz[3 * k]), y = (int)lrintf(uvz[3 * k + 1]);
        covered += x >= 0 && y >= 0 && x < W && y < H && pid[y * W + x] == 1;
    }
    TEST_COND("all 22 joints lie on the person mask", covered == 22);

    /* person pixels stay near the bones; depth matches sphere tracing of the body SDF */
    body_shape b;
    body_shape_build(&b, j, &st);
    int n_person = 0, far = 0, depth_bad = 0, mask_bad = 0;
    float worst = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            v3 d = pixel_ray(&cam, x, y);
            float cosf_ = v3_dot(d, cam.fwd);
            /* sphere trace the body up to the ground */
            float t = 0, tg = d.y < 0 ? -cam.eye.y / d.y : INFINITY;
            int hit = 0;
            for (int it = 0; it < 300 && t < fminf(tg, 20); it++) {
                float s = body_sdf(&b, v3_add(cam.eye, v3_scale(d, t)));
                if (s < 2e-5f) { hit = 1; break; }
                t += s;
            }
            int is_p = pid[y * W + x] == 1;
            if (hit != is_p) { mask_bad++; continue; }
            if (!is_p) continue;
            n_person++;
            float err = fabsf(dep[y * W + x] - t * cosf_);
            if (err > worst) worst = err;
            depth_bad += err > 2e-3f;
            v3 p = v3_add(cam.eye, v3_scale(d, dep[y * W + x] / cosf_));
            float md = INFINITY;
            for (int k = 1; k < 22; k++) md = fminf(md, seg_dist(p, v3_load(j + 3 * k), v3_load(j + 3 * smpl22_parents[k])));
            far += md > 0.3f;
        }
    printf("  person pixels %d, mask disagreements with sphere tracing %d, worst depth error %.2e m\n", n_person,
           mask_bad, (double)worst);
    TEST_COND("the person covers a good part of the image", n_person > 600);
    TEST_COND("mask agrees with sphere tracing (grazing pixels aside)", mask_bad <= n_person / 100 + 2);
    TEST_COND("depth = distance to the nearest capsule along the ray", depth_bad == 0);
    TEST_COND("no person pixel farther than 0.3 m from the bones", far == 0);

    /* background: ground pixels have the analytic ground depth; sky is +inf */
    int gbad = 0, sky = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            if (pid[y * W + x]) continue;
            v3 d = pixel_ray(&cam, x, y);
            float e = d.y < 0 ? (-cam.eye.y / d.y) * v3_dot(d, cam.fwd) : INFINITY;
            if (isinf(e)) sky += isinf(dep[y * W + x]);
            else gbad += fabsf(dep[y * W + x] - e) > 1e-3f * e;
        }
    TEST_COND("ground depth is analytic", gbad == 0);
    TEST_COND("sky depth is +inf", sky > 100);

    /* tracks: body points reproject onto pixels whose depth matches */
    enum { K = 200 };
    body_point pts[K];
    body_points_sample(pts, K, 7);
    int vis_depth_only = 0, on_surface = 0, front = 0, front_vis = 0, hidden = 0, hidden_inv = 0, vis_on_person = 0, vis = 0;
    for (int k = 0; k < K; k++) {
        v3 p = body_point_world(&b, pts[k]);
        const body_prim *q = &b.prim[pts[k].prim];
        on_surface += fabsf(seg_dist(p, q->a, q->b) - q->r) < 1e-4f;
        v3 d = v3_normalize(v3_sub(p, cam.eye));
        float dist = v3_norm(v3_sub(p, cam.eye));
        float th = scene_body_intersect(&b, cam.eye, d, NULL);
        v3 nrm = v3_normalize(v3_sub(p, v3_lerp(q->a, q->b, v3_norm(v3_sub(q->b, q->a)) > 0 ? pts[k].s : 0)));
        if (v3_norm(v3_sub(q->b, q->a)) < 1e-6f) nrm = v3_normalize(v3_sub(p, q->a));
        float uvz1[3];
        int v = scene_point_visible(&cam, dep, pid, 1, p, 0.05f, uvz1);
        vis_depth_only += scene_point_visible(&cam, dep, NULL, 0, p, 0.05f, NULL);
        if (v) {
            vis++;
            vis_on_person += pid[(int)lrintf(uvz1[1]) * W + (int)lrintf(uvz1[0])] == 1;
        }
        if (fabsf(th - dist) < 1e-3f && -v3_dot(nrm, d) > 0.5f) front++, front_vis += v;
        if (th < dist - 0.15f) hidden++, hidden_inv += !v;
    }
    printf("  tracks: %d/%d visible (%d on person pixels), front-facing first hits %d (%d visible), hidden %d (%d invisible)\n", vis, K, vis_on_person,
           front, front_vis, hidden, hidden_inv);
    TEST_COND("body points lie on their primitive's surface", on_surface == K);
    TEST_COND("visible body points land on person pixels", vis_on_person == vis);
    TEST_COND("the depth-only test also passes points just outside the silhouette", vis_depth_only > vis);
    TEST_COND("front-facing unoccluded points are visible", front > 20 && front_vis >= front * 9 / 10);
    TEST_COND("points behind the body are not visible", hidden > 10 && hidden_inv >= hidden * 9 / 10);
    body_point pts2[K];
    body_points_sample(pts2, K, 7);
    TEST_COND("body point sampling is deterministic", memcmp(pts, pts2, sizeof(pts)) == 0);

    image_free(&im);
    mosa_free(pid);
    mosa_free(dep);
    mosa_free(j);
}

static void test_sdf_contacts(void) {
    scene_desc sc;
    scene_init(&sc, SCENE_GROUND_WOOD, SCENE_LIGHT_INDOOR);
    TEST_COND("box added", scene_object_add(&sc, SCENE_OBJ_BOX, 3, 0, 0.5f, NULL) == MOSA_OK);
    TEST_COND("bench added", scene_object_add(&sc, SCENE_OBJ_BENCH, -3, 1, 0.3f, NULL) == MOSA_OK);
    TEST_COND("trunk added", scene_object_add(&sc, SCENE_OBJ_TRUNK, 0, -3, 1.0f, NULL) == MOSA_OK);
    TEST_COND("trampoline added", scene_object_add(&sc, SCENE_OBJ_TRAMPOLINE, 4, 4, 0, NULL) == MOSA_OK);
    TEST_COND("unknown kind refused", scene_object_add(&sc, 99, 0, 0, 0, NULL) == MOSA_ERR_ARG);
    int id;
    float d = scene_sdf(&sc, v3_make(0.5f, 0, 0.7f), &id);
    TEST_COND("sdf is 0 on the ground", fabsf(d) < 1e-6f && id == SCENE_ID_GROUND);
    d = scene_sdf(&sc, v3_make(0.5f, 1.0f, 0.7f), &id);
    TEST_COND("sdf is the height above open ground", fabsf(d - 1.0f) < 1e-5f && id == SCENE_ID_GROUND);
    const scene_prim *bx = &sc.prim[0];
    d = scene_sdf(&sc, v3_make(bx->c.x, bx->c.y + bx->h.y, bx->c.z), &id);
    TEST_COND("sdf is 0 on the box top", fabsf(d) < 1e-5f && id == 0);
    d = scene_sdf(&sc, v3_make(bx->c.x, bx->c.y + bx->h.y + 0.2f, bx->c.z), &id);
    TEST_COND("sdf is positive above the box", fabsf(d - 0.2f) < 1e-5f && id == 0);
    d = scene_sdf(&sc, bx->c, &id);
    TEST_COND("sdf is negative inside the box", d < 0 && id == 0);
    const scene_prim *tr = &sc.prim[4]; /* the trunk capsule (after box, bench seat and legs) */
    d = scene_sdf(&sc, v3_add(tr->c, v3_make(0, tr->r, 0)), &id);
    TEST_COND("sdf is 0 on the trunk", fabsf(d) < 1e-5f && id == 4);
    d = scene_sdf(&sc, v3_make(0, 1.4f, 1.5f), &id);
    TEST_COND("sdf positive in free space", d > 1.0f);

    /* stairs matching motion_floor_height of climb_steps */
    motion_params mp = motion_params_default();
    mp.heading = 0.7f, mp.amplitude = 1.2f, mp.height = 1.8f;
    float s = mp.height / 1.70f, rise = 0.16f * s * (0.8f + 0.2f * mp.amplitude);
    scene_desc st;
    scene_init(&st, SCENE_GROUND_GRAVEL, SCENE_LIGHT_BRIGHT);
    TEST_COND("stairs added", scene_stairs_add(&st, mp.heading, rise, 0.30f * s, 0.27f * s, 1.2f * s, 6, 1.0f) == MOSA_OK);
    int bad = 0;
    for (int k = 0; k < 6 * 8; k++) {
        float fz = 0.3f * s + 0.0375f * s * (float)k, lx = 0.2f * s; /* local forward, side */
        if (fz > 0.27f * s + 5.9f * 0.30f * s) break;
        float x = cosf(mp.heading) * lx + sinf(mp.heading) * fz, z = -sinf(mp.heading) * lx + cosf(mp.heading) * fz;
        float fh = motion_floor_height(MOTION_CLIMB_STEPS, &mp, x, z);
        float e = scene_sdf(&st, v3_make(x, fh, z), NULL);
        float e_above = scene_sdf(&st, v3_make(x, fh + 0.1f, z), NULL);
        /* on the tread (or at a riser edge the distance is still 0 there) */
        float e_below = scene_sdf(&st, v3_make(x, fh - 0.01f, z), NULL);
        bad += fabsf(e) > 1e-4f || !(e_above > 0.005f) || !(e_below < 0);
    }
    TEST_COND("stair treads sit at motion_floor_height", bad == 0);

    /* contacts: standing feet touch the ground, raised hands do not */
    int T;
    float *j = make_motion(MOTION_IDLE, 2, 3, &T);
    float *r = make_motion(MOTION_RAISE_ARMS, 3, 3, &T);
    TEST_COND("motions", j && r);
    if (j && r) {
        scene_desc g;
        scene_init(&g, SCENE_GROUND_GRASS, SCENE_LIGHT_BRIGHT);
        float lf = scene_sdf(&g, v3_load(j + 3 * J_L_FOOT), &id), rf = scene_sdf(&g, v3_load(j + 3 * J_R_FOOT), NULL);
        printf("  standing foot joints: %.3f %.3f m above the ground\n", (double)lf, (double)rf);
        TEST_COND("standing feet touch the ground", lf < 0.03f && rf < 0.03f && id == SCENE_ID_GROUND);
        float hi = -1;
        for (int t = 0; t < T; t++) hi = fmaxf(hi, scene_sdf(&g, v3_load(r + (size_t)t * 66 + 3 * J_L_WRIST), NULL));
        printf("  raised wrist: up to %.2f m above the ground\n", (double)hi);
        TEST_COND("a raised hand does not touch", hi > 1.5f);
    }
    mosa_free(j);
    mosa_free(r);
}

/* A full random scene with P people from seed; returns the render status. */
static mosa_status render_random(uint64_t seed, int P, image *im, uint8_t *pid, float *dep, float elev, float azim,
                                 int action) {
    mosa_rng rng;
    rng_seed(&rng, seed);
    body_style sty[SCENE_MAX_PEOPLE];
    float joints[SCENE_MAX_PEOPLE * 66];
    for (int p = 0; p < P; p++) {
        sty[p] = body_style_random(&rng);
        int T;
        motion_params mp = motion_params_default();
        mp.seconds = 3, mp.seed = seed + (uint64_t)p, mp.height = sty[p].height, mp.heading = 0.6f * (float)p - 0.3f;
        float *j = NULL;
        MOSA_TRY(motion_generate(&j, &T, p == 0 ? action : MOTION_WAVE, &mp));
        for (int k = 0; k < 66; k++) joints[p * 66 + k] = j[(size_t)(T / 2) * 66 + k] + (k % 3 == 0 ? 1.1f * (float)p - 0.55f * (float)(P - 1) : 0);
        mosa_free(j);
    }
    scene_random_opts o = scene_random_opts_default();
    o.cam_azim = azim, o.n_objects = 2;
    scene_desc sc;
    scene_random(&sc, &rng, &o);
    camera cam = make_camera(joints, elev, azim, 3.6f + 0.6f * (float)P);
    return scene_render(im, pid, dep, &sc, &cam, joints, sty, P, 0.5f);
}

static void test_determinism_people(void) {
    image a = {0}, b = {0};
    image_alloc(&a, W, H), image_alloc(&b, W, H);
    uint8_t pa[W * H], pb[W * H];
    float da[W * H], db[W * H];
    mosa_set_threads(1);
    TEST_COND("render 1 thread", render_random(42, 2, &a, pa, da, 8, 15, MOTION_JUMP) == MOSA_OK);
    mosa_set_threads(2);
    TEST_COND("render 2 threads", render_random(42, 2, &b, pb, db, 8, 15, MOTION_JUMP) == MOSA_OK);
    TEST_COND("same seed, same bytes (1 vs 2 threads)", memcmp(a.rgb, b.rgb, image_bytes(&a)) == 0 &&
                                                            memcmp(pa, pb, sizeof(pa)) == 0 && memcmp(da, db, sizeof(da)) == 0);
    int cnt[256] = {0};
    for (int i = 0; i < W * H; i++) cnt[pa[i]]++;
    int other = 0;
    for (int i = 3; i < 256; i++) other += cnt[i];
    printf("  two people: %d and %d pixels\n", cnt[1], cnt[2]);
    TEST_COND("two people get ids 1 and 2", cnt[1] > 50 && cnt[2] > 50 && other == 0);
    int inf_person = 0;
    for (int i = 0; i < W * H; i++) inf_person += pa[i] && !isfinite(da[i]);
    TEST_COND("person pixels have finite depth", inf_person == 0);
    render_random(43, 2, &b, pb, db, 8, 15, MOTION_JUMP);
    TEST_COND("another seed, another image", memcmp(a.rgb, b.rgb, image_bytes(&a)) != 0);

    image c = {0};
    image_alloc(&c, W + 1, H);
    scene_desc sc;
    scene_init(&sc, 0, 0);
    camera cam = make_camera(da, 0, 0, 4); /* any finite target */
    TEST_COND("image size must match the camera", scene_render(&c, NULL, NULL, &sc, &cam, NULL, NULL, 0, 0) == MOSA_ERR_ARG);
    TEST_COND("too many people refused", scene_render(&a, NULL, NULL, &sc, &cam, NULL, NULL, 9, 0) == MOSA_ERR_ARG);
    image_free(&a), image_free(&b), image_free(&c);
}

static void bench_frame(void) {
    int T;
    float *j = make_motion(MOTION_WALK, 2, 5, &T);
    if (!j) return;
    mosa_rng rng;
    rng_seed(&rng, 9);
    body_style st = body_style_random(&rng);
    scene_desc sc;
    scene_init(&sc, SCENE_GROUND_GRASS, SCENE_LIGHT_BRIGHT);
    sc.has_wall = 1, sc.wall_p = v3_make(0, 0, -3), sc.wall_n = v3_make(0, 0, 1), sc.win_u0 = -1, sc.win_u1 = 0;
    sc.win_v0 = 1, sc.win_v1 = 2;
    scene_object_add(&sc, SCENE_OBJ_BENCH, 1.5f, -1, 0.3f, NULL);
    scene_object_add(&sc, SCENE_OBJ_BOX, -1.5f, 0, 0.3f, NULL);
    camera cam = make_camera(j, 10, 30, 4);
    image im = {0};
    image_alloc(&im, W, H);
    static uint8_t pid[W * H];
    static float dep[W * H];
    for (int nt = 1; nt <= 2; nt++) {
        mosa_set_threads(nt);
        int n = 0;
        double t0 = time_now();
        for (; n < 2000 && time_now() - t0 < 0.5; n++)
            scene_render(&im, pid, dep, &sc, &cam, j + (size_t)(n % T) * 66, &st, 1, 0.05f * (float)n);
        printf("  128x128 frame, one person, full scene: %.2f ms on %d thread%s\n", 1e3 * (time_now() - t0) / n, nt,
               nt > 1 ? "s" : "");
    }
    image_free(&im);
    mosa_free(j);
}

/* Writes sample frames and a 4x2 sheet into dir. */
static void write_samples(const char *dir) {
    static const int actions[8] = {MOTION_WALK, MOTION_JUMPING_JACKS, MOTION_SQUAT, MOTION_WAVE,
                                   MOTION_DANCE, MOTION_RAISE_ARMS, MOTION_LUNGE, MOTION_PUNCH};
    image sheet = {0};
    image_alloc(&sheet, 4 * W, 2 * H);
    for (int i = 0; i < 8; i++) {
        image im = {0};
        image_alloc(&im, W, H);
        int P = i == 5 ? 2 : i == 7 ? 3 : 1;
        if (render_random(100 + (uint64_t)i, P, &im, NULL, NULL, 5.0f + 3.0f * (float)(i % 3), -30.0f + 20.0f * (float)i,
                          actions[i]) != MOSA_OK)
            printf("  sample %d: %s\n", i, mosa_last_error());
        char path[512];
        snprintf(path, sizeof(path), "%s/synth_%d.png", dir, i);
        png_write(path, &im, NULL);
        for (int y = 0; y < H; y++)
            memcpy(image_px(&sheet, (i % 4) * W, (i / 4) * H + y), image_px(&im, 0, y), 3 * W);
        image_free(&im);
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/synth_sample.png", dir);
    mosa_status st = png_write(path, &sheet, NULL);
    if (st != MOSA_OK) printf("  %s\n", mosa_last_error());
    TEST_COND("sheet written", st == MOSA_OK);
    image_free(&sheet);
}

int main(int argc, char **argv) {
    test_mask_depth();
    test_sdf_contacts();
    test_determinism_people();
    bench_frame();
    if (argc > 1) write_samples(argv[1]);
    return test_report();
}
