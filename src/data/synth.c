/* synth.c: MoVid-syn clip planning, rendering and writing (see synth.h for the conventions). */
#include "synth.h"

#include "dataset.h"
#include "io/npy.h"
#include "io/png.h"
#include "io/video.h"
#include "motion/captions.h"
#include "motion/library.h"
#include "motion/mapping.h"
#include "render/body.h"
#include "render/draw.h"
#include "render/project.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define DEG (3.14159265358979f / 180.0f)

synth_opts synth_opts_default(void) {
    synth_opts o = {1000, 1, 128, 128, 33, 16.0f, 0, 0};
    return o;
}

mosa_status synth_opts_check(const synth_opts *o) {
    if (o->n < 1 || o->n > DATASET_MAX_CLIPS) return mosa_fail(MOSA_ERR_ARG, "clip count %d: want 1..%d", o->n, DATASET_MAX_CLIPS);
    if (o->width < 32 || o->width > 1024 || o->width % 8 || o->height < 32 || o->height > 1024 || o->height % 8)
        return mosa_fail(MOSA_ERR_ARG, "size %dx%d: width and height must be multiples of 8 in 32..1024", o->width,
                         o->height);
    if (!(o->fps >= 1 && o->fps <= 120)) return mosa_fail(MOSA_ERR_ARG, "fps %g: want 1..120", (double)o->fps);
    if (o->frames < 1 || o->frames > SYNTH_MAX_FRAMES)
        return mosa_fail(MOSA_ERR_ARG, "frames %d: want 1..%d", o->frames, SYNTH_MAX_FRAMES);
    if ((float)o->frames / o->fps > 50.0f)
        return mosa_fail(MOSA_ERR_ARG, "%d frames at %g fps last %.1f s: at most 50 s per clip", o->frames,
                         (double)o->fps, (double)((float)o->frames / o->fps));
    if (o->threads < 0 || o->threads > 1024) return mosa_fail(MOSA_ERR_ARG, "threads %d: want 0..1024", o->threads);
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Random helpers                                                                              */
/* ------------------------------------------------------------------------------------------ */

static uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static float unif(mosa_rng *r, float lo, float hi) {
    float u;
    rng_uniform(r, &u, 1);
    return lo + (hi - lo) * u;
}

/* ------------------------------------------------------------------------------------------ */
/* Words                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static const struct { const char *name; float c[3]; } k_colours[] = {
    {"white", {0.88f, 0.88f, 0.88f}},   {"black", {0.11f, 0.11f, 0.12f}},    {"red", {0.80f, 0.15f, 0.15f}},
    {"blue", {0.15f, 0.30f, 0.70f}},    {"green", {0.20f, 0.55f, 0.25f}},    {"yellow", {0.90f, 0.75f, 0.20f}},
    {"purple", {0.55f, 0.30f, 0.65f}},  {"orange", {0.95f, 0.50f, 0.15f}},   {"teal", {0.20f, 0.60f, 0.70f}},
    {"light brown", {0.60f, 0.45f, 0.30f}}, {"pink", {0.90f, 0.55f, 0.65f}}, {"grey", {0.35f, 0.40f, 0.45f}},
    {"navy", {0.12f, 0.18f, 0.35f}},    {"denim blue", {0.25f, 0.35f, 0.55f}}, {"khaki", {0.45f, 0.42f, 0.35f}},
    {"beige", {0.60f, 0.55f, 0.45f}},   {"brown", {0.35f, 0.25f, 0.18f}},    {"burgundy", {0.50f, 0.15f, 0.20f}},
    {"charcoal", {0.30f, 0.32f, 0.34f}},
};

static const char *colour_name(v3 c) {
    int best = 0;
    float bd = INFINITY;
    for (int i = 0; i < (int)(sizeof k_colours / sizeof k_colours[0]); i++) {
        float dx = c.x - k_colours[i].c[0], dy = c.y - k_colours[i].c[1], dz = c.z - k_colours[i].c[2];
        float d = dx * dx + dy * dy + dz * dz;
        if (d < bd) bd = d, best = i;
    }
    return k_colours[best].name;
}

static const char *const k_ground_names[SCENE_GROUND_COUNT] = {"grass", "ice", "wood", "gravel", "sand", "gym", "pier"};
static const char *const k_ground_phrases[SCENE_GROUND_COUNT] = {
    "on the grass", "on the ice", "on the wooden floor", "on the gravel", "on the sand", "on the gym floor",
    "on the wooden pier"};
static const char *const k_light_names[SCENE_LIGHT_COUNT] = {"bright", "dim", "sunset", "indoor"};
static const char *const k_light_phrases[SCENE_LIGHT_COUNT] = {
    "all under the bright natural light", "in the dim light of an overcast day", "in the warm light of the sunset",
    "under the indoor lights"};
static const char *const k_object_names[SCENE_OBJ_COUNT] = {"box", "bench", "trampoline", "trunk", "stairs", "rug", "pillar"};
static const char *const k_number_words[] = {"", "One", "Two", "Three"};

static int is_woman(const body_style *s) { return s->bottom_kind == BODY_BOTTOM_SKIRT || s->hair_kind == BODY_HAIR_LONG; }

/* "a red t-shirt and blue shorts" into buf. */
static void describe_clothes(char *buf, size_t cap, const body_style *s) {
    const char *top = s->sleeves == BODY_SLEEVES_LONG ? "long-sleeved shirt" : "t-shirt";
    const char *c1 = colour_name(s->top), *c2 = colour_name(s->top2);
    char topd[160];
    if (s->pattern == BODY_PATTERN_STRIPES && strcmp(c1, c2))
        snprintf(topd, sizeof topd, "%s and %s striped %s", c1, c2, top);
    else if (s->pattern == BODY_PATTERN_CHECKS && strcmp(c1, c2))
        snprintf(topd, sizeof topd, "%s and %s checked %s", c1, c2, top);
    else
        snprintf(topd, sizeof topd, "%s %s", c1, top);
    const char *art = strchr("aeiou", topd[0]) ? "an" : "a";
    const char *bottom = s->bottom_kind == BODY_BOTTOM_SKIRT ? "skirt" : s->bottom_kind == BODY_BOTTOM_SHORTS ? "shorts" : "trousers";
    const char *bc = colour_name(s->bottom);
    if (s->bottom_kind == BODY_BOTTOM_SKIRT)
        snprintf(buf, cap, "%s %s and %s %s %s", art, topd, strchr("aeiou", bc[0]) ? "an" : "a", bc, bottom);
    else
        snprintf(buf, cap, "%s %s and %s %s", art, topd, bc, bottom);
}

/* The verb phrase of a motion-only sentence: without its subject and final period. */
static void verb_phrase(char *out, size_t cap, const char *sentence) {
    static const char *const subj[] = {"a person ", "someone ", "the person "};
    const char *s = sentence;
    for (int i = 0; i < 3; i++)
        if (!strncmp(s, subj[i], strlen(subj[i]))) {
            s += strlen(subj[i]);
            break;
        }
    snprintf(out, cap, "%s", s);
    size_t n = strlen(out);
    while (n && (out[n - 1] == '.' || out[n - 1] == ' ')) out[--n] = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The plan                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Linear interpolation of a (P,Tm,22,3) 20 fps motion at the output rate into (P,T,22,3). */
static void resample(float *out, const float *in, int P, int Tm, int T, float fps, float rate) {
    for (int p = 0; p < P; p++)
        for (int t = 0; t < T; t++) {
            float u = (float)t / fps * 20.0f * rate;
            int i0 = (int)floorf(u);
            float a = u - (float)i0;
            if (i0 >= Tm - 1) i0 = Tm - 1, a = 0;
            int i1 = i0 + 1 < Tm ? i0 + 1 : i0;
            const float *f0 = in + ((size_t)p * Tm + i0) * 66, *f1 = in + ((size_t)p * Tm + i1) * 66;
            float *o = out + ((size_t)p * T + t) * 66;
            for (int k = 0; k < 66; k++) o[k] = f0[k] + a * (f1[k] - f0[k]);
        }
}

/* An action for a clip of `secs` seconds: short enough to be seen whole (retries), never
 * climb_steps unless allowed. */
static int pick_action(mosa_rng *r, float secs, int allow_stairs) {
    int a = 0;
    for (int tries = 0; tries < 20; tries++) {
        a = (int)rng_below(r, (uint32_t)motion_action_count());
        if (a == MOTION_CLIMB_STEPS && !allow_stairs) continue;
        if (motion_action_min_seconds(a) <= secs) return a;
    }
    return MOTION_WAVE;
}

static motion_params random_params(mosa_rng *r, const body_style *st, float secs) {
    motion_params p = motion_params_default();
    p.seconds = secs;
    p.speed = unif(r, 0.7f, 1.4f);
    p.amplitude = unif(r, 0.7f, 1.3f);
    p.heading = unif(r, -3.14159f, 3.14159f);
    p.turn = rng_below(r, 4) == 0 ? unif(r, -1.5f, 1.5f) : 0.0f;
    p.height = st->height;
    p.side = (int)rng_below(r, 2);
    p.seed = rng_u64(r);
    return p;
}

static float clampf(float x, float lo, float hi) { return x < lo ? lo : x > hi ? hi : x; }

/* Builds the trajectory of the plan at distance d. */
static mosa_status build_traj(synth_plan *pl, float d) {
    camera_pose base = camera_pose_default();
    base.elev = pl->elev, base.azim = pl->azim, base.dist = d, base.fov = pl->fov;
    base.target = v3_make(pl->center.x, pl->center.y, pl->center.z);
    camera_move mv = CAMERA_MOVE_FIXED;
    if (!strcmp(pl->trajectory, "orbit")) mv = CAMERA_MOVE_ORBIT;
    else if (!strcmp(pl->trajectory, "pan-left")) mv = CAMERA_MOVE_PAN_LEFT;
    else if (!strcmp(pl->trajectory, "pan-right")) mv = CAMERA_MOVE_PAN_RIGHT;
    else if (!strcmp(pl->trajectory, "zoom-in")) mv = CAMERA_MOVE_ZOOM_IN;
    else if (!strcmp(pl->trajectory, "zoom-out")) mv = CAMERA_MOVE_ZOOM_OUT;
    float dur = (float)(pl->T > 1 ? pl->T - 1 : 1) / pl->fps;
    return camera_traj_builtin(&pl->traj, mv, pl->traj_amount, &base, dur, pl->W, pl->H);
}

/* SMPL-22 joints a half-body framing keeps in frame: pelvis, hips, spine, neck, collars, head,
 * shoulders, elbows, wrists. */
static const uint8_t k_upper[22] = {1, 1, 1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

/* 1 when every joint of every person (and a point above each head) is inside the frame with a
 * margin in every frame of the trajectory; upper_only: only the k_upper joints and the head top. */
static int all_in_frame(const synth_plan *pl, int upper_only) {
    float m = 0.06f * (float)(pl->W < pl->H ? pl->W : pl->H);
    for (int t = 0; t < pl->T; t++) {
        camera cam;
        camera_at(&pl->traj, (float)t / pl->fps, &cam);
        for (int p = 0; p < pl->P; p++) {
            const float *j = pl->joints + ((size_t)p * pl->T + t) * 66;
            float pts[23 * 3], uvz[23 * 3];
            memcpy(pts, j, 66 * sizeof(float));
            pts[66] = j[45], pts[67] = j[46] + 0.13f, pts[68] = j[47]; /* top of the head */
            camera_project(&cam, pts, 23, uvz);
            for (int k = 0; k < 23; k++) {
                if (upper_only && k < 22 && !k_upper[k]) continue;
                float u = uvz[3 * k], v = uvz[3 * k + 1], z = uvz[3 * k + 2];
                if (!(z > 0.5f) || !(u >= m && u <= (float)pl->W - 1 - m && v >= m && v <= (float)pl->H - 1 - m))
                    return 0;
            }
        }
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Scene interactions: bench, trampoline, fallen trunk                                         */
/* ------------------------------------------------------------------------------------------ */

static int interaction_fits_action(int obj, int a) {
    if (obj == SCENE_OBJ_BENCH) return a == MOTION_SIT_DOWN || a == MOTION_STAND_UP;
    if (obj == SCENE_OBJ_TRAMPOLINE) return a == MOTION_JUMP || a == MOTION_HOP || a == MOTION_JUMP_FORWARD;
    if (obj == SCENE_OBJ_TRUNK) return a == MOTION_WALK || a == MOTION_JUMP_FORWARD;
    return 0;
}

/* Where the interaction object goes (computed before the scene is drawn, added after). */
typedef struct interact_place {
    float x, z, yaw;
    float seat;        /* bench: seat top height */
    float trunk_r;     /* trunk radius */
} interact_place;

/* Top of a trampoline's bed as scene_object_add builds it. */
static float trampoline_bed_top(void) {
    scene_desc loc;
    scene_init(&loc, SCENE_GROUND_GRASS, SCENE_LIGHT_BRIGHT);
    if (scene_object_add(&loc, SCENE_OBJ_TRAMPOLINE, 0, 0, 0, NULL) != MOSA_OK) {
        mosa_clear_error();
        return 0.485f;
    }
    float top = 0;
    for (int i = 0; i < loc.n_prims; i++)
        if (loc.prim[i].kind == SCENE_PRIM_CYLINDER && loc.prim[i].r > 0.5f) top = fmaxf(top, loc.prim[i].c.y + loc.prim[i].h.y);
    return top;
}

/* Bench under the seated pose of the (Tm,22,3) motion mj facing `heading`: seat top 1 cm under
 * the lowest hip joint (pelvis included), centred 5 cm behind the seated hips. */
static void place_bench(interact_place *ip, const float *mj, int Tm, float heading) {
    float lo = INFINITY, py = INFINITY;
    int ts = 0;
    for (int t = 0; t < Tm; t++) {
        const float *f = mj + (size_t)t * 66;
        lo = fminf(lo, fminf(f[1], fminf(f[4], f[7])));
        if (f[1] < py) py = f[1], ts = t;
    }
    const float *f = mj + (size_t)ts * 66;
    float hx = 0.5f * (f[3] + f[6]), hz = 0.5f * (f[5] + f[8]);
    ip->seat = lo - 0.01f;
    ip->x = hx - 0.05f * sinf(heading), ip->z = hz - 0.05f * cosf(heading), ip->yaw = heading;
}

/* Trampoline centred under the feet's footprint; 0 when a foot comes within 0.15 m of the
 * smallest bed's edge (0.85 m). */
static int place_trampoline(interact_place *ip, const float *j, int T, mosa_rng *r) {
    static const int feet[4] = {7, 8, 10, 11};
    float x0 = INFINITY, x1 = -INFINITY, z0 = INFINITY, z1 = -INFINITY;
    for (int t = 0; t < T; t++)
        for (int k = 0; k < 4; k++) {
            const float *q = j + (size_t)t * 66 + 3 * feet[k];
            x0 = fminf(x0, q[0]), x1 = fmaxf(x1, q[0]), z0 = fminf(z0, q[2]), z1 = fmaxf(z1, q[2]);
        }
    ip->x = 0.5f * (x0 + x1), ip->z = 0.5f * (z0 + z1), ip->yaw = unif(r, 0, 6.2831853f);
    for (int t = 0; t < T; t++)
        for (int k = 0; k < 4; k++) {
            const float *q = j + (size_t)t * 66 + 3 * feet[k];
            if (hypotf(q[0] - ip->x, q[2] - ip->z) > 0.85f - 0.15f) return 0;
        }
    return 1;
}

/* Distance from p to the trunk capsule (axis at height rad, half length `half`, across `yaw`). */
static float trunk_dist(const float *p, float x, float z, float yaw, float rad, float half) {
    float ax = cosf(yaw), az = -sinf(yaw); /* the trunk's axis (local +X) */
    float dx = p[0] - x, dz = p[2] - z;
    float s = dx * ax + dz * az;
    s = s < -half ? -half : s > half ? half : s;
    float qx = dx - s * ax, qz = dz - s * az, qy = p[1] - rad;
    return sqrtf(qx * qx + qy * qy + qz * qz) - rad;
}

/* A fallen trunk across the path of person 0 (the (T,22,3) joints j) that every joint of every
 * frame clears by 2 cm, crossed by the pelvis; candidates along the middle 60% of the path,
 * nearest the middle first, radius r_want then smaller ones down to 5 cm. 0 when none fits. */
static int place_trunk(interact_place *ip, const float *j, int T, float r_want) {
    enum { NC = 24 };
    if (T < 5) return 0;
    const float radii[3] = {r_want, 0.75f * r_want, 0.05f};
    for (int ri = 0; ri < 3; ri++) {
        float rad = fmaxf(radii[ri], 0.05f);
        for (int c = 0; c < NC; c++) {
            int k = NC / 2 + (c % 2 ? (c + 1) / 2 : -(c / 2)); /* middle first, alternating sides */
            if (k < 0 || k >= NC) continue;
            int t = (int)lrintf((float)(T - 1) * (0.2f + 0.6f * (float)k / (NC - 1)));
            int ta = t - 2 < 0 ? 0 : t - 2, tb = t + 2 > T - 1 ? T - 1 : t + 2;
            const float *pa = j + (size_t)ta * 66, *pb = j + (size_t)tb * 66, *pc = j + (size_t)t * 66;
            float vx = pb[0] - pa[0], vz = pb[2] - pa[2];
            if (hypotf(vx, vz) < 1e-3f) continue;
            float yaw = atan2f(vx, vz), fx = sinf(yaw), fz = cosf(yaw);
            float x = pc[0], z = pc[2];
            /* the pelvis starts on one side and ends on the other */
            float s0 = (j[0] - x) * fx + (j[2] - z) * fz;
            float s1 = (j[(size_t)(T - 1) * 66] - x) * fx + (j[(size_t)(T - 1) * 66 + 2] - z) * fz;
            if (!(s0 < -(rad + 0.1f) && s1 > rad + 0.1f)) continue;
            float clear = INFINITY;
            for (size_t i = 0; i < (size_t)T * 22 && clear >= 0.02f; i++)
                clear = fminf(clear, trunk_dist(j + 3 * i, x, z, yaw, rad, 1.2f));
            if (clear < 0.02f) continue;
            ip->x = x, ip->z = z, ip->yaw = yaw, ip->trunk_r = rad;
            return 1;
        }
    }
    return 0;
}

/* Adds the object of the interaction to the plan's scene. */
static mosa_status add_interaction(synth_plan *pl, const interact_place *ip, mosa_rng *r) {
    scene_desc *s = &pl->scene;
    int n0 = s->n_prims;
    MOSA_TRY(scene_object_add(s, pl->interaction, ip->x, ip->z, ip->yaw, r));
    if (pl->interaction == SCENE_OBJ_BENCH) { /* seat at the action's height, legs under it */
        scene_prim *seat = &s->prim[n0];
        seat->c.y = ip->seat - seat->h.y;
        float leg = 0.5f * (ip->seat - 2 * seat->h.y);
        for (int i = n0 + 1; i < s->n_prims; i++) s->prim[i].c.y = leg, s->prim[i].h.y = leg;
    } else if (pl->interaction == SCENE_OBJ_TRUNK) {
        scene_prim *q = &s->prim[n0];
        q->r = ip->trunk_r, q->a.y = q->b.y = q->c.y = ip->trunk_r;
        float half = 0.5f * v3_norm(v3_sub(q->b, q->a));
        if (half > 1.2f) { /* place_trunk checked up to 1.2 m each side */
            v3 mid = q->c, dir = v3_scale(v3_sub(q->b, q->a), 1.0f / (2 * half));
            q->a = v3_sub(mid, v3_scale(dir, 1.2f)), q->b = v3_add(mid, v3_scale(dir, 1.2f));
        }
    }
    return MOSA_OK;
}

/* Inserts `ins` into the verb phrase vp before its first comma (at its end when it has none). */
static void insert_phrase(char *vp, size_t cap, const char *ins) {
    char tmp[MOTION_CAPTION_SEQ_MAX + 128];
    const char *comma = strchr(vp, ',');
    size_t at = comma ? (size_t)(comma - vp) : strlen(vp);
    snprintf(tmp, sizeof tmp, "%.*s%s%s", (int)at, vp, ins, vp + at);
    snprintf(vp, cap, "%s", tmp);
}

void synth_plan_free(synth_plan *pl) {
    mosa_free(pl->joints);
    pl->joints = NULL;
}

mosa_status synth_plan_make(synth_plan *pl, const synth_opts *o, int index) {
    return synth_plan_make_forced(pl, o, index, NULL);
}

mosa_status synth_plan_make_forced(synth_plan *pl, const synth_opts *o, int index, const synth_force *f) {
    memset(pl, 0, sizeof *pl);
    pl->interaction = -1;
    if (f && f->action >= motion_action_count()) return mosa_fail(MOSA_ERR_ARG, "forced action %d", f->action);
    MOSA_TRY(synth_opts_check(o));
    if (index < 0) return mosa_fail(MOSA_ERR_ARG, "clip index %d", index);
    pl->index = index;
    pl->clip_seed = splitmix64(splitmix64(o->seed) ^ splitmix64(0x5EED0000ull + (uint64_t)index));
    pl->rate = 1;
    pl->W = o->width, pl->H = o->height, pl->T = o->frames, pl->fps = o->fps;
    mosa_rng rng_s, *r = &rng_s;
    rng_seed(r, pl->clip_seed);

    float secs = (float)o->frames / o->fps, mseconds = secs + 0.25f;
    float u = unif(r, 0, 1);
    pl->P = u < 0.7f ? 1 : u < 0.9f ? 2 : 3;
    int forced_action = f && f->action >= 0;
    if (forced_action) pl->P = 1;
    for (int p = 0; p < pl->P; p++) pl->styles[p] = body_style_random(r);

    motion_params ps[SYNTH_MAX_PERSONS][SYNTH_MAX_PARTS];
    float *mj = NULL;
    int Tm = 0;
    mosa_status st = MOSA_OK;
    uint64_t cap_seed = rng_u64(r);
    char sent[SYNTH_MAX_PERSONS][MOTION_CAPTION_SEQ_MAX];
    if (pl->P == 1) {
        int seq = unif(r, 0, 1) < 0.3f && !forced_action;
        for (int tries = 0; seq && tries < 6 && !mj && st == MOSA_OK; tries++) {
            /* two short actions that fit the clip together (no seated ones: they insert parts) */
            float half = (SYNTH_MAX_RATE * secs - 0.5f) * 0.5f;
            int a0 = pick_action(r, half, 0), a1 = pick_action(r, half, 0);
            unsigned seated = MOTION_F_ENDS_SEATED | MOTION_F_STARTS_SEATED;
            if ((motion_action_flags(a0) | motion_action_flags(a1)) & seated) continue;
            ps[0][0] = random_params(r, &pl->styles[0], fmaxf(half + 0.1f, motion_action_min_seconds(a0)));
            ps[0][1] = random_params(r, &pl->styles[0], fmaxf(half + 0.1f, motion_action_min_seconds(a1)));
            ps[0][1].heading = unif(r, -0.5f, 0.5f);
            int acts[2] = {a0, a1};
            st = motion_sequence(&mj, &Tm, acts, ps[0], 2);
            if (st == MOSA_OK && (float)Tm / 20.0f <= SYNTH_MAX_RATE * secs + 0.25f) {
                pl->rate = fmaxf(1.0f, ((float)Tm / 20.0f - 0.25f) / secs);
                pl->n_parts[0] = 2, pl->actions[0][0] = a0, pl->actions[0][1] = a1;
                st = motion_sequence_caption_motion(sent[0], sizeof sent[0], acts, ps[0], 2, cap_seed);
            } else {
                mosa_free(mj), mj = NULL; /* too long to be seen whole: try again, or one action */
                mosa_clear_error();
                st = MOSA_OK;
            }
        }
        if (!mj && st == MOSA_OK) {
            int a = pick_action(r, SYNTH_MAX_RATE * secs, 1);
            if (forced_action) a = f->action;
            pl->rate = fmaxf(1.0f, motion_action_min_seconds(a) / secs);
            ps[0][0] = random_params(r, &pl->styles[0], fmaxf(mseconds, motion_action_min_seconds(a) + 0.25f));
            if (a == MOTION_CLIMB_STEPS) ps[0][0].turn = 0;
            pl->n_parts[0] = 1, pl->actions[0][0] = a;
            st = motion_generate(&mj, &Tm, a, &ps[0][0]);
            if (st == MOSA_OK) st = motion_caption_motion(sent[0], sizeof sent[0], a, &ps[0][0], cap_seed);
        }
    } else {
        int acts[SYNTH_MAX_PERSONS];
        motion_params mp[SYNTH_MAX_PERSONS];
        int same = unif(r, 0, 1) < 0.5f;
        float need = mseconds;
        for (int p = 0; p < pl->P; p++) {
            acts[p] = same && p > 0 ? acts[0] : pick_action(r, SYNTH_MAX_RATE * secs, 0);
            mp[p] = random_params(r, &pl->styles[p], mseconds);
            need = fmaxf(need, motion_action_min_seconds(acts[p]));
        }
        pl->rate = fmaxf(1.0f, need / secs);
        if (need > mseconds) need += 0.25f;
        for (int p = 0; p < pl->P; p++) {
            mp[p].seconds = need;
            pl->n_parts[p] = 1, pl->actions[p][0] = acts[p], ps[p][0] = mp[p];
        }
        st = motion_scene(&mj, &Tm, NULL, pl->P, acts, mp, 1.0f, rng_u64(r));
        for (int p = 0; p < pl->P && st == MOSA_OK; p++)
            st = motion_caption_motion(sent[p], sizeof sent[p], acts[p], &mp[p], cap_seed + (uint64_t)p);
    }
    if (st != MOSA_OK) {
        mosa_free(mj);
        return mosa_fail_context(st, "clip %d: motion", index);
    }
    pl->joints = mosa_malloc((size_t)pl->P * pl->T * 66 * sizeof(float));
    if (!pl->joints) {
        mosa_free(mj);
        return MOSA_ERR_NOMEM;
    }
    pl->rate = fminf(pl->rate, SYNTH_MAX_RATE); /* clips shorter than any action show its start */
    resample(pl->joints, mj, pl->P, Tm, pl->T, pl->fps, pl->rate);

    /* scene interaction: the object goes where the motion uses it (placed now, added after
     * scene_random; a trampoline raises the motion onto its bed) */
    interact_place ip;
    memset(&ip, 0, sizeof ip);
    if (pl->P == 1 && pl->n_parts[0] == 1) {
        int a0 = pl->actions[0][0], want = -1;
        if (a0 == MOTION_SIT_DOWN || a0 == MOTION_STAND_UP) want = SCENE_OBJ_BENCH;
        else if (a0 == MOTION_JUMP || a0 == MOTION_HOP) want = unif(r, 0, 1) < 0.5f ? SCENE_OBJ_TRAMPOLINE : -1;
        else if (a0 == MOTION_JUMP_FORWARD) {
            float w = unif(r, 0, 1);
            want = w < 0.3f ? SCENE_OBJ_TRAMPOLINE : w < 0.6f ? SCENE_OBJ_TRUNK : -1;
        } else if (a0 == MOTION_WALK)
            want = unif(r, 0, 1) < 0.35f ? SCENE_OBJ_TRUNK : -1;
        if (f && f->interaction != -2) want = interaction_fits_action(f->interaction, a0) ? f->interaction : -1;
        float trunk_r = unif(r, 0.07f, 0.12f);
        int ok = 0;
        if (want == SCENE_OBJ_BENCH) place_bench(&ip, mj, Tm, ps[0][0].heading), ok = 1;
        else if (want == SCENE_OBJ_TRAMPOLINE) ok = place_trampoline(&ip, pl->joints, pl->T, r);
        else if (want == SCENE_OBJ_TRUNK) ok = place_trunk(&ip, pl->joints, pl->T, trunk_r);
        if (ok) pl->interaction = want;
        if (pl->interaction == SCENE_OBJ_TRAMPOLINE) {
            pl->lift = trampoline_bed_top();
            for (int i = 0; i < pl->T * 22; i++) pl->joints[3 * i + 1] += pl->lift;
        }
    }
    mosa_free(mj);

    /* the people's area */
    double cx = 0, cz = 0;
    for (int p = 0; p < pl->P; p++)
        for (int t = 0; t < pl->T; t++) {
            const float *j = pl->joints + ((size_t)p * pl->T + t) * 66;
            cx += j[0], cz += j[2];
        }
    cx /= (double)(pl->P * pl->T), cz /= (double)(pl->P * pl->T);
    float rad = 0, miny = INFINITY, maxy = -INFINITY;
    for (size_t i = 0; i < (size_t)pl->P * pl->T * 22; i++) {
        const float *q = pl->joints + 3 * i;
        rad = fmaxf(rad, hypotf(q[0] - (float)cx, q[2] - (float)cz));
        miny = fminf(miny, q[1]), maxy = fmaxf(maxy, q[1]);
    }
    pl->radius = rad + 0.5f;
    pl->center = v3_make((float)cx, 0.5f * (miny + maxy), (float)cz);

    /* half-body framing: single-person clips whose action does not travel, without an object */
    if (pl->P == 1 && pl->n_parts[0] == 1 && pl->interaction < 0 &&
        !(motion_action_flags(pl->actions[0][0]) & MOTION_F_TRAVELS))
        pl->half_body = unif(r, 0, 1) < 0.2f;
    if (f && f->half_body >= 0) pl->half_body = f->half_body != 0;
    if (pl->half_body) { /* the camera aims at the chest (mean height of spine3) */
        double cy = 0;
        for (int t = 0; t < pl->T; t++) cy += pl->joints[(size_t)t * 66 + 3 * 9 + 1];
        pl->center.y = (float)(cy / pl->T);
    }

    /* camera */
    float heading_deg = ps[0][0].heading / DEG;
    pl->elev = unif(r, 0, 25);
    float v = unif(r, 0, 1);
    pl->azim_rel = v < 0.85f ? unif(r, -60, 60) : (unif(r, 0, 1) < 0.5f ? -1.0f : 1.0f) * unif(r, 60, 180);
    pl->azim = heading_deg + pl->azim_rel;
    pl->fov = unif(r, 40, 55);
    float w = unif(r, 0, 1);
    pl->trajectory = "fixed", pl->traj_amount = 0;
    if (w >= 0.6f && w < 0.75f) pl->trajectory = "orbit", pl->traj_amount = unif(r, 10, 30);
    else if (w >= 0.75f && w < 0.85f) pl->trajectory = unif(r, 0, 1) < 0.5f ? "pan-left" : "pan-right", pl->traj_amount = unif(r, 0.3f, 0.8f);
    else if (w >= 0.85f && w < 0.93f) pl->trajectory = "zoom-in", pl->traj_amount = unif(r, 0.7f, 0.85f);
    else if (w >= 0.93f) pl->trajectory = "zoom-out", pl->traj_amount = unif(r, 1.2f, 1.4f);
    float slack = unif(r, 1.0f, 1.25f);
    float d = 1.5f;
    if (pl->half_body) slack = 1.0f + 0.4f * (slack - 1.0f), d = 0.8f;
    MOSA_TRY(build_traj(pl, d));
    while (d < 60.0f && !all_in_frame(pl, pl->half_body)) {
        d *= 1.08f;
        MOSA_TRY(build_traj(pl, d));
    }
    pl->dist = clampf(d * slack, 1.0f, 80.0f);
    MOSA_TRY(build_traj(pl, pl->dist));

    /* scene */
    scene_random_opts so = scene_random_opts_default();
    so.center = v3_make(pl->center.x, 0, pl->center.z);
    so.radius = pl->radius;
    so.cam_azim = pl->azim;
    int stairs = pl->n_parts[0] == 1 && pl->actions[0][0] == MOTION_CLIMB_STEPS;
    if (stairs) so.n_objects = 1;
    if (pl->interaction == SCENE_OBJ_TRAMPOLINE) /* other objects stay clear of the frame */
        so.radius = fmaxf(so.radius, hypotf(ip.x - so.center.x, ip.z - so.center.z) + 1.4f);
    else if (pl->interaction >= 0)
        so.radius = fmaxf(so.radius, hypotf(ip.x - so.center.x, ip.z - so.center.z) + 1.3f);
    scene_random(&pl->scene, r, &so);
    if (pl->interaction >= 0) {
        mosa_status is = add_interaction(pl, &ip, r);
        if (is != MOSA_OK) return mosa_fail_context(is, "clip %d: %s", index, k_object_names[pl->interaction]);
    }
    if (stairs) {
        const motion_params *mp = &ps[0][0];
        float s = mp->height / 1.70f, tread = 0.30f * s, first = 0.27f * s;
        float fwd = 0;
        for (int t = 0; t < Tm && t < pl->T; t++) {
            const float *j = pl->joints + (size_t)t * 66;
            fwd = fmaxf(fwd, j[0] * sinf(mp->heading) + j[2] * cosf(mp->heading));
        }
        int n = (int)ceilf((fwd + 0.6f - first) / tread) + 1;
        n = n < 2 ? 2 : n > 16 ? 16 : n;
        mosa_status ss = scene_stairs_add(&pl->scene, mp->heading, 0.16f * s * (0.8f + 0.2f * mp->amplitude), tread,
                                          first, 1.2f * s, n, 1.0f);
        if (ss != MOSA_OK) return mosa_fail_context(ss, "clip %d: stairs", index);
    }

    /* captions */
    const char *light = k_light_phrases[pl->scene.light], *ground = k_ground_phrases[pl->scene.ground];
    char clothes[SYNTH_MAX_PERSONS][400], vp[SYNTH_MAX_PERSONS][MOTION_CAPTION_SEQ_MAX];
    for (int p = 0; p < pl->P; p++) {
        describe_clothes(clothes[p], sizeof clothes[p], &pl->styles[p]);
        verb_phrase(vp[p], sizeof vp[p], sent[p]);
    }
    if (pl->interaction >= 0) {
        int a0 = pl->actions[0][0], alt = (int)((cap_seed >> 17) & 1);
        if (a0 == MOTION_SIT_DOWN)
            snprintf(vp[0], sizeof vp[0], "%s", alt ? "takes a seat on the bench" : "sits down on the bench");
        else if (a0 == MOTION_STAND_UP)
            snprintf(vp[0], sizeof vp[0], "%s", alt ? "gets up from the bench" : "stands up from the bench");
        else if (pl->interaction == SCENE_OBJ_TRAMPOLINE)
            insert_phrase(vp[0], sizeof vp[0], " on the trampoline");
        else if (a0 == MOTION_WALK)
            insert_phrase(vp[0], sizeof vp[0], strncmp(vp[0], "is ", 3) ? " and steps over the fallen trunk"
                                                                         : " and stepping over the fallen trunk");
        else
            insert_phrase(vp[0], sizeof vp[0], " over the fallen trunk");
    }
    if (pl->P == 1) {
        snprintf(pl->caption, sizeof pl->caption, "A %s in %s %s %s, %s.", is_woman(&pl->styles[0]) ? "woman" : "man",
                 clothes[0], vp[0], ground, light);
        snprintf(pl->motion_caption, sizeof pl->motion_caption, "%s", sent[0]);
    } else {
        int nw = 0;
        for (int p = 0; p < pl->P; p++) nw += is_woman(&pl->styles[p]);
        int unique = (pl->P == 2 && nw == 1);
        static const char *const ord[] = {"first", "second", "third"};
        size_t n = 0, cap = sizeof pl->caption;
        n += (size_t)snprintf(pl->caption + n, cap - n, "%s people, ", k_number_words[pl->P]);
        for (int p = 0; p < pl->P && n < cap; p++)
            n += (size_t)snprintf(pl->caption + n, cap - n, "%sa %s in %s", p == 0 ? "" : p == pl->P - 1 ? " and " : ", ",
                                  is_woman(&pl->styles[p]) ? "woman" : "man", clothes[p]);
        if (n < cap) n += (size_t)snprintf(pl->caption + n, cap - n, ", are %s: ", ground);
        for (int p = 0; p < pl->P && n < cap; p++) {
            const char *g = is_woman(&pl->styles[p]) ? "woman" : "man";
            const char *sep = p == 0 ? "" : p == pl->P - 1 ? " and " : ", ";
            if (unique) n += (size_t)snprintf(pl->caption + n, cap - n, "%sthe %s %s", sep, g, vp[p]);
            else n += (size_t)snprintf(pl->caption + n, cap - n, "%sthe %s %s %s", sep, ord[p], g, vp[p]);
        }
        if (n < cap) snprintf(pl->caption + n, cap - n, ", %s.", light);
        size_t m = 0;
        for (int p = 0; p < pl->P && m < sizeof pl->motion_caption; p++)
            m += (size_t)snprintf(pl->motion_caption + m, sizeof pl->motion_caption - m, "%s%s", p ? " " : "", sent[p]);
    }
    return MOSA_OK;
}

void synth_plan_camera(const synth_plan *pl, int t, camera *cam, float *K, float *Rt) {
    camera_at(&pl->traj, (float)t / pl->fps, cam);
    if (K) {
        const float k[9] = {cam->focal, 0, cam->cx, 0, cam->focal, cam->cy, 0, 0, 1};
        memcpy(K, k, sizeof k);
    }
    if (Rt) {
        v3 rows[3] = {cam->right, v3_scale(cam->up, -1.0f), cam->fwd};
        for (int i = 0; i < 3; i++) {
            Rt[4 * i + 0] = rows[i].x, Rt[4 * i + 1] = rows[i].y, Rt[4 * i + 2] = rows[i].z;
            Rt[4 * i + 3] = -v3_dot(rows[i], cam->eye);
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* JSON                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static double r4(float x) { return round((double)x * 1e4) / 1e4; }

static cJSON *vec_json(v3 v) {
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateNumber(r4(v.x)));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(r4(v.y)));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(r4(v.z)));
    return a;
}

static mosa_status json_write(const char *path, cJSON *root) {
    char *s = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!s) return mosa_fail(MOSA_ERR_NOMEM, "%s: out of memory", path);
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return mosa_fail(MOSA_ERR_NOMEM, "%s: out of memory", path);
    }
    t[n] = '\n', t[n + 1] = 0;
    mosa_status st = file_write_atomic(path, t, n + 1);
    free(t);
    return st;
}

static cJSON *scene_json(const synth_plan *pl) {
    const scene_desc *s = &pl->scene;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ground", k_ground_names[s->ground]);
    cJSON_AddStringToObject(o, "light", k_light_names[s->light]);
    cJSON *L = cJSON_AddObjectToObject(o, "lighting");
    cJSON_AddItemToObject(L, "sun_dir", vec_json(s->L.sun_dir));
    cJSON_AddItemToObject(L, "sun", vec_json(s->L.sun));
    cJSON_AddItemToObject(L, "ambient", vec_json(s->L.ambient));
    if (s->has_wall) {
        cJSON *w = cJSON_AddObjectToObject(o, "wall");
        cJSON_AddItemToObject(w, "point", vec_json(s->wall_p));
        cJSON_AddItemToObject(w, "normal", vec_json(s->wall_n));
        cJSON_AddNumberToObject(w, "height", r4(s->wall_h));
        cJSON_AddItemToObject(w, "color", vec_json(s->wall_color));
    }
    cJSON *a = cJSON_AddArrayToObject(o, "primitives");
    for (int i = 0; i < s->n_prims; i++) {
        const scene_prim *q = &s->prim[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "kind", q->kind == SCENE_PRIM_BOX ? "box" : q->kind == SCENE_PRIM_CYLINDER ? "cylinder" : "capsule");
        cJSON_AddStringToObject(e, "object", q->object >= 0 && q->object < SCENE_OBJ_COUNT ? k_object_names[q->object] : "?");
        if (q->kind == SCENE_PRIM_BOX) {
            cJSON_AddItemToObject(e, "position", vec_json(q->c));
            cJSON_AddItemToObject(e, "half_size", vec_json(q->h));
            cJSON_AddNumberToObject(e, "yaw", r4(q->yaw));
        } else if (q->kind == SCENE_PRIM_CYLINDER) {
            cJSON_AddItemToObject(e, "position", vec_json(q->c));
            cJSON_AddNumberToObject(e, "radius", r4(q->r));
            cJSON_AddNumberToObject(e, "half_height", r4(q->h.y));
        } else {
            cJSON_AddItemToObject(e, "a", vec_json(q->a));
            cJSON_AddItemToObject(e, "b", vec_json(q->b));
            cJSON_AddNumberToObject(e, "radius", r4(q->r));
        }
        cJSON_AddItemToObject(e, "color", vec_json(q->color));
        cJSON_AddItemToArray(a, e);
    }
    return o;
}

static cJSON *meta_json(const synth_plan *pl, const synth_opts *o) {
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "caption", pl->caption);
    cJSON_AddStringToObject(m, "motion_caption", pl->motion_caption);
    cJSON_AddNumberToObject(m, "frames", pl->T);
    cJSON_AddNumberToObject(m, "fps", r4(pl->fps));
    cJSON_AddNumberToObject(m, "width", pl->W);
    cJSON_AddNumberToObject(m, "height", pl->H);
    cJSON_AddNumberToObject(m, "persons", pl->P);
    cJSON_AddNumberToObject(m, "seed", (double)o->seed);
    cJSON_AddNumberToObject(m, "index", pl->index);
    cJSON_AddNumberToObject(m, "motion_rate", r4(pl->rate));
    cJSON_AddStringToObject(m, "framing", pl->half_body ? "half" : "full");
    cJSON_AddStringToObject(m, "interaction", pl->interaction >= 0 ? k_object_names[pl->interaction] : "none");
    if (pl->lift > 0) cJSON_AddNumberToObject(m, "lift", r4(pl->lift));
    cJSON *acts = cJSON_AddArrayToObject(m, "actions");
    for (int p = 0; p < pl->P; p++) {
        cJSON *pa = cJSON_CreateArray();
        for (int k = 0; k < pl->n_parts[p]; k++) cJSON_AddItemToArray(pa, cJSON_CreateString(motion_action_name(pl->actions[p][k])));
        cJSON_AddItemToArray(acts, pa);
    }
    cJSON *c = cJSON_AddObjectToObject(m, "camera");
    cJSON_AddNumberToObject(c, "elev", r4(pl->elev));
    cJSON_AddNumberToObject(c, "azim", r4(pl->azim));
    cJSON_AddNumberToObject(c, "azim_rel", r4(pl->azim_rel));
    cJSON_AddNumberToObject(c, "dist", r4(pl->dist));
    cJSON_AddNumberToObject(c, "fov", r4(pl->fov));
    cJSON_AddStringToObject(c, "trajectory", pl->trajectory);
    cJSON_AddNumberToObject(c, "amount", r4(pl->traj_amount));
    cJSON_AddStringToObject(m, "ground", k_ground_names[pl->scene.ground]);
    cJSON_AddStringToObject(m, "light", k_light_names[pl->scene.light]);
    cJSON_AddNumberToObject(m, "body_points", SYNTH_BODY_POINTS);
    cJSON_AddNumberToObject(m, "background_points", SYNTH_BG_POINTS);
    return m;
}

/* ------------------------------------------------------------------------------------------ */
/* Writing a clip                                                                              */
/* ------------------------------------------------------------------------------------------ */

static mosa_status mkdir_p1(const char *path) {
    if (mkdir(path, 0755) == 0 || errno == EEXIST) return MOSA_OK;
    return mosa_fail(MOSA_ERR_IO, "cannot create %s: %s", path, strerror(errno));
}

/* Removes "<name>.tmp.<pid>" leftovers of an interrupted writer in dir. */
static void remove_temporaries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
}

typedef struct clip_buffers {
    float *kp, *Ks, *Rts, *tracks, *depth, *bg;
    uint8_t *masks, *vis, *contacts;
    body_point *bp;
    image rgb, skel;
} clip_buffers;

static void buffers_free(clip_buffers *b) {
    mosa_free(b->kp), mosa_free(b->Ks), mosa_free(b->Rts), mosa_free(b->tracks), mosa_free(b->depth);
    mosa_free(b->bg), mosa_free(b->masks), mosa_free(b->vis), mosa_free(b->contacts), mosa_free(b->bp);
    image_free(&b->rgb), image_free(&b->skel);
}

static mosa_status write_npys(const char *dir, const synth_plan *pl, const clip_buffers *b, int N) {
    char path[4096];
    const int64_t P = pl->P, T = pl->T, H = pl->H, W = pl->W;
#define NPY(name, fn, data, ...)                                                      \
    do {                                                                              \
        const int64_t sh[] = {__VA_ARGS__};                                           \
        snprintf(path, sizeof path, "%s/" name, dir);                                 \
        MOSA_TRY(fn(path, data, sh, (int)(sizeof sh / sizeof sh[0])));                \
    } while (0)
    NPY("masks.npy", npy_write_u8, b->masks, T, H, W);
    NPY("depth.npy", npy_write_f32, b->depth, T, H, W);
    NPY("keypoints2d.npy", npy_write_f32, b->kp, P, T, 18, 3);
    NPY("joints3d.npy", npy_write_f32, pl->joints, P, T, 22, 3);
    NPY("camera_K.npy", npy_write_f32, b->Ks, T, 3, 3);
    NPY("camera_Rt.npy", npy_write_f32, b->Rts, T, 3, 4);
    NPY("tracks.npy", npy_write_f32, b->tracks, (int64_t)N, T, 2);
    NPY("tracks_visible.npy", npy_write_u8, b->vis, (int64_t)N, T);
    NPY("contacts.npy", npy_write_u8, b->contacts, P, T, 22);
#undef NPY
    return MOSA_OK;
}

static mosa_status render_clip(const char *dir, const synth_plan *pl, clip_buffers *b, video_writer *vw,
                               video_writer *sw, int png_frames) {
    const int P = pl->P, T = pl->T, W = pl->W, H = pl->H, N = P * SYNTH_BODY_POINTS + SYNTH_BG_POINTS;
    const size_t HW = (size_t)W * H;
    b->kp = mosa_malloc((size_t)P * T * 18 * 3 * sizeof(float));
    b->Ks = mosa_malloc((size_t)T * 9 * sizeof(float));
    b->Rts = mosa_malloc((size_t)T * 12 * sizeof(float));
    b->tracks = mosa_malloc((size_t)N * T * 2 * sizeof(float));
    b->depth = mosa_malloc(HW * T * sizeof(float));
    b->bg = mosa_malloc((size_t)SYNTH_BG_POINTS * 3 * sizeof(float));
    b->masks = mosa_malloc(HW * T);
    b->vis = mosa_malloc((size_t)N * T);
    b->contacts = mosa_malloc((size_t)P * T * 22);
    b->bp = mosa_malloc(SYNTH_BODY_POINTS * sizeof(body_point));
    if (!b->kp || !b->Ks || !b->Rts || !b->tracks || !b->depth || !b->bg || !b->masks || !b->vis || !b->contacts || !b->bp)
        return MOSA_ERR_NOMEM;
    MOSA_TRY(image_alloc(&b->rgb, W, H));
    MOSA_TRY(image_alloc(&b->skel, W, H));
    body_points_sample(b->bp, SYNTH_BODY_POINTS, pl->clip_seed);
    scene_points_sample(&pl->scene, b->bg, SYNTH_BG_POINTS, pl->center, pl->radius + 2.0f, pl->clip_seed ^ 0xB6);

    char vpath[4096], spath[4096], params[256];
    snprintf(vpath, sizeof vpath, "%s/video.mp4", dir);
    snprintf(spath, sizeof spath, "%s/skeleton.mp4", dir);
    snprintf(params, sizeof params, "mosa dataset synth clip %d", pl->index);
    MOSA_TRY(video_writer_open(vw, vpath, W, H, pl->fps, params));
    MOSA_TRY(video_writer_open(sw, spath, W, H, pl->fps, params));
    draw_opts dopt = draw_opts_default();
    /* the default stick (half-width 4) and joint radius (4) suit 512 px frames: scale them with
     * the frame, round(4 min(W,H) / 512), at least 1 (1 at 128 px, 2 at 256, 4 at 512) */
    int stick = (int)lrintf(4.0f * (float)(W < H ? W : H) / 512.0f);
    dopt.stickwidth = dopt.radius = stick < 1 ? 1 : stick;

    for (int t = 0; t < T; t++) {
        camera cam;
        synth_plan_camera(pl, t, &cam, b->Ks + (size_t)t * 9, b->Rts + (size_t)t * 12);
        float fj[SYNTH_MAX_PERSONS * 66];
        const float *bodies[SYNTH_MAX_PERSONS];
        for (int p = 0; p < P; p++) {
            memcpy(fj + p * 66, pl->joints + ((size_t)p * T + t) * 66, 66 * sizeof(float));
            bodies[p] = fj + p * 66;
        }
        uint8_t *mask = b->masks + HW * t;
        float *dep = b->depth + HW * t;
        MOSA_TRY(scene_render(&b->rgb, mask, dep, &pl->scene, &cam, fj, pl->styles, P, (float)t / pl->fps));
        MOSA_TRY(video_writer_add(vw, &b->rgb));
        if (png_frames) { /* lossless raw frames beside the MP4 */
            char fpath[4200];
            snprintf(fpath, sizeof fpath, "%s/frames", dir);
            if (t == 0 && mkdir(fpath, 0755) != 0 && errno != EEXIST)
                return mosa_fail(MOSA_ERR_IO, "cannot create '%s': %s", fpath, strerror(errno));
            snprintf(fpath, sizeof fpath, "%s/frames/%04d.png", dir, t);
            MOSA_TRY(png_write(fpath, &b->rgb, NULL));
        }

        /* keypoints and the skeleton frame */
        float kp2[SYNTH_MAX_PERSONS * 18 * 2], conf[SYNTH_MAX_PERSONS * 18];
        for (int p = 0; p < P; p++) {
            float op[18 * 3];
            map_smpl22_to_op18(op, NULL, fj + p * 66);
            project_keypoints_multi(&cam, op, 18, bodies, P, NULL, kp2 + p * 36, conf + p * 18);
            for (int k = 0; k < 18; k++) {
                float *o = b->kp + (((size_t)p * T + t) * 18 + k) * 3;
                o[0] = kp2[p * 36 + 2 * k], o[1] = kp2[p * 36 + 2 * k + 1], o[2] = conf[p * 18 + k];
            }
        }
        MOSA_TRY(draw_skeleton(&b->skel, kp2, conf, P, &dopt));
        MOSA_TRY(video_writer_add(sw, &b->skel));

        /* tracks and contacts */
        for (int p = 0; p < P; p++) {
            body_shape bs;
            body_shape_build(&bs, fj + p * 66, &pl->styles[p]);
            for (int k = 0; k < SYNTH_BODY_POINTS; k++) {
                int n = p * SYNTH_BODY_POINTS + k;
                float uvz[3];
                b->vis[(size_t)n * T + t] =
                    (uint8_t)scene_point_visible(&cam, dep, mask, p + 1, body_point_world(&bs, b->bp[k]), 0.05f, uvz);
                b->tracks[((size_t)n * T + t) * 2] = uvz[0], b->tracks[((size_t)n * T + t) * 2 + 1] = uvz[1];
            }
            for (int k = 0; k < 22; k++)
                b->contacts[((size_t)p * T + t) * 22 + k] =
                    scene_sdf(&pl->scene, v3_load(fj + p * 66 + 3 * k), NULL) < SYNTH_CONTACT_DIST;
        }
        for (int k = 0; k < SYNTH_BG_POINTS; k++) {
            int n = P * SYNTH_BODY_POINTS + k;
            float uvz[3];
            b->vis[(size_t)n * T + t] = (uint8_t)scene_point_visible(&cam, dep, mask, 0, v3_load(b->bg + 3 * k), 0.05f, uvz);
            b->tracks[((size_t)n * T + t) * 2] = uvz[0], b->tracks[((size_t)n * T + t) * 2 + 1] = uvz[1];
        }
    }
    MOSA_TRY(video_writer_close(vw));
    MOSA_TRY(video_writer_close(sw));
    MOSA_TRY(write_npys(dir, pl, b, N));
    return MOSA_OK;
}

mosa_status synth_clip_write(const char *dir, const synth_opts *o, int index) {
    MOSA_TRY(mkdir_p1(dir));
    remove_temporaries(dir);
    synth_plan pl;
    mosa_status st = synth_plan_make(&pl, o, index);
    if (st != MOSA_OK) {
        synth_plan_free(&pl);
        return st;
    }
    clip_buffers b;
    memset(&b, 0, sizeof b);
    video_writer vw, sw;
    memset(&vw, 0, sizeof vw), memset(&sw, 0, sizeof sw);
    st = render_clip(dir, &pl, &b, &vw, &sw, o->png_frames);
    video_writer_abort(&vw), video_writer_abort(&sw);
    char path[4096];
    if (st == MOSA_OK) {
        snprintf(path, sizeof path, "%s/scene.json", dir);
        st = json_write(path, scene_json(&pl));
    }
    if (st == MOSA_OK) {
        snprintf(path, sizeof path, "%s/meta.json", dir);
        st = json_write(path, meta_json(&pl, o));
    }
    buffers_free(&b);
    synth_plan_free(&pl);
    if (st != MOSA_OK) mosa_fail_context(st, "clip %d (%s)", index, dir);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* The dataset                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* Refuses an existing dataset.json written with other parameters. */
static mosa_status check_existing(const char *path, const synth_opts *o) {
    uint8_t *buf = NULL;
    size_t n = 0;
    if (access(path, F_OK) != 0) return MOSA_OK;
    MOSA_TRY(file_read_all(path, 1 << 20, &buf, &n));
    cJSON *j = cJSON_ParseWithLength((const char *)buf, n);
    mosa_free(buf);
    if (!j) return mosa_fail(MOSA_ERR_FORMAT, "%s: not JSON", path);
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(j, "seed"), *w = cJSON_GetObjectItemCaseSensitive(j, "width"),
                *h = cJSON_GetObjectItemCaseSensitive(j, "height"), *f = cJSON_GetObjectItemCaseSensitive(j, "frames"),
                *fps = cJSON_GetObjectItemCaseSensitive(j, "fps"), *g = cJSON_GetObjectItemCaseSensitive(j, "generator");
    int ok = cJSON_IsString(g) && !strcmp(g->valuestring, "mosa dataset synth") && cJSON_IsNumber(seed) &&
             seed->valuedouble == (double)o->seed && cJSON_IsNumber(w) && w->valueint == o->width && cJSON_IsNumber(h) &&
             h->valueint == o->height && cJSON_IsNumber(f) && f->valueint == o->frames && cJSON_IsNumber(fps) &&
             fabs(fps->valuedouble - r4(o->fps)) < 1e-6;
    cJSON_Delete(j);
    if (!ok)
        return mosa_fail(MOSA_ERR_MISMATCH, "%s was written by another generator run (other seed, size, frames or fps): "
                         "use another output directory or the same parameters", path);
    return MOSA_OK;
}

mosa_status synth_dataset_write(const char *root, const synth_opts *o, synth_progress_fn progress, void *user,
                                int *generated) {
    if (generated) *generated = 0;
    MOSA_TRY(synth_opts_check(o));
    if (o->seed > (1ull << 53)) return mosa_fail(MOSA_ERR_ARG, "seed %llu: at most 2^53 (stored in JSON)", (unsigned long long)o->seed);
    char path[4096];
    MOSA_TRY(mkdir_p1(root));
    snprintf(path, sizeof path, "%s/dataset.json", root);
    MOSA_TRY(check_existing(path, o));
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "format", DATASET_FORMAT);
    cJSON_AddNumberToObject(d, "clips", o->n);
    cJSON_AddStringToObject(d, "generator", "mosa dataset synth");
    cJSON_AddStringToObject(d, "name", "MoVid-syn");
    cJSON_AddNumberToObject(d, "seed", (double)o->seed);
    cJSON_AddNumberToObject(d, "width", o->width);
    cJSON_AddNumberToObject(d, "height", o->height);
    cJSON_AddNumberToObject(d, "frames", o->frames);
    cJSON_AddNumberToObject(d, "fps", r4(o->fps));
    cJSON_AddNumberToObject(d, "body_points", SYNTH_BODY_POINTS);
    cJSON_AddNumberToObject(d, "background_points", SYNTH_BG_POINTS);
    MOSA_TRY(json_write(path, d));
    snprintf(path, sizeof path, "%s/clips", root);
    MOSA_TRY(mkdir_p1(path));

    int nt = o->threads > 0 ? o->threads : threads_get();
    if (nt > o->n) nt = o->n;
    int done = 0, gen = 0, first_bad = -1;
    char err[1024] = "";
    mosa_status first_st = MOSA_OK;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
#endif
    for (int i = 0; i < o->n; i++) {
        char dir[4096], meta[4200];
        snprintf(dir, sizeof dir, "%s/clips/%06d", root, i);
        snprintf(meta, sizeof meta, "%s/meta.json", dir);
        int made = 0;
        mosa_status st = MOSA_OK;
        if (access(meta, F_OK) != 0) {
            st = synth_clip_write(dir, o, i);
            made = st == MOSA_OK;
        }
#ifdef _OPENMP
#pragma omp critical(synth_progress)
#endif
        {
            done++, gen += made;
            if (st != MOSA_OK && (first_bad < 0 || i < first_bad)) {
                first_bad = i, first_st = st;
                snprintf(err, sizeof err, "%s", mosa_last_error());
            }
            if (progress) progress(user, done, o->n, gen);
        }
    }
    if (generated) *generated = gen;
    if (first_bad >= 0) return mosa_fail(first_st, "%s", err);
    return MOSA_OK;
}
