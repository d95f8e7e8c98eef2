/* actions_loco.c: actions that move the feet across the floor: idle, walk, jog, run, march,
 * side steps, crouch walk, walking backwards, climbing steps, turning around, spinning, skating
 * and a step-touch dance. Jumps are in actions_jump.c. */
#include "actions_common.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Gait-driven actions                                                                        */
/* ------------------------------------------------------------------------------------------ */

typedef struct loco_cfg {
    float arm_amp, elbow;   /* arm swing at full speed, resting elbow flexion */
    float sp_flex, nk_flex; /* extra spine and neck flexion at full speed */
    float arm_abd;          /* extra arm abduction */
    float arm_flex;         /* arms held forward (crouch walk) */
} loco_cfg;

static float loco__stop_time(const mgen *g, const mgait *gt) {
    float P = 2.0f / gt->cadence;
    float t = g->dur - 1.1f * P - 0.35f;
    float tmin = gt->t_go + 1.5f * gt->ramp;
    return t > tmin ? t : tmin;
}

static mosa_status loco_run(mgen *g, mgait *gt, const loco_cfg *c) {
    mosa_status st = mgait_build(gt, g);
    if (st != MOSA_OK) {
        mgait_free(gt);
        return st;
    }
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        mspec s;
        mspec_stand(&s, g, v3_make(0, 0, 0), 0);
        mgait_spec(&s, gt, g, t);
        float frac = gt->v > 0 ? mgait_speed(gt, t) / gt->v : 0;
        float act = mg_window(t, gt->t_go - 0.2f, gt->stop_t + 0.25f, 0.35f);
        float w = gt->v > 0 ? 0.3f * act + 0.7f * frac : act;
        mg_arm_swing(&s, g, mgait_phase(gt, t), c->arm_amp * w * g->st.swing, g->st.elbow + c->elbow * w);
        for (int k = 0; k < 2; k++) {
            s.arm[k].abd += c->arm_abd * w;
            s.arm[k].flex += c->arm_flex * w;
        }
        s.sp_flex += c->sp_flex * w;
        s.nk_flex += c->nk_flex * w - 0.3f * (s.pitch - g->st.lean);
        mgen_emit(g, i, &s);
    }
    mgait_free(gt);
    return MOSA_OK;
}

static void loco__defaults(mgait *gt, const mgen *g) {
    memset(gt, 0, sizeof *gt);
    gt->width = g->st.width * g->s;
    gt->toe_out = g->st.toe_out;
    gt->lift = 0.09f * g->s * g->st.lift;
    gt->heel = 0.45f;
    gt->strike = 0.22f;
    gt->t_go = 0.1f + 0.35f * g->st.delay;
    gt->ramp = 0.7f;
    gt->dir = v3_make(0, 0, 1);
    gt->turn = g->p.turn;
    gt->lead = g->st.r[0] < 0.5f ? 0 : 1;
    gt->y_nom = g->ystand - g->st.knee * g->s - 0.005f * g->s;
    gt->bob = 0.015f * g->s;
    gt->duty = gt->duty0 = 0.62f;
}

mosa_status act_walk(mgen *g) {
    mgait gt;
    loco__defaults(&gt, g);
    gt.v = 1.3f * g->s * mg_speed(g, 1.7f) * (0.85f + 0.15f * g->amp);
    gt.cadence = 1.8f * g->st.tempo * powf(g->sp, 0.5f);
    gt.lean = 0.03f;
    gt.ramp = 0.6f + 0.2f * g->sp;
    if (mg_stops(g)) gt.t_stop = loco__stop_time(g, &gt);
    loco_cfg c = {0.28f * g->amp, 0.1f, 0.0f, 0.0f, 0.0f, 0.0f};
    return loco_run(g, &gt, &c);
}

mosa_status act_march(mgen *g) {
    mgait gt;
    loco__defaults(&gt, g);
    gt.v = 0.9f * g->s * mg_speed(g, 1.8f);
    gt.cadence = 1.9f * g->st.tempo * powf(g->sp, 0.5f);
    gt.lift = 0.24f * g->s * g->amp;
    gt.strike = 0.0f;
    gt.heel = 0.2f;
    gt.bob = 0.01f * g->s;
    if (mg_stops(g)) gt.t_stop = loco__stop_time(g, &gt);
    loco_cfg c = {0.55f * g->amp, 0.2f, -0.04f, -0.05f, 0.0f, 0.0f};
    return loco_run(g, &gt, &c);
}

mosa_status act_walk_backward(mgen *g) {
    mgait gt;
    loco__defaults(&gt, g);
    gt.v = 0.75f * g->s * mg_speed(g, 2.0f);
    gt.cadence = 1.6f * g->st.tempo * powf(g->sp, 0.45f);
    gt.dir = v3_make(0, 0, -1);
    gt.duty = gt.duty0 = 0.66f;
    gt.strike = 0.0f;
    gt.heel = 0.15f;
    gt.lift = 0.07f * g->s * g->st.lift;
    gt.lean = 0.05f;
    if (mg_stops(g)) gt.t_stop = loco__stop_time(g, &gt);
    loco_cfg c = {0.15f * g->amp, 0.15f, 0.05f, 0.1f, 0.05f, 0.0f};
    return loco_run(g, &gt, &c);
}

mosa_status act_crouch_walk(mgen *g) {
    mgait gt;
    loco__defaults(&gt, g);
    gt.v = 0.65f * g->s * mg_speed(g, 2.0f);
    gt.cadence = 1.6f * g->st.tempo * powf(g->sp, 0.45f);
    gt.duty = gt.duty0 = 0.66f;
    gt.lift = 0.07f * g->s;
    gt.strike = 0.1f;
    gt.heel = 0.25f;
    gt.width = (g->st.width + 0.06f) * g->s;
    gt.y_nom = g->ystand - (0.22f + 0.08f * g->amp) * g->s;
    gt.bob = 0.008f * g->s;
    gt.lean = 0.35f;
    gt.ramp = 0.8f;
    gt.t_go = 0.6f + 0.3f * g->st.delay; /* crouch first */
    if (mg_stops(g)) gt.t_stop = loco__stop_time(g, &gt);
    loco_cfg c = {0.12f, 0.6f, 0.3f, -0.25f, 0.1f, 0.35f};
    /* crouch down over the first 0.6 s and back up at the end (when stopping) */
    mosa_status st = mgait_build(&gt, g);
    if (st != MOSA_OK) {
        mgait_free(&gt);
        return st;
    }
    float y_low = gt.y_nom;
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        float down = mg_smooth(t / 0.6f) * (gt.t_stop < 1e5f ? 1 - mg_smooth((t - gt.stop_t - 0.2f) / 0.6f) : 1.0f);
        mspec s;
        mspec_stand(&s, g, v3_make(0, 0, 0), 0);
        gt.y_nom = mg_lerp(g->ystand - g->st.knee * g->s, y_low, down);
        mgait_spec(&s, &gt, g, t);
        s.pitch = g->st.lean + gt.lean * down;
        s.sp_flex += c.sp_flex * down;
        s.nk_flex += c.nk_flex * down - 0.3f * gt.lean * down;
        float frac = mgait_speed(&gt, t) / gt.v;
        mg_arm_swing(&s, g, mgait_phase(&gt, t), c.arm_amp * frac, g->st.elbow + c.elbow * down);
        for (int k = 0; k < 2; k++) s.arm[k].flex += c.arm_flex * down, s.arm[k].abd += c.arm_abd * down;
        mgen_emit(g, i, &s);
    }
    mgait_free(&gt);
    return MOSA_OK;
}

mosa_status act_side_step(mgen *g) {
    mgait gt;
    loco__defaults(&gt, g);
    gt.width = (0.30f + 0.06f * g->amp) * g->s;
    gt.v = 0.32f * g->s * g->sp * g->amp;
    gt.cadence = 1.7f * g->st.tempo * powf(g->sp, 0.4f);
    if (gt.v / gt.cadence > gt.width - 0.12f * g->s) gt.v = (gt.width - 0.12f * g->s) * gt.cadence;
    gt.dir = v3_make(g->sg, 0, 0);
    gt.lead = g->side;
    gt.duty = gt.duty0 = 0.66f;
    gt.strike = 0.0f;
    gt.heel = 0.12f;
    gt.lift = 0.08f * g->s * g->st.lift;
    gt.bob = 0.01f * g->s;
    gt.toe_out = 0.5f * g->st.toe_out;
    gt.y_nom = g->ystand - (0.04f + g->st.knee) * g->s;
    if (mg_stops(g)) gt.t_stop = loco__stop_time(g, &gt);
    loco_cfg c = {0.05f, 0.2f, 0.05f, 0.0f, 0.12f, 0.1f};
    return loco_run(g, &gt, &c);
}

mosa_status act_jog(mgen *g) {
    mgait gt;
    loco__defaults(&gt, g);
    gt.v = 2.4f * g->s * mg_speed(g, 1.7f);
    gt.cadence = 2.6f * g->st.tempo * powf(g->sp, 0.35f);
    gt.duty = 0.42f, gt.duty0 = 0.6f;
    gt.run = 1;
    gt.lift = 0.16f * g->s * g->st.lift * g->amp;
    gt.heel = 0.55f;
    gt.strike = 0.1f;
    gt.lean = 0.08f;
    gt.ramp = 0.8f;
    gt.y_nom = g->ystand - 0.02f * g->s;
    float P = 2.0f / gt.cadence, maxduty = 0.8f * g->s / (gt.v * P);
    if (gt.duty > maxduty) gt.duty = maxduty;
    if (mg_stops(g)) gt.t_stop = loco__stop_time(g, &gt);
    loco_cfg c = {0.4f * g->amp, 1.2f, 0.02f, 0.0f, 0.05f, 0.0f};
    return loco_run(g, &gt, &c);
}

mosa_status act_run(mgen *g) {
    mgait gt;
    loco__defaults(&gt, g);
    gt.v = 3.8f * g->s * mg_speed(g, 1.8f);
    gt.cadence = 2.9f * g->st.tempo * powf(g->sp, 0.35f);
    gt.duty = 0.34f, gt.duty0 = 0.58f;
    gt.run = 1;
    gt.lift = 0.26f * g->s * g->st.lift * g->amp;
    gt.heel = 0.7f;
    gt.strike = 0.05f;
    gt.lean = 0.15f;
    gt.ramp = 1.0f;
    gt.y_nom = g->ystand - 0.03f * g->s;
    float P = 2.0f / gt.cadence, maxduty = 0.8f * g->s / (gt.v * P);
    if (gt.duty > maxduty) gt.duty = maxduty;
    if (mg_stops(g)) gt.t_stop = loco__stop_time(g, &gt);
    loco_cfg c = {0.6f * g->amp, 1.45f, 0.03f, 0.0f, 0.08f, 0.0f};
    return loco_run(g, &gt, &c);
}

mosa_status act_turn_around(mgen *g) {
    mgait gt;
    loco__defaults(&gt, g);
    float turn = g->p.turn != 0 ? g->p.turn : g->sg * (float)M_PI * (g->amp > 1.3f ? 1.5f : 1.0f);
    gt.v = 0;
    gt.turn = turn;
    gt.cadence = 2.0f * g->st.tempo * powf(g->sp, 0.4f);
    gt.duty = gt.duty0 = 0.62f;
    gt.lift = 0.07f * g->s * g->st.lift;
    gt.heel = 0.15f;
    gt.strike = 0.0f;
    gt.bob = 0.006f * g->s;
    gt.t_go = 0.15f + 0.25f * g->st.delay;
    gt.turn_t0 = gt.t_go;
    gt.turn_t1 = gt.t_go + (0.45f + 0.35f * fabsf(turn)) / g->sp;
    if (gt.turn_t1 > g->dur - 0.6f) gt.turn_t1 = g->dur - 0.6f > gt.t_go + 0.4f ? g->dur - 0.6f : gt.t_go + 0.4f;
    gt.t_stop = gt.turn_t1 - 0.3f;
    /* the first step is taken by the foot on the side of the turn */
    gt.lead = turn > 0 ? 0 : 1;
    loco_cfg c = {0.1f, 0.15f, 0.0f, 0.0f, 0.03f, 0.0f};
    mosa_status st = mgait_build(&gt, g);
    if (st != MOSA_OK) {
        mgait_free(&gt);
        return st;
    }
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        mspec s;
        mspec_stand(&s, g, v3_make(0, 0, 0), 0);
        mgait_spec(&s, &gt, g, t);
        float act = mg_window(t, gt.t_go - 0.2f, gt.stop_t + 0.25f, 0.35f);
        mg_arm_swing(&s, g, mgait_phase(&gt, t), c.arm_amp * act, g->st.elbow + c.elbow * act);
        /* the head leads the turn */
        float ahead = 0.25f * turn / (float)M_PI * mg_window(t, gt.turn_t0 - 0.1f, gt.turn_t1, 0.3f);
        s.nk_twist += ahead;
        s.sp_twist += 0.5f * ahead;
        mgen_emit(g, i, &s);
    }
    mgait_free(&gt);
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Climbing steps                                                                             */
/* ------------------------------------------------------------------------------------------ */

typedef struct climb_ctx {
    mtrack ft[2];
    mkeys kz, ky;
} climb_ctx;

static void climb__root(const mgen *g, float t, v3 *pos, float *yaw) {
    const climb_ctx *c = (const climb_ctx *)g->ctx;
    *pos = v3_make(0, mkeys_eval(&c->ky, t), mkeys_eval(&c->kz, t));
    *yaw = 0;
}

mosa_status act_climb_steps(mgen *g) {
    climb_ctx *c = mosa_calloc(1, sizeof *c);
    if (!c) return mosa_fail(MOSA_ERR_NOMEM, "out of memory");
    g->ctx = c;
    float s = g->s, rise = 0.16f * s * (0.8f + 0.2f * g->amp), tread = 0.30f * s;
    float z0 = 0.27f * s; /* first riser, ahead of the standing toes */
    float cad = 1.5f * g->st.tempo * powf(g->sp, 0.45f), P = 2.0f / cad, duty = 0.64f;
    float t_go = 0.2f + 0.3f * g->st.delay;
    float width = g->st.width * s;
    int lead = g->st.r[0] < 0.5f ? 0 : 1;
    v3 o = v3_make(0, 0, 0);
    for (int f = 0; f < 2; f++) mtrack_add(&c->ft[f], g, -1, 1e9f, mg_stance_toe(g, f, o, 0, width), f ? -g->st.toe_out : g->st.toe_out);
    /* step k (1..N) lands on stair k; step N+1 brings the other foot up beside it */
    int N = 0;
    while (N < 14 && t_go + (float)(N + 1) * 0.5f * P + P < g->dur - 0.3f) N++;
    if (N < 1) N = 1;
    float ystand = g->ystand - g->st.knee * s;
    mkeys_add(&c->kz, 0, 0, 0);
    mkeys_add(&c->ky, 0, ystand, 0);
    mkeys_add(&c->kz, t_go, 0, 0);
    mkeys_add(&c->ky, t_go, ystand, 0);
    float vz = tread / (0.5f * P);
    for (int k = 1; k <= N + 1; k++) {
        int f = (lead + k - 1) % 2;
        float lo = t_go + (float)(k - 1) * 0.5f * P, td = lo + (1 - duty) * P;
        int stair = k <= N ? k : N;
        float zt = z0 + (float)(stair - 1) * tread + 0.2f * s;
        v3 toe = mg_stance_toe(g, f, o, 0, width);
        toe.z = zt + (toe.z - g->toe_fwd);
        toe.y = (float)stair * rise + KIN_TOE_HEIGHT * s;
        mtrack *ft = &c->ft[f];
        mplant *prev = &ft->p[ft->n - 1];
        prev->t1 = lo;
        prev->heel_t = prev->t0 < 0 ? lo : mg_lerp(prev->t0, lo, 0.6f);
        prev->heel = 0.3f;
        prev->lift = 0.07f * g->st.lift;
        prev->swing_slack = 0;
        mtrack_add(ft, g, td, 1e9f, toe, f ? -g->st.toe_out : g->st.toe_out);
        /* pelvis: over the new support foot at mid-stance */
        float mid = td + 0.5f * duty * P;
        float zr = toe.z - g->toe_fwd - (k <= N ? 0.05f * s : 0.0f);
        float yr = (float)stair * rise + ystand + (k <= N ? 0.01f * s : 0.0f);
        float v = k <= N ? vz : 0;
        mkeys_add(&c->kz, mid, zr, v);
        mkeys_add(&c->ky, mid, yr, k <= N ? rise / (0.5f * P) : 0);
    }
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        mspec s2;
        mspec_stand(&s2, g, o, 0);
        float yaw;
        climb__root(g, t, &s2.root, &yaw);
        float act = mg_window(t, t_go - 0.1f, t_go + (float)(N + 1) * 0.5f * P + 0.3f, 0.3f);
        float ph = 2 * (float)M_PI * (t - t_go) / P + (lead ? (float)M_PI : 0);
        s2.pitch += 0.12f * act;
        s2.sp_flex += 0.05f * act;
        s2.nk_flex += 0.15f * act;
        s2.roll = 0.03f * cosf(ph) * act;
        for (int f = 0; f < 2; f++) mtrack_eval(&s2.foot[f], g, &c->ft[f], t, climb__root);
        mg_arm_swing(&s2, g, ph, 0.2f * act * g->st.swing, g->st.elbow + 0.15f * act);
        mgen_emit(g, i, &s2);
    }
    mosa_free(c);
    g->ctx = NULL;
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Idle                                                                                       */
/* ------------------------------------------------------------------------------------------ */

mosa_status act_idle(mgen *g) {
    /* breathing, slow weight shifts, glances around, now and then a hand to the hip or face */
    float br = 0.22f + 0.08f * g->st.r[0];
    float shift_f = 0.12f + 0.1f * g->st.r[1];
    float look_t = 0.8f + g->dur * g->st.r[2] * 0.5f;
    float look_a = (g->st.r[3] - 0.5f) * 1.2f * g->amp;
    int gesture = (int)(g->st.r[4] * 3); /* 0 none, 1 hand on hip, 2 touch face */
    int gside = g->st.r[5] < 0.5f ? 0 : 1;
    float gt0 = 0.6f + (g->dur - 2.0f > 0 ? (g->dur - 2.0f) * g->st.r[6] : 0), gt1 = gt0 + 1.4f;
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        mspec s;
        mspec_stand(&s, g, v3_make(0, 0, 0), 0);
        float b = sinf(2 * (float)M_PI * br * t);
        s.sp_flex -= 0.012f * b;
        s.col_up[0] += 0.015f * b, s.col_up[1] += 0.015f * b;
        float sh = sinf(2 * (float)M_PI * shift_f * t + 6.28f * g->st.phase) * 0.035f * g->s * g->amp;
        s.root.x += sh;
        s.roll = -0.6f * sh / g->s;
        s.sp_lat = 0.5f * sh / g->s;
        s.nk_twist = look_a * mg_window(t, look_t, look_t + 1.6f, 0.5f);
        s.nk_flex += 0.05f * sinf(0.9f * t + 3 * g->st.phase);
        float w = gesture ? mg_window(t, gt0, gt1, 0.6f) : 0;
        if (w > 0) {
            marm *a = &s.arm[gside];
            float sx = gside ? -1.0f : 1.0f;
            if (gesture == 1) {
                a->abd = mg_lerp(a->abd, 0.55f, w);
                a->elbow = mg_lerp(a->elbow, 1.7f, w);
                a->twist = mg_lerp(0, 0.6f, w);
                a->flex = mg_lerp(a->flex, -0.15f, w);
            } else {
                a->mode = MA_CHEST;
                v3 rest = mg_rest_wrist_chest(g, gside);
                v3 face = v3_make(sx * 0.05f * g->s, 0.22f * g->s, 0.13f * g->s);
                /* up in front of the body, not past the shoulder: a curve through the belly */
                v3 mid = v3_make(sx * 0.2f * g->s, -0.3f * g->s, 0.3f * g->s);
                float u = mg_smooth(w);
                a->wrist = v3_lerp(v3_lerp(rest, mid, u), v3_lerp(mid, face, u), u);
                a->pole = mg_pole_blend(gside, v3_make(sx * 0.8f, -1, -0.1f), mg_smooth(w));
                s.nk_flex += 0.1f * w;
            }
        }
        mgen_emit(g, i, &s);
    }
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Spin (a pirouette on the ball of one foot)                                                 */
/* ------------------------------------------------------------------------------------------ */

mosa_status act_spin(mgen *g) {
    int sup = g->side, fre = 1 - sup;
    float sx = sup == 0 ? 1.0f : -1.0f; /* support side lateral sign */
    float dir = g->sg;                  /* turning to the left for side = left */
    int turns = g->amp > 1.35f ? 2 : 1;
    float t_turn = (0.75f + 0.25f * (float)(turns - 1)) * (float)turns / g->sp;
    float k_ph = 1.0f; /* phase time scale, < 1 when the clip is short */
    float cycle = 0.55f + 0.35f + t_turn + 0.6f + 0.3f;
    if (cycle > g->dur - 0.2f) k_ph = (g->dur - 0.2f) / cycle, t_turn *= k_ph, cycle = g->dur - 0.2f;
    int reps = (int)((g->dur - 0.3f) / cycle);
    if (reps < 1) reps = 1;
    float spare = g->dur - (float)reps * cycle;
    float t = spare > 0 ? 0.2f + (spare - 0.2f) * 0.5f * g->st.delay : 0.1f;
    float width = g->st.width * g->s;
    v3 o = v3_make(0, 0, 0);
    v3 sup_toe = mg_stance_toe(g, sup, o, 0, width);
    float sup_yaw0 = sup ? -g->st.toe_out : g->st.toe_out;
    /* timeline per rep: plie (a), rise + passe (b), turn (c), land (d), settle (e) */
    float ta[8], tb[8], tc[8], td[8], te[8];
    for (int r = 0; r < reps && r < 8; r++) {
        ta[r] = t;
        tb[r] = ta[r] + 0.55f * k_ph;
        tc[r] = tb[r] + 0.35f * k_ph;
        td[r] = tc[r] + t_turn;
        te[r] = td[r] + 0.6f * k_ph;
        t = te[r] + 0.3f * k_ph;
    }
    if (reps > 8) reps = 8;
    float hip = g->body.offset[J_L_HIP].x; /* lateral offset of the hip joint */
    for (int i = 0; i < g->T; i++) {
        float tt = (float)i * g->dt;
        int r = 0;
        while (r + 1 < reps && tt >= te[r] + 0.15f) r++;
        float plie = mg_window(tt, ta[r], tb[r] + 0.1f, 0.3f) + mg_window(tt, td[r], te[r] + 0.2f, 0.3f);
        float up = mg_window(tt, tb[r], td[r] + 0.05f, 0.3f);          /* on the ball of the foot */
        float spin = mg_smooth((tt - tc[r]) / t_turn);
        /* ease in and out of the turn, faster in the middle */
        float yaw = dir * 2 * (float)M_PI * (float)turns * (spin < 0 ? 0 : spin);
        if (tt >= te[r] || (r > 0 && tt < ta[r])) yaw = 0;
        mspec s;
        mspec_stand(&s, g, o, 0);
        s.yaw = yaw;
        /* weight over the support foot: its hip above its toe */
        v3 over = v3_sub(sup_toe, mg_rot_yaw(yaw, v3_make(sx * hip * 0.9f, 0, 0.02f * g->s)));
        float w = mg_smooth(up * 1.5f);
        s.root.x = mg_lerp(0, over.x, w);
        s.root.z = mg_lerp(0, over.z, w);
        s.root.y = g->ystand - g->st.knee * g->s - 0.09f * g->s * plie * g->amp + 0.15f * g->s * up;
        /* support foot: toe fixed, heel up, pivoting */
        mfoot *fs = &s.foot[sup];
        fs->toe = sup_toe;
        fs->yaw = sup_yaw0 + yaw;
        fs->pitch = g->flat + 0.65f * up;
        /* free foot: up to the support knee (passe), then down to its stance place */
        mfoot *ff = &s.foot[fre];
        v3 home = mg_stance_toe(g, fre, o, 0, width);
        float lift = mg_window(tt, tb[r], td[r] + 0.1f, 0.25f);
        if (lift > 0) {
            v3 passe = mg_body_to_world(s.root, yaw, v3_make(sx * 0.02f * g->s, -0.42f * g->s, 0.08f * g->s));
            v3 p = v3_lerp(home, passe, mg_smooth(lift));
            ff->toe = p;
            ff->yaw = mg_lerp(ff->yaw, yaw + (fre ? -0.8f : 0.8f), lift);
            ff->pitch = g->flat + 0.6f * lift;
            ff->pole = v3_add(mg_rot_yaw(yaw, v3_make(-sx * 1.0f, 0, 0.6f)), v3_make(0, 0.2f, 0));
            ff->planted = 0;
            ff->slack = -1;
        }
        /* arms (chest-frame wrist targets): open to the sides in the plie, rounded in front
         * during the turn */
        float close = mg_window(tt, tb[r], td[r] + 0.1f, 0.25f), open = plie * (1 - close);
        for (int k = 0; k < 2; k++) {
            marm *a = &s.arm[k];
            float kx = k ? -1.0f : 1.0f;
            v3 rest = v3_make(kx * 0.27f * g->s, -0.52f * g->s, 0.06f * g->s);
            v3 side = v3_make(kx * 0.55f * g->s, -0.18f * g->s, 0.2f * g->s);
            v3 front = v3_make(kx * 0.08f * g->s, -0.08f * g->s, 0.33f * g->s);
            a->mode = MA_CHEST;
            a->wrist = v3_lerp(v3_lerp(rest, side, mg_smooth(open)), front, mg_smooth(close));
            a->pole = mg_pole_blend(k, v3_make(kx, -0.6f, -0.4f), fmaxf(open, close));
        }
        s.nk_flex -= 0.05f * up;
        mgen_emit(g, i, &s);
    }
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Skating (the gliding foot slides on purpose)                                               */
/* ------------------------------------------------------------------------------------------ */

mosa_status act_skate(mgen *g) {
    float s = g->s, v = 2.6f * s * mg_speed(g, 2.0f), cad = 1.1f * g->st.tempo * powf(g->sp, 0.3f), P = 2.0f / cad;
    float t_go = 0.3f + 0.3f * g->st.delay, ramp = 1.2f;
    float t_stop = mg_stops(g) ? g->dur - 1.4f : 1e6f;
    if (t_stop < t_go + 1.0f) t_stop = t_go + 1.0f;
    float yaw_total = g->p.turn, push = (0.32f + 0.08f * g->amp) * s;
    /* the path: speed ramps up and down; the heading follows the distance travelled */
    int sub = 8;
    float h = g->dt / (float)sub, dist_end = 0;
    for (int i = 0; i < g->T * sub; i++) {
        float tm = ((float)i + 0.5f) * h;
        dist_end += v * mg_smooth((tm - t_go) / ramp) * (1 - mg_smooth((tm - t_stop + ramp) / ramp)) * h;
    }
    int lead = g->st.r[0] < 0.5f ? 0 : 1;
    float *px = mosa_malloc(3 * (size_t)g->T * sizeof(float));
    if (!px) return mosa_fail(MOSA_ERR_NOMEM, "out of memory");
    float *pz = px + g->T, *pyaw = pz + g->T;
    float dist = 0, cx = 0, cz = 0, cyaw = 0;
    for (int i = 0; i < g->T; i++) {
        px[i] = cx, pz[i] = cz, pyaw[i] = cyaw;
        for (int k = 0; k < sub; k++) {
            float tm = ((float)i + ((float)k + 0.5f) / (float)sub) * g->dt;
            float sp = v * mg_smooth((tm - t_go) / ramp) * (1 - mg_smooth((tm - t_stop + ramp) / ramp));
            float step = sp * h;
            dist += step;
            float ny = dist_end > 1e-3f ? yaw_total * mg_clamp(dist / dist_end, 0, 1) : 0;
            float ym = 0.5f * (ny + cyaw);
            cx += step * sinf(ym), cz += step * cosf(ym);
            cyaw = ny;
        }
    }
    float width = g->st.width * s;
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        float act = mg_smooth((t - t_go + 0.2f) / 0.6f) * (1 - mg_smooth((t - t_stop - 0.2f) / 0.8f));
        float ph = 2 * (float)M_PI * (t - t_go) / P + (lead ? (float)M_PI : 0);
        mspec sp;
        v3 c = v3_make(px[i], 0, pz[i]);
        mspec_stand(&sp, g, c, pyaw[i]);
        /* crouched, leaning forward, swaying over the gliding foot */
        float sway = -0.12f * s * cosf(ph) * act;
        sp.root = v3_add(c, mg_rot_yaw(pyaw[i], v3_make(sway, 0, 0)));
        sp.root.y = g->ystand - (0.03f + 0.17f * act) * s;
        sp.yaw = pyaw[i] + 0.1f * sinf(ph) * act;
        sp.pitch = g->st.lean + 0.45f * act;
        sp.sp_flex += 0.15f * act;
        sp.nk_flex -= 0.4f * act;
        for (int f = 0; f < 2; f++) {
            float fx = f ? -1.0f : 1.0f;
            /* foot phase: push outwards on the floor for 60 % of the cycle, recover in the air */
            float phf = ph + (f ? (float)M_PI : 0);
            float u = fmodf(phf / (2 * (float)M_PI) + 10.0f, 1.0f);
            float out, lift;
            if (u < 0.6f) out = mg_smooth(u / 0.6f), lift = 0;
            else out = 1 - mg_smooth((u - 0.6f) / 0.4f), lift = mg_bump((u - 0.6f) / 0.4f);
            v3 rel = v3_make(fx * (0.5f * width + push * out * act), KIN_TOE_HEIGHT * s + 0.12f * s * lift * act,
                             g->toe_fwd - 0.15f * s * out * act);
            mfoot *ff = &sp.foot[f];
            ff->mode = MF_WORLD;
            ff->toe = mg_body_to_world(c, pyaw[i], rel);
            ff->yaw = pyaw[i] + (f ? -1.0f : 1.0f) * (g->st.toe_out + 0.35f * act);
            ff->pitch = g->flat + 0.2f * lift * act;
            ff->pole = mg_rot_yaw(pyaw[i], v3_make(fx * 0.4f, 0.1f, 1));
            ff->planted = lift == 0 || act < 0.05f;
            ff->slack = -1;
        }
        /* arms swing across the body, opposite to the pushing leg */
        for (int k = 0; k < 2; k++) {
            marm *a = &sp.arm[k];
            float d2 = (k ? 1.0f : -1.0f) * sinf(ph) * act;
            a->flex = 0.3f * act + 0.7f * d2 * g->amp;
            a->abd = g->st.arm_abd + 0.2f * act;
            a->elbow = g->st.elbow + 0.2f * act;
        }
        mgen_emit(g, i, &sp);
    }
    mosa_free(px);
    return MOSA_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Dance: step-touch from side to side                                                        */
/* ------------------------------------------------------------------------------------------ */

typedef struct dance_ctx {
    mtrack ft[2];
    mkeys kx;
} dance_ctx;

static void dance__root(const mgen *g, float t, v3 *pos, float *yaw) {
    const dance_ctx *c = (const dance_ctx *)g->ctx;
    *pos = v3_make(mkeys_eval(&c->kx, t), 0, 0);
    *yaw = 0;
}

mosa_status act_dance(mgen *g) {
    dance_ctx *c = mosa_calloc(1, sizeof *c);
    if (!c) return mosa_fail(MOSA_ERR_NOMEM, "out of memory");
    g->ctx = c;
    float s = g->s, B = 0.6f / g->sp; /* one beat */
    float out = (0.28f + 0.06f * g->amp) * s, tap = 0.11f * s, width = g->st.width * s;
    float t0 = 0.3f + 0.2f * g->st.delay;
    int nb = (int)((g->dur - t0 - 1.0f) / B);
    if (nb < 2) nb = 2;
    nb -= nb % 2;
    v3 o = v3_make(0, 0, 0);
    for (int f = 0; f < 2; f++) mtrack_add(&c->ft[f], g, -1, 1e9f, mg_stance_toe(g, f, o, 0, width), f ? -g->st.toe_out : g->st.toe_out);
    int first = g->side; /* the foot that steps out first */
    mkeys_add(&c->kx, 0, 0, 0);
    mkeys_add(&c->kx, t0, 0, 0);
    for (int b = 0; b < nb; b += 2) {
        int f = (first + b / 2) % 2, other = 1 - f;
        float fx = f ? -1.0f : 1.0f;
        float tb = t0 + (float)b * B;
        /* beat b: foot f steps out (in the air from tb - 0.2B to tb + 0.4B); beat b+1: the other
         * foot taps beside it (lifts at tb + 0.5B, touches from tb + 1.3B to tb + 1.8B) */
        mtrack *ft = &c->ft[f];
        mplant *prev = &ft->p[ft->n - 1];
        float lo = tb - 0.2f * B;
        if (lo < prev->t0 + 0.1f) lo = prev->t0 + 0.1f;
        prev->t1 = lo;
        prev->lift = 0.08f * g->st.lift;
        prev->swing_slack = 0;
        v3 toe_out = mg_stance_toe(g, f, v3_make(fx * (out - 0.5f * width), 0, 0), 0, width);
        mtrack_add(ft, g, tb + 0.4f * B, 1e9f, toe_out, f ? -g->st.toe_out : g->st.toe_out);
        mtrack *fo = &c->ft[other];
        mplant *po = &fo->p[fo->n - 1];
        po->t1 = tb + 0.5f * B;
        po->lift = 0.07f * g->st.lift;
        po->swing_slack = 0;
        v3 toe_tap = toe_out;
        toe_tap.x -= fx * (tap + 0.02f * s);
        toe_tap.z -= 0.03f * s;
        mplant *pt = mtrack_add(fo, g, tb + 1.3f * B, 1e9f, toe_tap, (other ? -1.0f : 1.0f) * 0.3f);
        pt->lift = 0.07f * g->st.lift;
        pt->swing_slack = 0;
        /* the pelvis travels over the stepping foot */
        mkeys_add(&c->kx, tb + 1.4f * B, toe_out.x - fx * 0.07f * s, 0);
    }
    /* finish: both feet back to the stance, one after the other */
    float tend = t0 + (float)nb * B - 0.2f * B;
    for (int k = 0; k < 2; k++) {
        int f = k == 0 ? (first + nb / 2) % 2 : (first + nb / 2 + 1) % 2;
        mtrack *ft = &c->ft[f];
        mplant *prev = &ft->p[ft->n - 1];
        float lo = tend + 0.45f * (float)k;
        if (lo < prev->t0 + 0.1f) lo = prev->t0 + 0.1f;
        prev->t1 = lo;
        prev->swing_slack = 0;
        prev->lift = 0.07f * g->st.lift;
        mtrack_add(ft, g, lo + 0.4f, 1e9f, mg_stance_toe(g, f, o, 0, width), f ? -g->st.toe_out : g->st.toe_out);
    }
    mkeys_add(&c->kx, tend + 1.0f, 0, 0);
    int arms = (int)(g->st.r[3] * 3);
    for (int i = 0; i < g->T; i++) {
        float t = (float)i * g->dt;
        float act = mg_window(t, t0 - 0.1f, tend + 0.5f, 0.3f);
        float beat = 2 * (float)M_PI * (t - t0) / B;
        mspec sp;
        mspec_stand(&sp, g, o, 0);
        float yaw;
        dance__root(g, t, &sp.root, &yaw);
        sp.root.y = g->ystand - (g->st.knee + 0.03f + 0.025f * (1 - cosf(beat)) * g->amp) * s * act;
        sp.roll = -0.4f * (sp.root.x) / s * act;
        sp.sp_lat = 0.8f * sp.root.x / s * act;
        sp.nk_lat = -0.3f * sp.root.x / s;
        sp.sp_twist = 0.1f * sinf(0.5f * beat) * act;
        for (int f = 0; f < 2; f++) mtrack_eval(&sp.foot[f], g, &c->ft[f], t, dance__root);
        for (int k = 0; k < 2; k++) {
            marm *a = &sp.arm[k];
            float kx = k ? -1.0f : 1.0f;
            float sw = sinf(0.5f * beat + (k ? (float)M_PI : 0));
            if (arms == 0) { /* arms swing forward and back with bent elbows */
                a->flex = (0.2f + 0.5f * sw * g->amp) * act;
                a->elbow = g->st.elbow + 1.0f * act;
                a->abd = g->st.arm_abd + 0.1f * act;
            } else if (arms == 1) { /* arms pump overhead on alternate beats */
                float up = 0.5f + 0.5f * sinf(0.5f * beat);
                a->abd = g->st.arm_abd + (0.6f + 1.6f * up * g->amp) * act;
                a->elbow = g->st.elbow + 0.6f * act * (1 - up);
                a->flex = 0.2f * act;
            } else { /* hands clap in front on every other beat */
                a->mode = MA_CHEST;
                float open = 0.5f + 0.5f * cosf(beat);
                a->wrist = v3_make(kx * (0.05f + (0.25f * open + 0.2f * (1 - act))) * s, (-0.2f - 0.3f * (1 - act)) * s,
                                   (0.35f * act + 0.05f) * s);
                a->pole = mg_pole_blend(k, v3_make(kx, -1, -0.3f), act);
            }
        }
        mgen_emit(g, i, &sp);
    }
    mosa_free(c);
    g->ctx = NULL;
    return MOSA_OK;
}
