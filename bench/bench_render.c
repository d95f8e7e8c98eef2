/* bench_render.c: `mosa bench render`: the skeleton path from 3D joints to skeleton frames.
 *
 * Times, for a procedural walking figure (SMPL-22 body, OpenPose-18 keypoints derived from it
 * here) seen by an orbiting camera: the occlusion-aware projection of every frame
 * (project_sequence) and the anti-aliased OpenPose drawing of every frame
 * (draw_skeleton_video), in chunks of 100 frames whose images are reused. Defaults: 1000
 * frames, 512x512, 2 threads, 4x4 supersampling. Prints seconds and frames per second for each
 * stage and in total; target: 1000 frames under 2 s on 2 threads. `--png PATTERN` also writes
 * the frames (outside the timing) for looking at them. A benchmark, never a test. */
#include "io/png.h"
#include "motion/mapping.h"
#include "base/skeleton.h"
#include "render/draw.h"
#include "render/project.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK = 100 };

/* The standing rest body (metres, facing +Z, left = +X). */
static const float k_rest[SMPL22_J][3] = {
    {0.00f, 0.95f, 0.00f},  {0.09f, 0.87f, 0.00f},  {-0.09f, 0.87f, 0.00f}, {0.00f, 1.06f, 0.00f},
    {0.10f, 0.48f, 0.01f},  {-0.10f, 0.48f, 0.01f}, {0.00f, 1.19f, 0.00f},  {0.10f, 0.08f, -0.02f},
    {-0.10f, 0.08f, -0.02f}, {0.00f, 1.25f, 0.00f}, {0.10f, 0.02f, 0.12f},  {-0.10f, 0.02f, 0.12f},
    {0.00f, 1.44f, 0.00f},  {0.08f, 1.36f, 0.00f},  {-0.08f, 1.36f, 0.00f}, {0.00f, 1.58f, 0.02f},
    {0.18f, 1.40f, 0.00f},  {-0.18f, 1.40f, 0.00f}, {0.21f, 1.13f, -0.02f}, {-0.21f, 1.13f, -0.02f},
    {0.23f, 0.88f, 0.02f},  {-0.23f, 0.88f, 0.02f}};

/* Rotates joints[j] for j in the chain list about the pivot by angle (radians) around axis. */
static void bench__rotate(float (*J)[3], const int *chain, int n, v3 pivot, v3 axis, float angle) {
    quat q = quat_axis_angle(axis, angle);
    for (int k = 0; k < n; k++) {
        v3 p = v3_sub(v3_load(J[chain[k]]), pivot);
        v3_store(J[chain[k]], v3_add(pivot, quat_rotate(q, p)));
    }
}

/* One frame of a walk in place that slowly turns: body (22,3) and OpenPose-18 keypoints (18,3). */
static void bench__pose(float t, float (*body)[3], float (*op)[3]) {
    memcpy(body, k_rest, sizeof k_rest);
    float ph = 2.0f * (float)M_PI * 0.9f * t, sw = 0.5f * sinf(ph);
    v3 X = v3_make(1, 0, 0);
    const int l_leg[] = {4, 7, 10}, r_leg[] = {5, 8, 11}, l_shin[] = {7, 10}, r_shin[] = {8, 11};
    const int l_arm[] = {18, 20}, r_arm[] = {19, 21}, l_fore[] = {20}, r_fore[] = {21};
    bench__rotate(body, l_leg, 3, v3_load(body[1]), X, -sw);
    bench__rotate(body, r_leg, 3, v3_load(body[2]), X, sw);
    bench__rotate(body, l_shin, 2, v3_load(body[4]), X, 0.4f * fmaxf(0.0f, sinf(ph + 1.2f)));
    bench__rotate(body, r_shin, 2, v3_load(body[5]), X, 0.4f * fmaxf(0.0f, -sinf(ph + 1.2f)));
    bench__rotate(body, l_arm, 2, v3_load(body[16]), X, 0.8f * sw);
    bench__rotate(body, r_arm, 2, v3_load(body[17]), X, -0.8f * sw);
    bench__rotate(body, l_fore, 1, v3_load(body[18]), X, -0.5f - 0.3f * sw);
    bench__rotate(body, r_fore, 1, v3_load(body[19]), X, -0.5f + 0.3f * sw);
    /* whole body: turn about the vertical through the pelvis, bob */
    float yaw = 0.35f * t;
    quat q = quat_axis_angle(v3_make(0, 1, 0), yaw);
    for (int j = 0; j < SMPL22_J; j++) {
        v3 p = quat_rotate(q, v3_load(body[j]));
        p.y += 0.02f * cosf(2.0f * ph);
        v3_store(body[j], p);
    }
    map_smpl22_to_op18(&op[0][0], NULL, &body[0][0]);
}

int bench_render_main(int argc, char **argv) {
    int T = 1000, Wd = 512, Ht = 512, threads = 2, ss = 4;
    const char *png = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--frames") && i + 1 < argc) T = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            if (sscanf(argv[++i], "%dx%d", &Wd, &Ht) != 2) Wd = Ht = 0;
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--supersample") && i + 1 < argc) ss = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--png") && i + 1 < argc) png = argv[++i];
        else {
            fprintf(stderr, "mosa bench render: unknown option '%s'\n"
                            "usage: mosa bench render [--frames N] [--size WxH] [--threads N] [--supersample S] "
                            "[--png PATTERN]\n", argv[i]);
            return 1;
        }
    }
    if (T < 1 || T > 1000000 || Wd < 16 || Ht < 16 || Wd > 8192 || Ht > 8192 || threads < 1 || threads > 256 ||
        ss < 1 || ss > 8) {
        fprintf(stderr, "mosa bench render: want --frames 1..1e6, --size 16..8192 each, --threads 1..256, "
                        "--supersample 1..8\n");
        return 1;
    }
    if (png && !png_is_sequence_pattern(png)) {
        fprintf(stderr, "mosa bench render: --png wants a pattern with one %%d, like out_%%04d.png\n");
        return 1;
    }
    mosa_set_threads(threads);
    const float fps = 20.0f;
    float(*body)[SMPL22_J][3] = mosa_malloc(sizeof(*body) * (size_t)T);
    float(*kp3)[18][3] = mosa_malloc(sizeof(*kp3) * (size_t)T);
    float(*kp2)[18][2] = mosa_malloc(sizeof(*kp2) * (size_t)T);
    float(*conf)[18] = mosa_malloc(sizeof(*conf) * (size_t)T);
    image *frames = mosa_calloc(CHUNK, sizeof *frames);
    int rc = 1;
    if (!body || !kp3 || !kp2 || !conf || !frames) {
        fprintf(stderr, "mosa bench render: out of memory\n");
        goto done;
    }
    for (int t = 0; t < T; t++) bench__pose((float)t / fps, body[t], kp3[t]);

    camera_pose base = camera_pose_default();
    base.elev = 10.0f;
    base.target = camera_target_from_motion(&body[0][0][0], T, SMPL22_J, J_PELVIS, 1.0f);
    camera_traj tr;
    if (camera_traj_builtin(&tr, CAMERA_MOVE_ORBIT, 30.0f, &base, (float)T / fps, Wd, Ht) != MOSA_OK) {
        fprintf(stderr, "mosa bench render: %s\n", mosa_last_error());
        goto done;
    }
    draw_opts o = draw_opts_default();
    o.supersample = ss;

    double t_proj = 0, t_draw = 0, low = 0;
    int n_low = 0;
    for (int c0 = 0; c0 < T; c0 += CHUNK) {
        int n = T - c0 < CHUNK ? T - c0 : CHUNK;
        /* the chunk's camera starts at its own time: shift the trajectory's keys */
        camera_traj trc = tr;
        for (int k = 0; k < trc.n_keys; k++) trc.keys[k].t -= (float)c0 / fps;
        double a = time_now();
        mosa_status s = project_sequence(&trc, fps, &kp3[c0][0][0], &body[c0][0][0], 1, n, 18, NULL, &kp2[c0][0][0],
                                         &conf[c0][0]);
        double b = time_now();
        if (s == MOSA_OK) s = draw_skeleton_video(frames, n, Wd, Ht, &kp2[c0][0][0], &conf[c0][0], 1, &o);
        double e = time_now();
        if (s != MOSA_OK) {
            fprintf(stderr, "mosa bench render: %s\n", mosa_last_error());
            goto done;
        }
        t_proj += b - a, t_draw += e - b;
        for (int t = 0; t < n; t++)
            for (int j = 0; j < 18; j++) low += conf[c0 + t][j] < 0.3f, n_low += 1;
        if (png) {
            char pat[1024];
            /* png_write_sequence numbers from 0: write frame by frame with the global index */
            for (int t = 0; t < n; t++) {
                if (png_sequence_path(png, c0 + t, pat, sizeof pat) != MOSA_OK ||
                    png_write(pat, &frames[t], "mosa bench render") != MOSA_OK) {
                    fprintf(stderr, "mosa bench render: %s\n", mosa_last_error());
                    goto done;
                }
            }
        }
    }
    double total = t_proj + t_draw;
    printf("mosa bench render: %d frames %dx%d, 1 person, orbit camera, %d threads, %dx%d supersampling\n", T, Wd, Ht,
           threads, ss, ss);
    printf("  project (occlusion-aware)  %8.3f s  %10.0f frames/s\n", t_proj, T / t_proj);
    printf("  draw (OpenPose-18, AA)     %8.3f s  %10.0f frames/s\n", t_draw, T / t_draw);
    printf("  total                      %8.3f s  %10.0f frames/s  (target: 1000 frames < 2 s)\n", total, T / total);
    printf("  keypoints below 0.3 confidence (occluded or off-frame): %.1f%%\n", 100.0 * low / (n_low ? n_low : 1));
    rc = 0;
done:
    for (int t = 0; frames && t < CHUNK; t++) image_free(&frames[t]);
    mosa_free(frames);
    mosa_free(body);
    mosa_free(kp3);
    mosa_free(kp2);
    mosa_free(conf);
    return rc;
}
