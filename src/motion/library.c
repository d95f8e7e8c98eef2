/* library.c: the action table, motion_generate, sequences with transitions, multi-person scenes
 * and the plausibility metrics (see library.h). The actions themselves are in actions_*.c. */
#include "actions_common.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* The action table                                                                           */
/* ------------------------------------------------------------------------------------------ */

typedef struct maction_info {
    const char *name;
    maction_fn fn;
    unsigned flags;
    float min_seconds;
} maction_info;

enum {
    F_SIDED = MOTION_F_SIDED, F_TRAV = MOTION_F_TRAVELS, F_TURNS = MOTION_F_TURNS, F_FLY = MOTION_F_FLIGHT,
    F_SLIDE = MOTION_F_SLIDES, F_HANDS = MOTION_F_HANDS_FLOOR, F_REPS = MOTION_F_REPEATS,
    F_END_SEAT = MOTION_F_ENDS_SEATED, F_START_SEAT = MOTION_F_STARTS_SEATED
};

static const maction_info mlib_actions[MOTION_ACTION_COUNT] = {
    [MOTION_IDLE] = {"idle", act_idle, 0, 1.0f},
    [MOTION_WALK] = {"walk", act_walk, F_TRAV | F_TURNS, 1.5f},
    [MOTION_JOG] = {"jog", act_jog, F_TRAV | F_TURNS | F_FLY, 1.5f},
    [MOTION_RUN] = {"run", act_run, F_TRAV | F_TURNS | F_FLY, 1.5f},
    [MOTION_MARCH] = {"march", act_march, F_TRAV | F_TURNS, 1.5f},
    [MOTION_SIDE_STEP] = {"side_step", act_side_step, F_SIDED | F_TRAV, 1.5f},
    [MOTION_CROUCH_WALK] = {"crouch_walk", act_crouch_walk, F_TRAV | F_TURNS, 2.0f},
    [MOTION_WALK_BACKWARD] = {"walk_backward", act_walk_backward, F_TRAV | F_TURNS, 1.5f},
    [MOTION_CLIMB_STEPS] = {"climb_steps", act_climb_steps, F_TRAV, 2.0f},
    [MOTION_TURN_AROUND] = {"turn_around", act_turn_around, F_SIDED | F_TURNS, 1.5f},
    [MOTION_SPIN] = {"spin", act_spin, F_SIDED, 2.0f},
    [MOTION_SKATE_GLIDE] = {"skate_glide", act_skate, F_TRAV | F_TURNS | F_SLIDE, 2.0f},
    [MOTION_DANCE] = {"dance", act_dance, F_SIDED, 2.0f},
    [MOTION_JUMP] = {"jump", act_jump, F_FLY | F_REPS, 2.0f},
    [MOTION_JUMP_FORWARD] = {"jump_forward", act_jump_forward, F_TRAV | F_FLY | F_REPS, 2.2f},
    [MOTION_HOP] = {"hop", act_hop, F_SIDED | F_FLY | F_REPS, 2.0f},
    [MOTION_JUMPING_JACKS] = {"jumping_jacks", act_jumping_jacks, F_FLY | F_REPS, 2.0f},
    [MOTION_SQUAT] = {"squat", act_squat, F_REPS, 2.6f},
    [MOTION_LUNGE] = {"lunge", act_lunge, F_SIDED | F_REPS, 3.0f},
    [MOTION_FRONT_KICK] = {"front_kick", act_front_kick, F_SIDED | F_REPS, 1.8f},
    [MOTION_SIDE_KICK] = {"side_kick", act_side_kick, F_SIDED | F_REPS, 1.8f},
    [MOTION_LEG_STRETCH] = {"leg_stretch", act_leg_stretch, F_SIDED, 3.0f},
    [MOTION_TREE_POSE] = {"tree_pose", act_tree_pose, F_SIDED, 3.0f},
    [MOTION_WARRIOR] = {"warrior_pose", act_warrior, F_SIDED, 3.0f},
    [MOTION_SIT_DOWN] = {"sit_down", act_sit_down, F_END_SEAT, 1.5f},
    [MOTION_STAND_UP] = {"stand_up", act_stand_up, F_START_SEAT, 1.5f},
    [MOTION_PUNCH] = {"punch", act_punch, F_SIDED | F_REPS, 2.2f},
    [MOTION_WAVE] = {"wave", act_wave, F_SIDED, 1.5f},
    [MOTION_WAVE_BOTH] = {"wave_both", act_wave_both, 0, 1.5f},
    [MOTION_CLAP] = {"clap", act_clap, F_REPS, 1.3f},
    [MOTION_RAISE_ARMS] = {"raise_arms", act_raise_arms, F_REPS, 2.6f},
    [MOTION_SIDE_STRETCH] = {"side_stretch", act_side_stretch, F_SIDED, 2.5f},
    [MOTION_TOE_TOUCH] = {"toe_touch", act_toe_touch, F_REPS, 3.3f},
    [MOTION_BOW] = {"bow", act_bow, F_REPS, 3.0f},
    [MOTION_THROW] = {"throw", act_throw, F_SIDED, 2.0f},
    [MOTION_PUSH_UP] = {"push_up", act_push_up, F_HANDS | F_REPS, 5.6f},
    [MOTION_CARTWHEEL] = {"cartwheel", act_cartwheel, F_SIDED | F_TRAV | F_HANDS, 2.5f},
    [MOTION_KNEEL] = {"kneel", act_kneel, F_SIDED, 3.0f},
};

int motion_action_count(void) { return MOTION_ACTION_COUNT; }

const char *motion_action_name(int a) { return a >= 0 && a < MOTION_ACTION_COUNT ? mlib_actions[a].name : NULL; }

int motion_action_find(const char *name) {
    if (!name) return -1;
    for (int a = 0; a < MOTION_ACTION_COUNT; a++)
        if (strcmp(mlib_actions[a].name, name) == 0) return a;
    return -1;
}

unsigned motion_action_flags(int a) { return a >= 0 && a < MOTION_ACTION_COUNT ? mlib_actions[a].flags : 0; }

float motion_action_min_seconds(int a) { return a >= 0 && a < MOTION_ACTION_COUNT ? mlib_actions[a].min_seconds : 0; }

int motion_action_reps(int action, const motion_params *p) {
    if (action < 0 || action >= MOTION_ACTION_COUNT || !p || !(mlib_actions[action].flags & F_REPS)) return 0;
    return mg_reps(action, p);
}

motion_params motion_params_default(void) {
    motion_params p;
    memset(&p, 0, sizeof p);
    p.seconds = 4.0f;
    p.speed = 1.0f;
    p.amplitude = 1.0f;
    p.height = KIN_DEFAULT_HEIGHT;
    p.side = MOTION_RIGHT;
    return p;
}

/* ------------------------------------------------------------------------------------------ */
/* Generation                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static mosa_status mlib__check(int action, const motion_params *p) {
    if (action < 0 || action >= MOTION_ACTION_COUNT)
        return mosa_fail(MOSA_ERR_ARG, "motion: unknown action %d (valid: 0..%d, see motion_action_name)", action,
                         MOTION_ACTION_COUNT - 1);
    if (!p) return mosa_fail(MOSA_ERR_ARG, "motion: NULL parameters (use motion_params_default())");
    const char *name = mlib_actions[action].name;
    if (!(p->seconds >= mlib_actions[action].min_seconds && p->seconds <= 60.0f))
        return mosa_fail(MOSA_ERR_ARG, "motion %s: seconds %g out of range; use %.1f..60", name, (double)p->seconds,
                         (double)mlib_actions[action].min_seconds);
    if (!(p->speed >= 0.3f && p->speed <= 3.0f))
        return mosa_fail(MOSA_ERR_ARG, "motion %s: speed %g out of range; use 0.3..3 (1 = natural)", name, (double)p->speed);
    if (!(p->amplitude >= 0.2f && p->amplitude <= 2.0f))
        return mosa_fail(MOSA_ERR_ARG, "motion %s: amplitude %g out of range; use 0.2..2 (1 = natural)", name,
                         (double)p->amplitude);
    if (!(p->height >= 1.0f && p->height <= 2.5f))
        return mosa_fail(MOSA_ERR_ARG, "motion %s: height %g m out of range; use 1.0..2.5", name, (double)p->height);
    if (!isfinite(p->heading) || !(fabsf(p->turn) <= 4 * (float)M_PI))
        return mosa_fail(MOSA_ERR_ARG, "motion %s: heading must be finite and |turn| <= 4 pi (got %g, %g)", name,
                         (double)p->heading, (double)p->turn);
    if (p->side != MOTION_LEFT && p->side != MOTION_RIGHT)
        return mosa_fail(MOSA_ERR_ARG, "motion %s: side %d; use MOTION_LEFT (0) or MOTION_RIGHT (1)", name, p->side);
    return MOSA_OK;
}

static uint64_t mlib__mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

void mg_style_init(mstyle *st, uint64_t seed) {
    mgen tmp;
    uint64_t x = mlib__mix(seed);
    rng_seed(&tmp.rng, (x ^ (x >> 32)) & 0xffffffffu);
    mgen *g = &tmp;
    st->tempo = mg_rand(g, 0.92f, 1.08f);
    st->width = mg_rand(g, 0.16f, 0.24f);
    st->toe_out = mg_rand(g, 0.04f, 0.18f);
    st->lean = mg_rand(g, -0.02f, 0.06f);
    st->spine = mg_rand(g, -0.04f, 0.06f);
    st->head = mg_rand(g, -0.08f, 0.12f);
    st->arm_abd = mg_rand(g, 0.06f, 0.18f);
    st->elbow = mg_rand(g, 0.08f, 0.35f);
    st->swing = mg_rand(g, 0.75f, 1.25f);
    st->knee = mg_rand(g, 0.0f, 0.02f);
    st->lift = mg_rand(g, 0.85f, 1.2f);
    st->delay = mg_rand(g, 0.0f, 1.0f);
    st->phase = mg_rand(g, 0.0f, 1.0f);
    st->asym = mg_rand(g, -1.0f, 1.0f);
    st->shrug = mg_rand(g, -0.04f, 0.08f);
    for (int k = 0; k < 8; k++) st->r[k] = mg_rand(g, 0.0f, 1.0f);
}

static void mlib__style(mgen *g, uint64_t style_seed) {
    mg_style_init(&g->st, style_seed);
    /* the action's own draws come from a stream that also depends on the action */
    uint64_t y = mlib__mix(g->p.seed ^ mlib__mix((uint64_t)g->action + 1));
    rng_seed(&g->rng, (y ^ (y >> 32)) & 0xffffffffu);
}

/* Chance that a locomotion clip ends by slowing to a stop (else it ends in stride). */
static float mlib__stop_chance(int action) {
    switch (action) {
    case MOTION_WALK: case MOTION_JOG: case MOTION_RUN: return 0.35f;
    case MOTION_SKATE_GLIDE: return 0.4f;
    case MOTION_MARCH: case MOTION_SIDE_STEP: case MOTION_CROUCH_WALK: case MOTION_WALK_BACKWARD: return 0.5f;
    default: return 0;
    }
}

int mg_stops(const mgen *g) { return g->end_rest || g->st.r[7] < mlib__stop_chance(g->action); }

int mg_ends_stopped(int action, const motion_params *p) {
    mstyle st;
    mg_style_init(&st, p->seed);
    return st.r[7] < mlib__stop_chance(action);
}

/* Runs one action into g (poses in the action's own frame). The person's style (posture,
 * stance, timing habits) comes from style_seed; the action's own choices from p->seed. */
static mosa_status mlib__run(mgen *g, int action, const motion_params *p, int end_rest, uint64_t style_seed) {
    MOSA_TRY(mlib__check(action, p));
    memset(g, 0, sizeof *g);
    g->p = *p;
    g->action = action;
    kin_body_init(&g->body, p->height);
    g->s = g->body.scale;
    g->dt = 1.0f / HML_FPS;
    g->T = (int)lroundf(p->seconds * HML_FPS);
    if (g->T < 1) g->T = 1;
    g->dur = (float)(g->T - 1) * g->dt;
    g->side = p->side;
    g->sg = p->side == MOTION_LEFT ? 1.0f : -1.0f;
    g->sp = p->speed;
    g->amp = p->amplitude;
    g->ystand = kin_stand_height(&g->body);
    g->flat = g->body.flat_pitch;
    g->toe_fwd = g->body.length[J_L_FOOT] * cosf(g->flat);
    g->end_rest = end_rest;
    mlib__style(g, style_seed);
    g->pose = mosa_malloc((size_t)g->T * sizeof(kin_pose));
    g->support = mosa_calloc((size_t)g->T * 4, 1);
    if (!g->pose || !g->support) {
        mosa_free(g->pose), mosa_free(g->support);
        g->pose = NULL, g->support = NULL;
        return mosa_fail(MOSA_ERR_NOMEM, "motion %s: out of memory for %d frames", mlib_actions[action].name, g->T);
    }
    mosa_status st = mlib_actions[action].fn(g);
    if (st != MOSA_OK) {
        mosa_free(g->pose), mosa_free(g->support);
        g->pose = NULL, g->support = NULL;
        return mosa_fail_context(st, "motion %s", mlib_actions[action].name);
    }
    /* the pelvis starts exactly above the origin (style sways may have moved it a little) */
    float dx = g->pose[0].root.x, dz = g->pose[0].root.z;
    if (action != MOTION_CLIMB_STEPS)
        for (int i = 0; i < g->T; i++) g->pose[i].root.x -= dx, g->pose[i].root.z -= dz;
    return MOSA_OK;
}

static void mlib__free(mgen *g) {
    mosa_free(g->pose);
    mosa_free(g->support);
    g->pose = NULL, g->support = NULL;
}

/* Rotates a pose about the vertical through the origin by yaw and moves it by off. */
static void mlib__place(kin_pose *p, float yaw, v3 off) {
    p->root = v3_add(mg_rot_yaw(yaw, p->root), off);
    p->rot[0] = quat_normalize(quat_mul(kin_ry(yaw), p->rot[0]));
}

mosa_status motion_generate(float **joints_out, int *T_out, int action, const motion_params *p) {
    if (!joints_out || !T_out) return mosa_fail(MOSA_ERR_ARG, "motion_generate: NULL output pointer");
    *joints_out = NULL, *T_out = 0;
    mgen g;
    MOSA_TRY(mlib__check(action, p));
    MOSA_TRY(mlib__run(&g, action, p, 0, p->seed));
    float *out = mosa_malloc((size_t)g.T * SMPL22_J * 3 * sizeof(float));
    if (!out) {
        mlib__free(&g);
        return mosa_fail(MOSA_ERR_NOMEM, "motion_generate: out of memory for %d frames", g.T);
    }
    for (int i = 0; i < g.T; i++) {
        kin_pose q = g.pose[i];
        mlib__place(&q, p->heading, v3_make(0, 0, 0));
        kin_pose_joints(out + (size_t)i * SMPL22_J * 3, &q, &g.body);
    }
    *joints_out = out, *T_out = g.T;
    mlib__free(&g);
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Sequences                                                                                  */
/* ------------------------------------------------------------------------------------------ */

#define MLIB_BLEND 10 /* transition frames (0.5 s) */

/* Facing yaw of a pose: the hips' left-right axis turned a quarter to the front. */
static float mlib__facing(const kin_pose *p, const kin_body *b) {
    v3 pos[SMPL22_J];
    kin_pose_fk(pos, NULL, p, b);
    v3 lr = v3_sub(pos[J_L_HIP], pos[J_R_HIP]);
    v3 f = v3_cross(lr, v3_make(0, 1, 0));
    return kin_yaw_of(f);
}

static void mlib__foot_of(const kin_pose *p, const kin_body *b, int side, v3 *toe, float *pitch, float *yaw) {
    v3 pos[SMPL22_J];
    kin_pose_fk(pos, NULL, p, b);
    v3 a = pos[side ? J_R_ANKLE : J_L_ANKLE];
    *toe = pos[side ? J_R_FOOT : J_L_FOOT];
    v3 d = v3_normalize(v3_sub(*toe, a));
    *pitch = asinf(mg_clamp(-d.y, -1, 1));
    *yaw = atan2f(d.x, d.z);
}

/* Writes the `n` transition poses from a (at rest) to b (at rest): rotations slerped, pelvis
 * moved along a smoothstep, each foot stepping to its new place in turn (lifted if it moves
 * more than 3 mm). */
static void mlib__transition(kin_pose *out, int n, const kin_pose *a, const kin_pose *b, const kin_body *body) {
    v3 ta[2], tb[2];
    float pa[2], pb[2], ya[2], yb[2];
    for (int f = 0; f < 2; f++) {
        mlib__foot_of(a, body, f, &ta[f], &pa[f], &ya[f]);
        mlib__foot_of(b, body, f, &tb[f], &pb[f], &yb[f]);
    }
    float da = v3_norm(v3_sub(ta[0], tb[0])), db = v3_norm(v3_sub(ta[1], tb[1]));
    int first = da >= db ? 0 : 1;
    for (int i = 0; i < n; i++) {
        float s = mg_smooth((float)(i + 1) / (float)(n + 1));
        kin_pose *q = &out[i];
        for (int j = 0; j < SMPL22_J; j++) q->rot[j] = quat_slerp(a->rot[j], b->rot[j], s);
        q->root = v3_lerp(a->root, b->root, s);
        v3 toe[2];
        float pitch[2], yaw[2];
        int planted[2];
        for (int f = 0; f < 2; f++) {
            float start = f == first ? 0.0f : 0.5f * (float)n;
            float u = mg_clamp(((float)i + 1 - start) / (0.5f * (float)n), 0, 1);
            float moved = v3_norm(v3_sub(ta[f], tb[f]));
            if (moved < 0.003f * body->scale) u = s;
            float h = mg_smooth(u);
            toe[f] = v3_lerp(ta[f], tb[f], h);
            pitch[f] = mg_lerp(pa[f], pb[f], h);
            yaw[f] = ya[f] + mg_wrap(yb[f] - ya[f]) * h;
            planted[f] = u <= 0 || u >= 1 || moved < 0.003f * body->scale;
            if (!planted[f]) toe[f].y += 0.07f * body->scale * mg_bump(u);
        }
        float ymax = 1e9f;
        for (int f = 0; f < 2; f++) {
            if (!planted[f]) continue;
            float y = kin_root_max_height(q, body, f, kin_ankle_from_toe(body, toe[f], pitch[f], yaw[f]), 0.995f);
            if (y < ymax) ymax = y;
        }
        if (q->root.y > ymax) q->root.y = ymax;
        for (int f = 0; f < 2; f++)
            kin_leg_place(q, body, f, toe[f], pitch[f], yaw[f], v3_make(sinf(yaw[f]), 0.15f, cosf(yaw[f])));
    }
}

mosa_status motion_sequence(float **joints_out, int *T_out, const int *actions, const motion_params *ps, int n) {
    if (!joints_out || !T_out || !actions || !ps || n <= 0 || n > 64)
        return mosa_fail(MOSA_ERR_ARG, "motion_sequence: need outputs, 1..64 actions and their parameters (n = %d)", n);
    *joints_out = NULL, *T_out = 0;
    /* the parts, with stand_up / sit_down / turn_around inserted where needed */
    int parts[3 * 64];
    motion_params pp[3 * 64];
    int np = 0;
    for (int k = 0; k < n; k++) {
        MOSA_TRY(mlib__check(actions[k], &ps[k]));
        motion_params cur = ps[k];
        if (np > 0) {
            int seated = (motion_action_flags(parts[np - 1]) & F_END_SEAT) != 0;
            int wants_seat = (motion_action_flags(actions[k]) & F_START_SEAT) != 0;
            if (seated != wants_seat) {
                motion_params q = cur;
                q.seconds = 2.5f, q.heading = 0, q.turn = 0, q.speed = 1, q.amplitude = 1;
                parts[np] = seated ? MOTION_STAND_UP : MOTION_SIT_DOWN, pp[np++] = q;
            }
            if (fabsf(cur.heading) > 0.6f && !wants_seat) {
                motion_params q = cur;
                q.seconds = fmaxf(motion_action_min_seconds(MOTION_TURN_AROUND), 1.0f + fabsf(cur.heading) / (float)M_PI * 1.5f);
                q.turn = cur.heading, q.heading = 0, q.speed = 1, q.amplitude = 1;
                parts[np] = MOTION_TURN_AROUND, pp[np++] = q;
                cur.heading = 0;
            }
        }
        parts[np] = actions[k], pp[np++] = cur;
    }
    mgen *gs = mosa_calloc((size_t)np, sizeof(mgen));
    if (!gs) return mosa_fail(MOSA_ERR_NOMEM, "motion_sequence: out of memory");
    mosa_status st = MOSA_OK;
    int total = 0, done = 0;
    for (; done < np; done++) {
        st = mlib__run(&gs[done], parts[done], &pp[done], done < np - 1, pp[0].seed); /* one person */
        if (st != MOSA_OK) break;
        total += gs[done].T + (done > 0 ? MLIB_BLEND : 0);
    }
    float *out = NULL;
    kin_pose *all = NULL;
    if (st == MOSA_OK) {
        out = mosa_malloc((size_t)total * SMPL22_J * 3 * sizeof(float));
        all = mosa_malloc((size_t)total * sizeof(kin_pose));
        if (!out || !all) st = mosa_fail(MOSA_ERR_NOMEM, "motion_sequence: out of memory for %d frames", total);
    }
    if (st == MOSA_OK) {
        int t = 0;
        for (int k = 0; k < np; k++) {
            mgen *g = &gs[k];
            float yaw = pp[k].heading;
            v3 off = v3_make(0, 0, 0);
            if (k > 0) {
                const kin_pose *last = &all[t - 1];
                yaw = mlib__facing(last, &g->body) + pp[k].heading;
                v3 r0 = mg_rot_yaw(yaw, g->pose[0].root);
                off = v3_make(last->root.x - r0.x, 0, last->root.z - r0.z);
            }
            for (int i = 0; i < g->T; i++) mlib__place(&g->pose[i], yaw, off);
            if (k > 0) {
                mlib__transition(all + t, MLIB_BLEND, &all[t - 1], &g->pose[0], &g->body);
                t += MLIB_BLEND;
            }
            memcpy(all + t, g->pose, (size_t)g->T * sizeof(kin_pose));
            t += g->T;
        }
        const kin_body *body = &gs[0].body;
        for (int i = 0; i < total; i++) kin_pose_joints(out + (size_t)i * SMPL22_J * 3, &all[i], body);
        *joints_out = out, *T_out = total;
        out = NULL;
    }
    for (int k = 0; k < done && k < np; k++) mlib__free(&gs[k]);
    mosa_free(gs);
    mosa_free(all);
    mosa_free(out);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Scenes                                                                                     */
/* ------------------------------------------------------------------------------------------ */

float motion_scene_min_distance(const float *joints, int P, int T) {
    float best = 1e9f;
    for (int a = 0; a < P; a++)
        for (int b = a + 1; b < P; b++)
            for (int t = 0; t < T; t++) {
                const float *ra = joints + ((size_t)a * T + t) * SMPL22_J * 3;
                const float *rb = joints + ((size_t)b * T + t) * SMPL22_J * 3;
                float d = hypotf(ra[0] - rb[0], ra[2] - rb[2]);
                if (d < best) best = d;
            }
    return P > 1 ? best : 0;
}

mosa_status motion_scene(float **joints_out, int *T_out, float *origins_out, int P, const int *actions,
                         const motion_params *ps, float min_dist, uint64_t seed) {
    if (!joints_out || !T_out || !actions || !ps || P <= 0 || P > 16)
        return mosa_fail(MOSA_ERR_ARG, "motion_scene: need outputs, 1..16 people and their actions (P = %d)", P);
    *joints_out = NULL, *T_out = 0;
    if (!(min_dist >= 0.8f)) min_dist = 0.8f;
    float *each[16] = {0};
    int T = 0;
    mosa_status st = MOSA_OK;
    for (int p = 0; p < P && st == MOSA_OK; p++) {
        motion_params q = ps[p];
        q.seconds = ps[0].seconds;
        int Tp = 0;
        st = motion_generate(&each[p], &Tp, actions[p], &q);
        if (st == MOSA_OK) T = Tp;
    }
    float *out = NULL;
    if (st == MOSA_OK) {
        out = mosa_malloc((size_t)P * T * SMPL22_J * 3 * sizeof(float));
        if (!out) st = mosa_fail(MOSA_ERR_NOMEM, "motion_scene: out of memory");
    }
    if (st == MOSA_OK) {
        mosa_rng r;
        uint64_t x = mlib__mix(seed ^ 0x5CE7Eull);
        rng_seed(&r, (x ^ (x >> 32)) & 0xffffffffu);
        float ox[16], oz[16];
        float radius = 0.6f * (float)P;
        for (int p = 0; p < P; p++) {
            for (int attempt = 0;; attempt++) {
                float u[2];
                rng_uniform(&r, u, 2);
                ox[p] = p == 0 ? 0 : (2 * u[0] - 1) * radius;
                oz[p] = p == 0 ? 0 : (2 * u[1] - 1) * radius * 0.6f;
                int ok = 1;
                for (int q = 0; q < p && ok; q++)
                    for (int t = 0; t < T && ok; t++) {
                        const float *ra = each[p] + (size_t)t * SMPL22_J * 3, *rb = each[q] + (size_t)t * SMPL22_J * 3;
                        float d = hypotf(ra[0] + ox[p] - rb[0] - ox[q], ra[2] + oz[p] - rb[2] - oz[q]);
                        if (d < min_dist + 0.05f) ok = 0;
                    }
                if (ok) break;
                if (attempt % 50 == 49) radius *= 1.3f;
            }
        }
        float cx = 0, cz = 0;
        for (int p = 0; p < P; p++) cx += ox[p] / (float)P, cz += oz[p] / (float)P;
        for (int p = 0; p < P; p++) {
            ox[p] -= cx, oz[p] -= cz;
            for (int t = 0; t < T; t++)
                for (int j = 0; j < SMPL22_J; j++) {
                    const float *src = each[p] + ((size_t)t * SMPL22_J + j) * 3;
                    float *dst = out + (((size_t)p * T + t) * SMPL22_J + j) * 3;
                    dst[0] = src[0] + ox[p], dst[1] = src[1], dst[2] = src[2] + oz[p];
                }
            if (origins_out) origins_out[3 * p] = ox[p], origins_out[3 * p + 1] = 0, origins_out[3 * p + 2] = oz[p];
        }
        *joints_out = out, *T_out = T;
    }
    for (int p = 0; p < P; p++) mosa_free(each[p]);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Metrics                                                                                    */
/* ------------------------------------------------------------------------------------------ */

float motion_floor_height(int action, const motion_params *p, float x, float z) {
    if (action != MOTION_CLIMB_STEPS || !p) return 0;
    float s = (p->height > 0 ? p->height : KIN_DEFAULT_HEIGHT) / KIN_DEFAULT_HEIGHT;
    /* back to the action's own frame (facing +Z from the origin) */
    float c = cosf(p->heading), sn = sinf(p->heading);
    float lx = c * x - sn * z, lz = sn * x + c * z;
    float rise = 0.16f * s * (0.8f + 0.2f * p->amplitude), tread = 0.30f * s, z0 = 0.27f * s;
    if (fabsf(lx) > 0.6f * s || lz < z0) return 0;
    return rise * (floorf((lz - z0) / tread) + 1);
}

typedef float (*mlib_floor_fn)(const void *ctx, float x, float z);

typedef struct mlib_floor_ctx {
    int action;
    const motion_params *p;
} mlib_floor_ctx;

static float mlib__floor_flat(const void *ctx, float x, float z) {
    (void)ctx, (void)x, (void)z;
    return 0;
}

static float mlib__floor_action(const void *ctx, float x, float z) {
    const mlib_floor_ctx *c = (const mlib_floor_ctx *)ctx;
    return motion_floor_height(c->action, c->p, x, z);
}

static void mlib__metrics(motion_metrics *m, const float *J, int T, float height, mlib_floor_fn floor_at, const void *ctx) {
    memset(m, 0, sizeof *m);
    if (!J || T <= 0) return;
    float scale = (height > 0 ? height : KIN_DEFAULT_HEIGHT) / KIN_DEFAULT_HEIGHT;
    const float fps = (float)HML_FPS, ch = MOTION_CONTACT_HEIGHT;
    static const int feet[4] = {J_L_ANKLE, J_R_ANKLE, J_L_FOOT, J_R_FOOT};
    static const int hands[2] = {J_L_WRIST, J_R_WRIST};
    m->min_height = 1e9f, m->max_height = -1e9f, m->max_root_height = -1e9f;
    /* heights above the local ground */
    float *hgt = mosa_malloc((size_t)T * SMPL22_J * sizeof(float));
    if (!hgt) return;
    for (int t = 0; t < T; t++)
        for (int j = 0; j < SMPL22_J; j++) {
            const float *p = J + ((size_t)t * SMPL22_J + j) * 3;
            hgt[t * SMPL22_J + j] = p[1] - floor_at(ctx, p[0], p[2]);
        }
    double skate = 0, hskate = 0;
    for (int t = 0; t < T; t++) {
        const float *f = J + (size_t)t * SMPL22_J * 3;
        const float *h = hgt + (size_t)t * SMPL22_J;
        for (int j = 0; j < SMPL22_J; j++) {
            if (h[j] < m->min_height) m->min_height = h[j];
            if (f[3 * j + 1] > m->max_height) m->max_height = f[3 * j + 1];
            if (j > 0) {
                int par = smpl22_parents[j];
                float dx = f[3 * j] - f[3 * par], dy = f[3 * j + 1] - f[3 * par + 1], dz = f[3 * j + 2] - f[3 * par + 2];
                float e = fabsf(sqrtf(dx * dx + dy * dy + dz * dz) - smpl22_bone_lengths[j] * scale);
                if (e > m->bone_err) m->bone_err = e;
            }
        }
        if (f[1] > m->max_root_height) m->max_root_height = f[1];
        if (t + 1 < T) {
            const float *g = f + SMPL22_J * 3;
            const float *hn = h + SMPL22_J;
            for (int k = 0; k < 4; k++) {
                int j = feet[k];
                if (h[j] < ch && hn[j] < ch) {
                    skate += hypotf(g[3 * j] - f[3 * j], g[3 * j + 2] - f[3 * j + 2]) * fps;
                    m->contact_pairs++;
                }
            }
            for (int k = 0; k < 2; k++) {
                int j = hands[k];
                if (h[j] < ch && hn[j] < ch) {
                    hskate += hypotf(g[3 * j] - f[3 * j], g[3 * j + 2] - f[3 * j + 2]) * fps;
                    m->hand_pairs++;
                }
            }
            for (int j = 0; j < SMPL22_J; j++) {
                float dx = g[3 * j] - f[3 * j], dy = g[3 * j + 1] - f[3 * j + 1], dz = g[3 * j + 2] - f[3 * j + 2];
                float d = sqrtf(dx * dx + dy * dy + dz * dz);
                if (d > m->max_step) m->max_step = d;
            }
            m->path_length += hypotf(g[0] - f[0], g[2] - f[2]);
        }
    }
    m->skate = m->contact_pairs ? (float)(skate / m->contact_pairs) : 0;
    m->hand_skate = m->hand_pairs ? (float)(hskate / m->hand_pairs) : 0;
    const float *last = J + (size_t)(T - 1) * SMPL22_J * 3;
    m->travel = hypotf(last[0] - J[0], last[2] - J[2]);
    /* airborne frames: every joint above the contact height at t-1, t, t+1 */
    for (int t = 1; t + 1 < T; t++) {
        int air = 1;
        for (int d = -1; d <= 1 && air; d++)
            for (int j = 0; j < SMPL22_J; j++)
                if (hgt[(t + d) * SMPL22_J + j] < ch) { air = 0; break; }
        if (!air) continue;
        float y0 = J[(size_t)(t - 1) * SMPL22_J * 3 + 1], y1 = J[(size_t)t * SMPL22_J * 3 + 1],
              y2 = J[(size_t)(t + 1) * SMPL22_J * 3 + 1];
        float a = (y2 - 2 * y1 + y0) * fps * fps;
        float e = fabsf(a + MG_G);
        if (e > m->flight_err) m->flight_err = e;
        m->flight_frames++;
    }
    mosa_free(hgt);
}

void motion_metrics_compute(motion_metrics *m, const float *J, int T, float height) {
    mlib__metrics(m, J, T, height, mlib__floor_flat, NULL);
}

void motion_metrics_compute_on(motion_metrics *m, const float *J, int T, int action, const motion_params *p) {
    mlib_floor_ctx c = {action, p};
    mlib__metrics(m, J, T, p ? p->height : KIN_DEFAULT_HEIGHT, mlib__floor_action, &c);
}
