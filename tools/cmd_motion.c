/* cmd_motion.c: `mosa motion sample | render | convert | list`: the structure toolkit from the
 * command line: procedural motions to (T,22,3) joints, joints to skeleton videos, and format
 * conversions (.npy joints, HumanML3D features, BVH). Thin over src/motion, src/render, src/io. */
#include "cli.h"
#include "progress.h"

#include "io/bvh.h"
#include "io/npy.h"
#include "io/openpose_json.h"
#include "io/video.h"
#include "motion/captions.h"
#include "motion/features.h"
#include "motion/library.h"
#include "motion/mapping.h"
#include "render/camera.h"
#include "render/draw.h"
#include "render/project.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int has_ext(const char *path, const char *ext) {
    size_t n = strlen(path), e = strlen(ext);
    return n >= e && strcasecmp(path + n - e, ext) == 0;
}

static int parse_float(const char *cmd, const char *flag, const char *s, float lo, float hi, float *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi)) {
        cli_error(cmd, "%s wants a number in [%g, %g], got '%s'", flag, lo, hi, s);
        return 0;
    }
    *out = (float)v;
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* list                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static int motion_list(void) {
    printf("%d actions (mosa motion sample --action NAME[,NAME...]):\n", motion_action_count());
    for (int i = 0; i < motion_action_count(); i++)
        printf("  %-18s min %.1f s\n", motion_action_name(i), motion_action_min_seconds(i));
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* sample                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void sample_usage(FILE *f) {
    fprintf(f,
            "usage: mosa motion sample --action NAME[,NAME...] -o OUT.npy [options]\n"
            "  writes (T,22,3) float32 joints at 20 fps (HumanML3D conventions: Y up, metres, facing +Z);\n"
            "  several comma-separated actions play one after the other with smooth transitions\n"
            "options:\n"
            "  --seconds S        length of each action (default 4)\n"
            "  -s, --seed N       style seed (default 42); the same seed gives the same bytes\n"
            "  --speed X          pace, 0.5..2 (1)            --amplitude X   range of motion, 0.4..1.6 (1)\n"
            "  --heading DEG      initial facing (0 = +Z)     --turn DEG      path curvature for locomotion (0)\n"
            "  --height M         body height, 1.4..2.1 (1.7) --side left|right  active side (right)\n"
            "  --persons P        P people in one scene: output (P,T,22,3)\n"
            "  --bvh FILE.bvh     also write a BVH (20 fps, as MoMask writes it)\n"
            "  --features F.npy   also write the HumanML3D 263-d features (T-1,263)\n"
            "  --captions         print descriptions of the motion (and its motion-only prompt)\n"
            "  --list             list the actions\n");
}

static int motion_sample(int argc, char **argv) {
    const char *cmd = "motion sample", *out = NULL, *bvh = NULL, *feat = NULL, *actions_s = NULL;
    motion_params p = motion_params_default();
    p.seconds = 4.0f;
    p.seed = 42;
    int persons = 1, captions = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--list")) return motion_list();
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return sample_usage(stdout), 0;
        if (!strcmp(a, "--captions")) { captions = 1; continue; }
        if (!v) return cli_error(cmd, "%s needs a value (see --help)", a);
        i++;
        if (!strcmp(a, "--action") || !strcmp(a, "-a")) actions_s = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) out = v;
        else if (!strcmp(a, "--bvh")) bvh = v;
        else if (!strcmp(a, "--features")) feat = v;
        else if (!strcmp(a, "--seconds")) { if (!parse_float(cmd, a, v, 0.05f, 600.0f, &p.seconds)) return 1; }
        else if (!strcmp(a, "--speed")) { if (!parse_float(cmd, a, v, 0.5f, 2.0f, &p.speed)) return 1; }
        else if (!strcmp(a, "--amplitude")) { if (!parse_float(cmd, a, v, 0.4f, 1.6f, &p.amplitude)) return 1; }
        else if (!strcmp(a, "--height")) { if (!parse_float(cmd, a, v, 1.4f, 2.1f, &p.height)) return 1; }
        else if (!strcmp(a, "--heading") || !strcmp(a, "--turn")) {
            float d;
            if (!parse_float(cmd, a, v, -3600.0f, 3600.0f, &d)) return 1;
            *(a[2] == 'h' ? &p.heading : &p.turn) = d * (float)M_PI / 180.0f;
        } else if (!strcmp(a, "--side")) {
            if (!strcmp(v, "left")) p.side = MOTION_LEFT;
            else if (!strcmp(v, "right")) p.side = MOTION_RIGHT;
            else return cli_error(cmd, "--side wants left or right, got '%s'", v);
        } else if (!strcmp(a, "-s") || !strcmp(a, "--seed")) {
            char *end;
            unsigned long long s = strtoull(v, &end, 10);
            if (end == v || *end) return cli_error(cmd, "--seed wants a non-negative integer, got '%s'", v);
            p.seed = s;
        } else if (!strcmp(a, "--persons")) {
            persons = atoi(v);
            if (persons < 1 || persons > 8) return cli_error(cmd, "--persons wants 1..8, got '%s'", v);
        } else {
            return cli_error(cmd, "unknown option '%s' (see mosa motion sample --help)", a);
        }
    }
    if (!actions_s) return cli_error(cmd, "no --action given (mosa motion sample --list shows them)");
    if (!out) return cli_error(cmd, "no output given: add -o OUT.npy");
    if (!has_ext(out, ".npy")) return cli_error(cmd, "the output '%s' should end in .npy", out);

    /* actions: comma-separated names */
    int actions[32], n = 0;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", actions_s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        while (*tok == ' ') tok++;
        int id = motion_action_find(tok);
        if (id < 0) return cli_error(cmd, "unknown action '%s' (mosa motion sample --list shows the %d actions)", tok,
                                     motion_action_count());
        if (n == 32) return cli_error(cmd, "at most 32 actions in one sequence");
        actions[n++] = id;
    }
    if (n == 0) return cli_error(cmd, "--action is empty");
    for (int k = 0; k < n; k++)
        if (p.seconds < motion_action_min_seconds(actions[k]))
            return cli_error(cmd, "'%s' needs at least %.1f s; got --seconds %g", motion_action_name(actions[k]),
                             motion_action_min_seconds(actions[k]), p.seconds);

    float *joints = NULL;
    int T = 0;
    mosa_status s;
    if (persons > 1) {
        if (n != 1) return cli_error(cmd, "--persons takes one action (each person does it with their own style)");
        int acts[8];
        motion_params ps[8];
        for (int k = 0; k < persons; k++) acts[k] = actions[0], ps[k] = p, ps[k].seed = p.seed + 1000u * (uint64_t)k;
        s = motion_scene(&joints, &T, NULL, persons, acts, ps, 1.0f, p.seed);
    } else if (n == 1) {
        s = motion_generate(&joints, &T, actions[0], &p);
    } else {
        motion_params ps[32];
        for (int k = 0; k < n; k++) ps[k] = p, ps[k].heading = k ? 0.0f : p.heading, ps[k].seed = p.seed + (uint64_t)k;
        s = motion_sequence(&joints, &T, actions, ps, n);
    }
    if (s != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
    int rc = 0;
    const int64_t shape1[3] = {T, 22, 3}, shapeP[4] = {persons, T, 22, 3};
    if ((s = persons > 1 ? npy_write_f32(out, joints, shapeP, 4) : npy_write_f32(out, joints, shape1, 3)) != MOSA_OK) {
        rc = cli_error(cmd, "%s", mosa_last_error());
        goto done;
    }
    printf("wrote %s: %s%d frames (%.2f s at 20 fps), 22 joints\n", out, persons > 1 ? "persons x " : "", T, T / 20.0);
    if (bvh) {
        if (persons > 1) printf("note: --bvh writes the first person only\n");
        if ((s = bvh_write_smpl22(bvh, joints, T, NULL)) != MOSA_OK) { rc = cli_error(cmd, "%s", mosa_last_error()); goto done; }
        printf("wrote %s\n", bvh);
    }
    if (feat) {
        if (T < 2) { rc = cli_error(cmd, "--features needs at least 2 frames"); goto done; }
        float *f = mosa_malloc(sizeof(float) * (size_t)(T - 1) * HML_DIM);
        const int64_t fs[2] = {T - 1, HML_DIM};
        if (!f || (s = hml_features_from_joints(f, joints, T, 1)) != MOSA_OK || (s = npy_write_f32(feat, f, fs, 2)) != MOSA_OK) {
            mosa_free(f);
            rc = cli_error(cmd, "%s", mosa_last_error());
            goto done;
        }
        mosa_free(f);
        printf("wrote %s: (%d,263) HumanML3D features\n", feat, T - 1);
    }
    if (captions) {
        char *caps[8];
        motion_params ps[32];
        for (int k = 0; k < n; k++) ps[k] = p, ps[k].heading = k ? 0.0f : p.heading, ps[k].seed = p.seed + (uint64_t)k;
        int m = n == 1 ? motion_captions(caps, 8, actions[0], &p, p.seed)
                       : motion_sequence_captions(caps, 8, actions, ps, n, p.seed);
        for (int k = 0; k < m; k++) {
            printf("caption: %s\n", caps[k]);
            mosa_free(caps[k]);
        }
        char mo[MOTION_CAPTION_SEQ_MAX];
        if ((n == 1 ? motion_caption_motion(mo, sizeof mo, actions[0], &p, p.seed)
                    : motion_sequence_caption_motion(mo, sizeof mo, actions, ps, n, p.seed)) == MOSA_OK)
            printf("motion-only: %s\n", mo);
    }
done:
    mosa_free(joints);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* render                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* A tracking camera, done by moving the world instead: subtracts from every frame the mean
 * pelvis x,z of the people, smoothed over one second, so the camera keeps them framed. */
static void follow_people(float *joints /*(P,T,22,3)*/, int P, int T) {
    float *path = mosa_calloc((size_t)T * 2, sizeof(float));
    if (!path) return;
    for (int t = 0; t < T; t++) {
        double x = 0, z = 0;
        for (int p = 0; p < P; p++) x += joints[((size_t)p * T + t) * 66], z += joints[((size_t)p * T + t) * 66 + 2];
        path[2 * t] = (float)(x / P), path[2 * t + 1] = (float)(z / P);
    }
    const int half = 10; /* 21 frames at 20 fps */
    float *smooth = mosa_malloc(sizeof(float) * (size_t)T * 2);
    if (!smooth) { mosa_free(path); return; }
    for (int t = 0; t < T; t++) {
        double x = 0, z = 0;
        int n = 0;
        for (int k = t - half; k <= t + half; k++)
            if (k >= 0 && k < T) x += path[2 * k], z += path[2 * k + 1], n++;
        smooth[2 * t] = (float)(x / n), smooth[2 * t + 1] = (float)(z / n);
    }
    for (int p = 0; p < P; p++)
        for (int t = 0; t < T; t++)
            for (int j = 0; j < 22; j++) {
                float *q = joints + (((size_t)p * T + t) * 22 + j) * 3;
                q[0] -= smooth[2 * t], q[2] -= smooth[2 * t + 1];
            }
    mosa_free(path);
    mosa_free(smooth);
}

static void render_usage(FILE *f) {
    fprintf(f,
            "usage: mosa motion render IN.npy -o OUT.(mp4|gif|png|mkv|webm|avi) [options]\n"
            "  draws the OpenPose-18 skeleton video of (T,22,3) or (P,T,22,3) joints (20 fps)\n"
            "options:\n"
            "  --size WxH              frame size (default 512x512)\n"
            "  --camera SPEC           elev=10,azim=30,dist=4,fov=45,target=x:y:z (any subset; azim 0 sees\n"
            "                          the front; without dist the camera backs off to fit the motion)\n"
            "  --trajectory SPEC       fixed | orbit[:deg/s] | zoom-in[:f] | zoom-out[:f] | pan-left[:m] | pan-right[:m]\n"
            "  --fps F                 output frame rate (default 20, the motion's rate)\n"
            "  --confidence            MimicMotion's confidence-aware colours (occluded parts dimmer)\n"
            "  --swap-rb               swap red and blue (MimicMotion's channel order)\n"
            "  --half-body             drop knees and ankles (upper-body framing)\n"
            "  --follow                the camera travels with the people (smoothed pelvis path), for locomotion\n"
            "  --supersample N         anti-aliasing samples per pixel side, 1..8 (default 4; 1 = hard edges)\n"
            "  --openpose-json DIR     also write one OpenPose JSON per frame (ComfyUI/ControlNet form)\n");
}

static int motion_render(int argc, char **argv) {
    const char *cmd = "motion render", *in = NULL, *out = NULL, *cam_s = "", *traj_s = "fixed", *json_dir = NULL;
    int W = 512, H = 512, conf_aware = 0, swap = 0, half = 0, ss = 4, follow = 0;
    float fps = 20.0f;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return render_usage(stdout), 0;
        if (!strcmp(a, "--confidence")) { conf_aware = 1; continue; }
        if (!strcmp(a, "--swap-rb")) { swap = 1; continue; }
        if (!strcmp(a, "--half-body")) { half = 1; continue; }
        if (!strcmp(a, "--follow")) { follow = 1; continue; }
        if (a[0] != '-') {
            if (in) return cli_error(cmd, "more than one input ('%s' and '%s')", in, a);
            in = a;
            continue;
        }
        if (!v) return cli_error(cmd, "%s needs a value (see --help)", a);
        i++;
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) out = v;
        else if (!strcmp(a, "--camera")) cam_s = v;
        else if (!strcmp(a, "--trajectory")) traj_s = v;
        else if (!strcmp(a, "--openpose-json")) json_dir = v;
        else if (!strcmp(a, "--size")) {
            if (sscanf(v, "%dx%d", &W, &H) != 2 || W < 16 || H < 16 || W > 4096 || H > 4096)
                return cli_error(cmd, "--size wants WxH with each side 16..4096, got '%s'", v);
        } else if (!strcmp(a, "--fps")) { if (!parse_float(cmd, a, v, 1.0f, 240.0f, &fps)) return 1; }
        else if (!strcmp(a, "--supersample")) {
            ss = atoi(v);
            if (ss < 1 || ss > 8) return cli_error(cmd, "--supersample wants 1..8, got '%s'", v);
        } else return cli_error(cmd, "unknown option '%s' (see mosa motion render --help)", a);
    }
    if (!in) return cli_error(cmd, "no input given: mosa motion render IN.npy -o OUT.mp4");
    if (!out) return cli_error(cmd, "no output given: add -o OUT.mp4 (or .gif, .png, a directory)");
    video_output_kind kind;
    const char *encoder = NULL;
    if (video_output_kind_of(out, &kind, &encoder) != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());

    float *joints = NULL;
    int64_t shape[NPY_MAX_DIMS];
    int nd = 0;
    if (npy_read_f32(in, &joints, shape, &nd) != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
    int P = 1, T = 0, rc = 1;
    if (nd == 3 && shape[1] == 22 && shape[2] == 3) T = (int)shape[0];
    else if (nd == 4 && shape[2] == 22 && shape[3] == 3 && shape[0] >= 1 && shape[0] <= 16) P = (int)shape[0], T = (int)shape[1];
    else {
        mosa_free(joints);
        return cli_error(cmd, "%s: expected (T,22,3) or (P,T,22,3) joints, got a %d-d array", in, nd);
    }
    if (T < 1 || T > 100000) {
        mosa_free(joints);
        return cli_error(cmd, "%s: %d frames (want 1..100000)", in, T);
    }
    for (size_t k = 0; k < (size_t)P * T * 66; k++)
        if (!isfinite(joints[k])) {
            mosa_free(joints);
            return cli_error(cmd, "%s: contains NaN or infinite values", in);
        }

    if (follow) follow_people(joints, P, T);

    /* camera: parse, then fit the distance to the motion unless dist was given */
    camera_pose pose = camera_pose_default();
    pose.target = camera_target_from_motion(joints, P * T, 22, 0, 1.0f);
    if (camera_pose_parse(cam_s, &pose) != MOSA_OK) { cli_error(cmd, "--camera: %s", mosa_last_error()); goto done; }
    if (!strstr(cam_s, "dist")) {
        float ext = 0;
        for (size_t k = 0; k < (size_t)P * T * 22; k++) {
            const float *q = joints + 3 * k;
            float dx = q[0] - pose.target.x, dy = q[1] - pose.target.y, dz = q[2] - pose.target.z;
            float e = sqrtf(dx * dx + dy * dy + dz * dz);
            if (e > ext) ext = e;
        }
        const float half_fov = 0.5f * pose.fov * (float)M_PI / 180.0f * (W < H ? (float)W / H : 1.0f);
        float d = 1.05f * ext / sinf(half_fov); /* the sphere of radius ext around the target fits */
        pose.dist = d > 1.0f ? d : 1.0f;
    }
    camera_traj traj;
    const float duration = (float)T / 20.0f;
    if (camera_traj_parse(&traj, traj_s, &pose, duration, W, H) != MOSA_OK) {
        cli_error(cmd, "--trajectory: %s", mosa_last_error());
        goto done;
    }

    /* keypoints: SMPL-22 -> OpenPose-18 per person and frame, then occlusion-aware projection */
    const int Tout = (int)lroundf(duration * fps) > 0 ? (int)lroundf(duration * fps) : 1;
    float *body = mosa_malloc(sizeof(float) * (size_t)P * Tout * 66);   /* resampled (P,Tout,22,3) */
    float *kp3 = mosa_malloc(sizeof(float) * (size_t)P * Tout * 54);
    float *kp2 = mosa_malloc(sizeof(float) * (size_t)P * Tout * 36);
    float *conf = mosa_malloc(sizeof(float) * (size_t)P * Tout * 18);
    image *frames = NULL;
    opj_frame *opj = NULL;
    if (!body || !kp3 || !kp2 || !conf) { cli_error(cmd, "%s", mosa_last_error()); goto done2; }
    for (int pp = 0; pp < P; pp++)
        for (int t = 0; t < Tout; t++) {
            /* nearest source frame at 20 fps for the output time */
            int src = (int)floorf((float)t * 20.0f / fps + 0.5f);
            if (src >= T) src = T - 1;
            float *b = body + ((size_t)pp * Tout + t) * 66;
            memcpy(b, joints + ((size_t)pp * T + src) * 66, sizeof(float) * 66);
            map_smpl22_to_op18(kp3 + ((size_t)pp * Tout + t) * 54, NULL, b);
        }
    project_opts popts = project_opts_default();
    if (project_sequence(&traj, fps, kp3, body, P, Tout, 18, &popts, kp2, conf) != MOSA_OK) {
        cli_error(cmd, "%s", mosa_last_error());
        goto done2;
    }
    draw_opts dopts = draw_opts_default();
    dopts.conf_aware = conf_aware;
    dopts.swap_rb = swap;
    dopts.supersample = ss;
    if (half && draw_drop_parse("upper", &dopts.drop) != MOSA_OK) { cli_error(cmd, "%s", mosa_last_error()); goto done2; }

    char params[1024];
    snprintf(params, sizeof params,
             "{\"tool\": \"mosa motion render\", \"input\": \"%s\", \"size\": \"%dx%d\", \"fps\": %g, \"camera\": "
             "\"elev=%g,azim=%g,dist=%g,fov=%g\", \"trajectory\": \"%s\", \"confidence\": %d, \"half_body\": %d, \"follow\": %d}",
             in, W, H, fps, pose.elev, pose.azim, pose.dist, pose.fov, traj_s, conf_aware, half, follow);

    /* frames, in chunks; containers stream, other outputs collect every frame */
    const int chunk = 64;
    const int keep_all = kind != VIDEO_OUT_CONTAINER;
    if (keep_all && (double)Tout * W * H * 3 > 4.0e9) {
        cli_error(cmd, "%d frames of %dx%d would need %.1f GB in memory for this output; write an .mp4 instead", Tout,
                  W, H, (double)Tout * W * H * 3 / 1e9);
        goto done2;
    }
    frames = mosa_calloc(keep_all ? (size_t)Tout : (size_t)chunk, sizeof *frames);
    if (!frames) { cli_error(cmd, "%s", mosa_last_error()); goto done2; }
    video_writer vw;
    if (!keep_all && video_writer_open(&vw, out, W, H, fps, params) != MOSA_OK) {
        cli_error(cmd, "%s", mosa_last_error());
        goto done2;
    }
    float *ck2 = mosa_malloc(sizeof(float) * (size_t)P * chunk * 36), *ckc = mosa_malloc(sizeof(float) * (size_t)P * chunk * 18);
    progress bar;
    progress_begin(&bar, "render", Tout);
    mosa_status s = MOSA_OK;
    for (int t0 = 0; t0 < Tout && s == MOSA_OK; t0 += chunk) {
        const int n = Tout - t0 < chunk ? Tout - t0 : chunk;
        for (int pp = 0; pp < P; pp++) { /* (P,n,...) slices of (P,Tout,...) */
            memcpy(ck2 + (size_t)pp * n * 36, kp2 + ((size_t)pp * Tout + t0) * 36, sizeof(float) * n * 36);
            memcpy(ckc + (size_t)pp * n * 18, conf + ((size_t)pp * Tout + t0) * 18, sizeof(float) * n * 18);
        }
        image *fr = keep_all ? frames + t0 : frames;
        s = draw_skeleton_video(fr, n, W, H, ck2, ckc, P, &dopts);
        for (int k = 0; s == MOSA_OK && !keep_all && k < n; k++) s = video_writer_add(&vw, &fr[k]);
        progress_update(&bar, t0 + n);
    }
    progress_end(&bar);
    mosa_free(ck2);
    mosa_free(ckc);
    if (s == MOSA_OK) s = keep_all ? video_write_auto(out, frames, Tout, fps, params) : video_writer_close(&vw);
    else if (!keep_all) video_writer_abort(&vw);
    if (s != MOSA_OK) { cli_error(cmd, "%s", mosa_last_error()); goto done2; }
    printf("wrote %s: %d frames %dx%d at %g fps%s%s\n", out, Tout, W, H, fps, encoder ? ", " : "", encoder ? encoder : "");

    if (json_dir) {
        opj = mosa_calloc((size_t)Tout, sizeof *opj);
        float *px = mosa_malloc(sizeof(float) * (size_t)P * 54);
        for (int t = 0; opj && px && t < Tout; t++) {
            for (int pp = 0; pp < P; pp++)
                for (int j = 0; j < 18; j++) {
                    const float *k2 = kp2 + (((size_t)pp * Tout + t) * 18 + j) * 2;
                    const float c = conf[((size_t)pp * Tout + t) * 18 + j];
                    float *o = px + ((size_t)pp * 18 + j) * 3;
                    o[0] = k2[0], o[1] = k2[1], o[2] = c > dopts.threshold ? c : 0.0f;
                }
            if (opj_frame_from_pixels(&opj[t], px, P, W, H) != MOSA_OK) break;
        }
        mosa_free(px);
        opj_write_opts wo = {0};
        if (!opj || opj_dir_write(json_dir, opj, Tout, &wo) != MOSA_OK) {
            cli_error(cmd, "--openpose-json: %s", mosa_last_error());
            goto done2;
        }
        printf("wrote %d OpenPose JSON files to %s\n", Tout, json_dir);
    }
    rc = 0;
done2:
    if (frames) {
        for (int k = 0; k < (keep_all ? Tout : chunk); k++) image_free(&frames[k]);
        mosa_free(frames);
    }
    if (opj) opj_frames_free(opj, Tout);
    mosa_free(body);
    mosa_free(kp3);
    mosa_free(kp2);
    mosa_free(conf);
done:
    mosa_free(joints);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* convert                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static int motion_convert(int argc, char **argv) {
    const char *cmd = "motion convert";
    if (argc != 3 || argv[1][0] == '-') {
        printf("usage: mosa motion convert IN OUT\n"
               "  IN.bvh  -> OUT.npy   BVH (any Euler order, CMU/Mixamo/MoMask names, unit and up axis detected)\n"
               "                       to (T,22,3) SMPL-22 joints at 20 fps\n"
               "  IN.npy  -> OUT.bvh   (T,22,3) joints to a BVH as MoMask writes it\n"
               "  IN.npy  -> OUT.npy   (T,22,3) joints to HumanML3D (T-1,263) features, or features back to joints\n");
        return argc == 3 ? 1 : (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? 0 : 1);
    }
    const char *in = argv[1], *out = argv[2];
    float *j = NULL;
    int T = 0;
    mosa_status s;
    if (has_ext(in, ".bvh") && has_ext(out, ".npy")) {
        bvh_import_info info;
        if ((s = bvh_read_smpl22(in, NULL, &j, &T, &info)) == MOSA_OK) {
            const int64_t sh[3] = {T, 22, 3};
            s = npy_write_f32(out, j, sh, 3);
            if (s == MOSA_OK)
                printf("wrote %s: %d frames at 20 fps (source %d frames at %.3g fps, unit %s)\n", out, T, info.src_frames,
                       info.src_fps, info.unit);
        }
    } else if (has_ext(in, ".npy") && (has_ext(out, ".bvh") || has_ext(out, ".npy"))) {
        int64_t sh[NPY_MAX_DIMS];
        int nd;
        if ((s = npy_read_f32(in, &j, sh, &nd)) != MOSA_OK) return cli_error(cmd, "%s", mosa_last_error());
        const int is_joints = nd == 3 && sh[1] == 22 && sh[2] == 3, is_feat = nd == 2 && sh[1] == HML_DIM;
        if (has_ext(out, ".bvh")) {
            if (!is_joints) { mosa_free(j); return cli_error(cmd, "%s: expected (T,22,3) joints for a BVH", in); }
            s = bvh_write_smpl22(out, j, (int)sh[0], NULL);
            if (s == MOSA_OK) printf("wrote %s: %d frames\n", out, (int)sh[0]);
        } else if (is_joints) {
            T = (int)sh[0];
            float *f = T >= 2 ? mosa_malloc(sizeof(float) * (size_t)(T - 1) * HML_DIM) : NULL;
            if (!f) { mosa_free(j); return cli_error(cmd, "%s: need at least 2 frames", in); }
            s = hml_features_from_joints(f, j, T, 1);
            const int64_t fs[2] = {T - 1, HML_DIM};
            if (s == MOSA_OK) s = npy_write_f32(out, f, fs, 2);
            if (s == MOSA_OK) printf("wrote %s: (%d,263) HumanML3D features\n", out, T - 1);
            mosa_free(f);
        } else if (is_feat) {
            T = (int)sh[0];
            float *jj = mosa_malloc(sizeof(float) * (size_t)T * 66);
            s = jj ? hml_joints_from_features(jj, j, T) : MOSA_ERR_NOMEM;
            const int64_t js[3] = {T, 22, 3};
            if (s == MOSA_OK) s = npy_write_f32(out, jj, js, 3);
            if (s == MOSA_OK) printf("wrote %s: (%d,22,3) joints from features\n", out, T);
            mosa_free(jj);
        } else {
            mosa_free(j);
            return cli_error(cmd, "%s: expected (T,22,3) joints or (T,263) features", in);
        }
    } else {
        return cli_error(cmd, "cannot convert '%s' to '%s' (see mosa motion convert --help)", in, out);
    }
    mosa_free(j);
    return s == MOSA_OK ? 0 : cli_error(cmd, "%s", mosa_last_error());
}

int cmd_motion(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        printf("usage: mosa motion <sample|render|convert|list|generate|train|eval> [options]   (each with --help)\n"
               "  sample   a procedural motion to (T,22,3) joints (.npy), optionally BVH and features\n"
               "  render   joints to an OpenPose skeleton video (.mp4, .gif, PNG frames)\n"
               "  convert  between BVH, joints and HumanML3D features\n"
               "  list     the procedural actions\n"
               "  generate text to 3D motion with the structure transformer (.npy, BVH, video)\n"
               "  train    train the structure branch's models (vqvae, ...)\n"
               "  eval     text-to-motion metrics (FID, R-precision, physics, action accuracy)\n");
        return argc < 2 ? 1 : 0;
    }
    if (!strcmp(argv[1], "sample")) return motion_sample(argc - 1, argv + 1);
    if (!strcmp(argv[1], "render")) return motion_render(argc - 1, argv + 1);
    if (!strcmp(argv[1], "convert")) return motion_convert(argc - 1, argv + 1);
    if (!strcmp(argv[1], "list")) return motion_list();
    if (!strcmp(argv[1], "train")) return motion_train_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "generate")) return motion_generate_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "eval")) return motion_eval_main(argc - 1, argv + 1);
    return cli_error("motion", "unknown subcommand '%s' (sample, render, convert, list, generate, train, eval)", argv[1]);
}
