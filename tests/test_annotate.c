/* test_annotate.c: the model-free parts of the real-video annotator (data/annotate.h): the
 * captions file, clip ids and input listing, frame geometry and resampling, BlazePose-33 ->
 * OpenPose-18 / SMPL-22 per frame, Pose Confidence per frame, ROI tracking state, point picking,
 * template captions, and clip writing (the loader reads a written clip; resume and overwrite
 * behave; a failed write leaves nothing).
 *
 * Two helper modes serve tests/test_annotate_e2e.sh, the end-to-end test with the models:
 *   test_annotate --make-video PNG OUT.mp4 FRAMES SIZE   pan/zoom crops of a photograph
 *   test_annotate --check-astronaut DATASET ID FRAMES SIZE   checks the annotated clip of that video
 * It is not the end-to-end test itself (that needs the MediaPipe models). */
#include "data/annotate.h"
#include "data/dataset.h"
#include "io/npy.h"
#include "io/png.h"
#include "io/video.h"
#include "test.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_tmp[256];

static int exists(const char *p) { return access(p, F_OK) == 0; }

static void rm_rf(const char *path) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) printf("warning: could not remove %s\n", path);
}

static void write_text(const char *path, const char *s) {
    FILE *f = fopen(path, "wb");
    if (f) fputs(s, f), fclose(f);
}

/* Number of entries of dir whose name contains `part`. */
static int count_entries(const char *dir, const char *part) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += e->d_name[0] != '.' && strstr(e->d_name, part) != NULL;
    closedir(d);
    return n;
}

/* ------------------------------------------------------------------------------------------ */

static void test_captions(void) {
    annotate_captions c;
    const char *ok = "# captions\r\n"
                     "walk.mp4\tA woman walks along the beach.\r\n"
                     "\n"
                     "  jump 1.mov \t  a man jumps.  \n"
                     "caf\xc3\xa9.mp4\tun caf\xc3\xa9";
    TEST_COND("parse ok", annotate_captions_parse(&c, ok, strlen(ok), "caps.txt") == MOSA_OK);
    TEST_COND("3 captions", c.n == 3);
    const char *w = annotate_captions_find(&c, "/data/in/walk.mp4");
    TEST_COND("found by base name, CR dropped", w && !strcmp(w, "A woman walks along the beach."));
    const char *j = annotate_captions_find(&c, "jump 1.mov");
    TEST_COND("trimmed name and caption", j && !strcmp(j, "a man jumps."));
    TEST_COND("utf-8 name, no final newline", annotate_captions_find(&c, "café.mp4") != NULL);
    TEST_COND("unknown video: NULL", annotate_captions_find(&c, "other.mp4") == NULL);
    char *vids[] = {"x/walk.mp4", "jump 1.mov", "café.mp4", "extra.mp4"};
    TEST_COND("all names known", annotate_captions_check(&c, vids, 4) == MOSA_OK);
    TEST_COND("a name unknown", annotate_captions_check(&c, vids, 2) == MOSA_ERR_ARG &&
                                    strstr(mosa_last_error(), "café.mp4") && strstr(mosa_last_error(), "line 5"));
    annotate_captions_free(&c);

    struct { const char *text, *want; } bad[] = {
        {"walk.mp4 a caption without tab\n", ":1: no tab"},
        {"a.mp4\tx\n\nb.mp4\t   \n", ":3: empty caption"},
        {"\tcaption\n", "empty file name"},
        {"dir/a.mp4\tcaption\n", "without a directory"},
        {"a.mp4\tone\na.mp4\ttwo\n", "already has a caption (line 1)"},
        {"a.mp4\tbad \xff byte\n", "not valid UTF-8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mosa_status s = annotate_captions_parse(&c, bad[i].text, strlen(bad[i].text), "caps.txt");
        TEST_COND("bad captions file refused", s == MOSA_ERR_FORMAT && strstr(mosa_last_error(), bad[i].want));
        TEST_COND("nothing kept", c.n == 0 && c.items == NULL);
        if (s != MOSA_ERR_FORMAT || !strstr(mosa_last_error(), bad[i].want)) printf("  got: %s\n", mosa_last_error());
    }
    size_t n = 10 + DATASET_MAX_CAPTION;
    char *big = malloc(n + 1);
    memcpy(big, "a.mp4\t", 6);
    memset(big + 6, 'x', n - 6);
    big[n] = 0;
    TEST_COND("caption too long", annotate_captions_parse(&c, big, n, "caps.txt") == MOSA_ERR_FORMAT &&
                                      strstr(mosa_last_error(), "at most"));
    free(big);
    TEST_COND("empty file: no captions", annotate_captions_parse(&c, "", 0, "e") == MOSA_OK && c.n == 0);
    annotate_captions_free(&c);
    char p[300];
    snprintf(p, sizeof p, "%s/nope.txt", g_tmp);
    TEST_COND("missing captions file", annotate_captions_load(&c, p) == MOSA_ERR_IO && strstr(mosa_last_error(), "nope.txt"));
}

static void test_ids_inputs(void) {
    char id[64];
    annotate_clip_id(id, "/a/b/my clip.mp4");
    TEST_COND("id: spaces", !strcmp(id, "my_clip"));
    annotate_clip_id(id, "x.y.z.MOV");
    TEST_COND("id: dots", !strcmp(id, "x_y_z"));
    annotate_clip_id(id, ".mp4");
    TEST_COND("id: hidden name kept", !strcmp(id, "_mp4"));
    char longname[200];
    memset(longname, 'a', 150);
    strcpy(longname + 150, ".mp4");
    annotate_clip_id(id, longname);
    TEST_COND("id: cut to 63", strlen(id) == 63);
    TEST_COND("video names", annotate_is_video_name("a.MP4") && annotate_is_video_name("b.webm") &&
                                 !annotate_is_video_name("c.txt") && !annotate_is_video_name(".mp4x"));

    char dir[300], p[400];
    snprintf(dir, sizeof dir, "%s/in", g_tmp);
    mkdir(dir, 0755);
    char **v;
    int n;
    char *args[2] = {dir, NULL};
    TEST_COND("empty dir refused", annotate_inputs_list(&v, &n, args, 1, 1) == MOSA_ERR_ARG &&
                                       strstr(mosa_last_error(), "no video") && v == NULL && n == 0);
    snprintf(p, sizeof p, "%s/b.mp4", dir), write_text(p, "x");
    snprintf(p, sizeof p, "%s/a.mov", dir), write_text(p, "x");
    snprintf(p, sizeof p, "%s/notes.txt", dir), write_text(p, "x");
    TEST_COND("dir listed", annotate_inputs_list(&v, &n, args, 1, 1) == MOSA_OK && n == 2);
    if (n == 2) TEST_COND("sorted, videos only", strstr(v[0], "/a.mov") && strstr(v[1], "/b.mp4"));
    annotate_inputs_free(v, n);
    snprintf(p, sizeof p, "%s/missing.mp4", g_tmp);
    args[1] = p;
    TEST_COND("missing input refused", annotate_inputs_list(&v, &n, args, 2, 1) == MOSA_ERR_IO &&
                                           strstr(mosa_last_error(), "missing.mp4"));
    snprintf(p, sizeof p, "%s/a.mp4", dir), write_text(p, "x"); /* same id as a.mov */
    TEST_COND("id clash refused", annotate_inputs_list(&v, &n, args, 1, 1) == MOSA_ERR_ARG &&
                                      strstr(mosa_last_error(), "both become clip 'a'"));
    TEST_COND("same ids allowed when not asked", annotate_inputs_list(&v, &n, args, 1, 0) == MOSA_OK && n == 3);
    annotate_inputs_free(v, n);
}

static void test_geometry(void) {
    annotate_geom g;
    TEST_COND("keep: even crop", annotate_geom_make(&g, 101, 75, 0, 0) == MOSA_OK && g.W == 100 && g.H == 74 && g.scale == 1);
    TEST_COND("too small refused", annotate_geom_make(&g, 15, 40, 0, 0) == MOSA_ERR_ARG);
    TEST_COND("odd size refused", annotate_geom_make(&g, 200, 100, 63, 64) == MOSA_ERR_ARG);
    TEST_COND("wide source", annotate_geom_make(&g, 200, 100, 64, 64) == MOSA_OK);
    TEST_COND("centred square crop", fabsf(g.scale - 0.64f) < 1e-6f && fabsf(g.x0 - 50) < 1e-4f && g.y0 == 0);
    /* a constant image stays constant; a horizontal ramp keeps its middle */
    image src, dst;
    image_alloc(&src, 200, 100), image_alloc(&dst, 64, 64);
    for (int y = 0; y < 100; y++)
        for (int x = 0; x < 200; x++) {
            uint8_t *q = image_px(&src, x, y);
            q[0] = 77, q[1] = (uint8_t)x, q[2] = (uint8_t)y;
        }
    annotate_resample_rgb(&dst, &src, &g);
    int const_ok = 1;
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++) const_ok &= image_px(&dst, x, y)[0] == 77;
    TEST_COND("constant channel stays", const_ok);
    /* output pixel u samples source x = 50 + (u + 0.5) / 0.64 - 0.5 */
    float want = 50 + (31 + 0.5f) / 0.64f - 0.5f;
    TEST_COND("ramp sampled at the mapped place", fabsf(image_px(&dst, 31, 10)[1] - want) <= 1.0f);
    float *fs = malloc(sizeof(float) * 200 * 100), fd[64 * 64];
    for (int i = 0; i < 200 * 100; i++) fs[i] = (float)(i % 200);
    annotate_resample_f32(fd, fs, &g);
    TEST_COND("float map resampled the same way", fabsf(fd[10 * 64 + 31] - want) < 0.6f);
    free(fs);
    image_free(&src), image_free(&dst);
}

/* A frontal person in 640x480 (frame pixels) and in world metres (MediaPipe axes: y down). */
static void fake_result(pose_result *r) {
    memset(r, 0, sizeof *r);
    r->found = 1, r->flag = 0.99f;
    for (int i = 0; i < POSE_LANDMARKS; i++) {
        r->lm[i] = (pose_landmark){320, 240, 0, 0.9f, 0.95f};
        r->world[i][0] = 0, r->world[i][1] = 0, r->world[i][2] = 0;
    }
    struct { int i; float x, y, wx, wy, wz, vis; } pts[] = {
        {0, 320, 100, 0, -0.60f, -0.10f, 0.99f},  /* nose */
        {2, 330, 90, 0.03f, -0.63f, -0.08f, 0.98f}, {5, 310, 90, -0.03f, -0.63f, -0.08f, 0.97f},
        {7, 345, 95, 0.075f, -0.62f, 0, 0.8f},    {8, 295, 95, -0.075f, -0.62f, 0, 0.7f},
        {11, 380, 160, 0.18f, -0.45f, 0, 0.95f},  {12, 260, 160, -0.18f, -0.45f, 0, 0.85f}, /* shoulders */
        {13, 400, 230, 0.25f, -0.2f, 0, 0.9f},    {14, 240, 230, -0.25f, -0.2f, 0, 0.9f},
        {15, 410, 290, 0.28f, 0.02f, 0, 0.9f},    {16, 230, 290, -0.28f, 0.02f, 0, 0.9f},
        {23, 350, 300, 0.1f, 0, 0, 0.9f},         {24, 290, 300, -0.1f, 0, 0, 0.9f}, /* hips */
        {25, 352, 380, 0.1f, 0.42f, 0, 0.2f},     {26, 288, 380, -0.1f, 0.42f, 0, 0.2f},
        {27, 354, 460, 0.1f, 0.85f, 0, 0.1f},     {28, 286, 460, -0.1f, 0.85f, 0, 0.1f},
    };
    for (size_t k = 0; k < sizeof pts / sizeof pts[0]; k++) {
        pose_landmark *l = &r->lm[pts[k].i];
        l->x = pts[k].x, l->y = pts[k].y, l->visibility = pts[k].vis;
        r->world[pts[k].i][0] = pts[k].wx, r->world[pts[k].i][1] = pts[k].wy, r->world[pts[k].i][2] = pts[k].wz;
    }
}

static void test_mapping(void) {
    pose_result r;
    fake_result(&r);
    annotate_geom g;
    annotate_geom_make(&g, 640, 480, 320, 240); /* scale 0.5, no crop */
    float kp[54];
    annotate_frame_keypoints(kp, &r, &g);
    TEST_COND("nose mapped through the geometry", fabsf(kp[0] - 160) < 1e-4f && fabsf(kp[1] - 50) < 1e-4f && kp[2] == 0.99f);
    TEST_COND("neck = shoulders' middle, min visibility", fabsf(kp[3] - 160) < 1e-4f && fabsf(kp[4] - 80) < 1e-4f &&
                                                           kp[5] == 0.85f);
    TEST_COND("R shoulder = BlazePose 12", fabsf(kp[6] - 130) < 1e-4f && kp[8] == 0.85f);
    TEST_COND("L shoulder = BlazePose 11", fabsf(kp[15] - 190) < 1e-4f && kp[17] == 0.95f);
    TEST_COND("R hip 8 = BlazePose 24", fabsf(kp[24] - 145) < 1e-4f && fabsf(kp[25] - 150) < 1e-4f);
    TEST_COND("L ankle 13 = BlazePose 27", fabsf(kp[39] - 177) < 1e-4f && kp[41] == 0.1f);
    TEST_COND("R eye 14 = BlazePose 5, L ear 17 = 7", fabsf(kp[42] - 155) < 1e-4f && kp[53] == 0.8f);
    float sum = 0;
    for (int k = 0; k < 18; k++) sum += kp[3 * k + 2];
    TEST_COND("frame confidence = mean of 18", fabsf(annotate_frame_confidence(kp) - sum / 18) < 1e-6f);

    float j[66];
    annotate_frame_joints(j, &r);
    TEST_COND("pelvis at the hips' middle (origin)", fabsf(j[0]) < 1e-6f && fabsf(j[1]) < 1e-6f && fabsf(j[2]) < 1e-6f);
    TEST_COND("Y up: head above pelvis, ankles below", j[15 * 3 + 1] > 0.5f && j[7 * 3 + 1] < -0.8f);
    TEST_COND("person's left at +X (L shoulder 16)", j[16 * 3] > 0.15f && j[17 * 3] < -0.15f);
    TEST_COND("facing the camera = facing +Z", fabsf(j[15 * 3 + 2]) < 1e-6f);

    pose_result none = r;
    none.found = 0;
    annotate_frame_keypoints(kp, &none, &g);
    annotate_frame_joints(j, &none);
    int zero = 1;
    for (int k = 0; k < 54; k++) zero &= kp[k] == 0;
    for (int k = 0; k < 66; k++) zero &= j[k] == 0;
    TEST_COND("no person: zeros", zero && annotate_frame_confidence(kp) == 0);
    /* a crop that leaves the ankles (y 460 of 480) out of the frame: confidence 0, x and y kept */
    annotate_geom top;
    annotate_geom_make(&top, 640, 480, 640, 400); /* rows 40..439 */
    annotate_frame_keypoints(kp, &r, &top);
    TEST_COND("out of the frame: confidence 0", kp[3 * 13 + 2] == 0 && kp[3 * 10 + 2] == 0 &&
                                                   fabsf(kp[3 * 13 + 1] - 420) < 1e-3f && kp[3 * 12 + 2] == 0.2f);
    annotate_frame_keypoints(kp, &r, &g);
    /* a NaN landmark gives confidence 0, never NaN in the files */
    pose_result bad = r;
    bad.lm[0].x = NAN;
    annotate_frame_keypoints(kp, &bad, &g);
    TEST_COND("NaN landmark: (0,0,0)", kp[0] == 0 && kp[1] == 0 && kp[2] == 0);
}

static void test_tracker(void) {
    annotate_tracker tr = {{0, 0, 0, 0}, 0};
    pose_roi whole = pose_roi_whole(640, 480), a = annotate_tracker_roi(&tr, 640, 480);
    TEST_COND("first frame: whole frame", a.cx == whole.cx && a.cy == whole.cy && a.size == whole.size);
    pose_result r;
    fake_result(&r);
    r.aux[0][0] = 320, r.aux[0][1] = 250, r.aux[1][0] = 320, r.aux[1][1] = 100;
    annotate_tracker_update(&tr, &r, 640, 480);
    pose_roi want = pose_roi_from_result(&r), b = annotate_tracker_roi(&tr, 640, 480);
    TEST_COND("found: next ROI from the landmarks", tr.have && b.cx == want.cx && b.size == want.size);
    r.found = 0;
    annotate_tracker_update(&tr, &r, 640, 480);
    b = annotate_tracker_roi(&tr, 640, 480);
    TEST_COND("lost: whole frame again", !tr.have && b.size == whole.size);
    fake_result(&r);
    r.aux[0][0] = 320, r.aux[0][1] = 250, r.aux[1][0] = 320, r.aux[1][1] = 249; /* a 3 px ROI */
    annotate_tracker_update(&tr, &r, 640, 480);
    TEST_COND("degenerate ROI: whole frame", !tr.have);
    r.aux[1][1] = NAN;
    annotate_tracker_update(&tr, &r, 640, 480);
    TEST_COND("NaN ROI: whole frame", !tr.have);
}

static void test_smoother(void) {
    annotate_smoother sm;
    annotate_smoother_reset(&sm);
    pose_result r, first;
    fake_result(&first);
    r = first;
    annotate_smooth(&sm, &r, 0.0);
    TEST_COND("first frame unchanged", !memcmp(&r, &first, sizeof r));
    /* a still person with +-2 px jitter on the nose: the output jitters less */
    double in_var = 0, out_var = 0;
    for (int t = 1; t <= 40; t++) {
        r = first;
        float n = (t & 1) ? 2.0f : -2.0f;
        r.lm[0].x += n;
        r.lm[0].visibility = (t & 1) ? 0.2f : 0.99f;
        annotate_smooth(&sm, &r, t / 30.0);
        in_var += (double)n * n, out_var += (double)(r.lm[0].x - first.lm[0].x) * (r.lm[0].x - first.lm[0].x);
    }
    TEST_COND("jitter reduced", out_var < 0.25 * in_var);
    TEST_COND("visibility low-passed", r.lm[0].visibility > 0.4f && r.lm[0].visibility < 0.8f);
    pose_result same = r;
    annotate_smooth(&sm, &same, 40 / 30.0);
    TEST_COND("same time: unchanged", !memcmp(&same, &r, sizeof r));
    /* a fast move is followed closely (beta: the cutoff rises with speed) */
    r = first;
    r.lm[0].x += 60;
    annotate_smooth(&sm, &r, 41 / 30.0);
    TEST_COND("fast move followed", r.lm[0].x > first.lm[0].x + 30);
    /* lost person: reset, the next frame passes unchanged */
    r.found = 0;
    annotate_smooth(&sm, &r, 42 / 30.0);
    r = first;
    r.lm[0].x += 100;
    pose_result want = r;
    annotate_smooth(&sm, &r, 43 / 30.0);
    TEST_COND("after a loss the filter restarts", !memcmp(&r, &want, sizeof r));
}

static void test_points_captions(void) {
    enum { W = 40, H = 30 };
    uint8_t m[W * H];
    memset(m, 0, sizeof m);
    for (int y = 5; y < 25; y++)
        for (int x = 10; x < 20; x++) m[y * W + x] = 1;
    float pts[2 * 64], pts2[2 * 64];
    int n = annotate_pick_points(pts, 48, m, W, H, 1);
    int inside = 1;
    for (int i = 0; i < n; i++) inside &= m[(int)pts[2 * i + 1] * W + (int)pts[2 * i]] == 1;
    TEST_COND("48 body points, all inside the mask", n == 48 && inside);
    TEST_COND("deterministic", annotate_pick_points(pts2, 48, m, W, H, 1) == 48 && !memcmp(pts, pts2, sizeof(float) * 96));
    n = annotate_pick_points(pts, 64, m, W, H, 0);
    int outside = 1;
    for (int i = 0; i < n; i++) outside &= m[(int)pts[2 * i + 1] * W + (int)pts[2 * i]] == 0;
    TEST_COND("64 background points outside", n == 64 && outside);
    memset(m, 0, sizeof m);
    TEST_COND("empty mask: no body point", annotate_pick_points(pts, 48, m, W, H, 1) == 0);
    m[3 * W + 7] = 1;
    TEST_COND("one pixel: one point", annotate_pick_points(pts, 48, m, W, H, 1) == 1 && pts[0] == 7 && pts[1] == 3);

    enum { T = 8 };
    float kp[T * 54];
    pose_result r;
    fake_result(&r);
    annotate_geom g = {640, 480, 640, 480, 0, 0, 1};
    for (int t = 0; t < T; t++) annotate_frame_keypoints(kp + t * 54, &r, &g);
    char cap[256];
    annotate_template_caption(cap, sizeof cap, kp, T, 0.3f);
    TEST_COND("legs unseen: waist up", !strcmp(cap, "a person moves, seen from the waist up."));
    for (int t = 0; t < T; t++)
        for (int k = 9; k <= 13; k++) kp[t * 54 + 3 * k + 2] = 0.9f;
    annotate_template_caption(cap, sizeof cap, kp, T, 0.3f);
    TEST_COND("legs seen: a person moves.", !strcmp(cap, ANNOTATE_TEMPLATE_CAPTION));
    memset(kp, 0, sizeof kp);
    annotate_template_caption(cap, sizeof cap, kp, T, 0.3f);
    TEST_COND("nobody", !strcmp(cap, "no person is clearly visible."));
}

/* A small clip: a bright box (the "person") moving right over a textured background. */
typedef struct fake_clip {
    image frames[6];
    float kp[6 * 54], joints[6 * 66], tracks[3 * 6 * 2];
    uint8_t masks[6 * 48 * 64], vis[3 * 6];
} fake_clip;

static void fake_clip_make(fake_clip *f, annotate_clip *c, const char *caption) {
    const int T = 6, W = 64, H = 48;
    memset(c, 0, sizeof *c);
    for (int t = 0; t < T; t++) {
        image_alloc(&f->frames[t], W, H);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int in = x >= 10 + 4 * t && x < 24 + 4 * t && y >= 8 && y < 40;
                uint8_t *q = image_px(&f->frames[t], x, y);
                q[0] = in ? 230 : (uint8_t)(60 + ((x / 4 + y / 4) & 1) * 60), q[1] = in ? 120 : 90, q[2] = 40;
                f->masks[(t * H + y) * W + x] = (uint8_t)in;
            }
        for (int k = 0; k < 54; k++) f->kp[t * 54 + k] = (float)(k % 3 == 2 ? 0.8 : 17 + 4 * t + k % 3);
        for (int k = 0; k < 66; k++) f->joints[t * 66 + k] = 0.01f * (float)k;
    }
    for (int i = 0; i < 3 * 6 * 2; i++) f->tracks[i] = (float)i;
    memset(f->vis, 1, sizeof f->vis);
    c->T = T, c->W = W, c->H = H, c->fps = 12;
    c->frames = f->frames, c->kp = f->kp, c->joints = f->joints, c->masks = f->masks;
    c->tracks = f->tracks, c->tracks_vis = f->vis, c->n_body = 2, c->n_bg = 1;
    c->caption = caption, c->caption_source = "file", c->source = "box.mp4";
    c->src_w = 64, c->src_h = 48, c->src_fps = 24, c->pose_model = "pose_landmark_full.tflite";
    c->mask_source = "selfie", c->frames_with_person = 6, c->pose_confidence = 0.8f;
}

static void fake_clip_free(fake_clip *f) {
    for (int t = 0; t < 6; t++) image_free(&f->frames[t]);
}

static int meta_has(const char *root, const char *id, const char *text) {
    char p[512];
    snprintf(p, sizeof p, "%s/clips/%s/meta.json", root, id);
    uint8_t *buf;
    size_t n;
    if (file_read_all(p, 1 << 20, &buf, &n) != MOSA_OK) return 0;
    char *s = malloc(n + 1);
    memcpy(s, buf, n), s[n] = 0;
    mosa_free(buf);
    int hit = strstr(s, text) != NULL;
    free(s);
    return hit;
}

static void test_writing(void) {
    char root[300], p[600];
    snprintf(root, sizeof root, "%s/ds", g_tmp);
    fake_clip f;
    annotate_clip c;
    fake_clip_make(&f, &c, "a red box slides to the right.");
    TEST_COND("dataset begins", annotate_dataset_begin(root) == MOSA_OK);
    snprintf(p, sizeof p, "%s/dataset.json", root);
    TEST_COND("dataset.json written", exists(p));
    TEST_COND("not done yet", !annotate_clip_done(root, "box"));
    /* an interrupted earlier run left a temporary directory */
    snprintf(p, sizeof p, "%s/clips/box.tmp.99999", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/clips/box.tmp.99999/video.mp4", root);
    write_text(p, "half");
    TEST_COND("clip written", annotate_clip_write(root, "box", &c, 0) == MOSA_OK);
    TEST_COND("done", annotate_clip_done(root, "box"));
    snprintf(p, sizeof p, "%s/clips", root);
    TEST_COND("no leftovers in clips/", count_entries(p, ".tmp.") == 0 && count_entries(p, ".old.") == 0);
    static const char *files[] = {"video.mp4", "skeleton.mp4", "masks.npy", "keypoints2d.npy", "joints3d.npy",
                                  "tracks.npy", "tracks_visible.npy", "meta.json"};
    int all = 1;
    for (int i = 0; i < 8; i++) {
        snprintf(p, sizeof p, "%s/clips/box/%s", root, files[i]);
        all &= exists(p);
    }
    TEST_COND("every file there", all);
    snprintf(p, sizeof p, "%s/clips/box/flow.npy", root);
    TEST_COND("no flow unless asked", !exists(p));
    TEST_COND("dataset.json counts the clip", annotate_dataset_finish(root) == MOSA_OK);

    /* the files hold what was given, in the dataset's shapes */
    float *a;
    int64_t sh[NPY_MAX_DIMS];
    int nd;
    snprintf(p, sizeof p, "%s/clips/box/keypoints2d.npy", root);
    TEST_COND("keypoints (1,6,18,3)", npy_read_f32(p, &a, sh, &nd) == MOSA_OK && nd == 4 && sh[0] == 1 && sh[1] == 6 &&
                                          sh[2] == 18 && sh[3] == 3 && !memcmp(a, f.kp, sizeof f.kp));
    mosa_free(a);
    snprintf(p, sizeof p, "%s/clips/box/joints3d.npy", root);
    TEST_COND("joints (1,6,22,3)", npy_read_f32(p, &a, sh, &nd) == MOSA_OK && nd == 4 && sh[1] == 6 && sh[2] == 22 &&
                                       !memcmp(a, f.joints, sizeof f.joints));
    mosa_free(a);
    snprintf(p, sizeof p, "%s/clips/box/tracks.npy", root);
    TEST_COND("tracks (3,6,2)", npy_read_f32(p, &a, sh, &nd) == MOSA_OK && nd == 3 && sh[0] == 3 && sh[1] == 6 && sh[2] == 2);
    mosa_free(a);
    TEST_COND("meta: caption, source, curation absent", meta_has(root, "box", "\"a red box slides to the right.\"") &&
                                                             meta_has(root, "box", "\"box.mp4\"") &&
                                                             !meta_has(root, "box", "curation"));
    snprintf(p, sizeof p, "%s/dataset.json", root);
    uint8_t *buf;
    size_t n;
    TEST_COND("dataset.json clips 1", file_read_all(p, 4096, &buf, &n) == MOSA_OK && strstr((char *)buf, "\"clips\":\t1"));
    mosa_free(buf);

    /* the loader reads it like a MoVid-syn clip */
    dataset d;
    TEST_COND("dataset_open", dataset_open(&d, root, NULL, 1, 3) == MOSA_OK && d.n == 1 && d.n_problems == 0);
    if (d.n == 1) {
        TEST_COND("clip facts", d.clips[0].frames == 6 && d.clips[0].width == 64 && d.clips[0].height == 48 &&
                                    fabs(d.clips[0].fps - 12) < 1e-9 && !strcmp(d.clips[0].caption, "a red box slides to the right."));
        dataset_batch b;
        memset(&b, 0, sizeof b);
        dataset_batch_opts bo = {1, 6, 64, 48, 0, 0, 1, 1};
        TEST_COND("next_batch", dataset_next_batch(&d, &b, &bo) == MOSA_OK);
        if (b.mask) {
            TEST_COND("masks as written", !memcmp(b.mask, f.masks, sizeof f.masks));
            /* video pixel inside the box at frame 0 (x 12, y 20) is bright red in [-1,1] */
            const float *v = b.video + ((size_t)20 * 64 + 12) * 3;
            TEST_COND("video frame decoded", v[0] > 0.6f && v[2] < -0.4f);
            /* the skeleton frame has coloured pixels (the drawn limbs) */
            int lit = 0;
            for (size_t i = 0; i < (size_t)6 * 64 * 48 * 3; i++) lit += b.skeleton[i] > -0.5f;
            TEST_COND("skeleton drawn", lit > 20);
        }
        dataset_batch_free(&b);
        dataset_close(&d);
    }

    /* resume: a finished clip is not replaced without overwrite */
    annotate_clip c2;
    fake_clip f2;
    fake_clip_make(&f2, &c2, "a second caption.");
    TEST_COND("existing clip refused without overwrite", annotate_clip_write(root, "box", &c2, 0) == MOSA_ERR_ARG &&
                                                             strstr(mosa_last_error(), "--overwrite"));
    TEST_COND("old clip untouched", meta_has(root, "box", "a red box slides"));
    c2.flow = NULL;
    curate_result cr;
    memset(&cr, 0, sizeof cr);
    cr.keep = false, cr.dynamic_degree = 1.5f, cr.smooth_ratio = NAN;
    snprintf(cr.reason, sizeof cr.reason, "testing");
    c2.curation = &cr;
    TEST_COND("overwrite replaces", annotate_clip_write(root, "box", &c2, 1) == MOSA_OK &&
                                        meta_has(root, "box", "a second caption.") && meta_has(root, "box", "\"reason\":\t\"testing\"") &&
                                        meta_has(root, "box", "\"smooth_ratio\":\tnull"));
    snprintf(p, sizeof p, "%s/clips", root);
    TEST_COND("no leftovers after overwrite", count_entries(p, ".") == 0 && count_entries(p, "box") == 1);

    /* a failing write leaves neither the clip nor a temporary directory */
    annotate_clip bad = c2;
    bad.caption = "";
    TEST_COND("empty caption refused", annotate_clip_write(root, "new", &bad, 0) == MOSA_ERR_ARG);
    bad = c2;
    bad.fps = 0.5;
    TEST_COND("fps out of range refused", annotate_clip_write(root, "new", &bad, 0) == MOSA_ERR_ARG);
    TEST_COND("bad id refused", annotate_clip_write(root, "a/b", &c2, 0) == MOSA_ERR_ARG);
    image odd;
    image_alloc(&odd, 32, 32);
    image saved = f2.frames[3];
    f2.frames[3] = odd;
    TEST_COND("frame of the wrong size refused", annotate_clip_write(root, "new", &c2, 0) == MOSA_ERR_ARG);
    f2.frames[3] = saved;
    image_free(&odd);
    /* the video writer fails mid-way: a directory sits where video.mp4's temporary file goes */
    TEST_COND("nothing of 'new'", count_entries(p, "new") == 0);

    /* another generator's dataset is refused */
    char syn[300];
    snprintf(syn, sizeof syn, "%s/syn", g_tmp);
    mkdir(syn, 0755);
    snprintf(p, sizeof p, "%s/dataset.json", syn);
    write_text(p, "{\"format\": \"mosa-dataset/1\", \"generator\": \"mosa dataset synth\", \"clips\": 3}");
    TEST_COND("synth dataset refused", annotate_dataset_begin(syn) == MOSA_ERR_MISMATCH &&
                                           strstr(mosa_last_error(), "mosa dataset synth"));
    write_text(p, "{not json");
    TEST_COND("corrupt dataset.json refused", annotate_dataset_begin(syn) == MOSA_ERR_FORMAT);
    /* an output path that is a file, and a read-only directory */
    snprintf(p, sizeof p, "%s/afile", g_tmp);
    write_text(p, "x");
    TEST_COND("output is a file", annotate_dataset_begin(p) == MOSA_ERR_IO);
    if (geteuid() != 0) {
        snprintf(p, sizeof p, "%s/ro", g_tmp);
        mkdir(p, 0555);
        TEST_COND("read-only output", annotate_dataset_begin(p) == MOSA_ERR_IO);
    }
    fake_clip_free(&f);
    fake_clip_free(&f2);
}

/* ------------------------------------------------------------------------------------------ */
/* Helper modes for test_annotate_e2e.sh                                                           */
/* ------------------------------------------------------------------------------------------ */

/* The crop window of frame t of the astronaut video: a square of side s at (x0, y0) of the
 * 512x512 photograph, zooming from the whole picture to 80% of it while panning right. */
static void astro_crop(int t, int T, float *x0, float *y0, float *s) {
    float u = T > 1 ? (float)t / (float)(T - 1) : 0;
    *s = 512 - 100 * u;
    *x0 = (512 - *s) * u;
    *y0 = (512 - *s) * 0.3f * u;
}

/* Where the photograph's person is (pixels of the 512x512 image, by eye): the nose, a point on the
 * chest and one on the face. The shoulders and hips are hidden by the suit's ring and the frame's
 * bottom edge, so only their order is checked. */
#define ASTRO_NOSE_X 222.0f
#define ASTRO_NOSE_Y 128.0f
#define ASTRO_CHEST_X 215.0f
#define ASTRO_CHEST_Y 380.0f

static int make_video(const char *png, const char *out, int T, int S) {
    image im, fr;
    if (png_read(png, &im) != MOSA_OK || im.w != 512 || im.h != 512) {
        printf("cannot read %s as a 512x512 image: %s\n", png, mosa_last_error());
        return 1;
    }
    image_alloc(&fr, S, S);
    video_writer w;
    memset(&w, 0, sizeof w);
    mosa_status st = video_writer_open(&w, out, S, S, 10, "test_annotate astronaut pan/zoom");
    for (int t = 0; t < T && st == MOSA_OK; t++) {
        float x0, y0, s;
        astro_crop(t, T, &x0, &y0, &s);
        annotate_geom g = {512, 512, S, S, x0, y0, (float)S / s};
        annotate_resample_rgb(&fr, &im, &g);
        st = video_writer_add(&w, &fr);
    }
    if (st == MOSA_OK) st = video_writer_close(&w);
    video_writer_abort(&w);
    image_free(&im), image_free(&fr);
    if (st != MOSA_OK) printf("video: %s\n", mosa_last_error());
    return st != MOSA_OK;
}

/* Checks the annotated astronaut clip: the loader reads it; the person is found in at least half
 * of the frames; in those, the nose within 10% of the frame of where it is in the photograph, the
 * shoulders below the nose on either side of it, the hips below the shoulders and not far to the
 * side; the mask covers the face and the chest and not the top-left corner (the flag). */
static int check_astronaut(const char *root, const char *id, int T, int S) {
    dataset d;
    TEST_COND("dataset_open", dataset_open(&d, root, NULL, 1, 1) == MOSA_OK && d.n >= 1);
    if (d.n >= 1) {
        dataset_batch b;
        memset(&b, 0, sizeof b);
        dataset_batch_opts bo = {1, T < 8 ? T : 8, 64, 64, 1, 0.1f, 0.9f, 1.1f};
        TEST_COND("next_batch", dataset_next_batch(&d, &b, &bo) == MOSA_OK);
        dataset_batch_free(&b);
        dataset_close(&d);
    }
    char p[600];
    float *kp;
    int64_t sh[NPY_MAX_DIMS];
    int nd;
    snprintf(p, sizeof p, "%s/clips/%s/keypoints2d.npy", root, id);
    if (npy_read_f32(p, &kp, sh, &nd) != MOSA_OK || nd != 4 || sh[1] != T) {
        TEST_COND("keypoints readable with T frames", 0);
        return test_report();
    }
    npy_array m = {0};
    snprintf(p, sizeof p, "%s/clips/%s/masks.npy", root, id);
    TEST_COND("masks readable", npy_load(&m, p, (size_t)1 << 30) == MOSA_OK && m.nd == 3 && m.shape[0] == T &&
                                    m.shape[1] == S && m.shape[2] == S);
    const float tol = 0.10f * (float)S;
    int nose_ok = 0, sh_ok = 0, hip_ok = 0, mask_ok = 0, found = 0;
    double worst = 0;
    for (int t = 0; t < T; t++) {
        float x0, y0, s;
        astro_crop(t, T, &x0, &y0, &s);
        const float sc = (float)S / s;
#define PX(X) (((X) - x0) * sc)
#define PY(Y) (((Y) - y0) * sc)
        const float *f = kp + (size_t)t * 54;
        if (annotate_frame_confidence(f) <= 0) continue;
        found++;
        float dn = hypotf(f[0] - PX(ASTRO_NOSE_X), f[1] - PY(ASTRO_NOSE_Y));
        if (dn > worst) worst = dn;
        nose_ok += dn < tol && f[2] > 0.5f;
        /* OpenPose: 2 R shoulder (image left for a person facing us), 5 L shoulder, 8 R hip, 11 L hip */
        const float nx = f[0], ny = f[1], shw = f[15] - f[6];
        sh_ok += f[6] < nx && f[15] > nx && f[7] > ny && f[16] > ny && f[7] < ny + 0.5f * S && f[16] < ny + 0.5f * S &&
                 shw > 0.1f * S;
        hip_ok += f[25] > f[7] + 0.1f * S && f[34] > f[16] + 0.1f * S && f[24] > f[6] - shw && f[33] < f[15] + shw;
        if (m.data) {
            const uint8_t *mk = m.data + (size_t)t * S * S;
            int mx = (int)PX(ASTRO_NOSE_X), my = (int)PY(ASTRO_NOSE_Y), cx = (int)PX(ASTRO_CHEST_X), cy = (int)PY(ASTRO_CHEST_Y);
            int in = mx >= 0 && mx < S && my >= 0 && my < S && cx >= 0 && cx < S && cy >= 0 && cy < S;
            mask_ok += in && mk[my * S + mx] && mk[cy * S + cx] && !mk[(S / 20) * S + S / 20];
        }
#undef PX
#undef PY
    }
    printf("astronaut: person in %d/%d frames; of those: nose within %.0f px in %d (worst %.1f px), shoulders "
           "plausible in %d, hips in %d, mask on face and chest and off the flag in %d\n",
           found, T, (double)tol, nose_ok, worst, sh_ok, hip_ok, mask_ok);
    TEST_COND("person found in half the frames or more", 2 * found >= T);
    TEST_COND("nose where it is", nose_ok == found);
    TEST_COND("shoulders plausible", sh_ok == found);
    TEST_COND("hips below the shoulders", hip_ok == found);
    TEST_COND("mask covers face and chest, not the flag", mask_ok == found);
    mosa_free(kp);
    npy_array_free(&m);
    return test_report();
}

int main(int argc, char **argv) {
    if (argc == 6 && !strcmp(argv[1], "--make-video")) return make_video(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
    if (argc == 6 && !strcmp(argv[1], "--check-astronaut"))
        return check_astronaut(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
    snprintf(g_tmp, sizeof g_tmp, "/tmp/test_annotate_XXXXXX");
    if (!mkdtemp(g_tmp)) {
        printf("cannot create a temporary directory\n");
        return 1;
    }
    test_captions();
    test_ids_inputs();
    test_geometry();
    test_mapping();
    test_tracker();
    test_smoother();
    test_points_captions();
    test_writing();
    rm_rf(g_tmp);
    return test_report();
}
