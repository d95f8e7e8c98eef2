/* test_synth.c: the MoVid-syn generator (data/synth.h).
 *
 * Checks, on a few 64x64 clips of 9 frames: every file of docs/dataset.md exists with its shape;
 * the dataset loads with dataset_open / dataset_next_batch; person masks cover the keypoints
 * that project_keypoints_multi says are unoccluded; contact labels equal scene_sdf < 0.04 of the
 * written joints in the plan's scene; camera_K / camera_Rt reproduce camera_project; the same
 * seed gives the same bytes at 1 and 2 threads; a resumed run (a clip's meta.json deleted)
 * regenerates identical files and keeps the others; bad options and a mismatched dataset.json
 * are refused. Prints clips per minute at 128x128, 33 frames, on 2 threads (clip-parallel and
 * row-parallel). With a directory argument it writes the contact sheet movid_syn_sheet.png
 * there (video frame, mask, skeleton of a few clips), the picture in docs/img. */
#define _XOPEN_SOURCE 700
#include "data/dataset.h"
#include "data/synth.h"
#include "io/npy.h"
#include "io/png.h"
#include "io/video.h"
#include "motion/library.h"
#include "test.h"

#include <ftw.h>
#include <string.h>
#include <unistd.h>

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f) {
    (void)sb, (void)flag, (void)f;
    return remove(p);
}
static void rm_rf(const char *dir) { nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static const char *const k_npys[] = {"masks.npy", "depth.npy", "keypoints2d.npy", "joints3d.npy", "camera_K.npy",
                                     "camera_Rt.npy", "tracks.npy", "tracks_visible.npy", "contacts.npy"};
enum { N_NPYS = sizeof k_npys / sizeof k_npys[0] };

static int same_file(const char *a, const char *b) {
    uint8_t *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    int ok = file_read_all(a, 1 << 28, &x, &nx) == MOSA_OK && file_read_all(b, 1 << 28, &y, &ny) == MOSA_OK && nx == ny &&
             memcmp(x, y, nx) == 0;
    mosa_free(x), mosa_free(y);
    return ok;
}

/* Every npy and meta.json of clip `id` are equal in the two datasets. */
static int same_clip(const char *r1, const char *r2, int id) {
    char a[1024], b[1024];
    int ok = 1;
    for (int i = 0; i <= N_NPYS; i++) {
        const char *f = i < N_NPYS ? k_npys[i] : "meta.json";
        snprintf(a, sizeof a, "%s/clips/%06d/%s", r1, id, f);
        snprintf(b, sizeof b, "%s/clips/%06d/%s", r2, id, f);
        ok &= same_file(a, b);
    }
    return ok;
}

static int shape_is(const npy_array *a, npy_dtype dt, int nd, const int64_t *sh) {
    if (a->dtype != dt || a->nd != nd) return 0;
    for (int i = 0; i < nd; i++)
        if (a->shape[i] != sh[i]) return 0;
    return 1;
}

static void check_clip(const char *root, const synth_opts *o, int id) {
    synth_plan pl;
    if (synth_plan_make(&pl, o, id) != MOSA_OK) {
        TEST_COND("plan", 0);
        return;
    }
    const int P = pl.P, T = o->frames, H = o->height, W = o->width, N = P * SYNTH_BODY_POINTS + SYNTH_BG_POINTS;
    char path[1024];
    const char *files[] = {"video.mp4", "skeleton.mp4", "scene.json", "meta.json"};
    int present = 1;
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/clips/%06d/%s", root, id, files[i]);
        present &= access(path, F_OK) == 0;
    }
    TEST_COND("videos, scene.json and meta.json exist", present);
    struct { const char *f; npy_dtype dt; int nd; int64_t sh[4]; } want[] = {
        {"masks.npy", NPY_U1, 3, {T, H, W}},        {"depth.npy", NPY_F4, 3, {T, H, W}},
        {"keypoints2d.npy", NPY_F4, 4, {P, T, 18, 3}}, {"joints3d.npy", NPY_F4, 4, {P, T, 22, 3}},
        {"camera_K.npy", NPY_F4, 3, {T, 3, 3}},     {"camera_Rt.npy", NPY_F4, 3, {T, 3, 4}},
        {"tracks.npy", NPY_F4, 3, {N, T, 2}},       {"tracks_visible.npy", NPY_U1, 2, {N, T}},
        {"contacts.npy", NPY_U1, 3, {P, T, 22}}};
    npy_array arr[N_NPYS];
    memset(arr, 0, sizeof arr);
    int shapes_ok = 1;
    for (int i = 0; i < N_NPYS; i++) {
        snprintf(path, sizeof path, "%s/clips/%06d/%s", root, id, want[i].f);
        if (npy_load(&arr[i], path, 0) != MOSA_OK || !shape_is(&arr[i], want[i].dt, want[i].nd, want[i].sh)) {
            printf("  clip %d: %s: wrong or missing\n", id, want[i].f);
            shapes_ok = 0;
        }
    }
    TEST_COND("every npy has its shape and dtype", shapes_ok);
    if (!shapes_ok) goto done;
    {
        const uint8_t *masks = arr[0].data, *contacts = arr[8].data;
        const float *kp = (const float *)arr[2].data, *j3 = (const float *)arr[3].data;
        const float *Ks = (const float *)arr[4].data, *Rts = (const float *)arr[5].data;
        TEST_COND("joints3d = the plan's joints", memcmp(j3, pl.joints, (size_t)P * T * 66 * sizeof(float)) == 0);

        /* masks cover the unoccluded body keypoints (face points sit on the head's surface) */
        int n_kp = 0, covered = 0;
        for (int p = 0; p < P; p++)
            for (int t = 0; t < T; t++)
                for (int k = 1; k <= 13; k++) {
                    const float *q = kp + (((size_t)p * T + t) * 18 + k) * 3;
                    if (q[2] < 0.99f) continue;
                    int x = (int)lrintf(q[0]), y = (int)lrintf(q[1]);
                    if (x < 0 || y < 0 || x >= W || y >= H) continue;
                    n_kp++;
                    covered += masks[((size_t)t * H + y) * W + x] == p + 1;
                }
        TEST_COND("masks cover the visible keypoints (pillars may hide a few)", n_kp > 0 && covered >= n_kp * 9 / 10);

        /* contacts = scene_sdf < 0.04 in the plan's scene */
        int bad = 0, n_contacts = 0;
        for (size_t i = 0; i < (size_t)P * T * 22; i++) {
            int c = scene_sdf(&pl.scene, v3_load(j3 + 3 * i), NULL) < SYNTH_CONTACT_DIST;
            bad += c != contacts[i], n_contacts += c;
        }
        TEST_COND("contact labels agree with scene_sdf", bad == 0);
        TEST_COND("someone touches the ground", n_contacts > 0);

        /* K [R|t] reproduces camera_project */
        float worst = 0;
        for (int t = 0; t < T; t++) {
            camera cam;
            synth_plan_camera(&pl, t, &cam, NULL, NULL);
            const float *K = Ks + 9 * t, *Rt = Rts + 12 * t;
            for (int k = 0; k < 22; k++) {
                const float *X = j3 + ((size_t)t * 22 + k) * 3;
                float c[3], uvz[3];
                for (int r = 0; r < 3; r++) c[r] = Rt[4 * r] * X[0] + Rt[4 * r + 1] * X[1] + Rt[4 * r + 2] * X[2] + Rt[4 * r + 3];
                float u = (K[0] * c[0] + K[1] * c[1] + K[2] * c[2]) / c[2], v = (K[4] * c[1] + K[5] * c[2]) / c[2];
                camera_project(&cam, X, 1, uvz);
                worst = fmaxf(worst, fmaxf(fabsf(u - uvz[0]), fmaxf(fabsf(v - uvz[1]), fabsf(c[2] - uvz[2]))));
            }
        }
        TEST_COND("camera_K and camera_Rt reproduce camera_project", worst < 2e-3f);

        /* meta.json records the framing */
        uint8_t *mb = NULL;
        size_t mn = 0;
        snprintf(path, sizeof path, "%s/clips/%06d/meta.json", root, id);
        int framing_ok = 0;
        if (file_read_all(path, 1 << 20, &mb, &mn) == MOSA_OK) {
            char *txt = mosa_malloc(mn + 1);
            if (txt) {
                memcpy(txt, mb, mn), txt[mn] = 0;
                const char *q = strstr(txt, "\"framing\":");
                if (q) q = strchr(q + 10, '"');
                framing_ok = q && !strncmp(q + 1, pl.half_body ? "half\"" : "full\"", 5);
                mosa_free(txt);
            }
            mosa_free(mb);
        }
        TEST_COND("meta.json records the framing", framing_ok);
    }
done:
    for (int i = 0; i < N_NPYS; i++) npy_array_free(&arr[i]);
    synth_plan_free(&pl);
}

static void test_dataset(void) {
    char r1[] = "/tmp/mosa_synth_aXXXXXX", r2[] = "/tmp/mosa_synth_bXXXXXX";
    if (!mkdtemp(r1) || !mkdtemp(r2)) {
        TEST_COND("temporary directories", 0);
        return;
    }
    synth_opts o = synth_opts_default();
    o.n = 6, o.seed = 3, o.width = 64, o.height = 64, o.frames = 9, o.threads = 2;
    int gen = 0;
    mosa_status st = synth_dataset_write(r1, &o, NULL, NULL, &gen);
    if (st != MOSA_OK) printf("  %s\n", mosa_last_error());
    TEST_COND("dataset written", st == MOSA_OK && gen == o.n);
    for (int i = 0; i < o.n; i++) check_clip(r1, &o, i);

    /* the loader reads it */
    dataset d;
    st = dataset_open(&d, r1, NULL, 1, 5);
    if (st != MOSA_OK) printf("  %s\n", mosa_last_error());
    TEST_COND("dataset_open (strict) accepts every clip", st == MOSA_OK && d.n == o.n);
    if (st == MOSA_OK) {
        dataset_batch b;
        memset(&b, 0, sizeof b);
        dataset_batch_opts bo = {2, 8, 64, 64, 1, 0.1f, 0.85f, 1.15f};
        st = dataset_next_batch(&d, &b, &bo);
        if (st != MOSA_OK) printf("  %s\n", mosa_last_error());
        TEST_COND("dataset_next_batch", st == MOSA_OK);
        if (st == MOSA_OK) {
            int any_mask = 0;
            for (size_t i = 0; i < (size_t)2 * 8 * 64 * 64; i++) any_mask |= b.mask[i] != 0;
            TEST_COND("batch has captions and masks", b.caption[0] && strlen(b.caption[0]) > 20 && any_mask);
            printf("  caption: %s\n", b.caption[0]);
        }
        dataset_batch_free(&b);
        dataset_close(&d);
    }

    /* same seed, 1 thread: the same bytes */
    o.threads = 1;
    st = synth_dataset_write(r2, &o, NULL, NULL, &gen);
    TEST_COND("second run (1 thread)", st == MOSA_OK && gen == o.n);
    int same = 1;
    for (int i = 0; i < o.n; i++) same &= same_clip(r1, r2, i);
    TEST_COND("same seed, identical npy files and meta.json at 1 and 2 threads", same);

    /* resume: an incomplete clip is regenerated, complete ones are kept */
    char path[1024];
    snprintf(path, sizeof path, "%s/clips/000002/meta.json", r2);
    unlink(path);
    snprintf(path, sizeof path, "%s/clips/000002/masks.npy", r2);
    unlink(path);
    snprintf(path, sizeof path, "%s/clips/000002/depth.npy.tmp.999", r2);
    file_write_atomic(path, "x", 1);
    o.threads = 2;
    st = synth_dataset_write(r2, &o, NULL, NULL, &gen);
    TEST_COND("resumed run regenerates only the incomplete clip", st == MOSA_OK && gen == 1);
    TEST_COND("the regenerated clip equals the first run's", same_clip(r1, r2, 2));
    TEST_COND("leftover temporary files are removed", access(path, F_OK) != 0);

    /* another seed into the same directory is refused */
    o.seed = 4;
    st = synth_dataset_write(r2, &o, NULL, NULL, &gen);
    TEST_COND("a dataset.json of other parameters is refused", st == MOSA_ERR_MISMATCH);
    o.seed = 3;
    synth_plan pa, pb;
    synth_plan_make(&pa, &o, 4);
    o.seed = 5;
    synth_plan_make(&pb, &o, 4);
    TEST_COND("another seed, another clip", strcmp(pa.caption, pb.caption) != 0 || pa.P != pb.P ||
                                                memcmp(pa.joints, pb.joints, 66 * sizeof(float)) != 0);
    synth_plan_free(&pa), synth_plan_free(&pb);
    rm_rf(r1), rm_rf(r2);
}


/* Lowest scene_sdf of any joint of the plan over the clip, and the primitive's object there. */
static float min_sdf(const synth_plan *pl, int *obj) {
    float lo = INFINITY;
    for (size_t i = 0; i < (size_t)pl->P * pl->T * 22; i++) {
        int prim = SCENE_ID_NONE;
        float d = scene_sdf(&pl->scene, v3_load(pl->joints + 3 * i), &prim);
        if (d < lo) lo = d, *obj = prim >= 0 ? pl->scene.prim[prim].object : prim;
    }
    return lo;
}

/* Joint k of frame t touches object `object` (contacts.npy's rule, scene_sdf < 0.04, with the
 * nearest surface on that object). */
static int touches(const synth_plan *pl, int t, int k, int object) {
    int prim = SCENE_ID_NONE;
    float d = scene_sdf(&pl->scene, v3_load(pl->joints + ((size_t)t * 22 + k) * 3), &prim);
    return d < SYNTH_CONTACT_DIST && prim >= 0 && pl->scene.prim[prim].object == object;
}

/* Forced plans of the three scene interactions: the object is where the motion uses it. */
static void test_interactions(void) {
    synth_opts o = synth_opts_default();
    o.width = o.height = 64, o.frames = 40, o.fps = 16;
    static const struct { int action, object; const char *word; } cases[] = {
        {MOTION_SIT_DOWN, SCENE_OBJ_BENCH, "bench"},       {MOTION_STAND_UP, SCENE_OBJ_BENCH, "bench"},
        {MOTION_JUMP, SCENE_OBJ_TRAMPOLINE, "trampoline"}, {MOTION_HOP, SCENE_OBJ_TRAMPOLINE, "trampoline"},
        {MOTION_WALK, SCENE_OBJ_TRUNK, "fallen trunk"},     {MOTION_JUMP_FORWARD, SCENE_OBJ_TRUNK, "fallen trunk"}};
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        int placed = 0, inside = 0, touch_ok = 0, caption_ok = 0, other = 0;
        float worst = INFINITY;
        for (int idx = 0; idx < 8; idx++) {
            synth_force f = {cases[c].action, cases[c].object, 0};
            synth_plan pl;
            if (synth_plan_make_forced(&pl, &o, idx, &f) != MOSA_OK) {
                printf("  %s\n", mosa_last_error());
                continue;
            }
            if (pl.interaction != cases[c].object) {
                synth_plan_free(&pl);
                continue;
            }
            placed++;
            const int T = pl.T;
            int obj = 0;
            float lo = min_sdf(&pl, &obj);
            worst = fminf(worst, lo);
            inside += lo <= -0.01f;
            caption_ok += strstr(pl.caption, cases[c].word) != NULL;
            if (idx == 0) printf("  %s\n", pl.caption);
            int ok = 0;
            if (cases[c].object == SCENE_OBJ_BENCH) {
                /* seated frames (the pelvis at its lowest): a hip joint on the seat, feet on the ground */
                float py = INFINITY;
                for (int t = 0; t < T; t++) py = fminf(py, pl.joints[(size_t)t * 66 + 1]);
                int seated = 0, good = 0;
                for (int t = 0; t < T; t++)
                    if (pl.joints[(size_t)t * 66 + 1] < py + 0.01f) {
                        seated++;
                        good += (touches(&pl, t, 1, SCENE_OBJ_BENCH) || touches(&pl, t, 2, SCENE_OBJ_BENCH)) &&
                                (touches(&pl, t, 10, -1) || touches(&pl, t, 11, -1) ||
                                 scene_sdf(&pl.scene, v3_load(pl.joints + ((size_t)t * 22 + 10) * 3), NULL) < SYNTH_CONTACT_DIST);
                    }
                ok = seated > 0 && good == seated;
            } else if (cases[c].object == SCENE_OBJ_TRAMPOLINE) {
                /* feet touch the bed, never the ground */
                int on_bed = 0, on_ground = 0;
                for (int t = 0; t < T; t++)
                    for (int k = 7; k <= 11; k++) {
                        if (k == 9) continue;
                        int prim = SCENE_ID_NONE;
                        float d = scene_sdf(&pl.scene, v3_load(pl.joints + ((size_t)t * 22 + k) * 3), &prim);
                        if (d >= SYNTH_CONTACT_DIST) continue;
                        if (prim >= 0 && pl.scene.prim[prim].object == SCENE_OBJ_TRAMPOLINE) on_bed++;
                        else on_ground++;
                    }
                ok = on_bed > 0 && on_ground == 0 && pl.lift > 0.4f;
            } else {
                /* the pelvis crosses the trunk, feet touch the ground on both sides, no joint within 1 cm */
                const scene_prim *q = NULL;
                for (int i = 0; i < pl.scene.n_prims; i++)
                    if (pl.scene.prim[i].object == SCENE_OBJ_TRUNK) q = &pl.scene.prim[i];
                if (q && q->r <= 0.12f + 1e-6f) {
                    v3 ax = v3_sub(q->b, q->a);
                    v3 nrm = v3_make(-ax.z, 0, ax.x);
                    float s0 = v3_dot(v3_sub(v3_load(pl.joints), q->c), nrm);
                    float s1 = v3_dot(v3_sub(v3_load(pl.joints + (size_t)(T - 1) * 66), q->c), nrm);
                    int before = 0, after = 0;
                    float clear = INFINITY;
                    for (int t = 0; t < T; t++) {
                        for (int k = 0; k < 22; k++) {
                            v3 p = v3_load(pl.joints + ((size_t)t * 22 + k) * 3);
                            v3 pa = v3_sub(p, q->a);
                            float h = v3_dot(pa, ax) / v3_dot(ax, ax);
                            h = h < 0 ? 0 : h > 1 ? 1 : h;
                            clear = fminf(clear, v3_norm(v3_sub(pa, v3_scale(ax, h))) - q->r);
                        }
                        for (int k = 10; k <= 11; k++) {
                            v3 p = v3_load(pl.joints + ((size_t)t * 22 + k) * 3);
                            if (p.y >= SYNTH_CONTACT_DIST) continue;
                            float sd = v3_dot(v3_sub(p, q->c), nrm);
                            before += (sd > 0) == (s0 > 0), after += (sd > 0) == (s1 > 0);
                        }
                    }
                    ok = (s0 > 0) != (s1 > 0) && before > 0 && after > 0 && clear >= 0.01f;
                }
            }
            touch_ok += ok;
            other += lo <= -0.01f && obj != cases[c].object;
            synth_plan_free(&pl);
        }
        printf("  %s with a %s: placed in %d/8 plans, lowest joint sdf %.3f m, %d right contacts\n",
               motion_action_name(cases[c].action), cases[c].word, placed, (double)worst, touch_ok);
        char name[160];
        snprintf(name, sizeof name, "%s: the %s is placed", motion_action_name(cases[c].action), cases[c].word);
        TEST_COND(name, cases[c].object == SCENE_OBJ_TRUNK ? placed >= 3 : placed == 8);
        snprintf(name, sizeof name, "%s: no joint inside any object (scene_sdf > -0.01)", motion_action_name(cases[c].action));
        TEST_COND(name, inside == 0 && other == 0);
        snprintf(name, sizeof name, "%s: contacts with the %s are where the motion uses it", motion_action_name(cases[c].action), cases[c].word);
        TEST_COND(name, touch_ok == placed);
        snprintf(name, sizeof name, "%s: the caption names the %s", motion_action_name(cases[c].action), cases[c].word);
        TEST_COND(name, caption_ok == placed);
    }

    /* no interaction asked: no object at the person */
    synth_force none = {MOTION_SIT_DOWN, -1, 0};
    synth_plan pl;
    TEST_COND("interaction -1: no bench", synth_plan_make_forced(&pl, &o, 0, &none) == MOSA_OK && pl.interaction == -1 &&
                                              strstr(pl.caption, "bench") == NULL);
    synth_plan_free(&pl);
}

/* Half-body framing: closer camera aimed at the chest; upper body in frame, legs may leave it. */
static void test_half_body(void) {
    synth_opts o = synth_opts_default();
    int closer = 0, upper_in = 0, legs_out = 0, n = 0;
    for (int idx = 0; idx < 6; idx++) {
        synth_force ff = {MOTION_WAVE, -1, 0}, fh = {MOTION_WAVE, -1, 1};
        synth_plan a, b;
        if (synth_plan_make_forced(&a, &o, idx, &ff) != MOSA_OK || synth_plan_make_forced(&b, &o, idx, &fh) != MOSA_OK) {
            TEST_COND("half-body plans", 0);
            return;
        }
        n++;
        closer += b.half_body && !a.half_body && b.dist < a.dist;
        int in = 1, out = 0;
        for (int t = 0; t < b.T; t++) {
            camera cam;
            synth_plan_camera(&b, t, &cam, NULL, NULL);
            float uvz[22 * 3];
            camera_project(&cam, b.joints + (size_t)t * 66, 22, uvz);
            static const int upper[] = {0, 9, 12, 15, 16, 17, 20, 21};
            for (int i = 0; i < 8; i++) {
                float u = uvz[3 * upper[i]], v = uvz[3 * upper[i] + 1];
                in &= u >= 0 && v >= 0 && u <= b.W - 1 && v <= b.H - 1;
            }
            for (int k = 7; k <= 8; k++) out |= uvz[3 * k + 1] > b.H - 1; /* an ankle below the frame */
        }
        upper_in += in, legs_out += out;
        synth_plan_free(&a), synth_plan_free(&b);
    }
    printf("  half-body: %d/%d closer, %d upper bodies in frame, %d with the ankles out of frame\n", closer, n, upper_in,
           legs_out);
    TEST_COND("half-body framing comes closer", closer == n);
    TEST_COND("half-body framing keeps the upper body in frame", upper_in == n);
    TEST_COND("half-body framing cuts the legs (most clips; a zoom-out may show them)", legs_out * 3 >= n * 2);
}

static void test_opts(void) {
    synth_opts o = synth_opts_default();
    TEST_COND("defaults are valid", synth_opts_check(&o) == MOSA_OK);
    o.frames = 0;
    TEST_COND("frames 0 refused", synth_opts_check(&o) == MOSA_ERR_ARG);
    o = synth_opts_default(), o.width = 100;
    TEST_COND("width not a multiple of 8 refused", synth_opts_check(&o) == MOSA_ERR_ARG);
    o = synth_opts_default(), o.height = 1032;
    TEST_COND("height over 1024 refused", synth_opts_check(&o) == MOSA_ERR_ARG);
    o = synth_opts_default(), o.width = 24;
    TEST_COND("width under 32 refused", synth_opts_check(&o) == MOSA_ERR_ARG);
    o = synth_opts_default(), o.fps = 0;
    TEST_COND("fps 0 refused", synth_opts_check(&o) == MOSA_ERR_ARG);

    /* statistics of the plans: persons, sequences, trajectories */
    o = synth_opts_default();
    int np[4] = {0}, seq = 0, fixed = 0, bad_caption = 0, half = 0, objects = 0;
    for (int i = 0; i < 200; i++) {
        synth_plan pl;
        if (synth_plan_make(&pl, &o, i) != MOSA_OK) {
            bad_caption++;
            continue;
        }
        np[pl.P]++, seq += pl.n_parts[0] == 2, fixed += !strcmp(pl.trajectory, "fixed");
        half += pl.half_body, objects += pl.interaction >= 0;
        size_t n = strlen(pl.caption);
        bad_caption += n < 30 || pl.caption[n - 1] != '.' || !(pl.caption[0] >= 'A' && pl.caption[0] <= 'Z');
        synth_plan_free(&pl);
    }
    printf("  200 plans: %d/%d/%d with 1/2/3 people, %d sequences, %d fixed cameras, %d half-body, %d with an "
           "interaction object\n", np[1], np[2], np[3], seq, fixed, half, objects);
    TEST_COND("about 10% half-body framings", half >= 8 && half <= 35);
    TEST_COND("about 70/20/10% of 1/2/3 people", np[1] > 115 && np[1] < 165 && np[2] > 20 && np[3] > 8);
    TEST_COND("some single-person clips are sequences", seq > 10);
    TEST_COND("about 60% fixed cameras", fixed > 95 && fixed < 145);
    TEST_COND("captions are sentences", bad_caption == 0);
}

static void bench(void) {
    synth_opts o = synth_opts_default();
    o.n = 16, o.seed = 11;
    for (int mode = 0; mode < 2; mode++) {
        char r[] = "/tmp/mosa_synth_cXXXXXX";
        if (!mkdtemp(r)) return;
        mosa_set_threads(2);
        o.threads = mode == 0 ? 2 : 1;
        double t0 = time_now();
        int gen = 0;
        mosa_status st = synth_dataset_write(r, &o, NULL, NULL, &gen);
        double el = time_now() - t0;
        printf("  128x128, 33 frames, 2 threads, %s: %.1f clips/min\n", mode == 0 ? "clip-parallel" : "row-parallel",
               60.0 * gen / el);
        TEST_COND("bench run", st == MOSA_OK && gen == o.n);
        rm_rf(r);
    }
}

/* Draws the visible point tracks of frame t onto im (a copy of the video frame): a trail over
 * the previous 6 frames and a dot, yellow on a person (mask non-zero), cyan on the background. */
static void draw_tracks(image *im, int x0, int y0, int S, const npy_array *tr, const npy_array *vis, const uint8_t *mask, int t) {
    const int N = (int)tr->shape[0], T = (int)tr->shape[1];
    for (int i = 0; i < N; i++) {
        const float *p = (const float *)tr->data + ((size_t)i * T) * 2;
        const uint8_t *v = vis->data + (size_t)i * T;
        if (!v[t]) continue;
        const int px = (int)lroundf(p[2 * t]), py = (int)lroundf(p[2 * t + 1]);
        if (px < 0 || py < 0 || px >= S || py >= S) continue;
        const int on_person = mask[(size_t)py * S + px] != 0;
        const uint8_t col[3] = {on_person ? 255 : 40, on_person ? 230 : 220, on_person ? 40 : 255};
        for (int k = t - 6 > 0 ? t - 6 : 0; k < t; k++) /* trail */
            if (v[k]) {
                int qx = (int)lroundf(p[2 * k]), qy = (int)lroundf(p[2 * k + 1]);
                if (qx >= 0 && qy >= 0 && qx < S && qy < S) memcpy(image_px(im, x0 + qx, y0 + qy), col, 3);
            }
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                int qx = px + dx, qy = py + dy;
                if (qx >= 0 && qy >= 0 && qx < S && qy < S) memcpy(image_px(im, x0 + qx, y0 + qy), col, 3);
            }
    }
}

/* Contact sheet: rows of clips, columns video frame / mask / skeleton / tracks at the middle frame. */
static void write_sheet(const char *dir) {
    char r[] = "/tmp/mosa_synth_dXXXXXX";
    if (!mkdtemp(r)) return;
    synth_opts o = synth_opts_default();
    o.n = 8, o.seed = 1;
    enum { S = 128, ROWS = 4, COLS = 2 };
    TEST_COND("sheet clips", synth_dataset_write(r, &o, NULL, NULL, NULL) == MOSA_OK);
    image sheet = {0};
    image_alloc(&sheet, COLS * 4 * S, ROWS * S);
    static const uint8_t pal[4][3] = {{0, 0, 0}, {230, 60, 60}, {60, 200, 80}, {70, 110, 240}};
    for (int c = 0; c < ROWS * COLS; c++) {
        char path[1024];
        image *v = NULL, *s = NULL;
        int nv = 0, ns = 0;
        snprintf(path, sizeof path, "%s/clips/%06d/video.mp4", r, c);
        mosa_status a = video_read_all(path, 0, &v, &nv, NULL);
        snprintf(path, sizeof path, "%s/clips/%06d/skeleton.mp4", r, c);
        mosa_status b = video_read_all(path, 0, &s, &ns, NULL);
        snprintf(path, sizeof path, "%s/clips/%06d/masks.npy", r, c);
        npy_array m, tr = {0}, tv = {0};
        mosa_status mm = npy_load(&m, path, 0);
        snprintf(path, sizeof path, "%s/clips/%06d/tracks.npy", r, c);
        mosa_status mt = npy_load(&tr, path, 0);
        snprintf(path, sizeof path, "%s/clips/%06d/tracks_visible.npy", r, c);
        mosa_status mv = npy_load(&tv, path, 0);
        if (a == MOSA_OK && b == MOSA_OK && mm == MOSA_OK && mt == MOSA_OK && mv == MOSA_OK && nv == o.frames &&
            ns == o.frames) {
            int t = o.frames / 2, x0 = (c % COLS) * 4 * S, y0 = (c / COLS) * S;
            for (int y = 0; y < S; y++) {
                memcpy(image_px(&sheet, x0, y0 + y), image_px(&v[t], 0, y), 3 * S);
                memcpy(image_px(&sheet, x0 + 2 * S, y0 + y), image_px(&s[t], 0, y), 3 * S);
                memcpy(image_px(&sheet, x0 + 3 * S, y0 + y), image_px(&v[t], 0, y), 3 * S);
                for (int x = 0; x < S; x++) {
                    int id = m.data[((size_t)t * S + y) * S + x];
                    memcpy(image_px(&sheet, x0 + S + x, y0 + y), pal[id & 3], 3);
                }
            }
            draw_tracks(&sheet, x0 + 3 * S, y0, S, &tr, &tv, m.data + (size_t)t * S * S, t);
        } else
            TEST_COND("sheet clip read", 0);
        if (a == MOSA_OK) video_frames_free(v, nv);
        if (b == MOSA_OK) video_frames_free(s, ns);
        if (mm == MOSA_OK) npy_array_free(&m);
        if (mt == MOSA_OK) npy_array_free(&tr);
        if (mv == MOSA_OK) npy_array_free(&tv);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/movid_syn_sheet.png", dir);
    TEST_COND("sheet written", png_write(path, &sheet, NULL) == MOSA_OK);
    image_free(&sheet);
    rm_rf(r);
}

int main(int argc, char **argv) {
    test_opts();
    test_interactions();
    test_half_body();
    test_dataset();
    bench();
    if (argc > 1) write_sheet(argv[1]);
    return test_report();
}
